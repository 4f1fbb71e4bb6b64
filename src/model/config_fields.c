/* The model configuration as named fields (see config_fields.h). */
#include "model/config_fields.h"

#include <limits.h>
#include <string.h>

void lrnn_model_config_fields(const lrnn_model_config *c, lrnn_config_field *out) {
    int k = 0;
#define GET_INT(f) out[k++] = (lrnn_config_field){.name = #f, .kind = LRNN_FIELD_INT, .i = c->f};
#define GET_DBL(f) out[k++] = (lrnn_config_field){.name = #f, .kind = LRNN_FIELD_DOUBLE, .d = c->f};
#define GET_BOOL(f)                                                                                \
    out[k++] = (lrnn_config_field){.name = #f, .kind = LRNN_FIELD_BOOL, .i = c->f ? 1 : 0};
#define GET_ENUM(f, type)                                                                          \
    out[k++] = (lrnn_config_field){.name = #f, .kind = LRNN_FIELD_ENUM, .s = type##_name(c->f)};
#define GET_U64(f) out[k++] = (lrnn_config_field){.name = #f, .kind = LRNN_FIELD_U64, .u = c->f};
    LRNN_CONFIG_FIELDS(GET_INT, GET_DBL, GET_BOOL, GET_ENUM, GET_U64)
#undef GET_INT
#undef GET_DBL
#undef GET_BOOL
#undef GET_ENUM
#undef GET_U64
}

static lrnn_status set_int(const lrnn_config_field *f, int *dst) {
    if (f->i < INT_MIN || f->i > INT_MAX)
        return lrnn_fail(LRNN_ERR_ARG, "config field '%s' = %lld does not fit an int", f->name,
                         (long long)f->i);
    *dst = (int)f->i;
    return LRNN_OK;
}

static lrnn_status set_bool(const lrnn_config_field *f, bool *dst) {
    if (f->i != 0 && f->i != 1)
        return lrnn_fail(LRNN_ERR_ARG, "config field '%s' = %lld must be 0 or 1", f->name,
                         (long long)f->i);
    *dst = f->i == 1;
    return LRNN_OK;
}

/* The enum parsers say "unknown activation 'x' (choose from ...)"; add the field's name since
 * several fields share one enum (noise_z, noise_z0, noise_x). */
#define SET_ENUM_FN(type)                                                                          \
    static lrnn_status set_##type(const lrnn_config_field *f, type *dst) {                         \
        lrnn_status s = type##_parse(f->s, dst);                                                   \
        if (s) return lrnn_fail_context(s, "config field '%s'", f->name);                          \
        return LRNN_OK;                                                                            \
    }
SET_ENUM_FN(lrnn_activation)
SET_ENUM_FN(lrnn_noise)
SET_ENUM_FN(lrnn_decay)
SET_ENUM_FN(lrnn_init_state)
SET_ENUM_FN(lrnn_obs)
SET_ENUM_FN(lrnn_readout)
SET_ENUM_FN(lrnn_readout_from)
SET_ENUM_FN(lrnn_obs_nonlin)
SET_ENUM_FN(lrnn_weight_dist)
#undef SET_ENUM_FN

lrnn_status lrnn_model_config_set_field(lrnn_model_config *c, const lrnn_config_field *f) {
#define SET_INT(m)                                                                                 \
    if (strcmp(f->name, #m) == 0) return set_int(f, &c->m);
#define SET_DBL(m)                                                                                 \
    if (strcmp(f->name, #m) == 0) {                                                                \
        c->m = f->d;                                                                               \
        return LRNN_OK;                                                                            \
    }
#define SET_BOOL(m)                                                                                \
    if (strcmp(f->name, #m) == 0) return set_bool(f, &c->m);
#define SET_ENUM(m, type)                                                                          \
    if (strcmp(f->name, #m) == 0) return set_##type(f, &c->m);
#define SET_U64(m)                                                                                 \
    if (strcmp(f->name, #m) == 0) {                                                                \
        c->m = f->u;                                                                               \
        return LRNN_OK;                                                                            \
    }
    LRNN_CONFIG_FIELDS(SET_INT, SET_DBL, SET_BOOL, SET_ENUM, SET_U64)
#undef SET_INT
#undef SET_DBL
#undef SET_BOOL
#undef SET_ENUM
#undef SET_U64
    return lrnn_fail(LRNN_ERR_ARG, "unknown config field '%s'", f->name ? f->name : "");
}
