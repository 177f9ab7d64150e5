/*
 * ref_store.c: the SQLite database of ddref (ref_store.h): schema,
 * migrations, transactions and the typed rows.
 */
#include "ref_store.h"

#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dd_buf.h"
#include "dd_err.h"
#include "dd_json.h"
#include "dd_jw.h"
#include "ref_log.h"

/* How long a statement waits for another process's write lock. */
#define BUSY_TIMEOUT_MS 10000

/* ============================================================ migrations */

/* Migration N takes the schema from version N to N + 1. Never edit a
 * migration that shipped: add the next one. */
static const char *const migrations[REF_SCHEMA_VERSION] = {
    /* 0 -> 1: the first schema. */
    "CREATE TABLE meta ("
    "  key TEXT PRIMARY KEY,"
    "  value INTEGER NOT NULL);"
    "CREATE TABLE aftersales ("
    "  id INTEGER PRIMARY KEY,"
    "  type INTEGER NOT NULL,"
    "  status INTEGER NOT NULL,"
    "  refund_status INTEGER NOT NULL DEFAULT 0,"
    "  refund_type INTEGER NOT NULL DEFAULT 0,"
    "  order_id INTEGER NOT NULL DEFAULT 0,"
    "  sku_order_id INTEGER NOT NULL DEFAULT 0,"
    "  product_id INTEGER NOT NULL DEFAULT 0,"
    "  quantity INTEGER NOT NULL DEFAULT 0,"
    "  refund_amount INTEGER NOT NULL DEFAULT 0,"
    "  update_time INTEGER NOT NULL DEFAULT 0,"
    "  final_time INTEGER NOT NULL DEFAULT 0,"
    "  got_pkg INTEGER NOT NULL DEFAULT 0,"
    "  return_tracking_no TEXT NOT NULL DEFAULT '',"
    "  return_company TEXT NOT NULL DEFAULT '',"
    "  read_at_us INTEGER NOT NULL,"
    "  source TEXT NOT NULL,"
    "  first_seen_us INTEGER NOT NULL,"
    "  settled INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX aftersales_sku ON aftersales(sku_order_id);"
    "CREATE INDEX aftersales_order ON aftersales(order_id);"
    "CREATE INDEX aftersales_unsettled ON aftersales(settled);"
    "CREATE TABLE writebacks ("
    "  aftersale_id INTEGER NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  state TEXT NOT NULL,"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  next_at_us INTEGER NOT NULL DEFAULT 0,"
    "  reread INTEGER NOT NULL DEFAULT 0,"
    "  note TEXT NOT NULL DEFAULT '',"
    "  updated_us INTEGER NOT NULL,"
    "  PRIMARY KEY (aftersale_id, kind));"
    "CREATE TABLE outbounds ("
    "  sku_order_id INTEGER PRIMARY KEY,"
    "  order_id INTEGER NOT NULL,"
    "  product_id INTEGER NOT NULL DEFAULT 0,"
    "  quantity INTEGER NOT NULL DEFAULT 1,"
    "  status TEXT NOT NULL,"
    "  aftersale_id INTEGER NOT NULL DEFAULT 0,"
    "  company_code TEXT NOT NULL DEFAULT '',"
    "  tracking_no TEXT NOT NULL DEFAULT '',"
    "  updated_us INTEGER NOT NULL);"
    "CREATE TABLE stock ("
    "  product_id INTEGER PRIMARY KEY,"
    "  available INTEGER NOT NULL DEFAULT 0,"
    "  reserved INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE ledger ("
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  time_us INTEGER NOT NULL,"
    "  aftersale_id INTEGER NOT NULL,"
    "  sku_order_id INTEGER NOT NULL,"
    "  entry TEXT NOT NULL,"
    "  quantity INTEGER NOT NULL,"
    "  amount INTEGER NOT NULL,"
    "  note TEXT NOT NULL DEFAULT '');"
    "CREATE INDEX ledger_aftersale ON ledger(aftersale_id);"
    "CREATE TABLE return_orders ("
    "  aftersale_id INTEGER PRIMARY KEY,"
    "  sku_order_id INTEGER NOT NULL DEFAULT 0,"
    "  order_id INTEGER NOT NULL DEFAULT 0,"
    "  product_id INTEGER NOT NULL DEFAULT 0,"
    "  quantity INTEGER NOT NULL DEFAULT 0,"
    "  tracking_no TEXT NOT NULL DEFAULT '',"
    "  company TEXT NOT NULL DEFAULT '',"
    "  state TEXT NOT NULL,"
    "  arrived INTEGER NOT NULL DEFAULT 0,"
    "  arrived_us INTEGER NOT NULL DEFAULT 0,"
    "  condition TEXT NOT NULL DEFAULT '',"
    "  arrival_tracking_no TEXT NOT NULL DEFAULT '',"
    "  items_json TEXT NOT NULL DEFAULT '[]',"
    "  note TEXT NOT NULL DEFAULT '',"
    "  updated_us INTEGER NOT NULL);"
    "CREATE TABLE shipments ("
    "  order_id INTEGER PRIMARY KEY,"
    "  company_code TEXT NOT NULL,"
    "  tracking_no TEXT NOT NULL,"
    "  state TEXT NOT NULL,"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  next_at_us INTEGER NOT NULL DEFAULT 0,"
    "  created_us INTEGER NOT NULL,"
    "  note TEXT NOT NULL DEFAULT '');"
    "CREATE TABLE push_msgs ("
    "  msg_id TEXT PRIMARY KEY,"
    "  tag TEXT NOT NULL,"
    "  aftersale_id INTEGER NOT NULL DEFAULT 0,"
    "  received_us INTEGER NOT NULL,"
    "  state TEXT NOT NULL,"
    "  note TEXT NOT NULL DEFAULT '');"
    "CREATE INDEX push_msgs_pending ON push_msgs(state);",
};

