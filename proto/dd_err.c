/*
 * dd_err.c: names and messages of the project's own error codes (dd_err.h).
 */
#include "dd_err.h"

const char *dd_strerror(int err)
{
    switch (err) {
    case DD_OK:
        return "success";
#define DD_ERR_MSG(name, value, msg)                                           \
    case DD_E_##name:                                                          \
        return msg;
        DD_ERR_MAP(DD_ERR_MSG)
#undef DD_ERR_MSG
    }
    return "unknown error";
}

const char *dd_err_name(int err)
{
    switch (err) {
    case DD_OK:
        return "OK";
#define DD_ERR_NAME(name, value, msg)                                          \
    case DD_E_##name:                                                          \
        return #name;
        DD_ERR_MAP(DD_ERR_NAME)
#undef DD_ERR_NAME
    }
    return "UNKNOWN";
}
