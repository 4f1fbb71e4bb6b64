/* Reading and writing arrays: .npy, .npz, CSV and HDF5 datasets.
 *
 * Every reader validates what it reads and fails with a message that names the file and the
 * problem (truncated, bad header, unsupported dtype, absurd size, ...). Every writer is atomic:
 * it writes "<path>.tmp.<pid>" and renames it over <path>, so a failed write leaves nothing
 * half-written behind. */
#ifndef LRNN_IO_H
#define LRNN_IO_H

#include <stddef.h>

#include "lrnn/array.h"
#include "lrnn/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- .npy (format versions 1.0, 2.0, 3.0; any rank; C or Fortran order; either endianness;
 *      dtypes float32/float64/int8/int16/int32/int64/uint8/bool) ---- */

/* Parse an in-memory .npy image. `name` is used in error messages only. */
lrnn_status lrnn_npy_parse(const void *bytes, size_t size, const char *name, lrnn_array *out);
lrnn_status lrnn_npy_read(const char *path, lrnn_array *out);
/* Writes format 1.0 (2.0 when the header needs it), little-endian, C order. */
lrnn_status lrnn_npy_write(const char *path, const lrnn_array *a);

/* ---- .npz (zip archive of .npy members, stored or deflated) ---- */

/* Parse an in-memory .npz image; `member` is the array name without ".npy" (NULL: the archive
 * must hold exactly one array). */
lrnn_status lrnn_npz_parse(const void *bytes, size_t size, const char *name, const char *member,
                           lrnn_array *out);
lrnn_status lrnn_npz_read(const char *path, const char *member, lrnn_array *out);

/* ---- CSV: numeric, comma-separated, optional single header row; 2-D float64 ---- */

/* *has_header (may be NULL) is set when the first row was a non-numeric header. Empty cells and
 * "nan"/"NaN" read as NaN. Ragged rows are an error. */
lrnn_status lrnn_csv_parse(const char *text, size_t size, const char *name, lrnn_array *out,
                           int *has_header);
lrnn_status lrnn_csv_read(const char *path, lrnn_array *out, int *has_header);
/* Writes a 1-D or 2-D array with %.17g; `header` (may be NULL) is written as the first line. */
lrnn_status lrnn_csv_write(const char *path, const lrnn_array *a, const char *header);

/* ---- HDF5 datasets, addressed "file.h5:/group/name" ---- */

lrnn_status lrnn_h5_read(const char *path, const char *dataset, lrnn_array *out);
/* Creates or replaces the file atomically with one dataset (groups created as needed). */
lrnn_status lrnn_h5_write(const char *path, const char *dataset, const lrnn_array *a);

/* ---- Dispatch on a file spec ----
 * "x.npy"; "x.npz" or "x.npz:name"; "x.csv"; "x.h5:/path" or "x.hdf5:/path" (a file with a
 * single dataset may omit the path). */
lrnn_status lrnn_array_load(const char *spec, lrnn_array *out);
lrnn_status lrnn_array_save(const char *spec, const lrnn_array *a);

/* ---- helpers shared by the readers and writers ---- */

/* Read a whole file into memory (caller frees *bytes). Fails on files above max_size. */
lrnn_status lrnn_file_read_all(const char *path, size_t max_size, void **bytes, size_t *size);
/* Atomic write: temp name "<path>.tmp.<pid>" receives `size` bytes, fsync, rename. */
lrnn_status lrnn_file_write_atomic(const char *path, const void *bytes, size_t size);
/* Build the temporary name used for atomic writes of `path`. */
void lrnn_tmp_path(const char *path, char *buf, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
