/* lrnn lint fit / lrnn lint eval: LINT fits of low-rank students to a teacher's rates or to
 * recorded trajectories (spec lint_method.md 3.1) and their evaluation (5.1, 5.2, 7.1). */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "lint_cli.h"
#include "lrnn/dataset.h"
#include "lrnn/io.h"
#include "lrnn/lint.h"
#include "lrnn/lint_file.h"
#include "lrnn/task.h"

static lrnn_status target_parse(const char *s, lrnn_lint_target *out) {
    if (!strcmp(s, "rates"))
        *out = LRNN_LINT_TARGET_RATES;
    else if (!strcmp(s, "states"))
        *out = LRNN_LINT_TARGET_STATES;
    else
        return lrnn_fail(LRNN_ERR_ARG, "target '%s' is not rates or states", s);
    return LRNN_OK;
}
static const char *target_name(const void *t) {
    return *(const lrnn_lint_target *)t == LRNN_LINT_TARGET_RATES ? "rates" : "states";
}
static lrnn_status target_parse_v(const char *s, void *t) {
    return target_parse(s, (lrnn_lint_target *)t);
}
static const cli_choice target_choice = {target_parse_v, target_name, "rates|states"};

typedef struct lint_args {
    const char *teacher, *student, *data, *inputs, *mask, *out, *json;
    lrnn_lint_target target;
    int rank, epochs;
    size_t batch, pre_period;
    double lr, clip, noise_std, teacher_noise, student_noise, early_stop;
    uint64_t seed;
    bool quiet, svd;
} lint_args;

/* ---- shared pieces ---- */

static int usage_fail(const char *what, const char *msg) {
    fprintf(stderr, "lrnn lint %s: %s\n", what, msg);
    return 2;
}

/* ======================================================================================
 * lint fit
 * ====================================================================================== */

/* Recorded data: B x T x N from --data (NaN entries masked), optional --inputs and --mask,
 * and P free steps in front (spec 3.1 "Real data"). Arrays are allocated here. */
typedef struct data_fit {
    lrnn_dataset ds;
    size_t B, T, N, U; /* T includes the pre-period */
    double *targets, *mask, *inputs;
} data_fit;

static void data_fit_free(data_fit *f) {
    lrnn_dataset_free(&f->ds);
    free(f->targets), free(f->mask), free(f->inputs);
}

static lrnn_status load_mask(const char *spec, size_t B, size_t T, size_t N, double *mask) {
    lrnn_array a = {0};
    double *v = NULL;
    lrnn_status s = lrnn_array_load(spec, &a);
    if (!s) s = lrnn_array_to_f64(&a, &v);
    if (s) goto done;
    bool per_step = a.ndim == 2 && a.shape[0] == B && a.shape[1] == T;
    bool per_unit = a.ndim == 3 && a.shape[0] == B && a.shape[1] == T && a.shape[2] == N;
    if (!per_step && !per_unit) {
        s = lrnn_fail(LRNN_ERR_SHAPE,
                      "%s: the mask must be trials x time (%zu x %zu) or trials x "
                      "time x neurons (%zu x %zu x %zu) like the data",
                      spec, B, T, B, T, N);
        goto done;
    }
    size_t count = lrnn_array_count(&a);
    for (size_t i = 0; i < count; i++)
        if (!isfinite(v[i]) || v[i] < 0) {
            s = lrnn_fail(LRNN_ERR_NUMERIC,
                          "%s: mask value %g at index %zu is not a finite "
                          "number >= 0",
                          spec, v[i], i);
            goto done;
        }
    for (size_t i = 0; i < B * T * N; i++)
        mask[i] *= per_unit ? v[i] : v[i / N];
done:
    free(v);
    lrnn_array_free(&a);
    return s;
}

