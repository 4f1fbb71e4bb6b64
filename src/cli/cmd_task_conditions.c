/* lrnn task conditions: a synthetic stand-in for the condition-averaged monkey PFC recordings of
 * spec lint_method.md 6 (Mante et al. 2013), whose data are not public in processed form.
 *
 * A hidden CDM network (any 4-input LINT network, e.g. a teacher from `lrnn task train --task
 * cdm`) runs on the 72 correct conditions of spec 6 (6 motion x 6 colour coherence levels x 2
 * contexts) with the monkey timing of spec 4.3 (5 ms steps, alpha 0.2: 350 ms context only, 650
 * stimulus, 80 delay, 20 decision, 220 steps), `--repeats` trials per condition with its own
 * noise and the task's input noise. Each recorded neuron fires Poisson spikes at
 * rate gain_i rate_max (1 + tanh x_i) / 2 per 5 ms bin; the trials the network decides correctly
 * are averaged per condition, smoothed (Gaussian, sigma 10 bins, reflect, truncate 4) and scaled
 * like the reference (count per bin x 1000/50); then the preprocessing of spec 6 gives X_cent:
 * centred, denoised on the top `--pcs` principal axes, the condition-independent time course
 * removed (task_conditions_xcent.c).
 *
 * The 150-bin window starts one bin before stimulus onset (spec 6 starts at onset): its first
 * input step is then context only, which is what `lrnn lint fit --pre-period P` holds during the
 * free period, so the fit sees the inputs of spec 6 (context on, no stimulus) before the data.
 *
 * Inputs: the hidden network receives its own task's scales (stimulus coh x 0.1 with its
 * coherence levels, context 0.1, input noise 0.1: the regime it was trained in); the written
 * inputs.npy are those of spec 6 (scale 1, the monkey-A coherences +-0.047, 0.15, 0.5, no
 * noise), which a fitted network's trainable wi absorbs. */
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "lint_cli.h"
#include "lrnn/eval.h"
#include "lrnn/io.h"
#include "lrnn/lint.h"
#include "lrnn/lint_file.h"
#include "lrnn/lint_subsample.h"
#include "lrnn/rng.h"
#include "lrnn/task.h"
#include "options.h"
#include "text_file.h"
#include "task_conditions.h"

/* Spike and gain streams: "spk" in ASCII, apart from rng.h's purposes, the task's and the
 * neuron selections'. */
#define SPIKE_RNG_PURPOSE ((lrnn_rng_purpose)0x73706b)

enum { LEVELS = 6, CONDITIONS = 2 * LEVELS * LEVELS, WINDOW = 150, REGRESSORS = 4 };

/* Monkey A's coherences (spec 6, "Condition averaging" 3), sorted: levels 0..5. */
static const double recorded_coh[LEVELS] = {-0.5, -0.15, -0.047, 0.047, 0.15, 0.5};

typedef struct cond_args {
    const char *teacher, *out, *json;
    size_t repeats, neurons, pcs, test;
    double rate_max, smooth, input_noise, noise;
    uint64_t seed;
    bool quiet;
} cond_args;

/* One condition of spec 6 in the order of its CSV: row ((dir_lvl 6 + col_lvl) 2 + [ctx == 1]). */
typedef struct condition {
    int dir_lvl, col_lvl, context; /* context 1: motion (channel 2, attend channel 0), -1: colour */
    double stim_dir, stim_col, choice;
    size_t correct_trials;
    int test;
} condition;

static void make_conditions(condition *c) {
    for (int d = 0; d < LEVELS; d++)
        for (int k = 0; k < LEVELS; k++)
            for (int x = 0; x < 2; x++) {
                condition *o = &c[(d * LEVELS + k) * 2 + x];
                o->dir_lvl = d, o->col_lvl = k, o->context = x ? 1 : -1;
                o->stim_dir = recorded_coh[d], o->stim_col = recorded_coh[k];
                /* correct trials: the sign of the attended coherence */
                o->choice =
                    o->context == 1 ? (o->stim_dir > 0 ? 1 : -1) : (o->stim_col > 0 ? 1 : -1);
            }
}

