/* The latent map z' = a.z + n phi(m z + b; h): construction, evaluation, Jacobian, linear
 * pieces, the exact per-piece fixed-point solve, and the result list. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/dense.h"
#include "analysis/internal.h"
#include "model/internal.h"

int fp_planes_per_unit(lrnn_activation act) {
    switch (act) {
    case LRNN_ACT_RELU:
        return 1;
    case LRNN_ACT_CLIPPED_RELU:
        return 2;
    case LRNN_ACT_TANH:
    case LRNN_ACT_IDENTITY:
        return 0;
    }
    return 0;
}

void lrnn_latent_map_free(lrnn_latent_map *map) {
    if (!map) return;
    free(map->m), free(map->n), free(map->h), free(map->a), free(map->b);
    memset(map, 0, sizeof *map);
}

static lrnn_status check_finite(const char *name, const double *x, size_t count) {
    for (size_t i = 0; i < count; i++)
        if (!isfinite(x[i]))
            return lrnn_fail(LRNN_ERR_NUMERIC, "latent map: %s[%zu] = %g is not finite", name, i,
                             x[i]);
    return LRNN_OK;
}

lrnn_status lrnn_latent_map_from_arrays(int R, int N, lrnn_activation activation, const double *m,
                                        const double *n, const double *h, const double *a,
                                        const double *b, lrnn_latent_map *out) {
    memset(out, 0, sizeof *out);
    if (R < 1 || R > 1024 || N < 1 || N > (1 << 20))
        return lrnn_fail(LRNN_ERR_ARG,
                         "latent map: rank %d and units %d must be in 1..1024 and "
                         "1..%d",
                         R, N, 1 << 20);
    if ((unsigned)activation > LRNN_ACT_IDENTITY)
        return lrnn_fail(LRNN_ERR_ARG, "latent map: unknown activation %d", (int)activation);
    if (!m || !n || !h || !a) return lrnn_fail(LRNN_ERR_ARG, "latent map: m, n, h and a needed");
    size_t r = (size_t)R, k = (size_t)N;
    lrnn_status s;
    if ((s = check_finite("m", m, k * r)) || (s = check_finite("n", n, r * k)) ||
        (s = check_finite("h", h, k)) || (s = check_finite("a", a, r)) ||
        (b && (s = check_finite("input current", b, k))))
        return s;
    out->R = R, out->N = N, out->activation = activation;
    out->m = malloc(k * r * sizeof *out->m);
    out->n = malloc(r * k * sizeof *out->n);
    out->h = malloc(k * sizeof *out->h);
    out->a = malloc(r * sizeof *out->a);
    out->b = calloc(k, sizeof *out->b);
    if (!out->m || !out->n || !out->h || !out->a || !out->b) {
        lrnn_latent_map_free(out);
        return lrnn_fail(LRNN_ERR_NOMEM, "latent map: cannot allocate %d x %d arrays", N, R);
    }
    memcpy(out->m, m, k * r * sizeof *m);
    memcpy(out->n, n, r * k * sizeof *n);
    memcpy(out->h, h, k * sizeof *h);
    memcpy(out->a, a, r * sizeof *a);
    if (b) memcpy(out->b, b, k * sizeof *b);
    return LRNN_OK;
}

lrnn_status lrnn_latent_map_from_model(const lrnn_model *model, const double *u,
                                       lrnn_latent_map *out) {
    memset(out, 0, sizeof *out);
    const lrnn_model_config *c = lrnn_model_config_of(model);
    const lrnn_param_view p = model->view;
    size_t R = (size_t)c->rank, N = (size_t)c->units, U = (size_t)c->inputs;
    lrnn_status s = LRNN_OK;
    double *a = malloc(R * sizeof *a), *b = NULL;
    if (!a) return lrnn_fail(LRNN_ERR_NOMEM, "latent map: cannot allocate the decay");
    /* a = exp(-exp(decay_param)) (spec 1.1), scalar or one per latent dimension */
    for (size_t i = 0; i < R; i++)
        a[i] = exp(-exp(p.decay_param[c->decay == LRNN_DECAY_SCALAR ? 0 : i]));
    if (u && U > 0) {
        if ((s = check_finite("input u", u, U))) goto done;
        b = calloc(N, sizeof *b);
        if (!b) {
            s = lrnn_fail(LRNN_ERR_NOMEM, "latent map: cannot allocate %zu input currents", N);
            goto done;
        }
        for (size_t i = 0; i < N; i++)
            for (size_t j = 0; j < U; j++)
                b[i] += p.W_u[i * U + j] * u[j];
    }
    s = lrnn_latent_map_from_arrays(c->rank, c->units, c->activation, p.m, p.n, p.h, a, b, out);
