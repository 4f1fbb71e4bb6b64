/* Internal pieces of the SMC bound: per-pass constants, Kalman sets, per-trial adjoints. */
#ifndef LRNN_SMC_INTERNAL_H
#define LRNN_SMC_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "lrnn/smc.h"
#include "model/internal.h"

/* The SMC bound's per-step functions compiled for AVX-512, AVX2 and the baseline (target
 * clones; the widest the CPU has runs). ISO C without contraction, so every instance rounds
 * alike. gcc does not inline a plain function into a clone: each hot function gets its own. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define SMC_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define SMC_CLONES
#endif

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

/* The transition's unit loops (kernels.h). Units are padded with zeros to S = N rounded up to
 * a multiple of 8. The pass keeps m^T, n (R x S) and h (S) as padded rows; each thread copies
 * them into its unit table, 2 (2R + 1) rows of S (64-byte aligned):
 *     m^T (R rows), n (R), h,  then their adjoints  nbar (R), (m^T)bar (R), hbar,
 * so that the kernels' loads and stores stay in one block with fixed relative offsets. */
typedef struct smc_kparams {
    size_t R, N, S;
    lrnn_activation act;
    const double *mT, *n, *h; /* padded rows: R x S, R x S, S */
    const double *a;          /* R: decay */
    /* linear-Gaussian readout, channels padded to XP = X rounded up to 8 (zeros) */
    size_t X, XP;
    const double *HT, *w; /* R x XP: H transposed; XP: 1/d_i */
    const double *G;      /* R x R: H^T diag(w) H (smc_resid_gram), or NULL */
} smc_kparams;

/* Rows of the unit table: parameters, then their adjoints. */
static inline size_t smc_unit_rows(size_t R) {
    return 2 * (2 * R + 1);
}

typedef struct smc_kernels {
    const char *name;
    /* Mu = a . Z + phi(Z m^T + cin; h) n^T over K rows; cin: S or NULL. */
    void (*forward)(const smc_kparams *kp, const double *table, size_t K, const double *Z,
                    const double *cin, double *Mu);
    /* Given Mubar: Zbar written; cinbar (S), abar (R) and the table's adjoints accumulated. */
    void (*backward)(const smc_kparams *kp, double *table, size_t K, const double *Z,
                     const double *cin, const double *Mubar, double *Zbar, double *cinbar,
                     double *abar);
    /* Residuals r = y~ - H x of K rows x (K x R): quad_k = sum_i w_i r_i^2, with w the
     * channel weights (kp->w, or 0 on a step's unobserved channels). y~, w: XP. */
    void (*resid_forward)(const smc_kparams *kp, const double *yt, const double *w, size_t K,
                          const double *Xs, double *quad);
    /* Adjoint of -1/2 sum_k om_k quad_k: Xbar (K x R) written; ytbar (XP), HbarT (R x XP),
     * dbar (XP) accumulated. */
    void (*resid_backward)(const smc_kparams *kp, const double *yt, const double *w, size_t K,
                           const double *Xs, const double *om, double *ytbar, double *HbarT,
                           double *dbar, double *Xbar);
} smc_kernels;

/* The kernels for this CPU (name NULL: the widest supported), or the named set ("avx512",
 * "avx2", "vector128", "c"); NULL when the name is unknown or the CPU lacks it. */
const smc_kernels *smc_kernels_pick(const char *name);

/* resid_forward / resid_backward of the kernels through the residuals' moments, O(R^2) a
 * particle instead of O(X R) (resid.c); for ranks up to SMC_RESID_RMAX. */
#define SMC_RESID_RMAX 8
void smc_resid_forward_moments(const smc_kparams *kp, const double *yt, const double *w,
                               size_t K, const double *Xs, double *quad);
void smc_resid_backward_moments(const smc_kparams *kp, const double *yt, const double *w,
                                size_t K, const double *Xs, const double *om, double *ytbar,
                                double *HbarT, double *dbar, double *Xbar);
