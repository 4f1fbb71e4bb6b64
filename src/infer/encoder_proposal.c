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

/* The per-dimension constants of one step: every division of the proposal happens here, R
 * times a step, instead of in the per-particle loops. */
typedef struct enc_dim {
    double iv, q, sq;   /* 1/v, q, sqrt q */
    double qv, qmue;    /* q/v and q mu_e/s: mu_q = qv mu_p + qmue */
    double half_iq;     /* 1/(2q) */
    double half_isq;    /* 1/(2 sqrt q) */
    double iq, qs;      /* 1/q, q/s */
    double iv2, qv2;    /* 1/v^2, q/v^2 */
    double q2v2, q2s2;  /* q^2/v^2, q^2/s^2 */
    double qmue_s2;     /* q mu_e/s^2 */
} enc_dim;

static enc_dim enc_dim_of(double v, double mu_e, double s) {
    enc_dim c;
    c.iv = 1.0 / v;
    double is = 1.0 / s;
    c.q = 1.0 / (c.iv + is);
    c.sq = sqrt(c.q);
    c.qv = c.q * c.iv, c.qmue = c.q * mu_e * is;
    c.iq = 1.0 / c.q, c.half_iq = 0.5 * c.iq, c.half_isq = 0.5 / c.sq;
    c.qs = c.q * is;
    c.iv2 = c.iv * c.iv, c.qv2 = c.q * c.iv2;
    c.q2v2 = c.qv * c.qv, c.q2s2 = c.qs * c.qs;
    c.qmue_s2 = c.qmue * is;
    return c;
}

SMC_CLONES
void smc_encoder_sample(size_t R, size_t K, const double *v, const double *mu_e, const double *s,
                        const double *Mup, const double *eps, double *Z, double *lw) {
    enc_dim c[64];
    double corr = 0.0;
    for (size_t d = 0; d < R; d++) {
        c[d] = enc_dim_of(v[d], mu_e[d], s[d]);
        corr += 0.5 * log(c[d].q) - 0.5 * log(v[d]);
    }
    for (size_t k = 0; k < K; k++) {
        const double *mp = Mup + k * R, *e = eps + k * R;
        double *z = Z + k * R, acc = corr;
        for (size_t d = 0; d < R; d++) {
            z[d] = c[d].qv * mp[d] + c[d].qmue + c[d].sq * e[d];
            double delta = z[d] - mp[d];
            acc += -0.5 * delta * delta * c[d].iv + 0.5 * e[d] * e[d];
        }
        lw[k] = acc;
    }
}

SMC_CLONES
void smc_encoder_backward(size_t R, size_t K, const double *v, const double *mu_e,
                          const double *s, const double *Mup, const double *eps, const double *Z,
                          const double *om, const double *Zbar, double *Mubar, double *vbar,
                          double *mu_e_bar, double *s_bar) {
    enc_dim c[64];
    for (size_t d = 0; d < R; d++) c[d] = enc_dim_of(v[d], mu_e[d], s[d]);
    for (size_t k = 0; k < K; k++) {
        const double *mp = Mup + k * R, *e = eps + k * R, *z = Z + k * R, *zb = Zbar + k * R;
        double *mb = Mubar + k * R, w = om[k];
        for (size_t d = 0; d < R; d++) {
            const enc_dim *cd = &c[d];
            double delta = z[d] - mp[d], wdv = w * delta * cd->iv;
            double zbar = zb[d] - wdv;
            double muq = cd->qv * mp[d] + cd->qmue;
            double qbar = w * cd->half_iq + zbar * e[d] * cd->half_isq + zbar * muq * cd->iq;
            mb[d] = wdv + zbar * cd->qv;
            mu_e_bar[d] += zbar * cd->qs;
            vbar[d] += 0.5 * w * (delta * delta * cd->iv2 - cd->iv) + qbar * cd->q2v2 -
                       zbar * cd->qv2 * mp[d];
            s_bar[d] += qbar * cd->q2s2 - zbar * cd->qmue_s2;
        }
    }
}
