/* LINT regression fits, RECONSTRUCTED (spec lint_method.md section 3.3; the reference has no
 * code for them): one-step least squares of z_t = (x_{t+1} - (1 - alpha) x_t) / alpha on the
 * features f(x_t) (tanh: NLR, identity: LR) and the inputs u_t, with a rank constraint on J by
 * reduced-rank regression or by truncating the OLS solution. The equations are in
 * include/lrnn/lint_regress.h; the notation here follows them (rows of F, U, Z are time steps,
 * B = J^T, W = W_in). The N x N normal equations are inherent to the methods; the M x N design
 * matrices are accumulated chunk by chunk and never held whole. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cblas.h>
#include <lapacke.h>

#include "lrnn/lint_regress.h"

/* Eigenvalues of a Gram matrix below this fraction of the largest count as zero: the Gram
 * matrix squares the condition number, so this drops directions whose feature singular value
 * is below 1e-6 of the largest, well above the ~sqrt(DBL_EPSILON) where forming F^T F has lost
 * them anyway. */
#define PINV_RCOND 1e-12

struct lrnn_lint_regress {
    lrnn_lint_regress_params p;
    size_t N, U, M;
    double *G;            /* N x N: F~^T F~ = F^T P_U F (no ridge) */
    double *FZ;           /* N x N: F~^T Z~ = F^T P_U Z */
    double *B;            /* N x N: B^ = (G + lambda I)^+ FZ */
    double *UUp;          /* U x U: (U^T U)^+ */
    double *UF, *UZ;      /* U x N: U^T F, U^T Z */
    double *h0;           /* N: mean observed x_0 */
    double zz_tilde, sst; /* |Z~|_F^2 and |Z - mean Z|_F^2 */
    bool deficient;
    double seconds;
    double *rrr_vecs; /* N x N: eigenvectors of B^T G B, columns by decreasing eigenvalue */
    double *svd_u, *svd_s, *svd_vt; /* SVD of B^ (N x N, N, N x N), for OLS + truncation */
};

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

const char *lrnn_lint_regress_features_name(lrnn_lint_regress_features v) {
    return v == LRNN_LINT_REGRESS_LR ? "lr" : "nlr";
}
const char *lrnn_lint_regress_rank_name(lrnn_lint_regress_rank v) {
    return v == LRNN_LINT_REGRESS_OLS_TRUNC ? "ols" : "rrr";
}
lrnn_status lrnn_lint_regress_features_parse(const char *s, lrnn_lint_regress_features *out) {
    if (!strcmp(s, "nlr"))
        *out = LRNN_LINT_REGRESS_NLR;
    else if (!strcmp(s, "lr"))
        *out = LRNN_LINT_REGRESS_LR;
    else
        return lrnn_fail(LRNN_ERR_ARG, "regression features '%s' are not nlr or lr", s);
    return LRNN_OK;
}
lrnn_status lrnn_lint_regress_rank_parse(const char *s, lrnn_lint_regress_rank *out) {
    if (!strcmp(s, "rrr"))
        *out = LRNN_LINT_REGRESS_RRR;
    else if (!strcmp(s, "ols"))
        *out = LRNN_LINT_REGRESS_OLS_TRUNC;
    else
        return lrnn_fail(LRNN_ERR_ARG, "regression rank method '%s' is not rrr or ols", s);
    return LRNN_OK;
}

lrnn_lint_regress_params lrnn_lint_regress_default_params(void) {
    return (lrnn_lint_regress_params){
        .features = LRNN_LINT_REGRESS_NLR, .ridge = 0.0, .alpha = 0.2};
}

lrnn_status lrnn_lint_states_from_rates(const double *rates, size_t n, double eps, double *states,
                                        size_t *clipped) {
    if (!(eps > 0 && eps < 1))
        return lrnn_fail(LRNN_ERR_ARG, "rates to states: clipping eps %g is not in (0, 1)", eps);
    size_t count = 0;
    double top = 1.0 - eps;
    for (size_t i = 0; i < n; i++) {
        double r = rates[i];
        if (!isfinite(r) || fabs(r) > 1.0)
            return lrnn_fail(LRNN_ERR_NUMERIC,
                             "rates to states: rate %g at index %zu is not in [-1, 1] (not "
                             "tanh rates?)",
                             r, i);
        if (fabs(r) > top) r = copysign(top, r), count++;
        states[i] = atanh(r);
    }
    if (clipped) *clipped = count;
    return LRNN_OK;
}

