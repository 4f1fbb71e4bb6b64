/* Model handle: allocation, initialisation (spec 5.2), accessors. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lrnn/rng.h"
#include "model/internal.h"

lrnn_status lrnn_model_alloc(const lrnn_model_config *c, lrnn_model **out) {
    *out = NULL;
    lrnn_param_layout layout;
    lrnn_status s = lrnn_param_layout_build(c, &layout);
    if (s) return s;
    lrnn_model *model = calloc(1, sizeof *model);
    double *params = calloc(layout.total, sizeof *params);
    if (!model || !params) {
        free(model);
        free(params);
        return lrnn_fail(LRNN_ERR_NOMEM, "cannot allocate a model of %zu parameters",
                         layout.total);
    }
    model->config = *c;
    model->layout = layout;
    model->params = params;
    model->view = lrnn_param_view_of(&layout, params);
    *out = model;
    return LRNN_OK;
}

static void fill_uniform(lrnn_rng *rng, double *x, size_t count, double bound) {
    for (size_t i = 0; i < count; i++) x[i] = bound * (2.0 * lrnn_rng_uniform(rng) - 1.0);
}

/* Noise parameter for an initial std s (spec 1.4): log-variance 2 log s on the diagonal. */
static void init_noise(lrnn_noise kind, size_t d, double std, double *param) {
    double logvar = 2.0 * log(std);
    if (kind == LRNN_NOISE_FULL) {
        memset(param, 0, d * d * sizeof *param);
        for (size_t i = 0; i < d; i++) param[i * d + i] = logvar;
    } else {
        size_t count = kind == LRNN_NOISE_DIAG ? d : 1;
        for (size_t i = 0; i < count; i++) param[i] = logvar;
    }
}

/* Gaussian loadings: per rank component, (n_i, m_i) are unit normals with correlation 0.6;
 * n = rows / sqrt(3N), m = rows / sqrt(3R). */
static void init_loadings_gauss(lrnn_rng *rng, size_t N, size_t R, double *m, double *n) {
    const double rho = 0.6, rest = sqrt(1.0 - rho * rho);
    for (size_t r = 0; r < R; r++)
        for (size_t i = 0; i < N; i++) {
            double g1 = lrnn_rng_normal(rng), g2 = lrnn_rng_normal(rng);
            n[r * N + i] = g1 / sqrt(3.0 * (double)N);
            m[i * R + r] = (rho * g1 + rest * g2) / sqrt(3.0 * (double)R);
        }
}

static void initialise(lrnn_model *model) {
    const lrnn_model_config *c = &model->config;
    lrnn_param_view p = lrnn_model_view(model);
    size_t R = (size_t)c->rank, N = (size_t)c->units, X = (size_t)c->channels;
    size_t U = (size_t)c->inputs;
    lrnn_rng rng;
    lrnn_rng_init(&rng, c->seed, LRNN_RNG_INIT, 0, 0);
    if (c->weight_dist == LRNN_WEIGHTS_GAUSS) {
        init_loadings_gauss(&rng, N, R, p.m, p.n);
    } else {
        fill_uniform(&rng, p.n, R * N, 1.0 / sqrt((double)N));
        fill_uniform(&rng, p.m, N * R, 1.0 / sqrt((double)R));
    }
    if (c->activation == LRNN_ACT_CLIPPED_RELU) fill_uniform(&rng, p.h, N, 1.0 / sqrt((double)N));
    size_t decay_count = c->decay == LRNN_DECAY_SCALAR ? 1 : R;
    for (size_t i = 0; i < decay_count; i++) p.decay_param[i] = log(-log(c->decay_init));
    if (U > 0) fill_uniform(&rng, p.W_u, N * U, 1.0 / sqrt((double)U));
    init_noise(c->noise_z, R, c->init_noise_z, p.R_z);
    init_noise(c->noise_z0, R, c->init_noise_z0, p.R_z0);
    if (p.R_x) init_noise(c->noise_x, X, c->init_noise_x, p.R_x);
    if (c->readout == LRNN_READOUT_AFFINE) {
        const lrnn_param_entry *e = lrnn_param_layout_find(&model->layout, "B_obs");
        double scale = sqrt(2.0 / (double)e->shape[0]);
        for (size_t i = 0; i < e->size; i++) p.B_obs[i] = scale * lrnn_rng_normal(&rng);
    } else {
        for (size_t i = 0; i < X; i++) p.B_obs[i] = 1.0;
    }
    if (p.encoder) {
        lrnn_encoder_config e = lrnn_model_encoder_config(c);
        lrnn_encoder_init(&e, p.encoder, c->seed); /* checked with the config */
    }
}

lrnn_status lrnn_model_create(const lrnn_model_config *c, lrnn_model **out) {
    lrnn_status s = lrnn_model_alloc(c, out);
    if (s) return s;
    initialise(*out);
    return LRNN_OK;
}

void lrnn_model_free(lrnn_model *model) {
    if (!model) return;
    free(model->params);
    free(model);
}

lrnn_status lrnn_model_clone(const lrnn_model *model, lrnn_model **out) {
    lrnn_status s = lrnn_model_alloc(&model->config, out);
    if (s) return s;
    memcpy((*out)->params, model->params, model->layout.total * sizeof *model->params);
    return LRNN_OK;
}

const lrnn_model_config *lrnn_model_config_of(const lrnn_model *model) {
    return &model->config;
}

const lrnn_param_layout *lrnn_model_layout(const lrnn_model *model) {
    return &model->layout;
}

double *lrnn_model_params(lrnn_model *model) {
    return model->params;
}

const double *lrnn_model_params_const(const lrnn_model *model) {
    return model->params;
}

lrnn_param_view lrnn_model_view(lrnn_model *model) {
    return model->view;
}
