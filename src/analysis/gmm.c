/* Full-covariance Gaussian mixture by EM with k-means++ seeded restarts, bootstrap stability and
 * sampling (spec lint_method.md section 5.3; docs/clustering.md).
 *
 * Shapes: n points, d features, C components. x (n x d), resp (n x C), means (C x d),
 * covs and chol (C x d x d), all row-major.
 *
 * EM (Dempster, Laird & Rubin 1977) for p(x) = sum_c w_c N(x; mu_c, Sigma_c):
 *   E-step  log r_ic = log w_c + log N(x_i; mu_c, Sigma_c) - logsumexp_c(...), with
 *           log N = -(d log 2 pi + |L_c^-1 (x_i - mu_c)|^2) / 2 - sum_k log L_c,kk and
 *           Sigma_c = L_c L_c^T (Cholesky);
 *   M-step  n_c = sum_i r_ic, w_c = n_c / n, mu_c = sum_i r_ic x_i / n_c,
 *           Sigma_c = sum_i r_ic (x_i - mu_c)(x_i - mu_c)^T / n_c + reg_covar I.
 * Each iteration evaluates the log-likelihood of the current parameters in the E-step and stops
 * before the M-step once it changed by less than tol per point, so the returned log-likelihood
 * and labels belong to exactly the returned parameters. With reg_covar = 0 the sequence is
 * non-decreasing (the EM guarantee); reg_covar > 0 perturbs the M-step by O(reg_covar). */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/dense.h"
#include "lrnn/gmm.h"
#include "lrnn/rng.h"

#define LOG_2PI 1.8378770664093454835606594728112

lrnn_gmm_params lrnn_gmm_default_params(void) {
    lrnn_gmm_params p;
    p.components = 2;
    p.restarts = 10;
    p.max_iter = 100;
    p.tol = 1e-3;
    p.reg_covar = 1e-6;
    p.seed = 0;
    return p;
}

lrnn_status lrnn_gmm_params_check(const lrnn_gmm_params *p) {
    if (!p) return lrnn_fail(LRNN_ERR_ARG, "gmm: NULL params");
    if (p->components < 1 || p->components > 10000)
        return lrnn_fail(LRNN_ERR_ARG, "gmm: components = %d, must be in [1, 10000]",
                         p->components);
    if (p->restarts < 1)
        return lrnn_fail(LRNN_ERR_ARG, "gmm: restarts = %d, must be >= 1", p->restarts);
    if (p->max_iter < 1)
        return lrnn_fail(LRNN_ERR_ARG, "gmm: max_iter = %d, must be >= 1", p->max_iter);
    if (!(p->tol >= 0.0) || !isfinite(p->tol))
        return lrnn_fail(LRNN_ERR_ARG, "gmm: tol = %g, must be finite and >= 0", p->tol);
    if (!(p->reg_covar >= 0.0) || !isfinite(p->reg_covar))
        return lrnn_fail(LRNN_ERR_ARG, "gmm: reg_covar = %g, must be finite and >= 0",
                         p->reg_covar);
    return LRNN_OK;
}

lrnn_gmm_stability_params lrnn_gmm_stability_default_params(void) {
    lrnn_gmm_stability_params p;
    p.resamples = 20;
    p.fraction = 1.0;
    p.replace = true;
    p.seed = 0;
    return p;
}

lrnn_status lrnn_gmm_stability_params_check(const lrnn_gmm_stability_params *p) {
    if (!p) return lrnn_fail(LRNN_ERR_ARG, "gmm stability: NULL params");
    if (p->resamples < 1)
        return lrnn_fail(LRNN_ERR_ARG, "gmm stability: resamples = %d, must be >= 1", p->resamples);
    if (!(p->fraction > 0.0) || !isfinite(p->fraction) || (!p->replace && p->fraction > 1.0) ||
        p->fraction > 100.0)
        return lrnn_fail(LRNN_ERR_ARG,
                         "gmm stability: fraction = %g, must be in (0, 1] without replacement "
                         "and in (0, 100] with replacement",
                         p->fraction);
    return LRNN_OK;
}

void lrnn_gmm_free(lrnn_gmm *g) {
    if (!g) return;
    free(g->weights);
    free(g->means);
    free(g->covs);
    free(g->chol);
    free(g->ll_trace);
    memset(g, 0, sizeof *g);
}

