// The application catalog and application tasks in the console (console.mjs runs these
// after the AXIS OS upgrades): the catalog with its manifest facts and a recommendation
// set; install, start and set parameters from the device page, each confirmed by the
// tasks view and the device's inventory; a folder task that skips the camera of another
// architecture, with the reason; a restart of every camera running the app.
import { check, step, assert, expectText } from "./console_lib.mjs";

const APP = "analytics";

// Starts an application task from the form in scope and waits for its one task to succeed.
async function runTask(page, scope, action, pkgLabel, params = {}) {
  await scope.getByLabel("Application action").selectOption(action);
  await scope.getByLabel("Application package").selectOption({ label: pkgLabel });
  for (const [k, v] of Object.entries(params)) await scope.getByLabel(k, { exact: true }).fill(v);
  await scope.getByRole("button", { name: /^Start (application task|task on cameras running it)$/ }).click();
  await expectText(page.locator("h1"), "Tasks");
  await expectText(page.locator("#job-detail h2"), new RegExp(`${action} ${APP} `));
  await page.locator("#job-detail [data-task-state], #skipped").first().waitFor();
  if (await page.locator("#skipped").count()) throw new Error(`skipped: ${await page.locator("#skipped").textContent()}`);
  await expectText(page.locator("#job-detail [data-task-state]"), "succeeded", 90000);
}

export async function catalog(page, shot) {
  await step("catalog_lists_packages", async () => {
    await page.getByRole("link", { name: "Applications" }).click();
    await expectText(page.locator("h1"), "Applications");
    const rows = page.locator(`section[data-app=${APP}] tbody tr`);
    await expectText(rows.first(), /^1\.0\.0\s*aarch64\s*12\.10-13/);
    assert((await rows.count()) === 3, `${await rows.count()} packages listed`);
    await expectText(page.locator(`section[data-app=${APP}]`), /armv7hf/);
    await expectText(page.locator(`section[data-app=${APP}] td[data-label=Parameters]`), "Sensitivity");
    await expectText(page.locator("#upload-package h2"), "Upload package");
  });
  await check("catalog_set_recommended", async () => {
    await page.getByRole("button", { name: `Recommend ${APP} 1.1.0 for aarch64` }).click();
    const row = page.locator(`section[data-app=${APP}] tbody tr`, { hasText: "1.1.0" }).filter({ hasText: "aarch64" });
    await expectText(row.locator("td[data-label=Recommended]"), "recommended");
    assert(!(await page.getByRole("button", { name: `Recommend ${APP} 1.1.0 for aarch64` }).count()), "still offered");
  });
  await shot(page, "apps-catalog");
}

export async function deviceAppTasks(page, devicePage, shot) {
  const onDevice = async () => { await page.goto(devicePage); await page.locator("#app-task form").waitFor(); return page.locator("#app-task"); };
  await step("app_installed_from_device_page", async () => {
    await runTask(page, await onDevice(), "install", `${APP} 1.1.0 (aarch64) recommended`);
  });
  await shot(page, "tasks-app-install");
  await check("app_task_in_tasks_list", () =>
    expectText(page.locator("table", { hasText: "Jobs, newest first" }).locator("td[data-label=Task]").first(), new RegExp(`^install ${APP} 1\\.1\\.0`)));
  await check("inventory_shows_installed_app", async () => {
    await onDevice();
    await expectText(page.locator("#device-apps tr", { hasText: APP }).locator("td[data-label=Version]"), "1.1.0", 30000);
  });
  await check("app_started_from_device_page", async () => {
    await runTask(page, await onDevice(), "start", `${APP} 1.1.0 (aarch64) recommended`);
    await onDevice();
    await expectText(page.locator("#device-apps tr", { hasText: APP }).locator("[data-running]"), "running", 30000);
  });
  await check("app_parameters_set", async () => {
    const scope = await onDevice();
    await scope.getByLabel("Application action").selectOption("set_params");
    await scope.getByLabel("Application package").selectOption({ label: `${APP} 1.1.0 (aarch64) recommended` });
    await expectText(scope.locator("fieldset.params"), /Sensitivity/);
    await runTask(page, scope, "set_params", `${APP} 1.1.0 (aarch64) recommended`, { Sensitivity: "9" });
  });
  await shot(page, "tasks-app-set-params");
  await onDevice();
  await page.locator("#device-apps tr", { hasText: APP }).waitFor();
  await shot(page, "device-apps");
  await check("device_task_leads_to_its_job", async () => {
    await page.locator("#tasks td[data-label=Target] a").first().click();
    await expectText(page.locator("#job-detail h2"), new RegExp(`set_params ${APP} 1\\.1\\.0`));
  });
}

export async function fleetAppTasks(page, shot) {
  await check("folder_task_skips_other_architecture", async () => {
    await page.getByRole("link", { name: "Devices" }).click();
    await page.locator("nav.tree button", { hasText: "Lobby" }).click();
    await expectText(page.locator("#devices-h"), /Lobby$/); // the folder's own draw, not the first one
    const card = page.locator("#app-task-devices");
    await card.getByLabel("Application task for").selectOption("folder");
    await card.getByLabel("Application action").selectOption("install");
    await card.getByLabel("Application package").selectOption({ label: `${APP} 1.1.0 (armv7hf)` });
    await card.getByRole("button", { name: "Start application task" }).click();
    await expectText(page.locator("h1"), "Tasks");
    await expectText(page.locator("#skipped"), new RegExp(`${process.env.SERIAL}: .*armv7hf.*aarch64`));
  });
  await shot(page, "tasks-app-skipped");
  await check("restart_every_camera_running_it", async () => {
    await page.getByRole("link", { name: "Applications" }).click();
    await runTask(page, page.locator("#running-task"), "restart", `${APP} 1.1.0 (aarch64) recommended`);
    await expectText(page.locator("#job-detail td[data-label=Serial]"), process.env.SERIAL);
  });
  await shot(page, "tasks-app-running");
}

// A viewer sees the catalog but cannot recommend or start a task.
export async function viewerApps(v, base, orgId) {
  await check("viewer_catalog_read_only", async () => {
    await v.goto(`${base}/console/#/org/${orgId}/apps`);
    await expectText(v.locator(`section[data-app=${APP}] h2`), APP);
    assert(!(await v.getByRole("button", { name: "Set recommended" }).count()), "recommend shown to a viewer");
    assert(!(await v.locator("#running-task").count()), "application task shown to a viewer");
  });
}
