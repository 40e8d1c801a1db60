// apps: the application catalog (ACAP packages, fleet-wide like the AXIS OS images):
// every version of every app per architecture with its AXIS OS range, schema, vendor and
// declared parameters; the recommended package per app and architecture (set by
// admins); and an application task for every camera of the organization running an app.
import { api } from "../api.js";
import { h, clear, pill, when, table, announce } from "../dom.js";
import { appTaskForm } from "./apptask.js";

export async function apps(main, ctx) {
  const box = h("div", { id: "catalog" });
  let packages = [];
  const draw = async () => {
    ({ packages } = await api.packages());
    const byApp = new Map();
    for (const p of packages) {
      if (!byApp.has(p.app)) byApp.set(p.app, []);
      byApp.get(p.app).push(p);
    }
    const cols = ["Version", "Architecture", "AXIS OS", "Schema", "Vendor", "Parameters", "Recommended", "Added"];
    if (ctx.can("manage")) cols.push("");
    clear(box, byApp.size ? [...byApp].map(([app, list]) => h("section", { "data-app": app, "aria-labelledby": `app-${app}` },
      h("h2", { id: `app-${app}` }, app),
      table(`${list.length} package(s) of ${app}`, cols, list.map((p) => [
        p.version, p.architecture, p.compatible_os_versions.join(", ") || "any", p.schema_version, p.vendor_id,
        p.params.join(", ") || "none", p.recommended ? pill("recommended", "active") : "", when(p.created_at),
        ...(ctx.can("manage") ? [p.recommended ? "" : h("button", { type: "button", class: "secondary",
          "aria-label": `Recommend ${app} ${p.version} for ${p.architecture}`, onclick: async () => {
            try { await api.packageRecommend(p.id); announce(`${app} ${p.version} is recommended for ${p.architecture}.`); } catch (e) { announce(e.message); }
            await draw();
          } }, "Set recommended")] : []),
      ]))))
      : h("p", { class: "muted" }, "No application packages yet."));
  };
  await draw();
  clear(main, h("h1", {}, "Applications"),
    // The browser upload is its own page (pages/upload.js, streamed in chunks); the
    // command line streams the same way (`camcloud app upload FILE.eap`).
    h("section", { id: "upload-package", "aria-labelledby": "upload-h" }, h("h2", { id: "upload-h" }, "Upload package"),
      h("p", { class: "muted" }, h("a", { href: "#/upload", id: "apps-upload-link" }, "Upload a package"),
        " or use camcloud app upload FILE.eap; the catalog reads its manifest.")),
    box,
    ctx.can("operate") ? h("section", { id: "running-task", "aria-labelledby": "running-h" },
      h("h2", { id: "running-h" }, "Every camera running an app"),
      h("p", { class: "muted" }, "The task reaches each camera whose inventory has the package's app running; the others are not touched."),
      appTaskForm(ctx, "Start task on cameras running it", packages, (p) => ({ running_app: p.app, org_id: ctx.org.id }))) : null);
}
