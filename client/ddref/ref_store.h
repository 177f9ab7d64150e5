/*
 * ref_store.h: ddref's durable state, one SQLite database in
 * DOUDIAN_STATE_DIR (harness.md, "The ERP-under-test contract": the folder
 * survives restarts within a run).
 *
 * The database (ddref.sqlite, WAL journal, synchronous FULL) holds what an
 * ERP must not forget: the after-sales as last read from the platform, the
 * write-backs with their intents and outcomes, the outbound of every SKU
 * order (open, cancelled by a refund, shipped), stock movements and the
 * ledger, the return orders (退货单) with the warehouse's inspection, the
 * shipments to upload, the polling cursor and the pushed messages
 * processed. README.md shows the schema; migrations run in order from
 * PRAGMA user_version, inside one IMMEDIATE transaction, so two processes
 * opening a fresh folder at once (the ERP and a hook) cannot both migrate.
 *
 * The ERP process and every hook invocation open the same file. Each
 * change that must be atomic runs between ref_store_begin (BEGIN
 * IMMEDIATE: the write lock is taken at once, so a decision made inside
 * the transaction cannot be invalidated by another process before it
 * commits) and ref_store_commit. A SIGKILL at any moment leaves the last
 * committed state: SQLite's journal guarantees it.
 *
 * A struct ref_store is used by one thread at a time; each thread opens
 * its own. Functions return 0 or a negative DD_E_* code (DD_E_IO for a
 * database error, whose text is in s->err; DD_E_NOT_FOUND where a row may
 * be absent). Records are plain caller-allocated structs with fixed
 * strings: nothing to free.
 */
#ifndef REF_STORE_H
#define REF_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REF_STORE_FILE "ddref.sqlite"
/* The schema version this build migrates to (PRAGMA user_version). */
#define REF_SCHEMA_VERSION 1

struct sqlite3;

struct ref_store {
    struct sqlite3 *db;
    char path[1100];
    char err[256]; /* the last database error */
    int depth;     /* 1 inside a transaction */
};

/* Opens (creating and migrating when needed) the database of `state_dir`.
 * Returns 0 or DD_E_IO with the reason in `err`. */
int ref_store_open(struct ref_store *s, const char *state_dir, char *err,
                   size_t errlen);

/* Closes the database. Safe on a store that failed to open. */
void ref_store_close(struct ref_store *s);

/* BEGIN IMMEDIATE (waits for the write lock up to the busy timeout),
 * COMMIT, ROLLBACK. ref_store_rollback is safe outside a transaction. */
int ref_store_begin(struct ref_store *s);
int ref_store_commit(struct ref_store *s);
void ref_store_rollback(struct ref_store *s);

/* The schema version of the open database. */
int ref_store_schema_version(struct ref_store *s);

/* ---------------------------------------------------------------- meta */

/* Integer settings by name (the polling cursor "poll_last_end", ...).
 * _get returns DD_E_NOT_FOUND when unset. */
int ref_store_meta_get(struct ref_store *s, const char *key, int64_t *out);
int ref_store_meta_set(struct ref_store *s, const char *key, int64_t value);

/* ---------------------------------------------------------- after-sales */

/* An after-sale as last read (afterSale.List item or afterSale.Detail). */
struct ref_aftersale {
    int64_t id;
    int64_t type;   /* 0 return, 1 shipped refund, 2 unshipped refund */
    int64_t status; /* 6, 7, 11, 12, 27, 28, ... (doudian-open-api §4.9) */
    int64_t refund_status, refund_type;
    int64_t order_id, sku_order_id, product_id;
    int64_t quantity, refund_amount;
    int64_t update_time; /* the platform's version of the after-sale */
    int64_t final_time;  /* aftersale_status_to_final_time, 0 = open */
    int64_t got_pkg;
    char return_tracking_no[64];
    char return_company[64];
    int64_t read_at_us; /* when the answer was read */
    char source[8];     /* "list", "detail" */
};

/* What ref_store_aftersale_put did. */
enum ref_put {
    REF_PUT_NEW,     /* first time seen */
    REF_PUT_UPDATED, /* a newer version replaced the stored one */
    REF_PUT_SAME,    /* the same version again (read_at refreshed) */
    REF_PUT_STALE,   /* an older version: ignored */
    REF_PUT_FROZEN,  /* known already and `frozen`: ignored (a mutant) */
};

/*
 * Stores an after-sale read from the platform. The newest version wins:
 * a larger update_time, or the same update_time read later (update_time
 * has one-second steps, so two changes in one second are told apart by
 * when they were read). Any change of the stored version marks the
 * after-sale unsettled (ref_store_unsettled lists it again). With `frozen`
 * (the ignore-buyer-cancel mutant) a known after-sale is never updated.
 * `*outcome` may be NULL.
 */
