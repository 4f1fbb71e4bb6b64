/* Datasets: every layout puts element (b, t, x) in the right place, NaN becomes the mask or an
 * error, Inf and empty or mis-ranked arrays fail clearly, inputs must match the data, and the
 * shared EEG recording loads as one z-scored 9640 x 64 trial. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lrnn/dataset.h"
#include "lrnn/io.h"
#include "support.h"

static void assert_failure(lrnn_status got, lrnn_status want, const char *name, const char *word) {
    const char *msg = lrnn_last_error();
    if (got != want || !strstr(msg, name) || !strstr(msg, word))
        fail_msg("expected %s mentioning '%s' and '%s'; got %s: %s", lrnn_status_name(want), name,
                 word, lrnn_status_name(got), msg);
}

static void expect_ok(lrnn_status s) {
    if (s != LRNN_OK) fail_msg("%s", lrnn_last_error());
}

/* Array whose element at index (i0, i1, i2) is 100 i0 + 10 i1 + i2 (fewer axes: leading
 * terms dropped), so every element says where it came from. */
static void make_indexed(lrnn_array *a, lrnn_dtype dtype, int ndim, const size_t *shape) {
    expect_ok(lrnn_array_alloc(a, dtype, ndim, shape));
    size_t n = lrnn_array_count(a);
    for (size_t i = 0; i < n; i++) {
        size_t rest = i, value = 0, scale = 1;
        for (int d = ndim - 1; d >= 0; d--) {
            value += (rest % shape[d]) * scale;
            rest /= shape[d];
            scale *= 10;
        }
        switch (dtype) {
        case LRNN_DTYPE_F64:
            ((double *)a->data)[i] = (double)value;
            break;
        case LRNN_DTYPE_F32:
            ((float *)a->data)[i] = (float)value;
            break;
        case LRNN_DTYPE_I16:
            ((int16_t *)a->data)[i] = (int16_t)value;
            break;
        default:
            fail_msg("make_indexed: dtype not used by these tests");
        }
    }
}

static double at(const lrnn_dataset *d, size_t b, size_t t, size_t x) {
    return d->y[(b * d->T + t) * d->X + x];
}

static void assert_dims(const lrnn_dataset *d, size_t B, size_t T, size_t X) {
    assert_int_equal(d->B, B);
    assert_int_equal(d->T, T);
    assert_int_equal(d->X, X);
    assert_int_equal(d->U, 0);
    assert_null(d->u);
}

static void test_btx_and_auto_3d(void **state) {
    (void)state;
    lrnn_array a;
    size_t shape[3] = {2, 3, 4};
    make_indexed(&a, LRNN_DTYPE_I16, 3, shape);
    lrnn_layout layouts[2] = {LRNN_LAYOUT_BTX, LRNN_LAYOUT_AUTO};
    for (int k = 0; k < 2; k++) {
        lrnn_dataset d;
        expect_ok(lrnn_dataset_from_array(&a, layouts[k], LRNN_NAN_ERROR, "btx", &d));
        assert_dims(&d, 2, 3, 4);
        assert_null(d.mask);
        for (size_t b = 0; b < 2; b++)
            for (size_t t = 0; t < 3; t++)
                for (size_t x = 0; x < 4; x++)
                    assert_true(at(&d, b, t, x) == 100.0 * b + 10.0 * t + x);
        assert_int_equal(lrnn_dataset_observed(&d), 24);
        lrnn_dataset_free(&d);
    }
    lrnn_array_free(&a);
}

static void test_bxt_transposes(void **state) {
    (void)state;
    lrnn_array a;
    size_t shape[3] = {2, 3, 4}; /* B = 2, X = 3, T = 4 */
    make_indexed(&a, LRNN_DTYPE_F32, 3, shape);
    lrnn_dataset d;
    expect_ok(lrnn_dataset_from_array(&a, LRNN_LAYOUT_BXT, LRNN_NAN_ERROR, "bxt", &d));
    assert_dims(&d, 2, 4, 3);
    for (size_t b = 0; b < 2; b++)
        for (size_t t = 0; t < 4; t++)
            for (size_t x = 0; x < 3; x++)
                assert_true(at(&d, b, t, x) == 100.0 * b + 10.0 * x + t);
    lrnn_dataset_free(&d);
    lrnn_array_free(&a);
}

