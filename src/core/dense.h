/* Small dense row-major helpers for R x R and R x X blocks (R is the latent rank, small).
 * Plain loops: these run once per pass or per step, never per unit. */
#ifndef LRNN_CORE_DENSE_H
#define LRNN_CORE_DENSE_H

#include <math.h>
#include <stddef.h>
#include <string.h>

/* C = A B: A (n x k), B (k x m). */
static inline void dense_mm(size_t n, size_t k, size_t m, const double *A, const double *B,
                            double *C) {
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < m; j++) {
            double acc = 0.0;
            for (size_t l = 0; l < k; l++) acc += A[i * k + l] * B[l * m + j];
            C[i * m + j] = acc;
        }
}

/* C = A^T B: A (k x n), B (k x m). */
static inline void dense_tm(size_t n, size_t k, size_t m, const double *A, const double *B,
                            double *C) {
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < m; j++) {
            double acc = 0.0;
            for (size_t l = 0; l < k; l++) acc += A[l * n + i] * B[l * m + j];
            C[i * m + j] = acc;
        }
}

/* C = A B^T: A (n x k), B (m x k). */
static inline void dense_mt(size_t n, size_t k, size_t m, const double *A, const double *B,
                            double *C) {
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < m; j++) {
            double acc = 0.0;
            for (size_t l = 0; l < k; l++) acc += A[i * k + l] * B[j * k + l];
            C[i * m + j] = acc;
        }
}

/* y = A x (A n x m), y += when accumulate. */
static inline void dense_mv(size_t n, size_t m, const double *A, const double *x, double *y,
                            int accumulate) {
    for (size_t i = 0; i < n; i++) {
        double acc = accumulate ? y[i] : 0.0;
        for (size_t j = 0; j < m; j++) acc += A[i * m + j] * x[j];
        y[i] = acc;
    }
}

/* y = A^T x (A n x m, y of length m). */
static inline void dense_tv(size_t n, size_t m, const double *A, const double *x, double *y,
                            int accumulate) {
    if (!accumulate) memset(y, 0, m * sizeof *y);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < m; j++) y[j] += A[i * m + j] * x[i];
}

/* In-place Cholesky A = L L^T of a symmetric positive definite n x n matrix (lower triangle
 * written, upper zeroed). Returns 0, or -1 if A is not positive definite. */
static inline int dense_cholesky(size_t n, double *A) {
    for (size_t j = 0; j < n; j++) {
        double s = A[j * n + j];
        for (size_t k = 0; k < j; k++) s -= A[j * n + k] * A[j * n + k];
        if (!(s > 0.0)) return -1;
        double d = sqrt(s);
        A[j * n + j] = d;
        for (size_t i = j + 1; i < n; i++) {
            double t = A[i * n + j];
            for (size_t k = 0; k < j; k++) t -= A[i * n + k] * A[j * n + k];
            A[i * n + j] = t / d;
        }
        for (size_t i = 0; i < j; i++) A[i * n + j] = 0.0;
    }
    return 0;
}

/* Inverse of a lower-triangular L (n x n) into Li (lower). */
static inline void dense_lower_inverse(size_t n, const double *L, double *Li) {
    memset(Li, 0, n * n * sizeof *Li);
    for (size_t j = 0; j < n; j++) {
        Li[j * n + j] = 1.0 / L[j * n + j];
        for (size_t i = j + 1; i < n; i++) {
            double s = 0.0;
            for (size_t k = j; k < i; k++) s -= L[i * n + k] * Li[k * n + j];
            Li[i * n + j] = s / L[i * n + i];
        }
    }
}

/* Phi(A): lower triangle with the diagonal halved, then symmetrised: (Phi + Phi^T) / 2. Used by
 * the Cholesky backward pass (Murray 2016). */
static inline void dense_sym_phi(size_t n, const double *A, double *out) {
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            double lower = i > j ? A[i * n + j] : (i == j ? 0.5 * A[i * n + i] : 0.0);
            double upper = j > i ? A[j * n + i] : (i == j ? 0.5 * A[i * n + i] : 0.0);
            out[i * n + j] = 0.5 * (lower + upper);
        }
}

#endif
