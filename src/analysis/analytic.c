/* Every isolated fixed point of a piecewise-linear low-rank map (spec 7.2, generalised to any
 * rank and made robust to degenerate data). Derivation: docs/derivations/fixedpoint_regions.md;
 * user-level description: docs/fixedpoints.md.
 *
 * Every unit contributes kink hyperplanes g_j(z) = U_j z + e_j = 0 in latent space (relu: one,
 * at x = h; clipped relu: two, at x = -h and x = 0), and the map is affine on each region of
 * their arrangement. Instead of collecting the 2^R patterns around each of the C(N', R)
 * vertices and deduplicating them (the reference), every region is emitted exactly once:
 *
 *   - a region bounded below along a generic direction c_1 has a unique lowest vertex, and at
 *     that vertex it is the one orthant (of the 2^R) whose edges all point up along c_1;
 *   - the regions unbounded below are the regions of the arrangement cut by the hyperplane
 *     c_1 . y = -L for L -> infinity, an arrangement one dimension lower; recursing with
 *     c_2, c_3, ... ends in a single point (Zaslavsky: sum_{i <= R} C(N', i) regions).
 *
 * The vertices of the top level are visited line by line: for each (R-1)-subset T the line
 * where its hyperplanes meet is swept once, its crossings with all other hyperplanes sorted,
 * so the activation pattern and the affine piece (I - A, c) change by one rank-1 term per
 * crossing. Memory is O(N') per thread; no pattern set is stored.
 *
 * Degenerate data (hyperplanes through a common point, e.g. the clipped-relu kinks x = 0 all
 * pass through z = 0 without input; coincident units; rank-deficient m) is handled by
 *   1. shifting every threshold by a tiny distinct amount towards the inactive side, which
 *      puts the arrangement in general position and keeps the pattern of every point whose
 *      active margins exceed the shift (points on a kink are inactive there: their pattern
 *      survives as the pattern of a full-dimensional region);
 *   2. trying both sides of any hyperplane whose side at a vertex is within rounding error;
 *   3. working in the span of the normals when they do not span R^R.
 * Each candidate pattern is finally checked exactly (lrnn_fp_solve_piece), so extra
 * candidates cost time, never correctness; a fixed point sitting on a kink (it solves the
 * pieces on both sides) is accepted up to rounding and listed once. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <lapacke.h>

#include "analysis/internal.h"

#ifdef _OPENMP
#include <omp.h>
#endif

enum { MAX_FREE = 20 };

struct fp_arrangement {
    const lrnn_latent_map *map;
    int R, N, r, pp; /* latent dim, units, arrangement rank, hyperplanes per unit */
    int Ptot, words; /* all kink hyperplanes; 64-bit words of a pattern over them */
    int P;           /* live hyperplanes (nonzero normal) */
    int *plane;      /* P: global index of live hyperplane p */
    double *W;       /* P x r: normals in the r-dim span of the normals */
    double *Wt;      /* r x P: the same, column-major (vectorised sweeps) */
    double *Wn;      /* P: |W_p| */
    double *t;       /* P: shifted thresholds, active iff W_p y > t_p */
    double *C;       /* r x r: generic orthonormal directions c_1..c_r (rows) */
    double Z;        /* 1 + median distance of the hyperplanes from the origin */
    double *Uz, *Vz; /* Ptot x R: g_j = Uz_j z + ez_j; active plane adds Vz_j g_j to f */
    double *ez, *Un; /* Ptot: offset, |Uz_j| */
    double *VU;      /* Ptot x R x R: Vz_j Uz_j^T */
    uint64_t *base;  /* words: bits of the constant hyperplanes */
    double *M0, *c0; /* I - diag(a) and the right-hand side of the constant bits */
};

int fp_arrangement_rank(const fp_arrangement *a) {
    return a->r;
}
int fp_arrangement_live(const fp_arrangement *a) {
    return a->P;
}

void fp_arrangement_free(fp_arrangement *a) {
    if (!a) return;
    free(a->plane), free(a->W), free(a->Wt), free(a->Wn), free(a->t), free(a->C), free(a->Uz),
        free(a->Vz);
    free(a->ez), free(a->Un), free(a->VU), free(a->base), free(a->M0), free(a->c0);
    free(a);
}

