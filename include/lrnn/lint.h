/* LINT: deterministic rate RNNs fitted to neural trajectories (spec lint_method.md).
 *
 *   x_0     = h0 (or a per-trial initial state),   r_0 = phi(x_0)       (no bias at t = 0)
 *   x_{t+1} = x_t + sigma xi_t + alpha (-x_t + J r_t + W_in^T u_t),     xi_t ~ N(0, I_N)
 *   r_{t+1} = phi(x_{t+1} + b)
 *   y_t     = psi(x_{t+1})^T W_out c_out                                (or r_{t+1}, see below)
 *
 * low rank (section 1.1):   J r = m (n^T r) c_rec,  c_rec = 1/N,  c_out = 1/N
 * full rank (section 1.2):  J = wrec,              c_rec = 1,    c_out = 1
 * W_in = diag(si) wi (U x N), W_out = wo diag(so) (N x O). The variants of section 1.3 are the
 * flags rec_div_n, out_div_n and readout_rates (e.g. OptimizedLowRankRNN: rec_div_n = false,
 * out_div_n = false, readout_rates = true; FullRankRNNScaled: rec_div_n = out_div_n = true,
 * readout_rates = true).
 *
 * The identity readout of LINT fits (section 3.1: wo = N I with the 1/N of the low-rank
 * readout, wo = I for a full-rank student) is special-cased: y_t = psi(x_{t+1}) (O = N) and no
 * wo / so exist. No N x N matrix is ever formed for a low-rank network.
 *
 * All parameters are ONE contiguous double block described by an lrnn_param_layout (named
 * entries with shapes and a trainable flag), so include/lrnn/optim.h trains it and a model
 * file can store each entry as a dataset. Entry names and shapes (row-major):
 *   "wi" U x N, "si" U, "m" N x R, "n" N x R (low rank) or "wrec" N x N (full rank), "b" N,
 *   "wo" N x O, "so" O (both absent with the identity readout), "h0" N.
 * Shapes: T time steps, B trials, N units, R rank, U inputs, O outputs. */
#ifndef LRNN_LINT_H
#define LRNN_LINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lrnn/model.h"
#include "lrnn/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum lrnn_lint_kind { LRNN_LINT_LOW_RANK, LRNN_LINT_FULL_RANK } lrnn_lint_kind;
typedef enum lrnn_lint_act { LRNN_LINT_TANH, LRNN_LINT_RELU, LRNN_LINT_IDENTITY } lrnn_lint_act;

const char *lrnn_lint_kind_name(lrnn_lint_kind v); /* "low_rank", "full_rank" */
const char *lrnn_lint_act_name(lrnn_lint_act v);   /* "tanh", "relu", "identity" */
lrnn_status lrnn_lint_kind_parse(const char *s, lrnn_lint_kind *out);
lrnn_status lrnn_lint_act_parse(const char *s, lrnn_lint_act *out);

typedef struct lrnn_lint_config {
    lrnn_lint_kind kind;
    int units;        /* N */
    int rank;         /* R (low rank only) */
    int inputs;       /* U >= 0 */
    int outputs;      /* O; ignored (= N) with identity_readout */
    double alpha;     /* dt / tau, 0.2 */
    double noise_std; /* sigma, per step, not scaled by alpha */
    lrnn_lint_act phi, psi;
    bool identity_readout; /* y_t = psi(x_{t+1}) (or r_{t+1}); no wo, so */
    bool rec_div_n;        /* recurrent term times 1/N (low rank: true; full rank: false) */
    bool out_div_n;        /* readout times 1/N (low rank: true; full rank: false) */
    bool readout_rates;    /* read r_{t+1} = phi(x_{t+1} + b) instead of psi(x_{t+1}) */
    /* Trainable subset, section 1.1: wi trains if train_wi, else si trains if train_si (and
     * likewise wo / so); train_wrec: m and n (or wrec); train_b: the bias ("add_biases"). */
    bool train_wi, train_si, train_wrec, train_wo, train_so, train_h0, train_b;
    double rho;    /* full rank: wrec ~ N(0, rho^2 / N) */
    uint64_t seed; /* initialisation seed */
} lrnn_lint_config;

/* Section 1.1 / 1.2 defaults for `kind`: N = 64, R = 1, U = 1, O = 1, alpha 0.2, sigma 0,
 * tanh / tanh, dense readout, train_wrec, train_si, train_so; rho 1. */
lrnn_lint_config lrnn_lint_default_config(lrnn_lint_kind kind);
/* Validate ranges and combinations; the message names the field. */
lrnn_status lrnn_lint_config_check(const lrnn_lint_config *c);

/* Pointers into a block of the layout (NULL for absent entries). */
typedef struct lrnn_lint_view {
    double *wi, *si, *m, *n, *wrec, *b, *wo, *so, *h0;
} lrnn_lint_view;

