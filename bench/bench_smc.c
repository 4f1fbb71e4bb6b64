/* Times one epoch of the SMC bound + gradient (lrnn_smc_bound with grad) on the reference
 * configurations of the performance issue, single-threaded and with all threads; median of
 * repeats, with the FLOPs counted per epoch and the speed-up over the PyTorch reference.
 * The optimiser step (a few elementwise passes over ~3 500 parameters per batch) is not timed:
 * it is below 0.1% of an epoch.
 *
 * Usage: bench_smc [eeg|continuous|spiking|all] [repeats] [threads]
 * (threads: the second line's thread count; default all hardware threads, 1 for one line).
 * LRNN_KERNELS=avx512|avx2|vector128|c forces an instruction set for the transition kernels.
 *
 *   eeg         R = 3, N = 512, X = 64, clipped ReLU, decay 0.9, full z / z0 noise (0.1, 1),
 *               diag x noise (0.1), affine readout from z, optimal proposal (analytic weights),
 *               K = 10, B = 10, windows of T = 50, 500 windows per epoch (50 batches). Windows
 *               of ../shared/data/eeg/EEG_data_smoothed.npy when present, else N(0, 1) data.
 *   continuous  N = 20, R = 2, X = 20, one-to-one readout of currents, full/full/diag noise
 *               0.1, optimal proposal, K = 64, B = 16, whole trials of 75 steps, 150 trials per
 *               epoch (10 batches, the last of 6 trials); data sampled from the model itself.
 *   spiking     the spiking tutorial: N = X = 40, R = 2, Poisson one-to-one readout of
 *               currents through softplus, diag z / z0 noise 0.1, encoder proposal (CNN
 *               kernels 21, 11, 1, channels 64, 64, GELU, causal), K = 64, B = 10, windows of
 *               T = 100, 400 windows per epoch; data sampled from the model. The encoder runs
 *               in single precision, as lrnn fit trains it (lrnn_fit_default_params).
 *
 * Threads: lrnn_smc_create's `threads` sets the OpenMP team over the trials of a batch. The
 * filter calls no BLAS in its loops, but anything BLAS-backed inside that parallel region must
 * not start OpenBLAS's own pthreads on top of the OpenMP team, so OpenBLAS is pinned to one
 * thread here, as a training program should do.
 *
 * The bound printed is the epoch mean of the warm-up pass (fixed draws), so it can be compared
 * between builds; the times are of the following passes (new draws each). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "infer/smc_internal.h" /* smc_kernels_pick: which instruction set runs */
#include "bench_common.h"
#include "lrnn/dataset.h"
#include "lrnn/rng.h"
#include "lrnn/sample.h"
#include "lrnn/smc.h"

/* OpenBLAS's thread control; weak so the benchmark links against any BLAS. */
extern void openblas_set_num_threads(int) __attribute__((weak));

/* The PyTorch reference, single-threaded, on this machine kind (issue 3, and the lead's
 * re-measurement on the same machine kind). */
static const double REF_EEG_ISSUE = 11.1, REF_EEG_REMEASURED = 6.22;
static const double REF_CONT_ISSUE = 2.8, REF_CONT_REMEASURED = 1.72;
static const double REF_SPIKE_ISSUE = 17.0, REF_SPIKE_REMEASURED = 12.71;

typedef struct bench_case {
    const char *name;
    lrnn_model_config model;
    lrnn_smc_params smc;
    size_t B, T, trials; /* batch size, steps per trial, trials (windows) per epoch */
    double ref_issue, ref_remeasured; /* reference s/epoch, 0 when none */
} bench_case;

