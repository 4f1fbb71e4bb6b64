/* LINT fit end to end (spec lint_method.md section 3.1): a rank-1 teacher with random weights
 * driven by random inputs is recovered by a rank-1 student (R^2 of rates and effective
 * connectivity correlation); the SVD reparametrisation and truncation (sections 1.1, 3.2);
 * connectivity correlations from factors against the dense N x N computation (section 5.2);
 * R^2 (section 5.1); the training loop's keep-best, early stop and callback (section 2). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lrnn/lint.h"
#include "lrnn/rng.h"
#include "support.h"


static int count_epochs(const lrnn_lint_progress *p, void *user) {
    int *n = user;
    (*n)++;
    assert_true(p->best_loss <= p->loss || p->best_loss < 1e300);
    assert_true(p->seconds >= 0.0);
    return 0;
}

static void test_rank1_teacher_recovered(void **state) {
    (void)state;
    enum { N = 40, U = 2, T = 40, TRAIN = 256, VAL = 64 };
    lrnn_lint_config tc = lrnn_lint_default_config(LRNN_LINT_LOW_RANK);
    tc.units = N, tc.rank = 1, tc.inputs = U, tc.outputs = 1, tc.seed = 11;
    lrnn_lint_rnn *teacher = NULL;
    assert_int_equal(lrnn_lint_create(&tc, &teacher), LRNN_OK);
    /* random weights, with n = 0.8 m + wi_0 + 0.5 xi: the latent kappa = n.r / N integrates
     * input 0 with a slow recurrent loop (overlap n.m / N ~ 0.8), as in task-trained teachers.
     * With n independent of m and W_in, kappa stays O(1/sqrt N) from x_0 = 0 and n is not
     * identifiable from the rates at all (the fit then reaches R^2 0.998 with ECC ~ 0). */
    lrnn_lint_view tv = lrnn_lint_view_of(lrnn_lint_layout(teacher), lrnn_lint_params(teacher));
    lrnn_rng r;
    lrnn_rng_init(&r, 12, LRNN_RNG_INIT, 0, 0);
    for (size_t i = 0; i < N; i++)
        tv.n[i] = 0.8 * tv.m[i] + tv.wi[i] + 0.5 * lrnn_rng_normal(&r);

    double *u = malloc((TRAIN + VAL) * T * U * sizeof *u);
    double *y = malloc((TRAIN + VAL) * T * N * sizeof *y);
    test_random_inputs(5, TRAIN + VAL, T, U, u);
    lrnn_lint_noise nz = {21, 0};
    assert_int_equal(
        lrnn_lint_teacher_targets(teacher, u, TRAIN + VAL, T, nz, LRNN_LINT_TARGET_RATES, y),
        LRNN_OK);
    lrnn_lint_data train = {.trials = TRAIN, .T = T, .inputs = u, .targets = y};
    lrnn_lint_fit_params fp = lrnn_lint_fit_default_params();
    fp.rank = 1, fp.seed = 3;
    fp.train.epochs = 300, fp.train.lr = 1e-2, fp.train.seed = 8;
    int epochs_seen = 0;
    fp.train.progress = count_epochs, fp.train.user = &epochs_seen;
    lrnn_lint_rnn *student = NULL;
    lrnn_lint_train_result res;
    assert_int_equal(lrnn_lint_fit(&fp, N, U, &train, &student, &res), LRNN_OK);
    assert_int_equal(epochs_seen, 300);
    assert_true(res.best_loss < res.initial_loss);

    /* validation trials: student rates against teacher rates, both noiseless (section 5.1) */
    double *ys = malloc(VAL * T * N * sizeof *ys);
    assert_int_equal(lrnn_lint_simulate(student, u + TRAIN * T * U, NULL, VAL, T, nz, NULL, ys),
                     LRNN_OK);
    double r2 = lrnn_lint_r2(y + TRAIN * T * N, ys, VAL * T * N), med = 0.0;
    assert_int_equal(lrnn_lint_r2_neurons(y + TRAIN * T * N, ys, VAL * T, N, NULL, &med, NULL),
                     LRNN_OK);

    lrnn_lint_view sv = lrnn_lint_view_of(lrnn_lint_layout(student), lrnn_lint_params(student));
    double wt[U * N], ws[U * N], ecc = 0.0;
    lrnn_lint_effective_input(teacher, wt);
    lrnn_lint_effective_input(student, ws);
    assert_int_equal(lrnn_lint_ecc(N, 1, tv.m, tv.n, U, wt, 1, sv.m, sv.n, U, ws, &ecc), LRNN_OK);
    double cc = lrnn_lint_cc(N, 1, tv.m, tv.n, 1, sv.m, sv.n);
    printf("  rank-1 recovery: loss %.3e -> %.3e, validation R^2 %.5f (median per neuron %.5f), "
           "ECC %.4f, raw CC %.4f, %.2f s\n",
           res.initial_loss, res.best_loss, r2, med, ecc, cc, res.seconds);
    assert_true(r2 > 0.99);
    assert_true(med > 0.99);
    assert_true(ecc > 0.99);
    free(u), free(y), free(ys);
    lrnn_lint_free(student);
    lrnn_lint_free(teacher);
}

