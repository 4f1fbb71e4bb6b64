/* lrnn task train: train a teacher rate network on a cognitive task (spec lint_method.md 4.6)
 * and write it as a LINT model file that remembers the task, so `lrnn lint fit / eval`
 * regenerate the same training and validation trials. Also holds the progress and JSON
 * helpers shared with cmd_lint.c (declared again there). */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "lint_cli.h"
#include "lrnn/io.h"
#include "lrnn/lint.h"
#include "lrnn/lint_file.h"
#include "lrnn/task.h"

CLI_CHOICE_DEFINE(task_choice, lrnn_task_kind, "rdm|romo|cdm|dms|raposo")

/* ---- helpers shared with cmd_lint.c (lint_cli.h) ---- */

void cli_lint_duration(double s, char *buf, size_t cap) {
    if (s < 60)
        snprintf(buf, cap, "%.0fs", s);
    else if (s < 3600)
        snprintf(buf, cap, "%dm%02ds", (int)(s / 60), (int)fmod(s, 60));
    else
        snprintf(buf, cap, "%dh%02dm", (int)(s / 3600), (int)fmod(s / 60, 60));
}

/* Epoch, loss, best loss, s/epoch and ETA: a redrawn line on a terminal, else plain lines
 * (about 100 per run), as `lrnn fit` does. */
int cli_lint_progress_print(const lrnn_lint_progress *p, void *user) {
    cli_lint_progress *c = user;
    c->elapsed += p->seconds;
    if (c->quiet) return 0;
    int e = p->epoch + 1, step = p->epochs > 100 ? p->epochs / 100 : 1;
    bool line = e == p->epochs || e % step == 0 || e == 1;
    if (!c->tty && !line) return 0;
    double per = c->elapsed / e;
    char eta[32];
    cli_lint_duration(per * (p->epochs - e), eta, sizeof eta);
    if (c->tty) {
        int width = 24, filled = (int)((double)width * e / p->epochs);
        char bar[32];
        for (int i = 0; i < width; i++)
            bar[i] = i < filled ? '=' : (i == filled ? '>' : ' ');
        bar[width] = '\0';
        fprintf(stderr, "\r\033[K%s epoch %d/%d [%s] loss %.4g best %.4g %.3f s/epoch ETA %s",
                c->what, e, p->epochs, bar, p->loss, p->best_loss, per, eta);
        if (e == p->epochs) fputc('\n', stderr);
    } else {
        fprintf(stderr, "%s epoch %d/%d loss %.4g best %.4g %.3f s/epoch ETA %s\n", c->what, e,
                p->epochs, p->loss, p->best_loss, per, eta);
    }
    return 0;
}

lrnn_status cli_lint_write_json(const char *path, json_t *root) {
    char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
    lrnn_status s = text ? lrnn_file_write_atomic(path, text, strlen(text))
                         : lrnn_fail(LRNN_ERR_NOMEM, "cannot encode the JSON results for %s", path);
    free(text);
    return s;
}

/* The input noise of the task's sensory channels (task.h noise_std). */
static lrnn_status task_set_input_noise(lrnn_task_params *p, double noise) {
    switch (p->kind) {
    case LRNN_TASK_RDM:
        p->rdm.noise_std = noise;
        break;
    case LRNN_TASK_ROMO:
        p->romo.noise_std = noise;
        break;
    case LRNN_TASK_CDM:
        p->cdm.noise_std = noise;
        break;
    case LRNN_TASK_DMS:
        p->dms.noise_std = noise;
        break;
    case LRNN_TASK_RAPOSO:
        p->raposo.noise_std = noise;
        break;
    }
    return lrnn_task_params_check(p);
}

/* ---- teacher recipes (spec 4.6) ---- */

