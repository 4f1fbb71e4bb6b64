/* The model-configuration flags, shared by every subcommand that creates a model. */
#include "commands.h"

CLI_CHOICE_DEFINE(activation_choice, lrnn_activation, "relu|clipped_relu|tanh|identity")
CLI_CHOICE_DEFINE(noise_choice, lrnn_noise, "full|diag|scalar")
CLI_CHOICE_DEFINE(decay_choice, lrnn_decay, "scalar|per_dim")
CLI_CHOICE_DEFINE(init_state_choice, lrnn_init_state, "zero|trainable")
CLI_CHOICE_DEFINE(obs_choice, lrnn_obs, "gauss|poisson")
CLI_CHOICE_DEFINE(readout_choice, lrnn_readout, "affine|one_to_one")
CLI_CHOICE_DEFINE(readout_from_choice, lrnn_readout_from, "z|z_and_v|currents|rates")
CLI_CHOICE_DEFINE(obs_nonlin_choice, lrnn_obs_nonlin, "identity|exp|relu|softplus")
CLI_CHOICE_DEFINE(weight_dist_choice, lrnn_weight_dist, "uniform|gauss")

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
    };
    int n = (int)(sizeof table / sizeof table[0]);
    if (n > cap) n = cap;
    for (int i = 0; i < n; i++) out[i] = table[i];
    return n;
}
