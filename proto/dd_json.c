/*
 * dd_json.c: the lexeme-preserving JSON reader and canonical writer of
 * dd_json.h (Doudian's signed param_json form, doudian-open-api.md §1.6).
 *
 * Reading is one recursive-descent pass over the bytes. Children of the
 * container being read are collected on one shared scratch stack and copied
 * into the document's arena when the container closes, so every array and
 * object ends up as one contiguous block of nodes. Columns are counted
 * incrementally (the reader only moves forward), so positions cost O(n) in
 * total even for a 1 MB document on a single line.
 *
 * Writing sorts each object's members by key bytes on a second scratch stack
 * (indices, so the stack may move while nested objects are written).
 */
#include "dd_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dd_err.h"

/* A hard ceiling on max_depth whatever the caller asks: the reader and the
 * writer recurse once per level. */
#define HARD_MAX_DEPTH 1024

/* ============================================================== arena */

struct chunk {
    struct chunk *next;
    size_t used, size;
    max_align_t data[]; /* aligned storage */
};

struct dd_json_arena {
    struct chunk *head;
};

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fputs("dd_json: out of memory\n", stderr);
        abort();
    }
    return p;
}

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p) {
        fputs("dd_json: out of memory\n", stderr);
        abort();
    }
    return p;
}

/*
 * Memory reuse. Parsing a large document touches megabytes of fresh memory,
 * and on a virtual machine the page faults of fresh memory cost more than
 * the parsing itself. So each thread keeps the chunks of freed documents
 * (up to CACHE_MAX bytes) and the parser's scratch stack, and reuses them.
 * dd_json_release_cache() gives them back.
 */
#define CHUNK_MIN ((size_t)256 << 10)
#define CACHE_MAX ((size_t)64 << 20)

static _Thread_local struct chunk *cache;
static _Thread_local size_t cache_bytes;
static _Thread_local struct dd_json *cached_stack;
static _Thread_local size_t cached_scap;

void dd_json_release_cache(void)
{
    while (cache) {
        struct chunk *next = cache->next;
        free(cache);
        cache = next;
    }
    cache_bytes = 0;
    free(cached_stack);
    cached_stack = NULL;
    cached_scap = 0;
}

/* A chunk with at least `n` bytes of room: from the cache when one fits. */
static struct chunk *chunk_get(size_t n)
{
    for (struct chunk **pp = &cache; *pp; pp = &(*pp)->next) {
        if ((*pp)->size >= n) {
            struct chunk *c = *pp;
            *pp = c->next;
            cache_bytes -= c->size;
            c->used = 0;
            return c;
        }
    }
    size_t size = n > CHUNK_MIN ? n : CHUNK_MIN;
    struct chunk *c = xmalloc(sizeof *c + size);
    c->size = size;
    c->used = 0;
    return c;
}

/* Returns n bytes aligned for any type, owned by the arena. */
static void *arena_alloc(struct dd_json_arena *a, size_t n)
{
    const size_t align = sizeof(max_align_t);
    n = (n + align - 1) / align * align;
    struct chunk *c = a->head;
    if (!c || c->size - c->used < n) {
        c = chunk_get(n);
        c->next = a->head;
        a->head = c;
    }
    void *p = (char *)c->data + c->used;
    c->used += n;
    return p;
}

static void arena_free(struct dd_json_arena *a)
{
    struct chunk *c = a->head;
    while (c) {
        struct chunk *next = c->next;
        if (cache_bytes + c->size <= CACHE_MAX) {
            c->next = cache;
            cache = c;
            cache_bytes += c->size;
        } else {
            free(c);
        }
        c = next;
    }
    free(a);
}

/* ============================================================== reader */

struct parser {
    const unsigned char *s;
    size_t len, i;
    unsigned depth, max_depth;
    /* position tracking */
    unsigned line;
    size_t line_start;
    size_t col_at; /* offset whose column is `col` */
    unsigned col;
    /* scratch stack of children */
    struct dd_json *stack;
    size_t sp, scap;
    struct dd_json_arena *arena;
    struct dd_json_error *err;
};

static struct dd_json_pos pos_at(struct parser *p, size_t off)
{
    if (off < p->col_at || p->col_at < p->line_start) {
        p->col_at = p->line_start;
        p->col = 1;
    }
    for (size_t k = p->col_at; k < off && k < p->len; k++)
        if ((p->s[k] & 0xC0) != 0x80)
            p->col++;
    p->col_at = off;
    struct dd_json_pos pos = {off, p->line, p->col};
    return pos;
}