/* ============================================================ helpers */

static int db_fail(struct ref_store *s, const char *what)
{
    snprintf(s->err, sizeof s->err, "%s: %s", what,
             s->db ? sqlite3_errmsg(s->db) : "no database");
    ref_log("store: %s", s->err);
    return DD_E_IO;
}

/*
 * Prepares `sql` and binds the arguments described by `types`: 'i' an
 * int64_t, 't' a const char * (NULL binds NULL). Returns the statement
 * or NULL (error recorded).
 */
static sqlite3_stmt *vprep(struct ref_store *s, const char *sql,
                           const char *types, va_list ap)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
        db_fail(s, sql);
        return NULL;
    }
    int i = 1;
    for (const char *t = types; t && *t; t++, i++) {
        int rc;
        if (*t == 'i') {
            rc = sqlite3_bind_int64(st, i, va_arg(ap, int64_t));
        } else {
            const char *v = va_arg(ap, const char *);
            rc = v ? sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT)
                   : sqlite3_bind_null(st, i);
        }
        if (rc != SQLITE_OK) {
            db_fail(s, "bind");
            sqlite3_finalize(st);
            return NULL;
        }
    }
    return st;
}

static sqlite3_stmt *prep(struct ref_store *s, const char *sql,
                          const char *types, ...)
{
    va_list ap;
    va_start(ap, types);
    sqlite3_stmt *st = vprep(s, sql, types, ap);
    va_end(ap);
    return st;
}

/* Runs a statement that returns no rows. */
static int run(struct ref_store *s, const char *sql, const char *types, ...)
{
    va_list ap;
    va_start(ap, types);
    sqlite3_stmt *st = vprep(s, sql, types, ap);
    va_end(ap);
    if (!st)
        return DD_E_IO;
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        return db_fail(s, sql);
    return 0;
}

/* Copies text column `col` into out (cap bytes). */
static void col_text(sqlite3_stmt *st, int col, char *out, size_t cap)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    snprintf(out, cap, "%s", t ? (const char *)t : "");
}

/* Runs a query returning one column of integers into a new array. */
static int id_list(struct ref_store *s, sqlite3_stmt *st, int64_t **ids,
                   size_t *n)
{
    *ids = NULL;
    *n = 0;
    if (!st)
        return DD_E_IO;
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 32;
            int64_t *grown = realloc(*ids, cap * sizeof **ids);
            if (!grown)
                abort();
            *ids = grown;
        }
        (*ids)[(*n)++] = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        free(*ids);
        *ids = NULL;
        *n = 0;
        return db_fail(s, "query");
    }
    return 0;
}

/* ============================================================ open, close */

static int pragma(struct ref_store *s, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(s->err, sizeof s->err, "%s: %s", sql, msg ? msg : "?");
        sqlite3_free(msg);
        return DD_E_IO;
    }
    return 0;
}

