#!/usr/bin/env python3
"""erp.py: a scripted ERP double for dd-harness, with right and wrong modes.

The double speaks to the gateway over HTTP exactly like a vendor's ERP under
test (harness.md, "The ERP-under-test contract"; doudian-open-api.md): it
obtains and refreshes its token, polls afterSale.List in overlapping
update_time windows, listens for pushed messages (checking app-id and
event-sign, §5), re-reads after-sales with afterSale.Detail, and decides:
pre-shipment refunds are written back with afterSale.CancelSendGoodsSuccess
unless the warehouse shipped (then the tracking number goes up with
order.logisticsAdd, is_refund_reject); returns are agreed with
afterSale.operate 101 and written back with
afterSale.returnGoodsToWareHouseSuccess only once the warehouse reported the
parcel intact with the right items. Run "right" it must pass every standard
scenario; run with --bug NAME it shows one mistake (README.md lists them).

  python3 tests/erp_double/erp.py [--bug NAME]        the ERP process
  python3 tests/erp_double/erp.py hook [--bug NAME]   the warehouse hook

Threads of the ERP process: the main thread runs the worker (push hints,
decisions, write-backs, shipments); a poll thread runs afterSale.List; the
push listener (http.server) runs in its own threads and only verifies,
acknowledges and queues hints. They share the state file (erp_state.Store,
locked) and the token (erp_client.TokenKeeper). Every decision is one line
on stderr with its reason.
"""

import argparse
import datetime
import http.server
import json
import os
import queue
import signal
import socket
import sys
import threading
import time
import traceback

# The helper modules sit next to this file; no __pycache__ in the tree.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from erp_client import (Client, TokenKeeper, TransportError,  # noqa: E402
                        push_sign)
from erp_state import (Store, is_final, merge_aftersale,  # noqa: E402
                       remember_push)

BUGS = ("cancel-after-ship", "ship-after-refund", "never-ship",
        "confirm-before-arrival", "ignore-condition", "refund-by-operate",
        "ignore-sign", "no-dedupe", "writeback-twice", "page0-only",
        "no-overlap", "no-token-refresh", "give-up-transient",
        "retry-without-reread", "slow-poll", "no-poll", "forget-on-restart",
        "ignore-cancel", "retry-business-errors", "die-on-malformed",
        "no-listener")

FIRST_WINDOW_S = 86400     # the first poll looks one day back
OVERLAP_S = 300            # each window starts 5 minutes before the last end
PAGE_SIZE = 100            # afterSale.List's maximum (§4.1)
DEEP_PAGING_CAP = 50000    # page × size limit (§4.10)
TICK_S = 0.5               # the worker looks at the state this often
BACKOFF_S = (0.5, 1, 2, 4, 8, 16, 30)
MAX_ATTEMPTS = 8           # write-back attempts before giving up
SHIP_DEFER_MAX_S = 15      # see Erp.run_shipments
# afterSale.operate 101 needs a return address (§4.5): an id from
# /address/list. The double has no address book; any positive id does.
RETURN_ADDRESS_ID = 1
COMPANY_CODE = "zhongtong"
PUSH_OK = {"code": 0, "msg": "success"}

TERMINAL = ("done", "done_elsewhere", "stopped", "failed", "obsolete")


# ------------------------------------------------------------ small helpers


class Log:
    """One line per event on stderr: time, role and pid, text."""

    def __init__(self, role):
        self.role = role
        self.lock = threading.Lock()

    def __call__(self, text):
        now = datetime.datetime.now().strftime("%H:%M:%S.%f")[:-3]
        with self.lock:
            sys.stderr.write("%s %s[%d] %s\n" % (now, self.role, os.getpid(),
                                                 text))
            sys.stderr.flush()


def read_env():
    """The contract's environment (harness.md), with defaults for a person
    running the double by hand."""
    e = os.environ
    missing = [k for k in ("DOUDIAN_APP_KEY", "DOUDIAN_APP_SECRET",
                           "DOUDIAN_SHOP_ID", "DOUDIAN_STATE_DIR")
               if not e.get(k)]
    if missing:
        sys.stderr.write("erp.py: missing environment: %s\n" %
                         ", ".join(missing))
        sys.exit(2)
    try:
        interval = float(e.get("DOUDIAN_POLL_INTERVAL") or 300)
    except ValueError:
        sys.stderr.write("erp.py: DOUDIAN_POLL_INTERVAL is not a number\n")
        sys.exit(2)
    return {"base_url": (e.get("DOUDIAN_BASE_URL") or
                         "https://openapi-fxg.jinritemai.com").rstrip("/"),
            "app_key": e["DOUDIAN_APP_KEY"],
            "app_secret": e["DOUDIAN_APP_SECRET"],
            "shop_id": e["DOUDIAN_SHOP_ID"],
            "auth_code": e.get("DOUDIAN_AUTH_CODE") or None,
            "push_listen": e.get("DOUDIAN_PUSH_LISTEN") or None,
            "poll_interval": max(0.2, interval),
            "state_dir": e["DOUDIAN_STATE_DIR"]}


def idstr(v):
    """An id as a decimal string (ids arrive as strings or int64 numbers)."""
    if v is None or v == "":
        return None
    return str(v)


def parse_rfc3339(s):
    """The push update_time ("2023-11-15T14:13:20+08:00") as Unix seconds;
    numbers pass through; 0 when unreadable."""
    if isinstance(s, (int, float)):
        return int(s)
    try:
        return int(datetime.datetime.fromisoformat(str(s)).timestamp())
    except ValueError:
        return 0


