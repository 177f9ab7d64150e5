/*
 * ddc_err.c: names and messages of the client's error codes, and the
 * helpers of struct ddc_status (ddc_err.h).
 */
#include "ddc_err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dd_err.h"

const char *ddc_strerror(int err)
{
    switch (err) {
#define DDC_ERR_MSG(name, value, msg)                                          \
    case DDC_E_##name:                                                         \
        return msg;
        DDC_ERR_MAP(DDC_ERR_MSG)
#undef DDC_ERR_MSG
    }
    return dd_strerror(err);
}

const char *ddc_err_name(int err)
{
    switch (err) {
#define DDC_ERR_NAME(name, value, msg)                                         \
    case DDC_E_##name:                                                         \
        return #name;
        DDC_ERR_MAP(DDC_ERR_NAME)
#undef DDC_ERR_NAME
    }
    return dd_err_name(err);
}

void ddc_status_clear(struct ddc_status *st)
{
    if (st)
        memset(st, 0, sizeof *st);
}

void ddc_status_detail(struct ddc_status *st, const char *fmt, ...)
{
    if (!st)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(st->detail, sizeof st->detail, fmt, ap);
    va_end(ap);
}

bool ddc_code_retryable(int64_t code)
{
    return code == 20000 || code == 60000;
}

bool ddc_token_error(int64_t code, const char *sub_code)
{
    return code == 40003 && sub_code &&
           (strcmp(sub_code, "isv.access-token-expired") == 0 ||
            strcmp(sub_code, "isv.access-token-no-existed") == 0);
}
