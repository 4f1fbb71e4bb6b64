/* D_stsp (spec §8.1): the kernel-mixture Monte-Carlo estimate against the analytic KL of two
 * isotropic Gaussians, exact values where the mixtures are single kernels (far apart, where
 * the reference's float32 densities underflow), reproducibility, the time limit, the
 * histogram variant against a hand computation, and bad inputs. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lrnn/eval.h"
#include "lrnn/rng.h"

/* rows x d values mean[k] + sd * N(0, 1) from stream (seed, trial) */
static double *gaussian_rows(size_t rows, size_t d, const double *mean, double sd, uint64_t seed) {
    double *y = malloc(rows * d * sizeof *y);
    lrnn_rng rng;
    lrnn_rng_init(&rng, seed, LRNN_RNG_SAMPLE, 7, 0);
    for (size_t r = 0; r < rows; r++)
        for (size_t k = 0; k < d; k++)
            y[r * d + k] = mean[k] + sd * lrnn_rng_normal(&rng);
    return y;
}

/* Real rows ~ N(0, I), generated rows ~ N(mu, I) in d = 3, kernel s = 1. The mixtures tend to
 * p_Y = N(0, v I) and p_G = N(mu, v I), v = 1 + s^2 = 2, so KL = |mu|^2 / (2 v).
 * Errors of the estimate:
 *  - Monte Carlo: the draws z_j ~ p_Y are exact, so the mean of f_j = log p_Y - log p_G has
 *    standard error sd(f) / sqrt(n); the function reports it from the sample.
 *  - finite mixtures (n_Y, n_G rows): to first order KL(p^_Y||p^_G) - KL = mean_t g(Y_t) +
 *    mean_t h(G_t) - const with g(y) = E[f(z) | kernel at y] (Var g <= Var f = |mu|^2 / v)
 *    and h(g) = -E_{z~p_Y}[K(z - g) / p_G(z)] = -exp(|mu|^2/2v + s^2 |mu|^2/2v^2 - g.mu/v),
 *    log-normal in g ~ N(mu, I): Var h = exp(|mu|^2 / v^2) - 1. So its sd is at most
 *    sqrt(Var f / n_Y + Var h / n_G). The second-order bias, -Var(p^)/2p^2 = O(1/n), is
 *    below 1e-3 here.
 * Tolerance: 4 sd of the two combined. */
static void test_gmm_matches_gaussian_kl(void **state) {
    (void)state;
    enum { D = 3, NY = 20000, NG = 15000 };
    const double zero[D] = {0}, mu[D] = {1.0, 0.5, 0.0}, v = 2.0;
    const double mu2 = mu[0] * mu[0] + mu[1] * mu[1] + mu[2] * mu[2];
    double *y = gaussian_rows(NY, D, zero, 1.0, 1), *g = gaussian_rows(NG, D, mu, 1.0, 2);
    lrnn_eval_data real = {4, NY / 4, D, y, "real"}, gen = {1, NG, D, g, "gen"};
    lrnn_dstsp_params p = lrnn_dstsp_default_params();
    p.method = LRNN_DSTSP_GMM;
    p.samples = 2000;
    p.max_points = NY; /* all rows (the default keeps 10000) */
    lrnn_dstsp_result res;
    assert_int_equal(lrnn_dstsp_compute(&real, &gen, &p, &res), LRNN_OK);
    double kl = mu2 / (2.0 * v), var_f = mu2 / v, var_h = exp(mu2 / (v * v)) - 1.0;
    double data_sd = sqrt(var_f / NY + var_h / NG),
           tol = 4.0 * sqrt(res.std_err * res.std_err + data_sd * data_sd);
    printf("D_stsp %.4f +- %.4f (MC), analytic KL %.4f, finite-data sd %.4f, tolerance %.4f\n",
           res.value, res.std_err, kl, data_sd, tol);
    assert_int_equal(res.method, LRNN_DSTSP_GMM);
    assert_int_equal(res.samples, 2000);
    assert_int_equal(res.rows_real, NY);
    assert_int_equal(res.rows_gen, NG);
    /* the reported standard error is near its theoretical value sd(f) / sqrt(n) */
    assert_true(fabs(res.std_err / sqrt(var_f / 2000.0) - 1.0) < 0.15);
    assert_true(fabs(res.value - kl) < tol);
    /* identical inputs: every f_j is exactly 0 */
    assert_int_equal(lrnn_dstsp_compute(&real, &real, &p, &res), LRNN_OK);
    assert_true(res.value == 0.0 && res.std_err == 0.0);
    free(y), free(g);
}

