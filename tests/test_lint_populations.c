/* Populations of LINT networks (spec lint_method.md 5.3, 7.6; include/lrnn/lint_populations.h):
 * silencing is exact (outputs equal those of the network built without the units, with the same
 * 1/N; the silenced units' state, bias and noise leak nowhere), hand-made populations by input
 * loading, gains per population and context on hand-made states, loadings after the SVD
 * reparametrisation, GMM recovery of planted populations and support networks drawn from them. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lrnn/lint.h"
#include "lrnn/lint_populations.h"
#include "lrnn/rng.h"

/* |a - b| <= tol (this cmocka has no assert_double_equal) */
#define assert_close(a, b, tol) assert_true(fabs((double)(a) - (double)(b)) <= (tol))

static void random_inputs(uint64_t seed, size_t n, double *u) {
    lrnn_rng r;
    lrnn_rng_init(&r, seed, LRNN_RNG_SAMPLE, 0, 0);
    for (size_t i = 0; i < n; i++)
        u[i] = lrnn_rng_normal(&r);
}

static lrnn_lint_rnn *make_net(lrnn_lint_kind kind, int N, int R, int U, uint64_t seed) {
    lrnn_lint_config c = lrnn_lint_default_config(kind);
    c.units = N, c.rank = R, c.inputs = U, c.outputs = 2, c.seed = seed;
    c.rho = 1.5;
    lrnn_lint_rnn *rnn = NULL;
    assert_int_equal(lrnn_lint_create(&c, &rnn), LRNN_OK);
    lrnn_lint_view v = lrnn_lint_view_of(lrnn_lint_layout(rnn), lrnn_lint_params(rnn));
    /* a non-trivial gain and a readout of the full-rank scale so outputs are O(1) */
    for (int k = 0; k < U; k++)
        v.si[k] = 0.7 + 0.2 * k;
    v.so[0] = 1.3, v.so[1] = -0.6;
    if (kind == LRNN_LINT_FULL_RANK)
        for (int i = 0; i < N * 2; i++)
            v.wo[i] *= N;
    else /* strong recurrence along n = 2 m + noise keeps kappa O(1) */
        for (int i = 0; i < N * R; i++)
            v.n[i] += 2.0 * v.m[i];
    return rnn;
}

static double max_abs_diff(const double *a, const double *b, size_t n) {
    double m = 0;
    for (size_t i = 0; i < n; i++)
        m = fmax(m, fabs(a[i] - b[i]));
    return m;
}

/* The network without the silenced units but with the original 1/N: kept rows of every
 * per-unit parameter; the low-rank 1/N moved into m and wo (rec_div_n, out_div_n off). */
static lrnn_lint_rnn *without_units(const lrnn_lint_rnn *src, const bool *silenced) {
    const lrnn_lint_config *sc = lrnn_lint_config_of(src);
    int N = sc->units, U = sc->inputs, O = sc->outputs, R = sc->rank, N2 = 0;
    for (int i = 0; i < N; i++)
        N2 += !silenced[i];
    lrnn_lint_config c = *sc;
    c.units = N2, c.rec_div_n = false, c.out_div_n = false;
    lrnn_lint_rnn *dst = NULL;
    assert_int_equal(lrnn_lint_create(&c, &dst), LRNN_OK);
    lrnn_lint_view a =
        lrnn_lint_view_of(lrnn_lint_layout(src), (double *)lrnn_lint_params_const(src));
    lrnn_lint_view b = lrnn_lint_view_of(lrnn_lint_layout(dst), lrnn_lint_params(dst));
    bool low = sc->kind == LRNN_LINT_LOW_RANK;
    double cr = sc->rec_div_n ? 1.0 / N : 1.0, co = sc->out_div_n ? 1.0 / N : 1.0;
    memcpy(b.si, a.si, (size_t)U * sizeof(double));
    memcpy(b.so, a.so, (size_t)O * sizeof(double));
    for (int i = 0, ii = 0; i < N; i++) {
        if (silenced[i]) continue;
        for (int k = 0; k < U; k++)
            b.wi[k * N2 + ii] = a.wi[k * N + i];
        for (int o = 0; o < O; o++)
            b.wo[ii * O + o] = co * a.wo[i * O + o];
        b.b[ii] = a.b[i], b.h0[ii] = a.h0[i];
        if (low)
            for (int r = 0; r < R; r++)
                b.m[ii * R + r] = cr * a.m[i * R + r], b.n[ii * R + r] = a.n[i * R + r];
        else
            for (int j = 0, jj = 0; j < N; j++)
                if (!silenced[j]) b.wrec[ii * N2 + jj++] = a.wrec[i * N + j];
        ii++;
    }
    return dst;
}

