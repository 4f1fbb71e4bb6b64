/* Posterior latents (src/infer/posterior.c) against exact answers.
 *
 * 1. Linear-Gaussian model (identity activation, affine readout, direct inputs, masked
 *    entries, full noise): the filtering means must converge to the Kalman filter's and the
 *    FFBS smoothed means to the Rauch-Tung-Striebel smoother's, both written here from the
 *    state-space equations alone (shared with no library code):
 *        z_0 ~ N(mu_0, S0),  z_t = F z_{t-1} + f_t + eps,  F = diag(a) + n m,
 *        f_t = n (W_u v_{t-1} - h),  y_t = H z_t + b + noise.
 *    Note f_{t+1} uses v_t: a smoother that used v_{t-1} (the reference's off-by-one, spec
 *    §3.7 [quirk]) is checked to FAIL against the same RTS answer (the test has power).
 *
 *    Tolerances. M copies of one trial run on independent streams; for every (t, r) the
 *    mean of the M estimates has standard error se = sd / sqrt(M) (sd: sample sd over the
 *    copies). Self-normalised importance estimates also carry a bias of order
 *    (K / ESS) sigma / K; with ESS >= K / sqrt(K) this is at most sigma / sqrt(K) (sigma: the
 *    exact posterior sd of that coordinate), the allowance added to 4 se. The FFBSi
 *    trajectories are, given the particles, i.i.d. draws whose marginal at t is exactly the
 *    FFBSm weights, so their mean over S trajectories and M copies differs from the FFBSm
 *    means by at most 4 sd_traj / sqrt(M S).
 * 2. A nonlinear teacher with known latents (the oscillator preset): the smoother's latent
 *    mean squared error is below the filter's (issue 5, done-when 2). */
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
#include "lrnn/posterior.h"
#include "lrnn/rng.h"
#include "lrnn/sample.h"

enum { T = 30, SHORT = 17, MAXD = 8, COPIES = 32, K = 256, NS = 32 };

/* ---- the linear-Gaussian state-space form and the exact filter / smoother ---- */


/* R x R products: C = A B, C = A B^T. */
static void mm(size_t R, const double *A, const double *B, double *C) {
    for (size_t i = 0; i < R; i++)
        for (size_t j = 0; j < R; j++) {
            double acc = 0.0;
            for (size_t k = 0; k < R; k++)
                acc += A[i * R + k] * B[k * R + j];
            C[i * R + j] = acc;
        }
}
static void mmt(size_t R, const double *A, const double *B, double *C) {
    for (size_t i = 0; i < R; i++)
        for (size_t j = 0; j < R; j++) {
            double acc = 0.0;
            for (size_t k = 0; k < R; k++)
                acc += A[i * R + k] * B[j * R + k];
            C[i * R + j] = acc;
        }
}

/* Kalman filter over the first `len` steps (masked channels left out of the update) and the
 * RTS smoother. mf/Pf: filtering means and covariances, ms/Ps: smoothed. `shift`: the backward
 * pass uses f_t instead of f_{t+1} in the prediction of z_{t+1} (the off-by-one to reject). */
