/* HDF5 datasets as lrnn arrays.
 *
 * HDF5 prints its error stack to stderr by default; the library must never print, so every
 * entry point switches automatic printing off for its duration (and restores the
 * application's handler afterwards) and turns the innermost message of the error stack into
 * the lrnn message, next to the file and dataset names.
 *
 * Files are written with little-endian standard types and the earliest file format, so that
 * h5py, MATLAB and older HDF5 versions read them. Booleans use h5py's convention (an enum of
 * int8 with FALSE = 0 and TRUE = 1), so that numpy sees dtype bool. */
#include <errno.h>
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "io/h5_util.h"
#include "lrnn/io.h"

/* ---- error handling ---- */

typedef struct h5_reason_buf {
    char text[512];
} h5_reason_buf;

/* The most specific message on the HDF5 error stack. Call right after the failing call: the
 * next API call clears the stack. */
static const char *h5_reason(h5_reason_buf *r) {
    return h5_error_reason(r->text, sizeof r->text, "unknown HDF5 error");
}

/* ---- types ---- */

/* h5py's boolean: enum of int8 {FALSE = 0, TRUE = 1}. Caller closes. */
static hid_t bool_type_create(void) {
    hid_t t = H5Tenum_create(H5T_NATIVE_INT8);
    if (t < 0) return t;
    int8_t no = 0, yes = 1;
    if (H5Tenum_insert(t, "FALSE", &no) < 0 || H5Tenum_insert(t, "TRUE", &yes) < 0) {
        H5Tclose(t);
        return -1;
    }
    return t;
}

static int enum_is_bool(hid_t t) {
    if (H5Tget_nmembers(t) != 2) return 0;
    hid_t base = H5Tget_super(t);
    if (base < 0) return 0;
    int one_byte_int = H5Tget_class(base) == H5T_INTEGER && H5Tget_size(base) == 1;
    H5Tclose(base);
    if (!one_byte_int) return 0;
    char name[8];
    int8_t no = 0, yes = 1;
    if (H5Tenum_nameof(t, &no, name, sizeof name) < 0 || strcmp(name, "FALSE") != 0) return 0;
    if (H5Tenum_nameof(t, &yes, name, sizeof name) < 0 || strcmp(name, "TRUE") != 0) return 0;
    return 1;
}

/* Map a file type to the lrnn dtype, or describe why it cannot be (into `why`). */
static int dtype_of(hid_t ftype, lrnn_dtype *dt, char *why, size_t cap) {
    H5T_class_t c = H5Tget_class(ftype);
    size_t size = H5Tget_size(ftype);
    if (c == H5T_FLOAT && (size == 4 || size == 8)) {
        *dt = size == 4 ? LRNN_DTYPE_F32 : LRNN_DTYPE_F64;
        return 1;
    }
    if (c == H5T_INTEGER) {
        int is_signed = H5Tget_sign(ftype) == H5T_SGN_2;
        static const lrnn_dtype by_size[9] = {
            [1] = LRNN_DTYPE_I8, [2] = LRNN_DTYPE_I16, [4] = LRNN_DTYPE_I32, [8] = LRNN_DTYPE_I64};
        if (is_signed && size <= 8 && (size == 1 || size == 2 || size == 4 || size == 8)) {
            *dt = by_size[size];
            return 1;
        }
        if (!is_signed && size == 1) {
            *dt = LRNN_DTYPE_U8;
            return 1;
        }
        snprintf(why, cap, "%s %zu-bit integer", is_signed ? "signed" : "unsigned", size * 8);
        return 0;
    }
    if (c == H5T_ENUM && enum_is_bool(ftype)) {
        *dt = LRNN_DTYPE_BOOL;
        return 1;
    }
    if (c == H5T_FLOAT)
        snprintf(why, cap, "%zu-bit float", size * 8);
    else
        snprintf(why, cap, "%s", h5_class_name(c));
    return 0;
}

