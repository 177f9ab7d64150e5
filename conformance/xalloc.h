/*
 * xalloc.h: the allocation helpers every file of conformance/ uses, as
 * static inline functions: each aborts with a message when memory runs
 * out (the runner cannot judge anything without memory), and each treats
 * a size of zero as one byte so that it never returns NULL. GROW makes
 * room for one more element of a dynamic array.
 */
#ifndef CONF_XALLOC_H
#define CONF_XALLOC_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Aborts: no memory left. */
static inline void xalloc_fail(void)
{
    fputs("ddconform: out of memory\n", stderr);
    abort();
}

/* realloc that never fails. */
static inline void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p)
        xalloc_fail();
    return p;
}

/* calloc that never fails. */
static inline void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        xalloc_fail();
    return p;
}

/* A copy of the first n bytes of s, NUL-terminated. */
static inline char *xstrndup(const char *s, size_t n)
{
    char *p = xrealloc(NULL, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

/* A copy of s ("" for NULL). */
static inline char *xstrdup(const char *s)
{
    return s ? xstrndup(s, strlen(s)) : xstrndup("", 0);
}

/* Grows a dynamic array so that one more element fits. */
#define GROW(ptr, n, cap)                                                      \
    do {                                                                       \
        if ((n) == (cap)) {                                                    \
            (cap) = (cap) ? 2 * (cap) : 16;                                    \
            (ptr) = xrealloc((ptr), (cap) * sizeof *(ptr));                    \
        }                                                                      \
    } while (0)

#endif
