/* lrnn plot: placeholder until the subcommand lands. */
#include <stdio.h>

#include "commands.h"

int cmd_plot(int argc, char **argv) {
    (void)argc, (void)argv;
    fprintf(stderr, "lrnn plot: not built yet\n");
    return 2;
}
