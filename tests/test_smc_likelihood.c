/* The FORWARD pass of the SMC bound against an exact answer.
 *
 * With the identity activation the model is linear-Gaussian:
 *     z_0 ~ N(mu_0, Sigma_z0),  mu_0 = z_init + P_m(W_u v_0),  P_m = (m^T m)^-1 m^T
 *     z_t = F z_{t-1} + f_t + eps_t,   eps ~ N(0, Sigma_z)
 *           F = diag(a) + n m,  f_t = n (W_u v_{t-1} - h)
 *     y_t = H z_t + b + c_t + noise,   noise ~ N(0, D)
 * (affine from z: H = B^T, c = 0; affine from [v; z]: c_t = B_v^T v_t; one-to-one currents:
 * H = diag(B) m, c_t = B . (W_u v_t)), so log p(y_{0:T-1}) is known exactly from a Kalman
 * filter. The filter below is written from these equations only (its own Cholesky factors from
 * the raw noise parameters, its own projection, its own input filter); it shares no code with
 * src/infer or the model's derived quantities.
 *
 * Statistics used by the convergence checks. For one trial the SMC estimate Zhat of
 * Z = p(y_{0:T-1}) is unbiased, E[Zhat] = Z (also with ESS-triggered resampling and carried
 * weights), so by Jensen E[log Zhat] <= log Z. Writing Zhat / Z = 1 + d with E d = 0,
 *     E log Zhat - log Z = -E d^2 / 2 + E d^3 / 3 - ...  = -Var(log Zhat) / 2 + O(K^-2),
 * because the SMC central limit theorem gives d = O_p(K^-1/2) (Chopin 2004; Berard, Del Moral
 * & Doucet 2014: log Zhat - log Z ~ N(-s^2 / (2K), s^2 / K) as K grows). So with M independent
 * estimates (mean m, sample variance s2, standard error se = sqrt(s2 / M)):
 *     upper side:  m - log Z <= 4 se                       (Jensen, no allowance needed)
 *     lower side:  m - log Z >= -4 se - s2_hi / 2
 * where s2_hi = s2 (1 + 3 sqrt(2 / (M - 1))) inflates s2 by three of its own standard errors
 * (Var(s2) = 2 sigma^4 / (M - 1) for near-normal log Zhat), so the allowance covers the true
 * Jensen gap even when s2 underestimates it. The expansion needs the small-noise regime, so each
 * check also asserts Var(log Zhat) < 0.5 (otherwise K is too small for the check to mean
 * anything). The M estimates come from B identical copies of one trial (independent streams
 * keyed by trial) times several `draw` values (independent streams keyed by draw). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lgssm.h"
#include "lrnn/rng.h"
#include "lrnn/sample.h"
#include "lrnn/smc.h"

enum { T = 10, COPIES = 8, DRAWS = 6, MAXD = 16 };

/* ---- the exact likelihood of the linear-Gaussian state-space form (lgssm.h) ---- */

/* Exact log p(y_{0:T-1}) by the Kalman filter; masked channels are left out of the update.
 * step_ll (T, may be NULL) receives log p(y_t | y_{<t}). */
