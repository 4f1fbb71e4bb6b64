/* The CNN encoder (spec smc_rnn_method.md §3.6): central finite differences for every parameter
 * over every activation, padding location and mode and convolution kernel; causality and
 * receptive fields; padding modes against hand-computed outputs; mask channels; batch and
 * kernel agreement; initialisation statistics; bad configurations and inputs; a short fit with
 * the optimiser. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "encoder/internal.h"
#include "lrnn/encoder.h"
#include "lrnn/optim.h"
#include "lrnn/rng.h"

/* ---- helpers ---- */

/* X = 3, R = 2, kernels 4, 3, 2, channels 5, 4: every layer pads, the heads too. */
static lrnn_encoder_config small_config(lrnn_encoder_act a, lrnn_encoder_pad_location loc,
                                        lrnn_encoder_pad_mode mode) {
    lrnn_encoder_config c = lrnn_encoder_default_params();
    c.channels = 3, c.rank = 2, c.layers = 3;
    c.kernel[0] = 4, c.kernel[1] = 3, c.kernel[2] = 2;
    c.hidden[0] = 5, c.hidden[1] = 4;
    c.activation = a, c.pad_location = loc, c.pad_mode = mode;
    return c;
}

static double *alloc_params(const lrnn_encoder_config *c, lrnn_param_layout *l, uint64_t seed) {
    assert_int_equal(lrnn_encoder_layout(c, l), LRNN_OK);
    double *p = malloc(l->total * sizeof *p);
    assert_non_null(p);
    assert_int_equal(lrnn_encoder_init(c, p, seed), LRNN_OK);
    return p;
}

static void fill_normal(uint64_t seed, uint64_t stream, double scale, double *x, size_t n) {
    lrnn_rng r;
    lrnn_rng_init(&r, seed, LRNN_RNG_SAMPLE, stream, 0);
    for (size_t i = 0; i < n; i++)
        x[i] = scale * lrnn_rng_normal(&r);
}

/* A fixed problem: data, a mask (when the config has mask channels: about a quarter of the
 * entries missing, NaN in y there) and the adjoints wm, wl of the scalar
 *     f(theta) = sum wm . mean + sum wl . logvar,
 * whose gradient is exactly what backward computes from dmean = wm, dlogvar = wl. */
typedef struct problem {
    lrnn_encoder_config c;
    size_t B, T, X, R;
    double *y, *wm, *wl, *mean, *logvar;
    uint8_t *mask;
    lrnn_encoder_workspace *ws;
} problem;

static problem problem_make(const lrnn_encoder_config *c, size_t B, size_t T, uint64_t seed) {
    problem p = {.c = *c, .B = B, .T = T, .X = (size_t)c->channels, .R = (size_t)c->rank};
    size_t n = B * T * p.X, m = B * T * p.R;
    p.y = malloc(n * sizeof *p.y);
    p.wm = malloc(m * sizeof *p.wm);
    p.wl = malloc(m * sizeof *p.wl);
    p.mean = malloc(m * sizeof *p.mean);
    p.logvar = malloc(m * sizeof *p.logvar);
    assert_true(p.y && p.wm && p.wl && p.mean && p.logvar);
    /* scale 2: pre-activations spread over the curved part of GELU */
    fill_normal(seed, 1, 2.0, p.y, n);
    fill_normal(seed, 2, 1.0, p.wm, m);
    fill_normal(seed, 3, 1.0, p.wl, m);
    p.mask = NULL;
    if (c->mask_channels) {
        p.mask = malloc(n);
        assert_non_null(p.mask);
        lrnn_rng r;
        lrnn_rng_init(&r, seed, LRNN_RNG_SAMPLE, 4, 0);
        for (size_t i = 0; i < n; i++) {
            p.mask[i] = lrnn_rng_uniform(&r) > 0.25;
            if (!p.mask[i]) p.y[i] = NAN;
        }
    }
    assert_int_equal(lrnn_encoder_workspace_create(c, T, B, &p.ws), LRNN_OK);
    return p;
}

static void problem_free(problem *p) {
    free(p->y), free(p->wm), free(p->wl), free(p->mean), free(p->logvar), free(p->mask);
    lrnn_encoder_workspace_free(p->ws);
}

static double objective(problem *p, const double *theta) {
    assert_int_equal(lrnn_encoder_forward(&p->c, theta, p->ws, p->B, p->T, p->y, p->X, p->mask,
                                          p->mean, p->logvar),
                     LRNN_OK);
    double f = 0.0;
    for (size_t i = 0; i < p->B * p->T * p->R; i++)
        f += p->wm[i] * p->mean[i] + p->wl[i] * p->logvar[i];
    return f;
}

/* Central differences, step h = 1e-5, for every parameter; returns the largest error
 *     |g - fd| / max(|g|, |fd|, 1e-3 max_j |g_j|).
 * The error model: truncation h^2 |f'''| / 6 ~ 1e-11 (the parameters, data and adjoints are
 * O(1)); rounding eps |f| / h ~ 2e-16 * 30 / 1e-5 ~ 1e-9 absolute, which relative to gradients
 * of at least 1e-3 of the largest (O(1)) stays below 1e-6. The floor keeps an entry whose
 * gradient happens to be nearly zero from being judged by rounding noise alone. */
