/* Bits per spike (spec §8.5, nlb_tools' definition):
 *     bps = (LL_model - LL_null) / (n_spikes ln 2),  LL = sum y log r - r - lgamma(y + 1),
 * with the null model predicting each channel's mean count over the evaluated trials and
 * bins. lgamma(y + 1) cancels in the difference and is not computed. */
#include <math.h>
#include <stdlib.h>

#include "internal.h"

/* nlb_tools replaces zero rates by 1e-9 before taking logs */
static double floor_rate(double r) {
    return r > 0.0 ? r : 1e-9;
}

lrnn_status lrnn_bps_compute(const lrnn_eval_data *counts, const double *rates,
                             const size_t *channels, size_t n_channels, size_t t_begin,
                             size_t t_end, double *bps) {
    lrnn_status s = eval_check_data(counts, "bits per spike");
    if (s) return s;
    if (!rates || !bps) return lrnn_fail(LRNN_ERR_ARG, "bits per spike: no rates or output");
    size_t B = counts->B, T = counts->T, X = counts->X;
    if (t_end == 0) t_end = T;
    if (t_begin >= t_end || t_end > T)
        return lrnn_fail(LRNN_ERR_ARG, "bits per spike: bins [%zu, %zu) are not inside 0..%zu",
                         t_begin, t_end, T);
    if (!channels) n_channels = X;
    if (n_channels == 0) return lrnn_fail(LRNN_ERR_ARG, "bits per spike: no channels selected");
    for (size_t c = 0; channels && c < n_channels; c++)
        if (channels[c] >= X)
            return lrnn_fail(LRNN_ERR_ARG, "bits per spike: channel %zu out of range (X = %zu)",
                             channels[c], X);
    double total_ll = 0.0, spikes = 0.0;
    for (size_t c = 0; c < n_channels; c++) {
        size_t x = channels ? channels[c] : c;
        double sum = 0.0;
        size_t n = 0;
        for (size_t b = 0; b < B; b++)
            for (size_t t = t_begin; t < t_end; t++) {
                size_t i = (b * T + t) * X + x;
                double y = counts->y[i], r = rates[i];
                if (isnan(y)) continue;
                if (!isfinite(y) || y < 0.0)
                    return lrnn_fail(LRNN_ERR_NUMERIC,
                                     "bits per spike: %s has count %g at trial %zu, bin %zu, "
                                     "channel %zu",
                                     eval_name(counts), y, b, t, x);
                if (!isfinite(r) || r < 0.0)
                    return lrnn_fail(LRNN_ERR_NUMERIC,
                                     "bits per spike: predicted rate %g at trial %zu, bin %zu, "
                                     "channel %zu (must be finite, >= 0)",
                                     r, b, t, x);
                sum += y, n++;
            }
        if (n == 0) continue; /* nothing observed on this channel */
        double null = floor_rate(sum / (double)n), lnull = log(null);
        /* LL_model - LL_null for this channel: sum y (log r - log null) - (r - null) */
        double ll = 0.0;
        for (size_t b = 0; b < B; b++)
            for (size_t t = t_begin; t < t_end; t++) {
                size_t i = (b * T + t) * X + x;
                double y = counts->y[i];
                if (isnan(y)) continue;
                double r = floor_rate(rates[i]);
                ll += y * (log(r) - lnull) - (r - null);
            }
        total_ll += ll;
        spikes += sum;
    }
    if (!(spikes > 0.0))
        return lrnn_fail(LRNN_ERR_NUMERIC,
                         "bits per spike: %s has no spikes on the evaluated channels and bins",
                         eval_name(counts));
    *bps = total_ll / (spikes * log(2.0));
    return LRNN_OK;
}
