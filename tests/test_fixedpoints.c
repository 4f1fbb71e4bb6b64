/* Fixed points, cycles and stability (spec 7): the analytic method against brute force over all
 * activation patterns on thousands of random networks (including degenerate ones), hand-built
 * networks with known fixed points, SCYFI on constructed cycles, Newton on tanh maps. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lrnn/fixedpoints.h"
#include "lrnn/rng.h"

#ifdef _OPENMP
#include <omp.h>
#endif

enum { MAXN = 14, MAXR = 3 };

typedef struct net {
    int R, N;
    lrnn_activation act;
    double m[MAXN * MAXR], n[MAXR * MAXN], h[MAXN], a[MAXR], b[MAXN];
} net;

static lrnn_latent_map make_map(const net *w) {
    lrnn_latent_map map;
    assert_int_equal(
        lrnn_latent_map_from_arrays(w->R, w->N, w->act, w->m, w->n, w->h, w->a, w->b, &map),
        LRNN_OK);
    return map;
}

static lrnn_fp_result analytic(const lrnn_latent_map *map, int threads) {
    lrnn_fp_params p = lrnn_fp_default_params();
    p.method = LRNN_FP_ANALYTIC;
    p.threads = threads;
    lrnn_fp_result res;
    lrnn_status s = lrnn_fp_find(map, &p, &res);
    if (s) fail_msg("analytic: %s", lrnn_last_error());
    return res;
}

/* ---- brute force: every combination of levels, the same exact per-piece solve ---- */

typedef struct bf_point {
    uint8_t level[MAXN];
    double z[MAXR];
    int kind; /* 1 exact, 2 on a kink up to rounding */
} bf_point;

static int brute_force(const lrnn_latent_map *map, bf_point *out, int cap) {
    int N = map->N, levels = map->activation == LRNN_ACT_RELU ? 2 : 3, count = 0;
    uint8_t lv[MAXN] = {0};
    for (;;) {
        double z[MAXR];
        int rc = lrnn_fp_solve_piece(map, lv, z);
        if (rc >= 1) {
            assert_true(count < cap);
            out[count].kind = rc;
            memset(out[count].level, 0, MAXN);
            memcpy(out[count].level, lv, (size_t)N);
            memcpy(out[count].z, z, sizeof z);
            count++;
        }
        int i = 0;
        while (i < N && lv[i] == levels - 1)
            lv[i++] = 0;
        if (i == N) break;
        lv[i]++;
    }
    return count;
}

static int compare_bf(const void *pa, const void *pb) {
    return memcmp(((const bf_point *)pa)->level, ((const bf_point *)pb)->level, MAXN);
}

static int close_points(int R, const double *x, const double *y) {
    double scale = 1.0;
    for (int r = 0; r < R; r++)
        scale = fmax(scale, fmax(fabs(x[r]), fabs(y[r])));
    for (int r = 0; r < R; r++)
        if (!(fabs(x[r] - y[r]) <= 1e-9 * scale)) return 0;
    return 1;
}

/* One point per cluster of brute-force solutions (a fixed point on a kink solves the pieces
 * on both sides): in pattern order, exact solutions preferred. Returns the new count. */
static int cluster_points(bf_point *bf, int count, int R) {
    qsort(bf, (size_t)count, sizeof bf[0], compare_bf);
    int kept = 0;
    for (int i = 0; i < count; i++) {
        int k = 0;
        while (k < kept && !close_points(R, bf[k].z, bf[i].z))
            k++;
        if (k == kept)
            bf[kept++] = bf[i];
        else if (bf[k].kind == 2 && bf[i].kind == 1)
            bf[k] = bf[i];
    }
    return kept;
}

static double binom(int n, int k) {
    if (k < 0 || k > n) return 0.0;
    double v = 1.0;
    for (int i = 1; i <= k; i++)
        v = v * (n - k + i) / i;
    return v;
}

/* Random network of variant v:
 *   0 generic            1 h = 0 (relu kinks all through the origin)
 *   2 a duplicated unit  3 a unit with m_i = 0
 *   4 rank-deficient m   5 weights and thresholds in {-1, 0, 1} (many exact coincidences)
 *   6 generic with input currents b   7 R > N (few units) */
static void random_net(lrnn_rng *g, net *w, lrnn_activation act, int R, int variant) {
    memset(w, 0, sizeof *w);
    int maxn = act == LRNN_ACT_RELU ? 14 : 9;
    w->act = act, w->R = R;
    w->N = 1 + (int)lrnn_rng_below(g, (uint64_t)maxn);
    if (variant == 7) w->N = 1 + (int)lrnn_rng_below(g, (uint64_t)R);
    int N = w->N;
    /* n = (kappa m^T + noise) / sqrt(N): positive feedback along m makes multistability
     * common, as in trained networks */
    double kappa = 8.0 * lrnn_rng_uniform(g), noise = 0.5 + 2.5 * lrnn_rng_uniform(g);
    for (int i = 0; i < N * R; i++)
        w->m[i] = lrnn_rng_normal(g);
    for (int r = 0; r < R; r++)
        for (int i = 0; i < N; i++)
            w->n[r * N + i] = (kappa * w->m[i * R + r] + noise * lrnn_rng_normal(g)) / sqrt(N);
    for (int i = 0; i < N; i++)
        w->h[i] = lrnn_rng_normal(g);
    for (int r = 0; r < R; r++)
        w->a[r] = 0.1 + 0.85 * lrnn_rng_uniform(g);
    switch (variant) {
    case 1:
        for (int i = 0; i < N; i++)
            w->h[i] = 0.0;
        break;
    case 2:
        if (N >= 2) {
            int i = (int)lrnn_rng_below(g, (uint64_t)N), j = (i + 1) % N;
            memcpy(w->m + j * R, w->m + i * R, (size_t)R * sizeof(double));
            w->h[j] = w->h[i];
        }
        break;
    case 3: {
        int i = (int)lrnn_rng_below(g, (uint64_t)N);
        for (int c = 0; c < R; c++)
            w->m[i * R + c] = 0.0;
        break;
    }
    case 4:
        for (int i = 0; i < N; i++)
            w->m[i * R + R - 1] = R > 1 ? 0.5 * w->m[i * R] : 0.0;
        break;
    case 5:
        for (int i = 0; i < N * R; i++) {
            w->m[i] = (double)lrnn_rng_below(g, 3) - 1.0;
            w->n[i] = ((double)lrnn_rng_below(g, 5) - 2.0) * 0.5;
        }
        for (int i = 0; i < N; i++)
            w->h[i] = (double)lrnn_rng_below(g, 3) - 1.0;
        for (int r = 0; r < R; r++)
            w->a[r] = 0.5;
        break;
    case 6:
        for (int i = 0; i < N; i++)
            w->b[i] = 0.7 * lrnn_rng_normal(g);
        break;
    default:
        break;
    }
}

