/* Counter-based streams: reproducible, independent per (seed, purpose, trial, particle), and
 * with the right first two moments. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <Random123/philox.h>

#include "core/rng_internal.h"
#include "lrnn/rng.h"

static void same_key_same_bits(void **state) {
    (void)state;
    lrnn_rng a, b;
    lrnn_rng_init(&a, 42, LRNN_RNG_SAMPLE, 3, 7);
    lrnn_rng_init(&b, 42, LRNN_RNG_SAMPLE, 3, 7);
    for (int i = 0; i < 1000; i++) assert_int_equal(lrnn_rng_u64(&a), lrnn_rng_u64(&b));
}

static void streams_differ(void **state) {
    (void)state;
    lrnn_rng base, other[4];
    lrnn_rng_init(&base, 42, LRNN_RNG_SAMPLE, 3, 7);
    lrnn_rng_init(&other[0], 43, LRNN_RNG_SAMPLE, 3, 7);
    lrnn_rng_init(&other[1], 42, LRNN_RNG_FILTER, 3, 7);
    lrnn_rng_init(&other[2], 42, LRNN_RNG_SAMPLE, 4, 7);
    lrnn_rng_init(&other[3], 42, LRNN_RNG_SAMPLE, 3, 8);
    uint64_t first = lrnn_rng_u64(&base);
    for (int i = 0; i < 4; i++) assert_true(lrnn_rng_u64(&other[i]) != first);
}

/* Mean and variance of n draws: a 5-sigma band from the estimators' standard errors. */
static void check_moments(double *x, int n, double mean, double var, double fourth_central) {
    double s = 0.0, ss = 0.0;
    for (int i = 0; i < n; i++) s += x[i];
    double m = s / n;
    for (int i = 0; i < n; i++) ss += (x[i] - m) * (x[i] - m);
    double v = ss / (n - 1);
    double se_mean = sqrt(var / n), se_var = sqrt((fourth_central - var * var) / n);
    assert_true(fabs(m - mean) < 5.0 * se_mean);
    assert_true(fabs(v - var) < 5.0 * se_var);
}

static double draws[200000];

static void uniform_moments(void **state) {
    (void)state;
    lrnn_rng r;
    lrnn_rng_init(&r, 1, LRNN_RNG_SAMPLE, 0, 0);
    int n = 200000;
    for (int i = 0; i < n; i++) {
        draws[i] = lrnn_rng_uniform(&r);
        assert_true(draws[i] > 0.0 && draws[i] < 1.0);
    }
    check_moments(draws, n, 0.5, 1.0 / 12.0, 1.0 / 80.0);
}

static void normal_moments(void **state) {
    (void)state;
    lrnn_rng r;
    lrnn_rng_init(&r, 2, LRNN_RNG_SAMPLE, 0, 0);
    int n = 200000;
    for (int i = 0; i < n; i++) draws[i] = lrnn_rng_normal(&r);
    check_moments(draws, n, 0.0, 1.0, 3.0);
}

/* The ziggurat's shape, not just its moments: counts in 64 bins (width 0.125 on [-4, 4], the
 * two tails beyond, and the layer edge 3.4426 where the tail algorithm takes over inside a
 * bin) against Phi, by a chi-square statistic on 2e6 draws. With 65 degrees of freedom its
 * 0.9999 quantile is 116.2; accepting every wedge draw without the density test moves it to
 * 600. Checked for both generators: lrnn_rng_normal (one 64-bit word a draw) and
 * lrnn_rng_normal_fill (Box-Muller) and lrnn_rng_normal_fill_single (Box-Muller in float). */
static double bin_probability(double lo, double hi) {
    return 0.5 * (erfc(-hi / sqrt(2.0)) - erfc(-lo / sqrt(2.0)));
}

enum { ONE_AT_A_TIME, FILL, FILL_SINGLE };
static const char *const generator_name[] = {"single draws", "fill", "fill, single precision"};

static void normal_histogram_of(int generator) {
    enum { BINS = 66 };
    long counts[BINS] = {0};
    lrnn_rng r;
    lrnn_rng_init(&r, 9, LRNN_RNG_SAMPLE, 0, 0);
    int n = 2000000, chunk = 1000;
    double filled[1000];
    for (int i = 0; i < n; i += chunk) {
        if (generator == FILL) lrnn_rng_normal_fill(&r, filled, (size_t)chunk);
        if (generator == FILL_SINGLE) lrnn_rng_normal_fill_single(&r, filled, (size_t)chunk);
        for (int j = 0; j < chunk; j++) {
            double x = generator != ONE_AT_A_TIME ? filled[j] : lrnn_rng_normal(&r);
            int b = x < -4.0 ? 0 : x >= 4.0 ? BINS - 1 : 1 + (int)floor((x + 4.0) / 0.125);
            counts[b]++;
        }
    }
    double chi2 = 0.0;
    for (int b = 0; b < BINS; b++) {
        double lo = b == 0 ? -INFINITY : -4.0 + (b - 1) * 0.125;
        double hi = b == BINS - 1 ? INFINITY : -4.0 + b * 0.125;
        double e = n * bin_probability(lo, hi);
        chi2 += (counts[b] - e) * (counts[b] - e) / e;
    }
    print_message("normal histogram (%s): chi2 = %.1f on %d degrees of freedom\n",
                  generator_name[generator], chi2, BINS - 1);
    assert_true(chi2 < 116.2);
}

