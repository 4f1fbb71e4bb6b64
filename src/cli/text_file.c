/* Text files built in memory and written atomically (text_file.h). */
#include "text_file.h"

#include <stdlib.h>

#include "lrnn/io.h"

lrnn_status cli_text_begin(cli_text *t, const char *path) {
    t->text = NULL, t->size = 0;
    t->f = open_memstream(&t->text, &t->size);
    if (!t->f) return lrnn_fail(LRNN_ERR_NOMEM, "%s: cannot build the text", path);
    return LRNN_OK;
}

lrnn_status cli_text_commit(cli_text *t, const char *path) {
    lrnn_status s = fclose(t->f) != 0
                        ? lrnn_fail(LRNN_ERR_NOMEM, "%s: cannot build the text", path)
                        : lrnn_file_write_atomic(path, t->text, t->size);
    free(t->text);
    t->f = NULL, t->text = NULL, t->size = 0;
    return s;
}