/* Inputs of n trials of conditions c with params p; coherence levels from `levels`. */
static lrnn_status condition_inputs(const lrnn_cdm_params *p, const double *levels,
                                    const condition *c, size_t n, size_t first_trial, uint64_t seed,
                                    double *inputs, double *targets, double *mask,
                                    lrnn_task_trial *trials) {
    double a[CONDITIONS], b[CONDITIONS];
    int ctx[CONDITIONS];
    for (size_t i = 0; i < n; i++)
        a[i] = levels[c->dir_lvl], b[i] = levels[c->col_lvl], ctx[i] = c->context;
    return lrnn_cdm_generate_conditions(p, seed, first_trial, n, a, b, ctx, inputs, targets, mask,
                                        trials);
}

/* The hidden network's task: the monkey timing with its own trained scales and levels. */
static lrnn_status hidden_params(const lrnn_lint_task_info *info, const cond_args *a,
                                 lrnn_cdm_params *out, double *levels) {
    lrnn_cdm_params own = info->present && info->params.kind == LRNN_TASK_CDM
                              ? info->params.cdm
                              : lrnn_cdm_default_params();
    *out = lrnn_cdm_monkey_params();
    out->scale = own.scale, out->scale_context = own.scale_context;
    out->noise_std = a->input_noise >= 0 ? a->input_noise : own.noise_std;
    /* its coherence levels, sorted, as the 6 levels (the default task has exactly 6) */
    if (own.n_coherences != LEVELS)
        return lrnn_fail(LRNN_ERR_ARG,
                         "the hidden network's CDM task has %zu coherence levels; the 72 "
                         "conditions of spec 6 need 6",
                         own.n_coherences);
    for (int i = 0; i < LEVELS; i++)
        levels[i] = own.coherences[i];
    for (int i = 1; i < LEVELS; i++)
        for (int k = i; k > 0 && levels[k] < levels[k - 1]; k--) {
            double t = levels[k];
            levels[k] = levels[k - 1], levels[k - 1] = t;
        }
    return lrnn_cdm_params_check(out);
}

/* ---- output directory: written under DIR.tmp.<pid> and renamed (all or nothing) ---- */

static const char *const out_files[] = {"data.npy",       "inputs.npy",       "conditions.csv",
                                        "train_data.npy", "train_inputs.npy", "test_data.npy",
                                        "test_inputs.npy"};
enum { OUT_FILES = sizeof out_files / sizeof out_files[0] };

static void remove_tmp_dir(const char *tmp) {
    char path[4300];
    for (int i = 0; i < OUT_FILES; i++) {
        snprintf(path, sizeof path, "%s/%s", tmp, out_files[i]);
        unlink(path);
    }
    rmdir(tmp);
}

/* --out DIR: new, or an empty directory (which the final rename replaces). */
static lrnn_status check_out_dir(const char *dir) {
    struct stat st;
    if (stat(dir, &st) != 0) return LRNN_OK;
    if (!S_ISDIR(st.st_mode))
        return lrnn_fail(LRNN_ERR_IO, "--out %s exists and is not a directory", dir);
    DIR *d = opendir(dir);
    if (!d) return lrnn_fail(LRNN_ERR_IO, "--out %s: %s", dir, strerror(errno));
    struct dirent *e;
    bool empty = true;
    while (empty && (e = readdir(d)))
        empty = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
    closedir(d);
    return empty ? LRNN_OK
                 : lrnn_fail(LRNN_ERR_IO, "--out %s exists and is not empty; give a new directory",
                             dir);
}

static lrnn_status save_npy(const char *dir, const char *name, const double *data, size_t d0,
                            size_t d1, size_t d2) {
    char path[4300];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    lrnn_array arr = {
        .dtype = LRNN_DTYPE_F64, .ndim = 3, .shape = {d0, d1, d2}, .data = (void *)data};
    return lrnn_npy_write(path, &arr);
}

