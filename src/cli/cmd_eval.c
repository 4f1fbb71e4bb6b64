/* lrnn eval: metrics of a model on a recording (docs/metrics.md, section "lrnn eval"):
 *   elbo                       per-step SMC bound
 *   dstsp, dh, rates, isi, corr  generated data vs the recording (generation protocol below)
 *   pe                         n-step prediction error from the filtering posterior
 *   cobps, fpbps               bits per spike of held-out channels / forward-prediction bins
 * Generation protocol (spec §6, §8.3): one generated trial per data trial, of the data's
 * length and inputs, started from a posterior sample (or mean) of z_0 given the trial's first
 * step, or from the prior (--init); --burn-in steps are simulated and discarded first;
 * optional Hann smoothing of the generated data and z-scoring of both (EEG protocol). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "commands.h"
#include "lrnn/io.h"
#include "lrnn/model_file.h"
#include "lrnn/posterior.h"
#include "lrnn/sample.h"
#include "metrics_cli.h"
#include "run_dir.h"

typedef struct eval_args {
    data_args data;
    const char *model, *metric, *json;
    lrnn_smc_params smc;
    size_t window, batch;
    int repeats, threads;
    uint64_t seed;
    metrics_opts o;
    const char *init; /* posterior_sample | posterior_mean | prior_sample | prior_mean */
    size_t burn_in;
    int pe_steps;
    bool smooth;
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
            lrnn_batch batch = {.B = count,
                                .T = T,
                                .X = X,
                                .U = U,
                                .y = y,
                                .mask = mask,
                                .u = u,
                                .lengths = d->lengths ? len : NULL};
            double bound;
            uint64_t draw = (uint64_t)r * ((used + B - 1) / B) + k;
            s = lrnn_smc_bound(smc, model, &batch, a->seed, draw, &bound, NULL, NULL);
            for (size_t b = 0; b < count; b++)
                sum += bound * (double)len[b];
        }
        values[r] = sum / (double)steps;
    }
    free(y), free(u), free(mask), free(len), free(start);
    lrnn_smc_free(smc);
    return s;
}

enum { E_ELBO = METRIC_GEN_COUNT, E_PE, E_COBPS, E_FPBPS, E_COUNT };
static const char *const extra_names[] = {"elbo", "pe", "cobps", "fpbps"};
#define METRIC_LIST "elbo, dstsp, dh, rates, isi, corr, pe, cobps, fpbps"

static const char *metric_name(int m) {
    return m < METRIC_GEN_COUNT ? metric_gen_names[m] : extra_names[m - METRIC_GEN_COUNT];
}

static int parse_metrics(const char *list, bool *want) {
    char buf[256];
    if (strlen(list) >= sizeof buf || !*list) {
        fprintf(stderr, "lrnn eval: bad --metric list '%s' (available: " METRIC_LIST ")\n", list);
        return -1;
    }
    strcpy(buf, list);
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        int k = 0;
        while (k < E_COUNT && strcmp(tok, metric_name(k)))
            k++;
        if (k == E_COUNT) {
            fprintf(stderr, "lrnn eval: unknown metric '%s' (available: " METRIC_LIST ")\n", tok);
            return -1;
        }
        want[k] = true;
    }
    return 0;
}

static size_t trial_len(const lrnn_dataset *d, size_t b) {
    return d->lengths ? d->lengths[b] : d->T;
}

static lrnn_posterior_params post_params(const eval_args *a) {
    lrnn_posterior_params p = lrnn_posterior_default_params();
    p.smc = a->smc, p.threads = a->threads;
    p.smc.t_forward = 0; /* --t-forward is for the elbo and the forward bins of fpbps only */
    return p;
}