static lrnn_status data_fit_load(const lint_args *a, data_fit *f) {
    memset(f, 0, sizeof *f);
    lrnn_status s = lrnn_dataset_load(a->data, LRNN_LAYOUT_AUTO, LRNN_NAN_MASK, &f->ds);
    if (!s && a->inputs) s = lrnn_dataset_load_inputs(&f->ds, a->inputs, LRNN_LAYOUT_AUTO);
    if (s) return s;
    const lrnn_dataset *d = &f->ds;
    size_t P = a->pre_period, B = d->B, T0 = d->T, N = d->X, U = d->U, T = P + T0;
    if (N < 1 || T0 < 1 || B < 1)
        return lrnn_fail(LRNN_ERR_SHAPE, "%s: empty data (%zu trials x %zu steps x %zu neurons)",
                         a->data, B, T0, N);
    if (lrnn_dataset_observed(d) == 0)
        return lrnn_fail(LRNN_ERR_NUMERIC, "%s: every value is NaN (nothing observed)", a->data);
    double *y = malloc(B * T0 * N * sizeof *y), *m = malloc(B * T0 * N * sizeof *m);
    f->targets = malloc(B * T * N * sizeof *f->targets);
    f->mask = malloc(B * T * N * sizeof *f->mask);
    f->inputs = U ? malloc(B * T * U * sizeof *f->inputs) : NULL;
    if (!y || !m || !f->targets || !f->mask || (U && !f->inputs)) {
        free(y), free(m);
        return lrnn_fail(LRNN_ERR_NOMEM, "%s: cannot allocate %zu x %zu x %zu targets", a->data, B,
                         T, N);
    }
    memcpy(y, d->y, B * T0 * N * sizeof *y);
    for (size_t i = 0; i < B * T0 * N; i++)
        m[i] = d->mask ? d->mask[i] : 1.0;
    if (a->mask) s = load_mask(a->mask, B, T0, N, m);
    /* every trial needs an observed step in neuron 0's column: the loss normaliser (spec 2) */
    for (size_t b = 0; !s && b < B; b++) {
        double sum = 0;
        for (size_t t = 0; t < T0; t++)
            sum += m[(b * T0 + t) * N];
        if (sum <= 0)
            s = lrnn_fail(LRNN_ERR_ARG,
                          "%s: trial %zu has no observed step in neuron 0 (the loss "
                          "normalises by them, spec 2)",
                          a->data, b);
    }
    if (!s) lrnn_lint_prepend_free(y, m, true, B, T0, N, P, f->targets, f->mask);
    free(y), free(m);
    /* pre-period inputs: each trial's first input step held (context on, spec 3.1) */
    for (size_t b = 0; !s && b < B && U; b++)
        for (size_t t = 0; t < T; t++)
            memcpy(f->inputs + (b * T + t) * U, d->u + (b * T0 + (t < P ? 0 : t - P)) * U,
                   U * sizeof *f->inputs);
    f->B = B, f->T = T, f->N = N, f->U = U;
    return s;
}

