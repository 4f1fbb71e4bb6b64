/* .npy reader and writer: round trips, fixtures written by numpy, and bad inputs.
 *
 * Fixtures come from scripts/make_io_fixtures.py; element i (C order) of every fixture array is
 * i + 0.5 for floats, i - n/2 for signed and i for unsigned integers, i % 3 == 0 for bools. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lrnn/io.h"
#include "support.h"

#define FIXTURE(name) LRNN_SOURCE_DIR "/tests/data/io/" name

static const lrnn_dtype all_dtypes[] = {LRNN_DTYPE_F32, LRNN_DTYPE_F64, LRNN_DTYPE_I8,
                                        LRNN_DTYPE_I16, LRNN_DTYPE_I32, LRNN_DTYPE_I64,
                                        LRNN_DTYPE_U8,  LRNN_DTYPE_BOOL};

/* The failure is the expected one and its message names the file and the problem. */
static void assert_failure(lrnn_status got, lrnn_status want, const char *path, const char *word) {
    const char *msg = lrnn_last_error();
    if (got != want || !strstr(msg, path) || !strstr(msg, word))
        fail_msg("expected %s mentioning '%s' and '%s'; got %s: %s", lrnn_status_name(want), path,
                 word, lrnn_status_name(got), msg);
}

/* Value of element i of an n-element fixture (see the file comment). */
static double fixture_value(lrnn_dtype t, size_t i, size_t n) {
    switch (t) {
    case LRNN_DTYPE_F32:
    case LRNN_DTYPE_F64:
        return (double)i + 0.5;
    case LRNN_DTYPE_BOOL:
        return i % 3 == 0 ? 1.0 : 0.0;
    case LRNN_DTYPE_U8:
        return (double)i;
    default:
        return (double)i - (double)(n / 2);
    }
}

static void check_fixture(const char *name, lrnn_dtype dtype, int ndim, const size_t *shape) {
    lrnn_array a;
    lrnn_status s = lrnn_npy_read(name, &a);
    if (s != LRNN_OK) fail_msg("%s", lrnn_last_error());
    assert_int_equal(a.dtype, dtype);
    assert_int_equal(a.ndim, ndim);
    for (int d = 0; d < ndim; d++)
        assert_int_equal(a.shape[d], shape[d]);
    size_t n = lrnn_array_count(&a);
    for (size_t i = 0; i < n; i++)
        if (lrnn_array_get_f64(&a, i) != fixture_value(dtype, i, n))
            fail_msg("%s: element %zu is %g, expected %g", name, i, lrnn_array_get_f64(&a, i),
                     fixture_value(dtype, i, n));
    lrnn_array_free(&a);
}

/* ---- round trips ---- */

/* Bytes that exercise every bit pattern class: signs, extremes, NaN payloads, -0.0. */
static void fill_pattern(lrnn_array *a) {
    size_t n = lrnn_array_count(a);
    unsigned char *p = a->data;
    size_t item = lrnn_dtype_size(a->dtype);
    uint64_t x = 0x9E3779B97F4A7C15u;
    for (size_t i = 0; i < n * item; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        p[i] = (unsigned char)(x >> 24);
    }
    if (a->dtype == LRNN_DTYPE_BOOL)
        for (size_t i = 0; i < n; i++)
            p[i] &= 1;
    if (a->dtype == LRNN_DTYPE_F64 && n >= 3) {
        double special[3] = {-0.0, NAN, -INFINITY};
        memcpy(p, special, sizeof special);
    }
}

