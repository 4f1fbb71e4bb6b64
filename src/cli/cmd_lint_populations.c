/* lrnn lint clusters / lrnn lint inactivate: populations of a LINT network (spec lint_method.md
 * 5.3) and the inactivation experiment of 7.6 (include/lrnn/lint_populations.h).
 *
 * clusters:   loadings -> Gaussian mixture -> labels, counts, stability; gains and mean rates
 *             per population and context on the task's validation trials; with a teacher, the
 *             accuracy of support networks drawn from the populations.
 * inactivate: for the intact network and each population silenced, the task accuracy per
 *             context of the teacher and of the student (through the teacher's readout, as
 *             lrnn lint eval), side by side. */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lint_cli.h"
#include "lrnn/io.h"
#include "lrnn/lint_file.h"
#include "lrnn/lint_populations.h"
#include "options.h"

/* ---- shared pieces ---- */

static int usage_fail(const char *what, const char *msg) {
    fprintf(stderr, "lrnn lint %s: %s\n(see lrnn lint %s --help)\n", what, msg, what);
    return 2;
}

static json_t *jnum(double x) {
    return isfinite(x) ? json_real(x) : json_null();
}

static json_t *jarray(const double *x, size_t n) {
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        json_array_append_new(a, jnum(x[i]));
    return a;
}

/* Contexts of the task's trials: CDM has two (trial context 1 = colour, input 2; 2 = motion,
 * input 3, task.h), every other task one. ctx (d->n) gets 0-based contexts. */
static int task_contexts(const lrnn_task_params *p, const lrnn_task_data *d, int *ctx) {
    int cdm = p->kind == LRNN_TASK_CDM;
    for (size_t j = 0; j < d->n; j++)
        ctx[j] = cdm && d->trials[j].context == 2 ? 1 : 0;
    return cdm ? 2 : 1;
}

static const char *context_name(int C, int c) {
    static const char *cdm[] = {"ctx1", "ctx2"};
    return C == 2 ? cdm[c] : "all";
}

/* Task accuracy of outputs (d->n x T x O) per context: the trials of context c gathered into a
 * data view (targets, mask, outputs) so that the task's own rule applies; acc (C) then the
 * accuracy over all trials in acc[C]. A context without decision trials gets NaN. scratch holds
 * 3 d->n T O doubles. */
static lrnn_status context_accuracy(const lrnn_task_params *p, const lrnn_task_data *d,
                                    const double *out, int C, const int *ctx, double *scratch,
                                    double *acc) {
    size_t row = d->T * d->O;
    lrnn_status s = lrnn_task_accuracy(p, d, out, &acc[C]);
    if (s) return s;
    for (int c = 0; c < C; c++) {
        double *y = scratch, *m = y + d->n * row, *o = m + d->n * row;
        size_t nc = 0;
        for (size_t j = 0; j < d->n; j++) {
            if (ctx[j] != c) continue;
            memcpy(y + nc * row, d->targets + j * row, row * sizeof *y);
            memcpy(m + nc * row, d->mask + j * row, row * sizeof *m);
            memcpy(o + nc * row, out + j * row, row * sizeof *o);
            nc++;
        }
        lrnn_task_data sub = *d;
        sub.n = nc, sub.targets = y, sub.mask = m, sub.trials = NULL, sub.owns = 0;
        acc[c] = NAN;
        if (nc && lrnn_task_accuracy(p, &sub, o, &acc[c])) lrnn_clear_error();
    }
    return LRNN_OK;
}

/* Comma-separated non-negative integers into v (at most cap); returns the count or -1. */
static int parse_int_list(const char *text, int *v, int cap) {
    int n = 0;
    const char *p = text;
    while (*p) {
        char *end;
        errno = 0;
        long x = strtol(p, &end, 10);
        if (end == p || errno || x < 0 || x > 1 << 20 || n == cap || (*end && *end != ','))
            return -1;
        v[n++] = (int)x;
        p = *end ? end + 1 : end;
        if (*end && !*p) return -1;
    }
    return n;
}

static lrnn_status ensure_dir(const char *dir) {
    struct stat st;
    if (stat(dir, &st) == 0)
        return S_ISDIR(st.st_mode)
                   ? LRNN_OK
                   : lrnn_fail(LRNN_ERR_IO, "%s exists and is not a directory", dir);
    if (mkdir(dir, 0777) != 0) return lrnn_fail(LRNN_ERR_IO, "%s: %s", dir, strerror(errno));
    return LRNN_OK;
}

