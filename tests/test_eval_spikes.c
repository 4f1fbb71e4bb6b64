/* Spike statistics (spec §8.4) and bits per spike (§8.5) on simulated Poisson data: rates and
 * inter-spike intervals against theory with tolerances from their sampling variance,
 * correlations against a direct computation, bits per spike 0 for the null model and at its
 * expected value for the true rates, and bad inputs. */
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

/* counts[b, t, x] ~ Poisson(lambda(b, t, x)) */
static double *poisson_counts(size_t B, size_t T, size_t X, const double *lambda, uint64_t seed) {
    double *y = malloc(B * T * X * sizeof *y);
    for (size_t b = 0; b < B; b++) {
        lrnn_rng rng;
        lrnn_rng_init(&rng, seed, LRNN_RNG_SAMPLE, b, 0);
        for (size_t i = b * T * X; i < (b + 1) * T * X; i++)
            y[i] = lrnn_rng_poisson(&rng, lambda[i]);
    }
    return y;
}

/* Constant rates lambda_x per bin. A bin holds >= 1 spike with probability p = 1 - e^-lambda,
 * independently, so within a trial the intervals (in bins) are iid geometric on {1, 2, ...}:
 *   mean 1/p, variance q/p^2, third central moment q(1+q)/p^3, fourth q(1+7q+q^2)/p^4, q = 1-p,
 * hence the ISI mean is dt/p and the CV sqrt(q). Tolerances (4 sd):
 *   mean ISI: sd = sqrt(q / (p^2 n)) dt for n intervals;
 *   CV = s/m (delta method): Var = [s^4/m^4 + (mu4 - s^4)/(4 s^2 m^2) - mu3/m^3] / n;
 *   rate: mean count has sd sqrt(lambda / (B T)), divided by dt. */
static void test_rates_and_isi_poisson(void **state) {
    (void)state;
    enum { B = 4, T = 20000, X = 3 };
    const double lam[X] = {0.05, 0.2, 1.0}, dt = 0.01;
    double *lambda = malloc(B * T * X * sizeof *lambda);
    for (size_t i = 0; i < B * T * X; i++)
        lambda[i] = lam[i % X];
    double *y = poisson_counts(B, T, X, lambda, 11);
    lrnn_eval_data d = {B, T, X, y, "spikes"};
    double rates[X];
    lrnn_isi_stats isi[X];
    assert_int_equal(lrnn_spikes_rates(&d, dt, rates), LRNN_OK);
    assert_int_equal(lrnn_spikes_isi(&d, dt, 2, isi), LRNN_OK);
    for (size_t x = 0; x < X; x++) {
        double p = 1.0 - exp(-lam[x]), q = 1.0 - p, n = (double)isi[x].count;
        double m = 1.0 / p, v = q / (p * p), mu3 = q * (1.0 + q) / (p * p * p),
               mu4 = q * (1.0 + 7.0 * q + q * q) / (p * p * p * p);
        double sd_mean = sqrt(v / n) * dt, cv = sqrt(q);
        double var_cv =
            (v * v / (m * m * m * m) + (mu4 - v * v) / (4.0 * v * m * m) - mu3 / (m * m * m)) / n;
        double sd_rate = sqrt(lam[x] / (B * T)) / dt;
        printf("lambda %.2f: rate %.4f (theory %.4f +- %.4f), ISI mean %.5f (%.5f +- %.5f), "
               "CV %.4f (%.4f +- %.4f), %zu intervals\n",
               lam[x], rates[x], lam[x] / dt, sd_rate, isi[x].mean, m * dt, sd_mean, isi[x].cv, cv,
               sqrt(var_cv), isi[x].count);
        assert_true(fabs(rates[x] - lam[x] / dt) < 4.0 * sd_rate);
        assert_true(fabs(isi[x].mean - m * dt) < 4.0 * sd_mean);
        assert_true(fabs(isi[x].cv - cv) < 4.0 * sqrt(var_cv));
        /* about B (T p - 1) intervals */
        assert_true(fabs(n - B * (T * p - 1.0)) < 5.0 * sqrt(B * T * p * q) + 1.0);
    }
    /* NaN entries: skipped by the rates, an error for ISIs */
    y[5 * X + 1] = NAN;
    assert_int_equal(lrnn_spikes_rates(&d, dt, rates), LRNN_OK);
    assert_int_equal(lrnn_spikes_isi(&d, dt, 2, isi), LRNN_ERR_NUMERIC);
    assert_non_null(strstr(lrnn_last_error(), "spikes has NaN at trial 0, step 5, channel 1"));
    free(lambda), free(y);
}