static int fail(struct parser *p, int code, size_t off, const char *what)
{
    if (p->err) {
        p->err->code = code;
        p->err->pos = pos_at(p, off);
        snprintf(p->err->msg, sizeof p->err->msg, "%s", what);
    }
    return code;
}

static void skip_ws(struct parser *p)
{
    while (p->i < p->len) {
        unsigned char c = p->s[p->i];
        if (c == ' ' || c == '\t' || c == '\r') {
            p->i++;
        } else if (c == '\n') {
            p->i++;
            p->line++;
            p->line_start = p->i;
            p->col_at = p->i;
            p->col = 1;
        } else {
            break;
        }
    }
}

static struct dd_json *push(struct parser *p)
{
    if (p->sp == p->scap) {
        p->scap = p->scap ? p->scap * 2 : 64;
        p->stack = xrealloc(p->stack, p->scap * sizeof *p->stack);
    }
    struct dd_json *v = &p->stack[p->sp++];
    memset(v, 0, sizeof *v);
    return v;
}

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Reads 4 hex digits at s[i..i+3]; -1 when they are not. */
static long read_hex4(struct parser *p, size_t i)
{
    if (p->len - i < 4)
        return -1;
    long v = 0;
    for (size_t k = 0; k < 4; k++) {
        int h = hexval(p->s[i + k]);
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

/* Length of the valid UTF-8 sequence at s[i] (lead byte >= 0x80), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t i, size_t len)
{
    unsigned char c = s[i];
    size_t n;
    unsigned long cp;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (len - i < n)
        return 0;
    for (size_t k = 1; k < n; k++) {
        if ((s[i + k] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

size_t dd_utf8_seq_len(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    if (n == 0)
        return 0;
    return u[0] < 0x80 ? 1 : utf8_seq(u, 0, n);
}

static size_t put_utf8(char *out, unsigned long cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/*
 * Reads a string whose opening quote is at p->i. The decoded bytes go into
 * the arena (never longer than the raw text: every escape shrinks).
 */
static int read_string(struct parser *p, const char **text, size_t *len)
{
    size_t start = ++p->i; /* after the quote */
    /* First pass: find the end and validate, so the arena copy is exact. */
    size_t i = start;
    int has_escape = 0;
    for (;;) {
        if (i >= p->len)
            return fail(p, DD_E_SYNTAX, p->len, "unterminated string");
        unsigned char c = p->s[i];
        if (c == '"')
            break;
        if (c < 0x20)
            return fail(p, DD_E_SYNTAX, i,
                        "control character inside a string (escape it)");
        if (c == '\\') {
            has_escape = 1;
            if (i + 1 >= p->len)
                return fail(p, DD_E_SYNTAX, p->len, "unterminated string");
            unsigned char e = p->s[i + 1];
            if (e == 'u') {
                long u = read_hex4(p, i + 2);
                if (u < 0) {
                    size_t k = i + 2;
                    while (k < p->len && k < i + 6 && hexval(p->s[k]) >= 0)
                        k++;
                    return fail(p, DD_E_SYNTAX, k,
                                "\\u must be followed by 4 hex digits");
                }
                if (u >= 0xDC00 && u <= 0xDFFF)
                    return fail(p, DD_E_UTF8, i, "lone low surrogate");
                if (u >= 0xD800 && u <= 0xDBFF) {
                    long lo = -1;
                    if (i + 7 < p->len && p->s[i + 6] == '\\' &&
                        p->s[i + 7] == 'u')
                        lo = read_hex4(p, i + 8);
                    if (lo < 0xDC00 || lo > 0xDFFF)
                        return fail(p, DD_E_UTF8, i, "lone high surrogate");
                    i += 12;
                } else {
                    i += 6;
                }
            } else if (e == '"' || e == '\\' || e == '/' || e == 'b' ||
                       e == 'f' || e == 'n' || e == 'r' || e == 't') {
                i += 2;
            } else {
                return fail(p, DD_E_SYNTAX, i + 1, "invalid escape in string");
            }
        } else if (c < 0x80) {
            i++;
        } else {
            size_t n = utf8_seq(p->s, i, p->len);
            if (!n)
                return fail(p, DD_E_UTF8, i, "invalid UTF-8 in string");
            i += n;
        }
    }
    size_t raw = i - start;
    char *out = arena_alloc(p->arena, raw + 1);
    if (!has_escape) {
        memcpy(out, p->s + start, raw);
        out[raw] = '\0';
        *text = out;
        *len = raw;
        p->i = i + 1;
        return 0;
    }
    size_t o = 0;
    for (size_t k = start; k < i;) {
        unsigned char c = p->s[k];
        if (c != '\\') {
            out[o++] = (char)c;
            k++;
            continue;
        }
        unsigned char e = p->s[k + 1];
        switch (e) {
        case 'b':
            out[o++] = '\b';
            break;
        case 'f':
            out[o++] = '\f';
            break;
        case 'n':
            out[o++] = '\n';
            break;
        case 'r':
            out[o++] = '\r';
            break;
        case 't':
            out[o++] = '\t';
            break;
        case 'u': {
            unsigned long cp = (unsigned long)read_hex4(p, k + 2);
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                unsigned long lo = (unsigned long)read_hex4(p, k + 8);
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                k += 6;
            }
            o += put_utf8(out + o, cp);
            k += 6;
            continue;
        }
        default: /* '"', '\\', '/' */
            out[o++] = (char)e;
            break;
        }
        k += 2;
    }
    out[o] = '\0';
    *text = out;
    *len = o;
    p->i = i + 1;
    return 0;
}

static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static int read_number(struct parser *p, struct dd_json *v)
{
    size_t start = p->i, i = p->i;
    const unsigned char *s = p->s;
    if (i < p->len && s[i] == '-')
        i++;
    if (i >= p->len || !is_digit(s[i]))
        return fail(p, DD_E_SYNTAX, i, "invalid number: a digit must follow");
    if (s[i] == '0') {
        i++;
    } else {
        while (i < p->len && is_digit(s[i]))
            i++;
    }
    if (i < p->len && s[i] == '.') {
        i++;
        if (i >= p->len || !is_digit(s[i]))
            return fail(p, DD_E_SYNTAX, i,
                        "invalid number: a digit must follow '.'");
        while (i < p->len && is_digit(s[i]))
            i++;
    }
    if (i < p->len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < p->len && (s[i] == '+' || s[i] == '-'))
            i++;
        if (i >= p->len || !is_digit(s[i]))
            return fail(p, DD_E_SYNTAX, i,
                        "invalid number: the exponent needs a digit");
        while (i < p->len && is_digit(s[i]))
            i++;
    }
    size_t n = i - start;
    char *t = arena_alloc(p->arena, n + 1);
    memcpy(t, s + start, n);
    t[n] = '\0';
    v->type = DD_JSON_NUMBER;
    v->text = t;
    v->len = n;
    p->i = i;
    return 0;
}

