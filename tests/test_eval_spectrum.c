/* Smoothing, z-scoring and D_H (spec §8.2, §8.3): scipy's gaussian_filter1d and convolve1d on
 * fixtures from tests/data/eval/make_fixtures.py, D_H = 0 for identical data, the closed form
 * for two pure sinusoids, the reference algorithm on noisy oscillators, the Hann inverse on
 * DCT modes (closed form), and bad inputs. */
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
#include "lrnn/io.h"
#include "lrnn/rng.h"

#define FIXTURE(name) LRNN_SOURCE_DIR "/tests/data/eval/" name

/* Load a float64 fixture, check its element count, return the data (caller frees). */
static double *load(const char *path, size_t count) {
    lrnn_array a;
    lrnn_status s = lrnn_array_load(path, &a);
    if (s) fail_msg("%s: %s", path, lrnn_last_error());
    assert_int_equal(lrnn_array_count(&a), count);
    double *v = NULL;
    assert_int_equal(lrnn_array_to_f64(&a, &v), LRNN_OK);
    lrnn_array_free(&a);
    return v;
}

/* max |a - b| / (1 + |b|) */
static double max_rel(const double *a, const double *b, size_t n) {
    double m = 0.0;
    for (size_t i = 0; i < n; i++) {
        double e = fabs(a[i] - b[i]) / (1.0 + fabs(b[i]));
        if (!(e <= m)) m = e;
    }
    return m;
}

/* keep in sync with make_fixtures.py */
static const double SIGMAS_200[] = {0.5, 2.0, 7.3, 60.0};
static const double SIGMAS_37[] = {3.0, 20.0};

static void test_gaussian_matches_scipy(void **state) {
    (void)state;
    struct {
        const char *x, *y;
        size_t n;
        const double *sigmas;
        size_t count;
    } cases[] = {{FIXTURE("gauss_x200.npy"), FIXTURE("gauss_y200.npy"), 200, SIGMAS_200, 4},
                 {FIXTURE("gauss_x37.npy"), FIXTURE("gauss_y37.npy"), 37, SIGMAS_37, 2}};
    for (size_t c = 0; c < 2; c++) {
        double *x = load(cases[c].x, cases[c].n),
               *y = load(cases[c].y, cases[c].count * cases[c].n);
        double *out = malloc(cases[c].n * sizeof *out);
        for (size_t k = 0; k < cases[c].count; k++) {
            assert_int_equal(lrnn_smooth_gaussian(x, out, cases[c].n, cases[c].sigmas[k], 4.0),
                             LRNN_OK);
            double err = max_rel(out, y + k * cases[c].n, cases[c].n);
            printf("gaussian_filter1d n = %zu, sigma = %g: max rel. error %.2e\n", cases[c].n,
                   cases[c].sigmas[k], err);
            assert_true(err < 1e-12); /* same sums in a different order: a few ulps */
        }
        /* in place gives the same numbers */
        memcpy(out, x, cases[c].n * sizeof *out);
        assert_int_equal(lrnn_smooth_gaussian(out, out, cases[c].n, cases[c].sigmas[0], 4.0),
                         LRNN_OK);
        assert_true(max_rel(out, y, cases[c].n) < 1e-12);
        free(x), free(y), free(out);
    }
    double v = 1.0, o;
    assert_int_equal(lrnn_smooth_gaussian(&v, &o, 1, 5.0, 4.0), LRNN_OK); /* n = 1: all reflect */
    assert_true(fabs(o - 1.0) < 1e-15);
    assert_int_equal(lrnn_smooth_gaussian(&v, &o, 1, -1.0, 4.0), LRNN_ERR_ARG);
    assert_non_null(strstr(lrnn_last_error(), "sigma"));
    assert_int_equal(lrnn_smooth_gaussian(&v, &o, 0, 1.0, 4.0), LRNN_ERR_ARG);
    assert_int_equal(lrnn_smooth_gaussian(&v, &o, 1, NAN, 4.0), LRNN_ERR_ARG);
}