static void kalman_rts(const lgssm *s, const double *y, const uint8_t *mask, size_t len,
                       bool shift, double mf[T][MAXD], double Pf[T][MAXD * MAXD],
                       double ms[T][MAXD], double Ps[T][MAXD * MAXD]) {
    size_t R = s->R, X = s->X;
    double mu[MAXD], P[MAXD * MAXD], tmp[MAXD * MAXD];
    memcpy(mu, s->mu0, sizeof mu);
    memcpy(P, s->S0, sizeof P);
    for (size_t t = 0; t < len; t++) {
        if (t > 0) {
            double nu[MAXD];
            for (size_t r = 0; r < R; r++) {
                nu[r] = s->f[t][r];
                for (size_t k = 0; k < R; k++)
                    nu[r] += s->F[r * R + k] * mu[k];
            }
            memcpy(mu, nu, R * sizeof *nu);
            mm(R, s->F, P, tmp);
            mmt(R, tmp, s->F, P);
            for (size_t i = 0; i < R * R; i++)
                P[i] += s->Sz[i];
        }
        /* sequential scalar updates over the observed channels (D diagonal) */
        for (size_t i = 0; i < X; i++) {
            if (mask && !mask[t * X + i]) continue;
            const double *h = s->H + i * R;
            double Ph[MAXD], hPh = s->D[i], res = y[t * X + i] - s->off[t][i];
            for (size_t r = 0; r < R; r++) {
                Ph[r] = 0.0;
                for (size_t k = 0; k < R; k++)
                    Ph[r] += P[r * R + k] * h[k];
                hPh += h[r] * Ph[r];
                res -= h[r] * mu[r];
            }
            for (size_t r = 0; r < R; r++)
                mu[r] += Ph[r] * res / hPh;
            for (size_t r = 0; r < R; r++)
                for (size_t k = 0; k < R; k++)
                    P[r * R + k] -= Ph[r] * Ph[k] / hPh;
        }
        memcpy(mf[t], mu, sizeof mu);
        memcpy(Pf[t], P, sizeof P);
    }
    memcpy(ms[len - 1], mf[len - 1], sizeof ms[0]);
    memcpy(Ps[len - 1], Pf[len - 1], sizeof Ps[0]);
    for (size_t t = len - 1; t-- > 0;) {
        /* predicted z_{t+1}: F mf_t + f_{t+1}, Pp = F Pf F^T + Sz; G = Pf F^T Pp^-1 */
        double pm[MAXD], Pp[MAXD * MAXD], L[MAXD * MAXD], G[MAXD * MAXD];
        const double *ft = s->f[shift ? t : t + 1]; /* f_0 = 0 */
        for (size_t r = 0; r < R; r++) {
            pm[r] = ft[r];
            for (size_t k = 0; k < R; k++)
                pm[r] += s->F[r * R + k] * mf[t][k];
        }
        mm(R, s->F, Pf[t], tmp);
        mmt(R, tmp, s->F, Pp);
        for (size_t i = 0; i < R * R; i++)
            Pp[i] += s->Sz[i];
        memcpy(L, Pp, sizeof L);
        assert_int_equal(lg_chol(R, L), 0);
        /* G^T = Pp^-1 F Pf (columns solved one by one); tmp = F Pf */
        mm(R, s->F, Pf[t], tmp);
        for (size_t c = 0; c < R; c++) {
            double col[MAXD];
            for (size_t r = 0; r < R; r++)
                col[r] = tmp[r * R + c];
            lg_chol_solve(R, L, col);
            for (size_t r = 0; r < R; r++)
                G[c * R + r] = col[r];
        }
        for (size_t r = 0; r < R; r++) {
            ms[t][r] = mf[t][r];
            for (size_t k = 0; k < R; k++)
                ms[t][r] += G[r * R + k] * (ms[t + 1][k] - pm[k]);
        }
        double Dl[MAXD * MAXD], GD[MAXD * MAXD];
        for (size_t i = 0; i < R * R; i++)
            Dl[i] = Ps[t + 1][i] - Pp[i];
        mm(R, G, Dl, GD);
        mmt(R, GD, G, tmp);
        for (size_t i = 0; i < R * R; i++)
            Ps[t][i] = Pf[t][i] + tmp[i];
    }
}

static lrnn_model *linear_model(void) {
    lrnn_model_config c = lrnn_model_default_config();
    c.rank = 2, c.units = 6, c.channels = 3, c.inputs = 1;
    c.activation = LRNN_ACT_IDENTITY;
    /* full z and z0 noise, diag x noise, affine readout from z, identity g, direct inputs */
    lrnn_model *model = NULL;
    assert_int_equal(lrnn_model_create(&c, &model), LRNN_OK);
    lg_set_params(model, 21);
    return model;
}

/* Max over (t, r < len) of |est_mean - exact| / (4 se + sigma / sqrt(K)); est: COPIES x T x R
 * restricted to copies with parity `which` (0 even, 1 odd). */
