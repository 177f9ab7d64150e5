/*
 * ref_main.c: the ddref command: the reference ERP under test of
 * harness.md ("The ERP-under-test contract", version 1) and its warehouse
 * hook, with injectable mutants (README.md).
 *
 *   ddref [--inject-bug NAME]...          the ERP process, until SIGTERM
 *   ddref hook [--inject-bug NAME]...     one warehouse hook invocation
 *   ddref --list-bugs                     the mutants, as a table
 *
 * Configuration is the contract's environment (DOUDIAN_*). Exit status: 0
 * after SIGTERM, 2 for a bad configuration or usage, 1 when the state or
 * the push listener cannot be opened.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "ddc_config.h"
#include "ref_bugs.h"
#include "ref_erp.h"
#include "ref_hook.h"
#include "ref_log.h"

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: ddref [hook] [--inject-bug NAME]...\n"
               "       ddref --list-bugs\n"
               "Runs the reference ERP (or, with 'hook', one warehouse hook "
               "invocation)\nconfigured by the DOUDIAN_* environment of the "
               "harness contract.\n");
}

static void list_bugs(void)
{
    printf("%-24s %-14s %-22s %s\n", "NAME", "VERDICT", "SCENARIOS", "WHAT");
    for (int i = 0; i < REF_BUG_COUNT; i++)
        printf("%-24s %-14s %-22s %s\n", ref_bug_name((enum ref_bug)i),
               ref_bug_verdict((enum ref_bug)i),
               ref_bug_scenarios((enum ref_bug)i),
               ref_bug_what((enum ref_bug)i));
}

int main(int argc, char **argv)
{
    bool hook = false;
    uint64_t bugs = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "hook") == 0 && i == 1) {
            hook = true;
        } else if (strcmp(argv[i], "--inject-bug") == 0 && i + 1 < argc) {
            enum ref_bug b;
            if (ref_bug_parse(argv[++i], &b) != 0) {
                fprintf(stderr, "ddref: unknown bug '%s' (see --list-bugs)\n",
                        argv[i]);
                return 2;
            }
            bugs |= (uint64_t)1 << b;
        } else if (strcmp(argv[i], "--list-bugs") == 0) {
            list_bugs();
            return 0;
        } else if (strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        } else {
            usage(stderr);
            return 2;
        }
    }
    ref_log_init(hook ? "ddref-hook" : "ddref", NULL);
    struct ddc_config cfg;
    char err[300];
    ddc_config_init(&cfg);
    if (ddc_config_from_env(&cfg, err, sizeof err) != 0) {
        ref_log("configuration: %s", err);
        return 2;
    }
    if (!cfg.state_dir[0]) {
        ref_log("configuration: DOUDIAN_STATE_DIR is required");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    if (mkdir(cfg.state_dir, 0700) != 0 && errno != EEXIST) {
        ref_log("configuration: cannot create DOUDIAN_STATE_DIR %s: %s",
                cfg.state_dir, strerror(errno));
        return 2;
    }
    if (hook)
        return ref_hook_main(&cfg, bugs, stdin, stdout);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    struct ref_erp e;
    if (ref_erp_open(&e, &cfg, bugs, err, sizeof err) != 0) {
        ref_log("%s", err);
        return 1;
    }
    int rc = ref_erp_run(&e, &stop_flag);
    ref_erp_close(&e);
    ref_log("stopped");
    return rc ? 1 : 0;
}
