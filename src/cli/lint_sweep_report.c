/* Reports of lrnn lint sweep (lint_sweep.h): the table on stdout, CSV, JSON and the figure of
 * R2 and accuracy against rank (spec 7.2, Fig. 3 of the paper). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lint_sweep.h"
#include "lrnn/io.h"
#include "lrnn/plot.h"
#include "text_file.h"

const char *sweep_method_name(sweep_method m) {
    static const char *names[SWEEP_METHODS] = {"fit", "trunc", "nlr", "lr"};
    return m < SWEEP_METHODS ? names[m] : "?";
}

const char *sweep_method_label(sweep_method m) {
    static const char *labels[SWEEP_METHODS] = {"LINT fit (BPTT)", "truncated SVD",
                                                "non-linear regression", "linear regression"};
    return m < SWEEP_METHODS ? labels[m] : "?";
}

void sweep_print_table(const sweep_summary *s, const sweep_row *rows, size_t count) {
    printf("LINT sweep: %s %s teacher %s, N = %d, %zu validation trials x %zu steps\n", s->task,
           s->teacher_kind, s->teacher, s->units, s->val_trials, s->steps);
    printf("  teacher: accuracy %.4f, task loss %.4g (sigma %g); students sigma %g\n",
           s->teacher_accuracy, s->teacher_loss, s->teacher_noise, s->student_noise);
    printf("  R2 ceiling (the teacher against itself, independent noise): %.4f\n", s->r2_ceiling);
    printf("%4s  %-6s %9s %9s %9s %8s %10s %9s\n", "rank", "method", "R2 rates", "R2 median",
           "R2 x", "accuracy", "task loss", "seconds");
    for (size_t i = 0; i < count; i++) {
        const sweep_row *r = &rows[i];
        printf("%4d  %-6s %9.4f %9.4f %9.4f %8.4f %10.4g %9.2f%s\n", r->rank,
               sweep_method_name(r->method), r->r2_rates, r->r2_rates_median, r->r2_states,
               r->accuracy, r->task_loss, r->fit_seconds, r->diverged ? "  diverged" : "");
    }
}

/* A JSON number, or null for NaN / Inf (JSON has no such numbers). */
static json_t *num(double v) {
    return isfinite(v) ? json_real(v) : json_null();
}

json_t *sweep_json(const sweep_summary *s, const sweep_row *rows, size_t count) {
    json_t *root = json_object(), *res = json_array(), *def = json_object();
    if (!root || !res || !def) {
        json_decref(root), json_decref(res), json_decref(def);
        return NULL;
    }
    json_object_set_new(root, "teacher", json_string(s->teacher));
    json_object_set_new(root, "task", json_string(s->task));
    json_object_set_new(root, "teacher_kind", json_string(s->teacher_kind));
    json_object_set_new(root, "units", json_integer(s->units));
    json_object_set_new(root, "training_trials", json_integer((json_int_t)s->train_trials));
    json_object_set_new(root, "validation_trials", json_integer((json_int_t)s->val_trials));
    json_object_set_new(root, "steps", json_integer((json_int_t)s->steps));
    json_object_set_new(root, "teacher_noise", json_real(s->teacher_noise));
    json_object_set_new(root, "student_noise", json_real(s->student_noise));
    json_object_set_new(root, "student_noise_train", json_real(s->student_noise_train));
    json_object_set_new(root, "teacher_accuracy", num(s->teacher_accuracy));
    json_object_set_new(root, "teacher_loss", num(s->teacher_loss));
    json_object_set_new(root, "r2_ceiling", num(s->r2_ceiling));
    json_object_set_new(root, "epochs", json_integer(s->epochs));
    json_object_set_new(root, "lr", json_real(s->lr));
    json_object_set_new(root, "batch", json_integer((json_int_t)s->batch));
    json_object_set_new(root, "clip", json_real(s->clip));
    json_object_set_new(root, "seed", json_integer((json_int_t)s->seed));
    json_object_set_new(root, "regression", json_string(s->regression));
    json_object_set_new(root, "ridge", json_real(s->ridge));
    json_object_set_new(root, "clipped_rates", json_integer((json_int_t)s->clipped_rates));
    json_object_set_new(def, "nlr", json_boolean(s->rank_deficient[SWEEP_NLR]));
    json_object_set_new(def, "lr", json_boolean(s->rank_deficient[SWEEP_LR]));
    json_object_set_new(root, "rank_deficient", def);
    for (size_t i = 0; i < count; i++) {
        const sweep_row *r = &rows[i];
        json_t *o = json_object();
        json_object_set_new(o, "rank", json_integer(r->rank));
        json_object_set_new(o, "method", json_string(sweep_method_name(r->method)));
        json_object_set_new(o, "r2_rates", num(r->r2_rates));
        json_object_set_new(o, "r2_rates_median_neuron", num(r->r2_rates_median));
        json_object_set_new(o, "r2_states", num(r->r2_states));
        json_object_set_new(o, "accuracy", num(r->accuracy));
        json_object_set_new(o, "task_loss", num(r->task_loss));
        json_object_set_new(o, "fit_seconds", num(r->fit_seconds));
        json_object_set_new(o, "onestep_r2", num(r->onestep_r2));
        json_object_set_new(o, "diverged", json_boolean(r->diverged));
        json_array_append_new(res, o);
    }
    json_object_set_new(root, "results", res);
    return root;
}

