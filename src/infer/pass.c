/* Per-pass constants of the SMC bound and the mapping of intermediate adjoints back into the
 * parameter block. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/dense.h"
#include "infer/smc_internal.h"

/* Is the readout's pre-activation H z + b + C_v v?  (affine readout from z or [v; z], or
 * one-to-one readout of currents) */
static bool readout_is_affine(const lrnn_model_config *c) {
    return c->readout == LRNN_READOUT_AFFINE || c->readout_from == LRNN_FROM_CURRENTS;
}

/* H (X x R) and C_v (X x U) of a readout affine in z. One-to-one: H = diag(B) m, C_v = diag(B) W_u
 * (the B factor on the input current is the spec 3.4 correction of the reference). */
static void affine_readout(const smc_pass *pass, double *H, double *Cv) {
    const lrnn_param_view *p = &pass->p;
    size_t R = pass->R, X = pass->X, U = pass->U;
    if (pass->c->readout == LRNN_READOUT_AFFINE) {
        size_t dv = pass->c->readout_from == LRNN_FROM_Z_AND_V ? U : 0;
        for (size_t i = 0; i < X; i++) {
            for (size_t k = 0; k < R; k++) H[i * R + k] = p->B_obs[(dv + k) * X + i];
            for (size_t j = 0; j < dv; j++) Cv[i * U + j] = p->B_obs[j * X + i];
        }
        return;
    }
    for (size_t i = 0; i < X; i++) {
        for (size_t k = 0; k < R; k++) H[i * R + k] = p->B_obs[i] * p->m[i * R + k];
        if (Cv)
            for (size_t j = 0; j < U; j++) Cv[i * U + j] = p->B_obs[i] * p->W_u[i * U + j];
    }
}

/* At (cols x rows) = A^T, A rows x cols. */
static void transpose(size_t rows, size_t cols, const double *A, double *At) {
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < cols; j++) At[j * rows + i] = A[i * cols + j];
}

static bool readout_has_inputs(const lrnn_model_config *c) {
    if (c->inputs == 0) return false;
    return c->readout_from == LRNN_FROM_Z_AND_V || c->readout == LRNN_READOUT_ONE_TO_ONE;
}

/* Kernel rows, zero-padded and 64-byte aligned: m^T, n (R x S each) and h (S), S = N rounded
 * up to 8; for the readout H^T (R x XP) and w = 1/d (XP), XP = X rounded up to 8, and its
 * Gram matrix G (R x R). */
static size_t kernel_doubles(size_t R, size_t S, size_t XP) {
    return (2 * R + 1) * S + (R + 1) * XP + R * R;
}

static void kernel_params(smc_pass *pass) {
    size_t R = pass->R, N = pass->N, X = pass->X, S = (N + 7) / 8 * 8, XP = (X + 7) / 8 * 8;
    double *mT = pass->kblock, *n = mT + R * S, *h = n + R * S, *HT = h + S, *w = HT + R * XP;
    double *G = w + XP;
    for (size_t r = 0; r < R; r++)
        for (size_t i = 0; i < N; i++) {
            mT[r * S + i] = pass->p.m[i * R + r];
            n[r * S + i] = pass->p.n[r * N + i];
        }
    if (pass->p.h) memcpy(h, pass->p.h, N * sizeof *h);
    for (size_t r = 0; r < R; r++)
        for (size_t i = 0; i < X; i++) HT[r * XP + i] = pass->HT[r * X + i];
    for (size_t i = 0; i < X; i++) w[i] = 1.0 / pass->var_x[i];
    pass->kp = (smc_kparams){.R = R, .N = N, .S = S, .act = pass->c->activation, .mT = mT,
                             .n = n, .h = h, .a = pass->d.a, .X = X, .XP = XP, .HT = HT, .w = w};
    if (R <= SMC_RESID_RMAX) { /* the readout Gram matrix of the fully observed steps */
        smc_resid_gram(&pass->kp, w, G);
        pass->kp.G = G;
    }
}

