/* Gaussian-mixture clustering (spec lint_method.md 5.3): label recovery on well-separated
 * synthetic mixtures, the adjusted Rand index (hand values, invariances, null distribution), EM
 * monotonicity, determinism, BIC, moments of samples from a fitted mixture, bootstrap stability
 * and bad inputs. All data come from fixed lrnn_rng streams. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/dense.h"
#include "lrnn/gmm.h"
#include "lrnn/rng.h"

/* n points per component of a C-component mixture in d dims: mean of component c is
 * sep * e_(c mod d) * (1 + c / d) (distinct, pairwise >= sep apart), covariance L_c L_c^T with
 * unit diagonal of L_c and off-diagonal entries 0.4 (c odd: -0.4) below it, so the clusters are
 * correlated, not spherical. x (C n x d), labels (C n). */
static void make_mixture(int C, int d, size_t per, double sep, uint64_t seed, double *x,
                         int *labels) {
    lrnn_rng rng;
    lrnn_rng_init(&rng, seed, LRNN_RNG_SAMPLE, 7, 0);
    size_t dd = (size_t)d;
    double *eps = malloc(dd * sizeof *eps);
    for (int c = 0; c < C; c++)
        for (size_t i = 0; i < per; i++) {
            size_t row = (size_t)c * per + i;
            lrnn_rng_normal_fill(&rng, eps, dd);
            for (size_t k = 0; k < dd; k++) {
                double v = eps[k];
                for (size_t l = 0; l < k; l++)
                    v += (c % 2 ? -0.4 : 0.4) * eps[l];
                if ((int)k == c % d) v += sep * (1.0 + (double)(c / d));
                x[row * dd + k] = v;
            }
            labels[row] = c;
        }
    free(eps);
}

static double fit_ari(int C, int d, size_t per, double sep) {
    size_t n = (size_t)C * per;
    double *x = malloc(n * (size_t)d * sizeof *x);
    int *truth = malloc(n * sizeof *truth), *lab = malloc(n * sizeof *lab);
    make_mixture(C, d, per, sep, 11, x, truth);
    lrnn_gmm_params p = lrnn_gmm_default_params();
    p.components = C;
    p.seed = 2022;
    lrnn_gmm g;
    assert_int_equal(lrnn_gmm_fit(&p, n, d, x, &g, lab), LRNN_OK);
    double ari;
    assert_int_equal(lrnn_adjusted_rand_index(n, truth, lab, &ari), LRNN_OK);
    double wsum = 0.0;
    for (int c = 0; c < C; c++) {
        wsum += g.weights[c];
        /* equal true weights 1/C; a labelling with ARI > 0.95 leaves each within a few % */
        assert_true(fabs(g.weights[c] - 1.0 / C) < 0.05);
    }
    assert_true(fabs(wsum - 1.0) < 1e-12);
    printf("  C=%d d=%d n=%zu: ARI %.4f, log-lik %.3f, %d iterations (restart %d)\n", C, d, n, ari,
           g.log_likelihood, g.iterations, g.best_restart);
    lrnn_gmm_free(&g);
    free(x);
    free(truth);
    free(lab);
    return ari;
}

/* Issue 10 done-when 3: well-separated mixtures are recovered with ARI > 0.95. Means at least 6
 * apart along a coordinate whose marginal sd is <= 1.2: the Bayes error per pair is below
 * Phi(-2.5) = 0.6%, so a correct fit misassigns a few points at most. */
static void test_recover(void **state) {
    (void)state;
    assert_true(fit_ari(2, 2, 300, 6.0) > 0.95);
    assert_true(fit_ari(3, 2, 300, 6.0) > 0.95);
    assert_true(fit_ari(2, 4, 300, 6.0) > 0.95);
    assert_true(fit_ari(3, 4, 300, 6.0) > 0.95);
}

