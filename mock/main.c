/*
 * main.c: the ddmock command, a fake Doudian (抖店) open-platform gateway.
 *
 * ERP vendors point their ERP at ddmock instead of
 * https://openapi-fxg.jinritemai.com (doudian-open-api.md §1.1). This file
 * only reads the command line, builds the worlds (world files, the load
 * generator, or the built-in default world), starts the server, writes the
 * port file, prints the base URL and each world's credentials, and runs
 * the event loop until SIGTERM or SIGINT. It is the only file of mock/ that
 * prints or exits; everything else reports through error buffers.
 *
 * With --scenario FILE it replays one scenario for an ERP that a person
 * runs by hand (mock/README.md "Scenario replay"): it creates the run
 * before serving, prints the run's credentials and the contract
 * environment (harness.md "The ERP-under-test contract"), arms the
 * timeline for the ERP's first API call, and starts the hand runner.
 *
 * Threads: the main thread runs the event loop, which owns every world,
 * the journal and every run. The hand runner (--scenario only) is a
 * second thread that owns nothing of the server: like any runner outside
 * the process, it long-polls the run's events over loopback HTTP with
 * libcurl (GET /_mock/runs/K/next) and posts the replies, printing what
 * happens; with --erp-hook it runs the hook command for hook events
 * (/bin/sh -c CMD in a process group of its own, the contract environment,
 * the event's JSON on stdin, one JSON object expected on stdout, killed
 * with its group after 10 s). So the loop never waits for a hook. This
 * file and push.c are the two of mock/ that include <curl/curl.h>.
 *
 * Exit status: 0 after a clean stop, 1 when the server fails at run time
 * (cannot bind, cannot write the port file, loop error), 2 for a usage or
 * configuration error (bad option, bad --set, a world file with errors, a
 * scenario with errors).
 */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "admin.h"
#include "dd_buf.h"
#include "dd_json.h"
#include "dd_jw.h"
#include "push.h"
#include "replay.h"
#include "scenario.h"
#include "server.h"
#include "settings.h"
#include "world.h"
#include "worldfile.h"

extern char **environ;

#define DEFAULT_BIND    "127.0.0.1"
#define DEFAULT_PORT    8080
#define MAX_SHOPS_SHOWN 8

static const char usage_text[] =
    "usage: ddmock [options]\n"
    "\n"
    "A fake Doudian (抖店) open-platform gateway: point an ERP at the base\n"
    "URL it prints instead of https://openapi-fxg.jinritemai.com.\n"
    "\n"
    "options:\n"
    "  --bind ADDR        address to listen on (default " DEFAULT_BIND ").\n"
    "                     An IPv4 or IPv6 literal, or localhost. A\n"
    "                     non-loopback address needs --admin-token.\n"
    "  --port N           TCP port (default 8080); 0 picks any free port\n"
    "                     (use --port-file to learn which).\n"
    "  --port-file F      once the server accepts connections, write the\n"
    "                     port in decimal and a newline to F (atomically,\n"
    "                     by rename); F is removed again on a clean exit.\n"
    "  --world FILE       load a world file (format: mock/WORLD.md); may be\n"
    "                     repeated, one world per file.\n"
    "  --generate SPEC    also generate a world for load tests, SPEC like\n"
    "                     shops=1,orders=1000,aftersales=500.\n"
    "                     Without --world and --generate the built-in\n"
    "                     default world is loaded.\n"
    "  --seed S           seed (unsigned decimal) of every generated id,\n"
    "                     credential, token and log_id; the same seed gives\n"
    "                     the same credentials. Default: the setting `seed`.\n"
    "  --set K=V          change a setting before the worlds are created\n"
    "                     (for example --set skew_seconds=300, --set\n"
    "                     time_scale=3600); may be repeated. Durations take\n"
    "                     s, m, h, d suffixes. See --help-settings.\n"
    "  --journal FILE     also append every journal entry to FILE, one JSON\n"
    "                     object per line.\n"
    "  --admin-token T    require header X-Admin-Token: T on the admin API\n"
    "                     (/_mock/...).\n"
    "  --scenario FILE    replay one scenario (scenarios/FORMAT.md) for an\n"
    "                     ERP you run by hand: prints the run's credentials\n"
    "                     and environment; the timeline starts at the ERP's\n"
    "                     first API call. Hook and restart events are\n"
    "                     printed. No default world is loaded.\n"
    "  --erp-hook CMD     with --scenario: run CMD (through /bin/sh -c) for\n"
    "                     each warehouse hook event, as harness.md says.\n"
    "  --push-url URL     with --scenario: the ERP's push listener; the run\n"
    "                     subscribes it (else the run is poll-only).\n"
    "  --start-after S    with --scenario: start the timeline at the ERP's\n"
    "                     first API call or after S seconds (0 = now).\n"
    "  --time-scale N     with --scenario: the run's time scale (default:\n"
    "                     the scenario's, else 3600).\n"
    "  --stretch X        with --scenario: multiply every real-time budget\n"
    "                     by X >= 1 (for a slow ERP, a debugger).\n"
    "  --help             this text.\n"
    "  --help-settings    every setting with its default and meaning.\n"
    "\n"
    "Stop with SIGTERM or SIGINT (Ctrl-C). Exit status: 0 after a clean\n"
    "stop, 1 on a run-time failure, 2 on a usage or configuration error.\n";

/* The server the signal handlers stop. */
static struct mock_server *g_server;

static void on_signal(int sig)
{
    (void)sig;
    if (g_server)
        mock_server_stop(g_server);
}

static int install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_signal;
    if (sigaction(SIGINT, &sa, NULL) < 0 || sigaction(SIGTERM, &sa, NULL) < 0)
        return -1;
    sa.sa_handler = SIG_IGN; /* a client that hangs up is not our death */
    return sigaction(SIGPIPE, &sa, NULL);
}

