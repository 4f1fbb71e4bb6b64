/* Private structures of the LINT rate RNNs (include/lrnn/lint.h). */
#ifndef LRNN_LINT_INTERNAL_H
#define LRNN_LINT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/packed_gemm.h"
#include "lrnn/lint.h"
#include "lrnn/rng.h"

struct lrnn_lint_rnn {
    lrnn_lint_config c;
    lrnn_param_layout layout;
    double *theta; /* layout.total */
};

/* Sizes and scalars shared by forward and backward. */
typedef struct lint_dims {
    size_t N, R, U, O;
    int low_rank, identity;
    double alpha, sigma, c_rec, c_out;
} lint_dims;

lint_dims lint_dims_of(const lrnn_lint_rnn *rnn);

/* Elementwise kernels (kernels.c). */
void lint_act(lrnn_lint_act a, const double *x, const double *b, double *out, size_t n);
/* lint_act with tanh in float (relative error below 3e-7): training in single precision. */
void lint_act_single(lrnn_lint_act a, const double *x, const double *b, double *out, size_t n);
/* out = act'(.) g (+ out when accumulate), the derivative taken from the activation's output
 * y = act(.) (tanh: 1 - y^2, relu: y > 0, identity: 1). out may be g. */
void lint_act_grad_mul(lrnn_lint_act a, const double *y, const double *g, double *out, size_t n,
                       int accumulate);
/* Vectorised reductions and the fused BPTT row (kernels.c). */
double lint_dot(const double *a, const double *b, size_t n);
/* sum (w (t - y))^2, w NULL: ones */
double lint_sqerr(const double *y, const double *t, const double *w, size_t n);
/* One fused BPTT row of a tanh network read out as y = r; returns the row's squared error
 * (kernels.c). */
double lint_bptt_row_tanh(size_t n, const double *r, const double *tg, const double *w, double c,
                          const double *gr, const double *dn, double keep, double *out);
/* The rank-one BPTT row of the same network at 1 <= t < T, with the row's other updates fused
 * in (kernels.c): delta = keep dn + (1 - r^2)(cn nrow - c w^2 (r - tg)) into out, and
 *   gn += ca r (dn, with a_{t+1}),  gm += ak delta (dm, with kappa_{t-1}),  *mdot = m . delta
 * (a_t up to alpha, in lint_dot's lane order). Returns the squared error as lint_sqerr. */
typedef struct lint_row1 {
    const double *r, *tg, *w, *nrow, *mrow, *dn;
    const float *tgf; /* the targets in float instead of tg (lint_work_targets_single) */
    double c, cn, keep, ca, ak;
    double *out, *gn, *gm;
} lint_row1;
double lint_bptt_row_rank1(size_t n, const lint_row1 *a, double *mdot);
/* The rows of a full-rank tanh network in single precision whose features are its rates
 * (psi = phi), each one pass instead of several (kernels.c). sf is the float product row.
 * Forward: xn_i = sf_i + sum_k c_k rows_k,i for 1 <= K <= 4 terms (leak, inputs, noise),
 * rn_i = tanh(xn_i + b_i) in float, rf_i = (float) rn_i; false (nothing written) for other K. */
bool lint_forward_row_full(size_t n, const float *sf, size_t K, const double *c,
                           const double *const *rows, const double *b, double *xn, double *rn,
                           float *rf);
/* BPTT at 1 <= t < T, with sf = c_rec alpha (delta_{t+1} wrec) and the readout gradient
 * cg gp_i (one output: cg = c_out g_b, gp = W_out; several: cg = 1, gp the gradient row):
 *   a_i = (1 - r_i^2) sf_i,  delta_i = keep dn_i + a_i + (1 - r_i^2) cg gp_i,
 *   db_i += a_i (db NULL: the bias does not train),  df_i = (float) delta_i. */
void lint_bptt_row_full(size_t n, const double *r, const float *sf, const double *dn, double keep,
                        double cg, const double *gp, double *db, double *out, float *df);
void lint_prefetch_bytes(const void *p, size_t bytes);
/* out = keep x + sum_k c[k] rows[k] for K rows anywhere in memory (x NULL: no leak term),
 * added left to right, four rows a pass over out: the update of x_{t+1} from its leak, m kappa,
 * the inputs and the noise in K/4 passes instead of K; the backward pass's c_rec n a_{t+1}. */
