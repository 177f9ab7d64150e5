#!/usr/bin/env python3
"""test_reports.py: checks ddconform's reports against their report folder.

Two ways to run it (python3 standard library only):

  python3 tests/cli/test_reports.py build/ddconform [REPORT_DIR]
      runs `ddconform report --report-dir REPORT_DIR --junit F --json F
      --html F --tap` into a temporary folder, then checks the four files;
  python3 tests/cli/test_reports.py --report-dir DIR --junit F --json F
      --tap F --html F
      checks reports written already (any of the four may be left out).

REPORT_DIR defaults to tests/data/reports/basic, the hand-written fixture
of tests/check_report.c; with it, the checks also include values worked
out by hand from its files (the counts, the metrics, the failing rows).

Every expected value comes from the report folder itself (summary.json,
the run folders' erp.log), read here with the standard library, never
from ddconform's own output: the JUnit XML is parsed with xml.etree
(testcase per run, failure/error/skipped by verdict, the sentence as the
failure message, the end of erp.log in system-out), the JSON with json
(schema_version 1, every run, the counts and exit status), the TAP plan
and ok / not ok lines, and the HTML with html.parser (one self-contained
file: no script, stylesheet, image or link to anything outside the page;
the overview table's rows and the run sections with data-verdict).
Prints "N passed, N failed" and exits 1 when anything failed.
"""

import argparse
import html.parser
import json
import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURE = os.path.normpath(os.path.join(HERE, "..", "data", "reports", "basic"))

FAILED_VERDICTS = {"FAIL", "FUNDS_AT_RISK", "ERROR"}

results = {"passed": 0, "failed": 0}


def check(cond, what):
    if cond:
        results["passed"] += 1
    else:
        results["failed"] += 1
        print("FAIL: " + what)


# ------------------------------------------------------------ the folder


def load_summary(report_dir):
    with open(os.path.join(report_dir, "summary.json"), encoding="utf-8") as f:
        return json.load(f)


def run_name(run):
    if run.get("dir"):
        return run["dir"].rsplit("/", 1)[-1]
    base = os.path.basename(run.get("file") or "")
    return base[:-5] if base.endswith(".json") else base


def run_label(run):
    if run.get("id") is not None:
        return "%04d %s" % (run["id"], run["title"])
    return run["title"]


def run_failed(summary, run):
    outcome = run.get("outcome")
    if outcome:
        return outcome in ("failed", "ratchet")
    v = run["verdict"]
    return v in FAILED_VERDICTS or (v == "WARN" and summary.get("strict"))


def erp_log_last_line(report_dir, run):
    """The last non-empty line of the run's erp.log as XML would carry it
    (control characters other than tab shown as \\xNN, bad UTF-8 as
    U+FFFD), or None without an erp.log."""
    if not run.get("dir"):
        return None
    path = os.path.join(report_dir, run["dir"], "erp.log")
    if not os.path.exists(path):
        return None
    with open(path, "rb") as f:
        data = f.read()
    lines = [l for l in data.split(b"\n") if l.strip()]
    if not lines:
        return None
    text = lines[-1].decode("utf-8", "replace")
    return "".join(
        "\\x%02X" % ord(c) if (ord(c) < 0x20 and c != "\t") or ord(c) == 0x7F else c
        for c in text
    )


# ------------------------------------------------------------ JUnit


