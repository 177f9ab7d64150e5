/*
 * main.c: the ddconform command, the conformance runner (harness.md "The
 * ERP-under-test contract", "Verdicts", "Exit status and the summary
 * line"; conformance/README.md "Running ddconform").
 *
 * `ddconform --erp CMD [SCENARIO|DIR]...` loads every scenario's info,
 * selects the runs (--filter, --shard, --rerun; select.h), starts the mock
 * in this process (its event loop on a thread of its own, on 127.0.0.1
 * and a free port) unless --mock-url names one, then runs every selected
 * scenario against the ERP with the driver (driver.h), which speaks to the
 * mock only through its HTTP admin API, on -j worker threads. It prints
 * one line per finished run in completion order (with a live progress
 * line on a terminal, or TAP with --tap), writes summary.json, makes the
 * reports asked for from the report folder (report.h), prints the
 * metrics, the money-safety warning when it applies, the seed, the report
 * folder and the files written, and last the summary line.
 * `ddconform judge --scenario F --journal J` judges a recorded run again,
 * offline; `ddconform report --report-dir DIR ...` makes reports from an
 * existing folder.
 *
 * The only file of conformance/ that prints or exits. Exit status: 2 when
 * a run is FUNDS_AT_RISK; else 1 when a run FAILed (or WARNed under
 * --strict, or tripped the expected-failures ratchet, or was SKIP under
 * --fail-on-skip); else 3 when a run was ERROR or the usage was bad; else
 * 0. Runs listed in --expected-failures with the verdict they got count as
 * passed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <getopt.h>
#include <inttypes.h>
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
#include "progress.h"
#include "report.h"
#include "scenario.h"
#include "select.h"
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
#define BAR_WIDTH    20
#define HEALTH_MS    5000L /* --mock-url: how long the health check waits */
#define MONEY_KW     "money-safety"

static const char usage_text[] =
    "usage: ddconform --erp CMD [options] [SCENARIO|DIR]...\n"
    "       ddconform --list [--filter F]... [--shard I/N] [SCENARIO|DIR]...\n"
    "       ddconform report --report-dir DIR [--junit FILE] [--json FILE]\n"
    "                        [--tap] [--html FILE]\n"
    "       ddconform judge --scenario FILE --journal FILE [--strict]\n"
    "\n"
    "Runs conformance scenarios against an ERP under test, through a fake\n"
    "Doudian gateway started in this process (or the ddmock of --mock-url),\n"
    "and judges each run. Without SCENARIO or DIR arguments the standard\n"
    "suite runs: every NNNN-*.json of $DDCONFORM_SCENARIOS, else of the\n"
    "scenarios folder next to this program. A DIR runs its *.json files.\n"
    "\n"
    "the ERP:\n"
    "  --erp CMD          the ERP under test, run through /bin/sh -c in a\n"
    "                     new process group (required but with --list).\n"
    "  --erp-hook CMD     the warehouse hook: one JSON event on stdin, one\n"
    "                     JSON object on stdout. Without it scenarios that\n"
    "                     need the hook are SKIP, and when every selected\n"
    "                     money-safety scenario is SKIP a framed WARNING\n"
    "                     says nothing showed the ERP keeps money safe.\n"
    "  --push, --no-push  whether the ERP listens for pushed messages\n"
    "                     (DOUDIAN_PUSH_LISTEN) in scenarios that allow\n"
    "                     either; default --push. Scenarios that require\n"
    "                     pushes are SKIP under --no-push.\n"
    "\n"
    "selection (scenarios are ordered by id, then path):\n"
    "  --filter F         run only the scenarios F selects; repeatable, a\n"
    "                     scenario runs when any filter selects it. F all\n"
    "                     digits: the scenario id (7 is 0007); F with * ? or\n"
    "                     [: a glob on the file's base name; else a keyword\n"
    "                     of info.keywords, exactly. A filter that selects\n"
    "                     nothing is a usage error. A file that does not\n"
    "                     load is always run (it is ERROR).\n"
    "  --shard I/N        run only shard I of N (1 <= I <= N): the selected\n"
    "                     scenarios at positions p (0-based) with\n"
    "                     p % N == I-1. For the same arguments every\n"
    "                     scenario lands in exactly one shard; an empty\n"
    "                     shard prints \"shard I/N: no scenarios\" and\n"
    "                     exits 0.\n"
    "  --rerun ID         run exactly the scenario with id ID (from the\n"
    "                     standard suite or the arguments), with -j 1, then\n"
    "                     print everything about the run: findings, the\n"
    "                     journal as a timeline, hook calls, ERP output.\n"
    "                     Does not combine with --filter or --shard.\n"
    "  --list             print the selected scenarios, one line each,\n"
    "                     \"NNNN  title  [keyword, ...]\", and exit 0\n"
    "                     without running anything.\n"
    "\n";

/* The middle part (C11 promises only 4095 bytes per string literal). */
static const char usage_run[] =
    "running:\n"
    "  -j N               run N scenarios at a time (1 to 256, default 1).\n"
    "  --seed S           the seed (an unsigned 64-bit decimal) of the\n"
    "                     embedded mock and of every run's world (S mixed\n"
    "                     with the scenario id): the same seed gives the\n"
    "                     same credentials and ids. Default: random; the\n"
    "                     seed is always printed (\"seed: S\").\n"
    "  --time-scale N     run the platform's timers N times faster than\n"
    "                     real time (default: the scenario's, else 3600).\n"
    "  --mock-url URL     do not start a mock: use the ddmock at URL (its\n"
    "                     admin API /_mock/...); it must answer\n"
    "                     GET URL/_mock/health, else exit 3.\n"
    "\n"
    "verdicts and exit status:\n"
    "  --strict           count WARN as failed.\n"
    "  --fail-on-skip     exit 1 when any scenario is SKIP.\n"
    "  --expected-failures FILE\n"
    "                     known failures, one per line: \"NNNN VERDICT\" or\n"
    "                     \"NNNN MODE VERDICT\" (MODE push or poll, VERDICT\n"
    "                     FAIL or ERROR), # comments, blank lines. A listed\n"
    "                     run that gets its listed verdict is XFAIL and\n"
    "                     counts as passed; a listed run that now passes\n"
    "                     is XPASS, counts as failed and exits 1 (the\n"
    "                     ratchet: remove its line); another failing verdict\n"
    "                     is an ordinary failure. Lines of scenarios not\n"
    "                     selected are ignored; a bad line exits 3 with\n"
    "                     FILE:LINE.\n"
    "\n";