static double kalman_loglik(const lgssm *s, const double *y, const uint8_t *mask, double *step_ll) {
    size_t R = s->R, X = s->X;
    double mu[MAXD], P[MAXD * MAXD], tmp[MAXD * MAXD], total = 0.0;
    memcpy(mu, s->mu0, sizeof mu);
    memcpy(P, s->S0, sizeof P);
    for (size_t t = 0; t < T; t++) {
        if (t > 0) {
            double nu[MAXD];
            for (size_t r = 0; r < R; r++) {
                double acc = s->f[t][r];
                for (size_t k = 0; k < R; k++)
                    acc += s->F[r * R + k] * mu[k];
                nu[r] = acc;
            }
            memcpy(mu, nu, R * sizeof *mu);
            for (size_t r = 0; r < R; r++) /* tmp = F P */
                for (size_t k = 0; k < R; k++) {
                    double acc = 0.0;
                    for (size_t l = 0; l < R; l++)
                        acc += s->F[r * R + l] * P[l * R + k];
                    tmp[r * R + k] = acc;
                }
            for (size_t r = 0; r < R; r++) /* P = F P F^T + Sigma_z */
                for (size_t k = 0; k < R; k++) {
                    double acc = s->Sz[r * R + k];
                    for (size_t l = 0; l < R; l++)
                        acc += tmp[r * R + l] * s->F[k * R + l];
                    P[r * R + k] = acc;
                }
        }
        size_t o[MAXD], no = 0;
        for (size_t i = 0; i < X; i++)
            if (!mask || mask[t * X + i]) o[no++] = i;
        double ll = 0.0;
        if (no > 0) {
            /* PHt = P H_o^T (R x no), S = H_o P H_o^T + D_o, r = y_o - H_o mu - b_o - c_o */
            double PHt[MAXD * MAXD], S[MAXD * MAXD], res[MAXD], w[MAXD];
            for (size_t r = 0; r < R; r++)
                for (size_t j = 0; j < no; j++) {
                    double acc = 0.0;
                    for (size_t k = 0; k < R; k++)
                        acc += P[r * R + k] * s->H[o[j] * R + k];
                    PHt[r * no + j] = acc;
                }
            for (size_t i = 0; i < no; i++) {
                for (size_t j = 0; j < no; j++) {
                    double acc = i == j ? s->D[o[i]] : 0.0;
                    for (size_t k = 0; k < R; k++)
                        acc += s->H[o[i] * R + k] * PHt[k * no + j];
                    S[i * no + j] = acc;
                }
                double acc = y[t * X + o[i]] - s->off[t][o[i]];
                for (size_t k = 0; k < R; k++)
                    acc -= s->H[o[i] * R + k] * mu[k];
                res[i] = acc;
            }
            /* log N(res; 0, S) = -1/2 res^T S^-1 res - sum log L_ii - no/2 log 2 pi */
            ll = lg_log_gauss(no, S, res, w);
            /* mu += PHt S^-1 res; P -= PHt S^-1 PHt^T */
            for (size_t r = 0; r < R; r++)
                for (size_t j = 0; j < no; j++)
                    mu[r] += PHt[r * no + j] * w[j];
            double col[MAXD];
            for (size_t k = 0; k < R; k++) {
                for (size_t j = 0; j < no; j++)
                    col[j] = PHt[k * no + j];
                lg_chol_solve(no, S, col); /* S^-1 (row k of PHt)^T */
                for (size_t r = 0; r < R; r++) {
                    double acc = 0.0;
                    for (size_t j = 0; j < no; j++)
                        acc += PHt[r * no + j] * col[j];
                    tmp[r * R + k] = acc;
                }
            }
            for (size_t r = 0; r < R; r++)
                for (size_t k = 0; k < R; k++)
                    P[r * R + k] -= 0.5 * (tmp[r * R + k] + tmp[k * R + r]);
        }
        if (step_ll) step_ll[t] = ll;
        total += ll;
    }
    return total;
}

/* ---- models and data ---- */

/* One trial of data sampled from the model (inputs smooth), masked entries set to NaN so that a
 * masked value leaking into the filter would show. */
typedef struct data {
    size_t X, U;
    double y[T * MAXD], u[T * MAXD];
    uint8_t mask[T * MAXD];
    bool masked;
} data;

static void make_data(lrnn_model *model, double mask_fraction, uint64_t seed, data *d) {
    const lrnn_model_config *c = lrnn_model_config_of(model);
    memset(d, 0, sizeof *d);
    d->X = (size_t)c->channels, d->U = (size_t)c->inputs;
    for (size_t i = 0; i < T * d->U; i++)
        d->u[i] = sin(0.9 * (double)i + 0.3) + 0.2;
    lrnn_sample_params sp = lrnn_sample_default_params();
    sp.trials = 1, sp.steps = T, sp.inputs = d->U ? d->u : NULL, sp.seed = seed;
    lrnn_sample_output so = {.observations = d->y};
    assert_int_equal(lrnn_model_sample(model, &sp, &so), LRNN_OK);
    d->masked = mask_fraction > 0;
    lrnn_rng r;
    lrnn_rng_init(&r, seed, LRNN_RNG_SAMPLE, 77, 0);
    for (size_t i = 0; i < T * d->X; i++) {
        d->mask[i] = !d->masked || lrnn_rng_uniform(&r) >= mask_fraction;
        if (!d->mask[i]) d->y[i] = NAN;
    }
}

