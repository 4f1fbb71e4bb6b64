/* Status codes, error messages and the log callback.
 *
 * The library never prints, exits or aborts. Every fallible call returns an lrnn_status; on
 * failure the message with its context (file, shape, value) is kept per thread and read with
 * lrnn_last_error(). Diagnostics go through a log callback the application installs. */
#ifndef LRNN_STATUS_H
#define LRNN_STATUS_H

#include <stdarg.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum lrnn_status {
    LRNN_OK = 0,
    LRNN_ERR_ARG,         /* invalid argument or configuration */
    LRNN_ERR_IO,          /* file could not be opened, read, written or renamed */
    LRNN_ERR_FORMAT,      /* malformed or truncated file contents */
    LRNN_ERR_UNSUPPORTED, /* valid file, but a feature lrnn does not read (dtype, version) */
    LRNN_ERR_SHAPE,       /* array shape does not match what the caller needs */
    LRNN_ERR_NUMERIC,     /* NaN/Inf, singular matrix, divergence */
    LRNN_ERR_NOMEM,       /* allocation failed or size absurd */
} lrnn_status;

/* Short name of a status code, e.g. "format error". */
const char *lrnn_status_name(lrnn_status s);

/* Message of the last failure on this thread ("" when none). */
const char *lrnn_last_error(void);

/* Record a failure message (printf-style) and return `code`, so callers write
 *     return lrnn_fail(LRNN_ERR_FORMAT, "%s: header too short", path);            */
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
lrnn_status lrnn_fail(lrnn_status code, const char *fmt, ...);

/* Prefix the current message with more context: "<context>: <old message>". */
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
lrnn_status lrnn_fail_context(lrnn_status code, const char *fmt, ...);

void lrnn_clear_error(void);

typedef enum lrnn_log_level {
    LRNN_LOG_DEBUG = 0,
    LRNN_LOG_INFO = 1,
    LRNN_LOG_WARN = 2,
} lrnn_log_level;

typedef void (*lrnn_log_fn)(lrnn_log_level level, const char *message, void *user);

/* Install the log callback (NULL: messages are dropped). Not thread-safe: call at start-up. */
void lrnn_set_log(lrnn_log_fn fn, void *user);

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
void lrnn_log(lrnn_log_level level, const char *fmt, ...);

/* Library version string, e.g. "0.1.0". */
const char *lrnn_version(void);

#ifdef __cplusplus
}
#endif
#endif