static lrnn_status gmm_alloc(int C, int d, int max_iter, lrnn_gmm *g) {
    memset(g, 0, sizeof *g);
    size_t c = (size_t)C, dd = (size_t)d;
    g->C = C;
    g->d = d;
    g->weights = calloc(c, sizeof *g->weights);
    g->means = calloc(c * dd, sizeof *g->means);
    g->covs = calloc(c * dd * dd, sizeof *g->covs);
    g->chol = calloc(c * dd * dd, sizeof *g->chol);
    g->ll_trace = calloc((size_t)max_iter, sizeof *g->ll_trace);
    if (!g->weights || !g->means || !g->covs || !g->chol || !g->ll_trace) {
        lrnn_gmm_free(g);
        return lrnn_fail(LRNN_ERR_NOMEM,
                         "gmm: cannot allocate a mixture of %d components in %d "
                         "dimensions",
                         C, d);
    }
    return LRNN_OK;
}

/* Workspace of one fit (and of the labelling passes of the stability loop). */
typedef struct gmm_work {
    size_t n_max;
    int C, d, max_iter;
    double *resp;    /* n_max x C */
    double *dmin;    /* n_max: squared distance to the nearest chosen centre (k-means++) */
    double *y;       /* d */
    double *nk;      /* C */
    double *hld;     /* C: sum_k log L_c,kk */
    double *w, *mu;  /* current parameters: C, C x d */
    double *cov, *L; /* C x d x d */
    double *trace;   /* max_iter */
} gmm_work;

static void work_free(gmm_work *w) {
    free(w->resp);
    free(w->dmin);
    free(w->y);
    free(w->nk);
    free(w->hld);
    free(w->w);
    free(w->mu);
    free(w->cov);
    free(w->L);
    free(w->trace);
    memset(w, 0, sizeof *w);
}

static lrnn_status work_alloc(size_t n, int C, int d, int max_iter, gmm_work *w) {
    memset(w, 0, sizeof *w);
    size_t c = (size_t)C, dd = (size_t)d;
    w->n_max = n;
    w->C = C;
    w->d = d;
    w->max_iter = max_iter;
    w->resp = malloc(n * c * sizeof *w->resp);
    w->dmin = malloc(n * sizeof *w->dmin);
    w->y = malloc(dd * sizeof *w->y);
    w->nk = malloc(c * sizeof *w->nk);
    w->hld = malloc(c * sizeof *w->hld);
    w->w = malloc(c * sizeof *w->w);
    w->mu = malloc(c * dd * sizeof *w->mu);
    w->cov = malloc(c * dd * dd * sizeof *w->cov);
    w->L = malloc(c * dd * dd * sizeof *w->L);
    w->trace = malloc((size_t)max_iter * sizeof *w->trace);
    if (!w->resp || !w->dmin || !w->y || !w->nk || !w->hld || !w->w || !w->mu || !w->cov || !w->L ||
        !w->trace) {
        work_free(w);
        return lrnn_fail(LRNN_ERR_NOMEM,
                         "gmm: cannot allocate the workspace for %zu points, %d "
                         "components, %d dimensions",
                         n, C, d);
    }
    return LRNN_OK;
}

static lrnn_status check_data(size_t n, int d, const double *x, const char *what) {
    if (!x) return lrnn_fail(LRNN_ERR_ARG, "%s: NULL data", what);
    if (d < 1) return lrnn_fail(LRNN_ERR_SHAPE, "%s: data (%zu x %d) has no features", what, n, d);
    if (d > 1000)
        return lrnn_fail(LRNN_ERR_SHAPE, "%s: d = %d features, at most 1000 supported", what, d);
    if (n == 0) return lrnn_fail(LRNN_ERR_SHAPE, "%s: empty data (0 x %d)", what, d);
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < d; k++)
            if (!isfinite(x[i * (size_t)d + (size_t)k]))
                return lrnn_fail(LRNN_ERR_NUMERIC,
                                 "%s: non-finite value %g in row %zu, column %d "
                                 "of the %zu x %d data",
                                 what, x[i * (size_t)d + (size_t)k], i, k, n, d);
    return LRNN_OK;
}

