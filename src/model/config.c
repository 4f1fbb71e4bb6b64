/* Model configuration: defaults, validation and the names of every option value. */
#include <math.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "lrnn/model.h"

lrnn_model_config lrnn_model_default_config(void) {
    lrnn_model_config c = {
        .rank = 2,
        .units = 64,
        .channels = 8,
        .inputs = 0,
        .activation = LRNN_ACT_CLIPPED_RELU,
        .decay = LRNN_DECAY_SCALAR,
        .decay_init = 0.9,
        .train_decay = true,
        .simulate_input = false,
        .init_state = LRNN_INIT_TRAINABLE,
        .noise_z = LRNN_NOISE_FULL,
        .noise_z0 = LRNN_NOISE_FULL,
        .noise_x = LRNN_NOISE_DIAG,
        .init_noise_z = 0.1,
        .init_noise_z0 = 1.0,
        .init_noise_x = 0.1,
        .train_noise_z = true,
        .train_noise_z0 = true,
        .train_noise_x = true,
        .obs = LRNN_OBS_GAUSS,
        .readout = LRNN_READOUT_AFFINE,
        .readout_from = LRNN_FROM_Z,
        .obs_nonlin = LRNN_G_IDENTITY,
        .train_obs_weights = true,
        .train_obs_bias = true,
        .train_neuron_bias = true,
        .train_wu = true,
        .weight_dist = LRNN_WEIGHTS_UNIFORM,
        .heldout_channels = 0,
        .encoder = lrnn_encoder_default_params(),
        .seed = 1,
    };
    c.encoder.layers = 0; /* no encoder unless asked for; the other fields are its defaults */
    return c;
}

lrnn_encoder_config lrnn_model_encoder_config(const lrnn_model_config *c) {
    lrnn_encoder_config e = c->encoder;
    e.channels = c->channels - c->heldout_channels;
    e.rank = c->rank;
    return e;
}

/* Largest sizes accepted: far above any published configuration, low enough that the
 * parameter block cannot overflow. */
enum { MAX_RANK = 1024, MAX_UNITS = 1 << 20, MAX_CHANNELS = 1 << 16, MAX_INPUTS = 1 << 16 };

static lrnn_status check_range(const char *field, int value, int lo, int hi) {
    if (value < lo || value > hi)
        return lrnn_fail(LRNN_ERR_ARG, "model config: %s = %d outside %d..%d", field, value, lo,
                         hi);
    return LRNN_OK;
}

static lrnn_status check_std(const char *field, double s) {
    if (!(s > 0.0) || !isfinite(s))
        return lrnn_fail(LRNN_ERR_ARG, "model config: %s = %g must be a positive std", field, s);
    return LRNN_OK;
}

lrnn_status lrnn_model_config_check(const lrnn_model_config *c) {
    lrnn_status s;
    if ((s = check_range("rank", c->rank, 1, MAX_RANK)) ||
        (s = check_range("units", c->units, 1, MAX_UNITS)) ||
        (s = check_range("channels", c->channels, 1, MAX_CHANNELS)) ||
        (s = check_range("inputs", c->inputs, 0, MAX_INPUTS)))
        return s;
    if (c->rank > c->units)
        return lrnn_fail(LRNN_ERR_ARG, "model config: rank %d exceeds units %d", c->rank,
                         c->units);
    if (!(c->decay_init > 0.0 && c->decay_init < 1.0))
        return lrnn_fail(LRNN_ERR_ARG, "model config: decay %g must lie in (0, 1)",
                         c->decay_init);
    if ((s = check_std("init_noise_z", c->init_noise_z)) ||
        (s = check_std("init_noise_z0", c->init_noise_z0)) ||
        (s = check_std("init_noise_x", c->init_noise_x)))
        return s;
    if (c->simulate_input && c->decay != LRNN_DECAY_SCALAR)
        return lrnn_fail(LRNN_ERR_ARG, "model config: simulated (filtered) inputs share the "
                                       "decay of the latents, so they need --decay scalar");
    if (c->readout == LRNN_READOUT_ONE_TO_ONE) {
        if (c->channels != c->units)
            return lrnn_fail(LRNN_ERR_ARG,
                             "model config: one-to-one readout needs channels == units "
                             "(channels %d, units %d)",
                             c->channels, c->units);
        if (c->readout_from != LRNN_FROM_CURRENTS && c->readout_from != LRNN_FROM_RATES)
            return lrnn_fail(LRNN_ERR_ARG, "model config: one-to-one readout reads from "
                                           "currents or rates, not %s",
                             lrnn_readout_from_name(c->readout_from));
    } else if (c->readout_from != LRNN_FROM_Z && c->readout_from != LRNN_FROM_Z_AND_V) {
        return lrnn_fail(LRNN_ERR_ARG, "model config: affine readout reads from z or z_and_v, "
                                       "not %s",
                         lrnn_readout_from_name(c->readout_from));
    }
    if (c->readout_from == LRNN_FROM_Z_AND_V && c->inputs == 0)
        return lrnn_fail(LRNN_ERR_ARG, "model config: readout from z_and_v needs inputs > 0");
    if (c->obs == LRNN_OBS_POISSON &&
        (c->obs_nonlin == LRNN_G_IDENTITY))
        return lrnn_fail(LRNN_ERR_ARG, "model config: Poisson observations need a positive "
                                       "rate: use --obs-nonlin softplus, exp or relu");
    if (c->heldout_channels < 0 || c->heldout_channels >= c->channels)
        return lrnn_fail(LRNN_ERR_ARG, "model config: heldout_channels = %d must leave at least "
                                       "one of the %d channels held in",
                         c->heldout_channels, c->channels);
    if (c->encoder.layers > 0) {
        lrnn_encoder_config e = lrnn_model_encoder_config(c);
        s = lrnn_encoder_params_check(&e);
        if (s) return lrnn_fail_context(s, "model config");
    }
    return LRNN_OK;
}

