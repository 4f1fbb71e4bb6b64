/* Model files: HDF5, layout documented in docs/file-formats.md ("Model file").
 *
 *   /                 attrs format, format_version, model_type, lrnn_version, config_json
 *   /config           one attribute per config field
 *   /params/<name>    one float64 dataset per layout entry, attr trainable (uint8)
 *   /history/<col>    epoch_bound, valid_bound, lr, seconds (1-D float64), attr count
 *
 * The /config attributes are authoritative on load; config_json is a convenience copy for
 * tools that prefer JSON and is not read back. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>
#include <jansson.h>

#include "io/h5_util.h"
#include "lrnn/io.h"
#include "lrnn/model_file.h"
#include "model/config_fields.h"
#include "model/internal.h"

static const char FORMAT_NAME[] = "lrnn-model";
static const char MODEL_TYPE[] = "stochastic_low_rank";

enum { HISTORY_COLUMNS = 4, TEXT_MAX = 256, PATH_MAX_LEN = 4000 };
static const char *const HISTORY_NAMES[HISTORY_COLUMNS] = {"epoch_bound", "valid_bound", "lr",
                                                           "seconds"};

/* ======================================================================================
 * Training history
 * ====================================================================================== */

static double **history_column(lrnn_history *h, int k) {
    double **cols[HISTORY_COLUMNS] = {&h->epoch_bound, &h->valid_bound, &h->lr, &h->seconds};
    return cols[k];
}

lrnn_status lrnn_history_append(lrnn_history *h, double epoch_bound, double valid_bound, double lr,
                                double seconds) {
    if (h->count == h->capacity) {
        size_t cap = h->capacity ? 2 * h->capacity : 16;
        /* Each column is grown in place; a column that grew before a later failure is merely
         * larger than capacity says, so the history stays consistent. */
        for (int k = 0; k < HISTORY_COLUMNS; k++) {
            double **col = history_column(h, k);
            double *grown = realloc(*col, cap * sizeof **col);
            if (!grown)
                return lrnn_fail(LRNN_ERR_NOMEM, "cannot grow the training history to %zu epochs",
                                 cap);
            *col = grown;
        }
        h->capacity = cap;
    }
    const double values[HISTORY_COLUMNS] = {epoch_bound, valid_bound, lr, seconds};
    for (int k = 0; k < HISTORY_COLUMNS; k++)
        (*history_column(h, k))[h->count] = values[k];
    h->count++;
    return LRNN_OK;
}

void lrnn_history_free(lrnn_history *h) {
    if (!h) return;
    for (int k = 0; k < HISTORY_COLUMNS; k++)
        free(*history_column(h, k));
    memset(h, 0, sizeof *h);
}

/* ======================================================================================
 * HDF5 helpers
 * ====================================================================================== */

/* "(64, 2)" for messages. */
static const char *shape_text(int ndim, const hsize_t *dims, char *buf, size_t cap) {
    size_t len = (size_t)snprintf(buf, cap, "(");
    for (int i = 0; i < ndim && len < cap; i++)
        len += (size_t)snprintf(buf + len, cap - len, "%s%llu", i ? ", " : "",
                                (unsigned long long)dims[i]);
    if (len < cap) snprintf(buf + len, cap - len, ndim == 1 ? ",)" : ")");
    return buf;
}

/* ======================================================================================
 * Writing
 * ====================================================================================== */

/* Scalar uint8 attribute: config booleans and the parameters' trainable flag. */
static herr_t attr_write_u8(hid_t obj, const char *name, uint8_t v) {
    return h5_attr_write(obj, name, H5T_STD_U8LE, H5T_NATIVE_UINT8, &v);
}

static herr_t attr_write_field(hid_t obj, const lrnn_config_field *f) {
    switch (f->kind) {
    case LRNN_FIELD_INT:
        return h5_attr_write_i64(obj, f->name, f->i);
    case LRNN_FIELD_DOUBLE:
        return h5_attr_write(obj, f->name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &f->d);
    case LRNN_FIELD_BOOL:
        return attr_write_u8(obj, f->name, (uint8_t)f->i);
    case LRNN_FIELD_ENUM:
        return h5_attr_write_string(obj, f->name, f->s);
    case LRNN_FIELD_U64:
        return h5_attr_write(obj, f->name, H5T_STD_U64LE, H5T_NATIVE_UINT64, &f->u);
    case LRNN_FIELD_LIST:
        return h5_attr_write_string(obj, f->name, f->list);
    }
    return -1;
}

