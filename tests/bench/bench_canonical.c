/*
 * bench_canonical.c: how fast dd_canonical_param_json canonicalises a large
 * param_json (doudian-open-api.md §1.6), the work the gateway does before
 * every signature check.
 *
 * It builds a ~1 MiB document in memory that looks like a page of
 * after-sale records (unsorted keys, 19-digit ids as numbers and strings,
 * Chinese text, HTML characters, nested arrays, nulls), then times both
 * variants together and the plain variant alone: warm-up runs, then the
 * median of RUNS runs with CLOCK_MONOTONIC. A memcpy of the same size,
 * timed the same way in the same run, gives a machine-relative baseline.
 * It reports and never asserts timing: the exit status is 0 unless
 * canonicalisation fails. The target from the issue, < 20 ms for 1 MB, is
 * printed as information. Run by `make bench`.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dd_buf.h"
#include "dd_err.h"
#include "dd_json.h"

#define RUNS         21
#define WARMUP       3
#define TARGET_BYTES ((size_t)1 << 20) /* 1 MiB */
#define TARGET_MS    20.0

/* A fixed-seed generator, so every run measures the same document. */
static uint64_t rng_state = 0x9E3779B97F4A7C15u;

static uint32_t rnd(uint32_t n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state % n);
}

/* Stops when building the document fails (past the buffer's cap). */
static void put(int rc)
{
    if (rc != 0) {
        fprintf(stderr, "bench_canonical: building the document: %s\n",
                dd_strerror(rc));
        exit(1);
    }
}

static const char *const REASONS[] = {
    "七天无理由退货",   "商品破损/包装问题",   "质检<不通过>&退回",
    "尺码不合适，换货", "发错货了 = 需要补发", "买家说 \\\"质量不好\\\"",
};
static const char *const NAMES[] = {
    "纯棉短袖T恤 男款 夏季", "Kids' shoes <size 32>", "保温杯 500ml & 杯套",
    "无线蓝牙耳机 降噪版",   "有机大米 5kg/袋",
};

/* Appends one after-sale-like record, its keys deliberately unsorted. */
static void add_record(struct dd_buf *b, unsigned i)
{
    uint64_t aftersale = 7000000000000000000u + (uint64_t)i * 7919u;
    uint64_t order = 6919000000000000000u + (uint64_t)i * 104729u;
    put(dd_buf_printf(b,
                      "{\"update_time\":%u,\"aftersale_id\":\"%llu\","
                      "\"order_id\":%llu,\"aftersale_status\":%u,"
                      "\"reason_text\":\"%s\",\"refund_amount\":%u,"
                      "\"refund_post_amount\":%u.%02u,\"create_time\":%u,",
                      1700000000u + i * 37u, (unsigned long long)aftersale,
                      (unsigned long long)order, 1 + rnd(30),
                      REASONS[rnd(sizeof REASONS / sizeof REASONS[0])],
                      100 + rnd(50000), rnd(20), rnd(100),
                      1699990000u + i * 31u));
    put(dd_buf_puts(b, "\"sku_list\":["));
    unsigned nsku = rnd(4) == 0 ? 2 : 1;
    for (unsigned k = 0; k < nsku; k++) {
        put(dd_buf_printf(
            b,
            "%s{\"product_name\":\"%s\",\"sku_id\":%llu,"
            "\"spec\":[{\"value\":\"%s\",\"name\":\"颜色\"},"
            "{\"value\":\"XL\",\"name\":\"尺码\"}],"
            "\"price\":%u,\"item_num\":%u,\"tags\":[%u,%u,[]]}",
            k ? "," : "", NAMES[rnd(sizeof NAMES / sizeof NAMES[0])],
            (unsigned long long)(3500000000000000000u + i * 13u + k),
            rnd(2) ? "黑色" : "white/白", 990 + rnd(9000), 1 + rnd(5), rnd(9),
            rnd(9)));
    }
    put(dd_buf_printf(
        b,
        "],\"logistics\":{\"tracking_no\":\"SF%010u\","
        "\"company_code\":\"shunfeng\",\"ship_time\":%u,"
        "\"receiver\":null},\"remark\":\"%s\",\"is_urgent\":%s,"
        "\"arbitrate_status\":0,\"store_id\":null,\"risk\":%u.%ue-%u}",
        rnd(1000000000), 1700000000u + i, rnd(4) ? "" : "a=b&c<d>'e'",
        rnd(2) ? "true" : "false", rnd(10), rnd(10), rnd(5)));
}

/* Builds the document: {"items":[...],"page":0,...} until ~target bytes. */
static void build_doc(struct dd_buf *b, size_t target, unsigned *nrec)
{
    put(dd_buf_puts(b, "{\"size\":2000,\"page\":0,\"total\":123456,"
                       "\"shop_id\":\"1234567890123456789\","
                       "\"items\":["));
    unsigned i = 0;
    while (b->len + 600 < target) {
        if (i)
            put(dd_buf_putc(b, ','));
        add_record(b, i++);
    }
    put(dd_buf_puts(b, "],\"has_more\":true}"));
    *nrec = i;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
    qsort(v, n, sizeof v[0], cmp_double);
    return v[n / 2];
}

