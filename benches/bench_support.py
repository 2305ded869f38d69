"""What the Python benchmarks share: a free loopback port, and waiting for a started server.

The scripts run as `python3 benches/NAME.py`, so this folder is on their import path.
"""

import signal
import socket
import subprocess
import sys
import time


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, server, deadline):
    """Returns once 127.0.0.1:`port` accepts connections; exits if `server` (a Popen) ends first
    or `deadline` (a time.monotonic() instant) passes."""
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"the server exited early with status {server.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    sys.exit("the server did not start listening within 30 s")


def stop_server(server, log):
    """Stops `server` (a Popen) with SIGTERM, or SIGKILL after 15 s, and prints the first ERROR lines
    of its `log` (a binary file it wrote to), so a benchmark never hides a failing server."""
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    log.seek(0)
    errors = [line for line in log.read().decode(errors="replace").splitlines() if "ERROR" in line]
    if errors:
        print("server errors:", *errors[:5], sep="\n  ")
