/*
 * dd_err.h: the one table of dd-harness's own error codes.
 *
 * Functions across the project return 0 on success or a negative code from
 * this table (libuv's habit). The X-macro yields the enum, the name and the
 * message from a single list, so they can never drift apart.
 *
 * These are the harness's errors (bad JSON, bad timestamp, ...). Doudian's
 * business errors, the code/sub_code/sub_msg the gateway answers with, are
 * data of their own in dd_errtab.h.
 */
#ifndef DD_ERR_H
#define DD_ERR_H

#define DD_ERR_MAP(X)                                                          \
    X(SYNTAX, -1, "invalid JSON")                                              \
    X(DEPTH, -2, "nesting deeper than the limit")                              \
    X(TOO_LARGE, -3, "input larger than the limit")                            \
    X(UTF8, -4, "invalid UTF-8 or lone surrogate")                             \
    X(NOT_OBJECT, -5, "top level is not a JSON object")                        \
    X(RANGE, -6, "number out of range")                                        \
    X(TYPE, -7, "value has the wrong type")                                    \
    X(FORMAT, -8, "malformed value")                                           \
    X(MISMATCH, -9, "signature does not match")                                \
    X(MISSING, -10, "required value missing")                                  \
    X(NOT_FOUND, -11, "not found")                                             \
    X(USAGE, -12, "bad usage")                                                 \
    X(IO, -13, "input/output error")

enum dd_err {
    DD_OK = 0,
#define DD_ERR_ENUM(name, value, msg) DD_E_##name = (value),
    DD_ERR_MAP(DD_ERR_ENUM)
#undef DD_ERR_ENUM
};

/* Returns a static English message for a code from the table ("success" for
 * 0, "unknown error" for anything else). */
const char *dd_strerror(int err);

/* Returns the code's name without prefix ("SYNTAX"), "OK" for 0,
 * "UNKNOWN" otherwise. */
const char *dd_err_name(int err);

#endif
