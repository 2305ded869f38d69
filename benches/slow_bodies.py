#!/usr/bin/env python3
"""Memory held by slow request bodies (issue 10, item 6): `python3 benches/slow_bodies.py [options]`.

Starts the emulator binary on a free port of 127.0.0.1 with an in-memory
database, opens CONNECTIONS connections, and on each sends a legacy POST head
announcing `Content-Length: BODY_BYTES`, then SEND_BYTES of that body, then
stalls. It prints the server's resident memory (VmRSS, from /proc) and open
descriptors before, once every connection has sent its bytes, and every 5 s
while it holds the connections for HOLD seconds, with how many of them the
server has answered or closed. Then it does it all again (WAVES in all),
keeping the earlier connections open, prints the peak (VmHWM), closes
everything and stops the server.

Loopback only; the connection count and every phase are bounded, and it stops
by itself. Linux only (it reads /proc). Results: BENCHMARKS.md, "Slow bodies".
"""

import argparse
import os
import select
import socket
import subprocess
import sys
import tempfile
import time

from bench_support import free_port, stop_server, wait_for_port


def rss_mib(pid):
    """The process's resident set size in MiB, from /proc/PID/status."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def hwm_mib(pid):
    """The process's peak resident set size in MiB."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def hold(pid, sockets, seconds):
    """Keeps the stalled connections open for `seconds`, reporting the server's memory and what it ended."""
    open_ = {s.fileno(): s for s in sockets}
    answered = ended = 0
    first_end = None
    start = time.monotonic()
    next_report = start + 5
    while time.monotonic() < start + seconds:
        if open_:
            ready, _, _ = select.select(list(open_.values()), [], [], 0.2)
        else:
            ready = []
            time.sleep(0.2)
        for s in ready:
            try:
                data = s.recv(65536)
            except OSError:
                data = b""
            if data.startswith(b"HTTP/"):
                answered += 1
            if not data or data.startswith(b"HTTP/"):
                # An answer means the server gave up on this body; it closes the connection next.
                if first_end is None:
                    first_end = time.monotonic() - start
                ended += 1
                del open_[s.fileno()]
        now = time.monotonic()
        if now >= next_report:
            print(
                f"  t={now - start:4.0f} s: {rss_mib(pid):6.1f} MiB, {open_fds(pid)} open descriptors; "
                f"the server has ended {ended} of these connections ({answered} with an answer)"
            )
            next_report += 5
    first = "" if first_end is None else f", the first after {first_end:.1f} s"
    print(f"  held {seconds} s: the server ended {ended} of {len(sockets)} connections{first}")


def open_fds(pid):
    """How many file descriptors the process holds (its connections among them)."""
    return len(os.listdir(f"/proc/{pid}/fd"))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    default_server = os.path.join(here, "..", "target", "release", "mturk-local")
    if not os.path.exists(default_server):
        default_server = os.path.join(here, "..", "target", "debug", "mturk-local")
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", default=default_server, help="the binary (default: target/release, else debug)")
    parser.add_argument("--connections", type=int, default=300, help="connections, at most 1000 (default 300)")
    parser.add_argument("--body-bytes", type=int, default=1048576, help="announced Content-Length (default 1048576)")
    parser.add_argument("--send-bytes", type=int, default=1000000, help="body bytes actually sent (default 1000000)")
    parser.add_argument("--hold", type=int, default=35, help="seconds to hold each wave, at most 300 (default 35)")
    parser.add_argument("--waves", type=int, default=2, help="waves of connections, at most 5 (default 2)")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE", help="extra server environment")
    args = parser.parse_args()
    if (
        not 1 <= args.connections <= 1000
        or not 0 <= args.hold <= 300
        or not 1 <= args.waves <= 5
        or args.send_bytes >= args.body_bytes
    ):
        sys.exit("need 1..1000 connections, a hold of 0..300 s, 1..5 waves and fewer bytes sent than announced")

    port = free_port()
    env = dict(os.environ)
    env.update(
        MTURK_LOCAL_SERVER__LISTEN=f"127.0.0.1:{port}",
        MTURK_LOCAL_DATABASE__IN_MEMORY="true",
        # The server refuses a Content-Length over its limit at once; allow the announced size.
        MTURK_LOCAL_SERVER__MAX_BODY_BYTES=str(max(args.body_bytes, 1048576)),
        RUST_LOG="warn",
    )
    for pair in args.env:
        name, _, value = pair.partition("=")
        env[name] = value
    log = tempfile.TemporaryFile()
    server = subprocess.Popen([args.server, "serve"], env=env, stdout=log, stderr=subprocess.STDOUT)
    sockets = []
    try:
        wait_for_port(port, server, time.monotonic() + 30)
        time.sleep(0.5)
        print(f"server {args.server} (pid {server.pid}) on 127.0.0.1:{port}")
        print(f"idle: {rss_mib(server.pid):.1f} MiB, {open_fds(server.pid)} open descriptors")

        head = (
            f"POST / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {args.body_bytes}\r\n\r\n"
        ).encode()
        chunk = b"a" * args.send_bytes
        for wave in range(1, args.waves + 1):
            started = time.monotonic()
            opened = []
            refused = 0
            for _ in range(args.connections):
                s = socket.create_connection(("127.0.0.1", port), timeout=10)
                try:
                    s.sendall(head + chunk)
                except OSError:
                    # The server closed the connection before taking the whole body: it is not held.
                    refused += 1
                opened.append(s)
            sockets.extend(opened)
            sent = time.monotonic() - started
            time.sleep(2)
            print(
                f"wave {wave}: {args.connections} connections sent {args.send_bytes} of {args.body_bytes} body bytes "
                f"each in {sent:.1f} s ({refused} refused while sending); 2 s later: {rss_mib(server.pid):.1f} MiB, "
                f"{open_fds(server.pid)} open descriptors"
            )
            hold(server.pid, opened, args.hold)
        print(f"peak: {hwm_mib(server.pid):.1f} MiB (VmHWM)")
    finally:
        for s in sockets:
            s.close()
        stop_server(server, log)


if __name__ == "__main__":
    main()
