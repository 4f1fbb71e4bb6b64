/* File specs: "x.npy", "x.npz[:member]", "x.csv", "x.h5[:/path]", "x.hdf5[:/path]".
 *
 * The format comes from the extension. A spec is split at the last ':' whose left part ends
 * with a known extension, so "run:3/x.h5:/a" names dataset /a of "run:3/x.h5", "x.npz:y.npy"
 * names member y, and a file literally called "a:b.npy" (no extension before its ':') still
 * loads whole. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "lrnn/io.h"

typedef enum file_format { FMT_NONE, FMT_NPY, FMT_NPZ, FMT_CSV, FMT_H5 } file_format;

static const struct {
    const char *ext;
    file_format fmt;
} extensions[] = {
    {".npy", FMT_NPY}, {".npz", FMT_NPZ}, {".csv", FMT_CSV}, {".h5", FMT_H5}, {".hdf5", FMT_H5},
};

#define SUPPORTED "supported: .npy, .npz[:member], .csv, .h5[:/path], .hdf5[:/path]"

/* Format of the file name s[0..n) from its extension (case-insensitive: ".H5" is common). */
static file_format format_of(const char *s, size_t n) {
    for (size_t i = 0; i < sizeof extensions / sizeof extensions[0]; i++) {
        size_t m = strlen(extensions[i].ext);
        if (n <= m) continue; /* a bare ".npy" has no file name */
        const char *tail = s + n - m;
        size_t k = 0;
        while (k < m && tolower((unsigned char)tail[k]) == extensions[i].ext[k])
            k++;
        if (k == m) return extensions[i].fmt;
    }
    return FMT_NONE;
}

typedef struct file_spec {
    char *file;  /* owned copy of the file part */
    char *inner; /* member or dataset after ':' (points into file's buffer), or NULL */
    file_format fmt;
} file_spec;

static lrnn_status spec_split(const char *spec, file_spec *fs) {
    memset(fs, 0, sizeof *fs);
    if (!spec || !*spec) return lrnn_fail(LRNN_ERR_ARG, "empty file name");
    size_t n = strlen(spec);
    char *copy = malloc(n + 1);
    if (!copy) return lrnn_fail(LRNN_ERR_NOMEM, "%s: cannot allocate", spec);
    memcpy(copy, spec, n + 1);
    fs->file = copy;
    for (size_t i = n; i-- > 0;) {
        if (copy[i] != ':') continue;
        file_format fmt = format_of(copy, i);
        if (fmt == FMT_NONE) continue;
        copy[i] = '\0';
        fs->inner = copy + i + 1;
        fs->fmt = fmt;
        return LRNN_OK;
    }
    fs->fmt = format_of(copy, n);
    if (fs->fmt != FMT_NONE) return LRNN_OK;
    free(copy);
    fs->file = NULL;
    return lrnn_fail(LRNN_ERR_UNSUPPORTED, "%s: unknown file type (%s)", spec, SUPPORTED);
}

/* npy and csv hold one array: a ':name' after them is a mistake worth reporting. */
static lrnn_status check_no_inner(const file_spec *fs, const char *what) {
    if (!fs->inner) return LRNN_OK;
    return lrnn_fail(LRNN_ERR_ARG, "%s: a %s file holds a single array; ':%s' is not allowed",
                     fs->file, what, fs->inner);
}

/* Member names are given without ".npy", but accept it with too. */
static void strip_npy_suffix(char *member) {
    size_t n = strlen(member);
    if (n > 4 && strcmp(member + n - 4, ".npy") == 0) member[n - 4] = '\0';
}

lrnn_status lrnn_array_load(const char *spec, lrnn_array *out) {
    memset(out, 0, sizeof *out);
    file_spec fs;
    lrnn_status s = spec_split(spec, &fs);
    if (s != LRNN_OK) return s;
    switch (fs.fmt) {
    case FMT_NPY:
        s = check_no_inner(&fs, "npy");
        if (s == LRNN_OK) s = lrnn_npy_read(fs.file, out);
        break;
    case FMT_NPZ:
        if (fs.inner) strip_npy_suffix(fs.inner);
        s = lrnn_npz_read(fs.file, fs.inner && *fs.inner ? fs.inner : NULL, out);
        break;
    case FMT_CSV:
        s = check_no_inner(&fs, "CSV");
        if (s == LRNN_OK) s = lrnn_csv_read(fs.file, out, NULL);
        break;
    case FMT_H5:
        s = lrnn_h5_read(fs.file, fs.inner, out);
        break;
    case FMT_NONE:
        break;
    }
    free(fs.file);
    return s;
}

lrnn_status lrnn_array_save(const char *spec, const lrnn_array *a) {
    file_spec fs;
    lrnn_status s = spec_split(spec, &fs);
    if (s != LRNN_OK) return s;
    switch (fs.fmt) {
    case FMT_NPY:
        s = check_no_inner(&fs, "npy");
        if (s == LRNN_OK) s = lrnn_npy_write(fs.file, a);
        break;
    case FMT_NPZ:
        s = lrnn_fail(LRNN_ERR_UNSUPPORTED, "%s: writing .npz is not supported (use .npy or .h5)",
                      fs.file);
        break;
    case FMT_CSV:
        s = check_no_inner(&fs, "CSV");
        if (s == LRNN_OK) s = lrnn_csv_write(fs.file, a, NULL);
        break;
    case FMT_H5:
        /* Without a path the array becomes /data, which a later load finds on its own. */
        s = lrnn_h5_write(fs.file, fs.inner && *fs.inner ? fs.inner : "/data", a);
        break;
    case FMT_NONE:
        break;
    }
    free(fs.file);
    return s;
}
