/* Latent dynamics of low-rank LINT networks (include/lrnn/lint_latent.h, spec section 5.4).
 *
 * Rank 1 with n = m: in the plane coordinate c (x = m c) the fixed points solve the scalar
 * equation c = <m tanh(m c)> (the mean over units), and kappa = <m^2> c. Its derivative at 0 is
 * -1 + <m^2> = -1 + sigma_mn, so the network is bistable exactly above the critical overlap
 * sigma_mn = <m n> = 1. A 1-D bisection solve is the reference for positions, and the sign of
 * f'(c) = -1 + <m^2 tanh'(m c)> for stability. Rank 2 and 3 with non-orthogonal m, an input and a
 * bias: the coordinates, flow and Jacobian against direct N-dimensional formulas and finite
 * differences, and fixed points against a simulation of the network itself. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "lrnn/lint.h"
#include "lrnn/lint_latent.h"
#include "lrnn/rng.h"

/* A low-rank tanh network of N units, rank R, U inputs, with its default random weights. */
static lrnn_lint_rnn *make_rnn(int N, int R, int U, uint64_t seed) {
    lrnn_lint_config c = lrnn_lint_default_config(LRNN_LINT_LOW_RANK);
    c.units = N, c.rank = R, c.inputs = U, c.seed = seed;
    lrnn_lint_rnn *rnn = NULL;
    assert_int_equal(lrnn_lint_create(&c, &rnn), LRNN_OK);
    return rnn;
}

static lrnn_lint_view view(lrnn_lint_rnn *rnn) {
    return lrnn_lint_view_of(lrnn_lint_layout(rnn), lrnn_lint_params(rnn));
}

/* Rank 1, n = m = sigma z with z standardised to mean 0 and mean square exactly 1, so the
 * overlap <m n> is sigma^2 exactly. */
static lrnn_lint_rnn *rank1_mn(int N, double sigma2) {
    lrnn_lint_rnn *rnn = make_rnn(N, 1, 1, 3);
    lrnn_lint_view v = view(rnn);
    double mean = 0.0, sq = 0.0;
    for (int i = 0; i < N; i++)
        mean += v.m[i] / N;
    for (int i = 0; i < N; i++)
        sq += (v.m[i] - mean) * (v.m[i] - mean) / N;
    for (int i = 0; i < N; i++)
        v.n[i] = v.m[i] = (v.m[i] - mean) / sqrt(sq) * sqrt(sigma2);
    return rnn;
}

/* f(c) = -c + <m tanh(m c)> and its derivative. */
static double f1d(const double *m, int N, double c, double *deriv) {
    double s = 0.0, d = 0.0;
    for (int i = 0; i < N; i++) {
        double r = tanh(m[i] * c);
        s += m[i] * r;
        d += m[i] * m[i] * (1.0 - r * r);
    }
    if (deriv) *deriv = -1.0 + d / N;
    return -c + s / N;
}

/* Roots of f by a scan for sign changes on a fine grid over |c| <= <|m|> (where every root
 * lies, since |tanh| <= 1) and bisection to 1e-14; c = 0 is a root by symmetry. */
static int roots_1d(const double *m, int N, double *roots) {
    double bound = 0.0;
    for (int i = 0; i < N; i++)
        bound += fabs(m[i]) / N;
    int count = 0;
    roots[count++] = 0.0;
    const int steps = 4000;
    for (int side = -1; side <= 1; side += 2)
        for (int k = 0; k < steps; k++) {
            /* intervals (a, b] away from 0, where f(0) = 0 would count twice */
            double a = side * (0.5 + k) * bound / steps, b = side * (1.5 + k) * bound / steps;
            double fa = f1d(m, N, a, NULL), fb = f1d(m, N, b, NULL);
            if ((fa < 0) == (fb < 0)) continue;
            for (int it = 0; it < 200 && fabs(b - a) > 1e-14; it++) {
                double mid = 0.5 * (a + b), fm = f1d(m, N, mid, NULL);
                if ((fm < 0) == (fa < 0))
                    a = mid, fa = fm;
                else
                    b = mid;
            }
            roots[count++] = 0.5 * (a + b);
        }
    /* sort */
    for (int i = 1; i < count; i++)
        for (int j = i; j > 0 && roots[j] < roots[j - 1]; j--) {
            double t = roots[j];
            roots[j] = roots[j - 1], roots[j - 1] = t;
        }
    return count;
}

