/* Shared pieces of the fixed-point code (src/analysis): small dense linear algebra, the exact
 * per-piece solve, the result list, and the hyperplane arrangement used by the analytic method
 * and by constrained SCYFI. */
#ifndef LRNN_ANALYSIS_INTERNAL_H
#define LRNN_ANALYSIS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "lrnn/fixedpoints.h"
#include "lrnn/rng.h"

/* Random streams of the fixed-point search: a purpose of its own, so that the numbers never
 * coincide with those of sampling or fitting for the same seed. */
#define FP_RNG_PURPOSE ((lrnn_rng_purpose)0x4650) /* "FP" */

/* ---- dense.c: n x n row-major systems, n small ---- */

/* LU with partial pivoting in place. Singular (returns -1) when a pivot is <= 1e-12 times the
 * largest entry of A. *cond (may be NULL) receives max|pivot| / min|pivot|. */
int fp_lu(int n, double *A, int *piv, double *cond);
/* Solve with the factors of fp_lu; b is overwritten by the solution. */
void fp_lu_solve(int n, const double *LU, const int *piv, double *b);
/* Eigenvalues of A (n x n, not modified) via LAPACK dgeev, sorted by decreasing modulus.
 * work: n * n doubles. Returns 0, or -1 when LAPACK fails. */
int fp_eigenvalues(int n, const double *A, double *re, double *im, double *work);

/* ---- map.c ---- */

/* Kink hyperplanes per unit: 1 (relu), 2 (clipped_relu), 0 (tanh, identity). */
int fp_planes_per_unit(lrnn_activation act);
/* Workspace (doubles) of fp_solve_piece_ws. */
size_t fp_solve_ws_size(const lrnn_latent_map *map);
/* lrnn_fp_solve_piece with caller workspace: ws of fp_solve_ws_size doubles, lv of N bytes. */
int fp_solve_piece_ws(const lrnn_latent_map *map, const uint8_t *level, double *z, double *ws,
                      uint8_t *lv);

/* Append one fixed point or cycle (points z: order x R) to the result, with levels,
 * multipliers, classification and residual computed from the map. */
lrnn_status fp_result_push(lrnn_fp_result *res, const lrnn_latent_map *map, int order,
                           const double *z);
/* Add a cycle of period `order` found at z (order x R) unless it is a shorter cycle or one
 * already listed (any entry point); it is stored from its lexicographically smallest point.
 * rotated: order x R scratch. Returns 1 (added), 0 (not new) or -1 (error set). */
int fp_result_add_cycle(lrnn_fp_result *res, const lrnn_latent_map *map, int order, const double *z,
                        double *rotated);
/* Order the result: fixed points by z, then cycles by order and z_0. */
void fp_result_sort(lrnn_fp_result *res);

/* ---- analytic.c: the arrangement of the kink hyperplanes ---- */

typedef struct fp_arrangement fp_arrangement;

lrnn_status fp_arrangement_create(const lrnn_latent_map *map, fp_arrangement **out);
void fp_arrangement_free(fp_arrangement *a);
/* Rank of the arrangement and number of live (non-constant) hyperplanes. */
int fp_arrangement_rank(const fp_arrangement *a);
int fp_arrangement_live(const fp_arrangement *a);
/* Levels of a region next to a random vertex: a random r-subset of hyperplanes, its vertex,
 * the sides of all other hyperplanes there and a random side of each of the r. Returns 0, or
 * -1 when the subset is singular (nothing written). */
int fp_arrangement_random_region(const fp_arrangement *a, lrnn_rng *rng, uint8_t *level);

/* The exhaustive method (lrnn_fp_find with LRNN_FP_ANALYTIC, fixed points only). */
lrnn_status fp_analytic(const lrnn_latent_map *map, const lrnn_fp_params *p, lrnn_fp_result *out);
/* SCYFI for one order k (appends cycles of minimal period k to out). */
lrnn_status fp_scyfi_order(const lrnn_latent_map *map, const lrnn_fp_params *p, int k,
                           const fp_arrangement *arr, lrnn_fp_result *out);
/* Newton from many starts on f^k(z) = z (k = 1: fixed points). */
lrnn_status fp_newton_order(const lrnn_latent_map *map, const lrnn_fp_params *p, int k,
                            lrnn_fp_result *out);

#endif
