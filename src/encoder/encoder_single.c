/* The encoder's forward and backward passes in single precision (lrnn_encoder_set_single): the
 * double path of encoder.c with float arrays, cblas_sgemm and a vectorised float GELU, and
 * optionally the GEMMs batched over trials.
 *
 * Chunks of trials: the windows of n trials can go side by side into one (n T) x k C_in matrix,
 * so that a layer is one GEMM with M = n T (not n GEMMs with M = T) and its weight gradient one
 * GEMM with K = n T; the weight gradient accumulates in float (beta = 1) across the chunks of a
 * call. n is 1 by default (batching did not pay, see ENCODER_CHUNK_DEFAULT) and at most what
 * the im2col buffer col_f holds (encoder_set_chunk), so memory stays bounded for long windows.
 * Unlike the double path the loops run layer by layer over all trials (the tapes hold every
 * trial of a layer either way). */
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "encoder/workspace.h"

/* ---- workspace ---- */

void encoder_free_single(lrnn_encoder_workspace *ws) {
    for (int i = 0; i < ws->L; i++) {
        enc_layer *l = &ws->layer[i];
        free(l->xpad_f), free(l->pre_f), free(l->dact_f), free(l->wr_f), free(l->bias_f),
            free(l->dwr_f);
        l->xpad_f = l->pre_f = l->dact_f = l->wr_f = l->bias_f = l->dwr_f = NULL;
    }
    free(ws->col_f), free(ws->out_f[0]), free(ws->out_f[1]), free(ws->dpad_f);
    ws->col_f = ws->out_f[0] = ws->out_f[1] = ws->dpad_f = NULL;
    ws->have_single = false;
}

/* T_max times the largest k C_in: the windows of one trial of T_max steps. */
static size_t max_trial_windows(const lrnn_encoder_workspace *ws) {
    size_t m = 0;
    for (int i = 0; i < ws->L; i++)
        if (ws->layer[i].kcin > m) m = ws->layer[i].kcin;
    return ws->T_max * m; /* < INT_MAX, checked by workspace_create */
}

/* col_f for `chunk` trials of T_max steps (0: as many as ENCODER_COL_F_BYTES holds), at least
 * one and at most B_max; keeps the old buffer on failure. */
static lrnn_status alloc_col_f(lrnn_encoder_workspace *ws, size_t chunk) {
    size_t trial = max_trial_windows(ws), n = ENCODER_COL_F_BYTES / sizeof(float) / trial;
    if (chunk && n > chunk) n = chunk;
    n = n < 1 ? 1 : n > ws->B_max ? ws->B_max : n;
    if (ws->col_f && ws->col_f_len == n * trial) return LRNN_OK;
    float *col = malloc(n * trial * sizeof *col);
    if (!col)
        return lrnn_fail(LRNN_ERR_NOMEM,
                         "encoder: out of memory for %zu trials of float windows (%zu floats)", n,
                         n * trial);
    free(ws->col_f);
    ws->col_f = col;
    ws->col_f_len = n * trial;
    return LRNN_OK;
}

