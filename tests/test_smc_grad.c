/* Finite-difference checks of the hand-written SMC gradient. In replay mode the noise and the
 * ancestor indices are fixed, so the bound is a smooth function of the parameters (away from
 * ReLU kinks); central differences (five-point) in double precision must match every gradient
 * entry to a relative error below 1e-6. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lrnn/rng.h"
#include "lrnn/sample.h"
#include "lrnn/smc.h"

typedef struct grad_case {
    const char *name;
    lrnn_model_config config;
    lrnn_smc_params smc;
    double mask_fraction;
    bool varlen; /* trials of T, T - 2 and T - 3 steps */
} grad_case;

/* Perturb every parameter a little so that no gradient is trivially zero by symmetry. */
static void jitter(lrnn_model *model, uint64_t seed) {
    lrnn_rng r;
    lrnn_rng_init(&r, seed, LRNN_RNG_INIT, 7, 7);
    const lrnn_param_layout *l = lrnn_model_layout(model);
    double *p = lrnn_model_params(model);
    for (size_t i = 0; i < l->total; i++) p[i] += 0.1 * lrnn_rng_normal(&r);
}

enum { B = 3, T = 7 };

/* (-f(x+2h) + 8 f(x+h) - 8 f(x-h) + f(x-2h)) / 12h for the parameter at *x. */
static double five_point(lrnn_smc *smc, const lrnn_model *model, const lrnn_batch *batch,
                         double *x, double h) {
    const double offsets[4] = {2.0, 1.0, -1.0, -2.0}, weights[4] = {-1.0, 8.0, -8.0, 1.0};
    double saved = *x, acc = 0.0;
    for (int j = 0; j < 4; j++) {
        double f;
        *x = saved + offsets[j] * h;
        assert_int_equal(lrnn_smc_bound(smc, model, batch, 1, 0, &f, NULL, NULL), LRNN_OK);
        acc += weights[j] * f;
    }
    *x = saved;
    return acc / (12.0 * h);
}

static double check_case(const grad_case *gc) {
    lrnn_model *model = NULL;
    assert_int_equal(lrnn_model_create(&gc->config, &model), LRNN_OK);
    jitter(model, 3);
    const lrnn_model_config *c = lrnn_model_config_of(model);
    size_t X = (size_t)c->channels, U = (size_t)c->inputs;
    /* data: a sample of the model itself, inputs smooth, some entries masked */
    double *y = malloc(B * T * X * sizeof *y), *u = U ? malloc(B * T * U * sizeof *u) : NULL;
    uint8_t *mask = gc->mask_fraction > 0 ? malloc(B * T * X) : NULL;
    for (size_t i = 0; u && i < B * T * U; i++) u[i] = sin(0.7 * (double)i);
    lrnn_sample_params sp = lrnn_sample_default_params();
    sp.trials = B, sp.steps = T, sp.inputs = u, sp.seed = 5;
    lrnn_sample_output so = {.observations = y};
    assert_int_equal(lrnn_model_sample(model, &sp, &so), LRNN_OK);
    lrnn_rng r;
    lrnn_rng_init(&r, 11, LRNN_RNG_SAMPLE, 0, 0);
    for (size_t i = 0; mask && i < B * T * X; i++) mask[i] = lrnn_rng_uniform(&r) >= gc->mask_fraction;
    static const size_t lengths[B] = {T, T - 2, T - 3};
    lrnn_batch batch = {.B = B, .T = T, .X = X, .U = U, .y = y, .mask = mask, .u = u,
                        .lengths = gc->varlen ? lengths : NULL};

    lrnn_smc *smc = NULL;
    assert_int_equal(lrnn_smc_create(model, &gc->smc, T, 0, &smc), LRNN_OK);
    const lrnn_param_layout *l = lrnn_model_layout(model);
    double *grad = malloc(l->total * sizeof *grad), bound = 0.0, again = 0.0;
    assert_int_equal(lrnn_smc_bound(smc, model, &batch, 1, 0, &bound, grad, NULL), LRNN_OK);
    lrnn_smc_set_replay(smc, true);
    assert_int_equal(lrnn_smc_bound(smc, model, &batch, 1, 0, &again, NULL, NULL), LRNN_OK);
    assert_true(bound == again); /* replay is exact */
    double *theta = lrnn_model_params(model), worst = 0.0;
    const char *worst_name = "";
    for (int e = 0; e < l->count; e++) {
        const lrnn_param_entry *pe = &l->entry[e];
        for (size_t i = 0; i < pe->size; i++) {
            size_t at = pe->offset + i;
            /* Five-point stencil: truncation error O(h^4), so h = 1e-4 keeps rounding noise
             * (~1e-16 |bound| / h) far below the tolerance. A piecewise-linear activation can
             * put a kink inside the stencil, where no difference quotient is the derivative;
             * a second stencil ten times narrower then avoids it, so an entry passes when
             * either stencil agrees (a wrong gradient disagrees with both). */
            double an = grad[at], rel = INFINITY, scale = fmax(1.0, fabs(theta[at]));
            for (double h = 1e-4 * scale; h > 5e-6 * scale && rel > 1e-6; h /= 10.0) {
                double fd = five_point(smc, model, &batch, theta + at, h);
                rel = fmin(rel, fabs(fd - an) / fmax(fabs(fd) + fabs(an), 1e-4));
            }
            if (rel > worst) worst = rel, worst_name = pe->name;
            if (rel > 1e-6)
                print_error("%s: %s[%zu] analytic %.10g (rel %.2g)\n", gc->name, pe->name, i,
                            an, rel);
        }
    }
    printf("%-44s %4zu parameters, worst relative error %.2e (%s)\n", gc->name, l->total, worst,
           worst_name);
    free(grad), free(y), free(u), free(mask);
    lrnn_smc_free(smc);
    lrnn_model_free(model);
    return worst;
}