typedef struct lrnn_lint_rnn lrnn_lint_rnn;

/* Create with the initialisation of section 1.1 (wi, m, n ~ N(0, 1), wo ~ N(0, 16), si = so = 1,
 * b = h0 = 0) or 1.2 (wrec ~ N(0, rho^2/N), wo ~ N(0, 1/N^2)), seeded by c->seed. */
lrnn_status lrnn_lint_create(const lrnn_lint_config *c, lrnn_lint_rnn **out);
void lrnn_lint_free(lrnn_lint_rnn *rnn);
/* Deep copy of configuration, layout and the whole parameter block. */
lrnn_status lrnn_lint_clone(const lrnn_lint_rnn *rnn, lrnn_lint_rnn **out);

const lrnn_lint_config *lrnn_lint_config_of(const lrnn_lint_rnn *rnn);
const lrnn_param_layout *lrnn_lint_layout(const lrnn_lint_rnn *rnn);
double *lrnn_lint_params(lrnn_lint_rnn *rnn); /* layout->total doubles */
const double *lrnn_lint_params_const(const lrnn_lint_rnn *rnn);
lrnn_lint_view lrnn_lint_view_of(const lrnn_param_layout *layout, double *block);
/* Change one entry's trainable flag (e.g. train only "wo" of a readout). */
lrnn_status lrnn_lint_set_trainable(lrnn_lint_rnn *rnn, const char *name, bool trainable);

/* ---- data ---- */

/* Trials of one experiment, all (trial, time, channel) row-major. Borrowed, never copied. */
typedef struct lrnn_lint_data {
    size_t trials, T;
    const double *inputs;  /* trials x T x U (NULL when U = 0) */
    const double *targets; /* trials x T x O, or NULL (no loss: forward only) */
    const double *mask;    /* NULL (all ones), trials x T, or trials x T x O (mask_per_output) */
    bool mask_per_output;
    const double *x0; /* NULL (x_0 = h0) or trials x N initial states */
} lrnn_lint_data;

/* Shapes are the caller's promise; this checks values: finite inputs, targets, masks and x0,
 * masks >= 0, and a positive normaliser sum_t M_bt0 for every trial (section 2). */
lrnn_status lrnn_lint_data_check(const lrnn_lint_rnn *rnn, const lrnn_lint_data *d);

/* ---- forward and BPTT over a batch ---- */

/* Workspace for batches of up to max_batch trials of T steps, allocated once. */
typedef struct lrnn_lint_work lrnn_lint_work;
lrnn_status lrnn_lint_work_create(const lrnn_lint_rnn *rnn, size_t max_batch, size_t T,
                                  lrnn_lint_work **out);
void lrnn_lint_work_free(lrnn_lint_work *w);

/* Single precision where the reference (PyTorch float32) has it and it pays: tanh in float
 * (relative error below 3e-7, about a third of the double tanh's time) and the noise from
 * lrnn_rng_normal_fill_single (another realisation than the double path's) for every network,
 * and for full rank the N x N GEMMs of the passes (wrec r_t, wrec^T delta_t, dwrec) in float on
 * float copies of their operands; the state, the other rows and the sums stay double. Without
 * noise the gradient agrees with the double one to about 1e-7. Off by default (the
 * finite-difference checks use double); the training loop turns it on when
 * lrnn_lint_train_params.single_precision is set. */
lrnn_status lrnn_lint_work_set_single(lrnn_lint_work *w, bool single);

/* Noise of one call: trial j of the data (dataset index) uses the stream
 * lrnn_rng_init(seed, LRNN_RNG_SAMPLE, j, draw) (ziggurat normals, two per 64-bit word), so a
 * trial's noise depends on (seed, j, draw) only, never on its batch or the thread. sigma = 0
 * draws nothing. */
typedef struct lrnn_lint_noise {
    uint64_t seed, draw;
} lrnn_lint_noise;

/* Forward pass over trials idx[0..B) of d (idx NULL: trials 0..B-1). With targets and loss !=
 * NULL, *loss is the masked MSE of section 2 averaged over the B trials; with loss == NULL the
 * loss is left to the backward pass (lrnn_lint_work_loss), which saves a pass over the targets
 * in training. No allocation. */
lrnn_status lrnn_lint_forward(lrnn_lint_work *w, const lrnn_lint_rnn *rnn, const lrnn_lint_data *d,
                              const size_t *idx, size_t B, lrnn_lint_noise noise, double *loss);
/* BPTT (section 1.4) of the loss of the last forward call (same rnn and data): grad gets
 * layout->total doubles, zero in frozen entries. Destroys the states kept by the forward pass
 * (lrnn_lint_work_states); outputs stay. No allocation. */
lrnn_status lrnn_lint_backward(lrnn_lint_work *w, const lrnn_lint_rnn *rnn, const lrnn_lint_data *d,
                               double *grad);

