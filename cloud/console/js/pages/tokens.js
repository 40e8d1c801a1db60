// tokens: enrollment tokens for a folder. A new token is shown once, with a copy button
// and a QR code (a camera's installer can scan it); the list never has the secret.
import { api } from "../api.js";
import { h, clear, field, option, pill, when, table, announce } from "../dom.js";
import { qrSvg } from "../qr.js";
import { form } from "./form.js";

async function copy(text, input) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    input.select(); // no clipboard permission (plain HTTP): leave it selected for Ctrl+C
    throw new Error("Copy it by hand: the token is selected.");
  }
}

export async function tokens(main, ctx) {
  const [{ folders }, list] = await Promise.all([api.folders(ctx.org.id), api.tokens(ctx.org.id)]);
  const inOrg = new Set(folders.map((f) => f.id));
  const out = h("div", { id: "new-token", "aria-live": "polite" });
  const folder = field("Folder the cameras join", { tag: "select", name: "token-folder",
    options: folders.map((f) => option(f.id, f.path || f.name)) });
  const hours = field("Valid for (hours)", { type: "number", name: "token-hours", min: 1, max: 8760, value: 24 });
  const uses = field("Number of cameras (uses)", { type: "number", name: "token-uses", min: 1, max: 100000, value: 1 });
  const create = form("New enrollment token", [folder.wrap, hours.wrap, uses.wrap], "Create token", async () => {
    const t = await api.tokenCreate({ folder_id: folder.input.value,
      expires_in: Number(hours.input.value) * 3600, max_uses: Number(uses.input.value) });
    const text = h("input", { type: "text", readonly: true, class: "token-out", id: "token-value",
      value: t.token, "aria-label": "The new enrollment token" });
    const copied = h("span", { role: "status" });
    clear(out, h("h3", {}, "New token: shown only now"),
      text,
      h("div", { class: "actions" }, h("button", { type: "button", id: "copy-token", onclick: async () => {
        try { await copy(t.token, text); copied.textContent = "Copied."; } catch (e) { copied.textContent = e.message; }
      } }, "Copy token"), copied),
      qrSvg(t.token, "QR code of the enrollment token"),
      h("p", { class: "muted" }, `Expires ${when(t.expires_at)}, for ${t.max_uses} camera(s).`));
    announce("Token created.");
    drawList((await api.tokens(ctx.org.id)).tokens);
  });
  const listBox = h("div", {});
  const drawList = (rows) => {
    rows = rows.filter((t) => inOrg.has(t.folder_id));
    clear(listBox, rows.length ? table("Enrollment tokens", ["Folder", "State", "Uses", "Expires", ""],
      rows.map((t) => [t.folder, pill(t.state), `${t.uses}/${t.max_uses}`, when(t.expires_at),
        t.state === "active" ? h("button", { type: "button", class: "secondary", "aria-label": `Revoke token for ${t.folder} created ${when(t.created_at)}`,
          onclick: async () => { await api.tokenRevoke(t.id); drawList((await api.tokens(ctx.org.id)).tokens); } }, "Revoke") : ""]))
      : h("p", { class: "muted" }, "No tokens yet."));
  };
  drawList(list.tokens);
  clear(main, h("h1", {}, "Enrollment"),
    h("section", { "aria-labelledby": "tok-new-h" }, h("h2", { id: "tok-new-h" }, "New token"), create, out),
    h("section", { "aria-labelledby": "tok-list-h" }, h("h2", { id: "tok-list-h" }, "Tokens"), listBox));
}
