/* Elementwise kernels of the LINT passes: a vectorisable tanh, the activations and their
 * derivatives.
 *
 * libm's tanh is a scalar call (about 20 ns) and the fits evaluate N tanh per trial and step
 * (3e7 per epoch at N = 512), so tanh is computed here from a polynomial exp that gcc
 * vectorises: tanh|x| = -e / (2 + e), e = expm1(-2|x|). Relative error below 1e-15 everywhere
 * (checked against libm in tests/test_lint_grad.c). The loops are compiled for AVX-512, AVX2 and
 * the baseline (target_clones: the widest the CPU has runs).
 *
 * This file lets gcc fuse a * b + c into one FMA (fp-contract=fast, gcc's own default outside
 * strict ISO mode): the polynomials run twice as fast. It changes roundings only, by at most one
 * ulp per operation, identically on every run of a given instruction set; the baseline clone has
 * no FMA and rounds each operation. It is not -ffast-math: no reassociation, NaN and Inf kept. */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "lint/internal.h"

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("fp-contract=fast")
#endif

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define LINT_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define LINT_CLONES
#endif

/* e^y - 1 for y in [-40, 0]: y = k ln2 + r, |r| <= ln2 / 2, e^r - 1 = r (1 + r/2 + ... +
 * r^13/14!) (truncation below 1e-17 relative), e^y - 1 = 2^k (e^r - 1) + (2^k - 1), exact at
 * k = 0 so there is no cancellation for small |y|. 2^k comes from the exponent bits and the
 * round to nearest from the 1.5 * 2^52 shifter, so no libm call blocks vectorisation. */
static inline double expm1_neg(double y) {
    const double inv_ln2 = 1.4426950408889634, shifter = 0x1.8p52;
    const double ln2_hi = 6.93147180369123816490e-01, ln2_lo = 1.90821492927058770002e-10;
    double kd = y * inv_ln2 + shifter;
    uint64_t kbits;
    memcpy(&kbits, &kd, sizeof kbits);
    kd -= shifter;
    double r = (y - kd * ln2_hi) - kd * ln2_lo;
    double p = 1.0 / 87178291200.0;
    p = p * r + 1.0 / 6227020800.0;
    p = p * r + 1.0 / 479001600.0;
    p = p * r + 1.0 / 39916800.0;
    p = p * r + 1.0 / 3628800.0;
    p = p * r + 1.0 / 362880.0;
    p = p * r + 1.0 / 40320.0;
    p = p * r + 1.0 / 5040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r + 1.0;
    double q = p * r;
    /* k is in the low bits of the shifted value (two's complement); 2^k = (k + 1023) << 52 */
    uint64_t scale_bits = (kbits + 1023) << 52;
    double scale;
    memcpy(&scale, &scale_bits, sizeof scale);
    return scale * q + (scale - 1.0);
}

/* tanh|x| = -e / (2 + e), e = expm1(-2|x|); |x| >= 20 gives 1 (tanh 20 = 1 - 8e-18). */
static inline double tanh_inline(double x) {
    double a = fabs(x);
    double e = expm1_neg(-2.0 * (a < 20.0 ? a : 20.0));
    double t = -e / (2.0 + e);
    return x < 0.0 ? -t : t;
}

double lint_tanh(double x) {
    return tanh_inline(x);
}

LINT_CLONES
static void tanh_row(const double *x, const double *b, double *out, size_t n) {
    if (b)
        for (size_t i = 0; i < n; i++)
            out[i] = tanh_inline(x[i] + b[i]);
    else
        for (size_t i = 0; i < n; i++)
            out[i] = tanh_inline(x[i]);
}

/* The float counterpart for training in single precision (lrnn_lint_work_set_single): the same
 * formula in float, e^r - 1 to r^7/7! for |r| <= ln2/2 (truncation 1.5e-8 relative), |x| >= 9
 * gives 1 (tanh 9 = 1 - 3e-8). Relative error below 3e-7 (a few float ulp; tests/
 * test_lint_grad.c). Twice as many lanes and a shorter polynomial: about a third of the double
 * tanh's time. */
