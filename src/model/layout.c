/* The parameter block: every parameter at a fixed offset, in the shapes of the spec. */
#include <string.h>

#include "lrnn/model.h"

static void add_noise(lrnn_param_layout *l, const char *name, lrnn_noise kind, size_t d,
                      bool trainable) {
    if (kind == LRNN_NOISE_FULL)
        lrnn_param_layout_add(l, name, 2, d, d, trainable);
    else
        lrnn_param_layout_add(l, name, 1, kind == LRNN_NOISE_DIAG ? d : 1, 0, trainable);
}

lrnn_status lrnn_param_layout_build(const lrnn_model_config *c, lrnn_param_layout *l) {
    lrnn_status s = lrnn_model_config_check(c);
    if (s) return s;
    memset(l, 0, sizeof *l);
    size_t R = (size_t)c->rank, N = (size_t)c->units, X = (size_t)c->channels;
    size_t U = (size_t)c->inputs;
    lrnn_param_layout_add(l, "m", 2, N, R, true);
    lrnn_param_layout_add(l, "n", 2, R, N, true);
    lrnn_param_layout_add(l, "h", 1, N, 0, c->train_neuron_bias);
    lrnn_param_layout_add(l, "decay_param", 1, c->decay == LRNN_DECAY_SCALAR ? 1 : R, 0, c->train_decay);
    if (U > 0) lrnn_param_layout_add(l, "W_u", 2, N, U, c->train_wu);
    if (c->init_state == LRNN_INIT_TRAINABLE) lrnn_param_layout_add(l, "z_init", 1, R, 0, true);
    add_noise(l, "R_z", c->noise_z, R, c->train_noise_z);
    add_noise(l, "R_z0", c->noise_z0, R, c->train_noise_z0);
    if (c->obs == LRNN_OBS_GAUSS) add_noise(l, "R_x", c->noise_x, X, c->train_noise_x);
    if (c->readout == LRNN_READOUT_AFFINE) {
        size_t dv = c->readout_from == LRNN_FROM_Z_AND_V ? U : 0;
        lrnn_param_layout_add(l, "B_obs", 2, dv + R, X, c->train_obs_weights);
    } else {
        lrnn_param_layout_add(l, "B_obs", 1, X, 0, c->train_obs_weights);
    }
    lrnn_param_layout_add(l, "bias_obs", 1, X, 0, c->train_obs_bias);
    if (c->encoder.layers > 0) {
        /* the encoder's own layout, shifted behind the model's parameters */
        lrnn_encoder_config e = lrnn_model_encoder_config(c);
        lrnn_param_layout enc;
        if ((s = lrnn_encoder_layout(&e, &enc))) return s;
        if (l->count + enc.count > LRNN_PARAM_MAX)
            return lrnn_fail(LRNN_ERR_ARG, "model config: %d encoder layers need more than %d "
                                           "parameter entries",
                             c->encoder.layers, LRNN_PARAM_MAX);
        for (int i = 0; i < enc.count; i++) {
            lrnn_param_entry *dst = &l->entry[l->count++];
            *dst = enc.entry[i];
            dst->offset += l->total;
        }
        l->total += enc.total;
    }
    return LRNN_OK;
}

static double *at(const lrnn_param_layout *l, double *block, const char *name) {
    const lrnn_param_entry *e = lrnn_param_layout_find(l, name);
    return e ? block + e->offset : NULL;
}

lrnn_param_view lrnn_param_view_of(const lrnn_param_layout *l, double *block) {
    lrnn_param_view v = {
        .m = at(l, block, "m"),
        .n = at(l, block, "n"),
        .h = at(l, block, "h"),
        .decay_param = at(l, block, "decay_param"),
        .W_u = at(l, block, "W_u"),
        .z_init = at(l, block, "z_init"),
        .R_z = at(l, block, "R_z"),
        .R_z0 = at(l, block, "R_z0"),
        .R_x = at(l, block, "R_x"),
        .B_obs = at(l, block, "B_obs"),
        .bias_obs = at(l, block, "bias_obs"),
        .encoder = at(l, block, "enc_w0"),
    };
    return v;
}
