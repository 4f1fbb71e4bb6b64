/* Private to encoder.c (double path, workspace) and encoder_single.c (float path): the
 * workspace's layout and the helpers both precisions share. The type-generic loops are macros
 * so that each precision runs the same loop on its own element type. */
#ifndef LRNN_ENCODER_WORKSPACE_H
#define LRNN_ENCODER_WORKSPACE_H

#include <stddef.h>
#include <stdint.h>

#include "encoder/internal.h"

typedef struct enc_layer {
    size_t cin, cout, k, kcin; /* C_in, c_out (heads: R or 2R), kernel, k C_in */
    size_t left, right;        /* padding steps before and after the window */
    size_t w_off, b_off;       /* weight / bias entries in the block (heads: the mean's) */
    size_t lw_off, lb_off;     /* heads without constant_var: the logvar weight / bias */
    double *xpad;              /* B_max x (T + k - 1) x C_in: the padded input of the layer */
    double *pre;               /* hidden layers: B_max x T x c_out pre-activations A */
    double *dact;              /* hidden layers: act'(A), same shape (saves backward an erf) */
    double *wr;                /* c_out x k C_in: weights tap-major (heads: mean rows first) */
    double *bias;              /* c_out */
    double *dwr, *db;          /* gradient accumulators of wr and bias over the batch (db: both
                                * precisions; the float path sums its float adjoints in double) */
    /* single precision (lrnn_encoder_set_single): the same arrays in float */
    float *xpad_f, *pre_f, *dact_f, *wr_f, *bias_f, *dwr_f;
} enc_layer;

struct lrnn_encoder_workspace {
    lrnn_encoder_config cfg;
    int L;
    size_t X, R, T_max, B_max;
    size_t B, T; /* of the last forward */
    bool ready;  /* a forward completed since the last failure or change of precision */
    encoder_impl impl;
    size_t lv_off; /* constant_var: the logvar vector */
    enc_layer layer[LRNN_ENCODER_MAX_LAYERS];
    double *col;  /* T_max x max k C_in: windows of one trial (im2col), then their adjoint */
    double *dout; /* T_max x max c_out: adjoint of one trial's layer output */
    double *dpad; /* (T_max + k - 1) x C_in max: adjoint of one trial's padded input */
    /* single precision: allocated by the first lrnn_encoder_set_single(ws, true) */
    bool single;      /* forward / backward run encoder_single.c */
    bool have_single; /* the float arrays below and in each layer exist */
    size_t chunk_max; /* trials per GEMM at most (encoder_set_chunk); 0: all that col_f holds */
    size_t col_f_len; /* floats in col_f: T_max max k C_in times the trials it holds */
    float *col_f;     /* windows of a chunk of trials, (n T) x k C_in, then their adjoint */
    float *out_f[2];  /* B_max T_max x max c_out each: the heads' output; in backward the
                       * adjoints of consecutive layers' outputs (ping-pong) */
    float *dpad_f;    /* (T_max + k - 1) x C_in max: adjoint of one trial's padded input */
};

/* Batching the float GEMMs over trials (encoder_set_chunk): the im2col buffer then holds as
 * many trials as fit in ENCODER_COL_F_BYTES (4 MiB; one trial always fits, however long); the
 * spiking benchmark's B = 10 trials of T = 100 steps with k C_in = 840 take 3.4 MB. The
 * default is one trial per GEMM: with OpenBLAS 0.3.21 batching all 10 trials measured 2-9%
 * slower (the 3.4 MB of windows leave the L2 cache; docs/derivations/encoder_gradient.md). */
enum { ENCODER_COL_F_BYTES = 4 << 20, ENCODER_CHUNK_DEFAULT = 1 };

/* ---- shared by both precisions (encoder.c) ---- */

/* The checks at the top of lrnn_encoder_forward (configuration, NULLs, B, T, ldy, window long
 * enough for reflect / circular padding, every observed entry finite); clears ws->ready. */
lrnn_status encoder_forward_checks(const lrnn_encoder_config *c, const double *params,
                                   lrnn_encoder_workspace *ws, size_t B, size_t T, const double *y,
                                   size_t ldy, const uint8_t *mask, const double *mean,
                                   const double *logvar);
/* The checks at the top of lrnn_encoder_backward. */
lrnn_status encoder_backward_checks(const lrnn_encoder_config *c, const double *params,
                                    const lrnn_encoder_workspace *ws, const double *dmean,
                                    const double *grad);
/* Step of the unpadded window (0 .. T-1) that window position q (-left .. T+right-1) holds, or
 * -1 for a zero. */
long encoder_pad_source(long q, long T, lrnn_encoder_pad_mode mode);
/* Fill the padding rows of P ((T + k - 1) x C_in elements of `size` bytes) from its interior
 * rows left .. left+T-1. */
