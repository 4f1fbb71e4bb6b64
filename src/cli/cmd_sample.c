/* lrnn sample: generate data from a model file and summarise it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "lrnn/dataset.h"
#include "lrnn/io.h"
#include "lrnn/model_file.h"
#include "lrnn/sample.h"

CLI_CHOICE_DEFINE(sample_init_choice, lrnn_sample_init, "prior_sample|prior_mean")
CLI_CHOICE_DEFINE(layout_choice, lrnn_layout, "auto|tx|btx|bxt")

typedef struct sample_args {
    const char *model, *out, *latents, *rates, *inputs;
    lrnn_layout input_layout;
    lrnn_sample_params params;
} sample_args;

static double seconds_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Wrap a B x T x D double buffer as an array and write it (format from the extension). CSV
 * holds at most two axes, so a single trial goes to CSV as T x D. */
static lrnn_status save_btd(const char *spec, double *data, size_t B, size_t T, size_t D) {
    lrnn_array a = {.dtype = LRNN_DTYPE_F64, .ndim = 3, .shape = {B, T, D}, .data = data};
    size_t len = strlen(spec);
    if (B == 1 && len > 4 && !strcmp(spec + len - 4, ".csv"))
        a = (lrnn_array){.dtype = LRNN_DTYPE_F64, .ndim = 2, .shape = {T, D}, .data = data};
    return lrnn_array_save(spec, &a);
}

/* Per-channel mean and std over trials and time; prints their ranges. */
static void summarise_channels(const char *what, const double *y, size_t rows, size_t D) {
    double mean_lo = INFINITY, mean_hi = -INFINITY, std_lo = INFINITY, std_hi = -INFINITY;
    for (size_t i = 0; i < D; i++) {
        double sum = 0.0, sq = 0.0;
        for (size_t r = 0; r < rows; r++) sum += y[r * D + i];
        double mean = sum / (double)rows;
        for (size_t r = 0; r < rows; r++) sq += (y[r * D + i] - mean) * (y[r * D + i] - mean);
        double sd = sqrt(sq / (double)rows);
        mean_lo = fmin(mean_lo, mean), mean_hi = fmax(mean_hi, mean);
        std_lo = fmin(std_lo, sd), std_hi = fmax(std_hi, sd);
    }
    printf("  %-13s %zu channels: mean %.4g .. %.4g, std %.4g .. %.4g\n", what, D, mean_lo,
           mean_hi, std_lo, std_hi);
}

/* Lag-1 autocorrelation of each latent, pooled over trials: how slow the dynamics are. */
static void summarise_latents(const double *z, size_t B, size_t T, size_t R) {
    printf("  latents       %zu dims:", R);
    for (size_t k = 0; k < R; k++) {
        double mean = 0.0, var = 0.0, cov = 0.0;
        for (size_t i = 0; i < B * T; i++) mean += z[i * R + k];
        mean /= (double)(B * T);
        for (size_t b = 0; b < B; b++)
            for (size_t t = 0; t < T; t++) {
                double d = z[(b * T + t) * R + k] - mean;
                var += d * d;
                if (t + 1 < T) cov += d * (z[(b * T + t + 1) * R + k] - mean);
            }
        printf(" z%zu std %.3g lag-1 corr %.3f%s", k + 1, sqrt(var / (double)(B * T)),
               var > 0 ? cov / var : 0.0, k + 1 < R ? "," : "\n");
    }
}

static lrnn_status load_inputs(sample_args *a, const lrnn_model_config *c, lrnn_dataset *in) {
    lrnn_status s = lrnn_dataset_load(a->inputs, a->input_layout, LRNN_NAN_ERROR, in);
    if (s) return s;
    if ((int)in->X != c->inputs)
        return lrnn_fail(LRNN_ERR_SHAPE, "%s: %zu input channels, the model takes %d", a->inputs,
                         in->X, c->inputs);
    a->params.trials = in->B;
    a->params.steps = in->T;
    a->params.inputs = in->y;
    return LRNN_OK;
}

