/*
 * dd_buf.h: a growable byte buffer with a hard cap.
 *
 * Every piece of dd-harness that builds text (canonical JSON, strings to
 * sign, envelopes, reports) writes into a struct dd_buf. The buffer is always
 * NUL-terminated after its last byte so it can be handed to C string
 * functions, but it is length-delimited and may hold NUL bytes itself.
 *
 * The cap exists so that hostile input can never make a buffer grow without
 * bound: an append that would pass `max` fails with DD_E_TOO_LARGE and leaves
 * the buffer as it was. Out of memory aborts the process (as Redis does):
 * there is no sensible recovery for a test harness.
 *
 * Lifecycle: dd_buf_init (caller-allocated struct), appends, dd_buf_free.
 */
#ifndef DD_BUF_H
#define DD_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <string.h>

/* Default cap when dd_buf_init is given 0: 64 MiB. */
#define DD_BUF_DEFAULT_MAX ((size_t)64 << 20)

struct dd_buf {
    char *data; /* owned; NULL until the first append; always NUL-terminated
                   after */
    size_t len; /* bytes in use, not counting the terminating NUL */
    size_t cap; /* bytes allocated */
    size_t max; /* hard cap on len */
};

/* Initialises an empty buffer that may grow to `max` bytes (0 = default). */
void dd_buf_init(struct dd_buf *b, size_t max);

/* Frees the buffer's memory and leaves it empty and reusable. */
void dd_buf_free(struct dd_buf *b);

/* Empties the buffer without freeing its memory. */
void dd_buf_reset(struct dd_buf *b);

/* The out-of-line part of dd_buf_append (growing the buffer). */
int dd_buf_append_slow(struct dd_buf *b, const void *p, size_t n);

/* Appends n bytes. Returns 0, or DD_E_TOO_LARGE (buffer unchanged).
 * Inline: responses are built from many small appends. */
static inline int dd_buf_append(struct dd_buf *b, const void *p, size_t n)
{
    if (n < b->cap - b->len && n <= b->max - b->len) {
        memcpy(b->data + b->len, p, n);
        b->len += n;
        b->data[b->len] = '\0';
        return 0;
    }
    return dd_buf_append_slow(b, p, n);
}

/* Makes room for `extra` more bytes without changing the contents (a hint
 * that saves reallocations). Returns 0 or DD_E_TOO_LARGE. */
int dd_buf_reserve(struct dd_buf *b, size_t extra);

/* Appends one byte. Same return as dd_buf_append. */
static inline int dd_buf_putc(struct dd_buf *b, char c)
{
    return dd_buf_append(b, &c, 1);
}

/* Appends a NUL-terminated string. Same return as dd_buf_append. */
int dd_buf_puts(struct dd_buf *b, const char *s);

/* Appends printf-formatted text. Same return as dd_buf_append. */
int dd_buf_printf(struct dd_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* va_list form of dd_buf_printf. */
int dd_buf_vprintf(struct dd_buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/*
 * Returns the buffer's contents as a new NUL-terminated string that the
 * caller owns (free with free()), and leaves the buffer empty. Never NULL:
 * an empty buffer yields "".
 */
char *dd_buf_steal(struct dd_buf *b);

/* Returns the contents as a C string, "" when empty. Borrowed. */
const char *dd_buf_str(const struct dd_buf *b);

#endif