static void check_silence_exact(lrnn_lint_kind kind) {
    enum { N = 30, R = 2, U = 3, T = 25, B = 4, O = 2 };
    lrnn_lint_rnn *net = make_net(kind, N, R, U, 7);
    lrnn_lint_view v = lrnn_lint_view_of(lrnn_lint_layout(net), lrnn_lint_params(net));
    for (int i = 0; i < N; i++) /* nonzero biases and initial states everywhere */
        v.b[i] = 0.1 * sin(i), v.h0[i] = 0.5 * cos(3.0 * i);
    bool silenced[N] = {0};
    for (int i = 0; i < N; i += 4)
        silenced[i] = true;
    double u[B * T * U], y_sil[B * T * O], y_red[B * T * O], y_int[B * T * O];
    random_inputs(3, B * T * U, u);
    lrnn_lint_noise nz = {5, 0};
    assert_int_equal(lrnn_lint_simulate(net, u, NULL, B, T, nz, NULL, y_int), LRNN_OK);
    lrnn_lint_rnn *sil = NULL;
    assert_int_equal(lrnn_lint_clone(net, &sil), LRNN_OK);
    lrnn_lint_rnn *red = without_units(net, silenced); /* keeps the h0 of the kept units */
    assert_int_equal(lrnn_lint_silence(sil, silenced), LRNN_OK);
    double *xs = malloc(B * (T + 1) * N * sizeof *xs);
    assert_int_equal(lrnn_lint_simulate(sil, u, NULL, B, T, nz, xs, y_sil), LRNN_OK);
    assert_int_equal(lrnn_lint_simulate(red, u, NULL, B, T, nz, NULL, y_red), LRNN_OK);
    /* sigma = 0: the same sums up to the order of the additions (exact zeros dropped): a few
     * ulps of O(1) outputs */
    assert_true(max_abs_diff(y_sil, y_red, B * T * O) < 1e-12);
    /* and silencing changed something (the test would pass trivially otherwise) */
    assert_true(max_abs_diff(y_sil, y_int, B * T * O) > 1e-3);
    /* with sigma = 0 a silenced unit's state stays exactly 0 (nothing reaches it) */
    for (int j = 0; j < B * (T + 1); j++)
        for (int i = 0; i < N; i++)
            if (silenced[i]) assert_true(xs[j * N + i] == 0.0);

    /* "whatever its state and noise": two silenced copies that differ only in the silenced
     * units' initial state and bias, run with noise, give identical outputs (each unit's noise
     * is its own draw of the same stream in both) */
    lrnn_lint_rnn *a = NULL, *b = NULL;
    lrnn_lint_config nc = *lrnn_lint_config_of(sil);
    nc.noise_std = 0.3;
    assert_int_equal(lrnn_lint_create(&nc, &a), LRNN_OK);
    assert_int_equal(lrnn_lint_create(&nc, &b), LRNN_OK);
    size_t total = lrnn_lint_layout(sil)->total;
    memcpy(lrnn_lint_params(a), lrnn_lint_params_const(sil), total * sizeof(double));
    memcpy(lrnn_lint_params(b), lrnn_lint_params_const(sil), total * sizeof(double));
    lrnn_lint_view vb = lrnn_lint_view_of(lrnn_lint_layout(b), lrnn_lint_params(b));
    for (int i = 0; i < N; i++)
        if (silenced[i]) vb.h0[i] = 5.0 + i, vb.b[i] = -3.0;
    double ya[B * T * O], yb[B * T * O];
    assert_int_equal(lrnn_lint_simulate(a, u, NULL, B, T, nz, NULL, ya), LRNN_OK);
    assert_int_equal(lrnn_lint_simulate(b, u, NULL, B, T, nz, NULL, yb), LRNN_OK);
    assert_memory_equal(ya, yb, sizeof ya);

    free(xs);
    lrnn_lint_free(a), lrnn_lint_free(b);
    lrnn_lint_free(net), lrnn_lint_free(sil), lrnn_lint_free(red);
}

