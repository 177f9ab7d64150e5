/*
 * driver.c: the ERP driver (driver.h), harness.md "The ERP-under-test
 * contract" (version 1) from the runner's side.
 *
 * One call of conf_run_drive is one scenario run, in this order: load the
 * scenario; decide the mode and the SKIPs; create the run on the mock;
 * start the ERP (/bin/sh -c in a new process group, the contract's
 * environment, output appended to erp.log); wait until it is ready (push:
 * its listener accepts a TCP connection, then the runner subscribes it and
 * starts the timeline; poll-only: the timeline starts at its first API
 * call or 2 s); then loop: long-poll the engine's next event (hook, ERP
 * restart, end), collect the journal, notice an ERP that exited by
 * itself, and ask the judge whether everything is decided; end the run,
 * collect the rest, stop the ERP, judge, write the report, delete the run.
 *
 * Processes: every child (the ERP, each hook call) is the leader of its
 * own process group, started with posix_spawn (safe in a threaded
 * process) with default signal dispositions and an empty signal mask.
 * Children are reaped by group (waitpid(-pgid)), so workers on other
 * threads never take each other's children, and when ddconform is a child
 * subreaper (main.c) the group's orphans are reaped too.
 */
#define _GNU_SOURCE /* posix_spawn_file_actions_addclosefrom_np */
#include "driver.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dd_jw.h"
#include "metrics.h"
#include "scenario.h"
#include "xalloc.h"

extern char **environ;

/* harness.md budgets, in real seconds before stretch */
#define LISTEN_BUDGET_S  10.0 /* push listener accepts connections */
#define FIRST_CALL_S     2.0  /* poll-only: first API call, else start */
#define HOOK_BUDGET_S    10.0 /* one hook call */
#define TERM_GRACE_S     5.0  /* SIGTERM, then SIGKILL */
#define NEXT_WAIT_MS     200  /* long-poll of the engine's events */
#define COLLECT_EVERY_MS 200  /* journal collection */
#define DECIDE_EVERY_MS  500  /* asking the judge with nothing new */
#define LISTEN_PROBE_MS  50   /* between connection attempts */
#define HOOK_OUTPUT_MAX  ((size_t)1 << 20)  /* stdout, stderr kept */
#define JOURNAL_MAX      ((size_t)1 << 30)  /* a run's journal in memory */
#define SCENARIO_MAX     ((size_t)64 << 20) /* FORMAT.md's file limit */
#define SENTENCE_MAX     1024

/* ---------------------------------------------------------------- time */

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t real_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* ---------------------------------------------------------------- files */

/* Reads a whole file (at most `max` bytes) into `out`. Returns 0 or -1
 * with errno set. */
static int read_file(const char *path, size_t max, struct dd_buf *out)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    char chunk[65536];
    size_t n;
    int rc = 0;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (out->len + n > max || dd_buf_append(out, chunk, n) != 0) {
            errno = EFBIG;
            rc = -1;
            break;
        }
    }
    if (rc == 0 && ferror(f)) {
        errno = EIO;
        rc = -1;
    }
    fclose(f);
    return rc;
}

/* Writes `len` bytes to a new file at `path` (replacing it). */
static int write_file(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t w = len ? fwrite(data, 1, len, f) : 0;
    int rc = fclose(f);
    return w == len && rc == 0 ? 0 : -1;
}

/* mkdir -p. Returns 0 or -1 with errno set. */
static int mkdir_p(const char *path)
{
    char *p = xstrdup(path);
    int rc = 0;
    for (char *s = p + 1; *s && rc == 0; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p, 0777) < 0 && errno != EEXIST)
            rc = -1;
        *s = '/';
    }
    if (rc == 0 && mkdir(p, 0777) < 0 && errno != EEXIST)
        rc = -1;
    free(p);
    return rc;
}

static int remove_cb(const char *path, const struct stat *st, int flag,
                     struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

/* Removes a run folder left by an earlier ddconform (everything in it is
 * the driver's own output). */
static void remove_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) == 0)
        nftw(path, remove_cb, 16, FTW_DEPTH | FTW_PHYS);
}

char *conf_run_name_for(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strlen(base);
    if (n > 5 && strcmp(base + n - 5, ".json") == 0)
        n -= 5;
    char *name = malloc(n + 1);
    if (!name)
        abort();
    memcpy(name, base, n);
    name[n] = '\0';
    return name;
}

/* Appends `s` to a JSON writer as a string, with bytes that are not
 * valid UTF-8 replaced by '?' (process output is any bytes). */
static void jw_text(struct dd_jw *w, const char *s, size_t len)
{
    struct dd_buf clean;
    dd_buf_init(&clean, 0);
    for (size_t i = 0; i < len;) {
        size_t k = dd_utf8_seq_len(s + i, len - i);
        if (k == 0) {
            dd_buf_putc(&clean, '?');
            i++;
        } else {
            dd_buf_append(&clean, s + i, k);
            i += k;
        }
    }
    dd_jw_strn(w, clean.data ? clean.data : "", clean.len);
    dd_buf_free(&clean);
}

/* Writes a number of seconds with millisecond precision. */
static void jw_seconds(struct dd_jw *w, const char *key, double s)
{
    char num[64];
    int n = snprintf(num, sizeof num, "%.3f", s);
    dd_jw_key(w, key);
    dd_jw_raw(w, num, (size_t)n);
}

/* ---------------------------------------------------------------- the run */

/* The journal of the run as collected so far. */
struct journal_col {
    uint64_t since;      /* seq of the last entry taken */
    struct dd_buf all;   /* every entry, one per line (for the judge) */
    FILE *f;             /* journal.jsonl, or NULL */
    FILE *pushes;        /* pushes.jsonl: the journal's push entries */
    int64_t t0_us;       /* time_us of run.start, 0 until seen */
    int64_t last_api_us; /* time_us of the latest api entry, 0 if none */
    bool ended;          /* run.end seen */
};

/* The ERP under test: a process group. */
struct erp {
    pid_t pid; /* the group's leader (/bin/sh), 0 when none was started */
    bool leader_done; /* the leader was reaped */
    int status;       /* its wait status when leader_done */
    bool exit_posted; /* an "exit" entry was reported for this start */
    int log_fd;       /* erp.log, O_APPEND */
    int null_fd;      /* /dev/null for stdin */
    int starts;       /* how many times it was started */
};

/* Everything of one run in progress. */
struct run_ctx {
    const struct conf_driver *d;
    struct conf_gw *gw;
    struct conf_run *r;
    struct scn_scenario *s;
    double stretch;
    /* from the mock's run */
    char *key; /* run key = app_key */
    char *app_secret, *shop_id, *auth_code;
    int poll_interval;
    double max_seconds; /* already stretched */
    bool push;
    uint16_t push_port;
    /* the ERP */
    char **envp;
    char *state_dir;
    struct erp erp;
    /* report files */
    struct journal_col col;
    FILE *hooks;
    /* a verdict decided by the runner itself, overriding the judge */
    bool forced;
    enum conf_verdict forced_verdict;
    char forced_sentence[SENTENCE_MAX];
};