static int read_value(struct parser *p, struct dd_json *v);

/* Moves the top `n` scratch entries into the arena as `v`'s children. */
static void adopt(struct parser *p, struct dd_json *v, size_t base)
{
    size_t n = p->sp - base;
    v->n = n;
    if (n) {
        v->kids = arena_alloc(p->arena, n * sizeof *v->kids);
        memcpy(v->kids, p->stack + base, n * sizeof *v->kids);
    }
    p->sp = base;
}

/* `v` lives on the scratch stack, which may move: callers pass its index. */
static int read_container(struct parser *p, size_t vi, int is_object)
{
    if (++p->depth > p->max_depth)
        return fail(p, DD_E_DEPTH, p->i, "nesting deeper than the limit");
    char close = is_object ? '}' : ']';
    p->i++; /* the bracket */
    size_t base = p->sp;
    skip_ws(p);
    if (p->i < p->len && p->s[p->i] == close) {
        p->i++;
    } else {
        for (;;) {
            struct dd_json_pos kpos = {0, 0, 0};
            const char *key = NULL;
            size_t key_len = 0;
            if (is_object) {
                if (p->i >= p->len)
                    return fail(p, DD_E_SYNTAX, p->i,
                                "unexpected end of input: expected a key");
                if (p->s[p->i] != '"')
                    return fail(p, DD_E_SYNTAX, p->i,
                                "expected a string key in double quotes");
                kpos = pos_at(p, p->i);
                int rc = read_string(p, &key, &key_len);
                if (rc)
                    return rc;
                skip_ws(p);
                if (p->i >= p->len || p->s[p->i] != ':')
                    return fail(p, DD_E_SYNTAX, p->i,
                                "expected ':' after the key");
                p->i++;
                skip_ws(p);
            }
            size_t ci = p->sp;
            push(p);
            int rc = read_value(p, &p->stack[ci]);
            if (rc)
                return rc;
            if (is_object) {
                p->stack[ci].key = key;
                p->stack[ci].key_len = key_len;
                p->stack[ci].key_pos = kpos;
            }
            skip_ws(p);
            if (p->i >= p->len)
                return fail(p, DD_E_SYNTAX, p->i,
                            is_object ? "unexpected end of input: expected "
                                        "',' or '}'"
                                      : "unexpected end of input: expected "
                                        "',' or ']'");
            unsigned char c = p->s[p->i];
            if (c == ',') {
                p->i++;
                skip_ws(p);
                continue;
            }
            if (c == (unsigned char)close) {
                p->i++;
                break;
            }
            return fail(p, DD_E_SYNTAX, p->i,
                        is_object ? "expected ',' or '}'"
                                  : "expected ',' or ']'");
        }
    }
    /* Children are at [base, sp); the container itself is at vi < base. */
    struct dd_json tmp = p->stack[vi];
    adopt(p, &tmp, base);
    p->stack[vi] = tmp;
    p->depth--;
    return 0;
}

