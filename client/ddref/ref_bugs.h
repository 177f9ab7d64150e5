/*
 * ref_bugs.h: the mutants of ddref, to judge the judge.
 *
 * `ddref --inject-bug NAME` (and `ddref hook --inject-bug NAME`) makes the
 * reference ERP commit one realistic mistake; everything else stays right.
 * The conformance suite must catch every one of them with the verdict and
 * in the scenarios named in the table (tests/suite/proofs-ddref.tsv runs
 * each, client/ddref/README.md explains them). One X-macro list yields the
 * enum, the names and the documentation, so they never drift apart.
 *
 * Bugs are bits of a uint64_t mask; the mask lives in the ERP's and the
 * hook's context structs and is passed to the pure decision functions.
 */
#ifndef REF_BUGS_H
#define REF_BUGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* X(ENUM, "name", "what it does wrong", "verdict", "scenarios") */
#define REF_BUG_MAP(X)                                                         \
    X(CANCEL_AFTER_SHIP, "cancel-after-ship",                                  \
      "writes back afterSale.CancelSendGoodsSuccess for a pre-shipment "       \
      "refund even when the warehouse said the parcel left",                   \
      "FUNDS_AT_RISK", "0006")                                                 \
    X(IGNORE_EVENT_SIGN, "ignore-event-sign",                                  \
      "accepts pushed messages without checking app-id and event-sign and "    \
      "re-reads every after-sale they name",                                   \
      "FAIL", "0023, 0024")                                                    \
    X(PAGE0_ONLY, "page0-only",                                                \
      "reads only page 0 of each afterSale.List window", "FAIL", "0028, 0026") \
    X(NO_OVERLAP, "no-overlap",                                                \
      "starts each polling window one second after the previous end "          \
      "(which is now), without overlap",                                       \
      "FAIL", "0027")                                                          \
    X(NO_TOKEN_REFRESH, "no-token-refresh",                                    \
      "keeps the first access token forever: never refreshes, never "          \
      "creates another",                                                       \
      "FAIL", "0032")                                                          \
    X(CONFIRM_BEFORE_ARRIVAL, "confirm-before-arrival",                        \
      "writes back a return as soon as the buyer shipped it (status 11), "     \
      "without waiting for the warehouse",                                     \
      "FUNDS_AT_RISK", "0003, 0004, 0015")                                     \
    X(IGNORE_INSPECTION, "ignore-inspection",                                  \
      "writes back every return the warehouse reported, whatever its "         \
      "condition, items and quantities",                                       \
      "FUNDS_AT_RISK", "0011, 0012, 0013, 0014")                               \
    X(SHIP_AFTER_REFUND, "ship-after-refund",                                  \
      "the hook lets every parcel leave (shipped:true) without looking for "   \
      "refunds, even succeeded ones",                                          \
      "FUNDS_AT_RISK", "0008")                                                 \
    X(WRITEBACK_PER_PUSH, "writeback-per-push",                                \
      "does not de-duplicate pushes by msg_id and writes back an unshipped "   \
      "refund again for every message about it, without its records",          \
      "FAIL", "0020")                                                          \
    X(GIVE_UP_TRANSIENT, "give-up-transient",                                  \
      "gives up on the first transient error (20000, 60000, "                  \
      "isv.business-failed:10000, no answer)",                                 \
      "FAIL", "0029, 0030, 0031")                                              \
    X(RETRY_WITHOUT_REREAD, "retry-without-reread",                            \
      "after a system timeout or a service error writes back again at once, "  \
      "without re-reading the after-sale",                                     \
      "FAIL", "0029, 0010")                                                    \
    X(NO_SAFETY_POLL, "no-safety-poll",                                        \
      "in push runs relies on pushes alone and never polls", "FAIL", "0022")   \
    X(WRITEBACK_TWICE, "writeback-twice",                                      \
      "sends every write-back twice in a row", "WARN", "0019")                 \
    X(SLOW_POLL, "slow-poll",                                                  \
      "polls every three poll intervals instead of every one", "FAIL",         \
      "0035, 0001")                                                            \
    X(REFUND_BY_OPERATE, "refund-by-operate",                                  \
      "confirms every arrived return with afterSale.operate 111 instead of "   \
      "the write-back, whatever the inspection found",                         \
      "FUNDS_AT_RISK", "0016")                                                 \
    X(RETRY_BUSINESS_ERRORS, "retry-business-errors",                          \
      "writes back again after every poll when the platform answered 11002 "   \
      "(strategy off) or 12001 (already refunded)",                            \
      "FAIL", "0017, 0018")                                                    \
    X(IGNORE_BUYER_CANCEL, "ignore-buyer-cancel",                              \
      "keeps every after-sale as it first saw it: never re-reads, so it "      \
      "follows no withdrawal or modification of the buyer",                    \
      "FAIL", "0009")

enum ref_bug {
#define REF_BUG_ENUM(e, name, what, verdict, where) REF_BUG_##e,
    REF_BUG_MAP(REF_BUG_ENUM)
#undef REF_BUG_ENUM
        REF_BUG_COUNT
};

/* The mask bit of a bug. */
#define REF_BUG_BIT(e) ((uint64_t)1 << REF_BUG_##e)

/* True when bug `e` (an enum ref_bug name without prefix) is in `mask`. */
#define REF_BUGGY(mask, e) (((mask)&REF_BUG_BIT(e)) != 0)

/* Looks up a bug by its name ("page0-only"). Returns 0 and sets *out, or
 * -1 when there is no such bug. */
int ref_bug_parse(const char *name, enum ref_bug *out);

/* The name, the description, the verdict the suite must give and the
 * scenarios that catch it (static strings; NULL for a bad value). */
const char *ref_bug_name(enum ref_bug b);
const char *ref_bug_what(enum ref_bug b);
const char *ref_bug_verdict(enum ref_bug b);
const char *ref_bug_scenarios(enum ref_bug b);

/* Writes the names of the bugs in `mask`, comma-separated, into out ("none"
 * for an empty mask). */
void ref_bug_mask_names(uint64_t mask, char *out, size_t cap);

#endif
