#!/usr/bin/env python3
"""0002_push_acked_ignored.py: a wrong ERP for the push scenarios.

Its push listener acknowledges every pushed message ({"code": 0, "msg":
"success"}) and does nothing with it; the ERP behind it (the right ERP
double, tests/erp_double/erp.py, started without DOUDIAN_PUSH_LISTEN) only
polls afterSale.List every DOUDIAN_POLL_INTERVAL seconds. So it acts a poll
interval late where a push-driven ERP acts at once: scenario 0002 (push
required, a 6-second poll interval, a 3-second deadline) must FAIL it, and
so does the agreement deadline of 0004.

  python3 tests/suite/clients/0002_push_acked_ignored.py

The hook is the double's own (python3 tests/erp_double/erp.py hook). Runs
under the harness contract (harness.md): the environment it is given, a
process group the runner may SIGTERM or SIGKILL; on SIGTERM it stops the
double and exits.
"""

import http.server
import os
import signal
import socket
import subprocess
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
ERP = os.path.join(HERE, "..", "..", "erp_double", "erp.py")
ACK = b'{"code":0,"msg":"success"}'


class AckEverything(http.server.BaseHTTPRequestHandler):
    """Answers every request with success, reading and dropping the body."""

    protocol_version = "HTTP/1.1"

    def _ack(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n > 0:
            self.rfile.read(n)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(ACK)))
        self.end_headers()
        self.wfile.write(ACK)

    do_POST = _ack
    do_GET = _ack

    def log_message(self, fmt, *args):
        pass


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def listen(addr):
    host, _, port = addr.rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    cls = Server
    if ":" in host:
        cls = type("Server6", (Server,), {"address_family": socket.AF_INET6})
    return cls((host, int(port)), AckEverything)


def main():
    env = dict(os.environ)
    addr = env.pop("DOUDIAN_PUSH_LISTEN", None)
    server = None
    if addr:
        server = listen(addr)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        sys.stderr.write("push_acked_ignored: acknowledging and ignoring "
                         "every push on %s\n" % addr)
    child = subprocess.Popen([sys.executable, ERP], env=env)

    def stop(signum, frame):
        child.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    status = child.wait()
    if server is not None:
        server.shutdown()
    return status if status >= 0 else 128 - status


if __name__ == "__main__":
    sys.exit(main())
