/* HDF5 plumbing shared by the HDF5 readers and writers in src/io (h5.c, model_file.c,
 * train_state.c, lint_file.c). Internal: not installed, not part of the public API. */
#ifndef LRNN_IO_H5_UTIL_H
#define LRNN_IO_H5_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include <hdf5.h>

#include "lrnn/status.h"

/* The application's automatic HDF5 error handler, saved while printing is switched off. */
typedef struct h5_quiet {
    H5E_auto2_t func;
    void *data;
} h5_quiet;

/* Save the application's HDF5 error handler into q and switch automatic printing off. */
void h5_quiet_enter(h5_quiet *q);
/* Restore the handler that h5_quiet_enter saved in q. */
void h5_quiet_leave(const h5_quiet *q);

/* Innermost (most specific) message on the HDF5 error stack, copied into buf (cap bytes), or
 * fallback when the stack is empty; call right after the failing call (the next clears it). */
const char *h5_error_reason(char *buf, size_t cap, const char *fallback);

/* Name of an HDF5 type class for messages: "integer", "float", "string", ..., "unknown". */
const char *h5_class_name(H5T_class_t c);

/* Close id with close_fn (H5Dclose, H5Sclose, ...) unless it is negative (never opened). */
void h5_close_id(hid_t id, herr_t (*close_fn)(hid_t));

/* fsync the closed file tmp before a rename makes it visible (HDF5 closes without fsync);
 * fails with LRNN_ERR_IO and the message "<path>: <what>: <strerror(errno)>". */
lrnn_status h5_sync_file(const char *tmp, const char *path, const char *what);

/* Scalar attribute `name` on obj of file type ftype, written from value of memory type mtype. */
herr_t h5_attr_write(hid_t obj, const char *name, hid_t ftype, hid_t mtype, const void *value);
/* Scalar variable-length UTF-8 string attribute: what h5py writes for, and reads as, a str. */
herr_t h5_attr_write_string(hid_t obj, const char *name, const char *value);
/* Scalar int64 attribute, stored little-endian. */
herr_t h5_attr_write_i64(hid_t obj, const char *name, int64_t value);

/* lrnn_fail for an HDF5 call that failed: "<path>: <what> (<HDF5's reason>)". */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
lrnn_status h5_fail(lrnn_status code, const char *path, const char *fmt, ...);

/* Open a model file (either model type) read-only: a regular file that HDF5 recognises. */
lrnn_status h5_open_model_file(const char *path, hid_t *file);

/* Open attribute `name` of obj, which must exist; its element count goes to *points. `where`
 * names the object in messages ("root attribute", "config attribute"). */
lrnn_status h5_attr_open(hid_t obj, const char *name, const char *where, const char *path,
                         hid_t *attr, hssize_t *points);

#endif
