/* lrnn info: describe a model file. */
#include <stdio.h>
#include <stdlib.h>

#include "commands.h"
#include "lrnn/model_file.h"

int cmd_info(int argc, char **argv) {
    cli_command cmd = {"info", "model.h5",
                       "Print a model file's configuration, parameter shapes, counts and value "
                       "ranges.",
                       NULL, 0};
    const char *path = NULL;
    int npos = 0;
    int rc = cli_parse(&cmd, argc, argv, &path, 1, &npos);
    if (rc) return rc == 1 ? 0 : rc;
    if (npos != 1) {
        fprintf(stderr, "lrnn info: expected one model file (see lrnn info --help)\n");
        return 2;
    }
    lrnn_model *model = NULL;
    if (lrnn_model_load(path, &model, NULL) != LRNN_OK) return cli_report("info");
    size_t cap = 1 << 16;
    char *text = malloc(cap);
    if (!text || lrnn_model_describe(model, text, cap) != LRNN_OK) {
        free(text);
        lrnn_model_free(model);
        return cli_report("info");
    }
    printf("%s: lrnn model\n%s", path, text);
    free(text);
    lrnn_model_free(model);
    return 0;
}