void lrnn_lint_regress_free(lrnn_lint_regress *rg) {
    if (!rg) return;
    free(rg->G), free(rg->FZ), free(rg->B), free(rg->UUp), free(rg->UF), free(rg->UZ);
    free(rg->h0), free(rg->rrr_vecs), free(rg->svd_u), free(rg->svd_s), free(rg->svd_vt);
    free(rg);
}

bool lrnn_lint_regress_rank_deficient(const lrnn_lint_regress *rg) {
    return rg->deficient;
}
double lrnn_lint_regress_seconds(const lrnn_lint_regress *rg) {
    return rg->seconds;
}

static void symmetrise_upper(double *A, size_t n) {
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++)
            A[i * n + j] = A[j * n + i];
}

/* out (n x k) = A^+ Y for a symmetric positive semi-definite A (n x n) and Y (n x k):
 * A = V diag(w) V^T, A^+ = V diag(1 / w, w > rcond max w) V^T. A is destroyed (it receives V).
 * *dropped counts the eigenvalues treated as zero. out may not alias Y. */
static lrnn_status psd_pinv_solve(double *A, size_t n, const double *Y, size_t k, double *out,
                                  size_t *dropped, const char *what) {
    double *w = malloc(n * sizeof *w), *tmp = malloc(n * k * sizeof *tmp);
    if (!w || !tmp) {
        free(w), free(tmp);
        return lrnn_fail(LRNN_ERR_NOMEM, "regression: out of memory solving %s (%zu x %zu)", what,
                         n, n);
    }
    if (LAPACKE_dsyevd(LAPACK_ROW_MAJOR, 'V', 'U', (lapack_int)n, A, (lapack_int)n, w)) {
        free(w), free(tmp);
        return lrnn_fail(LRNN_ERR_NUMERIC,
                         "regression: eigendecomposition of %s (%zu x %zu) failed", what, n, n);
    }
    double top = w[n - 1] > 0 ? w[n - 1] : 0.0; /* ascending order */
    size_t drop = 0;
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)n, (int)k, (int)n, 1.0, A, (int)n, Y,
                (int)k, 0.0, tmp, (int)k);
    for (size_t i = 0; i < n; i++) {
        double inv = w[i] > PINV_RCOND * top && top > 0 ? 1.0 / w[i] : 0.0;
        if (inv == 0.0) drop++;
        for (size_t j = 0; j < k; j++)
            tmp[i * k + j] *= inv;
    }
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)k, (int)n, 1.0, A, (int)n,
                tmp, (int)k, 0.0, out, (int)k);
    free(w), free(tmp);
    *dropped = drop;
    return LRNN_OK;
}

static lrnn_status check_inputs(const lrnn_lint_regress_params *p,
                                const lrnn_lint_regress_data *d) {
    if (d->trials < 1 || d->T < 1 || d->N < 1)
        return lrnn_fail(LRNN_ERR_SHAPE,
                         "regression: need trials, steps and units >= 1 (got %zu x %zu x %zu)",
                         d->trials, d->T, d->N);
    if (!d->states || (d->U > 0 && !d->inputs))
        return lrnn_fail(LRNN_ERR_ARG, "regression: states%s missing", d->U ? " or inputs" : "");
    if (d->N > 46340 || d->U > 46340)
        return lrnn_fail(LRNN_ERR_NOMEM,
                         "regression: N = %zu units or U = %zu inputs is too large "
                         "for the N x N normal equations",
                         d->N, d->U);
    if (!(p->ridge >= 0 && isfinite(p->ridge)))
        return lrnn_fail(LRNN_ERR_ARG, "regression: ridge %g is not a finite number >= 0",
                         p->ridge);
    if (!(p->alpha > 0 && p->alpha <= 1))
        return lrnn_fail(LRNN_ERR_ARG, "regression: alpha %g is not in (0, 1]", p->alpha);
    if (p->features != LRNN_LINT_REGRESS_NLR && p->features != LRNN_LINT_REGRESS_LR)
        return lrnn_fail(LRNN_ERR_ARG, "regression: unknown features %d", (int)p->features);
    size_t N = d->N, U = d->U, T = d->T;
    for (size_t i = 0; i < d->trials * (T + 1) * N; i++)
        if (!isfinite(d->states[i]))
            return lrnn_fail(LRNN_ERR_NUMERIC,
                             "regression: state %g at trial %zu, step %zu, unit %zu is not "
                             "finite",
                             d->states[i], i / ((T + 1) * N), i / N % (T + 1), i % N);
    for (size_t i = 0; i < d->trials * T * U; i++)
        if (!isfinite(d->inputs[i]))
            return lrnn_fail(LRNN_ERR_NUMERIC,
                             "regression: input %g at trial %zu, step %zu, channel %zu is not "
                             "finite",
                             d->inputs[i], i / (T * U), i / U % T, i % U);
    return LRNN_OK;
}