static void test_rank1_fixed_points_match_bisection(void **state) {
    (void)state;
    enum { N = 500 };
    /* below the critical overlap 1: one stable point at 0; above: 0 unstable and two stable
     * symmetric points (including just above, 1.1, where they are close to 0) */
    const double overlaps[] = {0.5, 0.9, 1.1, 1.5, 2.0, 3.0};
    for (size_t o = 0; o < sizeof overlaps / sizeof *overlaps; o++) {
        double s2 = overlaps[o];
        lrnn_lint_rnn *rnn = rank1_mn(N, s2);
        const double *m = view(rnn).m;
        double ref[16];
        int nref = roots_1d(m, N, ref);
        assert_int_equal(nref, s2 < 1.0 ? 1 : 3);

        lrnn_lint_latent *lat = NULL;
        assert_int_equal(lrnn_lint_latent_create(rnn, NULL, &lat), LRNN_OK);
        assert_int_equal(lrnn_lint_latent_rank(lat), 1);
        lrnn_lint_fixed_points fp;
        assert_int_equal(lrnn_lint_latent_fixed_points(lat, NULL, &fp), LRNN_OK);
        assert_int_equal(fp.count, (size_t)nref);
        for (int k = 0; k < nref; k++) {
            /* kappa = G c with G = <m^2> = sigma^2; bisection to 1e-14 and Newton to 1e-10 in
             * the flow leave both within 1e-9 of the true root (|f'| >= 0.05 at these roots) */
            double c = ref[k], d;
            f1d(m, N, c, &d);
            assert_true(fabs(d) > 0.05);
            assert_true(fabs(fp.kappa[k] - s2 * c) < 1e-9);
            /* the flow vanishes there */
            assert_true(fp.residual[k] < 1e-9);
            double dk;
            lrnn_lint_latent_flow(lat, &fp.kappa[k], &dk);
            assert_true(fabs(dk) < 1e-9);
            /* stability from the sign of the 1-D derivative; the pseudo-Jacobian's eigenvalue
             * is <m^2 tanh'(m c)> = 1 + f'(c) */
            assert_int_equal(fp.stable[k], d < 0.0);
            assert_true(fabs(fp.eig_re[k] - (1.0 + d)) < 1e-10);
            assert_true(fp.eig_im[k] == 0.0);
        }
        if (nref == 3) assert_false(fp.stable[1]); /* the middle one, at 0 */
        lrnn_lint_fixed_points_free(&fp);
        lrnn_lint_latent_free(lat);
        lrnn_lint_free(rnn);
    }
}

/* A rank-R network with non-orthogonal m (m_2 partly along m_1), a bias and an input. */
static lrnn_lint_rnn *messy(int N, int R, uint64_t seed) {
    lrnn_lint_rnn *rnn = make_rnn(N, R, 2, seed);
    lrnn_lint_view v = view(rnn);
    lrnn_rng r;
    lrnn_rng_init(&r, seed, LRNN_RNG_INIT, 7, 0);
    for (int i = 0; i < N; i++) {
        for (int a = 1; a < R; a++)
            v.m[i * R + a] += 0.6 * v.m[i * R];
        for (int a = 0; a < R; a++) /* n partly along m: nontrivial recurrent dynamics */
            v.n[i * R + a] = 1.8 * v.m[i * R + a] + 0.5 * v.n[i * R + a];
        v.b[i] = 0.3 * lrnn_rng_normal(&r);
    }
    v.si[1] = 0.7;
    return rnn;
}

/* F(x) . m / N directly in N dimensions: F = -x + m n^T tanh(x + b) / N + W_in^T u. */
static void direct_flow(lrnn_lint_rnn *rnn, const double *u, const double *x, double *out) {
    const lrnn_lint_config *c = lrnn_lint_config_of(rnn);
    int N = c->units, R = c->rank, U = c->inputs;
    lrnn_lint_view v = view(rnn);
    double *F = malloc(N * sizeof *F), nr[8] = {0};
    for (int a = 0; a < R; a++)
        for (int i = 0; i < N; i++)
            nr[a] += v.n[i * R + a] * tanh(x[i] + v.b[i]) / N;
    for (int i = 0; i < N; i++) {
        F[i] = -x[i];
        for (int a = 0; a < R; a++)
            F[i] += v.m[i * R + a] * nr[a];
        for (int k = 0; k < U; k++)
            F[i] += u[k] * v.si[k] * v.wi[k * N + i];
    }
    for (int a = 0; a < R; a++) {
        out[a] = 0.0;
        for (int i = 0; i < N; i++)
            out[a] += F[i] * v.m[i * R + a] / N;
    }
    free(F);
}

