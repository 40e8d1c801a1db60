/* camsim main: options, the supervised agent process, reboots, the state snapshot.
 * usage: camsim --dir D --listen ADDR:PORT [--url-file F] [--dbus-address A] [options]
 *               [-- AGENT_CMD ARGS...]   (@VAPIX_URL@ in ARGS becomes camsim's URL) */
#include "camsim.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../lib/fsutil.h"
#include "../../lib/json.h"

#define REBOOT_CODE 10
#define MAX_RESTARTS 20
#define KILL_AFTER_S 10

double cs_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int64_t cs_wallclock(const struct camsim *cs)
{
	return (int64_t)time(NULL) + cs->clock_offset;
}

void cs_log(const char *fmt, ...)
{
	va_list ap;

	fputs("camsim: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Numeric dot-separated compare ("12.0.10" > "12.0.9"); a non-numeric rest compares as text. */
int cs_version_compare(const char *a, const char *b)
{
	while (*a || *b) {
		char *ea, *eb;
		unsigned long x = strtoul(a, &ea, 10), y = strtoul(b, &eb, 10);

		if (ea == a || eb == b)
			return strcmp(a, b) < 0 ? -1 : strcmp(a, b) > 0;
		if (x != y)
			return x < y ? -1 : 1;
		a = ea;
		b = eb;
		if (*a == '.')
			a++;
		if (*b == '.')
			b++;
		if (!*a || !*b)
			return *a ? 1 : *b ? -1 : 0;
	}
	return 0;
}

void cs_new_boot_id(struct camsim *cs)
{
	unsigned char r[16];

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
		cs_log("cannot get random bytes: %s", strerror(errno));
		exit(1);
	}
	snprintf(cs->boot_id, sizeof(cs->boot_id),
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", r[0], r[1],
		 r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13], r[14],
		 r[15]);
	cs->booted_at = cs_now();
}

void cs_new_credentials(struct camsim *cs)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char rnd[24];

	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		cs_log("cannot get random bytes: %s", strerror(errno));
		exit(1);
	}
	cs_credentials_lock();
	for (size_t i = 0; i < sizeof(rnd); i++)
		cs->password[i] = alphabet[rnd[i] % (sizeof(alphabet) - 1)];
	cs->password[sizeof(rnd)] = '\0';
	/* The service account is named after the caller, like 'a0-<username>' [VAPIXACC]. */
	snprintf(cs->user, sizeof(cs->user), "a0-%s", cs->app);
	cs_credentials_unlock();
}

/* <dir>/state.json: what tests inspect (no secrets in it). */
void cs_save_state(struct camsim *cs)
{
	char path[PATH_MAX + 16];
	struct buf out;
	struct json_writer w;

	buf_init(&out, 64 * 1024);
	jw_init(&w, &out);
	jw_object_begin(&w);
	jw_kv_string(&w, "active", cs->active);
	jw_kv_string(&w, "inactive", cs->inactive);
	jw_kv_bool(&w, "committed", cs->committed);
	jw_kv_bool(&w, "rebooting", cs->rebooting || cs->reboot_scheduled);
	jw_kv_bool(&w, "rollback_armed", cs->rollback_armed);
	jw_kv_int(&w, "boots", cs->boots);
	jw_kv_int(&w, "upgrades", cs->upgrades);
	jw_kv_int(&w, "rollbacks", cs->rollbacks);
	jw_kv_bool(&w, "agent_running", cs->child > 0);
	jw_kv_int(&w, "agent_pid", cs->child);
	jw_kv_int(&w, "agent_starts", cs->agent_starts);
	jw_kv_int(&w, "app_upgrades", cs->app_upgrades);
	jw_kv_bool(&w, "allow_unsigned", cs_allow_unsigned(cs));
	jw_key(&w, "apps");
	jw_object_begin(&w);
	for (int i = 0; i < cs->napps; i++) {
		jw_key(&w, cs->apps[i].name);
		jw_object_begin(&w);
		jw_kv_string(&w, "version", cs->apps[i].version);
		jw_kv_string(&w, "status", cs_app_running(cs, &cs->apps[i]) ? "Running" : "Stopped");
		jw_object_end(&w);
	}
	jw_object_end(&w);
	jw_key(&w, "licenses");
	jw_object_begin(&w);
	for (int i = 0; i < cs->napps; i++)
		if (cs->apps[i].needs_license)
			jw_kv_string(&w, cs->apps[i].name, cs->apps[i].keylen ? "installed" : "missing");
	jw_object_end(&w);
	jw_object_end(&w);
	snprintf(path, sizeof(path), "%s/state.json", cs->dir);
	if (jw_finish(&w) != 0 || fs_write_atomic(path, out.data, out.len, 0644) != 0)
		cs_log("cannot write %s: %s", path, strerror(errno));
	buf_free(&out);
}

