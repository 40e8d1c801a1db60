#!/usr/bin/env python3
"""Runs a command and prints "WALL_S CPU_S": wall-clock seconds and the user + system CPU
seconds of the command and every descendant it waited for (wait4's rusage). The
command's own output goes to /dev/null. Exits with the command's status. Usage: timed.py CMD [ARGS...]"""
import os
import sys
import time

start = time.monotonic()
pid = os.fork()
if pid == 0:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.execvp(sys.argv[1], sys.argv[1:])
    finally:
        os._exit(127)
_, status, ru = os.wait4(pid, 0)
wall = time.monotonic() - start
print("%.3f %.3f" % (wall, ru.ru_utime + ru.ru_stime))
sys.exit(os.waitstatus_to_exitcode(status))
