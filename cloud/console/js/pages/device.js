// device: one device's facts, its licenses (revocable by admins) and their events, the
// applications it reported (its inventory), its tasks, and (for operators) an AXIS OS
// upgrade or an application task for it.
import { api } from "../api.js";
import { h, clear, pill, when, table } from "../dom.js";
import { onlinePill, upgradeForm } from "./fleet.js";
import { licenseTable, eventsTable, expiry } from "./licensing.js";
import { appTaskForm } from "./apptask.js";

const section = (id, title, ...body) =>
  h("section", { id, "aria-labelledby": `${id}-h` }, h("h2", { id: `${id}-h` }, title), body);

export async function device(main, ctx) {
  const d = await api.device(ctx.params.device);
  const facts = [
    ["Model", d.model], ["Serial", d.serial], ["AXIS OS", d.os_version], ["State", onlinePill(d)],
    ["Last contact", when(d.last_seen)], ["Folder", d.folder_path || d.folder],
    ["Agent", d.agent_version], ["Architecture", d.arch], ["Hardware id", d.hardware_id],
    ["Key fingerprint", d.key_fp], ["Enrolled", when(d.created_at)],
  ];
  // The agent is up but its camera does not answer: what it reports is from before.
  const notReady = d.last_report && d.last_report.camera_not_ready;
  if (notReady) facts.unshift(["Camera", h("span", { id: "camera-not-ready" }, pill("not ready", "warn"), " ", notReady)]);
  const licBox = h("div", { id: "device-licenses" });
  const eventsBox = h("div", { id: "device-license-events" });
  const appsBox = h("div", { id: "device-apps" });
  const drawLicenses = async () => {
    const [{ licenses }, { events }] = await Promise.all([
      api.licenses(ctx.org.id, { serial: d.serial }), api.licenseEvents(ctx.org.id, { serial: d.serial })]);
    clear(licBox, licenses.length ? licenseTable(ctx, licenses, drawLicenses, { serial: false }) : h("p", { class: "muted" }, "No licenses."));
    clear(eventsBox, eventsTable(`License events of ${d.serial}`, events));
  };
  const drawApps = async () => {
    const { apps } = await api.deviceApps(d.id);
    clear(appsBox, apps.length ? table("Applications the device reported", ["Application", "Version", "Vendor", "Running", "License", "License expires", "Application id"],
      apps.map((a) => [a.name, a.version, a.vendor, h("span", { "data-running": a.running ? "yes" : "no" }, a.running ? pill("running", "active") : pill("stopped", "")),
        a.license_state || "", a.license_exp ? expiry(a.license_exp) : "", a.app_id || ""]))
      : h("p", { class: "muted" }, "The device has reported no applications."));
  };
  const operate = ctx.can("operate") && !d.removed;
  let appTask = null;
  if (operate) {
    const { packages } = await api.packages();
    const fits = packages.filter((p) => !d.arch || p.architecture === d.arch);
    appTask = section("app-task", "Application task", appTaskForm(ctx, "Start application task", fits, () => ({ device_ids: [d.id] })));
  }
  const tasks = d.tasks || [];
  clear(main, h("h1", {}, `${d.model} ${d.serial}`),
    section("facts", "Details", h("dl", { class: "facts", id: "device-facts" }, facts.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v ?? "")]))),
    section("licenses", "Licenses", licBox),
    section("apps", "Applications", appsBox),
    operate ? section("upgrade-device", "Upgrade AXIS OS", await upgradeForm(ctx, "Upgrade device", new Set([d.model]), () => ({ device_ids: [d.id] }))) : null,
    appTask,
    section("tasks", "Tasks", tasks.length
      ? table("Tasks of this device", ["Target", "State", "Reason", "Updated"],
        tasks.map((t) => [t.job_id ? h("a", { href: `#/org/${ctx.org.id}/tasks?job=${t.job_id}`, "aria-label": `Job of the task to ${t.target_version}` }, t.target_version) : t.target_version,
          pill(t.state), t.reason || "", when(t.updated_at)]))
      : h("p", { class: "muted" }, "No tasks yet.")),
    section("license-events", "License events", eventsBox));
  await Promise.all([drawLicenses(), drawApps()]);
  ctx.every(5000, () => { drawLicenses().catch(() => {}); drawApps().catch(() => {}); });
}