static void force(struct run_ctx *c, enum conf_verdict v, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The runner decides the verdict (the first such decision wins). */
static void force(struct run_ctx *c, enum conf_verdict v, const char *fmt, ...)
{
    if (c->forced)
        return;
    c->forced = true;
    c->forced_verdict = v;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->forced_sentence, sizeof c->forced_sentence, fmt, ap);
    va_end(ap);
}

static bool stopping(const struct run_ctx *c)
{
    return c->d->stop && *c->d->stop;
}

/* A marker line of the driver in erp.log, between the ERP's own output. */
static void log_marker(struct run_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void log_marker(struct run_ctx *c, const char *fmt, ...)
{
    if (c->erp.log_fd < 0)
        return;
    struct dd_buf b;
    dd_buf_init(&b, 0);
    time_t now = time(NULL);
    struct tm tm;
    char when[32] = "";
    if (localtime_r(&now, &tm))
        strftime(when, sizeof when, "%H:%M:%S", &tm);
    dd_buf_printf(&b, "== ddconform %s: ", when);
    va_list ap;
    va_start(ap, fmt);
    dd_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    dd_buf_putc(&b, '\n');
    if (write(c->erp.log_fd, b.data, b.len) < 0) {
        /* the log is best effort: the run goes on without it */
    }
    dd_buf_free(&b);
}

/* Describes a wait status in words ("exit status 3", "killed by signal
 * 9"), and as one number for the journal (the exit status, or 128 + the
 * signal, as a shell reports it). */
static int describe_status(int st, char *out, size_t outlen)
{
    if (WIFEXITED(st)) {
        snprintf(out, outlen, "exit status %d", WEXITSTATUS(st));
        return WEXITSTATUS(st);
    }
    if (WIFSIGNALED(st)) {
        snprintf(out, outlen, "killed by signal %d", WTERMSIG(st));
        return 128 + WTERMSIG(st);
    }
    snprintf(out, outlen, "wait status %d", st);
    return st;
}

/* ------------------------------------------------------------ processes */

/*
 * Starts `/bin/sh -c cmd` as the leader of a new process group with
 * environment `envp`, stdin/stdout/stderr on the given descriptors (which
 * are close-on-exec in this process), every other descriptor closed,
 * default signal dispositions and an empty mask. Returns the pid, or -1
 * with a message in err.
 */
static pid_t spawn_group(const char *cmd, char *const envp[], int in_fd,
                         int out_fd, int err_fd, char *err, size_t errlen)
{
    posix_spawnattr_t at;
    posix_spawn_file_actions_t fa;
    posix_spawnattr_init(&at);
    posix_spawn_file_actions_init(&fa);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    sigdelset(&all, SIGKILL);
    sigdelset(&all, SIGSTOP);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP |
                                      POSIX_SPAWN_SETSIGMASK |
                                      POSIX_SPAWN_SETSIGDEF);
    posix_spawnattr_setpgroup(&at, 0);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setsigdefault(&at, &all);
    posix_spawn_file_actions_adddup2(&fa, in_fd, 0);
    posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
    posix_spawn_file_actions_adddup2(&fa, err_fd, 2);
#if defined(__GLIBC__) &&                                                      \
    (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
    posix_spawn_file_actions_addclosefrom_np(&fa, 3);
#endif
    char *argv[] = {"/bin/sh", "-c", (char *)cmd, NULL};
    pid_t pid;
    int rc = posix_spawn(&pid, "/bin/sh", &fa, &at, argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    if (rc != 0) {
        snprintf(err, errlen, "cannot start /bin/sh: %s", strerror(rc));
        return -1;
    }
    return pid;
}

/* Reaps what has ended in process group `pgid` without waiting; records
 * the leader's status. Returns true when the group has no child of ours
 * left (ECHILD). */
static bool reap_group(pid_t pgid, bool *leader_done, int *leader_status)
{
    for (;;) {
        int st;
        pid_t p = waitpid(-pgid, &st, WNOHANG);
        if (p > 0) {
            if (p == pgid) {
                *leader_done = true;
                *leader_status = st;
            }
            continue;
        }
        if (p == 0)
            return false;
        if (errno == EINTR)
            continue;
        return true; /* ECHILD: nothing of ours left in the group */
    }
}

/* Sends `sig` to the group, then reaps it until it is empty or
 * `budget_ms` passed. Returns true when the group is gone. */
static bool signal_and_reap(pid_t pgid, int sig, int64_t budget_ms,
                            bool *leader_done, int *leader_status)
{
    if (sig)
        kill(-pgid, sig);
    int64_t end = mono_ms() + budget_ms;
    for (;;) {
        if (reap_group(pgid, leader_done, leader_status))
            return true;
        if (mono_ms() >= end)
            return false;
        sleep_ms(10);
    }
}

/* ------------------------------------------------------------ the mock */

/* Copies a string member of a JSON object, or NULL. */
static char *json_strdup(const struct dd_json *obj, const char *key)
{
    const struct dd_json *v = dd_json_get(obj, key);
    if (!v || (v->type != DD_JSON_STRING && v->type != DD_JSON_NUMBER))
        return NULL;
    return xstrdup(v->text);
}

/* A number member of a JSON object, or `dflt`. */
static double json_num(const struct dd_json *obj, const char *key, double dflt)
{
    const struct dd_json *v = dd_json_get(obj, key);
    if (!v || v->type != DD_JSON_NUMBER)
        return dflt;
    return strtod(v->text, NULL);
}

/* Reads a JSON integer member into *out; false when absent or not one. */
static bool json_int(const struct dd_json *obj, const char *key, int64_t *out)
{
    const struct dd_json *v = dd_json_get(obj, key);
    return v && v->type == DD_JSON_NUMBER && dd_json_int64(v, out) == 0;
}

/* The end of the JSON value that starts at text[from] (an entry of a
 * journal answer, already parsed, so well-formed): the offset just past
 * its last byte. */
static size_t value_end(const char *text, size_t len, size_t from)
{
    if (text[from] != '{' && text[from] != '[' && text[from] != '"') {
        size_t i = from;
        while (i < len && !strchr(",]} \t\r\n", text[i]))
            i++;
        return i;
    }
    int depth = 0;
    bool in_string = false;
    for (size_t i = from; i < len; i++) {
        char ch = text[i];
        if (in_string) {
            if (ch == '\\')
                i++;
            else if (ch == '"')
                in_string = false;
            if (!in_string && depth == 0)
                return i + 1;
            continue;
        }
        if (ch == '"')
            in_string = true;
        else if (ch == '{' || ch == '[')
            depth++;
        else if ((ch == '}' || ch == ']') && --depth == 0)
            return i + 1;
    }
    return len;
}

/* Takes the run's new journal entries: writes each as one line to
 * journal.jsonl and keeps it for the judge. The answer is {"last_seq":
 * N, "entries": [...]} (a bare array is taken too); each entry's bytes
 * are copied as the mock wrote them (JSON without raw newlines). Returns
 * 0, or -1 when the mock did not answer. */
static int collect(struct run_ctx *c)
{
    struct journal_col *jc = &c->col;
    long st = conf_gw_journal(c->gw, c->key, jc->since);
    const struct dd_json *root = conf_gw_json(c->gw);
    int64_t last_seq = 0;
    const struct dd_json *entries = root;
    if (root && root->type == DD_JSON_OBJECT) {
        entries = dd_json_get(root, "entries");
        json_int(root, "last_seq", &last_seq);
    }
    if (st != 200 || !entries || entries->type != DD_JSON_ARRAY)
        return -1;
    const char *text = c->gw->body.data;
    size_t len = c->gw->body.len;
    for (size_t i = 0; i < entries->n; i++) {
        const struct dd_json *e = &entries->kids[i];
        size_t from = e->pos.offset;
        size_t to = value_end(text, len, from);
        int64_t seq = 0, t = 0;
        json_int(e, "seq", &seq);
        json_int(e, "time_us", &t);
        const struct dd_json *kind = dd_json_get(e, "kind");
        const struct dd_json *method = dd_json_get(e, "method");
        const char *k = kind && kind->type == DD_JSON_STRING ? kind->text : "";
        const char *m =
            method && method->type == DD_JSON_STRING ? method->text : "";
        if (seq > 0 && (uint64_t)seq <= jc->since)
            continue; /* already taken */
        if (dd_buf_append(&jc->all, text + from, to - from) != 0 ||
            dd_buf_putc(&jc->all, '\n') != 0) {
            force(c, CONF_ERROR,
                  "the run's journal grew past %zu MiB; the harness stopped "
                  "keeping it",
                  JOURNAL_MAX >> 20);
            return -1;
        }
        if (jc->f) {
            fwrite(text + from, 1, to - from, jc->f);
            fputc('\n', jc->f);
        }
        if (jc->pushes && !strcmp(k, "push")) {
            fwrite(text + from, 1, to - from, jc->pushes);
            fputc('\n', jc->pushes);
        }
        if (seq > 0)
            jc->since = (uint64_t)seq;
        if (!strcmp(k, "run") && !strcmp(m, "run.start") && !jc->t0_us)
            jc->t0_us = t;
        if (!strcmp(k, "run") && !strcmp(m, "run.end"))
            jc->ended = true;
        if (!strcmp(k, "api") && t > jc->last_api_us)
            jc->last_api_us = t;
    }
    /* every entry of this run up to last_seq was in the answer */
    if (last_seq > 0 && (uint64_t)last_seq > jc->since)
        jc->since = (uint64_t)last_seq;
    if (jc->f)
        fflush(jc->f);
    if (jc->pushes)
        fflush(jc->pushes);
    return 0;
}

/* Reports one step of the ERP's lifecycle to the mock (journalled as an
 * "erp" entry). A mock that refuses it does not stop the run. */
static void report_erp(struct run_ctx *c, const char *what, pid_t pid,
                       int status, const char *note)
{
    conf_gw_run_erp(c->gw, c->key, what, (long)pid, status, note);
}

/* ------------------------------------------------------------ the ERP */

/* Builds the contract's environment: this process's environment without
 * any DOUDIAN_ variable, then the contract's variables. */
static char **make_env(struct run_ctx *c)
{
    size_t n = 0;
    for (char **e = environ; e && *e; e++)
        n++;
    char **env = calloc(n + 16, sizeof *env);
    if (!env)
        abort();
    size_t k = 0;
    for (char **e = environ; e && *e; e++)
        if (strncmp(*e, "DOUDIAN_", 8) != 0)
            env[k++] = xstrdup(*e);
    struct dd_buf b;
    dd_buf_init(&b, 0);
#define ADD(...)                                                               \
    do {                                                                       \
        dd_buf_reset(&b);                                                      \
        dd_buf_printf(&b, __VA_ARGS__);                                        \
        env[k++] = xstrdup(b.data);                                            \
    } while (0)
    ADD("DOUDIAN_HARNESS_CONTRACT=1");
    ADD("DOUDIAN_BASE_URL=%s", c->gw->base);
    ADD("DOUDIAN_APP_KEY=%s", c->key);
    ADD("DOUDIAN_APP_SECRET=%s", c->app_secret);
    ADD("DOUDIAN_SHOP_ID=%s", c->shop_id);
    if (c->auth_code)
        ADD("DOUDIAN_AUTH_CODE=%s", c->auth_code);
    if (c->push)
        ADD("DOUDIAN_PUSH_LISTEN=127.0.0.1:%u", (unsigned)c->push_port);
    ADD("DOUDIAN_POLL_INTERVAL=%d", c->poll_interval);
    ADD("DOUDIAN_STATE_DIR=%s", c->state_dir);
#undef ADD
    dd_buf_free(&b);
    env[k] = NULL;
    return env;
}

static void free_env(char **env)
{
    for (char **e = env; e && *e; e++)
        free(*e);
    free(env);
}

/* Starts (or starts again) the ERP and reports it. Returns 0 or -1. */
static int erp_start(struct run_ctx *c)
{
    char err[256];
    c->erp.starts++;
    log_marker(c, "starting the ERP (start %d): /bin/sh -c '%s'", c->erp.starts,
               c->d->erp_cmd);
    pid_t pid = spawn_group(c->d->erp_cmd, c->envp, c->erp.null_fd,
                            c->erp.log_fd, c->erp.log_fd, err, sizeof err);
    if (pid < 0) {
        log_marker(c, "%s", err);
        force(c, CONF_ERROR, "the harness could not start the ERP: %s", err);
        c->erp.pid = 0;
        return -1;
    }
    c->erp.pid = pid;
    c->erp.leader_done = false;
    c->erp.exit_posted = false;
    c->erp.status = 0;
    log_marker(c, "ERP started, pid %ld (its process group)", (long)pid);
    report_erp(c, "start", pid, -1, NULL);
    return 0;
}

/* Notices an ERP that exited by itself: reports it once per start. */
static void erp_check_exit(struct run_ctx *c)
{
    if (!c->erp.pid || c->erp.exit_posted)
        return;
    if (!c->erp.leader_done)
        reap_group(c->erp.pid, &c->erp.leader_done, &c->erp.status);
    if (!c->erp.leader_done)
        return;
    char how[64];
    int code = describe_status(c->erp.status, how, sizeof how);
    char note[128];
    snprintf(note, sizeof note, "the ERP exited by itself (%s)", how);
    log_marker(c, "%s", note);
    report_erp(c, "exit", c->erp.pid, code, note);
    c->erp.exit_posted = true;
}

/* SIGKILLs the ERP's group (a restart step) and reaps it. */
static void erp_kill(struct run_ctx *c)
{
    if (!c->erp.pid)
        return;
    erp_check_exit(c);
    bool gone = signal_and_reap(c->erp.pid, SIGKILL,
                                (int64_t)(TERM_GRACE_S * c->stretch * 1000),
                                &c->erp.leader_done, &c->erp.status);
    char note[160];
    snprintf(note, sizeof note,
             "the runner killed the ERP's process group "
             "(SIGKILL) to restart it%s",
             gone ? "" : "; some of it did not die within 5 s");
    log_marker(c, "%s", note);
    report_erp(c, "kill", c->erp.pid, -1, note);
}

/* SIGTERMs the ERP's group at the end of the run, SIGKILLs it after the
 * grace time, reaps it and reports how it went. */
static void erp_term(struct run_ctx *c)
{
    if (!c->erp.pid)
        return;
    erp_check_exit(c);
    bool was_done = c->erp.leader_done;
    int64_t grace = (int64_t)(TERM_GRACE_S * c->stretch * 1000);
    bool gone = signal_and_reap(c->erp.pid, SIGTERM, grace, &c->erp.leader_done,
                                &c->erp.status);
    char note[192];
    if (!gone) {
        signal_and_reap(c->erp.pid, SIGKILL, grace, &c->erp.leader_done,
                        &c->erp.status);
        snprintf(note, sizeof note,
                 "the ERP did not stop within %g s of SIGTERM: its process "
                 "group was killed (SIGKILL)",
                 TERM_GRACE_S * c->stretch);
    } else if (was_done) {
        snprintf(note, sizeof note,
                 "the run ended; the ERP had exited already (what was left "
                 "of its process group got SIGTERM)");
    } else {
        char how[64];
        describe_status(c->erp.status, how, sizeof how);
        snprintf(note, sizeof note,
                 "the run ended: SIGTERM; the ERP stopped "
                 "(%s)",
                 how);
    }
    log_marker(c, "%s", note);
    report_erp(c, "term", c->erp.pid, -1, note);
    c->erp.pid = 0;
}

/* Picks a free port on 127.0.0.1 for the ERP's push listener. A port is
 * never handed to two runs of this process at once. */
static pthread_mutex_t ports_lock = PTHREAD_MUTEX_INITIALIZER;
static uint16_t ports_taken[256];

static void release_port(uint16_t port)
{
    pthread_mutex_lock(&ports_lock);
    for (size_t i = 0; i < sizeof ports_taken / sizeof *ports_taken; i++)
        if (ports_taken[i] == port) {
            ports_taken[i] = 0;
            break;
        }
    pthread_mutex_unlock(&ports_lock);
}

static uint16_t pick_port(void)
{
    for (int attempt = 0; attempt < 50; attempt++) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            return 0;
        struct sockaddr_in a = {.sin_family = AF_INET,
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        socklen_t alen = sizeof a;
        uint16_t port = 0;
        if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
            getsockname(fd, (struct sockaddr *)&a, &alen) == 0)
            port = ntohs(a.sin_port);
        close(fd);
        if (!port)
            return 0;
        pthread_mutex_lock(&ports_lock);
        bool taken = false;
        size_t free_slot = SIZE_MAX;
        for (size_t i = 0; i < sizeof ports_taken / sizeof *ports_taken; i++) {
            if (ports_taken[i] == port)
                taken = true;
            if (!ports_taken[i] && free_slot == SIZE_MAX)
                free_slot = i;
        }
        if (!taken && free_slot != SIZE_MAX)
            ports_taken[free_slot] = port;
        pthread_mutex_unlock(&ports_lock);
        if (!taken)
            return port;
    }
    return 0;
}

/* True when something accepts a TCP connection on 127.0.0.1:port now. */
static bool port_accepts(uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return false;
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons(port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bool ok = false;
    if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0) {
        ok = true;
    } else if (errno == EINPROGRESS) {
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        if (poll(&p, 1, 1000) == 1) {
            int e = 0;
            socklen_t el = sizeof e;
            ok = getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) == 0 && e == 0;
        }
    }
    close(fd);
    return ok;
}