static double worst_ratio(const double *est, size_t which, size_t len, double exact[T][MAXD],
                          double P[T][MAXD * MAXD], size_t R, double *max_z) {
    double worst = 0.0;
    *max_z = 0.0;
    size_t M = COPIES / 2;
    for (size_t t = 0; t < len; t++)
        for (size_t r = 0; r < R; r++) {
            double mean = 0.0, var = 0.0;
            for (size_t b = which; b < COPIES; b += 2)
                mean += est[(b * T + t) * R + r] / (double)M;
            for (size_t b = which; b < COPIES; b += 2) {
                double d = est[(b * T + t) * R + r] - mean;
                var += d * d / (double)(M - 1);
            }
            double se = sqrt(var / (double)M), sigma = sqrt(P[t][r * R + r]);
            double diff = fabs(mean - exact[t][r]);
            double ratio = diff / (4.0 * se + sigma / sqrt((double)K));
            if (ratio > worst) worst = ratio;
            if (diff / se > *max_z) *max_z = diff / se;
        }
    return worst;
}

static void linear_gaussian_matches_kalman(void **state) {
    (void)state;
    lrnn_model *model = linear_model();
    enum { R = 2, X = 3, U = 1 };
    double u[T * U], y1[T * X];
    uint8_t m1[T * X];
    for (size_t t = 0; t < T; t++) /* fast-changing inputs: an input off by one step shows */
        u[t] = 1.5 * sin(1.9 * (double)t + 0.3) + 0.2;
    lrnn_sample_params sp = lrnn_sample_default_params();
    sp.trials = 1, sp.steps = T, sp.inputs = u, sp.seed = 5;
    lrnn_sample_output so = {.observations = y1};
    assert_int_equal(lrnn_model_sample(model, &sp, &so), LRNN_OK);
    lrnn_rng rng;
    lrnn_rng_init(&rng, 9, LRNN_RNG_SAMPLE, 77, 0);
    for (size_t i = 0; i < T * X; i++) {
        m1[i] = lrnn_rng_uniform(&rng) >= 0.2;
        if (!m1[i]) y1[i] = NAN; /* a masked value leaking into the filter would show */
    }
    lgssm s;
    lgssm_build(model, u, T, &s);
    static double mf[2][T][MAXD], Pf[2][T][MAXD * MAXD], ms[2][T][MAXD], Ps[2][T][MAXD * MAXD];
    static double wf[T][MAXD], wPf[T][MAXD * MAXD], wms[T][MAXD], wPs[T][MAXD * MAXD];
    kalman_rts(&s, y1, m1, T, false, mf[0], Pf[0], ms[0], Ps[0]);
    kalman_rts(&s, y1, m1, SHORT, false, mf[1], Pf[1], ms[1], Ps[1]);
    kalman_rts(&s, y1, m1, T, true, wf, wPf, wms, wPs);

    /* even copies: the full trial; odd copies: its first SHORT steps (variable lengths) */
    static double y[COPIES * T * X], uu[COPIES * T * U];
    static uint8_t mask[COPIES * T * X];
    size_t len[COPIES];
    for (size_t b = 0; b < COPIES; b++) {
        memcpy(y + b * T * X, y1, sizeof y1);
        memcpy(mask + b * T * X, m1, sizeof m1);
        memcpy(uu + b * T * U, u, sizeof u);
        len[b] = b % 2 ? SHORT : T;
    }
    lrnn_batch batch = {.B = COPIES, .T = T, .X = X, .U = U, .y = y, .mask = mask, .u = uu,
                        .lengths = len};
    lrnn_posterior_params pp = lrnn_posterior_default_params();
    pp.smc.particles = K, pp.smc.proposal = LRNN_PROPOSAL_OPTIMAL;
    pp.smooth = true, pp.samples = NS;
    lrnn_posterior *post = NULL;
    assert_int_equal(lrnn_posterior_create(model, &pp, COPIES, T, &post), LRNN_OK);
    static double lf[COPIES * T * R], lsm[COPIES * T * R], rf[COPIES * T * X],
        rs[COPIES * T * X], paths[COPIES * NS * T * R];
    lrnn_posterior_output out = {.latents_filter = lf, .latents_smooth = lsm, .rates_filter = rf,
                                 .rates_smooth = rs, .samples = paths};
    double bound;
    assert_int_equal(lrnn_posterior_run(post, model, &batch, 3, 0, &out, &bound), LRNN_OK);
    assert_true(isfinite(bound));

    double zf, zs, zw;
    double rf0 = worst_ratio(lf, 0, T, mf[0], Pf[0], R, &zf);
    double rs0 = worst_ratio(lsm, 0, T, ms[0], Ps[0], R, &zs);
    double rf1 = worst_ratio(lf, 1, SHORT, mf[1], Pf[1], R, &zf);
    double rs1 = worst_ratio(lsm, 1, SHORT, ms[1], Ps[1], R, &zs);
    double rw = worst_ratio(lsm, 0, T, wms, wPs, R, &zw);
    printf("K = %d, %d copies per length: worst |error| / tolerance: filter %.3f (T) %.3f "
           "(T = %d); smoother %.3f (T) %.3f (T = %d); off-by-one RTS %.2f (max z %.1f)\n",
           K, COPIES / 2, rf0, rf1, SHORT, rs0, rs1, SHORT, rw, zw);
    assert_true(rf0 <= 1.0 && rf1 <= 1.0);
    assert_true(rs0 <= 1.0 && rs1 <= 1.0);
    /* the same tolerance rejects the reference's input index */
    assert_true(rw > 1.0);

    /* rates: identity g and affine readout, so E[yhat] = H E[z] + b exactly, per copy */
    double worst_rate = 0.0;
    for (size_t b = 0; b < COPIES; b++)
        for (size_t t = 0; t < len[b]; t++)
            for (size_t i = 0; i < X; i++) {
                double ef = s.off[t][i], es = s.off[t][i];
                for (size_t r = 0; r < R; r++) {
                    ef += s.H[i * R + r] * lf[(b * T + t) * R + r];
                    es += s.H[i * R + r] * lsm[(b * T + t) * R + r];
                }
                double d1 = fabs(ef - rf[(b * T + t) * X + i]), d2 = fabs(es - rs[(b * T + t) * X + i]);
                if (d1 > worst_rate) worst_rate = d1;
                if (d2 > worst_rate) worst_rate = d2;
            }
    printf("rates vs H E[z] + b: max difference %.2e\n", worst_rate);
    assert_true(worst_rate < 1e-10);

    /* padding of the short copies is NaN, everything else finite */
    for (size_t b = 0; b < COPIES; b++)
        for (size_t t = 0; t < T; t++)
            for (size_t r = 0; r < R; r++) {
                bool pad = t >= len[b];
                assert_true(pad == isnan(lf[(b * T + t) * R + r]));
                assert_true(pad == isnan(lsm[(b * T + t) * R + r]));
                assert_true(pad == isnan(paths[((b * NS) * T + t) * R + r]));
            }

    /* FFBSi trajectories against the FFBSm means of their own copy (full-length copies) */
    double worst_traj = 0.0;
    for (size_t t = 0; t < T; t++)
        for (size_t r = 0; r < R; r++) {
            double sum = 0.0, sq = 0.0;
            size_t n = 0;
            for (size_t b = 0; b < COPIES; b += 2)
                for (size_t j = 0; j < NS; j++) {
                    double d = paths[((b * NS + j) * T + t) * R + r] - lsm[(b * T + t) * R + r];
                    sum += d, sq += d * d, n++;
                }
            double mean = sum / (double)n, sd = sqrt(sq / (double)n - mean * mean);
            double ratio = fabs(mean) / (4.0 * sd / sqrt((double)n) + 1e-12);
            if (ratio > worst_traj) worst_traj = ratio;
        }
    printf("FFBSi trajectories (NS = %d) vs FFBSm means: worst |diff| / (4 sd / sqrt(n)) %.3f\n",
           NS, worst_traj);
    assert_true(worst_traj <= 1.0);
    lrnn_posterior_free(post);
    lrnn_model_free(model);
}

