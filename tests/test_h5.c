/* HDF5 datasets: round trips of every dtype and rank, group paths, files written directly with
 * the HDF5 API (other byte order, unsupported types, several datasets) and damaged files. */
#include <hdf5.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "lrnn/io.h"
#include "support.h"

static const lrnn_dtype all_dtypes[] = {LRNN_DTYPE_F32, LRNN_DTYPE_F64, LRNN_DTYPE_I8,
                                        LRNN_DTYPE_I16, LRNN_DTYPE_I32, LRNN_DTYPE_I64,
                                        LRNN_DTYPE_U8,  LRNN_DTYPE_BOOL};

static void assert_failure(lrnn_status got, lrnn_status want, const char *path, const char *word) {
    const char *msg = lrnn_last_error();
    if (got != want || !strstr(msg, path) || !strstr(msg, word))
        fail_msg("expected %s mentioning '%s' and '%s'; got %s: %s", lrnn_status_name(want), path,
                 word, lrnn_status_name(got), msg);
}

static void expect_ok(lrnn_status s) {
    if (s != LRNN_OK) fail_msg("%s", lrnn_last_error());
}

/* Distinct values that use the sign and the range of each type. */
static void fill(lrnn_array *a) {
    size_t n = lrnn_array_count(a);
    for (size_t i = 0; i < n; i++) {
        double v = (double)i - (double)(n / 2);
        switch (a->dtype) {
        case LRNN_DTYPE_F32:
            ((float *)a->data)[i] = (float)(v / 3.0);
            break;
        case LRNN_DTYPE_F64:
            ((double *)a->data)[i] = v / 3.0;
            break;
        case LRNN_DTYPE_I8:
            ((int8_t *)a->data)[i] = (int8_t)v;
            break;
        case LRNN_DTYPE_I16:
            ((int16_t *)a->data)[i] = (int16_t)(v * 1000);
            break;
        case LRNN_DTYPE_I32:
            ((int32_t *)a->data)[i] = (int32_t)(v * 1e8);
            break;
        case LRNN_DTYPE_I64:
            ((int64_t *)a->data)[i] = (int64_t)v * ((int64_t)1 << 40);
            break;
        case LRNN_DTYPE_U8:
            ((uint8_t *)a->data)[i] = (uint8_t)(i * 7);
            break;
        case LRNN_DTYPE_BOOL:
            ((uint8_t *)a->data)[i] = i % 3 == 0;
            break;
        }
    }
}

static void assert_same(const lrnn_array *a, const lrnn_array *b) {
    assert_int_equal(a->dtype, b->dtype);
    assert_int_equal(a->ndim, b->ndim);
    for (int d = 0; d < a->ndim; d++)
        assert_int_equal(a->shape[d], b->shape[d]);
    size_t n = lrnn_array_count(a);
    if (n) assert_memory_equal(a->data, b->data, n * lrnn_dtype_size(a->dtype));
}

static void test_round_trip_every_dtype_and_rank(void **state) {
    (void)state;
    static const size_t shapes[4][4] = {{5}, {3, 4}, {2, 3, 4}, {2, 1, 3, 2}};
    const char *path = test_path("rt.h5");
    for (size_t k = 0; k < sizeof all_dtypes / sizeof all_dtypes[0]; k++)
        for (int ndim = 1; ndim <= 4; ndim++) {
            lrnn_array a, b;
            expect_ok(lrnn_array_alloc(&a, all_dtypes[k], ndim, shapes[ndim - 1]));
            fill(&a);
            expect_ok(lrnn_h5_write(path, "/x", &a));
            expect_ok(lrnn_h5_read(path, "/x", &b));
            assert_same(&a, &b);
            lrnn_array_free(&a);
            lrnn_array_free(&b);
        }
    assert_true(test_no_temp_files(path));
}

static void test_scalar_and_empty_arrays(void **state) {
    (void)state;
    const char *path = test_path("edge.h5");
    lrnn_array a, b;
    expect_ok(lrnn_array_alloc(&a, LRNN_DTYPE_F64, 0, NULL));
    ((double *)a.data)[0] = 2.5;
    expect_ok(lrnn_h5_write(path, "s", &a));
    expect_ok(lrnn_h5_read(path, "s", &b));
    assert_same(&a, &b);
    lrnn_array_free(&a);
    lrnn_array_free(&b);
    size_t shape[2] = {0, 3};
    expect_ok(lrnn_array_alloc(&a, LRNN_DTYPE_I32, 2, shape));
    expect_ok(lrnn_h5_write(path, "e", &a));
    expect_ok(lrnn_h5_read(path, "e", &b));
    assert_same(&a, &b);
    lrnn_array_free(&a);
    lrnn_array_free(&b);
}

