/*
 * ref_erp.h: the ddref ERP process: its context and its main loop.
 *
 * One process per state directory (an exclusive lock on ddref.lock makes a
 * second one wait). Threads: the main thread owns the loop below, the
 * database connection e->store and every API call but the mutant's; the
 * push receiver (ref_fetch.c) has its own threads and its own database
 * connection and only records the messages it is pushed, then wakes the
 * main thread. The loop, about four times a second or when woken:
 *   1. polls afterSale.List when the poll interval has passed (ref_fetch.c);
 *   2. reconciles pushed messages with afterSale.Detail (ref_fetch.c);
 *   3. decides about every after-sale not settled yet and acts: write-backs
 *      with their intents, return orders, the warehouse's books
 *      (ref_act.c, decisions in ref_decide.c);
 *   4. uploads the tracking numbers of what the warehouse shipped.
 * The warehouse hook (`ddref hook`, ref_hook.c) is another process that
 * shares the database.
 */
#ifndef REF_ERP_H
#define REF_ERP_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "ddc_config.h"
#include "ddc_pager.h"
#include "ref_api.h"
#include "ref_decide.h"
#include "ref_store.h"

/* Polling (doudian-open-api.md §4.1, §4.10): update_time windows ordered by
 * update_time asc; the first one starts this far back, every next one
 * this far before the previous end. */
#define REF_FIRST_WINDOW_S  (14 * 86400)
#define REF_OVERLAP_S       300
#define REF_PAGE_SIZE       100
#define REF_DEEP_PAGING_CAP 50000
/* A shipment the warehouse reported (warehouse.ship_request) is uploaded
 * this long after the report at the earliest, and never sooner than one
 * poll interval and a second: a pre-shipment refund applied for at the
 * same moment is then known (by push at once, by polling within that
 * time: the window ends a second before now) before the parcel is
 * declared shipped. */
#define REF_SHIP_WAIT_MAX_US 2500000
/* An upload waits at most this long for the write-back of a refund of
 * another SKU order of the same order (a whole-order upload ships it). */
#define REF_SHIP_DEFER_US 15000000
/* The loop's longest sleep. */
#define REF_TICK_MS 250

struct ref_push;

/* Test-only fault injection: called at named points of a write-back
 * ("after-intent", "after-call"); tests make it _exit() to simulate a
 * crash there. NULL in production. */
extern void (*ref_crash_point)(const char *where);

struct ref_erp {
    struct ddc_config cfg;
    uint64_t bugs;
    struct ref_store store;
    struct ref_api api;
    struct ref_push *push;
    int lock_fd;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool woken;
    int64_t poll_interval_ms;
    int64_t next_poll_ms;           /* monotonic; 0 = at once */
    int64_t settle_us;              /* ref_case.settle_us for returns: 0 */
    int64_t ship_wait_us;           /* REF_SHIP_WAIT_MAX_US or less */
    struct ddc_idset arrivals_read; /* returns re-read after an arrival */
    uint64_t polls;
    uint64_t calls_in_tick;
};

/*
 * Prepares the ERP for `cfg` (copied) and the mutants `bugs`: takes the
 * state directory's lock (waiting up to 15 s for a previous process to
 * die), opens and migrates the database, makes the API client. Sends
 * nothing yet. Returns 0 or a negative code with the reason in `err`.
 */
int ref_erp_open(struct ref_erp *e, const struct ddc_config *cfg, uint64_t bugs,
                 char *err, size_t errlen);

/* Runs one round of the loop (the steps above), polling only when due. */
void ref_erp_tick(struct ref_erp *e);

/* Starts the push receiver when cfg.push_listen is set, then runs rounds
 * until *stop becomes non-zero. Returns 0, or a negative code when the
 * receiver cannot start. */
int ref_erp_run(struct ref_erp *e, volatile sig_atomic_t *stop);

/* Wakes the loop (from any thread). */
void ref_erp_wake(struct ref_erp *e);

/* Stops the receiver, closes the database, frees everything, releases the
 * lock. */
void ref_erp_close(struct ref_erp *e);

/* ------------------------------------------------ ref_fetch.c */

/* True when a poll is due now. */
bool ref_poll_due(const struct ref_erp *e);

/* One incremental poll: every page of afterSale.List over the window
 * [cursor - overlap, now - 1 s] by update_time asc, each item stored; the
 * cursor moves only when the window was read completely. Schedules the
 * next poll. Returns 0 when complete. */
int ref_poll_once(struct ref_erp *e);

/* Polls when due (and when the mutants allow it). */
void ref_poll_if_due(struct ref_erp *e);

/* Re-reads after-sale `id` with afterSale.Detail and stores it; `out` (may
 * be NULL) gets the stored version. Returns 0, DD_E_NOT_FOUND when the
 * platform has no such after-sale, or the call's error. */
int ref_reread(struct ref_erp *e, int64_t id, struct ref_aftersale *out);

/* Reconciles the pushed messages not handled yet: each after-sale they
 * name is re-read once (whatever order they came in), then they are
 * marked done. */
void ref_hints_run(struct ref_erp *e);

/* Starts / stops the push receiver on cfg.push_listen. */
int ref_push_start(struct ref_erp *e, char *err, size_t errlen);
void ref_push_stop(struct ref_erp *e);

/* ------------------------------------------------ ref_act.c */

/* Decides about and acts on every after-sale not settled yet. */
void ref_act_all(struct ref_erp *e);

/* Decides about and acts on after-sale `id`. Returns 0 or a store error. */
int ref_act_one(struct ref_erp *e, int64_t id);

/* Uploads the tracking numbers of the shipments that are due. */
void ref_ship_all(struct ref_erp *e);

/* Fills a decision case for after-sale `as` from the database (without
 * the clock and bugs fields' defaults: now, settle time and bugs are the
 * caller's). */
int ref_load_case(struct ref_store *s, const struct ref_aftersale *as,
                  struct ref_case *c);

#endif