/* One row on each side: the mixtures are N(y, s^2 I) and N(g, s^2 I), KL = |y - g|^2 / 2s^2
 * exactly and f(z) = (|z - g|^2 - |z - y|^2) / 2s^2 is Gaussian with variance |y - g|^2 / s^2.
 * In 64 dimensions with |y - g|^2 = 2000 every p_G(z) is exp(-1000) or less: zero in the
 * reference's float32 (all draws dropped); in log space nothing is lost. */
static void test_gmm_far_apart_no_underflow(void **state) {
    (void)state;
    enum { D = 64 };
    double y[D], g[D];
    for (size_t k = 0; k < D; k++)
        y[k] = 0.1 * (double)k, g[k] = y[k] + (k % 2 ? 5.0 : -5.0) * sqrt(2000.0 / 1600.0);
    double dist2 = 0.0;
    for (size_t k = 0; k < D; k++)
        dist2 += (y[k] - g[k]) * (y[k] - g[k]);
    lrnn_eval_data real = {1, 1, D, y, "y"}, gen = {1, 1, D, g, "g"};
    lrnn_dstsp_params p = lrnn_dstsp_default_params();
    const double stds[] = {1.0, 0.5};
    for (size_t c = 0; c < 2; c++) {
        p.kernel_std = stds[c];
        lrnn_dstsp_result res;
        assert_int_equal(lrnn_dstsp_compute(&real, &gen, &p, &res), LRNN_OK);
        double s2 = stds[c] * stds[c], kl = dist2 / (2.0 * s2), se = sqrt(dist2 / s2 / 1000.0);
        printf("far apart, s = %g: D_stsp %.3f +- %.3f, exact %.3f (theory s.e. %.3f)\n", stds[c],
               res.value, res.std_err, kl, se);
        assert_int_equal(res.method, LRNN_DSTSP_GMM); /* auto: 64 >= 6 dimensions */
        assert_int_equal(res.samples, 1000);
        assert_true(fabs(res.value - kl) < 4.0 * se);
        assert_true(fabs(res.std_err / se - 1.0) < 0.15);
    }
}

static void test_gmm_seed_and_time_limit(void **state) {
    (void)state;
    enum { D = 8, N = 3000 };
    const double zero[D] = {0};
    double *y = gaussian_rows(N, D, zero, 1.0, 3), *g = gaussian_rows(N, D, zero, 1.3, 4);
    lrnn_eval_data real = {1, N, D, y, "real"}, gen = {2, N / 2, D, g, "gen"};
    lrnn_dstsp_params p = lrnn_dstsp_default_params();
    p.samples = 300;
    lrnn_dstsp_result a, b, c;
    assert_int_equal(lrnn_dstsp_compute(&real, &gen, &p, &a), LRNN_OK);
    assert_int_equal(lrnn_dstsp_compute(&real, &gen, &p, &b), LRNN_OK);
    p.seed = 2;
    assert_int_equal(lrnn_dstsp_compute(&real, &gen, &p, &c), LRNN_OK);
    assert_true(a.value == b.value && a.value != c.value);
    assert_true(a.value > 0.0);
    /* draws 0..99 of 300 are the first 100 draws: the estimate over a prefix uses the same z_j */
    p.seed = 1, p.samples = 100;
    assert_int_equal(lrnn_dstsp_compute(&real, &gen, &p, &c), LRNN_OK);
    assert_true(fabs(c.value - a.value) < 6.0 * a.std_err * sqrt(3.0));
    /* a time limit stops early with what it has (at least one block of draws) */
    p.samples = 100000000;
    p.time_limit = 0.05;
    assert_int_equal(lrnn_dstsp_compute(&real, &gen, &p, &c), LRNN_OK);
    printf("time limit 0.05 s: %zu draws, D_stsp %.4f +- %.4f\n", c.samples, c.value, c.std_err);
    assert_true(c.samples >= 64 && c.samples < p.samples && isfinite(c.value));
    free(y), free(g);
}

/* Histograms by hand: 1-D, 2 bins over the real range [0, 1] (the maximum in the top cell):
 * real {0, 1, 0.2, 0.9} -> counts (2, 2); generated {0.1, 0.3, 0.6, 2.0} -> (2, 1), 2.0 is
 * outside and dropped. p = (n + a) / (N + 2a). */
