/* Tick positions and labels: 1-2-5 steps on linear axes, decades (with 2 and 5 inside short
 * ranges) on log axes. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lrnn/plot.h"
#include "plot/ticks.h"

/* m x 10^e as the double nearest to the decimal number: 10^|e| is exact for |e| <= 22, and
 * one correctly rounded multiply or divide by it gives the nearest double, so 2 x 10^-1 is the
 * literal 0.2 (2 * 0.1 would not always be). */
static double decimal(double m, int e) {
    if (e >= 0) return m * pow(10.0, e);
    return m / pow(10.0, -e);
}

/* Relative slack for comparisons of computed ends with tick values. */
static const double SLACK = 1e-9;

static size_t linear_ticks(double lo, double hi, int target, double *ticks, size_t cap) {
    double span = hi - lo;
    int e0 = (int)floor(log10(span / target));
    static const int mant[3] = {1, 2, 5};
    int m = 0, e = 0;
    /* smallest 1-2-5 step with span / step <= target; the answer lies within a decade of e0 */
    for (int ee = e0 - 1; ee <= e0 + 1 && m == 0; ee++)
        for (int k = 0; k < 3; k++)
            if (span / decimal(mant[k], ee) <= target * (1.0 + SLACK)) {
                m = mant[k], e = ee;
                break;
            }
    if (m == 0) return 0;
    double step = decimal(m, e);
    double i0 = ceil(lo / step - SLACK), i1 = floor(hi / step + SLACK);
    if (fabs(i0) * m > 9.0e15 || fabs(i1) * m > 9.0e15) return 0; /* beyond exact integers */
    size_t n = 0;
    for (double i = i0; i <= i1 && n < cap; i++) {
        double v = decimal(i * m, e);
        ticks[n++] = v == 0.0 ? 0.0 : v; /* no -0 */
    }
    return n;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static size_t log_ticks(double lo, double hi, int target, double *ticks, size_t cap) {
    int d0 = (int)ceil(log10(lo) - SLACK), d1 = (int)floor(log10(hi) + SLACK);
    if (d0 < -300 || d1 > 300) return 0;
    int decades = d1 - d0 + 1;
    size_t n = 0;
    if (decades >= 3) {
        int every = 1; /* smallest d with ceil(decades / d) <= target + 1 */
        while ((decades + every - 1) / every > target + 1)
            every++;
        for (int k = d0; k <= d1 && n < cap; k++)
            if (((k % every) + every) % every == 0) ticks[n++] = decimal(1, k);
        return n;
    }
    static const int mant[3] = {1, 2, 5};
    double tmp[16];
    size_t m = 0;
    for (int k = d0 - 1; k <= d1; k++)
        for (int j = 0; j < 3; j++) {
            double v = decimal(mant[j], k);
            if (v >= lo * (1.0 - SLACK) && v <= hi * (1.0 + SLACK)) tmp[m++] = v;
        }
    if (m < 2) return linear_ticks(lo, hi, target, ticks, cap); /* e.g. [0.3, 0.9] */
    qsort(tmp, m, sizeof *tmp, cmp_double);
    for (size_t i = 0; i < m && n < cap; i++)
        ticks[n++] = tmp[i];
    return n;
}

size_t lrnn_plot_ticks(double lo, double hi, bool log_scale, int target, double *ticks,
                       size_t cap) {
    if (!ticks || cap == 0 || target < 2 || !isfinite(lo) || !isfinite(hi) || !(lo < hi)) return 0;
    if (log_scale) return lo > 0.0 ? log_ticks(lo, hi, target, ticks, cap) : 0;
    return linear_ticks(lo, hi, target, ticks, cap);
}

/* Replace a leading '-' by the typographic minus U+2212. */
static void typographic_minus(char *s, size_t cap) {
    if (s[0] != '-' || strlen(s) + 3 > cap) return;
    memmove(s + 3, s + 1, strlen(s));
    memcpy(s, "\xe2\x88\x92", 3);
}

void plot_tick_labels(const double *ticks, size_t n, bool log_scale, double lo, double hi,
                      char (*labels)[PLOT_LABEL_CAP], int *exponents) {
    bool powers = log_scale && hi / lo > 1e4;
    /* decimals from the smallest gap between neighbours (the step on linear axes) */
    double gap = INFINITY, big = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && ticks[i] - ticks[i - 1] < gap) gap = ticks[i] - ticks[i - 1];
        if (fabs(ticks[i]) > big) big = fabs(ticks[i]);
    }
    int decimals = 0;
    if (isfinite(gap) && gap > 0.0 && gap < 1.0) decimals = (int)ceil(-log10(gap) - SLACK);
    for (size_t i = 0; i < n; i++) {
        exponents[i] = INT_MIN;
        if (powers) {
            double k = log10(ticks[i]);
            if (fabs(k - nearbyint(k)) < 1e-9) {
                exponents[i] = (int)nearbyint(k);
                labels[i][0] = '\0';
                continue;
            }
        }
        /* log ticks (1, 2, 5 x 10^k) each in their own shortest form: 0.05, 0.1, 1 */
        if (log_scale || big >= 1e6 || decimals > 5)
            snprintf(labels[i], PLOT_LABEL_CAP, "%.6g", ticks[i]);
        else
            snprintf(labels[i], PLOT_LABEL_CAP, "%.*f", decimals, ticks[i]);
        if (strcmp(labels[i], "-0") == 0 || (labels[i][0] == '-' && atof(labels[i]) == 0.0))
            memmove(labels[i], labels[i] + 1, strlen(labels[i]));
        typographic_minus(labels[i], PLOT_LABEL_CAP);
    }
}
