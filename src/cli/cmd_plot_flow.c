/* lrnn plot flow: the latent picture of a low-rank LINT model (spec lint_method.md 5.4).
 *
 * Left panel: the flow dkappa/dt = F(x) . m / N on the m1-m2 plane under one constant input
 * (arrows of equal length coloured by speed; rank 1: dkappa/dt against kappa), the fixed points
 * (filled: stable, open: unstable) and the kappa trajectories of task trials coloured by
 * condition. Right panel: kappa_r(t) against time. The trials come from --teacher's task, from
 * the model file's own task, or from --inputs; trajectories are noise-free unless --noise-std.
 * The flow and fixed points are those of the constant input (--input-index / --context, default
 * none): the trials' inputs change over time, so their trajectories are not flow lines. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lint_cli.h"
#include "lrnn/array.h"
#include "lrnn/io.h"
#include "lrnn/lint.h"
#include "lrnn/lint_file.h"
#include "lrnn/lint_latent.h"
#include "lrnn/plot.h"
#include "lrnn/task.h"
#include "options.h"
#include "plot_cli.h"

typedef struct flow_args {
    const char *model, *teacher, *inputs, *out, *json;
    int input_index, context, grid;
    double input_value, noise_std;
    size_t trials;
    uint64_t seed;
} flow_args;

/* The trials drawn: inputs n x T x U, with their task and conditions when known. */
typedef struct flow_trials {
    size_t n, T, U;
    const double *inputs;
    const lrnn_task_trial *labels; /* NULL: no task */
    const lrnn_task_params *task;  /* NULL: no task */
    cli_teacher_set ts;            /* owner of task trials */
    double *owned;                 /* owner of --inputs */
} flow_trials;

static void flow_trials_free(flow_trials *t) {
    cli_teacher_set_free(&t->ts);
    free(t->owned);
}

/* --inputs FILE: trials x T x U (or T x U, one trial), finite. */
static lrnn_status load_inputs(const char *spec, size_t U, flow_trials *t) {
    lrnn_array a = {0};
    lrnn_status s = lrnn_array_load(spec, &a);
    if (!s) s = lrnn_array_to_f64(&a, &t->owned);
    if (s) goto done;
    size_t B = a.ndim == 3 ? a.shape[0] : 1, T = a.shape[a.ndim - 2], V = a.shape[a.ndim - 1];
    if ((a.ndim != 2 && a.ndim != 3) || V != U || T == 0 || B == 0) {
        char sh[64];
        s = lrnn_fail(LRNN_ERR_SHAPE,
                      "%s: inputs of shape %s, but the model needs trials x time x %zu inputs",
                      spec, lrnn_shape_str(a.ndim, a.shape, sh, sizeof sh), U);
        goto done;
    }
    for (size_t i = 0; i < B * T * U; i++)
        if (!isfinite(t->owned[i])) {
            s = lrnn_fail(LRNN_ERR_NUMERIC, "%s: input value %zu is not finite", spec, i);
            goto done;
        }
    t->n = B, t->T = T, t->U = U, t->inputs = t->owned;
done:
    lrnn_array_free(&a);
    return s;
}

/* Trials from --teacher, --inputs or the model's own task (validation trials), at most `want`. */
static lrnn_status load_trials(const flow_args *a, const lrnn_lint_task_info *own, size_t U,
                               flow_trials *t) {
    memset(t, 0, sizeof *t);
    const char *task_file = a->teacher ? a->teacher : own->present ? a->model : NULL;
    if (a->inputs) {
        lrnn_status s = load_inputs(a->inputs, U, t);
        if (s) return s;
    } else if (task_file) {
        lrnn_status s = cli_teacher_set_load(task_file, &t->ts);
        if (s) return s;
        const lrnn_task_data *v = &t->ts.val;
        if (v->U != U)
            return lrnn_fail(LRNN_ERR_SHAPE, "%s: its task has %zu inputs but model %s has %zu",
                             task_file, v->U, a->model, U);
        t->n = v->n, t->T = v->T, t->U = v->U, t->inputs = v->inputs, t->labels = v->trials;
        t->task = &t->ts.info.params;
    }
    if (t->n > a->trials) t->n = a->trials;
    return LRNN_OK;
}

