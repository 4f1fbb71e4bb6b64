/* Helper for the student-teacher CLI test (tests/cli/student_teacher.sh):
 *   teacher_tool make DIR             rank-2 limit-cycle teacher, train/test data
 *   teacher_tool noise A.h5 B.h5      process-noise scale of both models, ratio B/A
 *   teacher_tool spectrum A.npy B.npy power spectra of two samples: peak periods, Hellinger
 *   teacher_tool missing IN.npy DIR   DIR/masked.npy: 20% of the entries NaN (seeded);
 *                                     DIR/varlen.npy: trial b cut to a length in [40, T] (the
 *                                     rest NaN padding), trial 0 kept whole
 * The noise scale is basis-free: sqrt(tr(m Sigma_z m^T) / R), the unit-space noise, unchanged
 * by any invertible change of latent coordinates (m -> m P^-1, Sigma -> P Sigma P^T). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lrnn/io.h"
#include "lrnn/rng.h"
#include "lrnn/model_file.h"
#include "lrnn/sample.h"

static int fail(void) {
    fprintf(stderr, "teacher_tool: %s\n", lrnn_last_error());
    return 1;
}

/* The library's oscillator teacher (lrnn_model_oscillator): period ~33 steps. */
static int make(const char *dir) {
    const int N = 20;
    lrnn_model *model = NULL;
    if (lrnn_model_oscillator(N, 20.0, &model)) return fail();
    char path[4096];
    snprintf(path, sizeof path, "%s/teacher.h5", dir);
    if (lrnn_model_save(model, path, NULL)) return fail();
    /* 200 trials x 75 steps on the cycle (burn-in 200); 150 to train, 50 to test; and a long
     * run for the spectrum. */
    const size_t B = 200, T = 75, X = (size_t)N;
    double *y = malloc(B * T * X * sizeof *y);
    lrnn_sample_params sp = lrnn_sample_default_params();
    sp.trials = B, sp.steps = T, sp.burn_in = 200, sp.seed = 17;
    lrnn_sample_output out = {.observations = y};
    if (lrnn_model_sample(model, &sp, &out)) return fail();
    lrnn_array train = {.dtype = LRNN_DTYPE_F64, .ndim = 3, .shape = {150, T, X}, .data = y};
    lrnn_array test = {.dtype = LRNN_DTYPE_F64, .ndim = 3, .shape = {50, T, X}, .data = y + 150 * T * X};
    snprintf(path, sizeof path, "%s/train.npy", dir);
    if (lrnn_npy_write(path, &train)) return fail();
    snprintf(path, sizeof path, "%s/test.npy", dir);
    if (lrnn_npy_write(path, &test)) return fail();
    free(y);
    lrnn_model_free(model);
    return 0;
}

static int missing(const char *in, const char *dir) {
    lrnn_array a;
    if (lrnn_array_load(in, &a)) return fail();
    if (a.ndim != 3 || a.dtype != LRNN_DTYPE_F64) {
        fprintf(stderr, "teacher_tool: %s is not a float64 trials x time x channels array\n", in);
        return 1;
    }
    size_t B = a.shape[0], T = a.shape[1], X = a.shape[2], n = B * T * X;
    double *y = a.data, *copy = malloc(n * sizeof *copy);
    lrnn_rng r;
    lrnn_rng_init(&r, 23, LRNN_RNG_SAMPLE, 0, 0);
    for (size_t i = 0; i < n; i++) copy[i] = lrnn_rng_uniform(&r) < 0.2 ? NAN : y[i];
    char path[4096];
    lrnn_array out = a;
    out.data = copy;
    snprintf(path, sizeof path, "%s/masked.npy", dir);
    if (lrnn_npy_write(path, &out)) return fail();
    for (size_t b = 0; b < B; b++) {
        size_t len = b == 0 || T <= 40 ? T : 40 + (size_t)lrnn_rng_below(&r, T - 40 + 1);
        for (size_t i = 0; i < T * X; i++) copy[b * T * X + i] = i < len * X ? y[b * T * X + i] : NAN;
    }
    snprintf(path, sizeof path, "%s/varlen.npy", dir);
    if (lrnn_npy_write(path, &out)) return fail();
    free(copy);
    lrnn_array_free(&a);
    return 0;
}

