/* lrnn init: create a freshly initialised model file. */
#include <stdio.h>

#include "commands.h"
#include "lrnn/model_file.h"

int cmd_init(int argc, char **argv) {
    lrnn_model_config config = lrnn_model_default_config();
    const char *out = NULL;
    cli_option options[48];
    int count = cli_model_options(&config, options, 47);
    options[count++] = (cli_option){"out", CLI_STRING, &out, "FILE", "model file to write (.h5)", true, NULL, false};
    cli_command cmd = {"init", "--rank R [options] --out model.h5",
                       "Create a stochastic low-rank RNN with parameters initialised as in the\n"
                       "reference (spec 5.2) and write it to an HDF5 model file.",
                       options, count};
    int rc = cli_parse(&cmd, argc, argv, NULL, 0, NULL);
    if (rc) return rc == 1 ? 0 : rc;
    lrnn_model *model = NULL;
    if (lrnn_model_create(&config, &model) != LRNN_OK) return cli_report("init");
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
