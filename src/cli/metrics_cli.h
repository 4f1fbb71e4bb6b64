/* Shared pieces of the commands that report metrics (compare, eval) and run the posterior
 * over a whole recording (posterior, eval). */
#ifndef LRNN_CLI_METRICS_CLI_H
#define LRNN_CLI_METRICS_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "lrnn/dataset.h"
#include "lrnn/eval.h"
#include "lrnn/posterior.h"

/* The generated-vs-real metrics of docs/metrics.md, in table order. */
enum { METRIC_DSTSP, METRIC_DH, METRIC_RATES, METRIC_ISI, METRIC_CORR, METRIC_GEN_COUNT };
extern const char *const metric_gen_names[METRIC_GEN_COUNT]; /* "dstsp", "dh", ... */

typedef struct metrics_opts {
    lrnn_dstsp_params dstsp;
    lrnn_dh_params dh;
    size_t hann; /* Hann smoothing of the generated data (0: off) */
    bool zscore; /* z-score both after smoothing */
    double dt;   /* seconds per bin for rates and ISIs */
    int isi_min;
} metrics_opts;

/* B x T x X doubles with NaN where unobserved; `view` points into `y` (owned). */
typedef struct metrics_series {
    lrnn_eval_data view;
    double *y;
} metrics_series;

/* Copy a dataset into a series (masked entries and the padding of short trials become NaN). */
lrnn_status metrics_series_from(const lrnn_dataset *d, const char *name, metrics_series *out);

/* Print the table header "metric value std.err setting". */
void metrics_header(void);
/* One table line; "-" when se is not finite. */
void metrics_row(const char *name, double value, double se, const char *setting);
json_t *metrics_json_num(double v);
json_t *metrics_json_vec(const double *v, size_t n);

/* The metrics flagged in want[METRIC_GEN_COUNT] between a recording and generated data
 * (preprocessing of the EEG protocol first: Hann smoothing of gen, z-scoring of both, in
 * place), rows printed and objects added to root. `real_name`/`gen_name` go into messages. */
lrnn_status metrics_generated(const metrics_opts *o, const bool *want, metrics_series *real,
                              metrics_series *gen, json_t *root);

/* Write root as indented JSON, atomically. */
lrnn_status metrics_write_json(const char *path, json_t *root);

/* The posterior of every trial of d, `batch` trials at a time: outputs are full-size arrays
 * (B x T x ...) as lrnn_posterior_output describes. mask (B x T x X) replaces d->mask when not
 * NULL (held-out channels, forward bins). Progress goes to the log when `progress`. bound (may
 * be NULL) receives the step-weighted mean of the batches' per-step bounds. */
lrnn_status metrics_posterior_all(const lrnn_model *model, const lrnn_posterior_params *p,
                                  const lrnn_dataset *d, const uint8_t *mask, size_t batch,
                                  uint64_t seed, lrnn_posterior_output *out, double *bound,
                                  bool progress);

#endif
