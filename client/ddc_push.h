/*
 * ddc_push.h: a receiver for Doudian's message pushes (消息推送,
 * doudian-open-api.md §5; doudian-shipping-and-operations.md §6).
 *
 * The platform POSTs a JSON array of {"tag", "msg_id", "data"} records,
 * `data` being a JSON document serialised into a string, with the headers
 * `app-id` (the app_key) and `event-sign` = md5(app_key + body + secret)
 * (§5.1), and expects {"code":0,"msg":"success"} quickly (§5.2, "5秒内").
 * The receiver checks `app-id` and `event-sign` in constant time, parses
 * the array and every `data`, queues the messages, and acknowledges at
 * once; a worker thread hands the messages to the caller's handler in the
 * order they arrived. A slow handler therefore never delays an ack (the
 * queue absorbs it, up to queue_max messages; beyond that a POST is
 * refused with 503 so the platform retries it later). A POST that fails a
 * check is refused (401 wrong app-id or sign, 400 malformed) and nothing
 * of it is queued: the platform then retries with a correct copy, and a
 * forged POST is never acted on. The verification push (tag "0", §5.3)
 * is acknowledged and, by default, not handed over.
 *
 * Threads: libmicrohttpd's internal thread owns the connections, reads
 * bodies, checks and parses, and appends to the queue; one worker thread
 * owns the handler calls and frees each message after its handler
 * returns; the queue and the counters are shared under one mutex. The
 * caller's thread only starts and stops the receiver.
 *
 * What the caller must do itself: de-duplicate. The platform delivers at
 * least once (a retried POST, or a duplicate with the same msg_id), so
 * the handler should skip msg_ids it has handled, and should treat a
 * message as a hint: re-read the after-sale with afterSale.Detail before
 * acting (the `update_time` in refund messages is a version stamp, §5.4).
 * And an acknowledged message lives only in memory until handled: a crash
 * loses what was queued, so an ERP keeps polling afterSale.List as its
 * safety net.
 */
#ifndef DDC_PUSH_H
#define DDC_PUSH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest push body read; a longer one is refused with 413. */
#define DDC_PUSH_BODY_MAX ((size_t)4 << 20)
/* Most records in one POST. */
#define DDC_PUSH_BATCH_MAX 10000

/* One pushed message. Strings owned, never NULL. */
struct ddc_push_msg {
    char *tag;       /* "200" */
    int64_t tag_num; /* the tag as an integer, -1 when it is not one */
    char *msg_id;
    char *data; /* the `data` JSON text */
    size_t data_len;
    /* The common refund fields of §5.6 read from data; 0 / "" when
     * absent (trade messages carry other fields: read them from data). */
    int64_t aftersale_id;
    int64_t p_id; /* shop order */
    int64_t s_id; /* SKU order */
    int64_t shop_id;
    int64_t aftersale_status;
    int64_t aftersale_type;
    int64_t refund_amount;
    int64_t refund_post_amount;
    int64_t reason_code;
    char *update_time;   /* RFC 3339 text, the after-sale's version */
    int64_t received_us; /* when its POST arrived, Unix microseconds */
};

/* The records of one POST. */
struct ddc_push_batch {
    struct ddc_push_msg *msgs;
    size_t n;
};

/*
 * Parses a push body: a JSON array of records (a lone object is read as
 * one record, as one third-party SDK sends), each with `tag` and `msg_id`
 * (strings or numbers; `msgId` is accepted for msg_id) and `data` (a
 * string holding a JSON document, or the document itself). Every `data`
 * must be valid JSON. Returns 0 and fills `out` (free with
 * ddc_push_batch_free), or DD_E_FORMAT / a dd_json error with one sentence
 * in `err` (then `out` is empty).
 */
int ddc_push_parse(const char *body, size_t len, struct ddc_push_batch *out,
                   char *err, size_t errlen);

void ddc_push_msg_free(struct ddc_push_msg *m);
void ddc_push_batch_free(struct ddc_push_batch *b);

enum ddc_push_verdict {
    DDC_PUSH_ACCEPTED,
    DDC_PUSH_BAD_APP_ID,
    DDC_PUSH_BAD_SIGN,
    DDC_PUSH_MALFORMED,
};

/*
 * The checks of one POST, without any network: `app_id` and `event_sign`
 * are the header values (NULL when absent). app-id is compared with
 * `app_key` and event-sign with the expected signature in time that
 * depends only on the lengths (hex case is ignored, as the official SDKs
 * compare). Only then is the body parsed into `out`. Returns the verdict;
 * `out` is filled only for DDC_PUSH_ACCEPTED.
 */
enum ddc_push_verdict ddc_push_check(const char *app_key, const char *secret,
                                     const char *app_id, const char *event_sign,
                                     const char *body, size_t len,
                                     struct ddc_push_batch *out, char *err,
                                     size_t errlen);

/* Called on the worker thread for each message; `msg` is borrowed until
 * the handler returns. */
typedef void (*ddc_push_handler_cb)(const struct ddc_push_msg *msg, void *user);

struct ddc_push_config {
    const char *listen; /* "host:port"; port 0 picks a free port */
    const char *app_key;
    const char *app_secret;
    ddc_push_handler_cb handler;
    void *user;
    size_t queue_max;          /* messages waiting; 0 = 100000 */
    bool deliver_verification; /* also hand over tag "0" */
};

struct ddc_push;

/* Counters since start. */
struct ddc_push_stats {
    uint64_t posts; /* POSTs answered */
    uint64_t acked; /* POSTs acknowledged */
    uint64_t bad_app_id;
    uint64_t bad_sign;
    uint64_t malformed;
    uint64_t busy;     /* refused because the queue was full */
    uint64_t messages; /* messages queued */
    uint64_t handled;  /* handler calls that returned */
    size_t queued;     /* waiting now, the one being handled included */
};

/*
 * Starts listening and the worker. Returns a new receiver (stop and free
 * with ddc_push_stop), or NULL with the reason in `err` (bad address,
 * port taken, no handler).
 */
struct ddc_push *ddc_push_start(const struct ddc_push_config *cfg, char *err,
                                size_t errlen);

/* The port listened on (useful after port 0). */
uint16_t ddc_push_port(const struct ddc_push *p);

void ddc_push_stats(struct ddc_push *p, struct ddc_push_stats *out);

/*
 * Stops accepting (libmicrohttpd's thread is joined), then, with `drain`,
 * lets the worker hand over every queued message, else drops those not yet
 * handed over (they were acknowledged: the caller re-reads by polling);
 * joins the worker and frees everything. Safe on NULL.
 */
void ddc_push_stop(struct ddc_push *p, bool drain);

#endif
