/* The encoder proposal (spec 3.5): per latent dimension d, the product of the transition
 * Gaussian N(mu_p, v_d) and the encoder's N(mu_e,d, s_d) at this step,
 *     q_d = 1 / (1/v_d + 1/s_d),   mu_q = q (mu_p / v + mu_e / s),   z = mu_q + sqrt(q) eps,
 * with the weight correction log N(z; mu_p, v) - log N(z; mu_q, q)
 *     = -1/2 (z - mu_p)^2 / v - 1/2 log v + 1/2 eps^2 + 1/2 log q     (the 2 pi terms cancel).
 * Needs a diagonal transition covariance (v_d = L_dd^2). Backward, given the adjoint zbar of z
 * (from the observation and the future) and om of the weight, with delta = z - mu_p:
 *     zbar -= om delta / v,  mubar_p = om delta / v,  vbar += om (delta^2 / v^2 - 1/v) / 2,
 *     qbar = om / (2q) + zbar eps / (2 sqrt q) + zbar mu_q / q,
 *     mubar_p += zbar q / v,  mubar_e += zbar q / s,
 *     vbar += qbar q^2 / v^2 - zbar q mu_p / v^2,  sbar += qbar q^2 / s^2 - zbar q mu_e / s^2.
 * (docs/derivations/encoder_proposal.md) */
#include <math.h>

#include "infer/smc_internal.h"

SMC_CLONES
void smc_encoder_sample(size_t R, size_t K, const double *v, const double *mu_e, const double *s,
                        const double *Mup, const double *eps, double *Z, double *lw) {
    double q[64], sq[64], corr = 0.0;
    for (size_t d = 0; d < R; d++) {
        q[d] = 1.0 / (1.0 / v[d] + 1.0 / s[d]);
        sq[d] = sqrt(q[d]);
        corr += 0.5 * log(q[d]) - 0.5 * log(v[d]);
    }
    for (size_t k = 0; k < K; k++) {
        const double *mp = Mup + k * R, *e = eps + k * R;
        double *z = Z + k * R, acc = corr;
        for (size_t d = 0; d < R; d++) {
            z[d] = q[d] * (mp[d] / v[d] + mu_e[d] / s[d]) + sq[d] * e[d];
            double delta = z[d] - mp[d];
            acc += -0.5 * delta * delta / v[d] + 0.5 * e[d] * e[d];
        }
        lw[k] = acc;
    }
}

SMC_CLONES
void smc_encoder_backward(size_t R, size_t K, const double *v, const double *mu_e,
                          const double *s, const double *Mup, const double *eps, const double *Z,
                          const double *om, const double *Zbar, double *Mubar, double *vbar,
                          double *mu_e_bar, double *s_bar) {
    double q[64], sq[64];
    for (size_t d = 0; d < R; d++) {
        q[d] = 1.0 / (1.0 / v[d] + 1.0 / s[d]);
        sq[d] = sqrt(q[d]);
    }
    for (size_t k = 0; k < K; k++) {
        const double *mp = Mup + k * R, *e = eps + k * R, *z = Z + k * R, *zb = Zbar + k * R;
        double *mb = Mubar + k * R;
        for (size_t d = 0; d < R; d++) {
            double delta = z[d] - mp[d], w = om[k];
            double zbar = zb[d] - w * delta / v[d];
            double muq = q[d] * (mp[d] / v[d] + mu_e[d] / s[d]);
            double qbar = 0.5 * w / q[d] + zbar * e[d] / (2.0 * sq[d]) + zbar * muq / q[d];
            mb[d] = w * delta / v[d] + zbar * q[d] / v[d];
            mu_e_bar[d] += zbar * q[d] / s[d];
            vbar[d] += 0.5 * w * (delta * delta / (v[d] * v[d]) - 1.0 / v[d]) +
                       qbar * q[d] * q[d] / (v[d] * v[d]) - zbar * q[d] * mp[d] / (v[d] * v[d]);
            s_bar[d] += qbar * q[d] * q[d] / (s[d] * s[d]) - zbar * q[d] * mu_e[d] / (s[d] * s[d]);
        }
    }
}
