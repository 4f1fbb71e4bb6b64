/* Cognitive tasks (spec lint_method.md section 4): sizes, seeded reproducibility independent of
 * n, chunking and thread count, input statistics, target/mask timing, the accuracy functions
 * and bad parameters.
 *
 * Statistical tolerances: with fixed seeds every check is deterministic; the bounds are
 * 5 standard deviations of the estimator (stated at each check), so a correct generator
 * passes for essentially any seed and a wrong mean, variance or frequency fails. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "lrnn/rng.h"
#include "lrnn/task.h"

static const lrnn_task_kind ALL[] = {LRNN_TASK_RDM, LRNN_TASK_ROMO, LRNN_TASK_CDM, LRNN_TASK_DMS,
                                     LRNN_TASK_RAPOSO};
enum { NKINDS = 5 };

static lrnn_task_data make(lrnn_task_params p, uint64_t seed, size_t first, size_t n) {
    lrnn_task_data d;
    lrnn_status s = lrnn_task_generate(&p, seed, first, n, &d);
    if (s) print_message("generate failed: %s\n", lrnn_last_error());
    assert_int_equal(s, LRNN_OK);
    return d;
}

static const double *trial_x(const lrnn_task_data *d, size_t i) {
    return d->inputs + i * d->T * d->U;
}
static const double *trial_y(const lrnn_task_data *d, size_t i) {
    return d->targets + i * d->T * d->O;
}
static const double *trial_m(const lrnn_task_data *d, size_t i) {
    return d->mask + i * d->T * d->O;
}

/* Trials [a, a + count) of d equal trials [b, b + count) of e, bit for bit. */
static void assert_same_trials(const lrnn_task_data *d, size_t a, const lrnn_task_data *e, size_t b,
                               size_t count) {
    assert_int_equal(d->T, e->T);
    assert_int_equal(d->U, e->U);
    size_t tu = d->T * d->U, to = d->T * d->O;
    assert_memory_equal(d->inputs + a * tu, e->inputs + b * tu, count * tu * sizeof(double));
    assert_memory_equal(d->targets + a * to, e->targets + b * to, count * to * sizeof(double));
    assert_memory_equal(d->mask + a * to, e->mask + b * to, count * to * sizeof(double));
    for (size_t i = 0; i < count; i++) { /* field by field: the struct has padding */
        const lrnn_task_trial *u = &d->trials[a + i], *v = &e->trials[b + i];
        assert_true(u->catch_trial == v->catch_trial && u->coherence == v->coherence &&
                    u->coherence2 == v->coherence2 && u->context == v->context && u->f1 == v->f1 &&
                    u->f2 == v->f2 && u->stim1 == v->stim1 && u->stim2 == v->stim2 &&
                    u->match == v->match && u->delay == v->delay && u->target == v->target &&
                    u->response_begin == v->response_begin && u->response_end == v->response_end);
    }
}

/* ---- names, sizes, defaults ---- */

static void names_parse_and_round_trip(void **state) {
    (void)state;
    for (int k = 0; k < NKINDS; k++) {
        lrnn_task_kind out;
        assert_int_equal(lrnn_task_kind_parse(lrnn_task_kind_name(ALL[k]), &out), LRNN_OK);
        assert_int_equal(out, ALL[k]);
    }
    lrnn_task_kind out;
    assert_int_equal(lrnn_task_kind_parse("Mante", &out), LRNN_OK);
    assert_int_equal(out, LRNN_TASK_CDM);
    assert_int_equal(lrnn_task_kind_parse("wm", &out), LRNN_OK);
    assert_int_equal(out, LRNN_TASK_ROMO);
    assert_int_equal(lrnn_task_kind_parse("dm", &out), LRNN_OK);
    assert_int_equal(out, LRNN_TASK_RDM);
    assert_int_equal(lrnn_task_kind_parse("flipflop", &out), LRNN_ERR_ARG);
    assert_non_null(strstr(lrnn_last_error(), "flipflop"));
    assert_non_null(strstr(lrnn_last_error(), "dms"));
    assert_int_equal(lrnn_task_kind_parse(NULL, &out), LRNN_ERR_ARG);
    assert_string_equal(lrnn_task_kind_name((lrnn_task_kind)42), "?");
}

static void sizes_match_the_spec(void **state) {
    (void)state;
    /* Spec 4.1-4.5: T and U of each task. */
    const size_t T[NKINDS] = {75, 120, 68, 255, 75}, U[NKINDS] = {1, 1, 4, 2, 2};
    for (int k = 0; k < NKINDS; k++) {
        lrnn_task_params p = lrnn_task_default_params(ALL[k]);
        lrnn_task_dims d;
        assert_int_equal(lrnn_task_dims_get(&p, &d), LRNN_OK);
        assert_int_equal(d.T, T[k]);
        assert_int_equal(d.U, U[k]);
        assert_int_equal(d.O, 1);
        assert_true(fabs(lrnn_task_alpha(&p) - 0.2) < 1e-15);
        lrnn_task_data data = make(p, 1, 0, 3);
        assert_int_equal(data.n, 3);
        assert_int_equal(data.T, T[k]);
        assert_int_equal(data.U, U[k]);
        assert_int_equal(data.O, 1);
        lrnn_task_data_free(&data);
        assert_null(data.inputs);
    }
    lrnn_cdm_params monkey = lrnn_cdm_monkey_params();
    assert_int_equal(lrnn_cdm_params_check(&monkey), LRNN_OK);
    assert_int_equal(lrnn_cdm_dims(&monkey).T, 220); /* 70 + 130 + 16 + 4 */
    assert_int_equal(lrnn_task_steps(350.0, 20.0), 17);
    assert_int_equal(lrnn_task_steps(0.0, 20.0), 0);
}

