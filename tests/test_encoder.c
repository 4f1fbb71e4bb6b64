/* The CNN encoder (spec smc_rnn_method.md §3.6): central finite differences for every parameter
 * over every activation, padding location and mode and convolution kernel; causality and
 * receptive fields; padding modes against hand-computed outputs; mask channels; batch and
 * kernel agreement; single precision against double within derived rounding bounds;
 * initialisation statistics; bad configurations and inputs; a short fit with the optimiser. */
#include <ctype.h>
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

/* "gelu causal zeros const-var mask" */
static void config_label(const lrnn_encoder_config *c, char *label, size_t n) {
    snprintf(label, n, "%s %s %s%s%s", lrnn_encoder_act_name(c->activation),
             lrnn_encoder_pad_location_name(c->pad_location),
             lrnn_encoder_pad_mode_name(c->pad_mode), c->constant_var ? " const-var" : "",
             c->mask_channels ? " mask" : "");
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
                    config_label(&c, label, sizeof label);
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

/* ---- single precision ---- */

/* Bounds on |single - double| for one forward and backward (lrnn_encoder_set_single), entry by
 * entry: a double-precision reference of the encoder (plain loops, written independently of
 * src/encoder) carries next to every value v a bound e on |v_float - v| and the magnitude of
 * the terms summed into v (first-order running error analysis). u = 2^-24 is float's unit
 * roundoff; gamma(n) = n u / (1 - n u) bounds the error of a sum of n products in any order
 * relative to the sum of their magnitudes (Higham, Accuracy and Stability of Numerical
 * Algorithms, §3.1), so the GEMMs' blocking and FMA and the chunking over trials all fall under
 * it. u here is 2^-24 + 2^-53: the double path makes the same sums with unit roundoff 2^-53,
 * and |single - double| <= |single - exact| + |double - exact|; the constants below have slack
 * (7 u for 6.5 u, 10 u for 9.5 u) that covers the double path's activations too.
 * Forward, layer of K = k C_in terms per output, padded input P with errors eP (layer 0: y and
 * the mask converted, eP = u |P|; padding copies the error with the value):
 *   A   = b + sum W P                     S = |b| + sum |W P|
 *   eA  = (1 + u) sum |W| eP + (gamma(K + 2) + u) S
 *         (input errors; K products and the bias rounded; W and b rounded to float: u S)
 *   H   = act(A), eH = (|act'(A)| + curv eA) eA + 7 u s (|A| + eA)
 *         (act's slope near A, curv = max |act''| = 0.8 for GELU (2 phi(0) = 0.798), 0 for
 *         leaky ReLU away from the kink; float GELU: erff within 4 ulp (libmvec; libm: 1) <= 8 u,
 *         its argument x / sqrt 2 rounded twice moves erf by <= 2 u max(z erf'(z)) = 0.97 u,
 *         1 + erf rounded 2 u, so Phi within 5.5 u and x Phi within 6.5 u |x| <= 7 u |x|;
 *         leaky: slope and product rounded, 2 u s |x|; s = max(1, |slope|) for leaky ReLU, 1
 *         for GELU)
 *   mean, logvar: the heads' eA (the constant logvar is double in both modes: exact).
 * Backward, dA with errors edA (heads: [dmean, dlogvar] converted, u |dA|):
 *   weight gradient = sum over B T of dA P: e = sum (edA |P| + |dA| eP + edA eP),
 *         bound e + gamma(B T) (sum |dA P| + e)
 *   bias gradient = sum dA, summed in double: bound sum edA
 *   window adjoint V = sum_o dA W:  eV = (1 + u) sum_o edA |W| + (gamma(c_out) + u) sum_o |dA W|
 *   input adjoint Hb = the V's that col2im and unpad add into the entry (at most
 *         F = k (k + 2): k windows, and the padding rows copied from it: replicate k (l + 1) <=
 *         k^2, reflect 3k, circular 2k): eHb = sum eV + gamma(F) sum (|V| + eV)
 *   dA of the layer below = Hb act'(A), act' in float within 10 u s (Phi's 5.5 u; x phi(x)
 *         with expf within 8 u, its argument within x^2 u / 2 and three roundings:
 *         (11 + x^2 / 2) u |x phi(x)| <= 2.9 u; the sum's 1.07 u), dd = curv eA + 10 u s:
 *         edA = eHb (|act'| + dd) + |Hb| dd + u (|Hb| + eHb)(|act'| + dd)   (product rounded)
 * Leaky ReLU: valid while every pre-activation lies farther than its eA from the kink (checked,
 * else the caller draws again). The bounds exceed the real differences (rounding errors mostly
 * cancel) but stay orders of magnitude below the effect of a wrong bias, index or derivative,
 * which is what the tests must catch (mutations checked by hand). */
static double gamma_f(double n) {
    const double u = 0x1p-24 + 0x1p-53;
    return n * u / (1.0 - n * u);
}

/* Step of the window that padded position q holds (-1: zero): the test's own reference. */
static long ref_source(long q, long T, lrnn_encoder_pad_mode m) {
    if (q >= 0 && q < T) return q;
    if (m == LRNN_ENCODER_PAD_ZEROS) return -1;
    if (m == LRNN_ENCODER_PAD_REPLICATE) return q < 0 ? 0 : T - 1;
    if (m == LRNN_ENCODER_PAD_REFLECT) return q < 0 ? -q : 2 * T - 2 - q;
    return (q + T) % T; /* circular: |q| <= T here */
}

static double ref_act(const lrnn_encoder_config *c, double x, double *d) {
    if (c->activation == LRNN_ENCODER_ACT_GELU) {
        double Phi = 0.5 * erfc(-x / sqrt(2.0));
        *d = Phi + x * exp(-0.5 * x * x) / sqrt(2.0 * M_PI);
        return x * Phi;
    }
    *d = x > 0.0 ? 1.0 : c->leaky_slope;
    return x > 0.0 ? x : c->leaky_slope * x;
}

/* One layer of the reference, all B trials. Parameters in Conv1d order, the heads' rows
 * stacked (mean, then logvar); `first[h]` is where row block h starts in the block. */
typedef struct ref_layer {
    size_t k, C, co, left, rows; /* rows = T + k - 1 */
    size_t w_first[2], b_first[2], split;
    double *W, *b;
    double *P, *eP;       /* B x rows x C: padded input, error bound */
    double *A, *eA, *act; /* B x T x co: pre-activation, error bound, act'(A) */
} ref_layer;

typedef struct ref_run {
    double *mean, *logvar, *e_out; /* B T R each: reference outputs, bound (mean and logvar) */
    double *grad, *e_grad;         /* block: reference gradient, bound (0: must be exact) */
    bool near_kink;
} ref_run;

/* Fill L->P, eP from the interior H, eH (B x T x C). */
static void ref_pad(const problem *p, ref_layer *L, const double *H, const double *eH) {
    for (size_t b = 0; b < p->B; b++)
        for (size_t q = 0; q < L->rows; q++) {
            long s = ref_source((long)q - (long)L->left, (long)p->T, p->c.pad_mode);
            for (size_t c = 0; c < L->C; c++) {
                size_t to = (b * L->rows + q) * L->C + c, from = (b * p->T + (size_t)s) * L->C + c;
                L->P[to] = s < 0 ? 0.0 : H[from];
                L->eP[to] = s < 0 ? 0.0 : eH[from];
            }
        }
}

static void ref_forward(const problem *p, ref_layer *L) {
    const double u = 0x1p-24 + 0x1p-53, g = gamma_f((double)(L->k * L->C) + 2.0);
    for (size_t b = 0; b < p->B; b++)
        for (size_t t = 0; t < p->T; t++)
            for (size_t o = 0; o < L->co; o++) {
                double a = L->b[o], S = fabs(a), e = 0.0;
                for (size_t c = 0; c < L->C; c++)
                    for (size_t j = 0; j < L->k; j++) {
                        double w = L->W[(o * L->C + c) * L->k + j];
                        size_t at = (b * L->rows + t + j) * L->C + c;
                        a += w * L->P[at], S += fabs(w * L->P[at]), e += fabs(w) * L->eP[at];
                    }
                size_t n = (b * p->T + t) * L->co + o;
                L->A[n] = a, L->eA[n] = (1.0 + u) * e + (g + u) * S;
            }
}

/* Gradient bounds of L's parameters from dA, edA (B x T x co); when D is not NULL, the
 * adjoint of the layer below's pre-activations into dD, edD (B x T x D->co). Hb, aHb, eHb:
 * scratch of B x rows x C. */
static void ref_backward(const problem *p, const ref_layer *L, const ref_layer *D, const double *dA,
                         const double *edA, ref_run *r, double *Hb, double *aHb, double *eHb,
                         double *dD, double *edD) {
    const double u = 0x1p-24 + 0x1p-53, bt = (double)(p->B * p->T);
    for (size_t o = 0; o < L->co; o++) {
        size_t h = o >= L->split, row = o - h * L->split;
        for (size_t m = 0; m < L->C * L->k; m++) {
            size_t c = m / L->k, j = m % L->k;
            double g = 0.0, S = 0.0, e = 0.0;
            for (size_t b = 0; b < p->B; b++)
                for (size_t t = 0; t < p->T; t++) {
                    size_t n = (b * p->T + t) * L->co + o, at = (b * L->rows + t + j) * L->C + c;
                    g += dA[n] * L->P[at], S += fabs(dA[n] * L->P[at]);
                    e += edA[n] * fabs(L->P[at]) + fabs(dA[n]) * L->eP[at] + edA[n] * L->eP[at];
                }
            size_t at = L->w_first[h] + row * L->C * L->k + m;
            r->grad[at] = g, r->e_grad[at] = e + gamma_f(bt) * (S + e);
        }
        double g = 0.0, e = 0.0;
        for (size_t n = 0; n < p->B * p->T; n++)
            g += dA[n * L->co + o], e += edA[n * L->co + o];
        r->grad[L->b_first[h] + row] = g, r->e_grad[L->b_first[h] + row] = e;
    }
    if (!D) return;
    size_t np = p->B * L->rows * L->C;
    memset(Hb, 0, np * sizeof *Hb), memset(aHb, 0, np * sizeof *aHb);
    memset(eHb, 0, np * sizeof *eHb);
    const double gc = gamma_f((double)L->co), gF = gamma_f((double)(L->k * (L->k + 2)));
    for (size_t b = 0; b < p->B; b++)
        for (size_t t = 0; t < p->T; t++)
            for (size_t c = 0; c < L->C; c++)
                for (size_t j = 0; j < L->k; j++) {
                    double v = 0.0, S = 0.0, e = 0.0;
                    for (size_t o = 0; o < L->co; o++) {
                        double w = L->W[(o * L->C + c) * L->k + j];
                        size_t n = (b * p->T + t) * L->co + o;
                        v += dA[n] * w, S += fabs(dA[n] * w), e += edA[n] * fabs(w);
                    }
                    size_t at = (b * L->rows + t + j) * L->C + c;
                    double ev = (1.0 + u) * e + (gc + u) * S;
                    Hb[at] += v, aHb[at] += fabs(v) + ev, eHb[at] += ev;
                }
    for (size_t b = 0; b < p->B; b++) /* padding rows back to the steps they copied */
        for (size_t q = 0; q < L->rows; q++) {
            long s = ref_source((long)q - (long)L->left, (long)p->T, p->c.pad_mode);
            if (s < 0 || (long)q - (long)L->left == s) continue; /* zero, or interior */
            for (size_t c = 0; c < L->C; c++) {
                size_t to = (b * L->rows + L->left + (size_t)s) * L->C + c;
                size_t from = (b * L->rows + q) * L->C + c;
                Hb[to] += Hb[from], aHb[to] += aHb[from], eHb[to] += eHb[from];
            }
        }
    bool gelu = p->c.activation == LRNN_ENCODER_ACT_GELU;
    double s10 = 10.0 * u * (gelu ? 1.0 : fmax(1.0, fabs(p->c.leaky_slope)));
    for (size_t b = 0; b < p->B; b++)
        for (size_t t = 0; t < p->T; t++)
            for (size_t c = 0; c < L->C; c++) {
                size_t at = (b * L->rows + L->left + t) * L->C + c, n = (b * p->T + t) * L->C + c;
                double h = Hb[at], eh = eHb[at] + gF * aHb[at], d = fabs(D->act[n]);
                double dd = (gelu ? 0.8 * D->eA[n] : 0.0) + s10;
                dD[n] = h * D->act[n];
                edD[n] = eh * (d + dd) + fabs(h) * dd + u * (fabs(h) + eh) * (d + dd);
            }
}

/* The reference run of p at theta: outputs, gradient of f (wm, wl) and their bounds. */
static ref_run ref_bounds(const problem *p, const lrnn_param_layout *lay, const double *theta) {
    const lrnn_encoder_config *c = &p->c;
    const double u = 0x1p-24 + 0x1p-53;
    int nl = c->layers;
    size_t B = p->B, T = p->T, R = p->R, X = p->X, maxn = 0;
    ref_layer L[LRNN_ENCODER_MAX_LAYERS] = {0};
    size_t in = (size_t)lrnn_encoder_in_channels(c);
    for (int i = 0, e = 0; i < nl; i++) {
        ref_layer *l = &L[i];
        bool head = i + 1 == nl;
        l->k = (size_t)c->kernel[i], l->C = in, l->rows = T + l->k - 1;
        l->left = c->pad_location == LRNN_ENCODER_PAD_CAUSAL    ? l->k - 1
                  : c->pad_location == LRNN_ENCODER_PAD_ACAUSAL ? 0
                                                                : l->k / 2;
        l->co = head ? (c->constant_var ? R : 2 * R) : (size_t)c->hidden[i];
        l->split = head && !c->constant_var ? R : l->co;
        l->w_first[0] = lay->entry[e++].offset, l->b_first[0] = lay->entry[e++].offset;
        if (l->split < l->co)
            l->w_first[1] = lay->entry[e++].offset, l->b_first[1] = lay->entry[e++].offset;
        size_t nw = l->co * l->C * l->k, n = B * l->rows * l->C, m = B * T * l->co;
        l->W = malloc(nw * sizeof *l->W), l->b = malloc(l->co * sizeof *l->b);
        l->P = malloc(n * sizeof *l->P), l->eP = malloc(n * sizeof *l->eP);
        l->A = malloc(m * sizeof *l->A), l->eA = malloc(m * sizeof *l->eA);
        l->act = malloc(m * sizeof *l->act);
        assert_true(l->W && l->b && l->P && l->eP && l->A && l->eA && l->act);
        for (size_t o = 0; o < l->co; o++) {
            size_t h = o >= l->split, row = o - h * l->split;
            memcpy(l->W + o * l->C * l->k, theta + l->w_first[h] + row * l->C * l->k,
                   l->C * l->k * sizeof *l->W);
            l->b[o] = theta[l->b_first[h] + row];
        }
        maxn = n > maxn ? n : maxn, maxn = m > maxn ? m : maxn;
        in = l->co;
    }
    double *H = malloc(maxn * sizeof *H), *eH = malloc(maxn * sizeof *eH);
    double *H2 = malloc(maxn * sizeof *H2), *eH2 = malloc(maxn * sizeof *eH2);
    double *s1 = malloc(maxn * sizeof *s1), *s2 = malloc(maxn * sizeof *s2);
    double *s3 = malloc(maxn * sizeof *s3);
    assert_true(H && eH && H2 && eH2 && s1 && s2 && s3);
    ref_run r = {.near_kink = false};
    r.mean = malloc(B * T * R * sizeof *r.mean), r.logvar = malloc(B * T * R * sizeof *r.logvar);
    r.e_out = malloc(B * T * R * 2 * sizeof *r.e_out);
    r.grad = calloc(lay->total, sizeof *r.grad), r.e_grad = calloc(lay->total, sizeof *r.e_grad);
    assert_true(r.mean && r.logvar && r.e_out && r.grad && r.e_grad);
    /* layer 0 input: observed y (masked: 0), then the mask */
    for (size_t n = 0; n < B * T; n++)
        for (size_t x = 0; x < X; x++) {
            bool seen = !p->mask || p->mask[n * X + x];
            H[n * L[0].C + x] = seen ? p->y[n * X + x] : 0.0;
            if (c->mask_channels) H[n * L[0].C + X + x] = seen;
            eH[n * L[0].C + x] = u * fabs(H[n * L[0].C + x]);
            if (c->mask_channels) eH[n * L[0].C + X + x] = 0.0;
        }
    double s = c->activation == LRNN_ENCODER_ACT_GELU ? 1.0 : fmax(1.0, fabs(c->leaky_slope));
    double curv = c->activation == LRNN_ENCODER_ACT_GELU ? 0.8 : 0.0;
    for (int i = 0; i < nl; i++) {
        ref_layer *l = &L[i];
        ref_pad(p, l, H, eH);
        ref_forward(p, l);
        if (i + 1 == nl) break;
        for (size_t n = 0; n < B * T * l->co; n++) {
            double A = l->A[n], e = l->eA[n];
            H[n] = ref_act(c, A, &l->act[n]);
            eH[n] = (fabs(l->act[n]) + curv * e) * e + 7.0 * u * s * (fabs(A) + e);
            if (c->activation == LRNN_ENCODER_ACT_LEAKY_RELU && fabs(A) <= e) r.near_kink = true;
        }
    }
    ref_layer *hd = &L[nl - 1];
    const lrnn_param_entry *lv = lrnn_param_layout_find(lay, "enc_logvar");
    assert_true(!c->constant_var || lv);
    double *dA = H, *edA = eH, *dD = H2, *edD = eH2;
    for (size_t n = 0; n < B * T; n++)
        for (size_t k = 0; k < R; k++) {
            size_t a = n * hd->co + k, v = a + R, o = n * R + k;
            r.mean[o] = hd->A[a], r.e_out[2 * o] = hd->eA[a];
            r.logvar[o] = c->constant_var ? theta[lv->offset + k] : hd->A[v];
            r.e_out[2 * o + 1] = c->constant_var ? 0.0 : hd->eA[v];
            dA[a] = p->wm[o], edA[a] = u * fabs(p->wm[o]);
            if (!c->constant_var) dA[v] = p->wl[o], edA[v] = u * fabs(p->wl[o]);
            if (c->constant_var) r.grad[lv->offset + k] += p->wl[o];
        }
    for (int i = nl - 1; i >= 0; i--) {
        ref_backward(p, &L[i], i ? &L[i - 1] : NULL, dA, edA, &r, s1, s2, s3, dD, edD);
        double *t1 = dA, *t2 = edA;
        dA = dD, edA = edD, dD = t1, edD = t2;
    }
    for (int i = 0; i < nl; i++)
        free(L[i].W), free(L[i].b), free(L[i].P), free(L[i].eP), free(L[i].A), free(L[i].eA),
            free(L[i].act);
    free(H), free(eH), free(H2), free(eH2), free(s1), free(s2), free(s3);
    return r;
}

static void ref_run_free(ref_run *r) {
    free(r->mean), free(r->logvar), free(r->e_out), free(r->grad), free(r->e_grad);
}

/* What single_vs_double saw: the largest |single - double| / bound (-1: not run, see there),
 * and the largest differences and magnitudes of the outputs and gradients. */
typedef struct single_check {
    double worst, out_diff, out_max, grad_diff, grad_max;
} single_check;

/* Whether x and y agree to rounding of the double sums (the library against the reference). */
static bool close_to(double x, double y, double scale) {
    return fabs(x - y) <= 1e-12 * (fabs(y) + scale);
}

/* Forward and backward of p in double, then in single with `chunk` trials per GEMM: every
 * output and gradient entry within its bound (ref_bounds), the constant logvar and its gradient
 * exactly equal. The double results must match the reference to rounding first (so that the
 * bounds describe this computation). worst = -1 when a leaky ReLU pre-activation lies within
 * its error bound of the kink (the caller draws again). */
static single_check single_vs_double(problem *p, const double *theta, const lrnn_param_layout *l,
                                     size_t chunk, const char *label) {
    size_t m = p->B * p->T * p->R;
    double *md = malloc(m * sizeof *md), *ld = malloc(m * sizeof *ld);
    double *gd = calloc(l->total, sizeof *gd), *gs = calloc(l->total, sizeof *gs);
    assert_true(md && ld && gd && gs);
    assert_int_equal(lrnn_encoder_set_single(p->ws, false), LRNN_OK);
    objective(p, theta);
    memcpy(md, p->mean, m * sizeof *md), memcpy(ld, p->logvar, m * sizeof *ld);
    assert_int_equal(lrnn_encoder_backward(&p->c, theta, p->ws, p->wm, p->wl, gd), LRNN_OK);
    ref_run ref = ref_bounds(p, l, theta);
    single_check r = {.worst = -1.0};
    if (ref.near_kink) goto done;
    for (size_t i = 0; i < m; i++)
        r.out_max = fmax(r.out_max, fmax(fabs(md[i]), fabs(ld[i])));
    for (size_t i = 0; i < l->total; i++)
        r.grad_max = fmax(r.grad_max, fabs(gd[i]));
    for (size_t i = 0; i < m; i++)
        if (!close_to(md[i], ref.mean[i], r.out_max) || !close_to(ld[i], ref.logvar[i], r.out_max))
            fail_msg("%s: double output %zu differs from the reference", label, i);
    for (size_t i = 0; i < l->total; i++)
        if (!close_to(gd[i], ref.grad[i], r.grad_max))
            fail_msg("%s: double gradient %zu = %g, reference %g", label, i, gd[i], ref.grad[i]);

    assert_int_equal(lrnn_encoder_set_single(p->ws, true), LRNN_OK);
    assert_int_equal(encoder_set_chunk(p->ws, chunk), LRNN_OK);
    objective(p, theta);
    assert_int_equal(lrnn_encoder_backward(&p->c, theta, p->ws, p->wm, p->wl, gs), LRNN_OK);
    r.worst = 0.0;
    for (size_t i = 0; i < 2 * m; i++) {
        double e = i % 2 ? fabs(p->logvar[i / 2] - ld[i / 2]) : fabs(p->mean[i / 2] - md[i / 2]);
        double bound = ref.e_out[i];
        if (bound == 0.0 ? e != 0.0 : e > bound)
            fail_msg("%s, chunk %zu: %s %zu differs by %.3g > bound %.3g", label, chunk,
                     i % 2 ? "logvar" : "mean", i / 2, e, bound);
        if (bound > 0.0) r.worst = fmax(r.worst, e / bound);
        r.out_diff = fmax(r.out_diff, e);
    }
    for (int e = 0; e < l->count; e++) {
        const lrnn_param_entry *en = &l->entry[e];
        for (size_t i = en->offset; i < en->offset + en->size; i++) {
            double d = fabs(gs[i] - gd[i]), bound = ref.e_grad[i];
            if (bound == 0.0 ? d != 0.0 : d > bound)
                fail_msg("%s, chunk %zu: gradient %s[%zu] = %.17g in single, %.17g in double: "
                         "differs by %.3g > bound %.3g",
                         label, chunk, en->name, i - en->offset, gs[i], gd[i], d, bound);
            if (bound > 0.0) r.worst = fmax(r.worst, d / bound);
            r.grad_diff = fmax(r.grad_diff, d);
        }
    }
done:
    ref_run_free(&ref);
    free(md), free(ld), free(gd), free(gs);
    return r;
}

static void print_single_check(const char *label, const single_check *r) {
    printf("  single %-44s |diff|/bound <= %.2e; max diff: outputs %.1e of %.1e, gradient "
           "%.1e of %.1e\n",
           label, r->worst, r->out_diff, r->out_max, r->grad_diff, r->grad_max);
}

/* Every activation, padding location and mode, with and without constant variance and mask
 * channels; one GEMM per trial, all three trials in one, and chunks of two (3 = 2 + 1). */
static void single_matches_double_every_configuration(void **state) {
    (void)state;
    uint64_t seed = 501;
    double worst = 0.0;
    for (int a = 0; a <= LRNN_ENCODER_ACT_LEAKY_RELU; a++)
        for (int loc = 0; loc <= LRNN_ENCODER_PAD_CENTRED; loc++)
            for (int mode = 0; mode <= LRNN_ENCODER_PAD_CIRCULAR; mode++)
                for (int opt = 0; opt < 4; opt++) {
                    lrnn_encoder_config c =
                        small_config((lrnn_encoder_act)a, (lrnn_encoder_pad_location)loc,
                                     (lrnn_encoder_pad_mode)mode);
                    c.constant_var = opt & 1, c.mask_channels = opt & 2;
                    char label[96];
                    config_label(&c, label, sizeof label);
                    for (int tries = 0;; tries++, seed += 1000) {
                        assert_true(tries < 20);
                        problem p = problem_make(&c, 3, 9, seed);
                        lrnn_param_layout l;
                        double *theta = alloc_params(&c, &l, seed);
                        for (size_t i = 0; i < l.total; i++)
                            theta[i] *= 3.0; /* as in the finite differences */
                        const size_t chunks[] = {1, 0, 2};
                        single_check r = {0}, k1;
                        for (int k = 0; k < 3 && r.worst >= 0.0; k++) {
                            k1 = single_vs_double(&p, theta, &l, chunks[k], label);
                            r.worst = k1.worst < 0.0 ? -1.0 : fmax(r.worst, k1.worst);
                            r.out_diff = fmax(r.out_diff, k1.out_diff);
                            r.grad_diff = fmax(r.grad_diff, k1.grad_diff);
                            r.out_max = k1.out_max, r.grad_max = k1.grad_max;
                        }
                        free(theta);
                        problem_free(&p);
                        if (r.worst >= 0.0) {
                            print_single_check(label, &r);
                            worst = fmax(worst, r.worst);
                            break;
                        }
                    }
                    seed++;
                }
    printf("  single vs double, every configuration: worst |diff|/bound %.2e\n", worst);
}

/* The spiking tutorial's encoder (kernels 21, 11, 1, 64 channels, X = 40): long sums through
 * OpenBLAS's blocked sgemm kernels, with mask channels and without. */
static void single_matches_double_tutorial_size(void **state) {
    (void)state;
    for (int mask = 0; mask < 2; mask++) {
        lrnn_encoder_config c = lrnn_encoder_default_params();
        c.channels = 40, c.rank = 2, c.mask_channels = mask;
        problem p = problem_make(&c, 4, 60, 77 + mask);
        lrnn_param_layout l;
        double *theta = alloc_params(&c, &l, 77);
        for (size_t chunk = 0; chunk < 2; chunk++) {
            const char *label = mask ? "tutorial mask" : "tutorial";
            single_check r = single_vs_double(&p, theta, &l, chunk, label);
            assert_true(r.worst >= 0.0);
            char line[64];
            snprintf(line, sizeof line, "%s, chunk %zu", label, chunk);
            print_single_check(line, &r);
        }
        free(theta);
        problem_free(&p);
    }
}

/* Switching single precision on and off: off again gives the double results bit for bit, as a
 * fresh workspace; a change of mode discards the last forward. */
static void single_off_is_double_bit_for_bit(void **state) {
    (void)state;
    lrnn_encoder_config c =
        small_config(LRNN_ENCODER_ACT_GELU, LRNN_ENCODER_PAD_CENTRED, LRNN_ENCODER_PAD_REFLECT);
    c.mask_channels = true;
    problem p = problem_make(&c, 3, 8, 61), q = problem_make(&c, 3, 8, 61);
    lrnn_param_layout l;
    double *theta = alloc_params(&c, &l, 61);
    double *gp = calloc(l.total, sizeof *gp), *gq = calloc(l.total, sizeof *gq);
    assert_true(gp && gq);
    assert_false(lrnn_encoder_is_single(q.ws));
    assert_int_equal(lrnn_encoder_set_single(q.ws, true), LRNN_OK);
    assert_true(lrnn_encoder_is_single(q.ws));
    objective(&q, theta);
    assert_int_equal(lrnn_encoder_backward(&c, theta, q.ws, q.wm, q.wl, gq), LRNN_OK);
    /* the mode changed after the forward: backward refuses the other precision's tapes */
    assert_int_equal(lrnn_encoder_set_single(q.ws, false), LRNN_OK);
    assert_int_equal(lrnn_encoder_backward(&c, theta, q.ws, q.wm, q.wl, gq), LRNN_ERR_ARG);
    assert_false(lrnn_encoder_is_single(q.ws));
    memset(gq, 0, l.total * sizeof *gq);
    objective(&p, theta);
    objective(&q, theta);
    assert_int_equal(lrnn_encoder_backward(&c, theta, p.ws, p.wm, p.wl, gp), LRNN_OK);
    assert_int_equal(lrnn_encoder_backward(&c, theta, q.ws, q.wm, q.wl, gq), LRNN_OK);
    size_t m = p.B * p.T * p.R;
    assert_memory_equal(p.mean, q.mean, m * sizeof *p.mean);
    assert_memory_equal(p.logvar, q.logvar, m * sizeof *p.logvar);
    assert_memory_equal(gp, gq, l.total * sizeof *gp);
    /* and single differs from double (it ran in float) */
    assert_int_equal(lrnn_encoder_set_single(q.ws, true), LRNN_OK);
    objective(&q, theta);
    assert_memory_not_equal(p.mean, q.mean, m * sizeof *p.mean);
    assert_int_equal(lrnn_encoder_set_single(NULL, true), LRNN_ERR_ARG);
    assert_false(lrnn_encoder_is_single(NULL));
    free(theta), free(gp), free(gq);
    problem_free(&p), problem_free(&q);
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
        cmocka_unit_test(single_matches_double_every_configuration),
        cmocka_unit_test(single_matches_double_tutorial_size),
        cmocka_unit_test(single_off_is_double_bit_for_bit),
        cmocka_unit_test(layout_of_the_tutorial_encoder),
        cmocka_unit_test(init_statistics),
        cmocka_unit_test(bad_configs_rejected),
        cmocka_unit_test(bad_inputs_rejected),
        cmocka_unit_test(trains_with_the_optimiser),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
