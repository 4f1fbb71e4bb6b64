/* Shared pieces of the commands that read recordings and run the filter (fit, eval). */
#ifndef LRNN_CLI_RUN_DIR_H
#define LRNN_CLI_RUN_DIR_H

#include "lrnn/dataset.h"
#include "lrnn/smc.h"
#include "options.h"

typedef struct data_args {
    const char *data, *inputs;
    lrnn_layout layout;
    const char *nan; /* "mask" or "error" */
} data_args;

/* --data, --layout, --inputs, --nan: writes up to 4 options, returns the count. */
int cli_data_options(data_args *a, cli_option *out);
/* --particles, --proposal, --weights, --resample, --ess: up to 5 options. */
int cli_smc_options(lrnn_smc_params *p, cli_option *out);
/* Load the recording (and inputs) named by the options. */
lrnn_status cli_load_data(const data_args *a, lrnn_dataset *d);
/* Was the option `name` given on the command line? */
bool cli_seen(const cli_command *cmd, const char *name);

#endif