static void test_isi_by_hand(void **state) {
    (void)state;
    /* trial 0: spikes at 1, 2 (2 spikes), 6; trial 1: 0, 3 -> intervals 1, 4 | 3 */
    double y[2 * 8] = {0, 1, 2, 0, 0, 0, 1, 0, 1, 0, 0, 1, 0, 0, 0, 0};
    lrnn_eval_data d = {2, 8, 1, y, "hand"};
    lrnn_isi_stats s;
    assert_int_equal(lrnn_spikes_isi(&d, 0.5, 2, &s), LRNN_OK);
    double m = 8.0 / 3.0,
           sd = sqrt(((1 - m) * (1 - m) + (4 - m) * (4 - m) + (3 - m) * (3 - m)) / 3.0);
    assert_int_equal(s.count, 3);
    assert_true(fabs(s.mean - 0.5 * m) < 1e-14 && fabs(s.std - 0.5 * sd) < 1e-14);
    assert_true(fabs(s.cv - sd / m) < 1e-14);
    assert_int_equal(lrnn_spikes_isi(&d, 0.5, 4, &s), LRNN_OK); /* too few intervals */
    assert_true(isnan(s.mean) && isnan(s.cv) && s.count == 3);
    double regular[6] = {1, 0, 1, 0, 1, 0}; /* zero std: CV undefined */
    lrnn_eval_data r = {1, 6, 1, regular, "regular"};
    assert_int_equal(lrnn_spikes_isi(&r, 1.0, 2, &s), LRNN_OK);
    assert_true(s.mean == 2.0 && s.std == 0.0 && isnan(s.cv));
}

static void test_correlations(void **state) {
    (void)state;
    enum { B = 3, T = 700, X = 5 }; /* 2100 rows: more than one dsyrk block */
    double *y = malloc(B * T * X * sizeof *y);
    lrnn_rng rng;
    lrnn_rng_init(&rng, 13, LRNN_RNG_SAMPLE, 0, 0);
    for (size_t r = 0; r < B * T; r++) {
        double common = lrnn_rng_normal(&rng);
        for (size_t x = 0; x < X; x++)
            y[r * X + x] = x == 4 ? 2.5 : 10.0 + (double)x * common + lrnn_rng_normal(&rng);
    }
    lrnn_eval_data d = {B, T, X, y, "corr"};
    double corr[X * (X - 1) / 2];
    assert_int_equal(lrnn_spikes_corr(&d, corr), LRNN_OK);
    size_t k = 0;
    double maxerr = 0.0;
    for (size_t i = 0; i < X; i++)
        for (size_t j = i + 1; j < X; j++, k++) {
            if (j == 4) { /* constant channel */
                assert_true(isnan(corr[k]));
                continue;
            }
            double mi = 0, mj = 0, sij = 0, sii = 0, sjj = 0;
            for (size_t r = 0; r < B * T; r++)
                mi += y[r * X + i], mj += y[r * X + j];
            mi /= B * T, mj /= B * T;
            for (size_t r = 0; r < B * T; r++) {
                double a = y[r * X + i] - mi, b = y[r * X + j] - mj;
                sij += a * b, sii += a * a, sjj += b * b;
            }
            maxerr = fmax(maxerr, fabs(corr[k] - sij / sqrt(sii * sjj)));
        }
    printf("correlations: max |error| vs direct two-pass %.1e; r(1,3) = %.3f (theory %.3f)\n",
           maxerr, corr[X - 1 + 1], 3.0 / sqrt(2.0 * 10.0));
    assert_true(maxerr < 1e-12);
    /* r(1, 3) = 1*3 / sqrt((1+1)(9+1)); sd of a sample r ~ (1 - r^2) / sqrt(n) */
    assert_true(fabs(corr[X - 1 + 1] - 3.0 / sqrt(20.0)) < 4.0 * (1.0 - 0.45) / sqrt(B * T));
    y[7] = NAN;
    assert_int_equal(lrnn_spikes_corr(&d, corr), LRNN_ERR_NUMERIC);
    assert_non_null(strstr(lrnn_last_error(), "corr has NaN"));
    lrnn_eval_data one = {1, 1, X, y + 10, "one_bin"};
    assert_int_equal(lrnn_spikes_corr(&one, corr), LRNN_ERR_SHAPE);
    assert_non_null(strstr(lrnn_last_error(), "one_bin needs at least 2 bins"));
    free(y);
}

