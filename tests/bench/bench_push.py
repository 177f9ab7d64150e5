#!/usr/bin/env python3
"""bench_push.py: ddmock's push delivery under load (mock/push.c).

Run by `make bench` after bench_mock.py (it reuses that script's helpers).
Everything targets 127.0.0.1, every load is bounded in time, and every
process started here is stopped by its pid. It reports, from one run of one
ddmock:

  1. the push rate to a local receiver that acknowledges at once: 10 000
     messages (POST /_mock/worlds/K/push/synthetic, tag 200, default
     push_batch_max 20, no fault armed), from the admin call until the
     receiver holds all of them; the receiver dedupes by msg_id and checks
     every event-sign, so "none lost, none duplicated" is counted, not
     assumed;
  2. afterSale.List under wrk (50 connections, keep-alive), 3 rounds of
     5 s with no push traffic alternated with 3 rounds of 5 s while 1 000
     pushes (50 apps x 20 messages, one batch each) are being retried
     against a dead receiver (connection refused; backoff 10 ms doubling to
     100 ms, so the retries never pause; between rounds the receiver comes
     back and the queues drain): the ratio of the mean rates. Alternating
     keeps the machine's own drift, larger than the effect, out of it;
  3. the cost itself, free of that noise: ddmock's CPU time with no API
     traffic, idle and with the same 1 000 pushes in retry.

Figures are reported, never asserted: these machines are shared and noisy.
The targets from the issue are printed beside them for reading.
"""
import argparse
import hashlib
import json
import os
import sys
import tempfile
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_mock import (first_world, post, signed_url, start,  # noqa: E402
                        stop, token_for, unlink_quiet, wrk)

MESSAGES = 10000
APPS = 50
PER_APP = 20
ROUNDS = 3
ROUND_SECONDS = 5
CPU_SECONDS = 3
WRK_CONNECTIONS = 50


class Receiver:
    """A push receiver on 127.0.0.1 that acks at once and counts."""

    def __init__(self, secrets, port=0):
        self.secrets = secrets  # app_key -> app_secret
        self.lock = threading.Lock()
        self.seen = {}          # msg_id -> times received
        self.verifications = 0
        self.requests = 0
        self.bad_sign = 0
        self.conns = set()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # The answer goes out in two writes (head, body): without
            # TCP_NODELAY, Nagle and the client's delayed ACK add 40 ms.
            disable_nagle_algorithm = True

            def setup(self):
                super().setup()
                with outer.lock:
                    outer.conns.add(self.connection)

            def finish(self):
                with outer.lock:
                    outer.conns.discard(self.connection)
                super().finish()

            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                outer.record(self.headers.get("app-id", ""),
                             self.headers.get("event-sign", ""), body)
                out = b'{"code":0,"msg":"success"}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       daemon=True)
        self.thread.start()

    def record(self, app_id, sign, body):
        secret = self.secrets.get(app_id, "")
        good = hashlib.md5(app_id.encode() + body +
                           secret.encode()).hexdigest() == sign
        msgs = json.loads(body)
        with self.lock:
            self.requests += 1
            if not good:
                self.bad_sign += 1
            for m in msgs:
                if m["tag"] == "0":
                    self.verifications += 1
                    continue
                self.seen[m["msg_id"]] = self.seen.get(m["msg_id"], 0) + 1

    def counts(self):
        with self.lock:
            unique = len(self.seen)
            total = sum(self.seen.values())
            return unique, total, self.verifications

    def close(self):
        """Stops listening and cuts every kept-alive connection: from now
        on the port refuses connections."""
        self.server.shutdown()
        self.server.server_close()
        with self.lock:
            for c in list(self.conns):
                try:
                    c.shutdown(2)
                except OSError:
                    pass


def cpu_share(pid, seconds):
    """The share of one core that process `pid` uses over `seconds`."""
    def ticks():
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime + stime
    t0, c0 = time.time(), ticks()
    time.sleep(seconds)
    t1, c1 = time.time(), ticks()
    return (c1 - c0) / os.sysconf("SC_CLK_TCK") / (t1 - t0)


def admin(base, verb, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=verb)
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.load(r)


