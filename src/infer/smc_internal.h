/* Internal pieces of the SMC bound: per-pass constants, Kalman sets, per-trial adjoints. */
#ifndef LRNN_SMC_INTERNAL_H
#define LRNN_SMC_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "lrnn/smc.h"
#include "model/internal.h"

/* Optimal-proposal quantities for one observation pattern (information form, R x R):
 *   P = Sigma^-1,  M = H_o^T D_o^-1 H_o,  J = P + M = L_J L_J^T,
 *   Q = J^-1 (proposal covariance),  W = L_J^-T (W W^T = Q, the sampling factor),
 *   log det S = sum_o log d_i + 2 sum log L_ii + 2 sum log L_J,ii,  S = H_o Sigma H_o^T + D_o.
 * Adjoints of Q, W, M, the diagonal of L_J and log det S are accumulated over particles and
 * pushed back to L, H and d once by kalman_backward. */
typedef struct kalman {
    const double *L, *Linv; /* prior factor and its inverse (R x R) */
    const uint8_t *obs;     /* observed channels (X) or NULL for all */
    double *P, *M, *LJ, *W, *Q;
    double logdet_S;
    double observed; /* number of observed channels */
    double *Qbar, *Wbar, *Mbar, *LJbar;
    double logdet_S_bar;
} kalman;

/* Constants of one pass (one parameter value). */
typedef struct smc_pass {
    const lrnn_model *model;
    const lrnn_model_config *c;
    lrnn_param_view p;
    lrnn_smc_params sp;
    size_t R, N, X, U, K;
    lrnn_model_derived d; /* a, L_z, L_z0, P_m */
    double *Linv, *L0inv; /* R x R */
    double *var_x;        /* X: observation variances d_i */
    bool linear;          /* y = H z + b + c_t + noise (optimal proposal) */
    double *H;            /* X x R */
    double *Cv;           /* X x U, input part of the linear readout (NULL if none) */
    double *gram_inv;     /* R x R, (m^T m)^-1 when inputs enter mu_0 */
    kalman k0, k1;        /* all channels observed: t = 0 (Sigma_z0) and t >= 1 (Sigma_z) */
    double *block;        /* backing storage */
} smc_pass;

/* Adjoints of one trial beyond the parameter block; mapped into it by smc_adjoint_finish. */
typedef struct smc_adjoint {
    double *grad;         /* parameter block */
    double *Lbar, *L0bar; /* R x R */
    double *dbar;         /* X */
    double *Hbar;         /* X x R */
    double *Cvbar;        /* X x U */
    double *abar;         /* R */
} smc_adjoint;

size_t kalman_doubles(size_t R);
void kalman_carve(kalman *k, size_t R, double **cursor);
/* Build for prior factor L (with inverse Linv) and observed channels `obs` (NULL: all). */
lrnn_status kalman_build(kalman *k, const smc_pass *pass, const double *L, const double *Linv,
                         const uint8_t *obs);
void kalman_zero_adjoint(kalman *k, size_t R);
/* Push the accumulated adjoints into Lbar (the prior factor's), adj->Hbar and adj->dbar. */
void kalman_backward(const kalman *k, const smc_pass *pass, double *Lbar, smc_adjoint *adj);

lrnn_status smc_pass_init(smc_pass *pass, const lrnn_model *model, const lrnn_smc_params *sp);
void smc_pass_free(smc_pass *pass);

/* Map the intermediate adjoints (L, d, H, C_v, a) into the parameter block. */
void smc_adjoint_finish(const smc_pass *pass, smc_adjoint *adj);

/* Transition over K rows: Xc = Z m^T + cin, Phi = phi(Xc; h), Mu = a . Z + Phi n^T. */
void smc_transition_forward(const smc_pass *pass, size_t K, const double *Z, const double *cin,
                            double *Xc, double *Phi, double *Mu);
/* Backward of the above given Mubar: Zbar written, cinbar (N) accumulated, parameters into
 * adj. work: K x N. */
void smc_transition_backward(const smc_pass *pass, size_t K, const double *Z, const double *Xc,
                             const double *Phi, const double *Mubar, double *Zbar,
                             double *cinbar, smc_adjoint *adj, double *work);

/* Observation mean over K rows (any readout and nonlinearity). work: K x N. */
void smc_observation_forward(const smc_pass *pass, size_t K, const double *Z, const double *cin,
                             const double *v, double *Yhat, double *work);
/* Backward given Yhatbar: Zbar accumulated, cinbar (N) and vbar (U) accumulated. work: K x N,
 * work2: K x X. */
void smc_observation_backward(const smc_pass *pass, size_t K, const double *Z, const double *cin,
                              const double *v, const double *Yhatbar, double *Zbar,
                              double *cinbar, double *vbar, smc_adjoint *adj, double *work,
                              double *work2);

/* Resampling: ancestors anc[K] from log weights lw[K]; u01: uniforms (1 for systematic, K for
 * multinomial). */
void smc_resample(lrnn_resample kind, size_t K, const double *lw, const double *u01, int *anc,
                  double *scratch);
double smc_logsumexp(size_t K, const double *x);

#endif
