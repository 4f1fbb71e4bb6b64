/* Forward pass of the LINT rate RNNs over a batch of trials (spec lint_method.md sections 1.1,
 * 1.2 and the loss of section 2), the workspace and the data checks.
 *
 * Batched time-major: step t of all B trials is one B x N block, so the products with the
 * connectivity are GEMMs (low rank: kappa_t = c_rec r_t n, B x N times N x R; full rank:
 * r_t wrec^T, B x N times N x N). The rank-R and input expansions m kappa and W_in^T u are
 * done row by row ((R + U + 1) / 4 passes over an L1-resident row of N, lint_comb_terms), with
 * the leak and the noise. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "lint/internal.h"

void lrnn_lint_work_free(lrnn_lint_work *w) {
    if (!w) return;
    free(w->X), free(w->Rt), free(w->P), free(w->Y), free(w->G), free(w->K), free(w->A);
    free(w->Uin), free(w->Win), free(w->Wout), free(w->gW), free(w->gr), free(w->gp);
    free(w->nT), free(w->mT), free(w->wt), free(w->gacc), free(w->gsum), free(w->idx);
    free(w->rng);
    free(w->Rf), free(w->Df), free(w->Wf), free(w->Sf), free(w->tgf);
    packed_sgemm_free(w->pk_fwd), packed_sgemm_free(w->pk_bwd);
    free(w);
}

static double *alloc_d(size_t n, int *fail) {
    double *p = malloc((n ? n : 1) * sizeof *p);
    if (!p) *fail = 1;
    return p;
}

lrnn_status lrnn_lint_work_create(const lrnn_lint_rnn *rnn, size_t max_batch, size_t T,
                                  lrnn_lint_work **out) {
    *out = NULL;
    if (max_batch < 1 || T < 1)
        return lrnn_fail(LRNN_ERR_ARG, "LINT workspace: batch (%zu) and steps (%zu) must be >= 1",
                         max_batch, T);
    lint_dims d = lint_dims_of(rnn);
    size_t B = max_batch, N = d.N;
    double cells = (double)(T + 1) * (double)B * (double)N;
    if (cells * 3.0 * sizeof(double) > 64e9)
        return lrnn_fail(LRNN_ERR_NOMEM,
                         "LINT workspace: %zu steps x %zu trials x %zu units is "
                         "too large",
                         T, B, N);
    lrnn_lint_work *w = calloc(1, sizeof *w);
    if (!w) return lrnn_fail(LRNN_ERR_NOMEM, "LINT workspace: out of memory");
    w->d = d, w->Bmax = B, w->T = T;
    int fail = 0;
    size_t O = d.O, R = d.R ? d.R : 1, U = d.U;
    w->X = alloc_d((T + 1) * B * N, &fail);
    w->Rt = alloc_d((T + 1) * B * N, &fail);
    w->P = alloc_d(T * B * N, &fail);
    w->Y = alloc_d(d.identity ? 1 : T * B * O, &fail);
    w->G = alloc_d(d.identity ? 1 : T * B * O, &fail);
    w->K = alloc_d(T * B * R, &fail);
    w->A = alloc_d(T * B * R, &fail);
    w->Uin = alloc_d(T * B * U, &fail);
    w->Win = alloc_d(U * N, &fail);
    w->Wout = alloc_d(d.identity ? 1 : N * O, &fail);
    w->gW = alloc_d(U * N > N * O ? U * N : N * O, &fail);
    w->gr = alloc_d(B * N, &fail);
    w->gp = alloc_d(B * N, &fail);
    w->nT = alloc_d(R * N, &fail);
    w->mT = alloc_d(R * N, &fail);
    w->wt = alloc_d(B, &fail);
    w->gacc = alloc_d((2 * R + U) * N, &fail);
    w->gsum = alloc_d(rnn->layout.total, &fail);
    w->idx = malloc(2 * B * sizeof *w->idx); /* the batch's indices, then a chunk's */
    w->rng = malloc(B * sizeof *w->rng);
    if (fail || !w->idx || !w->rng) {
        lrnn_lint_work_free(w);
        return lrnn_fail(LRNN_ERR_NOMEM,
                         "LINT workspace: out of memory (%zu steps x %zu trials "
                         "x %zu units)",
                         T, B, N);
    }
    *out = w;
    return LRNN_OK;
}

