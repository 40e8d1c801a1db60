// dom: building elements without HTML strings (no innerHTML anywhere: the page's
// Content-Security-Policy and the data it shows stay apart).

// h("button", {class: "x", onclick: fn, "aria-label": "..."}, child, ...): attributes
// starting with "on" become listeners; children are nodes, strings or arrays of them.
export function h(tag, attrs = {}, ...children) {
  const el = tag === "svg" || attrs.svg
    ? document.createElementNS("http://www.w3.org/2000/svg", tag)
    : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false || k === "svg") continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "value") el.value = v;
    else if (k === "checked") el.checked = !!v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function clear(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

// A labelled form field: returns {wrap, input}; the label names the control.
let fieldSeq = 0;
export function field(label, attrs = {}) {
  const id = attrs.id || `f${++fieldSeq}`;
  const input = attrs.tag === "select"
    ? h("select", { ...attrs, tag: undefined, id }, attrs.options || [])
    : h("input", { type: "text", ...attrs, id });
  return { wrap: h("div", {}, h("label", { for: id }, label), input), input };
}

export function option(value, text, selected) {
  return h("option", { value, selected: selected ? "" : undefined }, text);
}

// Says something to screen readers and everyone (the status line under the header).
export function announce(text) {
  document.getElementById("status").textContent = text;
}

export function when(ts) {
  if (!ts) return "never";
  return new Date(ts * 1000).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
}

export function pill(text, kind = text) {
  return h("span", { class: `pill ${kind}` }, text);
}

// A table; on a phone each row becomes a card whose cells are labelled by column.
export function table(caption, columns, rows) {
  return h("table", { class: "cards" },
    h("caption", { class: "muted" }, caption),
    h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col" }, c)))),
    h("tbody", {}, rows.map((cells) => h("tr", {},
      cells.map((c, i) => h("td", { "data-label": columns[i] }, c))))));
}
