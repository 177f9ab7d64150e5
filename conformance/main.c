/*
 * main.c: the ddconform command, the conformance runner (harness.md "The
 * ERP-under-test contract", "Verdicts", "Exit status and the summary
 * line").
 *
 * `ddconform --erp CMD [SCENARIO|DIR]...` starts the mock in this process
 * (its event loop on a thread of its own, on 127.0.0.1 and a free port),
 * then runs every scenario against the ERP with the driver (driver.h),
 * which speaks to the mock only through its HTTP admin API, on -j worker
 * threads. It prints one line per finished run in completion order, the
 * report folder, and last the summary line; the report folder holds every
 * run's files and summary.json. `ddconform judge --scenario F --journal J`
 * judges a recorded run again, offline.
 *
 * The only file of conformance/ that prints or exits. Exit status: 2 when
 * a run is FUNDS_AT_RISK; else 1 when a run FAILed (or WARNed under
 * --strict, or was SKIP under --fail-on-skip); else 3 when a run was
 * ERROR or the usage was bad; else 0.
 */
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "dd_buf.h"
#include "dd_jw.h"
#include "driver.h"
#include "gateway.h"
#include "judge.h"
#include "server.h"
#include "settings.h"

#define EXIT_FUNDS   2
#define EXIT_FAILED  1
#define EXIT_ERROR   3
#define MAX_JOBS     256
#define JOURNAL_CAP  (1 << 20) /* entries the embedded mock keeps */
#define DEFAULT_DIR  "ddconform-report"
#define STANDARD_PAT "[0-9][0-9][0-9][0-9]-*.json"
#define INDENT       "               " /* under the id column */

static const char usage_text[] =
    "usage: ddconform --erp CMD [options] [SCENARIO|DIR]...\n"
    "       ddconform judge --scenario FILE --journal FILE [--strict]\n"
    "\n"
    "Runs conformance scenarios against an ERP under test, through a fake\n"
    "Doudian gateway started in this process, and judges each run.\n"
    "Without SCENARIO or DIR arguments the standard suite runs: every\n"
    "NNNN-*.json of $DDCONFORM_SCENARIOS, else of the scenarios folder\n"
    "next to this program. A DIR runs its *.json files in name order.\n"
    "\n"
    "options:\n"
    "  --erp CMD          the ERP under test, run through /bin/sh -c in a\n"
    "                     new process group (required).\n"
    "  --erp-hook CMD     the warehouse hook: one JSON event on stdin, one\n"
    "                     JSON object on stdout. Without it scenarios that\n"
    "                     need the hook are SKIP.\n"
    "  --push, --no-push  whether the ERP listens for pushed messages\n"
    "                     (DOUDIAN_PUSH_LISTEN) in scenarios that allow\n"
    "                     either; default --push. Scenarios that require\n"
    "                     pushes are SKIP under --no-push.\n"
    "  -j N               run N scenarios at a time (default 1).\n"
    "  --strict           count WARN as failed.\n"
    "  --fail-on-skip     exit 1 when any scenario is SKIP.\n"
    "  --time-scale N     run the platform's timers N times faster than\n"
    "                     real time (default: the scenario's, else 3600).\n"
    "  --report-dir DIR   where the report goes (default " DEFAULT_DIR ").\n"
    "  --help             this text.\n"
    "\n"
    "environment:\n"
    "  DDCONFORM_SCENARIOS  the standard scenarios folder.\n"
    "  DDCONFORM_STRETCH    a number >= 1 (default 1) that multiplies every\n"
    "                       real-time budget (for sanitizers, valgrind,\n"
    "                       slow machines).\n"
    "\n"
    "Exit status: 2 if a run is FUNDS_AT_RISK; else 1 if a run FAILed (or\n"
    "WARNed under --strict, or was SKIP under --fail-on-skip); else 3 if a\n"
    "run was ERROR or the usage was bad; else 0. The last line is\n"
    "\"N passed, N failed, N skipped\".\n";

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

static int usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
    fputs("ddconform: ", stderr);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\nTry 'ddconform --help'.\n", stderr);
    return EXIT_ERROR;
}

