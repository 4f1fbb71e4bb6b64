/* lrnn lint subsample (cmd_lint_subsample.c): results of the draws and their reports (table,
 * CSV, JSON, figure in lint_subsample_report.c). */
#ifndef LRNN_CLI_LINT_SUBSAMPLE_H
#define LRNN_CLI_LINT_SUBSAMPLE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lrnn/status.h"

enum { SUBS_LOW_RANK = 0, SUBS_FULL_RANK = 1, SUBS_MODELS = 2 };

/* One student fitted to one draw, scored on the observed neurons of the validation trials. */
typedef struct subs_fit {
    bool done;
    double r2;        /* global R2 of rates tanh(x_t), t = 0 included (spec 5.1) */
    double r2_median; /* median over the observed neurons of their R2 */
    double accuracy;  /* task accuracy through the restricted readout */
    double best_loss, seconds;
    int epochs_run;
} subs_fit;

/* One draw of one fraction. */
typedef struct subs_draw {
    int pi, draw; /* index into the fractions, draw number (its selection stream) */
    double p;
    size_t units;            /* n_sel = floor(N p) */
    double teacher_accuracy; /* the teacher's own states through the restricted readout */
    subs_fit model[SUBS_MODELS];
} subs_draw;

/* The settings a report states. */
typedef struct subs_summary {
    const char *teacher, *task, *teacher_kind;
    int units, rank, epochs, draws;
    size_t batch, train_trials, val_trials, steps;
    double teacher_noise, student_noise, lr, lr_full, clip, seconds;
    uint64_t seed;
    bool full_rank;
} subs_summary;

/* Mean and standard deviation (numpy's std, ddof 0, as the reference's plots) of a field over
 * the finite values of one fraction's draws; count 0 gives NaN. */
typedef struct subs_stat {
    double mean, sd;
    int count;
} subs_stat;
typedef enum subs_field { SUBS_R2, SUBS_R2_MEDIAN, SUBS_ACCURACY } subs_field;
subs_stat subs_stats(const subs_draw *d, size_t nd, int pi, int model, subs_field f);
subs_stat subs_teacher_stats(const subs_draw *d, size_t nd, int pi);

void subs_print_table(FILE *f, const subs_summary *s, const double *fractions, int nf,
                      const subs_draw *d, size_t nd);
lrnn_status subs_write_csv(const char *path, const subs_summary *s, const subs_draw *d, size_t nd);
/* The settings, per fraction the statistics and every draw. NULL when out of memory. */
json_t *subs_json(const subs_summary *s, const double *fractions, int nf, const subs_draw *d,
                  size_t nd);
/* R2 and accuracy against p on a log axis, mean +- 2 sd bands (spec 5.6). */
lrnn_status subs_write_figure(const char *path, const subs_summary *s, const double *fractions,
                              int nf, const subs_draw *d, size_t nd);

#endif
