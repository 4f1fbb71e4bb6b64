/* The transition's unit loops (the hot path of the SMC bound), written once and instantiated
 * by kernels.c for several vector widths. No include guard: kernels.c includes this file once
 * per instruction set, after defining
 *     KT_VW          doubles per vector (1: plain C, 2: SSE2/NEON, 4: AVX2, 8: AVX-512)
 *     KT_NAME(x)     x with the instance's suffix
 *     KT_TARGET      the instance's function attribute (target("avx2"), ...) or nothing
 *     KT_FMA(a,b,c)  optional: a b + c with one rounding on vectors (hardware FMA)
 *     KT_TANH(v)     optional: tanh of a whole vector (else lane by lane through libm)
 *
 * Every unit loop runs over chunks of 8 units (KT_NV = 8 / KT_VW vectors). Sums over units are
 * kept in 8 partial sums, lane l taking the units i = l (mod 8), and the lanes are added in a
 * fixed tree at the end (lanes_sum). All instances do the same arithmetic in the same order,
 * so they give bit-identical results when they agree on KT_FMA: the AVX2 and AVX-512 ones fuse
 * their multiply-adds, the baseline ones do not and differ from those by that rounding only.
 * Units are padded with zeros to a multiple of 8 (smc_kparams.S); padded units contribute exact
 * zeros.
 *
 * The parameters and the adjoint accumulators are rows of one per-thread unit table
 * (smc_internal.h). With the parameters in the shared pass block and the accumulators in a
 * separate allocation, the backward loop ran up to twice slower, depending on where the two
 * landed (store/load address conflicts between the accumulator stores and the next chunks'
 * parameter loads); in one block the rows keep fixed relative offsets.
 *
 * Per particle (z: R, x: N), equations of spec section 1 and docs/derivations/smc_gradient.md:
 *   forward    x = m z + cin,  mu = a . z + n phi(x; h)
 *   backward   g = n^T mubar,  xbar = phi'(x) . g,  zbar = a . mubar + m^T xbar,
 *              nbar += mubar phi^T,  (m^T)bar += z xbar^T,  hbar += (d phi / d h) . g,
 *              cinbar += xbar,  abar += mubar . z
 * The backward pass recomputes x and phi(x) from z (5 flops a unit) instead of storing them: a
 * T x K x N tape is 2 MB per trial at the EEG size and would stream from L3. */

#define KT_NV (8 / KT_VW)
#define KT_INLINE static inline __attribute__((always_inline)) KT_TARGET

#if KT_VW == 1
typedef double KT_NAME(vec);
#define KT_LANE(v, l) (v)
#else
typedef double KT_NAME(vec) __attribute__((vector_size(8 * KT_VW)));
typedef long long KT_NAME(bits) __attribute__((vector_size(8 * KT_VW)));
#define KT_LANE(v, l) ((v)[l])
#endif
#define vec KT_NAME(vec)

KT_INLINE vec KT_NAME(load)(const double *p) {
    vec v;
    memcpy(&v, p, sizeof v);
    return v;
}

KT_INLINE void KT_NAME(store)(double *p, vec v) {
    memcpy(p, &v, sizeof v);
}

/* c > 0 ? g : 0, lane by lane */
KT_INLINE vec KT_NAME(where_pos)(vec c, vec g) {
#if KT_VW == 1
    return c > 0.0 ? g : 0.0;
#else
    vec zero = {0};
    return (vec)((KT_NAME(bits))g & (c > zero));
#endif
}

/* The 8 lanes of acc[0..KT_NV) added pairwise, halving: ((l0 + l4) + (l2 + l6)) +
 * ((l1 + l5) + (l3 + l7)), 3 additions deep (short rows end in these sums). */
KT_INLINE double KT_NAME(lanes_sum)(const vec *acc) {
    double t[8];
    memcpy(t, acc, sizeof t);
    for (size_t h = 4; h > 0; h /= 2)
        for (size_t i = 0; i < h; i++) t[i] += t[i + h];
    return t[0];
}