/* G = H^T diag(w) H (R x R, both triangles) in the order the moments use: once per pass for
 * the fully observed steps (kp->G), whose moments then take only e and c0 from the data. */
void smc_resid_gram(const smc_kparams *kp, const double *w, double *G);

enum { SMC_LOG_FACTORIALS = 256 };

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
    bool affine;          /* readout pre-activation H z + b + C_v v (affine, or one-to-one
                           * from currents): H, HT and Cv are set */
    bool linear;          /* affine, Gaussian, identity link: the optimal proposal applies */
    double *H;            /* X x R */
    double *HT;           /* R x X: H transposed, for the row kernels */
    double *mT;           /* R x N: m transposed */
    double *Cv;           /* X x U, input part of the linear readout (NULL if none) */
    double *gram_inv;     /* R x R, (m^T m)^-1 when inputs enter mu_0 */
    kalman k0, k1;        /* all channels observed: t = 0 (Sigma_z0) and t >= 1 (Sigma_z) */
    smc_kparams kp;       /* padded copies of m^T, n, h for the kernels */
    smc_kernels kern; /* this CPU's set; resid_* are the moments' for R <= SMC_RESID_RMAX */
    double log_factorial[SMC_LOG_FACTORIALS]; /* lgamma(n + 1): Poisson counts below the size */
    double *block, *kblock; /* backing storage (kblock: 64-byte aligned) */
} smc_pass;

/* Adjoints of one trial beyond the parameter block; mapped into it by smc_adjoint_finish. */
typedef struct smc_adjoint {
    double *grad;         /* parameter block */
    lrnn_param_view g;    /* views of grad (looked up once per trial) */
    double *Lbar, *L0bar; /* R x R */
    double *dbar;         /* X */
    double *Hbar;         /* X x R */
    double *Cvbar;        /* X x U */
    double *abar;         /* R */
    double *mbarT;        /* R x N: adjoint of m, transposed (row kernels accumulate it) */
    double *HbarT;        /* R x kp.XP: adjoint of H^T from the readout rows and residuals */
} smc_adjoint;

size_t kalman_doubles(size_t R);
void kalman_carve(kalman *k, size_t R, double **cursor);
/* Build for prior factor L (with inverse Linv) and observed channels `obs` (NULL: all). */
lrnn_status kalman_build(kalman *k, const smc_pass *pass, const double *L, const double *Linv,
                         const uint8_t *obs);
void kalman_zero_adjoint(kalman *k, size_t R);
/* Push the accumulated adjoints into Lbar (the prior factor's), adj->Hbar and adj->dbar. */
void kalman_backward(const kalman *k, const smc_pass *pass, double *Lbar, smc_adjoint *adj);

/* Storage of the pass constants, sized once for the model's shapes (lrnn_smc_create). */
lrnn_status smc_pass_alloc(smc_pass *pass, const lrnn_model *model, const lrnn_smc_params *sp);
/* Fill the constants from the model's current parameters (every lrnn_smc_bound; no allocation). */
lrnn_status smc_pass_update(smc_pass *pass, const lrnn_model *model);
void smc_pass_free(smc_pass *pass);

/* Map the intermediate adjoints (L, d, H, C_v, a, m^T) into the parameter block. */
void smc_adjoint_finish(const smc_pass *pass, smc_adjoint *adj);

/* Unit table (smc_unit_rows(R) x S): load the pass's parameters and zero the adjoints; at the
 * end of a trial, add the adjoints into adj's parameter block. */
void smc_units_load(const smc_pass *pass, double *table);
void smc_units_fold(const smc_pass *pass, const double *table, smc_adjoint *adj);
/* Transition over K rows: Mu = a . Z + phi(Z m^T + cin; h) n^T. cin: S (padded) or NULL. */
void smc_transition_forward(const smc_pass *pass, const double *table, size_t K, const double *Z,
                            const double *cin, double *Mu);