static lrnn_model_config base(void) {
    lrnn_model_config c = lrnn_model_default_config();
    c.rank = 2, c.units = 6, c.channels = 4;
    c.activation = LRNN_ACT_TANH;
    c.init_noise_z = 0.3, c.init_noise_x = 0.5;
    return c;
}

static void gradients_match_finite_differences(void **state) {
    (void)state;
    grad_case cases[28];
    int n = 0;
    lrnn_smc_params opt = lrnn_smc_default_params();
    opt.particles = 5;
    lrnn_smc_params ratio = opt, boot = opt;
    ratio.weights = LRNN_WEIGHTS_RATIO;
    boot.proposal = LRNN_PROPOSAL_BOOTSTRAP;

    cases[n++] = (grad_case){"optimal analytic, affine z, full noise", base(), opt, 0, false};
    cases[n++] = (grad_case){"optimal ratio, affine z, full noise", base(), ratio, 0, false};
    cases[n++] = (grad_case){"bootstrap, affine z, full noise", base(), boot, 0, false};
    lrnn_model_config r5 = base();
    r5.rank = 5, r5.units = 7, r5.obs = LRNN_OBS_POISSON, r5.obs_nonlin = LRNN_G_SOFTPLUS;
    cases[n++] = (grad_case){"bootstrap, rank 5 (generic rows), Poisson", r5, boot, 0.2, false};

    lrnn_model_config c = base();
    c.units = c.channels = 5, c.inputs = 2;
    c.readout = LRNN_READOUT_ONE_TO_ONE, c.readout_from = LRNN_FROM_CURRENTS;
    cases[n++] = (grad_case){"optimal analytic, one-to-one, inputs, masks", c, opt, 0.25, false};
    c.simulate_input = true, c.noise_z = LRNN_NOISE_DIAG, c.noise_x = LRNN_NOISE_SCALAR;
    cases[n++] = (grad_case){"optimal ratio, one-to-one, filtered, masks", c, ratio, 0.25, false};
    cases[n++] = (grad_case){"bootstrap, one-to-one, filtered, masks", c, boot, 0.25, false};

    c = base();
    c.inputs = 2, c.readout_from = LRNN_FROM_Z_AND_V, c.decay = LRNN_DECAY_PER_DIM;
    c.noise_z = LRNN_NOISE_SCALAR, c.noise_z0 = LRNN_NOISE_DIAG, c.init_state = LRNN_INIT_ZERO;
    cases[n++] = (grad_case){"optimal analytic, z_and_v, per-dim decay", c, opt, 0.2, false};
    cases[n++] = (grad_case){"optimal ratio, z_and_v, per-dim decay", c, ratio, 0, false};

    c = base();
    c.activation = LRNN_ACT_CLIPPED_RELU;
    lrnn_smc_params ess = boot;
    ess.ess_threshold = 0.6, ess.resample = LRNN_RESAMPLE_MULTINOMIAL;
    cases[n++] = (grad_case){"bootstrap clipped ReLU, ESS 0.6, multinomial", c, ess, 0, false};
    lrnn_smc_params ess_opt = opt;
    ess_opt.ess_threshold = 0.8;
    cases[n++] = (grad_case){"optimal clipped ReLU, ESS 0.8", c, ess_opt, 0.1, false};

    c = base();
    c.units = c.channels = 5, c.inputs = 1;
    c.obs = LRNN_OBS_POISSON, c.obs_nonlin = LRNN_G_SOFTPLUS;
    c.readout = LRNN_READOUT_ONE_TO_ONE, c.readout_from = LRNN_FROM_RATES;
    c.noise_z = LRNN_NOISE_DIAG;
    cases[n++] = (grad_case){"bootstrap Poisson, one-to-one rates", c, boot, 0.2, false};
    c.readout = LRNN_READOUT_AFFINE, c.readout_from = LRNN_FROM_Z, c.obs_nonlin = LRNN_G_EXP;
    cases[n++] = (grad_case){"bootstrap Poisson, affine exp", c, boot, 0, false};
    c.inputs = 2, c.readout_from = LRNN_FROM_Z_AND_V, c.obs_nonlin = LRNN_G_RELU;
    cases[n++] = (grad_case){"bootstrap Poisson, z_and_v ReLU link, masks", c, boot, 0.2, false};
    c = base();
    c.activation = LRNN_ACT_IDENTITY, c.obs_nonlin = LRNN_G_SOFTPLUS;
    cases[n++] = (grad_case){"bootstrap identity, Gaussian softplus", c, boot, 0, false};
    c.obs_nonlin = LRNN_G_RELU;
    cases[n++] = (grad_case){"bootstrap identity, Gaussian ReLU link", c, boot, 0.2, false};

    /* forward-prediction tails: bootstrap steps without resampling after the proposal's */
    lrnn_smc_params opt_tail = opt, boot_tail = boot;
    opt_tail.t_forward = 2, boot_tail.t_forward = 3;
    cases[n++] = (grad_case){"optimal analytic, forward tail 2", base(), opt_tail, 0.2, false};
    cases[n++] = (grad_case){"bootstrap, forward tail 3", base(), boot_tail, 0, false};

    /* encoder proposal (spec 3.5): the encoder's parameters are checked with the rest */
    lrnn_smc_params enc = opt;
    enc.proposal = LRNN_PROPOSAL_ENCODER;
    c = base();
    c.noise_z = c.noise_z0 = LRNN_NOISE_DIAG;
    c.encoder.layers = 3, c.encoder.kernel[0] = 3, c.encoder.kernel[1] = 2;
    c.encoder.kernel[2] = 1, c.encoder.hidden[0] = 4, c.encoder.hidden[1] = 3;
    c.encoder.init_scale = 0.5;
    cases[n++] = (grad_case){"encoder causal GELU, Gaussian affine", c, enc, 0, false};
    lrnn_model_config p = c;
    p.units = p.channels = 5, p.inputs = 2, p.heldout_channels = 1;
    p.obs = LRNN_OBS_POISSON, p.obs_nonlin = LRNN_G_SOFTPLUS;
    p.readout = LRNN_READOUT_ONE_TO_ONE, p.readout_from = LRNN_FROM_CURRENTS;
    p.encoder.activation = LRNN_ENCODER_ACT_LEAKY_RELU, p.encoder.mask_channels = true;
    p.encoder.pad_location = LRNN_ENCODER_PAD_ACAUSAL;
    p.encoder.pad_mode = LRNN_ENCODER_PAD_REFLECT;
    lrnn_smc_params enc_tail = enc;
    enc_tail.t_forward = 2;
    cases[n++] = (grad_case){"encoder acausal, Poisson, inputs, held-out, masks, tail", p,
                             enc_tail, 0.2, false};
    c.noise_z = LRNN_NOISE_SCALAR, c.encoder.constant_var = true;
    c.encoder.pad_location = LRNN_ENCODER_PAD_CENTRED, c.encoder.pad_mode = LRNN_ENCODER_PAD_CIRCULAR;
    cases[n++] = (grad_case){"encoder centred circular, constant variance", c, enc, 0, false};
    cases[n++] = (grad_case){"encoder, variable-length trials", c, enc_tail, 0.1, true};
    cases[n++] = (grad_case){"optimal analytic, variable-length trials", base(), opt, 0, true};

    double worst = 0.0;
    for (int i = 0; i < n; i++) worst = fmax(worst, check_case(&cases[i]));
    assert_true(worst < 1e-6);
}

