/* lrnn compare: how much generated data look like a recording (spec §8; docs/metrics.md).
 * Both arrays go through the dataset loader; masked (NaN) entries stay NaN for the metrics. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "commands.h"
#include "lrnn/dataset.h"
#include "lrnn/eval.h"
#include "lrnn/io.h"
#include "options.h"

CLI_CHOICE_DEFINE(compare_layout_choice, lrnn_layout, "auto|tx|btx|bxt")
CLI_CHOICE_DEFINE(dstsp_method_choice, lrnn_dstsp_method, "auto|gmm|bins")

enum { M_DSTSP, M_DH, M_RATES, M_ISI, M_CORR, M_BPS, METRIC_COUNT };
static const char *const metric_names[METRIC_COUNT] = {"dstsp", "dh",   "rates",
                                                       "isi",   "corr", "bps"};

typedef struct compare_args {
    const char *data, *generated, *metric, *json, *nan;
    lrnn_layout layout;
    lrnn_dstsp_params dstsp;
    lrnn_dh_params dh;
    size_t hann;
    bool zscore;
    double dt;
    int isi_min;
} compare_args;

/* B x T x X doubles with NaN where the dataset's mask says unobserved. */
typedef struct series {
    lrnn_eval_data view;
    double *y;
} series;

static lrnn_status load_series(const char *spec, const compare_args *a, series *out) {
    lrnn_nan_policy nan = a->nan && !strcmp(a->nan, "error") ? LRNN_NAN_ERROR : LRNN_NAN_MASK;
    lrnn_dataset d = {0};
    lrnn_status s = lrnn_dataset_load(spec, a->layout, nan, &d);
    if (s) return s;
    size_t n = d.B * d.T * d.X;
    out->y = malloc(n * sizeof *out->y);
    if (!out->y) {
        lrnn_dataset_free(&d);
        return lrnn_fail(LRNN_ERR_NOMEM, "%s: out of memory", spec);
    }
    for (size_t i = 0; i < n; i++)
        out->y[i] = d.mask && !d.mask[i] ? NAN : d.y[i];
    out->view = (lrnn_eval_data){d.B, d.T, d.X, out->y, spec};
    lrnn_dataset_free(&d);
    return LRNN_OK;
}

static int parse_metrics(const char *list, bool *want) {
    char buf[256];
    if (strlen(list) >= sizeof buf) return -1;
    strcpy(buf, list);
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        int k = 0;
        while (k < METRIC_COUNT && strcmp(tok, metric_names[k]))
            k++;
        if (k == METRIC_COUNT) {
            fprintf(stderr,
                    "lrnn compare: unknown metric '%s' (available: dstsp, dh, rates, isi, "
                    "corr, bps)\n",
                    tok);
            return -1;
        }
        want[k] = true;
    }
    return 0;
}

static json_t *json_num(double v) {
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *json_vec(const double *v, size_t n) {
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_num(v[i]));
    return a;
}

/* One line of the table; "-" when there is no standard error. */
static void row(const char *name, double value, double se, const char *setting) {
    char err[32] = "-";
    if (isfinite(se)) snprintf(err, sizeof err, "%.2g", se);
    printf("%-7s %-12.6g %-10s %s\n", name, value, err, setting);
}

