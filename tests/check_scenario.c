/*
 * check_scenario.c: unit tests of the scenario loader (mock/
 * scenario.c; format in scenarios/FORMAT.md): the example scenarios load
 * with the documented defaults, every broken file under
 * tests/data/scenarios/ reports exactly the lines of its .expected file
 * (typed by hand from the file, positions counted by hand), the timeline's
 * order rules, and the argument matchers of scn_args_match and
 * scn_final_match. No server: the functions are called directly.
 *
 * Paths: scenarios/examples/ relative to the repository root (where the
 * tests run); the bad files through dd_test_data_dir().
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario.h"
#include "suites.h"

/* ---------------------------------------------------------------- helpers */

/* A scenario around `world`, `options`, `timeline` and `expect` JSON
 * texts (each may be NULL for none), parsed as "test.json". */
static struct scn_scenario *parse_parts(const char *world, const char *options,
                                        const char *timeline,
                                        const char *expect, struct dd_buf *errs)
{
    static const char *const default_world =
        "{\"shops\": [{\"shop_id\": \"10000001\"}],"
        " \"products\": [{\"product_id\": \"3600000000000001001\","
        "   \"skus\": [{\"sku_id\": \"1760000000000001001\", \"price\": "
        "100}]}],"
        " \"orders\": [{\"order_id\": \"6920000000000010001\","
        "   \"shop_id\": \"10000001\", \"create_time\": \"now-1h\","
        "   \"sku_orders\": [{\"sku_order_id\": \"6920000000000010001\","
        "     \"sku_id\": \"1760000000000001001\"}]}]}";
    struct dd_buf text;
    dd_buf_init(&text, 0);
    dd_buf_printf(&text,
                  "{\"format\": 1, \"info\": {\"id\": 9999, \"title\": \"t\", "
                  "\"situation\": \"s\", \"correct_erp\": \"c\"}, "
                  "\"world\": %s",
                  world ? world : default_world);
    if (options)
        dd_buf_printf(&text, ", \"options\": %s", options);
    if (timeline)
        dd_buf_printf(&text, ", \"timeline\": %s", timeline);
    if (expect)
        dd_buf_printf(&text, ", \"expect\": %s", expect);
    dd_buf_puts(&text, "}");
    struct scn_scenario *s =
        scn_scenario_parse("test.json", text.data, text.len, errs);
    dd_buf_free(&text);
    return s;
}

/* Like parse_parts for a scenario that must load. */
static struct scn_scenario *load_parts(const char *options,
                                       const char *timeline, const char *expect)
{
    struct dd_buf errs;
    dd_buf_init(&errs, 0);
    struct scn_scenario *s =
        parse_parts(NULL, options, timeline, expect, &errs);
    ck_assert_msg(s != NULL, "%s", dd_buf_str(&errs));
    ck_assert_uint_eq(errs.len, 0);
    dd_buf_free(&errs);
    return s;
}

/* The problems of a scenario that must not load, as one string (free). */
static char *problems_of(const char *options, const char *timeline,
                         const char *expect)
{
    struct dd_buf errs;
    dd_buf_init(&errs, 0);
    struct scn_scenario *s =
        parse_parts(NULL, options, timeline, expect, &errs);
    ck_assert_ptr_null(s);
    ck_assert_uint_gt(errs.len, 0);
    return dd_buf_steal(&errs);
}

/* A parsed JSON document for matcher tests. */
struct doc2 {
    struct dd_json_doc m, v;
};

static bool match_text(const char *matchers, const char *value)
{
    struct doc2 d;
    struct dd_json_error e;
    ck_assert_msg(dd_json_parse(matchers, strlen(matchers), NULL, &d.m, &e) ==
                      0,
                  "%s", e.msg);
    ck_assert_msg(dd_json_parse(value, strlen(value), NULL, &d.v, &e) == 0,
                  "%s", e.msg);
    bool r = scn_args_match(d.m.root, d.v.root);
    dd_json_doc_free(&d.m);
    dd_json_doc_free(&d.v);
    return r;
}

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* ---------------------------------------------------------------- files */