void encoder_pad_rows(const enc_layer *l, lrnn_encoder_pad_mode mode, size_t T, void *P,
                      size_t size);
/* The T overlapping windows of P (row t: rows t .. t+k-1 of P, k C_in contiguous elements)
 * side by side in col (T x k C_in). */
void encoder_im2col(const enc_layer *l, size_t T, const void *P, void *col, size_t size);

/* Adjoint of encoder_pad_rows on dP (either element type): add each padding row's adjoint to
 * the interior row it copied. */
#define ENCODER_UNPAD_ROWS(l, mode, T, dP)                                                         \
    do {                                                                                           \
        size_t C_ = (l)->cin, rows_ = (T) + (l)->k - 1;                                            \
        for (size_t p_ = 0; p_ < rows_; p_++) {                                                    \
            if (p_ == (l)->left) p_ += (T); /* skip the interior */                                \
            if (p_ >= rows_) break;                                                                \
            long src_ = encoder_pad_source((long)p_ - (long)(l)->left, (long)(T), mode);           \
            if (src_ < 0) continue;                                                                \
            for (size_t c_ = 0; c_ < C_; c_++)                                                     \
                (dP)[((l)->left + (size_t)src_) * C_ + c_] += (dP)[p_ * C_ + c_];                  \
        }                                                                                          \
    } while (0)

/* Adjoint of encoder_im2col: dP ((T + k - 1) x C_in) = sum of the window adjoints dcol
 * (T x k C_in) over the rows each window covered. */
#define ENCODER_COL2IM(l, T, dcol, dP)                                                             \
    do {                                                                                           \
        size_t kc_ = (l)->kcin;                                                                    \
        memset((dP), 0, ((T) + (l)->k - 1) * (l)->cin * sizeof *(dP));                             \
        for (size_t t_ = 0; t_ < (T); t_++) {                                                      \
            for (size_t m_ = 0; m_ < kc_; m_++)                                                    \
                (dP)[t_ * (l)->cin + m_] += (dcol)[t_ * kc_ + m_];                                 \
        }                                                                                          \
    } while (0)

/* Wr[first + o][j C + c] = W[o][c][j] for `rows` output channels (W: double, Wr: either). */
#define ENCODER_REORDER_WEIGHTS(l, W, rows, first, Wr)                                             \
    do {                                                                                           \
        size_t C_ = (l)->cin, k_ = (l)->k;                                                         \
        for (size_t o_ = 0; o_ < (rows); o_++)                                                     \
            for (size_t c_ = 0; c_ < C_; c_++)                                                     \
                for (size_t j_ = 0; j_ < k_; j_++)                                                 \
                    (Wr)[((first) + o_) * (l)->kcin + j_ * C_ + c_] =                              \
                        (W)[(o_ * C_ + c_) * k_ + j_];                                             \
    } while (0)

/* grad W[o][c][j] += dWr[first + o][j C + c] (gW: double, dWr: either). */
#define ENCODER_SCATTER_WEIGHT_GRAD(l, dWr, gW, rows, first)                                       \
    do {                                                                                           \
        size_t C_ = (l)->cin, k_ = (l)->k;                                                         \
        for (size_t o_ = 0; o_ < (rows); o_++)                                                     \
            for (size_t c_ = 0; c_ < C_; c_++)                                                     \
                for (size_t j_ = 0; j_ < k_; j_++)                                                 \
                    (gW)[(o_ * C_ + c_) * k_ + j_] +=                                              \
                        (dWr)[((first) + o_) * (l)->kcin + j_ * C_ + c_];                          \
    } while (0)

/* The weights tap-major and the biases into the layers' arrays WR and BIAS (member names, either
 * element type); the heads stack mean rows over logvar rows. */
#define ENCODER_LOAD_PARAMS(ws, params, WR, BIAS)                                                  \
    do {                                                                                           \
        for (int i_ = 0; i_ < (ws)->L; i_++) {                                                     \
            enc_layer *l_ = &(ws)->layer[i_];                                                      \
            bool split_ = i_ == (ws)->L - 1 && !(ws)->cfg.constant_var;                            \
            size_t rows_ = split_ ? (ws)->R : l_->cout;                                            \
            ENCODER_REORDER_WEIGHTS(l_, (params) + l_->w_off, rows_, 0, l_->WR);                   \
            for (size_t o_ = 0; o_ < rows_; o_++)                                                  \
                l_->BIAS[o_] = (params)[l_->b_off + o_];                                           \
            if (!split_) continue;                                                                 \
            ENCODER_REORDER_WEIGHTS(l_, (params) + l_->lw_off, rows_, rows_, l_->WR);              \
            for (size_t o_ = 0; o_ < rows_; o_++)                                                  \
                l_->BIAS[rows_ + o_] = (params)[l_->lb_off + o_];                                  \
        }                                                                                          \
    } while (0)