/* acc[0..n) = 0 as vector assignments: a memset of the accumulator array compiled to
 * `rep stos`, whose start-up cost was 6-11% of the short per-particle loops (N = 20). */
KT_INLINE void KT_NAME(zero)(vec *acc, size_t n) {
    vec zero = {0};
    for (size_t i = 0; i < n; i++) acc[i] = zero;
}

/* a b + c: fused (one rounding) where the instance defines KT_FMA(a, b, c) on vectors, else
 * two roundings. fma takes a scalar a, fmav a vector. */
KT_INLINE vec KT_NAME(fmav)(vec a, vec b, vec c) {
#ifdef KT_FMA
    return KT_FMA(a, b, c);
#else
    return a * b + c;
#endif
}

KT_INLINE vec KT_NAME(fma)(double a, vec b, vec c) {
    vec zero = {0};
    return KT_NAME(fmav)(a - zero, b, c); /* a - 0 is a in every lane, -0 included */
}

/* phi(x; h) for the four activations (lrnn_activation_apply, lane by lane). */
KT_INLINE vec KT_NAME(phi)(lrnn_activation act, vec x, vec h) {
    switch (act) {
    case LRNN_ACT_RELU: return KT_NAME(where_pos)(x - h, x - h);
    case LRNN_ACT_CLIPPED_RELU: return KT_NAME(where_pos)(x + h, x + h) - KT_NAME(where_pos)(x, x);
    case LRNN_ACT_TANH: {
        vec p = x - h;
#ifdef KT_TANH
        p = KT_TANH(p);
#else
        for (size_t l = 0; l < KT_VW; l++) KT_LANE(p, l) = tanh(KT_LANE(p, l));
#endif
        return p;
    }
    case LRNN_ACT_IDENTITY: break;
    }
    return x - h;
}

/* xbar = phi'(x) g; *hterm = (d phi / d h) g. */
KT_INLINE vec KT_NAME(phi_backward)(lrnn_activation act, vec x, vec h, vec phi, vec g,
                                    vec *hterm) {
    switch (act) {
    case LRNN_ACT_RELU: { /* relu(x - h): d/dx = 1[x > h] = -d/dh */
        vec on = KT_NAME(where_pos)(x - h, g);
        *hterm = -on;
        return on;
    }
    case LRNN_ACT_CLIPPED_RELU: { /* d/dx = 1[x+h>0] - 1[x>0], d/dh = 1[x+h>0] */
        vec upper = KT_NAME(where_pos)(x + h, g), lower = KT_NAME(where_pos)(x, g);
        *hterm = upper;
        return upper - lower;
    }
    case LRNN_ACT_TANH: { /* d/dx = 1 - phi^2 = -d/dh */
        vec xbar = g * (1.0 - phi * phi);
        *hterm = -xbar;
        return xbar;
    }
    case LRNN_ACT_IDENTITY: break;
    }
    *hterm = -g;
    return g;
}

/* sum_r c_r A_r (A: R rows of stride S), then + add when given. */
KT_INLINE vec KT_NAME(combine)(size_t R, size_t S, const double *c, const double *A,
                               const double *add) {
    vec acc = c[0] * KT_NAME(load)(A);
    for (size_t r = 1; r < R; r++) acc = KT_NAME(fma)(c[r], KT_NAME(load)(A + r * S), acc);
    if (add) acc += KT_NAME(load)(add);
    return acc;
}

/* Latent dimensions per pass over the units: the partial sums of up to KT_RB outputs stay in
 * registers; larger ranks take several passes (recomputing x and phi). */
#define KT_RB 4