static void test_ari_values(void **state) {
    (void)state;
    double v;
    /* hand-computed: table {(0,0):2, (1,1):1, (1,2):1}: index 1, sum_a 2, sum_b 1, C2(4) = 6,
     * expected 1/3, max 3/2, ARI = (2/3)/(7/6) = 4/7 */
    const int a1[] = {0, 0, 1, 1}, b1[] = {0, 0, 1, 2}, b2[] = {0, 1, 0, 1};
    assert_int_equal(lrnn_adjusted_rand_index(4, a1, b1, &v), LRNN_OK);
    assert_true(fabs(v - 4.0 / 7.0) < 1e-15);
    assert_int_equal(lrnn_adjusted_rand_index(4, b1, a1, &v), LRNN_OK); /* symmetric */
    assert_true(fabs(v - 4.0 / 7.0) < 1e-15);
    /* index 0, expected 2/3, max 2: ARI = -1/2 */
    assert_int_equal(lrnn_adjusted_rand_index(4, a1, b2, &v), LRNN_OK);
    assert_true(fabs(v + 0.5) < 1e-15);

    enum { N = 500 };
    int a[N], b[N];
    lrnn_rng rng;
    lrnn_rng_init(&rng, 5, LRNN_RNG_SAMPLE, 0, 0);
    for (int i = 0; i < N; i++)
        a[i] = (int)lrnn_rng_below(&rng, 4);
    assert_int_equal(lrnn_adjusted_rand_index(N, a, a, &v), LRNN_OK);
    assert_true(v == 1.0);
    /* a relabelling (permutation plus arbitrary, negative and large values) is the same
     * partition */
    const int perm[4] = {7, -3, 100000, 0};
    for (int i = 0; i < N; i++)
        b[i] = perm[a[i]];
    assert_int_equal(lrnn_adjusted_rand_index(N, a, b, &v), LRNN_OK);
    assert_true(fabs(v - 1.0) < 1e-14);
    /* trivial partitions: both one cluster, both singletons, and one point */
    for (int i = 0; i < N; i++)
        a[i] = 3, b[i] = -1;
    assert_int_equal(lrnn_adjusted_rand_index(N, a, b, &v), LRNN_OK);
    assert_true(v == 1.0);
    for (int i = 0; i < N; i++)
        a[i] = i, b[i] = N - i;
    assert_int_equal(lrnn_adjusted_rand_index(N, a, b, &v), LRNN_OK);
    assert_true(v == 1.0);
    assert_int_equal(lrnn_adjusted_rand_index(1, a, b, &v), LRNN_OK);
    assert_true(v == 1.0);
    /* one cluster against a real split: index = expected, ARI 0 */
    for (int i = 0; i < N; i++)
        a[i] = 0, b[i] = i % 2;
    assert_int_equal(lrnn_adjusted_rand_index(N, a, b, &v), LRNN_OK);
    assert_true(fabs(v) < 1e-14);
}

/* Independent uniform labelings: E[ARI] = 0 and, for large n, sd(ARI) ~ sqrt(2) / n for any
 * number of classes. Derivation: with equal marginals e = n/K^2 per cell, the numerator is
 * ~ (1/2) sum_ij (n_ij - e)^2 = (e/2) chi^2 with chi^2 ~ chi^2_{(K-1)^2} (variance 2 (K-1)^2),
 * the denominator ~ (n^2/2)(1/K)(1 - 1/K); the ratio has sd sqrt(2)/n (checked by simulation
 * with numpy: 0.00142 for n = 1000, K = 3). With R replicate pairs the mean has standard error
 * sqrt(2)/(n sqrt(R)): 5 of them bound it. The sample sd of R = 400 values has relative
 * standard error 1/sqrt(2(R-1)) = 3.5%: +-25% is 7 of them, leaving room for the O(1/n) error of
 * the asymptotic formula. */
