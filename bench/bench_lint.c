/* Times LINT training epochs (spec lint_method.md sections 2, 3.1 and 8), single-threaded:
 * median seconds per epoch (forward + BPTT + Adam step for every minibatch) and FLOPs per epoch.
 *
 *   a  rank-1 LINT fit to a 512-unit teacher: 800 trials, T = 75, batch 32, U = 1, inputs of
 *      the RDM shape (noise 0.03, coherence pulse on steps 5..45), student sigma_s = 0,
 *      identity readout y = tanh(x) (spec 3.4 "DM validation"); target 0.10 s/epoch
 *   b  rank-1 LINT fit to a 1024-unit teacher: 800 trials, T = 68, batch 32, U = 4 (CDM shape:
 *      two noisy coherence channels on 22..62, one context channel on 5..67), sigma_s = 0.05
 *      (spec 3.4 "CDM many"); target 0.30 s/epoch
 *   c  one training epoch of a 512-unit full-rank teacher on the data of (a): FullRankRNN(1, 512,
 *      1), sigma 0.05, wi, wrec and wo trained, targets sign(coh) on steps 60..75 with that mask
 *      (spec 4.1, 4.6); target 1.2 s/epoch
 * PyTorch reference (issue): 2.4 s, ~35 s, 2.0 s per epoch at best.
 *
 * Teachers: random rank-1 networks (N = 512, 1024, sigma 0.05) make the fit targets; only the
 * shapes matter for the timing. Tasks are not used (another module generates them).
 *
 * FLOPs per trial and step (FMA = 2; a tanh counted as 1, as spec section 8 does):
 *   low-rank fit   spec 8: forward (4R + 2U + 10) N, backward twice the forward
 *                  -> 3 (4R + 2U + 10) N
 *   full rank      forward 2N^2 (wrec r) + 2 N O + (2U + 10) N; backward 2N^2 (wrec^T delta)
 *                  + 2N^2 (dwrec) + 2(2 N O) + 2 (2U + 10) N
 *                  -> 6 N^2 + 6 N O + 3 (2U + 10) N
 * The bound printed next to each time: the larger of FLOPs / (GEMM rate measured here, 512^3,
 * one thread: sgemm for the full-rank teacher, whose N x N products run in float, dgemm for
 * the fits) and DRAM bytes / (streaming bandwidth measured here). DRAM bytes per trial and
 * step: the low-rank fits run forward and BPTT in trial chunks whose tape (x_t, r_t) stays in
 * L2 (lrnn_lint_gradient), so only the target row comes from memory (8 N bytes, read once by
 * the backward pass); the full-rank teacher keeps the whole batch's tape (x_t, r_t in double,
 * float copies of r_t and delta_t): about 12 N doubles (96 N bytes), wrec in cache.
 *
 * Times are CPU seconds of the (single-threaded) process per epoch, with the wall time next to
 * them: on a shared machine the wall time includes waiting for the core.
 *
 * Usage: bench_lint [a|b|c|all] [epochs] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cblas.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "bench_common.h"
#include "lrnn/lint.h"
#include "lrnn/rng.h"

/* OpenBLAS's thread control; weak so the benchmark links against any BLAS. */
extern void openblas_set_num_threads(int) __attribute__((weak));

enum { TRIALS = 800, BATCH = 32 };

typedef struct bench_case {
    const char *name;
    int N, U, T;
    int full_rank;
    double sigma;
    double target_s, torch_s;
} bench_case;

/* RDM-shaped inputs (spec 4.1): noise 0.03 and coh * 3.2 / 100 on steps 5..45, targets sign(coh)
 * on 60..75 with the mask there; CDM-shaped (spec 4.3): channels 0, 1 noise 0.1 + coh * 0.1 on
 * 22..62, context channel 2 or 3 at 0.1 on 5..67. */
static void make_inputs(const bench_case *bc, double *u, double *task_y, double *task_mask) {
    lrnn_rng r;
    lrnn_rng_init(&r, 2024, LRNN_RNG_SAMPLE, 0, 0);
    static const double cohs[] = {1, 2, 4, 8, 16};
    size_t T = (size_t)bc->T, U = (size_t)bc->U;
    for (size_t j = 0; j < TRIALS; j++) {
        double coh = cohs[lrnn_rng_below(&r, 5)] * (lrnn_rng_below(&r, 2) ? 1.0 : -1.0);
        double c1 = (double)(1 << lrnn_rng_below(&r, 3)) * (lrnn_rng_below(&r, 2) ? 1 : -1);
        double c2 = (double)(1 << lrnn_rng_below(&r, 3)) * (lrnn_rng_below(&r, 2) ? 1 : -1);
        size_t ctx = lrnn_rng_below(&r, 2);
        for (size_t t = 0; t < T; t++) {
            double *ut = u + (j * T + t) * U;
            if (U == 1) {
                ut[0] = 0.03 * lrnn_rng_normal(&r) + (t >= 5 && t < 45 ? coh * 3.2 / 100 : 0.0);
            } else {
                for (size_t k = 0; k < U; k++)
                    ut[k] = 0.0;
                int stim = t >= 22 && t < 62;
                ut[0] = 0.1 * lrnn_rng_normal(&r) + (stim ? 0.1 * c1 : 0.0);
                ut[1] = 0.1 * lrnn_rng_normal(&r) + (stim ? 0.1 * c2 : 0.0);
                if (t >= 5 && t < 67) ut[2 + ctx] = 0.1;
            }
            if (task_y) {
                int dec = t >= 60;
                task_y[j * T + t] = dec ? (coh > 0 ? 1.0 : -1.0) : 0.0;
                task_mask[j * T + t] = dec ? 1.0 : 0.0;
            }
        }
    }
}

