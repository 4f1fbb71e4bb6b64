/* Smoothing along time: scipy's gaussian_filter1d (spectra, §8.2) and the Hann window of the
 * EEG protocol (§8.3), both with scipy.ndimage's "reflect" boundary. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

size_t eval_reflect(long long i, size_t n) {
    /* reflect repeats with period 2n: d c b a | a b c d | d c b a | a b ... */
    long long period = 2 * (long long)n, m = i % period;
    if (m < 0) m += period;
    return (size_t)(m < (long long)n ? m : period - 1 - m);
}

void eval_correlate_reflect(const double *x, double *out, size_t n, size_t stride, const double *w,
                            size_t r) {
    for (size_t i = 0; i < n; i++) {
        double acc = 0.0;
        if (i >= r && i + r < n) {
            const double *xi = x + (i - r) * stride;
            for (size_t j = 0; j <= 2 * r; j++)
                acc += w[j] * xi[j * stride];
        } else {
            for (size_t j = 0; j <= 2 * r; j++)
                acc +=
                    w[j] * x[eval_reflect((long long)i + (long long)j - (long long)r, n) * stride];
        }
        out[i * stride] = acc;
    }
}

size_t eval_gaussian_radius(double sigma, double truncate) {
    return (size_t)(truncate * sigma + 0.5); /* scipy: int(truncate * sd + 0.5) */
}

void eval_gaussian_weights(double sigma, size_t r, double *w) {
    double sum = 0.0;
    for (size_t j = 0; j <= 2 * r; j++) {
        double d = (double)j - (double)r;
        w[j] = exp(-0.5 / (sigma * sigma) * d * d);
        sum += w[j];
    }
    for (size_t j = 0; j <= 2 * r; j++)
        w[j] /= sum;
}

lrnn_status lrnn_smooth_gaussian(const double *in, double *out, size_t n, double sigma,
                                 double truncate) {
    if (!in || !out || n == 0) return lrnn_fail(LRNN_ERR_ARG, "gaussian smoothing: empty input");
    if (!(sigma >= 0.0) || !isfinite(sigma) || !(truncate > 0.0) || !isfinite(truncate))
        return lrnn_fail(LRNN_ERR_ARG,
                         "gaussian smoothing: sigma must be >= 0 and truncate > 0 (got %g, %g)",
                         sigma, truncate);
    if (sigma == 0.0) {
        if (out != in) memmove(out, in, n * sizeof *out);
        return LRNN_OK;
    }
    size_t r = eval_gaussian_radius(sigma, truncate);
    if (r > (size_t)1 << 24)
        return lrnn_fail(LRNN_ERR_ARG, "gaussian smoothing: sigma %g is absurdly large", sigma);
    double *w = malloc((2 * r + 1 + n) * sizeof *w);
    if (!w) return lrnn_fail(LRNN_ERR_NOMEM, "gaussian smoothing: out of memory (n = %zu)", n);
    double *copy = w + 2 * r + 1; /* the input is read while out is written */
    memcpy(copy, in, n * sizeof *copy);
    eval_gaussian_weights(sigma, r, w);
    eval_correlate_reflect(copy, out, n, 1, w, r);
    free(w);
    return LRNN_OK;
}

lrnn_status lrnn_smooth_hann(double *y, size_t B, size_t T, size_t X, size_t width) {
    lrnn_eval_data d = {B, T, X, y, "data"};
    lrnn_status s = eval_check_data(&d, "Hann smoothing");
    if (s) return s;
    if ((s = eval_check_finite(&d, "Hann smoothing"))) return s;
    if (width == 0 || width > ((size_t)1 << 24))
        return lrnn_fail(LRNN_ERR_ARG, "Hann smoothing: window width must be >= 1 (got %zu)",
                         width);
    double *w = malloc((width + T) * sizeof *w), *line = w + width;
    if (!w) return lrnn_fail(LRNN_ERR_NOMEM, "Hann smoothing: out of memory (T = %zu)", T);
    /* scipy.signal.windows.hann(width, sym=True) */
    for (size_t k = 0; k < width; k++)
        w[k] = width == 1 ? 1.0 : 0.5 - 0.5 * cos(2.0 * M_PI * (double)k / (double)(width - 1));
    /* convolve1d = correlate1d with the reversed window and origin -1 for even widths:
     * out[t] = sum_k w[k] x[t + c - k], c = floor(width / 2). */
    long long c = (long long)(width / 2);
    for (size_t b = 0; b < B; b++)
        for (size_t x = 0; x < X; x++) {
            double *col = y + b * T * X + x;
            for (size_t t = 0; t < T; t++)
                line[t] = col[t * X];
            for (size_t t = 0; t < T; t++) {
                double acc = 0.0;
                for (size_t k = 0; k < width; k++)
                    acc += w[k] * line[eval_reflect((long long)t + c - (long long)k, T)];
                col[t * X] = acc;
            }
        }
    free(w);
    return LRNN_OK;
}
