/*
 * ref_bugs.c: the table of ddref's mutants (ref_bugs.h).
 */
#include "ref_bugs.h"

#include <stdio.h>
#include <string.h>

struct bug_row {
    const char *name, *what, *verdict, *where;
};

static const struct bug_row rows[REF_BUG_COUNT] = {
#define REF_BUG_ROW(e, name, what, verdict, where)                             \
    [REF_BUG_##e] = {name, what, verdict, where},
    REF_BUG_MAP(REF_BUG_ROW)
#undef REF_BUG_ROW
};

int ref_bug_parse(const char *name, enum ref_bug *out)
{
    for (int i = 0; i < REF_BUG_COUNT; i++)
        if (strcmp(rows[i].name, name) == 0) {
            *out = (enum ref_bug)i;
            return 0;
        }
    return -1;
}

static const struct bug_row *row(enum ref_bug b)
{
    return (int)b >= 0 && b < REF_BUG_COUNT ? &rows[b] : NULL;
}

const char *ref_bug_name(enum ref_bug b)
{
    return row(b) ? row(b)->name : NULL;
}

const char *ref_bug_what(enum ref_bug b)
{
    return row(b) ? row(b)->what : NULL;
}

const char *ref_bug_verdict(enum ref_bug b)
{
    return row(b) ? row(b)->verdict : NULL;
}

const char *ref_bug_scenarios(enum ref_bug b)
{
    return row(b) ? row(b)->where : NULL;
}

void ref_bug_mask_names(uint64_t mask, char *out, size_t cap)
{
    size_t len = 0;
    if (cap)
        out[0] = '\0';
    for (int i = 0; i < REF_BUG_COUNT; i++) {
        if (!(mask & ((uint64_t)1 << i)))
            continue;
        int n = snprintf(out + len, cap > len ? cap - len : 0, "%s%s",
                         len ? "," : "", rows[i].name);
        if (n > 0)
            len += (size_t)n;
        if (len >= cap)
            return;
    }
    if (len == 0)
        snprintf(out, cap, "none");
}