def rec_from_list_item(item, read_at):
    """An afterSale.List item (§4.1) as the state's after-sale record."""
    ai = item.get("aftersale_info") or {}
    oi = item.get("order_info") or {}
    roi = (oi.get("related_order_info") or [{}])[0]
    return {"id": idstr(ai.get("aftersale_id")),
            "type": ai.get("aftersale_type"),
            "status": ai.get("aftersale_status"),
            "final_time": ai.get("aftersale_status_to_final_time") or 0,
            "update_time": ai.get("update_time") or 0,
            "read_at": read_at,
            "sku_order_id": idstr(roi.get("sku_order_id") or
                                  ai.get("related_id")),
            "order_id": idstr(oi.get("shop_order_id")),
            "quantity": ai.get("aftersale_num"),
            "refund_status": ai.get("refund_status"),
            "refund_type": ai.get("refund_type"),
            "got_pkg": ai.get("got_pkg"),
            "source": "list"}


def rec_from_detail(data, read_at):
    """An afterSale.Detail answer (§4.2) as the state's after-sale record."""
    pi = (data or {}).get("process_info") or {}
    ai = pi.get("after_sale_info") or {}
    oi = (data or {}).get("order_info") or {}
    sku = (oi.get("sku_order_infos") or [{}])[0]
    return {"id": idstr(ai.get("after_sale_id")),
            "type": ai.get("after_sale_type"),
            "status": ai.get("after_sale_status"),
            "final_time": ai.get("aftersale_status_to_final_time") or 0,
            "update_time": ai.get("update_time") or 0,
            "read_at": read_at,
            "sku_order_id": idstr(sku.get("sku_order_id")),
            "order_id": idstr(oi.get("shop_order_id")),
            "quantity": ai.get("after_sale_apply_count"),
            "refund_status": ai.get("refund_status"),
            "refund_type": ai.get("refund_type"),
            "got_pkg": ai.get("got_pkg"),
            "source": "detail"}


def rec_from_push(d, read_at):
    """A refund message's data (§5.6) as an after-sale record; used as is
    only by the ignore-sign bug (and no-dedupe's forced write-backs)."""
    return {"id": idstr(d.get("aftersale_id")),
            "type": d.get("aftersale_type"),
            "status": d.get("aftersale_status"),
            "final_time": None,
            "update_time": parse_rfc3339(d.get("update_time")),
            "read_at": read_at,
            "sku_order_id": idstr(d.get("s_id")),
            "order_id": idstr(d.get("p_id")),
            "quantity": None,
            "refund_status": None,
            "refund_type": None,
            "got_pkg": None,
            "source": "push"}


def backoff(attempts):
    return BACKOFF_S[min(max(attempts, 1), len(BACKOFF_S)) - 1]


def arrival_matches(rec, arr):
    """Whether the warehouse's report `arr` allows the return write-back of
    `rec`: condition intact, and the items hold the after-sale's SKU order
    with at least its quantity. Returns (bool, reason)."""
    if arr.get("condition") != "intact":
        return False, "the parcel arrived %s" % arr.get("condition")
    want = int(rec.get("quantity") or 1)
    have = 0
    for it in arr.get("items") or []:
        if idstr(it.get("sku_order_id")) == rec.get("sku_order_id"):
            try:
                have += int(it.get("quantity") or 0)
            except (TypeError, ValueError):
                pass
    if have < want:
        return False, ("the parcel holds %d of SKU order %s, the after-sale "
                       "returns %d" % (have, rec.get("sku_order_id"), want))
    return True, "the parcel arrived intact with %d of SKU order %s" % (
        have, rec.get("sku_order_id"))


def sku_blocked(st, sku_id):
    """Why SKU order `sku_id` may not ship, or None: a pre-shipment refund
    against it that is open (the ERP is writing it back or will) or
    succeeded, as last read; or one the ERP wrote back that it holds no
    record of."""
    for rec in st["aftersales"].values():
        if rec.get("sku_order_id") != sku_id or rec.get("type") != 2:
            continue
        if rec.get("status") == 12:
            return "pre-shipment refund %s succeeded" % rec["id"]
        if not is_final(rec):
            return "pre-shipment refund %s is open (status %s)" % (
                rec["id"], rec.get("status"))
    by = (st["skus"].get(sku_id) or {}).get("blocked_by")
    if by and by not in st["aftersales"]:
        return "the ERP wrote back pre-shipment refund %s" % by
    return None


def new_tracking_no(order_id):
    return "ZT%010d%04d" % (int(time.time() * 1000) % 10**10,
                            int(order_id[-4:]) if order_id[-4:].isdigit()
                            else 0)


# ------------------------------------------------------------ API reads


def read_call(client, log, method, params, attempts=4, give_up=False):
    """A read with retries: transport errors, 20000 and 60000 are retried
    after 0.5 s, 1 s, 2 s… (once only with give_up). Returns the last
    Answer, or None when no answer came at all."""
    ans = None
    for i in range(1 if give_up else attempts):
        if i:
            time.sleep(backoff(i))
        try:
            ans = client.call(method, params)
        except TransportError as e:
            log("%s: transport error: %s" % (method, e))
            ans = None
            continue
        if ans.code in (20000, 60000):
            log("%s: %s, will retry" % (method, ans.brief()))
            continue
        return ans
    return ans


