/* lrnn init: create a freshly initialised model file. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "lrnn/model_file.h"
#include "run_dir.h"

int cmd_init(int argc, char **argv) {
    lrnn_model_config config = lrnn_model_default_config();
    const char *out = NULL, *preset = "none";
    double turn = 20.0;
    cli_option options[48];
    int count = cli_model_options(&config, options, 45);
    for (int i = 0; i < count; i++)
        if (!strcmp(options[i].name, "rank")) options[i].required = false;
    options[count++] = (cli_option){"preset", CLI_STRING, &preset, "none|oscillator|oscillator-poisson", "a rank-2 limit-cycle teacher (tanh; uses --units), observed as currents + noise or as spike counts", false, NULL, false};
    options[count++] = (cli_option){"turn", CLI_DOUBLE, &turn, "STEPS", "oscillator: steps per turn of the spiral at the origin (20: period ~33)", false, NULL, false};
    options[count++] = (cli_option){"out", CLI_STRING, &out, "FILE", "model file to write (.h5)", true, NULL, false};
    cli_command cmd = {"init", "--rank R [options] --out model.h5",
                       "Create a stochastic low-rank RNN with parameters initialised as in the\n"
                       "reference (spec 5.2) and write it to an HDF5 model file.",
                       options, count};
    int rc = cli_parse(&cmd, argc, argv, NULL, 0, NULL);
    if (rc) return rc == 1 ? 0 : rc;
    if (cli_model_encoder_apply(&config, false)) return cli_report("init");
    bool poisson = !strcmp(preset, "oscillator-poisson");
    bool oscillator = poisson || !strcmp(preset, "oscillator");
    if (!oscillator && strcmp(preset, "none")) {
        fprintf(stderr, "lrnn init: unknown preset '%s' (none, oscillator, oscillator-poisson)\n",
                preset);
        return 2;
    }
    if (!oscillator && !cli_seen(&cmd, "rank")) {
        fprintf(stderr, "lrnn init: missing required option --rank\n");
        return 2;
    }
    lrnn_model *model = NULL;
    int units = cli_seen(&cmd, "units") ? config.units : poisson ? 40 : 20;
    lrnn_status st = poisson      ? lrnn_model_oscillator_poisson(units, turn, &model)
                     : oscillator ? lrnn_model_oscillator(units, turn, &model)
                                  : lrnn_model_create(&config, &model);
    if (st != LRNN_OK) return cli_report("init");
    config = *lrnn_model_config_of(model);
    if (lrnn_model_save(model, out, NULL) != LRNN_OK) {
        lrnn_model_free(model);
        return cli_report("init");
    }
    const lrnn_param_layout *layout = lrnn_model_layout(model);
    printf("wrote %s: rank %d, %d units, %d channels, %zu parameters (%zu trainable)\n", out,
           config.rank, config.units, config.channels, layout->total,
           lrnn_param_layout_trainable(layout));
    lrnn_model_free(model);
    return 0;
}