static inline float expm1f_neg(float y) {
    const float inv_ln2 = 1.44269504f, shifter = 12582912.0f; /* 1.5 * 2^23 */
    const float ln2_hi = 0.693145751953125f, ln2_lo = 1.428606765330187e-06f;
    float kd = y * inv_ln2 + shifter;
    uint32_t kbits;
    memcpy(&kbits, &kd, sizeof kbits);
    kd -= shifter;
    float r = (y - kd * ln2_hi) - kd * ln2_lo;
    float p = 1.0f / 5040.0f;
    p = p * r + 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    float q = p * r;
    uint32_t scale_bits = (kbits + 127u) << 23;
    float scale;
    memcpy(&scale, &scale_bits, sizeof scale);
    return scale * q + (scale - 1.0f);
}

static inline float tanhf_inline(float x) {
    float a = fabsf(x);
    float e = expm1f_neg(-2.0f * (a < 9.0f ? a : 9.0f));
    float t = -e / (2.0f + e);
    return x < 0.0f ? -t : t;
}

double lint_tanh_single(double x) {
    return (double)tanhf_inline((float)x);
}

LINT_CLONES
static void tanh_row_single(const double *x, const double *b, double *out, size_t n) {
    if (b)
        for (size_t i = 0; i < n; i++)
            out[i] = (double)tanhf_inline((float)(x[i] + b[i]));
    else
        for (size_t i = 0; i < n; i++)
            out[i] = (double)tanhf_inline((float)x[i]);
}

/* lint_forward_row_full for m rows (and a bias or none), always inlined with m constant */
static inline __attribute__((always_inline)) void
forward_full_pass(size_t n, const float *restrict sf, const double *c,
                  const double *const *rows, const double *restrict b, double *restrict xn,
                  double *restrict rn, float *restrict rf, const int m, const int has_b) {
    const double *r0 = rows[0], *r1 = m > 1 ? rows[1] : r0, *r2 = m > 2 ? rows[2] : r0;
    const double *r3 = m > 3 ? rows[3] : r0;
    double c0 = c[0], c1 = m > 1 ? c[1] : 0.0, c2 = m > 2 ? c[2] : 0.0, c3 = m > 3 ? c[3] : 0.0;
    for (size_t i = 0; i < n; i++) {
        double v = (double)sf[i] + c0 * r0[i];
        if (m > 1) v += c1 * r1[i];
        if (m > 2) v += c2 * r2[i];
        if (m > 3) v += c3 * r3[i];
        xn[i] = v;
        float r = tanhf_inline((float)(has_b ? v + b[i] : v));
        rn[i] = r;
        rf[i] = r;
    }
}

LINT_CLONES
bool lint_forward_row_full(size_t n, const float *sf, size_t K, const double *c,
                           const double *const *rows, const double *b, double *xn, double *rn,
                           float *rf) {
#define FWD_FULL(m)                                                                            \
    (b ? forward_full_pass(n, sf, c, rows, b, xn, rn, rf, m, 1)                                \
       : forward_full_pass(n, sf, c, rows, NULL, xn, rn, rf, m, 0))
    switch (K) {
    case 1: FWD_FULL(1); return true;
    case 2: FWD_FULL(2); return true;
    case 3: FWD_FULL(3); return true;
    case 4: FWD_FULL(4); return true;
    default: return false;
    }
#undef FWD_FULL
}

void lint_act_single(lrnn_lint_act a, const double *x, const double *b, double *out, size_t n) {
    if (a == LRNN_LINT_TANH)
        tanh_row_single(x, b, out, n);
    else
        lint_act(a, x, b, out, n);
}