def check_junit(path, report_dir, summary, fixture):
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    check(len(suites) == 1, "junit: one <testsuite>")
    suite = suites[0]
    cases = suite.findall("testcase")
    runs = summary["runs"]
    check(len(cases) == len(runs), "junit: %d testcases for %d runs" % (len(cases), len(runs)))
    n_fail = n_err = n_skip = 0
    for run, case in zip(runs, cases):
        label = run_label(run)
        check(case.get("name") == label, "junit: testcase name %r == %r" % (case.get("name"), label))
        want_class = "ddconform." + run["mode"] if run.get("mode") else "ddconform"
        check(case.get("classname") == want_class, "junit: classname of %s" % label)
        v = run["verdict"]
        failure, error, skipped = case.find("failure"), case.find("error"), case.find("skipped")
        if run.get("outcome") == "ratchet":
            check(failure is not None and failure.get("type") == "ratchet", "junit: ratchet failure for %s" % label)
            n_fail += 1
        elif run.get("outcome") == "xfail":
            check(failure is None and error is None, "junit: xfail %s passes" % label)
        elif v == "SKIP":
            check(skipped is not None and skipped.get("message") == run["sentence"], "junit: <skipped> for %s" % label)
            n_skip += 1
        elif v == "ERROR":
            check(error is not None and error.get("message") == run["sentence"], "junit: <error> for %s" % label)
            n_err += 1
        elif v in ("FAIL", "FUNDS_AT_RISK") or (v == "WARN" and summary.get("strict")):
            check(failure is not None and failure.get("message") == run["sentence"]
                  and failure.get("type") == v, "junit: <failure> with the sentence for %s" % label)
            check(failure is not None and run["sentence"] in (failure.text or ""),
                  "junit: failure text holds the sentence for %s" % label)
            n_fail += 1
        else:
            check(failure is None and error is None and skipped is None, "junit: %s passes" % label)
        out = case.find("system-out")
        if v == "WARN" and not summary.get("strict"):
            check(out is not None and ("WARN: " + run["sentence"]) in (out.text or ""),
                  "junit: WARN sentence in system-out for %s" % label)
        last = erp_log_last_line(report_dir, run)
        if last is not None:
            check(out is not None and last in (out.text or ""), "junit: erp.log in system-out for %s" % label)
    check(suite.get("tests") == str(len(runs)), "junit: tests attribute")
    check(suite.get("failures") == str(n_fail), "junit: failures=%s, want %d" % (suite.get("failures"), n_fail))
    check(suite.get("errors") == str(n_err), "junit: errors=%s, want %d" % (suite.get("errors"), n_err))
    check(suite.get("skipped") == str(n_skip), "junit: skipped=%s, want %d" % (suite.get("skipped"), n_skip))
    if fixture:
        check((suite.get("tests"), suite.get("failures"), suite.get("errors"), suite.get("skipped"))
              == ("6", "2", "1", "1"), "junit: the fixture's 6 tests, 2 failures, 1 error, 1 skipped")
        out = cases[0].find("system-out").text
        check("\\x1B[31mred" in out and "<script>alert(1)</script>" in out,
              "junit: the fixture's erp.log escaped and read back")


# ------------------------------------------------------------ JSON


def check_json(path, summary, fixture):
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    check(doc.get("schema_version") == 1, "json: schema_version 1")
    runs = doc.get("runs", [])
    check(len(runs) == len(summary["runs"]), "json: every run")
    for want, got in zip(summary["runs"], runs):
        for key in ("id", "title", "file", "mode", "verdict", "sentence"):
            check(got.get(key) == want.get(key), "json: run %s %s" % (run_label(want), key))
        check(got.get("name") == run_name(want), "json: run name of %s" % run_label(want))
        check(isinstance(got.get("findings"), list) and isinstance(got.get("expects"), list),
              "json: findings and expects of %s" % run_label(want))
        check(isinstance(got.get("files"), dict), "json: files of %s" % run_label(want))
    if "counts" in summary:
        for key, value in summary["counts"].items():
            check(doc["counts"].get(key) == value, "json: counts.%s" % key)
    if "exit_status" in summary:
        check(doc.get("exit_status") == summary["exit_status"], "json: exit_status")
    inv = doc.get("invocation", {})
    check(inv.get("erp") == summary["erp"], "json: invocation.erp")
    if fixture:
        m = doc.get("metrics") or {}
        # 5 of 7 after-sales (tests/check_report.c works it out)
        check(m.get("counted") == 7 and m.get("automatic") == 5, "json: fixture metrics counts")
        check(abs((m.get("share") or 0) - 5 / 7) < 0.001, "json: fixture share")
        flows = {f["flow"]: f for f in m.get("flows", [])}
        check(flows.get("return", {}).get("median_s") == 9.5, "json: return median 9.5")
        check(flows.get("unshipped_refund", {}).get("worst_s") == 3.5, "json: unshipped_refund worst 3.5")


# ------------------------------------------------------------ TAP


def check_tap(text, summary):
    lines = text.split("\n")
    check(lines[0] == "TAP version 14", "tap: version line")
    n = len(summary["runs"])
    check(lines[1] == "1..%d" % n, "tap: plan 1..%d" % n)
    results_lines = [l for l in lines if re.match(r"^(not )?ok \d+ ", l)]
    check(len(results_lines) == n, "tap: %d result lines" % n)
    for i, (run, line) in enumerate(zip(summary["runs"], results_lines), 1):
        bad = run_failed(summary, run) or run.get("outcome") == "xfail"
        prefix = "%s %d - " % ("not ok" if bad else "ok", i)
        check(line.startswith(prefix), "tap: %r starts with %r" % (line, prefix))
        if run["verdict"] == "SKIP" and not run.get("outcome") in ("xfail", "ratchet"):
            check(" # SKIP " in line, "tap: SKIP directive on %r" % line)
    check("\n  ---\n" in text and "\n  ...\n" in text, "tap: YAML diagnostics")


