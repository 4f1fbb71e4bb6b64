/* Internals of the random streams, exposed for their tests. */
#ifndef LRNN_CORE_RNG_INTERNAL_H
#define LRNN_CORE_RNG_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "lrnn/rng.h"

/* The Philox4x32 sub-stream of one normal fill: two words of rng become its key and its high
 * counter words (ctr[2], ctr[3]); ctr[0], ctr[1] (the block index) start at 0. */
void lrnn_rng_substream(lrnn_rng *rng, uint32_t key[2], uint32_t ctr[4]);

/* Philox4x32-10 of the counters (ctr[0] + j, ctr[1], ctr[2], ctr[3]), j < n, under key: word i
 * of block j goes to wi[j] (structure of arrays, so the blocks vectorise). ctr[0] + n must not
 * wrap. */
void lrnn_philox4x32_lanes(const uint32_t key[2], const uint32_t ctr[4], size_t n,
                           uint32_t *restrict w0, uint32_t *restrict w1, uint32_t *restrict w2,
                           uint32_t *restrict w3);

#endif