/* From here on a signal stays pending until exit, so the handler never
 * sees a server being freed. */
static void block_signals(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigprocmask(SIG_BLOCK, &set, NULL);
}

/* splitmix64's output function, to give each world its own seed. */
static uint64_t mix64(uint64_t x)
{
    x += UINT64_C(0x9e3779b97f4a7c15);
    x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
    return x ^ (x >> 31);
}

/* Strict unsigned decimal: digits only, no sign, within max. */
static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    if (!s || !*s)
        return -1;
    uint64_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        unsigned d = (unsigned)(*s - '0');
        if (v > (max - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

/* 1 loopback, 0 another address, -1 not an address. */
static int loopback(const char *addr)
{
    if (!strcmp(addr, "localhost"))
        return 1;
    struct in_addr a4;
    if (inet_pton(AF_INET, addr, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    struct in6_addr a6;
    if (inet_pton(AF_INET6, addr, &a6) == 1) {
        if (IN6_IS_ADDR_LOOPBACK(&a6))
            return 1;
        return IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127;
    }
    return -1;
}

/* Writes "PORT\n" to a temporary file beside `path`, then renames it over
 * `path`, so a reader never sees a half-written file. */
static int write_port_file(const char *path, uint16_t port, char *err,
                           size_t errlen)
{
    struct dd_buf tmp;
    dd_buf_init(&tmp, 0);
    dd_buf_printf(&tmp, "%s.tmp.%ld", path, (long)getpid());
    int rc = -1;
    FILE *f = fopen(tmp.data, "w");
    if (!f) {
        snprintf(err, errlen, "cannot write %s: %s", tmp.data, strerror(errno));
        goto out;
    }
    int w = fprintf(f, "%u\n", (unsigned)port);
    if (fclose(f) != 0 || w < 0) {
        snprintf(err, errlen, "cannot write %s: %s", tmp.data, strerror(errno));
        unlink(tmp.data);
        goto out;
    }
    if (rename(tmp.data, path) < 0) {
        snprintf(err, errlen, "cannot rename %s to %s: %s", tmp.data, path,
                 strerror(errno));
        unlink(tmp.data);
        goto out;
    }
    rc = 0;
out:
    dd_buf_free(&tmp);
    return rc;
}

static void print_world(const struct mock_world *w, size_t i)
{
    printf("world %zu%s%s%s\n", i + 1, w->name ? " \"" : "",
           w->name ? w->name : "", w->name ? "\"" : "");
    printf("  app_key     %s\n", w->app_key);
    printf("  app_secret  %s\n", w->app_secret);
    if (w->app_type == MOCK_APP_TOOL)
        printf("  app type    tool-type: token.create with grant_type="
               "authorization_code; issue codes through the admin API\n"
               "              (/_mock/, see mock/README.md)\n");
    else
        printf("  app type    self-use: token.create with grant_type="
               "authorization_self and a shop_id\n");
    printf("  shop ids   ");
    for (uint32_t k = 0; k < w->shops.n && k < MAX_SHOPS_SHOWN; k++)
        printf(" %lld", (long long)w->shops.v[k].shop_id);
    if (w->shops.n > MAX_SHOPS_SHOWN)
        printf(" (and %u more)", w->shops.n - MAX_SHOPS_SHOWN);
    if (w->shops.n == 0)
        printf(" (none)");
    printf("\n");
}

/* Adds a loaded world, or says why not. */
static int add_world(struct mock_server *s, struct mock_world *w,
                     const char *from)
{
    if (mock_worlds_add(&s->worlds, w) == 0)
        return 0;
    fprintf(stderr,
            "ddmock: %s: app_key %s is already used by another "
            "world\n",
            from, w->app_key);
    mock_world_free(w);
    return -1;
}

static int load_worlds(struct mock_server *s, char **files, size_t n_files,
                       const char *gen, bool want_default)
{
    int64_t now = mock_now();
    uint64_t k = 0;
    for (size_t i = 0; i < n_files; i++) {
        struct dd_buf errs;
        dd_buf_init(&errs, 0);
        struct mock_world *w = mock_world_load_file(
            files[i], &s->defaults, mix64(s->seed + k++), now, &errs);
        if (!w) {
            if (errs.len) {
                fputs(errs.data, stderr);
                if (errs.data[errs.len - 1] != '\n')
                    fputc('\n', stderr);
            } else {
                fprintf(stderr, "%s: cannot load this world file\n", files[i]);
            }
            dd_buf_free(&errs);
            return -1;
        }
        dd_buf_free(&errs);
        if (add_world(s, w, files[i]) < 0)
            return -1;
    }
    if (gen) {
        struct mock_gen_spec spec;
        char err[256];
        if (mock_gen_parse(gen, &spec, err, sizeof err) < 0) {
            fprintf(stderr, "ddmock: --generate %s: %s\n", gen, err);
            return -1;
        }
        struct mock_world *w =
            mock_world_generate(&spec, &s->defaults, mix64(s->seed + k++), now);
        if (add_world(s, w, "--generate") < 0)
            return -1;
    }
    if (n_files == 0 && !gen && want_default) {
        struct mock_world *w = mock_world_default(&s->defaults, s->seed, now);
        if (add_world(s, w, "the default world") < 0)
            return -1;
    }
    return 0;
}

/* Applies one --set K=V to the defaults. */
static int apply_set(struct mock_settings *st, const char *arg)
{
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg) {
        fprintf(stderr, "ddmock: --set %s: expected NAME=VALUE\n", arg);
        return -1;
    }
    size_t n = (size_t)(eq - arg);
    char *name = malloc(n + 1);
    if (!name)
        abort();
    memcpy(name, arg, n);
    name[n] = '\0';
    char err[256] = "";
    int rc = mock_settings_set(st, name, eq + 1, err, sizeof err);
    if (rc < 0)
        fprintf(stderr, "ddmock: --set %s: %s\n", arg, err);
    free(name);
    return rc < 0 ? -1 : 0;
}

/* ================================================================ replay */

/* The longest scenario file read (scenarios/FORMAT.md, "sizes"). */
#define SCENARIO_MAX_BYTES ((size_t)64 << 20)
/* The hook's limits (harness.md "Hook"): 10 s, and what we keep of its
 * output. */
#define HOOK_TIMEOUT_MS 10000
#define HOOK_OUTPUT_MAX ((size_t)1 << 20)
/* The hand runner's long-poll, and curl's limit around it. */
#define HAND_WAIT_MS    30000
#define HAND_TIMEOUT_MS 45000

/* --scenario and the options that go with it. */
struct scenario_opts {
    const char *file;
    const char *hook_cmd; /* --erp-hook, or NULL */
    const char *push_url; /* --push-url, or NULL */
    double start_after;   /* < 0: not given */
    int64_t time_scale;   /* 0: not given */
    double stretch;       /* 0: not given */
};

/* The contract environment of the run (harness.md), "NAME=VALUE" each. */
#define CONTRACT_VARS_MAX 8
struct contract_env {
    char *vars[CONTRACT_VARS_MAX];
    size_t n;
};

/* The hand runner: a thread that owns nothing of the server and talks to
 * it over loopback HTTP only (see the file header). */
struct hand {
    pthread_t th;
    bool started;
    char base[128];          /* http://HOST:PORT of the admin API */
    const char *admin_token; /* or NULL */
    const char *hook_cmd;    /* or NULL */
    char key[20];
    char **envp; /* environ without the contract names, plus them */
    int stop;    /* set by the main thread (atomic) */
    CURL *curl;
    bool curl_global; /* curl_global_init was called for this thread */
};

static bool hand_stopping(struct hand *h)
{
    return __atomic_load_n(&h->stop, __ATOMIC_ACQUIRE) != 0;
}

static void contract_add(struct contract_env *c, const char *name,
                         const char *value)
{
    struct dd_buf b;
    dd_buf_init(&b, 0);
    dd_buf_printf(&b, "%s=%s", name, value);
    c->vars[c->n++] = dd_buf_steal(&b);
}

static void contract_free(struct contract_env *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->vars[i]);
    c->n = 0;
}

/* The names the contract sets: inherited values of them are dropped. */
static bool contract_name(const char *var)
{
    static const char *const names[] = {
        "DOUDIAN_HARNESS_CONTRACT=", "DOUDIAN_BASE_URL=",
        "DOUDIAN_APP_KEY=",          "DOUDIAN_APP_SECRET=",
        "DOUDIAN_SHOP_ID=",          "DOUDIAN_AUTH_CODE=",
        "DOUDIAN_PUSH_LISTEN=",      "DOUDIAN_POLL_INTERVAL="};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strncmp(var, names[i], strlen(names[i])) == 0)
            return true;
    return false;
}

/* A new environment for the hook: ours, then the inherited one without
 * the contract's names. Free the array with free() (the strings are
 * borrowed). */
static char **hook_environment(const struct contract_env *c)
{
    size_t n = 0;
    while (environ && environ[n])
        n++;
    char **envp = calloc(n + c->n + 1, sizeof *envp);
    if (!envp)
        abort();
    size_t k = 0;
    for (size_t i = 0; i < c->n; i++)
        envp[k++] = c->vars[i];
    for (size_t i = 0; i < n; i++)
        if (!contract_name(environ[i]))
            envp[k++] = environ[i];
    envp[k] = NULL;
    return envp;
}

/* Reads a whole file (at most SCENARIO_MAX_BYTES) into a new buffer. */
static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "%s:1:1: cannot read: %s\n", path, strerror(errno));
        return NULL;
    }
    struct dd_buf b;
    dd_buf_init(&b, SCENARIO_MAX_BYTES);
    char chunk[65536];
    size_t got;
    bool too_big = false;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (dd_buf_append(&b, chunk, got) != 0) {
            too_big = true;
            break;
        }
    bool failed = ferror(f) != 0;
    fclose(f);
    if (too_big || failed) {
        fprintf(stderr, "%s:1:1: %s\n", path,
                too_big ? "the file is over 64 MiB" : "read error");
        dd_buf_free(&b);
        return NULL;
    }
    *len = b.len;
    char *text = dd_buf_steal(&b);
    return text ? text : calloc(1, 1);
}