/* Condition of a task trial, for colours and the legend. */
static void condition_label(const lrnn_task_params *p, const lrnn_task_trial *tr, char *buf,
                            size_t cap) {
    int choice = tr->target > 0 ? 1 : tr->target < 0 ? -1 : 0;
    if (tr->catch_trial) {
        snprintf(buf, cap, "catch");
        return;
    }
    switch (p->kind) {
    case LRNN_TASK_RDM:
        snprintf(buf, cap, "coh %+g", tr->coherence);
        break;
    case LRNN_TASK_ROMO:
        snprintf(buf, cap, "f1 %s f2", tr->f1 > tr->f2 ? ">" : "<");
        break;
    case LRNN_TASK_CDM:
        snprintf(buf, cap, "%s ctx, choice %+d", tr->context == 1 ? "colour" : "motion", choice);
        break;
    case LRNN_TASK_DMS:
        snprintf(buf, cap, "%c-%c", tr->stim1 ? 'B' : 'A', tr->stim2 ? 'B' : 'A');
        break;
    case LRNN_TASK_RAPOSO:
        snprintf(buf, cap, "%s, choice %+d",
                 tr->context == 1    ? "visual"
                 : tr->context == -1 ? "auditory"
                                     : "both",
                 choice);
        break;
    }
}

/* Colour index of every trial (conditions numbered in order of first appearance); the first
 * trial of each condition gets its label. */
typedef struct trial_colors {
    int *index;   /* n */
    char **label; /* n: the legend label or NULL */
    char *text;   /* n x 48 */
} trial_colors;

static lrnn_status color_trials(const flow_trials *t, trial_colors *c) {
    c->index = calloc(t->n ? t->n : 1, sizeof *c->index);
    c->label = calloc(t->n ? t->n : 1, sizeof *c->label);
    c->text = calloc((t->n ? t->n : 1) * 48, 1);
    if (!c->index || !c->label || !c->text)
        return lrnn_fail(LRNN_ERR_NOMEM, "plot flow: out of memory for %zu trials", t->n);
    int conditions = 0;
    for (size_t j = 0; j < t->n; j++) {
        if (!t->labels) { /* no task: one colour per trial */
            c->index[j] = (int)j;
            continue;
        }
        condition_label(t->task, &t->labels[j], c->text + 48 * j, 48);
        c->index[j] = -1;
        for (size_t k = 0; k < j && c->index[j] < 0; k++)
            if (!strcmp(c->text + 48 * k, c->text + 48 * j)) c->index[j] = c->index[k];
        if (c->index[j] < 0) c->index[j] = conditions++, c->label[j] = c->text + 48 * j;
    }
    return LRNN_OK;
}

static void trial_colors_free(trial_colors *c) {
    free(c->index), free(c->label), free(c->text);
}

/* Box of the flow picture on dims 0 (and 1): trajectories and fixed points, padded by 15%
 * (at least 0.25 either side around a single point). */
static void flow_box(const double *kappa, size_t rows, int R, const lrnn_lint_fixed_points *fp,
                     double lo[2], double hi[2]) {
    int D = R >= 2 ? 2 : 1;
    for (int d = 0; d < D; d++) {
        lo[d] = INFINITY, hi[d] = -INFINITY;
        for (size_t i = 0; i < rows; i++)
            lo[d] = fmin(lo[d], kappa[i * R + d]), hi[d] = fmax(hi[d], kappa[i * R + d]);
        for (size_t k = 0; k < fp->count; k++)
            lo[d] = fmin(lo[d], fp->kappa[k * R + d]), hi[d] = fmax(hi[d], fp->kappa[k * R + d]);
        if (!(lo[d] <= hi[d])) lo[d] = -1.0, hi[d] = 1.0;
        double pad = fmax(0.15 * (hi[d] - lo[d]), 0.25 * (hi[d] - lo[d] < 1e-9));
        lo[d] -= pad, hi[d] += pad;
    }
}