/* Per-channel statistics of both inputs and their Pearson r. */
static lrnn_status compare_channels(int metric, const compare_args *a, const series *r,
                                    const series *g, json_t *root) {
    size_t X = r->view.X, n = metric == M_CORR ? X * (X - 1) / 2 : X;
    if (metric == M_CORR && n == 0)
        return lrnn_fail(LRNN_ERR_SHAPE, "corr: needs at least 2 channels (have %zu)", X);
    double *vr = malloc(4 * n * sizeof *vr), *vg = vr + n, *cr = vg + n, *cg = cr + n;
    lrnn_isi_stats *ir = metric == M_ISI ? malloc(2 * X * sizeof *ir) : NULL,
                   *ig = ir ? ir + X : NULL;
    lrnn_status s = LRNN_OK;
    if (!vr || (metric == M_ISI && !ir)) {
        s = lrnn_fail(LRNN_ERR_NOMEM, "compare: out of memory");
        goto done;
    }
    if (metric == M_RATES) {
        if ((s = lrnn_spikes_rates(&r->view, a->dt, vr)) ||
            (s = lrnn_spikes_rates(&g->view, a->dt, vg)))
            goto done;
    } else if (metric == M_ISI) {
        if ((s = lrnn_spikes_isi(&r->view, a->dt, (size_t)a->isi_min, ir)) ||
            (s = lrnn_spikes_isi(&g->view, a->dt, (size_t)a->isi_min, ig)))
            goto done;
        for (size_t x = 0; x < X; x++)
            vr[x] = ir[x].mean, vg[x] = ig[x].mean, cr[x] = ir[x].cv, cg[x] = ig[x].cv;
    } else if ((s = lrnn_spikes_corr(&r->view, vr)) || (s = lrnn_spikes_corr(&g->view, vg))) {
        goto done;
    }
    double rr, mr = 0.0, mg = 0.0;
    size_t used = 0;
    if ((s = lrnn_pearson(vr, vg, n, &rr))) goto done;
    for (size_t i = 0; i < n; i++)
        if (isfinite(vr[i]) && isfinite(vg[i])) mr += vr[i], mg += vg[i], used++;
    mr = used ? mr / (double)used : NAN, mg = used ? mg / (double)used : NAN;
    char setting[160];
    const char *what = metric == M_RATES ? "rate" : metric == M_ISI ? "ISI" : "correlation";
    snprintf(setting, sizeof setting, "Pearson r over %zu %s; mean %s real %.4g, generated %.4g",
             used, metric == M_CORR ? "pairs" : "channels", what, mr, mg);
    row(metric_names[metric], rr, NAN, setting);
    json_t *o = json_pack("{s:o, s:o, s:o, s:I}", "pearson_r", json_num(rr), "real",
                          json_vec(vr, n), "generated", json_vec(vg, n), "count", (json_int_t)used);
    if (metric == M_ISI) {
        double rcv;
        if ((s = lrnn_pearson(cr, cg, n, &rcv))) {
            json_decref(o);
            goto done;
        }
        json_object_set_new(o, "pearson_r_cv", json_num(rcv));
        json_object_set_new(o, "cv_real", json_vec(cr, n));
        json_object_set_new(o, "cv_generated", json_vec(cg, n));
        snprintf(setting, sizeof setting, "Pearson r of the CVs over channels");
        row("isi_cv", rcv, NAN, setting);
    }
    if (metric != M_CORR) json_object_set_new(o, "dt", json_real(a->dt));
    json_object_set_new(root, metric_names[metric], o);
done:
    free(vr), free(ir);
    return s;
}