static double gradient_error(const lrnn_encoder_config *c, encoder_impl impl, uint64_t seed,
                             const char *label) {
    size_t B = 2, T = 7;
    problem p;
    lrnn_param_layout l;
    double *theta = NULL;
    /* Leaky ReLU: draw again (seed + 1000) until no pre-activation lies within 1e-3 of the
     * kink; a step of 1e-5 moves a pre-activation by far less, so none is crossed. */
    for (int tries = 0;; tries++, seed += 1000) {
        assert_true(tries < 20);
        p = problem_make(c, B, T, seed);
        encoder_set_impl(p.ws, impl);
        theta = alloc_params(c, &l, seed);
        /* Larger than the initial scale so every layer's nonlinearity is exercised. */
        for (size_t i = 0; i < l.total; i++)
            theta[i] *= 3.0;
        objective(&p, theta);
        if (c->activation != LRNN_ENCODER_ACT_LEAKY_RELU || encoder_min_abs_preact(p.ws) > 1e-3)
            break;
        free(theta);
        problem_free(&p);
    }
    double *g = calloc(l.total, sizeof *g), *fd = malloc(l.total * sizeof *fd);
    assert_true(g && fd);
    assert_int_equal(lrnn_encoder_backward(c, theta, p.ws, p.wm, p.wl, g), LRNN_OK);
    const double h = 1e-5;
    double scale = 0.0;
    for (size_t i = 0; i < l.total; i++) {
        double keep = theta[i];
        theta[i] = keep + h;
        double up = objective(&p, theta);
        theta[i] = keep - h;
        double down = objective(&p, theta);
        theta[i] = keep;
        fd[i] = (up - down) / (2.0 * h);
        if (fabs(g[i]) > scale) scale = fabs(g[i]);
    }
    assert_true(scale > 0.0);
    double worst = 0.0;
    const char *where = "";
    for (int e = 0; e < l.count; e++) {
        const lrnn_param_entry *en = &l.entry[e];
        for (size_t i = en->offset; i < en->offset + en->size; i++) {
            double den = fmax(fmax(fabs(g[i]), fabs(fd[i])), 1e-3 * scale);
            double err = fabs(g[i] - fd[i]) / den;
            if (err > worst) worst = err, where = en->name;
        }
    }
    printf("  fd %-44s %-12s max rel err %.2e (%s, %zu params)\n", label, encoder_impl_name(impl),
           worst, where, l.total);
    free(theta), free(g), free(fd);
    problem_free(&p);
    return worst;
}

/* ---- finite differences ---- */

static void gradient_every_configuration(void **state) {
    (void)state;
    const encoder_impl impls[] = {ENCODER_IMPL_IM2COL, ENCODER_IMPL_SHIFTED, ENCODER_IMPL_DIRECT};
    uint64_t seed = 11;
    for (int a = 0; a <= LRNN_ENCODER_ACT_LEAKY_RELU; a++)
        for (int loc = 0; loc <= LRNN_ENCODER_PAD_CENTRED; loc++)
            for (int mode = 0; mode <= LRNN_ENCODER_PAD_CIRCULAR; mode++)
                for (int k = 0; k < 3; k++) {
                    lrnn_encoder_config c =
                        small_config((lrnn_encoder_act)a, (lrnn_encoder_pad_location)loc,
                                     (lrnn_encoder_pad_mode)mode);
                    /* constant variance and mask channels in alternating cases */
                    c.constant_var = (loc + mode) % 2 == 1;
                    c.mask_channels = (a + mode) % 2 == 1;
                    char label[96];
                    snprintf(label, sizeof label, "%s %s %s%s%s",
                             lrnn_encoder_act_name(c.activation),
                             lrnn_encoder_pad_location_name(c.pad_location),
                             lrnn_encoder_pad_mode_name(c.pad_mode),
                             c.constant_var ? " const-var" : "", c.mask_channels ? " mask" : "");
                    assert_true(gradient_error(&c, impls[k], seed++, label) < 1e-6);
                }
}

/* Other layer structures: two layers (one hidden), four layers, 1-wide kernels everywhere,
 * a kernel as long as the window, and a single step. */
static void gradient_layer_structures(void **state) {
    (void)state;
    const encoder_impl impls[] = {ENCODER_IMPL_IM2COL, ENCODER_IMPL_SHIFTED, ENCODER_IMPL_DIRECT};
    for (int k = 0; k < 3; k++) {
        lrnn_encoder_config c =
            small_config(LRNN_ENCODER_ACT_GELU, LRNN_ENCODER_PAD_CAUSAL, LRNN_ENCODER_PAD_ZEROS);
        c.layers = 2, c.kernel[0] = 3, c.kernel[1] = 3, c.hidden[0] = 6;
        assert_true(gradient_error(&c, impls[k], 101, "2 layers [3,3] [6]") < 1e-6);

        c = small_config(LRNN_ENCODER_ACT_LEAKY_RELU, LRNN_ENCODER_PAD_CENTRED,
                         LRNN_ENCODER_PAD_REFLECT);
        c.layers = 4, c.kernel[2] = 3, c.kernel[3] = 2, c.hidden[2] = 3;
        assert_true(gradient_error(&c, impls[k], 102, "4 layers [4,3,3,2] [5,4,3]") < 1e-6);

        c = small_config(LRNN_ENCODER_ACT_GELU, LRNN_ENCODER_PAD_ACAUSAL,
                         LRNN_ENCODER_PAD_CIRCULAR);
        c.kernel[0] = 1, c.kernel[1] = 1, c.kernel[2] = 1;
        assert_true(gradient_error(&c, impls[k], 103, "kernels [1,1,1]") < 1e-6);

        c = small_config(LRNN_ENCODER_ACT_GELU, LRNN_ENCODER_PAD_CAUSAL, LRNN_ENCODER_PAD_CIRCULAR);
        c.kernel[0] = 8, c.kernel[2] = 1; /* circular pad 7 with T = 7: the longest allowed */
        assert_true(gradient_error(&c, impls[k], 104, "kernel 8 = T+1, circular") < 1e-6);
    }
}

/* backward adds to what grad holds. */
static void backward_accumulates(void **state) {
    (void)state;
    lrnn_encoder_config c =
        small_config(LRNN_ENCODER_ACT_GELU, LRNN_ENCODER_PAD_CAUSAL, LRNN_ENCODER_PAD_ZEROS);
    problem p = problem_make(&c, 2, 6, 5);
    lrnn_param_layout l;
    double *theta = alloc_params(&c, &l, 5);
    double *g = calloc(l.total, sizeof *g), *g2 = malloc(l.total * sizeof *g2);
    assert_true(g && g2);
    objective(&p, theta);
    assert_int_equal(lrnn_encoder_backward(&c, theta, p.ws, p.wm, p.wl, g), LRNN_OK);
    for (size_t i = 0; i < l.total; i++)
        g2[i] = 0.5 + (double)i;
    assert_int_equal(lrnn_encoder_backward(&c, theta, p.ws, p.wm, p.wl, g2), LRNN_OK);
    for (size_t i = 0; i < l.total; i++)
        assert_true(g2[i] == (0.5 + (double)i) + g[i]);
    /* dlogvar = NULL is a zero adjoint */
    memset(g, 0, l.total * sizeof *g);
    memset(g2, 0, l.total * sizeof *g2);
    assert_int_equal(lrnn_encoder_backward(&c, theta, p.ws, p.wm, NULL, g), LRNN_OK);
    memset(p.wl, 0, p.B * p.T * p.R * sizeof *p.wl);
    assert_int_equal(lrnn_encoder_backward(&c, theta, p.ws, p.wm, p.wl, g2), LRNN_OK);
    assert_memory_equal(g, g2, l.total * sizeof *g);
    free(theta), free(g), free(g2);
    problem_free(&p);
}