enum ready { READY, READY_TIMEOUT, READY_STOPPED };

/* Waits until the ERP's push listener accepts connections, at most the
 * stretched 10 s, collecting the journal meanwhile. An ERP that exits
 * meanwhile is reported and waited for no longer. */
static enum ready wait_listener(struct run_ctx *c)
{
    int64_t end = mono_ms() + (int64_t)(LISTEN_BUDGET_S * c->stretch * 1000);
    int64_t next_collect = mono_ms() + COLLECT_EVERY_MS;
    for (;;) {
        if (port_accepts(c->push_port))
            return READY;
        if (stopping(c))
            return READY_STOPPED;
        erp_check_exit(c);
        if (c->erp.leader_done || mono_ms() >= end)
            return READY_TIMEOUT;
        if (mono_ms() >= next_collect) {
            collect(c);
            next_collect = mono_ms() + COLLECT_EVERY_MS;
        }
        sleep_ms(LISTEN_PROBE_MS);
    }
}

/* Waits until the ERP makes an API call after `since_us` (poll-only
 * readiness after a restart), at most the stretched 2 s. Returns true
 * when it did. */
static bool wait_first_call(struct run_ctx *c, int64_t since_us)
{
    int64_t end = mono_ms() + (int64_t)(FIRST_CALL_S * c->stretch * 1000);
    while (mono_ms() < end && !stopping(c)) {
        sleep_ms(COLLECT_EVERY_MS / 2);
        collect(c);
        if (c->col.last_api_us >= since_us)
            return true;
    }
    return false;
}

