/* lrnn lint sweep: a full-rank teacher against rank (spec lint_method.md 3.2-3.4, 7.2, "opening
 * the black box"). For every rank R: the LINT BPTT fit to the teacher's rates (3.1), the rank-R
 * truncated SVD of the teacher (3.2), and the reconstructed regression fits NLR and LR (3.3) on
 * the same training trajectories; each is run freely on the validation trials and scored
 * against the teacher (5.1): R2 of rates (global, median per neuron), R2 of currents, task
 * accuracy and loss through the teacher's readout, and the seconds the fit took.
 *
 * Noise: a full-rank teacher is the rank-sweep experiment of 3.4 (fit_mante.py): the teacher
 * runs with its own sigma and the students train and run with the same sigma; a low-rank
 * teacher is a validation experiment, with the sigmas of 7.1 (cli_lint_task_noise). The
 * truncated network runs without noise (3.2: FullRankRNN(..., sigma = 0, ...)). */
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
#include "lint_sweep.h"
#include "lrnn/lint.h"
#include "lrnn/lint_file.h"
#include "lrnn/lint_regress.h"
#include "lrnn/task.h"
#include "options.h"

/* Rates are clipped to 1 - 1e-9 before artanh (|x| <= 10.7): the teacher's rates are exact
 * doubles, so only currents beyond that are touched (their count is reported). */
#define RATE_CLIP_EPS 1e-9

CLI_CHOICE_DEFINE(regress_choice, lrnn_lint_regress_rank, "rrr|ols")

typedef struct sweep_args {
    const char *teacher, *ranks, *methods, *out, *json;
    lrnn_lint_regress_rank regression;
    int epochs;
    size_t batch;
    double lr, clip, student_noise, teacher_noise, ridge;
    uint64_t seed;
    bool quiet;
} sweep_args;

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- option values ---- */

/* "1:5", "1,2,4", "1:3,8": the ranks in increasing order, without repeats, into *list
 * (malloc'ed) and *count. Ranks above 100000 are refused here (no teacher is that large); the
 * teacher's N is checked once it is loaded. */
enum { MAX_RANK_SPEC = 100000 };
static lrnn_status parse_ranks(const char *spec, int **list, int *count) {
    bool *mark = calloc(MAX_RANK_SPEC + 1, sizeof *mark);
    *list = NULL, *count = 0;
    if (!mark) return lrnn_fail(LRNN_ERR_NOMEM, "--ranks: out of memory");
    const char *p = spec;
    lrnn_status s = LRNN_OK;
    while (*p && !s) {
        char *end;
        long a = strtol(p, &end, 10), b = a;
        if (end != p && *end == ':') {
            const char *q = end + 1;
            b = strtol(q, &end, 10);
            if (end == q) end = (char *)p; /* "3:" */
        }
        if (end == p || (*end != ',' && *end != '\0'))
            s = lrnn_fail(LRNN_ERR_ARG,
                          "--ranks '%s' is not a list of ranks or ranges such as 1:5 or 1,2,4",
                          spec);
        else if (a < 1 || b < a || b > MAX_RANK_SPEC)
            s = lrnn_fail(LRNN_ERR_ARG, "--ranks '%s': ranks are 1..%d and ranges a:b have a <= b",
                          spec, MAX_RANK_SPEC);
        for (long r = a; !s && r <= b; r++)
            if (!mark[r]) mark[r] = true, (*count)++;
        p = *end ? end + 1 : end;
    }
    if (!s && *count == 0) s = lrnn_fail(LRNN_ERR_ARG, "--ranks '%s' names no rank", spec);
    if (!s && !(*list = malloc((size_t)*count * sizeof **list)))
        s = lrnn_fail(LRNN_ERR_NOMEM, "--ranks: out of memory");
    for (int r = 1, i = 0; !s && r <= MAX_RANK_SPEC; r++)
        if (mark[r]) (*list)[i++] = r;
    free(mark);
    return s;
}

/* BPTT epochs by default: spec 3.4's full-rank rank sweeps (fit_mante.py: cdm 1000;
 * dms_fullrank_fit.py and the many-teacher fits: 500), and for a low-rank teacher the
 * validation fits of `lrnn lint fit` (rdm 100, romo 1000, cdm 50, dms 500). */
