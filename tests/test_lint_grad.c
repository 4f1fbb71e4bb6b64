/* BPTT of the LINT rate RNNs against central finite differences in double precision (spec
 * lint_method.md sections 1.4 and 2), for the low-rank and full-rank networks, dense and
 * identity readouts, the section 1.3 variants, every trainable subset, masks and per-trial
 * initial states; plus the vectorised tanh against libm. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lint/internal.h"
#include "lrnn/lint.h"
#include "lrnn/rng.h"

enum { TRIALS = 5, T = 6, B = 3 };

typedef enum { MASK_NONE, MASK_STEP, MASK_OUTPUT } mask_kind;

typedef struct gcase {
    const char *name;
    lrnn_lint_config c;
    mask_kind mask;
    int use_x0;
    int zero_bias; /* keep b = 0 (psi(x) = r alias path) */
} gcase;

static double loss_at(lrnn_lint_work *w, const lrnn_lint_rnn *rnn, const lrnn_lint_data *d,
                      const size_t *idx) {
    double loss = 0.0;
    lrnn_lint_noise noise = {17, 3};
    assert_int_equal(lrnn_lint_forward(w, rnn, d, idx, B, noise, &loss), LRNN_OK);
    return loss;
}

/* Relative error ||g - g_fd|| / max(||g||, ||g_fd||) per trainable entry; returns the largest. */
static double check_case(const gcase *gc) {
    lrnn_lint_rnn *rnn = NULL;
    assert_int_equal(lrnn_lint_create(&gc->c, &rnn), LRNN_OK);
    const lrnn_param_layout *l = lrnn_lint_layout(rnn);
    double *theta = lrnn_lint_params(rnn);
    lint_dims dm = lint_dims_of(rnn);
    size_t N = dm.N, U = dm.U, O = dm.O;
    lrnn_rng r;
    lrnn_rng_init(&r, 99, LRNN_RNG_INIT, 1, 0);
    /* moderate weights keep tanh away from saturation; b != 0 unless the alias path is tested */
    lrnn_lint_view v = lrnn_lint_view_of(l, theta);
    for (size_t i = 0; i < l->total; i++)
        theta[i] *= 0.6;
    for (size_t i = 0; i < N; i++) {
        v.b[i] = gc->zero_bias ? 0.0 : 0.3 * lrnn_rng_normal(&r);
        v.h0[i] = 0.5 * lrnn_rng_normal(&r);
    }
    for (size_t k = 0; k < U; k++)
        v.si[k] = 1.0 + 0.3 * lrnn_rng_normal(&r);
    if (v.so)
        for (size_t o = 0; o < O; o++)
            v.so[o] = 1.0 + 0.3 * lrnn_rng_normal(&r);
    if (v.wo)
        for (size_t i = 0; i < N * O; i++)
            v.wo[i] = lrnn_rng_normal(&r);

    double *inputs = malloc(TRIALS * T * (U ? U : 1) * sizeof *inputs);
    double *targets = malloc(TRIALS * T * O * sizeof *targets);
    double *mask = malloc(TRIALS * T * O * sizeof *mask);
    double *x0 = malloc(TRIALS * N * sizeof *x0);
    for (size_t i = 0; i < TRIALS * T * U; i++)
        inputs[i] = lrnn_rng_normal(&r);
    for (size_t i = 0; i < TRIALS * T * O; i++)
        targets[i] = 0.5 * lrnn_rng_normal(&r);
    for (size_t i = 0; i < TRIALS * T * O; i++)
        mask[i] = lrnn_rng_uniform(&r) < 0.3 ? 0.0 : 1.5 * lrnn_rng_uniform(&r);
    for (size_t j = 0; j < TRIALS; j++)
        mask[j * T * O] = 1.0; /* normaliser > 0 */
    for (size_t i = 0; i < TRIALS * N; i++)
        x0[i] = 0.5 * lrnn_rng_normal(&r);
    lrnn_lint_data d = {.trials = TRIALS,
                        .T = T,
                        .inputs = U ? inputs : NULL,
                        .targets = targets,
                        .mask = gc->mask == MASK_NONE ? NULL : mask,
                        .mask_per_output = gc->mask == MASK_OUTPUT,
                        .x0 = gc->use_x0 ? x0 : NULL};
    if (gc->mask == MASK_STEP)
        for (size_t j = 0; j < TRIALS; j++)
            mask[j * T] = 1.0;
    assert_int_equal(lrnn_lint_data_check(rnn, &d), LRNN_OK);
    size_t idx[B] = {3, 0, 4};

    lrnn_lint_work *w = NULL;
    assert_int_equal(lrnn_lint_work_create(rnn, B, T, &w), LRNN_OK);
    double *grad = malloc(l->total * sizeof *grad);
    double loss0 = loss_at(w, rnn, &d, idx);
    assert_int_equal(lrnn_lint_backward(w, rnn, &d, grad), LRNN_OK);
    /* the backward pass recomputes the loss (training skips it in the forward pass) */
    assert_true(fabs(lrnn_lint_work_loss(w) - loss0) <= 1e-13 * loss0);
    /* lrnn_lint_gradient in chunks of 1 and 2 trials (and the automatic size) gives the same
     * loss and gradient up to the order of the sums */
    double *gchunk = malloc(l->total * sizeof *gchunk);
    for (size_t chunk = 0; chunk <= 2; chunk++) {
        double lc = 0.0;
        w->chunk = chunk;
        assert_int_equal(lrnn_lint_gradient(w, rnn, &d, idx, B, (lrnn_lint_noise){17, 3}, &lc,
                                            gchunk),
                         LRNN_OK);
        assert_true(fabs(lc - loss0) <= 1e-13 * loss0);
        for (size_t i = 0; i < l->total; i++)
            assert_true(fabs(gchunk[i] - grad[i]) <= 1e-12 * (fabs(grad[i]) + 1e-12));
    }
    w->chunk = 0;
    /* single precision (float tanh; full rank also float products; rank-one students also
     * read float targets): the gradient within float rounding of the double one -- relative
     * error of the whole vector below 1e-5 (float epsilon 6e-8 times sums of N terms and the
     * T-step recursion). The single path also draws its noise in float, another realisation
     * (tests/test_rng.c checks that generator), so both paths run without noise here. */
    if (gc->c.kind == LRNN_LINT_FULL_RANK || gc->c.phi == LRNN_LINT_TANH ||
        gc->c.psi == LRNN_LINT_TANH) {
        double sigma = rnn->c.noise_std, lf = 0.0, ld = 0.0, num = 0.0, den = 0.0;
        double *gd = malloc(l->total * sizeof *gd);
        rnn->c.noise_std = 0.0;
        assert_int_equal(lrnn_lint_gradient(w, rnn, &d, idx, B, (lrnn_lint_noise){17, 3}, &ld, gd),
                         LRNN_OK);
        assert_int_equal(lrnn_lint_work_set_single(w, true), LRNN_OK);
        assert_int_equal(lint_work_targets_single(w, rnn, &d), LRNN_OK); /* rank-one students */
        assert_int_equal(lrnn_lint_gradient(w, rnn, &d, idx, B, (lrnn_lint_noise){17, 3}, &lf,
                                            gchunk),
                         LRNN_OK);
        rnn->c.noise_std = sigma;
        for (size_t i = 0; i < l->total; i++)
            num += (gchunk[i] - gd[i]) * (gchunk[i] - gd[i]), den += gd[i] * gd[i];
        print_message("%-28s single precision: gradient error %.1e, loss error %.1e\n",
                      gc->name, sqrt(num / den), fabs(lf - ld) / ld);
        assert_true(sqrt(num / den) < 1e-5 && fabs(lf - ld) < 1e-5 * ld);
        assert_true(num > 0.0); /* the float path was taken */
        assert_int_equal(lrnn_lint_work_set_single(w, false), LRNN_OK);
        free(gd);
    }
    free(gchunk);
    assert_int_equal(lrnn_lint_forward(w, rnn, &d, idx, B, (lrnn_lint_noise){17, 3}, NULL),
                     LRNN_OK);
    assert_int_equal(lrnn_lint_backward(w, rnn, &d, grad), LRNN_OK);

    const double h = 1e-5;
    double worst = 0.0;
    for (int e = 0; e < l->count; e++) {
        const lrnn_param_entry *en = &l->entry[e];
        if (!en->trainable) {
            for (size_t i = 0; i < en->size; i++)
                assert_true(grad[en->offset + i] == 0.0);
            continue;
        }
        if (en->size == 0) continue;
        double diff2 = 0.0, g2 = 0.0, f2 = 0.0;
        for (size_t i = 0; i < en->size; i++) {
            double *p = theta + en->offset + i, keep = *p;
            *p = keep + h;
            double lp = loss_at(w, rnn, &d, idx);
            *p = keep - h;
            double lm = loss_at(w, rnn, &d, idx);
            *p = keep;
            double fd = (lp - lm) / (2.0 * h), g = grad[en->offset + i];
            diff2 += (g - fd) * (g - fd);
            g2 += g * g;
            f2 += fd * fd;
        }
        double scale = sqrt(g2 > f2 ? g2 : f2);
        double rel = scale > 0.0 ? sqrt(diff2) / scale : 0.0;
        printf("  %-28s %-5s (%zu values) |g| %.3e  rel err %.2e\n", gc->name, en->name, en->size,
               sqrt(g2), rel);
        if (gc->use_x0 && !strcmp(en->name, "h0"))
            assert_true(scale == 0.0); /* per-trial initial states replace h0 */
        else
            assert_true(scale > 0.0); /* a zero gradient would test nothing */
        if (rel > worst) worst = rel;
    }
    free(grad), free(inputs), free(targets), free(mask), free(x0);
    lrnn_lint_work_free(w);
    lrnn_lint_free(rnn);
    return worst;
}