/* Analytic = brute force, point for point (same pattern, bitwise-equal z). Returns the number
 * of fixed points; adds to *regions_ok whether the region count matched Zaslavsky's formula
 * for generic networks. */
static int check_against_brute_force(const net *w, int variant, int *regions_checked) {
    lrnn_latent_map map = make_map(w);
    static bf_point bf[20000];
    int count = cluster_points(bf, brute_force(&map, bf, 20000), w->R);
    lrnn_fp_result res = analytic(&map, 1);
    if ((int)res.count != count) {
        fprintf(stderr, "variant %d R=%d N=%d %s: analytic %zu, brute force %d\n", variant, w->R,
                w->N, lrnn_activation_name(w->act), res.count, count);
        for (int i = 0; i < count; i++) {
            fprintf(stderr, "  bf z=");
            for (int r = 0; r < w->R; r++)
                fprintf(stderr, " %.17g", bf[i].z[r]);
            fprintf(stderr, "\n");
        }
        const char *names[] = {"m", "n", "h", "a", "b"};
        const double *arrs[] = {w->m, w->n, w->h, w->a, w->b};
        int sizes[] = {w->N * w->R, w->N * w->R, w->N, w->R, w->N};
        for (int k = 0; k < 5; k++) {
            fprintf(stderr, "  %s = {", names[k]);
            for (int i = 0; i < sizes[k]; i++)
                fprintf(stderr, "%.17g, ", arrs[k][i]);
            fprintf(stderr, "}\n");
        }
        for (size_t i = 0; i < res.count; i++) {
            fprintf(stderr, "  an z=");
            for (int r = 0; r < w->R; r++)
                fprintf(stderr, " %.17g", res.points[i].z[r]);
            fprintf(stderr, "\n");
        }
    }
    assert_int_equal(res.count, count);
    assert_true(res.exhaustive);
    int generic = variant == 0 || variant == 6;
    for (size_t i = 0; i < res.count; i++) {
        int k = 0;
        while (k < count && !close_points(w->R, bf[k].z, res.points[i].z))
            k++;
        if (k == count)
            fail_msg("variant %d: analytic point %zu not found by brute force", variant, i);
        /* generic networks: the very same pattern and bitwise the same z */
        if (generic) {
            assert_int_equal(bf[k].kind, 1);
            assert_memory_equal(bf[k].level, res.points[i].level, (size_t)w->N);
            assert_memory_equal(bf[k].z, res.points[i].z, (size_t)w->R * sizeof(double));
        }
        assert_true(res.points[i].residual <= 1e-9 * (1.0 + fabs(res.points[i].z[0])));
    }
    if (variant == 0 || variant == 6) {
        /* generic: regions = sum_{i <= r} C(N, i) k^i, k = 1 (relu) or 2 (clipped parallel
         * pairs), r = min(N, R) */
        int r = w->N < w->R ? w->N : w->R, k = w->act == LRNN_ACT_RELU ? 1 : 2;
        double expect = 0.0;
        for (int i = 0; i <= r; i++)
            expect += binom(w->N, i) * pow(k, i);
        assert_int_equal(res.stats.ambiguous, 0);
        assert_true((double)res.stats.regions == expect);
        (*regions_checked)++;
    }
    lrnn_fp_result_free(&res);
    lrnn_latent_map_free(&map);
    return count;
}

static void brute_force_sweep(lrnn_activation act, int R, int networks) {
    lrnn_rng g;
    lrnn_rng_init(&g, 2024 + (uint64_t)R, LRNN_RNG_SAMPLE, (uint64_t)act, 0);
    int total = 0, multi = 0, regions_checked = 0;
    for (int k = 0; k < networks; k++) {
        net w;
        int variant = k % 8;
        random_net(&g, &w, act, R, variant);
        int c = check_against_brute_force(&w, variant, &regions_checked);
        total += c;
        multi += c >= 3;
    }
    fprintf(stderr, "%s R=%d: %d networks, %d fixed points, %d with >= 3, %d region counts\n",
            lrnn_activation_name(act), R, networks, total, multi, regions_checked);
    /* the sweep is not vacuous: many fixed points, and at least 1% multistable networks */
    assert_true(total > networks / 2);
    assert_true(multi >= networks / 100);

    assert_true(regions_checked >= networks / 4);
}

