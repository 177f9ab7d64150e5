#!/usr/bin/env python3
"""test_examples.py: the minimal ERP of examples/minimal-erp/ passes every
happy-path scenario of the standard suite, with pushes and poll-only.

    python3 tests/cli/test_examples.py [BUILD/ddconform]   (from the root)

It runs exactly the command of examples/minimal-erp/README.md, once with
--push and once with --no-push, and requires the verdicts written below by
hand (the happy-path scenarios and their push options: 0002 and 0004
require pushes, 0001 and 0003 forbid them, 0034 allows either). Until
ddconform has --filter, the five scenario files are named instead. Exits 0
when every verdict, the summary line and the exit status are as expected.
"""

import os
import re
import subprocess
import sys
import tempfile

ERP = "python3 examples/minimal-erp/erp.py"
HOOK = "python3 examples/minimal-erp/erp.py hook"
HAPPY = ["0001", "0002", "0003", "0004", "0034"]
EXPECTED = {
    "push": {"0001": "PASS", "0002": "PASS", "0003": "PASS", "0004": "PASS",
             "0034": "PASS"},
    "no-push": {"0001": "PASS", "0002": "SKIP", "0003": "PASS",
                "0004": "SKIP", "0034": "PASS"},
}
SUMMARY = {"push": "5 passed, 0 failed, 0 skipped",
           "no-push": "3 passed, 0 failed, 2 skipped"}
LINE = re.compile(r"^(PASS|WARN|FAIL|FUNDS_AT_RISK|SKIP|ERROR)\s+(\d{4})\s")


def scenario_args(ddconform):
    """--filter happy-path when ddconform has it, else the five files."""
    help_text = subprocess.run([ddconform, "--help"], capture_output=True,
                               text=True, timeout=30)
    if "--filter" in help_text.stdout + help_text.stderr:
        return ["--filter", "happy-path"]
    files = sorted(os.listdir("scenarios"))
    return [os.path.join("scenarios", f) for f in files
            if f[:4] in HAPPY and f.endswith(".json")]


def run_mode(ddconform, mode, report_dir):
    cmd = [ddconform, "--erp", ERP, "--erp-hook", HOOK, "--" + mode,
           "-j", "2", "--report-dir", report_dir] + scenario_args(ddconform)
    env = dict(os.environ)
    env.pop("DDCONFORM_SCENARIOS", None)
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env,
                          timeout=600)
    problems = []
    seen = {}
    for line in proc.stdout.splitlines():
        m = LINE.match(line)
        if m:
            seen[m.group(2)] = m.group(1)
    if seen != EXPECTED[mode]:
        problems.append("verdicts %s, expected %s" % (seen, EXPECTED[mode]))
    last = proc.stdout.rstrip("\n").split("\n")[-1]
    if last != SUMMARY[mode]:
        problems.append("summary line %r, expected %r" % (last, SUMMARY[mode]))
    if proc.returncode != 0:
        problems.append("exit status %d, expected 0" % proc.returncode)
    if problems:
        sys.stderr.write("test_examples --%s: %s\n--- stdout\n%s--- stderr\n%s"
                         % (mode, "; ".join(problems), proc.stdout,
                            proc.stderr))
    return not problems


def main():
    ddconform = sys.argv[1] if len(sys.argv) > 1 else "build/ddconform"
    ok = True
    with tempfile.TemporaryDirectory(prefix="dd-examples-") as tmp:
        for mode in ("push", "no-push"):
            passed = run_mode(ddconform, mode, os.path.join(tmp, mode))
            print("test_examples --%s: %s" %
                  (mode, "ok" if passed else "FAIL"))
            ok = ok and passed
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
