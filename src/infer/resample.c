/* Ancestor draws from (detached) log weights (spec 3.2). */
#include <math.h>

#include "core/vmath.h"
#include "infer/smc_internal.h"

double smc_logsumexp(size_t K, const double *x) {
    double hi = -INFINITY;
    for (size_t k = 0; k < K; k++)
        if (x[k] > hi) hi = x[k];
    if (!isfinite(hi)) return hi;
    double s = 0.0;
    for (size_t k = 0; k < K; k++) s += exp(x[k] - hi);
    return hi + log(s);
}

/* The K exponentials as one vm_exp over the shifted values: this runs every step of every
 * trial, and K libm calls took 5% of the continuous epoch. */
SMC_CLONES
double smc_normalise(size_t K, const double *x, double *prob) {
    double hi = -INFINITY;
    for (size_t k = 0; k < K; k++) hi = x[k] > hi ? x[k] : hi;
    if (!isfinite(hi)) return hi;
    for (size_t k = 0; k < K; k++) prob[k] = x[k] - hi;
    vm_exp(K, prob, prob); /* libmvec: one vector call instead of K libm calls */
    double s = 0.0;
    for (size_t k = 0; k < K; k++) s += prob[k];
    for (size_t k = 0; k < K; k++) prob[k] /= s;
    return hi + log(s);
}

/* Smallest j with cdf[j] >= p (cdf nondecreasing, cdf[K-1] = 1). */
static int search(size_t K, const double *cdf, double p) {
    size_t lo = 0, hi = K - 1;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (cdf[mid] >= p) hi = mid;
        else lo = mid + 1;
    }
    return (int)lo;
}

/* Systematic resampling's offspring boundary of particle j: the number of k < K with
 * p_k = (u + k) / K <= c. Closed form floor(K c - u) + 1, checked against p_k itself where
 * K c - u is within 1e-9 of an integer, so that the count agrees with the comparisons
 * p_k <= c exactly (rounding included). */
static size_t systematic_count(size_t K, double u, double c) {
    double x = (double)K * c - u;
    if (x < 0.0) x = -1.0; /* no k */
    if (x >= (double)K) return K;
    size_t n = (size_t)(x + 1.0); /* floor(x) + 1 for x >= -1 */
    double frac = x - floor(x);
    if (frac < 1e-9 || frac > 1.0 - 1e-9) { /* rare: settle on the rounded p_k */
        while (n < K && (u + (double)n) / (double)K <= c) n++;
        while (n > 0 && (u + (double)(n - 1)) / (double)K > c) n--;
    }
    return n;
}

SMC_CLONES
void smc_resample(lrnn_resample kind, size_t K, const double *prob, const double *u01, int *anc,
                  double *cdf) {
    double acc = 0.0;
    for (size_t k = 0; k < K; k++) {
        acc += prob[k];
        cdf[k] = acc;
    }
    for (size_t k = 0; k < K; k++) cdf[k] /= acc; /* forces cdf[K-1] = 1 */
    if (kind == LRNN_RESAMPLE_MULTINOMIAL) {
        for (size_t k = 0; k < K; k++) anc[k] = search(K, cdf, u01[k]);
        return;
    }
    /* systematic: p_k = (u + k) / K increasing; anc[k] = the smallest j with cdf[j] >= p_k =
     * #{j : cdf[j] < p_k} = #{j : n_j <= k} with n_j = #{k : p_k <= cdf[j]}: a histogram of
     * the n_j and its running sum, without the data-dependent branches of a merge (which
     * mispredicted about once per particle). */
    for (size_t k = 0; k < K; k++) anc[k] = 0;
    for (size_t j = 0; j < K; j++) {
        size_t n = systematic_count(K, u01[0], cdf[j]);
        if (n < K) anc[n]++;
    }
    int run = 0; /* at most K - 1: cdf[K-1] = 1 >= every p_k, so n_{K-1} = K is not counted */
    for (size_t k = 0; k < K; k++) anc[k] = run += anc[k];
}
