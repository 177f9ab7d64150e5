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
 * Exit status: 0 after a clean stop, 1 when the server fails at run time
 * (cannot bind, cannot write the port file, loop error), 2 for a usage or
 * configuration error (bad option, bad --set, a world file with errors).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dd_buf.h"
#include "server.h"
#include "settings.h"
#include "world.h"
#include "worldfile.h"

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
                       const char *gen)
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
    if (n_files == 0 && !gen) {
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
    if (load_worlds(&s, worlds, n_worlds, gen) < 0)
        goto done;

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
        print_world(s.worlds.v[i], i);
    fflush(stdout);

    if (mock_server_run(&s) < 0) {
        fprintf(stderr, "ddmock: event loop failed: %s\n", strerror(errno));
        goto done;
    }
    printf("ddmock stopped\n");
    status = 0;

done:
    block_signals();
    g_server = NULL;
    if (port_file_written)
        unlink(port_file);
    if (server_ready)
        mock_server_free(&s);
    free(worlds);
    free(sets);
    return status;
}
