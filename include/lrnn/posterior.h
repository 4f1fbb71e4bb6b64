/* Posterior latents of a model given data (spec smc_rnn_method.md §3.7, §6; docs/posterior.md).
 *
 * The particle filter of lrnn/smc.h runs once per batch and records its particles z_t^k,
 * normalised log weights log W_t^k and ancestors. From them:
 *   filter    E[z_t | y_{0:t}] ~ sum_k W_t^k z_t^k, and the same average of the observation
 *             mean yhat(z_t^k, v_t) (rates for Poisson models)
 *   paths     ancestral paths: draw k ~ W_{T-1}, follow the ancestors back (genealogy)
 *   smoother  forward filtering-backward smoothing over ALL particle pairs (O(K^2) per step)
 *             with the full-covariance transition density
 *                 f(z_{t+1} | z_t) = N(z_{t+1}; mu(z_t, v_t), Sigma_z)
 *             where the transition INTO step t + 1 uses the input v_t of step t (spec 1.1; the
 *             reference's predict_NLB uses v_{t-1}, the §3.7 [quirk], and pairs particle k
 *             with smoothed particle k only). Marginal smoothing weights (FFBSm)
 *                 w_{t|T}^k = W_t^k sum_j w_{t+1|T}^j f(z_{t+1}^j | z_t^k)
 *                                    / sum_l W_t^l f(z_{t+1}^j | z_t^l)
 *             give the smoothed means (the Rao-Blackwellised average of backward-simulated
 *             trajectories); backward simulation (FFBSi) draws S whole trajectories:
 *                 j_{T-1} ~ W_{T-1},  j_t ~ W_t^k f(z_{t+1}^{j_{t+1}} | z_t^k)
 *             All in log space.
 *   predictor the n-step-ahead prediction of y_t from the filter at t - n: every particle is
 *             run n steps without process noise and the observation means are averaged with
 *             the weights W_{t-n}.
 * Variable-length trials (batch->lengths) are handled per trial; outputs past a trial's end
 * are NaN. Masked entries are simply not seen by the filter (to hold channels out, mask them).
 * With the encoder proposal and an acausal encoder, the "filter" has seen future data. */
#ifndef LRNN_POSTERIOR_H
#define LRNN_POSTERIOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lrnn/model.h"
#include "lrnn/sample.h"
#include "lrnn/smc.h"
#include "lrnn/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lrnn_posterior_params {
    lrnn_smc_params smc; /* particles K, proposal, resampling (defaults: K = 64) */
    bool smooth;         /* run the K^2 backward pass */
    int samples;         /* S paths per trial: backward trajectories when smooth, else
                            ancestral paths of the filter (0: none) */
    int predict_steps;   /* n >= 1: fill `predicted` (0: off) */
    int threads;         /* <= 0: OpenMP's default */
} lrnn_posterior_params;

lrnn_posterior_params lrnn_posterior_default_params(void);
lrnn_status lrnn_posterior_params_check(const lrnn_posterior_params *p, const lrnn_model_config *c);

/* Caller-owned outputs (any may be NULL; the smooth ones need params.smooth, samples needs
 * params.samples > 0, predicted needs params.predict_steps > 0). Shapes for a batch B x T:
 *   latents_filter, latents_smooth   B x T x R
 *   rates_filter, rates_smooth       B x T x X   (posterior mean of the observation mean)
 *   samples                          B x S x T x R
 *   predicted                        B x T x X   (NaN for t < n) */
typedef struct lrnn_posterior_output {
    double *latents_filter, *rates_filter;
    double *latents_smooth, *rates_smooth;
    double *samples;
    double *predicted;
} lrnn_posterior_output;

typedef struct lrnn_posterior lrnn_posterior;

/* Workspace for batches of up to max_B trials x max_T steps (allocated once). */
lrnn_status lrnn_posterior_create(const lrnn_model *model, const lrnn_posterior_params *p,
                                  size_t max_B, size_t max_T, lrnn_posterior **out);
void lrnn_posterior_free(lrnn_posterior *post);

/* Filter (and smooth) one batch. Random numbers come from streams keyed by (seed, draw,
 * trial), so results do not depend on the thread count. `bound` (may be NULL) receives the
 * filter's per-step bound. */
lrnn_status lrnn_posterior_run(lrnn_posterior *post, const lrnn_model *model,
                               const lrnn_batch *batch, uint64_t seed, uint64_t draw,
                               lrnn_posterior_output *out, double *bound);

/* Generation from given initial states (spec §6 step 3 with a "tensor passed directly"):
 * z0 (p->trials x R) starts every trial, p->burn_in steps (zero input) are simulated and
 * discarded, then p->steps are kept, with process noise and observation draws as in
 * lrnn_model_sample (p->init is ignored). Streams keyed by (p->seed, trial). */
lrnn_status lrnn_posterior_generate(const lrnn_model *model, const double *z0,
                                    const lrnn_sample_params *p, lrnn_sample_output *out);

#ifdef __cplusplus
}
#endif
#endif