START_TEST(test_every_example_scenario_loads_without_problems)
{
    DIR *d = opendir("scenarios/examples");
    ck_assert_msg(d != NULL, "run the tests from the repository root");
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);
        if (len < 5 || strcmp(de->d_name + len - 5, ".json") != 0)
            continue;
        char path[512];
        snprintf(path, sizeof path, "scenarios/examples/%s", de->d_name);
        struct dd_buf errs;
        dd_buf_init(&errs, 0);
        struct scn_scenario *s = scn_scenario_load(path, &errs);
        ck_assert_msg(s != NULL, "%s", dd_buf_str(&errs));
        ck_assert_uint_eq(errs.len, 0);
        ck_assert_int_ge(s->id, 9000);
        ck_assert_ptr_nonnull(s->world);
        scn_scenario_free(s);
        dd_buf_free(&errs);
        n++;
    }
    closedir(d);
    ck_assert_int_ge(n, 7);
}
END_TEST

START_TEST(test_every_bad_scenario_reports_exactly_its_expected_lines)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/scenarios", dd_test_data_dir());
    DIR *d = opendir(dir);
    ck_assert_msg(d != NULL, "no folder %s", dir);
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);
        if (len < 5 || strcmp(de->d_name + len - 5, ".json") != 0)
            continue;
        char path[1536], expected[512], prefix[512];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        snprintf(expected, sizeof expected, "scenarios/%.*s.expected",
                 (int)(len - 5), de->d_name);
        snprintf(prefix, sizeof prefix, "tests/data/scenarios/%s", de->d_name);
        /* The expected lines name the file as tests/data/...; put the real
         * data folder in its place. */
        char *raw = dd_test_read_data(expected, NULL);
        struct dd_buf want;
        dd_buf_init(&want, 0);
        size_t plen = strlen(prefix);
        for (const char *p = raw; *p;) {
            const char *nl = strchr(p, '\n');
            size_t k = nl ? (size_t)(nl - p) + 1 : strlen(p);
            ck_assert_msg(strncmp(p, prefix, plen) == 0,
                          "%s: bad expected line: %.*s", expected, (int)k, p);
            dd_buf_puts(&want, path);
            dd_buf_append(&want, p + plen, k - plen);
            p += k;
        }
        free(raw);
        struct dd_buf errs;
        dd_buf_init(&errs, 0);
        struct scn_scenario *s = scn_scenario_load(path, &errs);
        ck_assert_msg(s == NULL, "%s loaded", path);
        ck_assert_msg(strcmp(dd_buf_str(&errs), dd_buf_str(&want)) == 0,
                      "%s:\n--- got\n%s--- want\n%s", de->d_name,
                      dd_buf_str(&errs), dd_buf_str(&want));
        ck_assert_uint_gt(count_lines(dd_buf_str(&errs)), 0);
        dd_buf_free(&errs);
        dd_buf_free(&want);
        n++;
    }
    closedir(d);
    ck_assert_int_ge(n, 9);
}
END_TEST

START_TEST(test_a_file_that_cannot_be_read_is_reported_at_1_1)
{
    struct dd_buf errs;
    dd_buf_init(&errs, 0);
    ck_assert_ptr_null(scn_scenario_load("no/such/0001-file.json", &errs));
    ck_assert_str_eq(dd_buf_str(&errs),
                     "no/such/0001-file.json:1:1: cannot open: No such file "
                     "or directory\n");
    ck_assert_ptr_null(scn_scenario_load("no/such/file.json", NULL));
    dd_buf_free(&errs);
}
END_TEST