typedef struct recipe {
    int rank;   /* 0: full rank */
    int epochs; /* main stage */
    double lr, clip, early_stop;
    int pretrain_epochs;   /* full-rank pretraining before the SVD initialisation (low rank) */
    double pretrain_lr;    /* -1: 1e-2 / sqrt(N) (romo); -2: 0.064 / N (dms) */
    double pretrain_noise; /* network noise of the pretraining */
    double rho;            /* full rank: wrec ~ N(0, rho^2 / N) */
    int stages;            /* dms: delay curriculum, longest delays in ms (0: the task's) */
    double curriculum[3];
} recipe;

/* rdm: the DM teacher's recipe is not in the reference (4.6); the CDM rank-1 recipe is used.
 * romo: FullRank(sigma 5e-3) 5 epochs at lr 1e-2/sqrt(N), SVD init of rank 2, 100 epochs lr
 * 1e-2, clip 1, early stop 1e-3. dms: FullRank pretraining 50 epochs (lr 1e-5, early stop 0.05),
 * then rank 2 through the reference's delay curriculum (longest delay 700, 1000 ms, then the
 * task's own), each stage up to E epochs at lr 1e-2, clip 1, early stop 0.05. Deviations: the
 * pretraining also runs the curriculum, at lr 0.064 / N (1e-3 at N = 64, 1.25e-4 at N = 512;
 * the reference's 1e-5 does not move a small network; with delays up to 3000 ms from the start
 * nothing learns the task, measured at N = 64), and the reference's first low-rank stage clip of 0.01 is 1. Full rank (--rank full):
 * the many-teachers recipes (CDM 30 epochs lr 1e-4; DMS rho 0.8, 50 epochs lr 1e-4, with the
 * curriculum). */
static recipe task_recipe(lrnn_task_kind kind, bool full) {
    recipe r = {.rank = 1,
                .epochs = 100,
                .lr = 1e-2,
                .clip = 1.0,
                .early_stop = 0.0,
                .pretrain_epochs = 0,
                .pretrain_lr = 1e-2,
                .pretrain_noise = 0.05,
                .rho = 1.0};
    switch (kind) {
    case LRNN_TASK_ROMO:
        r.rank = 2, r.early_stop = 1e-3, r.pretrain_epochs = 5, r.pretrain_lr = -1.0;
        r.pretrain_noise = 5e-3;
        break;
    case LRNN_TASK_DMS:
        r.rank = 2, r.early_stop = 0.05, r.pretrain_epochs = 50, r.pretrain_lr = -2.0;
        r.rho = 0.8, r.stages = 3;
        r.curriculum[0] = 700, r.curriculum[1] = 1000, r.curriculum[2] = 0;
        break;
    default:
        break;
    }
    if (full) {
        r.rank = 0, r.pretrain_epochs = 0, r.lr = 1e-4;
        r.epochs = kind == LRNN_TASK_CDM ? 30 : 50;
    }
    return r;
}

typedef struct task_args {
    lrnn_task_kind task;
    const char *rank, *out, *json;
    int units, epochs, pretrain_epochs;
    double lr, clip, early_stop, pretrain_lr, noise, input_noise, valid_frac, min_accuracy, rho;
    double delay_max;
    size_t batch, trials;
    uint64_t seed;
    bool quiet, curriculum;
} task_args;

static lrnn_status train_stage(lrnn_lint_rnn *rnn, const lrnn_lint_data *d, const task_args *a,
                               int epochs, double lr, double clip, double early_stop, uint64_t seed,
                               const char *what, lrnn_lint_train_result *res) {
    cli_lint_progress pr = {what, isatty(STDERR_FILENO) != 0, a->quiet, 0.0};
    lrnn_lint_train_params tp = lrnn_lint_train_default_params();
    tp.epochs = epochs, tp.lr = lr, tp.clip = clip, tp.early_stop = early_stop;
    tp.batch_size = a->batch, tp.seed = seed, tp.keep_best = true;
    tp.progress = cli_lint_progress_print, tp.user = &pr;
    lrnn_status s = lrnn_lint_data_check(rnn, d);
    if (s) return lrnn_fail_context(s, "task data of the %s", what);
    s = lrnn_lint_train(rnn, d, &tp, res);
    if (s) return lrnn_fail_context(s, "training the %s diverged; nothing written", what);
    return LRNN_OK;
}

