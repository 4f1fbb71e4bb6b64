/* Latent dynamics of low-rank LINT networks (include/lrnn/lint_latent.h, spec section 5.4).
 *
 * Internally everything runs in the plane coordinates c (x = m c + I_perp), where
 *     dc/dt = h(c) = -c + c_rec n^T phi(m c + I_perp + b) + c_I,   dh/dc = -I + c_rec A,
 *     A_ab = sum_i n_ia phi'_i m_ib   (R x R, O(N R^2)),
 * and kappa = G c (G = m^T m / N): dkappa/dt = G h, d(dkappa/dt)/dkappa = G (dh/dc) G^{-1}.
 * The pseudo-Jacobian P = c_rec A^T. */
#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lint/internal.h"
#include "lrnn/lint_latent.h"

struct lrnn_lint_latent {
    size_t N;
    int R;
    double c_rec;
    lrnn_lint_act phi;
    double *m, *n;    /* N x R copies */
    double *bias;     /* N (zeros without b) */
    double *iperp;    /* N: the input's part off the plane */
    double *c_in;     /* R: the input's part on the plane, in c coordinates */
    double *G, *Ginv; /* R x R */
    double *x, *dphi; /* N workspace: state, then phi'(x + b) */
    double *rr;       /* 4 R^2 + 4 R workspace */
    lapack_int *ipiv; /* R */
};

int lrnn_lint_latent_rank(const lrnn_lint_latent *lat) {
    return lat->R;
}
size_t lrnn_lint_latent_units(const lrnn_lint_latent *lat) {
    return lat->N;
}

lrnn_status lrnn_lint_kappa(const lrnn_lint_rnn *rnn, const double *states, size_t rows,
                            double *kappa) {
    lint_dims d = lint_dims_of(rnn);
    if (!d.low_rank)
        return lrnn_fail(LRNN_ERR_ARG, "kappa: a full-rank network has no m vectors to project on");
    if (rows == 0) return LRNN_OK;
    lrnn_lint_view v = lrnn_lint_view_of(&rnn->layout, rnn->theta);
    /* kappa (rows x R) = states (rows x N) m (N x R) / N */
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)rows, (int)d.R, (int)d.N,
                1.0 / (double)d.N, states, (int)d.N, v.m, (int)d.R, 0.0, kappa, (int)d.R);
    return LRNN_OK;
}

void lrnn_lint_latent_free(lrnn_lint_latent *lat) {
    if (!lat) return;
    free(lat->m); /* one block for every double array */
    free(lat->ipiv);
    free(lat);
}

/* Ginv = G^{-1} by Cholesky (G = m^T m / N is symmetric positive definite unless the columns of
 * m are dependent); a pivot below 1e-12 of the largest diagonal counts as singular. */
static lrnn_status invert_overlap(lrnn_lint_latent *lat) {
    int R = lat->R;
    double dmax = 0.0;
    for (int a = 0; a < R; a++)
        dmax = fmax(dmax, lat->G[a * R + a]);
    memcpy(lat->Ginv, lat->G, (size_t)R * R * sizeof *lat->G);
    lapack_int info = LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'L', R, lat->Ginv, R);
    for (int a = 0; info == 0 && a < R; a++)
        if (!(lat->Ginv[a * R + a] * lat->Ginv[a * R + a] > 1e-12 * dmax)) info = a + 1;
    if (info == 0) info = LAPACKE_dpotri(LAPACK_ROW_MAJOR, 'L', R, lat->Ginv, R);
    if (info != 0 || !(dmax > 0.0))
        return lrnn_fail(LRNN_ERR_NUMERIC,
                         "latent flow: the columns of m are linearly dependent (overlap matrix "
                         "m^T m / N singular), so they span no %d-dimensional plane",
                         R);
    for (int a = 0; a < R; a++) /* dpotri fills the lower triangle only */
        for (int b = a + 1; b < R; b++)
            lat->Ginv[a * R + b] = lat->Ginv[b * R + a];
    return LRNN_OK;
}