static double frob(size_t n, const double *a, const double *b) {
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += a[i] * b[i];
    return s;
}

/* A rank-3 matrix is reproduced exactly by its rank-3 truncation, and m n^T / N = J_R. */
static void test_truncation_exact(void **state) {
    (void)state;
    enum { N = 20, R = 3 };
    double A[N * R], Bm[N * R], J[N * N], JR[N * N], m[N * R], n[N * R];
    lrnn_rng r;
    lrnn_rng_init(&r, 2, LRNN_RNG_INIT, 0, 0);
    for (size_t i = 0; i < N * R; i++)
        A[i] = lrnn_rng_normal(&r), Bm[i] = lrnn_rng_normal(&r);
    for (size_t i = 0; i < N; i++)
        for (size_t j = 0; j < N; j++) {
            double s = 0.0;
            for (size_t k = 0; k < R; k++)
                s += A[i * R + k] * Bm[j * R + k];
            J[i * N + j] = s;
        }
    assert_int_equal(lrnn_lint_truncate(J, N, R, JR, m, n), LRNN_OK);
    double err = 0.0, errmn = 0.0, scale = sqrt(frob(N * N, J, J));
    for (size_t i = 0; i < N; i++)
        for (size_t j = 0; j < N; j++) {
            double s = 0.0;
            for (size_t k = 0; k < R; k++)
                s += m[i * R + k] * n[j * R + k];
            errmn = fmax(errmn, fabs(s / N - J[i * N + j]));
            err = fmax(err, fabs(JR[i * N + j] - J[i * N + j]));
        }
    printf("  rank-3 truncation: max |J_R - J| %.2e, max |m n^T/N - J| %.2e (|J|_F %.1f)\n", err,
           errmn, scale);
    assert_true(err < 1e-12 * scale);
    assert_true(errmn < 1e-12 * scale);
    /* rank 2 of the same matrix is not exact */
    double m2[N * 2], n2[N * 2];
    assert_int_equal(lrnn_lint_truncate(J, N, 2, JR, m2, n2), LRNN_OK);
    double d2 = 0.0;
    for (size_t i = 0; i < N * N; i++)
        d2 += (JR[i] - J[i]) * (JR[i] - J[i]);
    assert_true(sqrt(d2) > 1e-3 * scale);
    assert_int_equal(lrnn_lint_truncate(J, N, N + 1, NULL, NULL, NULL), LRNN_ERR_ARG);
}

