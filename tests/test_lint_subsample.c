/* LINT subsampling (spec lint_method.md 3.4, 5.6; include/lrnn/lint_subsample.h): the neuron
 * count floor(N p); neuron selections that are reproducible, without replacement and uniform;
 * the teacher's targets on the selected neurons equal the columns of the full targets; the
 * restricted readout is the teacher's readout at p = 1 and an unbiased estimate of it below;
 * and a rank-1 teacher of N = 20000 restricted to 5% runs end to end in seconds without any
 * N x N allocation (the address space is capped below N^2 doubles). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <cmocka.h>

#include "lrnn/lint.h"
#include "lrnn/lint_subsample.h"
#include "lrnn/rng.h"
#include "support.h"
#include "lrnn/task.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define UNDER_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define UNDER_SANITIZER 1
#endif
#endif

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void test_count(void **state) {
    (void)state;
    /* spec 7.4's counts for N = 1024 */
    const double p[] = {1, .8, .6, .4, .2, .15, .1, .05, .02, .01};
    const size_t want[] = {1024, 819, 614, 409, 204, 153, 102, 51, 20, 10};
    for (size_t i = 0; i < sizeof p / sizeof p[0]; i++) {
        size_t n = 0;
        assert_int_equal(lrnn_lint_subsample_count(1024, p[i], &n), LRNN_OK);
        assert_int_equal(n, want[i]);
    }
    size_t n = 0;
    assert_int_equal(lrnn_lint_subsample_count(100, 0.29, &n), LRNN_OK); /* 28.999999999999996 */
    assert_int_equal(n, 29);
    assert_int_equal(lrnn_lint_subsample_count(1024, 0.0, &n), LRNN_ERR_ARG);
    assert_int_equal(lrnn_lint_subsample_count(1024, 1.5, &n), LRNN_ERR_ARG);
    assert_int_equal(lrnn_lint_subsample_count(1024, NAN, &n), LRNN_ERR_ARG);
    assert_int_equal(lrnn_lint_subsample_count(1024, 1e-4, &n), LRNN_ERR_ARG);
    assert_non_null(strstr(lrnn_last_error(), "= 0 neurons"));
}

static void test_selection(void **state) {
    (void)state;
    enum { N = 20, K = 5, DRAWS = 20000 };
    size_t a[K], b[K], all[N];
    /* reproducible: the same (seed, draw) gives the same neurons; another draw another set */
    assert_int_equal(lrnn_lint_select_neurons(N, K, 7, 3, a), LRNN_OK);
    assert_int_equal(lrnn_lint_select_neurons(N, K, 7, 3, b), LRNN_OK);
    assert_memory_equal(a, b, sizeof a);
    int differ = 0;
    for (uint64_t d = 4; d < 8; d++) {
        assert_int_equal(lrnn_lint_select_neurons(N, K, 7, d, b), LRNN_OK);
        differ += memcmp(a, b, sizeof a) != 0;
    }
    assert_true(differ >= 3); /* 4 draws all equal to a by chance: (1 / C(20, 5))^... */
    /* p = 1 is every neuron */
    assert_int_equal(lrnn_lint_select_neurons(N, N, 1, 0, all), LRNN_OK);
    for (size_t i = 0; i < N; i++)
        assert_int_equal(all[i], i);
    assert_int_equal(lrnn_lint_select_neurons(N, N + 1, 1, 0, all), LRNN_ERR_ARG);
    assert_int_equal(lrnn_lint_select_neurons(N, 0, 1, 0, all), LRNN_ERR_ARG);

    /* without replacement (strictly increasing, in range) and uniform: each neuron is in a
     * draw with probability K / N = 1/4, so its count over DRAWS draws is Binomial(20000, 1/4),
     * sd sqrt(20000 x 3/16) = 61.2; 5 sd (306) fails a correct sampler with probability
     * 20 x 6e-7. A sampler biased to the low indices (e.g. stopping early) is off by far more. */
    long count[N] = {0};
    for (uint64_t d = 0; d < DRAWS; d++) {
        assert_int_equal(lrnn_lint_select_neurons(N, K, 11, d, a), LRNN_OK);
        for (size_t k = 0; k < K; k++) {
            assert_true(a[k] < N);
            if (k) assert_true(a[k] > a[k - 1]);
            count[a[k]]++;
        }
    }
    for (size_t i = 0; i < N; i++)
        assert_true(fabs((double)count[i] - DRAWS * 0.25) < 5 * 61.2);
}


