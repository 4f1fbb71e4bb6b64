/* The model configuration as named fields (see config_fields.h). */
#include <jansson.h>

#include "model/config_fields.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "21,11,1" from the first n values (n <= 0: ""); 64 characters hold 7 values of 8 digits. */
static void list_text(const int *values, int n, char out[64]) {
    size_t used = 0;
    out[0] = '\0';
    for (int i = 0; i < n && used < 64; i++)
        used += (size_t)snprintf(out + used, 64 - used, "%s%d", i ? "," : "", values[i]);
}

void lrnn_model_config_fields(const lrnn_model_config *c, lrnn_config_field *out) {
    int k = 0;
#define GET_INT(f) out[k++] = (lrnn_config_field){.name = #f, .kind = LRNN_FIELD_INT, .i = c->f};
#define GET_DBL(f) out[k++] = (lrnn_config_field){.name = #f, .kind = LRNN_FIELD_DOUBLE, .d = c->f};
#define GET_BOOL(f)                                                                                \
    out[k++] = (lrnn_config_field){.name = #f, .kind = LRNN_FIELD_BOOL, .i = c->f ? 1 : 0};
#define GET_ENUM(f, type)                                                                          \
    out[k++] = (lrnn_config_field){.name = #f, .kind = LRNN_FIELD_ENUM, .s = type##_name(c->f)};
#define GET_U64(f) out[k++] = (lrnn_config_field){.name = #f, .kind = LRNN_FIELD_U64, .u = c->f};
#define GET_LIST(f, count)                                                                         \
    out[k] = (lrnn_config_field){.name = #f, .kind = LRNN_FIELD_LIST};                             \
    list_text(c->f, (count), out[k++].list);
    LRNN_CONFIG_FIELDS(GET_INT, GET_DBL, GET_BOOL, GET_ENUM, GET_U64, GET_LIST)
#undef GET_INT
#undef GET_DBL
#undef GET_BOOL
#undef GET_ENUM
#undef GET_U64
#undef GET_LIST
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
SET_ENUM_FN(lrnn_encoder_act)
SET_ENUM_FN(lrnn_encoder_pad_location)
SET_ENUM_FN(lrnn_encoder_pad_mode)
#undef SET_ENUM_FN

/* Parse "21,11,1" into at most cap positive ints; *n is the count ("" gives 0). */
static lrnn_status parse_list(const lrnn_config_field *f, int *values, int cap, int *n) {
    const char *p = f->list;
    *n = 0;
    while (*p) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p || v < 1 || v > INT_MAX || (*end && *end != ','))
            return lrnn_fail(LRNN_ERR_ARG, "config field '%s' = '%s' is not a list of positive "
                                           "integers such as 21,11,1",
                             f->name, f->list);
        if (*n == cap)
            return lrnn_fail(LRNN_ERR_ARG, "config field '%s' = '%s' has more than %d entries",
                             f->name, f->list, cap);
        values[(*n)++] = (int)v;
        p = *end ? end + 1 : end;
    }
    return LRNN_OK;
}

/* encoder.kernel sets the number of layers; encoder.hidden (after it in field order) must have
 * one entry fewer. */
static lrnn_status set_list(lrnn_model_config *c, const lrnn_config_field *f) {
    int n;
    lrnn_status s;
    if (strcmp(f->name, "encoder.kernel") == 0) {
        if ((s = parse_list(f, c->encoder.kernel, LRNN_ENCODER_MAX_LAYERS, &n))) return s;
        c->encoder.layers = n;
        return LRNN_OK;
    }
    if ((s = parse_list(f, c->encoder.hidden, LRNN_ENCODER_MAX_LAYERS - 1, &n))) return s;
    int want = c->encoder.layers > 0 ? c->encoder.layers - 1 : 0;
    if (n != want)
        return lrnn_fail(LRNN_ERR_ARG, "config field 'encoder.hidden' = '%s' needs %d entries "
                                       "for the %d encoder layers",
                         f->list, want, c->encoder.layers);
    return LRNN_OK;
}

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
#define SET_LIST(m, count)                                                                         \
    if (strcmp(f->name, #m) == 0) return set_list(c, f);
    LRNN_CONFIG_FIELDS(SET_INT, SET_DBL, SET_BOOL, SET_ENUM, SET_U64, SET_LIST)
#undef SET_LIST
#undef SET_INT
#undef SET_DBL
#undef SET_BOOL
#undef SET_ENUM
#undef SET_U64
    return lrnn_fail(LRNN_ERR_ARG, "unknown config field '%s'", f->name ? f->name : "");
}

static json_t *field_json(const lrnn_config_field *f) {
    switch (f->kind) {
    case LRNN_FIELD_INT:
        return json_integer((json_int_t)f->i);
    case LRNN_FIELD_DOUBLE:
        return json_real(f->d);
    case LRNN_FIELD_BOOL:
        return json_boolean(f->i);
    case LRNN_FIELD_ENUM:
        return json_string(f->s);
    case LRNN_FIELD_LIST:
        return json_string(f->list);
    case LRNN_FIELD_U64: {
        /* JSON integers in jansson are int64; a larger seed is written as a decimal string
         * rather than wrapped to a wrong number. */
        if (f->u <= (uint64_t)INT64_MAX) return json_integer((json_int_t)f->u);
        char text[32];
        snprintf(text, sizeof text, "%" PRIu64, f->u);
        return json_string(text);
    }
    }
    return NULL;
}

json_t *lrnn_config_fields_json(const lrnn_config_field *fields) {
    json_t *obj = json_object();
    if (!obj) return NULL;
    for (int i = 0; i < LRNN_CONFIG_FIELD_COUNT; i++)
        if (json_object_set_new(obj, fields[i].name, field_json(&fields[i])) != 0) {
            json_decref(obj);
            return NULL;
        }
    return obj;
}

char *lrnn_config_fields_json_text(const lrnn_config_field *fields) {
    json_t *obj = lrnn_config_fields_json(fields);
    if (!obj) return NULL;
    /* 17 significant digits: every double reads back as the same double. */
    char *text = json_dumps(obj, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
    json_decref(obj);
    return text;
}