/* FLOPs of one filter step of one trial, bound and gradient (FMA = 2, exp/log = 1). Shapes:
 * K particles, N units, R rank, X channels.
 *   transition forward   Xc = Z m^T (2KNR), phi (3KN), Mu = a.Z + Phi n^T (2KNR + KR)
 *   transition backward  G = Mubar n (2KNR), G *= phi' and hbar (4KN), nbar += Mubar^T Phi
 *                        (2KNR), mbar += G^T Z (2KNR), Zbar = a.Mubar + G m (2KNR + KR)
 *                        -> 12 KNR + 7 KN + 2 KR in all (the implementation also recomputes x and
 *                        phi(x) in the backward pass instead of storing them, +2 KNR + 3 KN, not
 *                        counted: the count is of the algorithm, not of this code)
 *   optimal proposal     forward per particle: rho = e - M mu (2R^2), delta = Q rho (2R^2),
 *                        z = mu + delta + W eps (2R^2 + 2R), r = y~ - H mu (2XR), quad (3X);
 *                        backward recomputes rho, delta, r (4R^2 + 2XR) and forms Hbar, mubar
 *                        (4XR), dbar (4X), Qbar/Wbar/Mbar (9R^2), Q zbar, M^T rhobar (4R^2);
 *                        per step e = H^T D^-1 y~ and its adjoint (6XR + 6X)
 *                        -> K (8XR + 23R^2 + 7X + 2R) + 6XR + 6X
 *   bootstrap proposal   z = mu + L eps (2R^2), yhat (one-to-one: 2XR + X, plus softplus ~3X),
 *                        log-likelihood (~4X), backward: yhat recomputed (2XR + 4X), ybar (4X),
 *                        readout backward (2XR + 2XR + 3X), Lbar (R^2)
 *                        -> K (8XR + 22X + 3R^2)
 *   encoder proposal     per particle 8R (sample, weight) and 14R backward; the CNN once per
 *                        step of a trial: 2 sum_l C_l k_l c_l forward, twice that backward
 *                        (input and weight gradients), so 6 sum_l C_l k_l c_l in all
 *   weights              logsumexp, softmaxes, resampling: ~20 K
 * The transition is counted at every step although step 0 has none (1/T too many); the normal
 * draws (K R per step, Box-Muller through libm) are not counted. */
static double flops_per_step(const bench_case *bc) {
    double K = bc->smc.particles, N = bc->model.units, R = bc->model.rank;
    double X = bc->model.channels;
    double encoder = 0.0;
    const lrnn_encoder_config *e = &bc->model.encoder;
    for (int l = 0; l < e->layers; l++) {
        double in = l == 0 ? X : e->hidden[l - 1];
        double out = l + 1 < e->layers ? e->hidden[l] : 2.0 * R; /* mean and log-variance */
        encoder += 6.0 * in * e->kernel[l] * out;
    }
    double transition = 12 * K * N * R + 7 * K * N + 2 * K * R;
    double proposal = bc->smc.proposal == LRNN_PROPOSAL_OPTIMAL
                          ? K * (8 * X * R + 23 * R * R + 7 * X + 2 * R) + 6 * X * R + 6 * X
                          : K * (8 * X * R + 22 * X + 3 * R * R);
    if (bc->smc.proposal == LRNN_PROPOSAL_ENCODER) proposal += K * 22 * R + encoder;
    return transition + proposal + 20 * K;
}

static bench_case eeg_case(void) {
    bench_case bc = {.name = "eeg", .B = 10, .T = 50, .trials = 500,
                     .ref_issue = REF_EEG_ISSUE, .ref_remeasured = REF_EEG_REMEASURED};
    lrnn_model_config *c = &bc.model;
    *c = lrnn_model_default_config();
    c->rank = 3, c->units = 512, c->channels = 64;
    c->activation = LRNN_ACT_CLIPPED_RELU, c->decay_init = 0.9;
    c->noise_z = LRNN_NOISE_FULL, c->noise_z0 = LRNN_NOISE_FULL, c->noise_x = LRNN_NOISE_DIAG;
    c->init_noise_z = 0.1, c->init_noise_z0 = 1.0, c->init_noise_x = 0.1;
    c->readout = LRNN_READOUT_AFFINE, c->readout_from = LRNN_FROM_Z;
    bc.smc = lrnn_smc_default_params();
    bc.smc.particles = 10, bc.smc.proposal = LRNN_PROPOSAL_OPTIMAL;
    bc.smc.weights = LRNN_WEIGHTS_ANALYTIC;
    return bc;
}

static bench_case continuous_case(void) {
    bench_case bc = {.name = "continuous", .B = 16, .T = 75, .trials = 150,
                     .ref_issue = REF_CONT_ISSUE, .ref_remeasured = REF_CONT_REMEASURED};
    lrnn_model_config *c = &bc.model;
    *c = lrnn_model_default_config();
    c->rank = 2, c->units = 20, c->channels = 20;
    c->readout = LRNN_READOUT_ONE_TO_ONE, c->readout_from = LRNN_FROM_CURRENTS;
    c->noise_z = LRNN_NOISE_FULL, c->noise_z0 = LRNN_NOISE_FULL, c->noise_x = LRNN_NOISE_DIAG;
    c->init_noise_z = 0.1, c->init_noise_z0 = 0.1, c->init_noise_x = 0.1;
    bc.smc = lrnn_smc_default_params();
    bc.smc.particles = 64, bc.smc.proposal = LRNN_PROPOSAL_OPTIMAL;
    return bc;
}

