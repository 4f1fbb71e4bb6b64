/* Optimal-proposal quantities (spec 3.4) in information form, and their backward pass.
 * Derivations: docs/derivations/smc_gradient.md, section "Kalman set". */
#include <math.h>
#include <string.h>

#include "core/dense.h"
#include "infer/smc_internal.h"

size_t kalman_doubles(size_t R) {
    return 9 * R * R;
}

void kalman_carve(kalman *k, size_t R, double **cursor) {
    double **slots[] = {&k->P, &k->M, &k->LJ, &k->W, &k->Q, &k->Qbar, &k->Wbar, &k->Mbar, &k->LJbar};
    for (size_t i = 0; i < sizeof slots / sizeof slots[0]; i++) {
        *slots[i] = *cursor;
        *cursor += R * R;
    }
}

static int observed(const uint8_t *obs, size_t i) {
    return !obs || obs[i];
}

lrnn_status kalman_build(kalman *k, const smc_pass *pass, const double *L, const double *Linv,
                         const uint8_t *obs) {
    size_t R = pass->R, X = pass->X;
    k->L = L, k->Linv = Linv, k->obs = obs;
    /* P = L^-T L^-1 */
    dense_tm(R, R, R, Linv, Linv, k->P);
    /* M = sum over observed i of h_i h_i^T / d_i, h_i the i-th row of H. */
    memset(k->M, 0, R * R * sizeof *k->M);
    double logdet = 0.0, count = 0.0;
    for (size_t i = 0; i < X; i++) {
        if (!observed(obs, i)) continue;
        const double *h = pass->H + i * R;
        double inv = 1.0 / pass->var_x[i];
        for (size_t a = 0; a < R; a++)
            for (size_t b = 0; b < R; b++) k->M[a * R + b] += h[a] * h[b] * inv;
        logdet += log(pass->var_x[i]);
        count += 1.0;
    }
    for (size_t i = 0; i < R * R; i++) k->LJ[i] = k->P[i] + k->M[i];
    if (dense_cholesky(R, k->LJ) != 0)
        return lrnn_fail(LRNN_ERR_NUMERIC, "optimal proposal: posterior precision is not "
                                           "positive definite (prior std %g, observation "
                                           "variance %g): the noise parameters diverged; "
                                           "lower --lr",
                         L[0], pass->var_x[0]);
    /* W = L_J^-T, Q = W W^T */
    double *LJinv = k->Qbar; /* scratch: adjoints are zeroed afterwards */
    dense_lower_inverse(R, k->LJ, LJinv);
    for (size_t a = 0; a < R; a++)
        for (size_t b = 0; b < R; b++) k->W[a * R + b] = LJinv[b * R + a];
    dense_mt(R, R, R, k->W, k->W, k->Q);
    for (size_t a = 0; a < R; a++) logdet += 2.0 * log(L[a * R + a]) + 2.0 * log(k->LJ[a * R + a]);
    k->logdet_S = logdet;
    k->observed = count;
    kalman_zero_adjoint(k, R);
    return LRNN_OK;
}

void kalman_zero_adjoint(kalman *k, size_t R) {
    memset(k->Qbar, 0, R * R * sizeof *k->Qbar);
    memset(k->Wbar, 0, R * R * sizeof *k->Wbar);
    memset(k->Mbar, 0, R * R * sizeof *k->Mbar);
    memset(k->LJbar, 0, R * R * sizeof *k->LJbar);
    k->logdet_S_bar = 0.0;
}

enum { RMAX_STACK = 64 };

void kalman_backward(const kalman *k, const smc_pass *pass, double *Lbar, smc_adjoint *adj) {
    size_t R = pass->R, X = pass->X;
    double Wbar[RMAX_STACK * RMAX_STACK], T1[RMAX_STACK * RMAX_STACK];
    double T2[RMAX_STACK * RMAX_STACK], Jbar[RMAX_STACK * RMAX_STACK];
    /* Q = W W^T:  Wbar += (Qbar + Qbar^T) W */
    memcpy(Wbar, k->Wbar, R * R * sizeof *Wbar);
    for (size_t a = 0; a < R; a++)
        for (size_t b = 0; b < R; b++) {
            double acc = 0.0;
            for (size_t c = 0; c < R; c++) acc += (k->Qbar[a * R + c] + k->Qbar[c * R + a]) * k->W[c * R + b];
            Wbar[a * R + b] += acc;
        }
    /* W = L_J^-T:  LJbar = -W Wbar^T W (lower part), plus the log-det and direct terms. */
    dense_mt(R, R, R, k->W, Wbar, T1); /* W Wbar^T */
    dense_mm(R, R, R, T1, k->W, T2);
    double LJbar[RMAX_STACK * RMAX_STACK];
    for (size_t a = 0; a < R; a++)
        for (size_t b = 0; b < R; b++)
            LJbar[a * R + b] = b <= a ? -T2[a * R + b] + k->LJbar[a * R + b] : 0.0;
    for (size_t a = 0; a < R; a++) LJbar[a * R + a] += 2.0 * k->logdet_S_bar / k->LJ[a * R + a];
    /* J = L_J L_J^T:  Jbar = W sym(Phi(L_J^T LJbar)) W^T  (Murray 2016, with L_J^-1 = W^T). */
    dense_tm(R, R, R, k->LJ, LJbar, T1);
    dense_sym_phi(R, T1, T2);
    dense_mm(R, R, R, k->W, T2, T1);
    dense_mt(R, R, R, T1, k->W, Jbar);
    /* J = P + M; P = V^T V with V = L^-1:  Vbar = V (Pbar + Pbar^T),  Lbar -= V^T Vbar V^T. */
    double Vbar[RMAX_STACK * RMAX_STACK], Mbar[RMAX_STACK * RMAX_STACK];
    for (size_t a = 0; a < R; a++)
        for (size_t b = 0; b < R; b++) {
            T1[a * R + b] = Jbar[a * R + b] + Jbar[b * R + a];
            Mbar[a * R + b] = k->Mbar[a * R + b] + Jbar[a * R + b];
        }
    dense_mm(R, R, R, k->Linv, T1, Vbar);
    dense_tm(R, R, R, k->Linv, Vbar, T1); /* V^T Vbar */
    dense_mt(R, R, R, T1, k->Linv, T2);   /* (V^T Vbar) V^T */
    for (size_t a = 0; a < R; a++) {
        for (size_t b = 0; b <= a; b++) Lbar[a * R + b] -= T2[a * R + b];
        Lbar[a * R + a] += 2.0 * k->logdet_S_bar / k->L[a * R + a];
    }
    /* M = H^T D^-1 H over observed rows, and log det D. */
    for (size_t i = 0; i < X; i++) {
        if (!observed(k->obs, i)) continue;
        const double *h = pass->H + i * R;
        double inv = 1.0 / pass->var_x[i], quad = 0.0;
        for (size_t a = 0; a < R; a++) {
            double acc = 0.0;
            for (size_t b = 0; b < R; b++) {
                acc += (Mbar[a * R + b] + Mbar[b * R + a]) * h[b];
                quad += Mbar[a * R + b] * h[a] * h[b];
            }
            adj->Hbar[i * R + a] += acc * inv;
        }
        adj->dbar[i] += -quad * inv * inv + k->logdet_S_bar * inv;
    }
}
