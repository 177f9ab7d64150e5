#!/usr/bin/env python3
"""kill_test.py: ddref loses nothing and never writes back twice when it is
killed with SIGKILL at random instants (issue 6, ddref's acceptance test).

The test writes a scenario with many after-sales (24 pre-shipment refunds
waiting when the run starts, 11 more applied during the run, 3 returns that
go through agreement, shipping back, delivery and the warehouse's
inspection) in which every write-back and agreement is answered 0.3-0.4 s
late (the mock's api_latency fault: the platform has already applied the
call when the answer leaves), so that a kill often lands while a call is in
flight: after the intent was recorded, with the platform's state changed
and the answer lost. It runs that scenario through ddconform with a wrapper
as the ERP command: the wrapper (this file, --wrap) starts ddref, and at
--kills instants drawn from a seeded random generator over --span seconds
sends it SIGKILL and starts it again at once with the same state directory
(what harness.md's restarts do, at random moments). Then it checks the
run's journal.jsonl and erp.log:

  * all --kills kills happened during the run;
  * every after-sale of the world was handled: each ended refunded (status
    12), and each pre-shipment refund was refunded by the after-sales
    assistant, i.e. written back by ddref (refund_type 2);
  * no after-sale got a write-back (afterSale.CancelSendGoodsSuccess or
    afterSale.returnGoodsToWareHouseSuccess) after one of its write-backs
    had succeeded, and none got two successful ones;
  * the judge's verdict is PASS (or WARN).

Usage (from the repository root, after make):
    python3 tests/suite/kill_test.py [--seed N] [--kills 20] [--span 27]
        [--mode no-push|push] [--build build] [--keep]
Exit status 0 when every check holds, 1 otherwise, 2 on bad usage. The
seed fixes the kill instants; the report stays in BUILD/kill_test/seed-N.
Standard library only.
"""

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
SHOP = "10096001"
PRODUCT = "3600000000960001"
SKU = "1760000000960001"
PRICE = 4500
WRITEBACKS = ("afterSale.CancelSendGoodsSuccess",
              "afterSale.returnGoodsToWareHouseSuccess")
WAITING = 24        # pre-shipment refunds open when the run starts
APPLIED = [2 * i for i in range(1, 11)] + [30]  # refunds applied at these s
RETURNS = [3, 9, 15]                            # returns applied at these s


def ids(kind, n):
    """Ids of the kill-test world: orders 69200000096KNNNN, after-sales
    71000000096KNNNN (K = 0 waiting, 1 applied, 2 returns)."""
    return ("69200000096%d%04d" % (kind, n), "71000000096%d%04d" % (kind, n))


