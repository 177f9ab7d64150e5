/* TEMPORARY scaffold so the tree links while faults.c is being written. */
#include "faults.h"
#include "admin.h"
#include <stdlib.h>
struct mock_faults {
    int unused;
};
struct mock_faults *mock_faults_new(void)
{
    return calloc(1, sizeof(struct mock_faults));
}
void mock_faults_free(struct mock_faults *f)
{
    free(f);
}
void mock_faults_api(struct mock_server *s, struct mock_world *w,
                     const char *method, const struct dd_json *params,
                     int64_t now_ms, struct mock_api_fault *out)
{
    (void)s;
    (void)w;
    (void)method;
    (void)params;
    (void)now_ms;
    (void)out;
}
void mock_faults_push(struct mock_server *s, struct mock_world *w, int tag,
                      int64_t now_ms, struct mock_push_fault *out)
{
    (void)s;
    (void)w;
    (void)tag;
    (void)now_ms;
    (void)out;
}
void mock_faults_world_removed(struct mock_faults *f, uint64_t serial)
{
    (void)f;
    (void)serial;
}
bool mock_admin_faults(struct mock_admin_call *a)
{
    (void)a;
    return false;
}
