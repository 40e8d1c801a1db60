// Shared by the console's browser tests: chromium (Debian) through playwright-core, one
// PASS/FAIL line per check (tests/run.sh counts them), screenshots, QR decoding, TOTP.
import { chromium } from "playwright-core";
import { createHmac } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import jsQR from "jsqr";
import { PNG } from "pngjs";

export const env = (k) => {
  if (!process.env[k]) throw new Error(`${k} is not set`);
  return process.env[k];
};

export let failed = 0;
export async function check(name, fn) {
  try {
    await fn();
    console.log(`PASS ${name}`);
    return true;
  } catch (e) {
    failed++;
    console.log(`FAIL ${name}: ${String(e.message).split("\n")[0]}`);
    return false;
  }
}

// A check the following ones build on: when it fails, the run stops there.
export class Stopped extends Error {}
export async function step(name, fn) {
  if (!(await check(name, fn))) throw new Stopped(`stopped after ${name}`);
}

export function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

// RFC 6238 TOTP (SHA-1, 30 s, 6 digits) from a base32 secret, with Node's HMAC.
export function totp(secretB32, at = Date.now()) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const ch of secretB32.replace(/=+$/, "").toUpperCase()) {
    const v = alphabet.indexOf(ch);
    if (v < 0) throw new Error(`not base32: ${ch}`);
    bits += v.toString(2).padStart(5, "0");
  }
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 1000 / 30)));
  const mac = createHmac("sha1", key).update(counter).digest();
  const off = mac[mac.length - 1] & 0xf;
  const n = (mac.readUInt32BE(off) & 0x7fffffff) % 1000000;
  return String(n).padStart(6, "0");
}

// The text of the QR code an element shows, read back from a screenshot of it.
export async function readQr(locator) {
  const png = PNG.sync.read(await locator.screenshot());
  const code = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
  if (!code) throw new Error("no QR code could be read");
  return code.data;
}

export async function launch() {
  const profile = mkdtempSync(join(tmpdir(), "camcloud-chromium-"));
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  return { browser, close: async () => { await browser.close(); rmSync(profile, { recursive: true, force: true }); } };
}

// A new signed-out user: own cookies, desktop or phone viewport; script errors collected.
export async function newUser(browser, viewport = { width: 1200, height: 900 }) {
  const context = await browser.newContext({ viewport });
  context.setDefaultTimeout(10000);
  const page = await context.newPage();
  page.errors = [];
  page.on("pageerror", (e) => page.errors.push(e.message));
  // Refusals (4xx) are part of the tests; a server error or an uncaught exception is not.
  page.on("response", (r) => { if (r.status() >= 500) page.errors.push(`${r.status()} ${r.url()}`); });
  return { context, page };
}

export function shooter(dir) {
  mkdirSync(dir, { recursive: true });
  return async (page, name) => {
    await page.waitForTimeout(150); // let the last poll's redraw land
    await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
  };
}

// Waits for text in a locator (string: exact after trim, RegExp: matched).
export async function expectText(locator, want, timeout = 15000) {
  const deadline = Date.now() + timeout;
  let got = "";
  while (Date.now() < deadline) {
    got = ((await locator.count()) ? await locator.first().textContent() : "") ?? "";
    if (want instanceof RegExp ? want.test(got) : got.trim() === want) return got;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`shows "${got.trim().slice(0, 120)}", expected ${want}`);
}

// Every control on the page has an accessible name (a label, aria-label or its text).
export async function unlabelledControls(page) {
  return page.evaluate(() => {
    const bad = [];
    for (const el of document.querySelectorAll("input, select, textarea, button, a[href]")) {
      if (el.type === "hidden" || el.closest("[hidden]")) continue;
      const named = el.getAttribute("aria-label") || (el.labels && el.labels.length) ||
        (el.textContent || "").trim();
      if (!named) bad.push(el.outerHTML.slice(0, 80));
    }
    return bad;
  });
}