/* Train on the task's own trials (d), or through the delay curriculum of the recipe: stage k
 * on trials of the same seed whose longest delay is r->curriculum[k] (spec 4.6). */
static lrnn_status train_curriculum(lrnn_lint_rnn *rnn, const lrnn_lint_data *d,
                                    const lrnn_lint_task_info *info, const recipe *r,
                                    const task_args *a, int epochs, double lr, uint64_t seed,
                                    const char *what, lrnn_lint_train_result *res) {
    double own = info->params.dms.delay_max_ms;
    bool use = a->curriculum && r->stages > 0 && info->params.kind == LRNN_TASK_DMS;
    for (int k = 0; use && k < r->stages; k++) {
        double dm = r->curriculum[k];
        if (dm <= 0 || dm >= own) break;
        lrnn_task_params p = info->params;
        p.dms.delay_max_ms = dm;
        lrnn_task_data all = {0}, train, val;
        lrnn_status s = lrnn_task_generate(&p, info->seed, 0, info->trials, &all);
        if (!s) s = lrnn_task_split(&all, p.validation_fraction, &train, &val);
        char label[64];
        snprintf(label, sizeof label, "%s [delay <= %g ms]", what, dm);
        lrnn_lint_data dk = {.trials = train.n,
                             .T = train.T,
                             .inputs = train.inputs,
                             .targets = train.targets,
                             .mask = train.mask,
                             .mask_per_output = true};
        if (!s)
            s = train_stage(rnn, &dk, a, epochs, lr, r->clip, r->early_stop,
                            seed + 100 * (uint64_t)(k + 1), label, res);
        lrnn_task_data_free(&all);
        if (s) return s;
    }
    return train_stage(rnn, d, a, epochs, lr, r->clip, r->early_stop, seed, what, res);
}

