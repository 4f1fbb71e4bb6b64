/* Undoing a Hann smoothing (the inverse of lrnn_smooth_hann) by ridge-regularised
 * deconvolution. The EEG recording of spec §9.2 is distributed smoothed (Hann 15, z-scored);
 * the reference trained on the raw recording, whose 5-15 Hz band the smoothing damps by up to
 * 4x (|H| = 0.28 at 15 Hz, 160 Hz sampling) and which no longer exists beyond ~22 Hz.
 *
 * With S the smoothing operator of lrnn_smooth_hann (reflect boundaries, T x T, half-bandwidth
 * c = width / 2) and w the window, each series x solves
 *     min_x ||S x - y||^2 + ridge (sum w)^2 ||x||^2,   i.e.   (S^T S + ridge (sum w)^2 I) x = S^T
 * y. The normal matrix is banded (half-bandwidth 2c) and shared by every channel and trial of the
 * same length: one banded Cholesky (LAPACK dpbtrf), then one solve per trial for all channels.
 * Odd widths only: the window is then symmetric, and S with half-sample reflection is
 * diagonalised by the DCT-II basis (an even window shifts by half a step; its inverse leaves an
 * alternating error of a few percent decaying over ~20 steps from the boundary, measured). In
 * that basis a component with gain H (|H| <= 1 relative to the window sum) comes back
 * multiplied by H^2 / (H^2 + ridge), so the ridge sets where the inverse stops amplifying
 * (ridge 1e-3: components with H^2 >> 1e-3 are restored, those with H^2 << 1e-3 suppressed). */
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Row t of S: out[t] = sum_k w[k] x[reflect(t + c - k)] (lrnn_smooth_hann), as (column, value)
 * pairs; a column reached twice through the reflection appears twice. */
static void smoothing_row(size_t t, size_t T, const double *w, size_t width, size_t *col,
                          double *val) {
    long long c = (long long)(width / 2);
    for (size_t k = 0; k < width; k++) {
        col[k] = eval_reflect((long long)t + c - (long long)k, T);
        val[k] = w[k];
    }
}

lrnn_status lrnn_unsmooth_hann(double *y, size_t B, size_t T, size_t X, size_t width,
                               double ridge) {
    lrnn_eval_data d = {B, T, X, y, "data"};
    lrnn_status s = eval_check_data(&d, "Hann deconvolution");
    if (s) return s;
    if ((s = eval_check_finite(&d, "Hann deconvolution"))) return s;
    if (width == 0 || width > T)
        return lrnn_fail(LRNN_ERR_ARG,
                         "Hann deconvolution: window width %zu must be between 1 and the %zu "
                         "steps of a trial",
                         width, T);
    if (width % 2 == 0) /* see the file comment */
        return lrnn_fail(LRNN_ERR_ARG,
                         "Hann deconvolution: window width %zu must be odd (an even window "
                         "shifts by half a step, and its inverse is unstable at the boundaries)",
                         width);
    if (!(ridge > 0.0) || !isfinite(ridge))
        return lrnn_fail(LRNN_ERR_ARG, "Hann deconvolution: ridge must be > 0 (got %g)", ridge);
    size_t kd = 2 * (width / 2), ld = kd + 1;
    double *w = malloc((width + ld * T + T * X + width) * sizeof *w);
    size_t *col = malloc(width * sizeof *col);
    if (!w || !col) {
        free(w);
        free(col);
        return lrnn_fail(LRNN_ERR_NOMEM, "Hann deconvolution: out of memory (T = %zu)", T);
    }
    double *band = w + width, *rhs = band + ld * T, *val = rhs + T * X, wsum = 0.0;
    for (size_t k = 0; k < width; k++) { /* the window of lrnn_smooth_hann */
        w[k] = width == 1 ? 1.0 : 0.5 - 0.5 * cos(2.0 * M_PI * (double)k / (double)(width - 1));
        wsum += w[k];
    }
    /* upper band of S^T S + ridge wsum^2 I, column-major: A(i, j) at band[kd + i - j + j ld] */
    memset(band, 0, ld * T * sizeof *band);
    for (size_t t = 0; t < T; t++) {
        smoothing_row(t, T, w, width, col, val);
        for (size_t a = 0; a < width; a++)
            for (size_t b = 0; b < width; b++)
                if (col[a] <= col[b]) band[kd + col[a] - col[b] + col[b] * ld] += val[a] * val[b];
    }
    for (size_t j = 0; j < T; j++)
        band[kd + j * ld] += ridge * wsum * wsum;
    lapack_int info =
        LAPACKE_dpbtrf(LAPACK_COL_MAJOR, 'U', (lapack_int)T, (lapack_int)kd, band, (lapack_int)ld);
    for (size_t b = 0; b < B && info == 0; b++) {
        double *yb = y + b * T * X;
        memset(rhs, 0, T * X * sizeof *rhs); /* S^T y, column-major T x X */
        for (size_t t = 0; t < T; t++) {
            smoothing_row(t, T, w, width, col, val);
            for (size_t k = 0; k < width; k++)
                for (size_t x = 0; x < X; x++)
                    rhs[col[k] + x * T] += val[k] * yb[t * X + x];
        }
        info = LAPACKE_dpbtrs(LAPACK_COL_MAJOR, 'U', (lapack_int)T, (lapack_int)kd, (lapack_int)X,
                              band, (lapack_int)ld, rhs, (lapack_int)T);
        for (size_t t = 0; t < T && info == 0; t++)
            for (size_t x = 0; x < X; x++)
                yb[t * X + x] = rhs[t + x * T];
    }
    free(w);
    free(col);
    if (info != 0) /* the ridge makes the matrix positive definite: a failure is a bug */
        return lrnn_fail(LRNN_ERR_NUMERIC, "Hann deconvolution: LAPACK failed (info %d)",
                         (int)info);
    return LRNN_OK;
}
