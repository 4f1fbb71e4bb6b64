/* Populations of LINT networks (spec lint_method.md sections 5.3 and 7.6; user guide
 * docs/clustering.md, "LINT populations").
 *
 * A rank-R network gives each unit i a point of loadings
 *
 *     x_i = [m_i1..m_iR, n_i1..n_iR, W_in[1, i]..W_in[U, i], w_i1..w_iO]
 *
 * (W_in = diag(si) wi, the effective input vectors; w the readout in the low-rank convention
 * y = psi(x)^T w / N, so that every loading is O(1) whatever the network's 1/N flags). The
 * populations are clusters of these points (a Gaussian mixture, include/lrnn/gmm.h), or the
 * hand-made populations of the CDM analysis (the units with the largest |I^ctx|). Their role is
 * probed by silencing them (inactivation), by their gains 1 - tanh^2(x_i) per context, and by
 * a support network whose units are drawn from the per-population Gaussian of the loadings.
 *
 * Silencing (lrnn_lint_silence) keeps N and every 1/N factor. A silenced unit's rate reaches
 * no other unit and not the readout, whatever its state and noise:
 *   low rank:  n_i = 0 (kappa = n^T r / N no longer sees r_i) and wo_i = 0;
 *   full rank: wrec[:, i] = 0 (column i carries r_i to every unit) and wo_i = 0;
 * and, as in the reference's monkey notebooks, the unit receives nothing either (m_i = 0 or
 * wrec[i, :] = 0, W_in[:, i] = 0, h0_i = 0), so with sigma = 0 its state stays exactly 0.
 * The reference's inactivate_pop removes the units instead, which turns 1/N into 1/(N - |pop|)
 * and rescales J and the readout of a low-rank network ([quirk]-like, spec 5.3); here the
 * outputs equal those of the network built without the units but with the same 1/N. */
#ifndef LRNN_LINT_POPULATIONS_H
#define LRNN_LINT_POPULATIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lrnn/gmm.h"
#include "lrnn/lint.h"
#include "lrnn/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- loadings ---- */

/* A readout in the low-rank convention y_t = psi(x_{t+1})^T w / N (w N x O, owned). */
typedef struct lrnn_lint_readout {
    size_t N, O;
    lrnn_lint_act psi;
    double *w;
} lrnn_lint_readout;

/* The dense readout of rnn in that convention: w = wo diag(so) (times N when the network has
 * no 1/N in its readout, e.g. a full-rank teacher), psi the network's. Fails for an identity
 * readout. Free with lrnn_lint_readout_free. */
lrnn_status lrnn_lint_readout_of(const lrnn_lint_rnn *rnn, lrnn_lint_readout *out);
void lrnn_lint_readout_free(lrnn_lint_readout *r);

/* Which loadings form the feature matrix; columns in the order m, n, wi, wo. */
typedef struct lrnn_lint_features {
    bool m, n, wi, wo;
} lrnn_lint_features;

/* "m,n,wi,wo" or any non-empty comma-separated subset (also "I" for wi, "w" for wo). */
lrnn_status lrnn_lint_features_parse(const char *text, lrnn_lint_features *out);
/* "m,n,wi,wo" style text of f into buf. */
void lrnn_lint_features_text(lrnn_lint_features f, char *buf, size_t cap);

/* Per-unit loadings as an N x d matrix x (row i = unit i), d = R [m] + R [n] + U [wi] + O [wo].
 * m and n are those after lrnn_lint_svd_reparam of a copy (spec 5.3: orthogonal columns, the
 * network itself unchanged), so m_r, n_r are the r-th singular directions. ro gives the
 * readout (NULL: the network's own; needed for a fit with the identity readout, whose task
 * readout is the teacher's). m and n need a low-rank network. *d (may be NULL) gets d; x may be
 * NULL to ask only for d. x is allocated by the caller. */
lrnn_status lrnn_lint_loadings(const lrnn_lint_rnn *rnn, lrnn_lint_features f,
                               const lrnn_lint_readout *ro, double *x, int *d);

/* ---- populations ---- */

/* Gaussian-mixture populations of n points x (n x d): lrnn_gmm_fit with gp, the labels
 * renumbered by decreasing population size (ties: the population of the lowest unit first), so
 * label 0 is the largest population. counts (gp->components, may be NULL) get the sizes. With
 * sp != NULL, the stability of the labels (lrnn_gmm_stability against the fit's labels): mean
 * and sd of the adjusted Rand index (may be NULL). */