static void round_trip(lrnn_dtype dtype, int ndim, const size_t *shape) {
    lrnn_array a, b;
    assert_int_equal(lrnn_array_alloc(&a, dtype, ndim, shape), LRNN_OK);
    fill_pattern(&a);
    const char *path = test_path("round.npy");
    if (lrnn_npy_write(path, &a) != LRNN_OK) fail_msg("%s", lrnn_last_error());
    if (lrnn_npy_read(path, &b) != LRNN_OK) fail_msg("%s", lrnn_last_error());
    assert_int_equal(b.dtype, dtype);
    assert_int_equal(b.ndim, ndim);
    for (int d = 0; d < ndim; d++)
        assert_int_equal(b.shape[d], shape[d]);
    size_t bytes = lrnn_array_count(&a) * lrnn_dtype_size(dtype);
    assert_memory_equal(a.data, b.data, bytes ? bytes : 1);

    /* numpy's layout: version 1.0 and data starting on a 64-byte boundary. */
    void *raw = NULL;
    size_t size = 0;
    assert_int_equal(lrnn_file_read_all(path, 1 << 20, &raw, &size), LRNN_OK);
    assert_int_equal(((unsigned char *)raw)[6], 1);
    assert_int_equal((size - bytes) % 64, 0);
    assert_int_equal(((unsigned char *)raw)[size - bytes - 1], '\n');
    free(raw);
    lrnn_array_free(&a);
    lrnn_array_free(&b);
}

static void test_round_trip_every_dtype_and_rank(void **state) {
    (void)state;
    static const size_t shapes[5][4] = {{0}, {5}, {2, 3}, {2, 3, 4}, {2, 1, 3, 2}};
    for (size_t t = 0; t < sizeof all_dtypes / sizeof all_dtypes[0]; t++)
        for (int ndim = 0; ndim <= 4; ndim++)
            round_trip(all_dtypes[t], ndim, shapes[ndim]);
}

static void test_round_trip_empty_and_high_rank(void **state) {
    (void)state;
    const size_t empty[2] = {0, 3};
    round_trip(LRNN_DTYPE_F32, 2, empty);
    size_t ones[LRNN_ARRAY_MAX_NDIM];
    for (int d = 0; d < LRNN_ARRAY_MAX_NDIM; d++)
        ones[d] = d == 5 ? 3 : 1;
    round_trip(LRNN_DTYPE_I64, LRNN_ARRAY_MAX_NDIM, ones);
}

static void test_write_normalises_bools(void **state) {
    (void)state;
    const size_t shape[1] = {3};
    lrnn_array a, b;
    assert_int_equal(lrnn_array_alloc(&a, LRNN_DTYPE_BOOL, 1, shape), LRNN_OK);
    memcpy(a.data, "\x00\x07\x01", 3);
    const char *path = test_path("bools.npy");
    assert_int_equal(lrnn_npy_write(path, &a), LRNN_OK);
    assert_int_equal(lrnn_npy_read(path, &b), LRNN_OK);
    assert_memory_equal(b.data, "\x00\x01\x01", 3);
    lrnn_array_free(&a);
    lrnn_array_free(&b);
}

/* ---- fixtures written by numpy ---- */

static void test_numpy_c_and_fortran_order(void **state) {
    (void)state;
    const size_t s234[3] = {2, 3, 4}, s2345[4] = {2, 3, 4, 5};
    check_fixture(FIXTURE("c_f8_234.npy"), LRNN_DTYPE_F64, 3, s234);
    check_fixture(FIXTURE("fortran_f8_234.npy"), LRNN_DTYPE_F64, 3, s234);
    check_fixture(FIXTURE("fortran_i2_2345.npy"), LRNN_DTYPE_I16, 4, s2345);
}

static void test_numpy_big_endian(void **state) {
    (void)state;
    const size_t s23[2] = {2, 3}, s5[1] = {5}, s32[2] = {3, 2};
    check_fixture(FIXTURE("be_f4_23.npy"), LRNN_DTYPE_F32, 2, s23);
    check_fixture(FIXTURE("be_i4_5.npy"), LRNN_DTYPE_I32, 1, s5);
    check_fixture(FIXTURE("be_f8_fortran_32.npy"), LRNN_DTYPE_F64, 2, s32);
}

static void test_numpy_versions_2_and_3(void **state) {
    (void)state;
    const size_t s34[2] = {3, 4}, s6[1] = {6};
    check_fixture(FIXTURE("v2_f8_34.npy"), LRNN_DTYPE_F64, 2, s34);
    check_fixture(FIXTURE("v3_i8_6.npy"), LRNN_DTYPE_I64, 1, s6);
}

