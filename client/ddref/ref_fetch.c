/*
 * ref_fetch.c: how ddref learns of after-sales (ref_erp.h): incremental
 * polling of afterSale.List, and pushed messages taken as hints that are
 * de-duplicated by msg_id and reconciled with afterSale.Detail
 * (doudian-open-api.md §4.1, §4.2, §4.10, §5; client/README.md "Paging",
 * "Push receiver").
 *
 * Polling: each window is [previous end - REF_OVERLAP_S, now - 1 s] of
 * update_time, ordered by "update_time asc", read page by page until
 * has_more is false. The window ends a second before now, so an
 * after-sale that changes while the ERP pages leaves the window (its
 * update_time becomes now) instead of shifting the pages silently: the
 * total then changes and the window is read again. The cursor moves only
 * after a complete read; the overlap catches what became visible late or
 * changed in the window's last second. A window over the deep-paging cap
 * (page x size 50 000) is split in two.
 *
 * Pushes: the library's receiver checks app-id and event-sign and
 * acknowledges at once; its worker thread calls push_message, which only
 * records the message in push_msgs (INSERT OR IGNORE by msg_id: a
 * duplicate is dropped there) and wakes the main loop. The main loop then
 * re-reads each after-sale named by pending messages once, so the order in
 * which messages arrive never matters: only the platform's current state
 * does. Polling goes on in push runs: it is the safety net for a lost push
 * or a crash between the ack and the record.
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dd_err.h"
#include "ddc_err.h"
#include "ddc_push.h"
#include "ref_bugs.h"
#include "ref_erp.h"
#include "ref_log.h"

/* ================================================================ polling */

bool ref_poll_due(const struct ref_erp *e)
{
    return ref_mono_ms() >= e->next_poll_ms;
}

/* Stores the items of one page (one transaction). */
static int store_page(struct ref_erp *e, const struct ddc_aftersale_page *p,
                      int64_t read_at_us, size_t *kept, size_t *changed)
{
    int rc = ref_store_begin(&e->store);
    if (rc)
        return rc;
    for (size_t i = 0; i < p->n && rc == 0; i++) {
        struct ref_aftersale a;
        ref_aftersale_from_list(&p->items[i], read_at_us, &a);
        if (a.id <= 0)
            continue;
        enum ref_put put;
        rc = ref_store_aftersale_put(
            &e->store, &a, REF_BUGGY(e->bugs, IGNORE_BUYER_CANCEL), &put);
        if (rc == 0 && put == REF_PUT_NEW)
            ref_log("poll: new after-sale %lld (type %lld, status %lld, "
                    "SKU order %lld, updated %lld)",
                    (long long)a.id, (long long)a.type, (long long)a.status,
                    (long long)a.sku_order_id, (long long)a.update_time);
        if (rc == 0 && (put == REF_PUT_NEW || put == REF_PUT_UPDATED))
            (*changed)++;
        (*kept)++;
    }
    if (rc) {
        ref_store_rollback(&e->store);
        return rc;
    }
    return ref_store_commit(&e->store);
}

/* Reads every page of the window [start, end]. Returns 0 when the whole
 * window was read. */
static int read_window(struct ref_erp *e, int64_t start, int64_t end,
                       size_t *kept, size_t *changed, int depth)
{
    for (int pass = 0; pass < 4; pass++) {
        int64_t total0 = -1;
        bool moved = false;
        for (int64_t page = 0;; page++) {
            if ((page + 1) * REF_PAGE_SIZE > REF_DEEP_PAGING_CAP) {
                if (end > start && depth < 20) {
                    int64_t mid = start + (end - start) / 2;
                    ref_log("poll: window [%lld, %lld] is past the paging "
                            "cap; split at %lld",
                            (long long)start, (long long)end, (long long)mid);
                    int a =
                        read_window(e, start, mid, kept, changed, depth + 1);
                    int b =
                        read_window(e, mid + 1, end, kept, changed, depth + 1);
                    return a ? a : b;
                }
                return DDC_E_PAGE_CAP;
            }
            struct ddc_aftersale_list_req req;
            ddc_aftersale_list_req_init(&req);
            req.page = page;
            req.size = REF_PAGE_SIZE;
            req.update_start_time = start;
            req.update_end_time = end;
            req.order_by[0] = "update_time asc";
            struct ddc_aftersale_page p;
            struct ddc_status st;
            int64_t read_at = ref_now_us();
            int rc = ref_api_list(&e->api, &req, &p, &st);
            if (rc) {
                char brief[300];
                ref_api_brief(rc, &st, brief, sizeof brief);
                ref_log("poll: afterSale.List [%lld, %lld] page %lld failed: "
                        "%s; the window will be read again",
                        (long long)start, (long long)end, (long long)page,
                        brief);
                return rc;
            }
            if (total0 < 0) {
                total0 = p.total;
            } else if (p.total != total0) {
                ref_log("poll: the window's total moved from %lld to %lld "
                        "while paging: reading it again",
                        (long long)total0, (long long)p.total);
                moved = true;
            }
            rc = store_page(e, &p, read_at, kept, changed);
            bool last =
                REF_BUGGY(e->bugs, PAGE0_ONLY) || !p.has_more || p.n == 0;
            ddc_aftersale_page_free(&p);
            if (rc)
                return rc;
            if (moved || last)
                break;
        }
        if (!moved)
            return 0;
    }
    ref_log("poll: window [%lld, %lld] kept moving; read again next time",
            (long long)start, (long long)end);
    return DDC_E_PROTOCOL;
}

