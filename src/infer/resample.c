/* Ancestor draws from (detached) log weights (spec 3.2). */
#include <math.h>

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

void smc_resample(lrnn_resample kind, size_t K, const double *lw, const double *u01, int *anc,
                  double *cdf) {
    double norm = smc_logsumexp(K, lw), acc = 0.0;
    for (size_t k = 0; k < K; k++) {
        acc += exp(lw[k] - norm);
        cdf[k] = acc;
    }
    for (size_t k = 0; k < K; k++) cdf[k] /= acc; /* forces cdf[K-1] = 1 */
    for (size_t k = 0; k < K; k++) {
        /* systematic: one uniform, p_k = (u + k) / K; multinomial: K uniforms */
        double p = kind == LRNN_RESAMPLE_SYSTEMATIC ? (u01[0] + (double)k) / (double)K : u01[k];
        anc[k] = search(K, cdf, p);
    }
}
