"""What the Python benchmarks share: a free loopback port, and waiting for a started server.

The scripts run as `python3 benches/NAME.py`, so this folder is on their import path.
"""

import socket
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