static void test_tx_auto_2d_and_1d(void **state) {
    (void)state;
    lrnn_array a;
    size_t shape[2] = {5, 3};
    make_indexed(&a, LRNN_DTYPE_F64, 2, shape);
    lrnn_layout layouts[2] = {LRNN_LAYOUT_TX, LRNN_LAYOUT_AUTO};
    for (int k = 0; k < 2; k++) {
        lrnn_dataset d;
        expect_ok(lrnn_dataset_from_array(&a, layouts[k], LRNN_NAN_MASK, "tx", &d));
        assert_dims(&d, 1, 5, 3);
        for (size_t t = 0; t < 5; t++)
            for (size_t x = 0; x < 3; x++)
                assert_true(at(&d, 0, t, x) == 10.0 * t + x);
        lrnn_dataset_free(&d);
    }
    lrnn_array_free(&a);
    size_t n = 6;
    make_indexed(&a, LRNN_DTYPE_F64, 1, &n);
    lrnn_dataset d;
    expect_ok(lrnn_dataset_from_array(&a, LRNN_LAYOUT_AUTO, LRNN_NAN_MASK, "series", &d));
    assert_dims(&d, 1, 6, 1);
    for (size_t t = 0; t < 6; t++)
        assert_true(at(&d, 0, t, 0) == (double)t);
    lrnn_dataset_free(&d);
    lrnn_array_free(&a);
}

static void test_nan_becomes_mask(void **state) {
    (void)state;
    lrnn_array a;
    size_t shape[3] = {2, 3, 4};
    make_indexed(&a, LRNN_DTYPE_F64, 3, shape);
    double *v = a.data;
    v[(1 * 3 + 2) * 4 + 3] = NAN; /* (b, t, x) = (1, 2, 3) in BTX */
    v[0] = NAN;
    lrnn_dataset d;
    expect_ok(lrnn_dataset_from_array(&a, LRNN_LAYOUT_BTX, LRNN_NAN_MASK, "nan", &d));
    assert_non_null(d.mask);
    assert_int_equal(lrnn_dataset_observed(&d), 22);
    for (size_t i = 0; i < 24; i++) {
        int masked = i == 0 || i == 23;
        assert_int_equal(d.mask[i], !masked);
        if (masked) assert_true(d.y[i] == 0.0);
        assert_false(isnan(d.y[i]));
    }
    lrnn_dataset_free(&d);
    lrnn_array_free(&a);
}

/* Trials padded with all-NaN steps at the end get their lengths; a NaN inside a trial, or
 * in only some channels of its last step, does not shorten it; an all-NaN trial is an error. */
static void test_variable_length_trials(void **state) {
    (void)state;
    lrnn_array a;
    size_t shape[3] = {3, 5, 2};
    make_indexed(&a, LRNN_DTYPE_F64, 3, shape);
    double *v = a.data;
    for (size_t t = 3; t < 5; t++) v[(0 * 5 + t) * 2] = v[(0 * 5 + t) * 2 + 1] = NAN; /* 3 */
    v[(1 * 5 + 4) * 2] = NAN;                                              /* 5: one channel */
    v[(2 * 5 + 1) * 2] = v[(2 * 5 + 1) * 2 + 1] = NAN;                     /* 5: inside */
    lrnn_dataset d;
    expect_ok(lrnn_dataset_from_array(&a, LRNN_LAYOUT_BTX, LRNN_NAN_MASK, "varlen", &d));
    assert_non_null(d.lengths);
    assert_int_equal(d.lengths[0], 3);
    assert_int_equal(d.lengths[1], 5);
    assert_int_equal(d.lengths[2], 5);
    lrnn_dataset_free(&d);
    for (size_t i = 0; i < 10; i++) v[10 + i] = NAN; /* trial 1 entirely missing */
    assert_failure(lrnn_dataset_from_array(&a, LRNN_LAYOUT_BTX, LRNN_NAN_MASK, "varlen", &d),
                   LRNN_ERR_FORMAT, "varlen", "trial 1");
    lrnn_array_free(&a);
}

