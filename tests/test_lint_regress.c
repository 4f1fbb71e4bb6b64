/* LINT regression fits (spec lint_method.md section 3.3, reconstructed): a noise-free rank-R
 * teacher observed through its states (or rates) is recovered exactly by NLR with reduced-rank
 * regression (connectivity, inputs, free-running trajectories); LR recovers a linear teacher;
 * RRR and OLS + truncation coincide at R = N and RRR is never worse in-sample below; the
 * one-step R^2 from the Gram matrices matches a direct computation; bad inputs fail. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lrnn/lint.h"
#include "lrnn/lint_regress.h"
#include "lrnn/rng.h"
#include "support.h"

/* N(0, s^2) initial states (with test_random_inputs' piecewise-constant inputs): the random
 * x_0 makes the features span R^N, so J is identifiable from one-step data (from x_0 = 0 a
 * noise-free rank-R network stays near an (R + U)-dimensional subspace). */
static void random_normal(uint64_t seed, size_t n, double sd, double *x) {
    lrnn_rng r;
    lrnn_rng_init(&r, seed, LRNN_RNG_SAMPLE, 1, 0);
    for (size_t i = 0; i < n; i++)
        x[i] = sd * lrnn_rng_normal(&r);
}

/* A low-rank teacher with the default random m, n, wi (N(0, 1)), scaled so J has O(1) gain. */
static lrnn_lint_rnn *make_teacher(int N, int R, int U, lrnn_lint_act phi, double sigma,
                                   uint64_t seed) {
    lrnn_lint_config c = lrnn_lint_default_config(LRNN_LINT_LOW_RANK);
    c.units = N, c.rank = R, c.inputs = U, c.outputs = 1, c.phi = phi, c.noise_std = sigma;
    c.seed = seed;
    lrnn_lint_rnn *t = NULL;
    assert_int_equal(lrnn_lint_create(&c, &t), LRNN_OK);
    return t;
}

static void effective_J(const lrnn_lint_rnn *rnn, double *J) {
    const lrnn_lint_config *c = lrnn_lint_config_of(rnn);
    size_t N = (size_t)c->units, R = (size_t)c->rank;
    lrnn_lint_view v =
        lrnn_lint_view_of(lrnn_lint_layout(rnn), (double *)lrnn_lint_params_const(rnn));
    for (size_t i = 0; i < N; i++)
        for (size_t j = 0; j < N; j++) {
            double acc = 0;
            for (size_t r = 0; r < R; r++)
                acc += v.m[i * R + r] * v.n[j * R + r];
            J[i * N + j] = acc / (double)N;
        }
}

static double max_abs_diff(const double *a, const double *b, size_t n) {
    double d = 0;
    for (size_t i = 0; i < n; i++)
        d = fmax(d, fabs(a[i] - b[i]));
    return d;
}
static double max_abs(const double *a, size_t n) {
    double d = 0;
    for (size_t i = 0; i < n; i++)
        d = fmax(d, fabs(a[i]));
    return d;
}

enum { N = 30, R = 2, U = 2, T = 20, TRIALS = 100, VAL = 20 };

/* Noise-free NLR: the data satisfy z_t = J tanh(x_t) + W_in^T u_t exactly with F~ of full
 * rank, so least squares returns J and W_in up to rounding (condition number of F~ times
 * 1e-16); CC > 0.999 and a 1e-6 relative error on W_in are far from that floor, yet fail for
 * any real bias. The free-running R^2 > 0.999 on new inputs checks the simulated fit. */
