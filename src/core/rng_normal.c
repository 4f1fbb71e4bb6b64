/* lrnn_rng_normal_fill: many standard normals at once, for the noise of simulations (LINT
 * networks draw N per trial and step, SMC proposals K R per step).
 *
 * Each call takes two 64-bit words of the caller's stream and uses them as the key and the
 * high counter words of a Philox4x32-10 sub-stream (Salmon et al. 2011, the generator Random123
 * ships; tests/test_rng.c checks these lanes against Random123's philox4x32). Block j of the
 * sub-stream (128 bits) makes the pair j by the Box-Muller transform,
 *     z1 = sqrt(-2 ln u1) cos(2 pi u2),   z2 = sqrt(-2 ln u1) sin(2 pi u2),
 * with u1 = (k1 + 1/2) 2^-52 in (0, 1) (k1: 52 bits, so |z| reaches 8.6) and u2 = k2 2^-52.
 * Box-Muller is exact in distribution; ln, sin and cos are polynomials accurate to a few ulp.
 *
 * Everything is straight-line arithmetic on arrays of independent blocks, which gcc vectorises
 * (AVX-512, AVX2 and baseline clones; 2x faster than the scalar ziggurat fill it replaced, whose
 * time went to branches and table lookups). The file is built with -fno-math-errno (sqrt only
 * sees positive arguments, and without errno gcc vectorises it) and -ffp-contract=fast (FMA in
 * the polynomials): the numbers can differ in the last bit between instruction sets, never
 * between runs or thread counts. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "core/rng_internal.h"
#include "lrnn/rng.h"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define NORMAL_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define NORMAL_CLONES
#endif

enum { PAIRS = 64 }; /* blocks per round: the working set stays in L1 */

/* Philox4x32-10: ten rounds of two 32 x 32 -> 64 multiplications, key bumped between rounds.
 * Key and counter are read once into locals, so gcc sees independent blocks and vectorises;
 * the 32-bit words travel in 64-bit lanes, so each product is one lane multiplication. */
NORMAL_CLONES
void lrnn_philox4x32_lanes(const uint32_t key[2], const uint32_t ctr[4], size_t n,
                           uint32_t *restrict w0, uint32_t *restrict w1, uint32_t *restrict w2,
                           uint32_t *restrict w3) {
    const uint64_t M0 = 0xD2511F53u, M1 = 0xCD9E8D57u, LOW = 0xffffffffu;
    const uint64_t W0 = 0x9E3779B9u, W1 = 0xBB67AE85u;
    uint64_t K0 = key[0], K1 = key[1], C0 = ctr[0], C1 = ctr[1], C2 = ctr[2], C3 = ctr[3];
    for (size_t j = 0; j < n; j++) {
        uint64_t c0 = (C0 + j) & LOW, c1 = C1, c2 = C2, c3 = C3, k0 = K0, k1 = K1;
#pragma GCC unroll 10
        for (int round = 0; round < 10; round++) {
            uint64_t p0 = M0 * c0, p1 = M1 * c2; /* c0, c2 < 2^32 */
            c0 = (p1 >> 32) ^ c1 ^ k0;
            c2 = (p0 >> 32) ^ c3 ^ k1;
            c1 = p1 & LOW;
            c3 = p0 & LOW;
            k0 = (k0 + W0) & LOW;
            k1 = (k1 + W1) & LOW;
        }
        w0[j] = (uint32_t)c0;
        w1[j] = (uint32_t)c1;
        w2[j] = (uint32_t)c2;
        w3[j] = (uint32_t)c3;
    }
}

static inline double from_bits(uint64_t b) {
    double d;
    memcpy(&d, &b, sizeof d);
    return d;
}

static inline uint64_t to_bits(double d) {
    uint64_t b;
    memcpy(&b, &d, sizeof b);
    return b;
}