static void test_numpy_scalar_bool_and_integers(void **state) {
    (void)state;
    const size_t s5[1] = {5}, s7[1] = {7}, s03[2] = {0, 3};
    lrnn_array a;
    assert_int_equal(lrnn_npy_read(FIXTURE("scalar_f8.npy"), &a), LRNN_OK);
    assert_int_equal(a.ndim, 0);
    assert_int_equal(lrnn_array_count(&a), 1);
    assert_true(lrnn_array_get_f64(&a, 0) == 42.5);
    lrnn_array_free(&a);
    check_fixture(FIXTURE("bool_7.npy"), LRNN_DTYPE_BOOL, 1, s7);
    check_fixture(FIXTURE("i1_5.npy"), LRNN_DTYPE_I8, 1, s5);
    check_fixture(FIXTURE("i2_5.npy"), LRNN_DTYPE_I16, 1, s5);
    check_fixture(FIXTURE("i8_5.npy"), LRNN_DTYPE_I64, 1, s5);
    check_fixture(FIXTURE("u1_5.npy"), LRNN_DTYPE_U8, 1, s5);
    check_fixture(FIXTURE("f4_empty_03.npy"), LRNN_DTYPE_F32, 2, s03);
}

static void test_numpy_unsupported_dtypes_are_named(void **state) {
    (void)state;
    lrnn_array a;
    assert_failure(lrnn_npy_read(FIXTURE("c16_2.npy"), &a), LRNN_ERR_UNSUPPORTED, "c16_2.npy",
                   "'<c16'");
    assert_failure(lrnn_npy_read(FIXTURE("u5_2.npy"), &a), LRNN_ERR_UNSUPPORTED, "u5_2.npy",
                   "'<U5'");
    assert_failure(lrnn_npy_read(FIXTURE("object_2.npy"), &a), LRNN_ERR_UNSUPPORTED, "object_2.npy",
                   "'|O'");
    assert_non_null(strstr(lrnn_last_error(), "object"));
    assert_null(a.data);
}

/* ---- hand-made headers ---- */

/* A .npy image with the given version and header text (padded to 64 bytes like numpy), followed
 * by `ndata` data bytes. Caller frees. */
static unsigned char *make_npy(int major, const char *dict, const void *data, size_t ndata,
                               size_t *size) {
    size_t prelude = major == 1 ? 10 : 12, body = strlen(dict) + 1;
    size_t hlen = (prelude + body + 63) / 64 * 64 - prelude;
    unsigned char *b = malloc(prelude + hlen + ndata + 1);
    assert_non_null(b);
    memcpy(b, "\x93NUMPY", 6);
    b[6] = (unsigned char)major;
    b[7] = 0;
    for (size_t k = 0; k < prelude - 8; k++)
        b[8 + k] = (unsigned char)(hlen >> (8 * k));
    memset(b + prelude, ' ', hlen);
    memcpy(b + prelude, dict, body - 1);
    b[prelude + hlen - 1] = '\n';
    if (ndata) memcpy(b + prelude + hlen, data, ndata);
    *size = prelude + hlen + ndata;
    return b;
}

/* Write a hand-made file and read it back through the public file API. */
static lrnn_status read_made(const char *file, int major, const char *dict, const void *data,
                             size_t ndata, lrnn_array *out, const char **path) {
    size_t size = 0;
    unsigned char *b = make_npy(major, dict, data, ndata, &size);
    *path = test_path(file);
    test_write_bytes(*path, b, size);
    free(b);
    return lrnn_npy_read(*path, out);
}