static lrnn_lint_config small(lrnn_lint_kind kind) {
    lrnn_lint_config c = lrnn_lint_default_config(kind);
    c.units = 7, c.rank = 2, c.inputs = 2, c.outputs = 3, c.noise_std = 0.1, c.seed = 5;
    return c;
}

static void all_trainable(lrnn_lint_config *c, int weights) {
    c->train_wi = c->train_wo = weights; /* true: wi, wo; false: the gains si, so */
    c->train_si = c->train_so = true;
    c->train_wrec = c->train_h0 = c->train_b = true;
}

static void run_cases(gcase *cases, size_t n) {
    for (size_t i = 0; i < n; i++) {
        for (int weights = 0; weights < 2; weights++) {
            gcase gc = cases[i];
            all_trainable(&gc.c, weights);
            double worst = check_case(&gc);
            assert_true(worst < 1e-6);
        }
    }
}

static void test_low_rank(void **state) {
    (void)state;
    gcase cases[] = {
        {"low rank dense", small(LRNN_LINT_LOW_RANK), MASK_NONE, 0, 0},
        {"low rank dense, step mask", small(LRNN_LINT_LOW_RANK), MASK_STEP, 1, 0},
        {"low rank dense, b = 0", small(LRNN_LINT_LOW_RANK), MASK_OUTPUT, 0, 1},
    };
    run_cases(cases, sizeof cases / sizeof cases[0]);
}

