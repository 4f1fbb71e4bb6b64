/* lrnn lint subsample: the subsampling experiment (spec lint_method.md 3.4, 5.6, 7.4; Fig. 2 of
 * the paper). For each fraction p and each draw, n_sel = floor(N p) of the teacher's neurons are
 * drawn (include/lrnn/lint_subsample.h); a rank-R student of n_sel units (and, with --full-rank, a
 * full-rank one) is fitted to the teacher's rates of those neurons only on the training trials;
 * both are scored on the validation trials: R2 of rates on the observed neurons (global and
 * median per neuron, spec 5.1) and task accuracy through the teacher's readout restricted to
 * them (rescaled by N / n_sel, see lint_subsample.h).
 *
 * Noise (spec 3.4, fit_mante_subs.py): the teacher runs with its own sigma (--teacher-noise
 * overrides), once for the training targets and once for the validation rates, the same run for
 * every draw (its noise streams depend on the trial only); the students train and run with
 * sigma 0.05. Draws are independent jobs, spread over OpenMP threads: results do not depend on
 * the thread count (every stream of a job depends on its neuron count and draw only). */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "lint_cli.h"
#include "lint_subsample.h"
#include "lrnn/lint.h"
#include "lrnn/lint_file.h"
#include "lrnn/lint_subsample.h"
#include "lrnn/task.h"
#include "options.h"

#ifdef _OPENMP
#include <omp.h>
#endif

typedef struct subs_args {
    const char *teacher, *fractions, *out, *json;
    int draws, rank, epochs;
    size_t batch;
    double lr, lr_full, clip, student_noise, teacher_noise;
    uint64_t seed;
    bool full_rank, quiet;
} subs_args;

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- option values ---- */

enum { MAX_FRACTIONS = 64 };

/* "1,0.2,0.05": each a number in (0, 1], at most MAX_FRACTIONS of them, in the given order. */
static lrnn_status parse_fractions(const char *spec, double *out, int *count) {
    *count = 0;
    const char *p = spec;
    if (!*p) return lrnn_fail(LRNN_ERR_ARG, "--fractions is empty; give e.g. 1,0.2,0.05");
    while (*p) {
        char *end;
        errno = 0;
        double v = strtod(p, &end);
        if (end == p || (*end != ',' && *end != '\0') || errno == ERANGE) {
            size_t len = strcspn(p, ",");
            return lrnn_fail(LRNN_ERR_ARG,
                             "--fractions '%s': '%.*s' is not a number; give fractions of the "
                             "neurons such as 1,0.2,0.05",
                             spec, (int)len, p);
        }
        if (!(v > 0.0 && v <= 1.0))
            return lrnn_fail(LRNN_ERR_ARG,
                             "--fractions '%s': %g is not a fraction in (0, 1] of the neurons",
                             spec, v);
        if (*count == MAX_FRACTIONS)
            return lrnn_fail(LRNN_ERR_ARG, "--fractions '%s': more than %d fractions", spec,
                             MAX_FRACTIONS);
        out[(*count)++] = v;
        p = *end == ',' ? end + 1 : end;
        if (*end == ',' && !*p)
            return lrnn_fail(LRNN_ERR_ARG, "--fractions '%s' ends with a comma", spec);
    }
    return LRNN_OK;
}

/* ---- one draw ---- */

/* What every job reads: the teacher (with its evaluation noise), its trials and the settings. */
typedef struct subs_ctx {
    const cli_teacher_set *ts;
    const lrnn_lint_rnn *teacher; /* with sigma = the teacher noise */
    const subs_args *a;
    size_t N, U, T, ntrain, nval;
    /* progress */
    bool tty;
    double t_start, work_total, work_done, last_print;
    int jobs_total, jobs_done;
} subs_ctx;

/* Relative cost of one epoch, for the ETA: low rank ~ n (R + U + ~10) flops per trial-step,
 * full rank ~ 6 n^2 (forward GEMM, two backward GEMMs). */
static double epoch_work(size_t n, int R, bool full) {
    return full ? 6.0 * (double)n * (double)n : (double)n * (10.0 + 4.0 * R);
}

typedef struct subs_progress {
    subs_ctx *cx;
    double work_per_epoch;
    const char *label;
} subs_progress;