lrnn_status lrnn_lint_latent_create(const lrnn_lint_rnn *rnn, const double *u,
                                    lrnn_lint_latent **out) {
    *out = NULL;
    lint_dims d = lint_dims_of(rnn);
    if (!d.low_rank)
        return lrnn_fail(LRNN_ERR_ARG,
                         "latent flow: a full-rank network has no m1-m2 plane (only low-rank "
                         "networks have latent coordinates)");
    for (size_t k = 0; u && k < d.U; k++)
        if (!isfinite(u[k]))
            return lrnn_fail(LRNN_ERR_ARG, "latent flow: input %zu is not finite (%g)", k, u[k]);
    size_t N = d.N, R = d.R;
    lrnn_lint_latent *lat = calloc(1, sizeof *lat);
    double *block =
        lat ? malloc((6 * N * 1 + 2 * N * R + 3 * R * R + R + 4 * R * R + 4 * R) * sizeof *block)
            : NULL;
    lapack_int *ipiv = malloc(R * sizeof *ipiv);
    if (!lat || !block || !ipiv) {
        free(lat), free(block), free(ipiv);
        return lrnn_fail(LRNN_ERR_NOMEM, "latent flow: out of memory (N = %zu, R = %zu)", N, R);
    }
    lat->N = N, lat->R = (int)R, lat->c_rec = d.c_rec, lat->phi = rnn->c.phi, lat->ipiv = ipiv;
    lat->m = block;
    lat->n = lat->m + N * R;
    lat->bias = lat->n + N * R;
    lat->iperp = lat->bias + N;
    lat->x = lat->iperp + N;
    lat->dphi = lat->x + N;
    double *input = lat->dphi + N; /* N, then scratch */
    lat->c_in = input + 2 * N;
    lat->G = lat->c_in + R;
    lat->Ginv = lat->G + R * R;
    lat->rr = lat->Ginv + 2 * R * R;

    lrnn_lint_view v = lrnn_lint_view_of(&rnn->layout, rnn->theta);
    memcpy(lat->m, v.m, N * R * sizeof *v.m);
    memcpy(lat->n, v.n, N * R * sizeof *v.n);
    for (size_t i = 0; i < N; i++)
        lat->bias[i] = v.b ? v.b[i] : 0.0;
    /* I = W_in^T u with W_in = diag(si) wi */
    memset(input, 0, N * sizeof *input);
    for (size_t k = 0; u && k < d.U; k++)
        for (size_t i = 0; i < N; i++)
            input[i] += u[k] * v.si[k] * v.wi[k * N + i];
    /* G = m^T m / N */
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)R, (int)R, (int)N, 1.0 / (double)N,
                lat->m, (int)R, lat->m, (int)R, 0.0, lat->G, (int)R);
    lrnn_status s = invert_overlap(lat);
    if (s != LRNN_OK) {
        lrnn_lint_latent_free(lat);
        return s;
    }
    /* c_I = G^{-1} m^T I / N;  I_perp = I - m c_I */
    double *mI = lat->rr;
    cblas_dgemv(CblasRowMajor, CblasTrans, (int)N, (int)R, 1.0 / (double)N, lat->m, (int)R, input,
                1, 0.0, mI, 1);
    cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)R, (int)R, 1.0, lat->Ginv, (int)R, mI, 1, 0.0,
                lat->c_in, 1);
    memcpy(lat->iperp, input, N * sizeof *input);
    cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)N, (int)R, -1.0, lat->m, (int)R, lat->c_in, 1,
                1.0, lat->iperp, 1);
    *out = lat;
    return LRNN_OK;
}

/* x = m c + I_perp into lat->x. */
static void state_of_c(lrnn_lint_latent *lat, const double *c) {
    memcpy(lat->x, lat->iperp, lat->N * sizeof *lat->x);
    cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)lat->N, lat->R, 1.0, lat->m, lat->R, c, 1, 1.0,
                lat->x, 1);
}

