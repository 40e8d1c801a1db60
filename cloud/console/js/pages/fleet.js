// fleet: what several pages share about devices: an organization's devices with their
// license state, and the upgrade form (image choice + start), which starts a job.
import { api } from "../api.js";
import { h, field, option, pill, when, announce } from "../dom.js";
import { form } from "./form.js";

// The organization's folders (depth first) and its devices, each with .licenses (text).
export async function loadFleet(orgId) {
  const [{ folders }, { devices }, lic] = await Promise.all([
    api.folders(orgId), api.devices(orgId), api.licenses(orgId).catch(() => ({ licenses: [] })),
  ]);
  const inOrg = new Set(folders.map((f) => f.id));
  const byDevice = new Map();
  for (const l of lic.licenses || []) {
    if (!byDevice.has(l.device_id)) byDevice.set(l.device_id, []);
    byDevice.get(l.device_id).push(`${l.app}: ${l.state}`);
  }
  const mine = devices.filter((d) => inOrg.has(d.folder_id));
  for (const d of mine) d.licenses = (byDevice.get(d.id) || []).join(", ") || "none";
  return { folders, devices: mine };
}

export function onlinePill(d) {
  return d.online ? pill("online") : pill("offline");
}

export function deviceFacts(d) {
  return [d.model, d.serial, d.os_version || "?", onlinePill(d), d.licenses, when(d.last_seen)];
}
export const DEVICE_COLUMNS = ["Model", "Serial", "AXIS OS", "State", "Licenses", "Last contact"];

// An upgrade form: pick an AXIS OS image (of the given models when known) and start a job
// with target(), which returns {device_ids} or {folder_id}; then the tasks view.
export async function upgradeForm(ctx, label, models, target) {
  const { images } = await api.images();
  const usable = images.filter((i) => !models || models.has(i.model));
  const image = field("AXIS OS version", {
    tag: "select", name: "image",
    options: usable.length
      ? usable.map((i) => option(i.id, `${i.model} ${i.version}${i.recommended ? " (recommended)" : ""}`, i.recommended))
      : [option("", "no image uploaded for these models")],
  });
  const downgrade = h("input", { type: "checkbox", id: `${label.replace(/\W+/g, "-")}-dg`, name: "allow-downgrade" });
  return form(label, [image.wrap,
    h("label", { class: "inline", for: downgrade.id }, downgrade, "Allow a downgrade")], label, async () => {
    if (!image.input.value) throw new Error("Upload an AXIS OS image for this model first.");
    const t = target();
    if (!t) throw new Error("Select at least one device.");
    const job = await api.jobCreate({ image_id: image.input.value, allow_downgrade: downgrade.checked, ...t });
    announce("Upgrade started.");
    ctx.go(`#/org/${ctx.org.id}/tasks?job=${job.id}`);
  });
}