static void test_silence_low_rank(void **state) {
    (void)state;
    check_silence_exact(LRNN_LINT_LOW_RANK);
}

static void test_silence_full_rank(void **state) {
    (void)state;
    check_silence_exact(LRNN_LINT_FULL_RANK);
}

static void test_silence_population_counts(void **state) {
    (void)state;
    lrnn_lint_rnn *net = make_net(LRNN_LINT_LOW_RANK, 12, 1, 2, 3);
    int labels[12] = {0, 1, 2, 1, 0, 0, 1, -1, 2, 1, 0, 0};
    size_t count = 0;
    assert_int_equal(lrnn_lint_silence_population(net, labels, 1, &count), LRNN_OK);
    assert_int_equal(count, 4);
    lrnn_lint_view v = lrnn_lint_view_of(lrnn_lint_layout(net), lrnn_lint_params(net));
    for (int i = 0; i < 12; i++) {
        bool off = labels[i] == 1;
        assert_true((v.n[i] == 0.0) == off); /* N(0,1) draws + 2m are never exactly 0 */
        assert_true((v.wo[2 * i] == 0.0) == off);
    }
    lrnn_lint_free(net);
}

/* Spec 5.3 CDM analysis on a hand-made example: top-3 |I^ctx1| -> 1, top-3 |I^ctx2| -> 2, the
 * second wins on overlap; absolute values rank, ties go to the lower index. */
static void test_top_k_populations(void **state) {
    (void)state;
    enum { N = 10 };
    double v[2 * N] = {
        /* I^ctx1: top |.| are units 1 (-5), 4 (4), 2 (3) */
        0.1,
        -5.0,
        3.0,
        0.0,
        4.0,
        -0.2,
        1.0,
        0.5,
        -1.0,
        2.0,
        /* I^ctx2: top |.| are 2 (-9), 7 (8), then a tie |2| of units 3 and 9: 3 wins */
        0.0,
        1.0,
        -9.0,
        2.0,
        0.0,
        0.0,
        0.0,
        8.0,
        0.0,
        -2.0,
    };
    int labels[N];
    assert_int_equal(lrnn_lint_top_k_populations(N, 2, v, 3, labels), LRNN_OK);
    int want[N] = {0, 1, 2, 2, 1, 0, 0, 2, 0, 0};
    assert_memory_equal(labels, want, sizeof want);
    assert_int_not_equal(lrnn_lint_top_k_populations(N, 2, v, N + 1, labels), LRNN_OK);

    /* through a network's effective inputs W_in = diag(si) wi (channels 2 and 0) */
    lrnn_lint_rnn *net = make_net(LRNN_LINT_LOW_RANK, N, 1, 3, 4);
    lrnn_lint_view nv = lrnn_lint_view_of(lrnn_lint_layout(net), lrnn_lint_params(net));
    memcpy(nv.wi + 2 * N, v, N * sizeof(double));
    memcpy(nv.wi + 0 * N, v + N, N * sizeof(double));
    nv.si[2] = -2.0; /* a sign flip does not change |I| */
    int ch[2] = {2, 0};
    assert_int_equal(lrnn_lint_populations_by_input(net, 2, ch, 3, labels), LRNN_OK);
    assert_memory_equal(labels, want, sizeof want);
    int bad[1] = {3};
    assert_int_not_equal(lrnn_lint_populations_by_input(net, 1, bad, 3, labels), LRNN_OK);
    lrnn_lint_free(net);
}

/* Gains 1 - tanh^2 and rates on states chosen so every cell's mean is known in closed form:
 * tanh(atanh(q)) = q, so a state atanh(q) has rate q and gain 1 - q^2. */