/* Step 0: the raw Gram matrices over all M = trials T rows, chunk by chunk:
 * G = F^T F (upper), FZ = F^T Z, UU = U^T U, UF = U^T F, UZ = U^T Z, and sum / sum of squares
 * of Z. */
static lrnn_status accumulate(lrnn_lint_regress *rg, const lrnn_lint_regress_data *d, double *UU,
                              double *zsum, double *zsq) {
    size_t N = d->N, U = d->U, T = d->T, M = rg->M;
    size_t chunk = ((size_t)1 << 20) / N; /* 2^20 doubles: 8 MB per chunk matrix */
    if (chunk < 64) chunk = 64;
    if (chunk > M) chunk = M;
    double *F = malloc(chunk * N * sizeof *F), *Z = malloc(chunk * N * sizeof *Z);
    double *Uc = U ? malloc(chunk * U * sizeof *Uc) : NULL;
    if (!F || !Z || (U && !Uc)) {
        free(F), free(Z), free(Uc);
        return lrnn_fail(LRNN_ERR_NOMEM, "regression: out of memory (%zu rows x %zu units)", chunk,
                         N);
    }
    double a = rg->p.alpha, keep = 1.0 - a, s = 0, ss = 0;
    bool nl = rg->p.features == LRNN_LINT_REGRESS_NLR;
    for (size_t first = 0; first < M; first += chunk) {
        size_t rows = M - first < chunk ? M - first : chunk;
        for (size_t r = 0; r < rows; r++) {
            size_t j = (first + r) / T, t = (first + r) % T;
            const double *x = d->states + (j * (T + 1) + t) * N, *x1 = x + N;
            double *f = F + r * N, *z = Z + r * N;
            for (size_t i = 0; i < N; i++) {
                f[i] = nl ? tanh(x[i]) : x[i];
                z[i] = (x1[i] - keep * x[i]) / a;
                s += z[i], ss += z[i] * z[i];
            }
            if (U) memcpy(Uc + r * U, d->inputs + (j * T + t) * U, U * sizeof *Uc);
        }
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)N, (int)rows, 1.0, F, (int)N, 1.0,
                    rg->G, (int)N);
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)N, (int)N, (int)rows, 1.0, F,
                    (int)N, Z, (int)N, 1.0, rg->FZ, (int)N);
        if (U) {
            cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)U, (int)rows, 1.0, Uc, (int)U,
                        1.0, UU, (int)U);
            cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)U, (int)N, (int)rows, 1.0, Uc,
                        (int)U, F, (int)N, 1.0, rg->UF, (int)N);
            cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)U, (int)N, (int)rows, 1.0, Uc,
                        (int)U, Z, (int)N, 1.0, rg->UZ, (int)N);
        }
    }
    symmetrise_upper(rg->G, N);
    if (U) symmetrise_upper(UU, U);
    free(F), free(Z), free(Uc);
    *zsum = s, *zsq = ss;
    return LRNN_OK;
}

