/* TEMPORARY scaffold so the tree links while push.c is being written. */
#include "push.h"
#include "admin.h"
#include <stddef.h>
#include <stdlib.h>
struct mock_push {
    int unused;
};
struct mock_push *mock_push_new(struct mock_server *s, char *err, size_t errlen)
{
    (void)s;
    (void)err;
    (void)errlen;
    return calloc(1, sizeof(struct mock_push));
}
void mock_push_free(struct mock_push *p)
{
    free(p);
}
void mock_push_enqueue(struct mock_push *p, struct mock_world *w,
                       struct mock_event *e)
{
    (void)p;
    (void)w;
    (void)e;
}
int64_t mock_push_wait_ms(struct mock_push *p, int64_t now_ms)
{
    (void)p;
    (void)now_ms;
    return -1;
}
int mock_push_socket_event(struct mock_push *p, int fd, uint32_t events)
{
    (void)p;
    (void)fd;
    (void)events;
    return 0;
}
void mock_push_run(struct mock_push *p, int64_t now_ms)
{
    (void)p;
    (void)now_ms;
}
bool mock_admin_push(struct mock_admin_call *a)
{
    (void)a;
    return false;
}