static void test_gains_constructed(void **state) {
    (void)state;
    enum { N = 4, T = 1, B = 3 };
    lrnn_lint_rnn *net = make_net(LRNN_LINT_LOW_RANK, N, 1, 1, 2);
    lrnn_lint_view v = lrnn_lint_view_of(lrnn_lint_layout(net), lrnn_lint_params(net));
    for (int i = 0; i < N; i++)
        v.b[i] = 0.0;
    v.b[1] = atanh(0.5) - atanh(0.25); /* unit 1 at t = 1 reads x + b */
    double a = atanh(0.5), q = atanh(0.25),
           xs[B * (T + 1) * N] = {
               /* trial 0 (context 0): t = 0, t = 1 */
               0.0,
               a,
               a,
               7.0,
               /**/ a,
               q,
               0.0,
               7.0,
               /* trial 1 (context 1) */
               a,
               a,
               -a,
               7.0,
               /**/ -a,
               -a,
               a,
               7.0,
               /* trial 2 (context 0) */
               0.0,
               0.0,
               0.0,
               7.0,
               /**/ 0.0,
               0.0,
               0.0,
               7.0,
           };
    int context[B] = {0, 1, 0}, labels[N] = {0, 0, 1, -1}; /* unit 3 in no population */
    double gains[2 * 2], rates[2 * 2];
    assert_int_equal(lrnn_lint_population_gains(net, xs, B, T, context, 2, labels, 2, gains, rates),
                     LRNN_OK);
    /* population 0 (units 0, 1), context 0 (trials 0 and 2): r_0 = tanh(x_0) without bias,
     * r_1 = tanh(x_1 + b) with q + b1 = a: rates 0, .5, .5, .5 (trial 0), 0, 0, 0, tanh(b1) */
    double tb = tanh(v.b[1]);
    double r00[8] = {0, 0.5, 0.5, 0.5, 0, 0, 0, tb};
    double g = 0, r = 0;
    for (int k = 0; k < 8; k++)
        g += 1 - r00[k] * r00[k], r += r00[k];
    assert_close(gains[0 * 2 + 0], g / 8, 1e-14);
    assert_close(rates[0 * 2 + 0], r / 8, 1e-14);
    /* population 0, context 1: rates .5, .5, -.5, tanh(-a + b1) */
    double r01[4] = {0.5, 0.5, -0.5, tanh(-a + v.b[1])};
    g = 0, r = 0;
    for (int k = 0; k < 4; k++)
        g += 1 - r01[k] * r01[k], r += r01[k];
    assert_close(gains[0 * 2 + 1], g / 4, 1e-14);
    assert_close(rates[0 * 2 + 1], r / 4, 1e-14);
    /* population 1 (unit 2): context 0 rates .5, 0, 0, 0; context 1: -.5, .5 */
    assert_close(gains[1 * 2 + 0], (0.75 + 3.0) / 4, 1e-14);
    assert_close(rates[1 * 2 + 0], 0.5 / 4, 1e-14);
    assert_close(gains[1 * 2 + 1], 0.75, 1e-14);
    assert_close(rates[1 * 2 + 1], 0.0, 1e-14);
    /* an empty cell is NaN; a label out of range is an error */
    int none[N] = {0, 0, 0, -1};
    assert_int_equal(lrnn_lint_population_gains(net, xs, B, T, context, 2, none, 2, gains, NULL),
                     LRNN_OK);
    assert_true(isnan(gains[1 * 2 + 0]) && isnan(gains[1 * 2 + 1]));
    int bad[N] = {0, 0, 2, 0};
    assert_int_not_equal(lrnn_lint_population_gains(net, xs, B, T, context, 2, bad, 2, gains, NULL),
                         LRNN_OK);
    lrnn_lint_free(net);
}

/* Loadings: column order, m n^T unchanged by the SVD reparametrisation (taken on a copy), the
 * effective inputs and the readout in the y = psi(x)^T w / N convention. */
