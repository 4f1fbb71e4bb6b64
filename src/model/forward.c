/* Forward pieces of the generative model, batched over `rows` independent states.
 * The two products with m and n go through BLAS: strict IEEE order (no -ffast-math) keeps the
 * compiler from vectorising hand-written reductions, BLAS kernels are vectorised. */
#include <math.h>
#include <string.h>

#include <cblas.h>

#include "model/internal.h"

double lrnn_activation_apply(lrnn_activation act, double x, double h) {
    switch (act) {
    case LRNN_ACT_RELU: return x - h > 0.0 ? x - h : 0.0;
    case LRNN_ACT_CLIPPED_RELU: return (x + h > 0.0 ? x + h : 0.0) - (x > 0.0 ? x : 0.0);
    case LRNN_ACT_TANH: return tanh(x - h);
    case LRNN_ACT_IDENTITY: return x - h;
    }
    return 0.0;
}

double lrnn_obs_nonlin_apply(lrnn_obs_nonlin g, double y) {
    switch (g) {
    case LRNN_G_IDENTITY: return y;
    case LRNN_G_EXP: return exp(y) + LRNN_G_FLOOR_EXP_RELU;
    case LRNN_G_RELU: return (y > 0.0 ? y : 0.0) + LRNN_G_FLOOR_EXP_RELU;
    case LRNN_G_SOFTPLUS: /* log(1 + e^y) without overflow */
        return (y > 0.0 ? y + log1p(exp(-y)) : log1p(exp(y))) + LRNN_G_FLOOR_SOFTPLUS;
    }
    return y;
}

/* phi(x; h) over a row of N units, in place; the switch sits outside the loop so each case
 * vectorises. */
static void activation_row(lrnn_activation act, size_t N, const double *restrict h,
                           double *restrict x) {
    switch (act) {
    case LRNN_ACT_RELU:
        for (size_t i = 0; i < N; i++) x[i] = x[i] - h[i] > 0.0 ? x[i] - h[i] : 0.0;
        break;
    case LRNN_ACT_CLIPPED_RELU:
        for (size_t i = 0; i < N; i++)
            x[i] = (x[i] + h[i] > 0.0 ? x[i] + h[i] : 0.0) - (x[i] > 0.0 ? x[i] : 0.0);
        break;
    case LRNN_ACT_TANH:
        for (size_t i = 0; i < N; i++) x[i] = tanh(x[i] - h[i]);
        break;
    case LRNN_ACT_IDENTITY:
        for (size_t i = 0; i < N; i++) x[i] -= h[i];
        break;
    }
}

/* C (rows x cols) = A (rows x inner) B^T + beta C, B being cols x inner (row-major). */
static void product_abt(size_t rows, size_t cols, size_t inner, const double *A, const double *B,
                        double beta, double *C) {
    if (rows == 1)
        cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)cols, (int)inner, 1.0, B, (int)inner, A, 1,
                    beta, C, 1);
    else
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, (int)cols, (int)inner,
                    1.0, A, (int)inner, B, (int)inner, beta, C, (int)cols);
}

void lrnn_model_currents(const lrnn_model *model, size_t rows, const double *z, const double *v,
                         double *x) {
    const lrnn_model_config *c = &model->config;
    const lrnn_param_view p = model->view;
    size_t R = (size_t)c->rank, N = (size_t)c->units, U = (size_t)c->inputs;
    product_abt(rows, N, R, z, p.m, 0.0, x); /* x = z m^T */
    if (U > 0 && v) product_abt(rows, N, U, v, p.W_u, 1.0, x); /* + v W_u^T */
}

void lrnn_model_transition_mean(const lrnn_model *model, const lrnn_model_derived *d,
                                size_t rows, const double *z, const double *v, double *mu,
                                double *work) {
    const lrnn_model_config *c = &model->config;
    const lrnn_param_view p = model->view;
    size_t R = (size_t)c->rank, N = (size_t)c->units;
    lrnn_model_currents(model, rows, z, v, work);
    for (size_t r = 0; r < rows; r++) activation_row(c->activation, N, p.h, work + r * N);
    /* mu = a . z + rates n^T, with n stored R x N. */
    for (size_t r = 0; r < rows; r++)
        for (size_t k = 0; k < R; k++) mu[r * R + k] = d->a[k] * z[r * R + k];
    product_abt(rows, R, N, work, p.n, 1.0, mu);
}

void lrnn_model_initial_mean(const lrnn_model *model, const lrnn_model_derived *d,
                             const double *v0, double *mu0) {
    const lrnn_model_config *c = &model->config;
    const lrnn_param_view p = model->view;
    size_t R = (size_t)c->rank, N = (size_t)c->units, U = (size_t)c->inputs;
    for (size_t k = 0; k < R; k++) mu0[k] = p.z_init ? p.z_init[k] : 0.0;
    if (U == 0 || !v0) return;
    /* + P_m (W_u v0): the part of the input current that lies in span(m), in latent coords. */
    for (size_t i = 0; i < N; i++) {
        double current = 0.0;
        for (size_t j = 0; j < U; j++) current += p.W_u[i * U + j] * v0[j];
        for (size_t k = 0; k < R; k++) mu0[k] += d->P_m[k * N + i] * current;
    }
}

void lrnn_model_observation_mean(const lrnn_model *model, size_t rows, const double *z,
                                 const double *v, double *yhat, double *work) {
    const lrnn_model_config *c = &model->config;
    const lrnn_param_view p = model->view;
    size_t R = (size_t)c->rank, X = (size_t)c->channels, U = (size_t)c->inputs;
    if (c->readout == LRNN_READOUT_ONE_TO_ONE) {
        /* yhat = g(B . f + b), f = currents or rates; X == N. */
        lrnn_model_currents(model, rows, z, v, work);
        for (size_t r = 0; r < rows; r++)
            for (size_t i = 0; i < X; i++) {
                double f = work[r * X + i];
                if (c->readout_from == LRNN_FROM_RATES)
                    f = lrnn_activation_apply(c->activation, f, p.h[i]);
                yhat[r * X + i] = lrnn_obs_nonlin_apply(c->obs_nonlin, p.B_obs[i] * f + p.bias_obs[i]);
            }
        return;
    }
    /* yhat = g(B^T [v; z] + b): B is (dv + R) x X, v rows first. */
    size_t dv = c->readout_from == LRNN_FROM_Z_AND_V ? U : 0;
    for (size_t r = 0; r < rows; r++) {
        double *yr = yhat + r * X;
        memcpy(yr, p.bias_obs, X * sizeof *yr);
        for (size_t j = 0; j < dv; j++) {
            const double *Bj = p.B_obs + j * X;
            for (size_t i = 0; i < X; i++) yr[i] += Bj[i] * v[r * U + j];
        }
        for (size_t k = 0; k < R; k++) {
            const double *Bk = p.B_obs + (dv + k) * X;
            double zk = z[r * R + k];
            for (size_t i = 0; i < X; i++) yr[i] += Bk[i] * zk;
        }
        for (size_t i = 0; i < X; i++) yr[i] = lrnn_obs_nonlin_apply(c->obs_nonlin, yr[i]);
    }
}