/* host:port of a push URL, for DOUDIAN_PUSH_LISTEN. */
static void listen_of(const char *url, char *out, size_t cap)
{
    bool https = strncmp(url, "https://", 8) == 0;
    const char *p = url + (https ? 8 : 7);
    size_t n = strcspn(p, "/?#");
    const char *colon = NULL;
    for (size_t i = 0; i < n; i++)
        if (p[i] == ':')
            colon = p + i;
    if (p[0] == '[' && colon && memchr(colon, ']', (size_t)(p + n - colon)))
        colon = NULL; /* [v6] without a port */
    if (colon)
        snprintf(out, cap, "%.*s", (int)n, p);
    else
        snprintf(out, cap, "%.*s:%s", (int)n, p, https ? "443" : "80");
}

/* The string at `key` of an object, or "". */
static const char *jstr(const struct dd_json *o, const char *key)
{
    const struct dd_json *v = dd_json_get(o, key);
    return v && (v->type == DD_JSON_STRING || v->type == DD_JSON_NUMBER)
               ? v->text
               : "";
}

/* One admin call of the hand runner; returns the HTTP status, or -1 when
 * no answer came (the server stopped). The body goes to `out`. */
static long hand_http(struct hand *h, const char *verb, const char *path,
                      const char *body, long timeout_ms, struct dd_buf *out);

