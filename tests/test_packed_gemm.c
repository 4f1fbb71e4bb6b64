/* Packed-weight float products (core/packed_gemm.h) against cblas_sgemm: both orientations of
 * W, row counts that are not multiples of any vector width, the scale, repacking after W
 * changes, the cblas_sgemm fallback (LRNN_PACKED_GEMM=sgemm), and bad shapes. Float products of
 * length K differ by rounding only: the bound is K u sum |a_ik w_kj| (u = 2^-24), the textbook
 * worst case of a dot product. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cblas.h>
#include <cmocka.h>

#include "core/packed_gemm.h"
#include "lrnn/rng.h"

static void fill(float *x, size_t n, lrnn_rng *rng) {
    for (size_t i = 0; i < n; i++)
        x[i] = (float)lrnn_rng_normal(rng);
}

/* max over entries of |C - reference| / (K u sum_k |a_ik w_kj|) */
static double worst_ratio(const float *A, const float *W, const float *C, size_t M, size_t N,
                          size_t K, bool trans_w, float alpha) {
    double worst = 0.0, u = ldexp(1.0, -24);
    for (size_t i = 0; i < M; i++)
        for (size_t j = 0; j < N; j++) {
            double ref = 0.0, mag = 0.0;
            for (size_t k = 0; k < K; k++) {
                double w = trans_w ? W[j * K + k] : W[k * N + j];
                ref += (double)A[i * K + k] * w;
                mag += fabs((double)A[i * K + k] * w);
            }
            ref *= alpha, mag *= fabs(alpha);
            double r = fabs(C[i * N + j] - ref) / ((double)K * u * mag + 1e-30);
            if (r > worst) worst = r;
        }
    return worst;
}

static void check_against_reference(bool want_packed) {
    const struct {
        size_t M, N, K;
    } shapes[] = {{32, 512, 512}, {7, 33, 65}, {1, 5, 3}, {19, 128, 96}};
    lrnn_rng rng;
    lrnn_rng_init(&rng, 11, LRNN_RNG_SAMPLE, 0, 0);
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (int trans = 0; trans < 2; trans++) {
            size_t M = shapes[s].M, N = shapes[s].N, K = shapes[s].K;
            float *A = malloc(M * K * sizeof *A), *W = malloc(N * K * sizeof *W),
                  *C = malloc(M * N * sizeof *C);
            fill(A, M * K, &rng);
            fill(W, N * K, &rng);
            packed_sgemm *g = NULL;
            float alpha = 0.37f;
            assert_int_equal(packed_sgemm_create(&g, M, N, K, trans, alpha), LRNN_OK);
            assert_int_equal(packed_sgemm_pack(g, W), LRNN_OK);
            assert_int_equal(packed_sgemm_run(g, A, C), LRNN_OK);
            double r1 = worst_ratio(A, W, C, M, N, K, trans, alpha);
            /* W changes (and is overwritten after packing): the next run uses the new pack */
            fill(W, N * K, &rng);
            assert_int_equal(packed_sgemm_pack(g, W), LRNN_OK);
            float *W2 = malloc(N * K * sizeof *W2);
            for (size_t i = 0; i < N * K; i++)
                W2[i] = W[i], W[i] = NAN;
            assert_int_equal(packed_sgemm_run(g, A, C), LRNN_OK);
            double r2 = worst_ratio(A, W2, C, M, N, K, trans, alpha);
            printf("%zu x %zu x %zu, W%s, %s: worst error %.3f and %.3f of the bound\n", M, N, K,
                   trans ? "^T" : "", packed_sgemm_is_packed(g) ? "oneDNN" : "sgemm fallback", r1,
                   r2);
            assert_true(r1 <= 1.0 && r2 <= 1.0);
            if (want_packed) assert_true(packed_sgemm_is_packed(g));
            packed_sgemm_free(g);
            free(A), free(W), free(W2), free(C);
        }
}

static void test_matches_reference(void **state) {
    (void)state;
    check_against_reference(true);
}

static void test_fallback_matches_reference(void **state) {
    (void)state;
    setenv("LRNN_PACKED_GEMM", "sgemm", 1);
    check_against_reference(false);
    unsetenv("LRNN_PACKED_GEMM");
}

static void test_bad_shapes(void **state) {
    (void)state;
    packed_sgemm *g = (packed_sgemm *)1;
    assert_int_equal(packed_sgemm_create(&g, 0, 4, 4, false, 1.0f), LRNN_ERR_ARG);
    assert_null(g);
    assert_int_equal(packed_sgemm_create(&g, 4, 4, (size_t)1 << 31, true, 1.0f), LRNN_ERR_ARG);
    packed_sgemm_free(NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matches_reference),
        cmocka_unit_test(test_fallback_matches_reference),
        cmocka_unit_test(test_bad_shapes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