/* Matches the literal `w`; on a mismatch leaves p->i at the first byte
 * that differs (or the end of input), where the error is reported. */
static int match_word(struct parser *p, const char *w, size_t n)
{
    for (size_t k = 0; k < n; k++, p->i++)
        if (p->i >= p->len || p->s[p->i] != (unsigned char)w[k])
            return 0;
    return 1;
}

/* `v` points into the scratch stack; only its index is stable. */
static int read_value(struct parser *p, struct dd_json *v)
{
    size_t vi = (size_t)(v - p->stack);
    if (p->i >= p->len)
        return fail(p, DD_E_SYNTAX, p->i, "unexpected end of input");
    p->stack[vi].pos = pos_at(p, p->i);
    unsigned char c = p->s[p->i];
    switch (c) {
    case '{':
        p->stack[vi].type = DD_JSON_OBJECT;
        return read_container(p, vi, 1);
    case '[':
        p->stack[vi].type = DD_JSON_ARRAY;
        return read_container(p, vi, 0);
    case '"': {
        const char *t;
        size_t n;
        int rc = read_string(p, &t, &n);
        if (rc)
            return rc;
        p->stack[vi].type = DD_JSON_STRING;
        p->stack[vi].text = t;
        p->stack[vi].len = n;
        return 0;
    }
    case 't':
        if (match_word(p, "true", 4)) {
            p->stack[vi].type = DD_JSON_TRUE;
            return 0;
        }
        break;
    case 'f':
        if (match_word(p, "false", 5)) {
            p->stack[vi].type = DD_JSON_FALSE;
            return 0;
        }
        break;
    case 'n':
        if (match_word(p, "null", 4)) {
            p->stack[vi].type = DD_JSON_NULL;
            return 0;
        }
        break;
    default:
        if (c == '-' || is_digit(c))
            return read_number(p, &p->stack[vi]);
        break;
    }
    if (c == 't' || c == 'f' || c == 'n')
        return fail(p, DD_E_SYNTAX, p->i,
                    p->i >= p->len ? "unexpected end of input in a literal"
                                   : "invalid literal (true, false or null)");
    return fail(p, DD_E_SYNTAX, p->i, "unexpected character: expected a value");
}

/* Line and column of a byte offset, scanning from the start (error paths
 * that happen before or outside the normal forward scan). */
static struct dd_json_pos scan_pos(const unsigned char *s, size_t len,
                                   size_t off)
{
    struct dd_json_pos pos = {off, 1, 1};
    for (size_t k = 0; k < off && k < len; k++) {
        if (s[k] == '\n') {
            pos.line++;
            pos.col = 1;
        } else if ((s[k] & 0xC0) != 0x80) {
            pos.col++;
        }
    }
    return pos;
}

