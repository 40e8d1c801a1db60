// apptask: the application task form the device, devices and catalog pages share: an
// action on a package's app, with the parameters its manifest declares for set_params;
// it starts a job like an AXIS OS upgrade and leads to the tasks view, which lists the
// cameras skipped and why.
import { api } from "../api.js";
import { h, clear, field, option, announce } from "../dom.js";
import { form } from "./form.js";

const ACTIONS = [["install", "Install or upgrade to"], ["remove", "Remove"], ["start", "Start"],
  ["stop", "Stop"], ["restart", "Restart"], ["set_params", "Set parameters of"]];

export const packageLabel = (p) => `${p.app} ${p.version} (${p.architecture})${p.recommended ? " recommended" : ""}`;

// target(pkg) returns {device_ids} | {folder_id} | {running_app, org_id}, or null: nothing chosen.
export function appTaskForm(ctx, label, packages, target) {
  const action = field("Application action", { tag: "select", name: "app-action", options: ACTIONS.map(([v, t]) => option(v, t)) });
  const pkg = field("Application package", { tag: "select", name: "app-package",
    options: packages.length ? packages.map((p) => option(p.id, packageLabel(p), p.recommended)) : [option("", "no application package in the catalog")] });
  const params = h("fieldset", { class: "params", hidden: true });
  let inputs = [];
  const drawParams = () => {
    const p = packages.find((x) => x.id === pkg.input.value);
    params.hidden = action.input.value !== "set_params";
    const names = p?.params || [];
    inputs = names.map((n) => field(n, { name: `param-${n}`, "data-param": n, maxlength: 256 }));
    clear(params, h("legend", {}, "Parameters the package declares"),
      names.length ? inputs.map((f) => f.wrap) : h("p", { class: "muted" }, "This package declares no parameters."));
  };
  action.input.addEventListener("change", drawParams);
  pkg.input.addEventListener("change", drawParams);
  drawParams();
  return form(label, [action.wrap, pkg.wrap, params], label, async () => {
    const p = packages.find((x) => x.id === pkg.input.value);
    if (!p) throw new Error("Add an application package to the catalog first.");
    const t = target(p);
    if (!t) throw new Error("Select at least one device.");
    const body = { app_action: action.input.value, package_id: p.id, ...t };
    if (body.app_action === "set_params") {
      body.params = inputs.filter((f) => f.input.value !== "").map((f) => ({ name: f.input.dataset.param, value: f.input.value }));
      if (!body.params.length) throw new Error("Give a value to at least one parameter.");
    }
    const job = await api.jobCreate(body);
    announce(`Application task started${job.skipped?.length ? `; ${job.skipped.length} device(s) skipped` : ""}.`);
    ctx.go(`#/org/${ctx.org.id}/tasks?job=${job.id}`);
  });
}
