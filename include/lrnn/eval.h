/* Evaluation metrics: how much generated data look like a recording.
 *
 * Definitions follow specs/smc_rnn_method.md §8 (docs/metrics.md is the user's page):
 *   D_stsp  state-space KL divergence, Gaussian-kernel mixtures (§8.1) or histograms
 *   D_H     power-spectrum Hellinger distance (§8.2)
 *   spike statistics (§8.4) and bits per spike (§8.5)
 * plus the preprocessing of the EEG protocol (§8.3): Hann smoothing and z-scoring.
 *
 * Data are B trials x T steps x X channels, row-major doubles (the per-step vector is
 * contiguous), as lrnn_dataset holds them. NaN marks a missing entry where a metric can skip it
 * (said per function); elsewhere NaN is an error. */
#ifndef LRNN_EVAL_H
#define LRNN_EVAL_H

#include <stddef.h>
#include <stdint.h>

#include "lrnn/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A read-only view of B x T x X doubles; `name` (may be NULL) is used in messages. */
typedef struct lrnn_eval_data {
    size_t B, T, X;
    const double *y;
    const char *name;
} lrnn_eval_data;

/* ---- smoothing and normalisation (smoothing.c, zscore.c) ---- */

/* scipy.ndimage.gaussian_filter1d(in, sigma, mode="reflect", truncate=truncate) on n values:
 * weights exp(-j^2 / (2 sigma^2)) for |j| <= int(truncate sigma + 0.5), normalised to sum 1;
 * reflect = half-sample symmetric (d c b a | a b c d | d c b a), repeated when the radius
 * exceeds n. sigma = 0 copies the input. `in` and `out` may be the same buffer. */
lrnn_status lrnn_smooth_gaussian(const double *in, double *out, size_t n, double sigma,
                                 double truncate);

/* In place along time, per trial and channel (y: B x T x X): scipy.ndimage.convolve1d(x,
 * hann(width), mode="reflect") with the unnormalised symmetric Hann window
 * w_k = 0.5 - 0.5 cos(2 pi k / (width - 1)), k = 0..width-1 (zero endpoints; width 1: w = 1).
 * The reference convolved the concatenated trials; here trials never mix. NaN is an error. */
lrnn_status lrnn_smooth_hann(double *y, size_t B, size_t T, size_t X, size_t width);

/* In place, the inverse of lrnn_smooth_hann (same window and reflect boundaries) by ridge
 * regression, per trial and channel: x = argmin ||S x - y||^2 + ridge (sum w)^2 ||x||^2.
 * A component the smoothing multiplied by gain H (relative to the window sum) comes back
 * multiplied by H^2 / (H^2 + ridge): ridge 1e-3 restores what H^2 >> 1e-3 kept (below
 * ~20 Hz for width 15 at 160 Hz) and leaves out what the smoothing erased. Recovers a
 * recording distributed smoothed (the EEG of spec §9.2) for training on the raw scale.
 * Needs an odd width <= T and ridge > 0; NaN is an error. */
lrnn_status lrnn_unsmooth_hann(double *y, size_t B, size_t T, size_t X, size_t width,
                               double ridge);

/* In place: each channel minus its mean, divided by its standard deviation (ddof 0), both
 * over all trials and steps; NaN entries are skipped and stay NaN. A constant channel is an
 * error. mean/std (X each) may be NULL. */
lrnn_status lrnn_zscore_apply(double *y, size_t B, size_t T, size_t X, double *mean, double *std);

/* ---- D_stsp (dstsp.c) ---- */

typedef enum lrnn_dstsp_method {
    LRNN_DSTSP_AUTO, /* histograms when X < LRNN_DSTSP_BINS_MAX_DIMS, kernel mixtures else */
    LRNN_DSTSP_GMM,  /* Monte-Carlo KL between Gaussian-kernel mixtures (§8.1) */
    LRNN_DSTSP_BINS, /* KL between Laplace-smoothed histograms of bins^X cells */
} lrnn_dstsp_method;

enum { LRNN_DSTSP_BINS_MAX_DIMS = 6 };

lrnn_status lrnn_dstsp_method_parse(const char *text, lrnn_dstsp_method *out);
const char *lrnn_dstsp_method_name(lrnn_dstsp_method m);

typedef struct lrnn_dstsp_params {
    lrnn_dstsp_method method; /* AUTO */
    double kernel_std;        /* s of the mixture kernels (1.0; data are z-scored) */
    size_t samples;           /* Monte-Carlo draws (1000) */
    size_t max_points;        /* first rows of each input used by the mixtures (10000) */
    uint64_t seed;            /* random stream of the draws (1) */
    double time_limit;        /* seconds; stop drawing when exceeded (0: no limit) */
    size_t bins;              /* histogram bins per dimension (30) */
    double alpha;             /* Laplace smoothing added to every cell (1e-5) */
} lrnn_dstsp_params;