void lint_comb_terms(size_t n, double keep, const double *x, size_t K, const double *c,
                     const double *const *rows, double *out);
/* acc[k] += scale coef[k] row for k < K (acc K x n). */
void lint_axpy_multi(size_t n, size_t K, double scale, const double *coef, const double *row,
                     double *acc);
/* out[i] = (float) x[i], and back (kernels.c). */
void lint_to_float(const double *x, float *out, size_t n);
void lint_to_double(const float *x, double *out, size_t n);
/* Vectorisable tanh (relative error below 1e-15), used for every tanh of the LINT passes. */
/* Single precision, identity readout: keep a float copy of d's targets for the rank-one BPTT
 * row, which then streams half the bytes from memory (forward.c). No-op otherwise. */
lrnn_status lint_work_targets_single(lrnn_lint_work *w, const lrnn_lint_rnn *rnn,
                                     const lrnn_lint_data *d);
double lint_tanh(double x);
double lint_tanh_single(double x);

struct lrnn_lint_work {
    lint_dims d;
    size_t Bmax, T, B;
    int have_targets, fresh, psi_alias; /* psi(x_{t+1}) equals r_{t+1} (kept in Rt) */
    double *X;     /* (T+1) x B x N: states; the backward pass overwrites x_t with delta_t */
    double *Rt;    /* (T+1) x B x N: r_t (r_0 = phi(x_0)) */
    double *P;     /* T x B x N: readout features psi(x_{t+1}) when not aliased */
    double *Y;     /* T x B x O: outputs (dense readout) */
    double *G;     /* T x B x O: dloss/dy (dense readout) */
    double *K;     /* T x B x R: kappa_t = c_rec n^T r_t (low rank) */
    double *A;     /* T x B x R: a_{t+1} = alpha m^T delta_{t+1} (low rank) */
    double *Uin;   /* T x B x U: inputs gathered time-major */
    double *Win;   /* U x N effective input weights */
    double *Wout;  /* N x O effective readout */
    double *gW;    /* U x N or N x O scratch for effective-weight gradients */
    double *gr;    /* B x N: dloss/dr_t (the forward pass's noise row) */
    double *gp;    /* B x N: dloss/d(readout features) */
    double *nT;    /* R x N: n^T (low rank) */
    double *mT;    /* R x N: m^T (low rank) */
    double *wt;    /* B: 1 / (B_loss O sum_t M_bt0) */
    size_t Bloss;  /* B_loss, the minibatch of the loss normaliser: B, or the whole minibatch
                      when lrnn_lint_gradient runs it in chunks */
    double *gsum;  /* layout total: gradient summed over chunks (lrnn_lint_gradient) */
    size_t chunk;  /* trials per chunk of lrnn_lint_gradient; 0: sized for L2 (tests set it) */
    /* Single precision (lrnn_lint_work_set_single): tanh and noise in float (single_math, any
     * network);
     * for full rank (single) the N x N GEMMs take float copies of their operands and add their
     * float results into the double state. */
    int single_math;
    float *tgf;             /* trials x T x N: float copy of tgf_of (lint_work_targets_single) */
    const double *tgf_of;   /* the targets it copies */
    int single;
    float *Rf;  /* (T+1) x B x N: r_t */
    float *Df;  /* T x B x N: delta_t, t = 1..T */
    float *Wf;  /* N x N: wrec, then the float dwrec */
    float *Sf;  /* B x N: a product's result */
    /* the per-step products with wrec packed once per forward pass (core/packed_gemm.h):
     * r_t wrec^T (forward) and delta_{t+1} wrec (backward), made for B rows and the scale
     * alpha c_rec */
    packed_sgemm *pk_fwd, *pk_bwd;
    size_t pk_B;
    float pk_scale;
    double *gacc;  /* (2R + U) x N: gradient accumulators of the backward pass */
    double loss;   /* loss recomputed by the last backward pass */
    size_t *idx;   /* 2 Bmax: the batch's dataset indices, then lrnn_lint_gradient's chunk */
    lrnn_rng *rng; /* B noise streams */
};

#endif
