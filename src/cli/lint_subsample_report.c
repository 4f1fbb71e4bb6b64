/* Reports of lrnn lint subsample (lint_subsample.h): statistics over draws, the table on
 * stdout, CSV, JSON and the figure of R2 and accuracy against the observed fraction p (spec 5.6,
 * 7.4; Fig. 2 of the paper). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lint_subsample.h"
#include "lrnn/io.h"
#include "lrnn/plot.h"
#include "text_file.h"

static const char *model_name[SUBS_MODELS] = {"low_rank", "full_rank"};

static double field_of(const subs_fit *f, subs_field k) {
    return k == SUBS_R2 ? f->r2 : k == SUBS_R2_MEDIAN ? f->r2_median : f->accuracy;
}

/* mean and sd = sqrt(mean (v - mean)^2) over the finite values */
static subs_stat stat_of(const double *v, size_t n) {
    subs_stat s = {NAN, NAN, 0};
    double sum = 0, sq = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(v[i])) sum += v[i], s.count++;
    if (s.count == 0) return s;
    s.mean = sum / s.count;
    for (size_t i = 0; i < n; i++)
        if (isfinite(v[i])) sq += (v[i] - s.mean) * (v[i] - s.mean);
    s.sd = sqrt(sq / s.count);
    return s;
}

subs_stat subs_stats(const subs_draw *d, size_t nd, int pi, int model, subs_field f) {
    double *v = malloc((nd ? nd : 1) * sizeof *v);
    size_t n = 0;
    if (!v) return (subs_stat){NAN, NAN, 0};
    for (size_t i = 0; i < nd; i++)
        if (d[i].pi == pi && d[i].model[model].done) v[n++] = field_of(&d[i].model[model], f);
    subs_stat s = stat_of(v, n);
    free(v);
    return s;
}

subs_stat subs_teacher_stats(const subs_draw *d, size_t nd, int pi) {
    double *v = malloc((nd ? nd : 1) * sizeof *v);
    size_t n = 0;
    if (!v) return (subs_stat){NAN, NAN, 0};
    for (size_t i = 0; i < nd; i++)
        if (d[i].pi == pi) v[n++] = d[i].teacher_accuracy;
    subs_stat s = stat_of(v, n);
    free(v);
    return s;
}

static size_t units_of(const subs_draw *d, size_t nd, int pi) {
    for (size_t i = 0; i < nd; i++)
        if (d[i].pi == pi) return d[i].units;
    return 0;
}

void subs_print_table(FILE *f, const subs_summary *s, const double *fractions, int nf,
                      const subs_draw *d, size_t nd) {
    fprintf(f,
            "LINT subsampling: %s %s teacher %s (N = %d, sigma %g), %d draws per fraction, "
            "%d epochs\n",
            s->task, s->teacher_kind, s->teacher, s->units, s->teacher_noise, s->draws, s->epochs);
    fprintf(f,
            "  R2 of rates on the observed neurons (%zu validation trials), accuracy through the "
            "restricted readout; mean +- sd over draws\n",
            s->val_trials);
    char r2_lr[32], acc_lr[32];
    snprintf(r2_lr, sizeof r2_lr, "R2 rank-%d", s->rank);
    snprintf(acc_lr, sizeof acc_lr, "acc rank-%d", s->rank);
    /* columns: mean +- sd (15 wide), the median R2 (mean over draws, 9 wide) */
    fprintf(f, "%7s %7s  %15s %9s  %15s", "p", "neurons", r2_lr, "R2 med", acc_lr);
    if (s->full_rank) fprintf(f, "  %15s %9s  %15s", "R2 full-rank", "R2 med", "acc full-rank");
    fprintf(f, "  %14s\n", "acc teacher(S)");
    for (int pi = 0; pi < nf; pi++) {
        fprintf(f, "%7.4g %7zu", fractions[pi], units_of(d, nd, pi));
        for (int m = 0; m < (s->full_rank ? 2 : 1); m++) {
            subs_stat r2 = subs_stats(d, nd, pi, m, SUBS_R2);
            subs_stat med = subs_stats(d, nd, pi, m, SUBS_R2_MEDIAN);
            subs_stat acc = subs_stats(d, nd, pi, m, SUBS_ACCURACY);
            fprintf(f, "  %6.3f +- %5.3f %9.3f  %6.3f +- %5.3f", r2.mean, r2.sd, med.mean, acc.mean,
                    acc.sd);
        }
        fprintf(f, "  %14.3f\n", subs_teacher_stats(d, nd, pi).mean);
    }
}