static int default_epochs(lrnn_task_kind kind, bool full) {
    if (full) return kind == LRNN_TASK_CDM ? 1000 : 500;
    switch (kind) {
    case LRNN_TASK_ROMO:
        return 1000;
    case LRNN_TASK_CDM:
        return 50;
    case LRNN_TASK_DMS:
        return 500;
    default:
        return 100;
    }
}

/* "fit,trunc,nlr,lr" (any subset, any order; reported in that order). */
static lrnn_status parse_methods(const char *spec, bool *want) {
    char buf[256];
    if (strlen(spec) >= sizeof buf)
        return lrnn_fail(LRNN_ERR_ARG, "--methods '%s' is too long", spec);
    strcpy(buf, spec);
    int any = 0;
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        int m = 0;
        while (m < SWEEP_METHODS && strcmp(tok, sweep_method_name((sweep_method)m)))
            m++;
        if (m == SWEEP_METHODS)
            return lrnn_fail(LRNN_ERR_ARG, "--methods: '%s' is not one of fit, trunc, nlr, lr",
                             tok);
        want[m] = true, any = 1;
    }
    if (!any) return lrnn_fail(LRNN_ERR_ARG, "--methods '%s' names no method", spec);
    return LRNN_OK;
}

/* ---- evaluation on the validation trials ---- */

typedef struct sweep_eval {
    const cli_teacher_set *ts;
    size_t n, T, N;
    double *xt, *rt;       /* teacher states and rates, n x (T + 1) x N */
    double *xs, *ys, *r2n; /* scratch: states, readout n x T x O, N */
    lrnn_lint_noise noise; /* of the evaluated networks */
} sweep_eval;

static void sweep_eval_free(sweep_eval *e) {
    free(e->xt), free(e->rt), free(e->xs), free(e->ys), free(e->r2n);
}

/* Teacher on the validation trials with sigma (spec 5.1: the teacher's trajectory computed
 * once), its accuracy and loss. */
static lrnn_status sweep_eval_init(sweep_eval *e, const cli_teacher_set *ts, double sigma,
                                   uint64_t seed, double *acc, double *loss) {
    memset(e, 0, sizeof *e);
    e->ts = ts, e->n = ts->val.n, e->T = ts->val.T;
    e->N = (size_t)lrnn_lint_config_of(ts->rnn)->units;
    e->noise = (lrnn_lint_noise){seed + 22, 0};
    size_t rows = e->n * (e->T + 1), O = ts->val.O;
    e->xt = malloc(rows * e->N * sizeof *e->xt), e->rt = malloc(rows * e->N * sizeof *e->rt);
    e->xs = malloc(rows * e->N * sizeof *e->xs), e->ys = malloc(e->n * e->T * O * sizeof *e->ys);
    e->r2n = malloc(e->N * sizeof *e->r2n);
    if (!e->xt || !e->rt || !e->xs || !e->ys || !e->r2n)
        return lrnn_fail(LRNN_ERR_NOMEM, "cannot allocate %zu x %zu x %zu validation states", e->n,
                         e->T + 1, e->N);
    lrnn_lint_rnn *tn = NULL;
    lrnn_lint_noise nt = {seed + 21, 0};
    lrnn_status s = cli_lint_with_noise(ts->rnn, sigma, &tn);
    if (!s) s = lrnn_lint_simulate(tn, ts->val.inputs, NULL, e->n, e->T, nt, e->xt, NULL);
    if (!s) s = cli_lint_teacher_readout(ts->rnn, e->xt, e->n, e->T, e->ys);
    if (!s) s = lrnn_task_accuracy(&ts->info.params, &ts->val, e->ys, acc);
    lrnn_lint_free(tn);
    if (s) return lrnn_fail_context(s, "the teacher on its validation trials");
    *loss = cli_lint_task_loss(&ts->val, e->ys);
    for (size_t i = 0; i < rows * e->N; i++)
        e->rt[i] = tanh(e->xt[i]);
    return LRNN_OK;
}