static lrnn_status save_in(const char *dir, const char *name, lrnn_dtype dt, void *data, int ndim,
                           const size_t *shape) {
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path)
        return lrnn_fail(LRNN_ERR_ARG, "output path %s/%s is too long", dir, name);
    lrnn_array a = {.dtype = dt, .ndim = ndim, .data = data};
    for (int i = 0; i < ndim; i++)
        a.shape[i] = shape[i];
    return lrnn_npy_write(path, &a);
}

/* Labels of N units from a file (.npy/.npz/.csv/.h5): N integer values, any integer or float
 * dtype; negative values mark units in no population. */
static lrnn_status load_labels(const char *spec, size_t N, int *labels) {
    lrnn_array a = {0};
    double *v = NULL;
    lrnn_status s = lrnn_array_load(spec, &a);
    if (!s) s = lrnn_array_to_f64(&a, &v);
    if (s) goto done;
    size_t count = lrnn_array_count(&a);
    if (count != N || a.ndim < 1 || a.shape[0] != N) {
        char shp[128];
        s = lrnn_fail(LRNN_ERR_SHAPE,
                      "%s: population labels of shape %s, expected one per unit (%zu)", spec,
                      lrnn_shape_str(a.ndim, a.shape, shp, sizeof shp), N);
        goto done;
    }
    for (size_t i = 0; i < N; i++) {
        if (!isfinite(v[i]) || v[i] != floor(v[i]) || fabs(v[i]) > 1e6) {
            s = lrnn_fail(LRNN_ERR_NUMERIC, "%s: label %g of unit %zu is not an integer", spec,
                          v[i], i);
            goto done;
        }
        labels[i] = (int)v[i];
    }
done:
    free(v);
    lrnn_array_free(&a);
    return s;
}

/* ======================================================================================
 * lint clusters
 * ====================================================================================== */

/* Noise stream of the networks run by clusters: that of lrnn lint eval's student with its
 * default seed (1 + 22), so the model's accuracy here is eval's. */
enum { EVAL_NOISE_SEED = 23 };

typedef struct clusters_args {
    const char *model, *teacher, *features, *out, *json;
    int k, restarts, stability_draws, support_units, support_draws;
    double noise;
    uint64_t seed;
    bool means;
} clusters_args;

/* Simulate rnn (noise sigma) on d's inputs into states and read them out through `readout`
 * (a teacher, possibly silenced) into out; with readout NULL, out gets rnn's own outputs. */
static lrnn_status run_trials(const lrnn_lint_rnn *rnn, double sigma, const lrnn_task_data *d,
                              uint64_t seed, const lrnn_lint_rnn *readout, double *states,
                              double *out) {
    lrnn_lint_rnn *noisy = NULL;
    lrnn_lint_noise nz = {seed, 0};
    lrnn_status s = cli_lint_with_noise(rnn, sigma, &noisy);
    if (!s)
        s = lrnn_lint_simulate(noisy, d->inputs, NULL, d->n, d->T, nz, states,
                               readout ? NULL : out);
    if (!s && readout) s = cli_lint_teacher_readout(readout, states, d->n, d->T, out);
    lrnn_lint_free(noisy);
    return s;
}

