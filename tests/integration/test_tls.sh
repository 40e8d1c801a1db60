#!/usr/bin/env bash
# TLS: the agent talks HTTPS with certificate verification on. The cloud sits behind a
# TLS-terminating proxy whose certificate is signed by a test CA made here.
# With that CA configured the camera enrolls and upgrades; without it, or against a
# certificate for another name, it refuses; plain http to a non-loopback address is
# refused before any connection.
set -u
. "$(dirname "$0")/../lib.sh"
MODEL=P3265-LVE

# A test CA and a server certificate for "localhost".
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
	-subj "/CN=camagent test CA" -keyout "$WORK/ca.key" -out "$WORK/ca.pem" 2>/dev/null
cert_for() { # NAME: a certificate for NAME signed by the test CA
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=$1" \
		-keyout "$WORK/$1.key" -out "$WORK/$1.csr" 2>/dev/null
	printf 'subjectAltName=DNS:%s\n' "$1" >"$WORK/$1.ext"
	openssl x509 -req -in "$WORK/$1.csr" -CA "$WORK/ca.pem" -CAkey "$WORK/ca.key" \
		-CAcreateserial -days 2 -extfile "$WORK/$1.ext" -out "$WORK/$1.pem" 2>/dev/null
}
cert_for localhost
cert_for wrong.example

cloud_start || { echo "FAIL cloud_start"; exit 1; }
tls_proxy() { # NAME CERT: an HTTPS front for the cloud; its URL is in $WORK/NAME.url
	faults '{"rules": []}'
	python3 "$ROOT/tests/tools/faultproxy.py" --upstream "$CLOUD_URL" --rules "$WORK/faults.json" \
		--log "$WORK/$1.log" --url-file "$WORK/$1.url" --host localhost \
		--tls-cert "$WORK/$2.pem" --tls-key "$WORK/$2.key" >>"$WORK/$1.out" 2>&1 &
	PIDS+=($!)
	wait_for 10 test -s "$WORK/$1.url"
}
tls_proxy front localhost && tls_proxy wrongname wrong.example || { echo "FAIL tls_proxy"; finish; }
HTTPS=$(cat "$WORK/front.url")
WRONG=$(cat "$WORK/wrongname.url")
ORG=$(cc org create "Org T")
FOLDER=$(cc folder create "$ORG" "Gate")
status_has() { agent_status "$1" | grep -q "$2"; }
log_has() { grep -q "$2" "$WORK/$1.log"; }

# Without the CA: the certificate is not trusted, nothing is sent.
camera_create untrusted ACCC8E00F101 "$MODEL" 11.0.0
agent_start untrusted --token "$(cc token create "$FOLDER")" --cloud-url "$HTTPS" --set retry_max_s=1
check untrusted_certificate_refused wait_for 15 log_has untrusted "enrollment failed: .*[Cc]ertificate"
check untrusted_not_enrolled status_has untrusted "^enrollment: *unenrolled"
agent_stop

# A certificate for another name, even from the trusted CA: refused.
camera_create wrongname ACCC8E00F102 "$MODEL" 11.0.0
agent_start wrongname --token "$(cc token create "$FOLDER")" --cloud-url "$WRONG" \
	--ca-file "$WORK/ca.pem" --set retry_max_s=1
check wrong_name_refused wait_for 15 log_has wrongname "enrollment failed: .*\(name\|match\|certificate\)"
agent_stop

# http:// to a non-loopback address is refused before any connection (0.0.0.0: even a
# regression could only reach this machine).
camera_create plain ACCC8E00F103 "$MODEL" 11.0.0
agent_start plain --token "$(cc token create "$FOLDER")" --cloud-url "http://0.0.0.0:9"
check plain_http_remote_refused wait_for 15 log_has plain "not allowed"
agent_stop

# With the CA: enrolls, reports, upgrades over HTTPS.
camera_create cam ACCC8E00F104 "$MODEL" 11.0.0
agent_start cam --token "$(cc token create "$FOLDER")" --cloud-url "$HTTPS" --ca-file "$WORK/ca.pem"
check https_enrolls wait_for 20 device_has ACCC8E00F104 os_version 11.0.0
"$MKIMAGE" "$WORK/img.bin" "$MODEL" 11.1.0 $((2 * 1024 * 1024)) ok
T=$(cc task create "$(cc device find ACCC8E00F104)" "$(cc image add "$MODEL" 11.1.0 "$WORK/img.bin")")
check https_upgrade_succeeds cc task wait "$T" succeeded 60
check https_artifact_went_through_tls grep -q '"path": "/device/v1/artifacts/' "$WORK/front.log"
agent_stop
finish