static void test_nan_error_names_the_index(void **state) {
    (void)state;
    lrnn_array a;
    size_t shape[3] = {2, 3, 4}; /* BXT: B = 2, X = 3, T = 4 */
    make_indexed(&a, LRNN_DTYPE_F64, 3, shape);
    ((double *)a.data)[(1 * 3 + 2) * 4 + 1] = NAN; /* b = 1, x = 2, t = 1 */
    lrnn_dataset d;
    lrnn_status s = lrnn_dataset_from_array(&a, LRNN_LAYOUT_BXT, LRNN_NAN_ERROR, "rec.npy", &d);
    assert_failure(s, LRNN_ERR_NUMERIC, "rec.npy", "NaN at (trial 1, time 1, channel 2)");
    assert_null(d.y);
    lrnn_array_free(&a);
}

static void test_inf_is_always_an_error(void **state) {
    (void)state;
    lrnn_array a;
    size_t shape[2] = {4, 2};
    make_indexed(&a, LRNN_DTYPE_F64, 2, shape);
    double *v = a.data;
    v[1] = NAN; /* masked first, so the later Inf fails after the mask exists */
    v[2 * 2 + 1] = -INFINITY;
    lrnn_dataset d;
    lrnn_status s = lrnn_dataset_from_array(&a, LRNN_LAYOUT_TX, LRNN_NAN_MASK, "inf.csv", &d);
    assert_failure(s, LRNN_ERR_NUMERIC, "inf.csv",
                   "infinite value at (trial 0, time 2, channel 1)");
    assert_null(d.y);
    assert_null(d.mask);
    lrnn_array_free(&a);
}

static void test_rank_and_empty_errors(void **state) {
    (void)state;
    lrnn_array a;
    lrnn_dataset d;
    size_t shape2[2] = {5, 3};
    make_indexed(&a, LRNN_DTYPE_F64, 2, shape2);
    assert_failure(lrnn_dataset_from_array(&a, LRNN_LAYOUT_BXT, LRNN_NAN_MASK, "m.npy", &d),
                   LRNN_ERR_SHAPE, "m.npy", "layout bxt needs a 3-D array, got shape (5, 3)");
    assert_failure(lrnn_dataset_from_array(&a, LRNN_LAYOUT_BTX, LRNN_NAN_MASK, "m.npy", &d),
                   LRNN_ERR_SHAPE, "m.npy", "layout btx");
    lrnn_array_free(&a);
    size_t shape3[3] = {2, 2, 2};
    make_indexed(&a, LRNN_DTYPE_F64, 3, shape3);
    assert_failure(lrnn_dataset_from_array(&a, LRNN_LAYOUT_TX, LRNN_NAN_MASK, "m.npy", &d),
                   LRNN_ERR_SHAPE, "m.npy", "layout tx needs a 2-D array, got shape (2, 2, 2)");
    lrnn_array_free(&a);
    size_t shape4[4] = {2, 2, 2, 2};
    expect_ok(lrnn_array_alloc(&a, LRNN_DTYPE_F64, 4, shape4));
    assert_failure(lrnn_dataset_from_array(&a, LRNN_LAYOUT_AUTO, LRNN_NAN_MASK, "m.npy", &d),
                   LRNN_ERR_SHAPE, "m.npy", "(2, 2, 2, 2): layout auto");
    lrnn_array_free(&a);
    expect_ok(lrnn_array_alloc(&a, LRNN_DTYPE_F64, 0, NULL));
    assert_failure(lrnn_dataset_from_array(&a, LRNN_LAYOUT_AUTO, LRNN_NAN_MASK, "m.npy", &d),
                   LRNN_ERR_SHAPE, "m.npy", "layout auto");
    lrnn_array_free(&a);
    size_t empty[3] = {2, 0, 3};
    expect_ok(lrnn_array_alloc(&a, LRNN_DTYPE_F64, 3, empty));
    assert_failure(lrnn_dataset_from_array(&a, LRNN_LAYOUT_BTX, LRNN_NAN_MASK, "m.npy", &d),
                   LRNN_ERR_SHAPE, "m.npy", "(2, 0, 3) is empty");
    lrnn_array_free(&a);
}

