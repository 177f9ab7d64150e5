/*
 * check_mock_actors.c: end-to-end tests of ddmock's actors and platform
 * timers (mock/actors.c; mock/README.md "Actors and platform timers").
 *
 * Each buyer, logistics and platform action is driven through the admin
 * API and its result read back through the real APIs (afterSale.Detail and
 * List) or the admin API's world-file view of the after-sale; each illegal
 * action must answer 409 with its message and change nothing. The timers
 * run under large time scales (time_scale=172800 turns 48 h into 1 s) and
 * through fire_timer. Both seed flows of the issue run end to end through
 * the real APIs. Expected ids, amounts and statuses come from the
 * documented default world (mock/WORLD.md), never from the code under
 * test. Message delivery itself is the push tests' business.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mock_util.h"
#include "suites.h"

#define AS_PRE_101   "7000000000000000101" /* unshipped_refund, 6 */
#define AS_PRE_202   "7000000000000000202" /* unshipped_refund, 6 */
#define AS_RET_301   "7000000000000000301" /* return, 6 */
#define AS_RET_401   "7000000000000000401" /* return, 7 */
#define AS_RET_501   "7000000000000000501" /* return, 11 */
#define AS_REF_601   "7000000000000000601" /* shipped_refund, 6, 800 post */
#define AS_DONE_701  "7000000000000000701" /* return, 12 */
#define AS_CLOSE_801 "7000000000000000801" /* shipped_refund, 28 */

#define SO_FREE_901  "6920000000000000901" /* unshipped, 6900, no after-sale */
#define SO_FREE_902  "6920000000000000902" /* unshipped, 8900 */
#define SO_SHIP_1001 "6920000000000001001" /* shipped, 红糖 ×3, 7500 */
#define SO_PRE_101   "6920000000000000101" /* unshipped, open refund 101 */

#define MAX_ENVS 64

static struct tmock T;
static struct dd_envelope envs[MAX_ENVS];
static int n_envs;
static char *last; /* body of the last admin answer */
static struct dd_json_doc last_doc;
static bool last_parsed;

static void forget_last(void)
{
    if (last_parsed)
        dd_json_doc_free(&last_doc);
    last_parsed = false;
    free(last);
    last = NULL;
}

static void start(const char *const *sets)
{
    tmock_start(&T, sets);
    tmock_token(&T);
}

static void stop(void)
{
    for (int i = 0; i < n_envs; i++) {
        dd_envelope_free(&envs[i]);
        memset(&envs[i], 0, sizeof envs[i]);
    }
    n_envs = 0;
    forget_last();
    tmock_stop(&T);
}

static void setup(void)
{
    start(NULL);
}

static void teardown(void)
{
    stop();
}

/* ============================================================ helpers */

/* Sends an admin call with a printf-formed path; the body (may be NULL) is
 * sent as is. Returns the HTTP status; the answer is in `last`. */