int dd_json_parse(const char *text, size_t len,
                  const struct dd_json_limits *limits, struct dd_json_doc *doc,
                  struct dd_json_error *err)
{
    doc->root = NULL;
    doc->arena = NULL;
    size_t max_bytes = limits && limits->max_bytes ? limits->max_bytes
                                                   : DD_JSON_DEFAULT_MAX_BYTES;
    unsigned max_depth = limits && limits->max_depth
                             ? limits->max_depth
                             : DD_JSON_DEFAULT_MAX_DEPTH;
    if (max_depth > HARD_MAX_DEPTH)
        max_depth = HARD_MAX_DEPTH;
    if (!text)
        len = 0;
    if (len > max_bytes) {
        if (err) {
            err->code = DD_E_TOO_LARGE;
            err->pos = scan_pos((const unsigned char *)text, len, max_bytes);
            snprintf(err->msg, sizeof err->msg,
                     "input of %zu bytes is larger than the limit of %zu", len,
                     max_bytes);
        }
        return DD_E_TOO_LARGE;
    }
    struct parser p = {0};
    p.s = (const unsigned char *)(text ? text : "");
    p.len = len;
    p.max_depth = max_depth;
    p.line = 1;
    p.col = 1;
    p.err = err;
    p.arena = xmalloc(sizeof *p.arena);
    p.arena->head = NULL;
    p.stack = cached_stack;
    p.scap = cached_scap;
    cached_stack = NULL;
    cached_scap = 0;

    skip_ws(&p);
    push(&p);
    int rc = read_value(&p, &p.stack[0]);
    if (rc == 0) {
        skip_ws(&p);
        if (p.i < p.len)
            rc = fail(&p, DD_E_SYNTAX, p.i,
                      "unexpected text after the JSON value");
    }
    struct dd_json root_value = p.stack[0];
    /* keep the scratch stack for the next parse on this thread */
    free(cached_stack);
    cached_stack = p.stack;
    cached_scap = p.scap;
    if (rc) {
        arena_free(p.arena);
        return rc;
    }
    struct dd_json *root = arena_alloc(p.arena, sizeof *root);
    *root = root_value;
    doc->root = root;
    doc->arena = p.arena;
    return 0;
}

void dd_json_doc_free(struct dd_json_doc *doc)
{
    if (doc->arena)
        arena_free(doc->arena);
    doc->arena = NULL;
    doc->root = NULL;
}

/* ============================================================== access */

const struct dd_json *dd_json_get(const struct dd_json *obj, const char *key)
{
    if (!obj || obj->type != DD_JSON_OBJECT)
        return NULL;
    size_t klen = strlen(key);
    for (size_t k = obj->n; k-- > 0;) {
        const struct dd_json *m = &obj->kids[k];
        if (m->key_len == klen && memcmp(m->key, key, klen) == 0)
            return m;
    }
    return NULL;
}

bool dd_json_is_absent(const struct dd_json *v)
{
    return !v || v->type == DD_JSON_NULL;
}

int dd_parse_int64(const char *s, size_t len, int64_t *out)
{
    size_t i = 0;
    int neg = 0;
    if (len && s[0] == '-') {
        neg = 1;
        i = 1;
    }
    if (i >= len)
        return DD_E_TYPE;
    /* Accumulate as a negative number so INT64_MIN fits. */
    int64_t acc = 0;
    for (; i < len; i++) {
        if (!is_digit((unsigned char)s[i]))
            return DD_E_TYPE;
        int d = s[i] - '0';
        if (acc < (INT64_MIN + d) / 10)
            return DD_E_RANGE;
        acc = acc * 10 - d;
    }
    if (!neg) {
        if (acc == INT64_MIN)
            return DD_E_RANGE;
        acc = -acc;
    }
    *out = acc;
    return 0;
}

int dd_json_int64(const struct dd_json *v, int64_t *out)
{
    if (!v || (v->type != DD_JSON_NUMBER && v->type != DD_JSON_STRING))
        return DD_E_TYPE;
    return dd_parse_int64(v->text, v->len, out);
}

/* ============================================================== writer */

static const char HEX[] = "0123456789abcdef";

/* True for bytes that may need an escape: '"', '\\', controls, 0xE2 (the
 * lead byte of U+2028/U+2029, confirmed by the caller), and in HTML mode
 * < > & = '. */
static int may_escape(unsigned char c, int html)
{
    if (c < 0x20 || c == '"' || c == '\\' || c == 0xE2)
        return 1;
    return html && (c == '<' || c == '>' || c == '&' || c == '=' || c == '\'');
}