/* The last part. */
static const char usage_more[] =
    "reports:\n"
    "  --report-dir DIR   where the report goes (default " DEFAULT_DIR "):\n"
    "                     summary.json and one folder per run.\n"
    "  --junit FILE       also write JUnit XML there (\"-\": stdout).\n"
    "  --json FILE        also write the JSON report there.\n"
    "  --html FILE        also write a self-contained HTML page there.\n"
    "  --tap              print TAP version 14 on stdout instead of one\n"
    "                     line per run; the other lines go to stderr, the\n"
    "                     summary line stays last on stdout.\n"
    "  --help             this text.\n"
    "\n"
    "Output: one line per finished run (\"VERDICT  NNNN title (S s)\", the\n"
    "sentence under it when not PASS; XFAIL and XPASS for listed runs); on a\n"
    "terminal with CI unset also a live progress line. Then the metrics,\n"
    "the money-safety warning when it applies, \"seed: S\", \"report: DIR\"\n"
    "and the files written, and last \"N passed, N failed, N skipped\".\n"
    "`ddconform report` makes the reports again from a report folder (exit\n"
    "0, or 3 when the folder or a file fails).\n"
    "\n"
    "environment:\n"
    "  DDCONFORM_SCENARIOS  the standard scenarios folder.\n"
    "  DDCONFORM_STRETCH    a number >= 1 (default 1) that multiplies every\n"
    "                       real-time budget (for sanitizers, valgrind,\n"
    "                       slow machines).\n"
    "  CI                   when set, no progress line even on a terminal.\n"
    "\n"
    "Exit status: 2 if a run is FUNDS_AT_RISK; else 1 if a run FAILed (or\n"
    "WARNed under --strict, or tripped the expected-failures ratchet, or\n"
    "was SKIP under --fail-on-skip); else 3 if a run was ERROR or the usage\n"
    "was bad; else 0. The last line is \"N passed, N failed, N skipped\":\n"
    "passed counts PASS, WARN (not under --strict) and XFAIL, failed counts\n"
    "FAIL, FUNDS_AT_RISK, ERROR and XPASS, skipped counts SKIP.\n";

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

/* --help: the whole usage text on stdout; exit status 0. */
static int print_help(void)
{
    fputs(usage_text, stdout);
    fputs(usage_run, stdout);
    fputs(usage_more, stdout);
    return 0;
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

/* Strict unsigned decimal below 2^64 (digits only). */
static int parse_u64(const char *s, uint64_t *out)
{
    size_t n = strlen(s);
    if (n == 0 || n > 20)
        return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

/* A random default seed below 2^53 (so that every JSON reader keeps it
 * exact): /dev/urandom, else the clock and the pid. */
static uint64_t random_seed(void)
{
    uint64_t v = 0;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    bool ok = false;
    if (fd >= 0) {
        ok = read(fd, &v, sizeof v) == (ssize_t)sizeof v;
        close(fd);
    }
    if (!ok) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        v = ((uint64_t)ts.tv_sec * 1000000007u) ^ (uint64_t)ts.tv_nsec ^
            ((uint64_t)getpid() << 32);
    }
    return v & ((UINT64_C(1) << 53) - 1);
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
            return print_help();
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

/* ---------------------------------------------------------------- reports */

/* The report files asked for on the command line. */
struct outputs {
    const char *junit, *json, *html; /* NULL: not asked for */
    bool tap;
};

/* Writes the files of `o` (not TAP) from the loaded report `r`. Each file
 * written is recorded in `written` as "junit: FILE" lines; each failure is
 * said on stderr. Returns 0, or -1 when a writer failed. */
static int write_files(const struct conf_report *r, const struct outputs *o,
                       struct dd_buf *written)
{
    static const char *const names[] = {"junit", "json", "html"};
    const char *paths[] = {o->junit, o->json, o->html};
    int rc = 0;
    for (size_t i = 0; i < 3; i++) {
        if (!paths[i])
            continue;
        char err[512] = "";
        int w = i == 0   ? conf_report_write_junit(r, paths[i], err, sizeof err)
                : i == 1 ? conf_report_write_json(r, paths[i], err, sizeof err)
                         : conf_report_write_html(r, paths[i], err, sizeof err);
        if (w < 0) {
            fprintf(stderr, "ddconform: --%s %s: %s\n", names[i], paths[i],
                    err[0] ? err : "cannot be written");
            rc = -1;
        } else if (strcmp(paths[i], "-") != 0) {
            dd_buf_printf(written, "%s: %s\n", names[i], paths[i]);
        }
    }
    return rc;
}

/* `ddconform report --report-dir DIR [--junit F] [--json F] [--tap]
 * [--html F]`: the reports again from an existing folder. */
static int report_main(int argc, char **argv)
{
    enum { R_DIR = 1, R_JUNIT, R_JSON, R_TAP, R_HTML, R_HELP };
    static const struct option opts[] = {
        {"report-dir", required_argument, NULL, R_DIR},
        {"junit", required_argument, NULL, R_JUNIT},
        {"json", required_argument, NULL, R_JSON},
        {"tap", no_argument, NULL, R_TAP},
        {"html", required_argument, NULL, R_HTML},
        {"help", no_argument, NULL, R_HELP},
        {NULL, 0, NULL, 0},
    };
    const char *dir = NULL;
    struct outputs o = {0};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case R_DIR:
            dir = optarg;
            break;
        case R_JUNIT:
            o.junit = optarg;
            break;
        case R_JSON:
            o.json = optarg;
            break;
        case R_TAP:
            o.tap = true;
            break;
        case R_HTML:
            o.html = optarg;
            break;
        case R_HELP:
            return print_help();
        default:
            fputs("Try 'ddconform --help'.\n", stderr);
            return EXIT_ERROR;
        }
    }
    if (optind < argc)
        return usage_error("report: unexpected argument '%s'", argv[optind]);
    if (!dir || !*dir)
        return usage_error("%s", "report needs --report-dir DIR");
    if (!o.junit && !o.json && !o.html && !o.tap)
        return usage_error("%s", "report: name at least one of --junit FILE, "
                                 "--json FILE, --html FILE, --tap");
    if ((o.junit && !*o.junit) || (o.json && !*o.json) || (o.html && !*o.html))
        return usage_error("%s", "report: empty file name");
    char err[512] = "";
    struct conf_report *r = conf_report_load(dir, err, sizeof err);
    if (!r) {
        fprintf(stderr, "ddconform: report: %s\n",
                err[0] ? err : "cannot load the report folder");
        return EXIT_ERROR;
    }
    int status = 0;
    if (o.tap && conf_report_write_tap(r, stdout) < 0) {
        fprintf(stderr, "ddconform: --tap: cannot write to stdout\n");
        status = EXIT_ERROR;
    }
    struct dd_buf written;
    dd_buf_init(&written, 0);
    if (write_files(r, &o, &written) < 0)
        status = EXIT_ERROR;
    if (written.len)
        fputs(written.data, o.tap ? stderr : stdout);
    dd_buf_free(&written);
    conf_report_free(r);
    if (fflush(stdout) != 0 && status == 0)
        status = EXIT_ERROR;
    return status;
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

/* ---------------------------------------------------------------- infos */

/* One scenario file and what its loader said. */
struct scenario_file {
    struct conf_scenario_info info; /* strings borrowed from scn / path */
    struct scn_scenario *scn;       /* NULL when it did not load */
    char *problem;                  /* the loader's first line, or NULL */
    bool money_safety; /* keyword money-safety, or a warehouse hook step */
};

/* Loads every file's info. Returns a new array of files->n entries. */
static struct scenario_file *load_infos(const struct paths *files)
{
    struct scenario_file *v = calloc(files->n ? files->n : 1, sizeof *v);
    if (!v)
        abort();
    for (size_t i = 0; i < files->n; i++) {
        struct scenario_file *f = &v[i];
        struct dd_buf errs;
        dd_buf_init(&errs, 0);
        f->info.path = files->v[i];
        f->scn = scn_scenario_load(files->v[i], &errs);
        if (f->scn) {
            f->info.loaded = true;
            f->info.id = f->scn->id;
            f->info.title = f->scn->title;
            f->info.keywords = f->scn->keywords;
            f->info.n_keywords = f->scn->n_keywords;
            f->money_safety = f->scn->money_safety;
            for (size_t k = 0; k < f->scn->n_keywords; k++)
                if (strcmp(f->scn->keywords[k], MONEY_KW) == 0)
                    f->money_safety = true;
        } else {
            const char *text = dd_buf_str(&errs);
            const char *nl = strchr(text, '\n');
            size_t n = nl ? (size_t)(nl - text) : strlen(text);
            f->problem = strndup(text, n);
            if (!f->problem)
                abort();
        }
        dd_buf_free(&errs);
    }
    return v;
}

static void free_infos(struct scenario_file *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        scn_scenario_free(v[i].scn);
        free(v[i].problem);
    }
    free(v);
}

