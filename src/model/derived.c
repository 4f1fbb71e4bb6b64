/* Quantities derived from the parameters once per pass: decays, Cholesky factors, P_m. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <lapacke.h>

#include "model/internal.h"

void lrnn_noise_cholesky(lrnn_noise kind, int d, const double *param, double *L) {
    size_t D = (size_t)d;
    memset(L, 0, D * D * sizeof *L);
    for (size_t i = 0; i < D; i++) {
        switch (kind) {
        case LRNN_NOISE_FULL:
            /* L = tril(R, -1) + diag(exp(diag(R) / 2)); the upper triangle is unused. */
            for (size_t j = 0; j < i; j++) L[i * D + j] = param[i * D + j];
            L[i * D + i] = exp(0.5 * param[i * D + i]);
            break;
        case LRNN_NOISE_DIAG: L[i * D + i] = exp(0.5 * param[i]); break;
        case LRNN_NOISE_SCALAR: L[i * D + i] = exp(0.5 * param[0]); break;
        }
    }
}

lrnn_status lrnn_model_derived_alloc(const lrnn_model *model, lrnn_model_derived *d) {
    const lrnn_model_config *c = &model->config;
    memset(d, 0, sizeof *d);
    d->R = c->rank;
    d->N = c->units;
    d->X = c->channels;
    d->U = c->inputs;
    size_t R = (size_t)d->R, N = (size_t)d->N, X = (size_t)d->X;
    d->a = calloc(R, sizeof *d->a);
    d->L_z = calloc(R * R, sizeof *d->L_z);
    d->L_z0 = calloc(R * R, sizeof *d->L_z0);
    d->std_x = calloc(X, sizeof *d->std_x);
    int ok = d->a && d->L_z && d->L_z0 && d->std_x;
    if (c->obs == LRNN_OBS_GAUSS && c->noise_x == LRNN_NOISE_FULL) {
        d->L_x = calloc(X * X, sizeof *d->L_x);
        ok = ok && d->L_x;
    }
    if (c->inputs > 0) {
        d->P_m = calloc(R * N, sizeof *d->P_m);
        ok = ok && d->P_m;
    }
    if (!ok) {
        lrnn_model_derived_free(d);
        return lrnn_fail(LRNN_ERR_NOMEM, "cannot allocate derived model quantities");
    }
    return LRNN_OK;
}

void lrnn_model_derived_free(lrnn_model_derived *d) {
    free(d->a);
    free(d->L_z);
    free(d->L_z0);
    free(d->std_x);
    free(d->L_x);
    free(d->P_m);
    memset(d, 0, sizeof *d);
}

/* P_m = (m^T m)^-1 m^T by a Cholesky solve of the R x R Gram matrix. */
static lrnn_status projection_onto_m(const double *m, size_t N, size_t R, double *P) {
    double *gram = calloc(R * R, sizeof *gram);
    if (!gram) return lrnn_fail(LRNN_ERR_NOMEM, "cannot allocate %zu x %zu Gram matrix", R, R);
    for (size_t i = 0; i < N; i++)
        for (size_t a = 0; a < R; a++)
            for (size_t b = 0; b <= a; b++) gram[a * R + b] += m[i * R + a] * m[i * R + b];
    for (size_t a = 0; a < R; a++)
        for (size_t i = 0; i < N; i++) P[a * N + i] = m[i * R + a];
    lapack_int info = LAPACKE_dposv(LAPACK_ROW_MAJOR, 'L', (lapack_int)R, (lapack_int)N, gram,
                                    (lapack_int)R, P, (lapack_int)N);
    free(gram);
    if (info != 0)
        return lrnn_fail(LRNN_ERR_NUMERIC, "m^T m is singular (columns of m are dependent); "
                                           "cannot project inputs onto span(m)");
    return LRNN_OK;
}

lrnn_status lrnn_model_derived_update(const lrnn_model *model, lrnn_model_derived *d) {
    const lrnn_model_config *c = &model->config;
    lrnn_param_view p = lrnn_param_view_of(&model->layout, model->params);
    int R = c->rank, X = c->channels;
    for (int k = 0; k < R; k++) {
        double dp = p.decay_param[c->decay == LRNN_DECAY_SCALAR ? 0 : k];
        d->a[k] = exp(-exp(dp));
    }
    lrnn_noise_cholesky(c->noise_z, R, p.R_z, d->L_z);
    lrnn_noise_cholesky(c->noise_z0, R, p.R_z0, d->L_z0);
    if (c->obs == LRNN_OBS_GAUSS) {
        if (c->noise_x == LRNN_NOISE_FULL) {
            lrnn_noise_cholesky(c->noise_x, X, p.R_x, d->L_x);
            for (int i = 0; i < X; i++) {
                double var = 0.0;
                for (int j = 0; j <= i; j++) var += d->L_x[i * X + j] * d->L_x[i * X + j];
                d->std_x[i] = sqrt(var);
            }
        } else {
            for (int i = 0; i < X; i++)
                d->std_x[i] = exp(0.5 * p.R_x[c->noise_x == LRNN_NOISE_DIAG ? i : 0]);
        }
    }
    if (d->P_m) return projection_onto_m(p.m, (size_t)c->units, (size_t)R, d->P_m);
    return LRNN_OK;
}