/* ---- causality and receptive fields ---- */

/* Set of output steps that change when input step s changes: returns first/last changed step
 * (last < first when none changed). */
static void changed_outputs(problem *p, const double *theta, size_t s, long *first, long *last) {
    size_t m = p->T * p->R;
    double *m0 = malloc(m * sizeof *m0), *l0 = malloc(m * sizeof *l0);
    assert_true(m0 && l0);
    objective(p, theta);
    memcpy(m0, p->mean, m * sizeof *m0);
    memcpy(l0, p->logvar, m * sizeof *l0);
    double keep[8];
    for (size_t x = 0; x < p->X; x++)
        keep[x] = p->y[s * p->X + x], p->y[s * p->X + x] += 1.0;
    objective(p, theta);
    for (size_t x = 0; x < p->X; x++)
        p->y[s * p->X + x] = keep[x];
    *first = (long)p->T, *last = -1;
    for (size_t t = 0; t < p->T; t++) {
        bool same = memcmp(m0 + t * p->R, p->mean + t * p->R, p->R * sizeof *m0) == 0 &&
                    memcmp(l0 + t * p->R, p->logvar + t * p->R, p->R * sizeof *l0) == 0;
        if (same) continue;
        if ((long)t < *first) *first = (long)t;
        *last = (long)t;
        /* the changed steps form one interval: nothing unchanged inside it is checked below */
    }
    /* every step in [first, last] must have changed (no holes) */
    for (long t = *first; t <= *last; t++)
        assert_true(memcmp(m0 + t * (long)p->R, p->mean + t * (long)p->R, p->R * sizeof *m0) != 0 ||
                    memcmp(l0 + t * (long)p->R, p->logvar + t * (long)p->R, p->R * sizeof *l0) !=
                        0);
    free(m0), free(l0);
}

/* Zero and replicate padding add no information from elsewhere in the window, so a change of
 * y_s moves exactly the outputs whose window contains s: causal [s, s + RF - 1], acausal
 * [s - RF + 1, s], centred [s - right, s + left] with left/right the summed paddings. */
static void receptive_fields_exact(void **state) {
    (void)state;
    const size_t T = 16;
    for (int loc = 0; loc <= LRNN_ENCODER_PAD_CENTRED; loc++)
        for (int mode = 0; mode <= LRNN_ENCODER_PAD_REPLICATE; mode += 2) {
            lrnn_encoder_config c = small_config(
                LRNN_ENCODER_ACT_GELU, (lrnn_encoder_pad_location)loc, (lrnn_encoder_pad_mode)mode);
            c.kernel[0] = 5; /* RF = 4 + 2 + 1 + 1 = 8 */
            long rf = lrnn_encoder_receptive_field(&c);
            assert_int_equal(rf, 8);
            long left = 0, right = 0;
            for (int i = 0; i < c.layers; i++)
                left += c.kernel[i] / 2, right += c.kernel[i] - 1 - c.kernel[i] / 2;
            problem p = problem_make(&c, 1, T, 21);
            lrnn_param_layout l;
            double *theta = alloc_params(&c, &l, 21);
            for (size_t s = 0; s < T; s++) {
                long first, last, lo, hi, S = (long)s;
                changed_outputs(&p, theta, s, &first, &last);
                if (loc == LRNN_ENCODER_PAD_CAUSAL)
                    lo = S, hi = S + rf - 1;
                else if (loc == LRNN_ENCODER_PAD_ACAUSAL)
                    lo = S - rf + 1, hi = S;
                else
                    lo = S - right, hi = S + left;
                lo = lo < 0 ? 0 : lo;
                hi = hi > (long)T - 1 ? (long)T - 1 : hi;
                if (first != lo || last != hi)
                    fail_msg("%s %s: y_%zu changed outputs %ld..%ld, expected %ld..%ld",
                             lrnn_encoder_pad_location_name(c.pad_location),
                             lrnn_encoder_pad_mode_name(c.pad_mode), s, first, last, lo, hi);
            }
            free(theta);
            problem_free(&p);
        }
}

/* Causal output at t is unchanged when y after t changes (any future, not one step): for zero
 * and replicate padding at every t; for reflect and circular padding, whose first steps hold
 * later values, from t = sum_i (k_i - 1) on, and the leak before that is real. */
static void causal_outputs_ignore_the_future(void **state) {
    (void)state;
    const size_t T = 14;
    for (int mode = 0; mode <= LRNN_ENCODER_PAD_CIRCULAR; mode++) {
        lrnn_encoder_config c = small_config(LRNN_ENCODER_ACT_GELU, LRNN_ENCODER_PAD_CAUSAL,
                                             (lrnn_encoder_pad_mode)mode);
        size_t from = (mode == LRNN_ENCODER_PAD_REFLECT || mode == LRNN_ENCODER_PAD_CIRCULAR)
                          ? (size_t)lrnn_encoder_receptive_field(&c) - 1
                          : 0;
        problem p = problem_make(&c, 1, T, 31);
        lrnn_param_layout l;
        double *theta = alloc_params(&c, &l, 31);
        size_t m = T * p.R;
        double *m0 = malloc(m * sizeof *m0), *l0 = malloc(m * sizeof *l0);
        double *y0 = malloc(T * p.X * sizeof *y0);
        memcpy(y0, p.y, T * p.X * sizeof *y0);
        objective(&p, theta);
        memcpy(m0, p.mean, m * sizeof *m0), memcpy(l0, p.logvar, m * sizeof *l0);
        for (size_t t = from; t + 1 < T; t++) {
            memcpy(p.y, y0, T * p.X * sizeof *y0);
            fill_normal(t + 100, 9, 3.0, p.y + (t + 1) * p.X, (T - t - 1) * p.X);
            objective(&p, theta);
            size_t o = from * p.R, len = (t + 1 - from) * p.R * sizeof *m0;
            assert_memory_equal(m0 + o, p.mean + o, len);
            assert_memory_equal(l0 + o, p.logvar + o, len);
            assert_memory_not_equal(m0 + (t + 1) * p.R, p.mean + (t + 1) * p.R, p.R * sizeof *m0);
        }
        if (from > 0) { /* the first output sees later steps through the padding */
            memcpy(p.y, y0, T * p.X * sizeof *y0);
            size_t s = mode == LRNN_ENCODER_PAD_REFLECT ? 1 : T - 1;
            p.y[s * p.X] += 1.0;
            objective(&p, theta);
            assert_memory_not_equal(m0, p.mean, p.R * sizeof *m0);
        }
        free(m0), free(l0), free(y0), free(theta);
        problem_free(&p);
    }
}

