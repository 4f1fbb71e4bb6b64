/* .npz reader: archives written by numpy (stored and deflated), zip64 records, and damaged
 * archives. Fixtures come from scripts/make_io_fixtures.py: x = arange(12).reshape(3, 4) + 0.5
 * (float64), y = arange(5) - 2 (int32). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include <cmocka.h>

#include "lrnn/io.h"
#include "support.h"

#define FIXTURE(name) LRNN_SOURCE_DIR "/tests/data/io/" name

static void assert_failure(lrnn_status got, lrnn_status want, const char *path, const char *word) {
    const char *msg = lrnn_last_error();
    if (got != want || !strstr(msg, path) || !strstr(msg, word))
        fail_msg("expected %s mentioning '%s' and '%s'; got %s: %s", lrnn_status_name(want), path,
                 word, lrnn_status_name(got), msg);
}

static void check_x(const lrnn_array *a) {
    assert_int_equal(a->dtype, LRNN_DTYPE_F64);
    assert_int_equal(a->ndim, 2);
    assert_int_equal(a->shape[0], 3);
    assert_int_equal(a->shape[1], 4);
    for (size_t i = 0; i < 12; i++)
        assert_true(lrnn_array_get_f64(a, i) == (double)i + 0.5);
}

static void check_y(const lrnn_array *a) {
    assert_int_equal(a->dtype, LRNN_DTYPE_I32);
    assert_int_equal(a->ndim, 1);
    assert_int_equal(a->shape[0], 5);
    for (size_t i = 0; i < 5; i++)
        assert_true(lrnn_array_get_f64(a, i) == (double)i - 2.0);
}

static void read_xy(const char *path) {
    lrnn_array a;
    if (lrnn_npz_read(path, "x", &a) != LRNN_OK) fail_msg("%s", lrnn_last_error());
    check_x(&a);
    lrnn_array_free(&a);
    if (lrnn_npz_read(path, "y.npy", &a) != LRNN_OK) fail_msg("%s", lrnn_last_error());
    check_y(&a);
    lrnn_array_free(&a);
}

/* ---- archives written by numpy ---- */

static void test_numpy_savez_stored(void **state) {
    (void)state;
    read_xy(FIXTURE("stored_xy.npz"));
}

static void test_numpy_savez_compressed(void **state) {
    (void)state;
    read_xy(FIXTURE("deflated_xy.npz"));
}

/* What Python writes past 4 GiB: zip64 sizes/offsets in the directory and a zip64 end record. */
static void test_python_zip64_archive(void **state) {
    (void)state;
    read_xy(FIXTURE("zip64_xy.npz"));
}

static void test_single_member_needs_no_name(void **state) {
    (void)state;
    lrnn_array a;
    assert_int_equal(lrnn_npz_read(FIXTURE("single.npz"), NULL, &a), LRNN_OK);
    assert_int_equal(a.dtype, LRNN_DTYPE_F32);
    assert_int_equal(a.shape[0], 2);
    assert_int_equal(a.shape[1], 2);
    for (size_t i = 0; i < 4; i++)
        assert_true(lrnn_array_get_f64(&a, i) == (double)i + 0.5);
    lrnn_array_free(&a);
    assert_int_equal(lrnn_npz_read(FIXTURE("single.npz"), "arr_0", &a), LRNN_OK);
    lrnn_array_free(&a);
}

static void test_fortran_big_endian_member(void **state) {
    (void)state;
    lrnn_array a;
    assert_int_equal(lrnn_npz_read(FIXTURE("fortran.npz"), "f", &a), LRNN_OK);
    assert_int_equal(a.ndim, 3);
    for (size_t i = 0; i < 24; i++)
        assert_true(lrnn_array_get_f64(&a, i) == (double)i + 0.5);
    lrnn_array_free(&a);
}

static void test_member_choice_errors(void **state) {
    (void)state;
    const char *path = FIXTURE("stored_xy.npz");
    lrnn_array a;
    assert_failure(lrnn_npz_read(path, NULL, &a), LRNN_ERR_ARG, path, "x, y");
    assert_failure(lrnn_npz_read(path, "z", &a), LRNN_ERR_ARG, path, "available: x, y");
    assert_non_null(strstr(lrnn_last_error(), "'z'"));
    assert_null(a.data);
}

