/* HDF5 plumbing shared by h5.c, model_file.c and train_state.c (see h5_util.h). */
#include "io/h5_util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
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
