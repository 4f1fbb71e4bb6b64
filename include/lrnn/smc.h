/* Variational sequential Monte Carlo (spec smc_rnn_method.md section 3): the particle-filter
 * bound on log p(y) for a batch of trials and its exact gradient.
 *
 * For each trial, K particles; per step t
 *     log w_t^k = log p(y_t | z_t^k) + log p(z_t^k | z_{t-1}^{a^k}) - log q(z_t^k | z_{t-1}^{a^k}, y_t)
 *     L_t       = logsumexp_k(log W_{t-1}^k + log w_t^k) - logsumexp_k(log W_{t-1}^k)
 * with log W the carried log weights (-log K right after a resampling). sum_t L_t is the SMC
 * estimate of log p(y_{0:T-1}); the bound reported is its per-step mean, averaged over trials.
 * Ancestor indices are constants for the gradient (the usual biased VSMC gradient). */
#ifndef LRNN_SMC_H
#define LRNN_SMC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lrnn/model.h"
#include "lrnn/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum lrnn_proposal {
    LRNN_PROPOSAL_BOOTSTRAP, /* z_t ~ p(z_t | z_{t-1}) with the exact (full) transition noise */
    LRNN_PROPOSAL_OPTIMAL,   /* z_t ~ p(z_t | z_{t-1}, y_t), linear-Gaussian observations */
    LRNN_PROPOSAL_ENCODER,   /* product of the transition and the model's CNN encoder (spec 3.5):
                                any observation model; diagonal transition noise */
} lrnn_proposal;

typedef enum lrnn_opt_weights {
    LRNN_WEIGHTS_ANALYTIC, /* w = N(y_t; H mu_p + b + c_t, H Sigma H^T + D): lower variance */
    LRNN_WEIGHTS_RATIO,    /* w = p(y|z) p(z|z_prev) / q(z|z_prev, y) at the sample */
} lrnn_opt_weights;

typedef enum lrnn_precision { LRNN_PRECISION_DOUBLE, LRNN_PRECISION_SINGLE } lrnn_precision;
typedef enum lrnn_resample { LRNN_RESAMPLE_SYSTEMATIC, LRNN_RESAMPLE_MULTINOMIAL } lrnn_resample;

typedef struct lrnn_smc_params {
    int particles; /* K */
    lrnn_proposal proposal;
    lrnn_opt_weights weights;
    lrnn_resample resample;
    /* Resample when ESS < threshold * K; 1 (default) resamples at every step as the
     * reference does. Without resampling the weights are carried to the next step. */
    double ess_threshold;
    /* Forward-prediction tail (spec 3.5): the last t_forward steps of each window are not
     * shown to the proposal (nor to the encoder); their particles follow the transition
     * (bootstrap steps) without resampling, so the tail's terms add up to the predictive
     * log p(y_tail | y_before) estimate. 0: none. */
    int t_forward;
    /* Arithmetic of the CNN encoder (encoder proposal; lrnn_encoder_set_single). Double, the
     * default here, makes the bound's gradient exact to double rounding (the finite-difference
     * checks run on it); single runs the encoder in float32 as the PyTorch reference does,
     * about 2x faster, its outputs within ~1e-6 relative of double. lrnn_fit_default_params
     * picks single. */
    lrnn_precision encoder_precision;
} lrnn_smc_params;

lrnn_smc_params lrnn_smc_default_params(void);
lrnn_status lrnn_smc_params_check(const lrnn_smc_params *p, const lrnn_model_config *c);
const char *lrnn_proposal_name(lrnn_proposal v);
lrnn_status lrnn_proposal_parse(const char *s, lrnn_proposal *out);
const char *lrnn_opt_weights_name(lrnn_opt_weights v);
lrnn_status lrnn_opt_weights_parse(const char *s, lrnn_opt_weights *out);
const char *lrnn_resample_name(lrnn_resample v);
lrnn_status lrnn_resample_parse(const char *s, lrnn_resample *out);
const char *lrnn_precision_name(lrnn_precision v);
lrnn_status lrnn_precision_parse(const char *s, lrnn_precision *out);

/* A batch of windows: B trials x T steps, row-major, views into caller memory. */
typedef struct lrnn_batch {
    size_t B, T, X, U;
    const double *y;     /* B x T x X (masked entries ignored) */
    const uint8_t *mask; /* B x T x X, 1 = observed; NULL = all observed */
    const double *u;     /* B x T x U raw inputs, NULL when U == 0 */
    /* Variable-length trials: trial b has lengths[b] (1..T) steps, the rest is padding that
     * never enters the bound; NULL: every trial has T steps. */
    const size_t *lengths;
} lrnn_batch;

typedef struct lrnn_smc lrnn_smc;

/* Workspace for batches of up to max_T steps, sized once (no allocation per call).
 * `threads` <= 0: OpenMP's default. */
lrnn_status lrnn_smc_create(const lrnn_model *model, const lrnn_smc_params *p, size_t max_T,
                            int threads, lrnn_smc **out);
void lrnn_smc_free(lrnn_smc *smc);

/* Replay mode: the next calls reuse the noise and ancestor indices of the last call instead of
 * drawing new ones, which makes the bound a deterministic, differentiable function of the
 * parameters (used by the gradient checks). The batch must keep its shape. */
void lrnn_smc_set_replay(lrnn_smc *smc, bool replay);

/* What the forward filter saw, for posterior summaries and smoothing: per trial b, step t and
 * particle k (caller-owned arrays of at least B x T x K (x R) entries; steps past a trial's
 * length are left unset).
 *   z      B x T x K x R  the particles z_t^k drawn at step t (before the resampling that picks
 *                         the predecessors of step t + 1)
 *   logw   B x T x K      their normalised log weights (log W_t + log w_t - lse): the filtering
 *                         distribution at t is sum_k exp(logw) delta(z_t^k)
 *   ancestors B x T x K   ancestors[t][k]: the index at step t - 1 of particle k's predecessor
 *                         (t = 0: k) */
typedef struct lrnn_smc_record {
    double *z, *logw;
    int *ancestors;
} lrnn_smc_record;

/* Record into `rec` during the following lrnn_smc_bound calls (NULL: stop recording). */
void lrnn_smc_set_record(lrnn_smc *smc, const lrnn_smc_record *rec);

/* Bound of the batch per step: sum_b sum_t L_t / sum_b T_b, T_b = T or the trial's length
 * (with equal lengths, the mean over trials of (1/T) sum_t L_t). Random numbers come from
 * streams keyed by (seed, draw, trial), so the result is identical for any thread count. When
 * `grad` is not NULL it receives d bound / d theta (layout of the model's parameter block;
 * entries of non-trainable parameters are filled too). `per_trial` (B, may be NULL) gets each
 * trial's per-step bound (1/T_b) sum_t L_t. */
lrnn_status lrnn_smc_bound(lrnn_smc *smc, const lrnn_model *model, const lrnn_batch *batch,
                           uint64_t seed, uint64_t draw, double *bound, double *grad,
                           double *per_trial);

#ifdef __cplusplus
}
#endif
#endif
