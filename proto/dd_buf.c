/*
 * dd_buf.c: the growable, capped byte buffer of dd_buf.h.
 *
 * Growth doubles the allocation (amortised O(1) appends) but never lets the
 * contents pass the buffer's cap. Allocation failure aborts: the harness has
 * no useful way to continue without memory.
 */
#include "dd_buf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dd_err.h"

void dd_buf_init(struct dd_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max ? max : DD_BUF_DEFAULT_MAX;
}

void dd_buf_free(struct dd_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void dd_buf_reset(struct dd_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

/* Makes room for `extra` more bytes plus the terminating NUL. */
static int reserve(struct dd_buf *b, size_t extra)
{
    if (extra > b->max - b->len)
        return DD_E_TOO_LARGE;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    char *p = realloc(b->data, cap);
    if (!p) {
        fputs("dd_buf: out of memory\n", stderr);
        abort();
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

int dd_buf_reserve(struct dd_buf *b, size_t extra)
{
    if (extra > b->max - b->len)
        extra = b->max - b->len;
    return reserve(b, extra);
}

int dd_buf_append_slow(struct dd_buf *b, const void *p, size_t n)
{
    int rc = reserve(b, n);
    if (rc)
        return rc;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int dd_buf_puts(struct dd_buf *b, const char *s)
{
    return dd_buf_append(b, s, strlen(s));
}

int dd_buf_vprintf(struct dd_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return DD_E_FORMAT;
    int rc = reserve(b, (size_t)n);
    if (rc)
        return rc;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return 0;
}

int dd_buf_printf(struct dd_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = dd_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

char *dd_buf_steal(struct dd_buf *b)
{
    char *s = b->data;
    if (!s) {
        s = malloc(1);
        if (!s)
            abort();
        s[0] = '\0';
    }
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    return s;
}

const char *dd_buf_str(const struct dd_buf *b)
{
    return b->data ? b->data : "";
}