static lrnn_status run_metrics(const compare_args *a, const bool *want, series *r, series *g,
                               json_t *root) {
    lrnn_status s = LRNN_OK;
    if (r->view.X != g->view.X)
        return lrnn_fail(LRNN_ERR_SHAPE, "%s has %zu channels but %s has %zu", a->data, r->view.X,
                         a->generated, g->view.X);
    /* preprocessing of the EEG protocol (§8.3): Hann smoothing of the generated data, then
     * z-scoring of both */
    if (a->hann && (s = lrnn_smooth_hann(g->y, g->view.B, g->view.T, g->view.X, a->hann)))
        return lrnn_fail_context(s, "%s", a->generated);
    if (a->zscore && ((s = lrnn_zscore_apply(r->y, r->view.B, r->view.T, r->view.X, NULL, NULL))))
        return lrnn_fail_context(s, "%s", a->data);
    if (a->zscore && ((s = lrnn_zscore_apply(g->y, g->view.B, g->view.T, g->view.X, NULL, NULL))))
        return lrnn_fail_context(s, "%s", a->generated);
    printf("%-7s %-12s %-10s %s\n", "metric", "value", "std.err", "setting");
    char setting[200];
    if (want[M_DSTSP]) {
        lrnn_dstsp_result d;
        if ((s = lrnn_dstsp_compute(&r->view, &g->view, &a->dstsp, &d))) return s;
        if (d.method == LRNN_DSTSP_GMM)
            snprintf(setting, sizeof setting, "kernel mixtures, s = %g, %zu draws, %zu/%zu rows",
                     a->dstsp.kernel_std, d.samples, d.rows_real, d.rows_gen);
        else
            snprintf(setting, sizeof setting, "histograms, %zu bins per dim, %zu/%zu rows in range",
                     a->dstsp.bins, d.rows_real, d.rows_gen);
        row("dstsp", d.value, d.std_err, setting);
        json_object_set_new(
            root, "dstsp",
            json_pack("{s:o, s:o, s:s, s:I, s:I, s:I, s:f, s:I, s:I}", "value", json_num(d.value),
                      "std_err", json_num(d.std_err), "method", lrnn_dstsp_method_name(d.method),
                      "samples", (json_int_t)d.samples, "rows_real", (json_int_t)d.rows_real,
                      "rows_gen", (json_int_t)d.rows_gen, "kernel_std", a->dstsp.kernel_std, "bins",
                      (json_int_t)a->dstsp.bins, "seed", (json_int_t)a->dstsp.seed));
    }
    if (want[M_DH]) {
        size_t X = r->view.X;
        double dh, *h = malloc(X * sizeof *h);
        if (!h) return lrnn_fail(LRNN_ERR_NOMEM, "compare: out of memory");
        if ((s = lrnn_dh_compute(&r->view, &g->view, &a->dh, &dh, h))) {
            free(h);
            return s;
        }
        snprintf(setting, sizeof setting, "sigma %g, cutoff %ld, mean over %zu channels",
                 a->dh.sigma, a->dh.cutoff, X);
        row("dh", dh, NAN, setting);
        json_object_set_new(root, "dh",
                            json_pack("{s:o, s:o, s:f, s:I}", "value", json_num(dh), "per_channel",
                                      json_vec(h, X), "sigma", a->dh.sigma, "cutoff",
                                      (json_int_t)a->dh.cutoff));
        free(h);
    }
    for (int m = M_RATES; m <= M_CORR; m++)
        if (want[m] && (s = compare_channels(m, a, r, g, root))) return s;
    if (want[M_BPS]) {
        if (r->view.B != g->view.B || r->view.T != g->view.T)
            return lrnn_fail(LRNN_ERR_SHAPE,
                             "bps: predicted rates %s (%zu x %zu) must match the counts %s "
                             "(%zu x %zu)",
                             a->generated, g->view.B, g->view.T, a->data, r->view.B, r->view.T);
        double bps;
        if ((s = lrnn_bps_compute(&r->view, g->y, NULL, 0, 0, 0, &bps))) return s;
        row("bps", bps, NAN, "bits per spike of the generated rates on the data counts");
        json_object_set_new(root, "bps", json_pack("{s:o}", "value", json_num(bps)));
    }
    return LRNN_OK;
}

static int run(const compare_args *a, const bool *want) {
    series r = {0}, g = {0};
    json_t *root = json_object();
    int rc = 1;
    lrnn_status s = load_series(a->data, a, &r);
    if (!s) s = load_series(a->generated, a, &g);
    if (!s) s = run_metrics(a, want, &r, &g, root);
    if (!s && a->json) {
        json_object_set_new(root, "data", json_string(a->data));
        json_object_set_new(root, "generated", json_string(a->generated));
        char *text = json_dumps(root, JSON_INDENT(2) | JSON_REAL_PRECISION(17));
        s = text ? lrnn_file_write_atomic(a->json, text, strlen(text))
                 : lrnn_fail(LRNN_ERR_NOMEM, "compare: cannot encode JSON");
        free(text);
    }
    if (!s)
        rc = 0;
    else
        cli_report("compare");
    json_decref(root);
    free(r.y), free(g.y);
    return rc;
}

