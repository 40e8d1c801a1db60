// licenses: the organization's software products — each with its wallet (usable licenses
// by type; the lots, kept 5 years from redemption, with "lapsing on DATE" before they lapse)
// and its subscription (status, grace end, renewal, need, usage) — redeeming a license
// key, the allocation dialog (a dry run says whether, and why not, before anything is
// taken), extension licenses for one device, and the licenses on hardware (preloaded,
// imported vendor key files) with the events of each product.
import { api } from "../api.js";
import { h, clear, field, option, pill, when, table, announce } from "../dom.js";
import { form, fileBase64 } from "./form.js";
import { licenseTable, eventsTable } from "./licensing.js";

const STATUS_KIND = {
  "fully licensed": "good", "subscription started": "warn", "renewal due": "warn",
  "not licensed": "bad", "growth allowance exceeded": "bad", archived: "bad",
};
const lotKind = (state) => state.split(" ")[0]; // held | lapsing | lapsed
const GROWTH = "growth allowance exceeded";

function facts(pairs) {
  return h("dl", { class: "facts" }, pairs.filter(([, v]) => v !== null && v !== undefined)
    .map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
}

function subscriptionFacts(s) {
  if (!s) return facts([["Subscription", "not started"]]);
  return facts([
    ["Subscription", h("span", { "data-subscription-status": s.status }, pill(s.status, STATUS_KIND[s.status] || ""))],
    ["Grace period ends", `${s.grace_end_date}${s.grace_end > Date.now() / 1000 ? "" : " (over)"}`],
    ["Year", `${s.year + 1}: ${when(s.year_start)} to ${s.renewal_date}`],
    ["Current need", String(s.need)], ["Usage", String(s.usage)], ["Allocated this year", String(s.allocated)],
  ]);
}

function wallet(p) {
  const counts = Object.entries(p.wallet?.counts || {});
  const lots = p.wallet?.lots || [];
  return [h("h3", {}, "Wallet"),
    counts.length
      ? table("Usable licenses by type", ["Type", "Licenses"], counts.map(([t, n]) => [t, h("span", { "data-count": t }, String(n))]))
      : h("p", { class: "muted" }, "The wallet is empty."),
    lots.length ? table("Lots: unallocated licenses are kept 5 years from redemption", ["Type", "Left", "Of", "Redeemed", "Lapses", "State"],
      lots.map((l) => [l.type, String(l.left), String(l.total), when(l.redeemed_at), when(l.lapses_at), pill(l.state, lotKind(l.state))])) : null];
}

// The allocation dialog: each change asks the API for a dry run; confirming is possible
// only when it says allowed, and otherwise the dialog says why (the shortfall, the need).
function allocationDialog(ctx, p, done) {
  const s = p.subscription;
  const count = field("Licenses to allocate", { type: "number", name: "alloc-count", min: 1, max: 1000000,
    value: Math.max(1, s.need - s.allocated) });
  const ahead = field("For the subscription year", { tag: "select", name: "alloc-ahead",
    options: [0, 1, 2, 3, 4, 5].map((n) => option(String(n), n ? `${n} year(s) ahead` : "the current year")) });
  const verdict = h("div", { id: "allocation-verdict", "aria-live": "polite" });
  const error = h("p", { class: "error", role: "alert" });
  const confirm = h("button", { type: "button", id: "allocation-confirm", disabled: true }, "Confirm allocation");
  const cancel = h("button", { type: "button", class: "secondary" }, "Cancel");
  const dlg = h("dialog", { id: "allocation-dialog", "aria-labelledby": "alloc-h" },
    h("h2", { id: "alloc-h" }, `Allocate ${p.name} subscription licenses`),
    s.status === GROWTH ? h("p", { class: "error", id: "growth-note" },
      `Usage (${s.usage}) is past the annual growth allowance of twice the ${s.allocated} allocated: the organization is flagged until more licenses are allocated.`) : null,
    count.wrap, ahead.wrap, verdict, h("div", { class: "actions" }, confirm, cancel), error);
  let seq = 0;
  const check = async () => {
    const mine = ++seq;
    confirm.disabled = true;
    error.textContent = "";
    try {
      const v = await api.allocate(p.id, Number(count.input.value), Number(ahead.input.value), true);
      if (mine !== seq) return;
      const nums = facts([["Wallet holds", String(v.wallet)], ["Current need", String(v.need)],
        ["Minimum this year", v.minimum ? String(v.minimum) : null], ["Short by", v.shortfall ? String(v.shortfall) : null],
        ["Credited back", v.credit ? `${v.credit} (the part of the year gone)` : null]]);
      clear(verdict, v.allowed
        ? h("p", { class: "ok", "data-allowed": "true" }, `Can be confirmed: ${count.input.value} license(s) for year ${v.year + 1}.`)
        : h("p", { class: "error", "data-allowed": "false", id: "allocation-why" }, `Cannot be confirmed: ${v.why}.`), nums);
      confirm.disabled = !v.allowed;
    } catch (e) {
      if (mine === seq) clear(verdict, h("p", { class: "error", id: "allocation-why" }, `Cannot be confirmed: ${e.message}`));
    }
  };
  count.input.addEventListener("input", check);
  ahead.input.addEventListener("change", check);
  cancel.addEventListener("click", () => dlg.close());
  dlg.addEventListener("close", () => dlg.remove());
  confirm.addEventListener("click", async () => {
    confirm.disabled = true;
    try {
      const a = await api.allocate(p.id, Number(count.input.value), Number(ahead.input.value), false);
      announce(`${a.licenses} license(s) allocated to year ${a.year + 1}; status: ${a.status}.`);
      dlg.close();
      await done();
    } catch (e) { error.textContent = e.message; }
  });
  document.body.append(dlg);
  dlg.showModal();
  return check();
}

function extensionForm(ctx, p, devices, done) {
  const serial = field("Device", { tag: "select", name: "ext-serial",
    options: devices.map((d) => option(d.serial, `${d.serial} (${d.model})`)) });
  const key = h("input", { type: "file", id: `ext-key-${p.id}`, name: "ext-key" });
  return form(`Allocate a ${p.name} extension license`, [serial.wrap,
    h("label", { for: key.id }, "Vendor key file for that device (optional)"), key],
  "Allocate to device", async () => {
    if (!serial.input.value) throw new Error("No enrolled device to allocate to.");
    const file = key.files[0] ? await fileBase64(key.files[0]) : "";
    await api.extensionAllocate(p.id, serial.input.value, file);
    announce(`An extension license of ${p.name} is allocated to ${serial.input.value}.`);
    await done();
  });
}

function productSection(ctx, p, devices, redraw) {
  const s = p.subscription;
  const events = h("div", { class: "events" });
  const manage = ctx.can("manage");
  const actions = [];
  if (manage && !s && p.types.includes("subscription"))
    actions.push(h("button", { type: "button", onclick: async () => {
      try { const r = await api.subscriptionStart(p.id); announce(`${p.name}: ${r.status}, grace period until ${r.grace_end_date}.`); } catch (e) { announce(e.message); }
      await redraw();
    } }, `Start the ${p.name} subscription`));
  if (manage && s)
    actions.push(h("button", { type: "button", onclick: () => allocationDialog(ctx, p, redraw) }, `Allocate ${p.name} licenses…`));
  actions.push(h("button", { type: "button", class: "secondary", onclick: async () => {
    const { events: list } = await api.licenseEvents(ctx.org.id, { app: p.app_id });
    clear(events, h("h3", {}, "License events"), eventsTable(`License events of ${p.name}`, list));
  } }, `Show ${p.name} license events`));
  return h("section", { class: "product", "data-product": p.name, "aria-labelledby": `p-${p.id}` },
    h("h2", { id: `p-${p.id}` }, p.name),
    facts([["Application id", p.app_id], ["License types", p.types.join(", ")], ["Registered", when(p.created_at)]]),
    subscriptionFacts(s),
    s && s.allocations?.length ? table("Allocations", ["Year", "From", "Renews", "Licenses", "Credited back"],
      s.allocations.map((a) => [String(a.year + 1), when(a.year_start), when(a.renewal_at), String(a.licenses), String(a.credited)])) : null,
    wallet(p),
    p.extension_allocations?.length ? table("Extension licenses allocated", ["Serial", "Allocated"],
      p.extension_allocations.map((e) => [e.serial, when(e.allocated_at)])) : null,
    h("div", { class: "actions" }, actions),
    manage && p.types.includes("extension") ? extensionForm(ctx, p, devices, redraw) : null,
    events);
}

function redeemForm(ctx, redraw) {
  const key = h("textarea", { id: "redeem-key", name: "redeem-key", rows: 3, autocomplete: "off", spellcheck: "false" });
  return form("Redeem a license key", [h("label", { for: key.id }, "License key"), key], "Redeem", async (el) => {
    const r = await api.keyRedeem(ctx.org.id, key.value.trim());
    const added = Object.entries(r.added).map(([t, n]) => `${n} ${t}`).join(", ");
    announce(`Added ${added} to the wallet; unallocated, they lapse on ${when(r.lapses_at)}.`);
    el.reset();
    await redraw();
  });
}

function registerForm(ctx, redraw) {
  const name = field("Product name", { name: "product-name", required: true, maxlength: 128 });
  const app = field("Application id", { name: "product-app", required: true, maxlength: 64 });
  const types = ["subscription", "extension"].map((t) => h("input", { type: "checkbox", id: `type-${t}`, name: "product-type", value: t, checked: true }));
  const pem = h("textarea", { id: "product-key", name: "product-key", rows: 4, spellcheck: "false" });
  return form("Register a product", [name.wrap, app.wrap,
    h("fieldset", {}, h("legend", {}, "License types it sells"), types.map((b) => h("label", { class: "inline", for: b.id }, b, b.value))),
    h("label", { for: pem.id }, "The vendor's key-signing public key (PEM)"), pem], "Register product", async (el) => {
    const chosen = types.filter((b) => b.checked).map((b) => b.value);
    if (!chosen.length) throw new Error("Choose at least one license type.");
    await api.productRegister({ org_id: ctx.org.id, name: name.input.value.trim(), app_id: app.input.value.trim(), types: chosen, public_key: pem.value.trim() });
    announce(`${name.input.value.trim()} is registered.`);
    el.reset();
    await redraw();
  });
}

function importForm(ctx, redraw) {
  const files = h("input", { type: "file", id: "import-files", name: "import-files", multiple: true });
  const kind = field("Kind", { tag: "select", name: "import-kind", options: [option("tied", "tied to hardware (preloaded)"), option("extension", "extension")] });
  return form("Import vendor key files", [h("label", { for: files.id }, "Key files (one per serial and application)"), files, kind.wrap],
    "Import key files", async (el) => {
      if (!files.files.length) throw new Error("Choose the key files first.");
      const list = await Promise.all([...files.files].map(fileBase64));
      const r = await api.licenseImport(ctx.org.id, list, kind.input.value);
      announce(`${r.licenses.length} license(s) imported; each activates when its camera is enrolled.`);
      el.reset();
      await redraw();
    });
}

// A license recorded against a serial without a key file (camcloud's own token on the device).
function preloadForm(ctx, redraw) {
  const serial = field("Serial of the hardware", { name: "preload-serial", required: true, maxlength: 32 });
  const app = field("Application id of the license", { name: "preload-app", required: true, maxlength: 64 });
  const kind = field("License kind", { tag: "select", name: "preload-kind", options: [option("tied", "tied to hardware"), option("extension", "extension")] });
  const until = field("Valid through (UTC day, optional)", { type: "date", name: "preload-until" });
  return form("Preload a license", [serial.wrap, app.wrap, kind.wrap, until.wrap], "Preload license", async (el) => {
    const body = { org_id: ctx.org.id, serial: serial.input.value.trim(), app: app.input.value.trim(), kind: kind.input.value };
    if (until.input.value) body.license_exp = Date.parse(`${until.input.value}T23:59:59Z`) / 1000;
    await api.licensePreload(body);
    announce(`A ${body.kind} license of ${body.app} is recorded for ${body.serial}.`);
    el.reset();
    await redraw();
  });
}

export async function licenses(main, ctx) {
  const box = h("div", { id: "products" });
  const hw = h("div", { id: "hardware-licenses" });
  const flag = h("div", { id: "org-flag" });
  const draw = async () => {
    const [{ products, organization_flagged: flagged }, { licenses: lic }, { devices }] = await Promise.all([
      api.products(ctx.org.id), api.licenses(ctx.org.id), api.devices(ctx.org.id)]);
    const live = devices.filter((d) => !d.removed);
    clear(flag, flagged ? h("p", { class: "error", role: "alert" },
      "This organization is flagged: a product's usage is past its annual growth allowance. Allocate more licenses to clear it.") : null);
    clear(box, products.length ? products.map((p) => productSection(ctx, p, live, draw))
      : h("p", { class: "muted" }, "No products registered yet."));
    clear(hw, lic.length ? licenseTable(ctx, lic, draw) : h("p", { class: "muted" }, "No licenses on hardware yet."));
  };
  const parts = [h("h1", {}, "Licenses"), flag, box];
  if (ctx.can("manage"))
    parts.push(h("section", { "aria-labelledby": "redeem-h" }, h("h2", { id: "redeem-h" }, "Redeem a license key"), redeemForm(ctx, draw)),
      h("section", { "aria-labelledby": "register-h" }, h("h2", { id: "register-h" }, "Register a product"), registerForm(ctx, draw)));
  parts.push(h("section", { "aria-labelledby": "hw-h" }, h("h2", { id: "hw-h" }, "Licenses on hardware"),
    h("p", { class: "muted" }, "Preloaded and imported licenses follow the serial: they activate when that camera enrolls and stay with it when it is enrolled again."),
    hw, ctx.can("manage") ? [importForm(ctx, draw), preloadForm(ctx, draw)] : null));
  clear(main, parts);
  await draw();
}
