/* The transition kernels (src/infer/kernels.h) give bit-identical results in their AVX-512 and
 * AVX2 instances: both fuse their multiply-adds, and every sum over units is added in the same
 * fixed tree (lanes_sum, or the AVX-512 shuffles of lanes_sums). Ranks 1 to 6 (one and two
 * passes over the units), an odd particle count (the single-particle block), every activation,
 * with and without input currents. tanh is libmvec's, whose variants may differ in the last
 * bits (core/vmath.h): there the outputs agree to 1e-13 of the largest. Skipped on a CPU
 * without AVX-512. */
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

static double *random_array(lrnn_rng *rng, size_t n, size_t live, size_t stride) {
    double *a = aligned_alloc(64, (n * sizeof(double) + 63) / 64 * 64);
    for (size_t i = 0; i < n; i++)
        a[i] = i % stride < live ? lrnn_rng_normal(rng) : 0.0;
    return a;
}

static void instances_agree_bit_for_bit(void **state) {
    (void)state;
    const smc_kernels *wide = smc_kernels_pick("avx512"), *narrow = smc_kernels_pick("avx2");
    if (!wide || !narrow) {
        printf("no AVX-512 or AVX2 on this CPU: nothing to compare\n");
        skip();
    }
    lrnn_rng rng;
    lrnn_rng_init(&rng, 5, LRNN_RNG_SAMPLE, 0, 0);
    const size_t N = 21, S = 24, K = 7;
    const lrnn_activation acts[] = {LRNN_ACT_RELU, LRNN_ACT_CLIPPED_RELU, LRNN_ACT_TANH,
                                    LRNN_ACT_IDENTITY};
    size_t compared = 0;
    for (size_t R = 1; R <= 6; R++)
        for (size_t ai = 0; ai < 4; ai++)
            for (int with_cin = 0; with_cin < 2; with_cin++) {
                size_t rows = smc_unit_rows(R);
                double *params = random_array(&rng, (2 * R + 1) * S, N, S);
                double *a = random_array(&rng, R, R, R), *Z = random_array(&rng, K * R, K * R, 1);
                double *Mubar = random_array(&rng, K * R, K * R, 1);
                double *cin = with_cin ? random_array(&rng, S, N, S) : NULL;
                smc_kparams kp = {.R = R, .N = N, .S = S, .act = acts[ai], .a = a};
                double *out[2];
                size_t n_out = K * R + K * R + rows * S + S + R;
                for (int v = 0; v < 2; v++) {
                    const smc_kernels *kern = v ? narrow : wide;
                    out[v] = calloc(n_out, sizeof *out[v]);
                    double *Mu = out[v], *Zbar = Mu + K * R,
                           *table = aligned_alloc(64, rows * S * 8);
                    double *cinbar = Zbar + K * R + rows * S, *abar = cinbar + S;
                    memcpy(table, params, (2 * R + 1) * S * sizeof *table);
                    memset(table + (2 * R + 1) * S, 0, (2 * R + 1) * S * sizeof *table);
                    kern->forward(&kp, table, K, Z, cin, Mu);
                    kern->backward(&kp, table, K, Z, cin, Mubar, Zbar, cin ? cinbar : NULL, abar);
                    memcpy(Zbar + K * R, table, rows * S * sizeof *table); /* the adjoints */
                    free(table);
                }
                double scale = 0.0, tol = acts[ai] == LRNN_ACT_TANH ? 1e-13 : 0.0;
                for (size_t i = 0; i < n_out; i++)
                    scale = fmax(scale, fabs(out[0][i]));
                for (size_t i = 0; i < n_out; i++)
                    if (fabs(out[0][i] - out[1][i]) > tol * scale)
                        fail_msg("R = %zu, activation %zu, inputs %d: output %zu differs "
                                 "(%.17g vs %.17g)",
                                 R, ai, with_cin, i, out[0][i], out[1][i]);
                compared++;
                free(params), free(a), free(Z), free(Mubar), free(cin);
                free(out[0]), free(out[1]);
            }
    printf("%zu configurations: avx512 and avx2 kernels agree (bit for bit but tanh)\n", compared);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(instances_agree_bit_for_bit)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
