/* lrnn fit: fit a stochastic low-rank RNN to a recording by variational SMC.
 * Run directory: model.h5 (model + history), state.h5 (optimiser), log.csv, config.json. */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "lrnn/fit.h"
#include "lrnn/io.h"
#include "lrnn/model_file.h"
#include "model/config_fields.h"
#include "run_dir.h"

CLI_CHOICE_DEFINE(optimizer_choice, lrnn_optim_kind, "radam|adam")

static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig) {
    (void)sig;
    interrupted = 1;
}

typedef struct fit_args {
    data_args data;
    lrnn_model_config model;
    lrnn_fit_params fit;
    const char *out, *resume, *init_model;
    int checkpoint_every, stop_after;
    bool quiet;
} fit_args;

static void path_in(const char *dir, const char *name, char *buf, size_t cap) {
    snprintf(buf, cap, "%s/%s", dir, name);
}

static json_t *fit_json(const fit_args *a) {
    const lrnn_fit_params *f = &a->fit;
    return json_pack("{s:s, s:s, s:s?, s:s, s:{s:i, s:s, s:s, s:s, s:f, s:i, s:s}, "
                     "s:{s:s, s:f, s:f, s:i, s:f}, s:I, s:I, s:I, s:f, s:i, s:I}",
                     "data", a->data.data, "layout", lrnn_layout_name(a->data.layout), "inputs",
                     a->data.inputs, "nan", a->data.nan ? a->data.nan : "mask", "smc",
                     "particles", f->smc.particles, "proposal", lrnn_proposal_name(f->smc.proposal),
                     "weights", lrnn_opt_weights_name(f->smc.weights), "resample",
                     lrnn_resample_name(f->smc.resample), "ess", f->smc.ess_threshold,
                     "t_forward", f->smc.t_forward, "encoder_precision",
                     lrnn_precision_name(f->smc.encoder_precision), "optimizer",
                     "kind", lrnn_optim_kind_name(f->optim.kind), "lr", f->optim.lr, "lr_end",
                     f->optim.lr_end, "epochs", f->optim.epochs, "clip", f->optim.clip_norm,
                     "batch", (json_int_t)f->batch, "window", (json_int_t)f->window,
                     "windows_per_epoch", (json_int_t)f->windows_per_epoch, "valid_frac",
                     f->valid_frac, "eval_every", f->eval_every, "seed", (json_int_t)f->seed);
}

/* config.json: everything that determines the run (the thread count does not). */
static char *effective_config(const fit_args *a, const lrnn_model_config *mc) {
    lrnn_config_field fields[LRNN_CONFIG_FIELD_COUNT];
    lrnn_model_config_fields(mc, fields);
    json_t *root = json_object();
    json_object_set_new(root, "lrnn_version", json_string(lrnn_version()));
    json_object_set_new(root, "fit", fit_json(a));
    json_object_set_new(root, "model", lrnn_config_fields_json(fields));
    char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
    json_decref(root);
    return text;
}

/* On resume, the flags must describe the run being resumed (else it would not continue it). */
static lrnn_status check_resume_config(const char *dir, const fit_args *a) {
    char path[4096];
    path_in(dir, "config.json", path, sizeof path);
    json_error_t err;
    json_t *saved = json_load_file(path, 0, &err);
    if (!saved) return lrnn_fail(LRNN_ERR_FORMAT, "%s: %s (line %d)", path, err.text, err.line);
    json_t *now = fit_json(a);
    json_t *was = json_object_get(saved, "fit");
    const char *key;
    json_t *value;
    lrnn_status s = LRNN_OK;
    json_object_foreach(now, key, value) {
        if (!json_equal(value, json_object_get(was, key))) {
            s = lrnn_fail(LRNN_ERR_ARG, "--resume %s: option '%s' differs from the run's "
                                        "config.json; resume with the same options",
                          dir, key);
            break;
        }
    }
    json_decref(now);
    json_decref(saved);
    return s;
}

static lrnn_status write_text(const char *path, const char *text) {
    return lrnn_file_write_atomic(path, text, strlen(text));
}