lrnn_status lrnn_lint_regress_create(const lrnn_lint_regress_params *p,
                                     const lrnn_lint_regress_data *d, lrnn_lint_regress **out) {
    *out = NULL;
    lrnn_status s = check_inputs(p, d);
    if (s) return s;
    double t0 = now_seconds();
    size_t N = d->N, U = d->U;
    lrnn_lint_regress *rg = calloc(1, sizeof *rg);
    if (!rg) return lrnn_fail(LRNN_ERR_NOMEM, "regression: out of memory");
    rg->p = *p, rg->N = N, rg->U = U, rg->M = d->trials * d->T;
    rg->G = calloc(N * N, sizeof *rg->G);
    rg->FZ = calloc(N * N, sizeof *rg->FZ);
    rg->B = calloc(N * N, sizeof *rg->B);
    rg->h0 = calloc(N, sizeof *rg->h0);
    size_t Ua = U ? U : 1;
    rg->UUp = calloc(Ua * Ua, sizeof *rg->UUp);
    rg->UF = calloc(Ua * N, sizeof *rg->UF);
    rg->UZ = calloc(Ua * N, sizeof *rg->UZ);
    double *UU = calloc(Ua * Ua, sizeof *UU), *eye = calloc(Ua * Ua, sizeof *eye);
    double *K = calloc(Ua * N, sizeof *K), *A = malloc(N * N * sizeof *A);
    if (!rg->G || !rg->FZ || !rg->B || !rg->h0 || !rg->UUp || !rg->UF || !rg->UZ || !UU || !eye ||
        !K || !A) {
        s = lrnn_fail(LRNN_ERR_NOMEM, "regression: out of memory for %zu x %zu normal equations", N,
                      N);
        goto done;
    }
    for (size_t j = 0; j < d->trials; j++)
        cblas_daxpy((int)N, 1.0 / (double)d->trials, d->states + j * (d->T + 1) * N, 1, rg->h0, 1);
    double zsum = 0, zsq = 0;
    if ((s = accumulate(rg, d, UU, &zsum, &zsq))) goto done;
    double MN = (double)rg->M * (double)N;
    rg->sst = zsq - zsum * zsum / MN;
    rg->zz_tilde = zsq;
    size_t dropped = 0;
    if (U) {
        /* step 1, P_U applied through the Grams: G -= UF^T UU^+ UF, FZ -= UF^T UU^+ UZ,
         * |Z~|^2 = |Z|^2 - tr(UZ^T UU^+ UZ) */
        for (size_t i = 0; i < U; i++)
            eye[i * U + i] = 1.0;
        if ((s = psd_pinv_solve(UU, U, eye, U, rg->UUp, &dropped, "U^T U"))) goto done;
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)U, (int)N, (int)U, 1.0, rg->UUp,
                    (int)U, rg->UF, (int)N, 0.0, K, (int)N);
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)N, (int)N, (int)U, -1.0, rg->UF,
                    (int)N, K, (int)N, 1.0, rg->G, (int)N);
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)U, (int)N, (int)U, 1.0, rg->UUp,
                    (int)U, rg->UZ, (int)N, 0.0, K, (int)N);
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)N, (int)N, (int)U, -1.0, rg->UF,
                    (int)N, K, (int)N, 1.0, rg->FZ, (int)N);
        rg->zz_tilde -= cblas_ddot((int)(U * N), rg->UZ, 1, K, 1);
    }
    /* step 2: B^ = (G + lambda I)^+ FZ */
    memcpy(A, rg->G, N * N * sizeof *A);
    for (size_t i = 0; i < N; i++)
        A[i * N + i] += p->ridge;
    if ((s = psd_pinv_solve(A, N, rg->FZ, N, rg->B, &dropped, "the features' Gram matrix")))
        goto done;
    rg->deficient = dropped > 0;
    rg->seconds = now_seconds() - t0;
done:
    free(UU), free(eye), free(K), free(A);
    if (s) {
        lrnn_lint_regress_free(rg);
        return s;
    }
    *out = rg;
    return LRNN_OK;
}

/* Step 3, RRR: right singular vectors of the fitted values F~ B^ = eigenvectors of
 * B^T G B^, columns ordered by decreasing eigenvalue (cached). */