static lrnn_status write_root_attrs(hid_t file, const lrnn_config_field *fields, const char *path) {
    if (h5_attr_write_string(file, "format", FORMAT_NAME) < 0 ||
        h5_attr_write_i64(file, "format_version", LRNN_MODEL_FORMAT_VERSION) < 0 ||
        h5_attr_write_string(file, "model_type", MODEL_TYPE) < 0 ||
        h5_attr_write_string(file, "lrnn_version", lrnn_version()) < 0)
        return h5_fail(LRNN_ERR_IO, path, "cannot write the root attributes");
    char *json = lrnn_config_fields_json_text(fields);
    if (!json) return lrnn_fail(LRNN_ERR_NOMEM, "%s: cannot encode the config as JSON", path);
    herr_t rc = h5_attr_write_string(file, "config_json", json);
    free(json);
    if (rc < 0) return h5_fail(LRNN_ERR_IO, path, "cannot write attribute 'config_json'");
    return LRNN_OK;
}

static lrnn_status write_config(hid_t file, const lrnn_config_field *fields, const char *path) {
    hid_t group = H5Gcreate2(file, "config", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (group < 0) return h5_fail(LRNN_ERR_IO, path, "cannot create group '/config'");
    lrnn_status s = LRNN_OK;
    for (int i = 0; i < LRNN_CONFIG_FIELD_COUNT && !s; i++)
        if (attr_write_field(group, &fields[i]) < 0)
            s = h5_fail(LRNN_ERR_IO, path, "cannot write config attribute '%s'", fields[i].name);
    H5Gclose(group);
    return s;
}

/* 1-D or 2-D float64 dataset `name` in group, written from data (may be empty). */
static hid_t dataset_write(hid_t group, const char *name, int ndim, const hsize_t *dims,
                           const double *data) {
    hid_t space = H5Screate_simple(ndim, dims, NULL);
    hid_t ds = space < 0 ? -1
                         : H5Dcreate2(group, name, H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT,
                                      H5P_DEFAULT);
    hsize_t count = 1;
    for (int i = 0; i < ndim; i++)
        count *= dims[i];
    /* An empty dataset has nothing to write (and HDF5 rejects a NULL buffer). */
    if (ds >= 0 && count > 0 &&
        H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0) {
        H5Dclose(ds);
        ds = -1;
    }
    h5_close_id(space, H5Sclose);
    return ds;
}

static lrnn_status write_param(hid_t group, const lrnn_param_entry *e, const double *block,
                               const char *path) {
    hsize_t dims[2] = {e->shape[0], e->shape[1]};
    hid_t ds = dataset_write(group, e->name, e->ndim, dims, block + e->offset);
    herr_t rc = ds < 0 ? -1 : attr_write_u8(ds, "trainable", e->trainable ? 1 : 0);
    if (ds >= 0 && H5Dclose(ds) < 0) rc = -1;
    if (rc < 0) return h5_fail(LRNN_ERR_IO, path, "cannot write dataset '/params/%s'", e->name);
    return LRNN_OK;
}

static lrnn_status write_params(hid_t file, const lrnn_model *model, const char *path) {
    hid_t group = H5Gcreate2(file, "params", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (group < 0) return h5_fail(LRNN_ERR_IO, path, "cannot create group '/params'");
    const lrnn_param_layout *l = lrnn_model_layout(model);
    const double *block = lrnn_model_params_const(model);
    lrnn_status s = LRNN_OK;
    for (int i = 0; i < l->count && !s; i++)
        s = write_param(group, &l->entry[i], block, path);
    H5Gclose(group);
    return s;
}

/* Empty histories are written as zero-length datasets (h5py reads them as shape (0,)). */
static lrnn_status write_history(hid_t file, const lrnn_history *h, const char *path) {
    static const lrnn_history empty = {0};
    if (!h) h = &empty;
    hid_t group = H5Gcreate2(file, "history", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (group < 0) return h5_fail(LRNN_ERR_IO, path, "cannot create group '/history'");
    herr_t rc = h5_attr_write_i64(group, "count", (int64_t)h->count);
    const double *cols[HISTORY_COLUMNS] = {h->epoch_bound, h->valid_bound, h->lr, h->seconds};
    hsize_t dims[1] = {h->count};
    for (int k = 0; k < HISTORY_COLUMNS && rc >= 0; k++) {
        hid_t ds = dataset_write(group, HISTORY_NAMES[k], 1, dims, cols[k]);
        if (ds < 0 || H5Dclose(ds) < 0) rc = -1;
    }
    H5Gclose(group);
    if (rc < 0) return h5_fail(LRNN_ERR_IO, path, "cannot write the training history");
    return LRNN_OK;
}

static lrnn_status write_contents(hid_t file, const lrnn_model *model, const lrnn_history *history,
                                  const char *path) {
    lrnn_config_field fields[LRNN_CONFIG_FIELD_COUNT];
    lrnn_model_config_fields(lrnn_model_config_of(model), fields);
    lrnn_status s;
    if ((s = write_root_attrs(file, fields, path)) || (s = write_config(file, fields, path)) ||
        (s = write_params(file, model, path)) || (s = write_history(file, history, path)))
        return s;
    return LRNN_OK;
}

/* A file that could not be loaded must not be written (a diverged fit keeps its last good
 * checkpoint instead). */
static lrnn_status check_params_finite(const lrnn_model *model, const char *path) {
    const lrnn_param_layout *l = lrnn_model_layout(model);
    const double *block = lrnn_model_params_const(model);
    for (int i = 0; i < l->count; i++) {
        const lrnn_param_entry *e = &l->entry[i];
        for (size_t j = 0; j < e->size; j++)
            if (!isfinite(block[e->offset + j]))
                return lrnn_fail(LRNN_ERR_NUMERIC,
                                 "%s: not saving: parameter '%s' has a non-finite value (%g) "
                                 "at index %zu",
                                 path, e->name, block[e->offset + j], j);
    }
    return LRNN_OK;
}

static lrnn_status check_history(const lrnn_history *h, const char *path) {
    if (!h || h->count == 0) return LRNN_OK;
    if (!h->epoch_bound || !h->valid_bound || !h->lr || !h->seconds)
        return lrnn_fail(LRNN_ERR_ARG, "%s: history of %zu records has a NULL column", path,
                         h->count);
    return LRNN_OK;
}

static lrnn_status save_file(const lrnn_model *model, const char *path,
                             const lrnn_history *history) {
    if (!model || !path || !path[0])
        return lrnn_fail(LRNN_ERR_ARG, "model save: needs a model and a path");
    if (strlen(path) > PATH_MAX_LEN)
        return lrnn_fail(LRNN_ERR_ARG, "model save: path of %zu characters is too long",
                         strlen(path));
    lrnn_status s;
    if ((s = check_params_finite(model, path)) || (s = check_history(history, path))) return s;

    char tmp[PATH_MAX_LEN + 64];
    lrnn_tmp_path(path, tmp, sizeof tmp);
    hid_t file = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    /* Nothing was created, so nothing to remove (a directory in the way is not ours). */
    if (file < 0) return h5_fail(LRNN_ERR_IO, path, "cannot create temporary file %s", tmp);
    s = write_contents(file, model, history, path);
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

/* Open attribute `name` of obj, which must exist and hold one element. `where` names the
 * object in messages ("root attribute", "config attribute"). */
static lrnn_status attr_open(hid_t obj, const char *name, const char *where, const char *path,
                             hid_t *attr) {
    hid_t a;
    hssize_t points;
    *attr = -1;
    lrnn_status s = h5_attr_open(obj, name, where, path, &a, &points);
    if (s) return s;
    if (points != 1) {
        H5Aclose(a);
        return lrnn_fail(LRNN_ERR_FORMAT, "%s: %s '%s' must hold a single value, not %lld", path,
                         where, name, (long long)points);
    }
    *attr = a;
    return LRNN_OK;
}

static lrnn_status wrong_class(hid_t type, const char *want, const char *where, const char *name,
                               const char *path) {
    return lrnn_fail(LRNN_ERR_FORMAT, "%s: %s '%s' must be %s, not %s", path, where, name, want,
                     h5_class_name(H5Tget_class(type)));
}

/* Read a string attribute (variable- or fixed-length) into buf. */
static lrnn_status attr_read_string(hid_t obj, const char *name, const char *where,
                                    const char *path, char *buf, size_t cap) {
    hid_t attr, type = -1, mem = -1;
    lrnn_status s = attr_open(obj, name, where, path, &attr);
    if (s) return s;
    type = H5Aget_type(attr);
    if (type < 0 || H5Tget_class(type) != H5T_STRING) {
        s = type < 0 ? h5_fail(LRNN_ERR_FORMAT, path, "cannot read %s '%s'", where, name)
                     : wrong_class(type, "a string", where, name, path);
        goto done;
    }
    mem = H5Tget_native_type(type, H5T_DIR_ASCEND);
    if (H5Tis_variable_str(type) > 0) {
        char *text = NULL;
        if (mem < 0 || H5Aread(attr, mem, &text) < 0) {
            s = h5_fail(LRNN_ERR_FORMAT, path, "cannot read %s '%s'", where, name);
            goto done;
        }
        snprintf(buf, cap, "%s", text ? text : "");
        H5free_memory(text);
    } else {
        /* Fixed-length strings may be NUL-padded, space-padded or fill the whole size. */
        size_t size = H5Tget_size(type);
        char *text = calloc(size + 1, 1);
        if (!text) {
            s = lrnn_fail(LRNN_ERR_NOMEM, "%s: cannot allocate %s '%s'", path, where, name);
            goto done;
        }
        if (mem < 0 || H5Aread(attr, mem, text) < 0) {
            free(text);
            s = h5_fail(LRNN_ERR_FORMAT, path, "cannot read %s '%s'", where, name);
            goto done;
        }
        size_t len = strlen(text);
        while (len > 0 && text[len - 1] == ' ')
            text[--len] = '\0';
        snprintf(buf, cap, "%s", text);
        free(text);
    }
done:
    h5_close_id(mem, H5Tclose);
    h5_close_id(type, H5Tclose);
    H5Aclose(attr);
    return s;
}

/* An integer read from an attribute of any integer width or sign. */
typedef struct int_value {
    int negative; /* i < 0 (then u is meaningless) */
    int64_t i;    /* clamped to INT64_MAX for larger unsigned values */
    uint64_t u;
} int_value;

/* Enumerations (h5py stores numpy bools as an int8 enum FALSE/TRUE) are read through their
 * base integer type, which HDF5 will not convert to other integers directly. */
static herr_t read_enum_as_int(hid_t attr, hid_t type, int64_t *i, uint64_t *u, int *is_signed) {
    hid_t mem = H5Tget_native_type(type, H5T_DIR_ASCEND);
    hid_t base = mem < 0 ? -1 : H5Tget_super(mem);
    union {
        int64_t i;
        uint64_t u;
        unsigned char bytes[16];
    } buf = {0};
    herr_t rc = -1;
    if (base >= 0 && H5Tget_size(base) <= sizeof buf && H5Aread(attr, mem, &buf) >= 0) {
        *is_signed = H5Tget_sign(base) == H5T_SGN_2;
        hid_t target = *is_signed ? H5T_NATIVE_INT64 : H5T_NATIVE_UINT64;
        rc = H5Tconvert(base, target, 1, &buf, NULL, H5P_DEFAULT);
        *i = buf.i;
        *u = buf.u;
    }
    h5_close_id(base, H5Tclose);
    h5_close_id(mem, H5Tclose);
    return rc;
}

static lrnn_status attr_read_int(hid_t obj, const char *name, const char *where, const char *path,
                                 int_value *v) {
    hid_t attr;
    lrnn_status s = attr_open(obj, name, where, path, &attr);
    if (s) return s;
    hid_t type = H5Aget_type(attr);
    H5T_class_t cls = type < 0 ? H5T_NO_CLASS : H5Tget_class(type);
    int64_t i = 0;
    uint64_t u = 0;
    int is_signed = 1;
    herr_t rc = -1;
    if (cls == H5T_INTEGER) {
        is_signed = H5Tget_sign(type) == H5T_SGN_2;
        rc = is_signed ? H5Aread(attr, H5T_NATIVE_INT64, &i) : H5Aread(attr, H5T_NATIVE_UINT64, &u);
    } else if (cls == H5T_ENUM) {
        rc = read_enum_as_int(attr, type, &i, &u, &is_signed);
    } else {
        s = type < 0 ? h5_fail(LRNN_ERR_FORMAT, path, "cannot read %s '%s'", where, name)
                     : wrong_class(type, "an integer", where, name, path);
    }
    if (!s && rc < 0) s = h5_fail(LRNN_ERR_FORMAT, path, "cannot read %s '%s'", where, name);
    if (!s) {
        if (is_signed) {
            v->negative = i < 0;
            v->i = i;
            v->u = i < 0 ? 0 : (uint64_t)i;
        } else {
            v->negative = 0;
            v->u = u;
            v->i = u > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)u;
        }
    }
    h5_close_id(type, H5Tclose);
    H5Aclose(attr);
    return s;
}

static lrnn_status attr_read_double(hid_t obj, const char *name, const char *where,
                                    const char *path, double *v) {
    hid_t attr;
    lrnn_status s = attr_open(obj, name, where, path, &attr);
    if (s) return s;
    hid_t type = H5Aget_type(attr);
    H5T_class_t cls = type < 0 ? H5T_NO_CLASS : H5Tget_class(type);
    /* Integers are accepted too: a hand-edited "decay_init = 1" is no less clear. */
    if (cls != H5T_FLOAT && cls != H5T_INTEGER)
        s = type < 0 ? h5_fail(LRNN_ERR_FORMAT, path, "cannot read %s '%s'", where, name)
                     : wrong_class(type, "a number", where, name, path);
    else if (H5Aread(attr, H5T_NATIVE_DOUBLE, v) < 0)
        s = h5_fail(LRNN_ERR_FORMAT, path, "cannot read %s '%s'", where, name);
    h5_close_id(type, H5Tclose);
    H5Aclose(attr);
    return s;
}

static lrnn_status check_header(hid_t file, const char *path) {
    if (H5Aexists(file, "format") <= 0)
        return lrnn_fail(LRNN_ERR_FORMAT,
                         "%s is not an lrnn model file (it has no root attribute 'format')", path);
    char text[TEXT_MAX];
    lrnn_status s = attr_read_string(file, "format", "root attribute", path, text, sizeof text);
    if (s == LRNN_ERR_NOMEM) return s;
    if (s)
        return lrnn_fail(LRNN_ERR_FORMAT,
                         "%s is not an lrnn model file (root attribute 'format' is not a string)",
                         path);
    if (strcmp(text, FORMAT_NAME) != 0)
        return lrnn_fail(LRNN_ERR_FORMAT,
                         "%s is not an lrnn model file (format is '%s', expected '%s')", path, text,
                         FORMAT_NAME);
    int_value version;
    if ((s = attr_read_int(file, "format_version", "root attribute", path, &version))) return s;
    if (version.negative || version.i != LRNN_MODEL_FORMAT_VERSION)
        return lrnn_fail(LRNN_ERR_UNSUPPORTED,
                         "%s: written by format version %lld; this lrnn reads version %d", path,
                         (long long)version.i, LRNN_MODEL_FORMAT_VERSION);
    if ((s = attr_read_string(file, "model_type", "root attribute", path, text, sizeof text)))
        return s;
    if (!strcmp(text, "lint_rnn")) /* include/lrnn/lint_file.h */
        return lrnn_fail(LRNN_ERR_UNSUPPORTED,
                         "%s holds a LINT rate network (model type 'lint_rnn'), not a stochastic "
                         "low-rank model ('%s'); use it with lrnn lint / lrnn_lint_load",
                         path, MODEL_TYPE);
    if (strcmp(text, MODEL_TYPE) != 0)
        return lrnn_fail(LRNN_ERR_UNSUPPORTED,
                         "%s: model type '%s' is not one this lrnn loads here (expected '%s')",
                         path, text, MODEL_TYPE);
    return LRNN_OK;
}

/* Read the attribute of field f (name and kind set) from the /config group into f. */
static lrnn_status read_field(hid_t group, lrnn_config_field *f, char *text, size_t cap,
                              const char *path) {
    static const char where[] = "config attribute";
    int_value v;
    lrnn_status s;
    switch (f->kind) {
    case LRNN_FIELD_INT:
    case LRNN_FIELD_BOOL:
        if ((s = attr_read_int(group, f->name, where, path, &v))) return s;
        f->i = v.i;
        return LRNN_OK;
    case LRNN_FIELD_U64:
        if ((s = attr_read_int(group, f->name, where, path, &v))) return s;
        if (v.negative)
            return lrnn_fail(LRNN_ERR_FORMAT, "%s: %s '%s' = %lld must not be negative", path,
                             where, f->name, (long long)v.i);
        f->u = v.u;
        return LRNN_OK;
    case LRNN_FIELD_DOUBLE:
        return attr_read_double(group, f->name, where, path, &f->d);
    case LRNN_FIELD_ENUM:
        if ((s = attr_read_string(group, f->name, where, path, text, cap))) return s;
        f->s = text;
        return LRNN_OK;
    case LRNN_FIELD_LIST:
        return attr_read_string(group, f->name, where, path, f->list, sizeof f->list);
    }
    return lrnn_fail(LRNN_ERR_FORMAT, "%s: unknown config field kind", path);
}

static lrnn_status read_config(hid_t file, const char *path, lrnn_model_config *c) {
    htri_t exists = H5Lexists(file, "config", H5P_DEFAULT);
    if (exists <= 0) return lrnn_fail(LRNN_ERR_FORMAT, "%s: group '/config' is missing", path);
    hid_t group = H5Gopen2(file, "config", H5P_DEFAULT);
    if (group < 0) return h5_fail(LRNN_ERR_FORMAT, path, "cannot open group '/config'");
    /* The default config supplies the field names and kinds; every field is then read. */
    *c = lrnn_model_default_config();
    lrnn_config_field fields[LRNN_CONFIG_FIELD_COUNT];
    lrnn_model_config_fields(c, fields);
    lrnn_status s = LRNN_OK;
    for (int i = 0; i < LRNN_CONFIG_FIELD_COUNT && !s; i++) {
        char text[TEXT_MAX];
        s = read_field(group, &fields[i], text, sizeof text, path);
        if (!s && (s = lrnn_model_config_set_field(c, &fields[i])))
            s = lrnn_fail_context(LRNN_ERR_FORMAT, "%s", path);
    }
    H5Gclose(group);
    if (!s && (s = lrnn_model_config_check(c)))
        s = lrnn_fail_context(LRNN_ERR_FORMAT, "%s: invalid config", path);
    return s;
}

static lrnn_status check_finite(const double *x, const lrnn_param_entry *e, const char *path) {
    for (size_t j = 0; j < e->size; j++) {
        if (isfinite(x[j])) continue;
        if (e->ndim == 2)
            return lrnn_fail(LRNN_ERR_NUMERIC,
                             "%s: parameter '/params/%s' has a non-finite value (%g) at index "
                             "%zu (row %zu, column %zu)",
                             path, e->name, x[j], j, j / e->shape[1], j % e->shape[1]);
        return lrnn_fail(LRNN_ERR_NUMERIC,
                         "%s: parameter '/params/%s' has a non-finite value (%g) at index %zu",
                         path, e->name, x[j], j);
    }
    return LRNN_OK;
}

/* The dataset must be floating point with exactly the entry's shape. */
static lrnn_status check_param_dataset(hid_t ds, const lrnn_param_entry *e, const char *path) {
    hid_t type = H5Dget_type(ds);
    H5T_class_t cls = type < 0 ? H5T_NO_CLASS : H5Tget_class(type);
    h5_close_id(type, H5Tclose);
    if (cls != H5T_FLOAT)
        return lrnn_fail(LRNN_ERR_FORMAT,
                         "%s: parameter '/params/%s' holds %s values; parameters are float64", path,
                         e->name, h5_class_name(cls));
    hid_t space = H5Dget_space(ds);
    hsize_t dims[H5S_MAX_RANK] = {0};
    int ndim = space < 0 ? -1 : H5Sget_simple_extent_ndims(space);
    if (ndim >= 0) H5Sget_simple_extent_dims(space, dims, NULL);
    h5_close_id(space, H5Sclose);
    if (ndim < 0)
        return h5_fail(LRNN_ERR_FORMAT, path, "cannot read the shape of '/params/%s'", e->name);
    hsize_t want[2] = {e->shape[0], e->shape[1]};
    int same = ndim == e->ndim;
    for (int i = 0; same && i < ndim; i++)
        same = dims[i] == want[i];
    if (!same) {
        char found[128], expected[64];
        return lrnn_fail(LRNN_ERR_SHAPE, "%s: parameter '/params/%s' has shape %s; expected %s",
                         path, e->name, shape_text(ndim, dims, found, sizeof found),
                         shape_text(e->ndim, want, expected, sizeof expected));
    }
    return LRNN_OK;
}

/* The trainable flag follows from the config; a stored flag that disagrees means the file was
 * edited inconsistently, which is better reported than silently overridden. */
static lrnn_status check_trainable(hid_t ds, const lrnn_param_entry *e, const char *path) {
    htri_t exists = H5Aexists(ds, "trainable");
    if (exists <= 0) return LRNN_OK;
    char where[64];
    snprintf(where, sizeof where, "attribute of '/params/%s'", e->name);
    int_value v;
    lrnn_status s = attr_read_int(ds, "trainable", where, path, &v);
    if (s) return s;
    if ((v.i != 0) != e->trainable)
        return lrnn_fail(LRNN_ERR_FORMAT,
                         "%s: '/params/%s' is marked trainable = %lld but the config makes it %s",
                         path, e->name, (long long)v.i, e->trainable ? "trainable" : "fixed");
    return LRNN_OK;
}

static lrnn_status read_param(hid_t group, const lrnn_param_entry *e, double *dst,
                              const char *path) {
    if (H5Lexists(group, e->name, H5P_DEFAULT) <= 0)
        return lrnn_fail(LRNN_ERR_FORMAT, "%s: parameter dataset '/params/%s' is missing", path,
                         e->name);
    hid_t ds = H5Dopen2(group, e->name, H5P_DEFAULT);
    if (ds < 0)
        return h5_fail(LRNN_ERR_FORMAT, path, "'/params/%s' is not a readable dataset", e->name);
    lrnn_status s = check_param_dataset(ds, e, path);
    if (!s && H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, dst) < 0)
        s = h5_fail(LRNN_ERR_FORMAT, path, "cannot read '/params/%s'", e->name);
    if (!s) s = check_finite(dst, e, path);
    if (!s) s = check_trainable(ds, e, path);
    H5Dclose(ds);
    return s;
}

/* Every link in /params must be a parameter of the layout: an extra one (say W_u in a file
 * whose config has no inputs) means config and parameters disagree. */
static lrnn_status check_no_extra_params(hid_t group, const lrnn_param_layout *l,
                                         const char *path) {
    H5G_info_t info;
    if (H5Gget_info(group, &info) < 0)
        return h5_fail(LRNN_ERR_FORMAT, path, "cannot list group '/params'");
    for (hsize_t i = 0; i < info.nlinks; i++) {
        char name[TEXT_MAX];
        if (H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, i, name, sizeof name,
                               H5P_DEFAULT) < 0)
            return h5_fail(LRNN_ERR_FORMAT, path, "cannot list group '/params'");
        if (!lrnn_param_layout_find(l, name))
            return lrnn_fail(LRNN_ERR_FORMAT,
                             "%s: unexpected dataset '/params/%s' (not a parameter of the "
                             "stored config)",
                             path, name);
    }
    return LRNN_OK;
}

static lrnn_status read_params(hid_t file, const char *path, lrnn_model *model) {
    if (H5Lexists(file, "params", H5P_DEFAULT) <= 0)
        return lrnn_fail(LRNN_ERR_FORMAT, "%s: group '/params' is missing", path);
    hid_t group = H5Gopen2(file, "params", H5P_DEFAULT);
    if (group < 0) return h5_fail(LRNN_ERR_FORMAT, path, "cannot open group '/params'");
    const lrnn_param_layout *l = lrnn_model_layout(model);
    double *block = lrnn_model_params(model);
    lrnn_status s = LRNN_OK;
    for (int i = 0; i < l->count && !s; i++)
        s = read_param(group, &l->entry[i], block + l->entry[i].offset, path);
    if (!s) s = check_no_extra_params(group, l, path);
    H5Gclose(group);
    return s;
}

/* Length of the 1-D float dataset /history/<name>, or -1 (no error) when it is absent. */
static lrnn_status history_length(hid_t group, const char *name, const char *path, long long *len) {
    *len = -1;
    if (H5Lexists(group, name, H5P_DEFAULT) <= 0) return LRNN_OK;
    hid_t ds = H5Dopen2(group, name, H5P_DEFAULT);
    if (ds < 0) return h5_fail(LRNN_ERR_FORMAT, path, "'/history/%s' is not a dataset", name);
    hid_t type = H5Dget_type(ds), space = H5Dget_space(ds);
    H5T_class_t cls = type < 0 ? H5T_NO_CLASS : H5Tget_class(type);
    int ndim = space < 0 ? -1 : H5Sget_simple_extent_ndims(space);
    hsize_t dims[H5S_MAX_RANK] = {0};
    if (ndim >= 0) H5Sget_simple_extent_dims(space, dims, NULL);
    h5_close_id(type, H5Tclose);
    h5_close_id(space, H5Sclose);
    H5Dclose(ds);
    if (cls != H5T_FLOAT)
        return lrnn_fail(LRNN_ERR_FORMAT, "%s: '/history/%s' holds %s values, not float", path,
                         name, h5_class_name(cls));
    if (ndim != 1)
        return lrnn_fail(LRNN_ERR_SHAPE, "%s: '/history/%s' has %d dimensions, expected 1", path,
                         name, ndim);
    if (dims[0] > LRNN_ARRAY_MAX_ELEMENTS)
        return lrnn_fail(LRNN_ERR_NOMEM, "%s: '/history/%s' of %llu records is absurdly long", path,
                         name, (unsigned long long)dims[0]);
    *len = (long long)dims[0];
    return LRNN_OK;
}

static lrnn_status history_read_column(hid_t group, const char *name, size_t n, double **dst,
                                       const char *path) {
    *dst = malloc(n * sizeof **dst);
    if (!*dst) return lrnn_fail(LRNN_ERR_NOMEM, "%s: cannot allocate %zu history records", path, n);
    hid_t ds = H5Dopen2(group, name, H5P_DEFAULT);
    herr_t rc = ds < 0 ? -1 : H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, *dst);
    h5_close_id(ds, H5Dclose);
    if (rc < 0) return h5_fail(LRNN_ERR_FORMAT, path, "cannot read '/history/%s'", name);
    return LRNN_OK;
}