/* out[p KT_RB + r] = lanes_sum of acc[p][r] (acc: P x KT_RB x KT_NV vectors) for p < P, r < rb.
 * With 8-lane vectors (AVX-512) four sums at a time go through shuffles, one add per level of
 * lanes_sum's tree for all four, instead of a store and seven scalar adds per sum; the tree
 * and so the result are the same. */
KT_INLINE void KT_NAME(lanes_sums)(size_t P, size_t rb, const vec *acc, double *out) {
#if KT_VW == 8
    typedef long long KT_NAME(idx) __attribute__((vector_size(64)));
#define KT_SHUF(a, b, ...) __builtin_shuffle(a, b, (KT_NAME(idx)){__VA_ARGS__})
    /* the needed rows p KT_RB + r in groups of four (the last group padded with a repeat) */
    size_t at[4 * KT_RB][4], n = 0;
    for (size_t p = 0; p < P; p++)
        for (size_t r = 0; r < rb; r++, n++) at[n / 4][n % 4] = p * KT_RB + r;
    for (; n % 4; n++) at[n / 4][n % 4] = at[0][0];
    size_t groups = n / 4;
    for (size_t g = 0; g < groups; g++) {
        vec a = acc[at[g][0]], b = acc[at[g][1]], c = acc[at[g][2]], d = acc[at[g][3]];
        /* l_i + l_{i+4}: [a0..a3 b0..b3], [c0..c3 d0..d3]; then + l_{i+2}; then + l_{i+1} */
        vec ab = KT_SHUF(a, b, 0, 1, 2, 3, 8, 9, 10, 11) +
                 KT_SHUF(a, b, 4, 5, 6, 7, 12, 13, 14, 15);
        vec cd = KT_SHUF(c, d, 0, 1, 2, 3, 8, 9, 10, 11) +
                 KT_SHUF(c, d, 4, 5, 6, 7, 12, 13, 14, 15);
        vec s2 = KT_SHUF(ab, cd, 0, 1, 4, 5, 8, 9, 12, 13) +
                 KT_SHUF(ab, cd, 2, 3, 6, 7, 10, 11, 14, 15);
        vec s3 = KT_SHUF(s2, s2, 0, 2, 4, 6, 0, 2, 4, 6) + KT_SHUF(s2, s2, 1, 3, 5, 7, 1, 3, 5, 7);
        for (size_t l = 0; l < 4; l++) out[at[g][l]] = s3[l];
    }
#undef KT_SHUF
#else
    for (size_t p = 0; p < P; p++)
        for (size_t r = 0; r < rb; r++)
            out[p * KT_RB + r] = KT_NAME(lanes_sum)(acc + (p * KT_RB + r) * KT_NV);
#endif
}

/* Particles per pass over the units: 4 with 32 vector registers (AVX-512), else 2. */
#define KT_PB (KT_VW == 8 ? 4 : 2)

/* The bodies take P = 1 .. KT_PB particles per pass over the units (P a compile-time constant):
 * the particles share every load of the parameters and every load and store of the adjoint
 * accumulators, to which they add in particle order, as a one-at-a-time loop would, so the
 * results do not depend on P. z and mubar are copied into locals, so that the compiler knows
 * the accumulator stores touch neither. R <= 64. Table rows (stride S): m^T (R), n (R), h,
 * then nbar (R), (m^T)bar (R), hbar. Four particles a pass instead of two made the EEG epoch
 * (N = 512, a 56 KB table) about 25% faster; five gained nothing, nor did slicing the units so
 * that a slice of the table stays in L1 across all particles. */
