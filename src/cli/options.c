#include "options.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((format(printf, 2, 3))) static int usage_error(const cli_command *cmd,
                                                              const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "lrnn %s: ", cmd->name);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n(see lrnn %s --help)\n", cmd->name);
    va_end(ap);
    return 2;
}

static cli_option *find(cli_command *cmd, const char *name, size_t len) {
    for (int i = 0; i < cmd->count; i++)
        if (strlen(cmd->options[i].name) == len && strncmp(cmd->options[i].name, name, len) == 0)
            return &cmd->options[i];
    return NULL;
}

static int parse_bool(const char *text, bool *out) {
    if (!strcmp(text, "true") || !strcmp(text, "1") || !strcmp(text, "yes")) *out = true;
    else if (!strcmp(text, "false") || !strcmp(text, "0") || !strcmp(text, "no")) *out = false;
    else return -1;
    return 0;
}

/* Convert `text` into the option's target; -1 with a message on failure. */
static int assign(cli_command *cmd, cli_option *o, const char *text) {
    char *end = NULL;
    errno = 0;
    switch (o->kind) {
    case CLI_INT: {
        long v = strtol(text, &end, 10);
        if (errno || *end || end == text || v < INT_MIN || v > INT_MAX) break;
        *(int *)o->target = (int)v;
        return 0;
    }
    case CLI_SIZE:
    case CLI_U64: {
        if (text[0] == '-') break;
        unsigned long long v = strtoull(text, &end, 10);
        if (errno || *end || end == text) break;
        if (o->kind == CLI_SIZE) *(size_t *)o->target = (size_t)v;
        else *(uint64_t *)o->target = (uint64_t)v;
        return 0;
    }
    case CLI_DOUBLE: {
        double v = strtod(text, &end);
        if (errno || *end || end == text || !isfinite(v)) break;
        *(double *)o->target = v;
        return 0;
    }
    case CLI_STRING: *(const char **)o->target = text; return 0;
    case CLI_BOOL:
        if (parse_bool(text, (bool *)o->target) == 0) return 0;
        break;
    case CLI_CHOICE:
        if (o->choice->parse(text, o->target) == LRNN_OK) return 0;
        usage_error(cmd, "--%s: %s", o->name, lrnn_last_error());
        return -1;
    }
    usage_error(cmd, "--%s: invalid value '%s'", o->name, text);
    return -1;
}

int cli_parse(cli_command *cmd, int argc, char **argv, const char **positional,
              int max_positional, int *positional_count) {
    int npos = 0;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
            cli_print_help(cmd);
            return 1;
        }
        if (strncmp(arg, "--", 2) != 0) {
            if (npos >= max_positional) return usage_error(cmd, "unexpected argument '%s'", arg);
            positional[npos++] = arg;
            continue;
        }
        const char *name = arg + 2, *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        bool negated = false;
        cli_option *o = find(cmd, name, len);
        if (!o && len > 3 && !strncmp(name, "no-", 3)) {
            o = find(cmd, name + 3, len - 3);
            negated = o && o->kind == CLI_BOOL;
            if (!negated) o = NULL;
        }
        if (!o) return usage_error(cmd, "unknown option '%s'", arg);
        o->seen = true;
        if (o->kind == CLI_BOOL && !eq) {
            *(bool *)o->target = !negated;
            continue;
        }
        const char *value = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
        if (!value) return usage_error(cmd, "option --%s needs a value", o->name);
        if (assign(cmd, o, value) != 0) return 2;
    }
    for (int i = 0; i < cmd->count; i++)
        if (cmd->options[i].required && !cmd->options[i].seen)
            return usage_error(cmd, "missing required option --%s", cmd->options[i].name);
    if (positional_count) *positional_count = npos;
    return 0;
}

/* Current value of the target as text: before parsing, that is the default. */
static void value_text(const cli_option *o, char *buf, size_t cap) {
    switch (o->kind) {
    case CLI_INT: snprintf(buf, cap, "%d", *(const int *)o->target); break;
    case CLI_SIZE: snprintf(buf, cap, "%zu", *(const size_t *)o->target); break;
    case CLI_U64: snprintf(buf, cap, "%" PRIu64, *(const uint64_t *)o->target); break;
    case CLI_DOUBLE: snprintf(buf, cap, "%g", *(const double *)o->target); break;
    case CLI_STRING: {
        const char *s = *(const char *const *)o->target;
        snprintf(buf, cap, "%s", s ? s : "");
        break;
    }
    case CLI_BOOL: snprintf(buf, cap, "%s", *(const bool *)o->target ? "true" : "false"); break;
    case CLI_CHOICE: snprintf(buf, cap, "%s", o->choice->name(o->target)); break;
    }
}

void cli_print_help(const cli_command *cmd) {
    printf("usage: lrnn %s %s\n\n%s\n\noptions:\n", cmd->name, cmd->usage, cmd->summary);
    for (int i = 0; i < cmd->count; i++) {
        const cli_option *o = &cmd->options[i];
        char flag[96], def[128];
        const char *meta = o->kind == CLI_CHOICE ? o->choice->values
                           : o->kind == CLI_BOOL ? NULL
                                                 : o->metavar;
        snprintf(flag, sizeof flag, "--%s%s%s", o->name, meta ? " " : "", meta ? meta : "");
        value_text(o, def, sizeof def);
        printf("  %-34s %s", flag, o->help);
        if (o->required) printf(" (required)");
        else if (def[0]) printf(" [default: %s]", def);
        printf("\n");
    }
    printf("  %-34s %s\n", "--help", "show this help");
}

static void log_to_stderr(lrnn_log_level level, const char *message, void *user) {
    (void)user;
    if (level >= LRNN_LOG_INFO) fprintf(stderr, "%s%s\n", level == LRNN_LOG_WARN ? "warning: " : "", message);
}

void cli_install_log(void) {
    lrnn_set_log(log_to_stderr, NULL);
}

int cli_report(const char *cmd) {
    fprintf(stderr, "lrnn %s: error: %s\n", cmd, lrnn_last_error());
    return 1;
}
