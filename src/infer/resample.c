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
SMC_CLONES double smc_normalise(size_t K, const double *x, double *prob) {
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

SMC_CLONES void smc_resample(lrnn_resample kind, size_t K, const double *prob, const double *u01, int *anc,
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
    /* systematic: one uniform, p_k = (u + k) / K increasing, so the smallest j with
     * cdf[j] >= p_k only moves forward: one sweep finds the same j as a search per k */
    size_t j = 0;
    for (size_t k = 0; k < K; k++) {
        double p = (u01[0] + (double)k) / (double)K;
        while (j + 1 < K && cdf[j] < p) j++;
        anc[k] = (int)j;
    }
}