/* k 2^-52 for k < 2^52, exactly, without an integer-to-double conversion (AVX2 has none for
 * 64-bit integers): 1 + k 2^-52 is the double with k as its mantissa. */
static inline double unit52(uint64_t k) {
    return from_bits(0x3ff0000000000000ull | k) - 1.0;
}

/* ln u for u in (0, 1]: u = 2^e m with m in [sqrt(1/2), sqrt(2)), ln m = 2 atanh(f),
 * f = (m - 1)/(m + 1), |f| <= 0.1716, as 2f (1 + s/3 + s^2/5 + ... + s^10/21), s = f^2; the
 * first omitted term is below 2e-18 of the result. */
static inline double log_unit(double u) {
    const double ln2_hi = 6.93147180369123816490e-01, ln2_lo = 1.90821492927058770002e-10;
    uint64_t b = to_bits(u);
    int64_t e = (int64_t)(b >> 52) - 1023;
    double m = from_bits((b & 0x000fffffffffffffull) | 0x3ff0000000000000ull);
    int big = m > 1.4142135623730951;
    m = big ? 0.5 * m : m;
    e += big;
    double f = (m - 1.0) / (m + 1.0), s = f * f;
    double p = 1.0 / 21;
    p = p * s + 1.0 / 19;
    p = p * s + 1.0 / 17;
    p = p * s + 1.0 / 15;
    p = p * s + 1.0 / 13;
    p = p * s + 1.0 / 11;
    p = p * s + 1.0 / 9;
    p = p * s + 1.0 / 7;
    p = p * s + 1.0 / 5;
    p = p * s + 1.0 / 3;
    double ed = (double)e; /* |e| <= 53: a 32-bit conversion would do, the value is exact */
    return ed * ln2_hi + (2.0 * f + (2.0 * f * s * p + ed * ln2_lo));
}

/* cos and sin of 2 pi k 2^-52 for k < 2^52: the quarter turn q = round(4 u) (0..4) and the rest
 * theta = (4u - q) pi/2 in [-pi/4, pi/4], both from k's bits; Taylor series in theta to
 * theta^16 (omitted terms below 5e-17); then the rotation by q quarter turns. */
static inline void cos_sin_turn(uint64_t k, double *c_out, double *s_out) {
    uint64_t q = (k + (1ull << 49)) >> 50;
    /* 4u - q = (k + 2^49 - q 2^50) 2^-50 - 1/2, the shifted integer in [0, 2^50) */
    double f = unit52((k + (1ull << 49) - (q << 50)) << 2) - 0.5;
    double t = f * 1.5707963267948966, t2 = t * t;
    double sp = 1.0 / 1307674368000.0; /* 1/15! */
    sp = sp * t2 - 1.0 / 6227020800.0;
    sp = sp * t2 + 1.0 / 39916800.0;
    sp = sp * t2 - 1.0 / 362880.0;
    sp = sp * t2 + 1.0 / 5040.0;
    sp = sp * t2 - 1.0 / 120.0;
    sp = sp * t2 + 1.0 / 6.0;
    double s = t - t * t2 * sp;
    double cp = 1.0 / 20922789888000.0; /* 1/16! */
    cp = cp * t2 - 1.0 / 87178291200.0;
    cp = cp * t2 + 1.0 / 479001600.0;
    cp = cp * t2 - 1.0 / 3628800.0;
    cp = cp * t2 + 1.0 / 40320.0;
    cp = cp * t2 - 1.0 / 720.0;
    cp = cp * t2 + 1.0 / 24.0;
    cp = cp * t2 - 0.5;
    double c = 1.0 + t2 * cp;
    /* q = 1: (cos, sin) = (-s, c); q = 2: (-c, -s); q = 3: (s, -c); q = 0 or 4: (c, s) */
    uint64_t swap = q & 1, neg_c = ((q + 1) >> 1) & 1, neg_s = (q >> 1) & 1;
    double cs = swap ? s : c, sn = swap ? c : s;
    *c_out = from_bits(to_bits(cs) ^ (neg_c << 63));
    *s_out = from_bits(to_bits(sn) ^ (neg_s << 63));
}

