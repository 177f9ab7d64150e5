/*
 * mock_util.h: end-to-end test support for ddmock.
 *
 * Starts a mock server in-process on 127.0.0.1 port 0 with its event loop
 * on its own thread (that thread owns the worlds, as in production), and
 * calls it over real HTTP with libcurl, signing requests like an SDK would.
 * Tests read and change world state only through HTTP (API or admin), never
 * by touching the server's memory while the loop runs.
 *
 * Lifecycle: tmock_start, any number of calls, tmock_stop. Every call below
 * goes through one CURL easy handle, so they share one keep-alive
 * connection; after each one the answer's body, its header lines and what
 * libcurl says about the connection are kept in the struct tmock.
 */
#ifndef DD_TEST_MOCK_UTIL_H
#define DD_TEST_MOCK_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dd_buf.h"
#include "dd_envelope.h"
#include "dd_json.h"
#include "dd_sign.h"
#include "server.h"

struct tmock {
    struct mock_server srv;
    void *thread;     /* pthread_t, boxed */
    char base[64];    /* "http://127.0.0.1:PORT" */
    uint16_t port;    /* the bound port */
    char app_key[20]; /* the default world's */
    char app_secret[40];
    char shop_id[24];
    char token[40]; /* after tmock_token */
    void *curl;     /* one CURL easy handle: keep-alive */
    /* About the last answer of any helper below: */
    struct dd_buf last_body;    /* its body */
    struct dd_buf last_headers; /* its header lines as received */
    long last_connects;   /* CURLINFO_NUM_CONNECTS: 0 = connection reused */
    long last_local_port; /* CURLINFO_LOCAL_PORT */
};

/* Starts a server with the default world. `sets` may be NULL; each
 * "name=value" of the NULL-terminated `sets` is applied to the defaults
 * first. Aborts the test on failure. */
void tmock_start(struct tmock *t, const char *const *sets);

/* Everything tmock_start_cfg can change; zero-initialised = tmock_start. */
struct tmock_config {
    const char *const *sets; /* as for tmock_start */
    const char *admin_token; /* --admin-token: required on /_mock/ */
};

/* tmock_start with more choices. `cfg` may be NULL. */
void tmock_start_cfg(struct tmock *t, const struct tmock_config *cfg);

/* Stops the loop, joins the thread, frees everything. */
void tmock_stop(struct tmock *t);

/* How to send one API request. Zero-initialised = the common case: POST,
 * md5, seconds timestamp now, param_json as the raw body, the token from
 * tmock_token when there is one. */
struct tcall_opts {
    const char *path;         /* default: derived from the method */
    const char *app_key;      /* default: t->app_key; "" = omit */
    const char *secret;       /* default: t->app_secret */
    const char *timestamp;    /* default: now in seconds; "" = omit */
    const char *access_token; /* default: t->token; "" = omit */
    const char *sign;         /* default: computed; "" = omit */
    const char *method_param; /* default: the method; "" = omit */
    bool hmac;                /* sign with hmac-sha256 */
    bool html_safe;           /* sign the HTML-safe canonical form */
    bool get;                 /* GET with param_json in the query */
    bool form;                /* POST as a form with every parameter */
    bool corrupt_sign;        /* flip the last hex digit of the sign */
    const char *sign_method;  /* sent as is; default: "hmac-sha256" with
                                 hmac, else absent; "" = omit */
};

/* Sends `method` with `param_json` (NULL = no body) and parses the
 * envelope into `env` (free with dd_envelope_free). Returns the HTTP
 * status (aborts the test on a transport error or a body that is not an
 * envelope). */
long tcall(struct tmock *t, const char *method, const char *param_json,
           const struct tcall_opts *o, struct dd_envelope *env);

/* Gets a token with authorization_self for the default shop into
 * t->token. */
void tmock_token(struct tmock *t);

/* Sends an admin call (verb, path under the base URL, optional JSON
 * body); returns the HTTP status and the body in `out` (a new string, free
 * with free()). */