static bench_case spiking_case(void) {
    bench_case bc = {.name = "spiking", .B = 10, .T = 100, .trials = 400,
                     .ref_issue = REF_SPIKE_ISSUE, .ref_remeasured = REF_SPIKE_REMEASURED};
    lrnn_model_config *c = &bc.model;
    *c = lrnn_model_default_config();
    c->rank = 2, c->units = 40, c->channels = 40;
    c->obs = LRNN_OBS_POISSON, c->obs_nonlin = LRNN_G_SOFTPLUS;
    c->readout = LRNN_READOUT_ONE_TO_ONE, c->readout_from = LRNN_FROM_CURRENTS;
    c->noise_z = c->noise_z0 = LRNN_NOISE_DIAG;
    c->init_noise_z = 0.1, c->init_noise_z0 = 0.1;
    c->encoder = lrnn_encoder_default_params(); /* 21, 11, 1 / 64, 64, GELU, causal */
    bc.smc = lrnn_smc_default_params();
    bc.smc.particles = 64, bc.smc.proposal = LRNN_PROPOSAL_ENCODER;
    bc.smc.encoder_precision = LRNN_PRECISION_SINGLE; /* as lrnn fit trains (and the reference) */
    return bc;
}

/* ../shared/data/eeg/EEG_data_smoothed.npy next to the repository: $LRNN_EEG_DATA if set, else
 * found from this file's path (CMake compiles it by absolute path). */
static void eeg_path(char *out, size_t cap) {
    const char *env = getenv("LRNN_EEG_DATA");
    if (env) {
        snprintf(out, cap, "%s", env);
        return;
    }
    const char *file = __FILE__, *slash = strrchr(file, '/');
    int dir = slash ? (int)(slash - file) : 1;
    snprintf(out, cap, "%.*s/../../shared/data/eeg/EEG_data_smoothed.npy", dir, slash ? file : ".");
}

/* The epoch's data as `trials` contiguous T x X windows. EEG: random windows of the recording
 * when the file is there; otherwise (and for the tutorials) a sample of the model itself. */
static double *epoch_data(const bench_case *bc, const lrnn_model *model, const char **source) {
    size_t T = bc->T, X = (size_t)bc->model.channels, n = bc->trials;
    double *y = malloc(n * T * X * sizeof *y);
    if (!y) return NULL;
    if (!strcmp(bc->name, "eeg")) {
        lrnn_dataset d;
        char path[4096];
        eeg_path(path, sizeof path);
        if (lrnn_dataset_load(path, LRNN_LAYOUT_TX, LRNN_NAN_ERROR, &d) == LRNN_OK) {
            if (d.X == X && d.T > T) {
                lrnn_rng r;
                lrnn_rng_init(&r, 1, LRNN_RNG_BATCH, 0, 0);
                for (size_t w = 0; w < n; w++) {
                    size_t start = (size_t)lrnn_rng_below(&r, d.T - T + 1);
                    memcpy(y + w * T * X, d.y + start * X, T * X * sizeof *y);
                }
                lrnn_dataset_free(&d);
                *source = "EEG_data_smoothed.npy windows";
                return y;
            }
            lrnn_dataset_free(&d);
        }
    }
    lrnn_sample_params sp = lrnn_sample_default_params();
    sp.trials = n, sp.steps = T, sp.seed = 7, sp.burn_in = 50;
    lrnn_sample_output out = {.observations = y};
    if (lrnn_model_sample(model, &sp, &out) != LRNN_OK) {
        free(y);
        return NULL;
    }
    *source = "sampled from the model";
    return y;
}