def make_scenario():
    orders, aftersales, timeline, expect = [], [], [], []
    timeline += [
        {"at": 0, "do": "fault",
         "with": {"kind": "api_latency",
                  "method": "afterSale.CancelSendGoodsSuccess",
                  "delay_ms": 400}},
        {"at": 0, "do": "fault",
         "with": {"kind": "api_latency",
                  "method": "afterSale.returnGoodsToWareHouseSuccess",
                  "delay_ms": 400}},
        {"at": 0, "do": "fault",
         "with": {"kind": "api_latency", "method": "afterSale.operate",
                  "delay_ms": 300}}]
    for n in range(WAITING):
        oid, aid = ids(0, n)
        orders.append({"order_id": oid, "shop_id": SHOP,
                       "create_time": "now-3h",
                       "sku_orders": [{"sku_order_id": oid, "sku_id": SKU}]})
        aftersales.append({"aftersale_id": aid, "sku_order_id": oid,
                           "type": "unshipped_refund", "status": 6,
                           "apply_time": "now-%dm" % (10 + n)})
        expect.append({"level": "MUST",
                       "call": "afterSale.CancelSendGoodsSuccess",
                       "args": {"aftersale_id": aid}, "within": 40,
                       "answered": "success"})
        expect.append({"level": "MUST",
                       "final": {"aftersale": aid, "status": 12,
                                 "refund_type": 2}})
    for n, at in enumerate(APPLIED):
        oid, aid = ids(1, n)
        orders.append({"order_id": oid, "shop_id": SHOP,
                       "create_time": "now-2h",
                       "sku_orders": [{"sku_order_id": oid, "sku_id": SKU}]})
        step = "apply-%d" % n
        timeline.append({"id": step, "at": at, "do": "buyer.apply",
                         "with": {"aftersale_id": aid, "sku_order_id": oid,
                                  "type": "unshipped_refund"}})
        expect.append({"level": "MUST",
                       "call": "afterSale.CancelSendGoodsSuccess",
                       "args": {"aftersale_id": aid}, "of": step,
                       "within": 20, "answered": "success"})
        expect.append({"level": "MUST",
                       "final": {"aftersale": aid, "status": 12,
                                 "refund_type": 2}})
    for n, at in enumerate(RETURNS):
        oid, aid = ids(2, n)
        orders.append({"order_id": oid, "shop_id": SHOP,
                       "create_time": "now-6d",
                       "logistics": {"company_code": "zhongtong",
                                     "tracking_no": "ZT96%08d" % n,
                                     "ship_time": "now-5d"},
                       "sku_orders": [{"sku_order_id": oid, "sku_id": SKU}]})
        tn = "SF96%08d" % n
        timeline += [
            {"id": "ret-%d" % n, "at": at, "do": "buyer.apply",
             "with": {"aftersale_id": aid, "sku_order_id": oid,
                      "type": "return"}},
            {"id": "ship-back-%d" % n,
             "after": {"call": "afterSale.operate", "answered": "success",
                       "args": {"type": 101,
                                "items": [{"aftersale_id": aid}]}},
             "delay": 1, "do": "buyer.ship_return",
             "with": {"aftersale_id": aid, "company_code": "shunfeng",
                      "tracking_no": tn}},
            {"id": "delivered-%d" % n, "after": {"step": "ship-back-%d" % n},
             "delay": 1, "do": "logistics.deliver_return",
             "with": {"aftersale_id": aid}},
            {"id": "arrived-%d" % n, "after": {"step": "delivered-%d" % n},
             "delay": 1, "do": "warehouse.return_arrived",
             "with": {"aftersale_id": aid, "tracking_no": tn,
                      "items": [{"sku_order_id": oid, "quantity": 1}],
                      "condition": "intact"}}]
        expect.append({"level": "MUST",
                       "call": "afterSale.returnGoodsToWareHouseSuccess",
                       "args": {"aftersale_id": aid}, "of": "arrived-%d" % n,
                       "within": 20, "answered": "success"})
        expect.append({"level": "MUST",
                       "final": {"aftersale": aid, "status": 12}})
    return {
        "format": 1,
        "info": {
            "id": 9601,
            "title": "ddref killed with SIGKILL at random instants: nothing "
                     "lost, nothing written back twice",
            "keywords": ["restart", "unshipped-refund", "return", "hook"],
            "situation": "A shop with %d pre-shipment refunds waiting, %d "
                         "more applied during the run and %d returns; every "
                         "write-back is answered 0.3-0.4 s late. The ERP is "
                         "killed and restarted at random moments."
                         % (WAITING, len(APPLIED), len(RETURNS)),
            "correct_erp": "Writes every refund back exactly once and "
                           "every intact return once, whatever moment it "
                           "is killed at."},
        "world": {
            "settings": {"merchant_response_timeout": "400h",
                         "buyer_return_timeout": "400h",
                         "merchant_receive_timeout": "400h"},
            "shops": [{"shop_id": SHOP, "name": "断电测试店"}],
            "products": [{"product_id": PRODUCT, "name": "测试商品",
                          "skus": [{"sku_id": SKU, "price": PRICE}]}],
            "orders": orders,
            "aftersales": aftersales},
        "options": {"push": "either", "poll_interval": 1, "hook": True,
                    "max_seconds": 60},
        "timeline": timeline,
        "expect": expect,
    }


# ------------------------------------------------------------ the wrapper

