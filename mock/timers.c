/*
 * timers.c: the binary min-heap of timers.h, ordered by (due_ms, seq).
 */
#include "timers.h"

#include <stdio.h>
#include <stdlib.h>

void mock_timers_init(struct mock_timers *t)
{
    t->heap = NULL;
    t->n = 0;
    t->cap = 0;
    t->seq = 0;
}

void mock_timers_free(struct mock_timers *t)
{
    free(t->heap);
    mock_timers_init(t);
}

static int before(const struct mock_timer *x, const struct mock_timer *y)
{
    return x->due_ms < y->due_ms || (x->due_ms == y->due_ms && x->seq < y->seq);
}

static void swap(struct mock_timer *x, struct mock_timer *y)
{
    struct mock_timer tmp = *x;
    *x = *y;
    *y = tmp;
}

void mock_timer_add(struct mock_timers *t, int64_t due_ms, mock_timer_cb cb,
                    uint64_t a, uint64_t b)
{
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 64;
        t->heap = realloc(t->heap, t->cap * sizeof *t->heap);
        if (!t->heap) {
            fputs("ddmock: out of memory\n", stderr);
            abort();
        }
    }
    size_t i = t->n++;
    t->heap[i] = (struct mock_timer){due_ms, ++t->seq, cb, a, b};
    while (i > 0 && before(&t->heap[i], &t->heap[(i - 1) / 2])) {
        swap(&t->heap[i], &t->heap[(i - 1) / 2]);
        i = (i - 1) / 2;
    }
}

int64_t mock_timers_wait_ms(const struct mock_timers *t, int64_t now_ms)
{
    if (t->n == 0)
        return -1;
    int64_t d = t->heap[0].due_ms - now_ms;
    return d > 0 ? d : 0;
}

/* Removes and returns the earliest timer (the heap is not empty). */
static struct mock_timer pop(struct mock_timers *t)
{
    struct mock_timer top = t->heap[0];
    t->heap[0] = t->heap[--t->n];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < t->n && before(&t->heap[l], &t->heap[m]))
            m = l;
        if (r < t->n && before(&t->heap[r], &t->heap[m]))
            m = r;
        if (m == i)
            break;
        swap(&t->heap[i], &t->heap[m]);
        i = m;
    }
    return top;
}

size_t mock_timers_run(struct mock_timers *t, struct mock_server *s,
                       int64_t now_ms)
{
    size_t ran = 0;
    while (t->n > 0 && t->heap[0].due_ms <= now_ms) {
        struct mock_timer x = pop(t);
        x.cb(s, x.a, x.b);
        ran++;
    }
    return ran;
}
