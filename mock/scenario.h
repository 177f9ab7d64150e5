/*
 * scenario.h: a conformance scenario, loaded and validated
 * (scenarios/FORMAT.md is the reference for people who write them;
 * scenarios/schema.json the JSON Schema for editors).
 *
 * A scenario is one JSON file: `info` (id, title, keywords, the situation
 * in plain words, what a correct ERP does), `world` (a world file without
 * credentials, mock/WORLD.md), `options` (push mode, poll interval, time
 * scale, max_seconds, whether the warehouse hook is needed), `timeline`
 * (steps at a time offset or after a condition) and `expect` (must-call,
 * must-not-call and final-state expectations, each MUST or SHOULD). All
 * durations are real seconds (harness.md "Time"). The timeline's actions
 * are the admin calls of mock/README.md (actors, faults, forged pushes,
 * token faults, fire_timer) and the hook events of harness.md.
 *
 * The loader reports every problem, not just the first, as
 * "file:line:col: message" (sorted by position; the world's own problems
 * come from mock_world_from_json), and never crashes on any input
 * (tests/fuzz/fuzz_scenario.c).
 *
 * Ownership: a scenario owns its JSON document; every string and node in
 * it (ids, names, methods, action arguments, argument matchers) is
 * borrowed from that document and lives until scn_scenario_free.
 */
#ifndef SCN_SCENARIO_H
#define SCN_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dd_buf.h"
#include "dd_json.h"

#define SCN_FORMAT_VERSION 1
#define SCN_NO_STEP        SIZE_MAX /* "no step": the timeline's start */

enum scn_push_mode { SCN_PUSH_EITHER, SCN_PUSH_REQUIRED, SCN_PUSH_FORBIDDEN };

enum scn_level { SCN_MUST, SCN_SHOULD };

/* What a timeline step does; `name` says exactly which action. */
enum scn_action {
    SCN_DO_ACTOR,       /* buyer.*, logistics.*, platform.* (admin actor) */
    SCN_DO_HOOK_SHIP,   /* warehouse.ship_request to the ERP's hook */
    SCN_DO_HOOK_RETURN, /* warehouse.return_arrived to the ERP's hook */
    SCN_DO_FAULT,       /* arm a fault (the faults admin body) */
    SCN_DO_FIRE_TIMER,  /* fire an after-sale's pending platform timer */
    SCN_DO_RESTART_ERP, /* SIGKILL the ERP's group, start it again */
    SCN_DO_FORGED_PUSH, /* inject a forged push */
    SCN_DO_TOKEN,       /* token.revoke / token.expire */
};

/* When a step runs: at a time offset, or when a condition is first met
 * (then after `delay` seconds). Each step runs at most once. */
enum scn_when {
    SCN_AT,         /* `at` seconds after the timeline starts */
    SCN_AFTER_STEP, /* after step `ref` ran */
    SCN_AFTER_CALL, /* after the ERP called `method` with matching args */
    SCN_AFTER_ACK,  /* after a push of `tag` (about `aftersale_id` when
                        given) was acknowledged */
};

struct scn_step {
    const char *id; /* optional name ("" when none) */
    struct dd_json_pos pos;
    enum scn_when when;
    double at;                  /* SCN_AT: seconds, 0 <= at < max_seconds */
    double delay;               /* after the condition, seconds (>= 0) */
    const char *ref;            /* SCN_AFTER_STEP: a step id */
    size_t ref_step;            /* SCN_AFTER_STEP: its index in steps */
    const char *method;         /* SCN_AFTER_CALL */
    const struct dd_json *args; /* SCN_AFTER_CALL matchers, or NULL */
    bool success_only;          /* SCN_AFTER_CALL: only a call answered
                                   code 10000 counts */
    int tag;                    /* SCN_AFTER_ACK: 200..208 */
    int64_t aftersale_id;       /* SCN_AFTER_ACK filter, 0 = any */
    enum scn_action action;
    const char *name;           /* the action as written ("buyer.apply") */
    const struct dd_json *with; /* the action's arguments: an object,
                                   never NULL ({} when absent) */
};

enum scn_expect_kind {
    SCN_EXPECT_CALL,    /* the ERP must call method (with args) */
    SCN_EXPECT_NO_CALL, /* the ERP must never call method (with args) */
    SCN_EXPECT_FINAL,   /* an entity's final state */
};