/* Median seconds of one epoch (all batches, bound + gradient) with `threads` threads. */
static int time_epoch(const bench_case *bc, const lrnn_model *model, const double *y,
                      int threads, int repeats, double *median, double *fastest,
                      double *bound_out) {
    size_t T = bc->T, X = (size_t)bc->model.channels;
    lrnn_smc *smc = NULL;
    if (lrnn_smc_create(model, &bc->smc, T, threads, &smc) != LRNN_OK) return -1;
    const lrnn_param_layout *l = lrnn_model_layout(model);
    double *grad = malloc(l->total * sizeof *grad), times[101];
    int rc = grad ? 0 : -1;
    for (int rep = 0; rep <= repeats && !rc; rep++) { /* rep 0 warms up, untimed */
        double t0 = bench_now(), sum = 0.0;
        size_t batches = 0;
        for (size_t first = 0; first < bc->trials; first += bc->B, batches++) {
            size_t B = bc->trials - first < bc->B ? bc->trials - first : bc->B;
            lrnn_batch batch = {.B = B, .T = T, .X = X, .y = y + first * T * X};
            double bound = 0.0;
            if (lrnn_smc_bound(smc, model, &batch, 1, (uint64_t)rep * 1000 + batches, &bound,
                               grad, NULL) != LRNN_OK) {
                rc = -1;
                break;
            }
            sum += bound;
        }
        if (rep > 0) times[rep - 1] = bench_now() - t0;
        else *bound_out = sum / (double)batches;
    }
    if (!rc) {
        qsort(times, (size_t)repeats, sizeof times[0], bench_compare);
        *median = times[repeats / 2];
        *fastest = times[0];
    }
    free(grad);
    lrnn_smc_free(smc);
    return rc;
}

static int run_case(const bench_case *bc, int repeats, int all_threads) {
    lrnn_model *model = NULL;
    if (lrnn_model_create(&bc->model, &model) != LRNN_OK) return -1;
    const char *source = "";
    double *y = epoch_data(bc, model, &source);
    if (!y) return lrnn_model_free(model), -1;
    double flops = flops_per_step(bc) * (double)(bc->T * bc->trials);
    const lrnn_model_config *c = &bc->model;
    printf("\n%s: R=%d N=%d X=%d K=%d B=%zu T=%zu, %zu trials/epoch, %s proposal; data %s\n",
           bc->name, c->rank, c->units, c->channels, bc->smc.particles, bc->B, bc->T, bc->trials,
           lrnn_proposal_name(bc->smc.proposal), source);
    printf("  FLOPs/epoch (counted)  %.3g\n", flops);
    double one = 0.0;
    int counts[2] = {1, all_threads};
    for (int i = 0; i < (all_threads > 1 ? 2 : 1); i++) {
        double median = 0.0, fastest = 0.0, bound = 0.0;
        if (time_epoch(bc, model, y, counts[i], repeats, &median, &fastest, &bound)) {
            fprintf(stderr, "%s: %s\n", bc->name, lrnn_last_error());
            free(y), lrnn_model_free(model);
            return -1;
        }
        if (i == 0) one = median;
        printf("  %d thread%s  %8.4f s/epoch  %6.2f GFLOP/s  (min %.4f s; bound %.4f)", counts[i],
               counts[i] > 1 ? "s" : " ", median, flops / median * 1e-9, fastest, bound);
        if (i > 0) printf("  parallel speed-up %.2fx", one / median);
        printf("\n");
    }
    if (bc->ref_issue > 0)
        printf("  PyTorch reference 1 thread: %.2f s/epoch (issue) -> %.0fx faster; %.2f s/epoch "
               "(re-measured) -> %.0fx faster\n",
               bc->ref_issue, bc->ref_issue / one, bc->ref_remeasured, bc->ref_remeasured / one);
    free(y);
    lrnn_model_free(model);
    return 0;
}

int main(int argc, char **argv) {
    const char *which = argc > 1 ? argv[1] : "all";
    int repeats = argc > 2 ? atoi(argv[2]) : 7;
    if (repeats < 1 || repeats > 100) repeats = 7;
    if (openblas_set_num_threads) openblas_set_num_threads(1);
    long procs = sysconf(_SC_NPROCESSORS_ONLN);
    int all = argc > 3 ? atoi(argv[3]) : procs > 0 ? (int)procs : 1;
    if (all < 1) all = 1;
    const smc_kernels *kern = smc_kernels_pick(getenv("LRNN_KERNELS"));
    printf("SMC bound + gradient, seconds per epoch (median of %d after one warm-up), %ld "
           "hardware threads, transition kernels: %s\n",
           repeats, procs, kern ? kern->name : "?");
    bench_case cases[] = {eeg_case(), continuous_case(), spiking_case()};
    int ran = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (strcmp(which, "all") && strcmp(which, cases[i].name)) continue;
        if (run_case(&cases[i], repeats, all)) return 1;
        ran++;
    }
    if (!ran) {
        fprintf(stderr, "usage: bench_smc [eeg|continuous|spiking|all] [repeats] [threads]\n");
        return 2;
    }
    return 0;
}