lrnn_status lrnn_lint_work_set_single(lrnn_lint_work *w, bool single) {
    w->single_math = single;
    if (!single || w->d.low_rank) { /* low rank has no N x N product */
        w->single = 0;
        return LRNN_OK;
    }
    size_t N = w->d.N, BN = w->Bmax * N, T = w->T;
    if (!w->Rf) {
        w->Rf = malloc((T + 1) * BN * sizeof *w->Rf), w->Df = malloc(T * BN * sizeof *w->Df);
        w->Wf = malloc(N * N * sizeof *w->Wf), w->Sf = malloc(BN * sizeof *w->Sf);
        if (!w->Rf || !w->Df || !w->Wf || !w->Sf)
            return lrnn_fail(LRNN_ERR_NOMEM,
                             "LINT workspace: out of memory for the single-precision copies "
                             "(%zu steps x %zu trials x %zu units)",
                             T, w->Bmax, N);
    }
    w->single = 1;
    return LRNN_OK;
}

lrnn_status lint_work_targets_single(lrnn_lint_work *w, const lrnn_lint_rnn *rnn,
                                     const lrnn_lint_data *d) {
    lint_dims dm = lint_dims_of(rnn);
    if (!w->single_math || !dm.identity || !dm.low_rank || dm.R != 1 || !d->targets)
        return LRNN_OK;
    size_t n = d->trials * d->T * dm.N;
    float *f = realloc(w->tgf, n * sizeof *f);
    if (!f)
        return lrnn_fail(LRNN_ERR_NOMEM,
                         "LINT workspace: out of memory for a float copy of the targets (%zu)", n);
    lint_to_float(d->targets, f, n);
    w->tgf = f, w->tgf_of = d->targets;
    return LRNN_OK;
}

const double *lrnn_lint_work_states(const lrnn_lint_work *w) {
    return w->X;
}

const double *lrnn_lint_work_outputs(const lrnn_lint_work *w) {
    if (!w->d.identity) return w->Y;
    return w->psi_alias ? w->Rt + w->B * w->d.N : w->P;
}

static double mask_at(const lrnn_lint_data *d, size_t O, size_t trial, size_t t, size_t o) {
    if (!d->mask) return 1.0;
    return d->mask_per_output ? d->mask[(trial * d->T + t) * O + o] : d->mask[trial * d->T + t];
}

lrnn_status lrnn_lint_data_check(const lrnn_lint_rnn *rnn, const lrnn_lint_data *d) {
    lint_dims dm = lint_dims_of(rnn);
    if (!d || d->trials < 1 || d->T < 1)
        return lrnn_fail(LRNN_ERR_SHAPE,
                         "LINT data: need at least one trial and one step "
                         "(got %zu trials x %zu steps)",
                         d ? d->trials : 0, d ? d->T : 0);
    if (dm.U > 0 && !d->inputs)
        return lrnn_fail(LRNN_ERR_ARG,
                         "LINT data: the network has %zu inputs but no input "
                         "array was given",
                         dm.U);
    size_t n = d->trials * d->T;
    for (size_t i = 0; dm.U && i < n * dm.U; i++)
        if (!isfinite(d->inputs[i]))
            return lrnn_fail(LRNN_ERR_NUMERIC,
                             "LINT data: input (trial %zu, step %zu, channel "
                             "%zu) is %g",
                             i / (d->T * dm.U), i / dm.U % d->T, i % dm.U, d->inputs[i]);
    for (size_t i = 0; d->targets && i < n * dm.O; i++)
        if (!isfinite(d->targets[i]))
            return lrnn_fail(LRNN_ERR_NUMERIC,
                             "LINT data: target (trial %zu, step %zu, output "
                             "%zu) is %g",
                             i / (d->T * dm.O), i / dm.O % d->T, i % dm.O, d->targets[i]);
    size_t nm = d->mask_per_output ? n * dm.O : n;
    for (size_t i = 0; d->mask && i < nm; i++)
        if (!(d->mask[i] >= 0.0 && isfinite(d->mask[i])))
            return lrnn_fail(LRNN_ERR_NUMERIC,
                             "LINT data: mask element %zu is %g (must be "
                             "finite and >= 0)",
                             i, d->mask[i]);
    for (size_t j = 0; d->targets && j < d->trials; j++) {
        double s = 0.0;
        for (size_t t = 0; t < d->T; t++)
            s += mask_at(d, dm.O, j, t, 0);
        if (!(s > 0.0))
            return lrnn_fail(LRNN_ERR_ARG,
                             "LINT data: trial %zu has no unmasked step in output "
                             "0 (the loss normaliser sum_t M[t, 0] is 0, section 2)",
                             j);
    }
    for (size_t i = 0; d->x0 && i < d->trials * dm.N; i++)
        if (!isfinite(d->x0[i]))
            return lrnn_fail(LRNN_ERR_NUMERIC,
                             "LINT data: initial state (trial %zu, unit %zu) "
                             "is %g",
                             i / dm.N, i % dm.N, d->x0[i]);
    return LRNN_OK;
}

