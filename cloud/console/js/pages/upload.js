// upload: an application package (.eap) or an AXIS OS image sent to the catalog through the
// streamed upload API (docs/admin-api.md, Uploads): its SHA-256 is computed here (Web
// Crypto), the file goes in chunks of the server's chunk_max with Content-Range, a chunk
// that got no answer is resumed from the offset the server reports, and a bar shows how
// far it is. Adding to the catalog needs the manage role; the server refuses the rest.
import { call, authHeaders, ApiError } from "../api.js";
import { h, clear, field, option, announce } from "../dom.js";
import { form } from "./form.js";

const RETRIES = 6;

// Web Crypto has no streaming digest: the file is read into memory once for its SHA-256
// (fine for packages; an image of several GiB is better sent with `camcloud image add`).
async function sha256Hex(file) {
  if (!crypto.subtle) throw new Error("Computing the SHA-256 needs HTTPS (or localhost).");
  const digest = await crypto.subtle.digest("SHA-256", await file.arrayBuffer());
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// PUTs the chunk at offset; the offset the server stands at afterwards. A chunk that got
// no answer is asked about (GET) and sent again from there, a few times.
async function sendChunk(up, file, offset) {
  for (let miss = 0; ; miss++) {
    try {
      const last = Math.min(offset + up.chunk_max, file.size) - 1;
      const r = await fetch(`/admin/v1/uploads/${up.id}`, {
        method: "PUT", credentials: "same-origin", cache: "no-store",
        headers: { ...authHeaders("PUT"), "Content-Type": "application/octet-stream",
          "Content-Range": `bytes ${offset}-${last}/${file.size}` },
        body: file.slice(offset, last + 1),
      });
      const data = await r.json().catch(() => ({}));
      if (r.ok || (r.status === 409 && Number.isInteger(data.offset))) return data.offset;
      throw new ApiError(r.status, data.error?.code, data.error?.message);
    } catch (e) {
      if (e instanceof ApiError || miss >= RETRIES) throw e;
      await pause(250 * 2 ** miss);
      offset = (await call("GET", `/uploads/${up.id}`)).offset;
    }
  }
}

export async function upload(main) {
  const kind = field("What", { tag: "select", name: "upload-kind",
    options: [option("app", "Application package (.eap)"), option("image", "AXIS OS image")] });
  const file = field("File", { type: "file", name: "upload-file", required: true });
  const model = field("Camera model (images)", { name: "upload-model", maxlength: 64 });
  const version = field("AXIS OS version (images)", { name: "upload-version", maxlength: 64 });
  const bar = h("progress", { id: "upload-progress", max: 1, value: 0, "aria-label": "Upload progress" });
  const status = h("p", { id: "upload-status", role: "status" });
  const result = h("div", { id: "upload-result", "aria-live": "polite" });
  const showImageFields = () => {
    model.wrap.hidden = version.wrap.hidden = kind.input.value !== "image";
  };
  kind.input.addEventListener("change", showImageFields);
  showImageFields();

  const send = form("Upload to the catalog", [kind.wrap, file.wrap, model.wrap, version.wrap, bar],
    "Upload", async () => {
      const f = file.input.files[0];
      if (!f) throw new Error("Choose a file.");
      const isImage = kind.input.value === "image";
      if (isImage && (!model.input.value.trim() || !version.input.value.trim()))
        throw new Error("An image needs its camera model and AXIS OS version.");
      clear(result);
      bar.value = 0;
      status.textContent = "Computing the SHA-256…";
      const up = await call("POST", "/uploads", { kind: kind.input.value, size: f.size,
        sha256: await sha256Hex(f), name: f.name });
      let offset = up.offset;
      while (offset < f.size) {
        offset = await sendChunk(up, f, offset);
        bar.value = offset / f.size;
        status.textContent = `Sent ${offset} of ${f.size} bytes.`;
      }
      status.textContent = "Checking the upload…";
      const done = await call("POST", `/uploads/${up.id}/finish`, isImage
        ? { model: model.input.value.trim(), version: version.input.value.trim() } : {});
      status.textContent = `Uploaded ${f.name}.`;
      clear(result, h("p", {}, isImage
        ? `Image ${done.model} ${done.version} is in the catalog (${done.id}).`
        : `Package ${done.app} ${done.version} for ${done.architecture} is in the catalog (${done.id}).`),
      h("p", { class: "muted" }, `SHA-256 ${done.sha256}`));
      announce("Upload finished.");
    });
  clear(main, h("h1", {}, "Upload to the catalog"),
    h("p", { class: "muted" }, "Packages and images are fleet-wide; adding one needs the admin or owner role."),
    send, status, result);
}