def log(text):
    sys.stderr.write("%s kill_test[%d] %s\n" %
                     (time.strftime("%H:%M:%S"), os.getpid(), text))
    sys.stderr.flush()


def wrapper_main(args, cmd):
    """The ERP command ddconform runs: ddref under a seeded killer."""
    rng = random.Random(args.seed)
    instants = sorted(rng.uniform(0.3, args.span) for _ in range(args.kills))
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(1))
    signal.signal(signal.SIGINT, lambda *_: stopping.append(1))
    start = time.monotonic()
    child = subprocess.Popen(cmd)
    log("started %s, pid %d; %d kills planned (seed %d)" %
        (" ".join(cmd), child.pid, len(instants), args.seed))
    for i, at in enumerate(instants, 1):
        while not stopping and time.monotonic() - start < at:
            time.sleep(min(0.02, max(0.0, at - (time.monotonic() - start))))
        if stopping:
            break
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        log("SIGKILL ddref pid %d at %.2f s (kill %d/%d)" %
            (child.pid, time.monotonic() - start, i, len(instants)))
        child = subprocess.Popen(cmd)
        log("restarted: pid %d" % child.pid)
    while not stopping and child.poll() is None:
        time.sleep(0.05)
    if child.poll() is None:
        child.send_signal(signal.SIGTERM)
        try:
            child.wait(timeout=4)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
    return 0


# ------------------------------------------------------------ the checks

def read_journal(path):
    entries = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line:
                entries.append(json.loads(line))
    entries.sort(key=lambda e: e.get("seq", 0))
    return entries


def check_run(run_dir, kills):
    """Returns (problems, facts) for the run folder."""
    problems, facts = [], {}
    with open(os.path.join(run_dir, "verdict.json"), encoding="utf-8") as f:
        verdict = json.load(f)
    facts["verdict"] = verdict["verdict"]
    if verdict["verdict"] not in ("PASS", "WARN"):
        problems.append("the judge says %s: %s" %
                        (verdict["verdict"], verdict.get("sentence")))
    with open(os.path.join(run_dir, "erp.log"), encoding="utf-8",
              errors="replace") as f:
        erp_log = f.read()
    done = erp_log.count("kill_test[")
    facts["kills"] = erp_log.count("SIGKILL ddref pid")
    facts["recoveries"] = erp_log.count("outcome is unknown")
    facts["not_resent"] = erp_log.count("not sent: re-read shows status 12")
    if facts["kills"] != kills:
        problems.append("%d of the %d kills happened during the run" %
                        (facts["kills"], kills))
    if not done:
        problems.append("erp.log has no line of the wrapper")
    entries = read_journal(os.path.join(run_dir, "journal.jsonl"))
    final = next((e["response"] for e in entries
                  if e.get("kind") == "final"), None)
    if not isinstance(final, dict):
        problems.append("the journal has no final state")
        return problems, facts
    aftersales = final.get("aftersales") or {}
    facts["aftersales"] = len(aftersales)
    for aid, a in sorted(aftersales.items()):
        if a.get("status") != 12:
            problems.append("after-sale %s ended in status %s, not refunded"
                            % (aid, a.get("status")))
        elif a.get("type") == "unshipped_refund" and \
                a.get("refund_type") != 2:
            problems.append("after-sale %s was refunded by the platform "
                            "(refund_type %s), not written back" %
                            (aid, a.get("refund_type")))
    succeeded, writebacks = {}, 0
    for e in entries:
        if e.get("kind") != "api" or e.get("method") not in WRITEBACKS:
            continue
        params = e.get("params") if isinstance(e.get("params"), dict) else {}
        aid = str(params.get("aftersale_id"))
        writebacks += 1
        if aid in succeeded:
            problems.append("after-sale %s: %s again (answered %s) after the "
                            "write-back of seq %d succeeded" %
                            (aid, e["method"], e.get("code"), succeeded[aid]))
        elif e.get("code") == 10000:
            succeeded[aid] = e["seq"]
    facts["writebacks"] = writebacks
    facts["succeeded"] = len(succeeded)
    for aid in aftersales:
        if aid not in succeeded:
            problems.append("after-sale %s was never written back" % aid)
    return problems, facts


