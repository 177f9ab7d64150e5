#!/usr/bin/env python3
"""run_proofs.py: proves the standard scenarios against ERP doubles.

Every scenario of the standard suite must be able to tell a correct ERP
from a broken one. The proof tables say how: each row of every
tests/suite/proofs-*.tsv runs one scenario against one ERP double and
names the verdict the judge must give. A row is tab-separated:

    ID  MODE  ERP  HOOK  VERDICT  [smoke]

  ID       the scenario's four-digit id (scenarios/ID-*.json)
  MODE     push or no-push (ddconform --push / --no-push)
  ERP      the ERP command (run from the repository root)
  HOOK     the hook command, or - for none
  VERDICT  PASS, WARN, SKIP, FAIL, ERROR or FUNDS_AT_RISK; a wrong
           client racing the timeline may be given two, "FAIL|FUNDS_AT_RISK"
           (either proves the scenario catches it; say why in a comment)
  smoke    optional: the row belongs to the short subset of --smoke

Blank lines and lines starting with # are comments. Each row runs as

    build/ddconform --erp ERP [--erp-hook HOOK] --push|--no-push -j 1
        --report-dir build/proofs/ROW scenarios/ID-*.json

from the repository root, two rows at a time; the verdict is read from
the report's summary.json. One line per row, then a summary line; exit 1
when any row's verdict is not the expected one (or a row could not run),
2 on a bad table or bad usage.

Usage: python3 tests/suite/run_proofs.py [--filter ID]... [--smoke]
           [--jobs N] [--build DIR] [--table TSV]...
Standard library only.
"""

import argparse
import glob
import json
import os
import re
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
VERDICTS = ("PASS", "WARN", "SKIP", "FAIL", "ERROR", "FUNDS_AT_RISK")
MODES = ("push", "no-push")
ROW_TIMEOUT_S = 1800  # a row that runs longer is a failure of its own


def shown(path):
    """A path relative to the repository when it is inside it."""
    rel = os.path.relpath(path, ROOT)
    return path if rel.startswith("..") else rel


class Row:
    def __init__(self, table, line, sid, mode, erp, hook, expected, smoke):
        self.table = table
        self.line = line
        self.sid = sid
        self.mode = mode
        self.erp = erp
        self.hook = hook
        self.expected = expected
        self.smoke = smoke
        stem = os.path.splitext(os.path.basename(table))[0]
        self.name = "%s-%d-%s-%s" % (stem, line, sid, mode)

    def where(self):
        return "%s:%d" % (shown(self.table), self.line)


def read_tables(paths):
    """Reads every row of the tables; returns (rows, problems)."""
    rows, problems = [], []
    for path in paths:
        with open(path, encoding="utf-8") as f:
            for n, raw in enumerate(f, 1):
                text = raw.rstrip("\r\n")
                if not text.strip() or text.lstrip().startswith("#"):
                    continue
                cols = text.split("\t")
                where = "%s:%d" % (shown(path), n)
                if len(cols) not in (5, 6):
                    problems.append("%s: expected 5 or 6 tab-separated "
                                    "columns, got %d" % (where, len(cols)))
                    continue
                sid, mode, erp, hook, verdict = (c.strip() for c in cols[:5])
                smoke = len(cols) == 6 and cols[5].strip() == "smoke"
                if len(cols) == 6 and not smoke and cols[5].strip():
                    problems.append("%s: the 6th column is \"smoke\" or "
                                    "empty, not %r" % (where, cols[5]))
                if not re.fullmatch(r"\d{4}", sid):
                    problems.append("%s: scenario id %r is not four digits"
                                    % (where, sid))
                if mode not in MODES:
                    problems.append("%s: mode %r is not push or no-push"
                                    % (where, mode))
                if not erp:
                    problems.append("%s: empty ERP command" % where)
                if (not verdict or
                        any(v not in VERDICTS for v in verdict.split("|")) or
                        ("PASS" in verdict.split("|") and "|" in verdict)):
                    problems.append("%s: verdict %r is not one of %s (or two "
                                    "failing ones joined by |)"
                                    % (where, verdict, ", ".join(VERDICTS)))
                rows.append(Row(path, n, sid, mode, erp,
                                None if hook in ("-", "") else hook,
                                verdict, smoke))
    return rows, problems


def scenario_file(sid):
    found = sorted(glob.glob(os.path.join(ROOT, "scenarios",
                                          sid + "-*.json")))
    return found[0] if len(found) == 1 else None, len(found)


