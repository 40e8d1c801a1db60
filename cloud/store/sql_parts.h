/* sql_parts: fragments several statements of statements.def share. */
#ifndef CLOUD_STORE_SQL_PARTS_H
#define CLOUD_STORE_SQL_PARTS_H

/* Common table folder_paths(id, path): every folder (deleted ones too) with its path
 * from the org's root folder, "Site A/Floor 1". Put it before a SELECT. */
#define FOLDER_PATHS_CTE                                                                 \
	"WITH RECURSIVE folder_paths(id, path) AS (SELECT id, name FROM folders"             \
	" WHERE parent_id IS NULL UNION ALL SELECT f.id, p.path || '/' || f.name"            \
	" FROM folders f JOIN folder_paths p ON f.parent_id = p.id) "
#define JOB_SELECT                                                                       \
	"SELECT j.id, j.kind, j.target, j.image_id, i.model, i.version, j.allow_downgrade,"  \
	" j.created_at, j.expires_at, j.window_kind, j.window_start, j.window_end,"          \
	" j.window_from, j.window_to, (SELECT COUNT(*) FROM job_skips s WHERE s.job_id = j.id)" \
	" FROM jobs j JOIN images i ON i.id = j.image_id"
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
/* The licenses of the device ?1: those of its organization for its serial. */
#define LICENSES_OF_DEVICE                                                               \
	" FROM licenses l JOIN devices d ON d.org_id = l.org_id AND d.serial = l.serial"      \
	" WHERE d.id = ?1"
#define NOT_FINAL "('succeeded', 'failed', 'cancelled')"
#define CANDIDATE_SELECT                                                                 \
	"SELECT d.id, d.serial, d.model, d.os_version, d.removed, EXISTS (SELECT 1 FROM tasks t" \
	" WHERE t.device_id = d.id AND t.image_id = ?1 AND t.state NOT IN " NOT_FINAL          \
	" AND t.expires_at > ?2) FROM devices d"
#define FOLDER_CANDIDATES                                                                \
	"WITH RECURSIVE sub(id) AS (SELECT id FROM folders WHERE id = ?3 AND deleted = 0"   \
	" UNION ALL SELECT f.id FROM folders f JOIN sub ON f.parent_id = sub.id"             \
	" WHERE f.deleted = 0) " CANDIDATE_SELECT                                            \
	" WHERE d.removed = 0 AND d.folder_id IN (SELECT id FROM sub) ORDER BY d.serial"
#define MODEL_CANDIDATES CANDIDATE_SELECT " WHERE d.removed = 0 AND d.model = ?3 ORDER BY d.serial"
#define DEVICE_CANDIDATE CANDIDATE_SELECT " WHERE d.id = ?3"
#define SKIP_INSERT "INSERT INTO job_skips (job_id, device_id, serial, reason) VALUES (?, ?, ?, ?)"
/* The five window columns, in this order, of both tasks and jobs. */
#define WINDOW_COLS "window_kind, window_start, window_end, window_from, window_to"
#define TASK_INSERT                                                                      \
	"INSERT INTO tasks (id, device_id, image_id, state, allow_downgrade, created_at,"    \
	" updated_at, expires_at, seq, job_id, " WINDOW_COLS ")"                            \
	" VALUES (?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"

/* Unfinished tasks past their expiry (?: now), of one device or (NULL) all. */
#define EXPIRED_WHERE                                                                    \
	" WHERE state NOT IN " NOT_FINAL " AND expires_at <= ? AND (? IS NULL OR device_id = ?)"

#endif