static lrnn_status save_conditions_csv(const char *dir, const condition *c) {
    char path[4300];
    snprintf(path, sizeof path, "%s/conditions.csv", dir);
    cli_text t;
    lrnn_status s = cli_text_begin(&t, path);
    if (s) return s;
    FILE *f = t.f;
    /* spec 6's columns (idx = row of data.npy), then the trials averaged and the split */
    fprintf(f, "idx,correct,stim_dir_lvl,stim_col_lvl,context,stim_dir,stim_col,choice,ntrials,"
               "test\n");
    for (int i = 0; i < CONDITIONS; i++)
        fprintf(f, "%d,1,%d,%d,%d,%.17g,%.17g,%g,%zu,%d\n", i, c[i].dir_lvl, c[i].col_lvl,
                c[i].context, c[i].stim_dir, c[i].stim_col, c[i].choice, c[i].correct_trials,
                c[i].test);
    return cli_text_commit(&t, path);
}

/* Rows of the conditions with test == want, of X (CONDITIONS x T x W) into out. */
static size_t gather(const double *X, const condition *c, int want, size_t row, double *out) {
    size_t n = 0;
    for (int i = 0; i < CONDITIONS; i++)
        if (c[i].test == want) memcpy(out + n++ * row, X + (size_t)i * row, row * sizeof *out);
    return n;
}

static lrnn_status write_all(const cond_args *a, const double *X, const double *U, size_t N,
                             const condition *c) {
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", a->out, (long)getpid());
    if (mkdir(tmp, 0777) != 0) return lrnn_fail(LRNN_ERR_IO, "%s: %s", tmp, strerror(errno));
    size_t rx = WINDOW * N, ru = WINDOW * 4, ntest = a->test, ntrain = CONDITIONS - ntest;
    double *buf = malloc(CONDITIONS * rx * sizeof *buf);
    lrnn_status s = buf ? LRNN_OK : lrnn_fail(LRNN_ERR_NOMEM, "out of memory");
    if (!s) s = save_npy(tmp, "data.npy", X, CONDITIONS, WINDOW, N);
    if (!s) s = save_npy(tmp, "inputs.npy", U, CONDITIONS, WINDOW, 4);
    if (!s) s = save_conditions_csv(tmp, c);
    if (!s && ntest > 0) {
        gather(X, c, 0, rx, buf);
        if (!s) s = save_npy(tmp, "train_data.npy", buf, ntrain, WINDOW, N);
        gather(U, c, 0, ru, buf);
        if (!s) s = save_npy(tmp, "train_inputs.npy", buf, ntrain, WINDOW, 4);
        gather(X, c, 1, rx, buf);
        if (!s) s = save_npy(tmp, "test_data.npy", buf, ntest, WINDOW, N);
        gather(U, c, 1, ru, buf);
        if (!s) s = save_npy(tmp, "test_inputs.npy", buf, ntest, WINDOW, 4);
    }
    free(buf);
    /* rename(2) replaces an empty directory only: check_out_dir left none or an empty one */
    if (!s && rename(tmp, a->out) != 0)
        s = lrnn_fail(LRNN_ERR_IO, "%s: cannot rename %s to it (%s)", a->out, tmp, strerror(errno));
    if (s) remove_tmp_dir(tmp);
    return s;
}

/* ---- the recording ---- */

typedef struct recording {
    size_t N;         /* recorded neurons */
    size_t *sel;      /* their indices in the hidden network */
    double *gain;     /* N: gain_i in [0.5, 1.5] */
    double *X;        /* CONDITIONS x WINDOW x N */
    double *U;        /* CONDITIONS x WINDOW x 4: spec 6's inputs on the window */
    double explained; /* variance fraction of the top PCs */
    double hidden_accuracy;
    condition cond[CONDITIONS];
} recording;