long tadmin(struct tmock *t, const char *verb, const char *path,
            const char *body, char **out);

/* tadmin with extra request header lines ("Name: value", NULL-terminated
 * list, may be NULL). */
long tadmin_hdr(struct tmock *t, const char *verb, const char *path,
                const char *body, const char *const *headers, char **out);

/*
 * Sends one request as given, without aborting on a transport error:
 * `verb` (NULL = GET), `target` (path and query, appended to the base URL
 * as is; libcurl's path squashing is off), `body` of `body_len` bytes
 * (NULL = none), extra header lines (NULL-terminated, may be NULL).
 * Returns libcurl's result code (0 = an answer arrived; then *status holds
 * the HTTP status and t->last_body the body).
 */
int thttp(struct tmock *t, const char *verb, const char *target,
          const char *body, size_t body_len, const char *const *headers,
          long *status);

/*
 * Writes `len` raw bytes to a new TCP connection to the server, then, with
 * `half_close`, shuts down the writing side; reads the answer for at most
 * about `wait_ms` milliseconds or until the server closes, into `reply`
 * (NUL-terminated, at most cap - 1 bytes). Returns the number of bytes read.
 * Aborts the test when it cannot connect.
 */
size_t traw(struct tmock *t, const void *data, size_t len, bool half_close,
            int wait_ms, char *reply, size_t cap);

/* Adds a world (a world file with fixed credentials) through the admin
 * API and makes it the one t calls: its app_key, secret and shop, with a
 * fresh token. */
void tmock_use_world(struct tmock *t, const char *world, const char *app_key,
                     const char *secret, const char *shop_id);

/* Asserts a success envelope with data; returns it. */
const struct dd_envelope *tok(const struct dd_envelope *e);

/* Asserts an error envelope with this code, sub_code and (when not NULL)
 * sub_msg. */
void tfails(const struct dd_envelope *e, int64_t code, const char *sub_code,
            const char *sub_msg);

/* The integer at a dotted path of env->data, which must be a JSON number;
 * the text there, which must be a JSON string; the length of the array
 * there. Each asserts its shape. */
int64_t tnum(const struct dd_envelope *e, const char *path);
const char *tstr(const struct dd_envelope *e, const char *path);
size_t tcount(const struct dd_envelope *e, const char *path);

/* Asserts that env is an error with `code` and `sub_code`. */
void texpect_error(const struct dd_envelope *env, int64_t code,
                   const char *sub_code);

/* Reads a string/number field at a dotted path in env->data
 * ("items.0.aftersale_info.aftersale_id"); NULL when absent. The text is
 * borrowed from env. */
const char *tfield(const struct dd_envelope *env, const char *path);

/* The node at a dotted path in env->data, or NULL. */
const struct dd_json *tnode(const struct dd_envelope *env, const char *path);

/* Parses `text` as JSON into `doc` and returns its root (aborts the test
 * when it is not JSON). Free with dd_json_doc_free. */
const struct dd_json *tjson(const char *text, struct dd_json_doc *doc);

/* The node at a dotted path under `v` (array elements by index), or NULL. */
const struct dd_json *tjnode(const struct dd_json *v, const char *path);

/* The text of the string or number at a dotted path under `v`, or NULL.
 * Borrowed from the document. */
const char *tjstr(const struct dd_json *v, const char *path);

/* A signed API call like tcall with the default options, that never aborts
 * on a transport error (for injected resets and truncated bodies).
 * Returns libcurl's result code (0 = a whole answer arrived); *status
 * holds the HTTP status, t->last_body what arrived of the body. */
int tcall_try(struct tmock *t, const char *method, const char *param_json,
              long *status);

/* Makes `c` a second client of t's server: the same base URL, credentials
 * and token, and a CURL handle (so a connection) of its own; it can be
 * used from another thread than t. Only the call helpers work on it (it
 * starts and stops no server). Close with tmock_client_close. */
void tmock_client(struct tmock *c, const struct tmock *t);
void tmock_client_close(struct tmock *c);

#endif