static void relu_rank1(void **state) {
    (void)state;
    brute_force_sweep(LRNN_ACT_RELU, 1, 400);
}
static void relu_rank2(void **state) {
    (void)state;
    brute_force_sweep(LRNN_ACT_RELU, 2, 400);
}
static void relu_rank3(void **state) {
    (void)state;
    brute_force_sweep(LRNN_ACT_RELU, 3, 400);
}
static void clipped_rank1(void **state) {
    (void)state;
    brute_force_sweep(LRNN_ACT_CLIPPED_RELU, 1, 400);
}
static void clipped_rank2(void **state) {
    (void)state;
    brute_force_sweep(LRNN_ACT_CLIPPED_RELU, 2, 400);
}
static void clipped_rank3(void **state) {
    (void)state;
    brute_force_sweep(LRNN_ACT_CLIPPED_RELU, 3, 400);
}

/* ---- hand-built networks ---- */

static void expect_point(const lrnn_fp *f, const double *z, int R, lrnn_fp_type type,
                         const double *eig) {
    for (int r = 0; r < R; r++)
        assert_float_equal(f->z[r], z[r], 1e-12);
    assert_int_equal(f->type, type);
    for (int r = 0; r < R; r++) {
        assert_float_equal(f->eig_re[r], eig[r], 1e-12);
        assert_float_equal(f->eig_im[r], 0.0, 1e-12);
    }
}

/* z' = 0.5 z + relu(z - 1) - relu(z - 3): slope 0.5 below 1 (fixed point 0), 1.5 between
 * (z = 1.5 z - 1: unstable at 2), 0.5 above 3 (z = 0.5 z + 2: stable at 4). The same map as a
 * clipped relu with h = 2 and input current -3: clip(z - 1, 0, 2). */
static void bistable_switch(void **state) {
    (void)state;
    const double m[] = {1, 1}, n[] = {1, -1}, h[] = {1, 3}, a[] = {0.5};
    lrnn_latent_map maps[2];
    assert_int_equal(lrnn_latent_map_from_arrays(1, 2, LRNN_ACT_RELU, m, n, h, a, NULL, &maps[0]),
                     LRNN_OK);
    const double mc[] = {1}, nc[] = {1}, hc[] = {2}, bc[] = {-3};
    assert_int_equal(
        lrnn_latent_map_from_arrays(1, 1, LRNN_ACT_CLIPPED_RELU, mc, nc, hc, a, bc, &maps[1]),
        LRNN_OK);
    for (int k = 0; k < 2; k++) {
        lrnn_fp_result res = analytic(&maps[k], 0);
        assert_int_equal(res.count, 3);
        const double z0 = 0, z1 = 2, z2 = 4, lo = 0.5, mid = 1.5;
        expect_point(&res.points[0], &z0, 1, LRNN_FP_STABLE_NODE, &lo);
        expect_point(&res.points[1], &z1, 1, LRNN_FP_UNSTABLE_NODE, &mid);
        expect_point(&res.points[2], &z2, 1, LRNN_FP_STABLE_NODE, &lo);
        assert_int_equal(res.points[1].active, 1);
        assert_int_equal(res.points[0].active, 0);
        assert_true(res.exhaustive);
        lrnn_fp_result_free(&res);
        /* Newton from many starts finds the same three */
        lrnn_fp_params p = lrnn_fp_default_params();
        p.method = LRNN_FP_NEWTON;
        assert_int_equal(lrnn_fp_find(&maps[k], &p, &res), LRNN_OK);
        assert_int_equal(res.count, 3);
        assert_false(res.exhaustive);
        assert_float_equal(res.points[1].z[0], 2.0, 1e-12);
        lrnn_fp_result_free(&res);
        lrnn_latent_map_free(&maps[k]);
    }
}

/* Rank-2 ring of K = 6 clipped-relu units, m_i = u_i = (cos, sin)(i pi / 3), n_i = 2 u_i,
 * h = 0.5, input current -1.75 on every unit (phi = clip(u_i.z - 1.25, 0, 0.5)), a = 0.5.
 * With no unit on its ramp the map is z' = 0.5 z + sum_{saturated} u_i, so the stable points
 * are z = 2 sum_{i in B} u_i for a block B of consecutive saturated units: the origin (no
 * unit), 6 at radius 2 along u_k (one unit), 6 at radius 2 sqrt(3) on the bisectors (two),
 * 6 at radius 4 along u_k (three: u_{k-1} + u_k + u_{k+1} = 2 u_k), all with multipliers
 * (0.5, 0.5). Between them: unstable nodes with two units on their ramps, e.g. radius sqrt(3)
 * on the bisectors (multipliers 0.5 + 4 cos^2 30 = 3.5, 0.5 + 4 sin^2 30 = 1.5), and
 * saddles with one ramp unit (2.5, 0.5). Brute force over the 3^6 patterns confirms the list. */