/* Batch of `copies` identical trials (storage owned by the caller's arrays). */
static lrnn_batch copies_of(const data *d, size_t copies, double *y, double *u, uint8_t *mask) {
    for (size_t b = 0; b < copies; b++) {
        memcpy(y + b * T * d->X, d->y, T * d->X * sizeof *y);
        memcpy(mask + b * T * d->X, d->mask, T * d->X);
        if (d->U) memcpy(u + b * T * d->U, d->u, T * d->U * sizeof *u);
    }
    return (lrnn_batch){.B = copies,
                        .T = T,
                        .X = d->X,
                        .U = d->U,
                        .y = y,
                        .mask = d->masked ? mask : NULL,
                        .u = d->U ? u : NULL};
}

/* M = COPIES x DRAWS independent estimates of log Zhat (= T x the per-trial per-step bound). */
static void smc_estimates(lrnn_model *model, const lrnn_smc_params *sp, const data *d,
                          uint64_t seed, double *out) {
    double y[COPIES * T * MAXD], u[COPIES * T * MAXD], per[COPIES], bound;
    uint8_t mask[COPIES * T * MAXD];
    lrnn_batch batch = copies_of(d, COPIES, y, u, mask);
    lrnn_smc *smc = NULL;
    assert_int_equal(lrnn_smc_create(model, sp, T, 0, &smc), LRNN_OK);
    for (size_t draw = 0; draw < DRAWS; draw++) {
        assert_int_equal(lrnn_smc_bound(smc, model, &batch, seed, draw, &bound, NULL, per),
                         LRNN_OK);
        for (size_t b = 0; b < COPIES; b++)
            out[draw * COPIES + b] = (double)T * per[b];
    }
    lrnn_smc_free(smc);
}

typedef struct verdict {
    double mean, var, se, allowance;
} verdict;

/* The two-sided check of the header comment. Returns the statistics for reporting. */
static verdict check_converges(const char *name, const double *est, size_t M, double exact) {
    double mean = 0.0, var = 0.0;
    for (size_t i = 0; i < M; i++)
        mean += est[i];
    mean /= (double)M;
    for (size_t i = 0; i < M; i++)
        var += (est[i] - mean) * (est[i] - mean);
    var /= (double)(M - 1);
    verdict v = {.mean = mean, .var = var, .se = sqrt(var / (double)M)};
    v.allowance = 0.5 * var * (1.0 + 3.0 * sqrt(2.0 / (double)(M - 1)));
    double diff = mean - exact;
    printf("%-46s exact %11.5f  SMC %11.5f +- %.5f (M = %zu)  diff %+.5f  var %.2e  "
           "var/2-corrected %+.5f  per step: exact %.6f SMC %.6f\n",
           name, exact, mean, v.se, M, diff, var, diff + 0.5 * var, exact / T, mean / T);
    if (!(var < 0.5))
        fail_msg("%s: Var(log Zhat) = %g, too large for the Jensen expansion", name, var);
    if (!(diff <= 4.0 * v.se))
        fail_msg("%s: SMC mean %.6f above the exact log-likelihood %.6f by %.3g > 4 se = %.3g",
                 name, mean, exact, diff, 4.0 * v.se);
    if (!(diff >= -(4.0 * v.se + v.allowance)))
        fail_msg("%s: SMC mean %.6f below the exact log-likelihood %.6f by %.3g > 4 se + "
                 "Var/2 allowance = %.3g",
                 name, mean, exact, -diff, 4.0 * v.se + v.allowance);
    return v;
}

