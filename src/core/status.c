#include "lrnn/status.h"

#include <stdio.h>
#include <string.h>

#ifndef LRNN_VERSION
#define LRNN_VERSION "unknown"
#endif

enum { MESSAGE_CAPACITY = 2048 };

static _Thread_local char last_message[MESSAGE_CAPACITY];
static lrnn_log_fn log_fn;
static void *log_user;

const char *lrnn_status_name(lrnn_status s) {
    switch (s) {
    case LRNN_OK: return "ok";
    case LRNN_ERR_ARG: return "invalid argument";
    case LRNN_ERR_IO: return "i/o error";
    case LRNN_ERR_FORMAT: return "format error";
    case LRNN_ERR_UNSUPPORTED: return "unsupported";
    case LRNN_ERR_SHAPE: return "shape mismatch";
    case LRNN_ERR_NUMERIC: return "numerical error";
    case LRNN_ERR_NOMEM: return "out of memory";
    }
    return "unknown status";
}

const char *lrnn_last_error(void) {
    return last_message;
}

void lrnn_clear_error(void) {
    last_message[0] = '\0';
}

lrnn_status lrnn_fail(lrnn_status code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_message, sizeof last_message, fmt, ap);
    va_end(ap);
    return code;
}

lrnn_status lrnn_fail_context(lrnn_status code, const char *fmt, ...) {
    char previous[MESSAGE_CAPACITY];
    memcpy(previous, last_message, sizeof previous);
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(last_message, sizeof last_message, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n + 2 >= sizeof last_message || previous[0] == '\0') return code;
    /* Append ": <previous>", truncating (intentionally) at the buffer's end. */
    size_t used = (size_t)n, room = sizeof last_message - used - 1;
    memcpy(last_message + used, ": ", 2);
    used += 2, room -= 2;
    size_t len = strnlen(previous, room);
    memcpy(last_message + used, previous, len);
    last_message[used + len] = '\0';
    return code;
}

void lrnn_set_log(lrnn_log_fn fn, void *user) {
    log_fn = fn;
    log_user = user;
}

void lrnn_log(lrnn_log_level level, const char *fmt, ...) {
    if (!log_fn) return;
    char message[MESSAGE_CAPACITY];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    log_fn(level, message, log_user);
}

const char *lrnn_version(void) {
    return LRNN_VERSION;
}