int ref_store_schema_version(struct ref_store *s)
{
    sqlite3_stmt *st = prep(s, "PRAGMA user_version", "");
    int v = -1;
    if (st && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return v;
}

static int migrate(struct ref_store *s)
{
    int rc = ref_store_begin(s);
    if (rc)
        return rc;
    int v = ref_store_schema_version(s);
    if (v < 0 || v > REF_SCHEMA_VERSION) {
        snprintf(s->err, sizeof s->err,
                 "schema version %d is not one this ddref knows (up to %d)", v,
                 REF_SCHEMA_VERSION);
        ref_store_rollback(s);
        return DD_E_FORMAT;
    }
    for (; v < REF_SCHEMA_VERSION; v++) {
        char *msg = NULL;
        char sql[64];
        if (sqlite3_exec(s->db, migrations[v], NULL, NULL, &msg) != SQLITE_OK) {
            snprintf(s->err, sizeof s->err, "migration %d -> %d: %s", v, v + 1,
                     msg ? msg : "?");
            sqlite3_free(msg);
            ref_store_rollback(s);
            return DD_E_IO;
        }
        snprintf(sql, sizeof sql, "PRAGMA user_version = %d", v + 1);
        if (pragma(s, sql)) {
            ref_store_rollback(s);
            return DD_E_IO;
        }
    }
    return ref_store_commit(s);
}

int ref_store_open(struct ref_store *s, const char *state_dir, char *err,
                   size_t errlen)
{
    memset(s, 0, sizeof *s);
    if (!state_dir || !*state_dir) {
        snprintf(err, errlen, "no state directory (DOUDIAN_STATE_DIR)");
        return DD_E_USAGE;
    }
    int n =
        snprintf(s->path, sizeof s->path, "%s/%s", state_dir, REF_STORE_FILE);
    if (n < 0 || (size_t)n >= sizeof s->path) {
        snprintf(err, errlen, "state directory path too long");
        return DD_E_TOO_LARGE;
    }
    if (sqlite3_open_v2(s->path, &s->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                            SQLITE_OPEN_FULLMUTEX,
                        NULL) != SQLITE_OK) {
        snprintf(err, errlen, "open %s: %s", s->path,
                 s->db ? sqlite3_errmsg(s->db) : "out of memory");
        ref_store_close(s);
        return DD_E_IO;
    }
    sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
    int rc = pragma(s, "PRAGMA journal_mode=WAL");
    if (!rc)
        rc = pragma(s, "PRAGMA synchronous=FULL");
    if (!rc)
        rc = migrate(s);
    if (rc) {
        snprintf(err, errlen, "%s: %s", s->path, s->err);
        ref_store_close(s);
        return rc;
    }
    return 0;
}

void ref_store_close(struct ref_store *s)
{
    if (s->db)
        sqlite3_close(s->db);
    s->db = NULL;
}

int ref_store_begin(struct ref_store *s)
{
    if (s->depth)
        return 0; /* already inside: the outer transaction decides */
    if (run(s, "BEGIN IMMEDIATE", ""))
        return DD_E_IO;
    s->depth = 1;
    return 0;
}

int ref_store_commit(struct ref_store *s)
{
    if (!s->depth)
        return 0;
    if (run(s, "COMMIT", "")) {
        ref_store_rollback(s);
        return DD_E_IO;
    }
    s->depth = 0;
    return 0;
}

void ref_store_rollback(struct ref_store *s)
{
    if (s->db && !sqlite3_get_autocommit(s->db))
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    s->depth = 0;
}

/* ============================================================ meta */

int ref_store_meta_get(struct ref_store *s, const char *key, int64_t *out)
{
    sqlite3_stmt *st =
        prep(s, "SELECT value FROM meta WHERE key = ?", "t", key);
    if (!st)
        return DD_E_IO;
    int rc = sqlite3_step(st);
    int ret = 0;
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int64(st, 0);
    else if (rc == SQLITE_DONE)
        ret = DD_E_NOT_FOUND;
    else
        ret = db_fail(s, "meta");
    sqlite3_finalize(st);
    return ret;
}

int ref_store_meta_set(struct ref_store *s, const char *key, int64_t value)
{
    return run(s,
               "INSERT INTO meta(key, value) VALUES(?, ?) "
               "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
               "ti", key, value);
}

/* ============================================================ after-sales */

#define AS_COLUMNS                                                             \
    "id, type, status, refund_status, refund_type, order_id, sku_order_id, "   \
    "product_id, quantity, refund_amount, update_time, final_time, got_pkg, "  \
    "return_tracking_no, return_company, read_at_us, source"

static void aftersale_from_row(sqlite3_stmt *st, struct ref_aftersale *a)
{
    memset(a, 0, sizeof *a);
    int64_t *ints[] = {
        &a->id,          &a->type,          &a->status,       &a->refund_status,
        &a->refund_type, &a->order_id,      &a->sku_order_id, &a->product_id,
        &a->quantity,    &a->refund_amount, &a->update_time,  &a->final_time,
        &a->got_pkg};
    int c = 0;
    for (; c < (int)(sizeof ints / sizeof ints[0]); c++)
        *ints[c] = sqlite3_column_int64(st, c);
    col_text(st, c++, a->return_tracking_no, sizeof a->return_tracking_no);
    col_text(st, c++, a->return_company, sizeof a->return_company);
    a->read_at_us = sqlite3_column_int64(st, c++);
    col_text(st, c, a->source, sizeof a->source);
}

int ref_store_aftersale_get(struct ref_store *s, int64_t id,
                            struct ref_aftersale *out)
{
    sqlite3_stmt *st =
        prep(s, "SELECT " AS_COLUMNS " FROM aftersales WHERE id = ?", "i", id);
    if (!st)
        return DD_E_IO;
    int rc = sqlite3_step(st);
    int ret = 0;
    if (rc == SQLITE_ROW)
        aftersale_from_row(st, out);
    else if (rc == SQLITE_DONE)
        ret = DD_E_NOT_FOUND;
    else
        ret = db_fail(s, "aftersale");
    sqlite3_finalize(st);
    return ret;
}

/* True when the two versions differ in what the ERP decides on. */
static bool version_differs(const struct ref_aftersale *a,
                            const struct ref_aftersale *b)
{
    return a->type != b->type || a->status != b->status ||
           a->refund_status != b->refund_status ||
           a->refund_type != b->refund_type || a->quantity != b->quantity ||
           a->refund_amount != b->refund_amount ||
           a->update_time != b->update_time || a->final_time != b->final_time ||
           a->got_pkg != b->got_pkg ||
           strcmp(a->return_tracking_no, b->return_tracking_no) != 0;
}

static int aftersale_write(struct ref_store *s, const struct ref_aftersale *a,
                           bool reset_settled)
{
    return run(
        s,
        "INSERT INTO aftersales(id, type, status, refund_status, refund_type, "
        "order_id, sku_order_id, product_id, quantity, refund_amount, "
        "update_time, final_time, got_pkg, return_tracking_no, return_company, "
        "read_at_us, source, first_seen_us, settled) "
        "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,0) "
        "ON CONFLICT(id) DO UPDATE SET type=excluded.type, "
        "status=excluded.status, refund_status=excluded.refund_status, "
        "refund_type=excluded.refund_type, "
        "order_id=CASE WHEN excluded.order_id<>0 THEN excluded.order_id "
        "ELSE order_id END, "
        "sku_order_id=CASE WHEN excluded.sku_order_id<>0 "
        "THEN excluded.sku_order_id ELSE sku_order_id END, "
        "product_id=CASE WHEN excluded.product_id<>0 THEN excluded.product_id "
        "ELSE product_id END, "
        "quantity=excluded.quantity, refund_amount=excluded.refund_amount, "
        "update_time=excluded.update_time, final_time=excluded.final_time, "
        "got_pkg=excluded.got_pkg, "
        "return_tracking_no=CASE WHEN excluded.return_tracking_no<>'' "
        "THEN excluded.return_tracking_no ELSE return_tracking_no END, "
        "return_company=CASE WHEN excluded.return_company<>'' "
        "THEN excluded.return_company ELSE return_company END, "
        "read_at_us=excluded.read_at_us, source=excluded.source, "
        "settled=CASE WHEN ? THEN 0 ELSE settled END",
        "iiiiiiiiiiiii"
        "ttitii",
        a->id, a->type, a->status, a->refund_status, a->refund_type,
        a->order_id, a->sku_order_id, a->product_id, a->quantity,
        a->refund_amount, a->update_time, a->final_time, a->got_pkg,
        a->return_tracking_no, a->return_company, a->read_at_us, a->source,
        ref_now_us(), (int64_t)reset_settled);
}

int ref_store_aftersale_put(struct ref_store *s, const struct ref_aftersale *a,
                            bool frozen, enum ref_put *outcome)
{
    enum ref_put dummy;
    if (!outcome)
        outcome = &dummy;
    struct ref_aftersale old;
    int rc = ref_store_aftersale_get(s, a->id, &old);
    if (rc == DD_E_NOT_FOUND) {
        *outcome = REF_PUT_NEW;
        return aftersale_write(s, a, true);
    }
    if (rc)
        return rc;
    if (frozen) {
        *outcome = REF_PUT_FROZEN;
        return 0;
    }
    bool newer =
        a->update_time > old.update_time ||
        (a->update_time == old.update_time && a->read_at_us >= old.read_at_us);
    if (!newer) {
        *outcome = REF_PUT_STALE;
        return 0;
    }
    bool differs = version_differs(a, &old);
    *outcome = differs ? REF_PUT_UPDATED : REF_PUT_SAME;
    return aftersale_write(s, a, differs);
}

int ref_store_unsettled(struct ref_store *s, int64_t **ids, size_t *n)
{
    return id_list(s,
                   prep(s,
                        "SELECT id FROM aftersales WHERE settled = 0 "
                        "ORDER BY first_seen_us, id",
                        ""),
                   ids, n);
}

int ref_store_settle(struct ref_store *s, int64_t id, int64_t update_time,
                     int64_t read_at_us)
{
    return run(s,
               "UPDATE aftersales SET settled = 1 WHERE id = ? AND "
               "update_time = ? AND read_at_us <= ?",
               "iii", id, update_time, read_at_us);
}

/* Collects the rows of a prepared after-sale query. */
static int aftersale_rows(struct ref_store *s, sqlite3_stmt *st,
                          struct ref_aftersale *out, size_t cap, size_t *n)
{
    *n = 0;
    if (!st)
        return DD_E_IO;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n < cap)
            aftersale_from_row(st, &out[*n]);
        (*n)++;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : db_fail(s, "aftersales");
}