static void test_header_syntax_variants(void **state) {
    (void)state;
    const double v[6] = {1, 2, 3, 4, 5, 6};
    static const char *const dicts[] = {
        "{'shape': (2, 3), 'fortran_order': False, 'descr': '<f8'}",
        "{\"descr\":\"<f8\",\"fortran_order\":False,\"shape\":(2,3,),}",
        "  { 'descr' : '<f8' ,\n 'fortran_order' : False , 'shape' : ( 2 , 3 ) , }  ",
        "{'descr': '<f8', 'fortran_order': False, 'shape': (2L, 3L), }",
        "{'descr': '=f8', 'fortran_order': False, 'shape': (2, 3), }",
    };
    for (size_t k = 0; k < sizeof dicts / sizeof dicts[0]; k++) {
        lrnn_array a;
        const char *path;
        if (read_made("syntax.npy", 1, dicts[k], v, sizeof v, &a, &path) != LRNN_OK)
            fail_msg("%s: %s", dicts[k], lrnn_last_error());
        assert_int_equal(a.ndim, 2);
        assert_int_equal(a.shape[0], 2);
        assert_int_equal(a.shape[1], 3);
        assert_memory_equal(a.data, v, sizeof v);
        lrnn_array_free(&a);
    }
    /* "(6)" is an int in Python, but a sloppy writer means a 1-tuple. */
    lrnn_array a;
    const char *path;
    assert_int_equal(read_made("syntax.npy", 1, "{'descr':'<f8','fortran_order':False,'shape':(6)}",
                               v, sizeof v, &a, &path),
                     LRNN_OK);
    assert_int_equal(a.ndim, 1);
    lrnn_array_free(&a);
}

static void test_trailing_bytes_tolerated_and_bools_normalised(void **state) {
    (void)state;
    const unsigned char data[6] = {0, 2, 255, 1, 0xAA, 0xBB};
    lrnn_array a;
    const char *path;
    assert_int_equal(read_made("bool.npy", 1,
                               "{'descr': '|b1', 'fortran_order': False, 'shape': (4,), }", data,
                               sizeof data, &a, &path),
                     LRNN_OK);
    assert_memory_equal(a.data, "\x00\x01\x01\x01", 4);
    lrnn_array_free(&a);
}

static void test_bad_headers(void **state) {
    (void)state;
    static const struct {
        const char *dict;
        lrnn_status status;
        const char *word;
    } cases[] = {
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (-3,), }", LRNN_ERR_FORMAT, "negative"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000000, 1000000000000), }",
         LRNN_ERR_NOMEM, "absurd"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (4096, 4096, 4096), }", LRNN_ERR_NOMEM,
         "absurd"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': "
         "(99999999999999999999999999999999,), }",
         LRNN_ERR_NOMEM, "absurd"},
        {"{'descr': '<f8', 'fortran_order': False, }", LRNN_ERR_FORMAT, "'shape'"},
        {"{'descr': '<f8', 'shape': (1,), }", LRNN_ERR_FORMAT, "'fortran_order'"},
        {"{'fortran_order': False, 'shape': (1,), }", LRNN_ERR_FORMAT, "'descr'"},
        {"{'descr' '<f8', 'fortran_order': False, 'shape': (1,), }", LRNN_ERR_FORMAT, "malformed"},
        {"{'descr': '<f8', 'fortran_order': 0, 'shape': (1,), }", LRNN_ERR_FORMAT, "True"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': [1], }", LRNN_ERR_FORMAT, "tuple"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (1,), 'x': 1}", LRNN_ERR_FORMAT, "'x'"},
        {"{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': (1,)}", LRNN_ERR_FORMAT,
         "duplicate"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (1,)} junk", LRNN_ERR_FORMAT, "after"},
        {"{'descr': '<f8, 'fortran_order': False, 'shape': (1,)}", LRNN_ERR_FORMAT, "malformed"},
        {"{'descr': '<f2', 'fortran_order': False, 'shape': (1,)}", LRNN_ERR_UNSUPPORTED, "<f2"},
        {"{'descr': '<u4', 'fortran_order': False, 'shape': (1,)}", LRNN_ERR_UNSUPPORTED, "<u4"},
        {"{'descr': '<M8[ns]', 'fortran_order': False, 'shape': (1,)}", LRNN_ERR_UNSUPPORTED,
         "datetime"},
        {"{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (1,)}", LRNN_ERR_UNSUPPORTED,
         "structured"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,"
         "1,1,1,1,1,1,1,1,1,1,1,1,1,1,1)}",
         LRNN_ERR_UNSUPPORTED, "dimensions"},
    };
    const double data[2] = {0};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        lrnn_array a;
        const char *path;
        lrnn_status s = read_made("bad_header.npy", 1, cases[k].dict, data, sizeof data, &a, &path);
        assert_failure(s, cases[k].status, path, cases[k].word);
        assert_null(a.data);
    }
}

