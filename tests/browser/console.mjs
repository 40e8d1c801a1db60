// The camcloud web console in Debian's chromium, end to end against a real camcloud and a
// simulated camera (tests/integration/test_console_browser.sh starts both). Prints one
// PASS/FAIL line per check and keeps a screenshot of every page in ARTIFACTS.
// env: CONSOLE_URL, ADMIN_TOKEN, HANDOFF (a directory shared with the script: the
// enrollment token goes out as HANDOFF/token), MODEL, TARGET_VERSION and NEXT_VERSION (the
// images there are), ARTIFACTS, MAIL_DIR (the SMTP sink's mails), SERIAL (the camera's),
// LICENSED_APP_ID (the application id of the product the camera runs; HANDOFF has the
// vendor's public key, its license keys and the camera's vendor key file)
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  env, check, step, Stopped, assert, failed, launch, newUser, shooter, expectText, readQr, totp,
  unlabelledControls,
} from "./console_lib.mjs";
import { licensesBeforeEnrollment, deviceLicenses, subscription, viewerLicenses, revokeAndExtension } from "./console_licenses.mjs";
import { catalog, deviceAppTasks, fleetAppTasks, viewerApps } from "./console_apps.mjs";

const base = env("CONSOLE_URL");
const shot = shooter(env("ARTIFACTS"));
const { browser, close } = await launch();
const pageErrors = [];

const OWNER = { email: "owner@example.com", password: "owner-password-1" };
const VIEWER = { email: "viewer@example.com", password: "viewer-password-1" };
let mfaSecret = "";

