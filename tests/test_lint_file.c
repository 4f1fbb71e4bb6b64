/* LINT model files (include/lrnn/lint_file.h): bit-exact round trips of low-rank and full-rank
 * networks with and without a task, and bad inputs that must fail with a clear message naming
 * the file and leave existing files untouched. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lrnn/lint_file.h"
#include "lrnn/model_file.h"
#include "support.h"

/* ---- helpers ---- */

static void assert_message_has(const char *needle) {
    const char *msg = lrnn_last_error();
    if (!strstr(msg, needle)) fail_msg("message \"%s\" lacks \"%s\"", msg, needle);
}

/* A network whose every parameter has a non-trivial bit pattern. */
static lrnn_lint_rnn *make_rnn(lrnn_lint_kind kind, bool identity) {
    lrnn_lint_config c = lrnn_lint_default_config(kind);
    c.units = 12, c.rank = 2, c.inputs = 3, c.outputs = 2, c.noise_std = 0.05, c.seed = 9;
    c.identity_readout = identity, c.train_wi = true, c.train_b = true;
    c.psi = LRNN_LINT_RELU;
    lrnn_lint_rnn *r = NULL;
    if (lrnn_lint_create(&c, &r) != LRNN_OK) fail_msg("create: %s", lrnn_last_error());
    const lrnn_param_layout *l = lrnn_lint_layout(r);
    double *p = lrnn_lint_params(r);
    for (size_t i = 0; i < l->total; i++)
        p[i] += 1e-3 * sin(1.0 + (double)i) / 3.0;
    return r;
}

static void assert_rnn_equal(const lrnn_lint_rnn *a, const lrnn_lint_rnn *b) {
    /* field by field: the struct has padding bytes */
    const lrnn_lint_config *x = lrnn_lint_config_of(a), *y = lrnn_lint_config_of(b);
    assert_int_equal(x->kind, y->kind);
    assert_int_equal(x->units, y->units);
    assert_int_equal(x->rank, y->rank);
    assert_int_equal(x->inputs, y->inputs);
    assert_int_equal(x->outputs, y->outputs);
    assert_memory_equal(&x->alpha, &y->alpha, sizeof x->alpha);
    assert_memory_equal(&x->noise_std, &y->noise_std, sizeof x->noise_std);
    assert_memory_equal(&x->rho, &y->rho, sizeof x->rho);
    assert_int_equal(x->phi, y->phi);
    assert_int_equal(x->psi, y->psi);
    const bool fx[] = {x->identity_readout, x->rec_div_n, x->out_div_n,  x->readout_rates,
                       x->train_wi,         x->train_si,  x->train_wrec, x->train_wo,
                       x->train_so,         x->train_h0,  x->train_b};
    const bool fy[] = {y->identity_readout, y->rec_div_n, y->out_div_n,  y->readout_rates,
                       y->train_wi,         y->train_si,  y->train_wrec, y->train_wo,
                       y->train_so,         y->train_h0,  y->train_b};
    assert_memory_equal(fx, fy, sizeof fx);
    assert_int_equal(x->seed, y->seed);
    const lrnn_param_layout *la = lrnn_lint_layout(a), *lb = lrnn_lint_layout(b);
    assert_int_equal(la->count, lb->count);
    assert_int_equal(la->total, lb->total);
    for (int i = 0; i < la->count; i++) {
        assert_string_equal(la->entry[i].name, lb->entry[i].name);
        assert_int_equal(la->entry[i].trainable, lb->entry[i].trainable);
    }
    /* bit-exact: memcmp, not a tolerance */
    assert_memory_equal(lrnn_lint_params_const(a), lrnn_lint_params_const(b),
                        la->total * sizeof(double));
}

static lrnn_lint_task_info romo_task(void) {
    lrnn_lint_task_info t = {.present = true,
                             .params = lrnn_task_default_params(LRNN_TASK_ROMO),
                             .seed = 77,
                             .trials = 123};
    t.params.validation_fraction = 0.25;
    t.params.romo.noise_std = 0.02;
    t.params.romo.delay_max_ms = 1500;
    return t;
}

static void write_valid(const char *path) {
    lrnn_lint_rnn *r = make_rnn(LRNN_LINT_LOW_RANK, false);
    lrnn_lint_task_info t = romo_task();
    if (lrnn_lint_save(r, path, &t, "{\"a\": 1}") != LRNN_OK)
        fail_msg("save: %s", lrnn_last_error());
    lrnn_lint_free(r);
}

