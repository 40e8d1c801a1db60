#!/usr/bin/env python3
"""Watches idle programs for a while and prints one table: wake-ups (voluntary context
switches), CPU time, private dirty and PSS (/proc/PID/smaps_rollup) per program, summed over
its processes, and camagent's long polls.

Polls come from camagent's debug log, each line stamped when it appears (read every 50 ms):
"polling for tasks" starts a poll; "task poll ... retrying in" ends one without an answer
(cut: by the agent's own timeout or a network fault); a start while a poll is held means the
held one was answered (the agent polls again at once). The watch begins at a poll start.
camcloud's debug log gives the heartbeats (POST /device/v1/report) and its own count of
answered polls (it answers a poll that was cut when the next one arrives, so its figure
is a cross-check only).

Usage: idle_watch.py SECONDS AGENT_LOG CLOUD_LOG POLL_PERIOD_S NAME=PID [NAME=PID...]
(the first program is the agent; PIDs' descendants are included)"""
import os
import re
import sys
import time

STEP_S = 0.05
POLL_START = re.compile(r"polling for tasks")
POLL_FAILED = re.compile(r"task poll.*retrying in")
CLOUD_ANSWERED = re.compile(r"http: GET /device/v1/tasks/next\S* -> \d+ ")
HEARTBEAT = re.compile(r"http: POST /device/v1/report -> ")


def descendants(root):
    """root and every process below it."""
    children = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open("/proc/%s/stat" % d) as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(d))
            except OSError:
                pass
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def counters(pids):
    """{(pid, tid): (voluntary switches, CPU ns)} over every thread of the pids: /proc/PID/status
    and schedstat count the leader thread only (a thread that ends is lost: none here)."""
    out = {}
    for p in pids:
        try:
            tids = os.listdir("/proc/%d/task" % p)
        except OSError:
            continue
        for t in tids:
            base = "/proc/%d/task/%s/" % (p, t)
            try:
                with open(base + "status") as f:
                    vol = int(re.search(r"voluntary_ctxt_switches:\s+(\d+)", f.read()).group(1))
                with open(base + "schedstat") as f:
                    ns = int(f.read().split()[0])
                out[(p, t)] = (vol, ns)
            except (OSError, AttributeError):
                pass
    return out


def memory_kb(pids):
    pss = dirty = 0
    for p in pids:
        try:
            with open("/proc/%d/smaps_rollup" % p) as f:
                text = f.read()
        except OSError:
            continue
        pss += int(re.search(r"^Pss:\s+(\d+)", text, re.M).group(1))
        dirty += int(re.search(r"^Private_Dirty:\s+(\d+)", text, re.M).group(1))
    return pss, dirty


class Follower:
    """New lines of a file since it was opened."""

    def __init__(self, path):
        self.f = open(path, errors="replace")
        self.f.seek(0, os.SEEK_END)
        self.rest = ""

    def lines(self):
        self.rest += self.f.read()
        *done, self.rest = self.rest.split("\n")
        return done


def wait_for_poll_start(agent, timeout_s):
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if any(POLL_START.search(line) for line in agent.lines()):
            return True
        time.sleep(STEP_S)
    return False


def watch_polls(seconds, agent, cloud):
    """From a poll start on: (started, cut, answered, heartbeats, cloud_answered, held)."""
    t0 = time.monotonic()
    end = t0 + seconds
    started, cut, answered, heartbeats, cloud_answered = 1, 0, 0, 0, 0
    held_since, held_s = t0, 0.0
    while True:
        now = time.monotonic()
        if now >= end:
            break
        for line in agent.lines():
            if POLL_FAILED.search(line):
                cut += 1
                if held_since is not None:
                    held_s += now - held_since
                held_since = None
            elif POLL_START.search(line):
                started += 1
                if held_since is not None:  # the held poll was answered
                    answered += 1
                    held_s += now - held_since
                held_since = now
        for line in cloud.lines():
            if CLOUD_ANSWERED.search(line):
                cloud_answered += 1
            elif HEARTBEAT.search(line):
                heartbeats += 1
        time.sleep(STEP_S)
    if held_since is not None:
        held_s += end - held_since
    return started, cut, answered, heartbeats, cloud_answered, held_s / seconds


def main():
    seconds, agent_log, cloud_log, period = (float(sys.argv[1]), sys.argv[2], sys.argv[3],
                                             float(sys.argv[4]))
    programs = [a.split("=", 1) for a in sys.argv[5:]]
    agent, cloud = Follower(agent_log), Follower(cloud_log)
    if not wait_for_poll_start(agent, 3 * period):
        sys.exit("idle_watch: camagent started no poll in %g s" % (3 * period))
    pids = {name: descendants(int(pid)) for name, pid in programs}
    before = {name: counters(p) for name, p in pids.items()}
    started, cut, answered, heartbeats, cloud_answered, held = watch_polls(seconds, agent, cloud)
    per10 = 600.0 / seconds
    print("%-16s %8s %8s %12s %12s %14s %10s" % (
        "program", "proc/thr", "wakeups", "per period", "CPU ms", "private dirty", "PSS"))
    print("%-16s %8s %8s %12s %12s %14s %10s" % (
        "", "", "/10 min", "(%g s)" % period, "/10 min", "kB", "kB"))
    for name, _ in programs:
        after = counters(pids[name])
        # Threads that started during the watch count from zero.
        vol = sum(v - before[name].get(k, (0, 0))[0] for k, (v, _) in after.items())
        ns = sum(n - before[name].get(k, (0, 0))[1] for k, (_, n) in after.items())
        procs = sorted({p for p, _ in after})
        pss, dirty = memory_kb(procs)
        print("%-16s %8s %8.0f %12.1f %12.1f %14d %10d" % (
            name, "%d/%d" % (len(procs), len(after)), vol * per10, vol * period / seconds,
            ns / 1e6 * per10, dirty, pss))
    print()
    print("camagent long polls in %.0f s: %d started, %d cut, %d answered (camcloud logged %d "
          "answers), the last still held; a poll held %.2f%% of the time; %d heartbeats"
          % (seconds, started, cut, answered, cloud_answered, 100 * held, heartbeats))


if __name__ == "__main__":
    main()
