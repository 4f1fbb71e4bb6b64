/* Model files: save -> load round trips (bit-exact), history, describe, and bad inputs that
 * must fail with a clear message and leave existing files untouched. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <hdf5.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lrnn/io.h"
#include "lrnn/model_file.h"
#include "support.h"

/* ---- helpers ---- */

static lrnn_model *make_model(const lrnn_model_config *c) {
    lrnn_model *m = NULL;
    assert_int_equal(lrnn_model_create(c, &m), LRNN_OK);
    /* Initialisation leaves some parameters at exact zeros or constants; perturb every value
     * so that the round trip checks all of them with non-trivial bit patterns. */
    const lrnn_param_layout *l = lrnn_model_layout(m);
    double *p = lrnn_model_params(m);
    for (size_t i = 0; i < l->total; i++)
        p[i] += 1e-3 * sin(1.0 + (double)i) / 3.0;
    return m;
}

static void assert_message_has(const char *needle) {
    const char *msg = lrnn_last_error();
    if (!strstr(msg, needle)) fail_msg("message \"%s\" lacks \"%s\"", msg, needle);
}

static void assert_load_fails(const char *path, lrnn_status want, const char *needle1,
                              const char *needle2) {
    lrnn_model *m = (lrnn_model *)&m; /* non-NULL: load must reset it */
    lrnn_history h;
    memset(&h, 0xff, sizeof h); /* output parameter: load must reset it too */
    lrnn_status s = lrnn_model_load(path, &m, &h);
    if (s != want)
        fail_msg("status %s, expected %s (%s)", lrnn_status_name(s), lrnn_status_name(want),
                 lrnn_last_error());
    assert_null(m);
    assert_int_equal(h.count, 0);
    assert_null(h.epoch_bound);
    assert_message_has(path);
    if (needle1) assert_message_has(needle1);
    if (needle2) assert_message_has(needle2);
}

static void assert_configs_equal(const lrnn_model_config *a, const lrnn_model_config *b) {
    assert_int_equal(a->rank, b->rank);
    assert_int_equal(a->units, b->units);
    assert_int_equal(a->channels, b->channels);
    assert_int_equal(a->inputs, b->inputs);
    assert_int_equal(a->activation, b->activation);
    assert_int_equal(a->decay, b->decay);
    assert_memory_equal(&a->decay_init, &b->decay_init, sizeof a->decay_init);
    assert_int_equal(a->train_decay, b->train_decay);
    assert_int_equal(a->simulate_input, b->simulate_input);
    assert_int_equal(a->init_state, b->init_state);
    assert_int_equal(a->noise_z, b->noise_z);
    assert_int_equal(a->noise_z0, b->noise_z0);
    assert_int_equal(a->noise_x, b->noise_x);
    assert_memory_equal(&a->init_noise_z, &b->init_noise_z, sizeof(double));
    assert_memory_equal(&a->init_noise_z0, &b->init_noise_z0, sizeof(double));
    assert_memory_equal(&a->init_noise_x, &b->init_noise_x, sizeof(double));
    assert_int_equal(a->train_noise_z, b->train_noise_z);
    assert_int_equal(a->train_noise_z0, b->train_noise_z0);
    assert_int_equal(a->train_noise_x, b->train_noise_x);
    assert_int_equal(a->obs, b->obs);
    assert_int_equal(a->readout, b->readout);
    assert_int_equal(a->readout_from, b->readout_from);
    assert_int_equal(a->obs_nonlin, b->obs_nonlin);
    assert_int_equal(a->train_obs_weights, b->train_obs_weights);
    assert_int_equal(a->train_obs_bias, b->train_obs_bias);
    assert_int_equal(a->train_neuron_bias, b->train_neuron_bias);
    assert_int_equal(a->train_wu, b->train_wu);
    assert_int_equal(a->weight_dist, b->weight_dist);
    assert_true(a->seed == b->seed);
}

static void assert_models_equal(const lrnn_model *a, const lrnn_model *b) {
    assert_configs_equal(lrnn_model_config_of(a), lrnn_model_config_of(b));
    const lrnn_param_layout *la = lrnn_model_layout(a), *lb = lrnn_model_layout(b);
    assert_int_equal(la->total, lb->total);
    assert_int_equal(la->count, lb->count);
    assert_memory_equal(lrnn_model_params_const(a), lrnn_model_params_const(b),
                        la->total * sizeof(double));
}