lrnn_status smc_pass_alloc(smc_pass *pass, const lrnn_model *model, const lrnn_smc_params *sp) {
    memset(pass, 0, sizeof *pass);
    const lrnn_model_config *c = &model->config;
    pass->sp = *sp;
    pass->R = (size_t)c->rank, pass->N = (size_t)c->units, pass->X = (size_t)c->channels;
    pass->U = (size_t)c->inputs, pass->K = (size_t)sp->particles;
    size_t R = pass->R, X = pass->X, U = pass->U, N = pass->N;
    const char *force = getenv("LRNN_KERNELS"); /* developer override: "avx2", "c", ... */
    const smc_kernels *kern = smc_kernels_pick(force);
    if (!kern)
        return lrnn_fail(LRNN_ERR_ARG, "smc: LRNN_KERNELS=%s is unknown or unsupported by "
                                       "this CPU", force);
    pass->kern = *kern;
    for (int n = 0; n < SMC_LOG_FACTORIALS; n++) pass->log_factorial[n] = lgamma(n + 1.0);
    if (R <= SMC_RESID_RMAX) { /* O(R^2) a particle instead of O(X R) (resid.c) */
        pass->kern.resid_forward = smc_resid_forward_moments;
        pass->kern.resid_backward = smc_resid_backward_moments;
    }
    size_t total = 3 * R * R + X + 2 * X * R + N * R + X * U + 2 * kalman_doubles(R);
    size_t kbytes = kernel_doubles(R, (N + 7) / 8 * 8, (X + 7) / 8 * 8) * sizeof(double);
    pass->block = calloc(total, sizeof *pass->block);
    pass->kblock = aligned_alloc(64, (kbytes + 63) / 64 * 64);
    if (!pass->block || !pass->kblock) {
        smc_pass_free(pass);
        return lrnn_fail(LRNN_ERR_NOMEM, "smc: cannot allocate pass constants");
    }
    memset(pass->kblock, 0, kbytes);
    double *cur = pass->block;
    pass->Linv = cur, cur += R * R;
    pass->L0inv = cur, cur += R * R;
    pass->gram_inv = cur, cur += R * R;
    pass->var_x = cur, cur += X;
    pass->H = cur, cur += X * R;
    pass->HT = cur, cur += X * R;
    pass->mT = cur, cur += N * R;
    pass->Cv = readout_has_inputs(c) ? cur : NULL, cur += X * U;
    kalman_carve(&pass->k0, R, &cur);
    kalman_carve(&pass->k1, R, &cur);
    lrnn_status s = lrnn_model_derived_alloc(model, &pass->d);
    if (s) smc_pass_free(pass);
    return s;
}

lrnn_status smc_pass_update(smc_pass *pass, const lrnn_model *model) {
    const lrnn_model_config *c = &model->config;
    pass->model = model;
    pass->c = c;
    pass->p = model->view;
    pass->affine = readout_is_affine(c);
    pass->linear = pass->affine && c->obs == LRNN_OBS_GAUSS && c->obs_nonlin == LRNN_G_IDENTITY;
    size_t R = pass->R, X = pass->X, U = pass->U, N = pass->N;
    lrnn_status s = lrnn_model_derived_update(model, &pass->d);
    if (s) return s;
    dense_lower_inverse(R, pass->d.L_z, pass->Linv);
    dense_lower_inverse(R, pass->d.L_z0, pass->L0inv);
    for (size_t i = 0; i < X; i++) pass->var_x[i] = pass->d.std_x[i] * pass->d.std_x[i];
    if (pass->affine) affine_readout(pass, pass->H, pass->Cv);
    transpose(X, R, pass->H, pass->HT);
    transpose(N, R, pass->p.m, pass->mT);
    kernel_params(pass);
    if (U > 0) {
        /* (m^T m)^-1 for the backward pass of mu_0 = z_init + (m^T m)^-1 m^T W_u v_0. */
        double *G = pass->k0.Q; /* scratch before the Kalman sets are built */
        dense_tm(R, N, R, pass->p.m, pass->p.m, G);
        if (dense_cholesky(R, G) == 0) {
            double *Gi = pass->k0.W;
            dense_lower_inverse(R, G, Gi);
            dense_tm(R, R, R, Gi, Gi, pass->gram_inv);
        }
    }
    if (pass->sp.proposal == LRNN_PROPOSAL_OPTIMAL) {
        s = kalman_build(&pass->k0, pass, pass->d.L_z0, pass->L0inv, NULL);
        if (!s) s = kalman_build(&pass->k1, pass, pass->d.L_z, pass->Linv, NULL);
    }
    return s;
}