START_TEST(test_the_first_example_loads_with_the_documented_defaults)
{
    struct dd_buf errs;
    dd_buf_init(&errs, 0);
    struct scn_scenario *s = scn_scenario_load(
        "scenarios/examples/unshipped-refund-written-back.json", &errs);
    ck_assert_msg(s != NULL, "%s", dd_buf_str(&errs));
    ck_assert_int_eq(s->id, 9001);
    ck_assert_str_eq(s->title, "A pre-shipment refund is written back");
    ck_assert_uint_eq(s->n_keywords, 2);
    ck_assert_str_eq(s->keywords[0], "happy-path");
    ck_assert_str_eq(s->keywords[1], "unshipped-refund");
    ck_assert_int_eq(s->push, SCN_PUSH_EITHER);
    ck_assert_int_eq(s->poll_interval, 5);
    ck_assert_int_eq(s->time_scale, 0);
    ck_assert(s->max_seconds == 60);
    ck_assert(!s->needs_hook);
    ck_assert(!s->money_safety);
    ck_assert_ptr_eq(s->world, dd_json_get(s->doc.root, "world"));

    ck_assert_uint_eq(s->n_steps, 1);
    const struct scn_step *st = &s->steps[0];
    ck_assert_str_eq(st->id, "apply");
    ck_assert_int_eq(st->when, SCN_AT);
    ck_assert(st->at == 2);
    ck_assert(st->delay == 0);
    ck_assert_int_eq(st->action, SCN_DO_ACTOR);
    ck_assert_str_eq(st->name, "buyer.apply");
    ck_assert_str_eq(dd_json_get(st->with, "aftersale_id")->text,
                     "7100000000000000001");

    ck_assert_uint_eq(s->n_expects, 2);
    const struct scn_expect *e = &s->expects[0];
    ck_assert_int_eq(e->kind, SCN_EXPECT_CALL);
    ck_assert_int_eq(e->level, SCN_MUST);
    ck_assert_str_eq(e->method, "afterSale.CancelSendGoodsSuccess");
    ck_assert_str_eq(e->of, "apply");
    ck_assert_uint_eq(e->of_step, 0);
    ck_assert(e->within == 30);
    ck_assert_int_eq(e->at_least, 1);
    ck_assert_int_eq(e->at_most, -1);
    ck_assert(e->success_only);
    ck_assert_str_eq(e->because, "an unshipped refund must be written back "
                                 "once the outbound is cancelled");
    e = &s->expects[1];
    ck_assert_int_eq(e->kind, SCN_EXPECT_FINAL);
    ck_assert_int_eq(e->entity, SCN_ENTITY_AFTERSALE);
    ck_assert_int_eq(e->entity_id, INT64_C(7100000000000000001));
    ck_assert_str_eq(e->because, "");
    scn_scenario_free(s);
    dd_buf_free(&errs);
}
END_TEST

