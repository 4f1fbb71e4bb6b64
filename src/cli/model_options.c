/* The model-configuration flags, shared by every subcommand that creates a model. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "model/config_fields.h"

CLI_CHOICE_DEFINE(activation_choice, lrnn_activation, "relu|clipped_relu|tanh|identity")
CLI_CHOICE_DEFINE(noise_choice, lrnn_noise, "full|diag|scalar")
CLI_CHOICE_DEFINE(decay_choice, lrnn_decay, "scalar|per_dim")
CLI_CHOICE_DEFINE(init_state_choice, lrnn_init_state, "zero|trainable")
CLI_CHOICE_DEFINE(obs_choice, lrnn_obs, "gauss|poisson")
CLI_CHOICE_DEFINE(readout_choice, lrnn_readout, "affine|one_to_one")
CLI_CHOICE_DEFINE(readout_from_choice, lrnn_readout_from, "z|z_and_v|currents|rates")
CLI_CHOICE_DEFINE(obs_nonlin_choice, lrnn_obs_nonlin, "identity|exp|relu|softplus")
CLI_CHOICE_DEFINE(weight_dist_choice, lrnn_weight_dist, "uniform|gauss")
CLI_CHOICE_DEFINE(enc_act_choice, lrnn_encoder_act, "gelu|leaky_relu")
CLI_CHOICE_DEFINE(enc_location_choice, lrnn_encoder_pad_location, "causal|acausal|centred")
CLI_CHOICE_DEFINE(enc_mode_choice, lrnn_encoder_pad_mode, "zeros|reflect|replicate|circular")

/* The encoder's layer lists as given on the command line, applied by cli_model_encoder_apply. */
static const char *encoder_kernels, *encoder_hidden;

