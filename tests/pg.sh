# A private PostgreSQL cluster for the tests: initdb in a temporary directory, the
# server on a Unix socket in that directory only (no TCP), run as an unprivileged
# user when the tests run as root. Source it; pg_cluster_start sets PG_DIR and
# CAMCLOUD_STORE_BASE (the libpq connection string without a database).

PG_BIN=${PG_BIN:-$(pg_config --bindir 2>/dev/null)}

# The user the cluster runs as: PostgreSQL refuses to run as root.
pg_user() { if [ "$(id -u)" = 0 ]; then echo nobody; else id -un; fi; }

pg_as() { # command...: runs it as pg_user
	if [ "$(id -u)" = 0 ]; then runuser -u nobody -- "$@"; else "$@"; fi
}

pg_available() { [ -n "$PG_BIN" ] && [ -x "$PG_BIN/initdb" ] && [ -x "$PG_BIN/pg_ctl" ]; }

pg_cluster_start() {
	PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/camcloud-pg.XXXXXX") || return 1
	chmod 0755 "$PG_DIR"
	mkdir "$PG_DIR/data" && chmod 0700 "$PG_DIR/data"
	[ "$(id -u)" != 0 ] || chown "$(pg_user)" "$PG_DIR" "$PG_DIR/data"
	# C collation: rows sort by bytes, as SQLite sorts them.
	pg_as "$PG_BIN/initdb" -D "$PG_DIR/data" -U "$(pg_user)" --auth=trust --no-locale \
		-E UTF8 >"$PG_DIR/initdb.log" 2>&1 || { cat "$PG_DIR/initdb.log"; return 1; }
	pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 30 \
		-o "-c listen_addresses='' -k $PG_DIR -c fsync=off -c synchronous_commit=off" \
		start >/dev/null || { cat "$PG_DIR/server.log"; return 1; }
	CAMCLOUD_STORE_BASE="host=$PG_DIR user=$(pg_user)"
}

# pg_database NAME: creates database NAME unless it is there; prints its store spec.
pg_database() {
	"$PG_BIN/createdb" -h "$PG_DIR" -U "$(pg_user)" "$1" 2>/dev/null
	echo "postgres:$CAMCLOUD_STORE_BASE dbname=$1"
}

pg_cluster_stop() {
	[ -n "${PG_DIR:-}" ] || return 0
	pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1
	rm -rf "$PG_DIR"
	PG_DIR=
}