static void test_other_compression_unsupported(void **state) {
    (void)state;
    lrnn_array a;
    const char *path = FIXTURE("bzip2.npz");
    assert_failure(lrnn_npz_read(path, "x", &a), LRNN_ERR_UNSUPPORTED, path, "method 12");
}

/* ---- damaged copies of numpy archives ---- */

static unsigned char *load(const char *path, size_t *size) {
    void *raw = NULL;
    assert_int_equal(lrnn_file_read_all(path, 1 << 20, &raw, size), LRNN_OK);
    return raw;
}

/* Offset of the first central directory entry ("PK\1\2"). */
static size_t first_cdir(const unsigned char *b, size_t size) {
    for (size_t i = 0; i + 4 <= size; i++)
        if (memcmp(b + i, "PK\x01\x02", 4) == 0) return i;
    fail_msg("no central directory");
    return 0;
}

static void put32(unsigned char *p, uint32_t v) {
    for (int k = 0; k < 4; k++)
        p[k] = (unsigned char)(v >> (8 * k));
}

/* Write `size` bytes of `b` as a damaged archive and expect the failure reading `member`. */
static void expect_damaged(const unsigned char *b, size_t size, const char *member,
                           lrnn_status want, const char *word) {
    const char *path = test_path("damaged.npz");
    test_write_bytes(path, b, size);
    lrnn_array a;
    assert_failure(lrnn_npz_read(path, member, &a), want, path, word);
    assert_null(a.data);
}

static void test_bad_crc(void **state) {
    (void)state;
    size_t size;
    unsigned char *b = load(FIXTURE("stored_xy.npz"), &size);
    b[200] ^= 0x40; /* a byte of x's float data */
    expect_damaged(b, size, "x", LRNN_ERR_FORMAT, "CRC");
    assert_non_null(strstr(lrnn_last_error(), "x.npy"));
    free(b);

    b = load(FIXTURE("deflated_xy.npz"), &size);
    b[first_cdir(b, size) + 16] ^= 1;
    expect_damaged(b, size, "x", LRNN_ERR_FORMAT, "CRC");
    free(b);
}

static void test_corrupt_deflate_stream(void **state) {
    (void)state;
    size_t size;
    unsigned char *b = load(FIXTURE("deflated_xy.npz"), &size);
    for (size_t i = 60; i < 100; i++)
        b[i] ^= 0xA5; /* inside x's compressed bytes */
    expect_damaged(b, size, "x", LRNN_ERR_FORMAT, "x.npy");
    free(b);
}

static void test_truncated_archives(void **state) {
    (void)state;
    size_t size;
    unsigned char *b = load(FIXTURE("deflated_xy.npz"), &size);
    expect_damaged(b, 0, "x", LRNN_ERR_FORMAT, "empty");
    expect_damaged(b, 10, "x", LRNN_ERR_FORMAT, "truncated");
    expect_damaged(b, size / 2, "x", LRNN_ERR_FORMAT, "truncated");
    expect_damaged(b, size - 1, "x", LRNN_ERR_FORMAT, "truncated");
    free(b);

    /* Directory intact, member data cut: claim more bytes than the file holds. */
    b = load(FIXTURE("stored_xy.npz"), &size);
    size_t cd = first_cdir(b, size);
    put32(b + cd + 20, 0x7FFFFFF0u);
    expect_damaged(b, size, "x", LRNN_ERR_FORMAT, "truncated");
    free(b);

    /* End record pointing past the end of the file. */
    b = load(FIXTURE("stored_xy.npz"), &size);
    put32(b + size - 22 + 16, 0x00FFFFFFu);
    expect_damaged(b, size, "x", LRNN_ERR_FORMAT, "central directory");
    free(b);
}

static void test_forged_headers(void **state) {
    (void)state;
    size_t size;
    unsigned char *b = load(FIXTURE("deflated_xy.npz"), &size);
    size_t cd = first_cdir(b, size);
    b[cd + 8] |= 1; /* encrypted */
    expect_damaged(b, size, "x", LRNN_ERR_UNSUPPORTED, "encrypted");
    b[cd + 8] &= (unsigned char)~1u;
    put32(b + cd + 24, 0xFFFFFF00u); /* 106 deflated bytes cannot become 4 GiB */
    expect_damaged(b, size, "x", LRNN_ERR_FORMAT, "cannot inflate");
    put32(b + cd + 24, 300); /* the stream ends before the declared size */
    expect_damaged(b, size, "x", LRNN_ERR_FORMAT, "deflate");
    put32(b + cd + 24, 100); /* the stream holds more than declared */
    expect_damaged(b, size, "x", LRNN_ERR_FORMAT, "more than");
    free(b);

    b = load(FIXTURE("stored_xy.npz"), &size);
    cd = first_cdir(b, size);
    put32(b + cd + 42, 3); /* local header offset */
    expect_damaged(b, size, "x", LRNN_ERR_FORMAT, "local header");
    free(b);

    /* A .npy file is not an archive. */
    b = load(FIXTURE("c_f8_234.npy"), &size);
    expect_damaged(b, size, NULL, LRNN_ERR_FORMAT, "zip");
    free(b);
}

