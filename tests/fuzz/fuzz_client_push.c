/*
 * fuzz_client_push.c: libFuzzer target for what the push receiver reads
 * from outside (client/ddc_push.c; doudian-open-api.md §5.1).
 *
 * The input is a pushed body. ddc_push_parse must return 0 or an error
 * and, on success, messages whose strings are non-NULL and whose `data`
 * is valid JSON; ddc_push_check must accept the body signed with the right
 * key exactly when it parses, and refuse it with a wrong app-id or a wrong
 * event-sign without parsing it at all.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dd_json.h"
#include "dd_sign.h"
#include "ddc_push.h"
#include "fuzz_check.h"

static const char KEY[] = "1234567890123456789";
static const char SECRET[] = "fuzz-secret";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *body = (const char *)data;
    char err[160];
    struct ddc_push_batch b;
    int rc = ddc_push_parse(body, size, &b, err, sizeof err);
    if (rc == 0) {
        CHECK(b.n <= DDC_PUSH_BATCH_MAX);
        for (size_t i = 0; i < b.n; i++) {
            const struct ddc_push_msg *m = &b.msgs[i];
            CHECK(m->tag && m->tag[0] && m->msg_id && m->msg_id[0]);
            CHECK(m->data && m->update_time);
            struct dd_json_doc doc;
            CHECK(dd_json_parse(m->data, m->data_len, NULL, &doc, NULL) == 0);
            dd_json_doc_free(&doc);
        }
    } else {
        CHECK(b.n == 0 && b.msgs == NULL);
    }
    ddc_push_batch_free(&b);

    char sign[33];
    dd_push_sign(KEY, body, size, SECRET, sign);
    struct ddc_push_batch c;
    enum ddc_push_verdict v =
        ddc_push_check(KEY, SECRET, KEY, sign, body, size, &c, err, sizeof err);
    CHECK(v == (rc == 0 ? DDC_PUSH_ACCEPTED : DDC_PUSH_MALFORMED));
    ddc_push_batch_free(&c);

    sign[0] = sign[0] == '0' ? '1' : '0';
    CHECK(ddc_push_check(KEY, SECRET, KEY, sign, body, size, &c, err,
                         sizeof err) == DDC_PUSH_BAD_SIGN);
    CHECK(c.n == 0);
    CHECK(ddc_push_check(KEY, SECRET, "1234567890123456780", sign, body, size,
                         &c, err, sizeof err) == DDC_PUSH_BAD_APP_ID);
    CHECK(c.n == 0);
    return 0;
}
