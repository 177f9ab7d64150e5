/*
 * admin.c: ddmock's admin API under /_mock/ (documented in mock/README.md,
 * "Admin API", with one curl example per call).
 *
 * The admin API is how people and the conformance runner drive the mock:
 * create, list, dump, restore and delete worlds, read any entity, issue
 * authorization codes for tool-type apps, change settings, query the
 * journal and explain a rejected request by its log_id. It is not part of
 * Doudian's protocol, so it answers with ordinary HTTP statuses and plain
 * JSON (no envelope). Every admin call is journalled with kind "admin".
 *
 * Entities are shown in the world-file form: the handler dumps the world
 * and picks the entity out of the dump, so there is one writer of that
 * form (worldfile.c) and admin reads stay exact. Admin calls are rare;
 * the cost is fine.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "dd_err.h"
#include "dd_jw.h"
#include "dd_params.h"
#include "faults.h"
#include "push.h"
#include "replay.h"
#include "router.h"
#include "server.h"
#include "worldfile.h"

/* Maximum size of a world or settings body accepted by the admin API. */
#define ADMIN_BODY_MAX ((size_t)256 << 20)

bool mock_admin_is(const struct mock_admin_call *a, const char *verb)
{
    return strcmp(a->rq->http_method, verb) == 0;
}

/* Replaces every byte that does not belong to a well-formed UTF-8
 * sequence by '?': messages quote paths and bodies as received, and the
 * answer must stay valid JSON. */
static void keep_utf8(char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        size_t k = dd_utf8_seq_len(s + i, n - i);
        if (k == 0) {
            s[i++] = '?';
            continue;
        }
        i += k;
    }
}

void mock_admin_error(struct mock_admin_call *a, int status, const char *fmt,
                      ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    keep_utf8(msg);
    dd_buf_reset(&a->rs->body);
    dd_jw_init(&a->w, &a->rs->body);
    a->rs->status = status;
    dd_jw_object_begin(&a->w);
    dd_jw_kstr(&a->w, "error", msg);
    dd_jw_object_end(&a->w);
}

/* Answers 400 with every line of `errs` in "errors". */
static void reply_errors(struct mock_admin_call *a, const char *what,
                         const struct dd_buf *errs)
{
    dd_buf_reset(&a->rs->body);
    dd_jw_init(&a->w, &a->rs->body);
    a->rs->status = 400;
    dd_jw_object_begin(&a->w);
    dd_jw_kstr(&a->w, "error", what);
    dd_jw_key(&a->w, "errors");
    dd_jw_array_begin(&a->w);
    const char *s = dd_buf_str(errs);
    while (*s) {
        const char *nl = strchr(s, '\n');
        size_t n = nl ? (size_t)(nl - s) : strlen(s);
        if (n)
            dd_jw_strn(&a->w, s, n);
        s += n + (nl != NULL);
    }
    dd_jw_array_end(&a->w);
    dd_jw_object_end(&a->w);
}

static const char *app_type_name(enum mock_app_type t)
{
    return t == MOCK_APP_TOOL ? "tool" : "self";
}

static void write_summary(struct dd_jw *w, const struct mock_world *world)
{
    dd_jw_object_begin(w);
    dd_jw_kstr(w, "app_key", world->app_key);
    dd_jw_kstr(w, "app_secret", world->app_secret);
    dd_jw_kstr(w, "app_type", app_type_name(world->app_type));
    dd_jw_kstr(w, "name", world->name ? world->name : "");
    dd_jw_key(w, "shops");
    dd_jw_array_begin(w);
    for (uint32_t i = 0; i < world->shops.n; i++) {
        dd_jw_object_begin(w);
        dd_jw_kint_str(w, "shop_id", world->shops.v[i].shop_id);
        dd_jw_kstr(w, "name", world->shops.v[i].name);
        dd_jw_object_end(w);
    }
    dd_jw_array_end(w);
    dd_jw_kint(w, "orders", world->orders.n);
    dd_jw_kint(w, "aftersales", world->aftersales.n);
    dd_jw_object_end(w);
}

bool mock_admin_body_json(struct mock_admin_call *a, struct dd_json_doc *doc)
{
    struct dd_json_error e;
    struct dd_json_limits lim = {0, ADMIN_BODY_MAX};
    if (dd_json_parse(a->rq->body, a->rq->body_len, &lim, doc, &e)) {
        mock_admin_error(a, 400, "request:%u:%u: %s", e.pos.line, e.pos.col,
                         e.msg);
        return false;
    }
    return true;
}

