/*
 * ddc_pager.c: the afterSale.List and order.searchList iterators and the
 * id set they de-duplicate with (ddc_pager.h).
 */
#include "ddc_pager.h"

#include <stdlib.h>
#include <string.h>

#include "ddc_read.h"

/* page x size may not pass this (doudian-open-api.md §4.10). */
#define PAGE_PRODUCT_CAP 50000

/* ================================================================ id set */

void ddc_idset_init(struct ddc_idset *s)
{
    memset(s, 0, sizeof *s);
}

void ddc_idset_free(struct ddc_idset *s)
{
    free(s->slots);
    memset(s, 0, sizeof *s);
}

static size_t slot_of(int64_t id, size_t cap)
{
    uint64_t h = (uint64_t)id * 0x9E3779B97F4A7C15ULL;
    return (size_t)(h >> 17) & (cap - 1);
}

/* 0 marks an empty slot, so ids are stored as id ^ MARK, which is 0 only
 * for INT64_MIN: that one value is never stored (no Doudian id is
 * negative). */
#define MARK ((int64_t)INT64_MIN)

bool ddc_idset_has(const struct ddc_idset *s, int64_t id)
{
    if (!s->cap || id == MARK)
        return false;
    int64_t key = id ^ MARK;
    for (size_t i = slot_of(id, s->cap);; i = (i + 1) & (s->cap - 1)) {
        if (s->slots[i] == 0)
            return false;
        if (s->slots[i] == key)
            return true;
    }
}

static void put(int64_t *slots, size_t cap, int64_t id)
{
    size_t i = slot_of(id, cap);
    while (slots[i] != 0)
        i = (i + 1) & (cap - 1);
    slots[i] = id ^ MARK;
}

bool ddc_idset_add(struct ddc_idset *s, int64_t id)
{
    if (id == MARK || ddc_idset_has(s, id))
        return false;
    if ((s->n + 1) * 2 > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 256;
        int64_t *slots = ddc_calloc(cap, sizeof *slots);
        for (size_t i = 0; i < s->cap; i++)
            if (s->slots[i])
                put(slots, cap, s->slots[i] ^ MARK);
        free(s->slots);
        s->slots = slots;
        s->cap = cap;
    }
    put(s->slots, s->cap, id);
    s->n++;
    return true;
}

/* ============================================================ after-sales */

void ddc_aftersale_pager_init(struct ddc_aftersale_pager *p,
                              struct ddc_client *c,
                              const struct ddc_aftersale_list_req *req)
{
    memset(p, 0, sizeof *p);
    p->c = c;
    p->req = *req;
    bool more = true; /* the list ends at its first NULL */
    for (size_t i = 0; i < 3; i++) {
        more = more && req->order_by[i] != NULL;
        p->order_by[i] = more ? ddc_strdup(req->order_by[i]) : NULL;
        p->req.order_by[i] = p->order_by[i];
    }
    ddc_idset_init(&p->seen);
}

void ddc_aftersale_pager_free(struct ddc_aftersale_pager *p)
{
    ddc_aftersale_page_free(&p->page);
    for (size_t i = 0; i < 3; i++)
        free(p->order_by[i]);
    ddc_idset_free(&p->seen);
    memset(p, 0, sizeof *p);
}

/* True when page x size passes the platform's cap (the gateway refuses
 * such a request: 40004 on both APIs, §4.10). */
static bool past_cap(int64_t page, int64_t size)
{
    return size > 0 && page > PAGE_PRODUCT_CAP / size;
}

int ddc_aftersale_pager_next(struct ddc_aftersale_pager *p,
                             const struct ddc_aftersale **item,
                             struct ddc_status *st)
{
    *item = NULL;
    for (;;) {
        while (p->fetched && p->next < p->page.n) {
            const struct ddc_aftersale *a = &p->page.items[p->next++];
            if (ddc_idset_add(&p->seen, a->aftersale_id)) {
                *item = a;
                return 1;
            }
            p->skipped++;
        }
        if (p->done)
            return 0;
        if (p->fetched) {
            /* The current page is used up: is there another? */
            if (!p->page.has_more || p->page.n == 0) {
                p->done = true;
                return 0;
            }
            p->req.page++;
            p->fetched = false;
        }
        if (past_cap(p->req.page, p->req.size)) {
            ddc_status_clear(st);
            ddc_status_detail(st,
                              "afterSale.List page %lld of size %lld passes "
                              "page*size 50000: narrow the time window",
                              (long long)p->req.page, (long long)p->req.size);
            return DDC_E_PAGE_CAP;
        }
        ddc_aftersale_page_free(&p->page);
        int rc = ddc_aftersale_list(p->c, &p->req, &p->page, st);
        if (rc)
            return rc;
        p->pages++;
        p->fetched = true;
        p->next = 0;
    }
}

/* ================================================================ orders */

void ddc_order_pager_init(struct ddc_order_pager *p, struct ddc_client *c,
                          const struct ddc_order_search_req *req)
{
    memset(p, 0, sizeof *p);
    p->c = c;
    p->req = *req;
    const char **fields[4] = {&p->req.order_status,
                              &p->req.after_sale_status_desc,
                              &p->req.tracking_no, &p->req.order_by};
    for (size_t i = 0; i < 4; i++) {
        if (*fields[i]) {
            p->strings[i] = ddc_strdup(*fields[i]);
            *fields[i] = p->strings[i];
        }
    }
    ddc_idset_init(&p->seen);
}

void ddc_order_pager_free(struct ddc_order_pager *p)
{
    ddc_order_page_free(&p->page);
    for (size_t i = 0; i < 4; i++)
        free(p->strings[i]);
    ddc_idset_free(&p->seen);
    memset(p, 0, sizeof *p);
}

int ddc_order_pager_next(struct ddc_order_pager *p,
                         const struct ddc_order **order, struct ddc_status *st)
{
    *order = NULL;
    for (;;) {
        while (p->fetched && p->next < p->page.n) {
            const struct ddc_order *o = &p->page.orders[p->next++];
            if (ddc_idset_add(&p->seen, o->order_id)) {
                *order = o;
                return 1;
            }
            p->skipped++;
        }
        if (p->done)
            return 0;
        if (p->fetched) {
            /* No has_more in searchList (§4.8): the pages fetched so far
             * cover (page + 1) x size orders of `total`. */
            int64_t covered = (p->req.page + 1) * p->req.size;
            if (p->page.n == 0 || covered >= p->page.total) {
                p->done = true;
                return 0;
            }
            p->req.page++;
            p->fetched = false;
        }
        if (past_cap(p->req.page, p->req.size)) {
            ddc_status_clear(st);
            ddc_status_detail(st,
                              "order.searchList page %lld of size %lld "
                              "passes page*size 50000: narrow the time "
                              "window",
                              (long long)p->req.page, (long long)p->req.size);
            return DDC_E_PAGE_CAP;
        }
        ddc_order_page_free(&p->page);
        int rc = ddc_order_search_list(p->c, &p->req, &p->page, st);
        if (rc)
            return rc;
        p->pages++;
        p->fetched = true;
        p->next = 0;
    }
}