static int run(task_args *a) {
    bool full = !strcmp(a->rank, "full");
    recipe r = task_recipe(a->task, full);
    if (!full) {
        char *end;
        long v = strtol(a->rank, &end, 10);
        if (*end || v < 1 || v > a->units) {
            fprintf(stderr, "lrnn task train: --rank must be 1..%d or 'full', not '%s'\n", a->units,
                    a->rank);
            return 2;
        }
        r.rank = (int)v;
    }
    if (a->epochs > 0) r.epochs = a->epochs;
    if (a->lr > 0) r.lr = a->lr;
    if (a->clip >= 0) r.clip = a->clip;
    if (a->early_stop >= 0) r.early_stop = a->early_stop;
    if (a->pretrain_epochs >= 0) r.pretrain_epochs = full ? 0 : a->pretrain_epochs;
    if (a->pretrain_lr > 0) r.pretrain_lr = a->pretrain_lr;
    /* Adam moves every one of the N^2 weights of the full-rank pretraining network by about lr
     * per step, so the change of J grows with N: dms's 1e-3, tuned at N = 64, scales as 1/N
     * (1.25e-4 at N = 512; 1e-3 made the N = 512 pretraining diverge at the first curriculum
     * switch). */
    if (r.pretrain_lr == -1.0) r.pretrain_lr = 1e-2 / sqrt((double)a->units);
    if (r.pretrain_lr == -2.0) r.pretrain_lr = 0.064 / (double)a->units;

    lrnn_lint_task_info info = {.present = true,
                                .params = lrnn_task_default_params(a->task),
                                .seed = a->seed,
                                .trials = a->trials};
    info.params.validation_fraction = a->valid_frac;
    lrnn_task_data all = {0}, train, val;
    lrnn_lint_rnn *rnn = NULL, *pre = NULL;
    double *out = NULL;
    char *training = NULL;
    json_t *res_json = NULL;
    int rc = 1;
    lrnn_task_dims dims;
    if (a->delay_max > 0 && a->task == LRNN_TASK_DMS) info.params.dms.delay_max_ms = a->delay_max;
    if (a->delay_max > 0 && a->task == LRNN_TASK_ROMO) info.params.romo.delay_max_ms = a->delay_max;
    if ((a->input_noise >= 0 && task_set_input_noise(&info.params, a->input_noise)) ||
        lrnn_task_dims_get(&info.params, &dims) ||
        lrnn_task_generate(&info.params, a->seed, 0, a->trials, &all) ||
        lrnn_task_split(&all, a->valid_frac, &train, &val))
        goto fail;
    if (train.n < a->batch || val.n == 0) {
        lrnn_fail(LRNN_ERR_ARG,
                  "%zu trials give %zu training trials (batch %zu) and %zu validation "
                  "trials; use more --trials",
                  a->trials, train.n, a->batch, val.n);
        goto fail;
    }
    lrnn_lint_data d = {.trials = train.n,
                        .T = train.T,
                        .inputs = train.inputs,
                        .targets = train.targets,
                        .mask = train.mask,
                        .mask_per_output = true};

    lrnn_lint_config c = lrnn_lint_default_config(full ? LRNN_LINT_FULL_RANK : LRNN_LINT_LOW_RANK);
    c.units = a->units, c.rank = full ? 1 : r.rank, c.inputs = (int)dims.U;
    c.outputs = (int)dims.O, c.alpha = lrnn_task_alpha(&info.params), c.noise_std = a->noise;
    if (!(a->rho >= 0.0 && isfinite(a->rho))) {
        lrnn_fail(LRNN_ERR_ARG, "--rho must be finite and >= 0 (got %g)", a->rho);
        goto fail;
    }
    if (a->rho > 0) r.rho = a->rho;
    c.train_wi = true, c.rho = r.rho, c.seed = a->seed;
    if (full) c.train_wo = true;
    fprintf(stderr,
            "task %s: %zu training and %zu validation trials of %zu steps (U = %zu); %s "
            "teacher N = %d, sigma %g\n",
            lrnn_task_kind_name(a->task), train.n, val.n, dims.T, dims.U,
            full ? "full-rank" : "low-rank", a->units, a->noise);
    if (full || r.pretrain_epochs == 0) {
        if (lrnn_lint_create(&c, &rnn)) goto fail;
    } else {
        /* full-rank pretraining, then the rank-R truncation of its wrec (spec 4.6) */
        lrnn_lint_config cf = lrnn_lint_default_config(LRNN_LINT_FULL_RANK);
        cf.units = a->units, cf.inputs = c.inputs, cf.outputs = c.outputs, cf.alpha = c.alpha;
        cf.noise_std = r.pretrain_noise, cf.train_wi = true, cf.rho = r.rho, cf.seed = a->seed;
        lrnn_lint_train_result pres;
        if (lrnn_lint_create(&cf, &pre) ||
            train_curriculum(pre, &d, &info, &r, a, r.pretrain_epochs, r.pretrain_lr,
                             a->seed + 1000, "pretrain", &pres) ||
            lrnn_lint_low_rank_from_full(pre, r.rank, &rnn))
            goto fail;
        /* the truncated network trains with the teacher's own noise */
        lrnn_lint_config cl = *lrnn_lint_config_of(rnn);
        cl.noise_std = a->noise;
        lrnn_lint_rnn *tmp = NULL;
        if (lrnn_lint_create(&cl, &tmp)) goto fail;
        memcpy(lrnn_lint_params(tmp), lrnn_lint_params_const(rnn),
               lrnn_lint_layout(rnn)->total * sizeof(double));
        const lrnn_param_layout *l = lrnn_lint_layout(rnn);
        for (int i = 0; i < l->count; i++)
            lrnn_lint_set_trainable(tmp, l->entry[i].name, l->entry[i].trainable);
        lrnn_lint_free(rnn);
        rnn = tmp;
    }
    lrnn_lint_train_result res;
    if (train_curriculum(rnn, &d, &info, &r, a, r.epochs, r.lr, a->seed, "teacher", &res))
        goto fail;

    /* validation accuracy with the teacher's noise (a stream not used in training) */
    out = malloc(val.n * val.T * val.O * sizeof *out);
    double acc;
    if (!out) {
        lrnn_fail(LRNN_ERR_NOMEM, "cannot allocate the validation outputs");
        goto fail;
    }
    lrnn_lint_noise vnoise = {a->seed + 7, 0};
    if (lrnn_lint_simulate(rnn, val.inputs, NULL, val.n, val.T, vnoise, NULL, out) ||
        lrnn_task_accuracy(&info.params, &val, out, &acc))
        goto fail;
    res_json = json_pack(
        "{s:s, s:s, s:i, s:i, s:f, s:i, s:f, s:f, s:f, s:i, s:f, s:f, s:I, s:I, "
        "s:f, s:f, s:b}",
        "task", lrnn_task_kind_name(a->task), "kind", full ? "full_rank" : "low_rank", "units",
        a->units, "rank", full ? a->units : r.rank, "noise_std", a->noise, "epochs", r.epochs, "lr",
        r.lr, "clip", r.clip, "early_stop", r.early_stop, "pretrain_epochs", r.pretrain_epochs,
        "pretrain_lr", r.pretrain_lr, "initial_loss", res.initial_loss, "trials",
        (json_int_t)a->trials, "seed", (json_int_t)a->seed, "best_loss", res.best_loss,
        "validation_accuracy", acc, "stopped_early", res.stopped_early);
    json_object_set_new(res_json, "epochs_run", json_integer(res.epochs_run));
    json_object_set_new(res_json, "seconds", json_real(res.seconds));
    training = json_dumps(res_json, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
    if (acc < a->min_accuracy) {
        lrnn_fail(LRNN_ERR_NUMERIC,
                  "validation accuracy %.4f is below --min-accuracy %.4f; "
                  "nothing written",
                  acc, a->min_accuracy);
        goto fail;
    }
    if (lrnn_lint_save(rnn, a->out, &info, training)) goto fail;
    if (a->json && cli_lint_write_json(a->json, res_json)) goto fail;
    printf("task %s teacher: %s, N = %d, %d epochs in %.1f s, best loss %.4g, validation "
           "accuracy %.4f (%zu trials)\n",
           lrnn_task_kind_name(a->task), full ? "full rank" : "low rank", a->units, res.epochs_run,
           res.seconds, res.best_loss, acc, val.n);
    fprintf(stderr, "wrote %s\n", a->out);
    rc = 0;
    goto done;
fail:
    cli_report("task train");
done:
    json_decref(res_json);
    free(training);
    free(out);
    lrnn_lint_free(pre);
    lrnn_lint_free(rnn);
    lrnn_task_data_free(&all);
    return rc;
}

int cmd_task(int argc, char **argv) {
    if (argc >= 2 && !strcmp(argv[1], "conditions")) return cmd_task_conditions(argc, argv);
    if (argc < 2 || (strcmp(argv[1], "train") != 0)) {
        bool help = argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"));
        fprintf(help ? stdout : stderr,
                "usage: lrnn task train --task rdm|romo|cdm|dms --out T.h5 [options]\n"
                "       lrnn task conditions --teacher T.h5 --out DIR [options]\n"
                "  (lrnn task <subcommand> --help for the options)\n");
        return help ? 0 : 2;
    }
    task_args a = {.task = LRNN_TASK_RDM,
                   .rank = "recipe",
                   .units = 512,
                   .epochs = 0,
                   .pretrain_epochs = -1,
                   .lr = 0,
                   .clip = -1,
                   .early_stop = -1,
                   .pretrain_lr = 0,
                   .rho = 0,
                   .noise = 0.05,
                   .input_noise = -1,
                   .valid_frac = 0.2,
                   .min_accuracy = 0,
                   .batch = 32,
                   .trials = 1000,
                   .seed = 1,
                   .curriculum = true};
    cli_option options[] = {
        {"task", CLI_CHOICE, &a.task, NULL, "cognitive task (spec 4)", true, &task_choice, false},
        {"rank", CLI_STRING, &a.rank, "R|full",
         "rank of the teacher, or full (recipe: rdm 1, romo 2, cdm 1, dms 2)", false, NULL, false},
        {"units", CLI_INT, &a.units, "N", "units", false, NULL, false},
        {"epochs", CLI_INT, &a.epochs, "E", "epochs (0: the recipe's, spec 4.6)", false, NULL,
         false},
        {"lr", CLI_DOUBLE, &a.lr, "LR", "Adam learning rate (0: the recipe's)", false, NULL, false},
        {"clip", CLI_DOUBLE, &a.clip, "C", "gradient-norm clipping (-1: the recipe's, 0: off)",
         false, NULL, false},
        {"early-stop", CLI_DOUBLE, &a.early_stop, "L",
         "stop below this epoch loss (-1: the recipe's, 0: off)", false, NULL, false},
        {"pretrain-epochs", CLI_INT, &a.pretrain_epochs, "E",
         "full-rank pretraining epochs before the SVD init (-1: recipe; romo 5, dms 50)", false,
         NULL, false},
        {"pretrain-lr", CLI_DOUBLE, &a.pretrain_lr, "LR", "pretraining learning rate (0: recipe)",
         false, NULL, false},
        {"rho", CLI_DOUBLE, &a.rho, "RHO",
         "full-rank initial connectivity scale, wrec ~ N(0, rho^2/N) (0: recipe; 1, dms 0.8)",
         false, NULL, false},
        {"batch", CLI_SIZE, &a.batch, "B", "trials per minibatch", false, NULL, false},
        {"trials", CLI_SIZE, &a.trials, "n", "task trials generated", false, NULL, false},
        {"valid-frac", CLI_DOUBLE, &a.valid_frac, "F", "last fraction of the trials held out",
         false, NULL, false},
        {"noise", CLI_DOUBLE, &a.noise, "S", "network noise sigma per step", false, NULL, false},
        {"input-noise", CLI_DOUBLE, &a.input_noise, "S",
         "task input noise (-1: the task's default)", false, NULL, false},
        {"delay-max", CLI_DOUBLE, &a.delay_max, "MS",
         "romo, dms: longest delay in ms (0: the task's)", false, NULL, false},
        {"curriculum", CLI_BOOL, &a.curriculum, NULL,
         "dms: train through growing delays (700, 1000 ms, the task's)", false, NULL, false},
        {"seed", CLI_U64, &a.seed, "S", "seed of trials, initialisation, batches and noise", false,
         NULL, false},
        {"min-accuracy", CLI_DOUBLE, &a.min_accuracy, "A",
         "fail (nothing written) below this validation accuracy", false, NULL, false},
        {"out", CLI_STRING, &a.out, "FILE", "teacher model file (.h5)", true, NULL, false},
        {"json", CLI_STRING, &a.json, "FILE", "also write the results as JSON", false, NULL, false},
        {"quiet", CLI_BOOL, &a.quiet, NULL, "no progress output", false, NULL, false},
    };
    cli_command cmd = {"task train", "--task rdm|romo|cdm|dms --out T.h5 [options]",
                       "Train a teacher rate network on a cognitive task (Valente et al. 2022,\n"
                       "spec lint_method.md 4.6) and report its validation accuracy. The model\n"
                       "file stores the task, so lrnn lint fit / eval regenerate its trials.",
                       options, (int)(sizeof options / sizeof options[0])};
    int rc = cli_parse(&cmd, argc - 1, argv + 1, NULL, 0, NULL);
    if (rc) return rc == 1 ? 0 : rc;
    if (!strcmp(a.rank, "recipe")) a.rank = task_recipe(a.task, false).rank == 2 ? "2" : "1";
    if (a.units < 1 || a.trials < 2 || a.batch < 1 || !(a.valid_frac > 0 && a.valid_frac < 1)) {
        fprintf(stderr, "lrnn task train: --units, --trials and --batch must be positive and "
                        "--valid-frac in (0, 1)\n");
        return 2;
    }
    return run(&a);
}