/* Run net (with noise sigma) on the validation trials and score it into row. */
static lrnn_status sweep_evaluate(sweep_eval *e, const lrnn_lint_rnn *net, double sigma,
                                  sweep_row *row) {
    size_t rows = e->n * (e->T + 1), total = rows * e->N;
    lrnn_lint_rnn *sn = NULL;
    lrnn_status s = cli_lint_with_noise(net, sigma, &sn);
    if (!s) s = lrnn_lint_simulate(sn, e->ts->val.inputs, NULL, e->n, e->T, e->noise, e->xs, NULL);
    lrnn_lint_free(sn);
    if (s) return s;
    row->r2_rates = row->r2_rates_median = row->r2_states = NAN;
    row->accuracy = row->task_loss = NAN;
    row->diverged = false;
    for (size_t i = 0; i < total; i++)
        if (!isfinite(e->xs[i])) {
            row->diverged = true; /* e.g. a linear (LR) network with an unstable J */
            return LRNN_OK;
        }
    if ((s = cli_lint_teacher_readout(e->ts->rnn, e->xs, e->n, e->T, e->ys)) ||
        (s = lrnn_task_accuracy(&e->ts->info.params, &e->ts->val, e->ys, &row->accuracy)))
        return s;
    row->task_loss = cli_lint_task_loss(&e->ts->val, e->ys);
    row->r2_states = lrnn_lint_r2(e->xt, e->xs, total);
    for (size_t i = 0; i < total; i++)
        e->xs[i] = tanh(e->xs[i]);
    row->r2_rates = lrnn_lint_r2(e->rt, e->xs, total);
    return lrnn_lint_r2_neurons(e->rt, e->xs, rows, e->N, e->r2n, &row->r2_rates_median, NULL);
}

/* ---- the sweep ---- */

typedef struct sweep_state {
    cli_teacher_set ts;
    sweep_eval ev;
    double *targets;                      /* training rates, n x T x N (BPTT targets) */
    lrnn_lint_regress *rg[SWEEP_METHODS]; /* NLR / LR regressions */
    lrnn_lint_rnn **students;             /* BPTT fit per rank, saved at the end */
    char **training;                      /* their training JSON */
    sweep_row *rows;
    size_t count;
} sweep_state;

static void sweep_state_free(sweep_state *st, int nranks) {
    for (int i = 0; i < SWEEP_METHODS; i++)
        lrnn_lint_regress_free(st->rg[i]);
    for (int i = 0; st->students && i < nranks; i++)
        lrnn_lint_free(st->students[i]);
    for (int i = 0; st->training && i < nranks; i++)
        free(st->training[i]);
    free(st->students), free(st->training), free(st->rows), free(st->targets);
    sweep_eval_free(&st->ev);
    cli_teacher_set_free(&st->ts);
}

/* Training trajectories of the teacher (its training trials, sigma, noise stream seed + 11 as
 * in `lrnn lint fit`): the BPTT targets tanh(x_{t+1}) and, observed through the same rates
 * (x = artanh(r), clipped), the regressions requested. */
