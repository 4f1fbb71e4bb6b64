/* Sampling: statistics against closed forms (tolerances from the estimators' standard
 * errors), reproducibility across seeds, requested outputs and thread counts, input paths. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "lrnn/sample.h"

static lrnn_model *make(lrnn_model_config c) {
    lrnn_model *model = NULL;
    assert_int_equal(lrnn_model_create(&c, &model), LRNN_OK);
    return model;
}

static double *sample_into(const lrnn_model *model, const lrnn_sample_params *p, int which) {
    const lrnn_model_config *c = lrnn_model_config_of(model);
    size_t rows = p->trials * p->steps;
    size_t width = which == 0 ? (size_t)c->rank : (size_t)c->channels;
    double *buf = malloc(rows * width * sizeof *buf);
    lrnn_sample_output out = {0};
    if (which == 0) out.latents = buf;
    else if (which == 1) out.rates = buf;
    else out.observations = buf;
    assert_int_equal(lrnn_model_sample(model, p, &out), LRNN_OK);
    return buf;
}

/* With identity activation and n = 0 each latent is an AR(1): z_t = a z_{t-1} + eps,
 * Var eps = s^2, stationary variance s^2 / (1 - a^2). z_0 is drawn from the stationary law
 * (Sigma_z0 set to it), so every step is stationary.
 * Estimator: mean of z^2 over B trials, T steps, R independent dims (known mean 0). For a
 * Gaussian AR(1) its relative standard error is sqrt(2 (1 + a^2) / ((1 - a^2) B T R)): here
 * sqrt(2 * 1.81 / 0.19 / 400000) = 0.0069; the test allows 5 standard errors. */
static void ar1_stationary_variance(void **state) {
    (void)state;
    const double a = 0.9, s = 0.5, stationary = s * s / (1.0 - a * a);
    lrnn_model_config c = lrnn_model_default_config();
    c.rank = 2, c.units = 10, c.channels = 2;
    c.activation = LRNN_ACT_IDENTITY;
    c.decay_init = a;
    c.noise_z = LRNN_NOISE_DIAG, c.init_noise_z = s;
    c.noise_z0 = LRNN_NOISE_SCALAR, c.init_noise_z0 = sqrt(stationary);
    c.init_state = LRNN_INIT_ZERO;
    lrnn_model *model = make(c);
    memset(lrnn_model_view(model).n, 0, 2 * 10 * sizeof(double));
    lrnn_sample_params p = lrnn_sample_default_params();
    p.trials = 100, p.steps = 2000, p.burn_in = 10, p.seed = 11;
    double *z = sample_into(model, &p, 0);
    size_t count = p.trials * p.steps * 2;
    double sq = 0.0, lag = 0.0;
    for (size_t i = 0; i < count; i++) sq += z[i] * z[i];
    double estimate = sq / (double)count;
    double rel_se = sqrt(2.0 * (1.0 + a * a) / ((1.0 - a * a) * (double)count));
    assert_true(fabs(estimate / stationary - 1.0) < 5.0 * rel_se);
    /* Lag-1 correlation: E[z_t z_{t+1}] = a Var z. Its standard error is below that of the
     * variance estimate, so the same 5-sigma band is conservative. */
    size_t pairs = 0;
    for (size_t b = 0; b < p.trials; b++)
        for (size_t t = 0; t + 1 < p.steps; t++, pairs += 2)
            for (int k = 0; k < 2; k++)
                lag += z[(b * p.steps + t) * 2 + k] * z[(b * p.steps + t + 1) * 2 + k];
    assert_true(fabs(lag / (double)pairs / (a * stationary) - 1.0) < 5.0 * rel_se);
    free(z);
    lrnn_model_free(model);
}

/* Constant rates exp(b) + 1e-10 (readout weights zeroed): counts are iid Poisson. Mean and
 * variance per channel within 5 standard errors: se(mean) = sqrt(lam / n),
 * se(var) = sqrt((mu4 - lam^2) / n) with mu4 = lam (1 + 3 lam). */