static int run(sample_args *a) {
    lrnn_model *model = NULL;
    lrnn_dataset inputs = {0};
    double *latents = NULL, *rates = NULL, *obs = NULL;
    int rc = 1;
    if (lrnn_model_load(a->model, &model, NULL) != LRNN_OK) goto done;
    const lrnn_model_config *c = lrnn_model_config_of(model);
    if (a->inputs && load_inputs(a, c, &inputs) != LRNN_OK) goto done;
    if (lrnn_sample_params_check(&a->params, model) != LRNN_OK) goto done;
    size_t B = a->params.trials, T = a->params.steps, R = (size_t)c->rank;
    size_t X = (size_t)c->channels;
    latents = malloc(B * T * R * sizeof *latents);
    rates = malloc(B * T * X * sizeof *rates);
    obs = malloc(B * T * X * sizeof *obs);
    if (!latents || !rates || !obs) {
        lrnn_fail(LRNN_ERR_NOMEM, "cannot allocate outputs of %zu x %zu x %zu", B, T, X);
        goto done;
    }
    lrnn_sample_output out = {latents, rates, obs};
    double t0 = seconds_now();
    if (lrnn_model_sample(model, &a->params, &out) != LRNN_OK) goto done;
    double elapsed = seconds_now() - t0;
    if (save_btd(a->out, obs, B, T, X) != LRNN_OK ||
        (a->latents && save_btd(a->latents, latents, B, T, R) != LRNN_OK) ||
        (a->rates && save_btd(a->rates, rates, B, T, X) != LRNN_OK))
        goto done;
    printf("sampled %zu trial(s) x %zu steps (+%zu burn-in) from %s in %.3f s (seed %llu)\n", B,
           T, a->params.burn_in, a->model, elapsed, (unsigned long long)a->params.seed);
    printf("  observations  written to %s, shape (%zu, %zu, %zu), %s\n", a->out, B, T, X,
           c->obs == LRNN_OBS_POISSON ? "Poisson counts" : "Gaussian");
    summarise_channels("observations", obs, B * T, X);
    summarise_channels(c->obs == LRNN_OBS_POISSON ? "rates" : "means", rates, B * T, X);
    summarise_latents(latents, B, T, R);
    rc = 0;
done:
    if (rc) cli_report("sample");
    free(latents);
    free(rates);
    free(obs);
    lrnn_dataset_free(&inputs);
    lrnn_model_free(model);
    return rc;
}

int cmd_sample(int argc, char **argv) {
    sample_args a = {.input_layout = LRNN_LAYOUT_AUTO, .params = lrnn_sample_default_params()};
    cli_option options[] = {
        {"model", CLI_STRING, &a.model, "FILE", "model file (.h5)", true, NULL, false},
        {"steps", CLI_SIZE, &a.params.steps, "T", "kept time steps per trial", false, NULL, false},
        {"trials", CLI_SIZE, &a.params.trials, "B", "number of independent trials", false, NULL, false},
        {"burn-in", CLI_SIZE, &a.params.burn_in, "n", "steps simulated and discarded first", false, NULL, false},
        {"init", CLI_CHOICE, &a.params.init, NULL, "initial state z_0", false, &sample_init_choice, false},
        {"seed", CLI_U64, &a.params.seed, "S", "random seed", false, NULL, false},
        {"inputs", CLI_STRING, &a.inputs, "FILE", "inputs (B x T x U); sets --trials/--steps", false, NULL, false},
        {"input-layout", CLI_CHOICE, &a.input_layout, NULL, "axis order of the inputs file", false, &layout_choice, false},
        {"out", CLI_STRING, &a.out, "FILE", "observations, B x T x X (.npy/.csv/.h5:/path)", true, NULL, false},
        {"latents", CLI_STRING, &a.latents, "FILE", "also write latents, B x T x R", false, NULL, false},
        {"rates", CLI_STRING, &a.rates, "FILE", "also write rates/means, B x T x X", false, NULL, false},
    };
    cli_command cmd = {"sample", "--model model.h5 --out gen.npy [options]",
                       "Generate trials from a model (spec section 6): latents with process\n"
                       "noise, rates, and Gaussian or Poisson observations.",
                       options, (int)(sizeof options / sizeof options[0])};
    int rc = cli_parse(&cmd, argc, argv, NULL, 0, NULL);
    if (rc) return rc == 1 ? 0 : rc;
    return run(&a);
}
