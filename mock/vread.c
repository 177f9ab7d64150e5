/*
 * vread.c: validating readers of parsed JSON (vread.h), shared by the
 * scenario loader and the world-file loader.
 *
 * Problems are kept with their position and the order they were reported
 * in, so that sorting them puts them in file order and keeps the order of
 * several problems at one place. Nothing here trusts the input: the
 * strings quoted in messages are cut and, in the escaping style, have
 * their control characters escaped so that a problem stays on one line.
 */
#include "vread.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dd_err.h"

#define WHAT_MAX  160  /* "path.key" as messages name a member */
#define WORDS_MAX 1000 /* longer lists get no "did you mean" */

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) {
        fputs("ddmock: out of memory\n", stderr);
        abort();
    }
    return q;
}

/* ================================================================ problems */

void vr_init(struct vr_ctx *vr, const char *file, const struct vr_style *style)
{
    memset(vr, 0, sizeof *vr);
    vr->file = file;
    vr->style = style;
}

void vr_report(struct vr_ctx *vr, struct dd_json_pos pos, const char *fmt, ...)
{
    struct dd_buf b;
    va_list ap;
    dd_buf_init(&b, 4096);
    va_start(ap, fmt);
    if (dd_buf_vprintf(&b, fmt, ap) != 0)
        dd_buf_puts(&b, "(message too long)");
    va_end(ap);
    if (vr->n == vr->cap) {
        vr->cap = vr->cap ? 2 * vr->cap : 16;
        vr->v = xrealloc(vr->v, vr->cap * sizeof *vr->v);
    }
    struct vr_problem *p = &vr->v[vr->n];
    p->line = pos.line ? pos.line : 1;
    p->col = pos.col ? pos.col : 1;
    p->seq = vr->n++;
    p->msg = dd_buf_steal(&b);
}

static int cmp_problem(const void *a, const void *b)
{
    const struct vr_problem *x = a, *y = b;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    if (x->col != y->col)
        return x->col < y->col ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void vr_flush(struct vr_ctx *vr, struct dd_buf *errs)
{
    if (vr->n > 1)
        qsort(vr->v, vr->n, sizeof *vr->v, cmp_problem);
    for (size_t i = 0; i < vr->n; i++) {
        const struct vr_problem *p = &vr->v[i];
        if (!errs)
            ;
        else if (i < VR_MAX_PROBLEMS)
            dd_buf_printf(errs, "%s:%u:%u: %s\n", vr->file, p->line, p->col,
                          p->msg);
        else if (i == VR_MAX_PROBLEMS)
            dd_buf_printf(errs, "%s:%u:%u: %zu more problems not shown\n",
                          vr->file, p->line, p->col, vr->n - VR_MAX_PROBLEMS);
        free(p->msg);
    }
    free(vr->v);
    vr->v = NULL;
    vr->n = vr->cap = 0;
}

/* ================================================================ files */

char *vr_read_file(const char *path, size_t max_bytes, size_t *len,
                   struct dd_buf *errs)
{
    FILE *f = fopen(path, "rb");
    char *text = NULL;
    size_t cap = 0;
    *len = 0;
    if (!f) {
        if (errs)
            dd_buf_printf(errs, "%s:1:1: cannot open: %s\n", path,
                          strerror(errno));
        return NULL;
    }
    for (;;) {
        if (*len == cap) {
            if (cap >= max_bytes) {
                if (errs)
                    dd_buf_printf(errs, "%s:1:1: larger than %zu MiB\n", path,
                                  max_bytes >> 20);
                fclose(f);
                free(text);
                return NULL;
            }
            cap = cap ? cap * 2 : 65536;
            if (cap > max_bytes)
                cap = max_bytes;
            text = xrealloc(text, cap + 1);
        }
        size_t got = fread(text + *len, 1, cap - *len, f);
        *len += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        if (errs)
            dd_buf_printf(errs, "%s:1:1: cannot read: %s\n", path,
                          strerror(errno));
        fclose(f);
        free(text);
        return NULL;
    }
    fclose(f);
    text[*len] = '\0';
    return text;
}

/* ================================================================ words */

const char *vr_clip(char *buf, const char *s)
{
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char esc[8];
        size_t n = 1;
        if (*p == '\n' || *p == '\t' || *p == '\r') {
            esc[0] = '\\';
            esc[1] = *p == '\n' ? 'n' : *p == '\t' ? 't' : 'r';
            n = 2;
        } else if (*p < 0x20 || *p == 0x7f) {
            snprintf(esc, sizeof esc, "\\u%04x", *p);
            n = 6;
        } else {
            esc[0] = (char)*p;
        }
        /* stop at a character boundary once 60 bytes are out */
        if (o + n > 60 && (*p & 0xC0) != 0x80) {
            memcpy(buf + o, "\xE2\x80\xA6", 4);
            return buf;
        }
        memcpy(buf + o, esc, n);
        o += n;
    }
    buf[o] = '\0';
    return buf;
}