/* Strict decimal integer in [lo, hi]. */
static int parse_int(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (!*s || *end || errno || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

/* ---------------------------------------------------------------- judge */

static int judge_main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"scenario", required_argument, NULL, 's'},
        {"journal", required_argument, NULL, 'j'},
        {"strict", no_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *scenario = NULL, *journal = NULL;
    bool strict = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            scenario = optarg;
            break;
        case 'j':
            journal = optarg;
            break;
        case 't':
            strict = true;
            break;
        case 'h':
            fputs(usage_text, stdout);
            return 0;
        default:
            fputs("Try 'ddconform --help'.\n", stderr);
            return EXIT_ERROR;
        }
    }
    if (optind < argc)
        return usage_error("judge: unexpected argument '%s'", argv[optind]);
    if (!scenario || !journal)
        return usage_error("%s", "judge needs --scenario FILE and --journal "
                                 "FILE");
    return conf_judge_files(scenario, journal, strict);
}

/* ---------------------------------------------------------------- files */

struct paths {
    char **v;
    size_t n, cap;
};

static void paths_add(struct paths *p, char *s)
{
    if (p->n == p->cap) {
        p->cap = p->cap ? 2 * p->cap : 16;
        p->v = realloc(p->v, p->cap * sizeof *p->v);
        if (!p->v)
            abort();
    }
    p->v[p->n++] = s;
}

static void paths_free(struct paths *p)
{
    for (size_t i = 0; i < p->n; i++)
        free(p->v[i]);
    free(p->v);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Adds the files of `dir` whose names match `pattern`, sorted by name.
 * Returns how many, or -1 when the folder cannot be read. */
static long add_dir(struct paths *p, const char *dir, const char *pattern)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    struct paths found = {0};
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || fnmatch(pattern, e->d_name, 0) != 0 ||
            strcmp(e->d_name, "schema.json") == 0) /* the format's schema */
            continue;
        struct dd_buf b;
        dd_buf_init(&b, 0);
        dd_buf_printf(&b, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/",
                      e->d_name);
        if (is_dir(b.data)) {
            dd_buf_free(&b);
            continue;
        }
        paths_add(&found, dd_buf_steal(&b));
    }
    closedir(d);
    if (found.n)
        qsort(found.v, found.n, sizeof *found.v, cmp_str);
    for (size_t i = 0; i < found.n; i++)
        paths_add(p, found.v[i]);
    free(found.v);
    return (long)found.n;
}

/* The standard scenarios folder: $DDCONFORM_SCENARIOS, else
 * <dir of this program>/../scenarios (the source tree: build/ddconform),
 * else <dir of this program>/../share/dd-harness/scenarios (installed).
 * Returns a new string, or NULL. */
static char *standard_dir(void)
{
    const char *env = getenv("DDCONFORM_SCENARIOS");
    if (env && *env)
        return strdup(env);
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return NULL;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash)
        return NULL;
    *slash = '\0';
    static const char *const rel[] = {"/../scenarios",
                                      "/../share/dd-harness/scenarios"};
    for (size_t i = 0; i < sizeof rel / sizeof *rel; i++) {
        struct dd_buf b;
        dd_buf_init(&b, 0);
        dd_buf_printf(&b, "%s%s", exe, rel[i]);
        if (is_dir(b.data))
            return dd_buf_steal(&b);
        dd_buf_free(&b);
    }
    return NULL;
}

/* ---------------------------------------------------------------- runs */

/* The worker pool: every worker takes the next scenario, runs it, and
 * prints its line. */
struct pool {
    pthread_mutex_t lock;
    size_t next;
    struct conf_run *runs;
    size_t n;
    const struct conf_driver *d;
    const char *mock_url;
};