/* Left panel, rank >= 2: arrows on a grid x grid lattice of the plane (kappa_3.. = 0). */
static lrnn_status draw_plane_flow(lrnn_axes *ax, lrnn_lint_latent *lat, int R, int grid,
                                   const double lo[2], const double hi[2]) {
    size_t G = (size_t)grid * (size_t)grid;
    double *buf = malloc(4 * G * sizeof *buf), *k = calloc((size_t)R, sizeof *k),
           *dk = calloc((size_t)R, sizeof *dk);
    if (!buf || !k || !dk) {
        free(buf), free(k), free(dk);
        return lrnn_fail(LRNN_ERR_NOMEM, "plot flow: out of memory for a %d x %d grid", grid, grid);
    }
    double *gx = buf, *gy = gx + G, *gu = gy + G, *gv = gu + G;
    for (int i = 0; i < grid; i++)
        for (int j = 0; j < grid; j++) {
            size_t p = (size_t)i * grid + j;
            k[0] = gx[p] = lo[0] + (hi[0] - lo[0]) * (j + 0.5) / grid;
            k[1] = gy[p] = lo[1] + (hi[1] - lo[1]) * (i + 0.5) / grid;
            lrnn_lint_latent_flow(lat, k, dk);
            gu[p] = dk[0], gv[p] = dk[1];
        }
    lrnn_status s = lrnn_axes_quiver(ax, gx, gy, gu, gv, G, LRNN_QUIVER_COLOR, NULL);
    free(buf), free(k), free(dk);
    return s;
}

/* Left panel, rank 1: dkappa/dt against kappa on a fine line, and the zero line. */
static lrnn_status draw_line_flow(lrnn_axes *ax, lrnn_lint_latent *lat, int grid,
                                  const double lo[1], const double hi[1]) {
    size_t G = (size_t)grid * 8;
    double *k = malloc(2 * G * sizeof *k);
    if (!k) return lrnn_fail(LRNN_ERR_NOMEM, "plot flow: out of memory");
    double *dk = k + G;
    for (size_t i = 0; i < G; i++) {
        k[i] = lo[0] + (hi[0] - lo[0]) * (double)i / (double)(G - 1);
        lrnn_lint_latent_flow(lat, &k[i], &dk[i]);
    }
    lrnn_axes_hline(ax, 0.0, NULL);
    lrnn_status s = lrnn_axes_line(
        ax, k, dk, G,
        &(lrnn_plot_style){.color = {0.15, 0.15, 0.15, 1.0}, .label = "d\xce\xba/dt"});
    free(k);
    return s;
}

static void draw_fixed_points(lrnn_axes *ax, const lrnn_lint_fixed_points *fp, int R) {
    bool seen_stable = false, seen_unstable = false;
    for (size_t k = 0; k < fp->count; k++) {
        bool st = fp->stable[k];
        const char *label = NULL;
        if (st && !seen_stable) label = "stable", seen_stable = true;
        if (!st && !seen_unstable) label = "unstable", seen_unstable = true;
        double y = R >= 2 ? fp->kappa[k * R + 1] : 0.0;
        lrnn_axes_point(ax, fp->kappa[k * R], y,
                        &(lrnn_plot_style){
                            .color = {0, 0, 0, 1}, .marker_size = 11, .open = !st, .label = label});
    }
}

/* Trajectories: left panel (rank >= 2) in the plane, right panel kappa_r(t), r <= 3, as solid,
 * dashed, dotted lines. */
