/* Small dense linear algebra for R x R systems (R is the rank: 1..16 in practice). Written out
 * rather than calling LAPACK because the analytic method solves tens of millions of 2 x 2 and
 * 3 x 3 systems, where a library call costs more than the arithmetic. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <lapacke.h>

#include "analysis/internal.h"

int fp_lu(int n, double *A, int *piv, double *cond) {
    double scale = 0.0;
    for (int i = 0; i < n * n; i++)
        scale = fmax(scale, fabs(A[i]));
    if (!(scale > 0.0) || !isfinite(scale)) return -1;
    double tol = 1e-12 * scale, pmax = 0.0, pmin = INFINITY;
    for (int k = 0; k < n; k++) {
        int best = k;
        for (int i = k + 1; i < n; i++)
            if (fabs(A[i * n + k]) > fabs(A[best * n + k])) best = i;
        piv[k] = best;
        if (best != k)
            for (int j = 0; j < n; j++) {
                double t = A[k * n + j];
                A[k * n + j] = A[best * n + j];
                A[best * n + j] = t;
            }
        double p = A[k * n + k];
        if (!(fabs(p) > tol)) return -1;
        pmax = fmax(pmax, fabs(p)), pmin = fmin(pmin, fabs(p));
        for (int i = k + 1; i < n; i++) {
            double f = A[i * n + k] / p;
            A[i * n + k] = f;
            for (int j = k + 1; j < n; j++)
                A[i * n + j] -= f * A[k * n + j];
        }
    }
    if (cond) *cond = pmax / pmin;
    return 0;
}

void fp_lu_solve(int n, const double *LU, const int *piv, double *b) {
    for (int k = 0; k < n; k++) {
        if (piv[k] != k) {
            double t = b[k];
            b[k] = b[piv[k]];
            b[piv[k]] = t;
        }
    }
    for (int i = 1; i < n; i++)
        for (int j = 0; j < i; j++)
            b[i] -= LU[i * n + j] * b[j];
    for (int i = n - 1; i >= 0; i--) {
        for (int j = i + 1; j < n; j++)
            b[i] -= LU[i * n + j] * b[j];
        b[i] /= LU[i * n + i];
    }
}

int fp_eigenvalues(int n, const double *A, double *re, double *im, double *work) {
    memcpy(work, A, (size_t)n * (size_t)n * sizeof *work);
    lapack_int info =
        LAPACKE_dgeev(LAPACK_ROW_MAJOR, 'N', 'N', n, work, n, re, im, NULL, 1, NULL, 1);
    if (info != 0) return -1;
    /* Insertion sort by decreasing modulus; ties by real part, then imaginary part, so the
     * order (and the printed table) does not depend on LAPACK's internal order. */
    for (int i = 1; i < n; i++) {
        double r = re[i], m = im[i], mod = hypot(r, m);
        int j = i - 1;
        while (j >= 0) {
            double mj = hypot(re[j], im[j]);
            if (mj > mod || (mj == mod && (re[j] > r || (re[j] == r && im[j] >= m)))) break;
            re[j + 1] = re[j], im[j + 1] = im[j];
            j--;
        }
        re[j + 1] = r, im[j + 1] = m;
    }
    return 0;
}