static size_t hand_collect_cb(char *p, size_t size, size_t n, void *userdata)
{
    if (dd_buf_append(userdata, p, size * n) != 0)
        return 0;
    return size * n;
}

static long hand_http(struct hand *h, const char *verb, const char *path,
                      const char *body, long timeout_ms, struct dd_buf *out)
{
    struct dd_buf url;
    dd_buf_init(&url, 0);
    dd_buf_printf(&url, "%s%s", h->base, path);
    dd_buf_reset(out);
    CURL *c = h->curl;
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url.data);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, hand_collect_cb);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, verb);
    struct curl_slist *hdr = NULL;
    char tok[600];
    if (h->admin_token) {
        snprintf(tok, sizeof tok, "X-Admin-Token: %s", h->admin_token);
        hdr = curl_slist_append(hdr, tok);
    }
    hdr = curl_slist_append(hdr, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    }
    long status = -1;
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(hdr);
    dd_buf_free(&url);
    return status;
}

static int64_t ms_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The child side of a hook: its own process group, the pipes as stdin and
 * stdout, default signal dispositions, /bin/sh -c CMD. Only
 * async-signal-safe calls (the parent has threads). */
static void hook_child(const struct hand *h, int in_fd, int out_fd)
{
    setpgid(0, 0);
    if (dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0)
        _exit(127);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    sigaction(SIGPIPE, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    char *argv[] = {"sh", "-c", (char *)h->hook_cmd, NULL};
    execve("/bin/sh", argv, h->envp);
    _exit(127);
}

/* pipe(2) with both ends close-on-exec (only the hook's own ends survive
 * its exec, as its stdin and stdout). */
static int cloexec_pipe(int fd[2])
{
    if (pipe(fd) < 0)
        return -1;
    fcntl(fd[0], F_SETFD, FD_CLOEXEC);
    fcntl(fd[1], F_SETFD, FD_CLOEXEC);
    return 0;
}

/*
 * Runs the hook with `input` (a JSON object) on stdin and writes the
 * reply to the run's event into `reply`: {"ok": true, "reply": {...}} or
 * {"ok": false, "error": why}. 10 s at most, then SIGKILL to its group.
 */
static void run_hook(struct hand *h, const char *input, struct dd_buf *reply)
{
    struct dd_jw w;
    dd_buf_reset(reply);
    dd_jw_init(&w, reply);
    int in[2], out[2];
    if (cloexec_pipe(in) < 0) {
        dd_jw_object_begin(&w);
        dd_jw_kbool(&w, "ok", false);
        dd_jw_kstr(&w, "error", "cannot start the hook: no pipe");
        dd_jw_object_end(&w);
        return;
    }
    if (cloexec_pipe(out) < 0) {
        close(in[0]);
        close(in[1]);
        dd_jw_object_begin(&w);
        dd_jw_kbool(&w, "ok", false);
        dd_jw_kstr(&w, "error", "cannot start the hook: no pipe");
        dd_jw_object_end(&w);
        return;
    }
    pid_t pid = fork();
    if (pid == 0)
        hook_child(h, in[0], out[1]);
    close(in[0]);
    close(out[1]);
    char why[160] = "";
    struct dd_buf got;
    dd_buf_init(&got, HOOK_OUTPUT_MAX);
    int status = 0;
    if (pid < 0) {
        snprintf(why, sizeof why, "cannot start the hook: %s", strerror(errno));
        close(in[1]);
        close(out[0]);
    } else {
        setpgid(pid, pid); /* also here: whichever runs first */
        fcntl(in[1], F_SETFL, O_NONBLOCK);
        int64_t deadline = ms_now() + HOOK_TIMEOUT_MS;
        size_t sent = 0, len = strlen(input);
        int wfd = in[1], rfd = out[0];
        if (len == 0) {
            close(wfd);
            wfd = -1;
        }
        bool reaped = false, timed_out = false;
        while (!reaped) {
            int64_t left = deadline - ms_now();
            if (left <= 0 || hand_stopping(h)) {
                timed_out = true;
                break;
            }
            struct pollfd pf[2];
            nfds_t np = 0;
            if (rfd >= 0)
                pf[np++] = (struct pollfd){rfd, POLLIN, 0};
            if (wfd >= 0)
                pf[np++] = (struct pollfd){wfd, POLLOUT, 0};
            if (np == 0) {
                /* output closed: wait for the exit, a little at a time */
                pid_t r = waitpid(pid, &status, WNOHANG);
                if (r == pid)
                    reaped = true;
                else
                    poll(NULL, 0, 20);
                continue;
            }
            if (poll(pf, np, left > 50 ? 50 : (int)left) <= 0)
                continue;
            for (nfds_t i = 0; i < np; i++) {
                if (pf[i].fd == wfd &&
                    (pf[i].revents & (POLLOUT | POLLERR | POLLHUP))) {
                    ssize_t k = write(wfd, input + sent, len - sent);
                    if (k > 0)
                        sent += (size_t)k;
                    if (k < 0 || sent == len) {
                        close(wfd);
                        wfd = -1;
                    }
                } else if (pf[i].fd == rfd &&
                           (pf[i].revents & (POLLIN | POLLERR | POLLHUP))) {
                    char chunk[4096];
                    ssize_t k = read(rfd, chunk, sizeof chunk);
                    if (k > 0) {
                        dd_buf_append(&got, chunk, (size_t)k); /* capped */
                    } else {
                        close(rfd);
                        rfd = -1;
                    }
                }
            }
        }
        if (wfd >= 0)
            close(wfd);
        if (rfd >= 0)
            close(rfd);
        if (timed_out) {
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            snprintf(why, sizeof why, "%s",
                     hand_stopping(h) ? "ddmock is stopping"
                                      : "timed out after 10 s");
        } else if (WIFSIGNALED(status)) {
            snprintf(why, sizeof why, "killed by signal %d", WTERMSIG(status));
        } else if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
            snprintf(why, sizeof why, "exit status %d", WEXITSTATUS(status));
        }
    }
    struct dd_json_doc doc = {0};
    if (!why[0] && (got.len == 0 ||
                    dd_json_parse(got.data, got.len, NULL, &doc, NULL) != 0 ||
                    doc.root->type != DD_JSON_OBJECT))
        snprintf(why, sizeof why, "no JSON object on stdout");
    dd_jw_object_begin(&w);
    dd_jw_kbool(&w, "ok", why[0] == '\0');
    if (why[0]) {
        dd_jw_kstr(&w, "error", why);
    } else {
        struct dd_buf canon;
        dd_buf_init(&canon, 0);
        dd_json_write_canonical(&canon, doc.root, DD_ESCAPE_PLAIN);
        dd_jw_key(&w, "reply");
        dd_jw_raw(&w, canon.data, canon.len);
        dd_buf_free(&canon);
    }
    dd_jw_object_end(&w);
    dd_json_doc_free(&doc);
    dd_buf_free(&got);
}

