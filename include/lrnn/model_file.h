/* Model files: one self-describing HDF5 file per model (layout in docs/file-formats.md).
 *
 * The file holds the format version, the full configuration (as attributes and as JSON),
 * every parameter as a named float64 dataset in the shapes of the spec, and the training
 * history, so it can be read by h5py or MATLAB without lrnn. Loading validates everything and
 * refuses files of another format version with a message saying which version wrote it. */
#ifndef LRNN_MODEL_FILE_H
#define LRNN_MODEL_FILE_H

#include <stddef.h>

#include "lrnn/model.h"
#include "lrnn/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Version of the file layout this lrnn writes and reads. */
enum { LRNN_MODEL_FORMAT_VERSION = 1 };

/* ---- training history: one record per epoch ---- */

typedef struct lrnn_history {
    size_t count;        /* records held */
    size_t capacity;     /* records allocated (grows by doubling) */
    double *epoch_bound; /* training objective of the epoch (count) */
    double *valid_bound; /* validation objective, NaN when not evaluated (count) */
    double *lr;          /* learning rate used in the epoch (count) */
    double *seconds;     /* wall-clock seconds recorded by the trainer (count) */
} lrnn_history;

/* Append one record; amortised O(1). A zero-initialised history is empty and valid. On failure
 * (LRNN_ERR_NOMEM) the history keeps its previous records. */
lrnn_status lrnn_history_append(lrnn_history *h, double epoch_bound, double valid_bound, double lr,
                                double seconds);
/* Release the arrays and leave h empty (reusable). */
void lrnn_history_free(lrnn_history *h);

/* ---- model files ---- */

/* Write model (and history, which may be NULL for none) to path atomically: the file is
 * written under lrnn_tmp_path(path) and renamed over path, so on any failure an existing file
 * at path is left untouched and no temporary file remains. Refuses models with non-finite
 * parameters (LRNN_ERR_NUMERIC), since such a file could not be loaded. */
lrnn_status lrnn_model_save(const lrnn_model *model, const char *path, const lrnn_history *history);

/* Read a model file. On success *out is a new model (free with lrnn_model_free) whose
 * parameters are bit-identical to those saved. history may be NULL; otherwise it is treated
 * as output (previous contents are overwritten, not freed) and receives the records (count 0
 * when the file has none). On failure *out is NULL, *history is empty, and the message names
 * the file and the problem (not HDF5, not an lrnn model, other format version, missing or
 * invalid config attribute, missing dataset, wrong shape or type, non-finite value). */
lrnn_status lrnn_model_load(const char *path, lrnn_model **out, lrnn_history *history);

/* ---- human-readable summary (for `lrnn info`) ---- */

/* A buffer of this size holds the description of any model. */
enum { LRNN_DESCRIBE_CAP = 8192 };

/* Write a multi-line summary into buf: every config field ("name: value"), a table of the
 * parameters (name, shape, count, trainable, min, max, mean |x|) and the totals. The text is
 * always NUL-terminated; when it does not fit in cap bytes it is truncated and the call fails
 * (LRNN_ERR_ARG) with a message giving the size needed. */
lrnn_status lrnn_model_describe(const lrnn_model *model, char *buf, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
