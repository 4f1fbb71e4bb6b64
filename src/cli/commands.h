/* Subcommands of the lrnn tool; each returns the process exit status. */
#ifndef LRNN_CLI_COMMANDS_H
#define LRNN_CLI_COMMANDS_H

#include "lrnn/model.h"
#include "options.h"

int cmd_init(int argc, char **argv);
int cmd_sample(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_fit(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_preprocess(int argc, char **argv);
int cmd_posterior(int argc, char **argv);
int cmd_fixedpoints(int argc, char **argv);
int cmd_task(int argc, char **argv);
int cmd_lint(int argc, char **argv);
int cmd_plot(int argc, char **argv);

/* Options that build a model configuration (shared by init and, later, fit). Writes at most
 * `cap` options into out and returns how many. */
int cli_model_options(lrnn_model_config *c, cli_option *out, int cap);
/* After parsing: the encoder's layer lists from --enc-kernels / --enc-channels, or the default
 * encoder when want_encoder (--proposal encoder) and none was configured. */
lrnn_status cli_model_encoder_apply(lrnn_model_config *c, bool want_encoder);

#endif
