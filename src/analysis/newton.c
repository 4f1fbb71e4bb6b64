/* Fixed points and k-cycles of any latent map by damped Newton from many starts: solve
 * G(z) = f^k(z) - z = 0 with G'(z) = J(z_{k-1}) ... J(z_0) - I, halving the step until |G|
 * decreases. Not exhaustive: it finds what the starts lead to. The "continuous-time view" of a
 * tanh model is this map (an Euler step of tau dz/dt = -z + N^T tanh(M z)), so its fixed points
 * are those of the flow; stability is reported for the discrete map.
 *
 * Starts (stream (seed, FP purpose, 1000 + k, start)): half uniform in a box that contains
 * every fixed point of a bounded activation (|z_r| <= sum_i |n_ri| max|phi_i| / (1 - |a_r|)),
 * half the end points of 50 steps of the map from such points, which lands near attractors
 * and the saddles between them. Starts run in parallel; the results are merged in start
 * order, so they do not depend on the number of threads. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/dense.h"
#include "analysis/internal.h"

#ifdef _OPENMP
#include <omp.h>
#endif

/* Half-width of the box of starts along each latent dimension. */
static void start_box(const lrnn_latent_map *map, double *box) {
    int R = map->R;
    size_t N = (size_t)map->N;
    for (int r = 0; r < R; r++) {
        double s = 0.0;
        for (size_t i = 0; i < N; i++) {
            double bound;
            switch (map->activation) {
            case LRNN_ACT_TANH:
                bound = 1.0;
                break;
            case LRNN_ACT_CLIPPED_RELU:
                bound = fabs(map->h[i]);
                break;
            default: { /* unbounded: the scale of the currents at |z| ~ 1 */
                double mi = 0.0;
                for (int c = 0; c < R; c++)
                    mi += fabs(map->m[i * (size_t)R + (size_t)c]);
                bound = mi + fabs(map->b[i]) + fabs(map->h[i]);
            }
            }
            s += fabs(map->n[(size_t)r * N + i]) * bound;
        }
        double leak = 1.0 - fabs(map->a[r]);
        box[r] = 1.0 + s / (leak > 0.05 ? leak : 0.05);
    }
}

typedef struct newton_ws {
    double *z, *pts, *J, *G, *T, *step, *trial;
    int *piv;
} newton_ws;

/* G = f^k(z) - z; the orbit goes to pts ((k + 1) x R); when J is not NULL it receives G'. */
static double residual(const lrnn_latent_map *map, int k, const double *z, newton_ws *w,
                       double *J) {
    int R = map->R;
    size_t Rs = (size_t)R, RR = Rs * Rs;
    memcpy(w->pts, z, Rs * sizeof *z);
    if (J) {
        memset(J, 0, RR * sizeof *J);
        for (int r = 0; r < R; r++)
            J[r * R + r] = 1.0;
    }
    for (int i = 0; i < k; i++) {
        const double *x = w->pts + (size_t)i * Rs;
        if (J) {
            lrnn_latent_map_jacobian(map, x, w->T);
            dense_mm((size_t)R, (size_t)R, (size_t)R, w->T, J, w->G);
            memcpy(J, w->G, RR * sizeof *J);
        }
        lrnn_latent_map_step(map, x, w->pts + (size_t)(i + 1) * Rs);
    }
    double nrm = 0.0;
    for (int r = 0; r < R; r++) {
        w->G[r] = w->pts[(size_t)k * Rs + (size_t)r] - z[r];
        nrm = fmax(nrm, fabs(w->G[r]));
    }
    if (J)
        for (int r = 0; r < R; r++)
            J[r * R + r] -= 1.0;
    return isfinite(nrm) ? nrm : INFINITY;
}

static double max_abs(int n, const double *x) {
    double m = 0.0;
    for (int i = 0; i < n; i++)
        m = fmax(m, fabs(x[i]));
    return m;
}