static void test_loadings(void **state) {
    (void)state;
    enum { N = 20, R = 2, U = 2 };
    lrnn_lint_rnn *net = make_net(LRNN_LINT_LOW_RANK, N, R, U, 9);
    size_t total = lrnn_lint_layout(net)->total;
    double *before = malloc(total * sizeof *before);
    memcpy(before, lrnn_lint_params(net), total * sizeof *before);
    lrnn_lint_features f;
    assert_int_equal(lrnn_lint_features_parse("m,n,wi,wo", &f), LRNN_OK);
    int d = 0;
    assert_int_equal(lrnn_lint_loadings(net, f, NULL, NULL, &d), LRNN_OK);
    assert_int_equal(d, 2 * R + U + 2);
    double x[N * (2 * R + U + 2)];
    assert_int_equal(lrnn_lint_loadings(net, f, NULL, x, NULL), LRNN_OK);
    assert_memory_equal(before, lrnn_lint_params(net), total * sizeof *before); /* untouched */
    lrnn_lint_view v = lrnn_lint_view_of(lrnn_lint_layout(net), lrnn_lint_params(net));
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            double want = 0, got = 0;
            for (int r = 0; r < R; r++) {
                want += v.m[i * R + r] * v.n[j * R + r];
                got += x[i * d + r] * x[j * d + R + r];
            }
            assert_close(got, want, 1e-10 * (1 + fabs(want)));
        }
    /* reparametrised columns are orthogonal: m_1 . m_2 = 0 */
    double mm = 0, nrm = 0;
    for (int i = 0; i < N; i++)
        mm += x[i * d] * x[i * d + 1], nrm += x[i * d] * x[i * d];
    assert_true(fabs(mm) < 1e-10 * nrm);
    for (int i = 0; i < N; i++) {
        for (int k = 0; k < U; k++)
            assert_close(x[i * d + 2 * R + k], v.si[k] * v.wi[k * N + i], 1e-15);
        /* low rank: y = psi^T wo diag(so) / N, so w = wo so */
        for (int o = 0; o < 2; o++)
            assert_close(x[i * d + 2 * R + U + o], v.wo[i * 2 + o] * v.so[o], 1e-15);
    }
    /* a full-rank network (no 1/N in the readout): w = N wo so; m, n are refused */
    lrnn_lint_rnn *full = make_net(LRNN_LINT_FULL_RANK, N, 1, U, 10);
    lrnn_lint_readout ro;
    assert_int_equal(lrnn_lint_readout_of(full, &ro), LRNN_OK);
    lrnn_lint_view fv = lrnn_lint_view_of(lrnn_lint_layout(full), lrnn_lint_params(full));
    assert_close(ro.w[3 * 2 + 1], N * fv.wo[3 * 2 + 1] * fv.so[1], 1e-12);
    assert_int_not_equal(lrnn_lint_loadings(full, f, NULL, NULL, &d), LRNN_OK);
    lrnn_lint_readout_free(&ro);
    assert_int_not_equal(lrnn_lint_features_parse("m,q", &f), LRNN_OK);
    assert_int_not_equal(lrnn_lint_features_parse("m,", &f), LRNN_OK);
    assert_int_not_equal(lrnn_lint_features_parse("", &f), LRNN_OK);
    char text[32];
    assert_int_equal(lrnn_lint_features_parse("wo,I", &f), LRNN_OK);
    lrnn_lint_features_text(f, text, sizeof text);
    assert_string_equal(text, "wi,wo");
    free(before);
    lrnn_lint_free(net), lrnn_lint_free(full);
}

/* A rank-1 network with two planted populations (70% / 30%) of different loading means and
 * covariances; the GMM on [m, n, wi] after the SVD reparametrisation recovers them. The
 * populations are separated by ~8 sd along wi_0 and n, so the Bayes error is ~1e-10 per unit
 * and an ARI > 0.95 (the threshold) fails only if the clustering is wrong. */