static long adm(const char *verb, const char *body, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static long adm(const char *verb, const char *body, const char *fmt, ...)
{
    char path[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(path, sizeof path, fmt, ap);
    va_end(ap);
    forget_last();
    return tadmin(&T, verb, path, body, &last);
}

/* POSTs action `name` of the current world with a printf-formed body. */
static long act(const char *name, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static long act(const char *name, const char *fmt, ...)
{
    char body[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(body, sizeof body, fmt, ap);
    va_end(ap);
    return adm("POST", body, "/_mock/worlds/%s/actions/%s", T.app_key, name);
}

/* Asserts that the last admin answer was 200 and returns its JSON. */
static const struct dd_json *ok_json(long status)
{
    ck_assert_msg(status == 200, "expected 200, got %ld: %s", status, last);
    if (!last_parsed)
        tjson(last, &last_doc);
    last_parsed = true;
    return last_doc.root;
}

/* Asserts that the last admin answer was `status` with exactly this
 * error message. */
static void refused(long got, long status, const char *message)
{
    ck_assert_msg(got == status, "expected %ld, got %ld: %s", status, got,
                  last);
    struct dd_json_doc doc;
    const struct dd_json *r = tjson(last, &doc);
    const char *e = tjstr(r, "error");
    ck_assert_ptr_nonnull(e);
    if (message)
        ck_assert_str_eq(e, message);
    dd_json_doc_free(&doc);
}

/* The integer at `path` under `v`. */
static int64_t jint(const struct dd_json *v, const char *path)
{
    const struct dd_json *n = tjnode(v, path);
    ck_assert_msg(n != NULL, "no %s", path);
    int64_t x = 0;
    ck_assert_msg(dd_json_int64(n, &x) == 0, "%s is not an integer", path);
    return x;
}

/* Sends `method` with the printf-formed param_json; the envelope lives
 * until the test ends. */
static const struct dd_envelope *call(const char *method, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static const struct dd_envelope *call(const char *method, const char *fmt, ...)
{
    ck_assert_int_lt(n_envs, MAX_ENVS);
    struct dd_buf pj;
    dd_buf_init(&pj, 0);
    va_list ap;
    va_start(ap, fmt);
    dd_buf_vprintf(&pj, fmt, ap);
    va_end(ap);
    struct dd_envelope *e = &envs[n_envs++];
    long status = tcall(&T, method, dd_buf_str(&pj), NULL, e);
    dd_buf_free(&pj);
    ck_assert_int_eq(status, 200);
    return e;
}

static const struct dd_envelope *ok(const struct dd_envelope *e)
{
    ck_assert_msg(e->code == 10000, "expected success, got %lld %s %s",
                  (long long)e->code, e->sub_code, e->sub_msg);
    return e;
}

static int64_t num(const struct dd_envelope *e, const char *path)
{
    const struct dd_json *v = tnode(e, path);
    ck_assert_msg(v != NULL, "no %s", path);
    int64_t x = 0;
    ck_assert_int_eq(dd_json_int64(v, &x), 0);
    return x;
}

#define INFO "process_info.after_sale_info."

/* afterSale.Detail of one after-sale, with its record. */
static const struct dd_envelope *detail(const char *id)
{
    return ok(call("afterSale.Detail",
                   "{\"after_sale_id\":\"%s\",\"need_operation_record\":true}",
                   id));
}

/* The last record entry of a Detail answer: its action and role. */
static void last_record(const struct dd_envelope *e, const char **action,
                        int64_t *role)
{
    const struct dd_json *r = tnode(e, "process_info.record_logs_list");
    ck_assert_ptr_nonnull(r);
    ck_assert_uint_gt(r->n, 0);
    const struct dd_json *x = &r->kids[r->n - 1];
    *action = tjstr(x, "action");
    *role = jint(x, "role");
}

/* True when a Detail answer's record holds an entry with `action`. */
static bool has_record(const struct dd_envelope *e, const char *action)
{
    const struct dd_json *r = tnode(e, "process_info.record_logs_list");
    ck_assert_ptr_nonnull(r);
    for (size_t i = 0; i < r->n; i++) {
        const char *a = tjstr(&r->kids[i], "action");
        if (a && strcmp(a, action) == 0)
            return true;
    }
    return false;
}

/*
 * The after-sale as the admin API shows it (world-file form), parsed into
 * `doc` (free with dd_json_doc_free): reads need no token, so they work
 * whatever the time scale did to the token.
 */
static const struct dd_json *entity(const char *id, struct dd_json_doc *doc)
{
    char path[128], *out = NULL;
    snprintf(path, sizeof path, "/_mock/worlds/%s/aftersales/%s", T.app_key,
             id);
    ck_assert_int_eq(tadmin(&T, "GET", path, NULL, &out), 200);
    const struct dd_json *r = tjnode(tjson(out, doc), "entity");
    free(out);
    ck_assert_ptr_nonnull(r);
    return r;
}

static int64_t entity_int(const char *id, const char *key)
{
    struct dd_json_doc doc;
    int64_t v = jint(entity(id, &doc), key);
    dd_json_doc_free(&doc);
    return v;
}

/* Polls after-sale `id` until its status is `status`, for at most
 * `max_ms`; returns the status last seen. */
static int64_t wait_status(const char *id, int64_t status, int max_ms)
{
    int64_t s = -1;
    for (int waited = 0; waited <= max_ms; waited += 50) {
        s = entity_int(id, "status");
        if (s == status)
            break;
        usleep(50 * 1000);
    }
    return s;
}

/* Refunds of after-sale `id` in the ledger (admin dump): the count, the
 * sum into *sum and the last `via` into via. */
static int ledger(const char *id, int64_t *sum, char *via, size_t via_len)
{
    char path[64], *out = NULL;
    snprintf(path, sizeof path, "/_mock/worlds/%s", T.app_key);
    ck_assert_int_eq(tadmin(&T, "GET", path, NULL, &out), 200);
    struct dd_json_doc doc;
    const struct dd_json *r = tjnode(tjson(out, &doc), "refunds");
    ck_assert_ptr_nonnull(r);
    int n = 0;
    *sum = 0;
    if (via_len)
        via[0] = '\0';
    for (size_t i = 0; i < r->n; i++) {
        const char *a = tjstr(&r->kids[i], "aftersale_id");
        if (!a || strcmp(a, id) != 0)
            continue;
        *sum += jint(&r->kids[i], "amount");
        n++;
        if (via_len)
            snprintf(via, via_len, "%s", tjstr(&r->kids[i], "via"));
    }
    dd_json_doc_free(&doc);
    free(out);
    return n;
}

/* How many journal entries of `kind` have `method`, and whether one of
 * their notes contains `needle` (NULL: any). */
static int journal_count(const char *kind, const char *method,
                         const char *needle)
{
    char path[128], *out = NULL;
    snprintf(path, sizeof path, "/_mock/journal?kind=%s", kind);
    ck_assert_int_eq(tadmin(&T, "GET", path, NULL, &out), 200);
    struct dd_json_doc doc;
    const struct dd_json *es = tjnode(tjson(out, &doc), "entries");
    ck_assert_ptr_nonnull(es);
    int n = 0;
    for (size_t i = 0; i < es->n; i++) {
        const char *m = tjstr(&es->kids[i], "method");
        const char *note = tjstr(&es->kids[i], "note");
        if (m && strcmp(m, method) == 0 &&
            (!needle || (note && strstr(note, needle))))
            n++;
    }
    dd_json_doc_free(&doc);
    free(out);
    return n;
}

/* Applies for an after-sale with this body; returns its new id (static
 * storage, overwritten by the next call). */
static const char *apply(const char *body)
{
    static char id[24];
    const struct dd_json *r = ok_json(act("buyer.apply", "%s", body));
    const char *s = tjstr(r, "aftersale_id");
    ck_assert_ptr_nonnull(s);
    ck_assert_uint_eq(strlen(s), 19);
    snprintf(id, sizeof id, "%s", s);
    return id;
}

/* ============================================================ buyer.apply */

START_TEST(
    test_buyer_apply_creates_an_unshipped_refund_waiting_for_the_merchant)
{
    int64_t before = (int64_t)time(NULL);
    const char *id = apply("{\"sku_order_id\":\"" SO_FREE_901 "\",\"type\":2}");
    const struct dd_json *r = ok_json(200);
    ck_assert_int_eq(jint(r, "status"), 6);
    ck_assert_int_eq(jint(r, "type"), 2);
    ck_assert_int_eq(jint(r, "refund_amount"), 6900);
    ck_assert_str_eq(tjstr(r, "order_id"), "6920000000000000901");

    const struct dd_envelope *e = detail(id);
    ck_assert_int_eq(num(e, INFO "after_sale_status"), 6);
    ck_assert_int_eq(num(e, INFO "after_sale_type"), 2);
    ck_assert_int_eq(num(e, INFO "refund_status"), 1);
    ck_assert_int_eq(num(e, INFO "refund_total_amount"), 6900);
    ck_assert_int_eq(num(e, INFO "refund_post_amount"), 0);
    ck_assert_int_eq(num(e, INFO "apply_role"), 1);
    ck_assert_int_eq(num(e, INFO "reason_code"), 1);
    ck_assert_int_eq(num(e, INFO "after_sale_apply_count"), 1);
    ck_assert_int_eq(num(e, INFO "aftersale_status_to_final_time"), 0);
    int64_t applied = num(e, INFO "apply_time");
    ck_assert_int_ge(applied, before);
    ck_assert_int_le(applied, before + 5);
    ck_assert_int_eq(num(e, INFO "update_time"), applied);
    /* merchant_response_timeout: 48 h, time_scale 1 */
    ck_assert_int_eq(num(e, INFO "status_deadline"), applied + 172800);
    const char *action;
    int64_t role;
    last_record(e, &action, &role);
    ck_assert_str_eq(action, "apply");
    ck_assert_int_eq(role, 1);

    /* List finds it among the pending pre-shipment refunds */
    e = ok(call("afterSale.List",
                "{\"page\":0,\"size\":10,\"aftersale_type\":2,"
                "\"standard_aftersale_status\":[6]}"));
    ck_assert_int_eq(num(e, "total"), 3);
    ck_assert_str_eq(tfield(e, "items.0.aftersale_info.aftersale_id"), id);
    ck_assert_str_eq(tfield(e, "items.0.aftersale_info.related_id"),
                     SO_FREE_901);
}
END_TEST

START_TEST(test_buyer_apply_takes_type_names_amount_reason_and_quantity)
{
    const char *id =
        apply("{\"order_id\":\"6920000000000001001\",\"type\":\"return\","
              "\"amount\":5000,\"reason_code\":7,\"reason_text\":\"有破损\","
              "\"quantity\":2}");
    const struct dd_envelope *e = detail(id);
    ck_assert_int_eq(num(e, INFO "after_sale_type"), 0);
    ck_assert_int_eq(num(e, INFO "after_sale_status"), 6);
    ck_assert_int_eq(num(e, INFO "refund_total_amount"), 5000);
    ck_assert_int_eq(num(e, INFO "reason_code"), 7);
    ck_assert_str_eq(tfield(e, INFO "reason_remark"), "有破损");
    ck_assert_int_eq(num(e, INFO "after_sale_apply_count"), 2);
    ck_assert_int_eq(num(e, INFO "part_type"), 1);
}
END_TEST

START_TEST(test_buyer_apply_defaults_to_what_is_left_of_the_line)
{
    /* a part of the line by quantity: 2 of 3 × 2500 */
    const char *id = apply("{\"sku_order_id\":\"" SO_SHIP_1001
                           "\",\"type\":\"shipped_refund\",\"quantity\":2}");
    ck_assert_int_eq(jint(ok_json(200), "refund_amount"), 5000);
    /* the red sugar of order 601 (2500 + 800 post) after its refund-only
     * is cancelled: a new refund-only defaults to the goods, an amount
     * above them takes the post */
    ok_json(act("buyer.cancel", "{\"aftersale_id\":\"%s\"}", id));
    ok_json(act("buyer.cancel", "{\"aftersale_id\":\"" AS_REF_601 "\"}"));
    id = apply("{\"sku_order_id\":\"6920000000000000601\",\"type\":1}");
    const struct dd_json *r = ok_json(200);
    ck_assert_int_eq(jint(r, "refund_amount"), 2500);
    ck_assert_int_eq(jint(r, "refund_post_amount"), 0);
    ok_json(act("buyer.cancel", "{\"aftersale_id\":\"%s\"}", id));
    id = apply("{\"sku_order_id\":\"6920000000000000601\",\"type\":1,"
               "\"amount\":3300}");
    const struct dd_envelope *e = detail(id);
    ck_assert_int_eq(num(e, INFO "refund_total_amount"), 3300);
    ck_assert_int_eq(num(e, INFO "refund_post_amount"), 800);
}
END_TEST

START_TEST(test_buyer_apply_refuses_what_the_platform_would_refuse)
{
    refused(act("buyer.apply",
                "{\"sku_order_id\":\"" SO_SHIP_1001 "\",\"type\":2}"),
            409,
            "buyer.apply: SKU order 6920000000000001001 is shipped; an "
            "unshipped refund (type 2) needs an unshipped line");
    refused(
        act("buyer.apply", "{\"sku_order_id\":\"" SO_FREE_901 "\",\"type\":0}"),
        409,
        "buyer.apply: SKU order 6920000000000000901 is not shipped; a "
        "return (type 0) needs a shipped line");
    refused(
        act("buyer.apply", "{\"sku_order_id\":\"" SO_PRE_101 "\",\"type\":2}"),
        409,
        "buyer.apply: SKU order 6920000000000000101 already has the "
        "open after-sale 7000000000000000101 (status 6 待商家同意)");
    refused(act("buyer.apply", "{\"sku_order_id\":\"" SO_FREE_901
                               "\",\"type\":2,\"amount\":6901}"),
            409,
            "buyer.apply: amount 6901 fen is more than the 6900 fen left to "
            "refund on SKU order 6920000000000000901");
    refused(act("buyer.apply",
                "{\"sku_order_id\":\"6920000000000009999\",\"type\":2}"),
            404,
            "buyer.apply: no SKU order with id 6920000000000009999 in this "
            "world");
    refused(
        act("buyer.apply", "{\"sku_order_id\":\"" SO_FREE_901 "\",\"type\":3}"),
        400, NULL);
    refused(act("buyer.apply", "{\"sku_order_id\":\"" SO_FREE_901
                               "\",\"type\":2,\"colour\":1}"),
            400, "buyer.apply: request:1:48: unknown key \"colour\"");
    refused(act("buyer.apply", "{\"sku_order_id\":\"" SO_FREE_901
                               "\",\"type\":2,\"quantity\":2}"),
            400, "buyer.apply: quantity 2 is more than the line's 1");
    refused(act("buyer.apply", "{\"order_id\":\"6920000000000000901\","
                               "\"type\":2}"),
            400,
            "buyer.apply: sku_order_id is required (the order has several "
            "SKU orders)");
    refused(act("buyer.apply", "[1]"), 400,
            "buyer.apply: the body must be a JSON object");
    refused(act("buyer.apply", "{\"type\":"), 400, NULL);
    refused(act("buyer.fly", "{}"), 404, NULL);
    refused(adm("GET", NULL, "/_mock/worlds/%s/actions/buyer.apply", T.app_key),
            405, NULL);
    refused(adm("POST", "{}",
                "/_mock/worlds/1234567890123456789/actions/"
                "buyer.apply"),
            404, "no world with app_key 1234567890123456789");
    /* nothing changed: still 8 after-sales */
    ck_assert_int_eq(
        num(ok(call("afterSale.List", "{\"page\":0,\"size\":1}")), "total"), 8);
}
END_TEST

/* ============================================================ buyer.* */

START_TEST(test_buyer_modify_changes_the_application_and_restarts_the_deadline)
{
    int64_t before = (int64_t)time(NULL);
    const struct dd_json *r =
        ok_json(act("buyer.modify", "{\"aftersale_id\":\"" AS_PRE_101
                                    "\",\"amount\":3000,\"reason_code\":2,"
                                    "\"reason_text\":\"只要退一半\"}"));
    ck_assert_int_eq(jint(r, "status"), 6);
    const struct dd_envelope *e = detail(AS_PRE_101);
    ck_assert_int_eq(num(e, INFO "refund_total_amount"), 3000);
    ck_assert_int_eq(num(e, INFO "reason_code"), 2);
    ck_assert_str_eq(tfield(e, INFO "reason_remark"), "只要退一半");
    int64_t updated = num(e, INFO "update_time");
    ck_assert_int_ge(updated, before);
    ck_assert_int_eq(num(e, INFO "status_deadline"), updated + 172800);
    const char *action;
    int64_t role;
    last_record(e, &action, &role);
    ck_assert_str_eq(action, "modify");
    ck_assert_int_eq(role, 1);

    /* after a refusal (27) the modified application goes back to 6 */
    ok(call("afterSale.operate",
            "{\"type\":202,\"items\":[{\"aftersale_id\":\"" AS_REF_601
            "\",\"reject_reason_code\":9,\"reason\":\"已补偿\","
            "\"remark\":\"已与买家协商补偿\"}]}"));
    ck_assert_int_eq(num(detail(AS_REF_601), INFO "after_sale_status"), 27);
    ok_json(act("buyer.modify",
                "{\"aftersale_id\":\"" AS_REF_601 "\",\"amount\":2000}"));
    e = detail(AS_REF_601);
    ck_assert_int_eq(num(e, INFO "after_sale_status"), 6);
    ck_assert_int_eq(num(e, INFO "refund_total_amount"), 2000);

    refused(act("buyer.modify", "{\"aftersale_id\":\"" AS_RET_401 "\"}"), 409,
            "buyer.modify: after-sale 7000000000000000401 is in status 7 "
            "(待买家退货); it must be 6 (待商家同意) or 27 (商家一次拒绝)");
    refused(act("buyer.modify",
                "{\"aftersale_id\":\"" AS_PRE_202 "\",\"amount\":8901}"),
            409,
            "buyer.modify: amount 8901 fen is more than the 8900 fen left to "
            "refund on SKU order 6920000000000000202");
    refused(act("buyer.modify", "{\"aftersale_id\":\"7000000000000009999\"}"),
            404,
            "buyer.modify: no after-sale with id 7000000000000009999 in this "
            "world");
    refused(act("buyer.modify", "{\"amount\":1}"), 400,
            "buyer.modify: aftersale_id is required");
}
END_TEST

START_TEST(test_buyer_cancel_closes_any_open_after_sale)
{
    const struct dd_json *r =
        ok_json(act("buyer.cancel", "{\"aftersale_id\":\"" AS_PRE_101 "\"}"));
    ck_assert_int_eq(jint(r, "status"), 28);
    const struct dd_envelope *e = detail(AS_PRE_101);
    ck_assert_int_eq(num(e, INFO "after_sale_status"), 28);
    ck_assert_int_eq(num(e, INFO "refund_status"), 1);
    ck_assert_int_ne(num(e, INFO "aftersale_status_to_final_time"), 0);
    ck_assert_int_eq(num(e, INFO "status_deadline"), 0);
    const char *action;
    int64_t role;
    last_record(e, &action, &role);
    ck_assert_str_eq(action, "cancel");
    ck_assert_int_eq(role, 1);
    /* a return waiting for the buyer can be withdrawn too */
    ok_json(act("buyer.cancel", "{\"aftersale_id\":\"" AS_RET_401 "\"}"));
    ck_assert_int_eq(num(detail(AS_RET_401), INFO "after_sale_status"), 28);

    refused(act("buyer.cancel", "{\"aftersale_id\":\"" AS_PRE_101 "\"}"), 409,
            "buyer.cancel: after-sale 7000000000000000101 is final (status "
            "28 售后失败) and can no longer change");
    refused(act("buyer.cancel", "{\"aftersale_id\":\"" AS_DONE_701 "\"}"), 409,
            "buyer.cancel: after-sale 7000000000000000701 is final (status "
            "12 售后成功) and can no longer change");
    /* the line is free again: a new application is accepted */
    apply("{\"sku_order_id\":\"" SO_PRE_101 "\",\"type\":2}");
}
END_TEST

START_TEST(test_buyer_ship_return_moves_an_agreed_return_to_11)
{
    int64_t before = (int64_t)time(NULL);
    const struct dd_json *r =
        ok_json(act("buyer.ship_return",
                    "{\"aftersale_id\":\"" AS_RET_401 "\",\"company_code\":"
                    "\"shunfeng\",\"tracking_no\":\"SF7770000000401\"}"));
    ck_assert_int_eq(jint(r, "status"), 11);
    const struct dd_envelope *e = detail(AS_RET_401);
    ck_assert_int_eq(num(e, INFO "after_sale_status"), 11);
    ck_assert_str_eq(
        tfield(e, "process_info.logistics_info.return.tracking_no"),
        "SF7770000000401");
    ck_assert_str_eq(
        tfield(e, "process_info.logistics_info.return.company_code"),
        "shunfeng");
    int64_t shipped =
        num(e, "process_info.logistics_info.return.logistics_time");
    ck_assert_int_ge(shipped, before);
    /* merchant_receive_timeout: 7 days */
    ck_assert_int_eq(num(e, INFO "status_deadline"),
                     num(e, INFO "update_time") + 604800);
    const char *action;
    int64_t role;
    last_record(e, &action, &role);
    ck_assert_str_eq(action, "return_shipped");
    ck_assert_int_eq(role, 1);
    e = ok(call("afterSale.List",
                "{\"page\":0,\"size\":1,\"aftersale_id\":\"" AS_RET_401 "\"}"));
    ck_assert_str_eq(tfield(e, "items.0.aftersale_info.return_logistics_code"),
                     "SF7770000000401");

    refused(act("buyer.ship_return",
                "{\"aftersale_id\":\"" AS_RET_301 "\",\"company_code\":"
                "\"shunfeng\",\"tracking_no\":\"SF1\"}"),
            409,
            "buyer.ship_return: after-sale 7000000000000000301 is in status 6 "
            "(待商家同意); it must be 7 (待买家退货)");
    refused(act("buyer.ship_return",
                "{\"aftersale_id\":\"" AS_REF_601 "\",\"company_code\":"
                "\"shunfeng\",\"tracking_no\":\"SF1\"}"),
            409,
            "buyer.ship_return: after-sale 7000000000000000601 is type 1 "
            "(已发货仅退款); only a return (type 0) is shipped back");
    refused(act("buyer.ship_return",
                "{\"aftersale_id\":\"" AS_RET_501 "\",\"company_code\":"
                "\"shunfeng\"}"),
            400, "buyer.ship_return: tracking_no is required");
}
END_TEST

/* ============================================================ logistics */

START_TEST(
    test_logistics_deliver_return_records_the_parcel_without_a_status_change)
{
    struct dd_json_doc doc;
    int64_t updated = jint(entity(AS_RET_501, &doc), "update_time");
    dd_json_doc_free(&doc);
    const struct dd_json *r = ok_json(act(
        "logistics.deliver_return", "{\"aftersale_id\":\"" AS_RET_501 "\"}"));
    ck_assert_int_eq(jint(r, "status"), 11);
    const struct dd_envelope *e = detail(AS_RET_501);
    ck_assert_int_eq(num(e, INFO "after_sale_status"), 11);
    ck_assert_int_eq(num(e, INFO "got_pkg"), 0);
    ck_assert_int_gt(num(e, INFO "update_time"), updated);
    const char *action;
    int64_t role;
    last_record(e, &action, &role);
    ck_assert_str_eq(action, "return_delivered");
    ck_assert_int_eq(role, 4);

    refused(act("logistics.deliver_return",
                "{\"aftersale_id\":\"" AS_RET_501 "\"}"),
            409,
            "logistics.deliver_return: the return parcel of after-sale "
            "7000000000000000501 was already delivered");
    refused(act("logistics.deliver_return",
                "{\"aftersale_id\":\"" AS_RET_401 "\"}"),
            409,
            "logistics.deliver_return: after-sale 7000000000000000401 is in "
            "status 7 (待买家退货); it must be 11 (待商家二次同意: the buyer "
            "shipped it)");
    refused(act("logistics.deliver_return",
                "{\"aftersale_id\":\"" AS_PRE_101 "\"}"),
            409,
            "logistics.deliver_return: after-sale 7000000000000000101 is type "
            "2 (未发货仅退款); only a return (type 0) has a return parcel");
}
END_TEST

/* ============================================================ platform */

START_TEST(test_platform_agree_refunds_or_agrees_the_return_by_type)
{
    /* a refund-only: refunded at once, the original way */
    ok_json(act("platform.agree", "{\"aftersale_id\":\"" AS_REF_601 "\"}"));
    const struct dd_envelope *e = detail(AS_REF_601);
    ck_assert_int_eq(num(e, INFO "after_sale_status"), 12);
    ck_assert_int_eq(num(e, INFO "refund_status"), 3);
    ck_assert_int_eq(num(e, INFO "refund_type"), 0);
    ck_assert(has_record(e, "platform_agree_refund"));
    int64_t sum;
    char via[64];
    ck_assert_int_eq(ledger(AS_REF_601, &sum, via, sizeof via), 1);
    ck_assert_int_eq(sum, 3300);
    ck_assert_str_eq(via, "platform:agree");
    /* a return application: agreed, the buyer ships next */
    ok_json(act("platform.agree", "{\"aftersale_id\":\"" AS_RET_301 "\"}"));
    e = detail(AS_RET_301);
    ck_assert_int_eq(num(e, INFO "after_sale_status"), 7);
    const char *action;
    int64_t role;
    last_record(e, &action, &role);
    ck_assert_str_eq(action, "platform_agree_return");
    ck_assert_int_eq(role, 3);
    /* a return that came back: refunded */
    ok_json(act("platform.agree", "{\"aftersale_id\":\"" AS_RET_501 "\"}"));
    ck_assert_int_eq(num(detail(AS_RET_501), INFO "after_sale_status"), 12);
    ck_assert_int_eq(ledger(AS_RET_501, &sum, NULL, 0), 1);
    ck_assert_int_eq(sum, 11800);

    refused(act("platform.agree", "{\"aftersale_id\":\"" AS_RET_401 "\"}"), 409,
            "platform.agree: after-sale 7000000000000000401 is in status 7 "
            "(待买家退货); it must be 6, 27, 11 or 29 (nothing to agree while "
            "the buyer has to ship the return)");
    refused(act("platform.agree", "{\"aftersale_id\":\"" AS_CLOSE_801 "\"}"),
            409,
            "platform.agree: after-sale 7000000000000000801 is final (status "
            "28 售后失败); there is nothing left to decide");
}
END_TEST

START_TEST(test_platform_refuse_closes_the_after_sale_as_customer_service)
{
    ok_json(act("platform.refuse", "{\"aftersale_id\":\"" AS_PRE_101 "\"}"));
    const struct dd_envelope *e = detail(AS_PRE_101);
    ck_assert_int_eq(num(e, INFO "after_sale_status"), 28);
    ck_assert_int_ne(num(e, INFO "aftersale_status_to_final_time"), 0);
    const char *action;
    int64_t role;
    last_record(e, &action, &role);
    ck_assert_str_eq(action, "platform_refuse");
    ck_assert_int_eq(role, 3);
    int64_t sum;
    ck_assert_int_eq(ledger(AS_PRE_101, &sum, NULL, 0), 0);
    refused(act("platform.refuse", "{\"aftersale_id\":\"" AS_DONE_701 "\"}"),
            409,
            "platform.refuse: after-sale 7000000000000000701 is final (status "
            "12 售后成功); there is nothing left to decide");
}
END_TEST

START_TEST(test_platform_arbitrate_decides_for_the_buyer_or_the_seller)
{
    /* the merchant refuses the returned goods (29); arbitration sides
     * with the buyer: refunded */
    ok(call("afterSale.operate",
            "{\"type\":112,\"items\":[{\"aftersale_id\":\"" AS_RET_501
            "\",\"reject_reason_code\":4,\"reason\":\"买家误操作\","
            "\"remark\":\"已协商\"}]}"));
    ck_assert_int_eq(num(detail(AS_RET_501), INFO "after_sale_status"), 29);
    int64_t before = (int64_t)time(NULL);
    const struct dd_json *r =
        ok_json(act("platform.arbitrate", "{\"aftersale_id\":\"" AS_RET_501
                                          "\",\"result\":\"buyer\"}"));
    ck_assert_int_eq(jint(r, "status"), 12);
    ck_assert_int_eq(jint(r, "arbitrate_status"), 2);
    const struct dd_envelope *e = detail(AS_RET_501);
    ck_assert_int_eq(num(e, INFO "after_sale_status"), 12);
    ck_assert_int_eq(num(e, INFO "refund_status"), 3);
    ck_assert_int_eq(num(e, "process_info.arbitrate_info.arbitrate_status"), 2);
    ck_assert_int_ge(num(e, INFO "aftersale_status_to_final_time"), before);
    int64_t sum;
    char via[64];
    ck_assert_int_eq(ledger(AS_RET_501, &sum, via, sizeof via), 1);
    ck_assert_str_eq(via, "platform:arbitrate");
    /* for the seller: closed */
    ok_json(act("platform.arbitrate",
                "{\"aftersale_id\":\"" AS_REF_601 "\",\"result\":\"seller\"}"));
    e = detail(AS_REF_601);
    ck_assert_int_eq(num(e, INFO "after_sale_status"), 28);
    ck_assert_int_eq(num(e, "process_info.arbitrate_info.arbitrate_status"), 3);
    const char *action;
    int64_t role;
    last_record(e, &action, &role);
    ck_assert_str_eq(action, "arbitrate_seller");
    ck_assert_int_eq(role, 3);

    refused(act("platform.arbitrate",
                "{\"aftersale_id\":\"" AS_RET_301 "\",\"result\":\"judge\"}"),
            400, "platform.arbitrate: result must be \"buyer\" or \"seller\"");
    refused(act("platform.arbitrate",
                "{\"aftersale_id\":\"" AS_DONE_701 "\",\"result\":\"buyer\"}"),
            409, NULL);
    /* a refused arbitration changed nothing */
    ck_assert_int_eq(num(detail(AS_RET_301), "process_info.arbitrate_info."
                                             "arbitrate_status"),
                     0);
}
END_TEST

START_TEST(test_every_actor_action_is_journalled)
{
    const char *id = apply("{\"sku_order_id\":\"" SO_FREE_902 "\",\"type\":2}");
    char needle[64];
    snprintf(needle, sizeof needle, "aftersale %s", id);
    ck_assert_int_eq(journal_count("actor", "buyer.apply", needle), 1);
    ok_json(act("buyer.cancel", "{\"aftersale_id\":\"%s\"}", id));
    ck_assert_int_eq(journal_count("actor", "buyer.cancel", needle), 1);
    ok_json(act("platform.agree", "{\"aftersale_id\":\"" AS_RET_301 "\"}"));
    ck_assert_int_eq(
        journal_count("actor", "platform.agree", "aftersale " AS_RET_301), 1);
    /* a refused action is not an actor event (its admin entry says 409) */
    act("buyer.cancel", "{\"aftersale_id\":\"%s\"}", id);
    ck_assert_int_eq(journal_count("actor", "buyer.cancel", needle), 1);
}
END_TEST

START_TEST(test_worlds_changed_by_actors_dump_and_restore)
{
    const char *id =
        apply("{\"sku_order_id\":\"" SO_SHIP_1001 "\",\"type\":0}");
    char as[24];
    snprintf(as, sizeof as, "%s", id);
    ok(call("afterSale.operate",
            "{\"type\":101,\"items\":[{\"aftersale_id\":\"%s\","
            "\"logistics\":{\"receiver_address_id\":1}}]}",
            as));
    ok_json(act("buyer.ship_return",
                "{\"aftersale_id\":\"%s\",\"company_code\":"
                "\"yunda\",\"tracking_no\":\"YD1\"}",
                as));
    ok_json(act("logistics.deliver_return", "{\"aftersale_id\":\"%s\"}", as));
    char *dump = NULL;
    char path[64];
    snprintf(path, sizeof path, "/_mock/worlds/%s", T.app_key);
    ck_assert_int_eq(tadmin(&T, "GET", path, NULL, &dump), 200);
    char *out = NULL;
    long st = tadmin(&T, "PUT", path, dump, &out);
    ck_assert_msg(st == 200, "restore: %ld %s", st, out);
    free(out);
    free(dump);
    /* the delivered parcel survived the restore */
    refused(act("logistics.deliver_return", "{\"aftersale_id\":\"%s\"}", as),
            409, NULL);
    ck_assert_ptr_nonnull(strstr(last, "already delivered"));
}
END_TEST

/* ============================================================ timers */

START_TEST(
    test_a_48h_merchant_deadline_fires_in_one_second_at_time_scale_172800)
{
    static const char *const sets[] = {
        "time_scale=172800", "buyer_return_timeout=1000d",
        "merchant_receive_timeout=1000d", "access_token_ttl=1000d", NULL};
    start(sets);
    const char *id = apply("{\"sku_order_id\":\"" SO_FREE_901 "\",\"type\":2}");
    char as[24];
    snprintf(as, sizeof as, "%s", id);
    const struct dd_json *r = ok_json(200);
    int64_t applied = jint(r, "apply_time");
    /* 48 h / 172800 = 1 s: the deadline is when the timer really fires */
    ck_assert_int_eq(jint(r, "status_deadline"), applied + 1);
    ck_assert_int_eq(wait_status(as, 12, 4000), 12);
    const struct dd_envelope *e = detail(as);
    ck_assert_int_eq(num(e, INFO "refund_status"), 3);
    ck_assert_int_eq(num(e, INFO "refund_type"), 0);
    ck_assert_int_eq(num(e, INFO "status_deadline"), 0);
    int64_t refunded = num(e, INFO "refund_time");
    ck_assert_int_ge(refunded, applied + 1);
    ck_assert_int_le(refunded, applied + 3);
    ck_assert(has_record(e, "auto_agree"));
    int64_t sum;
    char via[64];
    ck_assert_int_eq(ledger(as, &sum, via, sizeof via), 1);
    ck_assert_int_eq(sum, 6900);
    ck_assert_str_eq(via, "timer:merchant_response");
    /* the SKU order was cancelled with the refund */
    e = ok(call("afterSale.List",
                "{\"page\":0,\"size\":1,\"aftersale_id\":\"%s\"}", as));
    ck_assert_int_eq(
        num(e, "items.0.order_info.related_order_info.0.order_status"), 4);

    /* the default world's pending answers ran out at the same time: the
     * refund-only was refunded, the return application agreed (and its
     * next deadline, 1000 d / 172800 = 500 s, is far) */
    ck_assert_int_eq(wait_status(AS_REF_601, 12, 2000), 12);
    ck_assert_int_eq(wait_status(AS_RET_301, 7, 2000), 7);
    struct dd_json_doc doc;
    const struct dd_json *x = entity(AS_RET_301, &doc);
    ck_assert_int_eq(jint(x, "status_deadline"), jint(x, "update_time") + 500);
    dd_json_doc_free(&doc);
    e = detail(AS_RET_301);
    const char *action;
    int64_t role;
    last_record(e, &action, &role);
    ck_assert_str_eq(action, "auto_agree_return");
    ck_assert_int_eq(role, 4);

    ck_assert_int_ge(
        journal_count("timer", "timer.merchant_response", "deadline passed"),
        4); /* 101, 202, 301, 601 and ours */
    char needle[64];
    snprintf(needle, sizeof needle, "aftersale %s", as);
    ck_assert_int_eq(journal_count("timer", "timer.merchant_response", needle),
                     1);
    stop();
}
END_TEST

START_TEST(test_the_buyer_return_window_closes_a_return_never_shipped)
{
    static const char *const sets[] = {"time_scale=86400",
                                       "buyer_return_timeout=1d",
                                       "merchant_response_timeout=1000d",
                                       "merchant_receive_timeout=1000d",
                                       "access_token_ttl=1000d",
                                       NULL};
    start(sets);
    ck_assert_int_eq(wait_status(AS_RET_401, 28, 4000), 28);
    const struct dd_envelope *e = detail(AS_RET_401);
    ck_assert_int_eq(num(e, INFO "refund_status"), 1);
    ck_assert_int_ne(num(e, INFO "aftersale_status_to_final_time"), 0);
    const char *action;
    int64_t role;
    last_record(e, &action, &role);
    ck_assert_str_eq(action, "auto_close");
    ck_assert_int_eq(role, 4);
    ck_assert_int_eq(
        journal_count("timer", "timer.buyer_return", "aftersale " AS_RET_401),
        1);
    /* the return the buyer shipped is not touched by this window */
    ck_assert_int_eq(entity_int(AS_RET_501, "status"), 11);
    stop();
}
END_TEST

START_TEST(test_the_merchant_receive_deadline_confirms_and_refunds)
{
    static const char *const sets[] = {"time_scale=86400",
                                       "merchant_receive_timeout=1d",
                                       "merchant_response_timeout=1000d",
                                       "buyer_return_timeout=1000d",
                                       "access_token_ttl=1000d",
                                       NULL};
    start(sets);
    ck_assert_int_eq(wait_status(AS_RET_501, 12, 4000), 12);
    const struct dd_envelope *e = detail(AS_RET_501);
    ck_assert_int_eq(num(e, INFO "refund_status"), 3);
    ck_assert_int_eq(num(e, INFO "got_pkg"), 1);
    ck_assert(has_record(e, "auto_confirm"));
    int64_t sum;
    char via[64];
    ck_assert_int_eq(ledger(AS_RET_501, &sum, via, sizeof via), 1);
    ck_assert_int_eq(sum, 11800);
    ck_assert_str_eq(via, "timer:merchant_receive");
    ck_assert_int_eq(journal_count("timer", "timer.merchant_receive",
                                   "aftersale " AS_RET_501),
                     1);
    stop();
}
END_TEST

/* A shop with a refused refund-only (27) whose appeal window is 1 s. */
static const char refused_world[] =
    "{\"app\":{\"app_key\":\"7100000000000000027\",\"app_secret\":\"s27\"},"
    "\"settings\":{\"time_scale\":86400,\"merchant_response_timeout\":\"1d\"},"
    "\"shops\":[{\"shop_id\":\"31000027\"}],"
    "\"products\":[{\"product_id\":\"3610000000000000027\",\"skus\":"
    "[{\"sku_id\":\"1710000000000000027\",\"price\":1000}]}],"
    "\"orders\":[{\"order_id\":\"6910000000000000027\",\"shop_id\":"
    "\"31000027\",\"create_time\":\"now-3d\",\"logistics\":{\"company_code\":"
    "\"shunfeng\",\"tracking_no\":\"SF27\",\"ship_time\":\"now-2d\"},"
    "\"sku_orders\":[{\"sku_order_id\":\"6910000000000000027\","
    "\"sku_id\":\"1710000000000000027\"}]}],"
    "\"aftersales\":[{\"aftersale_id\":\"7010000000000000027\","
    "\"sku_order_id\":\"6910000000000000027\",\"type\":\"shipped_refund\","
    "\"status\":27,\"apply_time\":\"now-1d\"}]}";

START_TEST(test_a_refused_refund_closes_when_the_appeal_window_passes)
{
    char *out = NULL;
    int64_t before = (int64_t)time(NULL);
    long st = tadmin(&T, "POST", "/_mock/worlds", refused_world, &out);
    int64_t after = (int64_t)time(NULL);
    ck_assert_msg(st == 200, "%ld %s", st, out);
    free(out);
    snprintf(T.app_key, sizeof T.app_key, "7100000000000000027");
    /* The deadline is load time + 1 d / 86400. Under valgrind the first
     * read may come after the window already closed (the deadline is then
     * cleared), so the deadline is checked only while the window is open;
     * the closing time is checked either way. */
    struct dd_json_doc doc;
    const struct dd_json *x = entity("7010000000000000027", &doc);
    int64_t deadline = before + 1;
    if (jint(x, "status") == 27) {
        deadline = jint(x, "status_deadline");
        ck_assert_int_ge(deadline, before + 1);
        ck_assert_int_le(deadline, after + 1);
    }
    dd_json_doc_free(&doc);
    ck_assert_int_eq(wait_status("7010000000000000027", 28, 4000), 28);
    x = entity("7010000000000000027", &doc);
    const struct dd_json *recs = tjnode(x, "records");
    ck_assert_str_eq(tjstr(&recs->kids[recs->n - 1], "action"), "auto_close");
    ck_assert_str_eq(tjstr(&recs->kids[recs->n - 1], "role"), "system");
    ck_assert_int_ge(jint(x, "final_time"), deadline);
    dd_json_doc_free(&doc);
    ck_assert_int_eq(journal_count("timer", "timer.buyer_appeal",
                                   "aftersale 7010000000000000027"),
                     1);
}
END_TEST

START_TEST(test_a_timer_whose_deadline_moved_does_nothing)
{
    static const char *const sets[] = {
        "time_scale=86400",           "merchant_response_timeout=3d",
        "buyer_return_timeout=1000d", "merchant_receive_timeout=1000d",
        "access_token_ttl=1000d",     NULL};
    start(sets);
    /* the merchant answers before the platform would: the 3 s timer of
     * the application finds a new deadline (1000 s) and leaves it alone */
    ok(call("afterSale.operate",
            "{\"type\":101,\"items\":[{\"aftersale_id\":\"" AS_RET_301
            "\",\"logistics\":{\"receiver_address_id\":1}}]}"));
    ck_assert_int_eq(entity_int(AS_RET_301, "status"), 7);
    usleep(3500 * 1000);
    ck_assert_int_eq(entity_int(AS_RET_301, "status"), 7);
    ck_assert_int_eq(journal_count("timer", "timer.merchant_response",
                                   "aftersale " AS_RET_301),
                     0);
    ck_assert_int_eq(
        journal_count("timer", "timer.buyer_return", "aftersale " AS_RET_301),
        0);
    stop();
}
END_TEST

START_TEST(test_timers_of_a_deleted_world_do_nothing)
{
    static const char *const sets[] = {"time_scale=86400",
                                       "merchant_response_timeout=3d", NULL};
    start(sets);
    char path[64];
    snprintf(path, sizeof path, "/_mock/worlds/%s", T.app_key);
    ck_assert_int_eq(adm("DELETE", NULL, "%s", path), 200);
    usleep(3500 * 1000); /* the 3 s deadlines of the deleted world pass */
    ck_assert_int_eq(adm("GET", NULL, "/_mock/health"), 200);
    ck_assert_int_eq(journal_count("timer", "timer.merchant_response", NULL),
                     0);
    char msg[64];
    snprintf(msg, sizeof msg, "no world with app_key %s", T.app_key);
    refused(adm("GET", NULL, "%s/timers", path), 404, msg);
    stop();
}
END_TEST

START_TEST(test_fire_timer_applies_each_deadline_action_at_once)
{
    static const struct {
        const char *id, *timer;
        int64_t status;
    } cases[] = {
        {AS_PRE_101, "timer.merchant_response", 12},
        {AS_RET_301, "timer.merchant_response", 7},
        {AS_RET_401, "timer.buyer_return", 28},
        {AS_RET_501, "timer.merchant_receive", 12},
        {AS_REF_601, "timer.merchant_response", 12},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct dd_json *r = ok_json(
            adm("POST", NULL, "/_mock/worlds/%s/aftersales/%s/fire_timer",
                T.app_key, cases[i].id));
        ck_assert_str_eq(tjstr(r, "fired"), cases[i].timer);
        ck_assert_int_eq(jint(r, "aftersale.status"), cases[i].status);
        ck_assert_int_eq(num(detail(cases[i].id), INFO "after_sale_status"),
                         cases[i].status);
        char needle[64];
        snprintf(needle, sizeof needle, "aftersale %s: fired through",
                 cases[i].id);
        ck_assert_int_eq(journal_count("timer", cases[i].timer, needle), 1);
    }
    /* 301 is waiting for the buyer now: its next timer closes it */
    ok_json(adm("POST", NULL, "/_mock/worlds/%s/aftersales/%s/fire_timer",
                T.app_key, AS_RET_301));
    ck_assert_int_eq(num(detail(AS_RET_301), INFO "after_sale_status"), 28);
    refused(adm("POST", NULL, "/_mock/worlds/%s/aftersales/%s/fire_timer",
                T.app_key, AS_DONE_701),
            409,
            "fire_timer: after-sale 7000000000000000701 has no pending "
            "deadline (status 12 售后成功, final)");
    refused(adm("POST", NULL, "/_mock/worlds/%s/aftersales/%s/fire_timer",
                T.app_key, "7000000000000009999"),
            404, NULL);
    refused(adm("GET", NULL, "/_mock/worlds/%s/aftersales/%s/fire_timer",
                T.app_key, AS_PRE_202),
            405, NULL);
}
END_TEST

START_TEST(test_fire_timer_closes_a_refused_application_after_its_window)
{
    ok(call("afterSale.operate",
            "{\"type\":102,\"items\":[{\"aftersale_id\":\"" AS_RET_301
            "\",\"reject_reason_code\":4,\"reason\":\"不同意\","
            "\"remark\":\"已协商\"}]}"));
    const struct dd_json *r =
        ok_json(adm("POST", NULL, "/_mock/worlds/%s/aftersales/%s/fire_timer",
                    T.app_key, AS_RET_301));
    ck_assert_str_eq(tjstr(r, "fired"), "timer.buyer_appeal");
    ck_assert_str_eq(tjstr(r, "action"), "close_after_refusal");
    ck_assert_int_eq(num(detail(AS_RET_301), INFO "after_sale_status"), 28);
}
END_TEST

START_TEST(test_timers_lists_the_pending_deadlines_earliest_first)
{
    const struct dd_json *r =
        ok_json(adm("GET", NULL, "/_mock/worlds/%s/timers", T.app_key));
    /* 101, 202, 301, 601 (48 h) and 401, 501 (7 d): earliest first */
    ck_assert_int_eq(jint(r, "total"), 6);
    const struct dd_json *t = tjnode(r, "timers");
    ck_assert_uint_eq(t->n, 6);
    static const char *const order[] = {AS_PRE_101, AS_PRE_202, AS_RET_301,
                                        AS_REF_601, AS_RET_401, AS_RET_501};
    static const char *const actions[] = {
        "auto_agree_refund", "auto_agree_refund",  "auto_agree_return",
        "auto_agree_refund", "close_not_returned", "auto_confirm_refund"};
    int64_t now = (int64_t)time(NULL);
    for (size_t i = 0; i < 6; i++) {
        ck_assert_str_eq(tjstr(&t->kids[i], "aftersale_id"), order[i]);
        ck_assert_str_eq(tjstr(&t->kids[i], "action"), actions[i]);
        int64_t in = jint(&t->kids[i], "fires_in_ms");
        int64_t d = jint(&t->kids[i], "status_deadline");
        int64_t want = i < 4 ? 172800 : 604800;
        ck_assert_int_ge(d, now + want - 5);
        ck_assert_int_le(d, now + want + 1);
        ck_assert_int_ge(in, (want - 5) * 1000);
        ck_assert_int_le(in, (want + 1) * 1000);
    }
    /* a fired timer leaves the list; limit cuts it */
    ok_json(adm("POST", NULL, "/_mock/worlds/%s/aftersales/%s/fire_timer",
                T.app_key, AS_PRE_101));
    r = ok_json(adm("GET", NULL, "/_mock/worlds/%s/timers?limit=2", T.app_key));
    ck_assert_int_eq(jint(r, "total"), 5);
    ck_assert_uint_eq(tjnode(r, "timers")->n, 2);
    ck_assert_str_eq(tjstr(r, "timers.0.aftersale_id"), AS_PRE_202);
    refused(adm("POST", NULL, "/_mock/worlds/%s/timers", T.app_key), 405, NULL);
}
END_TEST

/* ============================================================ seed flows */

START_TEST(test_seed_flow_an_unshipped_refund_cancelled_by_the_erp_is_refunded)
{
    const char *id = apply("{\"sku_order_id\":\"" SO_FREE_902 "\",\"type\":2}");
    char as[24];
    snprintf(as, sizeof as, "%s", id);
    /* the ERP finds it by polling */
    const struct dd_envelope *e =
        ok(call("afterSale.List", "{\"page\":0,\"size\":10,"
                                  "\"standard_aftersale_status\":[6],"
                                  "\"aftersale_type\":2}"));
    ck_assert_str_eq(tfield(e, "items.0.aftersale_info.aftersale_id"), as);
    /* cancels the outbound and writes back */
    ok(call("afterSale.CancelSendGoodsSuccess",
            "{\"aftersale_id\":\"%s\",\"op_time\":%lld}", as,
            (long long)time(NULL)));
    e = detail(as);
    ck_assert_int_eq(num(e, INFO "after_sale_status"), 12);
    ck_assert_int_eq(num(e, INFO "refund_status"), 3);
    ck_assert_int_eq(num(e, INFO "refund_type"), 2);
    int64_t sum;
    char via[64];
    ck_assert_int_eq(ledger(as, &sum, via, sizeof via), 1);
    ck_assert_int_eq(sum, 8900);
    ck_assert_str_eq(via, "CancelSendGoodsSuccess");
    /* the line is cancelled; its sibling still waits to ship, so the
     * order is still to be shipped */
    e = ok(call("order.orderDetail",
                "{\"shop_order_id\":\"6920000000000000901\"}"));
    ck_assert_int_eq(num(e, "shop_order_detail.order_status"), 2);
    ck_assert_int_eq(num(e, "shop_order_detail.sku_order_list.1.order_status"),
                     4);
    ck_assert_int_eq(num(e, "shop_order_detail.sku_order_list.0.order_status"),
                     2);
    ck_assert_int_eq(journal_count("actor", "buyer.apply", as), 1);
}
END_TEST

START_TEST(test_seed_flow_a_return_put_into_the_warehouse_is_refunded)
{
    const char *id = apply("{\"sku_order_id\":\"" SO_SHIP_1001 "\",\"type\":0,"
                           "\"reason_code\":7}");
    char as[24];
    snprintf(as, sizeof as, "%s", id);
    ck_assert_int_eq(num(detail(as), INFO "after_sale_status"), 6);
    /* the merchant agrees the return, with its return address */
    ok(call("afterSale.operate",
            "{\"type\":101,\"items\":[{\"aftersale_id\":\"%s\","
            "\"logistics\":{\"receiver_address_id\":1}}]}",
            as));
    ck_assert_int_eq(num(detail(as), INFO "after_sale_status"), 7);
    /* the buyer ships it back; the parcel arrives */
    ok_json(act("buyer.ship_return",
                "{\"aftersale_id\":\"%s\",\"company_code\":\"zhongtong\","
                "\"tracking_no\":\"ZT5550000001001\"}",
                as));
    ck_assert_int_eq(num(detail(as), INFO "after_sale_status"), 11);
    ok_json(act("logistics.deliver_return", "{\"aftersale_id\":\"%s\"}", as));
    /* the ERP's warehouse takes it in and writes back */
    ok(call("afterSale.returnGoodsToWareHouseSuccess",
            "{\"aftersale_id\":\"%s\",\"op_time\":%lld,"
            "\"tracking_no\":\"ZT5550000001001\","
            "\"logistics_company_code\":\"zhongtong\"}",
            as, (long long)time(NULL)));
    const struct dd_envelope *e = detail(as);
    ck_assert_int_eq(num(e, INFO "after_sale_status"), 12);
    ck_assert_int_eq(num(e, INFO "refund_status"), 3);
    ck_assert_int_eq(num(e, INFO "refund_type"), 2);
    ck_assert_int_eq(num(e, INFO "got_pkg"), 1);
    ck_assert(has_record(e, "return_shipped"));
    ck_assert(has_record(e, "return_delivered"));
    int64_t sum;
    char via[64];
    ck_assert_int_eq(ledger(as, &sum, via, sizeof via), 1);
    ck_assert_int_eq(sum, 7500);
    ck_assert_str_eq(via, "returnGoodsToWareHouseSuccess");
    ck_assert_int_eq(journal_count("actor", "buyer.ship_return", as), 1);
    ck_assert_int_eq(journal_count("actor", "logistics.deliver_return", as), 1);
}
END_TEST

Suite *mock_actors_suite(void)
{
    Suite *s = suite_create("mock_actors");
    TCase *tc = tcase_create("actors");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(
        tc,
        test_buyer_apply_creates_an_unshipped_refund_waiting_for_the_merchant);
    tcase_add_test(
        tc, test_buyer_apply_takes_type_names_amount_reason_and_quantity);
    tcase_add_test(tc, test_buyer_apply_defaults_to_what_is_left_of_the_line);
    tcase_add_test(tc, test_buyer_apply_refuses_what_the_platform_would_refuse);
    tcase_add_test(
        tc,
        test_buyer_modify_changes_the_application_and_restarts_the_deadline);
    tcase_add_test(tc, test_buyer_cancel_closes_any_open_after_sale);
    tcase_add_test(tc, test_buyer_ship_return_moves_an_agreed_return_to_11);
    tcase_add_test(
        tc,
        test_logistics_deliver_return_records_the_parcel_without_a_status_change);
    tcase_add_test(tc,
                   test_platform_agree_refunds_or_agrees_the_return_by_type);
    tcase_add_test(
        tc, test_platform_refuse_closes_the_after_sale_as_customer_service);
    tcase_add_test(tc,
                   test_platform_arbitrate_decides_for_the_buyer_or_the_seller);
    tcase_add_test(tc, test_every_actor_action_is_journalled);
    tcase_add_test(tc, test_worlds_changed_by_actors_dump_and_restore);
    suite_add_tcase(s, tc);

    tc = tcase_create("timers");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_fire_timer_applies_each_deadline_action_at_once);
    tcase_add_test(
        tc, test_fire_timer_closes_a_refused_application_after_its_window);
    tcase_add_test(tc, test_timers_lists_the_pending_deadlines_earliest_first);
    tcase_add_test(tc,
                   test_a_refused_refund_closes_when_the_appeal_window_passes);
    suite_add_tcase(s, tc);

    /* These start their own server with a large time scale. */
    tc = tcase_create("scaled_timers");
    tcase_set_timeout(tc, 60);
    tcase_add_test(
        tc,
        test_a_48h_merchant_deadline_fires_in_one_second_at_time_scale_172800);
    tcase_add_test(tc,
                   test_the_buyer_return_window_closes_a_return_never_shipped);
    tcase_add_test(tc, test_the_merchant_receive_deadline_confirms_and_refunds);
    tcase_add_test(tc, test_a_timer_whose_deadline_moved_does_nothing);
    tcase_add_test(tc, test_timers_of_a_deleted_world_do_nothing);
    suite_add_tcase(s, tc);

    tc = tcase_create("seed_flows");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(
        tc,
        test_seed_flow_an_unshipped_refund_cancelled_by_the_erp_is_refunded);
    tcase_add_test(tc,
                   test_seed_flow_a_return_put_into_the_warehouse_is_refunded);
    suite_add_tcase(s, tc);
    return s;
}