static void normal_histogram(void **state) {
    (void)state;
    normal_histogram_of(ONE_AT_A_TIME);
    normal_histogram_of(FILL);
    normal_histogram_of(FILL_SINGLE);
}

/* The fill's moments (first, second and fourth) over an odd count, so the last pair's unused
 * sine is exercised too. */
static void normal_fill_moments(void **state) {
    (void)state;
    lrnn_rng r;
    lrnn_rng_init(&r, 3, LRNN_RNG_SAMPLE, 0, 0);
    int n = 199999;
    lrnn_rng_normal_fill(&r, draws, (size_t)n);
    check_moments(draws, n, 0.0, 1.0, 3.0);
}

/* The vectorised Philox4x32-10 lanes of lrnn_rng_normal_fill against Random123's philox4x32,
 * block by block, with the low counter word starting just below a carry into bit 32 of the
 * block index's range (the caller keeps ctr[0] + n below 2^32). */
static void philox_lanes_match_random123(void **state) {
    (void)state;
    const uint32_t key[2] = {0x01234567u, 0x89abcdefu};
    const uint32_t ctr[4] = {0xffffff00u, 7u, 0xdeadbeefu, 0x0badf00du};
    enum { N = 77 };
    uint32_t w[4][N];
    lrnn_philox4x32_lanes(key, ctr, N, w[0], w[1], w[2], w[3]);
    for (uint32_t j = 0; j < N; j++) {
        philox4x32_ctr_t c = {{ctr[0] + j, ctr[1], ctr[2], ctr[3]}};
        philox4x32_key_t k = {{key[0], key[1]}};
        philox4x32_ctr_t o = philox4x32(c, k);
        for (int i = 0; i < 4; i++) assert_int_equal(w[i][j], o.v[i]);
    }
}

/* The fill's hand-written ln, cos and sin (polynomials, rng_normal.c) against libm: the fill's
 * numbers recomputed from the same Philox blocks with log, cos and sin agree to 1e-14 of the
 * radius (a few ulp; a dropped polynomial term shows as 1e-12 or worse). The first round's
 * pairs land as cosines in out[0..63] and sines in out[64..127]; the last, partial round (here
 * 3 values: 2 pairs) as cosines then sines. */
static void normal_fill_is_box_muller(void **state) {
    (void)state;
    enum { N = 131, PAIRS = 64 };
    lrnn_rng r, copy;
    lrnn_rng_init(&r, 11, LRNN_RNG_SAMPLE, 2, 5);
    copy = r;
    double out[N];
    lrnn_rng_normal_fill(&r, out, N);
    uint32_t key[2], ctr[4];
    lrnn_rng_substream(&copy, key, ctr);
    uint32_t w[4][PAIRS + 2];
    lrnn_philox4x32_lanes(key, ctr, PAIRS + 2, w[0], w[1], w[2], w[3]);
    double worst = 0.0;
    for (int j = 0; j < PAIRS + 2; j++) {
        uint64_t k1 = ((uint64_t)(w[1][j] >> 12) << 32) | w[0][j];
        uint64_t k2 = ((uint64_t)(w[3][j] >> 12) << 32) | w[2][j];
        double u1 = ((double)k1 + 0.5) * 0x1.0p-52, u2 = (double)k2 * 0x1.0p-52;
        double rad = sqrt(-2.0 * log(u1)), ang = 2.0 * M_PI * u2;
        int ic = j < PAIRS ? j : 2 * PAIRS + (j - PAIRS);
        int is = j < PAIRS ? PAIRS + j : 2 * PAIRS + 2 + (j - PAIRS);
        double ec = fabs(out[ic] - rad * cos(ang)) / rad;
        worst = fmax(worst, ec);
        if (is < N) worst = fmax(worst, fabs(out[is] - rad * sin(ang)) / rad);
    }
    print_message("normal fill vs libm Box-Muller: worst error %.2e of the radius\n", worst);
    assert_true(worst < 1e-14);
}

/* The single-precision fill against a double libm Box-Muller on the same blocks: four normals a
 * block (words 0, 1 and 2, 3, top 23 and 24 bits), within 1e-6 of the radius (float epsilon
 * 6e-8 through ln, sqrt and the polynomials); |z| stays below sqrt(2 ln 2^24) = 5.77. And its
 * moments over an odd count. */