/* svd_reparametrization leaves m n^T unchanged and makes m^T m = n^T n = S diagonal. */
static void test_svd_reparam(void **state) {
    (void)state;
    lrnn_lint_config c = lrnn_lint_default_config(LRNN_LINT_LOW_RANK);
    c.units = 15, c.rank = 3, c.seed = 4;
    lrnn_lint_rnn *rnn = NULL;
    assert_int_equal(lrnn_lint_create(&c, &rnn), LRNN_OK);
    lrnn_lint_view v = lrnn_lint_view_of(lrnn_lint_layout(rnn), lrnn_lint_params(rnn));
    size_t N = 15, R = 3;
    double before[15 * 15], after[15 * 15];
    for (size_t i = 0; i < N; i++)
        for (size_t j = 0; j < N; j++) {
            double s = 0.0;
            for (size_t k = 0; k < R; k++)
                s += v.m[i * R + k] * v.n[j * R + k];
            before[i * N + j] = s;
        }
    assert_int_equal(lrnn_lint_svd_reparam(rnn), LRNN_OK);
    double err = 0.0;
    for (size_t i = 0; i < N; i++)
        for (size_t j = 0; j < N; j++) {
            double s = 0.0;
            for (size_t k = 0; k < R; k++)
                s += v.m[i * R + k] * v.n[j * R + k];
            after[i * N + j] = s;
            err = fmax(err, fabs(after[i * N + j] - before[i * N + j]));
        }
    assert_true(err < 1e-12 * sqrt(frob(N * N, before, before)));
    for (size_t a = 0; a < R; a++)
        for (size_t b = 0; b < R; b++) {
            double mm = 0.0, nn = 0.0;
            for (size_t i = 0; i < N; i++) {
                mm += v.m[i * R + a] * v.m[i * R + b];
                nn += v.n[i * R + a] * v.n[i * R + b];
            }
            if (a != b)
                assert_true(fabs(mm) < 1e-10 && fabs(nn) < 1e-10);
            else
                assert_true(fabs(mm - nn) < 1e-10 * mm);
            if (a > 0 && a == b) { /* singular values in decreasing order */
                double prev = 0.0;
                for (size_t i = 0; i < N; i++)
                    prev += v.m[i * R + a - 1] * v.m[i * R + a - 1];
                assert_true(prev >= mm);
            }
        }
    lrnn_lint_free(rnn);
}

/* CC and ECC from factors against dense N x N matrices. */
static void test_connectivity_dense(void **state) {
    (void)state;
    enum { N = 12, R1 = 2, R2 = 3, U = 2 };
    double m1[N * R1], n1[N * R1], m2[N * R2], n2[N * R2], w1[U * N], w2[U * N];
    lrnn_rng r;
    lrnn_rng_init(&r, 8, LRNN_RNG_INIT, 0, 0);
    for (size_t i = 0; i < N * R1; i++)
        m1[i] = lrnn_rng_normal(&r), n1[i] = lrnn_rng_normal(&r);
    for (size_t i = 0; i < N * R2; i++)
        m2[i] = lrnn_rng_normal(&r), n2[i] = lrnn_rng_normal(&r);
    for (size_t i = 0; i < U * N; i++)
        w1[i] = lrnn_rng_normal(&r), w2[i] = lrnn_rng_normal(&r);
    double J1[N * N], J2[N * N];
    /* dense: J = m n^T; effective: n projected on span{m, W_in rows} by least squares */
    for (int eff = 0; eff < 2; eff++) {
        const double *ms[2] = {m1, m2}, *ns[2] = {n1, n2}, *ws[2] = {w1, w2};
        size_t Rs[2] = {R1, R2};
        double *Js[2] = {J1, J2};
        for (int k = 0; k < 2; k++) {
            size_t R = Rs[k], K = R + U;
            double Bs[N * 5], nt[N * 3];
            for (size_t i = 0; i < N; i++)
                for (size_t c = 0; c < K; c++)
                    Bs[i * K + c] = c < R ? ms[k][i * R + c] : ws[k][(c - R) * N + i];
            for (size_t rr = 0; rr < R; rr++) {
                if (!eff) {
                    for (size_t i = 0; i < N; i++)
                        nt[i * R + rr] = ns[k][i * R + rr];
                    continue;
                }
                /* normal equations (Bs^T Bs) c = Bs^T n by Gaussian elimination (K <= 5) */
                double G[25], h[5];
                for (size_t a = 0; a < K; a++) {
                    h[a] = 0.0;
                    for (size_t i = 0; i < N; i++)
                        h[a] += Bs[i * K + a] * ns[k][i * R + rr];
                    for (size_t b = 0; b < K; b++) {
                        G[a * K + b] = 0.0;
                        for (size_t i = 0; i < N; i++)
                            G[a * K + b] += Bs[i * K + a] * Bs[i * K + b];
                    }
                }
                for (size_t p = 0; p < K; p++)
                    for (size_t q = p + 1; q < K; q++) {
                        double f = G[q * K + p] / G[p * K + p];
                        for (size_t b = p; b < K; b++)
                            G[q * K + b] -= f * G[p * K + b];
                        h[q] -= f * h[p];
                    }
                for (size_t p = K; p-- > 0;) {
                    for (size_t b = p + 1; b < K; b++)
                        h[p] -= G[p * K + b] * h[b];
                    h[p] /= G[p * K + p];
                }
                for (size_t i = 0; i < N; i++) {
                    double s = 0.0;
                    for (size_t a = 0; a < K; a++)
                        s += Bs[i * K + a] * h[a];
                    nt[i * R + rr] = s;
                }
            }
            for (size_t i = 0; i < N; i++)
                for (size_t j = 0; j < N; j++) {
                    double s = 0.0;
                    for (size_t c = 0; c < R; c++)
                        s += ms[k][i * R + c] * nt[j * R + c];
                    Js[k][i * N + j] = s;
                }
        }
        double dense = frob(N * N, J1, J2) / sqrt(frob(N * N, J1, J1) * frob(N * N, J2, J2));
        double fact = 0.0;
        if (eff)
            assert_int_equal(lrnn_lint_ecc(N, R1, m1, n1, U, w1, R2, m2, n2, U, w2, &fact),
                             LRNN_OK);
        else
            fact = lrnn_lint_cc(N, R1, m1, n1, R2, m2, n2);
        printf("  %s: factors %.15f dense %.15f\n", eff ? "ECC" : "CC", fact, dense);
        assert_true(fabs(fact - dense) < 1e-12);
    }
    /* identical networks correlate perfectly */
    double ecc = 0.0;
    assert_int_equal(lrnn_lint_ecc(N, R1, m1, n1, U, w1, R1, m1, n1, U, w1, &ecc), LRNN_OK);
    assert_true(fabs(ecc - 1.0) < 1e-12);
}

