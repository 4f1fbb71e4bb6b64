/* Fixed points, cycles and their stability for the latent dynamics of a low-rank RNN
 * (spec smc_rnn_method.md section 7; algorithm and guarantees in docs/fixedpoints.md).
 *
 * The autonomous latent map with inputs held constant is
 *
 *     z' = f(z) = a . z + n phi(m z + b; h),      b = W_u u   (N constant input currents)
 *
 * with m (N x R), n (R x N), h (N), a (R, decay per latent dimension) and phi as in spec 1.1:
 * relu phi = relu(x - h) (one kink per unit, at x = h); clipped_relu phi = relu(x + h) - relu(x)
 * (two kinks, at x = -h and x = 0); tanh phi = tanh(x - h); identity phi = x - h.
 *
 * For the piecewise-linear activations every unit is on one linear piece ("level") at a point:
 *     relu          0: x <= h                 1: x > h
 *     clipped_relu  0: x <= min(-h, 0)        1: between the kinks     2: x > max(-h, 0)
 * (a unit exactly on a kink belongs to the lower piece, as the derivative 1[x > h] of the
 * model code says). Inside a region where every level is fixed, f is affine:
 * f(z) = A z + c, and the fixed point of that piece solves (I - A) z = c.
 *
 * Methods:
 *   analytic  every isolated fixed point of a relu/clipped_relu map, at any rank R: one
 *             candidate per region of the hyperplane arrangement of the kinks, found by a
 *             sweep over its vertices (cost O(N'^R) for N' kink hyperplanes, memory O(N')).
 *   scyfi     SCYFI (Eisenmann et al. 2023; spec 7.4): random search over activation
 *             patterns for k-cycles with a budget of linear solves; not exhaustive.
 *   newton    damped Newton from many starts, for any activation (tanh in particular);
 *             not exhaustive.
 * Every method reports the Jacobian's eigenvalues (Floquet multipliers for cycles) and a
 * classification. */
#ifndef LRNN_FIXEDPOINTS_H
#define LRNN_FIXEDPOINTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lrnn/model.h"
#include "lrnn/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the latent map ---- */

/* Owns copies of its arrays; free with lrnn_latent_map_free. */
typedef struct lrnn_latent_map {
    int R, N;
    lrnn_activation activation;
    double *m; /* N x R */
    double *n; /* R x N */
    double *h; /* N */
    double *a; /* R: decay per latent dimension */
    double *b; /* N: constant input currents W_u u (zeros without input) */
} lrnn_latent_map;

/* Copy the arrays (b may be NULL for no input). Fails on non-finite values or bad sizes. */
lrnn_status lrnn_latent_map_from_arrays(int R, int N, lrnn_activation activation, const double *m,
                                        const double *n, const double *h, const double *a,
                                        const double *b, lrnn_latent_map *out);
/* The map of a model with the input u (length U of the model; NULL: zero input) held
 * constant, so b = W_u u. The decay is the model's a = exp(-exp(decay_param)). With
 * `simulate_input` models the filtered input v settles at u, so b = W_u u holds there too. */
lrnn_status lrnn_latent_map_from_model(const lrnn_model *model, const double *u,
                                       lrnn_latent_map *out);
void lrnn_latent_map_free(lrnn_latent_map *map);

/* out = f(z) (R). */
void lrnn_latent_map_step(const lrnn_latent_map *map, const double *z, double *out);
/* Unit currents x = m z + b (N). */
void lrnn_latent_map_currents(const lrnn_latent_map *map, const double *z, double *x);
/* Jacobian df/dz = diag(a) + n diag(phi'(x)) m at z (R x R, row-major); phi' on a kink is the
 * left derivative (see above). */
void lrnn_latent_map_jacobian(const lrnn_latent_map *map, const double *z, double *J);
/* Linear piece of every unit at z (N). For tanh and identity every level is 0. */
void lrnn_latent_map_levels(const lrnn_latent_map *map, const double *z, uint8_t *level);
/* The affine piece f(z) = A z + c selected by `level` (A: R x R, c: R). */
void lrnn_latent_map_piece(const lrnn_latent_map *map, const uint8_t *level, double *A, double *c);

/* Fixed point of the affine piece `level`: solves (I - A) z = c and checks that the solution
 * lies in the piece's region. Returns 1 (z is a fixed point of f: its levels are `level`),
 * 2 (the same up to rounding: the levels differ only in units whose current is within 1e-11
 * relative of the kink between the two levels, i.e. z sits on a kink), 0 (z is outside the
 * region) or -1 (I - A singular: no isolated fixed point; z untouched). Deterministic: the
 * analytic method and brute force over levels call exactly this. Relu/clipped_relu (and
 * identity, which has one piece). */
int lrnn_fp_solve_piece(const lrnn_latent_map *map, const uint8_t *level, double *z);

/* ---- results ---- */