/* ---- padding against hand-computed outputs ---- */

/* X = R = 1, layers [k, 1], one hidden channel, leaky ReLU, weights 1, 10, 100 (, 1000) and
 * zero biases, head weight 1: with positive data the output is
 *     mean_t = sum_j 10^j ypad_{t+j}
 * whose decimal digits spell the padded window backwards. y = 1, 2, 3, 4. */
static void padding_modes_by_hand(void **state) {
    (void)state;
    static const struct {
        int k;
        lrnn_encoder_pad_location loc;
        lrnn_encoder_pad_mode mode;
        double want[4];
    } cases[] = {
        /* causal, k = 3: ypad = (p, q, 1, 2, 3, 4) */
        {3, LRNN_ENCODER_PAD_CAUSAL, LRNN_ENCODER_PAD_ZEROS, {100, 210, 321, 432}},     /* 0 0 */
        {3, LRNN_ENCODER_PAD_CAUSAL, LRNN_ENCODER_PAD_REFLECT, {123, 212, 321, 432}},   /* 3 2 */
        {3, LRNN_ENCODER_PAD_CAUSAL, LRNN_ENCODER_PAD_REPLICATE, {111, 211, 321, 432}}, /* 1 1 */
        {3, LRNN_ENCODER_PAD_CAUSAL, LRNN_ENCODER_PAD_CIRCULAR, {143, 214, 321, 432}},  /* 3 4 */
        /* acausal: ypad = (1, 2, 3, 4, p, q) */
        {3, LRNN_ENCODER_PAD_ACAUSAL, LRNN_ENCODER_PAD_ZEROS, {321, 432, 43, 4}},      /* 0 0 */
        {3, LRNN_ENCODER_PAD_ACAUSAL, LRNN_ENCODER_PAD_REFLECT, {321, 432, 343, 234}}, /* 3 2 */
        {3, LRNN_ENCODER_PAD_ACAUSAL, LRNN_ENCODER_PAD_REPLICATE, {321, 432, 443, 444}},
        {3, LRNN_ENCODER_PAD_ACAUSAL, LRNN_ENCODER_PAD_CIRCULAR, {321, 432, 143, 214}}, /* 1 2 */
        /* centred: ypad = (p, 1, 2, 3, 4, q) */
        {3, LRNN_ENCODER_PAD_CENTRED, LRNN_ENCODER_PAD_ZEROS, {210, 321, 432, 43}},
        {3, LRNN_ENCODER_PAD_CENTRED, LRNN_ENCODER_PAD_REFLECT, {212, 321, 432, 343}},
        {3, LRNN_ENCODER_PAD_CENTRED, LRNN_ENCODER_PAD_REPLICATE, {211, 321, 432, 443}},
        {3, LRNN_ENCODER_PAD_CENTRED, LRNN_ENCODER_PAD_CIRCULAR, {214, 321, 432, 143}},
        /* even kernel, centred (2 left, 1 right, the reference's "windowed"):
         * ypad = (0, 0, 1, 2, 3, 4, 0) */
        {4, LRNN_ENCODER_PAD_CENTRED, LRNN_ENCODER_PAD_ZEROS, {2100, 3210, 4321, 432}},
        /* causal, k = 4, reflect: (4 3 2) 1 2 3 4 -> the pad needs T = 4 > 3 */
        {4, LRNN_ENCODER_PAD_CAUSAL, LRNN_ENCODER_PAD_REFLECT, {1234, 2123, 3212, 4321}},
    };
    const double y[4] = {1, 2, 3, 4};
    for (size_t n = 0; n < sizeof cases / sizeof cases[0]; n++) {
        lrnn_encoder_config c = lrnn_encoder_default_params();
        c.channels = 1, c.rank = 1, c.layers = 2;
        c.kernel[0] = cases[n].k, c.kernel[1] = 1, c.hidden[0] = 1;
        c.activation = LRNN_ENCODER_ACT_LEAKY_RELU;
        c.pad_location = cases[n].loc, c.pad_mode = cases[n].mode;
        lrnn_param_layout l;
        assert_int_equal(lrnn_encoder_layout(&c, &l), LRNN_OK);
        double theta[16] = {0};
        assert_true(l.total <= 16);
        double *w0 = theta + lrnn_param_layout_find(&l, "enc_w0")->offset;
        for (int j = 0; j < cases[n].k; j++)
            w0[j] = pow(10.0, j);
        theta[lrnn_param_layout_find(&l, "enc_mean_w")->offset] = 1.0;
        lrnn_encoder_workspace *ws = NULL;
        assert_int_equal(lrnn_encoder_workspace_create(&c, 4, 1, &ws), LRNN_OK);
        double mean[4], logvar[4];
        assert_int_equal(lrnn_encoder_forward(&c, theta, ws, 1, 4, y, 1, NULL, mean, logvar),
                         LRNN_OK);
        for (int t = 0; t < 4; t++) {
            if (mean[t] != cases[n].want[t])
                fail_msg("case %zu (k %d, %s %s): mean[%d] = %g, want %g", n, cases[n].k,
                         lrnn_encoder_pad_location_name(c.pad_location),
                         lrnn_encoder_pad_mode_name(c.pad_mode), t, mean[t], cases[n].want[t]);
            assert_true(logvar[t] == 0.0);
        }
        lrnn_encoder_workspace_free(ws);
    }
}

/* ---- masks, batches, kernels ---- */

/* With mask channels the input is [y . m, m]: the same as a 2X-channel encoder without mask
 * fed that matrix by hand, with the same parameters (the layouts coincide). */