int ref_poll_once(struct ref_erp *e)
{
    int64_t started = ref_mono_ms();
    int64_t now = ref_now_s();
    int64_t last_end = 0;
    bool first = ref_store_meta_get(&e->store, "poll_last_end", &last_end) ==
                 DD_E_NOT_FOUND;
    int64_t start, end;
    if (REF_BUGGY(e->bugs, NO_OVERLAP)) {
        start = first ? now - REF_FIRST_WINDOW_S : last_end + 1;
        end = now;
    } else {
        start = first ? now - REF_FIRST_WINDOW_S : last_end - REF_OVERLAP_S;
        end = now - 1;
    }
    if (start > end)
        start = end;
    size_t kept = 0, changed = 0;
    int rc = read_window(e, start, end, &kept, &changed, 0);
    if (rc == 0)
        ref_store_meta_set(&e->store, "poll_last_end", end);
    e->polls++;
    const char *bug = REF_BUGGY(e->bugs, NO_OVERLAP)   ? " (bug no-overlap)"
                      : REF_BUGGY(e->bugs, PAGE0_ONLY) ? " (bug page0-only)"
                                                       : "";
    /* One line when something changed; quiet polls are noted once. */
    if (changed || rc)
        ref_note(-1,
                 "poll: afterSale.List window [%lld, %lld]%s: %zu items, %zu "
                 "new or changed%s",
                 (long long)start, (long long)end, bug, kept, changed,
                 rc ? " (incomplete: read again next time)" : "");
    else
        ref_note(-1, "poll: afterSale.List every %.1f s%s: nothing new",
                 (double)e->poll_interval_ms / 1000, bug);
    int64_t next = started + e->poll_interval_ms;
    int64_t now_ms = ref_mono_ms();
    e->next_poll_ms = next > now_ms ? next : now_ms;
    return rc;
}

void ref_poll_if_due(struct ref_erp *e)
{
    if (e->cfg.push_listen[0] && REF_BUGGY(e->bugs, NO_SAFETY_POLL)) {
        ref_note(-2, "poll: never in a push run (bug no-safety-poll)");
        return;
    }
    if (ref_poll_due(e))
        ref_poll_once(e);
}

/* ================================================================ re-reads */

int ref_reread(struct ref_erp *e, int64_t id, struct ref_aftersale *out)
{
    struct ref_aftersale known;
    if (REF_BUGGY(e->bugs, IGNORE_BUYER_CANCEL) &&
        ref_store_aftersale_get(&e->store, id, &known) == 0) {
        if (out)
            *out = known; /* the mutant never reads a known one again */
        return 0;
    }
    struct ddc_aftersale_detail d;
    struct ddc_status st;
    int64_t read_at = ref_now_us();
    int rc = ref_api_detail(&e->api, id, &d, &st);
    if (rc) {
        if (rc == DDC_E_API && (st.code == 40004 || st.code == 50002))
            return DD_E_NOT_FOUND;
        return rc;
    }
    struct ref_aftersale a;
    ref_aftersale_from_detail(&d, read_at, &a);
    ddc_aftersale_detail_free(&d);
    if (a.id != id)
        return DDC_E_PROTOCOL;
    enum ref_put put;
    rc = ref_store_aftersale_put(&e->store, &a, false, &put);
    if (rc)
        return rc;
    if (put == REF_PUT_NEW)
        ref_log("re-read: new after-sale %lld (type %lld, status %lld, SKU "
                "order %lld)",
                (long long)a.id, (long long)a.type, (long long)a.status,
                (long long)a.sku_order_id);
    if (out)
        return ref_store_aftersale_get(&e->store, id, out);
    return 0;
}