static void romo_default_pairs(void **state) {
    (void)state;
    /* Spec 4.2: 54 pairs, counts 1, 9, 17, 17, 9, 1 for d = -24 .. 24. */
    lrnn_romo_params p = lrnn_romo_default_params();
    assert_int_equal(p.n_pairs, 54);
    const int diffs[6] = {-24, -16, -8, 8, 16, 24}, counts[6] = {1, 9, 17, 17, 9, 1};
    double fmin = 1e9, fmax = -1e9;
    for (int k = 0; k < 6; k++) {
        int c = 0;
        for (size_t j = 0; j < p.n_pairs; j++)
            c += p.f2[j] - p.f1[j] == diffs[k];
        assert_int_equal(c, counts[k]);
    }
    for (size_t j = 0; j < p.n_pairs; j++) {
        fmin = fmin < p.f1[j] ? fmin : p.f1[j];
        fmin = fmin < p.f2[j] ? fmin : p.f2[j];
        fmax = fmax > p.f1[j] ? fmax : p.f1[j];
        fmax = fmax > p.f2[j] ? fmax : p.f2[j];
    }
    assert_true(fmin == 10.0 && fmax == 34.0);
    assert_true(p.f_middle == (fmin + fmax) / 2 && p.f_span == fmax - fmin);
}

/* ---- reproducibility ---- */

static void trial_i_is_independent_of_n_and_chunking(void **state) {
    (void)state;
    for (int k = 0; k < NKINDS; k++) {
        lrnn_task_params p = lrnn_task_default_params(ALL[k]);
        lrnn_task_data all = make(p, 7, 0, 40);
        lrnn_task_data head = make(p, 7, 0, 15);
        lrnn_task_data mid = make(p, 7, 25, 10);
        lrnn_task_data again = make(p, 7, 0, 40);
        lrnn_task_data other = make(p, 8, 0, 40);
        assert_same_trials(&all, 0, &head, 0, 15);
        assert_same_trials(&all, 25, &mid, 0, 10);
        assert_same_trials(&all, 0, &again, 0, 40);
        assert_int_equal(mid.first_trial, 25);
        /* Another seed gives other noise. */
        assert_true(memcmp(all.inputs, other.inputs, all.T * all.U * sizeof(double)) != 0);
        /* The split's validation part is the same as generating those trials on their own. */
        lrnn_task_data train, val;
        assert_int_equal(lrnn_task_split(&all, 0.2, &train, &val), LRNN_OK);
        lrnn_task_data tail = make(p, 7, 32, 8);
        assert_same_trials(&val, 0, &tail, 0, 8);
        lrnn_task_data_free(&all);
        lrnn_task_data_free(&head);
        lrnn_task_data_free(&mid);
        lrnn_task_data_free(&again);
        lrnn_task_data_free(&other);
        lrnn_task_data_free(&tail);
    }
}

static void same_for_any_thread_count(void **state) {
    (void)state;
#ifdef _OPENMP
    int saved = omp_get_max_threads();
    for (int k = 0; k < NKINDS; k++) {
        lrnn_task_params p = lrnn_task_default_params(ALL[k]);
        omp_set_num_threads(1);
        lrnn_task_data one = make(p, 3, 0, 101);
        omp_set_num_threads(4);
        lrnn_task_data four = make(p, 3, 0, 101);
        assert_same_trials(&one, 0, &four, 0, 101);
        lrnn_task_data_free(&one);
        lrnn_task_data_free(&four);
    }
    omp_set_num_threads(saved);
#else
    print_message("built without OpenMP: one thread only\n");
#endif
}

static void split_is_eighty_twenty(void **state) {
    (void)state;
    assert_int_equal(lrnn_task_split_index(1000, 0.2), 800);
    assert_int_equal(lrnn_task_split_index(7, 0.2), 6); /* n - int(1.4) */
    assert_int_equal(lrnn_task_split_index(4, 0.2), 4);
    assert_int_equal(lrnn_task_split_index(10, 0.0), 10);
    lrnn_task_params p = lrnn_task_default_params(LRNN_TASK_RDM);
    lrnn_task_data d = make(p, 1, 100, 1000), train, val;
    assert_int_equal(lrnn_task_split(&d, p.validation_fraction, &train, &val), LRNN_OK);
    assert_int_equal(train.n, 800);
    assert_int_equal(val.n, 200);
    assert_int_equal(train.first_trial, 100);
    assert_int_equal(val.first_trial, 900);
    assert_ptr_equal(val.inputs, d.inputs + 800 * d.T);
    assert_ptr_equal(val.trials, d.trials + 800);
    assert_int_equal(train.owns, 0);
    lrnn_task_data_free(&val); /* a view: frees nothing */
    assert_int_equal(lrnn_task_split(&d, 1.0, &train, &val), LRNN_ERR_ARG);
    assert_non_null(strstr(lrnn_last_error(), "validation_fraction"));
    lrnn_task_data_free(&d);
}