static void mask_channels_match_hand_built_input(void **state) {
    (void)state;
    lrnn_encoder_config cm =
        small_config(LRNN_ENCODER_ACT_GELU, LRNN_ENCODER_PAD_CENTRED, LRNN_ENCODER_PAD_REPLICATE);
    cm.mask_channels = true;
    lrnn_encoder_config cp = cm;
    cp.mask_channels = false, cp.channels = 2 * cm.channels;
    problem p = problem_make(&cm, 3, 9, 41);
    lrnn_param_layout lm, lp;
    double *theta = alloc_params(&cm, &lm, 41);
    assert_int_equal(lrnn_encoder_layout(&cp, &lp), LRNN_OK);
    assert_int_equal(lm.total, lp.total);
    size_t X = p.X, n = p.B * p.T, m = n * p.R;
    double *in = malloc(n * 2 * X * sizeof *in), *mean = malloc(m * sizeof *mean);
    double *logvar = malloc(m * sizeof *logvar);
    size_t missing = 0;
    for (size_t r = 0; r < n; r++)
        for (size_t x = 0; x < X; x++) {
            bool seen = p.mask[r * X + x];
            missing += !seen;
            in[r * 2 * X + x] = seen ? p.y[r * X + x] : 0.0;
            in[r * 2 * X + X + x] = seen;
        }
    assert_true(missing > 0 && missing < n * X); /* the NaN entries must be skipped */
    objective(&p, theta);
    lrnn_encoder_workspace *ws = NULL;
    assert_int_equal(lrnn_encoder_workspace_create(&cp, p.T, p.B, &ws), LRNN_OK);
    assert_int_equal(lrnn_encoder_forward(&cp, theta, ws, p.B, p.T, in, 2 * X, NULL, mean, logvar),
                     LRNN_OK);
    assert_memory_equal(mean, p.mean, m * sizeof *mean);
    assert_memory_equal(logvar, p.logvar, m * sizeof *logvar);
    /* without mask channels, masked entries are zero-filled */
    lrnn_encoder_config cz = cm;
    cz.mask_channels = false;
    lrnn_encoder_workspace *wz = NULL;
    lrnn_param_layout lz;
    double *tz = alloc_params(&cz, &lz, 42);
    assert_int_equal(lrnn_encoder_workspace_create(&cz, p.T, p.B, &wz), LRNN_OK);
    double *mean2 = malloc(m * sizeof *mean2), *lv2 = malloc(m * sizeof *lv2);
    double *zf = malloc(n * X * sizeof *zf);
    for (size_t r = 0; r < n; r++)
        for (size_t x = 0; x < X; x++)
            zf[r * X + x] = in[r * 2 * X + x];
    assert_int_equal(lrnn_encoder_forward(&cz, tz, wz, p.B, p.T, p.y, X, p.mask, mean, logvar),
                     LRNN_OK);
    assert_int_equal(lrnn_encoder_forward(&cz, tz, wz, p.B, p.T, zf, X, NULL, mean2, lv2), LRNN_OK);
    assert_memory_equal(mean, mean2, m * sizeof *mean);
    /* a row stride wider than X: the encoder reads the first X channels of each row */
    double *wide = malloc(n * (X + 2) * sizeof *wide);
    for (size_t r = 0; r < n; r++) {
        memcpy(wide + r * (X + 2), zf + r * X, X * sizeof *zf);
        wide[r * (X + 2) + X] = NAN, wide[r * (X + 2) + X + 1] = 1e300;
    }
    assert_int_equal(lrnn_encoder_forward(&cz, tz, wz, p.B, p.T, wide, X + 2, NULL, mean2, lv2),
                     LRNN_OK);
    assert_memory_equal(mean, mean2, m * sizeof *mean);
    free(wide), free(zf), free(mean2), free(lv2), free(tz);
    lrnn_encoder_workspace_free(wz);
    free(in), free(mean), free(logvar), free(theta);
    lrnn_encoder_workspace_free(ws);
    problem_free(&p);
}

/* A batch equals its trials run one at a time (bit for bit: each trial runs the same code on
 * the same numbers) and its gradient is the sum of theirs; the three convolution kernels agree
 * to rounding (1e-12 relative: sums of at most ~50 products of O(1) numbers). */
static void batch_and_kernels_agree(void **state) {
    (void)state;
    lrnn_encoder_config c =
        small_config(LRNN_ENCODER_ACT_GELU, LRNN_ENCODER_PAD_CAUSAL, LRNN_ENCODER_PAD_REFLECT);
    const size_t B = 3, T = 10;
    problem p = problem_make(&c, B, T, 51);
    lrnn_param_layout l;
    double *theta = alloc_params(&c, &l, 51);
    size_t m = B * T * p.R;
    double *mean = malloc(m * sizeof *mean), *lv = malloc(m * sizeof *lv);
    double *g = calloc(l.total, sizeof *g), *gs = calloc(l.total, sizeof *gs);
    objective(&p, theta);
    assert_int_equal(lrnn_encoder_backward(&c, theta, p.ws, p.wm, p.wl, g), LRNN_OK);
    for (size_t b = 0; b < B; b++) {
        size_t off = b * T * p.X, o = b * T * p.R;
        assert_int_equal(
            lrnn_encoder_forward(&c, theta, p.ws, 1, T, p.y + off, p.X, NULL, mean + o, lv + o),
            LRNN_OK);
        assert_int_equal(lrnn_encoder_backward(&c, theta, p.ws, p.wm + o, p.wl + o, gs), LRNN_OK);
    }
    assert_memory_equal(mean, p.mean, m * sizeof *mean);
    assert_memory_equal(lv, p.logvar, m * sizeof *lv);
    for (size_t i = 0; i < l.total; i++)
        assert_true(fabs(g[i] - gs[i]) <= 1e-12 * (1 + fabs(g[i])));

    const encoder_impl impls[] = {ENCODER_IMPL_SHIFTED, ENCODER_IMPL_DIRECT};
    for (int k = 0; k < 2; k++) {
        encoder_set_impl(p.ws, impls[k]);
        double *gk = calloc(l.total, sizeof *gk);
        assert_int_equal(lrnn_encoder_forward(&c, theta, p.ws, B, T, p.y, p.X, NULL, mean, lv),
                         LRNN_OK);
        assert_int_equal(lrnn_encoder_backward(&c, theta, p.ws, p.wm, p.wl, gk), LRNN_OK);
        for (size_t i = 0; i < m; i++) {
            assert_true(fabs(mean[i] - p.mean[i]) <= 1e-12 * (1 + fabs(p.mean[i])));
            assert_true(fabs(lv[i] - p.logvar[i]) <= 1e-12 * (1 + fabs(p.logvar[i])));
        }
        for (size_t i = 0; i < l.total; i++)
            assert_true(fabs(gk[i] - g[i]) <= 1e-12 * (1 + fabs(g[i])));
        free(gk);
    }
    free(mean), free(lv), free(g), free(gs), free(theta);
    problem_free(&p);
}