done:
    free(a), free(b);
    return s;
}

/* Current of unit i at z: x_i = m_i . z + b_i. */
static double unit_current(const lrnn_latent_map *map, int i, const double *z) {
    const double *mi = map->m + (size_t)i * (size_t)map->R;
    double s = 0.0;
    for (int c = 0; c < map->R; c++)
        s += mi[c] * z[c];
    return s + map->b[i];
}

void lrnn_latent_map_currents(const lrnn_latent_map *map, const double *z, double *x) {
    for (int i = 0; i < map->N; i++)
        x[i] = unit_current(map, i, z);
}

/* Level of one unit from its current (see fixedpoints.h). */
static inline uint8_t unit_level(lrnn_activation act, double x, double h) {
    switch (act) {
    case LRNN_ACT_RELU:
        return (uint8_t)(x > h);
    case LRNN_ACT_CLIPPED_RELU:
        return (uint8_t)((x > -h) + (x > 0.0));
    default:
        return 0;
    }
}

/* Slope and intercept of phi on the piece `level`: phi = slope x + icpt there. For clipped
 * relu, level 1 is the ramp of x + h (h >= 0) or of -x (h < 0, where phi = -clip(x, 0, -h)). */
static inline void unit_piece(lrnn_activation act, uint8_t level, double h, double *slope,
                              double *icpt) {
    switch (act) {
    case LRNN_ACT_RELU:
        *slope = level ? 1.0 : 0.0;
        *icpt = level ? -h : 0.0;
        return;
    case LRNN_ACT_CLIPPED_RELU: {
        /* phi = sA (x + h) - sB x with sA = 1[x > -h], sB = 1[x > 0] */
        int sA = h >= 0.0 ? level >= 1 : level >= 2, sB = h >= 0.0 ? level >= 2 : level >= 1;
        *slope = (double)(sA - sB);
        *icpt = sA ? h : 0.0;
        return;
    }
    case LRNN_ACT_IDENTITY:
        *slope = 1.0;
        *icpt = -h;
        return;
    case LRNN_ACT_TANH:
        break;
    }
    *slope = 0.0, *icpt = 0.0;
}

void lrnn_latent_map_levels(const lrnn_latent_map *map, const double *z, uint8_t *level) {
    for (int i = 0; i < map->N; i++)
        level[i] = unit_level(map->activation, unit_current(map, i, z), map->h[i]);
}

void lrnn_latent_map_step(const lrnn_latent_map *map, const double *z, double *out) {
    int R = map->R;
    double *tmp = out;
    double local[64];
    /* out may alias z: accumulate into a separate buffer when it does */
    double *heap = NULL;
    if (out == z) {
        if (R <= 64)
            tmp = local;
        else if (!(tmp = heap = malloc((size_t)R * sizeof *tmp)))
            return;
    }
    for (int r = 0; r < R; r++)
        tmp[r] = map->a[r] * z[r];
    for (int i = 0; i < map->N; i++) {
        const double *mi = map->m + (size_t)i * (size_t)R;
        double s = 0.0;
        for (int c = 0; c < R; c++)
            s += mi[c] * z[c];
        double phi = lrnn_activation_apply(map->activation, s + map->b[i], map->h[i]);
        if (phi != 0.0)
            for (int r = 0; r < R; r++)
                tmp[r] += map->n[(size_t)r * (size_t)map->N + i] * phi;
    }
    if (tmp != out) memcpy(out, tmp, (size_t)R * sizeof *out);
    free(heap);
}

static double unit_derivative(lrnn_activation act, double x, double h) {
    switch (act) {
    case LRNN_ACT_RELU:
        return x > h ? 1.0 : 0.0;
    case LRNN_ACT_CLIPPED_RELU:
        return (x > -h ? 1.0 : 0.0) - (x > 0.0 ? 1.0 : 0.0);
    case LRNN_ACT_TANH: {
        double t = tanh(x - h);
        return 1.0 - t * t;
    }
    case LRNN_ACT_IDENTITY:
        return 1.0;
    }
    return 0.0;
}

