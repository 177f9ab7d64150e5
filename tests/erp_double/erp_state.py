"""erp_state.py: the ERP double's durable state, shared by its processes.

Part of the ERP double (tests/erp_double/README.md). The ERP process and
every hook invocation read and change one JSON file,
$DOUDIAN_STATE_DIR/erp-state.json (harness.md, "The ERP-under-test
contract": the directory survives restarts within a run). Every change is a
transaction: take the lock file (fcntl.flock on erp-state.lock, exclusive),
read the file, change the dict, write erp-state.json.tmp, fsync, os.replace.
A SIGKILL at any moment therefore leaves either the old or the new file,
never half of one. Transactions are short and never contain an API call
other than the token calls of erp_client.TokenKeeper.

A Store with memory_only=True (the forget-on-restart bug) keeps the
write-back records in memory only: see Store.transaction.

The layout of the file (all ids are strings):
  token       the access token record (erp_client.TokenKeeper)
  poll        {"last_end": the end of the last afterSale.List window}
  aftersales  id -> the after-sale as last read (merge_aftersale) plus the
              ERP's own records: "wb" (the write-back), "agree" (operate 101)
  skus        sku_order_id -> {"order_id", "shipped", "tracking_no",
              "company_code", "blocked_by": after-sale id}
  shipments   shop order id -> {"sku_order_ids", "company_code",
              "tracking_no", "state", "attempts", "next_at", "created_at"}
  returns     after-sale id -> the warehouse's return_arrived report
  push_seen   the last msg_ids acknowledged (dedupe across restarts)
"""

import contextlib
import copy
import fcntl
import json
import os
import threading

STATE_FILE = "erp-state.json"
LOCK_FILE = "erp-state.lock"
PUSH_SEEN_MAX = 5000

# After-sale statuses after which nothing may be done (§4.9 and the brief):
# 12 success, 14 exchange done, 28 failed/closed, 29 refused after return,
# 51/53 cancelled/finished; 27 is final for a pre-shipment refund only.
FINAL_STATUSES = (12, 14, 28, 29, 51, 53)


def empty_state():
    """A fresh state dict."""
    return {"format": 1, "token": None, "poll": {"last_end": None},
            "aftersales": {}, "skus": {}, "shipments": {}, "returns": {},
            "push_seen": []}


def is_final(rec):
    """True when the after-sale `rec` can no longer be operated:
    aftersale_status_to_final_time set (§7.5), a final status, or a
    pre-shipment refund refused by shipping (27)."""
    if rec.get("final_time"):
        return True
    s = rec.get("status")
    if s in FINAL_STATUSES:
        return True
    return s == 27 and rec.get("type") == 2


class Store:
    """The state file of one state directory (see the module comment).

    transaction() is a context manager giving the state dict; what the block
    leaves in it is written back (only when it changed). Nested transactions
    in one thread deadlock: never nest them."""

    MEMORY_KEYS = ("aftersales", "poll", "push_seen")

    def __init__(self, state_dir, memory_only=False):
        self.dir = state_dir
        self.path = os.path.join(state_dir, STATE_FILE)
        self.lock_path = os.path.join(state_dir, LOCK_FILE)
        self.thread_lock = threading.Lock()
        self.memory_only = memory_only
        self.memory = {k: copy.deepcopy(empty_state()[k])
                       for k in self.MEMORY_KEYS}

    def _read(self):
        try:
            with open(self.path, "r", encoding="utf-8") as f:
                st = json.load(f)
        except FileNotFoundError:
            return empty_state()
        except ValueError:
            # Cannot happen with os.replace; a hand-edited file is kept
            # aside rather than silently lost.
            os.replace(self.path, self.path + ".corrupt")
            return empty_state()
        base = empty_state()
        base.update(st)
        return base

    def _write(self, st):
        tmp = self.path + ".tmp"
        data = json.dumps(st, ensure_ascii=False, sort_keys=True,
                          separators=(",", ":"))
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)

    @contextlib.contextmanager
    def transaction(self):
        """Locks (thread lock, then the lock file), reads, yields the dict,
        writes it back if changed, unlocks. With memory_only the keys of
        MEMORY_KEYS live in this process's memory instead of the file (the
        file's copies are ignored), so a restart forgets them."""
        with self.thread_lock:
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                st = self._read()
                if self.memory_only:
                    for k in self.MEMORY_KEYS:
                        st[k] = self.memory[k]
                before = json.dumps(st, sort_keys=True)
                yield st
                if self.memory_only:
                    for k in self.MEMORY_KEYS:
                        self.memory[k] = st[k]
                if json.dumps(st, sort_keys=True) != before:
                    if self.memory_only:
                        disk = dict(st)
                        for k in self.MEMORY_KEYS:
                            disk[k] = copy.deepcopy(empty_state()[k])
                        self._write(disk)
                    else:
                        self._write(st)
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)

    def snapshot(self):
        """A copy of the state, read under the lock."""
        with self.transaction() as st:
            return copy.deepcopy(st)


def merge_aftersale(st, rec, frozen=False, last_wins=False):
    """Merges the after-sale `rec` (as read from List, Detail or a push:
    id, type, status, final_time, update_time, read_at, sku_order_id,
    order_id, quantity, refund_status, got_pkg, source) into st.

    The newest version wins: a larger update_time, or the same update_time
    read later (update_time has one-second steps, so two changes in one
    second are ordered by when they were read). A field that is None (the
    source does not say) keeps its stored value. The ERP's own records of
    the stored after-sale (wb, agree, ...) are kept. With frozen=True (the
    ignore-cancel bug) an after-sale already known is never updated; with
    last_wins=True (the ignore-sign bug, which applies messages as they
    arrive) the version merged last wins whatever its update_time.
    Returns the stored record."""
    ases = st["aftersales"]
    old = ases.get(rec["id"])
    if old is None:
        new = dict(rec)
        ases[rec["id"]] = new
        if new.get("sku_order_id") and new.get("order_id"):
            sku = st["skus"].setdefault(new["sku_order_id"], {})
            sku.setdefault("order_id", new["order_id"])
        return new
    if frozen:
        return old
    newer = (rec.get("update_time") or 0, rec.get("read_at") or 0) >= \
        (old.get("update_time") or 0, old.get("read_at") or 0)
    if newer or last_wins:
        for k, v in rec.items():
            if v is not None:
                old[k] = v
    return old


def remember_push(st, msg_id):
    """Records that msg_id was acknowledged; returns False when it already
    was (a duplicate)."""
    seen = st["push_seen"]
    if msg_id in seen:
        return False
    seen.append(msg_id)
    if len(seen) > PUSH_SEEN_MAX:
        del seen[:len(seen) - PUSH_SEEN_MAX]
    return True