static void test_hann_matches_scipy(void **state) {
    (void)state;
    size_t n = 2 * 50 * 3;
    double *x = load(FIXTURE("hann_x.npy"), n), *y = malloc(n * sizeof *y);
    const struct {
        size_t w;
        const char *path;
    } cases[] = {{15, FIXTURE("hann_w15.npy")}, {4, FIXTURE("hann_w4.npy")}};
    for (size_t c = 0; c < 2; c++) {
        double *want = load(cases[c].path, n);
        memcpy(y, x, n * sizeof *y);
        assert_int_equal(lrnn_smooth_hann(y, 2, 50, 3, cases[c].w), LRNN_OK);
        double err = max_rel(y, want, n);
        printf("convolve1d(hann(%zu)): max rel. error %.2e\n", cases[c].w, err);
        assert_true(err < 1e-12);
        free(want);
    }
    double *sx = load(FIXTURE("hann_short_x.npy"), 10),
           *sw = load(FIXTURE("hann_short_w15.npy"), 10);
    assert_int_equal(lrnn_smooth_hann(sx, 1, 10, 1, 15), LRNN_OK); /* window longer than T */
    assert_true(max_rel(sx, sw, 10) < 1e-12);
    /* bad inputs */
    memcpy(y, x, n * sizeof *y);
    y[7] = NAN;
    assert_int_equal(lrnn_smooth_hann(y, 2, 50, 3, 15), LRNN_ERR_NUMERIC);
    assert_non_null(strstr(lrnn_last_error(), "NaN at trial 0, step 2, channel 1"));
    assert_int_equal(lrnn_smooth_hann(y, 0, 50, 3, 15), LRNN_ERR_SHAPE);
    assert_non_null(strstr(lrnn_last_error(), "empty"));
    assert_int_equal(lrnn_smooth_hann(x, 2, 50, 3, 0), LRNN_ERR_ARG);
    free(x), free(y), free(sx), free(sw);
}

/* DCT-II mode j of T steps: cos(pi j (t + 1/2) / T). It is symmetric under the half-sample
 * reflection of the boundaries, so a symmetric (odd-width) window maps it to H_j times itself,
 * H_j = sum_k w_k cos(pi j (k - c) / T): smoothing and its inverse are diagonal in these modes,
 * and lrnn_unsmooth_hann must return a_j H_j^2 / (H_j^2 + ridge (sum w)^2) for each amplitude a_j
 * (deconvolve.c). */
static double dct_mode(size_t j, size_t t, size_t T) {
    return cos(M_PI * (double)j * ((double)t + 0.5) / (double)T);
}

static void test_unsmooth_hann(void **state) {
    (void)state;
    enum { B = 2, T = 96, X = 3, W = 15, MODES = 6 };
    const size_t modes[MODES] = {0, 1, 5, 12, 20, 40}; /* up to a zero of the Hann response */
    double w[W], wsum = 0.0, H[MODES], amp[B][X][MODES], ridge = 1e-3;
    for (size_t k = 0; k < W; k++)
        wsum += w[k] = 0.5 - 0.5 * cos(2.0 * M_PI * (double)k / (double)(W - 1));
    for (size_t m = 0; m < MODES; m++) {
        H[m] = 0.0;
        for (size_t k = 0; k < W; k++)
            H[m] += w[k] * cos(M_PI * (double)modes[m] * ((double)k - W / 2) / (double)T);
    }
    lrnn_rng rng;
    lrnn_rng_init(&rng, 5, LRNN_RNG_SAMPLE, 0, 0);
    double *y = calloc(B * T * X, sizeof *y), *want = calloc(B * T * X, sizeof *want);
    for (size_t b = 0; b < B; b++)
        for (size_t x = 0; x < X; x++)
            for (size_t m = 0; m < MODES; m++) {
                amp[b][x][m] = lrnn_rng_normal(&rng);
                double h2 = H[m] * H[m], gain = h2 / (h2 + ridge * wsum * wsum);
                for (size_t t = 0; t < T; t++) {
                    y[(b * T + t) * X + x] += amp[b][x][m] * dct_mode(modes[m], t, T);
                    want[(b * T + t) * X + x] += gain * amp[b][x][m] * dct_mode(modes[m], t, T);
                }
            }
    assert_int_equal(lrnn_smooth_hann(y, B, T, X, W), LRNN_OK);
    assert_int_equal(lrnn_unsmooth_hann(y, B, T, X, W, ridge), LRNN_OK);
    double err = 0.0, low = 0.0;
    for (size_t i = 0; i < B * T * X; i++) err = fmax(err, fabs(y[i] - want[i]));
    printf("unsmooth(smooth(x)) against the closed form: max abs. error %.2e\n", err);
    assert_true(err < 1e-10);
    /* the low modes come back within the ridge's share: H^2 >= 0.9 wsum^2 for j <= 5 here */
    for (size_t m = 0; m < 3; m++) low = fmax(low, ridge * wsum * wsum / (H[m] * H[m]));
    printf("modes 0, 1, 5 restored to %.2e of their amplitude; mode 40 (H = %.1e) kept %.2e\n",
           low, H[5] / wsum, H[5] * H[5] / (H[5] * H[5] + ridge * wsum * wsum));
    assert_true(low < 2e-3);

    /* bad inputs */
    assert_int_equal(lrnn_unsmooth_hann(y, B, T, X, T + 1, ridge), LRNN_ERR_ARG);
    assert_non_null(strstr(lrnn_last_error(), "window width"));
    assert_int_equal(lrnn_unsmooth_hann(y, B, T, X, 0, ridge), LRNN_ERR_ARG);
    assert_int_equal(lrnn_unsmooth_hann(y, B, T, X, 4, ridge), LRNN_ERR_ARG);
    assert_non_null(strstr(lrnn_last_error(), "odd"));
    assert_int_equal(lrnn_unsmooth_hann(y, B, T, X, W, 0.0), LRNN_ERR_ARG);
    assert_int_equal(lrnn_unsmooth_hann(y, B, T, X, W, NAN), LRNN_ERR_ARG);
    assert_non_null(strstr(lrnn_last_error(), "ridge"));
    assert_int_equal(lrnn_unsmooth_hann(y, 0, T, X, W, ridge), LRNN_ERR_SHAPE);
    y[5] = NAN;
    assert_int_equal(lrnn_unsmooth_hann(y, B, T, X, W, ridge), LRNN_ERR_NUMERIC);
    assert_non_null(strstr(lrnn_last_error(), "NaN"));
    free(y), free(want);
}