static lrnn_lint_rnn *make_teacher(lrnn_lint_kind kind, int N, int U, int O, double sigma) {
    lrnn_lint_config c = lrnn_lint_default_config(kind);
    c.units = N, c.rank = 1, c.inputs = U, c.outputs = O, c.noise_std = sigma, c.seed = 5;
    lrnn_lint_rnn *rnn = NULL;
    assert_int_equal(lrnn_lint_create(&c, &rnn), LRNN_OK);
    /* so = 1.7: the restricted weights must carry the readout gain too */
    lrnn_lint_view v = lrnn_lint_view_of(lrnn_lint_layout(rnn), lrnn_lint_params(rnn));
    for (int o = 0; o < O; o++)
        v.so[o] = 1.7;
    return rnn;
}

/* The selected targets are the full targets' columns: the same run (noise streams of the same
 * trials) and the same tanh, so equal to the last bit; t = 0 adds tanh(h0) = 0 rows. */
static void test_targets_select(void **state) {
    (void)state;
    enum { N = 30, U = 2, T = 12, TR = 70, K = 9 };
    lrnn_lint_rnn *teacher = make_teacher(LRNN_LINT_LOW_RANK, N, U, 1, 0.05);
    double *u = malloc(TR * T * U * sizeof *u), *full = malloc(TR * T * N * sizeof *full);
    double *sel_y = malloc(TR * (T + 1) * K * sizeof *sel_y);
    test_random_inputs(2, TR, T, U, u);
    size_t sel[K];
    assert_int_equal(lrnn_lint_select_neurons(N, K, 3, 0, sel), LRNN_OK);
    lrnn_lint_noise nz = {9, 0};
    for (int target = 0; target < 2; target++) {
        lrnn_lint_target tg = target ? LRNN_LINT_TARGET_STATES : LRNN_LINT_TARGET_RATES;
        assert_int_equal(lrnn_lint_teacher_targets(teacher, u, TR, T, nz, tg, full), LRNN_OK);
        assert_int_equal(
            lrnn_lint_teacher_targets_select(teacher, u, TR, T, nz, tg, sel, K, false, sel_y),
            LRNN_OK);
        for (size_t j = 0; j < TR; j++)
            for (size_t t = 0; t < T; t++)
                for (size_t k = 0; k < K; k++)
                    assert_true(sel_y[(j * T + t) * K + k] == full[(j * T + t) * N + sel[k]]);
        assert_int_equal(
            lrnn_lint_teacher_targets_select(teacher, u, TR, T, nz, tg, sel, K, true, sel_y),
            LRNN_OK);
        for (size_t j = 0; j < TR; j++)
            for (size_t t = 0; t <= T; t++)
                for (size_t k = 0; k < K; k++) {
                    double want = t == 0 ? 0.0 : full[(j * T + t - 1) * N + sel[k]];
                    assert_true(sel_y[(j * (T + 1) + t) * K + k] == want);
                }
    }
    /* a selection that repeats a neuron or leaves 0..N-1 is refused, naming the entry */
    size_t bad[3] = {4, 4, 7};
    assert_int_equal(lrnn_lint_teacher_targets_select(teacher, u, TR, T, nz, LRNN_LINT_TARGET_RATES,
                                                      bad, 3, false, sel_y),
                     LRNN_ERR_ARG);
    assert_non_null(strstr(lrnn_last_error(), "strictly increasing"));
    bad[1] = 5, bad[2] = N;
    assert_int_equal(lrnn_lint_teacher_targets_select(teacher, u, TR, T, nz, LRNN_LINT_TARGET_RATES,
                                                      bad, 3, false, sel_y),
                     LRNN_ERR_ARG);
    assert_non_null(strstr(lrnn_last_error(), "not below N"));
    free(u), free(full), free(sel_y);
    lrnn_lint_free(teacher);
}

