/* Subcommands of `lrnn plot` (dispatched in cmd_plot.c), each in its own file. */
#ifndef LRNN_CLI_PLOT_CLI_H
#define LRNN_CLI_PLOT_CLI_H

int cmd_plot_flow(int argc, char **argv); /* cmd_plot_flow.c */

#endif
