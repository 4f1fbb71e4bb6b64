/* CSV reader and writer: bit-exact round trips, the dialects users produce (CRLF, spaces,
 * headers, missing values) and bad inputs that must fail with a message naming the file. */
#include <float.h>
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

/* The failure is the expected one and its message names the file and the problem. */
static void assert_failure(lrnn_status got, lrnn_status want, const char *path, const char *word) {
    const char *msg = lrnn_last_error();
    if (got != want || !strstr(msg, path) || !strstr(msg, word))
        fail_msg("expected %s mentioning '%s' and '%s'; got %s: %s", lrnn_status_name(want), path,
                 word, lrnn_status_name(got), msg);
}

static void expect_ok(lrnn_status s) {
    if (s != LRNN_OK) fail_msg("%s", lrnn_last_error());
}

/* Parse a string given without its terminator: the copy has exactly strlen(text) bytes, so a
 * read past the end is caught by the sanitizers. */
static lrnn_status parse_exact(const char *text, lrnn_array *a, int *has_header) {
    size_t n = strlen(text);
    char *copy = malloc(n ? n : 1);
    assert_non_null(copy);
    memcpy(copy, text, n);
    lrnn_status s = lrnn_csv_parse(copy, n, "mem.csv", a, has_header);
    free(copy);
    return s;
}

static void assert_values(const lrnn_array *a, size_t rows, size_t cols, const double *want) {
    assert_int_equal(a->dtype, LRNN_DTYPE_F64);
    assert_int_equal(a->ndim, 2);
    assert_int_equal(a->shape[0], rows);
    assert_int_equal(a->shape[1], cols);
    const double *v = a->data;
    for (size_t i = 0; i < rows * cols; i++) {
        if (isnan(want[i]) ? !isnan(v[i]) : v[i] != want[i])
            fail_msg("element %zu is %.17g, expected %.17g", i, v[i], want[i]);
    }
}

/* Values whose decimal forms need all 17 digits, plus the extremes of the double range. */
static void fill_awkward(lrnn_array *a) {
    static const double special[] = {0.1,     1.0 / 3.0, -2.0 / 7.0,
                                     M_PI,    1e-300,    -2.5e300,
                                     DBL_MAX, DBL_MIN,   4.9406564584124654e-324,
                                     -0.0,    1e22,      0.0};
    double *v = a->data;
    size_t n = lrnn_array_count(a);
    for (size_t i = 0; i < n; i++)
        v[i] = i < sizeof special / sizeof special[0] ? special[i] : sin((double)i) * 1e3;
}

static void round_trip(const char *header) {
    const char *path = test_path(header ? "rt_header.csv" : "rt_plain.csv");
    lrnn_array a, b;
    size_t shape[2] = {7, 3};
    expect_ok(lrnn_array_alloc(&a, LRNN_DTYPE_F64, 2, shape));
    fill_awkward(&a);
    expect_ok(lrnn_csv_write(path, &a, header));
    int has_header = -1;
    expect_ok(lrnn_csv_read(path, &b, &has_header));
    assert_int_equal(has_header, header != NULL);
    assert_int_equal(b.ndim, 2);
    assert_int_equal(b.shape[0], 7);
    assert_int_equal(b.shape[1], 3);
    /* Bit exact, so -0.0 and the denormal must survive too. */
    assert_memory_equal(a.data, b.data, 21 * sizeof(double));
    assert_true(test_no_temp_files(path));
    lrnn_array_free(&a);
    lrnn_array_free(&b);
}

static void test_round_trip_plain(void **state) {
    (void)state;
    round_trip(NULL);
}

static void test_round_trip_with_header(void **state) {
    (void)state;
    round_trip("alpha, beta,gamma");
}

static void test_write_1d_as_column_and_integers_exactly(void **state) {
    (void)state;
    const char *path = test_path("column.csv");
    lrnn_array a, b;
    size_t n = 3;
    expect_ok(lrnn_array_alloc(&a, LRNN_DTYPE_I64, 1, &n));
    int64_t *v = a.data;
    v[0] = -5, v[1] = ((int64_t)1 << 60) + 1, v[2] = 0;
    expect_ok(lrnn_csv_write(path, &a, "count"));
    void *text;
    size_t size;
    expect_ok(lrnn_file_read_all(path, 1 << 20, &text, &size));
    /* 2^60 + 1 is not a double: integers are printed as integers, not through %.17g. */
    assert_string_equal(text, "count\n-5\n1152921504606846977\n0\n");
    free(text);
    expect_ok(lrnn_csv_read(path, &b, NULL));
    assert_int_equal(b.shape[0], 3);
    assert_int_equal(b.shape[1], 1);
    lrnn_array_free(&a);
    lrnn_array_free(&b);
}

