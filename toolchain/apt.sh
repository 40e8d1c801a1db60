# Sourced by the toolchain scripts: apt_install_missing WHO PACKAGE... installs those of
# the Debian packages that are not installed yet (as root), or says which are missing.
apt_install_missing() {
	local who=$1 p missing=""
	shift
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	if [ "$(id -u)" != 0 ]; then
		echo "$who: missing packages:$missing (run as root to install them)" >&2
		return 1
	fi
	echo "$who: installing$missing"
	DEBIAN_FRONTEND=noninteractive apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
}
