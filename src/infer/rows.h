/* Row kernels for the readout and the per-step vectors of the particle filter: one particle's
 * row of X channels (or N units) against R rows of a parameter (R small: the latent rank).
 * The transition's unit loops, which dominate the cost, have their own vector kernels
 * (kernels.h); these plain loops serve the smaller products (B_z^T z, m z for one-to-one
 * readouts, H^T D^-1 y~).
 *
 * Layout: the parameter rows are R x n, row-major (B_z, m^T, H^T), so every loop over
 * channels is unit-stride and vectorises. Each kernel is written once for a rank R and
 * instantiated for R = 1..4 (compile-time constant: the loop over r unrolls and its
 * accumulators stay in registers) and for any R; BY_RANK picks the instance.
 *
 * Sums over channels use ROWS_LANES independent partial sums, combined in a fixed order (we
 * build without -ffast-math, so the compiler keeps that order). */
#ifndef LRNN_INFER_ROWS_H
#define LRNN_INFER_ROWS_H

#include <stddef.h>

#if defined(__GNUC__)
#define ROWS_INLINE static inline __attribute__((always_inline))
#else
#define ROWS_INLINE static inline
#endif

enum { ROWS_LANES = 8 };

/* Call fn(R, args...) with R a compile-time constant when 1 <= R <= 4. */
#define BY_RANK(R, fn, ...)                                                                    \
    do {                                                                                       \
        switch (R) {                                                                           \
        case 1: fn(1, __VA_ARGS__); break;                                                     \
        case 2: fn(2, __VA_ARGS__); break;                                                     \
        case 3: fn(3, __VA_ARGS__); break;                                                     \
        case 4: fn(4, __VA_ARGS__); break;                                                     \
        default: fn(R, __VA_ARGS__); break;                                                    \
        }                                                                                      \
    } while (0)

/* out_i = sum_r c_r A_ri (+ add_i when add != NULL), A: R x n. The sum runs r = 0, 1, .. and
 * add comes last, as in a gemm with beta = 1 applied after. */
ROWS_INLINE void rows_combine(size_t R, size_t n, const double *restrict c,
                              const double *restrict A, const double *restrict add,
                              double *restrict out) {
    if (add) {
        for (size_t i = 0; i < n; i++) {
            double acc = c[0] * A[i];
            for (size_t r = 1; r < R; r++) acc += c[r] * A[r * n + i];
            out[i] = acc + add[i];
        }
    } else {
        for (size_t i = 0; i < n; i++) {
            double acc = c[0] * A[i];
            for (size_t r = 1; r < R; r++) acc += c[r] * A[r * n + i];
            out[i] = acc;
        }
    }
}

/* sum_i x_i y_i in ROWS_LANES partial sums. */
ROWS_INLINE double rows_dot(size_t n, const double *restrict x, const double *restrict y) {
    double acc[ROWS_LANES] = {0};
    size_t i = 0;
    for (; i + ROWS_LANES <= n; i += ROWS_LANES)
        for (size_t l = 0; l < ROWS_LANES; l++) acc[l] += x[i + l] * y[i + l];
    for (size_t l = 0; i < n; i++, l++) acc[l] += x[i] * y[i];
    double s = 0.0;
    for (size_t l = 0; l < ROWS_LANES; l++) s += acc[l];
    return s;
}

/* out_r = sum_i x_i A_ri for r < R (A: R x n). One pass over x for R <= 4. */
ROWS_INLINE void rows_project(size_t R, size_t n, const double *restrict x,
                              const double *restrict A, double *restrict out) {
    if (R > 4) {
        for (size_t r = 0; r < R; r++) out[r] = rows_dot(n, x, A + r * n);
        return;
    }
    double acc[4][ROWS_LANES]; /* zeroed row by row: an initialiser became `rep stos` */
    for (size_t r = 0; r < R; r++)
        for (size_t l = 0; l < ROWS_LANES; l++) acc[r][l] = 0.0;
    size_t i = 0;
    for (; i + ROWS_LANES <= n; i += ROWS_LANES)
        for (size_t r = 0; r < R; r++)
            for (size_t l = 0; l < ROWS_LANES; l++) acc[r][l] += x[i + l] * A[r * n + i + l];
    for (size_t l = 0; i < n; i++, l++)
        for (size_t r = 0; r < R; r++) acc[r][l] += x[i] * A[r * n + i];
    for (size_t r = 0; r < R; r++) {
        double s = 0.0;
        for (size_t l = 0; l < ROWS_LANES; l++) s += acc[r][l];
        out[r] = s;
    }
}

/* A_ri += c_r x_i (A: R x n, rows ld apart): a rank-one update of a transposed gradient. */
ROWS_INLINE void rows_outer_acc(size_t R, size_t n, size_t ld, const double *restrict c,
                                const double *restrict x, double *restrict A) {
    for (size_t i = 0; i < n; i++)
        for (size_t r = 0; r < R; r++) A[r * ld + i] += c[r] * x[i];
}

/* The adjoints of one row of an affine map pre = H z + base given the row's adjoint c q (c a
 * scalar, q: n), in one pass over q: s_i += c q_i (the base's adjoint), A_ri += z_r c q_i
 * (A = H^T bar: R x n, rows ld apart) and out_r = sum_i HT_ri c q_i (HT = H^T: R x n; the
 * sum in rows_project's order). */
ROWS_INLINE void rows_affine_adjoint(size_t R, size_t n, size_t ld, double c,
                                     const double *restrict q, const double *restrict z,
                                     const double *restrict HT, double *restrict s,
                                     double *restrict A, double *restrict out) {
    if (R > 4) {
        for (size_t i = 0; i < n; i++) s[i] += c * q[i];
        for (size_t r = 0; r < R; r++) {
            double acc[ROWS_LANES] = {0};
            size_t i = 0;
            for (; i + ROWS_LANES <= n; i += ROWS_LANES)
                for (size_t l = 0; l < ROWS_LANES; l++) {
                    double p = c * q[i + l];
                    A[r * ld + i + l] += z[r] * p;
                    acc[l] += p * HT[r * n + i + l];
                }
            for (size_t l = 0; i < n; i++, l++) {
                double p = c * q[i];
                A[r * ld + i] += z[r] * p;
                acc[l] += p * HT[r * n + i];
            }
            double sum = 0.0;
            for (size_t l = 0; l < ROWS_LANES; l++) sum += acc[l];
            out[r] = sum;
        }
        return;
    }
    double acc[4][ROWS_LANES];
    for (size_t r = 0; r < R; r++)
        for (size_t l = 0; l < ROWS_LANES; l++) acc[r][l] = 0.0;
    size_t i = 0;
    for (; i + ROWS_LANES <= n; i += ROWS_LANES)
        for (size_t l = 0; l < ROWS_LANES; l++) {
            double p = c * q[i + l];
            s[i + l] += p;
            for (size_t r = 0; r < R; r++) {
                A[r * ld + i + l] += z[r] * p;
                acc[r][l] += p * HT[r * n + i + l];
            }
        }
    for (size_t l = 0; i < n; i++, l++) {
        double p = c * q[i];
        s[i] += p;
        for (size_t r = 0; r < R; r++) {
            A[r * ld + i] += z[r] * p;
            acc[r][l] += p * HT[r * n + i];
        }
    }
    for (size_t r = 0; r < R; r++) {
        double sum = 0.0;
        for (size_t l = 0; l < ROWS_LANES; l++) sum += acc[r][l];
        out[r] = sum;
    }
}

#endif
