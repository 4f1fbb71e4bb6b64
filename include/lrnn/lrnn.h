/* lrnn — low-rank recurrent neural networks from neural recordings.
 *
 * The manual in one page. Everything fallible returns lrnn_status (LRNN_OK = 0); the message
 * with its context is lrnn_last_error(). The library never prints or exits; install a log
 * callback with lrnn_set_log to see progress.
 *
 *   #include <lrnn/lrnn.h>
 *   #include <stdio.h>
 *   #include <stdlib.h>
 *
 *   int main(void) {
 *       lrnn_model_config c = lrnn_model_default_config();
 *       c.rank = 3, c.units = 512, c.channels = 64;
 *       lrnn_model *model = NULL;
 *       if (lrnn_model_create(&c, &model)) return fprintf(stderr, "%s\n", lrnn_last_error()), 1;
 *       lrnn_sample_params p = lrnn_sample_default_params();
 *       p.trials = 2, p.steps = 1000, p.seed = 7;
 *       double *y = malloc(2 * 1000 * 64 * sizeof *y);
 *       lrnn_sample_output out = {.observations = y};
 *       if (lrnn_model_sample(model, &p, &out) || lrnn_model_save(model, "model.h5", NULL))
 *           fprintf(stderr, "%s\n", lrnn_last_error());
 *       free(y);
 *       lrnn_model_free(model);
 *       return 0;
 *   }
 *
 * Headers: status.h (errors, logging), array.h + io.h (data files), dataset.h (recordings),
 * rng.h (counter-based streams), model.h (the stochastic low-rank RNN), sample.h (generation),
 * model_file.h (HDF5 model files), layout.h (parameter blocks), encoder.h (the CNN encoder),
 * smc.h (the SMC bound and its gradient), posterior.h (filtering and smoothing posteriors),
 * optim.h (Adam, RAdam), fit.h (the training loop), eval.h (D_stsp, D_H, spike statistics,
 * bits per spike), fixedpoints.h (fixed points, cycles, stability), lint.h + lint_file.h +
 * task.h (LINT rate RNNs, their model files, cognitive tasks), lint_latent.h (their latent
 * flow, fixed points and stability), lint_populations.h (their populations and
 * inactivation), lint_regress.h (regression fits, reconstructed), lint_subsample.h
 * (fits to a fraction of a teacher's neurons), gmm.h (mixture
 * clustering), plot.h (SVG / PNG figures). */
#ifndef LRNN_LRNN_H
#define LRNN_LRNN_H

#include "lrnn/array.h"
#include "lrnn/dataset.h"
#include "lrnn/encoder.h"
#include "lrnn/eval.h"
#include "lrnn/fit.h"
#include "lrnn/fixedpoints.h"
#include "lrnn/gmm.h"
#include "lrnn/io.h"
#include "lrnn/layout.h"
#include "lrnn/lint.h"
#include "lrnn/lint_file.h"
#include "lrnn/lint_latent.h"
#include "lrnn/lint_populations.h"
#include "lrnn/lint_regress.h"
#include "lrnn/lint_subsample.h"
#include "lrnn/model.h"
#include "lrnn/model_file.h"
#include "lrnn/optim.h"
#include "lrnn/plot.h"
#include "lrnn/posterior.h"
#include "lrnn/rng.h"
#include "lrnn/sample.h"
#include "lrnn/smc.h"
#include "lrnn/status.h"
#include "lrnn/task.h"

#endif
