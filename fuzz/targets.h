/* One entry point per parser, shared by the libFuzzer harnesses and the corpus replay test. */
#ifndef LRNN_FUZZ_TARGETS_H
#define LRNN_FUZZ_TARGETS_H

#include <stddef.h>
#include <stdint.h>

/* Feed `data` to the parser named `which` ("npy", "npz", "csv"). Returns 0 when the parser
 * accepted or rejected the input cleanly, -1 for an unknown target. Crashes are the bug. */
int lrnn_fuzz_one(const char *which, const uint8_t *data, size_t size);

#endif
