/* SCYFI: search for k-cycles of a piecewise-linear map over activation patterns (Eisenmann et
 * al. 2023; the variant of spec 7.4).
 *
 * For k patterns D_0..D_{k-1} the map on them is affine, f_i(z) = A_i z + c_i, and a k-cycle
 * through them starts at the fixed point of the composition:
 *     (I - A_{k-1} ... A_0) z_0 = sum_i A_{k-1} ... A_{i+1} c_i.
 * Iterating f k times from z_0 gives the patterns actually visited; when they are the ones
 * assumed the cycle is real, otherwise they become the next guess (a fixed-point iteration on
 * patterns), restarting from random patterns after `inner` guesses or after a success.
 *
 * Differences from the reference (spec 7.4 quirks): random patterns draw every unit's level
 * uniformly among the pieces it has (the reference draws an integer in [0, 2^N) through a
 * float, which is not uniform for N > 53, and for clipped relu draws bits of 2N relu units,
 * half of whose combinations are impossible); multipliers are the eigenvalues of
 * prod_i (diag(a) + n D_i m), not of the broadcast diag(A); a cycle is a duplicate when all its
 * points agree within 1e-7 relative under some rotation, instead of rounding to 4 decimals;
 * the constrained variant draws the pattern of a random region next to a random vertex
 * (one r x r solve, counted in the budget) instead of precomputing all C(N', R) vertices. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/dense.h"
#include "analysis/internal.h"

static void random_levels(const lrnn_latent_map *map, lrnn_rng *rng, uint8_t *level) {
    for (int i = 0; i < map->N; i++) {
        if (map->activation == LRNN_ACT_RELU)
            level[i] = (uint8_t)(lrnn_rng_u64(rng) >> 63);
        else if (map->h[i] == 0.0)
            level[i] = (uint8_t)(2 * (lrnn_rng_u64(rng) >> 63));
        else
            level[i] = (uint8_t)lrnn_rng_below(rng, 3);
    }
}

lrnn_status fp_scyfi_order(const lrnn_latent_map *map, const lrnn_fp_params *p, int k,
                           const fp_arrangement *arr, lrnn_fp_result *out) {
    if (map->activation != LRNN_ACT_RELU && map->activation != LRNN_ACT_CLIPPED_RELU)
        return lrnn_fail(LRNN_ERR_ARG, "fixed points: SCYFI needs a piecewise-linear activation "
                                       "(relu, clipped_relu); use newton");
    int R = map->R;
    size_t Rs = (size_t)R, RR = Rs * Rs, N = (size_t)map->N, K = (size_t)k;
    uint8_t *guess = malloc(K * N), *seen = malloc(K * N);
    double *A = malloc(RR * sizeof *A), *c = malloc(Rs * sizeof *c);
    double *F = malloc(RR * sizeof *F), *g = malloc(Rs * sizeof *g), *T = malloc(RR * sizeof *T);
    double *pts = malloc((K + 1) * Rs * sizeof *pts), *rot = malloc(K * Rs * sizeof *rot);
    double *tmp = malloc(Rs * sizeof *tmp);
    int *piv = malloc(Rs * sizeof *piv);
    lrnn_status st = LRNN_OK;
    if (!guess || !seen || !A || !c || !F || !g || !T || !pts || !rot || !tmp || !piv) {
        st = lrnn_fail(LRNN_ERR_NOMEM, "fixed points: cannot allocate the SCYFI workspace");
        goto done;
    }
    lrnn_rng rng;
    lrnn_rng_init(&rng, p->seed, FP_RNG_PURPOSE, (uint64_t)k, 0);
    int constrained = k == 1 && p->scyfi_constrained && arr;
    uint64_t used = 0, budget = p->scyfi_budget;
    while (used < budget && !st) {
        /* a fresh guess */
        out->stats.starts++;
        if (constrained) {
            used++; /* the vertex solve */
            if (fp_arrangement_random_region(arr, &rng, guess) != 0) continue;
        } else {
            for (size_t i = 0; i < K; i++)
                random_levels(map, &rng, guess + i * N);
        }
        for (uint64_t inner = 0; inner < p->scyfi_inner && used < budget; inner++) {
            /* composition F z + g of the k pieces */
            memset(F, 0, RR * sizeof *F);
            for (int r = 0; r < R; r++)
                F[r * R + r] = 1.0;
            memset(g, 0, Rs * sizeof *g);
            for (size_t i = 0; i < K; i++) {
                lrnn_latent_map_piece(map, guess + i * N, A, c);
                dense_mm((size_t)R, (size_t)R, (size_t)R, A, F, T);
                memcpy(F, T, RR * sizeof *F);
                for (int r = 0; r < R; r++) {
                    double s = c[r];
                    for (int q = 0; q < R; q++)
                        s += A[r * R + q] * g[q];
                    tmp[r] = s;
                }
                memcpy(g, tmp, Rs * sizeof *g);
            }
            for (size_t q = 0; q < RR; q++)
                F[q] = -F[q];
            for (int r = 0; r < R; r++)
                F[r * R + r] += 1.0;
            used++;
            out->stats.solves++;
            if (fp_lu(R, F, piv, NULL) != 0) {
                out->stats.singular_pieces++;
                break; /* no isolated cycle on these pieces: draw again */
            }
            fp_lu_solve(R, F, piv, g);
            memcpy(pts, g, Rs * sizeof *pts);
            int match = 1;
            for (size_t i = 0; i < K; i++) {
                lrnn_latent_map_levels(map, pts + i * Rs, seen + i * N);
                if (memcmp(seen + i * N, guess + i * N, N)) match = 0;
                lrnn_latent_map_step(map, pts + i * Rs, pts + (i + 1) * Rs);
            }
            if (match) {
                int added = fp_result_add_cycle(out, map, k, pts, rot);
                if (added < 0) st = LRNN_ERR_NOMEM;
                break; /* found (or known): draw again */
            }
            memcpy(guess, seen, K * N);
        }
    }
done:
    free(guess), free(seen), free(A), free(c), free(F), free(g), free(T), free(pts), free(rot);
    free(tmp), free(piv);
    return st;
}
