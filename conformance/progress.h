/*
 * progress.h: the live progress line ddconform draws on a terminal
 * (conformance/README.md "Output"):
 *
 *   [#####.....] 12/35  pass 10 fail 1 skip 1  0:42
 *
 * A pure formatter; main.c decides when to draw it (stdout is a terminal
 * and CI is unset), redraws it with "\r" and clears it before every run
 * line it prints.
 */
#ifndef CONF_PROGRESS_H
#define CONF_PROGRESS_H

#include <stddef.h>

/* Where an invocation stands. */
struct conf_progress {
    size_t done, total;             /* finished runs, selected runs */
    size_t passed, failed, skipped; /* finished runs by how they count */
    double elapsed_s;               /* seconds since the runs began */
};

/*
 * Writes the progress line for `p` into `out` (room for `cap` bytes, NUL
 * included; cut when short): a bar of `bar_width` cells (1 to 200) of '#'
 * for the done share (rounded down, every cell once done == total) and
 * '.' for the rest, then "DONE/TOTAL", "pass N fail N skip N", and the
 * elapsed time as M:SS, or H:MM:SS from one hour on (negative or non-
 * finite times count as 0). Returns the length of the whole line (as
 * snprintf does, which may be >= cap).
 */
size_t conf_progress_format(const struct conf_progress *p, int bar_width,
                            char *out, size_t cap);

#endif
