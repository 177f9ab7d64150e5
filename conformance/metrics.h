/*
 * metrics.h: the seed's two numbers per run (seed-article.md: after-sales
 * refunded automatically once the ERP writes back): the share of the run's
 * after-sales handled automatically, and the time from a buyer's
 * application to the refund, in real seconds after t0.
 *
 * Like the judge (judge.h) this is a pure function of the scenario, the
 * run's journal (JSONL, as mock/journal.c writes it) and the run's
 * verdict; it never talks to a server, so a recorded run can be measured
 * again offline and the rules are unit-tested with hand-written journals
 * (tests/check_metrics.c). conformance/README.md "Metrics" is the reader's
 * version of the rules below.
 *
 * Definitions. t0 is the time of the run.start entry. There is one row per
 * after-sale of the run's final state (the `final` entry's "aftersales"):
 *
 *   apply_s    the first `actor` entry "buyer.apply" whose note starts
 *              "aftersale ID:", or `step` "buyer.apply" with code 0 whose
 *              response (or params.with) names aftersale_id ID; -1 (null)
 *              when the after-sale was in the world when the run was
 *              created (run.create params.world; the scenario's world
 *              when the journal has none), when no entry names it, or
 *              when its entry is before t0.
 *   refunded   the final state's ledger ("refunds") has a row for ID (its
 *              `via` is the first such row's), or the after-sale's
 *              refund_status is 3 (refund done; `via` unknown).
 *   refund_s   the entry that caused the refund, by `via`: a write-back
 *              ("CancelSendGoodsSuccess", "returnGoodsToWareHouseSuccess")
 *              or "operate:N": the first API call of that method (and
 *              operate type N) naming ID answered 10000; "timer:NAME": the
 *              `timer` entry "timer.NAME" naming ID; "platform:agree",
 *              "platform:arbitrate": the `actor` entry "platform.agree" /
 *              "platform.arbitrate" naming ID. Anything else ("world-file",
 *              "generator", ...), no such entry, or an entry before t0:
 *              -1 (null), never a guess. An entry names ID when it is an
 *              API call whose params (items[] for operate) hold ID, or an
 *              actor or timer entry whose note starts "aftersale ID:".
 *   cancelled  an `actor` entry "buyer.cancel" (or `step` "buyer.cancel"
 *              with code 0) names ID.
 *   refusing   a call answered 10000, after ID was applied for (any time
 *              for one already in the world) and before the buyer
 *              cancelled it, that refuses it: order.logisticsAdd with
 *              is_refund_reject or is_reject_refund true (JSON true, "true"
 *              or 1, as the mock reads booleans) for ID's order when ID is
 *              an "unshipped_refund" (shipping refuses the open
 *              pre-shipment refunds of the order), or afterSale.operate of
 *              a refusing type naming ID in items[].aftersale_id: 102, 112
 *              and 202, the rows with `reject` of mock/api_aftersale.c's
 *              operate table.
 *
 * Outcome, the first that applies: refunded_by_writeback (refunded, `via`
 * a write-back: the assistant refunded once the ERP wrote back), refused
 * (not refunded, and a refusing call), refunded_otherwise (refunded any
 * other way: operate, a platform timer, customer service, the world
 * file), cancelled_by_buyer (not refunded, cancelled), unresolved (else).
 *
 * automatic: true for refunded_by_writeback unless the run's verdict is
 * FUNDS_AT_RISK (the write-back may be the very fault), and for refused
 * when the run's verdict is PASS or WARN (a correct refusal); false for
 * refunded_otherwise and unresolved, and for refused under any other
 * verdict; null (not counted) for cancelled_by_buyer and for an after-sale
 * that was already final when the run was created (run.create
 * params.world says "final": true): nothing was left for the ERP to do.
 * `counted` is the number of rows whose automatic is not null,
 * `automatic` the number that are true. apply_to_refund_s = refund_s -
 * apply_s, only when both are known (and the refund is not earlier).
 *
 * Like the judge, only the entries of the run's app_key (run.create's)
 * count, and a line that does not parse or is no journal entry is
 * skipped: nothing here crashes on a truncated or odd journal.
 *
 * Ownership: struct conf_metrics owns its rows and their strings;
 * conf_metrics_free releases them. The scenario and the journal text are
 * borrowed only during the call.
 */
#ifndef CONF_METRICS_H
#define CONF_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dd_jw.h"
#include "judge.h"
#include "scenario.h"

enum conf_outcome {
    CONF_OUTCOME_REFUNDED_BY_WRITEBACK,
    CONF_OUTCOME_REFUSED,
    CONF_OUTCOME_REFUNDED_OTHERWISE,
    CONF_OUTCOME_CANCELLED_BY_BUYER,
    CONF_OUTCOME_UNRESOLVED
};

/* Whether an after-sale was handled automatically (null: not counted). */
enum conf_automatic {
    CONF_AUTOMATIC_NULL,
    CONF_AUTOMATIC_FALSE,
    CONF_AUTOMATIC_TRUE
};

/* "refunded_by_writeback", "refused", "refunded_otherwise",
 * "cancelled_by_buyer" or "unresolved" (a static string; "?" for a value
 * outside the enum). */
const char *conf_outcome_name(enum conf_outcome o);

/* One after-sale of the run's final state. Seconds are real seconds after
 * t0, -1 when unknown (written as null). */
struct conf_aftersale_metric {
    char *aftersale_id; /* owned: decimal, as the final state keys it */
    char *flow;         /* owned: the final state's "type" ("unshipped_refund",
                           "return", ...), "unknown" when it has none */
    enum conf_outcome outcome;
    char *via; /* owned: the ledger's `via`, NULL when not refunded or
                  the ledger names none */
    enum conf_automatic automatic;
    double apply_s;
    double refund_s;
    double apply_to_refund_s;
};

struct conf_metrics {
    size_t counted;   /* rows whose automatic is not null */
    size_t automatic; /* rows whose automatic is true */
    struct conf_aftersale_metric *aftersales; /* owned, in ascending id order */
    size_t n_aftersales;
};

/* conf_metrics_compute's answers. */
#define CONF_METRICS_OK         0
#define CONF_METRICS_INCOMPLETE (-1)

/*
 * Measures a finished run: `jsonl` is its journal (`len` bytes, any bytes;
 * lines that do not parse are skipped), `verdict` the run's verdict (it
 * decides whether a refusal counts as automatic), `s` the scenario (may be
 * NULL; it is only read). Fills `out` and returns CONF_METRICS_OK, or
 * returns CONF_METRICS_INCOMPLETE, with `out` empty, when the journal has
 * no run.create, no run.start or no final state that is a JSON object
 * (such a run has no metrics). `out` is safe to free either way.
 */
int conf_metrics_compute(const struct scn_scenario *s, const char *jsonl,
                         size_t len, enum conf_verdict verdict,
                         struct conf_metrics *out);

/* Frees what `m` owns and leaves it empty. Safe on a zeroed struct. */
void conf_metrics_free(struct conf_metrics *m);

/*
 * Writes `m` as one JSON object (verdict.json "metrics"):
 * {"counted": N, "automatic": M, "aftersales": [{"aftersale_id" (string),
 * "flow", "outcome", "via" (string or null), "automatic" (true, false or
 * null), "apply_s", "refund_s", "apply_to_refund_s" (numbers with
 * millisecond precision, or null)}, ...]}.
 */
void conf_metrics_write_json(const struct conf_metrics *m, struct dd_jw *w);

#endif
