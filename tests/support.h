/* Helpers shared by the cmocka tests: scratch paths, file checks, random inputs. */
#ifndef LRNN_TEST_SUPPORT_H
#define LRNN_TEST_SUPPORT_H

#include <stddef.h>
#include <stdint.h>

/* Path "<scratch dir>/<name>" in a per-process scratch directory (created on first use). */
const char *test_path(const char *name);
/* 1 when a file exists at path. */
int test_file_exists(const char *path);
/* 1 when no "<path>.tmp.*" leftover exists next to path. */
int test_no_temp_files(const char *path);
/* Write raw bytes to a file (for hand-made bad inputs). */
void test_write_bytes(const char *path, const void *bytes, size_t size);
/* Piecewise-constant random inputs of trials x T x U (row-major): a new N(0, 1) level on each
 * channel every 5 steps, from the stream (seed, LRNN_RNG_SAMPLE, 0, 0). */
void test_random_inputs(uint64_t seed, size_t trials, size_t T, size_t U, double *u);

#endif
