// tasks: the jobs (AXIS OS upgrades and application tasks) and, for the chosen one, each
// device's task and the devices skipped with why, redrawn every two seconds while
// anything is unfinished (a plain poll of the admin API).
import { api } from "../api.js";
import { h, clear, pill, when, table, announce } from "../dom.js";

const POLL_MS = 2000;
const FINAL = new Set(["succeeded", "failed", "rolled_back", "cancelled", "expired"]);

function progress(t) {
  if (FINAL.has(t.state) || t.progress === undefined || t.progress === null) return "";
  return h("progress", { max: 100, value: t.progress, "aria-label": `${t.serial} progress` }, `${t.progress}%`);
}

// An application job's action and package (model is "app/architecture"), or the image.
const what = (j) => (j.app_action
  ? `${j.app_action} ${j.model.split("/")[0]} ${j.target_version} (${j.model.split("/")[1] || ""})`
  : `${j.model || ""} ${j.target_version || ""}`.trim());

export async function tasks(main, ctx) {
  const jobsBox = h("div", {});
  const detail = h("div", { id: "job-detail", "aria-live": "polite" });
  let chosen = ctx.query.get("job");

  const drawJobs = async () => {
    const { jobs } = await api.jobs(ctx.org.id);
    jobs.sort((a, b) => b.created_at - a.created_at);
    if (!chosen && jobs[0]) chosen = jobs[0].id;
    clear(jobsBox, jobs.length
      ? table("Jobs, newest first", ["Job", "Target", "Task", "Done", "Started"],
        jobs.map((j) => [
          h("a", { href: `#/org/${ctx.org.id}/tasks?job=${j.id}`, "aria-current": j.id === chosen ? "true" : undefined }, j.id.slice(0, 8)),
          j.kind, what(j), `${j.done}/${j.total}`, when(j.created_at)]))
      : h("p", { class: "muted" }, "No jobs started yet."));
  };

  let last = "";
  const drawJob = async () => {
    if (!chosen) return;
    const j = await api.job(chosen);
    const rows = (j.tasks || []).map((t) => [t.serial, t.folder || "", h("span", { "data-task-state": t.state }, pill(t.state)),
      progress(t), t.reason || "", t.os_version || "", when(t.updated_at)]);
    const skipped = j.skipped || [];
    const canCancel = ctx.can("operate") && (j.tasks || []).some((t) => t.state === "pending" || t.state === "scheduled");
    clear(detail, h("h2", {}, `Job ${j.id.slice(0, 8)}: ${j.app_action ? what(j) : `${j.model || ""} to ${j.target_version || "?"}`}`),
      table("Tasks of this job", ["Serial", "Folder", "State", "Progress", "Reason", "AXIS OS", "Updated"], rows),
      skipped.length ? [h("h3", {}, "Skipped"), h("ul", { id: "skipped" }, skipped.map((s) => h("li", {}, `${s.serial}: ${s.reason}`)))] : null,
      canCancel ? h("button", { type: "button", class: "secondary", onclick: async () => { await api.jobCancel(j.id); drawJob(); } }, "Cancel what has not started") : null);
    const states = (j.tasks || []).map((t) => t.state).join(",");
    if (states !== last && last) announce(`Tasks: ${states}`);
    last = states;
  };

  clear(main, h("h1", {}, "Tasks"),
    h("section", { "aria-labelledby": "jobs-h" }, h("h2", { id: "jobs-h" }, "Jobs"), jobsBox),
    h("section", { "aria-labelledby": "job-detail-h" }, h("span", { id: "job-detail-h", hidden: true }, "Job"), detail));
  await drawJobs();
  await drawJob();
  ctx.every(POLL_MS, () => { drawJob().catch(() => {}); drawJobs().catch(() => {}); });
}