static void test_pearson(void **state) {
    (void)state;
    double a[5] = {1, 2, NAN, 4, 5}, b[5] = {3, 5, 100, 9, 11}, c[5] = {1, 1, 1, 1, 1}, r;
    assert_int_equal(lrnn_pearson(a, b, 5, &r), LRNN_OK);
    assert_true(fabs(r - 1.0) < 1e-15); /* b = 2a + 1 where a is finite */
    for (size_t i = 0; i < 5; i++)
        b[i] = -b[i];
    assert_int_equal(lrnn_pearson(a, b, 5, &r), LRNN_OK);
    assert_true(fabs(r + 1.0) < 1e-15);
    assert_int_equal(lrnn_pearson(a, c, 5, &r), LRNN_OK);
    assert_true(isnan(r));
    assert_int_equal(lrnn_pearson(a, b, 0, &r), LRNN_ERR_ARG);
}

/* Rates lambda = exp(0.8 sin(2 pi t / 50 + x)) per bin. bps of the true rates: the numerator
 * LL_true - LL_null = sum y log(lambda / ybar_x) - (lambda - ybar_x) has expectation close to
 * E0 = sum lambda log(lambda / lbar_x) (lbar_x the channel's mean rate; replacing lbar by the
 * fitted ybar changes it by O(1) nats per channel) and variance ~ sum lambda log^2(lambda /
 * lbar) (Poisson: Var y = lambda). Tolerance: 5 sd plus 2 nats per channel, over the spike
 * count times ln 2. */
