/* Helpers shared by the evaluation metrics (src/eval). */
#ifndef LRNN_EVAL_INTERNAL_H
#define LRNN_EVAL_INTERNAL_H

#include <stddef.h>

#include "lrnn/eval.h"

/* Name of a data view for messages ("data" when it has none). */
const char *eval_name(const lrnn_eval_data *d);

/* A usable view: y non-NULL, B, T, X > 0 and no size overflow. `what` names the caller. */
lrnn_status eval_check_data(const lrnn_eval_data *d, const char *what);

/* Error naming the first NaN or Inf (trial, step, channel) of d, or LRNN_OK when every
 * entry is finite. */
lrnn_status eval_check_finite(const lrnn_eval_data *d, const char *what);

/* Index i (any integer) folded into [0, n) by scipy's "reflect" extension. */
size_t eval_reflect(long long i, size_t n);

/* Centred correlation out[i] = sum_{|j| <= r} w[j + r] x[refl(i + j)] of n values taken with
 * stride `stride` from x and written with the same stride to out (out != x). */
void eval_correlate_reflect(const double *x, double *out, size_t n, size_t stride, const double *w,
                            size_t r);

/* Normalised Gaussian weights of scipy's _gaussian_kernel1d (2 r + 1 values). */
void eval_gaussian_weights(double sigma, size_t r, double *w);
/* scipy's radius int(truncate sigma + 0.5). */
size_t eval_gaussian_radius(double sigma, double truncate);

#endif
