/* LINT regression fits (spec lint_method.md section 3.3): RECONSTRUCTED methods. The reference
 * repository has no code for them, only results ("linear regression", "non-linear regression"
 * on a poster and the "nlin reg" curves of section 7.2); the equations below are the spec's
 * reconstruction, not a port.
 *
 * One-step-ahead, teacher-forced least squares on the discretised dynamics of section 1.1:
 * observed states x_t (or rates r_t, turned into x_t = artanh(r_t)) and inputs u_t give targets
 *
 *   z_t = (x_{t+1} - (1 - alpha) x_t) / alpha  ~  J f(x_t) + W_in^T u_t      (noise: sigma
 * xi/alpha)
 *
 * with features f = phi = tanh (NLR, "non-linear regression") or f = identity (LR, "linear
 * regression": the network is treated as linear). Over all trials and steps, F = [f(x_t)]
 * (M x N), U = [u_t] (M x U), Z = [z_t] (M x N), M = trials T:
 *   1. partial out the inputs: P_U = I - U (U^T U)^+ U^T, F~ = P_U F, Z~ = P_U Z;
 *   2. OLS with optional ridge: B^ = (F~^T F~ + lambda I)^{-1} F~^T Z~ (N x N, B^ = J^T);
 *   3. rank R, either
 *      RRR (reduced-rank regression): the fitted values F~ B^ = Q S P^T, B_R = B^ P_R P_R^T,
 *      OLS + truncated SVD: B_R^T = the rank-R truncation of J^ = B^^T;
 *   4. W_in = (U^T U)^+ U^T (Z - F B_R);
 *   5. m n^T / N = B_R^T, balanced as m = U~ sqrt(S~) sqrt(N), n = V~ sqrt(S~) sqrt(N) (the SVD
 *      reparametrisation of section 1.1).
 * The N x N normal equations are inherent to these methods: F^T F, F^T Z and B^ are N x N
 * (accumulated over chunks of rows, so the M x N matrices are never held); only the rank-R
 * factors m, n (N x R) are kept in the fitted network. Cost: about 3 M N^2 flops for the Gram
 * matrices, O(N^3) for the solve and the rank reduction.
 *
 * The result is a low-rank lrnn_lint_rnn with the identity readout of lrnn_lint_student_config
 * (psi = tanh for rates, identity for states), phi = tanh (NLR) or identity (LR), si = 1, b = 0,
 * h0 = the mean observed x_0, ready for lrnn_lint_simulate (free-running evaluation, section
 * 3.3: the one-step fit can be excellent while the simulated network drifts away). */
#ifndef LRNN_LINT_REGRESS_H
#define LRNN_LINT_REGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lrnn/lint.h"
#include "lrnn/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum lrnn_lint_regress_features {
    LRNN_LINT_REGRESS_NLR, /* f(x) = tanh(x): J phi(x_t) */
    LRNN_LINT_REGRESS_LR,  /* f(x) = x: linear network */
} lrnn_lint_regress_features;

typedef enum lrnn_lint_regress_rank {
    LRNN_LINT_REGRESS_RRR,       /* reduced-rank regression (step 3, first variant) */
    LRNN_LINT_REGRESS_OLS_TRUNC, /* full OLS, then truncated SVD of J^ */
} lrnn_lint_regress_rank;

const char *lrnn_lint_regress_features_name(lrnn_lint_regress_features v); /* "nlr", "lr" */
const char *lrnn_lint_regress_rank_name(lrnn_lint_regress_rank v);         /* "rrr", "ols" */
lrnn_status lrnn_lint_regress_features_parse(const char *s, lrnn_lint_regress_features *out);
lrnn_status lrnn_lint_regress_rank_parse(const char *s, lrnn_lint_regress_rank *out);

/* Observed trajectories: states x_0..x_T of every trial and the inputs u_0..u_{T-1} that drive
 * x_t -> x_{t+1} (the layouts of lrnn_lint_simulate). Borrowed, never copied. */
typedef struct lrnn_lint_regress_data {
    size_t trials, T, N, U;
    const double *states; /* trials x (T + 1) x N */
    const double *inputs; /* trials x T x U (NULL when U = 0) */
} lrnn_lint_regress_data;

/* Rates to states for the regression: x = artanh(r) with r clipped to [-(1 - eps), 1 - eps]
 * first, so saturated rates (|r| = 1 in floating point, |x| > ~19) map to a large finite
 * current artanh(1 - eps) ~ (1/2) ln(2 / eps) instead of Inf (eps = 1e-6: |x| <= 7.25). eps in
 * (0, 1). Non-finite or |r| > 1 rates fail (naming the index). *clipped (may be NULL) gets the
 * number of values clipped. in and out may alias. */
lrnn_status lrnn_lint_states_from_rates(const double *rates, size_t n, double eps, double *states,
                                        size_t *clipped);

typedef struct lrnn_lint_regress_params {
    lrnn_lint_regress_features features;
    double ridge; /* lambda >= 0 on B^ (step 2); 0: plain least squares */
    double alpha; /* dt / tau of the data, 0.2 */
} lrnn_lint_regress_params;

/* NLR, no ridge, alpha 0.2. */
lrnn_lint_regress_params lrnn_lint_regress_default_params(void);

/* The rank-independent part of a regression fit (Gram matrices and the OLS solution), from
 * which networks of any rank are extracted. */
typedef struct lrnn_lint_regress lrnn_lint_regress;

/* Accumulate the Gram matrices over d and solve step 2. Fails on bad shapes (trials, T or N
 * < 1, inputs NULL with U > 0), non-finite states / inputs (naming trial, step and unit) and
 * bad params (ridge < 0 or not finite, alpha outside (0, 1]). The inverses are pseudo-inverses
 * from symmetric eigendecompositions: eigenvalues of F~^T F~ + lambda I (or U^T U) below 1e-12
 * times the largest count as zero, so features that do not span R^N (e.g. noise-free
 * trajectories from one initial state) give the minimum-norm solution, and
 * lrnn_lint_regress_rank_deficient says so. */
lrnn_status lrnn_lint_regress_create(const lrnn_lint_regress_params *p,
                                     const lrnn_lint_regress_data *d, lrnn_lint_regress **out);
void lrnn_lint_regress_free(lrnn_lint_regress *rg);

/* true when the min-norm (pseudo-inverse) solution was needed. */
bool lrnn_lint_regress_rank_deficient(const lrnn_lint_regress *rg);
/* Seconds spent in lrnn_lint_regress_create (Gram matrices and the OLS solve). */
double lrnn_lint_regress_seconds(const lrnn_lint_regress *rg);

/* Options of the network built from a regression. */
typedef struct lrnn_lint_regress_net_params {
    int rank;                      /* 1 <= R <= N */
    lrnn_lint_regress_rank method; /* RRR or OLS + truncated SVD */
    double noise_std;              /* sigma of the returned network */
    lrnn_lint_target readout;      /* psi: tanh (rates) or identity (states) */
} lrnn_lint_regress_net_params;

/* The rank-R network of steps 3-5 (created here; lrnn_lint_free). r2_onestep (may be NULL)
 * gets the one-step R^2 of the targets z on the regression data, 1 - |Z - F B_R - U W|^2 /
 * |Z - mean Z|^2 (global mean), computed from the Gram matrices. rg caches the eigen / singular
 * vectors of step 3 on first use, so a sweep over ranks pays for them once. */
lrnn_status lrnn_lint_regress_network(lrnn_lint_regress *rg, const lrnn_lint_regress_net_params *p,
                                      lrnn_lint_rnn **out, double *r2_onestep);

#ifdef __cplusplus
}
#endif
#endif
