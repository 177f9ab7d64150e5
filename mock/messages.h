/*
 * messages.h: the `data` of refund push messages (doudian-open-api.md
 * §5.6), built from the world at the moment of the change.
 *
 * Ids (p_id, s_id, shop_id, aftersale_id) are JSON numbers exact to 19
 * digits, amounts in fen, times in Unix seconds, and update_time an
 * RFC 3339 string with +08:00 ("2022-09-02T10:27:50+08:00"), as the
 * official Java SDK's message classes model them.
 */
#ifndef MOCK_MESSAGES_H
#define MOCK_MESSAGES_H

#include <stdint.h>

#include "dd_buf.h"

struct mock_world;

/* Appends the data JSON object of message `tag` (200..208) about
 * after-sale `as` at time `now`: the common refund fields plus the tag's
 * own (§5.6 table). */
void mock_message_data(const struct mock_world *w, int tag, uint32_t as,
                       int64_t now, struct dd_buf *out);

/* Everything a refund message's data shows, so that messages about
 * after-sales that exist nowhere (forged pushes, push.c) are written by the
 * same code as the genuine ones. */
struct mock_message_fields {
    int64_t p_id, s_id, shop_id, aftersale_id;
    int32_t aftersale_status, aftersale_type;
    int64_t refund_amount, refund_post_amount;
    int32_t reason_code;
    int64_t update_time; /* Unix seconds, written as RFC 3339 */
    int64_t apply_time;  /* 200 */
    int64_t return_time; /* 203: when the buyer shipped the return (0: now) */
    int64_t refund_time; /* 206: when the refund was paid (0: now) */
    int32_t op_role;     /* 201: 1 buyer, 2 merchant, 3 service, 4 system */
};

/* Fills `f` from after-sale `as` of world `w` as it is now. */
void mock_message_fields_of(const struct mock_world *w, uint32_t as,
                            struct mock_message_fields *f);

/* Appends the data JSON object of message `tag` (200..208) with the values
 * of `f`; `now` is the time of the event (agree_time, refuse_time, ...). */
void mock_message_write(const struct mock_message_fields *f, int tag,
                        int64_t now, struct dd_buf *out);

/* Formats Unix seconds as RFC 3339 in Beijing time
 * ("2023-11-15T06:13:20+08:00"). */
void mock_rfc3339(int64_t unix_seconds, char out[26]);

#endif
