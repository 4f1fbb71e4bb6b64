/* The generative model: layout, hand-computed transitions, readouts, noise factors and the
 * orthogonalisation. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lrnn/model.h"

static lrnn_model_config small_config(lrnn_activation act) {
    lrnn_model_config c = lrnn_model_default_config();
    c.rank = 2;
    c.units = 3;
    c.channels = 3;
    c.inputs = 1;
    c.activation = act;
    return c;
}

/* m = [[1,0],[0,1],[1,1]], n = [[1,2,3],[-1,0,1]], h = [0.2,-0.1,0.5], W_u = [1,0,-1]^T,
 * a = 0.9. At z = (0.5, -1), v = 0.3 the currents are x = m z + W_u v = (0.8, -1.0, -0.8). */
static lrnn_model *hand_model(lrnn_activation act) {
    lrnn_model_config c = small_config(act);
    lrnn_model *model = NULL;
    assert_int_equal(lrnn_model_create(&c, &model), LRNN_OK);
    lrnn_param_view p = lrnn_model_view(model);
    const double m[] = {1, 0, 0, 1, 1, 1}, n[] = {1, 2, 3, -1, 0, 1}, h[] = {0.2, -0.1, 0.5};
    const double wu[] = {1, 0, -1};
    memcpy(p.m, m, sizeof m);
    memcpy(p.n, n, sizeof n);
    memcpy(p.h, h, sizeof h);
    memcpy(p.W_u, wu, sizeof wu);
    p.decay_param[0] = log(-log(0.9));
    return model;
}

static void transition_matches_hand_computation(void **state) {
    (void)state;
    /* mu = 0.9 z + n phi(x; h), worked out by hand per activation:
     *   relu(x - h)          = (0.6, 0, 0)          -> mu = (1.05, -1.5)
     *   relu(x + h)-relu(x)  = (1.0-0.8, 0, 0)      -> mu = (0.65, -1.1)
     *   x - h                = (0.6, -0.9, -1.3)    -> mu = (0.45+0.6-1.8-3.9, -0.9-0.6-1.3)
     *   tanh(x - h)          = tanh of the above    -> mu (numpy, 17 digits) */
    const struct {
        lrnn_activation act;
        double mu[2];
    } cases[] = {
        {LRNN_ACT_RELU, {1.05, -1.5}},
        {LRNN_ACT_CLIPPED_RELU, {0.65, -1.1}},
        {LRNN_ACT_IDENTITY, {-4.65, -2.8}},
        {LRNN_ACT_TANH, {-3.0307156513399325, -2.2987727263113418}},
    };
    const double z[] = {0.5, -1.0}, v[] = {0.3};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lrnn_model *model = hand_model(cases[i].act);
        lrnn_model_derived d;
        assert_int_equal(lrnn_model_derived_alloc(model, &d), LRNN_OK);
        assert_int_equal(lrnn_model_derived_update(model, &d), LRNN_OK);
        double mu[2], work[3];
        lrnn_model_transition_mean(model, &d, 1, z, v, mu, work);
        assert_float_equal(mu[0], cases[i].mu[0], 1e-12);
        assert_float_equal(mu[1], cases[i].mu[1], 1e-12);
        lrnn_model_derived_free(&d);
        lrnn_model_free(model);
    }
}

static void transition_rows_are_independent(void **state) {
    (void)state;
    lrnn_model *model = hand_model(LRNN_ACT_CLIPPED_RELU);
    lrnn_model_derived d;
    assert_int_equal(lrnn_model_derived_alloc(model, &d), LRNN_OK);
    assert_int_equal(lrnn_model_derived_update(model, &d), LRNN_OK);
    const double z[] = {0.5, -1.0, 0.1, 0.2}, v[] = {0.3, -0.4};
    double mu[4], single[2], work[6];
    lrnn_model_transition_mean(model, &d, 2, z, v, mu, work);
    lrnn_model_transition_mean(model, &d, 1, z + 2, v + 1, single, work);
    assert_memory_equal(mu + 2, single, sizeof single);
    lrnn_model_derived_free(&d);
    lrnn_model_free(model);
}

