/* TEMPORARY scaffold so the tree links while messages.c is being written. */
#include "messages.h"
#include "world.h"
void mock_message_data(const struct mock_world *w, int tag, uint32_t as,
                       int64_t now, struct dd_buf *out)
{
    (void)w;
    (void)tag;
    (void)as;
    (void)now;
    dd_buf_puts(out, "{}");
}
void mock_rfc3339(int64_t unix_seconds, char out[26])
{
    (void)unix_seconds;
    out[0] = '\0';
}