START_TEST(test_conditions_and_options_are_read_as_written)
{
    struct dd_buf errs;
    dd_buf_init(&errs, 0);
    struct scn_scenario *s = scn_scenario_load(
        "scenarios/examples/return-arrives-intact.json", &errs);
    ck_assert_msg(s != NULL, "%s", dd_buf_str(&errs));
    ck_assert(s->needs_hook);
    ck_assert(s->money_safety);
    ck_assert(s->max_seconds == 90);
    ck_assert_uint_eq(s->n_steps, 4);
    const struct scn_step *st = &s->steps[1];
    ck_assert_int_eq(st->when, SCN_AFTER_CALL);
    ck_assert_str_eq(st->method, "afterSale.operate");
    ck_assert(st->success_only);
    ck_assert_ptr_nonnull(st->args);
    ck_assert(st->delay == 2);
    st = &s->steps[3];
    ck_assert_int_eq(st->when, SCN_AFTER_STEP);
    ck_assert_str_eq(st->ref, "delivered");
    ck_assert_uint_eq(st->ref_step, 2);
    ck_assert_int_eq(st->action, SCN_DO_HOOK_RETURN);
    ck_assert_uint_eq(scn_scenario_step(s, "ship-back"), 1);
    ck_assert_uint_eq(scn_scenario_step(s, "nope"), SCN_NO_STEP);
    scn_scenario_free(s);

    s = scn_scenario_load("scenarios/examples/push-forged-and-restart.json",
                          &errs);
    ck_assert_msg(s != NULL, "%s", dd_buf_str(&errs));
    ck_assert_int_eq(s->push, SCN_PUSH_REQUIRED);
    ck_assert_int_eq(s->steps[0].action, SCN_DO_FORGED_PUSH);
    st = &s->steps[2];
    ck_assert_int_eq(st->when, SCN_AFTER_ACK);
    ck_assert_int_eq(st->tag, 206);
    ck_assert_int_eq(st->aftersale_id, INT64_C(7100000000000000005));
    ck_assert_int_eq(st->action, SCN_DO_RESTART_ERP);
    ck_assert_int_eq(st->with->type, DD_JSON_OBJECT);
    ck_assert_uint_eq(st->with->n, 0);
    ck_assert_int_eq(s->expects[0].kind, SCN_EXPECT_NO_CALL);
    ck_assert_int_eq(s->expects[3].level, SCN_SHOULD);
    ck_assert_int_eq(s->expects[3].at_most, 1);
    scn_scenario_free(s);

    s = scn_scenario_load("scenarios/examples/tool-app-token-expiry.json",
                          &errs);
    ck_assert_msg(s != NULL, "%s", dd_buf_str(&errs));
    ck_assert_int_eq(s->push, SCN_PUSH_FORBIDDEN);
    ck_assert_int_eq(s->time_scale, 3600);
    ck_assert_int_eq(s->steps[0].action, SCN_DO_TOKEN);
    ck_assert_str_eq(s->steps[0].name, "token.expire");
    scn_scenario_free(s);
    dd_buf_free(&errs);
}
END_TEST

/* ---------------------------------------------------------------- order */

START_TEST(
    test_a_step_may_use_an_after_sale_applied_for_earlier_at_the_same_second)
{
    static const char apply[] =
        "{\"id\": \"apply\", \"at\": 2, \"do\": \"buyer.apply\", \"with\": "
        "{\"aftersale_id\": \"7100000000000000001\", \"sku_order_id\": "
        "\"6920000000000010001\", \"type\": 2}}";
    static const char cancel[] =
        "{\"at\": 2, \"do\": \"buyer.cancel\", \"with\": {\"aftersale_id\": "
        "\"7100000000000000001\"}}";
    char tl[1024];
    snprintf(tl, sizeof tl, "[%s, %s]", apply, cancel);
    scn_scenario_free(load_parts(NULL, tl, NULL));
    /* the other way round, the cancel runs first: refused */
    snprintf(tl, sizeof tl, "[%s, %s]", cancel, apply);
    char *p = problems_of(NULL, tl, NULL);
    ck_assert_msg(strstr(p, "timeline[0].with.aftersale_id: after-sale "
                            "\"7100000000000000001\" is created by the "
                            "buyer.apply step at 1:"),
                  "%s", p);
    ck_assert_uint_eq(count_lines(p), 1);
    free(p);
}
END_TEST

START_TEST(test_a_step_chained_after_the_application_may_use_its_after_sale)
{
    static const char tl[] =
        "[{\"id\": \"apply\", \"after\": {\"call\": \"afterSale.List\"}, "
        "  \"do\": \"buyer.apply\", \"with\": {\"aftersale_id\": "
        "  \"7100000000000000001\", \"order_id\": \"6920000000000010001\", "
        "  \"type\": \"unshipped_refund\"}},"
        " {\"id\": \"x\", \"after\": {\"step\": \"apply\"}, \"delay\": 1,"
        "  \"do\": \"erp.restart\"},"
        " {\"after\": {\"step\": \"x\"}, \"do\": \"timer.fire\", \"with\": "
        "  {\"aftersale_id\": \"7100000000000000001\"}},"
        " {\"after\": {\"ack\": {\"tag\": 200, \"aftersale_id\": "
        "  \"7100000000000000001\"}}, \"do\": \"platform.agree\", \"with\": "
        "  {\"aftersale_id\": \"7100000000000000001\"}}]";
    struct scn_scenario *s = load_parts("{\"push\": \"required\"}", tl, NULL);
    ck_assert_uint_eq(s->steps[2].ref_step, 1);
    ck_assert_uint_eq(s->steps[1].ref_step, 0);
    scn_scenario_free(s);
}
END_TEST

