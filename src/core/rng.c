#include "lrnn/rng.h"

#include <math.h>
#include <threads.h>

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
    /* 52 random bits, shifted by half a step: (k + 0.5) 2^-52, k = 0 .. 2^52 - 1, exact in a
     * double (with 53 bits, k + 0.5 would round and the top value would be 1). */
    return ((double)(lrnn_rng_u64(rng) >> 12) + 0.5) * 0x1.0p-52;
}

/* Standard normals by the ziggurat method with 128 layers, in Doornik's corrected form
 * (J. A. Doornik, "An Improved Ziggurat Method to Generate Normal Random Samples", 2005): the
 * layer index and the uniform come from disjoint bits of one 64-bit word (Marsaglia & Tsang's
 * original reused bits, which correlates successive draws). Layer i spans |x| < X[i]; a draw
 * inside the rectangle under the next layer (|u| < X[i+1]/X[i], about 98.8% of draws) is
 * accepted at once; the rest is decided exactly against the density (wedges) or drawn from
 * the tail beyond ZIG_R (layer 0). Exact in distribution; one draw costs a fraction of a scalar
 * Box-Muller with libm (many draws at once: lrnn_rng_normal_fill, rng_normal.c). */
enum { ZIG_LAYERS = 128 };
#define ZIG_R 3.442619855899         /* start of the tail */
#define ZIG_V 9.91256303526217e-3    /* area of each layer */

static double zig_x[ZIG_LAYERS + 1], zig_ratio[ZIG_LAYERS];
static once_flag zig_once = ONCE_FLAG_INIT;

static void zig_tables(void) {
    double f = exp(-0.5 * ZIG_R * ZIG_R);
    zig_x[0] = ZIG_V / f; /* the base layer: rectangle plus tail, width V / f(R) */
    zig_x[1] = ZIG_R;
    zig_x[ZIG_LAYERS] = 0.0;
    for (int i = 2; i < ZIG_LAYERS; i++) {
        zig_x[i] = sqrt(-2.0 * log(ZIG_V / zig_x[i - 1] + f));
        f = exp(-0.5 * zig_x[i] * zig_x[i]);
    }
    for (int i = 0; i < ZIG_LAYERS; i++) zig_ratio[i] = zig_x[i + 1] / zig_x[i];
}

/* Marsaglia's tail: x > R with density proportional to exp(-x^2/2). */
static double zig_tail(lrnn_rng *rng, int negative) {
    double x, y;
    do {
        x = log(lrnn_rng_uniform(rng)) / ZIG_R;
        y = log(lrnn_rng_uniform(rng));
    } while (-2.0 * y < x * x);
    return negative ? x - ZIG_R : ZIG_R - x;
}

static inline double zig_normal(lrnn_rng *rng) {
    for (;;) {
        uint64_t w = lrnn_rng_u64(rng);
        int i = (int)(w & (ZIG_LAYERS - 1));                    /* low 7 bits: the layer */
        double u = ((double)(w >> 12) + 0.5) * 0x1.0p-51 - 1.0; /* top 52 bits: (-1, 1) */
        if (fabs(u) < zig_ratio[i]) return u * zig_x[i];
        if (i == 0) return zig_tail(rng, u < 0.0);
        /* wedge: accept x with probability (f(x) - f(X[i+1])) / (f(X[i]) - f(X[i+1])) */
        double x = u * zig_x[i];
        double f0 = exp(-0.5 * (zig_x[i] * zig_x[i] - x * x));
        double f1 = exp(-0.5 * (zig_x[i + 1] * zig_x[i + 1] - x * x));
        if (f1 + lrnn_rng_uniform(rng) * (f0 - f1) < 1.0) return x;
    }
}

double lrnn_rng_normal(lrnn_rng *rng) {
    call_once(&zig_once, zig_tables);
    return zig_normal(rng);
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