static int clusters_run(clusters_args *a) {
    lrnn_lint_rnn *model = NULL, *sup = NULL;
    lrnn_lint_task_info info = {0};
    cli_teacher_set ts = {0};
    lrnn_lint_readout ro = {0};
    double *x = NULL, *states = NULL, *out = NULL, *scratch = NULL, *gains = NULL, *rates = NULL;
    double *acc_sup = NULL;
    int *labels = NULL, *ctx = NULL;
    size_t *counts = NULL;
    json_t *root = NULL;
    int rc = 1, C = 1, K = a->k, d = 0;
    bool trials = false, have_ro = false;
    double acc_model[3] = {NAN, NAN, NAN}, smean = NAN, ssd = NAN;
    lrnn_lint_features f;
    if (lrnn_lint_features_parse(a->features, &f) || lrnn_lint_load(a->model, &model, &info, NULL))
        goto fail;
    const lrnn_lint_config *mc = lrnn_lint_config_of(model);
    size_t N = (size_t)mc->units;
    if (a->teacher) {
        if (cli_teacher_set_load(a->teacher, &ts)) goto fail;
        const lrnn_lint_config *tc = lrnn_lint_config_of(ts.rnn);
        if (tc->units != mc->units || tc->inputs != mc->inputs) {
            lrnn_fail(LRNN_ERR_SHAPE,
                      "model %s has N = %d units and %d inputs but teacher %s has "
                      "N = %d and %d inputs",
                      a->model, mc->units, mc->inputs, a->teacher, tc->units, tc->inputs);
            goto fail;
        }
        if (lrnn_lint_readout_of(ts.rnn, &ro)) goto fail;
        have_ro = trials = true;
    } else {
        if (info.present) { /* the model's own task (a student stores its teacher's) */
            if (cli_teacher_set_load(a->model, &ts)) goto fail;
            trials = true;
        }
        if (!mc->identity_readout) {
            if (lrnn_lint_readout_of(model, &ro)) goto fail;
            have_ro = true;
        }
    }
    if (f.wo && !have_ro) {
        lrnn_fail(LRNN_ERR_ARG,
                  "%s has the identity readout of a LINT fit: the wo loadings are "
                  "its teacher's; give --teacher or leave wo out of --features",
                  a->model);
        goto fail;
    }
    if (lrnn_lint_loadings(model, f, have_ro ? &ro : NULL, NULL, &d)) goto fail;
    x = malloc(N * (size_t)d * sizeof *x);
    labels = malloc(N * sizeof *labels);
    counts = calloc((size_t)K, sizeof *counts);
    gains = malloc(2 * (size_t)K * 2 * sizeof *gains), rates = gains + 2 * (size_t)K;
    if (!x || !labels || !counts || !gains) {
        lrnn_fail(LRNN_ERR_NOMEM, "cannot allocate %zu x %d loadings", N, d);
        goto fail;
    }
    if (lrnn_lint_loadings(model, f, have_ro ? &ro : NULL, x, NULL)) goto fail;

    /* spec 5.3: GMM with restarts, seeded; stability over 80% subsamples without replacement,
     * as the reference's clustering_stability */
    lrnn_gmm_params gp = lrnn_gmm_default_params();
    gp.components = K, gp.restarts = a->restarts, gp.seed = a->seed;
    lrnn_gmm_stability_params sp = lrnn_gmm_stability_default_params();
    sp.resamples = a->stability_draws, sp.fraction = 0.8, sp.replace = false, sp.seed = a->seed;
    if (lrnn_lint_cluster(N, d, x, &gp, a->stability_draws > 0 ? &sp : NULL, labels, counts, &smean,
                          &ssd))
        goto fail;

    /* gains and rates per population and context on the validation trials */
    double sigma = a->noise >= 0 ? a->noise : mc->noise_std;
    if (trials) {
        const lrnn_task_data *v = &ts.val;
        size_t rows = v->n * (v->T + 1) * N, outs = v->n * v->T * v->O;
        states = malloc(rows * sizeof *states);
        out = malloc(outs * sizeof *out);
        scratch = malloc(3 * outs * sizeof *scratch);
        ctx = malloc(v->n * sizeof *ctx);
        if (!states || !out || !scratch || !ctx) {
            lrnn_fail(LRNN_ERR_NOMEM, "cannot allocate %zu x %zu x %zu states", v->n, v->T + 1, N);
            goto fail;
        }
        C = task_contexts(&ts.info.params, v, ctx);
        if (run_trials(model, sigma, v, EVAL_NOISE_SEED,
                       have_ro ? (a->teacher ? ts.rnn : model) : NULL, states,
                       have_ro ? out : NULL) ||
            lrnn_lint_population_gains(model, states, v->n, v->T, ctx, C, labels, K, gains, rates))
            goto fail;
        if (have_ro && context_accuracy(&ts.info.params, v, out, C, ctx, scratch, acc_model))
            goto fail;
    }

    /* support networks drawn from the populations, read out through the teacher's readout */
    bool support = a->teacher && mc->kind == LRNN_LINT_LOW_RANK && a->support_draws > 0;
    if (support) {
        acc_sup = malloc((size_t)a->support_draws * 3 * sizeof *acc_sup);
        if (!acc_sup) {
            lrnn_fail(LRNN_ERR_NOMEM, "out of memory");
            goto fail;
        }
        const lrnn_task_data *v = &ts.val;
        for (int k = 0; k < a->support_draws; k++) {
            lrnn_lint_support_params spp = lrnn_lint_support_default_params();
            spp.units = a->support_units, spp.take_means = a->means,
            spp.seed = a->seed + (uint64_t)k;
            lrnn_lint_free(sup), sup = NULL;
            double *st = NULL;
            size_t N2 = a->support_units ? (size_t)a->support_units : N;
            if (lrnn_lint_support_net(model, &ro, labels, K, &spp, &sup, NULL)) goto fail;
            st = malloc(v->n * (v->T + 1) * N2 * sizeof *st);
            if (!st) {
                lrnn_fail(LRNN_ERR_NOMEM, "cannot allocate the support network's states");
                goto fail;
            }
            lrnn_status s = run_trials(sup, sigma, v, EVAL_NOISE_SEED, NULL, st, out);
            free(st);
            if (s || context_accuracy(&ts.info.params, v, out, C, ctx, scratch, acc_sup + 3 * k))
                goto fail;
        }
    }

    /* ---- report ---- */
    char ftext[64];
    lrnn_lint_features_text(f, ftext, sizeof ftext);
    printf(
        "LINT clusters: %s (N = %zu, %s), features %s (d = %d), K = %d, %d restarts, seed %llu\n",
        a->model, N, lrnn_lint_kind_name(mc->kind), ftext, d, K, a->restarts,
        (unsigned long long)a->seed);
    if (trials) {
        printf("  %-10s %7s", "population", "units");
        char head[32];
        for (int c = 0; c < C; c++)
            snprintf(head, sizeof head, "gain %s", context_name(C, c)), printf("  %10s", head);
        for (int c = 0; c < C; c++)
            snprintf(head, sizeof head, "rate %s", context_name(C, c)), printf("  %10s", head);
        printf("\n");
    } else {
        printf("  %-10s %7s   (no task trials: no gains; give --teacher)\n", "population", "units");
    }
    for (int p = 0; p < K; p++) {
        printf("  %-10d %7zu", p, counts[p]);
        for (int c = 0; trials && c < C; c++)
            printf("  %10.4f", gains[p * C + c]);
        for (int c = 0; trials && c < C; c++)
            printf("  %10.4f", rates[p * C + c]);
        printf("\n");
    }
    if (a->stability_draws > 0)
        printf("  stability (ARI, %d subsamples of 80%%): %.3f +- %.3f\n", a->stability_draws,
               smean, ssd);
    if (trials && have_ro) {
        printf("  accuracy, model%s:", a->teacher ? " (teacher's readout)" : "");
        for (int c = 0; c < C; c++)
            printf(" %s %.3f", context_name(C, c), acc_model[c]);
        if (C > 1) printf(", all %.3f", acc_model[C]);
        printf("\n");
    }
    double acc_sup_mean[3] = {0, 0, 0};
    if (support) {
        for (int c = 0; c <= C; c++) {
            for (int k = 0; k < a->support_draws; k++)
                acc_sup_mean[c] += acc_sup[3 * k + c] / a->support_draws;
        }
        printf("  accuracy, support networks (N' = %d, %d draws, mean):",
               a->support_units ? a->support_units : (int)N, a->support_draws);
        for (int c = 0; c < C; c++)
            printf(" %s %.3f", context_name(C, c), acc_sup_mean[c]);
        if (C > 1) printf(", all %.3f", acc_sup_mean[C]);
        printf("\n");
    }

    root = json_pack("{s:s, s:s, s:I, s:i, s:i, s:i, s:I, s:f}", "model", a->model, "features",
                     ftext, "units", (json_int_t)N, "dimension", d, "k", K, "restarts", a->restarts,
                     "seed", (json_int_t)a->seed, "noise_std", sigma);
    if (!root) {
        lrnn_fail(LRNN_ERR_NOMEM, "cannot build the JSON results");
        goto fail;
    }
    if (a->teacher) json_object_set_new(root, "teacher", json_string(a->teacher));
    json_t *jc = json_array();
    for (int p = 0; p < K; p++)
        json_array_append_new(jc, json_integer((json_int_t)counts[p]));
    json_object_set_new(root, "counts", jc);
    json_object_set_new(root, "stability_draws", json_integer(a->stability_draws));
    json_object_set_new(root, "stability_mean", jnum(smean));
    json_object_set_new(root, "stability_sd", jnum(ssd));
    if (trials) {
        json_t *ctxs = json_array(), *jg = json_array(), *jr = json_array();
        for (int c = 0; c < C; c++)
            json_array_append_new(ctxs, json_string(context_name(C, c)));
        for (int p = 0; p < K; p++) {
            json_array_append_new(jg, jarray(gains + p * C, (size_t)C));
            json_array_append_new(jr, jarray(rates + p * C, (size_t)C));
        }
        json_object_set_new(root, "contexts", ctxs);
        json_object_set_new(root, "gains", jg);
        json_object_set_new(root, "rates", jr);
        if (have_ro) {
            json_object_set_new(root, "accuracy_model", jarray(acc_model, (size_t)C));
            json_object_set_new(root, "accuracy_model_all", jnum(acc_model[C]));
        }
    }
    if (support) {
        json_t *draws = json_array();
        for (int k = 0; k < a->support_draws; k++)
            json_array_append_new(draws, jarray(acc_sup + 3 * k, (size_t)C));
        json_object_set_new(root, "support",
                            json_pack("{s:i, s:i, s:b, s:o, s:o, s:o}", "units",
                                      a->support_units ? a->support_units : (int)N, "draws",
                                      a->support_draws, "take_means", a->means, "accuracy_draws",
                                      draws, "accuracy_mean", jarray(acc_sup_mean, (size_t)C),
                                      "accuracy_mean_all", jnum(acc_sup_mean[C])));
    }
    /* outputs only now that everything is computed: nothing half-written on error */
    if (a->out) {
        size_t shape[2] = {N, (size_t)d};
        if (ensure_dir(a->out) || save_in(a->out, "labels.npy", LRNN_DTYPE_I32, labels, 1, shape) ||
            save_in(a->out, "loadings.npy", LRNN_DTYPE_F64, x, 2, shape))
            goto fail;
        fflush(stdout);
        fprintf(stderr, "wrote %s/labels.npy and %s/loadings.npy\n", a->out, a->out);
    }
    if (a->json && cli_lint_write_json(a->json, root)) goto fail;
    rc = 0;
    goto done;
fail:
    cli_report("lint clusters");
done:
    json_decref(root);
    free(x), free(states), free(out), free(scratch), free(gains), free(acc_sup);
    free(labels), free(ctx), free(counts);
    lrnn_lint_readout_free(&ro);
    lrnn_lint_free(sup);
    lrnn_lint_free(model);
    cli_teacher_set_free(&ts);
    return rc;
}

