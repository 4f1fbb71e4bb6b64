/* lrnn plot: figures of fitted networks. Dispatches to one file per figure (plot_cli.h). */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "plot_cli.h"

int cmd_plot(int argc, char **argv) {
    if (argc >= 2 && !strcmp(argv[1], "flow")) return cmd_plot_flow(argc - 1, argv + 1);
    bool help = argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"));
    fprintf(
        help ? stdout : stderr,
        "usage: lrnn plot flow --model S.h5 [--teacher T.h5 | --inputs U] --out fig.svg|fig.png\n"
        "  flow   flow field, fixed points and latent trajectories of a low-rank LINT model\n"
        "  (lrnn plot <subcommand> --help for the options)\n");
    return help ? 0 : 2;
}