/* ---- configurations ---- */

static lrnn_model_config affine_config(void) {
    lrnn_model_config c = lrnn_model_default_config();
    c.rank = 3, c.units = 8, c.channels = 5;
    c.activation = LRNN_ACT_IDENTITY;
    return c; /* full z and z0 noise, diag x noise, affine readout from z, identity g */
}

static lrnn_model_config one_to_one_config(void) {
    lrnn_model_config c = lrnn_model_default_config();
    c.rank = 2, c.units = c.channels = 5, c.inputs = 2;
    c.activation = LRNN_ACT_IDENTITY;
    c.readout = LRNN_READOUT_ONE_TO_ONE, c.readout_from = LRNN_FROM_CURRENTS;
    return c; /* direct inputs: v_0 = u_0 enters mu_0 through P_m */
}

static lrnn_model_config masked_config(void) {
    lrnn_model_config c = one_to_one_config();
    c.simulate_input = true; /* filtered inputs */
    c.noise_z = LRNN_NOISE_DIAG, c.noise_z0 = LRNN_NOISE_FULL, c.noise_x = LRNN_NOISE_SCALAR;
    return c;
}

static lrnn_model *make_model(const lrnn_model_config *c, uint64_t seed) {
    lrnn_model *model = NULL;
    assert_int_equal(lrnn_model_create(c, &model), LRNN_OK);
    lg_set_params(model, seed);
    return model;
}

static lrnn_smc_params smc_params(lrnn_proposal proposal, lrnn_opt_weights w, int K) {
    lrnn_smc_params p = lrnn_smc_default_params();
    p.proposal = proposal, p.weights = w, p.particles = K;
    return p;
}

enum { M = COPIES * DRAWS };

/* (a) optimal proposal, analytic weights, large K: converges to the exact log-likelihood. */
static void run_optimal_case(const char *name, const lrnn_model_config *c, double mask_fraction,
                             double ess, lrnn_resample resample) {
    lrnn_model *model = make_model(c, 21);
    data d;
    make_data(model, mask_fraction, 4, &d);
    lgssm s;
    lgssm_build(model, d.u, T, &s);
    double exact = kalman_loglik(&s, d.y, d.masked ? d.mask : NULL, NULL);
    lrnn_smc_params p = smc_params(LRNN_PROPOSAL_OPTIMAL, LRNN_WEIGHTS_ANALYTIC, 2000);
    p.ess_threshold = ess, p.resample = resample;
    double est[M];
    smc_estimates(model, &p, &d, 13, est);
    check_converges(name, est, M, exact);
    lrnn_model_free(model);
}

static void optimal_affine(void **state) {
    (void)state;
    lrnn_model_config c = affine_config();
    run_optimal_case("optimal analytic, affine z, K 2000", &c, 0.0, 1.0, LRNN_RESAMPLE_SYSTEMATIC);
}

static void optimal_one_to_one_inputs(void **state) {
    (void)state;
    lrnn_model_config c = one_to_one_config();
    run_optimal_case("optimal analytic, one-to-one + inputs, K 2000", &c, 0.0, 1.0,
                     LRNN_RESAMPLE_SYSTEMATIC);
}

static void optimal_masked(void **state) {
    (void)state;
    lrnn_model_config c = masked_config();
    run_optimal_case("optimal analytic, 1-to-1 filtered, 20% masked", &c, 0.2, 1.0,
                     LRNN_RESAMPLE_SYSTEMATIC);
    c = affine_config();
    c.inputs = 2, c.readout_from = LRNN_FROM_Z_AND_V, c.decay = LRNN_DECAY_PER_DIM;
    run_optimal_case("optimal analytic, z_and_v per-dim, 20% masked", &c, 0.2, 1.0,
                     LRNN_RESAMPLE_SYSTEMATIC);
}