/* ------------------------------------------------------------ hooks */

struct hook_call {
    struct dd_buf out, err; /* what it printed (capped) */
    bool timed_out;
    bool reaped;
    int status;               /* wait status when reaped */
    char error[256];          /* why the hook failed, "" when it did not */
    struct dd_json_doc reply; /* the JSON object it printed */
    int64_t ms;
};

/* Reads what is available on fd into b (capped); returns false at EOF
 * or on an error. */
static bool drain(int fd, struct dd_buf *b)
{
    char chunk[8192];
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n > 0) {
            if (b->len + (size_t)n <= HOOK_OUTPUT_MAX)
                dd_buf_append(b, chunk, (size_t)n);
            continue;
        }
        if (n == 0)
            return false;
        if (errno == EINTR)
            continue;
        return errno == EAGAIN || errno == EWOULDBLOCK;
    }
}

/*
 * Runs the hook command once with the contract's environment in its own
 * process group: `input` on its stdin, its stdout and stderr read until
 * it ends or the stretched 10 s pass (then its group is killed). Fills h;
 * h->error is "" when the hook printed one JSON object and exited 0.
 */
static void run_hook(struct run_ctx *c, const char *input, size_t len,
                     struct hook_call *h)
{
    int64_t started = mono_ms();
    double budget_s = HOOK_BUDGET_S * c->stretch;
    int64_t end = started + (int64_t)(budget_s * 1000);
    int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
    if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 ||
        pipe2(err, O_CLOEXEC) < 0) {
        snprintf(h->error, sizeof h->error,
                 "the harness could not make "
                 "pipes for the hook: %s",
                 strerror(errno));
        goto close_all;
    }
    char msg[256];
    pid_t pid = spawn_group(c->d->hook_cmd, c->envp, in[0], out[1], err[1], msg,
                            sizeof msg);
    close(in[0]);
    close(out[1]);
    close(err[1]);
    in[0] = out[1] = err[1] = -1;
    if (pid < 0) {
        snprintf(h->error, sizeof h->error, "%s", msg);
        goto close_all;
    }
    fcntl(in[1], F_SETFL, O_NONBLOCK);
    fcntl(out[0], F_SETFL, O_NONBLOCK);
    fcntl(err[0], F_SETFL, O_NONBLOCK);
    size_t written = 0;
    for (;;) {
        struct pollfd p[3];
        int np = 0;
        if (in[1] >= 0)
            p[np++] = (struct pollfd){.fd = in[1], .events = POLLOUT};
        if (out[0] >= 0)
            p[np++] = (struct pollfd){.fd = out[0], .events = POLLIN};
        if (err[0] >= 0)
            p[np++] = (struct pollfd){.fd = err[0], .events = POLLIN};
        if (!h->reaped)
            reap_group(pid, &h->reaped, &h->status);
        if (np == 0 && h->reaped)
            break;
        int64_t left = end - mono_ms();
        if (left <= 0) {
            h->timed_out = true;
            break;
        }
        if (np == 0) { /* output closed, the process still runs */
            sleep_ms(left < 10 ? (int)left : 10);
            continue;
        }
        int rc = poll(p, (nfds_t)np, left < 50 ? (int)left : 50);
        if (rc < 0 && errno != EINTR)
            break;
        for (int i = 0; i < np && rc > 0; i++) {
            if (!p[i].revents)
                continue;
            if (p[i].fd == in[1]) {
                ssize_t n = write(in[1], input + written, len - written);
                if (n > 0)
                    written += (size_t)n;
                if ((n < 0 && errno != EAGAIN && errno != EINTR) ||
                    written == len) {
                    close(in[1]); /* done, or the hook closed its stdin */
                    in[1] = -1;
                }
            } else if (p[i].fd == out[0]) {
                if (!drain(out[0], &h->out)) {
                    close(out[0]);
                    out[0] = -1;
                }
            } else if (p[i].fd == err[0]) {
                if (!drain(err[0], &h->err)) {
                    close(err[0]);
                    err[0] = -1;
                }
            }
        }
    }
    /* whatever is left of the group goes now */
    signal_and_reap(pid, SIGKILL, (int64_t)(TERM_GRACE_S * c->stretch * 1000),
                    &h->reaped, &h->status);
    if (out[0] >= 0)
        drain(out[0], &h->out);
    if (err[0] >= 0)
        drain(err[0], &h->err);

    if (h->timed_out) {
        snprintf(h->error, sizeof h->error, "timed out after %g s", budget_s);
    } else if (!h->reaped) {
        snprintf(h->error, sizeof h->error, "did not end");
    } else if (WIFSIGNALED(h->status) ||
               (WIFEXITED(h->status) && WEXITSTATUS(h->status) != 0)) {
        describe_status(h->status, h->error, sizeof h->error);
    } else {
        struct dd_json_error je;
        size_t n = h->out.len;
        while (n > 0 && strchr(" \t\r\n", h->out.data[n - 1]))
            n--;
        size_t from = 0;
        while (from < n && strchr(" \t\r\n", h->out.data[from]))
            from++;
        if (from == n)
            snprintf(h->error, sizeof h->error, "no JSON on stdout");
        else if (dd_json_parse(h->out.data + from, n - from, NULL, &h->reply,
                               &je) != 0)
            snprintf(h->error, sizeof h->error,
                     "no valid JSON on stdout (%u:%u: %s)", je.pos.line,
                     je.pos.col, je.msg);
        else if (h->reply.root->type != DD_JSON_OBJECT)
            snprintf(h->error, sizeof h->error,
                     "stdout holds JSON but not an object");
    }
    if (h->error[0])
        dd_json_doc_free(&h->reply);
