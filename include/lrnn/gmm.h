/* Gaussian-mixture clustering of per-neuron connectivity loadings (LINT populations, spec
 * lint_method.md section 5.3; user guide docs/clustering.md).
 *
 * The features are an n x d matrix (n neurons, d loadings per neuron, e.g. [I^A, I^B, m, n]).
 * A full-covariance mixture of C Gaussians
 *
 *     p(x) = sum_c w_c N(x; mu_c, Sigma_c)
 *
 * is fitted by EM from several k-means++-seeded restarts; the restart with the highest
 * log-likelihood is kept. The reference (sklearn BayesianGaussianMixture with a Dirichlet
 * process prior) is not reproduced exactly: spec 5.3 allows plain EM with restarts.
 *
 * Cluster stability (spec 5.3 clustering_stability): refit on resamples of the neurons, label
 * the original neurons with each refit and compare with the full fit's labels by the adjusted
 * Rand index. Support networks (spec 5.3 to_support_net) need draws from the fitted mixture:
 * lrnn_gmm_sample. */
#ifndef LRNN_GMM_H
#define LRNN_GMM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lrnn/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lrnn_gmm_params {
    int components;   /* C >= 1 (default 2) */
    int restarts;     /* independent k-means++ seeded EM runs, best kept (default 10) */
    int max_iter;     /* EM iterations per restart (default 100, as sklearn) */
    double tol;       /* stop when the mean per-point log-likelihood changes by < tol (1e-3) */
    double reg_covar; /* added to every covariance diagonal, >= 0 (default 1e-6, as sklearn) */
    uint64_t seed;    /* restart r seeds from lrnn_rng_init(seed, LRNN_RNG_INIT, r, 0) */
} lrnn_gmm_params;

lrnn_gmm_params lrnn_gmm_default_params(void);
lrnn_status lrnn_gmm_params_check(const lrnn_gmm_params *p);

/* A fitted mixture; the arrays are owned (free with lrnn_gmm_free). Component order is that of
 * the winning restart (arbitrary: compare labelings with the adjusted Rand index). */
typedef struct lrnn_gmm {
    int C, d;
    double *weights;       /* C, sum to 1 */
    double *means;         /* C x d */
    double *covs;          /* C x d x d, regularisation included */
    double *chol;          /* C x d x d, lower Cholesky factors of covs */
    double log_likelihood; /* sum over points of log p(x_i) at the returned parameters */
    int iterations;        /* EM iterations of the winning restart (E-steps evaluated) */
    bool converged;        /* the winning restart met tol before max_iter */
    int best_restart;
    double *ll_trace; /* max_iter: mean log-likelihood per point after each E-step of the
                       * winning restart; entries [0, iterations) are set */
} lrnn_gmm;

void lrnn_gmm_free(lrnn_gmm *g);

/* Fit on x (n x d, row-major). labels (n, may be NULL) receive argmax_c of the
 * responsibilities at the returned parameters. Errors: n < C, d = 0, non-finite data (names the
 * row and column), a covariance that stays singular after regularisation in every restart. */
lrnn_status lrnn_gmm_fit(const lrnn_gmm_params *p, size_t n, int d, const double *x, lrnn_gmm *out,
                         int *labels);

/* Labels (n, may be NULL), responsibilities (n x C, may be NULL) and the total log-likelihood
 * (may be NULL) of x (n x g->d) under g. */
lrnn_status lrnn_gmm_predict(const lrnn_gmm *g, size_t n, const double *x, int *labels,
                             double *resp, double *log_likelihood);

/* Bayesian information criterion -2 log L + k ln n with k = (C - 1) + C d + C d (d + 1) / 2
 * free parameters (lower is better); n is the number of points the mixture was fitted on. */
double lrnn_gmm_bic(const lrnn_gmm *g, size_t n);

/* n draws from the mixture: component c ~ Categorical(w), x = mu_c + L_c eps, eps ~ N(0, I),
 * from the stream lrnn_rng_init(seed, LRNN_RNG_SAMPLE, 0, 0). x is n x d; labels (n) may be
 * NULL. */
lrnn_status lrnn_gmm_sample(const lrnn_gmm *g, size_t n, uint64_t seed, double *x, int *labels);

/* Adjusted Rand index (Hubert & Arabie 1985) of two labelings of the same n >= 1 points; labels
 * are arbitrary ints (only equality matters). 1 for identical partitions (including both
 * trivial: one cluster, or all singletons), expected value 0 for independent labelings. */
lrnn_status lrnn_adjusted_rand_index(size_t n, const int *labels_a, const int *labels_b,
                                     double *ari);

typedef struct lrnn_gmm_stability_params {
    int resamples;   /* B >= 1 (default 20) */
    double fraction; /* each resample has round(fraction n) points, in (0, 1] if !replace,
                      * (0, inf) with replace (default 1) */
    bool replace;    /* true: bootstrap with replacement (default); false: subsample without
                      * replacement (the reference used fraction 0.8 without replacement) */
    uint64_t seed;   /* resample b draws from lrnn_rng_init(seed, LRNN_RNG_BATCH, b, 0); its
                      * restarts seed from lrnn_rng_init(gmm.seed, LRNN_RNG_INIT, r, b + 1) */
} lrnn_gmm_stability_params;

lrnn_gmm_stability_params lrnn_gmm_stability_default_params(void);
lrnn_status lrnn_gmm_stability_params_check(const lrnn_gmm_stability_params *p);

/* Refit with p on each resample, label all n original points with the refit, and compare with
 * ref_labels (n, normally the full fit's labels) by the adjusted Rand index. ari (B, may be NULL)
 * receives each resample's index; mean and sd (sample sd, 0 when B = 1) summarise them. A
 * resample whose fit fails numerically fails the whole call. */
lrnn_status lrnn_gmm_stability(const lrnn_gmm_params *p, const lrnn_gmm_stability_params *sp,
                               size_t n, int d, const double *x, const int *ref_labels, double *ari,
                               double *mean, double *sd);

#ifdef __cplusplus
}
#endif
#endif
