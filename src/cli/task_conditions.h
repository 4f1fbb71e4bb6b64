/* lrnn task conditions (cmd_task_conditions.c): the preprocessing of spec lint_method.md 6,
 * "Preprocessing to X_cent", in task_conditions_xcent.c. */
#ifndef LRNN_CLI_TASK_CONDITIONS_H
#define LRNN_CLI_TASK_CONDITIONS_H

#include <stddef.h>

#include "lrnn/status.h"

/* Condition-averaged activity X (C x T x N, in place) to X_cent (spec 6):
 *   1. flatten to (C T) x N and subtract each neuron's mean mu;
 *   2. D = the top K principal axes of the centred data (K x N; K <= N), *explained the
 *      fraction of the variance they hold;
 *   3. X_den = (X - mu) D^T D;
 *   4. OLS of X_den over the C conditions on [1, z_1 .. z_P] (regressors z: C x P, row-major),
 *      target dimension T N; the betas already lie in span(D), so step 5's denoising is a no-op;
 *   6. X_cent = X_den - intercept(t): the condition-independent time course removed, mu not
 *      added back.
 * Fails (naming the step) when the eigendecomposition or the regression's normal equations
 * fail (e.g. collinear regressors). */
lrnn_status task_conditions_xcent(double *X, size_t C, size_t T, size_t N, size_t K,
                                  const double *z, size_t P, double *explained);

#endif