void lint_act(lrnn_lint_act a, const double *x, const double *b, double *out, size_t n) {
    switch (a) {
    case LRNN_LINT_TANH:
        tanh_row(x, b, out, n);
        break;
    case LRNN_LINT_RELU:
        for (size_t i = 0; i < n; i++) {
            double v = x[i] + (b ? b[i] : 0.0);
            out[i] = v > 0.0 ? v : 0.0;
        }
        break;
    case LRNN_LINT_IDENTITY:
        for (size_t i = 0; i < n; i++)
            out[i] = x[i] + (b ? b[i] : 0.0);
        break;
    }
}

void lint_act_grad_mul(lrnn_lint_act a, const double *y, const double *g, double *out, size_t n,
                       int accumulate) {
    switch (a) {
    case LRNN_LINT_TANH:
        if (accumulate)
            for (size_t i = 0; i < n; i++)
                out[i] += (1.0 - y[i] * y[i]) * g[i];
        else
            for (size_t i = 0; i < n; i++)
                out[i] = (1.0 - y[i] * y[i]) * g[i];
        break;
    case LRNN_LINT_RELU:
        for (size_t i = 0; i < n; i++)
            out[i] = (accumulate ? out[i] : 0.0) + (y[i] > 0.0 ? g[i] : 0.0);
        break;
    case LRNN_LINT_IDENTITY:
        for (size_t i = 0; i < n; i++)
            out[i] = (accumulate ? out[i] : 0.0) + g[i];
        break;
    }
}

/* Conversions between the double state and the float operands of the single-precision
 * products (compiled out of line in forward.c they ran as SSE2). */
LINT_CLONES
void lint_to_float(const double *x, float *out, size_t n) {
    for (size_t i = 0; i < n; i++) out[i] = (float)x[i];
}

LINT_CLONES
void lint_to_double(const float *x, double *out, size_t n) {
    for (size_t i = 0; i < n; i++) out[i] = x[i];
}

/* Reductions with 8 partial sums (lane l takes i = l mod 8, added in a fixed tree), so gcc
 * vectorises them without reassociating anything itself; deterministic for a given n. */
LINT_CLONES
double lint_dot(const double *a, const double *b, size_t n) {
    double acc[8] = {0};
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (size_t l = 0; l < 8; l++)
            acc[l] += a[i + l] * b[i + l];
    for (size_t l = 0; i < n; i++, l++)
        acc[l] += a[i] * b[i];
    return ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]));
}

LINT_CLONES
double lint_sqerr(const double *y, const double *t, const double *w, size_t n) {
    double acc[8] = {0};
    size_t i = 0;
    if (w) {
        for (; i + 8 <= n; i += 8)
            for (size_t l = 0; l < 8; l++) {
                double e = w[i + l] * (t[i + l] - y[i + l]);
                acc[l] += e * e;
            }
        for (size_t l = 0; i < n; i++, l++) {
            double e = w[i] * (t[i] - y[i]);
            acc[l] += e * e;
        }
    } else {
        for (; i + 8 <= n; i += 8)
            for (size_t l = 0; l < 8; l++) {
                double e = t[i + l] - y[i + l];
                acc[l] += e * e;
            }
        for (size_t l = 0; i < n; i++, l++) {
            double e = t[i] - y[i];
            acc[l] += e * e;
        }
    }
    return ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]));
}

/* One pass of lint_comb_terms over m <= 4 rows: out = keep prev + c_0 row_0 + ... (prev NULL:
 * no leak term), added left to right. prev may be out. Always inlined with m and has_prev
 * constant: one branch-free loop per case. */
static inline __attribute__((always_inline)) void
comb_pass(size_t n, double keep, const double *prev, const double *c, const double *const *rows,
          double *out, const int m, const int has_prev) {
    const double *r0 = rows[0], *r1 = m > 1 ? rows[1] : r0, *r2 = m > 2 ? rows[2] : r0;
    const double *r3 = m > 3 ? rows[3] : r0;
    double c0 = c[0], c1 = m > 1 ? c[1] : 0.0, c2 = m > 2 ? c[2] : 0.0, c3 = m > 3 ? c[3] : 0.0;
    for (size_t i = 0; i < n; i++) {
        double v = has_prev ? keep * prev[i] + c0 * r0[i] : c0 * r0[i];
        if (m > 1) v += c1 * r1[i];
        if (m > 2) v += c2 * r2[i];
        if (m > 3) v += c3 * r3[i];
        out[i] = v;
    }
}