static uint64_t splitmix64(uint64_t x) {
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

static double unit_hash(uint64_t i) {
    return (double)(splitmix64(i) >> 11) * 0x1.0p-53;
}

static int compare_double(const void *pa, const void *pb) {
    double a = *(const double *)pa, b = *(const double *)pb;
    return (a > b) - (a < b);
}

static inline int bit_get(const uint64_t *bits, int j) {
    return (int)((bits[j >> 6] >> (j & 63)) & 1u);
}
static inline void bit_set(uint64_t *bits, int j, int v) {
    uint64_t mask = (uint64_t)1 << (j & 63);
    if (v)
        bits[j >> 6] |= mask;
    else
        bits[j >> 6] &= ~mask;
}

/* Dot product of short vectors; the small cases are spelled out (same left-to-right order as
 * the loop) because the sweep spends most of its time in dot products of length 2 and 3. */
static inline double dot(int n, const double *a, const double *b) {
    switch (n) {
    case 1:
        return a[0] * b[0];
    case 2:
        return a[0] * b[0] + a[1] * b[1];
    case 3:
        return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
    default: {
        double s = 0.0;
        for (int i = 0; i < n; i++)
            s += a[i] * b[i];
        return s;
    }
    }
}

/* Rank of m (N x R) and, when deficient, an orthonormal basis of its row space (R x r,
 * columns) in Q. */
static lrnn_status row_space(const lrnn_latent_map *map, int *rank, double *Q) {
    int N = map->N, R = map->R;
    double *mc = malloc((size_t)N * (size_t)R * sizeof *mc), *s = malloc((size_t)R * sizeof *s);
    double *vt = malloc((size_t)R * (size_t)R * sizeof *vt);
    double *superb = malloc((size_t)R * sizeof *superb);
    if (!mc || !s || !vt || !superb) {
        free(mc), free(s), free(vt), free(superb);
        return lrnn_fail(LRNN_ERR_NOMEM, "fixed points: cannot allocate the SVD of m");
    }
    memcpy(mc, map->m, (size_t)N * (size_t)R * sizeof *mc);
    lapack_int info =
        LAPACKE_dgesvd(LAPACK_ROW_MAJOR, 'N', 'A', N, R, mc, R, s, NULL, 1, vt, R, superb);
    lrnn_status st = LRNN_OK;
    if (info != 0) {
        st = lrnn_fail(LRNN_ERR_NUMERIC, "fixed points: SVD of m failed (LAPACK info %d)",
                       (int)info);
    } else {
        int k = N < R ? N : R, r = 0;
        for (int i = 0; i < k; i++)
            if (s[0] > 0.0 && s[i] > 1e-12 * s[0]) r++;
        *rank = r;
        for (int c = 0; c < R; c++)
            for (int i = 0; i < r; i++)
                Q[c * R + i] = vt[i * R + c];
    }
    free(mc), free(s), free(vt), free(superb);
    return st;
}

lrnn_status fp_arrangement_create(const lrnn_latent_map *map, fp_arrangement **out) {
    *out = NULL;
    fp_arrangement *a = calloc(1, sizeof *a);
    if (!a) return lrnn_fail(LRNN_ERR_NOMEM, "fixed points: cannot allocate the arrangement");
    int R = map->R, N = map->N, pp = fp_planes_per_unit(map->activation);
    size_t Rs = (size_t)R, RR = Rs * Rs;
    a->map = map, a->R = R, a->N = N, a->pp = pp;
    a->Ptot = pp * N;
    a->words = (a->Ptot + 63) / 64 + 1;
    size_t Pt = (size_t)a->Ptot;
    a->plane = malloc((Pt + 1) * sizeof *a->plane);
    a->W = malloc((Pt * Rs + 1) * sizeof *a->W);
    a->Wt = malloc((Pt * Rs + 1) * sizeof *a->Wt);
    a->Wn = malloc((Pt + 1) * sizeof *a->Wn);
    a->t = malloc((Pt + 1) * sizeof *a->t);
    a->C = calloc(RR, sizeof *a->C);
    a->Uz = malloc((Pt * Rs + 1) * sizeof *a->Uz);
    a->Vz = malloc((Pt * Rs + 1) * sizeof *a->Vz);
    a->ez = malloc((Pt + 1) * sizeof *a->ez);
    a->Un = malloc((Pt + 1) * sizeof *a->Un);
    a->VU = malloc((Pt * RR + 1) * sizeof *a->VU);
    a->base = calloc((size_t)a->words, sizeof *a->base);
    a->M0 = calloc(RR, sizeof *a->M0);
    a->c0 = calloc(Rs, sizeof *a->c0);
    double *Q = calloc(RR, sizeof *Q), *dist = malloc((Pt + 1) * sizeof *dist);
    lrnn_status st = LRNN_OK;
    if (!a->plane || !a->W || !a->Wt || !a->Wn || !a->t || !a->C || !a->Uz || !a->Vz || !a->ez ||
        !a->Un || !a->VU || !a->base || !a->M0 || !a->c0 || !Q || !dist) {
        st = lrnn_fail(LRNN_ERR_NOMEM,
                       "fixed points: cannot allocate the arrangement of %d "
                       "hyperplanes",
                       a->Ptot);
        goto done;
    }
    /* Hyperplane j of unit i = j / pp: relu x > h; clipped relu A: x > -h, B: x > 0. The map
     * gains n_i (x - h), n_i (x + h) and -n_i x while they are active (spec 7.2's
     * U' = [m; m], V' = [n, -n], h' = [-h; 0]). */
    for (int j = 0; j < a->Ptot; j++) {
        int i = j / (pp ? pp : 1), kind = pp ? j % pp : 0;
        double *U = a->Uz + (size_t)j * Rs, *V = a->Vz + (size_t)j * Rs;
        double sign = kind == 1 ? -1.0 : 1.0, nrm = 0.0;
        for (int c = 0; c < R; c++) {
            U[c] = map->m[(size_t)i * Rs + c];
            V[c] = sign * map->n[(size_t)c * (size_t)N + i];
            nrm += U[c] * U[c];
        }
        a->Un[j] = sqrt(nrm);
        a->ez[j] = map->activation == LRNN_ACT_RELU ? map->b[i] - map->h[i]
                   : kind == 0                      ? map->b[i] + map->h[i]
                                                    : map->b[i];
        for (int r = 0; r < R; r++)
            for (int c = 0; c < R; c++)
                a->VU[(size_t)j * RR + (size_t)(r * R + c)] = V[r] * U[c];
    }
    for (int r = 0; r < R; r++)
        a->M0[r * R + r] = 1.0 - map->a[r];
    a->P = 0;
    for (int j = 0; j < a->Ptot; j++) {
        if (a->Un[j] > 0.0) {
            a->plane[a->P++] = j;
        } else if (a->ez[j] > 0.0) { /* constant hyperplane, always active */
            bit_set(a->base, j, 1);
            for (int r = 0; r < R; r++)
                a->c0[r] += a->Vz[(size_t)j * Rs + r] * a->ez[j];
        }
    }
    a->r = 0;
    if (a->P > 0 && (st = row_space(map, &a->r, Q))) goto done;
    int r = a->r;
    for (int p = 0; p < a->P; p++) {
        const double *U = a->Uz + (size_t)a->plane[p] * Rs;
        double *Wp = a->W + (size_t)p * (size_t)r;
        if (r == R)
            memcpy(Wp, U, Rs * sizeof *U); /* exact: no rotation when m has full rank */
        else
            for (int i = 0; i < r; i++) {
                double s = 0.0;
                for (int c = 0; c < R; c++)
                    s += U[c] * Q[c * R + i];
                Wp[i] = s;
            }
        a->Wn[p] = sqrt(dot(r, Wp, Wp));
        if (!(a->Wn[p] > 0.0)) a->Wn[p] = a->Un[a->plane[p]];
        a->t[p] = -a->ez[a->plane[p]];
        dist[p] = fabs(a->t[p]) / a->Wn[p];
    }
    /* Shift (spec: none; see the header comment): t_p += 1e-10 (1 + u_p) |W_p| Z with a fixed
     * pseudo-random u_p in [0, 1) and Z = 1 + median distance of the hyperplanes from 0. */
    double Z = 1.0;
    if (a->P > 0) {
        qsort(dist, (size_t)a->P, sizeof *dist, compare_double);
        Z += dist[a->P / 2];
    }
    a->Z = Z;
    for (int p = 0; p < a->P; p++)
        a->t[p] +=
            1e-10 * (1.0 + unit_hash((uint64_t)a->plane[p] * 2654435761u + 17)) * a->Wn[p] * Z;
    for (int p = 0; p < a->P; p++)
        for (int c = 0; c < r; c++)
            a->Wt[(size_t)c * (size_t)a->P + (size_t)p] = a->W[(size_t)p * (size_t)r + (size_t)c];
    /* Generic directions: Gram-Schmidt of fixed pseudo-random vectors. */
    for (int i = 0; i < r; i++) {
        double *ci = a->C + (size_t)i * (size_t)r;
        for (;;) {
            for (int c = 0; c < r; c++)
                ci[c] = unit_hash(0xc0ffee + (uint64_t)(i * 64 + c) + (uint64_t)r * 4096) - 0.5;
            for (int pass = 0; pass < 2; pass++)
                for (int k = 0; k < i; k++) {
                    const double *ck = a->C + (size_t)k * (size_t)r;
                    double s = dot(r, ci, ck);
                    for (int c = 0; c < r; c++)
                        ci[c] -= s * ck[c];
                }
            double nrm = sqrt(dot(r, ci, ci));
            if (nrm > 1e-3) {
                for (int c = 0; c < r; c++)
                    ci[c] /= nrm;
                break;
            }
        }
    }
done:
    free(Q), free(dist);
    if (st) {
        fp_arrangement_free(a);
        return st;
    }
    *out = a;
    return LRNN_OK;
}

/* ---- per-thread workspace ---- */

typedef struct crossing {
    double lam;
    int p;
} crossing;

typedef struct found_list {
    size_t count, cap;
    uint8_t *level; /* count x N */
    double *z;      /* count x R */
    uint8_t *kind;  /* count: 1 exact, 2 on a kink up to rounding (fp_solve_piece_ws) */
} found_list;

typedef struct sweep_ws {
    int r, R, N, P;
    int *T, *S, *F;
    uint8_t *inT, *sbit;
    double *B, *L, *p, *d, *q, *cq, *qn, *v;
    double *alpha, *beta, *gam, *eps;
    crossing *cr, *crtmp;
    uint32_t *key, *ktmp;
    int *line_free, n_line_free;
    uint64_t *bits, *cbits;
    double *M, *rhs, *Mc, *rc, *LU, *z;
    int *piv;
    double *Am, *Ainv, *Y, *sws;
    uint8_t *lv, *lv2;
    found_list found;
    uint64_t vertices, regions, ambiguous, truncated, solves, singular_pieces;
    int failed;
} sweep_ws;

static void ws_free(sweep_ws *w) {
    free(w->T), free(w->S), free(w->F), free(w->inT), free(w->sbit), free(w->B), free(w->L);
    free(w->p), free(w->d), free(w->q), free(w->cq), free(w->qn), free(w->v), free(w->alpha);
    free(w->beta), free(w->gam), free(w->eps), free(w->cr), free(w->crtmp), free(w->key),
        free(w->ktmp);
    free(w->line_free), free(w->bits);
    free(w->cbits), free(w->M), free(w->rhs), free(w->Mc), free(w->rc), free(w->LU), free(w->z);
    free(w->piv), free(w->Am), free(w->Ainv), free(w->Y), free(w->sws), free(w->lv), free(w->lv2);
    free(w->found.level), free(w->found.z), free(w->found.kind);
}

static int ws_alloc(sweep_ws *w, const fp_arrangement *a) {
    memset(w, 0, sizeof *w);
    size_t r = (size_t)a->r + 1, R = (size_t)a->R, P = (size_t)a->P + 1, N = (size_t)a->N;
    w->r = a->r, w->R = a->R, w->N = a->N, w->P = a->P;
    w->T = malloc(r * sizeof *w->T);
    w->S = malloc(r * sizeof *w->S);
    w->F = malloc((P + r + MAX_FREE) * sizeof *w->F);
    w->inT = calloc(P, 1);
    w->sbit = calloc(P, 1);
    w->B = malloc(r * r * sizeof(double));
    w->L = malloc(r * r * sizeof(double));
    w->p = malloc(r * sizeof(double));
    w->d = malloc(r * sizeof(double));
    w->q = malloc(r * r * sizeof(double));
    w->cq = malloc(r * sizeof(double));
    w->qn = malloc(r * sizeof(double));
    w->v = malloc(r * sizeof(double));
    w->alpha = malloc(P * sizeof(double));
    w->beta = malloc(P * sizeof(double));
    w->gam = malloc(P * r * sizeof(double));
    w->eps = malloc(P * sizeof(double));
    w->cr = malloc(P * sizeof *w->cr);
    w->crtmp = malloc(P * sizeof *w->crtmp);
    w->key = malloc(P * sizeof *w->key);
    w->ktmp = malloc(P * sizeof *w->ktmp);
    w->line_free = malloc(P * sizeof *w->line_free);
    w->bits = malloc((size_t)a->words * sizeof *w->bits);
    w->cbits = malloc((size_t)a->words * sizeof *w->cbits);
    w->M = malloc(R * R * sizeof(double));
    w->rhs = malloc(R * sizeof(double));
    w->Mc = malloc(R * R * sizeof(double));
    w->rc = malloc(R * sizeof(double));
    w->LU = malloc(R * R * sizeof(double));
    w->z = malloc(R * sizeof(double));
    w->piv = malloc((R > r ? R : r) * sizeof(int));
    w->Am = malloc(r * r * sizeof(double));
    w->Ainv = malloc(r * r * sizeof(double));
    w->Y = malloc((r + 1) * r * sizeof(double));
    w->sws = malloc(fp_solve_ws_size(a->map) * sizeof(double));
    w->lv = malloc(N);
    w->lv2 = malloc(N);
    int ok = w->T && w->S && w->F && w->inT && w->sbit && w->B && w->L && w->p && w->d && w->q &&
             w->cq && w->qn && w->v && w->alpha && w->beta && w->gam && w->eps && w->cr &&
             w->crtmp && w->key && w->ktmp && w->line_free && w->bits && w->cbits && w->M &&
             w->rhs && w->Mc && w->rc && w->LU && w->z && w->piv && w->Am && w->Ainv && w->Y &&
             w->sws && w->lv && w->lv2;
    if (!ok) ws_free(w);
    return ok ? 0 : -1;
}

static void found_push(sweep_ws *w, const uint8_t *level, const double *z, int kind) {
    found_list *f = &w->found;
    if (f->count == f->cap) {
        size_t cap = f->cap ? 2 * f->cap : 16;
        uint8_t *l = realloc(f->level, cap * (size_t)w->N);
        if (l) f->level = l;
        double *zz = realloc(f->z, cap * (size_t)w->R * sizeof *zz);
        if (zz) f->z = zz;
        uint8_t *kk = realloc(f->kind, cap);
        if (kk) f->kind = kk;
        if (!l || !zz || !kk) {
            w->failed = 1;
            return;
        }
        f->cap = cap;
    }
    memcpy(f->level + f->count * (size_t)w->N, level, (size_t)w->N);
    memcpy(f->z + f->count * (size_t)w->R, z, (size_t)w->R * sizeof *z);
    f->kind[f->count] = (uint8_t)kind;
    f->count++;
}

/* ---- candidates ---- */

/* Pattern bits over all hyperplanes -> levels per unit. */
static void bits_to_levels(const fp_arrangement *a, const uint64_t *bits, uint8_t *level) {
    if (a->pp == 1)
        for (int i = 0; i < a->N; i++)
            level[i] = (uint8_t)bit_get(bits, i);
    else if (a->pp == 2)
        for (int i = 0; i < a->N; i++)
            level[i] = (uint8_t)(bit_get(bits, 2 * i) + bit_get(bits, 2 * i + 1));
    else
        memset(level, 0, (size_t)a->N);
}

/* The exact verdict on a candidate: the same call brute force makes. */
static void exact_candidate(const fp_arrangement *a, sweep_ws *w, const uint64_t *bits) {
    bits_to_levels(a, bits, w->lv);
    w->solves++;
    int rc = fp_solve_piece_ws(a->map, w->lv, w->z, w->sws, w->lv2);
    if (rc < 0)
        w->singular_pieces++;
    else if (rc >= 1)
        found_push(w, w->lv, w->z, rc);
}

/* z = M^-1 rhs by Cramer's rule for R <= 3, LU above. Returns -1 when M is singular or so
 * ill-conditioned (|det| below 1e-8 of the product of its row norms) that the incremental
 * piece cannot be trusted; the caller then decides exactly. */
static int quick_solve(int R, const double *M, const double *rhs, double *z, double *LU, int *piv) {
    switch (R) {
    case 1:
        if (!(fabs(M[0]) > 1e-8)) return -1;
        z[0] = rhs[0] / M[0];
        return 0;
    case 2: {
        double det = M[0] * M[3] - M[1] * M[2];
        double n0 = fabs(M[0]) + fabs(M[1]), n1 = fabs(M[2]) + fabs(M[3]);
        if (!(fabs(det) > 1e-8 * n0 * n1)) return -1;
        z[0] = (rhs[0] * M[3] - M[1] * rhs[1]) / det;
        z[1] = (M[0] * rhs[1] - rhs[0] * M[2]) / det;
        return 0;
    }
    case 3: {
        double c0 = M[4] * M[8] - M[5] * M[7], c1 = M[5] * M[6] - M[3] * M[8];
        double c2 = M[3] * M[7] - M[4] * M[6];
        double det = M[0] * c0 + M[1] * c1 + M[2] * c2;
        double n0 = fabs(M[0]) + fabs(M[1]) + fabs(M[2]), n1 = fabs(M[3]) + fabs(M[4]) + fabs(M[5]);
        double n2 = fabs(M[6]) + fabs(M[7]) + fabs(M[8]);
        if (!(fabs(det) > 1e-8 * n0 * n1 * n2)) return -1;
        double inv = 1.0 / det;
        z[0] = (c0 * rhs[0] + (M[2] * M[7] - M[1] * M[8]) * rhs[1] +
                (M[1] * M[5] - M[2] * M[4]) * rhs[2]) *
               inv;
        z[1] = (c1 * rhs[0] + (M[0] * M[8] - M[2] * M[6]) * rhs[1] +
                (M[2] * M[3] - M[0] * M[5]) * rhs[2]) *
               inv;
        z[2] = (c2 * rhs[0] + (M[1] * M[6] - M[0] * M[7]) * rhs[1] +
                (M[0] * M[4] - M[1] * M[3]) * rhs[2]) *
               inv;
        return 0;
    }
    default: {
        double cond = 0.0;
        memcpy(LU, M, (size_t)R * (size_t)R * sizeof *LU);
        memcpy(z, rhs, (size_t)R * sizeof *z);
        if (fp_lu(R, LU, piv, &cond) != 0 || cond > 1e8) return -1;
        fp_lu_solve(R, LU, piv, z);
        return 0;
    }
    }
}

/* Candidate with its piece (Mc, rc) maintained incrementally: solve, reject cheaply when the
 * solution is clearly outside the region, otherwise decide exactly. */
static void quick_candidate(const fp_arrangement *a, sweep_ws *w, const uint64_t *bits) {
    int R = a->R;
    w->solves++;
    if (quick_solve(R, w->Mc, w->rc, w->z, w->LU, w->piv) != 0) {
        exact_candidate(a, w, bits);
        return;
    }
    double zn = 0.0;
    for (int c = 0; c < R; c++)
        zn = zn > fabs(w->z[c]) ? zn : fabs(w->z[c]);
    /* Reject only clear violations: the incremental piece carries rounding from up to N'
     * rank-1 updates, far below this tolerance (relative to |z| and to the scale Z of the
     * arrangement, for solutions near z = 0 that are 0 exactly for the exact piece). */
    for (int p = 0; p < a->P; p++) {
        int j = a->plane[p];
        double g = dot(R, a->Uz + (size_t)j * (size_t)R, w->z) + a->ez[j];
        double tol = 1e-6 * (a->Un[j] * (zn + a->Z) * R + fabs(a->ez[j]));
        if (bit_get(bits, j) ? g < -tol : g > tol) return;
    }
    exact_candidate(a, w, bits);
}

/* Add (sign +1) or remove (-1) hyperplane j's term from the piece (M = I - A, rhs = c). */
static inline void piece_update(const fp_arrangement *a, double *M, double *rhs, int j,
                                double sign) {
    int R = a->R;
    size_t RR = (size_t)R * (size_t)R;
    const double *vu = a->VU + (size_t)j * RR, *V = a->Vz + (size_t)j * (size_t)R;
    for (size_t k = 0; k < RR; k++)
        M[k] -= sign * vu[k];
    double e = a->ez[j];
    for (int c = 0; c < R; c++)
        rhs[c] += sign * V[c] * e;
}

/* Emit the candidates of one top-level vertex. S (nS live indices) get the sides sbit unless
 * `all`; then S and F (nF live indices) take every combination of sides. */
static void emit_vertex(const fp_arrangement *a, sweep_ws *w, int nS, int nF, int all) {
    int R = a->R, words = a->words;
    size_t RR = (size_t)R * (size_t)R;
    if (!all) {
        /* set the r sides in place and restore them afterwards (no copy of the pattern) */
        memcpy(w->Mc, w->M, RR * sizeof *w->Mc);
        memcpy(w->rc, w->rhs, (size_t)R * sizeof *w->rc);
        uint64_t flipped = 0;
        for (int s = 0; s < nS; s++) {
            int j = a->plane[w->S[s]], want = w->sbit[w->S[s]];
            if (bit_get(w->bits, j) != want) {
                bit_set(w->bits, j, want);
                piece_update(a, w->Mc, w->rc, j, want ? 1.0 : -1.0);
                flipped |= (uint64_t)1 << s;
            }
        }
        w->regions++;
        quick_candidate(a, w, w->bits);
        for (int s = 0; s < nS; s++)
            if (flipped >> s & 1u) {
                int j = a->plane[w->S[s]];
                bit_set(w->bits, j, !bit_get(w->bits, j));
            }
        return;
    }
    /* free list: S then F */
    int nfree = 0;
    int *list = w->F + nF; /* room after F (F has P + r + MAX_FREE slots) */
    for (int s = 0; s < nS; s++)
        list[nfree++] = w->S[s];
    for (int f = 0; f < nF && nfree < MAX_FREE; f++)
        list[nfree++] = w->F[f];
    w->ambiguous++;
    if (nS + nF > MAX_FREE) w->truncated++;
    for (uint64_t mask = 0; mask < ((uint64_t)1 << nfree); mask++) {
        memcpy(w->cbits, w->bits, (size_t)words * sizeof *w->cbits);
        memcpy(w->Mc, w->M, RR * sizeof *w->Mc);
        memcpy(w->rc, w->rhs, (size_t)R * sizeof *w->rc);
        for (int f = 0; f < nfree; f++) {
            int j = a->plane[list[f]], want = (int)((mask >> f) & 1u);
            if (bit_get(w->cbits, j) != want) {
                bit_set(w->cbits, j, want);
                piece_update(a, w->Mc, w->rc, j, want ? 1.0 : -1.0);
            }
        }
        w->regions++;
        quick_candidate(a, w, w->cbits);
    }
}

/* Monotone 32-bit key of a double: the float nearest to it, with the sign bit flipped (and
 * all bits for negatives) so that unsigned order is numeric order. */
static inline uint32_t float_key(double x) {
    float f = (float)x;
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

static int compare_crossing(const crossing *x, const crossing *y) {
    if (x->lam != y->lam) return x->lam < y->lam ? -1 : 1;
    return (x->p > y->p) - (x->p < y->p);
}

/* Sort the n crossings by position, ties by index (so the sweep is deterministic). The
 * sort runs once per line, C(N', R-1) times, and dominated the profile as a quicksort: LSD
 * radix sort (4 passes of 8 bits, stable, skipping passes where every key shares the digit)
 * on the float rounding of the positions, then insertion sort on the doubles, which only has
 * to reorder runs of equal float keys. tmp: n crossings of scratch. */
static void sort_crossings(crossing *c, crossing *tmp, uint32_t *key, uint32_t *ktmp, int n) {
    uint32_t count[4][256];
    memset(count, 0, sizeof count);
    for (int i = 0; i < n; i++) {
        uint32_t k = key[i];
        count[0][k & 255]++, count[1][(k >> 8) & 255]++;
        count[2][(k >> 16) & 255]++, count[3][k >> 24]++;
    }
    for (int pass = 0; pass < 4; pass++) {
        int shift = 8 * pass;
        if (n == 0 || count[pass][(key[0] >> shift) & 255] == (uint32_t)n) continue;
        uint32_t sum = 0;
        for (int b = 0; b < 256; b++) {
            uint32_t v = count[pass][b];
            count[pass][b] = sum;
            sum += v;
        }
        for (int i = 0; i < n; i++) {
            uint32_t pos = count[pass][(key[i] >> shift) & 255]++;
            tmp[pos] = c[i];
            ktmp[pos] = key[i];
        }
        memcpy(c, tmp, (size_t)n * sizeof *c);
        memcpy(key, ktmp, (size_t)n * sizeof *key);
    }
    for (int i = 1; i < n; i++) {
        if (compare_crossing(&c[i - 1], &c[i]) <= 0) continue;
        crossing x = c[i];
        int j = i - 1;
        while (j >= 0 && compare_crossing(&c[j], &x) > 0) {
            c[j + 1] = c[j];
            j--;
        }
        c[j + 1] = x;
    }
}

/* Sweep the line where the r - 1 hyperplanes T meet (T sorted; empty when r = 1) and emit
 * every vertex T + {k} with k > max(T), each with its lowest region along c_1. */
static void sweep_line(const fp_arrangement *a, sweep_ws *w) {
    int r = a->r, m1 = r - 1, R = a->R;
    const int *T = w->T;
    double *B = w->B, *L = w->L;
    /* Gram-Schmidt (twice) of the rows of W_T: W_T = L B, B with orthonormal rows. */
    double lmax = 1.0, lmin = 1.0;
    for (int i = 0; i < m1; i++) {
        double *bi = B + (size_t)i * (size_t)r;
        memcpy(bi, a->W + (size_t)T[i] * (size_t)r, (size_t)r * sizeof *bi);
        for (int k = 0; k < m1; k++)
            L[i * r + k] = 0.0;
        for (int pass = 0; pass < 2; pass++)
            for (int k = 0; k < i; k++) {
                const double *bk = B + (size_t)k * (size_t)r;
                double s = dot(r, bi, bk);
                L[i * r + k] += s;
                for (int c = 0; c < r; c++)
                    bi[c] -= s * bk[c];
            }
        double nrm = sqrt(dot(r, bi, bi));
        if (!(nrm > 1e-12 * a->Wn[T[i]])) return; /* dependent: no line, no vertices */
        L[i * r + i] = nrm;
        for (int c = 0; c < r; c++)
            bi[c] /= nrm;
        if (i == 0) lmax = lmin = nrm;
        lmax = fmax(lmax, nrm), lmin = fmin(lmin, nrm);
    }
    double kappa = lmax / lmin;
    /* Direction d of the line: the coordinate axis with the largest part outside span(B). */
    double best = -1.0;
    for (int e = 0; e < r; e++) {
        double *v = w->v;
        for (int c = 0; c < r; c++)
            v[c] = c == e ? 1.0 : 0.0;
        for (int pass = 0; pass < 2; pass++)
            for (int k = 0; k < m1; k++) {
                const double *bk = B + (size_t)k * (size_t)r;
                double s = dot(r, v, bk);
                for (int c = 0; c < r; c++)
                    v[c] -= s * bk[c];
            }
        double nrm = sqrt(dot(r, v, v));
        if (nrm > best) {
            best = nrm;
            for (int c = 0; c < r; c++)
                w->d[c] = v[c] / nrm;
        }
    }
    /* p: min-norm point of the line (W_T p = t_T); q_i: W_T q_i = e_i (min norm). */
    double *wv = w->v;
    for (int i = 0; i < m1; i++) {
        double s = a->t[T[i]];
        for (int k = 0; k < i; k++)
            s -= L[i * r + k] * wv[k];
        wv[i] = s / L[i * r + i];
    }
    for (int c = 0; c < r; c++) {
        double s = 0.0;
        for (int i = 0; i < m1; i++)
            s += wv[i] * B[(size_t)i * (size_t)r + c];
        w->p[c] = s;
    }
    const double *c1 = a->C;
    for (int jj = 0; jj < m1; jj++) {
        for (int i = 0; i < m1; i++) {
            double s = i == jj ? 1.0 : 0.0;
            for (int k = 0; k < i; k++)
                s -= L[i * r + k] * wv[k];
            wv[i] = s / L[i * r + i];
        }
        double *qj = w->q + (size_t)jj * (size_t)r;
        for (int c = 0; c < r; c++) {
            double s = 0.0;
            for (int i = 0; i < m1; i++)
                s += wv[i] * B[(size_t)i * (size_t)r + c];
            qj[c] = s;
        }
        w->cq[jj] = dot(r, c1, qj);
        w->qn[jj] = sqrt(dot(r, qj, qj));
    }
    double cd = dot(r, c1, w->d), pn = sqrt(dot(r, w->p, w->p));
    /* Every other hyperplane: its crossing with the line, or its constant side. alpha, beta
     * and gamma first for all hyperplanes (T included, unused) in loops over the
     * column-major copy of W, which vectorise. */
    int P = a->P;
    double *al = w->alpha, *be = w->beta;
    for (int p = 0; p < P; p++)
        al[p] = -a->t[p], be[p] = 0.0;
    for (int c = 0; c < r; c++) {
        const double *Wc = a->Wt + (size_t)c * (size_t)P;
        double pc = w->p[c], dc = w->d[c];
        for (int p = 0; p < P; p++)
            al[p] += Wc[p] * pc, be[p] += Wc[p] * dc;
    }
    for (int jj = 0; jj < m1; jj++) {
        double *gj = w->gam + (size_t)jj * (size_t)P;
        const double *qj = w->q + (size_t)jj * (size_t)r;
        for (int p = 0; p < P; p++)
            gj[p] = 0.0;
        for (int c = 0; c < r; c++) {
            const double *Wc = a->Wt + (size_t)c * (size_t)P;
            double qc = qj[c];
            for (int p = 0; p < P; p++)
                gj[p] += Wc[p] * qc;
        }
    }
    for (int i = 0; i < m1; i++)
        w->inT[T[i]] = 1;
    memcpy(w->bits, a->base, (size_t)a->words * sizeof *w->bits);
    memcpy(w->M, a->M0, (size_t)R * (size_t)R * sizeof *w->M);
    memcpy(w->rhs, a->c0, (size_t)R * sizeof *w->rhs);
    int nc = 0;
    w->n_line_free = 0;
    double tolk = 1e-13 * kappa;
    for (int p = 0; p < P; p++) {
        if (w->inT[p]) continue;
        int j = a->plane[p], on;
        double alp = al[p], bep = be[p];
        if (!(fabs(bep) > 1e-12 * a->Wn[p])) {
            /* parallel to the line: one side all along (both when it contains the line) */
            on = alp > 0.0;
            if (fabs(alp) <= tolk * (a->Wn[p] * pn + fabs(a->t[p])))
                w->line_free[w->n_line_free++] = p;
        } else {
            double inv = 1.0 / bep, lam = -alp * inv;
            w->cr[nc].lam = lam, w->cr[nc].p = p;
            w->key[nc] = float_key(lam);
            nc++;
            /* rounding bound on lam: errors of alpha and beta relative to their terms */
            w->eps[p] = tolk * (a->Wn[p] * (pn + fabs(lam)) + fabs(a->t[p])) * fabs(inv);
            on = bep < 0.0; /* side at lam -> -infinity */
        }
        if (on) {
            bit_set(w->bits, j, 1);
            piece_update(a, w->M, w->rhs, j, 1.0);
        }
    }
    for (int i = 0; i < m1; i++)
        w->inT[T[i]] = 0;
    sort_crossings(w->cr, w->crtmp, w->key, w->ktmp, nc);
    int jlast = m1 > 0 ? T[m1 - 1] : -1;
    for (int i = 0; i < nc; i++) {
        int k = w->cr[i].p;
        if (k > jlast) {
            double lam = w->cr[i].lam;
            int nF = 0;
            for (int ii = i - 1; ii >= 0 && lam - w->cr[ii].lam <= w->eps[k] + w->eps[w->cr[ii].p];
                 ii--)
                w->F[nF++] = w->cr[ii].p;
            for (int ii = i + 1; ii < nc && w->cr[ii].lam - lam <= w->eps[k] + w->eps[w->cr[ii].p];
                 ii++)
                w->F[nF++] = w->cr[ii].p;
            for (int f = 0; f < w->n_line_free; f++)
                w->F[nF++] = w->line_free[f];
            /* Lowest orthant along c_1: edge directions are the columns of W_S^-1,
             * col_k = d / beta_k and col_j = q_j - (gamma_kj / beta_k) d. */
            double bk = w->beta[k], ck = cd / bk;
            int amb = nF > 0 || fabs(cd) <= 1e-9;
            for (int jj = 0; jj < m1; jj++) {
                double g = w->gam[(size_t)jj * (size_t)a->P + (size_t)k], cj = w->cq[jj] - g * ck;
                if (fabs(cj) <= 1e-9 * (w->qn[jj] + fabs(g / bk))) amb = 1;
                w->S[jj] = T[jj];
                w->sbit[T[jj]] = (uint8_t)(cj > 0.0);
            }
            w->S[m1] = k;
            w->sbit[k] = (uint8_t)(ck > 0.0);
            w->vertices++;
            emit_vertex(a, w, r, nF, amb);
        }
        /* cross: k changes side (active after the crossing iff beta_k > 0) */
        int j = a->plane[k], on = w->beta[k] > 0.0;
        bit_set(w->bits, j, on);
        piece_update(a, w->M, w->rhs, j, on ? 1.0 : -1.0);
    }
}

/* A vertex of the level-d slice (d >= 1): the hyperplanes S (s = r - d of them) and the
 * slices c_i . y = -L_i, i = 1..d, with L_d >> ... >> L_1 -> infinity. Emits its lowest
 * region along c_{d+1} (the single region when d = r). */
static void slice_vertex(const fp_arrangement *a, sweep_ws *w, int d) {
    int r = a->r, s = r - d;
    const int *S = w->S;
    double *Am = w->Am, *Ainv = w->Ainv, *Y = w->Y;
    for (int i = 0; i < s; i++)
        memcpy(Am + (size_t)i * (size_t)r, a->W + (size_t)S[i] * (size_t)r, (size_t)r * sizeof *Am);
    for (int i = 0; i < d; i++)
        memcpy(Am + (size_t)(s + i) * (size_t)r, a->C + (size_t)i * (size_t)r,
               (size_t)r * sizeof *Am);
    double kappa = 1.0;
    if (r > 0 && fp_lu(r, Am, w->piv, &kappa) != 0) return;
    for (int col = 0; col < r; col++) {
        double *e = w->v;
        for (int i = 0; i < r; i++)
            e[i] = i == col ? 1.0 : 0.0;
        fp_lu_solve(r, Am, w->piv, e);
        for (int i = 0; i < r; i++)
            Ainv[i * r + col] = e[i];
    }
    /* y = y_0 + sum_i L_i y_i; y_0 = A^-1 [t_S; 0], y_i = -A^-1 e_{s+i} */
    for (int c = 0; c < r; c++) {
        double v = 0.0;
        for (int i = 0; i < s; i++)
            v += Ainv[c * r + i] * a->t[S[i]];
        Y[c] = v;
        for (int i = 1; i <= d; i++)
            Y[(size_t)i * (size_t)r + c] = -Ainv[c * r + s + i - 1];
    }
    double y0n = sqrt(dot(r, Y, Y));
    for (int i = 0; i < s; i++)
        w->inT[S[i]] = 1;
    memcpy(w->bits, a->base, (size_t)a->words * sizeof *w->bits);
    int nF = 0;
    for (int p = 0; p < a->P; p++) {
        if (w->inT[p]) continue;
        const double *Wp = a->W + (size_t)p * (size_t)r;
        int on = -1;
        /* side as L_d >> ... >> L_1 -> infinity: the leading nonzero coefficient decides */
        for (int i = d; i >= 1 && on < 0; i--) {
            const double *yi = Y + (size_t)i * (size_t)r;
            double v = dot(r, Wp, yi);
            if (fabs(v) > 1e-12 * a->Wn[p] * sqrt(dot(r, yi, yi))) on = v > 0.0;
        }
        if (on < 0) {
            double v = dot(r, Wp, Y) - a->t[p];
            if (fabs(v) > 1e-13 * kappa * (a->Wn[p] * y0n + fabs(a->t[p])))
                on = v > 0.0;
            else
                w->F[nF++] = p, on = 0;
        }
        if (on) bit_set(w->bits, a->plane[p], 1);
    }
    for (int i = 0; i < s; i++)
        w->inT[S[i]] = 0;
    int amb = nF > 0;
    if (s > 0) {
        const double *cn = a->C + (size_t)d * (size_t)r; /* c_{d+1} */
        for (int i = 0; i < s; i++) {
            double cj = 0.0, nrm = 0.0;
            for (int c = 0; c < r; c++) {
                cj += cn[c] * Ainv[c * r + i];
                nrm += Ainv[c * r + i] * Ainv[c * r + i];
            }
            if (fabs(cj) <= 1e-9 * sqrt(nrm)) amb = 1;
            w->sbit[S[i]] = (uint8_t)(cj > 0.0);
        }
    }
    if (!amb) {
        for (int i = 0; i < s; i++)
            bit_set(w->bits, a->plane[S[i]], w->sbit[S[i]]);
        w->regions++;
        exact_candidate(a, w, w->bits);
        return;
    }
    int nfree = 0, *list = w->F + nF;
    for (int i = 0; i < s; i++)
        list[nfree++] = S[i];
    for (int f = 0; f < nF && nfree < MAX_FREE; f++)
        list[nfree++] = w->F[f];
    w->ambiguous++;
    if (s + nF > MAX_FREE) w->truncated++;
    for (uint64_t mask = 0; mask < ((uint64_t)1 << nfree); mask++) {
        memcpy(w->cbits, w->bits, (size_t)a->words * sizeof *w->cbits);
        for (int f = 0; f < nfree; f++)
            bit_set(w->cbits, a->plane[list[f]], (int)((mask >> f) & 1u));
        w->regions++;
        exact_candidate(a, w, w->cbits);
    }
}

/* Enumerate the k-subsets of 0..P-1 whose first element is `first` into w->T or w->S,
 * calling fn for each. */
static void for_subsets(const fp_arrangement *a, sweep_ws *w, int *c, int k, int first,
                        void (*fn)(const fp_arrangement *, sweep_ws *, int), int arg,
                        int skip_last) {
    int P = a->P;
    if (k == 0) {
        fn(a, w, arg);
        return;
    }
    c[0] = first;
    for (int i = 1; i < k; i++)
        c[i] = first + i;
    if (c[k - 1] >= P) return;
    for (;;) {
        if (!(skip_last && c[k - 1] == P - 1)) fn(a, w, arg);
        int i = k - 1;
        while (i >= 1 && c[i] == P - k + i)
            i--;
        if (i < 1) return;
        c[i]++;
        for (int j = i + 1; j < k; j++)
            c[j] = c[j - 1] + 1;
    }
}

static void line_fn(const fp_arrangement *a, sweep_ws *w, int arg) {
    (void)arg;
    sweep_line(a, w);
}

static void slice_fn(const fp_arrangement *a, sweep_ws *w, int d) {
    slice_vertex(a, w, d);
}

int fp_arrangement_random_region(const fp_arrangement *a, lrnn_rng *rng, uint8_t *level) {
    int r = a->r, P = a->P;
    uint64_t *bits = calloc((size_t)a->words, sizeof *bits);
    int *S = malloc(((size_t)r + 1) * sizeof *S), *piv = malloc(((size_t)r + 1) * sizeof *piv);
    double *A = malloc(((size_t)r * (size_t)r + 1) * sizeof *A);
    double *y = malloc(((size_t)r + 1) * sizeof *y);
    int rc = -1;
    if (!bits || !S || !piv || !A || !y) goto done;
    memcpy(bits, a->base, (size_t)a->words * sizeof *bits);
    if (r > 0) {
        if (P < r) goto done;
        for (int i = 0; i < r; i++) {
            int dup;
            do {
                S[i] = (int)lrnn_rng_below(rng, (uint64_t)P);
                dup = 0;
                for (int k = 0; k < i; k++)
                    dup |= S[k] == S[i];
            } while (dup);
            memcpy(A + (size_t)i * (size_t)r, a->W + (size_t)S[i] * (size_t)r,
                   (size_t)r * sizeof *A);
            y[i] = a->t[S[i]];
        }
        if (fp_lu(r, A, piv, NULL) != 0) goto done;
        fp_lu_solve(r, A, piv, y);
        for (int p = 0; p < P; p++)
            bit_set(bits, a->plane[p], dot(r, a->W + (size_t)p * (size_t)r, y) > a->t[p]);
        for (int i = 0; i < r; i++)
            bit_set(bits, a->plane[S[i]], (int)(lrnn_rng_u64(rng) >> 63));
    }
    bits_to_levels(a, bits, level);
    rc = 0;
done:
    free(bits), free(S), free(piv), free(A), free(y);
    return rc;
}

/* ---- the method ---- */

static double binomial(int n, int k) {
    if (k < 0 || k > n) return 0.0;
    double v = 1.0;
    for (int i = 1; i <= k; i++)
        v = v * (double)(n - k + i) / (double)i;
    return v;
}

typedef struct found_ref {
    const uint8_t *level;
    const double *z;
    int N, kind;
} found_ref;

/* Same point within 1e-9 relative (max norm). */
static int same_point(int R, const double *x, const double *y) {
    double scale = 1.0;
    for (int r = 0; r < R; r++) {
        double ax = fabs(x[r]), ay = fabs(y[r]);
        scale = scale > ax ? scale : ax;
        scale = scale > ay ? scale : ay;
    }
    for (int r = 0; r < R; r++)
        if (!(fabs(x[r] - y[r]) <= 1e-9 * scale)) return 0;
    return 1;
}

static int compare_found(const void *pa, const void *pb) {
    const found_ref *a = pa, *b = pb;
    return memcmp(a->level, b->level, (size_t)a->N);
}

lrnn_status fp_analytic(const lrnn_latent_map *map, const lrnn_fp_params *prm,
                        lrnn_fp_result *out) {
    if (map->activation == LRNN_ACT_TANH)
        return lrnn_fail(LRNN_ERR_ARG, "fixed points: the analytic method needs a piecewise-"
                                       "linear activation (relu, clipped_relu); use newton for "
                                       "tanh");
    if (map->R > 16)
        return lrnn_fail(LRNN_ERR_ARG,
                         "fixed points: the analytic method supports rank <= 16 "
                         "(got %d); use scyfi or newton",
                         map->R);
    fp_arrangement *a = NULL;
    lrnn_status st = fp_arrangement_create(map, &a);
    if (st) return st;
    int r = a->r, P = a->P;
    double work = 0.0;
    for (int d = 0; d <= r; d++)
        work += binomial(P, r - d);
    if (work > prm->max_vertices) {
        fp_arrangement_free(a);
        return lrnn_fail(LRNN_ERR_ARG,
                         "fixed points: the arrangement of %d hyperplanes in "
                         "rank %d has %.3g regions, above the limit %.3g "
                         "(max_vertices); use scyfi or raise the limit",
                         P, r, work, prm->max_vertices);
    }
    out->stats.hyperplanes = (uint64_t)a->Ptot;
    out->stats.arrangement_rank = r;
    int threads = 1;
#ifdef _OPENMP
    threads = prm->threads > 0 ? prm->threads : omp_get_max_threads();
    /* below ~10^6 operations (regions x hyperplanes) the run takes about a millisecond:
     * waking threads costs more */
    if (work * (double)P < 1e6 && prm->threads == 0) threads = 1;
#endif
    out->stats.threads = threads;
    found_list all = {0};
    int failed = 0;
    uint64_t vertices = 0, regions = 0, ambiguous = 0, truncated = 0, solves = 0, singular = 0;
#pragma omp parallel num_threads(threads)
    {
        sweep_ws w;
        int ok = ws_alloc(&w, a) == 0;
        if (!ok) {
#pragma omp atomic write
            failed = 1;
        }
        /* level 0: lines through r - 1 hyperplanes, vertices with one more */
        if (r == 1) {
#pragma omp single
            if (ok) sweep_line(a, &w);
        } else if (r >= 2) {
#pragma omp for schedule(dynamic, 1)
            for (int j1 = 0; j1 < P; j1++)
                if (ok) for_subsets(a, &w, w.T, r - 1, j1, line_fn, 0, 1);
        }
        /* levels 1..r: the slices at infinity */
        for (int d = 1; d <= r; d++) {
            int s = r - d;
            if (s == 0) {
#pragma omp single
                if (ok) slice_vertex(a, &w, d);
            } else {
#pragma omp for schedule(dynamic, 1)
                for (int j1 = 0; j1 < P; j1++)
                    if (ok) for_subsets(a, &w, w.S, s, j1, slice_fn, d, 0);
            }
        }
        if (r == 0) { /* no live hyperplane: one region, the constant pattern */
#pragma omp single
            if (ok) {
                w.regions++;
                exact_candidate(a, &w, a->base);
            }
        }
        if (ok) {
#pragma omp critical(lrnn_fp_merge)
            {
                vertices += w.vertices, regions += w.regions, ambiguous += w.ambiguous;
                truncated += w.truncated, solves += w.solves, singular += w.singular_pieces;
                if (w.failed) failed = 1;
                size_t need = all.count + w.found.count;
                if (need > all.cap) {
                    uint8_t *l = realloc(all.level, need * (size_t)a->N);
                    if (l) all.level = l;
                    double *zz = realloc(all.z, need * (size_t)a->R * sizeof *zz);
                    if (zz) all.z = zz;
                    uint8_t *kk = realloc(all.kind, need);
                    if (kk) all.kind = kk;
                    if (l && zz && kk)
                        all.cap = need;
                    else
                        failed = 1;
                }
                if (w.found.count > 0 && need <= all.cap) {
                    memcpy(all.level + all.count * (size_t)a->N, w.found.level,
                           w.found.count * (size_t)a->N);
                    memcpy(all.z + all.count * (size_t)a->R, w.found.z,
                           w.found.count * (size_t)a->R * sizeof *all.z);
                    memcpy(all.kind + all.count, w.found.kind, w.found.count);
                    all.count = need;
                }
            }
            ws_free(&w);
        }
    }
    out->stats.vertices = vertices;
    out->stats.singular_subsets = (uint64_t)binomial(P, r) - vertices;
    out->stats.regions = regions;
    out->stats.ambiguous = ambiguous;
    out->stats.truncated = truncated;
    out->stats.solves = solves;
    out->stats.singular_pieces = singular;
    if (failed)
        st = lrnn_fail(LRNN_ERR_NOMEM, "fixed points: out of memory in the analytic "
                                       "enumeration");
    /* Deduplicate. By pattern: a region is emitted more than once only around degenerate
     * vertices, and z is a function of the pattern. By point: a fixed point sitting on a kink
     * is the fixed point of the pieces on both sides (accepted up to rounding, kind 2); one
     * representative is kept, exact (kind 1) first, then the smallest pattern, so the choice
     * does not depend on the enumeration order. */
    found_ref *refs = NULL;
    size_t *kept = NULL, nkept = 0;
    if (!st && all.count > 0) {
        refs = malloc(all.count * sizeof *refs);
        kept = malloc(all.count * sizeof *kept);
        if (!refs || !kept) st = lrnn_fail(LRNN_ERR_NOMEM, "fixed points: cannot sort the results");
    }
    if (!st && all.count > 0) {
        for (size_t i = 0; i < all.count; i++)
            refs[i] = (found_ref){all.level + i * (size_t)a->N, all.z + i * (size_t)a->R, a->N,
                                  all.kind[i]};
        qsort(refs, all.count, sizeof *refs, compare_found);
        for (size_t i = 0; i < all.count; i++) {
            if (i > 0 && compare_found(&refs[i - 1], &refs[i]) == 0) continue;
            size_t k = 0;
            while (k < nkept && !same_point(a->R, refs[kept[k]].z, refs[i].z))
                k++;
            if (k == nkept)
                kept[nkept++] = i;
            else if (refs[kept[k]].kind == 2 && refs[i].kind == 1)
                kept[k] = i;
        }
        for (size_t k = 0; k < nkept && !st; k++)
            st = fp_result_push(out, map, 1, refs[kept[k]].z);
    }
    free(kept);
    free(refs);
    free(all.level), free(all.z), free(all.kind);
    fp_arrangement_free(a);
    return st;
}
