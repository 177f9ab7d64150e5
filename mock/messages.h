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

/* Formats Unix seconds as RFC 3339 in Beijing time
 * ("2023-11-15T06:13:20+08:00"). */
void mock_rfc3339(int64_t unix_seconds, char out[26]);

#endif