close_all:
    for (int i = 0; i < 2; i++) {
        if (in[i] >= 0)
            close(in[i]);
        if (out[i] >= 0)
            close(out[i]);
        if (err[i] >= 0)
            close(err[i]);
    }
    h->ms = mono_ms() - started;
}

/* Answers a hook event: runs the hook, replies to the engine, and logs the
 * call to hooks.jsonl. */
static void handle_hook(struct run_ctx *c, int64_t id, int64_t step,
                        const char *input, size_t input_len)
{
    struct dd_buf in; /* the event and a newline, for the hook's stdin */
    dd_buf_init(&in, 0);
    dd_buf_append(&in, input, input_len);
    dd_buf_putc(&in, '\n');

    struct hook_call h;
    memset(&h, 0, sizeof h);
    dd_buf_init(&h.out, 0);
    dd_buf_init(&h.err, 0);
    if (!c->d->hook_cmd)
        snprintf(h.error, sizeof h.error, "no hook command (--erp-hook)");
    else
        run_hook(c, in.data, in.len, &h);

    struct dd_buf reply;
    dd_buf_init(&reply, 0);
    struct dd_jw w;
    dd_jw_init(&w, &reply);
    dd_jw_object_begin(&w);
    if (h.error[0]) {
        dd_jw_kbool(&w, "ok", false);
        dd_jw_kstr(&w, "error", h.error);
    } else {
        dd_jw_kbool(&w, "ok", true);
        dd_jw_key(&w, "reply");
        struct dd_buf obj;
        dd_buf_init(&obj, 0);
        dd_json_write_canonical(&obj, h.reply.root, DD_ESCAPE_PLAIN);
        dd_jw_raw(&w, obj.data, obj.len);
        dd_buf_free(&obj);
    }
    dd_jw_object_end(&w);
    long st = conf_gw_run_reply(c->gw, c->key, id, reply.data, reply.len);
    if (st != 200)
        force(c, CONF_ERROR,
              "the mock did not take the reply to hook event %" PRId64
              " (step %" PRId64 "): %s",
              id, step, conf_gw_describe(c->gw));

    if (c->hooks) {
        struct dd_buf line;
        dd_buf_init(&line, 0);
        dd_jw_init(&w, &line);
        dd_jw_object_begin(&w);
        dd_jw_kint(&w, "event_id", id);
        dd_jw_kint(&w, "step", step);
        dd_jw_key(&w, "event");
        dd_jw_raw(&w, input, input_len);
        dd_jw_key(&w, "reply");
        if (h.error[0]) {
            dd_jw_null(&w);
        } else {
            struct dd_buf obj;
            dd_buf_init(&obj, 0);
            dd_json_write_canonical(&obj, h.reply.root, DD_ESCAPE_PLAIN);
            dd_jw_raw(&w, obj.data, obj.len);
            dd_buf_free(&obj);
        }
        dd_jw_kbool(&w, "ok", !h.error[0]);
        if (h.error[0])
            dd_jw_kstr(&w, "error", h.error);
        dd_jw_key(&w, "exit_status");
        if (h.reaped && WIFEXITED(h.status))
            dd_jw_int(&w, WEXITSTATUS(h.status));
        else
            dd_jw_null(&w);
        dd_jw_key(&w, "signal");
        if (h.reaped && WIFSIGNALED(h.status))
            dd_jw_int(&w, WTERMSIG(h.status));
        else
            dd_jw_null(&w);
        dd_jw_kbool(&w, "timed_out", h.timed_out);
        dd_jw_key(&w, "stdout");
        jw_text(&w, h.out.data ? h.out.data : "", h.out.len);
        dd_jw_key(&w, "stderr");
        jw_text(&w, h.err.data ? h.err.data : "", h.err.len);
        dd_jw_kint(&w, "ms", h.ms);
        dd_jw_object_end(&w);
        dd_buf_putc(&line, '\n');
        fwrite(line.data, 1, line.len, c->hooks);
        fflush(c->hooks);
        dd_buf_free(&line);
    }
    dd_buf_free(&reply);
    dd_buf_free(&in);
    dd_buf_free(&h.out);
    dd_buf_free(&h.err);
    dd_json_doc_free(&h.reply);
}

