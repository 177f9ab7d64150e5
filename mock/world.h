/*
 * world.h: the state of one fake Doudian app and everything it can see.
 *
 * A world is what one app_key reaches: the app (self-use or tool-type, its
 * 19-digit app_key and secret), its shops with their after-sales-assistant
 * strategies, products and SKUs, orders and their SKU orders, after-sales
 * with their full record, tokens and authorization codes, and the refunds
 * the platform paid. Any number of worlds live in one process, keyed by
 * app_key (struct mock_worlds), isolated from each other.
 *
 * Entities sit in growable arrays and refer to each other by index; ids map
 * to indexes through hash maps, and after-sales are also kept in two sorted
 * indexes (by update_time and by apply_time) so that afterSale.List answers
 * a time window on a million after-sales without a scan.
 *
 * State changes that the platform makes (refunds, status moves, records)
 * are functions here, so the API handlers, the admin API and later the
 * actors and timers all move the same state machine the same way.
 *
 * Ownership: one thread, the event loop's, owns every world (see
 * mock/server.h). Nothing here locks.
 *
 * Enum values are Doudian's (doudian-open-api.md §4.1, §4.7, §4.9).
 */
#ifndef MOCK_WORLD_H
#define MOCK_WORLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "settings.h"

#define MOCK_NONE UINT32_MAX /* "no index" */

/* ---------------------------------------------------------------- enums */

enum mock_app_type { MOCK_APP_SELF, MOCK_APP_TOOL };

/* aftersale_type */
enum {
    MOCK_AS_TYPE_RETURN = 0,           /* 退货退款 */
    MOCK_AS_TYPE_SHIPPED_REFUND = 1,   /* 已发货仅退款 */
    MOCK_AS_TYPE_UNSHIPPED_REFUND = 2, /* 未发货仅退款 */
};

/* aftersale_status (standard_aftersale_status) */
enum {
    MOCK_AS_WAIT_SELLER_AGREE = 6,    /* 待商家同意 */
    MOCK_AS_WAIT_BUYER_RETURN = 7,    /* 待买家退货 */
    MOCK_AS_WAIT_SELLER_RECEIVE = 11, /* 待商家二次同意 (buyer shipped) */
    MOCK_AS_SUCCESS = 12,             /* 售后成功 */
    MOCK_AS_SELLER_REFUSED = 27,      /* 商家一次拒绝 */
    MOCK_AS_CLOSED = 28,              /* 售后失败 / closed */
    MOCK_AS_SELLER_REFUSED_2 = 29,    /* 商家二次拒绝 */
};

/* refund_status */
enum {
    MOCK_REFUND_PENDING = 1, /* 待退款 */
    MOCK_REFUND_RUNNING = 2, /* 退款中 */
    MOCK_REFUND_DONE = 3,    /* 退款成功 */
    MOCK_REFUND_FAILED = 4,  /* 退款失败 */
};

/* refund_type (退款方式) of a refunded after-sale */
enum {
    MOCK_REFUND_BY_NONE = 0,
    MOCK_REFUND_BY_ASSISTANT = 2, /* 售后小助手 */
};

/* SKU order status as afterSale.List shows it (related_order_info) */
enum {
    MOCK_SKU_UNSHIPPED = 2, /* 未发货 */
    MOCK_SKU_SHIPPED = 3,   /* 已发货 */
    MOCK_SKU_CANCELLED = 4, /* refunded before shipping */
    MOCK_SKU_DONE = 5,      /* 已收货或已完成 */
};

/* order_status of a shop order (order.orderDetail) */
enum {
    MOCK_ORDER_PAID = 2, /* 备货中 */
    MOCK_ORDER_PARTLY_SHIPPED = 101,
    MOCK_ORDER_SHIPPED = 3,
    MOCK_ORDER_CANCELLED = 4,
    MOCK_ORDER_DONE = 5,
};

/* auto_audit_bits we set */
enum {
    MOCK_AUDIT_ASSISTANT_REFUND = 2, /* 小助手自动同意退款 */
    MOCK_AUDIT_ASSISTANT_RETURN = 7, /* 小助手自动同意退货 */
};

/* record role */
enum {
    MOCK_ROLE_BUYER = 1,
    MOCK_ROLE_SELLER = 2,
    MOCK_ROLE_SERVICE = 3,
    MOCK_ROLE_SYSTEM = 4,
};

/* ---------------------------------------------------------------- entities */

struct mock_shop {
    int64_t shop_id;
    char *name;
    bool cancel_auto_refund; /* assistant: ERP cancel-shipment auto refund */
    bool return_auto_refund; /* assistant: return-to-warehouse auto refund */
};