static void test_ari_null(void **state) {
    (void)state;
    enum { N = 1000, R = 400, K = 3 };
    int *a = malloc(N * sizeof *a), *b = malloc(N * sizeof *b);
    lrnn_rng rng;
    lrnn_rng_init(&rng, 99, LRNN_RNG_SAMPLE, 1, 0);
    double s = 0.0, s2 = 0.0;
    for (int r = 0; r < R; r++) {
        for (int i = 0; i < N; i++) {
            a[i] = (int)lrnn_rng_below(&rng, K);
            b[i] = (int)lrnn_rng_below(&rng, K);
        }
        double v;
        assert_int_equal(lrnn_adjusted_rand_index(N, a, b, &v), LRNN_OK);
        s += v;
        s2 += v * v;
    }
    double mean = s / R, sd = sqrt((s2 - R * mean * mean) / (R - 1)), sd0 = sqrt(2.0) / N;
    printf("  null ARI over %d pairs (n=%d, K=%d): mean %.2e (bound %.2e), sd %.3e (theory %.3e)\n",
           R, N, K, mean, 5 * sd0 / sqrt(R), sd, sd0);
    assert_true(fabs(mean) < 5.0 * sd0 / sqrt((double)R));
    assert_true(sd > 0.75 * sd0 && sd < 1.25 * sd0);
    free(a);
    free(b);
}

/* EM never decreases the likelihood. With reg_covar = 0 the M-step is the exact maximiser of
 * the expected complete-data log-likelihood, so the trace is non-decreasing up to rounding
 * (1e-12 relative); overlapping clusters (sep 2) make EM run all 60 iterations. */
static void test_monotone(void **state) {
    (void)state;
    size_t per = 200, n = 3 * per;
    double *x = malloc(n * 2 * sizeof *x);
    int *truth = malloc(n * sizeof *truth);
    make_mixture(3, 2, per, 2.0, 3, x, truth);
    lrnn_gmm_params p = lrnn_gmm_default_params();
    p.components = 3;
    p.restarts = 3;
    p.max_iter = 60;
    p.tol = 0.0;
    p.reg_covar = 0.0;
    lrnn_gmm g;
    assert_int_equal(lrnn_gmm_fit(&p, n, 2, x, &g, NULL), LRNN_OK);
    assert_int_equal(g.iterations, 60);
    assert_false(g.converged);
    double worst = 0.0;
    for (int i = 1; i < g.iterations; i++) {
        double step = g.ll_trace[i] - g.ll_trace[i - 1];
        if (step < worst) worst = step;
        assert_true(step >= -1e-12 * fabs(g.ll_trace[i]));
    }
    assert_true(g.ll_trace[g.iterations - 1] > g.ll_trace[0]);
    /* the reported log-likelihood is that of the returned parameters */
    double ll;
    assert_int_equal(lrnn_gmm_predict(&g, n, x, NULL, NULL, &ll), LRNN_OK);
    assert_true(fabs(ll - g.log_likelihood) <= 1e-9 * fabs(ll));
    assert_true(fabs(ll / (double)n - g.ll_trace[g.iterations - 1]) <= 1e-12 * fabs(ll));
    printf("  trace %.6f -> %.6f per point, most negative step %.2e\n", g.ll_trace[0],
           g.ll_trace[g.iterations - 1], worst);
    lrnn_gmm_free(&g);
    free(x);
    free(truth);
}

static void test_deterministic_and_bic(void **state) {
    (void)state;
    size_t per = 250, n = 2 * per;
    double *x = malloc(n * 3 * sizeof *x);
    int *truth = malloc(n * sizeof *truth), *l1 = malloc(n * sizeof *l1),
        *l2 = malloc(n * sizeof *l2);
    make_mixture(2, 3, per, 6.0, 21, x, truth);
    lrnn_gmm_params p = lrnn_gmm_default_params();
    p.seed = 77;
    lrnn_gmm g1, g2;
    assert_int_equal(lrnn_gmm_fit(&p, n, 3, x, &g1, l1), LRNN_OK);
    assert_int_equal(lrnn_gmm_fit(&p, n, 3, x, &g2, l2), LRNN_OK);
    assert_memory_equal(g1.means, g2.means, 2 * 3 * sizeof(double));
    assert_memory_equal(g1.covs, g2.covs, 2 * 9 * sizeof(double));
    assert_memory_equal(l1, l2, n * sizeof *l1);
    assert_true(g1.log_likelihood == g2.log_likelihood);
    assert_true(g1.converged);

    /* BIC = -2 log L + k ln n, k = 1 + 2*3 + 2*6 = 19 */
    double bic2 = lrnn_gmm_bic(&g1, n);
    assert_true(fabs(bic2 - (-2.0 * g1.log_likelihood + 19.0 * log((double)n))) < 1e-9);
    lrnn_gmm g;
    p.components = 1;
    assert_int_equal(lrnn_gmm_fit(&p, n, 3, x, &g, NULL), LRNN_OK);
    double bic1 = lrnn_gmm_bic(&g, n);
    lrnn_gmm_free(&g);
    p.components = 3;
    assert_int_equal(lrnn_gmm_fit(&p, n, 3, x, &g, NULL), LRNN_OK);
    double bic3 = lrnn_gmm_bic(&g, n);
    /* more components never lower the maximised likelihood much below a nested fit's */
    assert_true(g.log_likelihood > g1.log_likelihood - 1.0);
    lrnn_gmm_free(&g);
    printf("  BIC C=1 %.1f, C=2 %.1f, C=3 %.1f\n", bic1, bic2, bic3);
    assert_true(bic2 < bic1);
    lrnn_gmm_free(&g1);
    lrnn_gmm_free(&g2);
    free(x);
    free(truth);
    free(l1);
    free(l2);
}