static void test_zscore(void **state) {
    (void)state;
    enum { B = 2, T = 40, X = 3 };
    double y[B * T * X], mean[X], sd[X];
    lrnn_rng rng;
    lrnn_rng_init(&rng, 3, LRNN_RNG_SAMPLE, 0, 0);
    for (size_t i = 0; i < B * T * X; i++)
        y[i] = 5.0 + 2.0 * lrnn_rng_normal(&rng);
    y[4] = NAN; /* trial 0, step 1, channel 1: skipped and kept */
    assert_int_equal(lrnn_zscore_apply(y, B, T, X, mean, sd), LRNN_OK);
    assert_true(isnan(y[4]));
    for (size_t x = 0; x < X; x++) {
        double m = 0.0, v = 0.0;
        size_t n = 0;
        for (size_t r = 0; r < B * T; r++)
            if (!isnan(y[r * X + x])) m += y[r * X + x], v += y[r * X + x] * y[r * X + x], n++;
        m /= (double)n, v = v / (double)n - m * m;
        assert_true(fabs(m) < 1e-12 && fabs(v - 1.0) < 1e-12);
        assert_true(sd[x] > 1.0 && sd[x] < 3.0 && fabs(mean[x] - 5.0) < 1.0);
    }
    for (size_t r = 0; r < B * T; r++)
        y[r * X + 2] = 1.5;
    assert_int_equal(lrnn_zscore_apply(y, B, T, X, NULL, NULL), LRNN_ERR_NUMERIC);
    assert_non_null(strstr(lrnn_last_error(), "channel 2 is constant"));
}

/* cos(2 pi k t / T) in channel 0 of trial b, T steps, 1 channel */
static void cosine(double *y, size_t T, double k, double phase) {
    for (size_t t = 0; t < T; t++)
        y[t] = cos(2.0 * M_PI * k * (double)t / (double)T + phase);
}

static void test_dh_identical_is_zero(void **state) {
    (void)state;
    double *real = load(FIXTURE("dh_real.npy"), 3 * 257 * 2);
    lrnn_eval_data d = {3, 257, 2, real, "real"};
    lrnn_dh_params p = lrnn_dh_default_params();
    double dh = -1.0, h[2];
    assert_int_equal(lrnn_dh_compute(&d, &d, &p, &dh, h), LRNN_OK);
    assert_true(dh == 0.0 && h[0] == 0.0 && h[1] == 0.0);
    /* each mean spectrum is a distribution */
    size_t F = lrnn_spectrum_bins(257);
    assert_int_equal(F, 129);
    double *P = malloc(2 * F * sizeof *P);
    assert_int_equal(lrnn_spectrum_compute(&d, 20.0, P), LRNN_OK);
    for (size_t x = 0; x < 2; x++) {
        double sum = 0.0;
        for (size_t f = 0; f < F; f++)
            sum += P[x * F + f], assert_true(P[x * F + f] >= 0.0);
        assert_true(fabs(sum - 1.0) < 1e-12);
    }
    free(P), free(real);
}

