// camagent settings page: reads the agent's local API (reverse-proxied by the camera under
// this page's own path, so every URL here is relative) and sends an enrollment token.
"use strict";

const $ = (id) => document.getElementById(id);
const text = (id, v) => { $(id).textContent = v === undefined || v === null || v === "" ? "–" : String(v); };
const stateLabels = {
  unenrolled: "unenrolled",
  enrolled: "enrolled",
  refused: "refused (token not accepted)",
  removed: "removed from the cloud",
};

function when(unix) {
  if (!unix) return "never";
  return new Date(unix * 1000).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
}

function render(s) {
  $("banner").hidden = true;
  const badge = $("enroll");
  badge.dataset.state = s.enroll;
  badge.textContent = stateLabels[s.enroll] || s.enroll;
  text("org", s.org);
  text("folder", s.folder);
  text("cloud", s.cloud_url);
  text("device", s.device_id);
  text("contact", when(s.last_contact));
  text("error", s.camera_not_ready ? `waiting for the camera: ${s.camera_not_ready}` : s.last_error);
  text("model", s.model);
  text("serial", s.serial);
  text("os", s.os_version);
  text("agent", s.agent_version);
  $("token-section").hidden = s.enroll === "enrolled";

  const t = s.task;
  $("task").hidden = !t;
  $("task-none").hidden = !!t;
  if (t) {
    $("task-title").textContent = `Upgrade to AXIS OS ${t.target_version} (task ${t.id.slice(0, 8)})`;
    $("task-state").textContent = t.state;
    $("task-progress").value = t.progress;
    $("task-percent").textContent = `${t.progress} %`;
    $("task-reason").textContent = t.reason || "";
  }

  const rows = $("lic-rows");
  rows.replaceChildren();
  for (const l of s.licenses || []) {
    const tr = document.createElement("tr");
    for (const [v, cls] of [[l.app, ""], [l.state, l.state], [l.reason || "", ""]]) {
      const td = document.createElement("td");
      td.textContent = v;
      if (cls) td.className = cls;
      tr.appendChild(td);
    }
    rows.appendChild(tr);
  }
  $("lic").hidden = !(s.licenses && s.licenses.length);
  $("lic-none").hidden = !!(s.licenses && s.licenses.length);
}

async function refresh() {
  try {
    const r = await fetch("api/status", { cache: "no-store" });
    if (!r.ok) throw new Error(`HTTP ${r.status}`);
    render(await r.json());
  } catch (e) {
    const b = $("banner");
    b.textContent = `Cannot reach the agent (${e.message}). Is the application running?`;
    b.hidden = false;
  }
}

$("token-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const token = $("token").value.trim();
  const result = $("result");
  result.className = "";
  if (!token) return;
  $("submit").disabled = true;
  result.textContent = "Sending…";
  try {
    const r = await fetch("api/enrollment-token", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ token }),
    });
    const body = await r.json().catch(() => ({}));
    if (r.ok) {
      result.textContent = "Token accepted: enrolling…";
      result.className = "ok";
      $("token").value = "";
    } else {
      result.textContent = (body.error && body.error.message) || `Refused (HTTP ${r.status})`;
      result.className = "bad";
    }
  } catch (e) {
    result.textContent = `Cannot reach the agent (${e.message})`;
    result.className = "bad";
  } finally {
    $("submit").disabled = false;
    refresh();
  }
});

refresh();
setInterval(refresh, 2000);