/* Draws from a fitted mixture have its mean mu = sum_c w_c mu_c and covariance
 * Sigma = sum_c w_c (Sigma_c + mu_c mu_c^T) - mu mu^T. The sample mean's coordinate k has
 * standard error sqrt(Sigma_kk / M); the sample covariance entry (k, l) has standard error
 * sqrt(Var[(x_k - mu_k)(x_l - mu_l)] / M), the variance estimated from the draws' own fourth
 * moments (the mixture is not Gaussian). Each check allows 5 standard errors (two-sided
 * p = 6e-7 each; 2 + 3 + 3 checks). Component frequencies: binomial sd sqrt(w (1 - w) / M). */
static void test_sample_moments(void **state) {
    (void)state;
    enum { D = 2, C = 3 };
    size_t per = 200, n = C * per, M = 40000;
    double *x = malloc(n * D * sizeof *x);
    int *truth = malloc(n * sizeof *truth);
    make_mixture(C, D, per, 5.0, 8, x, truth);
    lrnn_gmm_params p = lrnn_gmm_default_params();
    p.components = C;
    lrnn_gmm g;
    assert_int_equal(lrnn_gmm_fit(&p, n, D, x, &g, NULL), LRNN_OK);

    double mu[D] = {0}, S[D * D] = {0};
    for (int c = 0; c < C; c++)
        for (int k = 0; k < D; k++)
            mu[k] += g.weights[c] * g.means[c * D + k];
    for (int c = 0; c < C; c++)
        for (int k = 0; k < D; k++)
            for (int l = 0; l < D; l++)
                S[k * D + l] += g.weights[c] * (g.covs[c * D * D + k * D + l] +
                                                g.means[c * D + k] * g.means[c * D + l]);
    for (int k = 0; k < D; k++)
        for (int l = 0; l < D; l++)
            S[k * D + l] -= mu[k] * mu[l];

    double *y = malloc(M * D * sizeof *y);
    int *lab = malloc(M * sizeof *lab);
    assert_int_equal(lrnn_gmm_sample(&g, M, 4, y, lab), LRNN_OK);
    double m[D] = {0};
    for (size_t i = 0; i < M; i++)
        for (int k = 0; k < D; k++)
            m[k] += y[i * D + k] / (double)M;
    for (int k = 0; k < D; k++) {
        double se = sqrt(S[k * D + k] / (double)M);
        printf("  mean[%d]: sample %.4f, mixture %.4f (%.1f se)\n", k, m[k], mu[k],
               (m[k] - mu[k]) / se);
        assert_true(fabs(m[k] - mu[k]) < 5.0 * se);
    }
    for (int k = 0; k < D; k++)
        for (int l = 0; l <= k; l++) {
            double s = 0.0, s2 = 0.0;
            for (size_t i = 0; i < M; i++) {
                double v = (y[i * D + k] - mu[k]) * (y[i * D + l] - mu[l]);
                s += v;
                s2 += v * v;
            }
            double est = s / (double)M, var = s2 / (double)M - est * est;
            double se = sqrt(var / (double)M);
            printf("  cov[%d][%d]: sample %.4f, mixture %.4f (%.1f se)\n", k, l, est, S[k * D + l],
                   (est - S[k * D + l]) / se);
            assert_true(fabs(est - S[k * D + l]) < 5.0 * se);
        }
    for (int c = 0; c < C; c++) {
        size_t cnt = 0;
        for (size_t i = 0; i < M; i++)
            cnt += lab[i] == c;
        double f = (double)cnt / (double)M, w = g.weights[c];
        assert_true(fabs(f - w) < 5.0 * sqrt(w * (1.0 - w) / (double)M));
    }
    /* same seed, same draws */
    double *y2 = malloc(M * D * sizeof *y2);
    assert_int_equal(lrnn_gmm_sample(&g, M, 4, y2, NULL), LRNN_OK);
    assert_memory_equal(y, y2, M * D * sizeof *y);
    free(y2);
    free(y);
    free(lab);
    lrnn_gmm_free(&g);
    free(x);
    free(truth);
}