def main(argv):
    if "--wrap" in argv:
        i = argv.index("--")
        ap = argparse.ArgumentParser(prog="kill_test.py --wrap")
        ap.add_argument("--wrap", action="store_true")
        ap.add_argument("--seed", type=int, default=1)
        ap.add_argument("--kills", type=int, default=20)
        ap.add_argument("--span", type=float, default=27.0)
        args = ap.parse_args(argv[:i])
        if not argv[i + 1:]:
            ap.error("no command after --")
        return wrapper_main(args, argv[i + 1:])
    ap = argparse.ArgumentParser(
        prog="kill_test.py",
        description="ddref under SIGKILL at random instants (see the module "
                    "comment).")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--span", type=float, default=27.0,
                    help="kills fall in [0.3, SPAN] seconds (default 27)")
    ap.add_argument("--mode", choices=("no-push", "push"), default="no-push")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--keep", action="store_true",
                    help="keep the generated scenario next to the report")
    args = ap.parse_args(argv)
    if args.kills < 1 or args.span <= 1:
        ap.error("--kills must be at least 1 and --span over 1 s")
    build = os.path.abspath(args.build)
    for tool in ("ddconform", "ddref"):
        if not os.access(os.path.join(build, tool), os.X_OK):
            sys.stderr.write("kill_test: %s/%s is missing (run make)\n" %
                             (build, tool))
            return 2
    report = os.path.join(build, "kill_test", "seed-%d-%s" %
                          (args.seed, args.mode))
    shutil.rmtree(report, ignore_errors=True)
    os.makedirs(report)
    tmp = tempfile.mkdtemp(prefix="ddref-kill-")
    scenario = os.path.join(tmp, "kill-test.json")
    with open(scenario, "w", encoding="utf-8") as f:
        json.dump(make_scenario(), f, ensure_ascii=False, indent=1)
    ddref = os.path.relpath(os.path.join(build, "ddref"), ROOT)
    erp = ("python3 %s --wrap --seed %d --kills %d --span %g -- %s" %
           (os.path.relpath(os.path.abspath(__file__), ROOT), args.seed,
            args.kills, args.span, ddref))
    cmd = [os.path.join(build, "ddconform"), "--erp", erp,
           "--erp-hook", "%s hook" % ddref, "--" + args.mode,
           "--report-dir", report, scenario]
    print("kill_test: seed %d, %d kills over %g s, %s: %s" %
          (args.seed, args.kills, args.span, args.mode, erp))
    sys.stdout.flush()
    started = time.monotonic()
    proc = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=600)
    if args.keep:
        shutil.copy(scenario, report)
    shutil.rmtree(tmp, ignore_errors=True)
    runs = [d for d in os.listdir(os.path.join(report, "runs"))
            if os.path.isdir(os.path.join(report, "runs", d))] \
        if os.path.isdir(os.path.join(report, "runs")) else []
    if len(runs) != 1:
        sys.stdout.write(proc.stdout)
        print("kill_test: FAIL: ddconform left %d run folders in %s" %
              (len(runs), report))
        return 1
    run_dir = os.path.join(report, "runs", runs[0])
    problems, facts = check_run(run_dir, args.kills)
    print("kill_test: %.1f s; verdict %s; %s kills; %s after-sales, %s "
          "written back with %s write-back calls; %s intents of unknown "
          "outcome recovered, %s of them found already applied" %
          (time.monotonic() - started, facts.get("verdict"),
           facts.get("kills"), facts.get("aftersales"),
           facts.get("succeeded"), facts.get("writebacks"),
           facts.get("recoveries"), facts.get("not_resent")))
    for p in problems[:30]:
        print("  problem: %s" % p)
    if problems:
        print("kill_test: FAIL (%d problems); see %s" %
              (len(problems), os.path.relpath(run_dir, ROOT)))
        return 1
    print("kill_test: ok (report %s)" % os.path.relpath(run_dir, ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