int cmd_compare(int argc, char **argv) {
    compare_args a = {.metric = "dstsp,dh",
                      .nan = "mask",
                      .layout = LRNN_LAYOUT_AUTO,
                      .dstsp = lrnn_dstsp_default_params(),
                      .dh = lrnn_dh_default_params(),
                      .dt = 1.0,
                      .isi_min = 2};
    int cutoff = 0;
    /* clang-format off */
    cli_option options[] = {
        {"data", CLI_STRING, &a.data, "FILE", "real recording: .npy/.npz[:name]/.csv/.h5:/path", true, NULL, false},
        {"generated", CLI_STRING, &a.generated, "FILE", "generated data (or predicted rates for bps), same channels", true, NULL, false},
        {"layout", CLI_CHOICE, &a.layout, NULL, "axis order of both files (auto: 2-D tx, 3-D btx)", false, &compare_layout_choice, false},
        {"nan", CLI_STRING, &a.nan, "mask|error", "NaN entries: missing values or an error", false, NULL, false},
        {"metric", CLI_STRING, &a.metric, "LIST", "comma-separated: dstsp,dh,rates,isi,corr,bps", false, NULL, false},
        {"json", CLI_STRING, &a.json, "FILE", "also write the results as JSON", false, NULL, false},
        {"dstsp-method", CLI_CHOICE, &a.dstsp.method, NULL, "auto: histograms below 6 channels, kernel mixtures otherwise", false, &dstsp_method_choice, false},
        {"dstsp-std", CLI_DOUBLE, &a.dstsp.kernel_std, "S", "D_stsp kernel standard deviation", false, NULL, false},
        {"dstsp-samples", CLI_SIZE, &a.dstsp.samples, "N", "D_stsp Monte-Carlo draws", false, NULL, false},
        {"dstsp-points", CLI_SIZE, &a.dstsp.max_points, "N", "D_stsp: first N rows of each input in the mixtures", false, NULL, false},
        {"dstsp-bins", CLI_SIZE, &a.dstsp.bins, "N", "D_stsp histogram bins per dimension", false, NULL, false},
        {"dstsp-time", CLI_DOUBLE, &a.dstsp.time_limit, "SEC", "D_stsp: stop drawing after SEC seconds (0: no limit)", false, NULL, false},
        {"dh-sigma", CLI_DOUBLE, &a.dh.sigma, "S", "D_H Gaussian smoothing of the spectra, in bins (0: none)", false, NULL, false},
        {"dh-cutoff", CLI_INT, &cutoff, "K", "D_H: keep K frequency bins (< 0: drop the last -K; 0: all)", false, NULL, false},
        {"smooth-hann", CLI_SIZE, &a.hann, "W", "smooth the generated data with a Hann window of W steps (0: off)", false, NULL, false},
        {"zscore", CLI_BOOL, &a.zscore, NULL, "z-score every channel of both inputs (after smoothing)", false, NULL, false},
        {"dt", CLI_DOUBLE, &a.dt, "SEC", "bin width for rates and ISIs (1: per bin)", false, NULL, false},
        {"isi-min", CLI_INT, &a.isi_min, "N", "fewest intervals for a channel's ISI statistics", false, NULL, false},
        {"seed", CLI_U64, &a.dstsp.seed, "S", "random seed of the D_stsp draws", false, NULL, false},
    };
    /* clang-format on */
    cli_command cmd = {"compare", "--data REAL --generated GEN [--metric dstsp,dh,...] [options]",
                       "Compare generated data with a recording: state-space divergence D_stsp,\n"
                       "power-spectrum distance D_H, and spike statistics (Pearson r of rates,\n"
                       "mean ISIs and pairwise correlations); bps scores predicted rates.\n"
                       "EEG protocol: --smooth-hann 15 --zscore --dh-cutoff -1 (docs/metrics.md).",
                       options, (int)(sizeof options / sizeof options[0])};
    int rc = cli_parse(&cmd, argc, argv, NULL, 0, NULL);
    if (rc) return rc == 1 ? 0 : rc;
    a.dh.cutoff = cutoff;
    bool want[METRIC_COUNT] = {false};
    if (parse_metrics(a.metric, want)) return 2;
    if (strcmp(a.nan, "mask") && strcmp(a.nan, "error")) {
        fprintf(stderr, "lrnn compare: --nan must be mask or error, not '%s'\n", a.nan);
        return 2;
    }
    if (lrnn_dstsp_params_check(&a.dstsp) || lrnn_dh_params_check(&a.dh)) {
        fprintf(stderr, "lrnn compare: %s\n", lrnn_last_error());
        return 2;
    }
    if (!(a.dt > 0.0) || a.isi_min < 1) {
        fprintf(stderr, "lrnn compare: --dt must be > 0 and --isi-min >= 1\n");
        return 2;
    }
    return run(&a, want);
}