/* Adds a new world built by one of the three means; answers its summary. */
static void create_world(struct mock_admin_call *a)
{
    struct mock_server *s = a->srv;
    int64_t now = mock_now();
    uint64_t seed = s->seed + s->worlds.n * UINT64_C(0x9e3779b97f4a7c15) +
                    (uint64_t)mock_now_us();
    const char *gen = dd_query_get(&a->q, "generate");
    const char *seed_s = dd_query_get(&a->q, "seed");
    struct mock_world *world = NULL;
    if (seed_s) {
        int64_t v;
        if (dd_parse_int64(seed_s, strlen(seed_s), &v)) {
            mock_admin_error(a, 400, "seed must be an integer");
            return;
        }
        seed = (uint64_t)v;
    }
    if (gen) {
        struct mock_gen_spec spec;
        char err[256];
        if (mock_gen_parse(gen, &spec, err, sizeof err)) {
            mock_admin_error(a, 400, "generate: %s", err);
            return;
        }
        world = mock_world_generate(&spec, &s->defaults, seed, now);
    } else if (dd_query_get(&a->q, "default") || a->rq->body_len == 0) {
        world = mock_world_default(&s->defaults, seed, now);
    } else {
        struct dd_json_doc doc;
        if (!mock_admin_body_json(a, &doc))
            return;
        struct dd_buf errs;
        dd_buf_init(&errs, 0);
        world = mock_world_from_json(doc.root, "request", &s->defaults, seed,
                                     now, &errs);
        dd_json_doc_free(&doc);
        if (!world) {
            reply_errors(a, "the world has problems", &errs);
            dd_buf_free(&errs);
            return;
        }
        dd_buf_free(&errs);
    }
    if (mock_worlds_add(&s->worlds, world)) {
        mock_admin_error(a, 400, "a world with app_key %s already exists",
                         world->app_key);
        mock_world_free(world);
        return;
    }
    write_summary(&a->w, world);
}

/* PUT /_mock/worlds/{app_key}: replace a world by a dump. */
static void restore_world(struct mock_admin_call *a, const char *app_key)
{
    struct mock_server *s = a->srv;
    struct dd_json_doc doc;
    if (!mock_admin_body_json(a, &doc))
        return;
    const struct dd_json *app = dd_json_get(doc.root, "app");
    const struct dd_json *key = dd_json_get(app, "app_key");
    if (key && (key->type != DD_JSON_STRING || strcmp(key->text, app_key))) {
        mock_admin_error(a, 400, "the body's app.app_key is not %s", app_key);
        dd_json_doc_free(&doc);
        return;
    }
    struct dd_buf errs;
    dd_buf_init(&errs, 0);
    struct mock_world *world = mock_world_from_json(
        doc.root, "request", &s->defaults, s->seed, mock_now(), &errs);
    dd_json_doc_free(&doc);
    if (!world) {
        reply_errors(a, "the snapshot has problems", &errs);
        dd_buf_free(&errs);
        return;
    }
    dd_buf_free(&errs);
    /* A dump without credentials keeps the path's app_key. */
    snprintf(world->app_key, sizeof world->app_key, "%s", app_key);
    struct mock_world *old = mock_worlds_get(&s->worlds, app_key);
    if (old) {
        mock_faults_world_removed(s->faults, old->serial);
        mock_replay_world_removed(s->replay, old->serial);
    }
    mock_worlds_remove(&s->worlds, app_key);
    mock_worlds_add(&s->worlds, world);
    write_summary(&a->w, world);
}

/* The dump's array for an entity kind and the key that holds its id. */
static const struct {
    const char *kind, *array, *id_key, *parent;
} kinds[] = {
    {"shops", "shops", "shop_id", NULL},
    {"products", "products", "product_id", NULL},
    {"skus", "skus", "sku_id", "products"},
    {"orders", "orders", "order_id", NULL},
    {"sku_orders", "sku_orders", "sku_order_id", "orders"},
    {"aftersales", "aftersales", "aftersale_id", NULL},
    {"tokens", "tokens", "access_token", NULL},
};

static const struct dd_json *find_in(const struct dd_json *arr,
                                     const char *id_key, const char *id)
{
    if (!arr || arr->type != DD_JSON_ARRAY)
        return NULL;
    for (size_t i = 0; i < arr->n; i++) {
        const struct dd_json *v = dd_json_get(&arr->kids[i], id_key);
        if (v && (v->type == DD_JSON_STRING || v->type == DD_JSON_NUMBER) &&
            strcmp(v->text, id) == 0)
            return &arr->kids[i];
    }
    return NULL;
}