static void test_r2(void **state) {
    (void)state;
    double y[6] = {1, 2, 3, 4, 5, 6}, p[6] = {1, 2, 3, 4, 5, 7};
    /* ss_res = 1, mean 3.5, ss_tot = 17.5 */
    assert_true(fabs(lrnn_lint_r2(y, p, 6) - (1.0 - 1.0 / 17.5)) < 1e-15);
    /* 3 rows x 2 neurons: neuron 0 = {1, 3, 5} predicted exactly, neuron 1 = {2, 4, 6} with one
     * error of 1 (ss_tot 8): R^2 = 1 and 7/8 */
    double r2[2], med, mean;
    assert_int_equal(lrnn_lint_r2_neurons(y, p, 3, 2, r2, &med, &mean), LRNN_OK);
    assert_true(r2[0] == 1.0 && fabs(r2[1] - 0.875) < 1e-15);
    assert_true(fabs(med - 0.9375) < 1e-15 && fabs(mean - 0.9375) < 1e-15);
    assert_int_equal(lrnn_lint_r2_neurons(y, p, 0, 2, r2, &med, &mean), LRNN_ERR_SHAPE);
}

/* A low-rank network built from the truncation of a full-rank one gives the outputs of the
 * full-rank network whose wrec is the truncated J_R (section 3.2), and with R = N those of the
 * original. */