/* The float arrays, sized as their double twins (whose sizes workspace_create checked). */
static lrnn_status alloc_single(lrnn_encoder_workspace *ws) {
    size_t T_max = ws->T_max, B_max = ws->B_max, max_cout = 0, max_pad = 0;
    bool ok = true;
    for (int i = 0; i < ws->L; i++) {
        enc_layer *l = &ws->layer[i];
        bool head = i == ws->L - 1;
        size_t pad = (T_max + l->k - 1) * l->cin, outs = B_max * T_max * l->cout;
        l->xpad_f = malloc(B_max * pad * sizeof(float));
        l->pre_f = head ? NULL : malloc(outs * sizeof(float));
        l->dact_f = head ? NULL : malloc(outs * sizeof(float));
        l->wr_f = malloc(l->cout * l->kcin * sizeof(float));
        l->dwr_f = malloc(l->cout * l->kcin * sizeof(float));
        l->bias_f = malloc(l->cout * sizeof(float));
        ok = ok && l->xpad_f && (head || (l->pre_f && l->dact_f)) && l->wr_f && l->dwr_f &&
             l->bias_f;
        if (l->cout > max_cout) max_cout = l->cout;
        if (pad > max_pad) max_pad = pad;
    }
    ws->out_f[0] = malloc(B_max * T_max * max_cout * sizeof(float));
    ws->out_f[1] = malloc(B_max * T_max * max_cout * sizeof(float));
    ws->dpad_f = malloc(max_pad * sizeof(float));
    ws->have_single = true;
    if (!ok || !ws->out_f[0] || !ws->out_f[1] || !ws->dpad_f || alloc_col_f(ws, ws->chunk_max)) {
        encoder_free_single(ws);
        return lrnn_fail(LRNN_ERR_NOMEM,
                         "encoder set_single: out of memory for the float arrays (T_max = %zu, "
                         "B_max = %zu)",
                         T_max, B_max);
    }
    return LRNN_OK;
}

lrnn_status lrnn_encoder_set_single(lrnn_encoder_workspace *ws, bool single) {
    if (!ws) return lrnn_fail(LRNN_ERR_ARG, "encoder set_single: workspace is NULL");
    if (single && !ws->have_single) {
        lrnn_status s = alloc_single(ws);
        if (s) return s;
    }
    /* backward must not read the other precision's tapes */
    if (single != ws->single) ws->ready = false;
    ws->single = single;
    return LRNN_OK;
}

bool lrnn_encoder_is_single(const lrnn_encoder_workspace *ws) {
    return ws && ws->single;
}

lrnn_status encoder_set_chunk(lrnn_encoder_workspace *ws, size_t max_trials) {
    if (ws->have_single) {
        lrnn_status s = alloc_col_f(ws, max_trials);
        if (s) return s;
    }
    ws->chunk_max = max_trials;
    return LRNN_OK;
}

/* ---- activations over arrays ---- */

/* GELU y = x Phi(x) and its derivative d = Phi(x) + x phi(x) in float, exact erf form (the
 * formulas of act() in encoder.c) over n contiguous values. With glibc's libmvec (x86-64, gcc)
 * erff and expf are declared under other C names as `simd` functions without errno, so gcc
 * vectorises the loop with libmvec's variants (_ZGVeN16v_erff, ...; an ifunc picks the AVX-512,
 * AVX2 or SSE2 clone at load time): about 15x faster than libm's scalar calls, which took 16% of
 * a single-precision epoch. libmvec is within 4 ulp (libm: 1), so the last bits can differ
 * between instruction sets, never between runs or thread counts (as src/core/vmath.h). */
#if defined(LRNN_HAVE_LIBMVEC) && defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
float enc_erff(float) __asm__("erff") __attribute__((simd("notinbranch"), const, nothrow));
float enc_expf(float) __asm__("expf") __attribute__((simd("notinbranch"), const, nothrow));
#define GELU_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define enc_erff erff
#define enc_expf expf
#define GELU_CLONES
#endif

GELU_CLONES static void gelu_f(size_t n, const float *restrict x, float *restrict y,
                               float *restrict d) {
    const float inv_sqrt_2pi = 0.398942280f, inv_sqrt_2 = 0.707106781f;
    for (size_t i = 0; i < n; i++) {
        float Phi = 0.5f * (1.0f + enc_erff(x[i] * inv_sqrt_2));
        d[i] = Phi + x[i] * inv_sqrt_2pi * enc_expf(-0.5f * x[i] * x[i]);
        y[i] = x[i] * Phi;
    }
}

/* Leaky ReLU: y = x or slope x, d = 1 or slope (slope for x <= 0, as act()). */
static void leaky_f(size_t n, float slope, const float *restrict x, float *restrict y,
                    float *restrict d) {
    for (size_t i = 0; i < n; i++) {
        d[i] = x[i] > 0.0f ? 1.0f : slope;
        y[i] = x[i] * d[i];
    }
}

