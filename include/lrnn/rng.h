/* Counter-based random streams (Philox4x64-10 from Random123).
 *
 * A stream is keyed by (seed, purpose) and positioned by (trial, particle): the numbers a
 * trial/particle sees depend only on those, never on which thread ran it or in what order,
 * so every result is bit-identical for any number of threads. */
#ifndef LRNN_RNG_H
#define LRNN_RNG_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What the numbers are for; different purposes never share numbers for the same seed. */
typedef enum lrnn_rng_purpose {
    LRNN_RNG_INIT = 1,     /* parameter initialisation */
    LRNN_RNG_SAMPLE = 2,   /* generative sampling (process, initial and observation noise) */
    LRNN_RNG_FILTER = 3,   /* particle proposals */
    LRNN_RNG_RESAMPLE = 4, /* ancestor draws */
    LRNN_RNG_BATCH = 5,    /* data windows and batch order */
} lrnn_rng_purpose;

typedef struct lrnn_rng {
    uint64_t key[2];
    uint64_t ctr[4];
    uint64_t block[4]; /* current output block */
    int used;          /* words of block consumed */
} lrnn_rng;

void lrnn_rng_init(lrnn_rng *rng, uint64_t seed, lrnn_rng_purpose purpose, uint64_t trial,
                   uint64_t particle);
uint64_t lrnn_rng_u64(lrnn_rng *rng);
/* Uniform on the open interval (0, 1): never 0, so log(u) is finite. */
double lrnn_rng_uniform(lrnn_rng *rng);
/* Standard normal (ziggurat). */
double lrnn_rng_normal(lrnn_rng *rng);
/* n standard normals into out: Box-Muller over a Philox4x32 sub-stream keyed by the next two
 * words of the stream (src/core/rng_normal.c); vectorised, about 10x faster than n calls of
 * lrnn_rng_normal, whose numbers it does not repeat. For the noise of simulations. */
void lrnn_rng_normal_fill(lrnn_rng *rng, double *out, size_t n);
/* The same in single precision (float arithmetic, 23- and 24-bit uniforms: |z| < 5.8, relative
 * error a few 1e-7), four normals a Philox block, about twice as fast again: for noise where
 * float32 would do, as in LINT training (the PyTorch reference draws float32 normals). */
void lrnn_rng_normal_fill_single(lrnn_rng *rng, double *out, size_t n);
/* Poisson(lambda): inversion for lambda < 10, PTRS (Hoermann 1993) above. lambda >= 0. */
double lrnn_rng_poisson(lrnn_rng *rng, double lambda);
/* Uniform integer in [0, n), unbiased (rejection). n > 0. */
uint64_t lrnn_rng_below(lrnn_rng *rng, uint64_t n);

#ifdef __cplusplus
}
#endif
#endif