/* All four columns, of one length n, or none (then the count attribute, if any, is 0). NaN
 * is allowed: valid_bound is NaN for epochs without validation. */
static lrnn_status history_extent(hid_t group, const char *path, size_t *n) {
    long long len[HISTORY_COLUMNS];
    int present = 0;
    lrnn_status s;
    for (int k = 0; k < HISTORY_COLUMNS; k++) {
        if ((s = history_length(group, HISTORY_NAMES[k], path, &len[k]))) return s;
        present += len[k] >= 0;
    }
    for (int k = 0; present > 0 && k < HISTORY_COLUMNS; k++) {
        if (len[k] < 0)
            return lrnn_fail(LRNN_ERR_FORMAT, "%s: dataset '/history/%s' is missing", path,
                             HISTORY_NAMES[k]);
        if (len[k] != len[0])
            return lrnn_fail(LRNN_ERR_SHAPE, "%s: '/history/%s' has %lld records but '%s' has %lld",
                             path, HISTORY_NAMES[k], len[k], HISTORY_NAMES[0], len[0]);
    }
    *n = present > 0 ? (size_t)len[0] : 0;
    if (H5Aexists(group, "count") > 0) {
        int_value count;
        if ((s = attr_read_int(group, "count", "attribute of '/history'", path, &count))) return s;
        if (count.negative || count.u != *n)
            return lrnn_fail(LRNN_ERR_FORMAT,
                             "%s: '/history' attribute count = %lld but the datasets hold %zu "
                             "records",
                             path, (long long)count.i, *n);
    }
    return LRNN_OK;
}