void lrnn_latent_map_jacobian(const lrnn_latent_map *map, const double *z, double *J) {
    int R = map->R;
    size_t N = (size_t)map->N;
    memset(J, 0, (size_t)R * (size_t)R * sizeof *J);
    for (int r = 0; r < R; r++)
        J[r * R + r] = map->a[r];
    for (size_t i = 0; i < N; i++) {
        const double *mi = map->m + i * (size_t)R;
        double s = 0.0;
        for (int c = 0; c < R; c++)
            s += mi[c] * z[c];
        double d = unit_derivative(map->activation, s + map->b[i], map->h[i]);
        if (d == 0.0) continue;
        for (int r = 0; r < R; r++) {
            double w = map->n[(size_t)r * N + i] * d;
            for (int c = 0; c < R; c++)
                J[r * R + c] += w * mi[c];
        }
    }
}

void lrnn_latent_map_piece(const lrnn_latent_map *map, const uint8_t *level, double *A, double *c) {
    int R = map->R;
    size_t N = (size_t)map->N;
    memset(A, 0, (size_t)R * (size_t)R * sizeof *A);
    memset(c, 0, (size_t)R * sizeof *c);
    for (int r = 0; r < R; r++)
        A[r * R + r] = map->a[r];
    for (size_t i = 0; i < N; i++) {
        double slope, icpt;
        unit_piece(map->activation, level[i], map->h[i], &slope, &icpt);
        if (slope == 0.0 && icpt == 0.0) continue;
        /* n_i phi_i = n_i (slope (m_i z + b_i) + icpt) */
        const double *mi = map->m + i * (size_t)R;
        double off = slope * map->b[i] + icpt;
        for (int r = 0; r < R; r++) {
            double nri = map->n[(size_t)r * N + i];
            if (slope != 0.0) {
                double w = nri * slope;
                for (int k = 0; k < R; k++)
                    A[r * R + k] += w * mi[k];
            }
            c[r] += nri * off;
        }
    }
}

size_t fp_solve_ws_size(const lrnn_latent_map *map) {
    return 2 * (size_t)map->R * (size_t)map->R + 2 * (size_t)map->R;
}

/* Do the levels of z agree with `level`? 1: exactly; 2: they differ only in units whose
 * current lies within rounding (1e-11 of the magnitude of its terms) of every kink between the
 * two levels -- a fixed point on a kink, computed a rounding error to the wrong side (common in
 * hand-built networks with exact coincidences); 0: no. */
static int levels_agree(const lrnn_latent_map *map, const double *z, const uint8_t *level) {
    int R = map->R, rc = 1;
    for (int i = 0; i < map->N; i++) {
        const double *mi = map->m + (size_t)i * (size_t)R;
        double s = 0.0, mag = fabs(map->b[i]) + fabs(map->h[i]);
        for (int c = 0; c < R; c++)
            s += mi[c] * z[c], mag += fabs(mi[c] * z[c]);
        double x = s + map->b[i], h = map->h[i];
        uint8_t lv = unit_level(map->activation, x, h);
        if (lv == level[i]) continue;
        double tol = 1e-11 * mag;
        if (map->activation == LRNN_ACT_RELU) {
            if (!(fabs(x - h) <= tol)) return 0;
        } else if (map->activation == LRNN_ACT_CLIPPED_RELU && level[i] <= 2) {
            double lo = -h < 0.0 ? -h : 0.0, hi = -h < 0.0 ? 0.0 : -h;
            int from = lv < level[i] ? lv : level[i], to = lv < level[i] ? level[i] : lv;
            if (from == 0 && !(fabs(x - lo) <= tol)) return 0;
            if (to == 2 && !(fabs(x - hi) <= tol)) return 0;
        } else {
            return 0;
        }
        rc = 2;
    }
    return rc;
}

int fp_solve_piece_ws(const lrnn_latent_map *map, const uint8_t *level, double *z, double *ws,
                      uint8_t *lv) {
    int R = map->R;
    size_t RR = (size_t)R * (size_t)R;
    double *A = ws, *c = ws + RR;
    int *piv = (int *)(ws + RR + (size_t)R); /* R ints fit in R doubles */
    (void)lv;
    lrnn_latent_map_piece(map, level, A, c);
    /* (I - A) z = c */
    for (size_t k = 0; k < RR; k++)
        A[k] = -A[k];
    for (int r = 0; r < R; r++)
        A[r * R + r] += 1.0;
    if (fp_lu(R, A, piv, NULL) != 0) return -1;
    fp_lu_solve(R, A, piv, c);
    memcpy(z, c, (size_t)R * sizeof *z);
    return levels_agree(map, z, level);
}