static lrnn_status prepare_training(sweep_state *st, const sweep_args *a, double sigma,
                                    const bool *want, sweep_summary *sum) {
    const cli_teacher_set *ts = &st->ts;
    size_t n = ts->train.n, T = ts->train.T, N = (size_t)lrnn_lint_config_of(ts->rnn)->units;
    size_t U = ts->train.U;
    double *X = malloc(n * (T + 1) * N * sizeof *X);
    st->targets = malloc(n * T * N * sizeof *st->targets);
    if (!X || !st->targets) {
        free(X);
        return lrnn_fail(LRNN_ERR_NOMEM, "cannot allocate %zu x %zu x %zu training trajectories", n,
                         T + 1, N);
    }
    lrnn_lint_rnn *tn = NULL;
    lrnn_lint_noise noise = {a->seed + 11, 0};
    lrnn_status s = cli_lint_with_noise(ts->rnn, sigma, &tn);
    if (!s) s = lrnn_lint_simulate(tn, ts->train.inputs, NULL, n, T, noise, X, NULL);
    lrnn_lint_free(tn);
    if (s) goto done;
    for (size_t i = 0; i < n * (T + 1) * N; i++)
        X[i] = tanh(X[i]); /* the observed rates */
    for (size_t j = 0; j < n; j++)
        memcpy(st->targets + j * T * N, X + (j * (T + 1) + 1) * N, T * N * sizeof *X);
    if (!want[SWEEP_NLR] && !want[SWEEP_LR]) goto done;
    if ((s = lrnn_lint_states_from_rates(X, n * (T + 1) * N, RATE_CLIP_EPS, X,
                                         &sum->clipped_rates)))
        goto done;
    lrnn_lint_regress_data d = {n, T, N, U, X, ts->train.inputs};
    for (int m = SWEEP_NLR; m <= SWEEP_LR; m++) {
        if (!want[m]) continue;
        lrnn_lint_regress_params p = lrnn_lint_regress_default_params();
        p.features = m == SWEEP_NLR ? LRNN_LINT_REGRESS_NLR : LRNN_LINT_REGRESS_LR;
        p.ridge = a->ridge, p.alpha = lrnn_lint_config_of(ts->rnn)->alpha;
        if (!a->quiet)
            fprintf(stderr, "%s: normal equations of %zu x %zu steps, N = %zu ...\n",
                    sweep_method_label((sweep_method)m), n, T, N);
        if ((s = lrnn_lint_regress_create(&p, &d, &st->rg[m]))) goto done;
        sum->rank_deficient[m] = lrnn_lint_regress_rank_deficient(st->rg[m]);
    }
done:
    free(X);
    return s;
}

/* The truncated or regression network of method m at rank R (the BPTT fit is in run_rank). */
static lrnn_status method_network(sweep_state *st, const sweep_args *a, sweep_method m, int R,
                                  double sigma, lrnn_lint_rnn **net, sweep_row *row) {
    double t0 = now_seconds();
    if (m == SWEEP_TRUNC) {
        lrnn_status s = lrnn_lint_low_rank_from_full(st->ts.rnn, R, net);
        row->fit_seconds = now_seconds() - t0;
        return s;
    }
    lrnn_lint_regress_net_params np = {R, a->regression, sigma, LRNN_LINT_TARGET_RATES};
    lrnn_status s = lrnn_lint_regress_network(st->rg[m], &np, net, &row->onestep_r2);
    row->fit_seconds = lrnn_lint_regress_seconds(st->rg[m]) + now_seconds() - t0;
    return s;
}

static lrnn_status run_rank(sweep_state *st, const sweep_args *a, const bool *want, int R, int ri,
                            const sweep_summary *sum) {
    const lrnn_lint_config *tc = lrnn_lint_config_of(st->ts.rnn);
    for (int m = 0; m < SWEEP_METHODS; m++) {
        if (!want[m]) continue;
        sweep_row *row = &st->rows[st->count];
        *row = (sweep_row){.rank = R, .method = (sweep_method)m, .onestep_r2 = NAN};
        lrnn_lint_rnn *net = NULL;
        lrnn_status s;
        double sigma = m == SWEEP_TRUNC ? 0.0 : sum->student_noise;
        if (m == SWEEP_FIT) {
            char what[64];
            snprintf(what, sizeof what, "rank %d fit", R);
            cli_lint_progress pr = {what, isatty(STDERR_FILENO) != 0, a->quiet, 0.0};
            lrnn_lint_fit_params fp =
                cli_lint_fit_params(R, sum->student_noise_train, LRNN_LINT_TARGET_RATES, a->epochs,
                                    a->lr, a->batch, a->clip, a->seed, st->ts.train.n, &pr);
            lrnn_lint_data d = {.trials = st->ts.train.n,
                                .T = st->ts.train.T,
                                .inputs = st->ts.train.inputs,
                                .targets = st->targets};
            lrnn_lint_train_result res;
            s = lrnn_lint_fit(&fp, tc->units, tc->inputs, &d, &net, &res);
            if (s) return lrnn_fail_context(s, "the rank-%d LINT fit failed; nothing written", R);
            row->fit_seconds = res.seconds;
            json_t *j = json_pack("{s:s, s:i, s:f, s:i, s:f, s:f, s:I, s:I, s:f, s:f, s:i}",
                                  "teacher", a->teacher, "rank", R, "noise_std",
                                  sum->student_noise_train, "epochs", a->epochs, "lr", a->lr,
                                  "clip", a->clip, "batch", (json_int_t)fp.train.batch_size, "seed",
                                  (json_int_t)a->seed, "initial_loss", res.initial_loss,
                                  "best_loss", res.best_loss, "epochs_run", res.epochs_run);
            st->training[ri] =
                j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17))
                  : NULL;
            json_decref(j);
        } else if ((s = method_network(st, a, (sweep_method)m, R, sigma, &net, row))) {
            return lrnn_fail_context(s, "rank %d, %s", R, sweep_method_name((sweep_method)m));
        }
        s = sweep_evaluate(&st->ev, net, sigma, row);
        if (s || m != SWEEP_FIT)
            lrnn_lint_free(net);
        else
            st->students[ri] = net;
        if (s)
            return lrnn_fail_context(s, "evaluating rank %d, %s", R,
                                     sweep_method_name((sweep_method)m));
        st->count++;
        if (!a->quiet)
            fprintf(
                stderr,
                "rank %d %-5s R2 rates %8.4f (median %8.4f), R2 x %8.4f, accuracy %.3f, %.1f s%s\n",
                R, sweep_method_name((sweep_method)m), row->r2_rates, row->r2_rates_median,
                row->r2_states, row->accuracy, row->fit_seconds,
                row->diverged ? " (diverged)" : "");
    }
    return LRNN_OK;
}

