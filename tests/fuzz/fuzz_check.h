/*
 * fuzz_check.h: what every libFuzzer target of tests/fuzz/ shares: the
 * entry point's prototype, and CHECK, which aborts with the failed
 * invariant so that libFuzzer saves the input (an invariant beyond "never
 * crash", checked on every input).
 */
#ifndef DD_FUZZ_CHECK_H
#define DD_FUZZ_CHECK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "invariant failed: %s (%s:%d)\n", #cond, __FILE__, \
                    __LINE__);                                                 \
            abort();                                                           \
        }                                                                      \
    } while (0)

#endif