/* ---- the supervised agent ---- */

static char **substitute(struct camsim *cs, char **argv)
{
	int n = 0;
	char **out;

	while (argv[n])
		n++;
	out = calloc((size_t)n + 1, sizeof(*out));
	for (int i = 0; out && i < n; i++) {
		const char *at = strstr(argv[i], "@VAPIX_URL@");

		if (!at) {
			out[i] = strdup(argv[i]);
		} else if (asprintf(&out[i], "%.*s%s%s", (int)(at - argv[i]), argv[i], cs->url,
				    at + strlen("@VAPIX_URL@")) < 0) {
			out[i] = NULL;
		}
	}
	return out;
}

/* In the agent's child: the camera's parameter library, as the camera's loader would
 * find it, backed by this camera's param.conf. */
static void offer_axparameter(const struct camsim *cs)
{
	char conf[PATH_MAX + 16];

	snprintf(conf, sizeof(conf), "%s/param.conf", cs->dir);
	setenv("AXPARAMETER_CONF", conf, 1);
	setenv("LD_LIBRARY_PATH", cs->axparameter_dir, 1);
}

static void start_agent(struct camsim *cs)
{
	char **argv;
	pid_t pid;

	const struct cs_app *own = cs_find_app(cs, cs->app);

	if (!cs->agent_argv || cs->stopping || cs->app_removed || !own || !own->running ||
	    cs->child > 0)
		return;
	argv = substitute(cs, cs->agent_argv);
	if (!argv) {
		cs_log("out of memory");
		return;
	}
	pid = fork();
	if (pid == 0) {
		int fd = open("/dev/null", O_RDONLY);

		if (fd >= 0)
			dup2(fd, 0);
		signal(SIGPIPE, SIG_DFL);
		if (cs->axparameter_dir[0])
			offer_axparameter(cs);
		execvp(argv[0], argv);
		fprintf(stderr, "camsim: cannot start %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	for (int i = 0; argv[i]; i++)
		free(argv[i]);
	free(argv);
	if (pid < 0) {
		cs_log("cannot fork: %s", strerror(errno));
		return;
	}
	cs->child = pid;
	cs->agent_starts++;
	cs_log("started the agent (pid %d)", (int)pid);
	cs_save_state(cs);
}

static void on_respawn(evutil_socket_t fd, short what, void *arg)
{
	start_agent(arg);
}

static void on_booted(evutil_socket_t fd, short what, void *arg)
{
	struct camsim *cs = arg;

	cs_boot(cs);
	cs_new_credentials(cs); /* service accounts do not survive a reboot */
	cs_new_boot_id(cs);
	cs->rebooting = 0;
	cs->reboot_scheduled = 0;
	cs->reboot_rollback = 0;
	cs->boots++;
	cs_save_state(cs);
	cs_log("up again: AXIS OS %s (%s)", cs->active, cs->committed ? "committed" : "uncommitted");
	start_agent(cs);
}

/* The agent is down: the camera is off for down_s, then boots. */
static void reboot_down(struct camsim *cs)
{
	struct timeval tv = { (time_t)cs->down_s,
			      (suseconds_t)((cs->down_s - (time_t)cs->down_s) * 1e6) };

	evtimer_del(cs->kill_timer);
	event_base_once(cs->base, -1, EV_TIMEOUT, on_booted, cs, &tv);
}

static void on_kill_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct camsim *cs = arg;

	if (cs->child > 0) {
		cs_log("the agent did not stop within %d s: SIGKILL", KILL_AFTER_S);
		kill(cs->child, SIGKILL);
	}
}

static void stop_agent(struct camsim *cs)
{
	struct timeval tv = { KILL_AFTER_S, 0 };

	if (cs->child > 0) {
		kill(cs->child, SIGTERM);
		evtimer_add(cs->kill_timer, &tv);
	}
}

void cs_agent_start(struct camsim *cs)
{
	start_agent(cs);
}

void cs_agent_stop(struct camsim *cs)
{
	cs->restart_pending = 0;
	stop_agent(cs);
}

void cs_agent_restart(struct camsim *cs)
{
	if (cs->child > 0) {
		cs->restart_pending = 1;
		stop_agent(cs);
	} else {
		start_agent(cs);
	}
}

static void on_app_restart(evutil_socket_t fd, short what, void *arg)
{
	struct camsim *cs = arg;

	cs_log("restarting the agent's app (%s)", cs->app);
	cs_agent_restart(cs);
}

static void on_reboot(evutil_socket_t fd, short what, void *arg)
{
	struct camsim *cs = arg;

	cs->rebooting = 1;
	cs_log("rebooting: %s", cs->reboot_why);
	cs_save_state(cs);
	if (cs->child > 0)
		stop_agent(cs); /* reboot_down() once it has exited */
	else
		reboot_down(cs);
}

void cs_schedule_reboot(struct camsim *cs, int rollback, const char *why)
{
	struct timeval tv = { (time_t)cs->reboot_delay_s,
			      (suseconds_t)((cs->reboot_delay_s - (time_t)cs->reboot_delay_s) * 1e6) };

	if (rollback)
		cs->reboot_rollback = 1;
	if (cs->reboot_scheduled || cs->rebooting)
		return;
	cs->reboot_scheduled = 1;
	snprintf(cs->reboot_why, sizeof(cs->reboot_why), "%s", why);
	evtimer_add(cs->reboot_timer, &tv);
	cs_save_state(cs);
}

static void on_child(evutil_socket_t fd, short what, void *arg)
{
	struct camsim *cs = arg;
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);

		if (pid != cs->child)
			continue;
		cs->child = 0;
		evtimer_del(cs->kill_timer);
		cs_log("the agent exited with %d", code);
		cs_save_state(cs);
		const struct cs_app *own = cs_find_app(cs, cs->app);
		if (cs->stopping) {
			event_base_loopexit(cs->base, NULL);
		} else if (cs->rebooting) {
			reboot_down(cs);
		} else if (cs->restart_pending) {
			cs->restart_pending = 0; /* the app was restarted, not crashed */
			start_agent(cs);
		} else if (!own || !own->running || cs->app_removed) {
			cs_log("the agent's app is stopped or removed: not restarting it");
		} else if (++cs->restarts > MAX_RESTARTS) {
			cs_log("the agent stopped %d times: not restarting it", MAX_RESTARTS);
		} else {
			/* runMode respawn, as systemd does it: started again even when a reboot is
			 * scheduled (an agent that exits right after an upgrade meets the old
			 * firmware); the reboot code restarts at once, a crash after 1 s */
			struct timeval tv = { code == REBOOT_CODE ? 0 : 1, 0 };

			evtimer_add(cs->respawn_timer, &tv);
		}
	}
}

