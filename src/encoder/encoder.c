/* The CNN encoder's forward and backward passes (spec smc_rnn_method.md §3.6; derivation in
 * docs/derivations/encoder_gradient.md).
 *
 * Data are time-major (T x C, the per-step vector contiguous), so the receptive window of
 * output t in a padded input P ((T + k - 1) x C_in) is the contiguous block of k C_in doubles
 * starting at row t. With the weights reordered tap-major, Wr[o][j C_in + c] = W[o][c][j], a
 * convolution is out = bias + window(P) Wr^T, one GEMM once the windows are copied side by side
 * (im2col, see internal.h for the alternatives). */
#include <cblas.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "encoder/workspace.h"

void encoder_set_impl(lrnn_encoder_workspace *ws, encoder_impl impl) {
    ws->impl = impl;
}

const char *encoder_impl_name(encoder_impl impl) {
    switch (impl) {
    case ENCODER_IMPL_IM2COL:
        return "im2col+gemm";
    case ENCODER_IMPL_SHIFTED:
        return "shifted gemm";
    case ENCODER_IMPL_DIRECT:
        return "direct loop";
    }
    return "?";
}

double encoder_min_abs_preact(const lrnn_encoder_workspace *ws) {
    double m = INFINITY;
    if (!ws->ready) return m;
    for (int i = 0; i + 1 < ws->L; i++) {
        const enc_layer *l = &ws->layer[i];
        for (size_t n = 0; n < ws->B * ws->T * l->cout; n++) {
            double a = ws->single ? fabs(l->pre_f[n]) : fabs(l->pre[n]);
            if (a < m) m = a;
        }
    }
    return m;
}

/* ---- configuration helpers ---- */

static bool same_config(const lrnn_encoder_config *a, const lrnn_encoder_config *b) {
    if (a->channels != b->channels || a->mask_channels != b->mask_channels || a->rank != b->rank ||
        a->layers != b->layers || a->activation != b->activation ||
        a->pad_location != b->pad_location || a->pad_mode != b->pad_mode ||
        a->constant_var != b->constant_var)
        return false;
    if (a->activation == LRNN_ENCODER_ACT_LEAKY_RELU && a->leaky_slope != b->leaky_slope)
        return false;
    for (int i = 0; i < a->layers; i++)
        if (a->kernel[i] != b->kernel[i]) return false;
    for (int i = 0; i + 1 < a->layers; i++)
        if (a->hidden[i] != b->hidden[i]) return false;
    return true;
}

static void padding_of(lrnn_encoder_pad_location loc, size_t k, size_t *left, size_t *right) {
    switch (loc) {
    case LRNN_ENCODER_PAD_CAUSAL:
        *left = k - 1, *right = 0;
        break;
    case LRNN_ENCODER_PAD_ACAUSAL:
        *left = 0, *right = k - 1;
        break;
    case LRNN_ENCODER_PAD_CENTRED:
        *left = k / 2, *right = k - 1 - k / 2;
        break;
    }
}

/* a * b, or 0 when it would pass `limit` (callers treat 0 as "too large"). */
static size_t mul_limited(size_t a, size_t b, size_t limit) {
    if (a != 0 && b > limit / a) return 0;
    return a * b;
}

/* ---- workspace ---- */

void lrnn_encoder_workspace_free(lrnn_encoder_workspace *ws) {
    if (!ws) return;
    for (int i = 0; i < ws->L; i++) {
        enc_layer *l = &ws->layer[i];
        free(l->xpad), free(l->pre), free(l->dact), free(l->wr), free(l->bias), free(l->dwr),
            free(l->db);
    }
    free(ws->col), free(ws->dout), free(ws->dpad);
    encoder_free_single(ws);
    free(ws);
}

