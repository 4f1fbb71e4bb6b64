/* BPTT of the masked MSE through the LINT rate RNNs (spec lint_method.md section 1.4, loss
 * gradient of section 2; derivation in docs/derivations/lint_bptt.md).
 *
 * With delta_t = dL/dx_t (B x N per step), g_t = dL/dy_t and p_t the readout features of y_t
 * (psi(x_{t+1}) or r_{t+1}):
 *   gp_t     = g_t                      (identity readout)  or  c_out g_t W_out^T   (dense)
 *   gr_t     = dL/dr_t = c_rec n a_{t+1},  a_{t+1} = alpha m^T delta_{t+1}   (low rank)
 *            = alpha c_rec wrec^T delta_{t+1}                                 (full rank)
 *              (+ gp_{t-1} when the readout reads rates)
 *   delta_t  = (1 - alpha) delta_{t+1} + phi'(x_t + b) . gr_t + psi'(x_t) . gp_{t-1}
 * The derivatives come from the stored outputs of the activations (tanh' = 1 - y^2), so the
 * states are not needed and delta_t overwrites x_t. The parameter gradients are sums over t and
 * b; those with R or U columns are accumulated row by row while delta_t and r_t are in L1
 * (rank-R axpys into R x N accumulators), dwrec and dW_out are ONE GEMM over the T B rows at
 * the end:
 *   dm = alpha sum delta_{t+1} kappa_t^T,  dn = c_rec sum r_t a_{t+1}^T,
 *   dwrec = alpha c_rec sum delta_{t+1} r_t^T,  dW_in = alpha sum u_t delta_{t+1}^T,
 *   dW_out = c_out sum p_t g_t^T,  db = sum_{t>=1} phi'(x_t + b) . gr_t,  dh0 = sum_b delta_0. */
#include <math.h>
#include <string.h>

#include <cblas.h>

#include "lint/internal.h"

/* dL/dy_t for trial row b: 2 M^2 (y - Y) / (B O sum_t M_bt0). */
static void output_grad(const lrnn_lint_work *w, const lrnn_lint_data *d, size_t t, size_t b,
                        const double *y, double *g) {
    size_t O = w->d.O, T = w->T, j = w->idx[b];
    const double *tg = d->targets + (j * T + t) * O;
    double c = 2.0 * w->wt[b];
    if (!d->mask) {
        for (size_t o = 0; o < O; o++)
            g[o] = c * (y[o] - tg[o]);
    } else if (d->mask_per_output) {
        const double *mk = d->mask + (j * T + t) * O;
        for (size_t o = 0; o < O; o++)
            g[o] = c * mk[o] * mk[o] * (y[o] - tg[o]);
    } else {
        double mk = d->mask[j * T + t];
        c *= mk * mk;
        for (size_t o = 0; o < O; o++)
            g[o] = c * (y[o] - tg[o]);
    }
}

static int trains(const lrnn_param_layout *l, const char *name) {
    const lrnn_param_entry *e = lrnn_param_layout_find(l, name);
    return e && e->trainable && e->size > 0;
}

