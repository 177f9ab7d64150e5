/*
 * fuzz_expected.c: libFuzzer target for the expected-failures parser
 * (conformance/select.c, conf_xfail_parse): a vendor's file, outside
 * input. Beyond "never crash": a parse either succeeds with every entry
 * well formed (an id >= 0, a mode of NULL/"push"/"poll", a verdict of
 * FAIL or ERROR, a line number within the text) and an empty message, or
 * fails with no entries and a message that starts with the file's name.
 * Built by `make fuzz` (clang, -fsanitize=fuzzer,address,undefined).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "select.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct conf_xfail x;
    char err[512];
    err[0] = '\0';
    size_t lines = 1;
    for (size_t i = 0; i < size; i++)
        lines += data[i] == '\n';
    int rc = conf_xfail_parse(&x, "xfail.txt", (const char *)data, size, err,
                              sizeof err);
    if (rc == 0) {
        for (size_t i = 0; i < x.n; i++) {
            const struct conf_xfail_entry *e = &x.v[i];
            CHECK(e->id >= 0);
            CHECK(!e->mode || !strcmp(e->mode, "push") ||
                  !strcmp(e->mode, "poll"));
            CHECK(e->verdict == CONF_FAIL || e->verdict == CONF_ERROR);
            CHECK(e->line >= 1 && (size_t)e->line <= lines);
            CHECK(conf_xfail_find(&x, e->id, e->mode) != NULL);
        }
    } else {
        CHECK(rc == -1);
        CHECK(x.n == 0);
        CHECK(strncmp(err, "xfail.txt", 9) == 0);
    }
    conf_xfail_free(&x);
    return 0;
}
