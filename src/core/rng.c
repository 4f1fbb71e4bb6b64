#include "lrnn/rng.h"

#include <math.h>

#include <Random123/philox.h>

/* Philox is a bijection of the 256-bit counter for each key: key = (seed, purpose),
 * counter = (trial, particle, 0, block index). 2^64 blocks of 4 words per stream. */
void lrnn_rng_init(lrnn_rng *rng, uint64_t seed, lrnn_rng_purpose purpose, uint64_t trial,
                   uint64_t particle) {
    rng->key[0] = seed;
    rng->key[1] = 0x6c726e6e00000000ull | (uint64_t)purpose; /* "lrnn" tag */
    rng->ctr[0] = trial;
    rng->ctr[1] = particle;
    rng->ctr[2] = 0;
    rng->ctr[3] = 0;
    rng->used = 4;
    rng->has_spare = 0;
    rng->spare = 0.0;
}

static void next_block(lrnn_rng *rng) {
    philox4x64_ctr_t c = {{rng->ctr[0], rng->ctr[1], rng->ctr[2], rng->ctr[3]}};
    philox4x64_key_t k = {{rng->key[0], rng->key[1]}};
    philox4x64_ctr_t out = philox4x64(c, k);
    for (int i = 0; i < 4; i++) rng->block[i] = out.v[i];
    rng->ctr[3]++;
    rng->used = 0;
}

uint64_t lrnn_rng_u64(lrnn_rng *rng) {
    if (rng->used == 4) next_block(rng);
    return rng->block[rng->used++];
}

double lrnn_rng_uniform(lrnn_rng *rng) {
    /* 53 random bits, shifted by half an ulp: values (k + 0.5) 2^-53, k = 0 .. 2^53 - 1. */
    return ((double)(lrnn_rng_u64(rng) >> 11) + 0.5) * 0x1.0p-53;
}

double lrnn_rng_normal(lrnn_rng *rng) {
    if (rng->has_spare) {
        rng->has_spare = 0;
        return rng->spare;
    }
    double u1 = lrnn_rng_uniform(rng), u2 = lrnn_rng_uniform(rng);
    double radius = sqrt(-2.0 * log(u1));
    double angle = 2.0 * M_PI * u2;
    rng->spare = radius * sin(angle);
    rng->has_spare = 1;
    return radius * cos(angle);
}

uint64_t lrnn_rng_below(lrnn_rng *rng, uint64_t n) {
    /* Reject the top partial copy of [0, n) so every residue is equally likely. */
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do x = lrnn_rng_u64(rng);
    while (x >= limit);
    return x % n;
}

/* Sequential inversion: P(k) = e^-lambda lambda^k / k!. Exact for small lambda. */
static double poisson_inversion(lrnn_rng *rng, double lambda) {
    double u = lrnn_rng_uniform(rng);
    double p = exp(-lambda), cdf = p;
    double k = 0.0;
    while (u > cdf && k < 1000.0) {
        k += 1.0;
        p *= lambda / k;
        cdf += p;
    }
    return k;
}

/* PTRS: transformed rejection with squeeze, Hoermann (1993), "The transformed rejection
 * method for generating Poisson random variables", Insurance Math. Econom. 12:39-45. */
static double poisson_ptrs(lrnn_rng *rng, double lambda) {
    double slam = sqrt(lambda), loglam = log(lambda);
    double b = 0.931 + 2.53 * slam;
    double a = -0.059 + 0.02483 * b;
    double invalpha = 1.1239 + 1.1328 / (b - 3.4);
    double vr = 0.9277 - 3.6224 / (b - 2.0);
    for (;;) {
        double u = lrnn_rng_uniform(rng) - 0.5;
        double v = lrnn_rng_uniform(rng);
        double us = 0.5 - fabs(u);
        double k = floor((2.0 * a / us + b) * u + lambda + 0.43);
        if (us >= 0.07 && v <= vr) return k;
        if (k < 0.0 || (us < 0.013 && v > us)) continue;
        if (log(v) + log(invalpha) - log(a / (us * us) + b) <=
            -lambda + k * loglam - lgamma(k + 1.0))
            return k;
    }
}

double lrnn_rng_poisson(lrnn_rng *rng, double lambda) {
    if (!(lambda > 0.0)) return 0.0;
    return lambda < 10.0 ? poisson_inversion(rng, lambda) : poisson_ptrs(rng, lambda);
}