/* log w_c + log N(x_i; mu_c, L_c L_c^T) into lp (n x C) for every point and component. */
static void log_joint(size_t n, int d, int C, const double *x, const double *w, const double *mu,
                      const double *L, double *hld, double *y, double *lp) {
    size_t dd = (size_t)d;
    for (int c = 0; c < C; c++) {
        const double *Lc = L + (size_t)c * dd * dd;
        double s = 0.0;
        for (size_t k = 0; k < dd; k++)
            s += log(Lc[k * dd + k]);
        hld[c] = s;
    }
    for (size_t i = 0; i < n; i++) {
        const double *xi = x + i * dd;
        for (int c = 0; c < C; c++) {
            const double *Lc = L + (size_t)c * dd * dd, *mc = mu + (size_t)c * dd;
            /* forward substitution L y = x - mu; Mahalanobis distance |y|^2 */
            double maha = 0.0;
            for (size_t k = 0; k < dd; k++) {
                double t = xi[k] - mc[k];
                for (size_t l = 0; l < k; l++)
                    t -= Lc[k * dd + l] * y[l];
                y[k] = t / Lc[k * dd + k];
                maha += y[k] * y[k];
            }
            lp[i * (size_t)C + (size_t)c] = log(w[c]) - 0.5 * ((double)d * LOG_2PI + maha) - hld[c];
        }
    }
}

/* E-step in place: lp (n x C) of log_joint becomes the responsibilities; returns the total
 * log-likelihood sum_i logsumexp_c lp_ic. labels (n) may be NULL. */
static double responsibilities(size_t n, int C, double *lp, int *labels) {
    double total = 0.0;
    for (size_t i = 0; i < n; i++) {
        double *r = lp + i * (size_t)C;
        int best = 0;
        for (int c = 1; c < C; c++)
            if (r[c] > r[best]) best = c;
        double mx = r[best], s = 0.0;
        for (int c = 0; c < C; c++)
            s += exp(r[c] - mx);
        double lse = mx + log(s);
        for (int c = 0; c < C; c++)
            r[c] = exp(r[c] - lse);
        total += lse;
        if (labels) labels[i] = best;
    }
    return total;
}

/* M-step from resp (n x C). Returns -1 on success, else the first component whose regularised
 * covariance has no Cholesky factor. */
static int m_step(size_t n, int d, int C, const double *x, const double *resp, double reg,
                  gmm_work *w) {
    size_t dd = (size_t)d;
    double ntot = 0.0;
    for (int c = 0; c < C; c++) {
        /* 10 eps keeps an emptied component's mean defined (as sklearn); it then sits at the
         * origin with covariance reg I and a negligible weight. */
        double s = 10.0 * DBL_EPSILON;
        for (size_t i = 0; i < n; i++)
            s += resp[i * (size_t)C + (size_t)c];
        w->nk[c] = s;
        ntot += s;
    }
    for (int c = 0; c < C; c++) {
        double *mc = w->mu + (size_t)c * dd, *Sc = w->cov + (size_t)c * dd * dd;
        double *Lc = w->L + (size_t)c * dd * dd;
        w->w[c] = w->nk[c] / ntot;
        memset(mc, 0, dd * sizeof *mc);
        for (size_t i = 0; i < n; i++) {
            double r = resp[i * (size_t)C + (size_t)c];
            for (size_t k = 0; k < dd; k++)
                mc[k] += r * x[i * dd + k];
        }
        for (size_t k = 0; k < dd; k++)
            mc[k] /= w->nk[c];
        memset(Sc, 0, dd * dd * sizeof *Sc);
        for (size_t i = 0; i < n; i++) {
            double r = resp[i * (size_t)C + (size_t)c];
            if (r == 0.0) continue;
            for (size_t k = 0; k < dd; k++)
                w->y[k] = x[i * dd + k] - mc[k];
            for (size_t k = 0; k < dd; k++)
                for (size_t l = 0; l <= k; l++)
                    Sc[k * dd + l] += r * w->y[k] * w->y[l];
        }
        for (size_t k = 0; k < dd; k++) {
            for (size_t l = 0; l <= k; l++) {
                Sc[k * dd + l] /= w->nk[c];
                Sc[l * dd + k] = Sc[k * dd + l];
            }
            Sc[k * dd + k] += reg;
        }
        memcpy(Lc, Sc, dd * dd * sizeof *Lc);
        if (dense_cholesky(dd, Lc) != 0) return c;
    }
    return -1;
}

