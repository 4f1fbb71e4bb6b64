/* The model configuration as a list of named, typed fields.
 *
 * One table (LRNN_CONFIG_FIELDS) names every field of lrnn_model_config once, so that the
 * model file's /config attributes, its config_json, and `lrnn info` cannot drift apart from
 * the struct: adding a field to the struct means adding one line here. */
#ifndef LRNN_MODEL_CONFIG_FIELDS_H
#define LRNN_MODEL_CONFIG_FIELDS_H

#include <stdint.h>

#include "lrnn/model.h"

/* X-macro over every field, in struct order. ENUM also names the enum type, whose
 * <type>_name/<type>_parse functions convert it to and from text. */
#define LRNN_CONFIG_FIELDS(INT, DBL, BOOL, ENUM, U64, LIST)                                              \
    INT(rank)                                                                                      \
    INT(units)                                                                                     \
    INT(channels)                                                                                  \
    INT(inputs)                                                                                    \
    ENUM(activation, lrnn_activation)                                                              \
    ENUM(decay, lrnn_decay)                                                                        \
    DBL(decay_init)                                                                                \
    BOOL(train_decay)                                                                              \
    BOOL(simulate_input)                                                                           \
    ENUM(init_state, lrnn_init_state)                                                              \
    ENUM(noise_z, lrnn_noise)                                                                      \
    ENUM(noise_z0, lrnn_noise)                                                                     \
    ENUM(noise_x, lrnn_noise)                                                                      \
    DBL(init_noise_z)                                                                              \
    DBL(init_noise_z0)                                                                             \
    DBL(init_noise_x)                                                                              \
    BOOL(train_noise_z)                                                                            \
    BOOL(train_noise_z0)                                                                           \
    BOOL(train_noise_x)                                                                            \
    ENUM(obs, lrnn_obs)                                                                            \
    ENUM(readout, lrnn_readout)                                                                    \
    ENUM(readout_from, lrnn_readout_from)                                                          \
    ENUM(obs_nonlin, lrnn_obs_nonlin)                                                              \
    BOOL(train_obs_weights)                                                                        \
    BOOL(train_obs_bias)                                                                           \
    BOOL(train_neuron_bias)                                                                        \
    BOOL(train_wu)                                                                                 \
    ENUM(weight_dist, lrnn_weight_dist)                                                            \
    INT(heldout_channels)                                                                          \
    LIST(encoder.kernel, c->encoder.layers)                                                        \
    LIST(encoder.hidden, c->encoder.layers - 1)                                                    \
    ENUM(encoder.activation, lrnn_encoder_act)                                                     \
    DBL(encoder.leaky_slope)                                                                       \
    ENUM(encoder.pad_location, lrnn_encoder_pad_location)                                          \
    ENUM(encoder.pad_mode, lrnn_encoder_pad_mode)                                                  \
    BOOL(encoder.mask_channels)                                                                    \
    BOOL(encoder.constant_var)                                                                     \
    DBL(encoder.init_scale)                                                                        \
    U64(seed)

#define LRNN_CONFIG_FIELD_ONE_(...) +1
enum {
    LRNN_CONFIG_FIELD_COUNT =
        0 LRNN_CONFIG_FIELDS(LRNN_CONFIG_FIELD_ONE_, LRNN_CONFIG_FIELD_ONE_, LRNN_CONFIG_FIELD_ONE_,
                             LRNN_CONFIG_FIELD_ONE_, LRNN_CONFIG_FIELD_ONE_, LRNN_CONFIG_FIELD_ONE_)
};

typedef enum lrnn_field_kind {
    LRNN_FIELD_INT,    /* int, stored as int64 */
    LRNN_FIELD_DOUBLE, /* double, float64 */
    LRNN_FIELD_BOOL,   /* bool, uint8 0/1 */
    LRNN_FIELD_ENUM,   /* enum, its name as a string */
    LRNN_FIELD_U64,    /* uint64_t */
    LRNN_FIELD_LIST,   /* int array with a count, as text "21,11,1" ("" when empty) */
} lrnn_field_kind;

typedef struct lrnn_config_field {
    const char *name; /* static: the struct member's name */
    lrnn_field_kind kind;
    int64_t i;     /* INT; BOOL as 0/1 */
    double d;      /* DOUBLE */
    uint64_t u;    /* U64 */
    const char *s; /* ENUM: a static name from <type>_name(), or text to parse when setting */
    char list[64]; /* LIST */
} lrnn_config_field;

/* Fill out[0 .. LRNN_CONFIG_FIELD_COUNT) with the fields of c, in struct order. The names and
 * kinds do not depend on c, so any config (e.g. the default) lists the fields to read. */
void lrnn_model_config_fields(const lrnn_model_config *c, lrnn_config_field *out);

/* Set the field f->name of c from f (enum text parsed case-insensitively). Fails with
 * LRNN_ERR_ARG for an unknown name, an enum text that is not one of the choices, an int out of
 * range or a bool other than 0/1; the message names the field. */
lrnn_status lrnn_model_config_set_field(lrnn_model_config *c, const lrnn_config_field *f);

/* The fields as a JSON object (new reference; NULL when out of memory), and as indented text
 * with 17 significant digits so every double reads back exactly (caller frees). */
struct json_t;
struct json_t *lrnn_config_fields_json(const lrnn_config_field *fields);
char *lrnn_config_fields_json_text(const lrnn_config_field *fields);

#endif