static void assert_load_fails(const char *path, const char *needle) {
    lrnn_lint_rnn *r = (lrnn_lint_rnn *)(uintptr_t)1;
    char *json = (char *)(uintptr_t)1;
    assert_int_not_equal(lrnn_lint_load(path, &r, NULL, &json), LRNN_OK);
    assert_null(r);
    assert_null(json);
    assert_message_has(path);
    if (needle) assert_message_has(needle);
}

static hid_t open_rw(const char *path) {
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    assert_true(f >= 0);
    return f;
}

static void replace_attr_string(const char *path, const char *obj_path, const char *name,
                                const char *value) {
    hid_t f = open_rw(path);
    hid_t obj = H5Oopen(f, obj_path, H5P_DEFAULT);
    assert_true(obj >= 0);
    if (H5Aexists(obj, name) > 0) assert_true(H5Adelete(obj, name) >= 0);
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t attr = H5Acreate2(obj, name, t, space, H5P_DEFAULT, H5P_DEFAULT);
    assert_true(attr >= 0);
    assert_true(H5Awrite(attr, t, &value) >= 0);
    H5Aclose(attr), H5Sclose(space), H5Tclose(t), H5Oclose(obj);
    assert_true(H5Fclose(f) >= 0);
}

static void delete_link(const char *path, const char *link) {
    hid_t f = open_rw(path);
    assert_true(H5Ldelete(f, link, H5P_DEFAULT) >= 0);
    assert_true(H5Fclose(f) >= 0);
}