static void on_stop(evutil_socket_t sig, short what, void *arg)
{
	struct camsim *cs = arg;

	cs_log("signal %d: stopping", (int)sig);
	cs->stopping = 1;
	if (cs->child > 0)
		stop_agent(cs);
	else
		event_base_loopexit(cs->base, NULL);
}

/* ---- options ---- */

static void usage(void)
{
	fprintf(stderr,
		"usage: camsim --dir DIR --listen ADDR:PORT [options] [-- AGENT_CMD ARGS...]\n"
		"  --url-file F            write http://ADDR:PORT there once listening\n"
		"  --dbus-address A        serve com.axis.HTTPConf1 GetCredentials on that bus\n"
		"  --serial S --model M --version V --hwid H --arch A   identity (defaults given)\n"
		"  --app NAME[:ID]         an installed application needing a license, with the\n"
		"                          ApplicationID its key files name (repeatable)\n"
		"  --app-name NAME         the agent's appName (default camagent)\n"
		"  --param-group G         param.cgi group name (default: the appName)\n"
		"  --is-committed          spell the status field isCommitted (default isCommited)\n"
		"  --minute-seconds S      length of an autoRollback \"minute\" (default 60)\n"
		"  --reboot-delay S        upgrade accepted -> reboot starts (default 0.5)\n"
		"  --down-seconds S        how long a reboot keeps the camera off (default 0.5)\n"
		"  --not-ready S           the first S seconds: systemready \"no\", VAPIX 503, no\n"
		"                          service account on D-Bus (a camera still starting)\n"
		"  --clock-offset S        the camera's clock ahead of the host by S seconds\n"
		"  --html DIR              serve DIR at /local/<appName>/\n"
		"  --axparameter DIR       the agent finds libaxparameter.so.1 (the stand-in) in DIR,\n"
		"                          backed by <dir>/param.conf\n"
		"  --app-api-port P        proxy /local/<appName>/api/ to 127.0.0.1:P/api/\n"
		"  --web-user USER:PASS    also accept these credentials for /local/ pages\n"
		"  --app-version V         the agent's installed app version (default 1.0.0)\n"
		"  --max-running-apps N    before AXIS OS 12.6: at most N apps running (default: no limit)\n"
		"  --max-package-bytes N   upload.cgi refuses larger packages with Error 3\n"
		"  --app-restart-delay S   the agent's app upgraded -> restarted (default 0.3)\n"
		"In AGENT_CMD, @VAPIX_URL@ becomes camsim's URL. Faults: see tests/camsim/vapix.c.\n");
	exit(2);
}