static void test_crlf_and_missing_final_newline(void **state) {
    (void)state;
    lrnn_array a;
    int header = 0;
    const double want[] = {1, 2, 3, 4};
    expect_ok(parse_exact("x,y\r\n1,2\r\n3,4\r\n", &a, &header));
    assert_int_equal(header, 1);
    assert_values(&a, 2, 2, want);
    lrnn_array_free(&a);
    expect_ok(parse_exact("1,2\n3,4", &a, &header));
    assert_int_equal(header, 0);
    assert_values(&a, 2, 2, want);
    lrnn_array_free(&a);
    expect_ok(parse_exact("1,2\r\n3,4", &a, NULL));
    assert_values(&a, 2, 2, want);
    lrnn_array_free(&a);
}

static void test_spaces_blank_lines_and_bom(void **state) {
    (void)state;
    lrnn_array a;
    int header = 0;
    const double want[] = {1.5, -2, 3e-2, 4};
    expect_ok(parse_exact("\xEF\xBB\xBF a , b \n 1.5 ,\t-2\n\n  \n3e-2,  +4 \n\n", &a, &header));
    assert_int_equal(header, 1);
    assert_values(&a, 2, 2, want);
    lrnn_array_free(&a);
}

static void test_missing_values_and_infinity(void **state) {
    (void)state;
    lrnn_array a;
    int header = 1;
    /* A first row of missing values and inf is data, not a header. */
    const double want[] = {NAN, NAN, INFINITY, NAN, NAN, NAN, -INFINITY, 7, NAN};
    expect_ok(parse_exact(",nan,inf\nNaN,NAN,-nan\n-Infinity,7,\n", &a, &header));
    assert_int_equal(header, 0);
    assert_values(&a, 3, 3, want);
    lrnn_array_free(&a);
}

static void test_single_column_and_single_value(void **state) {
    (void)state;
    lrnn_array a;
    const double want[] = {42};
    expect_ok(parse_exact("42", &a, NULL));
    assert_values(&a, 1, 1, want);
    lrnn_array_free(&a);
}

static void write_text(const char *path, const char *text) {
    test_write_bytes(path, text, strlen(text));
}

static void test_ragged_rows(void **state) {
    (void)state;
    const char *path = test_path("ragged.csv");
    write_text(path, "a,b,c\n1,2,3\n4,5\n");
    lrnn_array a;
    lrnn_status s = lrnn_csv_read(path, &a, NULL);
    assert_failure(s, LRNN_ERR_FORMAT, path, "line 3 has 2 columns but line 1 has 3");
    assert_null(a.data);
}

static void test_text_cell_names_line_column_and_text(void **state) {
    (void)state;
    const char *path = test_path("text.csv");
    write_text(path, "1,2\r\n3,oops\r\n");
    lrnn_array a;
    lrnn_status s = lrnn_csv_read(path, &a, NULL);
    assert_failure(s, LRNN_ERR_FORMAT, path, "line 2, column 2: 'oops' is not a number");
    /* Only the first row may be a header. */
    write_text(path, "a,b\nc,d\n1,2\n");
    s = lrnn_csv_read(path, &a, NULL);
    assert_failure(s, LRNN_ERR_FORMAT, path, "line 2, column 1: 'c'");
    /* strtod alone would take these; the CSV grammar does not. */
    const char *not_numbers[] = {"0x10", "1e", "--1", "1.2.3", "nan(1)", "1 2", "."};
    for (size_t i = 0; i < sizeof not_numbers / sizeof not_numbers[0]; i++) {
        char text[64];
        snprintf(text, sizeof text, "1\n%s\n", not_numbers[i]);
        s = parse_exact(text, &a, NULL);
        assert_failure(s, LRNN_ERR_FORMAT, "mem.csv", "is not a number");
    }
}

static void test_no_data_rows(void **state) {
    (void)state;
    const char *path = test_path("empty.csv");
    lrnn_array a;
    write_text(path, "");
    assert_failure(lrnn_csv_read(path, &a, NULL), LRNN_ERR_FORMAT, path, "no data rows");
    write_text(path, "\r\n  \n\n");
    assert_failure(lrnn_csv_read(path, &a, NULL), LRNN_ERR_FORMAT, path, "no data rows");
    write_text(path, "time,voltage\n");
    assert_failure(lrnn_csv_read(path, &a, NULL), LRNN_ERR_FORMAT, path, "only a header");
}