/* Readouts: one-to-one from rates with softplus, and affine from [v; z]. */
static void observation_means(void **state) {
    (void)state;
    lrnn_model *model = NULL;
    lrnn_model_config c = small_config(LRNN_ACT_RELU);
    c.readout = LRNN_READOUT_ONE_TO_ONE;
    c.readout_from = LRNN_FROM_RATES;
    c.obs = LRNN_OBS_POISSON;
    c.obs_nonlin = LRNN_G_SOFTPLUS;
    assert_int_equal(lrnn_model_create(&c, &model), LRNN_OK);
    lrnn_param_view p = lrnn_model_view(model);
    const double m[] = {1, 0, 0, 1, 1, 1}, h[] = {0.2, -0.1, 0.5}, wu[] = {1, 0, -1};
    const double B[] = {2, 1, 1}, bias[] = {0, 0.5, -1};
    memcpy(p.m, m, sizeof m), memcpy(p.h, h, sizeof h), memcpy(p.W_u, wu, sizeof wu);
    memcpy(p.B_obs, B, sizeof B), memcpy(p.bias_obs, bias, sizeof bias);
    const double z[] = {0.5, -1.0}, v[] = {0.3};
    double yhat[3], work[3];
    lrnn_model_observation_mean(model, 1, z, v, yhat, work);
    /* rates (0.6, 0, 0) -> B rates + bias = (1.2, 0.5, -1) -> softplus + 1e-6 */
    assert_float_equal(yhat[0], log1p(exp(1.2)) + 1e-6, 1e-12);
    assert_float_equal(yhat[1], log1p(exp(0.5)) + 1e-6, 1e-12);
    assert_float_equal(yhat[2], log1p(exp(-1.0)) + 1e-6, 1e-12);
    lrnn_model_free(model);

    c = small_config(LRNN_ACT_RELU);
    c.readout_from = LRNN_FROM_Z_AND_V;
    c.channels = 2;
    assert_int_equal(lrnn_model_create(&c, &model), LRNN_OK);
    p = lrnn_model_view(model);
    /* B is (dv + R) x X = 3 x 2, rows [v; z1; z2]. */
    const double Ba[] = {1, 2, 3, 4, 5, 6}, ba[] = {0.1, -0.1};
    memcpy(p.B_obs, Ba, sizeof Ba), memcpy(p.bias_obs, ba, sizeof ba);
    lrnn_model_observation_mean(model, 1, z, v, yhat, work);
    assert_float_equal(yhat[0], 0.1 + 0.3 * 1 + 0.5 * 3 - 1.0 * 5, 1e-12);
    assert_float_equal(yhat[1], -0.1 + 0.3 * 2 + 0.5 * 4 - 1.0 * 6, 1e-12);
    lrnn_model_free(model);
}

static void layout_is_contiguous_with_spec_shapes(void **state) {
    (void)state;
    lrnn_model_config c = small_config(LRNN_ACT_RELU);
    c.units = 7, c.rank = 3, c.channels = 4, c.inputs = 2;
    c.readout_from = LRNN_FROM_Z_AND_V;
    c.noise_x = LRNN_NOISE_SCALAR;
    c.decay = LRNN_DECAY_PER_DIM;
    lrnn_param_layout l;
    assert_int_equal(lrnn_param_layout_build(&c, &l), LRNN_OK);
    const struct {
        const char *name;
        size_t rows, cols;
    } want[] = {{"m", 7, 3},   {"n", 3, 7},   {"h", 7, 0},    {"decay_param", 3, 0},
                {"W_u", 7, 2}, {"z_init", 3, 0}, {"R_z", 3, 3}, {"R_z0", 3, 3},
                {"R_x", 1, 0}, {"B_obs", 5, 4}, {"bias_obs", 4, 0}};
    size_t offset = 0;
    assert_int_equal(l.count, (int)(sizeof want / sizeof want[0]));
    for (int i = 0; i < l.count; i++) {
        assert_string_equal(l.entry[i].name, want[i].name);
        assert_int_equal(l.entry[i].shape[0], want[i].rows);
        assert_int_equal(l.entry[i].shape[1], want[i].cols);
        assert_int_equal(l.entry[i].offset, offset);
        offset += l.entry[i].size;
    }
    assert_int_equal(l.total, offset);
}