/* ---- archives built here: zip64 records, odd members ---- */

typedef struct zmember {
    const char *name;
    const unsigned char *data;
    size_t size;
} zmember;

static void put16(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}

static void put64(unsigned char *p, uint64_t v) {
    put32(p, (uint32_t)v);
    put32(p + 4, (uint32_t)(v >> 32));
}

/* A stored zip of `n` members; with zip64, every size and offset goes through zip64 extra
 * fields and a zip64 end record, as Python writes for archives past 4 GiB. */
static unsigned char *build_zip(const zmember *m, int n, int zip64, size_t *out_size) {
    size_t cap = 4096;
    for (int i = 0; i < n; i++)
        cap += 2 * strlen(m[i].name) + m[i].size + 200;
    unsigned char *b = calloc(1, cap), *p = b;
    assert_non_null(b);
    size_t offsets[8];
    for (int i = 0; i < n; i++) {
        size_t nlen = strlen(m[i].name);
        offsets[i] = (size_t)(p - b);
        put32(p, 0x04034b50u);
        put16(p + 4, zip64 ? 45 : 20);
        put32(p + 14, (uint32_t)crc32(0, m[i].data, (uInt)m[i].size));
        put32(p + 18, zip64 ? 0xFFFFFFFFu : (uint32_t)m[i].size);
        put32(p + 22, zip64 ? 0xFFFFFFFFu : (uint32_t)m[i].size);
        put16(p + 26, (uint32_t)nlen);
        put16(p + 28, zip64 ? 20 : 0);
        memcpy(p + 30, m[i].name, nlen);
        p += 30 + nlen;
        if (zip64) {
            put16(p, 1);
            put16(p + 2, 16);
            put64(p + 4, m[i].size);
            put64(p + 12, m[i].size);
            p += 20;
        }
        memcpy(p, m[i].data, m[i].size);
        p += m[i].size;
    }
    size_t cd = (size_t)(p - b);
    for (int i = 0; i < n; i++) {
        size_t nlen = strlen(m[i].name);
        put32(p, 0x02014b50u);
        put16(p + 6, zip64 ? 45 : 20);
        put32(p + 16, (uint32_t)crc32(0, m[i].data, (uInt)m[i].size));
        put32(p + 20, zip64 ? 0xFFFFFFFFu : (uint32_t)m[i].size);
        put32(p + 24, zip64 ? 0xFFFFFFFFu : (uint32_t)m[i].size);
        put16(p + 28, (uint32_t)nlen);
        put16(p + 30, zip64 ? 32 : 0);
        put32(p + 42, zip64 ? 0xFFFFFFFFu : (uint32_t)offsets[i]);
        memcpy(p + 46, m[i].name, nlen);
        p += 46 + nlen;
        if (zip64) {
            put16(p, 0x5455); /* an unrelated extra field first: must be skipped */
            put16(p + 2, 0);
            put16(p + 4, 1);
            put16(p + 6, 24);
            put64(p + 8, m[i].size);
            put64(p + 16, m[i].size);
            put64(p + 24, offsets[i]);
            p += 32;
        }
    }
    size_t cd_size = (size_t)(p - b) - cd;
    if (zip64) {
        size_t z64 = (size_t)(p - b);
        put32(p, 0x06064b50u);
        put64(p + 4, 44);
        put64(p + 24, (uint64_t)n);
        put64(p + 32, (uint64_t)n);
        put64(p + 40, cd_size);
        put64(p + 48, cd);
        p += 56;
        put32(p, 0x07064b50u);
        put64(p + 8, z64);
        put32(p + 16, 1);
        p += 20;
    }
    put32(p, 0x06054b50u);
    put16(p + 8, zip64 ? 0xFFFF : (uint32_t)n);
    put16(p + 10, zip64 ? 0xFFFF : (uint32_t)n);
    put32(p + 12, zip64 ? 0xFFFFFFFFu : (uint32_t)cd_size);
    put32(p + 16, zip64 ? 0xFFFFFFFFu : (uint32_t)cd);
    p += 22;
    *out_size = (size_t)(p - b);
    return b;
}