/* Prints one finished run (under the pool's lock). */
static void print_run(const struct conf_run *r)
{
    char id[32];
    if (r->id)
        snprintf(id, sizeof id, "%04d", r->id);
    printf("%-14s %s%s%s (%.1f s)\n", conf_verdict_name(r->verdict),
           r->id ? id : "", r->id ? " " : "", r->title ? r->title : r->path,
           r->seconds);
    if (r->verdict != CONF_PASS && r->sentence && r->sentence[0])
        printf(INDENT "%s\n", r->sentence);
    if (r->errors)
        for (const char *p = r->errors; *p;) {
            const char *nl = strchr(p, '\n');
            size_t n = nl ? (size_t)(nl - p) : strlen(p);
            if (n)
                printf(INDENT "%.*s\n", (int)n, p);
            p += n + (nl ? 1 : 0);
        }
    fflush(stdout);
}

static void *worker(void *arg)
{
    struct pool *p = arg;
    struct conf_gw gw;
    char err[256];
    bool ok =
        conf_gw_init(&gw, p->mock_url, p->d->stretch, err, sizeof err) == 0;
    for (;;) {
        pthread_mutex_lock(&p->lock);
        size_t i = p->next < p->n ? p->next++ : p->n;
        pthread_mutex_unlock(&p->lock);
        if (i == p->n)
            break;
        struct conf_run *r = &p->runs[i];
        if (ok) {
            conf_run_drive(p->d, &gw, r);
        } else {
            r->verdict = CONF_ERROR;
            r->sentence = strdup(err);
        }
        pthread_mutex_lock(&p->lock);
        print_run(r);
        pthread_mutex_unlock(&p->lock);
    }
    conf_gw_free(&gw);
    dd_json_release_cache();
    return NULL;
}

static void *mock_thread(void *arg)
{
    mock_server_run(arg);
    dd_json_release_cache();
    return NULL;
}

struct counts {
    size_t by[CONF_FUNDS_AT_RISK + 1];
    size_t passed, failed, skipped;
};

static int exit_status(const struct counts *k, bool strict, bool fail_on_skip)
{
    if (k->by[CONF_FUNDS_AT_RISK])
        return EXIT_FUNDS;
    if (k->by[CONF_FAIL] || (strict && k->by[CONF_WARN]) ||
        (fail_on_skip && k->by[CONF_SKIP]))
        return EXIT_FAILED;
    if (k->by[CONF_ERROR])
        return EXIT_ERROR;
    return 0;
}

/* Writes DIR/summary.json: the invocation, every run (in the order given)
 * with the path of its folder relative to DIR, the counts, the exit
 * status. Report formats (JUnit, HTML) are made from this file and the
 * run folders. */