static int fit_run(lint_args *a, bool seen_noise, bool seen_epochs, bool seen_lr) {
    cli_teacher_set ts = {0};
    data_fit df = {0};
    lrnn_lint_rnn *tnoisy = NULL, *student = NULL;
    double *targets = NULL;
    json_t *res_json = NULL;
    char *training = NULL;
    int rc = 1;
    lrnn_lint_fit_params fp = lrnn_lint_fit_default_params();
    lrnn_lint_data d = {0};
    int N, U;
    const char *source;
    double tsigma = NAN;
    if (a->teacher) {
        if (cli_teacher_set_load(a->teacher, &ts)) goto fail;
        const lrnn_lint_config *tc = lrnn_lint_config_of(ts.rnn);
        lrnn_task_kind kind = ts.info.params.kind;
        lrnn_task_noise tn = cli_lint_task_noise(kind, tc->noise_std);
        tsigma = a->teacher_noise >= 0 ? a->teacher_noise : tn.teacher_eval;
        if (!seen_noise) a->noise_std = tn.student_train;
        /* spec 3.4: epochs and learning rate of the validation fits */
        if (!seen_epochs)
            a->epochs = kind == LRNN_TASK_ROMO  ? 1000
                        : kind == LRNN_TASK_CDM ? 50
                        : kind == LRNN_TASK_DMS ? 500
                                                : 100;
        if (!seen_lr) a->lr = kind == LRNN_TASK_ROMO ? 1e-3 : 1e-2;
        N = tc->units, U = tc->inputs;
        size_t n = ts.train.n, T = ts.train.T;
        targets = malloc(n * T * (size_t)N * sizeof *targets);
        if (!targets) {
            lrnn_fail(LRNN_ERR_NOMEM, "cannot allocate %zu x %zu x %d targets", n, T, N);
            goto fail;
        }
        /* spec 3.1 steps 2-3: the teacher run once with its own noise; targets its rates */
        lrnn_lint_noise noise = {a->seed + 11, 0};
        if (cli_lint_with_noise(ts.rnn, tsigma, &tnoisy) ||
            lrnn_lint_teacher_targets(tnoisy, ts.train.inputs, n, T, noise, a->target, targets))
            goto fail;
        d = (lrnn_lint_data){.trials = n, .T = T, .inputs = ts.train.inputs, .targets = targets};
        source = a->teacher;
        fprintf(stderr,
                "LINT fit: rank %d student to %s teacher %s (N = %d, sigma %g): %zu trials "
                "x %zu steps, student sigma %g\n",
                a->rank, lrnn_task_kind_name(kind), a->teacher, N, tsigma, n, T, a->noise_std);
    } else {
        if (data_fit_load(a, &df)) goto fail;
        N = (int)df.N, U = (int)df.U;
        d = (lrnn_lint_data){.trials = df.B,
                             .T = df.T,
                             .inputs = df.inputs,
                             .targets = df.targets,
                             .mask = df.mask,
                             .mask_per_output = true};
        source = a->data;
        fprintf(stderr,
                "LINT fit: rank %d student to %s: %zu trials x %zu steps (%zu free) x %d "
                "neurons, %d inputs, %s\n",
                a->rank, a->data, df.B, df.T, a->pre_period, N, U, target_name(&a->target));
    }
    if (a->rank > N) {
        lrnn_fail(LRNN_ERR_ARG, "--rank %d exceeds the %d neurons of %s", a->rank, N, source);
        goto fail;
    }
    cli_lint_progress pr = {"fit", isatty(STDERR_FILENO) != 0, a->quiet, 0.0};
    fp = cli_lint_fit_params(a->rank, a->noise_std, a->target, a->epochs, a->lr, a->batch, a->clip,
                             a->seed, d.trials, &pr);
    fp.svd_reparam = a->svd, fp.train.early_stop = a->early_stop;
    lrnn_lint_train_result res;
    if (lrnn_lint_fit(&fp, N, U, &d, &student, &res)) {
        lrnn_fail_context(LRNN_ERR_NUMERIC, "the fit failed; nothing written");
        goto fail;
    }
    res_json = json_pack(
        "{s:s, s:s, s:i, s:i, s:f, s:s, s:i, s:f, s:f, s:I, s:I, s:f, s:f, s:f, "
        "s:i, s:f}",
        a->teacher ? "teacher" : "data", source, "target", target_name(&a->target), "rank", a->rank,
        "units", N, "noise_std", a->noise_std, "svd_reparam", a->svd ? "yes" : "no", "epochs",
        a->epochs, "lr", a->lr, "clip", a->clip, "batch", (json_int_t)fp.train.batch_size, "seed",
        (json_int_t)a->seed, "initial_loss", res.initial_loss, "final_loss", res.final_loss,
        "best_loss", res.best_loss, "epochs_run", res.epochs_run, "seconds", res.seconds);
    if (a->teacher)
        json_object_set_new(res_json, "teacher_noise", json_real(tsigma));
    else
        json_object_set_new(res_json, "pre_period", json_integer((json_int_t)a->pre_period));
    training = json_dumps(res_json, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
    if (lrnn_lint_save(student, a->out, a->teacher ? &ts.info : NULL, training)) goto fail;
    if (a->json && cli_lint_write_json(a->json, res_json)) goto fail;
    printf("LINT fit: rank %d, N = %d, %d epochs in %.1f s, loss %.4g -> best %.4g\n", a->rank, N,
           res.epochs_run, res.seconds, res.initial_loss, res.best_loss);
    fprintf(stderr, "wrote %s\n", a->out);
    rc = 0;
    goto done;
fail:
    cli_report("lint fit");
done:
    json_decref(res_json);
    free(training);
    free(targets);
    lrnn_lint_free(tnoisy);
    lrnn_lint_free(student);
    cli_teacher_set_free(&ts);
    data_fit_free(&df);
    return rc;
}

/* ======================================================================================
 * lint eval
 * ====================================================================================== */

/* A student against recorded trajectories (the data it was fitted to, or held-out trials):
 * its outputs psi(x_{t+1}) on the data's inputs (with the same pre-period) against the data. */
static int eval_data_run(lint_args *a) {
    data_fit df = {0};
    lrnn_lint_rnn *student = NULL, *sn = NULL;
    double *y = NULL, *r2n = NULL;
    json_t *root = NULL;
    int rc = 1;
    if (lrnn_lint_load(a->student, &student, NULL, NULL) || data_fit_load(a, &df)) goto fail;
    const lrnn_lint_config *sc = lrnn_lint_config_of(student);
    if (!sc->identity_readout || (size_t)sc->units != df.N || (size_t)sc->inputs != df.U) {
        lrnn_fail(LRNN_ERR_SHAPE,
                  "student %s (N = %d units, %d inputs, %s readout) does not "
                  "read out the %zu neurons and %zu inputs of %s",
                  a->student, sc->units, sc->inputs, sc->identity_readout ? "identity" : "task",
                  df.N, df.U, a->data);
        goto fail;
    }
    double sig = a->student_noise >= 0 ? a->student_noise : 0.0;
    y = malloc(df.B * df.T * df.N * sizeof *y), r2n = malloc(df.N * sizeof *r2n);
    if (!y || !r2n) {
        lrnn_fail(LRNN_ERR_NOMEM, "cannot allocate %zu x %zu x %zu outputs", df.B, df.T, df.N);
        goto fail;
    }
    lrnn_lint_noise ns = {a->seed + 22, 0};
    if (cli_lint_with_noise(student, sig, &sn) ||
        lrnn_lint_simulate(sn, df.inputs, NULL, df.B, df.T, ns, NULL, y))
        goto fail;
    double r2, median;
    cli_lint_masked_r2(df.targets, y, df.mask, df.B * df.T, df.N, r2n, &r2, &median);
    printf("LINT eval: student %s vs %s, %zu trials x %zu steps (%zu free), %zu neurons, student "
           "sigma %g\n",
           a->student, a->data, df.B, df.T - a->pre_period, a->pre_period, df.N, sig);
    printf("  %-44s %8.4f\n", "R2 (global, observed entries)", r2);
    printf("  %-44s %8.4f\n", "R2 (median per neuron)", median);
    root = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:f}", "student", a->student, "data", a->data,
                     "trials", (json_int_t)df.B, "steps", (json_int_t)(df.T - a->pre_period),
                     "pre_period", (json_int_t)a->pre_period, "units", (json_int_t)df.N,
                     "student_noise", sig);
    json_object_set_new(root, "r2", isnan(r2) ? json_null() : json_real(r2));
    json_object_set_new(root, "r2_median_neuron", isnan(median) ? json_null() : json_real(median));
    if (a->json && cli_lint_write_json(a->json, root)) goto fail;
    rc = 0;
    goto done;