int cli_model_options(lrnn_model_config *c, cli_option *out, int cap) {
    const cli_option table[] = {
        {"rank", CLI_INT, &c->rank, "R", "latent dimension (rank of the connectivity)", true, NULL, false},
        {"units", CLI_INT, &c->units, "N", "number of RNN units", false, NULL, false},
        {"channels", CLI_INT, &c->channels, "X", "observed channels", false, NULL, false},
        {"inputs", CLI_INT, &c->inputs, "U", "input dimension (0: none)", false, NULL, false},
        {"activation", CLI_CHOICE, &c->activation, NULL, "unit nonlinearity phi(x; h)", false, &activation_choice, false},
        {"decay", CLI_DOUBLE, &c->decay_init, "A", "initial decay a in (0, 1), a = 1 - dt/tau", false, NULL, false},
        {"decay-type", CLI_CHOICE, &c->decay, NULL, "one decay for all latents, or one per latent", false, &decay_choice, false},
        {"train-decay", CLI_BOOL, &c->train_decay, NULL, "train the decay", false, NULL, false},
        {"simulate-input", CLI_BOOL, &c->simulate_input, NULL, "low-pass filter inputs with the decay (spec 1.2)", false, NULL, false},
        {"initial-state", CLI_CHOICE, &c->init_state, NULL, "mean of z_0: zero or a trainable vector", false, &init_state_choice, false},
        {"noise-z", CLI_CHOICE, &c->noise_z, NULL, "transition noise covariance", false, &noise_choice, false},
        {"noise-z0", CLI_CHOICE, &c->noise_z0, NULL, "initial-state noise covariance", false, &noise_choice, false},
        {"noise-x", CLI_CHOICE, &c->noise_x, NULL, "observation noise covariance (Gaussian)", false, &noise_choice, false},
        {"init-noise-z", CLI_DOUBLE, &c->init_noise_z, "S", "initial std of the transition noise", false, NULL, false},
        {"init-noise-z0", CLI_DOUBLE, &c->init_noise_z0, "S", "initial std of the initial state", false, NULL, false},
        {"init-noise-x", CLI_DOUBLE, &c->init_noise_x, "S", "initial std of the observation noise", false, NULL, false},
        {"train-noise-z", CLI_BOOL, &c->train_noise_z, NULL, "train the transition noise", false, NULL, false},
        {"train-noise-z0", CLI_BOOL, &c->train_noise_z0, NULL, "train the initial-state noise", false, NULL, false},
        {"train-noise-x", CLI_BOOL, &c->train_noise_x, NULL, "train the observation noise", false, NULL, false},
        {"obs", CLI_CHOICE, &c->obs, NULL, "observation distribution", false, &obs_choice, false},
        {"readout", CLI_CHOICE, &c->readout, NULL, "affine from latents, or one channel per unit", false, &readout_choice, false},
        {"readout-from", CLI_CHOICE, &c->readout_from, NULL, "affine: z or z_and_v; one_to_one: currents or rates", false, &readout_from_choice, false},
        {"obs-nonlin", CLI_CHOICE, &c->obs_nonlin, NULL, "output nonlinearity g", false, &obs_nonlin_choice, false},
        {"train-obs-weights", CLI_BOOL, &c->train_obs_weights, NULL, "train the readout weights", false, NULL, false},
        {"train-obs-bias", CLI_BOOL, &c->train_obs_bias, NULL, "train the readout bias", false, NULL, false},
        {"train-neuron-bias", CLI_BOOL, &c->train_neuron_bias, NULL, "train the unit thresholds h", false, NULL, false},
        {"train-wu", CLI_BOOL, &c->train_wu, NULL, "train the input weights", false, NULL, false},
        {"weights", CLI_CHOICE, &c->weight_dist, NULL, "distribution of the initial m, n", false, &weight_dist_choice, false},
        {"init-seed", CLI_U64, &c->seed, "S", "seed of the parameter initialisation", false, NULL, false},
        {"heldout-channels", CLI_INT, &c->heldout_channels, "H", "the last H channels are predicted but not shown to the encoder (co-smoothing)", false, NULL, false},
        {"enc-kernels", CLI_STRING, &encoder_kernels, "K,K,..", "CNN encoder kernel sizes, last = the heads (e.g. 21,11,1; empty: no encoder)", false, NULL, false},
        {"enc-channels", CLI_STRING, &encoder_hidden, "C,..", "encoder hidden channels, one fewer than kernels (default 64 each)", false, NULL, false},
        {"enc-activation", CLI_CHOICE, &c->encoder.activation, NULL, "encoder nonlinearity (GELU: exact erf)", false, &enc_act_choice, false},
        {"enc-padding", CLI_CHOICE, &c->encoder.pad_location, NULL, "causal: filtering proposal; acausal: sees the future (smoothing proposal)", false, &enc_location_choice, false},
        {"enc-pad-mode", CLI_CHOICE, &c->encoder.pad_mode, NULL, "what the encoder's padding steps hold", false, &enc_mode_choice, false},
        {"enc-init-scale", CLI_DOUBLE, &c->encoder.init_scale, "S", "initial encoder std (log-variance bias offset 2 log S)", false, NULL, false},
        {"enc-constant-var", CLI_BOOL, &c->encoder.constant_var, NULL, "one learned encoder variance per latent, constant in time", false, NULL, false},
        {"enc-mask-channels", CLI_BOOL, &c->encoder.mask_channels, NULL, "feed the encoder a 0/1 channel per observed channel (data with missing entries)", false, NULL, false},
    };
    int n = (int)(sizeof table / sizeof table[0]);
    if (n > cap) n = cap;
    for (int i = 0; i < n; i++) out[i] = table[i];
    return n;
}

/* --enc-kernels sets the layers (the default encoder, 21,11,1, when only --proposal encoder asks
 * for one); --enc-channels must then have one entry per hidden layer, else 64 each. */
lrnn_status cli_model_encoder_apply(lrnn_model_config *c, bool want_encoder) {
    lrnn_config_field f = {.name = "encoder.kernel", .kind = LRNN_FIELD_LIST};
    lrnn_status s;
    if (encoder_kernels) {
        snprintf(f.list, sizeof f.list, "%s", encoder_kernels);
        if ((s = lrnn_model_config_set_field(c, &f))) return lrnn_fail_context(s, "--enc-kernels");
    } else if (want_encoder && c->encoder.layers == 0) {
        lrnn_encoder_config d = lrnn_encoder_default_params();
        memcpy(c->encoder.kernel, d.kernel, sizeof d.kernel);
        c->encoder.layers = d.layers;
    }
    if (encoder_hidden) {
        f.name = "encoder.hidden";
        snprintf(f.list, sizeof f.list, "%s", encoder_hidden);
        if ((s = lrnn_model_config_set_field(c, &f))) return lrnn_fail_context(s, "--enc-channels");
    } else {
        for (int i = 0; i + 1 < c->encoder.layers; i++) c->encoder.hidden[i] = 64;
    }
    return LRNN_OK;
}
