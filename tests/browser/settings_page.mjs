// Drives the ACAP settings page (acap/html) in Debian's chromium: the page served by camsim
// at /local/camagent/, its API proxied to the agent's local API. Prints "PASS name" /
// "FAIL name" per check (tests/run.sh counts them) and saves screenshots.
// env: PAGE_URL, WEB_USER, WEB_PASS, TOKEN, ORG, FOLDER, ARTIFACTS, CHROMIUM (optional)
import { chromium } from "playwright-core";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const env = (k) => {
  if (!process.env[k]) throw new Error(`${k} is not set`);
  return process.env[k];
};
const artifacts = env("ARTIFACTS");
mkdirSync(artifacts, { recursive: true });
let failed = 0;

async function check(name, fn) {
  try {
    await fn();
    console.log(`PASS ${name}`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${name}: ${e.message.split("\n")[0]}`);
  }
}

async function expectText(page, selector, want, timeout = 15000) {
  const loc = page.locator(selector);
  await loc.waitFor({ state: "visible", timeout });
  const deadline = Date.now() + timeout;
  let got = "";
  while (Date.now() < deadline) {
    got = (await loc.textContent()) ?? "";
    if (want instanceof RegExp ? want.test(got) : got.trim() === want) return got;
    await page.waitForTimeout(100);
  }
  throw new Error(`${selector} shows "${got}", expected ${want}`);
}

const profile = mkdtempSync(join(tmpdir(), "camagent-chromium-"));
// A fresh profile directory every run (playwright passes it as --user-data-dir).
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
  httpCredentials: { username: env("WEB_USER"), password: env("WEB_PASS") },
  viewport: { width: 1000, height: 1100 },
});
try {
  const page = context.pages()[0] ?? (await context.newPage());
  const consoleErrors = [];
  page.on("pageerror", (e) => consoleErrors.push(e.message));

  await check("page_loads", async () => {
    const r = await page.goto(env("PAGE_URL"));
    if (!r || r.status() !== 200) throw new Error(`HTTP ${r && r.status()}`);
  });
  await check("shows_unenrolled", () => expectText(page, "#enroll", "unenrolled"));
  await check("shows_camera_os", () => expectText(page, "#os", /^\d+\.\d+/));
  await page.screenshot({ path: join(artifacts, "settings-unenrolled.png"), fullPage: true });

  await check("bad_token_refused", async () => {
    await page.fill("#token", "cam1.this-is-not-a-token");
    await page.click("#submit");
    await expectText(page, "#result", /damaged/);
    if (!(await page.locator("#result.bad").count())) throw new Error("not shown as an error");
  });
  await page.screenshot({ path: join(artifacts, "settings-bad-token.png"), fullPage: true });
  await check("still_unenrolled", () => expectText(page, "#enroll", "unenrolled"));

  await check("token_accepted", async () => {
    await page.fill("#token", env("TOKEN"));
    await page.click("#submit");
    await expectText(page, "#result", /Token accepted/);
  });
  await check("shows_enrolled", () => expectText(page, "#enroll", "enrolled", 30000));
  await check("shows_org", () => expectText(page, "#org", env("ORG")));
  await check("shows_folder", () => expectText(page, "#folder", env("FOLDER")));
  await check("token_form_hidden", async () => {
    if (await page.locator("#token-section").isVisible()) throw new Error("still visible");
  });
  await check("token_not_left_in_page", async () => {
    const html = await page.content();
    if (html.includes(env("TOKEN"))) throw new Error("the token is still in the page");
  });
  await page.screenshot({ path: join(artifacts, "settings-enrolled.png"), fullPage: true });
  await check("no_script_errors", async () => {
    if (consoleErrors.length) throw new Error(consoleErrors.join("; "));
  });
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
