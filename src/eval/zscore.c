/* Per-channel z-scoring over trials and time (the EEG protocol, §8.3 step 3). */
#include <math.h>
#include <stdlib.h>

#include "internal.h"

lrnn_status lrnn_zscore_apply(double *y, size_t B, size_t T, size_t X, double *mean, double *std) {
    lrnn_eval_data d = {B, T, X, y, "data"};
    lrnn_status s = eval_check_data(&d, "z-score");
    if (s) return s;
    size_t rows = B * T;
    for (size_t x = 0; x < X; x++) {
        /* two passes: mean, then the centred sum of squares (no cancellation) */
        double sum = 0.0, ss = 0.0;
        size_t n = 0;
        for (size_t r = 0; r < rows; r++) {
            double v = y[r * X + x];
            if (isnan(v)) continue;
            if (!isfinite(v))
                return lrnn_fail(LRNN_ERR_NUMERIC, "z-score: Inf in channel %zu at row %zu", x, r);
            sum += v, n++;
        }
        if (n == 0)
            return lrnn_fail(LRNN_ERR_NUMERIC, "z-score: channel %zu has no observed value", x);
        double m = sum / (double)n;
        for (size_t r = 0; r < rows; r++) {
            double v = y[r * X + x];
            if (!isnan(v)) ss += (v - m) * (v - m);
        }
        double sd = sqrt(ss / (double)n);
        if (!(sd > 0.0) || sd <= 1e-300)
            return lrnn_fail(LRNN_ERR_NUMERIC,
                             "z-score: channel %zu is constant (value %g over %zu entries)", x, m,
                             n);
        for (size_t r = 0; r < rows; r++)
            y[r * X + x] = (y[r * X + x] - m) / sd;
        if (mean) mean[x] = m;
        if (std) std[x] = sd;
    }
    return LRNN_OK;
}
