/* lrnn preprocess: transform a recording along time before fitting (docs/metrics.md): undo a
 * Hann smoothing, smooth, z-score. The EEG benchmark uses it to train on the raw scale of a
 * recording that is distributed smoothed (examples/eeg/fit.sh). */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "lrnn/dataset.h"
#include "lrnn/eval.h"
#include "lrnn/io.h"

CLI_CHOICE_DEFINE(preprocess_layout_choice, lrnn_layout, "auto|tx|btx|bxt")

typedef struct preprocess_args {
    const char *data, *out;
    lrnn_layout layout;
    size_t unsmooth, smooth;
    double ridge;
    bool zscore;
} preprocess_args;

static lrnn_status run(const preprocess_args *a, lrnn_dataset *d) {
    lrnn_status s = lrnn_dataset_load(a->data, a->layout, LRNN_NAN_ERROR, d);
    if (s) return s;
    if (d->lengths)
        return lrnn_fail(LRNN_ERR_ARG, "%s: trials of different lengths are not supported here",
                         a->data);
    printf("%s: %zu trial(s) x %zu steps x %zu channels\n", a->data, d->B, d->T, d->X);
    if (a->unsmooth) {
        if ((s = lrnn_unsmooth_hann(d->y, d->B, d->T, d->X, a->unsmooth, a->ridge))) return s;
        printf("  undid a Hann smoothing of width %zu (ridge %g)\n", a->unsmooth, a->ridge);
    }
    if (a->smooth) {
        if ((s = lrnn_smooth_hann(d->y, d->B, d->T, d->X, a->smooth))) return s;
        printf("  smoothed with a Hann window of width %zu\n", a->smooth);
    }
    if (a->zscore) {
        if ((s = lrnn_zscore_apply(d->y, d->B, d->T, d->X, NULL, NULL))) return s;
        printf("  z-scored every channel\n");
    }
    /* one trial goes out as time x channels (--layout tx), several as trials x time x channels */
    lrnn_array out = {
        .dtype = LRNN_DTYPE_F64, .ndim = 3, .shape = {d->B, d->T, d->X}, .data = d->y};
    if (d->B == 1)
        out = (lrnn_array){.dtype = LRNN_DTYPE_F64, .ndim = 2, .shape = {d->T, d->X}, .data = d->y};
    if ((s = lrnn_array_save(a->out, &out))) return s;
    printf("  written to %s (%s)\n", a->out,
           d->B == 1 ? "time x channels" : "trials x time x channels");
    return LRNN_OK;
}

int cmd_preprocess(int argc, char **argv) {
    preprocess_args a = {.layout = LRNN_LAYOUT_AUTO, .ridge = 1e-3};
    cli_option options[] = {
        {"data", CLI_STRING, &a.data, "FILE", "recording: .npy/.npz[:name]/.csv/.h5:/path", true,
         NULL, false},
        {"layout", CLI_CHOICE, &a.layout, NULL, "axis order of the file (auto: 2-D tx, 3-D btx)",
         false, &preprocess_layout_choice, false},
        {"unsmooth-hann", CLI_SIZE, &a.unsmooth, "W",
         "undo a Hann smoothing of odd width W by ridge deconvolution (0: off)", false, NULL,
         false},
        {"ridge", CLI_DOUBLE, &a.ridge, "L",
         "deconvolution ridge, relative to the window's gain: frequencies with gain^2 >> L are "
         "restored",
         false, NULL, false},
        {"smooth-hann", CLI_SIZE, &a.smooth, "W",
         "then smooth with a Hann window of W steps (0: off)", false, NULL, false},
        {"zscore", CLI_BOOL, &a.zscore, NULL, "then z-score every channel over trials and time",
         false, NULL, false},
        {"out", CLI_STRING, &a.out, "FILE",
         "output (.npy/.csv/.h5:/path); one trial: time x channels", true, NULL, false},
    };
    cli_command cmd = {"preprocess", "--data FILE --out FILE [--unsmooth-hann W] [--zscore]",
                       "Transform a recording along time, in this order: undo a Hann smoothing\n"
                       "(ridge-regularised inverse of lrnn compare's --smooth-hann), smooth,\n"
                       "z-score. NaN entries are an error.",
                       options, (int)(sizeof options / sizeof options[0])};
    int rc = cli_parse(&cmd, argc, argv, NULL, 0, NULL);
    if (rc) return rc == 1 ? 0 : rc;
    lrnn_dataset d = {0};
    lrnn_status s = run(&a, &d);
    lrnn_dataset_free(&d);
    return s ? cli_report("preprocess") : 0;
}