KT_INLINE void KT_NAME(forward_block)(size_t R, lrnn_activation act, size_t P,
                                      const smc_kparams *kp, const double *table,
                                      const double *Z, const double *cin, double *Mu) {
    size_t S = kp->S;
    const double *restrict mT = table, *restrict n = mT + R * S, *restrict h = n + R * S;
    double z[4][64];
    for (size_t p = 0; p < P; p++) memcpy(z[p], Z + p * R, R * sizeof z[p][0]);
    for (size_t r0 = 0; r0 < R; r0 += KT_RB) {
        size_t rb = R - r0 < KT_RB ? R - r0 : KT_RB;
        vec acc[4][KT_RB][KT_NV];
        KT_NAME(zero)(&acc[0][0][0], 4 * KT_RB * KT_NV);
        for (size_t i = 0; i < S; i += 8)
            for (size_t q = 0; q < KT_NV; q++) {
                size_t at = i + q * KT_VW;
                vec hv = KT_NAME(load)(h + at);
                for (size_t p = 0; p < P; p++) {
                    vec x = KT_NAME(combine)(R, S, z[p], mT + at, cin ? cin + at : NULL);
                    vec phi = KT_NAME(phi)(act, x, hv);
                    for (size_t r = 0; r < rb; r++)
                        acc[p][r][q] = KT_NAME(fmav)(phi, KT_NAME(load)(n + (r0 + r) * S + at),
                                                     acc[p][r][q]);
                }
            }
        double sums[4 * KT_RB];
        KT_NAME(lanes_sums)(P, rb, &acc[0][0][0], sums);
        for (size_t p = 0; p < P; p++)
            for (size_t r = 0; r < rb; r++)
                Mu[p * R + r0 + r] = kp->a[r0 + r] * z[p][r0 + r] + sums[p * KT_RB + r];
    }
}

KT_INLINE void KT_NAME(backward_block)(size_t R, lrnn_activation act, size_t P,
                                       const smc_kparams *kp, double *table, const double *Z,
                                       const double *cin, const double *Mubar, double *Zbar,
                                       double *cinbar, double *abar) {
    size_t S = kp->S;
    const double *restrict mT = table, *restrict n = mT + R * S, *restrict h = n + R * S;
    double *restrict nbar = table + (2 * R + 1) * S, *restrict mTbar = nbar + R * S;
    double *restrict hbar = mTbar + R * S, *restrict cbar = cinbar;
    double z[4][64], mb[4][64];
    for (size_t p = 0; p < P; p++) {
        memcpy(z[p], Z + p * R, R * sizeof z[p][0]);
        memcpy(mb[p], Mubar + p * R, R * sizeof mb[p][0]);
    }
    for (size_t r0 = 0; r0 < R; r0 += KT_RB) {
        size_t rb = R - r0 < KT_RB ? R - r0 : KT_RB;
        vec acc[4][KT_RB][KT_NV];
        KT_NAME(zero)(&acc[0][0][0], 4 * KT_RB * KT_NV);
        for (size_t i = 0; i < S; i += 8)
            for (size_t q = 0; q < KT_NV; q++) {
                size_t at = i + q * KT_VW;
                vec hv = KT_NAME(load)(h + at), phi[4], xbar[4], hterm[4];
                for (size_t p = 0; p < P; p++) {
                    vec x = KT_NAME(combine)(R, S, z[p], mT + at, cin ? cin + at : NULL);
                    vec g = KT_NAME(combine)(R, S, mb[p], n + at, NULL);
                    phi[p] = KT_NAME(phi)(act, x, hv);
                    xbar[p] = KT_NAME(phi_backward)(act, x, hv, phi[p], g, &hterm[p]);
                }
                if (r0 == 0) {
                    vec hb = KT_NAME(load)(hbar + at);
                    for (size_t p = 0; p < P; p++) hb += hterm[p];
                    KT_NAME(store)(hbar + at, hb);
                    if (cbar) {
                        vec cb = KT_NAME(load)(cbar + at);
                        for (size_t p = 0; p < P; p++) cb += xbar[p];
                        KT_NAME(store)(cbar + at, cb);
                    }
                }
                for (size_t r = 0; r < rb; r++) {
                    size_t row = (r0 + r) * S + at;
                    vec nb = KT_NAME(load)(nbar + row), mtb = KT_NAME(load)(mTbar + row);
                    vec mrow = KT_NAME(load)(mT + row);
                    for (size_t p = 0; p < P; p++) {
                        nb = KT_NAME(fma)(mb[p][r0 + r], phi[p], nb);
                        mtb = KT_NAME(fma)(z[p][r0 + r], xbar[p], mtb);
                        acc[p][r][q] = KT_NAME(fmav)(xbar[p], mrow, acc[p][r][q]);
                    }
                    KT_NAME(store)(nbar + row, nb);
                    KT_NAME(store)(mTbar + row, mtb);
                }
            }
        double sums[4 * KT_RB];
        KT_NAME(lanes_sums)(P, rb, &acc[0][0][0], sums);
        for (size_t p = 0; p < P; p++)
            for (size_t r = 0; r < rb; r++)
                Zbar[p * R + r0 + r] = kp->a[r0 + r] * mb[p][r0 + r] + sums[p * KT_RB + r];
    }
    for (size_t p = 0; p < P; p++)
        for (size_t r = 0; r < R; r++) abar[r] += mb[p][r] * z[p][r];
}

