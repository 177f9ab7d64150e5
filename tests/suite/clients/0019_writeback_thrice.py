#!/usr/bin/env python3
"""0019_writeback_thrice.py: a wrong ERP that writes back three times.

The right ERP double (tests/erp_double/erp.py) with one change: every
write-back (afterSale.CancelSendGoodsSuccess or
afterSale.returnGoodsToWareHouseSuccess) that succeeds is sent twice more
at once, as an ERP does whose "done" record is written after a retry loop
that does not look at the answer. The repeats are answered 50002
isv.business-failed:12001 and refund nothing, but two needless repeats of
one write-back are a FAIL (harness.md, "Verdicts"); the double's own
--bug writeback-twice (one repeat) is only a WARN. Scenario 0019 proves
both.

  python3 tests/suite/clients/0019_writeback_thrice.py [erp.py arguments]

It runs the double in this process (importing tests/erp_double/erp.py), so
it keeps the harness contract exactly as the double does.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "erp_double"))

import erp  # noqa: E402
import erp_client  # noqa: E402

WRITEBACKS = ("afterSale.CancelSendGoodsSuccess",
              "afterSale.returnGoodsToWareHouseSuccess")
EXTRA_COPIES = 2

_call = erp_client.Client.call


def call_thrice(self, method, params, idempotent=True):
    """Client.call, then EXTRA_COPIES more of a successful write-back."""
    ans = _call(self, method, params, idempotent)
    if method in WRITEBACKS and ans.ok:
        for n in range(EXTRA_COPIES):
            try:
                again = _call(self, method, params, idempotent)
                self.log("%s %s sent again (%d of %d, wrong client "
                         "0019_writeback_thrice): %s" %
                         (method, params.get("aftersale_id"), n + 1,
                          EXTRA_COPIES, again.brief()))
            except erp_client.TransportError as e:
                self.log("repeat of %s failed: %s" % (method, e))
    return ans


erp_client.Client.call = call_thrice

if __name__ == "__main__":
    sys.exit(erp.main(sys.argv[1:]))
