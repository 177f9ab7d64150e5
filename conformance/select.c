/*
 * select.c: scenario selection, sharding, the expected-failures file and
 * how verdicts count (select.h). Pure functions but conf_xfail_load, which
 * reads one file.
 */
#include "select.h"
#include "xalloc.h"

#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dd_buf.h"

#define SHARD_MAX 100000u
#define XFAIL_MAX ((size_t)1 << 20) /* bytes of an expected-failures file */

/* ---------------------------------------------------------------- filters */

static bool all_digits(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

enum conf_filter_kind conf_filter_kind(const char *filter)
{
    if (all_digits(filter))
        return CONF_FILTER_ID;
    if (strpbrk(filter, "*?["))
        return CONF_FILTER_GLOB;
    return CONF_FILTER_KEYWORD;
}

/* The value of an all-digits string, or -1 when it is past INT_MAX. */
static long digits_value(const char *s)
{
    long v = 0;
    for (; *s; s++) {
        v = v * 10 + (*s - '0');
        if (v > INT_MAX)
            return -1;
    }
    return v;
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

bool conf_filter_match(const char *filter, const struct conf_scenario_info *s)
{
    switch (conf_filter_kind(filter)) {
    case CONF_FILTER_ID:
        return s->loaded && s->id == digits_value(filter);
    case CONF_FILTER_GLOB:
        return fnmatch(filter, base_name(s->path), 0) == 0;
    case CONF_FILTER_KEYWORD:
        if (!s->loaded)
            return false;
        for (size_t i = 0; i < s->n_keywords; i++)
            if (s->keywords[i] && strcmp(s->keywords[i], filter) == 0)
                return true;
        return false;
    }
    return false;
}

/* ---------------------------------------------------------------- shards */

/* A decimal number of at most 6 digits, without sign or spaces. */
static int parse_small(const char *s, size_t n, unsigned *out)
{
    if (n == 0 || n > 6)
        return -1;
    unsigned v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    *out = v;
    return 0;
}

int conf_shard_parse(const char *text, unsigned *index, unsigned *count,
                     char *err, size_t err_len)
{
    const char *slash = strchr(text, '/');
    unsigned i, n;
    if (!slash || parse_small(text, (size_t)(slash - text), &i) < 0 ||
        parse_small(slash + 1, strlen(slash + 1), &n) < 0) {
        snprintf(err, err_len,
                 "--shard %s: expected I/N, two whole numbers such as 2/5",
                 text);
        return -1;
    }
    if (n < 1 || n > SHARD_MAX || i < 1 || i > n) {
        snprintf(err, err_len,
                 "--shard %s: expected 1 <= I <= N <= %u (shard I of N)", text,
                 SHARD_MAX);
        return -1;
    }
    *index = i;
    *count = n;
    return 0;
}

/* ---------------------------------------------------------------- select */

/* A scenario and its place in the input, for sorting. */
struct keyed {
    const struct conf_scenario_info *s;
    size_t index;
};

static int cmp_run_order(const void *a, const void *b)
{
    const struct keyed *ka = a, *kb = b;
    const struct conf_scenario_info *x = ka->s, *y = kb->s;
    int xi = x->loaded ? x->id : 0, yi = y->loaded ? y->id : 0;
    if (xi != yi)
        return xi < yi ? -1 : 1;
    int c = strcmp(x->path, y->path);
    if (c)
        return c;
    /* the same file named twice: keep the order given */
    return ka->index < kb->index ? -1 : ka->index > kb->index;
}

int conf_select(const struct conf_scenario_info *all, size_t n,
                const char *const *filters, size_t n_filters,
                unsigned shard_index, unsigned shard_count, size_t *out,
                size_t *n_out, size_t *bad_filter)
{
    *n_out = 0;
    for (size_t f = 0; f < n_filters; f++) {
        bool any = false;
        for (size_t i = 0; i < n && !any; i++)
            any = conf_filter_match(filters[f], &all[i]);
        if (!any) {
            *bad_filter = f;
            return -1;
        }
    }
    struct keyed *order = xrealloc(NULL, n * sizeof *order);
    for (size_t i = 0; i < n; i++)
        order[i] = (struct keyed){.s = &all[i], .index = i};
    if (n > 1)
        qsort(order, n, sizeof *order, cmp_run_order);
    size_t position = 0;
    for (size_t k = 0; k < n; k++) {
        const struct conf_scenario_info *s = order[k].s;
        bool keep = n_filters == 0 || !s->loaded;
        for (size_t f = 0; f < n_filters && !keep; f++)
            keep = conf_filter_match(filters[f], s);
        if (!keep)
            continue;
        if (shard_count == 0 || position % shard_count == shard_index - 1)
            out[(*n_out)++] = order[k].index;
        position++;
    }
    free(order);
    return 0;
}

uint64_t conf_run_seed(uint64_t seed, int id)
{
    uint64_t z = seed + (uint64_t)(int64_t)id * UINT64_C(0x9e3779b97f4a7c15);
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* ---------------------------------------------------------------- xfail */

static int fail_at(char *err, size_t err_len, const char *path, int line,
                   const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int fail_at(char *err, size_t err_len, const char *path, int line,
                   const char *fmt, ...)
{
    int n = snprintf(err, err_len, "%s:%d: ", path, line);
    if (n >= 0 && (size_t)n < err_len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err + n, err_len - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* Splits one line (without its newline and comment) into at most `max`
 * words separated by spaces and tabs; returns how many there are (more
 * than max when there are too many). */
static size_t split_words(const char *s, size_t len, const char **word,
                          size_t *wlen, size_t max)
{
    size_t n = 0;
    size_t i = 0;
    while (i < len) {
        while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'))
            i++;
        if (i == len)
            break;
        size_t start = i;
        while (i < len && s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            i++;
        if (n < max) {
            word[n] = s + start;
            wlen[n] = i - start;
        }
        n++;
    }
    return n;
}

static bool word_is(const char *w, size_t n, const char *lit)
{
    return strlen(lit) == n && memcmp(w, lit, n) == 0;
}

/* Parses one line's words into `e`; -1 with the message in err. */
static int parse_entry(struct conf_xfail_entry *e, const char **word,
                       const size_t *wlen, size_t n, const char *path, int line,
                       char *err, size_t err_len)
{
    if (n > 3)
        return fail_at(err, err_len, path, line,
                       "expected \"NNNN VERDICT\" or \"NNNN MODE VERDICT\", "
                       "found %zu words",
                       n);
    if (n < 2)
        return fail_at(err, err_len, path, line,
                       "expected \"NNNN VERDICT\" or \"NNNN MODE VERDICT\", "
                       "found only \"%.*s\"",
                       (int)(wlen[0] > 60 ? 60 : wlen[0]), word[0]);
    int id = 0;
    bool digits = wlen[0] > 0 && wlen[0] <= 9;
    for (size_t i = 0; i < wlen[0] && digits; i++) {
        if (word[0][i] < '0' || word[0][i] > '9')
            digits = false;
        else
            id = id * 10 + (word[0][i] - '0');
    }
    if (!digits || id < 1)
        return fail_at(err, err_len, path, line,
                       "\"%.*s\" is not a scenario id (digits, such as 0007)",
                       (int)(wlen[0] > 60 ? 60 : wlen[0]), word[0]);
    e->id = id;
    e->mode = NULL;
    e->line = line;
    if (n == 3) {
        if (word_is(word[1], wlen[1], "push"))
            e->mode = "push";
        else if (word_is(word[1], wlen[1], "poll"))
            e->mode = "poll";
        else
            return fail_at(err, err_len, path, line,
                           "mode \"%.*s\": expected push or poll",
                           (int)(wlen[1] > 60 ? 60 : wlen[1]), word[1]);
    }
    const char *v = word[n - 1];
    size_t vn = wlen[n - 1];
    if (word_is(v, vn, "FAIL"))
        e->verdict = CONF_FAIL;
    else if (word_is(v, vn, "ERROR"))
        e->verdict = CONF_ERROR;
    else if (word_is(v, vn, "FUNDS_AT_RISK"))
        return fail_at(err, err_len, path, line,
                       "FUNDS_AT_RISK can not be an expected failure: money "
                       "at risk always fails the run");
    else if (word_is(v, vn, "PASS") || word_is(v, vn, "WARN") ||
             word_is(v, vn, "SKIP"))
        return fail_at(err, err_len, path, line,
                       "%.*s is not a failure: expected FAIL or ERROR", (int)vn,
                       v);
    else
        return fail_at(err, err_len, path, line,
                       "verdict \"%.*s\": expected FAIL or ERROR",
                       (int)(vn > 60 ? 60 : vn), v);
    return 0;
}

int conf_xfail_parse(struct conf_xfail *x, const char *path, const char *text,
                     size_t len, char *err, size_t err_len)
{
    x->v = NULL;
    x->n = 0;
    size_t cap = 0;
    int line = 0;
    size_t i = 0;
    while (i < len) {
        line++;
        const char *start = text + i;
        const char *nl = memchr(start, '\n', len - i);
        size_t n = nl ? (size_t)(nl - start) : len - i;
        i += n + (nl ? 1 : 0);
        const char *hash = memchr(start, '#', n);
        size_t used = hash ? (size_t)(hash - start) : n;
        if (memchr(start, '\0', used)) {
            conf_xfail_free(x);
            return fail_at(err, err_len, path, line,
                           "a NUL byte: this is not a text file");
        }
        const char *word[3];
        size_t wlen[3];
        size_t words = split_words(start, used, word, wlen, 3);
        if (words == 0)
            continue;
        struct conf_xfail_entry e;
        if (parse_entry(&e, word, wlen, words, path, line, err, err_len) < 0) {
            conf_xfail_free(x);
            return -1;
        }
        for (size_t k = 0; k < x->n; k++) {
            const struct conf_xfail_entry *o = &x->v[k];
            bool same_mode =
                (!o->mode && !e.mode) ||
                (o->mode && e.mode && strcmp(o->mode, e.mode) == 0);
            if (o->id == e.id && same_mode) {
                int first = o->line; /* o dies with x */
                conf_xfail_free(x);
                return fail_at(err, err_len, path, line,
                               "%04d%s%s is already listed on line %d", e.id,
                               e.mode ? " " : "", e.mode ? e.mode : "", first);
            }
        }
        if (x->n == cap) {
            cap = cap ? 2 * cap : 16;
            x->v = xrealloc(x->v, cap * sizeof *x->v);
        }
        x->v[x->n++] = e;
    }
    return 0;
}

int conf_xfail_load(struct conf_xfail *x, const char *path, char *err,
                    size_t err_len)
{
    x->v = NULL;
    x->n = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, err_len, "%s: %s", path, strerror(errno));
        return -1;
    }
    struct dd_buf b;
    dd_buf_init(&b, 0);
    char chunk[4096];
    size_t got;
    bool too_big = false;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (b.len + got > XFAIL_MAX) {
            too_big = true;
            break;
        }
        dd_buf_append(&b, chunk, got);
    }
    bool bad = ferror(f) != 0;
    int saved = errno;
    fclose(f);
    int rc;
    if (too_big) {
        snprintf(err, err_len, "%s: larger than %zu bytes", path, XFAIL_MAX);
        rc = -1;
    } else if (bad) {
        snprintf(err, err_len, "%s: %s", path, strerror(saved));
        rc = -1;
    } else {
        rc = conf_xfail_parse(x, path, b.data ? b.data : "", b.len, err,
                              err_len);
    }
    dd_buf_free(&b);
    return rc;
}

const struct conf_xfail_entry *conf_xfail_find(const struct conf_xfail *x,
                                               int id, const char *mode)
{
    const struct conf_xfail_entry *any = NULL;
    for (size_t i = 0; i < x->n; i++) {
        const struct conf_xfail_entry *e = &x->v[i];
        if (e->id != id)
            continue;
        if (!e->mode)
            any = e;
        else if (mode && strcmp(e->mode, mode) == 0)
            return e;
    }
    return any;
}

void conf_xfail_free(struct conf_xfail *x)
{
    free(x->v);
    x->v = NULL;
    x->n = 0;
}

/* ---------------------------------------------------------------- counts */

const char *conf_run_outcome_name(enum conf_run_outcome o)
{
    switch (o) {
    case CONF_RUN_PASSED:
        return "passed";
    case CONF_RUN_FAILED:
        return "failed";
    case CONF_RUN_SKIPPED:
        return "skipped";
    case CONF_RUN_XFAIL:
        return "xfail";
    case CONF_RUN_RATCHET:
        return "ratchet";
    }
    return "?";
}

enum conf_run_outcome conf_run_outcome_of(enum conf_verdict v, bool strict,
                                          const struct conf_xfail_entry *listed)
{
    bool passes = v == CONF_PASS || (v == CONF_WARN && !strict);
    if (listed) {
        if (v == listed->verdict)
            return CONF_RUN_XFAIL;
        if (passes)
            return CONF_RUN_RATCHET;
    }
    if (passes)
        return CONF_RUN_PASSED;
    if (v == CONF_SKIP)
        return CONF_RUN_SKIPPED;
    return CONF_RUN_FAILED;
}

void conf_tally_add(struct conf_tally *t, enum conf_verdict v,
                    enum conf_run_outcome o)
{
    if ((int)v < CONF_PASS || v > CONF_FUNDS_AT_RISK)
        v = CONF_ERROR;
    t->by[v]++;
    if (o != CONF_RUN_XFAIL)
        t->unexpected[v]++;
    switch (o) {
    case CONF_RUN_PASSED:
        t->passed++;
        break;
    case CONF_RUN_XFAIL:
        t->passed++;
        t->xfail++;
        break;
    case CONF_RUN_SKIPPED:
        t->skipped++;
        break;
    case CONF_RUN_RATCHET:
        t->failed++;
        t->ratchet++;
        break;
    case CONF_RUN_FAILED:
        t->failed++;
        break;
    }
}

int conf_tally_exit_status(const struct conf_tally *t, bool strict,
                           bool fail_on_skip)
{
    if (t->unexpected[CONF_FUNDS_AT_RISK])
        return 2;
    if (t->unexpected[CONF_FAIL] || (strict && t->unexpected[CONF_WARN]) ||
        t->ratchet || (fail_on_skip && t->unexpected[CONF_SKIP]))
        return 1;
    if (t->unexpected[CONF_ERROR])
        return 3;
    return 0;
}