static void ring_of_stable_points(void **state) {
    (void)state;
    enum { K = 6 };
    net w = {.R = 2, .N = K, .act = LRNN_ACT_CLIPPED_RELU, .a = {0.5, 0.5}};
    for (int i = 0; i < K; i++) {
        double th = M_PI * i / 3.0;
        w.m[2 * i] = cos(th), w.m[2 * i + 1] = sin(th);
        w.n[i] = 2 * cos(th), w.n[K + i] = 2 * sin(th);
        w.h[i] = 0.5, w.b[i] = -1.75;
    }
    int checked = 0;
    assert_int_equal(check_against_brute_force(&w, 99, &checked), 61);
    lrnn_latent_map map = make_map(&w);
    lrnn_fp_result res = analytic(&map, 0);
    int stable[4] = {0}, unstable_bisector = 0, others = 0;
    for (size_t i = 0; i < res.count; i++) {
        const lrnn_fp *f = &res.points[i];
        double rad = hypot(f->z[0], f->z[1]), ang = atan2(f->z[1], f->z[0]);
        double sector = fmod(ang / (M_PI / 6.0) + 24.0, 2.0); /* 0 on u_k, 1 on a bisector */
        int on_axis = fabs(sector) < 1e-9 || fabs(sector - 2.0) < 1e-9;
        int ramps = 0;
        for (int k = 0; k < K; k++)
            ramps += f->level[k] == 1;
        if (f->type == LRNN_FP_STABLE_NODE) {
            assert_int_equal(ramps, 0);
            assert_float_equal(f->eig_re[0], 0.5, 1e-12);
            assert_float_equal(f->eig_re[1], 0.5, 1e-12);
            if (rad < 1e-12)
                stable[0]++;
            else if (fabs(rad - 2.0) < 1e-12 && on_axis)
                stable[1]++;
            else if (fabs(rad - 2.0 * sqrt(3.0)) < 1e-12 && fabs(sector - 1.0) < 1e-9)
                stable[2]++;
            else if (fabs(rad - 4.0) < 1e-12 && on_axis)
                stable[3]++;
            else
                fail_msg("unexpected stable point (%g, %g)", f->z[0], f->z[1]);
        } else {
            assert_true(ramps >= 1); /* every other fixed point sits on a ramp: unstable */
            assert_true(f->type == LRNN_FP_UNSTABLE_NODE || f->type == LRNN_FP_SADDLE);
            assert_int_equal(f->type == LRNN_FP_SADDLE, ramps == 1);
            if (fabs(rad - sqrt(3.0)) < 1e-12) {
                unstable_bisector++;
                assert_float_equal(sector, 1.0, 1e-9);
                assert_float_equal(f->eig_re[0], 3.5, 1e-12);
                assert_float_equal(f->eig_re[1], 1.5, 1e-12);
            } else {
                others++;
            }
        }
    }
    assert_int_equal(stable[0], 1);
    assert_int_equal(stable[1], 6);
    assert_int_equal(stable[2], 6);
    assert_int_equal(stable[3], 6);
    assert_int_equal(unstable_bisector, 6);
    assert_int_equal(others, 61 - 19 - 6);
    lrnn_fp_result_free(&res);

    /* constrained SCYFI (vertex-adjacent patterns) with a generous budget finds them all */
    lrnn_fp_params p = lrnn_fp_default_params();
    p.method = LRNN_FP_SCYFI;
    p.scyfi_constrained = true;
    p.scyfi_budget = 20000;
    assert_int_equal(lrnn_fp_find(&map, &p, &res), LRNN_OK);
    assert_int_equal(res.count, 61);
    lrnn_fp_result_free(&res);
    lrnn_latent_map_free(&map);
}

/* The clipped-relu kinks at x = 0 all pass through z = 0 when there is no input: a fully
 * degenerate central arrangement. Against brute force for a larger N than the sweep. */
static void clipped_relu_central_kinks(void **state) {
    (void)state;
    lrnn_rng g;
    lrnn_rng_init(&g, 77, LRNN_RNG_SAMPLE, 0, 0);
    int checked = 0;
    for (int k = 0; k < 6; k++) {
        net w;
        random_net(&g, &w, LRNN_ACT_CLIPPED_RELU, 2, 0);
        w.N = 10;
        for (int i = 0; i < w.N * 2; i++)
            w.m[i] = lrnn_rng_normal(&g), w.n[i] = 0.8 * lrnn_rng_normal(&g);
        for (int i = 0; i < w.N; i++)
            w.h[i] = fabs(lrnn_rng_normal(&g));
        check_against_brute_force(&w, 99, &checked);
    }
}

/* z' = 0.5 z + 0.5 + relu(z - 1) (the 0.5 from a unit with m = 0 that is always on): the
 * fixed point z = 1 sits exactly on the kink and solves both pieces; it is listed once, on
 * its lower piece (a unit on a kink is off), with the left derivative's multiplier 0.5. */
static void fixed_point_on_a_kink(void **state) {
    (void)state;
    const double m[] = {1, 0}, n[] = {1, 1}, h[] = {1, -0.5}, a[] = {0.5};
    lrnn_latent_map map;
    assert_int_equal(lrnn_latent_map_from_arrays(1, 2, LRNN_ACT_RELU, m, n, h, a, NULL, &map),
                     LRNN_OK);
    const uint8_t off[] = {0, 1}, on[] = {1, 1};
    double z;
    assert_int_equal(lrnn_fp_solve_piece(&map, off, &z), 1);
    assert_float_equal(z, 1.0, 0.0);
    assert_int_equal(lrnn_fp_solve_piece(&map, on, &z), 2); /* on the kink: up to rounding */
    lrnn_fp_result res = analytic(&map, 1);
    assert_int_equal(res.count, 1);
    assert_float_equal(res.points[0].z[0], 1.0, 0.0);
    assert_int_equal(res.points[0].level[0], 0);
    assert_float_equal(res.points[0].eig_re[0], 0.5, 1e-15);
    lrnn_fp_result_free(&res);
    lrnn_latent_map_free(&map);
}