static void put_dataset(const char *path, const char *link, int ndim, const hsize_t *dims,
                        hid_t ftype, hid_t mtype, const void *data) {
    hid_t f = open_rw(path);
    if (H5Lexists(f, link, H5P_DEFAULT) > 0) assert_true(H5Ldelete(f, link, H5P_DEFAULT) >= 0);
    hid_t space = H5Screate_simple(ndim, dims, NULL);
    hid_t ds = H5Dcreate2(f, link, ftype, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    assert_true(ds >= 0);
    assert_true(H5Dwrite(ds, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0);
    H5Dclose(ds), H5Sclose(space);
    assert_true(H5Fclose(f) >= 0);
}

static char *read_bytes(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    assert_non_null(b);
    *size = fread(b, 1, (size_t)n, f);
    fclose(f);
    return b;
}

/* ---- round trips ---- */

static void round_trip(lrnn_lint_kind kind, bool identity, bool with_task, const char *name) {
    const char *path = test_path(name);
    lrnn_lint_rnn *a = make_rnn(kind, identity);
    /* a trainable flag changed after creation must survive too */
    assert_int_equal(lrnn_lint_set_trainable(a, "h0", true), LRNN_OK);
    lrnn_lint_task_info t = romo_task();
    if (lrnn_lint_save(a, path, with_task ? &t : NULL, with_task ? "{\"epochs\": 3}" : NULL))
        fail_msg("save: %s", lrnn_last_error());
    assert_true(test_no_temp_files(path));
    lrnn_lint_rnn *b = NULL;
    lrnn_lint_task_info u;
    char *json = NULL;
    if (lrnn_lint_load(path, &b, &u, &json)) fail_msg("load: %s", lrnn_last_error());
    assert_rnn_equal(a, b);
    assert_int_equal(u.present, with_task);
    if (with_task) {
        assert_int_equal(u.seed, 77);
        assert_int_equal(u.trials, 123);
        assert_int_equal(u.params.kind, LRNN_TASK_ROMO);
        assert_true(u.params.validation_fraction == 0.25);
        assert_memory_equal(&u.params.romo, &t.params.romo, sizeof t.params.romo);
        assert_string_equal(json, "{\"epochs\": 3}");
    } else {
        assert_null(json);
    }
    /* the same trials come back: generation from the stored task equals the original's */
    free(json);
    lrnn_lint_free(a);
    lrnn_lint_free(b);
}

static void test_round_trip_low_rank(void **state) {
    (void)state;
    round_trip(LRNN_LINT_LOW_RANK, false, true, "lr.h5");
    round_trip(LRNN_LINT_LOW_RANK, true, false, "lr_identity.h5");
}

static void test_round_trip_full_rank(void **state) {
    (void)state;
    round_trip(LRNN_LINT_FULL_RANK, false, true, "fr.h5");
    round_trip(LRNN_LINT_FULL_RANK, true, false, "fr_identity.h5");
}

/* Every task's params survive, coherence lists included. */
static void test_round_trip_every_task(void **state) {
    (void)state;
    const lrnn_task_kind kinds[] = {LRNN_TASK_RDM, LRNN_TASK_ROMO, LRNN_TASK_CDM, LRNN_TASK_DMS,
                                    LRNN_TASK_RAPOSO};
    const char *path = test_path("tasks.h5");
    lrnn_lint_rnn *a = make_rnn(LRNN_LINT_LOW_RANK, false);
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        lrnn_lint_task_info t = {.present = true,
                                 .params = lrnn_task_default_params(kinds[k]),
                                 .seed = 5 + k,
                                 .trials = 50};
        if (kinds[k] == LRNN_TASK_RDM) t.params.rdm.coherences[0] = -0.5; /* non-default */
        if (kinds[k] == LRNN_TASK_CDM) t.params.cdm.n_coherences = 4;
        assert_int_equal(lrnn_lint_save(a, path, &t, NULL), LRNN_OK);
        lrnn_lint_rnn *b = NULL;
        lrnn_lint_task_info u;
        if (lrnn_lint_load(path, &b, &u, NULL)) fail_msg("load: %s", lrnn_last_error());
        assert_true(u.present);
        assert_int_equal(u.params.kind, kinds[k]);
        /* the member of the kind, byte for byte (no padding: doubles and size_t only) */
        switch (kinds[k]) {
        case LRNN_TASK_RDM:
            assert_memory_equal(&u.params.rdm, &t.params.rdm, sizeof t.params.rdm);
            break;
        case LRNN_TASK_ROMO:
            assert_memory_equal(&u.params.romo, &t.params.romo, sizeof t.params.romo);
            break;
        case LRNN_TASK_CDM:
            assert_memory_equal(&u.params.cdm, &t.params.cdm, sizeof t.params.cdm);
            break;
        case LRNN_TASK_DMS:
            assert_memory_equal(&u.params.dms, &t.params.dms, sizeof t.params.dms);
            break;
        case LRNN_TASK_RAPOSO:
            assert_memory_equal(&u.params.raposo, &t.params.raposo, sizeof t.params.raposo);
            break;
        }
        assert_true(u.params.validation_fraction == t.params.validation_fraction);
        lrnn_lint_free(b);
    }
    lrnn_lint_free(a);
}

/* ---- bad inputs ---- */

static void test_smc_model_refused(void **state) {
    (void)state;
    const char *path = test_path("smc.h5");
    lrnn_model_config c = lrnn_model_default_config();
    lrnn_model *m = NULL;
    assert_int_equal(lrnn_model_create(&c, &m), LRNN_OK);
    assert_int_equal(lrnn_model_save(m, path, NULL), LRNN_OK);
    lrnn_model_free(m);
    assert_load_fails(path, "stochastic_low_rank");
    assert_message_has("not a LINT rate network");
    /* and the other way round: the SMC loader names the LINT type */
    write_valid(path);
    lrnn_model *back = NULL;
    assert_int_equal(lrnn_model_load(path, &back, NULL), LRNN_ERR_UNSUPPORTED);
    assert_null(back);
    assert_message_has(path);
    assert_message_has("lint_rnn");
}

static void test_not_a_model(void **state) {
    (void)state;
    const char *path = test_path("junk.h5");
    test_write_bytes(path, "not hdf5\n", 9);
    assert_load_fails(path, "not an HDF5 file");
    test_write_bytes(path, "", 0);
    assert_load_fails(path, "not an HDF5 file");
    assert_load_fails(test_path("missing.h5"), "cannot open");
    write_valid(path);
    replace_attr_string(path, "/", "model_type", "something_else");
    assert_load_fails(path, "something_else");
}

static void test_truncated(void **state) {
    (void)state;
    const char *path = test_path("truncated.h5");
    write_valid(path);
    size_t size;
    char *bytes = read_bytes(path, &size);
    test_write_bytes(path, bytes, size / 2);
    free(bytes);
    assert_load_fails(path, NULL);
}

static void test_wrong_shape(void **state) {
    (void)state;
    const char *path = test_path("shape.h5");
    write_valid(path);
    double v[12 * 3] = {0};
    hsize_t dims[2] = {3, 12};
    put_dataset(path, "/params/m", 2, dims, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, v);
    assert_load_fails(path, "'/params/m' has shape 3 x 12");
    assert_message_has("12 x 2");
    /* 1-D where 2-D is needed */
    write_valid(path);
    hsize_t d1[1] = {24};
    put_dataset(path, "/params/n", 1, d1, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, v);
    assert_load_fails(path, "'/params/n'");
    /* integer values where float64 is required */
    write_valid(path);
    int iv[12] = {0};
    hsize_t d2[1] = {12};
    put_dataset(path, "/params/b", 1, d2, H5T_STD_I32LE, H5T_NATIVE_INT, iv);
    assert_load_fails(path, "holds integer values");
}

static void test_nan_parameter(void **state) {
    (void)state;
    const char *path = test_path("nan.h5");
    write_valid(path);
    double v[12];
    for (int i = 0; i < 12; i++)
        v[i] = i == 7 ? NAN : 0.1;
    hsize_t dims[1] = {12};
    put_dataset(path, "/params/h0", 1, dims, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, v);
    assert_load_fails(path, "'/params/h0' has a non-finite value");
    assert_message_has("index 7");
    /* and NaN is never written */
    lrnn_lint_rnn *r = make_rnn(LRNN_LINT_LOW_RANK, false);
    lrnn_lint_params(r)[3] = INFINITY;
    const char *out = test_path("never.h5");
    remove(out);
    assert_int_equal(lrnn_lint_save(r, out, NULL, NULL), LRNN_ERR_NUMERIC);
    assert_message_has(out);
    assert_false(test_file_exists(out));
    assert_true(test_no_temp_files(out));
    lrnn_lint_free(r);
}

static void test_missing_dataset(void **state) {
    (void)state;
    const char *path = test_path("missing_ds.h5");
    write_valid(path);
    delete_link(path, "/params/wi");
    assert_load_fails(path, "'/params/wi' is missing");
    write_valid(path);
    delete_link(path, "/config");
    assert_load_fails(path, "'/config' is missing");
    write_valid(path);
    double v[4] = {0};
    hsize_t dims[1] = {4};
    put_dataset(path, "/params/extra", 1, dims, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, v);
    assert_load_fails(path, "unexpected dataset '/params/extra'");
}

static void test_bad_config_and_task(void **state) {
    (void)state;
    const char *path = test_path("bad_config.h5");
    write_valid(path);
    replace_attr_string(path, "/config", "phi", "sigmoid");
    assert_load_fails(path, "phi");
    write_valid(path);
    replace_attr_string(path, "/task", "task", "juggling");
    assert_load_fails(path, "'/task'");
    write_valid(path);
    delete_link(path, "/task");
    lrnn_lint_rnn *r = NULL;
    lrnn_lint_task_info t;
    assert_int_equal(lrnn_lint_load(path, &r, &t, NULL), LRNN_OK);
    assert_false(t.present);
    lrnn_lint_free(r);
}

/* A failed save leaves an existing file as it was. */
static void test_failed_save_keeps_file(void **state) {
    (void)state;
    const char *path = test_path("keep.h5");
    write_valid(path);
    size_t n0, n1;
    char *before = read_bytes(path, &n0);
    lrnn_lint_rnn *r = make_rnn(LRNN_LINT_FULL_RANK, false);
    lrnn_lint_params(r)[0] = NAN;
    assert_int_not_equal(lrnn_lint_save(r, path, NULL, NULL), LRNN_OK);
    lrnn_lint_params(r)[0] = 0.0;
    lrnn_lint_task_info bad = romo_task();
    bad.params.romo.dt_ms = -1; /* invalid task */
    assert_int_not_equal(lrnn_lint_save(r, path, &bad, NULL), LRNN_OK);
    assert_message_has(path);
    char *after = read_bytes(path, &n1);
    assert_int_equal(n0, n1);
    assert_memory_equal(before, after, n0);
    assert_true(test_no_temp_files(path));
    free(before), free(after);
    lrnn_lint_free(r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_low_rank),
        cmocka_unit_test(test_round_trip_full_rank),
        cmocka_unit_test(test_round_trip_every_task),
        cmocka_unit_test(test_smc_model_refused),
        cmocka_unit_test(test_not_a_model),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_wrong_shape),
        cmocka_unit_test(test_nan_parameter),
        cmocka_unit_test(test_missing_dataset),
        cmocka_unit_test(test_bad_config_and_task),
        cmocka_unit_test(test_failed_save_keeps_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