/* A raw NUL inside descr must not end the string early and pass for '<f8'. */
static void test_nul_in_header_string(void **state) {
    (void)state;
    const double v = 1.0;
    size_t size = 0;
    unsigned char *b = make_npy(1, "{'descr': '<f8#junk', 'fortran_order': False, 'shape': (1,), }",
                                &v, sizeof v, &size);
    *(unsigned char *)memchr(b, '#', size) = 0;
    lrnn_array a;
    assert_failure(lrnn_npy_parse(b, size, "nul.npy", &a), LRNN_ERR_FORMAT, "nul.npy", "NUL");
    free(b);
}

static void test_truncated_data_says_how_much(void **state) {
    (void)state;
    const double v[5] = {1, 2, 3, 4, 5};
    lrnn_array a;
    const char *path;
    lrnn_status s =
        read_made("short.npy", 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (6,), }", v,
                  sizeof v, &a, &path);
    assert_failure(s, LRNN_ERR_FORMAT, path, "truncated");
    assert_non_null(strstr(lrnn_last_error(), "48 bytes"));
    assert_non_null(strstr(lrnn_last_error(), "has 40"));
}

/* Cut a valid numpy file at `keep` bytes, or patch byte `at`, and expect the failure. */
static void expect_damaged(const char *fixture, size_t keep, long at, unsigned char value,
                           lrnn_status want, const char *word) {
    void *raw = NULL;
    size_t size = 0;
    assert_int_equal(lrnn_file_read_all(fixture, 1 << 20, &raw, &size), LRNN_OK);
    if (at >= 0) ((unsigned char *)raw)[at] = value;
    const char *path = test_path("damaged.npy");
    test_write_bytes(path, raw, keep < size ? keep : size);
    free(raw);
    lrnn_array a;
    assert_failure(lrnn_npy_read(path, &a), want, path, word);
    assert_null(a.data);
}

static void test_damaged_files(void **state) {
    (void)state;
    const char *f = FIXTURE("c_f8_234.npy");
    expect_damaged(f, 0, -1, 0, LRNN_ERR_FORMAT, "empty");
    expect_damaged(f, 4, -1, 0, LRNN_ERR_FORMAT, "truncated");
    expect_damaged(f, 9, -1, 0, LRNN_ERR_FORMAT, "truncated");
    expect_damaged(f, 40, -1, 0, LRNN_ERR_FORMAT, "truncated");  /* inside the header */
    expect_damaged(f, 300, -1, 0, LRNN_ERR_FORMAT, "truncated"); /* inside the data */
    expect_damaged(f, SIZE_MAX, 1, 'X', LRNN_ERR_FORMAT, "magic");
    expect_damaged(f, SIZE_MAX, 6, 9, LRNN_ERR_UNSUPPORTED, "version 9.0");
    expect_damaged(f, SIZE_MAX, 7, 1, LRNN_ERR_UNSUPPORTED, "version 1.1");
    expect_damaged(f, SIZE_MAX, 9, 0x7f, LRNN_ERR_FORMAT, "header length");
    expect_damaged(FIXTURE("v2_f8_34.npy"), SIZE_MAX, 11, 0x7f, LRNN_ERR_FORMAT, "header length");
}

