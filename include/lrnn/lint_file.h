/* LINT model files: the rate networks of include/lrnn/lint.h in the HDF5 model-file family of
 * include/lrnn/model_file.h (layout in docs/file-formats.md and docs/lint.md, "CLI").
 *
 *   /                 attrs format "lrnn-model", format_version, model_type "lint_rnn",
 *                     lrnn_version, config_json, training_json (optional, free-form JSON)
 *   /config           one attribute per lrnn_lint_config field (kind low_rank / full_rank)
 *   /params/<name>    one float64 dataset per layout entry (wi, si, m, n or wrec, b, wo, so,
 *                     h0) in the shapes of lint.h, attr trainable (uint8)
 *   /task             optional: the task that trained a teacher (attrs task, seed, trials,
 *                     validation_fraction and every field of that task's params struct), so
 *                     `lrnn lint fit / eval` regenerate the same training and validation trials
 *
 * A file of another model type (an SMC model, "stochastic_low_rank") is refused with a message
 * naming the file and both types. Loading checks the config, every dataset's shape and type
 * and that every value is finite. */
#ifndef LRNN_LINT_FILE_H
#define LRNN_LINT_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lrnn/lint.h"
#include "lrnn/status.h"
#include "lrnn/task.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Value of the root attribute model_type of a LINT model file. */
#define LRNN_LINT_MODEL_TYPE "lint_rnn"

/* The task trials a teacher was trained on: trials 0 .. trials - 1 of lrnn_task_generate(
 * &params, seed, 0, trials), split by params.validation_fraction. */
typedef struct lrnn_lint_task_info {
    bool present; /* false: the file stores no task */
    lrnn_task_params params;
    uint64_t seed;
    size_t trials;
} lrnn_lint_task_info;

/* Write rnn (with task, which may be NULL or not present, and training_json, a JSON text or
 * NULL) to path atomically: written under lrnn_tmp_path(path) and renamed, so on failure an
 * existing file at path is untouched and no temporary file remains. Refuses non-finite
 * parameters (LRNN_ERR_NUMERIC) and invalid task params. */
lrnn_status lrnn_lint_save(const lrnn_lint_rnn *rnn, const char *path,
                           const lrnn_lint_task_info *task, const char *training_json);

/* Read a LINT model file. On success *out is a new network (lrnn_lint_free) whose parameters
 * and trainable flags are those saved, bit for bit; task (may be NULL) gets the stored task
 * (present false if none); training_json (may be NULL) gets a malloc'ed copy of the stored
 * JSON text or NULL. On failure *out is NULL, *training_json NULL, and the message names the
 * file and the problem (not HDF5, not an lrnn model, an SMC model, other format version,
 * invalid config, missing dataset, wrong shape or type, non-finite value, invalid task). */
lrnn_status lrnn_lint_load(const char *path, lrnn_lint_rnn **out, lrnn_lint_task_info *task,
                           char **training_json);

#ifdef __cplusplus
}
#endif
#endif
