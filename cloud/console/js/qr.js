// qr: a QR code as an SVG element, from the vendored qrcode-generator (built from the
// committed lock file into camcloud; nothing is fetched when the page runs).
import qrcode from "../vendor/qrcode.mjs";
import { h } from "./dom.js";

// label describes the code for screen readers (the secret itself is shown beside it).
export function qrSvg(text, label) {
  const qr = qrcode(0, "M");
  qr.addData(text, "Byte");
  qr.make();
  const n = qr.getModuleCount();
  const quiet = 4;
  let d = "";
  for (let y = 0; y < n; y++)
    for (let x = 0; x < n; x++)
      if (qr.isDark(y, x)) d += `M${x + quiet} ${y + quiet}h1v1h-1z`;
  const size = n + 2 * quiet; // 4 px a module: scannable from a phone held at the screen
  return h("svg", {
    class: "qr", viewBox: `0 0 ${size} ${size}`, width: size * 4, height: size * 4, role: "img", "aria-label": label,
    "shape-rendering": "crispEdges", "data-qr": "",
  },
  h("rect", { svg: true, width: size, height: size, fill: "#fff" }),
  h("path", { svg: true, d, fill: "#000" }));
}
