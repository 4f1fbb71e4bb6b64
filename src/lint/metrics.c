/* Goodness of fit and connectivity comparison (spec lint_method.md sections 5.1 and 5.2).
 * Connectivity correlations use <A B^T, C D^T>_F = sum_{r,s} (A_r . C_s)(B_r . D_s): Gram
 * matrices of the factors, never an N x N matrix. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lint/internal.h"

double lrnn_lint_r2(const double *y_true, const double *y_pred, size_t n) {
    if (n == 0) return NAN;
    double mean = 0.0;
    for (size_t i = 0; i < n; i++)
        mean += y_true[i];
    mean /= (double)n;
    double ss_res = 0.0, ss_tot = 0.0;
    for (size_t i = 0; i < n; i++) {
        double e = y_true[i] - y_pred[i], c = y_true[i] - mean;
        ss_res += e * e;
        ss_tot += c * c;
    }
    return ss_tot > 0.0 ? 1.0 - ss_res / ss_tot : NAN;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

lrnn_status lrnn_lint_r2_neurons(const double *y_true, const double *y_pred, size_t rows, size_t N,
                                 double *r2, double *median, double *mean) {
    if (rows < 1 || N < 1)
        return lrnn_fail(LRNN_ERR_SHAPE, "per-neuron R^2: empty arrays (%zu x %zu)", rows, N);
    double *buf = calloc(3 * N, sizeof *buf);
    if (!buf) return lrnn_fail(LRNN_ERR_NOMEM, "per-neuron R^2: out of memory (N = %zu)", N);
    double *mu = buf, *res = mu + N, *tot = res + N;
    for (size_t k = 0; k < rows; k++)
        for (size_t i = 0; i < N; i++)
            mu[i] += y_true[k * N + i];
    for (size_t i = 0; i < N; i++)
        mu[i] /= (double)rows;
    for (size_t k = 0; k < rows; k++)
        for (size_t i = 0; i < N; i++) {
            double e = y_true[k * N + i] - y_pred[k * N + i], c = y_true[k * N + i] - mu[i];
            res[i] += e * e;
            tot[i] += c * c;
        }
    /* a constant neuron has no defined R^2 (NaN); it is left out of the median and mean */
    size_t valid = 0;
    double sum = 0.0;
    for (size_t i = 0; i < N; i++) {
        double v = tot[i] > 0.0 ? 1.0 - res[i] / tot[i] : NAN;
        if (r2) r2[i] = v;
        if (v == v) {
            mu[valid++] = v;
            sum += v;
        }
    }
    if (mean) *mean = valid ? sum / (double)valid : NAN;
    if (median) {
        qsort(mu, valid, sizeof *mu, cmp_double);
        *median = !valid      ? NAN
                  : valid % 2 ? mu[valid / 2]
                              : 0.5 * (mu[valid / 2 - 1] + mu[valid / 2]);
    }
    free(buf);
    return LRNN_OK;
}

/* sum_{r,s} (A_r . C_s)(B_r . D_s) for column sets A, B (N x Ra) and C, D (N x Rc), row-major
 * with column strides Ra and Rc. */
static double frob_inner(size_t N, size_t Ra, const double *A, const double *B, size_t Rc,
                         const double *C, const double *D) {
    double total = 0.0;
    for (size_t r = 0; r < Ra; r++)
        for (size_t s = 0; s < Rc; s++) {
            double ac = 0.0, bd = 0.0;
            for (size_t i = 0; i < N; i++) {
                ac += A[i * Ra + r] * C[i * Rc + s];
                bd += B[i * Ra + r] * D[i * Rc + s];
            }
            total += ac * bd;
        }
    return total;
}

static double cosine_lr(size_t N, size_t R1, const double *m1, const double *n1, size_t R2,
                        const double *m2, const double *n2) {
    double cross = frob_inner(N, R1, m1, n1, R2, m2, n2);
    double a = frob_inner(N, R1, m1, n1, R1, m1, n1), b = frob_inner(N, R2, m2, n2, R2, m2, n2);
    return a > 0.0 && b > 0.0 ? cross / sqrt(a * b) : NAN;
}

double lrnn_lint_cc(size_t N, size_t R1, const double *m1, const double *n1, size_t R2,
                    const double *m2, const double *n2) {
    return cosine_lr(N, R1, m1, n1, R2, m2, n2);
}

/* n~ (N x R, row-major) = projection of each column of n on span{columns of m, rows of win},
 * by modified Gram-Schmidt (twice, for orthogonality) with near-dependent vectors dropped. */
static void project_n(size_t N, size_t R, const double *m, const double *n, size_t U,
                      const double *win, double *Q, double *nt) {
    size_t k = 0;
    for (size_t c = 0; c < R + U; c++) {
        double *q = Q + k * N, norm0 = 0.0;
        for (size_t i = 0; i < N; i++) {
            q[i] = c < R ? m[i * R + c] : win[(c - R) * N + i];
            norm0 += q[i] * q[i];
        }
        for (int pass = 0; pass < 2; pass++)
            for (size_t p = 0; p < k; p++) {
                double dot = 0.0;
                for (size_t i = 0; i < N; i++)
                    dot += Q[p * N + i] * q[i];
                for (size_t i = 0; i < N; i++)
                    q[i] -= dot * Q[p * N + i];
            }
        double norm = 0.0;
        for (size_t i = 0; i < N; i++)
            norm += q[i] * q[i];
        if (norm0 == 0.0 || !(norm > 1e-20 * norm0)) continue;
        norm = 1.0 / sqrt(norm);
        for (size_t i = 0; i < N; i++)
            q[i] *= norm;
        k++;
    }
    for (size_t r = 0; r < R; r++) {
        for (size_t i = 0; i < N; i++)
            nt[i * R + r] = 0.0;
        for (size_t p = 0; p < k; p++) {
            double dot = 0.0;
            for (size_t i = 0; i < N; i++)
                dot += Q[p * N + i] * n[i * R + r];
            for (size_t i = 0; i < N; i++)
                nt[i * R + r] += dot * Q[p * N + i];
        }
    }
}

lrnn_status lrnn_lint_ecc(size_t N, size_t R1, const double *m1, const double *n1, size_t U1,
                          const double *win1, size_t R2, const double *m2, const double *n2,
                          size_t U2, const double *win2, double *ecc) {
    size_t k1 = R1 + U1, k2 = R2 + U2;
    size_t kmax = k1 > k2 ? k1 : k2;
    double *buf = malloc((kmax * N + (R1 + R2) * N) * sizeof *buf);
    if (!buf) return lrnn_fail(LRNN_ERR_NOMEM, "ECC: out of memory (N = %zu)", N);
    double *Q = buf, *nt1 = Q + kmax * N, *nt2 = nt1 + R1 * N;
    project_n(N, R1, m1, n1, U1, win1, Q, nt1);
    project_n(N, R2, m2, n2, U2, win2, Q, nt2);
    *ecc = cosine_lr(N, R1, m1, nt1, R2, m2, nt2);
    free(buf);
    return LRNN_OK;
}
