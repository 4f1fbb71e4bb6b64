/* Pieces shared by `lrnn task` and `lrnn lint` (defined in cmd_task.c). */
#ifndef LRNN_CLI_LINT_CLI_H
#define LRNN_CLI_LINT_CLI_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "lrnn/lint.h"

/* State of the progress printer (the `user` of lrnn_lint_progress_fn). */
typedef struct cli_lint_progress {
    const char *what; /* "teacher", "pretrain", "fit" */
    bool tty, quiet;
    double elapsed;
} cli_lint_progress;

/* Progress line per epoch: epoch, loss, best loss, seconds per epoch, ETA (a bar on a tty). */
int cli_lint_progress_print(const lrnn_lint_progress *p, void *user);
/* Write root as indented JSON to path atomically. */
lrnn_status cli_lint_write_json(const char *path, json_t *root);
/* "1h02m", "3m05s", "12s". */
void cli_lint_duration(double s, char *buf, size_t cap);

#endif
