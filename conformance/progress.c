/*
 * progress.c: the live progress line's text (progress.h).
 */
#include "progress.h"

#include <math.h>
#include <stdio.h>

#define BAR_MAX 200

size_t conf_progress_format(const struct conf_progress *p, int bar_width,
                            char *out, size_t cap)
{
    if (bar_width < 1)
        bar_width = 1;
    if (bar_width > BAR_MAX)
        bar_width = BAR_MAX;
    size_t filled = (size_t)bar_width;
    if (p->total > 0 && p->done < p->total)
        filled = (size_t)((double)p->done / (double)p->total * bar_width);
    char bar[BAR_MAX + 1];
    for (int i = 0; i < bar_width; i++)
        bar[i] = (size_t)i < filled ? '#' : '.';
    bar[bar_width] = '\0';

    double t = p->elapsed_s;
    if (!isfinite(t) || t < 0)
        t = 0;
    if (t > 359999999.0) /* 99999 hours */
        t = 359999999.0;
    unsigned long secs = (unsigned long)t;
    char clock[32];
    if (secs >= 3600)
        snprintf(clock, sizeof clock, "%lu:%02lu:%02lu", secs / 3600,
                 secs / 60 % 60, secs % 60);
    else
        snprintf(clock, sizeof clock, "%lu:%02lu", secs / 60, secs % 60);

    int n =
        snprintf(out, cap, "[%s] %zu/%zu  pass %zu fail %zu skip %zu  %s", bar,
                 p->done, p->total, p->passed, p->failed, p->skipped, clock);
    return n < 0 ? 0 : (size_t)n;
}