/* Two pure cosines on exact bins k1 < k2 of T (even) samples. After z-scoring,
 * x = sqrt(2) cos(2 pi k1 t / T), whose rfft is nonzero only at bin k1; so P_1 is a delta at k1
 * and after Gaussian smoothing (weights w_j = exp(-j^2 / 2 sigma^2) / Z, |j| <= r, no
 * boundary within r of k1, k2) P_1[k] = w_{k-k1}, already normalised. With sum P = 1 on both
 * sides, H^2 = (1/2) sum (sqrt P_2 - sqrt P_1)^2 = 1 - BC, BC = sum_k sqrt(w_{k-k1} w_{k-k2}).
 * For D = k2 - k1 even: j^2 + (j - D)^2 = 2 (j - D/2)^2 + D^2 / 2, so
 *     BC = exp(-D^2 / (8 sigma^2)) S / Z,  S = sum_{|m| <= r - D/2} exp(-m^2 / (2 sigma^2)),
 * and H = sqrt(1 - BC); without smoothing the deltas are disjoint and H = 1. */
static void test_dh_two_sinusoids_closed_form(void **state) {
    (void)state;
    enum { T = 1024 };
    double *a = malloc(2 * T * sizeof *a), *b = malloc(2 * T * sizeof *b);
    const double k1 = 100.0, k2 = 110.0, D = k2 - k1;
    cosine(a, T, k1, 0.3), cosine(a + T, T, k1, 1.1); /* two trials, other phases */
    cosine(b, T, k2, -0.4), cosine(b + T, T, k2, 2.0);
    lrnn_eval_data da = {2, T, 1, a, "a"}, db = {2, T, 1, b, "b"};
    lrnn_dh_params p = {.sigma = 0.0, .cutoff = 0};
    double dh;
    assert_int_equal(lrnn_dh_compute(&da, &db, &p, &dh, NULL), LRNN_OK);
    printf("D_H, no smoothing: %.9f (closed form 1)\n", dh);
    assert_true(fabs(dh - 1.0) < 1e-6); /* float FFT leakage ~1e-7 */
    const double sigmas[] = {3.0, 5.0};
    for (size_t c = 0; c < 2; c++) {
        double sigma = sigmas[c];
        int r = (int)(4.0 * sigma + 0.5);
        double Z = 0.0, S = 0.0;
        for (int j = -r; j <= r; j++)
            Z += exp(-(double)(j * j) / (2.0 * sigma * sigma));
        for (int m = -(r - (int)D / 2); m <= r - (int)D / 2; m++)
            S += exp(-(double)(m * m) / (2.0 * sigma * sigma));
        double bc = exp(-D * D / (8.0 * sigma * sigma)) * S / Z, want = sqrt(1.0 - bc);
        p.sigma = sigma;
        assert_int_equal(lrnn_dh_compute(&da, &db, &p, &dh, NULL), LRNN_OK);
        printf("D_H, sigma %g: %.9f (closed form %.9f, error %.1e)\n", sigma, dh, want,
               fabs(dh - want));
        assert_true(fabs(dh - want) < 1e-6);
    }
    free(a), free(b);
}

static const struct {
    double sigma;
    long cutoff;
} DH_CASES[] = {{20.0, 0}, {3.0, -1}, {0.0, 50}}; /* keep in sync with make_fixtures.py */

static void test_dh_matches_reference(void **state) {
    (void)state;
    double *real = load(FIXTURE("dh_real.npy"), 3 * 257 * 2);
    double *gen = load(FIXTURE("dh_gen.npy"), 4 * 257 * 2);
    double *want = load(FIXTURE("dh_expected.npy"), 3 * 3);
    lrnn_eval_data dr = {3, 257, 2, real, "real"}, dg = {4, 257, 2, gen, "gen"};
    for (size_t c = 0; c < 3; c++) {
        lrnn_dh_params p = {DH_CASES[c].sigma, DH_CASES[c].cutoff};
        double dh, h[2];
        assert_int_equal(lrnn_dh_compute(&dr, &dg, &p, &dh, h), LRNN_OK);
        double err = fmax(fabs(dh - want[3 * c]),
                          fmax(fabs(h[0] - want[3 * c + 1]), fabs(h[1] - want[3 * c + 2])));
        printf("D_H sigma %g cutoff %ld: %.8f (numpy %.8f), max error %.1e\n", p.sigma, p.cutoff,
               dh, want[3 * c], err);
        /* single-precision FFT: each bin ~1e-7 relative; H differences of that order */
        assert_true(err < 2e-6);
        assert_true(dh > 0.05); /* the two oscillators differ: the check has teeth */
    }
    free(real), free(gen), free(want);
}

