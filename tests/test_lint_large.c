/* LINT at scale (issue 10, done-when 4): a rank-1 network of N = 20000 units is simulated,
 * compared with a second one by CC / ECC, has 2000 units silenced and its population loadings
 * clustered, all in a few seconds and without ever holding an N x N matrix: the peak resident
 * memory (getrusage ru_maxrss) must stay far below the 3.2 GB one N x N double matrix needs. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <cmocka.h>

#include "lrnn/lint.h"
#include "lrnn/lint_populations.h"
#include "lrnn/rng.h"

enum { N = 20000, U = 2, T = 50, B = 4, SILENCED = 2000 };

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static lrnn_lint_rnn *rank1(uint64_t seed) {
    lrnn_lint_config c = lrnn_lint_default_config(LRNN_LINT_LOW_RANK);
    c.units = N, c.rank = 1, c.inputs = U, c.outputs = 1, c.seed = seed;
    lrnn_lint_rnn *rnn = NULL;
    assert_int_equal(lrnn_lint_create(&c, &rnn), LRNN_OK);
    lrnn_lint_view v = lrnn_lint_view_of(lrnn_lint_layout(rnn), lrnn_lint_params(rnn));
    for (size_t i = 0; i < N; i++) /* recurrence along m and input 0 feeding kappa */
        v.n[i] = 1.2 * v.m[i] + 0.8 * v.wi[i] + 0.5 * v.n[i];
    return rnn;
}

