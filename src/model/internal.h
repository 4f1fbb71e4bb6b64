/* Definition of the model handle, shared by the files of src/model and src/io/model_file.c. */
#ifndef LRNN_MODEL_INTERNAL_H
#define LRNN_MODEL_INTERNAL_H

#include "lrnn/model.h"

struct lrnn_model {
    lrnn_model_config config;
    lrnn_param_layout layout;
    double *params;       /* layout.total doubles */
    lrnn_param_view view; /* pointers into params, refreshed whenever params moves */
};

/* The floors lrnn_obs_nonlin_apply adds to the output nonlinearities (rates stay positive
 * for Poisson's log): exp and ReLU 1e-10, softplus 1e-6. The SMC's array versions
 * (src/infer/step.c) add the same. */
#define LRNN_G_FLOOR_EXP_RELU 1e-10
#define LRNN_G_FLOOR_SOFTPLUS 1e-6

/* Allocate a model with zeroed parameters (no initialisation). */
lrnn_status lrnn_model_alloc(const lrnn_model_config *c, lrnn_model **out);

#endif
