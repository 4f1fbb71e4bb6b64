/* Transition and observation layers over the K particles of one trial, forward and backward.
 *
 * The transition goes to the kernels of kernels.h (picked per CPU by smc_pass_alloc). The
 * readout runs row by row (one particle at a time, its X channels contiguous) with the row
 * kernels of rows.h. The products with m, n and B have inner or outer dimension R (2 to 4),
 * where a BLAS dgemm spends its time packing; unit-stride loops with the R terms unrolled run
 * at the machine's vector rate instead. */
#include <math.h>
#include <string.h>

#include "core/vmath.h"
#include "infer/rows.h"
#include "infer/smc_internal.h"

/* In place: G <- G . dphi/dx; hbar += G_in . dphi/dh (per row, summed). */
ROWS_INLINE void activation_backward_rows(lrnn_activation act, size_t count, size_t N,
                                          const double *restrict h, const double *restrict x,
                                          const double *restrict phi, double *restrict G,
                                          double *restrict hbar) {
    for (size_t r = 0; r < count; r++, x += N, phi += N, G += N) switch (act) {
        case LRNN_ACT_RELU: /* phi = relu(x - h): d/dx = 1[x > h], d/dh = -1[x > h] */
            for (size_t i = 0; i < N; i++) {
                double on = x[i] - h[i] > 0.0 ? G[i] : 0.0;
                G[i] = on;
                hbar[i] -= on;
            }
            break;
        case LRNN_ACT_CLIPPED_RELU: /* relu(x+h) - relu(x): d/dx = 1[x+h>0] - 1[x>0], d/dh = 1[x+h>0] */
            for (size_t i = 0; i < N; i++) {
                double upper = x[i] + h[i] > 0.0 ? G[i] : 0.0, lower = x[i] > 0.0 ? G[i] : 0.0;
                hbar[i] += upper;
                G[i] = upper - lower;
            }
            break;
        case LRNN_ACT_TANH: /* d/dx = 1 - phi^2 = -d/dh */
            for (size_t i = 0; i < N; i++) {
                G[i] *= 1.0 - phi[i] * phi[i];
                hbar[i] -= G[i];
            }
            break;
        case LRNN_ACT_IDENTITY:
            for (size_t i = 0; i < N; i++) hbar[i] -= G[i];
            break;
        }
}

void smc_units_load(const smc_pass *pass, double *table) {
    const smc_kparams *kp = &pass->kp;
    size_t R = kp->R, S = kp->S, params = (2 * R + 1) * S;
    memcpy(table, kp->mT, params * sizeof *table); /* m^T, n, h are adjacent in the pass */
    memset(table + params, 0, params * sizeof *table);
}

void smc_units_fold(const smc_pass *pass, const double *table, smc_adjoint *adj) {
    const lrnn_param_view g = adj->g;
    size_t R = pass->R, N = pass->N, S = pass->kp.S;
    const double *nbar = table + (2 * R + 1) * S, *mTbar = nbar + R * S, *hbar = mTbar + R * S;
    for (size_t r = 0; r < R; r++)
        for (size_t i = 0; i < N; i++) {
            g.n[r * N + i] += nbar[r * S + i];
            g.m[i * R + r] += mTbar[r * S + i];
        }
    for (size_t i = 0; i < N; i++) g.h[i] += hbar[i];
}

void smc_transition_forward(const smc_pass *pass, const double *table, size_t K, const double *Z,
                            const double *cin, double *Mu) {
    pass->kern.forward(&pass->kp, table, K, Z, cin, Mu);
}

void smc_transition_backward(const smc_pass *pass, double *table, size_t K, const double *Z,
                             const double *cin, const double *Mubar, double *Zbar,
                             double *cinbar, smc_adjoint *adj) {
    pass->kern.backward(&pass->kp, table, K, Z, cin, Mubar, Zbar, cinbar, adj->abar);
}

/* Output nonlinearity g over n values in place (lrnn_obs_nonlin_apply, with the exponentials
 * and logarithms of whole arrays at once). tmp: n. */
/* (always inlined, as readout_pre: compiled inside each instance of the callers) */
ROWS_INLINE void nonlin_forward(lrnn_obs_nonlin g, size_t n, double *restrict y,
                                double *restrict tmp) {
    switch (g) {
    case LRNN_G_IDENTITY: return;
    case LRNN_G_EXP:
        vm_exp(n, y, y);
        for (size_t i = 0; i < n; i++) y[i] += LRNN_G_FLOOR_EXP_RELU;
        return;
    case LRNN_G_RELU:
        for (size_t i = 0; i < n; i++) y[i] = (y[i] > 0.0 ? y[i] : 0.0) + LRNN_G_FLOOR_EXP_RELU;
        return;
    case LRNN_G_SOFTPLUS: /* max(y, 0) + log1p(exp(-|y|)): no overflow */
        for (size_t i = 0; i < n; i++) tmp[i] = -fabs(y[i]);
        vm_exp(n, tmp, tmp);
        vm_log1p(n, tmp, tmp);
        for (size_t i = 0; i < n; i++)
            y[i] = (y[i] > 0.0 ? y[i] : 0.0) + tmp[i] + LRNN_G_FLOOR_SOFTPLUS;
        return;
    }
}