/* Memory type for a dtype (caller closes; HDF5 converts byte order on read and write). */
static hid_t mem_type(lrnn_dtype dt) {
    switch (dt) {
    case LRNN_DTYPE_F32:
        return H5Tcopy(H5T_NATIVE_FLOAT);
    case LRNN_DTYPE_F64:
        return H5Tcopy(H5T_NATIVE_DOUBLE);
    case LRNN_DTYPE_I8:
        return H5Tcopy(H5T_NATIVE_INT8);
    case LRNN_DTYPE_I16:
        return H5Tcopy(H5T_NATIVE_INT16);
    case LRNN_DTYPE_I32:
        return H5Tcopy(H5T_NATIVE_INT32);
    case LRNN_DTYPE_I64:
        return H5Tcopy(H5T_NATIVE_INT64);
    case LRNN_DTYPE_U8:
        return H5Tcopy(H5T_NATIVE_UINT8);
    case LRNN_DTYPE_BOOL:
        return bool_type_create();
    }
    return -1;
}

/* Type stored in files: little-endian whatever the host, as numpy and h5py write by default. */
static hid_t file_type(lrnn_dtype dt) {
    switch (dt) {
    case LRNN_DTYPE_F32:
        return H5Tcopy(H5T_IEEE_F32LE);
    case LRNN_DTYPE_F64:
        return H5Tcopy(H5T_IEEE_F64LE);
    case LRNN_DTYPE_I8:
        return H5Tcopy(H5T_STD_I8LE);
    case LRNN_DTYPE_I16:
        return H5Tcopy(H5T_STD_I16LE);
    case LRNN_DTYPE_I32:
        return H5Tcopy(H5T_STD_I32LE);
    case LRNN_DTYPE_I64:
        return H5Tcopy(H5T_STD_I64LE);
    case LRNN_DTYPE_U8:
        return H5Tcopy(H5T_STD_U8LE);
    case LRNN_DTYPE_BOOL:
        return bool_type_create();
    }
    return -1;
}

/* ---- listing datasets ---- */

typedef struct ds_list {
    size_t count;
    int full;         /* text had no room for more names */
    char first[1024]; /* full path of the first dataset found */
    char text[768];   /* "/a, /g/b, ..." for messages */
} ds_list;

static herr_t collect_dataset(hid_t group, const char *name, const H5L_info_t *info, void *data) {
    ds_list *list = data;
    /* Soft and external links would name the same dataset twice or leave the file. */
    if (info->type != H5L_TYPE_HARD) return 0;
    hid_t obj = H5Oopen(group, name, H5P_DEFAULT);
    if (obj < 0) return 0;
    int is_dataset = H5Iget_type(obj) == H5I_DATASET;
    H5Oclose(obj);
    if (!is_dataset) return 0;
    if (list->count == 0) snprintf(list->first, sizeof list->first, "/%s", name);
    size_t used = strlen(list->text);
    if (!list->full && used + strlen(name) + 8 < sizeof list->text) {
        snprintf(list->text + used, sizeof list->text - used, "%s/%s", used ? ", " : "", name);
    } else if (!list->full) {
        /* Room for ", ..." is kept by the +8 above. */
        snprintf(list->text + used, sizeof list->text - used, "%s...", used ? ", " : "");
        list->full = 1;
    }
    list->count++;
    return 0;
}

static void list_datasets(hid_t file, ds_list *list) {
    memset(list, 0, sizeof *list);
    H5Lvisit(file, H5_INDEX_NAME, H5_ITER_INC, collect_dataset, list);
}

/* ---- reading ---- */