static void test_layout_names(void **state) {
    (void)state;
    lrnn_layout l;
    expect_ok(lrnn_layout_parse("BXT", &l));
    assert_int_equal(l, LRNN_LAYOUT_BXT);
    expect_ok(lrnn_layout_parse("Tx", &l));
    assert_int_equal(l, LRNN_LAYOUT_TX);
    expect_ok(lrnn_layout_parse("btx", &l));
    assert_int_equal(l, LRNN_LAYOUT_BTX);
    expect_ok(lrnn_layout_parse("auto", &l));
    assert_int_equal(l, LRNN_LAYOUT_AUTO);
    assert_failure(lrnn_layout_parse("bt", &l), LRNN_ERR_ARG, "'bt'", "auto, tx, btx or bxt");
    assert_failure(lrnn_layout_parse("btxx", &l), LRNN_ERR_ARG, "'btxx'", "layout");
    assert_string_equal(lrnn_layout_name(LRNN_LAYOUT_BXT), "bxt");
    assert_string_equal(lrnn_layout_name(LRNN_LAYOUT_AUTO), "auto");
}

/* Data of B = 2, T = 5, X = 3 and inputs saved as `spec` with shape `shape` (BTX). */
static void save_inputs(const char *spec, int ndim, const size_t *shape) {
    lrnn_array u;
    make_indexed(&u, LRNN_DTYPE_F64, ndim, shape);
    expect_ok(lrnn_array_save(spec, &u));
    lrnn_array_free(&u);
}

static void make_data(lrnn_dataset *d) {
    lrnn_array a;
    size_t shape[3] = {2, 5, 3};
    make_indexed(&a, LRNN_DTYPE_F64, 3, shape);
    expect_ok(lrnn_dataset_from_array(&a, LRNN_LAYOUT_BTX, LRNN_NAN_MASK, "data", d));
    lrnn_array_free(&a);
}

static void test_inputs_attach_and_match(void **state) {
    (void)state;
    lrnn_dataset d;
    make_data(&d);
    char spec[1300];
    snprintf(spec, sizeof spec, "%s:/u", test_path("inputs.h5"));
    size_t good[3] = {2, 5, 2};
    save_inputs(spec, 3, good);
    expect_ok(lrnn_dataset_load_inputs(&d, spec, LRNN_LAYOUT_BTX));
    assert_int_equal(d.U, 2);
    assert_non_null(d.u);
    assert_true(d.u[(1 * 5 + 4) * 2 + 1] == 141.0);
    /* The same inputs stored time-last read alike through BXT; they replace the old ones. */
    size_t time_last[3] = {2, 2, 5};
    save_inputs(spec, 3, time_last);
    expect_ok(lrnn_dataset_load_inputs(&d, spec, LRNN_LAYOUT_BXT));
    assert_int_equal(d.U, 2);
    assert_true(d.u[(1 * 5 + 4) * 2 + 1] == 114.0);
    /* Conditioning inputs: B x U, one vector per trial, repeated at every step. */
    size_t per_trial[2] = {2, 3};
    save_inputs(spec, 2, per_trial);
    expect_ok(lrnn_dataset_load_inputs(&d, spec, LRNN_LAYOUT_AUTO));
    assert_int_equal(d.U, 3);
    for (size_t t = 0; t < 5; t++) assert_true(d.u[(1 * 5 + t) * 3 + 2] == 12.0);
    lrnn_dataset_free(&d);
}