static void recording_free(recording *r) {
    free(r->sel), free(r->gain), free(r->X), free(r->U);
}

/* The window: bins w0 .. w0 + 149 of the 220 steps, w0 one bin before stimulus onset. */
static size_t window_start(const lrnn_cdm_params *p) {
    return lrnn_task_steps(p->fixation_ms + p->context_only_ms, p->dt_ms) - 1;
}

static lrnn_status simulate_conditions(const cond_args *a, const lrnn_lint_rnn *hidden,
                                       const lrnn_cdm_params *hp, const double *levels,
                                       recording *rec) {
    size_t R = a->repeats, Nh = (size_t)lrnn_lint_config_of(hidden)->units, N = rec->N;
    lrnn_task_dims dims = lrnn_cdm_dims(hp);
    size_t T = dims.T, w0 = window_start(hp);
    if (w0 + WINDOW > T)
        return lrnn_fail(LRNN_ERR_ARG, "the monkey timing has %zu steps, fewer than %zu + %d", T,
                         w0, WINDOW);
    double *u = malloc(R * T * 4 * sizeof *u), *tg = malloc(R * T * sizeof *tg);
    double *mk = malloc(R * T * sizeof *mk), *xs = malloc(R * (T + 1) * Nh * sizeof *xs);
    double *ys = malloc(R * T * sizeof *ys), *acc = malloc(WINDOW * sizeof *acc);
    double *sum = malloc(WINDOW * N * sizeof *sum);
    lrnn_task_trial *tr = malloc(R * sizeof *tr);
    bool *ok = malloc(R * sizeof *ok);
    lrnn_status s = LRNN_OK;
    if (!u || !tg || !mk || !xs || !ys || !acc || !sum || !tr || !ok) {
        s = lrnn_fail(LRNN_ERR_NOMEM, "cannot allocate %zu trials x %zu steps x %zu units", R, T,
                      Nh);
        goto done;
    }
    const double dt = hp->dt_ms / 1000.0;
    for (int ci = 0; ci < CONDITIONS && !s; ci++) {
        condition *c = &rec->cond[ci];
        lrnn_lint_noise noise = {a->seed + 5, (uint64_t)ci};
        if ((s = condition_inputs(hp, levels, c, R, (size_t)ci * R, a->seed, u, tg, mk, tr)) ||
            (s = lrnn_lint_simulate(hidden, u, NULL, R, T, noise, xs, ys)))
            break;
        /* which trials the network decides correctly: sign of the mean output from the
         * response on (the task's accuracy rule) against the target's; spec 6 averages the
         * correct trials (a condition without any averages all of them, with a warning) */
        size_t used = 0;
        for (size_t r = 0; r < R; r++) {
            double m = 0;
            for (size_t t = tr[r].response_begin; t < T; t++)
                m += ys[r * T + t];
            ok[r] = (m > 0) == (tr[r].target > 0);
            used += ok[r];
        }
        c->correct_trials = used;
        if (used == 0) {
            for (size_t r = 0; r < R; r++)
                ok[r] = true;
            used = R;
            if (!a->quiet)
                fprintf(stderr, "condition %d: no correct trial of %zu; all averaged\n", ci, R);
        }
        memset(sum, 0, WINDOW * N * sizeof *sum);
        for (size_t r = 0; r < R; r++) {
            if (!ok[r]) continue;
            lrnn_rng rng;
            lrnn_rng_init(&rng, a->seed, SPIKE_RNG_PURPOSE, (uint64_t)ci * R + r, 0);
            for (size_t k = 0; k < WINDOW; k++) {
                /* bin k is state x_{w0 + 1 + k}: the response to input step w0 + k */
                const double *x = xs + (r * (T + 1) + w0 + 1 + k) * Nh;
                for (size_t i = 0; i < N; i++) {
                    double rate = rec->gain[i] * a->rate_max * 0.5 * (1.0 + tanh(x[rec->sel[i]]));
                    sum[k * N + i] += lrnn_rng_poisson(&rng, rate * dt);
                }
            }
        }
        /* mean count per bin x 1000/50 (the reference's factor), smoothed per neuron */
        for (size_t i = 0; i < N && !s; i++) {
            for (size_t k = 0; k < WINDOW; k++)
                acc[k] = sum[k * N + i] / (double)used * (1000.0 / 50.0);
            if (a->smooth > 0) s = lrnn_smooth_gaussian(acc, acc, WINDOW, a->smooth, 4.0);
            for (size_t k = 0; k < WINDOW; k++)
                rec->X[((size_t)ci * WINDOW + k) * N + i] = acc[k];
        }
    }
    if (!s) {
        size_t total = 0;
        for (int ci = 0; ci < CONDITIONS; ci++)
            total += rec->cond[ci].correct_trials;
        rec->hidden_accuracy = (double)total / (double)(CONDITIONS * R);
    }
done:
    free(u), free(tg), free(mk), free(xs), free(ys), free(acc), free(sum), free(tr), free(ok);
    return s;
}

