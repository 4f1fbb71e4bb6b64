/* Spike statistics of §8.4: mean rates, inter-spike intervals, pairwise correlations, and the
 * Pearson r used to compare them between generated and real data. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "internal.h"

enum { CORR_BLOCK = 1024 }; /* rows centred per dsyrk call */

lrnn_status lrnn_spikes_rates(const lrnn_eval_data *d, double dt, double *rates) {
    lrnn_status s = eval_check_data(d, "mean rates");
    if (s) return s;
    if (!rates) return lrnn_fail(LRNN_ERR_ARG, "mean rates: no output");
    if (!(dt > 0.0) || !isfinite(dt))
        return lrnn_fail(LRNN_ERR_ARG, "mean rates: bin width dt must be > 0 (got %g)", dt);
    size_t rows = d->B * d->T, X = d->X;
    for (size_t x = 0; x < X; x++) {
        double sum = 0.0;
        size_t n = 0;
        for (size_t r = 0; r < rows; r++) {
            double v = d->y[r * X + x];
            if (isnan(v)) continue;
            if (isinf(v))
                return lrnn_fail(LRNN_ERR_NUMERIC, "mean rates: %s has Inf in channel %zu, row %zu",
                                 eval_name(d), x, r);
            sum += v, n++;
        }
        if (n == 0)
            return lrnn_fail(LRNN_ERR_NUMERIC, "mean rates: channel %zu of %s has no observed bin",
                             x, eval_name(d));
        rates[x] = sum / (double)n / dt;
    }
    return LRNN_OK;
}

lrnn_status lrnn_spikes_isi(const lrnn_eval_data *d, double dt, size_t min_count,
                            lrnn_isi_stats *out) {
    lrnn_status s = eval_check_data(d, "ISI");
    if (s) return s;
    if (!out) return lrnn_fail(LRNN_ERR_ARG, "ISI: no output");
    if (!(dt > 0.0) || !isfinite(dt))
        return lrnn_fail(LRNN_ERR_ARG, "ISI: bin width dt must be > 0 (got %g)", dt);
    if ((s = eval_check_finite(d, "ISI"))) return s;
    size_t T = d->T, X = d->X;
    for (size_t x = 0; x < X; x++) {
        /* Welford over the intervals (in bins) of every trial; trials are never bridged */
        double mean = 0.0, m2 = 0.0;
        size_t n = 0;
        for (size_t b = 0; b < d->B; b++) {
            const double *col = d->y + b * T * X + x;
            size_t last = 0;
            int seen = 0;
            for (size_t t = 0; t < T; t++) {
                if (!(col[t * X] >= 1.0)) continue;
                if (seen) {
                    double isi = (double)(t - last), delta = isi - mean;
                    n++;
                    mean += delta / (double)n;
                    m2 += delta * (isi - mean);
                }
                last = t, seen = 1;
            }
        }
        lrnn_isi_stats *o = out + x;
        o->count = n;
        if (n < min_count || n == 0) {
            o->mean = o->std = o->cv = NAN;
            continue;
        }
        o->mean = mean * dt;
        o->std = sqrt(m2 / (double)n) * dt; /* np.std, ddof 0 */
        o->cv = o->std > 0.0 ? o->std / o->mean : NAN;
    }
    return LRNN_OK;
}

lrnn_status lrnn_spikes_corr(const lrnn_eval_data *d, double *corr) {
    lrnn_status s = eval_check_data(d, "correlations");
    if (s) return s;
    if (!corr) return lrnn_fail(LRNN_ERR_ARG, "correlations: no output");
    if ((s = eval_check_finite(d, "correlations"))) return s;
    size_t rows = d->B * d->T, X = d->X;
    if (rows < 2)
        return lrnn_fail(LRNN_ERR_SHAPE, "correlations: %s needs at least 2 bins (has %zu)",
                         eval_name(d), rows);
    if (X < 2) return LRNN_OK; /* no pairs */
    double *mean = calloc(X + X * X + CORR_BLOCK * X, sizeof *mean);
    if (!mean) return lrnn_fail(LRNN_ERR_NOMEM, "correlations: out of memory (X = %zu)", X);
    double *C = mean + X, *block = C + X * X;
    for (size_t r = 0; r < rows; r++)
        for (size_t x = 0; x < X; x++)
            mean[x] += d->y[r * X + x];
    for (size_t x = 0; x < X; x++)
        mean[x] /= (double)rows;
    /* C = sum_r (y_r - mean)(y_r - mean)^T, upper triangle, centred blocks of rows */
    for (size_t r0 = 0; r0 < rows; r0 += CORR_BLOCK) {
        size_t n = rows - r0 < CORR_BLOCK ? rows - r0 : CORR_BLOCK;
        for (size_t r = 0; r < n; r++)
            for (size_t x = 0; x < X; x++)
                block[r * X + x] = d->y[(r0 + r) * X + x] - mean[x];
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)X, (int)n, 1.0, block, (int)X, 1.0,
                    C, (int)X);
    }
    size_t k = 0;
    for (size_t i = 0; i < X; i++)
        for (size_t j = i + 1; j < X; j++) {
            double den = sqrt(C[i * X + i] * C[j * X + j]);
            corr[k++] = den > 0.0 ? C[i * X + j] / den : NAN;
        }
    free(mean);
    return LRNN_OK;
}

lrnn_status lrnn_pearson(const double *a, const double *b, size_t n, double *r) {
    if (!a || !b || !r || n == 0) return lrnn_fail(LRNN_ERR_ARG, "Pearson r: empty input");
    double ma = 0.0, mb = 0.0;
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(a[i]) && isfinite(b[i])) ma += a[i], mb += b[i], m++;
    *r = NAN;
    if (m < 2) return LRNN_OK;
    ma /= (double)m, mb /= (double)m;
    double sab = 0.0, saa = 0.0, sbb = 0.0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(a[i]) && isfinite(b[i])) {
            sab += (a[i] - ma) * (b[i] - mb);
            saa += (a[i] - ma) * (a[i] - ma);
            sbb += (b[i] - mb) * (b[i] - mb);
        }
    if (saa > 0.0 && sbb > 0.0) *r = sab / sqrt(saa * sbb);
    return LRNN_OK;
}