static void print_eta(subs_ctx *cx, const char *label, int epoch, int epochs) {
    double el = now_seconds() - cx->t_start;
    double eta = cx->work_done > 0 ? el * (cx->work_total - cx->work_done) / cx->work_done : NAN;
    char e[32] = "?";
    if (isfinite(eta)) cli_lint_duration(eta, e, sizeof e);
    fprintf(stderr, "\r\033[K[%d/%d fits] %s epoch %d/%d, ETA %s", cx->jobs_done, cx->jobs_total,
            label, epoch, epochs, e);
}

/* Per epoch: the work done so far for the ETA; on a terminal a redrawn line, at most 2 per s. */
static int subs_epoch(const lrnn_lint_progress *p, void *user) {
    subs_progress *pr = user;
    subs_ctx *cx = pr->cx;
#pragma omp critical(subs_progress)
    {
        cx->work_done += pr->work_per_epoch;
        double t = now_seconds();
        if (cx->tty && !cx->a->quiet && t - cx->last_print > 0.5) {
            cx->last_print = t;
            print_eta(cx, pr->label, p->epoch + 1, p->epochs);
        }
    }
    return 0;
}

/* Student states on the validation trials (nval x (T+1) x n, own noise) -> its accuracy
 * through the restricted readout and the R2 of its rates against the teacher's (yv). */
static lrnn_status score(const subs_ctx *cx, const lrnn_lint_rnn *student,
                         const lrnn_lint_restricted_readout *ro, const double *yv, double *xs,
                         double *out, double *r2n, subs_fit *f) {
    size_t n = ro->n, rows = cx->nval * (cx->T + 1);
    lrnn_lint_noise ns = {cx->a->seed + 22, 0};
    lrnn_status s =
        lrnn_lint_simulate(student, cx->ts->val.inputs, NULL, cx->nval, cx->T, ns, xs, NULL);
    if (!s) s = lrnn_lint_restricted_readout_apply(ro, xs, cx->nval, cx->T, out);
    if (!s) s = lrnn_task_accuracy(&cx->ts->info.params, &cx->ts->val, out, &f->accuracy);
    if (s) return s;
    for (size_t i = 0; i < rows * n; i++)
        xs[i] = tanh(xs[i]);
    f->r2 = lrnn_lint_r2(yv, xs, rows * n);
    return lrnn_lint_r2_neurons(yv, xs, rows, n, r2n, &f->r2_median, NULL);
}

static lrnn_status fit_model(subs_ctx *cx, int model, subs_draw *dr, const lrnn_lint_data *d,
                             uint64_t seed, lrnn_lint_rnn **student) {
    const subs_args *a = cx->a;
    char label[96];
    bool full = model == SUBS_FULL_RANK;
    snprintf(label, sizeof label, "p %g draw %d %s", dr->p, dr->draw,
             full ? "full rank" : "low rank");
    subs_progress pr = {cx, epoch_work(dr->units, a->rank, full), label};
    lrnn_lint_train_params tp = lrnn_lint_train_default_params();
    tp.epochs = a->epochs, tp.lr = full ? a->lr_full : a->lr, tp.clip = a->clip;
    tp.batch_size = a->batch < cx->ntrain ? a->batch : cx->ntrain;
    tp.keep_best = true, tp.seed = seed, tp.progress = subs_epoch, tp.user = &pr;
    lrnn_lint_train_result res;
    lrnn_status s;
    double t0 = now_seconds();
    if (!full) {
        /* spec 3.1 step 5 with n_sel units: rank R, identity readout, trains wi, m, n */
        lrnn_lint_fit_params fp = lrnn_lint_fit_default_params();
        fp.rank = a->rank, fp.noise_std = a->student_noise, fp.svd_reparam = false;
        fp.seed = seed, fp.train = tp;
        s = lrnn_lint_fit(&fp, (int)dr->units, (int)cx->U, d, student, &res);
    } else {
        /* spec 3.4: FullRankRNN(U, n_sel, n_sel, 0.05, 0.2, wo = I), lr 1e-4 */
        lrnn_lint_config c = lrnn_lint_full_student_config(
            (int)dr->units, (int)cx->U, a->student_noise, LRNN_LINT_TARGET_RATES, seed);
        s = lrnn_lint_create(&c, student);
        if (!s) s = lrnn_lint_train(*student, d, &tp, &res);
    }
    if (s)
        return lrnn_fail_context(s, "%s student of p = %g, draw %d",
                                 full ? "full-rank" : "low-rank", dr->p, dr->draw);
    subs_fit *f = &dr->model[model];
    f->best_loss = res.best_loss, f->epochs_run = res.epochs_run;
    f->seconds = now_seconds() - t0;
    return LRNN_OK;
}

