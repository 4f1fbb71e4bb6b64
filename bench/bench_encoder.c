/* Times the CNN encoder's forward + backward pass (lrnn_encoder_forward/backward) for one epoch
 * of the spiking tutorial's encoder, once per convolution kernel (im2col + GEMM, shifted-view
 * GEMMs, direct loops; see src/encoder/internal.h), median of repeats.
 *
 *   X = 40 input channels, R = 2, kernels 21, 11, 1, channels 64, 64, GELU, causal zero
 *   padding, windows of T = 100 steps, 400 windows per epoch in calls of B = 10 trials;
 *   Poisson(0.5) counts as data, dmean / dlogvar N(0, 1).
 *
 * Then the single-precision mode (lrnn_encoder_set_single): "im2col+sgemm" runs one GEMM per
 * trial as the double path does (the default), "sgemm batched" one GEMM over the windows of
 * all B trials of a call (M = B T; encoder_set_chunk(ws, 0)). The FLOP count is the same.
 *
 * Usage: bench_encoder [repeats] [threads] [kernel name prefix, e.g. im2col, shifted, sgemm]
 * (default: all)
 * threads > 1 adds a line with the 40 calls of an epoch spread over OpenMP threads, one
 * workspace and gradient block per thread (how the SMC uses it); OpenBLAS stays at one thread
 * throughout, so that line measures the trial-level parallelism alone.
 *
 * FLOPs counted (multiply-add = 2), per window of T steps, layer i with c_out outputs, kernel k
 * and C_in inputs, n_i = 2 T c_out k C_in:
 *   forward  sum_i n_i; backward: weight gradient sum_i n_i, input adjoint sum_{i>0} n_i
 *   (layer 0's input is data). Bias sums, activations, padding and copies are not counted
 *   (< 1% here: T c_out per layer against T c_out k C_in). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "bench_common.h"
#include "encoder/internal.h"
#include "lrnn/encoder.h"
#include "lrnn/rng.h"

/* OpenBLAS's thread control; weak so the benchmark links against any BLAS. */
extern void openblas_set_num_threads(int) __attribute__((weak));

enum { T_WIN = 100, WINDOWS = 400, BATCH = 10 };

static double flops_per_window(const lrnn_encoder_config *c) {
    double f = 0.0, in = lrnn_encoder_in_channels(c);
    for (int i = 0; i < c->layers; i++) {
        double out = i + 1 < c->layers ? c->hidden[i] : (c->constant_var ? 1 : 2) * c->rank;
        double n = 2.0 * T_WIN * out * c->kernel[i] * in;
        f += (i > 0 ? 3.0 : 2.0) * n;
        in = out;
    }
    return f;
}

typedef struct run {
    const lrnn_encoder_config *c;
    const double *theta, *y, *dm, *dl;
    size_t total;
} run;

typedef struct variant {
    const char *name;
    encoder_impl impl; /* double path */
    bool single;
    size_t chunk; /* single: trials per GEMM (encoder_set_chunk), 0 = all that fit */
} variant;

/* One epoch: WINDOWS / BATCH calls of forward + backward, spread over `threads` threads.
 * Returns seconds, or -1 on failure. */
static double epoch(const run *r, const variant *v, int threads) {
    size_t X = (size_t)r->c->channels, R = (size_t)r->c->rank;
    int calls = WINDOWS / BATCH, failed = 0;
    double t0 = bench_now();
#ifdef _OPENMP
#pragma omp parallel num_threads(threads) reduction(+ : failed)
#endif
    {
        lrnn_encoder_workspace *ws = NULL;
        double *grad = calloc(r->total, sizeof *grad);
        double *mean = malloc(BATCH * T_WIN * R * sizeof *mean);
        double *lv = malloc(BATCH * T_WIN * R * sizeof *lv);
        if (!grad || !mean || !lv || lrnn_encoder_workspace_create(r->c, T_WIN, BATCH, &ws) ||
            lrnn_encoder_set_single(ws, v->single) || encoder_set_chunk(ws, v->chunk))
            failed++;
        else
            encoder_set_impl(ws, v->impl);
#ifdef _OPENMP
#pragma omp for schedule(static)
#endif
        for (int k = 0; k < calls; k++) {
            if (!ws) continue;
            size_t first = (size_t)k * BATCH;
            if (lrnn_encoder_forward(r->c, r->theta, ws, BATCH, T_WIN, r->y + first * T_WIN * X, X,
                                     NULL, mean, lv) ||
                lrnn_encoder_backward(r->c, r->theta, ws, r->dm + first * T_WIN * R,
                                      r->dl + first * T_WIN * R, grad))
                failed++;
        }
        lrnn_encoder_workspace_free(ws);
        free(grad), free(mean), free(lv);
    }
    (void)threads;
    return failed ? -1.0 : bench_now() - t0;
}

