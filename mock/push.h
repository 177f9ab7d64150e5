/*
 * push.h: signed push delivery of refund messages (doudian-open-api.md §5;
 * doudian-shipping-and-operations.md §6).
 *
 * Per app a subscription (callback URL, tags; world.h struct
 * mock_subscription) set through the admin API or the world file; a tag
 * "0" verification message is pushed when subscribing. Messages are
 * batched into a JSON array of {tag, msg_id, data} (data a JSON string)
 * and POSTed with headers `app-id` and `event-sign`
 * (md5(app_key + body + app_secret)). Success is HTTP 200 with
 * {"code":0,...}; anything else, a timeout or a connection error is
 * retried with exponential backoff (settings push_*): at-least-once.
 * Forged pushes (injected through the admin API) are sent once and never
 * retried. Delivery runs on libcurl's multi interface inside the server's
 * event loop (its sockets join the server's epoll set), so it never blocks
 * API serving. Every attempt goes to the delivery log (queryable through
 * the admin API) and to the journal (kind "push").
 *
 * Admin calls (push.c, mock_admin_push; curl examples in mock/README.md,
 * "Push delivery"): PUT/POST/GET/DELETE /_mock/worlds/K/subscription,
 * GET /_mock/deliveries, POST /_mock/worlds/K/push/forged and
 * POST /_mock/worlds/K/push/synthetic (a load-test tool).
 *
 * push.c and main.c (the --scenario hook runner) are the files of the
 * mock that include <curl/curl.h>.
 */
#ifndef MOCK_PUSH_H
#define MOCK_PUSH_H

#include <stddef.h>
#include <stdint.h>

struct mock_server;
struct mock_world;
struct mock_event;

struct mock_push;

/* Creates the push engine of a server (its curl multi handle registers
 * sockets in s->epoll_fd). Returns NULL with a message on failure. */
struct mock_push *mock_push_new(struct mock_server *s, char *err,
                                size_t errlen);
void mock_push_free(struct mock_push *p);

/* Empties the delivery log (POST /_mock/reset). Sequence numbers keep
 * counting. Safe with NULL. */
void mock_push_clear_log(struct mock_push *p);

/* Queues the message of event `e` (tag >= 200) of world `w` for delivery
 * when the world's subscription wants that tag; takes e->data (sets it to
 * NULL). */
void mock_push_enqueue(struct mock_push *p, struct mock_world *w,
                       struct mock_event *e);

/* Milliseconds until the engine needs to run again (curl timeouts, due
 * retries), or -1 when idle. */
int64_t mock_push_wait_ms(struct mock_push *p, int64_t now_ms);

/* True when fd is one of the engine's sockets; then handles its events. */
int mock_push_socket_event(struct mock_push *p, int fd, uint32_t events);

/* Starts due deliveries and lets curl make progress; collects finished
 * transfers (success, failure -> retry with backoff). */
void mock_push_run(struct mock_push *p, int64_t now_ms);

/* NULL when `url` (len bytes) is acceptable as a push callback URL
 * ("http://" or "https://", at most 2048 printable ASCII characters, no
 * spaces), else a static message saying why not. Used by the admin API
 * and by world files. */
const char *mock_push_url_problem(const char *url, size_t len);

#endif
