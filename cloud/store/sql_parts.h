/* sql_parts: fragments several statements of statements.def share. */
#ifndef CLOUD_STORE_SQL_PARTS_H
#define CLOUD_STORE_SQL_PARTS_H

#include "../../lib/app_name.h"

/* Common table folder_paths(id, path): every folder (deleted ones too) with its path
 * from the org's root folder, "Site A/Floor 1". Put it before a SELECT. */
#define FOLDER_PATHS_PART                                                                \
	"folder_paths(id, path) AS (SELECT id, name FROM folders"                            \
	" WHERE parent_id IS NULL UNION ALL SELECT f.id, p.path || '/' || f.name"            \
	" FROM folders f JOIN folder_paths p ON f.parent_id = p.id)"
#define FOLDER_PATHS_CTE "WITH RECURSIVE " FOLDER_PATHS_PART " "
/* Common table vis(id): the folders a caller may see (access.h's view): of organization
 * ORG (a placeholder; NULL: every one), and when USER (a placeholder) is not NULL only
 * the folders granted to that user and their subfolders. Put it after WITH RECURSIVE. */
#define VISIBLE_PART(ORG, USER)                                                          \
	"vis(id) AS (SELECT id FROM folders WHERE (" ORG " IS NULL OR org_id = " ORG ")"     \
	" AND (" USER " IS NULL OR id IN (SELECT folder_id FROM folder_grants"               \
	" WHERE user_id = " USER ")) UNION SELECT f.id FROM folders f"                       \
	" JOIN vis ON f.parent_id = vis.id)"
/* The rows of a device d the view of ORG/USER shows. */
#define DEVICE_VISIBLE(ORG, USER)                                                        \
	" (" ORG " IS NULL OR d.org_id = " ORG ") AND (" USER " IS NULL OR d.folder_id IN"    \
	" (SELECT id FROM vis))"
#define JOB_SELECT                                                                       \
	"SELECT j.id, j.kind, j.target, j.image_id, i.model, i.version, j.allow_downgrade,"  \
	" j.created_at, j.expires_at, j.window_kind, j.window_start, j.window_end,"          \
	" j.window_from, j.window_to, (SELECT COUNT(*) FROM job_skips s WHERE s.job_id = j.id)," \
	" j.task_kind, j.app_action FROM jobs j JOIN images i ON i.id = j.image_id"
#define SUBTREE                                                                          \
	"WITH RECURSIVE sub(id) AS (SELECT id FROM folders WHERE id = ? AND deleted = 0"    \
	" UNION ALL SELECT f.id FROM folders f JOIN sub ON f.parent_id = sub.id"             \
	" WHERE f.deleted = 0) "
#define TASK_SELECT                                                                      \
	"SELECT t.id, t.device_id, i.version, t.state, t.progress, t.reason, t.image_id,"   \
	" t.allow_downgrade, t.created_at, t.updated_at, t.expires_at, d.serial, t.job_id,"  \
	" t.window_kind, t.window_start, t.window_end, t.window_from, t.window_to"           \
	" FROM tasks t JOIN images i ON i.id = t.image_id JOIN devices d ON d.id = t.device_id"
/* A license with the live device that now carries its serial ("" when none). */
#define LICENSE_SELECT                                                                   \
	"SELECT l.id, COALESCE((SELECT d.id FROM devices d WHERE d.org_id = l.org_id"        \
	" AND d.serial = l.serial AND d.removed = 0), ''), l.serial, l.app, l.state,"        \
	" l.reason, l.license_exp, l.updated_at, l.kind, l.org_id,"                          \
	" CASE WHEN l.key_file IS NULL THEN 0 ELSE 1 END, l.created_at FROM licenses l"
/* The licenses l the view of USER shows (after VISIBLE_PART): all of the organization
 * when USER is NULL, else those whose live device is in a visible folder. */
#define LICENSE_VISIBLE(USER)                                                            \
	" (" USER " IS NULL OR EXISTS (SELECT 1 FROM devices d WHERE d.org_id = l.org_id"    \
	" AND d.serial = l.serial AND d.removed = 0 AND d.folder_id IN (SELECT id FROM vis)))"
/* The licenses of the device ?1: those of its organization for its serial. */
#define LICENSES_OF_DEVICE                                                               \
	" FROM licenses l JOIN devices d ON d.org_id = l.org_id AND d.serial = l.serial"      \
	" WHERE d.id = ?1"