LINT_CLONES
void lint_comb_terms(size_t n, double keep, const double *x, size_t K, const double *c,
                     const double *const *rows, double *out) {
    if (K == 0) {
        for (size_t i = 0; i < n; i++)
            out[i] = x ? keep * x[i] : 0.0;
        return;
    }
    const double *prev = x;
    for (size_t k = 0; k < K; k += 4, prev = out, keep = 1.0) {
        size_t m = K - k < 4 ? K - k : 4;
        const double *ck = c + k, *const *rk = rows + k;
#define COMB(m)                                                                                \
    (prev ? comb_pass(n, keep, prev, ck, rk, out, m, 1)                                        \
          : comb_pass(n, keep, prev, ck, rk, out, m, 0))
        switch (m) {
        case 1: COMB(1); break;
        case 2: COMB(2); break;
        case 3: COMB(3); break;
        default: COMB(4); break;
        }
#undef COMB
    }
}

LINT_CLONES
void lint_axpy_multi(size_t n, size_t K, double scale, const double *coef, const double *row,
                     double *acc) {
    for (size_t k = 0; k < K; k++) {
        double c = scale * coef[k];
        double *a = acc + k * n;
        for (size_t i = 0; i < n; i++)
            a[i] += c * row[i];
    }
}

/* delta = keep dn + (1 - r^2) (gr + c w^2 (r - tg)): one BPTT row of a tanh network whose
 * readout is y = r (identity readout of tanh rates), dn NULL at the last step, w NULL for
 * unmasked or per-step masks (folded into c). (Rank one at 1 <= t < T: lint_bptt_row_rank1.)
 * Returns sum (w (tg - r))^2, the row's squared error, in the 8-lane order of lint_sqerr (the
 * same value), so the loss costs no second pass over the targets. */
static inline double bptt_elem(size_t i, const double *r, const double *tg, const double *w,
                               double c, const double *gr, const double *dn, double keep,
                               double *out) {
    double e = tg[i] - r[i], we = w ? w[i] * e : e;
    double g = gr[i] - c * (w ? w[i] * we : e);
    out[i] = (dn ? keep * dn[i] : 0.0) + (1.0 - r[i] * r[i]) * g;
    return we * we;
}

LINT_CLONES
double lint_bptt_row_tanh(size_t n, const double *r, const double *tg, const double *w, double c,
                          const double *gr, const double *dn, double keep, double *out) {
    double acc[8] = {0};
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (size_t l = 0; l < 8; l++)
            acc[l] += bptt_elem(i + l, r, tg, w, c, gr, dn, keep, out);
    for (size_t l = 0; i < n; i++, l++)
        acc[l] += bptt_elem(i, r, tg, w, c, gr, dn, keep, out);
    return ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]));
}

static inline __attribute__((always_inline)) void
row_full_loop(size_t n, const double *restrict r, const float *restrict sf,
              const double *restrict dn, double keep, double cg, const double *restrict gp,
              double *restrict db, double *restrict out, float *restrict df, int has_db) {
    for (size_t i = 0; i < n; i++) {
        double d = 1.0 - r[i] * r[i], a = d * (double)sf[i];
        if (has_db) db[i] += a;
        double delta = keep * dn[i] + a + d * (cg * gp[i]);
        out[i] = delta;
        df[i] = (float)delta;
    }
}

LINT_CLONES
void lint_bptt_row_full(size_t n, const double *r, const float *sf, const double *dn, double keep,
                        double cg, const double *gp, double *db, double *out, float *df) {
    if (db)
        row_full_loop(n, r, sf, dn, keep, cg, gp, db, out, df, 1);
    else
        row_full_loop(n, r, sf, dn, keep, cg, gp, NULL, out, df, 0);
}

