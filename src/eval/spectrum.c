/* D_H: Hellinger distance between smoothed, normalised power spectra (spec §8.2).
 *
 * The FFT is kissfft's real transform; Debian ships it in single precision only, so each
 * z-scored series is rounded to float before the transform (relative error of a spectrum bin
 * ~1e-7 log2 T, far below any difference D_H is used to resolve). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <kiss_fftr.h>

#include "internal.h"

lrnn_dh_params lrnn_dh_default_params(void) {
    return (lrnn_dh_params){.sigma = 20.0, .cutoff = 0};
}

lrnn_status lrnn_dh_params_check(const lrnn_dh_params *p) {
    if (!p) return lrnn_fail(LRNN_ERR_ARG, "D_H: no parameters");
    if (!(p->sigma >= 0.0) || !isfinite(p->sigma) || p->sigma > 1e6)
        return lrnn_fail(LRNN_ERR_ARG, "D_H: smoothing sigma must be in [0, 1e6] (got %g)",
                         p->sigma);
    return LRNN_OK;
}

size_t lrnn_spectrum_bins(size_t T) {
    return (T - T % 2) / 2 + 1;
}

lrnn_status lrnn_spectrum_compute(const lrnn_eval_data *d, double sigma, double *out) {
    lrnn_status s = eval_check_data(d, "power spectrum");
    if (s) return s;
    if (!out) return lrnn_fail(LRNN_ERR_ARG, "power spectrum: no output buffer");
    if (!(sigma >= 0.0) || !isfinite(sigma))
        return lrnn_fail(LRNN_ERR_ARG, "power spectrum: sigma must be >= 0 (got %g)", sigma);
    /* the reference drops the last sample of odd-length series so that rfft has T'/2 + 1 bins */
    size_t T = d->T - d->T % 2, X = d->X, F = lrnn_spectrum_bins(d->T);
    if (T < 2 || T > (size_t)1 << 30)
        return lrnn_fail(LRNN_ERR_SHAPE,
                         "power spectrum: %s needs 2 to 2^30 steps per trial (has %zu)",
                         eval_name(d), d->T);
    size_t r = sigma > 0.0 ? eval_gaussian_radius(sigma, 4.0) : 0;
    kiss_fftr_cfg cfg = kiss_fftr_alloc((int)T, 0, NULL, NULL);
    /* workspace: series (float), transform, spectrum, smoothed spectrum, kernel, counts */
    float *series = malloc(T * sizeof *series);
    kiss_fft_cpx *freq = malloc(F * sizeof *freq);
    double *power = malloc((2 * F + 2 * r + 1) * sizeof *power), *smooth = power + F,
           *w = smooth + F;
    size_t *count = calloc(X, sizeof *count);
    if (!cfg || !series || !freq || !power || !count) {
        s = lrnn_fail(LRNN_ERR_NOMEM, "power spectrum: out of memory (T = %zu, X = %zu)", T, X);
        goto done;
    }
    if (r) eval_gaussian_weights(sigma, r, w);
    memset(out, 0, X * F * sizeof *out);
    for (size_t b = 0; b < d->B; b++)
        for (size_t x = 0; x < X; x++) {
            const double *col = d->y + b * d->T * X + x;
            /* z-score over time (ddof 0); a series with NaN or no variance is skipped, as the
             * reference's nanmean skips its NaN spectrum. The moments use all d->T steps: the
             * reference z-scores before it drops the odd last sample. */
            double mean = 0.0, ss = 0.0;
            int ok = 1;
            for (size_t t = 0; t < d->T && ok; t++)
                ok = isfinite(col[t * X]), mean += col[t * X];
            if (!ok) continue;
            mean /= (double)d->T;
            for (size_t t = 0; t < d->T; t++)
                ss += (col[t * X] - mean) * (col[t * X] - mean);
            double sd = sqrt(ss / (double)d->T);
            if (!(sd > 1e-12 * (fabs(mean) + 1e-300))) continue;
            for (size_t t = 0; t < T; t++)
                series[t] = (float)((col[t * X] - mean) / sd);
            kiss_fftr(cfg, series, freq);
            /* |F|^2; the reference's 2 / len factor and "ortho" scaling are constants that the
             * normalisation below removes */
            for (size_t f = 0; f < F; f++)
                power[f] = (double)freq[f].r * freq[f].r + (double)freq[f].i * freq[f].i;
            const double *p = power;
            if (r) {
                eval_correlate_reflect(power, smooth, F, 1, w, r);
                p = smooth;
            }
            double sum = 0.0;
            for (size_t f = 0; f < F; f++)
                sum += p[f] > 0.0 ? p[f] : 0.0;
            if (!(sum > 0.0)) continue;
            /* normalised exactly (the reference adds 1e-8 to the sum: a relative 1e-8 / T) */
            double *o = out + x * F;
            for (size_t f = 0; f < F; f++)
                o[f] += (p[f] > 0.0 ? p[f] : 0.0) / sum;
            count[x]++;
        }
    for (size_t x = 0; x < X; x++)
        for (size_t f = 0; f < F; f++)
            out[x * F + f] = count[x] ? out[x * F + f] / (double)count[x] : NAN;
