/* File specs: the extension picks the format, ':inner' names an npz member or HDF5 dataset,
 * and mistakes (unknown extension, ':inner' on a single-array format) fail clearly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "lrnn/io.h"
#include "support.h"

#define FIXTURE(name) LRNN_SOURCE_DIR "/tests/data/io/" name

static void assert_failure(lrnn_status got, lrnn_status want, const char *name, const char *word) {
    const char *msg = lrnn_last_error();
    if (got != want || !strstr(msg, name) || !strstr(msg, word))
        fail_msg("expected %s mentioning '%s' and '%s'; got %s: %s", lrnn_status_name(want), name,
                 word, lrnn_status_name(got), msg);
}

static void expect_ok(lrnn_status s) {
    if (s != LRNN_OK) fail_msg("%s", lrnn_last_error());
}

static void make_array(lrnn_array *a) {
    size_t shape[2] = {3, 2};
    expect_ok(lrnn_array_alloc(a, LRNN_DTYPE_F64, 2, shape));
    for (size_t i = 0; i < 6; i++)
        ((double *)a->data)[i] = (double)i / 7.0 - 0.25;
}

/* Save through `save_spec`, load through `load_spec`: same float64 array back. */
static void round_trip(const char *save_spec, const char *load_spec) {
    lrnn_array a, b;
    make_array(&a);
    expect_ok(lrnn_array_save(save_spec, &a));
    expect_ok(lrnn_array_load(load_spec, &b));
    assert_int_equal(b.dtype, LRNN_DTYPE_F64);
    assert_int_equal(b.ndim, 2);
    assert_int_equal(b.shape[0], 3);
    assert_int_equal(b.shape[1], 2);
    assert_memory_equal(a.data, b.data, 6 * sizeof(double));
    lrnn_array_free(&a);
    lrnn_array_free(&b);
}

static char *spec_of(const char *file, const char *inner) {
    static char buf[4][1400];
    static int next;
    char *p = buf[next++ % 4];
    snprintf(p, sizeof buf[0], "%s%s%s", test_path(file), inner ? ":" : "", inner ? inner : "");
    return p;
}

static void test_every_format_round_trips(void **state) {
    (void)state;
    round_trip(spec_of("a.npy", NULL), spec_of("a.npy", NULL));
    round_trip(spec_of("a.csv", NULL), spec_of("a.csv", NULL));
    round_trip(spec_of("a.h5", "/g/x"), spec_of("a.h5", "/g/x"));
    round_trip(spec_of("a.h5", "/g/x"), spec_of("a.h5", NULL)); /* the only dataset */
    round_trip(spec_of("b.hdf5", NULL), spec_of("b.hdf5", "/data"));
    round_trip(spec_of("C.H5", "y"), spec_of("C.H5", "/y"));
}

static void test_colons_in_directory_names(void **state) {
    (void)state;
    char dir[1300];
    snprintf(dir, sizeof dir, "%s", test_path("run:1"));
    mkdir(dir, 0777);
    round_trip(spec_of("run:1/x.h5", "/a"), spec_of("run:1/x.h5", "/a"));
    round_trip(spec_of("run:1/x.npy", NULL), spec_of("run:1/x.npy", NULL));
    round_trip(spec_of("run:1/x.csv", NULL), spec_of("run:1/x.csv", NULL));
    /* No extension before either ':': the whole spec is the file name. */
    round_trip(spec_of("run:1/a:b.npy", NULL), spec_of("run:1/a:b.npy", NULL));
}

static void test_npz_members(void **state) {
    (void)state;
    const char *path = FIXTURE("stored_xy.npz");
    if (!test_file_exists(path)) {
        print_message("skipped: fixture %s is absent\n", path);
        skip();
    }
    lrnn_array a;
    expect_ok(lrnn_array_load(FIXTURE("stored_xy.npz") ":y", &a));
    assert_int_equal(a.dtype, LRNN_DTYPE_I32);
    assert_int_equal(a.ndim, 1);
    assert_int_equal(a.shape[0], 5);
    assert_true(lrnn_array_get_f64(&a, 0) == -2.0);
    lrnn_array_free(&a);
    expect_ok(lrnn_array_load(FIXTURE("stored_xy.npz") ":x.npy", &a));
    assert_int_equal(a.ndim, 2);
    assert_true(lrnn_array_get_f64(&a, 11) == 11.5);
    lrnn_array_free(&a);
}

static void test_unknown_extension_lists_the_supported(void **state) {
    (void)state;
    lrnn_array a;
    assert_failure(lrnn_array_load("data.mat", &a), LRNN_ERR_UNSUPPORTED, "data.mat",
                   ".npy, .npz[:member], .csv, .h5[:/path], .hdf5[:/path]");
    assert_failure(lrnn_array_load("data.txt:/x", &a), LRNN_ERR_UNSUPPORTED, "data.txt:/x",
                   "unknown file type");
    assert_failure(lrnn_array_load(".npy", &a), LRNN_ERR_UNSUPPORTED, ".npy", "unknown");
    assert_failure(lrnn_array_load("", &a), LRNN_ERR_ARG, "", "empty file name");
    assert_null(a.data);
    make_array(&a);
    assert_failure(lrnn_array_save("out.json", &a), LRNN_ERR_UNSUPPORTED, "out.json", ".csv");
    lrnn_array_free(&a);
}

static void test_inner_name_only_where_it_means_something(void **state) {
    (void)state;
    lrnn_array a;
    const char *npy = spec_of("one.npy", "member");
    assert_failure(lrnn_array_load(npy, &a), LRNN_ERR_ARG, "one.npy",
                   "single array; ':member' is not allowed");
    make_array(&a);
    assert_failure(lrnn_array_save(spec_of("one.csv", "x"), &a), LRNN_ERR_ARG, "one.csv",
                   "':x' is not allowed");
    assert_failure(lrnn_array_save(spec_of("one.npz", "x"), &a), LRNN_ERR_UNSUPPORTED, "one.npz",
                   "writing .npz");
    assert_false(test_file_exists(test_path("one.csv")));
    lrnn_array_free(&a);
}

static void test_missing_files_are_named(void **state) {
    (void)state;
    lrnn_array a;
    assert_failure(lrnn_array_load(spec_of("gone.npy", NULL), &a), LRNN_ERR_IO, "gone.npy",
                   "cannot open");
    assert_failure(lrnn_array_load(spec_of("gone.h5", "/x"), &a), LRNN_ERR_IO, "gone.h5",
                   "cannot open");
    assert_failure(lrnn_array_load(spec_of("gone.csv", NULL), &a), LRNN_ERR_IO, "gone.csv",
                   "cannot open");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_format_round_trips),
        cmocka_unit_test(test_colons_in_directory_names),
        cmocka_unit_test(test_npz_members),
        cmocka_unit_test(test_unknown_extension_lists_the_supported),
        cmocka_unit_test(test_inner_name_only_where_it_means_something),
        cmocka_unit_test(test_missing_files_are_named),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