static void poisson_observation_moments(void **state) {
    (void)state;
    const double lam[] = {0.5, 4.0, 40.0};
    lrnn_model_config c = lrnn_model_default_config();
    c.rank = 2, c.units = 10, c.channels = 3;
    c.obs = LRNN_OBS_POISSON, c.obs_nonlin = LRNN_G_EXP;
    lrnn_model *model = make(c);
    lrnn_param_view v = lrnn_model_view(model);
    memset(v.B_obs, 0, 2 * 3 * sizeof(double));
    for (int i = 0; i < 3; i++) v.bias_obs[i] = log(lam[i]);
    lrnn_sample_params p = lrnn_sample_default_params();
    p.trials = 20, p.steps = 5000, p.seed = 5;
    double *y = sample_into(model, &p, 2);
    size_t n = p.trials * p.steps;
    for (int i = 0; i < 3; i++) {
        double sum = 0.0, sq = 0.0;
        for (size_t r = 0; r < n; r++) {
            assert_true(y[r * 3 + i] == floor(y[r * 3 + i]) && y[r * 3 + i] >= 0.0);
            sum += y[r * 3 + i];
        }
        double mean = sum / (double)n;
        for (size_t r = 0; r < n; r++) sq += (y[r * 3 + i] - mean) * (y[r * 3 + i] - mean);
        double var = sq / (double)(n - 1), l = lam[i];
        assert_true(fabs(mean - l) < 5.0 * sqrt(l / (double)n));
        assert_true(fabs(var - l) < 5.0 * sqrt((l * (1.0 + 3.0 * l) - l * l) / (double)n));
    }
    free(y);
    lrnn_model_free(model);
}

/* Full observation covariance: y - yhat ~ N(0, L L^T). Each empirical covariance entry has
 * standard error sqrt((S_ii S_jj + S_ij^2) / n). */
static void gaussian_full_observation_covariance(void **state) {
    (void)state;
    lrnn_model_config c = lrnn_model_default_config();
    c.rank = 2, c.units = 10, c.channels = 3, c.noise_x = LRNN_NOISE_FULL;
    lrnn_model *model = make(c);
    lrnn_param_view v = lrnn_model_view(model);
    const double Rx[] = {log(0.25), 0, 0, 0.4, log(1.0), 0, -0.3, 0.2, log(0.04)};
    memcpy(v.R_x, Rx, sizeof Rx);
    double L[9], S[9];
    lrnn_noise_cholesky(LRNN_NOISE_FULL, 3, Rx, L);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            S[i * 3 + j] = 0.0;
            for (int k = 0; k < 3; k++) S[i * 3 + j] += L[i * 3 + k] * L[j * 3 + k];
        }
    lrnn_sample_params p = lrnn_sample_default_params();
    p.trials = 10, p.steps = 10000, p.seed = 9;
    double *y = sample_into(model, &p, 2), *mean = sample_into(model, &p, 1);
    size_t n = p.trials * p.steps;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            double acc = 0.0;
            for (size_t r = 0; r < n; r++)
                acc += (y[r * 3 + i] - mean[r * 3 + i]) * (y[r * 3 + j] - mean[r * 3 + j]);
            double se = sqrt((S[i * 4] * S[j * 4] + S[i * 3 + j] * S[i * 3 + j]) / (double)n);
            assert_true(fabs(acc / (double)n - S[i * 3 + j]) < 5.0 * se);
        }
    free(y), free(mean);
    lrnn_model_free(model);
}

static lrnn_model *busy_model(void) {
    lrnn_model_config c = lrnn_model_default_config();
    c.rank = 3, c.units = 40, c.channels = 6, c.obs = LRNN_OBS_POISSON;
    c.obs_nonlin = LRNN_G_SOFTPLUS, c.noise_z = LRNN_NOISE_FULL;
    return make(c);
}

static void same_seed_same_bits_other_seed_other_bits(void **state) {
    (void)state;
    lrnn_model *model = busy_model();
    lrnn_sample_params p = lrnn_sample_default_params();
    p.trials = 5, p.steps = 300, p.seed = 21;
    double *a = sample_into(model, &p, 2), *b = sample_into(model, &p, 2);
    size_t bytes = p.trials * p.steps * 6 * sizeof(double);
    assert_memory_equal(a, b, bytes);
    p.seed = 22;
    double *c = sample_into(model, &p, 2);
    assert_memory_not_equal(a, c, bytes);
    free(a), free(b), free(c);
    lrnn_model_free(model);
}