static void config_check_rejects_bad_combinations(void **state) {
    (void)state;
    lrnn_model_config c = small_config(LRNN_ACT_RELU);
    lrnn_param_layout l;
    c.readout = LRNN_READOUT_ONE_TO_ONE, c.readout_from = LRNN_FROM_CURRENTS, c.channels = 5;
    assert_int_equal(lrnn_param_layout_build(&c, &l), LRNN_ERR_ARG);
    assert_non_null(strstr(lrnn_last_error(), "channels == units"));
    c = small_config(LRNN_ACT_RELU);
    c.obs = LRNN_OBS_POISSON;
    assert_int_equal(lrnn_model_config_check(&c), LRNN_ERR_ARG);
    assert_non_null(strstr(lrnn_last_error(), "positive"));
    c = small_config(LRNN_ACT_RELU);
    c.rank = 4;
    assert_int_equal(lrnn_model_config_check(&c), LRNN_ERR_ARG);
    c = small_config(LRNN_ACT_RELU);
    c.simulate_input = true, c.decay = LRNN_DECAY_PER_DIM;
    assert_int_equal(lrnn_model_config_check(&c), LRNN_ERR_ARG);
    c = small_config(LRNN_ACT_RELU);
    c.decay_init = 1.0;
    assert_int_equal(lrnn_model_config_check(&c), LRNN_ERR_ARG);
    lrnn_activation act;
    assert_int_equal(lrnn_activation_parse("sigmoid", &act), LRNN_ERR_ARG);
    assert_non_null(strstr(lrnn_last_error(), "clipped_relu"));
    assert_int_equal(lrnn_activation_parse("clipped_relu", &act), LRNN_OK);
    assert_int_equal(act, LRNN_ACT_CLIPPED_RELU);
}

/* full: L = tril(R,-1) + diag(exp(diag(R)/2)); diag: exp(r/2); scalar: exp(r/2) I. */
static void noise_cholesky_parameterisations(void **state) {
    (void)state;
    const double full[] = {log(4.0), 99.0, 0.5, log(9.0)};
    double L[4];
    lrnn_noise_cholesky(LRNN_NOISE_FULL, 2, full, L);
    assert_float_equal(L[0], 2.0, 1e-14);
    assert_float_equal(L[1], 0.0, 0.0); /* upper triangle ignored */
    assert_float_equal(L[2], 0.5, 0.0);
    assert_float_equal(L[3], 3.0, 1e-14);
    const double diag[] = {log(4.0), log(0.25)};
    lrnn_noise_cholesky(LRNN_NOISE_DIAG, 2, diag, L);
    assert_float_equal(L[0], 2.0, 1e-14);
    assert_float_equal(L[3], 0.5, 1e-14);
    assert_float_equal(L[1] + L[2], 0.0, 0.0);
    const double scalar[] = {log(0.01)};
    lrnn_noise_cholesky(LRNN_NOISE_SCALAR, 2, scalar, L);
    assert_float_equal(L[0], 0.1, 1e-15);
    assert_float_equal(L[3], 0.1, 1e-15);
}

static void initialisation_follows_spec(void **state) {
    (void)state;
    lrnn_model_config c = lrnn_model_default_config();
    c.units = 400, c.rank = 3, c.channels = 5;
    lrnn_model *model = NULL;
    assert_int_equal(lrnn_model_create(&c, &model), LRNN_OK);
    lrnn_param_view p = lrnn_model_view(model);
    double bn = 1.0 / sqrt(400.0), bm = 1.0 / sqrt(3.0);
    for (int i = 0; i < 1200; i++) {
        assert_true(fabs(p.n[i]) <= bn && fabs(p.m[i]) <= bm);
    }
    for (int i = 0; i < 400; i++) assert_true(fabs(p.h[i]) <= bn); /* clipped ReLU: U(+-1/sqrt N) */
    assert_float_equal(exp(-exp(p.decay_param[0])), 0.9, 1e-15);
    assert_float_equal(p.R_z[0], 2.0 * log(0.1), 1e-15);
    assert_float_equal(p.R_z[1], 0.0, 0.0);
    assert_float_equal(p.R_z0[4], 0.0, 1e-15); /* 2 log 1 */
    /* Same seed, same parameters; another seed, others. */
    lrnn_model *again = NULL, *other = NULL;
    assert_int_equal(lrnn_model_create(&c, &again), LRNN_OK);
    c.seed = 2;
    assert_int_equal(lrnn_model_create(&c, &other), LRNN_OK);
    size_t bytes = lrnn_model_layout(model)->total * sizeof(double);
    assert_memory_equal(lrnn_model_params(model), lrnn_model_params(again), bytes);
    assert_memory_not_equal(lrnn_model_params(model), lrnn_model_params(other), bytes);
    lrnn_model_free(model), lrnn_model_free(again), lrnn_model_free(other);
}