static void test_dh_missing_and_bad_inputs(void **state) {
    (void)state;
    double *real = load(FIXTURE("dh_real.npy"), 3 * 257 * 2);
    double *gen = load(FIXTURE("dh_gen.npy"), 4 * 257 * 2);
    lrnn_dh_params p = lrnn_dh_default_params();
    lrnn_eval_data dr = {3, 257, 2, real, "real.npy"}, dg = {4, 257, 2, gen, "gen.npy"};
    /* a trial with a NaN in channel 1 is skipped there: same as dropping that trial's channel */
    double dh_all, h_all[2], dh_nan, h_nan[2], h_two[2], dh_two;
    assert_int_equal(lrnn_dh_compute(&dr, &dg, &p, &dh_all, h_all), LRNN_OK);
    gen[3 * 257 * 2 + 10 * 2 + 1] = NAN; /* trial 3, step 10, channel 1 */
    assert_int_equal(lrnn_dh_compute(&dr, &dg, &p, &dh_nan, h_nan), LRNN_OK);
    lrnn_eval_data three = {3, 257, 2, gen, "gen3"};
    assert_int_equal(lrnn_dh_compute(&dr, &three, &p, &dh_two, h_two), LRNN_OK);
    assert_true(h_nan[0] == h_all[0] && fabs(h_nan[1] - h_two[1]) < 1e-15 && h_nan[1] != h_all[1]);
    /* a channel NaN in every trial gives NaN (as the reference's nanmean of nothing) */
    for (size_t b = 0; b < 4; b++)
        gen[b * 257 * 2 + 5 * 2 + 1] = NAN;
    assert_int_equal(lrnn_dh_compute(&dr, &dg, &p, &dh_nan, h_nan), LRNN_OK);
    assert_true(isnan(dh_nan) && isnan(h_nan[1]) && h_nan[0] == h_all[0]);
    /* shape mismatches name both inputs */
    lrnn_eval_data shortT = {3, 200, 2, real, "short.npy"}, oneX = {3, 257, 1, real, "one.npy"};
    assert_int_equal(lrnn_dh_compute(&dr, &shortT, &p, &dh_all, NULL), LRNN_ERR_SHAPE);
    assert_non_null(strstr(lrnn_last_error(), "short.npy (200 steps x 2 channels)"));
    assert_int_equal(lrnn_dh_compute(&oneX, &dr, &p, &dh_all, NULL), LRNN_ERR_SHAPE);
    assert_non_null(strstr(lrnn_last_error(), "real.npy"));
    lrnn_eval_data empty = {0, 257, 2, real, "empty.npy"}, none = {3, 257, 2, NULL, "x"};
    assert_int_equal(lrnn_dh_compute(&empty, &dr, &p, &dh_all, NULL), LRNN_ERR_SHAPE);
    assert_non_null(strstr(lrnn_last_error(), "empty.npy is empty"));
    assert_int_equal(lrnn_dh_compute(&dr, &none, &p, &dh_all, NULL), LRNN_ERR_ARG);
    lrnn_eval_data one_step = {3, 1, 2, real, "one_step.npy"};
    assert_int_equal(lrnn_dh_compute(&one_step, &one_step, &p, &dh_all, NULL), LRNN_ERR_SHAPE);
    assert_non_null(strstr(lrnn_last_error(), "one_step.npy needs 2"));
    p.cutoff = -129; /* 129 bins: nothing left */
    assert_int_equal(lrnn_dh_compute(&dr, &dr, &p, &dh_all, NULL), LRNN_ERR_ARG);
    assert_non_null(strstr(lrnn_last_error(), "cutoff -129"));
    p.cutoff = 0, p.sigma = -2.0;
    assert_int_equal(lrnn_dh_compute(&dr, &dr, &p, &dh_all, NULL), LRNN_ERR_ARG);
    assert_non_null(strstr(lrnn_last_error(), "sigma"));
    free(real), free(gen);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gaussian_matches_scipy),
        cmocka_unit_test(test_hann_matches_scipy),
        cmocka_unit_test(test_unsmooth_hann),
        cmocka_unit_test(test_zscore),
        cmocka_unit_test(test_dh_identical_is_zero),
        cmocka_unit_test(test_dh_two_sinusoids_closed_form),
        cmocka_unit_test(test_dh_matches_reference),
        cmocka_unit_test(test_dh_missing_and_bad_inputs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
