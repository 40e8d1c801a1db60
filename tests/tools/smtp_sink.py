#!/usr/bin/python3
"""A local SMTP sink for the tests (Debian's python3-aiosmtpd).

Listens on 127.0.0.1 (port 0 picks one), writes the bound port to --port-file once it
accepts, and every mail it accepts to DIR/NNNN.eml (envelope sender and recipients in
the X-Sink-From / X-Sink-To lines first, then the message as received). With
--fail-first N the first N messages are refused with a temporary error (451), so a
sender's retries can be tested. Runs until SIGTERM.
"""
import argparse
import asyncio
import os
import signal

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, directory, fail_first):
        self.directory = directory
        self.fail_left = fail_first
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        if self.fail_left > 0:
            self.fail_left -= 1
            return "451 4.3.0 try again later (sink told to refuse)"
        self.count += 1
        head = "X-Sink-From: %s\r\nX-Sink-To: %s\r\n" % (
            envelope.mail_from, ",".join(envelope.rcpt_tos))
        final = os.path.join(self.directory, "%04d.eml" % self.count)
        with open(final + ".tmp", "wb") as f:
            f.write(head.encode() + envelope.original_content)
        os.rename(final + ".tmp", final)  # readers never see half a mail
        return "250 OK"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--fail-first", type=int, default=0)
    a = ap.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    if a.port == 0:  # find a free port: aiosmtpd's controller needs a number
        import socket
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            a.port = s.getsockname()[1]
    ctl = Controller(Sink(a.dir, a.fail_first), hostname="127.0.0.1", port=a.port)
    ctl.start()
    with open(a.port_file + ".tmp", "w") as f:
        f.write("%d\n" % a.port)
    os.rename(a.port_file + ".tmp", a.port_file)
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    loop.run_until_complete(stop.wait())
    ctl.stop()


if __name__ == "__main__":
    main()