static lrnn_status rrr_vectors(lrnn_lint_regress *rg) {
    if (rg->rrr_vecs) return LRNN_OK;
    size_t N = rg->N;
    double *GB = malloc(N * N * sizeof *GB), *H = malloc(N * N * sizeof *H);
    double *w = malloc(N * sizeof *w);
    lrnn_status s = LRNN_OK;
    if (!GB || !H || !w) {
        s = lrnn_fail(LRNN_ERR_NOMEM, "reduced-rank regression: out of memory (N = %zu)", N);
        goto done;
    }
    cblas_dsymm(CblasRowMajor, CblasLeft, CblasUpper, (int)N, (int)N, 1.0, rg->G, (int)N, rg->B,
                (int)N, 0.0, GB, (int)N);
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)N, (int)N, (int)N, 1.0, rg->B, (int)N,
                GB, (int)N, 0.0, H, (int)N);
    if (LAPACKE_dsyevd(LAPACK_ROW_MAJOR, 'V', 'U', (lapack_int)N, H, (lapack_int)N, w)) {
        s = lrnn_fail(LRNN_ERR_NUMERIC,
                      "reduced-rank regression: eigendecomposition of the fitted values' "
                      "%zu x %zu Gram matrix failed",
                      N, N);
        goto done;
    }
    /* ascending -> descending: column c of the result is column N - 1 - c of H */
    for (size_t i = 0; i < N; i++)
        for (size_t c = 0; c < N; c++)
            GB[i * N + c] = H[i * N + (N - 1 - c)];
    rg->rrr_vecs = GB, GB = NULL;
done:
    free(GB), free(H), free(w);
    return s;
}

/* Step 3, OLS + truncation: SVD B^ = Ub S Vb^T (cached); J^ = B^^T has the same singular
 * values, so the truncation of J^ is the transpose of that of B^. */
static lrnn_status ols_svd(lrnn_lint_regress *rg) {
    if (rg->svd_u) return LRNN_OK;
    size_t N = rg->N;
    double *A = malloc(N * N * sizeof *A), *Us = malloc(N * N * sizeof *Us);
    double *S = malloc(N * sizeof *S), *Vt = malloc(N * N * sizeof *Vt);
    if (!A || !Us || !S || !Vt) {
        free(A), free(Us), free(S), free(Vt);
        return lrnn_fail(LRNN_ERR_NOMEM, "truncated OLS: out of memory (N = %zu)", N);
    }
    memcpy(A, rg->B, N * N * sizeof *A);
    if (LAPACKE_dgesdd(LAPACK_ROW_MAJOR, 'S', (lapack_int)N, (lapack_int)N, A, (lapack_int)N, S, Us,
                       (lapack_int)N, Vt, (lapack_int)N)) {
        free(A), free(Us), free(S), free(Vt);
        return lrnn_fail(LRNN_ERR_NUMERIC, "truncated OLS: SVD of the %zu x %zu solution failed", N,
                         N);
    }
    free(A);
    rg->svd_u = Us, rg->svd_s = S, rg->svd_vt = Vt;
    return LRNN_OK;
}

