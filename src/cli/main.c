/* lrnn: command-line front end. Only this layer prints and exits. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "lrnn/status.h"

typedef struct subcommand {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} subcommand;

static const subcommand subcommands[] = {
    {"init", cmd_init, "create a model file with initialised parameters"},
    {"sample", cmd_sample, "generate latents, rates and observations from a model"},
    {"info", cmd_info, "describe a model file"},
    {"fit", cmd_fit, "fit a model to a recording by variational SMC"},
    {"posterior", cmd_posterior, "posterior latents and rates of a recording (filter, smoother)"},
    {"eval", cmd_eval, "evaluate a model on a recording (per-step SMC bound)"},
    {"compare", cmd_compare, "compare generated data with a recording (D_stsp, D_H, spikes)"},
    {"preprocess", cmd_preprocess, "undo a smoothing, smooth or z-score a recording"},
    {"fixedpoints", cmd_fixedpoints, "fixed points, cycles and their stability"},
    {"task", cmd_task, "train a LINT teacher network on a cognitive task"},
    {"lint", cmd_lint, "LINT: lint fit / eval / sweep / clusters / inactivate / subsample"},
    {"plot", cmd_plot, "figures of fitted networks (flow fields, latent trajectories)"},
};
enum { SUBCOMMAND_COUNT = sizeof subcommands / sizeof subcommands[0] };

static void print_usage(FILE *f) {
    fprintf(f, "usage: lrnn <command> [options]   (lrnn <command> --help for its options)\n\n"
               "Infer and analyse low-rank recurrent neural networks from neural recordings.\n\n"
               "commands:\n");
    for (int i = 0; i < SUBCOMMAND_COUNT; i++)
        fprintf(f, "  %-12s %s\n", subcommands[i].name, subcommands[i].summary);
    fprintf(f, "\n  --version  print the version\n  --help     show this help\n");
}

int main(int argc, char **argv) {
    if (argc < 2) {
        print_usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("lrnn %s\n", lrnn_version());
        return 0;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        print_usage(stdout);
        return 0;
    }
    cli_install_log();
    for (int i = 0; i < SUBCOMMAND_COUNT; i++)
        if (!strcmp(argv[1], subcommands[i].name)) return subcommands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "lrnn: unknown command '%s'\n\n", argv[1]);
    print_usage(stderr);
    return 2;
}