static void optimal_ess(void **state) {
    (void)state;
    lrnn_model_config c = affine_config();
    run_optimal_case("optimal analytic, affine z, ESS 0.5", &c, 0.0, 0.5, LRNN_RESAMPLE_SYSTEMATIC);
    c = one_to_one_config();
    run_optimal_case("optimal analytic, 1-to-1 masked, ESS .5 multin.", &c, 0.2, 0.5,
                     LRNN_RESAMPLE_MULTINOMIAL);
}

/* (b) ratio weights and the bootstrap proposal converge to the same exact value. For the exact
 * optimal proposal p(y|z) p(z|z_prev) / q(z|z_prev, y) = p(y|z_prev) for every z, so ratio
 * weights equal the analytic ones at every particle up to rounding: with the same noise (same
 * seed and draw, hence the same samples and the same ancestors) the two bounds agree to rounding.
 * The bootstrap has much higher weight variance; its check uses the same derived tolerance
 * (which grows with its own Var(log Zhat)) and a larger K. */
static void ratio_and_bootstrap(const char *name, const lrnn_model_config *c,
                                double mask_fraction) {
    lrnn_model *model = make_model(c, 21);
    data d;
    make_data(model, mask_fraction, 4, &d);
    lgssm s;
    lgssm_build(model, d.u, T, &s);
    double exact = kalman_loglik(&s, d.y, d.masked ? d.mask : NULL, NULL);
    char label[96];
    double est[M], ref[M];
    lrnn_smc_params an = smc_params(LRNN_PROPOSAL_OPTIMAL, LRNN_WEIGHTS_ANALYTIC, 2000);
    lrnn_smc_params ra = smc_params(LRNN_PROPOSAL_OPTIMAL, LRNN_WEIGHTS_RATIO, 2000);
    smc_estimates(model, &an, &d, 13, ref);
    smc_estimates(model, &ra, &d, 13, est);
    double worst = 0.0;
    for (size_t i = 0; i < M; i++)
        worst = fmax(worst, fabs(est[i] - ref[i]));
    printf("%-46s ratio vs analytic, same draws: max |diff| %.2e\n", name, worst);
    assert_true(worst < 1e-8 * fmax(1.0, fabs(exact)));
    snprintf(label, sizeof label, "optimal ratio, %s, K 2000", name);
    check_converges(label, est, M, exact);
    lrnn_smc_params bs = smc_params(LRNN_PROPOSAL_BOOTSTRAP, LRNN_WEIGHTS_ANALYTIC, 5000);
    smc_estimates(model, &bs, &d, 17, est);
    snprintf(label, sizeof label, "bootstrap, %s, K 5000", name);
    verdict vb = check_converges(label, est, M, exact);
    /* sanity of the premise: the bootstrap is the noisier estimator */
    double var_opt = 0.0, mean_opt = 0.0;
    for (size_t i = 0; i < M; i++)
        mean_opt += ref[i] / M;
    for (size_t i = 0; i < M; i++)
        var_opt += (ref[i] - mean_opt) * (ref[i] - mean_opt) / (M - 1);
    assert_true(vb.var * 5000.0 > var_opt * 2000.0);
    lrnn_model_free(model);
}

static void ratio_bootstrap_affine(void **state) {
    (void)state;
    lrnn_model_config c = affine_config();
    ratio_and_bootstrap("affine z", &c, 0.0);
}

static void ratio_bootstrap_masked(void **state) {
    (void)state;
    lrnn_model_config c = masked_config();
    ratio_and_bootstrap("1-to-1 filtered, masked", &c, 0.2);
}

/* (c) No recurrence and no leak (n = 0, a = 0: a = exp(-exp(q)) underflows to exactly 0 for
 * q = 10): z_t = eps_t for t >= 1, independent of the past, so the exact predictive density
 * p(y_t | y_{<t}) = N(y_t; H mu_t + b + c_t, H Sigma H^T + D) with mu_0 = z_init + P_m(W_u v_0),
 * mu_t = 0 (t >= 1), Sigma = Sigma_z0 at t = 0 and Sigma_z after. Every particle then has the
 * same transition mean (a . z + n phi = 0 exactly), hence the same analytic weight
 * lw_t^k = log p(y_t | y_{<t}); the ratio weight equals it for any sample (identity above); so
 * L_t = lse_k(log W^k + lw_t) - lse_k(log W^k) = lw_t and the bound equals the exact
 * log-likelihood / T to rounding, for any K, any resampling scheme and any threshold (all ESS
 * equal K, so ESS 0.5 never resamples). The reference filter still runs its full
 * prediction/update recursion, so this tests the per-step weight formula (log det S via the
 * information form, masks, c_t, mu_0) exactly. */
