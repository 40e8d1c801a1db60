#!/usr/bin/env bash
# The README's commands on machines that have nothing: for each command, a new Debian 12
# minbase root from debootstrap gets a clone of the commit under test (HEAD; uncommitted
# changes are not in it), `make` as the one package a newcomer installs by hand, and then
# runs that command as its very first. Prints PASS/FAIL per command, then "N passed, N failed".
#
# Cached between runs under $CAMAGENT_CI_CACHE (default /var/cache/camagent-ci): the
# debootstrap tarball, apt's archive of downloaded .debs and npm's download cache; never
# an installed root, which is made anew for every command and removed afterwards.
# Logs: build/fresh-root/<command>.log. Run as root.
# Usage: .ci/fresh-root.sh [make-target...]   (default: demo check)
set -u
cd "$(dirname "$0")/.."
REPO=$(pwd)
SUITE=bookworm
CACHE=${CAMAGENT_CI_CACHE:-/var/cache/camagent-ci}
LOGS="$REPO/build/fresh-root"
[ $# -gt 0 ] || set -- demo check

bash toolchain/deps.sh fresh-root || { echo "0 passed, 1 failed"; exit 1; }
COMMIT=$(git rev-parse HEAD)
DEB_ARCH=$(dpkg --print-architecture)
TARBALL="$CACHE/debootstrap-$SUITE-minbase-$DEB_ARCH.tgz"
mkdir -p "$CACHE/apt-archives/partial" "$CACHE/npm" "$LOGS"
# debootstrap takes the host's own mirror for the suite, as apt on the host sees it.
MIRROR=$(apt-get indextargets --no-release-info --format '$(RELEASE) $(COMPONENT) $(REPO_URI)' \
	'Identifier: Packages' | awk -v s="$SUITE" '$1 == s && $2 == "main" { print $3; exit }')
[ -n "$MIRROR" ] || { echo "fresh-root: no apt source for $SUITE main on this machine"; echo "0 passed, 1 failed"; exit 1; }

ROOT=""
root_pids() { # processes whose root directory is $ROOT (tests may leave daemons behind)
	local p
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/root" 2>/dev/null)" = "$ROOT" ] && echo "${p#/proc/}"
	done
}
root_mounts() { # mount points inside $ROOT (not $ROOT itself), deepest first
	awk -v r="$ROOT/" 'index($2, r) == 1 { print $2 }' /proc/self/mounts | sort -r
}
remove_root() {
	[ -n "$ROOT" ] && [ -d "$ROOT" ] || return 0
	local pids m
	pids=$(root_pids)
	# shellcheck disable=SC2086
	[ -z "$pids" ] || { kill -TERM $pids 2>/dev/null; sleep 1; kill -KILL $pids 2>/dev/null; }
	for m in $(root_mounts); do
		umount "$m" 2>/dev/null || umount -l "$m"
	done
	# The root is a tmpfs of its own: unmounted, it is gone. Never remove anything through
	# a mount that is still there (/dev, the cache).
	if [ -n "$(root_mounts)" ] || { mountpoint -q "$ROOT" && ! umount "$ROOT"; }; then
		echo "fresh-root: still mounted in $ROOT, left in place" >&2
	else
		rmdir "$ROOT"
	fi
	ROOT=""
}
trap remove_root EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

# The debootstrap tarball: the minbase .debs, downloaded once.
make_tarball() {
	[ -s "$TARBALL" ] && return 0
	local dir
	dir=$(mktemp -d /var/tmp/camagent-debootstrap.XXXXXX)
	debootstrap --variant=minbase --make-tarball="$TARBALL.part" "$SUITE" "$dir" "$MIRROR" \
		>"$LOGS/debootstrap-tarball.log" 2>&1
	local rc=$?
	rm -rf "$dir"
	[ $rc = 0 ] && mv "$TARBALL.part" "$TARBALL"
	return $rc
}