/* ---- one layer over all trials ---- */

/* Trials per GEMM for layer l: as many as col_f holds (>= 1, since col_f holds T_max k C_in),
 * at most chunk_max (when set) and B. */
static size_t chunk_of(const lrnn_encoder_workspace *ws, const enc_layer *l, size_t T, size_t B) {
    size_t n = ws->col_f_len / (T * l->kcin);
    if (ws->chunk_max && n > ws->chunk_max) n = ws->chunk_max;
    if (n > B) n = B;
    return n ? n : 1;
}

/* The window matrix of trials b0 .. b0+n-1, (n T) x k C_in with leading dimension *lda. For
 * k = 1 there is no padding, so the padded inputs (T rows per trial) are that matrix already;
 * otherwise each trial's windows are copied into col_f (rows b T .. b T + T-1). */
static const float *windows_f(const lrnn_encoder_workspace *ws, const enc_layer *l, size_t T,
                              size_t b0, size_t n, int *lda) {
    size_t trial = (T + l->k - 1) * l->cin;
    const float *P = l->xpad_f + b0 * trial;
    if (l->k == 1) {
        *lda = (int)l->cin;
        return P;
    }
    for (size_t b = 0; b < n; b++)
        encoder_im2col(l, T, P + b * trial, ws->col_f + b * T * l->kcin, sizeof *P);
    *lda = (int)l->kcin;
    return ws->col_f;
}

/* out (B T x c_out) = bias + windows Wr^T, one GEMM per chunk of trials. */
static void conv_forward_f(const lrnn_encoder_workspace *ws, const enc_layer *l, size_t B, size_t T,
                           float *out) {
    size_t co = l->cout, kc = l->kcin, nb = chunk_of(ws, l, T, B);
    for (size_t n = 0; n < B * T; n++)
        memcpy(out + n * co, l->bias_f, co * sizeof *out);
    for (size_t b0 = 0; b0 < B; b0 += nb) {
        size_t n = B - b0 < nb ? B - b0 : nb;
        int lda = 0;
        const float *A = windows_f(ws, l, T, b0, n, &lda);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)(n * T), (int)co, (int)kc, 1.0f,
                    A, lda, l->wr_f, (int)kc, 1.0f, out + b0 * T * co, (int)co);
    }
}

/* Given dA = d/d out (B T x c_out): db += column sums (in double), dWr += dA^T windows (float,
 * one GEMM with K = n T per chunk), and when prev is not NULL, dprev (B T x c_out of prev) =
 * the adjoint of prev's pre-activations: window adjoints dA Wr, col2im, unpad, times act'. */
static void conv_backward_f(const lrnn_encoder_workspace *ws, const enc_layer *l,
                            const enc_layer *prev, size_t B, size_t T, const float *dA,
                            float *dprev) {
    size_t co = l->cout, kc = l->kcin, C = l->cin, nb = chunk_of(ws, l, T, B);
    for (size_t n = 0; n < B * T; n++)
        for (size_t o = 0; o < co; o++)
            l->db[o] += dA[n * co + o];
    for (size_t b0 = 0; b0 < B; b0 += nb) {
        size_t n = B - b0 < nb ? B - b0 : nb;
        int lda = 0;
        const float *A = windows_f(ws, l, T, b0, n, &lda);
        const float *dAc = dA + b0 * T * co;
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)co, (int)kc, (int)(n * T), 1.0f,
                    dAc, (int)co, A, lda, 1.0f, l->dwr_f, (int)kc);
        if (!prev) continue;
        /* the windows are used: col_f now takes their adjoints */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)(n * T), (int)kc, (int)co, 1.0f,
                    dAc, (int)co, l->wr_f, (int)kc, 0.0f, ws->col_f, (int)kc);
        for (size_t b = 0; b < n; b++) {
            ENCODER_COL2IM(l, T, ws->col_f + b * T * kc, ws->dpad_f);
            ENCODER_UNPAD_ROWS(l, ws->cfg.pad_mode, T, ws->dpad_f);
            /* layer l's input is act(pre of prev): dpre = dinput . act'(pre) */
            const float *dx = ws->dpad_f + l->left * C, *da = prev->dact_f + (b0 + b) * T * C;
            float *dp = dprev + (b0 + b) * T * C;
            for (size_t m = 0; m < T * C; m++)
                dp[m] = dx[m] * da[m];
        }
    }
}

