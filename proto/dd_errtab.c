/*
 * dd_errtab.c: lookups in Doudian's business-error table.
 *
 * The rows themselves live in dd_errtab.def (one X-macro line per row, with
 * the sources and every wording decision at its top); this file only turns
 * them into a static array and searches it. The mock quotes a row in its
 * error envelopes and the client matches on the same row, so both sides use
 * the exact code / msg / sub_code / sub_msg strings of doudian-open-api.md
 * §2.4 and §3.2-§3.4 and doudian-shipping-and-operations.md §1.1.
 *
 * A per-API row overrides the platform row of the same sub_code, as the
 * real gateway does ("a per-API table wins over the generic codes"). The
 * table has under 200 rows and is searched linearly.
 */
#include "dd_errtab.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct dd_api_error rows[] = {
#define DD_ERRTAB_ROW(method, code, msg, sub_code, sub_msg, solution)          \
    {method, code, msg, sub_code, sub_msg, solution},
#include "dd_errtab.def"
#undef DD_ERRTAB_ROW
};

#define NROWS (sizeof rows / sizeof rows[0])

struct code_msg {
    int code;
    const char *msg;
};

static const struct code_msg codes[] = {
#define DD_ERRTAB_CODE(code, msg) {code, msg},
#include "dd_errtab.def"
#undef DD_ERRTAB_CODE
};

#define NCODES (sizeof codes / sizeof codes[0])

/* Returns the row whose method equals `method` (NULL matching only the
 * platform rows, whose method is NULL) and whose sub_code equals
 * `sub_code`, or NULL. */
static const struct dd_api_error *lookup(const char *method,
                                         const char *sub_code)
{
    for (size_t i = 0; i < NROWS; i++) {
        const struct dd_api_error *e = &rows[i];
        if (strcmp(e->sub_code, sub_code) != 0)
            continue;
        if (method == NULL
                ? e->method == NULL
                : e->method != NULL && strcmp(e->method, method) == 0)
            return e;
    }
    return NULL;
}

/*
 * The API's own row first, then the platform row. A NULL `sub_code` finds
 * nothing; a NULL `method` searches the platform rows only. Method names
 * compare exactly (case matters: "afterSale.List", not "aftersale.list").
 */
const struct dd_api_error *dd_errtab_find(const char *method,
                                          const char *sub_code)
{
    if (sub_code == NULL)
        return NULL;
    const struct dd_api_error *e = NULL;
    if (method != NULL)
        e = lookup(method, sub_code);
    if (e == NULL)
        e = lookup(NULL, sub_code);
    return e;
}

/*
 * A missing row here means the caller named a sub_code that the table does
 * not hold: a bug in the caller, not a runtime condition. It is reported on
 * stderr (the one place the library prints) and the process aborts, so the
 * test that exercises the path fails loudly instead of sending an envelope
 * with invented text.
 */
const struct dd_api_error *dd_errtab_must(const char *method,
                                          const char *sub_code)
{
    const struct dd_api_error *e = dd_errtab_find(method, sub_code);
    if (e == NULL) {
        fprintf(stderr,
                "dd_errtab_must: no error row for sub_code \"%s\" "
                "(method \"%s\" or platform); add it to dd_errtab.def\n",
                sub_code ? sub_code : "(null)", method ? method : "(null)");
        abort();
    }
    return e;
}

/* The rows in dd_errtab.def order: platform rows first, then each API's. */
const struct dd_api_error *dd_errtab_all(size_t *n)
{
    if (n != NULL)
        *n = NROWS;
    return rows;
}

/* The §3.2 msg of `code` as chosen in dd_errtab.def, or NULL. */
const char *dd_code_msg(int code)
{
    for (size_t i = 0; i < NCODES; i++)
        if (codes[i].code == code)
            return codes[i].msg;
    return NULL;
}