int cmd_lint_clusters(int argc, char **argv) {
    clusters_args a = {.features = "m,n,wi,wo",
                       .k = 2,
                       .restarts = 50,
                       .stability_draws = 20,
                       .support_units = 0,
                       .support_draws = 5,
                       .noise = -1,
                       .seed = 2022,
                       .means = true};
    cli_option options[] = {
        {"model", CLI_STRING, &a.model, "S.h5", "LINT network (a fitted student or a teacher)",
         true, NULL, false},
        {"teacher", CLI_STRING, &a.teacher, "T.h5",
         "its teacher: task trials, the readout (wo loadings) and support-network accuracy", false,
         NULL, false},
        {"k", CLI_INT, &a.k, "K", "number of populations (mixture components)", false, NULL, false},
        {"features", CLI_STRING, &a.features, "LIST",
         "loadings per unit, subset of m,n,wi,wo (m, n after SVD reparametrisation)", false, NULL,
         false},
        {"restarts", CLI_INT, &a.restarts, "R", "EM restarts (best log-likelihood kept)", false,
         NULL, false},
        {"seed", CLI_U64, &a.seed, "S", "seed of the restarts, subsamples and support draws", false,
         NULL, false},
        {"stability-draws", CLI_INT, &a.stability_draws, "B",
         "subsamples (80%, without replacement) for the stability ARI (0: off)", false, NULL,
         false},
        {"noise", CLI_DOUBLE, &a.noise, "S", "network noise on the trials (-1: the model's own)",
         false, NULL, false},
        {"support-units", CLI_INT, &a.support_units, "N'",
         "units of the support networks (0: the model's N)", false, NULL, false},
        {"support-draws", CLI_INT, &a.support_draws, "D",
         "support networks drawn (with --teacher; 0: none)", false, NULL, false},
        {"support-means", CLI_BOOL, &a.means, NULL,
         "support networks keep the population means (else zero means)", false, NULL, false},
        {"out", CLI_STRING, &a.out, "DIR", "write DIR/labels.npy (int32) and DIR/loadings.npy",
         false, NULL, false},
        {"json", CLI_STRING, &a.json, "FILE", "also write the results as JSON", false, NULL, false},
    };
    cli_command cmd = {
        "lint clusters", "--model S.h5 [--teacher T.h5] [--k 2] [--features m,n,wi,wo] [options]",
        "Populations of a LINT network (spec lint_method.md 5.3): a Gaussian mixture\n"
        "of the per-unit loadings, its stability (adjusted Rand index over subsamples),\n"
        "gains 1 - tanh^2 and mean rates per population and context on the task's\n"
        "validation trials, and the accuracy of support networks drawn from the\n"
        "populations (with --teacher).",
        options, (int)(sizeof options / sizeof options[0])};
    int rc = cli_parse(&cmd, argc, argv, NULL, 0, NULL);
    if (rc) return rc == 1 ? 0 : rc;
    if (a.k < 1 || a.restarts < 1)
        return usage_fail("clusters", "--k and --restarts must be positive");
    if (a.stability_draws < 0 || a.support_draws < 0 || a.support_units < 0)
        return usage_fail("clusters", "--stability-draws, --support-draws and --support-units "
                                      "must be >= 0");
    return clusters_run(&a);
}

