/* Times lrnn_model_sample on the EEG-sized model of the foundation issue: rank 3, N = 512,
 * X = 64, Gaussian affine readout, 10 000 steps; median of repeats, plus FLOPs per step.
 * Usage: bench_sample [steps] [trials] [repeats] */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "bench_common.h"
#include "lrnn/sample.h"

int main(int argc, char **argv) {
    size_t steps = argc > 1 ? strtoul(argv[1], NULL, 10) : 10000;
    size_t trials = argc > 2 ? strtoul(argv[2], NULL, 10) : 1;
    int repeats = argc > 3 ? atoi(argv[3]) : 11;
    if (repeats < 1 || repeats > 101) repeats = 11;
    lrnn_model_config c = lrnn_model_default_config();
    c.rank = 3, c.units = 512, c.channels = 64;
    lrnn_model *model = NULL;
    if (lrnn_model_create(&c, &model) != LRNN_OK) {
        fprintf(stderr, "%s\n", lrnn_last_error());
        return 1;
    }
    size_t rows = steps * trials;
    double *z = malloc(rows * 3 * sizeof *z), *r = malloc(rows * 64 * sizeof *r);
    double *y = malloc(rows * 64 * sizeof *y);
    lrnn_sample_output out = {z, r, y};
    lrnn_sample_params p = lrnn_sample_default_params();
    p.steps = steps, p.trials = trials;
    double times[101];
    for (int i = 0; i < repeats; i++) {
        p.seed = (uint64_t)i + 1;
        double t0 = bench_now();
        if (lrnn_model_sample(model, &p, &out) != LRNN_OK) {
            fprintf(stderr, "%s\n", lrnn_last_error());
            return 1;
        }
        times[i] = bench_now() - t0;
    }
    qsort(times, (size_t)repeats, sizeof times[0], bench_compare);
    /* Per step: currents 2NR, phi ~N, n.phi 2NR, readout 2RX + X, noise ~R^2 + X. */
    double flops = 4.0 * 512 * 3 + 512 + 2.0 * 3 * 64 + 2 * 64 + 9;
    double median = times[repeats / 2];
    printf("config          R=3 N=512 X=64 gauss affine, %zu trial(s) x %zu steps\n", trials,
           steps);
    printf("median          %.4f s  (min %.4f, max %.4f, %d repeats)\n", median, times[0],
           times[repeats - 1], repeats);
    printf("per step        %.3f us, %.0f FLOP -> %.2f GFLOP/s\n", 1e6 * median / (double)rows,
           flops, flops * (double)rows / median * 1e-9);
    free(z), free(r), free(y);
    lrnn_model_free(model);
    return 0;
}
