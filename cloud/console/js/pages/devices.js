// devices: the folder tree beside the devices of the chosen folder (its subfolders' too),
// with a selection to upgrade or give an application task, or the whole folder; new
// folders for managers.
import { api } from "../api.js";
import { h, clear, field, option, table } from "../dom.js";
import { form } from "./form.js";
import { loadFleet, deviceFacts, DEVICE_COLUMNS, upgradeForm } from "./fleet.js";
import { appTaskForm } from "./apptask.js";

function subtree(folders, rootId) {
  const ids = new Set([rootId]);
  for (const f of folders) if (f.parent_id && ids.has(f.parent_id)) ids.add(f.id); // depth first
  return ids;
}

// Roots are the folders whose parent is not listed: the top folders, or for an operator
// or viewer the folders granted to them.
function tree(folders, selected, pick) {
  const listed = new Set(folders.map((f) => f.id));
  const kids = (pid) => folders.filter((f) => (listed.has(f.parent_id) ? f.parent_id : null) === pid);
  const level = (pid) => {
    const list = kids(pid);
    if (!list.length) return null;
    return h("ul", {}, list.map((f) => h("li", {},
      h("button", { type: "button", "aria-current": f.id === selected ? "true" : undefined,
        "data-folder": f.name, onclick: () => pick(f.id) }, `${f.name} (${f.devices})`),
      level(f.id))));
  };
  return h("nav", { class: "tree", "aria-label": "Folders" }, level(null));
}

export async function devices(main, ctx) {
  const { folders, devices: all } = await loadFleet(ctx.org.id);
  let selected = ctx.query.get("folder") || folders[0]?.id;
  const list = h("div", {});
  const side = h("section", { "aria-labelledby": "folders-h" });

  const draw = async () => {
    const ids = subtree(folders, selected);
    const folder = folders.find((f) => f.id === selected);
    const shown = all.filter((d) => ids.has(d.folder_id));
    const boxes = new Map();
    const rows = shown.map((d) => {
      const box = h("input", { type: "checkbox", name: "device", value: d.id, "aria-label": `Select ${d.model} ${d.serial}` });
      boxes.set(d.id, box);
      const cells = deviceFacts(d);
      cells[1] = h("a", { href: `#/org/${ctx.org.id}/device/${d.id}` }, d.serial);
      return ctx.can("operate") ? [box, ...cells] : cells;
    });
    const cols = ctx.can("operate") ? ["Select", ...DEVICE_COLUMNS] : DEVICE_COLUMNS;
    const parts = [h("h2", { id: "devices-h" }, folder ? `Devices in ${folder.path || folder.name}` : "Devices"),
      shown.length ? table(`${shown.length} device(s)`, cols, rows) : h("p", { class: "muted" }, "No devices in this folder.")];
    if (ctx.can("operate") && shown.length) {
      const appTargetField = field("Application task for", { tag: "select", name: "app-target",
        options: [option("selection", "the selected devices"), option("folder", "every device in this folder and its subfolders")] });
      const models = new Set(shown.map((d) => d.model));
      const chosen = () => {
        const ids2 = [...boxes].filter(([, b]) => b.checked).map(([id]) => id);
        return ids2.length ? { device_ids: ids2 } : null;
      };
      parts.push(h("div", { class: "card", id: "upgrade-selection" }, h("h3", {}, "Upgrade the selected devices"),
        await upgradeForm(ctx, "Upgrade selected", models, chosen)));
      parts.push(h("div", { class: "card", id: "upgrade-folder" }, h("h3", {}, "Upgrade every device in this folder"),
        await upgradeForm(ctx, "Upgrade folder", models, () => ({ folder_id: selected }))));
      parts.push(h("div", { class: "card", id: "app-task-devices" }, h("h3", {}, "Application task"),
        appTargetField.wrap, appTaskForm(ctx, "Start application task", (await api.packages()).packages,
          () => (appTargetField.input.value === "folder" ? { folder_id: selected } : chosen()))));
    }
    clear(list, parts);
    clear(side, h("h2", { id: "folders-h" }, "Folders"), tree(folders, selected, (id) => { selected = id; draw(); }),
      ctx.can("manage") ? [newFolder(), deleteFolder(folder)] : null);
  };

  const newFolder = () => {
    const name = field("New subfolder name", { name: "folder-name", required: true, maxlength: 128 });
    return form("New folder", [name.wrap], "Add folder", async () => {
      const f = await api.folderCreate(ctx.org.id, name.input.value.trim(), selected);
      ctx.go(`#/org/${ctx.org.id}/devices?folder=${f.id}`);
    });
  };

  // Deleting shows first what goes with the folder, and deletes only what was shown.
  const deleteFolder = (folder) => {
    if (!folder) return null;
    const box = h("div", { id: "folder-delete", "aria-live": "polite" });
    const ask = h("button", { type: "button", class: "secondary", onclick: async () => {
      try {
        const p = await api.folderDelete(folder.id);
        const count = (k) => (p[k] ? p[k].count : 0);
        clear(box, h("p", {}, `Deleting ${folder.path || folder.name} removes ${count("subfolders")} subfolder(s), ` +
            `decommissions ${count("devices")} device(s), revokes ${count("tokens")} enrollment token(s) and ${count("grants")} folder grant(s).`),
          h("div", { class: "actions" },
            h("button", { type: "button", class: "danger", onclick: async () => {
              try {
                await api.folderDelete(folder.id, p.confirm);
                ctx.go(`#/org/${ctx.org.id}/devices`);
              } catch (e) { box.append(h("p", { class: "error", role: "alert" }, e.message)); }
            } }, "Delete it all"),
            h("button", { type: "button", class: "secondary", onclick: () => clear(box) }, "Keep it")));
      } catch (e) { clear(box, h("p", { class: "error", role: "alert" }, e.message)); }
    } }, `Delete folder ${folder.name}…`);
    return h("div", { class: "actions" }, ask, box);
  };

  clear(main, h("h1", {}, "Devices"), h("div", { class: "layout split" }, side, h("section", { "aria-labelledby": "devices-h" }, list)));
  await draw();
}
