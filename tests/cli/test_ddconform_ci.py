#!/usr/bin/env python3
"""test_ddconform_ci.py: command-line tests of ddconform's CI options.

Run as `python3 tests/cli/test_ddconform_ci.py build/ddconform` from the
repository root (standard library only; it also starts build/ddmock, next
to ddconform, for --mock-url). It reuses the tiny ERPs, hooks and
scenarios of test_ddconform.py and checks conformance/README.md "Running
ddconform": selection (--filter, --shard, --list, --rerun), the
expected-failures ratchet, --seed, --mock-url, the report files (--junit,
--json, --html, --tap, `ddconform report`; their content is checked by
tests/cli/test_reports.py, here only that they exist and parse), the
money-safety warning, the progress line on a terminal and plain output
under CI=1, every exit status of harness.md "Exit status and the summary
line", and that the summary line is always the last line.

Most scenarios here are SKIP (a hook scenario without --erp-hook), which
runs no ERP and takes no time; the others end within a few seconds.
Ends with "N passed, N failed" and exits non-zero when anything failed.
"""

import json
import os
import pty
import re
import select
import socket
import subprocess
import sys
import time
import unittest
import urllib.request
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_ddconform as base  # noqa: E402

DDMOCK = None  # set in main()

SUMMARY_RE = base.SUMMARY_RE

# An ERP that polls, or does nothing when its shop is 10000002 (so one
# invocation can have runs that PASS and runs that FAIL).
ERP_BY_SHOP = r'''
import os, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import erplib
if erplib.SHOP == "10000002":
    time.sleep(60)
erplib.poll_forever()
'''

# Writes back a pre-shipment refund that the warehouse already shipped:
# money at risk (harness.md "Verdicts", invariant 1).
ERP_REFUNDS_SHIPPED = r'''
import os, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import erplib
t = erplib.token()
while True:
    erplib.call("afterSale.List", {"page": 0, "size": 100}, t)
    r = erplib.call("afterSale.CancelSendGoodsSuccess",
                    {"aftersale_id": "7100000000000010001",
                     "op_time": int(time.time())}, t)
    if r.get("code") == 10000:
        break
    time.sleep(0.3)
erplib.poll_forever()
'''

APPLY_STEP = {"id": "apply", "at": 0.8, "do": "buyer.apply",
              "with": {"aftersale_id": "7100000000000010001",
                       "sku_order_id": base.ORDER,
                       "type": "unshipped_refund", "reason_code": 1}}


def skip_scenario(sid, title, keywords=None):
    """A scenario that needs the hook: SKIP at once without --erp-hook."""
    s = base.scenario(sid, title, hook=True, timeline=[base.SHIP_STEP])
    if keywords is not None:
        s["info"]["keywords"] = keywords
    return s