enum { PN = 600 };
static lrnn_lint_rnn *planted(int *truth) {
    lrnn_lint_config c = lrnn_lint_default_config(LRNN_LINT_LOW_RANK);
    c.units = PN, c.rank = 1, c.inputs = 2, c.outputs = 1, c.seed = 2;
    lrnn_lint_rnn *net = NULL;
    assert_int_equal(lrnn_lint_create(&c, &net), LRNN_OK);
    lrnn_lint_view v = lrnn_lint_view_of(lrnn_lint_layout(net), lrnn_lint_params(net));
    lrnn_rng r;
    lrnn_rng_init(&r, 77, LRNN_RNG_SAMPLE, 0, 0);
    for (int i = 0; i < PN; i++) {
        truth[i] = lrnn_rng_uniform(&r) < 0.3;
        double z[5];
        for (int k = 0; k < 5; k++)
            z[k] = lrnn_rng_normal(&r);
        if (truth[i]) { /* small population: large input 0, n aligned with m */
            v.m[i] = 1.0 + 0.5 * z[0], v.n[i] = 3.0 + 0.8 * z[0] + 0.3 * z[1];
            v.wi[i] = 4.0 + 0.4 * z[2], v.wi[PN + i] = 0.3 * z[3];
        } else {
            v.m[i] = z[0], v.n[i] = -1.0 + 0.3 * z[1];
            v.wi[i] = 0.4 * z[2], v.wi[PN + i] = z[3];
        }
        v.wo[i] = 2.0 * v.m[i] + 0.5 * z[4];
    }
    return net;
}

static void test_cluster_recovery(void **state) {
    (void)state;
    int truth[PN], labels[PN];
    lrnn_lint_rnn *net = planted(truth);
    lrnn_lint_features f = {.m = true, .n = true, .wi = true};
    int d;
    double *x = malloc(PN * 4 * sizeof *x);
    assert_int_equal(lrnn_lint_loadings(net, f, NULL, x, &d), LRNN_OK);
    assert_int_equal(d, 4);
    lrnn_gmm_params gp = lrnn_gmm_default_params();
    gp.components = 2, gp.restarts = 5, gp.seed = 2022;
    lrnn_gmm_stability_params sp = lrnn_gmm_stability_default_params();
    sp.resamples = 5, sp.fraction = 0.8, sp.replace = false, sp.seed = 1;
    size_t counts[2];
    double smean = 0, ssd = 0, ari = 0;
    assert_int_equal(lrnn_lint_cluster(PN, d, x, &gp, &sp, labels, counts, &smean, &ssd), LRNN_OK);
    assert_int_equal(lrnn_adjusted_rand_index(PN, truth, labels, &ari), LRNN_OK);
    assert_true(ari > 0.95);
    assert_true(counts[0] >= counts[1]); /* label 0 is the largest population */
    assert_int_equal(counts[0] + counts[1], PN);
    size_t n1 = 0;
    for (int i = 0; i < PN; i++)
        n1 += labels[i] == 1;
    assert_int_equal(n1, counts[1]);
    /* well-separated populations are stable under 80% subsamples */
    assert_true(smean > 0.95);

    /* support network from the planted labels: the mixture's weights and means are the
     * populations' (exact), and the N' = 20000 draws' per-population means match them within
     * 5 standard errors (sd <= 2 loading units / sqrt(n_p >= 5000): 5 SE < 0.15) */
    lrnn_lint_support_params spp = lrnn_lint_support_default_params();
    spp.units = 20000, spp.seed = 3;
    lrnn_lint_rnn *sup = NULL;
    lrnn_gmm mix;
    assert_int_equal(lrnn_lint_support_net(net, NULL, truth, 2, &spp, &sup, &mix), LRNN_OK);
    assert_int_equal(mix.C, 2);
    assert_int_equal(mix.d, 5); /* m, n, wi0, wi1, wo */
    lrnn_lint_view v = lrnn_lint_view_of(lrnn_lint_layout(net), lrnn_lint_params(net));
    double mean_wi0[2] = {0}, cnt[2] = {0};
    for (int i = 0; i < PN; i++)
        mean_wi0[truth[i]] += v.wi[i], cnt[truth[i]] += 1;
    for (int p = 0; p < 2; p++) {
        assert_close(mix.weights[p], cnt[p] / PN, 1e-15);
        assert_close(mix.means[p * 5 + 2], mean_wi0[p] / cnt[p], 1e-12);
    }
    lrnn_lint_view sv = lrnn_lint_view_of(lrnn_lint_layout(sup), lrnn_lint_params(sup));
    const lrnn_lint_config *sc = lrnn_lint_config_of(sup);
    assert_int_equal(sc->units, 20000);
    assert_true(sc->rec_div_n && sc->out_div_n && !sc->identity_readout);
    /* draws split by wi0 (the populations are 8 sd apart on it) */
    double sm[2] = {0}, sn[2] = {0};
    for (int i = 0; i < 20000; i++) {
        int p = sv.wi[i] > 2.0;
        sm[p] += sv.wi[i], sn[p] += 1;
    }
    for (int p = 0; p < 2; p++) {
        assert_true(fabs(sm[p] / sn[p] - mix.means[p * 5 + 2]) < 0.15);
        assert_true(fabs(sn[p] / 20000 - mix.weights[p]) < 5 * sqrt(0.25 / 20000));
    }
    lrnn_gmm_free(&mix);
    lrnn_lint_free(sup);
    free(x);
    lrnn_lint_free(net);
}

