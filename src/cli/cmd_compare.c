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
#include "metrics_cli.h"
#include "options.h"

CLI_CHOICE_DEFINE(compare_layout_choice, lrnn_layout, "auto|tx|btx|bxt")
CLI_CHOICE_DEFINE(dstsp_method_choice, lrnn_dstsp_method, "auto|gmm|bins")

/* the first five in the order of metrics_cli.h (metrics_generated reads want[0..4]) */
enum { M_DSTSP = METRIC_DSTSP, M_DH, M_RATES, M_ISI, M_CORR, M_BPS, METRIC_COUNT };
static const char *const metric_names[METRIC_COUNT] = {"dstsp", "dh",   "rates",
                                                       "isi",   "corr", "bps"};

typedef struct compare_args {
    const char *data, *generated, *metric, *json, *nan;
    lrnn_layout layout;
    metrics_opts o;
} compare_args;

typedef metrics_series series;

static lrnn_status load_series(const char *spec, const compare_args *a, series *out) {
    lrnn_nan_policy nan = a->nan && !strcmp(a->nan, "error") ? LRNN_NAN_ERROR : LRNN_NAN_MASK;
    lrnn_dataset d = {0};
    lrnn_status s = lrnn_dataset_load(spec, a->layout, nan, &d);
    if (!s) s = metrics_series_from(&d, spec, out);
    lrnn_dataset_free(&d);
    return s;
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

static lrnn_status run_metrics(const compare_args *a, const bool *want, series *r, series *g,
                               json_t *root) {
    lrnn_status s = LRNN_OK;
    metrics_header();
    if ((s = metrics_generated(&a->o, want, r, g, root))) return s;
    if (want[M_BPS]) {
        if (r->view.B != g->view.B || r->view.T != g->view.T)
            return lrnn_fail(LRNN_ERR_SHAPE,
                             "bps: predicted rates %s (%zu x %zu) must match the counts %s "
                             "(%zu x %zu)",
                             a->generated, g->view.B, g->view.T, a->data, r->view.B, r->view.T);
        double bps;
        if ((s = lrnn_bps_compute(&r->view, g->y, NULL, 0, 0, 0, &bps))) return s;
        metrics_row("bps", bps, NAN, "bits per spike of the generated rates on the data counts");
        json_object_set_new(root, "bps", json_pack("{s:o}", "value", metrics_json_num(bps)));
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
        s = metrics_write_json(a->json, root);
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
                      .o = {.dstsp = lrnn_dstsp_default_params(),
                            .dh = lrnn_dh_default_params(),
                            .dt = 1.0,
                            .isi_min = 2}};
    int cutoff = 0;
    /* clang-format off */
    cli_option options[] = {
        {"data", CLI_STRING, &a.data, "FILE", "real recording: .npy/.npz[:name]/.csv/.h5:/path", true, NULL, false},
        {"generated", CLI_STRING, &a.generated, "FILE", "generated data (or predicted rates for bps), same channels", true, NULL, false},
        {"layout", CLI_CHOICE, &a.layout, NULL, "axis order of both files (auto: 2-D tx, 3-D btx)", false, &compare_layout_choice, false},
        {"nan", CLI_STRING, &a.nan, "mask|error", "NaN entries: missing values or an error", false, NULL, false},
        {"metric", CLI_STRING, &a.metric, "LIST", "comma-separated: dstsp,dh,rates,isi,corr,bps", false, NULL, false},
        {"json", CLI_STRING, &a.json, "FILE", "also write the results as JSON", false, NULL, false},
        {"dstsp-method", CLI_CHOICE, &a.o.dstsp.method, NULL, "auto: histograms below 6 channels, kernel mixtures otherwise", false, &dstsp_method_choice, false},
        {"dstsp-std", CLI_DOUBLE, &a.o.dstsp.kernel_std, "S", "D_stsp kernel standard deviation", false, NULL, false},
        {"dstsp-samples", CLI_SIZE, &a.o.dstsp.samples, "N", "D_stsp Monte-Carlo draws", false, NULL, false},
        {"dstsp-points", CLI_SIZE, &a.o.dstsp.max_points, "N", "D_stsp: first N rows of each input in the mixtures", false, NULL, false},
        {"dstsp-bins", CLI_SIZE, &a.o.dstsp.bins, "N", "D_stsp histogram bins per dimension", false, NULL, false},
        {"dstsp-time", CLI_DOUBLE, &a.o.dstsp.time_limit, "SEC", "D_stsp: stop drawing after SEC seconds (0: no limit)", false, NULL, false},
        {"dh-sigma", CLI_DOUBLE, &a.o.dh.sigma, "S", "D_H Gaussian smoothing of the spectra, in bins (0: none)", false, NULL, false},
        {"dh-cutoff", CLI_INT, &cutoff, "K", "D_H: keep K frequency bins (< 0: drop the last -K; 0: all)", false, NULL, false},
        {"smooth-hann", CLI_SIZE, &a.o.hann, "W", "smooth the generated data with a Hann window of W steps (0: off)", false, NULL, false},
        {"zscore", CLI_BOOL, &a.o.zscore, NULL, "z-score every channel of both inputs (after smoothing)", false, NULL, false},
        {"dt", CLI_DOUBLE, &a.o.dt, "SEC", "bin width for rates and ISIs (1: per bin)", false, NULL, false},
        {"isi-min", CLI_INT, &a.o.isi_min, "N", "fewest intervals for a channel's ISI statistics", false, NULL, false},
        {"seed", CLI_U64, &a.o.dstsp.seed, "S", "random seed of the D_stsp draws", false, NULL, false},
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
    a.o.dh.cutoff = cutoff;
    bool want[METRIC_COUNT] = {false};
    if (parse_metrics(a.metric, want)) return 2;
    if (strcmp(a.nan, "mask") && strcmp(a.nan, "error")) {
        fprintf(stderr, "lrnn compare: --nan must be mask or error, not '%s'\n", a.nan);
        return 2;
    }
    if (lrnn_dstsp_params_check(&a.o.dstsp) || lrnn_dh_params_check(&a.o.dh)) {
        fprintf(stderr, "lrnn compare: %s\n", lrnn_last_error());
        return 2;
    }
    if (!(a.o.dt > 0.0) || a.o.isi_min < 1) {
        fprintf(stderr, "lrnn compare: --dt must be > 0 and --isi-min >= 1\n");
        return 2;
    }
    return run(&a, want);
}
