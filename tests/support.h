/* Helpers shared by the cmocka tests: scratch paths and file checks. */
#ifndef LRNN_TEST_SUPPORT_H
#define LRNN_TEST_SUPPORT_H

#include <stddef.h>

/* Path "<scratch dir>/<name>" in a per-process scratch directory (created on first use). */
const char *test_path(const char *name);
/* 1 when a file exists at path. */
int test_file_exists(const char *path);
/* 1 when no "<path>.tmp.*" leftover exists next to path. */
int test_no_temp_files(const char *path);
/* Write raw bytes to a file (for hand-made bad inputs). */
void test_write_bytes(const char *path, const void *bytes, size_t size);

#endif