int ref_store_aftersale_put(struct ref_store *s, const struct ref_aftersale *a,
                            bool frozen, enum ref_put *outcome);

/* Reads one after-sale. Returns 0 or DD_E_NOT_FOUND. */
int ref_store_aftersale_get(struct ref_store *s, int64_t id,
                            struct ref_aftersale *out);

/* The ids of the after-sales the ERP has not settled yet (open ones, and
 * final ones whose consequences are not booked yet), oldest first, in a
 * new array (free with free()); *n may be 0 (then *ids is NULL). */
int ref_store_unsettled(struct ref_store *s, int64_t **ids, size_t *n);

/* Marks after-sale `id` settled, unless a version newer than
 * `update_time` / `read_at_us` arrived meanwhile. */
int ref_store_settle(struct ref_store *s, int64_t id, int64_t update_time,
                     int64_t read_at_us);

/* Every stored after-sale of SKU order `sku_order_id` into out[0..cap),
 * *n the number found (may exceed cap: only cap are written). */
int ref_store_aftersales_of_sku(struct ref_store *s, int64_t sku_order_id,
                                struct ref_aftersale *out, size_t cap,
                                size_t *n);

/* Every stored after-sale of shop order `order_id`, as
 * ref_store_aftersales_of_sku. */
int ref_store_aftersales_of_order(struct ref_store *s, int64_t order_id,
                                  struct ref_aftersale *out, size_t cap,
                                  size_t *n);

/* The number of stored after-sales. */
int ref_store_aftersale_count(struct ref_store *s, int64_t *n);

/* ----------------------------------------------------------- write-backs */

/* What the ERP writes back to the platform for an after-sale. */
enum ref_kind {
    REF_KIND_CANCEL, /* afterSale.CancelSendGoodsSuccess */
    REF_KIND_RETURN, /* afterSale.returnGoodsToWareHouseSuccess */
    REF_KIND_AGREE,  /* afterSale.operate 101: agree to a return */
    REF_KIND_COUNT
};

/* Where a write-back stands. */
enum ref_wb_state {
    REF_WB_NONE,           /* never tried */
    REF_WB_INTENT,         /* recorded before the call: outcome unknown */
    REF_WB_RETRY,          /* failed transiently: again at next_at_us */
    REF_WB_DONE,           /* the platform accepted it */
    REF_WB_DONE_ELSEWHERE, /* already refunded another way (12001) */
    REF_WB_STOPPED,        /* refused for good (11002): a person decides */
    REF_WB_FAILED,         /* refused, or too many attempts */
    REF_WB_OBSOLETE,       /* the after-sale no longer needs it */
    REF_WB_RETRY_POLL,     /* the retry-business-errors mutant's state */
    REF_WB_STATE_COUNT
};

struct ref_writeback {
    int64_t aftersale_id;
    enum ref_kind kind;
    enum ref_wb_state state;
    int64_t attempts;   /* calls made */
    int64_t next_at_us; /* REF_WB_RETRY: not before */
    bool reread;        /* re-read the after-sale before the next call */
    char note[200];     /* the last outcome, for people */
    int64_t updated_us;
};

const char *ref_kind_name(enum ref_kind k);
const char *ref_wb_state_name(enum ref_wb_state st);

/* True for the states after which the write-back is never sent again. */
bool ref_wb_terminal(enum ref_wb_state st);

/* Reads the write-back of (id, kind); absent = state REF_WB_NONE,
 * attempts 0 (returns 0). */
int ref_store_wb_get(struct ref_store *s, int64_t aftersale_id,
                     enum ref_kind kind, struct ref_writeback *out);

/* Inserts or replaces the write-back row. */
int ref_store_wb_put(struct ref_store *s, const struct ref_writeback *w);

/* ------------------------------------------------------------ outbounds */

/* The warehouse's outbound (出库) of one SKU order. */
enum ref_ob_status {
    REF_OB_NONE,      /* no row: an outbound not touched yet (open) */
    REF_OB_OPEN,      /* to ship (restored after a withdrawn refund) */
    REF_OB_CANCELLED, /* cancelled for a pre-shipment refund */
    REF_OB_SHIPPED,   /* handed to the courier */
};

struct ref_outbound {
    int64_t sku_order_id, order_id, product_id, quantity;
    enum ref_ob_status status;
    int64_t aftersale_id; /* the refund that cancelled it */
    char company_code[32];
    char tracking_no[64];
    int64_t updated_us;
};

const char *ref_ob_status_name(enum ref_ob_status st);

/* Reads an outbound; absent = status REF_OB_NONE (returns 0). */
int ref_store_outbound_get(struct ref_store *s, int64_t sku_order_id,
                           struct ref_outbound *out);