int dd_json_write_string(struct dd_buf *out, const char *str, size_t len,
                         enum dd_escape mode)
{
    const unsigned char *s = (const unsigned char *)str;
    int html = mode == DD_ESCAPE_HTML;
    int rc = dd_buf_putc(out, '"');
    size_t run = 0;
    for (size_t i = 0; i < len && !rc; i++) {
        unsigned char c = s[i];
        if (c >= 0x3F && c != '\\' && c != 0xE2)
            continue; /* fast path: no escapable byte is >= '?' but these */
        if (!may_escape(c, html))
            continue;
        if (c == 0xE2) {
            if (!(i + 2 < len && s[i + 1] == 0x80 &&
                  (s[i + 2] == 0xA8 || s[i + 2] == 0xA9)))
                continue;
        }
        rc = dd_buf_append(out, s + run, i - run);
        if (rc)
            break;
        char esc[7] = {'\\', 0, 0, 0, 0, 0, 0};
        size_t n = 2;
        switch (c) {
        case '"':
            esc[1] = '"';
            break;
        case '\\':
            esc[1] = '\\';
            break;
        case '\b':
            esc[1] = 'b';
            break;
        case '\f':
            esc[1] = 'f';
            break;
        case '\n':
            esc[1] = 'n';
            break;
        case '\r':
            esc[1] = 'r';
            break;
        case '\t':
            esc[1] = 't';
            break;
        case 0xE2: /* U+2028 or U+2029 */
            memcpy(esc + 1, s[i + 2] == 0xA8 ? "u2028" : "u2029", 5);
            n = 6;
            i += 2;
            break;
        default:
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = HEX[c >> 4];
            esc[5] = HEX[c & 15];
            n = 6;
            break;
        }
        rc = dd_buf_append(out, esc, n);
        run = i + 1;
    }
    if (!rc)
        rc = dd_buf_append(out, s + run, len - run);
    if (!rc)
        rc = dd_buf_putc(out, '"');
    return rc;
}

struct writer {
    struct dd_buf *out;
    enum dd_escape mode;
    struct dd_buf *out2; /* when set, the HTML-safe form goes here too */
    const struct dd_json **order; /* scratch stack of member pointers */
    size_t sp, cap;
};

static int cmp_members(const void *a, const void *b)
{
    const struct dd_json *x = *(const struct dd_json *const *)a;
    const struct dd_json *y = *(const struct dd_json *const *)b;
    size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
    int c = memcmp(x->key, y->key, n);
    if (c)
        return c;
    if (x->key_len != y->key_len)
        return x->key_len < y->key_len ? -1 : 1;
    /* Same key: keep input order (members are contiguous, so addresses
     * order them) so that the last one can be picked. */
    return x < y ? -1 : x > y;
}

/* Token writers: to the plain form, and to the HTML-safe form when the
 * writer produces both in one pass (one sort per object for both). */
static int emit(struct writer *w, const char *s, size_t n)
{
    int rc = dd_buf_append(w->out, s, n);
    if (!rc && w->out2)
        rc = dd_buf_append(w->out2, s, n);
    return rc;
}

static int emit_c(struct writer *w, char c)
{
    int rc = dd_buf_putc(w->out, c);
    if (!rc && w->out2)
        rc = dd_buf_putc(w->out2, c);
    return rc;
}

static int emit_str(struct writer *w, const char *s, size_t n)
{
    int rc = dd_json_write_string(w->out, s, n, w->mode);
    if (!rc && w->out2)
        rc = dd_json_write_string(w->out2, s, n, DD_ESCAPE_HTML);
    return rc;
}

