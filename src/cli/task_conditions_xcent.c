/* The preprocessing of the monkey data to X_cent (spec lint_method.md 6, "Preprocessing to
 * X_cent"; data_loader_mante.py, the monkey notebooks): centring, PCA denoising and removal of
 * the condition-independent time course by regression over conditions. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>
#include <lapacke.h>

#include "task_conditions.h"

lrnn_status task_conditions_xcent(double *X, size_t C, size_t T, size_t N, size_t K,
                                  const double *z, size_t P, double *explained) {
    size_t rows = C * T, Q = P + 1;
    if (K > N) K = N;
    if (K < 1 || rows < 2 || C < Q)
        return lrnn_fail(LRNN_ERR_ARG,
                         "X_cent: need K >= 1 components (got %zu), two rows and at least %zu "
                         "conditions for %zu regressors (got %zu)",
                         K, Q, P, C);
    double *mu = calloc(N, sizeof *mu), *cov = malloc(N * N * sizeof *cov);
    double *w = malloc(N * sizeof *w), *D = malloc(N * K * sizeof *D);
    double *proj = malloc(rows * K * sizeof *proj), *G = malloc(Q * Q * sizeof *G);
    double *A = malloc(Q * C * sizeof *A), *icpt = calloc(T * N, sizeof *icpt);
    lapack_int *support = malloc(2 * N * sizeof *support);
    lrnn_status s = LRNN_OK;
    if (!mu || !cov || !w || !D || !proj || !G || !A || !icpt || !support) {
        s = lrnn_fail(LRNN_ERR_NOMEM, "X_cent: out of memory (%zu neurons)", N);
        goto done;
    }
    /* 1. X - mu over the (C T) rows */
    for (size_t r = 0; r < rows; r++)
        for (size_t i = 0; i < N; i++)
            mu[i] += X[r * N + i] / (double)rows;
    for (size_t r = 0; r < rows; r++)
        for (size_t i = 0; i < N; i++)
            X[r * N + i] -= mu[i];
    /* 2. principal axes: the top K eigenvectors of the covariance (X - mu)^T (X - mu) / (rows-1)
     * (sklearn's PCA up to the components' signs, which D^T D does not see) */
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)N, (int)rows, 1.0 / (double)(rows - 1),
                X, (int)N, 0.0, cov, (int)N);
    double trace = 0;
    for (size_t i = 0; i < N; i++)
        trace += cov[i * N + i];
    lapack_int found = 0;
    lapack_int info = LAPACKE_dsyevr(LAPACK_ROW_MAJOR, 'V', 'I', 'U', (lapack_int)N, cov,
                                     (lapack_int)N, 0.0, 0.0, (lapack_int)(N - K + 1),
                                     (lapack_int)N, 0.0, &found, w, D, (lapack_int)K, support);
    if (info != 0 || found != (lapack_int)K) {
        s = lrnn_fail(LRNN_ERR_NUMERIC,
                      "X_cent: eigendecomposition of the %zu x %zu covariance "
                      "failed (LAPACK info %d)",
                      N, N, (int)info);
        goto done;
    }
    double top = 0;
    for (size_t k = 0; k < K; k++)
        top += w[k];
    *explained = trace > 0 ? top / trace : NAN;
    /* 3. X_den = (X - mu) D^T D, with D^T stored as the N x K eigenvector columns */
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)rows, (int)K, (int)N, 1.0, X,
                (int)N, D, (int)K, 0.0, proj, (int)K);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, (int)N, (int)K, 1.0, proj,
                (int)K, D, (int)K, 0.0, X, (int)N);
    /* 4. OLS over conditions: betas = (Z^T Z)^-1 Z^T X_den with Z = [1, z] (C x Q); only the
     * intercept row is needed: a = row 0 of (Z^T Z)^-1 Z^T (C weights), intercept = a X_den */
    for (size_t p = 0; p < Q; p++)
        for (size_t q = 0; q < Q; q++) {
            double g = 0;
            for (size_t c = 0; c < C; c++)
                g += (p ? z[c * P + p - 1] : 1.0) * (q ? z[c * P + q - 1] : 1.0);
            G[p * Q + q] = g;
        }
    for (size_t p = 0; p < Q; p++)
        for (size_t c = 0; c < C; c++)
            A[p * C + c] = p ? z[c * P + p - 1] : 1.0;
    info = LAPACKE_dposv(LAPACK_ROW_MAJOR, 'U', (lapack_int)Q, (lapack_int)C, G, (lapack_int)Q, A,
                         (lapack_int)C);
    if (info != 0) {
        s = lrnn_fail(LRNN_ERR_NUMERIC,
                      "X_cent: the regressors over the %zu conditions are collinear (normal "
                      "equations not positive definite, LAPACK info %d)",
                      C, (int)info);
        goto done;
    }
    for (size_t c = 0; c < C; c++)
        cblas_daxpy((int)(T * N), A[c], X + c * T * N, 1, icpt, 1);
    /* 6. X_cent = X_den - intercept(t) */
    for (size_t c = 0; c < C; c++)
        cblas_daxpy((int)(T * N), -1.0, icpt, 1, X + c * T * N, 1);
done:
    free(mu), free(cov), free(w), free(D), free(proj), free(G), free(A), free(icpt), free(support);
    return s;
}
