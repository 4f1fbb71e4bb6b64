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

/* Allocate a model with zeroed parameters (no initialisation). */
lrnn_status lrnn_model_alloc(const lrnn_model_config *c, lrnn_model **out);

#endif