def wait_for(cond, timeout, step=0.01):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if cond():
            return True
        time.sleep(step)
    return cond()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    args = ap.parse_args()
    ddmock = os.path.join(args.build, "ddmock")
    tmp = tempfile.mkdtemp(prefix="ddbench-push-")
    pf = os.path.join(tmp, "port")
    print("== bench_push: ddmock push delivery on 127.0.0.1")

    proc, port = start([ddmock, "--port", "0", "--port-file", pf], pf)
    try:
        base = f"http://127.0.0.1:{port}"
        world = first_world(base)
        key = world["app_key"]
        secrets = {key: world["app_secret"]}
        rcv = Receiver(secrets)

        # 1. push rate, 10 000 messages, exactly once
        admin(base, "PUT", f"/_mock/worlds/{key}/subscription",
              {"url": f"http://127.0.0.1:{rcv.port}/push"})
        if not wait_for(lambda: rcv.counts()[2] >= 1, 10):
            raise RuntimeError("the verification message never arrived")
        t0 = time.time()
        admin(base, "POST", f"/_mock/worlds/{key}/push/synthetic",
              {"count": MESSAGES, "tag": 200})
        done = wait_for(lambda: rcv.counts()[0] >= MESSAGES, 120, 0.002)
        t1 = time.time()
        time.sleep(1.0)  # anything duplicated would arrive by now
        unique, total, _ = rcv.counts()
        sub = admin(base, "GET", f"/_mock/worlds/{key}/subscription")
        secs = t1 - t0
        rate = unique / secs if secs > 0 else 0.0
        dups = total - unique
        print(f"pushed {MESSAGES} messages (tag 200, batches of 20):"
              f" {unique}/{MESSAGES} received in {secs:.2f} s"
              f"{'' if done else ' (TIMED OUT)'}")
        print(f"push rate:                      {rate:10.0f} messages/s"
              f"   (target >= 5 000)")
        print(f"exactly once:                   {unique}/{MESSAGES} unique,"
              f" {dups} duplicated, {MESSAGES - unique} lost,"
              f" {rcv.bad_sign} bad event-sign, {rcv.requests} POSTs"
              f"   (target 10000/10000, 0, 0)")
        print(f"ddmock's count:                 acked {sub['queue']['acked']}"
              f" (10 000 + the verification), gave_up"
              f" {sub['queue']['gave_up']}")

        # 2. afterSale.List with and without 1 000 pushes in retry,
        # alternated ROUNDS times (the machine's own drift is larger than
        # the effect measured, so one of each would say little).
        token = token_for(base, world)
        url, pj = signed_url(base, world, "afterSale.List",
                             {"page": 0, "size": 10}, token)
        assert json.loads(post(url, pj))["code"] == 10000

        # 50 more apps, verified against a receiver that goes down and up.
        doomed = Receiver(secrets)
        dport = doomed.port
        keys = []
        for _ in range(APPS):
            w = admin(base, "POST", "/_mock/worlds?default=1")
            k = w["app_key"]
            secrets[k] = w["app_secret"]
            keys.append(k)
            admin(base, "POST", f"/_mock/worlds/{k}/settings",
                  {"push_backoff_initial_ms": 10, "push_backoff_max_ms": 100,
                   "push_max_attempts": 1000000})
            admin(base, "PUT", f"/_mock/worlds/{k}/subscription",
                  {"url": f"http://127.0.0.1:{dport}/push"})
        if not wait_for(lambda: doomed.counts()[2] >= APPS, 30):
            raise RuntimeError("the verifications of the 50 apps failed")

        def queues(field):
            return sum(admin(base, "GET", f"/_mock/worlds/{k}/subscription")
                       ["queue"][field] for k in keys)

        def retrying():
            return queues("waiting_retry") + queues("in_flight")

        without, with_, in_retry, failed = [], [], [], []
        for _ in range(ROUNDS):
            # without: the receiver is up and every queue is empty
            if not wait_for(lambda: queues("queued") + retrying() == 0, 30,
                            0.1):
                raise RuntimeError("the pushes of a round were not delivered")
            rate, err, _ = wrk(url, pj, WRK_CONNECTIONS, ROUND_SECONDS)
            without.append((rate, err))
            # with: the receiver is down, 20 messages per app in retry
            doomed.close()  # its port now refuses connections
            for k in keys:
                admin(base, "POST", f"/_mock/worlds/{k}/push/synthetic",
                      {"count": PER_APP, "tag": 200})
            wait_for(lambda: retrying() >= APPS * PER_APP, 10, 0.1)
            in_retry.append(retrying())
            a0, t0 = queues("attempts"), time.time()
            rate, err, _ = wrk(url, pj, WRK_CONNECTIONS, ROUND_SECONDS)
            failed.append((queues("attempts") - a0) / (time.time() - t0))
            with_.append((rate, err))
            doomed = Receiver(secrets, dport)  # back up: the queues drain

        # The cost itself, free of wrk's noise: ddmock's CPU time with no
        # API traffic, idle and with the 1 000 pushes in retry.
        wait_for(lambda: queues("queued") + retrying() == 0, 30, 0.1)
        idle_cpu = cpu_share(proc.pid, CPU_SECONDS)
        doomed.close()
        for k in keys:
            admin(base, "POST", f"/_mock/worlds/{k}/push/synthetic",
                  {"count": PER_APP, "tag": 200})
        wait_for(lambda: retrying() >= APPS * PER_APP, 10, 0.1)
        retry_cpu = cpu_share(proc.pid, CPU_SECONDS)
        r0 = sum(r for r, _ in without) / ROUNDS
        r1 = sum(r for r, _ in with_) / ROUNDS
        ratio = r1 / r0 if r0 else 0.0
        print(f"afterSale.List, no pushes:      {r0:10.0f} req/s"
              f"   (rounds: {', '.join(f'{r:.0f}' for r, _ in without)};"
              f" {sum(e for _, e in without)} non-200)")
        print(f"afterSale.List, pushes in retry: {r1:9.0f} req/s"
              f"   (rounds: {', '.join(f'{r:.0f}' for r, _ in with_)};"
              f" {sum(e for _, e in with_)} non-200; {min(in_retry)}+"
              f" messages in retry, {sum(failed) / ROUNDS:.0f} failed"
              f" attempts/s)")
        print(f"ratio with / without:          {ratio:10.1%}"
              f"   (target >= 80 %)")
        print(f"ddmock CPU, no API traffic:     {idle_cpu:10.1%} idle,"
              f" {retry_cpu:.1%} with 1 000 pushes in retry"
              f" (of one core)")
        rcv.close()
    finally:
        stop(proc)
        unlink_quiet(pf)
    os.rmdir(tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
