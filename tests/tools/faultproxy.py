#!/usr/bin/env python3
"""A fault-injecting HTTP proxy for end-to-end tests: agent -> faultproxy -> camcloud.

Faults come from a JSON rules file that is read again on every request, so a test
changes behaviour while the agent runs. Each rule matches a path prefix (and
optionally a method) and applies `count` times (-1: forever):

  {"rules": [
     {"path": "/device/v1/artifacts/", "drop_after": 65536, "count": 1},
     {"path": "/device/v1/report", "status": 500, "count": 3},
     {"path": "/device/v1/tasks/", "method": "POST", "delay": 2.0, "count": 1},
     {"path": "/device/v1/enroll", "delay_response": 5.0, "count": 1},
     {"path": "/device/v1/enroll", "tamper_body": true, "count": 1},
     {"path": "/device/v1/tasks/next", "tamper_signature": true, "count": 1},
     {"path": "/device/v1/artifacts/", "corrupt_byte": 1000, "count": 1},
     {"path": "/device/v1/tasks/next", "save_body": "/tmp/x.json", "count": 1},
     {"path": "/device/v1/tasks/next", "body_file": "/tmp/x.json", "count": 1}
  ]}

Every forwarded request is appended to the log file as one JSON line
(method, path, status, bytes, range) so tests can assert what happened.
"""
import argparse
import http.client
import json
import os
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
PHASE_KEYS = {
    "request": {"delay", "status", "close", "body_file"},
    "response": {"delay_response", "drop_after", "corrupt_byte", "tamper_body",
                 "tamper_signature", "bytes_per_s", "save_body"},
}
HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "upgrade"}


class Rules:
    def __init__(self, path):
        self.path = path
        self.used = {}

    def take(self, method, req_path, phase):
        """The first matching rule of this phase with uses left (consumes one use), or None.
        Request-phase faults act before forwarding; response-phase ones are chosen when
        the cloud's reply arrives, so a long poll already in flight still gets them."""
        try:
            with open(self.path) as f:
                rules = json.load(f).get("rules", [])
        except (OSError, ValueError):
            return None
        with LOCK:
            for i, r in enumerate(rules):
                if not req_path.startswith(r.get("path", "")):
                    continue
                if "method" in r and r["method"] != method:
                    continue
                if not any(k in PHASE_KEYS[phase] for k in r):
                    continue
                key = (i, json.dumps(r, sort_keys=True))
                used = self.used.get(key, 0)
                count = r.get("count", -1)
                if count != -1 and used >= count:
                    continue
                self.used[key] = used + 1
                return r
        return None


def flip_after(chunk, marker, offset):
    """Changes one base64 character `offset` characters after marker (same length)."""
    i = chunk.find(marker)
    if i < 0:
        return chunk
    j = i + len(marker) + offset
    if j >= len(chunk):
        return chunk
    c = chunk[j:j + 1]
    return chunk[:j] + (b"B" if c != b"B" else b"C") + chunk[j + 1:]


def make_handler(upstream, rules, log_path):
    up = urllib.parse.urlsplit(upstream)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):
            pass

        def record(self, status, sent):
            entry = {"t": time.time(), "method": self.command, "path": self.path,
                     "status": status, "bytes": sent, "range": self.headers.get("Range")}
            with LOCK, open(log_path, "a") as f:
                f.write(json.dumps(entry) + "\n")

        def fail(self, status):
            body = json.dumps({"error": {"code": "injected", "message": "injected fault %d" % status}}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            self.record(status, len(body))

        def forward(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            rule = rules.take(self.command, self.path, "request") or {}
            if rule.get("delay"):
                time.sleep(float(rule["delay"]))
            if rule.get("status"):
                self.fail(int(rule["status"]))
                return
            if rule.get("body_file"):
                with open(rule["body_file"], "rb") as f:
                    canned = f.read()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(canned)))
                self.end_headers()
                self.wfile.write(canned)
                self.record(200, len(canned))
                return
            if rule.get("close"):
                self.record(0, 0)
                self.close_connection = True
                return
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_HEADERS}
            conn = http.client.HTTPConnection(up.hostname, up.port, timeout=600)
            conn.request(self.command, self.path, body=body, headers=headers)
            resp = conn.getresponse()
            rule = rules.take(self.command, self.path, "response") or {}
            if rule.get("delay_response"):
                time.sleep(float(rule["delay_response"]))
            data_len = resp.getheader("Content-Length")
            self.send_response(resp.status)
            for k, v in resp.getheaders():
                if k.lower() not in HOP_HEADERS:
                    self.send_header(k, v)
            if data_len is None:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            saved = open(rule["save_body"] + ".tmp", "wb") if rule.get("save_body") else None
            sent = 0
            drop_after = rule.get("drop_after")
            corrupt = rule.get("corrupt_byte")
            tamper = rule.get("tamper_body")
            throttle = rule.get("bytes_per_s")
            started = time.time()
            while True:
                chunk = resp.read(16384)
                if not chunk:
                    break
                if tamper and sent == 0:
                    chunk = chunk.replace(b'"device_id":"', b'"device_id":"f', 1)[: len(chunk)]
                if rule.get("tamper_signature") and sent == 0:
                    chunk = flip_after(chunk, b'"signature":"', 20)
                if corrupt is not None and sent <= corrupt < sent + len(chunk):
                    i = corrupt - sent
                    chunk = chunk[:i] + bytes([chunk[i] ^ 0xFF]) + chunk[i + 1:]
                if drop_after is not None and sent + len(chunk) > drop_after:
                    chunk = chunk[: max(0, drop_after - sent)]
                    self.wfile.write(chunk)
                    sent += len(chunk)
                    self.wfile.flush()
                    self.record(resp.status, sent)
                    self.close_connection = True
                    conn.close()
                    return
                if saved:
                    saved.write(chunk)
                try:
                    self.wfile.write(chunk)
                except (BrokenPipeError, ConnectionResetError):
                    break
                sent += len(chunk)
                if throttle:
                    ahead = sent / float(throttle) - (time.time() - started)
                    if ahead > 0:
                        time.sleep(ahead)
            conn.close()
            if saved:
                saved.close()
                os.rename(rule["save_body"] + ".tmp", rule["save_body"])
            self.record(resp.status, sent)

        do_GET = forward
        do_POST = forward
        do_DELETE = forward
        do_PUT = forward

    return Handler


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--upstream", required=True)
    ap.add_argument("--rules", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--url-file", required=True)
    ap.add_argument("--tls-cert", help="serve HTTPS with this certificate chain (PEM)")
    ap.add_argument("--tls-key", help="private key of --tls-cert (PEM)")
    ap.add_argument("--host", default="127.0.0.1", help="name written to the URL file")
    args = ap.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(args.upstream, Rules(args.rules), args.log))
    server.daemon_threads = True
    scheme = "http"
    if args.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
        scheme = "https"
    tmp = args.url_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%s://%s:%d" % (scheme, args.host, server.server_address[1]))
    os.rename(tmp, args.url_file)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