/* All K particles: blocks of KT_PB, then the rest as one block (P a constant in each call). */
#define KT_BLOCKS(fn, K, ...)                                                                  \
    do {                                                                                       \
        size_t k_ = 0;                                                                         \
        for (; k_ + KT_PB <= (K); k_ += KT_PB) fn(KT_PB, k_, __VA_ARGS__);                     \
        switch ((K) - k_) { /* (blocks of up to 4: the arrays are sized for 4) */             \
        case 3: fn(3, k_, __VA_ARGS__); break;                                                 \
        case 2: fn(2, k_, __VA_ARGS__); break;                                                 \
        case 1: fn(1, k_, __VA_ARGS__); break;                                                 \
        default: break;                                                                        \
        }                                                                                      \
    } while (0)

KT_INLINE void KT_NAME(forward_body)(size_t R, lrnn_activation act, const smc_kparams *kp,
                                     const double *table, size_t K, const double *Z,
                                     const double *cin, double *Mu) {
#define KT_FWD(P, k, ...) KT_NAME(forward_block)(R, act, P, kp, table, Z + k * R, cin, Mu + k * R)
    KT_BLOCKS(KT_FWD, K, 0);
#undef KT_FWD
}

KT_INLINE void KT_NAME(backward_body)(size_t R, lrnn_activation act, const smc_kparams *kp,
                                      double *table, size_t K, const double *Z,
                                      const double *cin, const double *Mubar, double *Zbar,
                                      double *cinbar, double *abar) {
#define KT_BWD(P, k, ...)                                                                      \
    KT_NAME(backward_block)(R, act, P, kp, table, Z + k * R, cin, Mubar + k * R, Zbar + k * R, \
                            cinbar, abar)
    KT_BLOCKS(KT_BWD, K, 0);
#undef KT_BWD
}

/* Gaussian readout residuals of K particles x (K x R), channels padded to XP (multiple of 8):
 *   r = y~ - H x,  quad_k = sum_i w_i r_i^2       (w = 1/d on observed channels, 0 elsewhere)
 * and the adjoint of -1/2 om_k quad_k:
 *   g = om_k w . r,  y~bar -= g,  dbar += g . r w / 2,  (H^T)bar += x g^T,  xbar_k = H^T g. */
