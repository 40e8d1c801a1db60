#!/usr/bin/env bash
# Streamed uploads (docs/admin-api.md, Uploads): a package sent in chunks with
# Content-Range lands in the catalog through the same code as the path form; a chunk cut
# off mid-body changes nothing and the client resumes from the offset the server
# reports; a chunk at the wrong offset is a 409 that names the right one; a wrong SHA-256
# is refused at finish with nothing in the catalog; only an upload's chunks may pass
# 64 KiB (the gate answers JSON 413 for the rest, and for a chunk over chunk_max); the
# CLI resumes through dropped connections; the upload survives a restart of camcloud;
# the number open is bounded; abandoned ones go after 24 h of the cloud's clock; and a
# 64 MiB upload leaves camcloud's peak RSS where it was.
set -u
. "$(dirname "$0")/../lib.sh"
MKEAP="bash $ROOT/tests/tools/mkeap.sh"
MODEL=P3265-LVE
NOW=$(date +%s)
echo "$NOW" >"$WORK/clock"
# a sanitizer build keeps freed memory in quarantine (256 MiB): that is not the peak
# this test measures
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=1"

cloud_start 0 --test-clock "$WORK/clock" || { echo "FAIL cloud_start"; exit 1; }
TOKEN=$(cat "$CLOUD_DATA/admin.token")
sha() { sha256sum "$1" | cut -d' ' -f1; }
size() { stat -c %s "$1"; }
# put ID FILE FIRST LAST: one chunk (bytes FIRST..LAST of FILE); the status to stdout
put() {
	tail -c +$(($3 + 1)) "$2" | head -c $(($4 - $3 + 1)) >"$WORK/chunk"
	curl -s -o "$WORK/reply.json" -w '%{http_code}' -X PUT -H "Authorization: Bearer $TOKEN" \
		-H "Content-Range: bytes $3-$4/$(size "$2")" -H 'Content-Type: application/octet-stream' \
		--data-binary @"$WORK/chunk" "$CLOUD_URL/admin/v1/uploads/$1"
}
start() { # KIND FILE: a new upload of FILE; its id to stdout
	admin_http POST /admin/v1/uploads "{\"kind\":\"$1\",\"size\":$(size "$2"),\"sha256\":\"$(sha "$2")\",\"name\":\"$(basename "$2")\"}" >"$WORK/status"
	[ "$(cat "$WORK/status")" = 201 ] && reply 'j["id"]'
}
packages() { cc app list | jget 'len(j["packages"])'; }