static lrnn_status open_for_read(const char *path, hid_t *file) {
    struct stat st;
    if (stat(path, &st) != 0)
        return lrnn_fail(LRNN_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode)) return lrnn_fail(LRNN_ERR_IO, "%s: not a regular file", path);
    h5_reason_buf r;
    htri_t is_h5 = H5Fis_hdf5(path);
    if (is_h5 == 0) return lrnn_fail(LRNN_ERR_FORMAT, "%s: not an HDF5 file", path);
    if (is_h5 < 0)
        return lrnn_fail(LRNN_ERR_FORMAT, "%s: not a readable HDF5 file (%s)", path, h5_reason(&r));
    *file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (*file < 0)
        return lrnn_fail(LRNN_ERR_FORMAT, "%s: damaged or truncated HDF5 file (%s)", path,
                         h5_reason(&r));
    return LRNN_OK;
}

/* 1 when every component of the absolute path `name` exists as a link. H5Lexists fails on a
 * missing intermediate group, so the path is checked one prefix at a time. */
static int path_exists(hid_t file, const char *name) {
    size_t n = strlen(name);
    char *buf = malloc(n + 1);
    if (!buf) return 0;
    memcpy(buf, name, n + 1);
    int ok = 1;
    for (size_t i = 1; i <= n && ok; i++) {
        if (buf[i] != '/' && buf[i] != '\0') continue;
        char saved = buf[i];
        buf[i] = '\0';
        ok = H5Lexists(file, buf, H5P_DEFAULT) > 0;
        buf[i] = saved;
    }
    free(buf);
    return ok;
}

/* Resolve the dataset name: "/a/b" or "a/b"; NULL, "" or "/" pick the file's only dataset. */
static lrnn_status resolve_name(const char *path, hid_t file, const char *dataset, char *name,
                                size_t cap) {
    if (dataset && dataset[0] != '\0' && strcmp(dataset, "/") != 0) {
        int n = snprintf(name, cap, "%s%s", dataset[0] == '/' ? "" : "/", dataset);
        if (n < 0 || (size_t)n >= cap)
            return lrnn_fail(LRNN_ERR_ARG, "%s: dataset name too long", path);
        size_t len = (size_t)n;
        while (len > 1 && name[len - 1] == '/')
            name[--len] = '\0';
        if (path_exists(file, name)) return LRNN_OK;
        ds_list list;
        list_datasets(file, &list);
        return lrnn_fail(LRNN_ERR_ARG, "%s: no dataset '%s' (the file holds: %s)", path, name,
                         list.count ? list.text : "no datasets");
    }
    ds_list list;
    list_datasets(file, &list);
    if (list.count == 1) {
        snprintf(name, cap, "%s", list.first);
        return LRNN_OK;
    }
    if (list.count == 0) return lrnn_fail(LRNN_ERR_FORMAT, "%s: the file holds no datasets", path);
    return lrnn_fail(LRNN_ERR_ARG,
                     "%s: the file holds %zu datasets; name one as %s:/path (datasets: %s)", path,
                     list.count, path, list.text);
}

static lrnn_status read_shape(const char *path, const char *name, hid_t dset, int *ndim,
                              size_t *shape) {
    h5_reason_buf r;
    hid_t space = H5Dget_space(dset);
    if (space < 0)
        return lrnn_fail(LRNN_ERR_FORMAT, "%s: dataset %s: cannot read its shape (%s)", path, name,
                         h5_reason(&r));
    H5S_class_t kind = H5Sget_simple_extent_type(space);
    int rank = kind == H5S_SIMPLE ? H5Sget_simple_extent_ndims(space) : 0;
    hsize_t dims[H5S_MAX_RANK];
    int ok =
        kind == H5S_SCALAR || (kind == H5S_SIMPLE && rank >= 0 && rank <= LRNN_ARRAY_MAX_NDIM &&
                               H5Sget_simple_extent_dims(space, dims, NULL) == rank);
    H5Sclose(space);
    if (kind == H5S_NULL)
        return lrnn_fail(LRNN_ERR_FORMAT, "%s: dataset %s holds no data (null dataspace)", path,
                         name);
    if (!ok) return lrnn_fail(LRNN_ERR_FORMAT, "%s: dataset %s: unreadable dataspace", path, name);
    *ndim = rank;
    for (int d = 0; d < rank; d++)
        shape[d] = (size_t)dims[d];
    return LRNN_OK;
}