static void test_rank1_n20000(void **state) {
    (void)state;
    double t0 = now();
    lrnn_lint_rnn *a = rank1(1), *b = rank1(2);
    lrnn_lint_view va = lrnn_lint_view_of(lrnn_lint_layout(a), lrnn_lint_params(a));
    lrnn_lint_view vb = lrnn_lint_view_of(lrnn_lint_layout(b), lrnn_lint_params(b));
    /* b shares a's m and half of its n, so both correlations are far from 0 and from 1 */
    for (size_t i = 0; i < N; i++)
        vb.m[i] = va.m[i], vb.n[i] = 0.5 * (va.n[i] + vb.n[i]);

    /* simulate: B trials of T steps, a pulse on each input */
    double *u = calloc(B * T * U, sizeof *u), *xs = malloc((size_t)B * (T + 1) * N * sizeof *xs);
    double y_int[B * T], y_sil[B * T];
    for (size_t j = 0; j < B; j++)
        for (size_t t = 5; t < 25; t++)
            u[(j * T + t) * U + j % U] = j < 2 ? 0.5 : -0.5;
    lrnn_lint_noise nz = {3, 0};
    assert_int_equal(lrnn_lint_simulate(a, u, NULL, B, T, nz, xs, y_int), LRNN_OK);
    for (size_t k = 0; k < B * T; k++)
        assert_true(isfinite(y_int[k]));
    double t_sim = now();

    /* CC against the closed form of two rank-1 outer products:
     * <m1 n1^T, m2 n2^T>_F = (m1.m2)(n1.n2), so CC = cos(m1, m2) cos(n1, n2) */
    double mm = 0, nn = 0, m1 = 0, m2 = 0, n1 = 0, n2 = 0;
    for (size_t i = 0; i < N; i++) {
        mm += va.m[i] * vb.m[i], nn += va.n[i] * vb.n[i];
        m1 += va.m[i] * va.m[i], m2 += vb.m[i] * vb.m[i];
        n1 += va.n[i] * va.n[i], n2 += vb.n[i] * vb.n[i];
    }
    double cc = lrnn_lint_cc(N, 1, va.m, va.n, 1, vb.m, vb.n);
    assert_true(fabs(cc - mm * nn / sqrt(m1 * m2 * n1 * n2)) < 1e-10);
    assert_true(cc > 0.3 && cc < 0.99);
    double *win_a = malloc(U * N * sizeof *win_a), *win_b = malloc(U * N * sizeof *win_b);
    lrnn_lint_effective_input(a, win_a);
    lrnn_lint_effective_input(b, win_b);
    double ecc = 0, ecc_self = 0;
    assert_int_equal(lrnn_lint_ecc(N, 1, va.m, va.n, U, win_a, 1, vb.m, vb.n, U, win_b, &ecc),
                     LRNN_OK);
    assert_int_equal(lrnn_lint_ecc(N, 1, va.m, va.n, U, win_a, 1, va.m, va.n, U, win_a, &ecc_self),
                     LRNN_OK);
    assert_true(fabs(ecc_self - 1.0) < 1e-10);
    assert_true(ecc > -1.0 && ecc < 1.0);
    double t_cc = now();

    /* inactivation of 2000 units: their states stay exactly 0 (sigma = 0) and the outputs move */
    lrnn_lint_rnn *sil = NULL;
    assert_int_equal(lrnn_lint_clone(a, &sil), LRNN_OK);
    bool *mask = calloc(N, sizeof *mask);
    for (size_t i = 0; i < SILENCED; i++)
        mask[i * (N / SILENCED)] = true;
    assert_int_equal(lrnn_lint_silence(sil, mask), LRNN_OK);
    assert_int_equal(lrnn_lint_simulate(sil, u, NULL, B, T, nz, xs, y_sil), LRNN_OK);
    for (size_t r = 0; r < (size_t)B * (T + 1); r++)
        for (size_t i = 0; i < N; i += N / SILENCED)
            assert_true(xs[r * N + i] == 0.0);
    double moved = 0;
    for (size_t k = 0; k < B * T; k++)
        moved = fmax(moved, fabs(y_sil[k] - y_int[k]));
    assert_true(moved > 1e-6);
    double t_sil = now();

    /* population loadings [m, n, wi] (after the SVD reparametrisation of a copy) and a 2-component
     * mixture with two restarts and two stability draws */
    lrnn_lint_features f = {.m = true, .n = true, .wi = true};
    int d = 0;
    double *x = malloc(N * 4 * sizeof *x);
    int *labels = malloc(N * sizeof *labels);
    assert_int_equal(lrnn_lint_loadings(a, f, NULL, x, &d), LRNN_OK);
    assert_int_equal(d, 4);
    lrnn_gmm_params gp = lrnn_gmm_default_params();
    gp.components = 2, gp.restarts = 2, gp.seed = 2022;
    lrnn_gmm_stability_params sp = lrnn_gmm_stability_default_params();
    sp.resamples = 2, sp.seed = 1;
    size_t counts[2];
    double smean = 0;
    assert_int_equal(lrnn_lint_cluster(N, d, x, &gp, &sp, labels, counts, &smean, NULL), LRNN_OK);
    assert_int_equal(counts[0] + counts[1], N);
    double gains[2];
    assert_int_equal(lrnn_lint_population_gains(a, xs, B, T, NULL, 1, labels, 2, gains, NULL),
                     LRNN_OK);
    double t_pop = now();

    /* Peak memory. What this test holds: states B (T+1) N doubles = 32.6 MB, twice inside
     * lrnn_lint_simulate's workspace (states and rates, + the readout features, ~98 MB), the
     * parameter blocks (5 N doubles each), loadings N x 4 and the mixture's work (N x C):
     * about 0.15 GB, plus the libraries (OpenBLAS buffers, and under AddressSanitizer its
     * shadow and a 256 MB quarantine). One N x N double matrix alone is N^2 8 B = 3.2 GB; a
     * peak below 0.8 GB (a quarter of it) shows that none, not even a block of one, was formed,
     * while leaving the sanitizer build room. */
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double peak_gb = (double)ru.ru_maxrss * 1024.0 / 1e9; /* ru_maxrss is in KiB on Linux */
    printf("N = %d: simulate %.2f s, CC/ECC %.2f s, silence + simulate %.2f s, loadings + "
           "GMM %.2f s (stability %.3f), peak RSS %.3f GB (an N x N matrix: %.1f GB)\n",
           N, t_sim - t0, t_cc - t_sim, t_sil - t_cc, t_pop - t_sil, smean, peak_gb,
           (double)N * N * 8 / 1e9);
    assert_true(peak_gb < 0.8);

    free(u), free(xs), free(win_a), free(win_b), free(mask), free(x), free(labels);
    lrnn_lint_free(a), lrnn_lint_free(b), lrnn_lint_free(sil);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_rank1_n20000)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