/* Loss and gradient of trials idx[0..B) (idx NULL: 0..B-1) in one call: the same values as
 * lrnn_lint_forward + lrnn_lint_backward (up to the order of the gradient's sums), computed in
 * chunks of trials whose tape stays in cache (low rank). *loss may be NULL. The states of the
 * work are not kept. No allocation. */
lrnn_status lrnn_lint_gradient(lrnn_lint_work *w, const lrnn_lint_rnn *rnn,
                               const lrnn_lint_data *d, const size_t *idx, size_t B,
                               lrnn_lint_noise noise, double *loss, double *grad);

/* The loss of the last backward pass (the same value the forward pass reports). */
double lrnn_lint_work_loss(const lrnn_lint_work *w);

/* Results of the last forward pass, time-major: states x_t (T+1) x B x N (index t = 0..T) and
 * outputs y_t T x B x O. Row (t, b) is at offset (t B + b) N (or O). */
const double *lrnn_lint_work_states(const lrnn_lint_work *w);
const double *lrnn_lint_work_outputs(const lrnn_lint_work *w);

/* Run `trials` trials of T steps (inputs trials x T x U, x0 NULL or trials x N) and write states
 * trials x (T+1) x N and / or outputs trials x T x O (either may be NULL), trial-major like the
 * reference's forward(return_dynamics=True). Trial j uses the noise stream of index j. */
lrnn_status lrnn_lint_simulate(const lrnn_lint_rnn *rnn, const double *inputs, const double *x0,
                               size_t trials, size_t T, lrnn_lint_noise noise, double *states,
                               double *outputs);

/* ---- training (section 2) ---- */

typedef struct lrnn_lint_progress {
    int epoch; /* 0-based, just finished */
    int epochs;
    double loss;      /* mean of the epoch's minibatch losses */
    double best_loss; /* after this epoch */
    double seconds;   /* wall time of the epoch */
} lrnn_lint_progress;
/* Return non-zero to stop training after this epoch. */
typedef int (*lrnn_lint_progress_fn)(const lrnn_lint_progress *p, void *user);

typedef struct lrnn_lint_train_params {
    int epochs;
    size_t batch_size; /* 32; an epoch is floor(trials / batch_size) iterations */
    double lr;         /* Adam, betas 0.9 / 0.999, eps 1e-8 */
    double clip;       /* global-norm clipping; <= 0: off */
    bool keep_best;    /* end with the parameters of the best epoch (whole block copied) */
    double early_stop; /* stop once the epoch loss is below this; <= 0: off */
    uint64_t seed;     /* batch draws and noise */
    bool single_precision; /* tanh and full-rank products in float (lrnn_lint_work_set_single) */
    lrnn_lint_progress_fn progress;
    void *user;
} lrnn_lint_train_params;

/* 10 epochs, batch 32, lr 1e-2, clip 1, keep_best, no early stop, seed 1, single precision
 * on. */
lrnn_lint_train_params lrnn_lint_train_default_params(void);
lrnn_status lrnn_lint_train_params_check(const lrnn_lint_train_params *p);

typedef struct lrnn_lint_train_result {
    int epochs_run;
    double initial_loss; /* full training set, with noise, before training */
    double final_loss;   /* last epoch's mean minibatch loss */
    double best_loss;
    int best_epoch;     /* -1: the initial parameters were kept */
    bool stopped_early; /* early_stop reached or the callback asked */
    double seconds;
} lrnn_lint_train_result;

/* Train the trainable entries of rnn on d with masked MSE, Adam and clipping (section 2). On a
 * non-finite loss or gradient it stops, restores the best (keep_best) or last good parameters
 * and fails with LRNN_ERR_NUMERIC naming the epoch. */
lrnn_status lrnn_lint_train(lrnn_lint_rnn *rnn, const lrnn_lint_data *d,
                            const lrnn_lint_train_params *p, lrnn_lint_train_result *res);

/* ---- LINT fit (section 3.1) ---- */

typedef enum lrnn_lint_target {
    LRNN_LINT_TARGET_RATES,  /* y = tanh(x_{t+1}): teacher rates; the student reads psi = tanh */
    LRNN_LINT_TARGET_STATES, /* y = x_{t+1}: recorded currents / data; psi = identity */
} lrnn_lint_target;

/* Targets from a teacher: run it once with its own noise on inputs (trials x T x U) and write
 * targets trials x T x N: tanh(x_{t+1}) (rates, section 3.1 step 3, the reference's
 * tanh(X[:, 1:])) or x_{t+1} (states). */
lrnn_status lrnn_lint_teacher_targets(const lrnn_lint_rnn *teacher, const double *inputs,
                                      size_t trials, size_t T, lrnn_lint_noise noise,
                                      lrnn_lint_target target, double *targets);