/* ---- per-task statistics and timing ---- */

static void rdm_inputs_targets_mask(void **state) {
    (void)state;
    const size_t n = 2000;
    lrnn_task_params p = lrnn_task_default_params(LRNN_TASK_RDM);
    lrnn_task_data d = make(p, 11, 0, n);
    const double sd = p.rdm.noise_std;
    double res_sum = 0.0, res_sq = 0.0, level_sum[10] = {0};
    size_t level_n[10] = {0}, count = 0;
    for (size_t i = 0; i < n; i++) {
        const double *x = trial_x(&d, i), *y = trial_y(&d, i), *m = trial_m(&d, i);
        double coh = d.trials[i].coherence;
        int level = -1;
        for (int j = 0; j < 10; j++)
            if (p.rdm.coherences[j] == coh) level = j;
        assert_true(level >= 0);
        assert_true(d.trials[i].target == (coh > 0 ? 1.0 : -1.0));
        assert_int_equal(d.trials[i].response_begin, 60);
        for (size_t t = 0; t < 75; t++) {
            double signal = t >= 5 && t < 45 ? coh * 3.2 / 100 : 0.0;
            double r = x[t] - signal;
            res_sum += r;
            res_sq += r * r;
            count++;
            if (t >= 5 && t < 45) {
                level_sum[level] += x[t];
                level_n[level]++;
            }
            assert_true(m[t] == (t >= 60 ? 1.0 : 0.0));
            assert_true(y[t] == (t >= 60 ? d.trials[i].target : 0.0));
        }
    }
    /* The residual u - coh * 3.2 / 100 is the noise: mean 0 with sd 0.03 / sqrt(150000)
     * = 7.7e-5; its variance 9e-4 has relative sd sqrt(2 / 150000) = 0.37%. */
    double mean = res_sum / count, var = res_sq / count - mean * mean;
    print_message("rdm: residual mean %.2e, noise sd %.5f (want 0.03)\n", mean, sqrt(var));
    assert_true(fabs(mean) < 5 * sd / sqrt((double)count));
    assert_true(fabs(var / (sd * sd) - 1) < 5 * sqrt(2.0 / count));
    /* Mean stimulus input per coherence equals coh * scale / 100 (about 200 trials x 40 steps
     * per level: sd 0.03 / sqrt(8000) = 3.4e-4; levels are 0.032 apart), and each level is
     * drawn with probability 1/10 (count sd sqrt(2000 * 0.1 * 0.9) = 13.4). */
    for (int j = 0; j < 10; j++) {
        double want = p.rdm.coherences[j] * 0.032, got = level_sum[j] / level_n[j];
        size_t trials_j = level_n[j] / 40;
        assert_true(fabs(got - want) < 5 * sd / sqrt((double)level_n[j]));
        assert_true(fabs((double)trials_j - 200.0) < 5 * 13.42);
    }
    lrnn_task_data_free(&d);
}

static void romo_inputs_targets_mask(void **state) {
    (void)state;
    const size_t n = 2000;
    lrnn_task_params p = lrnn_task_default_params(LRNN_TASK_ROMO);
    lrnn_task_data d = make(p, 12, 0, n);
    size_t dmin = 1000, dmax = 0;
    double after_sum = 0.0;
    size_t after_n = 0;
    for (size_t i = 0; i < n; i++) {
        const lrnn_task_trial *tr = &d.trials[i];
        const double *x = trial_x(&d, i), *y = trial_y(&d, i), *m = trial_m(&d, i);
        size_t dl = tr->delay;
        dmin = dl < dmin ? dl : dmin;
        dmax = dl > dmax ? dl : dmax;
        int known = 0;
        for (size_t j = 0; j < p.romo.n_pairs; j++)
            known |= p.romo.f1[j] == tr->f1 && p.romo.f2[j] == tr->f2;
        assert_true(known);
        assert_int_equal(tr->response_begin, 15 + dl);
        assert_int_equal(tr->response_end, 20 + dl);
        /* Each stimulus is 5 steps of noise sd 0.01: mean sd 0.0045; bound 6 sd so that the
         * largest of 4000 means stays inside (P(|z| > 6) = 2e-9). */
        double s1 = 0.0, s2 = 0.0;
        for (size_t t = 5; t < 10; t++)
            s1 += x[t] / 5;
        for (size_t t = 10 + dl; t < 15 + dl; t++)
            s2 += x[t] / 5;
        double tol = 6 * 0.01 / sqrt(5.0);
        assert_true(fabs(s1 - (tr->f1 - 22) / 24) < tol);
        assert_true(fabs(s2 - (tr->f2 - 22) / 24) < tol);
        for (size_t t = 0; t < 120; t++) {
            int window = t >= 15 + dl && t < 20 + dl;
            assert_true(m[t] == (window ? 1.0 : 0.0));
            assert_true(y[t] == (window ? (tr->f1 - tr->f2) / 24 : 0.0));
            if (t >= 20 + dl) {
                after_sum += x[t];
                after_n++;
            }
        }
    }
    /* randint(25, 100): both ends reached in 2000 draws (each has probability 1/76). */
    assert_int_equal(dmin, 25);
    assert_int_equal(dmax, 100);
    /* Noise only after the decision: mean 0, sd 0.01 / sqrt(after_n). */
    assert_true(fabs(after_sum / after_n) < 5 * 0.01 / sqrt((double)after_n));
    lrnn_task_data_free(&d);
}