/* Same fixed points, same order, same statistics for 1 and 2 threads. */
static void thread_count_invariance(void **state) {
    (void)state;
    lrnn_rng g;
    lrnn_rng_init(&g, 5, LRNN_RNG_SAMPLE, 1, 0);
    const struct {
        lrnn_activation act;
        int R, N;
    } cases[] = {{LRNN_ACT_CLIPPED_RELU, 2, 80}, {LRNN_ACT_RELU, 3, 40}, {LRNN_ACT_RELU, 2, 60}};
    for (int c = 0; c < 3; c++) {
        int R = cases[c].R, N = cases[c].N;
        double *m = malloc((size_t)(N * R) * sizeof *m), *n = malloc((size_t)(N * R) * sizeof *n);
        double *h = malloc((size_t)N * sizeof *h), a[3] = {0.9, 0.8, 0.7};
        for (int i = 0; i < N * R; i++)
            m[i] = lrnn_rng_normal(&g);
        for (int r = 0; r < R; r++)
            for (int i = 0; i < N; i++)
                n[r * N + i] = (4.0 * m[i * R + r] + 2.0 * lrnn_rng_normal(&g)) / sqrt(N);
        for (int i = 0; i < N; i++)
            h[i] = lrnn_rng_normal(&g);
        lrnn_latent_map map;
        assert_int_equal(lrnn_latent_map_from_arrays(R, N, cases[c].act, m, n, h, a, NULL, &map),
                         LRNN_OK);
        lrnn_fp_result one = analytic(&map, 1), two = analytic(&map, 2);
        assert_true(one.count > 0);
        assert_int_equal(one.count, two.count);
        assert_int_equal(one.stats.regions, two.stats.regions);
        assert_int_equal(one.stats.vertices, two.stats.vertices);
        assert_int_equal(one.stats.solves, two.stats.solves);
        for (size_t i = 0; i < one.count; i++) {
            assert_memory_equal(one.points[i].z, two.points[i].z, (size_t)R * sizeof(double));
            assert_memory_equal(one.points[i].level, two.points[i].level, (size_t)N);
        }
        lrnn_fp_result_free(&one), lrnn_fp_result_free(&two);
        lrnn_latent_map_free(&map);
        free(m), free(n), free(h);
    }
}

/* Larger networks, beyond brute force: every point Newton or SCYFI finds is in the analytic
 * list, and the region count is Zaslavsky's for generic relu networks. Includes clipped relu
 * without input, whose N kinks at x = 0 all pass through z = 0. */
static void larger_networks_agree_with_search(void **state) {
    (void)state;
    lrnn_rng g;
    lrnn_rng_init(&g, 11, LRNN_RNG_SAMPLE, 2, 0);
    const struct {
        lrnn_activation act;
        int R, N;
        double input;
        int lattice; /* weights and thresholds on a lattice: many exact coincidences */
    } cases[] = {{LRNN_ACT_RELU, 2, 60, 0.0, 0},         {LRNN_ACT_RELU, 3, 40, 0.3, 0},
                 {LRNN_ACT_CLIPPED_RELU, 2, 60, 0.0, 0}, {LRNN_ACT_CLIPPED_RELU, 3, 40, 0.0, 0},
                 {LRNN_ACT_CLIPPED_RELU, 3, 30, 0.5, 0}, {LRNN_ACT_CLIPPED_RELU, 3, 30, 0.0, 1},
                 {LRNN_ACT_RELU, 2, 40, 0.0, 1}};
    int found_any[2] = {0, 0}; /* networks where Newton / SCYFI found at least one point */
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        int R = cases[c].R, N = cases[c].N;
        double *m = malloc((size_t)(N * R) * sizeof *m), *n = malloc((size_t)(N * R) * sizeof *n);
        double *h = malloc((size_t)N * sizeof *h), *b = malloc((size_t)N * sizeof *b);
        double a[3] = {0.8, 0.85, 0.9};
        for (int i = 0; i < N * R; i++)
            m[i] = lrnn_rng_normal(&g);
        for (int r = 0; r < R; r++)
            for (int i = 0; i < N; i++)
                n[r * N + i] = (6.0 * m[i * R + r] + 2.0 * lrnn_rng_normal(&g)) / sqrt(N);
        for (int i = 0; i < N; i++)
            h[i] = lrnn_rng_normal(&g), b[i] = cases[c].input * lrnn_rng_normal(&g);
        if (cases[c].lattice) {
            for (int i = 0; i < N * R; i++) {
                m[i] = (double)lrnn_rng_below(&g, 3) - 1.0;
                n[i] = ((double)lrnn_rng_below(&g, 5) - 2.0) * 0.25;
            }
            for (int i = 0; i < N; i++)
                h[i] = (double)lrnn_rng_below(&g, 3) - 1.0;
            a[0] = a[1] = a[2] = 0.8;
        }
        lrnn_latent_map map;
        assert_int_equal(lrnn_latent_map_from_arrays(R, N, cases[c].act, m, n, h, a, b, &map),
                         LRNN_OK);
        lrnn_fp_result all = analytic(&map, 0);
        assert_true(all.count >= 1 || cases[c].lattice);
        if (cases[c].act == LRNN_ACT_RELU && !cases[c].lattice) {
            double expect = 0.0;
            for (int i = 0; i <= R; i++)
                expect += binom(N, i);
            assert_true((double)all.stats.regions == expect);
        }
        lrnn_fp_params p = lrnn_fp_default_params();
        for (int method = 0; method < 2; method++) {
            p.method = method ? LRNN_FP_SCYFI : LRNN_FP_NEWTON;
            p.scyfi_constrained = true;
            p.scyfi_budget = 5000;
            lrnn_fp_result found;
            assert_int_equal(lrnn_fp_find(&map, &p, &found), LRNN_OK);
            found_any[method] += found.count >= 1;
            for (size_t i = 0; i < found.count; i++) {
                int hit = 0;
                for (size_t k = 0; k < all.count && !hit; k++) {
                    hit = 1;
                    for (int r = 0; r < R; r++)
                        hit &= fabs(found.points[i].z[r] - all.points[k].z[r]) <=
                               1e-8 * (1 + fabs(all.points[k].z[r]));
                }
                if (!hit)
                    fail_msg("case %zu: %s point %zu not in the analytic list", c,
                             method ? "scyfi" : "newton", i);
            }
            lrnn_fp_result_free(&found);
        }
        lrnn_fp_result_free(&all);
        lrnn_latent_map_free(&map);
        free(m), free(n), free(h), free(b);
    }
    /* Newton and SCYFI are searches, not enumerations: what they find must be in the analytic
     * list (above), but they may miss points within their budget, so finding at least one is
     * not required per network. Not vacuous: each finds points in most of the seven cases. */
    size_t ncases = sizeof cases / sizeof cases[0];
    fprintf(stderr, "searches found points in %d (newton) and %d (scyfi) of %zu networks\n",
            found_any[0], found_any[1], ncases);
    assert_true(2 * found_any[0] > (int)ncases && 2 * found_any[1] > (int)ncases);
}