lrnn_status lrnn_lint_regress_network(lrnn_lint_regress *rg, const lrnn_lint_regress_net_params *p,
                                      lrnn_lint_rnn **out, double *r2_onestep) {
    *out = NULL;
    size_t N = rg->N, U = rg->U, R = (size_t)(p->rank > 0 ? p->rank : 0);
    if (p->rank < 1 || R > N)
        return lrnn_fail(LRNN_ERR_ARG, "regression: rank %d is not in 1..%zu (the units)", p->rank,
                         N);
    if (p->method != LRNN_LINT_REGRESS_RRR && p->method != LRNN_LINT_REGRESS_OLS_TRUNC)
        return lrnn_fail(LRNN_ERR_ARG, "regression: unknown rank method %d", (int)p->method);
    lrnn_status s = p->method == LRNN_LINT_REGRESS_RRR ? rrr_vectors(rg) : ols_svd(rg);
    if (s) return s;
    /* B_R = C P^T with P (N x R) orthonormal: RRR P = P_R, C = B^ P_R; OLS + truncation
     * B^_R = Ub_R S_R Vb_R^T, so P = Vb_R, C = Ub_R S_R. Then J_R = B_R^T = P C^T. */
    double *P = malloc(N * R * sizeof *P), *C = malloc(N * R * sizeof *C);
    double *GC = malloc(N * R * sizeof *GC), *UFC = malloc((U ? U : 1) * R * sizeof *UFC);
    lrnn_lint_rnn *rnn = NULL;
    if (!P || !C || !GC || !UFC) {
        s = lrnn_fail(LRNN_ERR_NOMEM, "regression: out of memory (N = %zu, R = %zu)", N, R);
        goto done;
    }
    if (p->method == LRNN_LINT_REGRESS_RRR) {
        for (size_t i = 0; i < N; i++)
            memcpy(P + i * R, rg->rrr_vecs + i * N, R * sizeof *P);
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)N, (int)R, (int)N, 1.0, rg->B,
                    (int)N, P, (int)R, 0.0, C, (int)R);
    } else {
        for (size_t i = 0; i < N; i++)
            for (size_t r = 0; r < R; r++) {
                P[i * R + r] = rg->svd_vt[r * N + i];
                C[i * R + r] = rg->svd_u[i * N + r] * rg->svd_s[r];
            }
    }
    lrnn_lint_config c =
        lrnn_lint_student_config((int)N, (int)R, (int)U, p->noise_std, p->readout, 0);
    c.phi = rg->p.features == LRNN_LINT_REGRESS_NLR ? LRNN_LINT_TANH : LRNN_LINT_IDENTITY;
    c.alpha = rg->p.alpha;
    if ((s = lrnn_lint_create(&c, &rnn))) goto done;
    lrnn_lint_view v = lrnn_lint_view_of(lrnn_lint_layout(rnn), lrnn_lint_params(rnn));
    /* step 5: m n^T / N = P C^T; lrnn_lint_svd_reparam balances the factors */
    double sqN = sqrt((double)N);
    for (size_t i = 0; i < N * R; i++)
        v.m[i] = sqN * P[i], v.n[i] = sqN * C[i];
    /* step 4: W = (U^T U)^+ (U^T Z - U^T F B_R), U^T F B_R = (UF C) P^T */
    if (U) {
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)U, (int)R, (int)N, 1.0, rg->UF,
                    (int)N, C, (int)R, 0.0, UFC, (int)R);
        double *rhs = malloc(U * N * sizeof *rhs);
        if (!rhs) {
            s = lrnn_fail(LRNN_ERR_NOMEM, "regression: out of memory (U = %zu)", U);
            goto done;
        }
        memcpy(rhs, rg->UZ, U * N * sizeof *rhs);
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)U, (int)N, (int)R, -1.0, UFC,
                    (int)R, P, (int)R, 1.0, rhs, (int)N);
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)U, (int)N, (int)U, 1.0, rg->UUp,
                    (int)U, rhs, (int)N, 0.0, v.wi, (int)N);
        free(rhs);
        for (size_t k = 0; k < U; k++)
            v.si[k] = 1.0;
    }
    memcpy(v.h0, rg->h0, N * sizeof *v.h0);
    if ((s = lrnn_lint_svd_reparam(rnn))) goto done;
    if (r2_onestep) {
        /* |Z~ - F~ B_R|^2 = |Z~|^2 - 2 tr(B_R^T FZ) + tr(B_R^T G B_R), with B_R = C P^T and
         * P^T P = I: tr(B_R^T FZ) = <C, FZ P>, tr(B_R^T G B_R) = <C, G C>; the inputs' part of
         * the residual is zero by step 4 (W is their least-squares fit given B_R). */
        double *FZP = malloc(N * R * sizeof *FZP);
        if (!FZP) {
            s = lrnn_fail(LRNN_ERR_NOMEM, "regression: out of memory (N = %zu, R = %zu)", N, R);
            goto done;
        }
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)N, (int)R, (int)N, 1.0, rg->FZ,
                    (int)N, P, (int)R, 0.0, FZP, (int)R);
        cblas_dsymm(CblasRowMajor, CblasLeft, CblasUpper, (int)N, (int)R, 1.0, rg->G, (int)N, C,
                    (int)R, 0.0, GC, (int)R);
        double sse = rg->zz_tilde - 2.0 * cblas_ddot((int)(N * R), C, 1, FZP, 1) +
                     cblas_ddot((int)(N * R), C, 1, GC, 1);
        free(FZP);
        *r2_onestep = rg->sst > 0 ? 1.0 - (sse > 0 ? sse : 0.0) / rg->sst : NAN;
    }
done:
    free(P), free(C), free(GC), free(UFC);
    if (s) {
        lrnn_lint_free(rnn);
        return s;
    }
    *out = rnn;
    return LRNN_OK;
}