/* Latents do not depend on which outputs are requested, nor on the thread count. */
static void bits_independent_of_outputs_and_threads(void **state) {
    (void)state;
    lrnn_model *model = busy_model();
    lrnn_sample_params p = lrnn_sample_default_params();
    p.trials = 7, p.steps = 200, p.seed = 3;
    size_t rows = p.trials * p.steps;
    double *alone = sample_into(model, &p, 0);
    double *z = malloc(rows * 3 * sizeof *z), *r = malloc(rows * 6 * sizeof *r);
    double *y = malloc(rows * 6 * sizeof *y);
    lrnn_sample_output all = {z, r, y};
    assert_int_equal(lrnn_model_sample(model, &p, &all), LRNN_OK);
    assert_memory_equal(alone, z, rows * 3 * sizeof *z);
#ifdef _OPENMP
    int threads = omp_get_max_threads();
    const int counts[] = {1, 2, 5};
    for (int i = 0; i < 3; i++) {
        omp_set_num_threads(counts[i]);
        double *again = sample_into(model, &p, 2);
        assert_memory_equal(again, y, rows * 6 * sizeof *y);
        free(again);
    }
    omp_set_num_threads(threads);
#endif
    free(alone), free(z), free(r), free(y);
    lrnn_model_free(model);
}

/* Burn-in only drops steps: the kept latents are the tail of a longer run. */
static void burn_in_drops_leading_steps(void **state) {
    (void)state;
    lrnn_model *model = busy_model();
    lrnn_sample_params p = lrnn_sample_default_params();
    p.trials = 2, p.steps = 150, p.seed = 8;
    double *full = sample_into(model, &p, 0);
    p.steps = 100, p.burn_in = 50;
    double *kept = sample_into(model, &p, 0);
    for (size_t b = 0; b < 2; b++)
        assert_memory_equal(kept + b * 100 * 3, full + (b * 150 + 50) * 3, 100 * 3 * sizeof(double));
    free(full), free(kept);
    lrnn_model_free(model);
}

/* Readout of v alone (B_z = 0, B_v = 1): the rates are the input pathway, by spec 1.2:
 * direct v_t = u_t; filtered v_0 = 0, v_t = a v_{t-1} + (1 - a) u_{t-1}. */
static void input_pathways(void **state) {
    (void)state;
    enum { T = 6 };
    const double u[T] = {1, 1, 0, 2, 0, 0};
    for (int simulate = 0; simulate < 2; simulate++) {
        lrnn_model_config c = lrnn_model_default_config();
        c.rank = 2, c.units = 10, c.channels = 1, c.inputs = 1;
        c.readout_from = LRNN_FROM_Z_AND_V, c.simulate_input = simulate;
        lrnn_model *model = make(c);
        lrnn_param_view v = lrnn_model_view(model);
        const double B[] = {1, 0, 0};
        memcpy(v.B_obs, B, sizeof B);
        lrnn_sample_params p = lrnn_sample_default_params();
        p.trials = 1, p.steps = T, p.inputs = u;
        double *rates = sample_into(model, &p, 1);
        double a = 0.9, filtered = 0.0;
        for (int t = 0; t < T; t++) {
            if (t > 0) filtered = a * filtered + (1 - a) * u[t - 1];
            assert_float_equal(rates[t], simulate ? filtered : u[t], 1e-12);
        }
        free(rates);
        lrnn_model_free(model);
    }
}

static void rejects_empty_requests(void **state) {
    (void)state;
    lrnn_model *model = busy_model();
    lrnn_sample_params p = lrnn_sample_default_params();
    p.trials = 0;
    lrnn_sample_output out = {0};
    assert_int_equal(lrnn_model_sample(model, &p, &out), LRNN_ERR_ARG);
    assert_non_null(strstr(lrnn_last_error(), "trials"));
    p.trials = 1, p.steps = SIZE_MAX / 2;
    assert_int_equal(lrnn_model_sample(model, &p, &out), LRNN_ERR_ARG);
    assert_non_null(strstr(lrnn_last_error(), "too large"));
    lrnn_model_free(model);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ar1_stationary_variance),
        cmocka_unit_test(poisson_observation_moments),
        cmocka_unit_test(gaussian_full_observation_covariance),
        cmocka_unit_test(same_seed_same_bits_other_seed_other_bits),
        cmocka_unit_test(bits_independent_of_outputs_and_threads),
        cmocka_unit_test(burn_in_drops_leading_steps),
        cmocka_unit_test(input_pathways),
        cmocka_unit_test(rejects_empty_requests),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
