/* Linear-Gaussian state-space forms of lrnn models, for tests with exact answers. */
#ifndef LRNN_TEST_LGSSM_H
#define LRNN_TEST_LGSSM_H

#include <stddef.h>
#include <stdint.h>

#include "lrnn/model.h"

enum { LG_MAXD = 16, LG_TMAX = 32 };

/* In-place lower Cholesky of an n x n matrix; 0, or -1 when not positive definite. */
int lg_chol(size_t n, double *A);
/* b <- (L L^T)^-1 b for the factor L of lg_chol. */
void lg_chol_solve(size_t n, const double *L, double *b);
/* log N(res; 0, S), S (n x n) overwritten by its Cholesky factor; w: n scratch doubles. */
double lg_log_gauss(size_t n, double *S, const double *res, double *w);
/* Covariance (d x d) of a noise parameter of the given kind (spec 1.4). */
void lg_noise_cov(lrnn_noise kind, size_t d, const double *r, double *S);
/* Every parameter of the model set to a reproducible value of a sensible scale (recurrence
 * n m moderate, so the linear system stays well-behaved over tens of steps). */
void lg_set_params(lrnn_model *model, uint64_t seed);

/*   z_0 ~ N(mu0, S0),  z_t = F z_{t-1} + f_t + eps (Sz),  y_t = H z_t + off_t + noise (D) */
typedef struct lgssm {
    size_t R, X, T;
    double F[LG_MAXD * LG_MAXD], Sz[LG_MAXD * LG_MAXD], S0[LG_MAXD * LG_MAXD];
    double H[LG_MAXD * LG_MAXD], D[LG_MAXD];
    double mu0[LG_MAXD];
    double f[LG_TMAX][LG_MAXD];   /* f_t = n (W_u v_{t-1} - h), used for t >= 1 */
    double off[LG_TMAX][LG_MAXD]; /* b + c_t */
} lgssm;

/* The state-space form of a model with identity activation and Gaussian identity-link
 * observations for inputs u (T x U, direct or filtered as the model says). */
void lgssm_build(lrnn_model *model, const double *u, size_t T, lgssm *s);

#endif