lrnn_status lrnn_lint_cluster(size_t n, int d, const double *x, const lrnn_gmm_params *gp,
                              const lrnn_gmm_stability_params *sp, int *labels, size_t *counts,
                              double *stability_mean, double *stability_sd);

/* Hand-made populations (spec 5.3, CDM analysis): labels[i] = 0 for every unit, then for
 * p = 0..P-1 in order the k units with the largest |v_p[i]| (v P x N; ties to the lower index)
 * get label p + 1; a later p overwrites an earlier one (the second wins on overlap). */
lrnn_status lrnn_lint_top_k_populations(size_t N, size_t P, const double *v, size_t k, int *labels);
/* The same on the effective input vectors W_in[channels[p], :] of rnn: e.g. channels {2, 3}
 * of a CDM network (the context inputs I^ctx1, I^ctx2) and k = 100. */
lrnn_status lrnn_lint_populations_by_input(const lrnn_lint_rnn *rnn, size_t P, const int *channels,
                                           size_t k, int *labels);

/* ---- inactivation ---- */

/* Silence, in place, the units i with silenced[i] (N flags), as described at the top. Works for
 * low- and full-rank networks, with a dense or an identity readout (the identity readout's
 * channel i keeps reading the unit's own state, which is 0 with sigma = 0). Touches O(N (R + U
 * + O)) numbers for a low-rank network (O(N^2) for wrec). */
lrnn_status lrnn_lint_silence(lrnn_lint_rnn *rnn, const bool *silenced);
/* Silence the units with labels[i] == population (N labels). *count (may be NULL) gets how many
 * were silenced. */
lrnn_status lrnn_lint_silence_population(lrnn_lint_rnn *rnn, const int *labels, int population,
                                         size_t *count);

/* ---- gains and rates ---- */

/* Mean gain phi'(x_t + b) (tanh: 1 - tanh^2) and mean rate phi(x_t + b) per population and
 * context (spec 5.3) over states (trials x (T+1) x N, as lrnn_lint_simulate writes them): the
 * average runs over all T + 1 states of the whole trial (x_0 included, with no bias as in the
 * forward pass), all trials of the context and all units of the population. context (trials,
 * values 0..C-1; NULL: all trials in context 0), labels (N, values 0..P-1; negative: in no
 * population). gains and rates (P x C, rates may be NULL) are NaN for an empty cell. */
lrnn_status lrnn_lint_population_gains(const lrnn_lint_rnn *rnn, const double *states,
                                       size_t trials, size_t T, const int *context, int C,
                                       const int *labels, int P, double *gains, double *rates);

/* ---- support networks (spec 5.3 to_support_net) ---- */

typedef struct lrnn_lint_support_params {
    int units;       /* N' >= 1 units of the sampled network (0: the source's N) */
    bool take_means; /* keep each population's mean loading (else zero means, as the
                        reference's default) */
    uint64_t seed;   /* lrnn_gmm_sample's seed */
} lrnn_lint_support_params;

/* N' = N, take_means, seed 1. */
lrnn_lint_support_params lrnn_lint_support_default_params(void);

/* A network of N' units drawn from the populations of a low-rank rnn: per population p (labels
 * N values 0..P-1, every unit in one), weight n_p / N, mean and covariance (unbiased; zero for
 * a single unit) of the loadings [m, n, W_in, w] (d = 2R + U + O, w from ro or the network's
 * own readout), then N' draws from that mixture (lrnn_gmm_sample) become m, n, wi (si = 1),
 * wo (so = 1) of a low-rank network with the 1/N' factors, the dense readout with ro's psi,
 * b = h0 = 0 and rnn's alpha, phi and noise. The mixture (may be NULL) is returned too (free
 * with lrnn_gmm_free). The sampled network reproduces the source's behaviour when the
 * population statistics carry the computation (mean-field limit). */
lrnn_status lrnn_lint_support_net(const lrnn_lint_rnn *rnn, const lrnn_lint_readout *ro,
                                  const int *labels, int P, const lrnn_lint_support_params *p,
                                  lrnn_lint_rnn **out, lrnn_gmm *mixture);

#ifdef __cplusplus
}
#endif
#endif