def run_row(row, build):
    """Runs one row; returns (actual verdict or None, sentence, seconds,
    report folder)."""
    report = os.path.join(build, "proofs", row.name)
    path, n = scenario_file(row.sid)
    if not path:
        return None, ("no scenarios/%s-*.json" % row.sid if n == 0 else
                      "%d files match scenarios/%s-*.json" % (n, row.sid)), \
            0.0, report
    argv = [os.path.join(build, "ddconform"), "--erp", row.erp]
    if row.hook:
        argv += ["--erp-hook", row.hook]
    argv += ["--" + row.mode, "-j", "1", "--report-dir", report,
             os.path.relpath(path, ROOT)]
    started = time.monotonic()
    try:
        p = subprocess.run(argv, cwd=ROOT, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=ROW_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return None, "ddconform ran longer than %d s" % ROW_TIMEOUT_S, \
            time.monotonic() - started, report
    except OSError as e:
        return None, "cannot run ddconform: %s" % e, 0.0, report
    seconds = time.monotonic() - started
    try:
        with open(os.path.join(report, "summary.json"),
                  encoding="utf-8") as f:
            run = json.load(f)["runs"][0]
        return run["verdict"], run.get("sentence", ""), seconds, report
    except (OSError, ValueError, KeyError, IndexError) as e:
        tail = (p.stderr or p.stdout).decode("utf-8", "replace").strip()
        return None, "no verdict in %s/summary.json (%s; exit %d: %s)" % (
            shown(report), e, p.returncode,
            tail.splitlines()[-1] if tail else "no output"), seconds, report


def main():
    ap = argparse.ArgumentParser(
        description="Run the proof tables tests/suite/proofs-*.tsv.")
    ap.add_argument("--filter", action="append", default=[], metavar="ID",
                    help="only rows of this scenario id (repeatable)")
    ap.add_argument("--smoke", action="store_true",
                    help="only the rows marked smoke")
    ap.add_argument("--jobs", type=int, default=2, metavar="N",
                    help="rows at a time (default 2)")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"),
                    metavar="DIR", help="the build folder (default build)")
    ap.add_argument("--table", action="append", default=[], metavar="TSV",
                    help="read these tables instead of "
                    "tests/suite/proofs-*.tsv (repeatable)")
    args = ap.parse_args()
    if args.jobs < 1:
        ap.error("--jobs must be at least 1")
    build = os.path.abspath(args.build)
    if not os.access(os.path.join(build, "ddconform"), os.X_OK):
        print("run_proofs: %s/ddconform is missing: run make first" % build,
              file=sys.stderr)
        return 2
    filters = set()
    for f in args.filter:
        if not re.fullmatch(r"\d{1,4}", f):
            ap.error("--filter %s: expected a scenario id" % f)
        filters.add("%04d" % int(f))

    tables = [os.path.abspath(t) for t in args.table] or sorted(
        glob.glob(os.path.join(ROOT, "tests", "suite", "proofs-*.tsv")))
    rows, problems = read_tables(tables)
    if problems:
        for p in problems:
            print("run_proofs: " + p, file=sys.stderr)
        return 2
    if filters:
        rows = [r for r in rows if r.sid in filters]
    if args.smoke:
        rows = [r for r in rows if r.smoke]
    if not rows:
        print("run_proofs: no rows to run (%d table%s)" %
              (len(tables), "" if len(tables) == 1 else "s"),
              file=sys.stderr)
        return 2

    lock = threading.Lock()
    results = []

    def one(row):
        actual, sentence, seconds, report = run_row(row, build)
        ok = actual in row.expected.split("|")
        with lock:
            results.append((row, ok))
            print("%-8s %s %-7s %-13s expected %-13s %6.1f s  %s" % (
                "ok" if ok else "MISMATCH", row.sid, row.mode,
                actual or "-", row.expected, seconds, row.where()))
            if not ok:
                print("         %s" % sentence)
                print("         ERP: %s%s" % (row.erp, "  hook: " + row.hook
                                              if row.hook else ""))
                print("         report: %s" % shown(report))
            sys.stdout.flush()

    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        list(pool.map(one, rows))
    bad = sum(1 for _, ok in results if not ok)
    print("%d rows: %d as expected, %d mismatched" %
          (len(results), len(results) - bad, bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