/* Answers a restart event: kills the ERP's group, starts it again with
 * the same state directory, waits until it is ready, then replies. */
static void handle_restart(struct run_ctx *c, int64_t id, int64_t step)
{
    erp_kill(c);
    int64_t restarted_us = real_us();
    char error[256] = "";
    if (erp_start(c) == 0) {
        if (c->push) {
            enum ready rd = wait_listener(c);
            if (rd == READY)
                report_erp(c, "ready", c->erp.pid, -1,
                           "the push listener accepts connections again");
            else if (rd == READY_TIMEOUT)
                snprintf(error, sizeof error,
                         "after the restart the ERP's push listener on "
                         "127.0.0.1:%u did not accept connections within "
                         "%g s",
                         (unsigned)c->push_port, LISTEN_BUDGET_S * c->stretch);
        } else {
            bool called = wait_first_call(c, restarted_us);
            report_erp(c, "ready", c->erp.pid, -1,
                       called ? "the ERP made its first API call since the "
                                "restart"
                              : "poll-only: 2 s passed since the restart");
        }
    } else {
        snprintf(error, sizeof error,
                 "the harness could not start the ERP "
                 "again");
    }
    struct dd_buf body;
    dd_buf_init(&body, 0);
    struct dd_jw w;
    dd_jw_init(&w, &body);
    dd_jw_object_begin(&w);
    dd_jw_kbool(&w, "ok", !error[0]);
    if (error[0])
        dd_jw_kstr(&w, "error", error);
    dd_jw_object_end(&w);
    long st = conf_gw_run_reply(c->gw, c->key, id, body.data, body.len);
    if (st != 200)
        force(c, CONF_ERROR,
              "the mock did not take the reply to restart event %" PRId64
              " (step %" PRId64 "): %s",
              id, step, conf_gw_describe(c->gw));
    dd_buf_free(&body);
}

/* ------------------------------------------------------------ the loop */

/* Runs the timeline until the run is decided, max_seconds passed, the
 * engine ended the run, or the runner must stop. */
static void run_loop(struct run_ctx *c, int64_t start_posted_us,
                     double first_call_s)
{
    double settle_s = (c->poll_interval + 1) * c->stretch;
    int64_t max_us = (int64_t)(c->max_seconds * 1e6);
    /* before run.start is seen, the latest moment t0 can be */
    int64_t t0_bound = start_posted_us + (int64_t)(first_call_s * 1e6) +
                       (int64_t)(2e6 * c->stretch);
    int64_t next_collect = 0, next_decide = 0;
    int64_t decide_at = 0; /* real_us: the judge will say "decided" then */
    size_t judged_len = 0;
    for (;;) {
        if (stopping(c)) {
            force(c, CONF_ERROR,
                  "interrupted: ddconform got a signal and "
                  "stopped the run");
            return;
        }
        int64_t asked = mono_ms();
        /* wait for the engine's next event, but not past decide_at */
        int wait_ms = NEXT_WAIT_MS;
        if (decide_at) {
            int64_t left_ms = (decide_at - real_us()) / 1000 + 1;
            if (left_ms < wait_ms)
                wait_ms = left_ms > 0 ? (int)left_ms : 0;
        }
        long st = conf_gw_run_next(c->gw, c->key, wait_ms);
        const struct dd_json *root = conf_gw_json(c->gw);
        if (st != 200 || !root) {
            force(c, CONF_ERROR,
                  "the mock stopped answering the run's events: %s",
                  conf_gw_describe(c->gw));
            return;
        }
        const struct dd_json *ev = dd_json_get(root, "event");
        if (ev && ev->type == DD_JSON_OBJECT) {
            int64_t id = 0, step = -1;
            json_int(ev, "id", &id);
            json_int(ev, "step", &step);
            const struct dd_json *kind = dd_json_get(ev, "kind");
            const char *k =
                kind && kind->type == DD_JSON_STRING ? kind->text : "";
            if (!strcmp(k, "hook")) {
                /* the event lives in gw's answer, which the next call
                 * replaces: hand the hook a copy */
                struct dd_buf input;
                dd_buf_init(&input, 0);
                const struct dd_json *in = dd_json_get(ev, "input");
                if (in && in->type == DD_JSON_OBJECT)
                    dd_json_write_canonical(&input, in, DD_ESCAPE_PLAIN);
                else
                    dd_buf_puts(&input, "{}");
                handle_hook(c, id, step, input.data, input.len);
                dd_buf_free(&input);
            } else if (!strcmp(k, "restart")) {
                handle_restart(c, id, step);
            } else if (!strcmp(k, "end")) {
                return;
            }
        } else if (wait_ms >= NEXT_WAIT_MS &&
                   mono_ms() - asked < NEXT_WAIT_MS / 4) {
            sleep_ms(NEXT_WAIT_MS / 4); /* a mock that does not wait */
        }
        bool due = decide_at && real_us() >= decide_at;
        if (due || mono_ms() >= next_collect) {
            collect(c);
            next_collect = mono_ms() + COLLECT_EVERY_MS;
        }
        if (c->forced)
            return;
        erp_check_exit(c);
        if (c->col.ended)
            return;
        int64_t now = real_us();
        if (c->col.t0_us) {
            if (now >= c->col.t0_us + max_us)
                return;
            /* the judge reads the whole journal: ask when something new
             * came, when it said it would be decided by now, else twice a
             * second */
            if (c->col.all.len == judged_len && mono_ms() < next_decide && !due)
                continue;
            judged_len = c->col.all.len;
            next_decide = mono_ms() + DECIDE_EVERY_MS;
            if (conf_judge_decided_at(
                    c->s, c->col.all.data ? c->col.all.data : "",
                    c->col.all.len, now, settle_s, &decide_at))
                return;
        } else if (now >= t0_bound + max_us) {
            return;
        }
    }
}

/* ------------------------------------------------------------ reports */

/* Writes verdict.json: the run's metadata, its verdict, the judge's
 * full judgement (null when the runner decided the verdict itself) and the
 * run's metrics (metrics.h; absent when `m` is NULL: no complete
 * journal). */