static void test_coordinates_flow_and_jacobian(void **state) {
    (void)state;
    enum { N = 300 };
    const double u[2] = {0.8, -0.5};
    for (int R = 2; R <= 3; R++) {
        lrnn_lint_rnn *rnn = messy(N, R, 40 + R);
        lrnn_lint_latent *lat = NULL;
        assert_int_equal(lrnn_lint_latent_create(rnn, u, &lat), LRNN_OK);
        double kap[3] = {0.4, -0.7, 0.25}, x[N], back[3], fl[3], fd[3];
        lrnn_lint_latent_state(lat, kap, x);
        /* x(kappa) . m / N = kappa for non-orthogonal m (1e-12: sums of N rounded terms) */
        assert_int_equal(lrnn_lint_kappa(rnn, x, 1, back), LRNN_OK);
        for (int a = 0; a < R; a++)
            assert_true(fabs(back[a] - kap[a]) < 1e-12);
        /* flow = F(x) . m / N computed in N dimensions */
        lrnn_lint_latent_flow(lat, kap, fl);
        direct_flow(rnn, u, x, fd);
        for (int a = 0; a < R; a++)
            assert_true(fabs(fl[a] - fd[a]) < 1e-12 * (1.0 + fabs(fd[a])));
        /* Jacobian against central differences, h = 1e-5: truncation h^2 |F'''| ~ 1e-10 and
         * rounding 1e-16 / h ~ 1e-11, so 1e-7 is a safe bound that a wrong term fails by far */
        double J[9], P[9], plus[3], minus[3];
        lrnn_lint_latent_jacobian(lat, kap, J);
        for (int b = 0; b < R; b++) {
            double k2[3] = {kap[0], kap[1], kap[2]};
            const double h = 1e-5;
            k2[b] = kap[b] + h;
            lrnn_lint_latent_flow(lat, k2, plus);
            k2[b] = kap[b] - h;
            lrnn_lint_latent_flow(lat, k2, minus);
            for (int a = 0; a < R; a++) {
                double num = (plus[a] - minus[a]) / (2 * h);
                if (fabs(J[a * R + b] - num) > 1e-7)
                    fail_msg("R %d: J[%d][%d] = %g, finite differences %g", R, a, b, J[a * R + b],
                             num);
            }
        }
        /* trace J = trace P - R: the eigenvalues of J are -1 + those of P */
        lrnn_lint_latent_pseudo_jacobian(lat, kap, P);
        double trJ = 0.0, trP = 0.0;
        for (int a = 0; a < R; a++)
            trJ += J[a * R + a], trP += P[a * R + a];
        assert_true(fabs(trJ - (trP - R)) < 1e-12);
        lrnn_lint_latent_free(lat);
        lrnn_lint_free(rnn);
    }
}

/* Fixed points of a rank-2 network with an input against the network itself: started at a
 * stable fixed point, lrnn_lint_simulate (Euler steps of the same F, constant input) stays there;
 * started near it, it converges to it. */
static void test_fixed_points_against_simulation(void **state) {
    (void)state;
    enum { N = 200, R = 2, T = 400 };
    const double u[2] = {0.3, 0.2};
    lrnn_lint_rnn *rnn = messy(N, R, 9);
    /* the simulation's first step uses r_0 = phi(x_0) without bias (lint.h), so b = 0 here */
    memset(view(rnn).b, 0, N * sizeof(double));
    lrnn_lint_latent *lat = NULL;
    assert_int_equal(lrnn_lint_latent_create(rnn, u, &lat), LRNN_OK);
    lrnn_lint_fixed_points fp;
    assert_int_equal(lrnn_lint_latent_fixed_points(lat, NULL, &fp), LRNN_OK);
    assert_true(fp.count >= 1);
    size_t stable = 0;
    double *inputs = malloc(T * 2 * sizeof *inputs), *states = malloc((T + 1) * N * sizeof *states);
    for (int t = 0; t < T; t++)
        inputs[2 * t] = u[0], inputs[2 * t + 1] = u[1];
    for (size_t k = 0; k < fp.count; k++) {
        assert_true(fp.residual[k] < 1e-9);
        double x0[N], kap[R];
        lrnn_lint_latent_state(lat, fp.kappa + k * R, x0);
        assert_int_equal(
            lrnn_lint_simulate(rnn, inputs, x0, 1, T, (lrnn_lint_noise){0, 0}, states, NULL),
            LRNN_OK);
        if (!fp.stable[k]) continue;
        stable++;
        /* an exact fixed point of the flow is one of the Euler map; it stays (rounding only) */
        assert_int_equal(lrnn_lint_kappa(rnn, states + (size_t)T * N, 1, kap), LRNN_OK);
        for (int a = 0; a < R; a++)
            assert_true(fabs(kap[a] - fp.kappa[k * R + a]) < 1e-8);
        /* a perturbation (0.05 in kappa, plus off-plane) decays: 400 steps of alpha = 0.2 are
         * 80 time constants, far longer than the slowest stable rate here */
        for (int i = 0; i < N; i++)
            x0[i] += 0.05 * sin(3.0 * i);
        assert_int_equal(
            lrnn_lint_simulate(rnn, inputs, x0, 1, T, (lrnn_lint_noise){0, 0}, states, NULL),
            LRNN_OK);
        assert_int_equal(lrnn_lint_kappa(rnn, states + (size_t)T * N, 1, kap), LRNN_OK);
        for (int a = 0; a < R; a++)
            assert_true(fabs(kap[a] - fp.kappa[k * R + a]) < 1e-4);
    }
    assert_true(stable >= 1);
    free(inputs), free(states);
    lrnn_lint_fixed_points_free(&fp);
    lrnn_lint_latent_free(lat);
    lrnn_lint_free(rnn);
}

