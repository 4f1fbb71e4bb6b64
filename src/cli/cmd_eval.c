/* lrnn eval: metrics of a model on a recording. For now the per-step SMC bound ("elbo"). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "commands.h"
#include "lrnn/io.h"
#include "lrnn/model_file.h"
#include "run_dir.h"

typedef struct eval_args {
    data_args data;
    const char *model, *metric, *json;
    lrnn_smc_params smc;
    size_t window, batch;
    int repeats, threads;
    uint64_t seed;
} eval_args;

/* Per-step bound over every window of the data (consecutive windows of each trial), one
 * value per repeat. */
static lrnn_status elbo(const eval_args *a, const lrnn_model *model, const lrnn_dataset *d,
                        double *values) {
    size_t T = a->window && a->window < d->T ? a->window : d->T;
    size_t per_trial = d->T / T, windows = d->B * per_trial, X = d->X, U = d->U;
    size_t B = a->batch < windows ? a->batch : windows, tail = (size_t)a->smc.t_forward;
    lrnn_smc *smc = NULL;
    lrnn_status s = lrnn_smc_create(model, &a->smc, T, a->threads, &smc);
    if (s) return s;
    double *y = malloc(B * T * X * sizeof *y), *u = U ? malloc(B * T * U * sizeof *u) : NULL;
    uint8_t *mask = d->mask ? malloc(B * T * X) : NULL;
    size_t *len = malloc(B * sizeof *len), *start = malloc(windows * sizeof *start);
    if (!y || (U && !u) || (d->mask && !mask) || !len || !start)
        s = lrnn_fail(LRNN_ERR_NOMEM, "eval: out of memory");
    /* the windows (as offsets into the data) that hold more than the forward tail of a
     * variable-length trial */
    size_t used = 0;
    for (size_t w = 0; !s && w < windows; w++) {
        size_t trial = w / per_trial, at = (w % per_trial) * T;
        size_t n = d->lengths ? d->lengths[trial] : d->T;
        if (at + tail < n) start[used++] = trial * d->T + at;
    }
    for (int r = 0; !s && r < a->repeats; r++) {
        double sum = 0.0;
        size_t steps = 0;
        for (size_t first = 0, k = 0; !s && first < used; first += B, k++) {
            size_t count = used - first < B ? used - first : B;
            for (size_t b = 0; b < count; b++) {
                size_t src = start[first + b], trial = src / d->T;
                memcpy(y + b * T * X, d->y + src * X, T * X * sizeof *y);
                if (mask) memcpy(mask + b * T * X, d->mask + src * X, T * X);
                if (U) memcpy(u + b * T * U, d->u + src * U, T * U * sizeof *u);
                size_t left = d->lengths ? d->lengths[trial] - src % d->T : T;
                len[b] = left < T ? left : T;
                steps += len[b];
            }
            lrnn_batch batch = {.B = count, .T = T, .X = X, .U = U, .y = y, .mask = mask, .u = u,
                                .lengths = d->lengths ? len : NULL};
            double bound;
            uint64_t draw = (uint64_t)r * ((used + B - 1) / B) + k;
            s = lrnn_smc_bound(smc, model, &batch, a->seed, draw, &bound, NULL, NULL);
            for (size_t b = 0; b < count; b++) sum += bound * (double)len[b];
        }
        values[r] = sum / (double)steps;
    }
    free(y), free(u), free(mask), free(len), free(start);
    lrnn_smc_free(smc);
    return s;
}

static int run(eval_args *a) {
    lrnn_model *model = NULL;
    lrnn_dataset d = {0};
    double *values = malloc((size_t)a->repeats * sizeof *values);
    int rc = 1;
    if (!values || lrnn_model_load(a->model, &model, NULL) || cli_load_data(&a->data, &d) ||
        elbo(a, model, &d, values))
        goto done;
    double mean = 0.0, var = 0.0;
    for (int r = 0; r < a->repeats; r++) mean += values[r] / a->repeats;
    for (int r = 0; r < a->repeats; r++) var += (values[r] - mean) * (values[r] - mean);
    double se = a->repeats > 1 ? sqrt(var / (a->repeats - 1) / a->repeats) : NAN;
    printf("%-8s %-14s %-10s %s\n", "metric", "value", "std.err", "setting");
    printf("%-8s %-14.6f %-10.2g K = %d, %s proposal, %d repeat(s), per step\n", "elbo", mean, se,
           a->smc.particles, lrnn_proposal_name(a->smc.proposal), a->repeats);
    if (a->json) {
        json_t *root = json_pack("{s:{s:f, s:o?, s:i, s:i, s:s}}", "elbo", "value", mean,
                                 "std_err", isnan(se) ? NULL : json_real(se), "particles",
                                 a->smc.particles, "repeats", a->repeats, "proposal",
                                 lrnn_proposal_name(a->smc.proposal));
        char *text = json_dumps(root, JSON_INDENT(2) | JSON_REAL_PRECISION(17));
        json_decref(root);
        lrnn_status s = text ? lrnn_file_write_atomic(a->json, text, strlen(text))
                             : lrnn_fail(LRNN_ERR_NOMEM, "eval: cannot encode JSON");
        free(text);
        if (s) goto done;
    }
    rc = 0;
done:
    if (rc) cli_report("eval");
    free(values);
    lrnn_dataset_free(&d);
    lrnn_model_free(model);
    return rc;
}

int cmd_eval(int argc, char **argv) {
    eval_args a = {.metric = "elbo", .smc = lrnn_smc_default_params(), .batch = 16,
                   .repeats = 1, .seed = 1};
    a.smc.particles = 64;
    a.data.layout = LRNN_LAYOUT_AUTO;
    cli_option options[24];
    int n = cli_data_options(&a.data, options);
    n += cli_smc_options(&a.smc, options + n);
    const cli_option table[] = {
        {"model", CLI_STRING, &a.model, "FILE", "model file (.h5)", true, NULL, false},
        {"metric", CLI_STRING, &a.metric, "LIST", "metrics to compute: elbo", false, NULL, false},
        {"window", CLI_SIZE, &a.window, "T", "evaluate consecutive windows of T steps (0: whole trials)", false, NULL, false},
        {"batch", CLI_SIZE, &a.batch, "B", "windows per batch", false, NULL, false},
        {"repeats", CLI_INT, &a.repeats, "n", "independent filter runs averaged", false, NULL, false},
        {"seed", CLI_U64, &a.seed, "S", "random seed", false, NULL, false},
        {"threads", CLI_INT, &a.threads, "N", "threads (0: all)", false, NULL, false},
        {"json", CLI_STRING, &a.json, "FILE", "also write the results as JSON", false, NULL, false},
    };
    memcpy(options + n, table, sizeof table);
    n += (int)(sizeof table / sizeof table[0]);
    cli_command cmd = {"eval", "--model M --data FILE [--metric elbo] [options]",
                       "Evaluate a model on data: the per-step SMC bound on log p(data)\n"
                       "(other metrics come with the evaluation release).",
                       options, n};
    int rc = cli_parse(&cmd, argc, argv, NULL, 0, NULL);
    if (rc) return rc == 1 ? 0 : rc;
    if (strcmp(a.metric, "elbo") != 0) {
        fprintf(stderr, "lrnn eval: unknown metric '%s' (available: elbo)\n", a.metric);
        return 2;
    }
    if (a.repeats < 1 || a.batch == 0) {
        fprintf(stderr, "lrnn eval: --repeats and --batch must be positive\n");
        return 2;
    }
    return run(&a);
}