static void cdm_inputs_targets_mask(void **state) {
    (void)state;
    const size_t n = 2000;
    lrnn_task_params p = lrnn_task_default_params(LRNN_TASK_CDM);
    lrnn_task_data d = make(p, 13, 0, n);
    size_t ctx1 = 0;
    double res[2] = {0, 0}, res_sq[2] = {0, 0};
    size_t count = 0;
    for (size_t i = 0; i < n; i++) {
        const lrnn_task_trial *tr = &d.trials[i];
        const double *x = trial_x(&d, i), *y = trial_y(&d, i), *m = trial_m(&d, i);
        assert_true(tr->context == 1 || tr->context == 2);
        ctx1 += tr->context == 1;
        double relevant = tr->context == 1 ? tr->coherence : tr->coherence2;
        assert_true(tr->target == (relevant > 0 ? 1.0 : -1.0));
        for (size_t t = 0; t < 68; t++) {
            /* Context channels: exactly 0.1 on [5, 67) for channel 1 + context, else 0. */
            for (int c = 1; c <= 2; c++) {
                double want = c == tr->context && t >= 5 && t < 67 ? 0.1 : 0.0;
                assert_true(x[t * 4 + 1 + (size_t)c] == want);
            }
            double stim = t >= 22 && t < 62;
            for (int c = 0; c < 2; c++) {
                double r = x[t * 4 + (size_t)c] - stim * 0.1 * (c ? tr->coherence2 : tr->coherence);
                res[c] += r;
                res_sq[c] += r * r;
            }
            count++;
            assert_true(m[t] == (t == 67 ? 1.0 : 0.0));
            assert_true(y[t] == (t == 67 ? tr->target : 0.0));
        }
    }
    /* Sensory residuals are the noise: mean 0 (sd 0.1 / sqrt(136000) = 2.7e-4), variance
     * 0.01 (relative sd sqrt(2 / 136000) = 0.38%). Context: p = 1/2, count sd 22.4. */
    for (int c = 0; c < 2; c++) {
        double mean = res[c] / count, var = res_sq[c] / count - mean * mean;
        assert_true(fabs(mean) < 5 * 0.1 / sqrt((double)count));
        assert_true(fabs(var / 0.01 - 1) < 5 * sqrt(2.0 / count));
    }
    assert_true(fabs((double)ctx1 - 1000.0) < 5 * 22.37);
    lrnn_task_data_free(&d);
}

static void cdm_monkey_conditions(void **state) {
    (void)state;
    lrnn_cdm_params p = lrnn_cdm_monkey_params();
    const double a[3] = {0.5, -0.2, 0.3}, b[3] = {-0.1, 0.4, -0.6};
    const int ctx[3] = {1, -1, -1};
    enum { T = 220, U = 4 };
    double *x = malloc(3 * T * U * sizeof *x), y[3 * T], m[3 * T];
    lrnn_task_trial tr[3];
    assert_int_equal(lrnn_cdm_generate_conditions(&p, 1, 0, 3, a, b, ctx, x, y, m, tr), LRNN_OK);
    for (size_t i = 0; i < 3; i++) {
        double target = ctx[i] == 1 ? (a[i] > 0 ? 1 : -1) : (b[i] > 0 ? 1 : -1);
        size_t on = ctx[i] == 1 ? 2 : 3, off = ctx[i] == 1 ? 3 : 2;
        for (size_t t = 0; t < T; t++) {
            const double *xt = x + (i * T + t) * U;
            int stim = t >= 70 && t < 200;
            assert_true(xt[0] == (stim ? a[i] : 0.0)); /* scale 1, no noise */
            assert_true(xt[1] == (stim ? b[i] : 0.0));
            assert_true(xt[on] == (t < 216 ? 1.0 : 0.0));
            assert_true(xt[off] == 0.0);
            assert_true(y[i * T + t] == (t >= 216 ? target : 0.0));
            assert_true(m[i * T + t] == (t >= 216 ? 1.0 : 0.0));
        }
        assert_true(tr[i].target == target);
    }
    const int bad_ctx[3] = {1, 0, 1};
    assert_int_equal(lrnn_cdm_generate_conditions(&p, 1, 0, 3, a, b, bad_ctx, x, y, m, NULL),
                     LRNN_ERR_ARG);
    assert_non_null(strstr(lrnn_last_error(), "context[1] = 0"));
    const double zero_a[3] = {0.0, 1, 1};
    assert_int_equal(lrnn_cdm_generate_conditions(&p, 1, 0, 3, zero_a, b, ctx, x, y, m, NULL),
                     LRNN_ERR_ARG);
    assert_non_null(strstr(lrnn_last_error(), "trial 0"));
    free(x);
}