/* Times one canonicalisation of the document (both variants or plain
 * only). Returns the milliseconds, or a negative value on failure. */
static double time_canonical(const struct dd_buf *doc, int both,
                             size_t *out_len)
{
    struct dd_buf plain, html;
    struct dd_json_error err;
    dd_buf_init(&plain, 0);
    dd_buf_init(&html, 0);
    double t0 = now_ms();
    int rc = dd_canonical_param_json(doc->data, doc->len, NULL, &plain,
                                     both ? &html : NULL, &err);
    double t1 = now_ms();
    if (rc != 0) {
        fprintf(stderr,
                "bench_canonical: canonicalisation failed: %s: %s at byte "
                "offset %zu (line %u, column %u)\n",
                dd_strerror(rc), err.msg, err.pos.offset, err.pos.line,
                err.pos.col);
        return -1.0;
    }
    if (out_len)
        *out_len = plain.len + html.len;
    dd_buf_free(&plain);
    dd_buf_free(&html);
    return t1 - t0;
}

/* Median milliseconds of RUNS runs after WARMUP, or negative on failure. */
static double bench_canonical(const struct dd_buf *doc, int both,
                              size_t *out_len)
{
    double t[RUNS];
    for (int i = 0; i < WARMUP; i++)
        if (time_canonical(doc, both, out_len) < 0)
            return -1.0;
    for (int i = 0; i < RUNS; i++)
        if ((t[i] = time_canonical(doc, both, out_len)) < 0)
            return -1.0;
    return median(t, RUNS);
}

/* The same-size memcpy baseline; called through a volatile pointer and
 * read back into a sink so the compiler cannot drop or shrink the copy. */
static volatile unsigned char sink;
static void *(*volatile copy_fn)(void *, const void *, size_t) = memcpy;

static double bench_memcpy(const struct dd_buf *doc)
{
    char *dst = malloc(doc->len);
    if (!dst)
        abort();
    double t[RUNS];
    for (int i = 0; i < WARMUP + RUNS; i++) {
        double t0 = now_ms();
        copy_fn(dst, doc->data, doc->len);
        sink ^= (unsigned char)dst[(size_t)i * 7919u % doc->len];
        double t1 = now_ms();
        if (i >= WARMUP)
            t[i - WARMUP] = t1 - t0;
    }
    free(dst);
    return median(t, RUNS);
}

static double mb_per_s(size_t bytes, double ms)
{
    return ms > 0 ? (double)bytes / 1e6 / (ms / 1e3) : 0.0;
}

static void report(const char *what, size_t bytes, double ms, double base_ms)
{
    double per_mib = ms * (double)TARGET_BYTES / (double)bytes;
    printf("%-26s median %8.3f ms  %8.1f MB/s  %6.3f ms per MiB  "
           "%5.1fx memcpy time\n",
           what, ms, mb_per_s(bytes, ms), per_mib,
           base_ms > 0 ? ms / base_ms : 0.0);
    printf("  target: < %.0f ms for 1 MB: %s (%.2f ms scaled to 1 MiB)\n",
           TARGET_MS, per_mib < TARGET_MS ? "met" : "not met", per_mib);
}

int main(void)
{
    struct dd_buf doc;
    unsigned nrec = 0;
    dd_buf_init(&doc, 0);
    build_doc(&doc, TARGET_BYTES, &nrec);

    size_t out_both = 0, out_plain = 0;
    double both = bench_canonical(&doc, 1, &out_both);
    double plain = bench_canonical(&doc, 0, &out_plain);
    if (both < 0 || plain < 0) {
        dd_buf_free(&doc);
        return 1;
    }
    double base = bench_memcpy(&doc);

    printf("bench_canonical: dd_canonical_param_json, median of %d runs "
           "after %d warm-up (CLOCK_MONOTONIC)\n",
           RUNS, WARMUP);
    printf("document: %zu bytes (%.2f MiB), %u after-sale records; output "
           "%zu bytes (plain + html-safe)\n",
           doc.len, (double)doc.len / (double)TARGET_BYTES, nrec, out_both);
    printf("%-26s median %8.3f ms  %8.1f MB/s\n", "memcpy baseline", base,
           mb_per_s(doc.len, base));
    report("plain + html-safe", doc.len, both, base);
    report("plain only", doc.len, plain, base);
    printf("throughput vs memcpy: plain + html-safe %.4f, plain only %.4f "
           "(1.0 = memcpy speed)\n",
           both > 0 ? base / both : 0.0, plain > 0 ? base / plain : 0.0);
    dd_buf_free(&doc);
    return 0;
}
