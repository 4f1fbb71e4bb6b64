/* Text files (CSV tables) built in memory and written atomically: the file appears complete
 * or not at all (lrnn_file_write_atomic). */
#ifndef LRNN_CLI_TEXT_FILE_H
#define LRNN_CLI_TEXT_FILE_H

#include <stdio.h>

#include "lrnn/status.h"

typedef struct cli_text {
    FILE *f; /* print the contents here */
    char *text;
    size_t size;
} cli_text;

/* Start the text of `path` (named in errors). */
lrnn_status cli_text_begin(cli_text *t, const char *path);
/* Finish it and write it to `path` atomically; the memory is freed either way. */
lrnn_status cli_text_commit(cli_text *t, const char *path);

#endif
