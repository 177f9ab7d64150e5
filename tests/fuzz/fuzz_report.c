/*
 * fuzz_report.c: libFuzzer target for the report module
 * (conformance/report*.c), which reads a report folder that may come from
 * elsewhere (a CI artifact handed to `ddconform report`). The input is
 * split at lines "=====" into summary.json, then the run folder runs/r's
 * verdict.json, journal.jsonl, hooks.jsonl, scenario.json and erp.log;
 * missing parts are missing files. The folder lives in one temporary
 * directory made at the first call. Every writer (JUnit, JSON, HTML to
 * /dev/null, TAP), the metrics lines and the per-run view run on whatever
 * loads. Beyond "never crash": a load that fails says why.
 * Built by `make fuzz` (clang, -fsanitize=fuzzer,address,undefined).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz_check.h"
#include "report.h"

static const char *const part_names[] = {
    "summary.json",       "runs/r/verdict.json",  "runs/r/journal.jsonl",
    "runs/r/hooks.jsonl", "runs/r/scenario.json", "runs/r/erp.log",
};
#define N_PARTS (sizeof part_names / sizeof part_names[0])

static char dir[512];

/* The first "\n=====\n" in p[0..n), or NULL. */
static const uint8_t *find_sep(const uint8_t *p, size_t n)
{
    static const char sep[] = "\n=====\n";
    for (size_t i = 0; i + 7 <= n; i++)
        if (memcmp(p + i, sep, 7) == 0)
            return p + i;
    return NULL;
}

static void put(const char *name, const uint8_t *p, size_t n, int present)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (!present) {
        unlink(path);
        return;
    }
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (n)
        CHECK(fwrite(p, 1, n, f) == n);
    CHECK(fclose(f) == 0);
}

/* At exit: the temporary folder goes again. */
static void remove_dir(void)
{
    char path[600];
    for (size_t k = 0; k < N_PARTS; k++) {
        snprintf(path, sizeof path, "%s/%s", dir, part_names[k]);
        unlink(path);
    }
    snprintf(path, sizeof path, "%s/runs/r", dir);
    rmdir(path);
    snprintf(path, sizeof path, "%s/runs", dir);
    rmdir(path);
    rmdir(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!dir[0]) {
        const char *tmp = getenv("TMPDIR");
        snprintf(dir, sizeof dir, "%s/fuzz-report-XXXXXX",
                 tmp && *tmp ? tmp : "/tmp");
        CHECK(mkdtemp(dir) != NULL);
        char sub[600];
        snprintf(sub, sizeof sub, "%s/runs", dir);
        mkdir(sub, 0700);
        snprintf(sub, sizeof sub, "%s/runs/r", dir);
        mkdir(sub, 0700);
        atexit(remove_dir);
    }
    size_t from = 0;
    for (size_t k = 0; k < N_PARTS; k++) {
        const uint8_t *p = data + from;
        size_t left = size - from;
        const uint8_t *end = find_sep(p, left);
        size_t n = end ? (size_t)(end - p) : left;
        put(part_names[k], p, n, from < size || k == 0);
        from = end ? from + n + 7 : size;
    }
    char err[512];
    err[0] = '\0';
    struct conf_report *r = conf_report_load(dir, err, sizeof err);
    if (!r) {
        CHECK(err[0] != '\0');
        return 0;
    }
    CHECK(conf_report_write_junit(r, "/dev/null", err, sizeof err) == 0);
    CHECK(conf_report_write_json(r, "/dev/null", err, sizeof err) == 0);
    CHECK(conf_report_write_html(r, "/dev/null", err, sizeof err) == 0);
    FILE *null = fopen("/dev/null", "w");
    CHECK(null != NULL);
    conf_report_write_tap(r, null);
    conf_report_print_metrics(r, null);
    for (size_t i = 0; conf_report_print_run(r, i, null) == 0 && i < 1000; i++)
        ;
    fclose(null);
    conf_report_free(r);
    return 0;
}