/* Predictions: with predict_steps = 1 and the identity activation, the prediction of y_t is
 * H (F E[z_{t-1} | y_{<t}] + f_t) + b, linear in the filter mean (the weights sum to 1). */
static void one_step_prediction_is_linear(void **state) {
    (void)state;
    lrnn_model *model = linear_model();
    enum { R = 2, X = 3, U = 1 };
    double u[T * U], y[T * X];
    for (size_t t = 0; t < T; t++)
        u[t] = 1.5 * sin(1.9 * (double)t + 0.3) + 0.2;
    lrnn_sample_params sp = lrnn_sample_default_params();
    sp.trials = 1, sp.steps = T, sp.inputs = u, sp.seed = 6;
    lrnn_sample_output so = {.observations = y};
    assert_int_equal(lrnn_model_sample(model, &sp, &so), LRNN_OK);
    lgssm s;
    lgssm_build(model, u, T, &s);
    lrnn_posterior_params pp = lrnn_posterior_default_params();
    pp.smc.particles = 32, pp.predict_steps = 1;
    lrnn_posterior *post = NULL;
    assert_int_equal(lrnn_posterior_create(model, &pp, 1, T, &post), LRNN_OK);
    double lf[T * R], pred[T * X];
    lrnn_posterior_output out = {.latents_filter = lf, .predicted = pred};
    lrnn_batch batch = {.B = 1, .T = T, .X = X, .U = U, .y = y, .u = u};
    assert_int_equal(lrnn_posterior_run(post, model, &batch, 1, 0, &out, NULL), LRNN_OK);
    for (size_t i = 0; i < X; i++) assert_true(isnan(pred[i]));
    double worst = 0.0;
    for (size_t t = 1; t < T; t++)
        for (size_t i = 0; i < X; i++) {
            double e = s.off[t][i];
            for (size_t r = 0; r < R; r++) {
                double z = s.f[t][r];
                for (size_t k = 0; k < R; k++) z += s.F[r * R + k] * lf[(t - 1) * R + k];
                e += s.H[i * R + r] * z;
            }
            double d = fabs(e - pred[t * X + i]);
            if (d > worst) worst = d;
        }
    printf("one-step prediction vs H (F m_{t-1} + f_t) + b: max difference %.2e\n", worst);
    assert_true(worst < 1e-9);
    /* smoothed outputs without params.smooth are refused */
    double ls[T * R];
    out.latents_smooth = ls;
    assert_int_equal(lrnn_posterior_run(post, model, &batch, 1, 0, &out, NULL), LRNN_ERR_ARG);
    lrnn_posterior_free(post);
    lrnn_model_free(model);
}