static lrnn_status read_type(const char *path, const char *name, hid_t dset, lrnn_dtype *dt) {
    h5_reason_buf r;
    hid_t ftype = H5Dget_type(dset);
    if (ftype < 0)
        return lrnn_fail(LRNN_ERR_FORMAT, "%s: dataset %s: cannot read its type (%s)", path, name,
                         h5_reason(&r));
    char why[128];
    int ok = dtype_of(ftype, dt, why, sizeof why);
    H5Tclose(ftype);
    if (!ok)
        return lrnn_fail(LRNN_ERR_UNSUPPORTED,
                         "%s: dataset %s has unsupported type %s (lrnn reads float32/64, "
                         "int8/16/32/64, uint8 and bool)",
                         path, name, why);
    return LRNN_OK;
}

static lrnn_status read_dataset(const char *path, const char *name, hid_t dset, lrnn_array *out) {
    lrnn_dtype dt = LRNN_DTYPE_F64;
    int ndim = 0;
    size_t shape[LRNN_ARRAY_MAX_NDIM];
    lrnn_status s = read_type(path, name, dset, &dt);
    if (s == LRNN_OK) s = read_shape(path, name, dset, &ndim, shape);
    if (s != LRNN_OK) return s;
    /* The allocation guards against absurd shapes; its message lacks the names. */
    s = lrnn_array_alloc(out, dt, ndim, shape);
    if (s != LRNN_OK) return lrnn_fail_context(s, "%s: dataset %s", path, name);
    if (lrnn_array_count(out) == 0) return LRNN_OK;
    h5_reason_buf r;
    hid_t mtype = mem_type(dt);
    herr_t err = mtype < 0 ? -1 : H5Dread(dset, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, out->data);
    if (err < 0) {
        s = lrnn_fail(LRNN_ERR_FORMAT, "%s: dataset %s: cannot read the data (%s)", path, name,
                      h5_reason(&r));
        lrnn_array_free(out);
    }
    h5_close_id(mtype, H5Tclose);
    return s;
}

static lrnn_status read_quiet(const char *path, const char *dataset, lrnn_array *out) {
    hid_t file = -1;
    lrnn_status s = open_for_read(path, &file);
    if (s != LRNN_OK) return s;
    char name[1024];
    s = resolve_name(path, file, dataset, name, sizeof name);
    hid_t obj = s == LRNN_OK ? H5Oopen(file, name, H5P_DEFAULT) : -1;
    if (s == LRNN_OK && obj < 0) {
        h5_reason_buf r;
        s = lrnn_fail(LRNN_ERR_FORMAT, "%s: cannot open %s (%s)", path, name, h5_reason(&r));
    } else if (s == LRNN_OK && H5Iget_type(obj) != H5I_DATASET) {
        s = lrnn_fail(LRNN_ERR_ARG, "%s: %s is a group, not a dataset", path, name);
    } else if (s == LRNN_OK) {
        s = read_dataset(path, name, obj, out);
    }
    h5_close_id(obj, H5Oclose);
    H5Fclose(file);
    return s;
}

lrnn_status lrnn_h5_read(const char *path, const char *dataset, lrnn_array *out) {
    memset(out, 0, sizeof *out);
    h5_quiet q;
    h5_quiet_enter(&q);
    lrnn_status s = read_quiet(path, dataset, out);
    h5_quiet_leave(&q);
    return s;
}

/* ---- writing ---- */

static hid_t create_space(const lrnn_array *a) {
    if (a->ndim == 0) return H5Screate(H5S_SCALAR);
    hsize_t dims[LRNN_ARRAY_MAX_NDIM];
    for (int d = 0; d < a->ndim; d++)
        dims[d] = (hsize_t)a->shape[d];
    return H5Screate_simple(a->ndim, dims, NULL);
}