static const char *need(int argc, char **argv, int *i)
{
	if (*i + 1 >= argc)
		usage();
	return argv[++*i];
}

static void copy_field(char *out, size_t outsz, const char *v)
{
	if (!*v || strlen(v) >= outsz) {
		fprintf(stderr, "camsim: bad value '%s'\n", v);
		exit(2);
	}
	snprintf(out, outsz, "%s", v);
}

/* A preinstalled application (unless an earlier run's apps.json has it, or removed it). */
static void add_app(struct camsim *cs, const char *spec, const char *version, int own)
{
	struct cs_app *a;
	char name[CS_FIELD];
	const char *colon = own ? NULL : strchr(spec, ':'); /* NAME:APPLICATION_ID */

	snprintf(name, sizeof(name), "%.*s", colon ? (int)(colon - spec) : (int)strlen(spec), spec);
	if (cs_find_app(cs, name) || (own && cs->app_removed))
		return;
	if (cs->napps == CS_APPS) {
		fprintf(stderr, "camsim: too many apps\n");
		exit(2);
	}
	a = &cs->apps[cs->napps++];
	copy_field(a->name, CS_FIELD, name);
	copy_field(a->nice, CS_TEXT, name);
	copy_field(a->version, CS_FIELD, version);
	copy_field(a->vendor, CS_TEXT, "camagent project");
	copy_field(a->setting_page, CS_TEXT, "index.html");
	a->needs_license = !own;
	a->running = own;
	if (colon)
		copy_field(a->app_id, CS_FIELD, colon + 1);
}