static void test_nlr_rrr_recovers_teacher(void **state) {
    (void)state;
    lrnn_lint_rnn *teacher = make_teacher(N, R, U, LRNN_LINT_TANH, 0.0, 41);
    size_t n = TRIALS + VAL;
    double *u = malloc(n * T * U * sizeof *u), *x0 = malloc(n * N * sizeof *x0);
    double *X = malloc(n * (T + 1) * N * sizeof *X), *Xs = malloc(VAL * (T + 1) * N * sizeof *Xs);
    test_random_inputs(5, n, T, U, u);
    random_normal(6, n * N, 1.5, x0);
    lrnn_lint_noise nz = {1, 0};
    assert_int_equal(lrnn_lint_simulate(teacher, u, x0, n, T, nz, X, NULL), LRNN_OK);

    for (int from_rates = 0; from_rates <= 1; from_rates++) {
        double *obs = X;
        double *Xr = NULL;
        if (from_rates) {
            /* observed rates tanh(x), turned back into states: a round trip exact to ~1e-16
             * relative for |x| well below the clip (states here stay below ~5) */
            Xr = malloc(TRIALS * (T + 1) * N * sizeof *Xr);
            for (size_t i = 0; i < (size_t)TRIALS * (T + 1) * N; i++)
                Xr[i] = tanh(X[i]);
            size_t clipped = 99;
            assert_int_equal(
                lrnn_lint_states_from_rates(Xr, (size_t)TRIALS * (T + 1) * N, 1e-12, Xr, &clipped),
                LRNN_OK);
            assert_int_equal(clipped, 0);
            obs = Xr;
        }
        lrnn_lint_regress_data d = {TRIALS, T, N, U, obs, u};
        lrnn_lint_regress_params p = lrnn_lint_regress_default_params();
        lrnn_lint_regress *rg = NULL;
        assert_int_equal(lrnn_lint_regress_create(&p, &d, &rg), LRNN_OK);
        assert_false(lrnn_lint_regress_rank_deficient(rg));
        lrnn_lint_regress_net_params np = {R, LRNN_LINT_REGRESS_RRR, 0.0, LRNN_LINT_TARGET_STATES};
        lrnn_lint_rnn *fit = NULL;
        double r2_step = 0;
        assert_int_equal(lrnn_lint_regress_network(rg, &np, &fit, &r2_step), LRNN_OK);
        assert_true(r2_step > 1 - 1e-9);

        lrnn_lint_view tv =
            lrnn_lint_view_of(lrnn_lint_layout(teacher), (double *)lrnn_lint_params_const(teacher));
        lrnn_lint_view fv = lrnn_lint_view_of(lrnn_lint_layout(fit), lrnn_lint_params(fit));
        double cc = lrnn_lint_cc(N, R, tv.m, tv.n, R, fv.m, fv.n);
        double win_t[U * N], win_f[U * N];
        lrnn_lint_effective_input(teacher, win_t);
        lrnn_lint_effective_input(fit, win_f);
        double werr = max_abs_diff(win_t, win_f, U * N) / max_abs(win_t, U * N);
        printf("NLR-RRR (%s): CC %.12f, W_in relative error %.2e, one-step R2 %.12f\n",
               from_rates ? "rates" : "states", cc, werr, r2_step);
        assert_true(cc > 0.999);
        assert_true(werr < 1e-6);
        /* m and n come out SVD-balanced: m^T m = n^T n diagonal (section 1.1) */
        for (size_t a = 0; a < R; a++)
            for (size_t b = 0; b < R; b++) {
                double mm = 0, nn = 0;
                for (size_t i = 0; i < N; i++)
                    mm += fv.m[i * R + a] * fv.m[i * R + b],
                        nn += fv.n[i * R + a] * fv.n[i * R + b];
                assert_true(fabs(mm - nn) < 1e-8 * (1 + fabs(mm)));
                if (a != b) assert_true(fabs(mm) < 1e-8 * N);
            }

        /* free-running simulation on the validation trials from the same x_0 */
        assert_int_equal(
            lrnn_lint_simulate(fit, u + TRIALS * T * U, x0 + TRIALS * N, VAL, T, nz, Xs, NULL),
            LRNN_OK);
        double r2 = lrnn_lint_r2(X + (size_t)TRIALS * (T + 1) * N, Xs, (size_t)VAL * (T + 1) * N);
        printf("  free-running R2 on %d new trials: %.12f\n", VAL, r2);
        assert_true(r2 > 0.999);
        lrnn_lint_free(fit);
        lrnn_lint_regress_free(rg);
        free(Xr);
    }
    free(u), free(x0), free(X), free(Xs);
    lrnn_lint_free(teacher);
}