/* At p = 1 the restricted readout on the teacher's own states is the teacher's output (same
 * terms, summed in another order: 1e-12 relative); below p = 1 it is an unbiased estimate of
 * it: the mean over M random selections is within 5 standard errors of the full output. */
static void check_readout(lrnn_lint_kind kind) {
    enum { N = 48, U = 2, O = 2, T = 10, TR = 6, K = 12, M = 4000 };
    lrnn_lint_rnn *teacher = make_teacher(kind, N, U, O, 0.0);
    double *u = malloc(TR * T * U * sizeof *u), *xs = malloc(TR * (T + 1) * N * sizeof *xs);
    double *y = malloc(TR * T * O * sizeof *y), *yr = malloc(TR * T * O * sizeof *yr);
    double *xk = malloc(TR * (T + 1) * K * sizeof *xk);
    test_random_inputs(4, TR, T, U, u);
    lrnn_lint_noise nz = {1, 0};
    assert_int_equal(lrnn_lint_simulate(teacher, u, NULL, TR, T, nz, xs, y), LRNN_OK);
    size_t all[N];
    assert_int_equal(lrnn_lint_select_neurons(N, N, 1, 0, all), LRNN_OK);
    lrnn_lint_restricted_readout r;
    assert_int_equal(lrnn_lint_restricted_readout_make(teacher, all, N, &r), LRNN_OK);
    assert_true(r.scale == 1.0);
    assert_int_equal(lrnn_lint_restricted_readout_apply(&r, xs, TR, T, yr), LRNN_OK);
    double ymax = 0;
    for (size_t i = 0; i < TR * T * O; i++)
        ymax = fmax(ymax, fabs(y[i]));
    assert_true(ymax > 0);
    for (size_t i = 0; i < TR * T * O; i++)
        assert_true(fabs(yr[i] - y[i]) <= 1e-12 * ymax);
    lrnn_lint_restricted_readout_free(&r);

    /* one output (trial 2, step T-1, output 1) estimated from K = N/4 neurons, M selections */
    size_t at = (2 * T + T - 1) * O + 1, sel[K];
    double sum = 0, sum2 = 0;
    for (uint64_t d = 0; d < M; d++) {
        assert_int_equal(lrnn_lint_select_neurons(N, K, 21, d, sel), LRNN_OK);
        assert_int_equal(lrnn_lint_restricted_readout_make(teacher, sel, K, &r), LRNN_OK);
        assert_true(fabs(r.scale - 4.0) < 1e-15);
        for (size_t j = 0; j < TR; j++)
            for (size_t t = 0; t <= T; t++)
                for (size_t k = 0; k < K; k++)
                    xk[(j * (T + 1) + t) * K + k] = xs[(j * (T + 1) + t) * N + sel[k]];
        assert_int_equal(lrnn_lint_restricted_readout_apply(&r, xk, TR, T, yr), LRNN_OK);
        sum += yr[at], sum2 += yr[at] * yr[at];
        lrnn_lint_restricted_readout_free(&r);
    }
    double mean = sum / M, sd = sqrt(fmax(sum2 / M - mean * mean, 0.0));
    assert_true(sd > 0);
    assert_true(fabs(mean - y[at]) < 5.0 * sd / sqrt((double)M));
    free(u), free(xs), free(y), free(yr), free(xk);
    lrnn_lint_free(teacher);
}