/* Answers event `id` of the run with `body`, and says what came back. */
static void hand_reply(struct hand *h, int64_t id, const char *body)
{
    char path[128];
    struct dd_buf out;
    dd_buf_init(&out, 0);
    snprintf(path, sizeof path, "/_mock/runs/%s/events/%lld/reply", h->key,
             (long long)id);
    long st = hand_http(h, "POST", path, body, 10000, &out);
    struct dd_json_doc doc;
    if (st == 200 && dd_json_parse(out.data, out.len, NULL, &doc, NULL) == 0) {
        const char *verdict = jstr(doc.root, "verdict");
        const char *note = jstr(doc.root, "note");
        printf("  event %lld answered: %s%s%s\n", (long long)id, verdict,
               *note ? ": " : "", note);
        dd_json_doc_free(&doc);
    } else {
        printf("  event %lld: the reply was refused (HTTP %ld): %s\n",
               (long long)id, st, dd_buf_str(&out));
    }
    fflush(stdout);
    dd_buf_free(&out);
}

/* Handles one event; returns false once the run has ended (or is gone). */
static bool hand_event(struct hand *h, const struct dd_json *ev)
{
    const char *kind = jstr(ev, "kind");
    int64_t id = 0;
    dd_json_int64(dd_json_get(ev, "id"), &id);
    if (strcmp(kind, "end") == 0) {
        if (strcmp(jstr(ev, "reason"), "error") == 0)
            printf("run ended in error (GET /_mock/runs/%s says why)\n",
                   h->key);
        else
            printf("run ended\n");
        fflush(stdout);
        return false;
    }
    if (strcmp(kind, "restart") == 0) {
        printf("event %lld (step %s): restart your ERP now: kill it and "
               "start it again with the same state directory\n",
               (long long)id, jstr(ev, "step"));
        fflush(stdout);
        hand_reply(h, id, "{\"ok\": true}");
        return true;
    }
    struct dd_buf input, reply;
    dd_buf_init(&input, 0);
    dd_buf_init(&reply, 0);
    dd_json_write_canonical(&input, dd_json_get(ev, "input"), DD_ESCAPE_PLAIN);
    printf("event %lld (step %s): hook %s\n", (long long)id, jstr(ev, "step"),
           dd_buf_str(&input));
    fflush(stdout);
    if (h->hook_cmd)
        run_hook(h, dd_buf_str(&input), &reply);
    if (hand_stopping(h)) {
        dd_buf_free(&input);
        dd_buf_free(&reply);
        return false; /* ddmock stops: nobody is left to answer */
    }
    if (!h->hook_cmd)
        dd_buf_puts(&reply, "{\"ok\": false, \"error\": \"no hook command "
                            "(--erp-hook)\"}");
    hand_reply(h, id, dd_buf_str(&reply));
    dd_buf_free(&input);
    dd_buf_free(&reply);
    return true;
}

static void *hand_thread(void *arg)
{
    struct hand *h = arg;
    char path[128];
    snprintf(path, sizeof path, "/_mock/runs/%s/next?wait_ms=%d", h->key,
             HAND_WAIT_MS);
    struct dd_buf out;
    dd_buf_init(&out, 0);
    while (!hand_stopping(h)) {
        long st = hand_http(h, "GET", path, NULL, HAND_TIMEOUT_MS, &out);
        if (hand_stopping(h))
            break;
        if (st == 404) {
            printf("the run was deleted\n");
            fflush(stdout);
            break;
        }
        struct dd_json_doc doc;
        if (st != 200 ||
            dd_json_parse(out.data, out.len, NULL, &doc, NULL) != 0) {
            poll(NULL, 0, 1000); /* not serving yet, or a hiccup */
            continue;
        }
        const struct dd_json *ev = dd_json_get(doc.root, "event");
        bool more = !ev || ev->type != DD_JSON_OBJECT || hand_event(h, ev);
        dd_json_doc_free(&doc);
        if (!more)
            break;
    }
    dd_buf_free(&out);
    dd_json_release_cache();
    return NULL;
}

/* Loads the scenario and creates its run (before the server serves).
 * Returns 0, or -1 after printing every problem. `answer` receives the
 * create answer (JSON). */