/* ---- layout and initialisation ---- */

static void layout_of_the_tutorial_encoder(void **state) {
    (void)state;
    lrnn_encoder_config c = lrnn_encoder_default_params();
    c.channels = 40, c.rank = 2;
    lrnn_param_layout l;
    assert_int_equal(lrnn_encoder_layout(&c, &l), LRNN_OK);
    const struct {
        const char *name;
        size_t r, cols;
    } want[] = {{"enc_w0", 64, 40 * 21}, {"enc_b0", 64, 0},     {"enc_w1", 64, 64 * 11},
                {"enc_b1", 64, 0},       {"enc_mean_w", 2, 64}, {"enc_mean_b", 2, 0},
                {"enc_logvar_w", 2, 64}, {"enc_logvar_b", 2, 0}};
    assert_int_equal(l.count, 8);
    size_t off = 0;
    for (int i = 0; i < 8; i++) {
        const lrnn_param_entry *e = &l.entry[i];
        assert_string_equal(e->name, want[i].name);
        assert_int_equal(e->ndim, want[i].cols ? 2 : 1);
        assert_int_equal(e->shape[0], want[i].r);
        assert_int_equal(e->size, want[i].r * (want[i].cols ? want[i].cols : 1));
        assert_int_equal(e->offset, off);
        assert_true(e->trainable);
        off += e->size;
    }
    assert_int_equal(l.total, off);
    assert_int_equal(l.total, 64 * 840 + 64 + 64 * 704 + 64 + 2 * (128 + 2));
    assert_int_equal(lrnn_param_layout_trainable(&l), l.total);
    assert_int_equal(lrnn_encoder_receptive_field(&c), 31);
    c.constant_var = true, c.mask_channels = true;
    assert_int_equal(lrnn_encoder_layout(&c, &l), LRNN_OK);
    assert_int_equal(l.count, 7);
    assert_string_equal(l.entry[6].name, "enc_logvar");
    assert_int_equal(l.entry[0].shape[1], 80 * 21);
    /* the most layers: 6 (weight, bias) pairs and the two heads */
    c.layers = LRNN_ENCODER_MAX_LAYERS, c.constant_var = false;
    for (int i = 0; i < c.layers; i++)
        c.kernel[i] = 2, c.hidden[i < 6 ? i : 0] = 3;
    assert_int_equal(lrnn_encoder_layout(&c, &l), LRNN_OK);
    assert_int_equal(l.count, 16);
}

/* Every weight and bias of a convolution ~ U(-a, a), a = 1/sqrt(fan_in). Checked per entry of
 * n draws: all |w| < a; the mean within 5 standard errors a / sqrt(3n); the variance a^2/3
 * within 5 standard errors sqrt(4 a^4 / (45 n)) (fourth central moment a^4/5); the largest
 * |w| > a (1 - 20/n) (probability of failing (1 - 20/n)^n < e^-20). The logvar bias is the same
 * uniform shifted by 2 log(init_scale). */
static void init_statistics(void **state) {
    (void)state;
    lrnn_encoder_config c = lrnn_encoder_default_params();
    c.channels = 40, c.rank = 2, c.init_scale = 0.05;
    lrnn_param_layout l;
    double *p = alloc_params(&c, &l, 2024);
    double fan = 0.0;
    for (int e = 0; e < l.count; e++) {
        const lrnn_param_entry *en = &l.entry[e];
        if (en->ndim == 2) fan = (double)en->shape[1];
        double a = 1.0 / sqrt(fan), shift = 0.0, n = (double)en->size;
        if (!strcmp(en->name, "enc_logvar_b")) shift = 2.0 * log(0.05);
        double sum = 0.0, sq = 0.0, big = 0.0;
        for (size_t i = 0; i < en->size; i++) {
            double w = p[en->offset + i] - shift;
            assert_true(fabs(w) < a);
            sum += w, sq += w * w;
            if (fabs(w) > big) big = fabs(w);
        }
        double mean = sum / n, var = sq / n - mean * mean;
        printf("  init %-12s n=%6.0f bound %.4f mean %+.2e var/(a^2/3) %.4f max/a %.4f\n", en->name,
               n, a, mean, var / (a * a / 3.0), big / a);
        if (en->size < 50) continue; /* biases: only the bound is meaningful */
        assert_true(fabs(mean) < 5.0 * a / sqrt(3.0 * n));
        assert_true(fabs(var - a * a / 3.0) < 5.0 * sqrt(4.0 * pow(a, 4) / (45.0 * n)));
        assert_true(big > a * (1.0 - 20.0 / n));
    }
    /* reproducible; another seed gives other numbers */
    double *q = malloc(l.total * sizeof *q);
    assert_int_equal(lrnn_encoder_init(&c, q, 2024), LRNN_OK);
    assert_memory_equal(p, q, l.total * sizeof *q);
    assert_int_equal(lrnn_encoder_init(&c, q, 2025), LRNN_OK);
    assert_memory_not_equal(p, q, l.total * sizeof *q);
    free(q), free(p);
    /* constant variance: the vector starts at 2 log(init_scale) */
    c.constant_var = true;
    p = alloc_params(&c, &l, 1);
    const lrnn_param_entry *e = lrnn_param_layout_find(&l, "enc_logvar");
    assert_non_null(e);
    for (size_t i = 0; i < e->size; i++)
        assert_true(p[e->offset + i] == 2.0 * log(0.05));
    free(p);
}

/* ---- bad configurations and inputs ---- */