static int write_summary(const char *dir, const struct conf_driver *d,
                         bool strict, bool fail_on_skip,
                         const struct conf_run *runs, size_t n,
                         const struct counts *k, int status)
{
    struct dd_buf b;
    dd_buf_init(&b, 0);
    struct dd_jw w;
    dd_jw_init(&w, &b);
    char num[64];
    dd_jw_object_begin(&w);
    dd_jw_kint(&w, "contract", 1);
    dd_jw_kstr(&w, "erp", d->erp_cmd);
    dd_jw_key(&w, "hook");
    if (d->hook_cmd)
        dd_jw_str(&w, d->hook_cmd);
    else
        dd_jw_null(&w);
    dd_jw_kbool(&w, "push", d->push);
    dd_jw_kbool(&w, "strict", strict);
    dd_jw_kbool(&w, "fail_on_skip", fail_on_skip);
    dd_jw_key(&w, "time_scale");
    if (d->time_scale)
        dd_jw_int(&w, d->time_scale);
    else
        dd_jw_null(&w);
    dd_jw_key(&w, "stretch");
    dd_jw_raw(&w, num, (size_t)snprintf(num, sizeof num, "%g", d->stretch));
    dd_jw_key(&w, "runs");
    dd_jw_array_begin(&w);
    for (size_t i = 0; i < n; i++) {
        const struct conf_run *r = &runs[i];
        dd_jw_object_begin(&w);
        dd_jw_key(&w, "id");
        if (r->id)
            dd_jw_int(&w, r->id);
        else
            dd_jw_null(&w);
        dd_jw_kstr(&w, "title", r->title ? r->title : r->path);
        dd_jw_kstr(&w, "file", r->path);
        dd_jw_key(&w, "mode");
        if (r->mode)
            dd_jw_str(&w, r->mode);
        else
            dd_jw_null(&w);
        dd_jw_kstr(&w, "verdict", conf_verdict_name(r->verdict));
        dd_jw_kstr(&w, "sentence", r->sentence ? r->sentence : "");
        dd_jw_key(&w, "seconds");
        dd_jw_raw(&w, num,
                  (size_t)snprintf(num, sizeof num, "%.3f", r->seconds));
        const char *folder = r->dir ? strrchr(r->dir, '/') : NULL;
        dd_jw_key(&w, "dir");
        if (folder) {
            struct dd_buf rel;
            dd_buf_init(&rel, 0);
            dd_buf_printf(&rel, "runs/%s", folder + 1);
            dd_jw_str(&w, rel.data);
            dd_buf_free(&rel);
        } else {
            dd_jw_null(&w);
        }
        dd_jw_object_end(&w);
    }
    dd_jw_array_end(&w);
    dd_jw_key(&w, "counts");
    dd_jw_object_begin(&w);
    dd_jw_kint(&w, "passed", (int64_t)k->passed);
    dd_jw_kint(&w, "failed", (int64_t)k->failed);
    dd_jw_kint(&w, "skipped", (int64_t)k->skipped);
    for (int v = CONF_PASS; v <= CONF_FUNDS_AT_RISK; v++)
        dd_jw_kint(&w, conf_verdict_name((enum conf_verdict)v),
                   (int64_t)k->by[v]);
    dd_jw_object_end(&w);
    dd_jw_kint(&w, "exit_status", status);
    dd_jw_object_end(&w);
    dd_buf_putc(&b, '\n');

    struct dd_buf path;
    dd_buf_init(&path, 0);
    dd_buf_printf(&path, "%s/summary.json", dir);
    FILE *f = fopen(path.data, "w");
    int rc = -1;
    if (f) {
        size_t wr = fwrite(b.data, 1, b.len, f);
        rc = fclose(f) == 0 && wr == b.len ? 0 : -1;
    }
    if (rc < 0)
        fprintf(stderr, "ddconform: cannot write %s: %s\n", path.data,
                strerror(errno));
    dd_buf_free(&path);
    dd_buf_free(&b);
    return rc;
}

/* mkdir -p for the report folder. */
static int make_dirs(const char *path)
{
    struct dd_buf b;
    dd_buf_init(&b, 0);
    dd_buf_puts(&b, path);
    int rc = 0;
    for (size_t i = 1; i <= b.len && rc == 0; i++) {
        if (i < b.len && b.data[i] != '/')
            continue;
        char keep = b.data[i];
        b.data[i] = '\0';
        if (mkdir(b.data, 0777) < 0 && errno != EEXIST)
            rc = -1;
        b.data[i] = keep;
    }
    dd_buf_free(&b);
    return rc;
}

enum {
    OPT_ERP = 1000,
    OPT_HOOK,
    OPT_PUSH,
    OPT_NO_PUSH,
    OPT_STRICT,
    OPT_FAIL_ON_SKIP,
    OPT_TIME_SCALE,
    OPT_REPORT_DIR,
    OPT_HELP,
};