static void test_readout_low_rank(void **state) {
    (void)state;
    check_readout(LRNN_LINT_LOW_RANK);
}

static void test_readout_full_rank(void **state) {
    (void)state;
    check_readout(LRNN_LINT_FULL_RANK);
}

static void test_readout_errors(void **state) {
    (void)state;
    lrnn_lint_config c = lrnn_lint_student_config(10, 1, 2, 0.0, LRNN_LINT_TARGET_RATES, 1);
    lrnn_lint_rnn *student = NULL;
    assert_int_equal(lrnn_lint_create(&c, &student), LRNN_OK);
    size_t sel[2] = {1, 3};
    lrnn_lint_restricted_readout r;
    assert_int_equal(lrnn_lint_restricted_readout_make(student, sel, 2, &r), LRNN_ERR_ARG);
    assert_non_null(strstr(lrnn_last_error(), "identity readout"));
    lrnn_lint_free(student);
}

/* The full-rank student of spec 3.4: identity readout, trains wi and wrec only. */
static void test_full_student_config(void **state) {
    (void)state;
    lrnn_lint_config c = lrnn_lint_full_student_config(16, 4, 0.05, LRNN_LINT_TARGET_RATES, 3);
    assert_int_equal(lrnn_lint_config_check(&c), LRNN_OK);
    lrnn_lint_rnn *rnn = NULL;
    assert_int_equal(lrnn_lint_create(&c, &rnn), LRNN_OK);
    const lrnn_param_layout *l = lrnn_lint_layout(rnn);
    for (int i = 0; i < l->count; i++) {
        int want = !strcmp(l->entry[i].name, "wi") || !strcmp(l->entry[i].name, "wrec");
        assert_int_equal(l->entry[i].trainable, want);
        assert_true(strcmp(l->entry[i].name, "wo") != 0);
    }
    assert_int_equal(lrnn_lint_config_of(rnn)->kind, LRNN_LINT_FULL_RANK);
    lrnn_lint_free(rnn);
}

/* Cap the address space at what the process maps now plus `extra` bytes (returns the old
 * limit in *old). Under a sanitizer the shadow memory makes the cap meaningless: skipped. */
static int cap_address_space(double extra, struct rlimit *old) {
#ifdef UNDER_SANITIZER
    (void)extra, (void)old;
    return 0;
#else
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long pages = 0;
    if (!f) return 0;
    int ok = fscanf(f, "%lu", &pages) == 1;
    fclose(f);
    if (!ok || getrlimit(RLIMIT_AS, old) != 0) return 0;
    struct rlimit cap = *old;
    cap.rlim_cur = (rlim_t)((double)pages * 4096.0 + extra);
    if (old->rlim_max != RLIM_INFINITY && cap.rlim_cur > old->rlim_max) return 0;
    return setrlimit(RLIMIT_AS, &cap) == 0;
#endif
}

/* N = 20000 rank-1 teacher on CDM trials, 5% observed (1000 neurons): the selected targets,
 * a rank-1 student fitted to them (2 epochs), its run on held-out trials and its accuracy
 * through the restricted readout, all under an address-space cap of 1.5 GB more than at the
 * start: N^2 doubles (3.2 GB) cannot be allocated, so nothing forms an N x N matrix. Where the
 * cap cannot be set (sanitizer builds reserve terabytes of shadow address space), the peak
 * resident size may grow by 1.5 GB at most: an N x N matrix written once would add 3.2 GB.
 * The time is printed, not asserted (about 1 s; performance belongs to bench/). */