KT_INLINE void KT_NAME(resid_forward_block)(size_t R, size_t P, const smc_kparams *kp,
                                            const double *yt, const double *w, const double *Xs,
                                            double *quad) {
    size_t XP = kp->XP;
    const double *restrict HT = kp->HT;
    double x[2][64];
    for (size_t p = 0; p < P; p++) memcpy(x[p], Xs + p * R, R * sizeof x[p][0]);
    vec acc[2][KT_NV];
    KT_NAME(zero)(&acc[0][0], 2 * KT_NV);
    for (size_t i = 0; i < XP; i += 8)
        for (size_t q = 0; q < KT_NV; q++) {
            size_t o = i + q * KT_VW;
            vec y = KT_NAME(load)(yt + o), wv = KT_NAME(load)(w + o);
            for (size_t p = 0; p < P; p++) {
                vec r = y;
                for (size_t a = 0; a < R; a++)
                    r = KT_NAME(fma)(-x[p][a], KT_NAME(load)(HT + a * XP + o), r);
                acc[p][q] = KT_NAME(fmav)(r * r, wv, acc[p][q]);
            }
        }
    for (size_t p = 0; p < P; p++) quad[p] = KT_NAME(lanes_sum)(acc[p]);
}

KT_INLINE void KT_NAME(resid_backward_block)(size_t R, size_t P, const smc_kparams *kp,
                                             const double *yt, const double *w, const double *Xs,
                                             const double *om, double *ytbar, double *HbarT,
                                             double *dbar, double *Xbar) {
    size_t XP = kp->XP;
    const double *restrict HT = kp->HT;
    double *restrict yb = ytbar, *restrict Hb = HbarT, *restrict db = dbar;
    double x[2][64];
    for (size_t p = 0; p < P; p++) memcpy(x[p], Xs + p * R, R * sizeof x[p][0]);
    for (size_t r0 = 0; r0 < R; r0 += KT_RB) {
        size_t rb = R - r0 < KT_RB ? R - r0 : KT_RB;
        vec acc[2][KT_RB][KT_NV];
        KT_NAME(zero)(&acc[0][0][0], 2 * KT_RB * KT_NV);
        for (size_t i = 0; i < XP; i += 8)
            for (size_t q = 0; q < KT_NV; q++) {
                size_t o = i + q * KT_VW;
                vec y = KT_NAME(load)(yt + o), wv = KT_NAME(load)(w + o), g[2], rw[2];
                for (size_t p = 0; p < P; p++) {
                    vec r = y;
                    for (size_t a = 0; a < R; a++)
                        r = KT_NAME(fma)(-x[p][a], KT_NAME(load)(HT + a * XP + o), r);
                    g[p] = om[p] * r * wv;
                    rw[p] = r * wv;
                }
                if (r0 == 0) {
                    vec ybv = KT_NAME(load)(yb + o), dbv = KT_NAME(load)(db + o);
                    for (size_t p = 0; p < P; p++) {
                        ybv -= g[p];
                        dbv = KT_NAME(fmav)(0.5 * g[p], rw[p], dbv);
                    }
                    KT_NAME(store)(yb + o, ybv);
                    KT_NAME(store)(db + o, dbv);
                }
                for (size_t a = 0; a < rb; a++) {
                    size_t row = (r0 + a) * XP + o;
                    vec hb = KT_NAME(load)(Hb + row), hrow = KT_NAME(load)(HT + row);
                    for (size_t p = 0; p < P; p++) {
                        hb = KT_NAME(fma)(x[p][r0 + a], g[p], hb);
                        acc[p][a][q] = KT_NAME(fmav)(g[p], hrow, acc[p][a][q]);
                    }
                    KT_NAME(store)(Hb + row, hb);
                }
            }
        for (size_t p = 0; p < P; p++)
            for (size_t a = 0; a < rb; a++) Xbar[p * R + r0 + a] = KT_NAME(lanes_sum)(acc[p][a]);
    }
}

KT_INLINE void KT_NAME(resid_forward_body)(size_t R, const smc_kparams *kp, const double *yt,
                                           const double *w, size_t K, const double *Xs,
                                           double *quad) {
    size_t k = 0;
    for (; k + 2 <= K; k += 2) KT_NAME(resid_forward_block)(R, 2, kp, yt, w, Xs + k * R, quad + k);
    if (k < K) KT_NAME(resid_forward_block)(R, 1, kp, yt, w, Xs + k * R, quad + k);
}

