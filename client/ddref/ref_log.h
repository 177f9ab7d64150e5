/*
 * ref_log.h: ddref's log lines and clock.
 *
 * Every line goes to stderr (the runner keeps it in the run's erp.log or
 * hooks.jsonl) as "HH:MM:SS.mmm ROLE[pid] text": one line per decision,
 * with its reason, so that a person reading a run can follow what the ERP
 * did and why. ref_note logs a decision only when it changed since the
 * last one logged under the same key, so a tick that decides the same
 * thing again is silent. Safe from any thread.
 */
#ifndef REF_LOG_H
#define REF_LOG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Sets the role shown on every line ("ddref", "ddref hook") and the
 * stream (NULL = stderr). */
void ref_log_init(const char *role, FILE *stream);

/* Writes one line. */
void ref_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Writes one line unless the last line noted under `key` was the same
 * text. Returns 1 when it wrote, 0 when it kept quiet. */
int ref_note(int64_t key, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Forgets every noted key (tests). */
void ref_note_reset(void);

/* Copies the string `src` into dst (cap bytes), cut when longer. */
void ref_copy(char *dst, size_t cap, const char *src);

/* The wall clock in Unix microseconds, and in seconds. */
int64_t ref_now_us(void);
int64_t ref_now_s(void);

/* The monotonic clock in milliseconds. */
int64_t ref_mono_ms(void);

/* Sleeps `ms` milliseconds (restarted after signals). */
void ref_sleep_ms(int64_t ms);

#endif