def shop_world(shop):
    """The base scenario's world with another shop id."""
    s = base.scenario(1, "x")
    w = json.loads(json.dumps(s["world"]))
    w["shops"][0]["shop_id"] = shop
    w["orders"][0]["shop_id"] = shop
    return w


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class CiTest(base.DdconformTest):
    def setUp(self):
        super().setUp()
        self.write("erp_by_shop.py", ERP_BY_SHOP)
        self.write("erp_refunds_shipped.py", ERP_REFUNDS_SHIPPED)
        self.by_shop_erp = "python3 " + self.path("erp_by_shop.py")

    # helpers

    def run_conform(self, *args, env=None, report="report", timeout=120):
        """As the base class's, but `ddconform report` gets no
        --report-dir of its own."""
        report_dir = self.path(report)
        argv = [DDCONFORM_PATH] + list(args)
        if "--report-dir" not in args and args[:1] not in (("judge",),
                                                            ("report",)):
            argv += ["--report-dir", report_dir]
        e = dict(os.environ)
        e["HOOK_OUT"] = self.dir
        if env:
            e.update(env)
        p = subprocess.run(argv, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=timeout,
                           cwd=self.dir, env=e)
        return base.Result(p, report_dir)

    def skip_suite(self, folder="suite", n=5):
        """A folder of n SKIP scenarios, ids 9201.., keywords by parity."""
        os.mkdir(self.path(folder))
        for i in range(n):
            sid = 9201 + i
            kw = ["even" if i % 2 == 0 else "odd", "k%d" % i]
            self.write_scenario("%s/%d-s%d.json" % (folder, sid, i),
                                skip_scenario(sid, "Skip %d" % i, kw))
        return self.path(folder)

    def assertLast(self, r, passed, failed, skipped):
        """The summary line is the last line of stdout."""
        self.assertTrue(r.out.endswith("\n"), str(r))
        self.assertEqual(r.lines[-1], "%d passed, %d failed, %d skipped" %
                         (passed, failed, skipped), str(r))

    def assertUsage(self, r, word):
        self.assertEqual(r.status, 3, str(r))
        self.assertIn(word, r.err, str(r))
        self.assertFalse(SUMMARY_RE.match(r.summary()), str(r))

    def listed_ids(self, r):
        self.assertEqual(r.status, 0, str(r))
        ids = []
        for line in r.lines:
            m = re.match(r"^(\d{4})  (.+)  \[(.*)\]$", line)
            self.assertIsNotNone(m, line)
            ids.append(int(m.group(1)))
        return ids

    def run_lines(self, r):
        """{id: (label, line index)} of the per-run lines."""
        out = {}
        for i, line in enumerate(r.lines):
            m = re.match(r"^(\S+) +(\d{4}) ", line)
            if m and line.index(m.group(2)) == 15:
                out[int(m.group(2))] = (m.group(1), i)
        return out

    # ------------------------------------------------------------ usage

    def test_usage_errors_exit_3_and_print_no_summary(self):
        suite = self.skip_suite()
        xf = self.write("xf.txt", "# ok\n9201 FAIL\n9202 sometimes FAIL\n")
        cases = [
            (["--erp", "true", "--shard", "0/3", suite], "--shard"),
            (["--erp", "true", "--shard", "4/3", suite], "--shard"),
            (["--erp", "true", "--shard", "x", suite], "--shard"),
            (["--erp", "true", "--filter", "nothing-has-this", suite],
             "--filter nothing-has-this"),
            (["--erp", "true", "--filter", "9999", suite], "--filter 9999"),
            (["--erp", "true", "--filter", "zz*.json", suite],
             "--filter zz*.json"),
            (["--erp", "true", "--seed", "-1", suite], "--seed"),
            (["--erp", "true", "--seed", "18446744073709551616", suite],
             "--seed"),
            (["--erp", "true", "--expected-failures", xf, suite],
             xf + ":3: mode \"sometimes\""),
            (["--erp", "true", "--expected-failures",
              self.path("missing.txt"), suite], "missing.txt"),
            (["--erp", "true", "--rerun", "9201", "--filter", "odd", suite],
             "--rerun"),
            (["--erp", "true", "--rerun", "abc", suite], "--rerun"),
            (["--erp", "true", "--rerun", "9299", suite], "--rerun 9299"),
            (["--erp", "true", "--mock-url", "localhost:1", suite],
             "--mock-url"),
            (["--erp", "true", "--junit", "", suite], "--junit"),
            (["report"], "--report-dir"),
            (["report", "--report-dir", self.path("r")], "--junit"),
            (["report", "--report-dir", self.path("nowhere"), "--tap"],
             "nowhere"),
        ]
        for args, word in cases:
            r = self.run_conform(*args)
            self.assertUsage(r, word)
        # nothing ran, no report folder was made
        self.assertFalse(os.path.exists(self.path("report")))

    def test_an_unreachable_mock_url_exits_3_before_running(self):
        suite = self.skip_suite(n=1)
        url = "http://127.0.0.1:%d" % free_port()
        r = self.run_conform("--erp", "true", "--mock-url", url, suite)
        self.assertUsage(r, url)
        self.assertIn("does not answer", r.err)
        self.assertFalse(os.path.exists(self.path("report")))

    # ------------------------------------------------------------ selection

    def test_list_prints_the_selection_without_an_erp(self):
        suite = self.skip_suite()
        r = self.run_conform("--list", suite)
        self.assertEqual(self.listed_ids(r), [9201, 9202, 9203, 9204, 9205])
        self.assertEqual(r.lines[0], "9201  Skip 0  [even, k0]")
        self.assertEqual(r.err, "")
        self.assertFalse(os.path.exists(self.path("report")))
        # id (leading zeros or not), glob on the base name, keyword; OR'ed
        r = self.run_conform("--list", "--filter", "09202", "--filter",
                             "*-s4.json", "--filter", "k2", suite)
        self.assertEqual(self.listed_ids(r), [9202, 9203, 9205])
        r = self.run_conform("--list", "--filter", "odd", suite)
        self.assertEqual(self.listed_ids(r), [9202, 9204])

    def test_the_standard_suite_lists_in_id_order(self):
        r = self.run_conform("--list", env={"DDCONFORM_SCENARIOS": os.path.join(
            os.path.dirname(os.path.abspath(__file__)), "..", "..",
            "scenarios")})
        ids = self.listed_ids(r)
        self.assertEqual(ids, sorted(ids))
        self.assertIn(1, ids)

    def test_shards_partition_the_selection(self):
        suite = self.skip_suite(n=7)
        everything = self.listed_ids(self.run_conform("--list", suite))
        shards = [self.listed_ids(self.run_conform(
            "--list", "--shard", "%d/3" % i, suite)) for i in (1, 2, 3)]
        flat = [x for s in shards for x in s]
        self.assertEqual(sorted(flat), everything)  # nothing missing
        self.assertEqual(len(flat), len(set(flat)))  # no overlap
        self.assertEqual(shards[0], [9201, 9204, 9207])  # p % 3 == 0
        # filters apply first, then the shards
        shards = [self.listed_ids(self.run_conform(
            "--list", "--filter", "even", "--shard", "%d/2" % i, suite))
            for i in (1, 2)]
        self.assertEqual(shards, [[9201, 9205], [9203, 9207]])

        # real runs: each shard's report holds its part
        seen = []
        for i in (1, 2, 3):
            rep = "rep%d" % i
            r = self.run_conform("--erp", "true", "--shard", "%d/3" % i,
                                 suite, report=rep)
            self.assertEqual(r.status, 0, str(r))
            summary = r.summary_json()
            self.assertEqual(summary["shard"], "%d/3" % i)
            ids = [run["id"] for run in summary["runs"]]
            self.assertEqual(len(self.run_lines(r)), len(ids), str(r))
            self.assertLast(r, 0, 0, len(ids))
            seen += ids
        self.assertEqual(sorted(seen), everything)

    def test_an_empty_shard_is_not_an_error(self):
        suite = self.skip_suite(n=2)
        r = self.run_conform("--erp", "true", "--shard", "3/3", suite)
        self.assertEqual(r.status, 0, str(r))
        self.assertIn("shard 3/3: no scenarios", r.lines)
        self.assertLast(r, 0, 0, 0)
        self.assertEqual(r.summary_json()["runs"], [])

    def test_filtered_runs_and_the_new_summary_keys(self):
        suite = self.skip_suite()
        r = self.run_conform("--erp", "true", "--filter", "odd", "--filter",
                             "9205", "--seed", "77", suite)
        self.assertEqual(r.status, 0, str(r))
        self.assertLast(r, 0, 0, 3)
        s = r.summary_json()
        self.assertEqual([x["id"] for x in s["runs"]], [9202, 9204, 9205])
        self.assertEqual(s["filters"], ["odd", "9205"])
        self.assertEqual(s["seed"], 77)
        self.assertIsNone(s["shard"])
        self.assertIsNone(s["expected_failures"])
        for run in s["runs"]:
            self.assertIsNone(run["expected"])
            self.assertEqual(run["outcome"], "skipped")

    def test_rerun_runs_one_scenario_and_prints_it_in_full(self):
        suite = self.skip_suite()
        r = self.run_conform("--erp", "true", "--rerun", "9203", "-j", "4",
                             suite)
        self.assertEqual(r.status, 0, str(r))
        self.assertLast(r, 0, 0, 1)
        s = r.summary_json()
        self.assertEqual([x["id"] for x in s["runs"]], [9203])
        lines = self.run_lines(r)
        self.assertEqual(list(lines), [9203])
        # the run's details come between its line and the closing lines
        seed = r.lines.index([x for x in r.lines
                              if x.startswith("seed: ")][0])
        self.assertGreater(seed - lines[9203][1], 1, str(r))

    # ------------------------------------------------------------ exit status

    def test_exit_0_for_skips_and_1_under_fail_on_skip(self):
        suite = self.skip_suite(n=2)
        r = self.run_conform("--erp", "true", suite)
        self.assertEqual(r.status, 0, str(r))
        self.assertLast(r, 0, 0, 2)
        r = self.run_conform("--erp", "true", "--fail-on-skip", suite)
        self.assertEqual(r.status, 1, str(r))
        self.assertLast(r, 0, 0, 2)
        self.assertEqual(r.summary_json()["exit_status"], 1)

    def test_exit_3_for_a_scenario_that_does_not_load(self):
        bad = self.write("9290-bad.json", "{")
        r = self.run_conform("--erp", "true", bad)
        self.assertEqual(r.status, 3, str(r))
        self.assertLast(r, 0, 1, 0)
        # it stays selected under a filter that would not match it
        suite = self.skip_suite(n=1)
        os.rename(bad, os.path.join(suite, "9290-bad.json"))
        r = self.run_conform("--erp", "true", "--filter", "9201", suite)
        self.assertEqual(r.status, 3, str(r))
        self.assertLast(r, 0, 1, 1)

    def test_exit_2_when_money_is_at_risk(self):
        s = base.scenario(9291, "Refunds a parcel that left", hook=True,
                          max_seconds=6,
                          timeline=[dict(base.SHIP_STEP, at=0.3), APPLY_STEP],
                          expect=[])
        s = self.write_scenario("9291-risk.json", s)
        r = self.run_conform("--erp", "python3 " +
                             self.path("erp_refunds_shipped.py"),
                             "--erp-hook", self.path("hook_ship.sh"), s)
        self.assertEqual(r.status, 2, str(r))
        self.assertEqual(self.run_lines(r)[9291][0], "FUNDS_AT_RISK", str(r))
        self.assertLast(r, 0, 1, 0)

    def test_strict_makes_a_warn_exit_1(self):
        s = base.scenario(9292, "Polls too often", max_seconds=8)
        s["options"]["poll_interval"] = 5
        s = self.write_scenario("9292-eager.json", s)
        r = self.run_conform("--erp", self.poll_erp + " 0 1.1", "--strict", s)
        self.assertEqual(r.status, 1, str(r))
        self.assertEqual(self.run_lines(r)[9292][0], "WARN", str(r))
        self.assertLast(r, 0, 1, 0)

    # ------------------------------------------------------------ ratchet

    def write_ratchet_suite(self):
        os.mkdir(self.path("rs"))
        w2 = shop_world("10000002")
        for sid, world in ((9211, w2), (9212, None), (9213, w2)):
            self.write_scenario("rs/%d-r.json" % sid, base.scenario(
                sid, "Run %d" % sid, world=world))
        return self.path("rs")

    def test_expected_failures_xfail_ratchet_and_new_failure(self):
        suite = self.write_ratchet_suite()
        xf = self.write("known.txt", "# known failures\n"
                        "9211 FAIL\n"
                        "\n"
                        "9212 poll FAIL   # fixed since\n"
                        "9213 ERROR\n"
                        "9999 FAIL\n")
        r = self.run_conform("--erp", self.by_shop_erp, "-j", "3",
                             "--expected-failures", xf, suite)
        self.assertEqual(r.status, 1, str(r))
        lines = self.run_lines(r)
        self.assertEqual(lines[9211][0], "XFAIL", str(r))
        self.assertEqual(lines[9212][0], "XPASS", str(r))
        self.assertEqual(lines[9213][0], "FAIL", str(r))
        self.assertEqual(
            r.lines[lines[9212][1] + 1].strip(),
            "listed in %s as FAIL but now passes: remove line 4" % xf)
        self.assertLast(r, 1, 2, 0)
        s = r.summary_json()
        self.assertEqual(s["expected_failures"], xf)
        got = {x["id"]: (x["verdict"], x["expected"], x["outcome"])
               for x in s["runs"]}
        self.assertEqual(got, {9211: ("FAIL", "FAIL", "xfail"),
                               9212: ("PASS", "FAIL", "ratchet"),
                               9213: ("FAIL", "ERROR", "failed")})
        self.assertEqual(s["exit_status"], 1)

        # only the expected failure selected: the other lines are ignored
        r = self.run_conform("--erp", self.by_shop_erp, "--filter", "9211",
                             "--expected-failures", xf, suite)
        self.assertEqual(r.status, 0, str(r))
        self.assertEqual(self.run_lines(r)[9211][0], "XFAIL", str(r))
        self.assertLast(r, 1, 0, 0)

    # ------------------------------------------------------------ seed

    def test_the_seed_is_printed_and_reproduces_the_credentials(self):
        s = self.write_scenario("9220-quick.json", base.scenario(
            9220, "Quick", expect=[]))
        keys = []
        for rep in ("a", "b"):
            r = self.run_conform("--erp", self.poll_erp, "--seed",
                                 "18446744073709551615", s, report=rep)
            self.assertEqual(r.status, 0, str(r))
            self.assertIn("seed: 18446744073709551615", r.lines)
            self.assertEqual(r.summary_json()["seed"], 18446744073709551615)
            env = json.loads(re.search(r"^ENV (.*)$", r.read("erp.log"),
                                       re.M).group(1))
            keys.append((env["DOUDIAN_APP_KEY"], env["DOUDIAN_APP_SECRET"]))
        self.assertEqual(keys[0], keys[1])
        # a random seed is printed too, and is what summary.json says
        r = self.run_conform("--erp", "true", self.skip_suite(n=1))
        seeds = [x for x in r.lines if x.startswith("seed: ")]
        self.assertEqual(len(seeds), 1, str(r))
        self.assertEqual(int(seeds[0][6:]), r.summary_json()["seed"])

    # ------------------------------------------------------------ mock-url

    def test_mock_url_runs_against_a_separate_ddmock(self):
        port_file = self.path("port")
        mock = subprocess.Popen([DDMOCK, "--port", "0", "--port-file",
                                 port_file], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        try:
            deadline = time.time() + 10
            while not os.path.exists(port_file) and time.time() < deadline:
                time.sleep(0.05)
            with open(port_file) as f:
                url = "http://127.0.0.1:%d" % int(f.read())
            s = self.write_scenario("9230-shared.json", base.scenario(
                9230, "On a shared mock"))
            r = self.run_conform("--erp", self.poll_erp, "--mock-url", url, s)
            self.assertEqual(r.status, 0, str(r))
            self.assertEqual(self.run_lines(r)[9230][0], "PASS", str(r))
            self.assertLast(r, 1, 0, 0)
            env = json.loads(re.search(r"^ENV (.*)$", r.read("erp.log"),
                                       re.M).group(1))
            self.assertEqual(env["DOUDIAN_BASE_URL"], url)
            # the run was on that mock: its journal has the run's calls
            with urllib.request.urlopen(
                    url + "/_mock/journal?app_key=" +
                    env["DOUDIAN_APP_KEY"] + "&limit=0", timeout=10) as resp:
                body = resp.read().decode()
            self.assertIn("afterSale.List", body)
        finally:
            mock.terminate()
            try:
                mock.wait(timeout=10)
            except subprocess.TimeoutExpired:
                mock.kill()
                mock.wait()

    # ------------------------------------------------------------ reports

    def test_tap_replaces_the_run_lines(self):
        suite = self.skip_suite(n=3)
        r = self.run_conform("--erp", "true", "--tap", suite)
        self.assertEqual(r.status, 0, str(r))
        self.assertEqual(r.lines[0], "TAP version 14", str(r))
        self.assertIn("1..3", r.lines)
        self.assertEqual(self.run_lines(r), {})
        self.assertLast(r, 0, 0, 3)
        self.assertIn("report: " + r.report, r.err)
        self.assertIn("seed: ", r.err)

    def test_report_files_are_written_and_parse(self):
        suite = self.skip_suite(n=2)
        junit, js, html = (self.path("out.xml"), self.path("out.json"),
                           self.path("out.html"))
        r = self.run_conform("--erp", "true", "--junit", junit, "--json", js,
                             "--html", html, suite)
        self.assertEqual(r.status, 0, str(r))
        self.assertLast(r, 0, 0, 2)
        i = r.lines.index("report: " + r.report)
        self.assertEqual(r.lines[i + 1:i + 4], ["junit: " + junit,
                                                "json: " + js,
                                                "html: " + html])
        ET.parse(junit)
        with open(js) as f:
            self.assertIsInstance(json.load(f), dict)
        with open(html) as f:
            self.assertIn("<html", f.read().lower())

        # again from the folder alone
        for p in (junit, js, html):
            os.remove(p)
        r2 = self.run_conform("report", "--report-dir", r.report, "--junit",
                              junit, "--json", js, "--html", html)
        self.assertEqual(r2.status, 0, str(r2))
        ET.parse(junit)
        with open(js) as f:
            json.load(f)
        self.assertTrue(os.path.getsize(html) > 0)
        r3 = self.run_conform("report", "--report-dir", r.report, "--tap")
        self.assertEqual(r3.status, 0, str(r3))
        self.assertIn("1..2", r3.lines)

        # a file that cannot be written: a message and exit 3
        bad = self.path("no/such/dir/out.xml")
        r = self.run_conform("--erp", "true", "--junit", bad, suite)
        self.assertEqual(r.status, 3, str(r))
        self.assertIn("--junit " + bad, r.err)
        self.assertLast(r, 0, 0, 2)
        r = self.run_conform("report", "--report-dir", r.report, "--junit",
                             bad)
        self.assertEqual(r.status, 3, str(r))

    # ------------------------------------------------------------ warning

    def test_the_money_safety_warning_when_all_of_them_were_skipped(self):
        os.mkdir(self.path("ms"))
        for i, kw in enumerate((["money-safety"], ["money-safety"], ["x"])):
            self.write_scenario("ms/%d-m.json" % (9241 + i), skip_scenario(
                9241 + i, "M %d" % i, kw))
        r = self.run_conform("--erp", "true", self.path("ms"))
        self.assertEqual(r.status, 0, str(r))
        want = ("WARNING: all 3 money-safety scenarios were SKIPPED because "
                "no --erp-hook was given: nothing here shows that this ERP "
                "never ships a refunded order or confirms a bad return")
        # (the third has a hook step: it is a money-safety scenario too)
        for text in (r.out, r.err):
            self.assertIn(want, text, str(r))
        self.assertLast(r, 0, 0, 3)
        # none selected: no warning
        os.mkdir(self.path("plain"))
        self.write_scenario("plain/9250-p.json", base.scenario(
            9250, "No hook", expect=[], push="forbidden"))
        r = self.run_conform("--erp", "true", "--shard", "2/2",
                             self.path("plain"))
        self.assertNotIn("WARNING", r.out + r.err)

    # ------------------------------------------------------------ terminal

    def run_on_pty(self, args, env):
        """Runs ddconform with stdout on a pseudo-terminal; returns
        (status, bytes written there)."""
        master, slave = pty.openpty()
        e = dict(os.environ)
        e.pop("CI", None)
        e.update(env)
        p = subprocess.Popen([DDCONFORM_PATH] + args, stdout=slave,
                             stderr=subprocess.DEVNULL, cwd=self.dir, env=e)
        os.close(slave)
        out = b""
        deadline = time.time() + 60
        while time.time() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                try:
                    chunk = os.read(master, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                out += chunk
            elif p.poll() is not None:
                break
        os.close(master)
        return p.wait(timeout=30), out

    def test_progress_on_a_terminal_and_plain_lines_under_ci(self):
        suite = self.skip_suite(n=2)
        args = ["--erp", "true", "--report-dir", self.path("t"), suite]
        status, out = self.run_on_pty(args, {})
        self.assertEqual(status, 0, out)
        self.assertIn(b"\r[", out)
        self.assertRegex(out, rb"\] [0-2]/2  pass 0 fail 0 skip [0-2]  0:0")
        self.assertTrue(out.rstrip().endswith(b"0 passed, 0 failed, "
                                              b"2 skipped"), out)
        status, out = self.run_on_pty(args, {"CI": "1"})
        self.assertEqual(status, 0, out)
        self.assertNotIn(b"\r[", out)
        self.assertNotIn(b"\x1b", out)
        lines = out.decode().replace("\r\n", "\n").splitlines()
        self.assertTrue(lines[0].startswith("SKIP           92"), lines)
        self.assertEqual(lines[-1], "0 passed, 0 failed, 2 skipped")


DDCONFORM_PATH = None


def main():
    global DDCONFORM_PATH, DDMOCK
    if len(sys.argv) < 2:
        print("usage: test_ddconform_ci.py PATH/TO/ddconform", file=sys.stderr)
        return 2
    DDCONFORM_PATH = os.path.abspath(sys.argv[1])
    DDMOCK = os.path.join(os.path.dirname(DDCONFORM_PATH), "ddmock")
    base.DDCONFORM = DDCONFORM_PATH
    loader = unittest.defaultTestLoader
    names = [n for n in loader.getTestCaseNames(CiTest)
             if n not in loader.getTestCaseNames(base.DdconformTest)]
    suite = unittest.TestSuite(CiTest(n) for n in names)
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    failed = len(result.failures) + len(result.errors)
    print("%d passed, %d failed" % (result.testsRun - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
