/*
 * messages.c: the `data` JSON of refund push messages 200-208
 * (doudian-open-api.md §5.6, tags of §5.5), written when the world changes
 * so that a message shows the after-sale as it was at that moment.
 *
 * The common fields are those of the official Java SDK's refund_* classes
 * (store_id and refund_voucher_num always 0); ids, amounts and times are
 * JSON numbers written from int64, never a double; update_time is RFC 3339
 * in Beijing time. Choices where the sources are silent (mock/README.md,
 * "Push delivery"): 200 and 208 leave out return_book_info; 201's op_role
 * is the role of the last record before the refund (a buyer's counts as
 * the system's); 202's addr is a fixed fake address, a JSON text in a
 * string.
 */
#include "messages.h"

#include <string.h>
#include <time.h>

#include "dd_jw.h"
#include "world.h"

/* The role of the last record that is not the platform's own "refund"
 * entry: who made the platform refund (201 op_role). */
static int32_t refund_role(const struct mock_aftersale *a)
{
    int32_t role = MOCK_ROLE_SYSTEM;
    for (const struct mock_record *r = a->records; r; r = r->next)
        if (!r->action || strcmp(r->action, "refund") != 0)
            role = r->role;
    return role == MOCK_ROLE_BUYER ? MOCK_ROLE_SYSTEM : role;
}

void mock_message_fields_of(const struct mock_world *w, uint32_t as,
                            struct mock_message_fields *f)
{
    const struct mock_aftersale *a = &w->aftersales.v[as];
    const struct mock_sku_order *so = &w->sku_orders.v[a->sku_order];
    const struct mock_order *o = &w->orders.v[a->order];
    memset(f, 0, sizeof *f);
    f->p_id = o->order_id;
    f->s_id = so->sku_order_id;
    f->shop_id = w->shops.v[o->shop].shop_id;
    f->aftersale_id = a->aftersale_id;
    f->aftersale_status = a->status;
    f->aftersale_type = a->type;
    f->refund_amount = a->refund_amount;
    f->refund_post_amount = a->refund_post_amount;
    f->reason_code = a->reason_code;
    f->update_time = a->update_time;
    f->apply_time = a->apply_time;
    f->return_time = a->return_ship_time;
    f->refund_time = a->refund_time;
    f->op_role = refund_role(a);
}

/* The fake return address of message 202 (no address book in the mock).
 * Flat keys as the spec lists them; region ids are real GB/T 2260 codes. */
static const char return_addr[] =
    "{\"province\":\"浙江省\",\"province_id\":33,\"city\":\"杭州市\","
    "\"city_id\":3301,\"town\":\"西湖区\",\"town_id\":330106,"
    "\"street\":\"文新街道\",\"street_id\":330106011,"
    "\"detail\":\"文一西路 100 号 dd-harness 退货仓\","
    "\"name\":\"退货仓\",\"mobile\":\"13800000000\"}";

void mock_message_write(const struct mock_message_fields *f, int tag,
                        int64_t now, struct dd_buf *out)
{
    struct dd_jw w;
    char ut[26];
    dd_jw_init(&w, out);
    dd_jw_object_begin(&w);
    dd_jw_kint(&w, "p_id", f->p_id);
    dd_jw_kint(&w, "s_id", f->s_id);
    dd_jw_kint(&w, "shop_id", f->shop_id);
    dd_jw_kint(&w, "store_id", 0);
    dd_jw_kint(&w, "aftersale_id", f->aftersale_id);
    dd_jw_kint(&w, "aftersale_status", f->aftersale_status);
    dd_jw_kint(&w, "aftersale_type", f->aftersale_type);
    dd_jw_kint(&w, "refund_amount", f->refund_amount);
    dd_jw_kint(&w, "refund_post_amount", f->refund_post_amount);
    dd_jw_kint(&w, "refund_voucher_num", 0);
    dd_jw_kint(&w, "reason_code", f->reason_code);
    mock_rfc3339(f->update_time, ut);
    dd_jw_kstr(&w, "update_time", ut);
    switch (tag) {
    case MOCK_TAG_REFUND_CREATED:
        dd_jw_kint(&w, "apply_time", f->apply_time ? f->apply_time : now);
        break;
    case MOCK_TAG_REFUND_AGREED:
        dd_jw_kint(&w, "agree_time", now);
        dd_jw_kint(&w, "op_role", f->op_role ? f->op_role : MOCK_ROLE_SYSTEM);
        break;
    case MOCK_TAG_RETURN_APPLY_AGREED:
        dd_jw_kstr(&w, "addr", return_addr);
        dd_jw_kint(&w, "agree_time", now);
        break;
    case MOCK_TAG_BUYER_RETURN_GOODS:
        dd_jw_kint(&w, "return_time", f->return_time ? f->return_time : now);
        break;
    case MOCK_TAG_REFUND_REFUSED:
    case MOCK_TAG_RETURN_APPLY_REFUSED:
        dd_jw_kint(&w, "refuse_time", now);
        break;
    case MOCK_TAG_REFUND_SUCCESS:
        dd_jw_kint(&w, "success_time", f->refund_time ? f->refund_time : now);
        break;
    case MOCK_TAG_REFUND_CLOSED:
        dd_jw_kint(&w, "close_time", now);
        break;
    case MOCK_TAG_REFUND_MODIFIED:
        dd_jw_kint(&w, "modify_time", now);
        break;
    default:
        break; /* only the common fields */
    }
    dd_jw_object_end(&w);
}

void mock_message_data(const struct mock_world *w, int tag, uint32_t as,
                       int64_t now, struct dd_buf *out)
{
    struct mock_message_fields f;
    mock_message_fields_of(w, as, &f);
    mock_message_write(&f, tag, now, out);
}

/* Writes `n` decimal digits of v (0 <= v < 10^n) at out. */
static void digits(char *out, int n, int v)
{
    for (int i = n - 1; i >= 0; i--) {
        out[i] = (char)('0' + v % 10);
        v /= 10;
    }
}

void mock_rfc3339(int64_t unix_seconds, char out[26])
{
    /* Beijing time has no daylight saving: UTC+8 all year. */
    time_t t = (time_t)(unix_seconds + 8 * 3600);
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    gmtime_r(&t, &tm);
    int year = tm.tm_year + 1900;
    if (year < 0)
        year = 0;
    if (year > 9999)
        year = 9999;
    memcpy(out, "0000-00-00T00:00:00+08:00", 26);
    digits(out, 4, year);
    digits(out + 5, 2, tm.tm_mon + 1);
    digits(out + 8, 2, tm.tm_mday);
    digits(out + 11, 2, tm.tm_hour);
    digits(out + 14, 2, tm.tm_min);
    digits(out + 17, 2, tm.tm_sec);
}
