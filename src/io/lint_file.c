/* LINT model files (include/lrnn/lint_file.h): the HDF5 model-file family of model_file.c with
 * model_type "lint_rnn". The /config attributes are authoritative on load; config_json is a
 * convenience copy for tools that prefer JSON and is not read back. */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>
#include <jansson.h>

#include "io/h5_util.h"
#include "lrnn/io.h"
#include "lrnn/lint_file.h"
#include "lrnn/model_file.h"

static const char FORMAT_NAME[] = "lrnn-model";
static const char SMC_MODEL_TYPE[] = "stochastic_low_rank";

enum { TEXT_MAX = 256, PATH_MAX_LEN = 4000 };

/* ======================================================================================
 * Field tables: the config and the task params, as (name, kind, offset)
 * ====================================================================================== */

typedef enum field_kind {
    F_INT,
    F_DOUBLE,
    F_BOOL,
    F_U64,
    F_KIND,
    F_ACT,
    F_SIZE,
    F_LEVELS
} field_kind;

typedef struct field {
    const char *name;
    field_kind kind;
    size_t offset;
    size_t count_offset; /* F_LEVELS: the size_t holding the number of values */
} field;

#define CFG(name, kind)                                                                            \
    { #name, kind, offsetof(lrnn_lint_config, name), 0 }
static const field CONFIG_FIELDS[] = {
    CFG(kind, F_KIND),
    CFG(units, F_INT),
    CFG(rank, F_INT),
    CFG(inputs, F_INT),
    CFG(outputs, F_INT),
    CFG(alpha, F_DOUBLE),
    CFG(noise_std, F_DOUBLE),
    CFG(phi, F_ACT),
    CFG(psi, F_ACT),
    CFG(identity_readout, F_BOOL),
    CFG(rec_div_n, F_BOOL),
    CFG(out_div_n, F_BOOL),
    CFG(readout_rates, F_BOOL),
    CFG(train_wi, F_BOOL),
    CFG(train_si, F_BOOL),
    CFG(train_wrec, F_BOOL),
    CFG(train_wo, F_BOOL),
    CFG(train_so, F_BOOL),
    CFG(train_h0, F_BOOL),
    CFG(train_b, F_BOOL),
    CFG(rho, F_DOUBLE),
    CFG(seed, F_U64),
};
#undef CFG
enum { CONFIG_FIELD_COUNT = sizeof CONFIG_FIELDS / sizeof CONFIG_FIELDS[0] };

/* Every field of each task's params struct (task.h), offsets within lrnn_task_params. */
#define TD(task, type, name)                                                                       \
    { #name, F_DOUBLE, offsetof(lrnn_task_params, task) + offsetof(type, name), 0 }
#define TS(task, type, name)                                                                       \
    { #name, F_SIZE, offsetof(lrnn_task_params, task) + offsetof(type, name), 0 }
#define TL(task, type, name, count)                                                                \
    {                                                                                              \
#name, F_LEVELS, offsetof(lrnn_task_params, task) + offsetof(type, name),                  \
            offsetof(lrnn_task_params, task) + offsetof(type, count)                               \
    }
static const field RDM_FIELDS[] = {
    TD(rdm, lrnn_rdm_params, dt_ms),
    TD(rdm, lrnn_rdm_params, tau_ms),
    TD(rdm, lrnn_rdm_params, fixation_ms),
    TD(rdm, lrnn_rdm_params, stimulus_ms),
    TD(rdm, lrnn_rdm_params, delay_ms),
    TD(rdm, lrnn_rdm_params, decision_ms),
    TD(rdm, lrnn_rdm_params, scale),
    TD(rdm, lrnn_rdm_params, noise_std),
    TD(rdm, lrnn_rdm_params, catch_fraction),
    TS(rdm, lrnn_rdm_params, n_coherences),
    TL(rdm, lrnn_rdm_params, coherences, n_coherences),
};
static const field ROMO_FIELDS[] = {
    TD(romo, lrnn_romo_params, dt_ms),        TD(romo, lrnn_romo_params, tau_ms),
    TD(romo, lrnn_romo_params, fixation_ms),  TD(romo, lrnn_romo_params, stimulus1_ms),
    TD(romo, lrnn_romo_params, delay_min_ms), TD(romo, lrnn_romo_params, delay_max_ms),
    TD(romo, lrnn_romo_params, stimulus2_ms), TD(romo, lrnn_romo_params, decision_ms),
    TD(romo, lrnn_romo_params, f_middle),     TD(romo, lrnn_romo_params, f_span),
    TD(romo, lrnn_romo_params, noise_std),    TD(romo, lrnn_romo_params, catch_fraction),
    TS(romo, lrnn_romo_params, n_pairs),      TL(romo, lrnn_romo_params, f1, n_pairs),
    TL(romo, lrnn_romo_params, f2, n_pairs),
};
static const field CDM_FIELDS[] = {
    TD(cdm, lrnn_cdm_params, dt_ms),
    TD(cdm, lrnn_cdm_params, tau_ms),
    TD(cdm, lrnn_cdm_params, fixation_ms),
    TD(cdm, lrnn_cdm_params, context_only_ms),
    TD(cdm, lrnn_cdm_params, stimulus_ms),
    TD(cdm, lrnn_cdm_params, delay_ms),
    TD(cdm, lrnn_cdm_params, decision_ms),
    TD(cdm, lrnn_cdm_params, scale),
    TD(cdm, lrnn_cdm_params, scale_context),
    TD(cdm, lrnn_cdm_params, noise_std),
    TD(cdm, lrnn_cdm_params, catch_fraction),
    TS(cdm, lrnn_cdm_params, n_coherences),
    TL(cdm, lrnn_cdm_params, coherences, n_coherences),
};
static const field DMS_FIELDS[] = {
    TD(dms, lrnn_dms_params, dt_ms),        TD(dms, lrnn_dms_params, tau_ms),
    TD(dms, lrnn_dms_params, fixation_ms),  TD(dms, lrnn_dms_params, stimulus1_ms),
    TD(dms, lrnn_dms_params, delay_min_ms), TD(dms, lrnn_dms_params, delay_max_ms),
    TD(dms, lrnn_dms_params, stimulus2_ms), TD(dms, lrnn_dms_params, decision_ms),
    TD(dms, lrnn_dms_params, noise_std),    TD(dms, lrnn_dms_params, catch_fraction),
};
static const field RAPOSO_FIELDS[] = {
    TD(raposo, lrnn_raposo_params, dt_ms),
    TD(raposo, lrnn_raposo_params, tau_ms),
    TD(raposo, lrnn_raposo_params, fixation_ms),
    TD(raposo, lrnn_raposo_params, stimulus_ms),
    TD(raposo, lrnn_raposo_params, delay_ms),
    TD(raposo, lrnn_raposo_params, decision_ms),
    TD(raposo, lrnn_raposo_params, scale),
    TD(raposo, lrnn_raposo_params, noise_std),
    TD(raposo, lrnn_raposo_params, catch_fraction),
    TS(raposo, lrnn_raposo_params, n_coherences),
    TL(raposo, lrnn_raposo_params, coherences, n_coherences),
};
#undef TD
#undef TS
#undef TL

static const field *task_fields(lrnn_task_kind kind, size_t *count) {
#define RET(tab)                                                                                   \
    do {                                                                                           \
        *count = sizeof tab / sizeof tab[0];                                                       \
        return tab;                                                                                \
    } while (0)
    switch (kind) {
    case LRNN_TASK_RDM:
        RET(RDM_FIELDS);
    case LRNN_TASK_ROMO:
        RET(ROMO_FIELDS);
    case LRNN_TASK_CDM:
        RET(CDM_FIELDS);
    case LRNN_TASK_DMS:
        RET(DMS_FIELDS);
    case LRNN_TASK_RAPOSO:
        RET(RAPOSO_FIELDS);
    }
#undef RET
    *count = 0;
    return NULL;
}

/* ======================================================================================
 * HDF5 helpers
 * ====================================================================================== */

static herr_t attr_write_doubles(hid_t obj, const char *name, const double *v, size_t n) {
    hsize_t dims[1] = {n};
    hid_t space = H5Screate_simple(1, dims, NULL);
    hid_t a =
        space < 0 ? -1 : H5Acreate2(obj, name, H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT);
    herr_t rc = a < 0 ? -1 : (n ? H5Awrite(a, H5T_NATIVE_DOUBLE, v) : 0);
    h5_close_id(a, H5Aclose);
    h5_close_id(space, H5Sclose);
    return rc;
}

static herr_t field_write(hid_t obj, const field *f, const void *base) {
    const char *p = (const char *)base + f->offset;
    uint8_t u8;
    switch (f->kind) {
    case F_INT:
        return h5_attr_write_i64(obj, f->name, *(const int *)p);
    case F_SIZE:
        return h5_attr_write_i64(obj, f->name, (int64_t) * (const size_t *)p);
    case F_DOUBLE:
        return h5_attr_write(obj, f->name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, p);
    case F_BOOL:
        u8 = *(const bool *)p ? 1 : 0;
        return h5_attr_write(obj, f->name, H5T_STD_U8LE, H5T_NATIVE_UINT8, &u8);
    case F_U64:
        return h5_attr_write(obj, f->name, H5T_STD_U64LE, H5T_NATIVE_UINT64, p);
    case F_KIND:
        return h5_attr_write_string(obj, f->name, lrnn_lint_kind_name(*(const lrnn_lint_kind *)p));
    case F_ACT:
        return h5_attr_write_string(obj, f->name, lrnn_lint_act_name(*(const lrnn_lint_act *)p));
    case F_LEVELS:
        return attr_write_doubles(obj, f->name, (const double *)(const void *)p,
                                  *(const size_t *)((const char *)base + f->count_offset));
    }
    return -1;
}

static json_t *field_json(const field *f, const void *base) {
    const char *p = (const char *)base + f->offset;
    switch (f->kind) {
    case F_INT:
        return json_integer(*(const int *)p);
    case F_SIZE:
        return json_integer((json_int_t) * (const size_t *)p);
    case F_DOUBLE:
        return json_real(*(const double *)p);
    case F_BOOL:
        return json_boolean(*(const bool *)p);
    case F_U64:
        return json_integer((json_int_t) * (const uint64_t *)p);
    case F_KIND:
        return json_string(lrnn_lint_kind_name(*(const lrnn_lint_kind *)p));
    case F_ACT:
        return json_string(lrnn_lint_act_name(*(const lrnn_lint_act *)p));
    case F_LEVELS: {
        json_t *a = json_array();
        size_t n = *(const size_t *)((const char *)base + f->count_offset);
        for (size_t i = 0; i < n; i++)
            json_array_append_new(a, json_real(((const double *)(const void *)p)[i]));
        return a;
    }
    }
    return json_null();
}

/* ---- reading ---- */

static H5T_class_t attr_class(hid_t a) {
    hid_t type = H5Aget_type(a);
    H5T_class_t c = type < 0 ? H5T_NO_CLASS : H5Tget_class(type);
    h5_close_id(type, H5Tclose);
    return c;
}

/* A string attribute (variable- or fixed-length). *text is malloc'ed. */
static lrnn_status attr_read_text(hid_t obj, const char *name, const char *where, const char *path,
                                  char **text) {
    *text = NULL;
    hid_t a = -1;
    hssize_t points = -1;
    lrnn_status s = h5_attr_open(obj, name, where, path, &a, &points);
    if (s) return s;
    hid_t type = H5Aget_type(a), mem = -1;
    if (points != 1 || type < 0 || H5Tget_class(type) != H5T_STRING) {
        s = lrnn_fail(LRNN_ERR_FORMAT, "%s: %s '%s' must be a single string", path, where, name);
        goto done;
    }
    mem = H5Tget_native_type(type, H5T_DIR_ASCEND);
    if (H5Tis_variable_str(type) > 0) {
        char *v = NULL;
        if (mem < 0 || H5Aread(a, mem, &v) < 0) {
            s = h5_fail(LRNN_ERR_FORMAT, path, "cannot read %s '%s'", where, name);
            goto done;
        }
        *text = strdup(v ? v : "");
        H5free_memory(v);
    } else {
        size_t size = H5Tget_size(type);
        *text = calloc(size + 1, 1);
        if (*text && (mem < 0 || H5Aread(a, mem, *text) < 0)) {
            free(*text);
            *text = NULL;
            s = h5_fail(LRNN_ERR_FORMAT, path, "cannot read %s '%s'", where, name);
            goto done;
        }
        /* fixed-length strings may be space-padded */
        for (size_t len = *text ? strlen(*text) : 0; len > 0 && (*text)[len - 1] == ' '; len--)
            (*text)[len - 1] = '\0';
    }
    if (!*text) s = lrnn_fail(LRNN_ERR_NOMEM, "%s: cannot copy %s '%s'", path, where, name);
done:
    h5_close_id(mem, H5Tclose);
    h5_close_id(type, H5Tclose);
    H5Aclose(a);
    return s;
}

/* One number (class integer or float, as `want` allows) read into mem_type. Up to `max`
 * values for arrays (max > 1): *count gets the number read. */
static lrnn_status attr_read_numbers(hid_t obj, const char *name, const char *where,
                                     const char *path, bool integer, hid_t mem_type, void *dst,
                                     size_t max, size_t *count) {
    hid_t a = -1;
    hssize_t points = -1;
    lrnn_status s = h5_attr_open(obj, name, where, path, &a, &points);
    if (s) return s;
    H5T_class_t c = attr_class(a);
    bool ok_class = c == H5T_INTEGER || (!integer && c == H5T_FLOAT);
    if (!ok_class)
        s = lrnn_fail(LRNN_ERR_FORMAT, "%s: %s '%s' must be %s, not %s", path, where, name,
                      integer ? "an integer" : "a number", h5_class_name(c));
    else if (points < 0 || (max == 1 && points != 1) || (size_t)points > max)
        s = lrnn_fail(LRNN_ERR_SHAPE, "%s: %s '%s' holds %lld values; expected %s%zu", path, where,
                      name, (long long)points, max == 1 ? "" : "at most ", max);
    else if (points > 0 && H5Aread(a, mem_type, dst) < 0)
        s = h5_fail(LRNN_ERR_FORMAT, path, "cannot read %s '%s'", where, name);
    if (!s && count) *count = (size_t)points;
    H5Aclose(a);
    return s;
}

static lrnn_status field_read(hid_t obj, const field *f, void *base, const char *where,
                              const char *path) {
    char *p = (char *)base + f->offset;
    int64_t i = 0;
    uint64_t u = 0;
    double d = 0;
    char *text = NULL;
    lrnn_status s = LRNN_OK;
    switch (f->kind) {
    case F_INT:
    case F_SIZE:
    case F_BOOL:
        if ((s = attr_read_numbers(obj, f->name, where, path, true, H5T_NATIVE_INT64, &i, 1, NULL)))
            return s;
        if (f->kind == F_BOOL)
            *(bool *)p = i != 0;
        else if (i < 0 || (f->kind == F_INT && i > INT32_MAX))
            return lrnn_fail(LRNN_ERR_FORMAT, "%s: %s '%s' = %lld is out of range", path, where,
                             f->name, (long long)i);
        else if (f->kind == F_INT)
            *(int *)p = (int)i;
        else
            *(size_t *)p = (size_t)i;
        return LRNN_OK;
    case F_U64:
        if ((s = attr_read_numbers(obj, f->name, where, path, true, H5T_NATIVE_UINT64, &u, 1,
                                   NULL)))
            return s;
        *(uint64_t *)p = u;
        return LRNN_OK;
    case F_DOUBLE:
        if ((s = attr_read_numbers(obj, f->name, where, path, false, H5T_NATIVE_DOUBLE, &d, 1,
                                   NULL)))
            return s;
        *(double *)p = d;
        return LRNN_OK;
    case F_KIND:
    case F_ACT:
        if ((s = attr_read_text(obj, f->name, where, path, &text))) return s;
        s = f->kind == F_KIND ? lrnn_lint_kind_parse(text, (lrnn_lint_kind *)(void *)p)
                              : lrnn_lint_act_parse(text, (lrnn_lint_act *)(void *)p);
        free(text);
        if (s) s = lrnn_fail_context(LRNN_ERR_FORMAT, "%s: %s '%s'", path, where, f->name);
        return s;
    case F_LEVELS: {
        size_t n = 0, want = *(const size_t *)((const char *)base + f->count_offset);
        if ((s = attr_read_numbers(obj, f->name, where, path, false, H5T_NATIVE_DOUBLE, p,
                                   LRNN_TASK_MAX_LEVELS, &n)))
            return s;
        if (n != want)
            return lrnn_fail(LRNN_ERR_SHAPE, "%s: %s '%s' holds %zu values but the count says %zu",
                             path, where, f->name, n, want);
        return LRNN_OK;
    }
    }
    return lrnn_fail(LRNN_ERR_FORMAT, "%s: unknown field kind", path);
}

/* ======================================================================================
 * Writing
 * ====================================================================================== */

static char *config_json_text(const lrnn_lint_config *c) {
    json_t *root = json_object();
    for (int i = 0; i < CONFIG_FIELD_COUNT; i++)
        json_object_set_new(root, CONFIG_FIELDS[i].name, field_json(&CONFIG_FIELDS[i], c));
    char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
    json_decref(root);
    return text;
}

static lrnn_status write_root(hid_t file, const lrnn_lint_config *c, const char *training_json,
                              const char *path) {
    if (h5_attr_write_string(file, "format", FORMAT_NAME) < 0 ||
        h5_attr_write_i64(file, "format_version", LRNN_MODEL_FORMAT_VERSION) < 0 ||
        h5_attr_write_string(file, "model_type", LRNN_LINT_MODEL_TYPE) < 0 ||
        h5_attr_write_string(file, "lrnn_version", lrnn_version()) < 0)
        return h5_fail(LRNN_ERR_IO, path, "cannot write the root attributes");
    char *json = config_json_text(c);
    if (!json) return lrnn_fail(LRNN_ERR_NOMEM, "%s: cannot encode the config as JSON", path);
    herr_t rc = h5_attr_write_string(file, "config_json", json);
    free(json);
    if (rc >= 0 && training_json) rc = h5_attr_write_string(file, "training_json", training_json);
    if (rc < 0) return h5_fail(LRNN_ERR_IO, path, "cannot write the JSON root attributes");
    return LRNN_OK;
}

static lrnn_status write_group_fields(hid_t file, const char *group_name, const field *fields,
                                      size_t count, const void *base, const char *path,
                                      hid_t *keep) {
    hid_t g = H5Gcreate2(file, group_name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0) return h5_fail(LRNN_ERR_IO, path, "cannot create group '/%s'", group_name);
    for (size_t i = 0; i < count; i++)
        if (field_write(g, &fields[i], base) < 0) {
            H5Gclose(g);
            return h5_fail(LRNN_ERR_IO, path, "cannot write attribute '/%s' %s", group_name,
                           fields[i].name);
        }
    if (keep)
        *keep = g;
    else
        H5Gclose(g);
    return LRNN_OK;
}

static lrnn_status write_task(hid_t file, const lrnn_lint_task_info *t, const char *path) {
    size_t count;
    const field *fields = task_fields(t->params.kind, &count);
    hid_t g = -1;
    lrnn_status s = write_group_fields(file, "task", fields, count, &t->params, path, &g);
    if (s) return s;
    int64_t trials = (int64_t)t->trials;
    if (h5_attr_write_string(g, "task", lrnn_task_kind_name(t->params.kind)) < 0 ||
        h5_attr_write(g, "seed", H5T_STD_U64LE, H5T_NATIVE_UINT64, &t->seed) < 0 ||
        h5_attr_write_i64(g, "trials", trials) < 0 ||
        h5_attr_write(g, "validation_fraction", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE,
                      &t->params.validation_fraction) < 0)
        s = h5_fail(LRNN_ERR_IO, path, "cannot write the attributes of '/task'");
    H5Gclose(g);
    return s;
}

static lrnn_status write_params(hid_t file, const lrnn_lint_rnn *rnn, const char *path) {
    hid_t g = H5Gcreate2(file, "params", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0) return h5_fail(LRNN_ERR_IO, path, "cannot create group '/params'");
    const lrnn_param_layout *l = lrnn_lint_layout(rnn);
    const double *block = lrnn_lint_params_const(rnn);
    lrnn_status s = LRNN_OK;
    for (int i = 0; i < l->count && !s; i++) {
        const lrnn_param_entry *e = &l->entry[i];
        hsize_t dims[2] = {e->shape[0], e->shape[1]};
        hid_t space = H5Screate_simple(e->ndim, dims, NULL);
        hid_t ds = space < 0 ? -1
                             : H5Dcreate2(g, e->name, H5T_IEEE_F64LE, space, H5P_DEFAULT,
                                          H5P_DEFAULT, H5P_DEFAULT);
        uint8_t tr = e->trainable ? 1 : 0;
        /* an empty entry (U = 0) has nothing to write, and HDF5 rejects a NULL buffer */
        herr_t rc = ds < 0 ? -1
                           : (e->size ? H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL,
                                                 H5P_DEFAULT, block + e->offset)
                                      : 0);
        if (rc >= 0) rc = h5_attr_write(ds, "trainable", H5T_STD_U8LE, H5T_NATIVE_UINT8, &tr);
        h5_close_id(ds, H5Dclose);
        h5_close_id(space, H5Sclose);
        if (rc < 0) s = h5_fail(LRNN_ERR_IO, path, "cannot write dataset '/params/%s'", e->name);
    }
    H5Gclose(g);
    return s;
}

static lrnn_status check_before_save(const lrnn_lint_rnn *rnn, const char *path,
                                     const lrnn_lint_task_info *task) {
    const lrnn_param_layout *l = lrnn_lint_layout(rnn);
    const double *block = lrnn_lint_params_const(rnn);
    for (int i = 0; i < l->count; i++) {
        const lrnn_param_entry *e = &l->entry[i];
        for (size_t j = 0; j < e->size; j++)
            if (!isfinite(block[e->offset + j]))
                return lrnn_fail(LRNN_ERR_NUMERIC,
                                 "%s: not saving: parameter '%s' has a non-finite value (%g) at "
                                 "index %zu",
                                 path, e->name, block[e->offset + j], j);
    }
    if (task && task->present) {
        lrnn_status s = lrnn_task_params_check(&task->params);
        if (s) return lrnn_fail_context(s, "%s: not saving: invalid task", path);
        if (task->trials == 0)
            return lrnn_fail(LRNN_ERR_ARG, "%s: not saving: task with 0 trials", path);
    }
    return LRNN_OK;
}

static lrnn_status save_file(const lrnn_lint_rnn *rnn, const char *path,
                             const lrnn_lint_task_info *task, const char *training_json) {
    if (!rnn || !path || !path[0])
        return lrnn_fail(LRNN_ERR_ARG, "LINT model save: needs a network and a path");
    if (strlen(path) > PATH_MAX_LEN)
        return lrnn_fail(LRNN_ERR_ARG, "LINT model save: path of %zu characters is too long",
                         strlen(path));
    lrnn_status s = check_before_save(rnn, path, task);
    if (s) return s;
    char tmp[PATH_MAX_LEN + 64];
    lrnn_tmp_path(path, tmp, sizeof tmp);
    hid_t file = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (file < 0) return h5_fail(LRNN_ERR_IO, path, "cannot create temporary file %s", tmp);
    const lrnn_lint_config *c = lrnn_lint_config_of(rnn);
    if (!(s = write_root(file, c, training_json, path)) &&
        !(s = write_group_fields(file, "config", CONFIG_FIELDS, CONFIG_FIELD_COUNT, c, path,
                                 NULL)) &&
        !(s = write_params(file, rnn, path)) && task && task->present)
        s = write_task(file, task, path);
    if (H5Fclose(file) < 0 && !s) s = h5_fail(LRNN_ERR_IO, path, "cannot close %s", tmp);
    if (!s) s = h5_sync_file(tmp, path, "cannot sync the written file");
    if (!s && rename(tmp, path) != 0)
        s = lrnn_fail(LRNN_ERR_IO, "%s: cannot rename the temporary file into place: %s", path,
                      strerror(errno));
    if (s) remove(tmp);
    return s;
}

/* ======================================================================================
 * Reading
 * ====================================================================================== */

static lrnn_status check_header(hid_t file, const char *path) {
    static const char where[] = "root attribute";
    if (H5Aexists(file, "format") <= 0)
        return lrnn_fail(LRNN_ERR_FORMAT,
                         "%s is not an lrnn model file (it has no root attribute 'format')", path);
    char *text = NULL;
    lrnn_status s = attr_read_text(file, "format", where, path, &text);
    if (s) return s;
    int same = strcmp(text, FORMAT_NAME) == 0;
    if (!same)
        s = lrnn_fail(LRNN_ERR_FORMAT,
                      "%s is not an lrnn model file (format is '%s', expected '%s')", path, text,
                      FORMAT_NAME);
    free(text);
    if (s) return s;
    int64_t version = 0;
    if ((s = attr_read_numbers(file, "format_version", where, path, true, H5T_NATIVE_INT64,
                               &version, 1, NULL)))
        return s;
    if (version != LRNN_MODEL_FORMAT_VERSION)
        return lrnn_fail(LRNN_ERR_UNSUPPORTED,
                         "%s: written by format version %lld; this lrnn reads version %d", path,
                         (long long)version, LRNN_MODEL_FORMAT_VERSION);
    if ((s = attr_read_text(file, "model_type", where, path, &text))) return s;
    if (!strcmp(text, SMC_MODEL_TYPE))
        s = lrnn_fail(LRNN_ERR_UNSUPPORTED,
                      "%s holds a stochastic low-rank (SMC) model (model type '%s'), not a LINT "
                      "rate network ('%s'); use it with lrnn sample / eval / fixedpoints",
                      path, text, LRNN_LINT_MODEL_TYPE);
    else if (strcmp(text, LRNN_LINT_MODEL_TYPE) != 0)
        s = lrnn_fail(LRNN_ERR_UNSUPPORTED,
                      "%s: model type '%s' is not a LINT rate network (expected '%s')", path, text,
                      LRNN_LINT_MODEL_TYPE);
    free(text);
    return s;
}

static lrnn_status open_group(hid_t file, const char *name, const char *path, hid_t *g) {
    *g = -1;
    if (H5Lexists(file, name, H5P_DEFAULT) <= 0)
        return lrnn_fail(LRNN_ERR_FORMAT, "%s: group '/%s' is missing", path, name);
    *g = H5Gopen2(file, name, H5P_DEFAULT);
    if (*g < 0) return h5_fail(LRNN_ERR_FORMAT, path, "cannot open group '/%s'", name);
    return LRNN_OK;
}

static lrnn_status read_config(hid_t file, const char *path, lrnn_lint_config *c) {
    hid_t g = -1;
    lrnn_status s = open_group(file, "config", path, &g);
    if (s) return s;
    *c = lrnn_lint_default_config(LRNN_LINT_LOW_RANK);
    for (int i = 0; i < CONFIG_FIELD_COUNT && !s; i++)
        s = field_read(g, &CONFIG_FIELDS[i], c, "config attribute", path);
    H5Gclose(g);
    if (!s && (s = lrnn_lint_config_check(c)))
        s = lrnn_fail_context(LRNN_ERR_FORMAT, "%s: invalid config", path);
    return s;
}

static lrnn_status read_task(hid_t file, const char *path, lrnn_lint_task_info *t) {
    memset(t, 0, sizeof *t);
    if (H5Lexists(file, "task", H5P_DEFAULT) <= 0) return LRNN_OK;
    static const char where[] = "attribute of '/task'";
    hid_t g = -1;
    lrnn_status s = open_group(file, "task", path, &g);
    if (s) return s;
    char *name = NULL;
    lrnn_task_kind kind = LRNN_TASK_RDM;
    int64_t trials = 0;
    if (!(s = attr_read_text(g, "task", where, path, &name)) &&
        (s = lrnn_task_kind_parse(name, &kind)))
        s = lrnn_fail_context(LRNN_ERR_FORMAT, "%s: '/task'", path);
    free(name);
    if (!s) {
        t->params = lrnn_task_default_params(kind);
        s = attr_read_numbers(g, "seed", where, path, true, H5T_NATIVE_UINT64, &t->seed, 1, NULL);
    }
    if (!s)
        s = attr_read_numbers(g, "trials", where, path, true, H5T_NATIVE_INT64, &trials, 1, NULL);
    if (!s && trials <= 0)
        s = lrnn_fail(LRNN_ERR_FORMAT, "%s: %s 'trials' = %lld must be positive", path, where,
                      (long long)trials);
    if (!s)
        s = attr_read_numbers(g, "validation_fraction", where, path, false, H5T_NATIVE_DOUBLE,
                              &t->params.validation_fraction, 1, NULL);
    size_t count;
    const field *fields = task_fields(kind, &count);
    for (size_t i = 0; !s && i < count; i++)
        s = field_read(g, &fields[i], &t->params, where, path);
    H5Gclose(g);
    if (!s && (s = lrnn_task_params_check(&t->params)))
        s = lrnn_fail_context(LRNN_ERR_FORMAT, "%s: invalid task in '/task'", path);
    if (s) {
        memset(t, 0, sizeof *t);
        return s;
    }
    t->trials = (size_t)trials;
    t->present = true;
    return LRNN_OK;
}

static lrnn_status read_param(hid_t g, const lrnn_param_entry *e, double *dst, bool *trainable,
                              const char *path) {
    if (H5Lexists(g, e->name, H5P_DEFAULT) <= 0)
        return lrnn_fail(LRNN_ERR_FORMAT, "%s: parameter dataset '/params/%s' is missing", path,
                         e->name);
    hid_t ds = H5Dopen2(g, e->name, H5P_DEFAULT);
    if (ds < 0)
        return h5_fail(LRNN_ERR_FORMAT, path, "'/params/%s' is not a readable dataset", e->name);
    lrnn_status s = LRNN_OK;
    hid_t type = H5Dget_type(ds), space = H5Dget_space(ds);
    H5T_class_t cls = type < 0 ? H5T_NO_CLASS : H5Tget_class(type);
    hsize_t dims[H5S_MAX_RANK] = {0};
    int ndim = space < 0 ? -1 : H5Sget_simple_extent_ndims(space);
    if (ndim >= 0) H5Sget_simple_extent_dims(space, dims, NULL);
    h5_close_id(type, H5Tclose);
    h5_close_id(space, H5Sclose);
    int same = ndim == e->ndim;
    for (int i = 0; same && i < ndim; i++)
        same = dims[i] == (hsize_t)e->shape[i];
    if (cls != H5T_FLOAT) {
        s = lrnn_fail(LRNN_ERR_FORMAT,
                      "%s: parameter '/params/%s' holds %s values; parameters are float64", path,
                      e->name, h5_class_name(cls));
    } else if (!same) {
        char found[96] = "", want[64];
        size_t len = 0;
        for (int i = 0; i < ndim && len < sizeof found; i++)
            len += (size_t)snprintf(found + len, sizeof found - len, "%s%llu", i ? " x " : "",
                                    (unsigned long long)dims[i]);
        if (e->ndim == 2)
            snprintf(want, sizeof want, "%zu x %zu", e->shape[0], e->shape[1]);
        else
            snprintf(want, sizeof want, "%zu", e->shape[0]);
        s = lrnn_fail(LRNN_ERR_SHAPE,
                      "%s: parameter '/params/%s' has shape %s (%d-D); the config "
                      "needs %s",
                      path, e->name, ndim > 0 ? found : "scalar", ndim, want);
    } else if (e->size && H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, dst) < 0) {
        s = h5_fail(LRNN_ERR_FORMAT, path, "cannot read '/params/%s'", e->name);
    }
    for (size_t j = 0; !s && j < e->size; j++)
        if (!isfinite(dst[j]))
            s = lrnn_fail(LRNN_ERR_NUMERIC,
                          "%s: parameter '/params/%s' has a non-finite value (%g) at index %zu",
                          path, e->name, dst[j], j);
    *trainable = e->trainable;
    if (!s && H5Aexists(ds, "trainable") > 0) {
        int64_t v = 0;
        char where[64];
        snprintf(where, sizeof where, "attribute of '/params/%s'", e->name);
        s = attr_read_numbers(ds, "trainable", where, path, true, H5T_NATIVE_INT64, &v, 1, NULL);
        *trainable = v != 0;
    }
    H5Dclose(ds);
    return s;
}

static lrnn_status read_params(hid_t file, const char *path, lrnn_lint_rnn *rnn) {
    hid_t g = -1;
    lrnn_status s = open_group(file, "params", path, &g);
    if (s) return s;
    /* copy the layout: set_trainable below changes the network's own */
    lrnn_param_layout l = *lrnn_lint_layout(rnn);
    double *block = lrnn_lint_params(rnn);
    for (int i = 0; i < l.count && !s; i++) {
        bool trainable = l.entry[i].trainable;
        s = read_param(g, &l.entry[i], block + l.entry[i].offset, &trainable, path);
        /* the flag may differ from the config's default (lrnn_lint_set_trainable) */
        if (!s && trainable != l.entry[i].trainable &&
            (s = lrnn_lint_set_trainable(rnn, l.entry[i].name, trainable)))
            s = lrnn_fail_context(LRNN_ERR_FORMAT, "%s: '/params/%s'", path, l.entry[i].name);
    }
    H5G_info_t info;
    if (!s && H5Gget_info(g, &info) < 0)
        s = h5_fail(LRNN_ERR_FORMAT, path, "cannot list group '/params'");
    for (hsize_t i = 0; !s && i < info.nlinks; i++) {
        char name[TEXT_MAX];
        if (H5Lget_name_by_idx(g, ".", H5_INDEX_NAME, H5_ITER_INC, i, name, sizeof name,
                               H5P_DEFAULT) < 0)
            s = h5_fail(LRNN_ERR_FORMAT, path, "cannot list group '/params'");
        else if (!lrnn_param_layout_find(&l, name))
            s = lrnn_fail(LRNN_ERR_FORMAT,
                          "%s: unexpected dataset '/params/%s' (not a parameter of the stored "
                          "config)",
                          path, name);
    }
    H5Gclose(g);
    return s;
}

static lrnn_status load_file(const char *path, lrnn_lint_rnn **out, lrnn_lint_task_info *task,
                             char **training_json) {
    if (out) *out = NULL;
    if (training_json) *training_json = NULL;
    if (task) memset(task, 0, sizeof *task);
    if (!path || !out)
        return lrnn_fail(LRNN_ERR_ARG, "LINT model load: needs a path and an output");
    hid_t file;
    lrnn_status s = h5_open_model_file(path, &file);
    if (s) return s;
    lrnn_lint_config c;
    lrnn_lint_rnn *rnn = NULL;
    lrnn_lint_task_info t;
    char *json = NULL;
    if (!(s = check_header(file, path)) && !(s = read_config(file, path, &c)) &&
        (s = lrnn_lint_create(&c, &rnn)))
        s = lrnn_fail_context(s, "%s", path);
    if (!s) s = read_params(file, path, rnn);
    if (!s) s = read_task(file, path, &t);
    if (!s && training_json && H5Aexists(file, "training_json") > 0)
        s = attr_read_text(file, "training_json", "root attribute", path, &json);
    H5Fclose(file);
    if (s) {
        lrnn_lint_free(rnn);
        free(json);
        return s;
    }
    *out = rnn;
    if (task) *task = t;
    if (training_json) *training_json = json;
    return LRNN_OK;
}

/* The library never prints: HDF5's error printing is off for the duration of each call. */
lrnn_status lrnn_lint_save(const lrnn_lint_rnn *rnn, const char *path,
                           const lrnn_lint_task_info *task, const char *training_json) {
    h5_quiet q;
    h5_quiet_enter(&q);
    lrnn_status s = save_file(rnn, path, task, training_json);
    h5_quiet_leave(&q);
    return s;
}

lrnn_status lrnn_lint_load(const char *path, lrnn_lint_rnn **out, lrnn_lint_task_info *task,
                           char **training_json) {
    h5_quiet q;
    h5_quiet_enter(&q);
    lrnn_status s = load_file(path, out, task, training_json);
    h5_quiet_leave(&q);
    return s;
}