/* h(c) = -c + c_rec n^T phi(x + b) + c_I into h (R); with want_dphi, lat->dphi = phi'(x + b).
 * x is overwritten by phi(x + b). */
static void eval_h(lrnn_lint_latent *lat, const double *c, double *h, bool want_dphi) {
    size_t N = lat->N;
    state_of_c(lat, c);
    double *x = lat->x, *dp = lat->dphi;
    const double *b = lat->bias;
    switch (lat->phi) {
    case LRNN_LINT_TANH:
        for (size_t i = 0; i < N; i++) {
            double r = tanh(x[i] + b[i]);
            x[i] = r;
            if (want_dphi) dp[i] = 1.0 - r * r;
        }
        break;
    case LRNN_LINT_RELU:
        for (size_t i = 0; i < N; i++) {
            double z = x[i] + b[i];
            x[i] = z > 0.0 ? z : 0.0;
            if (want_dphi) dp[i] = z > 0.0 ? 1.0 : 0.0;
        }
        break;
    case LRNN_LINT_IDENTITY:
        for (size_t i = 0; i < N; i++) {
            x[i] += b[i];
            if (want_dphi) dp[i] = 1.0;
        }
        break;
    }
    for (int r = 0; r < lat->R; r++)
        h[r] = lat->c_in[r] - c[r];
    cblas_dgemv(CblasRowMajor, CblasTrans, (int)N, lat->R, lat->c_rec, lat->n, lat->R, x, 1, 1.0, h,
                1);
}

/* A_ab = sum_i n_ia phi'_i m_ib from lat->dphi, scaled by c_rec: the matrix c_rec A = P^T. */
static void crec_A(lrnn_lint_latent *lat, double *A) {
    int R = lat->R;
    memset(A, 0, (size_t)R * R * sizeof *A);
    for (size_t i = 0; i < lat->N; i++) {
        const double *ni = lat->n + i * R, *mi = lat->m + i * R;
        double di = lat->c_rec * lat->dphi[i];
        for (int a = 0; a < R; a++) {
            double w = di * ni[a];
            for (int b = 0; b < R; b++)
                A[a * R + b] += w * mi[b];
        }
    }
}

static void c_of_kappa(const lrnn_lint_latent *lat, const double *kappa, double *c) {
    cblas_dgemv(CblasRowMajor, CblasNoTrans, lat->R, lat->R, 1.0, lat->Ginv, lat->R, kappa, 1, 0.0,
                c, 1);
}

void lrnn_lint_latent_state(lrnn_lint_latent *lat, const double *kappa, double *x) {
    double *c = lat->rr + 4 * (size_t)lat->R * lat->R;
    c_of_kappa(lat, kappa, c);
    state_of_c(lat, c);
    memcpy(x, lat->x, lat->N * sizeof *x);
}

void lrnn_lint_latent_flow(lrnn_lint_latent *lat, const double *kappa, double *dkappa) {
    int R = lat->R;
    double *c = lat->rr + 4 * (size_t)R * R, *h = c + R;
    c_of_kappa(lat, kappa, c);
    eval_h(lat, c, h, false);
    cblas_dgemv(CblasRowMajor, CblasNoTrans, R, R, 1.0, lat->G, R, h, 1, 0.0, dkappa, 1);
}

void lrnn_lint_latent_pseudo_jacobian(lrnn_lint_latent *lat, const double *kappa, double *P) {
    int R = lat->R;
    double *c = lat->rr + 4 * (size_t)R * R, *h = c + R, *A = lat->rr;
    c_of_kappa(lat, kappa, c);
    eval_h(lat, c, h, true);
    crec_A(lat, A);
    for (int a = 0; a < R; a++)
        for (int b = 0; b < R; b++)
            P[a * R + b] = A[b * R + a];
}

