/* Unit-space view (spec 1.5) and the SVD orthogonalisation of the latent basis (spec 1.6).
 *
 * J = m n has rank R, so its SVD is computed from two thin QR factorisations and an R x R SVD
 * and never forms an N x N matrix:  m = Q_m R_m,  n^T = Q_n R_n,  J = Q_m (R_m R_n^T) Q_n^T,
 * R_m R_n^T = U_c S V_c^T  =>  U = Q_m U_c,  V = Q_n V_c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <lapacke.h>

#include "core/dense.h"
#include "model/internal.h"

lrnn_status lrnn_model_connectivity(const lrnn_model *model, double *J) {
    const lrnn_model_config *c = &model->config;
    lrnn_param_view p = lrnn_param_view_of(&model->layout, model->params);
    size_t N = (size_t)c->units, R = (size_t)c->rank;
    for (size_t i = 0; i < N; i++)
        for (size_t j = 0; j < N; j++) {
            double acc = 0.0;
            for (size_t k = 0; k < R; k++) acc += p.m[i * R + k] * p.n[k * N + j];
            J[i * N + j] = acc;
        }
    return LRNN_OK;
}

/* Thin QR of an N x R row-major matrix A: A <- Q (N x R), Rf <- R (R x R upper). */
static lrnn_status thin_qr(double *A, size_t N, size_t R, double *Rf, double *tau) {
    lapack_int n = (lapack_int)N, r = (lapack_int)R;
    if (LAPACKE_dgeqrf(LAPACK_ROW_MAJOR, n, r, A, r, tau) != 0)
        return lrnn_fail(LRNN_ERR_NUMERIC, "orthogonalise: QR factorisation failed");
    for (size_t i = 0; i < R; i++)
        for (size_t j = 0; j < R; j++) Rf[i * R + j] = j >= i ? A[i * R + j] : 0.0;
    if (LAPACKE_dorgqr(LAPACK_ROW_MAJOR, n, r, r, A, r, tau) != 0)
        return lrnn_fail(LRNN_ERR_NUMERIC, "orthogonalise: forming Q failed");
    return LRNN_OK;
}

/* Full-covariance parameter of P Sigma P^T, Sigma = L L^T (spec 1.4 inverse map:
 * R_full = 2 diag(log diag L') + tril(L', -1) with L' = chol(P Sigma P^T)). */
static lrnn_status transform_noise(const double *P, const double *L, size_t R, double *param,
                                   double *tmp) {
    double *PL = tmp, *S = tmp + R * R;
    dense_mm(R, R, R, P, L, PL);
    dense_mt(R, R, R, PL, PL, S); /* S = (P L)(P L)^T */
    if (LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'L', (lapack_int)R, S, (lapack_int)R) != 0)
        return lrnn_fail(LRNN_ERR_NUMERIC, "orthogonalise: transformed noise covariance is "
                                           "not positive definite");
    for (size_t i = 0; i < R; i++)
        for (size_t j = 0; j < R; j++)
            param[i * R + j] = j < i ? S[i * R + j] : (j == i ? 2.0 * log(S[i * R + i]) : 0.0);
    return LRNN_OK;
}

typedef struct ortho_work {
    double *Qm, *Qn, *Rm, *Rn, *C, *Uc, *Vct, *S, *P, *tau, *tmp, *superb, *L;
    double *block;
} ortho_work;

static lrnn_status ortho_work_alloc(size_t N, size_t R, ortho_work *w) {
    size_t total = 2 * N * R + 8 * R * R + 3 * R;
    memset(w, 0, sizeof *w);
    w->block = calloc(total, sizeof *w->block);
    if (!w->block) return lrnn_fail(LRNN_ERR_NOMEM, "orthogonalise: out of memory");
    double *c = w->block;
    w->Qm = c, c += N * R;
    w->Qn = c, c += N * R;
    w->Rm = c, c += R * R;
    w->Rn = c, c += R * R;
    w->C = c, c += R * R;
    w->Uc = c, c += R * R;
    w->Vct = c, c += R * R;
    w->P = c, c += R * R;
    w->tmp = c, c += 2 * R * R;
    w->S = c, c += R;
    w->tau = c, c += R;
    w->superb = c;
    return LRNN_OK;
}

