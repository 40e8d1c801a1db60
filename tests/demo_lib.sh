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

# sign_in_owner ORG_NAME EMAIL: the bootstrap admin token makes EMAIL the owner of a new
# organization ORG_NAME (after that the token is refused), then `camcloud login` signs in
# as that user and keeps an API token that every later `cc` uses
# (CAMCLOUD_TOKEN_FILE). Sets ORG to the organization's id.
sign_in_owner() {
	printf 'demo password %s\n' "$RANDOM$RANDOM" >"$WORK/owner.password"
	ORG=$(cc user create-owner --email "$2" --org-name "$1" --password-file "$WORK/owner.password") ||
		return 1
	export CAMCLOUD_TOKEN_FILE="$WORK/owner.token"
	"$CAMCLOUD" --url-file "$WORK/cloud.url" login --email "$2" \
		--password-file "$WORK/owner.password" 2>/dev/null
}