fail:
    cli_report("lint eval");
done:
    json_decref(root);
    free(y), free(r2n);
    lrnn_lint_free(sn);
    lrnn_lint_free(student);
    data_fit_free(&df);
    return rc;
}

static int eval_run(lint_args *a) {
    cli_teacher_set ts = {0};
    lrnn_lint_rnn *student = NULL, *tn = NULL, *sn = NULL;
    double *xs_t = NULL, *xs_s = NULL, *y_t = NULL, *y_s = NULL, *r2n = NULL, *win_t = NULL,
           *win_s = NULL, *own_t = NULL, *own_s = NULL;
    json_t *root = NULL;
    int rc = 1;
    if (cli_teacher_set_load(a->teacher, &ts) || lrnn_lint_load(a->student, &student, NULL, NULL))
        goto fail;
    const lrnn_lint_config *tc = lrnn_lint_config_of(ts.rnn), *sc = lrnn_lint_config_of(student);
    if (tc->units != sc->units || tc->inputs != sc->inputs) {
        lrnn_fail(LRNN_ERR_SHAPE,
                  "student %s has N = %d units and %d inputs but teacher %s has N "
                  "= %d and %d inputs",
                  a->student, sc->units, sc->inputs, a->teacher, tc->units, tc->inputs);
        goto fail;
    }
    lrnn_task_kind kind = ts.info.params.kind;
    lrnn_task_noise noise = cli_lint_task_noise(kind, tc->noise_std);
    double tsig = a->teacher_noise >= 0 ? a->teacher_noise : noise.teacher_eval;
    double ssig = a->student_noise >= 0 ? a->student_noise : noise.student_eval;
    size_t n = ts.val.n, T = ts.val.T, N = (size_t)tc->units, U = (size_t)tc->inputs;
    size_t O = (size_t)tc->outputs, rows = n * (T + 1);
    xs_t = malloc(rows * N * sizeof *xs_t), xs_s = malloc(rows * N * sizeof *xs_s);
    y_t = malloc(n * T * O * sizeof *y_t), y_s = malloc(n * T * O * sizeof *y_s);
    r2n = malloc(N * sizeof *r2n);
    win_t = malloc((U ? U : 1) * N * sizeof *win_t),
    win_s = malloc((U ? U : 1) * N * sizeof *win_s);
    if (!xs_t || !xs_s || !y_t || !y_s || !r2n || !win_t || !win_s) {
        lrnn_fail(LRNN_ERR_NOMEM, "cannot allocate %zu x %zu x %zu states", n, T + 1, N);
        goto fail;
    }
    /* spec 5.1 / 7.1: both networks on the validation inputs, each with its own noise */
    lrnn_lint_noise nt = {a->seed + 21, 0}, ns = {a->seed + 22, 0};
    if (cli_lint_with_noise(ts.rnn, tsig, &tn) || cli_lint_with_noise(student, ssig, &sn) ||
        lrnn_lint_simulate(tn, ts.val.inputs, NULL, n, T, nt, xs_t, NULL) ||
        lrnn_lint_simulate(sn, ts.val.inputs, NULL, n, T, ns, xs_s, NULL))
        goto fail;
    double acc_t, acc_s;
    if (cli_lint_teacher_readout(ts.rnn, xs_t, n, T, y_t) || cli_lint_teacher_readout(ts.rnn, xs_s, n, T, y_s) ||
        lrnn_task_accuracy(&ts.info.params, &ts.val, y_t, &acc_t) ||
        lrnn_task_accuracy(&ts.info.params, &ts.val, y_s, &acc_s))
        goto fail;
    /* rates tanh(x_t), t = 0 included (spec 5.1) */
    for (size_t i = 0; i < rows * N; i++)
        xs_t[i] = tanh(xs_t[i]), xs_s[i] = tanh(xs_s[i]);
    double r2 = lrnn_lint_r2(xs_t, xs_s, rows * N), median, mean;
    if (lrnn_lint_r2_neurons(xs_t, xs_s, rows, N, r2n, &median, &mean)) goto fail;
    size_t Rt, Rs;
    const double *mt, *nt_, *ms, *ns_;
    cli_lint_factors(ts.rnn, &Rt, &mt, &nt_, &own_t);
    cli_lint_factors(student, &Rs, &ms, &ns_, &own_s);
    if ((tc->kind == LRNN_LINT_FULL_RANK && !own_t) ||
        (sc->kind == LRNN_LINT_FULL_RANK && !own_s)) {
        lrnn_fail(LRNN_ERR_NOMEM, "cannot allocate an identity of %zu x %zu", N, N);
        goto fail;
    }
    lrnn_lint_effective_input(ts.rnn, win_t);
    lrnn_lint_effective_input(student, win_s);
    double cc = lrnn_lint_cc(N, Rt, mt, nt_, Rs, ms, ns_), ecc;
    if (lrnn_lint_ecc(N, Rt, mt, nt_, U, win_t, Rs, ms, ns_, U, win_s, &ecc)) goto fail;

    printf("LINT eval: %s teacher %s vs student %s, %zu validation trials x %zu steps, N = %zu\n",
           lrnn_task_kind_name(kind), a->teacher, a->student, n, T, N);
    printf("  noise: teacher sigma %g, student sigma %g\n", tsig, ssig);
    printf("  %-44s %8.4f\n", "R2 of rates (global)", r2);
    printf("  %-44s %8.4f\n", "R2 of rates (median per neuron)", median);
    printf("  %-44s %8.4f\n", "task accuracy, teacher", acc_t);
    printf("  %-44s %8.4f\n", "task accuracy, student (teacher's readout)", acc_s);
    printf("  %-44s %8.4f\n", "connectivity correlation (CC)", cc);
    printf("  %-44s %8.4f\n", "effective connectivity corr. (ECC)", ecc);
    root = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, "
                     "s:i}",
                     "task", lrnn_task_kind_name(kind), "teacher", a->teacher, "student",
                     a->student, "trials", (json_int_t)n, "steps", (json_int_t)T, "units",
                     (json_int_t)N, "teacher_noise", tsig, "student_noise", ssig, "r2", r2,
                     "r2_median_neuron", median, "r2_mean_neuron", mean, "accuracy_teacher", acc_t,
                     "accuracy_student", acc_s, "cc", cc, "ecc", ecc, "student_rank",
                     sc->kind == LRNN_LINT_LOW_RANK ? sc->rank : sc->units);
    if (!root) {
        lrnn_fail(LRNN_ERR_NOMEM, "cannot build the JSON results");
        goto fail;
    }
    /* a NaN R2 (constant rates) has no JSON number */
    if (isnan(r2)) json_object_set_new(root, "r2", json_null());
    if (isnan(median)) json_object_set_new(root, "r2_median_neuron", json_null());
    if (isnan(mean)) json_object_set_new(root, "r2_mean_neuron", json_null());
    if (a->json && cli_lint_write_json(a->json, root)) goto fail;
    rc = 0;
    goto done;