/* Well-separated clusters are stable under resampling (ARI near 1); two components forced on
 * one spherical Gaussian blob split it along an arbitrary direction, which moves between
 * resamples, so the same statistic is clearly lower. */
static void test_stability(void **state) {
    (void)state;
    size_t per = 150, n = 2 * per;
    double *x = malloc(n * 2 * sizeof *x);
    int *truth = malloc(n * sizeof *truth), *lab = malloc(n * sizeof *lab);
    make_mixture(2, 2, per, 8.0, 31, x, truth);
    lrnn_gmm_params p = lrnn_gmm_default_params();
    p.restarts = 3;
    lrnn_gmm g;
    assert_int_equal(lrnn_gmm_fit(&p, n, 2, x, &g, lab), LRNN_OK);
    lrnn_gmm_free(&g);
    lrnn_gmm_stability_params sp = lrnn_gmm_stability_default_params();
    sp.resamples = 8;
    double ari[8], mean, sd, mean_sub, sd_sub, mean_blob, sd_blob;
    assert_int_equal(lrnn_gmm_stability(&p, &sp, n, 2, x, lab, ari, &mean, &sd), LRNN_OK);
    for (int b = 0; b < 8; b++)
        assert_true(ari[b] > 0.95);
    sp.replace = false;
    sp.fraction = 0.8;
    assert_int_equal(lrnn_gmm_stability(&p, &sp, n, 2, x, lab, NULL, &mean_sub, &sd_sub), LRNN_OK);
    assert_true(mean_sub > 0.95);

    /* the blob: isotropic unit Gaussian */
    lrnn_rng rng;
    lrnn_rng_init(&rng, 3, LRNN_RNG_SAMPLE, 0, 0);
    lrnn_rng_normal_fill(&rng, x, n * 2);
    assert_int_equal(lrnn_gmm_fit(&p, n, 2, x, &g, lab), LRNN_OK);
    lrnn_gmm_free(&g);
    sp.replace = true;
    sp.fraction = 1.0;
    assert_int_equal(lrnn_gmm_stability(&p, &sp, n, 2, x, lab, NULL, &mean_blob, &sd_blob),
                     LRNN_OK);
    printf("  stability: separated %.3f +- %.3f (80%% subsamples %.3f +- %.3f), blob %.3f +- "
           "%.3f\n",
           mean, sd, mean_sub, sd_sub, mean_blob, sd_blob);
    assert_true(mean > 0.95);
    assert_true(mean_blob < mean - 0.2);
    free(x);
    free(truth);
    free(lab);
}

static void expect_fail(lrnn_status st, lrnn_status want, const char *needle) {
    printf("  rejected: %s\n", lrnn_last_error());
    assert_int_equal(st, want);
    assert_non_null(strstr(lrnn_last_error(), needle));
}