/* LR on a linear teacher (phi = identity): the same exactness argument; the fitted network is
 * linear too (phi identity). NLR features on the same data cannot express J x exactly, so its
 * one-step R^2 must be visibly below LR's (a check that the features are really switched). */
static void test_lr_recovers_linear_teacher(void **state) {
    (void)state;
    lrnn_lint_rnn *teacher = make_teacher(N, R, U, LRNN_LINT_IDENTITY, 0.0, 43);
    double *u = malloc(TRIALS * T * U * sizeof *u), *x0 = malloc(TRIALS * N * sizeof *x0);
    double *X = malloc(TRIALS * (T + 1) * N * sizeof *X);
    test_random_inputs(7, TRIALS, T, U, u);
    random_normal(8, TRIALS * N, 1.5, x0);
    lrnn_lint_noise nz = {1, 0};
    assert_int_equal(lrnn_lint_simulate(teacher, u, x0, TRIALS, T, nz, X, NULL), LRNN_OK);
    lrnn_lint_regress_data d = {TRIALS, T, N, U, X, u};
    lrnn_lint_regress_params p = lrnn_lint_regress_default_params();
    p.features = LRNN_LINT_REGRESS_LR;
    lrnn_lint_regress *rg = NULL, *rg_nl = NULL;
    assert_int_equal(lrnn_lint_regress_create(&p, &d, &rg), LRNN_OK);
    lrnn_lint_regress_net_params np = {R, LRNN_LINT_REGRESS_RRR, 0.0, LRNN_LINT_TARGET_STATES};
    lrnn_lint_rnn *fit = NULL, *fit_nl = NULL;
    double r2_lr, r2_nl;
    assert_int_equal(lrnn_lint_regress_network(rg, &np, &fit, &r2_lr), LRNN_OK);
    assert_int_equal(lrnn_lint_config_of(fit)->phi, LRNN_LINT_IDENTITY);
    lrnn_lint_view tv =
        lrnn_lint_view_of(lrnn_lint_layout(teacher), (double *)lrnn_lint_params_const(teacher));
    lrnn_lint_view fv = lrnn_lint_view_of(lrnn_lint_layout(fit), lrnn_lint_params(fit));
    double cc = lrnn_lint_cc(N, R, tv.m, tv.n, R, fv.m, fv.n);
    p.features = LRNN_LINT_REGRESS_NLR;
    assert_int_equal(lrnn_lint_regress_create(&p, &d, &rg_nl), LRNN_OK);
    assert_int_equal(lrnn_lint_regress_network(rg_nl, &np, &fit_nl, &r2_nl), LRNN_OK);
    printf("LR on a linear teacher: CC %.12f, one-step R2 %.12f (NLR features: %.6f)\n", cc, r2_lr,
           r2_nl);
    assert_true(cc > 0.999);
    assert_true(r2_lr > 1 - 1e-9);
    assert_true(r2_nl < r2_lr - 1e-4);
    lrnn_lint_free(fit), lrnn_lint_free(fit_nl);
    lrnn_lint_regress_free(rg), lrnn_lint_regress_free(rg_nl);
    free(u), free(x0), free(X);
    lrnn_lint_free(teacher);
}

/* The one-step residual computed directly from the network's parameters, against the value
 * from the Gram matrices (which lrnn_lint_regress_network reports). */