void lrnn_lint_latent_jacobian(lrnn_lint_latent *lat, const double *kappa, double *jac) {
    int R = lat->R;
    double *c = lat->rr + 4 * (size_t)R * R, *h = c + R, *A = lat->rr, *T = A + (size_t)R * R;
    c_of_kappa(lat, kappa, c);
    eval_h(lat, c, h, true);
    crec_A(lat, A);
    /* jac = -I + G (c_rec A) G^{-1} */
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, R, R, R, 1.0, lat->G, R, A, R, 0.0, T,
                R);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, R, R, R, 1.0, T, R, lat->Ginv, R, 0.0,
                jac, R);
    for (int a = 0; a < R; a++)
        jac[a * R + a] -= 1.0;
}

/* ---- fixed points ---- */

lrnn_lint_fp_params lrnn_lint_fp_default_params(void) {
    return (lrnn_lint_fp_params){
        .seeds_per_dim = 0, .lo = NULL, .hi = NULL, .tol = 1e-10, .max_iter = 100};
}

void lrnn_lint_fixed_points_free(lrnn_lint_fixed_points *fp) {
    if (!fp) return;
    free(fp->kappa); /* one block for kappa, eig_re, eig_im, residual */
    free(fp->stable);
    memset(fp, 0, sizeof *fp);
}

static double max_abs(const double *v, int n) {
    double m = 0.0;
    for (int i = 0; i < n; i++)
        m = fmax(m, fabs(v[i]));
    return m;
}

/* Newton from c (R, updated in place) with backtracking on max|h|: the full step when it lowers
 * the residual, else halved up to 30 times. Returns true when converged. ws: 3 R^2 + 3 R. */
static bool newton(lrnn_lint_latent *lat, double *c, const lrnn_lint_fp_params *p, double *ws) {
    int R = lat->R;
    double *h = ws, *delta = h + R, *trial = delta + R, *J = trial + R, *A = J + (size_t)R * R;
    eval_h(lat, c, h, true);
    double res = max_abs(h, R);
    for (int it = 0; it < p->max_iter; it++) {
        if (!isfinite(res)) return false;
        if (res <= p->tol * (1.0 + max_abs(c, R))) return true;
        /* (-I + c_rec A) delta = -h */
        crec_A(lat, A);
        for (int a = 0; a < R; a++) {
            for (int b = 0; b < R; b++)
                J[a * R + b] = A[a * R + b] - (a == b);
            delta[a] = -h[a];
        }
        if (LAPACKE_dgesv(LAPACK_ROW_MAJOR, R, 1, J, R, lat->ipiv, delta, 1) != 0)
            return false; /* singular Jacobian: a bifurcation or a flat (relu-dead) region */
        double t = 1.0, new_res = INFINITY;
        for (int k = 0; k < 30; k++, t *= 0.5) {
            for (int a = 0; a < R; a++)
                trial[a] = c[a] + t * delta[a];
            eval_h(lat, trial, h, true);
            new_res = max_abs(h, R);
            if (new_res < res) break;
        }
        if (!(new_res < res)) return res <= p->tol * (1.0 + max_abs(c, R));
        memcpy(c, trial, (size_t)R * sizeof *c);
        res = new_res; /* h and dphi are those of the accepted point */
    }
    return res <= p->tol * (1.0 + max_abs(c, R));
}

/* Default seeds per dimension (see lint_latent.h); 0 means "centre and face midpoints". */
static int default_seeds(int R) {
    if (R == 1) return 41;
    if (R == 2) return 11;
    if (R == 3) return 7;
    int k = (int)floor(pow(4096.0, 1.0 / R) + 1e-9);
    return k >= 2 ? k : 0;
}

/* Seed number s (0-based) in the unit cube [-1, 1]^R: a K^R grid, or (K = 0) the centre and the
 * 2R face midpoints. Returns false past the last seed. */