static void test_bad_inputs(void **state) {
    (void)state;
    enum { N = 20, D = 2 };
    double x[N * D];
    int lab[N];
    lrnn_rng rng;
    lrnn_rng_init(&rng, 1, LRNN_RNG_SAMPLE, 0, 0);
    lrnn_rng_normal_fill(&rng, x, N * D);
    lrnn_gmm g;
    lrnn_gmm_params p = lrnn_gmm_default_params();

    lrnn_gmm_params q = p;
    q.components = 0;
    expect_fail(lrnn_gmm_fit(&q, N, D, x, &g, lab), LRNN_ERR_ARG, "components = 0");
    q = p;
    q.restarts = 0;
    expect_fail(lrnn_gmm_params_check(&q), LRNN_ERR_ARG, "restarts");
    q = p;
    q.max_iter = 0;
    expect_fail(lrnn_gmm_params_check(&q), LRNN_ERR_ARG, "max_iter");
    q = p;
    q.tol = NAN;
    expect_fail(lrnn_gmm_params_check(&q), LRNN_ERR_ARG, "tol");
    q = p;
    q.reg_covar = -1e-3;
    expect_fail(lrnn_gmm_params_check(&q), LRNN_ERR_ARG, "reg_covar");

    q = p;
    q.components = 21;
    expect_fail(lrnn_gmm_fit(&q, N, D, x, &g, lab), LRNN_ERR_SHAPE, "20 points cannot support 21");
    expect_fail(lrnn_gmm_fit(&p, N, 0, x, &g, lab), LRNN_ERR_SHAPE, "no features");
    expect_fail(lrnn_gmm_fit(&p, 0, D, x, &g, lab), LRNN_ERR_SHAPE, "empty");
    x[7 * D + 1] = NAN;
    expect_fail(lrnn_gmm_fit(&p, N, D, x, &g, lab), LRNN_ERR_NUMERIC, "row 7, column 1");
    x[7 * D + 1] = INFINITY;
    expect_fail(lrnn_gmm_fit(&p, N, D, x, &g, lab), LRNN_ERR_NUMERIC, "row 7");
    x[7 * D + 1] = 0.5;

    /* a constant feature: its variance is exactly 0, singular without regularisation */
    double xc[N * D];
    memcpy(xc, x, sizeof xc);
    for (int i = 0; i < N; i++)
        xc[i * D + 1] = 3.0;
    q = p;
    q.reg_covar = 0.0;
    expect_fail(lrnn_gmm_fit(&q, N, D, xc, &g, lab), LRNN_ERR_NUMERIC, "singular");
    assert_null(g.means);
    /* the default regularisation makes the same data fit */
    assert_int_equal(lrnn_gmm_fit(&p, N, D, xc, &g, lab), LRNN_OK);

    double y[N * D];
    memcpy(y, x, sizeof y);
    y[3 * D] = NAN;
    expect_fail(lrnn_gmm_predict(&g, N, y, lab, NULL, NULL), LRNN_ERR_NUMERIC, "row 3");
    lrnn_gmm_stability_params sp = lrnn_gmm_stability_default_params();
    sp.replace = false;
    sp.fraction = 1.5;
    expect_fail(lrnn_gmm_stability(&p, &sp, N, D, x, lab, NULL, NULL, NULL), LRNN_ERR_ARG,
                "fraction");
    sp = lrnn_gmm_stability_default_params();
    sp.resamples = 0;
    expect_fail(lrnn_gmm_stability_params_check(&sp), LRNN_ERR_ARG, "resamples");
    sp = lrnn_gmm_stability_default_params();
    sp.fraction = 0.05; /* 1 point for 2 components */
    expect_fail(lrnn_gmm_stability(&p, &sp, N, D, x, lab, NULL, NULL, NULL), LRNN_ERR_SHAPE,
                "cannot support");
    lrnn_gmm_free(&g);
    lrnn_gmm empty;
    memset(&empty, 0, sizeof empty);
    expect_fail(lrnn_gmm_sample(&empty, 5, 1, y, NULL), LRNN_ERR_ARG, "not fitted");
    double v;
    expect_fail(lrnn_adjusted_rand_index(0, lab, lab, &v), LRNN_ERR_ARG, "empty");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_recover),
        cmocka_unit_test(test_ari_values),
        cmocka_unit_test(test_ari_null),
        cmocka_unit_test(test_monotone),
        cmocka_unit_test(test_deterministic_and_bic),
        cmocka_unit_test(test_sample_moments),
        cmocka_unit_test(test_stability),
        cmocka_unit_test(test_bad_inputs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