static lrnn_lint_config one_output(lrnn_lint_kind kind) {
    lrnn_lint_config c = small(kind);
    c.outputs = 1; /* the tasks' readout: matrix-vector products instead of GEMMs */
    return c;
}

static void test_full_rank(void **state) {
    (void)state;
    gcase cases[] = {
        {"full rank dense", small(LRNN_LINT_FULL_RANK), MASK_OUTPUT, 0, 0},
        {"full rank dense, x0", small(LRNN_LINT_FULL_RANK), MASK_STEP, 1, 1},
        {"full rank, one output", one_output(LRNN_LINT_FULL_RANK), MASK_STEP, 0, 0},
        {"low rank, one output", one_output(LRNN_LINT_LOW_RANK), MASK_OUTPUT, 1, 0},
        /* b = 0: the features are the rates, the fused single-precision row of backward.c */
        {"full rank, one output, b = 0", one_output(LRNN_LINT_FULL_RANK), MASK_STEP, 0, 1},
    };
    run_cases(cases, sizeof cases / sizeof cases[0]);
    /* the task teachers' case: as above with b fixed (the fused row without its gradient) */
    lrnn_lint_config teacher = one_output(LRNN_LINT_FULL_RANK);
    all_trainable(&teacher, 1);
    teacher.train_b = false;
    gcase tc = {"full-rank teacher, b fixed", teacher, MASK_STEP, 0, 1};
    assert_true(check_case(&tc) < 1e-6);
}