/* --list: "NNNN  title  [kw, kw]" per selected scenario. */
static void print_list(const struct scenario_file *files, const size_t *sel,
                       size_t n)
{
    for (size_t k = 0; k < n; k++) {
        const struct scenario_file *f = &files[sel[k]];
        if (!f->info.loaded) {
            printf("????  %s  (does not load: %s)\n", f->info.path,
                   f->problem && *f->problem ? f->problem : "?");
            continue;
        }
        printf("%04d  %s  [", f->info.id, f->info.title);
        for (size_t i = 0; i < f->info.n_keywords; i++)
            printf("%s%s", i ? ", " : "", f->info.keywords[i]);
        printf("]\n");
    }
}

/* ---------------------------------------------------------------- runs */

/* The worker pool: every worker takes the next run, drives it, counts it
 * and prints its line; the main thread redraws the progress line. */
struct pool {
    pthread_mutex_t lock;
    pthread_cond_t changed; /* a run finished */
    size_t next, done;
    struct conf_run *runs;
    const int *ids; /* per run: the scenario's id (0: did not load) */
    size_t n;
    const struct conf_driver *d;
    const char *mock_url;
    uint64_t seed;
    const struct conf_xfail *xfail; /* may be empty */
    const char *xfail_path;
    const struct conf_xfail_entry **listed; /* per run, after it ran */
    enum conf_run_outcome *outcomes;        /* per run, after it ran */
    struct conf_tally tally;                /* of the finished runs */
    bool strict, tap, live;
    struct timespec t0; /* CLOCK_MONOTONIC when the runs began */
};