static int write_value(struct writer *w, const struct dd_json *v)
{
    int rc = 0;
    switch (v->type) {
    case DD_JSON_NULL:
        return emit(w, "null", 4);
    case DD_JSON_TRUE:
        return emit(w, "true", 4);
    case DD_JSON_FALSE:
        return emit(w, "false", 5);
    case DD_JSON_NUMBER:
        return emit(w, v->text, v->len);
    case DD_JSON_STRING:
        return emit_str(w, v->text, v->len);
    case DD_JSON_ARRAY:
        rc = emit_c(w, '[');
        for (size_t k = 0; k < v->n && !rc; k++) {
            if (k)
                rc = emit_c(w, ',');
            if (!rc)
                rc = write_value(w, &v->kids[k]);
        }
        return rc ? rc : emit_c(w, ']');
    case DD_JSON_OBJECT: {
        size_t base = w->sp;
        if (w->cap - w->sp < v->n) {
            while (w->cap - w->sp < v->n)
                w->cap = w->cap ? w->cap * 2 : 64;
            w->order = xrealloc(w->order, w->cap * sizeof *w->order);
        }
        for (size_t k = 0; k < v->n; k++)
            w->order[base + k] = &v->kids[k];
        w->sp += v->n;
        if (v->n < 2) {
            /* nothing to sort (and w->order may still be NULL) */
        } else if (v->n > 16) {
            qsort(w->order + base, v->n, sizeof *w->order, cmp_members);
        } else {
            /* insertion sort: small objects are the common case */
            const struct dd_json **o = w->order + base;
            for (size_t k = 1; k < v->n; k++) {
                const struct dd_json *m = o[k];
                size_t j = k;
                while (j > 0 && cmp_members(&o[j - 1], &m) > 0) {
                    o[j] = o[j - 1];
                    j--;
                }
                o[j] = m;
            }
        }
        rc = emit_c(w, '{');
        int first = 1;
        for (size_t k = 0; k < v->n && !rc; k++) {
            const struct dd_json *m = w->order[base + k];
            if (k + 1 < v->n) {
                const struct dd_json *nx = w->order[base + k + 1];
                if (nx->key_len == m->key_len &&
                    memcmp(nx->key, m->key, m->key_len) == 0)
                    continue; /* a later duplicate wins */
            }
            if (!first)
                rc = emit_c(w, ',');
            first = 0;
            if (!rc)
                rc = emit_str(w, m->key, m->key_len);
            if (!rc)
                rc = emit_c(w, ':');
            if (!rc)
                rc = write_value(w, m);
        }
        w->sp = base;
        return rc ? rc : emit_c(w, '}');
    }
    }
    return 0;
}

int dd_json_write_canonical(struct dd_buf *out, const struct dd_json *v,
                            enum dd_escape mode)
{
    struct writer w = {out, mode, NULL, NULL, 0, 0};
    int rc = write_value(&w, v);
    free(w.order);
    return rc;
}

static bool has_html(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '<' || c == '>' || c == '&' || c == '=' || c == '\'')
            return true;
    }
    return false;
}

bool dd_json_has_html_chars(const struct dd_json *v)
{
    if (v->key && has_html(v->key, v->key_len))
        return true;
    switch (v->type) {
    case DD_JSON_STRING:
        return has_html(v->text, v->len);
    case DD_JSON_ARRAY:
    case DD_JSON_OBJECT:
        for (size_t k = 0; k < v->n; k++)
            if (dd_json_has_html_chars(&v->kids[k]))
                return true;
        return false;
    default:
        return false;
    }
}

int dd_canonical_param_json(const char *text, size_t len,
                            const struct dd_json_limits *limits,
                            struct dd_buf *plain, struct dd_buf *html,
                            struct dd_json_error *err)
{
    size_t i = 0;
    if (!text)
        len = 0;
    while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' ||
                       text[i] == '\r'))
        i++;
    if (i == len) {
        int rc = dd_buf_append(plain, "{}", 2);
        if (!rc && html)
            rc = dd_buf_append(html, "{}", 2);
        return rc;
    }
    struct dd_json_doc doc;
    int rc = dd_json_parse(text, len, limits, &doc, err);
    if (rc)
        return rc;
    if (doc.root->type != DD_JSON_OBJECT) {
        if (err) {
            err->code = DD_E_NOT_OBJECT;
            err->pos = doc.root->pos;
            snprintf(err->msg, sizeof err->msg,
                     "param_json must be a JSON object");
        }
        dd_json_doc_free(&doc);
        return DD_E_NOT_OBJECT;
    }
    size_t plain_start = plain->len;
    /* The canonical form is never much longer than the input. */
    dd_buf_reserve(plain, len + len / 8);
    if (html && dd_json_has_html_chars(doc.root)) {
        /* both forms in one pass */
        dd_buf_reserve(html, len + len / 4);
        struct writer w = {plain, DD_ESCAPE_PLAIN, html, NULL, 0, 0};
        rc = write_value(&w, doc.root);
        free(w.order);
    } else {
        rc = dd_json_write_canonical(plain, doc.root, DD_ESCAPE_PLAIN);
        if (!rc && html)
            rc = dd_buf_append(html, plain->data + plain_start,
                               plain->len - plain_start);
    }
    if (rc && err) {
        err->code = rc;
        err->pos = doc.root->pos;
        snprintf(err->msg, sizeof err->msg,
                 "canonical form larger than the output limit");
    }
    dd_json_doc_free(&doc);
    return rc;
}