/* GET /_mock/worlds/{app_key}/{kind}/{id} */
static void read_entity(struct mock_admin_call *a,
                        const struct mock_world *world, const char *kind,
                        const char *id)
{
    size_t k = 0;
    while (k < sizeof kinds / sizeof kinds[0] && strcmp(kinds[k].kind, kind))
        k++;
    if (k == sizeof kinds / sizeof kinds[0]) {
        mock_admin_error(a, 404, "unknown entity kind %s", kind);
        return;
    }
    struct dd_buf dump;
    struct dd_jw w;
    dd_buf_init(&dump, 0);
    dd_jw_init(&w, &dump);
    mock_world_dump(world, &w);
    struct dd_json_doc doc;
    struct dd_json_limits lim = {0, dump.len + 1};
    const struct dd_json *found = NULL;
    if (dd_json_parse(dump.data, dump.len, &lim, &doc, NULL) == 0) {
        if (kinds[k].parent) {
            const struct dd_json *parents =
                dd_json_get(doc.root, kinds[k].parent);
            for (size_t i = 0; parents && !found && i < parents->n; i++)
                found = find_in(dd_json_get(&parents->kids[i], kinds[k].array),
                                kinds[k].id_key, id);
        } else {
            found = find_in(dd_json_get(doc.root, kinds[k].array),
                            kinds[k].id_key, id);
        }
        if (found) {
            dd_jw_object_begin(&a->w);
            dd_jw_kstr(&a->w, "kind", kind);
            dd_jw_key(&a->w, "entity");
            dd_json_write_canonical(&a->rs->body, found, DD_ESCAPE_PLAIN);
            /* the writer did not see the raw value: keep its comma state */
            a->w.after_key = false;
            dd_jw_object_end(&a->w);
        }
        dd_json_doc_free(&doc);
    }
    dd_buf_free(&dump);
    if (!found)
        mock_admin_error(a, 404, "no %s with id %s", kind, id);
}

/* POST /_mock/worlds/{app_key}/auth_codes */
static void issue_auth_code(struct mock_admin_call *a, struct mock_world *world)
{
    uint32_t shop = world->shops.n == 1 ? 0 : MOCK_NONE;
    if (a->rq->body_len) {
        struct dd_json_doc doc;
        if (!mock_admin_body_json(a, &doc))
            return;
        int64_t id;
        const struct dd_json *v = dd_json_get(doc.root, "shop_id");
        if (v && dd_json_int64(v, &id) == 0)
            shop = mock_world_shop(world, id);
        else if (v)
            shop = MOCK_NONE;
        dd_json_doc_free(&doc);
    }
    if (shop == MOCK_NONE) {
        mock_admin_error(a, 400,
                         "shop_id is missing or not a shop of this world");
        return;
    }
    uint32_t ci = mock_auth_code_issue(world, shop, mock_now());
    const struct mock_auth_code *c = &world->auth_codes.v[ci];
    dd_jw_object_begin(&a->w);
    dd_jw_kstr(&a->w, "code", c->code);
    dd_jw_kint_str(&a->w, "shop_id", world->shops.v[shop].shop_id);
    dd_jw_kint(&a->w, "expires_in", c->expires - mock_now());
    dd_jw_object_end(&a->w);
}

/* GET or POST a settings object (the process defaults or a world's). */
static void settings(struct mock_admin_call *a, struct mock_settings *set)
{
    if (mock_admin_is(a, "POST")) {
        struct dd_json_doc doc;
        if (!mock_admin_body_json(a, &doc))
            return;
        struct mock_settings copy = *set;
        char err[256];
        int rc = mock_settings_apply_json(&copy, doc.root, err, sizeof err);
        dd_json_doc_free(&doc);
        if (rc) {
            mock_admin_error(a, 400, "request:%s", err);
            return;
        }
        *set = copy;
    } else if (!mock_admin_is(a, "GET")) {
        mock_admin_error(a, 405, "use GET or POST");
        return;
    }
    mock_settings_write_json(set, &a->w);
}

