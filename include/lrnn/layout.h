/* Parameter blocks: every parameter of a model at a fixed offset in one contiguous block of
 * doubles, named and shaped. Gradients and optimiser moments are blocks of the same layout. */
#ifndef LRNN_LAYOUT_H
#define LRNN_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

enum { LRNN_PARAM_MAX = 32, LRNN_PARAM_NAME_MAX = 16 };

typedef struct lrnn_param_entry {
    char name[LRNN_PARAM_NAME_MAX]; /* e.g. "m", "n", "R_z", "enc_w0" */
    int ndim;                       /* 1 or 2 */
    size_t shape[2];                /* row-major */
    size_t offset, size;            /* in doubles, within the block */
    bool trainable;
} lrnn_param_entry;

typedef struct lrnn_param_layout {
    int count;
    lrnn_param_entry entry[LRNN_PARAM_MAX];
    size_t total; /* doubles in the block */
} lrnn_param_layout;

/* Append an entry (ndim 1: rows values; 2: rows x cols) at the end of the block. The caller
 * keeps count < LRNN_PARAM_MAX; names are cut to LRNN_PARAM_NAME_MAX - 1 characters. */
void lrnn_param_layout_add(lrnn_param_layout *l, const char *name, int ndim, size_t rows,
                           size_t cols, bool trainable);
const lrnn_param_entry *lrnn_param_layout_find(const lrnn_param_layout *l, const char *name);
/* Number of trainable doubles. */
size_t lrnn_param_layout_trainable(const lrnn_param_layout *l);

#ifdef __cplusplus
}
#endif
#endif