int ref_store_aftersales_of_sku(struct ref_store *s, int64_t sku_order_id,
                                struct ref_aftersale *out, size_t cap,
                                size_t *n)
{
    return aftersale_rows(s,
                          prep(s,
                               "SELECT " AS_COLUMNS
                               " FROM aftersales WHERE sku_order_id = ? "
                               "ORDER BY first_seen_us, id",
                               "i", sku_order_id),
                          out, cap, n);
}

int ref_store_aftersales_of_order(struct ref_store *s, int64_t order_id,
                                  struct ref_aftersale *out, size_t cap,
                                  size_t *n)
{
    return aftersale_rows(s,
                          prep(s,
                               "SELECT " AS_COLUMNS
                               " FROM aftersales WHERE order_id = ? "
                               "ORDER BY first_seen_us, id",
                               "i", order_id),
                          out, cap, n);
}

int ref_store_aftersale_count(struct ref_store *s, int64_t *n)
{
    sqlite3_stmt *st = prep(s, "SELECT count(*) FROM aftersales", "");
    if (!st)
        return DD_E_IO;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : db_fail(s, "count");
}

/* ============================================================ write-backs */

static const char *const kind_names[REF_KIND_COUNT] = {"cancel", "return",
                                                       "agree"};
static const char *const wb_names[REF_WB_STATE_COUNT] = {
    "none",    "intent", "retry",    "done",      "done_elsewhere",
    "stopped", "failed", "obsolete", "retry_poll"};