static lrnn_status open_log(const char *dir, const lrnn_history *h, FILE **out) {
    char path[4096];
    path_in(dir, "log.csv", path, sizeof path);
    FILE *f = fopen(path, "w");
    if (!f) return lrnn_fail(LRNN_ERR_IO, "%s: %s", path, strerror(errno));
    fprintf(f, "epoch,bound,valid_bound,lr,seconds\n");
    for (size_t i = 0; i < h->count; i++)
        fprintf(f, "%zu,%.10g,%.10g,%.6g,%.4f\n", i + 1, h->epoch_bound[i], h->valid_bound[i],
                h->lr[i], h->seconds[i]);
    fflush(f);
    *out = f;
    return LRNN_OK;
}

static void format_duration(double s, char *buf, size_t cap) {
    if (s < 60) snprintf(buf, cap, "%.0fs", s);
    else if (s < 3600) snprintf(buf, cap, "%dm%02ds", (int)(s / 60), (int)fmod(s, 60));
    else snprintf(buf, cap, "%dh%02dm", (int)(s / 3600), (int)fmod(s / 60, 60));
}

/* A progress bar that redraws itself on a terminal; plain lines (about 100 per run) otherwise. */
static void progress(const lrnn_epoch_report *r, int epochs, double elapsed, int done_before,
                     bool tty, double *last_valid) {
    if (!isnan(r->valid_bound)) *last_valid = r->valid_bound;
    int step = epochs > 100 ? epochs / 100 : 1;
    bool line = r->epoch == epochs || r->epoch % step == 0 || r->epoch == done_before + 1 ||
                !isnan(r->valid_bound);
    if (!tty && !line) return;
    double per = elapsed / (double)(r->epoch - done_before);
    char eta[32], valid[32] = "";
    format_duration(per * (double)(epochs - r->epoch), eta, sizeof eta);
    if (!isnan(*last_valid)) snprintf(valid, sizeof valid, " valid %.4f", *last_valid);
    if (tty) {
        int width = 24, filled = (int)((double)width * r->epoch / epochs);
        char bar[32];
        for (int i = 0; i < width; i++) bar[i] = i < filled ? '=' : (i == filled ? '>' : ' ');
        bar[width] = '\0';
        fprintf(stderr, "\r\033[Kepoch %d/%d [%s] bound %.4f%s lr %.2e %.3f s/epoch ETA %s",
                r->epoch, epochs, bar, r->bound, valid, r->lr, per, eta);
        if (r->epoch == epochs) fputc('\n', stderr);
    } else {
        fprintf(stderr, "epoch %d/%d bound %.4f%s lr %.2e %.3f s/epoch ETA %s\n", r->epoch,
                epochs, r->bound, valid, r->lr, per, eta);
    }
}

static lrnn_status prepare_dir(const char *dir, bool resume) {
    struct stat st;
    if (stat(dir, &st) == 0) {
        if (!S_ISDIR(st.st_mode)) return lrnn_fail(LRNN_ERR_IO, "%s: not a directory", dir);
        char path[4096];
        path_in(dir, "model.h5", path, sizeof path);
        if (!resume && access(path, F_OK) == 0)
            return lrnn_fail(LRNN_ERR_ARG, "%s already holds a fit; use --resume %s or another "
                                           "--out", dir, dir);
        return LRNN_OK;
    }
    if (resume) return lrnn_fail(LRNN_ERR_IO, "--resume %s: no such directory", dir);
    if (mkdir(dir, 0777) != 0) return lrnn_fail(LRNN_ERR_IO, "%s: %s", dir, strerror(errno));
    return LRNN_OK;
}

static lrnn_status setup_model(fit_args *a, const cli_command *cmd, const lrnn_dataset *d,
                               const char *dir, lrnn_model **model, lrnn_history *history) {
    char path[4096];
    path_in(dir, "model.h5", path, sizeof path);
    if (a->resume) return lrnn_model_load(path, model, history);
    if (a->init_model) return lrnn_model_load(a->init_model, model, NULL);
    if (!cli_seen(cmd, "channels")) a->model.channels = (int)d->X;
    if (!cli_seen(cmd, "inputs-dim")) a->model.inputs = (int)d->U;
    if (!cli_seen(cmd, "units") && a->model.readout == LRNN_READOUT_ONE_TO_ONE)
        a->model.units = (int)d->X;
    return lrnn_model_create(&a->model, model);
}