START_TEST(
    test_a_step_after_an_unrelated_call_may_not_use_an_applied_after_sale)
{
    static const char tl[] =
        "[{\"at\": 1, \"do\": \"buyer.apply\", \"with\": {\"aftersale_id\": "
        "  \"7100000000000000001\", \"order_id\": \"6920000000000010001\", "
        "  \"type\": 2}},"
        " {\"after\": {\"call\": \"afterSale.List\"}, \"do\": \"buyer.cancel\","
        "  \"with\": {\"aftersale_id\": \"7100000000000000001\"}}]";
    char *p = problems_of(NULL, tl, NULL);
    ck_assert_msg(strstr(p, "timeline[1].with.aftersale_id: after-sale "
                            "\"7100000000000000001\" is created by the "
                            "buyer.apply step"),
                  "%s", p);
    ck_assert_uint_eq(count_lines(p), 1);
    free(p);
}
END_TEST

START_TEST(test_a_window_that_fits_the_run_exactly_is_accepted)
{
    static const char tl[] = "[{\"id\": \"s\", \"at\": 10, \"do\": "
                             "\"erp.restart\"}]";
    static const char ex[] =
        "[{\"level\": \"MUST\", \"call\": \"afterSale.List\", \"of\": \"s\", "
        "\"within\": 50}, {\"level\": \"MUST\", \"call\": \"afterSale.List\", "
        "\"within\": 60}]";
    scn_scenario_free(load_parts(NULL, tl, ex));
    static const char ex2[] =
        "[{\"level\": \"MUST\", \"call\": \"afterSale.List\", \"of\": \"s\", "
        "\"within\": 50.5}]";
    char *p = problems_of(NULL, tl, ex2);
    ck_assert_msg(strstr(p, "expect[0].within: the window ends at 60.5 s"),
                  "%s", p);
    free(p);
    /* a step whose time is not known: the window alone is too long */
    static const char tl2[] =
        "[{\"id\": \"s\", \"after\": {\"call\": \"afterSale.List\"}, "
        "\"do\": \"erp.restart\"}]";
    static const char ex3[] =
        "[{\"level\": \"MUST\", \"call\": \"afterSale.List\", \"of\": \"s\", "
        "\"within\": 61}]";
    p = problems_of(NULL, tl2, ex3);
    ck_assert_msg(strstr(p, "expect[0].within: 61 s is longer than the whole "
                            "run (max_seconds 60)"),
                  "%s", p);
    free(p);
}
END_TEST

START_TEST(test_a_scenario_without_timeline_or_expectations_loads)
{
    struct scn_scenario *s = load_parts(NULL, NULL, NULL);
    ck_assert_uint_eq(s->n_steps, 0);
    ck_assert_uint_eq(s->n_expects, 0);
    scn_scenario_free(s);
    s = load_parts("{\"push\": null, \"max_seconds\": 0.5}", "[]", "[]");
    ck_assert_int_eq(s->push, SCN_PUSH_EITHER);
    ck_assert(s->max_seconds == 0.5);
    scn_scenario_free(s);
}
END_TEST