/* The terms of x_{t+1}, collected and added in passes of lint_comb_terms (64 at most a call):
 * out = keep prev + sum_k c_k row_k, left to right. */
typedef struct comb_terms {
    double keep;
    const double *prev;
    double *out;
    size_t N, k;
    double c[64];
    const double *row[64];
} comb_terms;

static void terms_flush(comb_terms *tm) {
    if (tm->k == 0 && tm->prev == tm->out) return;
    lint_comb_terms(tm->N, tm->keep, tm->prev, tm->k, tm->c, tm->row, tm->out);
    tm->keep = 1.0, tm->prev = tm->out, tm->k = 0;
}

static void terms_add(comb_terms *tm, double c, const double *row) {
    if (tm->k == 64) terms_flush(tm);
    tm->c[tm->k] = c, tm->row[tm->k++] = row;
}

/* Effective weights, transposed factors and the alias flag for this parameter block. */
static void prepare(lrnn_lint_work *w, const lrnn_lint_rnn *rnn) {
    const lint_dims *d = &w->d;
    size_t N = d->N, R = d->R, U = d->U, O = d->O;
    lrnn_lint_view v = lrnn_lint_view_of(&rnn->layout, rnn->theta);
    for (size_t k = 0; k < U; k++)
        for (size_t i = 0; i < N; i++)
            w->Win[k * N + i] = v.si[k] * v.wi[k * N + i];
    if (!d->identity)
        for (size_t i = 0; i < N; i++)
            for (size_t o = 0; o < O; o++)
                w->Wout[i * O + o] = v.wo[i * O + o] * v.so[o];
    if (d->low_rank) /* m^T and n^T (R x N) for row-wise expansions */
        for (size_t i = 0; i < N; i++)
            for (size_t r = 0; r < R; r++) {
                w->mT[r * N + i] = v.m[i * R + r];
                w->nT[r * N + i] = v.n[i * R + r];
            }
    int bzero = 1;
    for (size_t i = 0; i < N && bzero; i++)
        bzero = v.b[i] == 0.0;
    w->psi_alias = rnn->c.readout_rates || (rnn->c.psi == rnn->c.phi && bzero);
}

/* Pack the float wrec (w->Wf) for the forward and backward per-step products of B rows,
 * remaking the two products when B or the scale changed. */
static lrnn_status pack_products(lrnn_lint_work *w, size_t B, float scale) {
    size_t N = w->d.N;
    if (!w->pk_fwd || w->pk_B != B || w->pk_scale != scale) {
        packed_sgemm_free(w->pk_fwd), packed_sgemm_free(w->pk_bwd);
        w->pk_fwd = w->pk_bwd = NULL;
        lrnn_status s = packed_sgemm_create(&w->pk_fwd, B, N, N, true, scale);
        if (!s) s = packed_sgemm_create(&w->pk_bwd, B, N, N, false, scale);
        if (s) return s;
        w->pk_B = B, w->pk_scale = scale;
    }
    lrnn_status s = packed_sgemm_pack(w->pk_fwd, w->Wf);
    return s ? s : packed_sgemm_pack(w->pk_bwd, w->Wf);
}