/* The oscillator teacher with known latents: the smoother (which also sees the future) must
 * have a lower latent error than the filter. N = 6 noisy channels keep the filter uncertain
 * enough for the difference to matter. */
static void smoother_beats_filter_on_teacher(void **state) {
    (void)state;
    enum { B = 8, TT = 150, N = 6, KT = 128 };
    lrnn_model *model = NULL;
    assert_int_equal(lrnn_model_oscillator(N, 20.0, &model), LRNN_OK);
    /* more observation noise than the preset: the filter should be unsure */
    lrnn_param_view p = lrnn_model_view(model);
    for (size_t i = 0; i < N; i++) p.R_x[i] = 2.0 * log(1.0);
    static double z[B * TT * 2], y[B * TT * N], lf[B * TT * 2], ls[B * TT * 2];
    lrnn_sample_params sp = lrnn_sample_default_params();
    sp.trials = B, sp.steps = TT, sp.seed = 11, sp.burn_in = 50;
    lrnn_sample_output so = {.latents = z, .observations = y};
    assert_int_equal(lrnn_model_sample(model, &sp, &so), LRNN_OK);
    lrnn_posterior_params pp = lrnn_posterior_default_params();
    pp.smc.particles = KT, pp.smooth = true;
    lrnn_posterior *post = NULL;
    assert_int_equal(lrnn_posterior_create(model, &pp, B, TT, &post), LRNN_OK);
    lrnn_posterior_output out = {.latents_filter = lf, .latents_smooth = ls};
    lrnn_batch batch = {.B = B, .T = TT, .X = N, .y = y};
    assert_int_equal(lrnn_posterior_run(post, model, &batch, 2, 0, &out, NULL), LRNN_OK);
    double ef = 0.0, es = 0.0;
    size_t n = B * TT * 2;
    for (size_t i = 0; i < n; i++) {
        ef += (lf[i] - z[i]) * (lf[i] - z[i]) / (double)n;
        es += (ls[i] - z[i]) * (ls[i] - z[i]) / (double)n;
    }
    printf("oscillator teacher (N = %d, obs std 1, K = %d): latent MSE filter %.5f, smoother "
           "%.5f (ratio %.3f)\n",
           N, KT, ef, es, es / ef);
    assert_true(es < 0.9 * ef);
    lrnn_posterior_free(post);
    lrnn_model_free(model);
}

