/* libFuzzer entry point. One executable per parser: LRNN_FUZZ_TARGET ("npy", "npz", "csv") is
 * fixed at compile time so that each fuzzer's coverage feedback concerns one parser only. */
#include <stddef.h>
#include <stdint.h>

#include "targets.h"

#ifndef LRNN_FUZZ_TARGET
#error "define LRNN_FUZZ_TARGET as \"npy\", \"npz\" or \"csv\""
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    lrnn_fuzz_one(LRNN_FUZZ_TARGET, data, size);
    return 0; /* libFuzzer reserves other values */
}