# ------------------------------------------------------------ HTML


class PageParser(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.rows = []      # (data-run, data-verdict, class) of tr.run in #overview
        self.sections = []  # (id, data-verdict) of section.run-detail
        self.outside = []   # references to anything outside the page
        self.failing = {}   # section id -> rows with class failing
        self.in_overview = False
        self.section = None
        self.tags = set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.add(tag)
        classes = (a.get("class") or "").split()
        for key in ("src", "srcset", "data", "action", "poster", "background"):
            if key in a:
                self.outside.append("%s %s=%r" % (tag, key, a[key]))
        if "href" in a and not (a["href"] or "").startswith("#"):
            self.outside.append("%s href=%r" % (tag, a["href"]))
        if tag in ("script", "link", "iframe", "img", "object", "embed"):
            self.outside.append(tag)
        if tag == "table" and a.get("id") == "overview":
            self.in_overview = True
        if tag == "tr" and self.in_overview and "run" in classes:
            self.rows.append((a.get("data-run"), a.get("data-verdict")))
        if tag == "section" and "run-detail" in classes:
            self.section = a.get("id")
            self.sections.append((a.get("id"), a.get("data-verdict")))
            self.failing[self.section] = 0
        if self.section and "failing" in classes:
            self.failing[self.section] += 1

    def handle_endtag(self, tag):
        if tag == "table":
            self.in_overview = False


def check_html(path, summary, fixture):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    p = PageParser()
    p.feed(text)
    check(text.startswith("<!DOCTYPE html>"), "html: a complete page")
    check(not p.outside, "html: nothing outside the page: %s" % p.outside[:5])
    check("@import" not in text and "url(" not in text, "html: no CSS import or url()")
    check(not re.search(r"https?://", text), "html: no URL")
    want = [(run_name(r), r["verdict"]) for r in summary["runs"]]
    check(p.rows == want, "html: overview rows %s == %s" % (p.rows, want))
    check(p.sections == [("run-" + n, v) for n, v in want], "html: one section per run with data-verdict")
    if fixture:
        check(p.failing.get("run-0029-timeout-push") == 3, "html: 3 failing rows in 0029 (%s)" % p.failing.get("run-0029-timeout-push"))
        check(p.failing.get("run-0006-parcel-push") == 1, "html: 1 failing row in 0006")
        check(p.failing.get("run-0001-refund-poll") == 0, "html: no failing row in 0001")
        check("first difference" in text, "html: the explain block")


# ------------------------------------------------------------ main


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("ddconform", nargs="?", help="the ddconform binary")
    ap.add_argument("report_dir_pos", nargs="?", metavar="REPORT_DIR")
    ap.add_argument("--report-dir")
    ap.add_argument("--junit")
    ap.add_argument("--json")
    ap.add_argument("--tap")
    ap.add_argument("--html")
    args = ap.parse_args()
    report_dir = args.report_dir or args.report_dir_pos or FIXTURE
    summary = load_summary(report_dir)
    fixture = os.path.realpath(report_dir) == os.path.realpath(FIXTURE)
    with tempfile.TemporaryDirectory(prefix="test_reports_") as tmp:
        files = {"junit": args.junit, "json": args.json, "tap": args.tap, "html": args.html}
        tap_text = None
        if args.ddconform:
            files = {k: os.path.join(tmp, "report." + k) for k in ("junit", "json", "html")}
            cmd = [args.ddconform, "report", "--report-dir", report_dir, "--junit", files["junit"],
                   "--json", files["json"], "--html", files["html"], "--tap"]
            proc = subprocess.run(cmd, capture_output=True, timeout=120)
            check(proc.returncode == 0, "ddconform report exits 0 (%d: %s)" % (proc.returncode, proc.stderr[-500:]))
            tap_text = proc.stdout.decode("utf-8")
        elif files["tap"]:
            with open(files["tap"], encoding="utf-8") as f:
                tap_text = f.read()
        if not any(files.values()) and tap_text is None:
            ap.error("give the ddconform binary or at least one report file")
        if files.get("junit"):
            check_junit(files["junit"], report_dir, summary, fixture)
        if files.get("json"):
            check_json(files["json"], summary, fixture)
        if tap_text is not None:
            check_tap(tap_text, summary)
        if files.get("html"):
            check_html(files["html"], summary, fixture)
    print("%d passed, %d failed" % (results["passed"], results["failed"]))
    return 1 if results["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