/* Generated data for the generation metrics (protocol in the header comment). */
static lrnn_status generate(const eval_args *a, const lrnn_model *model, const lrnn_dataset *d,
                            double *gen) {
    const lrnn_model_config *c = lrnn_model_config_of(model);
    size_t B = d->B, T = d->T, R = (size_t)c->rank, X = d->X, U = d->U;
    lrnn_sample_params sp = lrnn_sample_default_params();
    sp.trials = B, sp.steps = T, sp.burn_in = a->burn_in, sp.seed = a->seed, sp.inputs = d->u;
    lrnn_sample_output so = {.observations = gen};
    lrnn_status s;
    if (!strncmp(a->init, "prior_", 6)) {
        if ((s = lrnn_sample_init_parse(a->init, &sp.init))) return s;
        s = lrnn_model_sample(model, &sp, &so);
    } else {
        /* z_0 from the filter on each trial's first step: p(z_0 | y_0) */
        bool sample = !strcmp(a->init, "posterior_sample");
        double *y0 = malloc(B * X * sizeof *y0), *u0 = U ? malloc(B * U * sizeof *u0) : NULL;
        double *z0 = malloc(B * R * sizeof *z0);
        uint8_t *m0 = d->mask ? malloc(B * X) : NULL;
        if (!y0 || !z0 || (U && !u0) || (d->mask && !m0)) {
            free(y0), free(u0), free(z0), free(m0);
            return lrnn_fail(LRNN_ERR_NOMEM, "eval: out of memory");
        }
        for (size_t b = 0; b < B; b++) {
            memcpy(y0 + b * X, d->y + b * T * X, X * sizeof *y0);
            if (m0) memcpy(m0 + b * X, d->mask + b * T * X, X);
            if (U) memcpy(u0 + b * U, d->u + b * T * U, U * sizeof *u0);
        }
        lrnn_dataset first = {.B = B, .T = 1, .X = X, .U = U, .y = y0, .mask = m0, .u = u0};
        lrnn_posterior_params p = post_params(a);
        p.samples = sample ? 1 : 0;
        lrnn_posterior_output out = {.latents_filter = sample ? NULL : z0,
                                     .samples = sample ? z0 : NULL};
        s = metrics_posterior_all(model, &p, &first, NULL, a->batch, a->seed, &out, NULL, false);
        if (!s) s = lrnn_posterior_generate(model, z0, &sp, &so);
        free(y0), free(u0), free(z0), free(m0);
    }
    if (s) return s;
    for (size_t b = 0; b < B; b++) /* the padding of short trials stays out of the metrics */
        for (size_t t = trial_len(d, b); t < T; t++)
            for (size_t i = 0; i < X; i++)
                gen[(b * T + t) * X + i] = NAN;
    return LRNN_OK;
}

static lrnn_status gen_metrics(const eval_args *a, const bool *want, const lrnn_model *model,
                               const lrnn_dataset *d, json_t *root) {
    metrics_series real = {0}, gen = {0};
    lrnn_status s = metrics_series_from(d, a->data.data, &real);
    if (s) return s;
    gen.y = malloc(d->B * d->T * d->X * sizeof *gen.y);
    gen.view = (lrnn_eval_data){d->B, d->T, d->X, gen.y, "generated data"};
    if (!gen.y) s = lrnn_fail(LRNN_ERR_NOMEM, "eval: out of memory");
    if (!s) s = generate(a, model, d, gen.y);
    if (!s) s = metrics_generated(&a->o, want, &real, &gen, root);
    if (!s)
        json_object_set_new(root, "generation",
                            json_pack("{s:s, s:I, s:I, s:b, s:b}", "init", a->init, "burn_in",
                                      (json_int_t)a->burn_in, "smooth_hann", (json_int_t)a->o.hann,
                                      "zscore", a->o.zscore, "inputs", d->U > 0));
    free(real.y), free(gen.y);
    return s;
}

/* Mean squared error of the n-step predictions over observed entries. */
static lrnn_status prediction_error(const eval_args *a, const lrnn_model *model,
                                    const lrnn_dataset *d, json_t *root) {
    size_t n = d->B * d->T * d->X;
    double *pred = malloc(n * sizeof *pred);
    if (!pred) return lrnn_fail(LRNN_ERR_NOMEM, "eval: out of memory");
    lrnn_posterior_params p = post_params(a);
    p.predict_steps = a->pe_steps;
    lrnn_posterior_output out = {.predicted = pred};
    lrnn_status s = metrics_posterior_all(model, &p, d, NULL, a->batch, a->seed, &out, NULL, false);
    double sum = 0.0, sq = 0.0;
    size_t used = 0;
    for (size_t i = 0; !s && i < n; i++) {
        if (!isfinite(pred[i]) || (d->mask && !d->mask[i])) continue;
        double e = (pred[i] - d->y[i]) * (pred[i] - d->y[i]);
        sum += e, sq += e * e, used++;
    }
    free(pred);
    if (s) return s;
    if (!used)
        return lrnn_fail(LRNN_ERR_SHAPE, "pe: no step has %d steps before it (T = %zu)",
                         a->pe_steps, d->T);
    double mse = sum / (double)used, var = sq / (double)used - mse * mse;
    double se = used > 1 ? sqrt(var / (double)(used - 1)) : NAN;
    char setting[200];
    snprintf(setting, sizeof setting,
             "MSE of %d-step predictions (filter at t, noise-free), %zu entries, K = %d",
             a->pe_steps, used, a->smc.particles);
    metrics_row("pe", mse, se, setting);
    json_object_set_new(root, "pe",
                        json_pack("{s:o, s:o, s:i, s:I, s:i}", "value", metrics_json_num(mse),
                                  "std_err", metrics_json_num(se), "steps", a->pe_steps, "entries",
                                  (json_int_t)used, "particles", a->smc.particles));
    return LRNN_OK;
}