static int run(fit_args *a, const cli_command *cmd) {
    const char *dir = a->resume ? a->resume : a->out;
    lrnn_dataset data = {0};
    lrnn_model *model = NULL;
    lrnn_trainer *trainer = NULL;
    lrnn_history history = {0};
    FILE *log = NULL;
    char *config = NULL, model_path[4096], state_path[4096], config_path[4096];
    int rc = 1;
    path_in(dir, "model.h5", model_path, sizeof model_path);
    path_in(dir, "state.h5", state_path, sizeof state_path);
    path_in(dir, "config.json", config_path, sizeof config_path);
    if (prepare_dir(dir, a->resume != NULL) || (a->resume && check_resume_config(dir, a)) ||
        cli_load_data(&a->data, &data) || setup_model(a, cmd, &data, dir, &model, &history) ||
        lrnn_trainer_create(model, &data, &a->fit, &trainer) ||
        (a->resume && lrnn_trainer_restore(trainer, state_path, &history)))
        goto done;
    if (!a->resume) {
        config = effective_config(a, lrnn_model_config_of(model));
        if (!config || write_text(config_path, config)) goto done;
    }
    if (open_log(dir, lrnn_trainer_history(trainer), &log)) goto done;
    const lrnn_model_config *mc = lrnn_model_config_of(model);
    int epochs = a->fit.optim.epochs, start = lrnn_trainer_epochs_done(trainer);
    fprintf(stderr, "fitting rank-%d model (N = %d, X = %d) to %s: %zu x %zu x %zu, %zu training "
                    "and %zu validation windows of %zu steps, K = %d, %s proposal, epochs %d..%d\n",
            mc->rank, mc->units, mc->channels, a->data.data, data.B, data.T, data.X,
            lrnn_trainer_train_windows(trainer), lrnn_trainer_valid_windows(trainer),
            a->fit.window && a->fit.window < data.T ? a->fit.window : data.T,
            a->fit.smc.particles, lrnn_proposal_name(a->fit.smc.proposal), start + 1, epochs);
    signal(SIGINT, on_interrupt);
    bool tty = isatty(STDERR_FILENO) && !a->quiet;
    double elapsed = 0.0, last_valid = NAN;
    int last = a->stop_after > 0 && start + a->stop_after < epochs ? start + a->stop_after : epochs;
    for (int e = start; e < last && !interrupted; e++) {
        lrnn_epoch_report r;
        if (lrnn_trainer_epoch(trainer, &r)) {
            fprintf(stderr, "\n");
            cli_report("fit");
            fprintf(stderr, "lrnn fit: stopped; the last good checkpoint in %s is kept\n", dir);
            rc = 1;
            goto cleanup;
        }
        elapsed += r.seconds;
        fprintf(log, "%d,%.10g,%.10g,%.6g,%.4f\n", r.epoch, r.bound, r.valid_bound, r.lr, r.seconds);
        fflush(log);
        if (!a->quiet) progress(&r, epochs, elapsed, start, tty, &last_valid);
        bool checkpoint = a->checkpoint_every > 0 && r.epoch % a->checkpoint_every == 0;
        if ((checkpoint || r.epoch == last) && lrnn_trainer_save(trainer, model_path, state_path))
            goto done;
    }
    if (last < epochs && !interrupted) {
        fprintf(stderr, "stopped after epoch %d as asked; continue with --resume %s\n", last, dir);
        rc = 0;
        goto cleanup;
    }
    if (interrupted) {
        if (lrnn_trainer_save(trainer, model_path, state_path)) goto done;
        fprintf(stderr, "\nlrnn fit: interrupted after epoch %d; checkpoint saved, continue with "
                        "--resume %s\n", lrnn_trainer_epochs_done(trainer), dir);
        rc = 130;
        goto cleanup;
    }
    fprintf(stderr, "done: %s (%.1f s for %d epochs)\n", model_path, elapsed, epochs - start);
    rc = 0;
    goto cleanup;
done:
    cli_report("fit");
cleanup:
    if (log) fclose(log);
    free(config);
    lrnn_trainer_free(trainer);
    lrnn_model_free(model);
    lrnn_history_free(&history);
    lrnn_dataset_free(&data);
    return rc;
}

