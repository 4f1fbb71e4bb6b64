/* lrnn lint subsample: placeholder until the subcommand lands (prints that it is not built yet). */
#include <stdio.h>

#include "lint_cli.h"

int cmd_lint_subsample(int argc, char **argv) {
    (void)argc, (void)argv;
    fprintf(stderr, "lrnn lint: subsample is not built yet\n");
    return 2;
}