/* ---- option names: one table per enum, indexed by value ---- */

static const char *const activation_names[] = {"relu", "clipped_relu", "tanh", "identity"};
static const char *const noise_names[] = {"full", "diag", "scalar"};
static const char *const decay_names[] = {"scalar", "per_dim"};
static const char *const init_state_names[] = {"zero", "trainable"};
static const char *const obs_names[] = {"gauss", "poisson"};
static const char *const readout_names[] = {"affine", "one_to_one"};
static const char *const readout_from_names[] = {"z", "z_and_v", "currents", "rates"};
static const char *const obs_nonlin_names[] = {"identity", "exp", "relu", "softplus"};
static const char *const weight_dist_names[] = {"uniform", "gauss"};

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

static const char *name_of(const char *const *names, int count, int value) {
    return value >= 0 && value < count ? names[value] : "?";
}

static lrnn_status parse_name(const char *what, const char *const *names, int count,
                              const char *s, int *out) {
    for (int i = 0; i < count; i++)
        if (s && strcasecmp(s, names[i]) == 0) {
            *out = i;
            return LRNN_OK;
        }
    char choices[256] = "";
    for (int i = 0; i < count; i++) {
        strncat(choices, names[i], sizeof choices - strlen(choices) - 1);
        if (i + 1 < count) strncat(choices, ", ", sizeof choices - strlen(choices) - 1);
    }
    return lrnn_fail(LRNN_ERR_ARG, "unknown %s '%s' (choose from %s)", what, s ? s : "",
                     choices);
}

#define NAMED_ENUM(type, table, what)                                                          \
    const char *type##_name(type v) {                                                          \
        return name_of(table, COUNT(table), (int)v);                                           \
    }                                                                                          \
    lrnn_status type##_parse(const char *s, type *out) {                                       \
        int v = 0;                                                                             \
        lrnn_status st = parse_name(what, table, COUNT(table), s, &v);                         \
        if (st == LRNN_OK) *out = (type)v;                                                     \
        return st;                                                                             \
    }

NAMED_ENUM(lrnn_activation, activation_names, "activation")
NAMED_ENUM(lrnn_noise, noise_names, "noise type")
NAMED_ENUM(lrnn_decay, decay_names, "decay type")
NAMED_ENUM(lrnn_init_state, init_state_names, "initial state")
NAMED_ENUM(lrnn_obs, obs_names, "observation model")
NAMED_ENUM(lrnn_readout, readout_names, "readout")
NAMED_ENUM(lrnn_readout_from, readout_from_names, "readout source")
NAMED_ENUM(lrnn_obs_nonlin, obs_nonlin_names, "output nonlinearity")
NAMED_ENUM(lrnn_weight_dist, weight_dist_names, "weight distribution")