static void test_large_teacher(void **state) {
    (void)state;
    enum { N = 20000, TR = 48, VAL = 16 };
    lrnn_task_params tp = lrnn_task_default_params(LRNN_TASK_CDM);
    lrnn_task_data all = {0};
    assert_int_equal(lrnn_task_generate(&tp, 3, 0, TR + VAL, &all), LRNN_OK);
    size_t T = all.T, U = all.U;
    lrnn_lint_rnn *teacher = make_teacher(LRNN_LINT_LOW_RANK, N, (int)U, 1, 0.05);
    size_t n_sel = 0;
    assert_int_equal(lrnn_lint_subsample_count(N, 0.05, &n_sel), LRNN_OK);
    assert_int_equal(n_sel, 1000);
    size_t *sel = malloc(n_sel * sizeof *sel);
    double *y = malloc(TR * T * n_sel * sizeof *y);
    double *xs = malloc(VAL * (T + 1) * n_sel * sizeof *xs), *out = malloc(VAL * T * sizeof *out);

    struct rlimit old;
    int capped = cap_address_space(1.5e9, &old);
    struct rusage ru0, ru1;
    getrusage(RUSAGE_SELF, &ru0);
    double t0 = now();
    assert_int_equal(lrnn_lint_select_neurons(N, n_sel, 1, 0, sel), LRNN_OK);
    lrnn_lint_noise nz = {5, 0};
    assert_int_equal(lrnn_lint_teacher_targets_select(teacher, all.inputs, TR, T, nz,
                                                      LRNN_LINT_TARGET_RATES, sel, n_sel, false, y),
                     LRNN_OK);
    lrnn_lint_data d = {.trials = TR, .T = T, .inputs = all.inputs, .targets = y};
    lrnn_lint_fit_params fp = lrnn_lint_fit_default_params();
    fp.rank = 1, fp.noise_std = 0.05, fp.train.epochs = 2, fp.train.batch_size = 16;
    lrnn_lint_rnn *student = NULL;
    lrnn_lint_train_result res;
    assert_int_equal(lrnn_lint_fit(&fp, (int)n_sel, (int)U, &d, &student, &res), LRNN_OK);
    assert_true(res.best_loss <= res.initial_loss);
    const double *uval = all.inputs + TR * T * U;
    assert_int_equal(lrnn_lint_simulate(student, uval, NULL, VAL, T, nz, xs, NULL), LRNN_OK);
    lrnn_lint_restricted_readout r;
    assert_int_equal(lrnn_lint_restricted_readout_make(teacher, sel, n_sel, &r), LRNN_OK);
    assert_int_equal(lrnn_lint_restricted_readout_apply(&r, xs, VAL, T, out), LRNN_OK);
    double seconds = now() - t0;
    getrusage(RUSAGE_SELF, &ru1);
    if (capped) setrlimit(RLIMIT_AS, &old);
    lrnn_task_data val = all;
    val.n = VAL, val.inputs += TR * T * U, val.targets += TR * T, val.mask += TR * T;
    val.trials += TR, val.first_trial += TR, val.owns = 0;
    double acc = -1;
    assert_int_equal(lrnn_task_accuracy(&tp, &val, out, &acc), LRNN_OK);
    assert_true(acc >= 0 && acc <= 1);
    double grown_gb = (double)(ru1.ru_maxrss - ru0.ru_maxrss) * 1024.0 / 1e9; /* KiB */
    print_message("N = %d, 5%% (%zu neurons): targets, 2-epoch fit, restricted readout in %.2f s, "
                  "peak resident size +%.2f GB (address space %s)\n",
                  N, n_sel, seconds, grown_gb, capped ? "capped at +1.5 GB" : "not capped");
    assert_true(grown_gb < 1.5);
    lrnn_lint_restricted_readout_free(&r);
    free(sel), free(y), free(xs), free(out);
    lrnn_lint_free(student);
    lrnn_lint_free(teacher);
    lrnn_task_data_free(&all);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_count),
        cmocka_unit_test(test_selection),
        cmocka_unit_test(test_targets_select),
        cmocka_unit_test(test_readout_low_rank),
        cmocka_unit_test(test_readout_full_rank),
        cmocka_unit_test(test_readout_errors),
        cmocka_unit_test(test_full_student_config),
        cmocka_unit_test(test_large_teacher),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
