/* The stochastic low-rank RNN (spec smc_rnn_method.md, sections 1 and 2).
 *
 *   currents   x_t  = m z_t + W_u v_t                                   (N)
 *   transition z_t  = a . z_{t-1} + n phi(x_{t-1}; h) + eps_t,  eps ~ N(0, Sigma_z)   (R)
 *   initial    z_0 ~ N(z_init + P_m(W_u v_0), Sigma_z0),  P_m(y) = (m^T m)^-1 m^T y
 *   inputs     v_t = u_t (direct) or v_t = a v_{t-1} + (1 - a) u_{t-1}, v_0 = 0 (filtered)
 *   readout    yhat_t = g(B^T [v_t; z_t] + b)  (affine)  or  g(B . f_t + b)  (one-to-one,
 *              f = currents or rates);  y_t ~ N(yhat_t, Sigma_x) or Poisson(yhat_t)
 *
 * All parameters live in one contiguous double block whose layout (names, shapes, offsets) is
 * fixed by the configuration; gradients and optimiser moments are blocks of the same layout. */
#ifndef LRNN_MODEL_H
#define LRNN_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lrnn/encoder.h"
#include "lrnn/layout.h"
#include "lrnn/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum lrnn_activation {
    LRNN_ACT_RELU,         /* relu(x - h) */
    LRNN_ACT_CLIPPED_RELU, /* relu(x + h) - relu(x) */
    LRNN_ACT_TANH,         /* tanh(x - h) (the reference's tanh is broken; this is the intent) */
    LRNN_ACT_IDENTITY,     /* x - h */
} lrnn_activation;

typedef enum lrnn_noise { LRNN_NOISE_FULL, LRNN_NOISE_DIAG, LRNN_NOISE_SCALAR } lrnn_noise;
typedef enum lrnn_decay { LRNN_DECAY_SCALAR, LRNN_DECAY_PER_DIM } lrnn_decay;
typedef enum lrnn_init_state { LRNN_INIT_ZERO, LRNN_INIT_TRAINABLE } lrnn_init_state;
typedef enum lrnn_obs { LRNN_OBS_GAUSS, LRNN_OBS_POISSON } lrnn_obs;
typedef enum lrnn_readout { LRNN_READOUT_AFFINE, LRNN_READOUT_ONE_TO_ONE } lrnn_readout;
typedef enum lrnn_readout_from {
    LRNN_FROM_Z,        /* affine: B^T z */
    LRNN_FROM_Z_AND_V,  /* affine: B^T [v; z] */
    LRNN_FROM_CURRENTS, /* one-to-one: x = m z + W_u v */
    LRNN_FROM_RATES,    /* one-to-one: phi(x; h) */
} lrnn_readout_from;
typedef enum lrnn_obs_nonlin {
    LRNN_G_IDENTITY, /* y */
    LRNN_G_EXP,      /* exp(y) + 1e-10 */
    LRNN_G_RELU,     /* relu(y) + 1e-10 */
    LRNN_G_SOFTPLUS, /* log(1 + e^y) + 1e-6 */
} lrnn_obs_nonlin;
typedef enum lrnn_weight_dist { LRNN_WEIGHTS_UNIFORM, LRNN_WEIGHTS_GAUSS } lrnn_weight_dist;

typedef struct lrnn_model_config {
    int rank;     /* R */
    int units;    /* N */
    int channels; /* X, observed channels predicted by the observation model */
    int inputs;   /* U, 0 for none */
    lrnn_activation activation;
    lrnn_decay decay;
    double decay_init; /* a at initialisation, in (0, 1) */
    bool train_decay;
    bool simulate_input; /* inputs low-pass filtered with the decay (needs scalar decay) */
    lrnn_init_state init_state;
    lrnn_noise noise_z, noise_z0, noise_x;
    double init_noise_z, init_noise_z0, init_noise_x; /* initial standard deviations */
    bool train_noise_z, train_noise_z0, train_noise_x;
    lrnn_obs obs;
    lrnn_readout readout;
    lrnn_readout_from readout_from;
    lrnn_obs_nonlin obs_nonlin;
    bool train_obs_weights, train_obs_bias, train_neuron_bias, train_wu;
    lrnn_weight_dist weight_dist;
    /* Co-smoothing (spec 2.4): the last heldout_channels of the X channels are predicted by the
     * observation model but never shown to the encoder. */
    int heldout_channels;
    /* The CNN encoder of the encoder proposal (spec 3.5, 3.6); encoder.layers == 0: none. Its
     * channels and rank are not free: lrnn_model_encoder_config() fills them in (X -
     * heldout_channels and R). Its parameters follow the model's in the block ("enc_*"). */
    lrnn_encoder_config encoder;
    uint64_t seed; /* initialisation seed */
} lrnn_model_config;