static void dms_inputs_targets_mask(void **state) {
    (void)state;
    const size_t n = 2000;
    lrnn_task_params p = lrnn_task_default_params(LRNN_TASK_DMS);
    p.dms.noise_std = 0.0; /* exact stimulus structure; the noise is checked below */
    lrnn_task_data d = make(p, 14, 0, n);
    size_t types[4] = {0};
    double delay_sum = 0.0;
    size_t dmin = 1000, dmax = 0;
    for (size_t i = 0; i < n; i++) {
        const lrnn_task_trial *tr = &d.trials[i];
        const double *x = trial_x(&d, i), *y = trial_y(&d, i), *m = trial_m(&d, i);
        size_t dl = tr->delay;
        assert_true(dl >= 25 && dl <= 149);
        dmin = dl < dmin ? dl : dmin;
        dmax = dl > dmax ? dl : dmax;
        delay_sum += (double)dl;
        types[tr->stim1 * 2 + tr->stim2]++;
        assert_int_equal(tr->match, tr->stim1 == tr->stim2);
        double target = tr->match ? 1.0 : -1.0;
        assert_true(tr->target == target);
        for (size_t t = 0; t < 255; t++) {
            double a = 0.0, b = 0.0;
            if (t >= 5 && t < 30) *(tr->stim1 ? &b : &a) = 1.0;
            if (t >= 30 + dl && t < 55 + dl) *(tr->stim2 ? &b : &a) = 1.0;
            assert_true(x[t * 2] == a && x[t * 2 + 1] == b);
            int window = t >= 55 + dl && t < 105 + dl;
            assert_true(m[t] == (window ? 1.0 : 0.0));
            assert_true(y[t] == (window ? target : 0.0));
        }
    }
    /* Types uniform (p = 1/4: count sd 19.4); delay uniform on 25..149 (mean 87, sd 36.1,
     * so the mean of 2000 has sd 0.81); both ends reached (p = 1/125 each). */
    for (int k = 0; k < 4; k++)
        assert_true(fabs((double)types[k] - 500.0) < 5 * 19.36);
    assert_true(fabs(delay_sum / n - 87.0) < 5 * 36.08 / sqrt((double)n));
    assert_int_equal(dmin, 25);
    assert_int_equal(dmax, 149);
    lrnn_task_data_free(&d);

    /* With the default noise: same conditions (the draws come before the noise), and the
     * difference is noise of sd 0.03 (relative variance sd sqrt(2 / 1.02e6) = 0.14%). */
    lrnn_task_params q = lrnn_task_default_params(LRNN_TASK_DMS);
    lrnn_task_data e = make(q, 14, 0, n), z = make(p, 14, 0, n);
    double sum = 0.0, sq = 0.0;
    size_t cnt = n * 255 * 2;
    for (size_t k = 0; k < cnt; k++) {
        double r = e.inputs[k] - z.inputs[k];
        sum += r;
        sq += r * r;
    }
    assert_memory_equal(e.targets, z.targets, n * 255 * sizeof(double));
    double mean = sum / cnt, var = sq / cnt - mean * mean;
    assert_true(fabs(mean) < 5 * 0.03 / sqrt((double)cnt));
    assert_true(fabs(var / 9e-4 - 1) < 5 * sqrt(2.0 / cnt));
    lrnn_task_data_free(&e);
    lrnn_task_data_free(&z);
}

