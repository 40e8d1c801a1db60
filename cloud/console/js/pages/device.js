// device: one device's facts, its tasks, and (for operators) an upgrade of it.
import { api } from "../api.js";
import { h, clear, pill, when, table } from "../dom.js";
import { onlinePill, upgradeForm } from "./fleet.js";

export async function device(main, ctx) {
  const d = await api.device(ctx.params.device);
  const lic = await api.licenses(ctx.org.id).catch(() => ({ licenses: [] }));
  const mine = (lic.licenses || []).filter((l) => l.device_id === d.id);
  const facts = [
    ["Model", d.model], ["Serial", d.serial], ["AXIS OS", d.os_version], ["State", onlinePill(d)],
    ["Last contact", when(d.last_seen)], ["Folder", d.folder_path || d.folder],
    ["Agent", d.agent_version], ["Architecture", d.arch], ["Hardware id", d.hardware_id],
    ["Key fingerprint", d.key_fp], ["Enrolled", when(d.created_at)],
    ["Licenses", mine.length ? mine.map((l) => `${l.app}: ${l.state}`).join(", ") : "none"],
  ];
  const tasks = d.tasks || [];
  clear(main, h("h1", {}, `${d.model} ${d.serial}`),
    h("section", { "aria-labelledby": "facts-h" }, h("h2", { id: "facts-h" }, "Details"),
      h("dl", { class: "facts", id: "device-facts" }, facts.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v ?? "")]))),
    ctx.can("operate") && !d.removed
      ? h("section", { id: "upgrade-device", "aria-labelledby": "up-h" }, h("h2", { id: "up-h" }, "Upgrade AXIS OS"),
        await upgradeForm(ctx, "Upgrade device", new Set([d.model]), () => ({ device_ids: [d.id] })))
      : null,
    h("section", { "aria-labelledby": "tasks-h" }, h("h2", { id: "tasks-h" }, "Tasks"),
      tasks.length
        ? table("Tasks of this device", ["Target", "State", "Reason", "Updated"],
          tasks.map((t) => [t.target_version, pill(t.state), t.reason || "", when(t.updated_at)]))
        : h("p", { class: "muted" }, "No tasks yet.")));
}