/* ======================================================================================
 * lint inactivate
 * ====================================================================================== */

typedef struct inactivate_args {
    const char *teacher, *student, *populations, *by_input, *json;
    size_t top;
    double teacher_noise, student_noise;
    uint64_t seed;
} inactivate_args;

enum { MAX_POPS = 64 };

static int inactivate_run(inactivate_args *a) {
    cli_teacher_set ts = {0};
    lrnn_lint_rnn *student = NULL, *tsil = NULL, *ssil = NULL;
    double *states = NULL, *out = NULL, *scratch = NULL;
    int *labels = NULL, *ctx = NULL;
    json_t *root = NULL;
    int rc = 1, pops[MAX_POPS], P = 0, channels[MAX_POPS];
    double acc_t[MAX_POPS + 1][3], acc_s[MAX_POPS + 1][3];
    size_t silenced[MAX_POPS + 1] = {0};
    if (cli_teacher_set_load(a->teacher, &ts)) goto fail;
    const lrnn_lint_config *tc = lrnn_lint_config_of(ts.rnn);
    size_t N = (size_t)tc->units;
    if (a->student) {
        if (lrnn_lint_load(a->student, &student, NULL, NULL)) goto fail;
        const lrnn_lint_config *sc = lrnn_lint_config_of(student);
        if (sc->units != tc->units || sc->inputs != tc->inputs) {
            lrnn_fail(LRNN_ERR_SHAPE,
                      "student %s has N = %d units and %d inputs but teacher %s "
                      "has N = %d and %d inputs",
                      a->student, sc->units, sc->inputs, a->teacher, tc->units, tc->inputs);
            goto fail;
        }
    }
    const lrnn_task_data *v = &ts.val;
    labels = malloc(N * sizeof *labels);
    states = malloc(v->n * (v->T + 1) * N * sizeof *states);
    out = malloc(v->n * v->T * v->O * sizeof *out);
    scratch = malloc(3 * v->n * v->T * v->O * sizeof *scratch);
    ctx = malloc(v->n * sizeof *ctx);
    if (!labels || !states || !out || !scratch || !ctx) {
        lrnn_fail(LRNN_ERR_NOMEM, "cannot allocate %zu x %zu x %zu states", v->n, v->T + 1, N);
        goto fail;
    }
    /* populations: from a file (every label >= 0), or spec 5.3's top-k by input loading of the
     * fitted network (the student's W_in; the teacher's without a student) */
    if (a->populations) {
        if (load_labels(a->populations, N, labels)) goto fail;
        for (size_t i = 0; i < N; i++) {
            bool known = labels[i] < 0;
            for (int p = 0; p < P && !known; p++)
                known = pops[p] == labels[i];
            if (known) continue;
            if (P == MAX_POPS) {
                lrnn_fail(LRNN_ERR_ARG, "%s: more than %d populations", a->populations, MAX_POPS);
                goto fail;
            }
            int k = P++;
            for (; k > 0 && pops[k - 1] > labels[i]; k--)
                pops[k] = pops[k - 1];
            pops[k] = labels[i];
        }
    } else {
        int nc = parse_int_list(a->by_input, channels, MAX_POPS);
        if (nc < 1) {
            lrnn_fail(LRNN_ERR_ARG, "--by-input '%s': expected input channels like 2,3",
                      a->by_input);
            goto fail;
        }
        if (a->top > N) {
            lrnn_fail(LRNN_ERR_ARG, "--top %zu exceeds the %zu units", a->top, N);
            goto fail;
        }
        if (lrnn_lint_populations_by_input(student ? student : ts.rnn, (size_t)nc, channels, a->top,
                                           labels))
            goto fail;
        P = nc;
        for (int p = 0; p < P; p++)
            pops[p] = p + 1;
    }
    lrnn_task_noise tn = cli_lint_task_noise(ts.info.params.kind, tc->noise_std);
    double tsig = a->teacher_noise >= 0 ? a->teacher_noise : tn.teacher_eval;
    double ssig = a->student_noise >= 0 ? a->student_noise : tn.student_eval;
    int C = task_contexts(&ts.info.params, v, ctx);
    /* condition 0 intact, then each population silenced in both networks; the same noise
     * seeds in every condition, so differences come from the silencing alone */
    for (int k = 0; k <= P; k++) {
        lrnn_lint_free(tsil), lrnn_lint_free(ssil), tsil = ssil = NULL;
        if (lrnn_lint_clone(ts.rnn, &tsil) || (student && lrnn_lint_clone(student, &ssil)))
            goto fail;
        if (k > 0 && (lrnn_lint_silence_population(tsil, labels, pops[k - 1], &silenced[k]) ||
                      (ssil && lrnn_lint_silence_population(ssil, labels, pops[k - 1], NULL))))
            goto fail;
        acc_s[k][0] = acc_s[k][1] = acc_s[k][2] = NAN;
        /* spec 5.1: every network through the (silenced) teacher's readout */
        if (run_trials(tsil, tsig, v, a->seed + 21, tsil, states, out) ||
            context_accuracy(&ts.info.params, v, out, C, ctx, scratch, acc_t[k]))
            goto fail;
        if (ssil && (run_trials(ssil, ssig, v, a->seed + 22, tsil, states, out) ||
                     context_accuracy(&ts.info.params, v, out, C, ctx, scratch, acc_s[k])))
            goto fail;
    }

    printf("LINT inactivation: %s teacher %s%s%s, %zu validation trials, noise teacher %g",
           lrnn_task_kind_name(ts.info.params.kind), a->teacher, student ? ", student " : "",
           student ? a->student : "", v->n, tsig);
    if (student) printf(", student %g", ssig);
    printf("\naccuracy per context, intact and with each population silenced:\n");
    printf("  %-22s %6s", "silenced", "units");
    for (int net = student ? 0 : 1; net < 2; net++)
        for (int c = 0; c <= C; c++) {
            char head[32];
            if (c == C && C == 1) continue;
            snprintf(head, sizeof head, "%s %s", net == 0 ? "student" : "teacher",
                     c < C ? context_name(C, c) : "all");
            printf(" %13s", head);
        }
    printf("\n");
    for (int k = 0; k <= P; k++) {
        char name[64];
        if (k == 0)
            snprintf(name, sizeof name, "none (intact)");
        else if (a->by_input)
            snprintf(name, sizeof name, "pop %d (top |I[%d]|)", pops[k - 1], channels[k - 1]);
        else
            snprintf(name, sizeof name, "pop %d", pops[k - 1]);
        printf("  %-22s %6zu", name, silenced[k]);
        for (int net = student ? 0 : 1; net < 2; net++)
            for (int c = 0; c <= C; c++) {
                if (c == C && C == 1) continue;
                printf(" %13.3f", net == 0 ? acc_s[k][c] : acc_t[k][c]);
            }
        printf("\n");
    }

    root = json_pack("{s:s, s:s, s:I, s:f}", "task", lrnn_task_kind_name(ts.info.params.kind),
                     "teacher", a->teacher, "trials", (json_int_t)v->n, "teacher_noise", tsig);
    if (!root) {
        lrnn_fail(LRNN_ERR_NOMEM, "cannot build the JSON results");
        goto fail;
    }
    if (student) {
        json_object_set_new(root, "student", json_string(a->student));
        json_object_set_new(root, "student_noise", json_real(ssig));
    }
    json_object_set_new(root, "populations_from",
                        json_string(a->populations ? a->populations : "by_input"));
    if (a->by_input) json_object_set_new(root, "top", json_integer((json_int_t)a->top));
    json_t *ctxs = json_array(), *rows = json_array();
    for (int c = 0; c < C; c++)
        json_array_append_new(ctxs, json_string(context_name(C, c)));
    json_object_set_new(root, "contexts", ctxs);
    for (int k = 0; k <= P; k++) {
        json_t *r =
            json_pack("{s:o, s:I, s:o, s:o}", "population",
                      k ? json_integer(pops[k - 1]) : json_null(), "units", (json_int_t)silenced[k],
                      "teacher", jarray(acc_t[k], (size_t)C), "teacher_all", jnum(acc_t[k][C]));
        if (a->by_input && k) json_object_set_new(r, "input", json_integer(channels[k - 1]));
        if (student) {
            json_object_set_new(r, "student", jarray(acc_s[k], (size_t)C));
            json_object_set_new(r, "student_all", jnum(acc_s[k][C]));
        }
        json_array_append_new(rows, r);
    }
    json_object_set_new(root, "conditions", rows);
    if (a->json && cli_lint_write_json(a->json, root)) goto fail;
    rc = 0;
    goto done;
fail:
    cli_report("lint inactivate");
done:
    json_decref(root);
    free(states), free(out), free(scratch), free(labels), free(ctx);
    lrnn_lint_free(tsil), lrnn_lint_free(ssil), lrnn_lint_free(student);
    cli_teacher_set_free(&ts);
    return rc;
}