/* ---- cycles ---- */

static lrnn_fp_result scyfi(const lrnn_latent_map *map, int order, uint64_t budget) {
    lrnn_fp_params p = lrnn_fp_default_params();
    p.method = LRNN_FP_SCYFI;
    p.max_order = order;
    p.scyfi_budget = budget;
    lrnn_fp_result res;
    if (lrnn_fp_find(map, &p, &res)) fail_msg("scyfi: %s", lrnn_last_error());
    return res;
}

static const lrnn_fp *find_order(const lrnn_fp_result *res, int order, int nth) {
    for (size_t i = 0; i < res->count; i++)
        if (res->points[i].order == order && nth-- == 0) return &res->points[i];
    return NULL;
}

/* z' = 2 P relu(z - 1) with P a cyclic permutation of the R latent dimensions (m = I, a = 0):
 * the single "hot" coordinate 2 moves on, 2 -> 2 (2 - 1) = 2, so (2, 0, .., 0) has period R;
 * the product of the pieces is 2^R e_1 e_1^T: Floquet multipliers 2^R, 0, ... */
static void permutation_net(int R, lrnn_latent_map *map) {
    double m[9] = {0}, n[9] = {0}, h[3] = {1, 1, 1}, a[3] = {0, 0, 0};
    for (int i = 0; i < R; i++) {
        m[i * R + i] = 1.0;
        n[((i + 1) % R) * R + i] = 2.0; /* unit i writes to dimension i + 1 */
    }
    assert_int_equal(lrnn_latent_map_from_arrays(R, R, LRNN_ACT_RELU, m, n, h, a, NULL, map),
                     LRNN_OK);
}

static void scyfi_two_cycle(void **state) {
    (void)state;
    lrnn_latent_map map;
    permutation_net(2, &map);
    lrnn_fp_result res = scyfi(&map, 2, 2000);
    /* fixed points (0,0) and (2,2); the 2-cycle (0,2) <-> (2,0) */
    const lrnn_fp *c = find_order(&res, 2, 0);
    assert_non_null(c);
    assert_null(find_order(&res, 2, 1));
    assert_float_equal(c->z[0], 0.0, 1e-12);
    assert_float_equal(c->z[1], 2.0, 1e-12);
    assert_float_equal(c->z[2], 2.0, 1e-12);
    assert_float_equal(c->z[3], 0.0, 1e-12);
    assert_float_equal(c->eig_re[0], 4.0, 1e-12);
    assert_float_equal(c->eig_re[1], 0.0, 1e-12);
    assert_int_equal(c->type, LRNN_FP_SADDLE);
    assert_non_null(find_order(&res, 1, 1));
    lrnn_fp_result_free(&res);
    lrnn_latent_map_free(&map);

    /* A stable 2-cycle of a rank-1 map: z' = 0.5 z + 2 relu(1 - z): z < 1 maps by 2 - 1.5 z
     * (unstable fixed point 0.8), z > 1 by 0.5 z; cycle p = 4/7 -> q = 8/7 -> p, Floquet
     * multiplier (-1.5)(0.5) = -0.75. */
    const double m1[] = {-1}, n1[] = {2}, h1[] = {-1}, a1[] = {0.5};
    assert_int_equal(lrnn_latent_map_from_arrays(1, 1, LRNN_ACT_RELU, m1, n1, h1, a1, NULL, &map),
                     LRNN_OK);
    res = scyfi(&map, 2, 1000);
    c = find_order(&res, 2, 0);
    assert_non_null(c);
    assert_float_equal(c->z[0], 4.0 / 7.0, 1e-12);
    assert_float_equal(c->z[1], 8.0 / 7.0, 1e-12);
    assert_float_equal(c->eig_re[0], -0.75, 1e-12);
    assert_int_equal(c->type, LRNN_FP_STABLE_NODE);
    const lrnn_fp *f = find_order(&res, 1, 0);
    assert_non_null(f);
    assert_float_equal(f->z[0], 0.8, 1e-12);
    assert_int_equal(f->type, LRNN_FP_UNSTABLE_NODE);
    assert_int_equal(res.count, 2);
    lrnn_fp_result_free(&res);
    lrnn_latent_map_free(&map);
}