lrnn_status lrnn_encoder_workspace_create(const lrnn_encoder_config *c, size_t T_max, size_t B_max,
                                          lrnn_encoder_workspace **out) {
    if (!out) return lrnn_fail(LRNN_ERR_ARG, "encoder workspace: out is NULL");
    *out = NULL;
    lrnn_param_layout lay;
    lrnn_status s = lrnn_encoder_layout(c, &lay);
    if (s) return s;
    if (T_max < 1 || B_max < 1)
        return lrnn_fail(LRNN_ERR_ARG,
                         "encoder workspace: T_max = %zu and B_max = %zu must be "
                         ">= 1",
                         T_max, B_max);
    lrnn_encoder_workspace *ws = calloc(1, sizeof *ws);
    if (!ws) return lrnn_fail(LRNN_ERR_NOMEM, "encoder workspace: out of memory");
    ws->cfg = *c;
    ws->L = c->layers;
    ws->X = (size_t)c->channels;
    ws->R = (size_t)c->rank;
    ws->T_max = T_max;
    ws->B_max = B_max;
    ws->impl = ENCODER_IMPL_IM2COL;
    ws->chunk_max = ENCODER_CHUNK_DEFAULT;
    size_t max_kcin = 0, max_cout = 0, max_pad_rows = 0;
    size_t in = (size_t)lrnn_encoder_in_channels(c);
    int entry = 0;
    bool ok = true;
    for (int i = 0; i < ws->L && ok; i++) {
        enc_layer *l = &ws->layer[i];
        bool head = i == ws->L - 1;
        l->cin = in;
        l->k = (size_t)c->kernel[i];
        l->kcin = l->k * in; /* < 2^40: both factors are at most 2^20 */
        l->cout = head ? (c->constant_var ? ws->R : 2 * ws->R) : (size_t)c->hidden[i];
        padding_of(c->pad_location, l->k, &l->left, &l->right);
        l->w_off = lay.entry[entry++].offset;
        l->b_off = lay.entry[entry++].offset;
        if (head && c->constant_var) {
            ws->lv_off = lay.entry[entry++].offset;
        } else if (head) {
            l->lw_off = lay.entry[entry++].offset;
            l->lb_off = lay.entry[entry++].offset;
        }
        size_t rows = T_max + l->k - 1;
        /* BLAS takes int sizes: every matrix of one trial must stay below INT_MAX entries. */
        size_t trial = mul_limited(rows, in, INT_MAX);
        size_t windows = mul_limited(T_max, l->kcin, INT_MAX);
        size_t outs = mul_limited(T_max, l->cout, INT_MAX);
        size_t all = mul_limited(trial, B_max, SIZE_MAX / sizeof(double));
        size_t all_pre = mul_limited(outs, B_max, SIZE_MAX / sizeof(double));
        if (!trial || !windows || !outs || !all || !all_pre) {
            ok = false;
            break;
        }
        l->xpad = malloc(all * sizeof(double));
        l->pre = head ? NULL : malloc(all_pre * sizeof(double));
        l->dact = head ? NULL : malloc(all_pre * sizeof(double));
        l->wr = malloc(l->cout * l->kcin * sizeof(double));
        l->dwr = malloc(l->cout * l->kcin * sizeof(double));
        l->bias = malloc(l->cout * sizeof(double));
        l->db = malloc(l->cout * sizeof(double));
        if (!l->xpad || (!head && (!l->pre || !l->dact)) || !l->wr || !l->dwr || !l->bias ||
            !l->db) {
            lrnn_encoder_workspace_free(ws);
            return lrnn_fail(LRNN_ERR_NOMEM,
                             "encoder workspace: out of memory for layer %d (T_max = %zu, "
                             "B_max = %zu, %zu x %zu x %zu padded input)",
                             i, T_max, B_max, B_max, rows, in);
        }
        if (l->kcin > max_kcin) max_kcin = l->kcin;
        if (l->cout > max_cout) max_cout = l->cout;
        if (trial > max_pad_rows) max_pad_rows = trial;
        in = l->cout;
    }
    if (!ok) {
        lrnn_encoder_workspace_free(ws);
        return lrnn_fail(LRNN_ERR_NOMEM,
                         "encoder workspace: T_max = %zu, B_max = %zu too large for the "
                         "configured kernels and channels",
                         T_max, B_max);
    }
    ws->col = malloc(T_max * max_kcin * sizeof(double));
    ws->dout = malloc(T_max * max_cout * sizeof(double));
    ws->dpad = malloc(max_pad_rows * sizeof(double));
    if (!ws->col || !ws->dout || !ws->dpad) {
        lrnn_encoder_workspace_free(ws);
        return lrnn_fail(LRNN_ERR_NOMEM, "encoder workspace: out of memory (T_max = %zu)", T_max);
    }
    *out = ws;
    return LRNN_OK;
}

