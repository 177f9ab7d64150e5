#!/usr/bin/env python3
"""bench_suite.py: how long the whole standard suite takes against ddref.

Run by `make bench` as `python3 tests/bench/bench_suite.py --build build`.
It runs `ddconform --erp build/ddref --erp-hook 'build/ddref hook' -j 2`
on the standard suite once with --push and once with --no-push, each into
a fresh temporary report folder, and prints per mode the wall time, the
verdict counts, the sum of the runs' own durations (what -j 2 shares out)
and the ratio of the wall time to the target of 60 s (below 1 meets it),
plus the five longest runs. Every process started here is ddconform,
which stops its ERPs itself; the runs are bounded by the scenarios'
max_seconds.

Figures are reported, never asserted: these machines are shared and noisy.
Exit status 0 unless ddconform could not run (a verdict other than PASS
or WARN is reported, not turned into a failure: the proofs judge that).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

TARGET_S = 60.0


def run_mode(build, mode, report_dir):
    ddconform = os.path.join(build, "ddconform")
    ddref = os.path.join(build, "ddref")
    cmd = [ddconform, "--erp", ddref, "--erp-hook", ddref + " hook",
           "--" + mode, "-j", "2", "--report-dir", report_dir]
    env = dict(os.environ, CI="1")
    started = time.monotonic()
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       env=env, timeout=1800, check=False)
    wall = time.monotonic() - started
    summary_path = os.path.join(report_dir, "summary.json")
    if not os.path.exists(summary_path):
        sys.stderr.write(r.stderr.decode(errors="replace"))
        raise SystemExit("bench_suite: ddconform --%s wrote no summary "
                         "(exit %d)" % (mode, r.returncode))
    with open(summary_path, encoding="utf-8") as f:
        summary = json.load(f)
    last = r.stdout.decode(errors="replace").strip().splitlines()[-1]
    return wall, summary, last, r.returncode


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build")
    args = ap.parse_args()
    print("== the standard suite against ddref, -j 2 (target: under %.0f s "
          "wall per mode)" % TARGET_S)
    tmp = tempfile.mkdtemp(prefix="bench-suite-")
    try:
        for mode in ("push", "no-push"):
            wall, summary, last, rc = run_mode(args.build, mode,
                                               os.path.join(tmp, mode))
            runs = summary.get("runs", [])
            busy = sum(r.get("seconds", 0) for r in runs)
            print("--%-8s %5.1f s wall for %d runs (%s; exit %d); runs "
                  "themselves %.1f s, %.2f s each on average; wall / "
                  "target = %.2f" % (mode, wall, len(runs), last, rc, busy,
                                     busy / max(len(runs), 1),
                                     wall / TARGET_S))
            longest = sorted(runs, key=lambda r: -r.get("seconds", 0))[:5]
            print("           longest: " + ", ".join(
                "%04d %.1f s" % (r.get("id") or 0, r.get("seconds", 0))
                for r in longest))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