static void journal(struct mock_admin_call *a)
{
    const char *since_s = dd_query_get(&a->q, "since");
    const char *limit_s = dd_query_get(&a->q, "limit");
    const char *app_key = dd_query_get(&a->q, "app_key");
    const char *kind = dd_query_get(&a->q, "kind");
    int64_t since = 0, limit = 0;
    if ((since_s &&
         (dd_parse_int64(since_s, strlen(since_s), &since) || since < 0)) ||
        (limit_s &&
         (dd_parse_int64(limit_s, strlen(limit_s), &limit) || limit < 0))) {
        mock_admin_error(a, 400,
                         "since and limit must be non-negative integers");
        return;
    }
    dd_jw_object_begin(&a->w);
    dd_jw_kint(&a->w, "last_seq",
               (int64_t)mock_journal_last_seq(a->srv->journal));
    dd_jw_key(&a->w, "entries");
    mock_journal_query(a->srv->journal, (uint64_t)since, app_key ? app_key : "",
                       kind ? kind : "", (size_t)limit, &a->w);
    dd_jw_object_end(&a->w);
}

static void reset(struct mock_admin_call *a)
{
    struct mock_server *s = a->srv;
    bool load_default = false;
    if (a->rq->body_len) {
        struct dd_json_doc doc;
        if (!mock_admin_body_json(a, &doc))
            return;
        const struct dd_json *d = dd_json_get(doc.root, "default_world");
        load_default = d && d->type == DD_JSON_TRUE;
        dd_json_doc_free(&doc);
    }
    for (size_t i = 0; i < s->worlds.n; i++) {
        mock_faults_world_removed(s->faults, s->worlds.v[i]->serial);
        mock_replay_world_removed(s->replay, s->worlds.v[i]->serial);
    }
    mock_worlds_free(&s->worlds);
    mock_worlds_init(&s->worlds);
    mock_journal_clear(s->journal);
    mock_push_clear_log(s->push);
    if (load_default)
        mock_worlds_add(&s->worlds,
                        mock_world_default(&s->defaults, s->seed, mock_now()));
    dd_jw_object_begin(&a->w);
    dd_jw_kbool(&a->w, "reset", true);
    dd_jw_key(&a->w, "worlds");
    dd_jw_array_begin(&a->w);
    for (size_t i = 0; i < s->worlds.n; i++)
        write_summary(&a->w, s->worlds.v[i]);
    dd_jw_array_end(&a->w);
    dd_jw_object_end(&a->w);
}

/* Splits "a/b/c" into at most `max` segments (in place). */
static size_t split(char *path, char **seg, size_t max)
{
    size_t n = 0;
    char *p = path;
    while (*p && n < max) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        seg[n++] = p;
        while (*p && *p != '/')
            p++;
        if (*p)
            *p++ = '\0';
    }
    return n;
}

static void dispatch(struct mock_admin_call *a)
{
    char **seg = a->seg;
    size_t n = a->n;
    struct mock_server *s = a->srv;
    if (n == 1 && strcmp(seg[0], "health") == 0) {
        dd_jw_object_begin(&a->w);
        dd_jw_kbool(&a->w, "ok", true);
        dd_jw_kint(&a->w, "worlds", (int64_t)s->worlds.n);
        dd_jw_kint(&a->w, "journal_last_seq",
                   (int64_t)mock_journal_last_seq(s->journal));
        dd_jw_object_end(&a->w);
        return;
    }
    if (n == 1 && strcmp(seg[0], "settings") == 0) {
        settings(a, &s->defaults);
        return;
    }
    if (n == 1 && strcmp(seg[0], "journal") == 0) {
        journal(a);
        return;
    }
    if (n == 1 && strcmp(seg[0], "reset") == 0) {
        if (!mock_admin_is(a, "POST"))
            mock_admin_error(a, 405, "use POST");
        else
            reset(a);
        return;
    }
    if (n == 2 && strcmp(seg[0], "explain") == 0) {
        const struct mock_journal_entry *e =
            mock_journal_find_log_id(s->journal, seg[1]);
        if (!e)
            mock_admin_error(a, 404, "log_id %s is not in the journal", seg[1]);
        else
            mock_journal_entry_write(e, &a->w);
        return;
    }
    if (n >= 2 && strcmp(seg[0], "worlds") == 0)
        a->world = mock_worlds_get(&s->worlds, seg[1]);
    /* The modules' own calls: actors and timers, pushes, faults, runs. */
    if (mock_admin_actors(a) || mock_admin_push(a) || mock_admin_faults(a) ||
        mock_admin_runs(a))
        return;
    if (n >= 1 && strcmp(seg[0], "worlds") == 0) {
        if (n == 1) {
            if (mock_admin_is(a, "POST")) {
                create_world(a);
            } else if (mock_admin_is(a, "GET")) {
                dd_jw_object_begin(&a->w);
                dd_jw_key(&a->w, "worlds");
                dd_jw_array_begin(&a->w);
                for (size_t i = 0; i < s->worlds.n; i++)
                    write_summary(&a->w, s->worlds.v[i]);
                dd_jw_array_end(&a->w);
                dd_jw_object_end(&a->w);
            } else {
                mock_admin_error(a, 405, "use GET or POST");
            }
            return;
        }
        struct mock_world *world = mock_worlds_get(&s->worlds, seg[1]);
        if (n == 2 && mock_admin_is(a, "PUT")) {
            restore_world(a, seg[1]);
            return;
        }
        if (!world) {
            mock_admin_error(a, 404, "no world with app_key %s", seg[1]);
            return;
        }
        if (n == 2) {
            if (mock_admin_is(a, "GET")) {
                mock_world_dump(world, &a->w);
            } else if (mock_admin_is(a, "DELETE")) {
                mock_faults_world_removed(s->faults, world->serial);
                mock_replay_world_removed(s->replay, world->serial);
                mock_worlds_remove(&s->worlds, seg[1]);
                dd_jw_object_begin(&a->w);
                dd_jw_kstr(&a->w, "deleted", seg[1]);
                dd_jw_object_end(&a->w);
            } else {
                mock_admin_error(a, 405, "use GET, PUT or DELETE");
            }
            return;
        }
        if (n == 3 && strcmp(seg[2], "auth_codes") == 0) {
            if (!mock_admin_is(a, "POST"))
                mock_admin_error(a, 405, "use POST");
            else
                issue_auth_code(a, world);
            return;
        }
        if (n == 3 && strcmp(seg[2], "settings") == 0) {
            settings(a, &world->settings);
            return;
        }
        if (n == 4 && mock_admin_is(a, "GET")) {
            read_entity(a, world, seg[2], seg[3]);
            return;
        }
    }
    mock_admin_error(a, 404, "no such admin call (see mock/README.md)");
}

