# What both demos (tests/demo.sh, tests/demo_axis.sh) print: a step heading, and on
# failure the reason with the tails of the camera's and the cloud's logs.
say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
fail() {
	echo "demo failed: $*"
	echo "--- camera log"
	tail -n 40 "$WORK/cam.log" || true
	echo "--- cloud log"
	tail -n 20 "$WORK/cloud.log" || true
	exit 1
}