/* One draw: selection, targets, teacher's restricted accuracy, the students and their scores.
 * Buffers are allocated per draw (a draw is minutes of fitting; nothing in its loops). */
static lrnn_status run_draw(subs_ctx *cx, subs_draw *dr) {
    const subs_args *a = cx->a;
    size_t n = dr->units, T = cx->T, rows = cx->nval * (T + 1);
    size_t *sel = malloc(n * sizeof *sel);
    double *y = malloc(cx->ntrain * T * n * sizeof *y), *yv = malloc(rows * n * sizeof *yv);
    double *xs = malloc(rows * n * sizeof *xs), *out = malloc(cx->nval * T * sizeof *out);
    double *r2n = malloc(n * sizeof *r2n);
    lrnn_lint_restricted_readout ro = {0};
    lrnn_lint_rnn *student = NULL;
    lrnn_status s = LRNN_OK;
    if (!sel || !y || !yv || !xs || !out || !r2n) {
        s = lrnn_fail(LRNN_ERR_NOMEM, "p = %g: cannot allocate %zu x %zu x %zu targets", dr->p,
                      cx->ntrain, T, n);
        goto done;
    }
    if ((size_t)cx->ts->val.O != 1) {
        s = lrnn_fail(LRNN_ERR_SHAPE, "the task has %zu outputs; subsampling reads one",
                      (size_t)cx->ts->val.O);
        goto done;
    }
    /* spec 3.4: neurons_sel uniform without replacement; targets their rates tanh(x_{t+1}) */
    lrnn_lint_noise nt = {a->seed + 11, 0}, nv = {a->seed + 21, 0};
    if ((s = lrnn_lint_select_neurons(cx->N, n, a->seed, (uint64_t)dr->draw, sel)) ||
        (s = lrnn_lint_teacher_targets_select(cx->teacher, cx->ts->train.inputs, cx->ntrain, T, nt,
                                              LRNN_LINT_TARGET_RATES, sel, n, false, y)) ||
        (s = lrnn_lint_teacher_targets_select(cx->teacher, cx->ts->val.inputs, cx->nval, T, nv,
                                              LRNN_LINT_TARGET_STATES, sel, n, true, yv)) ||
        (s = lrnn_lint_restricted_readout_make(cx->ts->rnn, sel, n, &ro)))
        goto done;
    /* the teacher itself through the restricted readout: what the readout alone loses */
    if ((s = lrnn_lint_restricted_readout_apply(&ro, yv, cx->nval, T, out)) ||
        (s = lrnn_task_accuracy(&cx->ts->info.params, &cx->ts->val, out, &dr->teacher_accuracy)))
        goto done;
    for (size_t i = 0; i < rows * n; i++)
        yv[i] = tanh(yv[i]); /* rates, t = 0 included (spec 5.1) */
    lrnn_lint_data d = {.trials = cx->ntrain, .T = T, .inputs = cx->ts->train.inputs, .targets = y};
    for (int m = 0; m < (a->full_rank ? 2 : 1); m++) {
        /* a seed per (neuron count, draw, model), so each fit is reproducible on its own,
         * whatever the other fractions in the list */
        uint64_t seed = a->seed + 1000003ULL * (uint64_t)n + 1009ULL * (uint64_t)dr->draw +
                        (uint64_t)m;
        if ((s = fit_model(cx, m, dr, &d, seed, &student)) ||
            (s = score(cx, student, &ro, yv, xs, out, r2n, &dr->model[m])))
            goto done;
        dr->model[m].done = true;
        lrnn_lint_free(student);
        student = NULL;
    }
done:
    lrnn_lint_free(student);
    lrnn_lint_restricted_readout_free(&ro);
    free(sel), free(y), free(yv), free(xs), free(out), free(r2n);
    return s;
}