const char *ref_kind_name(enum ref_kind k)
{
    return (int)k >= 0 && k < REF_KIND_COUNT ? kind_names[k] : "?";
}

const char *ref_wb_state_name(enum ref_wb_state st)
{
    return (int)st >= 0 && st < REF_WB_STATE_COUNT ? wb_names[st] : "?";
}

bool ref_wb_terminal(enum ref_wb_state st)
{
    return st == REF_WB_DONE || st == REF_WB_DONE_ELSEWHERE ||
           st == REF_WB_STOPPED || st == REF_WB_FAILED || st == REF_WB_OBSOLETE;
}

static enum ref_wb_state wb_state_parse(const char *s)
{
    for (int i = 0; i < REF_WB_STATE_COUNT; i++)
        if (strcmp(wb_names[i], s) == 0)
            return (enum ref_wb_state)i;
    return REF_WB_FAILED; /* unknown text: never send blindly */
}

int ref_store_wb_get(struct ref_store *s, int64_t aftersale_id,
                     enum ref_kind kind, struct ref_writeback *out)
{
    memset(out, 0, sizeof *out);
    out->aftersale_id = aftersale_id;
    out->kind = kind;
    out->state = REF_WB_NONE;
    sqlite3_stmt *st =
        prep(s,
             "SELECT state, attempts, next_at_us, reread, note, updated_us "
             "FROM writebacks WHERE aftersale_id = ? AND kind = ?",
             "it", aftersale_id, ref_kind_name(kind));
    if (!st)
        return DD_E_IO;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        char state[32];
        col_text(st, 0, state, sizeof state);
        out->state = wb_state_parse(state);
        out->attempts = sqlite3_column_int64(st, 1);
        out->next_at_us = sqlite3_column_int64(st, 2);
        out->reread = sqlite3_column_int64(st, 3) != 0;
        col_text(st, 4, out->note, sizeof out->note);
        out->updated_us = sqlite3_column_int64(st, 5);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_fail(s, "writeback");
}

