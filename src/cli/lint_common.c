/* Pieces shared by the lrnn lint subcommands (declared in lint_cli.h): teachers with their task
 * trials, noise settings of spec 7.1, the teacher's readout on any network's states, fit
 * parameters, task loss, masked R2 and the --out check. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lint_cli.h"
#include "lrnn/lint_file.h"

/* A copy of rnn whose per-step noise is sigma (the noise is part of the config). */
lrnn_status cli_lint_with_noise(const lrnn_lint_rnn *rnn, double sigma, lrnn_lint_rnn **out) {
    lrnn_lint_config c = *lrnn_lint_config_of(rnn);
    c.noise_std = sigma;
    lrnn_status s = lrnn_lint_create(&c, out);
    if (s) return s;
    memcpy(lrnn_lint_params(*out), lrnn_lint_params_const(rnn),
           lrnn_lint_layout(rnn)->total * sizeof(double));
    return LRNN_OK;
}

/* A teacher and the task trials it stores, split as it was trained. */
void cli_teacher_set_free(cli_teacher_set *t) {
    lrnn_lint_free(t->rnn);
    lrnn_task_data_free(&t->all);
}

lrnn_status cli_teacher_set_load(const char *path, cli_teacher_set *t) {
    memset(t, 0, sizeof *t);
    lrnn_status s = lrnn_lint_load(path, &t->rnn, &t->info, NULL);
    if (s) return s;
    if (!t->info.present)
        return lrnn_fail(LRNN_ERR_ARG,
                         "%s stores no task (not made by lrnn task train?); fit "
                         "recorded trajectories with --data instead",
                         path);
    const lrnn_lint_config *c = lrnn_lint_config_of(t->rnn);
    lrnn_task_dims dims;
    if ((s = lrnn_task_dims_get(&t->info.params, &dims))) return s;
    if ((size_t)c->inputs != dims.U)
        return lrnn_fail(LRNN_ERR_SHAPE, "%s: the network has %d inputs but its task %s has %zu",
                         path, c->inputs, lrnn_task_kind_name(t->info.params.kind), dims.U);
    if ((s = lrnn_task_generate(&t->info.params, t->info.seed, 0, t->info.trials, &t->all)) ||
        (s = lrnn_task_split(&t->all, t->info.params.validation_fraction, &t->train, &t->val)))
        return s;
    if (t->train.n == 0 || t->val.n == 0)
        return lrnn_fail(LRNN_ERR_ARG, "%s: its task has %zu training and %zu validation trials",
                         path, t->train.n, t->val.n);
    return LRNN_OK;
}

/* Noise of spec 7.1 (teacher_eval, student_eval, student_train) for the task, or the
 * fallback when the task has no validation experiment (raposo). */
lrnn_task_noise cli_lint_task_noise(lrnn_task_kind kind, double teacher_fallback) {
    lrnn_task_noise n = {teacher_fallback, 0.0, 0.0};
    if (lrnn_task_validation_noise(kind, &n) != LRNN_OK) {
        lrnn_clear_error();
        n = (lrnn_task_noise){teacher_fallback, 0.0, 0.0};
    }
    return n;
}

/* J as factors m n^T for the correlations (their cosine ignores the 1/N): low rank m, n
 * (N x R); full rank m = wrec, n = I (N x N). *owned is freed by the caller. */
void cli_lint_factors(lrnn_lint_rnn *rnn, size_t *R, const double **m, const double **n,
                    double **owned) {
    const lrnn_lint_config *c = lrnn_lint_config_of(rnn);
    lrnn_lint_view v = lrnn_lint_view_of(lrnn_lint_layout(rnn), lrnn_lint_params(rnn));
    size_t N = (size_t)c->units;
    *owned = NULL;
    if (c->kind == LRNN_LINT_LOW_RANK) {
        *R = (size_t)c->rank, *m = v.m, *n = v.n;
        return;
    }
    *owned = calloc(N * N, sizeof **owned);
    for (size_t i = 0; *owned && i < N; i++)
        (*owned)[i * N + i] = 1.0;
    *R = N, *m = v.wrec, *n = *owned;
}

/* Outputs of the teacher's readout on any network's states (n x (T+1) x N): spec 5.1, the
 * fitted network read through wo_teacher; psi and the 1/N follow the teacher's config, so the
 * student's output is on the teacher's scale ([quirk] of so = N avoided). */
lrnn_status cli_lint_teacher_readout(const lrnn_lint_rnn *teacher, const double *states, size_t n,
                                   size_t T, double *out) {
    const lrnn_lint_config *c = lrnn_lint_config_of(teacher);
    lrnn_lint_view v = lrnn_lint_view_of(lrnn_lint_layout(teacher),
                                         (double *)(uintptr_t)lrnn_lint_params_const(teacher));
    if (!v.wo) return lrnn_fail(LRNN_ERR_ARG, "the teacher has no task readout (identity readout)");
    size_t N = (size_t)c->units, O = (size_t)c->outputs;
    double scale = c->out_div_n ? 1.0 / (double)N : 1.0;
    for (size_t b = 0; b < n; b++)
        for (size_t t = 0; t < T; t++) {
            const double *x = states + (b * (T + 1) + t + 1) * N;
            for (size_t o = 0; o < O; o++) {
                double acc = 0;
                for (size_t i = 0; i < N; i++) {
                    double r = c->psi == LRNN_LINT_TANH   ? tanh(x[i])
                               : c->psi == LRNN_LINT_RELU ? (x[i] > 0 ? x[i] : 0)
                                                          : x[i];
                    acc += r * v.wo[i * O + o];
                }
                out[(b * T + t) * O + o] = acc * v.so[o] * scale;
            }
        }
    return LRNN_OK;
}