/* k-means++ seeding (Arthur & Vassilvitskii 2007): the first centre uniform over the points,
 * each next one with probability proportional to the squared distance to the nearest centre
 * chosen so far; then one-hot responsibilities of the nearest centre (ties: lowest index). */
static void kmeanspp(lrnn_rng *rng, size_t n, int d, int C, const double *x, gmm_work *w) {
    size_t dd = (size_t)d;
    size_t first = (size_t)lrnn_rng_below(rng, n);
    memcpy(w->mu, x + first * dd, dd * sizeof *w->mu);
    for (size_t i = 0; i < n; i++) {
        double s = 0.0;
        for (size_t k = 0; k < dd; k++) {
            double t = x[i * dd + k] - w->mu[k];
            s += t * t;
        }
        w->dmin[i] = s;
    }
    for (int c = 1; c < C; c++) {
        double total = 0.0;
        for (size_t i = 0; i < n; i++)
            total += w->dmin[i];
        size_t pick = n - 1;
        if (total > 0.0) {
            double u = lrnn_rng_uniform(rng) * total, cum = 0.0;
            for (size_t i = 0; i < n; i++) {
                cum += w->dmin[i];
                if (u < cum) {
                    pick = i;
                    break;
                }
            }
        } else {
            pick = (size_t)lrnn_rng_below(rng, n); /* all points coincide with centres */
        }
        double *mc = w->mu + (size_t)c * dd;
        memcpy(mc, x + pick * dd, dd * sizeof *mc);
        for (size_t i = 0; i < n; i++) {
            double s = 0.0;
            for (size_t k = 0; k < dd; k++) {
                double t = x[i * dd + k] - mc[k];
                s += t * t;
            }
            if (s < w->dmin[i]) w->dmin[i] = s;
        }
    }
    for (size_t i = 0; i < n; i++) {
        int best = 0;
        double bd = INFINITY;
        for (int c = 0; c < C; c++) {
            double s = 0.0;
            for (size_t k = 0; k < dd; k++) {
                double t = x[i * dd + k] - w->mu[(size_t)c * dd + k];
                s += t * t;
            }
            if (s < bd) {
                bd = s;
                best = c;
            }
        }
        for (int c = 0; c < C; c++)
            w->resp[i * (size_t)C + (size_t)c] = c == best ? 1.0 : 0.0;
    }
}

/* All restarts on x (n x d) into the preallocated out; restart r seeds from
 * (seed, INIT, r, stream). labels (n) may be NULL. Data already checked. */
static lrnn_status fit_core(const lrnn_gmm_params *p, size_t n, int d, const double *x,
                            uint64_t stream, gmm_work *w, lrnn_gmm *out, int *labels) {
    int C = p->components;
    size_t dd = (size_t)d, c = (size_t)C;
    double best = -INFINITY;
    int fail_restart = -1, fail_iter = 0, fail_comp = 0;
    out->best_restart = -1;
    for (int r = 0; r < p->restarts; r++) {
        lrnn_rng rng;
        lrnn_rng_init(&rng, p->seed, LRNN_RNG_INIT, (uint64_t)r, stream);
        kmeanspp(&rng, n, d, C, x, w);
        int bad = m_step(n, d, C, x, w->resp, p->reg_covar, w);
        int iter = 0;
        bool converged = false;
        double ll = -INFINITY, prev = -INFINITY;
        while (bad < 0) {
            log_joint(n, d, C, x, w->w, w->mu, w->L, w->hld, w->y, w->resp);
            ll = responsibilities(n, C, w->resp, NULL);
            w->trace[iter++] = ll / (double)n;
            if (iter > 1 && fabs(ll - prev) / (double)n < p->tol) {
                converged = true;
                break;
            }
            if (iter == p->max_iter) break;
            prev = ll;
            bad = m_step(n, d, C, x, w->resp, p->reg_covar, w);
        }
        if (bad >= 0 || !isfinite(ll)) {
            fail_restart = r;
            fail_iter = iter;
            fail_comp = bad;
            continue;
        }
        if (ll > best) {
            best = ll;
            memcpy(out->weights, w->w, c * sizeof *w->w);
            memcpy(out->means, w->mu, c * dd * sizeof *w->mu);
            memcpy(out->covs, w->cov, c * dd * dd * sizeof *w->cov);
            memcpy(out->chol, w->L, c * dd * dd * sizeof *w->L);
            memcpy(out->ll_trace, w->trace, (size_t)iter * sizeof *w->trace);
            out->log_likelihood = ll;
            out->iterations = iter;
            out->converged = converged;
            out->best_restart = r;
        }
    }
    if (out->best_restart < 0)
        return lrnn_fail(LRNN_ERR_NUMERIC,
                         "gmm: every restart failed; last: restart %d, after %d EM iterations, "
                         "the covariance of component %d is singular even after adding "
                         "reg_covar = %g to its diagonal (%zu points x %d features; constant or "
                         "duplicated features? increase reg_covar)",
                         fail_restart, fail_iter, fail_comp, p->reg_covar, n, d);
    if (labels) {
        log_joint(n, d, C, x, out->weights, out->means, out->chol, w->hld, w->y, w->resp);
        responsibilities(n, C, w->resp, labels);
    }
    return LRNN_OK;
}