int ref_store_wb_put(struct ref_store *s, const struct ref_writeback *w)
{
    return run(s,
               "INSERT OR REPLACE INTO writebacks(aftersale_id, kind, state, "
               "attempts, next_at_us, reread, note, updated_us) "
               "VALUES(?,?,?,?,?,?,?,?)",
               "ittiiiti", w->aftersale_id, ref_kind_name(w->kind),
               ref_wb_state_name(w->state), w->attempts, w->next_at_us,
               (int64_t)w->reread, w->note, ref_now_us());
}

/* ============================================================ outbounds */

static const char *const ob_names[] = {"none", "open", "cancelled", "shipped"};

const char *ref_ob_status_name(enum ref_ob_status st)
{
    return (int)st >= 0 && st <= REF_OB_SHIPPED ? ob_names[st] : "?";
}

int ref_store_outbound_get(struct ref_store *s, int64_t sku_order_id,
                           struct ref_outbound *out)
{
    memset(out, 0, sizeof *out);
    out->sku_order_id = sku_order_id;
    out->status = REF_OB_NONE;
    sqlite3_stmt *st = prep(s,
                            "SELECT order_id, product_id, quantity, status, "
                            "aftersale_id, company_code, tracking_no, "
                            "updated_us FROM outbounds WHERE sku_order_id = ?",
                            "i", sku_order_id);
    if (!st)
        return DD_E_IO;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        out->order_id = sqlite3_column_int64(st, 0);
        out->product_id = sqlite3_column_int64(st, 1);
        out->quantity = sqlite3_column_int64(st, 2);
        char status[16];
        col_text(st, 3, status, sizeof status);
        out->status = REF_OB_OPEN;
        for (int i = REF_OB_OPEN; i <= REF_OB_SHIPPED; i++)
            if (strcmp(status, ob_names[i]) == 0)
                out->status = (enum ref_ob_status)i;
        out->aftersale_id = sqlite3_column_int64(st, 4);
        col_text(st, 5, out->company_code, sizeof out->company_code);
        col_text(st, 6, out->tracking_no, sizeof out->tracking_no);
        out->updated_us = sqlite3_column_int64(st, 7);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_fail(s, "outbound");
}

int ref_store_outbound_put(struct ref_store *s, const struct ref_outbound *o)
{
    enum ref_ob_status status =
        o->status == REF_OB_NONE ? REF_OB_OPEN : o->status;
    return run(s,
               "INSERT OR REPLACE INTO outbounds(sku_order_id, order_id, "
               "product_id, quantity, status, aftersale_id, company_code, "
               "tracking_no, updated_us) VALUES(?,?,?,?,?,?,?,?,?)",
               "iiiititti", o->sku_order_id, o->order_id, o->product_id,
               o->quantity, ref_ob_status_name(status), o->aftersale_id,
               o->company_code, o->tracking_no, ref_now_us());
}

/* ============================================================ stock, ledger */

int ref_store_stock_move(struct ref_store *s, int64_t product_id,
                         int64_t d_available, int64_t d_reserved)
{
    return run(s,
               "INSERT INTO stock(product_id, available, reserved) "
               "VALUES(?, ?, ?) ON CONFLICT(product_id) DO UPDATE SET "
               "available = available + excluded.available, "
               "reserved = reserved + excluded.reserved",
               "iii", product_id, d_available, d_reserved);
}

int ref_store_stock_get(struct ref_store *s, int64_t product_id,
                        int64_t *available, int64_t *reserved)
{
    *available = *reserved = 0;
    sqlite3_stmt *st =
        prep(s, "SELECT available, reserved FROM stock WHERE product_id = ?",
             "i", product_id);
    if (!st)
        return DD_E_IO;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *available = sqlite3_column_int64(st, 0);
        *reserved = sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_fail(s, "stock");
}

int ref_store_ledger_add(struct ref_store *s, int64_t aftersale_id,
                         int64_t sku_order_id, const char *entry,
                         int64_t quantity, int64_t amount, const char *note)
{
    return run(s,
               "INSERT INTO ledger(time_us, aftersale_id, sku_order_id, entry, "
               "quantity, amount, note) VALUES(?,?,?,?,?,?,?)",
               "iiitiit", ref_now_us(), aftersale_id, sku_order_id, entry,
               quantity, amount, note ? note : "");
}