static const struct option long_opts[] = {
    {"erp", required_argument, NULL, OPT_ERP},
    {"erp-hook", required_argument, NULL, OPT_HOOK},
    {"push", no_argument, NULL, OPT_PUSH},
    {"no-push", no_argument, NULL, OPT_NO_PUSH},
    {"strict", no_argument, NULL, OPT_STRICT},
    {"fail-on-skip", no_argument, NULL, OPT_FAIL_ON_SKIP},
    {"time-scale", required_argument, NULL, OPT_TIME_SCALE},
    {"report-dir", required_argument, NULL, OPT_REPORT_DIR},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "judge") == 0)
        return judge_main(argc - 1, argv + 1);

    struct conf_driver d = {.push = true, .stretch = 1, .stop = &g_stop};
    const char *report_dir = DEFAULT_DIR;
    bool strict = false, fail_on_skip = false;
    long jobs = 1;
    int c;
    while ((c = getopt_long(argc, argv, "j:", long_opts, NULL)) != -1) {
        long v;
        switch (c) {
        case OPT_ERP:
            d.erp_cmd = optarg;
            break;
        case OPT_HOOK:
            d.hook_cmd = optarg;
            break;
        case OPT_PUSH:
            d.push = true;
            break;
        case OPT_NO_PUSH:
            d.push = false;
            break;
        case 'j':
            if (parse_int(optarg, 1, MAX_JOBS, &jobs) < 0)
                return usage_error("-j %s: expected 1 to 256", optarg);
            break;
        case OPT_STRICT:
            strict = true;
            break;
        case OPT_FAIL_ON_SKIP:
            fail_on_skip = true;
            break;
        case OPT_TIME_SCALE:
            if (parse_int(optarg, 1, LONG_MAX, &v) < 0)
                return usage_error("--time-scale %s: expected an integer >= 1",
                                   optarg);
            d.time_scale = v;
            break;
        case OPT_REPORT_DIR:
            if (!*optarg)
                return usage_error("%s", "--report-dir: empty folder name");
            report_dir = optarg;
            break;
        case OPT_HELP:
            fputs(usage_text, stdout);
            return 0;
        default:
            fputs("Try 'ddconform --help'.\n", stderr);
            return EXIT_ERROR;
        }
    }
    if (!d.erp_cmd || !*d.erp_cmd)
        return usage_error("%s", "--erp CMD is required: the command that "
                                 "starts the ERP under test");
    if (d.hook_cmd && !*d.hook_cmd)
        return usage_error("%s", "--erp-hook: empty command");
    const char *stretch = getenv("DDCONFORM_STRETCH");
    if (stretch && *stretch) {
        char *end;
        double s = strtod(stretch, &end);
        if (*end || !isfinite(s) || s < 1 || s > 1000)
            return usage_error("DDCONFORM_STRETCH=%s: expected a number from "
                               "1 to 1000",
                               stretch);
        d.stretch = s;
    }

    /* the scenarios */
    struct paths files = {0};
    if (optind == argc) {
        char *dir = standard_dir();
        if (!dir) {
            paths_free(&files);
            return usage_error("%s", "cannot find the standard scenarios: "
                                     "set DDCONFORM_SCENARIOS or name "
                                     "scenario files");
        }
        long n = add_dir(&files, dir, STANDARD_PAT);
        if (n <= 0) {
            fprintf(stderr, "ddconform: %s: %s\n", dir,
                    n < 0 ? strerror(errno)
                          : "no standard scenarios (NNNN-*.json) there");
            free(dir);
            paths_free(&files);
            return EXIT_ERROR;
        }
        free(dir);
    }
    for (int i = optind; i < argc; i++) {
        if (is_dir(argv[i])) {
            long n = add_dir(&files, argv[i], "*.json");
            if (n <= 0) {
                fprintf(stderr, "ddconform: %s: %s\n", argv[i],
                        n < 0 ? strerror(errno) : "no *.json files there");
                paths_free(&files);
                return EXIT_ERROR;
            }
        } else {
            char *p = strdup(argv[i]);
            if (!p)
                abort();
            paths_add(&files, p);
        }
    }

    /* unique run folder names */
    char **names = calloc(files.n, sizeof *names);
    struct conf_run *runs = calloc(files.n, sizeof *runs);
    if (!names || !runs)
        abort();
    for (size_t i = 0; i < files.n; i++) {
        char *base = conf_run_name_for(files.v[i]);
        struct dd_buf b;
        dd_buf_init(&b, 0);
        dd_buf_puts(&b, base);
        for (int k = 2;; k++) {
            bool taken = false;
            for (size_t j = 0; j < i && !taken; j++)
                taken = strcmp(names[j], b.data) == 0;
            if (!taken)
                break;
            dd_buf_reset(&b);
            dd_buf_printf(&b, "%s-%d", base, k);
        }
        free(base);
        names[i] = dd_buf_steal(&b);
        conf_run_init(&runs[i], files.v[i], names[i]);
    }

    struct dd_buf runs_dir;
    dd_buf_init(&runs_dir, 0);
    dd_buf_printf(&runs_dir, "%s/runs", report_dir);
    if (make_dirs(runs_dir.data) < 0) {
        fprintf(stderr, "ddconform: cannot make %s: %s\n", runs_dir.data,
                strerror(errno));
        return EXIT_ERROR;
    }
    dd_buf_free(&runs_dir);
    d.report_dir = report_dir;

    /* signals: a hook that exits early must not kill us (SIGPIPE); SIGINT
     * and SIGTERM end the runs (their ERPs are stopped) and then us. Only
     * the main thread takes them. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &block, &old);
#ifdef PR_SET_CHILD_SUBREAPER
    /* orphans of an ERP's process group come back to us to be reaped */
    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