KT_INLINE void KT_NAME(resid_backward_body)(size_t R, const smc_kparams *kp, const double *yt,
                                            const double *w, size_t K, const double *Xs,
                                            const double *om, double *ytbar, double *HbarT,
                                            double *dbar, double *Xbar) {
    size_t k = 0;
    for (; k + 2 <= K; k += 2)
        KT_NAME(resid_backward_block)(R, 2, kp, yt, w, Xs + k * R, om + k, ytbar, HbarT, dbar,
                                      Xbar + k * R);
    if (k < K)
        KT_NAME(resid_backward_block)(R, 1, kp, yt, w, Xs + k * R, om + k, ytbar, HbarT, dbar,
                                      Xbar + k * R);
}

/* Entry points: the rank (1..4, BY_RANK of rows.h) and the activation become compile-time
 * constants. */
#define KT_BY_ACT(fn, R, act, ...)                                                             \
    switch (act) {                                                                             \
    case LRNN_ACT_RELU: fn(R, LRNN_ACT_RELU, __VA_ARGS__); break;                              \
    case LRNN_ACT_CLIPPED_RELU: fn(R, LRNN_ACT_CLIPPED_RELU, __VA_ARGS__); break;              \
    case LRNN_ACT_TANH: fn(R, LRNN_ACT_TANH, __VA_ARGS__); break;                              \
    case LRNN_ACT_IDENTITY: fn(R, LRNN_ACT_IDENTITY, __VA_ARGS__); break;                      \
    }
#define KT_BY_RANK_ACT(fn, R, act, ...)                                                        \
    switch (R) {                                                                               \
    case 1: KT_BY_ACT(fn, 1, act, __VA_ARGS__) break;                                          \
    case 2: KT_BY_ACT(fn, 2, act, __VA_ARGS__) break;                                          \
    case 3: KT_BY_ACT(fn, 3, act, __VA_ARGS__) break;                                          \
    case 4: KT_BY_ACT(fn, 4, act, __VA_ARGS__) break;                                          \
    default: KT_BY_ACT(fn, R, act, __VA_ARGS__) break;                                         \
    }

KT_TARGET static void KT_NAME(forward)(const smc_kparams *kp, const double *table, size_t K,
                                       const double *Z, const double *cin, double *Mu) {
    KT_BY_RANK_ACT(KT_NAME(forward_body), kp->R, kp->act, kp, table, K, Z, cin, Mu)
}

KT_TARGET static void KT_NAME(backward)(const smc_kparams *kp, double *table, size_t K,
                                        const double *Z, const double *cin, const double *Mubar,
                                        double *Zbar, double *cinbar, double *abar) {
    KT_BY_RANK_ACT(KT_NAME(backward_body), kp->R, kp->act, kp, table, K, Z, cin, Mubar, Zbar,
                   cinbar, abar)
}

KT_TARGET static void KT_NAME(resid_forward)(const smc_kparams *kp, const double *yt,
                                             const double *w, size_t K, const double *Xs,
                                             double *quad) {
    BY_RANK(kp->R, KT_NAME(resid_forward_body), kp, yt, w, K, Xs, quad);
}

KT_TARGET static void KT_NAME(resid_backward)(const smc_kparams *kp, const double *yt,
                                              const double *w, size_t K, const double *Xs,
                                              const double *om, double *ytbar, double *HbarT,
                                              double *dbar, double *Xbar) {
    BY_RANK(kp->R, KT_NAME(resid_backward_body), kp, yt, w, K, Xs, om, ytbar, HbarT, dbar,
            Xbar);
}

#undef KT_RB
#undef KT_PB
#undef KT_BLOCKS
#undef KT_BY_RANK_ACT
#undef KT_BY_ACT
#undef vec
#undef KT_LANE
#undef KT_INLINE
#undef KT_NV