lrnn_status sweep_write_csv(const char *path, const sweep_row *rows, size_t count) {
    cli_text t;
    lrnn_status s = cli_text_begin(&t, path);
    if (s) return s;
    FILE *f = t.f;
    fprintf(f, "rank,method,r2_rates,r2_rates_median_neuron,r2_states,accuracy,task_loss,"
               "fit_seconds,onestep_r2,diverged\n");
    for (size_t i = 0; i < count; i++) {
        const sweep_row *r = &rows[i];
        /* %.10g keeps R2 near 1 distinguishable; NaN prints as "nan" (numpy, pandas read it) */
        fprintf(f, "%d,%s,%.10g,%.10g,%.10g,%.10g,%.10g,%.4f,%.10g,%d\n", r->rank,
                sweep_method_name(r->method), r->r2_rates, r->r2_rates_median, r->r2_states,
                r->accuracy, r->task_loss, r->fit_seconds, r->onestep_r2, r->diverged ? 1 : 0);
    }
    return cli_text_commit(&t, path);
}

/* R2 below this is drawn at the edge: the truncated and regression networks can reach R2 of
 * -100 and more, which would flatten every other curve. */
#define R2_FLOOR -1.0

lrnn_status sweep_write_figure(const char *path, const sweep_summary *s, const sweep_row *rows,
                               size_t count) {
    lrnn_figure *fig = NULL;
    lrnn_status st = lrnn_figure_create(1, 2, 960, 400, &fig);
    if (st) return st;
    double *x = malloc((count ? count : 1) * sizeof *x),
           *r2 = malloc((count ? count : 1) * sizeof *r2);
    double *acc = malloc((count ? count : 1) * sizeof *acc);
    if (!x || !r2 || !acc) {
        st = lrnn_fail(LRNN_ERR_NOMEM, "%s: out of memory", path);
        goto done;
    }
    char title[512];
    snprintf(title, sizeof title, "%s %s teacher %s (N = %d)", s->task, s->teacher_kind, s->teacher,
             s->units);
    lrnn_figure_title(fig, title);
    lrnn_axes *a0 = lrnn_figure_axes(fig, 0, 0), *a1 = lrnn_figure_axes(fig, 0, 1);
    lrnn_axes_labels(a0, "validation R2 of rates", "rank", "R2");
    lrnn_axes_labels(a1, "task accuracy (teacher's readout)", "rank", "accuracy");
    static const lrnn_marker markers[SWEEP_METHODS] = {LRNN_MARKER_CIRCLE, LRNN_MARKER_SQUARE,
                                                       LRNN_MARKER_TRIANGLE, LRNN_MARKER_DIAMOND};
    double lo = 0.0;
    for (int m = 0; m < SWEEP_METHODS; m++) {
        size_t n = 0;
        for (size_t i = 0; i < count; i++)
            if (rows[i].method == (sweep_method)m) {
                x[n] = rows[i].rank, acc[n] = rows[i].accuracy;
                r2[n] = isfinite(rows[i].r2_rates) ? fmax(rows[i].r2_rates, R2_FLOOR) : NAN;
                if (isfinite(r2[n])) lo = fmin(lo, r2[n]);
                n++;
            }
        if (n == 0) continue;
        lrnn_plot_style style = {.color = lrnn_plot_cycle(m),
                                 .marker = markers[m],
                                 .label = sweep_method_label((sweep_method)m)};
        lrnn_axes_line(a0, x, r2, n, &style);
        lrnn_axes_line(a1, x, acc, n, &style);
    }
    lrnn_axes_ylim(a0, lo - 0.05, 1.02);
    lrnn_axes_ylim(a1, 0.4, 1.02); /* chance is 0.5 for the two-choice tasks */
    lrnn_axes_legend(a0, LRNN_LEGEND_BEST);
    lrnn_axes_legend(a1, LRNN_LEGEND_BEST);
    st = lrnn_figure_save(fig, path);
done:
    free(x), free(r2), free(acc);
    lrnn_figure_free(fig);
    return st;
}