static void write_verdict(const struct conf_driver *d, struct conf_run *r,
                          const struct scn_scenario *s,
                          const struct conf_judgement *j,
                          const struct conf_metrics *m)
{
    struct dd_buf b;
    dd_buf_init(&b, 0);
    struct dd_jw w;
    dd_jw_init(&w, &b);
    dd_jw_object_begin(&w);
    dd_jw_key(&w, "id");
    if (r->id)
        dd_jw_int(&w, r->id);
    else
        dd_jw_null(&w);
    dd_jw_kstr(&w, "title", r->title);
    dd_jw_kstr(&w, "file", r->path);
    dd_jw_key(&w, "mode");
    if (r->mode)
        dd_jw_str(&w, r->mode);
    else
        dd_jw_null(&w);
    dd_jw_kstr(&w, "verdict", conf_verdict_name(r->verdict));
    dd_jw_kstr(&w, "sentence", r->sentence);
    jw_seconds(&w, "seconds", r->seconds);
    dd_jw_kstr(&w, "erp", d->erp_cmd);
    dd_jw_key(&w, "hook");
    if (d->hook_cmd)
        dd_jw_str(&w, d->hook_cmd);
    else
        dd_jw_null(&w);
    jw_seconds(&w, "stretch", d->stretch);
    if (r->errors) {
        dd_jw_key(&w, "errors");
        dd_jw_array_begin(&w);
        for (const char *p = r->errors; *p;) {
            const char *nl = strchr(p, '\n');
            size_t n = nl ? (size_t)(nl - p) : strlen(p);
            if (n)
                jw_text(&w, p, n);
            p += n + (nl ? 1 : 0);
        }
        dd_jw_array_end(&w);
    }
    dd_jw_key(&w, "judgement");
    if (j && s)
        conf_judgement_write_json(j, s, &w);
    else
        dd_jw_null(&w);
    if (m) {
        dd_jw_key(&w, "metrics");
        conf_metrics_write_json(m, &w);
    }
    dd_jw_object_end(&w);
    dd_buf_putc(&b, '\n');
    struct dd_buf path;
    dd_buf_init(&path, 0);
    dd_buf_printf(&path, "%s/verdict.json", r->dir);
    write_file(path.data, b.data, b.len);
    dd_buf_free(&path);
    dd_buf_free(&b);
}

/* ------------------------------------------------------------ one run */

void conf_run_init(struct conf_run *r, const char *path, const char *name)
{
    memset(r, 0, sizeof *r);
    r->path = path;
    r->name = name;
    r->verdict = CONF_ERROR;
}

void conf_run_free(struct conf_run *r)
{
    free(r->title);
    free(r->sentence);
    free(r->errors);
    free(r->dir);
    r->title = r->sentence = r->errors = r->dir = NULL;
}

/* Opens a report file of the run folder. */
static FILE *open_report(const struct conf_run *r, const char *file)
{
    struct dd_buf p;
    dd_buf_init(&p, 0);
    dd_buf_printf(&p, "%s/%s", r->dir, file);
    FILE *f = fopen(p.data, "we");
    dd_buf_free(&p);
    return f;
}

/* Creates the run on the mock and reads what it answered. Returns 0, or
 * -1 with the verdict forced. */
static int create_run(struct run_ctx *c, const struct dd_buf *text)
{
    const char *base = strrchr(c->r->path, '/');
    base = base ? base + 1 : c->r->path;
    long st =
        conf_gw_run_create(c->gw, base, c->push, c->d->hook_cmd != NULL,
                           c->d->time_scale, c->stretch, text->data, text->len);
    const struct dd_json *root = conf_gw_json(c->gw);
    if (st != 200 || !root || root->type != DD_JSON_OBJECT) {
        const struct dd_json *errs = dd_json_get(root, "errors");
        if (st == 400 && errs && errs->type == DD_JSON_ARRAY && errs->n) {
            struct dd_buf lines;
            dd_buf_init(&lines, 0);
            for (size_t i = 0; i < errs->n; i++)
                if (errs->kids[i].type == DD_JSON_STRING)
                    dd_buf_printf(&lines, "%s\n", errs->kids[i].text);
            free(c->r->errors);
            c->r->errors = dd_buf_steal(&lines);
            force(c, CONF_ERROR,
                  "the mock refused the scenario (%zu "
                  "problem%s)",
                  errs->n, errs->n == 1 ? "" : "s");
        } else {
            force(c, CONF_ERROR, "the mock could not create the run: %s",
                  conf_gw_describe(c->gw));
        }
        return -1;
    }
    c->key = json_strdup(root, "run");
    if (!c->key)
        c->key = json_strdup(root, "app_key");
    c->app_secret = json_strdup(root, "app_secret");
    c->shop_id = json_strdup(root, "shop_id");
    c->auth_code = json_strdup(root, "auth_code");
    int64_t pi = 0;
    c->poll_interval = json_int(root, "poll_interval", &pi) && pi > 0
                           ? (int)pi
                           : c->s->poll_interval;
    c->max_seconds =
        json_num(root, "max_seconds", c->s->max_seconds * c->stretch);
    if (!c->key || !c->app_secret || !c->shop_id) {
        force(c, CONF_ERROR,
              "the mock's answer to creating the run lacks "
              "the run key, app_secret or shop_id");
        return -1;
    }
    return 0;
}

/* Starts the ERP and the timeline. Returns 0, or -1 with the verdict
 * forced. */
static int start_run(struct run_ctx *c, int64_t *start_posted_us,
                     double *first_call_s)
{
    if (erp_start(c) < 0)
        return -1;
    *first_call_s = 0;
    if (c->push) {
        enum ready rd = wait_listener(c);
        if (rd == READY_STOPPED) {
            force(c, CONF_ERROR,
                  "interrupted: ddconform got a signal and "
                  "stopped the run");
            return -1;
        }
        if (rd == READY_TIMEOUT) {
            if (c->erp.leader_done) {
                char how[64];
                describe_status(c->erp.status, how, sizeof how);
                force(c, CONF_ERROR,
                      "the ERP exited (%s; see erp.log) before its push "
                      "listener on 127.0.0.1:%u accepted connections",
                      how, (unsigned)c->push_port);
            } else {
                force(c, CONF_ERROR,
                      "the ERP's push listener on 127.0.0.1:%u did not accept "
                      "connections within %g s",
                      (unsigned)c->push_port, LISTEN_BUDGET_S * c->stretch);
            }
            return -1;
        }
        report_erp(c, "ready", c->erp.pid, -1,
                   "the push listener accepts connections");
        char url[64];
        snprintf(url, sizeof url, "http://127.0.0.1:%u/",
                 (unsigned)c->push_port);
        if (conf_gw_subscribe(c->gw, c->key, url) != 200) {
            force(c, CONF_ERROR, "the mock refused to subscribe %s: %s", url,
                  conf_gw_describe(c->gw));
            return -1;
        }
        *start_posted_us = real_us();
        if (conf_gw_run_start(c->gw, c->key, "{}") != 200) {
            force(c, CONF_ERROR, "the mock did not start the timeline: %s",
                  conf_gw_describe(c->gw));
            return -1;
        }
    } else {
        *first_call_s = FIRST_CALL_S * c->stretch;
        char body[64];
        snprintf(body, sizeof body, "{\"first_call_within\": %g}",
                 *first_call_s);
        *start_posted_us = real_us();
        if (conf_gw_run_start(c->gw, c->key, body) != 200) {
            force(c, CONF_ERROR, "the mock did not start the timeline: %s",
                  conf_gw_describe(c->gw));
            return -1;
        }
    }
    return 0;
}

