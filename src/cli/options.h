/* One option table per subcommand drives parsing, validation and --help (with defaults). */
#ifndef LRNN_CLI_OPTIONS_H
#define LRNN_CLI_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lrnn/status.h"

typedef enum cli_kind { CLI_INT, CLI_SIZE, CLI_U64, CLI_DOUBLE, CLI_STRING, CLI_BOOL, CLI_CHOICE } cli_kind;

typedef struct cli_choice {
    lrnn_status (*parse)(const char *text, void *target); /* writes the enum */
    const char *(*name)(const void *target);              /* reads the enum */
    const char *values;                                   /* "a|b|c" for --help */
} cli_choice;

typedef struct cli_option {
    const char *name;    /* long flag without dashes, e.g. "rank" */
    cli_kind kind;
    void *target;        /* int*, size_t*, uint64_t*, double*, const char**, bool*, or enum */
    const char *metavar; /* shown in --help, e.g. "R" */
    const char *help;
    bool required;
    const cli_choice *choice; /* CLI_CHOICE only */
    bool seen;
} cli_option;

typedef struct cli_command {
    const char *name;    /* "sample" */
    const char *usage;   /* one line after "lrnn <name>" */
    const char *summary; /* paragraph for --help */
    cli_option *options;
    int count;
} cli_command;

/* Parse argv (argv[0] is the subcommand). Positional arguments go to `positional` (at most
 * max_positional). Returns 0 on success, 1 after printing --help, 2 on a usage error (message
 * printed to stderr). */
int cli_parse(cli_command *cmd, int argc, char **argv, const char **positional,
              int max_positional, int *positional_count);
void cli_print_help(const cli_command *cmd);

/* Declare the adapters that let a typed enum parser/namer serve as a cli_choice. */
#define CLI_CHOICE_DEFINE(var, type, values_text)                                              \
    static lrnn_status var##_parse(const char *text, void *target) {                           \
        return type##_parse(text, (type *)target);                                             \
    }                                                                                          \
    static const char *var##_name(const void *target) {                                        \
        return type##_name(*(const type *)target);                                             \
    }                                                                                          \
    static const cli_choice var = {var##_parse, var##_name, values_text};

/* The process-wide log callback of the CLI: info to stderr. */
void cli_install_log(void);
/* Print "lrnn <cmd>: error: <last error>" to stderr and return 1. */
int cli_report(const char *cmd);

#endif