static void bad_configs_rejected(void **state) {
    (void)state;
    const lrnn_encoder_config good = lrnn_encoder_default_params();
    assert_int_equal(lrnn_encoder_params_check(&good), LRNN_OK);
    for (int n = 0; n < 12; n++) {
        lrnn_encoder_config c = good;
        const char *want = "";
        switch (n) {
        case 0:
            c.layers = 1, want = "layers = 1";
            break;
        case 1:
            c.layers = LRNN_ENCODER_MAX_LAYERS + 1, want = "layers = 8";
            break;
        case 2:
            c.kernel[1] = 0, want = "kernel[1] = 0";
            break;
        case 3:
            c.hidden[0] = -3, want = "hidden[0] = -3";
            break;
        case 4:
            c.channels = 0, want = "channels = 0";
            break;
        case 5:
            c.rank = 0, want = "rank = 0";
            break;
        case 6:
            c.init_scale = 0.0, want = "init_scale";
            break;
        case 7:
            c.init_scale = NAN, want = "init_scale";
            break;
        case 8:
            c.leaky_slope = INFINITY, want = "leaky_slope";
            break;
        case 9:
            c.activation = (lrnn_encoder_act)7, want = "activation";
            break;
        case 10:
            c.pad_mode = (lrnn_encoder_pad_mode)9, want = "pad_mode";
            break;
        case 11:
            c.pad_location = (lrnn_encoder_pad_location)-1, want = "pad_location";
            break;
        }
        assert_int_equal(lrnn_encoder_params_check(&c), LRNN_ERR_ARG);
        if (!strstr(lrnn_last_error(), want))
            fail_msg("case %d: message '%s' does not name '%s'", n, lrnn_last_error(), want);
        lrnn_param_layout l;
        lrnn_encoder_workspace *ws = (lrnn_encoder_workspace *)&l; /* must be reset to NULL */
        assert_int_equal(lrnn_encoder_layout(&c, &l), LRNN_ERR_ARG);
        assert_int_equal(lrnn_encoder_workspace_create(&c, 10, 1, &ws), LRNN_ERR_ARG);
        assert_null(ws);
        double x[4];
        assert_int_equal(lrnn_encoder_init(&c, x, 1), LRNN_ERR_ARG);
    }
    /* names */
    lrnn_encoder_act a;
    lrnn_encoder_pad_location loc;
    lrnn_encoder_pad_mode mode;
    assert_int_equal(lrnn_encoder_act_parse("GELU", &a), LRNN_OK);
    assert_int_equal(a, LRNN_ENCODER_ACT_GELU);
    assert_int_equal(lrnn_encoder_act_parse("leaky_relu", &a), LRNN_OK);
    assert_int_equal(a, LRNN_ENCODER_ACT_LEAKY_RELU);
    assert_int_equal(lrnn_encoder_act_parse("tanh", &a), LRNN_ERR_ARG);
    assert_non_null(strstr(lrnn_last_error(), "'tanh' (choose from gelu, leaky_relu)"));
    assert_int_equal(lrnn_encoder_pad_location_parse("windowed", &loc), LRNN_OK);
    assert_int_equal(loc, LRNN_ENCODER_PAD_CENTRED);
    assert_int_equal(lrnn_encoder_pad_location_parse("acausal", &loc), LRNN_OK);
    assert_int_equal(loc, LRNN_ENCODER_PAD_ACAUSAL);
    assert_int_equal(lrnn_encoder_pad_location_parse(NULL, &loc), LRNN_ERR_ARG);
    assert_int_equal(lrnn_encoder_pad_mode_parse("constant", &mode), LRNN_OK);
    assert_int_equal(mode, LRNN_ENCODER_PAD_ZEROS);
    assert_int_equal(lrnn_encoder_pad_mode_parse("circular", &mode), LRNN_OK);
    assert_int_equal(mode, LRNN_ENCODER_PAD_CIRCULAR);
    assert_int_equal(lrnn_encoder_pad_mode_parse("mirror", &mode), LRNN_ERR_ARG);
    assert_non_null(strstr(lrnn_last_error(), "padding mode 'mirror'"));
    for (int v = 0; v <= LRNN_ENCODER_PAD_CIRCULAR; v++) {
        assert_int_equal(lrnn_encoder_pad_mode_parse(
                             lrnn_encoder_pad_mode_name((lrnn_encoder_pad_mode)v), &mode),
                         LRNN_OK);
        assert_int_equal(mode, v);
    }
    /* a huge workspace fails cleanly */
    lrnn_encoder_workspace *ws = NULL;
    assert_int_equal(lrnn_encoder_workspace_create(&good, (size_t)1 << 40, 1, &ws), LRNN_ERR_NOMEM);
    assert_null(ws);
    assert_non_null(strstr(lrnn_last_error(), "too large"));
    assert_int_equal(lrnn_encoder_workspace_create(&good, 0, 1, &ws), LRNN_ERR_ARG);
}