/* Defaults of the reference's EEG configuration, scaled down: R = 2, N = 64, X = 8,
 * clipped ReLU, scalar decay 0.9, full z noise 0.1, full z0 noise 1, diag x noise 0.1,
 * Gaussian affine readout from z, identity g. */
lrnn_model_config lrnn_model_default_config(void);
/* Validate (ranges, combinations such as one-to-one needing X == N). Message names the field. */
lrnn_status lrnn_model_config_check(const lrnn_model_config *c);
/* The encoder's configuration with its channels (X - heldout_channels) and rank (R) filled in. */
lrnn_encoder_config lrnn_model_encoder_config(const lrnn_model_config *c);

/* Names used by the CLI, the model file and messages ("clipped_relu", "full", ...). */
const char *lrnn_activation_name(lrnn_activation v);
const char *lrnn_noise_name(lrnn_noise v);
const char *lrnn_decay_name(lrnn_decay v);
const char *lrnn_init_state_name(lrnn_init_state v);
const char *lrnn_obs_name(lrnn_obs v);
const char *lrnn_readout_name(lrnn_readout v);
const char *lrnn_readout_from_name(lrnn_readout_from v);
const char *lrnn_obs_nonlin_name(lrnn_obs_nonlin v);
const char *lrnn_weight_dist_name(lrnn_weight_dist v);
lrnn_status lrnn_activation_parse(const char *s, lrnn_activation *out);
lrnn_status lrnn_noise_parse(const char *s, lrnn_noise *out);
lrnn_status lrnn_decay_parse(const char *s, lrnn_decay *out);
lrnn_status lrnn_init_state_parse(const char *s, lrnn_init_state *out);
lrnn_status lrnn_obs_parse(const char *s, lrnn_obs *out);
lrnn_status lrnn_readout_parse(const char *s, lrnn_readout *out);
lrnn_status lrnn_readout_from_parse(const char *s, lrnn_readout_from *out);
lrnn_status lrnn_obs_nonlin_parse(const char *s, lrnn_obs_nonlin *out);
lrnn_status lrnn_weight_dist_parse(const char *s, lrnn_weight_dist *out);

/* ---- parameter block layout (lrnn/layout.h) ---- */

/* Pointers to each parameter inside a block of the layout (NULL for absent parameters). Works
 * for the parameters, their gradient and optimiser moments alike. */
typedef struct lrnn_param_view {
    double *m;           /* N x R */
    double *n;           /* R x N */
    double *h;           /* N */
    double *decay_param; /* 1 or R; a = exp(-exp(decay_param)) */
    double *W_u;         /* N x U */
    double *z_init;      /* R */
    double *R_z;         /* R x R (full), R (diag), 1 (scalar) */
    double *R_z0;        /* same shapes as R_z */
    double *R_x;         /* X x X, X or 1 (Gaussian observations only) */
    double *B_obs;       /* affine: (dv + R) x X; one-to-one: X */
    double *bias_obs;    /* X */
    double *encoder;     /* the encoder's block (lrnn_encoder_layout), NULL without one */
} lrnn_param_view;

lrnn_status lrnn_param_layout_build(const lrnn_model_config *c, lrnn_param_layout *out);
lrnn_param_view lrnn_param_view_of(const lrnn_param_layout *l, double *block);

/* ---- the model handle ---- */

typedef struct lrnn_model lrnn_model;

/* Create a model with parameters initialised as spec section 5.2 (seeded by c->seed). */
lrnn_status lrnn_model_create(const lrnn_model_config *c, lrnn_model **out);
void lrnn_model_free(lrnn_model *model);
lrnn_status lrnn_model_clone(const lrnn_model *model, lrnn_model **out);

const lrnn_model_config *lrnn_model_config_of(const lrnn_model *model);
const lrnn_param_layout *lrnn_model_layout(const lrnn_model *model);
double *lrnn_model_params(lrnn_model *model);
const double *lrnn_model_params_const(const lrnn_model *model);
lrnn_param_view lrnn_model_view(lrnn_model *model);