def list_pages(client, log, params, page0_only=False, give_up=False,
               attempts=4):
    """Every item of one afterSale.List query, page 0 to the last, each page
    tried `attempts` times (read_call). When the total changes between
    pages (the list moved under the pager) the query restarts, at most 3
    times. Returns (items with read times, complete, total)."""
    for restart in range(4):
        out, page, total0 = [], 0, None
        while True:
            p = dict(params, page=page, size=PAGE_SIZE)
            t = time.time()
            ans = read_call(client, log, "afterSale.List", p,
                            attempts=attempts, give_up=give_up)
            if ans is None or not ans.ok:
                log("afterSale.List page %d failed: %s" %
                    (page, ans.brief() if ans else "no answer"))
                return out, False, total0
            data = ans.data or {}
            items = data.get("items") or []
            out.extend((it, t) for it in items)
            total = data.get("total")
            if total0 is None:
                total0 = total
            elif total != total0:
                log("afterSale.List: total moved from %s to %s while paging;"
                    " reading the window again" % (total0, total))
                break
            if page0_only or not data.get("has_more") or not items:
                return out, True, total0
            page += 1
            if (page + 1) * PAGE_SIZE > DEEP_PAGING_CAP:
                return out, False, total0
    return out, False, total0


# ------------------------------------------------------------ push listener


class PushHandler(http.server.BaseHTTPRequestHandler):
    """The push endpoint (any path): hands the request to Erp.on_push."""

    protocol_version = "HTTP/1.1"
    erp = None

    def _body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                line = self.rfile.readline()
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def _answer(self, status, obj):
        body = json.dumps(obj).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        body = self._body()
        status, obj = self.erp.on_push(self.headers, body)
        self._answer(status, obj)

    def do_GET(self):
        self._answer(200, {"code": 0, "msg": "erp double push listener"})

    def log_message(self, fmt, *args):
        pass


class PushServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def make_push_server(listen, erp):
    host, _, port = listen.rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    handler = type("BoundPushHandler", (PushHandler,), {"erp": erp})
    server_class = PushServer
    if ":" in host:
        server_class = type("PushServer6", (PushServer,),
                            {"address_family": socket.AF_INET6})
    return server_class((host, int(port)), handler)


# ------------------------------------------------------------ the ERP