static void test_identity_readout(void **state) {
    (void)state;
    gcase cases[4];
    for (int k = 0; k < 2; k++) {
        lrnn_lint_config c = small(k ? LRNN_LINT_FULL_RANK : LRNN_LINT_LOW_RANK);
        c.identity_readout = true;
        cases[2 * k] =
            (gcase){k ? "full rank identity tanh" : "low rank identity tanh", c, MASK_OUTPUT, 0, 0};
        c.psi = LRNN_LINT_IDENTITY; /* states target (real data) */
        cases[2 * k + 1] = (gcase){k ? "full rank identity states" : "low rank identity states", c,
                                   MASK_STEP, 0, 0};
    }
    run_cases(cases, 4);
    /* the LINT student itself: only wi, m, n train; b = 0 so y = r (alias) */
    lrnn_lint_config s = lrnn_lint_student_config(7, 2, 2, 0.05, LRNN_LINT_TARGET_RATES, 3);
    /* (the fused BPTT row of backward.c: tanh, y = r, no bias gradient), with every mask kind */
    gcase st[] = {{"LINT student", s, MASK_NONE, 0, 1},
                  {"LINT student, output mask", s, MASK_OUTPUT, 0, 1},
                  {"LINT student, step mask, x0", s, MASK_STEP, 1, 1}};
    for (size_t i = 0; i < 3; i++)
        assert_true(check_case(&st[i]) < 1e-6);
    lrnn_lint_config s1 = lrnn_lint_student_config(7, 1, 2, 0.05, LRNN_LINT_TARGET_RATES, 4);
    gcase st1 = {"LINT student, rank 1", s1, MASK_OUTPUT, 0, 1}; /* gr fused in the row */
    assert_true(check_case(&st1) < 1e-6);
    s.kind = LRNN_LINT_FULL_RANK; /* the full-rank student of the subsampling fits */
    s.rec_div_n = false;
    gcase fr = {"full-rank student", s, MASK_OUTPUT, 0, 1};
    assert_true(check_case(&fr) < 1e-6);
}

static void test_variants(void **state) {
    (void)state;
    lrnn_lint_config opt = small(LRNN_LINT_LOW_RANK); /* OptimizedLowRankRNN (section 1.3) */
    opt.rec_div_n = false, opt.out_div_n = false, opt.readout_rates = true;
    lrnn_lint_config scaled = small(LRNN_LINT_FULL_RANK); /* FullRankRNNScaled */
    scaled.rec_div_n = true, scaled.out_div_n = true, scaled.readout_rates = true;
    lrnn_lint_config lin = small(LRNN_LINT_LOW_RANK);
    lin.phi = LRNN_LINT_IDENTITY;
    lrnn_lint_config rates_id = small(LRNN_LINT_LOW_RANK);
    rates_id.identity_readout = true, rates_id.readout_rates = true;
    gcase cases[] = {
        {"optimized low rank", opt, MASK_OUTPUT, 0, 0},
        {"full rank scaled", scaled, MASK_NONE, 0, 0},
        {"low rank, linear phi", lin, MASK_STEP, 0, 0},
        {"low rank identity of rates", rates_id, MASK_OUTPUT, 1, 0},
    };
    run_cases(cases, sizeof cases / sizeof cases[0]);
}

/* The trainable flags select the entries of section 1.1 (wi or else si; wo or else so). */
static void test_trainable_flags(void **state) {
    (void)state;
    lrnn_lint_config c = small(LRNN_LINT_LOW_RANK);
    lrnn_lint_rnn *rnn = NULL;
    assert_int_equal(lrnn_lint_create(&c, &rnn), LRNN_OK);
    const lrnn_param_layout *l = lrnn_lint_layout(rnn);
    assert_false(lrnn_param_layout_find(l, "wi")->trainable);
    assert_true(lrnn_param_layout_find(l, "si")->trainable);
    assert_true(lrnn_param_layout_find(l, "m")->trainable);
    assert_false(lrnn_param_layout_find(l, "wo")->trainable);
    assert_true(lrnn_param_layout_find(l, "so")->trainable);
    assert_false(lrnn_param_layout_find(l, "b")->trainable);
    assert_false(lrnn_param_layout_find(l, "h0")->trainable);
    assert_int_equal(lrnn_param_layout_find(l, "n")->shape[0], 7);
    assert_int_equal(lrnn_param_layout_find(l, "n")->shape[1], 2);
    assert_int_equal(lrnn_lint_set_trainable(rnn, "nope", true), LRNN_ERR_ARG);
    lrnn_lint_free(rnn);
    lrnn_lint_config s = lrnn_lint_student_config(16, 1, 4, 0.0, LRNN_LINT_TARGET_RATES, 1);
    assert_int_equal(lrnn_lint_create(&s, &rnn), LRNN_OK);
    l = lrnn_lint_layout(rnn);
    assert_null(lrnn_param_layout_find(l, "wo")); /* identity readout: never N x N */
    assert_true(lrnn_param_layout_find(l, "wi")->trainable);
    assert_false(lrnn_param_layout_find(l, "si")->trainable);
    assert_int_equal(lrnn_param_layout_trainable(l), 4 * 16 + 2 * 16);
    lrnn_lint_free(rnn);
}

