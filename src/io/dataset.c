/* Recordings as B x T x X doubles with a mask, built from arrays in any of the file layouts.
 *
 * Every element is visited once in the dataset's own order (b, t, x) and fetched from wherever
 * the file layout keeps it, so the first NaN or Inf reported is the first in (trial, time,
 * channel) order whatever the layout. */
#include <ctype.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lrnn/dataset.h"
#include "lrnn/io.h"

static const char *const layout_names[] = {"auto", "tx", "btx", "bxt"};

lrnn_status lrnn_layout_parse(const char *text, lrnn_layout *out) {
    for (int i = 0; text && i < 4; i++) {
        const char *a = text, *b = layout_names[i];
        while (*a && tolower((unsigned char)*a) == *b)
            a++, b++;
        if (*a == '\0' && *b == '\0') {
            *out = (lrnn_layout)i;
            return LRNN_OK;
        }
    }
    return lrnn_fail(LRNN_ERR_ARG, "unknown layout '%s' (expected auto, tx, btx or bxt)",
                     text ? text : "(null)");
}

const char *lrnn_layout_name(lrnn_layout layout) {
    if ((int)layout < 0 || (int)layout > 3) return "unknown";
    return layout_names[layout];
}

/* Geometry of the source array: where element (b, t, x) lives. */
typedef struct geometry {
    size_t B, T, X;
    int time_last; /* BXT: the time axis is contiguous */
} geometry;

static size_t source_index(const geometry *g, size_t b, size_t t, size_t x) {
    return g->time_last ? (b * g->X + x) * g->T + t : (b * g->T + t) * g->X + x;
}

/* Resolve AUTO and check that the array's rank fits the layout; `name` (the file) is used in
 * messages. */
static lrnn_status geometry_of(const lrnn_array *a, lrnn_layout layout, const char *name,
                               geometry *g) {
    char shape[256];
    lrnn_shape_str(a->ndim, a->shape, shape, sizeof shape);
    for (int d = 0; d < a->ndim; d++)
        if (a->shape[d] == 0)
            return lrnn_fail(LRNN_ERR_SHAPE, "%s: array of shape %s is empty", name, shape);
    memset(g, 0, sizeof *g);
    if (layout == LRNN_LAYOUT_AUTO && a->ndim == 1) {
        /* One channel over time: the natural reading of a single series. */
        g->B = 1, g->T = a->shape[0], g->X = 1;
        return LRNN_OK;
    }
    lrnn_layout resolved = layout;
    if (layout == LRNN_LAYOUT_AUTO) resolved = a->ndim == 2 ? LRNN_LAYOUT_TX : LRNN_LAYOUT_BTX;
    int want = resolved == LRNN_LAYOUT_TX ? 2 : 3;
    if (a->ndim != want) {
        if (layout == LRNN_LAYOUT_AUTO)
            return lrnn_fail(LRNN_ERR_SHAPE,
                             "%s: array of shape %s: layout auto reads 1-D (T), 2-D (T x X) or "
                             "3-D (B x T x X) arrays",
                             name, shape);
        return lrnn_fail(LRNN_ERR_SHAPE, "%s: layout %s needs a %d-D array, got shape %s", name,
                         lrnn_layout_name(layout), want, shape);
    }
    if (resolved == LRNN_LAYOUT_TX) {
        g->B = 1, g->T = a->shape[0], g->X = a->shape[1];
    } else if (resolved == LRNN_LAYOUT_BTX) {
        g->B = a->shape[0], g->T = a->shape[1], g->X = a->shape[2];
    } else {
        g->B = a->shape[0], g->X = a->shape[1], g->T = a->shape[2];
        g->time_last = 1;
    }
    return LRNN_OK;
}

/* Mask with every entry observed, made when the first NaN turns up. */
static uint8_t *mask_create(size_t n) {
    uint8_t *mask = malloc(n);
    if (mask) memset(mask, 1, n);
    return mask;
}

/* Copy into y (B x T x X), masking or rejecting NaN and rejecting Inf. */
static lrnn_status fill_values(const lrnn_array *a, const geometry *g, lrnn_nan_policy nan,
                               const char *name, const char *axis, double *y, uint8_t **mask_out) {
    uint8_t *mask = NULL;
    size_t n = g->B * g->T * g->X, i = 0;
    for (size_t b = 0; b < g->B; b++)
        for (size_t t = 0; t < g->T; t++)
            for (size_t x = 0; x < g->X; x++, i++) {
                double v = lrnn_array_get_f64(a, source_index(g, b, t, x));
                if (isfinite(v)) {
                    y[i] = v;
                    continue;
                }
                if (isinf(v) || nan == LRNN_NAN_ERROR) {
                    free(mask);
                    return lrnn_fail(LRNN_ERR_NUMERIC, "%s: %s at (trial %zu, time %zu, %s %zu)%s",
                                     name, isinf(v) ? "infinite value" : "NaN", b, t, axis, x,
                                     isinf(v) ? "" : "; NaN is not allowed here");
                }
                if (!mask && !(mask = mask_create(n)))
                    return lrnn_fail(LRNN_ERR_NOMEM, "%s: cannot allocate a mask of %zu entries",
                                     name, n);
                y[i] = 0.0; /* masked entries hold 0 so that sums over y stay finite */
                mask[i] = 0;
            }
    *mask_out = mask;
    return LRNN_OK;
}