/* Damped Newton from z (in place). Returns 1 when converged. */
static int newton_solve(const lrnn_latent_map *map, const lrnn_fp_params *p, int k, double *z,
                        newton_ws *w) {
    int R = map->R;
    size_t Rs = (size_t)R;
    for (int it = 0; it < p->newton_iterations; it++) {
        double nrm = residual(map, k, z, w, w->J);
        if (!isfinite(nrm)) return 0;
        if (nrm <= p->newton_tol * (1.0 + max_abs(R, z))) return 1;
        for (int r = 0; r < R; r++)
            w->step[r] = -w->G[r];
        if (fp_lu(R, w->J, w->piv, NULL) != 0) return 0;
        fp_lu_solve(R, w->J, w->piv, w->step);
        double t = 1.0;
        int accepted = 0;
        for (int half = 0; half < 40; half++, t *= 0.5) {
            for (int r = 0; r < R; r++)
                w->trial[r] = z[r] + t * w->step[r];
            double nt = residual(map, k, w->trial, w, NULL);
            if (nt < (1.0 - 1e-4 * t) * nrm) {
                accepted = 1;
                break;
            }
        }
        if (!accepted) return 0;
        memcpy(z, w->trial, Rs * sizeof *z);
    }
    return residual(map, k, z, w, NULL) <= p->newton_tol * (1.0 + max_abs(R, z));
}

lrnn_status fp_newton_order(const lrnn_latent_map *map, const lrnn_fp_params *p, int k,
                            lrnn_fp_result *out) {
    int R = map->R;
    size_t Rs = (size_t)R, RR = Rs * Rs, K = (size_t)k, S = (size_t)p->newton_starts;
    double *box = malloc(Rs * sizeof *box), *ends = malloc(S * Rs * sizeof *ends);
    uint8_t *ok = calloc(S, 1);
    if (!box || !ends || !ok) {
        free(box), free(ends), free(ok);
        return lrnn_fail(LRNN_ERR_NOMEM, "fixed points: cannot allocate %zu Newton starts", S);
    }
    start_box(map, box);
    int threads = 1, failed = 0;
#ifdef _OPENMP
    threads = p->threads > 0 ? p->threads : omp_get_max_threads();
#endif
    if (out->stats.threads < threads) out->stats.threads = threads;
#pragma omp parallel num_threads(threads)
    {
        newton_ws w;
        double *block = malloc(((K + 1) * Rs + 3 * RR + 3 * Rs + Rs) * sizeof *block);
        w.piv = malloc(Rs * sizeof *w.piv);
        if (!block || !w.piv) {
#pragma omp atomic write
            failed = 1;
        } else {
            w.pts = block, w.J = w.pts + (K + 1) * Rs, w.G = w.J + RR, w.T = w.G + RR;
            w.step = w.T + RR, w.trial = w.step + Rs, w.z = w.trial + Rs;
        }
#pragma omp for schedule(dynamic, 4)
        for (size_t s = 0; s < S; s++) {
            if (!block || !w.piv) continue;
            lrnn_rng rng;
            lrnn_rng_init(&rng, p->seed, FP_RNG_PURPOSE, 1000 + (uint64_t)k, s);
            double *z = ends + s * Rs;
            for (int r = 0; r < R; r++)
                z[r] = box[r] * (2.0 * lrnn_rng_uniform(&rng) - 1.0);
            if (s % 2 == 1)
                for (int step = 0; step < 50; step++) {
                    lrnn_latent_map_step(map, z, w.z);
                    if (!(max_abs(R, w.z) < 1e100)) break;
                    memcpy(z, w.z, Rs * sizeof *z);
                }
            ok[s] = (uint8_t)newton_solve(map, p, k, z, &w);
        }
        free(block), free(w.piv);
    }
    lrnn_status st = LRNN_OK;
    if (failed) st = lrnn_fail(LRNN_ERR_NOMEM, "fixed points: cannot allocate Newton workspace");
    /* merge in start order: the orbit of each converged start, deduplicated */
    double *orbit = malloc((K + 1) * Rs * sizeof *orbit), *rot = malloc(K * Rs * sizeof *rot);
    if (!st && (!orbit || !rot))
        st = lrnn_fail(LRNN_ERR_NOMEM, "fixed points: cannot allocate Newton results");
    out->stats.starts += S;
    for (size_t s = 0; s < S && !st; s++) {
        if (!ok[s]) continue;
        out->stats.converged++;
        memcpy(orbit, ends + s * Rs, Rs * sizeof *orbit);
        for (size_t i = 0; i < K; i++)
            lrnn_latent_map_step(map, orbit + i * Rs, orbit + (i + 1) * Rs);
        if (fp_result_add_cycle(out, map, k, orbit, rot) < 0) st = LRNN_ERR_NOMEM;
    }
    free(orbit), free(rot), free(box), free(ends), free(ok);
    return st;
}