static void report_draw(subs_ctx *cx, const subs_draw *dr) {
    if (cx->a->quiet) return;
    if (cx->tty) fprintf(stderr, "\r\033[K");
    fprintf(stderr, "p %-6g (%zu neurons) draw %d: rank-%d R2 %.4f (median %.4f) acc %.3f, %.1f s",
            dr->p, dr->units, dr->draw, cx->a->rank, dr->model[0].r2, dr->model[0].r2_median,
            dr->model[0].accuracy, dr->model[0].seconds);
    if (dr->model[1].done)
        fprintf(stderr, "; full rank R2 %.4f acc %.3f, %.1f s", dr->model[1].r2,
                dr->model[1].accuracy, dr->model[1].seconds);
    fprintf(stderr, "; teacher(S) acc %.3f [%d/%d]\n", dr->teacher_accuracy, cx->jobs_done,
            cx->jobs_total);
}

/* Results to DIR (made now): subsampling.csv, subsampling.json, subsampling.svg; and --json. */
static lrnn_status write_outputs(const subs_args *a, const subs_summary *sum,
                                 const double *fractions, int nf, const subs_draw *d, size_t nd,
                                 json_t *root) {
    lrnn_status s;
    if (a->out) {
        char path[4200];
        if (mkdir(a->out, 0777) != 0 && errno != EEXIST)
            return lrnn_fail(LRNN_ERR_IO, "%s: %s", a->out, strerror(errno));
        snprintf(path, sizeof path, "%s/subsampling.csv", a->out);
        if ((s = subs_write_csv(path, sum, d, nd))) return s;
        snprintf(path, sizeof path, "%s/subsampling.json", a->out);
        if ((s = cli_lint_write_json(path, root))) return s;
        snprintf(path, sizeof path, "%s/subsampling.svg", a->out);
        if ((s = subs_write_figure(path, sum, fractions, nf, d, nd))) return s;
    }
    if (a->json && (s = cli_lint_write_json(a->json, root))) return s;
    return LRNN_OK;
}

