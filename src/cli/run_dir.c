#include "run_dir.h"

#include <string.h>

CLI_CHOICE_DEFINE(data_layout_choice, lrnn_layout, "auto|tx|btx|bxt")
CLI_CHOICE_DEFINE(proposal_choice, lrnn_proposal, "optimal|bootstrap|encoder")
CLI_CHOICE_DEFINE(weights_choice, lrnn_opt_weights, "analytic|ratio")
CLI_CHOICE_DEFINE(resample_choice, lrnn_resample, "systematic|multinomial")
CLI_CHOICE_DEFINE(precision_choice, lrnn_precision, "double|single")

int cli_data_options(data_args *a, cli_option *out) {
    const cli_option table[] = {
        {"data", CLI_STRING, &a->data, "FILE", "recording: .npy/.npz[:name]/.csv/.h5:/path", true, NULL, false},
        {"layout", CLI_CHOICE, &a->layout, NULL, "axis order of the file (auto: 2-D tx, 3-D btx)", false, &data_layout_choice, false},
        {"inputs", CLI_STRING, &a->inputs, "FILE", "inputs aligned with the data (same layout)", false, NULL, false},
        {"nan", CLI_STRING, &a->nan, "mask|error", "NaN entries: masked observations or an error", false, NULL, false},
    };
    memcpy(out, table, sizeof table);
    return (int)(sizeof table / sizeof table[0]);
}

int cli_smc_options(lrnn_smc_params *p, cli_option *out) {
    const cli_option table[] = {
        {"particles", CLI_INT, &p->particles, "K", "particles per trial", false, NULL, false},
        {"proposal", CLI_CHOICE, &p->proposal, NULL, "particle proposal (optimal: linear-Gaussian readouts; encoder: the model's CNN encoder, any readout)", false, &proposal_choice, false},
        {"weights", CLI_CHOICE, &p->weights, NULL, "optimal-proposal weights", false, &weights_choice, false},
        {"resample", CLI_CHOICE, &p->resample, NULL, "ancestor sampling", false, &resample_choice, false},
        {"ess", CLI_DOUBLE, &p->ess_threshold, "F", "resample when ESS < F K (1: every step)", false, NULL, false},
        {"t-forward", CLI_INT, &p->t_forward, "T", "forward-prediction tail: the last T steps of each window are predicted, not filtered", false, NULL, false},
        {"encoder-precision", CLI_CHOICE, &p->encoder_precision, NULL, "arithmetic of the CNN encoder (single: float32 as the reference, about 2x faster; double: exact gradients)", false, &precision_choice, false},
    };
    memcpy(out, table, sizeof table);
    return (int)(sizeof table / sizeof table[0]);
}

lrnn_status cli_load_data(const data_args *a, lrnn_dataset *d) {
    lrnn_nan_policy nan = LRNN_NAN_MASK;
    if (a->nan && !strcmp(a->nan, "error")) nan = LRNN_NAN_ERROR;
    else if (a->nan && strcmp(a->nan, "mask"))
        return lrnn_fail(LRNN_ERR_ARG, "--nan must be mask or error, not '%s'", a->nan);
    lrnn_status s = lrnn_dataset_load(a->data, a->layout, nan, d);
    if (!s && a->inputs) s = lrnn_dataset_load_inputs(d, a->inputs, a->layout);
    if (s) lrnn_dataset_free(d);
    return s;
}

bool cli_seen(const cli_command *cmd, const char *name) {
    for (int i = 0; i < cmd->count; i++)
        if (!strcmp(cmd->options[i].name, name)) return cmd->options[i].seen;
    return false;
}