fail:
    cli_report("lint eval");
done:
    json_decref(root);
    free(xs_t), free(xs_s), free(y_t), free(y_s), free(r2n), free(win_t), free(win_s);
    free(own_t), free(own_s);
    lrnn_lint_free(tn);
    lrnn_lint_free(sn);
    lrnn_lint_free(student);
    cli_teacher_set_free(&ts);
    return rc;
}

/* ======================================================================================
 * Entry
 * ====================================================================================== */

static bool seen(const cli_command *cmd, const char *name) {
    for (int i = 0; i < cmd->count; i++)
        if (!strcmp(cmd->options[i].name, name)) return cmd->options[i].seen;
    return false;
}

static int cmd_lint_fit(int argc, char **argv) {
    lint_args a = {.target = LRNN_LINT_TARGET_RATES,
                   .rank = 1,
                   .epochs = 100,
                   .batch = 32,
                   .lr = 1e-2,
                   .clip = 1.0,
                   .noise_std = 0.0,
                   .teacher_noise = -1,
                   .early_stop = 0.0,
                   .seed = 1,
                   .svd = true};
    cli_option options[] = {
        {"teacher", CLI_STRING, &a.teacher, "T.h5",
         "teacher from lrnn task train: fit its rates on its training trials", false, NULL, false},
        {"data", CLI_STRING, &a.data, "FILE",
         "recorded trajectories, trials x time x neurons (.npy/.npz/.csv/.h5; NaN = unobserved)",
         false, NULL, false},
        {"inputs", CLI_STRING, &a.inputs, "FILE", "with --data: inputs, trials x time x U", false,
         NULL, false},
        {"mask", CLI_STRING, &a.mask, "FILE",
         "with --data: mask, trials x time or trials x time x neurons", false, NULL, false},
        {"pre-period", CLI_SIZE, &a.pre_period, "P",
         "with --data: free steps before the data (masked; first inputs held)", false, NULL, false},
        {"target", CLI_CHOICE, &a.target, NULL,
         "fit rates tanh(x) or states x (with --data the default is states)", false, &target_choice,
         false},
        {"rank", CLI_INT, &a.rank, "R", "rank of the student", true, NULL, false},
        {"noise-std", CLI_DOUBLE, &a.noise_std, "S",
         "student noise in training (teacher: spec 7.1's value for the task)", false, NULL, false},
        {"teacher-noise", CLI_DOUBLE, &a.teacher_noise, "S",
         "teacher noise for the targets (-1: spec 7.1's value, else the teacher's)", false, NULL,
         false},
        {"epochs", CLI_INT, &a.epochs, "E",
         "epochs (teacher: spec 3.4's, rdm 100, romo 1000, cdm 50, dms 500)", false, NULL, false},
        {"lr", CLI_DOUBLE, &a.lr, "LR", "Adam learning rate (teacher romo: 1e-3)", false, NULL,
         false},
        {"clip", CLI_DOUBLE, &a.clip, "C", "gradient-norm clipping (0: off)", false, NULL, false},
        {"batch", CLI_SIZE, &a.batch, "B", "trials per minibatch", false, NULL, false},
        {"early-stop", CLI_DOUBLE, &a.early_stop, "L", "stop below this epoch loss (0: off)", false,
         NULL, false},
        {"svd", CLI_BOOL, &a.svd, NULL, "orthogonalise m and n by SVD after fitting", false, NULL,
         false},
        {"seed", CLI_U64, &a.seed, "S", "seed of initialisation, batches and noise", false, NULL,
         false},
        {"out", CLI_STRING, &a.out, "S.h5", "student model file", true, NULL, false},
        {"json", CLI_STRING, &a.json, "FILE", "also write the results as JSON", false, NULL, false},
        {"quiet", CLI_BOOL, &a.quiet, NULL, "no progress output", false, NULL, false},
    };
    cli_command cmd = {"lint fit", "--teacher T.h5 | --data FILE --rank R --out S.h5 [options]",
                       "Fit a rank-R LINT student (spec lint_method.md 3.1) neuron by neuron by\n"
                       "BPTT: to a teacher's rates on its task's training trials, or to recorded\n"
                       "trajectories.",
                       options, (int)(sizeof options / sizeof options[0])};
    int rc = cli_parse(&cmd, argc, argv, NULL, 0, NULL);
    if (rc) return rc == 1 ? 0 : rc;
    if (!a.teacher == !a.data) return usage_fail("fit", "give exactly one of --teacher and --data");
    if (a.teacher && (a.inputs || a.mask || a.pre_period))
        return usage_fail("fit", "--inputs, --mask and --pre-period go with --data");
    if (a.rank < 1 || a.epochs < 1 || a.batch < 1)
        return usage_fail("fit", "--rank, --epochs and --batch must be positive");
    if (a.data && !seen(&cmd, "target")) a.target = LRNN_LINT_TARGET_STATES;
    return fit_run(&a, seen(&cmd, "noise-std"), seen(&cmd, "epochs"), seen(&cmd, "lr"));
}