static void test_parse_in_memory_names_the_source(void **state) {
    (void)state;
    lrnn_array a;
    assert_failure(lrnn_npy_parse("", 0, "mem.npy", &a), LRNN_ERR_FORMAT, "mem.npy", "empty");
    assert_failure(lrnn_npy_parse("\x93NUMPY\x01", 7, "mem.npy", &a), LRNN_ERR_FORMAT, "mem.npy",
                   "truncated");
    assert_failure(lrnn_npy_parse("PK\x03\x04", 4, "mem.npy", &a), LRNN_ERR_FORMAT, "mem.npy",
                   "magic");
}

/* ---- write failures ---- */

static void test_write_to_missing_directory_leaves_nothing(void **state) {
    (void)state;
    const size_t shape[1] = {4};
    lrnn_array a;
    assert_int_equal(lrnn_array_alloc(&a, LRNN_DTYPE_F64, 1, shape), LRNN_OK);
    const char *path = test_path("no/such/dir/x.npy");
    assert_failure(lrnn_npy_write(path, &a), LRNN_ERR_IO, path, "cannot");
    assert_false(test_file_exists(path));
    assert_true(test_no_temp_files(path));
    lrnn_array_free(&a);
}

static void test_write_replaces_atomically_and_checks_arguments(void **state) {
    (void)state;
    const size_t s2[1] = {2}, s3[1] = {3};
    lrnn_array a, b, c;
    assert_int_equal(lrnn_array_alloc(&a, LRNN_DTYPE_I32, 1, s2), LRNN_OK);
    assert_int_equal(lrnn_array_alloc(&b, LRNN_DTYPE_F32, 1, s3), LRNN_OK);
    const char *path = test_path("replace.npy");
    assert_int_equal(lrnn_npy_write(path, &a), LRNN_OK);
    assert_int_equal(lrnn_npy_write(path, &b), LRNN_OK);
    assert_true(test_no_temp_files(path));
    assert_int_equal(lrnn_npy_read(path, &c), LRNN_OK);
    assert_int_equal(c.dtype, LRNN_DTYPE_F32);
    assert_int_equal(c.shape[0], 3);
    lrnn_array_free(&c);

    void *keep = b.data;
    b.data = NULL;
    assert_failure(lrnn_npy_write(path, &b), LRNN_ERR_ARG, path, "no data");
    b.data = keep;
    b.ndim = LRNN_ARRAY_MAX_NDIM + 1;
    assert_failure(lrnn_npy_write(path, &b), LRNN_ERR_ARG, path, "rank");
    b.ndim = 1;
    assert_int_equal(lrnn_npy_write(NULL, &b), LRNN_ERR_ARG);
    lrnn_array_free(&a);
    lrnn_array_free(&b);
}

static void test_read_missing_file(void **state) {
    (void)state;
    lrnn_array a;
    const char *path = test_path("absent.npy");
    assert_failure(lrnn_npy_read(path, &a), LRNN_ERR_IO, path, "cannot open");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_every_dtype_and_rank),
        cmocka_unit_test(test_round_trip_empty_and_high_rank),
        cmocka_unit_test(test_write_normalises_bools),
        cmocka_unit_test(test_numpy_c_and_fortran_order),
        cmocka_unit_test(test_numpy_big_endian),
        cmocka_unit_test(test_numpy_versions_2_and_3),
        cmocka_unit_test(test_numpy_scalar_bool_and_integers),
        cmocka_unit_test(test_numpy_unsupported_dtypes_are_named),
        cmocka_unit_test(test_header_syntax_variants),
        cmocka_unit_test(test_trailing_bytes_tolerated_and_bools_normalised),
        cmocka_unit_test(test_bad_headers),
        cmocka_unit_test(test_nul_in_header_string),
        cmocka_unit_test(test_truncated_data_says_how_much),
        cmocka_unit_test(test_damaged_files),
        cmocka_unit_test(test_parse_in_memory_names_the_source),
        cmocka_unit_test(test_write_to_missing_directory_leaves_nothing),
        cmocka_unit_test(test_write_replaces_atomically_and_checks_arguments),
        cmocka_unit_test(test_read_missing_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