done:
    free(series), free(freq), free(power), free(count);
    kiss_fftr_free(cfg);
    return s;
}

lrnn_status lrnn_dh_compute(const lrnn_eval_data *real, const lrnn_eval_data *gen,
                            const lrnn_dh_params *p, double *dh, double *per_channel) {
    lrnn_status s = lrnn_dh_params_check(p);
    if (s) return s;
    if ((s = eval_check_data(real, "D_H")) || (s = eval_check_data(gen, "D_H"))) return s;
    if (!dh) return lrnn_fail(LRNN_ERR_ARG, "D_H: no output");
    if (real->X != gen->X || real->T != gen->T)
        return lrnn_fail(LRNN_ERR_SHAPE,
                         "D_H: %s (%zu steps x %zu channels) and %s (%zu steps x %zu channels) "
                         "need the same number of steps and channels",
                         eval_name(real), real->T, real->X, eval_name(gen), gen->T, gen->X);
    size_t X = real->X, F = lrnn_spectrum_bins(real->T);
    /* §8.2 step 3, Python slicing P[:cutoff] with 0 meaning all */
    size_t keep = F;
    if (p->cutoff > 0 && (size_t)p->cutoff < F) keep = (size_t)p->cutoff;
    if (p->cutoff < 0) keep = (size_t)(-p->cutoff) < F ? F - (size_t)(-p->cutoff) : 0;
    if (keep == 0)
        return lrnn_fail(LRNN_ERR_ARG, "D_H: cutoff %ld keeps no frequency bin of %zu", p->cutoff,
                         F);
    double *ps = malloc(2 * X * F * sizeof *ps), *pg = ps + X * F;
    if (!ps) return lrnn_fail(LRNN_ERR_NOMEM, "D_H: out of memory (%zu x %zu spectra)", X, F);
    if ((s = lrnn_spectrum_compute(real, p->sigma, ps)) ||
        (s = lrnn_spectrum_compute(gen, p->sigma, pg)))
        goto done;
    double total = 0.0;
    for (size_t x = 0; x < X && !s; x++) {
        const double *a = ps + x * F, *b = pg + x * F;
        double sa = 0.0, sb = 0.0, h = 0.0;
        for (size_t f = 0; f < keep; f++)
            sa += a[f], sb += b[f];
        if (isnan(sa) || isnan(sb)) {
            h = NAN;
        } else if (!(sa > 0.0) || !(sb > 0.0)) {
            s = lrnn_fail(LRNN_ERR_ARG,
                          "D_H: channel %zu has no power in the first %zu bins (cutoff %ld)", x,
                          keep, p->cutoff);
            break;
        } else {
            for (size_t f = 0; f < keep; f++) {
                double diff = sqrt(b[f] / sb) - sqrt(a[f] / sa);
                h += diff * diff;
            }
            h = sqrt(0.5 * h); /* (1/sqrt 2) ||sqrt P_gen - sqrt P_real|| */
        }
        if (per_channel) per_channel[x] = h;
        total += h;
    }
    if (!s) *dh = total / (double)X;
done:
    free(ps);
    return s;
}