typedef enum lrnn_fp_method {
    LRNN_FP_AUTO,     /* analytic for relu/clipped_relu/identity, newton for tanh */
    LRNN_FP_ANALYTIC, /* exhaustive enumeration (piecewise-linear activations) */
    LRNN_FP_SCYFI,    /* random pattern search for k-cycles (spec 7.4) */
    LRNN_FP_NEWTON,   /* damped Newton from many starts */
} lrnn_fp_method;

typedef enum lrnn_fp_type {
    LRNN_FP_STABLE_NODE,    /* all |lambda| < 1, real */
    LRNN_FP_STABLE_FOCUS,   /* all |lambda| < 1, a complex pair */
    LRNN_FP_UNSTABLE_NODE,  /* all |lambda| > 1, real */
    LRNN_FP_UNSTABLE_FOCUS, /* all |lambda| > 1, a complex pair */
    LRNN_FP_SADDLE,         /* some inside, some outside the unit circle */
    LRNN_FP_MARGINAL,       /* a multiplier on the unit circle (|1 - |lambda|| <= 1e-9) */
} lrnn_fp_type;

const char *lrnn_fp_method_name(lrnn_fp_method v); /* "auto", "analytic", "scyfi", "newton" */
lrnn_status lrnn_fp_method_parse(const char *s, lrnn_fp_method *out);
const char *lrnn_fp_type_name(lrnn_fp_type v); /* "stable node", "saddle", ... */

/* Classify from the R multipliers of a discrete map; writes the spectral radius. */
lrnn_fp_type lrnn_fp_classify(int R, const double *eig_re, const double *eig_im, double *radius);

/* One fixed point (order 1) or cycle of minimal period `order`. */
typedef struct lrnn_fp {
    int order;
    double *z;      /* order x R: z_{i+1} = f(z_i), cyclically */
    uint8_t *level; /* order x N: linear piece of each unit at each point */
    double *eig_re; /* R multipliers: eigenvalues of the Jacobian of f^order at z_0, */
    double *eig_im; /*   sorted by decreasing modulus */
    double radius;  /* spectral radius (max |multiplier|) */
    lrnn_fp_type type;
    int active;      /* units with nonzero slope at z_0 (tanh: phi' > 1/2) */
    double residual; /* |f^order(z_0) - z_0| (max norm) */
} lrnn_fp;

typedef struct lrnn_fp_stats {
    uint64_t hyperplanes;      /* kink hyperplanes in z-space (N' = N or 2N; 0 for tanh) */
    int arrangement_rank;      /* dimension spanned by their normals (R unless degenerate) */
    uint64_t vertices;         /* vertices of the arrangement visited (nonsingular R-subsets) */
    uint64_t singular_subsets; /* R-subsets skipped (parallel or dependent hyperplanes) */
    uint64_t regions;          /* candidate activation patterns, one per region (distinct) */
    uint64_t ambiguous;        /* vertices with near-degenerate signs (all sides tried) */
    uint64_t truncated;       /* degenerate vertices with more than 20 free signs (not all tried) */
    uint64_t solves;          /* R x R linear solves */
    uint64_t singular_pieces; /* pieces with singular I - A (possible non-isolated points) */
    uint64_t starts;          /* newton: starts; scyfi: pattern draws */
    uint64_t converged;       /* newton: starts that converged */
    int threads;              /* threads used */
    double seconds;           /* wall time */
} lrnn_fp_stats;

typedef struct lrnn_fp_result {
    int R, N;
    lrnn_fp_method method; /* the method that ran (never AUTO) */
    bool exhaustive;       /* true when every isolated fixed point is listed (analytic) */
    size_t count;          /* fixed points first (sorted by z), then cycles by order */
    lrnn_fp *points;
    lrnn_fp_stats stats;
} lrnn_fp_result;

void lrnn_fp_result_free(lrnn_fp_result *r);

/* ---- parameters ---- */

typedef struct lrnn_fp_params {
    lrnn_fp_method method;
    int max_order; /* cycles up to this period (SCYFI for orders >= 2); 1 = fixed points */
    int threads;   /* 0: OpenMP default */
    uint64_t seed; /* scyfi patterns and newton starts */
    /* analytic */
    double max_vertices; /* refuse arrangements with more vertices than this (time guard) */
    /* scyfi (spec 7.4 names in brackets) */
    uint64_t scyfi_budget;  /* linear solves per order [n_inverses_max] */
    uint64_t scyfi_inner;   /* pattern iterations per draw [inner_loop_iterations] */
    bool scyfi_constrained; /* order 1: draw patterns next to random vertices ("combined") */
    /* newton */
    uint64_t newton_starts;
    int newton_iterations;
    double newton_tol; /* converged when |f(z) - z| <= tol (1 + |z|) (max norms) */
} lrnn_fp_params;

lrnn_fp_params lrnn_fp_default_params(void);
lrnn_status lrnn_fp_params_check(const lrnn_fp_params *p);

/* Find fixed points (and cycles up to p->max_order) of the map. On success *out owns the
 * results; on failure *out is empty. */
lrnn_status lrnn_fp_find(const lrnn_latent_map *map, const lrnn_fp_params *p, lrnn_fp_result *out);

#ifdef __cplusplus
}
#endif
#endif