const char *vr_shown(char *buf, const struct dd_json *v)
{
    if (v->type == DD_JSON_NUMBER || v->type == DD_JSON_STRING)
        return vr_clip(buf, v->text);
    return vr_clip(buf, "?");
}

/* `s` quoted as the style of `vr` quotes input: clipped, or cut after
 * `bytes` bytes; into `buf` (VR_CLIP bytes). */
static const char *quoted(const struct vr_ctx *vr, char *buf, const char *s,
                          int bytes)
{
    if (vr->style->escape)
        return vr_clip(buf, s);
    snprintf(buf, VR_CLIP, "%.*s", bytes, s);
    return buf;
}

size_t vr_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t row[64];
    if (la >= 63 || lb >= 63)
        return 9;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

/* The word of `list` (n words) closest to `w`, or NULL when none is close
 * enough to be a likely typo; with `ignore_case`, a word equal to `w` but
 * for case counts as one edit. */
static const char *closest(const char *w, const char *const *list, size_t n,
                           bool ignore_case)
{
    const char *best = NULL;
    size_t best_d = strlen(w) <= 4 ? 2 : 3;
    if (n > WORDS_MAX)
        return NULL; /* not worth the time */
    for (size_t i = 0; i < n; i++) {
        if (!list[i] || !*list[i])
            continue;
        size_t d = ignore_case && strcasecmp(w, list[i]) == 0
                       ? 1
                       : vr_distance(w, list[i]);
        if (d < best_d) {
            best_d = d;
            best = list[i];
        }
    }
    return best;
}

size_t vr_count_words(const char *const *list)
{
    size_t n = 0;
    while (list[n])
        n++;
    return n;
}

/* " (did you mean \"x\"?)" or "" into `buf`; see closest. */
static const char *hint_of(char *buf, size_t size, const char *w,
                           const char *const *list, size_t n, bool ignore_case)
{
    const char *best = closest(w, list, n, ignore_case);
    if (best)
        snprintf(buf, size, " (did you mean \"%s\"?)", best);
    else
        buf[0] = '\0';
    return buf;
}

const char *vr_hint(char *buf, size_t size, const char *w,
                    const char *const *list, size_t n)
{
    return hint_of(buf, size, w, list, n, true);
}

const char *vr_a_type(const struct dd_json *v)
{
    switch (v->type) {
    case DD_JSON_NULL:
        return "null";
    case DD_JSON_FALSE:
    case DD_JSON_TRUE:
        return "a boolean";
    case DD_JSON_NUMBER:
        return "a number";
    case DD_JSON_STRING:
        return "a string";
    case DD_JSON_ARRAY:
        return "an array";
    case DD_JSON_OBJECT:
        return "an object";
    }
    return "a value";
}

bool vr_no_nul(const struct dd_json *v)
{
    return strlen(v->text) == v->len;
}

/* ================================================================ readers */

