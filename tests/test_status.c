/* Status messages, context prefixes, truncation and the log callback. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lrnn/status.h"

static void fail_records_message(void **state) {
    (void)state;
    lrnn_clear_error();
    assert_string_equal(lrnn_last_error(), "");
    assert_int_equal(lrnn_fail(LRNN_ERR_SHAPE, "%s: shape (%d, %d)", "x.npy", 3, 4),
                     LRNN_ERR_SHAPE);
    assert_string_equal(lrnn_last_error(), "x.npy: shape (3, 4)");
    assert_int_equal(lrnn_fail_context(LRNN_ERR_SHAPE, "loading %s", "data"), LRNN_ERR_SHAPE);
    assert_string_equal(lrnn_last_error(), "loading data: x.npy: shape (3, 4)");
    assert_string_equal(lrnn_status_name(LRNN_ERR_FORMAT), "format error");
    assert_string_equal(lrnn_status_name(LRNN_OK), "ok");
}

/* Messages longer than the buffer are cut, never overflow, and stay terminated. */
static void long_messages_truncate(void **state) {
    (void)state;
    char big[5000];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    lrnn_fail(LRNN_ERR_ARG, "%s", big);
    size_t len = strlen(lrnn_last_error());
    assert_true(len > 1000 && len < sizeof big);
    lrnn_fail_context(LRNN_ERR_ARG, "%s", big);
    assert_int_equal(strlen(lrnn_last_error()), len);
    lrnn_fail(LRNN_ERR_ARG, "inner");
    lrnn_fail_context(LRNN_ERR_ARG, "%.*s", (int)len - 3, big);
    assert_int_equal(strlen(lrnn_last_error()), len); /* ": inner" cut to fit */
}

static int calls;
static char seen[256];

static void record(lrnn_log_level level, const char *message, void *user) {
    (void)level;
    calls += *(int *)user;
    strncpy(seen, message, sizeof seen - 1);
}

static void log_goes_to_the_callback(void **state) {
    (void)state;
    int weight = 1;
    lrnn_log(LRNN_LOG_INFO, "dropped %d", 1); /* no callback yet: silently dropped */
    lrnn_set_log(record, &weight);
    lrnn_log(LRNN_LOG_INFO, "epoch %d", 7);
    assert_int_equal(calls, 1);
    assert_string_equal(seen, "epoch 7");
    lrnn_set_log(NULL, NULL);
    lrnn_log(LRNN_LOG_WARN, "again");
    assert_int_equal(calls, 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fail_records_message),
        cmocka_unit_test(long_messages_truncate),
        cmocka_unit_test(log_goes_to_the_callback),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