/* Box-Muller on n blocks: pair j goes to out[j] (cosine) and out[n + j] (sine); -2 ln u1 > 0
 * since u1 < 1. */
NORMAL_CLONES
static void box_muller(size_t n, const uint32_t *w0, const uint32_t *w1, const uint32_t *w2,
                       const uint32_t *w3, double *out) {
    for (size_t j = 0; j < n; j++) {
        uint64_t k1 = ((uint64_t)(w1[j] >> 12) << 32) | w0[j];
        uint64_t k2 = ((uint64_t)(w3[j] >> 12) << 32) | w2[j];
        double u1 = unit52(k1) + 0x1.0p-53; /* (k1 + 1/2) 2^-52, exact */
        double r = sqrt(-2.0 * log_unit(u1)), c, s;
        cos_sin_turn(k2, &c, &s);
        out[j] = r * c;
        out[n + j] = r * s;
    }
}

/* --- Single precision: lrnn_rng_normal_fill_single ------------------------------------------
 * The same construction in float, four normals per Philox block: words 0, 1 and 2, 3 make two
 * Box-Muller pairs, u1 = (k1 + 1/2) 2^-23 from 23 bits (so |z| < 5.8) and u2 = k2 2^-24;
 * ln to s^4/9 (2e-9 relative), sin to theta^9, cos to theta^10 (below 2e-9): float rounding
 * dominates, a relative error of a few 1e-7. */

static inline float from_bits_f(uint32_t b) {
    float f;
    memcpy(&f, &b, sizeof f);
    return f;
}

static inline uint32_t to_bits_f(float f) {
    uint32_t b;
    memcpy(&b, &f, sizeof b);
    return b;
}

/* k 2^-23 for k < 2^23, exactly (as unit52). */
static inline float unit23(uint32_t k) {
    return from_bits_f(0x3f800000u | k) - 1.0f;
}

static inline float log_unit_f(float u) {
    const float ln2_hi = 0.693145751953125f, ln2_lo = 1.428606765330187e-06f;
    uint32_t b = to_bits_f(u);
    int32_t e = (int32_t)(b >> 23) - 127;
    float m = from_bits_f((b & 0x007fffffu) | 0x3f800000u);
    int big = m > 1.41421356f;
    m = big ? 0.5f * m : m;
    e += big;
    float f = (m - 1.0f) / (m + 1.0f), s = f * f;
    float p = 1.0f / 9;
    p = p * s + 1.0f / 7;
    p = p * s + 1.0f / 5;
    p = p * s + 1.0f / 3;
    float ed = (float)e;
    return ed * ln2_hi + (2.0f * f + (2.0f * f * s * p + ed * ln2_lo));
}

/* cos and sin of 2 pi k 2^-24, k < 2^24 (as cos_sin_turn). */
static inline void cos_sin_turn_f(uint32_t k, float *c_out, float *s_out) {
    uint32_t q = (k + (1u << 21)) >> 22;
    float f = unit23((k + (1u << 21) - (q << 22)) << 1) - 0.5f;
    float t = f * 1.57079633f, t2 = t * t;
    float sp = 1.0f / 362880.0f;
    sp = sp * t2 - 1.0f / 5040.0f;
    sp = sp * t2 + 1.0f / 120.0f;
    sp = sp * t2 - 1.0f / 6.0f;
    float s = t + t * t2 * sp;
    float cp = -1.0f / 3628800.0f;
    cp = cp * t2 + 1.0f / 40320.0f;
    cp = cp * t2 - 1.0f / 720.0f;
    cp = cp * t2 + 1.0f / 24.0f;
    cp = cp * t2 - 0.5f;
    float c = 1.0f + t2 * cp;
    uint32_t swap = q & 1, neg_c = ((q + 1) >> 1) & 1, neg_s = (q >> 1) & 1;
    float cs = swap ? s : c, sn = swap ? c : s;
    *c_out = from_bits_f(to_bits_f(cs) ^ (neg_c << 31));
    *s_out = from_bits_f(to_bits_f(sn) ^ (neg_s << 31));
}