static void read_file_bytes(const char *path, char **bytes, size_t *size) {
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    *bytes = malloc((size_t)n + 1);
    assert_non_null(*bytes);
    *size = fread(*bytes, 1, (size_t)n, f);
    fclose(f);
}

/* A valid model file at path (default config) for the bad-input tests to damage. */
static void write_valid(const char *path) {
    lrnn_model_config c = lrnn_model_default_config();
    lrnn_model *m = make_model(&c);
    assert_int_equal(lrnn_model_save(m, path, NULL), LRNN_OK);
    lrnn_model_free(m);
}

static hid_t open_rw(const char *path) {
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    assert_true(f >= 0);
    return f;
}

/* Replace attribute `name` of object `obj_path` with a scalar of the given types. */
static void replace_attr(const char *path, const char *obj_path, const char *name, hid_t ftype,
                         hid_t mtype, const void *value) {
    hid_t f = open_rw(path);
    hid_t obj = H5Oopen(f, obj_path, H5P_DEFAULT);
    assert_true(obj >= 0);
    if (H5Aexists(obj, name) > 0) assert_true(H5Adelete(obj, name) >= 0);
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t attr = H5Acreate2(obj, name, ftype, space, H5P_DEFAULT, H5P_DEFAULT);
    assert_true(attr >= 0);
    assert_true(H5Awrite(attr, mtype, value) >= 0);
    H5Aclose(attr);
    H5Sclose(space);
    H5Oclose(obj);
    assert_true(H5Fclose(f) >= 0);
}

static void replace_attr_i64(const char *path, const char *obj_path, const char *name, int64_t v) {
    replace_attr(path, obj_path, name, H5T_STD_I64LE, H5T_NATIVE_INT64, &v);
}

static void replace_attr_string(const char *path, const char *obj_path, const char *name,
                                const char *value) {
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    replace_attr(path, obj_path, name, t, t, &value);
    H5Tclose(t);
}

static void delete_attr(const char *path, const char *obj_path, const char *name) {
    hid_t f = open_rw(path);
    hid_t obj = H5Oopen(f, obj_path, H5P_DEFAULT);
    assert_true(obj >= 0);
    assert_true(H5Adelete(obj, name) >= 0);
    H5Oclose(obj);
    assert_true(H5Fclose(f) >= 0);
}

static void delete_link(const char *path, const char *link) {
    hid_t f = open_rw(path);
    assert_true(H5Ldelete(f, link, H5P_DEFAULT) >= 0);
    assert_true(H5Fclose(f) >= 0);
}