# new_root: a pristine root in $ROOT with /proc, /dev, /sys, the caches, the host's CA
# bundle, apt sources and resolver, and the clone in /root/camagent.
new_root() {
	# In memory: dpkg's many small synced writes and the removal afterwards cost minutes on disk.
	ROOT=$(mktemp -d /var/tmp/camagent-root.XXXXXX) &&
		mount -t tmpfs -o size=8g,mode=755 camagent-root "$ROOT" || return 1
	debootstrap --variant=minbase --unpack-tarball="$TARBALL" "$SUITE" "$ROOT" "$MIRROR" \
		>"$LOGS/debootstrap-$1.log" 2>&1 || return 1
	mount -t proc proc "$ROOT/proc" &&
		mount --rbind /dev "$ROOT/dev" && mount --make-rslave "$ROOT/dev" &&
		mount --rbind /sys "$ROOT/sys" && mount --make-rslave "$ROOT/sys" &&
		mount --bind "$CACHE/apt-archives" "$ROOT/var/cache/apt/archives" &&
		mkdir -p "$ROOT/root/.npm" && mount --bind "$CACHE/npm" "$ROOT/root/.npm" || return 1
	# apt keeps what it downloads, so the archive above fills up.
	echo 'Binary::apt::APT::Keep-Downloaded-Packages "true"; APT::Keep-Downloaded-Packages "true";' \
		>"$ROOT/etc/apt/apt.conf.d/90keep-downloaded-packages"
	rm -f "$ROOT/etc/apt/sources.list"
	cp /etc/apt/sources.list "$ROOT/etc/apt/" 2>/dev/null
	local f
	for f in /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources /etc/apt/apt.conf.d/*proxy*; do
		[ -e "$f" ] && cp "$f" "$ROOT$f"
	done
	# The CA bundle as it is, and the local CAs it was made from, so that installing
	# ca-certificates in the root (update-ca-certificates) keeps them.
	mkdir -p "$ROOT/etc/ssl/certs" "$ROOT/usr/local/share/ca-certificates"
	cp /etc/ssl/certs/ca-certificates.crt "$ROOT/etc/ssl/certs/"
	cp -r /usr/local/share/ca-certificates/. "$ROOT/usr/local/share/ca-certificates/"
	cp -L /etc/resolv.conf "$ROOT/etc/resolv.conf"
	[ -e "$ROOT/etc/hosts" ] || printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' \
		>"$ROOT/etc/hosts"
	git clone -q --no-hardlinks "$REPO" "$ROOT/root/camagent" &&
		git -C "$ROOT/root/camagent" checkout -q --detach "$COMMIT"
}

# in_root CMD: CMD under bash in the root, with a clean environment (the proxy and CA
# variables of the host only) and standard input closed.
in_root() {
	local v pass=()
	for v in http_proxy https_proxy no_proxy HTTP_PROXY HTTPS_PROXY NO_PROXY; do
		[ -n "${!v:-}" ] && pass+=("$v=${!v}")
	done
	chroot "$ROOT" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
		NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt \
		"${pass[@]+"${pass[@]}"}" /bin/bash -c "$1" </dev/null
}
# in_root_logged CMD LOG: in_root with its output appended to LOG; in the background, so
# that a TERM reaches the traps (and remove_root) at once.
in_root_logged() {
	in_root "$1" >>"$2" 2>&1 &
	wait $!
}

passed=0
failed=0
timings=()
result() { # name ok? : one PASS/FAIL line
	if [ "$2" = 0 ]; then
		echo "PASS $1"
		passed=$((passed + 1))
	else
		echo "FAIL $1"
		failed=$((failed + 1))
	fi
}

t0=$SECONDS
make_tarball
rc=$?
timings+=("$(printf '%5d s  debootstrap tarball (%s)' $((SECONDS - t0)) "$([ $rc = 0 ] && echo ok || echo failed)")")
if [ $rc != 0 ]; then
	tail -n 20 "$LOGS/debootstrap-tarball.log"
	result fresh_root_tarball 1
fi

for target in "$@"; do
	[ $rc = 0 ] || break
	name="fresh_root_make_$target"
	log="$LOGS/$target.log"
	echo "=== a pristine $SUITE root: make $target as the first command (log: build/fresh-root/$target.log)"
	t0=$SECONDS
	if ! new_root "$target"; then
		tail -n 20 "$LOGS/debootstrap-$target.log"
		result "$name" 1
		remove_root
		continue
	fi
	t_root=$((SECONDS - t0))
	# The one step before the README: `make` itself.
	: >"$log"
	in_root_logged 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends make >/dev/null' \
		"$log"
	t_make=$((SECONDS - t0 - t_root))
	in_root_logged "cd /root/camagent && make $target" "$log"
	cmd_rc=$?
	t_cmd=$((SECONDS - t0 - t_root - t_make))
	tail -n 25 "$log"
	ok=$cmd_rc
	# make check must also end with its own count and no failure; its checks join the count.
	if [ "$target" = check ]; then
		line=$(tail -n 3 "$log" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -n 1)
		if [ -n "$line" ]; then
			passed=$((passed + $(echo "$line" | cut -d' ' -f1)))
			failed=$((failed + $(echo "$line" | cut -d' ' -f3)))
		fi
		echo "$line" | grep -Eq '^[0-9]+ passed, 0 failed$' || ok=1
	fi
	result "$name" $ok
	remove_root
	timings+=("$(printf '%5d s  make %s (root %d s, make installed %d s, command %d s)' \
		$((SECONDS - t0)) "$target" $t_root $t_make $t_cmd)")
done

echo
echo "fresh-root timings (wall):"
printf '%s\n' "${timings[@]}"
echo "cache: $(du -sh "$CACHE" 2>/dev/null | cut -f1) in $CACHE"
echo "$passed passed, $failed failed"
[ $failed = 0 ] && [ $passed -gt 0 ]
