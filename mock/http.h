/*
 * http.h: the HTTP front of ddmock, the one module that knows libmicrohttpd.
 *
 * It runs a libmicrohttpd daemon in external-epoll mode with no threads of
 * its own: the daemon's epoll fd is watched by the server's event loop
 * (server.c), which calls mock_http_run when it is ready or when
 * mock_http_timeout_ms says so. Each request (doudian-open-api.md §1.3: the
 * system parameters in the query string, `param_json` as the raw body) is
 * collected, with its raw request target and a capped body, into a struct
 * mock_request and handed to mock_route (router.h) on the loop thread; the
 * answer goes back as the router wrote it. A body over the cap
 * (settings.body_max_bytes) is answered by this module, HTTP 200 with the
 * platform's 40003 isv.parameter-invalid envelope, as the gateway answers
 * every API error (open-api §1.3), and journalled.
 *
 * No other file includes <microhttpd.h>; none of its types leak out.
 */
#ifndef MOCK_HTTP_H
#define MOCK_HTTP_H

#include <stddef.h>
#include <stdint.h>

struct mock_server;
struct mock_http;

/*
 * Starts the daemon bound to `bind_addr` (an IPv4 or IPv6 literal, or
 * "localhost") on `port` (0 = any free port). Requests are routed to `s`,
 * which is borrowed and must outlive the daemon. From the return on, the
 * socket accepts connections (they are served once the loop runs). Returns
 * a new front, free with mock_http_stop; or NULL with a message in err.
 */
struct mock_http *mock_http_start(struct mock_server *s, const char *bind_addr,
                                  uint16_t port, char *err, size_t errlen);

/* Closes every connection and the listening socket, and frees `h` (NULL is
 * a no-op). Requests still in flight are dropped. */
void mock_http_stop(struct mock_http *h);

/* The bound port (the real one when started on port 0). */
uint16_t mock_http_port(const struct mock_http *h);

/* The daemon's epoll fd, for the loop to watch for input (EPOLLIN). */
int mock_http_epoll_fd(const struct mock_http *h);

/*
 * How long the loop may sleep before mock_http_run must be called again, in
 * milliseconds: 0 when the daemon has work pending (also when a held
 * answer was released since the last mock_http_run: libmicrohttpd sends a
 * resumed connection's answer only when it runs again), -1 when it needs
 * no wake-up of its own (only fd readiness).
 */
int64_t mock_http_timeout_ms(struct mock_http *h);

/* Does every piece of HTTP work that is ready without blocking: accepts,
 * reads, calls the router, writes, expires idle connections. Returns 0, or
 * -1 when the daemon refused to run (a programming error). */
int mock_http_run(struct mock_http *h);

/* A fresh ticket for an answer to hold (struct mock_response
 * hold_ticket): the answer to a long-poll is held like an injected delay
 * and may be replaced and sent sooner with mock_http_answer_held. */
uint64_t mock_http_ticket(struct mock_http *h);

/*
 * Replaces the held answer of `ticket` by `len` bytes of `body` (a JSON
 * text, HTTP `status`) and sends it now, without waiting for its delay to
 * pass. Returns 0, or -1 when no answer with that ticket is held any more
 * (its delay passed and it went out): then nothing was sent. A client that
 * hung up meanwhile is not noticed while its connection is suspended, so
 * 0 does not prove that the answer arrived. Loop thread only; may be
 * called from within a request handler (libmicrohttpd resumes the
 * connection on its next run).
 */
int mock_http_answer_held(struct mock_http *h, uint64_t ticket, int status,
                          const char *body, size_t len);

/* The last message libmicrohttpd logged ("" when none). Borrowed. */
const char *mock_http_last_error(const struct mock_http *h);

#endif