/* Results to DIR (made now): fit_rank{R}.h5, sweep.csv, sweep.json, sweep.svg; and --json. */
static lrnn_status write_outputs(sweep_state *st, const sweep_args *a, const int *ranks, int nranks,
                                 const sweep_summary *sum, json_t *root) {
    lrnn_status s;
    if (a->out) {
        char path[4200];
        if (mkdir(a->out, 0777) != 0 && errno != EEXIST)
            return lrnn_fail(LRNN_ERR_IO, "%s: %s", a->out, strerror(errno));
        for (int ri = 0; ri < nranks; ri++) {
            if (!st->students[ri]) continue;
            snprintf(path, sizeof path, "%s/fit_rank%d.h5", a->out, ranks[ri]);
            if ((s = lrnn_lint_save(st->students[ri], path, &st->ts.info, st->training[ri])))
                return s;
        }
        snprintf(path, sizeof path, "%s/sweep.csv", a->out);
        if ((s = sweep_write_csv(path, st->rows, st->count))) return s;
        snprintf(path, sizeof path, "%s/sweep.json", a->out);
        if ((s = cli_lint_write_json(path, root))) return s;
        snprintf(path, sizeof path, "%s/sweep.svg", a->out);
        if ((s = sweep_write_figure(path, sum, st->rows, st->count))) return s;
    }
    if (a->json && (s = cli_lint_write_json(a->json, root))) return s;
    return LRNN_OK;
}

