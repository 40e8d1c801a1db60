#!/usr/bin/env python3
"""Hostile-client load for camcloud on loopback, bounded in count and time.

Holds many slow connections (a request head trickled one byte a second) and idle
ones (nothing sent), reopening those the server closes, while a normal client asks
for PATH on a fresh connection every --probe-every seconds (100 ms: about a hundred
samples, so a percentile of them means something on a loaded machine where one sample
may wait for the scheduler). Prints one JSON line: how many slow connections were
open at most, the normal client's latencies (percentiles), the server's CPU use
over the run (from /proc/PID/stat), and how long the server let slow and idle
connections live. With --burst it instead opens N idle connections from one
address and counts the ones answered 503 (the per-source limit).

Only 127.0.0.0/8 is ever contacted; at most 5000 connections, 120 s.
"""
import argparse
import errno
import json
import os
import resource
import selectors
import socket
import sys
import time

MAX_CONNS = 5000
MAX_SECONDS = 120


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def loopback(addr):
    if not addr.startswith("127."):
        sys.exit(f"refusing to contact {addr}: loopback only")
    return addr


class Conn:
    def __init__(self, sock, kind, opened):
        self.sock, self.kind, self.opened, self.sent = sock, kind, opened, 0


def open_conn(port, source, kind, sel, now, first=b""):
    """A connection from source; with first, those bytes are sent as soon as it is
    connected (they reach camcloud with, not after, its accept)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(2) if first else s.setblocking(False)
    try:
        s.bind((source, 0))
        err = s.connect_ex(("127.0.0.1", port))
        if first and err == 0:
            s.sendall(first)
            s.setblocking(False)
    except OSError:
        s.close()
        return None
    if err not in (0, errno.EINPROGRESS):
        s.close()
        return None
    c = Conn(s, kind, now)
    sel.register(s, selectors.EVENT_READ, c)
    return c


def probe(port, path, headers):
    t0 = time.monotonic()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
            s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}Connection: close\r\n\r\n"
                      .encode())
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
    except OSError:
        return None
    if not data.startswith(b"HTTP/1.1 "):
        return None
    return (time.monotonic() - t0) * 1000.0


def answers(sel, timeout):
    """(conn, first bytes or b"" when closed) for each connection the server answered."""
    for key, _ in sel.select(timeout=timeout):
        c = key.data
        try:
            data = c.sock.recv(4096)
        except OSError:
            data = b""
        sel.unregister(c.sock)
        yield c, data


def burst(args):
    sel = selectors.DefaultSelector()
    now = time.monotonic()
    # --burst-head: each sends the start of a head at once (kept open: no blank line)
    first = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n" if args.burst_head else b""
    conns = [open_conn(args.port, loopback(args.burst_from), "idle", sel, now, first)
             for _ in range(min(args.burst, MAX_CONNS))]
    busy, deadline = 0, time.monotonic() + 2
    while time.monotonic() < deadline:
        for c, data in answers(sel, 0.1):
            if data.startswith(b"HTTP/1.1 503 ") and b'"code":"busy"' in data:
                busy += 1
    for c in conns:
        if c:
            c.sock.close()
    print(json.dumps({"opened": sum(1 for c in conns if c), "busy": busy}))


def load(args):
    sel = selectors.DefaultSelector()
    sources = [f"127.0.0.{2 + i}" for i in range(args.sources)]
    headers = f"Authorization: Bearer {args.token}\r\n" if args.token else ""
    head = b"GET /device/v1/tasks/next HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 4000
    start = time.monotonic()
    end = start + min(args.seconds, MAX_SECONDS)
    conns, opened = [], 0
    n_idle = args.slow * args.idle_percent // 100
    for i in range(min(args.slow, MAX_CONNS)):
        c = open_conn(args.port, sources[i % len(sources)], "idle" if i < n_idle else "slow", sel,
                      start)
        if c:
            conns.append(c)
    opened = len(conns)
    lived = {"slow": [], "idle": []}
    latencies, failures, open_max = [], 0, 0
    ticks0, t_cpu0 = cpu_ticks(args.pid), time.monotonic()
    next_byte = next_probe = time.monotonic() + args.settle
    while time.monotonic() < end:
        now = time.monotonic()
        for c, data in answers(sel, 0.05):  # closed, or answered (408, 503) then closed
            lived[c.kind].append(now - c.opened)
            c.sock.close()
            c.sock = None
        conns = [c for c in conns if c.sock]
        open_max = max(open_max, len(conns))
        if now >= next_byte:  # one more byte of each slow head; reopen what was closed
            next_byte = now + 1
            for c in conns:
                if c.kind == "slow" and c.sent < len(head):
                    try:
                        c.sent += c.sock.send(head[c.sent:c.sent + 1])
                    except OSError:
                        pass
            for i in range(min(args.slow - len(conns), args.reopen_per_s)):
                c = open_conn(args.port, sources[i % len(sources)], "slow", sel, now)
                if c:
                    conns.append(c)
                    opened += 1
        if now >= next_probe:
            next_probe = now + args.probe_every
            ms = probe(args.port, args.path, headers)
            if ms is None:
                failures += 1
            else:
                latencies.append(ms)
    cpu_s = (cpu_ticks(args.pid) - ticks0) / os.sysconf("SC_CLK_TCK")
    wall = time.monotonic() - t_cpu0
    for c in conns:
        c.sock.close()
    latencies.sort()
    print(json.dumps({
        "opened_at_once": min(args.slow, MAX_CONNS),
        "opened_total": opened,
        "open_max": open_max,
        "probes": len(latencies) + failures,
        "probe_failures": failures,
        "latency_ms_p50": round(latencies[len(latencies) // 2], 1) if latencies else None,
        "latency_ms_p90": round(latencies[len(latencies) * 9 // 10], 1) if latencies else None,
        "latency_ms_p95": round(latencies[len(latencies) * 95 // 100], 1) if latencies else None,
        "latency_ms_max": round(latencies[-1], 1) if latencies else None,
        "cpu_percent": round(100.0 * cpu_s / wall, 1),
        "slow_closed": len(lived["slow"]),
        "slow_min_life_s": round(min(lived["slow"]), 1) if lived["slow"] else None,
        "idle_closed": len(lived["idle"]),
        "idle_min_life_s": round(min(lived["idle"]), 1) if lived["idle"] else None,
    }))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--pid", type=int, help="camcloud's pid, for its CPU use")
    ap.add_argument("--slow", type=int, default=1000, help="connections to hold")
    ap.add_argument("--idle-percent", type=int, default=10, help="of them sending nothing")
    ap.add_argument("--sources", type=int, default=20, help="source addresses 127.0.0.2...")
    ap.add_argument("--seconds", type=float, default=15)
    ap.add_argument("--settle", type=float, default=2, help="seconds before measuring")
    ap.add_argument("--probe-every", type=float, default=0.1, help="seconds between probes")
    ap.add_argument("--reopen-per-s", type=int, default=200)
    ap.add_argument("--path", default="/admin/v1/orgs")
    ap.add_argument("--token", default="", help="bearer token for the normal client")
    ap.add_argument("--burst", type=int, default=0)
    ap.add_argument("--burst-from", default="127.0.0.250")
    ap.add_argument("--burst-head", action="store_true")
    args = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if args.burst:
        burst(args)
    else:
        if not args.pid:
            ap.error("--pid is needed to measure CPU")
        load(args)


if __name__ == "__main__":
    main()
