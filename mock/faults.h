/*
 * faults.h: fault injection, armed through the admin API (issue "ddmock
 * platform behaviour", item 4; the errors are doudian-open-api.md §3, the
 * rate limits §6).
 *
 * A fault is armed on one app (world) and fires N times, or with
 * probability p from its own seeded random stream, or until disarmed;
 * every firing is journalled (kind "fault", method "fault.<kind>"). Each
 * fault draws from its own stream (splitmix64 seeded from the server seed,
 * the world's app_key and the fault's id), so retries and timing elsewhere
 * never shift another fault's draws: the same seed, world and sequence of
 * client calls give the same firings.
 *
 * Kinds: on pushes (push.c asks mock_faults_push for each message): drop,
 * duplicate, reorder, delay, corrupt event-sign, wrong app-id, malformed
 * data. On APIs (the router asks mock_faults_api before the handler): an
 * error of the table for a method (e.g. 20000 isp.service-error, 60000
 * isv.traffic-limited), added latency, connection reset, truncated body;
 * rate limits per app and method answering the real 60000 envelope; page
 * drift on afterSale.List. Token revocation and forced expiry are admin
 * actions of faults.c too. mock/README.md "Fault injection" documents the
 * admin calls and every rule.
 */
#ifndef MOCK_FAULTS_H
#define MOCK_FAULTS_H

#include <stdbool.h>
#include <stdint.h>

#include "dd_errtab.h"
#include "dd_json.h"

/* The members of an arming body (POST /_mock/worlds/K/faults), as bits:
 * bit i is member i of mock_fault_members. */
enum {
    MOCK_FAULT_P_KIND = 1u << 0,
    MOCK_FAULT_P_METHOD = 1u << 1,
    MOCK_FAULT_P_TAG = 1u << 2,
    MOCK_FAULT_P_COUNT = 1u << 3,
    MOCK_FAULT_P_PROB = 1u << 4,
    MOCK_FAULT_P_SUB = 1u << 5,
    MOCK_FAULT_P_DELAY = 1u << 6,
    MOCK_FAULT_P_TRUNC = 1u << 7,
    MOCK_FAULT_P_LIMIT = 1u << 8,
    MOCK_FAULT_P_WINDOW = 1u << 9,
    MOCK_FAULT_P_DRIFT = 1u << 10,
    MOCK_FAULT_P_COPIES = 1u << 11,
};

/* A member of an arming body: its key and its bit. */
struct mock_fault_member {
    const char *name;
    unsigned bit;
};

#define MOCK_FAULT_N_MEMBERS 12

/* The members of an arming body, in the order of their bits; the checks
 * of a scenario's fault steps (scenario.c) read them too. */
extern const struct mock_fault_member mock_fault_members[MOCK_FAULT_N_MEMBERS];

/* A kind of fault: its name ("api_error"), whether it acts on pushes
 * (else on API calls), and the members (bits) its arming body accepts and
 * must have. */
struct mock_fault_kind {
    const char *name;
    bool push;
    unsigned allowed, required;
};

#define MOCK_FAULT_N_KINDS 13

/* The kinds of fault the registry arms, in the order of their codes. */
extern const struct mock_fault_kind mock_fault_kinds[MOCK_FAULT_N_KINDS];

struct mock_server;
struct mock_world;
struct mock_faults;

/* Returns a new, empty registry; free with mock_faults_free. */
struct mock_faults *mock_faults_new(void);
void mock_faults_free(struct mock_faults *f);

/* What the router must do with an API call (all zero: nothing). */
struct mock_api_fault {
    const struct dd_api_error *error; /* answer this row instead */
    int64_t delay_ms;                 /* answer after this much latency */
    bool reset;                       /* close the connection, no answer */
    int64_t truncate_to;              /* send only this many bytes (>= 0
                                         when set; -1 = not set) */
    uint64_t fault_id;                /* for the journal's note */
};

/*
 * Decides the faults of one API call of `method` on world `w`, after the
 * platform checks passed and before the handler runs (rate limits count
 * here too). `shop` is the shop of the call's access token (MOCK_NONE for
 * token.*). May change the world for page drift on afterSale.List
 * (`params` is the call's param_json, an object). `out` must be
 * initialised by the caller (all zero, truncate_to -1). Journals each
 * firing.
 */
void mock_faults_api(struct mock_server *s, struct mock_world *w,
                     const char *method, const struct dd_json *params,
                     uint32_t shop, int64_t now_ms, struct mock_api_fault *out);

/* What push.c must do with one message (all zero: deliver it normally). */
struct mock_push_fault {
    bool drop;          /* never deliver it */
    unsigned duplicate; /* deliver this many extra copies */
    bool reorder;       /* hold it back behind the next message(s) */
    int64_t delay_ms;   /* deliver it this much later */
    bool bad_sign;      /* corrupt event-sign on its next attempt */
    bool bad_app_id;    /* wrong app-id header on its next attempt */
    bool bad_data;      /* malformed data on its next attempt */
};

/* Decides the faults of one message (tag) of world `w` when it is queued;
 * fills `out` (zeroed here first). Journals each firing. */
void mock_faults_push(struct mock_server *s, struct mock_world *w, int tag,
                      int64_t now_ms, struct mock_push_fault *out);

/* Forgets every fault of a world (it was deleted or reset). NULL `f` is a
 * no-op. */
void mock_faults_world_removed(struct mock_faults *f, uint64_t serial);

#endif