static void test_bins_by_hand(void **state) {
    (void)state;
    double y[] = {0.0, 1.0, 0.2, 0.9}, g[] = {0.1, 0.3, 0.6, 2.0};
    lrnn_eval_data real = {1, 4, 1, y, "real"}, gen = {2, 2, 1, g, "gen"};
    lrnn_dstsp_params p = lrnn_dstsp_default_params();
    p.bins = 2;
    p.alpha = 0.1;
    lrnn_dstsp_result res;
    assert_int_equal(lrnn_dstsp_compute(&real, &gen, &p, &res), LRNN_OK);
    double a = 0.1, p1 = (2 + a) / (4 + 2 * a), q1 = (2 + a) / (3 + 2 * a),
           q2 = (1 + a) / (3 + 2 * a);
    double want = p1 * log(p1 / q1) + p1 * log(p1 / q2);
    printf("histogram D_stsp %.12f, by hand %.12f\n", res.value, want);
    assert_int_equal(res.method, LRNN_DSTSP_BINS); /* auto: 1 < 6 dimensions */
    assert_true(fabs(res.value - want) < 1e-14);
    assert_int_equal(res.rows_real, 4);
    assert_int_equal(res.rows_gen, 3);
    assert_true(isnan(res.std_err));
}

/* 2-D with the default 30 bins: the sparse sum over occupied cells plus the closed-form term of
 * the 900 - k empty cells equals the dense sum over all cells. */
static void test_bins_sparse_equals_dense(void **state) {
    (void)state;
    enum { D = 2, N = 500, BINS = 30 };
    const double zero[D] = {0}, mu[D] = {0.5, -0.2};
    double *y = gaussian_rows(N, D, zero, 1.0, 5), *g = gaussian_rows(N, D, mu, 0.8, 6);
    lrnn_eval_data real = {1, N, D, y, "real"}, gen = {1, N, D, g, "gen"};
    lrnn_dstsp_params p = lrnn_dstsp_default_params();
    lrnn_dstsp_result res;
    assert_int_equal(lrnn_dstsp_compute(&real, &gen, &p, &res), LRNN_OK);
    /* dense reference */
    double lo[D] = {INFINITY, INFINITY}, hi[D] = {-INFINITY, -INFINITY};
    for (size_t r = 0; r < N; r++)
        for (size_t k = 0; k < D; k++)
            lo[k] = fmin(lo[k], y[r * D + k]), hi[k] = fmax(hi[k], y[r * D + k]);
    static double h1[BINS * BINS], h2[BINS * BINS];
    double n1 = 0, n2 = 0;
    for (int side = 0; side < 2; side++)
        for (size_t r = 0; r < N; r++) {
            const double *row = (side ? g : y) + r * D;
            size_t cell = 0, scale = 1, k = 0;
            for (; k < D; k++) {
                if (row[k] < lo[k] || row[k] > hi[k]) break;
                size_t c = (size_t)floor(BINS * (row[k] - lo[k]) / (hi[k] - lo[k]));
                cell += (c < BINS ? c : BINS - 1) * scale, scale *= BINS;
            }
            if (k < D) continue;
            if (side)
                h2[cell] += 1, n2 += 1;
            else
                h1[cell] += 1, n1 += 1;
        }
    double kl = 0.0, a = p.alpha;
    for (size_t c = 0; c < BINS * BINS; c++) {
        double p1 = (h1[c] + a) / (n1 + a * BINS * BINS), p2 = (h2[c] + a) / (n2 + a * BINS * BINS);
        kl += p1 * log(p1 / p2);
    }
    printf("histogram D_stsp (30 x 30): sparse %.12f, dense %.12f\n", res.value, kl);
    assert_true(fabs(res.value - kl) < 1e-12 * (1.0 + kl));
    assert_true(kl > 0.1);
    assert_int_equal(lrnn_dstsp_compute(&real, &real, &p, &res), LRNN_OK);
    assert_true(res.value == 0.0);
    free(y), free(g);
}

