/*
 * journal.h: the record of everything that happened in the mock.
 *
 * Every request (and, with later issues, every push attempt, timer firing,
 * actor action and fault) becomes one entry with a monotonic sequence
 * number and a timestamp. The judge decides a run from the journal alone,
 * so an entry carries the method, the canonical parameters, the signature
 * verdict, the answer's code and sub_code, the answer's data (capped) and
 * the latency.
 *
 * Memory stays bounded under any load: entries live in a ring of
 * `capacity` entries (the oldest is dropped), each entry's strings are
 * capped (MOCK_JOURNAL_TEXT_MAX), and all the strings together too
 * (MOCK_JOURNAL_BYTES_MAX, 24 MiB: the oldest entries go first). With a JSONL
 * path, every entry is also appended to that file as one JSON object per line,
 * as it happens.
 *
 * Owned by the event-loop thread like the worlds.
 */
#ifndef MOCK_JOURNAL_H
#define MOCK_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dd_jw.h"

#define MOCK_JOURNAL_TEXT_MAX (64 * 1024)
/* The cap of an entry marked `whole` (a run's state snapshots, which the
 * judge must read entire). */
#define MOCK_JOURNAL_WHOLE_MAX ((size_t)16 << 20)
/* Texts held by the ring, all entries together: past this the oldest
 * entries go even before the ring is full. */
#define MOCK_JOURNAL_BYTES_MAX ((size_t)24 << 20)

struct mock_journal_entry {
    uint64_t seq;     /* set by mock_journal_add */
    int64_t time_us;  /* real time, microseconds; set by add when 0 */
    char kind[16];    /* "api", "admin", ... */
    char app_key[20]; /* "" when unknown */
    char method[64];
    char log_id[35];
    char verdict[32];  /* signature verdict: "plain", "html-safe",
                          "mismatch", "not-checked", ... */
    int64_t code;      /* envelope code */
    char sub_code[64]; /* "" on success */
    int64_t latency_us;
    bool known_unimplemented;
    bool whole;     /* texts capped at MOCK_JOURNAL_WHOLE_MAX, not TEXT_MAX */
    char *params;   /* canonical param_json (owned, capped) or NULL */
    char *response; /* the answer's data JSON (owned, capped) or NULL */
    char *explain;  /* JSON object explaining a rejected signature, or NULL */
    char *note;     /* free text, or NULL */
    char *seen;     /* JSON array of the after-sale ids (strings) an
                       afterSale.List / Detail answer showed, or NULL */
};

struct mock_journal;

/* Returns a new journal holding at most `capacity` entries (>= 1). With a
 * non-NULL `jsonl_path` the file is opened for appending; on failure
 * returns NULL with a message in err. Free with mock_journal_free. */
struct mock_journal *mock_journal_new(size_t capacity, const char *jsonl_path,
                                      char *err, size_t errlen);
void mock_journal_free(struct mock_journal *j);

/* Adds a copy of `e` (strings copied and capped), assigning seq and, when
 * zero, time_us. Returns the seq. */
uint64_t mock_journal_add(struct mock_journal *j,
                          const struct mock_journal_entry *e);

/* The last seq given out (0 before the first entry). */
uint64_t mock_journal_last_seq(const struct mock_journal *j);

/* Finds the entry with this log_id still in the ring, or NULL. Borrowed
 * until the next add. */
const struct mock_journal_entry *
mock_journal_find_log_id(const struct mock_journal *j, const char *log_id);

/* Writes one entry as a JSON object. */
void mock_journal_entry_write(const struct mock_journal_entry *e,
                              struct dd_jw *w);

/* Writes a JSON array of the entries with seq > since, for `app_key` when
 * non-empty, of `kind` when non-empty, at most `limit` (0 = all). */
void mock_journal_query(const struct mock_journal *j, uint64_t since,
                        const char *app_key, const char *kind, size_t limit,
                        struct dd_jw *w);

/* Drops every entry (seq keeps counting). */
void mock_journal_clear(struct mock_journal *j);

#endif