class Erp:
    """The ERP process: see the module comment for its threads."""

    def __init__(self, env, bug):
        self.env = env
        self.bug = bug
        self.log = Log("erp" if not bug else "erp(%s)" % bug)
        self.store = Store(env["state_dir"],
                           memory_only=(bug == "forget-on-restart"))
        self.keeper = TokenKeeper(env, self.store, self.log,
                                  refresh=(bug != "no-token-refresh"))
        self.worker = Client(env, self.keeper, self.log)
        self.poller = Client(env, self.keeper, self.log)
        self.stop = threading.Event()
        self.wake = threading.Event()
        self.hints = queue.Queue()
        self.inflight = set()
        self.noted = {}
        self.arrivals_read = set()
        self.polls = 0
        self.last_poll_done = 0.0
        self.frozen = bug == "ignore-cancel"
        self.give_up = bug == "give-up-transient"

    # -------------------------------------------------------- logging

    def note(self, key, text):
        """Logs a decision once per change (not on every tick)."""
        if self.noted.get(key) != text:
            self.noted[key] = text
            self.log(text)

    # -------------------------------------------------------- lifecycle

    def run(self):
        signal.signal(signal.SIGTERM, lambda *_: self.stop.set())
        signal.signal(signal.SIGINT, lambda *_: self.stop.set())
        env = self.env
        server = None
        push_run = bool(env["push_listen"])
        if push_run and self.bug in ("no-listener", "slow-poll"):
            self.log("push run, but this ERP opens no listener (bug %s)" %
                     self.bug)
        elif push_run:
            server = make_push_server(env["push_listen"], self)
            threading.Thread(target=server.serve_forever, name="push",
                             daemon=True).start()
            self.log("push listener on %s" % env["push_listen"])
        if push_run and self.bug == "no-poll":
            self.log("push run: this ERP never polls (bug no-poll)")
        else:
            threading.Thread(target=self.poll_loop, name="poll",
                             daemon=True).start()
        self.log("started: base %s, shop %s, poll every %g s%s" %
                 (env["base_url"], env["shop_id"], env["poll_interval"],
                  ", push" if server else ""))
        while not self.stop.is_set():
            self.wake.wait(TICK_S)
            self.wake.clear()
            if self.stop.is_set():
                break
            try:
                self.tick()
            except Exception:  # a bug of the double must not kill it
                self.log("worker error: %s" %
                         traceback.format_exc().replace("\n", " | "))
        if server is not None:
            server.shutdown()
        self.log("stopped")

    # -------------------------------------------------------- polling

    def poll_loop(self):
        interval = self.env["poll_interval"]
        if self.bug == "slow-poll":
            interval *= 4
        next_at = time.monotonic()
        while not self.stop.is_set():
            delay = next_at - time.monotonic()
            if delay > 0 and self.stop.wait(delay):
                return
            started = time.monotonic()
            try:
                self.poll_once()
            except Exception:
                self.log("poll error: %s" %
                         traceback.format_exc().replace("\n", " | "))
            self.polls += 1
            self.last_poll_done = time.time()
            self.wake.set()
            next_at = max(started + interval, time.monotonic())

    def poll_once(self):
        """One incremental poll (§7.10): afterSale.List by update_time,
        order_by update_time, every page, a window from the last end minus
        OVERLAP_S (the first one a day back) to a second ago."""
        now = int(time.time())
        with self.store.transaction() as st:
            last_end = st["poll"].get("last_end")
        if self.bug == "no-overlap":
            start = now - FIRST_WINDOW_S if last_end is None else last_end + 1
            end = now
        else:
            start = now - FIRST_WINDOW_S if last_end is None \
                else last_end - OVERLAP_S
            end = now - 1
        start = min(start, end)
        items, complete = self.list_window(start, end)
        kept = 0
        with self.store.transaction() as st:
            for it, t in items:
                rec = rec_from_list_item(it, t)
                if not rec["id"]:
                    continue
                if self.bug == "no-overlap" and \
                        rec["update_time"] <= start:
                    continue  # the strict ">" of this bug
                merge_aftersale(st, rec, frozen=self.frozen)
                kept += 1
            if complete:
                st["poll"]["last_end"] = end
        self.note("poll", "poll: afterSale.List window [%d, %d]: %d items%s"
                  % (start, end, kept, "" if complete else
                     " (incomplete: the window will be read again)"))

    def list_window(self, start, end):
        params = {"update_start_time": start, "update_end_time": end,
                  "order_by": ["update_time asc"]}
        items, complete, total = list_pages(
            self.poller, self.log, params,
            page0_only=(self.bug == "page0-only"), give_up=self.give_up)
        if (not complete and total is not None and total > DEEP_PAGING_CAP
                and end > start and self.bug != "page0-only"):
            mid = (start + end) // 2
            a, ok_a = self.list_window(start, mid)
            b, ok_b = self.list_window(mid + 1, end)
            return a + b, ok_a and ok_b
        return items, complete

    # -------------------------------------------------------- push

    def on_push(self, headers, body):
        """Checks and acknowledges one pushed request (§5.1-§5.3). Returns
        (HTTP status, answer object). A request that fails a check is
        answered with a failure (so the platform sends it again) and never
        acted upon."""
        env = self.env
        if self.bug != "ignore-sign":
            app_id = headers.get("app-id") or ""
            if app_id != env["app_key"]:
                self.log("push refused: app-id %r is not this app" % app_id)
                return 200, {"code": 1, "msg": "fail: app-id"}
            want = push_sign(env["app_key"], body, env["app_secret"])
            got = (headers.get("event-sign") or "").lower()
            if got != want:
                self.log("push refused: event-sign does not verify")
                return 200, {"code": 1, "msg": "fail: event-sign"}
        try:
            msgs = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            self.log("push refused: body is not JSON")
            return 200, {"code": 1, "msg": "fail: body"}
        if isinstance(msgs, dict):
            msgs = [msgs]
        if not isinstance(msgs, list):
            return 200, {"code": 1, "msg": "fail: body"}
        parsed = []
        for m in msgs:
            if not isinstance(m, dict):
                return 200, {"code": 1, "msg": "fail: body"}
            data = m.get("data")
            if isinstance(data, str):
                try:
                    data = json.loads(data)
                except ValueError:
                    data = None
            if not isinstance(data, dict):
                if self.bug == "die-on-malformed":
                    self.log("push: data of msg %s is not JSON: exiting "
                             "(bug die-on-malformed)" % m.get("msg_id"))
                    sys.stderr.flush()
                    os._exit(1)
                self.log("push refused: data of msg %s is not JSON" %
                         m.get("msg_id"))
                return 200, {"code": 1, "msg": "fail: data"}
            parsed.append((str(m.get("tag")), str(m.get("msg_id")), data))
        fresh = []
        with self.store.transaction() as st:
            for tag, msg_id, data in parsed:
                if tag == "0":
                    continue
                if self.bug == "no-dedupe" or remember_push(st, msg_id):
                    fresh.append((tag, msg_id, data))
                else:
                    self.log("push: msg %s (tag %s) seen before: ignored" %
                             (msg_id, tag))
        for tag, msg_id, data in parsed:
            if tag == "0":
                self.log("push: verification message acknowledged")
        now = time.time()
        for tag, msg_id, data in fresh:
            as_id = idstr(data.get("aftersale_id"))
            shop = idstr(data.get("shop_id"))
            if not as_id:
                continue
            if shop and shop != env["shop_id"]:
                self.log("push: msg %s is about shop %s, not ours" %
                         (msg_id, shop))
                continue
            self.log("push: msg %s tag %s about after-sale %s" %
                     (msg_id, tag, as_id))
            if self.bug == "ignore-sign":
                self.hints.put(("direct", rec_from_push(data, now)))
            else:
                self.hints.put(("hint", as_id))
            if (self.bug == "no-dedupe" and data.get("aftersale_type") == 2
                    and data.get("aftersale_status") == 6):
                self.hints.put(("force", rec_from_push(data, now)))
        self.wake.set()
        return 200, PUSH_OK

    # -------------------------------------------------------- reads

    def read_detail(self, as_id):
        """afterSale.Detail of `as_id`, merged into the state. Returns the
        stored record, False when the gateway says there is no such
        after-sale, None when no answer came."""
        t = time.time()
        ans = read_call(self.worker, self.log, "afterSale.Detail",
                        {"after_sale_id": as_id}, attempts=3,
                        give_up=self.give_up)
        if ans is None:
            return None
        if not ans.ok:
            self.log("afterSale.Detail %s: %s" % (as_id, ans.brief()))
            return False if ans.code in (40004, 50002) else None
        rec = rec_from_detail(ans.data, t)
        if not rec["id"]:
            return None
        with self.store.transaction() as st:
            stored = merge_aftersale(st, rec, frozen=self.frozen)
            return json.loads(json.dumps(stored))

    # -------------------------------------------------------- the worker

    def tick(self):
        self.handle_hints()
        self.read_arrivals()
        self.run_decisions()
        self.run_shipments()
        if self.bug == "retry-business-errors":
            self.retry_business_errors()

    def handle_hints(self):
        seen = set()
        while True:
            try:
                kind, what = self.hints.get_nowait()
            except queue.Empty:
                return
            if kind == "hint":
                if what in seen:
                    continue
                seen.add(what)
                if self.frozen:
                    snap = self.store.snapshot()
                    if what in snap["aftersales"]:
                        continue  # ignore-cancel never re-reads
                got = self.read_detail(what)
                if got is False:
                    self.log("push hint: after-sale %s does not exist: "
                             "ignored" % what)
            elif kind == "direct":
                with self.store.transaction() as st:
                    merge_aftersale(st, what, last_wins=True)
                self.log("push: using the message data of after-sale %s as "
                         "is (bug ignore-sign): type %s status %s" %
                         (what["id"], what["type"], what["status"]))
            elif kind == "force":
                with self.store.transaction() as st:
                    merge_aftersale(st, what)
                self.log("push: writing back after-sale %s for this message "
                         "(bug no-dedupe)" % what["id"])
                self.writeback(what["id"], "cancel")

    def read_arrivals(self):
        """A warehouse report names an after-sale: read it fresh once, so
        that the decision uses its latest state (status 11, quantity)."""
        snap = self.store.snapshot()
        for as_id in snap["returns"]:
            if as_id in self.arrivals_read:
                continue
            self.arrivals_read.add(as_id)
            if self.frozen and as_id in snap["aftersales"]:
                continue
            self.read_detail(as_id)

    # -------------------------------------------------------- deciding

    def needed(self, rec, st):
        """What the after-sale `rec` needs now, ignoring retries in flight:
        (kind, reason) with kind "cancel", "return", "agree", "ship" (the
        shipment refuses it), "wait", "hold" or None."""
        t, s = rec.get("type"), rec.get("status")
        wb = (rec.get("wb") or {}).get("state")
        agree = (rec.get("agree") or {}).get("state")
        if (self.bug == "forget-on-restart" and s == 12 and
                rec.get("refund_type") == 2 and not rec.get("wb")):
            # Trusts its own (memory-only) records over the platform's
            # status: the assistant refunded, so a write-back happened,
            # but this process has no record of it.
            if t == 2:
                return "cancel", ("no record of a write-back for refunded "
                                  "after-sale %s (bug forget-on-restart)" %
                                  rec["id"])
            if t == 0 and rec["id"] in st["returns"]:
                return "return", ("no record of a write-back for refunded "
                                  "return %s (bug forget-on-restart)" %
                                  rec["id"])
        if is_final(rec):
            return None, "final (status %s)" % s
        if t == 2 and s == 6:
            if wb in TERMINAL or wb == "retry_poll":
                return None, "write-back already %s" % wb
            sku = st["skus"].get(rec.get("sku_order_id")) or {}
            if sku.get("shipped") and self.bug != "cancel-after-ship":
                return "ship", ("SKU order %s shipped (%s %s): the refund is "
                                "refused by uploading the tracking number" %
                                (rec.get("sku_order_id"),
                                 sku.get("company_code"),
                                 sku.get("tracking_no")))
            why = ("unshipped refund waiting for the seller; SKU order %s "
                   "has not shipped" % rec.get("sku_order_id"))
            if sku.get("shipped"):
                why = ("unshipped refund; SKU order %s shipped, written back "
                       "anyway (bug cancel-after-ship)" %
                       rec.get("sku_order_id"))
            return "cancel", why
        if t == 0 and s == 6:
            if agree in TERMINAL:
                return None, "agreement already %s" % agree
            return "agree", "return waiting for the seller to agree"
        if t == 0 and s == 11:
            if wb in TERMINAL or wb == "retry_poll":
                return None, "write-back already %s" % wb
            if self.bug == "confirm-before-arrival":
                return "return", ("return in status 11, written back without"
                                  " waiting for the warehouse (bug "
                                  "confirm-before-arrival)")
            arr = st["returns"].get(rec["id"])
            if not arr:
                return "wait", "return shipped back: waiting for the warehouse"
            if self.bug in ("ignore-condition", "refund-by-operate"):
                return "return", ("the parcel arrived (%s), confirmed "
                                  "whatever its condition and items (bug "
                                  "%s)" % (arr.get("condition"), self.bug))
            ok, why = arrival_matches(rec, arr)
            if ok:
                return "return", why
            return "hold", "not written back: " + why
        if t == 0 and s == 7:
            return "wait", "return agreed: waiting for the buyer to ship it"
        if t == 1:
            return None, "a refund after shipping is left to a person"
        return None, "nothing to do in status %s" % s

    def run_decisions(self):
        snap = self.store.snapshot()
        for as_id, rec in snap["aftersales"].items():
            if self.stop.is_set():
                return
            states = [(rec.get(k) or {}).get("state") for k in ("wb",
                                                                "agree")]
            if is_final(rec) and not any(
                    x in ("intent", "retry") for x in states) and \
                    self.bug != "forget-on-restart":
                continue
            pending = None
            for slot in ("wb", "agree"):
                r = rec.get(slot) or {}
                if r.get("state") == "intent" and as_id not in self.inflight:
                    r = dict(r, reread=True)
                    pending = (slot, r, "a write-back was sent but its result"
                               " is unknown: re-read before anything")
                elif r.get("state") == "retry":
                    if time.time() < r.get("next_at", 0):
                        pending = (slot, None, None)
                    else:
                        pending = (slot, r, "retrying after %s" %
                                   r.get("note"))
                if pending:
                    break
            if pending:
                slot, r, why = pending
                if r is None:
                    continue
                self.note(as_id, "decide: after-sale %s: %s %s" %
                          (as_id, r["kind"], why))
                self.writeback(as_id, r["kind"], reread=r.get("reread", True))
                continue
            kind, why = self.needed(rec, snap)
            self.note(as_id, "decide: after-sale %s (type %s, status %s): "
                      "%s: %s" % (as_id, rec.get("type"), rec.get("status"),
                                  kind or "nothing", why))
            if kind in ("cancel", "return", "agree"):
                self.writeback(as_id, kind)

    # -------------------------------------------------------- writing back

    def build_call(self, kind, rec, st):
        now = int(time.time())
        if kind == "cancel":
            return "afterSale.CancelSendGoodsSuccess", {
                "aftersale_id": rec["id"], "op_time": now}
        if kind == "agree":
            return "afterSale.operate", {
                "type": 101,
                "items": [{"aftersale_id": rec["id"],
                           "logistics": {"receiver_address_id":
                                         RETURN_ADDRESS_ID}}]}
        if self.bug == "refund-by-operate":
            return "afterSale.operate", {
                "type": 111, "items": [{"aftersale_id": rec["id"]}]}
        params = {"aftersale_id": rec["id"], "op_time": now}
        arr = st["returns"].get(rec["id"]) or {}
        if arr.get("tracking_no"):
            params["tracking_no"] = str(arr["tracking_no"])
        return "afterSale.returnGoodsToWareHouseSuccess", params

    def classify(self, kind, ans, err, attempts):
        """The outcome of one write-back answer: (state, delay, reread,
        note). state is a TERMINAL one, "retry" or "retry_poll"."""
        if err is not None:
            state, delay, reread, note = ("retry", backoff(attempts), True,
                                          "transport error: %s" % err)
        elif ans.ok:
            return "done", 0, False, "10000 ok"
        else:
            sc = ans.sub_code
            note = ans.brief()
            if sc == "isv.business-failed:12001":
                if self.bug == "retry-business-errors":
                    return "retry_poll", 0, False, note
                return ("done_elsewhere", 0, False, note +
                        ": already handled (someone else refunded, or done)")
            if sc == "isv.business-failed:11002":
                if self.bug == "retry-business-errors":
                    return "retry_poll", 0, False, note
                return ("stopped", 0, False, note +
                        ": the assistant strategy is off; a person must act")
            if sc == "isv.business-failed:10000":
                if self.bug == "retry-without-reread":
                    state, delay, reread = "retry", 0, False
                else:
                    state, delay, reread = "retry", backoff(attempts), True
            elif ans.code == 20000:
                state, delay, reread = "retry", backoff(attempts), True
            elif ans.code == 60000:
                state, delay, reread = "retry", backoff(attempts + 1), False
            elif ans.code in (40001, 40003) and "access-token" in sc:
                state, delay, reread = "retry", 1.0, False
            else:
                return "failed", 0, False, note + ": not retried"
            if self.give_up and state == "retry" and (
                    ans.code in (20000, 60000) or
                    sc == "isv.business-failed:10000"):
                return ("failed", 0, False, note +
                        ": given up (bug give-up-transient)")
        if attempts >= MAX_ATTEMPTS:
            return "failed", 0, False, note + ": gave up after %d attempts" % (
                attempts)
        return state, delay, reread, note

    def writeback(self, as_id, kind, reread=False):
        """Performs one write-back (or operate 101) of after-sale `as_id`,
        crash-safe: the intent is recorded before the call and the result
        after it; with reread the after-sale is first read again with
        afterSale.Detail and nothing is sent unless it still needs it."""
        slot = "agree" if kind == "agree" else "wb"
        if reread and self.frozen:
            self.log("write-back %s of %s: not re-read (bug ignore-cancel)" %
                     (kind, as_id))
        elif reread:
            fresh = self.read_detail(as_id)
            if fresh is None:
                self.set_slot(as_id, slot, kind, "retry", backoff(2), True,
                              "afterSale.Detail gave no answer")
                return
            if fresh is False:
                self.set_slot(as_id, slot, kind, "obsolete", 0, False,
                              "afterSale.Detail: no such after-sale")
                return
            snap = self.store.snapshot()
            rec = dict(snap["aftersales"].get(as_id) or fresh)
            rec.pop(slot, None)
            need, why = self.needed(rec, snap)
            if need == "wait":
                # not now, but maybe later: forget the attempt's state
                with self.store.transaction() as st:
                    (st["aftersales"].get(as_id) or {}).pop(slot, None)
                self.log("write-back %s of %s waits: %s" % (kind, as_id, why))
                return
            if need != kind:
                state = "done" if rec.get("status") == 12 else "obsolete"
                self.set_slot(as_id, slot, kind, state, 0, False,
                              "re-read: status %s, %s" % (rec.get("status"),
                                                          why))
                self.log("write-back %s of %s not sent: re-read shows status"
                         " %s (%s)" % (kind, as_id, rec.get("status"), why))
                return
        while True:
            with self.store.transaction() as st:
                rec = st["aftersales"].get(as_id)
                if rec is None:
                    return
                if kind == "cancel":
                    sku = st["skus"].setdefault(
                        rec.get("sku_order_id") or "?",
                        {"order_id": rec.get("order_id")})
                    if sku.get("shipped") and self.bug != "cancel-after-ship":
                        self.log("write-back cancel of %s not sent: SKU order"
                                 " %s shipped meanwhile" %
                                 (as_id, rec.get("sku_order_id")))
                        return
                    sku["blocked_by"] = as_id
                r = rec.setdefault(slot, {})
                r.update(kind=kind, state="intent", since=time.time(),
                         attempts=r.get("attempts", 0) + 1)
                attempts = r["attempts"]
                method, params = self.build_call(kind, rec, st)
            self.inflight.add(as_id)
            ans = err = None
            try:
                try:
                    ans = self.worker.call(method, params, idempotent=False)
                except TransportError as e:
                    err = e
                if self.bug == "writeback-twice" and kind != "agree":
                    try:
                        again = self.worker.call(method, params,
                                                 idempotent=False)
                        self.log("%s %s sent a second time (bug "
                                 "writeback-twice): %s" %
                                 (method, as_id, again.brief()))
                    except TransportError as e:
                        self.log("second %s failed: %s" % (method, e))
            finally:
                self.inflight.discard(as_id)
            state, delay, rr, note = self.classify(kind, ans, err, attempts)
            self.log("write-back: %s %s (attempt %d) -> %s => %s" %
                     (method, as_id, attempts,
                      ans.brief() if ans else "transport error: %s" % err,
                      state))
            self.set_slot(as_id, slot, kind, state, delay, rr, note)
            if state == "retry" and delay == 0 and not rr:
                self.log("write-back: retrying %s at once without re-reading"
                         " (bug retry-without-reread)" % as_id)
                continue
            return

    def set_slot(self, as_id, slot, kind, state, delay, reread, note):
        with self.store.transaction() as st:
            rec = st["aftersales"].get(as_id)
            if rec is None:
                return
            r = rec.setdefault(slot, {"kind": kind, "attempts": 0})
            r.update(kind=kind, state=state, next_at=time.time() + delay,
                     reread=reread, note=note)

    def retry_business_errors(self):
        """The retry-business-errors bug: after every poll, write back again
        every after-sale whose write-back got 11002 or 12001 before it."""
        snap = self.store.snapshot()
        for as_id, rec in snap["aftersales"].items():
            r = rec.get("wb") or {}
            if r.get("state") == "retry_poll" and \
                    r.get("next_at", 0) < self.last_poll_done:
                self.log("write-back: %s again after %s (bug "
                         "retry-business-errors)" % (as_id, r.get("note")))
                self.writeback(as_id, r["kind"])

    # -------------------------------------------------------- shipping

    def run_shipments(self):
        """Uploads the tracking numbers of what the warehouse shipped (the
        hook recorded them): order.logisticsAdd with is_refund_reject true,
        which also refuses a pre-shipment refund that came too late (§1.1 of
        the shipping notes). Before the first upload the order's after-sales
        are read (afterSale.List by order_id) and decided upon in the next
        round: the upload is what answers a refund that came meanwhile, and
        the ERP must know of it. An upload waits (SHIP_DEFER_MAX_S at most)
        while another SKU order of the same order still has a pre-shipment
        refund being written back: a whole-order upload would ship it."""
        snap = self.store.snapshot()
        now = time.time()
        for order_id, sh in snap["shipments"].items():
            state = sh.get("state")
            if state in TERMINAL or (state == "retry" and
                                     now < sh.get("next_at", 0)):
                continue
            if not sh.get("checked"):
                self.check_order(order_id)
                continue
            shipped = set(sh.get("sku_order_ids") or [])
            waiting = []
            for rec in snap["aftersales"].values():
                if (rec.get("order_id") == order_id and rec.get("type") == 2
                        and rec.get("sku_order_id") not in shipped
                        and not is_final(rec)
                        and (rec.get("wb") or {}).get("state")
                        not in TERMINAL):
                    waiting.append(rec["id"])
            if waiting and now - sh.get("created_at", now) < SHIP_DEFER_MAX_S:
                self.note("ship" + order_id, "ship: order %s waits for the "
                          "write-back of %s first" % (order_id,
                                                      ", ".join(waiting)))
                continue
            self.upload(order_id, sh)

    def check_order(self, order_id):
        """Reads the after-sales of shop order `order_id` into the state and
        marks its shipment checked (also when the read failed: the upload
        must not wait for ever)."""
        items, complete, _ = list_pages(self.worker, self.log,
                                        {"order_id": order_id}, attempts=2,
                                        give_up=self.give_up)
        with self.store.transaction() as st:
            for it, t in items:
                rec = rec_from_list_item(it, t)
                if rec["id"]:
                    merge_aftersale(st, rec, frozen=self.frozen)
            sh = st["shipments"].get(order_id)
            if sh is not None:
                sh["checked"] = True
        self.log("ship: order %s: %d after-sale(s) read before the upload%s"
                 % (order_id, len(items),
                    "" if complete else " (the read failed)"))

    def upload(self, order_id, sh):
        with self.store.transaction() as st:
            cur = st["shipments"].get(order_id)
            if cur is None:
                return
            cur["state"] = "intent"
            cur["attempts"] = cur.get("attempts", 0) + 1
            attempts = cur["attempts"]
        params = {"order_id": order_id,
                  "company_code": sh.get("company_code") or COMPANY_CODE,
                  "logistics_code": sh["tracking_no"],
                  "is_refund_reject": True}
        ans = err = None
        try:
            ans = self.worker.call("order.logisticsAdd", params,
                                   idempotent=False)
        except TransportError as e:
            err = e
        if err is not None:
            state, delay, note = "retry", backoff(attempts), str(err)
        elif ans.ok:
            state, delay, note = "done", 0, "10000 ok"
        elif ans.sub_code == "isv.business-failed:60110":
            state, delay, note = "done", 0, ans.brief() + ": already shipped"
        elif ans.code in (20000, 60000) or \
                ans.sub_code == "isv.business-failed:10000" or \
                "access-token" in ans.sub_code:
            state, delay, note = "retry", backoff(attempts), ans.brief()
            if self.give_up and "access-token" not in ans.sub_code:
                state = "failed"
        else:
            state, delay, note = "failed", 0, ans.brief() + ": not retried"
        if state == "retry" and attempts >= MAX_ATTEMPTS:
            state = "failed"
        self.log("ship: order.logisticsAdd %s %s %s (attempt %d) -> %s => %s"
                 % (order_id, params["company_code"], params["logistics_code"],
                    attempts, ans.brief() if ans else "transport error: %s" %
                    err, state))
        with self.store.transaction() as st:
            cur = st["shipments"].get(order_id)
            if cur is not None:
                cur.update(state=state, next_at=time.time() + delay,
                           note=note)


