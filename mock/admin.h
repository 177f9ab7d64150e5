/*
 * admin.h: what the admin API's modules share.
 *
 * admin.c parses an admin call (/_mock/...) into a struct mock_admin_call
 * and offers it to each module's admin handler in turn (actors, push,
 * faults, scenario runs), then handles the rest itself (worlds, journal,
 * settings, ...). A module handler returns true when the call was its own: it
 * has then written the answer with a->w (status 200) or called
 * mock_admin_error. The full list of calls with curl examples is in
 * mock/README.md.
 */
#ifndef MOCK_ADMIN_H
#define MOCK_ADMIN_H

#include <stdbool.h>
#include <stddef.h>

#include "dd_json.h"
#include "dd_jw.h"
#include "dd_params.h"
#include "router.h"
#include "server.h"

struct mock_admin_call {
    struct mock_server *srv;
    const struct mock_request *rq;
    struct mock_response *rs;
    struct dd_query q;        /* decoded query parameters */
    struct dd_jw w;           /* the answer (JSON) */
    char **seg;               /* path segments after /_mock */
    size_t n;                 /* how many */
    struct mock_world *world; /* seg[0]=="worlds" and seg[1] names one */
};

/* True when the call's HTTP verb is `verb`. */
bool mock_admin_is(const struct mock_admin_call *a, const char *verb);

/* Replaces the answer by {"error": "..."} with HTTP `status`. */
void mock_admin_error(struct mock_admin_call *a, int status, const char *fmt,
                      ...) __attribute__((format(printf, 3, 4)));

/* Parses the body as JSON into doc (free with dd_json_doc_free). On a bad
 * body answers 400 ("request:line:col: ...") and returns false. */
bool mock_admin_body_json(struct mock_admin_call *a, struct dd_json_doc *doc);

/* The modules' handlers (see each header). */
bool mock_admin_actors(struct mock_admin_call *a); /* actors.c */
bool mock_admin_push(struct mock_admin_call *a);   /* push.c */
bool mock_admin_faults(struct mock_admin_call *a); /* faults.c */
bool mock_admin_runs(struct mock_admin_call *a);   /* replay.c */

/*
 * Runs one admin call without HTTP, on the loop thread, exactly as if it
 * had come over the wire (the same handlers, the same checks, the outbox
 * drained after it), but without the X-Admin-Token check and without an
 * "admin" journal entry: the caller journals what it did. `path` is the
 * whole admin path ("/_mock/worlds/K/actions/buyer.apply", no query);
 * `body` is body_len bytes (may be NULL when 0). Returns the HTTP status
 * the call would have answered; its answer (a JSON text) replaces the
 * contents of `answer`. The scenario replay engine applies its actions
 * through this, so they never bypass the admin API's code.
 */
int mock_admin_internal(struct mock_server *s, const char *verb,
                        const char *path, const char *body, size_t body_len,
                        struct dd_buf *answer);

#endif