static lrnn_status draw_trajectories(lrnn_axes *plane, lrnn_axes *time_ax, const double *kappa,
                                     const flow_trials *t, int R, const trial_colors *c,
                                     double dt_s) {
    size_t T1 = t->T + 1;
    double *buf = malloc(3 * T1 * sizeof *buf);
    if (!buf) return lrnn_fail(LRNN_ERR_NOMEM, "plot flow: out of memory");
    double *time = buf, *k1 = time + T1, *k2 = k1 + T1;
    for (size_t s = 0; s < T1; s++)
        time[s] = dt_s > 0 ? (double)s * dt_s : (double)s;
    int shown = R < 3 ? R : 3;
    lrnn_status st = LRNN_OK;
    for (size_t j = 0; j < t->n && !st; j++) {
        lrnn_rgba col = lrnn_plot_cycle(c->index[j]);
        const double *kj = kappa + j * T1 * R;
        for (int r = 0; r < shown && !st; r++) {
            for (size_t s = 0; s < T1; s++)
                k1[s] = kj[s * R + r];
            st = lrnn_axes_line(time_ax, time, k1, T1,
                                &(lrnn_plot_style){.color = col,
                                                   .line_width = 1.2,
                                                   .dash = (lrnn_dash)r,
                                                   .label = r == 0 ? c->label[j] : NULL});
        }
        if (R >= 2 && !st) {
            for (size_t s = 0; s < T1; s++)
                k1[s] = kj[s * R], k2[s] = kj[s * R + 1];
            st = lrnn_axes_line(plane, k1, k2, T1,
                                &(lrnn_plot_style){.color = col, .line_width = 1.2});
            /* where the trial ends */
            if (!st)
                st = lrnn_axes_point(plane, k1[T1 - 1], k2[T1 - 1],
                                     &(lrnn_plot_style){.color = col, .marker_size = 5});
        }
    }
    /* legend keys for the dash of each kappa_r */
    static const char *keys[3] = {"\xce\xba\xe2\x82\x81", "\xce\xba\xe2\x82\x82",
                                  "\xce\xba\xe2\x82\x83"};
    double nan2[2] = {NAN, NAN};
    for (int r = 0; r < shown && R >= 2 && !st; r++)
        st = lrnn_axes_line(time_ax, nan2, nan2, 2,
                            &(lrnn_plot_style){.color = {0.3, 0.3, 0.3, 1},
                                               .dash = (lrnn_dash)r,
                                               .label = keys[r]});
    free(buf);
    return st;
}

/* Time step of a task in ms. */
static double task_dt_ms(const lrnn_task_params *p) {
    switch (p->kind) {
    case LRNN_TASK_RDM:
        return p->rdm.dt_ms;
    case LRNN_TASK_ROMO:
        return p->romo.dt_ms;
    case LRNN_TASK_CDM:
        return p->cdm.dt_ms;
    case LRNN_TASK_DMS:
        return p->dms.dt_ms;
    case LRNN_TASK_RAPOSO:
        return p->raposo.dt_ms;
    }
    return 0.0;
}

/* The constant input of the flow: none, one channel at a value, or a CDM context. */
static lrnn_status flow_input(const flow_args *a, const flow_trials *t, size_t U, double *u,
                              char *desc, size_t cap) {
    memset(u, 0, (U ? U : 1) * sizeof *u);
    snprintf(desc, cap, "no input");
    if (a->input_index >= 0) {
        if ((size_t)a->input_index >= U)
            return lrnn_fail(LRNN_ERR_ARG, "--input-index %d: model %s has %zu inputs (0..%zu)",
                             a->input_index, a->model, U, U ? U - 1 : 0);
        u[a->input_index] = a->input_value;
        snprintf(desc, cap, "input %d = %g", a->input_index, a->input_value);
    } else if (a->context > 0) {
        if (!t->task || t->task->kind != LRNN_TASK_CDM)
            return lrnn_fail(LRNN_ERR_ARG,
                             "--context %d needs a cdm task (from --teacher or the model file)",
                             a->context);
        if (a->context > 2)
            return lrnn_fail(LRNN_ERR_ARG,
                             "--context %d: cdm has contexts 1 (colour) and 2 "
                             "(motion)",
                             a->context);
        /* spec 4.3: context c sets channel 1 + c to scale_context */
        u[1 + a->context] = t->task->cdm.scale_context;
        snprintf(desc, cap, "context %d (%s)", a->context, a->context == 1 ? "colour" : "motion");
    }
    return LRNN_OK;
}