/* Backward of the above given Mubar (currents and rates recomputed from Z): Zbar written,
 * cinbar (S), adj->abar and the table's adjoints accumulated. */
void smc_transition_backward(const smc_pass *pass, double *table, size_t K, const double *Z,
                             const double *cin, const double *Mubar, double *Zbar,
                             double *cinbar, smc_adjoint *adj);

/* Observation mean over K rows (any readout and nonlinearity). work: K x max(N, X). */
void smc_observation_forward(const smc_pass *pass, size_t K, const double *Z, const double *cin,
                             const double *v, double *Yhat, double *work);
/* Backward given Yhatbar: Zbar accumulated, cinbar (N) and vbar (U) accumulated. work: K x N,
 * work2: K x X. */
void smc_observation_backward(const smc_pass *pass, size_t K, const double *Z, const double *cin,
                              const double *v, const double *Yhatbar, double *Zbar,
                              double *cinbar, double *vbar, smc_adjoint *adj, double *work,
                              double *work2);

/* One step's Poisson observations: counts y (X), the observed channels (NULL: all), the
 * weight adjoints omega (K, backward only), the slopes Q = d lw / d pre (K x X) that the
 * forward writes for the backward, and scratch: X channel indices, K x X doubles. */
typedef struct smc_poisson_step {
    const double *y;
    const uint8_t *obs;
    const double *omega;
    double *Q;
    size_t *chan;
    double *scratch;
} smc_poisson_step;

/* Poisson log-likelihoods lw (K) of the particles' rates g(readout(Z)), with Q for the
 * backward. work, work2: K x max(N, X). */
void smc_poisson_forward(const smc_pass *pass, size_t K, const double *Z, const double *cin,
                         const double *v, const smc_poisson_step *st, double *lw, double *work,
                         double *work2);
/* Backward of sum_k omega_k log p(y | Z_k) (Poisson) through the link and the readout:
 * Zbar, cinbar (N) and vbar (U) accumulated as smc_observation_backward's. */
void smc_poisson_backward(const smc_pass *pass, size_t K, const double *Z, const double *cin,
                          const double *v, const smc_poisson_step *st, double *Zbar,
                          double *cinbar, double *vbar, smc_adjoint *adj, double *work,
                          double *work2);

/* Resampling: ancestors anc[K] from normalised weights prob[K] (exp(lw - lse(lw))); u01:
 * uniforms (1 for systematic, K for multinomial). */
void smc_resample(lrnn_resample kind, size_t K, const double *prob, const double *u01, int *anc,
                  double *scratch);
double smc_logsumexp(size_t K, const double *x);

/* Encoder proposal of one step (spec 3.5; encoder_proposal.c): K samples Z from the product of
 * N(mu_p, diag v) (Mup: K x R) and N(mu_e, diag s), with lw[k] set to the weight correction
 * log p(z|z_prev) - log q(z). v, mu_e, s: R. */
void smc_encoder_sample(size_t R, size_t K, const double *v, const double *mu_e, const double *s,
                        const double *Mup, const double *eps, double *Z, double *lw);
/* Its backward: Zbar is the adjoint of Z from the observation and the future, om that of the
 * weights. Mubar (K x R) written; vbar, mu_e_bar, s_bar (R) accumulated. */
void smc_encoder_backward(size_t R, size_t K, const double *v, const double *mu_e,
                          const double *s, const double *Mup, const double *eps, const double *Z,
                          const double *om, const double *Zbar, double *Mubar, double *vbar,
                          double *mu_e_bar, double *s_bar);
/* log sum_k exp(x_k) as smc_logsumexp, and prob_k = exp(x_k - that) from the same exponentials
 * (K exps, not 2K). prob is left unset when the result is not finite. */
double smc_normalise(size_t K, const double *x, double *prob);

#endif
