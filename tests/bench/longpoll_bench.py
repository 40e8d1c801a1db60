#!/usr/bin/env python3
"""Long-poll capacity of camcloud: N enrolled devices each hold a task poll, then one
folder-wide upgrade job wakes them all. Prints camcloud's memory per held poll and how
long the wake-up took. Not part of make check.

Usage: tests/bench/longpoll_bench.py BUILD_DIR [N]   (default N=2000)
Device keys and signatures come from the openssl command line, so this needs no
Python crypto package; each device is enrolled exactly as protocol.md says.
"""
import asyncio
import base64
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.request


def sh(*args, data=None):
    return subprocess.run(args, input=data, capture_output=True, check=True).stdout


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Cloud:
    def __init__(self, build, work):
        self.bin = os.path.join(build, "camcloud")
        self.data = os.path.join(work, "cloud")
        urlfile = os.path.join(work, "url")
        self.proc = subprocess.Popen([self.bin, "serve", "--data", self.data, "--listen", "127.0.0.1:0",
                                      "--url-file", urlfile], stderr=open(os.path.join(work, "cloud.log"), "w"))
        for _ in range(100):
            if os.path.exists(urlfile):
                break
            time.sleep(0.05)
        self.url = open(urlfile).read().strip()
        self.port = int(self.url.rsplit(":", 1)[1])

    def cc(self, *args):
        return sh(self.bin, "--url", self.url, "--data", self.data, *args).decode().strip()

    def post(self, path, body, sig=None, bearer=None):
        req = urllib.request.Request(self.url + path, data=body, method="POST")
        req.add_header("Content-Type", "application/json")
        if sig:
            req.add_header("X-Camagent-Signature", sig)
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.load(r)


def device(cloud, work, i, token):
    key = os.path.join(work, "k%d.pem" % i)
    sh("openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", key)
    pub = sh("openssl", "ec", "-in", key, "-pubout").decode()
    secret = json.loads(base64.urlsafe_b64decode(token.split(".", 1)[1] + "=="))["secret"]

    def signed(path, obj):
        body = json.dumps(obj).encode()
        sig = base64.b64encode(sh("openssl", "dgst", "-sha256", "-sign", key, data=body)).decode()
        return cloud.post(path, body, sig)

    enrolled = signed("/device/v1/enroll", {
        "token_secret": secret, "serial": "BENCH%06d" % i, "model": "BENCH-1", "hardware_id": "0",
        "arch": "aarch64", "os_version": "1.0.0", "agent_version": "bench", "public_key": pub,
        "ts": int(time.time()), "nonce": secrets.token_hex(16)})
    auth = signed("/device/v1/auth", {"device_id": enrolled["device_id"], "ts": int(time.time()),
                                      "nonce": secrets.token_hex(16)})
    return auth["access_token"]


async def hold(port, bearer, results, source):
    reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))
    writer.write(("GET /device/v1/tasks/next?wait=300 HTTP/1.1\r\nHost: x\r\n"
                  "Authorization: Bearer %s\r\n\r\n" % bearer).encode())
    await writer.drain()
    line = await reader.readline()
    results.append((time.monotonic(), line.split()[1].decode() if line else "closed"))
    writer.close()


async def main():
    build = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    work = tempfile.mkdtemp(prefix="longpoll-bench.")
    cloud = Cloud(build, work)
    try:
        org = cloud.cc("org", "create", "bench")
        folder = cloud.cc("folder", "create", org, "all")
        token = cloud.cc("token", "create", folder, "--max-uses", str(n))
        t0 = time.monotonic()
        bearers = [device(cloud, work, i, token) for i in range(n)]
        print("enrolled and authenticated %d devices in %.1f s" % (n, time.monotonic() - t0))
        img = os.path.join(work, "img.bin")
        with open(img, "wb") as f:
            f.write(b"CAMSIM-IMAGE 1\nmodel=BENCH-1\nversion=2.0.0\nboot=ok\n\n" + b"x" * 1024)
        image = cloud.cc("image", "add", "BENCH-1", "2.0.0", img)
        before = rss_kb(cloud.proc.pid)
        results = []
        # several loopback source addresses: ports per source are limited
        tasks = [asyncio.create_task(hold(cloud.port, b, results, "127.0.0.%d" % (2 + i % 8)))
                 for i, b in enumerate(bearers)]
        await asyncio.sleep(3)
        held = rss_kb(cloud.proc.pid)
        t1 = time.monotonic()
        job = cloud.cc("job", "create", image, "--folder", folder)
        await asyncio.wait_for(asyncio.gather(*tasks), 120)
        woke = max(t for t, _ in results) - t1
        codes = {}
        for _, c in results:
            codes[c] = codes.get(c, 0) + 1
        print("held polls: %d; camcloud RSS %d kB idle -> %d kB holding (%.1f kB per poll)"
              % (n, before, held, (held - before) / float(n)))
        print("folder job %s answered all %d polls within %.3f s; replies %s" % (job, n, woke, codes))
    finally:
        cloud.proc.terminate()
        cloud.proc.wait()


if __name__ == "__main__":
    asyncio.run(main())
