/*
 * fuzz_scenario.c: libFuzzer target for the scenario loader
 * (mock/scenario.c, scenarios/FORMAT.md) and the argument matchers.
 *
 * Every input goes to scn_scenario_parse as a file named "fuzz.json"
 * (the file-name id check is the unit tests'). Beyond "never
 * crash", it checks the loader's contract: it returns a scenario exactly
 * when it reports nothing; every reported line is "fuzz.json:L:C: "
 * with L, C >= 1, ends with a newline, and the lines come sorted by
 * position; a loaded scenario's step references and `of` indexes are in
 * range. The matchers of a loaded scenario are run against its own
 * nodes, and any input that parses as JSON is matched against itself and
 * its members, so scn_args_match sees arbitrary shapes. The seed corpus
 * holds the example scenarios and the broken test files.
 * Built by `make fuzz` (clang, -fsanitize=fuzzer,address,undefined).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dd_buf.h"
#include "dd_json.h"
#include "fuzz_check.h"
#include "scenario.h"

#define NAME "fuzz.json"

/* Reads "L:C: " after the name; returns the rest of the line or NULL. */
static const char *position(const char *p, unsigned long *line,
                            unsigned long *col)
{
    char *end;
    if (strncmp(p, NAME ":", sizeof NAME) != 0)
        return NULL;
    p += sizeof NAME;
    *line = strtoul(p, &end, 10);
    if (end == p || *end != ':')
        return NULL;
    p = end + 1;
    *col = strtoul(p, &end, 10);
    if (end == p || end[0] != ':' || end[1] != ' ')
        return NULL;
    return end + 2;
}

/* Every line well formed and sorted by (line, col). */
static void check_report(const char *errs)
{
    unsigned long last_line = 0, last_col = 0;
    const char *p = errs;
    while (*p) {
        unsigned long line, col;
        const char *nl = strchr(p, '\n');
        CHECK(nl != NULL);
        const char *rest = position(p, &line, &col);
        CHECK(rest != NULL && rest < nl);
        CHECK(line >= 1 && col >= 1);
        CHECK(line > last_line || (line == last_line && col >= last_col));
        last_line = line;
        last_col = col;
        p = nl + 1;
    }
}

/* Matches a node against itself and each member, for crash-freedom. */
static void exercise_match(const struct dd_json *v)
{
    (void)scn_args_match(v, v);
    (void)scn_args_match(v, NULL);
    for (size_t i = 0; i < v->n && i < 16; i++) {
        (void)scn_args_match(&v->kids[i], v);
        (void)scn_args_match(v, &v->kids[i]);
    }
}

static void check_loaded(const struct scn_scenario *s)
{
    CHECK(s->world != NULL);
    CHECK(s->id >= 1);
    for (size_t i = 0; i < s->n_steps; i++) {
        const struct scn_step *st = &s->steps[i];
        CHECK(st->with != NULL && st->with->type == DD_JSON_OBJECT);
        CHECK(st->name && *st->name);
        if (st->when == SCN_AFTER_STEP) {
            CHECK(st->ref_step < s->n_steps && st->ref_step != i);
            CHECK(strcmp(s->steps[st->ref_step].id, st->ref) == 0);
        }
        CHECK(st->at >= 0 && st->at < s->max_seconds);
        if (st->args)
            (void)scn_args_match(st->args, st->with);
    }
    for (size_t i = 0; i < s->n_expects; i++) {
        const struct scn_expect *e = &s->expects[i];
        if (e->kind == SCN_EXPECT_CALL) {
            CHECK(e->of_step == SCN_NO_STEP || e->of_step < s->n_steps);
            CHECK(e->at_most < 0 || e->at_least <= e->at_most);
            CHECK(e->within >= 0 && e->within <= s->max_seconds);
        }
        if (e->args)
            (void)scn_args_match(e->args, s->world);
        if (e->kind == SCN_EXPECT_FINAL) {
            (void)scn_final_match(e, s->world);
            (void)scn_final_match(e, e->fields);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct dd_buf errs;
    dd_buf_init(&errs, 0);
    struct scn_scenario *s =
        scn_scenario_parse(NAME, (const char *)data, size, &errs);
    if (s) {
        CHECK(errs.len == 0);
        check_loaded(s);
        scn_scenario_free(s);
    } else {
        CHECK(errs.len > 0);
        check_report(errs.data);
    }
    dd_buf_free(&errs);

    struct dd_json_doc doc;
    if (dd_json_parse((const char *)data, size, NULL, &doc, NULL) == 0)
        exercise_match(doc.root);
    dd_json_doc_free(&doc);
    return 0;
}