static void test_missing_rows_and_bad_inputs(void **state) {
    (void)state;
    enum { D = 2, N = 400 };
    const double zero[D] = {0};
    double *y = gaussian_rows(N, D, zero, 1.0, 8), *g = gaussian_rows(N + 1, D, zero, 1.2, 9);
    lrnn_eval_data real = {1, N, D, y, "real.npy"}, gen = {1, N, D, g, "gen.npy"};
    lrnn_dstsp_params p = lrnn_dstsp_default_params();
    lrnn_dstsp_result clean, holes;
    for (lrnn_dstsp_method m = LRNN_DSTSP_GMM; m <= LRNN_DSTSP_BINS; m++) {
        /* a row with a NaN is skipped: same as the data without it */
        p.method = m;
        lrnn_eval_data gen_tail = {1, N, D, g + D, "gen"};
        assert_int_equal(lrnn_dstsp_compute(&real, &gen_tail, &p, &clean), LRNN_OK);
        g[1] = NAN;
        lrnn_eval_data gen_hole = {1, N + 1, D, g, "gen"};
        assert_int_equal(lrnn_dstsp_compute(&real, &gen_hole, &p, &holes), LRNN_OK);
        g[1] = 0.0;
        assert_true(clean.value == holes.value);
        assert_int_equal(holes.rows_gen, clean.rows_gen);
    }
    p = lrnn_dstsp_default_params();
    lrnn_dstsp_result r;
    lrnn_eval_data three = {1, N / 2, 3, y, "three.npy"};
    assert_int_equal(lrnn_dstsp_compute(&real, &three, &p, &r), LRNN_ERR_SHAPE);
    assert_non_null(strstr(lrnn_last_error(), "real.npy has 2 channels but three.npy has 3"));
    lrnn_eval_data empty = {1, 0, D, y, "empty.npy"};
    assert_int_equal(lrnn_dstsp_compute(&empty, &gen, &p, &r), LRNN_ERR_SHAPE);
    assert_non_null(strstr(lrnn_last_error(), "empty.npy is empty"));
    double nan_rows[4] = {NAN, 1.0, 2.0, NAN};
    lrnn_eval_data all_nan = {1, 2, D, nan_rows, "holes.npy"};
    p.method = LRNN_DSTSP_GMM;
    assert_int_equal(lrnn_dstsp_compute(&real, &all_nan, &p, &r), LRNN_ERR_NUMERIC);
    assert_non_null(strstr(lrnn_last_error(), "holes.npy has no complete row"));
    p.method = LRNN_DSTSP_BINS;
    assert_int_equal(lrnn_dstsp_compute(&all_nan, &real, &p, &r), LRNN_ERR_NUMERIC);
    assert_non_null(strstr(lrnn_last_error(), "holes.npy has no complete row"));
    double flat[6] = {1.0, 3.0, 1.0, 4.0, 1.0, 5.0};
    lrnn_eval_data constant = {1, 3, D, flat, "flat.npy"};
    assert_int_equal(lrnn_dstsp_compute(&constant, &real, &p, &r), LRNN_ERR_NUMERIC);
    assert_non_null(strstr(lrnn_last_error(), "channel 0 of flat.npy is constant"));
    g[3] = INFINITY;
    assert_int_equal(lrnn_dstsp_compute(&real, &gen, &p, &r), LRNN_ERR_NUMERIC);
    assert_non_null(strstr(lrnn_last_error(), "gen.npy has Inf"));
    p.bins = 1000000;
    lrnn_eval_data five = {1, 80, 5, y, "five"};
    assert_int_equal(lrnn_dstsp_compute(&five, &five, &p, &r), LRNN_ERR_ARG);
    assert_non_null(strstr(lrnn_last_error(), "too many cells"));
    p = lrnn_dstsp_default_params();
    p.kernel_std = 0.0;
    assert_int_equal(lrnn_dstsp_params_check(&p), LRNN_ERR_ARG);
    p = lrnn_dstsp_default_params();
    p.samples = 0;
    assert_int_equal(lrnn_dstsp_params_check(&p), LRNN_ERR_ARG);
    lrnn_dstsp_method m;
    assert_int_equal(lrnn_dstsp_method_parse("bins", &m), LRNN_OK);
    assert_int_equal(m, LRNN_DSTSP_BINS);
    assert_int_equal(lrnn_dstsp_method_parse("kde", &m), LRNN_ERR_ARG);
    free(y), free(g);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gmm_matches_gaussian_kl),
        cmocka_unit_test(test_gmm_far_apart_no_underflow),
        cmocka_unit_test(test_gmm_seed_and_time_limit),
        cmocka_unit_test(test_bins_by_hand),
        cmocka_unit_test(test_bins_sparse_equals_dense),
        cmocka_unit_test(test_missing_rows_and_bad_inputs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