/* The inverse direction after backward: grad += the weight adjoints DWR (member name) in Conv1d
 * order, and the bias adjoints db. */
#define ENCODER_ADD_PARAM_GRAD(ws, grad, DWR)                                                      \
    do {                                                                                           \
        for (int i_ = 0; i_ < (ws)->L; i_++) {                                                     \
            const enc_layer *l_ = &(ws)->layer[i_];                                                \
            bool split_ = i_ == (ws)->L - 1 && !(ws)->cfg.constant_var;                            \
            size_t rows_ = split_ ? (ws)->R : l_->cout;                                            \
            ENCODER_SCATTER_WEIGHT_GRAD(l_, l_->DWR, (grad) + l_->w_off, rows_, 0);                \
            for (size_t o_ = 0; o_ < rows_; o_++)                                                  \
                (grad)[l_->b_off + o_] += l_->db[o_];                                              \
            if (!split_) continue;                                                                 \
            ENCODER_SCATTER_WEIGHT_GRAD(l_, l_->DWR, (grad) + l_->lw_off, rows_, rows_);           \
            for (size_t o_ = 0; o_ < rows_; o_++)                                                  \
                (grad)[l_->lb_off + o_] += l_->db[rows_ + o_];                                     \
        }                                                                                          \
    } while (0)

/* Layer 0's padded input of trial b into P ((T + k_0 - 1) x C_in, either element type): per
 * step the observed values of y (masked ones as 0), then with mask channels the 0/1 mask; then
 * the padding rows. */
#define ENCODER_TRIAL_INPUT(ws, b, T, y, ldy, mask, P)                                             \
    do {                                                                                           \
        const enc_layer *l0_ = &(ws)->layer[0];                                                    \
        size_t X_ = (ws)->X;                                                                       \
        for (size_t t_ = 0; t_ < (T); t_++) {                                                      \
            const double *yt_ = (y) + ((b) * (T) + t_) * (ldy);                                    \
            const uint8_t *mt_ = (mask) ? (mask) + ((b) * (T) + t_) * (ldy) : NULL;                \
            size_t row_ = (l0_->left + t_) * l0_->cin;                                             \
            for (size_t x_ = 0; x_ < X_; x_++) {                                                   \
                bool seen_ = !mt_ || mt_[x_];                                                      \
                (P)[row_ + x_] = seen_ ? yt_[x_] : 0.0;                                            \
                if ((ws)->cfg.mask_channels) (P)[row_ + X_ + x_] = seen_ ? 1.0 : 0.0;              \
            }                                                                                      \
        }                                                                                          \
        encoder_pad_rows(l0_, (ws)->cfg.pad_mode, (T), (P), sizeof *(P));                          \
    } while (0)

/* Adjoint of the heads' output at step n (of all B T): o (c_out, either element type) =
 * [dmean, dlogvar]. A constant logvar vector is the same at every step, so its adjoint is the
 * sum over steps and trials, added to grad directly (in double in both precisions). */
#define ENCODER_HEAD_ADJOINT(ws, n, dmean, dlogvar, o, grad)                                       \
    do {                                                                                           \
        size_t R_ = (ws)->R;                                                                       \
        const double *dm_ = (dmean) + (n)*R_;                                                      \
        const double *dl_ = (dlogvar) ? (dlogvar) + (n)*R_ : NULL;                                 \
        for (size_t r_ = 0; r_ < R_; r_++)                                                         \
            (o)[r_] = dm_[r_];                                                                     \
        if ((ws)->cfg.constant_var) {                                                              \
            if (dl_)                                                                               \
                for (size_t r_ = 0; r_ < R_; r_++)                                                 \
                    (grad)[(ws)->lv_off + r_] += dl_[r_];                                          \
        } else {                                                                                   \
            for (size_t r_ = 0; r_ < R_; r_++)                                                     \
                (o)[R_ + r_] = dl_ ? dl_[r_] : 0.0;                                                \
        }                                                                                          \
    } while (0)

/* ---- the float path (encoder_single.c) ---- */

lrnn_status encoder_forward_single(const lrnn_encoder_config *c, const double *params,
                                   lrnn_encoder_workspace *ws, size_t B, size_t T, const double *y,
                                   size_t ldy, const uint8_t *mask, double *mean, double *logvar);
lrnn_status encoder_backward_single(const lrnn_encoder_config *c, const double *params,
                                    lrnn_encoder_workspace *ws, const double *dmean,
                                    const double *dlogvar, double *grad);
void encoder_free_single(lrnn_encoder_workspace *ws);

#endif
