/* The optimiser state of a checkpoint: one small HDF5 file next to the model file. */
#ifndef LRNN_IO_TRAIN_STATE_H
#define LRNN_IO_TRAIN_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "lrnn/status.h"

typedef struct lrnn_train_state {
    int64_t epoch;   /* epochs completed */
    int64_t step;    /* optimiser steps taken */
    size_t count;    /* doubles in each moment block */
    double *m, *v;   /* first and second moments (owned when loaded) */
} lrnn_train_state;

/* Atomic write (temporary name, then rename). */
lrnn_status lrnn_train_state_save(const char *path, const lrnn_train_state *s);
/* Read and validate; expect_count must match the file. Frees with lrnn_train_state_free. */
lrnn_status lrnn_train_state_load(const char *path, size_t expect_count, lrnn_train_state *s);
void lrnn_train_state_free(lrnn_train_state *s);

#endif