static void test_inputs_shape_mismatch_and_nan(void **state) {
    (void)state;
    lrnn_dataset d;
    make_data(&d);
    char spec[1300];
    snprintf(spec, sizeof spec, "%s:/u", test_path("bad_inputs.h5"));
    size_t short_t[3] = {2, 4, 1};
    save_inputs(spec, 3, short_t);
    assert_failure(lrnn_dataset_load_inputs(&d, spec, LRNN_LAYOUT_BTX), LRNN_ERR_SHAPE, spec,
                   "inputs have B x T x U = 2 x 4 x 1 but the data have B x T x X = 2 x 5 x 3");
    assert_null(d.u);
    assert_int_equal(d.U, 0);
    lrnn_array u;
    size_t shape[3] = {2, 5, 1};
    make_indexed(&u, LRNN_DTYPE_F64, 3, shape);
    ((double *)u.data)[7] = NAN; /* b = 1, t = 2 */
    expect_ok(lrnn_array_save(spec, &u));
    lrnn_array_free(&u);
    assert_failure(lrnn_dataset_load_inputs(&d, spec, LRNN_LAYOUT_BTX), LRNN_ERR_NUMERIC, spec,
                   "NaN at (trial 1, time 2, input 0)");
    assert_null(d.u);
    lrnn_dataset_free(&d);
}

static void test_load_through_a_file(void **state) {
    (void)state;
    const char *path = test_path("rec.csv");
    const char *text = "a,b\n1,2\n,4\n5,6\n";
    test_write_bytes(path, text, strlen(text));
    lrnn_dataset d;
    expect_ok(lrnn_dataset_load(path, LRNN_LAYOUT_AUTO, LRNN_NAN_MASK, &d));
    assert_dims(&d, 1, 3, 2);
    assert_int_equal(lrnn_dataset_observed(&d), 5);
    assert_int_equal(d.mask[2], 0);
    lrnn_dataset_free(&d);
    assert_failure(lrnn_dataset_load(path, LRNN_LAYOUT_AUTO, LRNN_NAN_ERROR, &d), LRNN_ERR_NUMERIC,
                   path, "NaN at (trial 0, time 1, channel 0)");
    assert_failure(lrnn_dataset_load(test_path("absent.csv"), LRNN_LAYOUT_AUTO, LRNN_NAN_MASK, &d),
                   LRNN_ERR_IO, "absent.csv", "cannot open");
}

static void test_eeg_recording(void **state) {
    (void)state;
    const char *path = LRNN_SHARED_DIR "/data/eeg/EEG_data_smoothed.npy";
    if (!test_file_exists(path)) {
        print_message("skipped: %s is absent (see ../shared/data/README.md)\n", path);
        skip();
    }
    lrnn_dataset d;
    expect_ok(lrnn_dataset_load(path, LRNN_LAYOUT_AUTO, LRNN_NAN_ERROR, &d));
    assert_dims(&d, 1, 9640, 64);
    assert_null(d.mask);
    /* The file is z-scored per channel (numpy: |mean| < 2e-7, |std - 1| < 4e-6 in float32). */
    for (size_t x = 0; x < d.X; x++) {
        double sum = 0.0, sq = 0.0;
        for (size_t t = 0; t < d.T; t++)
            sum += at(&d, 0, t, x);
        double mean = sum / (double)d.T;
        for (size_t t = 0; t < d.T; t++)
            sq += pow(at(&d, 0, t, x) - mean, 2);
        double sd = sqrt(sq / (double)d.T);
        if (fabs(mean) > 1e-3 || fabs(sd - 1.0) > 1e-2)
            fail_msg("channel %zu: mean %g, std %g", x, mean, sd);
    }
    lrnn_dataset_free(&d);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_btx_and_auto_3d),
        cmocka_unit_test(test_bxt_transposes),
        cmocka_unit_test(test_tx_auto_2d_and_1d),
        cmocka_unit_test(test_nan_becomes_mask),
        cmocka_unit_test(test_variable_length_trials),
        cmocka_unit_test(test_nan_error_names_the_index),
        cmocka_unit_test(test_inf_is_always_an_error),
        cmocka_unit_test(test_rank_and_empty_errors),
        cmocka_unit_test(test_layout_names),
        cmocka_unit_test(test_inputs_attach_and_match),
        cmocka_unit_test(test_inputs_shape_mismatch_and_nan),
        cmocka_unit_test(test_load_through_a_file),
        cmocka_unit_test(test_eeg_recording),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