static int subs_run(subs_args *a) {
    cli_teacher_set ts = {0};
    lrnn_lint_rnn *tnoisy = NULL;
    subs_draw *draws = NULL;
    size_t *order = NULL;
    json_t *root = NULL;
    double fractions[MAX_FRACTIONS];
    int nf = 0, rc = 1;
    if (parse_fractions(a->fractions, fractions, &nf) || (a->out && cli_lint_check_out_dir(a->out)) ||
        cli_teacher_set_load(a->teacher, &ts))
        goto fail;
    const lrnn_lint_config *tc = lrnn_lint_config_of(ts.rnn);
    size_t N = (size_t)tc->units, nd = (size_t)nf * (size_t)a->draws;
    draws = calloc(nd, sizeof *draws);
    if (!draws) {
        lrnn_fail(LRNN_ERR_NOMEM, "cannot allocate %zu draws", nd);
        goto fail;
    }
    /* every fraction's count before any fitting: a bad one fails now, not after hours */
    double work = 0;
    for (int pi = 0; pi < nf; pi++) {
        size_t n;
        if (lrnn_lint_subsample_count(N, fractions[pi], &n)) {
            lrnn_fail_context(LRNN_ERR_ARG, "--fractions %s (teacher %s, N = %zu)", a->fractions,
                              a->teacher, N);
            goto fail;
        }
        if (n < (size_t)a->rank) {
            lrnn_fail(LRNN_ERR_ARG,
                      "--fractions %s: p = %g observes %zu neurons of %zu, fewer than --rank %d",
                      a->fractions, fractions[pi], n, N, a->rank);
            goto fail;
        }
        for (int k = 0; k < a->draws; k++) {
            subs_draw *dr = &draws[(size_t)pi * (size_t)a->draws + (size_t)k];
            dr->pi = pi, dr->draw = k, dr->p = fractions[pi], dr->units = n;
            dr->teacher_accuracy = NAN;
        }
        work += a->draws * a->epochs *
                (epoch_work(n, a->rank, false) + (a->full_rank ? epoch_work(n, a->rank, true) : 0));
    }
    double tsigma = a->teacher_noise >= 0 ? a->teacher_noise : tc->noise_std;
    if (cli_lint_with_noise(ts.rnn, tsigma, &tnoisy)) goto fail;
    subs_ctx cx = {.ts = &ts,
                   .teacher = tnoisy,
                   .a = a,
                   .N = N,
                   .U = (size_t)tc->inputs,
                   .T = ts.train.T,
                   .ntrain = ts.train.n,
                   .nval = ts.val.n,
                   .tty = isatty(STDERR_FILENO) != 0,
                   .t_start = now_seconds(),
                   .work_total = work,
                   .jobs_total = (int)nd};
    int threads = 1;
#ifdef _OPENMP
    threads = omp_get_max_threads();
#endif
    fprintf(stderr,
            "LINT subsampling: %s %s teacher %s (N = %zu, sigma %g), %d fractions x %d draws, "
            "rank-%d%s students (sigma %g), %d epochs, %zu training / %zu validation trials, "
            "%d thread%s\n",
            lrnn_task_kind_name(ts.info.params.kind), lrnn_lint_kind_name(tc->kind), a->teacher, N,
            tsigma, nf, a->draws, a->rank, a->full_rank ? " and full-rank" : "", a->student_noise,
            a->epochs, cx.ntrain, cx.nval, threads, threads == 1 ? "" : "s");
    /* jobs largest first (stable), so that with several threads a long fit does not start last */
    order = malloc(nd * sizeof *order);
    if (!order) {
        lrnn_fail(LRNN_ERR_NOMEM, "cannot allocate %zu draws", nd);
        goto fail;
    }
    for (size_t j = 0; j < nd; j++)
        order[j] = j;
    for (size_t j = 1; j < nd; j++)
        for (size_t k = j; k > 0 && draws[order[k]].units > draws[order[k - 1]].units; k--) {
            size_t t = order[k];
            order[k] = order[k - 1], order[k - 1] = t;
        }
    int failed = 0;
    char message[1024] = "";
    lrnn_status first_error = LRNN_OK;
#pragma omp parallel for schedule(dynamic, 1)
    for (size_t j = 0; j < nd; j++) {
        int stop;
#pragma omp atomic read
        stop = failed;
        if (stop) continue;
        subs_draw *dr = &draws[order[j]];
        lrnn_status s = run_draw(&cx, dr);
#pragma omp critical(subs_progress)
        {
            if (s && !failed) {
                failed = 1, first_error = s;
                snprintf(message, sizeof message, "%s", lrnn_last_error());
            } else if (!s) {
                cx.jobs_done++;
                report_draw(&cx, dr);
            }
        }
    }
    if (failed) {
        lrnn_fail(first_error, "%s; nothing written", message);
        goto fail;
    }
    subs_summary sum = {.teacher = a->teacher,
                        .task = lrnn_task_kind_name(ts.info.params.kind),
                        .teacher_kind = lrnn_lint_kind_name(tc->kind),
                        .units = (int)N,
                        .rank = a->rank,
                        .epochs = a->epochs,
                        .draws = a->draws,
                        .batch = a->batch,
                        .train_trials = cx.ntrain,
                        .val_trials = cx.nval,
                        .steps = cx.T,
                        .teacher_noise = tsigma,
                        .student_noise = a->student_noise,
                        .lr = a->lr,
                        .lr_full = a->lr_full,
                        .clip = a->clip,
                        .seconds = now_seconds() - cx.t_start,
                        .seed = a->seed,
                        .full_rank = a->full_rank};
    root = subs_json(&sum, fractions, nf, draws, nd);
    if (!root) {
        lrnn_fail(LRNN_ERR_NOMEM, "cannot build the JSON results");
        goto fail;
    }
    if (write_outputs(a, &sum, fractions, nf, draws, nd, root)) goto fail;
    subs_print_table(stdout, &sum, fractions, nf, draws, nd);
    char took[32];
    cli_lint_duration(sum.seconds, took, sizeof took);
    fprintf(stderr, "%zu draws in %s%s%s\n", nd, took, a->out ? "; wrote " : "",
            a->out ? a->out : "");
    rc = 0;
    goto done;
fail:
    cli_report("lint subsample");
done:
    json_decref(root);
    free(draws), free(order);
    lrnn_lint_free(tnoisy);
    cli_teacher_set_free(&ts);
    return rc;
}