/* ---- padding ---- */

/* Callers have checked pad <= T-1 (reflect) and pad <= T (circular), so a single reflection or
 * wrap suffices (torch.nn.functional.pad has the same limits). */
long encoder_pad_source(long q, long T, lrnn_encoder_pad_mode mode) {
    if (q >= 0 && q < T) return q;
    switch (mode) {
    case LRNN_ENCODER_PAD_ZEROS:
        return -1;
    case LRNN_ENCODER_PAD_REPLICATE:
        return q < 0 ? 0 : T - 1;
    case LRNN_ENCODER_PAD_REFLECT:
        return q < 0 ? -q : 2 * (T - 1) - q;
    case LRNN_ENCODER_PAD_CIRCULAR:
        return q < 0 ? q + T : q - T;
    }
    return -1;
}

void encoder_pad_rows(const enc_layer *l, lrnn_encoder_pad_mode mode, size_t T, void *P,
                      size_t size) {
    size_t row = l->cin * size, rows = T + l->k - 1;
    char *base = P;
    for (size_t p = 0; p < rows; p++) {
        if (p == l->left) p += T; /* skip the interior */
        if (p >= rows) break;
        long src = encoder_pad_source((long)p - (long)l->left, (long)T, mode);
        if (src < 0)
            memset(base + p * row, 0, row);
        else
            memcpy(base + p * row, base + (l->left + (size_t)src) * row, row);
    }
}

void encoder_im2col(const enc_layer *l, size_t T, const void *P, void *col, size_t size) {
    size_t win = l->kcin * size, step = l->cin * size;
    for (size_t t = 0; t < T; t++)
        memcpy((char *)col + t * win, (const char *)P + t * step, win);
}

static void unpad_rows(const enc_layer *l, lrnn_encoder_pad_mode mode, size_t T, double *dP) {
    ENCODER_UNPAD_ROWS(l, mode, T, dP);
}

/* ---- activations ---- */

/* act(x) and act'(x). GELU: x Phi(x) and Phi(x) + x phi(x), Phi the standard normal cdf
 * (exact erf form, PyTorch's default); leaky ReLU: x or slope x, derivative 1 for x > 0, else
 * slope (the subgradient PyTorch uses at 0). */
static inline double act(lrnn_encoder_act a, double slope, double x, double *grad) {
    if (a == LRNN_ENCODER_ACT_GELU) {
        const double inv_sqrt_2pi = 0.39894228040143267794;
        double Phi = 0.5 * (1.0 + erf(x * M_SQRT1_2));
        *grad = Phi + x * inv_sqrt_2pi * exp(-0.5 * x * x);
        return x * Phi;
    }
    *grad = x > 0.0 ? 1.0 : slope;
    return x > 0.0 ? x : slope * x;
}

/* ---- one layer of one trial ---- */

/* The window matrix of P: T x k C_in with leading dimension *lda. For k = 1 it is P itself;
 * otherwise the windows are copied into col. */
static const double *windows(const lrnn_encoder_workspace *ws, const enc_layer *l, const double *P,
                             size_t T, int *lda) {
    if (l->k == 1) {
        *lda = (int)l->cin;
        return P;
    }
    encoder_im2col(l, T, P, ws->col, sizeof *P);
    *lda = (int)l->kcin;
    return ws->col;
}

