/* lrnn lint sweep (spec lint_method.md 3.2, 3.3, 3.4, 7.2): the result rows shared by the sweep
 * itself (cmd_lint_sweep.c) and its reports (lint_sweep_report.c: table, CSV, JSON, figure). */
#ifndef LRNN_CLI_LINT_SWEEP_H
#define LRNN_CLI_LINT_SWEEP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "lrnn/status.h"

/* The methods compared at every rank. */
typedef enum sweep_method {
    SWEEP_FIT,   /* LINT BPTT fit to the teacher's rates (3.1) */
    SWEEP_TRUNC, /* rank-R truncated SVD of a full-rank teacher's wrec (3.2) */
    SWEEP_NLR,   /* non-linear regression (3.3, reconstructed) */
    SWEEP_LR,    /* linear regression (3.3, reconstructed) */
    SWEEP_METHODS
} sweep_method;

const char *sweep_method_name(sweep_method m);  /* "fit", "trunc", "nlr", "lr" */
const char *sweep_method_label(sweep_method m); /* legend text */

/* One (rank, method) of the sweep, evaluated on the teacher's validation trials. NaN marks a
 * value that does not exist (a diverged simulation, the one-step R2 of a non-regression). */
typedef struct sweep_row {
    int rank;
    sweep_method method;
    double r2_rates;        /* global R2 of rates tanh(x_t), t = 0..T (5.1) */
    double r2_rates_median; /* median over neurons of the per-neuron R2 of rates */
    double r2_states;       /* global R2 of the currents x_t (3.2's measure) */
    double accuracy;        /* task accuracy through the teacher's readout */
    double task_loss;       /* masked MSE of that readout against the task targets (2) */
    double fit_seconds;     /* what fitting this rank alone takes */
    double onestep_r2;      /* regressions: one-step R2 of z on the training trajectories */
    bool diverged;          /* the simulated states left the finite numbers */
} sweep_row;

/* Header of the report: the settings and the teacher's own scores. */
typedef struct sweep_summary {
    const char *teacher, *task, *teacher_kind, *regression;
    int units, epochs;
    size_t train_trials, val_trials, steps, batch, clipped_rates;
    double teacher_noise, student_noise, student_noise_train, lr, clip, ridge;
    double teacher_accuracy, teacher_loss;
    /* R2 of the teacher's rates against a second run of the teacher with independent noise:
     * the most any model can reach under this evaluation noise */
    double r2_ceiling;
    unsigned long long seed;
    bool rank_deficient[SWEEP_METHODS]; /* regressions that needed the min-norm solution */
} sweep_summary;

/* Table on stdout. */
void sweep_print_table(const sweep_summary *s, const sweep_row *rows, size_t count);
/* JSON of the whole sweep (settings, teacher scores, one object per row). */
json_t *sweep_json(const sweep_summary *s, const sweep_row *rows, size_t count);
/* CSV text, one line per row (header first), written atomically to path. */
lrnn_status sweep_write_csv(const char *path, const sweep_row *rows, size_t count);
/* Figure: R2 of rates and accuracy against rank, one line per method (include/lrnn/plot.h). */
lrnn_status sweep_write_figure(const char *path, const sweep_summary *s, const sweep_row *rows,
                               size_t count);

#endif