/* Largest relative error of f against libm's tanh on [-20, 20] (dense near 0) and on a
 * geometric sequence from tiny up to 1; f(+-50) must be +-1. */
static double tanh_worst(double (*f)(double), double tiny) {
    double worst = 0.0;
    for (int i = -400000; i <= 400000; i++) {
        double x = i * 5e-5 * (1.0 + 1e-7 * i);
        double ref = tanh(x), got = f(x);
        double rel = ref != 0.0 ? fabs(got - ref) / fabs(ref) : fabs(got);
        if (rel > worst) worst = rel;
    }
    for (double x = tiny; x < 1.0; x *= 1.7) {
        double rel = fabs(f(x) - tanh(x)) / tanh(x);
        if (rel > worst) worst = rel;
    }
    assert_true(f(50.0) == 1.0 && f(-50.0) == -1.0);
    return worst;
}

static void test_tanh_accuracy(void **state) {
    (void)state;
    double worst = tanh_worst(lint_tanh, 1e-300);
    printf("  vectorised tanh: max relative error %.2e\n", worst);
    assert_true(worst < 1e-15);
}

/* The float tanh of single-precision training: below 3e-7 relative (float epsilon 6e-8 for the
 * input's rounding plus a few ulp of the formula) down to float's smallest normal number. */
static void test_tanh_single_accuracy(void **state) {
    (void)state;
    double worst = tanh_worst(lint_tanh_single, 1.2e-38);
    printf("  float tanh: max relative error %.2e\n", worst);
    assert_true(worst < 3e-7);
}

/* Bad inputs: NaN target, empty mask row, wrong workspace, index out of range. */
static void test_bad_inputs(void **state) {
    (void)state;
    lrnn_lint_config c = small(LRNN_LINT_LOW_RANK);
    lrnn_lint_rnn *rnn = NULL;
    assert_int_equal(lrnn_lint_create(&c, &rnn), LRNN_OK);
    double inputs[2 * 4 * 2] = {0}, targets[2 * 4 * 3] = {0}, mask[2 * 4] = {1, 1, 1, 1};
    lrnn_lint_data d = {.trials = 2, .T = 4, .inputs = inputs, .targets = targets, .mask = mask};
    assert_int_equal(lrnn_lint_data_check(rnn, &d), LRNN_ERR_ARG); /* trial 1 fully masked */
    assert_non_null(strstr(lrnn_last_error(), "trial 1"));
    mask[4] = 1.0;
    assert_int_equal(lrnn_lint_data_check(rnn, &d), LRNN_OK);
    targets[5] = NAN;
    assert_int_equal(lrnn_lint_data_check(rnn, &d), LRNN_ERR_NUMERIC);
    assert_non_null(strstr(lrnn_last_error(), "target"));
    targets[5] = 0.0;
    d.inputs = NULL;
    assert_int_equal(lrnn_lint_data_check(rnn, &d), LRNN_ERR_ARG);
    d.inputs = inputs;
    lrnn_lint_work *w = NULL;
    assert_int_equal(lrnn_lint_work_create(rnn, 2, 5, &w), LRNN_OK);
    lrnn_lint_noise nz = {1, 0};
    assert_int_equal(lrnn_lint_forward(w, rnn, &d, NULL, 2, nz, NULL), LRNN_ERR_SHAPE);
    lrnn_lint_work_free(w);
    assert_int_equal(lrnn_lint_work_create(rnn, 2, 4, &w), LRNN_OK);
    size_t bad[2] = {0, 7};
    assert_int_equal(lrnn_lint_forward(w, rnn, &d, bad, 2, nz, NULL), LRNN_ERR_ARG);
    double grad[1];
    assert_int_equal(lrnn_lint_backward(w, rnn, &d, grad), LRNN_ERR_ARG); /* no forward yet */
    lrnn_lint_work_free(w);
    c.rank = 9; /* > units */
    lrnn_lint_rnn *bad_rnn = NULL;
    assert_int_equal(lrnn_lint_create(&c, &bad_rnn), LRNN_ERR_ARG);
    assert_non_null(strstr(lrnn_last_error(), "rank"));
    lrnn_lint_free(rnn);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_low_rank),         cmocka_unit_test(test_full_rank),
        cmocka_unit_test(test_identity_readout), cmocka_unit_test(test_variants),
        cmocka_unit_test(test_trainable_flags),  cmocka_unit_test(test_tanh_accuracy),
        cmocka_unit_test(test_tanh_single_accuracy), cmocka_unit_test(test_bad_inputs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