/* out (T x c_out) = bias + windows(P) Wr^T. */
static void conv_forward(const lrnn_encoder_workspace *ws, const enc_layer *l, const double *P,
                         size_t T, double *out) {
    size_t co = l->cout, kc = l->kcin, C = l->cin;
    for (size_t t = 0; t < T; t++)
        memcpy(out + t * co, l->bias, co * sizeof *out);
    switch (ws->impl) {
    case ENCODER_IMPL_IM2COL: {
        int lda = 0;
        const double *A = windows(ws, l, P, T, &lda);
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)T, (int)co, (int)kc, 1.0, A, lda,
                    l->wr, (int)kc, 1.0, out, (int)co);
        break;
    }
    case ENCODER_IMPL_SHIFTED:
        /* tap j: rows j .. j+T-1 of P times the j-th C_in columns of Wr. */
        for (size_t j = 0; j < l->k; j++)
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)T, (int)co, (int)C, 1.0,
                        P + j * C, (int)C, l->wr + j * C, (int)kc, 1.0, out, (int)co);
        break;
    case ENCODER_IMPL_DIRECT:
        for (size_t t = 0; t < T; t++) {
            const double *win = P + t * C;
            for (size_t o = 0; o < co; o++) {
                const double *w = l->wr + o * kc;
                double acc = 0.0;
                for (size_t m = 0; m < kc; m++)
                    acc += w[m] * win[m];
                out[t * co + o] += acc;
            }
        }
        break;
    }
}

/* Given dout = d/d out (T x c_out): db += column sums, dWr += dout^T windows(P), and, when dP
 * is not NULL, dP ((T + k - 1) x C_in) = the adjoint of P (overwritten). */
static void conv_backward(const lrnn_encoder_workspace *ws, const enc_layer *l, const double *P,
                          size_t T, const double *dout, double *dP) {
    size_t co = l->cout, kc = l->kcin, C = l->cin, rows = T + l->k - 1;
    for (size_t t = 0; t < T; t++)
        for (size_t o = 0; o < co; o++)
            l->db[o] += dout[t * co + o];
    switch (ws->impl) {
    case ENCODER_IMPL_IM2COL: {
        int lda = 0;
        const double *A = windows(ws, l, P, T, &lda);
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)co, (int)kc, (int)T, 1.0, dout,
                    (int)co, A, lda, 1.0, l->dwr, (int)kc);
        if (!dP) break;
        if (l->k == 1) { /* no padding and the windows are the rows of P */
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)T, (int)C, (int)co, 1.0,
                        dout, (int)co, l->wr, (int)kc, 0.0, dP, (int)C);
            break;
        }
        /* adjoint of the windows, then of the copy: window t was rows t .. t+k-1. */
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)T, (int)kc, (int)co, 1.0, dout,
                    (int)co, l->wr, (int)kc, 0.0, ws->col, (int)kc);
        ENCODER_COL2IM(l, T, ws->col, dP);
        break;
    }
    case ENCODER_IMPL_SHIFTED:
        for (size_t j = 0; j < l->k; j++)
            cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)co, (int)C, (int)T, 1.0, dout,
                        (int)co, P + j * C, (int)C, 1.0, l->dwr + j * C, (int)kc);
        if (!dP) break;
        memset(dP, 0, rows * C * sizeof *dP);
        for (size_t j = 0; j < l->k; j++)
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)T, (int)C, (int)co, 1.0,
                        dout, (int)co, l->wr + j * C, (int)kc, 1.0, dP + j * C, (int)C);
        break;
    case ENCODER_IMPL_DIRECT:
        if (dP) memset(dP, 0, rows * C * sizeof *dP);
        for (size_t t = 0; t < T; t++) {
            const double *win = P + t * C;
            for (size_t o = 0; o < co; o++) {
                double g = dout[t * co + o];
                double *dw = l->dwr + o * kc;
                for (size_t m = 0; m < kc; m++)
                    dw[m] += g * win[m];
                if (!dP) continue;
                const double *w = l->wr + o * kc;
                double *d = dP + t * C;
                for (size_t m = 0; m < kc; m++)
                    d[m] += g * w[m];
            }
        }
        break;
    }
}

/* ---- forward ---- */

