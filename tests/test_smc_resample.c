/* Systematic resampling (src/infer/resample.c) against its definition: anc[k] is the smallest
 * j with cdf[j] >= p_k, p_k = (u + k) / K, found here by a plain search per k. The histogram
 * form must agree exactly, including the ties that equal weights produce (u = 0 puts p_k on
 * the cdf's steps), zero weights, a single surviving particle and u next to 0 or 1. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "infer/smc_internal.h"
#include "lrnn/rng.h"

#define KMAX 257

/* The definition, on the same normalised cdf as smc_resample builds. */
static void reference(size_t K, const double *prob, double u, int *anc) {
    double cdf[KMAX], acc = 0.0;
    for (size_t k = 0; k < K; k++)
        cdf[k] = acc += prob[k];
    for (size_t k = 0; k < K; k++)
        cdf[k] /= acc;
    for (size_t k = 0; k < K; k++) {
        double p = (u + (double)k) / (double)K;
        size_t j = 0;
        while (j + 1 < K && cdf[j] < p)
            j++;
        anc[k] = (int)j;
    }
}

static int agree(size_t K, const double *prob, double u) {
    int want[KMAX], got[KMAX];
    double scratch[KMAX];
    reference(K, prob, u, want);
    smc_resample(LRNN_RESAMPLE_SYSTEMATIC, K, prob, &u, got, scratch);
    for (size_t k = 0; k < K; k++)
        if (got[k] != want[k]) {
            fprintf(stderr, "K = %zu, u = %.17g: anc[%zu] = %d, expected %d\n", K, u, k, got[k],
                    want[k]);
            return 0;
        }
    return 1;
}

static void systematic_matches_definition(void **state) {
    (void)state;
    static const size_t sizes[] = {1, 2, 3, 7, 10, 16, 64, 100, 257};
    static const double us[] = {0.0, 1e-17, 0.25, 0.5, 0.999999999999, 0.9999999999999999};
    lrnn_rng rng;
    lrnn_rng_init(&rng, 7, LRNN_RNG_RESAMPLE, 0, 0);
    double prob[KMAX];
    size_t cases = 0;
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        size_t K = sizes[s];
        for (int pattern = 0; pattern < 5; pattern++)
            for (size_t t = 0; t < 40; t++) {
                for (size_t k = 0; k < K; k++)
                    switch (pattern) {
                    case 0:
                        prob[k] = lrnn_rng_uniform(&rng);
                        break; /* spread */
                    case 1:
                        prob[k] = 1.0;
                        break; /* ties */
                    case 2:
                        prob[k] = k == t % K ? 1.0 : 0.0;
                        break; /* one left */
                    case 3:
                        prob[k] = lrnn_rng_uniform(&rng) < 0.7 ? 0.0 : 1.0;
                        break;
                    default:
                        prob[k] = exp(-30.0 * lrnn_rng_uniform(&rng)); /* skewed */
                    }
                if (pattern == 3) prob[t % K] = 0.5; /* never all zero */
                double u = t < 6 ? us[t] : lrnn_rng_uniform(&rng);
                assert_true(agree(K, prob, u));
                cases++;
            }
    }
    printf("systematic resampling: %zu weight vectors, all ancestors as defined\n", cases);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(systematic_matches_definition)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