static void scyfi_three_cycle(void **state) {
    (void)state;
    lrnn_latent_map map;
    permutation_net(3, &map);
    lrnn_fp_result res = scyfi(&map, 3, 20000);
    /* two 3-cycles: one hot coordinate (2,0,0) -> (0,2,0) -> (0,0,2) and two hot ones */
    int found_single = 0;
    for (int k = 0; k < 2; k++) {
        const lrnn_fp *c = find_order(&res, 3, k);
        assert_non_null(c);
        double sum = 0.0;
        for (int i = 0; i < 9; i++)
            sum += c->z[i];
        if (fabs(sum - 6.0) < 1e-9) {
            found_single = 1;
            const double expect[9] = {0, 0, 2, 2, 0, 0, 0, 2, 0}; /* from the smallest point */
            for (int i = 0; i < 9; i++)
                assert_float_equal(c->z[i], expect[i], 1e-12);
            assert_float_equal(c->eig_re[0], 8.0, 1e-12);
            assert_float_equal(c->radius, 8.0, 1e-12);
        }
        for (int i = 0; i < 3; i++) /* z_{i+1} = f(z_i) */
            assert_true(c->level[i * 3] + c->level[i * 3 + 1] + c->level[i * 3 + 2] >= 1);
    }
    assert_true(found_single);
    assert_null(find_order(&res, 3, 2));
    assert_null(find_order(&res, 2, 0)); /* no 2-cycles */
    lrnn_fp_result_free(&res);
    lrnn_latent_map_free(&map);
}

/* ---- tanh: Newton ---- */

static void newton_tanh(void **state) {
    (void)state;
    /* z' = 0.5 z + tanh(2 z): 0 (multiplier 2.5) and +-z* with 0.5 z* = tanh(2 z*) */
    const double m[] = {2}, n[] = {1}, h[] = {0}, a[] = {0.5};
    lrnn_latent_map map;
    assert_int_equal(lrnn_latent_map_from_arrays(1, 1, LRNN_ACT_TANH, m, n, h, a, NULL, &map),
                     LRNN_OK);
    lrnn_fp_params p = lrnn_fp_default_params();
    lrnn_fp_result res;
    assert_int_equal(lrnn_fp_find(&map, &p, &res), LRNN_OK);
    assert_int_equal(res.method, LRNN_FP_NEWTON);
    assert_false(res.exhaustive);
    assert_int_equal(res.count, 3);
    assert_float_equal(res.points[1].z[0], 0.0, 1e-12);
    assert_float_equal(res.points[1].eig_re[0], 2.5, 1e-12);
    assert_int_equal(res.points[1].type, LRNN_FP_UNSTABLE_NODE);
    double zs = res.points[2].z[0];
    assert_float_equal(res.points[0].z[0], -zs, 1e-12);
    assert_float_equal(0.5 * zs, tanh(2 * zs), 1e-13);
    assert_true(zs > 1.9 && zs < 2.0);
    double t = tanh(2 * zs);
    assert_float_equal(res.points[2].eig_re[0], 0.5 + 2 * (1 - t * t), 1e-12);
    assert_int_equal(res.points[2].type, LRNN_FP_STABLE_NODE);
    lrnn_fp_result_free(&res);

    /* analytic and scyfi refuse tanh with a clear message */
    p.method = LRNN_FP_ANALYTIC;
    assert_int_equal(lrnn_fp_find(&map, &p, &res), LRNN_ERR_ARG);
    assert_non_null(strstr(lrnn_last_error(), "newton"));
    p.method = LRNN_FP_SCYFI;
    assert_int_equal(lrnn_fp_find(&map, &p, &res), LRNN_ERR_ARG);
    lrnn_latent_map_free(&map);

    /* z' = -2 tanh(z): fixed point 0 (multiplier -2) and a 2-cycle +-p, p = 2 tanh(p), with
     * Floquet multiplier (2 sech^2 p)^2 */
    const double m2[] = {1}, n2[] = {-2}, a2[] = {0};
    assert_int_equal(lrnn_latent_map_from_arrays(1, 1, LRNN_ACT_TANH, m2, n2, h, a2, NULL, &map),
                     LRNN_OK);
    p = lrnn_fp_default_params();
    p.max_order = 2;
    assert_int_equal(lrnn_fp_find(&map, &p, &res), LRNN_OK);
    assert_int_equal(res.count, 2);
    assert_int_equal(res.points[0].order, 1);
    assert_float_equal(res.points[0].eig_re[0], -2.0, 1e-12);
    const lrnn_fp *c = &res.points[1];
    assert_int_equal(c->order, 2);
    double q = c->z[1];
    assert_float_equal(c->z[0], -q, 1e-10);
    assert_float_equal(q, 2 * tanh(q), 1e-10);
    double sech2 = 1 - tanh(q) * tanh(q);
    assert_float_equal(c->eig_re[0], 4 * sech2 * sech2, 1e-9);
    assert_int_equal(c->type, LRNN_FP_STABLE_NODE);
    lrnn_fp_result_free(&res);
    lrnn_latent_map_free(&map);
}

/* ---- model, classification, errors ---- */

