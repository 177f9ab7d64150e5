#!/usr/bin/env python3
"""0021_last_message_wins.py: a wrong ERP that trusts pushes in arrival order.

The right ERP double (tests/erp_double/erp.py) with one change in how it
uses pushed messages: it still checks app-id and event-sign, but then takes
each message's data as the after-sale's current state, in the order the
messages arrive, instead of re-reading the after-sale with afterSale.Detail
or comparing update_time (the last message wins). When the platform's
messages cross (scenario 0021: 207 RefundClosed arrives before 200
RefundCreated), it believes a withdrawn refund is still waiting, cancels
the outbound and writes it back.

  python3 tests/suite/clients/0021_last_message_wins.py

The hook is the double's own (python3 tests/erp_double/erp.py hook). It
runs the double in this process (importing tests/erp_double/erp.py), so it
keeps the harness contract exactly as the double does.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "erp_double"))

import erp  # noqa: E402
import erp_client  # noqa: E402

_merge = erp.merge_aftersale
_on_push = erp.Erp.on_push


def merge_last_wins(st, rec, *args, **kwargs):
    """merge_aftersale, except that a record taken from a push replaces the
    stored one whatever its update_time (arrival order decides)."""
    if rec.get("source") == "push":
        old = st["aftersales"].get(rec["id"])
        if old is not None:
            old.update({k: v for k, v in rec.items() if v is not None})
            return old
    return _merge(st, rec, *args, **kwargs)


def on_push_checked(self, headers, body):
    """Checks app-id and event-sign like the right double, then hands the
    request to the double's handler run with the data-trusting path (the
    double reaches that path under its bug name "ignore-sign", whose only
    other effect, skipping these two checks, is undone here)."""
    env = self.env
    if (headers.get("app-id") or "") != env["app_key"]:
        self.log("push refused: app-id is not this app")
        return 200, {"code": 1, "msg": "fail: app-id"}
    want = erp_client.push_sign(env["app_key"], body, env["app_secret"])
    if (headers.get("event-sign") or "").lower() != want:
        self.log("push refused: event-sign does not verify")
        return 200, {"code": 1, "msg": "fail: event-sign"}
    return _on_push(self, headers, body)


_log_init = erp.Log.__init__


def log_init(self, role):
    """Log lines name this client rather than the double's bug."""
    _log_init(self, role.replace("ignore-sign", "last-message-wins"))


erp.merge_aftersale = merge_last_wins
erp.Erp.on_push = on_push_checked
erp.Log.__init__ = log_init

if __name__ == "__main__":
    sys.exit(erp.main(["--bug", "ignore-sign"] + sys.argv[1:]))
