/* Latent dynamics of low-rank LINT networks (spec lint_method.md section 5.4): projections
 * kappa, the flow field on the plane spanned by m, its fixed points and their stability.
 *
 * For a low-rank network with J r = c_rec m n^T r (c_rec = 1/N with rec_div_n) and a constant
 * input I = W_in^T u, the continuous-time flow (time in units of tau) is
 *
 *     F(x) = -x + c_rec m n^T phi(x + b) + I.
 *
 * Coordinates. kappa_r = x . m_r / N (R values). With the R x R overlap G = m^T m / N, the
 * state of kappa on the plane is
 *
 *     x(kappa) = m G^{-1} kappa + I_perp,        I_perp = I - m G^{-1} m^T I / N,
 *
 * so that x(kappa) . m / N = kappa exactly. The spec's grid map x = (N / |m_r|^2) kappa_r m_r
 * + I_perp is this formula when the columns of m are orthogonal (as after the SVD
 * reparametrisation); for non-orthogonal m it would not give back kappa, so the general form is
 * used. The plane {m c + I_perp} is invariant: F(x(kappa)) lies in span(m), and every fixed
 * point of the network lies on it (x* = c_rec m n^T phi + I).
 *
 * Flow in kappa: dkappa/dt = F(x) . m / N = -kappa + c_rec G n^T phi(x + b) + m^T I / N (the spec
 * plots F . m_r; the 1/N makes it the time derivative of kappa itself, so arrows and
 * trajectories share units).
 *
 * Stability. The Jacobian of F is -I_N + c_rec m (n (.) phi'(x + b))^T: eigenvalue -1 on the
 * (N - R)-dimensional null space of the second term, and -1 + lambda for the eigenvalues lambda of
 * the R x R pseudo-Jacobian P_ab = c_rec m_a . (n_b (.) phi'(x + b)) (the spec's
 * [m_a . (n_b (.) phi') / N]). A fixed point is stable iff every Re lambda < 1 (the spec writes
 * <= 1; a marginal eigenvalue 1 is reported unstable here). No N x N matrix is formed: every call
 * costs O(N R^2).
 *
 * Shapes: N units, R rank, U inputs; arrays row-major. */
#ifndef LRNN_LINT_LATENT_H
#define LRNN_LINT_LATENT_H

#include <stdbool.h>
#include <stddef.h>

#include "lrnn/lint.h"
#include "lrnn/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* kappa (rows x R) = states (rows x N) m / N for a low-rank network, e.g. rows = trials x (T+1)
 * of lrnn_lint_simulate. LRNN_ERR_ARG for a full-rank network (no m). */
lrnn_status lrnn_lint_kappa(const lrnn_lint_rnn *rnn, const double *states, size_t rows,
                            double *kappa);

/* The flow of one network under one constant input. Holds copies of m, n, b and the input's
 * parts (O(N R)) and a workspace: not for concurrent use (one per thread). */
typedef struct lrnn_lint_latent lrnn_lint_latent;

/* u: U input values (NULL: no input, I = 0). Fails for a full-rank network, non-finite u, or
 * an m whose columns are linearly dependent (G singular: no plane, LRNN_ERR_NUMERIC). */
lrnn_status lrnn_lint_latent_create(const lrnn_lint_rnn *rnn, const double *u,
                                    lrnn_lint_latent **out);
void lrnn_lint_latent_free(lrnn_lint_latent *lat);
int lrnn_lint_latent_rank(const lrnn_lint_latent *lat);
size_t lrnn_lint_latent_units(const lrnn_lint_latent *lat);

/* x(kappa) (N values) on the plane. */
void lrnn_lint_latent_state(lrnn_lint_latent *lat, const double *kappa, double *x);
/* dkappa/dt at x(kappa) (R values). */
void lrnn_lint_latent_flow(lrnn_lint_latent *lat, const double *kappa, double *dkappa);
/* Jacobian d(dkappa/dt)/dkappa at x(kappa), R x R row-major:
 * -I + G P^T G^{-1} (P the pseudo-Jacobian), whose eigenvalues are -1 + eig(P). */
void lrnn_lint_latent_jacobian(lrnn_lint_latent *lat, const double *kappa, double *jac);
/* Pseudo-Jacobian P at x(kappa), R x R row-major (P_ab = c_rec m_a . (n_b (.) phi'(x + b))). */
void lrnn_lint_latent_pseudo_jacobian(lrnn_lint_latent *lat, const double *kappa, double *P);

typedef struct lrnn_lint_fp_params {
    /* Newton seeds per kappa dimension on a grid over the box (odd counts include the centre);
     * 0: 41 (R = 1), 11 (R = 2), 7 (R = 3), then the most that keeps the grid <= 4096 seeds,
     * and beyond that the centre and the 2R box midpoints of the faces. */
    int seeds_per_dim;
    /* Seed box in kappa (R values each), or NULL for the automatic box: in the coordinates
     * c = G^{-1} kappa every fixed point of a tanh network satisfies
     * |c_r - c_I,r| <= c_rec |n_r|_1 (c_I = G^{-1} m^T I / N, |phi| <= 1), and that box is
     * mapped to kappa (for relu / identity networks the same box is only a scale). */
    const double *lo, *hi;
    double tol;   /* converged when max_r |dc_r/dt| <= tol (1 + max_r |c_r|); 1e-10 */
    int max_iter; /* Newton iterations per seed (with backtracking line search); 100 */
} lrnn_lint_fp_params;

lrnn_lint_fp_params lrnn_lint_fp_default_params(void);

/* Fixed points found, sorted by kappa (lexicographic), duplicates (within 1e-6 relative)
 * merged. */
typedef struct lrnn_lint_fixed_points {
    size_t count;
    int rank;
    double *kappa;    /* count x R */
    double *eig_re;   /* count x R: eigenvalues of the pseudo-Jacobian P, sorted by real part */
    double *eig_im;   /*   descending (the flow's Jacobian has -1 + these) */
    bool *stable;     /* count: every Re eig < 1 */
    double *residual; /* count: max_r |dkappa_r/dt| at the point */
} lrnn_lint_fixed_points;

/* Newton's method in the R plane coordinates with the analytic Jacobian, from every seed.
 * *out is allocated here (free with lrnn_lint_fixed_points_free); count may be 0. */
lrnn_status lrnn_lint_latent_fixed_points(lrnn_lint_latent *lat, const lrnn_lint_fp_params *p,
                                          lrnn_lint_fixed_points *out);
void lrnn_lint_fixed_points_free(lrnn_lint_fixed_points *fp);

#ifdef __cplusplus
}
#endif
#endif