static double noise_scale(const lrnn_model *model) {
    const lrnn_model_config *c = lrnn_model_config_of(model);
    int R = c->rank, N = c->units;
    double L[64 * 64], S[64 * 64], trace = 0.0;
    lrnn_param_view p = lrnn_model_view((lrnn_model *)model);
    lrnn_noise_cholesky(c->noise_z, R, p.R_z, L);
    for (int a = 0; a < R; a++)
        for (int b = 0; b < R; b++) {
            S[a * R + b] = 0.0;
            for (int k = 0; k < R; k++) S[a * R + b] += L[a * R + k] * L[b * R + k];
        }
    for (int i = 0; i < N; i++)
        for (int a = 0; a < R; a++)
            for (int b = 0; b < R; b++) trace += p.m[i * R + a] * S[a * R + b] * p.m[i * R + b];
    return sqrt(trace / R);
}

static int noise(const char *a_path, const char *b_path) {
    lrnn_model *a = NULL, *b = NULL;
    if (lrnn_model_load(a_path, &a, NULL) || lrnn_model_load(b_path, &b, NULL)) return fail();
    double sa = noise_scale(a), sb = noise_scale(b);
    printf("noise %.6f %.6f ratio %.4f\n", sa, sb, sb / sa);
    lrnn_model_free(a), lrnn_model_free(b);
    return 0;
}

/* Mean power spectrum over trials and channels (each series demeaned), normalised to sum 1. */
static int spectrum_of(const char *path, double *power, size_t *bins) {
    lrnn_array arr;
    double *x;
    if (lrnn_npy_read(path, &arr) || lrnn_array_to_f64(&arr, &x)) return fail();
    size_t B = arr.ndim == 3 ? arr.shape[0] : 1, T = arr.shape[arr.ndim - 2], X = arr.shape[arr.ndim - 1];
    *bins = T / 2 + 1;
    memset(power, 0, *bins * sizeof *power);
    for (size_t b = 0; b < B; b++)
        for (size_t i = 0; i < X; i++) {
            double mean = 0.0;
            for (size_t t = 0; t < T; t++) mean += x[(b * T + t) * X + i] / (double)T;
            for (size_t f = 0; f < *bins; f++) {
                double re = 0.0, im = 0.0;
                for (size_t t = 0; t < T; t++) {
                    double v = x[(b * T + t) * X + i] - mean, w = 2.0 * M_PI * (double)(f * t) / (double)T;
                    re += v * cos(w), im -= v * sin(w);
                }
                power[f] += re * re + im * im;
            }
        }
    double total = 0.0;
    for (size_t f = 0; f < *bins; f++) total += power[f];
    for (size_t f = 0; f < *bins; f++) power[f] /= total;
    lrnn_array_free(&arr);
    free(x);
    return 0;
}

static int spectrum(const char *a_path, const char *b_path) {
    double pa[4096], pb[4096];
    size_t na, nb;
    if (spectrum_of(a_path, pa, &na) || spectrum_of(b_path, pb, &nb)) return 1;
    if (na != nb) {
        fprintf(stderr, "teacher_tool: series lengths differ\n");
        return 1;
    }
    size_t peak_a = 1, peak_b = 1;
    double bc = 0.0; /* Bhattacharyya coefficient; Hellinger = sqrt(1 - bc) */
    for (size_t f = 1; f < na; f++) {
        if (pa[f] > pa[peak_a]) peak_a = f;
        if (pb[f] > pb[peak_b]) peak_b = f;
    }
    for (size_t f = 0; f < na; f++) bc += sqrt(pa[f] * pb[f]);
    size_t T = 2 * (na - 1);
    printf("period %.2f %.2f hellinger %.4f\n", (double)T / (double)peak_a,
           (double)T / (double)peak_b, sqrt(fmax(0.0, 1.0 - bc)));
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 3 && !strcmp(argv[1], "make")) return make(argv[2]);
    if (argc == 4 && !strcmp(argv[1], "noise")) return noise(argv[2], argv[3]);
    if (argc == 4 && !strcmp(argv[1], "spectrum")) return spectrum(argv[2], argv[3]);
    if (argc == 4 && !strcmp(argv[1], "missing")) return missing(argv[2], argv[3]);
    fprintf(stderr, "usage: teacher_tool make DIR | noise A.h5 B.h5 | spectrum A.npy B.npy | "
                    "missing IN.npy DIR\n");
    return 2;
}