static void test_low_rank_from_full(void **state) {
    (void)state;
    enum { N = 10, U = 2, T = 12, TR = 3 };
    lrnn_lint_config c = lrnn_lint_default_config(LRNN_LINT_FULL_RANK);
    c.units = N, c.inputs = U, c.outputs = 2, c.rho = 1.5, c.seed = 9;
    lrnn_lint_rnn *full = NULL, *lr = NULL, *trunc = NULL;
    assert_int_equal(lrnn_lint_create(&c, &full), LRNN_OK);
    double u[TR * T * U], y1[TR * T * 2], y2[TR * T * 2];
    test_random_inputs(3, TR, T, U, u);
    lrnn_lint_noise nz = {1, 0};
    for (int R = 2; R <= N; R += N - 2) {
        assert_int_equal(lrnn_lint_low_rank_from_full(full, R, &lr), LRNN_OK);
        assert_int_equal(lrnn_lint_clone(full, &trunc), LRNN_OK);
        lrnn_lint_view vt = lrnn_lint_view_of(lrnn_lint_layout(trunc), lrnn_lint_params(trunc));
        lrnn_lint_view vf = lrnn_lint_view_of(lrnn_lint_layout(full), lrnn_lint_params(full));
        assert_int_equal(lrnn_lint_truncate(vf.wrec, N, R, vt.wrec, NULL, NULL), LRNN_OK);
        assert_int_equal(lrnn_lint_simulate(lr, u, NULL, TR, T, nz, NULL, y1), LRNN_OK);
        assert_int_equal(lrnn_lint_simulate(trunc, u, NULL, TR, T, nz, NULL, y2), LRNN_OK);
        double err = 0.0;
        for (size_t i = 0; i < TR * T * 2; i++)
            err = fmax(err, fabs(y1[i] - y2[i]));
        assert_true(err < 1e-12);
        if (R == N) {
            assert_int_equal(lrnn_lint_simulate(full, u, NULL, TR, T, nz, NULL, y2), LRNN_OK);
            for (size_t i = 0; i < TR * T * 2; i++)
                assert_true(fabs(y1[i] - y2[i]) < 1e-12);
        }
        lrnn_lint_free(lr), lrnn_lint_free(trunc);
    }
    lrnn_lint_free(full);
}

/* Noise depends on (seed, trial, draw) only: a trial simulated alone or in a batch matches. */
static void test_noise_streams(void **state) {
    (void)state;
    lrnn_lint_config c = lrnn_lint_default_config(LRNN_LINT_LOW_RANK);
    c.units = 9, c.inputs = 1, c.noise_std = 0.1;
    lrnn_lint_rnn *rnn = NULL;
    assert_int_equal(lrnn_lint_create(&c, &rnn), LRNN_OK);
    enum { TR = 70, T = 5 }; /* more than one simulate chunk of 64 */
    double u[TR * T], ya[TR * T], yb[T];
    test_random_inputs(4, TR, T, 1, u);
    lrnn_lint_noise nz = {5, 2};
    assert_int_equal(lrnn_lint_simulate(rnn, u, NULL, TR, T, nz, NULL, ya), LRNN_OK);
    lrnn_lint_data d = {.trials = TR, .T = T, .inputs = u};
    lrnn_lint_work *w = NULL;
    assert_int_equal(lrnn_lint_work_create(rnn, 1, T, &w), LRNN_OK);
    size_t idx = 66;
    assert_int_equal(lrnn_lint_forward(w, rnn, &d, &idx, 1, nz, NULL), LRNN_OK);
    memcpy(yb, lrnn_lint_work_outputs(w), sizeof yb);
    for (size_t t = 0; t < T; t++)
        assert_true(yb[t] == ya[66 * T + t]);
    nz.draw = 3; /* another draw changes the noise */
    assert_int_equal(lrnn_lint_forward(w, rnn, &d, &idx, 1, nz, NULL), LRNN_OK);
    assert_true(lrnn_lint_work_outputs(w)[T - 1] != ya[66 * T + T - 1]);
    lrnn_lint_work_free(w);
    lrnn_lint_free(rnn);
}

/* Keep-best restores the best epoch's block; early stop ends the loop; a diverging lr keeps the
 * last good parameters with a clear error. */