/* In place: Pre <- Ybar . g'(Pre) over n values. */
ROWS_INLINE void nonlin_backward(lrnn_obs_nonlin g, size_t n, const double *restrict Ybar,
                                 double *restrict Pre) {
    switch (g) {
    case LRNN_G_IDENTITY:
        memcpy(Pre, Ybar, n * sizeof *Pre);
        return;
    case LRNN_G_EXP:
        vm_exp(n, Pre, Pre);
        for (size_t i = 0; i < n; i++) Pre[i] *= Ybar[i];
        return;
    case LRNN_G_RELU:
        for (size_t i = 0; i < n; i++) Pre[i] = Pre[i] > 0.0 ? Ybar[i] : 0.0;
        return;
    case LRNN_G_SOFTPLUS: /* sigmoid(pre) = 1 / (1 + exp(-pre)) */
        for (size_t i = 0; i < n; i++) Pre[i] = -Pre[i];
        vm_exp(n, Pre, Pre);
        for (size_t i = 0; i < n; i++) Pre[i] = Ybar[i] / (1.0 + Pre[i]);
        return;
    }
}

/* The readout's offset at one step when it is affine in z (pass->affine): base = b + C_v v
 * (C_v = B_v^T for an affine readout from [v; z], diag(B) W_u for one-to-one from currents). */
ROWS_INLINE void affine_base(const smc_pass *pass, const double *v, double *restrict base) {
    size_t X = pass->X, U = pass->U;
    const double *restrict Cv = pass->Cv;
    memcpy(base, pass->p.bias_obs, X * sizeof *base);
    if (Cv && v)
        for (size_t i = 0; i < X; i++)
            for (size_t j = 0; j < U; j++) base[i] += Cv[i * U + j] * v[j];
}

/* Pre-nonlinearity readout over K rows (any readout), rows of Z given. Affine in z (affine
 * readouts, one-to-one from currents): Pre = H z + base, H^T (R x X, the layout rows_combine
 * takes) from pass.c. One-to-one from rates: Pre = B . phi(x; h) + b with the currents
 * x = m z + cin left in work (K x N). */
ROWS_INLINE void readout_rows(size_t R, const smc_pass *pass, size_t K, const double *Z,
                              const double *cin, const double *v, double *Pre, double *work) {
    const lrnn_model_config *c = pass->c;
    const lrnn_param_view *p = &pass->p;
    size_t X = pass->X, N = pass->N;
    if (pass->affine) {
        double *base = work; /* the same for every particle */
        affine_base(pass, v, base);
        for (size_t k = 0; k < K; k++) rows_combine(R, X, Z + k * R, pass->HT, base, Pre + k * X);
        return;
    }
    for (size_t k = 0; k < K; k++) {
        double *x = work + k * N, *pre = Pre + k * X;
        rows_combine(R, N, Z + k * R, pass->mT, cin, x);
        for (size_t i = 0; i < X; i++)
            pre[i] = p->B_obs[i] * lrnn_activation_apply(c->activation, x[i], p->h[i]) +
                     p->bias_obs[i];
    }
}

ROWS_INLINE void readout_pre(const smc_pass *pass, size_t K, const double *Z,
                             const double *cin, const double *v, double *Pre, double *work) {
    BY_RANK(pass->R, readout_rows, pass, K, Z, cin, v, Pre, work);
}

SMC_CLONES
void smc_observation_forward(const smc_pass *pass, size_t K, const double *Z, const double *cin,
                             const double *v, double *Yhat, double *work) {
    readout_pre(pass, K, Z, cin, v, Yhat, work);
    nonlin_forward(pass->c->obs_nonlin, K * pass->X, Yhat, work); /* the currents are done */
}

/* Backward of the readout given the adjoint om_k Prebar_k of row k (om NULL: 1; Prebar K x X,
 * overwritten from rates; rows_affine_adjoint scales on the fly). Affine in z: H^T bar
 * (adj->HbarT) += z Prebar^T, Zbar += H Prebar, and through s = sum_k Prebar_k: b bar += s,
 * C_v bar += s v^T, vbar += C_v^T s (pass.c maps H and C_v back to their parameters).
 * work: X (affine) or the currents of readout_rows (rates). */
