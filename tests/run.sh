#!/usr/bin/env bash
# Runs the unit test binaries given as arguments (cmocka), then every
# tests/integration/test_*.sh, then the cloud's integration tests against PostgreSQL,
# and ends with one line: "N passed, N failed".
# Integration scripts print "PASS <name>" / "FAIL <name>" per case.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export BUILD=${BUILD:-build/host}
unit_only=0
if [ "${1:-}" = "--unit-only" ]; then
	unit_only=1
	shift
fi
passed=0
failed=0
failures=()

count_cmocka() { # binary output-file exit-code
	local ok bad
	ok=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$2" | tail -n1)
	bad=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$2" | tail -n1)
	if [ -z "$ok" ] && [ -z "$bad" ]; then
		failed=$((failed + 1)) # crashed before its summary
		failures+=("$(basename "$1") (no summary: crashed?)")
		return
	fi
	# a case whose setup failed is reported as "[  ERROR   ] name", outside the FAILED
	# count ("[  ERROR   ] --- message" is a failed check's text: its case is counted)
	bad=$((${bad:-0} + $(grep -c '^\[  ERROR   \] [^-]' "$2")))
	passed=$((passed + ${ok:-0}))
	failed=$((failed + bad))
	[ "$bad" = 0 ] || failures+=("$(basename "$1")")
	# All cases passed but the binary failed: a sanitizer (LeakSanitizer reports at exit)
	# or a crash after the summary. That counts.
	if [ "$bad" = 0 ] && [ "$3" != 0 ]; then
		failed=$((failed + 1))
		failures+=("$(basename "$1") (exit $3 after its cases passed: sanitizer?)")
	fi
}

out=$(mktemp)
for t in "$@"; do
	echo "--- $(basename "$t")"
	"$t" >"$out" 2>&1
	rc=$?
	cat "$out"
	count_cmocka "$t" "$out" "$rc"
done

# Integration scripts run CHECK_JOBS at a time (default: one per core): most of their
# time is spent waiting on timers, not computing. A script whose checks bound how long
# something takes, or that loads the machine (a browser), says so in a line of its own,
#     # check: alone
# and runs after the others with nothing beside it. Output and counts keep file order.
run_scripts() { # LABEL SCRIPT...: runs integration scripts, counting PASS / FAIL lines
	local label=$1 s dir jobs=${CHECK_JOBS:-$(nproc)} running=0
	shift
	local shared=() alone=()
	for s in "$@"; do
		[ -e "$s" ] || continue
		if grep -q '^# check: alone' "$s"; then alone+=("$s"); else shared+=("$s"); fi
	done
	dir=$(mktemp -d)
	local queue=("${shared[@]+"${shared[@]}"}" "${alone[@]+"${alone[@]}"}") next=0 i=0
	for s in "${shared[@]+"${shared[@]}"}"; do
		if [ "$running" -ge "$jobs" ]; then
			wait -n
			running=$((running - 1))
			report_done "$label" "$dir"
		fi
		run_one "$s" "$dir/$i" &
		running=$((running + 1))
		i=$((i + 1))
	done
	wait
	report_done "$label" "$dir"
	for s in "${alone[@]+"${alone[@]}"}"; do
		run_one "$s" "$dir/$i"
		i=$((i + 1))
		report_done "$label" "$dir"
	done
	rm -rf "$dir"
}

run_one() { # SCRIPT OUT: its output in OUT.out, exit code in OUT.rc, seconds in OUT.s
	local t0=$SECONDS
	bash "$1" >"$2.out" 2>&1
	echo $? >"$2.rc.part"
	echo $((SECONDS - t0)) >"$2.s"
	mv "$2.rc.part" "$2.rc"
}

# Reports, in queue order, the scripts that have ended and every one before them has.
report_done() { # LABEL DIR (queue, next: the caller's)
	local label=$1 dir=$2 s rc p f
	while [ "$next" -lt "${#queue[@]}" ] && [ -e "$dir/$next.rc" ]; do
		s=${queue[$next]}
		rc=$(cat "$dir/$next.rc")
		echo "--- $(basename "$s")$label ($(cat "$dir/$next.s") s)"
		cat "$dir/$next.out"
		p=$(grep -c '^PASS ' "$dir/$next.out")
		f=$(grep -c '^FAIL ' "$dir/$next.out")
		if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
			f=1 # died before reporting its failure
			echo "FAIL $(basename "$s") exited $rc"
		fi
		passed=$((passed + p))
		failed=$((failed + f))
		[ "$f" = 0 ] || failures+=("$(basename "$s")$label")
		next=$((next + 1))
	done
}

# The cloud's HTTP unit tests and its own integration tests once more with camcloud on
# PostgreSQL: a private cluster (tests/pg.sh), one database per test.
CLOUD_SCRIPTS="test_cloud_*.sh test_enrollment.sh test_end_to_end.sh test_update_window.sh
	test_offline_license.sh"
run_on_postgres() {
	. "$ROOT/tests/pg.sh"
	if ! pg_available; then
		echo "FAIL postgres: no initdb/pg_ctl (toolchain/deps.sh installs postgresql)"
		failed=$((failed + 1))
		failures+=("postgres cluster")
		return
	fi
	if ! pg_cluster_start; then
		failed=$((failed + 1))
		failures+=("postgres cluster")
		return
	fi
	export CAMCLOUD_STORE_BASE PG_DIR PG_BIN
	local t
	for t in "$@"; do # the HTTP unit tests, each test on a database of its own
		case $(basename "$t") in
		test_cloud_http)
			echo "--- $(basename "$t") (postgres)"
			"$t" >"$out" 2>&1
			local rc=$?
			cat "$out"
			count_cmocka "$t" "$out" "$rc"
			;;
		esac
	done
	local scripts=() g
	for g in $CLOUD_SCRIPTS; do
		scripts+=("$ROOT"/tests/integration/$g)
	done
	run_scripts " (postgres)" "${scripts[@]}"
	unset CAMCLOUD_STORE_BASE
	pg_cluster_stop
}

if [ $unit_only = 0 ]; then
	run_scripts "" "$ROOT"/tests/integration/test_*.sh
	run_on_postgres "$@"
fi
rm -f "$out"

echo
for f in "${failures[@]+"${failures[@]}"}"; do
	echo "failed: $f"
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
