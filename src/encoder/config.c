/* Encoder configuration, parameter layout and initialisation (spec smc_rnn_method.md §3.6,
 * §5.2). */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lrnn/encoder.h"
#include "lrnn/rng.h"

/* Upper bound on every size (kernel, channels, X, R): large enough for any recording, small
 * enough that products of three of them cannot overflow size_t. */
enum { ENC_DIM_MAX = 1 << 20 };

lrnn_encoder_config lrnn_encoder_default_params(void) {
    lrnn_encoder_config c;
    memset(&c, 0, sizeof c);
    c.channels = 8;
    c.mask_channels = false;
    c.rank = 2;
    c.layers = 3;
    c.kernel[0] = 21, c.kernel[1] = 11, c.kernel[2] = 1;
    c.hidden[0] = 64, c.hidden[1] = 64;
    c.activation = LRNN_ENCODER_ACT_GELU;
    c.leaky_slope = 0.1;
    c.pad_location = LRNN_ENCODER_PAD_CAUSAL;
    c.pad_mode = LRNN_ENCODER_PAD_ZEROS;
    c.constant_var = false;
    c.init_scale = 0.1;
    return c;
}

static lrnn_status check_dim(const char *field, int index, int value) {
    if (value >= 1 && value <= ENC_DIM_MAX) return LRNN_OK;
    if (index < 0)
        return lrnn_fail(LRNN_ERR_ARG, "encoder config: %s = %d outside 1..%d", field, value,
                         ENC_DIM_MAX);
    return lrnn_fail(LRNN_ERR_ARG, "encoder config: %s[%d] = %d outside 1..%d", field, index, value,
                     ENC_DIM_MAX);
}

lrnn_status lrnn_encoder_params_check(const lrnn_encoder_config *c) {
    if (!c) return lrnn_fail(LRNN_ERR_ARG, "encoder config: NULL");
    lrnn_status s;
    if ((s = check_dim("channels", -1, c->channels))) return s;
    if ((s = check_dim("rank", -1, c->rank))) return s;
    if (c->layers < 2 || c->layers > LRNN_ENCODER_MAX_LAYERS)
        return lrnn_fail(LRNN_ERR_ARG,
                         "encoder config: layers = %d outside 2..%d (hidden convolutions plus "
                         "the mean/logvar heads)",
                         c->layers, LRNN_ENCODER_MAX_LAYERS);
    for (int i = 0; i < c->layers; i++)
        if ((s = check_dim("kernel", i, c->kernel[i]))) return s;
    for (int i = 0; i + 1 < c->layers; i++)
        if ((s = check_dim("hidden", i, c->hidden[i]))) return s;
    if ((unsigned)c->activation > LRNN_ENCODER_ACT_LEAKY_RELU)
        return lrnn_fail(LRNN_ERR_ARG, "encoder config: activation = %d is not a known value",
                         (int)c->activation);
    if (!isfinite(c->leaky_slope))
        return lrnn_fail(LRNN_ERR_ARG, "encoder config: leaky_slope = %g must be finite",
                         c->leaky_slope);
    if ((unsigned)c->pad_location > LRNN_ENCODER_PAD_CENTRED)
        return lrnn_fail(LRNN_ERR_ARG, "encoder config: pad_location = %d is not a known value",
                         (int)c->pad_location);
    if ((unsigned)c->pad_mode > LRNN_ENCODER_PAD_CIRCULAR)
        return lrnn_fail(LRNN_ERR_ARG, "encoder config: pad_mode = %d is not a known value",
                         (int)c->pad_mode);
    if (!(c->init_scale > 0.0) || !isfinite(c->init_scale))
        return lrnn_fail(LRNN_ERR_ARG, "encoder config: init_scale = %g must be a positive std",
                         c->init_scale);
    return LRNN_OK;
}

static const char *const act_names[] = {"gelu", "leaky_relu"};
static const char *const location_names[] = {"causal", "acausal", "centred"};
static const char *const mode_names[] = {"zeros", "reflect", "replicate", "circular"};
#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

static lrnn_status parse_name(const char *what, const char *const *names, int count, const char *s,
                              int *out) {
    for (int i = 0; i < count; i++)
        if (s && strcasecmp(s, names[i]) == 0) {
            *out = i;
            return LRNN_OK;
        }
    char choices[128] = "";
    for (int i = 0; i < count; i++) {
        strncat(choices, names[i], sizeof choices - strlen(choices) - 1);
        if (i + 1 < count) strncat(choices, ", ", sizeof choices - strlen(choices) - 1);
    }
    return lrnn_fail(LRNN_ERR_ARG, "unknown encoder %s '%s' (choose from %s)", what, s ? s : "",
                     choices);
}

const char *lrnn_encoder_act_name(lrnn_encoder_act v) {
    return (unsigned)v < (unsigned)COUNT(act_names) ? act_names[v] : "?";
}
const char *lrnn_encoder_pad_location_name(lrnn_encoder_pad_location v) {
    return (unsigned)v < (unsigned)COUNT(location_names) ? location_names[v] : "?";
}
const char *lrnn_encoder_pad_mode_name(lrnn_encoder_pad_mode v) {
    return (unsigned)v < (unsigned)COUNT(mode_names) ? mode_names[v] : "?";
}

