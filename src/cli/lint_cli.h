/* Pieces shared by `lrnn task` and the `lrnn lint` subcommands (progress and JSON in
 * cmd_task.c, the rest in lint_common.c). */
#ifndef LRNN_CLI_LINT_CLI_H
#define LRNN_CLI_LINT_CLI_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lrnn/lint.h"
#include "lrnn/lint_file.h"
#include "lrnn/task.h"

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

/* ---- lint subcommands (lint_common.c) ---- */

/* A teacher and the task trials it stores, split as it was trained. */
typedef struct cli_teacher_set {
    lrnn_lint_rnn *rnn;
    lrnn_lint_task_info info;
    lrnn_task_data all, train, val;
} cli_teacher_set;

/* Load a teacher model file and regenerate its task trials (fails when it stores no task). */
lrnn_status cli_teacher_set_load(const char *path, cli_teacher_set *t);
void cli_teacher_set_free(cli_teacher_set *t);
/* A copy of rnn whose per-step noise is sigma. */
lrnn_status cli_lint_with_noise(const lrnn_lint_rnn *rnn, double sigma, lrnn_lint_rnn **out);
/* Noise of spec 7.1 (teacher_eval, student_eval, student_train) for the task, or
 * {teacher_fallback, 0, 0} when the task has no validation experiment (raposo). */
lrnn_task_noise cli_lint_task_noise(lrnn_task_kind kind, double teacher_fallback);
/* J as factors m n^T for the correlations: low rank m, n (N x R); full rank m = wrec, n = I
 * (N x N, allocated into *owned, freed by the caller; NULL on allocation failure). */
void cli_lint_factors(lrnn_lint_rnn *rnn, size_t *R, const double **m, const double **n,
                      double **owned);
/* Outputs of the teacher's readout on any network's states (n x (T+1) x N) into out
 * (n x T x O): spec 5.1, psi and 1/N follow the teacher's config. */
lrnn_status cli_lint_teacher_readout(const lrnn_lint_rnn *teacher, const double *states, size_t n,
                                     size_t T, double *out);
/* Parameters of a LINT fit (spec 3.1 steps 5-7, `lrnn lint fit`): rank-R student with sigma_s,
 * keep-best Adam with clipping, the batch capped at the training trials, SVD reparametrisation,
 * progress through pr (may be NULL: none); no early stop. */
lrnn_lint_fit_params cli_lint_fit_params(int rank, double noise_std, lrnn_lint_target target,
                                         int epochs, double lr, size_t batch, double clip,
                                         uint64_t seed, size_t trials, cli_lint_progress *pr);
/* Task loss of outputs (d->n x d->T x d->O) against the task's targets and mask: the masked
 * MSE of spec 2, (1/B) sum_b sum_t mean_o (M (Y - y))^2 / sum_t M_bt0 (NaN for non-finite
 * outputs). */
double cli_lint_task_loss(const lrnn_task_data *d, const double *outputs);
/* R2 over the entries with mask > 0 of rows x N arrays: global and median per neuron; r2n (N)
 * is scratch (reordered). */
void cli_lint_masked_r2(const double *y, const double *yhat, const double *mask, size_t rows,
                        size_t N, double *r2n, double *global, double *median);

/* --out DIR of a long run: an existing directory, or one that can be made in an existing
 * writable parent (checked before the work; the directory is made when results are written). */
lrnn_status cli_lint_check_out_dir(const char *dir);

/* Subcommands of lrnn lint beyond fit / eval, each in its own file. */
int cmd_lint_sweep(int argc, char **argv);      /* cmd_lint_sweep.c */
int cmd_lint_clusters(int argc, char **argv);   /* cmd_lint_populations.c */
int cmd_lint_inactivate(int argc, char **argv); /* cmd_lint_populations.c */
int cmd_lint_subsample(int argc, char **argv);  /* cmd_lint_subsample.c */
/* lrnn task conditions (argv[0] "task", argv[1] "conditions"): cmd_task_conditions.c */
int cmd_task_conditions(int argc, char **argv);

#endif