static void test_nested_groups_and_names(void **state) {
    (void)state;
    const char *path = test_path("nested.h5");
    lrnn_array a, b;
    size_t shape[2] = {2, 3};
    expect_ok(lrnn_array_alloc(&a, LRNN_DTYPE_F64, 2, shape));
    fill(&a);
    expect_ok(lrnn_h5_write(path, "/model/params/J", &a));
    expect_ok(lrnn_h5_read(path, "/model/params/J", &b));
    assert_same(&a, &b);
    lrnn_array_free(&b);
    expect_ok(lrnn_h5_read(path, "model/params/J", &b)); /* the leading '/' is optional */
    assert_same(&a, &b);
    lrnn_array_free(&b);
    expect_ok(lrnn_h5_read(path, NULL, &b)); /* the only dataset in the file */
    assert_same(&a, &b);
    lrnn_array_free(&b);
    assert_failure(lrnn_h5_read(path, "/model/params", &b), LRNN_ERR_ARG, path,
                   "/model/params is a group");
    assert_failure(lrnn_h5_read(path, "/model/nope/J", &b), LRNN_ERR_ARG, path,
                   "no dataset '/model/nope/J' (the file holds: /model/params/J)");
    assert_failure(lrnn_h5_read(path, "/model/params/J/x", &b), LRNN_ERR_ARG, path, "no dataset");
    assert_failure(lrnn_h5_write(path, "/", &a), LRNN_ERR_ARG, path, "not a dataset name");
    assert_failure(lrnn_h5_write(path, "g/", &a), LRNN_ERR_ARG, path, "not a dataset name");
    lrnn_array_free(&a);
}

