/* Linear-Gaussian state-space forms of lrnn models for the exact-answer tests
 * (test_smc_likelihood, test_posterior): dense helpers, test parameters, and the matrices of a
 * model with identity activation and Gaussian identity-link observations. */
#include "lgssm.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lrnn/rng.h"

static const double LOG_2PI = 1.8378770664093454836;

/* In-place lower Cholesky; returns 0 or -1 when not positive definite. */
int lg_chol(size_t n, double *A) {
    for (size_t j = 0; j < n; j++) {
        double s = A[j * n + j];
        for (size_t k = 0; k < j; k++)
            s -= A[j * n + k] * A[j * n + k];
        if (!(s > 0.0)) return -1;
        A[j * n + j] = sqrt(s);
        for (size_t i = j + 1; i < n; i++) {
            double v = A[i * n + j];
            for (size_t k = 0; k < j; k++)
                v -= A[i * n + k] * A[j * n + k];
            A[i * n + j] = v / A[j * n + j];
        }
        for (size_t i = 0; i < j; i++)
            A[i * n + j] = 0.0;
    }
    return 0;
}

/* Solve (L L^T) x = b in place, L lower n x n. */
void lg_chol_solve(size_t n, const double *L, double *b) {
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < i; k++)
            b[i] -= L[i * n + k] * b[k];
        b[i] /= L[i * n + i];
    }
    for (size_t i = n; i-- > 0;) {
        for (size_t k = i + 1; k < n; k++)
            b[i] -= L[k * n + i] * b[k];
        b[i] /= L[i * n + i];
    }
}

/* log N(res; 0, S) with S (n x n) replaced by its Cholesky factor; w: n scratch doubles. */
double lg_log_gauss(size_t n, double *S, const double *res, double *w) {
    assert_int_equal(lg_chol(n, S), 0);
    memcpy(w, res, n * sizeof *w);
    lg_chol_solve(n, S, w);
    double quad = 0.0, logdet = 0.0;
    for (size_t i = 0; i < n; i++)
        quad += res[i] * w[i], logdet += log(S[i * n + i]);
    return -0.5 * quad - logdet - 0.5 * (double)n * LOG_2PI;
}

/* Covariance L L^T of a noise parameter (spec 1.4), computed here from the raw parameter. */
void lg_noise_cov(lrnn_noise kind, size_t d, const double *r, double *S) {
    double L[LG_MAXD * LG_MAXD] = {0};
    for (size_t i = 0; i < d; i++) {
        switch (kind) {
        case LRNN_NOISE_FULL:
            L[i * d + i] = exp(0.5 * r[i * d + i]);
            for (size_t j = 0; j < i; j++)
                L[i * d + j] = r[i * d + j];
            break;
        case LRNN_NOISE_DIAG:
            L[i * d + i] = exp(0.5 * r[i]);
            break;
        case LRNN_NOISE_SCALAR:
            L[i * d + i] = exp(0.5 * r[0]);
            break;
        }
    }
    for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j < d; j++) {
            double acc = 0.0;
            for (size_t k = 0; k < d; k++)
                acc += L[i * d + k] * L[j * d + k];
            S[i * d + j] = acc;
        }
}

/* Set every parameter to a reproducible value of a sensible scale (recurrence n m of moderate
 * size so the linear system stays well-behaved over T steps). */
void lg_set_params(lrnn_model *model, uint64_t seed) {
    const lrnn_model_config *c = lrnn_model_config_of(model);
    const lrnn_param_layout *l = lrnn_model_layout(model);
    double *theta = lrnn_model_params(model);
    size_t N = (size_t)c->units;
    bool affine = c->readout == LRNN_READOUT_AFFINE;
    lrnn_rng r;
    lrnn_rng_init(&r, seed, LRNN_RNG_INIT, 99, 0);
    for (int e = 0; e < l->count; e++) {
        const lrnn_param_entry *pe = &l->entry[e];
        double *x = theta + pe->offset;
        for (size_t i = 0; i < pe->size; i++) {
            double g = lrnn_rng_normal(&r);
            size_t row = pe->ndim == 2 ? i / pe->shape[1] : i,
                   col = pe->ndim == 2 ? i % pe->shape[1] : i;
            bool diag = pe->ndim == 1 || row == col;
            if (!strcmp(pe->name, "m"))
                x[i] = 0.7 * g;
            else if (!strcmp(pe->name, "n"))
                x[i] = 0.4 * g / sqrt((double)N);
            else if (!strcmp(pe->name, "h"))
                x[i] = 0.3 * g;
            else if (!strcmp(pe->name, "decay_param"))
                x[i] = log(-log(0.8)) + 0.2 * g;
            else if (!strcmp(pe->name, "W_u"))
                x[i] = 0.6 * g;
            else if (!strcmp(pe->name, "z_init"))
                x[i] = 0.5 * g;
            else if (!strcmp(pe->name, "R_z"))
                x[i] = diag ? 2.0 * log(0.35) + 0.2 * g : 0.1 * g;
            else if (!strcmp(pe->name, "R_z0"))
                x[i] = diag ? 2.0 * log(0.7) + 0.2 * g : 0.2 * g;
            else if (!strcmp(pe->name, "R_x"))
                x[i] = 2.0 * log(0.45) + 0.3 * g;
            else if (!strcmp(pe->name, "B_obs"))
                x[i] = affine ? 0.8 * g : 1.0 + 0.3 * g;
            else if (!strcmp(pe->name, "bias_obs"))
                x[i] = 0.3 * g;
            else
                fail_msg("unexpected parameter %s", pe->name);
        }
    }
}