# ------------------------------------------------------------ the hook


def hook_main(env, bug):
    """One hook invocation (harness.md, "Hook"): one JSON object on stdin,
    one on stdout. Exit status 0, or 2 for input it cannot read."""
    log = Log("hook" if not bug else "hook(%s)" % bug)
    try:
        inp = json.loads(sys.stdin.read())
    except ValueError:
        log("stdin is not JSON")
        return 2
    if not isinstance(inp, dict):
        log("stdin is not a JSON object")
        return 2
    store = Store(env["state_dir"], memory_only=(bug == "forget-on-restart"))
    event = inp.get("event")
    if event == "warehouse.return_arrived":
        as_id = idstr(inp.get("aftersale_id"))
        if not as_id:
            log("return_arrived without aftersale_id")
            return 2
        with store.transaction() as st:
            st["returns"][as_id] = {
                "items": inp.get("items") or [],
                "condition": inp.get("condition"),
                "tracking_no": inp.get("tracking_no"),
                "time": time.time()}
        log("return_arrived: after-sale %s, condition %s, items %s: recorded"
            % (as_id, inp.get("condition"), json.dumps(inp.get("items"))))
        answer = {"received": True}
    elif event == "warehouse.ship_request":
        answer = ship_request(env, bug, store, log, inp)
        if answer is None:
            return 2
    else:
        log("unknown event %r" % (event,))
        return 2
    sys.stdout.write(json.dumps(answer) + "\n")
    sys.stdout.flush()
    return 0


