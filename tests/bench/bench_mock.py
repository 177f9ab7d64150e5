#!/usr/bin/env python3
"""bench_mock.py: ddmock under load, measured against its own ceiling.

Run by `make bench` after the C micro-benchmarks. Everything targets
127.0.0.1, every load is bounded in time, and every process started here is
stopped by its pid. It reports, from one run:

  1. idle RSS of ddmock with the default world;
  2. afterSale.List (page of 10, md5, valid token, keep-alive) under wrk,
     50 connections for 10 s, on a generated world of 100 000 after-sales,
     and RSS under that load;
  3. the same wrk run against fixed_server, a minimal libmicrohttpd server in
     the same threading mode answering a fixed body of the same size: the
     ratio ddmock / ceiling;
  4. a 1 000 000-after-sale world: RSS per after-sale and List latency
     (p50, one connection).

Figures are reported, never asserted: these machines are shared and noisy.
The targets from the issue are printed beside them for reading.
"""
import argparse
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from urllib.parse import urlencode

WRK_SECONDS = 10
WRK_CONNECTIONS = 50


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def start(cmd, port_file, timeout=120):
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{cmd[0]} exited: {proc.stderr.read()!r}")
        try:
            with open(port_file) as f:
                text = f.read()
            if text.endswith("\n"):
                return proc, int(text)
        except FileNotFoundError:
            pass
        time.sleep(0.05)
    stop(proc)
    raise RuntimeError(f"{cmd[0]} did not start in {timeout} s")


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def unlink_quiet(path):
    """ddmock removes its own port file on a clean exit."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def canonical(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False)


def signed_url(base, world, method, params, token=None):
    ts = str(int(time.time()))
    pj = canonical(params)
    s = (world["app_secret"] + "app_key" + world["app_key"] + "method" +
         method + "param_json" + pj + "timestamp" + ts + "v2" +
         world["app_secret"])
    q = {"app_key": world["app_key"], "method": method, "timestamp": ts,
         "v": "2", "sign": hashlib.md5(s.encode()).hexdigest()}
    if token:
        q["access_token"] = token
    return base + "/" + method.replace(".", "/") + "?" + urlencode(q), pj


def post(url, body):
    req = urllib.request.Request(url, data=body.encode(), method="POST")
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.read()


def first_world(base):
    with urllib.request.urlopen(base + "/_mock/worlds", timeout=30) as r:
        return json.load(r)["worlds"][0]


def token_for(base, world):
    url, pj = signed_url(base, world, "token.create",
                         {"code": "", "grant_type": "authorization_self",
                          "shop_id": world["shops"][0]["shop_id"]})
    env = json.loads(post(url, pj))
    if env["code"] != 10000:
        raise RuntimeError(f"token.create failed: {env}")
    return env["data"]["access_token"]


def wrk(url, body, connections, seconds, threads=2, latency=False):
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write('wrk.method = "POST"\n')
        f.write("wrk.body = " + json.dumps(body) + "\n")
        script = f.name
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s",
           "-s", script, url]
    if latency:
        cmd.insert(1, "--latency")
    out = subprocess.run(cmd, capture_output=True, text=True,
                         timeout=seconds + 30).stdout
    os.unlink(script)
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    p50 = None
    m = re.search(r"\n\s+50%\s+([\d.]+)(us|ms|s)", out)
    if m:
        scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]
        p50 = float(m.group(1)) * scale
    return rate, (int(errors.group(1)) if errors else 0), p50


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--big", type=int, default=1000000,
                    help="after-sales in the large world")
    args = ap.parse_args()
    ddmock = os.path.join(args.build, "ddmock")
    fixed = os.path.join(args.build, "bench", "fixed_server")
    tmp = tempfile.mkdtemp(prefix="ddbench-")
    pf = os.path.join(tmp, "port")
    print("== bench_mock: ddmock under wrk on 127.0.0.1")

    # 1. idle RSS, default world
    proc, port = start([ddmock, "--port", "0", "--port-file", pf], pf)
    time.sleep(0.5)
    idle = rss_kib(proc.pid)
    stop(proc)
    unlink_quiet(pf)
    print(f"idle RSS, default world:        {idle / 1024:8.1f} MiB"
          f"   (target <= 16 MiB)")

    # 2. List under load on 100 000 after-sales
    n = 100000
    proc, port = start([ddmock, "--port", "0", "--port-file", pf,
                        "--generate", f"shops=1,orders={n},aftersales={n}",
                        "--seed", "1", "--set", "journal_capacity=10000"], pf)
    try:
        base = f"http://127.0.0.1:{port}"
        world = first_world(base)
        token = token_for(base, world)
        url, pj = signed_url(base, world, "afterSale.List",
                             {"page": 0, "size": 10}, token)
        answer = post(url, pj)
        env = json.loads(answer)
        assert env["code"] == 10000, env
        size = len(answer)
        loaded = rss_kib(proc.pid)
        rate, errors, _ = wrk(url, pj, WRK_CONNECTIONS, WRK_SECONDS)
        under = rss_kib(proc.pid)
    finally:
        stop(proc)
        unlink_quiet(pf)

    # 3. the ceiling: a fixed body of the same size
    fproc, fport = start([fixed, str(size), pf], pf)
    try:
        frate, _, _ = wrk(f"http://127.0.0.1:{fport}/afterSale/List", pj,
                          WRK_CONNECTIONS, WRK_SECONDS)
    finally:
        stop(fproc)
        unlink_quiet(pf)
    ratio = rate / frate if frate else 0.0
    print(f"afterSale.List answer body:     {size:8d} bytes")
    print(f"ddmock afterSale.List:          {rate:10.0f} req/s"
          f"   ({errors} non-200)")
    print(f"fixed-body ceiling (same size): {frate:10.0f} req/s")
    print(f"ratio ddmock / ceiling:         {ratio:10.1%}"
          f"   (target >= 35 %)")
    print(f"RSS, {n} after-sales, loaded:  {loaded / 1024:8.1f} MiB;"
          f" under load {under / 1024:.1f} MiB"
          f" (+{(under - loaded) / 1024:.1f} MiB, target <= +64 MiB)")

    # 4. a world of --big after-sales
    big = args.big
    t0 = time.time()
    proc, port = start([ddmock, "--port", "0", "--port-file", pf,
                        "--generate", f"shops=1,orders={big},aftersales={big}",
                        "--seed", "1"], pf, timeout=600)
    try:
        load_s = time.time() - t0
        base = f"http://127.0.0.1:{port}"
        world = first_world(base)
        token = token_for(base, world)
        big_rss = rss_kib(proc.pid)
        url, pj = signed_url(base, world, "afterSale.List",
                             {"page": 0, "size": 10}, token)
        assert json.loads(post(url, pj))["code"] == 10000
        _, _, p50 = wrk(url, pj, 1, 5, threads=1, latency=True)
    finally:
        stop(proc)
        unlink_quiet(pf)
    per = (big_rss - idle) * 1024 / big
    print(f"{big} after-sales: loaded in {load_s:.1f} s, RSS"
          f" {big_rss / 1024:.1f} MiB, {per:.0f} bytes per after-sale"
          f" (target <= 1536)")
    print(f"afterSale.List p50, 1 connection: {p50:.3f} ms (target <= 5 ms)")
    os.rmdir(tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