lrnn_status lrnn_gmm_fit(const lrnn_gmm_params *p, size_t n, int d, const double *x, lrnn_gmm *out,
                         int *labels) {
    if (!out) return lrnn_fail(LRNN_ERR_ARG, "gmm fit: NULL output");
    memset(out, 0, sizeof *out);
    lrnn_status st = lrnn_gmm_params_check(p);
    if (st) return st;
    if ((st = check_data(n, d, x, "gmm fit"))) return st;
    if (n < (size_t)p->components)
        return lrnn_fail(LRNN_ERR_SHAPE, "gmm fit: %zu points cannot support %d components", n,
                         p->components);
    gmm_work w;
    if ((st = work_alloc(n, p->components, d, p->max_iter, &w))) return st;
    if ((st = gmm_alloc(p->components, d, p->max_iter, out))) {
        work_free(&w);
        return st;
    }
    st = fit_core(p, n, d, x, 0, &w, out, labels);
    work_free(&w);
    if (st) lrnn_gmm_free(out);
    return st;
}

static lrnn_status check_gmm(const lrnn_gmm *g, const char *what) {
    if (!g || !g->weights || !g->means || !g->chol || g->C < 1 || g->d < 1)
        return lrnn_fail(LRNN_ERR_ARG, "%s: the mixture is empty or not fitted", what);
    return LRNN_OK;
}

lrnn_status lrnn_gmm_predict(const lrnn_gmm *g, size_t n, const double *x, int *labels,
                             double *resp, double *log_likelihood) {
    lrnn_status st = check_gmm(g, "gmm predict");
    if (st) return st;
    if ((st = check_data(n, g->d, x, "gmm predict"))) return st;
    size_t c = (size_t)g->C, dd = (size_t)g->d;
    double *own = resp ? NULL : malloc(n * c * sizeof *own);
    double *hld = malloc(c * sizeof *hld), *y = malloc(dd * sizeof *y);
    double *lp = resp ? resp : own;
    if (!lp || !hld || !y) {
        free(own);
        free(hld);
        free(y);
        return lrnn_fail(LRNN_ERR_NOMEM, "gmm predict: cannot allocate %zu x %d responsibilities",
                         n, g->C);
    }
    log_joint(n, g->d, g->C, x, g->weights, g->means, g->chol, hld, y, lp);
    double ll = responsibilities(n, g->C, lp, labels);
    if (log_likelihood) *log_likelihood = ll;
    free(own);
    free(hld);
    free(y);
    return LRNN_OK;
}

double lrnn_gmm_bic(const lrnn_gmm *g, size_t n) {
    double C = g->C, d = g->d;
    double k = (C - 1.0) + C * d + C * d * (d + 1.0) / 2.0;
    return -2.0 * g->log_likelihood + k * log((double)n);
}