int main(int argc, char **argv) {
    int repeats = argc > 1 ? atoi(argv[1]) : 7;
    int threads = argc > 2 ? atoi(argv[2]) : 1;
    if (repeats < 1 || repeats > 100) repeats = 7;
    if (threads < 1) threads = 1;
#ifndef _OPENMP
    threads = 1;
#endif
    if (openblas_set_num_threads) openblas_set_num_threads(1);

    lrnn_encoder_config c = lrnn_encoder_default_params();
    c.channels = 40, c.rank = 2;
    c.activation = LRNN_ENCODER_ACT_GELU;
    c.pad_location = LRNN_ENCODER_PAD_CAUSAL;
    lrnn_param_layout l;
    if (lrnn_encoder_layout(&c, &l)) return fprintf(stderr, "%s\n", lrnn_last_error()), 1;
    size_t X = 40, R = 2, ny = (size_t)WINDOWS * T_WIN * X, nr = (size_t)WINDOWS * T_WIN * R;
    double *theta = malloc(l.total * sizeof *theta), *y = malloc(ny * sizeof *y);
    double *dm = malloc(nr * sizeof *dm), *dl = malloc(nr * sizeof *dl);
    if (!theta || !y || !dm || !dl) return fprintf(stderr, "out of memory\n"), 1;
    lrnn_encoder_init(&c, theta, 1);
    lrnn_rng rng;
    lrnn_rng_init(&rng, 1, LRNN_RNG_SAMPLE, 0, 0);
    for (size_t i = 0; i < ny; i++)
        y[i] = lrnn_rng_poisson(&rng, 0.5);
    for (size_t i = 0; i < nr; i++)
        dm[i] = lrnn_rng_normal(&rng), dl[i] = lrnn_rng_normal(&rng);
    run r = {.c = &c, .theta = theta, .y = y, .dm = dm, .dl = dl, .total = l.total};

    double flops = flops_per_window(&c) * WINDOWS;
    printf("encoder: X=%d R=%d kernels %d,%d,%d channels %d,%d %s %s/%s, T=%d, %d windows/epoch "
           "in calls of B=%d; %zu parameters\n",
           c.channels, c.rank, c.kernel[0], c.kernel[1], c.kernel[2], c.hidden[0], c.hidden[1],
           lrnn_encoder_act_name(c.activation), lrnn_encoder_pad_location_name(c.pad_location),
           lrnn_encoder_pad_mode_name(c.pad_mode), T_WIN, WINDOWS, BATCH, l.total);
    printf("FLOPs/epoch (forward + backward, counted)  %.4g\n", flops);
    printf("%-14s %7s %12s %12s %9s\n", "kernel", "threads", "median s", "fastest s", "GFLOP/s");
    const variant vs[] = {
        {encoder_impl_name(ENCODER_IMPL_IM2COL), ENCODER_IMPL_IM2COL, false, 0},
        {encoder_impl_name(ENCODER_IMPL_SHIFTED), ENCODER_IMPL_SHIFTED, false, 0},
        {encoder_impl_name(ENCODER_IMPL_DIRECT), ENCODER_IMPL_DIRECT, false, 0},
        {"im2col+sgemm", ENCODER_IMPL_IM2COL, true, 1},
        {"sgemm batched", ENCODER_IMPL_IM2COL, true, 0},
    };
    const char *only = argc > 3 ? argv[3] : NULL;
    for (size_t k = 0; k < sizeof vs / sizeof vs[0]; k++)
        if (!only || !strncmp(vs[k].name, only, strlen(only)))
            for (int pass = 0; pass < (threads > 1 ? 2 : 1); pass++) {
                int th = pass ? threads : 1;
                double times[100];
                if (epoch(&r, &vs[k], th) < 0) /* warm-up */
                    return fprintf(stderr, "%s\n", lrnn_last_error()), 1;
                for (int i = 0; i < repeats; i++)
                    times[i] = epoch(&r, &vs[k], th);
                qsort(times, (size_t)repeats, sizeof times[0], bench_compare);
                double med = times[repeats / 2];
                printf("%-14s %7d %12.4f %12.4f %9.2f\n", vs[k].name, th, med, times[0],
                       flops / med * 1e-9);
                fflush(stdout);
            }
    free(theta), free(y), free(dm), free(dl);
    return 0;
}