enum scn_entity {
    SCN_ENTITY_AFTERSALE, /* "aftersale": an after-sale */
    SCN_ENTITY_ORDER,     /* "order": a shop order */
    SCN_ENTITY_SKU_ORDER, /* "sku_order": one line of an order */
};

struct scn_expect {
    const char *id; /* "" when none */
    struct dd_json_pos pos;
    enum scn_level level;
    enum scn_expect_kind kind;
    const char *method;           /* CALL, NO_CALL */
    const struct dd_json *args;   /* matchers, or NULL for any */
    const char *of;               /* CALL: "within" counts from this step
                                     ("" = the timeline's start) */
    size_t of_step;               /* CALL: its index, or SCN_NO_STEP */
    double within;                /* CALL: seconds, 0 = by the run's end */
    int at_least, at_most;        /* CALL: counts (at_most -1 = no bound) */
    bool success_only;            /* CALL: count only answers 10000 */
    enum scn_entity entity;       /* FINAL */
    int64_t entity_id;            /* FINAL */
    const struct dd_json *fields; /* FINAL: the "final" object itself: its
                                     entity key names the entity, every
                                     other member is a field matcher (see
                                     scn_final_match) */
    const char *because; /* optional sentence for the report ("" if none) */
};

struct scn_scenario {
    char *path; /* owned: the name given to the loader */
    /* info */
    int id;
    const char *title;
    const char **keywords; /* owned array of borrowed strings */
    size_t n_keywords;
    const char *situation;
    const char *correct_erp;
    /* world: a node of doc, loaded into a world per run (it passed
     * mock_world_from_json, has at least one shop, and no credentials) */
    const struct dd_json *world;
    /* options */
    enum scn_push_mode push; /* default SCN_PUSH_EITHER */
    int poll_interval;       /* seconds, default 5 */
    int64_t time_scale;      /* 0 = the runner's default */
    double max_seconds;      /* default 60 */
    bool needs_hook;         /* default false */
    /* timeline and expectations */
    struct scn_step *steps;
    size_t n_steps;
    struct scn_expect *expects;
    size_t n_expects;
    /* money-safety scenario: shipping or returns happen (set by the
     * loader from the timeline: any hook step) */
    bool money_safety;
    struct dd_json_doc doc;
};

/* Loads and validates a scenario file. Returns a new scenario (free with
 * scn_scenario_free), or NULL with every problem appended to `errs` as
 * "file:line:col: message" lines (a file that cannot be read: at 1:1).
 * `errs` may be NULL. */
struct scn_scenario *scn_scenario_load(const char *path, struct dd_buf *errs);

/* The same from `len` bytes already in memory (any bytes: never crashes);
 * `name` stands for the file name in messages and in the info.id check
 * (a base name "NNNN-slug.json" must carry info.id NNNN). */
struct scn_scenario *scn_scenario_parse(const char *name, const char *text,
                                        size_t len, struct dd_buf *errs);

/* Frees a scenario and everything it owns. NULL is a no-op. */
void scn_scenario_free(struct scn_scenario *s);

/* Returns the index of the step with id `id`, or SCN_NO_STEP. */
size_t scn_scenario_step(const struct scn_scenario *s, const char *id);

/* True when every key of `matchers` (an object) matches `value` (an
 * object): numbers and numeric strings compare as integers (ids travel
 * both ways; other numbers by value), other scalars exactly, nested
 * objects recursively (a subset: keys the matcher does not name are not
 * looked at), arrays element by element with the same length, and the
 * matcher {"$absent": true} means the key is absent or null
 * ({"$absent": false}: present and not null); a literal null matches
 * absent or null. NULL matchers match anything; a NULL or non-object
 * `value` counts as {}. */
bool scn_args_match(const struct dd_json *matchers,
                    const struct dd_json *value);

/* True when the entity state `state` (an object in the world-file form of
 * mock/WORLD.md, e.g. {"status": 12, "refund_status": 3, ...}; a SKU
 * order's also has "refunded") matches every field of final expectation
 * `e`, with scn_args_match's rules; the entity key is not a field. */
bool scn_final_match(const struct scn_expect *e, const struct dd_json *state);

#endif