static int create_scenario_run(struct mock_server *s, struct scenario_opts *so,
                               struct dd_buf *answer)
{
    size_t len = 0;
    char *text = read_file(so->file, &len);
    if (!text)
        return -1;
    /* A poll-only scenario is never subscribed, whatever --push-url says
     * (its problems, if any, are reported by the run's creation below). */
    struct scn_scenario *peek = scn_scenario_parse(so->file, text, len, NULL);
    if (peek && peek->push == SCN_PUSH_FORBIDDEN && so->push_url) {
        fprintf(stderr,
                "ddmock: note: scenario %d forbids pushes (poll-only): "
                "--push-url is ignored\n",
                peek->id);
        so->push_url = NULL;
    } else if (peek && peek->push == SCN_PUSH_REQUIRED && !so->push_url) {
        fprintf(stderr,
                "ddmock: note: scenario %d needs pushes: without --push-url "
                "no ERP can pass it\n",
                peek->id);
    }
    scn_scenario_free(peek);
    struct mock_replay_params p = {
        .name = so->file,
        .push = so->push_url != NULL,
        .hook = so->hook_cmd != NULL,
        .time_scale = so->time_scale,
        .stretch = so->stretch,
    };
    struct dd_buf errs;
    struct dd_jw w;
    char err[256] = "";
    dd_buf_init(&errs, 0);
    dd_jw_init(&w, answer);
    int rc = mock_replay_create(s->replay, &p, text, len, &w, &errs, err,
                                sizeof err);
    free(text);
    if (rc) {
        if (errs.len) {
            fputs(errs.data, stderr);
            if (errs.data[errs.len - 1] != '\n')
                fputc('\n', stderr);
        } else {
            fprintf(stderr, "ddmock: --scenario %s: %s\n", so->file, err);
        }
    }
    dd_buf_free(&errs);
    return rc ? -1 : 0;
}

/*
 * Once the server listens: subscribes the push URL, arms the timeline,
 * prints the run and its contract environment, and starts the hand
 * runner. Returns 0 or -1 after printing why.
 */
static int start_scenario_run(struct mock_server *s,
                              const struct mock_server_config *cfg,
                              const struct scenario_opts *so,
                              const char *answer, struct contract_env *env,
                              struct hand *h)
{
    struct dd_json_doc doc;
    if (dd_json_parse(answer, strlen(answer), NULL, &doc, NULL) != 0) {
        fprintf(stderr, "ddmock: --scenario: no run was created\n");
        return -1;
    }
    const struct dd_json *a = doc.root;
    snprintf(h->key, sizeof h->key, "%s", jstr(a, "run"));

    /* where the admin API and the ERP reach us */
    const char *host = cfg->bind_addr;
    bool v6 = strchr(host, ':') != NULL;
    if (strcmp(host, "0.0.0.0") == 0)
        host = "127.0.0.1";
    else if (strcmp(host, "::") == 0)
        host = "::1";
    snprintf(h->base, sizeof h->base, "http://%s%s%s:%u", v6 ? "[" : "", host,
             v6 ? "]" : "", (unsigned)mock_server_port(s));

    int rc = -1;
    if (so->push_url) {
        struct dd_buf body, out, path;
        struct dd_jw w;
        dd_buf_init(&body, 0);
        dd_buf_init(&out, 0);
        dd_buf_init(&path, 0);
        dd_jw_init(&w, &body);
        dd_jw_object_begin(&w);
        dd_jw_kstr(&w, "url", so->push_url);
        dd_jw_object_end(&w);
        dd_buf_printf(&path, "/_mock/worlds/%s/subscription", h->key);
        int st =
            mock_admin_internal(s, "PUT", path.data, body.data, body.len, &out);
        if (st != 200)
            fprintf(stderr, "ddmock: --push-url: %s\n", dd_buf_str(&out));
        dd_buf_free(&body);
        dd_buf_free(&out);
        dd_buf_free(&path);
        if (st != 200)
            goto out;
    }
    double within = so->start_after < 0    ? 0
                    : so->start_after == 0 ? -1
                                           : so->start_after;
    struct dd_buf sink;
    struct dd_jw sw;
    char err[256];
    dd_buf_init(&sink, 0);
    dd_jw_init(&sw, &sink);
    if (mock_replay_start(s->replay, h->key, within, &sw, err, sizeof err)) {
        fprintf(stderr, "ddmock: --scenario: %s\n", err);
        dd_buf_free(&sink);
        goto out;
    }
    dd_buf_free(&sink);

    contract_add(env, "DOUDIAN_HARNESS_CONTRACT", "1");
    contract_add(env, "DOUDIAN_BASE_URL", h->base);
    contract_add(env, "DOUDIAN_APP_KEY", jstr(a, "app_key"));
    contract_add(env, "DOUDIAN_APP_SECRET", jstr(a, "app_secret"));
    contract_add(env, "DOUDIAN_SHOP_ID", jstr(a, "shop_id"));
    if (*jstr(a, "auth_code"))
        contract_add(env, "DOUDIAN_AUTH_CODE", jstr(a, "auth_code"));
    if (so->push_url) {
        char listen[300];
        listen_of(so->push_url, listen, sizeof listen);
        contract_add(env, "DOUDIAN_PUSH_LISTEN", listen);
    }
    contract_add(env, "DOUDIAN_POLL_INTERVAL", jstr(a, "poll_interval"));