static void test_training_loop(void **state) {
    (void)state;
    enum { N = 12, U = 1, T = 10, TR = 40 };
    lrnn_lint_config c = lrnn_lint_student_config(N, 1, U, 0.0, LRNN_LINT_TARGET_RATES, 2);
    lrnn_lint_rnn *teacher = NULL, *s = NULL;
    assert_int_equal(lrnn_lint_create(&c, &teacher), LRNN_OK);
    double u[TR * T * U], y[TR * T * N];
    test_random_inputs(6, TR, T, U, u);
    lrnn_lint_noise nz = {1, 0};
    assert_int_equal(lrnn_lint_teacher_targets(teacher, u, TR, T, nz, LRNN_LINT_TARGET_RATES, y),
                     LRNN_OK);
    lrnn_lint_data d = {.trials = TR, .T = T, .inputs = u, .targets = y};
    c.seed = 77;
    assert_int_equal(lrnn_lint_create(&c, &s), LRNN_OK);
    lrnn_lint_train_params p = lrnn_lint_train_default_params();
    p.epochs = 40, p.batch_size = 8, p.early_stop = 1e9; /* stops after the first epoch */
    lrnn_lint_train_result res;
    assert_int_equal(lrnn_lint_train(s, &d, &p, &res), LRNN_OK);
    assert_int_equal(res.epochs_run, 1);
    assert_true(res.stopped_early);
    p.early_stop = 0.0;
    assert_int_equal(lrnn_lint_train(s, &d, &p, &res), LRNN_OK);
    assert_int_equal(res.epochs_run, 40);
    /* the kept parameters have the best epoch's loss on a fresh full pass (noise-free: equal up
     * to the loss being an epoch mean, so only check it is not worse than the initial one) */
    lrnn_lint_work *w = NULL;
    assert_int_equal(lrnn_lint_work_create(s, TR, T, &w), LRNN_OK);
    double loss = 0.0;
    assert_int_equal(lrnn_lint_forward(w, s, &d, NULL, TR, nz, &loss), LRNN_OK);
    printf("  training: initial %.4e best %.4e (epoch %d) final-epoch %.4e, kept %.4e\n",
           res.initial_loss, res.best_loss, res.best_epoch, res.final_loss, loss);
    assert_true(res.best_loss <= res.final_loss);
    assert_true(loss < res.initial_loss);
    lrnn_lint_work_free(w);
    /* batch larger than the data */
    p.batch_size = TR + 1;
    assert_int_equal(lrnn_lint_train(s, &d, &p, &res), LRNN_ERR_ARG);
    assert_non_null(strstr(lrnn_last_error(), "batch_size"));
    /* a diverging learning rate: the error names the epoch, the parameters stay finite */
    p.batch_size = 8, p.lr = 1e300, p.clip = 0.0, p.keep_best = false;
    lrnn_status st = lrnn_lint_train(s, &d, &p, &res);
    if (st != LRNN_OK) {
        assert_int_equal(st, LRNN_ERR_NUMERIC);
        assert_non_null(strstr(lrnn_last_error(), "epoch"));
    }
    const double *th = lrnn_lint_params_const(s);
    for (size_t i = 0; i < lrnn_lint_layout(s)->total; i++)
        assert_true(isfinite(th[i]));
    lrnn_lint_free(s);
    lrnn_lint_free(teacher);
}

static void test_prepend_free(void **state) {
    (void)state;
    double tg[2 * 2 * 3] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, mk[2 * 2] = {1, 0, 1, 1};
    double to[2 * 5 * 3], mo[2 * 5 * 3];
    lrnn_lint_prepend_free(tg, mk, false, 2, 2, 3, 3, to, mo);
    for (size_t j = 0; j < 2; j++)
        for (size_t t = 0; t < 5; t++)
            for (size_t o = 0; o < 3; o++) {
                size_t i = (j * 5 + t) * 3 + o;
                if (t < 3) {
                    assert_true(to[i] == 0.0 && mo[i] == 0.0);
                } else {
                    assert_true(to[i] == tg[(j * 2 + t - 3) * 3 + o]);
                    assert_true(mo[i] == mk[j * 2 + t - 3]);
                }
            }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_truncation_exact),        cmocka_unit_test(test_svd_reparam),
        cmocka_unit_test(test_connectivity_dense),      cmocka_unit_test(test_r2),
        cmocka_unit_test(test_low_rank_from_full),      cmocka_unit_test(test_noise_streams),
        cmocka_unit_test(test_training_loop),           cmocka_unit_test(test_prepend_free),
        cmocka_unit_test(test_rank1_teacher_recovered),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