static double direct_r2(const lrnn_lint_rnn *fit, const double *X, const double *u, size_t trials,
                        size_t Tn, size_t Nn, size_t Un, double alpha) {
    double *J = malloc(Nn * Nn * sizeof *J), *win = malloc(Un * Nn * sizeof *win);
    effective_J(fit, J);
    lrnn_lint_effective_input(fit, win);
    double sse = 0, sum = 0, sumsq = 0, cnt = 0;
    for (size_t j = 0; j < trials; j++)
        for (size_t t = 0; t < Tn; t++) {
            const double *x = X + (j * (Tn + 1) + t) * Nn, *ut = u + (j * Tn + t) * Un;
            for (size_t i = 0; i < Nn; i++) {
                double z = (x[Nn + i] - (1 - alpha) * x[i]) / alpha, zh = 0;
                for (size_t k = 0; k < Nn; k++)
                    zh += J[i * Nn + k] * tanh(x[k]);
                for (size_t k = 0; k < Un; k++)
                    zh += win[k * Nn + i] * ut[k];
                sse += (z - zh) * (z - zh), sum += z, sumsq += z * z, cnt += 1;
            }
        }
    free(J), free(win);
    return 1 - sse / (sumsq - sum * sum / cnt);
}

/* Noisy full-rank-like data (a rank-6 teacher with sigma 0.1, fitted at lower ranks): RRR is
 * the least-squares optimum over rank-R B (with W refitted), so its in-sample one-step R^2 is
 * never below OLS + truncation's (1e-12: rounding of the Gram formula); at R = N both are the
 * unconstrained OLS and give the same network (1e-8 relative: two different factorisations of
 * the same N x N solution). */
static void test_rrr_versus_ols(void **state) {
    (void)state;
    enum { n6 = 6, T6 = 30, TR6 = 40 };
    lrnn_lint_rnn *teacher = make_teacher(n6, n6, 1, LRNN_LINT_TANH, 0.1, 44);
    double *u = malloc(TR6 * T6 * sizeof *u), *X = malloc(TR6 * (T6 + 1) * n6 * sizeof *X);
    test_random_inputs(9, TR6, T6, 1, u);
    lrnn_lint_noise nz = {3, 0};
    assert_int_equal(lrnn_lint_simulate(teacher, u, NULL, TR6, T6, nz, X, NULL), LRNN_OK);
    lrnn_lint_regress_data d = {TR6, T6, n6, 1, X, u};
    lrnn_lint_regress_params p = lrnn_lint_regress_default_params();
    lrnn_lint_regress *rg = NULL;
    assert_int_equal(lrnn_lint_regress_create(&p, &d, &rg), LRNN_OK);
    for (int r = 1; r <= n6; r++) {
        lrnn_lint_regress_net_params a = {r, LRNN_LINT_REGRESS_RRR, 0.0, LRNN_LINT_TARGET_RATES};
        lrnn_lint_regress_net_params b = {r, LRNN_LINT_REGRESS_OLS_TRUNC, 0.0,
                                          LRNN_LINT_TARGET_RATES};
        lrnn_lint_rnn *fa = NULL, *fb = NULL;
        double ra, rb;
        assert_int_equal(lrnn_lint_regress_network(rg, &a, &fa, &ra), LRNN_OK);
        assert_int_equal(lrnn_lint_regress_network(rg, &b, &fb, &rb), LRNN_OK);
        double da = direct_r2(fa, X, u, TR6, T6, n6, 1, 0.2);
        double db = direct_r2(fb, X, u, TR6, T6, n6, 1, 0.2);
        printf("rank %d: one-step R2 RRR %.10f (direct %.10f), OLS+trunc %.10f (direct %.10f)\n", r,
               ra, da, rb, db);
        assert_true(fabs(ra - da) < 1e-8 && fabs(rb - db) < 1e-8);
        assert_true(ra >= rb - 1e-12);
        if (r == n6) {
            double Ja[n6 * n6], Jb[n6 * n6], wa[n6], wb[n6];
            effective_J(fa, Ja), effective_J(fb, Jb);
            lrnn_lint_effective_input(fa, wa), lrnn_lint_effective_input(fb, wb);
            assert_true(max_abs_diff(Ja, Jb, n6 * n6) < 1e-8 * max_abs(Ja, n6 * n6));
            assert_true(max_abs_diff(wa, wb, n6) < 1e-8 * max_abs(wa, n6));
        }
        lrnn_lint_free(fa), lrnn_lint_free(fb);
    }
    lrnn_lint_regress_free(rg);
    free(u), free(X);
    lrnn_lint_free(teacher);
}