static double seconds_since(const struct timespec *t0)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - t0->tv_sec) +
           (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Redraws the live progress line (under the pool's lock). */
static void draw_progress(const struct pool *p)
{
    struct conf_progress pr = {.done = p->done,
                               .total = p->n,
                               .passed = p->tally.passed,
                               .failed = p->tally.failed,
                               .skipped = p->tally.skipped,
                               .elapsed_s = seconds_since(&p->t0)};
    char line[256];
    conf_progress_format(&pr, BAR_WIDTH, line, sizeof line);
    printf("\r%s\033[K", line);
    fflush(stdout);
}

/* Prints `text`'s lines indented under the id column. */
static void print_indented(const char *text)
{
    for (const char *s = text; *s;) {
        const char *nl = strchr(s, '\n');
        size_t n = nl ? (size_t)(nl - s) : strlen(s);
        if (n)
            printf(INDENT "%.*s\n", (int)n, s);
        s += n + (nl ? 1 : 0);
    }
}

/* Prints one finished run (under the pool's lock). */
static void print_run(const struct pool *p, size_t i)
{
    const struct conf_run *r = &p->runs[i];
    const struct conf_xfail_entry *listed = p->listed[i];
    enum conf_run_outcome o = p->outcomes[i];
    if (p->live)
        fputs("\r\033[K", stdout);
    const char *label = o == CONF_RUN_XFAIL     ? "XFAIL"
                        : o == CONF_RUN_RATCHET ? "XPASS"
                                                : conf_verdict_name(r->verdict);
    char id[32];
    if (r->id)
        snprintf(id, sizeof id, "%04d", r->id);
    printf("%-14s %s%s%s (%.1f s)\n", label, r->id ? id : "", r->id ? " " : "",
           r->title ? r->title : r->path, r->seconds);
    bool has_sentence = r->sentence && r->sentence[0];
    if (o == CONF_RUN_RATCHET) {
        printf(INDENT "listed in %s as %s but now passes: remove line %d\n",
               p->xfail_path, conf_verdict_name(listed->verdict), listed->line);
        if (has_sentence)
            printf(INDENT "%s\n", r->sentence);
    } else if (o == CONF_RUN_XFAIL) {
        printf(INDENT "%s as expected (line %d of %s)%s%s\n",
               conf_verdict_name(r->verdict), listed->line, p->xfail_path,
               has_sentence ? ": " : "", has_sentence ? r->sentence : "");
    } else if (r->verdict != CONF_PASS && has_sentence) {
        printf(INDENT "%s\n", r->sentence);
    }
    if (r->errors)
        print_indented(r->errors);
    if (p->live)
        draw_progress(p);
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
            gw.run_seed_set = true;
            gw.run_seed = conf_run_seed(p->seed, p->ids[i]);
            conf_run_drive(p->d, &gw, r);
        } else {
            r->verdict = CONF_ERROR;
            r->sentence = strdup(err);
        }
        pthread_mutex_lock(&p->lock);
        p->listed[i] = r->id ? conf_xfail_find(p->xfail, r->id, r->mode) : NULL;
        p->outcomes[i] =
            conf_run_outcome_of(r->verdict, p->strict, p->listed[i]);
        conf_tally_add(&p->tally, r->verdict, p->outcomes[i]);
        p->done++;
        if (!p->tap)
            print_run(p, i);
        pthread_cond_broadcast(&p->changed);
        pthread_mutex_unlock(&p->lock);
    }
    conf_gw_free(&gw);
    dd_json_release_cache();
    return NULL;
}

/* The main thread while the workers run: redraws the progress line every
 * second and whenever a run finishes, then clears it. */
static void watch_progress(struct pool *p)
{
    pthread_mutex_lock(&p->lock);
    draw_progress(p);
    while (p->done < p->n) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 1;
        pthread_cond_timedwait(&p->changed, &p->lock, &until);
        draw_progress(p);
    }
    fputs("\r\033[K", stdout);
    fflush(stdout);
    pthread_mutex_unlock(&p->lock);
}

static void *mock_thread(void *arg)
{
    mock_server_run(arg);
    dd_json_release_cache();
    return NULL;
}

/* What summary.json says of the invocation besides the runs. */
struct invocation {
    const struct conf_driver *d;
    bool strict, fail_on_skip;
    uint64_t seed;
    const char *shard; /* "I/N" or NULL */
    const char *const *filters;
    size_t n_filters;
    const char *xfail_path; /* or NULL */
    const char *rerun;      /* the id as given, or NULL */
};

static void kstr_or_null(struct dd_jw *w, const char *key, const char *s)
{
    dd_jw_key(w, key);
    if (s)
        dd_jw_str(w, s);
    else
        dd_jw_null(w);
}

/* Writes DIR/summary.json: the invocation, every run (in run order) with
 * the path of its folder relative to DIR, how it counted, the counts, the
 * exit status. Report formats (JUnit, JSON, TAP, HTML) are made from this
 * file and the run folders. Returns 0, or -1 (said on stderr). */
