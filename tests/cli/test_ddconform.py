#!/usr/bin/env python3
"""test_ddconform.py: command-line tests of the `ddconform` runner.

Run by `make cli` as `python3 tests/cli/test_ddconform.py build/ddconform`
(standard library only). Each test writes tiny scenarios (pushes forbidden
or required, runs of a few seconds) and tiny ERPs into a temporary folder:
python3 scripts that sign requests as harness.md's contract asks (md5,
doudian-open-api.md section 1.5, written here independently of the C
code), a shell ERP that does nothing, a push listener. The checks are
those of harness.md: the ERP's environment, the output lines, the summary
line, the exit status, SKIP reasons, the report folder, hooks and
restarts, and `ddconform judge`.

DDCONFORM_STRETCH (set by the Makefile under the sanitizers) is passed
on; the scenarios' times do not depend on it. Ends with the line
"N passed, N failed" and exits non-zero when anything failed.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

DDCONFORM = None  # set from argv in main()

# --------------------------------------------------------------- the ERPs

# A small Doudian client: md5 signature over the canonical param_json
# (doudian-open-api.md 1.5-1.6; our parameters are ASCII, so json.dumps
# with sorted keys and no spaces is the canonical form).
ERP_LIB = r'''
import hashlib, json, os, sys, time, urllib.parse, urllib.request

BASE = os.environ["DOUDIAN_BASE_URL"]
KEY = os.environ["DOUDIAN_APP_KEY"]
SECRET = os.environ["DOUDIAN_APP_SECRET"]
SHOP = os.environ["DOUDIAN_SHOP_ID"]
INTERVAL = float(os.environ["DOUDIAN_POLL_INTERVAL"])
STATE = os.environ["DOUDIAN_STATE_DIR"]


def call(method, params, token=None):
    pj = json.dumps(params, separators=(",", ":"), sort_keys=True)
    ts = str(int(time.time()))
    text = (SECRET + "app_key" + KEY + "method" + method + "param_json" +
            pj + "timestamp" + ts + "v2" + SECRET)
    q = {"app_key": KEY, "method": method, "v": "2", "timestamp": ts,
         "sign": hashlib.md5(text.encode()).hexdigest()}
    if token:
        q["access_token"] = token
    url = BASE + "/" + method.replace(".", "/") + "?" + \
        urllib.parse.urlencode(q)
    req = urllib.request.Request(url, data=pj.encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.load(r)


def token():
    r = call("token.create", {"code": "", "grant_type": "authorization_self",
                              "shop_id": SHOP})
    return r["data"]["access_token"]


def poll_forever(limit=None, every=None):
    t = token()
    n = 0
    while limit is None or n < limit:
        call("afterSale.List", {"page": 0, "size": 100}, t)
        n += 1
        time.sleep(every or INTERVAL)
'''

# Polls afterSale.List every DOUDIAN_POLL_INTERVAL; first records its
# environment and how often it was started (in the state directory).
ERP_POLL = r'''
import json, os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import erplib
starts = os.path.join(erplib.STATE, "starts")
first = not os.path.exists(starts)
with open(starts, "a") as f:
    f.write("start\n")
if first:
    env = {k: v for k, v in os.environ.items() if k.startswith("DOUDIAN_")}
    env["_state_entries"] = sorted(e for e in os.listdir(erplib.STATE)
                                   if e != "starts")
    print("ENV " + json.dumps(env), flush=True)
limit = int(sys.argv[1]) if len(sys.argv) > 1 else 0
every = float(sys.argv[2]) if len(sys.argv) > 2 else None
erplib.poll_forever(limit or None, every)
print("ERP done polling", flush=True)
'''

# Listens for pushes on DOUDIAN_PUSH_LISTEN and answers success.
ERP_PUSH = r'''
import http.server, json, os
host, port = os.environ["DOUDIAN_PUSH_LISTEN"].rsplit(":", 1)
print("ENV " + json.dumps({k: v for k, v in os.environ.items()
                           if k.startswith("DOUDIAN_")}), flush=True)

class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        print("PUSH " + body.decode("utf-8", "replace"), flush=True)
        out = b'{"code":0,"msg":"success"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, *args):
        pass

http.server.ThreadingHTTPServer((host, int(port)), Handler).serve_forever()
'''

# A hook that keeps its event and its environment, then ships.
HOOK_SHIP = r'''#!/bin/sh
cat > "$HOOK_OUT/event.json"
echo "$DOUDIAN_APP_KEY" > "$HOOK_OUT/app_key"
echo "hook was here" >&2
echo '{"shipped": true, "company_code": "zhongtong", "tracking_no": "ZT1"}'
'''

HOOK_FAIL = r'''#!/bin/sh
cat > /dev/null
echo "the warehouse is on fire" >&2
exit 3
'''

# --------------------------------------------------------------- scenarios

SHOP = "10000001"
ORDER = "6920000000000010001"


def scenario(sid, title, push="forbidden", max_seconds=4, hook=False,
             timeline=None, expect=None, world=None):
    """A scenario as a dict: one shop, one unshipped order."""
    if world is None:
        world = {
            "shops": [{"shop_id": SHOP}],
            "products": [{"product_id": "3600000000000001001",
                          "skus": [{"sku_id": "1760000000000001001",
                                    "price": 3900}]}],
            "orders": [{"order_id": ORDER, "shop_id": SHOP,
                        "create_time": "now-2h",
                        "sku_orders": [{"sku_order_id": ORDER,
                                        "sku_id": "1760000000000001001"}]}],
        }
    s = {
        "format": 1,
        "info": {"id": sid, "title": title,
                 "situation": "a test of the runner",
                 "correct_erp": "polls"},
        "world": world,
        "options": {"push": push, "poll_interval": 1,
                    "max_seconds": max_seconds, "hook": hook},
    }
    if timeline is not None:
        s["timeline"] = timeline
    s["expect"] = expect if expect is not None else [
        {"level": "MUST", "call": "afterSale.List"}]
    return s


SHIP_STEP = {"id": "ship", "at": 0.5, "do": "warehouse.ship_request",
             "with": {"shop_order_id": ORDER, "sku_order_ids": [ORDER]}}

SUMMARY_RE = re.compile(r"^(\d+) passed, (\d+) failed, (\d+) skipped$")


class Result:
    def __init__(self, p, report):
        self.status = p.returncode
        self.out = p.stdout.decode("utf-8", "replace")
        self.err = p.stderr.decode("utf-8", "replace")
        self.lines = self.out.splitlines()
        self.report = report

    def summary(self):
        return self.lines[-1] if self.lines else ""

    def summary_json(self):
        with open(os.path.join(self.report, "summary.json")) as f:
            return json.load(f)

    def run_dir(self, i=0):
        return os.path.join(self.report, self.summary_json()["runs"][i]["dir"])

    def read(self, name, i=0):
        with open(os.path.join(self.run_dir(i), name), "rb") as f:
            return f.read().decode("utf-8", "replace")

    def journal(self, i=0):
        return [json.loads(line) for line in self.read("journal.jsonl", i)
                .splitlines()]

    def __str__(self):
        return "exit %d\nstdout:\n%s\nstderr:\n%s" % (self.status, self.out,
                                                      self.err)


class DdconformTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="ddconform-test-")
        self.write("erplib.py", ERP_LIB)
        self.write("erp_poll.py", ERP_POLL)
        self.write("erp_push.py", ERP_PUSH)
        self.write("hook_ship.sh", HOOK_SHIP, exe=True)
        self.write("hook_fail.sh", HOOK_FAIL, exe=True)
        self.poll_erp = "python3 " + self.path("erp_poll.py")
        self.push_erp = "exec python3 " + self.path("erp_push.py")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def path(self, name):
        return os.path.join(self.dir, name)

    def write(self, name, text, exe=False):
        with open(self.path(name), "w") as f:
            f.write(text)
        if exe:
            os.chmod(self.path(name), 0o755)
        return self.path(name)

    def write_scenario(self, name, s):
        return self.write(name, json.dumps(s, ensure_ascii=False, indent=1))

    def run_conform(self, *args, env=None, report="report", timeout=300):
        report_dir = self.path(report)
        argv = [DDCONFORM] + list(args)
        if "--report-dir" not in args and args[:1] != ("judge",):
            argv += ["--report-dir", report_dir]
        e = dict(os.environ)
        e["HOOK_OUT"] = self.dir
        if env:
            e.update(env)
        p = subprocess.run(argv, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=timeout,
                           cwd=self.dir, env=e)
        return Result(p, report_dir)

    def assertSummary(self, r, passed, failed, skipped):
        self.assertEqual(r.summary(), "%d passed, %d failed, %d skipped" %
                         (passed, failed, skipped), str(r))
        self.assertEqual(r.lines[-2], "report: " + r.report, str(r))

    def assertRunLine(self, line, verdict, sid, title):
        m = re.match(r"^(\S+) +(\d{4}) (.*) \((\d+\.\d) s\)$", line)
        self.assertIsNotNone(m, line)
        self.assertEqual(m.group(1), verdict, line)
        self.assertEqual(line.index(m.group(2)), 15, line)
        self.assertEqual(int(m.group(2)), sid, line)
        self.assertEqual(m.group(3), title, line)

    # ------------------------------------------------------------ usage

    def test_usage_errors_exit_3_with_a_message_on_stderr(self):
        s = self.write_scenario("9100-x.json", scenario(9100, "x"))
        cases = [
            ([s], "--erp"),  # --erp is required
            (["--erp", self.poll_erp, "--bogus", s], "bogus"),
            (["--erp", self.poll_erp, "-j", "0", s], "-j"),
            (["--erp", self.poll_erp, "--time-scale", "fast", s],
             "--time-scale"),
            (["judge", "--scenario", s], "--journal"),
        ]
        for args, word in cases:
            r = self.run_conform(*args)
            self.assertEqual(r.status, 3, str(r))
            self.assertIn(word, r.err, str(r))
            self.assertFalse(SUMMARY_RE.match(r.summary()), str(r))
        r = self.run_conform("--erp", self.poll_erp, s,
                             env={"DDCONFORM_STRETCH": "0.5"})
        self.assertEqual(r.status, 3, str(r))
        self.assertIn("DDCONFORM_STRETCH", r.err)

    def test_help_exits_0(self):
        r = self.run_conform("--help")
        self.assertEqual(r.status, 0, str(r))
        self.assertIn("usage: ddconform", r.out)
        self.assertIn("DDCONFORM_STRETCH", r.out)

    # ------------------------------------------------------------ verdicts

    def test_a_polling_erp_passes_and_gets_the_contract_environment(self):
        s = self.write_scenario("9101-polls.json",
                                scenario(9101, "Polls quietly"))
        r = self.run_conform("--erp", self.poll_erp, "--no-push", s,
                             env={"DOUDIAN_PUSH_LISTEN": "127.0.0.1:1",
                                  "DOUDIAN_AUTH_CODE": "stale"})
        self.assertEqual(r.status, 0, str(r))
        self.assertRunLine(r.lines[0], "PASS", 9101, "Polls quietly")
        # then the metrics lines (report.h), the seed, the report folder
        self.assertRegex(r.lines[-3], r"^seed: \d+$")
        self.assertSummary(r, 1, 0, 0)

        # the environment of harness.md, nothing inherited
        log = r.read("erp.log")
        env = json.loads(re.search(r"^ENV (.*)$", log, re.M).group(1))
        self.assertEqual(env["DOUDIAN_HARNESS_CONTRACT"], "1")
        self.assertRegex(env["DOUDIAN_BASE_URL"], r"^http://127\.0\.0\.1:\d+$")
        self.assertRegex(env["DOUDIAN_APP_KEY"], r"^\d{19}$")
        self.assertTrue(env["DOUDIAN_APP_SECRET"])
        self.assertEqual(env["DOUDIAN_SHOP_ID"], SHOP)
        self.assertEqual(env["DOUDIAN_POLL_INTERVAL"], "1")
        self.assertNotIn("DOUDIAN_AUTH_CODE", env)
        self.assertNotIn("DOUDIAN_PUSH_LISTEN", env)
        self.assertTrue(os.path.isabs(env["DOUDIAN_STATE_DIR"]))
        self.assertEqual(env["_state_entries"], [])

        # the report folder
        summary = r.summary_json()
        self.assertEqual(summary["exit_status"], 0)
        self.assertEqual(summary["counts"]["passed"], 1)
        run = summary["runs"][0]
        self.assertEqual((run["id"], run["title"], run["mode"],
                          run["verdict"]),
                         (9101, "Polls quietly", "poll", "PASS"))
        self.assertEqual(run["dir"], "runs/9101-polls-poll")
        with open(s) as f:
            self.assertEqual(r.read("scenario.json"), f.read())
        verdict = json.loads(r.read("verdict.json"))
        self.assertEqual(verdict["verdict"], "PASS")
        self.assertEqual(verdict["mode"], "poll")
        self.assertEqual(verdict["judgement"]["verdict"], "PASS")
        journal = r.journal()
        methods = [e["method"] for e in journal]
        for m in ("run.create", "run.start", "erp.start", "token.create",
                  "afterSale.List", "run.final", "run.end", "erp.term"):
            self.assertIn(m, methods)
        self.assertEqual({e["app_key"] for e in journal},
                         {env["DOUDIAN_APP_KEY"]})
        seqs = [e["seq"] for e in journal]
        self.assertEqual(seqs, sorted(set(seqs)))

        # the run judged again offline
        j = self.run_conform("judge", "--scenario",
                             os.path.join(r.run_dir(), "scenario.json"),
                             "--journal",
                             os.path.join(r.run_dir(), "journal.jsonl"))
        self.assertEqual(j.status, 0, str(j))
        self.assertTrue(j.out.startswith("PASS"), str(j))

    def test_an_erp_that_does_nothing_fails_with_a_sentence(self):
        s = self.write_scenario("9102-idle.json", scenario(9102, "Idle"))
        r = self.run_conform("--erp", "exec sleep 60", s)
        self.assertEqual(r.status, 1, str(r))
        self.assertRunLine(r.lines[0], "FAIL", 9102, "Idle")
        self.assertTrue(r.lines[1].startswith(" " * 15), str(r))
        self.assertTrue(r.lines[1].strip(), str(r))
        self.assertSummary(r, 0, 1, 0)
        self.assertEqual(r.summary_json()["runs"][0]["verdict"], "FAIL")
        self.assertEqual(r.summary_json()["exit_status"], 1)

    def test_a_hook_scenario_without_a_hook_is_skip(self):
        s = self.write_scenario("9103-hook.json", scenario(
            9103, "Needs the warehouse", hook=True, timeline=[SHIP_STEP]))
        r = self.run_conform("--erp", self.poll_erp, s)
        self.assertEqual(r.status, 0, str(r))
        self.assertRunLine(r.lines[0], "SKIP", 9103, "Needs the warehouse")
        self.assertEqual(r.lines[1].strip(),
                         "needs the warehouse hook (--erp-hook)")
        self.assertSummary(r, 0, 0, 1)
        r = self.run_conform("--erp", self.poll_erp, "--fail-on-skip", s)
        self.assertEqual(r.status, 1, str(r))
        self.assertSummary(r, 0, 0, 1)

    def test_a_push_required_scenario_under_no_push_is_skip(self):
        s = self.write_scenario("9104-push.json", scenario(
            9104, "Needs pushes", push="required"))
        r = self.run_conform("--erp", self.push_erp, "--no-push", s)
        self.assertEqual(r.status, 0, str(r))
        self.assertEqual(r.lines[1].strip(),
                         "needs a push listener (run without --no-push)")
        self.assertSummary(r, 0, 0, 1)

    def test_a_scenario_that_does_not_load_is_error_with_positions(self):
        bad = self.write("9105-bad.json", '{"format": 1,\n "info": {,}}\n')
        r = self.run_conform("--erp", self.poll_erp, bad)
        self.assertEqual(r.status, 3, str(r))
        self.assertTrue(r.lines[0].startswith("ERROR          "), str(r))
        self.assertRegex(r.out, r"9105-bad\.json:2:\d+: ")
        self.assertSummary(r, 0, 1, 0)
        self.assertEqual(r.summary_json()["runs"][0]["verdict"], "ERROR")
        self.assertEqual(r.summary_json()["exit_status"], 3)

    def test_a_folder_runs_its_scenarios_and_fail_beats_error(self):
        os.mkdir(self.path("suite"))
        self.write_scenario("suite/b-idle.json", scenario(9107, "Idle"))
        self.write("suite/a-bad.json", "{")
        self.write("suite/notes.txt", "not a scenario")
        r = self.run_conform("--erp", "exec sleep 60", "-j", "2",
                             self.path("suite"))
        self.assertEqual(r.status, 1, str(r))
        self.assertSummary(r, 0, 2, 0)
        runs = r.summary_json()["runs"]
        self.assertEqual([os.path.basename(x["file"]) for x in runs],
                         ["a-bad.json", "b-idle.json"])
        self.assertEqual([x["verdict"] for x in runs], ["ERROR", "FAIL"])

    def test_strict_counts_warn_as_failed(self):
        s = scenario(9108, "Polls too often", max_seconds=8)
        s["options"]["poll_interval"] = 5
        s = self.write_scenario("9108-eager.json", s)
        # every 1.1 s, with an interval of 5 s (the judge counts calls
        # within 1 s of a poll's first call as that poll)
        eager = self.poll_erp + " 0 1.1"
        r = self.run_conform("--erp", eager, s)
        self.assertEqual(r.status, 0, str(r))
        self.assertRunLine(r.lines[0], "WARN", 9108, "Polls too often")
        self.assertTrue(r.lines[1].startswith(" " * 15), str(r))
        self.assertSummary(r, 1, 0, 0)
        r = self.run_conform("--erp", eager, "--strict", s)
        self.assertEqual(r.status, 1, str(r))
        self.assertRunLine(r.lines[0], "WARN", 9108, "Polls too often")
        self.assertSummary(r, 0, 1, 0)
        self.assertEqual(r.summary_json()["exit_status"], 1)

    # ------------------------------------------------------------ push

    def test_a_push_run_waits_for_the_listener_and_subscribes_it(self):
        s = self.write_scenario("9109-push.json", scenario(
            9109, "Listens", push="either", expect=[]))
        r = self.run_conform("--erp", self.push_erp, s)
        self.assertEqual(r.status, 0, str(r))
        self.assertRunLine(r.lines[0], "PASS", 9109, "Listens")
        log = r.read("erp.log")
        env = json.loads(re.search(r"^ENV (.*)$", log, re.M).group(1))
        self.assertRegex(env["DOUDIAN_PUSH_LISTEN"], r"^127\.0\.0\.1:\d+$")
        self.assertRegex(log, r'PUSH \[\{"tag":"0"')  # the verification
        journal = r.journal()
        methods = [e["method"] for e in journal]
        self.assertLess(methods.index("erp.ready"), methods.index("run.start"))
        self.assertTrue(any(e["kind"] == "push" for e in journal))
        # pushes.jsonl holds the journal's push entries, and only those
        pushes = [json.loads(x) for x in r.read("pushes.jsonl").splitlines()]
        self.assertEqual(pushes, [e for e in journal if e["kind"] == "push"])
        self.assertEqual(r.summary_json()["runs"][0]["mode"], "push")

    def test_an_erp_that_never_listens_is_error(self):
        s = self.write_scenario("9110-push.json", scenario(
            9110, "Never listens", push="required", expect=[]))
        r = self.run_conform("--erp", "echo no listener here; exit 4", s)
        self.assertEqual(r.status, 3, str(r))
        self.assertRunLine(r.lines[0], "ERROR", 9110, "Never listens")
        self.assertIn("push listener on 127.0.0.1:", r.lines[1])
        self.assertIn("no listener here", r.read("erp.log"))

    # ------------------------------------------------------------ hooks

    def test_the_hook_gets_the_event_and_its_reply_goes_back(self):
        s = self.write_scenario("9111-hook.json", scenario(
            9111, "Ships", hook=True, timeline=[SHIP_STEP]))
        r = self.run_conform("--erp", self.poll_erp, "--erp-hook",
                             self.path("hook_ship.sh"), s)
        self.assertEqual(r.status, 0, str(r))
        self.assertRunLine(r.lines[0], "PASS", 9111, "Ships")
        with open(self.path("event.json")) as f:
            self.assertEqual(json.load(f), {
                "event": "warehouse.ship_request", "shop_order_id": ORDER,
                "sku_order_ids": [ORDER]})
        calls = [json.loads(x) for x in r.read("hooks.jsonl").splitlines()]
        self.assertEqual(len(calls), 1)
        self.assertTrue(calls[0]["ok"])
        self.assertEqual(calls[0]["exit_status"], 0)
        self.assertEqual(calls[0]["reply"]["tracking_no"], "ZT1")
        self.assertEqual(calls[0]["stderr"], "hook was here\n")
        self.assertEqual(calls[0]["event"]["shop_order_id"], ORDER)
        hooks = [e for e in r.journal() if e["kind"] == "hook"]
        self.assertEqual(len(hooks), 1)
        self.assertEqual(hooks[0]["verdict"], "ok")
        with open(self.path("app_key")) as f:
            self.assertEqual(f.read().strip(), hooks[0]["app_key"])

    def test_a_hook_that_exits_non_zero_fails_the_run(self):
        s = self.write_scenario("9112-hook.json", scenario(
            9112, "The hook breaks", hook=True, timeline=[SHIP_STEP]))
        r = self.run_conform("--erp", self.poll_erp, "--erp-hook",
                             self.path("hook_fail.sh"), s)
        self.assertEqual(r.status, 1, str(r))
        self.assertRunLine(r.lines[0], "FAIL", 9112, "The hook breaks")
        calls = [json.loads(x) for x in r.read("hooks.jsonl").splitlines()]
        self.assertFalse(calls[0]["ok"])
        self.assertEqual(calls[0]["error"], "exit status 3")
        self.assertEqual(calls[0]["stderr"], "the warehouse is on fire\n")
        hooks = [e for e in r.journal() if e["kind"] == "hook"]
        self.assertEqual(hooks[0]["verdict"], "failed")

    # ------------------------------------------------------------ lifecycle

    def test_a_restart_kills_and_starts_the_erp_with_the_same_state(self):
        s = self.write_scenario("9113-restart.json", scenario(
            9113, "Restarted", timeline=[
                {"id": "boom", "at": 1, "do": "erp.restart"}]))
        r = self.run_conform("--erp", self.poll_erp, s)
        self.assertEqual(r.status, 0, str(r))
        self.assertRunLine(r.lines[0], "PASS", 9113, "Restarted")
        with open(os.path.join(r.run_dir(), "state", "starts")) as f:
            self.assertEqual(f.read(), "start\nstart\n")
        self.assertEqual(r.read("erp.log").count("starting the ERP"), 2)
        methods = [e["method"] for e in r.journal()]
        i = methods.index("erp.kill")
        self.assertEqual(methods[i:].count("erp.start"), 1)
        self.assertIn("erp.ready", methods[i:])

    def test_an_erp_that_exits_by_itself_is_journalled(self):
        s = self.write_scenario("9114-quits.json", scenario(
            9114, "Quits early", max_seconds=5))
        r = self.run_conform("--erp", self.poll_erp + " 1", s)
        self.assertIn(r.status, (0, 1), str(r))
        exits = [e for e in r.journal() if e["method"] == "erp.exit"]
        self.assertEqual(len(exits), 1, str(r))
        self.assertIn("exit status 0", exits[0]["note"])
        self.assertIn("ERP done polling", r.read("erp.log"))


def main():
    global DDCONFORM
    if len(sys.argv) < 2:
        print("usage: test_ddconform.py PATH/TO/ddconform", file=sys.stderr)
        return 2
    DDCONFORM = os.path.abspath(sys.argv[1])
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(DdconformTest)
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    failed = len(result.failures) + len(result.errors)
    print("%d passed, %d failed" % (result.testsRun - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