/* Noise-free trajectories from x_0 = 0 stay near a low-dimensional set: the Gram matrix is
 * singular, the minimum-norm solution is used and flagged; a ridge makes it regular. */
static void test_rank_deficient_and_ridge(void **state) {
    (void)state;
    lrnn_lint_rnn *teacher = make_teacher(N, 1, 1, LRNN_LINT_IDENTITY, 0.0, 45);
    double *u = malloc(TRIALS * T * sizeof *u), *X = malloc(TRIALS * (T + 1) * N * sizeof *X);
    test_random_inputs(10, TRIALS, T, 1, u);
    lrnn_lint_noise nz = {1, 0};
    assert_int_equal(lrnn_lint_simulate(teacher, u, NULL, TRIALS, T, nz, X, NULL), LRNN_OK);
    lrnn_lint_regress_data d = {TRIALS, T, N, 1, X, u};
    lrnn_lint_regress_params p = lrnn_lint_regress_default_params();
    p.features = LRNN_LINT_REGRESS_LR; /* linear: x_t stays exactly in span{m, W_in} */
    lrnn_lint_regress *rg = NULL;
    assert_int_equal(lrnn_lint_regress_create(&p, &d, &rg), LRNN_OK);
    assert_true(lrnn_lint_regress_rank_deficient(rg));
    lrnn_lint_regress_net_params np = {1, LRNN_LINT_REGRESS_RRR, 0.0, LRNN_LINT_TARGET_STATES};
    lrnn_lint_rnn *fit = NULL;
    double r2;
    assert_int_equal(lrnn_lint_regress_network(rg, &np, &fit, &r2), LRNN_OK);
    assert_true(r2 > 1 - 1e-6); /* the data are still fitted exactly */
    lrnn_lint_free(fit);
    lrnn_lint_regress_free(rg);
    p.ridge = 1e-3;
    assert_int_equal(lrnn_lint_regress_create(&p, &d, &rg), LRNN_OK);
    assert_false(lrnn_lint_regress_rank_deficient(rg));
    lrnn_lint_regress_free(rg);
    free(u), free(X);
    lrnn_lint_free(teacher);
}

static void expect_fail(lrnn_status got, lrnn_status want, const char *fragment) {
    assert_int_equal(got, want);
    const char *msg = lrnn_last_error();
    if (!strstr(msg, fragment)) fail_msg("message '%s' lacks '%s'", msg, fragment);
}