/* Parses and dispatches one admin call whose path starts with "/_mock";
 * `check_token` says whether the X-Admin-Token header is required. */
static void handle(struct mock_server *s, const struct mock_request *rq,
                   const char *path, const char *query,
                   struct mock_response *rs, bool check_token)
{
    struct mock_admin_call a;
    memset(&a, 0, sizeof a);
    a.srv = s;
    a.rq = rq;
    a.rs = rs;
    dd_jw_init(&a.w, &rs->body);
    rs->status = 200;
    rs->content_type = "application/json";

    if (check_token && s->cfg.admin_token &&
        (!rq->admin_token || strcmp(rq->admin_token, s->cfg.admin_token))) {
        mock_admin_error(&a, 401,
                         "this admin API needs the X-Admin-Token header");
    } else if (dd_query_parse(query, strlen(query), &a.q)) {
        mock_admin_error(&a, 400, "malformed query string");
    } else {
        char copy[1024];
        snprintf(copy, sizeof copy, "%s", path + 6); /* after "/_mock" */
        char *seg[8];
        a.seg = seg;
        a.n = split(copy, seg, 8);
        dispatch(&a);
    }
    dd_query_free(&a.q);
    /* Whatever the call changed is scheduled and queued at once. */
    mock_server_drain(s);
}

int mock_admin_internal(struct mock_server *s, const char *verb,
                        const char *path, const char *body, size_t body_len,
                        struct dd_buf *answer)
{
    struct mock_request rq = {
        .http_method = verb,
        .uri = path,
        .body = body_len ? body : NULL,
        .body_len = body_len,
        .content_type = "application/json",
        .admin_token = NULL,
        .received_us = mock_now_us(),
    };
    struct mock_response rs;
    mock_response_init(&rs);
    if (strncmp(path, "/_mock/", 7) != 0) {
        rs.status = 404;
        dd_buf_puts(&rs.body, "{\"error\":\"not an admin path\"}");
    } else {
        handle(s, &rq, path, "", &rs, false);
    }
    int status = rs.status;
    dd_buf_reset(answer);
    dd_buf_append(answer, rs.body.data ? rs.body.data : "", rs.body.len);
    mock_response_free(&rs);
    return status;
}

void mock_admin_handle(struct mock_server *s, const struct mock_request *rq,
                       const char *path, const char *query,
                       struct mock_response *rs)
{
    handle(s, rq, path, query, rs, true);

    struct mock_journal_entry e;
    memset(&e, 0, sizeof e);
    snprintf(e.kind, sizeof e.kind, "admin");
    snprintf(e.method, sizeof e.method, "%.8s %.50s", rq->http_method, path);
    e.code = rs->status;
    e.latency_us = mock_now_us() - rq->received_us;
    mock_journal_add(s->journal, &e);
}
