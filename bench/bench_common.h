/* Timing helpers shared by the benchmark programs. */
#ifndef LRNN_BENCH_COMMON_H
#define LRNN_BENCH_COMMON_H

#include <stdlib.h>
#include <time.h>

/* Monotonic wall clock in seconds. */
static inline double bench_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static inline int bench_compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

#endif