/* Write one dataset of file type `ftype` with the HDF5 API; `data` is in memory type `mtype`. */
static void h5_put(hid_t file, const char *name, hid_t ftype, hid_t mtype, int ndim,
                   const hsize_t *dims, const void *data) {
    hid_t space = ndim ? H5Screate_simple(ndim, dims, NULL) : H5Screate(H5S_SCALAR);
    hid_t dset = H5Dcreate2(file, name, ftype, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    assert_true(dset >= 0);
    assert_true(H5Dwrite(dset, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0);
    H5Dclose(dset);
    H5Sclose(space);
}

static void test_big_endian_file_reads_natively(void **state) {
    (void)state;
    const char *path = test_path("be.h5");
    hid_t file = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    const double v[3] = {1.5, -2.25, 1e300};
    const int32_t w[3] = {-7, 70000, 3};
    hsize_t dims[1] = {3};
    h5_put(file, "f", H5T_IEEE_F64BE, H5T_NATIVE_DOUBLE, 1, dims, v);
    h5_put(file, "i", H5T_STD_I32BE, H5T_NATIVE_INT32, 1, dims, w);
    H5Fclose(file);
    lrnn_array a;
    expect_ok(lrnn_h5_read(path, "f", &a));
    assert_int_equal(a.dtype, LRNN_DTYPE_F64);
    assert_memory_equal(a.data, v, sizeof v);
    lrnn_array_free(&a);
    expect_ok(lrnn_h5_read(path, "/i", &a));
    assert_int_equal(a.dtype, LRNN_DTYPE_I32);
    assert_memory_equal(a.data, w, sizeof w);
    lrnn_array_free(&a);
    /* Two datasets: the name cannot be left out, and the message lists both. */
    assert_failure(lrnn_h5_read(path, NULL, &a), LRNN_ERR_ARG, path, "datasets: /f, /i");
}

/* A file with many datasets: the listing in the message is cut short, not overflowed. */
static void test_many_datasets_are_listed_briefly(void **state) {
    (void)state;
    const char *path = test_path("many.h5");
    hid_t file = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hsize_t dims[1] = {1};
    const double v = 1.0;
    for (int i = 0; i < 200; i++) {
        char name[64];
        snprintf(name, sizeof name, "dataset_with_a_rather_long_name_%03d", i);
        h5_put(file, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, dims, &v);
    }
    H5Fclose(file);
    lrnn_array a;
    assert_failure(lrnn_h5_read(path, NULL, &a), LRNN_ERR_ARG, path, "holds 200 datasets");
    assert_non_null(strstr(lrnn_last_error(), "_000, /"));
    assert_non_null(strstr(lrnn_last_error(), ", ...)"));
    assert_failure(lrnn_h5_read(path, "nope", &a), LRNN_ERR_ARG, path, "no dataset '/nope'");
}

static void test_unsupported_types_name_the_class(void **state) {
    (void)state;
    const char *path = test_path("types.h5");
    hid_t file = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hsize_t dims[1] = {2};
    /* Fixed-length strings of 8 bytes. */
    hid_t str = H5Tcopy(H5T_C_S1);
    H5Tset_size(str, 8);
    char text[2][8] = {"alpha", "beta"};
    h5_put(file, "names", str, str, 1, dims, text);
    H5Tclose(str);
    const uint16_t u16[2] = {1, 65535};
    h5_put(file, "u16", H5T_STD_U16LE, H5T_NATIVE_UINT16, 1, dims, u16);
    typedef struct pair {
        double x;
        int32_t k;
    } pair;
    hid_t compound = H5Tcreate(H5T_COMPOUND, sizeof(pair));
    H5Tinsert(compound, "x", HOFFSET(pair, x), H5T_NATIVE_DOUBLE);
    H5Tinsert(compound, "k", HOFFSET(pair, k), H5T_NATIVE_INT32);
    const pair pairs[2] = {{1.0, 1}, {2.0, 2}};
    h5_put(file, "pairs", compound, compound, 1, dims, pairs);
    H5Tclose(compound);
    /* An enum that is not h5py's bool. */
    hid_t colour = H5Tenum_create(H5T_NATIVE_INT8);
    int8_t red = 0, green = 1, blue = 2;
    H5Tenum_insert(colour, "RED", &red);
    H5Tenum_insert(colour, "GREEN", &green);
    H5Tenum_insert(colour, "BLUE", &blue);
    const int8_t colours[2] = {0, 2};
    h5_put(file, "colour", colour, colour, 1, dims, colours);
    H5Tclose(colour);
    H5Fclose(file);

    lrnn_array a;
    assert_failure(lrnn_h5_read(path, "/names", &a), LRNN_ERR_UNSUPPORTED, path,
                   "/names has unsupported type string");
    assert_null(a.data);
    assert_failure(lrnn_h5_read(path, "/u16", &a), LRNN_ERR_UNSUPPORTED, path,
                   "type unsigned 16-bit integer");
    assert_failure(lrnn_h5_read(path, "/pairs", &a), LRNN_ERR_UNSUPPORTED, path, "compound");
    assert_failure(lrnn_h5_read(path, "/colour", &a), LRNN_ERR_UNSUPPORTED, path, "enum");
}

/* A declared shape of 2^50 elements (chunked, nothing stored) must not be allocated. */
static void test_absurd_shape_is_refused(void **state) {
    (void)state;
    const char *path = test_path("huge.h5");
    hid_t file = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hsize_t dims[3] = {(hsize_t)1 << 20, (hsize_t)1 << 20, (hsize_t)1 << 10};
    hsize_t chunk[3] = {1, 16, 16};
    hid_t space = H5Screate_simple(3, dims, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(dcpl, 3, chunk);
    hid_t dset = H5Dcreate2(file, "big", H5T_IEEE_F32LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    assert_true(dset >= 0);
    H5Dclose(dset);
    H5Pclose(dcpl);
    H5Sclose(space);
    H5Fclose(file);
    lrnn_array a;
    assert_failure(lrnn_h5_read(path, "big", &a), LRNN_ERR_NOMEM, path, "dataset /big");
    assert_null(a.data);
}

static void test_missing_file(void **state) {
    (void)state;
    const char *path = test_path("absent.h5");
    lrnn_array a;
    assert_failure(lrnn_h5_read(path, "/x", &a), LRNN_ERR_IO, path, "cannot open");
}

static void test_garbage_file(void **state) {
    (void)state;
    const char *path = test_path("garbage.h5");
    char junk[4096];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (char)(i * 31 + 7);
    test_write_bytes(path, junk, sizeof junk);
    lrnn_array a;
    assert_failure(lrnn_h5_read(path, "/x", &a), LRNN_ERR_FORMAT, path, "not an HDF5 file");
    test_write_bytes(path, "", 0);
    assert_failure(lrnn_h5_read(path, "/x", &a), LRNN_ERR_FORMAT, path, "not an HDF5 file");
}

static void test_truncated_file(void **state) {
    (void)state;
    const char *path = test_path("truncated.h5");
    lrnn_array a;
    size_t shape[2] = {100, 50};
    expect_ok(lrnn_array_alloc(&a, LRNN_DTYPE_F64, 2, shape));
    fill(&a);
    expect_ok(lrnn_h5_write(path, "/data", &a));
    lrnn_array_free(&a);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(truncate(path, st.st_size / 2), 0);
    lrnn_status s = lrnn_h5_read(path, "/data", &a);
    assert_failure(s, LRNN_ERR_FORMAT, path, "truncated");
    assert_null(a.data);
}

/* HDF5's own error printing is off: failures put nothing on stderr. */
static void test_failures_print_nothing(void **state) {
    (void)state;
    const char *log = test_path("stderr.txt");
    fflush(stderr);
    int saved = dup(2);
    FILE *sink = fopen(log, "w");
    assert_non_null(sink);
    dup2(fileno(sink), 2);
    lrnn_array a;
    const char *garbage = test_path("garbage2.h5");
    test_write_bytes(garbage, "not hdf5 at all", 15);
    lrnn_h5_read(garbage, "/x", &a);
    lrnn_h5_read(test_path("nested.h5"), "/missing/x", &a);
    lrnn_h5_read(test_path("types.h5"), "/names", &a);
    size_t n = 2;
    lrnn_array_alloc(&a, LRNN_DTYPE_F64, 1, &n);
    lrnn_h5_write(test_path("no_dir/x.h5"), "/x", &a);
    lrnn_array_free(&a);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    fclose(sink);
    struct stat st;
    assert_int_equal(stat(log, &st), 0);
    assert_int_equal(st.st_size, 0);
}

static void test_write_to_missing_directory_leaves_nothing(void **state) {
    (void)state;
    const char *path = test_path("missing_dir/out.h5");
    lrnn_array a;
    size_t n = 4;
    expect_ok(lrnn_array_alloc(&a, LRNN_DTYPE_F32, 1, &n));
    assert_failure(lrnn_h5_write(path, "/x", &a), LRNN_ERR_IO, path, "cannot create");
    assert_false(test_file_exists(path));
    assert_true(test_no_temp_files(path));
    lrnn_array_free(&a);
}

static void test_write_replaces_the_file(void **state) {
    (void)state;
    const char *path = test_path("replace.h5");
    lrnn_array a, b;
    size_t n = 3;
    expect_ok(lrnn_array_alloc(&a, LRNN_DTYPE_F64, 1, &n));
    expect_ok(lrnn_h5_write(path, "/old", &a));
    fill(&a);
    expect_ok(lrnn_h5_write(path, "/new", &a));
    /* The file holds only the new dataset: a write replaces the file, it does not add. */
    expect_ok(lrnn_h5_read(path, NULL, &b));
    assert_same(&a, &b);
    lrnn_array_free(&b);
    assert_failure(lrnn_h5_read(path, "/old", &b), LRNN_ERR_ARG, path, "no dataset '/old'");
    assert_true(test_no_temp_files(path));
    lrnn_array_free(&a);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_every_dtype_and_rank),
        cmocka_unit_test(test_scalar_and_empty_arrays),
        cmocka_unit_test(test_nested_groups_and_names),
        cmocka_unit_test(test_big_endian_file_reads_natively),
        cmocka_unit_test(test_many_datasets_are_listed_briefly),
        cmocka_unit_test(test_unsupported_types_name_the_class),
        cmocka_unit_test(test_absurd_shape_is_refused),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_garbage_file),
        cmocka_unit_test(test_truncated_file),
        cmocka_unit_test(test_failures_print_nothing),
        cmocka_unit_test(test_write_to_missing_directory_leaves_nothing),
        cmocka_unit_test(test_write_replaces_the_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
