/* Recordings as the fitting code sees them: B trials x T steps x X channels, with an optional
 * mask (1 = observed) and optional inputs (B x T x U). */
#ifndef LRNN_DATASET_H
#define LRNN_DATASET_H

#include <stddef.h>
#include <stdint.h>

#include "lrnn/array.h"
#include "lrnn/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Axis order of the array in the file. */
typedef enum lrnn_layout {
    LRNN_LAYOUT_AUTO, /* TX for 2-D, BTX for 3-D */
    LRNN_LAYOUT_TX,   /* one long recording: time x channels */
    LRNN_LAYOUT_BTX,  /* trials x time x channels */
    LRNN_LAYOUT_BXT,  /* trials x channels x time (the reference's tutorial data) */
} lrnn_layout;

typedef enum lrnn_nan_policy {
    LRNN_NAN_MASK,  /* NaN entries become masked (unobserved) */
    LRNN_NAN_ERROR, /* NaN is an error naming the first offending index */
} lrnn_nan_policy;

typedef struct lrnn_dataset {
    size_t B, T, X, U;
    double *y;     /* B x T x X; masked entries hold 0 */
    uint8_t *mask; /* B x T x X, 1 = observed; NULL when every entry is observed */
    double *u;     /* B x T x U, or NULL when U == 0 */
    /* Variable-length trials: trial b has lengths[b] <= T steps; the steps after it are padding
     * (every channel NaN in the file) and never enter a bound. NULL when every trial is full. */
    size_t *lengths;
} lrnn_dataset;

/* Parse "tx", "btx", "bxt", "auto" (case-insensitive). */
lrnn_status lrnn_layout_parse(const char *text, lrnn_layout *out);
const char *lrnn_layout_name(lrnn_layout layout);

/* Build a dataset from an array in the given layout. Infinite values are always an error.
 * `name` is used in messages. */
lrnn_status lrnn_dataset_from_array(const lrnn_array *a, lrnn_layout layout,
                                    lrnn_nan_policy nan, const char *name, lrnn_dataset *out);
/* Load `spec` (see lrnn_array_load) and build the dataset. */
lrnn_status lrnn_dataset_load(const char *spec, lrnn_layout layout, lrnn_nan_policy nan,
                              lrnn_dataset *out);
/* Attach inputs from `spec` in the same layout; their B and T must match the data's. A 2-D
 * array of B rows for trial data (B > 1) holds conditioning inputs, one vector per trial,
 * repeated at every step. */
lrnn_status lrnn_dataset_load_inputs(lrnn_dataset *d, const char *spec, lrnn_layout layout);
void lrnn_dataset_free(lrnn_dataset *d);

/* Number of observed entries. */
size_t lrnn_dataset_observed(const lrnn_dataset *d);

#ifdef __cplusplus
}
#endif
#endif