static int sweep_run(sweep_args *a, bool seen_epochs, bool seen_lr) {
    sweep_state st = {0};
    json_t *root = NULL;
    bool want[SWEEP_METHODS] = {false};
    int *ranks = NULL, nranks = 0, rc = 1;
    sweep_summary sum = {0};
    /* syntax of --ranks / --methods before the teacher is loaded */
    if (parse_methods(a->methods, want) || parse_ranks(a->ranks, &ranks, &nranks) ||
        (a->out && cli_lint_check_out_dir(a->out)) || cli_teacher_set_load(a->teacher, &st.ts))
        goto fail;
    const lrnn_lint_config *tc = lrnn_lint_config_of(st.ts.rnn);
    bool full = tc->kind == LRNN_LINT_FULL_RANK;
    if (ranks[nranks - 1] > tc->units) {
        lrnn_fail(LRNN_ERR_ARG, "--ranks %s: rank %d exceeds the %d units of %s", a->ranks,
                  ranks[nranks - 1], tc->units, a->teacher);
        goto fail;
    }
    if (want[SWEEP_TRUNC] && !full) {
        lrnn_fail(LRNN_ERR_ARG,
                  "--methods trunc needs a full-rank teacher, but %s is low rank (R = %d): its "
                  "truncation is not the baseline of spec 3.2; leave trunc out of --methods",
                  a->teacher, tc->rank);
        goto fail;
    }
    lrnn_task_kind kind = st.ts.info.params.kind;
    if (!seen_epochs) a->epochs = default_epochs(kind, full);
    if (!seen_lr) a->lr = kind == LRNN_TASK_ROMO ? 1e-3 : 1e-2;
    lrnn_task_noise tn = cli_lint_task_noise(kind, tc->noise_std);
    sum.teacher_noise = a->teacher_noise >= 0 ? a->teacher_noise
                        : full                ? tc->noise_std
                                              : tn.teacher_eval;
    sum.student_noise = a->student_noise >= 0 ? a->student_noise
                        : full                ? sum.teacher_noise
                                              : tn.student_eval;
    sum.student_noise_train = a->student_noise >= 0 ? a->student_noise
                              : full                ? sum.teacher_noise
                                                    : tn.student_train;
    sum.teacher = a->teacher, sum.task = lrnn_task_kind_name(kind);
    sum.teacher_kind = lrnn_lint_kind_name(tc->kind);
    sum.regression = lrnn_lint_regress_rank_name(a->regression);
    sum.units = tc->units, sum.epochs = a->epochs, sum.batch = a->batch;
    sum.train_trials = st.ts.train.n, sum.val_trials = st.ts.val.n, sum.steps = st.ts.train.T;
    sum.lr = a->lr, sum.clip = a->clip, sum.ridge = a->ridge, sum.seed = a->seed;
    fprintf(stderr,
            "LINT sweep: %s %s teacher %s (N = %d, sigma %g), ranks %s, %zu training / %zu "
            "validation trials, student sigma %g (training %g), %d epochs\n",
            sum.task, full ? "full-rank" : "low-rank", a->teacher, tc->units, sum.teacher_noise,
            a->ranks, sum.train_trials, sum.val_trials, sum.student_noise, sum.student_noise_train,
            a->epochs);

    size_t per_rank = 0;
    for (int m = 0; m < SWEEP_METHODS; m++)
        per_rank += want[m];
    st.rows = calloc((size_t)nranks * per_rank, sizeof *st.rows);
    st.students = calloc((size_t)nranks, sizeof *st.students);
    st.training = calloc((size_t)nranks, sizeof *st.training);
    if (!st.rows || !st.students || !st.training) {
        lrnn_fail(LRNN_ERR_NOMEM, "cannot allocate the results of %d ranks", nranks);
        goto fail;
    }
    if (sweep_eval_init(&st.ev, &st.ts, sum.teacher_noise, a->seed, &sum.teacher_accuracy,
                        &sum.teacher_loss) ||
        prepare_training(&st, a, sum.teacher_noise, want, &sum))
        goto fail;
    sweep_row self = {0}; /* the noise ceiling: the teacher scored against itself */
    if (sweep_evaluate(&st.ev, st.ts.rnn, sum.teacher_noise, &self)) goto fail;
    sum.r2_ceiling = self.r2_rates;
    for (int ri = 0; ri < nranks; ri++)
        if (run_rank(&st, a, want, ranks[ri], ri, &sum)) goto fail;

    root = sweep_json(&sum, st.rows, st.count);
    if (!root) {
        lrnn_fail(LRNN_ERR_NOMEM, "cannot build the JSON results");
        goto fail;
    }
    if (write_outputs(&st, a, ranks, nranks, &sum, root)) goto fail;
    sweep_print_table(&sum, st.rows, st.count);
    if (a->out)
        fprintf(stderr, "wrote %s/sweep.csv, sweep.json, sweep.svg and fit_rank*.h5\n", a->out);
    rc = 0;
    goto done;
fail:
    cli_report("lint sweep");
done:
    json_decref(root);
    sweep_state_free(&st, nranks);
    free(ranks);
    return rc;
}

