/*
 * settings.c: the table of ddmock's settings (settings.h) and the code that
 * reads and writes them.
 *
 * Many of the values the real gateway and platform use are not public
 * (doudian-open-api.md §1.7 and §8 "NOT FOUND", doudian-shipping-and-
 * operations.md §2.1 and §6.2): the timestamp skew window, the after-sale
 * timers, the push retry policy, the form of `expires_in` (§2.2). Each of
 * those is a setting whose one-line doc says "guess"; the token lifetimes
 * (§2.3), the authorization-code lifetime (§2.1) and the query windows
 * (§4.10) are facts. mock/WORLD.md lists the same table for readers.
 *
 * The table below is the only list of names: parsing, JSON output and
 * `ddmock --help-settings` all walk it, so a new setting is one row.
 */
#include "settings.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "dd_jw.h"
#include "vread.h"

enum kind {
    K_COUNT,   /* plain integer */
    K_SECONDS, /* duration, plain number = seconds, units s m h d */
    K_MS,      /* duration, plain number = ms, units ms s m h d */
    K_BOOL,    /* true/false/1/0, stored 1/0 */
    K_EXPIRES, /* "duration"/"unix" (or 0/1), enum mock_expires_form */
};

struct setting {
    const char *name;
    size_t offset;
    enum kind kind;
    int64_t min, max, def;
    const char *doc;
};

#define DAY       INT64_C(86400)
#define TEN_YEARS (3650 * DAY)
#define OFF(f)    offsetof(struct mock_settings, f)

static const struct setting table[] = {
    {"skew_seconds", OFF(skew_seconds), K_SECONDS, 0, TEN_YEARS, 600,
     "timestamp window, both ways (guess: the real window is not public)"},
    {"body_max_bytes", OFF(body_max_bytes), K_COUNT, 1, INT64_C(1) << 30,
     INT64_C(1) << 20,
     "request body cap in bytes (guess: the real cap is not public)"},
    {"time_scale", OFF(time_scale), K_COUNT, 1, 1000000, 1,
     "platform timers and token lifetimes run N times faster"},
    {"access_token_ttl", OFF(access_token_ttl), K_SECONDS, 1, TEN_YEARS,
     7 * DAY, "access_token lifetime, scaled (fact: 7 days, open-api 2.3)"},
    {"refresh_token_ttl", OFF(refresh_token_ttl), K_SECONDS, 1, TEN_YEARS,
     14 * DAY, "refresh_token lifetime, scaled (fact: 14 days, open-api 2.3)"},
    {"refresh_window", OFF(refresh_window), K_SECONDS, 0, TEN_YEARS, 3600,
     "a refresh this close to expiry issues a new pair, scaled (fact: 1 h)"},
    {"old_pair_grace", OFF(old_pair_grace), K_SECONDS, 0, TEN_YEARS, 3600,
     "old pair stays valid after such a refresh, scaled (fact: 1 h)"},
    {"auth_code_ttl", OFF(auth_code_ttl), K_SECONDS, 1, TEN_YEARS, 600,
     "authorization code lifetime, not scaled (fact: 10 minutes)"},
    {"expires_form", OFF(expires_form), K_EXPIRES, 0, 1, MOCK_EXPIRES_DURATION,
     "expires_in as \"duration\" (seconds left) or \"unix\" (guess: sources "
     "disagree, open-api 2.2)"},
    {"merchant_response_timeout", OFF(merchant_response_timeout), K_SECONDS, 1,
     TEN_YEARS, 2 * DAY,
     "merchant's time to answer a refund or return application before the "
     "platform agrees, scaled (guess: not public)"},
    {"buyer_return_timeout", OFF(buyer_return_timeout), K_SECONDS, 1, TEN_YEARS,
     7 * DAY,
     "buyer's time to ship an agreed return before it closes, scaled "
     "(guess: not public)"},
    {"merchant_receive_timeout", OFF(merchant_receive_timeout), K_SECONDS, 1,
     TEN_YEARS, 7 * DAY,
     "merchant's time to confirm a shipped return before the platform "
     "refunds, scaled (guess: not public)"},
    {"push_timeout_ms", OFF(push_timeout_ms), K_MS, 1, TEN_YEARS * 1000, 5000,
     "one push attempt's timeout (guess: only \"answer within 5 s\" is "
     "known)"},
    {"push_backoff_initial_ms", OFF(push_backoff_initial_ms), K_MS, 1,
     TEN_YEARS * 1000, 1000,
     "first push retry delay, doubled per attempt (guess: not public)"},
    {"push_backoff_max_ms", OFF(push_backoff_max_ms), K_MS, 1, TEN_YEARS * 1000,
     60000, "cap of the push retry delay (guess: not public)"},
    {"push_max_attempts", OFF(push_max_attempts), K_COUNT, 1, 1000000, 10,
     "push attempts before giving up (guess: not public)"},
    {"push_batch_max", OFF(push_batch_max), K_COUNT, 1, 10000, 20,
     "messages per push POST (guess: not public)"},
    {"legacy_err_no", OFF(legacy_err_no), K_BOOL, 0, 1, 0,
     "also answer the legacy err_no/message pair (seen in a 2021 sample)"},
    {"list_default_window_days", OFF(list_default_window_days), K_COUNT, 1,
     3650, 183,
     "afterSale.List default apply-time window, days (fact: last 6 months)"},
    {"search_window_days", OFF(search_window_days), K_COUNT, 1, 3650, 90,
     "order.searchList window, days (fact: last 90 days)"},
    {"journal_capacity", OFF(journal_capacity), K_COUNT, 1, 100000000, 10000,
     "journal entries kept in memory"},
    {"seed", OFF(seed), K_COUNT, 0, INT64_MAX, 1,
     "random seed of ids, credentials and tokens"},
};

