/*
 * check_mock_replay.c: end-to-end tests of scenario replay (mock/replay.c;
 * mock/README.md "Scenario replay"; scenarios/FORMAT.md "timeline").
 *
 * Every test drives an in-process ddmock over HTTP only, as a runner
 * would: it creates a run from a scenario text (POST /_mock/runs), uses the
 * run's credentials for real API calls, starts the timeline, long-polls
 * events, answers them, and reads what happened from the run's state and
 * the journal (the entries the judge reads: run, step, hook, erp, final).
 * Offsets are a few tenths of a second with stretch 1, so each test takes
 * at most a few seconds; time bounds are loose above (a loaded machine or
 * sanitizers may be late) and strict below (a step never runs early).
 * The ack test has a tiny push receiver of its own that acknowledges
 * every message.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "mock_util.h"
#include "suites.h"

#define SHOP     "10000001"
#define ORDER_1  "6920000000000010001"
#define ORDER_2  "6920000000000010002"
#define AS_NEW   "7100000000000000001"
#define AS_WORLD "7000000000000010001" /* a return waiting for the seller */

/* The world of every test scenario: one shop, two one-line orders, one
 * return waiting for the seller's answer. `app` is "" or an "app" member
 * with its trailing comma. */
#define WORLD_FMT                                                              \
    "{%s\"shops\": [{\"shop_id\": \"" SHOP "\"}],"                             \
    " \"products\": [{\"product_id\": \"3600000000000001001\","                \
    "   \"skus\": [{\"sku_id\": \"1760000000000001001\", \"price\": 3900}]}]," \
    " \"orders\": ["                                                           \
    "  {\"order_id\": \"" ORDER_1 "\", \"shop_id\": \"" SHOP "\","             \
    "   \"create_time\": \"now-2h\", \"sku_orders\": [{\"sku_order_id\": "     \
    "\"" ORDER_1 "\", \"sku_id\": \"1760000000000001001\"}]},"                 \
    "  {\"order_id\": \"" ORDER_2 "\", \"shop_id\": \"" SHOP "\","             \
    "   \"create_time\": \"now-3d\", \"logistics\": {\"company_code\":"        \
    " \"shunfeng\", \"tracking_no\": \"SF100\", \"ship_time\": \"now-2d\"},"   \
    "   \"sku_orders\": [{\"sku_order_id\": \"" ORDER_2 "\","                  \
    "     \"sku_id\": \"1760000000000001001\"}]}],"                            \
    " \"aftersales\": [{\"aftersale_id\": \"" AS_WORLD "\","                   \
    "   \"sku_order_id\": \"" ORDER_2 "\", \"type\": \"return\","              \
    "   \"status\": 6, \"apply_time\": \"now-10m\"}]}"

static struct tmock T;
static char *last; /* body of the last admin answer */
static struct dd_json_doc last_doc;
static bool last_parsed;
static char run_key[20], run_secret[40];

static void forget_last(void)
{
    if (last_parsed)
        dd_json_doc_free(&last_doc);
    last_parsed = false;
    free(last);
    last = NULL;
}

static void setup(void)
{
    tmock_start(&T, NULL);
    run_key[0] = run_secret[0] = '\0';
}

static void teardown(void)
{
    forget_last();
    tmock_stop(&T);
}

/* ============================================================ helpers */

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Sends an admin call with a printf-formed path; the body (may be NULL) is
 * sent as is. Returns the HTTP status; the answer is in `last`. */
