// history: who did what, when and from where in the organization, filtered (kind, folder,
// user) and paged by cursor, with the same view as CSV.
import { api } from "../api.js";
import { h, clear, field, option, when, table } from "../dom.js";
import { form } from "./form.js";

const PAGE = 50;

export async function history(main, ctx) {
  const [{ folders }, people] = await Promise.all([api.folders(ctx.org.id),
    api.members(ctx.org.id).catch(() => ({ members: [] }))]);
  const kind = field("Kind (e.g. device.enroll, or device)", { name: "history-kind" });
  const folder = field("Folder", { tag: "select", name: "history-folder",
    options: [option("", "all folders"), ...folders.map((f) => option(f.id, f.path || f.name))] });
  const user = field("User", { tag: "select", name: "history-user",
    options: [option("", "everyone"), ...people.members.map((m) => option(m.user_id, m.email))] });
  const box = h("div", { id: "history-rows" });
  const csv = h("a", { id: "history-csv", download: "history.csv" }, "Export as CSV");
  let cursor = "";
  const filters = () => ({ kind: kind.input.value.trim(), folder_id: folder.input.value, user_id: user.input.value });
  const draw = async (reset) => {
    if (reset) cursor = "";
    const f = { ...filters(), limit: PAGE, cursor };
    csv.href = api.historyCsvUrl(ctx.org.id, filters());
    const r = await api.history(ctx.org.id, f);
    const events = r.events || [];
    const rows = events.map((e) => [when(e.at), e.email || (e.token_id ? "API token" : "system"), e.action, e.detail || "", e.peer || ""]);
    clear(box, events.length ? table("History, newest first", ["When", "Who", "What", "Detail", "From"], rows)
      : h("p", { class: "muted" }, "Nothing recorded."),
    r.next_cursor ? h("button", { type: "button", class: "secondary", onclick: () => { cursor = r.next_cursor; draw(false); } }, "Older") : null);
  };
  clear(main, h("h1", {}, "History"),
    h("section", {}, form("Filter the history", [kind.wrap, folder.wrap, user.wrap], "Filter", () => draw(true)), csv),
    h("section", { "aria-label": "Events" }, box));
  await draw(true);
}
