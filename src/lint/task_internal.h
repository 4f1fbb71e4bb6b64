/* Helpers shared by the task generators (src/lint/task*.c); not part of the public API. */
#ifndef LRNN_LINT_TASK_INTERNAL_H
#define LRNN_LINT_TASK_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "lrnn/rng.h"
#include "lrnn/status.h"
#include "lrnn/task.h"

/* Largest T a task may have (steps); guards against dt typos such as dt_ms = 1e-9. */
#define LRNN_TASK_MAX_STEPS ((size_t)1 << 20)

/* dt, tau > 0; noise >= 0; catch fraction in [0, 1]; all finite. */
lrnn_status lrnn_task_check_common(const char *task, double dt_ms, double tau_ms, double noise_std,
                                   double catch_fraction);
/* A duration: finite, >= 0, and at least min_steps steps of dt. */
lrnn_status lrnn_task_check_ms(const char *task, const char *field, double ms, double dt_ms,
                               size_t min_steps);
/* 1..LRNN_TASK_MAX_LEVELS finite nonzero levels. */
lrnn_status lrnn_task_check_levels(const char *task, const char *field, size_t n,
                                   const double *levels);
/* n x T x max(U, O) doubles fit in memory. */
lrnn_status lrnn_task_check_size(const char *task, size_t n, lrnn_task_dims d);
/* The arrays are given when n > 0, and fit (lrnn_task_check_size). */
lrnn_status lrnn_task_check_arrays(const char *task, size_t n, lrnn_task_dims d,
                                   const double *inputs, const double *targets, const double *mask);

/* Open trial `trial`'s stream and draw its catch flag: catch when u <= catch_fraction (the
 * reference's `rand() > fraction` makes a normal trial), so fraction 0 never catches. */
int lrnn_task_trial_begin(lrnn_rng *rng, uint64_t seed, uint64_t trial, double catch_fraction);

/* Zero trial's arrays, then input noise: x[t, c] = std * N(0, 1) for channels c < noisy
 * (time-major draws), the other channels 0. x: T x U; targets, mask: T x O. */
void lrnn_task_trial_clear(lrnn_rng *rng, size_t T, size_t U, size_t O, size_t noisy,
                           double noise_std, double *x, double *targets, double *mask);

/* x[t, c] += v for t in [t0, t1). x: T x U. */
void lrnn_task_add(double *x, size_t U, size_t c, size_t t0, size_t t1, double v);
/* y[t, 0] = v for t in [t0, t1). y: T x O. */
void lrnn_task_set(double *y, size_t O, size_t t0, size_t t1, double v);

/* The reference's decision targets: hi = 1 when v > 0, else lo = -1. */
double lrnn_task_hilo(double v);

#endif