/* Fill the new model's parameters from the old one and the SVD pieces. */
static lrnn_status fill_rotated(const lrnn_model *old, const lrnn_model_derived *d,
                                ortho_work *w, lrnn_model *out) {
    const lrnn_model_config *c = &old->config;
    size_t N = (size_t)c->units, R = (size_t)c->rank, X = (size_t)c->channels;
    size_t U = (size_t)c->inputs;
    lrnn_param_view p = lrnn_param_view_of(&old->layout, old->params);
    lrnn_param_view q = lrnn_model_view(out);
    /* m' = Q_m U_c; n' = S V^T = S V_c^T Q_n^T. */
    dense_mm(N, R, R, w->Qm, w->Uc, q.m);
    for (size_t k = 0; k < R; k++)
        for (size_t i = 0; i < N; i++) {
            double acc = 0.0;
            for (size_t j = 0; j < R; j++) acc += w->Vct[k * R + j] * w->Qn[i * R + j];
            q.n[k * N + i] = w->S[k] * acc;
        }
    memcpy(q.h, p.h, N * sizeof *q.h);
    memcpy(q.decay_param, p.decay_param, sizeof *q.decay_param);
    if (U > 0) memcpy(q.W_u, p.W_u, N * U * sizeof *q.W_u);
    if (q.z_init) dense_mm(R, R, 1, w->P, p.z_init, q.z_init);
    lrnn_status s;
    if ((s = transform_noise(w->P, d->L_z, R, q.R_z, w->tmp)) ||
        (s = transform_noise(w->P, d->L_z0, R, q.R_z0, w->tmp)))
        return s;
    if (q.R_x) memcpy(q.R_x, p.R_x, lrnn_param_layout_find(&old->layout, "R_x")->size * sizeof *q.R_x);
    memcpy(q.bias_obs, p.bias_obs, X * sizeof *q.bias_obs);
    const lrnn_param_entry *B = lrnn_param_layout_find(&old->layout, "B_obs");
    memcpy(q.B_obs, p.B_obs, B->size * sizeof *q.B_obs);
    if (c->readout == LRNN_READOUT_AFFINE) {
        /* yhat = B_z^T z = B_z^T P^-1 z'  =>  B_z' = P^-T B_z (solve P^T B_z' = B_z). */
        size_t dv = B->shape[0] - R;
        double *Pt = w->tmp;
        for (size_t i = 0; i < R; i++)
            for (size_t j = 0; j < R; j++) Pt[i * R + j] = w->P[j * R + i];
        lapack_int *ipiv = (lapack_int *)(void *)w->superb; /* R ints fit in R doubles */
        if (LAPACKE_dgesv(LAPACK_ROW_MAJOR, (lapack_int)R, (lapack_int)X, Pt, (lapack_int)R,
                          ipiv, q.B_obs + dv * X, (lapack_int)X) != 0)
            return lrnn_fail(LRNN_ERR_NUMERIC, "orthogonalise: P is singular");
    }
    return LRNN_OK;
}

lrnn_status lrnn_model_orthogonalise(lrnn_model *model, double *P_out) {
    const lrnn_model_config *c = &model->config;
    if (c->decay != LRNN_DECAY_SCALAR)
        return lrnn_fail(LRNN_ERR_ARG, "orthogonalise: a per-dimension decay does not commute "
                                       "with a change of latent basis; needs --decay scalar");
    size_t N = (size_t)c->units, R = (size_t)c->rank;
    lrnn_param_view p = lrnn_model_view(model);
    ortho_work w;
    lrnn_status s = ortho_work_alloc(N, R, &w);
    if (s) return s;
    lrnn_model_derived d = {0};
    lrnn_model *rotated = NULL;
    lrnn_model_config rc = *c;
    rc.noise_z = rc.noise_z0 = LRNN_NOISE_FULL;
    memcpy(w.Qm, p.m, N * R * sizeof *w.Qm);
    for (size_t k = 0; k < R; k++)
        for (size_t i = 0; i < N; i++) w.Qn[i * R + k] = p.n[k * N + i];
    if ((s = thin_qr(w.Qm, N, R, w.Rm, w.tau)) || (s = thin_qr(w.Qn, N, R, w.Rn, w.tau)))
        goto done;
    /* C = R_m R_n^T = U_c S V_c^T;  P = U^T m = U_c^T R_m. */
    dense_mt(R, R, R, w.Rm, w.Rn, w.C);
    if (LAPACKE_dgesvd(LAPACK_ROW_MAJOR, 'A', 'A', (lapack_int)R, (lapack_int)R, w.C,
                       (lapack_int)R, w.S, w.Uc, (lapack_int)R, w.Vct, (lapack_int)R,
                       w.superb) != 0) {
        s = lrnn_fail(LRNN_ERR_NUMERIC, "orthogonalise: SVD did not converge");
        goto done;
    }
    dense_tm(R, R, R, w.Uc, w.Rm, w.P);
    if ((s = lrnn_model_derived_alloc(model, &d)) || (s = lrnn_model_derived_update(model, &d)) ||
        (s = lrnn_model_alloc(&rc, &rotated)) || (s = fill_rotated(model, &d, &w, rotated)))
        goto done;
    if (P_out) memcpy(P_out, w.P, R * R * sizeof *P_out);
    /* Swap the rotated parameters and config into the caller's handle. */
    double *old_params = model->params;
    model->config = rotated->config;
    model->layout = rotated->layout;
    model->params = rotated->params;
    model->view = rotated->view;
    rotated->params = old_params;
done:
    lrnn_model_free(rotated);
    lrnn_model_derived_free(&d);
    free(w.block);
    return s;
}