ROWS_INLINE void readout_rows_backward(size_t R, const smc_pass *pass, size_t K,
                                       const double *Z, const double *v, const double *om,
                                       double *Prebar, double *Zbar, double *cinbar,
                                       double *vbar, smc_adjoint *adj, double *work) {
    const lrnn_model_config *c = pass->c;
    const lrnn_param_view *p = &pass->p;
    const lrnn_param_view g = adj->g;
    size_t X = pass->X, U = pass->U, N = pass->N, XP = pass->kp.XP;
    double zbar[64]; /* R <= 64 (lrnn_smc_params_check) */
    if (pass->affine) {
        double *restrict s = work;
        memset(s, 0, X * sizeof *s);
        for (size_t k = 0; k < K; k++) {
            rows_affine_adjoint(R, X, XP, om ? om[k] : 1.0, Prebar + k * X, Z + k * R,
                                pass->HT, s, adj->HbarT, zbar);
            for (size_t r = 0; r < R; r++) Zbar[k * R + r] += zbar[r];
        }
        for (size_t i = 0; i < X; i++) g.bias_obs[i] += s[i];
        if (pass->Cv && v)
            for (size_t i = 0; i < X; i++)
                for (size_t j = 0; j < U; j++) {
                    adj->Cvbar[i * U + j] += s[i] * v[j];
                    vbar[j] += pass->Cv[i * U + j] * s[i];
                }
        return;
    }
    /* One-to-one from rates: pre = B . phi(x; h) + b, x = m z + cin (work holds x). */
    double *restrict gB = g.B_obs, *restrict gb = g.bias_obs;
    const double *restrict B = p->B_obs;
    for (size_t k = 0; k < K; k++) {
        const double *restrict x = work + k * N;
        double *restrict pb = Prebar + k * X;
        if (om)
            for (size_t i = 0; i < X; i++) pb[i] *= om[k];
        for (size_t i = 0; i < X; i++) { /* xbar = phi'(x) B pb, hbar += dphi/dh B pb */
            double phi = lrnn_activation_apply(c->activation, x[i], p->h[i]);
            gb[i] += pb[i];
            gB[i] += pb[i] * phi;
            pb[i] *= B[i];
            activation_backward_rows(c->activation, 1, 1, p->h + i, x + i, &phi, pb + i,
                                     g.h + i);
        }
        rows_outer_acc(R, N, N, Z + k * R, pb, adj->mbarT); /* m^T bar += z xbar^T */
        rows_project(R, N, pb, pass->mT, zbar);             /* zbar += m^T xbar */
        for (size_t r = 0; r < R; r++) Zbar[k * R + r] += zbar[r];
        if (cinbar)
            for (size_t i = 0; i < N; i++) cinbar[i] += pb[i];
    }
}

SMC_CLONES
void smc_observation_backward(const smc_pass *pass, size_t K, const double *Z, const double *cin,
                              const double *v, const double *Yhatbar, double *Zbar,
                              double *cinbar, double *vbar, smc_adjoint *adj, double *work,
                              double *work2) {
    lrnn_obs_nonlin gfun = pass->c->obs_nonlin;
    double *Prebar = work2;
    size_t KX = K * pass->X;
    if (gfun == LRNN_G_IDENTITY && pass->affine) {
        memcpy(Prebar, Yhatbar, KX * sizeof *Prebar); /* g' = 1 and no currents needed */
    } else {
        /* pre for g'(pre), and from rates the currents x in work */
        readout_pre(pass, K, Z, cin, v, Prebar, work);
        nonlin_backward(gfun, KX, Yhatbar, Prebar);
    }
    BY_RANK(pass->R, readout_rows_backward, pass, K, Z, v, NULL, Prebar, Zbar, cinbar, vbar,
            adj, work);
}

/* Poisson observations of K particles at one step (spec 2.3): the rates yhat = g(pre) + floor
 * (lrnn_obs_nonlin_apply's floors), the log-likelihoods
 *     lw_k = sum_i [y_i log yhat_ki - yhat_ki - lgamma(y_i + 1)]   (observed channels),
 * and for the backward their slopes Q_ki = d lw_k / d pre_ki = g'(pre_ki) (y_i / yhat_ki - 1)
 * (0 on unobserved channels), so that the backward needs no exponential and no division.
 * The log is taken only of the rates of channels with counts (gathered, one vm_log call).
 * Softplus: yhat = max(pre, 0) + log1p(e) with e = exp(-|pre|), whose slope
 * (pre > 0 ? 1 : e) / (1 + e) shares one division with 1 / yhat. */