struct mock_sku {
    int64_t sku_id;
    uint32_t product; /* index into products */
    int64_t price;    /* fen */
    char *spec; /* "颜色:红色;尺码:M" (name:value pairs, ';'-separated) */
    char *code; /* shop_sku_code / 商家编码 */
};

struct mock_product {
    int64_t product_id;
    char *name;
    char *image;
};

struct mock_sku_order {
    int64_t sku_order_id;
    uint32_t order; /* index into orders */
    uint32_t sku;   /* index into skus */
    int32_t quantity;
    int64_t pay_amount;  /* fen, what the buyer paid for this line */
    int64_t post_amount; /* fen */
    int32_t status;      /* MOCK_SKU_* */
    int64_t ship_time;
    int64_t refunded;   /* fen refunded so far (never > pay_amount) */
    uint32_t aftersale; /* the latest after-sale of this line or MOCK_NONE */
};

struct mock_order {
    int64_t order_id; /* shop (parent) order id */
    uint32_t shop;    /* index into shops */
    int32_t status;   /* MOCK_ORDER_* */
    int64_t create_time, pay_time, update_time, ship_time, finish_time;
    int64_t post_amount;
    int32_t pay_type;
    uint32_t first_sku_order, n_sku_orders; /* contiguous in sku_orders */
    char *company_code;                     /* shipping, once shipped */
    char *tracking_no;
    char *buyer_words;
    char *seller_words; /* remarks (afterSale.addOrderRemark) */
};

/* One entry of an after-sale's record (record_logs_list / seller_logs). */
struct mock_record {
    struct mock_record *next;
    int64_t time;
    int32_t role; /* MOCK_ROLE_* */
    char *action; /* short machine word: "apply", "agree", "refund", ... */
    char *text;   /* what a person reads (Chinese, as the platform shows) */
};

struct mock_aftersale {
    int64_t aftersale_id;
    uint32_t order;     /* index into orders */
    uint32_t sku_order; /* index into sku_orders (related_id) */
    int32_t type;       /* MOCK_AS_TYPE_* */
    int32_t status;     /* MOCK_AS_* */
    int32_t refund_status;
    int32_t refund_type; /* 退款方式, MOCK_REFUND_BY_* */
    int32_t reason_code; /* buyer's reason (legacy list 1-34) */
    int32_t quantity;    /* aftersale_num */
    int32_t got_pkg;     /* 0/1 */
    int32_t arbitrate_status;
    int32_t apply_role;       /* MOCK_ROLE_* */
    uint32_t auto_audit_bits; /* bit n set = value n in auto_audit_bits[] */
    int64_t refund_amount;    /* fen, including post */
    int64_t refund_post_amount;
    int64_t apply_time, update_time, status_deadline;
    int64_t refund_time; /* when the refund succeeded, 0 = not */
    int64_t final_time;  /* aftersale_status_to_final_time, 0 = open */
    char *reason_text;   /* the buyer's words */
    char *return_company_code;
    char *return_tracking_no;
    int64_t return_ship_time;
    char *remark; /* seller remark (afterSale.addOrderRemark) */
    struct mock_record *records, *last_record;
    uint32_t n_records;
    /* positions in the sorted indexes (maintained by world.c) */
    uint32_t pos_update;
};

struct mock_token {
    char access_token[40];
    char refresh_token[40];
    uint32_t shop;
    int64_t access_expires;  /* real Unix seconds */
    int64_t refresh_expires; /* real Unix seconds */
    int64_t dead_after;      /* 0, or when a superseded pair stops working */
    bool revoked;
};

struct mock_auth_code {
    char code[40];
    uint32_t shop;
    int64_t expires; /* real Unix seconds */
    bool used;
};

/* A refund the platform paid (append-only ledger). */
struct mock_refund {
    int64_t time;
    uint32_t aftersale;
    uint32_t sku_order;
    int64_t amount;  /* fen */
    const char *via; /* "CancelSendGoodsSuccess", "operate:111", ... */
};

/* Message tags of refund pushes (doudian-open-api.md §5.5). */
enum {
    MOCK_TAG_REFUND_CREATED = 200,
    MOCK_TAG_REFUND_AGREED = 201,
    MOCK_TAG_RETURN_APPLY_AGREED = 202,
    MOCK_TAG_BUYER_RETURN_GOODS = 203,
    MOCK_TAG_REFUND_REFUSED = 204,
    MOCK_TAG_RETURN_APPLY_REFUSED = 205,
    MOCK_TAG_REFUND_SUCCESS = 206,
    MOCK_TAG_REFUND_CLOSED = 207,
    MOCK_TAG_REFUND_MODIFIED = 208,
    /* not a message: the after-sale's status_deadline changed */
    MOCK_EVENT_DEADLINE = -1,
};