static void exact_without_recurrence(void **state) {
    (void)state;
    lrnn_model_config configs[3] = {affine_config(), one_to_one_config(), masked_config()};
    configs[0].inputs = 2, configs[0].readout_from = LRNN_FROM_Z_AND_V;
    const double masks[3] = {0.0, 0.2, 0.3};
    const int Ks[3] = {1, 7, 64};
    double worst = 0.0;
    for (int ci = 0; ci < 3; ci++) {
        lrnn_model *model = make_model(&configs[ci], 31 + (uint64_t)ci);
        lrnn_param_view p = lrnn_model_view(model);
        const lrnn_param_entry *ne = lrnn_param_layout_find(lrnn_model_layout(model), "n");
        const lrnn_param_entry *de =
            lrnn_param_layout_find(lrnn_model_layout(model), "decay_param");
        memset(p.n, 0, ne->size * sizeof *p.n);
        for (size_t i = 0; i < de->size; i++)
            p.decay_param[i] = 10.0;
        data d;
        make_data(model, masks[ci], 5 + (uint64_t)ci, &d);
        lgssm s;
        lgssm_build(model, d.u, T, &s);
        double exact = kalman_loglik(&s, d.y, d.masked ? d.mask : NULL, NULL);
        for (int wi = 0; wi < 2; wi++)
            for (int ki = 0; ki < 3; ki++)
                for (int ei = 0; ei < 2; ei++) {
                    lrnn_smc_params sp =
                        smc_params(LRNN_PROPOSAL_OPTIMAL, (lrnn_opt_weights)wi, Ks[ki]);
                    sp.ess_threshold = ei ? 0.5 : 1.0;
                    double y[2 * T * MAXD], u[2 * T * MAXD], per[2], bound;
                    uint8_t mask[2 * T * MAXD];
                    lrnn_batch batch = copies_of(&d, 2, y, u, mask);
                    lrnn_smc *smc = NULL;
                    assert_int_equal(lrnn_smc_create(model, &sp, T, 0, &smc), LRNN_OK);
                    assert_int_equal(
                        lrnn_smc_bound(smc, model, &batch, 3, (uint64_t)ki, &bound, NULL, per),
                        LRNN_OK);
                    lrnn_smc_free(smc);
                    for (int b = 0; b < 2; b++) {
                        double err = fabs((double)T * per[b] - exact) / fmax(1.0, fabs(exact));
                        worst = fmax(worst, err);
                        if (err > 1e-11)
                            print_error("config %d weights %s K %d ess %g: SMC %.15g exact %.15g\n",
                                        ci, lrnn_opt_weights_name(sp.weights), Ks[ki],
                                        sp.ess_threshold, (double)T * per[b], exact);
                    }
                }
        printf("n = 0, a = 0, config %d: exact log p(y) %.12f\n", ci, exact);
        lrnn_model_free(model);
    }
    printf("n = 0, a = 0: worst relative |SMC - exact| %.2e over weights, K, ESS, configs\n",
           worst);
    assert_true(worst < 1e-11);
}

/* The reference filter itself: log p(y) = sum_t log p(y_t | y_{<t}) from the Kalman recursion
 * must equal the direct evaluation of the joint Gaussian density of all observed values
 * (mean and covariance of the stacked latents z_0..z_{T-1} propagated in closed form, masked
 * entries simply left out), so the exact answer does not rest on the filter's update algebra. */