lrnn_status lrnn_lint_backward(lrnn_lint_work *w, const lrnn_lint_rnn *rnn, const lrnn_lint_data *d,
                               double *grad) {
    if (!w->have_targets || !d->targets)
        return lrnn_fail(LRNN_ERR_ARG, "LINT backward: the last forward pass had no targets");
    if (!w->fresh)
        return lrnn_fail(LRNN_ERR_ARG, "LINT backward: no forward pass to differentiate");
    const lint_dims *dm = &w->d;
    size_t N = dm->N, R = dm->R, U = dm->U, O = dm->O, T = w->T, B = w->B, BN = B * N;
    double alpha = dm->alpha;
    const lrnn_lint_config *c = &rnn->c;
    const lrnn_param_layout *l = &rnn->layout;
    lrnn_lint_view v = lrnn_lint_view_of(l, rnn->theta);
    memset(grad, 0, l->total * sizeof *grad);
    lrnn_lint_view g = lrnn_lint_view_of(l, grad);
    const double *Pall = w->psi_alias ? w->Rt + BN : w->P;
    int rates_readout = c->readout_rates;
    /* psi' is taken from the features: from r_t when psi(x_t) = r_t (alias), else from P. */
    lrnn_lint_act psi_act = rates_readout ? c->phi : c->psi;
    /* accumulators: gm, gn (R x N, transposed factors), gW_in (U x N) */
    double *gmT = w->gacc, *gnT = gmT + R * N, *gWin = gnT + R * N;
    memset(w->gacc, 0, (2 * R + U) * N * sizeof *w->gacc);
    double loss = 0.0;

    if (!dm->identity) /* G = dL/dY for every step, T x B x O, and the loss */
        for (size_t t = 0; t < T; t++)
            for (size_t b = 0; b < B; b++) {
                size_t j = w->idx[b];
                const double *y = w->Y + (t * B + b) * O, *tg = d->targets + (j * T + t) * O;
                output_grad(w, d, t, b, y, w->G + (t * B + b) * O);
                double mk = d->mask && !d->mask_per_output ? d->mask[j * T + t] : 1.0;
                const double *mw = d->mask && d->mask_per_output ? d->mask + (j * T + t) * O : NULL;
                loss += w->wt[b] * mk * mk * lint_sqerr(y, tg, mw, O);
            }

    /* the common LINT case in one pass per row: tanh rates read out as they are (y = r), no
     * bias gradient */
    int fast = dm->identity && w->psi_alias && c->phi == LRNN_LINT_TANH && !trains(l, "b");
    /* a full-rank tanh network in single precision read out from its rates (psi = phi, no
     * bias in the features): one fused pass per row at 1 <= t < T (lint_bptt_row_full) */
    int full_fused = w->single && !dm->low_rank && !dm->identity && w->psi_alias &&
                     !rates_readout && c->phi == LRNN_LINT_TANH && psi_act == LRNN_LINT_TANH;
    for (size_t t = T + 1; t-- > 0;) {
        double *D = w->X + t * BN; /* delta_t replaces x_t */
        const double *Dn = w->X + (t + 1) * BN, *Rt = w->Rt + t * BN;
        /* gr = dL/dr_t through x_{t+1} (none at t = T) */
        if (t == T) {
            memset(w->gr, 0, BN * sizeof *w->gr);
        } else if (dm->low_rank) { /* c_rec n a_{t+1}, a_{t+1} (A[t]) made with delta_{t+1} */
            const double *At = w->A + t * B * R;
            for (size_t b = 0; b < B; b++) {
                double *gr = w->gr + b * N, cr[64];
                const double *rows[64];
                /* rank one on the fused path: gr = c_rec a n is formed inside the row kernel */
                for (size_t r0 = 0; r0 < R && !(fast && t >= 1 && R == 1); r0 += 64) {
                    size_t nr = R - r0 < 64 ? R - r0 : 64;
                    for (size_t r = 0; r < nr; r++) {
                        cr[r] = dm->c_rec * At[b * R + r0 + r];
                        rows[r] = w->nT + (r0 + r) * N;
                    }
                    lint_comb_terms(N, 1.0, r0 ? gr : NULL, nr, cr, rows, gr);
                }
                /* dn += c_rec r_t a_{t+1}^T while r_t is at hand (fused into the row below
                 * on the rank-one fast path) */
                if (!(fast && t >= 1 && R == 1))
                    lint_axpy_multi(N, R, dm->c_rec, At + b * R, Rt + b * N, gnT);
            }
        } else if (w->single) { /* float delta_{t+1} (kept when it was made) times wrec */
            lrnn_status s = packed_sgemm_run(w->pk_bwd, w->Df + t * BN, w->Sf);
            if (s) return s;
            if (!(full_fused && t >= 1)) lint_to_double(w->Sf, w->gr, BN);
        } else {
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)B, (int)N, (int)N,
                        alpha * dm->c_rec, Dn, (int)N, v.wrec, (int)N, 0.0, w->gr, (int)N);
        }
        int fast_t = fast && t >= 1, full_t = full_fused && t >= 1 && t < T;
        /* gp = dL/dp_{t-1}, the readout features read from x_t (one output on the fused full
         * row: c_out g_b W_out, formed in the row) */
        if (t >= 1 && !fast_t && !(full_t && O == 1)) {
            if (dm->identity) {
                for (size_t b = 0; b < B; b++) {
                    size_t j = w->idx[b];
                    const double *y = Pall + ((t - 1) * B + b) * N;
                    output_grad(w, d, t - 1, b, y, w->gp + b * N);
                    double mk = d->mask && !d->mask_per_output ? d->mask[j * T + t - 1] : 1.0;
                    const double *mw =
                        d->mask && d->mask_per_output ? d->mask + (j * T + t - 1) * N : NULL;
                    loss +=
                        w->wt[b] * mk * mk * lint_sqerr(y, d->targets + (j * T + t - 1) * N, mw, N);
                }
            } else if (O == 1) { /* gp_b = c_out g_b W_out: B scaled copies of one row */
                for (size_t b = 0; b < B; b++) {
                    double cg = dm->c_out * w->G[(t - 1) * B + b];
                    for (size_t i = 0; i < N; i++)
                        w->gp[b * N + i] = cg * w->Wout[i];
                }
            } else {
                cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)B, (int)N, (int)O,
                            dm->c_out, w->G + (t - 1) * B * O, (int)O, w->Wout, (int)O, 0.0, w->gp,
                            (int)N);
            }
        }
        for (size_t b = 0; b < B; b++) {
            double *dl = D + b * N, *gr = w->gr + b * N;
            const double *gp = w->gp + b * N, *r = Rt + b * N;
            if (full_t) {
                double cg = O == 1 ? dm->c_out * w->G[(t - 1) * B + b] : 1.0;
                lint_bptt_row_full(N, r, w->Sf + b * N, Dn + b * N, 1.0 - alpha, cg,
                                   O == 1 ? w->Wout : gp, trains(l, "b") ? g.b : NULL, dl,
                                   w->Df + (t - 1) * BN + b * N);
            } else if (fast_t) {
                /* y_{t-1} = r_t: delta_t = (1 - alpha) delta_{t+1} + (1 - r^2)(gr + g) */
                size_t j = w->idx[b];
                const double *tg = d->targets + (j * T + t - 1) * N, *mk = NULL;
                double cg = 2.0 * w->wt[b], m2 = 1.0;
                if (d->mask && d->mask_per_output)
                    mk = d->mask + (j * T + t - 1) * N;
                else if (d->mask)
                    m2 = d->mask[j * T + t - 1] * d->mask[j * T + t - 1];
                /* float targets (single precision, rank one): half the DRAM bytes */
                const float *tgf =
                    R == 1 && w->single_math && w->tgf && w->tgf_of == d->targets ? w->tgf
                                                                                  : NULL;
                if (b + 1 < B) { /* the next trial's target row is a separate DRAM stream */
                    size_t next = (w->idx[b + 1] * T + t - 1) * N;
                    if (tgf)
                        lint_prefetch_bytes(tgf + next, N * sizeof *tgf);
                    else
                        lint_prefetch_bytes(d->targets + next, N * sizeof *d->targets);
                }
                int r1 = dm->low_rank && R == 1 && t < T; /* gr fused: c_rec a_{t+1} n */
                double sq;
                if (r1) { /* and dn, dm and a_t in the same pass (lint_bptt_row_rank1) */
                    double ca = dm->c_rec * w->A[t * B + b], mdot;
                    lint_row1 row = {.r = r, .tg = tg, .w = mk, .nrow = w->nT, .mrow = w->mT,
                                     .tgf = tgf ? tgf + (j * T + t - 1) * N : NULL,
                                     .dn = Dn + b * N, .c = cg * m2, .cn = ca,
                                     .keep = 1.0 - alpha, .ca = ca,
                                     .ak = alpha * w->K[(t - 1) * B + b], .out = dl, .gn = gnT,
                                     .gm = gmT};
                    sq = lint_bptt_row_rank1(N, &row, &mdot);
                    w->A[(t - 1) * B + b] = alpha * mdot;
                } else {
                    sq = lint_bptt_row_tanh(N, r, tg, mk, cg * m2, gr, t < T ? Dn + b * N : NULL,
                                            1.0 - alpha, dl);
                }
                loss += w->wt[b] * m2 * sq;
            } else {
                if (t >= 1 && rates_readout)
                    for (size_t i = 0; i < N; i++)
                        gr[i] += gp[i];
                /* phi'(x_t + b) . gr_t (r_0 = phi(x_0) carries no bias) */
                lint_act_grad_mul(c->phi, r, gr, gr, N, 0);
                if (t >= 1)
                    for (size_t i = 0; i < N; i++)
                        g.b[i] += gr[i];
                if (t < T) {
                    const double *dn = Dn + b * N;
                    for (size_t i = 0; i < N; i++)
                        dl[i] = (1.0 - alpha) * dn[i] + gr[i];
                } else {
                    memcpy(dl, gr, N * sizeof *dl);
                }
                if (t >= 1 && !rates_readout) {
                    const double *p = Pall + ((t - 1) * B + b) * N;
                    lint_act_grad_mul(psi_act, p, gp, dl, N, 1);
                }
            }
            if (t >= 1 && w->single && !full_t)
                lint_to_float(dl, w->Df + (t - 1) * BN + b * N, N);
            if (t >= 1) {
                /* a_t = alpha m^T delta_t (A[t-1], used at step t-1); dm += alpha delta_t
                 * kappa_{t-1}^T; dW_in += alpha u_{t-1} delta_t^T -- all while delta_t is in L1 */
                int fused = fast_t && dm->low_rank && R == 1 && t < T; /* done in the row */
                for (size_t r2 = 0; dm->low_rank && !fused && r2 < R; r2++)
                    w->A[((t - 1) * B + b) * R + r2] = alpha * lint_dot(w->mT + r2 * N, dl, N);
                if (dm->low_rank && !fused)
                    lint_axpy_multi(N, R, alpha, w->K + ((t - 1) * B + b) * R, dl, gmT);
                lint_axpy_multi(N, U, alpha, w->Uin + ((t - 1) * B + b) * U, dl, gWin);
            }
        }
    }
    w->loss = loss;
    /* parameter gradients (delta_1..delta_T, r_0..r_{T-1}) */
    int TB = (int)(T * B);
    if (dm->low_rank) {
        for (size_t i = 0; i < N; i++)
            for (size_t r = 0; r < R; r++) {
                g.m[i * R + r] = gmT[r * N + i];
                g.n[i * R + r] = gnT[r * N + i];
            }
    } else if (trains(l, "wrec") && w->single) { /* dwrec in float (Wf is free now) */
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)N, (int)N, TB,
                    (float)(alpha * dm->c_rec), w->Df, (int)N, w->Rf, (int)N, 0.0f, w->Wf,
                    (int)N);
        for (size_t i = 0; i < N * N; i++)
            g.wrec[i] = w->Wf[i]; /* the products read their packed copies of wrec */
    } else if (trains(l, "wrec")) {
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)N, (int)N, TB, alpha * dm->c_rec,
                    w->X + BN, (int)N, w->Rt, (int)N, 0.0, g.wrec, (int)N);
    }
    for (size_t k = 0; k < U; k++) {
        double s = 0.0;
        for (size_t i = 0; i < N; i++) {
            g.wi[k * N + i] = gWin[k * N + i] * v.si[k];
            s += gWin[k * N + i] * v.wi[k * N + i];
        }
        g.si[k] = s;
    }
    if (!dm->identity && (trains(l, "wo") || trains(l, "so"))) {
        if (O == 1) /* dW_out = c_out Pall^T G: a matrix-vector product, no copy of Pall */
            cblas_dgemv(CblasRowMajor, CblasTrans, TB, (int)N, dm->c_out, Pall, (int)N, w->G, 1,
                        0.0, w->gW, 1);
        else
            cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)N, (int)O, TB, dm->c_out,
                        Pall, (int)N, w->G, (int)O, 0.0, w->gW, (int)O);
        for (size_t o = 0; o < O; o++)
            g.so[o] = 0.0;
        for (size_t i = 0; i < N; i++)
            for (size_t o = 0; o < O; o++) {
                g.wo[i * O + o] = w->gW[i * O + o] * v.so[o];
                g.so[o] += w->gW[i * O + o] * v.wo[i * O + o];
            }
    }
    if (!d->x0)
        for (size_t b = 0; b < B; b++)
            for (size_t i = 0; i < N; i++)
                g.h0[i] += w->X[b * N + i];
    for (int e = 0; e < l->count; e++)
        if (!l->entry[e].trainable)
            memset(grad + l->entry[e].offset, 0, l->entry[e].size * sizeof *grad);
    w->fresh = 0; /* the states are gone */
    return LRNN_OK;
}