START_TEST(test_any_bytes_are_refused_without_a_crash)
{
    static const char *const inputs[] = {
        "",
        " ",
        "null",
        "{",
        "[]",
        "\"x\"",
        "{\"format\": 1}",
        "{\"world\": 5, \"timeline\": [1, null, {}], \"expect\": [[]]}",
        ("{\"timeline\": [{\"after\": {\"step\": \"\\u0000\"}, \"do\": "
         "\"x\\u0000y\"}]}"),
        "\xff\xfe{}",
    };
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        struct dd_buf errs;
        dd_buf_init(&errs, 0);
        ck_assert_ptr_null(
            scn_scenario_parse("x.json", inputs[i], strlen(inputs[i]), &errs));
        ck_assert_msg(strncmp(dd_buf_str(&errs), "x.json:", 7) == 0, "%s",
                      dd_buf_str(&errs));
        ck_assert_msg(errs.data[errs.len - 1] == '\n', "%s", errs.data);
        dd_buf_free(&errs);
        ck_assert_ptr_null(
            scn_scenario_parse("x.json", inputs[i], strlen(inputs[i]), NULL));
    }
    struct dd_buf errs;
    dd_buf_init(&errs, 0);
    ck_assert_ptr_null(scn_scenario_parse(NULL, NULL, 0, &errs));
    ck_assert_str_eq(dd_buf_str(&errs), "(scenario):1:1: no text to read\n");
    dd_buf_free(&errs);
}
END_TEST

START_TEST(test_a_line_break_in_a_string_is_echoed_escaped_on_one_line)
{
    char *p = problems_of(
        NULL, "[{\"at\": 1, \"do\": \"buyer\\n.apply\\u0001\"}]", NULL);
    ck_assert_msg(strstr(p, ": timeline[0].do: unknown action "
                            "\"buyer\\n.apply\\u0001\" (did you mean "
                            "\"buyer.apply\"?)\n"),
                  "%s", p);
    ck_assert_uint_eq(count_lines(p), 1);
    free(p);
    /* the world's own messages too */
    struct dd_buf errs;
    dd_buf_init(&errs, 0);
    ck_assert_ptr_null(
        parse_parts("{\"shops\": [{\"shop_id\": \"1\", \"a\\nb\": 1}]}", NULL,
                    NULL, NULL, &errs));
    ck_assert_msg(
        strstr(dd_buf_str(&errs), ": world.shops[0]: unknown key \"a\\nb\"\n"),
        "%s", dd_buf_str(&errs));
    ck_assert_uint_eq(count_lines(dd_buf_str(&errs)), 1);
    dd_buf_free(&errs);
}
END_TEST

/* ---------------------------------------------------------------- match */

START_TEST(test_matchers_compare_numbers_and_numeric_strings_as_integers)
{
    ck_assert(match_text("{\"aftersale_id\": \"7000000000000000101\"}",
                         "{\"aftersale_id\": 7000000000000000101}"));
    ck_assert(match_text("{\"aftersale_id\": 7000000000000000101}",
                         "{\"aftersale_id\": \"7000000000000000101\"}"));
    /* one apart at 19 digits: equal through a double, not as integers */
    ck_assert(!match_text("{\"aftersale_id\": \"7000000000000000101\"}",
                          "{\"aftersale_id\": 7000000000000000100}"));
    ck_assert(!match_text("{\"aftersale_id\": 7000000000000000101}",
                          "{\"aftersale_id\": 7000000000000000102}"));
    ck_assert(match_text("{\"type\": 101}", "{\"type\": \"101\"}"));
    ck_assert(!match_text("{\"type\": 101}", "{\"type\": 102}"));
}
END_TEST

START_TEST(test_matchers_compare_other_scalars_by_value_or_exactly)
{
    ck_assert(match_text("{\"p\": 1e2}", "{\"p\": 100}"));
    ck_assert(match_text("{\"p\": 0.5}", "{\"p\": 5e-1}"));
    ck_assert(!match_text("{\"p\": 0.5}", "{\"p\": \"0.5\"}"));
    ck_assert(match_text("{\"c\": \"shunfeng\"}", "{\"c\": \"shunfeng\"}"));
    ck_assert(!match_text("{\"c\": \"shunfeng\"}", "{\"c\": \"Shunfeng\"}"));
    ck_assert(match_text("{\"r\": true}", "{\"r\": true}"));
    ck_assert(!match_text("{\"r\": true}", "{\"r\": false}"));
    ck_assert(!match_text("{\"r\": true}", "{\"r\": 1}"));
    ck_assert(!match_text("{\"r\": true}", "{\"r\": \"true\"}"));
}
END_TEST