/* lint_bptt_row_rank1 for a mask row w (has_w) or none: the BPTT element (gr = cn nrow) into
 * out, then the updates that need r or delta while both are in registers. Written with gcc's
 * vector extension (8 doubles; lane l sums the elements i = l mod 8, as lint_dot), because gcc
 * does not vectorise this many streams on its own; always inlined with has_w constant. */
typedef double lint_v8 __attribute__((vector_size(64)));
typedef float lint_v8f __attribute__((vector_size(32)));

/* (macros, not functions: a 64-byte vector argument or result would change the ABI of the
 * baseline build) */
#define V8_LOAD(v, p) memcpy(&(v), (p), sizeof(v))
#define V8_STORE(p, v) memcpy((p), &(v), sizeof(v))

static inline __attribute__((always_inline)) double
row1_loop(size_t n, const lint_row1 *a, double *mdot, int has_w, int float_tg) {
    const double *r = a->r, *tg = a->tg, *w = a->w, *nrow = a->nrow, *mrow = a->mrow;
    const float *tgf = a->tgf;
    const double *dn = a->dn;
    double *out = a->out, *gn = a->gn, *gm = a->gm;
    double c = a->c, cn = a->cn, keep = a->keep, ca = a->ca, ak = a->ak;
    lint_v8 acc = {0}, md = {0};
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        lint_v8 rk, tk, nk, dk, mk, wk = {0}, gnk, gmk;
        if (float_tg) {
            lint_v8f tf;
            V8_LOAD(tf, tgf + i);
            tk = __builtin_convertvector(tf, lint_v8);
        } else {
            V8_LOAD(tk, tg + i);
        }
        V8_LOAD(rk, r + i), V8_LOAD(nk, nrow + i), V8_LOAD(dk, dn + i);
        V8_LOAD(mk, mrow + i), V8_LOAD(gnk, gn + i), V8_LOAD(gmk, gm + i);
        if (has_w) V8_LOAD(wk, w + i);
        lint_v8 e = tk - rk, we = has_w ? wk * e : e;
        lint_v8 g = cn * nk - c * (has_w ? wk * we : e);
        lint_v8 dl = keep * dk + (1.0 - rk * rk) * g;
        gnk += ca * rk;
        gmk += ak * dl;
        V8_STORE(out + i, dl), V8_STORE(gn + i, gnk), V8_STORE(gm + i, gmk);
        acc += we * we;
        md += mk * dl;
    }
    for (size_t l = 0; i < n; i++, l++) {
        double ri = r[i], e = (float_tg ? (double)tgf[i] : tg[i]) - ri, we = has_w ? w[i] * e : e;
        double g = cn * nrow[i] - c * (has_w ? w[i] * we : e);
        double dl = keep * dn[i] + (1.0 - ri * ri) * g;
        out[i] = dl;
        gn[i] += ca * ri;
        gm[i] += ak * dl;
        acc[l] += we * we;
        md[l] += mrow[i] * dl;
    }
    *mdot = ((md[0] + md[4]) + (md[2] + md[6])) + ((md[1] + md[5]) + (md[3] + md[7]));
    return ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]));
}

LINT_CLONES
double lint_bptt_row_rank1(size_t n, const lint_row1 *a, double *mdot) {
    if (a->tgf) return a->w ? row1_loop(n, a, mdot, 1, 1) : row1_loop(n, a, mdot, 0, 1);
    return a->w ? row1_loop(n, a, mdot, 1, 0) : row1_loop(n, a, mdot, 0, 0);
}

/* Bring a row (bytes long) towards the cache ahead of use: one touch per 64-byte line. */
void lint_prefetch_bytes(const void *p, size_t bytes) {
    const char *c = p;
    for (size_t i = 0; i < bytes; i += 64)
        __builtin_prefetch(c + i, 0, 3);
}
