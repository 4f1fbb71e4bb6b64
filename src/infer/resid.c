/* The optimal proposal's readout residuals through their moments (R <= SMC_RESID_RMAX): the same
 * quantities as the kernels' resid_forward / resid_backward (smc_internal.h), with the sums
 * over channels taken once per step instead of once per particle. With w the channel weights,
 * r_k = y~ - H x_k, e = H^T W y~ (R), G = H^T W H (R x R), c0 = y~^T W y~:
 *   quad_k = sum_i w_i r_ki^2 = c0 - 2 x_k^T e + x_k^T G x_k                      O(R^2) a particle
 * and the adjoint of -1/2 sum_k om_k quad_k, with S0 = sum_k om_k, m1 = sum_k om_k x_k (R),
 * M2 = sum_k om_k x_k x_k^T (R x R):
 *   g_k = om_k W r_k:            Xbar_k = H^T g_k = om_k (e - G x_k)
 *   ytbar_i -= sum_k g_ki      = w_i (S0 y~_i - (H m1)_i)
 *   dbar_i  += sum_k g_ki r_ki w_i / 2 = w_i^2 (S0 y~_i^2 - 2 y~_i (H m1)_i + (H M2 H^T)_ii) / 2
 *   (H^T)bar_ai += sum_k x_ka g_ki = w_i (m1_a y~_i - (M2 H^T)_ai)
 * The per-particle cost drops from O(X R) to O(R^2) (X = 20, R = 2: 60 flops to 8). The sums
 * cancel where residuals are small against y~: with z-scored data and residuals of 0.1 that
 * costs a factor 100 on the rounding error (1e-14 relative), far below the gradient checks'
 * tolerance. */
#include <string.h>

#include "infer/rows.h"
#include "infer/smc_internal.h"

/* G = H^T W H, both triangles: each entry summed over the channels in order. Every function
 * here is written for a rank R and instantiated for R = 1..4 by BY_RANK (rows.h). */
ROWS_INLINE void gram_rows(size_t R, const smc_kparams *kp, const double *w, double *G) {
    size_t X = kp->X, XP = kp->XP;
    const double *HT = kp->HT;
    memset(G, 0, R * R * sizeof *G);
    for (size_t i = 0; i < X; i++)
        for (size_t a = 0; a < R; a++) {
            double wh = w[i] * HT[a * XP + i];
            for (size_t b = 0; b <= a; b++)
                G[a * R + b] += wh * HT[b * XP + i];
        }
    for (size_t a = 0; a < R; a++)
        for (size_t b = a + 1; b < R; b++)
            G[a * R + b] = G[b * R + a];
}

/* e = H^T W y~, G = H^T W H, c0 = y~^T W y~ for one step's weights; G from the pass when the
 * weights are the pass's (no channel missing at this step). */
ROWS_INLINE double step_moments(size_t R, const smc_kparams *kp, const double *yt, const double *w,
                                double *e, double *G) {
    size_t X = kp->X, XP = kp->XP;
    const double *HT = kp->HT;
    double c0 = 0.0;
    memset(e, 0, R * sizeof *e);
    for (size_t i = 0; i < X; i++) {
        double wy = w[i] * yt[i];
        c0 += wy * yt[i];
        for (size_t a = 0; a < R; a++) e[a] += wy * HT[a * XP + i];
    }
    if (w == kp->w && kp->G)
        memcpy(G, kp->G, R * R * sizeof *G);
    else
        gram_rows(R, kp, w, G);
    return c0;
}

ROWS_INLINE void forward_rows(size_t R, const smc_kparams *kp, const double *yt, const double *w,
                              size_t K, const double *Xs, double *quad) {
    double e[SMC_RESID_RMAX], G[SMC_RESID_RMAX * SMC_RESID_RMAX];
    double c0 = step_moments(R, kp, yt, w, e, G);
    for (size_t k = 0; k < K; k++) {
        const double *x = Xs + k * R;
        double q = c0;
        for (size_t a = 0; a < R; a++) {
            double gx = 0.0;
            for (size_t b = 0; b < R; b++)
                gx += G[a * R + b] * x[b];
            q += x[a] * (gx - 2.0 * e[a]);
        }
        quad[k] = q;
    }
}

ROWS_INLINE void backward_rows(size_t R, const smc_kparams *kp, const double *yt, const double *w,
                               size_t K, const double *Xs, const double *om, double *ytbar,
                               double *HbarT, double *dbar, double *Xbar) {
    size_t X = kp->X, XP = kp->XP;
    const double *HT = kp->HT;
    double e[SMC_RESID_RMAX], G[SMC_RESID_RMAX * SMC_RESID_RMAX];
    double m1[SMC_RESID_RMAX] = {0}, M2[SMC_RESID_RMAX * SMC_RESID_RMAX] = {0}, S0 = 0.0;
    step_moments(R, kp, yt, w, e, G);
    for (size_t k = 0; k < K; k++) {
        const double *x = Xs + k * R;
        double o = om[k];
        S0 += o;
        for (size_t a = 0; a < R; a++) {
            double gx = 0.0;
            for (size_t b = 0; b < R; b++)
                gx += G[a * R + b] * x[b];
            Xbar[k * R + a] = o * (e[a] - gx);
            m1[a] += o * x[a];
            for (size_t b = 0; b <= a; b++)
                M2[a * R + b] += o * x[a] * x[b];
        }
    }
    for (size_t a = 0; a < R; a++)
        for (size_t b = a + 1; b < R; b++)
            M2[a * R + b] = M2[b * R + a];
    for (size_t i = 0; i < X; i++) {
        double hm = 0.0, hMh = 0.0, mh[SMC_RESID_RMAX];
        for (size_t a = 0; a < R; a++) {
            hm += HT[a * XP + i] * m1[a];
            double acc = 0.0; /* (M2 H^T)_ai */
            for (size_t b = 0; b < R; b++)
                acc += M2[a * R + b] * HT[b * XP + i];
            mh[a] = acc;
            hMh += HT[a * XP + i] * acc;
        }
        double y = yt[i], wi = w[i];
        ytbar[i] -= wi * (S0 * y - hm);
        dbar[i] += 0.5 * wi * wi * (S0 * y * y - 2.0 * y * hm + hMh);
        for (size_t a = 0; a < R; a++)
            HbarT[a * XP + i] += wi * (m1[a] * y - mh[a]);
    }
}

void smc_resid_gram(const smc_kparams *kp, const double *w, double *G) {
    BY_RANK(kp->R, gram_rows, kp, w, G);
}

SMC_CLONES
void smc_resid_forward_moments(const smc_kparams *kp, const double *yt, const double *w, size_t K,
                               const double *Xs, double *quad) {
    BY_RANK(kp->R, forward_rows, kp, yt, w, K, Xs, quad);
}

SMC_CLONES
void smc_resid_backward_moments(const smc_kparams *kp, const double *yt, const double *w, size_t K,
                                const double *Xs, const double *om, double *ytbar, double *HbarT,
                                double *dbar, double *Xbar) {
    BY_RANK(kp->R, backward_rows, kp, yt, w, K, Xs, om, ytbar, HbarT, dbar, Xbar);
}