int lrnn_fp_solve_piece(const lrnn_latent_map *map, const uint8_t *level, double *z) {
    double ws_local[512];
    uint8_t lv_local[1024];
    size_t need = fp_solve_ws_size(map);
    double *ws = need <= 512 ? ws_local : malloc(need * sizeof *ws);
    uint8_t *lv = map->N <= 1024 ? lv_local : malloc((size_t)map->N);
    int rc = -1;
    if (ws && lv) rc = fp_solve_piece_ws(map, level, z, ws, lv);
    if (ws != ws_local) free(ws);
    if (lv != lv_local) free(lv);
    return rc;
}

/* ---- results ---- */

lrnn_fp_type lrnn_fp_classify(int R, const double *eig_re, const double *eig_im, double *radius) {
    int inside = 0, outside = 0, complex_pair = 0;
    double rho = 0.0;
    for (int i = 0; i < R; i++) {
        double mod = hypot(eig_re[i], eig_im[i]);
        rho = fmax(rho, mod);
        if (mod < 1.0 - 1e-9)
            inside++;
        else if (mod > 1.0 + 1e-9)
            outside++;
        if (fabs(eig_im[i]) > 1e-12 * fmax(1.0, mod)) complex_pair = 1;
    }
    if (radius) *radius = rho;
    if (inside + outside < R) return LRNN_FP_MARGINAL;
    if (outside == 0) return complex_pair ? LRNN_FP_STABLE_FOCUS : LRNN_FP_STABLE_NODE;
    if (inside == 0) return complex_pair ? LRNN_FP_UNSTABLE_FOCUS : LRNN_FP_UNSTABLE_NODE;
    return LRNN_FP_SADDLE;
}

static void fp_free_item(lrnn_fp *f) {
    free(f->z), free(f->level), free(f->eig_re), free(f->eig_im);
    memset(f, 0, sizeof *f);
}

void lrnn_fp_result_free(lrnn_fp_result *r) {
    if (!r) return;
    for (size_t i = 0; i < r->count; i++)
        fp_free_item(&r->points[i]);
    free(r->points);
    memset(r, 0, sizeof *r);
}

static int active_units(const lrnn_latent_map *map, const double *z) {
    int count = 0, R = map->R;
    for (int i = 0; i < map->N; i++) {
        const double *mi = map->m + (size_t)i * (size_t)R;
        double s = 0.0;
        for (int c = 0; c < R; c++)
            s += mi[c] * z[c];
        double d = unit_derivative(map->activation, s + map->b[i], map->h[i]);
        count += map->activation == LRNN_ACT_TANH ? d > 0.5 : d != 0.0;
    }
    return count;
}

lrnn_status fp_result_push(lrnn_fp_result *res, const lrnn_latent_map *map, int order,
                           const double *z) {
    int R = map->R;
    size_t RR = (size_t)R * (size_t)R, N = (size_t)map->N, k = (size_t)order;
    /* capacity is implied by the count: 16, then doubling at every power of two */
    size_t n = res->count;
    if (n == 0 || (n >= 16 && (n & (n - 1)) == 0)) {
        size_t cap = n == 0 ? 16 : 2 * n;
        lrnn_fp *p = realloc(res->points, cap * sizeof *p);
        if (!p) return lrnn_fail(LRNN_ERR_NOMEM, "fixed points: cannot grow the result list");
        res->points = p;
    }
    lrnn_fp f = {.order = order};
    f.z = malloc(k * (size_t)R * sizeof *f.z);
    f.level = malloc(k * N);
    f.eig_re = malloc((size_t)R * sizeof *f.eig_re);
    f.eig_im = malloc((size_t)R * sizeof *f.eig_im);
    double *work = malloc((3 * RR + 2 * (size_t)R) * sizeof *work);
    if (!f.z || !f.level || !f.eig_re || !f.eig_im || !work) {
        fp_free_item(&f);
        free(work);
        return lrnn_fail(LRNN_ERR_NOMEM, "fixed points: cannot allocate a result");
    }
    memcpy(f.z, z, k * (size_t)R * sizeof *z);
    double *F = work, *J = work + RR, *T = work + 2 * RR, *x = work + 3 * RR, *y = x + R;
    /* Multipliers: eigenvalues of J(z_{k-1}) ... J(z_0), the Jacobian of f^k at z_0. */
    for (size_t i = 0; i < k; i++) {
        lrnn_latent_map_levels(map, z + i * (size_t)R, f.level + i * N);
        lrnn_latent_map_jacobian(map, z + i * (size_t)R, i ? J : F);
        if (i) {
            dense_mm((size_t)R, (size_t)R, (size_t)R, J, F, T);
            memcpy(F, T, RR * sizeof *F);
        }
    }
    if (fp_eigenvalues(R, F, f.eig_re, f.eig_im, T) != 0) {
        fp_free_item(&f);
        free(work);
        return lrnn_fail(LRNN_ERR_NUMERIC,
                         "fixed points: LAPACK dgeev failed on the %d x %d "
                         "Jacobian",
                         R, R);
    }
    f.type = lrnn_fp_classify(R, f.eig_re, f.eig_im, &f.radius);
    f.active = active_units(map, z);
    memcpy(x, z, (size_t)R * sizeof *x);
    for (size_t i = 0; i < k; i++) {
        lrnn_latent_map_step(map, x, y);
        memcpy(x, y, (size_t)R * sizeof *x);
    }
    f.residual = 0.0;
    for (int r = 0; r < R; r++)
        f.residual = fmax(f.residual, fabs(x[r] - z[r]));
    free(work);
    res->points[res->count++] = f;
    return LRNN_OK;
}