#define N_SETTINGS (sizeof table / sizeof table[0])

static int64_t *field(struct mock_settings *s, const struct setting *t)
{
    return (int64_t *)(void *)((char *)s + t->offset);
}

static int64_t get(const struct mock_settings *s, const struct setting *t)
{
    const int64_t *p =
        (const int64_t *)(const void *)((const char *)s + t->offset);
    return *p;
}

void mock_settings_default(struct mock_settings *s)
{
    memset(s, 0, sizeof *s);
    for (size_t i = 0; i < N_SETTINGS; i++)
        *field(s, &table[i]) = table[i].def;
}

static const struct setting *find(const char *name, size_t len)
{
    for (size_t i = 0; i < N_SETTINGS; i++)
        if (strlen(table[i].name) == len &&
            memcmp(table[i].name, name, len) == 0)
            return &table[i];
    return NULL;
}

/* The closest setting name within a small edit distance, or NULL. */
static const char *suggest(const char *name)
{
    const char *best = NULL;
    size_t best_d = 3;
    for (size_t i = 0; i < N_SETTINGS; i++) {
        size_t d = vr_distance(name, table[i].name);
        if (d < best_d) {
            best_d = d;
            best = table[i].name;
        }
    }
    return best;
}

/* Multiplier for a duration unit in the setting's base unit (seconds or
 * ms), or 0 when the unit is not allowed. */