/*
 * Something the platform did that the rest of the mock must act on: a
 * message to push (tag >= 200, with its `data` JSON built at the moment of
 * the change, so it shows the state of that moment) or a new deadline for
 * the timers. World changes append events to the world's outbox; the
 * server drains every outbox after each piece of work (request, timer,
 * admin action) into the push queue and the timer heap.
 */
struct mock_event {
    int tag;
    uint32_t aftersale;
    int64_t time; /* real seconds */
    char *data;   /* owned: the message's data JSON (NULL for deadlines) */
};

/* An app's push subscription (set by the admin API or the world file). */
struct mock_subscription {
    char *url;        /* NULL = not subscribed */
    uint64_t tags[5]; /* bit (tag - 200) for 200..519; all zero = all */
    bool verified;    /* the tag "0" verification message was acked */
};

/* An id -> index hash map (open addressing, linear probing). */
struct mock_idmap {
    int64_t *keys;
    uint32_t *vals;
    size_t cap, n;
};

#define MOCK_VEC(T)                                                            \
    struct {                                                                   \
        T *v;                                                                  \
        uint32_t n, cap;                                                       \
    }

struct mock_world {
    char app_key[20];
    char app_secret[40];
    enum mock_app_type app_type;
    char *name;
    struct mock_settings settings;
    int64_t loaded_at; /* real time the world was created */
    uint64_t rng;      /* splitmix64 state for ids and tokens */

    MOCK_VEC(struct mock_shop) shops;
    MOCK_VEC(struct mock_product) products;
    MOCK_VEC(struct mock_sku) skus;
    MOCK_VEC(struct mock_order) orders;
    MOCK_VEC(struct mock_sku_order) sku_orders;
    MOCK_VEC(struct mock_aftersale) aftersales;
    MOCK_VEC(struct mock_token) tokens;
    MOCK_VEC(struct mock_auth_code) auth_codes;
    MOCK_VEC(struct mock_refund) refunds;

    struct mock_idmap shop_ids, product_ids, sku_ids, order_ids, sku_order_ids,
        aftersale_ids;

    uint64_t serial; /* unique in the process, set by mock_worlds_add */
    MOCK_VEC(struct mock_event) outbox;
    struct mock_subscription subscription;

    /* after-sale indexes, each sorted ascending by (time, aftersale_id) */
    uint32_t *by_update; /* n = aftersales.n */
    uint32_t *by_apply;
    uint32_t index_cap;
};

/* ---------------------------------------------------------------- ids */

void mock_idmap_init(struct mock_idmap *m);
void mock_idmap_free(struct mock_idmap *m);
/* Returns the index for `id`, or MOCK_NONE. */
uint32_t mock_idmap_get(const struct mock_idmap *m, int64_t id);
/* Inserts or replaces. */
void mock_idmap_put(struct mock_idmap *m, int64_t id, uint32_t val);

/* ---------------------------------------------------------------- world */

/* Returns a new empty world with fresh credentials drawn from `seed`
 * (app_key 19 digits, secret uuid-like), settings copied from `defaults`.
 * Free with mock_world_free. */
struct mock_world *mock_world_new(const struct mock_settings *defaults,
                                  uint64_t seed, int64_t now);
void mock_world_free(struct mock_world *w);

/* The next 64-bit random number of the world's stream. */
uint64_t mock_world_rand(struct mock_world *w);
/* A fresh 19-digit id not used by any entity of the world. */
int64_t mock_world_new_id(struct mock_world *w);

/* Adders: copy `x` (taking ownership of its strings), index it, and return
 * its index. The caller has validated references and uniqueness (use the
 * lookups below); adders abort on a duplicate id, a programming error. */
uint32_t mock_world_add_shop(struct mock_world *w, struct mock_shop *x);
uint32_t mock_world_add_product(struct mock_world *w, struct mock_product *x);
uint32_t mock_world_add_sku(struct mock_world *w, struct mock_sku *x);
/* Adds an order and its n SKU orders (contiguous); `items[i].order` is set
 * here. */
uint32_t mock_world_add_order(struct mock_world *w, struct mock_order *x,
                              struct mock_sku_order *items, uint32_t n);
uint32_t mock_world_add_aftersale(struct mock_world *w,
                                  struct mock_aftersale *x);

/* Lookups by id: index or MOCK_NONE. */
uint32_t mock_world_shop(const struct mock_world *w, int64_t id);
uint32_t mock_world_product(const struct mock_world *w, int64_t id);
uint32_t mock_world_sku(const struct mock_world *w, int64_t id);
uint32_t mock_world_order(const struct mock_world *w, int64_t id);
uint32_t mock_world_sku_order(const struct mock_world *w, int64_t id);
uint32_t mock_world_aftersale(const struct mock_world *w, int64_t id);

