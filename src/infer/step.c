/* Transition and observation layers over the K particles of one trial, forward and backward.
 * Products with m, n and B go through BLAS (K x N x R blocks); elementwise passes are fused. */
#include <math.h>
#include <string.h>

#include <cblas.h>

#include "infer/smc_internal.h"

/* A (rows x cols) = B (rows x inner) C^T + beta A, with C cols x inner. */
static void gemm_nt(size_t rows, size_t cols, size_t inner, const double *B, const double *C,
                    double beta, double *A) {
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, (int)cols, (int)inner, 1.0,
                B, (int)inner, C, (int)inner, beta, A, (int)cols);
}

/* A (rows x cols) = B (rows x inner) C + beta A, with C inner x cols. */
static void gemm_nn(size_t rows, size_t cols, size_t inner, const double *B, const double *C,
                    double beta, double *A) {
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)rows, (int)cols, (int)inner, 1.0,
                B, (int)inner, C, (int)cols, beta, A, (int)cols);
}

/* A (rows x cols) += B^T C, with B inner x rows and C inner x cols. */
static void gemm_tn_acc(size_t rows, size_t cols, size_t inner, const double *B, const double *C,
                        double *A) {
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)rows, (int)cols, (int)inner, 1.0, B,
                (int)rows, C, (int)cols, 1.0, A, (int)cols);
}

/* Xc = Z m^T + cin (broadcast over rows). */
static void currents(const smc_pass *pass, size_t K, const double *Z, const double *cin,
                     double *Xc) {
    size_t N = pass->N;
    gemm_nt(K, N, pass->R, Z, pass->p.m, 0.0, Xc);
    if (cin)
        for (size_t k = 0; k < K; k++) {
            double *restrict row = Xc + k * N;
            for (size_t i = 0; i < N; i++) row[i] += cin[i];
        }
}

static void activation_rows(lrnn_activation act, size_t count, size_t N, const double *restrict h,
                            const double *restrict x, double *restrict phi) {
    for (size_t r = 0; r < count; r++, x += N, phi += N) switch (act) {
        case LRNN_ACT_RELU:
            for (size_t i = 0; i < N; i++) phi[i] = (x[i] - h[i] > 0.0) * (x[i] - h[i]);
            break;
        case LRNN_ACT_CLIPPED_RELU:
            for (size_t i = 0; i < N; i++)
                phi[i] = (x[i] + h[i] > 0.0) * (x[i] + h[i]) - (x[i] > 0.0) * x[i];
            break;
        case LRNN_ACT_TANH:
            for (size_t i = 0; i < N; i++) phi[i] = tanh(x[i] - h[i]);
            break;
        case LRNN_ACT_IDENTITY:
            for (size_t i = 0; i < N; i++) phi[i] = x[i] - h[i];
            break;
        }
}