int main(int argc, char **argv)
{
	static struct camsim cs;
	const char *listen = NULL, *url_file = NULL, *dbus = NULL, *app_version = "1.0.0";
	const char *preinstalled[CS_APPS];
	int npre = 0;
	char err[256];
	int i;

	snprintf(cs.serial, sizeof(cs.serial), "ACCC8E000001");
	snprintf(cs.model, sizeof(cs.model), "P3265-LVE");
	snprintf(cs.hwid, sizeof(cs.hwid), "7A1");
	snprintf(cs.arch, sizeof(cs.arch), "aarch64");
	snprintf(cs.active, sizeof(cs.active), "11.11.73");
	snprintf(cs.app, sizeof(cs.app), "camagent");
	cs.committed = 1;
	cs.commit_key = "isCommited";
	cs.minute_s = 60;
	cs.reboot_delay_s = 0.5;
	cs.down_s = 0.5;
	cs.app_restart_s = 0.3;
	cs.max_package = 256 * 1024 * 1024;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--")) {
			if (i + 1 >= argc)
				usage();
			cs.agent_argv = argv + i + 1;
			break;
		} else if (!strcmp(a, "--dir")) {
			copy_field(cs.dir, sizeof(cs.dir), need(argc, argv, &i));
		} else if (!strcmp(a, "--listen")) {
			listen = need(argc, argv, &i);
		} else if (!strcmp(a, "--url-file")) {
			url_file = need(argc, argv, &i);
		} else if (!strcmp(a, "--dbus-address")) {
			dbus = need(argc, argv, &i);
		} else if (!strcmp(a, "--serial")) {
			copy_field(cs.serial, CS_FIELD, need(argc, argv, &i));
		} else if (!strcmp(a, "--model")) {
			copy_field(cs.model, CS_FIELD, need(argc, argv, &i));
		} else if (!strcmp(a, "--version")) {
			copy_field(cs.active, CS_FIELD, need(argc, argv, &i));
		} else if (!strcmp(a, "--hwid")) {
			copy_field(cs.hwid, CS_FIELD, need(argc, argv, &i));
		} else if (!strcmp(a, "--arch")) {
			copy_field(cs.arch, CS_FIELD, need(argc, argv, &i));
		} else if (!strcmp(a, "--app")) {
			if (npre == CS_APPS - 1)
				usage();
			preinstalled[npre++] = need(argc, argv, &i);
		} else if (!strcmp(a, "--app-version")) {
			app_version = need(argc, argv, &i);
		} else if (!strcmp(a, "--max-running-apps")) {
			cs.max_running = atoi(need(argc, argv, &i));
		} else if (!strcmp(a, "--max-package-bytes")) {
			cs.max_package = (size_t)atoll(need(argc, argv, &i));
		} else if (!strcmp(a, "--app-restart-delay")) {
			cs.app_restart_s = atof(need(argc, argv, &i));
		} else if (!strcmp(a, "--app-name")) {
			copy_field(cs.app, CS_FIELD, need(argc, argv, &i));
		} else if (!strcmp(a, "--param-group")) {
			copy_field(cs.param_group, CS_FIELD, need(argc, argv, &i));
		} else if (!strcmp(a, "--is-committed")) {
			cs.commit_key = "isCommitted";
		} else if (!strcmp(a, "--minute-seconds")) {
			cs.minute_s = atof(need(argc, argv, &i));
		} else if (!strcmp(a, "--reboot-delay")) {
			cs.reboot_delay_s = atof(need(argc, argv, &i));
		} else if (!strcmp(a, "--not-ready")) {
			cs.ready_at = cs_now() + atof(need(argc, argv, &i));
		} else if (!strcmp(a, "--down-seconds")) {
			cs.down_s = atof(need(argc, argv, &i));
		} else if (!strcmp(a, "--clock-offset")) {
			cs.clock_offset = atoll(need(argc, argv, &i));
		} else if (!strcmp(a, "--axparameter")) {
			copy_field(cs.axparameter_dir, sizeof(cs.axparameter_dir), need(argc, argv, &i));
		} else if (!strcmp(a, "--html")) {
			copy_field(cs.html_dir, sizeof(cs.html_dir), need(argc, argv, &i));
		} else if (!strcmp(a, "--app-api-port")) {
			cs.app_api_port = atoi(need(argc, argv, &i));
		} else if (!strcmp(a, "--web-user")) {
			copy_field(cs.web_user, sizeof(cs.web_user), need(argc, argv, &i));
		} else {
			usage();
		}
	}
	if (!cs.dir[0] || !listen || cs.minute_s <= 0 || cs.reboot_delay_s < 0 || cs.down_s < 0 ||
	    cs.app_restart_s < 0 || cs.max_running < 0)
		usage();
	if (!cs.param_group[0])
		snprintf(cs.param_group, sizeof(cs.param_group), "%s", cs.app);
	if (fs_mkdirs(cs.dir, 0755) != 0) {
		fprintf(stderr, "camsim: cannot create %s: %s\n", cs.dir, strerror(errno));
		return 1;
	}
	cs_apps_load(&cs);
	for (i = 0; i < npre; i++)
		add_app(&cs, preinstalled[i], "1.0.0", 0);
	add_app(&cs, cs.app, app_version, 1);
	signal(SIGPIPE, SIG_IGN);
	cs.base = event_base_new();
	cs.reboot_timer = evtimer_new(cs.base, on_reboot, &cs);
	cs.kill_timer = evtimer_new(cs.base, on_kill_timeout, &cs);
	cs.respawn_timer = evtimer_new(cs.base, on_respawn, &cs);
	cs.app_restart_timer = evtimer_new(cs.base, on_app_restart, &cs);
	cs.sigchld = evsignal_new(cs.base, SIGCHLD, on_child, &cs);
	cs.sigterm = evsignal_new(cs.base, SIGTERM, on_stop, &cs);
	cs.sigint = evsignal_new(cs.base, SIGINT, on_stop, &cs);
	if (!cs.base || !cs.reboot_timer || !cs.kill_timer || !cs.respawn_timer || !cs.app_restart_timer || !cs.sigchld ||
	    !cs.sigterm || !cs.sigint || evsignal_add(cs.sigchld, NULL) ||
	    evsignal_add(cs.sigterm, NULL) || evsignal_add(cs.sigint, NULL)) {
		cs_log("cannot set up the event loop");
		return 1;
	}
	cs_new_credentials(&cs);
	cs_new_boot_id(&cs);
	if (dbus && cs_dbus_start(&cs, dbus, err, sizeof(err)) != 0) {
		cs_log("%s", err);
		return 1;
	}
	if (cs_http_start(&cs, listen, err, sizeof(err)) != 0) {
		cs_log("%s", err);
		return 1;
	}
	if (url_file) {
		char tmp[PATH_MAX + 8];
		FILE *f;

		snprintf(tmp, sizeof(tmp), "%s.tmp", url_file);
		f = fopen(tmp, "w");
		if (!f || fprintf(f, "%s\n", cs.url) < 0 || fclose(f) != 0 || rename(tmp, url_file)) {
			cs_log("cannot write %s", url_file);
			return 1;
		}
	}
	cs.boots = 1;
	cs_save_state(&cs);
	cs_log("camera %s (%s) running AXIS OS %s at %s", cs.serial, cs.model, cs.active, cs.url);
	start_agent(&cs);
	event_base_dispatch(cs.base);
	cs_dbus_stop();
	if (cs.http)
		evhttp_free(cs.http);
	event_free(cs.reboot_timer);
	event_free(cs.kill_timer);
	event_free(cs.respawn_timer);
	event_free(cs.app_restart_timer);
	if (cs.rollback_timer)
		event_free(cs.rollback_timer);
	event_free(cs.sigchld);
	event_free(cs.sigterm);
	event_free(cs.sigint);
	event_base_free(cs.base);
	free(cs.rules);
	free(cs.rules_text);
	cs_log("stopped");
	return 0;
}