// The first owner: sign-up with the server's admin token and a new organization, two-step
// verification enrolled by its QR code, then signed out and in again with a TOTP code.
async function accountsFirstOwner(page) {
  await step("first_owner_signs_up", async () => {
    await page.getByRole("link", { name: "Create one" }).click();
    await expectText(page.locator("h1"), "Create an account");
    await shot(page, "signup");
    await page.getByLabel("E-mail").fill(OWNER.email);
    await page.getByLabel(/^Password \(/).fill(OWNER.password);
    await page.getByLabel("Password again").fill(OWNER.password);
    await page.getByLabel(/Create an organization named/).fill("Console Org");
    await page.locator("summary", { hasText: "First owner" }).click();
    await page.getByLabel("Server admin token").fill(env("ADMIN_TOKEN"));
    await page.getByRole("button", { name: "Create account" }).click();
    await expectText(page.locator("h1"), "Organizations");
    await expectText(page.locator("#org-list"), /Console Org\s*owner/);
  });
  await shot(page, "orgs");
  let confirmStep = 0;
  await step("mfa_enrolment_by_qr_code", async () => {
    await page.getByRole("link", { name: OWNER.email }).click();
    await page.getByRole("button", { name: "Enable two-step verification" }).click();
    await page.getByLabel("Your password").fill(OWNER.password);
    await page.getByRole("button", { name: "Continue" }).click();
    mfaSecret = (await page.locator("#mfa-secret").textContent()).trim();
    const uri = await readQr(page.locator("svg[data-qr]"));
    assert(uri.startsWith("otpauth://totp/") && uri.includes(`secret=${mfaSecret}`), `QR code says ${uri}`);
    await shot(page, "mfa-enrol");
    confirmStep = Math.floor(Date.now() / 30000);
    await page.getByLabel("Code from the app").fill(totp(mfaSecret));
    await page.getByRole("button", { name: "Confirm" }).click();
    await expectText(page.locator("#mfa-state"), /^Enabled/);
    assert((await page.locator("#recovery-codes li").count()) >= 8, "no recovery codes shown");
  });
  await shot(page, "mfa-enabled");
  await step("sign_in_asks_for_totp", async () => {
    await page.getByRole("button", { name: "Sign out" }).click();
    await expectText(page.locator("h1"), "Sign in");
    await page.getByLabel("E-mail").fill(OWNER.email);
    await page.getByLabel("Password", { exact: true }).fill(OWNER.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expectText(page.locator("form [role=alert]").first(), /authentication code/);
  });
  await shot(page, "signin-totp");
  await step("sign_in_with_totp", async () => {
    // A code is taken once per 30 s step: wait for the step after the one confirmed with.
    while (Math.floor(Date.now() / 30000) === confirmStep) await page.waitForTimeout(500);
    await page.getByLabel("Authentication code or recovery code").fill(totp(mfaSecret));
    await page.getByRole("button", { name: "Sign in" }).click();
    await expectText(page.locator("h1"), "Organizations");
    await page.locator("#org-list a", { hasText: "Console Org" }).click();
    await expectText(page.locator("h1"), "Devices");
  });
}

// The owner invites a viewer for the folder; the mail's link, opened by a new browser
// user, leads to sign-up with that address and joining. The viewer sees the devices but
// no upgrade control, and the API refuses an upgrade (403).
async function viewerCannotUpgrade(page, orgId, devicePage) {
  await step("invite_viewer", async () => {
    await page.getByRole("link", { name: "Users" }).click();
    await page.getByLabel("E-mail address to invite").fill(VIEWER.email);
    await page.getByLabel(/Lobby/).check();
    await page.getByRole("button", { name: "Send invitation" }).click();
    await expectText(page.locator("#invitations"), new RegExp(VIEWER.email));
  });
  await shot(page, "users-invited");
  let link = "";
  await step("invitation_mail_received", async () => {
    link = await mailLink(VIEWER.email, 30000);
  });
  const viewer = await newUser(browser, { width: 390, height: 844 });
  const v = viewer.page;
  await step("viewer_signs_up_from_the_mail", async () => {
    await v.goto(link);
    assert(new URL(v.url()).hash.startsWith("#/invite/"), `the link led to ${v.url()}`);
    await expectText(v.locator("#invite-about"), new RegExp(`${VIEWER.email} is invited to .* as viewer`));
    await shot(v, "phone-invite");
    await v.getByLabel(/^Choose a password/).fill(VIEWER.password);
    await v.getByLabel("Password again").fill(VIEWER.password);
    await v.getByRole("button", { name: "Create account and join" }).click();
    await expectText(v.locator("h1"), "Devices");
    await expectText(v.locator("#org-name"), /\(viewer\)$/);
  });
  await step("viewer_sees_no_upgrade_control", async () => {
    await v.locator("nav.tree button", { hasText: "Lobby" }).click();
    await expectText(v.locator("td[data-label='Model']"), env("MODEL"));
    assert(!(await v.locator("#upgrade-selection, #upgrade-folder").count()), "upgrade controls shown to a viewer");
    assert(!(await v.locator("#app-task-devices").count()), "application task shown to a viewer");
    assert(!(await v.getByRole("link", { name: "Enrollment" }).count()), "enrollment shown to a viewer");
    await shot(v, "phone-viewer-devices");
    await v.locator("td[data-label='Serial'] a").first().click();
    await expectText(v.locator("h1"), new RegExp(env("MODEL")));
    assert(!(await v.locator("#upgrade-device").count()), "device upgrade shown to a viewer");
    await shot(v, "phone-viewer-device");
  });
  await step("viewer_upgrade_refused_by_api", async () => {
    const deviceId = v.url().match(/device\/([0-9a-f]+)/)[1];
    const status = await v.evaluate(async (id) => {
      const { api, ApiError } = await import("/console/js/api.js");
      const { images } = await api.images();
      try {
        await api.jobCreate({ image_id: images[0].id, device_ids: [id] });
        return 200;
      } catch (e) {
        return e instanceof ApiError ? e.status : -1;
      }
    }, deviceId);
    assert(status === 403, `the API answered ${status}`);
  });
  await viewerLicenses(v, base, orgId, devicePage);
  await viewerApps(v, base, orgId);
  await shot(v, "phone-viewer-apps");
  pageErrors.push(...v.errors);
  await viewer.context.close();
}

// A personal API token (automation) capped at viewer: the console signed in with it
// shows the organization with that role, and no upgrade control.
async function apiTokenSignIn(page, orgId) {
  await check("api_token_sign_in_capped_role", async () => {
    const token = await page.evaluate(async (org) => {
      const { call } = await import("/console/js/api.js");
      return (await call("POST", "/me/api-tokens", { org_id: org, role: "viewer", name: "console test" })).token;
    }, orgId);
    const robot = await newUser(browser);
    const r = robot.page;
    await r.goto(`${base}/console/#/signin`);
    await r.locator("summary", { hasText: "API token" }).click();
    await r.getByLabel("API token", { exact: true }).fill(token);
    await r.getByRole("button", { name: "Use token" }).click();
    await expectText(r.locator("#org-list"), /Console Org\s*viewer/);
    await r.locator("#org-list a", { hasText: "Console Org" }).click();
    await expectText(r.locator("h1"), "Devices");
    await r.locator("nav.tree").waitFor();
    assert(!(await r.locator("#upgrade-selection").count()), "upgrade controls shown to a viewer token");
    await r.getByRole("link", { name: "Licenses" }).click();
    await expectText(r.locator("section[data-product=Plates] h2"), "Plates");
    assert(!(await r.getByRole("button", { name: "Redeem", exact: true }).count()), "redeem shown to a viewer token");
    pageErrors.push(...r.errors);
    await robot.context.close();
  });
}

// The first link in the newest mail to `to` in the SMTP sink's directory.
async function mailLink(to, timeout) {
  const dir = env("MAIL_DIR");
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    for (const f of readdirSync(dir).filter((n) => n.endsWith(".eml")).sort().reverse()) {
      const text = readFileSync(join(dir, f), "utf8");
      if (!text.toLowerCase().includes(to)) continue;
      const body = text.replace(/=\r?\n/g, "").replace(/=3D/g, "=");
      const m = body.match(/https?:\/\/[^\s"<>]+/);
      if (m) return m[0];
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`no mail with a link to ${to}`);
}

try {
  const owner = await newUser(browser);
  const page = owner.page;
  let orgId = "";

  await step("root_redirects_to_console", async () => {
    const r = await page.goto(`${base}/`);
    assert(r && r.status() === 200, `HTTP ${r && r.status()}`);
    assert(new URL(page.url()).pathname === "/console/", `landed on ${page.url()}`);
  });
  await step("signed_out_shows_sign_in", () => expectText(page.locator("h1"), "Sign in"));
  await shot(page, "signin");

  await accountsFirstOwner(page);
  orgId = page.url().match(/#\/org\/([0-9a-f]+)\//)[1];
  await shot(page, "orgs-devices-empty");

  await step("create_folder", async () => {
    const folders = page.locator("nav.tree button");
    if (!(await folders.count())) {
      // No default folder on this cloud: the first one is made through the API.
      await page.evaluate(async (org) => {
        const { api } = await import("/console/js/api.js");
        await api.folderCreate(org, "Site A");
      }, orgId);
      await page.reload();
    }
    await page.getByLabel("New subfolder name").fill("Lobby");
    await page.getByRole("button", { name: "Add folder" }).click();
    await expectText(page.locator('nav.tree button[aria-current="true"]'), /^Lobby \(0\)$/);
  });

  await licensesBeforeEnrollment(page, shot);
  await page.getByRole("link", { name: "Devices" }).click();
  await page.locator("nav.tree").waitFor();

  await check("folder_delete_shows_preview_then_deletes", async () => {
    await page.getByLabel("New subfolder name").fill("Spare");
    await page.getByRole("button", { name: "Add folder" }).click();
    await expectText(page.locator('nav.tree button[aria-current="true"]'), /^Spare \(0\)$/);
    await page.getByRole("button", { name: "Delete folder Spare…" }).click();
    await expectText(page.locator("#folder-delete"), /removes 0 subfolder\(s\), decommissions 0 device\(s\)/);
    await shot(page, "folder-delete-preview");
    await page.getByRole("button", { name: "Delete it all" }).click();
    await page.waitForTimeout(500);
    await page.locator("nav.tree").waitFor();
    assert(!(await page.locator("nav.tree button", { hasText: "Spare" }).count()), "Spare is still there");
  });

  let token = "";
  await step("enrollment_token_created", async () => {
    await page.getByRole("link", { name: "Enrollment" }).click();
    await expectText(page.locator("h1"), "Enrollment");
    const folder = page.getByLabel("Folder the cameras join");
    await folder.selectOption(await folder.locator("option", { hasText: "Lobby" }).getAttribute("value"));
    await page.getByRole("button", { name: "Create token" }).click();
    await page.locator("#token-value").waitFor();
    token = await page.locator("#token-value").inputValue();
    assert(token.length > 20, "no token shown");
  });
  await check("token_qr_code_reads_back", async () => {
    const text = await readQr(page.locator("#new-token svg[data-qr]"));
    assert(text === token, "the QR code is not the token");
  });
  await check("token_copy_button", async () => {
    await owner.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: base });
    await page.getByRole("button", { name: "Copy token" }).click();
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    assert(copied === token, "clipboard does not hold the token");
  });
  await shot(page, "tokens");
  writeFileSync(join(env("HANDOFF"), "token"), token);

  await step("device_appears_in_folder", async () => {
    await page.getByRole("link", { name: "Devices" }).click();
    const deadline = Date.now() + 40000;
    while (Date.now() < deadline) {
      await page.locator("nav.tree button", { hasText: "Lobby" }).click();
      if (await page.locator("td", { hasText: env("MODEL") }).count()) break;
      await page.waitForTimeout(1000);
      await page.reload();
      await page.locator("h1").waitFor();
    }
    await expectText(page.locator("td[data-label='State']"), "online");
    await expectText(page.locator("td[data-label='AXIS OS']"), /^\d+\.\d+/);
    // the preloaded license, delivered when the camera enrolled (active: the device page)
    await expectText(page.locator("td[data-label='Licenses']"), new RegExp(`^${env("LICENSED_APP_ID")}: (pending|active)$`));
  });
  await shot(page, "devices");

  await step("device_page", async () => {
    await page.locator("td[data-label='Serial'] a").first().click();
    await expectText(page.locator("h1"), new RegExp(env("MODEL")));
    await expectText(page.locator("#device-facts"), /Last contact/);
  });
  await shot(page, "device");
  const devicePage = page.url();
  await deviceLicenses(page, shot);
  await subscription(page, shot);

  await viewerCannotUpgrade(page, orgId, devicePage);
  await apiTokenSignIn(page, orgId);
  await page.goto(devicePage);
  await expectText(page.locator("h1"), new RegExp(env("MODEL")));

  await step("upgrade_started_from_device_page", async () => {
    await page.getByLabel("AXIS OS version").selectOption({ label: `${env("MODEL")} ${env("TARGET_VERSION")}` });
    await page.getByRole("button", { name: "Upgrade device" }).click();
    await expectText(page.locator("h1"), "Tasks");
  });
  await step("tasks_view_reaches_succeeded", async () => {
    await expectText(page.locator("#job-detail [data-task-state]"), "succeeded", 90000);
  });
  await shot(page, "tasks");
  await check("device_shows_new_version", async () => {
    await page.getByRole("link", { name: "Devices" }).click();
    await page.locator("nav.tree button", { hasText: "Lobby" }).click();
    await expectText(page.locator("td[data-label='AXIS OS']"), env("TARGET_VERSION"), 30000);
  });

  await step("upgrade_a_selection", async () => {
    await page.getByRole("checkbox", { name: new RegExp(`Select ${env("MODEL")}`) }).check();
    const form = page.locator("#upgrade-selection");
    await form.getByLabel("AXIS OS version").selectOption({ label: `${env("MODEL")} ${env("NEXT_VERSION")}` });
    await form.getByRole("button", { name: "Upgrade selected" }).click();
    await expectText(page.locator("h1"), "Tasks");
    await expectText(page.locator("#job-detail h2"), new RegExp(`to ${env("NEXT_VERSION")}`));
    await expectText(page.locator("#job-detail [data-task-state]"), "succeeded", 90000);
  });
  await check("upgrade_a_folder_skips_what_is_current", async () => {
    await page.getByRole("link", { name: "Devices" }).click();
    await page.locator("nav.tree button", { hasText: "Lobby" }).click();
    await expectText(page.locator("#devices-h"), /Lobby$/); // the folder's own draw, not the first one
    await expectText(page.locator("td[data-label='AXIS OS']"), env("NEXT_VERSION"), 30000);
    const form = page.locator("#upgrade-folder");
    await form.getByLabel("AXIS OS version").selectOption({ label: `${env("MODEL")} ${env("NEXT_VERSION")}` });
    await form.getByRole("button", { name: "Upgrade folder" }).click();
    await expectText(page.locator("h1"), "Tasks");
    await expectText(page.locator("#job-detail"), /Skipped/);
  });
  await shot(page, "tasks-folder-job");

  await catalog(page, shot);
  await deviceAppTasks(page, devicePage, shot);
  await fleetAppTasks(page, shot);
  await revokeAndExtension(page, devicePage, shot);

  await step("settings_page", async () => {
    await page.getByRole("link", { name: "Settings" }).click();
    await expectText(page.locator("#org-id"), orgId);
  });
  await check("settings_rename_and_notes", async () => {
    await page.getByLabel("Name", { exact: true }).fill("Console Org Renamed");
    await page.getByLabel("Notes").fill("Cameras of the test site");
    await page.getByRole("button", { name: "Save" }).click();
    await expectText(page.locator("#org-name"), "Console Org Renamed (owner)");
    await expectText(page.locator("dl.facts dd").nth(2), "Cameras of the test site");
  });
  await shot(page, "settings");
  await step("history_page", async () => {
    await page.getByRole("link", { name: "History" }).click();
    await expectText(page.locator("#history-rows"), /org\.update/);
    // the licenses and applications done in the console, with who did them
    await page.getByLabel(/^Kind/).fill("license");
    await page.getByRole("button", { name: "Filter" }).click();
    await expectText(page.locator("#history-rows"), /owner@example\.com\s*license\.revoke/);
    await page.getByLabel(/^Kind/).fill("device.enroll");
    await page.getByRole("button", { name: "Filter" }).click();
    await expectText(page.locator("#history-rows"), /device\.enroll/);
  });
  await shot(page, "history");

  // A phone-sized screen: every page still usable, no sideways scrolling.
  await check("phone_layout", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    for (const section of ["devices", "tasks", "tokens", "history", "settings", "licenses", "apps"]) {
      await page.goto(`${base}/console/#/org/${orgId}/${section}`);
      await page.locator("h1").waitFor();
      await page.waitForTimeout(300);
      const wide = await page.evaluate(() => document.documentElement.scrollWidth);
      assert(wide <= 390, `${section} is ${wide}px wide`);
      await shot(page, `phone-${section}`);
    }
  });

  await check("every_control_labelled", async () => {
    await page.setViewportSize({ width: 1200, height: 900 });
    for (const section of ["devices", "tasks", "tokens", "users", "settings", "history", "licenses", "apps"]) {
      await page.goto(`${base}/console/#/org/${orgId}/${section}`);
      await page.locator("h1").waitFor();
      await page.waitForTimeout(300);
      const bad = await unlabelledControls(page);
      assert(!bad.length, `${section}: ${bad.join(" | ")}`);
    }
  });
  await check("keyboard_reaches_navigation", async () => {
    await page.goto(`${base}/console/#/org/${orgId}/devices`);
    await page.reload();
    await page.locator("h1").waitFor();
    await page.keyboard.press("Tab");
    const first = await page.evaluate(() => document.activeElement.textContent);
    assert(/Skip to content/.test(first), `first Tab lands on "${first}"`);
  });
  await check("archive_needs_the_id_typed_back", async () => {
    await page.goto(`${base}/console/#/org/${orgId}/settings`);
    await page.getByLabel("Type the organization id to confirm").fill("not-the-id");
    await page.getByLabel(/I understand/).check();
    await page.getByRole("button", { name: "Archive organization" }).click();
    await expectText(page.locator("#archive [role=alert]"), /does not match/);
  });
  await check("archive_organization", async () => {
    await page.getByLabel("Type the organization id to confirm").fill(orgId);
    await page.getByRole("button", { name: "Archive organization" }).click();
    await expectText(page.locator("h1"), "Organizations");
    assert(!(await page.locator("#org-list a", { hasText: "Console Org" }).count()), "the archived organization is still listed");
  });
  await shot(page, "orgs-after-archive");
  pageErrors.push(...page.errors);
  await check("no_script_errors", () => assert(!pageErrors.length, pageErrors.join("; ")));
} catch (e) {
  if (!(e instanceof Stopped)) throw e;
  console.log(e.message);
} finally {
  await close();
}
process.exit(failed ? 1 : 0);
