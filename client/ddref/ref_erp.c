/*
 * ref_erp.c: the ERP process's context and main loop (ref_erp.h).
 */
#include "ref_erp.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "dd_err.h"
#include "dd_json.h"
#include "ref_bugs.h"
#include "ref_log.h"

/* How long a new process waits for the previous one's lock. */
#define LOCK_WAIT_MS 15000

static int take_lock(struct ref_erp *e, char *err, size_t errlen)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/ddref.lock", e->cfg.state_dir);
    e->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (e->lock_fd < 0) {
        snprintf(err, errlen, "open %s: %s", path, strerror(errno));
        return DD_E_IO;
    }
    int64_t deadline = ref_mono_ms() + LOCK_WAIT_MS;
    bool said = false;
    while (flock(e->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno != EWOULDBLOCK && errno != EINTR) {
            snprintf(err, errlen, "lock %s: %s", path, strerror(errno));
            return DD_E_IO;
        }
        if (ref_mono_ms() > deadline) {
            snprintf(err, errlen,
                     "another ddref holds %s (one ERP per state directory)",
                     path);
            return DD_E_IO;
        }
        if (!said)
            ref_log("waiting for the previous ddref of this state directory "
                    "to end");
        said = true;
        ref_sleep_ms(50);
    }
    return 0;
}

int ref_erp_open(struct ref_erp *e, const struct ddc_config *cfg, uint64_t bugs,
                 char *err, size_t errlen)
{
    memset(e, 0, sizeof *e);
    e->cfg = *cfg;
    e->bugs = bugs;
    e->lock_fd = -1;
    if (!cfg->state_dir[0]) {
        snprintf(err, errlen, "DOUDIAN_STATE_DIR is required");
        return DD_E_USAGE;
    }
    int rc = take_lock(e, err, errlen);
    if (!rc)
        rc = ref_store_open(&e->store, cfg->state_dir, err, errlen);
    if (rc) {
        if (e->lock_fd >= 0)
            close(e->lock_fd);
        return rc;
    }
    rc = ref_api_init(&e->api, cfg, bugs, err, errlen);
    if (rc) {
        ref_store_close(&e->store);
        close(e->lock_fd);
        return rc;
    }
    pthread_mutex_init(&e->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&e->cv, &ca);
    pthread_condattr_destroy(&ca);
    e->poll_interval_ms =
        (cfg->poll_interval_s > 0 ? cfg->poll_interval_s : 300) * 1000;
    if (REF_BUGGY(bugs, SLOW_POLL))
        e->poll_interval_ms *= 4;
    e->next_poll_ms = 0;
    /* The judge counts what a hook said from the moment the event was
     * handed out, so a return the warehouse reported is acted on at once. */
    e->settle_us = 0;
    e->ship_wait_us = e->poll_interval_ms * 1000 + 1000000;
    if (e->ship_wait_us > REF_SHIP_WAIT_MAX_US)
        e->ship_wait_us = REF_SHIP_WAIT_MAX_US;
    ddc_idset_init(&e->arrivals_read);
    return 0;
}

void ref_erp_wake(struct ref_erp *e)
{
    pthread_mutex_lock(&e->mu);
    e->woken = true;
    pthread_cond_signal(&e->cv);
    pthread_mutex_unlock(&e->mu);
}

void ref_erp_tick(struct ref_erp *e)
{
    ref_poll_if_due(e);
    ref_hints_run(e);
    ref_act_all(e);
    ref_ship_all(e);
}

/* Sleeps until woken, the next poll, or REF_TICK_MS. */
static void wait_for_work(struct ref_erp *e)
{
    int64_t now = ref_mono_ms();
    int64_t until = now + REF_TICK_MS;
    bool polls = !(e->cfg.push_listen[0] && REF_BUGGY(e->bugs, NO_SAFETY_POLL));
    if (polls && e->next_poll_ms < until)
        until = e->next_poll_ms;
    if (until <= now)
        return;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    int64_t ns = (int64_t)ts.tv_nsec + (until - now) * 1000000;
    ts.tv_sec += (time_t)(ns / 1000000000);
    ts.tv_nsec = (long)(ns % 1000000000);
    pthread_mutex_lock(&e->mu);
    while (!e->woken &&
           pthread_cond_timedwait(&e->cv, &e->mu, &ts) != ETIMEDOUT)
        ;
    e->woken = false;
    pthread_mutex_unlock(&e->mu);
}

int ref_erp_run(struct ref_erp *e, volatile sig_atomic_t *stop)
{
    char err[300];
    if (e->cfg.push_listen[0] && ref_push_start(e, err, sizeof err) != 0) {
        ref_log("push: %s", err);
        return DD_E_IO;
    }
    char bugs[512];
    ref_bug_mask_names(e->bugs, bugs, sizeof bugs);
    ref_log("started: base %s, shop %lld, %s, poll every %.1f s, state %s, "
            "schema %d%s%s",
            e->cfg.base_url, (long long)e->cfg.shop_id,
            e->cfg.push_listen[0] ? "push run" : "poll-only run",
            (double)e->poll_interval_ms / 1000, e->cfg.state_dir,
            ref_store_schema_version(&e->store),
            e->bugs ? ", INJECTED BUGS: " : "", e->bugs ? bugs : "");
    while (!*stop) {
        ref_erp_tick(e);
        if (*stop)
            break;
        wait_for_work(e);
    }
    ref_log("stopping");
    return 0;
}

void ref_erp_close(struct ref_erp *e)
{
    ref_push_stop(e);
    ref_api_free(&e->api);
    ref_store_close(&e->store);
    ddc_idset_free(&e->arrivals_read);
    pthread_cond_destroy(&e->cv);
    pthread_mutex_destroy(&e->mu);
    if (e->lock_fd >= 0)
        close(e->lock_fd);
    e->lock_fd = -1;
    dd_json_release_cache();
}