/* Variable-length trials: whatever the padding after a trial's length holds, the bound and
 * its gradient are the same numbers (an acausal encoder would see it if it were not masked). */
static void padding_never_enters(void **state) {
    (void)state;
    lrnn_model_config c = base();
    c.noise_z = c.noise_z0 = LRNN_NOISE_DIAG;
    c.encoder.layers = 2, c.encoder.kernel[0] = 3, c.encoder.kernel[1] = 2;
    c.encoder.hidden[0] = 4, c.encoder.pad_location = LRNN_ENCODER_PAD_ACAUSAL;
    lrnn_model *model = NULL;
    assert_int_equal(lrnn_model_create(&c, &model), LRNN_OK);
    size_t X = (size_t)c.channels, total = lrnn_model_layout(model)->total;
    double y[B * T * 4], g1[512], g2[512], b1, b2;
    assert_true(X == 4 && total <= 512);
    for (size_t i = 0; i < B * T * X; i++) y[i] = sin(0.3 * (double)i);
    static const size_t lengths[B] = {T - 1, 3, T};
    lrnn_batch batch = {.B = B, .T = T, .X = X, .y = y, .lengths = lengths};
    lrnn_smc_params p = lrnn_smc_default_params();
    p.proposal = LRNN_PROPOSAL_ENCODER, p.particles = 4, p.t_forward = 1;
    lrnn_smc *smc = NULL;
    assert_int_equal(lrnn_smc_create(model, &p, T, 0, &smc), LRNN_OK);
    assert_int_equal(lrnn_smc_bound(smc, model, &batch, 3, 0, &b1, g1, NULL), LRNN_OK);
    for (size_t b = 0; b < B; b++)
        for (size_t t = lengths[b]; t < T; t++)
            for (size_t i = 0; i < X; i++) y[(b * T + t) * X + i] = 1e3;
    assert_int_equal(lrnn_smc_bound(smc, model, &batch, 3, 0, &b2, g2, NULL), LRNN_OK);
    assert_true(b1 == b2);
    assert_memory_equal(g1, g2, total * sizeof *g1);
    lrnn_smc_free(smc);
    lrnn_model_free(model);
}