lrnn_status lrnn_lint_forward(lrnn_lint_work *w, const lrnn_lint_rnn *rnn, const lrnn_lint_data *d,
                              const size_t *idx, size_t B, lrnn_lint_noise noise, double *loss) {
    const lint_dims *dm = &w->d;
    lint_dims dr = lint_dims_of(rnn);
    if (dr.N != dm->N || dr.R != dm->R || dr.U != dm->U || dr.O != dm->O ||
        dr.identity != dm->identity || dr.low_rank != dm->low_rank)
        return lrnn_fail(LRNN_ERR_ARG, "LINT forward: the workspace was made for another network "
                                       "shape");
    if (B < 1 || B > w->Bmax)
        return lrnn_fail(LRNN_ERR_ARG, "LINT forward: batch of %zu trials, workspace holds %zu", B,
                         w->Bmax);
    if (d->T != w->T)
        return lrnn_fail(LRNN_ERR_SHAPE, "LINT forward: data has %zu steps, workspace %zu", d->T,
                         w->T);
    if (dm->U > 0 && !d->inputs)
        return lrnn_fail(LRNN_ERR_ARG, "LINT forward: %zu inputs expected, no input array", dm->U);
    for (size_t b = 0; b < B; b++) {
        w->idx[b] = idx ? idx[b] : b;
        if (w->idx[b] >= d->trials)
            return lrnn_fail(LRNN_ERR_ARG,
                             "LINT forward: trial index %zu out of range (%zu "
                             "trials)",
                             w->idx[b], d->trials);
    }
    w->B = B;
    w->fresh = 1;
    w->have_targets = d->targets != NULL;
    prepare(w, rnn);
    size_t N = dm->N, R = dm->R, U = dm->U, O = dm->O, T = w->T, BN = B * N;
    double alpha = dm->alpha, sigma = rnn->c.noise_std;
    lrnn_lint_view v = lrnn_lint_view_of(&rnn->layout, rnn->theta);
    const double *bias = v.b;

    for (size_t t = 0; t < T; t++)
        for (size_t b = 0; b < B; b++)
            memcpy(w->Uin + (t * B + b) * U, d->inputs + (w->idx[b] * T + t) * U,
                   U * sizeof(double));
    for (size_t b = 0; b < B; b++) {
        const double *x0 = d->x0 ? d->x0 + w->idx[b] * N : v.h0;
        memcpy(w->X + b * N, x0, N * sizeof(double));
        if (sigma > 0.0)
            lrnn_rng_init(&w->rng[b], noise.seed, LRNN_RNG_SAMPLE, w->idx[b], noise.draw);
    }
    void (*act)(lrnn_lint_act, const double *, const double *, double *, size_t) =
        w->single_math ? lint_act_single : lint_act;
    act(rnn->c.phi, w->X, NULL, w->Rt, BN); /* r_0 = phi(x_0): no bias at t = 0 */
    if (w->single) {
        lint_to_float(v.wrec, w->Wf, N * N);
        lint_to_float(w->Rt, w->Rf, BN);
        lrnn_status s = pack_products(w, B, (float)(alpha * dm->c_rec));
        if (s) return s;
    }
    double *noise_row = w->gr;                   /* free until the backward pass */
    /* per-trial loss weights 1 / (B O sum_t M_bt0) (section 2), B the whole minibatch */
    double Bloss = (double)(w->Bloss ? w->Bloss : B);
    for (size_t b = 0; d->targets && b < B; b++) {
        double s = 0.0;
        for (size_t t = 0; t < T; t++)
            s += mask_at(d, O, w->idx[b], t, 0);
        if (!(s > 0.0))
            return lrnn_fail(LRNN_ERR_ARG, "LINT forward: trial %zu has no unmasked step",
                             w->idx[b]);
        w->wt[b] = 1.0 / (Bloss * (double)O * s);
    }
    /* kappa_t = c_rec n^T r_t, row by row while r_t is in L1 (kappa_0 here) */
    for (size_t b = 0; dm->low_rank && b < B; b++)
        for (size_t r = 0; r < R; r++)
            w->K[b * R + r] = dm->c_rec * lint_dot(w->Rt + b * N, w->nT + r * N, N);
    int fused_loss = dm->identity && d->targets && loss; /* else backward computes it */
    /* full rank in single precision with tanh: x_{t+1} and r_{t+1} of a row in one pass
     * (lint_forward_row_full) when its terms (leak, inputs, noise) fit one pass */
    int fwd_fused = w->single && !dm->low_rank && w->single_math &&
                    rnn->c.phi == LRNN_LINT_TANH && 1 + U + (sigma > 0.0) <= 4;
    double total = 0.0;

    for (size_t t = 0; t < T; t++) {
        const double *Xt = w->X + t * BN, *Rt = w->Rt + t * BN;
        double *Xn = w->X + (t + 1) * BN, *Rn = w->Rt + (t + 1) * BN;
        const double *Kt = w->K + t * B * R;
        if (!dm->low_rank && w->single) { /* the same product in float, added as double */
            lrnn_status s = packed_sgemm_run(w->pk_fwd, w->Rf + t * BN, w->Sf);
            if (s) return s;
            if (!fwd_fused) lint_to_double(w->Sf, Xn, BN);
        } else if (!dm->low_rank) { /* alpha c_rec wrec r_t, all trials: (B x N)(N x N)^T */
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)B, (int)N, (int)N,
                        alpha * dm->c_rec, Rt, (int)N, v.wrec, (int)N, 0.0, Xn, (int)N);
        }
        for (size_t b = 0; b < B; b++) {
            const double *x = Xt + b * N;
            double *xn = Xn + b * N, *rn = Rn + b * N;
            const double *u = w->Uin + (t * B + b) * U;
            /* x_{t+1} = (1 - alpha) x_t + alpha m kappa_t (low rank; full rank: the product
             * already in xn) + alpha W_in^T u_t + sigma xi_t, as terms of lint_comb_terms */
            comb_terms tm; /* fields set one by one: an initialiser zeroed its 1 KB arrays */
            tm.keep = 1.0 - alpha, tm.prev = x, tm.out = xn, tm.N = N, tm.k = 0;
            if (!dm->low_rank) {
                tm.keep = 1.0, tm.prev = xn;
                terms_add(&tm, 1.0 - alpha, x);
            }
            for (size_t r = 0; dm->low_rank && r < R; r++)
                terms_add(&tm, alpha * Kt[b * R + r], w->mT + r * N);
            for (size_t k = 0; k < U; k++)
                terms_add(&tm, alpha * u[k], w->Win + k * N);
            if (sigma > 0.0) {
                if (w->single_math)
                    lrnn_rng_normal_fill_single(&w->rng[b], noise_row, N);
                else
                    lrnn_rng_normal_fill(&w->rng[b], noise_row, N);
                terms_add(&tm, sigma, noise_row);
            }
            float *rf = w->single ? w->Rf + (t + 1) * BN + b * N : NULL;
            if (fwd_fused) { /* the product row, the terms, tanh and its float copy at once */
                lint_forward_row_full(N, w->Sf + b * N, tm.k, tm.c, tm.row, bias, xn, rn, rf);
            } else {
                terms_flush(&tm);
                act(rnn->c.phi, xn, bias, rn, N);
                if (rf) lint_to_float(rn, rf, N);
            }
            double *p = w->psi_alias ? rn : w->P + t * BN + b * N;
            if (!w->psi_alias) act(rnn->c.psi, xn, NULL, p, N);
            if (dm->low_rank && t + 1 < T)
                for (size_t r = 0; r < R; r++)
                    w->K[((t + 1) * B + b) * R + r] = dm->c_rec * lint_dot(rn, w->nT + r * N, N);
            if (fused_loss) { /* y_t = p (identity readout), O = N */
                size_t j = w->idx[b];
                const double *tg = d->targets + (j * T + t) * N;
                double e;
                if (!d->mask) {
                    e = lint_sqerr(p, tg, NULL, N);
                } else if (d->mask_per_output) {
                    e = lint_sqerr(p, tg, d->mask + (j * T + t) * N, N);
                } else {
                    double mk = d->mask[j * T + t];
                    e = mk == 0.0 ? 0.0 : mk * mk * lint_sqerr(p, tg, NULL, N);
                }
                total += e * w->wt[b];
            }
        }
    }
    /* readout features of y_t: r_{t+1} (aliased) or psi(x_{t+1}), T x B x N */
    const double *Pall = w->psi_alias ? w->Rt + BN : w->P;
    /* one output (the tasks' usual case): a matrix-vector product; dgemm would copy all of Pall */
    if (!dm->identity && O == 1)
        cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)(T * B), (int)N, dm->c_out, Pall, (int)N,
                    w->Wout, 1, 0.0, w->Y, 1);
    else if (!dm->identity)
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)(T * B), (int)O, (int)N,
                    dm->c_out, Pall, (int)N, w->Wout, (int)O, 0.0, w->Y, (int)O);
    if (!d->targets) {
        if (loss) *loss = NAN;
        return LRNN_OK;
    }
    /* section 2: loss = (1/B) sum_b sum_t mean_o (M (Y - y))^2 / sum_t M_bt0 */
    for (size_t b = 0; !dm->identity && loss && b < B; b++) {
        size_t j = w->idx[b];
        double acc = 0.0;
        for (size_t t = 0; t < T; t++) {
            const double *y = w->Y + (t * B + b) * O, *tg = d->targets + (j * T + t) * O;
            if (!d->mask) {
                acc += lint_sqerr(y, tg, NULL, O);
            } else if (d->mask_per_output) {
                acc += lint_sqerr(y, tg, d->mask + (j * T + t) * O, O);
            } else {
                double mk = d->mask[j * T + t];
                acc += mk * mk * lint_sqerr(y, tg, NULL, O);
            }
        }
        total += acc * w->wt[b];
    }
    if (loss) *loss = total;
    if (!isfinite(total))
        return lrnn_fail(LRNN_ERR_NUMERIC, "LINT forward: loss is %g (the network diverged)",
                         total);
    return LRNN_OK;
}