static void test_binary_garbage_is_rejected(void **state) {
    (void)state;
    static const unsigned char junk[] = {'1', ',', 0, '2', '\n', 0xff, 0xfe, ',', '3'};
    lrnn_array a;
    lrnn_status s = lrnn_csv_parse((const char *)junk, sizeof junk, "junk.csv", &a, NULL);
    assert_failure(s, LRNN_ERR_FORMAT, "junk.csv", "is not a number");
    /* A very long cell is text (a header here), not an overflow of the scratch buffer. */
    char text[600];
    memset(text, '1', 500);
    memcpy(text + 500, "x\n5\n", 5);
    expect_ok(parse_exact(text, &a, NULL));
    assert_int_equal(a.shape[0], 1);
    lrnn_array_free(&a);
    memcpy(text, "5\n", 2);
    s = parse_exact(text, &a, NULL);
    assert_failure(s, LRNN_ERR_FORMAT, "mem.csv", "...' is not a number");
}

static void test_missing_file(void **state) {
    (void)state;
    const char *path = test_path("no_such.csv");
    lrnn_array a;
    assert_failure(lrnn_csv_read(path, &a, NULL), LRNN_ERR_IO, path, "cannot open");
}

static void test_write_checks_arguments(void **state) {
    (void)state;
    const char *path = test_path("args.csv");
    lrnn_array a;
    size_t shape[3] = {2, 2, 2};
    expect_ok(lrnn_array_alloc(&a, LRNN_DTYPE_F64, 3, shape));
    assert_failure(lrnn_csv_write(path, &a, NULL), LRNN_ERR_SHAPE, path, "(2, 2, 2)");
    a.ndim = 2;
    assert_failure(lrnn_csv_write(path, &a, "a,b,c"), LRNN_ERR_ARG, path, "3 names for 2");
    assert_failure(lrnn_csv_write(path, &a, "a\nb"), LRNN_ERR_ARG, path, "single line");
    assert_false(test_file_exists(path));
    lrnn_array_free(&a);
}

static void test_write_to_missing_directory_leaves_nothing(void **state) {
    (void)state;
    const char *path = test_path("no_dir/out.csv");
    lrnn_array a;
    size_t shape[2] = {2, 2};
    expect_ok(lrnn_array_alloc(&a, LRNN_DTYPE_F32, 2, shape));
    assert_failure(lrnn_csv_write(path, &a, NULL), LRNN_ERR_IO, "no_dir", "cannot create");
    assert_false(test_file_exists(path));
    assert_true(test_no_temp_files(path));
    lrnn_array_free(&a);
}

static void test_write_replaces_existing_file(void **state) {
    (void)state;
    const char *path = test_path("replace.csv");
    write_text(path, "old,contents\n9,9\n9,9\n9,9\n");
    lrnn_array a, b;
    size_t n = 2;
    expect_ok(lrnn_array_alloc(&a, LRNN_DTYPE_F32, 1, &n));
    ((float *)a.data)[0] = 0.1f;
    ((float *)a.data)[1] = -3.0f;
    expect_ok(lrnn_csv_write(path, &a, NULL));
    expect_ok(lrnn_csv_read(path, &b, NULL));
    const double want[] = {(double)0.1f, -3.0};
    assert_values(&b, 2, 1, want);
    assert_true(test_no_temp_files(path));
    lrnn_array_free(&a);
    lrnn_array_free(&b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_plain),
        cmocka_unit_test(test_round_trip_with_header),
        cmocka_unit_test(test_write_1d_as_column_and_integers_exactly),
        cmocka_unit_test(test_crlf_and_missing_final_newline),
        cmocka_unit_test(test_spaces_blank_lines_and_bom),
        cmocka_unit_test(test_missing_values_and_infinity),
        cmocka_unit_test(test_single_column_and_single_value),
        cmocka_unit_test(test_ragged_rows),
        cmocka_unit_test(test_text_cell_names_line_column_and_text),
        cmocka_unit_test(test_no_data_rows),
        cmocka_unit_test(test_binary_garbage_is_rejected),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_write_checks_arguments),
        cmocka_unit_test(test_write_to_missing_directory_leaves_nothing),
        cmocka_unit_test(test_write_replaces_existing_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