/* In place: G <- G . dphi/dx; hbar += G_in . dphi/dh (per row, summed). */
static void activation_backward_rows(lrnn_activation act, size_t count, size_t N,
                                     const double *restrict h, const double *restrict x,
                                     const double *restrict phi, double *restrict G,
                                     double *restrict hbar) {
    for (size_t r = 0; r < count; r++, x += N, phi += N, G += N) switch (act) {
        case LRNN_ACT_RELU: /* phi = relu(x - h): d/dx = 1[x > h], d/dh = -1[x > h] */
            for (size_t i = 0; i < N; i++) {
                double on = x[i] - h[i] > 0.0;
                G[i] *= on;
                hbar[i] -= G[i];
            }
            break;
        case LRNN_ACT_CLIPPED_RELU: /* relu(x+h) - relu(x): d/dx = 1[x+h>0] - 1[x>0], d/dh = 1[x+h>0] */
            for (size_t i = 0; i < N; i++) {
                double upper = x[i] + h[i] > 0.0, lower = x[i] > 0.0;
                hbar[i] += G[i] * upper;
                G[i] *= upper - lower;
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

void smc_transition_forward(const smc_pass *pass, size_t K, const double *Z, const double *cin,
                            double *Xc, double *Phi, double *Mu) {
    size_t R = pass->R, N = pass->N;
    currents(pass, K, Z, cin, Xc);
    activation_rows(pass->c->activation, K, N, pass->p.h, Xc, Phi);
    for (size_t k = 0; k < K; k++)
        for (size_t r = 0; r < R; r++) Mu[k * R + r] = pass->d.a[r] * Z[k * R + r];
    gemm_nt(K, R, N, Phi, pass->p.n, 1.0, Mu); /* + Phi n^T */
}

void smc_transition_backward(const smc_pass *pass, size_t K, const double *Z, const double *Xc,
                             const double *Phi, const double *Mubar, double *Zbar,
                             double *cinbar, smc_adjoint *adj, double *work) {
    size_t R = pass->R, N = pass->N;
    lrnn_param_view g = lrnn_param_view_of(&pass->model->layout, adj->grad);
    gemm_tn_acc(R, N, K, Mubar, Phi, g.n); /* nbar += Mubar^T Phi */
    for (size_t k = 0; k < K; k++)
        for (size_t r = 0; r < R; r++) adj->abar[r] += Mubar[k * R + r] * Z[k * R + r];
    gemm_nn(K, N, R, Mubar, pass->p.n, 0.0, work); /* d mu / d phi: Mubar n */
    activation_backward_rows(pass->c->activation, K, N, pass->p.h, Xc, Phi, work, g.h);
    gemm_tn_acc(N, R, K, work, Z, g.m); /* mbar += Xbar^T Z */
    for (size_t k = 0; k < K; k++)
        for (size_t r = 0; r < R; r++) Zbar[k * R + r] = pass->d.a[r] * Mubar[k * R + r];
    gemm_nn(K, R, N, work, pass->p.m, 1.0, Zbar); /* + Xbar m */
    if (cinbar)
        for (size_t k = 0; k < K; k++)
            for (size_t i = 0; i < N; i++) cinbar[i] += work[k * N + i];
}

static double nonlin_derivative(lrnn_obs_nonlin g, double pre) {
    switch (g) {
    case LRNN_G_IDENTITY: return 1.0;
    case LRNN_G_EXP: return exp(pre);
    case LRNN_G_RELU: return pre > 0.0 ? 1.0 : 0.0;
    case LRNN_G_SOFTPLUS: return 1.0 / (1.0 + exp(-pre)); /* sigmoid */
    }
    return 1.0;
}

/* Pre-nonlinearity readout (K x X); for one-to-one also leaves currents in work (K x N). */
static void readout_pre(const smc_pass *pass, size_t K, const double *Z, const double *cin,
                        const double *v, double *Pre, double *work) {
    const lrnn_model_config *c = pass->c;
    const lrnn_param_view *p = &pass->p;
    size_t R = pass->R, X = pass->X, U = pass->U;
    if (c->readout == LRNN_READOUT_AFFINE) {
        size_t dv = c->readout_from == LRNN_FROM_Z_AND_V ? U : 0;
        for (size_t k = 0; k < K; k++) {
            memcpy(Pre + k * X, p->bias_obs, X * sizeof *Pre);
            for (size_t j = 0; j < dv; j++)
                for (size_t i = 0; i < X; i++) Pre[k * X + i] += p->B_obs[j * X + i] * v[j];
        }
        gemm_nn(K, X, R, Z, p->B_obs + dv * X, 1.0, Pre);
        return;
    }
    currents(pass, K, Z, cin, work);
    const double *f = work;
    for (size_t k = 0; k < K; k++)
        for (size_t i = 0; i < X; i++) {
            double x = f[k * X + i];
            if (c->readout_from == LRNN_FROM_RATES) x = lrnn_activation_apply(c->activation, x, p->h[i]);
            Pre[k * X + i] = p->B_obs[i] * x + p->bias_obs[i];
        }
}

void smc_observation_forward(const smc_pass *pass, size_t K, const double *Z, const double *cin,
                             const double *v, double *Yhat, double *work) {
    readout_pre(pass, K, Z, cin, v, Yhat, work);
    for (size_t i = 0; i < K * pass->X; i++) Yhat[i] = lrnn_obs_nonlin_apply(pass->c->obs_nonlin, Yhat[i]);
}

void smc_observation_backward(const smc_pass *pass, size_t K, const double *Z, const double *cin,
                              const double *v, const double *Yhatbar, double *Zbar,
                              double *cinbar, double *vbar, smc_adjoint *adj, double *work,
                              double *work2) {
    const lrnn_model_config *c = pass->c;
    const lrnn_param_view *p = &pass->p;
    lrnn_param_view g = lrnn_param_view_of(&pass->model->layout, adj->grad);
    size_t R = pass->R, X = pass->X, U = pass->U, N = pass->N;
    double *Prebar = work2;
    readout_pre(pass, K, Z, cin, v, Prebar, work);
    for (size_t i = 0; i < K * X; i++) Prebar[i] = Yhatbar[i] * nonlin_derivative(c->obs_nonlin, Prebar[i]);
    for (size_t k = 0; k < K; k++)
        for (size_t i = 0; i < X; i++) g.bias_obs[i] += Prebar[k * X + i];
    if (c->readout == LRNN_READOUT_AFFINE) {
        size_t dv = c->readout_from == LRNN_FROM_Z_AND_V ? U : 0;
        const double *Bz = p->B_obs + dv * X;
        gemm_tn_acc(R, X, K, Z, Prebar, g.B_obs + dv * X); /* Bz_bar += Z^T Prebar */
        gemm_nt(K, R, X, Prebar, Bz, 1.0, Zbar);            /* Zbar += Prebar Bz^T */
        for (size_t k = 0; k < K; k++)
            for (size_t j = 0; j < dv; j++)
                for (size_t i = 0; i < X; i++) {
                    g.B_obs[j * X + i] += v[j] * Prebar[k * X + i];
                    vbar[j] += p->B_obs[j * X + i] * Prebar[k * X + i];
                }
        return;
    }
    /* One-to-one: pre = B . f + b, f = x or phi(x; h), x = m z + cin (work holds x). */
    for (size_t k = 0; k < K; k++)
        for (size_t i = 0; i < X; i++) {
            double x = work[k * N + i], f = x;
            if (c->readout_from == LRNN_FROM_RATES) f = lrnn_activation_apply(c->activation, x, p->h[i]);
            g.B_obs[i] += Prebar[k * X + i] * f;
            Prebar[k * X + i] *= p->B_obs[i]; /* now fbar */
        }
    if (c->readout_from == LRNN_FROM_RATES) {
        /* rates need phi at the currents: reuse the activation backward on a copy of phi */
        for (size_t k = 0; k < K; k++) {
            double *x = work + k * N;
            double phi[1];
            for (size_t i = 0; i < X; i++) {
                phi[0] = lrnn_activation_apply(c->activation, x[i], p->h[i]);
                activation_backward_rows(c->activation, 1, 1, p->h + i, x + i, phi,
                                         Prebar + k * X + i, g.h + i);
            }
        }
    }
    gemm_tn_acc(N, R, K, Prebar, Z, g.m); /* mbar += Xbar^T Z */
    gemm_nn(K, R, N, Prebar, p->m, 1.0, Zbar);
    if (cinbar)
        for (size_t k = 0; k < K; k++)
            for (size_t i = 0; i < N; i++) cinbar[i] += Prebar[k * N + i];
}
