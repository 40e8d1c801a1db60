// orgs: choose an organization (each with the role held there), or create one.
import { api } from "../api.js";
import { h, clear, field } from "../dom.js";
import { refreshSession, orgs as orgList, go } from "../app.js";
import { form } from "./form.js";

export async function orgs(main) {
  const list = orgList();
  const name = field("Name of the new organization", { name: "org-name", required: true, maxlength: 128 });
  const create = form("Create an organization", [name.wrap], "Create organization", async () => {
    const o = await api.orgCreate(name.input.value.trim());
    await refreshSession();
    go(`#/org/${o.id}/devices`);
  });
  clear(main, h("h1", {}, "Organizations"),
    h("section", { "aria-labelledby": "orgs-h" }, h("h2", { id: "orgs-h" }, "Choose an organization"),
      list.length
        ? h("ul", { id: "org-list" }, list.map((o) => h("li", {},
          h("a", { href: `#/org/${o.id}/devices` }, o.name), " ",
          h("span", { class: "pill" }, o.role), " ", h("span", { class: "muted" }, o.id))))
        : h("p", { class: "muted" }, "You are not a member of any organization yet.")),
    h("section", {}, h("h2", {}, "New organization"), create));
}