lrnn_status lrnn_gmm_sample(const lrnn_gmm *g, size_t n, uint64_t seed, double *x, int *labels) {
    lrnn_status st = check_gmm(g, "gmm sample");
    if (st) return st;
    if (!x && n > 0) return lrnn_fail(LRNN_ERR_ARG, "gmm sample: NULL output for %zu points", n);
    size_t dd = (size_t)g->d;
    double *eps = malloc(dd * sizeof *eps);
    if (!eps) return lrnn_fail(LRNN_ERR_NOMEM, "gmm sample: cannot allocate %d normals", g->d);
    lrnn_rng rng;
    lrnn_rng_init(&rng, seed, LRNN_RNG_SAMPLE, 0, 0);
    for (size_t i = 0; i < n; i++) {
        double u = lrnn_rng_uniform(&rng), cum = 0.0;
        int c = g->C - 1; /* rounding of the cumulative sum: the last component takes the rest */
        for (int j = 0; j < g->C; j++) {
            cum += g->weights[j];
            if (u < cum) {
                c = j;
                break;
            }
        }
        lrnn_rng_normal_fill(&rng, eps, dd);
        const double *Lc = g->chol + (size_t)c * dd * dd, *mc = g->means + (size_t)c * dd;
        double *xi = x + i * dd;
        for (size_t k = 0; k < dd; k++) {
            double s = mc[k];
            for (size_t l = 0; l <= k; l++)
                s += Lc[k * dd + l] * eps[l];
            xi[k] = s;
        }
        if (labels) labels[i] = c;
    }
    free(eps);
    return LRNN_OK;
}

/* Adjusted Rand index (Hubert & Arabie 1985), used for cluster stability (spec lint_method.md
 * section 5.3).
 *
 * With the contingency table n_ij (points in class i of a and j of b), row sums a_i, column sums
 * b_j and C2(k) = k (k - 1) / 2:
 *
 *     index    = sum_ij C2(n_ij)
 *     expected = sum_i C2(a_i) sum_j C2(b_j) / C2(n)
 *     max      = (sum_i C2(a_i) + sum_j C2(b_j)) / 2
 *     ARI      = (index - expected) / (max - expected)
 *
 * The table is never formed (it could be n x n for singleton labelings): the pair counts come
 * from sorting the (a, b) label pairs, and the marginals from sorting each labeling. */
static int compare_u64(const void *pa, const void *pb) {
    uint64_t a = *(const uint64_t *)pa, b = *(const uint64_t *)pb;
    return (a > b) - (a < b);
}

/* Sum of C2(run length) over the runs of equal values in a sorted array. Exact in double up to
 * n ~ 1e8 (C2(n) < 2^53). */
static double sum_pairs_sorted(size_t n, const uint64_t *v) {
    double s = 0.0;
    size_t run = 1;
    for (size_t i = 1; i <= n; i++) {
        if (i < n && v[i] == v[i - 1]) {
            run++;
            continue;
        }
        s += 0.5 * (double)run * (double)(run - 1);
        run = 1;
    }
    return s;
}

/* Map an int label to an order-preserving unsigned key. */
static uint64_t label_key(int v) {
    return (uint64_t)((int64_t)v - (int64_t)INT32_MIN) & 0xffffffffu;
}

/* The index with a caller's buffer v (n keys); n >= 1. */
static double ari_core(size_t n, const int *labels_a, const int *labels_b, uint64_t *v) {

    for (size_t i = 0; i < n; i++)
        v[i] = label_key(labels_a[i]);
    qsort(v, n, sizeof *v, compare_u64);
    double sa = sum_pairs_sorted(n, v);
    for (size_t i = 0; i < n; i++)
        v[i] = label_key(labels_b[i]);
    qsort(v, n, sizeof *v, compare_u64);
    double sb = sum_pairs_sorted(n, v);
    for (size_t i = 0; i < n; i++)
        v[i] = label_key(labels_a[i]) << 32 | label_key(labels_b[i]);
    qsort(v, n, sizeof *v, compare_u64);
    double index = sum_pairs_sorted(n, v);

    double total = 0.5 * (double)n * (double)(n - 1);
    double expected = total > 0.0 ? sa * sb / total : 0.0;
    double max = 0.5 * (sa + sb);
    /* max == expected only when both labelings are one cluster or both all singletons (with
     * u = sa/total, v = sb/total in [0, 1], (u + v)/2 = u v forces u = v in {0, 1}): the
     * partitions are then identical. */
    return max - expected == 0.0 ? 1.0 : (index - expected) / (max - expected);
}