/* The student of section 3.1 step 5: low rank R, N units, U inputs, identity readout with
 * psi = tanh (rates) or identity (states), sigma_s = noise_std; trains wi, m, n; si = so = 1,
 * b = h0 = 0 frozen; wi, m, n ~ N(0, 1). */
lrnn_lint_config lrnn_lint_student_config(int N, int R, int U, double noise_std,
                                          lrnn_lint_target target, uint64_t seed);

typedef struct lrnn_lint_fit_params {
    int rank;
    double noise_std; /* student sigma_s */
    lrnn_lint_target target;
    bool svd_reparam; /* lrnn_lint_svd_reparam after fitting */
    uint64_t seed;    /* student initialisation */
    lrnn_lint_train_params train;
} lrnn_lint_fit_params;

/* Rank 1, sigma_s 0, rates, SVD reparametrisation on, training defaults. */
lrnn_lint_fit_params lrnn_lint_fit_default_params(void);

/* Fit a new student to d (targets trials x T x N, optional mask, inputs trials x T x U): N and U
 * are `units` and `inputs`. *student is created here (free with lrnn_lint_free). */
lrnn_status lrnn_lint_fit(const lrnn_lint_fit_params *p, int units, int inputs,
                          const lrnn_lint_data *d, lrnn_lint_rnn **student,
                          lrnn_lint_train_result *res);

/* Real data (section 3.1): prepend P free steps. targets_out trials x (P + T) x O gets zeros then
 * targets; mask_out trials x (P + T) x O gets 0 for the first P steps, then the given mask (NULL:
 * ones; mask_per_output false: trials x T broadcast over O). The caller builds the P-step inputs
 * (context on during the pre-period). */
void lrnn_lint_prepend_free(const double *targets, const double *mask, bool mask_per_output,
                            size_t trials, size_t T, size_t O, size_t P, double *targets_out,
                            double *mask_out);

/* ---- SVD (sections 1.1 and 3.2) ---- */

/* svd_reparametrization: m n^T = U S V^T (top R terms), m <- U sqrt(S), n <- V sqrt(S), through
 * QR of m and n and an R x R SVD; m n^T unchanged. Low rank only. */
lrnn_status lrnn_lint_svd_reparam(lrnn_lint_rnn *rnn);
/* Rank-R truncated SVD of J (N x N): J_R = U_R S_R V_R^T written to J_out (may be NULL) and, if
 * m_out / n_out (N x R) are given, m = U_R S_R sqrt(N), n = V_R sqrt(N), so m n^T / N = J_R
 * (section 3.1 "Real data" initialisation). 1 <= R <= N. */
lrnn_status lrnn_lint_truncate(const double *J, int N, int R, double *J_out, double *m_out,
                               double *n_out);
/* A low-rank network of rank R whose m n^T / N is the rank-R truncation of a full-rank rnn's
 * wrec (rec_div_n on), with every other entry (wi, si, b, wo, so, h0), the readout flags and the
 * trainable flags copied, so its outputs are those of the truncated full-rank network. */
lrnn_status lrnn_lint_low_rank_from_full(const lrnn_lint_rnn *full, int R, lrnn_lint_rnn **out);

/* ---- evaluation (sections 5.1 and 5.2) ---- */

/* Global R^2 = 1 - sum (y - yhat)^2 / sum (y - mean y)^2 over n values (sklearn r2_score of the
 * flattened arrays). NaN when y is constant. */
double lrnn_lint_r2(const double *y_true, const double *y_pred, size_t n);
/* Per-neuron R^2 of rows x N arrays (rows = trials x time): r2 (N, may be NULL) and the median
 * (may be NULL) and mean (may be NULL). */
lrnn_status lrnn_lint_r2_neurons(const double *y_true, const double *y_pred, size_t rows, size_t N,
                                 double *r2, double *median, double *mean);
/* Raw connectivity correlation: cosine of vec(m1 n1^T) and vec(m2 n2^T) (N x R1, N x R2) from
 * R1 x R2 Gram matrices, never forming N x N. */
double lrnn_lint_cc(size_t N, size_t R1, const double *m1, const double *n1, size_t R2,
                    const double *m2, const double *n2);
/* Effective connectivity correlation: each n_r projected on span{m_1..m_R, rows of W_in}
 * (wi_eff U x N, diag(si) wi), then the cosine of the two m n~^T, from Gram matrices. */
lrnn_status lrnn_lint_ecc(size_t N, size_t R1, const double *m1, const double *n1, size_t U1,
                          const double *win1, size_t R2, const double *m2, const double *n2,
                          size_t U2, const double *win2, double *ecc);
/* Effective input matrix W_in = diag(si) wi of a network (U x N) into out. */
void lrnn_lint_effective_input(const lrnn_lint_rnn *rnn, double *out);

#ifdef __cplusplus
}
#endif
#endif