static json_t *fixed_points_json(const lrnn_lint_fixed_points *fp) {
    json_t *arr = json_array();
    int R = fp->rank;
    for (size_t k = 0; arr && k < fp->count; k++) {
        json_t *kap = json_array(), *eig = json_array(), *jeig = json_array();
        for (int r = 0; r < R; r++) {
            json_array_append_new(kap, json_real(fp->kappa[k * R + r]));
            json_array_append_new(eig, json_pack("{s:f, s:f}", "re", fp->eig_re[k * R + r], "im",
                                                 fp->eig_im[k * R + r]));
            json_array_append_new(jeig, json_pack("{s:f, s:f}", "re", fp->eig_re[k * R + r] - 1.0,
                                                  "im", fp->eig_im[k * R + r]));
        }
        json_array_append_new(arr, json_pack("{s:o, s:o, s:o, s:b, s:f}", "kappa", kap,
                                             "pseudo_jacobian_eigenvalues", eig,
                                             "jacobian_eigenvalues", jeig, "stable", fp->stable[k],
                                             "residual", fp->residual[k]));
    }
    return arr;
}

static int flow_run(const flow_args *a) {
    lrnn_lint_rnn *model = NULL, *noisy = NULL;
    lrnn_lint_task_info own = {0};
    flow_trials t = {0};
    trial_colors colors = {0};
    lrnn_lint_latent *lat = NULL;
    lrnn_lint_fixed_points fp = {0};
    lrnn_figure *fig = NULL;
    double *u = NULL, *states = NULL, *kappa = NULL;
    json_t *root = NULL;
    int rc = 1;
    char desc[96], title[512];

    if (lrnn_lint_load(a->model, &model, &own, NULL)) goto fail;
    const lrnn_lint_config *mc = lrnn_lint_config_of(model);
    if (mc->kind != LRNN_LINT_LOW_RANK) {
        lrnn_fail(LRNN_ERR_ARG,
                  "%s is a full-rank network (N = %d): it has no m1-m2 plane; plot flow needs "
                  "a low-rank model (e.g. a student of lrnn lint fit)",
                  a->model, mc->units);
        goto fail;
    }
    size_t N = (size_t)mc->units, U = (size_t)mc->inputs;
    int R = mc->rank;
    if (load_trials(a, &own, U, &t) || color_trials(&t, &colors)) goto fail;
    u = malloc((U ? U : 1) * sizeof *u);
    if (!u) {
        lrnn_fail(LRNN_ERR_NOMEM, "plot flow: out of memory");
        goto fail;
    }
    if (flow_input(a, &t, U, u, desc, sizeof desc)) goto fail;
    if (lrnn_lint_latent_create(model, u, &lat)) goto fail;
    if (lrnn_lint_latent_fixed_points(lat, NULL, &fp)) goto fail;

    /* trajectories and their kappa */
    size_t rows = t.n * (t.T + 1);
    if (t.n) {
        states = malloc(rows * N * sizeof *states);
        kappa = malloc(rows * (size_t)R * sizeof *kappa);
        if (!states || !kappa) {
            lrnn_fail(LRNN_ERR_NOMEM, "plot flow: cannot allocate %zu x %zu x %zu states", t.n,
                      t.T + 1, N);
            goto fail;
        }
        if (cli_lint_with_noise(model, a->noise_std, &noisy) ||
            lrnn_lint_simulate(noisy, t.inputs, NULL, t.n, t.T, (lrnn_lint_noise){a->seed, 0},
                               states, NULL) ||
            lrnn_lint_kappa(model, states, rows, kappa))
            goto fail;
    }

    /* figure */
    if (lrnn_figure_create(1, 2, 1150, 500, &fig)) goto fail;
    snprintf(title, sizeof title, "%s: rank %d, N = %zu, %s", a->model, R, N, desc);
    lrnn_figure_title(fig, title);
    lrnn_axes *left = lrnn_figure_axes(fig, 0, 0), *right = lrnn_figure_axes(fig, 0, 1);
    double lo[2], hi[2];
    flow_box(kappa, t.n ? rows : 0, R, &fp, lo, hi);
    lrnn_status s;
    if (R >= 2) {
        lrnn_axes_labels(left,
                         R == 2 ? "flow on the m\xe2\x82\x81-m\xe2\x82\x82 plane (colour: speed)"
                                : "flow, \xce\xba\xe2\x82\x83.. = 0 (colour: speed)",
                         "\xce\xba\xe2\x82\x81", "\xce\xba\xe2\x82\x82");
        s = draw_plane_flow(left, lat, R, a->grid, lo, hi);
        lrnn_axes_xlim(left, lo[0], hi[0]);
        lrnn_axes_ylim(left, lo[1], hi[1]);
    } else {
        lrnn_axes_labels(left, "flow along m", "\xce\xba", "d\xce\xba/dt");
        s = draw_line_flow(left, lat, a->grid, lo, hi);
    }
    if (s) goto fail;
    draw_fixed_points(left, &fp, R);
    double dt_s = t.task ? task_dt_ms(t.task) / 1000.0 : 0.0;
    lrnn_axes_labels(right, "latent trajectories", dt_s > 0 ? "time (s)" : "time step",
                     R >= 2 ? "\xce\xba\xe1\xb5\xa3(t)" : "\xce\xba(t)");
    if (t.n && draw_trajectories(left, right, kappa, &t, R, &colors, dt_s)) goto fail;
    if (lrnn_figure_save(fig, a->out)) goto fail;

    /* report */
    printf("plot flow: %s, rank %d, N = %zu, %s: %zu fixed point%s, %zu trial%s -> %s\n", a->model,
           R, N, desc, fp.count, fp.count == 1 ? "" : "s", t.n, t.n == 1 ? "" : "s", a->out);
    for (size_t k = 0; k < fp.count; k++) {
        printf("  %-8s kappa = (", fp.stable[k] ? "stable" : "unstable");
        for (int r = 0; r < R; r++)
            printf("%s%.4f", r ? ", " : "", fp.kappa[k * R + r]);
        printf("), largest Re eig of the pseudo-Jacobian %.4f\n", fp.eig_re[k * R]);
    }
    if (a->json) {
        json_t *uj = json_array();
        for (size_t k = 0; k < U; k++)
            json_array_append_new(uj, json_real(u[k]));
        root = json_pack("{s:s, s:s, s:i, s:I, s:o, s:s, s:o, s:I, s:i}", "model", a->model,
                         "figure", a->out, "rank", R, "units", (json_int_t)N, "input", uj,
                         "input_description", desc, "fixed_points", fixed_points_json(&fp),
                         "trials", (json_int_t)t.n, "grid", a->grid);
        if (!root || cli_lint_write_json(a->json, root)) {
            if (!root) lrnn_fail(LRNN_ERR_NOMEM, "plot flow: cannot build the JSON results");
            remove(a->out); /* all or nothing */
            goto fail;
        }
    }
    rc = 0;
    goto done;
fail:
    cli_report("plot flow");
done:
    json_decref(root);
    lrnn_figure_free(fig);
    lrnn_lint_fixed_points_free(&fp);
    lrnn_lint_latent_free(lat);
    trial_colors_free(&colors);
    flow_trials_free(&t);
    free(u), free(states), free(kappa);
    lrnn_lint_free(noisy);
    lrnn_lint_free(model);
    return rc;
}

