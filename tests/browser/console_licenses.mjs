// The licenses page and a device's licenses, in the console (console.mjs runs these in
// its order): a product registered and a vendor key file imported before the camera
// enrolls; the preloaded license active on the device page once it has; keys redeemed,
// the subscription started and the allocation dialog refusing, with the reason, until
// the wallet holds the need; an extension license allocated to the camera; a revocation
// reaching the camera; and what a viewer may not do.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { check, step, assert, expectText } from "./console_lib.mjs";

const handoff = (name) => readFileSync(join(process.env.HANDOFF, name), "utf8").trim();
const product = (page) => page.locator("section[data-product=Plates]");
const SERIAL = () => process.env.SERIAL;

async function redeem(page, file) {
  await page.getByLabel("License key", { exact: true }).fill(handoff(file));
  await page.getByRole("button", { name: "Redeem", exact: true }).click();
}

export async function licensesBeforeEnrollment(page, shot) {
  await step("licenses_page", async () => {
    await page.getByRole("link", { name: "Licenses" }).click();
    await expectText(page.locator("h1"), "Licenses");
    await expectText(page.locator("#products"), /No products registered yet/);
  });
  await step("product_registered", async () => {
    await page.getByLabel("Product name").fill("Plates");
    await page.getByLabel("Application id", { exact: true }).fill(process.env.LICENSED_APP_ID);
    await page.getByLabel("The vendor's key-signing public key (PEM)").fill(handoff("vendor.pub"));
    await page.getByRole("button", { name: "Register product" }).click();
    await expectText(product(page).locator("h2"), "Plates");
    await expectText(product(page), /Subscription\s*not started/);
    await expectText(product(page).locator("[data-count=subscription]"), "0");
  });
  await step("preloaded_key_file_imported", async () => {
    await page.getByLabel(/^Key files/).setInputFiles(join(process.env.HANDOFF, "camera-key.xml"));
    await page.getByRole("button", { name: "Import key files" }).click();
    await expectText(page.locator("#hardware-licenses td[data-label=Serial]"), `${SERIAL()} (not enrolled)`);
    await expectText(page.locator("#hardware-licenses td[data-label='Key file']"), "vendor key file");
  });
  await check("license_preloaded_by_serial", async () => {
    await page.getByLabel("Serial of the hardware").fill("ACCC8E00FFFF");
    await page.getByLabel("Application id of the license").fill(process.env.LICENSED_APP_ID);
    await page.getByLabel(/^Valid through/).fill("2031-06-30");
    await page.getByRole("button", { name: "Preload license" }).click();
    const row = page.locator("#hardware-licenses tr", { hasText: "ACCC8E00FFFF" });
    await expectText(row.locator("td[data-label=Serial]"), "ACCC8E00FFFF (not enrolled)");
    await expectText(row.locator("td[data-label=Expires]"), "2031-06-30 23:59:59 UTC");
    await expectText(row.locator("td[data-label='Key file']"), "camcloud token");
  });
  await shot(page, "licenses-preloaded");
}

// On the device page, after the camera enrolled.
export async function deviceLicenses(page, shot) {
  await step("preloaded_license_active_after_enrollment", async () => {
    await expectText(page.locator("#device-licenses [data-license-kind]"), "tied");
    await expectText(page.locator("#device-licenses [data-license-state]"), "active", 60000);
  });
  await check("device_license_events", () => expectText(page.locator("#device-license-events"), /granted[\s\S]*active/, 20000));
  await check("device_apps_inventory", async () => {
    await expectText(page.locator("#device-apps td[data-label=Application]"), "plates");
    await expectText(page.locator("#device-apps td[data-label='Application id']"), process.env.LICENSED_APP_ID);
    await expectText(page.locator("#device-apps [data-running]"), "running");
  });
  await shot(page, "device-licenses");
}