lrnn_status lrnn_adjusted_rand_index(size_t n, const int *labels_a, const int *labels_b,
                                     double *ari) {
    if (!labels_a || !labels_b || !ari)
        return lrnn_fail(LRNN_ERR_ARG, "adjusted Rand index: NULL argument");
    if (n == 0) return lrnn_fail(LRNN_ERR_ARG, "adjusted Rand index: empty labelings (n = 0)");
    if (n > ((size_t)1 << 26))
        return lrnn_fail(LRNN_ERR_ARG, "adjusted Rand index: n = %zu exceeds 2^26 points", n);
    uint64_t *v = malloc(n * sizeof *v);
    if (!v) return lrnn_fail(LRNN_ERR_NOMEM, "adjusted Rand index: cannot allocate %zu keys", n);
    *ari = ari_core(n, labels_a, labels_b, v);
    free(v);
    return LRNN_OK;
}

lrnn_status lrnn_gmm_stability(const lrnn_gmm_params *p, const lrnn_gmm_stability_params *sp,
                               size_t n, int d, const double *x, const int *ref_labels, double *ari,
                               double *mean, double *sd) {
    lrnn_status st = lrnn_gmm_params_check(p);
    if (st) return st;
    if ((st = lrnn_gmm_stability_params_check(sp))) return st;
    if ((st = check_data(n, d, x, "gmm stability"))) return st;
    if (!ref_labels) return lrnn_fail(LRNN_ERR_ARG, "gmm stability: NULL reference labels");
    if (n > ((size_t)1 << 26))
        return lrnn_fail(LRNN_ERR_ARG, "gmm stability: n = %zu exceeds 2^26 points", n);
    size_t m = (size_t)llround(sp->fraction * (double)n);
    if (m < (size_t)p->components)
        return lrnn_fail(LRNN_ERR_SHAPE,
                         "gmm stability: resamples of %zu points (fraction %g of "
                         "%zu) cannot support %d components",
                         m, sp->fraction, n, p->components);
    size_t dd = (size_t)d, big = m > n ? m : n;
    gmm_work w;
    lrnn_gmm g;
    if ((st = work_alloc(big, p->components, d, p->max_iter, &w))) return st;
    if ((st = gmm_alloc(p->components, d, p->max_iter, &g))) {
        work_free(&w);
        return st;
    }
    double *xb = malloc(m * dd * sizeof *xb);
    size_t *perm = malloc(n * sizeof *perm);
    int *lab = malloc(n * sizeof *lab);
    uint64_t *keys = malloc(n * sizeof *keys);
    double sum = 0.0, sum2 = 0.0;
    if (!xb || !perm || !lab || !keys) {
        st = lrnn_fail(LRNN_ERR_NOMEM, "gmm stability: cannot allocate a resample of %zu x %d", m,
                       d);
        goto done;
    }
    for (int b = 0; b < sp->resamples; b++) {
        lrnn_rng rng;
        lrnn_rng_init(&rng, sp->seed, LRNN_RNG_BATCH, (uint64_t)b, 0);
        if (sp->replace) {
            for (size_t i = 0; i < m; i++) {
                size_t j = (size_t)lrnn_rng_below(&rng, n);
                memcpy(xb + i * dd, x + j * dd, dd * sizeof *xb);
            }
        } else { /* the first m of a partial Fisher-Yates shuffle */
            for (size_t i = 0; i < n; i++)
                perm[i] = i;
            for (size_t i = 0; i < m; i++) {
                size_t j = i + (size_t)lrnn_rng_below(&rng, n - i);
                size_t t = perm[i];
                perm[i] = perm[j];
                perm[j] = t;
                memcpy(xb + i * dd, x + perm[i] * dd, dd * sizeof *xb);
            }
        }
        if ((st = fit_core(p, m, d, xb, (uint64_t)b + 1, &w, &g, NULL))) {
            lrnn_fail_context(st, "gmm stability: resample %d", b);
            goto done;
        }
        log_joint(n, d, p->components, x, g.weights, g.means, g.chol, w.hld, w.y, w.resp);
        responsibilities(n, p->components, w.resp, lab);
        double a = ari_core(n, ref_labels, lab, keys);
        if (ari) ari[b] = a;
        sum += a;
        sum2 += a * a;
    }
    {
        double B = sp->resamples, mu = sum / B;
        if (mean) *mean = mu;
        if (sd) *sd = B > 1 ? sqrt(fmax(0.0, (sum2 - B * mu * mu) / (B - 1.0))) : 0.0;
    }
done:
    free(xb);
    free(perm);
    free(lab);
    free(keys);
    lrnn_gmm_free(&g);
    work_free(&w);
    return st;
}
