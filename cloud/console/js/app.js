// app: the console's shell. Hash routes (#/orgs, #/org/<id>/devices, ...) pick a page;
// who is signed in and with which role in each organization comes from GET /me. A page
// shows only the controls that role allows (the API refuses the rest anyway).
import { api, ApiError, apiToken, setApiToken, setCsrf } from "./api.js";
import { h, clear, announce } from "./dom.js";
import * as pages from "./pages/index.js";

const RANK = { viewer: 0, operator: 1, admin: 2, owner: 3 };
export const NEED = { read: 0, operate: 1, manage: 2, own: 3 };

const routes = [
  [/^\/signin$/, pages.signIn, { public: true }],
  [/^\/signup$/, pages.signUp, { public: true }],
  [/^\/invite\/([^/]+)$/, pages.invite, { public: true, keys: ["token"] }],
  [/^\/account$/, pages.account, {}],
  [/^\/orgs$/, pages.orgs, {}],
  [/^\/upload$/, pages.upload, {}],
  [/^\/org\/([0-9a-f]+)\/devices$/, pages.devices, { org: true }],
  [/^\/org\/([0-9a-f]+)\/device\/([0-9a-f]+)$/, pages.device, { org: true, keys: ["org", "device"] }],
  [/^\/org\/([0-9a-f]+)\/tasks$/, pages.tasks, { org: true }],
  [/^\/org\/([0-9a-f]+)\/tokens$/, pages.tokens, { org: true }],
  [/^\/org\/([0-9a-f]+)\/users$/, pages.users, { org: true }],
  [/^\/org\/([0-9a-f]+)\/settings$/, pages.settings, { org: true }],
  [/^\/org\/([0-9a-f]+)\/history$/, pages.history, { org: true }],
  [/^\/org\/([0-9a-f]+)\/licenses$/, pages.licenses, { org: true }],
  [/^\/org\/([0-9a-f]+)\/apps$/, pages.apps, { org: true }],
];

const SECTIONS = [
  ["devices", "Devices", "read"], ["tasks", "Tasks", "read"],
  ["licenses", "Licenses", "read"], ["apps", "Applications", "read"], ["tokens", "Enrollment", "manage"],
  ["users", "Users", "read"], ["settings", "Settings", "read"], ["history", "History", "read"],
];

let me = null;      // GET /me, or null when signed out
let orgList = [];   // [{id, name, role}]
let timers = [];    // the current page's polls, stopped on navigation
let generation = 0; // a page that was left does not draw over the next

export function go(hash) {
  if (location.hash === hash) render();
  else location.hash = hash;
}

export async function refreshSession() {
  me = null;
  orgList = [];
  try {
    me = await api.me();
    setCsrf(me.csrf_token);
  } catch (e) {
    if (!(e instanceof ApiError) || e.status === 401 || !apiToken()) return;
    me = { principal: "bootstrap" }; // a cloud without accounts: the admin token
  }
  if (me.principal !== "bootstrap" && Array.isArray(me.memberships)) {
    // an API token's memberships name the role it acts with (capped), as the API counts it
    orgList = me.memberships.map((m) => ({ id: m.org_id, name: m.org_name, role: m.role }));
  } else { // the bootstrap token: every organization
    const { orgs } = await api.orgs();
    orgList = orgs.map((o) => ({ id: o.id, name: o.name, role: "owner" }));
  }
}

export function signedIn() { return me !== null; }
export function currentUser() { return me; }
export function orgs() { return orgList; }

export async function signOut() {
  try { if (!apiToken()) await api.signOut(); } catch { /* the session is gone either way */ }
  setApiToken("");
  me = null;
  go("#/signin");
}

function drawHeader(ctx) {
  const nav = document.getElementById("nav");
  const who = document.getElementById("who");
  document.getElementById("org-name").textContent = ctx.org ? `${ctx.org.name} (${ctx.role})` : "";
  clear(nav);
  nav.hidden = !ctx.org;
  if (ctx.org) {
    for (const [key, text, need] of SECTIONS) {
      if (!ctx.can(need)) continue;
      const href = `#/org/${ctx.org.id}/${key}`;
      nav.append(h("a", { href, "aria-current": location.hash.startsWith(href) ? "page" : undefined }, text));
    }
  }
  clear(who);
  if (me) {
    const name = me.user?.email || "API token";
    who.append(
      h("a", { href: "#/orgs" }, "Organizations"),
      h("a", { href: "#/upload", id: "upload-link" }, "Upload"),
      h("a", { href: "#/account" }, name),
      h("button", { type: "button", onclick: signOut }, "Sign out"));
  }
}

async function render() {
  const gen = ++generation;
  for (const t of timers) clearInterval(t);
  timers = [];
  announce("");
  const path = (location.hash || "#/orgs").slice(1).split("?")[0];
  const query = new URLSearchParams((location.hash.split("?")[1]) || "");
  const hit = routes.find(([re]) => re.test(path));
  const main = document.getElementById("main");
  if (!hit) return go("#/orgs");
  const [re, page, opts] = hit;
  const m = path.match(re);
  const params = {};
  (opts.keys || ["org"]).forEach((k, i) => { params[k] = m[i + 1]; });

  if (!opts.public && !me) await refreshSession();
  if (gen !== generation) return;
  if (!opts.public && !me) return go("#/signin");
  const org = opts.org ? orgList.find((o) => o.id === params.org) : null;
  if (opts.org && !org) return go("#/orgs");
  const role = org ? org.role : null;
  const ctx = {
    me, org, role, params, query,
    can: (need) => role !== null && RANK[role] >= NEED[need],
    every(ms, fn) { timers.push(setInterval(() => { if (gen === generation) fn(); }, ms)); },
    live: () => gen === generation,
    go,
  };
  drawHeader(ctx);
  clear(main, h("p", { class: "muted" }, "Loading…"));
  try {
    await page(main, ctx);
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return signOut();
    if (e instanceof ApiError && e.code === "mfa_enrollment_required") {
      clear(main, h("h1", {}, "Two-step verification required"),
        h("p", { role: "alert" }, e.message),
        h("p", {}, h("a", { href: "#/account" }, "Enable two-step verification")));
      return;
    }
    clear(main, h("h1", {}, "Something went wrong"), h("p", { class: "error", role: "alert" }, e.message));
  }
  if (gen === generation) {
    const h1 = main.querySelector("h1");
    if (h1) document.title = `${h1.textContent} · camcloud`;
  }
}

window.addEventListener("hashchange", render);
render();