lrnn_status subs_write_csv(const char *path, const subs_summary *s, const subs_draw *d, size_t nd) {
    cli_text t;
    lrnn_status st = cli_text_begin(&t, path);
    if (st) return st;
    FILE *f = t.f;
    fprintf(f, "p,neurons,draw,model,rank,r2,r2_median_neuron,accuracy,teacher_accuracy_restricted,"
               "best_loss,epochs_run,seconds\n");
    for (size_t i = 0; i < nd; i++)
        for (int m = 0; m < SUBS_MODELS; m++) {
            const subs_fit *x = &d[i].model[m];
            if (!x->done) continue;
            /* %.10g keeps R2 near 1 distinguishable; NaN prints as "nan" (numpy, pandas read it) */
            fprintf(f, "%.10g,%zu,%d,%s,%zu,%.10g,%.10g,%.10g,%.10g,%.10g,%d,%.3f\n", d[i].p,
                    d[i].units, d[i].draw, model_name[m],
                    m == SUBS_LOW_RANK ? (size_t)s->rank : d[i].units, x->r2, x->r2_median,
                    x->accuracy, d[i].teacher_accuracy, x->best_loss, x->epochs_run, x->seconds);
        }
    return cli_text_commit(&t, path);
}

/* A JSON number, or null for NaN / Inf (JSON has no such numbers). */
static json_t *num(double v) {
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *stat_json(subs_stat s) {
    json_t *o = json_object();
    json_object_set_new(o, "mean", num(s.mean));
    json_object_set_new(o, "sd", num(s.sd));
    json_object_set_new(o, "count", json_integer(s.count));
    return o;
}

json_t *subs_json(const subs_summary *s, const double *fractions, int nf, const subs_draw *d,
                  size_t nd) {
    json_t *root = json_object(), *res = json_array();
    if (!root || !res) {
        json_decref(root), json_decref(res);
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
    json_object_set_new(root, "rank", json_integer(s->rank));
    json_object_set_new(root, "full_rank", json_boolean(s->full_rank));
    json_object_set_new(root, "draws", json_integer(s->draws));
    json_object_set_new(root, "epochs", json_integer(s->epochs));
    json_object_set_new(root, "lr", json_real(s->lr));
    json_object_set_new(root, "lr_full", json_real(s->lr_full));
    json_object_set_new(root, "batch", json_integer((json_int_t)s->batch));
    json_object_set_new(root, "clip", json_real(s->clip));
    json_object_set_new(root, "seed", json_integer((json_int_t)s->seed));
    json_object_set_new(root, "seconds", json_real(s->seconds));
    for (int pi = 0; pi < nf; pi++) {
        json_t *o = json_object(), *draws = json_array();
        json_object_set_new(o, "p", json_real(fractions[pi]));
        json_object_set_new(o, "neurons", json_integer((json_int_t)units_of(d, nd, pi)));
        for (int m = 0; m < (s->full_rank ? 2 : 1); m++) {
            json_t *st = json_object();
            json_object_set_new(st, "r2", stat_json(subs_stats(d, nd, pi, m, SUBS_R2)));
            json_object_set_new(st, "r2_median_neuron",
                                stat_json(subs_stats(d, nd, pi, m, SUBS_R2_MEDIAN)));
            json_object_set_new(st, "accuracy", stat_json(subs_stats(d, nd, pi, m, SUBS_ACCURACY)));
            json_object_set_new(o, model_name[m], st);
        }
        json_object_set_new(o, "teacher_accuracy_restricted",
                            stat_json(subs_teacher_stats(d, nd, pi)));
        for (size_t i = 0; i < nd; i++) {
            if (d[i].pi != pi) continue;
            json_t *dr = json_object();
            json_object_set_new(dr, "draw", json_integer(d[i].draw));
            json_object_set_new(dr, "teacher_accuracy_restricted", num(d[i].teacher_accuracy));
            for (int m = 0; m < SUBS_MODELS; m++) {
                const subs_fit *x = &d[i].model[m];
                if (!x->done) continue;
                json_t *f = json_object();
                json_object_set_new(f, "r2", num(x->r2));
                json_object_set_new(f, "r2_median_neuron", num(x->r2_median));
                json_object_set_new(f, "accuracy", num(x->accuracy));
                json_object_set_new(f, "best_loss", num(x->best_loss));
                json_object_set_new(f, "epochs_run", json_integer(x->epochs_run));
                json_object_set_new(f, "seconds", num(x->seconds));
                json_object_set_new(dr, model_name[m], f);
            }
            json_array_append_new(draws, dr);
        }
        json_object_set_new(o, "draws", draws);
        json_array_append_new(res, o);
    }
    json_object_set_new(root, "results", res);
    return root;
}

/* R2 below this is drawn at the edge: a full-rank student of a few neurons can score far below
 * 0 (spec 7.4: 0.31 at 10 neurons), which would flatten the rank-1 curve. */
#define R2_FLOOR -0.5

lrnn_status subs_write_figure(const char *path, const subs_summary *s, const double *fractions,
                              int nf, const subs_draw *d, size_t nd) {
    lrnn_figure *fig = NULL;
    lrnn_status st = lrnn_figure_create(1, 2, 960, 400, &fig);
    if (st) return st;
    size_t cap = nf > 0 ? (size_t)nf : 1;
    double *x = malloc(cap * sizeof *x), *mean = malloc(cap * sizeof *mean);
    double *lo = malloc(cap * sizeof *lo), *hi = malloc(cap * sizeof *hi);
    if (!x || !mean || !lo || !hi) {
        st = lrnn_fail(LRNN_ERR_NOMEM, "%s: out of memory", path);
        goto done;
    }
    char title[512];
    snprintf(title, sizeof title, "subsampling the %s %s teacher %s (N = %d), %d draws per p",
             s->task, s->teacher_kind, s->teacher, s->units, s->draws);
    lrnn_figure_title(fig, title);
    lrnn_axes *ax[2] = {lrnn_figure_axes(fig, 0, 0), lrnn_figure_axes(fig, 0, 1)};
    lrnn_axes_labels(ax[0], "R2 of rates on the observed neurons (mean +- 2 sd)",
                     "fraction of neurons observed p", "R2");
    lrnn_axes_labels(ax[1], "accuracy through the restricted readout (mean +- 2 sd)",
                     "fraction of neurons observed p", "accuracy");
    double r2_min = 1.0;
    for (int m = 0; m < (s->full_rank ? 2 : 1); m++) {
        char label[64];
        snprintf(label, sizeof label, m == SUBS_LOW_RANK ? "rank %d" : "full rank", s->rank);
        for (int k = 0; k < 2; k++) {
            subs_field f = k == 0 ? SUBS_R2 : SUBS_ACCURACY;
            for (int pi = 0; pi < nf; pi++) {
                subs_stat t = subs_stats(d, nd, pi, m, f);
                x[pi] = fractions[pi];
                mean[pi] = f == SUBS_R2 && t.mean < R2_FLOOR ? R2_FLOOR : t.mean;
                lo[pi] = fmax(t.mean - 2 * t.sd, f == SUBS_R2 ? R2_FLOOR : 0.0);
                hi[pi] = fmin(t.mean + 2 * t.sd, 1.0);
                if (f == SUBS_R2 && isfinite(lo[pi])) r2_min = fmin(r2_min, lo[pi]);
            }
            lrnn_plot_style band = {.color = lrnn_plot_cycle(m)};
            lrnn_plot_style line = {.color = lrnn_plot_cycle(m),
                                    .marker = m == SUBS_LOW_RANK ? LRNN_MARKER_CIRCLE
                                                                 : LRNN_MARKER_SQUARE,
                                    .label = label};
            lrnn_axes_band(ax[k], x, lo, hi, (size_t)nf, &band);
            lrnn_axes_line(ax[k], x, mean, (size_t)nf, &line);
        }
    }
    for (int k = 0; k < 2; k++) {
        lrnn_axes_xlog(ax[k], true);
        lrnn_axes_legend(ax[k], LRNN_LEGEND_LOWER_RIGHT);
    }
    lrnn_axes_ylim(ax[0], fmin(r2_min, 0.8) - 0.05, 1.02);
    lrnn_axes_ylim(ax[1], 0.4, 1.02); /* chance is 0.5 for the two-choice tasks */
    st = lrnn_figure_save(fig, path);
done:
    free(x), free(mean), free(lo), free(hi);
    lrnn_figure_free(fig);
    return st;
}