export async function subscription(page, shot) {
  const p = product(page);
  const dlg = page.locator("#allocation-dialog");
  await step("key_redeemed_into_wallet", async () => {
    await page.getByRole("link", { name: "Licenses" }).click();
    await redeem(page, "key-extension.txt");
    await expectText(page.locator("#status"), /^Added 1 extension to the wallet; unallocated, they lapse on \d{4}-/);
    await expectText(p.locator("[data-count=extension]"), "1");
  });
  await check("wallet_shows_when_licenses_lapse", async () => {
    const fiveYears = String(new Date().getUTCFullYear() + 5);
    await expectText(p.locator("td[data-label=State]"), new RegExp(`^held until ${fiveYears}-`));
    await expectText(p.locator("td[data-label=Lapses]"), new RegExp(`^${fiveYears}-`));
  });
  await check("key_redeemed_twice_refused", async () => {
    await redeem(page, "key-extension.txt");
    await expectText(page.locator("form[aria-label='Redeem a license key'] [role=alert]"), /already redeemed .*in this organization/);
  });
  await step("subscription_started_with_grace_end", async () => {
    await p.getByRole("button", { name: "Start the Plates subscription" }).click();
    await expectText(p.locator("[data-subscription-status]"), "subscription started");
    const end = new Date(Date.now() + 30 * 86400e3).toISOString().slice(0, 10);
    await expectText(p, new RegExp(`Grace period ends\\s*${end}`));
    await expectText(p, /Current need\s*1/);
  });
  await step("allocation_dialog_says_why_not", async () => {
    await p.getByRole("button", { name: "Allocate Plates licenses…" }).click();
    await expectText(dlg.locator("#allocation-why"), /the wallet holds fewer licenses than the current need/);
    await expectText(dlg, /Short by\s*1/);
    assert(await dlg.getByRole("button", { name: "Confirm allocation" }).isDisabled(), "confirm is enabled");
  });
  await shot(page, "allocation-refused");
  await step("allocation_confirmed_fully_licensed", async () => {
    await dlg.getByRole("button", { name: "Cancel" }).click();
    await redeem(page, "key-subscription.txt");
    await expectText(p.locator("[data-count=subscription]"), "3");
    await p.getByRole("button", { name: "Allocate Plates licenses…" }).click();
    await expectText(dlg.locator("[data-allowed]"), /^Can be confirmed: 1 license/);
    await dlg.getByLabel("Licenses to allocate").fill("5");
    await expectText(dlg.locator("#allocation-why"), /fewer licenses than asked for/);
    assert(await dlg.getByRole("button", { name: "Confirm allocation" }).isDisabled(), "confirm is enabled when short");
    await dlg.getByLabel("Licenses to allocate").fill("1");
    await expectText(dlg.locator("[data-allowed]"), /^Can be confirmed/);
    await shot(page, "allocation-allowed");
    await dlg.getByRole("button", { name: "Confirm allocation" }).click();
    await expectText(p.locator("[data-subscription-status]"), "fully licensed");
    await expectText(p.locator("[data-count=subscription]"), "2");
  });
  await check("product_license_events", async () => {
    await p.getByRole("button", { name: "Show Plates license events" }).click();
    await expectText(p.locator(".events"), /granted[\s\S]*active/);
  });
  await shot(page, "licenses");
}

// The viewer (its own browser) reads the licenses but gets none of the controls, and the
// API refuses a redemption.
export async function viewerLicenses(v, base, orgId, devicePage) {
  await check("viewer_licenses_read_only", async () => {
    await v.goto(`${base}/console/#/org/${orgId}/licenses`);
    await expectText(product(v).locator("[data-subscription-status]"), "fully licensed");
    for (const name of ["Redeem", "Register product", "Import key files", "Allocate Plates licenses…", "Allocate to device"])
      assert(!(await v.getByRole("button", { name, exact: true }).count()), `${name} shown to a viewer`);
    assert(!(await v.locator("#hardware-licenses button").count()), "revoke shown to a viewer");
  });
  await check("viewer_redeem_refused_by_api", async () => {
    const status = await v.evaluate(async (org) => {
      const { api, ApiError } = await import("/console/js/api.js");
      try { await api.keyRedeem(org, "x.y"); return 200; } catch (e) { return e instanceof ApiError ? e.status : -1; }
    }, orgId);
    assert(status === 403, `the API answered ${status}`);
  });
  await check("viewer_device_licenses_without_revoke", async () => {
    await v.goto(devicePage);
    await expectText(v.locator("#device-licenses [data-license-state]"), "active");
    assert(!(await v.locator("#device-licenses button").count()), "revoke shown to a viewer");
    assert(!(await v.locator("#app-task").count()), "application task shown to a viewer");
  });
}

// Last: the owner revokes the preloaded license on the device page; the camera takes the
// key off; then an extension license is allocated to the camera from the wallet.
export async function revokeAndExtension(page, devicePage, shot) {
  await check("revoke_reaches_the_camera", async () => {
    await page.goto(devicePage);
    await page.getByRole("button", { name: `Revoke the ${process.env.LICENSED_APP_ID} license of ${SERIAL()}` }).click();
    await expectText(page.locator("#device-licenses [data-license-state]"), /^(revoked|removed)$/);
    await expectText(page.locator("#device-licenses [data-license-state]"), "removed", 60000);
    await expectText(page.locator("#device-license-events"), /revoked[\s\S]*removed|removed[\s\S]*revoked/);
  });
  await shot(page, "device-license-revoked");
  await check("extension_allocated_to_the_camera", async () => {
    await page.getByRole("link", { name: "Licenses" }).click();
    const p = product(page);
    await p.getByLabel("Device", { exact: true }).selectOption(SERIAL());
    await p.getByRole("button", { name: "Allocate to device" }).click();
    await expectText(p.locator("[data-count=extension]"), "0");
    await expectText(p.locator("table", { hasText: "Extension licenses allocated" }).locator("td[data-label=Serial]"), SERIAL());
    await expectText(page.locator("#hardware-licenses"), /extension/);
  });
}