static bool seen(const cli_command *cmd, const char *name) {
    for (int i = 0; i < cmd->count; i++)
        if (!strcmp(cmd->options[i].name, name)) return cmd->options[i].seen;
    return false;
}

int cmd_lint_sweep(int argc, char **argv) {
    sweep_args a = {.ranks = "1:5",
                    .methods = "fit,trunc,nlr,lr",
                    .regression = LRNN_LINT_REGRESS_RRR,
                    .epochs = 1000,
                    .batch = 32,
                    .lr = 1e-2,
                    .clip = 1.0,
                    .student_noise = -1,
                    .teacher_noise = -1,
                    .ridge = 0.0,
                    .seed = 1};
    cli_option options[] = {
        {"teacher", CLI_STRING, &a.teacher, "T.h5", "teacher from lrnn task train (--rank full)",
         true, NULL, false},
        {"ranks", CLI_STRING, &a.ranks, "LIST", "ranks: a range 1:5, a list 1,2,4, or both", false,
         NULL, false},
        {"methods", CLI_STRING, &a.methods, "LIST",
         "any of fit (LINT BPTT), trunc (truncated SVD), nlr, lr (regressions)", false, NULL,
         false},
        {"epochs", CLI_INT, &a.epochs, "E",
         "BPTT epochs (spec 3.4: full-rank cdm 1000, others 500; low-rank as lint fit)", false,
         NULL, false},
        {"lr", CLI_DOUBLE, &a.lr, "LR", "Adam learning rate (romo: 1e-3)", false, NULL, false},
        {"batch", CLI_SIZE, &a.batch, "B", "trials per minibatch", false, NULL, false},
        {"clip", CLI_DOUBLE, &a.clip, "C", "gradient-norm clipping (0: off)", false, NULL, false},
        {"student-noise", CLI_DOUBLE, &a.student_noise, "S",
         "student sigma in training and evaluation (-1: the teacher's; low-rank: spec 7.1)", false,
         NULL, false},
        {"teacher-noise", CLI_DOUBLE, &a.teacher_noise, "S",
         "teacher sigma (-1: its own; low-rank teacher: spec 7.1)", false, NULL, false},
        {"regression", CLI_CHOICE, &a.regression, NULL,
         "rank constraint of nlr / lr: reduced-rank regression or OLS + truncated SVD", false,
         &regress_choice, false},
        {"ridge", CLI_DOUBLE, &a.ridge, "L", "ridge lambda of the regressions", false, NULL, false},
        {"seed", CLI_U64, &a.seed, "S", "seed of initialisation, batches and noise", false, NULL,
         false},
        {"out", CLI_STRING, &a.out, "DIR",
         "write sweep.csv, sweep.json, sweep.svg and fit_rank{R}.h5 there", false, NULL, false},
        {"json", CLI_STRING, &a.json, "FILE", "also write the results as JSON", false, NULL, false},
        {"quiet", CLI_BOOL, &a.quiet, NULL, "no progress output", false, NULL, false},
    };
    cli_command cmd = {
        "lint sweep", "--teacher T.h5 [--ranks 1:5] [--methods fit,trunc,nlr,lr] [--out DIR]",
        "Fit a (full-rank) teacher at every rank (spec lint_method.md 3.2-3.4, 7.2):\n"
        "LINT BPTT fits, the truncated SVD of the teacher, and the reconstructed\n"
        "non-linear / linear regression fits (3.3). Each runs freely on the teacher's\n"
        "validation trials: R2 of rates (global, median per neuron), R2 of currents,\n"
        "task accuracy and loss through the teacher's readout, fit seconds.",
        options, (int)(sizeof options / sizeof options[0])};
    int rc = cli_parse(&cmd, argc, argv, NULL, 0, NULL);
    if (rc) return rc == 1 ? 0 : rc;
    if (a.epochs < 1 || a.batch < 1 || !(a.lr > 0) || !(a.clip >= 0) || !(a.ridge >= 0)) {
        fprintf(stderr, "lrnn lint sweep: --epochs, --batch and --lr must be positive, --clip "
                        "and --ridge >= 0\n");
        return 2;
    }
    return sweep_run(&a, seen(&cmd, "epochs"), seen(&cmd, "lr"));
}