/* ---- quantities derived from the parameters, computed once per pass ---- */

typedef struct lrnn_model_derived {
    int R, N, X, U;
    double *a;   /* R: decay per latent dimension, a = exp(-exp(decay_param)) */
    double *L_z; /* R x R lower-triangular Cholesky factor of Sigma_z */
    double *L_z0;
    double *std_x; /* X: observation noise std (diag/scalar), or sqrt(diag(L_x L_x^T)) */
    double *L_x;   /* X x X lower Cholesky of Sigma_x when noise_x is full, else NULL */
    double *P_m;   /* R x N: (m^T m)^-1 m^T, NULL when U == 0 */
} lrnn_model_derived;

lrnn_status lrnn_model_derived_alloc(const lrnn_model *model, lrnn_model_derived *d);
/* Fill from the current parameters. Fails (LRNN_ERR_NUMERIC) if m^T m is singular and needed. */
lrnn_status lrnn_model_derived_update(const lrnn_model *model, lrnn_model_derived *d);
void lrnn_model_derived_free(lrnn_model_derived *d);

/* Cholesky factor of a noise parameter (spec 1.4): full: tril(R,-1) + diag(exp(diag(R)/2));
 * diag: diag(exp(r/2)); scalar: exp(r/2) I. Writes a dense d x d lower-triangular L. */
void lrnn_noise_cholesky(lrnn_noise kind, int d, const double *param, double *L);

/* ---- forward pieces (row-batched: `rows` independent states, row-major) ---- */

/* phi(x; h) for one unit. */
double lrnn_activation_apply(lrnn_activation act, double x, double h);

/* Unit currents x = m z + W_u v. z: rows x R, v: rows x U (NULL when U == 0), x: rows x N. */
void lrnn_model_currents(const lrnn_model *model, size_t rows, const double *z, const double *v,
                         double *x);
/* Transition mean mu = a . z + n phi(m z + W_u v; h). work: rows x N. */
void lrnn_model_transition_mean(const lrnn_model *model, const lrnn_model_derived *d,
                                size_t rows, const double *z, const double *v, double *mu,
                                double *work);
/* Initial-state mean z_init + P_m(W_u v_0) (v0 may be NULL). mu0: R. */
void lrnn_model_initial_mean(const lrnn_model *model, const lrnn_model_derived *d,
                             const double *v0, double *mu0);
/* Observation mean yhat (rows x X). work: rows x N (one-to-one readout only). */
void lrnn_model_observation_mean(const lrnn_model *model, size_t rows, const double *z,
                                 const double *v, double *yhat, double *work);
/* Output nonlinearity g. */
double lrnn_obs_nonlin_apply(lrnn_obs_nonlin g, double y);

/* A rank-2 limit-cycle teacher (tanh, N units observed one-to-one as currents + N(0, 0.1^2),
 * process noise std 0.07): at the origin an outward spiral turning 2 pi / turn per step,
 * bounded by saturation (turn 20: period ~33 steps). */
lrnn_status lrnn_model_oscillator(int units, double turn, lrnn_model **out);
/* The same dynamics observed as spike counts, Poisson(softplus(4 U z - 3 + o_i)) with U the
 * orthonormal loadings (spec 9.2) and offsets o_i in [-1, 1] that spread the neurons' mean
 * rates; diagonal process noise. */
lrnn_status lrnn_model_oscillator_poisson(int units, double turn, lrnn_model **out);

/* ---- unit-space view (spec 1.5, 1.6) ---- */

/* J = m n (N x N, rank R); only for export and small N. */
lrnn_status lrnn_model_connectivity(const lrnn_model *model, double *J);
/* Rotate the latent basis so that m has orthonormal columns and J = m n = U S V^T keeps its
 * SVD (m <- U, n <- S V^T), z' = P z with P = U^T m. Noise covariances become full
 * (P Sigma P^T); z_init -> P z_init; an affine readout is transformed (B_z <- P^-T B_z) so the
 * model stays exactly equivalent (the reference leaves the readout stale). Needs scalar decay.
 * P (R x R) is written when not NULL. */
lrnn_status lrnn_model_orthogonalise(lrnn_model *model, double *P);

#ifdef __cplusplus
}
#endif
#endif