/* ---------------------------------------------------------------- state */

/* Sets an after-sale's update_time and keeps the update index sorted. Every
 * change of an after-sale goes through this (or a function below). */
void mock_aftersale_touch(struct mock_world *w, uint32_t as, int64_t now);

/* Appends a record entry (copies the strings). */
void mock_aftersale_record(struct mock_world *w, uint32_t as, int64_t now,
                           int role, const char *action, const char *text);

/* True once the after-sale can no longer be operated (final_time != 0). */
bool mock_aftersale_is_final(const struct mock_aftersale *a);

/*
 * The platform refunds the after-sale now: refund_status 3, status 12,
 * refund_time, final_time, `refund_type`, `audit_bit` added to
 * auto_audit_bits (0 = none), a record, the ledger entry, the SKU order's
 * `refunded`, and for a pre-shipment refund the SKU order is cancelled and
 * the shop order becomes cancelled when none of its lines is left to ship.
 * The amount is capped at what is left of the line's pay_amount + post
 * (the platform never pays more than was paid). `via` must be a static
 * string. Emits 201 (agreed) and 206 (refund paid). Returns the amount
 * paid.
 */
int64_t mock_aftersale_refund(struct mock_world *w, uint32_t as, int64_t now,
                              int refund_type, int audit_bit, const char *via);

/* Moves an after-sale to `status` (and final for 12, 27(for type 2), 28,
 * 29), touching it and recording `text` for `role`. The message of the
 * transition is emitted here (6->7 of a return: 202; ->27: 205 for a
 * return, 204 otherwise; 11->29: 204; 7->11: 203; ->28: 207; 12 comes
 * from mock_aftersale_refund), and a new deadline as MOCK_EVENT_DEADLINE. */
void mock_aftersale_set_status(struct mock_world *w, uint32_t as, int status,
                               int64_t now, int role, const char *action,
                               const char *text);

/* The deadline of the after-sale's current node given its status, in real
 * seconds: now + the setting's duration / time_scale; 0 for final states. */
int64_t mock_aftersale_deadline(const struct mock_world *w,
                                const struct mock_aftersale *a, int64_t now);

/* The open (not final) pre-shipment refund of a SKU order, or MOCK_NONE. */
uint32_t mock_sku_order_open_refund(const struct mock_world *w, uint32_t so);

/* Recomputes a shop order's status from its lines (shipped, partly
 * shipped, cancelled) and sets its update_time. */
void mock_order_refresh(struct mock_world *w, uint32_t order, int64_t now);

/* Appends an event to the world's outbox. For a message (tag >= 200) its
 * data is built now by mock_message_data (messages.h). */
void mock_world_emit(struct mock_world *w, int tag, uint32_t as, int64_t now);

/* Frees the outbox's events and empties it. */
void mock_world_outbox_clear(struct mock_world *w);

/* ---------------------------------------------------------------- tokens */

/* Issues a new token pair for a shop (lifetimes from the settings, scaled
 * by time_scale). Returns its index. */
uint32_t mock_token_issue(struct mock_world *w, uint32_t shop, int64_t now);
/* Finds a token by access_token / refresh_token string: index or
 * MOCK_NONE. */
uint32_t mock_token_by_access(const struct mock_world *w, const char *s);
uint32_t mock_token_by_refresh(const struct mock_world *w, const char *s);
/* Issues a one-time authorization code for a shop; returns its index. */
uint32_t mock_auth_code_issue(struct mock_world *w, uint32_t shop, int64_t now);

/* ---------------------------------------------------------------- worlds */

/* All worlds of the process, by app_key. */
struct mock_worlds {
    struct mock_world **v;
    size_t n, cap;
};

void mock_worlds_init(struct mock_worlds *ws);
/* Frees every world. */
void mock_worlds_free(struct mock_worlds *ws);
/* Takes ownership and gives the world its serial; every open after-sale's
 * deadline goes to the outbox (so the server schedules its timer). Returns
 * 0, or -1 when the app_key is already taken. */
int mock_worlds_add(struct mock_worlds *ws, struct mock_world *w);
/* Borrowed, or NULL. */
struct mock_world *mock_worlds_get(const struct mock_worlds *ws,
                                   const char *app_key);
/* The world with this serial, or NULL (it was deleted). */
struct mock_world *mock_worlds_by_serial(const struct mock_worlds *ws,
                                         uint64_t serial);
/* Removes and frees. Returns 0 or -1 when absent. */
int mock_worlds_remove(struct mock_worlds *ws, const char *app_key);

#endif
