/*
 * ddc_pager.h: iterators over every item of afterSale.List and
 * order.searchList, fetching pages as they are needed
 * (doudian-open-api.md §4.1, §4.8, §4.10).
 *
 * Paging rules followed: pages count from 0; afterSale.List ends when
 * `has_more` is false, order.searchList (which has no has_more) when the
 * pages fetched cover `total`; either ends early on an empty page. Both
 * platforms refuse page x size over 50 000 (§4.10): the pager stops with
 * DDC_E_PAGE_CAP before asking for such a page, and the caller must split
 * the time window.
 *
 * Pages shift under a pager while the platform changes (a new after-sale
 * inserted at the top pushes the last item of a page onto the next one;
 * an after-sale updated during an update_time-ordered walk moves). The
 * pager therefore skips any id it already yielded in this walk, so each
 * item comes out at most once per walk. For incremental polling use an
 * update_time window with order_by "update_time asc" (§4.1: otherwise
 * data can be missed) and overlap consecutive windows a little; an item
 * seen in two walks is the caller's to de-duplicate.
 *
 * Lifecycle: _init (caller-allocated struct; the request is copied), _next
 * until it returns 0 or an error, _free. An item returned by _next is
 * borrowed and valid until the next call of _next or _free. After an
 * error, calling _next again retries the same page.
 */
#ifndef DDC_PAGER_H
#define DDC_PAGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ddc_api.h"

/* The ids a walk has yielded (an open-addressing set). */
struct ddc_idset {
    int64_t *slots;
    size_t cap; /* a power of two, or 0 */
    size_t n;
};

struct ddc_aftersale_pager {
    struct ddc_client *c;              /* borrowed */
    struct ddc_aftersale_list_req req; /* req.page is the next page */
    char *order_by[3];                 /* owned copies of req.order_by */
    struct ddc_aftersale_page page;    /* the current page */
    size_t next;                       /* next index in page */
    bool fetched;                      /* page holds a fetched page */
    bool done;
    struct ddc_idset seen;
    uint64_t pages;   /* pages fetched */
    uint64_t skipped; /* items skipped as already seen */
};

/* Starts a walk from req->page with req's filters. */
void ddc_aftersale_pager_init(struct ddc_aftersale_pager *p,
                              struct ddc_client *c,
                              const struct ddc_aftersale_list_req *req);

/*
 * Yields the next after-sale into *item. Returns 1 with an item, 0 at the
 * end of the walk, or an error of ddc_aftersale_list (with `st` filled),
 * or DDC_E_PAGE_CAP.
 */
int ddc_aftersale_pager_next(struct ddc_aftersale_pager *p,
                             const struct ddc_aftersale **item,
                             struct ddc_status *st);

void ddc_aftersale_pager_free(struct ddc_aftersale_pager *p);

struct ddc_order_pager {
    struct ddc_client *c;
    struct ddc_order_search_req req;
    char *strings[4]; /* owned copies of the request's strings */
    struct ddc_order_page page;
    size_t next;
    bool fetched;
    bool done;
    struct ddc_idset seen;
    uint64_t pages;
    uint64_t skipped;
};

void ddc_order_pager_init(struct ddc_order_pager *p, struct ddc_client *c,
                          const struct ddc_order_search_req *req);

/* As ddc_aftersale_pager_next, over order.searchList. */
int ddc_order_pager_next(struct ddc_order_pager *p,
                         const struct ddc_order **order, struct ddc_status *st);

void ddc_order_pager_free(struct ddc_order_pager *p);

/* The set used by the pagers, public for callers that de-duplicate across
 * walks. _add returns true when `id` was not in the set yet. */
void ddc_idset_init(struct ddc_idset *s);
bool ddc_idset_add(struct ddc_idset *s, int64_t id);
bool ddc_idset_has(const struct ddc_idset *s, int64_t id);
void ddc_idset_free(struct ddc_idset *s);

#endif