/* Shared by data and inputs; `axis` names the last dimension ("channel", "input"). */
static lrnn_status build(const lrnn_array *a, lrnn_layout layout, lrnn_nan_policy nan,
                         const char *name, const char *axis, lrnn_dataset *out) {
    memset(out, 0, sizeof *out);
    geometry g;
    lrnn_status s = geometry_of(a, layout, name, &g);
    if (s != LRNN_OK) return s;
    size_t n = g.B * g.T * g.X; /* bounded by the array's own element count */
    double *y = malloc(n * sizeof *y);
    if (!y) return lrnn_fail(LRNN_ERR_NOMEM, "%s: cannot allocate %zu values", name, n);
    uint8_t *mask = NULL;
    s = fill_values(a, &g, nan, name, axis, y, &mask);
    if (s != LRNN_OK) {
        free(y);
        return s;
    }
    out->B = g.B, out->T = g.T, out->X = g.X;
    out->y = y;
    out->mask = mask;
    return LRNN_OK;
}

/* Trials padded at the end with all-NaN steps have the length up to their last observed step
 * (a trial with nothing observed is an error: it has no data to fit). */
static lrnn_status find_lengths(lrnn_dataset *d, const char *name) {
    if (!d->mask || d->B < 2) return LRNN_OK;
    size_t *len = malloc(d->B * sizeof *len);
    if (!len) return lrnn_fail(LRNN_ERR_NOMEM, "%s: out of memory", name);
    bool shorter = false;
    for (size_t b = 0; b < d->B; b++) {
        size_t t = d->T;
        while (t > 0) {
            const uint8_t *row = d->mask + (b * d->T + t - 1) * d->X;
            size_t i = 0;
            while (i < d->X && !row[i]) i++;
            if (i < d->X) break;
            t--;
        }
        if (t == 0) {
            free(len);
            return lrnn_fail(LRNN_ERR_FORMAT, "%s: trial %zu has no observed value (all NaN)",
                             name, b);
        }
        len[b] = t;
        shorter |= t < d->T;
    }
    if (shorter) d->lengths = len;
    else free(len);
    return LRNN_OK;
}

lrnn_status lrnn_dataset_from_array(const lrnn_array *a, lrnn_layout layout, lrnn_nan_policy nan,
                                    const char *name, lrnn_dataset *out) {
    name = name ? name : "data";
    lrnn_status s = build(a, layout, nan, name, "channel", out);
    if (!s && (s = find_lengths(out, name))) lrnn_dataset_free(out);
    return s;
}

lrnn_status lrnn_dataset_load(const char *spec, lrnn_layout layout, lrnn_nan_policy nan,
                              lrnn_dataset *out) {
    memset(out, 0, sizeof *out);
    lrnn_array a;
    lrnn_status s = lrnn_array_load(spec, &a);
    if (s != LRNN_OK) return s;
    s = lrnn_dataset_from_array(&a, layout, nan, spec, out);
    lrnn_array_free(&a);
    return s;
}

lrnn_status lrnn_dataset_load_inputs(lrnn_dataset *d, const char *spec, lrnn_layout layout) {
    lrnn_array a;
    lrnn_status s = lrnn_array_load(spec, &a);
    if (s != LRNN_OK) return s;
    lrnn_dataset in;
    /* Conditioning inputs: a 2-D array B x U for trial data holds one input vector per trial,
     * the same at every step (e.g. a reach target); it is repeated over time. */
    bool per_trial = a.ndim == 2 && d->B > 1 && a.shape[0] == d->B;
    /* Inputs drive the model at every step: a missing input has no meaning, so NaN fails. */
    s = build(&a, per_trial ? LRNN_LAYOUT_TX : layout, LRNN_NAN_ERROR, spec, "input", &in);
    lrnn_array_free(&a);
    if (s != LRNN_OK) return s;
    if (per_trial) { /* read as one recording of B steps: spread row b over trial b */
        size_t U = in.X, T = d->T;
        double *u = malloc(d->B * T * U * sizeof *u);
        if (!u) {
            lrnn_dataset_free(&in);
            return lrnn_fail(LRNN_ERR_NOMEM, "%s: cannot allocate inputs", spec);
        }
        for (size_t b = 0; b < d->B; b++)
            for (size_t t = 0; t < T; t++) memcpy(u + (b * T + t) * U, in.y + b * U, U * sizeof *u);
        free(in.y);
        in.y = u, in.B = d->B, in.T = T;
    }
    if (in.B != d->B || in.T != d->T) {
        s = lrnn_fail(LRNN_ERR_SHAPE,
                      "%s: inputs have B x T x U = %zu x %zu x %zu but the data have "
                      "B x T x X = %zu x %zu x %zu; B and T must match",
                      spec, in.B, in.T, in.X, d->B, d->T, d->X);
        lrnn_dataset_free(&in);
        return s;
    }
    free(d->u);
    d->u = in.y;
    d->U = in.X;
    return LRNN_OK;
}

void lrnn_dataset_free(lrnn_dataset *d) {
    if (!d) return;
    free(d->y);
    free(d->mask);
    free(d->u);
    free(d->lengths);
    memset(d, 0, sizeof *d);
}

size_t lrnn_dataset_observed(const lrnn_dataset *d) {
    size_t n = d->B * d->T * d->X;
    if (!d->mask) return n;
    size_t observed = 0;
    for (size_t i = 0; i < n; i++)
        observed += d->mask[i] != 0;
    return observed;
}