static void test_bad_inputs(void **state) {
    (void)state;
    enum { n4 = 4, T4 = 5, TR4 = 3 };
    double X[TR4 * (T4 + 1) * n4], u[TR4 * T4];
    random_normal(1, TR4 * (T4 + 1) * n4, 1.0, X);
    random_normal(2, TR4 * T4, 1.0, u);
    lrnn_lint_regress_params p = lrnn_lint_regress_default_params();
    lrnn_lint_regress *rg = (lrnn_lint_regress *)&p; /* must be reset to NULL on failure */
    lrnn_lint_regress_data d = {TR4, T4, n4, 1, X, u};
    lrnn_lint_regress_data bad = d;
    bad.trials = 0;
    expect_fail(lrnn_lint_regress_create(&p, &bad, &rg), LRNN_ERR_SHAPE, "need trials");
    assert_null(rg);
    bad = d, bad.inputs = NULL;
    expect_fail(lrnn_lint_regress_create(&p, &bad, &rg), LRNN_ERR_ARG, "inputs missing");
    X[(1 * (T4 + 1) + 2) * n4 + 3] = NAN;
    expect_fail(lrnn_lint_regress_create(&p, &d, &rg), LRNN_ERR_NUMERIC, "trial 1, step 2, unit 3");
    X[(1 * (T4 + 1) + 2) * n4 + 3] = 0.5;
    u[2 * T4 + 4] = INFINITY;
    expect_fail(lrnn_lint_regress_create(&p, &d, &rg), LRNN_ERR_NUMERIC,
                "trial 2, step 4, channel 0");
    u[2 * T4 + 4] = 0.0;
    p.ridge = -1;
    expect_fail(lrnn_lint_regress_create(&p, &d, &rg), LRNN_ERR_ARG, "ridge");
    p.ridge = 0, p.alpha = 0;
    expect_fail(lrnn_lint_regress_create(&p, &d, &rg), LRNN_ERR_ARG, "alpha");
    p.alpha = 0.2;
    assert_int_equal(lrnn_lint_regress_create(&p, &d, &rg), LRNN_OK);
    lrnn_lint_rnn *fit = (lrnn_lint_rnn *)&p;
    lrnn_lint_regress_net_params np = {0, LRNN_LINT_REGRESS_RRR, 0.0, LRNN_LINT_TARGET_RATES};
    expect_fail(lrnn_lint_regress_network(rg, &np, &fit, NULL), LRNN_ERR_ARG, "rank 0");
    assert_null(fit);
    np.rank = n4 + 1;
    expect_fail(lrnn_lint_regress_network(rg, &np, &fit, NULL), LRNN_ERR_ARG, "rank 5 is not");
    lrnn_lint_regress_free(rg);

    double rates[3] = {0.5, 1.0 + 1e-9, 0.0}, out[3];
    size_t clipped;
    expect_fail(lrnn_lint_states_from_rates(rates, 3, 1e-6, out, &clipped), LRNN_ERR_NUMERIC,
                "index 1");
    rates[1] = -1.0;
    expect_fail(lrnn_lint_states_from_rates(rates, 3, 0.0, out, &clipped), LRNN_ERR_ARG, "eps");
    assert_int_equal(lrnn_lint_states_from_rates(rates, 3, 1e-6, out, &clipped), LRNN_OK);
    assert_int_equal(clipped, 1);
    /* artanh(-(1 - 1e-6)) = -(1/2) ln((2 - 1e-6) / 1e-6) */
    assert_true(fabs(out[1] + 0.5 * log((2 - 1e-6) / 1e-6)) < 1e-9);
    assert_true(fabs(out[0] - atanh(0.5)) < 1e-15);

    lrnn_lint_regress_features f;
    lrnn_lint_regress_rank rk;
    assert_int_equal(lrnn_lint_regress_features_parse("lr", &f), LRNN_OK);
    assert_int_equal(f, LRNN_LINT_REGRESS_LR);
    assert_int_equal(lrnn_lint_regress_rank_parse("ols", &rk), LRNN_OK);
    assert_int_equal(rk, LRNN_LINT_REGRESS_OLS_TRUNC);
    expect_fail(lrnn_lint_regress_features_parse("svm", &f), LRNN_ERR_ARG, "svm");
    expect_fail(lrnn_lint_regress_rank_parse("pca", &rk), LRNN_ERR_ARG, "pca");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nlr_rrr_recovers_teacher),
        cmocka_unit_test(test_lr_recovers_linear_teacher),
        cmocka_unit_test(test_rrr_versus_ols),
        cmocka_unit_test(test_rank_deficient_and_ridge),
        cmocka_unit_test(test_bad_inputs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