void ref_hints_run(struct ref_erp *e)
{
    int64_t *ids = NULL;
    size_t n = 0;
    if (ref_store_push_pending(&e->store, &ids, &n) != 0)
        return;
    for (size_t i = 0; i < n; i++) {
        struct ref_aftersale a;
        int rc = ref_reread(e, ids[i], &a);
        if (rc == 0) {
            ref_store_push_settle(&e->store, ids[i], "done", "re-read");
            ref_log("push: after-sale %lld re-read: type %lld, status %lld "
                    "(updated %lld)",
                    (long long)a.id, (long long)a.type, (long long)a.status,
                    (long long)a.update_time);
        } else if (rc == DD_E_NOT_FOUND) {
            ref_store_push_settle(&e->store, ids[i], "ignored",
                                  "the platform has no such after-sale");
            ref_log("push: after-sale %lld: the platform has no such "
                    "after-sale; ignored",
                    (long long)ids[i]);
        } else {
            ref_store_push_settle(&e->store, ids[i], "failed",
                                  ddc_strerror(rc));
            ref_log("push: after-sale %lld could not be re-read (%s); "
                    "polling will find it",
                    (long long)ids[i], ddc_strerror(rc));
        }
    }
    free(ids);
}

/* ================================================================ pushes */

struct ref_push {
    struct ref_erp *e;
    struct ddc_push *rx;    /* the library's receiver */
    struct MHD_Daemon *mhd; /* the ignore-event-sign mutant's */
    struct ref_store store; /* the receiving thread's connection */
    pthread_mutex_t mu;
    uint64_t seq;
};

/* Records one pushed message (on the receiver's thread). */
static void push_message(struct ref_push *p, const struct ddc_push_msg *m)
{
    struct ref_erp *e = p->e;
    pthread_mutex_lock(&p->mu);
    char key[200];
    snprintf(key, sizeof key, "%s", m->msg_id);
    if (REF_BUGGY(e->bugs, WRITEBACK_PER_PUSH))
        snprintf(key, sizeof key, "%s#%llu", m->msg_id,
                 (unsigned long long)++p->seq);
    bool fresh = false;
    if (m->aftersale_id <= 0) {
        ref_store_push_add(&p->store, key, m->tag, 0, "ignored",
                           "not about an after-sale", &fresh);
        ref_log("push: msg %s (tag %s) names no after-sale: ignored", m->msg_id,
                m->tag);
    } else if (m->shop_id != 0 && m->shop_id != e->cfg.shop_id) {
        ref_store_push_add(&p->store, key, m->tag, m->aftersale_id, "ignored",
                           "another shop", &fresh);
        ref_log("push: msg %s is about shop %lld, not ours: ignored", m->msg_id,
                (long long)m->shop_id);
    } else if (ref_store_push_add(&p->store, key, m->tag, m->aftersale_id,
                                  "pending", NULL, &fresh) == 0) {
        if (fresh)
            ref_log("push: msg %s (tag %s) about after-sale %lld: to re-read",
                    m->msg_id, m->tag, (long long)m->aftersale_id);
        else
            ref_log("push: msg %s (tag %s) seen before: ignored", m->msg_id,
                    m->tag);
    }
    pthread_mutex_unlock(&p->mu);
    if (fresh && REF_BUGGY(e->bugs, WRITEBACK_PER_PUSH) &&
        m->aftersale_type == REF_TYPE_UNSHIPPED_REFUND &&
        m->aftersale_status == REF_AS_WAIT_SELLER) {
        struct ref_aftersale a;
        memset(&a, 0, sizeof a);
        a.id = m->aftersale_id;
        const char *method;
        struct ddc_status st;
        int rc =
            ref_api_writeback(&e->api, REF_KIND_CANCEL, &a, NULL, &method, &st);
        char brief[300];
        ref_api_brief(rc, &st, brief, sizeof brief);
        ref_log("push: %s %lld for msg %s -> %s (bug writeback-per-push)",
                method, (long long)a.id, m->msg_id, brief);
    }
    if (fresh)
        ref_erp_wake(e);
}

static void on_push_cb(const struct ddc_push_msg *m, void *user)
{
    push_message(user, m);
}

/* ---------------------------------------- the ignore-event-sign mutant */

struct mhd_request {
    struct dd_buf body;
};

static enum MHD_Result mhd_reply(struct MHD_Connection *c, unsigned status,
                                 const char *json)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        strlen(json), (void *)json, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", "application/json");
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

/* Accepts any POST whose body parses, checking neither app-id nor
 * event-sign: the bug. */