/* A support network behaves like its source in the mean-field limit: a one-population rank-1
 * network of N = 4000 Gaussian units and a network of 4000 fresh draws from its loading
 * statistics give the same latent kappa(t) = n.r/N and readout up to finite-size fluctuations
 * of O(1/sqrt N) ~ 0.016 of the O(1) signal; 0.1 of the signal range is a loose bound that a
 * wrong scale (a lost 1/N, a swapped column) exceeds many times over. */
static void test_support_mean_field(void **state) {
    (void)state;
    enum { N = 4000, T = 40, B = 2, U = 1 };
    lrnn_lint_config c = lrnn_lint_default_config(LRNN_LINT_LOW_RANK);
    c.units = N, c.rank = 1, c.inputs = U, c.outputs = 1, c.seed = 5;
    lrnn_lint_rnn *net = NULL;
    assert_int_equal(lrnn_lint_create(&c, &net), LRNN_OK);
    lrnn_lint_view v = lrnn_lint_view_of(lrnn_lint_layout(net), lrnn_lint_params(net));
    for (int i = 0; i < N; i++) /* n overlaps m (recurrence) and the input; wo reads m */
        v.n[i] = 1.5 * v.m[i] + 0.8 * v.wi[i] + 0.3 * v.n[i], v.wo[i] = 3.0 * v.m[i];
    int *labels = calloc(N, sizeof *labels);
    lrnn_lint_support_params sp = lrnn_lint_support_default_params();
    sp.seed = 11;
    lrnn_lint_rnn *sup = NULL;
    assert_int_equal(lrnn_lint_support_net(net, NULL, labels, 1, &sp, &sup, NULL), LRNN_OK);
    double u[B * T * U], ya[B * T], yb[B * T];
    for (int t = 0; t < T; t++)
        u[t] = t < 20 ? 0.6 : 0.0, u[T + t] = t < 20 ? -0.4 : 0.0;
    lrnn_lint_noise nz = {1, 0};
    assert_int_equal(lrnn_lint_simulate(net, u, NULL, B, T, nz, NULL, ya), LRNN_OK);
    assert_int_equal(lrnn_lint_simulate(sup, u, NULL, B, T, nz, NULL, yb), LRNN_OK);
    double range = 0;
    for (int k = 0; k < B * T; k++)
        range = fmax(range, fabs(ya[k]));
    assert_true(range > 0.5); /* the signal is O(1) */
    assert_true(max_abs_diff(ya, yb, B * T) < 0.1 * range);
    free(labels);
    lrnn_lint_free(net), lrnn_lint_free(sup);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_silence_low_rank),          cmocka_unit_test(test_silence_full_rank),
        cmocka_unit_test(test_silence_population_counts), cmocka_unit_test(test_top_k_populations),
        cmocka_unit_test(test_gains_constructed),         cmocka_unit_test(test_loadings),
        cmocka_unit_test(test_cluster_recovery),          cmocka_unit_test(test_support_mean_field),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
