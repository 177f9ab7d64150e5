/*
 * fuzz_judge.c: libFuzzer target for the judge (conformance/judge.c):
 * a fixed scenario, the fuzz input as the run's journal (JSONL).
 *
 * The scenario has a bit of everything the judge looks at: an `at` step
 * and a hook step chained after a call, call expectations with and
 * without a window, a no_call, finals of each entity kind. Beyond "never
 * crash", every judgement must keep the contract of judge.h: one result
 * per expectation, the verdict is the first (worst) finding's, findings
 * come worst first, every sentence is one non-empty line of at most
 * CONF_SENTENCE_MAX bytes, and the JSON form parses. conf_judge_decided
 * runs on the same input. The seed corpus (tests/fuzz/corpus/fuzz_judge/)
 * holds journals of the unit tests' fixtures.
 * Built by `make fuzz` (clang, -fsanitize=fuzzer,address,undefined).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dd_buf.h"
#include "dd_json.h"
#include "dd_jw.h"
#include "fuzz_check.h"
#include "judge.h"
#include "scenario.h"

static const char scenario_text[] =
    "{\"format\": 1, \"info\": {\"id\": 9199, \"title\": \"fuzz\","
    " \"situation\": \"s\", \"correct_erp\": \"c\"},"
    " \"world\": {\"shops\": [{\"shop_id\": \"10000004\"}],"
    "  \"products\": [{\"product_id\": \"3600000000000004001\","
    "    \"skus\": [{\"sku_id\": \"1760000000000004001\", \"price\": 5900}]},"
    "   {\"product_id\": \"3600000000000004002\","
    "    \"skus\": [{\"sku_id\": \"1760000000000004002\", \"price\": 8900}]}],"
    "  \"orders\": [{\"order_id\": \"6920000000000040001\","
    "    \"shop_id\": \"10000004\", \"create_time\": \"now-3h\","
    "    \"sku_orders\": ["
    "     {\"sku_order_id\": \"6920000000000040001\","
    "      \"sku_id\": \"1760000000000004001\"},"
    "     {\"sku_order_id\": \"6920000000000040002\","
    "      \"sku_id\": \"1760000000000004002\"}]}]},"
    " \"options\": {\"hook\": true},"
    " \"timeline\": ["
    "  {\"id\": \"apply\", \"at\": 1, \"do\": \"buyer.apply\","
    "   \"with\": {\"aftersale_id\": \"7100000000000000001\","
    "    \"sku_order_id\": \"6920000000000040002\","
    "    \"type\": \"unshipped_refund\"}},"
    "  {\"id\": \"ship\", \"after\": {\"call\": "
    "\"afterSale.CancelSendGoodsSuccess\", \"answered\": \"success\","
    "    \"args\": {\"aftersale_id\": \"7100000000000000001\"}},"
    "   \"delay\": 1, \"do\": \"warehouse.ship_request\","
    "   \"with\": {\"shop_order_id\": \"6920000000000040001\","
    "    \"sku_order_ids\": [\"6920000000000040001\"]}}],"
    " \"expect\": ["
    "  {\"id\": \"writeback\", \"level\": \"MUST\","
    "   \"call\": \"afterSale.CancelSendGoodsSuccess\","
    "   \"args\": {\"aftersale_id\": \"7100000000000000001\"},"
    "   \"of\": \"apply\", \"within\": 30, \"answered\": \"success\","
    "   \"because\": \"an unshipped refund is written back\"},"
    "  {\"level\": \"SHOULD\", \"call\": \"afterSale.CancelSendGoodsSuccess\","
    "   \"args\": {\"aftersale_id\": \"7100000000000000001\"},"
    "   \"at_least\": 0, \"at_most\": 1},"
    "  {\"level\": \"MUST\", \"call\": \"order.logisticsAdd\","
    "   \"args\": {\"order_id\": \"6920000000000040001\"}, \"of\": \"ship\","
    "   \"within\": 20},"
    "  {\"level\": \"MUST\", \"no_call\": \"afterSale.operate\","
    "   \"args\": {\"type\": 202}},"
    "  {\"level\": \"MUST\", \"final\": {\"aftersale\": "
    "\"7100000000000000001\", \"status\": 12}},"
    "  {\"level\": \"SHOULD\", \"final\": {\"order\": "
    "\"6920000000000040001\", \"status\": \"partly_shipped\"}},"
    "  {\"level\": \"MUST\", \"final\": {\"sku_order\": "
    "\"6920000000000040002\", \"status\": \"cancelled\", \"refunded\": "
    "8900}}]}";

static struct scn_scenario *scenario(void)
{
    static struct scn_scenario *s;
    if (!s) {
        struct dd_buf errs;
        dd_buf_init(&errs, 0);
        s = scn_scenario_parse("fuzz-judge.json", scenario_text,
                               sizeof scenario_text - 1, &errs);
        if (!s) {
            fprintf(stderr, "the fixed scenario does not load:\n%s",
                    dd_buf_str(&errs));
            abort();
        }
        dd_buf_free(&errs);
    }
    return s;
}

static void check_sentence(const char *s)
{
    CHECK(s != NULL && *s);
    CHECK(strlen(s) <= CONF_SENTENCE_MAX);
    CHECK(strchr(s, '\n') == NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct scn_scenario *s = scenario();
    const char *text = (const char *)data;
    struct conf_judgement j;
    CHECK(conf_judge(s, text, size, &j) == 0);
    CHECK(j.n_expects == s->n_expects);
    check_sentence(j.sentence);
    CHECK(j.verdict == (j.n_findings ? j.findings[0].verdict : CONF_PASS));
    for (size_t i = 0; i < j.n_findings; i++) {
        check_sentence(j.findings[i].sentence);
        CHECK(j.findings[i].rule && *j.findings[i].rule);
        if (i)
            CHECK(j.findings[i].verdict <= j.findings[i - 1].verdict);
    }

    struct dd_buf out;
    struct dd_jw w;
    dd_buf_init(&out, 0);
    dd_jw_init(&w, &out);
    conf_judgement_write_json(&j, s, &w);
    CHECK(dd_jw_error(&w) == 0);
    struct dd_json_doc doc;
    CHECK(dd_json_parse(out.data, out.len, NULL, &doc, NULL) == 0);
    dd_json_doc_free(&doc);
    dd_buf_free(&out);
    conf_judgement_free(&j);

    int64_t at = -1;
    bool d = conf_judge_decided_at(s, text, size, 1700000030000000, 6.0, &at);
    CHECK(d == conf_judge_decided(s, text, size, 1700000030000000, 6.0));
    CHECK(d ? at == 0 : at == 0 || at > 1700000030000000);
    (void)conf_judge_decided(s, text, size, INT64_MAX, 1e300);
    return 0;
}
