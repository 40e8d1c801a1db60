/* camsim_fixture: see camsim_fixture.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../lib/buf.h"
#include "../../lib/curl_loop.h"
#include "../../lib/fsutil.h"
#include "../../lib/json.h"
#include "camsim_fixture.h"

char bus_address[512];
static pid_t bus_pid;
char tmproot[64];


static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

int read_text(const char *path, char *out, size_t outsz)
{
	struct buf b;
	int rc;

	buf_init(&b, outsz);
	rc = fs_read_file(path, &b, outsz - 1);
	if (rc == 0)
		snprintf(out, outsz, "%s", buf_str(&b));
	buf_free(&b);
	return rc;
}

void write_text(const char *path, const char *text)
{
	assert_int_equal(fs_write_atomic(path, text, strlen(text), 0644), 0);
}

/* ---- the private bus (once per run) ---- */

int start_bus(void **state)
{
	char addr_file[128];
	int fd;

	snprintf(tmproot, sizeof(tmproot), "/tmp/test_platform_axis.XXXXXX");
	if (!mkdtemp(tmproot))
		return -1;
	snprintf(addr_file, sizeof(addr_file), "%s/bus.addr", tmproot);
	bus_pid = fork();
	if (bus_pid == 0) {
		fd = open(addr_file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0 || dup2(fd, 3) < 0)
			_exit(127);
		int devnull = open("/dev/null", O_WRONLY);
		dup2(devnull, 2);
		execlp("dbus-daemon", "dbus-daemon", "--session", "--nofork", "--print-address=3",
		       (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 100; i++) {
		if (read_text(addr_file, bus_address, sizeof(bus_address)) == 0 && strchr(bus_address, '\n')) {
			*strchr(bus_address, '\n') = '\0';
			return 0;
		}
		sleep_ms(50);
	}
	fprintf(stderr, "dbus-daemon did not start\n");
	return -1;
}

int stop_bus(void **state)
{
	if (bus_pid > 0) {
		kill(bus_pid, SIGTERM);
		waitpid(bus_pid, NULL, 0);
	}
	nftw(tmproot, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

/* ---- camsim ---- */

void camsim_start(struct fixture *f, const char *const *extra)
{
	static int seq;
	char url_file[300], bin[256];
	const char *build = getenv("BUILD") ? getenv("BUILD") : "build/host";
	const char *argv[40];
	int n = 0;

	snprintf(f->dir, sizeof(f->dir), "%s/cam%d", tmproot, ++seq);
	snprintf(f->state, sizeof(f->state), "%s/agent", f->dir);
	assert_int_equal(fs_mkdirs(f->state, 0700), 0);
	snprintf(url_file, sizeof(url_file), "%s/url", f->dir);
	snprintf(bin, sizeof(bin), "%s/camsim", build);
	argv[n++] = getenv("CAMSIM") ? getenv("CAMSIM") : bin;
	const char *base[] = { "--dir", f->dir, "--listen", "127.0.0.12:0", "--url-file", url_file,
			       "--dbus-address", bus_address, "--serial", SERIAL, "--model", MODEL,
			       "--version", OLD_OS, "--arch", "armv7hf", "--hwid", "92F",
			       "--reboot-delay", "0.1", "--down-seconds", "0.1",
			       "--app", "camagent-analytics:4711", NULL };
	for (int i = 0; base[i]; i++)
		argv[n++] = base[i];
	for (int i = 0; extra && extra[i]; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	f->camsim = fork();
	if (f->camsim == 0) {
		int devnull = open(getenv("CAMSIM_LOG") ? getenv("CAMSIM_LOG") : "/dev/null",
				   O_WRONLY | O_CREAT | O_APPEND, 0644);
		dup2(devnull, 2);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	for (int i = 0; i < 200; i++) {
		if (read_text(url_file, f->url, sizeof(f->url)) == 0 && strchr(f->url, '\n')) {
			*strchr(f->url, '\n') = '\0';
			return;
		}
		sleep_ms(25);
	}
	fail_msg("camsim (%s) did not start", argv[0]);
}

void camsim_stop(struct fixture *f)
{
	if (f->camsim > 0) {
		kill(f->camsim, SIGTERM);
		waitpid(f->camsim, NULL, 0);
		f->camsim = 0;
	}
}

/* A field of camsim's state.json as text ("true"/"false" for booleans). */
void camsim_field(struct fixture *f, const char *key, char *out, size_t outsz)
{
	char path[300], text[16384];
	struct json_doc doc = { 0 };
	int tok, b;

	out[0] = '\0';
	snprintf(path, sizeof(path), "%s/state.json", f->dir);
	if (read_text(path, text, sizeof(text)) != 0 ||
	    json_parse(&doc, text, strlen(text), 1024) != 0)
		return;
	tok = json_find(&doc, 0, key);
	if (tok >= 0 && json_tok_string(&doc, tok, out, outsz) != 0) {
		if (json_tok_bool(&doc, tok, &b) == 0) {
			snprintf(out, outsz, "%s", b ? "true" : "false");
		} else {
			size_t len;
			const char *raw = json_tok_raw(&doc, tok, &len);
			snprintf(out, outsz, "%.*s", (int)len, raw);
		}
	}
	json_free(&doc);
}

void wait_field(struct fixture *f, const char *key, const char *want)
{
	char v[128];

	for (int i = 0; i < 200; i++) {
		camsim_field(f, key, v, sizeof(v));
		if (!strcmp(v, want))
			return;
		sleep_ms(25);
	}
	fail_msg("camsim %s is '%s', expected '%s'", key, v, want);
}

/* ---- the platform ---- */

/* The platform's transfers on the fixture's curl loop, as the agent lends its multi. */
struct lent_transfer {
	struct fixture *f;
	CURL *easy;
	platform_transfer_done_fn done;
	void *arg;
};

static void on_transfer_ended(CURL *easy, CURLcode result, void *arg)
{
	struct fixture *f = arg;
	struct lent_transfer *t = NULL;

	curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&t);
	curl_multi_remove_handle(curl_loop_multi(f->loop), easy);
	if (!t)
		return;
	platform_transfer_done_fn done = t->done;
	void *done_arg = t->arg;
	free(t);
	done(easy, result, done_arg);
}

static void *lend_start(void *priv, CURL *easy, platform_transfer_done_fn done, void *arg)
{
	struct fixture *f = priv;
	struct lent_transfer *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	*t = (struct lent_transfer){ f, easy, done, arg };
	if (curl_easy_setopt(easy, CURLOPT_PRIVATE, (char *)t) != CURLE_OK ||
	    curl_multi_add_handle(curl_loop_multi(f->loop), easy) != CURLM_OK) {
		free(t);
		return NULL;
	}
	return t;
}

static void lend_cancel(void *priv, void *transfer)
{
	struct fixture *f = priv;
	struct lent_transfer *t = transfer;

	curl_multi_remove_handle(curl_loop_multi(f->loop), t->easy);
	free(t);
}

int axis_open(struct fixture *f)
{
	struct platform_axis_config cfg = {
		.vapix_url = f->url, .app_name = "camagent", .state_dir = f->state,
		.dbus_address = bus_address, .auto_rollback_min = 1, .timeout_s = f->timeout_s,
		.net = &f->net, .base = f->w.base,
	};

	platform_close(&f->p);
	f->reason[0] = '\0';
	if (platform_axis_open(&f->p, &cfg, f->reason, sizeof(f->reason)) != 0)
		return -1;
	if (OP0(f, start) == 0)
		return 0;
	platform_close(&f->p); /* as the agent does with a camera not ready */
	return -1;
}

void must_open(struct fixture *f)
{
	if (axis_open(f) != 0)
		fail_msg("platform_axis_open: %s", f->reason);
}

void expect_reason(struct fixture *f, const char *needle)
{
	if (!strstr(f->reason, needle))
		fail_msg("reason '%s' lacks '%s'", f->reason, needle);
}

int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	*state = f;
	if (!f || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
	    !(f->w.base = event_base_new()) ||
	    curl_loop_new(&f->loop, f->w.base, on_transfer_ended, f) != 0)
		return -1;
	f->net = (struct platform_net){ lend_start, lend_cancel, f };
	return 0;
}

int teardown(void **state)
{
	struct fixture *f = *state;

	platform_close(&f->p);
	camsim_stop(f);
	curl_loop_free(f->loop);
	if (f->w.base)
		event_base_free(f->w.base);
	curl_global_cleanup();
	free(f);
	return 0;
}