/* spec 6's inputs (scale 1, monkey-A coherences, no noise) on the window, per condition */
static lrnn_status recorded_inputs(recording *rec) {
    lrnn_cdm_params p = lrnn_cdm_monkey_params();
    lrnn_task_dims dims = lrnn_cdm_dims(&p);
    size_t T = dims.T, w0 = window_start(&p);
    double *u = malloc(T * 4 * sizeof *u), *tg = malloc(T * sizeof *tg),
           *mk = malloc(T * sizeof *mk);
    lrnn_status s = u && tg && mk ? LRNN_OK : lrnn_fail(LRNN_ERR_NOMEM, "out of memory");
    for (int ci = 0; ci < CONDITIONS && !s; ci++) {
        s = condition_inputs(&p, recorded_coh, &rec->cond[ci], 1, 0, 0, u, tg, mk, NULL);
        if (!s) memcpy(rec->U + (size_t)ci * WINDOW * 4, u + w0 * 4, WINDOW * 4 * sizeof *u);
    }
    free(u), free(tg), free(mk);
    return s;
}

static int cond_run(cond_args *a) {
    lrnn_lint_rnn *loaded = NULL, *hidden = NULL;
    lrnn_lint_task_info info = {0};
    recording rec = {0};
    json_t *root = NULL;
    int rc = 1;
    if ((a->out && check_out_dir(a->out)) || lrnn_lint_load(a->teacher, &loaded, &info, NULL))
        goto fail;
    const lrnn_lint_config *hc = lrnn_lint_config_of(loaded);
    size_t Nh = (size_t)hc->units;
    if (hc->inputs != 4 || hc->identity_readout) {
        lrnn_fail(LRNN_ERR_SHAPE,
                  "%s: the hidden network must be a CDM network with 4 inputs and a task "
                  "readout (a teacher from lrnn task train --task cdm); it has %d inputs and %s "
                  "readout",
                  a->teacher, hc->inputs, hc->identity_readout ? "an identity" : "a task");
        goto fail;
    }
    rec.N = a->neurons ? a->neurons : Nh;
    if (rec.N > Nh || a->test >= CONDITIONS) {
        lrnn_fail(LRNN_ERR_ARG,
                  "--neurons %zu exceeds the %zu units of %s, or --test %zu is not "
                  "below %d",
                  a->neurons, Nh, a->teacher, a->test, CONDITIONS);
        goto fail;
    }
    double sigma = a->noise >= 0 ? a->noise : hc->noise_std;
    lrnn_cdm_params hp;
    double levels[LEVELS];
    if (hidden_params(&info, a, &hp, levels) || cli_lint_with_noise(loaded, sigma, &hidden))
        goto fail;
    rec.sel = malloc(rec.N * sizeof *rec.sel), rec.gain = malloc(rec.N * sizeof *rec.gain);
    rec.X = malloc((size_t)CONDITIONS * WINDOW * rec.N * sizeof *rec.X);
    rec.U = malloc((size_t)CONDITIONS * WINDOW * 4 * sizeof *rec.U);
    if (!rec.sel || !rec.gain || !rec.X || !rec.U) {
        lrnn_fail(LRNN_ERR_NOMEM, "cannot allocate %d x %d x %zu data", CONDITIONS, WINDOW, rec.N);
        goto fail;
    }
    /* the recorded neurons (a random subset, as an electrode samples), their gains, the split */
    size_t test_idx[CONDITIONS];
    lrnn_rng rng;
    lrnn_rng_init(&rng, a->seed, SPIKE_RNG_PURPOSE, 0, 1);
    for (size_t i = 0; i < rec.N; i++)
        rec.gain[i] = 0.5 + lrnn_rng_uniform(&rng);
    make_conditions(rec.cond);
    if (lrnn_lint_select_neurons(Nh, rec.N, a->seed, 0, rec.sel) ||
        (a->test && lrnn_lint_select_neurons(CONDITIONS, a->test, a->seed, 1, test_idx)))
        goto fail;
    for (size_t k = 0; k < a->test; k++)
        rec.cond[test_idx[k]].test = 1;
    if (!a->quiet)
        fprintf(stderr,
                "hidden network %s (N = %zu, sigma %g): %d conditions x %zu trials of %zu steps, "
                "recording %zu neurons\n",
                a->teacher, Nh, sigma, CONDITIONS, a->repeats, lrnn_cdm_dims(&hp).T, rec.N);
    double z[CONDITIONS * REGRESSORS];
    for (int i = 0; i < CONDITIONS; i++) {
        const condition *c = &rec.cond[i];
        double reg[REGRESSORS] = {c->choice, c->stim_dir, c->stim_col, (double)c->context};
        memcpy(z + i * REGRESSORS, reg, sizeof reg);
    }
    if (simulate_conditions(a, hidden, &hp, levels, &rec) || recorded_inputs(&rec) ||
        task_conditions_xcent(rec.X, CONDITIONS, WINDOW, rec.N, a->pcs, z, REGRESSORS,
                              &rec.explained))
        goto fail;
    root = json_pack("{s:s, s:I, s:I, s:I, s:I, s:f, s:f, s:f, s:I, s:f, s:f, s:I, s:I}", "hidden",
                     a->teacher, "hidden_units", (json_int_t)Nh, "neurons", (json_int_t)rec.N,
                     "conditions", (json_int_t)CONDITIONS, "steps", (json_int_t)WINDOW,
                     "hidden_noise", sigma, "rate_max", a->rate_max, "smooth_bins", a->smooth,
                     "pcs", (json_int_t)a->pcs, "variance_explained", rec.explained,
                     "hidden_accuracy", rec.hidden_accuracy, "repeats", (json_int_t)a->repeats,
                     "test_conditions", (json_int_t)a->test);
    if (!root) {
        lrnn_fail(LRNN_ERR_NOMEM, "cannot build the JSON summary");
        goto fail;
    }
    json_object_set_new(root, "pre_period", json_integer((json_int_t)window_start(&hp) + 1));
    if ((a->out && write_all(a, rec.X, rec.U, rec.N, rec.cond)) ||
        (a->json && cli_lint_write_json(a->json, root)))
        goto fail;
    printf("synthetic recording: %d conditions x %d bins x %zu neurons (X_cent, top %zu PCs hold "
           "%.1f%% of the variance); the hidden network decided %.1f%% of the trials correctly\n",
           CONDITIONS, WINDOW, rec.N, a->pcs, 100 * rec.explained, 100 * rec.hidden_accuracy);
    if (a->out)
        printf("wrote %s: data.npy, inputs.npy, conditions.csv%s; fit with --pre-period %zu\n",
               a->out, a->test ? ", train_/test_ splits" : "", window_start(&hp) + 1);
    rc = 0;
    goto done;
fail:
    cli_report("task conditions");
done:
    json_decref(root);
    recording_free(&rec);
    lrnn_lint_free(hidden);
    lrnn_lint_free(loaded);
    return rc;
}