int ref_store_ledger_count(struct ref_store *s, int64_t aftersale_id,
                           const char *entry, int64_t *n)
{
    sqlite3_stmt *st =
        entry ? prep(s,
                     "SELECT count(*) FROM ledger WHERE aftersale_id = ? "
                     "AND entry = ?",
                     "it", aftersale_id, entry)
              : prep(s, "SELECT count(*) FROM ledger WHERE aftersale_id = ?",
                     "i", aftersale_id);
    if (!st)
        return DD_E_IO;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : db_fail(s, "ledger count");
}

/* ============================================================ return orders */

static const char *const ro_names[] = {"none",     "awaiting", "arrived",
                                       "accepted", "rejected", "closed"};

const char *ref_ro_state_name(enum ref_ro_state st)
{
    return (int)st >= 0 && st <= REF_RO_CLOSED ? ro_names[st] : "?";
}

/* Reads items_json ([{"sku_order_id": "…", "quantity": N}, …]). */
static void items_from_json(const char *text, struct ref_return_order *r)
{
    struct dd_json_doc doc = {0};
    r->n_items = 0;
    if (dd_json_parse(text, strlen(text), NULL, &doc, NULL) == 0 &&
        doc.root->type == DD_JSON_ARRAY) {
        for (size_t i = 0;
             i < doc.root->n && r->n_items < REF_ARRIVAL_ITEMS_MAX; i++) {
            const struct dd_json *it = &doc.root->kids[i];
            struct ref_return_item *o = &r->items[r->n_items];
            if (dd_json_int64(dd_json_get(it, "sku_order_id"),
                              &o->sku_order_id) != 0 ||
                dd_json_int64(dd_json_get(it, "quantity"), &o->quantity) != 0)
                continue;
            r->n_items++;
        }
    }
    dd_json_doc_free(&doc);
}

static char *items_to_json(const struct ref_return_order *r)
{
    struct dd_buf b;
    dd_buf_init(&b, 0);
    struct dd_jw w;
    dd_jw_init(&w, &b);
    dd_jw_array_begin(&w);
    for (size_t i = 0; i < r->n_items; i++) {
        dd_jw_object_begin(&w);
        dd_jw_kint(&w, "quantity", r->items[i].quantity);
        dd_jw_kint_str(&w, "sku_order_id", r->items[i].sku_order_id);
        dd_jw_object_end(&w);
    }
    dd_jw_array_end(&w);
    return dd_buf_steal(&b);
}

int ref_store_return_get(struct ref_store *s, int64_t aftersale_id,
                         struct ref_return_order *out)
{
    memset(out, 0, sizeof *out);
    out->aftersale_id = aftersale_id;
    out->state = REF_RO_NONE;
    sqlite3_stmt *st = prep(
        s,
        "SELECT sku_order_id, order_id, product_id, quantity, tracking_no, "
        "company, state, arrived, arrived_us, condition, arrival_tracking_no, "
        "items_json, note FROM return_orders WHERE aftersale_id = ?",
        "i", aftersale_id);
    if (!st)
        return DD_E_IO;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        out->sku_order_id = sqlite3_column_int64(st, 0);
        out->order_id = sqlite3_column_int64(st, 1);
        out->product_id = sqlite3_column_int64(st, 2);
        out->quantity = sqlite3_column_int64(st, 3);
        col_text(st, 4, out->tracking_no, sizeof out->tracking_no);
        col_text(st, 5, out->company, sizeof out->company);
        char state[16];
        col_text(st, 6, state, sizeof state);
        out->state = REF_RO_AWAITING;
        for (int i = REF_RO_AWAITING; i <= REF_RO_CLOSED; i++)
            if (strcmp(state, ro_names[i]) == 0)
                out->state = (enum ref_ro_state)i;
        out->arrived = sqlite3_column_int64(st, 7) != 0;
        out->arrived_us = sqlite3_column_int64(st, 8);
        col_text(st, 9, out->condition, sizeof out->condition);
        col_text(st, 10, out->arrival_tracking_no,
                 sizeof out->arrival_tracking_no);
        const unsigned char *items = sqlite3_column_text(st, 11);
        items_from_json(items ? (const char *)items : "[]", out);
        col_text(st, 12, out->note, sizeof out->note);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_fail(s, "return");
}