static enum MHD_Result mhd_access_cb(void *cls, struct MHD_Connection *c,
                                     const char *url, const char *method,
                                     const char *version,
                                     const char *upload_data,
                                     size_t *upload_size, void **con_cls)
{
    (void)url;
    (void)version;
    struct ref_push *p = cls;
    struct mhd_request *rq = *con_cls;
    if (!rq) {
        rq = calloc(1, sizeof *rq);
        if (!rq)
            abort();
        dd_buf_init(&rq->body, DDC_PUSH_BODY_MAX);
        *con_cls = rq;
        return MHD_YES;
    }
    if (*upload_size) {
        dd_buf_append(&rq->body, upload_data, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    if (strcmp(method, "POST") != 0)
        return mhd_reply(c, 405, "{\"code\":1,\"msg\":\"POST only\"}");
    struct ddc_push_batch b;
    char err[200];
    if (ddc_push_parse(rq->body.data ? rq->body.data : "", rq->body.len, &b,
                       err, sizeof err) != 0) {
        ref_log("push: body refused: %s", err);
        return mhd_reply(c, 400, "{\"code\":1,\"msg\":\"malformed\"}");
    }
    for (size_t i = 0; i < b.n; i++)
        if (strcmp(b.msgs[i].tag, "0") != 0)
            push_message(p, &b.msgs[i]);
    ddc_push_batch_free(&b);
    return mhd_reply(c, 200, "{\"code\":0,\"msg\":\"success\"}");
}

static void mhd_completed_cb(void *cls, struct MHD_Connection *c,
                             void **con_cls, enum MHD_RequestTerminationCode t)
{
    (void)cls;
    (void)c;
    (void)t;
    struct mhd_request *rq = *con_cls;
    if (rq) {
        dd_buf_free(&rq->body);
        free(rq);
        *con_cls = NULL;
    }
    dd_json_release_cache();
}

static struct MHD_Daemon *start_unchecked(struct ref_push *p, char *err,
                                          size_t errlen)
{
    char host[128];
    uint16_t port;
    if (ddc_split_host_port(p->e->cfg.push_listen, host, sizeof host, &port)) {
        snprintf(err, errlen, "'%s' is not host:port", p->e->cfg.push_listen);
        return NULL;
    }
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    if (!host[0] || inet_pton(AF_INET, host, &sa.sin_addr) != 1)
        sa.sin_addr.s_addr = htonl(INADDR_ANY);
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD, port, NULL, NULL, mhd_access_cb, p,
        MHD_OPTION_SOCK_ADDR, (const struct sockaddr *)&sa,
        MHD_OPTION_NOTIFY_COMPLETED, mhd_completed_cb, p, MHD_OPTION_END);
    if (!d)
        snprintf(err, errlen, "cannot listen on %s", p->e->cfg.push_listen);
    return d;
}

int ref_push_start(struct ref_erp *e, char *err, size_t errlen)
{
    struct ref_push *p = calloc(1, sizeof *p);
    if (!p)
        abort();
    p->e = e;
    pthread_mutex_init(&p->mu, NULL);
    int rc = ref_store_open(&p->store, e->cfg.state_dir, err, errlen);
    if (rc) {
        free(p);
        return rc;
    }
    if (REF_BUGGY(e->bugs, IGNORE_EVENT_SIGN)) {
        p->mhd = start_unchecked(p, err, errlen);
    } else {
        struct ddc_push_config pc = {.listen = e->cfg.push_listen,
                                     .app_key = e->cfg.app_key,
                                     .app_secret = e->cfg.app_secret,
                                     .handler = on_push_cb,
                                     .user = p};
        p->rx = ddc_push_start(&pc, err, errlen);
    }
    if (!p->rx && !p->mhd) {
        ref_store_close(&p->store);
        pthread_mutex_destroy(&p->mu);
        free(p);
        return DD_E_IO;
    }
    e->push = p;
    ref_log("push: listening on %s%s", e->cfg.push_listen,
            p->mhd ? " without checking app-id or event-sign (bug "
                     "ignore-event-sign)"
                   : " (app-id and event-sign checked)");
    return 0;
}

void ref_push_stop(struct ref_erp *e)
{
    struct ref_push *p = e->push;
    if (!p)
        return;
    /* Messages acknowledged but not recorded yet are dropped: polling
     * finds their after-sales. */
    ddc_push_stop(p->rx, false);
    if (p->mhd)
        MHD_stop_daemon(p->mhd);
    ref_store_close(&p->store);
    pthread_mutex_destroy(&p->mu);
    free(p);
    e->push = NULL;
}