static void raposo_inputs_targets_mask(void **state) {
    (void)state;
    const size_t n = 3000;
    lrnn_task_params p = lrnn_task_default_params(LRNN_TASK_RAPOSO);
    p.raposo.noise_std = 0.0;
    lrnn_task_data d = make(p, 15, 0, n);
    size_t modality[3] = {0}, positive = 0;
    for (size_t i = 0; i < n; i++) {
        const lrnn_task_trial *tr = &d.trials[i];
        const double *x = trial_x(&d, i), *y = trial_y(&d, i), *m = trial_m(&d, i);
        assert_true(tr->target == 1.0 || tr->target == -1.0);
        positive += tr->target > 0;
        modality[tr->context + 1]++;
        /* The channel of each modality carries a level with the choice's sign. */
        int vis = tr->context >= 0, aud = tr->context <= 0;
        assert_true(vis ? tr->coherence * tr->target > 0 : tr->coherence == 0.0);
        assert_true(aud ? tr->coherence2 * tr->target > 0 : tr->coherence2 == 0.0);
        for (size_t t = 0; t < 75; t++) {
            int stim = t >= 5 && t < 45;
            assert_true(x[t * 2] == (stim ? 0.1 * tr->coherence : 0.0));
            assert_true(x[t * 2 + 1] == (stim ? 0.1 * tr->coherence2 : 0.0));
            assert_true(m[t] == (t >= 50 ? 1.0 : 0.0));
            assert_true(y[t] == (t >= 50 ? tr->target : 0.0));
        }
    }
    /* Modality p = 1/3 (count sd 25.8), choice p = 1/2 (count sd 27.4). */
    for (int k = 0; k < 3; k++)
        assert_true(fabs((double)modality[k] - 1000.0) < 5 * 25.82);
    assert_true(fabs((double)positive - 1500.0) < 5 * 27.39);
    lrnn_task_data_free(&d);
}

static void catch_trials(void **state) {
    (void)state;
    const size_t n = 2000;
    for (int k = 0; k < NKINDS; k++) {
        lrnn_task_params p = lrnn_task_default_params(ALL[k]);
        p.rdm.catch_fraction = p.romo.catch_fraction = p.cdm.catch_fraction = 0.25;
        p.dms.catch_fraction = p.raposo.catch_fraction = 0.25;
        lrnn_task_data d = make(p, 16, 0, n);
        size_t caught = 0;
        for (size_t i = 0; i < n; i++) {
            const lrnn_task_trial *tr = &d.trials[i];
            const double *x = trial_x(&d, i), *y = trial_y(&d, i), *m = trial_m(&d, i);
            if (!tr->catch_trial) continue;
            caught++;
            assert_true(tr->target == 0.0);
            size_t on = 0;
            for (size_t t = 0; t < d.T; t++) {
                assert_true(y[t] == 0.0);
                int window = t >= tr->response_begin && t < tr->response_end;
                assert_true(m[t] == (window ? 1.0 : 0.0)); /* the mask is still set */
                on += window;
                if (ALL[k] == LRNN_TASK_CDM) /* no context input */
                    assert_true(x[t * 4 + 2] == 0.0 && x[t * 4 + 3] == 0.0);
            }
            assert_true(on > 0);
        }
        /* Fraction 0.25 of 2000: count sd sqrt(2000 * 0.25 * 0.75) = 19.4. */
        assert_true(fabs((double)caught - 500.0) < 5 * 19.36);
        lrnn_task_data_free(&d);
    }
}

/* ---- accuracy ---- */

static void accuracy_of_targets_negations_and_noise(void **state) {
    (void)state;
    const size_t n = 2000;
    for (int k = 0; k < NKINDS; k++) {
        lrnn_task_params p = lrnn_task_default_params(ALL[k]);
        lrnn_task_data d = make(p, 17, 0, n);
        size_t cnt = n * d.T * d.O;
        double *out = malloc(cnt * sizeof *out), acc = -1.0;
        memcpy(out, d.targets, cnt * sizeof *out);
        assert_int_equal(lrnn_task_accuracy(&p, &d, out, &acc), LRNN_OK);
        assert_true(acc == 1.0);
        for (size_t j = 0; j < cnt; j++)
            out[j] = -d.targets[j];
        assert_int_equal(lrnn_task_accuracy(&p, &d, out, &acc), LRNN_OK);
        assert_true(acc == 0.0);
        /* Unit normal outputs: the sign of a mean is a fair coin, so accuracy ~ Bin(n, 1/2)/n
         * with sd 0.5 / sqrt(2000) = 0.0112. */
        lrnn_rng rng;
        lrnn_rng_init(&rng, 99, LRNN_RNG_SAMPLE, (uint64_t)k, 0);
        lrnn_rng_normal_fill(&rng, out, cnt);
        assert_int_equal(lrnn_task_accuracy(&p, &d, out, &acc), LRNN_OK);
        print_message("%s: accuracy of random outputs %.4f\n", lrnn_task_kind_name(ALL[k]), acc);
        assert_true(fabs(acc - 0.5) < 5 * 0.5 / sqrt((double)n));
        /* NaN outputs are an error that names the trial and the step. */
        memcpy(out, d.targets, cnt * sizeof *out);
        size_t t_bad = d.trials[3].response_begin;
        out[3 * d.T + t_bad] = NAN;
        assert_int_equal(lrnn_task_accuracy(&p, &d, out, &acc), LRNN_ERR_NUMERIC);
        assert_non_null(strstr(lrnn_last_error(), "trial 3"));
        assert_non_null(strstr(lrnn_last_error(), lrnn_task_kind_name(ALL[k])));
        free(out);
        lrnn_task_data_free(&d);
    }
}