/* Create `name` in an open file and write the array; groups on the way are created. */
static lrnn_status write_dataset(const char *path, hid_t file, const char *name,
                                 const lrnn_array *a) {
    h5_reason_buf r;
    hid_t space = create_space(a), ftype = file_type(a->dtype), mtype = mem_type(a->dtype);
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    hid_t dset = -1;
    lrnn_status s = LRNN_OK;
    if (space < 0 || ftype < 0 || mtype < 0 || lcpl < 0 ||
        H5Pset_create_intermediate_group(lcpl, 1) < 0) {
        s = lrnn_fail(LRNN_ERR_NOMEM, "%s: cannot set up dataset %s (%s)", path, name,
                      h5_reason(&r));
    } else if ((dset = H5Dcreate2(file, name, ftype, space, lcpl, H5P_DEFAULT, H5P_DEFAULT)) < 0) {
        s = lrnn_fail(LRNN_ERR_IO, "%s: cannot create dataset %s (%s)", path, name, h5_reason(&r));
    } else if (lrnn_array_count(a) > 0 &&
               H5Dwrite(dset, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, a->data) < 0) {
        s = lrnn_fail(LRNN_ERR_IO, "%s: cannot write dataset %s (%s)", path, name, h5_reason(&r));
    }
    h5_close_id(dset, H5Dclose);
    h5_close_id(lcpl, H5Pclose);
    h5_close_id(mtype, H5Tclose);
    h5_close_id(ftype, H5Tclose);
    h5_close_id(space, H5Sclose);
    return s;
}

/* Write the whole file under the temporary name `tmp`; `path` is the name users see. */
static lrnn_status write_file(const char *tmp, const char *path, const char *name,
                              const lrnn_array *a) {
    h5_reason_buf r;
    hid_t file = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (file < 0) return lrnn_fail(LRNN_ERR_IO, "%s: cannot create (%s)", path, h5_reason(&r));
    lrnn_status s = write_dataset(path, file, name, a);
    if (H5Fclose(file) < 0 && s == LRNN_OK)
        s = lrnn_fail(LRNN_ERR_IO, "%s: cannot finish writing (%s)", path, h5_reason(&r));
    return s;
}

static lrnn_status check_write_args(const char *path, const char *dataset, const lrnn_array *a) {
    if (!path || !dataset || !a) return lrnn_fail(LRNN_ERR_ARG, "h5 write: missing argument");
    const char *p = dataset;
    while (*p == '/')
        p++;
    if (*p == '\0' || dataset[strlen(dataset) - 1] == '/')
        return lrnn_fail(LRNN_ERR_ARG, "%s: '%s' is not a dataset name", path, dataset);
    if (a->ndim < 0 || a->ndim > LRNN_ARRAY_MAX_NDIM || (!a->data && lrnn_array_count(a) > 0))
        return lrnn_fail(LRNN_ERR_ARG, "%s: dataset %s: invalid array", path, dataset);
    return LRNN_OK;
}

lrnn_status lrnn_h5_write(const char *path, const char *dataset, const lrnn_array *a) {
    lrnn_status s = check_write_args(path, dataset, a);
    if (s != LRNN_OK) return s;
    char tmp[4096];
    lrnn_tmp_path(path, tmp, sizeof tmp);
    h5_quiet q;
    h5_quiet_enter(&q);
    s = write_file(tmp, path, dataset, a);
    h5_quiet_leave(&q);
    if (s == LRNN_OK) s = h5_sync_file(tmp, path, "cannot sync");
    if (s == LRNN_OK && rename(tmp, path) != 0)
        s = lrnn_fail(LRNN_ERR_IO, "%s: cannot rename temporary file: %s", path, strerror(errno));
    if (s != LRNN_OK) remove(tmp);
    return s;
}