static long adm(const char *verb, const char *body, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static long adm(const char *verb, const char *body, const char *fmt, ...)
{
    char path[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(path, sizeof path, fmt, ap);
    va_end(ap);
    forget_last();
    return tadmin(&T, verb, path, body, &last);
}

/* Asserts that the last admin answer was `want` and returns its JSON. */
static const struct dd_json *answer(long got, long want)
{
    ck_assert_msg(got == want, "expected HTTP %ld, got %ld: %s", want, got,
                  last);
    if (!last_parsed)
        tjson(last, &last_doc);
    last_parsed = true;
    return last_doc.root;
}

/* A scenario text: the test world (with `app`, "" for none), `options`
 * and `timeline` JSON texts (NULL = none). Free with free(). */
static char *scenario(const char *app, const char *options,
                      const char *timeline)
{
    struct dd_buf b;
    dd_buf_init(&b, 0);
    dd_buf_puts(&b, "{\"format\": 1, \"info\": {\"id\": 9101, \"title\": "
                    "\"replay test\", \"situation\": \"s\", \"correct_erp\": "
                    "\"c\"}, \"world\": ");
    dd_buf_printf(&b, WORLD_FMT, app);
    if (options)
        dd_buf_printf(&b, ", \"options\": %s", options);
    if (timeline)
        dd_buf_printf(&b, ", \"timeline\": %s", timeline);
    dd_buf_puts(&b, "}");
    return dd_buf_steal(&b);
}

/* Creates a run (query after "?", may be "") and keeps its key and
 * secret; returns the create answer. */
static const struct dd_json *create_run(const char *query, const char *app,
                                        const char *options,
                                        const char *timeline)
{
    char *text = scenario(app, options, timeline);
    long st = adm("POST", text, "/_mock/runs?%s", query);
    free(text);
    const struct dd_json *a = answer(st, 200);
    ck_assert_str_eq(tjstr(a, "run"), tjstr(a, "app_key"));
    snprintf(run_key, sizeof run_key, "%s", tjstr(a, "app_key"));
    snprintf(run_secret, sizeof run_secret, "%s", tjstr(a, "app_secret"));
    return a;
}

/* Makes T call the run's world, with a token of its own. */
static void use_run_world(void)
{
    snprintf(T.app_key, sizeof T.app_key, "%s", run_key);
    snprintf(T.app_secret, sizeof T.app_secret, "%s", run_secret);
    snprintf(T.shop_id, sizeof T.shop_id, "%s", SHOP);
    tmock_token(&T);
}

static void start_run(const char *body)
{
    const struct dd_json *a =
        answer(adm("POST", body, "/_mock/runs/%s/start", run_key), 200);
    ck_assert_ptr_nonnull(tjnode(a, "started"));
}

/* The run's journal entries of `kind` (all kinds when NULL), oldest first,
 * in `doc` (free with dd_json_doc_free). */
static const struct dd_json *entries(const char *kind, struct dd_json_doc *doc)
{
    char *body = NULL;
    char path[256];
    snprintf(path, sizeof path, "/_mock/journal?app_key=%s%s%s", run_key,
             kind ? "&kind=" : "", kind ? kind : "");
    ck_assert_int_eq(tadmin(&T, "GET", path, NULL, &body), 200);
    const struct dd_json *root = tjson(body, doc);
    free(body);
    const struct dd_json *e = dd_json_get(root, "entries");
    ck_assert_ptr_nonnull(e);
    ck_assert_int_eq(e->type, DD_JSON_ARRAY);
    return e;
}

/* The first entry of `arr` whose method is `method`, or NULL. */
static const struct dd_json *with_method(const struct dd_json *arr,
                                         const char *method)
{
    for (size_t i = 0; i < arr->n; i++) {
        const char *m = tjstr(&arr->kids[i], "method");
        if (m && strcmp(m, method) == 0)
            return &arr->kids[i];
    }
    return NULL;
}

/* How many entries of `arr` have method `method`. */
static size_t count_method(const struct dd_json *arr, const char *method)
{
    size_t n = 0;
    for (size_t i = 0; i < arr->n; i++) {
        const char *m = tjstr(&arr->kids[i], "method");
        n += m && strcmp(m, method) == 0;
    }
    return n;
}

static int64_t num(const struct dd_json *v, const char *path)
{
    const char *s = tjstr(v, path);
    ck_assert_msg(s != NULL, "no number at %s", path);
    return strtoll(s, NULL, 10);
}

/* t0 of the run: the time_us of its run.start entry. */
static int64_t run_t0(void)
{
    struct dd_json_doc doc;
    const struct dd_json *run = with_method(entries("run", &doc), "run.start");
    ck_assert_ptr_nonnull(run);
    int64_t t0 = num(run, "time_us");
    dd_json_doc_free(&doc);
    return t0;
}

/* The state of step `index` ("waiting", "due", "event", "done",
 * "refused"), copied into out. */
static void step_state(size_t index, char *out, size_t cap)
{
    char path[32];
    snprintf(path, sizeof path, "steps.%zu.state", index);
    const struct dd_json *a =
        answer(adm("GET", NULL, "/_mock/runs/%s", run_key), 200);
    const char *s = tjstr(a, path);
    ck_assert_ptr_nonnull(s);
    snprintf(out, cap, "%s", s);
}

/* Waits at most `ms` for step `index` to reach `state`; asserts it did. */
static void wait_step(size_t index, const char *state, int ms)
{
    char got[16] = "";
    for (int waited = 0; waited <= ms; waited += 20) {
        step_state(index, got, sizeof got);
        if (strcmp(got, state) == 0)
            return;
        sleep_ms(20);
    }
    ck_abort_msg("step %zu is %s, not %s, after %d ms", index, got, state, ms);
}

/* GET .../next?wait_ms=N; returns the event object or NULL (JSON null). */
static const struct dd_json *next_event(int wait_ms)
{
    const struct dd_json *a = answer(
        adm("GET", NULL, "/_mock/runs/%s/next?wait_ms=%d", run_key, wait_ms),
        200);
    const struct dd_json *ev = dd_json_get(a, "event");
    ck_assert_ptr_nonnull(ev);
    return ev->type == DD_JSON_NULL ? NULL : ev;
}

/* ============================================================ receiver */

/* A push receiver on 127.0.0.1 that answers every request with the
 * acknowledgement {"code":0,"msg":"success"} and counts them. */
struct rcv {
    pthread_t th;
    int lfd;
    uint16_t port;
    volatile int stop;
    volatile int requests;
};

static struct rcv R;

/* Answers every complete request in `in` (header block and
 * Content-Length body) and removes it. */
static void rcv_serve(struct rcv *r, int fd, struct dd_buf *in)
{
    for (;;) {
        char *hend = in->data ? strstr(in->data, "\r\n\r\n") : NULL;
        if (!hend)
            return;
        size_t blen = 0;
        for (char *p = in->data; p < hend; p++) {
            if ((p == in->data || p[-1] == '\n') &&
                strncasecmp(p, "content-length:", 15) == 0)
                blen = (size_t)strtoul(p + 15, NULL, 10);
        }
        size_t used = (size_t)(hend + 4 - in->data) + blen;
        if (in->len < used)
            return;
        static const char body[] = "{\"code\":0,\"msg\":\"success\"}";
        char ack[160];
        int n = snprintf(ack, sizeof ack,
                         "HTTP/1.1 200 OK\r\nContent-Type: application/json"
                         "\r\nContent-Length: %zu\r\n\r\n%s",
                         sizeof body - 1, body);
        ssize_t rc = write(fd, ack, (size_t)n);
        (void)rc;
        __atomic_add_fetch(&r->requests, 1, __ATOMIC_SEQ_CST);
        memmove(in->data, in->data + used, in->len - used);
        in->len -= used;
        in->data[in->len] = '\0';
    }
}

static void *rcv_thread(void *arg)
{
    struct rcv *r = arg;
    int conns[8];
    struct dd_buf bufs[8];
    size_t nc = 0;
    while (!__atomic_load_n(&r->stop, __ATOMIC_SEQ_CST)) {
        struct pollfd pf[9];
        for (size_t i = 0; i < nc; i++)
            pf[i] = (struct pollfd){conns[i], POLLIN, 0};
        pf[nc] = (struct pollfd){r->lfd, POLLIN, 0};
        if (poll(pf, nc + 1, 20) <= 0)
            continue;
        if ((pf[nc].revents & POLLIN) && nc < 8) {
            int c = accept(r->lfd, NULL, NULL);
            if (c >= 0) {
                conns[nc] = c;
                dd_buf_init(&bufs[nc], 0);
                nc++;
            }
        }
        for (size_t i = 0; i < nc; i++) {
            if (!(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            char chunk[8192];
            ssize_t got = read(conns[i], chunk, sizeof chunk);
            if (got <= 0) {
                close(conns[i]);
                dd_buf_free(&bufs[i]);
                conns[i] = conns[nc - 1];
                bufs[i] = bufs[nc - 1];
                pf[i] = pf[nc - 1];
                nc--;
                i--;
                continue;
            }
            dd_buf_append(&bufs[i], chunk, (size_t)got);
            rcv_serve(r, conns[i], &bufs[i]);
        }
    }
    for (size_t i = 0; i < nc; i++) {
        close(conns[i]);
        dd_buf_free(&bufs[i]);
    }
    return NULL;
}

static void rcv_start(struct rcv *r)
{
    memset(r, 0, sizeof *r);
    r->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(r->lfd, 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(r->lfd, (struct sockaddr *)&sa, sizeof sa), 0);
    ck_assert_int_eq(listen(r->lfd, 16), 0);
    socklen_t sl = sizeof sa;
    getsockname(r->lfd, (struct sockaddr *)&sa, &sl);
    r->port = ntohs(sa.sin_port);
    ck_assert_int_eq(pthread_create(&r->th, NULL, rcv_thread, r), 0);
}

static void rcv_stop(struct rcv *r)
{
    __atomic_store_n(&r->stop, 1, __ATOMIC_SEQ_CST);
    pthread_join(r->th, NULL);
    close(r->lfd);
}

/* ============================================================ creating */

START_TEST(test_a_run_gets_a_fresh_world_whose_credentials_work)
{
    const struct dd_json *a =
        create_run("name=9101-replay.json", "", NULL, NULL);
    ck_assert_str_ne(run_key, T.app_key); /* not the default world */
    ck_assert_int_eq(strlen(run_key), 19);
    ck_assert_str_eq(tjstr(a, "shop_id"), SHOP);
    ck_assert_int_eq(tjnode(a, "auth_code")->type, DD_JSON_NULL);
    ck_assert_int_eq(num(a, "scenario_id"), 9101);
    ck_assert_str_eq(tjstr(a, "title"), "replay test");
    ck_assert_int_eq(tjnode(a, "push")->type, DD_JSON_FALSE);
    ck_assert_int_eq(tjnode(a, "hook")->type, DD_JSON_FALSE);
    ck_assert_int_eq(num(a, "time_scale"), 3600);
    ck_assert_int_eq(num(a, "stretch"), 1);
    ck_assert_int_eq(num(a, "poll_interval"), 5);
    ck_assert_int_eq(num(a, "max_seconds"), 60);
    ck_assert_int_eq(tjnode(a, "needs_hook")->type, DD_JSON_FALSE);
    ck_assert_str_eq(tjstr(a, "push_mode"), "either");

    /* the credentials work for token.create and the world is the
     * scenario's */
    use_run_world();
    struct dd_envelope env;
    tcall(&T, "order.orderDetail", "{\"shop_order_id\":\"" ORDER_1 "\"}", NULL,
          &env);
    tok(&env);
    dd_envelope_free(&env);

    /* run.create carries the options and the world's state as created */
    struct dd_json_doc doc;
    const struct dd_json *e = with_method(entries("run", &doc), "run.create");
    ck_assert_ptr_nonnull(e);
    ck_assert_str_eq(tjstr(e, "app_key"), run_key);
    ck_assert_int_eq(num(e, "params.scenario_id"), 9101);
    ck_assert_int_eq(num(e, "params.time_scale"), 3600);
    ck_assert_str_eq(tjstr(e, "params.push_mode"), "either");
    ck_assert_str_eq(tjstr(e, "params.world.aftersales." AS_WORLD ".type"),
                     "return");
    ck_assert_str_eq(tjstr(e, "params.world.sku_orders." ORDER_1 ".status"),
                     "unshipped");
    dd_json_doc_free(&doc);

    /* a fresh run never started: created, no t0 */
    a = answer(adm("GET", NULL, "/_mock/runs/%s", run_key), 200);
    ck_assert_str_eq(tjstr(a, "state"), "created");
    ck_assert_int_eq(tjnode(a, "t0_us")->type, DD_JSON_NULL);
}
END_TEST

START_TEST(test_a_tool_app_run_gets_an_authorization_code_that_works)
{
    const struct dd_json *a =
        create_run("", "\"app\": {\"type\": \"tool\"},", NULL, NULL);
    const char *code = tjstr(a, "auth_code");
    ck_assert_ptr_nonnull(code);
    char pj[160];
    snprintf(pj, sizeof pj,
             "{\"code\":\"%s\",\"grant_type\":\"authorization_code\"}", code);
    snprintf(T.app_key, sizeof T.app_key, "%s", run_key);
    snprintf(T.app_secret, sizeof T.app_secret, "%s", run_secret);
    struct dd_envelope env;
    struct tcall_opts o = {.access_token = ""};
    tcall(&T, "token.create", pj, &o, &env);
    tok(&env);
    ck_assert_str_eq(tfield(&env, "shop_id"), SHOP);
    dd_envelope_free(&env);
}
END_TEST

START_TEST(test_a_bad_scenario_is_refused_with_every_problem_located)
{
    char *text = scenario("", NULL,
                          "[{\"at\": 1, \"do\": \"buyer.aply\"},"
                          " {\"at\": 75, \"do\": \"token.revoke\"}]");
    long st = adm("POST", text, "/_mock/runs?name=bad.json");
    free(text);
    const struct dd_json *a = answer(st, 400);
    ck_assert_str_eq(tjstr(a, "error"), "the scenario has problems");
    const struct dd_json *errs = dd_json_get(a, "errors");
    ck_assert_ptr_nonnull(errs);
    ck_assert_int_eq(errs->n, 2);
    ck_assert_msg(strstr(errs->kids[0].text, "bad.json:1:") ==
                          errs->kids[0].text &&
                      strstr(errs->kids[0].text, "buyer.aply"),
                  "%s", errs->kids[0].text);
    ck_assert_msg(strstr(errs->kids[1].text, "timeline[1].at"), "%s",
                  errs->kids[1].text);
    /* not JSON at all, and no body */
    answer(adm("POST", "{\"format\":", "/_mock/runs"), 400);
    answer(adm("POST", NULL, "/_mock/runs"), 400);
    /* bad query values */
    text = scenario("", NULL, NULL);
    answer(adm("POST", text, "/_mock/runs?stretch=0.5"), 400);
    answer(adm("POST", text, "/_mock/runs?time_scale=0"), 400);
    answer(adm("POST", text, "/_mock/runs?push=yes"), 400);
    free(text);
    /* nothing was created */
    a = answer(adm("GET", NULL, "/_mock/runs"), 200);
    ck_assert_int_eq(tjnode(a, "runs")->n, 0);
}
END_TEST

START_TEST(test_time_scale_comes_from_query_then_scenario_then_3600)
{
    const char *opts = "{\"time_scale\": 7200}";
    const struct dd_json *a = create_run("", "", opts, NULL);
    ck_assert_int_eq(num(a, "time_scale"), 7200);
    a = answer(adm("GET", NULL, "/_mock/worlds/%s/settings", run_key), 200);
    ck_assert_int_eq(num(a, "time_scale"), 7200);

    a = create_run("time_scale=100", "", opts, NULL);
    ck_assert_int_eq(num(a, "time_scale"), 100);
    a = answer(adm("GET", NULL, "/_mock/worlds/%s/settings", run_key), 200);
    ck_assert_int_eq(num(a, "time_scale"), 100);

    /* the stretch divides it and multiplies max_seconds */
    a = create_run("stretch=3", "", opts, NULL);
    ck_assert_int_eq(num(a, "time_scale"), 2400);
    ck_assert_int_eq(num(a, "max_seconds"), 180);
    ck_assert_int_eq(num(a, "stretch"), 3);

    a = create_run("", "", NULL, NULL);
    ck_assert_int_eq(num(a, "time_scale"), 3600);
    a = create_run("time_scale=3&stretch=4", "", NULL, NULL);
    ck_assert_int_eq(num(a, "time_scale"), 1); /* never below 1 */
}
END_TEST

/* ============================================================ timeline */

START_TEST(test_at_steps_run_at_their_offset_in_file_order)
{
    create_run("", "", NULL,
               "[{\"id\": \"apply\", \"at\": 0.3, \"do\": \"buyer.apply\","
               "  \"with\": {\"aftersale_id\": \"" AS_NEW "\","
               "   \"sku_order_id\": \"" ORDER_1
               "\", \"type\": \"unshipped_refund\"}},"
               " {\"id\": \"cancel\", \"at\": 0.3, \"do\": \"buyer.cancel\","
               "  \"with\": {\"aftersale_id\": \"" AS_NEW "\"}}]");
    start_run("{}");
    int64_t t0 = run_t0();
    ck_assert_int_le(now_us() - t0, 250000);
    answer(adm("GET", NULL, "/_mock/worlds/%s/aftersales/" AS_NEW, run_key),
           404);
    wait_step(1, "done", 3000);

    struct dd_json_doc doc;
    const struct dd_json *steps = entries("step", &doc);
    ck_assert_int_eq(steps->n, 2);
    /* file order at the same moment: apply, then cancel */
    ck_assert_str_eq(tjstr(&steps->kids[0], "method"), "buyer.apply");
    ck_assert_str_eq(tjstr(&steps->kids[1], "method"), "buyer.cancel");
    for (size_t i = 0; i < 2; i++) {
        const struct dd_json *e = &steps->kids[i];
        int64_t at = num(e, "time_us") - t0;
        ck_assert_msg(at >= 300000 && at < 1300000, "step %zu at %lld us", i,
                      (long long)at);
        ck_assert_int_eq(num(e, "code"), 0);
        ck_assert_int_eq(num(e, "params.index"), (int64_t)i);
        ck_assert_str_eq(tjstr(e, "params.id"), i ? "cancel" : "apply");
        ck_assert_str_eq(tjstr(e, "params.with.aftersale_id"), AS_NEW);
    }
    /* the response is the admin answer: the after-sale closed (28) */
    ck_assert_int_eq(num(&steps->kids[1], "response.status"), 28);
    dd_json_doc_free(&doc);
    /* the run's state shows when each ran */
    const struct dd_json *a =
        answer(adm("GET", NULL, "/_mock/runs/%s", run_key), 200);
    ck_assert_str_eq(tjstr(a, "state"), "running");
    ck_assert_int_eq(num(a, "t0_us"), t0);
    ck_assert_str_eq(tjstr(a, "steps.0.action"), "buyer.apply");
    ck_assert_int_ge(num(a, "steps.0.ran_us") - t0, 300000);
}
END_TEST

START_TEST(test_an_after_call_step_waits_for_a_matching_call_only)
{
    create_run("", "", NULL,
               "[{\"after\": {\"call\": \"order.orderDetail\","
               "   \"args\": {\"shop_order_id\": \"" ORDER_2 "\"},"
               "   \"answered\": \"success\"},"
               "  \"do\": \"buyer.apply\","
               "  \"with\": {\"aftersale_id\": \"" AS_NEW "\","
               "   \"sku_order_id\": \"" ORDER_1
               "\", \"type\": \"unshipped_refund\"}}]");
    use_run_world();
    struct dd_envelope env;
    /* a matching call before t0 does not count */
    tcall(&T, "order.orderDetail", "{\"shop_order_id\":\"" ORDER_2 "\"}", NULL,
          &env);
    tok(&env);
    dd_envelope_free(&env);
    start_run("{}");
    /* another order, then a failed call with the right args: not yet */
    tcall(&T, "order.orderDetail", "{\"shop_order_id\":\"" ORDER_1 "\"}", NULL,
          &env);
    tok(&env);
    dd_envelope_free(&env);
    tcall(&T, "order.orderDetail", "{\"shop_order_id\":" ORDER_2 "}",
          &(struct tcall_opts){.access_token = "nope"}, &env);
    ck_assert_int_ne(env.code, 10000);
    dd_envelope_free(&env);
    sleep_ms(300);
    char st[16];
    step_state(0, st, sizeof st);
    ck_assert_str_eq(st, "waiting");
    /* the id as a number matches the string of the matcher */
    tcall(&T, "order.orderDetail", "{\"shop_order_id\":" ORDER_2 "}", NULL,
          &env);
    tok(&env);
    dd_envelope_free(&env);
    wait_step(0, "done", 2000);
    answer(adm("GET", NULL, "/_mock/worlds/%s/aftersales/" AS_NEW, run_key),
           200);
}
END_TEST

START_TEST(test_an_after_step_chain_runs_after_its_delay)
{
    create_run(
        "", "", NULL,
        "[{\"id\": \"apply\", \"at\": 0.1, \"do\": \"buyer.apply\","
        "  \"with\": {\"aftersale_id\": \"" AS_NEW "\","
        "   \"sku_order_id\": \"" ORDER_1
        "\", \"type\": \"unshipped_refund\"}},"
        " {\"id\": \"cancel\", \"after\": {\"step\": \"apply\"},"
        "  \"delay\": 0.4, \"do\": \"buyer.cancel\","
        "  \"with\": {\"aftersale_id\": \"" AS_NEW "\"}},"
        " {\"after\": {\"step\": \"cancel\"}, \"do\": \"token.revoke\"}]");
    start_run("{}");
    wait_step(2, "done", 3000);
    const struct dd_json *a =
        answer(adm("GET", NULL, "/_mock/runs/%s", run_key), 200);
    int64_t apply = num(a, "steps.0.ran_us");
    int64_t cancel = num(a, "steps.1.ran_us");
    int64_t revoke = num(a, "steps.2.ran_us");
    ck_assert_msg(cancel - apply >= 400000 && cancel - apply < 1400000,
                  "cancel %lld us after apply", (long long)(cancel - apply));
    ck_assert_msg(revoke >= cancel && revoke - cancel < 500000,
                  "revoke %lld us after cancel", (long long)(revoke - cancel));
}
END_TEST

START_TEST(test_an_ack_condition_waits_for_the_erps_acknowledgement)
{
    rcv_start(&R);
    create_run(
        "push=1", "", "{\"push\": \"required\"}",
        "[{\"id\": \"apply\", \"at\": 0.1, \"do\": \"buyer.apply\","
        "  \"with\": {\"aftersale_id\": \"" AS_NEW "\","
        "   \"sku_order_id\": \"" ORDER_1
        "\", \"type\": \"unshipped_refund\"}},"
        " {\"after\": {\"ack\": {\"tag\": 200, \"aftersale_id\": \"" AS_NEW
        "\"}}, \"do\": \"buyer.cancel\","
        "  \"with\": {\"aftersale_id\": \"" AS_NEW "\"}}]");
    char body[96];
    snprintf(body, sizeof body, "{\"url\": \"http://127.0.0.1:%u/push\"}",
             (unsigned)R.port);
    answer(adm("PUT", body, "/_mock/worlds/%s/subscription", run_key), 200);
    start_run("{}");
    wait_step(1, "done", 4000);
    /* the step ran after the push of tag 200 was acknowledged */
    struct dd_json_doc doc;
    const struct dd_json *all = entries(NULL, &doc);
    int64_t acked = 0, cancelled = 0;
    for (size_t i = 0; i < all->n; i++) {
        const struct dd_json *e = &all->kids[i];
        const char *kind = tjstr(e, "kind");
        if (strcmp(kind, "push") == 0 &&
            strcmp(tjstr(e, "sub_code"), "acked") == 0 &&
            tjstr(e, "response.aftersale_ids.0") && !acked)
            acked = num(e, "seq");
        if (strcmp(kind, "step") == 0 &&
            strcmp(tjstr(e, "method"), "buyer.cancel") == 0)
            cancelled = num(e, "seq");
    }
    dd_json_doc_free(&doc);
    ck_assert_int_gt(acked, 0);
    ck_assert_int_gt(cancelled, acked);
    rcv_stop(&R);
}
END_TEST

/* ============================================================ events */

START_TEST(test_a_hook_event_is_long_polled_answered_and_journalled)
{
    create_run("hook=1", "", "{\"hook\": true}",
               "[{\"id\": \"ship\", \"at\": 0.3, \"do\": "
               "\"warehouse.ship_request\", \"with\": {\"shop_order_id\": "
               "\"" ORDER_1 "\", \"sku_order_ids\": [" ORDER_1 "]}},"
               " {\"after\": {\"step\": \"ship\"}, \"do\": \"fault\","
               "  \"with\": {\"kind\": \"api_latency\", \"delay_ms\": 1,"
               "   \"count\": 1}}]");
    start_run("{}");
    /* nothing yet; the long-poll returns as soon as the event exists */
    ck_assert_ptr_null(next_event(0));
    int64_t before = now_us();
    const struct dd_json *ev = next_event(5000);
    int64_t waited = now_us() - before;
    ck_assert_ptr_nonnull(ev);
    ck_assert_msg(waited < 3000000, "the long-poll took %lld us",
                  (long long)waited);
    ck_assert_str_eq(tjstr(ev, "kind"), "hook");
    ck_assert_int_eq(num(ev, "step"), 0);
    int64_t id = num(ev, "id");
    ck_assert_str_eq(tjstr(ev, "input.event"), "warehouse.ship_request");
    ck_assert_str_eq(tjstr(ev, "input.shop_order_id"), ORDER_1);
    /* the id written as a number in the scenario reaches the hook as a
     * string */
    ck_assert_int_eq(tjnode(ev, "input.sku_order_ids.0")->type, DD_JSON_STRING);
    ck_assert_str_eq(tjstr(ev, "input.sku_order_ids.0"), ORDER_1);
    /* handed out once */
    ck_assert_ptr_null(next_event(0));
    char st[16];
    step_state(0, st, sizeof st);
    ck_assert_str_eq(st, "event");
    step_state(1, st, sizeof st);
    ck_assert_str_eq(st, "waiting");

    const struct dd_json *a = answer(
        adm("POST",
            "{\"ok\": true, \"reply\": {\"shipped\": true, \"company_code\": "
            "\"zhongtong\", \"tracking_no\": \"ZT1\"}}",
            "/_mock/runs/%s/events/%lld/reply", run_key, (long long)id),
        200);
    ck_assert_str_eq(tjstr(a, "verdict"), "ok");
    /* twice is once too many */
    answer(adm("POST", "{\"ok\": true, \"reply\": {\"shipped\": false}}",
               "/_mock/runs/%s/events/%lld/reply", run_key, (long long)id),
           409);
    answer(adm("POST", "{\"ok\": true}", "/_mock/runs/%s/events/99/reply",
               run_key),
           404);
    /* the step has run: the one after it goes on */
    wait_step(1, "done", 2000);

    struct dd_json_doc doc;
    const struct dd_json *hooks = entries("hook", &doc);
    ck_assert_int_eq(hooks->n, 1);
    const struct dd_json *h = &hooks->kids[0];
    ck_assert_str_eq(tjstr(h, "method"), "warehouse.ship_request");
    ck_assert_str_eq(tjstr(h, "verdict"), "ok");
    ck_assert_int_eq(num(h, "params.index"), 0);
    ck_assert_str_eq(tjstr(h, "params.input.shop_order_id"), ORDER_1);
    ck_assert_str_eq(tjstr(h, "params.state.sku_orders." ORDER_1 ".status"),
                     "unshipped");
    ck_assert_int_eq(tjnode(h, "response.shipped")->type, DD_JSON_TRUE);
    dd_json_doc_free(&doc);
    /* the step entry was written when the event was handed out */
    const struct dd_json *steps = entries("step", &doc);
    const struct dd_json *s0 = with_method(steps, "warehouse.ship_request");
    ck_assert_ptr_nonnull(s0);
    ck_assert_int_eq(num(s0, "code"), 0);
    ck_assert_int_eq(num(s0, "response.id"), id);
    ck_assert_int_eq(count_method(steps, "warehouse.ship_request"), 1);
    dd_json_doc_free(&doc);
}
END_TEST

START_TEST(test_a_bad_or_failed_hook_reply_is_a_failed_hook)
{
    create_run("hook=1", "", "{\"hook\": true}",
               "[{\"at\": 0, \"do\": \"warehouse.ship_request\", \"with\": "
               "{\"shop_order_id\": \"" ORDER_1
               "\", \"sku_order_ids\": [\"" ORDER_1 "\"]}},"
               " {\"at\": 0, \"do\": \"warehouse.return_arrived\", \"with\": "
               "{\"aftersale_id\": \"" AS_WORLD "\", \"tracking_no\": \"SF1\","
               "  \"items\": [{\"sku_order_id\": \"" ORDER_2
               "\", \"quantity\": 1}], \"condition\": \"damaged\"}},"
               " {\"at\": 0, \"do\": \"warehouse.ship_request\", \"with\": "
               "{\"shop_order_id\": \"" ORDER_1
               "\", \"sku_order_ids\": [\"" ORDER_1 "\"]}}]");
    /* an event cannot be answered before it is handed out */
    start_run("{}");
    sleep_ms(200);
    answer(adm("POST", "{\"ok\": true, \"reply\": {\"shipped\": false}}",
               "/_mock/runs/%s/events/1/reply", run_key),
           409);
    const struct dd_json *ev = next_event(2000);
    ck_assert_int_eq(num(ev, "id"), 1);
    ev = next_event(2000);
    ck_assert_int_eq(num(ev, "id"), 2);
    ck_assert_str_eq(tjstr(ev, "input.condition"), "damaged");
    ck_assert_str_eq(tjstr(ev, "input.items.0.sku_order_id"), ORDER_2);
    ck_assert_int_eq(num(ev, "input.items.0.quantity"), 1);
    ev = next_event(2000);
    ck_assert_int_eq(num(ev, "id"), 3);

    /* shipped: "yes" is not a boolean */
    const struct dd_json *a =
        answer(adm("POST", "{\"ok\": true, \"reply\": {\"shipped\": \"yes\"}}",
                   "/_mock/runs/%s/events/1/reply", run_key),
               200);
    ck_assert_str_eq(tjstr(a, "verdict"), "failed");
    /* {"received": false} is not the answer harness.md asks for */
    a = answer(adm("POST", "{\"ok\": true, \"reply\": {\"received\": false}}",
                   "/_mock/runs/%s/events/2/reply", run_key),
               200);
    ck_assert_str_eq(tjstr(a, "verdict"), "failed");
    /* the runner says the hook failed */
    a = answer(adm("POST", "{\"ok\": false, \"error\": \"exit status 3\"}",
                   "/_mock/runs/%s/events/3/reply", run_key),
               200);
    ck_assert_str_eq(tjstr(a, "verdict"), "failed");
    /* a body without ok */
    answer(adm("POST", "{\"reply\": {}}", "/_mock/runs/%s/events/3/reply",
               run_key),
           400);

    struct dd_json_doc doc;
    const struct dd_json *hooks = entries("hook", &doc);
    ck_assert_int_eq(hooks->n, 3);
    for (size_t i = 0; i < 3; i++)
        ck_assert_str_eq(tjstr(&hooks->kids[i], "verdict"), "failed");
    ck_assert_msg(strstr(tjstr(&hooks->kids[0], "note"), "shipped"), "%s",
                  tjstr(&hooks->kids[0], "note"));
    ck_assert_str_eq(tjstr(&hooks->kids[1], "method"),
                     "warehouse.return_arrived");
    ck_assert_int_eq(tjnode(&hooks->kids[1], "response.received")->type,
                     DD_JSON_FALSE);
    ck_assert_str_eq(tjstr(&hooks->kids[2], "note"), "exit status 3");
    const struct dd_json *none = tjnode(&hooks->kids[2], "response");
    ck_assert(!none || none->type == DD_JSON_NULL);
    dd_json_doc_free(&doc);
}
END_TEST

START_TEST(test_a_restart_event_and_erp_reports_are_journalled)
{
    create_run("", "", NULL,
               "[{\"id\": \"restart\", \"at\": 0.1, \"do\": \"erp.restart\"},"
               " {\"after\": {\"step\": \"restart\"}, \"do\": "
               "\"token.expire\", \"with\": {\"refresh\": true}}]");
    start_run("{}");
    const struct dd_json *ev = next_event(3000);
    ck_assert_ptr_nonnull(ev);
    ck_assert_str_eq(tjstr(ev, "kind"), "restart");
    ck_assert_int_eq(num(ev, "step"), 0);
    ck_assert_ptr_null(tjnode(ev, "input"));
    int64_t id = num(ev, "id");
    answer(adm("POST", "{\"what\": \"kill\", \"pid\": 4321}",
               "/_mock/runs/%s/erp", run_key),
           200);
    answer(adm("POST",
               "{\"what\": \"start\", \"pid\": 4400, \"note\": \"again\"}",
               "/_mock/runs/%s/erp", run_key),
           200);
    answer(adm("POST", "{\"what\": \"reboot\", \"pid\": 1}",
               "/_mock/runs/%s/erp", run_key),
           400);
    char st[16];
    step_state(1, st, sizeof st);
    ck_assert_str_eq(st, "waiting");
    answer(adm("POST", "{\"ok\": true}", "/_mock/runs/%s/events/%lld/reply",
               run_key, (long long)id),
           200);
    wait_step(1, "done", 2000);
    step_state(0, st, sizeof st);
    ck_assert_str_eq(st, "done");

    struct dd_json_doc doc;
    const struct dd_json *erp = entries("erp", &doc);
    ck_assert_int_eq(erp->n, 2);
    ck_assert_str_eq(tjstr(&erp->kids[0], "method"), "erp.kill");
    ck_assert_int_eq(num(&erp->kids[0], "params.pid"), 4321);
    ck_assert_str_eq(tjstr(&erp->kids[1], "method"), "erp.start");
    ck_assert_str_eq(tjstr(&erp->kids[1], "note"), "again");
    dd_json_doc_free(&doc);
}
END_TEST

/* ============================================================ the end */

START_TEST(test_a_refused_action_ends_the_run_in_error)
{
    /* the return was never agreed: the buyer cannot ship it back */
    create_run("", "", NULL,
               "[{\"at\": 0.1, \"do\": \"buyer.ship_return\", \"with\": "
               "{\"aftersale_id\": \"" AS_WORLD "\", \"company_code\": "
               "\"zhongtong\", \"tracking_no\": \"ZT9\"}},"
               " {\"at\": 0.5, \"do\": \"token.revoke\"}]");
    start_run("{}");
    const struct dd_json *ev = next_event(3000);
    ck_assert_ptr_nonnull(ev);
    ck_assert_str_eq(tjstr(ev, "kind"), "end");
    ck_assert_str_eq(tjstr(ev, "reason"), "error");
    /* the end event stays */
    ev = next_event(0);
    ck_assert_str_eq(tjstr(ev, "kind"), "end");

    const struct dd_json *a =
        answer(adm("GET", NULL, "/_mock/runs/%s", run_key), 200);
    ck_assert_str_eq(tjstr(a, "state"), "ended");
    ck_assert_str_eq(tjstr(a, "steps.0.state"), "refused");
    ck_assert_str_eq(tjstr(a, "steps.1.state"), "due");
    ck_assert_msg(strstr(tjstr(a, "error"), "step 0 (buyer.ship_return) was "
                                            "refused: "),
                  "%s", tjstr(a, "error"));

    struct dd_json_doc doc;
    const struct dd_json *all = entries(NULL, &doc);
    const struct dd_json *step = with_method(all, "buyer.ship_return");
    ck_assert_ptr_nonnull(step);
    ck_assert_int_eq(num(step, "code"), 409);
    ck_assert_ptr_nonnull(tjstr(step, "note"));
    const struct dd_json *end = with_method(all, "run.end");
    ck_assert_ptr_nonnull(end);
    ck_assert_msg(
        strncmp(tjstr(end, "note"),
                "error: step 0 (buyer.ship_return) was refused: ", 47) == 0,
        "%s", tjstr(end, "note"));
    ck_assert_ptr_nonnull(with_method(all, "run.final"));
    ck_assert_ptr_null(with_method(all, "token.revoke"));
    dd_json_doc_free(&doc);
    sleep_ms(600); /* the later step never runs */
    const struct dd_json *steps = entries("step", &doc);
    ck_assert_int_eq(steps->n, 1);
    dd_json_doc_free(&doc);
}
END_TEST

START_TEST(test_max_seconds_ends_the_run_with_final_state_and_run_end)
{
    create_run("", "", "{\"max_seconds\": 0.5}",
               "[{\"at\": 0.1, \"do\": \"buyer.apply\","
               "  \"with\": {\"aftersale_id\": \"" AS_NEW "\","
               "   \"sku_order_id\": \"" ORDER_1
               "\", \"type\": \"unshipped_refund\"}}]");
    start_run("{}");
    int64_t t0 = run_t0();
    const struct dd_json *ev = next_event(4000);
    ck_assert_ptr_nonnull(ev);
    ck_assert_str_eq(tjstr(ev, "kind"), "end");
    ck_assert_str_eq(tjstr(ev, "reason"), "ended");

    struct dd_json_doc doc;
    const struct dd_json *all = entries(NULL, &doc);
    const struct dd_json *fin = with_method(all, "run.final");
    const struct dd_json *end = with_method(all, "run.end");
    ck_assert_ptr_nonnull(fin);
    ck_assert_ptr_nonnull(end);
    ck_assert_str_eq(tjstr(fin, "kind"), "final");
    ck_assert_str_eq(tjstr(end, "kind"), "run");
    ck_assert_str_eq(tjstr(end, "note"), "ended");
    ck_assert_int_gt(num(end, "seq"), num(fin, "seq"));
    int64_t at = num(end, "time_us") - t0;
    ck_assert_msg(at >= 500000 && at < 2500000, "ended %lld us after t0",
                  (long long)at);
    /* the final state has the after-sale the step created */
    ck_assert_int_eq(num(fin, "response.aftersales." AS_NEW ".status"), 6);
    ck_assert_str_eq(
        tjstr(fin, "response.sku_orders." ORDER_1 ".open_aftersale"), AS_NEW);
    dd_json_doc_free(&doc);
    /* POST end afterwards changes nothing */
    const struct dd_json *a =
        answer(adm("POST", "{}", "/_mock/runs/%s/end", run_key), 200);
    ck_assert_int_eq(tjnode(a, "ended")->type, DD_JSON_TRUE);
    const struct dd_json *runs = entries("run", &doc);
    ck_assert_int_eq(count_method(runs, "run.end"), 1);
    dd_json_doc_free(&doc);
    /* nor can a run start twice */
    answer(adm("POST", "{}", "/_mock/runs/%s/start", run_key), 409);
}
END_TEST

START_TEST(test_end_stops_the_timeline_and_is_idempotent)
{
    create_run("", "", NULL, "[{\"at\": 0.4, \"do\": \"token.revoke\"}]");
    start_run("{}");
    const struct dd_json *a =
        answer(adm("POST", NULL, "/_mock/runs/%s/end", run_key), 200);
    int64_t last_seq = num(a, "last_seq");
    ck_assert_int_gt(last_seq, 0);
    a = answer(adm("POST", NULL, "/_mock/runs/%s/end", run_key), 200);
    ck_assert_int_eq(num(a, "last_seq"), last_seq);
    sleep_ms(700);
    struct dd_json_doc doc;
    const struct dd_json *all = entries(NULL, &doc);
    ck_assert_ptr_null(with_method(all, "token.revoke"));
    const struct dd_json *end = with_method(all, "run.end");
    ck_assert_int_eq(num(end, "seq"), last_seq);
    ck_assert_int_eq(count_method(all, "run.final"), 1);
    dd_json_doc_free(&doc);
    const struct dd_json *ev = next_event(0);
    ck_assert_str_eq(tjstr(ev, "kind"), "end");
    ck_assert_str_eq(tjstr(ev, "reason"), "ended");
    /* an ERP report still goes to the journal after the end */
    answer(adm("POST", "{\"what\": \"exit\", \"pid\": 77, \"status\": 143}",
               "/_mock/runs/%s/erp", run_key),
           200);
    const struct dd_json *erp = entries("erp", &doc);
    ck_assert_int_eq(erp->n, 1);
    ck_assert_int_eq(num(&erp->kids[0], "code"), 143);
    dd_json_doc_free(&doc);
}
END_TEST

START_TEST(test_the_erps_first_call_starts_an_armed_run)
{
    create_run("", "", NULL, NULL);
    const struct dd_json *a = answer(adm("POST", "{\"first_call_within\": 0}",
                                         "/_mock/runs/%s/start", run_key),
                                     200);
    ck_assert_int_eq(tjnode(a, "started")->type, DD_JSON_FALSE);
    a = answer(adm("GET", NULL, "/_mock/runs/%s", run_key), 200);
    ck_assert_str_eq(tjstr(a, "state"), "armed");
    int64_t before = now_us();
    use_run_world(); /* token.create is the first call */
    a = answer(adm("GET", NULL, "/_mock/runs/%s", run_key), 200);
    ck_assert_str_eq(tjstr(a, "state"), "running");
    ck_assert_int_ge(num(a, "t0_us"), before);

    /* first_call_within passes without a call */
    create_run("", "", NULL, NULL);
    answer(adm("POST", "{\"first_call_within\": 0.2}", "/_mock/runs/%s/start",
               run_key),
           200);
    a = answer(adm("GET", NULL, "/_mock/runs/%s", run_key), 200);
    ck_assert_str_eq(tjstr(a, "state"), "armed");
    sleep_ms(600);
    a = answer(adm("GET", NULL, "/_mock/runs/%s", run_key), 200);
    ck_assert_str_eq(tjstr(a, "state"), "running");
    answer(adm("POST", "{\"first_call_within\": -1}", "/_mock/runs/%s/start",
               run_key),
           400);
}
END_TEST

START_TEST(test_deleting_the_run_or_its_world_frees_the_run)
{
    create_run("", "", NULL, NULL);
    answer(adm("DELETE", NULL, "/_mock/runs/%s", run_key), 200);
    answer(adm("GET", NULL, "/_mock/runs/%s", run_key), 404);
    answer(adm("GET", NULL, "/_mock/worlds/%s", run_key), 404);
    answer(adm("DELETE", NULL, "/_mock/runs/%s", run_key), 404);

    create_run("", "", NULL, NULL);
    answer(adm("DELETE", NULL, "/_mock/worlds/%s", run_key), 200);
    answer(adm("GET", NULL, "/_mock/runs/%s", run_key), 404);

    /* a reset deletes every world, so every run */
    create_run("", "", NULL, NULL);
    start_run("{}");
    answer(adm("POST", NULL, "/_mock/reset"), 200);
    const struct dd_json *a = answer(adm("GET", NULL, "/_mock/runs"), 200);
    ck_assert_int_eq(tjnode(a, "runs")->n, 0);
    answer(adm("GET", NULL, "/_mock/runs/%s/next", run_key), 404);
}
END_TEST

START_TEST(test_every_example_scenario_becomes_a_run)
{
    /* scenarios/examples/ relative to the repository root, where the
     * tests run (as check_scenario.c reads them) */
    DIR *d = opendir("scenarios/examples");
    ck_assert_ptr_nonnull(d);
    struct dirent *de;
    size_t n = 0;
    while ((de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);
        if (len < 6 || strcmp(de->d_name + len - 5, ".json") != 0)
            continue;
        char path[512];
        snprintf(path, sizeof path, "scenarios/examples/%s", de->d_name);
        FILE *f = fopen(path, "rb");
        ck_assert_ptr_nonnull(f);
        struct dd_buf text;
        dd_buf_init(&text, 0);
        char chunk[4096];
        size_t got;
        while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
            dd_buf_append(&text, chunk, got);
        fclose(f);
        long st = adm("POST", dd_buf_str(&text),
                      "/_mock/runs?name=%s&push=1&hook=1", de->d_name);
        dd_buf_free(&text);
        const struct dd_json *a = answer(st, 200);
        const char *key = tjstr(a, "run");
        ck_assert_ptr_nonnull(key);
        snprintf(run_key, sizeof run_key, "%s", key);
        start_run("{}");
        n++;
    }
    closedir(d);
    ck_assert_int_ge(n, 5);
    const struct dd_json *a = answer(adm("GET", NULL, "/_mock/runs"), 200);
    ck_assert_int_eq(tjnode(a, "runs")->n, n);
}
END_TEST

/* A client of its own that long-polls the run's next event. */
struct poller {
    struct tmock c;
    long status;
    char *body;
    int64_t took_us;
};

static void *poll_thread(void *arg)
{
    struct poller *p = arg;
    char path[128];
    snprintf(path, sizeof path, "/_mock/runs/%s/next?wait_ms=5000", run_key);
    int64_t t = now_us();
    p->status = tadmin(&p->c, "GET", path, NULL, &p->body);
    p->took_us = now_us() - t;
    return NULL;
}

START_TEST(test_a_long_poll_of_a_deleted_run_is_answered_404_at_once)
{
    create_run("", "", NULL, NULL);
    start_run("{}");
    struct poller p;
    memset(&p, 0, sizeof p);
    tmock_client(&p.c, &T);
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, poll_thread, &p), 0);
    sleep_ms(300); /* the poll is held by now */
    answer(adm("DELETE", NULL, "/_mock/runs/%s", run_key), 200);
    pthread_join(th, NULL);
    ck_assert_int_eq(p.status, 404);
    ck_assert_msg(p.took_us < 3000000, "took %lld us", (long long)p.took_us);
    free(p.body);
    tmock_client_close(&p.c);
}
END_TEST

Suite *mock_replay_suite(void)
{
    Suite *s = suite_create("mock_replay");
    TCase *tc = tcase_create("replay");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_a_run_gets_a_fresh_world_whose_credentials_work);
    tcase_add_test(tc,
                   test_a_tool_app_run_gets_an_authorization_code_that_works);
    tcase_add_test(tc,
                   test_a_bad_scenario_is_refused_with_every_problem_located);
    tcase_add_test(tc,
                   test_time_scale_comes_from_query_then_scenario_then_3600);
    tcase_add_test(tc, test_at_steps_run_at_their_offset_in_file_order);
    tcase_add_test(tc, test_an_after_call_step_waits_for_a_matching_call_only);
    tcase_add_test(tc, test_an_after_step_chain_runs_after_its_delay);
    tcase_add_test(tc,
                   test_an_ack_condition_waits_for_the_erps_acknowledgement);
    tcase_add_test(tc,
                   test_a_hook_event_is_long_polled_answered_and_journalled);
    tcase_add_test(tc, test_a_bad_or_failed_hook_reply_is_a_failed_hook);
    tcase_add_test(tc, test_a_restart_event_and_erp_reports_are_journalled);
    tcase_add_test(tc, test_a_refused_action_ends_the_run_in_error);
    tcase_add_test(tc,
                   test_max_seconds_ends_the_run_with_final_state_and_run_end);
    tcase_add_test(tc, test_end_stops_the_timeline_and_is_idempotent);
    tcase_add_test(tc, test_the_erps_first_call_starts_an_armed_run);
    tcase_add_test(tc, test_deleting_the_run_or_its_world_frees_the_run);
    tcase_add_test(tc,
                   test_a_long_poll_of_a_deleted_run_is_answered_404_at_once);
    tcase_add_test(tc, test_every_example_scenario_becomes_a_run);
    suite_add_tcase(s, tc);
    return s;
}