static int cmd_lint_eval(int argc, char **argv) {
    lint_args a = {.teacher_noise = -1, .student_noise = -1, .seed = 1};
    cli_option options[] = {
        {"teacher", CLI_STRING, &a.teacher, "T.h5", "teacher from lrnn task train", false, NULL,
         false},
        {"student", CLI_STRING, &a.student, "S.h5", "student from lrnn lint fit", true, NULL,
         false},
        {"data", CLI_STRING, &a.data, "FILE",
         "instead of a teacher: trajectories, trials x time x neurons", false, NULL, false},
        {"inputs", CLI_STRING, &a.inputs, "FILE", "with --data: inputs, trials x time x U", false,
         NULL, false},
        {"mask", CLI_STRING, &a.mask, "FILE",
         "with --data: mask, trials x time or trials x time x neurons", false, NULL, false},
        {"pre-period", CLI_SIZE, &a.pre_period, "P",
         "with --data: free steps before the data, as in the fit", false, NULL, false},
        {"teacher-noise", CLI_DOUBLE, &a.teacher_noise, "S",
         "teacher noise (-1: spec 7.1's value for the task)", false, NULL, false},
        {"student-noise", CLI_DOUBLE, &a.student_noise, "S",
         "student noise (-1: spec 7.1's value for the task)", false, NULL, false},
        {"seed", CLI_U64, &a.seed, "S", "noise seed", false, NULL, false},
        {"json", CLI_STRING, &a.json, "FILE", "also write the results as JSON", false, NULL, false},
    };
    cli_command cmd = {
        "lint eval", "--teacher T.h5 | --data FILE --student S.h5 [--json FILE]",
        "Compare a LINT student with its teacher on the teacher's validation trials\n"
        "(spec 5.1, 5.2): R2 of rates (global, median per neuron), task accuracy\n"
        "through the teacher's readout, CC and ECC of the connectivity. With --data:\n"
        "R2 of the student's outputs against recorded trajectories.",
        options, (int)(sizeof options / sizeof options[0])};
    int rc = cli_parse(&cmd, argc, argv, NULL, 0, NULL);
    if (rc) return rc == 1 ? 0 : rc;
    if (!a.teacher == !a.data)
        return usage_fail("eval", "give exactly one of --teacher and --data");
    if (a.teacher && (a.inputs || a.mask || a.pre_period))
        return usage_fail("eval", "--inputs, --mask and --pre-period go with --data");
    return a.data ? eval_data_run(&a) : eval_run(&a);
}

int cmd_lint(int argc, char **argv) {
    if (argc >= 2 && !strcmp(argv[1], "fit")) return cmd_lint_fit(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "eval")) return cmd_lint_eval(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "sweep")) return cmd_lint_sweep(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "clusters")) return cmd_lint_clusters(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "inactivate"))
        return cmd_lint_inactivate(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "subsample")) return cmd_lint_subsample(argc - 1, argv + 1);
    bool help = argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"));
    fprintf(help ? stdout : stderr,
            "usage: lrnn lint fit --teacher T.h5 | --data FILE --rank R --out S.h5 [options]\n"
            "       lrnn lint eval --teacher T.h5 | --data FILE --student S.h5 [--json FILE]\n"
            "       lrnn lint sweep --teacher T.h5 --ranks 1:5 --out DIR\n"
            "       lrnn lint clusters --model S.h5 --out DIR\n"
            "       lrnn lint inactivate --teacher T.h5 --student S.h5 --populations FILE\n"
            "       lrnn lint subsample --teacher T.h5 --fractions 1,0.1,0.05 --out DIR\n"
            "  (lrnn lint <subcommand> --help for the options)\n");
    return help ? 0 : 2;
}