lrnn_status lrnn_encoder_act_parse(const char *s, lrnn_encoder_act *out) {
    int v = 0;
    lrnn_status st = parse_name("activation", act_names, COUNT(act_names), s, &v);
    if (!st) *out = (lrnn_encoder_act)v;
    return st;
}

lrnn_status lrnn_encoder_pad_location_parse(const char *s, lrnn_encoder_pad_location *out) {
    if (s && strcasecmp(s, "windowed") == 0) { /* the reference's name, spec §3.6 */
        *out = LRNN_ENCODER_PAD_CENTRED;
        return LRNN_OK;
    }
    int v = 0;
    lrnn_status st = parse_name("padding location", location_names, COUNT(location_names), s, &v);
    if (!st) *out = (lrnn_encoder_pad_location)v;
    return st;
}

lrnn_status lrnn_encoder_pad_mode_parse(const char *s, lrnn_encoder_pad_mode *out) {
    if (s && strcasecmp(s, "constant") == 0) { /* the reference's name for zero padding */
        *out = LRNN_ENCODER_PAD_ZEROS;
        return LRNN_OK;
    }
    int v = 0;
    lrnn_status st = parse_name("padding mode", mode_names, COUNT(mode_names), s, &v);
    if (!st) *out = (lrnn_encoder_pad_mode)v;
    return st;
}

int lrnn_encoder_in_channels(const lrnn_encoder_config *c) {
    return c->mask_channels ? 2 * c->channels : c->channels;
}

int lrnn_encoder_receptive_field(const lrnn_encoder_config *c) {
    int rf = 1;
    for (int i = 0; i < c->layers; i++)
        rf += c->kernel[i] - 1;
    return rf;
}

lrnn_status lrnn_encoder_layout(const lrnn_encoder_config *c, lrnn_param_layout *l) {
    lrnn_status s = lrnn_encoder_params_check(c);
    if (s) return s;
    memset(l, 0, sizeof *l);
    size_t in = (size_t)lrnn_encoder_in_channels(c), R = (size_t)c->rank;
    int L = c->layers;
    for (int i = 0; i + 1 < L; i++) {
        char name[LRNN_PARAM_NAME_MAX];
        size_t out = (size_t)c->hidden[i];
        snprintf(name, sizeof name, "enc_w%d", i);
        lrnn_param_layout_add(l, name, 2, out, in * (size_t)c->kernel[i], true);
        snprintf(name, sizeof name, "enc_b%d", i);
        lrnn_param_layout_add(l, name, 1, out, 0, true);
        in = out;
    }
    size_t kin = in * (size_t)c->kernel[L - 1];
    lrnn_param_layout_add(l, "enc_mean_w", 2, R, kin, true);
    lrnn_param_layout_add(l, "enc_mean_b", 1, R, 0, true);
    if (c->constant_var) {
        lrnn_param_layout_add(l, "enc_logvar", 1, R, 0, true);
    } else {
        lrnn_param_layout_add(l, "enc_logvar_w", 2, R, kin, true);
        lrnn_param_layout_add(l, "enc_logvar_b", 1, R, 0, true);
    }
    return LRNN_OK;
}

/* U(-bound, bound) into x[0 .. n); lrnn_rng_uniform is on the open (0, 1), so the draws lie
 * strictly inside. */
static void fill_uniform(lrnn_rng *rng, double bound, double *x, size_t n) {
    for (size_t i = 0; i < n; i++)
        x[i] = bound * (2.0 * lrnn_rng_uniform(rng) - 1.0);
}

lrnn_status lrnn_encoder_init(const lrnn_encoder_config *c, double *params, uint64_t seed) {
    lrnn_param_layout l;
    lrnn_status s = lrnn_encoder_layout(c, &l);
    if (s) return s;
    if (!params) return lrnn_fail(LRNN_ERR_ARG, "encoder init: params is NULL");
    /* Entries come in (weight, bias) pairs; a bias shares its weight's fan_in = C_in k. */
    double bound = 0.0;
    for (int j = 0; j < l.count; j++) {
        const lrnn_param_entry *e = &l.entry[j];
        double *x = params + e->offset;
        lrnn_rng rng;
        lrnn_rng_init(&rng, seed, LRNN_RNG_INIT, 1, (uint64_t)j);
        if (e->ndim == 2) bound = 1.0 / sqrt((double)e->shape[1]);
        if (strcmp(e->name, "enc_logvar") == 0) {
            /* constant_var: the reference initialises the vector to 2 log(init_scale). */
            for (size_t i = 0; i < e->size; i++)
                x[i] = 2.0 * log(c->init_scale);
            continue;
        }
        fill_uniform(&rng, bound, x, e->size);
        if (strcmp(e->name, "enc_logvar_b") == 0)
            for (size_t i = 0; i < e->size; i++)
                x[i] += 2.0 * log(c->init_scale);
    }
    return LRNN_OK;
}