static bool unit_seed(int R, int K, size_t s, double *t) {
    if (K == 0) {
        if (s > 2 * (size_t)R) return false;
        memset(t, 0, (size_t)R * sizeof *t);
        if (s > 0) t[(s - 1) / 2] = (s % 2) ? -1.0 : 1.0;
        return true;
    }
    for (int r = 0; r < R; r++) {
        size_t j = s % (size_t)K;
        s /= (size_t)K;
        t[r] = K == 1 ? 0.0 : -1.0 + 2.0 * (double)j / (double)(K - 1);
    }
    return s == 0;
}

/* Order of two points (R values each): lexicographic. */
static int cmp_rows(const double *a, const double *b, int R) {
    for (int r = 0; r < R; r++)
        if (a[r] != b[r]) return a[r] < b[r] ? -1 : 1;
    return 0;
}

/* Sort count rows of R values in place (insertion sort: a handful of fixed points), using tmp
 * (R values). A comparator with a global rank would not be thread-safe under qsort. */
static void sort_rows(double *rows, size_t count, int R, double *tmp) {
    size_t w = (size_t)R * sizeof *rows;
    for (size_t i = 1; i < count; i++) {
        memcpy(tmp, rows + i * R, w);
        size_t j = i;
        for (; j > 0 && cmp_rows(rows + (j - 1) * R, tmp, R) > 0; j--)
            memcpy(rows + j * R, rows + (j - 1) * R, w);
        memcpy(rows + j * R, tmp, w);
    }
}

/* Eigenvalues of P (R x R, destroyed) sorted by real part, descending. */
static bool eigenvalues(int R, double *P, double *re, double *im) {
    if (LAPACKE_dgeev(LAPACK_ROW_MAJOR, 'N', 'N', R, P, R, re, im, NULL, 1, NULL, 1) != 0)
        return false;
    for (int i = 1; i < R; i++) /* insertion sort: R is small */
        for (int j = i; j > 0 && re[j] > re[j - 1]; j--) {
            double tr = re[j], ti = im[j];
            re[j] = re[j - 1], im[j] = im[j - 1];
            re[j - 1] = tr, im[j - 1] = ti;
        }
    return true;
}

