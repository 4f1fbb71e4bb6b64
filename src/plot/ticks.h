/* Tick labels (ticks.c); the positions are the public lrnn_plot_ticks. Kept apart from
 * internal.h so that tests can use it without cairo's headers. */
#ifndef LRNN_PLOT_TICKS_H
#define LRNN_PLOT_TICKS_H

#include <stdbool.h>
#include <stddef.h>

/* Labels of ticks[0..n) on an axis showing [lo, hi]: fixed-point text with as many decimals as
 * the step needs ("0.2", "15", "\u2212" for minus), "%g" for very large or small values, and on
 * log axes spanning more than 4 decades exponents[i] = k with an empty label for 10^k (drawn
 * with a superscript); otherwise exponents[i] = INT_MIN. */
enum { PLOT_LABEL_CAP = 32 };
void plot_tick_labels(const double *ticks, size_t n, bool log_scale, double lo, double hi,
                      char (*labels)[PLOT_LABEL_CAP], int *exponents);

#endif
