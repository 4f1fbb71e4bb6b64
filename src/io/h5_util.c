/* HDF5 plumbing shared by h5.c, model_file.c and train_state.c (see h5_util.h). */
#include "io/h5_util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- error handling ---- */

void h5_quiet_enter(h5_quiet *q) {
    q->func = NULL;
    q->data = NULL;
    H5Eget_auto2(H5E_DEFAULT, &q->func, &q->data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

void h5_quiet_leave(const h5_quiet *q) {
    H5Eset_auto2(H5E_DEFAULT, q->func, q->data);
}

typedef struct reason_buf {
    char *text;
    size_t cap;
} reason_buf;

static herr_t take_innermost(unsigned n, const H5E_error2_t *err, void *data) {
    reason_buf *r = data;
    /* Walking upward, entry 0 is the most specific message ("truncated file: eof = ...", or
     * "unable to open file: ... errno = 2, error message = 'No such file or directory'"). */
    if (n == 0 && err->desc) snprintf(r->text, r->cap, "%s", err->desc);
    return 0;
}

const char *h5_error_reason(char *buf, size_t cap, const char *fallback) {
    reason_buf r = {buf, cap};
    buf[0] = '\0';
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, take_innermost, &r);
    return buf[0] ? buf : fallback;
}

/* ---- types and identifiers ---- */

const char *h5_class_name(H5T_class_t c) {
    switch (c) {
    case H5T_INTEGER:
        return "integer";
    case H5T_FLOAT:
        return "float";
    case H5T_TIME:
        return "time";
    case H5T_STRING:
        return "string";
    case H5T_BITFIELD:
        return "bitfield";
    case H5T_OPAQUE:
        return "opaque";
    case H5T_COMPOUND:
        return "compound";
    case H5T_REFERENCE:
        return "reference";
    case H5T_ENUM:
        return "enum";
    case H5T_VLEN:
        return "variable-length";
    case H5T_ARRAY:
        return "array";
    default:
        return "unknown";
    }
}

void h5_close_id(hid_t id, herr_t (*close_fn)(hid_t)) {
    if (id >= 0) close_fn(id);
}

/* ---- files ---- */

lrnn_status h5_sync_file(const char *tmp, const char *path, const char *what) {
    int fd = open(tmp, O_RDONLY);
    int ok = fd >= 0 && fsync(fd) == 0;
    int saved = errno;
    if (fd >= 0) close(fd);
    if (!ok) return lrnn_fail(LRNN_ERR_IO, "%s: %s: %s", path, what, strerror(saved));
    return LRNN_OK;
}

/* ---- attributes ---- */

herr_t h5_attr_write(hid_t obj, const char *name, hid_t ftype, hid_t mtype, const void *value) {
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t attr = space < 0 ? -1 : H5Acreate2(obj, name, ftype, space, H5P_DEFAULT, H5P_DEFAULT);
    herr_t rc = attr < 0 ? -1 : H5Awrite(attr, mtype, value);
    if (attr >= 0 && H5Aclose(attr) < 0) rc = -1;
    h5_close_id(space, H5Sclose);
    return rc;
}

herr_t h5_attr_write_string(hid_t obj, const char *name, const char *value) {
    hid_t type = H5Tcopy(H5T_C_S1);
    herr_t rc = -1;
    if (type >= 0 && H5Tset_size(type, H5T_VARIABLE) >= 0 && H5Tset_cset(type, H5T_CSET_UTF8) >= 0)
        rc = h5_attr_write(obj, name, type, type, &value);
    h5_close_id(type, H5Tclose);
    return rc;
}

herr_t h5_attr_write_i64(hid_t obj, const char *name, int64_t value) {
    return h5_attr_write(obj, name, H5T_STD_I64LE, H5T_NATIVE_INT64, &value);
}

lrnn_status h5_fail(lrnn_status code, const char *path, const char *fmt, ...) {
    char what[512], why[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return lrnn_fail(code, "%s: %s (%s)", path, what,
                     h5_error_reason(why, sizeof why, "no detail from HDF5"));
}

lrnn_status h5_open_model_file(const char *path, hid_t *file) {
    *file = -1;
    struct stat st;
    if (stat(path, &st) != 0)
        return lrnn_fail(LRNN_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode)) return lrnn_fail(LRNN_ERR_IO, "%s: not a regular file", path);
    htri_t is_hdf5 = H5Fis_hdf5(path);
    if (is_hdf5 < 0) return h5_fail(LRNN_ERR_IO, path, "cannot read the file");
    if (is_hdf5 == 0)
        return lrnn_fail(LRNN_ERR_FORMAT,
                         "%s is not an HDF5 file (truncated or not a model?), so it is not an "
                         "lrnn model file",
                         path);
    *file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (*file < 0)
        return h5_fail(LRNN_ERR_FORMAT, path, "cannot open the HDF5 file (truncated or damaged?)");
    return LRNN_OK;
}

lrnn_status h5_attr_open(hid_t obj, const char *name, const char *where, const char *path,
                         hid_t *attr, hssize_t *points) {
    *attr = -1;
    *points = -1;
    htri_t exists = H5Aexists(obj, name);
    if (exists < 0) return h5_fail(LRNN_ERR_FORMAT, path, "cannot query %s '%s'", where, name);
    if (exists == 0) return lrnn_fail(LRNN_ERR_FORMAT, "%s: %s '%s' is missing", path, where, name);
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    if (a < 0) return h5_fail(LRNN_ERR_FORMAT, path, "cannot open %s '%s'", where, name);
    hid_t space = H5Aget_space(a);
    *points = space < 0 ? -1 : H5Sget_simple_extent_npoints(space);
    h5_close_id(space, H5Sclose);
    *attr = a;
    return LRNN_OK;
}