void lgssm_build(lrnn_model *model, const double *u, size_t T, lgssm *s) {
    const lrnn_model_config *c = lrnn_model_config_of(model);
    assert_int_equal(c->activation, LRNN_ACT_IDENTITY);
    assert_int_equal(c->obs, LRNN_OBS_GAUSS);
    assert_int_equal(c->obs_nonlin, LRNN_G_IDENTITY);
    lrnn_param_view p = lrnn_model_view(model);
    size_t R = (size_t)c->rank, N = (size_t)c->units, X = (size_t)c->channels;
    size_t U = (size_t)c->inputs;
    assert_true(R <= LG_MAXD && X <= LG_MAXD && U <= LG_MAXD && T <= LG_TMAX);
    memset(s, 0, sizeof *s);
    s->R = R, s->X = X, s->T = T;
    double a[LG_MAXD];
    for (size_t k = 0; k < R; k++)
        a[k] = exp(-exp(p.decay_param[c->decay == LRNN_DECAY_SCALAR ? 0 : k]));
    /* v_t: direct or low-pass filtered with the (scalar) decay */
    double v[LG_TMAX][LG_MAXD] = {{0}}, cur[LG_TMAX][64] = {{0}};
    assert_true(N <= 64);
    for (size_t t = 0; t < T; t++)
        for (size_t j = 0; j < U; j++)
            v[t][j] = !c->simulate_input ? u[t * U + j]
                      : t == 0           ? 0.0
                                         : a[0] * v[t - 1][j] + (1.0 - a[0]) * u[(t - 1) * U + j];
    for (size_t t = 0; t < T; t++)
        for (size_t i = 0; i < N; i++)
            for (size_t j = 0; j < U; j++)
                cur[t][i] += p.W_u[i * U + j] * v[t][j];
    /* F = diag(a) + n m, f_t = n (W_u v_{t-1} - h) */
    for (size_t r = 0; r < R; r++)
        for (size_t k = 0; k < R; k++) {
            double acc = r == k ? a[r] : 0.0;
            for (size_t i = 0; i < N; i++)
                acc += p.n[r * N + i] * p.m[i * R + k];
            s->F[r * R + k] = acc;
        }
    for (size_t t = 1; t < T; t++)
        for (size_t r = 0; r < R; r++) {
            double acc = 0.0;
            for (size_t i = 0; i < N; i++)
                acc += p.n[r * N + i] * (cur[t - 1][i] - p.h[i]);
            s->f[t][r] = acc;
        }
    lg_noise_cov(c->noise_z, R, p.R_z, s->Sz);
    lg_noise_cov(c->noise_z0, R, p.R_z0, s->S0);
    for (size_t i = 0; i < X; i++)
        s->D[i] = exp(p.R_x[c->noise_x == LRNN_NOISE_DIAG ? i : 0]);
    /* mu_0 = z_init + (m^T m)^-1 m^T W_u v_0 */
    for (size_t k = 0; k < R; k++)
        s->mu0[k] = p.z_init ? p.z_init[k] : 0.0;
    if (U > 0) {
        double G[LG_MAXD * LG_MAXD], rhs[LG_MAXD];
        for (size_t a1 = 0; a1 < R; a1++) {
            rhs[a1] = 0.0;
            for (size_t i = 0; i < N; i++)
                rhs[a1] += p.m[i * R + a1] * cur[0][i];
            for (size_t b1 = 0; b1 < R; b1++) {
                double acc = 0.0;
                for (size_t i = 0; i < N; i++)
                    acc += p.m[i * R + a1] * p.m[i * R + b1];
                G[a1 * R + b1] = acc;
            }
        }
        assert_int_equal(lg_chol(R, G), 0);
        lg_chol_solve(R, G, rhs);
        for (size_t k = 0; k < R; k++)
            s->mu0[k] += rhs[k];
    }
    /* readout */
    for (size_t t = 0; t < T; t++)
        for (size_t i = 0; i < X; i++)
            s->off[t][i] = p.bias_obs[i];
    if (c->readout == LRNN_READOUT_AFFINE) {
        size_t dv = c->readout_from == LRNN_FROM_Z_AND_V ? U : 0;
        for (size_t i = 0; i < X; i++) {
            for (size_t k = 0; k < R; k++)
                s->H[i * R + k] = p.B_obs[(dv + k) * X + i];
            for (size_t t = 0; t < T; t++)
                for (size_t j = 0; j < dv; j++)
                    s->off[t][i] += p.B_obs[j * X + i] * v[t][j];
        }
    } else {
        assert_int_equal(c->readout_from, LRNN_FROM_CURRENTS);
        for (size_t i = 0; i < X; i++) {
            for (size_t k = 0; k < R; k++)
                s->H[i * R + k] = p.B_obs[i] * p.m[i * R + k];
            for (size_t t = 0; t < T; t++)
                s->off[t][i] += p.B_obs[i] * cur[t][i];
        }
    }
}