void smc_pass_free(smc_pass *pass) {
    lrnn_model_derived_free(&pass->d);
    free(pass->block);
    free(pass->kblock);
    pass->block = pass->kblock = NULL;
}

/* Lbar (lower-triangular adjoint of L) into the noise parameter of spec 1.4. */
static void noise_backward(lrnn_noise kind, size_t R, const double *L, const double *Lbar,
                           double *param_bar) {
    for (size_t i = 0; i < R; i++) {
        /* L_ii = exp(r_ii / 2): d L_ii / d r_ii = L_ii / 2 */
        double diag = 0.5 * Lbar[i * R + i] * L[i * R + i];
        switch (kind) {
        case LRNN_NOISE_FULL:
            param_bar[i * R + i] += diag;
            for (size_t j = 0; j < i; j++) param_bar[i * R + j] += Lbar[i * R + j];
            break;
        case LRNN_NOISE_DIAG: param_bar[i] += diag; break;
        case LRNN_NOISE_SCALAR: param_bar[0] += diag; break;
        }
    }
}

void smc_adjoint_finish(const smc_pass *pass, smc_adjoint *adj) {
    const lrnn_model_config *c = pass->c;
    const lrnn_param_view *p = &pass->p;
    const lrnn_param_view g = adj->g;
    size_t R = pass->R, X = pass->X, U = pass->U, N = pass->N;
    for (size_t i = 0; i < N; i++)
        for (size_t k = 0; k < R; k++) g.m[i * R + k] += adj->mbarT[k * N + i];
    noise_backward(c->noise_z, R, pass->d.L_z, adj->Lbar, g.R_z);
    noise_backward(c->noise_z0, R, pass->d.L_z0, adj->L0bar, g.R_z0);
    /* d_i = exp(r_i): d d_i / d r_i = d_i */
    if (g.R_x)
        for (size_t i = 0; i < X; i++)
            g.R_x[c->noise_x == LRNN_NOISE_DIAG ? i : 0] += adj->dbar[i] * pass->var_x[i];
    /* a = exp(-exp(q)): da/dq = a log a */
    for (size_t k = 0; k < R; k++) {
        double a = pass->d.a[k];
        g.decay_param[c->decay == LRNN_DECAY_SCALAR ? 0 : k] += adj->abar[k] * a * log(a);
    }
    if (!pass->affine) return;
    if (c->readout == LRNN_READOUT_AFFINE) {
        size_t dv = c->readout_from == LRNN_FROM_Z_AND_V ? U : 0;
        for (size_t i = 0; i < X; i++) {
            for (size_t k = 0; k < R; k++) g.B_obs[(dv + k) * X + i] += adj->Hbar[i * R + k];
            for (size_t j = 0; j < dv; j++) g.B_obs[j * X + i] += adj->Cvbar[i * U + j];
        }
        return;
    }
    for (size_t i = 0; i < X; i++) {
        for (size_t k = 0; k < R; k++) {
            g.B_obs[i] += adj->Hbar[i * R + k] * p->m[i * R + k];
            g.m[i * R + k] += p->B_obs[i] * adj->Hbar[i * R + k];
        }
        if (pass->Cv)
            for (size_t j = 0; j < U; j++) {
                g.B_obs[i] += adj->Cvbar[i * U + j] * p->W_u[i * U + j];
                g.W_u[i * U + j] += p->B_obs[i] * adj->Cvbar[i * U + j];
            }
    }
}