static void map_from_model_with_input(void **state) {
    (void)state;
    lrnn_model_config c = lrnn_model_default_config();
    c.rank = 2, c.units = 30, c.channels = 4, c.inputs = 2;
    c.decay = LRNN_DECAY_PER_DIM;
    lrnn_model *model = NULL;
    assert_int_equal(lrnn_model_create(&c, &model), LRNN_OK);
    lrnn_param_view v = lrnn_model_view(model);
    for (int i = 0; i < 60; i++)
        v.n[i] *= 8.0; /* make it multistable */
    v.decay_param[1] = log(-log(0.7));
    const double u[2] = {0.3, -1.2};
    lrnn_latent_map map;
    assert_int_equal(lrnn_latent_map_from_model(model, u, &map), LRNN_OK);
    assert_float_equal(map.a[0], 0.9, 1e-12);
    assert_float_equal(map.a[1], 0.7, 1e-12);
    lrnn_fp_result res = analytic(&map, 0);
    assert_true(res.count >= 1);
    lrnn_model_derived d;
    assert_int_equal(lrnn_model_derived_alloc(model, &d), LRNN_OK);
    assert_int_equal(lrnn_model_derived_update(model, &d), LRNN_OK);
    for (size_t i = 0; i < res.count; i++) {
        double mu[2], work[30];
        lrnn_model_transition_mean(model, &d, 1, res.points[i].z, u, mu, work);
        assert_float_equal(mu[0], res.points[i].z[0], 1e-9 * (1 + fabs(mu[0])));
        assert_float_equal(mu[1], res.points[i].z[1], 1e-9 * (1 + fabs(mu[1])));
    }
    lrnn_model_derived_free(&d);
    lrnn_fp_result_free(&res);
    lrnn_latent_map_free(&map);
    lrnn_model_free(model);
}

static void classification(void **state) {
    (void)state;
    double rho;
    const double re1[] = {0.5, 0.2}, im0[] = {0, 0};
    assert_int_equal(lrnn_fp_classify(2, re1, im0, &rho), LRNN_FP_STABLE_NODE);
    assert_float_equal(rho, 0.5, 0);
    const double re2[] = {0.5, 0.5}, im2[] = {0.5, -0.5};
    assert_int_equal(lrnn_fp_classify(2, re2, im2, &rho), LRNN_FP_STABLE_FOCUS);
    assert_float_equal(rho, sqrt(0.5), 1e-15);
    const double re3[] = {1.5, 1.5}, im3[] = {0.5, -0.5};
    assert_int_equal(lrnn_fp_classify(2, re3, im3, NULL), LRNN_FP_UNSTABLE_FOCUS);
    const double re4[] = {2.0, -1.2};
    assert_int_equal(lrnn_fp_classify(2, re4, im0, NULL), LRNN_FP_UNSTABLE_NODE);
    const double re5[] = {2.0, 0.3};
    assert_int_equal(lrnn_fp_classify(2, re5, im0, NULL), LRNN_FP_SADDLE);
    const double re6[] = {1.0, 0.3};
    assert_int_equal(lrnn_fp_classify(2, re6, im0, NULL), LRNN_FP_MARGINAL);
    assert_string_equal(lrnn_fp_type_name(LRNN_FP_SADDLE), "saddle");
    lrnn_fp_method mth;
    assert_int_equal(lrnn_fp_method_parse("SCYFI", &mth), LRNN_OK);
    assert_int_equal(mth, LRNN_FP_SCYFI);
    assert_int_equal(lrnn_fp_method_parse("bisection", &mth), LRNN_ERR_ARG);
}

static void bad_inputs(void **state) {
    (void)state;
    const double m[] = {1, NAN}, n[] = {1, 1}, h[] = {0, 0}, a[] = {0.5};
    lrnn_latent_map map;
    assert_int_equal(lrnn_latent_map_from_arrays(1, 2, LRNN_ACT_RELU, m, n, h, a, NULL, &map),
                     LRNN_ERR_NUMERIC);
    assert_non_null(strstr(lrnn_last_error(), "m[1]"));
    assert_int_equal(lrnn_latent_map_from_arrays(0, 2, LRNN_ACT_RELU, m, n, h, a, NULL, &map),
                     LRNN_ERR_ARG);
    const double m2[] = {1, 2};
    assert_int_equal(lrnn_latent_map_from_arrays(1, 2, LRNN_ACT_RELU, m2, n, h, a, NULL, &map),
                     LRNN_OK);
    lrnn_fp_params p = lrnn_fp_default_params();
    lrnn_fp_result res;
    p.max_order = 0;
    assert_int_equal(lrnn_fp_find(&map, &p, &res), LRNN_ERR_ARG);
    assert_int_equal(res.count, 0);
    p = lrnn_fp_default_params();
    p.newton_tol = -1;
    assert_int_equal(lrnn_fp_params_check(&p), LRNN_ERR_ARG);
    p = lrnn_fp_default_params();
    p.max_vertices = 1; /* the time guard names the way out */
    p.method = LRNN_FP_ANALYTIC;
    assert_int_equal(lrnn_fp_find(&map, &p, &res), LRNN_ERR_ARG);
    assert_non_null(strstr(lrnn_last_error(), "scyfi"));
    lrnn_latent_map_free(&map);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(relu_rank1),
        cmocka_unit_test(relu_rank2),
        cmocka_unit_test(relu_rank3),
        cmocka_unit_test(clipped_rank1),
        cmocka_unit_test(clipped_rank2),
        cmocka_unit_test(clipped_rank3),
        cmocka_unit_test(clipped_relu_central_kinks),
        cmocka_unit_test(bistable_switch),
        cmocka_unit_test(ring_of_stable_points),
        cmocka_unit_test(fixed_point_on_a_kink),
        cmocka_unit_test(thread_count_invariance),
        cmocka_unit_test(larger_networks_agree_with_search),
        cmocka_unit_test(scyfi_two_cycle),
        cmocka_unit_test(scyfi_three_cycle),
        cmocka_unit_test(newton_tanh),
        cmocka_unit_test(map_from_model_with_input),
        cmocka_unit_test(classification),
        cmocka_unit_test(bad_inputs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