static bool figure_name_ok(const char *path) {
    size_t n = strlen(path);
    return n > 4 && (!strcasecmp(path + n - 4, ".svg") || !strcasecmp(path + n - 4, ".png"));
}

int cmd_plot_flow(int argc, char **argv) {
    flow_args a = {.input_index = -1,
                   .context = 0,
                   .grid = 25,
                   .input_value = 1.0,
                   .noise_std = 0.0,
                   .trials = 24,
                   .seed = 1};
    cli_option options[] = {
        {"model", CLI_STRING, &a.model, "S.h5", "low-rank LINT model file", true, NULL, false},
        {"teacher", CLI_STRING, &a.teacher, "T.h5",
         "draw validation trials of this teacher's task (default: the model's own task)", false,
         NULL, false},
        {"inputs", CLI_STRING, &a.inputs, "FILE",
         "instead: inputs of the trials to draw, trials x time x U", false, NULL, false},
        {"input-index", CLI_INT, &a.input_index, "K",
         "flow under a constant input on channel K (-1: no input)", false, NULL, false},
        {"input-value", CLI_DOUBLE, &a.input_value, "V", "value of that input", false, NULL, false},
        {"context", CLI_INT, &a.context, "C", "cdm: flow under context C (1 colour, 2 motion)",
         false, NULL, false},
        {"trials", CLI_SIZE, &a.trials, "N", "trajectories drawn", false, NULL, false},
        {"grid", CLI_INT, &a.grid, "G", "arrows per side of the flow field", false, NULL, false},
        {"noise-std", CLI_DOUBLE, &a.noise_std, "S", "network noise of the trajectories", false,
         NULL, false},
        {"seed", CLI_U64, &a.seed, "S", "noise seed", false, NULL, false},
        {"out", CLI_STRING, &a.out, "FIG", "figure, .svg or .png", true, NULL, false},
        {"json", CLI_STRING, &a.json, "FILE",
         "also write the fixed points, their eigenvalues and stability as JSON", false, NULL,
         false},
    };
    cli_command cmd = {
        "plot flow", "--model S.h5 [--teacher T.h5 | --inputs U] --out fig.svg|fig.png [options]",
        "The latent picture of a low-rank LINT model (spec 5.4): the flow\n"
        "dkappa/dt = F(x).m/N on the m1-m2 plane (rank 1: along m) under a constant\n"
        "input, its fixed points (filled: stable, open: unstable; stable iff every\n"
        "eigenvalue of the pseudo-Jacobian [m_a.(n_b phi'(x))/N] has real part < 1),\n"
        "and kappa(t) = x(t).m/N of task trials coloured by condition.",
        options, (int)(sizeof options / sizeof options[0])};
    int rc = cli_parse(&cmd, argc, argv, NULL, 0, NULL);
    if (rc) return rc == 1 ? 0 : rc;
    const char *bad = NULL;
    if (a.teacher && a.inputs)
        bad = "give at most one of --teacher and --inputs";
    else if (a.input_index >= 0 && a.context > 0)
        bad = "give at most one of --input-index and --context";
    else if (a.grid < 2 || a.grid > 200)
        bad = "--grid must be 2..200";
    else if (a.trials > 10000)
        bad = "--trials must be at most 10000";
    else if (!(a.noise_std >= 0) || !isfinite(a.input_value))
        bad = "--noise-std must be >= 0 and --input-value finite";
    else if (a.context < 0)
        bad = "--context must be 1 or 2";
    else if (!figure_name_ok(a.out))
        bad = "--out must name a .svg or .png file";
    if (bad) {
        fprintf(stderr, "lrnn plot flow: %s\n", bad);
        return 2;
    }
    return flow_run(&a);
}