const struct dd_json *vr_mem(const struct dd_json *obj, const char *key)
{
    const struct dd_json *v = dd_json_get(obj, key);
    return dd_json_is_absent(v) ? NULL : v;
}

void vr_missing(struct vr_ctx *vr, const struct dd_json *obj, const char *path,
                const char *key)
{
    vr_report(vr, obj->pos, "%s: missing \"%s\"", path, key);
}

void vr_check_keys(struct vr_ctx *vr, const struct dd_json *obj,
                   const char *path, const char *const *known)
{
    const struct vr_style *st = vr->style;
    size_t nk = vr_count_words(known);
    if (st->max_keys && obj->n > st->max_keys) {
        vr_report(vr, obj->pos, "%s: %zu keys (at most %zu)", path, obj->n,
                  st->max_keys);
        return;
    }
    bool *seen = calloc(nk ? nk : 1, sizeof *seen);
    if (!seen)
        abort();
    for (size_t i = 0; i < obj->n; i++) {
        const struct dd_json *m = &obj->kids[i];
        char buf[VR_CLIP], h[96];
        size_t k = 0;
        bool clean = strlen(m->key) == m->key_len;
        while (k < nk && !(clean && strcmp(known[k], m->key) == 0))
            k++;
        if (k < nk) {
            if (seen[k])
                vr_report(vr, m->key_pos,
                          "%s: duplicate key \"%s\" (the last one is used)",
                          path, quoted(vr, buf, m->key, st->key_bytes));
            seen[k] = true;
            continue;
        }
        vr_report(vr, m->key_pos, "%s: unknown key \"%s\"%s", path,
                  quoted(vr, buf, m->key, st->key_bytes),
                  clean ? hint_of(h, sizeof h, m->key, known, nk,
                                  st->hint_ignores_case)
                        : "");
    }
    free(seen);
}

bool vr_is_object(struct vr_ctx *vr, const struct dd_json *v, const char *what)
{
    if (v->type == DD_JSON_OBJECT)
        return true;
    vr_report(vr, v->pos, "%s: expected an object, got %s", what, vr_a_type(v));
    return false;
}

/* The member `key` of `obj` when present and not null; else NULL, reported
 * as missing when `required`. Writes "path.key" into `what`. */
static const struct dd_json *member(struct vr_ctx *vr,
                                    const struct dd_json *obj, const char *path,
                                    const char *key, bool required,
                                    char (*what)[WHAT_MAX])
{
    const struct dd_json *v = vr_mem(obj, key);
    if (!v) {
        if (required)
            vr_missing(vr, obj, path, key);
        return NULL;
    }
    snprintf(*what, sizeof *what, "%s.%s", path, key);
    return v;
}

const struct dd_json *vr_rd_object(struct vr_ctx *vr, const struct dd_json *obj,
                                   const char *path, const char *key,
                                   bool required)
{
    char what[WHAT_MAX];
    const struct dd_json *v = member(vr, obj, path, key, required, &what);
    return v && vr_is_object(vr, v, what) ? v : NULL;
}

const struct dd_json *vr_rd_array(struct vr_ctx *vr, const struct dd_json *obj,
                                  const char *path, const char *key,
                                  bool required)
{
    char what[WHAT_MAX];
    const struct dd_json *v = member(vr, obj, path, key, required, &what);
    if (!v)
        return NULL;
    if (v->type != DD_JSON_ARRAY) {
        vr_report(vr, v->pos, "%s: expected an array, got %s", what,
                  vr_a_type(v));
        return NULL;
    }
    return v;
}

bool vr_is_str(struct vr_ctx *vr, const struct dd_json *v, const char *what,
               size_t maxlen, bool nonempty)
{
    if (v->type != DD_JSON_STRING) {
        vr_report(vr, v->pos, "%s: expected a string, got %s", what,
                  vr_a_type(v));
        return false;
    }
    if (!vr_no_nul(v)) {
        vr_report(vr, v->pos, "%s: NUL character inside the string", what);
        return false;
    }
    if (nonempty && v->len == 0) {
        vr_report(vr, v->pos, "%s: must not be empty", what);
        return false;
    }
    if (v->len > maxlen) {
        vr_report(vr, v->pos, "%s: too long (at most %zu bytes)", what, maxlen);
        return false;
    }
    return true;
}