#define NOT_FINAL "('succeeded', 'failed', 'cancelled')"
/* The agent's own appName, as SQL text. */
#define AGENT_APP "'" CAMAGENT_APP_NAME "'"
/* A job's candidates (?1 the image, ?2 now), each with what its upgrade check needs: one
 * row per app of its inventory other than the agent (one row with NULLs when none),
 * the device's columns and its agent's package repeated on each:
 *   0 id, serial, model, os_version, removed, an unfinished task for ?1, arch,
 *   7 the agent: name, version (the inventory's, else agent_version), its catalog
 *     package's app_name (NULL: not in the catalog), schema_version, architecture,
 *     os_ranges, 13 whether the inventory lists the agent,
 *   14 another app: name, version, then its package's four columns as the agent's.
 * CANDIDATE_ORDER keeps a device's rows together, its apps by name. The task check
 * reads the device's tasks by tasks_device only: "+ 0" keeps the expiry index of open
 * tasks out, which PostgreSQL otherwise ANDed in for every device while a job's tasks
 * just cancelled were still in it (dead entries until vacuum: 3.4 s at 10,000). */
#define CANDIDATE_SELECT                                                                 \
	"SELECT d.id, d.serial, d.model, d.os_version, d.removed, EXISTS (SELECT 1 FROM tasks t" \
	" WHERE t.device_id = d.id AND t.image_id = ?1 AND t.state NOT IN " NOT_FINAL          \
	" AND t.expires_at + 0 > ?2), d.arch, " AGENT_APP ", COALESCE(aa.version, d.agent_version)," \
	" pa.app_name, pa.schema_version, pa.architecture, pa.os_ranges,"                     \
	" CASE WHEN aa.name IS NULL THEN 0 ELSE 1 END, o.name, o.version, po.app_name,"       \
	" po.schema_version, po.architecture, po.os_ranges FROM devices d"                   \
	" LEFT JOIN device_apps aa ON aa.device_id = d.id AND aa.name = " AGENT_APP            \
	" LEFT JOIN app_packages pa ON pa.app_name = " AGENT_APP                               \
	" AND pa.version = COALESCE(aa.version, d.agent_version) AND pa.architecture = d.arch" \
	" LEFT JOIN device_apps o ON o.device_id = d.id AND o.name <> " AGENT_APP              \
	" LEFT JOIN app_packages po ON po.app_name = o.name AND po.version = o.version"       \
	" AND po.architecture = d.arch"
#define CANDIDATE_ORDER " ORDER BY d.serial, d.id, o.name"
#define FOLDER_CANDIDATES                                                                \
	"WITH RECURSIVE sub(id) AS (SELECT id FROM folders WHERE id = ?3 AND deleted = 0"   \
	" UNION ALL SELECT f.id FROM folders f JOIN sub ON f.parent_id = sub.id"             \
	" WHERE f.deleted = 0) " CANDIDATE_SELECT                                            \
	" WHERE d.removed = 0 AND d.folder_id IN (SELECT id FROM sub)" CANDIDATE_ORDER
/* ?4 the organization, ?5 the user whose grants bound it (NULL: all its folders) */
#define MODEL_CANDIDATES                                                                 \
	"WITH RECURSIVE " VISIBLE_PART("?4", "?5") " " CANDIDATE_SELECT                    \
	" WHERE d.removed = 0 AND d.model = ?3 AND" DEVICE_VISIBLE("?4", "?5")              \
	CANDIDATE_ORDER
#define DEVICE_CANDIDATE CANDIDATE_SELECT " WHERE d.id = ?3 ORDER BY o.name"
/* The five window columns, in this order, of both tasks and jobs. */
#define WINDOW_COLS "window_kind, window_start, window_end, window_from, window_to"
#define TASK_INSERT                                                                      \
	"INSERT INTO tasks (id, device_id, image_id, state, allow_downgrade, created_at,"    \
	" updated_at, expires_at, seq, job_id, " WINDOW_COLS ", task_kind, app_action,"     \
	" app_name, app_params) VALUES (?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"\
	" ?, ?, ?, ?)"

/* Common table ids(id): the devices of a slice of device polls answered at once
 * (task_answers.c), ?1 a JSON object whose keys are their ids (a 'j' argument), ?2 how
 * many. json_each reads it in both dialects, once per statement; cutting ids out of
 * one long text with substr cost PostgreSQL 27 us an id (half of a slice's task query).
 * Put it before a statement that names "(SELECT id FROM ids)". */
#define ID_LIST_CTE "WITH ids(id) AS (SELECT key FROM json_each(?1) LIMIT ?2) "
/* Unfinished tasks past their expiry (?: now), of one device or (NULL) all. */
#define EXPIRED_WHERE                                                                    \
	" WHERE state NOT IN " NOT_FINAL " AND expires_at <= ? AND (? IS NULL OR device_id = ?)"

#endif