static double flops_per_trial_step(const bench_case *bc) {
    double N = bc->N, U = bc->U, R = 1, O = 1;
    if (bc->full_rank) return 6 * N * N + 6 * N * O + 3 * (2 * U + 10) * N;
    return 3 * (4 * R + 2 * U + 10) * N;
}

/* CPU seconds of this process (one thread: OpenBLAS pinned to 1). The machine is shared with
 * other jobs, so wall time overstates what one core takes; both are printed. */
static double cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct timing {
    double wall[64], cpu[64], last_cpu;
    int n;
} timing;

/* Called at the end of each epoch: wall time from the library, CPU time since the last call. */
static int record(const lrnn_lint_progress *p, void *user) {
    timing *t = user;
    double c = cpu_now();
    if (t->n < 64) {
        t->wall[t->n] = p->seconds;
        t->cpu[t->n] = c - t->last_cpu;
        t->n++;
    }
    t->last_cpu = c;
    return 0;
}

/* One-thread GEMM rate (GFLOP/s) on 512^3, the compute bound of the table: dgemm, or sgemm
 * when single. */
static double gemm_rate(int single) {
    size_t n = 512;
    double *A = calloc(3 * n * n, sizeof *A);
    float *F = calloc(3 * n * n, sizeof *F);
    if (!A || !F) {
        free(A), free(F);
        return 0.0;
    }
    for (size_t i = 0; i < 2 * n * n; i++)
        A[i] = 1.0 / (double)(1 + i % 7), F[i] = (float)A[i];
    double best = 1e30;
    for (int rep = 0; rep < 6; rep++) { /* rep 0 warms up (OpenBLAS buffers, page faults) */
        double t0 = cpu_now();
        if (single)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)n, (int)n, 1.0f,
                        F, (int)n, F + n * n, (int)n, 0.0f, F + 2 * n * n, (int)n);
        else
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)n, (int)n, 1.0,
                        A, (int)n, A + n * n, (int)n, 0.0, A + 2 * n * n, (int)n);
        double t = cpu_now() - t0;
        if (rep > 0 && t < best) best = t;
    }
    free(A), free(F);
    return 2.0 * (double)(n * n * n) / best * 1e-9;
}

/* Streaming bandwidth (GB/s, read + write bytes) of a 32 MB triad, about the tape size. */
static double stream_rate(void) {
    size_t n = (size_t)4 << 20;
    double *a = malloc(3 * n * sizeof *a);
    if (!a) return 0.0;
    double *b = a + n, *c = b + n;
    for (size_t i = 0; i < 3 * n; i++)
        a[i] = 1.0;
    double best = 1e30;
    for (int rep = 0; rep < 5; rep++) {
        double t0 = cpu_now();
        for (size_t i = 0; i < n; i++)
            a[i] = b[i] + 0.5 * c[i];
        double t = cpu_now() - t0;
        if (t < best) best = t;
    }
    volatile double sink = a[n / 2];
    (void)sink;
    free(a);
    return 3.0 * (double)n * sizeof(double) / best * 1e-9;
}

