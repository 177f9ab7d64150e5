/*
 * journal.c: the bounded record of everything the mock did (journal.h).
 *
 * harness.md ("Boundaries that keep the judge honest") makes the journal
 * the judge's only evidence besides the scenario, so each API call of
 * doudian-open-api.md §1 leaves one entry: method, canonical param_json,
 * signature verdict, envelope code and sub_code (§3), latency.
 *
 * Storage is a ring of `capacity` slots, allocated as it fills (an idle
 * mock stays small), each entry's texts capped at MOCK_JOURNAL_TEXT_MAX
 * bytes: memory is bounded by capacity x (struct + 4 texts) under any load.
 * A text cut at the cap loses its tail at a UTF-8 character boundary and
 * ends with "…"; the entry's JSON then says "truncated":true.
 *
 * JSON form: params, response and explain are JSON texts; when a text is
 * valid JSON it is written as raw JSON, otherwise as a string. Whether it
 * is valid is decided the first time the entry is written (JSONL line or
 * query) and remembered, so a journal that is never read costs no parsing
 * on the request path. Anything that is not valid UTF-8 is written with
 * U+FFFD in place of the bad bytes, so every line is valid JSON.
 */
#include "journal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dd_json.h"

#define ELLIPSIS     "\xe2\x80\xa6" /* U+2026 */
#define ELLIPSIS_LEN 3

/* The three JSON texts of an entry, and what is known of each. */
enum { T_PARAMS, T_RESPONSE, T_EXPLAIN, T_SEEN, T_COUNT };
enum { TEXT_UNKNOWN, TEXT_JSON, TEXT_STRING };

struct slot {
    struct mock_journal_entry e;
    unsigned char state[T_COUNT]; /* TEXT_*, filled in lazily */
    bool truncated;               /* some text was cut at the cap */
};

struct mock_journal {
    struct slot *slots;
    size_t cap;   /* capacity */
    size_t alloc; /* slots allocated so far (grows up to cap) */
    size_t n;     /* entries held */
    size_t head;  /* slot of the oldest entry */
    uint64_t seq; /* last seq given out */
    size_t bytes; /* text bytes held, bounded by MOCK_JOURNAL_BYTES_MAX */
    FILE *file;   /* JSONL, or NULL */
    struct dd_buf line;
};

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p) {
        fputs("ddmock: out of memory\n", stderr);
        abort();
    }
    return p;
}

struct mock_journal *mock_journal_new(size_t capacity, const char *jsonl_path,
                                      char *err, size_t errlen)
{
    FILE *f = NULL;
    if (jsonl_path) {
        f = fopen(jsonl_path, "ae");
        if (!f) {
            snprintf(err, errlen, "cannot open journal file %s: %s", jsonl_path,
                     strerror(errno));
            return NULL;
        }
    }
    struct mock_journal *j = xrealloc(NULL, sizeof *j);
    memset(j, 0, sizeof *j);
    j->cap = capacity ? capacity : 1;
    j->file = f;
    dd_buf_init(&j->line, 0);
    return j;
}

static size_t text_bytes(const struct mock_journal_entry *e)
{
    size_t n = 0;
    const char *t[] = {e->params, e->response, e->explain, e->note, e->seen};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        n += t[i] ? strlen(t[i]) + 1 : 0;
    return n;
}

static void slot_clear(struct slot *sl)
{
    free(sl->e.params);
    free(sl->e.response);
    free(sl->e.explain);
    free(sl->e.note);
    free(sl->e.seen);
    memset(sl, 0, sizeof *sl);
}

void mock_journal_clear(struct mock_journal *j)
{
    for (size_t i = 0; i < j->n; i++)
        slot_clear(&j->slots[(j->head + i) % j->cap]);
    j->bytes = 0;
    free(j->slots);
    j->slots = NULL;
    j->alloc = 0;
    j->n = 0;
    j->head = 0;
}

void mock_journal_free(struct mock_journal *j)
{
    if (!j)
        return;
    mock_journal_clear(j);
    if (j->file)
        fclose(j->file);
    dd_buf_free(&j->line);
    free(j);
}

uint64_t mock_journal_last_seq(const struct mock_journal *j)
{
    return j->seq;
}

/* A copy of a text capped at `max` bytes (NULL stays NULL); sets *cut when
 * shortened. */
static char *copy_text(const char *s, size_t max, bool *cut)
{
    if (!s)
        return NULL;
    size_t n = strnlen(s, max + 1);
    size_t keep = n;
    if (n > max) {
        keep = max - ELLIPSIS_LEN;
        /* s[keep] is the first byte dropped: never split a character. */
        for (int i = 0;
             i < 3 && keep > 0 && ((unsigned char)s[keep] & 0xC0) == 0x80; i++)
            keep--;
        *cut = true;
    }
    char *d = xrealloc(NULL, keep + (keep < n ? ELLIPSIS_LEN : 0) + 1);
    memcpy(d, s, keep);
    if (keep < n) {
        memcpy(d + keep, ELLIPSIS, ELLIPSIS_LEN);
        keep += ELLIPSIS_LEN;
    }
    d[keep] = '\0';
    return d;
}

