/*
 * worldfile.h: worlds from JSON world files, the built-in default world,
 * the load generator, and dumps (snapshots) back to the same format.
 *
 * The format is documented in mock/WORLD.md. A scenario file (a later
 * issue) embeds the same object, so the loader takes a parsed dd_json value
 * plus the file name for messages. Times are relative to the moment the
 * world is loaded ("now-2h", "now", "now+30m") or absolute Unix seconds
 * (what dumps write), so worlds never age out of the 6-month and 90-day
 * query windows. Ids are strings of digits (numbers are accepted too).
 * Credentials are optional and generated when absent.
 *
 * Errors: every problem found (not just the first) is appended to `errs`,
 * one per line, as "file:line:col: message".
 */
#ifndef MOCK_WORLDFILE_H
#define MOCK_WORLDFILE_H

#include <stdint.h>

#include "dd_buf.h"
#include "dd_json.h"
#include "dd_jw.h"
#include "world.h"

/* Builds a world from a parsed world object. `file` names the source in
 * messages. `defaults` are the process settings the file's "settings"
 * override. Returns the new world, or NULL with every problem in `errs`. */
struct mock_world *mock_world_from_json(const struct dd_json *root,
                                        const char *file,
                                        const struct mock_settings *defaults,
                                        uint64_t seed, int64_t now,
                                        struct dd_buf *errs);

/* Reads and loads a world file. Same returns; read and JSON errors are
 * reported as file:line:col too. */
struct mock_world *mock_world_load_file(const char *path,
                                        const struct mock_settings *defaults,
                                        uint64_t seed, int64_t now,
                                        struct dd_buf *errs);

/* The built-in default world (documented in mock/WORLD.md): one self-use
 * app, one shop with both assistant strategies on, a few products, orders
 * and after-sales of each kind in each state the refund flows reach. */
struct mock_world *mock_world_default(const struct mock_settings *defaults,
                                      uint64_t seed, int64_t now);

/* Parses a generator spec "shops=1,orders=N,aftersales=M" into counts.
 * Returns 0 or -1 with a message in err. */
struct mock_gen_spec {
    uint32_t shops, orders, aftersales;
};
int mock_gen_parse(const char *spec, struct mock_gen_spec *out, char *err,
                   size_t errlen);

/* Generates a world for load: deterministic for a seed. */
struct mock_world *mock_world_generate(const struct mock_gen_spec *spec,
                                       const struct mock_settings *defaults,
                                       uint64_t seed, int64_t now);

/* Writes the whole world in the world-file format with absolute times, so
 * that mock_world_from_json restores it exactly (credentials included). */
void mock_world_dump(const struct mock_world *w, struct dd_jw *out);

/* Writes the compact state the judge reads (a run's "final" journal entry,
 * the hook events' snapshots): {"aftersales": {ID: {order_id, sku_order_id,
 * type, status, refund_status, refund_type, refund_amount,
 * refund_post_amount, quantity, got_pkg, arbitrate_status, apply_time,
 * update_time, refund_time, final}}, "orders": {ID: {status, shop_id}},
 * "sku_orders": {ID: {order_id, status, quantity, paid, refunded,
 * open_aftersale (an id or null)}}, "refunds": [{time, aftersale_id,
 * sku_order_id, amount, via}]}. Ids are strings; names are the world
 * file's (mock/WORLD.md). */
void mock_world_state(const struct mock_world *w, struct dd_jw *out);

#endif