#endif

    /* the mock, on its own thread */
    if (conf_gw_global_init() < 0) {
        fprintf(stderr, "ddconform: cannot initialise libcurl\n");
        return EXIT_ERROR;
    }
    struct mock_settings defaults;
    mock_settings_default(&defaults);
    defaults.journal_capacity = JOURNAL_CAP;
    struct mock_server_config cfg = {.bind_addr = "127.0.0.1",
                                     .port = 0,
                                     .seed = (uint64_t)time(NULL) ^
                                             ((uint64_t)getpid() << 32)};
    struct mock_server srv;
    char err[256];
    if (mock_server_init(&srv, &cfg, &defaults, err, sizeof err) < 0 ||
        mock_server_start(&srv, err, sizeof err) < 0) {
        fprintf(stderr, "ddconform: cannot start the mock: %s\n", err);
        return EXIT_ERROR;
    }
    char mock_url[64];
    snprintf(mock_url, sizeof mock_url, "http://127.0.0.1:%u",
             (unsigned)mock_server_port(&srv));
    pthread_t mock_th;
    if (pthread_create(&mock_th, NULL, mock_thread, &srv) != 0) {
        fprintf(stderr, "ddconform: cannot start the mock's thread\n");
        return EXIT_ERROR;
    }

    /* the runs */
    struct pool pool = {
        .next = 0, .runs = runs, .n = files.n, .d = &d, .mock_url = mock_url};
    pthread_mutex_init(&pool.lock, NULL);
    if ((size_t)jobs > files.n)
        jobs = (long)files.n;
    pthread_t *th = calloc((size_t)jobs, sizeof *th);
    if (!th)
        abort();
    long started = 0;
    for (; started < jobs; started++)
        if (pthread_create(&th[started], NULL, worker, &pool) != 0)
            break;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (started == 0)
        worker(&pool);
    for (long i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    free(th);
    pthread_mutex_destroy(&pool.lock);

    mock_server_stop(&srv);
    pthread_join(mock_th, NULL);
    mock_server_free(&srv);
    conf_gw_global_cleanup();

    /* the summary */
    struct counts k;
    memset(&k, 0, sizeof k);
    for (size_t i = 0; i < files.n; i++) {
        enum conf_verdict v = runs[i].verdict;
        k.by[v]++;
        if (v == CONF_PASS || (v == CONF_WARN && !strict))
            k.passed++;
        else if (v == CONF_SKIP)
            k.skipped++;
        else
            k.failed++;
    }
    int status = exit_status(&k, strict, fail_on_skip);
    if (g_stop && status == 0)
        status = EXIT_ERROR;
    write_summary(report_dir, &d, strict, fail_on_skip, runs, files.n, &k,
                  status);
    printf("report: %s\n", report_dir);
    printf("%zu passed, %zu failed, %zu skipped\n", k.passed, k.failed,
           k.skipped);

    for (size_t i = 0; i < files.n; i++) {
        conf_run_free(&runs[i]);
        free(names[i]);
    }
    free(runs);
    free(names);
    paths_free(&files);
    dd_json_release_cache();
    return status;
}