int cmd_task_conditions(int argc, char **argv) {
    cond_args a = {.repeats = 20,
                   .pcs = 12,
                   .test = 8,
                   .rate_max = 40.0,
                   .smooth = 10.0,
                   .input_noise = -1,
                   .noise = -1,
                   .seed = 1};
    cli_option options[] = {
        {"teacher", CLI_STRING, &a.teacher, "T.h5",
         "hidden CDM network (lrnn task train --task cdm ...) that generates the activity", true,
         NULL, false},
        {"out", CLI_STRING, &a.out, "DIR",
         "write data.npy, inputs.npy, conditions.csv (+ train_/test_ splits); DIR new or empty",
         false, NULL, false},
        {"repeats", CLI_SIZE, &a.repeats, "R", "trials per condition", false, NULL, false},
        {"neurons", CLI_SIZE, &a.neurons, "K", "neurons recorded at random (0: every unit)", false,
         NULL, false},
        {"rate-max", CLI_DOUBLE, &a.rate_max, "HZ",
         "peak firing rate (per neuron times a gain in [0.5, 1.5])", false, NULL, false},
        {"smooth", CLI_DOUBLE, &a.smooth, "BINS", "Gaussian smoothing sigma in 5 ms bins (0: none)",
         false, NULL, false},
        {"pcs", CLI_SIZE, &a.pcs, "K", "principal components kept in X_cent (spec 6: 12)", false,
         NULL, false},
        {"test", CLI_SIZE, &a.test, "C", "conditions held out in test_*.npy (spec 6: 8 of 72)",
         false, NULL, false},
        {"noise", CLI_DOUBLE, &a.noise, "S", "hidden network noise (-1: its own sigma)", false,
         NULL, false},
        {"input-noise", CLI_DOUBLE, &a.input_noise, "S",
         "input noise of the hidden network's sensory channels (-1: its task's)", false, NULL,
         false},
        {"seed", CLI_U64, &a.seed, "S", "seed of the trials, spikes, neurons and split", false,
         NULL, false},
        {"json", CLI_STRING, &a.json, "FILE", "also write a summary as JSON", false, NULL, false},
        {"quiet", CLI_BOOL, &a.quiet, NULL, "no progress output", false, NULL, false},
    };
    cli_command cmd = {
        "task conditions", "--teacher T.h5 --out DIR [options]",
        "Synthetic stand-in for the condition-averaged monkey recordings of spec\n"
        "lint_method.md 6: a hidden CDM network runs on the 72 correct conditions (6 motion x\n"
        "6 colour levels x 2 contexts, 5 ms bins), its neurons fire Poisson spikes, correct\n"
        "trials are averaged and smoothed, and the spec's preprocessing gives X_cent:\n"
        "72 x 150 x N in DIR/data.npy, the inputs in DIR/inputs.npy (72 x 150 x 4), the\n"
        "conditions in DIR/conditions.csv. Fit it with lrnn lint fit --data --pre-period 70.",
        options, (int)(sizeof options / sizeof options[0])};
    int rc = cli_parse(&cmd, argc - 1, argv + 1, NULL, 0, NULL);
    if (rc) return rc == 1 ? 0 : rc;
    if (a.repeats < 1 || a.pcs < 1 || !(a.rate_max > 0) || !(a.smooth >= 0)) {
        fprintf(stderr, "lrnn task conditions: --repeats, --pcs and --rate-max must be positive, "
                        "--smooth >= 0\n");
        return 2;
    }
    if (!a.out && !a.json) {
        fprintf(stderr, "lrnn task conditions: give --out DIR (and / or --json FILE)\n");
        return 2;
    }
    return cond_run(&a);
}