lrnn_lint_fit_params cli_lint_fit_params(int rank, double noise_std, lrnn_lint_target target,
                                         int epochs, double lr, size_t batch, double clip,
                                         uint64_t seed, size_t trials, cli_lint_progress *pr) {
    lrnn_lint_fit_params fp = lrnn_lint_fit_default_params();
    fp.rank = rank, fp.noise_std = noise_std, fp.target = target, fp.svd_reparam = true;
    fp.seed = seed;
    fp.train.epochs = epochs, fp.train.lr = lr, fp.train.clip = clip, fp.train.keep_best = true;
    fp.train.batch_size = batch < trials ? batch : trials, fp.train.early_stop = 0.0;
    fp.train.seed = seed;
    fp.train.progress = pr ? cli_lint_progress_print : NULL, fp.train.user = pr;
    return fp;
}

double cli_lint_task_loss(const lrnn_task_data *d, const double *outputs) {
    size_t T = d->T, O = d->O;
    double total = 0;
    for (size_t b = 0; b < d->n; b++) {
        double sum = 0, norm = 0;
        for (size_t t = 0; t < T; t++) {
            const double *m = d->mask + (b * T + t) * O, *y = d->targets + (b * T + t) * O;
            const double *yh = outputs + (b * T + t) * O;
            for (size_t o = 0; o < O; o++) {
                double e = m[o] * (y[o] - yh[o]);
                sum += e * e / (double)O;
            }
            norm += m[0];
        }
        total += norm > 0 ? sum / norm : 0.0;
    }
    return isfinite(total) ? total / (double)d->n : NAN;
}

static int cmp_double(const void *x, const void *y) {
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

/* R2 over the entries with mask > 0: global (mean over all observed entries) and per neuron
 * (each over its observed rows; NaN when a neuron has fewer than two or is constant). */
void cli_lint_masked_r2(const double *y, const double *yhat, const double *mask, size_t rows,
                      size_t N, double *r2n, double *global, double *median) {
    double sum = 0, count = 0, sse = 0, sst = 0;
    for (size_t i = 0; i < rows * N; i++)
        if (mask[i] > 0) sum += y[i], count += 1;
    double mean = sum / count;
    for (size_t i = 0; i < rows * N; i++)
        if (mask[i] > 0) {
            sse += (y[i] - yhat[i]) * (y[i] - yhat[i]);
            sst += (y[i] - mean) * (y[i] - mean);
        }
    *global = sst > 0 ? 1.0 - sse / sst : NAN;
    size_t valid = 0;
    for (size_t j = 0; j < N; j++) {
        double sj = 0, cj = 0, e = 0, v = 0;
        for (size_t r = 0; r < rows; r++)
            if (mask[r * N + j] > 0) sj += y[r * N + j], cj += 1;
        double mj = cj > 0 ? sj / cj : 0;
        for (size_t r = 0; r < rows; r++)
            if (mask[r * N + j] > 0) {
                double d = y[r * N + j] - yhat[r * N + j], c = y[r * N + j] - mj;
                e += d * d, v += c * c;
            }
        r2n[j] = cj > 1 && v > 0 ? 1.0 - e / v : NAN;
        if (!isnan(r2n[j])) r2n[valid++] = r2n[j];
    }
    /* median over the neurons that have one (r2n is reordered) */
    qsort(r2n, valid, sizeof *r2n, cmp_double);
    *median = valid == 0       ? NAN
              : valid % 2 == 1 ? r2n[valid / 2]
                               : 0.5 * (r2n[valid / 2 - 1] + r2n[valid / 2]);
}

/* --out DIR: an existing directory, or one that can be made in an existing writable parent
 * (checked before hours of fitting; made only when the results are written). */
lrnn_status cli_lint_check_out_dir(const char *dir) {
    struct stat st;
    if (stat(dir, &st) == 0)
        return S_ISDIR(st.st_mode)
                   ? LRNN_OK
                   : lrnn_fail(LRNN_ERR_IO, "--out %s exists and is not a directory", dir);
    char parent[4096];
    if (strlen(dir) >= sizeof parent) return lrnn_fail(LRNN_ERR_ARG, "--out %s is too long", dir);
    strcpy(parent, dir);
    char *slash = strrchr(parent, '/');
    if (!slash)
        strcpy(parent, ".");
    else if (slash == parent)
        parent[1] = '\0';
    else
        *slash = '\0';
    if (access(parent, W_OK) != 0)
        return lrnn_fail(LRNN_ERR_IO, "--out %s: cannot create it in %s (%s)", dir, parent,
                         strerror(errno));
    return LRNN_OK;
}