/* The bound is the same number for any thread count (trials run in parallel). */
static void bound_independent_of_threads(void **state) {
    (void)state;
    lrnn_model_config c = base();
    lrnn_model *model = NULL;
    assert_int_equal(lrnn_model_create(&c, &model), LRNN_OK);
    double y[5 * T * 4];
    for (size_t i = 0; i < sizeof y / sizeof y[0]; i++) y[i] = cos(0.3 * (double)i);
    lrnn_batch batch = {.B = 5, .T = T, .X = 4, .y = y};
    lrnn_smc_params p = lrnn_smc_default_params();
    double bounds[3], *grads[3];
    const int threads[3] = {1, 2, 3};
    size_t total = lrnn_model_layout(model)->total;
    for (int i = 0; i < 3; i++) {
        lrnn_smc *smc = NULL;
        grads[i] = malloc(total * sizeof(double));
        assert_int_equal(lrnn_smc_create(model, &p, T, threads[i], &smc), LRNN_OK);
        assert_int_equal(lrnn_smc_bound(smc, model, &batch, 9, 4, &bounds[i], grads[i], NULL),
                         LRNN_OK);
        lrnn_smc_free(smc);
    }
    for (int i = 1; i < 3; i++) {
        assert_true(bounds[i] == bounds[0]);
        assert_memory_equal(grads[i], grads[0], total * sizeof(double));
    }
    for (int i = 0; i < 3; i++) free(grads[i]);
    lrnn_model_free(model);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(gradients_match_finite_differences),
        cmocka_unit_test(bound_independent_of_threads),
        cmocka_unit_test(padding_never_enters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