/* Noise-free rollout of the observation mean, T steps from z_0 = mu_0 with inputs. */
static void mean_rollout(const lrnn_model *model, const double *u, int T, double *yhat) {
    const lrnn_model_config *c = lrnn_model_config_of(model);
    int R = c->rank, N = c->units, X = c->channels;
    lrnn_model_derived d;
    assert_int_equal(lrnn_model_derived_alloc(model, &d), LRNN_OK);
    assert_int_equal(lrnn_model_derived_update(model, &d), LRNN_OK);
    double *z = calloc((size_t)R, sizeof *z), *next = calloc((size_t)R, sizeof *next);
    double *work = calloc((size_t)N, sizeof *work);
    lrnn_model_initial_mean(model, &d, u, z);
    for (int t = 0; t < T; t++) {
        lrnn_model_observation_mean(model, 1, z, u + t * c->inputs, yhat + t * X, work);
        lrnn_model_transition_mean(model, &d, 1, z, u + t * c->inputs, next, work);
        memcpy(z, next, (size_t)R * sizeof *z);
    }
    free(z), free(next), free(work);
    lrnn_model_derived_free(&d);
}

static void orthogonalise_keeps_the_model(void **state) {
    (void)state;
    lrnn_model_config c = lrnn_model_default_config();
    c.units = 20, c.rank = 3, c.channels = 4, c.inputs = 2;
    c.readout_from = LRNN_FROM_Z_AND_V;
    c.noise_z = LRNN_NOISE_DIAG;
    lrnn_model *model = NULL, *rotated = NULL;
    assert_int_equal(lrnn_model_create(&c, &model), LRNN_OK);
    lrnn_param_view p = lrnn_model_view(model);
    p.z_init[0] = 0.3, p.z_init[2] = -0.2;
    assert_int_equal(lrnn_model_clone(model, &rotated), LRNN_OK);
    double P[9];
    assert_int_equal(lrnn_model_orthogonalise(rotated, P), LRNN_OK);
    const lrnn_param_view q = lrnn_model_view(rotated);
    assert_int_equal(lrnn_model_config_of(rotated)->noise_z, LRNN_NOISE_FULL);
    /* m' has orthonormal columns, J is unchanged. */
    for (int a = 0; a < 3; a++)
        for (int b = 0; b < 3; b++) {
            double dot = 0.0;
            for (int i = 0; i < 20; i++) dot += q.m[i * 3 + a] * q.m[i * 3 + b];
            assert_float_equal(dot, a == b ? 1.0 : 0.0, 1e-12);
        }
    double *J = malloc(400 * sizeof *J), *J2 = malloc(400 * sizeof *J2);
    lrnn_model_connectivity(model, J);
    lrnn_model_connectivity(rotated, J2);
    for (int i = 0; i < 400; i++) assert_float_equal(J[i], J2[i], 1e-12);
    /* Sigma_z' = P Sigma_z P^T (Sigma_z diagonal with variance 0.01). */
    double L[9];
    lrnn_noise_cholesky(LRNN_NOISE_FULL, 3, q.R_z, L);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            double got = 0.0, want = 0.0;
            for (int k = 0; k < 3; k++) got += L[i * 3 + k] * L[j * 3 + k];
            for (int k = 0; k < 3; k++) want += P[i * 3 + k] * 0.01 * P[j * 3 + k];
            assert_float_equal(got, want, 1e-12);
        }
    /* The noise-free observation trajectory is identical in both bases. */
    enum { T = 30 };
    double u[T * 2], y1[T * 4], y2[T * 4];
    for (int i = 0; i < T * 2; i++) u[i] = sin(0.3 * i);
    mean_rollout(model, u, T, y1);
    mean_rollout(rotated, u, T, y2);
    for (int i = 0; i < T * 4; i++) assert_float_equal(y1[i], y2[i], 1e-10);
    free(J), free(J2);
    lrnn_model_free(model), lrnn_model_free(rotated);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(transition_matches_hand_computation),
        cmocka_unit_test(transition_rows_are_independent),
        cmocka_unit_test(observation_means),
        cmocka_unit_test(layout_is_contiguous_with_spec_shapes),
        cmocka_unit_test(config_check_rejects_bad_combinations),
        cmocka_unit_test(noise_cholesky_parameterisations),
        cmocka_unit_test(initialisation_follows_spec),
        cmocka_unit_test(orthogonalise_keeps_the_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