static void normal_fill_single_is_box_muller(void **state) {
    (void)state;
    enum { N = 259, BLOCKS = 64 }; /* one full round of 256, then 3 */
    lrnn_rng r, copy;
    lrnn_rng_init(&r, 12, LRNN_RNG_SAMPLE, 1, 4);
    copy = r;
    double out[N];
    lrnn_rng_normal_fill_single(&r, out, N);
    uint32_t key[2], ctr[4];
    lrnn_rng_substream(&copy, key, ctr);
    uint32_t w[4][BLOCKS];
    lrnn_philox4x32_lanes(key, ctr, BLOCKS, w[0], w[1], w[2], w[3]);
    double worst = 0.0;
    for (int j = 0; j < BLOCKS; j++)
        for (int p = 0; p < 2; p++) {
            uint32_t k1 = w[2 * p][j] >> 9, k2 = w[2 * p + 1][j] >> 8;
            double u1 = ((double)k1 + 0.5) * 0x1.0p-23, u2 = (double)k2 * 0x1.0p-24;
            double rad = sqrt(-2.0 * log(u1)), ang = 2.0 * M_PI * u2;
            worst = fmax(worst, fabs(out[2 * p * BLOCKS + j] - rad * cos(ang)) / rad);
            worst = fmax(worst, fabs(out[(2 * p + 1) * BLOCKS + j] - rad * sin(ang)) / rad);
        }
    print_message("single-precision fill vs libm Box-Muller: worst error %.2e of the radius\n",
                  worst);
    assert_true(worst < 1e-6);
    for (int i = 0; i < N; i++) assert_true(fabs(out[i]) < 5.78);
    lrnn_rng_init(&r, 3, LRNN_RNG_SAMPLE, 0, 0);
    lrnn_rng_normal_fill_single(&r, draws, 199999);
    check_moments(draws, 199999, 0.0, 1.0, 3.0);
}

/* Poisson(lambda): mean = var = lambda, fourth central moment lambda (1 + 3 lambda). Both the
 * inversion (< 10) and the PTRS branch (>= 10) are covered, including the switch point. */
static void poisson_moments(void **state) {
    (void)state;
    const double lambdas[] = {0.05, 0.7, 3.0, 9.99, 10.0, 31.4, 500.0};
    for (size_t j = 0; j < sizeof lambdas / sizeof lambdas[0]; j++) {
        double lam = lambdas[j];
        lrnn_rng r;
        lrnn_rng_init(&r, 3, LRNN_RNG_SAMPLE, j, 0);
        int n = 200000;
        for (int i = 0; i < n; i++) {
            draws[i] = lrnn_rng_poisson(&r, lam);
            assert_true(draws[i] >= 0.0 && draws[i] == floor(draws[i]));
        }
        check_moments(draws, n, lam, lam, lam * (1.0 + 3.0 * lam));
    }
    lrnn_rng r;
    lrnn_rng_init(&r, 3, LRNN_RNG_SAMPLE, 0, 0);
    assert_true(lrnn_rng_poisson(&r, 0.0) == 0.0);
}

/* P(X = 0) for lambda = 0.7 against e^-0.7 within 5 binomial standard errors. */
static void poisson_zero_probability(void **state) {
    (void)state;
    lrnn_rng r;
    lrnn_rng_init(&r, 4, LRNN_RNG_SAMPLE, 0, 0);
    int n = 200000, zeros = 0;
    for (int i = 0; i < n; i++) zeros += lrnn_rng_poisson(&r, 0.7) == 0.0;
    double p = exp(-0.7), se = sqrt(p * (1 - p) / n);
    assert_true(fabs((double)zeros / n - p) < 5.0 * se);
}

static void below_is_in_range_and_uniform(void **state) {
    (void)state;
    lrnn_rng r;
    lrnn_rng_init(&r, 5, LRNN_RNG_RESAMPLE, 0, 0);
    int counts[7] = {0}, n = 70000;
    for (int i = 0; i < n; i++) {
        uint64_t k = lrnn_rng_below(&r, 7);
        assert_true(k < 7);
        counts[k]++;
    }
    /* chi-square with 6 degrees of freedom; 22.46 is its 0.999 quantile. */
    double chi2 = 0.0, e = n / 7.0;
    for (int k = 0; k < 7; k++) chi2 += (counts[k] - e) * (counts[k] - e) / e;
    assert_true(chi2 < 22.46);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(same_key_same_bits),       cmocka_unit_test(streams_differ),
        cmocka_unit_test(uniform_moments),          cmocka_unit_test(normal_moments),
        cmocka_unit_test(normal_fill_moments),      cmocka_unit_test(philox_lanes_match_random123),
        cmocka_unit_test(normal_fill_is_box_muller),
        cmocka_unit_test(normal_fill_single_is_box_muller),
        cmocka_unit_test(poisson_moments),          cmocka_unit_test(poisson_zero_probability),
        cmocka_unit_test(below_is_in_range_and_uniform), cmocka_unit_test(normal_histogram),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
