/*
 * ref_decide.h: ddref's decisions as pure functions: given what the
 * database holds about an after-sale (its last version read from the
 * platform, the write-backs recorded, the SKU order's outbound, the return
 * order and the warehouse's inspection), what to do now and why. No
 * network, no database, no clock (the time is an argument), so every rule
 * is unit-tested directly (tests/check_ddref.c).
 *
 * The rules follow harness.md ("The problem it solves", the money-safety
 * invariants) and doudian-open-api.md §4.3-§4.5, §4.9:
 *   - an unshipped refund (type 2) waiting for the seller (status 6) is
 *     written back with afterSale.CancelSendGoodsSuccess once its outbound
 *     is cancelled, unless the warehouse said the parcel left: then it is
 *     never written back, the tracking number's upload (order.logisticsAdd
 *     with is_refund_reject) refuses it;
 *   - a return (type 0) waiting for the seller is agreed (afterSale.operate
 *     101); once the buyer shipped it back (status 11) it is written back
 *     with afterSale.returnGoodsToWareHouseSuccess only when the warehouse
 *     reported the parcel intact with the after-sale's SKU order in at
 *     least its quantity; otherwise it is held for a person;
 *   - a final after-sale is never acted upon, only its consequences are
 *     booked (a refund the platform made, an outbound to restore after a
 *     withdrawn refund);
 *   - a write-back recorded as started whose outcome is unknown (the ERP
 *     died during the call) is never sent again blindly: the after-sale is
 *     re-read first.
 * ref_classify turns a write-back's answer into what happens next (done,
 * retry with or without a re-read, stop).
 */
#ifndef REF_DECIDE_H
#define REF_DECIDE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ref_store.h"

/* The after-sale statuses used here (doudian-open-api.md §4.9). */
#define REF_AS_WAIT_SELLER  6  /* 待商家同意 */
#define REF_AS_WAIT_BUYER   7  /* 待买家退货 */
#define REF_AS_WAIT_RECEIVE 11 /* 待商家收货: the buyer shipped it back */
#define REF_AS_SUCCESS      12 /* 售后成功: refunded */
#define REF_AS_REFUSED      27 /* 商家一次拒绝 */
#define REF_AS_CLOSED       28 /* 售后失败 / 关闭 */

/* The types (aftersale_type). */
#define REF_TYPE_RETURN           0
#define REF_TYPE_SHIPPED_REFUND   1
#define REF_TYPE_UNSHIPPED_REFUND 2

/* refund_type 2: refunded by the after-sales assistant (售后小助手). */
#define REF_REFUND_BY_ASSISTANT 2

/* Write-back attempts before giving up. */
#define REF_MAX_ATTEMPTS 8

/* True when the after-sale can no longer be operated: a final status (12,
 * 14, 28, 29, 51, 53), aftersale_status_to_final_time set, or a
 * pre-shipment refund refused by shipping (27). */
bool ref_is_final(const struct ref_aftersale *a);

/* What to do about one after-sale now. */
enum ref_act {
    REF_DO_NOTHING, /* nothing is the ERP's to do */
    REF_DO_WAIT,    /* not yet: the buyer, the warehouse or a backoff */
    REF_DO_CANCEL,  /* cancel the outbound; CancelSendGoodsSuccess */
    REF_DO_AGREE,   /* afterSale.operate 101 */
    REF_DO_RETURN,  /* returnGoodsToWareHouseSuccess */
    REF_DO_REFUSE_BY_SHIPPING, /* the parcel left: the upload refuses it */
    REF_DO_HOLD,               /* the return failed inspection: a person */
    REF_DO_SETTLE,             /* final: book its consequences */
};

const char *ref_act_name(enum ref_act a);

/* The write-back kind an action sends (REF_KIND_COUNT for none). */
enum ref_kind ref_act_kind(enum ref_act a);

/* Everything a decision looks at. All borrowed. */
struct ref_case {
    const struct ref_aftersale *as;
    struct ref_writeback wb;    /* cancel (type 2) or return (type 0) */
    struct ref_writeback agree; /* returns only */
    struct ref_outbound ob;     /* of the after-sale's SKU order */
    struct ref_return_order ro; /* returns only */
    int64_t now_us;
    /* A return the warehouse reported is acted upon this long after the
     * hook recorded it at the earliest (ddref uses 0: the judge counts a
     * hook's facts from the moment the event was handed out). */
    int64_t settle_us;
    uint64_t bugs; /* ref_bugs.h */
};

struct ref_decision {
    enum ref_act act;
    bool reread;  /* re-read the after-sale (afterSale.Detail) first */
    bool pending; /* continues a recorded write-back (intent or retry) */
    char reason[400];
};

/* Decides what to do about c->as. Never fails. */
void ref_decide(const struct ref_case *c, struct ref_decision *d);

/*
 * The warehouse's inspection of a return: true when the parcel arrived
 * `intact` and its items hold the after-sale's SKU order with at least the
 * after-sale's quantity (harness.md, invariant 3). `why` gets the reason
 * either way.
 */
bool ref_arrival_ok(const struct ref_aftersale *a,
                    const struct ref_return_order *ro, char *why, size_t cap);

/*
 * May SKU order `sku_order_id` leave the warehouse? `as` are the
 * after-sales known on it (freshly read), `ob` its outbound. No when an
 * unshipped refund against it is open or succeeded (harness.md invariant
 * 2), or when the ERP cancelled its outbound for a refund not known to be
 * withdrawn. `why` gets the reason either way.
 */
bool ref_sku_may_ship(int64_t sku_order_id, const struct ref_aftersale *as,
                      size_t n, const struct ref_outbound *ob, char *why,
                      size_t cap);

/* What happens after a write-back's answer. */
struct ref_outcome {
    enum ref_wb_state state; /* DONE, RETRY, STOPPED, ... */
    int64_t delay_ms;        /* RETRY: wait this long */
    bool reread;             /* RETRY: re-read the after-sale first */
    char note[200];
};

/*
 * Classifies the answer to attempt number `attempts` (1 for the first) of
 * a write-back of `kind`: `rc` is the call's result (0, DDC_E_API,
 * DDC_E_TRANSPORT, DDC_E_AUTH, ...), `code` / `sub_code` the envelope's
 * (0 / "" without one). Rules: 10000 done; 12001 done elsewhere (never
 * again); 11002 stopped (the shop's strategy is off: a person decides);
 * isv.business-failed:10000 (system timeout), 20000 and no answer: retry
 * after a backoff, re-reading first (it may have been applied); 60000:
 * retry after a longer backoff without re-reading (nothing was applied); a
 * token error: retry soon; anything else: failed. REF_MAX_ATTEMPTS
 * attempts at most. Backoff: 0.5 s x 2^(attempts-1) (1 s x ... for 60000),
 * at most 30 s.
 */
void ref_classify(enum ref_kind kind, int rc, int64_t code,
                  const char *sub_code, int64_t attempts, uint64_t bugs,
                  struct ref_outcome *o);

/* The same for an upload of a tracking number (order.logisticsAdd):
 * 10000 and 60110 (already shipped) are done. The state is a
 * REF_SHIP_* value. */
void ref_classify_upload(int rc, int64_t code, const char *sub_code,
                         int64_t attempts, uint64_t bugs,
                         enum ref_ship_state *state, int64_t *delay_ms,
                         char *note, size_t cap);

/* The backoff before attempt attempts + 1. */
int64_t ref_backoff_ms(int64_t attempts, bool rate_limited);

#endif