bool vr_rd_str(struct vr_ctx *vr, const struct dd_json *obj, const char *path,
               const char *key, bool required, size_t maxlen, bool nonempty,
               const char **out)
{
    char what[WHAT_MAX];
    const struct dd_json *v = member(vr, obj, path, key, required, &what);
    if (!v || !vr_is_str(vr, v, what, maxlen, nonempty))
        return false;
    *out = v->text;
    return true;
}

bool vr_is_int(struct vr_ctx *vr, const struct dd_json *v, const char *what,
               int64_t lo, int64_t hi, int64_t *out)
{
    const struct vr_style *st = vr->style;
    char buf[VR_CLIP];
    int64_t x;
    if (v->type != DD_JSON_STRING && v->type != DD_JSON_NUMBER) {
        vr_report(vr, v->pos, "%s: expected an integer, got %s", what,
                  vr_a_type(v));
        return false;
    }
    int rc = dd_json_int64(v, &x);
    if (rc == DD_E_TYPE) {
        vr_report(vr, v->pos, "%s: \"%s\" is not an integer", what,
                  quoted(vr, buf, v->text, st->value_bytes));
        return false;
    }
    if (rc != 0 || x < lo || x > hi) {
        if (rc == 0 && x < 0 && lo == 0 && st->says_negative)
            vr_report(vr, v->pos, "%s: must not be negative (got %lld)", what,
                      (long long)x);
        else if (rc == 0 && x < lo)
            vr_report(vr, v->pos, "%s: must be at least %lld (got %lld)", what,
                      (long long)lo, (long long)x);
        else
            vr_report(vr, v->pos, "%s: must be at most %lld (got %s)", what,
                      (long long)hi, quoted(vr, buf, v->text, st->value_bytes));
        return false;
    }
    *out = x;
    return true;
}

bool vr_rd_int(struct vr_ctx *vr, const struct dd_json *obj, const char *path,
               const char *key, bool required, int64_t lo, int64_t hi,
               int64_t *out)
{
    char what[WHAT_MAX];
    const struct dd_json *v = member(vr, obj, path, key, required, &what);
    return v && vr_is_int(vr, v, what, lo, hi, out);
}

bool vr_is_id(struct vr_ctx *vr, const struct dd_json *v, const char *what,
              int64_t *out)
{
    char buf[VR_CLIP];
    if (v->type != DD_JSON_STRING && v->type != DD_JSON_NUMBER) {
        vr_report(vr, v->pos, "%s: expected an id (a string of digits), got %s",
                  what, vr_a_type(v));
        return false;
    }
    if (dd_json_int64(v, out) != 0 || *out <= 0) {
        vr_report(vr, v->pos,
                  "%s: \"%s\" is not an id (a positive integer of at most 19 "
                  "digits)",
                  what, quoted(vr, buf, v->text, vr->style->value_bytes));
        return false;
    }
    return true;
}

bool vr_rd_id(struct vr_ctx *vr, const struct dd_json *obj, const char *path,
              const char *key, bool required, int64_t *out)
{
    char what[WHAT_MAX];
    const struct dd_json *v = member(vr, obj, path, key, required, &what);
    return v && vr_is_id(vr, v, what, out);
}

bool vr_is_bool(struct vr_ctx *vr, const struct dd_json *v, const char *what,
                bool *out)
{
    if (v->type != DD_JSON_TRUE && v->type != DD_JSON_FALSE) {
        vr_report(vr, v->pos, "%s: expected true or false, got %s", what,
                  vr_a_type(v));
        return false;
    }
    *out = v->type == DD_JSON_TRUE;
    return true;
}