/* ============================================================ writing */

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    size_t len;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

/* Writes s as a JSON string, U+FFFD in place of each invalid byte. */
static void put_str(struct dd_jw *w, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, k;
    while (i < n && (k = utf8_seq(u + i, n - i)) != 0)
        i += k;
    if (i == n) {
        dd_jw_strn(w, s, n);
        return;
    }
    struct dd_buf b;
    dd_buf_init(&b, 0);
    for (i = 0; i < n;) {
        k = utf8_seq(u + i, n - i);
        if (k) {
            dd_buf_append(&b, s + i, k);
            i += k;
        } else {
            dd_buf_puts(&b, "\xef\xbf\xbd");
            i++;
        }
    }
    dd_jw_strn(w, b.data ? b.data : "", b.len);
    dd_buf_free(&b);
}

static bool is_json(const char *s, size_t n)
{
    struct dd_json_doc doc = {0};
    int rc = dd_json_parse(s, n, NULL, &doc, NULL);
    dd_json_doc_free(&doc);
    return rc == 0;
}

/* Writes valid JSON text raw, without the line breaks it may hold between
 * tokens (a JSONL line must stay one line). */
static void put_raw(struct dd_jw *w, const char *s, size_t n)
{
    if (!memchr(s, '\n', n) && !memchr(s, '\r', n)) {
        dd_jw_raw(w, s, n);
        return;
    }
    struct dd_buf b;
    dd_buf_init(&b, 0);
    bool in_str = false, esc = false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (in_str) {
            if (esc)
                esc = false;
            else if (c == '\\')
                esc = true;
            else if (c == '"')
                in_str = false;
        } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            continue;
        } else if (c == '"') {
            in_str = true;
        }
        dd_buf_putc(&b, c);
    }
    dd_jw_raw(w, b.data ? b.data : "", b.len);
    dd_buf_free(&b);
}

static void put_text(struct dd_jw *w, const char *key, const char *s,
                     unsigned char *state)
{
    if (!s)
        return;
    size_t n = strlen(s);
    if (*state == TEXT_UNKNOWN)
        *state = is_json(s, n) ? TEXT_JSON : TEXT_STRING;
    dd_jw_key(w, key);
    if (*state == TEXT_JSON)
        put_raw(w, s, n);
    else
        put_str(w, s, n);
}

/* A fixed-size field: never trust its NUL. */
static void put_field(struct dd_jw *w, const char *key, const char *s,
                      size_t size)
{
    dd_jw_key(w, key);
    put_str(w, s, strnlen(s, size));
}

#define FIELD(w, e, name) put_field(w, #name, (e)->name, sizeof(e)->name)

static void write_entry(const struct mock_journal_entry *e,
                        unsigned char state[T_COUNT], bool truncated,
                        struct dd_jw *w)
{
    dd_jw_object_begin(w);
    dd_jw_key(w, "seq");
    dd_jw_int(w, (int64_t)e->seq);
    dd_jw_kint(w, "time_us", e->time_us);
    FIELD(w, e, kind);
    FIELD(w, e, app_key);
    FIELD(w, e, method);
    FIELD(w, e, log_id);
    FIELD(w, e, verdict);
    dd_jw_kint(w, "code", e->code);
    FIELD(w, e, sub_code);
    dd_jw_kint(w, "latency_us", e->latency_us);
    dd_jw_kbool(w, "known_unimplemented", e->known_unimplemented);
    put_text(w, "params", e->params, &state[T_PARAMS]);
    put_text(w, "response", e->response, &state[T_RESPONSE]);
    put_text(w, "explain", e->explain, &state[T_EXPLAIN]);
    put_text(w, "seen", e->seen, &state[T_SEEN]);
    if (e->note) {
        dd_jw_key(w, "note");
        put_str(w, e->note, strlen(e->note));
    }
    if (truncated)
        dd_jw_kbool(w, "truncated", true);
    dd_jw_object_end(w);
}

/* Writes one entry as a JSON object. An entry built by the caller is
 * checked for valid JSON texts on every call. */
void mock_journal_entry_write(const struct mock_journal_entry *e,
                              struct dd_jw *w)
{
    unsigned char state[T_COUNT] = {TEXT_UNKNOWN, TEXT_UNKNOWN, TEXT_UNKNOWN,
                                    TEXT_UNKNOWN};
    write_entry(e, state, false, w);
}

