// form: a labelled form whose submit runs an async action, shows its error in the form
// (role=alert) and keeps the button disabled while the request runs.
import { h } from "../dom.js";

export function form(label, children, submitText, action, opts = {}) {
  const error = h("p", { class: "error", role: "alert" });
  const button = h("button", { type: "submit", class: opts.danger ? "danger" : undefined }, submitText);
  const el = h("form", { "aria-label": label, novalidate: opts.novalidate },
    children, h("div", { class: "actions" }, button), error);
  el.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    error.textContent = "";
    button.disabled = true;
    try {
      await action(el);
    } catch (e) {
      error.textContent = e.message;
    } finally {
      button.disabled = false;
    }
  });
  return el;
}

// The bytes of a chosen file as base64 (key files travel so in the admin API).
export async function fileBase64(file) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let bin = "";
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}