START_TEST(test_matchers_look_only_at_the_keys_they_name_at_every_depth)
{
    ck_assert(match_text("{}", "{\"a\": 1}"));
    ck_assert(match_text("{\"a\": 1}", "{\"a\": 1, \"b\": 2}"));
    ck_assert(!match_text("{\"a\": 1, \"c\": 3}", "{\"a\": 1, \"b\": 2}"));
    ck_assert(match_text(
        "{\"logistics\": {\"company_code\": \"zhongtong\"}}",
        "{\"logistics\": {\"company_code\": \"zhongtong\", \"no\": \"Z1\"}}"));
    ck_assert(!match_text("{\"logistics\": {\"company_code\": \"zhongtong\"}}",
                          "{\"logistics\": {\"no\": \"Z1\"}}"));
    ck_assert(!match_text("{\"logistics\": {\"company_code\": \"zhongtong\"}}",
                          "{\"logistics\": \"zhongtong\"}"));
}
END_TEST

START_TEST(test_matchers_compare_arrays_element_by_element)
{
    static const char m[] =
        "{\"type\": 111, \"items\": [{\"aftersale_id\": \"7\"}]}";
    ck_assert(match_text(
        m, "{\"type\": 111, \"items\": [{\"aftersale_id\": 7, \"x\": 1}]}"));
    ck_assert(!match_text(m,
                          "{\"type\": 111, \"items\": [{\"aftersale_id\": 7}, "
                          "{\"aftersale_id\": 8}]}"));
    ck_assert(!match_text(m, "{\"type\": 111, \"items\": []}"));
    ck_assert(!match_text(m, "{\"type\": 111, \"items\": {\"aftersale_id\": "
                             "7}}"));
    ck_assert(match_text("{\"ids\": [1, \"2\"]}", "{\"ids\": [\"1\", 2]}"));
    ck_assert(!match_text("{\"ids\": [1, 2]}", "{\"ids\": [2, 1]}"));
}
END_TEST

START_TEST(test_absent_matches_a_missing_or_null_key_and_its_negation_the_rest)
{
    static const char absent[] = "{\"update_time\": {\"$absent\": true}}";
    static const char present[] = "{\"update_time\": {\"$absent\": false}}";
    ck_assert(match_text(absent, "{}"));
    ck_assert(match_text(absent, "{\"update_time\": null}"));
    ck_assert(!match_text(absent, "{\"update_time\": 0}"));
    ck_assert(!match_text(present, "{}"));
    ck_assert(!match_text(present, "{\"update_time\": null}"));
    ck_assert(match_text(present, "{\"update_time\": 1700000000}"));
    ck_assert(match_text("{\"u\": null}", "{}"));
    ck_assert(match_text("{\"u\": null}", "{\"u\": null}"));
    ck_assert(!match_text("{\"u\": null}", "{\"u\": \"\"}"));
    ck_assert(!match_text("{\"u\": 1}", "{}"));
    ck_assert(!match_text("{\"u\": 1}", "{\"u\": null}"));
}
END_TEST

START_TEST(test_null_matchers_match_anything_and_a_missing_value_is_empty)
{
    struct dd_json_doc d;
    struct dd_json_error e;
    ck_assert(scn_args_match(NULL, NULL));
    ck_assert_int_eq(
        dd_json_parse("{\"a\": {\"$absent\": true}}", 24, NULL, &d, &e), 0);
    ck_assert(scn_args_match(d.root, NULL));
    dd_json_doc_free(&d);
    ck_assert_int_eq(dd_json_parse("{\"a\": 1}", 8, NULL, &d, &e), 0);
    ck_assert(!scn_args_match(d.root, NULL));
    ck_assert(scn_args_match(NULL, d.root));
    dd_json_doc_free(&d);
}
END_TEST