int cmd_lint_subsample(int argc, char **argv) {
    subs_args a = {.fractions = "1,0.2,0.1,0.05,0.02,0.01",
                   .draws = 10,
                   .rank = 1,
                   .epochs = 200,
                   .batch = 32,
                   .lr = 1e-2,
                   .lr_full = 1e-4,
                   .clip = 1.0,
                   .student_noise = 0.05,
                   .teacher_noise = -1,
                   .seed = 1};
    cli_option options[] = {
        {"teacher", CLI_STRING, &a.teacher, "T.h5",
         "teacher from lrnn task train (spec 7.4: the full-rank CDM teacher, N = 1024)", true, NULL,
         false},
        {"fractions", CLI_STRING, &a.fractions, "P,P,...",
         "fractions p of the neurons observed, each in (0, 1]; floor(N p) neurons", false, NULL,
         false},
        {"draws", CLI_INT, &a.draws, "D", "random neuron selections per fraction", false, NULL,
         false},
        {"rank", CLI_INT, &a.rank, "R", "rank of the low-rank students", false, NULL, false},
        {"full-rank", CLI_BOOL, &a.full_rank, NULL,
         "also fit a full-rank student of the observed neurons (spec 3.4; slow: n^2 per step)",
         false, NULL, false},
        {"epochs", CLI_INT, &a.epochs, "E", "epochs of every fit", false, NULL, false},
        {"lr", CLI_DOUBLE, &a.lr, "LR", "Adam learning rate of the low-rank students", false, NULL,
         false},
        {"lr-full", CLI_DOUBLE, &a.lr_full, "LR", "Adam learning rate of the full-rank students",
         false, NULL, false},
        {"clip", CLI_DOUBLE, &a.clip, "C", "gradient-norm clipping (0: off)", false, NULL, false},
        {"batch", CLI_SIZE, &a.batch, "B", "trials per minibatch", false, NULL, false},
        {"noise-std", CLI_DOUBLE, &a.student_noise, "S",
         "student noise sigma in training and evaluation", false, NULL, false},
        {"teacher-noise", CLI_DOUBLE, &a.teacher_noise, "S",
         "teacher noise for targets and validation rates (-1: the teacher's own sigma)", false,
         NULL, false},
        {"seed", CLI_U64, &a.seed, "S", "seed of the selections, initialisations, batches, noise",
         false, NULL, false},
        {"out", CLI_STRING, &a.out, "DIR",
         "write DIR/subsampling.csv, subsampling.json and subsampling.svg", false, NULL, false},
        {"json", CLI_STRING, &a.json, "FILE", "also write the results as JSON", false, NULL, false},
        {"quiet", CLI_BOOL, &a.quiet, NULL, "no progress output", false, NULL, false},
    };
    cli_command cmd = {
        "lint subsample", "--teacher T.h5 [--fractions 1,0.2,0.05] [--draws 10] [--out DIR]",
        "Subsampling experiment (spec lint_method.md 3.4, 5.6, 7.4): for each fraction p\n"
        "and draw, fit a rank-R student (and with --full-rank a full-rank one) of\n"
        "floor(N p) units to the teacher's rates of floor(N p) random neurons only, then\n"
        "score it on the validation trials: R2 of rates on the observed neurons and task\n"
        "accuracy through the teacher's readout restricted to them (rescaled by N / n).\n"
        "Prints mean +- sd over draws per p. Draws run in parallel on OMP_NUM_THREADS.",
        options, (int)(sizeof options / sizeof options[0])};
    int rc = cli_parse(&cmd, argc, argv, NULL, 0, NULL);
    if (rc) return rc == 1 ? 0 : rc;
    if (a.draws < 1 || a.rank < 1 || a.epochs < 1 || a.batch < 1) {
        fprintf(stderr, "lrnn lint subsample: --draws, --rank, --epochs and --batch must be "
                        "positive\n");
        return 2;
    }
    if (!(a.lr > 0) || !(a.lr_full > 0) || !(a.clip >= 0) || !(a.student_noise >= 0)) {
        fprintf(stderr, "lrnn lint subsample: --lr and --lr-full must be positive, --clip and "
                        "--noise-std >= 0\n");
        return 2;
    }
    return subs_run(&a);
}