static void test_bits_per_spike(void **state) {
    (void)state;
    enum { B = 6, T = 500, X = 4 };
    double *lambda = malloc(B * T * X * sizeof *lambda), lbar[X] = {0};
    for (size_t b = 0; b < B; b++)
        for (size_t t = 0; t < T; t++)
            for (size_t x = 0; x < X; x++) {
                double l = exp(0.8 * sin(2.0 * M_PI * (double)t / 50.0 + (double)x));
                lambda[(b * T + t) * X + x] = l;
                lbar[x] += l / (B * T);
            }
    double *y = poisson_counts(B, T, X, lambda, 17);
    lrnn_eval_data d = {B, T, X, y, "counts.npy"};
    double e0 = 0.0, var = 0.0, total = 0.0, ybar[X] = {0};
    for (size_t i = 0; i < B * T * X; i++) {
        double lr = log(lambda[i] / lbar[i % X]);
        e0 += lambda[i] * lr, var += lambda[i] * lr * lr, total += y[i],
            ybar[i % X] += y[i] / (B * T);
    }
    double bps;
    assert_int_equal(lrnn_bps_compute(&d, lambda, NULL, 0, 0, 0, &bps), LRNN_OK);
    double want = e0 / (total * log(2.0)), tol = (5.0 * sqrt(var) + 2.0 * X) / (total * log(2.0));
    printf("bits per spike of the true rates %.4f (expected %.4f +- %.4f)\n", bps, want, tol);
    assert_true(bps > 0.0 && fabs(bps - want) < tol);
    /* the null model itself scores 0 */
    double *null = malloc(B * T * X * sizeof *null);
    for (size_t i = 0; i < B * T * X; i++)
        null[i] = ybar[i % X];
    assert_int_equal(lrnn_bps_compute(&d, null, NULL, 0, 0, 0, &bps), LRNN_OK);
    printf("bits per spike of the null model %.2e\n", bps);
    assert_true(fabs(bps) < 1e-12);
    /* a subset of channels and bins equals the metric on that slice alone */
    const size_t ch[2] = {3, 1};
    double sub, slice_bps;
    assert_int_equal(lrnn_bps_compute(&d, lambda, ch, 2, 100, 300, &sub), LRNN_OK);
    double *ys = malloc(B * 200 * 2 * sizeof *ys), *ls = malloc(B * 200 * 2 * sizeof *ls);
    for (size_t b = 0; b < B; b++)
        for (size_t t = 0; t < 200; t++)
            for (size_t c = 0; c < 2; c++) {
                ys[(b * 200 + t) * 2 + c] = y[(b * T + t + 100) * X + ch[c]];
                ls[(b * 200 + t) * 2 + c] = lambda[(b * T + t + 100) * X + ch[c]];
            }
    lrnn_eval_data sd = {B, 200, 2, ys, "slice"};
    assert_int_equal(lrnn_bps_compute(&sd, ls, NULL, 0, 0, 0, &slice_bps), LRNN_OK);
    assert_true(fabs(sub - slice_bps) < 1e-12);
    /* NaN counts are masked: same as a count equal to... nothing; check it runs and moves */
    y[0] = NAN;
    assert_int_equal(lrnn_bps_compute(&d, lambda, NULL, 0, 0, 0, &bps), LRNN_OK);
    assert_true(isfinite(bps));
    /* bad inputs */
    lambda[3] = -0.1;
    assert_int_equal(lrnn_bps_compute(&d, lambda, NULL, 0, 0, 0, &bps), LRNN_ERR_NUMERIC);
    assert_non_null(strstr(lrnn_last_error(), "predicted rate -0.1 at trial 0, bin 0, channel 3"));
    lambda[3] = NAN;
    assert_int_equal(lrnn_bps_compute(&d, lambda, NULL, 0, 0, 0, &bps), LRNN_ERR_NUMERIC);
    lambda[3] = 1.0;
    y[1] = -2.0;
    assert_int_equal(lrnn_bps_compute(&d, lambda, NULL, 0, 0, 0, &bps), LRNN_ERR_NUMERIC);
    assert_non_null(strstr(lrnn_last_error(), "counts.npy has count -2"));
    y[1] = 0.0;
    assert_int_equal(lrnn_bps_compute(&d, lambda, NULL, 0, 10, 5, &bps), LRNN_ERR_ARG);
    assert_int_equal(lrnn_bps_compute(&d, lambda, NULL, 0, 0, T + 1, &bps), LRNN_ERR_ARG);
    const size_t bad_ch = X;
    assert_int_equal(lrnn_bps_compute(&d, lambda, &bad_ch, 1, 0, 0, &bps), LRNN_ERR_ARG);
    assert_non_null(strstr(lrnn_last_error(), "channel 4 out of range"));
    double zeros[4 * 3] = {0};
    lrnn_eval_data silent = {1, 3, 4, zeros, "silent.npy"};
    assert_int_equal(lrnn_bps_compute(&silent, zeros, NULL, 0, 0, 0, &bps), LRNN_ERR_NUMERIC);
    assert_non_null(strstr(lrnn_last_error(), "silent.npy has no spikes"));
    free(lambda), free(y), free(null), free(ys), free(ls);
}

static void test_bad_inputs(void **state) {
    (void)state;
    double y[6] = {0, 1, NAN, 0, 2, NAN}, rates[3];
    lrnn_eval_data empty = {0, 2, 3, y, "empty.npy"}, d = {1, 2, 3, y, "holes.npy"};
    lrnn_isi_stats isi[3];
    assert_int_equal(lrnn_spikes_rates(&empty, 1.0, rates), LRNN_ERR_SHAPE);
    assert_non_null(strstr(lrnn_last_error(), "empty.npy is empty"));
    assert_int_equal(lrnn_spikes_isi(&empty, 1.0, 2, isi), LRNN_ERR_SHAPE);
    assert_int_equal(lrnn_spikes_rates(&d, 0.0, rates), LRNN_ERR_ARG);
    assert_non_null(strstr(lrnn_last_error(), "dt"));
    assert_int_equal(lrnn_spikes_rates(&d, 1.0, rates), LRNN_ERR_NUMERIC);
    assert_non_null(strstr(lrnn_last_error(), "channel 2 of holes.npy has no observed bin"));
    lrnn_eval_data none = {1, 2, 3, NULL, "none"};
    assert_int_equal(lrnn_spikes_rates(&none, 1.0, rates), LRNN_ERR_ARG);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rates_and_isi_poisson), cmocka_unit_test(test_isi_by_hand),
        cmocka_unit_test(test_correlations),          cmocka_unit_test(test_pearson),
        cmocka_unit_test(test_bits_per_spike),        cmocka_unit_test(test_bad_inputs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