int ref_store_outbound_put(struct ref_store *s, const struct ref_outbound *o);

/* ----------------------------------------------------- stock and ledger */

/* Moves stock of product `product_id`: available += d_available,
 * reserved += d_reserved (relative to the opening stock). */
int ref_store_stock_move(struct ref_store *s, int64_t product_id,
                         int64_t d_available, int64_t d_reserved);

/* Reads the stock of a product (0, 0 when never moved). */
int ref_store_stock_get(struct ref_store *s, int64_t product_id,
                        int64_t *available, int64_t *reserved);

/* Appends a ledger line: `entry` names what happened
 * ("outbound_cancelled", "refund_written_back", ...). */
int ref_store_ledger_add(struct ref_store *s, int64_t aftersale_id,
                         int64_t sku_order_id, const char *entry,
                         int64_t quantity, int64_t amount, const char *note);

/* The number of ledger lines of `aftersale_id` with `entry` (NULL = any). */
int ref_store_ledger_count(struct ref_store *s, int64_t aftersale_id,
                           const char *entry, int64_t *n);

/* -------------------------------------------------------- return orders */

enum ref_ro_state {
    REF_RO_NONE,     /* no return order */
    REF_RO_AWAITING, /* agreed; waiting for the parcel */
    REF_RO_ARRIVED,  /* the warehouse reported the parcel */
    REF_RO_ACCEPTED, /* inspection passed: written back */
    REF_RO_REJECTED, /* inspection failed: a person decides */
    REF_RO_CLOSED,   /* the after-sale ended otherwise */
};

#define REF_ARRIVAL_ITEMS_MAX 16

struct ref_return_item {
    int64_t sku_order_id, quantity;
};

/* A return order (退货单) and the warehouse's inspection of its parcel. */
struct ref_return_order {
    int64_t aftersale_id, sku_order_id, order_id, product_id, quantity;
    char tracking_no[64]; /* the buyer's return parcel, as the platform says */
    char company[64];
    enum ref_ro_state state;
    bool arrived;
    int64_t arrived_us;
    char condition[16]; /* intact, damaged, wrong_item, empty */
    char arrival_tracking_no[64];
    struct ref_return_item items[REF_ARRIVAL_ITEMS_MAX];
    size_t n_items;
    char note[200];
};

const char *ref_ro_state_name(enum ref_ro_state st);

/* Reads a return order; absent = state REF_RO_NONE (returns 0). */
int ref_store_return_get(struct ref_store *s, int64_t aftersale_id,
                         struct ref_return_order *out);

/* Inserts or replaces a return order (the arrival fields included). */
int ref_store_return_put(struct ref_store *s, const struct ref_return_order *r);

/* ------------------------------------------------------------ shipments */

enum ref_ship_state {
    REF_SHIP_NONE,
    REF_SHIP_PENDING, /* the warehouse shipped: upload the tracking number */
    REF_SHIP_INTENT,  /* upload sent, outcome unknown */
    REF_SHIP_RETRY,
    REF_SHIP_DONE,
    REF_SHIP_FAILED,
};

/* One parcel of a shop order handed to the courier (the hook recorded
 * it); the ERP uploads its tracking number with order.logisticsAdd. */
struct ref_shipment {
    int64_t order_id;
    char company_code[32];
    char tracking_no[64];
    enum ref_ship_state state;
    int64_t attempts, next_at_us, created_us;
    char note[200];
};

const char *ref_ship_state_name(enum ref_ship_state st);

int ref_store_shipment_get(struct ref_store *s, int64_t order_id,
                           struct ref_shipment *out);
int ref_store_shipment_put(struct ref_store *s, const struct ref_shipment *sh);

/* The order ids of shipments not done or failed, in a new array. */
int ref_store_shipments_open(struct ref_store *s, int64_t **ids, size_t *n);

/* ---------------------------------------------------------------- pushes */

/* Records a pushed message by msg_id. *fresh is true when it was not
 * known (the first delivery); a message with `state` "ignored" is kept
 * only for de-duplication. */
int ref_store_push_add(struct ref_store *s, const char *msg_id, const char *tag,
                       int64_t aftersale_id, const char *state,
                       const char *note, bool *fresh);

/* The after-sale ids of pending messages (distinct, oldest first) in a
 * new array. */
int ref_store_push_pending(struct ref_store *s, int64_t **ids, size_t *n);

/* Marks every pending message about `aftersale_id` with `state`
 * ("done", "ignored"). */
int ref_store_push_settle(struct ref_store *s, int64_t aftersale_id,
                          const char *state, const char *note);

/* The number of messages recorded (tests). */
int ref_store_push_count(struct ref_store *s, int64_t *n);

#endif