/* One Box-Muller pair in float from two words (their top 24 bits). */
static inline void pair_f(uint32_t a, uint32_t b, float *z1, float *z2) {
    float u1 = unit23(a >> 9) + 0x1.0p-24f; /* (k1 + 1/2) 2^-23 with k1 the top 23 bits */
    float r = sqrtf(-2.0f * log_unit_f(u1)), c, s;
    cos_sin_turn_f(b >> 8, &c, &s);
    *z1 = r * c;
    *z2 = r * s;
}

/* n blocks: block j's four normals go to out[j], out[n + j], out[2n + j], out[3n + j]. */
NORMAL_CLONES
static void box_muller_single(size_t n, const uint32_t *w0, const uint32_t *w1,
                              const uint32_t *w2, const uint32_t *w3, double *out) {
    for (size_t j = 0; j < n; j++) {
        float a1, a2, b1, b2;
        pair_f(w0[j], w1[j], &a1, &a2);
        pair_f(w2[j], w3[j], &b1, &b2);
        out[j] = a1, out[n + j] = a2, out[2 * n + j] = b1, out[3 * n + j] = b2;
    }
}

/* --- The fills ------------------------------------------------------------------------------ */

void lrnn_rng_substream(lrnn_rng *rng, uint32_t key[2], uint32_t ctr[4]) {
    uint64_t a = lrnn_rng_u64(rng), b = lrnn_rng_u64(rng);
    key[0] = (uint32_t)a, key[1] = (uint32_t)(a >> 32);
    ctr[0] = 0, ctr[1] = 0, ctr[2] = (uint32_t)b, ctr[3] = (uint32_t)(b >> 32);
}

/* Turns n Philox blocks (words in w0..w3) into per_block n normals, laid out by the transform. */
typedef void (*blocks_to_normals)(size_t n, const uint32_t *w0, const uint32_t *w1,
                                  const uint32_t *w2, const uint32_t *w3, double *out);

/* n normals from a fresh sub-stream, PAIRS blocks a round: a full round straight into out, the
 * last, partial one through a buffer (the transform's layout, then the values that fit). */
static void fill(lrnn_rng *rng, double *out, size_t n, size_t per_block, blocks_to_normals f) {
    if (n == 0) return;
    uint32_t key[2], ctr[4];
    lrnn_rng_substream(rng, key, ctr);
    uint32_t w0[PAIRS], w1[PAIRS], w2[PAIRS], w3[PAIRS];
    double z[4 * PAIRS];
    size_t round = per_block * PAIRS;
    for (size_t first = 0; first < n; first += round) {
        size_t m = n - first < round ? n - first : round, blocks = (m + per_block - 1) / per_block;
        lrnn_philox4x32_lanes(key, ctr, blocks, w0, w1, w2, w3);
        ctr[0] += (uint32_t)blocks; /* block counter: ctr[0] low word, ctr[1] above it */
        if (ctr[0] < blocks) ctr[1]++;
        if (m == round) {
            f(PAIRS, w0, w1, w2, w3, out + first);
        } else {
            f(blocks, w0, w1, w2, w3, z);
            memcpy(out + first, z, m * sizeof *out);
        }
    }
}

void lrnn_rng_normal_fill(lrnn_rng *rng, double *out, size_t n) {
    fill(rng, out, n, 2, box_muller);
}

void lrnn_rng_normal_fill_single(lrnn_rng *rng, double *out, size_t n) {
    fill(rng, out, n, 4, box_muller_single);
}
