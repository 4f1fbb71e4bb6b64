/* The optimal proposal's readout residuals through their moments (src/infer/resid.c) against
 * the per-particle kernels (kernels.h) on random inputs: ranks 1 to 8, channels with weight 0
 * (missing data) and padding. Both compute the same sums in different orders; the moments
 * cancel terms of size |y~|^2 against residuals of size |r|^2, so the tolerance is 1e-12 of the
 * largest term (here |y~| ~ 3 |r|: rounding ~1e-15, cancellation x10). */
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

static double max_rel(const double *a, const double *b, size_t n) {
    double scale = 0.0, err = 0.0;
    for (size_t i = 0; i < n; i++)
        scale = fmax(scale, fabs(b[i]));
    for (size_t i = 0; i < n; i++)
        err = fmax(err, fabs(a[i] - b[i]));
    return scale > 0.0 ? err / scale : err;
}

static void test_moments_match_kernels(void **state) {
    (void)state;
    const smc_kernels *kern = smc_kernels_pick(NULL);
    assert_non_null(kern);
    lrnn_rng rng;
    lrnn_rng_init(&rng, 21, LRNN_RNG_SAMPLE, 0, 0);
    const size_t ranks[] = {1, 2, 3, 4, 5, 8}, X = 13, XP = 16, K = 7;
    for (size_t ri = 0; ri < sizeof ranks / sizeof ranks[0]; ri++) {
        size_t R = ranks[ri];
        double *HT = calloc(R * XP, sizeof *HT), *w = calloc(XP, sizeof *w);
        double *yt = calloc(XP, sizeof *yt), *Xs = malloc(K * R * sizeof *Xs);
        double om[7], quad[2][7];
        for (size_t a = 0; a < R; a++)
            for (size_t i = 0; i < X; i++)
                HT[a * XP + i] = lrnn_rng_normal(&rng);
        for (size_t i = 0; i < X; i++) {
            w[i] = i % 5 == 3 ? 0.0 : 0.5 + lrnn_rng_uniform(&rng); /* some channels missing */
            yt[i] = w[i] == 0.0 ? 0.0 : 3.0 * lrnn_rng_normal(&rng);
        }
        for (size_t k = 0; k < K; k++) {
            om[k] = lrnn_rng_uniform(&rng);
            for (size_t a = 0; a < R; a++)
                Xs[k * R + a] = lrnn_rng_normal(&rng);
        }
        smc_kparams kp = {.R = R, .X = X, .XP = XP, .HT = HT, .w = w};
        kern->resid_forward(&kp, yt, w, K, Xs, quad[0]);
        smc_resid_forward_moments(&kp, yt, w, K, Xs, quad[1]);
        double *out[2];
        size_t n_out = XP + R * XP + XP + K * R;
        for (int v = 0; v < 2; v++) {
            out[v] = calloc(n_out, sizeof *out[v]);
            double *ytbar = out[v], *HbarT = ytbar + XP, *dbar = HbarT + R * XP, *Xbar = dbar + XP;
            if (v == 0)
                kern->resid_backward(&kp, yt, w, K, Xs, om, ytbar, HbarT, dbar, Xbar);
            else
                smc_resid_backward_moments(&kp, yt, w, K, Xs, om, ytbar, HbarT, dbar, Xbar);
        }
        /* the pass's Gram matrix for the fully observed steps gives the same bits */
        if (R <= SMC_RESID_RMAX) {
            double G[SMC_RESID_RMAX * SMC_RESID_RMAX], q2[7];
            double *o2 = calloc(n_out, sizeof *o2);
            smc_resid_gram(&kp, w, G);
            smc_kparams kg = kp;
            kg.w = w, kg.G = G;
            smc_resid_forward_moments(&kg, yt, w, K, Xs, q2);
            smc_resid_backward_moments(&kg, yt, w, K, Xs, om, o2, o2 + XP, o2 + XP + R * XP,
                                       o2 + 2 * XP + R * XP);
            assert_memory_equal(q2, quad[1], K * sizeof *q2);
            assert_memory_equal(o2, out[1], n_out * sizeof *o2);
            free(o2);
        }
        double ef = max_rel(quad[1], quad[0], K), eb = max_rel(out[1], out[0], n_out);
        printf("R = %zu: quad %.1e, adjoints %.1e (relative to the largest)\n", R, ef, eb);
        assert_true(ef < 1e-12 && eb < 1e-12);
        free(HT), free(w), free(yt), free(Xs), free(out[0]), free(out[1]);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_moments_match_kernels)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