static void bad_inputs_rejected(void **state) {
    (void)state;
    lrnn_encoder_config c =
        small_config(LRNN_ENCODER_ACT_GELU, LRNN_ENCODER_PAD_CAUSAL, LRNN_ENCODER_PAD_REFLECT);
    problem p = problem_make(&c, 2, 6, 61);
    lrnn_param_layout l;
    double *theta = alloc_params(&c, &l, 61);
    double *g = calloc(l.total, sizeof *g);
    /* backward before any forward */
    assert_int_equal(lrnn_encoder_backward(&c, theta, p.ws, p.wm, p.wl, g), LRNN_ERR_ARG);
    assert_non_null(strstr(lrnn_last_error(), "no successful forward"));
    /* NaN at an observed entry: named by trial, step and channel; backward then refuses */
    double keep = p.y[(1 * 6 + 2) * 3 + 1];
    p.y[(1 * 6 + 2) * 3 + 1] = NAN;
    assert_int_equal(lrnn_encoder_forward(&c, theta, p.ws, 2, 6, p.y, 3, NULL, p.mean, p.logvar),
                     LRNN_ERR_NUMERIC);
    assert_non_null(strstr(lrnn_last_error(), "y[trial 1][step 2][channel 1] = nan"));
    assert_int_equal(lrnn_encoder_backward(&c, theta, p.ws, p.wm, p.wl, g), LRNN_ERR_ARG);
    /* ... but ignored where masked */
    uint8_t mask[2 * 6 * 3];
    memset(mask, 1, sizeof mask);
    mask[(1 * 6 + 2) * 3 + 1] = 0;
    assert_int_equal(lrnn_encoder_forward(&c, theta, p.ws, 2, 6, p.y, 3, mask, p.mean, p.logvar),
                     LRNN_OK);
    p.y[(1 * 6 + 2) * 3 + 1] = INFINITY;
    assert_int_equal(lrnn_encoder_forward(&c, theta, p.ws, 2, 6, p.y, 3, NULL, p.mean, p.logvar),
                     LRNN_ERR_NUMERIC);
    p.y[(1 * 6 + 2) * 3 + 1] = keep;
    /* sizes */
    assert_int_equal(lrnn_encoder_forward(&c, theta, p.ws, 3, 6, p.y, 3, NULL, p.mean, p.logvar),
                     LRNN_ERR_ARG);
    assert_non_null(strstr(lrnn_last_error(), "B = 3"));
    assert_int_equal(lrnn_encoder_forward(&c, theta, p.ws, 1, 7, p.y, 3, NULL, p.mean, p.logvar),
                     LRNN_ERR_ARG);
    assert_non_null(strstr(lrnn_last_error(), "T = 7"));
    assert_int_equal(lrnn_encoder_forward(&c, theta, p.ws, 1, 0, p.y, 3, NULL, p.mean, p.logvar),
                     LRNN_ERR_ARG);
    assert_int_equal(lrnn_encoder_forward(&c, theta, p.ws, 1, 6, p.y, 2, NULL, p.mean, p.logvar),
                     LRNN_ERR_ARG);
    assert_non_null(strstr(lrnn_last_error(), "ldy = 2 < X = 3"));
    assert_int_equal(lrnn_encoder_forward(&c, NULL, p.ws, 1, 6, p.y, 3, NULL, p.mean, p.logvar),
                     LRNN_ERR_ARG);
    /* reflect padding of 3 steps (kernel 4) needs T > 3 */
    assert_int_equal(lrnn_encoder_forward(&c, theta, p.ws, 1, 3, p.y, 3, NULL, p.mean, p.logvar),
                     LRNN_ERR_ARG);
    assert_non_null(strstr(lrnn_last_error(), "reflect padding of 3 steps (layer 0, kernel 4)"));
    assert_int_equal(lrnn_encoder_forward(&c, theta, p.ws, 1, 4, p.y, 3, NULL, p.mean, p.logvar),
                     LRNN_OK);
    /* the configuration must be the workspace's */
    lrnn_encoder_config other = c;
    other.hidden[1] = 6;
    assert_int_equal(
        lrnn_encoder_forward(&other, theta, p.ws, 1, 6, p.y, 3, NULL, p.mean, p.logvar),
        LRNN_ERR_SHAPE);
    assert_non_null(strstr(lrnn_last_error(), "configuration differs"));
    assert_int_equal(lrnn_encoder_backward(&other, theta, p.ws, p.wm, p.wl, g), LRNN_ERR_SHAPE);
    assert_int_equal(lrnn_encoder_forward(&c, theta, NULL, 1, 6, p.y, 3, NULL, p.mean, p.logvar),
                     LRNN_ERR_ARG);
    free(g), free(theta);
    problem_free(&p);
}

/* ---- training with the optimiser ---- */

/* The encoder block trains with lrnn_optim like any parameter block: Adam fits mean_t to a
 * causal filter of the data, 0.5 y_t - 0.3 y_{t-2} per channel pair, and logvar to log 0.25 in
 * 300 steps; the squared error must fall by a factor 20 (it falls ~100x; the check is loose
 * enough to hold for any reasonable rounding and strict enough to fail for a wrong gradient). */
static void trains_with_the_optimiser(void **state) {
    (void)state;
    lrnn_encoder_config c =
        small_config(LRNN_ENCODER_ACT_GELU, LRNN_ENCODER_PAD_CAUSAL, LRNN_ENCODER_PAD_ZEROS);
    c.rank = 2, c.channels = 2, c.hidden[0] = 8, c.hidden[1] = 8;
    const size_t B = 4, T = 20;
    problem p = problem_make(&c, B, T, 71);
    lrnn_param_layout l;
    double *theta = alloc_params(&c, &l, 71), *g = malloc(l.total * sizeof *g);
    double *target = malloc(B * T * 2 * sizeof *target);
    for (size_t b = 0; b < B; b++)
        for (size_t t = 0; t < T; t++)
            for (size_t r = 0; r < 2; r++) {
                double now = p.y[(b * T + t) * 2 + r];
                double before = t >= 2 ? p.y[(b * T + t - 2) * 2 + r] : 0.0;
                target[(b * T + t) * 2 + r] = 0.5 * now - 0.3 * before;
            }
    lrnn_optim_params op = lrnn_optim_default_params();
    op.kind = LRNN_OPTIM_ADAM, op.lr = 0.01, op.lr_end = 0.01;
    lrnn_optim *o = NULL;
    assert_int_equal(lrnn_optim_create(&op, &l, &o), LRNN_OK);
    double first = 0.0, loss = 0.0;
    size_t m = B * T * 2;
    for (int step = 0; step <= 300; step++) {
        objective(&p, theta);
        loss = 0.0;
        for (size_t i = 0; i < m; i++) {
            double dm = p.mean[i] - target[i], dl = p.logvar[i] - log(0.25);
            loss += (dm * dm + dl * dl) / (double)m;
            p.wm[i] = 2.0 * dm / (double)m;
            p.wl[i] = 2.0 * dl / (double)m;
        }
        if (step == 0) first = loss;
        if (step == 300) break;
        memset(g, 0, l.total * sizeof *g);
        assert_int_equal(lrnn_encoder_backward(&c, theta, p.ws, p.wm, p.wl, g), LRNN_OK);
        assert_int_equal(lrnn_optim_step(o, theta, g), LRNN_OK);
    }
    printf("  training: loss %.4f -> %.5f (ratio %.1f)\n", first, loss, first / loss);
    assert_true(loss < first / 20.0);
    lrnn_optim_free(o);
    free(theta), free(g), free(target);
    problem_free(&p);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(gradient_every_configuration),
        cmocka_unit_test(gradient_layer_structures),
        cmocka_unit_test(backward_accumulates),
        cmocka_unit_test(receptive_fields_exact),
        cmocka_unit_test(causal_outputs_ignore_the_future),
        cmocka_unit_test(padding_modes_by_hand),
        cmocka_unit_test(mask_channels_match_hand_built_input),
        cmocka_unit_test(batch_and_kernels_agree),
        cmocka_unit_test(layout_of_the_tutorial_encoder),
        cmocka_unit_test(init_statistics),
        cmocka_unit_test(bad_configs_rejected),
        cmocka_unit_test(bad_inputs_rejected),
        cmocka_unit_test(trains_with_the_optimiser),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