static void accuracy_reads_the_right_steps(void **state) {
    (void)state;
    /* Outputs that are wrong everywhere except on the decision steps must score 1; and the
     * decision is the sign of the mean, not of each step. */
    for (int k = 0; k < NKINDS; k++) {
        lrnn_task_params p = lrnn_task_default_params(ALL[k]);
        lrnn_task_data d = make(p, 18, 0, 50);
        double *out = malloc(d.n * d.T * sizeof *out), acc = -1.0;
        for (size_t i = 0; i < d.n; i++) {
            const lrnn_task_trial *tr = &d.trials[i];
            double sgn = tr->target > 0 ? 1.0 : -1.0;
            for (size_t t = 0; t < d.T; t++) {
                int decision = t >= tr->response_begin && t < tr->response_end;
                /* Romo and DMS average over the mask only; the others from response_begin
                 * to the end (their windows run to T). */
                out[i * d.T + t] = decision ? sgn : -100.0 * sgn;
            }
            /* One step of the window strongly the other way, but the mean still right. */
            size_t len = tr->response_end - tr->response_begin;
            if (len >= 3) out[i * d.T + tr->response_begin] = -0.5 * (double)(len - 1) * sgn;
        }
        assert_int_equal(lrnn_task_accuracy(&p, &d, out, &acc), LRNN_OK);
        assert_true(acc == 1.0);
        free(out);
        lrnn_task_data_free(&d);
    }
}

static void accuracy_skips_catch_trials(void **state) {
    (void)state;
    lrnn_task_params p = lrnn_task_default_params(LRNN_TASK_ROMO);
    p.romo.catch_fraction = 0.5;
    lrnn_task_data d = make(p, 19, 0, 200);
    double *zero = calloc(d.n * d.T, sizeof *zero), acc = -1.0;
    /* Zero outputs never match a +-target; catch trials (target 0) would match if counted. */
    assert_int_equal(lrnn_task_accuracy(&p, &d, zero, &acc), LRNN_OK);
    assert_true(acc == 0.0);
    p.romo.catch_fraction = 1.0;
    lrnn_task_data c = make(p, 19, 0, 20);
    assert_int_equal(lrnn_task_accuracy(&p, &c, zero, &acc), LRNN_ERR_ARG);
    assert_non_null(strstr(lrnn_last_error(), "catch"));
    free(zero);
    lrnn_task_data_free(&d);
    lrnn_task_data_free(&c);
}

/* ---- bad input ---- */

static void expect_bad(lrnn_task_params p, const char *needle) {
    assert_int_equal(lrnn_task_params_check(&p), LRNN_ERR_ARG);
    if (!strstr(lrnn_last_error(), needle))
        print_message("message '%s' lacks '%s'\n", lrnn_last_error(), needle);
    assert_non_null(strstr(lrnn_last_error(), needle));
    lrnn_task_data d;
    assert_int_equal(lrnn_task_generate(&p, 1, 0, 4, &d), LRNN_ERR_ARG);
    assert_null(d.inputs);
}