double lrnn_lint_work_loss(const lrnn_lint_work *w) {
    return w->loss;
}

/* Trials per chunk of lrnn_lint_gradient: low-rank passes work row by row (no product spans
 * the batch), so a chunk whose tape -- x_t and r_t (and the readout features when they are
 * not r_t), (T + 1) N doubles each per trial -- fits in half a megabyte of L2 is read back by
 * the backward pass from cache instead of DRAM. Full-rank passes keep the whole minibatch:
 * their B x N x N products are GEMMs that want the rows. */
static size_t chunk_trials(const lrnn_lint_work *w) {
    if (w->chunk) return w->chunk;
    if (!w->d.low_rank) return w->B;
    double tape = (double)(w->T + 1) * (double)w->d.N * sizeof(double) * 3.0;
    size_t c = (size_t)(512.0 * 1024.0 / tape);
    return c < 1 ? 1 : c;
}

lrnn_status lrnn_lint_gradient(lrnn_lint_work *w, const lrnn_lint_rnn *rnn,
                               const lrnn_lint_data *d, const size_t *idx, size_t B,
                               lrnn_lint_noise noise, double *loss, double *grad) {
    if (!d->targets) return lrnn_fail(LRNN_ERR_ARG, "LINT gradient: the data have no targets");
    if (B < 1 || B > w->Bmax)
        return lrnn_fail(LRNN_ERR_ARG, "LINT gradient: batch of %zu trials, workspace holds %zu",
                         B, w->Bmax);
    w->B = B; /* for chunk_trials */
    size_t chunk = chunk_trials(w), total = rnn->layout.total;
    double sum = 0.0;
    lrnn_status s = LRNN_OK;
    w->Bloss = B;
    for (size_t first = 0; first < B && !s; first += chunk) {
        size_t nb = B - first < chunk ? B - first : chunk;
        size_t *sub = w->idx + w->Bmax; /* the chunk's indices (second half of idx) */
        for (size_t b = 0; b < nb; b++)
            sub[b] = idx ? idx[first + b] : first + b;
        s = lrnn_lint_forward(w, rnn, d, sub, nb, noise, NULL);
        if (!s) s = lrnn_lint_backward(w, rnn, d, first == 0 ? grad : w->gsum);
        if (!s && first > 0)
            for (size_t i = 0; i < total; i++)
                grad[i] += w->gsum[i];
        sum += w->loss;
    }
    w->Bloss = 0;
    if (!s && loss) *loss = sum;
    return s;
}