    printf("scenario %s \"%s\" (%s)\n", jstr(a, "scenario_id"),
           jstr(a, "title"), so->file);
    printf("run %s: time scale %s, stretch %s, at most %s s, push %s%s\n",
           h->key, jstr(a, "time_scale"), jstr(a, "stretch"),
           jstr(a, "max_seconds"), jstr(a, "push_mode"),
           dd_json_get(a, "needs_hook")->type == DD_JSON_TRUE
               ? ", needs the warehouse hook"
               : "");
    printf("start your ERP with this environment:\n");
    for (size_t i = 0; i < env->n; i++)
        printf("  %s\n", env->vars[i]);
    printf("  DOUDIAN_STATE_DIR=<an empty directory of yours>\n");
    if (within < 0)
        printf("the timeline starts now\n");
    else if (within == 0)
        printf("the timeline starts at the ERP's first API call\n");
    else
        printf("the timeline starts at the ERP's first API call or after "
               "%g s\n",
               within);
    if (!so->hook_cmd && dd_json_get(a, "needs_hook")->type == DD_JSON_TRUE)
        printf("no --erp-hook: hook events are printed and answered as a "
               "failed hook\n");
    fflush(stdout);

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "ddmock: cannot start libcurl\n");
        goto out;
    }
    h->curl_global = true;
    if (!(h->curl = curl_easy_init())) {
        fprintf(stderr, "ddmock: cannot start libcurl\n");
        goto out;
    }
    h->admin_token = cfg->admin_token;
    h->hook_cmd = so->hook_cmd;
    h->envp = hook_environment(env);
    if (pthread_create(&h->th, NULL, hand_thread, h) != 0) {
        fprintf(stderr, "ddmock: cannot start the hand runner thread\n");
        goto out;
    }
    h->started = true;
    rc = 0;
out:
    dd_json_doc_free(&doc);
    return rc;
}

/* Stops the hand runner (the server is freed already, so its requests
 * fail at once) and frees what it used. */
static void stop_hand(struct hand *h)
{
    __atomic_store_n(&h->stop, 1, __ATOMIC_RELEASE);
    if (h->started)
        pthread_join(h->th, NULL);
    if (h->curl)
        curl_easy_cleanup(h->curl);
    if (h->curl_global)
        curl_global_cleanup();
    free(h->envp);
    memset(h, 0, sizeof *h);
}

enum {
    OPT_BIND = 1000,
    OPT_PORT,
    OPT_PORT_FILE,
    OPT_WORLD,
    OPT_GENERATE,
    OPT_SEED,
    OPT_SET,
    OPT_JOURNAL,
    OPT_ADMIN_TOKEN,
    OPT_HELP,
    OPT_HELP_SETTINGS,
    OPT_SCENARIO,
    OPT_ERP_HOOK,
    OPT_PUSH_URL,
    OPT_START_AFTER,
    OPT_TIME_SCALE,
    OPT_STRETCH,
};

static const struct option long_opts[] = {
    {"bind", required_argument, NULL, OPT_BIND},
    {"port", required_argument, NULL, OPT_PORT},
    {"port-file", required_argument, NULL, OPT_PORT_FILE},
    {"world", required_argument, NULL, OPT_WORLD},
    {"generate", required_argument, NULL, OPT_GENERATE},
    {"seed", required_argument, NULL, OPT_SEED},
    {"set", required_argument, NULL, OPT_SET},
    {"journal", required_argument, NULL, OPT_JOURNAL},
    {"admin-token", required_argument, NULL, OPT_ADMIN_TOKEN},
    {"help", no_argument, NULL, OPT_HELP},
    {"help-settings", no_argument, NULL, OPT_HELP_SETTINGS},
    {"scenario", required_argument, NULL, OPT_SCENARIO},
    {"erp-hook", required_argument, NULL, OPT_ERP_HOOK},
    {"push-url", required_argument, NULL, OPT_PUSH_URL},
    {"start-after", required_argument, NULL, OPT_START_AFTER},
    {"time-scale", required_argument, NULL, OPT_TIME_SCALE},
    {"stretch", required_argument, NULL, OPT_STRETCH},
    {NULL, 0, NULL, 0},
};