static void reference_filter_matches_joint_gaussian(void **state) {
    (void)state;
    lrnn_model_config c = one_to_one_config();
    lrnn_model *model = make_model(&c, 41);
    data d;
    make_data(model, 0.25, 6, &d);
    lgssm s;
    lgssm_build(model, d.u, T, &s);
    double filt = kalman_loglik(&s, d.y, d.mask, NULL);
    /* joint: stack z_0..z_{T-1} (TR), mean and covariance by the recursion, then y_o. */
    size_t R = s.R, X = s.X, TR = T * R;
    double *mz = calloc(TR, sizeof *mz), *Cz = calloc(TR * TR, sizeof *Cz);
    memcpy(mz, s.mu0, R * sizeof *mz);
    for (size_t a = 0; a < R; a++)
        for (size_t b = 0; b < R; b++)
            Cz[a * TR + b] = s.S0[a * R + b];
    for (size_t t = 1; t < T; t++) {
        for (size_t r = 0; r < R; r++) {
            double acc = s.f[t][r];
            for (size_t k = 0; k < R; k++)
                acc += s.F[r * R + k] * mz[(t - 1) * R + k];
            mz[t * R + r] = acc;
        }
        /* Cov(z_t, z_j) = F Cov(z_{t-1}, z_j) for j < t; Cov(z_t, z_t) = F C F^T + Sz */
        for (size_t j = 0; j < t * R; j++)
            for (size_t r = 0; r < R; r++) {
                double acc = 0.0;
                for (size_t k = 0; k < R; k++)
                    acc += s.F[r * R + k] * Cz[((t - 1) * R + k) * TR + j];
                Cz[(t * R + r) * TR + j] = Cz[j * TR + t * R + r] = acc;
            }
        for (size_t r = 0; r < R; r++)
            for (size_t q = 0; q < R; q++) {
                double acc = s.Sz[r * R + q];
                for (size_t k = 0; k < R; k++)
                    for (size_t l = 0; l < R; l++)
                        acc += s.F[r * R + k] * Cz[((t - 1) * R + k) * TR + (t - 1) * R + l] *
                               s.F[q * R + l];
                Cz[(t * R + r) * TR + t * R + q] = acc;
            }
    }
    size_t idx[T * MAXD], no = 0;
    for (size_t i = 0; i < T * X; i++)
        if (d.mask[i]) idx[no++] = i;
    double *S = calloc(no * no, sizeof *S), *res = calloc(no, sizeof *res),
           *w = calloc(no, sizeof *w);
    for (size_t p = 0; p < no; p++) {
        size_t tp = idx[p] / X, ip = idx[p] % X;
        double mean = s.off[tp][ip];
        for (size_t k = 0; k < R; k++)
            mean += s.H[ip * R + k] * mz[tp * R + k];
        res[p] = d.y[idx[p]] - mean;
        for (size_t q = 0; q < no; q++) {
            size_t tq = idx[q] / X, iq = idx[q] % X;
            double acc = p == q ? s.D[ip] : 0.0;
            for (size_t k = 0; k < R; k++)
                for (size_t l = 0; l < R; l++)
                    acc += s.H[ip * R + k] * Cz[(tp * R + k) * TR + tq * R + l] * s.H[iq * R + l];
            S[p * no + q] = acc;
        }
    }
    double joint = lg_log_gauss(no, S, res, w);
    printf("reference filter %.12f vs joint Gaussian %.12f (%zu observed values)\n", filt, joint,
           no);
    assert_true(fabs(filt - joint) < 1e-9 * fmax(1.0, fabs(joint)));
    free(mz), free(Cz), free(S), free(res), free(w);
    lrnn_model_free(model);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reference_filter_matches_joint_gaussian),
        cmocka_unit_test(exact_without_recurrence),
        cmocka_unit_test(optimal_affine),
        cmocka_unit_test(optimal_one_to_one_inputs),
        cmocka_unit_test(optimal_masked),
        cmocka_unit_test(optimal_ess),
        cmocka_unit_test(ratio_bootstrap_affine),
        cmocka_unit_test(ratio_bootstrap_masked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