int ref_store_return_put(struct ref_store *s, const struct ref_return_order *r)
{
    char *items = items_to_json(r);
    enum ref_ro_state state =
        r->state == REF_RO_NONE ? REF_RO_AWAITING : r->state;
    int rc =
        run(s,
            "INSERT OR REPLACE INTO return_orders(aftersale_id, "
            "sku_order_id, order_id, product_id, quantity, tracking_no, "
            "company, state, arrived, arrived_us, condition, "
            "arrival_tracking_no, items_json, note, updated_us) "
            "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            "iiiii"
            "ttt"
            "ii"
            "tttt"
            "i",
            r->aftersale_id, r->sku_order_id, r->order_id, r->product_id,
            r->quantity, r->tracking_no, r->company, ref_ro_state_name(state),
            (int64_t)r->arrived, r->arrived_us, r->condition,
            r->arrival_tracking_no, items, r->note, ref_now_us());
    free(items);
    return rc;
}

/* ============================================================ shipments */

static const char *const ship_names[] = {"none",  "pending", "intent",
                                         "retry", "done",    "failed"};

const char *ref_ship_state_name(enum ref_ship_state st)
{
    return (int)st >= 0 && st <= REF_SHIP_FAILED ? ship_names[st] : "?";
}

int ref_store_shipment_get(struct ref_store *s, int64_t order_id,
                           struct ref_shipment *out)
{
    memset(out, 0, sizeof *out);
    out->order_id = order_id;
    out->state = REF_SHIP_NONE;
    sqlite3_stmt *st = prep(s,
                            "SELECT company_code, tracking_no, state, "
                            "attempts, next_at_us, created_us, note "
                            "FROM shipments WHERE order_id = ?",
                            "i", order_id);
    if (!st)
        return DD_E_IO;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        col_text(st, 0, out->company_code, sizeof out->company_code);
        col_text(st, 1, out->tracking_no, sizeof out->tracking_no);
        char state[16];
        col_text(st, 2, state, sizeof state);
        out->state = REF_SHIP_FAILED;
        for (int i = REF_SHIP_PENDING; i <= REF_SHIP_FAILED; i++)
            if (strcmp(state, ship_names[i]) == 0)
                out->state = (enum ref_ship_state)i;
        out->attempts = sqlite3_column_int64(st, 3);
        out->next_at_us = sqlite3_column_int64(st, 4);
        out->created_us = sqlite3_column_int64(st, 5);
        col_text(st, 6, out->note, sizeof out->note);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_fail(s, "shipment");
}

int ref_store_shipment_put(struct ref_store *s, const struct ref_shipment *sh)
{
    return run(s,
               "INSERT OR REPLACE INTO shipments(order_id, company_code, "
               "tracking_no, state, attempts, next_at_us, created_us, note) "
               "VALUES(?,?,?,?,?,?,?,?)",
               "itttiiit", sh->order_id, sh->company_code, sh->tracking_no,
               ref_ship_state_name(sh->state), sh->attempts, sh->next_at_us,
               sh->created_us, sh->note);
}

int ref_store_shipments_open(struct ref_store *s, int64_t **ids, size_t *n)
{
    return id_list(s,
                   prep(s,
                        "SELECT order_id FROM shipments WHERE state NOT IN "
                        "('done', 'failed') ORDER BY created_us, order_id",
                        ""),
                   ids, n);
}

/* ============================================================ pushes */

int ref_store_push_add(struct ref_store *s, const char *msg_id, const char *tag,
                       int64_t aftersale_id, const char *state,
                       const char *note, bool *fresh)
{
    int rc = run(s,
                 "INSERT OR IGNORE INTO push_msgs(msg_id, tag, aftersale_id, "
                 "received_us, state, note) VALUES(?,?,?,?,?,?)",
                 "ttiitt", msg_id, tag, aftersale_id, ref_now_us(), state,
                 note ? note : "");
    if (fresh)
        *fresh = rc == 0 && sqlite3_changes(s->db) > 0;
    return rc;
}

int ref_store_push_pending(struct ref_store *s, int64_t **ids, size_t *n)
{
    return id_list(s,
                   prep(s,
                        "SELECT aftersale_id FROM push_msgs WHERE state = "
                        "'pending' GROUP BY aftersale_id "
                        "ORDER BY min(received_us)",
                        ""),
                   ids, n);
}

int ref_store_push_settle(struct ref_store *s, int64_t aftersale_id,
                          const char *state, const char *note)
{
    return run(s,
               "UPDATE push_msgs SET state = ?, note = ? WHERE aftersale_id = "
               "? AND state = 'pending'",
               "tti", state, note ? note : "", aftersale_id);
}

int ref_store_push_count(struct ref_store *s, int64_t *n)
{
    sqlite3_stmt *st = prep(s, "SELECT count(*) FROM push_msgs", "");
    if (!st)
        return DD_E_IO;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : db_fail(s, "push count");
}