static int64_t unit_mult(const char *u, size_t n, enum kind kind)
{
    static const struct {
        const char *name;
        int64_t ms;
    } units[] = {
        {"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"d", 86400000}};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strlen(units[i].name) != n || memcmp(units[i].name, u, n) != 0)
            continue;
        if (kind == K_MS)
            return units[i].ms;
        return units[i].ms % 1000 == 0 ? units[i].ms / 1000 : 0;
    }
    return 0;
}

/* True for an optional '-' and one or more digits, nothing else. */
static bool is_integer(const char *v)
{
    size_t i = v[0] == '-' ? 1 : 0, d = i;
    while (v[i] >= '0' && v[i] <= '9')
        i++;
    return i > d && v[i] == '\0';
}

/*
 * Parses a duration: a plain integer in the base unit, or one or more
 * groups of digits followed by a unit ("48h", "1d12h", "1500ms" for ms
 * settings). Returns 0 and the value, -1 on a syntax error, -2 on
 * overflow.
 */
static int parse_duration(const char *v, enum kind kind, int64_t *out)
{
    size_t len = strlen(v);
    int64_t total = 0;
    if (len == 0)
        return -1;
    if (is_integer(v))
        return dd_parse_int64(v, len, out) == 0 ? 0 : -2;
    for (size_t i = 0; i < len;) {
        size_t d0 = i;
        while (i < len && v[i] >= '0' && v[i] <= '9')
            i++;
        size_t u0 = i;
        while (i < len && v[i] >= 'a' && v[i] <= 'z')
            i++;
        if (u0 == d0 || i == u0)
            return -1;
        int64_t n, mult = unit_mult(v + u0, i - u0, kind);
        if (mult == 0)
            return -1;
        if (dd_parse_int64(v + d0, u0 - d0, &n) != 0)
            return -2;
        if (n > INT64_MAX / mult || total > INT64_MAX - n * mult)
            return -2;
        total += n * mult;
    }
    *out = total;
    return 0;
}

static const char *kind_help(enum kind kind)
{
    switch (kind) {
    case K_COUNT:
        return "an integer";
    case K_SECONDS:
        return "a duration: seconds, or units s m h d like \"90s\", \"48h\", "
               "\"1d12h\"";
    case K_MS:
        return "a duration: milliseconds, or units ms s m h d like "
               "\"1500ms\", \"5s\"";
    case K_BOOL:
        return "true, false, 1 or 0";
    case K_EXPIRES:
        return "\"duration\" or \"unix\"";
    }
    return "a value";
}

/* Parses `value` for setting `t`; 0 or -1 with a message. */
static int parse_value(const struct setting *t, const char *value, int64_t *out,
                       char *err, size_t errlen)
{
    int rc = 0;
    int64_t v = 0;
    switch (t->kind) {
    case K_COUNT:
        rc = is_integer(value)
                 ? (dd_parse_int64(value, strlen(value), &v) == 0 ? 0 : -2)
                 : -1;
        break;
    case K_SECONDS:
    case K_MS:
        rc = parse_duration(value, t->kind, &v);
        break;
    case K_BOOL:
        if (strcmp(value, "true") == 0 || strcmp(value, "1") == 0)
            v = 1;
        else if (strcmp(value, "false") == 0 || strcmp(value, "0") == 0)
            v = 0;
        else
            rc = -1;
        break;
    case K_EXPIRES:
        if (strcmp(value, "duration") == 0 || strcmp(value, "0") == 0)
            v = MOCK_EXPIRES_DURATION;
        else if (strcmp(value, "unix") == 0 || strcmp(value, "1") == 0)
            v = MOCK_EXPIRES_UNIX;
        else
            rc = -1;
        break;
    }
    if (rc == -1) {
        snprintf(err, errlen, "%s: \"%s\" is not %s", t->name, value,
                 kind_help(t->kind));
        return -1;
    }
    if (rc == -2) {
        snprintf(err, errlen, "%s: \"%s\" is too large", t->name, value);
        return -1;
    }
    if (v < t->min || v > t->max) {
        if (t->max == INT64_MAX)
            snprintf(err, errlen, "%s: must be at least %lld (got \"%s\")",
                     t->name, (long long)t->min, value);
        else
            snprintf(err, errlen,
                     "%s: must be between %lld and %lld%s (got \"%s\")",
                     t->name, (long long)t->min, (long long)t->max,
                     t->kind == K_SECONDS ? " seconds"
                     : t->kind == K_MS    ? " ms"
                                          : "",
                     value);
        return -1;
    }
    *out = v;
    return 0;
}

static void unknown_name(const char *name, char *err, size_t errlen)
{
    const char *s = suggest(name);
    if (s)
        snprintf(err, errlen, "unknown setting \"%s\" (did you mean \"%s\"?)",
                 name, s);
    else
        snprintf(err, errlen, "unknown setting \"%s\"", name);
}

int mock_settings_set(struct mock_settings *s, const char *name,
                      const char *value, char *err, size_t errlen)
{
    const struct setting *t = find(name, strlen(name));
    int64_t v;
    if (!t) {
        unknown_name(name, err, errlen);
        return -1;
    }
    if (parse_value(t, value, &v, err, errlen) != 0)
        return -1;
    *field(s, t) = v;
    return 0;
}

/* Applies one member; on failure writes "line:col: message". */
static int apply_member(struct mock_settings *s, const struct dd_json *m,
                        char *err, size_t errlen)
{
    char msg[256];
    const char *value;
    const struct setting *t = NULL;
    if (strlen(m->key) == m->key_len)
        t = find(m->key, m->key_len);
    if (!t) {
        unknown_name(m->key, msg, sizeof msg);
        snprintf(err, errlen, "%u:%u: %s", m->key_pos.line, m->key_pos.col,
                 msg);
        return -1;
    }
    switch (m->type) {
    case DD_JSON_NUMBER:
    case DD_JSON_STRING:
        value = m->text;
        if (strlen(m->text) != m->len) {
            snprintf(err, errlen, "%u:%u: %s: NUL inside the value",
                     m->pos.line, m->pos.col, t->name);
            return -1;
        }
        break;
    case DD_JSON_TRUE:
        value = "true";
        break;
    case DD_JSON_FALSE:
        value = "false";
        break;
    default:
        snprintf(err, errlen, "%u:%u: %s: expected a number or a string",
                 m->pos.line, m->pos.col, t->name);
        return -1;
    }
    if (m->type == DD_JSON_STRING && m->len > 64) {
        snprintf(err, errlen, "%u:%u: %s: value too long", m->pos.line,
                 m->pos.col, t->name);
        return -1;
    }
    if (mock_settings_set(s, t->name, value, msg, sizeof msg) != 0) {
        snprintf(err, errlen, "%u:%u: %s", m->pos.line, m->pos.col, msg);
        return -1;
    }
    return 0;
}

int mock_settings_apply_json(struct mock_settings *s, const struct dd_json *obj,
                             char *err, size_t errlen)
{
    struct mock_settings tmp = *s;
    if (!obj || obj->type != DD_JSON_OBJECT) {
        snprintf(err, errlen, "%u:%u: settings must be a JSON object",
                 obj ? obj->pos.line : 1, obj ? obj->pos.col : 1);
        return -1;
    }
    for (size_t i = 0; i < obj->n; i++)
        if (apply_member(&tmp, &obj->kids[i], err, errlen) != 0)
            return -1;
    *s = tmp;
    return 0;
}

void mock_settings_write_json(const struct mock_settings *s, struct dd_jw *w)
{
    dd_jw_object_begin(w);
    for (size_t i = 0; i < N_SETTINGS; i++) {
        const struct setting *t = &table[i];
        int64_t v = get(s, t);
        switch (t->kind) {
        case K_BOOL:
            dd_jw_kbool(w, t->name, v != 0);
            break;
        case K_EXPIRES:
            dd_jw_kstr(w, t->name,
                       v == MOCK_EXPIRES_UNIX ? "unix" : "duration");
            break;
        default:
            dd_jw_kint(w, t->name, v);
            break;
        }
    }
    dd_jw_object_end(w);
}

/* A default as a person reads it: "600s", "7d", "1m", "true". */
static void show_default(const struct setting *t, char *out, size_t n)
{
    int64_t v = t->def;
    switch (t->kind) {
    case K_SECONDS:
        if (v != 0 && v % DAY == 0)
            snprintf(out, n, "%lldd", (long long)(v / DAY));
        else if (v != 0 && v % 3600 == 0)
            snprintf(out, n, "%lldh", (long long)(v / 3600));
        else if (v != 0 && v % 60 == 0)
            snprintf(out, n, "%lldm", (long long)(v / 60));
        else
            snprintf(out, n, "%llds", (long long)v);
        break;
    case K_MS:
        snprintf(out, n, "%lldms", (long long)v);
        break;
    case K_BOOL:
        snprintf(out, n, "%s", v ? "true" : "false");
        break;
    case K_EXPIRES:
        snprintf(out, n, "%s", v == MOCK_EXPIRES_UNIX ? "unix" : "duration");
        break;
    default:
        snprintf(out, n, "%lld", (long long)v);
        break;
    }
}

void mock_settings_print_help(void *file)
{
    FILE *f = file;
    char def[32];
    fputs("Settings (--set NAME=VALUE, a world file's \"settings\" object, or "
          "POST /_mock/settings).\n"
          "Durations take units s m h d (\"48h\", \"1d12h\"); a plain number "
          "is seconds,\nor milliseconds for *_ms settings. \"guess\" marks "
          "values the real platform\ndoes not publish.\n\n",
          f);
    fprintf(f, "  %-26s %-9s %s\n", "NAME", "DEFAULT", "MEANING");
    for (size_t i = 0; i < N_SETTINGS; i++) {
        show_default(&table[i], def, sizeof def);
        fprintf(f, "  %-26s %-9s %s\n", table[i].name, def, table[i].doc);
    }
}