/* Order of two results: fixed points before cycles, then by z_0 lexicographically. */
static int compare_points(const lrnn_fp *a, const lrnn_fp *b, int R) {
    if (a->order != b->order) return a->order < b->order ? -1 : 1;
    for (int r = 0; r < R; r++)
        if (a->z[r] != b->z[r]) return a->z[r] < b->z[r] ? -1 : 1;
    return 0;
}

void fp_result_sort(lrnn_fp_result *res) {
    size_t n = res->count;
    if (n < 2) return;
    lrnn_fp *tmp = malloc(n * sizeof *tmp);
    if (!tmp) { /* out of memory: fall back to insertion sort in place */
        for (size_t i = 1; i < n; i++) {
            lrnn_fp item = res->points[i];
            size_t j = i;
            while (j > 0 && compare_points(&res->points[j - 1], &item, res->R) > 0) {
                res->points[j] = res->points[j - 1];
                j--;
            }
            res->points[j] = item;
        }
        return;
    }
    /* bottom-up merge sort: stable, O(n log n), no comparator state */
    lrnn_fp *src = res->points, *dst = tmp;
    for (size_t width = 1; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n,
                   hi = lo + 2 * width < n ? lo + 2 * width : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                dst[k++] = compare_points(&src[j], &src[i], res->R) < 0 ? src[j++] : src[i++];
            while (i < mid)
                dst[k++] = src[i++];
            while (j < hi)
                dst[k++] = src[j++];
        }
        lrnn_fp *t = src;
        src = dst, dst = t;
    }
    if (src != res->points) memcpy(res->points, src, n * sizeof *src);
    free(tmp);
}

/* Close within the tolerance used to tell cycles apart. */
static int points_close(int R, const double *x, const double *y) {
    double scale = 1.0;
    for (int r = 0; r < R; r++)
        scale = fmax(scale, fmax(fabs(x[r]), fabs(y[r])));
    for (int r = 0; r < R; r++)
        if (fabs(x[r] - y[r]) > 1e-7 * scale) return 0;
    return 1;
}

int fp_result_add_cycle(lrnn_fp_result *res, const lrnn_latent_map *map, int order, const double *z,
                        double *rotated) {
    int R = map->R;
    size_t Rs = (size_t)R;
    /* minimal period: a point repeating earlier belongs to a shorter cycle */
    for (int i = 1; i < order; i++)
        if (points_close(R, z, z + (size_t)i * Rs)) return 0;
    /* the same orbit entered at another point */
    for (size_t e = 0; e < res->count; e++) {
        const lrnn_fp *f = &res->points[e];
        if (f->order != order) continue;
        for (int s = 0; s < order; s++) {
            int same = 1;
            for (int i = 0; i < order && same; i++)
                same = points_close(R, z + (size_t)i * Rs, f->z + (size_t)((i + s) % order) * Rs);
            if (same) return 0;
        }
    }
    /* canonical entry point: the lexicographically smallest */
    int start = 0;
    for (int i = 1; i < order; i++) {
        const double *x = z + (size_t)i * Rs, *y = z + (size_t)start * Rs;
        int c = 0;
        for (int r = 0; r < R && !c; r++)
            if (x[r] != y[r]) c = x[r] < y[r] ? -1 : 1;
        if (c < 0) start = i;
    }
    for (int i = 0; i < order; i++)
        memcpy(rotated + (size_t)i * Rs, z + (size_t)((i + start) % order) * Rs,
               Rs * sizeof *rotated);
    lrnn_status s = fp_result_push(res, map, order, rotated);
    return s ? -1 : 1;
}