static lrnn_status read_history(hid_t file, const char *path, lrnn_history *h) {
    memset(h, 0, sizeof *h);
    /* A file without /history simply has no records. */
    if (H5Lexists(file, "history", H5P_DEFAULT) <= 0) return LRNN_OK;
    hid_t group = H5Gopen2(file, "history", H5P_DEFAULT);
    if (group < 0) return h5_fail(LRNN_ERR_FORMAT, path, "cannot open group '/history'");
    size_t n = 0;
    lrnn_status s = history_extent(group, path, &n);
    for (int k = 0; !s && n > 0 && k < HISTORY_COLUMNS; k++)
        s = history_read_column(group, HISTORY_NAMES[k], n, history_column(h, k), path);
    H5Gclose(group);
    if (s) {
        lrnn_history_free(h);
        return s;
    }
    h->count = h->capacity = n;
    return LRNN_OK;
}

static lrnn_status load_file(const char *path, lrnn_model **out, lrnn_history *history) {
    if (out) *out = NULL;
    if (history) memset(history, 0, sizeof *history);
    if (!path || !out) return lrnn_fail(LRNN_ERR_ARG, "model load: needs a path and an output");
    hid_t file;
    lrnn_status s = h5_open_model_file(path, &file);
    if (s) return s;
    lrnn_model_config config;
    lrnn_model *model = NULL;
    if (!(s = check_header(file, path)) && !(s = read_config(file, path, &config)) &&
        (s = lrnn_model_alloc(&config, &model)))
        s = lrnn_fail_context(s, "%s", path);
    if (!s) s = read_params(file, path, model);
    if (!s && history) s = read_history(file, path, history);
    H5Fclose(file);
    if (s) {
        lrnn_model_free(model);
        if (history) lrnn_history_free(history);
        return s;
    }
    *out = model;
    return LRNN_OK;
}

/* The library never prints: HDF5's own error printing is off for the duration of each call
 * and the caller's handler is restored afterwards. */
lrnn_status lrnn_model_save(const lrnn_model *model, const char *path,
                            const lrnn_history *history) {
    h5_quiet q;
    h5_quiet_enter(&q);
    lrnn_status s = save_file(model, path, history);
    h5_quiet_leave(&q);
    return s;
}

lrnn_status lrnn_model_load(const char *path, lrnn_model **out, lrnn_history *history) {
    h5_quiet q;
    h5_quiet_enter(&q);
    lrnn_status s = load_file(path, out, history);
    h5_quiet_leave(&q);
    return s;
}
