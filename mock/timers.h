/*
 * timers.h: the event loop's timers, a min-heap of callbacks by due time.
 *
 * Platform deadlines (harness.md "Time": scaled by time_scale), push
 * retries and their timeouts, and delayed responses of injected faults all
 * use it. Timers are never cancelled: a callback checks that what it was
 * set for still holds (the after-sale still has that deadline, the world
 * still exists) and does nothing otherwise. Callbacks run on the loop's
 * thread, which owns every world.
 */
#ifndef MOCK_TIMERS_H
#define MOCK_TIMERS_H

#include <stddef.h>
#include <stdint.h>

struct mock_server;

typedef void (*mock_timer_cb)(struct mock_server *s, uint64_t a, uint64_t b);

struct mock_timer {
    int64_t due_ms; /* real Unix milliseconds */
    uint64_t seq;   /* ties fire in the order they were added */
    mock_timer_cb cb;
    uint64_t a, b;
};

struct mock_timers {
    struct mock_timer *heap;
    size_t n, cap;
    uint64_t seq;
};

void mock_timers_init(struct mock_timers *t);
void mock_timers_free(struct mock_timers *t);

/* Adds a timer that calls cb(s, a, b) at due_ms (real milliseconds). */
void mock_timer_add(struct mock_timers *t, int64_t due_ms, mock_timer_cb cb,
                    uint64_t a, uint64_t b);

/* Milliseconds from now_ms until the earliest timer (0 when overdue), or
 * -1 when there is none. */
int64_t mock_timers_wait_ms(const struct mock_timers *t, int64_t now_ms);

/* Runs every timer due at or before now_ms, earliest first (a callback may
 * add timers; those due now run in the same call). Returns how many ran. */
size_t mock_timers_run(struct mock_timers *t, struct mock_server *s,
                       int64_t now_ms);

#endif