# --- a real .eap in three chunks
$MKEAP "$WORK/a1.eap" analytics 1.0.0 aarch64 --signed --param Sensitivity=5
N=$(size "$WORK/a1.eap")
check create_answers_201 [ "$(admin_http POST /admin/v1/uploads "{\"kind\":\"app\",\"size\":$N,\"sha256\":\"$(sha "$WORK/a1.eap")\",\"name\":\"a1.eap\"}")" = 201 ]
UP=$(reply 'j["id"]')
check create_offset_and_chunk_max [ "$(reply '(j["offset"], j["chunk_max"])')" = "(0, 1048576)" ]
check part_file_made test -f "$CLOUD_DATA/uploads/$UP.part"
check chunk_1 [ "$(put "$UP" "$WORK/a1.eap" 0 199)" = 200 ]
check chunk_1_offset [ "$(reply 'j["offset"]')" = 200 ]
# --- the wrong offset: 409 with the one to resume from
check wrong_offset_409 [ "$(put "$UP" "$WORK/a1.eap" 300 399)" = 409 ]
check wrong_offset_names_offset [ "$(reply '(j["error"]["code"], j["offset"])')" = "('offset_mismatch', 200)" ]
check repeated_chunk_409 [ "$(put "$UP" "$WORK/a1.eap" 0 199)" = 409 ]
# --- a chunk cut off mid-body: nothing of it counts
python3 - "$CLOUD_URL" "$TOKEN" "$UP" "$N" <<'EOF'
import socket, sys, urllib.parse
u = urllib.parse.urlparse(sys.argv[1])
s = socket.create_connection((u.hostname, u.port))
s.sendall(("PUT /admin/v1/uploads/%s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
           "Content-Range: bytes 200-399/%s\r\nContent-Length: 200\r\n\r\n" % (sys.argv[3], sys.argv[2], sys.argv[4])).encode()
          + b"x" * 80)
s.close()
EOF
sleep 0.5
check dropped_chunk_offset_kept [ "$(admin_http GET "/admin/v1/uploads/$UP")" = 200 ] && check dropped_chunk_not_counted [ "$(reply 'j["offset"]')" = 200 ]
check resume_chunk_2 [ "$(put "$UP" "$WORK/a1.eap" 200 399)" = 200 ]
check early_finish_409 [ "$(admin_http POST "/admin/v1/uploads/$UP/finish")" = 409 ]
check early_finish_offset [ "$(reply '(j["error"]["code"], j["offset"])')" = "('incomplete', 400)" ]
check chunk_3 [ "$(put "$UP" "$WORK/a1.eap" 400 $((N - 1)))" = 200 ]
check finish_200 [ "$(admin_http POST "/admin/v1/uploads/$UP/finish")" = 200 ]
A1=$(reply 'j["id"]')
check finish_is_the_package [ "$(reply '(j["app"], j["version"], j["sha256"])')" = "('analytics', '1.0.0', '$(sha "$WORK/a1.eap")')" ]
check in_catalog [ "$(cc app show "$A1" | jget 'j["size"]')" = "$N" ]
check kept_as_the_catalog_keeps test -f "$CLOUD_DATA/apps/$(sha "$WORK/a1.eap").eap"
check part_file_gone not test -e "$CLOUD_DATA/uploads/$UP.part"
check upload_finished [ "$(admin_http GET "/admin/v1/uploads/$UP")" = 200 ] && check upload_names_result [ "$(reply '(j["state"], j["result_id"])')" = "('finished', '$A1')" ]
check finish_twice_409 [ "$(admin_http POST "/admin/v1/uploads/$UP/finish")" = 409 ]
check chunk_after_finish_409 [ "$(put "$UP" "$WORK/a1.eap" 0 9)" = 409 ]
check path_form_same_package [ "$(cc app upload --server-path "$WORK/a1.eap")" = "$A1" ]
check history_upload cc history | grep -q "upload $UP finished: app a1.eap as $A1"

# --- a wrong SHA-256: refused at finish, nothing kept
$MKEAP "$WORK/a2.eap" analytics 2.0.0 aarch64 --signed
BEFORE=$(packages)
admin_http POST /admin/v1/uploads "{\"kind\":\"app\",\"size\":$(size "$WORK/a2.eap"),\"sha256\":\"$(printf '%064d' 0)\"}" >/dev/null
BAD=$(reply 'j["id"]')
put "$BAD" "$WORK/a2.eap" 0 $(($(size "$WORK/a2.eap") - 1)) >/dev/null
check bad_sha_refused [ "$(admin_http POST "/admin/v1/uploads/$BAD/finish")" = 400 ]
check bad_sha_code [ "$(reply 'j["error"]["code"]')" = sha256_mismatch ]
check bad_sha_not_in_catalog [ "$(packages)" = "$BEFORE" ]
check bad_sha_file_gone not test -e "$CLOUD_DATA/uploads/$BAD.part"
check bad_sha_upload_gone [ "$(admin_http GET "/admin/v1/uploads/$BAD")" = 404 ]
# a package the catalog cannot read: the same refusal as the path form, nothing kept
echo "not a package" >"$WORK/junk.eap"
check junk_refused not cc app upload "$WORK/junk.eap" 2>"$WORK/junk.err"
check junk_reason grep -q "cannot read package junk.eap" "$WORK/junk.err"
check junk_not_in_catalog [ "$(packages)" = "$BEFORE" ]
check nothing_left_in_uploads [ -z "$(ls -A "$CLOUD_DATA/uploads")" ]

# --- body limits: only an upload's chunk passes 64 KiB, up to chunk_max
BIG=$(start app "$WORK/a2.eap")
head -c $((1024 * 1024 + 1)) /dev/zero >"$WORK/over.bin"
code=$(curl -s -o "$WORK/reply.json" -w '%{http_code}' -X PUT -H "Authorization: Bearer $TOKEN" \
	-H "Content-Range: bytes 0-1048576/1048577" --data-binary @"$WORK/over.bin" "$CLOUD_URL/admin/v1/uploads/$BIG")
check oversized_chunk_413 [ "$code" = 413 ]
check oversized_chunk_json [ "$(reply 'j["error"]["code"]')" = too_large ]
head -c $((64 * 1024 + 1)) /dev/zero | tr '\0' ' ' >"$WORK/over64k.json"
code=$(curl -s -o "$WORK/reply.json" -w '%{http_code}' -X POST -H "Authorization: Bearer $TOKEN" \
	-H 'Content-Type: application/json' --data-binary @"$WORK/over64k.json" "$CLOUD_URL/admin/v1/apps")
check other_route_capped_413 [ "$code" = 413 ]
check other_route_capped_json [ "$(reply 'j["error"]["message"]')" = "body over 65536 bytes" ]
code=$(curl -s -o "$WORK/reply.json" -w '%{http_code}' -X POST -H "Authorization: Bearer $TOKEN" \
	--data-binary @"$WORK/over64k.json" "$CLOUD_URL/admin/v1/uploads/$BIG/finish")
check finish_route_capped_413 [ "$code" = 413 ]
head -c $((512 * 1024)) /dev/urandom >"$WORK/half.bin"
HALF=$(start image "$WORK/half.bin")
check chunk_over_64k_passes [ "$(put "$HALF" "$WORK/half.bin" 0 $((512 * 1024 - 1)))" = 200 ]
check empty_body_chunk_refused [ "$(curl -s -o "$WORK/reply.json" -w '%{http_code}' -X PUT -H "Authorization: Bearer $TOKEN" -H "Content-Range: bytes 0-0/1" "$CLOUD_URL/admin/v1/uploads/$BIG")" = 400 ]
check image_needs_model [ "$(admin_http POST "/admin/v1/uploads/$HALF/finish")" = 400 ]
check image_finish [ "$(admin_http POST "/admin/v1/uploads/$HALF/finish" "{\"model\":\"$MODEL\",\"version\":\"9.9.9\"}")" = 200 ]
IMG=$(reply 'j["id"]')
check image_kept_in_data_dir test -f "$CLOUD_DATA/images/$IMG.bin"
check image_sha [ "$(reply 'j["sha256"]')" = "$(sha "$WORK/half.bin")" ]
check cancel_200 [ "$(admin_http DELETE "/admin/v1/uploads/$BIG")" = 200 ]
check cancel_removes_file not test -e "$CLOUD_DATA/uploads/$BIG.part"
check cancelled_gone [ "$(admin_http GET "/admin/v1/uploads/$BIG")" = 404 ]
check bad_kind_400 [ "$(admin_http POST /admin/v1/uploads "{\"kind\":\"movie\",\"size\":1,\"sha256\":\"$(printf '%064d' 0)\"}")" = 400 ]
check too_big_400 [ "$(admin_http POST /admin/v1/uploads "{\"kind\":\"app\",\"size\":4294967296,\"sha256\":\"$(printf '%064d' 0)\"}")" = 400 ]

# --- the CLI streams, resuming through a dropped request and a lost answer
"$MKIMAGE" "$WORK/os.bin" "$MODEL" 13.0.1 $((3 * 1024 * 1024 + 17)) ok
proxy_start || { echo "FAIL proxy_start"; exit 1; }
faults '{"rules": [{"path": "/admin/v1/uploads/", "method": "PUT", "close": true, "count": 1},
	{"path": "/admin/v1/uploads/", "method": "PUT", "drop_after": 0, "count": 1},
	{"path": "/admin/v1/uploads/", "method": "POST", "drop_after": 0, "count": 1}]}'
OS=$("$CAMCLOUD" --url "$PROXY_URL" --data "$CLOUD_DATA" image add "$MODEL" 13.0.1 "$WORK/os.bin" 2>"$WORK/cli.err")
check cli_resumed test -n "$OS"
check cli_retried grep -q "retrying" "$WORK/cli.err"
check cli_image_sha [ "$(cc image list --model "$MODEL" | jget "[i['sha256'] for i in j['images'] if i['id'] == '$OS'][0]")" = "$(sha "$WORK/os.bin")" ]
check cli_faults_used [ "$(grep -c '"status": 0' "$WORK/proxy.log")" -ge 1 ]
check cli_chunked [ "$(grep -c '"method": "PUT"' "$WORK/proxy.log")" -ge 4 ]

# --- a restart between chunks: the store has the upload, the file its bytes
"$MKIMAGE" "$WORK/os2.bin" "$MODEL" 13.0.2 $((2 * 1024 * 1024 + 5)) ok
R=$(start image "$WORK/os2.bin")
put "$R" "$WORK/os2.bin" 0 $((1024 * 1024 - 1)) >/dev/null
cloud_stop
cloud_start 0 --test-clock "$WORK/clock" || { echo "FAIL cloud_restart"; exit 1; }
check after_restart_offset [ "$(admin_http GET "/admin/v1/uploads/$R")" = 200 ] && check after_restart_offset_kept [ "$(reply 'j["offset"]')" = 1048576 ]
check after_restart_chunk_2 [ "$(put "$R" "$WORK/os2.bin" 1048576 2097151)" = 200 ]
check after_restart_chunk_3 [ "$(put "$R" "$WORK/os2.bin" 2097152 $(($(size "$WORK/os2.bin") - 1)))" = 200 ]
check after_restart_finish [ "$(admin_http POST "/admin/v1/uploads/$R/finish" "{\"model\":\"$MODEL\",\"version\":\"13.0.2\"}")" = 200 ]
check after_restart_sha [ "$(reply 'j["sha256"]')" = "$(sha "$WORK/os2.bin")" ]

# --- two instances on one PostgreSQL and one data directory: chunks alternate between
# them and the finish lands on the one that did not see the first chunk (it hashes the file)
if [ -n "${CLOUD_PG_CONN:-}" ]; then
	"$CAMCLOUD" serve --data "$CLOUD_DATA" --listen 127.0.0.1:0 --url-file "$WORK/cloud2.url" \
		--store "postgres:$CLOUD_PG_CONN" --signing-key "$CLOUD_DATA/signing.key" \
		--admin-token-file "$CLOUD_DATA/admin.token" --test-clock "$WORK/clock" >>"$WORK/cloud2.log" 2>&1 &
	PIDS+=($!)
	check second_instance wait_for 20 test -s "$WORK/cloud2.url"
	FIRST_URL=$CLOUD_URL SECOND_URL=$(cat "$WORK/cloud2.url")
	"$MKIMAGE" "$WORK/os3.bin" "$MODEL" 13.0.3 $((3 * 1024 * 1024)) ok
	M=$(start image "$WORK/os3.bin")
	for k in 0 1 2; do
		[ $((k % 2)) = 0 ] && CLOUD_URL=$FIRST_URL || CLOUD_URL=$SECOND_URL
		check "instance_chunk_$k" [ "$(put "$M" "$WORK/os3.bin" $((k * 1048576)) $(((k + 1) * 1048576 - 1)))" = 200 ]
	done
	CLOUD_URL=$SECOND_URL
	check other_instance_finishes [ "$(admin_http POST "/admin/v1/uploads/$M/finish" "{\"model\":\"$MODEL\",\"version\":\"13.0.3\"}")" = 200 ]
	check other_instance_sha [ "$(reply 'j["sha256"]')" = "$(sha "$WORK/os3.bin")" ]
	CLOUD_URL=$FIRST_URL
fi

# --- bounded: at most 8 open uploads each
for i in 1 2 3 4 5 6 7 8; do start image "$WORK/half.bin" >/dev/null; done
check ninth_refused [ "$(admin_http POST /admin/v1/uploads "{\"kind\":\"image\",\"size\":1,\"sha256\":\"$(printf '%064d' 0)\"}")" = 409 ]
check ninth_reason [ "$(reply 'j["error"]["code"]')" = upload_limit ]
check ninth_message grep -q "finish or cancel one" "$WORK/reply.json"

# --- abandoned: gone once the cloud's clock passes 24 h after the last chunk
OLD=$(ls "$CLOUD_DATA/uploads" | head -n1)
echo $((NOW + 23 * 3600)) >"$WORK/clock"
check not_yet_expired [ "$(admin_http GET "/admin/v1/uploads/${OLD%.part}")" = 200 ]
echo $((NOW + 25 * 3600)) >"$WORK/clock"
check expired_404 [ "$(admin_http GET "/admin/v1/uploads/${OLD%.part}")" = 404 ]
check after_expiry_room [ -n "$(start image "$WORK/half.bin")" ]
check expired_files_removed [ "$(ls "$CLOUD_DATA/uploads" | wc -l)" = 1 ]
check expired_logged grep -q "abandoned: removed" "$WORK/cloud.log"
echo "$NOW" >"$WORK/clock"

# --- memory: a 64 MiB upload in 1 MiB chunks leaves the peak RSS flat
head -c $((64 * 1024 * 1024)) /dev/urandom >"$WORK/big.bin"
hwm() { awk '$1 == "VmHWM:" { print $2 }' "/proc/$CLOUD_PID/status"; }
for i in $(ls "$CLOUD_DATA/uploads"); do admin_http DELETE "/admin/v1/uploads/${i%.part}" >/dev/null; done
H0=$(hwm)
BIGIMG=$(cc image add "$MODEL" 64.0.0 "$WORK/big.bin")
H1=$(hwm)
echo "camcloud VmHWM before a 64 MiB upload: $H0 kB, after: $H1 kB"
check big_upload_done test -n "$BIGIMG"
check big_upload_rss_measured [ -n "$H0" ] && [ -n "$H1" ]
check big_upload_rss_flat [ $((H1 - H0)) -lt $((8 * 1024)) ]
finish