def ship_request(env, bug, store, log, inp):
    """May these SKU orders leave? Reads the order's after-sales first
    (afterSale.List by order_id), so that a refund the ERP process has not
    seen yet still blocks; then, under the state lock, answers shipped:false
    when any SKU order is blocked (sku_blocked), else records the shipment
    for the ERP process to upload and answers shipped:true."""
    order_id = idstr(inp.get("shop_order_id"))
    skus = [idstr(s) for s in inp.get("sku_order_ids") or [] if idstr(s)]
    if not order_id or not skus:
        log("ship_request without shop_order_id or sku_order_ids")
        return None
    if bug == "never-ship":
        log("ship_request %s %s: shipped:false (bug never-ship)" %
            (order_id, skus))
        return {"shipped": False}
    recs = []
    if bug != "ship-after-refund":
        keeper = TokenKeeper(env, store, log,
                             refresh=(bug != "no-token-refresh"))
        client = Client(env, keeper, log, timeout=3.0, retry_reads=False)
        # the hook has 10 s in all: two tries of 3 s at most per page
        items, complete, _ = list_pages(client, log, {"order_id": order_id},
                                        give_up=(bug == "give-up-transient"),
                                        attempts=2)
        recs = [rec_from_list_item(it, t) for it, t in items]
        if not complete:
            log("ship_request: afterSale.List of order %s incomplete; "
                "deciding from what is known" % order_id)
        client.close()
    with store.transaction() as st:
        for rec in recs:
            if rec["id"]:
                merge_aftersale(st, rec, frozen=(bug == "ignore-cancel"))
        if bug != "ship-after-refund":
            for s in skus:
                why = sku_blocked(st, s)
                if why:
                    log("ship_request %s: shipped:false: SKU order %s: %s" %
                        (order_id, s, why))
                    return {"shipped": False}
        sh = st["shipments"].get(order_id)
        if sh is None:
            sh = {"sku_order_ids": [], "company_code": COMPANY_CODE,
                  "tracking_no": new_tracking_no(order_id),
                  "state": "pending", "attempts": 0, "created_at": time.time()}
            st["shipments"][order_id] = sh
        if any(s not in sh["sku_order_ids"] for s in skus) and \
                sh.get("state") == "failed":
            # a new parcel of an order whose last upload was refused
            sh.update(state="pending", attempts=0, created_at=time.time(),
                      checked=False)
        for s in skus:
            if s not in sh["sku_order_ids"]:
                sh["sku_order_ids"].append(s)
            rec = st["skus"].setdefault(s, {})
            rec.update(order_id=order_id, shipped=True,
                       company_code=sh["company_code"],
                       tracking_no=sh["tracking_no"], shipped_at=time.time())
        answer = {"shipped": True, "company_code": sh["company_code"],
                  "tracking_no": sh["tracking_no"]}
    log("ship_request %s %s: shipped:true %s %s%s" %
        (order_id, skus, answer["company_code"], answer["tracking_no"],
         " (bug ship-after-refund: nothing checked)"
         if bug == "ship-after-refund" else ""))
    return answer


# ------------------------------------------------------------ main


def main(argv):
    ap = argparse.ArgumentParser(
        prog="erp.py", description="dd-harness ERP double (see README.md)")
    ap.add_argument("role", nargs="?", choices=("erp", "hook"), default="erp",
                    help="'hook' for one warehouse hook invocation")
    ap.add_argument("--bug", choices=BUGS, default=None,
                    help="behave wrongly in this one way")
    args = ap.parse_args(argv)
    env = read_env()
    os.makedirs(env["state_dir"], exist_ok=True)
    if args.role == "hook":
        return hook_main(env, args.bug)
    Erp(env, args.bug).run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