lrnn_dstsp_params lrnn_dstsp_default_params(void);
lrnn_status lrnn_dstsp_params_check(const lrnn_dstsp_params *p);

typedef struct lrnn_dstsp_result {
    double value;               /* estimate of KL(p_real || p_gen), nats */
    double std_err;             /* Monte-Carlo standard error (NaN for histograms) */
    lrnn_dstsp_method method;   /* GMM or BINS, the one used */
    size_t samples;             /* draws used (fewer than asked when the time limit hit) */
    size_t rows_real, rows_gen; /* complete rows used */
} lrnn_dstsp_result;

/* D_stsp = KL(p_real || p_gen) over the state space of the rows (trials and steps
 * concatenated; rows with a NaN are skipped). Mixtures: log-sum-exp, no dropped samples.
 * Histograms: cells from the real data's per-dimension range. */
lrnn_status lrnn_dstsp_compute(const lrnn_eval_data *real, const lrnn_eval_data *gen,
                               const lrnn_dstsp_params *p, lrnn_dstsp_result *out);

/* ---- D_H (spectrum.c) ---- */

typedef struct lrnn_dh_params {
    double sigma; /* Gaussian smoothing of each spectrum, in frequency bins (20; 0: none) */
    long cutoff;  /* > 0: keep the first `cutoff` bins; < 0: drop the last -cutoff (the
                     EEG protocol's -1 drops the Nyquist bin); 0: keep all (default) */
} lrnn_dh_params;

lrnn_dh_params lrnn_dh_default_params(void);
lrnn_status lrnn_dh_params_check(const lrnn_dh_params *p);

/* Frequency bins of the spectra of series of T steps: T' / 2 + 1 with T' = T rounded down
 * to even. */
size_t lrnn_spectrum_bins(size_t T);

/* Mean normalised power spectrum per channel (out: X x lrnn_spectrum_bins(T), each row sums
 * to 1): every trial's series is z-scored, |rfft|^2 taken, smoothed, clipped at 0 and
 * normalised, then the trials are averaged. Series with a NaN or zero variance are skipped;
 * a channel with none left gets a row of NaN. */
lrnn_status lrnn_spectrum_compute(const lrnn_eval_data *d, double sigma, double *out);

/* D_H = mean over channels of (1/sqrt 2) || sqrt(P_gen) - sqrt(P_real) ||_2 after the
 * cutoff and renormalisation. Both inputs need the same X and T (trials may differ).
 * per_channel (X, may be NULL) gets each H_i. NaN when a channel has no usable series. */
lrnn_status lrnn_dh_compute(const lrnn_eval_data *real, const lrnn_eval_data *gen,
                            const lrnn_dh_params *p, double *dh, double *per_channel);

/* ---- spike statistics (spikes.c) ---- */

/* Mean count per bin divided by dt (seconds per bin; 1: per bin), per channel (X); NaN
 * entries skipped. A channel with no observed bin is an error. */
lrnn_status lrnn_spikes_rates(const lrnn_eval_data *d, double dt, double *rates);

typedef struct lrnn_isi_stats {
    double mean, std, cv; /* seconds (ISIs in bins times dt); cv = std / mean */
    size_t count;         /* number of intervals */
} lrnn_isi_stats;

/* Inter-spike intervals per channel: differences of the indices of bins with >= 1 spike within
 * each trial (multi-spike bins count once), pooled over trials. Fewer than min_count intervals:
 * mean, std and cv NaN; zero std: cv NaN. NaN entries are an error. out: X entries. */
lrnn_status lrnn_spikes_isi(const lrnn_eval_data *d, double dt, size_t min_count,
                            lrnn_isi_stats *out);

/* Pearson correlations between channels over all trials and bins: the upper triangle of
 * np.corrcoef (i < j, row-major), X (X - 1) / 2 values; NaN for a constant channel. NaN
 * entries are an error. */
lrnn_status lrnn_spikes_corr(const lrnn_eval_data *d, double *corr);

/* Pearson r of two vectors over the pairs where both are finite; r = NaN (not an error) when
 * fewer than 2 pairs remain or one side is constant. */
lrnn_status lrnn_pearson(const double *a, const double *b, size_t n, double *r);

/* ---- bits per spike (bps.c) ---- */

/* Bits per spike of predicted rates (expected counts per bin, same shape as counts) on the
 * given channels (NULL: all X) and bins [t_begin, t_end) (t_end 0: T):
 *     bps = (LL_model - LL_null) / (n_spikes ln 2),
 *     LL = sum y log r - r - lgamma(y + 1)   (Poisson; rates of 0 become 1e-9, as NLB),
 * where the null model predicts each channel's mean count over the evaluated trials and bins.
 * NaN counts are skipped (masked); rates must be finite and >= 0; counts >= 0. */
lrnn_status lrnn_bps_compute(const lrnn_eval_data *counts, const double *rates,
                             const size_t *channels, size_t n_channels, size_t t_begin,
                             size_t t_end, double *bps);

#ifdef __cplusplus
}
#endif
#endif