SMC_CLONES
void smc_poisson_forward(const smc_pass *pass, size_t K, const double *Z, const double *cin,
                         const double *v, const smc_poisson_step *st, double *lw, double *work,
                         double *work2) {
    lrnn_obs_nonlin gfun = pass->c->obs_nonlin;
    size_t X = pass->X, KX = K * X, nz = 0;
    const double *restrict y = st->y;
    const uint8_t *obs = st->obs;
    size_t *chan = st->chan;
    double cst = 0.0;
    for (size_t i = 0; i < X; i++) {
        if (obs && !obs[i]) continue;
        bool small_count = y[i] == floor(y[i]) && y[i] >= 0.0 && y[i] < SMC_LOG_FACTORIALS;
        cst += small_count ? pass->log_factorial[(int)y[i]] : lgamma(y[i] + 1.0);
        if (y[i] > 0.0) chan[nz++] = i;
    }
    /* The tape row Q is written once, by the last loop (it is cold: a write allocates). */
    double *restrict Pre = work2, *restrict E = st->scratch, *restrict tmp = work;
    readout_pre(pass, K, Z, cin, v, Pre, work);
    if (gfun == LRNN_G_SOFTPLUS) { /* E holds e, tmp log1p(e) */
        for (size_t i = 0; i < KX; i++) E[i] = -fabs(Pre[i]);
        vm_exp(KX, E, E);
        vm_log1p(KX, E, tmp);
    } else if (gfun == LRNN_G_EXP) {
        vm_exp(KX, Pre, E); /* exp(pre) */
    }
    for (size_t k = 0; k < K; k++) { /* Pre becomes the rates */
        double *restrict pre = Pre + k * X, *restrict q = st->Q + k * X;
        const double *restrict l1p = tmp + k * X, *restrict ek = E + k * X;
        switch (gfun) {
        case LRNN_G_SOFTPLUS:
            for (size_t i = 0; i < X; i++) {
                double x = pre[i], e = ek[i];
                double rate = (x > 0.0 ? x : 0.0) + l1p[i] + LRNN_G_FLOOR_SOFTPLUS;
                pre[i] = rate;
                q[i] = (x > 0.0 ? 1.0 : e) * (y[i] - rate) / ((1.0 + e) * rate);
            }
            break;
        case LRNN_G_EXP:
            for (size_t i = 0; i < X; i++) {
                double rate = ek[i] + LRNN_G_FLOOR_EXP_RELU;
                pre[i] = rate;
                q[i] = ek[i] * (y[i] / rate - 1.0);
            }
            break;
        case LRNN_G_RELU:
            for (size_t i = 0; i < X; i++) {
                double x = pre[i], rate = (x > 0.0 ? x : 0.0) + LRNN_G_FLOOR_EXP_RELU;
                pre[i] = rate;
                q[i] = x > 0.0 ? y[i] / rate - 1.0 : 0.0;
            }
            break;
        case LRNN_G_IDENTITY:
            for (size_t i = 0; i < X; i++) q[i] = y[i] / pre[i] - 1.0;
            break;
        }
        if (obs)
            for (size_t i = 0; i < X; i++) q[i] = obs[i] ? q[i] : 0.0;
    }
    double *restrict logs = work;
    for (size_t k = 0; k < K; k++)
        for (size_t j = 0; j < nz; j++) logs[k * nz + j] = Pre[k * X + chan[j]];
    vm_log(K * nz, logs, logs);
    for (size_t k = 0; k < K; k++) {
        const double *rate = Pre + k * X, *lk = logs + k * nz;
        double acc = -cst;
        for (size_t i = 0; i < X; i++)
            if (!obs || obs[i]) acc -= rate[i];
        for (size_t j = 0; j < nz; j++) acc += y[chan[j]] * lk[j];
        lw[k] = acc;
    }
}

/* Backward of sum_k om_k lw_k (smc_poisson_forward) through the readout: Prebar_k = om_k Q_k,
 * scaled row by row inside the readout's backward. */
SMC_CLONES
void smc_poisson_backward(const smc_pass *pass, size_t K, const double *Z, const double *cin,
                          const double *v, const smc_poisson_step *st, double *Zbar,
                          double *cinbar, double *vbar, smc_adjoint *adj, double *work,
                          double *work2) {
    double *Prebar = st->Q;
    if (!pass->affine) { /* the currents in work; the rows are scaled in place: a copy */
        readout_pre(pass, K, Z, cin, v, work2, work);
        memcpy(work2, st->Q, K * pass->X * sizeof *work2);
        Prebar = work2;
    }
    BY_RANK(pass->R, readout_rows_backward, pass, K, Z, v, st->omega, Prebar, Zbar, cinbar,
            vbar, adj, work);
}