static unsigned char *npy_bytes_of(const char *fixture, size_t *size) {
    return load(fixture, size);
}

static void test_zip64_records(void **state) {
    (void)state;
    size_t xs, ys, size;
    unsigned char *x = npy_bytes_of(FIXTURE("c_f8_234.npy"), &xs);
    unsigned char *y = npy_bytes_of(FIXTURE("be_i4_5.npy"), &ys);
    const zmember m[2] = {{"a.npy", x, xs}, {"b.npy", y, ys}};
    for (int zip64 = 0; zip64 <= 1; zip64++) {
        unsigned char *b = build_zip(m, 2, zip64, &size);
        lrnn_array a;
        if (lrnn_npz_parse(b, size, "built.npz", "b", &a) != LRNN_OK)
            fail_msg("zip64=%d: %s", zip64, lrnn_last_error());
        assert_int_equal(a.dtype, LRNN_DTYPE_I32);
        assert_true(lrnn_array_get_f64(&a, 4) == 2.0);
        lrnn_array_free(&a);
        assert_int_equal(lrnn_npz_parse(b, size, "built.npz", "a", &a), LRNN_OK);
        assert_int_equal(a.ndim, 3);
        lrnn_array_free(&a);
        if (zip64) {
            /* zip64 extra too short for the fields it must hold */
            size_t cd = first_cdir(b, size);
            put16(b + cd + 46 + 5 + 6, 8);
            assert_failure(lrnn_npz_parse(b, size, "built.npz", "a", &a), LRNN_ERR_FORMAT,
                           "built.npz", "zip64");
            /* zip64 end record pointing nowhere */
            put64(b + size - 22 - 20 + 8, 1u << 30);
            assert_failure(lrnn_npz_parse(b, size, "built.npz", "a", &a), LRNN_ERR_FORMAT,
                           "built.npz", "zip64");
        }
        free(b);
    }
    free(x);
    free(y);
}

static void test_member_that_is_not_npy(void **state) {
    (void)state;
    const zmember m[1] = {{"readme.txt", (const unsigned char *)"hello", 5}};
    size_t size;
    unsigned char *b = build_zip(m, 1, 0, &size);
    lrnn_array a;
    assert_failure(lrnn_npz_parse(b, size, "odd.npz", NULL, &a), LRNN_ERR_FORMAT,
                   "odd.npz:readme.txt", "magic");
    free(b);
}

static void test_empty_archive(void **state) {
    (void)state;
    size_t size;
    unsigned char *b = build_zip(NULL, 0, 0, &size);
    lrnn_array a;
    assert_failure(lrnn_npz_parse(b, size, "none.npz", NULL, &a), LRNN_ERR_FORMAT, "none.npz",
                   "no arrays");
    assert_failure(lrnn_npz_parse(b, size, "none.npz", "x", &a), LRNN_ERR_ARG, "none.npz",
                   "(none)");
    free(b);
}

static void test_read_missing_file(void **state) {
    (void)state;
    lrnn_array a;
    const char *path = test_path("absent.npz");
    assert_failure(lrnn_npz_read(path, "x", &a), LRNN_ERR_IO, path, "cannot open");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_numpy_savez_stored),
        cmocka_unit_test(test_numpy_savez_compressed),
        cmocka_unit_test(test_python_zip64_archive),
        cmocka_unit_test(test_single_member_needs_no_name),
        cmocka_unit_test(test_fortran_big_endian_member),
        cmocka_unit_test(test_member_choice_errors),
        cmocka_unit_test(test_other_compression_unsupported),
        cmocka_unit_test(test_bad_crc),
        cmocka_unit_test(test_corrupt_deflate_stream),
        cmocka_unit_test(test_truncated_archives),
        cmocka_unit_test(test_forged_headers),
        cmocka_unit_test(test_zip64_records),
        cmocka_unit_test(test_member_that_is_not_npy),
        cmocka_unit_test(test_empty_archive),
        cmocka_unit_test(test_read_missing_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
