// The console's upload form (cloud/console/js/pages/upload.js) in Debian's chromium against
// a real camcloud (tests/integration/test_console_upload.sh starts it): an owner signs in,
// uploads an application package and a multi-chunk AXIS OS image, and sees the progress
// bar reach the end and the catalog's answer; a viewer's upload is refused with the
// server's reason. One PASS/FAIL line per check; screenshots in ARTIFACTS.
// env: CONSOLE_URL, OWNER_EMAIL, VIEWER_EMAIL, PASSWORD, EAP, IMAGE, MODEL, ARTIFACTS
import {
  env, check, step, Stopped, assert, failed, launch, newUser, shooter, expectText,
  unlabelledControls,
} from "./console_lib.mjs";

const base = env("CONSOLE_URL");
const shot = shooter(env("ARTIFACTS"));
const { browser, close } = await launch();

async function signIn(page, email) {
  await page.goto(`${base}/console/#/signin`);
  await page.getByLabel("E-mail").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(env("PASSWORD"));
  await page.getByRole("button", { name: "Sign in" }).click();
  await expectText(page.locator("h1"), "Organizations");
}

let errors = [];
try {
  const { context, page } = await newUser(browser);
  await step("owner_signs_in", () => signIn(page, env("OWNER_EMAIL")));
  await step("upload_page_from_header", async () => {
    await page.locator("#upload-link").click();
    await expectText(page.locator("h1"), "Upload to the catalog");
  });
  await check("upload_form_labelled", async () => {
    const bad = await unlabelledControls(page);
    assert(bad.length === 0, `unlabelled: ${bad.join(", ")}`);
  });
  await step("package_uploaded", async () => {
    await page.getByLabel("File").setInputFiles(env("EAP"));
    await page.getByRole("button", { name: "Upload" }).click();
    await expectText(page.locator("#upload-result"), /Package analytics 1\.0\.0 for aarch64 is in the catalog/);
  });
  await shot(page, "upload-package");
  await check("package_progress_full", async () => {
    assert((await page.locator("#upload-progress").evaluate((p) => p.value)) === 1, "bar not at the end");
  });
  let seen = [];
  await step("image_uploaded_in_chunks", async () => {
    await page.getByLabel("What").selectOption("image");
    await page.getByLabel("Camera model (images)").fill(env("MODEL"));
    await page.getByLabel("AXIS OS version (images)").fill("13.1.0");
    await page.getByLabel("File").setInputFiles(env("IMAGE"));
    const watch = setInterval(async () => {
      try { seen.push(await page.locator("#upload-progress").evaluate((p) => p.value)); } catch { /* done */ }
    }, 20);
    await page.getByRole("button", { name: "Upload" }).click();
    await expectText(page.locator("#upload-result"), new RegExp(`Image ${env("MODEL")} 13\\.1\\.0 is in the catalog`));
    clearInterval(watch);
  });
  await shot(page, "upload-image");
  await check("image_status_counts_bytes", async () => {
    await expectText(page.locator("#upload-status"), /^Uploaded /);
  });
  await check("image_progress_moved_through_chunks", async () => {
    const between = seen.filter((v) => v > 0 && v < 1);
    assert(between.length > 0, `progress seen: ${[...new Set(seen)].join(", ")}`);
  });
  errors = errors.concat(page.errors);
  await context.close();

  const viewer = await newUser(browser);
  await step("viewer_signs_in", () => signIn(viewer.page, env("VIEWER_EMAIL")));
  await check("viewer_upload_refused", async () => {
    await viewer.page.goto(`${base}/console/#/upload`);
    await viewer.page.getByLabel("File").setInputFiles(env("EAP"));
    await viewer.page.getByRole("button", { name: "Upload" }).click();
    await expectText(viewer.page.locator("form[aria-label='Upload to the catalog'] .error"), /.+/);
  });
  await shot(viewer.page, "upload-viewer-refused");
  errors = errors.concat(viewer.page.errors);
  await check("no_page_errors", async () => assert(errors.length === 0, errors.join("; ")));
} catch (e) {
  if (!(e instanceof Stopped)) console.log(`FAIL upload_run: ${e.message}`);
}
await close();
process.exit(failed ? 1 : 0);
