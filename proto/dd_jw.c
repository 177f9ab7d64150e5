/*
 * dd_jw.c: the streaming JSON writer of dd_jw.h.
 */
#include "dd_jw.h"

#include <string.h>

#include "dd_err.h"

void dd_jw_init(struct dd_jw *w, struct dd_buf *out)
{
    memset(w, 0, sizeof *w);
    w->out = out;
}

int dd_jw_error(const struct dd_jw *w)
{
    return w->err;
}

static void put(struct dd_jw *w, const char *s, size_t n)
{
    if (!w->err)
        w->err = dd_buf_append(w->out, s, n);
}

/* Emits the comma a value needs, unless it follows its key. */
static void before_value(struct dd_jw *w)
{
    if (w->after_key) {
        w->after_key = false;
        return;
    }
    if (w->need_comma[w->depth])
        put(w, ",", 1);
    w->need_comma[w->depth] = true;
}

static void jw_open(struct dd_jw *w, char c)
{
    before_value(w);
    put(w, &c, 1);
    if (w->depth == DD_JW_MAX_DEPTH) {
        if (!w->err)
            w->err = DD_E_DEPTH;
        return;
    }
    w->depth++;
    w->need_comma[w->depth] = false;
}

static void jw_close(struct dd_jw *w, char c)
{
    if (w->depth > 0)
        w->depth--;
    put(w, &c, 1);
}

void dd_jw_object_begin(struct dd_jw *w)
{
    jw_open(w, '{');
}

void dd_jw_object_end(struct dd_jw *w)
{
    jw_close(w, '}');
}

void dd_jw_array_begin(struct dd_jw *w)
{
    jw_open(w, '[');
}

void dd_jw_array_end(struct dd_jw *w)
{
    jw_close(w, ']');
}

void dd_jw_key(struct dd_jw *w, const char *key)
{
    before_value(w);
    /* Keys are almost always plain ASCII words: copy those in one append,
     * escape the rest. */
    char tmp[64];
    size_t n = 0;
    tmp[n++] = '"';
    for (const char *k = key; *k; k++) {
        unsigned char c = (unsigned char)*k;
        if (n > sizeof tmp - 3 || c < 0x20 || c == '"' || c == '\\' ||
            c >= 0x80) {
            n = 0;
            break;
        }
        tmp[n++] = (char)c;
    }
    if (n) {
        tmp[n++] = '"';
        tmp[n++] = ':';
        put(w, tmp, n);
    } else {
        if (!w->err)
            w->err =
                dd_json_write_string(w->out, key, strlen(key), DD_ESCAPE_PLAIN);
        put(w, ":", 1);
    }
    w->after_key = true;
}

size_t dd_int64_to_str(int64_t v, char *out)
{
    static const char pairs[] = "00010203040506070809"
                                "10111213141516171819"
                                "20212223242526272829"
                                "30313233343536373839"
                                "40414243444546474849"
                                "50515253545556575859"
                                "60616263646566676869"
                                "70717273747576777879"
                                "80818283848586878889"
                                "90919293949596979899";
    char tmp[24];
    size_t n = sizeof tmp;
    /* Unsigned magnitude, so INT64_MIN needs no special case. */
    uint64_t x = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    while (x >= 100) {
        unsigned d = (unsigned)(x % 100) * 2;
        x /= 100;
        tmp[--n] = pairs[d + 1];
        tmp[--n] = pairs[d];
    }
    if (x >= 10) {
        unsigned d = (unsigned)x * 2;
        tmp[--n] = pairs[d + 1];
        tmp[--n] = pairs[d];
    } else {
        tmp[--n] = (char)('0' + x);
    }
    size_t o = 0;
    if (v < 0)
        out[o++] = '-';
    memcpy(out + o, tmp + n, sizeof tmp - n);
    o += sizeof tmp - n;
    out[o] = '\0';
    return o;
}

void dd_jw_int(struct dd_jw *w, int64_t v)
{
    char s[24];
    size_t n = dd_int64_to_str(v, s);
    before_value(w);
    put(w, s, n);
}

void dd_jw_int_str(struct dd_jw *w, int64_t v)
{
    char s[24];
    s[0] = '"';
    size_t n = dd_int64_to_str(v, s + 1);
    s[n + 1] = '"';
    before_value(w);
    put(w, s, n + 2);
}

void dd_jw_bool(struct dd_jw *w, bool v)
{
    before_value(w);
    put(w, v ? "true" : "false", v ? 4 : 5);
}

void dd_jw_null(struct dd_jw *w)
{
    before_value(w);
    put(w, "null", 4);
}

void dd_jw_strn(struct dd_jw *w, const char *s, size_t len)
{
    before_value(w);
    if (!w->err)
        w->err = dd_json_write_string(w->out, s ? s : "", s ? len : 0,
                                      DD_ESCAPE_PLAIN);
}

void dd_jw_str(struct dd_jw *w, const char *s)
{
    dd_jw_strn(w, s, s ? strlen(s) : 0);
}

void dd_jw_raw(struct dd_jw *w, const char *json, size_t len)
{
    before_value(w);
    put(w, json, len);
}

void dd_jw_kint(struct dd_jw *w, const char *key, int64_t v)
{
    dd_jw_key(w, key);
    dd_jw_int(w, v);
}

void dd_jw_kstr(struct dd_jw *w, const char *key, const char *s)
{
    dd_jw_key(w, key);
    dd_jw_str(w, s);
}

void dd_jw_kbool(struct dd_jw *w, const char *key, bool v)
{
    dd_jw_key(w, key);
    dd_jw_bool(w, v);
}

void dd_jw_kint_str(struct dd_jw *w, const char *key, int64_t v)
{
    dd_jw_key(w, key);
    dd_jw_int_str(w, v);
}
