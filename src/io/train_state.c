/* Optimiser state files: attributes format = "lrnn-train-state", format_version = 1, epoch,
 * step; datasets /m and /v (float64, one per parameter-block entry). */
#include "io/train_state.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>

#include "io/h5_util.h"
#include "lrnn/io.h"

static const char FORMAT[] = "lrnn-train-state";

/* Fixed-length ASCII string attribute: the type state files have always stored "format" as. */
static herr_t put_vector(hid_t file, const char *name, const double *x, size_t n) {
    hsize_t dims[1] = {n};
    hid_t space = H5Screate_simple(1, dims, NULL);
    hid_t set = H5Dcreate2(file, name, H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    herr_t rc = set < 0 ? -1 : H5Dwrite(set, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, x);
    h5_close_id(set, H5Dclose);
    h5_close_id(space, H5Sclose);
    return rc;
}

lrnn_status lrnn_train_state_save(const char *path, const lrnn_train_state *s) {
    char tmp[4096];
    lrnn_tmp_path(path, tmp, sizeof tmp);
    h5_quiet q;
    h5_quiet_enter(&q);
    hid_t file = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    herr_t rc = file < 0 ? -1 : 0;
    if (rc == 0)
        rc = h5_attr_write_string(file, "format", FORMAT) |
             h5_attr_write_i64(file, "format_version", 1) |
             h5_attr_write_i64(file, "epoch", s->epoch) | h5_attr_write_i64(file, "step", s->step) |
             put_vector(file, "m", s->m, s->count) | put_vector(file, "v", s->v, s->count);
    if (file >= 0 && H5Fclose(file) < 0) rc = -1;
    h5_quiet_leave(&q);
    if (rc < 0) {
        remove(tmp);
        return lrnn_fail(LRNN_ERR_IO, "%s: cannot write the optimiser state", path);
    }
    lrnn_status st = h5_sync_file(tmp, path, "cannot sync the optimiser state");
    if (!st && rename(tmp, path) != 0)
        st = lrnn_fail(LRNN_ERR_IO, "%s: cannot rename the temporary state file", path);
    if (st) remove(tmp);
    return st;
}

static int get_i64(hid_t file, const char *name, int64_t *out) {
    if (H5Aexists(file, name) <= 0) return -1;
    hid_t attr = H5Aopen(file, name, H5P_DEFAULT);
    herr_t rc = attr < 0 ? -1 : H5Aread(attr, H5T_NATIVE_INT64, out);
    h5_close_id(attr, H5Aclose);
    return rc < 0 ? -1 : 0;
}

static lrnn_status get_vector(hid_t file, const char *path, const char *name, size_t n,
                              double **out) {
    if (H5Lexists(file, name, H5P_DEFAULT) <= 0)
        return lrnn_fail(LRNN_ERR_FORMAT, "%s: dataset '/%s' is missing", path, name);
    hid_t set = H5Dopen2(file, name, H5P_DEFAULT);
    hid_t space = set < 0 ? -1 : H5Dget_space(set);
    hsize_t dims[2] = {0, 0};
    int rank = space < 0 ? -1 : H5Sget_simple_extent_dims(space, dims, NULL);
    lrnn_status st = LRNN_OK;
    if (rank != 1 || dims[0] != n) {
        st = lrnn_fail(LRNN_ERR_SHAPE, "%s: '/%s' has %llu entries; the model has %zu parameters",
                       path, name, rank == 1 ? (unsigned long long)dims[0] : 0ull, n);
    } else if (!(*out = malloc((n ? n : 1) * sizeof **out))) {
        st = lrnn_fail(LRNN_ERR_NOMEM, "%s: out of memory", path);
    } else if (H5Dread(set, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, *out) < 0) {
        st = lrnn_fail(LRNN_ERR_FORMAT, "%s: cannot read '/%s'", path, name);
    } else {
        for (size_t i = 0; i < n; i++)
            if (!isfinite((*out)[i])) {
                st = lrnn_fail(LRNN_ERR_NUMERIC, "%s: '/%s'[%zu] is not finite", path, name, i);
                break;
            }
    }
    h5_close_id(space, H5Sclose);
    h5_close_id(set, H5Dclose);
    return st;
}

lrnn_status lrnn_train_state_load(const char *path, size_t expect_count, lrnn_train_state *s) {
    memset(s, 0, sizeof *s);
    h5_quiet q;
    h5_quiet_enter(&q);
    lrnn_status st = LRNN_OK;
    hid_t file = H5Fis_hdf5(path) > 0 ? H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT) : -1;
    int64_t version = 0;
    if (file < 0) {
        st = lrnn_fail(LRNN_ERR_IO, "%s: not a readable HDF5 file", path);
    } else if (H5Aexists(file, "format") <= 0 || get_i64(file, "format_version", &version) ||
               get_i64(file, "epoch", &s->epoch) || get_i64(file, "step", &s->step)) {
        st = lrnn_fail(LRNN_ERR_FORMAT, "%s: not an lrnn optimiser state file", path);
    } else if (version != 1) {
        st = lrnn_fail(LRNN_ERR_UNSUPPORTED, "%s: state format version %lld; this lrnn reads 1",
                       path, (long long)version);
    } else if (s->epoch < 0 || s->step < 0) {
        st = lrnn_fail(LRNN_ERR_FORMAT, "%s: negative epoch or step", path);
    } else {
        s->count = expect_count;
        st = get_vector(file, path, "m", expect_count, &s->m);
        if (!st) st = get_vector(file, path, "v", expect_count, &s->v);
    }
    h5_close_id(file, H5Fclose);
    h5_quiet_leave(&q);
    if (st) lrnn_train_state_free(s);
    return st;
}

void lrnn_train_state_free(lrnn_train_state *s) {
    free(s->m);
    free(s->v);
    memset(s, 0, sizeof *s);
}