/* cobps and fpbps from one posterior run that sees neither the held-out channels nor the last
 * t_forward steps of any trial. */
static lrnn_status bits_per_spike(const eval_args *a, const bool *want, const lrnn_model *model,
                                  const lrnn_dataset *d, json_t *root) {
    const lrnn_model_config *c = lrnn_model_config_of(model);
    size_t B = d->B, T = d->T, X = d->X, H = (size_t)c->heldout_channels;
    size_t F = (size_t)a->smc.t_forward, n = B * T * X;
    if (want[E_COBPS] && H == 0)
        return lrnn_fail(LRNN_ERR_ARG, "cobps: the model has no held-out channels "
                                       "(heldout_channels = 0)");
    if (want[E_FPBPS] && F == 0)
        return lrnn_fail(LRNN_ERR_ARG, "fpbps: needs --t-forward > 0 forward-prediction bins");
    for (size_t b = 0; b < B; b++)
        if (trial_len(d, b) <= F)
            return lrnn_fail(LRNN_ERR_SHAPE,
                             "fpbps: trial %zu has %zu steps, not more than "
                             "--t-forward %zu",
                             b, trial_len(d, b), F);
    uint8_t *mask = malloc(n);
    double *rates = malloc(n * sizeof *rates), *counts = malloc(n * sizeof *counts);
    lrnn_status s = LRNN_OK;
    if (!mask || !rates || !counts) {
        s = lrnn_fail(LRNN_ERR_NOMEM, "eval: out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        size_t b = i / (T * X), t = i / X % T, x = i % X;
        mask[i] = (!d->mask || d->mask[i]) && x + H < X && t + F < trial_len(d, b);
    }
    lrnn_posterior_params p = post_params(a);
    p.smooth = a->smooth;
    /* the forward bins are masked above; the filter also stops resampling there (spec 3.5) */
    p.smc.t_forward = a->smc.t_forward;
    lrnn_posterior_output out = {.rates_filter = a->smooth ? NULL : rates,
                                 .rates_smooth = a->smooth ? rates : NULL};
    if ((s = metrics_posterior_all(model, &p, d, mask, a->batch, a->seed, &out, NULL, false)))
        goto done;
    for (int m = E_COBPS; m <= E_FPBPS; m++) {
        if (!want[m]) continue;
        /* counts on the evaluated entries only (held-out channels on the seen bins, or every
         * channel on the forward bins); NaN elsewhere is skipped by lrnn_bps_compute */
        for (size_t i = 0; i < n; i++) {
            size_t b = i / (T * X), t = i / X % T, x = i % X, L = trial_len(d, b);
            bool seen = !d->mask || d->mask[i];
            bool on = m == E_COBPS ? x + H >= X && t + F < L : t + F >= L && t < L;
            counts[i] = seen && on ? d->y[i] : NAN;
        }
        lrnn_eval_data view = {B, T, X, counts, a->data.data};
        double bps;
        if ((s = lrnn_bps_compute(&view, rates, NULL, 0, 0, 0, &bps))) goto done;
        char setting[200];
        if (m == E_COBPS)
            snprintf(setting, sizeof setting, "held-out channels %zu..%zu, %s rates, K = %d", X - H,
                     X - 1, a->smooth ? "smoothed" : "filtered", a->smc.particles);
        else
            snprintf(setting, sizeof setting, "last %zu steps of each trial, all channels, K = %d",
                     F, a->smc.particles);
        metrics_row(metric_name(m), bps, NAN, setting);
        json_object_set_new(root, metric_name(m),
                            json_pack("{s:o, s:I, s:I, s:b}", "value", metrics_json_num(bps),
                                      "heldout_channels", (json_int_t)H, "t_forward", (json_int_t)F,
                                      "smoothed", a->smooth));
    }
done:
    free(mask), free(rates), free(counts);
    return s;
}

static int run(eval_args *a, const bool *want) {
    lrnn_model *model = NULL;
    lrnn_dataset d = {0};
    double *values = malloc((size_t)a->repeats * sizeof *values);
    json_t *root = json_object();
    int rc = 1;
    lrnn_status s = values ? LRNN_OK : lrnn_fail(LRNN_ERR_NOMEM, "eval: out of memory");
    if (!s) s = lrnn_model_load(a->model, &model, NULL);
    if (!s) s = cli_load_data(&a->data, &d);
    if (!s) {
        const lrnn_model_config *c = lrnn_model_config_of(model);
        if (d.X != (size_t)c->channels)
            s = lrnn_fail(LRNN_ERR_SHAPE,
                          "%s has %zu channels, which does not fit the model %s (%d channels)",
                          a->data.data, d.X, a->model, c->channels);
    }
    if (s) goto done;
    metrics_header();
    if (want[E_ELBO]) {
        if ((s = elbo(a, model, &d, values))) goto done;
        double mean = 0.0, var = 0.0;
        for (int r = 0; r < a->repeats; r++)
            mean += values[r] / a->repeats;
        for (int r = 0; r < a->repeats; r++)
            var += (values[r] - mean) * (values[r] - mean);
        double se = a->repeats > 1 ? sqrt(var / (a->repeats - 1) / a->repeats) : NAN;
        char setting[160];
        snprintf(setting, sizeof setting, "K = %d, %s proposal, %d repeat(s), per step",
                 a->smc.particles, lrnn_proposal_name(a->smc.proposal), a->repeats);
        metrics_row("elbo", mean, se, setting);
        json_object_set_new(root, "elbo",
                            json_pack("{s:f, s:o, s:i, s:i, s:s}", "value", mean, "std_err",
                                      metrics_json_num(se), "particles", a->smc.particles,
                                      "repeats", a->repeats, "proposal",
                                      lrnn_proposal_name(a->smc.proposal)));
    }
    bool any_gen = false;
    for (int m = 0; m < METRIC_GEN_COUNT; m++)
        any_gen |= want[m];
    if (any_gen && (s = gen_metrics(a, want, model, &d, root))) goto done;
    if (want[E_PE] && (s = prediction_error(a, model, &d, root))) goto done;
    if ((want[E_COBPS] || want[E_FPBPS]) && (s = bits_per_spike(a, want, model, &d, root)))
        goto done;
    if (a->json) {
        json_object_set_new(root, "data", json_string(a->data.data));
        json_object_set_new(root, "model", json_string(a->model));
        json_object_set_new(root, "seed", json_integer((json_int_t)a->seed));
        if ((s = metrics_write_json(a->json, root))) goto done;
    }
    rc = 0;
done:
    if (rc) cli_report("eval");
    json_decref(root);
    free(values);
    lrnn_dataset_free(&d);
    lrnn_model_free(model);
    return rc;
}

CLI_CHOICE_DEFINE(eval_dstsp_method_choice, lrnn_dstsp_method, "auto|gmm|bins")

int cmd_eval(int argc, char **argv) {
    eval_args a = {.metric = "elbo",
                   .smc = lrnn_smc_default_params(),
                   .batch = 16,
                   .repeats = 1,
                   .seed = 1,
                   .init = "posterior_sample",
                   .pe_steps = 1,
                   .o = {.dstsp = lrnn_dstsp_default_params(),
                         .dh = lrnn_dh_default_params(),
                         .dt = 1.0,
                         .isi_min = 2}};
    a.smc.particles = 64;
    a.data.layout = LRNN_LAYOUT_AUTO;
    int cutoff = 0;
    cli_option options[48];
    int n = cli_data_options(&a.data, options);
    n += cli_smc_options(&a.smc, options + n);
    /* clang-format off */
    const cli_option table[] = {
        {"model", CLI_STRING, &a.model, "FILE", "model file (.h5)", true, NULL, false},
        {"metric", CLI_STRING, &a.metric, "LIST", "comma-separated: " METRIC_LIST, false, NULL, false},
        {"window", CLI_SIZE, &a.window, "T", "elbo: consecutive windows of T steps (0: whole trials)", false, NULL, false},
        {"batch", CLI_SIZE, &a.batch, "B", "windows / trials per filter batch", false, NULL, false},
        {"repeats", CLI_INT, &a.repeats, "n", "elbo: independent filter runs averaged", false, NULL, false},
        {"seed", CLI_U64, &a.seed, "S", "random seed (filter and generation)", false, NULL, false},
        {"threads", CLI_INT, &a.threads, "N", "threads (0: all)", false, NULL, false},
        {"json", CLI_STRING, &a.json, "FILE", "also write the results as JSON", false, NULL, false},
        {"init", CLI_STRING, &a.init, "MODE", "generation start: posterior_sample|posterior_mean (given the first step) or prior_sample|prior_mean", false, NULL, false},
        {"burn-in", CLI_SIZE, &a.burn_in, "N", "generation: steps simulated and discarded first", false, NULL, false},
        {"smooth-hann", CLI_SIZE, &a.o.hann, "W", "smooth the generated data with a Hann window of W steps (0: off)", false, NULL, false},
        {"zscore", CLI_BOOL, &a.o.zscore, NULL, "z-score the data and the generated data (after smoothing)", false, NULL, false},
        {"dstsp-method", CLI_CHOICE, &a.o.dstsp.method, NULL, "auto: histograms below 6 channels, kernel mixtures otherwise", false, &eval_dstsp_method_choice, false},
        {"dstsp-std", CLI_DOUBLE, &a.o.dstsp.kernel_std, "S", "D_stsp kernel standard deviation", false, NULL, false},
        {"dstsp-samples", CLI_SIZE, &a.o.dstsp.samples, "N", "D_stsp Monte-Carlo draws", false, NULL, false},
        {"dh-sigma", CLI_DOUBLE, &a.o.dh.sigma, "S", "D_H Gaussian smoothing of the spectra, in bins (0: none)", false, NULL, false},
        {"dh-cutoff", CLI_INT, &cutoff, "K", "D_H: keep K frequency bins (< 0: drop the last -K; 0: all)", false, NULL, false},
        {"dt", CLI_DOUBLE, &a.o.dt, "SEC", "bin width for rates and ISIs (1: per bin)", false, NULL, false},
        {"isi-min", CLI_INT, &a.o.isi_min, "N", "fewest intervals for a channel's ISI statistics", false, NULL, false},
        {"pe-steps", CLI_INT, &a.pe_steps, "n", "pe: predict n steps ahead", false, NULL, false},
        {"smooth", CLI_BOOL, &a.smooth, NULL, "cobps/fpbps: rates from the particle smoother instead of the filter", false, NULL, false},
    };
    /* clang-format on */
    memcpy(options + n, table, sizeof table);
    n += (int)(sizeof table / sizeof table[0]);
    cli_command cmd = {"eval", "--model M --data FILE [--metric elbo,dstsp,...] [options]",
                       "Evaluate a model on data: the per-step SMC bound, generated-vs-real\n"
                       "metrics (D_stsp, D_H, spike statistics), n-step prediction error and\n"
                       "bits per spike (co-smoothing, forward prediction). EEG protocol:\n"
                       "--burn-in 2400 --smooth-hann 15 --zscore --dh-cutoff -1\n"
                       "(docs/metrics.md, section \"lrnn eval\").",
                       options, n};
    int rc = cli_parse(&cmd, argc, argv, NULL, 0, NULL);
    if (rc) return rc == 1 ? 0 : rc;
    a.o.dh.cutoff = cutoff;
    a.o.dstsp.seed = a.seed;
    bool want[E_COUNT] = {false};
    if (parse_metrics(a.metric, want)) return 2;
    if (a.repeats < 1 || a.batch == 0) {
        fprintf(stderr, "lrnn eval: --repeats and --batch must be positive\n");
        return 2;
    }
    if (strcmp(a.init, "posterior_sample") && strcmp(a.init, "posterior_mean") &&
        strcmp(a.init, "prior_sample") && strcmp(a.init, "prior_mean")) {
        fprintf(stderr,
                "lrnn eval: --init must be posterior_sample, posterior_mean, "
                "prior_sample or prior_mean, not '%s'\n",
                a.init);
        return 2;
    }
    if (a.pe_steps < 1) {
        fprintf(stderr, "lrnn eval: --pe-steps must be >= 1\n");
        return 2;
    }
    if (lrnn_dstsp_params_check(&a.o.dstsp) || lrnn_dh_params_check(&a.o.dh)) {
        fprintf(stderr, "lrnn eval: %s\n", lrnn_last_error());
        return 2;
    }
    if (!(a.o.dt > 0.0) || a.o.isi_min < 1) {
        fprintf(stderr, "lrnn eval: --dt must be > 0 and --isi-min >= 1\n");
        return 2;
    }
    return run(&a, want);
}
