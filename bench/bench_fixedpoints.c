/* Times the analytic fixed-point method (lrnn_fp_find, method analytic) on random low-rank
 * networks at the sizes of the fixed-point issue: (N, R) = (60,2), (128,2), (512,2), (128,3),
 * (512,3), relu and clipped relu, single thread and all threads.
 *
 * Networks: m ~ N(0,1), n = (4 m^T + 2 noise) / sqrt(N), h ~ N(0,1), a = 0.9, no input (so the
 * clipped-relu kinks at x = 0 all pass through z = 0, the degenerate case).
 *
 * Usage: bench_fixedpoints [repeats] [max_seconds] [activation]
 *   repeats      timing repeats per configuration (median reported; default 3)
 *   max_seconds  skip the repeats of a configuration whose first run took longer (default 20)
 *   activation   relu | clipped_relu | both (default both)
 *
 * Work model for the FLOP column (approximate, counted by hand from analytic.c): per line
 * (C(P, r-1) of them) 2P r (r + 1) for the crossings and P log2 P comparisons for the sort
 * (counted as flops), 2 R^2 per crossing for the running piece; per vertex 2 R^3 / 3 + 4 R^2
 * for the R x R solve and the lowest-orthant test; per lower-level candidate 2 N R^2 for the
 * exact piece. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_common.h"
#include "lrnn/fixedpoints.h"
#include "lrnn/rng.h"

#ifdef _OPENMP
#include <omp.h>
#endif

static double binom(double n, int k) {
    double v = 1.0;
    for (int i = 1; i <= k; i++)
        v = v * (n - k + i) / i;
    return v;
}

static double flops(int N, int R, int pp, const lrnn_fp_stats *s) {
    double P = (double)N * pp, r = R, lines = binom(P, R - 1);
    double level0 = lines * (2.0 * P * r * (r + 1) + P * log2(P) + 2.0 * R * R * P) +
                    (double)s->vertices * (2.0 * R * R * R / 3.0 + 4.0 * R * R);
    double lower = ((double)s->regions - (double)s->vertices) * 2.0 * N * R * R;
    return level0 + lower;
}

static int run(int N, int R, lrnn_activation act, int threads, int repeats, double max_seconds,
               lrnn_fp_result *keep, double *median) {
    lrnn_rng g;
    lrnn_rng_init(&g, 42, LRNN_RNG_SAMPLE, (uint64_t)N, (uint64_t)R);
    double *m = malloc((size_t)(N * R) * sizeof *m), *n = malloc((size_t)(N * R) * sizeof *n);
    double *h = malloc((size_t)N * sizeof *h), a[3] = {0.9, 0.9, 0.9};
    for (int i = 0; i < N * R; i++)
        m[i] = lrnn_rng_normal(&g);
    for (int r = 0; r < R; r++)
        for (int i = 0; i < N; i++)
            n[r * N + i] = (4.0 * m[i * R + r] + 2.0 * lrnn_rng_normal(&g)) / sqrt((double)N);
    for (int i = 0; i < N; i++)
        h[i] = lrnn_rng_normal(&g);
    lrnn_latent_map map;
    if (lrnn_latent_map_from_arrays(R, N, act, m, n, h, a, NULL, &map) != LRNN_OK) return 1;
    free(m), free(n), free(h);
    lrnn_fp_params p = lrnn_fp_default_params();
    p.method = LRNN_FP_ANALYTIC;
    p.threads = threads;
    double times[64];
    int done = 0;
    for (int i = 0; i < repeats; i++) {
        lrnn_fp_result res;
        if (lrnn_fp_find(&map, &p, &res) != LRNN_OK) {
            fprintf(stderr, "%s\n", lrnn_last_error());
            return 1;
        }
        times[done++] = res.stats.seconds;
        if (i == 0)
            *keep = res;
        else
            lrnn_fp_result_free(&res);
        if (times[0] > max_seconds) break;
    }
    qsort(times, (size_t)done, sizeof times[0], bench_compare);
    *median = times[done / 2];
    lrnn_latent_map_free(&map);
    return 0;
}

int main(int argc, char **argv) {
    int repeats = argc > 1 ? atoi(argv[1]) : 3;
    double max_seconds = argc > 2 ? atof(argv[2]) : 20.0;
    const char *which = argc > 3 ? argv[3] : "both";
    if (repeats < 1 || repeats > 64) repeats = 3;
    int all = 1;
#ifdef _OPENMP
    all = omp_get_max_threads();
#endif
    const int sizes[][2] = {{60, 2}, {128, 2}, {512, 2}, {128, 3}, {512, 3}};
    printf("analytic fixed points, random networks, median of %d (first run only above %g s)\n",
           repeats, max_seconds);
    printf("%-13s %4s %2s %12s %12s %8s %5s %10s %10s %8s %9s\n", "activation", "N", "R",
           "vertices", "regions", "fixed pts", "amb", "1 thread s", "threads", "speedup",
           "GFLOP/s*");
    for (int act = 0; act < 2; act++) {
        lrnn_activation a = act ? LRNN_ACT_CLIPPED_RELU : LRNN_ACT_RELU;
        if (strcmp(which, "both") && strcmp(which, lrnn_activation_name(a))) continue;
        for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
            int N = sizes[k][0], R = sizes[k][1];
            lrnn_fp_result one, many;
            double t1, tn;
            if (run(N, R, a, 1, repeats, max_seconds, &one, &t1)) return 1;
            if (all > 1) {
                if (run(N, R, a, all, repeats, max_seconds, &many, &tn)) return 1;
                if (many.count != one.count) {
                    fprintf(stderr, "thread counts disagree: %zu vs %zu\n", one.count, many.count);
                    return 1;
                }
                lrnn_fp_result_free(&many);
            } else {
                tn = t1;
            }
            double f = flops(N, R, act ? 2 : 1, &one.stats);
            char label[32];
            snprintf(label, sizeof label, "%d thr s", all);
            printf("%-13s %4d %2d %12llu %12llu %8zu %5llu %10.4f %10.4f %8.2f %9.2f\n",
                   lrnn_activation_name(a), N, R, (unsigned long long)one.stats.vertices,
                   (unsigned long long)one.stats.regions, one.count,
                   (unsigned long long)one.stats.ambiguous, t1, tn, t1 / tn, f / tn * 1e-9);
            fflush(stdout);
            lrnn_fp_result_free(&one);
        }
    }
    printf("threads: %d (\"threads\" column); * approximate FLOP model in the source header\n",
           all);
    return 0;
}