START_TEST(test_final_fields_match_the_state_without_the_entity_key)
{
    static const char ex[] =
        "[{\"level\": \"MUST\", \"final\": {\"sku_order\": "
        "\"6920000000000010001\", \"status\": \"cancelled\", \"refunded\": "
        "100}}]";
    struct scn_scenario *s = load_parts(NULL, NULL, ex);
    const struct scn_expect *e = &s->expects[0];
    ck_assert_int_eq(e->entity, SCN_ENTITY_SKU_ORDER);
    ck_assert_int_eq(e->entity_id, INT64_C(6920000000000010001));
    struct dd_json_doc d;
    struct dd_json_error je;
    static const char ok[] =
        "{\"sku_order_id\": \"6920000000000010001\", \"status\": "
        "\"cancelled\", \"refunded\": \"100\", \"quantity\": 1}";
    static const char bad[] = "{\"status\": \"cancelled\", \"refunded\": 50}";
    ck_assert_int_eq(dd_json_parse(ok, strlen(ok), NULL, &d, &je), 0);
    ck_assert(scn_final_match(e, d.root));
    dd_json_doc_free(&d);
    ck_assert_int_eq(dd_json_parse(bad, strlen(bad), NULL, &d, &je), 0);
    ck_assert(!scn_final_match(e, d.root));
    dd_json_doc_free(&d);
    ck_assert(!scn_final_match(e, NULL));
    scn_scenario_free(s);
}
END_TEST

Suite *scenario_suite(void)
{
    Suite *s = suite_create("scenario");
    TCase *tc = tcase_create("load");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_every_example_scenario_loads_without_problems);
    tcase_add_test(tc,
                   test_every_bad_scenario_reports_exactly_its_expected_lines);
    tcase_add_test(tc, test_a_file_that_cannot_be_read_is_reported_at_1_1);
    tcase_add_test(tc,
                   test_the_first_example_loads_with_the_documented_defaults);
    tcase_add_test(tc, test_conditions_and_options_are_read_as_written);
    tcase_add_test(tc, test_a_scenario_without_timeline_or_expectations_loads);
    tcase_add_test(tc, test_any_bytes_are_refused_without_a_crash);
    tcase_add_test(tc,
                   test_a_line_break_in_a_string_is_echoed_escaped_on_one_line);
    suite_add_tcase(s, tc);

    tc = tcase_create("order");
    tcase_add_test(
        tc,
        test_a_step_may_use_an_after_sale_applied_for_earlier_at_the_same_second);
    tcase_add_test(
        tc, test_a_step_chained_after_the_application_may_use_its_after_sale);
    tcase_add_test(
        tc,
        test_a_step_after_an_unrelated_call_may_not_use_an_applied_after_sale);
    tcase_add_test(tc, test_a_window_that_fits_the_run_exactly_is_accepted);
    suite_add_tcase(s, tc);

    tc = tcase_create("match");
    tcase_add_test(
        tc, test_matchers_compare_numbers_and_numeric_strings_as_integers);
    tcase_add_test(tc, test_matchers_compare_other_scalars_by_value_or_exactly);
    tcase_add_test(
        tc, test_matchers_look_only_at_the_keys_they_name_at_every_depth);
    tcase_add_test(tc, test_matchers_compare_arrays_element_by_element);
    tcase_add_test(
        tc,
        test_absent_matches_a_missing_or_null_key_and_its_negation_the_rest);
    tcase_add_test(
        tc, test_null_matchers_match_anything_and_a_missing_value_is_empty);
    tcase_add_test(tc,
                   test_final_fields_match_the_state_without_the_entity_key);
    suite_add_tcase(s, tc);
    return s;
}