static int run_case(const bench_case *bc, int epochs, double dgemm, double sgemm, double bw) {
    size_t T = (size_t)bc->T, U = (size_t)bc->U, N = (size_t)bc->N;
    double *u = malloc(TRIALS * T * U * sizeof *u);
    double *ty = malloc(TRIALS * T * sizeof *ty), *tm = malloc(TRIALS * T * sizeof *tm);
    double *y = bc->full_rank ? NULL : malloc(TRIALS * T * N * sizeof *y);
    lrnn_lint_rnn *teacher = NULL, *net = NULL;
    int rc = -1;
    if (!u || !ty || !tm || (!bc->full_rank && !y)) goto done;
    make_inputs(bc, u, ty, tm);
    lrnn_lint_train_params tp = lrnn_lint_train_default_params();
    tp.epochs = epochs + 1; /* the first epoch warms up */
    tp.batch_size = BATCH;
    tp.lr = 1e-2;
    timing tim = {.n = 0};
    tp.progress = record, tp.user = &tim;
    lrnn_lint_train_result res;
    lrnn_lint_data d = {.trials = TRIALS, .T = T, .inputs = u};
    if (bc->full_rank) {
        lrnn_lint_config c = lrnn_lint_default_config(LRNN_LINT_FULL_RANK);
        c.units = (int)N, c.inputs = (int)U, c.outputs = 1, c.noise_std = bc->sigma;
        c.train_wi = true, c.train_wo = true, c.rho = 1.0;
        if (lrnn_lint_create(&c, &net)) goto done;
        d.targets = ty, d.mask = tm;
        tp.lr = 1e-4;
    } else {
        lrnn_lint_config tc = lrnn_lint_default_config(LRNN_LINT_LOW_RANK);
        tc.units = (int)N, tc.rank = 1, tc.inputs = (int)U, tc.noise_std = 0.05, tc.seed = 3;
        if (lrnn_lint_create(&tc, &teacher)) goto done;
        lrnn_lint_noise nz = {99, 0};
        if (lrnn_lint_teacher_targets(teacher, u, TRIALS, T, nz, LRNN_LINT_TARGET_RATES, y))
            goto done;
        lrnn_lint_config sc =
            lrnn_lint_student_config((int)N, 1, (int)U, bc->sigma, LRNN_LINT_TARGET_RATES, 5);
        if (lrnn_lint_create(&sc, &net)) goto done;
        d.targets = y;
    }
    tim.last_cpu = cpu_now();
    if (lrnn_lint_train(net, &d, &tp, &res)) goto done;
    qsort(tim.wall + 1, (size_t)(tim.n - 1), sizeof tim.wall[0], bench_compare);
    qsort(tim.cpu + 1, (size_t)(tim.n - 1), sizeof tim.cpu[0], bench_compare);
    double wall = tim.wall[1 + (tim.n - 1) / 2];
    double med = tim.cpu[1 + (tim.n - 1) / 2], fastest = tim.cpu[1];
    double steps = (double)(TRIALS / BATCH * BATCH) * (double)T;
    double flops = flops_per_trial_step(bc) * steps;
    double bytes = (bc->full_rank ? 96.0 : 8.0) * (double)N * steps;
    double gemm = bc->full_rank ? sgemm : dgemm;
    double t_flop = flops / (gemm * 1e9), t_mem = bytes / (bw * 1e9);
    double bound = t_flop > t_mem ? t_flop : t_mem;
    printf("\n(%s) %s, N=%zu U=%zu T=%zu, %d trials, batch %d, sigma %.2g\n", bc->name,
           bc->full_rank ? "full-rank teacher training (dense readout, O=1)"
                         : "rank-1 LINT fit (identity readout)",
           N, U, T, TRIALS, BATCH, bc->sigma);
    printf("  FLOPs/epoch %.3g, DRAM %.3g GB/epoch; bound %.4f s (%s)\n", flops, bytes * 1e-9,
           bound, t_flop > t_mem ? "compute" : "memory");
    printf("  1 thread  %8.4f s/epoch CPU (min %.4f; wall %.4f)  %6.2f GFLOP/s  %5.1f%% of the "
           "bound  target %.2f s %s  PyTorch %.1f s -> %.0fx\n",
           med, fastest, wall, flops / med * 1e-9, 100.0 * bound / med, bc->target_s,
           med <= bc->target_s ? "met" : "MISSED", bc->torch_s, bc->torch_s / med);
    printf("  loss %.4g -> %.4g over %d epochs\n", res.initial_loss, res.final_loss,
           res.epochs_run);
    rc = 0;
done:
    if (rc) fprintf(stderr, "(%s): %s\n", bc->name, lrnn_last_error());
    lrnn_lint_free(teacher), lrnn_lint_free(net);
    free(u), free(ty), free(tm), free(y);
    return rc;
}

int main(int argc, char **argv) {
    const char *which = argc > 1 ? argv[1] : "all";
    int epochs = argc > 2 ? atoi(argv[2]) : 5;
    if (epochs < 1 || epochs > 60) epochs = 5;
    if (openblas_set_num_threads) openblas_set_num_threads(1);
#ifdef _OPENMP
    omp_set_num_threads(1); /* oneDNN's packed products (core/packed_gemm.h) run on OpenMP */
#endif
    double dgemm = gemm_rate(0), sgemm = gemm_rate(1), bw = stream_rate();
    printf("LINT epochs (forward + BPTT + Adam), one thread, median of %d after one warm-up "
           "(CPU time); dgemm %.1f, sgemm %.1f GFLOP/s, triad %.1f GB/s measured here (CPU "
           "time)\n",
           epochs, dgemm, sgemm, bw);
    bench_case cases[] = {
        {"a", 512, 1, 75, 0, 0.0, 0.10, 2.4},
        {"b", 1024, 4, 68, 0, 0.05, 0.30, 35.0},
        {"c", 512, 1, 75, 1, 0.05, 1.2, 2.0},
    };
    int ran = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (strcmp(which, "all") && strcmp(which, cases[i].name)) continue;
        if (run_case(&cases[i], epochs, dgemm, sgemm, bw)) return 1;
        ran++;
    }
    if (!ran) {
        fprintf(stderr, "usage: bench_lint [a|b|c|all] [epochs]\n");
        return 2;
    }
    return 0;
}