static int write_summary(const char *dir, const struct invocation *inv,
                         const struct pool *p, int status)
{
    const struct conf_driver *d = inv->d;
    struct dd_buf b;
    dd_buf_init(&b, 0);
    struct dd_jw w;
    dd_jw_init(&w, &b);
    char num[64];
    dd_jw_object_begin(&w);
    dd_jw_kint(&w, "contract", 1);
    dd_jw_kstr(&w, "erp", d->erp_cmd);
    kstr_or_null(&w, "hook", d->hook_cmd);
    dd_jw_kbool(&w, "push", d->push);
    dd_jw_kbool(&w, "strict", inv->strict);
    dd_jw_kbool(&w, "fail_on_skip", inv->fail_on_skip);
    dd_jw_key(&w, "time_scale");
    if (d->time_scale)
        dd_jw_int(&w, d->time_scale);
    else
        dd_jw_null(&w);
    dd_jw_key(&w, "stretch");
    dd_jw_raw(&w, num, (size_t)snprintf(num, sizeof num, "%g", d->stretch));
    dd_jw_key(&w, "seed"); /* unsigned 64 bits: written as such */
    dd_jw_raw(&w, num,
              (size_t)snprintf(num, sizeof num, "%" PRIu64, inv->seed));
    kstr_or_null(&w, "shard", inv->shard);
    dd_jw_key(&w, "filters");
    dd_jw_array_begin(&w);
    for (size_t i = 0; i < inv->n_filters; i++)
        dd_jw_str(&w, inv->filters[i]);
    dd_jw_array_end(&w);
    kstr_or_null(&w, "expected_failures", inv->xfail_path);
    dd_jw_key(&w, "rerun");
    if (inv->rerun)
        dd_jw_int(&w, strtol(inv->rerun, NULL, 10));
    else
        dd_jw_null(&w);
    dd_jw_key(&w, "runs");
    dd_jw_array_begin(&w);
    for (size_t i = 0; i < p->n; i++) {
        const struct conf_run *r = &p->runs[i];
        dd_jw_object_begin(&w);
        dd_jw_key(&w, "id");
        if (r->id)
            dd_jw_int(&w, r->id);
        else
            dd_jw_null(&w);
        dd_jw_kstr(&w, "title", r->title ? r->title : r->path);
        dd_jw_kstr(&w, "file", r->path);
        kstr_or_null(&w, "mode", r->mode);
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
        kstr_or_null(&w, "expected",
                     p->listed[i] ? conf_verdict_name(p->listed[i]->verdict)
                                  : NULL);
        dd_jw_kstr(&w, "outcome", conf_run_outcome_name(p->outcomes[i]));
        dd_jw_object_end(&w);
    }
    dd_jw_array_end(&w);
    const struct conf_tally *k = &p->tally;
    dd_jw_key(&w, "counts");
    dd_jw_object_begin(&w);
    dd_jw_kint(&w, "passed", (int64_t)k->passed);
    dd_jw_kint(&w, "failed", (int64_t)k->failed);
    dd_jw_kint(&w, "skipped", (int64_t)k->skipped);
    for (int v = CONF_PASS; v <= CONF_FUNDS_AT_RISK; v++)
        dd_jw_kint(&w, conf_verdict_name((enum conf_verdict)v),
                   (int64_t)k->by[v]);
    dd_jw_kint(&w, "xfail", (int64_t)k->xfail);
    dd_jw_kint(&w, "ratchet", (int64_t)k->ratchet);
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

/* --mock-url: the mock must answer GET /_mock/health with {"ok": true}.
 * Returns 0, or -1 with the reason in err. */
static int check_mock(const char *url, double stretch, char *err,
                      size_t err_len)
{
    struct conf_gw gw;
    if (conf_gw_init(&gw, url, stretch, err, err_len) < 0) {
        conf_gw_free(&gw);
        return -1;
    }
    long st = conf_gw_call(&gw, "GET", "/_mock/health", NULL, 0, HEALTH_MS);
    const struct dd_json *root = conf_gw_json(&gw);
    const struct dd_json *ok = root ? dd_json_get(root, "ok") : NULL;
    int rc = 0;
    if (st != 200 || !ok || ok->type != DD_JSON_TRUE) {
        snprintf(err, err_len, "%s",
                 st == 200 ? "GET /_mock/health did not answer {\"ok\": true}"
                           : conf_gw_describe(&gw));
        rc = -1;
    }
    conf_gw_free(&gw);
    return rc;
}

/* The framed warning when every selected money-safety scenario was SKIP,
 * on stderr and stdout (in TAP mode as "# " comment lines there). */
static void warn_money_safety(size_t n, bool hook_given, bool tap)
{
    struct dd_buf b;
    dd_buf_init(&b, 0);
    if (!hook_given)
        dd_buf_printf(&b,
                      "WARNING: all %zu money-safety scenarios were SKIPPED "
                      "because no --erp-hook was given: nothing here shows "
                      "that this ERP never ships a refunded order or "
                      "confirms a bad return",
                      n);
    else
        dd_buf_printf(&b,
                      "WARNING: all %zu money-safety scenarios were SKIPPED: "
                      "nothing here shows that this ERP never ships a "
                      "refunded order or confirms a bad return",
                      n);
    static const char bar[] = "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
                              "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!";
    FILE *outs[2] = {stderr, stdout};
    for (int i = 0; i < 2; i++) {
        const char *pre = tap && outs[i] == stdout ? "# " : "";
        fprintf(outs[i], "%s%s\n%s!! %s\n%s%s\n", pre, bar, pre, b.data, pre,
                bar);
        fflush(outs[i]);
    }
    dd_buf_free(&b);
}

enum {
    OPT_ERP = 1000,
    OPT_HOOK,
    OPT_PUSH,
    OPT_NO_PUSH,
    OPT_MOCK_URL,
    OPT_SHARD,
    OPT_FILTER,
    OPT_LIST,
    OPT_STRICT,
    OPT_FAIL_ON_SKIP,
    OPT_XFAIL,
    OPT_SEED,
    OPT_TIME_SCALE,
    OPT_REPORT_DIR,
    OPT_JUNIT,
    OPT_JSON,
    OPT_TAP,
    OPT_HTML,
    OPT_RERUN,
    OPT_HELP,
};

static const struct option long_opts[] = {
    {"erp", required_argument, NULL, OPT_ERP},
    {"erp-hook", required_argument, NULL, OPT_HOOK},
    {"push", no_argument, NULL, OPT_PUSH},
    {"no-push", no_argument, NULL, OPT_NO_PUSH},
    {"mock-url", required_argument, NULL, OPT_MOCK_URL},
    {"shard", required_argument, NULL, OPT_SHARD},
    {"filter", required_argument, NULL, OPT_FILTER},
    {"list", no_argument, NULL, OPT_LIST},
    {"strict", no_argument, NULL, OPT_STRICT},
    {"fail-on-skip", no_argument, NULL, OPT_FAIL_ON_SKIP},
    {"expected-failures", required_argument, NULL, OPT_XFAIL},
    {"seed", required_argument, NULL, OPT_SEED},
    {"time-scale", required_argument, NULL, OPT_TIME_SCALE},
    {"report-dir", required_argument, NULL, OPT_REPORT_DIR},
    {"junit", required_argument, NULL, OPT_JUNIT},
    {"json", required_argument, NULL, OPT_JSON},
    {"tap", no_argument, NULL, OPT_TAP},
    {"html", required_argument, NULL, OPT_HTML},
    {"rerun", required_argument, NULL, OPT_RERUN},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

/* Everything the command line said. */
struct args {
    struct conf_driver d;
    const char *report_dir, *mock_url, *xfail_path, *shard, *rerun;
    struct outputs out;
    bool strict, fail_on_skip, list, seed_given;
    uint64_t seed;
    unsigned shard_i, shard_n;
    long jobs;
    const char **filters; /* argc entries */
    size_t n_filters;
};

/* Parses the options into `a`. Returns -1 to go on, else the exit
 * status (after --help, or a usage error already said). */
static int parse_args(int argc, char **argv, struct args *a)
{
    int c;
    while ((c = getopt_long(argc, argv, "j:", long_opts, NULL)) != -1) {
        long v;
        char err[256];
        switch (c) {
        case OPT_ERP:
            a->d.erp_cmd = optarg;
            break;
        case OPT_HOOK:
            a->d.hook_cmd = optarg;
            break;
        case OPT_PUSH:
            a->d.push = true;
            break;
        case OPT_NO_PUSH:
            a->d.push = false;
            break;
        case OPT_MOCK_URL:
            if (strncmp(optarg, "http://", 7) != 0 &&
                strncmp(optarg, "https://", 8) != 0)
                return usage_error("--mock-url %s: expected http://HOST:PORT",
                                   optarg);
            a->mock_url = optarg;
            break;
        case 'j':
            if (parse_int(optarg, 1, MAX_JOBS, &v) < 0)
                return usage_error("-j %s: expected 1 to 256", optarg);
            a->jobs = v;
            break;
        case OPT_SHARD:
            if (conf_shard_parse(optarg, &a->shard_i, &a->shard_n, err,
                                 sizeof err) < 0)
                return usage_error("%s", err);
            a->shard = optarg;
            break;
        case OPT_FILTER:
            if (!*optarg)
                return usage_error("%s", "--filter: empty filter");
            a->filters[a->n_filters++] = optarg;
            break;
        case OPT_LIST:
            a->list = true;
            break;
        case OPT_STRICT:
            a->strict = true;
            break;
        case OPT_FAIL_ON_SKIP:
            a->fail_on_skip = true;
            break;
        case OPT_XFAIL:
            if (!*optarg)
                return usage_error("%s", "--expected-failures: empty file "
                                         "name");
            a->xfail_path = optarg;
            break;
        case OPT_SEED:
            if (parse_u64(optarg, &a->seed) < 0)
                return usage_error("--seed %s: expected an unsigned decimal "
                                   "integer below 2^64",
                                   optarg);
            a->seed_given = true;
            break;
        case OPT_TIME_SCALE:
            if (parse_int(optarg, 1, LONG_MAX, &v) < 0)
                return usage_error("--time-scale %s: expected an integer >= 1",
                                   optarg);
            a->d.time_scale = v;
            break;
        case OPT_REPORT_DIR:
            if (!*optarg)
                return usage_error("%s", "--report-dir: empty folder name");
            a->report_dir = optarg;
            break;
        case OPT_JUNIT:
        case OPT_JSON:
        case OPT_HTML:
            if (!*optarg)
                return usage_error("--%s: empty file name",
                                   c == OPT_JUNIT  ? "junit"
                                   : c == OPT_JSON ? "json"
                                                   : "html");
            *(c == OPT_JUNIT  ? &a->out.junit
              : c == OPT_JSON ? &a->out.json
                              : &a->out.html) = optarg;
            break;
        case OPT_TAP:
            a->out.tap = true;
            break;
        case OPT_RERUN:
            if (parse_int(optarg, 1, INT_MAX, &v) < 0)
                return usage_error("--rerun %s: expected a scenario id "
                                   "(digits, such as 7 or 0007)",
                                   optarg);
            a->rerun = optarg;
            break;
        case OPT_HELP:
            return print_help();
        default:
            fputs("Try 'ddconform --help'.\n", stderr);
            return EXIT_ERROR;
        }
    }
    if (!a->list && (!a->d.erp_cmd || !*a->d.erp_cmd))
        return usage_error("%s", "--erp CMD is required: the command that "
                                 "starts the ERP under test");
    if (a->d.hook_cmd && !*a->d.hook_cmd)
        return usage_error("%s", "--erp-hook: empty command");
    if (a->rerun && (a->n_filters || a->shard))
        return usage_error("%s", "--rerun runs one scenario: it does not "
                                 "combine with --filter or --shard");
    const char *stretch = getenv("DDCONFORM_STRETCH");
    if (stretch && *stretch) {
        char *end;
        double s = strtod(stretch, &end);
        if (*end || !isfinite(s) || s < 1 || s > 1000)
            return usage_error("DDCONFORM_STRETCH=%s: expected a number from "
                               "1 to 1000",
                               stretch);
        a->d.stretch = s;
    }
    return -1;
}

/* The scenario files the arguments name (the standard suite without
 * any). Returns 0, or the exit status after saying why. */
static int gather_files(int argc, char **argv, struct paths *files)
{
    if (optind == argc) {
        char *dir = standard_dir();
        if (!dir)
            return usage_error("%s", "cannot find the standard scenarios: "
                                     "set DDCONFORM_SCENARIOS or name "
                                     "scenario files");
        long n = add_dir(files, dir, STANDARD_PAT);
        if (n <= 0) {
            fprintf(stderr, "ddconform: %s: %s\n", dir,
                    n < 0 ? strerror(errno)
                          : "no standard scenarios (NNNN-*.json) there");
            free(dir);
            return EXIT_ERROR;
        }
        free(dir);
    }
    for (int i = optind; i < argc; i++) {
        if (is_dir(argv[i])) {
            long n = add_dir(files, argv[i], "*.json");
            if (n <= 0) {
                fprintf(stderr, "ddconform: %s: %s\n", argv[i],
                        n < 0 ? strerror(errno) : "no *.json files there");
                return EXIT_ERROR;
            }
        } else {
            char *p = strdup(argv[i]);
            if (!p)
                abort();
            paths_add(files, p);
        }
    }
    return 0;
}

/* The selected runs, in run order, as indices into `infos`. Returns 0, or
 * the exit status after saying why. */
static int select_runs(const struct args *a, const struct scenario_file *sf,
                       size_t n, size_t *sel, size_t *n_sel)
{
    struct conf_scenario_info *infos = calloc(n ? n : 1, sizeof *infos);
    if (!infos)
        abort();
    for (size_t i = 0; i < n; i++)
        infos[i] = sf[i].info;
    size_t bad = 0;
    int rc = 0;
    if (a->rerun) {
        const char *only[] = {a->rerun};
        if (conf_select(infos, n, only, 1, 0, 0, sel, n_sel, &bad) < 0) {
            rc = usage_error("--rerun %s: no scenario has that id", a->rerun);
        } else {
            /* exactly one: the first loaded one with that id */
            size_t keep = 0;
            for (size_t k = 0; k < *n_sel && !keep; k++)
                if (infos[sel[k]].loaded)
                    keep = k + 1;
            sel[0] = sel[keep - 1];
            *n_sel = 1;
        }
    } else if (conf_select(infos, n, a->filters, a->n_filters, a->shard_i,
                           a->shard_n, sel, n_sel, &bad) < 0) {
        rc = usage_error("--filter %s selects no scenario (as %s)",
                         a->filters[bad],
                         conf_filter_kind(a->filters[bad]) == CONF_FILTER_ID
                             ? "a scenario id"
                         : conf_filter_kind(a->filters[bad]) == CONF_FILTER_GLOB
                             ? "a glob on the file names"
                             : "a keyword of info.keywords");
    }
    free(infos);
    return rc;
}

/* The end of an invocation after the runs: summary.json, the reports,
 * the metrics, the warning, the seed, the report folder and the files
 * written, and last the summary line. Returns the exit status. */
static int finish(const struct args *a, const struct invocation *inv,
                  const struct pool *p, const struct scenario_file *sf,
                  const size_t *sel, int status)
{
    FILE *info = a->out.tap ? stderr : stdout;
    int rc = status;
    if (write_summary(a->report_dir, inv, p, status) < 0 && rc == 0)
        rc = EXIT_ERROR;
    bool need =
        a->out.tap || a->out.junit || a->out.json || a->out.html || a->rerun;
    char err[512] = "";
    struct conf_report *rep = conf_report_load(a->report_dir, err, sizeof err);
    if (!rep) {
        fprintf(stderr, "ddconform: cannot read the report back: %s\n",
                err[0] ? err : a->report_dir);
        if (need && rc == 0)
            rc = EXIT_ERROR;
        if (a->out.tap)
            printf("TAP version 14\nBail out! cannot read the report %s\n",
                   a->report_dir);
    } else if (a->out.tap && conf_report_write_tap(rep, stdout) < 0) {
        fprintf(stderr, "ddconform: --tap: cannot write to stdout\n");
        if (rc == 0)
            rc = EXIT_ERROR;
    }
    fflush(stdout);
    struct dd_buf written;
    dd_buf_init(&written, 0);
    if (rep && write_files(rep, &a->out, &written) < 0 && rc == 0)
        rc = EXIT_ERROR;
    if (rep && a->rerun && p->n == 1) {
        fputc('\n', info);
        conf_report_print_run(rep, 0, info);
        fputc('\n', info);
    }
    if (rep)
        conf_report_print_metrics(rep, info);
    conf_report_free(rep);
    if (a->out.tap)
        for (size_t i = 0; i < p->n; i++)
            if (p->outcomes[i] == CONF_RUN_RATCHET)
                fprintf(stderr,
                        "ddconform: %04d listed in %s as %s but now passes: "
                        "remove line %d\n",
                        p->runs[i].id, a->xfail_path,
                        conf_verdict_name(p->listed[i]->verdict),
                        p->listed[i]->line);

    /* every selected money-safety scenario SKIP: nothing was shown */
    size_t money = 0, money_skipped = 0;
    for (size_t i = 0; i < p->n; i++)
        if (sf[sel[i]].money_safety) {
            money++;
            money_skipped += p->runs[i].verdict == CONF_SKIP;
        }
    fflush(stdout);
    if (money && money == money_skipped)
        warn_money_safety(money, a->d.hook_cmd != NULL, a->out.tap);

    fprintf(info, "seed: %" PRIu64 "\n", a->seed);
    fprintf(info, "report: %s\n", a->report_dir);
    if (written.len)
        fputs(written.data, info);
    fflush(info);
    dd_buf_free(&written);
    printf("%zu passed, %zu failed, %zu skipped\n", p->tally.passed,
           p->tally.failed, p->tally.skipped);
    if (fflush(stdout) != 0 && rc == 0)
        rc = EXIT_ERROR;
    return rc;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "judge") == 0)
        return judge_main(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "report") == 0)
        return report_main(argc - 1, argv + 1);

    struct args a;
    memset(&a, 0, sizeof a);
    a.d = (struct conf_driver){.push = true, .stretch = 1, .stop = &g_stop};
    a.report_dir = DEFAULT_DIR;
    a.jobs = 1;
    a.filters = calloc((size_t)argc + 1, sizeof *a.filters);
    if (!a.filters)
        abort();
    int rc = parse_args(argc, argv, &a);
    if (rc >= 0) {
        free(a.filters);
        return rc;
    }
    struct conf_xfail xfail = {0};
    if (a.xfail_path) {
        char err[512];
        if (conf_xfail_load(&xfail, a.xfail_path, err, sizeof err) < 0) {
            fprintf(stderr, "ddconform: %s\n", err);
            free(a.filters);
            return EXIT_ERROR;
        }
    }

    /* the scenarios, and which of them run */
    struct paths files = {0};
    struct scenario_file *sf = NULL;
    size_t *sel = NULL, n_sel = 0;
    rc = gather_files(argc, argv, &files);
    if (rc == 0) {
        sf = load_infos(&files);
        sel = calloc(files.n ? files.n : 1, sizeof *sel);
        if (!sel)
            abort();
        rc = select_runs(&a, sf, files.n, sel, &n_sel);
    }
    if (rc == 0 && a.list) {
        print_list(sf, sel, n_sel);
        rc = fflush(stdout) == 0 ? 0 : EXIT_ERROR;
    }
    if (rc != 0 || a.list) {
        free(sel);
        free_infos(sf, files.n);
        paths_free(&files);
        conf_xfail_free(&xfail);
        free(a.filters);
        dd_json_release_cache();
        return rc;
    }
    if (!a.seed_given)
        a.seed = random_seed();
    if (a.rerun)
        a.jobs = 1;
    FILE *info = a.out.tap ? stderr : stdout;
    if (n_sel == 0)
        fprintf(info, "shard %u/%u: no scenarios\n", a.shard_i, a.shard_n);

    /* --mock-url: it must answer before anything starts */
    if (a.mock_url && n_sel > 0 && conf_gw_global_init() == 0) {
        char err[512];
        int bad = check_mock(a.mock_url, a.d.stretch, err, sizeof err);
        conf_gw_global_cleanup();
        if (bad) {
            fprintf(stderr,
                    "ddconform: --mock-url %s: the mock does not answer "
                    "(%s); start ddmock there or fix the URL\n",
                    a.mock_url, err);
            free(sel);
            free_infos(sf, files.n);
            paths_free(&files);
            conf_xfail_free(&xfail);
            free(a.filters);
            dd_json_release_cache();
            return EXIT_ERROR;
        }
    }

    /* the runs, with unique folder names */
    char **names = calloc(n_sel ? n_sel : 1, sizeof *names);
    struct conf_run *runs = calloc(n_sel ? n_sel : 1, sizeof *runs);
    int *ids = calloc(n_sel ? n_sel : 1, sizeof *ids);
    const struct conf_xfail_entry **listed =
        calloc(n_sel ? n_sel : 1, sizeof *listed);
    enum conf_run_outcome *outcomes =
        calloc(n_sel ? n_sel : 1, sizeof *outcomes);
    if (!names || !runs || !ids || !listed || !outcomes)
        abort();
    for (size_t i = 0; i < n_sel; i++) {
        const char *path = sf[sel[i]].info.path;
        ids[i] = sf[sel[i]].info.loaded ? sf[sel[i]].info.id : 0;
        char *base = conf_run_name_for(path);
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
        conf_run_init(&runs[i], path, names[i]);
    }

    struct dd_buf runs_dir;
    dd_buf_init(&runs_dir, 0);
    dd_buf_printf(&runs_dir, "%s/runs", a.report_dir);
    if (make_dirs(runs_dir.data) < 0) {
        fprintf(stderr, "ddconform: cannot make %s: %s\n", runs_dir.data,
                strerror(errno));
        return EXIT_ERROR;
    }
    dd_buf_free(&runs_dir);
    a.d.report_dir = a.report_dir;

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

    /* the mock, on its own thread, unless --mock-url names one */
    if (conf_gw_global_init() < 0) {
        fprintf(stderr, "ddconform: cannot initialise libcurl\n");
        return EXIT_ERROR;
    }
    bool embedded = !a.mock_url && n_sel > 0;
    struct mock_server srv;
    pthread_t mock_th;
    char mock_url[64];
    if (embedded) {
        struct mock_settings defaults;
        mock_settings_default(&defaults);
        defaults.journal_capacity = JOURNAL_CAP;
        defaults.seed = (int64_t)(a.seed & INT64_MAX);
        struct mock_server_config cfg = {
            .bind_addr = "127.0.0.1", .port = 0, .seed = a.seed};
        char err[256];
        if (mock_server_init(&srv, &cfg, &defaults, err, sizeof err) < 0 ||
            mock_server_start(&srv, err, sizeof err) < 0) {
            fprintf(stderr, "ddconform: cannot start the mock: %s\n", err);
            return EXIT_ERROR;
        }
        snprintf(mock_url, sizeof mock_url, "http://127.0.0.1:%u",
                 (unsigned)mock_server_port(&srv));
        if (pthread_create(&mock_th, NULL, mock_thread, &srv) != 0) {
            fprintf(stderr, "ddconform: cannot start the mock's thread\n");
            return EXIT_ERROR;
        }
    }

    /* the runs */
    struct pool pool = {.runs = runs,
                        .ids = ids,
                        .n = n_sel,
                        .d = &a.d,
                        .mock_url = embedded ? mock_url : a.mock_url,
                        .seed = a.seed,
                        .xfail = &xfail,
                        .xfail_path = a.xfail_path,
                        .listed = listed,
                        .outcomes = outcomes,
                        .strict = a.strict,
                        .tap = a.out.tap};
    pool.live = !a.out.tap && n_sel > 0 && isatty(STDOUT_FILENO) &&
                getenv("CI") == NULL;
    clock_gettime(CLOCK_MONOTONIC, &pool.t0);
    pthread_mutex_init(&pool.lock, NULL);
    pthread_cond_init(&pool.changed, NULL);
    long jobs = a.jobs;
    if ((size_t)jobs > n_sel)
        jobs = (long)n_sel;
    pthread_t *th = calloc(jobs > 0 ? (size_t)jobs : 1, sizeof *th);
    if (!th)
        abort();
    long started = 0;
    for (; started < jobs; started++)
        if (pthread_create(&th[started], NULL, worker, &pool) != 0)
            break;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (started == 0 && n_sel > 0)
        worker(&pool);
    else if (pool.live)
        watch_progress(&pool);
    for (long i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    free(th);
    pthread_cond_destroy(&pool.changed);
    pthread_mutex_destroy(&pool.lock);

    if (embedded) {
        mock_server_stop(&srv);
        pthread_join(mock_th, NULL);
        mock_server_free(&srv);
    }
    conf_gw_global_cleanup();

    /* the summary */
    int status = conf_tally_exit_status(&pool.tally, a.strict, a.fail_on_skip);
    if (g_stop && status == 0)
        status = EXIT_ERROR;
    struct invocation inv = {.d = &a.d,
                             .strict = a.strict,
                             .fail_on_skip = a.fail_on_skip,
                             .seed = a.seed,
                             .shard = a.shard,
                             .filters = a.filters,
                             .n_filters = a.n_filters,
                             .xfail_path = a.xfail_path,
                             .rerun = a.rerun};
    status = finish(&a, &inv, &pool, sf, sel, status);

    for (size_t i = 0; i < n_sel; i++) {
        conf_run_free(&runs[i]);
        free(names[i]);
    }
    free(runs);
    free(names);
    free(ids);
    free(listed);
    free(outcomes);
    free(sel);
    free_infos(sf, files.n);
    paths_free(&files);
    conf_xfail_free(&xfail);
    free(a.filters);
    dd_json_release_cache();
    return status;
}