lrnn_status lrnn_lint_simulate(const lrnn_lint_rnn *rnn, const double *inputs, const double *x0,
                               size_t trials, size_t T, lrnn_lint_noise noise, double *states,
                               double *outputs) {
    lint_dims dm = lint_dims_of(rnn);
    if (trials < 1 || T < 1)
        return lrnn_fail(LRNN_ERR_ARG,
                         "LINT simulate: need trials and steps >= 1 (got %zu x "
                         "%zu)",
                         trials, T);
    size_t chunk = trials < 64 ? trials : 64, N = dm.N, O = dm.O;
    lrnn_lint_work *w = NULL;
    lrnn_status s = lrnn_lint_work_create(rnn, chunk, T, &w);
    if (s) return s;
    size_t *idx = malloc(chunk * sizeof *idx);
    if (!idx) {
        lrnn_lint_work_free(w);
        return lrnn_fail(LRNN_ERR_NOMEM, "LINT simulate: out of memory");
    }
    lrnn_lint_data d = {.trials = trials, .T = T, .inputs = inputs, .x0 = x0};
    for (size_t first = 0; first < trials && !s; first += chunk) {
        size_t B = trials - first < chunk ? trials - first : chunk;
        for (size_t b = 0; b < B; b++)
            idx[b] = first + b;
        s = lrnn_lint_forward(w, rnn, &d, idx, B, noise, NULL);
        if (s) break;
        const double *Xs = lrnn_lint_work_states(w), *Ys = lrnn_lint_work_outputs(w);
        for (size_t b = 0; b < B; b++) {
            for (size_t t = 0; states && t <= T; t++)
                memcpy(states + ((first + b) * (T + 1) + t) * N, Xs + (t * B + b) * N,
                       N * sizeof(double));
            for (size_t t = 0; outputs && t < T; t++)
                memcpy(outputs + ((first + b) * T + t) * O, Ys + (t * B + b) * O,
                       O * sizeof(double));
        }
    }
    free(idx);
    lrnn_lint_work_free(w);
    return s;
}