/* Ends the run on the mock and collects the rest of its journal. */
static void end_run(struct run_ctx *c)
{
    long st = conf_gw_run_end(c->gw, c->key);
    int64_t last = 0;
    if (st == 200)
        json_int(conf_gw_json(c->gw), "last_seq", &last);
    else
        force(c, CONF_ERROR, "the mock did not end the run: %s",
              conf_gw_describe(c->gw));
    int64_t until = mono_ms() + 2000;
    for (;;) {
        collect(c);
        if (c->col.since >= (uint64_t)last || mono_ms() >= until)
            break;
        sleep_ms(20);
    }
}

void conf_run_drive(const struct conf_driver *d, struct conf_gw *gw,
                    struct conf_run *r)
{
    int64_t began = mono_ms();
    struct run_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    struct run_ctx *c = &ctx;
    c->d = d;
    c->gw = gw;
    c->r = r;
    c->stretch = d->stretch < 1 ? 1 : d->stretch;
    c->erp.log_fd = c->erp.null_fd = -1;
    dd_buf_init(&c->col.all, JOURNAL_MAX);
    struct conf_judgement j;
    memset(&j, 0, sizeof j);
    bool judged = false, created = false;

    /* the scenario */
    struct dd_buf text, errs;
    dd_buf_init(&text, 0);
    dd_buf_init(&errs, 0);
    bool readable = read_file(r->path, SCENARIO_MAX, &text) == 0;
    if (!readable)
        dd_buf_printf(&errs, "%s:1:1: cannot read the scenario: %s\n", r->path,
                      strerror(errno));
    else
        c->s = scn_scenario_parse(r->path, text.data ? text.data : "", text.len,
                                  &errs);
    if (c->s) {
        r->id = c->s->id;
        r->title = xstrdup(c->s->title);
        switch (c->s->push) {
        case SCN_PUSH_REQUIRED:
            c->push = true;
            break;
        case SCN_PUSH_FORBIDDEN:
            c->push = false;
            break;
        default:
            c->push = d->push;
        }
        r->mode = c->push ? "push" : "poll";
    } else {
        const char *base = strrchr(r->path, '/');
        r->title = xstrdup(base ? base + 1 : r->path);
    }

    /* the report folder */
    struct dd_buf dir;
    dd_buf_init(&dir, 0);
    dd_buf_printf(&dir, "%s/runs/%s%s%s", d->report_dir, r->name,
                  r->mode ? "-" : "", r->mode ? r->mode : "");
    r->dir = dd_buf_steal(&dir);
    remove_tree(r->dir);
    if (mkdir_p(r->dir) < 0) {
        force(c, CONF_ERROR, "cannot make the report folder %s: %s", r->dir,
              strerror(errno));
    } else if (readable) {
        struct dd_buf p;
        dd_buf_init(&p, 0);
        dd_buf_printf(&p, "%s/scenario.json", r->dir);
        write_file(p.data, text.data ? text.data : "", text.len);
        dd_buf_free(&p);
    }

    if (!c->s) {
        r->errors = dd_buf_steal(&errs);
        size_t n = 0;
        for (const char *p = r->errors; *p; p++)
            n += *p == '\n';
        force(c, CONF_ERROR, "the scenario does not load (%zu problem%s)", n,
              n == 1 ? "" : "s");
        goto report;
    }
    if (c->s->push == SCN_PUSH_REQUIRED && !d->push) {
        force(c, CONF_SKIP, "needs a push listener (run without --no-push)");
        goto report;
    }
    if (c->s->needs_hook && !d->hook_cmd) {
        force(c, CONF_SKIP, "needs the warehouse hook (--erp-hook)");
        goto report;
    }
    if (stopping(c))
        force(c, CONF_ERROR,
              "interrupted: ddconform got a signal before "
              "the run started");
    if (c->forced)
        goto report;

    /* the run's files */
    c->col.f = open_report(r, "journal.jsonl");
    c->col.pushes = open_report(r, "pushes.jsonl");
    c->hooks = open_report(r, "hooks.jsonl");
    {
        struct dd_buf p;
        dd_buf_init(&p, 0);
        dd_buf_printf(&p, "%s/erp.log", r->dir);
        c->erp.log_fd = open(
            p.data, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0666);
        dd_buf_reset(&p);
        dd_buf_printf(&p, "%s/state", r->dir);
        if (mkdir(p.data, 0777) == 0) {
            char real[PATH_MAX];
            c->state_dir = xstrdup(realpath(p.data, real) ? real : p.data);
        }
        dd_buf_free(&p);
    }
    c->erp.null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (c->erp.log_fd < 0 || c->erp.null_fd < 0 || !c->state_dir || !c->col.f) {
        force(c, CONF_ERROR, "cannot write the run's files in %s: %s", r->dir,
              strerror(errno));
        goto report;
    }
    if (c->push && !(c->push_port = pick_port())) {
        force(c, CONF_ERROR,
              "no free TCP port on 127.0.0.1 for the ERP's "
              "push listener");
        goto report;
    }

    /* the run */
    if (create_run(c, &text) < 0)
        goto report;
    created = true;
    c->envp = make_env(c);
    int64_t start_posted_us = 0;
    double first_call_s = 0;
    if (start_run(c, &start_posted_us, &first_call_s) == 0)
        run_loop(c, start_posted_us, first_call_s);
    end_run(c);
    erp_term(c);
    collect(c);
    if (!c->forced) {
        int rc = conf_judge(c->s, c->col.all.data ? c->col.all.data : "",
                            c->col.all.len, &j);
        judged = true;
        if (rc != 0 && (!j.sentence || !j.sentence[0]))
            force(c, CONF_ERROR,
                  "the judge could not read the run's "
                  "journal");
    }

report:
    if (created && conf_gw_run_delete(gw, c->key) != 200) {
        /* the run's world stays on the mock; the verdict stands */
    }
    if (c->forced) {
        r->verdict = c->forced_verdict;
        r->sentence = xstrdup(c->forced_sentence);
    } else {
        r->verdict = j.verdict;
        r->sentence = xstrdup(j.sentence);
    }
    r->seconds = (double)(mono_ms() - began) / 1000.0;
    if (r->dir) {
        struct conf_metrics m;
        bool measured =
            judged && conf_metrics_compute(
                          c->s, c->col.all.data ? c->col.all.data : "",
                          c->col.all.len, r->verdict, &m) == CONF_METRICS_OK;
        write_verdict(d, r, c->s, judged && !c->forced ? &j : NULL,
                      measured ? &m : NULL);
        if (measured)
            conf_metrics_free(&m);
    }

    if (judged)
        conf_judgement_free(&j);
    if (c->col.f)
        fclose(c->col.f);
    if (c->col.pushes)
        fclose(c->col.pushes);
    if (c->hooks)
        fclose(c->hooks);
    if (c->erp.log_fd >= 0)
        close(c->erp.log_fd);
    if (c->erp.null_fd >= 0)
        close(c->erp.null_fd);
    if (c->push_port)
        release_port(c->push_port);
    free_env(c->envp);
    free(c->state_dir);
    free(c->key);
    free(c->app_secret);
    free(c->shop_id);
    free(c->auth_code);
    dd_buf_free(&c->col.all);
    dd_buf_free(&text);
    dd_buf_free(&errs);
    scn_scenario_free(c->s);
}