/* ---- forward and backward (arguments checked by the callers in encoder.c) ---- */

lrnn_status encoder_forward_single(const lrnn_encoder_config *c, const double *params,
                                   lrnn_encoder_workspace *ws, size_t B, size_t T, const double *y,
                                   size_t ldy, const uint8_t *mask, double *mean, double *logvar) {
    ENCODER_LOAD_PARAMS(ws, params, wr_f, bias_f);
    size_t R = ws->R;
    lrnn_encoder_pad_mode mode = c->pad_mode;
    const enc_layer *first = &ws->layer[0];
    for (size_t b = 0; b < B; b++) {
        float *P = first->xpad_f + b * (T + first->k - 1) * first->cin;
        ENCODER_TRIAL_INPUT(ws, b, T, y, ldy, mask, P);
    }
    for (int i = 0; i + 1 < ws->L; i++) {
        const enc_layer *l = &ws->layer[i], *next = &ws->layer[i + 1];
        conv_forward_f(ws, l, B, T, l->pre_f);
        /* a trial's T x c_out activations are the contiguous interior rows of the next input */
        for (size_t b = 0; b < B; b++) {
            float *Pn = next->xpad_f + b * (T + next->k - 1) * next->cin;
            const float *a = l->pre_f + b * T * l->cout;
            float *d = l->dact_f + b * T * l->cout, *h = Pn + next->left * next->cin;
            if (c->activation == LRNN_ENCODER_ACT_GELU)
                gelu_f(T * l->cout, a, h, d);
            else
                leaky_f(T * l->cout, (float)c->leaky_slope, a, h, d);
            encoder_pad_rows(next, mode, T, Pn, sizeof *Pn);
        }
    }
    const enc_layer *head = &ws->layer[ws->L - 1];
    const float *o = ws->out_f[0];
    conv_forward_f(ws, head, B, T, ws->out_f[0]);
    for (size_t n = 0; n < B * T; n++)
        for (size_t r = 0; r < R; r++) {
            mean[n * R + r] = o[n * head->cout + r];
            logvar[n * R + r] =
                c->constant_var ? params[ws->lv_off + r] : o[n * head->cout + R + r];
        }
    ws->B = B;
    ws->T = T;
    ws->ready = true;
    return LRNN_OK;
}

lrnn_status encoder_backward_single(const lrnn_encoder_config *c, const double *params,
                                    lrnn_encoder_workspace *ws, const double *dmean,
                                    const double *dlogvar, double *grad) {
    (void)c, (void)params; /* the forward's float weights are still in the layers */
    size_t B = ws->B, T = ws->T;
    for (int i = 0; i < ws->L; i++) {
        enc_layer *l = &ws->layer[i];
        memset(l->dwr_f, 0, l->cout * l->kcin * sizeof *l->dwr_f);
        memset(l->db, 0, l->cout * sizeof *l->db);
    }
    const enc_layer *head = &ws->layer[ws->L - 1];
    float *dA = ws->out_f[0], *dprev = ws->out_f[1];
    for (size_t n = 0; n < B * T; n++)
        ENCODER_HEAD_ADJOINT(ws, n, dmean, dlogvar, dA + n * head->cout, grad);
    for (int i = ws->L - 1; i >= 0; i--) {
        /* The data need no adjoint: layer 0 stops after its parameters. */
        conv_backward_f(ws, &ws->layer[i], i > 0 ? &ws->layer[i - 1] : NULL, B, T, dA, dprev);
        float *swap = dA;
        dA = dprev, dprev = swap;
    }
    ENCODER_ADD_PARAM_GRAD(ws, grad, dwr_f);
    return LRNN_OK;
}
