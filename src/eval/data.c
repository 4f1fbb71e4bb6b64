/* Checks of the B x T x X views every metric takes. */
#include <math.h>
#include <stdint.h>

#include "internal.h"

const char *eval_name(const lrnn_eval_data *d) {
    return d && d->name ? d->name : "data";
}

lrnn_status eval_check_data(const lrnn_eval_data *d, const char *what) {
    if (!d || !d->y) return lrnn_fail(LRNN_ERR_ARG, "%s: no data given", what);
    if (d->B == 0 || d->T == 0 || d->X == 0)
        return lrnn_fail(LRNN_ERR_SHAPE, "%s: %s is empty (%zu trials x %zu steps x %zu channels)",
                         what, eval_name(d), d->B, d->T, d->X);
    if (d->T > SIZE_MAX / d->X / d->B / sizeof(double))
        return lrnn_fail(LRNN_ERR_NOMEM, "%s: %s is too large (%zu x %zu x %zu)", what,
                         eval_name(d), d->B, d->T, d->X);
    return LRNN_OK;
}

lrnn_status eval_check_finite(const lrnn_eval_data *d, const char *what) {
    size_t n = d->B * d->T * d->X;
    for (size_t i = 0; i < n; i++)
        if (!isfinite(d->y[i])) {
            size_t b = i / (d->T * d->X), t = i / d->X % d->T, x = i % d->X;
            return lrnn_fail(LRNN_ERR_NUMERIC,
                             "%s: %s has %s at trial %zu, step %zu, channel %zu (missing values "
                             "are not allowed here)",
                             what, eval_name(d), isnan(d->y[i]) ? "NaN" : "Inf", b, t, x);
        }
    return LRNN_OK;
}
