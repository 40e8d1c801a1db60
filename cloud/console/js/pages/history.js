// history: who did what, when and from where in the organization, filtered and paged,
// with the same view as CSV.
import { api } from "../api.js";
import { h, clear, field, when, table } from "../dom.js";
import { form } from "./form.js";

const PAGE = 50;

export async function history(main, ctx) {
  const kind = field("Kind (e.g. device.enroll)", { name: "history-kind" });
  const user = field("User e-mail", { type: "email", name: "history-user" });
  const box = h("div", { id: "history-rows" });
  const csv = h("a", { id: "history-csv", download: "history.csv" }, "Export as CSV");
  let before = "";
  const filters = () => ({ kind: kind.input.value.trim(), user: user.input.value.trim(), limit: PAGE });
  const draw = async (reset) => {
    if (reset) before = "";
    const f = { ...filters(), before };
    csv.href = api.historyCsvUrl(ctx.org.id, filters());
    const r = await api.history(ctx.org.id, f);
    const events = r.events || [];
    const rows = events.map((e) => [when(e.at), e.actor || e.user || "", e.action, e.detail || "", e.source || ""]);
    clear(box, events.length ? table("History, newest first", ["When", "Who", "What", "Detail", "From"], rows)
      : h("p", { class: "muted" }, "Nothing recorded."),
    r.next ? h("button", { type: "button", class: "secondary", onclick: () => { before = r.next; draw(false); } }, "Older") : null);
  };
  clear(main, h("h1", {}, "History"),
    h("section", {}, form("Filter the history", [kind.wrap, user.wrap], "Filter", () => draw(true)), csv),
    h("section", { "aria-label": "Events" }, box));
  await draw(true);
}
