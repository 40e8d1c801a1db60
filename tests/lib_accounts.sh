# Shell helpers for the account tests (source after tests/lib.sh, after cloud_start):
# the admin API by curl as a given principal, JSON fields, sign-up and sign-in, TOTP
# codes for a secret (RFC 6238, computed by Python's hmac as an authenticator would).

# api AS METHOD PATH [BODY]: prints "STATUS BODY". AS: "none", "boot" (the admin
# token), "tok:<API token>", or "ses:<name>" (a session kept by signin_as NAME).
api() {
	local as=$1 method=$2 path=$3 body=${4:-} args=()
	case $as in
	boot) args=(-H "Authorization: Bearer $(cat "$CLOUD_DATA/admin.token")") ;;
	tok:*) args=(-H "Authorization: Bearer ${as#tok:}") ;;
	ses:*)
		args=(-b "$WORK/${as#ses:}.cookies")
		[ "$method" = GET ] || args+=(-H "X-CSRF-Token: $(cat "$WORK/${as#ses:}.csrf")")
		;;
	esac
	[ -z "$body" ] || args+=(-H "Content-Type: application/json" --data-binary "$body")
	# a body file of its own: calls inside <(...) run alongside the next one
	local out
	out=$(mktemp "$WORK/api.XXXXXX")
	curl -s -o "$out" -w '%{http_code}' -X "$method" "${args[@]}" "$CLOUD_URL$path"
	echo " $(cat "$out")"
	rm -f "$out"
}

# status AS METHOD PATH [BODY]: the HTTP status alone.
status() { api "$@" | cut -d' ' -f1; }

# jfield EXPR: a Python expression over the JSON after the status on stdin (j).
jfield() {
	python3 -c 'import json, sys; t = sys.stdin.read(); j = json.loads(t.split(" ", 1)[1]); print(eval(sys.argv[1]))' "$1"
}

# signup EMAIL PASSWORD [ORG_NAME] [AS]: prints the reply.
signup() {
	local body
	body=$(python3 -c 'import json, sys; d = {"email": sys.argv[1], "password": sys.argv[2]}
if sys.argv[3]: d["org_name"] = sys.argv[3]
print(json.dumps(d))' "$1" "$2" "${3:-}")
	api "${4:-none}" POST /admin/v1/signup "$body"
}

# signin_as NAME EMAIL PASSWORD [TOTP]: a session kept as NAME (cookie jar and CSRF
# token under $WORK); prints the reply.
signin_as() {
	local body
	body=$(python3 -c 'import json, sys; d = {"email": sys.argv[1], "password": sys.argv[2]}
if sys.argv[3]: d["totp"] = sys.argv[3]
print(json.dumps(d))' "$2" "$3" "${4:-}")
	curl -s -c "$WORK/$1.cookies" -D "$WORK/$1.headers" -o "$WORK/$1.signin" -w '%{http_code}' \
		-H "Content-Type: application/json" --data-binary "$body" "$CLOUD_URL/admin/v1/signin"
	echo " $(cat "$WORK/$1.signin")"
	python3 -c 'import json, sys; print(json.load(open(sys.argv[1])).get("csrf_token", ""))' \
		"$WORK/$1.signin" >"$WORK/$1.csrf" 2>/dev/null
}

# totp SECRET [OFFSET_STEPS]: the 6-digit code of now (plus offset steps), as an app does.
totp() {
	python3 - "$1" "${2:-0}" "${TOTP_NOW:-}" <<'PY'
import base64, hashlib, hmac, struct, sys, time
key = base64.b32decode(sys.argv[1] + "=" * (-len(sys.argv[1]) % 8))
now = int(sys.argv[3]) if sys.argv[3] else int(time.time())
counter = now // 30 + int(sys.argv[2])
mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
off = mac[-1] & 15
print("%06d" % ((struct.unpack(">I", mac[off:off + 4])[0] & 0x7fffffff) % 1000000))
PY
}

# api_token AS ORG [ROLE]: a personal API token of the session AS in ORG.
api_token() {
	api "$1" POST /admin/v1/me/api-tokens \
		"{\"org_id\":\"$2\"${3:+,\"role\":\"$3\"},\"name\":\"test\"}" | jfield 'j["token"]'
}