static lrnn_status check_call(const lrnn_encoder_config *c, const lrnn_encoder_workspace *ws,
                              const char *what) {
    if (!ws) return lrnn_fail(LRNN_ERR_ARG, "encoder %s: workspace is NULL", what);
    if (!c) return lrnn_fail(LRNN_ERR_ARG, "encoder %s: config is NULL", what);
    if (!same_config(c, &ws->cfg))
        return lrnn_fail(LRNN_ERR_SHAPE,
                         "encoder %s: the configuration differs from the one the workspace was "
                         "created for",
                         what);
    return LRNN_OK;
}

lrnn_status encoder_forward_checks(const lrnn_encoder_config *c, const double *params,
                                   lrnn_encoder_workspace *ws, size_t B, size_t T, const double *y,
                                   size_t ldy, const uint8_t *mask, const double *mean,
                                   const double *logvar) {
    lrnn_status s = check_call(c, ws, "forward");
    if (s) return s;
    ws->ready = false;
    if (!params || (B > 0 && (!y || !mean || !logvar)))
        return lrnn_fail(LRNN_ERR_ARG, "encoder forward: params, y, mean or logvar is NULL");
    if (T < 1 || T > ws->T_max || B > ws->B_max)
        return lrnn_fail(LRNN_ERR_ARG,
                         "encoder forward: B = %zu, T = %zu outside the workspace's 0..%zu "
                         "trials of 1..%zu steps",
                         B, T, ws->B_max, ws->T_max);
    if (ldy < ws->X)
        return lrnn_fail(LRNN_ERR_ARG, "encoder forward: row stride ldy = %zu < X = %zu", ldy,
                         ws->X);
    lrnn_encoder_pad_mode mode = c->pad_mode;
    for (int i = 0; i < ws->L; i++) {
        const enc_layer *l = &ws->layer[i];
        size_t pad = l->left > l->right ? l->left : l->right;
        if ((mode == LRNN_ENCODER_PAD_REFLECT && pad >= T) ||
            (mode == LRNN_ENCODER_PAD_CIRCULAR && pad > T))
            return lrnn_fail(LRNN_ERR_ARG,
                             "encoder forward: %s padding of %zu steps (layer %d, kernel %zu) "
                             "needs windows of %s %zu steps, got T = %zu",
                             lrnn_encoder_pad_mode_name(mode), pad, i, l->k,
                             mode == LRNN_ENCODER_PAD_REFLECT ? "more than" : "at least", pad, T);
    }
    for (size_t n = 0; n < B * T; n++)
        for (size_t x = 0; x < ws->X; x++)
            if ((!mask || mask[n * ldy + x]) && !isfinite(y[n * ldy + x]))
                return lrnn_fail(LRNN_ERR_NUMERIC,
                                 "encoder forward: observation y[trial %zu][step %zu]"
                                 "[channel %zu] = %g is not finite (mask it instead)",
                                 n / T, n % T, x, y[n * ldy + x]);
    return LRNN_OK;
}

lrnn_status lrnn_encoder_forward(const lrnn_encoder_config *c, const double *params,
                                 lrnn_encoder_workspace *ws, size_t B, size_t T, const double *y,
                                 size_t ldy, const uint8_t *mask, double *mean, double *logvar) {
    lrnn_status s = encoder_forward_checks(c, params, ws, B, T, y, ldy, mask, mean, logvar);
    if (s) return s;
    if (ws->single) return encoder_forward_single(c, params, ws, B, T, y, ldy, mask, mean, logvar);
    lrnn_encoder_pad_mode mode = c->pad_mode;

    ENCODER_LOAD_PARAMS(ws, params, wr, bias);

    size_t R = ws->R;
    const enc_layer *first = &ws->layer[0];
    for (size_t b = 0; b < B; b++) {
        /* Layer 0 input: observed values (masked ones as 0), then the mask channels. */
        double *P = first->xpad + b * (T + first->k - 1) * first->cin;
        ENCODER_TRIAL_INPUT(ws, b, T, y, ldy, mask, P);

        for (int i = 0; i < ws->L; i++) {
            const enc_layer *l = &ws->layer[i];
            const double *Pi = l->xpad + b * (T + l->k - 1) * l->cin;
            if (i == ws->L - 1) {
                conv_forward(ws, l, Pi, T, ws->dout);
                for (size_t t = 0; t < T; t++) {
                    const double *o = ws->dout + t * l->cout;
                    memcpy(mean + (b * T + t) * R, o, R * sizeof *mean);
                    memcpy(logvar + (b * T + t) * R, c->constant_var ? params + ws->lv_off : o + R,
                           R * sizeof *logvar);
                }
                break;
            }
            double *pre = l->pre + b * T * l->cout;
            conv_forward(ws, l, Pi, T, pre);
            const enc_layer *next = &ws->layer[i + 1];
            double *Pn = next->xpad + b * (T + next->k - 1) * next->cin;
            double *dact = l->dact + b * T * l->cout;
            for (size_t t = 0; t < T; t++) {
                double *row = Pn + (next->left + t) * next->cin;
                const double *a = pre + t * l->cout;
                double *d = dact + t * l->cout;
                for (size_t o = 0; o < l->cout; o++)
                    row[o] = act(c->activation, c->leaky_slope, a[o], &d[o]);
            }
            encoder_pad_rows(next, mode, T, Pn, sizeof *Pn);
        }
    }
    ws->B = B;
    ws->T = T;
    ws->ready = true;
    return LRNN_OK;
}