/* ============================================================ adding */

/* Appends the entry to the JSONL file and flushes, so a crash or a kill
 * loses at most the entry being written. Write errors are not fatal: the
 * in-memory journal stays complete. */
static void append_line(struct mock_journal *j, struct slot *sl)
{
    dd_buf_reset(&j->line);
    struct dd_jw w;
    dd_jw_init(&w, &j->line);
    write_entry(&sl->e, sl->state, sl->truncated, &w);
    if (dd_jw_error(&w) || dd_buf_putc(&j->line, '\n'))
        return;
    fwrite(j->line.data, 1, j->line.len, j->file);
    fflush(j->file);
}

uint64_t mock_journal_add(struct mock_journal *j,
                          const struct mock_journal_entry *e)
{
    size_t idx;
    if (j->n < j->cap) {
        idx = (j->head + j->n) % j->cap; /* head is 0 until the ring fills */
        if (idx >= j->alloc) {
            size_t a = j->alloc ? j->alloc * 2 : 64;
            if (a > j->cap)
                a = j->cap;
            j->slots = xrealloc(j->slots, a * sizeof *j->slots);
            memset(j->slots + j->alloc, 0, (a - j->alloc) * sizeof *j->slots);
            j->alloc = a;
        }
        j->n++;
    } else {
        idx = j->head;
        j->bytes -= text_bytes(&j->slots[idx].e);
        slot_clear(&j->slots[idx]);
        j->head = (j->head + 1) % j->cap;
    }

    struct slot *sl = &j->slots[idx];
    memset(sl, 0, sizeof *sl);
    sl->e = *e;
    sl->e.kind[sizeof sl->e.kind - 1] = '\0';
    sl->e.app_key[sizeof sl->e.app_key - 1] = '\0';
    sl->e.method[sizeof sl->e.method - 1] = '\0';
    sl->e.log_id[sizeof sl->e.log_id - 1] = '\0';
    sl->e.verdict[sizeof sl->e.verdict - 1] = '\0';
    sl->e.sub_code[sizeof sl->e.sub_code - 1] = '\0';
    bool cut = false;
    size_t max = e->whole ? MOCK_JOURNAL_WHOLE_MAX : MOCK_JOURNAL_TEXT_MAX;
    sl->e.params = copy_text(e->params, max, &cut);
    sl->e.response = copy_text(e->response, max, &cut);
    sl->e.explain = copy_text(e->explain, max, &cut);
    sl->e.note = copy_text(e->note, max, &cut);
    sl->e.seen = copy_text(e->seen, max, &cut);
    sl->truncated = cut;
    j->bytes += text_bytes(&sl->e);
    /* The byte budget: drop the oldest entries while the texts held pass
     * it (the newest entry always stays). */
    while (j->bytes > MOCK_JOURNAL_BYTES_MAX && j->n > 1) {
        j->bytes -= text_bytes(&j->slots[j->head].e);
        slot_clear(&j->slots[j->head]);
        j->head = (j->head + 1) % j->cap;
        j->n--;
    }
    sl->e.seq = ++j->seq;
    if (!sl->e.time_us) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        sl->e.time_us = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
    }
    if (j->file)
        append_line(j, sl);
    return sl->e.seq;
}

/* ============================================================ reading */

const struct mock_journal_entry *
mock_journal_find_log_id(const struct mock_journal *j, const char *log_id)
{
    if (!log_id || !*log_id)
        return NULL;
    for (size_t i = j->n; i-- > 0;) {
        const struct slot *sl = &j->slots[(j->head + i) % j->cap];
        if (!strncmp(sl->e.log_id, log_id, sizeof sl->e.log_id))
            return &sl->e;
    }
    return NULL;
}

/* Oldest first, so `since` = the last seq seen plus `limit` pages through
 * the journal without gaps. */
void mock_journal_query(const struct mock_journal *j, uint64_t since,
                        const char *app_key, const char *kind, size_t limit,
                        struct dd_jw *w)
{
    dd_jw_array_begin(w);
    size_t written = 0;
    for (size_t i = 0; i < j->n; i++) {
        struct slot *sl = &j->slots[(j->head + i) % j->cap];
        if (sl->e.seq <= since)
            continue;
        if (app_key && *app_key &&
            strncmp(sl->e.app_key, app_key, sizeof sl->e.app_key))
            continue;
        if (kind && *kind && strncmp(sl->e.kind, kind, sizeof sl->e.kind))
            continue;
        /* The slots array is not const: remembering which texts are JSON
         * does not change what the journal holds. */
        write_entry(&sl->e, sl->state, sl->truncated, w);
        if (limit && ++written == limit)
            break;
    }
    dd_jw_array_end(w);
}