static void test_seed_box_and_errors(void **state) {
    (void)state;
    lrnn_lint_rnn *rnn = rank1_mn(200, 2.0);
    lrnn_lint_latent *lat = NULL;
    assert_int_equal(lrnn_lint_latent_create(rnn, NULL, &lat), LRNN_OK);
    /* a box holding only the positive side finds 0 (the edge) and the positive point */
    lrnn_lint_fp_params p = lrnn_lint_fp_default_params();
    double lo = 0.0, hi = 10.0;
    p.lo = &lo, p.hi = &hi, p.seeds_per_dim = 5;
    lrnn_lint_fixed_points fp;
    assert_int_equal(lrnn_lint_latent_fixed_points(lat, &p, &fp), LRNN_OK);
    assert_true(fp.count >= 1 && fp.count <= 2);
    assert_true(fp.kappa[fp.count - 1] > 0.1);
    lrnn_lint_fixed_points_free(&fp);
    p.hi = NULL;
    assert_int_equal(lrnn_lint_latent_fixed_points(lat, &p, &fp), LRNN_ERR_ARG);
    p = lrnn_lint_fp_default_params();
    p.tol = 0;
    assert_int_equal(lrnn_lint_latent_fixed_points(lat, &p, &fp), LRNN_ERR_ARG);
    lrnn_lint_latent_free(lat);
    /* non-finite input */
    double bad[1] = {NAN};
    assert_int_equal(lrnn_lint_latent_create(rnn, bad, &lat), LRNN_ERR_ARG);
    assert_null(lat);
    lrnn_lint_free(rnn);

    /* m2 = 2 m1: no plane */
    rnn = make_rnn(50, 2, 1, 5);
    lrnn_lint_view v = view(rnn);
    for (int i = 0; i < 50; i++)
        v.m[2 * i + 1] = 2.0 * v.m[2 * i];
    assert_int_equal(lrnn_lint_latent_create(rnn, NULL, &lat), LRNN_ERR_NUMERIC);
    assert_non_null(strstr(lrnn_last_error(), "linearly dependent"));
    lrnn_lint_free(rnn);

    /* full rank: no m */
    lrnn_lint_config c = lrnn_lint_default_config(LRNN_LINT_FULL_RANK);
    c.units = 20;
    assert_int_equal(lrnn_lint_create(&c, &rnn), LRNN_OK);
    assert_int_equal(lrnn_lint_latent_create(rnn, NULL, &lat), LRNN_ERR_ARG);
    assert_non_null(strstr(lrnn_last_error(), "full-rank"));
    double x[20] = {0}, k[1];
    assert_int_equal(lrnn_lint_kappa(rnn, x, 1, k), LRNN_ERR_ARG);
    lrnn_lint_free(rnn);
}

/* N = 20000, rank 2: the whole fixed-point search (121 seeds) in well under a few seconds on
 * one core, since every evaluation is O(N R^2) and no N x N matrix exists. */
static void test_large_network(void **state) {
    (void)state;
    enum { N = 20000 };
    lrnn_lint_rnn *rnn = messy(N, 2, 77);
    lrnn_lint_latent *lat = NULL;
    const double u[2] = {0.1, 0.0};
    clock_t t0 = clock();
    assert_int_equal(lrnn_lint_latent_create(rnn, u, &lat), LRNN_OK);
    lrnn_lint_fixed_points fp;
    assert_int_equal(lrnn_lint_latent_fixed_points(lat, NULL, &fp), LRNN_OK);
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    printf("N = %d, rank 2: %zu fixed points in %.2f s\n", N, fp.count, secs);
    assert_true(fp.count >= 1);
    for (size_t k = 0; k < fp.count; k++)
        assert_true(fp.residual[k] < 1e-8);
    assert_true(secs < 8.0);
    lrnn_lint_fixed_points_free(&fp);
    lrnn_lint_latent_free(lat);
    lrnn_lint_free(rnn);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rank1_fixed_points_match_bisection),
        cmocka_unit_test(test_coordinates_flow_and_jacobian),
        cmocka_unit_test(test_fixed_points_against_simulation),
        cmocka_unit_test(test_seed_box_and_errors),
        cmocka_unit_test(test_large_network),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