static void bad_arguments(void **state) {
    (void)state;
    lrnn_model *model = linear_model();
    lrnn_posterior_params pp = lrnn_posterior_default_params();
    lrnn_posterior *post = NULL;
    pp.samples = -1;
    assert_int_equal(lrnn_posterior_create(model, &pp, 1, T, &post), LRNN_ERR_ARG);
    assert_non_null(strstr(lrnn_last_error(), "samples"));
    pp = lrnn_posterior_default_params();
    assert_int_equal(lrnn_posterior_create(model, &pp, 0, T, &post), LRNN_ERR_ARG);
    assert_int_equal(lrnn_posterior_create(model, &pp, 2, T, &post), LRNN_OK);
    double y[3 * T * 3] = {0}, u[3 * T] = {0}, lf[3 * T * 2];
    lrnn_batch batch = {.B = 3, .T = T, .X = 3, .U = 1, .y = y, .u = u};
    lrnn_posterior_output out = {.latents_filter = lf};
    assert_int_equal(lrnn_posterior_run(post, model, &batch, 1, 0, &out, NULL), LRNN_ERR_SHAPE);
    assert_non_null(strstr(lrnn_last_error(), "3 trials"));
    /* generation needs finite initial states */
    double z0[2] = {NAN, 0.0};
    lrnn_sample_params sp = lrnn_sample_default_params();
    sp.steps = 5;
    lrnn_sample_output so = {.latents = lf};
    assert_int_equal(lrnn_posterior_generate(model, z0, &sp, &so), LRNN_ERR_ARG);
    lrnn_posterior_free(post);
    lrnn_model_free(model);
}

/* Generation from given initial states with zero process noise start: the first kept latent
 * equals z0 when there is no burn-in; with the same seed runs are reproducible. */
static void generate_from_states(void **state) {
    (void)state;
    lrnn_model *model = linear_model();
    double z0[4] = {0.5, -1.0, 2.0, 0.25}, lat[2 * 10 * 2], lat2[2 * 10 * 2], obs[2 * 10 * 3];
    double u[2 * 10];
    for (size_t i = 0; i < 20; i++) u[i] = sin((double)i);
    lrnn_sample_params sp = lrnn_sample_default_params();
    sp.trials = 2, sp.steps = 10, sp.seed = 4, sp.inputs = u;
    lrnn_sample_output so = {.latents = lat, .observations = obs};
    assert_int_equal(lrnn_posterior_generate(model, z0, &sp, &so), LRNN_OK);
    for (size_t i = 0; i < 2; i++) {
        assert_true(lat[i] == z0[i]);
        assert_true(lat[20 + i] == z0[2 + i]);
    }
    so.latents = lat2, so.observations = NULL;
    assert_int_equal(lrnn_posterior_generate(model, z0, &sp, &so), LRNN_OK);
    assert_memory_equal(lat, lat2, sizeof lat);
    lrnn_model_free(model);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(linear_gaussian_matches_kalman),
        cmocka_unit_test(one_step_prediction_is_linear),
        cmocka_unit_test(smoother_beats_filter_on_teacher),
        cmocka_unit_test(bad_arguments),
        cmocka_unit_test(generate_from_states),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
