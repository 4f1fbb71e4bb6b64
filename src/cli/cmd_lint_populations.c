/* lrnn lint populations: placeholder until the subcommand lands (prints that it is not built yet). */
#include <stdio.h>

#include "lint_cli.h"

int cmd_lint_clusters(int argc, char **argv) {
    (void)argc, (void)argv;
    fprintf(stderr, "lrnn lint: clusters is not built yet\n");
    return 2;
}

int cmd_lint_inactivate(int argc, char **argv) {
    (void)argc, (void)argv;
    fprintf(stderr, "lrnn lint: inactivate is not built yet\n");
    return 2;
}
