// users: the organization's members and roles, and invitations (viewer only, with the
// folders they may see), pending ones listed and cancellable.
import { api, ApiError } from "../api.js";
import { h, clear, field, option, when, table, announce } from "../dom.js";
import { form } from "./form.js";

const ROLES = ["viewer", "operator", "admin", "owner"];

export async function users(main, ctx) {
  const membersBox = h("div", { id: "members" });
  const invitesBox = h("div", { id: "invitations" });
  const drawMembers = async () => {
    const { members } = await api.members(ctx.org.id);
    clear(membersBox, table("Members", ["E-mail", "Role", "Folders", "MFA"], members.map((m) => {
      const mayChange = ctx.can(m.role === "owner" ? "own" : "manage") && m.user_id !== ctx.me.user?.id;
      const role = mayChange
        ? h("select", { "aria-label": `Role of ${m.email}`, onchange: async (ev) => {
          try { await api.memberRole(ctx.org.id, m.user_id, ev.target.value); announce(`${m.email} is now ${ev.target.value}.`); } catch (e) { announce(e.message); }
          drawMembers();
        } }, ROLES.filter((r) => r !== "owner" || ctx.can("own")).map((r) => option(r, r, r === m.role)))
        : m.role;
      return [m.email, role, ["owner", "admin"].includes(m.role) ? "all" : (m.grants || []).map((g) => g.path).join(", ") || "none", m.mfa_enabled ? "on" : "off"];
    })));
  };
  const drawInvites = async () => {
    const { invitations } = await api.invitations(ctx.org.id);
    const pending = invitations.filter((i) => (i.state || "pending") === "pending");
    clear(invitesBox, pending.length ? table("Pending invitations", ["E-mail", "Role", "Expires", ""], pending.map((i) => [
      i.email, i.role, when(i.expires_at),
      h("button", { type: "button", class: "secondary", "aria-label": `Cancel the invitation of ${i.email}`,
        onclick: async () => { await api.inviteCancel(i.id); drawInvites(); } }, "Cancel")]))
      : h("p", { class: "muted" }, "No pending invitations."));
  };

  const parts = [h("h1", {}, "Users"), h("section", { "aria-labelledby": "members-h" }, h("h2", { id: "members-h" }, "Members"), membersBox)];
  if (ctx.can("manage")) {
    const { folders } = await api.folders(ctx.org.id);
    const email = field("E-mail address to invite", { type: "email", name: "invite-email", required: true });
    const boxes = folders.map((f) => h("input", { type: "checkbox", name: "invite-folder", value: f.id, id: `inv-${f.id}` }));
    const invite = form("Invite a viewer", [email.wrap,
      h("fieldset", {}, h("legend", {}, "Folders the viewer may see"),
        folders.map((f, i) => h("label", { class: "inline", for: boxes[i].id }, boxes[i], f.path || f.name)))],
    "Send invitation", async (el) => {
      const ids = boxes.filter((b) => b.checked).map((b) => b.value);
      if (!ids.length) throw new Error("Choose at least one folder.");
      await api.invite(ctx.org.id, email.input.value.trim(), ids);
      announce(`Invitation sent to ${email.input.value.trim()}.`);
      el.reset();
      await drawInvites();
    });
    parts.push(h("section", { "aria-labelledby": "inv-h" }, h("h2", { id: "inv-h" }, "Invitations"),
      h("p", { class: "muted" }, "Invitations are for the viewer role; promote a member afterwards if needed."),
      invite, invitesBox));
  }
  clear(main, parts);
  const soft = (e) => { if (!(e instanceof ApiError) || e.status !== 404) throw e; return null; };
  await drawMembers().catch(soft);
  if (ctx.can("manage")) await drawInvites().catch(soft);
}
