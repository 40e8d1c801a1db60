// licensing: what the licenses page and the device page share about licenses on hardware:
// the table of them (state, kind, expiry, revoke for admins) and their events.
import { api } from "../api.js";
import { h, pill, when, table, announce } from "../dom.js";

const SOON_S = 30 * 86400; // an expiry this close is said with the days left
const REVOCABLE = new Set(["pending", "active", "failed"]);

// A license's expiry, with the days left when it is near (0: none).
export function expiry(ts) {
  if (!ts) return "never";
  const left = ts - Date.now() / 1000;
  if (left <= 0) return `${when(ts)} (passed)`;
  return left < SOON_S ? `${when(ts)} (in ${Math.ceil(left / 86400)} day(s))` : when(ts);
}

// columns: which of "serial", "device" to show besides the application's; redraw after a revoke.
export function licenseTable(ctx, rows, redraw, { serial = true } = {}) {
  const cols = [...(serial ? ["Serial"] : []), "Application", "Kind", "State", "Reason", "Expires", "Key file", "Updated"];
  const manage = ctx.can("manage");
  if (manage) cols.push("");
  return table(`${rows.length} license(s)`, cols, rows.map((l) => [
    ...(serial ? [l.device_id ? h("a", { href: `#/org/${ctx.org.id}/device/${l.device_id}` }, l.serial) : `${l.serial} (not enrolled)`] : []),
    l.app, h("span", { "data-license-kind": l.kind }, l.kind), h("span", { "data-license-state": l.state }, pill(l.state)), l.reason || "", expiry(l.license_exp),
    l.key_file ? "vendor key file" : "camcloud token", when(l.updated_at),
    ...(manage ? [REVOCABLE.has(l.state)
      ? h("button", { type: "button", class: "secondary", "aria-label": `Revoke the ${l.app} license of ${l.serial}`,
        onclick: async () => {
          try { await api.licenseRevoke(l.id); announce(`The ${l.app} license of ${l.serial} is revoked.`); } catch (e) { announce(e.message); }
          await redraw();
        } }, "Revoke")
      : ""] : []),
  ]));
}

export function eventsTable(caption, events) {
  if (!events.length) return h("p", { class: "muted" }, "No license events yet.");
  return table(caption, ["When", "Serial", "Application", "Event", "Reason"],
    events.map((e) => [when(e.at), e.serial, e.app, pill(e.event), e.reason || ""]));
}
