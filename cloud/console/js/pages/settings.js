// settings: the organization's name and notes, its MFA requirement, and archiving it
// (owners only: the organization id typed back and the risk accepted explicitly).
import { api } from "../api.js";
import { h, clear, field, announce } from "../dom.js";
import { refreshSession } from "../app.js";
import { form } from "./form.js";

export async function settings(main, ctx) {
  const org = await api.org(ctx.org.id);
  const facts = h("dl", { class: "facts" },
    h("dt", {}, "Organization id"), h("dd", { id: "org-id" }, org.id),
    h("dt", {}, "Name"), h("dd", {}, org.name),
    h("dt", {}, "Notes"), h("dd", {}, org.notes || ""),
    h("dt", {}, "MFA required of members"), h("dd", {}, org.require_mfa ? "yes" : "no"));
  const parts = [h("h1", {}, "Settings"), h("section", { "aria-labelledby": "org-h" }, h("h2", { id: "org-h" }, "Organization"), facts)];

  if (ctx.can("manage")) {
    const name = field("Name", { name: "org-rename", value: org.name, required: true, maxlength: 128 });
    const notes = h("textarea", { id: "org-notes", name: "org-notes", rows: 3 });
    notes.value = org.notes || "";
    const mfa = h("input", { type: "checkbox", id: "org-mfa", name: "org-mfa", checked: org.require_mfa });
    parts.push(h("section", { "aria-labelledby": "edit-h" }, h("h2", { id: "edit-h" }, "Change"),
      form("Organization settings", [name.wrap, h("label", { for: "org-notes" }, "Notes"), notes,
        h("label", { class: "inline", for: "org-mfa" }, mfa, "Require two-step verification of every member")],
      "Save", async () => {
        await api.orgSettings(org.id, { name: name.input.value.trim(), notes: notes.value, require_mfa: mfa.checked });
        await refreshSession();
        announce("Saved.");
        ctx.go(`#/org/${org.id}/settings`);
      })));
  }
  if (ctx.can("own")) {
    const confirm = field("Type the organization id to confirm", { name: "archive-confirm", autocomplete: "off", required: true });
    const risk = h("input", { type: "checkbox", id: "archive-risk", name: "archive-risk", required: true });
    parts.push(h("section", { "aria-labelledby": "archive-h", id: "archive" }, h("h2", { id: "archive-h" }, "Archive the organization"),
      h("p", {}, "Archiving cannot be undone here: the organization can no longer be found, its devices are released (decommissioned) and its subscriptions become unusable."),
      form("Archive the organization", [confirm.wrap,
        h("label", { class: "inline", for: "archive-risk" }, risk, "I understand the devices are released and the organization is gone")],
      "Archive organization", async () => {
        if (confirm.input.value.trim() !== org.id) throw new Error("The id typed does not match.");
        if (!risk.checked) throw new Error("Confirm that you accept the risk.");
        await api.orgArchive(org.id, confirm.input.value.trim());
        await refreshSession();
        ctx.go("#/orgs");
      }, { danger: true })));
  }
  clear(main, parts);
}
