/*
 * fixed_server.c: the benchmark's ceiling. A minimal libmicrohttpd server
 * in ddmock's threading mode (one thread, external epoll, answer on the
 * final call so keep-alive works) that answers every request with a fixed
 * body of N bytes. bench_mock.py measures ddmock against it in the same
 * run, so the ratio says how much of the HTTP ceiling ddmock keeps.
 *
 * Usage: fixed_server BODY_BYTES PORT_FILE   (stops on SIGTERM/SIGINT)
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

static volatile sig_atomic_t stop;
static char *body;
static size_t body_len;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c,
                               const char *url, const char *method,
                               const char *version, const char *upload,
                               size_t *upload_size, void **con_cls)
{
    (void)cls;
    (void)url;
    (void)method;
    (void)version;
    (void)upload;
    static int seen;
    if (*con_cls == NULL) {
        *con_cls = &seen;
        return MHD_YES;
    }
    if (*upload_size) {
        *upload_size = 0;
        return MHD_YES;
    }
    struct MHD_Response *r =
        MHD_create_response_from_buffer(body_len, body, MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(r, "Content-Type",
                            "application/json;charset=UTF-8");
    enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: fixed_server BODY_BYTES PORT_FILE\n");
        return 2;
    }
    body_len = strtoul(argv[1], NULL, 10);
    body = malloc(body_len + 1);
    if (!body)
        return 1;
    memset(body, 'x', body_len);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_EPOLL, 0, NULL, NULL, handler, NULL, MHD_OPTION_SOCK_ADDR,
        (struct sockaddr *)&addr, MHD_OPTION_CONNECTION_LIMIT, (unsigned)1000,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60, MHD_OPTION_END);
    if (!d)
        return 1;
    const union MHD_DaemonInfo *pi =
        MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    const union MHD_DaemonInfo *ei =
        MHD_get_daemon_info(d, MHD_DAEMON_INFO_EPOLL_FD);
    FILE *f = fopen(argv[2], "w");
    if (!f)
        return 1;
    fprintf(f, "%u\n", (unsigned)pi->port);
    fclose(f);
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN};
    epoll_ctl(ep, EPOLL_CTL_ADD, ei->epoll_fd, &ev);
    while (!stop) {
        MHD_UNSIGNED_LONG_LONG to;
        int ms =
            MHD_get_timeout(d, &to) == MHD_YES && to < 1000 ? (int)to : 1000;
        struct epoll_event out;
        epoll_wait(ep, &out, 1, ms);
        MHD_run(d);
    }
    MHD_stop_daemon(d);
    close(ep);
    free(body);
    return 0;
}