lrnn_status lrnn_lint_latent_fixed_points(lrnn_lint_latent *lat, const lrnn_lint_fp_params *p,
                                          lrnn_lint_fixed_points *out) {
    memset(out, 0, sizeof *out);
    lrnn_lint_fp_params q = p ? *p : lrnn_lint_fp_default_params();
    int R = lat->R;
    if (q.max_iter < 1 || !(q.tol > 0.0) || q.seeds_per_dim < 0 || q.seeds_per_dim > 10000)
        return lrnn_fail(LRNN_ERR_ARG,
                         "fixed points: max_iter %d, tol %g, seeds_per_dim %d (need >= 1, > 0, "
                         "0 .. 10000)",
                         q.max_iter, q.tol, q.seeds_per_dim);
    if ((q.lo == NULL) != (q.hi == NULL))
        return lrnn_fail(LRNN_ERR_ARG, "fixed points: give both ends of the seed box or neither");
    for (int r = 0; q.lo && r < R; r++)
        if (!isfinite(q.lo[r]) || !isfinite(q.hi[r]) || q.lo[r] > q.hi[r])
            return lrnn_fail(LRNN_ERR_ARG, "fixed points: seed box [%g, %g] in kappa_%d", q.lo[r],
                             q.hi[r], r + 1);
    int K = q.seeds_per_dim ? q.seeds_per_dim : default_seeds(R);
    size_t seeds = 1;
    if (K == 0)
        seeds = 2 * (size_t)R + 1;
    else
        for (int r = 0; r < R; r++) {
            seeds *= (size_t)K;
            if (seeds > 1000000)
                return lrnn_fail(LRNN_ERR_ARG,
                                 "fixed points: %d seeds per dimension in %d dimensions is more "
                                 "than 10^6 seeds",
                                 K, R);
        }
    /* found: up to `seeds` points of R values (c coordinates); ws for newton and seeds */
    size_t cap = seeds;
    double *found = malloc(cap * (size_t)R * sizeof *found);
    double *ws = malloc((3 * (size_t)R * R + 8 * (size_t)R) * sizeof *ws);
    if (!found || !ws) {
        free(found), free(ws);
        return lrnn_fail(LRNN_ERR_NOMEM, "fixed points: out of memory for %zu seeds", seeds);
    }
    double *nws = ws, *c = ws + 3 * (size_t)R * R + 3 * R, *t = c + R, *centre = t + R,
           *half = centre + R, *kap = half + R;
    /* seed box: the automatic one in c (centre c_I, half-widths c_rec |n_r|_1), or the caller's
     * in kappa, mapped per seed */
    for (int r = 0; r < R; r++) {
        double s1 = 0.0;
        for (size_t i = 0; i < lat->N; i++)
            s1 += fabs(lat->n[i * R + r]);
        centre[r] = q.lo ? 0.5 * (q.lo[r] + q.hi[r]) : lat->c_in[r];
        half[r] = q.lo ? 0.5 * (q.hi[r] - q.lo[r]) : lat->c_rec * s1;
        if (!q.lo && !(half[r] > 0.0)) half[r] = 1.0;
    }
    size_t count = 0;
    for (size_t s = 0; unit_seed(R, K, s, t); s++) {
        for (int r = 0; r < R; r++)
            kap[r] = centre[r] + half[r] * t[r];
        if (q.lo)
            c_of_kappa(lat, kap, c);
        else
            memcpy(c, kap, (size_t)R * sizeof *c);
        if (!newton(lat, c, &q, nws)) continue;
        bool dup = false;
        for (size_t k = 0; k < count && !dup; k++) {
            double d = 0.0;
            for (int r = 0; r < R; r++)
                d = fmax(d, fabs(found[k * R + r] - c[r]));
            dup = d <= 1e-6 * (1.0 + max_abs(c, R));
        }
        if (!dup) memcpy(found + count++ * (size_t)R, c, (size_t)R * sizeof *c);
    }
    /* results in kappa, sorted */
    lrnn_status st = LRNN_OK;
    if (count) {
        double *block = malloc(count * (3 * (size_t)R + 1) * sizeof *block);
        bool *stable = malloc(count * sizeof *stable);
        if (!block || !stable) {
            free(found), free(ws), free(block), free(stable);
            return lrnn_fail(LRNN_ERR_NOMEM, "fixed points: out of memory");
        }
        out->count = count, out->rank = R, out->stable = stable;
        out->kappa = block;
        out->eig_re = block + count * R;
        out->eig_im = out->eig_re + count * R;
        out->residual = out->eig_im + count * R;
        for (size_t k = 0; k < count; k++)
            cblas_dgemv(CblasRowMajor, CblasNoTrans, R, R, 1.0, lat->G, R, found + k * R, 1, 0.0,
                        out->kappa + k * R, 1);
        sort_rows(out->kappa, count, R, c);
        double *P = nws; /* R^2 of newton's workspace, free again */
        for (size_t k = 0; k < count; k++) {
            const double *kp = out->kappa + k * R;
            double *re = out->eig_re + k * R, *im = out->eig_im + k * R;
            lrnn_lint_latent_flow(lat, kp, t);
            out->residual[k] = max_abs(t, R);
            lrnn_lint_latent_pseudo_jacobian(lat, kp, P);
            if (!eigenvalues(R, P, re, im)) {
                st = lrnn_fail(LRNN_ERR_NUMERIC, "fixed points: eigenvalues did not converge");
                break;
            }
            stable[k] = true;
            for (int r = 0; r < R; r++)
                if (!(re[r] < 1.0)) stable[k] = false;
        }
    }
    free(found), free(ws);
    if (st != LRNN_OK) lrnn_lint_fixed_points_free(out);
    return st;
}