/* Create dataset `link` (after deleting any existing one) of file type ftype. */
static void put_dataset(const char *path, const char *link, int ndim, const hsize_t *dims,
                        hid_t ftype, hid_t mtype, const void *data) {
    hid_t f = open_rw(path);
    if (H5Lexists(f, link, H5P_DEFAULT) > 0) assert_true(H5Ldelete(f, link, H5P_DEFAULT) >= 0);
    hid_t space = H5Screate_simple(ndim, dims, NULL);
    hid_t ds = H5Dcreate2(f, link, ftype, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    assert_true(ds >= 0);
    assert_true(H5Dwrite(ds, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0);
    H5Dclose(ds);
    H5Sclose(space);
    assert_true(H5Fclose(f) >= 0);
}

/* ---- round trips ---- */

static void round_trip(const lrnn_model_config *c, const char *name) {
    const char *path = test_path(name);
    lrnn_model *a = make_model(c);
    if (lrnn_model_save(a, path, NULL) != LRNN_OK) fail_msg("save: %s", lrnn_last_error());
    assert_true(test_no_temp_files(path));
    lrnn_model *b = NULL;
    if (lrnn_model_load(path, &b, NULL) != LRNN_OK) fail_msg("load: %s", lrnn_last_error());
    assert_models_equal(a, b);
    /* Saving the loaded model again gives the same parameters once more. */
    lrnn_model *c2 = NULL;
    assert_int_equal(lrnn_model_save(b, path, NULL), LRNN_OK);
    assert_int_equal(lrnn_model_load(path, &c2, NULL), LRNN_OK);
    assert_models_equal(a, c2);
    lrnn_model_free(a);
    lrnn_model_free(b);
    lrnn_model_free(c2);
}

static void test_round_trip_default(void **state) {
    (void)state;
    lrnn_model_config c = lrnn_model_default_config(); /* clipped ReLU, full/full/diag */
    round_trip(&c, "default.h5");
}

static void test_round_trip_relu_diag_poisson_z_and_v(void **state) {
    (void)state;
    lrnn_model_config c = lrnn_model_default_config();
    c.rank = 3;
    c.units = 20;
    c.channels = 5;
    c.inputs = 2;
    c.activation = LRNN_ACT_RELU;
    c.noise_z = c.noise_z0 = c.noise_x = LRNN_NOISE_DIAG;
    c.obs = LRNN_OBS_POISSON;
    c.obs_nonlin = LRNN_G_SOFTPLUS;
    c.readout_from = LRNN_FROM_Z_AND_V;
    c.decay = LRNN_DECAY_PER_DIM;
    c.init_state = LRNN_INIT_ZERO;
    c.seed = 77;
    round_trip(&c, "relu.h5");
}

static void test_round_trip_tanh_scalar_one_to_one_currents(void **state) {
    (void)state;
    lrnn_model_config c = lrnn_model_default_config();
    c.rank = 2;
    c.units = 12;
    c.channels = 12;
    c.inputs = 3;
    c.activation = LRNN_ACT_TANH;
    c.noise_z = c.noise_z0 = c.noise_x = LRNN_NOISE_SCALAR;
    c.readout = LRNN_READOUT_ONE_TO_ONE;
    c.readout_from = LRNN_FROM_CURRENTS;
    c.simulate_input = true;
    c.train_wu = false;
    c.train_neuron_bias = false;
    c.decay_init = 0.75;
    round_trip(&c, "tanh.h5");
}

static void test_round_trip_identity_rates_full_x(void **state) {
    (void)state;
    lrnn_model_config c = lrnn_model_default_config();
    c.rank = 4;
    c.units = 9;
    c.channels = 9;
    c.activation = LRNN_ACT_IDENTITY;
    c.noise_z = LRNN_NOISE_FULL;
    c.noise_z0 = LRNN_NOISE_SCALAR;
    c.noise_x = LRNN_NOISE_FULL;
    c.readout = LRNN_READOUT_ONE_TO_ONE;
    c.readout_from = LRNN_FROM_RATES;
    c.decay = LRNN_DECAY_PER_DIM;
    c.weight_dist = LRNN_WEIGHTS_GAUSS;
    c.train_decay = c.train_noise_z = c.train_noise_z0 = c.train_noise_x = false;
    c.train_obs_weights = c.train_obs_bias = false;
    c.init_noise_z = 0.123456789012345;
    c.seed = UINT64_MAX - 5; /* above INT64_MAX: must survive as uint64 */
    round_trip(&c, "identity.h5");
}

static void test_round_trip_poisson_exp_one_to_one(void **state) {
    (void)state;
    lrnn_model_config c = lrnn_model_default_config();
    c.rank = 1;
    c.units = 6;
    c.channels = 6;
    c.inputs = 1;
    c.obs = LRNN_OBS_POISSON;
    c.obs_nonlin = LRNN_G_EXP;
    c.readout = LRNN_READOUT_ONE_TO_ONE;
    c.readout_from = LRNN_FROM_RATES;
    c.init_state = LRNN_INIT_ZERO;
    round_trip(&c, "poisson_exp.h5");
}

/* The file carries the root attributes and a config_json that parses to the same config. */
static void test_file_attributes_and_json(void **state) {
    (void)state;
    const char *path = test_path("attrs.h5");
    lrnn_model_config c = lrnn_model_default_config();
    c.seed = 12345;
    lrnn_model *m = make_model(&c);
    assert_int_equal(lrnn_model_save(m, path, NULL), LRNN_OK);
    hid_t f = open_rw(path);
    hid_t attr = H5Aopen(f, "config_json", H5P_DEFAULT);
    assert_true(attr >= 0);
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    char *text = NULL;
    assert_true(H5Aread(attr, t, &text) >= 0);
    json_error_t err;
    json_t *obj = json_loads(text, 0, &err);
    assert_non_null(obj);
    assert_int_equal(json_integer_value(json_object_get(obj, "rank")), c.rank);
    assert_string_equal(json_string_value(json_object_get(obj, "activation")), "clipped_relu");
    assert_true(json_real_value(json_object_get(obj, "decay_init")) == c.decay_init);
    assert_true(json_is_true(json_object_get(obj, "train_decay")));
    assert_int_equal(json_integer_value(json_object_get(obj, "seed")), 12345);
    json_decref(obj);
    H5free_memory(text);
    H5Aclose(attr);
    /* format_version is an integer 1; model_type a string. */
    int64_t version = 0;
    attr = H5Aopen(f, "format_version", H5P_DEFAULT);
    assert_true(H5Aread(attr, H5T_NATIVE_INT64, &version) >= 0);
    assert_int_equal(version, 1);
    H5Aclose(attr);
    attr = H5Aopen(f, "model_type", H5P_DEFAULT);
    assert_true(H5Aread(attr, t, &text) >= 0);
    assert_string_equal(text, "stochastic_low_rank");
    H5free_memory(text);
    H5Aclose(attr);
    /* Parameters are 2-D where the spec says so, with a trainable flag. */
    hid_t ds = H5Dopen2(f, "/params/m", H5P_DEFAULT);
    hid_t space = H5Dget_space(ds);
    hsize_t dims[2];
    assert_int_equal(H5Sget_simple_extent_dims(space, dims, NULL), 2);
    assert_int_equal(dims[0], c.units);
    assert_int_equal(dims[1], c.rank);
    H5Sclose(space);
    H5Dclose(ds);
    H5Tclose(t);
    H5Fclose(f);
    lrnn_model_free(m);
}

/* ---- history ---- */

static void test_history_append_grows(void **state) {
    (void)state;
    lrnn_history h = {0};
    for (int i = 0; i < 100; i++)
        assert_int_equal(lrnn_history_append(&h, -i, i % 2 ? NAN : 2.0 * i, 1e-3, 0.5), LRNN_OK);
    assert_int_equal(h.count, 100);
    assert_true(h.capacity >= 100 && h.capacity <= 200);
    assert_true(h.epoch_bound[99] == -99.0 && h.valid_bound[98] == 196.0);
    assert_true(isnan(h.valid_bound[99]));
    lrnn_history_free(&h);
    assert_int_equal(h.count, 0);
    assert_null(h.lr);
    lrnn_history_free(&h); /* idempotent */
}

static void test_history_round_trip(void **state) {
    (void)state;
    const char *path = test_path("history.h5");
    lrnn_model_config c = lrnn_model_default_config();
    lrnn_model *m = make_model(&c);
    lrnn_history h = {0};
    assert_int_equal(lrnn_history_append(&h, -100.5, -101.25, 1e-3, 1.5), LRNN_OK);
    assert_int_equal(lrnn_history_append(&h, -90.0, NAN, 9e-4, 1.25), LRNN_OK);
    assert_int_equal(lrnn_history_append(&h, -80.125, -85.0, 8.1e-4, 1.0 / 3.0), LRNN_OK);
    assert_int_equal(lrnn_model_save(m, path, &h), LRNN_OK);
    lrnn_model *back = NULL;
    lrnn_history got;
    assert_int_equal(lrnn_model_load(path, &back, &got), LRNN_OK);
    assert_int_equal(got.count, 3);
    assert_memory_equal(got.epoch_bound, h.epoch_bound, 3 * sizeof(double));
    assert_memory_equal(got.lr, h.lr, 3 * sizeof(double));
    assert_memory_equal(got.seconds, h.seconds, 3 * sizeof(double));
    assert_true(got.valid_bound[0] == -101.25 && isnan(got.valid_bound[1]) &&
                got.valid_bound[2] == -85.0);
    /* A loaded history can keep growing (training resumed from the file). */
    assert_int_equal(lrnn_history_append(&got, -70.0, -75.0, 7e-4, 1.0), LRNN_OK);
    assert_int_equal(got.count, 4);
    assert_models_equal(m, back);
    lrnn_history_free(&got);
    lrnn_model_free(back);

    /* Loading without asking for the history works too. */
    assert_int_equal(lrnn_model_load(path, &back, NULL), LRNN_OK);
    lrnn_model_free(back);

    /* count 0, both as "empty history" and as "no history" (NULL). */
    lrnn_history empty = {0};
    for (int pass = 0; pass < 2; pass++) {
        assert_int_equal(lrnn_model_save(m, path, pass ? NULL : &empty), LRNN_OK);
        memset(&got, 0xff, sizeof got);
        assert_int_equal(lrnn_model_load(path, &back, &got), LRNN_OK);
        assert_int_equal(got.count, 0);
        assert_null(got.epoch_bound);
        lrnn_history_free(&got);
        lrnn_model_free(back);
    }
    /* A file whose empty history has no datasets at all, only count = 0, also loads. */
    for (int k = 0; k < 4; k++) {
        static const char *const names[] = {"/history/epoch_bound", "/history/valid_bound",
                                            "/history/lr", "/history/seconds"};
        delete_link(path, names[k]);
    }
    assert_int_equal(lrnn_model_load(path, &back, &got), LRNN_OK);
    assert_int_equal(got.count, 0);
    lrnn_model_free(back);
    /* ... and so does one without /history. */
    delete_link(path, "/history");
    assert_int_equal(lrnn_model_load(path, &back, &got), LRNN_OK);
    assert_int_equal(got.count, 0);
    lrnn_model_free(back);

    lrnn_history_free(&h);
    lrnn_model_free(m);
}

static void test_history_bad(void **state) {
    (void)state;
    const char *path = test_path("history_bad.h5");
    lrnn_model_config c = lrnn_model_default_config();
    lrnn_model *m = make_model(&c);
    lrnn_history h = {0};
    for (int i = 0; i < 3; i++)
        assert_int_equal(lrnn_history_append(&h, i, i, i, i), LRNN_OK);
    assert_int_equal(lrnn_model_save(m, path, &h), LRNN_OK);
    hsize_t two = 2;
    double v[2] = {1, 2};
    put_dataset(path, "/history/lr", 1, &two, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, v);
    assert_load_fails(path, LRNN_ERR_SHAPE, "/history/lr", "2 records");

    assert_int_equal(lrnn_model_save(m, path, &h), LRNN_OK);
    replace_attr_i64(path, "/history", "count", 5);
    assert_load_fails(path, LRNN_ERR_FORMAT, "count = 5", "3 records");

    assert_int_equal(lrnn_model_save(m, path, &h), LRNN_OK);
    delete_link(path, "/history/seconds");
    assert_load_fails(path, LRNN_ERR_FORMAT, "/history/seconds", "missing");
    lrnn_history_free(&h);
    lrnn_model_free(m);
}

/* ---- describe ---- */

static void test_describe(void **state) {
    (void)state;
    lrnn_model_config c = lrnn_model_default_config();
    c.inputs = 2;
    c.train_wu = false;
    lrnn_model *m = make_model(&c);
    char buf[LRNN_DESCRIBE_CAP];
    assert_int_equal(lrnn_model_describe(m, buf, sizeof buf), LRNN_OK);
    assert_non_null(strstr(buf, "rank: 2"));
    assert_non_null(strstr(buf, "activation: clipped_relu"));
    assert_non_null(strstr(buf, "decay_init: 0.9"));
    assert_non_null(strstr(buf, "train_wu: no"));
    assert_non_null(strstr(buf, "seed: 1\n"));
    assert_non_null(strstr(buf, "64 x 2"));
    assert_non_null(strstr(buf, "W_u"));
    char totals[128];
    const lrnn_param_layout *l = lrnn_model_layout(m);
    snprintf(totals, sizeof totals, "total: %zu parameters, %zu trainable", l->total,
             lrnn_param_layout_trainable(l));
    assert_non_null(strstr(buf, totals));
    /* Too small a buffer: truncated, terminated, and the message gives the size needed. */
    char small[64];
    assert_int_equal(lrnn_model_describe(m, small, sizeof small), LRNN_ERR_ARG);
    assert_int_equal(strlen(small), sizeof small - 1);
    assert_message_has("needs");
    lrnn_model_free(m);
}

/* ---- bad inputs ---- */

static void test_load_nonexistent(void **state) {
    (void)state;
    assert_load_fails(test_path("no_such_file.h5"), LRNN_ERR_IO, "No such file", NULL);
}

static void test_load_garbage(void **state) {
    (void)state;
    const char *path = test_path("garbage.h5");
    const char junk[] = "this is not an HDF5 file, just some text\n";
    test_write_bytes(path, junk, sizeof junk);
    assert_load_fails(path, LRNN_ERR_FORMAT, "not an HDF5 file", NULL);
    test_write_bytes(path, "", 0);
    assert_load_fails(path, LRNN_ERR_FORMAT, "not an HDF5 file", NULL);
}

static void test_load_truncated(void **state) {
    (void)state;
    const char *path = test_path("truncated.h5");
    write_valid(path);
    char *bytes;
    size_t size;
    read_file_bytes(path, &bytes, &size);
    test_write_bytes(path, bytes, size / 2);
    free(bytes);
    lrnn_model *m = NULL;
    assert_int_not_equal(lrnn_model_load(path, &m, NULL), LRNN_OK);
    assert_null(m);
    assert_message_has(path);
}

static void test_load_directory(void **state) {
    (void)state;
    const char *path = test_path("a_directory.h5");
    mkdir(path, 0777);
    assert_load_fails(path, LRNN_ERR_IO, "not a regular file", NULL);
    rmdir(path);
}

static void test_load_hdf5_without_format(void **state) {
    (void)state;
    const char *path = test_path("plain.h5");
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    assert_true(f >= 0);
    H5Fclose(f);
    assert_load_fails(path, LRNN_ERR_FORMAT, "is not an lrnn model file", "'format'");

    write_valid(path);
    replace_attr_string(path, "/", "format", "something-else");
    assert_load_fails(path, LRNN_ERR_FORMAT, "is not an lrnn model file", "something-else");

    write_valid(path);
    replace_attr_i64(path, "/", "format", 7);
    assert_load_fails(path, LRNN_ERR_FORMAT, "is not an lrnn model file", NULL);
}

static void test_load_other_format_versions(void **state) {
    (void)state;
    const char *path = test_path("version.h5");
    write_valid(path);
    replace_attr_i64(path, "/", "format_version", 2);
    assert_load_fails(path, LRNN_ERR_UNSUPPORTED, "written by format version 2",
                      "this lrnn reads version 1");
    replace_attr_i64(path, "/", "format_version", 0);
    assert_load_fails(path, LRNN_ERR_UNSUPPORTED, "written by format version 0",
                      "this lrnn reads version 1");
    delete_attr(path, "/", "format_version");
    assert_load_fails(path, LRNN_ERR_FORMAT, "format_version", "missing");
}

static void test_load_wrong_model_type(void **state) {
    (void)state;
    const char *path = test_path("model_type.h5");
    write_valid(path);
    replace_attr_string(path, "/", "model_type", "lint_rate");
    assert_load_fails(path, LRNN_ERR_UNSUPPORTED, "model type 'lint_rate'", "stochastic_low_rank");
}

static void test_load_config_problems(void **state) {
    (void)state;
    const char *path = test_path("config.h5");
    write_valid(path);
    replace_attr_string(path, "/config", "activation", "sigmoid");
    assert_load_fails(path, LRNN_ERR_FORMAT, "activation", "'sigmoid'");

    write_valid(path);
    replace_attr_string(path, "/config", "noise_z0", "wide");
    assert_load_fails(path, LRNN_ERR_FORMAT, "noise_z0", "'wide'");

    write_valid(path);
    delete_attr(path, "/config", "units");
    assert_load_fails(path, LRNN_ERR_FORMAT, "config attribute 'units'", "missing");

    write_valid(path);
    replace_attr_i64(path, "/config", "rank", 0);
    assert_load_fails(path, LRNN_ERR_FORMAT, "invalid config", "rank");

    write_valid(path);
    replace_attr_i64(path, "/config", "train_decay", 2);
    assert_load_fails(path, LRNN_ERR_FORMAT, "train_decay", "0 or 1");

    write_valid(path);
    replace_attr_string(path, "/config", "decay_init", "0.9");
    assert_load_fails(path, LRNN_ERR_FORMAT, "decay_init", "must be a number");

    write_valid(path);
    replace_attr_i64(path, "/config", "seed", -3);
    assert_load_fails(path, LRNN_ERR_FORMAT, "seed", "negative");

    /* A bool written by h5py (numpy bool -> int8 enum FALSE/TRUE) is understood. */
    write_valid(path);
    hid_t booltype = H5Tenum_create(H5T_NATIVE_INT8);
    int8_t no = 0, yes = 1;
    H5Tenum_insert(booltype, "FALSE", &no);
    H5Tenum_insert(booltype, "TRUE", &yes);
    replace_attr(path, "/config", "train_decay", booltype, booltype, &no);
    H5Tclose(booltype);
    /* The stored trainable flag must agree with the edited config. */
    assert_load_fails(path, LRNN_ERR_FORMAT, "'/params/decay_param'", "trainable = 1");
    uint8_t fixed = 0;
    replace_attr(path, "/params/decay_param", "trainable", H5T_STD_U8LE, H5T_NATIVE_UINT8, &fixed);
    lrnn_model *m = NULL;
    if (lrnn_model_load(path, &m, NULL) != LRNN_OK) fail_msg("%s", lrnn_last_error());
    assert_false(lrnn_model_config_of(m)->train_decay);
    lrnn_model_free(m);
}

static void test_load_missing_dataset(void **state) {
    (void)state;
    const char *path = test_path("missing.h5");
    write_valid(path);
    delete_link(path, "/params/n");
    assert_load_fails(path, LRNN_ERR_FORMAT, "'/params/n'", "missing");
    write_valid(path);
    delete_link(path, "/params");
    assert_load_fails(path, LRNN_ERR_FORMAT, "'/params'", "missing");
}

static void test_load_wrong_shape(void **state) {
    (void)state;
    const char *path = test_path("shape.h5");
    lrnn_model_config c = lrnn_model_default_config();
    write_valid(path);
    size_t rows = (size_t)c.units + 1, cols = (size_t)c.rank;
    double *v = calloc(rows * cols, sizeof *v);
    hsize_t dims[2] = {rows, cols};
    put_dataset(path, "/params/m", 2, dims, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, v);
    assert_load_fails(path, LRNN_ERR_SHAPE, "'/params/m' has shape (65, 2)", "expected (64, 2)");
    /* Right count, wrong rank. */
    hsize_t flat = (hsize_t)c.units * (hsize_t)c.rank;
    put_dataset(path, "/params/m", 1, &flat, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, v);
    assert_load_fails(path, LRNN_ERR_SHAPE, "has shape (128,)", "expected (64, 2)");
    free(v);
}

static void test_load_wrong_dtype(void **state) {
    (void)state;
    const char *path = test_path("dtype.h5");
    lrnn_model_config c = lrnn_model_default_config();
    write_valid(path);
    int *v = calloc((size_t)c.units, sizeof *v);
    hsize_t n = (hsize_t)c.units;
    put_dataset(path, "/params/h", 1, &n, H5T_STD_I32LE, H5T_NATIVE_INT, v);
    assert_load_fails(path, LRNN_ERR_FORMAT, "'/params/h'", "integer");
    free(v);
    /* float32 is still floating point: accepted and widened. */
    float *f = calloc((size_t)c.units, sizeof *f);
    f[3] = 0.25f;
    put_dataset(path, "/params/h", 1, &n, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, f);
    lrnn_model *m = NULL;
    assert_int_equal(lrnn_model_load(path, &m, NULL), LRNN_OK);
    assert_true(lrnn_model_params_const(
                    m)[lrnn_param_layout_find(lrnn_model_layout(m), "h")->offset + 3] == 0.25);
    lrnn_model_free(m);
    free(f);
}

static void test_load_nan_parameter(void **state) {
    (void)state;
    const char *path = test_path("nan.h5");
    lrnn_model_config c = lrnn_model_default_config();
    write_valid(path);
    double *v = calloc((size_t)c.units, sizeof *v);
    v[5] = NAN;
    hsize_t n = (hsize_t)c.units;
    put_dataset(path, "/params/h", 1, &n, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, v);
    assert_load_fails(path, LRNN_ERR_NUMERIC, "'/params/h'", "non-finite value (nan) at index 5");
    free(v);
    /* 2-D: the message gives row and column too. */
    write_valid(path);
    size_t R = (size_t)c.rank, N = (size_t)c.units;
    double *m = calloc(N * R, sizeof *m);
    m[3 * R + 1] = INFINITY;
    hsize_t dims[2] = {N, R};
    put_dataset(path, "/params/m", 2, dims, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, m);
    assert_load_fails(path, LRNN_ERR_NUMERIC, "'/params/m'", "row 3, column 1");
    free(m);
}

static void test_load_extra_dataset_and_trainable(void **state) {
    (void)state;
    const char *path = test_path("extra.h5");
    write_valid(path);
    hsize_t one = 1;
    double x = 0.0;
    put_dataset(path, "/params/W_u", 1, &one, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &x);
    assert_load_fails(path, LRNN_ERR_FORMAT, "unexpected dataset '/params/W_u'", NULL);

    write_valid(path);
    uint8_t no = 0;
    replace_attr(path, "/params/m", "trainable", H5T_STD_U8LE, H5T_NATIVE_UINT8, &no);
    assert_load_fails(path, LRNN_ERR_FORMAT, "'/params/m'", "trainable");
}

/* ---- atomic saves ---- */

static void test_save_into_missing_directory(void **state) {
    (void)state;
    const char *path = test_path("no_such_dir/model.h5");
    lrnn_model_config c = lrnn_model_default_config();
    lrnn_model *m = make_model(&c);
    assert_int_equal(lrnn_model_save(m, path, NULL), LRNN_ERR_IO);
    assert_message_has(path);
    assert_false(test_file_exists(path));
    assert_true(test_no_temp_files(path));
    lrnn_model_free(m);
}

static void test_save_failures_leave_original(void **state) {
    (void)state;
    lrnn_model_config c = lrnn_model_default_config();
    lrnn_model *m = make_model(&c);

    /* path is a directory: the temporary file is written, the rename fails, the temporary
     * file is removed and the directory is untouched. */
    const char *dir = test_path("model_dir.h5");
    mkdir(dir, 0777);
    char inside[1300];
    snprintf(inside, sizeof inside, "%s/keep.txt", dir);
    test_write_bytes(inside, "keep", 4);
    assert_int_equal(lrnn_model_save(m, dir, NULL), LRNN_ERR_IO);
    assert_message_has("rename");
    assert_true(test_file_exists(inside));
    assert_true(test_no_temp_files(dir));

    /* An existing model file survives a save that fails. */
    const char *path = test_path("keep.h5");
    write_valid(path);
    char *before, *after;
    size_t nbefore, nafter;
    read_file_bytes(path, &before, &nbefore);

    /* (a) non-finite parameters are refused before anything is written */
    lrnn_model *bad = make_model(&c);
    lrnn_model_params(bad)[7] = NAN;
    assert_int_equal(lrnn_model_save(bad, path, NULL), LRNN_ERR_NUMERIC);
    assert_message_has("non-finite");
    lrnn_model_free(bad);

    /* (b) the temporary name is blocked by a directory: creation fails, and the blocker,
     * which is not ours, is not removed. */
    char tmp[1300];
    lrnn_tmp_path(path, tmp, sizeof tmp);
    mkdir(tmp, 0777);
    assert_int_equal(lrnn_model_save(m, path, NULL), LRNN_ERR_IO);
    assert_message_has("temporary");
    struct stat st;
    assert_int_equal(stat(tmp, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    rmdir(tmp);

    read_file_bytes(path, &after, &nafter);
    assert_int_equal(nbefore, nafter);
    assert_memory_equal(before, after, nbefore);
    assert_true(test_no_temp_files(path));
    free(before);
    free(after);

    /* A successful save replaces the file. */
    assert_int_equal(lrnn_model_save(m, path, NULL), LRNN_OK);
    lrnn_model *back = NULL;
    assert_int_equal(lrnn_model_load(path, &back, NULL), LRNN_OK);
    assert_models_equal(m, back);
    lrnn_model_free(back);
    lrnn_model_free(m);
}

static void test_bad_arguments(void **state) {
    (void)state;
    lrnn_model *m = NULL;
    assert_int_equal(lrnn_model_load(NULL, &m, NULL), LRNN_ERR_ARG);
    assert_int_equal(lrnn_model_save(NULL, test_path("x.h5"), NULL), LRNN_ERR_ARG);
    lrnn_model_config c = lrnn_model_default_config();
    m = make_model(&c);
    lrnn_history h = {0};
    h.count = 2; /* claims records but holds none */
    assert_int_equal(lrnn_model_save(m, test_path("x.h5"), &h), LRNN_ERR_ARG);
    assert_false(test_file_exists(test_path("x.h5")));
    lrnn_model_free(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_default),
        cmocka_unit_test(test_round_trip_relu_diag_poisson_z_and_v),
        cmocka_unit_test(test_round_trip_tanh_scalar_one_to_one_currents),
        cmocka_unit_test(test_round_trip_identity_rates_full_x),
        cmocka_unit_test(test_round_trip_poisson_exp_one_to_one),
        cmocka_unit_test(test_file_attributes_and_json),
        cmocka_unit_test(test_history_append_grows),
        cmocka_unit_test(test_history_round_trip),
        cmocka_unit_test(test_history_bad),
        cmocka_unit_test(test_describe),
        cmocka_unit_test(test_load_nonexistent),
        cmocka_unit_test(test_load_garbage),
        cmocka_unit_test(test_load_truncated),
        cmocka_unit_test(test_load_directory),
        cmocka_unit_test(test_load_hdf5_without_format),
        cmocka_unit_test(test_load_other_format_versions),
        cmocka_unit_test(test_load_wrong_model_type),
        cmocka_unit_test(test_load_config_problems),
        cmocka_unit_test(test_load_missing_dataset),
        cmocka_unit_test(test_load_wrong_shape),
        cmocka_unit_test(test_load_wrong_dtype),
        cmocka_unit_test(test_load_nan_parameter),
        cmocka_unit_test(test_load_extra_dataset_and_trainable),
        cmocka_unit_test(test_save_into_missing_directory),
        cmocka_unit_test(test_save_failures_leave_original),
        cmocka_unit_test(test_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