static void bad_params_rejected(void **state) {
    (void)state;
    lrnn_task_params p;
#define BAD(kind, field, value, needle)                                                            \
    do {                                                                                           \
        p = lrnn_task_default_params(kind);                                                        \
        p.field = value;                                                                           \
        expect_bad(p, needle);                                                                     \
    } while (0)
    BAD(LRNN_TASK_RDM, rdm.noise_std, -0.1, "noise_std");
    BAD(LRNN_TASK_RDM, rdm.noise_std, NAN, "noise_std");
    BAD(LRNN_TASK_RDM, rdm.dt_ms, 0.0, "dt_ms");
    BAD(LRNN_TASK_RDM, rdm.tau_ms, INFINITY, "tau_ms");
    BAD(LRNN_TASK_RDM, rdm.decision_ms, 10.0, "decision_ms"); /* under one step */
    BAD(LRNN_TASK_RDM, rdm.stimulus_ms, 0.0, "stimulus_ms");
    BAD(LRNN_TASK_RDM, rdm.fixation_ms, -5.0, "fixation_ms");
    BAD(LRNN_TASK_RDM, rdm.delay_ms, 1e12, "delay_ms");
    BAD(LRNN_TASK_RDM, rdm.coherences[3], 0.0, "coherences[3]");
    BAD(LRNN_TASK_RDM, rdm.n_coherences, 0, "coherences");
    BAD(LRNN_TASK_RDM, rdm.n_coherences, 65, "coherences");
    BAD(LRNN_TASK_RDM, rdm.catch_fraction, 1.5, "catch_fraction");
    BAD(LRNN_TASK_RDM, rdm.scale, -3.2, "scale");
    BAD(LRNN_TASK_ROMO, romo.f1[7], NAN, "pair 7");
    p = lrnn_task_default_params(LRNN_TASK_ROMO);
    p.romo.f2[5] = p.romo.f1[5];
    expect_bad(p, "f1 != f2");
    BAD(LRNN_TASK_ROMO, romo.delay_min_ms, 2500.0, "delay_min_ms");
    BAD(LRNN_TASK_ROMO, romo.f_span, 0.0, "f_span");
    BAD(LRNN_TASK_ROMO, romo.n_pairs, 0, "frequency pairs");
    BAD(LRNN_TASK_CDM, cdm.scale_context, NAN, "scale_context");
    BAD(LRNN_TASK_CDM, cdm.context_only_ms, -1.0, "context_only_ms");
    BAD(LRNN_TASK_DMS, dms.delay_max_ms, 400.0, "delay_min_ms");
    BAD(LRNN_TASK_DMS, dms.stimulus2_ms, 19.0, "stimulus2_ms");
    BAD(LRNN_TASK_RAPOSO, raposo.noise_std, -1.0, "raposo");
    BAD(LRNN_TASK_RDM, validation_fraction, 1.0, "validation_fraction");
    BAD(LRNN_TASK_RDM, validation_fraction, NAN, "validation_fraction");
    BAD(LRNN_TASK_RDM, kind, (lrnn_task_kind)9, "unknown kind");
#undef BAD
    /* Arrays and sizes. */
    double acc;
    lrnn_rdm_params r = lrnn_rdm_default_params();
    double buf[75];
    assert_int_equal(lrnn_rdm_generate(&r, 1, 0, 1, NULL, buf, buf, NULL), LRNN_ERR_ARG);
    assert_non_null(strstr(lrnn_last_error(), "NULL"));
    assert_int_equal(lrnn_rdm_generate(&r, 1, 0, 0, NULL, NULL, NULL, NULL), LRNN_OK);
    assert_int_equal(lrnn_rdm_generate(&r, 1, 0, SIZE_MAX / 16, buf, buf, buf, NULL),
                     LRNN_ERR_NOMEM);
    assert_non_null(strstr(lrnn_last_error(), "too large"));
    p = lrnn_task_default_params(LRNN_TASK_DMS);
    lrnn_task_data d;
    assert_int_equal(lrnn_task_generate(&p, 1, 0, 0, &d), LRNN_ERR_ARG);
    assert_non_null(strstr(lrnn_last_error(), "n = 0"));
    assert_int_equal(lrnn_task_generate(&p, 1, 0, SIZE_MAX / 64, &d), LRNN_ERR_NOMEM);
    assert_null(d.inputs);
    /* Accuracy of data made with other timings. */
    lrnn_task_params pd = lrnn_task_default_params(LRNN_TASK_DMS);
    lrnn_task_data dd = make(pd, 1, 0, 2);
    pd.dms.delay_max_ms = 2000.0;
    double out[2 * 255] = {0};
    assert_int_equal(lrnn_task_accuracy(&pd, &dd, out, &acc), LRNN_ERR_SHAPE);
    assert_non_null(strstr(lrnn_last_error(), "255"));
    lrnn_task_data_free(&dd);
    /* Accuracy without a mask where the task needs one. */
    lrnn_romo_params ro = lrnn_romo_default_params();
    assert_int_equal(lrnn_romo_accuracy(&ro, 1, buf, buf, NULL, &acc), LRNN_ERR_ARG);
    assert_non_null(strstr(lrnn_last_error(), "mask"));
}

static void validation_noise_table(void **state) {
    (void)state;
    /* Spec 7.1: teacher sigma (eval), student sigma (eval), student sigma (training). */
    const double want[4][3] = {
        {0.05, 0.05, 0.0}, {0.01, 0.0, 0.05}, {0.03, 0.03, 0.03}, {0.05, 0.0, 0.0}};
    for (int k = 0; k < 4; k++) {
        lrnn_task_noise s;
        assert_int_equal(lrnn_task_validation_noise(ALL[k], &s), LRNN_OK);
        assert_true(s.teacher_eval == want[k][0] && s.student_eval == want[k][1] &&
                    s.student_train == want[k][2]);
    }
    lrnn_task_noise s;
    assert_int_equal(lrnn_task_validation_noise(LRNN_TASK_RAPOSO, &s), LRNN_ERR_ARG);
    assert_non_null(strstr(lrnn_last_error(), "raposo"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(names_parse_and_round_trip),
        cmocka_unit_test(sizes_match_the_spec),
        cmocka_unit_test(romo_default_pairs),
        cmocka_unit_test(trial_i_is_independent_of_n_and_chunking),
        cmocka_unit_test(same_for_any_thread_count),
        cmocka_unit_test(split_is_eighty_twenty),
        cmocka_unit_test(rdm_inputs_targets_mask),
        cmocka_unit_test(romo_inputs_targets_mask),
        cmocka_unit_test(cdm_inputs_targets_mask),
        cmocka_unit_test(cdm_monkey_conditions),
        cmocka_unit_test(dms_inputs_targets_mask),
        cmocka_unit_test(raposo_inputs_targets_mask),
        cmocka_unit_test(catch_trials),
        cmocka_unit_test(accuracy_of_targets_negations_and_noise),
        cmocka_unit_test(accuracy_reads_the_right_steps),
        cmocka_unit_test(accuracy_skips_catch_trials),
        cmocka_unit_test(bad_params_rejected),
        cmocka_unit_test(validation_noise_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