int cmd_fit(int argc, char **argv) {
    fit_args a = {.model = lrnn_model_default_config(), .fit = lrnn_fit_default_params(),
                  .checkpoint_every = 50};
    a.data.layout = LRNN_LAYOUT_AUTO;
    a.model.units = 512;
    cli_option options[80];
    int n = cli_data_options(&a.data, options);
    n += cli_model_options(&a.model, options + n, 40);
    /* the model's input dimension comes from --inputs; its flag is renamed to avoid a clash */
    for (int i = 0; i < n; i++)
        if (!strcmp(options[i].name, "inputs") && options[i].kind == CLI_INT) options[i].name = "inputs-dim";
    for (int i = 0; i < n; i++)
        if (!strcmp(options[i].name, "rank")) options[i].required = false;
    n += cli_smc_options(&a.fit.smc, options + n);
    const cli_option fit_table[] = {
        {"batch", CLI_SIZE, &a.fit.batch, "B", "windows per batch", false, NULL, false},
        {"window", CLI_SIZE, &a.fit.window, "T", "window length (0: whole trials)", false, NULL, false},
        {"windows-per-epoch", CLI_SIZE, &a.fit.windows_per_epoch, "W", "windows per epoch (0: one per training trial, or recording length / T)", false, NULL, false},
        {"epochs", CLI_INT, &a.fit.optim.epochs, "E", "epochs", false, NULL, false},
        {"lr", CLI_DOUBLE, &a.fit.optim.lr, "LR", "initial learning rate", false, NULL, false},
        {"lr-end", CLI_DOUBLE, &a.fit.optim.lr_end, "LR", "final learning rate (exponential decay)", false, NULL, false},
        {"optimizer", CLI_CHOICE, &a.fit.optim.kind, NULL, "optimiser", false, &optimizer_choice, false},
        {"clip", CLI_DOUBLE, &a.fit.optim.clip_norm, "C", "global gradient-norm clipping (0: off)", false, NULL, false},
        {"valid-frac", CLI_DOUBLE, &a.fit.valid_frac, "F", "held-out trials (or end of a recording)", false, NULL, false},
        {"eval-every", CLI_INT, &a.fit.eval_every, "E", "epochs between validation bounds", false, NULL, false},
        {"seed", CLI_U64, &a.fit.seed, "S", "seed of windows, batches and particles", false, NULL, false},
        {"threads", CLI_INT, &a.fit.threads, "N", "threads over the trials of a batch (0: all)", false, NULL, false},
        {"checkpoint-every", CLI_INT, &a.checkpoint_every, "E", "epochs between checkpoints (and at the end)", false, NULL, false},
        {"out", CLI_STRING, &a.out, "DIR", "run directory (created)", false, NULL, false},
        {"init-model", CLI_STRING, &a.init_model, "FILE", "start from this model file (its config; model flags ignored)", false, NULL, false},
        {"resume", CLI_STRING, &a.resume, "DIR", "continue the run in DIR (same options)", false, NULL, false},
        {"stop-after", CLI_INT, &a.stop_after, "E", "stop (with a checkpoint) after E epochs of this invocation", false, NULL, false},
        {"quiet", CLI_BOOL, &a.quiet, NULL, "no progress output", false, NULL, false},
    };
    memcpy(options + n, fit_table, sizeof fit_table);
    n += (int)(sizeof fit_table / sizeof fit_table[0]);
    cli_command cmd = {"fit", "--data FILE --rank R --out DIR [options]",
                       "Fit a stochastic low-rank RNN by variational SMC (Pals et al. 2024):\n"
                       "maximise the particle-filter bound on log p(data) with RAdam/Adam.\n"
                       "Writes DIR/model.h5, DIR/state.h5, DIR/log.csv and DIR/config.json.",
                       options, n};
    int rc = cli_parse(&cmd, argc, argv, NULL, 0, NULL);
    if (rc) return rc == 1 ? 0 : rc;
    if (!a.out == !a.resume) {
        fprintf(stderr, "lrnn fit: give exactly one of --out DIR and --resume DIR\n");
        return 2;
    }
    if (!a.resume && !a.init_model && !cli_seen(&cmd, "rank")) {
        fprintf(stderr, "lrnn fit: missing required option --rank\n");
        return 2;
    }
    if (cli_model_encoder_apply(&a.model, a.fit.smc.proposal == LRNN_PROPOSAL_ENCODER))
        return cli_report("fit");
    return run(&a, &cmd);
}