int main(int argc, char **argv)
{
    struct mock_server_config cfg = {.bind_addr = DEFAULT_BIND,
                                     .port = DEFAULT_PORT};
    const char *port_file = NULL, *gen = NULL;
    bool seed_given = false;
    uint64_t seed = 0;
    /* --world and --set values, in order (at most argc of each) */
    char **worlds = calloc((size_t)argc + 1, sizeof *worlds);
    char **sets = calloc((size_t)argc + 1, sizeof *sets);
    if (!worlds || !sets)
        abort();
    size_t n_worlds = 0, n_sets = 0;
    int status = 2;
    struct mock_server s;
    bool server_ready = false, port_file_written = false;
    struct scenario_opts so = {.start_after = -1};
    struct contract_env env = {.n = 0};
    struct hand hand;
    struct dd_buf run_answer;
    memset(&hand, 0, sizeof hand);
    dd_buf_init(&run_answer, 0);

    int c;
    opterr = 1;
    while ((c = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
        uint64_t v;
        switch (c) {
        case OPT_BIND:
            cfg.bind_addr = optarg;
            break;
        case OPT_PORT:
            if (parse_u64(optarg, 65535, &v) < 0) {
                fprintf(stderr, "ddmock: --port %s: expected 0 to 65535\n",
                        optarg);
                goto done;
            }
            cfg.port = (uint16_t)v;
            break;
        case OPT_PORT_FILE:
            port_file = optarg;
            break;
        case OPT_WORLD:
            worlds[n_worlds++] = optarg;
            break;
        case OPT_GENERATE:
            gen = optarg;
            break;
        case OPT_SEED:
            if (parse_u64(optarg, UINT64_MAX, &seed) < 0) {
                fprintf(stderr,
                        "ddmock: --seed %s: expected an unsigned decimal\n",
                        optarg);
                goto done;
            }
            seed_given = true;
            break;
        case OPT_SET:
            sets[n_sets++] = optarg;
            break;
        case OPT_JOURNAL:
            cfg.journal_path = optarg;
            break;
        case OPT_ADMIN_TOKEN:
            cfg.admin_token = optarg;
            break;
        case OPT_HELP:
            fputs(usage_text, stdout);
            status = 0;
            goto done;
        case OPT_HELP_SETTINGS:
            mock_settings_print_help(stdout);
            status = 0;
            goto done;
        case OPT_SCENARIO:
            so.file = optarg;
            break;
        case OPT_ERP_HOOK:
            so.hook_cmd = optarg;
            break;
        case OPT_PUSH_URL:
            if (mock_push_url_problem(optarg, strlen(optarg))) {
                fprintf(stderr, "ddmock: --push-url %s: %s\n", optarg,
                        mock_push_url_problem(optarg, strlen(optarg)));
                goto done;
            }
            so.push_url = optarg;
            break;
        case OPT_START_AFTER:
        case OPT_STRETCH: {
            char *end = NULL;
            double d = strtod(optarg, &end);
            bool stretch = c == OPT_STRETCH;
            if (!*optarg || *end ||
                !(stretch ? d >= 1 && d <= MOCK_REPLAY_STRETCH_MAX
                          : d >= 0 && d <= 86400)) {
                fprintf(stderr, "ddmock: --%s %s: expected %s\n",
                        stretch ? "stretch" : "start-after", optarg,
                        stretch ? "a number from 1 to 1000"
                                : "seconds from 0 to 86400");
                goto done;
            }
            if (stretch)
                so.stretch = d;
            else
                so.start_after = d;
            break;
        }
        case OPT_TIME_SCALE:
            if (parse_u64(optarg, 1000000, &v) < 0 || v == 0) {
                fprintf(stderr,
                        "ddmock: --time-scale %s: expected 1 to 1000000\n",
                        optarg);
                goto done;
            }
            so.time_scale = (int64_t)v;
            break;
        default:
            fputs("Try 'ddmock --help'.\n", stderr);
            goto done;
        }
    }
    if (optind < argc) {
        fprintf(stderr,
                "ddmock: unexpected argument '%s'\nTry 'ddmock "
                "--help'.\n",
                argv[optind]);
        goto done;
    }

    if (!so.file && (so.hook_cmd || so.push_url || so.start_after >= 0 ||
                     so.time_scale || so.stretch)) {
        fprintf(stderr, "ddmock: --erp-hook, --push-url, --start-after, "
                        "--time-scale and --stretch go with --scenario\n"
                        "Try 'ddmock --help'.\n");
        goto done;
    }

    int lb = loopback(cfg.bind_addr);
    if (lb < 0) {
        fprintf(stderr, "ddmock: --bind %s: not an IPv4 or IPv6 address\n",
                cfg.bind_addr);
        goto done;
    }
    if (lb == 0 && (!cfg.admin_token || !*cfg.admin_token)) {
        fprintf(stderr,
                "ddmock: refusing to listen on %s without --admin-token: the "
                "admin API (/_mock/) reads and changes every world, app "
                "secrets and tokens included, so anyone who can reach the "
                "port could use it. Give --admin-token, or bind 127.0.0.1.\n",
                cfg.bind_addr);
        goto done;
    }

    struct mock_settings defaults;
    mock_settings_default(&defaults);
    for (size_t i = 0; i < n_sets; i++)
        if (apply_set(&defaults, sets[i]) < 0)
            goto done;
    if (seed_given)
        defaults.seed = (int64_t)seed;
    cfg.seed = (uint64_t)defaults.seed;

    char err[512] = "";
    if (mock_server_init(&s, &cfg, &defaults, err, sizeof err) < 0) {
        fprintf(stderr, "ddmock: %s\n", err);
        goto done;
    }
    server_ready = true;
    g_server = &s;
    if (install_signals() < 0) {
        fprintf(stderr, "ddmock: sigaction: %s\n", strerror(errno));
        goto done;
    }
    if (load_worlds(&s, worlds, n_worlds, gen, !so.file) < 0)
        goto done;
    if (so.file && create_scenario_run(&s, &so, &run_answer) < 0)
        goto done;
    /* the run's world is the last added: it is shown as the run's */
    uint64_t run_world = so.file ? s.worlds.v[s.worlds.n - 1]->serial : 0;

    status = 1;
    if (mock_server_start(&s, err, sizeof err) < 0) {
        fprintf(stderr, "ddmock: %s\n", err);
        goto done;
    }
    uint16_t port = mock_server_port(&s);
    if (port_file) {
        if (write_port_file(port_file, port, err, sizeof err) < 0) {
            fprintf(stderr, "ddmock: --port-file: %s\n", err);
            goto done;
        }
        port_file_written = true;
    }

    bool v6 = strchr(cfg.bind_addr, ':') != NULL;
    printf("ddmock listening on http://%s%s%s:%u\n", v6 ? "[" : "",
           cfg.bind_addr, v6 ? "]" : "", (unsigned)port);
    printf("admin API under /_mock/%s\n",
           cfg.admin_token ? " (header X-Admin-Token required)" : "");
    for (size_t i = 0; i < s.worlds.n; i++)
        if (!so.file || s.worlds.v[i]->serial != run_world)
            print_world(s.worlds.v[i], i);
    fflush(stdout);
    if (so.file && start_scenario_run(&s, &cfg, &so, dd_buf_str(&run_answer),
                                      &env, &hand) < 0)
        goto done;

    if (mock_server_run(&s) < 0) {
        fprintf(stderr, "ddmock: event loop failed: %s\n", strerror(errno));
        goto done;
    }
    printf("ddmock stopped\n");
    status = 0;

done:
    block_signals();
    g_server = NULL;
    __atomic_store_n(&hand.stop, 1, __ATOMIC_RELEASE);
    if (port_file_written)
        unlink(port_file);
    if (server_ready)
        mock_server_free(&s); /* the hand runner's requests fail now */
    stop_hand(&hand);
    contract_free(&env);
    dd_buf_free(&run_answer);
    free(worlds);
    free(sets);
    return status;
}