/* ---- backward ---- */

lrnn_status encoder_backward_checks(const lrnn_encoder_config *c, const double *params,
                                    const lrnn_encoder_workspace *ws, const double *dmean,
                                    const double *grad) {
    lrnn_status s = check_call(c, ws, "backward");
    if (s) return s;
    if (!ws->ready)
        return lrnn_fail(LRNN_ERR_ARG,
                         "encoder backward: no successful forward pass in this workspace");
    if (!params || !grad || (ws->B > 0 && !dmean))
        return lrnn_fail(LRNN_ERR_ARG, "encoder backward: params, dmean or grad is NULL");
    return LRNN_OK;
}

lrnn_status lrnn_encoder_backward(const lrnn_encoder_config *c, const double *params,
                                  lrnn_encoder_workspace *ws, const double *dmean,
                                  const double *dlogvar, double *grad) {
    lrnn_status s = encoder_backward_checks(c, params, ws, dmean, grad);
    if (s) return s;
    if (ws->single) return encoder_backward_single(c, params, ws, dmean, dlogvar, grad);
    size_t B = ws->B, T = ws->T;
    for (int i = 0; i < ws->L; i++) {
        enc_layer *l = &ws->layer[i];
        memset(l->dwr, 0, l->cout * l->kcin * sizeof *l->dwr);
        memset(l->db, 0, l->cout * sizeof *l->db);
    }
    const enc_layer *head = &ws->layer[ws->L - 1];
    for (size_t b = 0; b < B; b++) {
        /* Adjoint of the heads' output: [dmean, dlogvar] per step. A constant logvar vector
         * is the same at every step, so its adjoint is the sum over steps (and trials). */
        for (size_t t = 0; t < T; t++) {
            ENCODER_HEAD_ADJOINT(ws, b * T + t, dmean, dlogvar, ws->dout + t * head->cout, grad);
        }
        for (int i = ws->L - 1; i >= 0; i--) {
            const enc_layer *l = &ws->layer[i];
            const double *Pi = l->xpad + b * (T + l->k - 1) * l->cin;
            /* The data need no adjoint: layer 0 stops after its parameters. */
            conv_backward(ws, l, Pi, T, ws->dout, i > 0 ? ws->dpad : NULL);
            if (i == 0) break;
            unpad_rows(l, c->pad_mode, T, ws->dpad);
            /* Layer i's input is act(pre_{i-1}): dpre = dinput . act'(pre). */
            const enc_layer *prev = &ws->layer[i - 1];
            const double *dact = prev->dact + b * T * prev->cout;
            const double *dx = ws->dpad + l->left * l->cin;
            for (size_t m = 0; m < T * prev->cout; m++)
                ws->dout[m] = dx[m] * dact[m];
        }
    }
    ENCODER_ADD_PARAM_GRAD(ws, grad, dwr);
    return LRNN_OK;
}