int cmd_lint_inactivate(int argc, char **argv) {
    inactivate_args a = {.top = 100, .teacher_noise = -1, .student_noise = -1, .seed = 1};
    cli_option options[] = {
        {"teacher", CLI_STRING, &a.teacher, "T.h5", "teacher from lrnn task train", true, NULL,
         false},
        {"student", CLI_STRING, &a.student, "S.h5", "its LINT fit (lrnn lint fit)", false, NULL,
         false},
        {"populations", CLI_STRING, &a.populations, "FILE",
         "labels per unit (e.g. lint clusters' labels.npy); each label >= 0 is silenced in turn",
         false, NULL, false},
        {"by-input", CLI_STRING, &a.by_input, "LIST",
         "populations of the top |W_in[c]| units for each input channel c (0-based; CDM "
         "contexts: 2,3)",
         false, NULL, false},
        {"top", CLI_SIZE, &a.top, "K",
         "units per --by-input population (a unit in two goes to the later channel's)", false, NULL,
         false},
        {"teacher-noise", CLI_DOUBLE, &a.teacher_noise, "S",
         "teacher noise (-1: spec 7.1's value for the task)", false, NULL, false},
        {"student-noise", CLI_DOUBLE, &a.student_noise, "S",
         "student noise (-1: spec 7.1's value for the task)", false, NULL, false},
        {"seed", CLI_U64, &a.seed, "S", "noise seed (the same in every condition)", false, NULL,
         false},
        {"json", CLI_STRING, &a.json, "FILE", "also write the results as JSON", false, NULL, false},
    };
    cli_command cmd = {
        "lint inactivate",
        "--teacher T.h5 [--student S.h5] (--populations FILE | --by-input 2,3 [--top 100])",
        "Inactivation (spec lint_method.md 5.3, 7.6): task accuracy per context of the\n"
        "teacher and of its LINT fit, intact and with each population silenced (its\n"
        "units' rates reach no unit and no readout; N and the 1/N factors unchanged).\n"
        "The student is read out through the (silenced) teacher's readout.",
        options, (int)(sizeof options / sizeof options[0])};
    int rc = cli_parse(&cmd, argc, argv, NULL, 0, NULL);
    if (rc) return rc == 1 ? 0 : rc;
    if (!a.populations == !a.by_input)
        return usage_fail("inactivate", "give exactly one of --populations and --by-input");
    if (a.top < 1) return usage_fail("inactivate", "--top must be positive");
    return inactivate_run(&a);
}
