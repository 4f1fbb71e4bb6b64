/* Figures (include/lrnn/plot.h): tick positions and labels, SVG and PNG files written
 * atomically, clear errors with nothing written for bad names, unwritable paths and failed
 * drawing calls. The SVG's XML is parsed by python in tests/cli/plot.sh. */
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lrnn/plot.h"
#include "plot/ticks.h"
#include "support.h"

/* Ticks are computed as integer / 10^k, so they must equal the decimal literals exactly. */
static void expect_ticks(double lo, double hi, bool lg, int target, const double *want, size_t n) {
    double got[64];
    size_t k = lrnn_plot_ticks(lo, hi, lg, target, got, 64);
    if (k != n) {
        fprintf(stderr, "ticks [%g, %g] log %d: %zu ticks, want %zu:", lo, hi, lg, k, n);
        for (size_t i = 0; i < k; i++)
            fprintf(stderr, " %.17g", got[i]);
        fprintf(stderr, "\n");
    }
    assert_int_equal(k, n);
    for (size_t i = 0; i < n; i++)
        if (got[i] != want[i]) fail_msg("tick %zu: %.17g, want %.17g", i, got[i], want[i]);
}

static void test_linear_ticks(void **state) {
    (void)state;
    expect_ticks(0, 1, false, 5, (double[]){0, 0.2, 0.4, 0.6, 0.8, 1.0}, 6);
    /* span 2.97: steps 0.1, 0.2, 0.5 give more than 5 intervals, 1 gives 2.97 */
    expect_ticks(-0.37, 2.6, false, 5, (double[]){0, 1, 2}, 3);
    /* span 94: 10 gives 9.4 intervals, 20 gives 4.7 */
    expect_ticks(3, 97, false, 5, (double[]){20, 40, 60, 80}, 4);
    expect_ticks(-1e-3, 1e-3, false, 5, (double[]){-0.001, -0.0005, 0, 0.0005, 0.001}, 5);
    expect_ticks(0.1, 0.7, false, 6, (double[]){0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7}, 7);
    expect_ticks(1200, 5100, false, 5, (double[]){2000, 3000, 4000, 5000}, 4);
    /* no -0 for a tick at zero reached from below */
    double t[8];
    size_t n = lrnn_plot_ticks(-1, 1, false, 4, t, 8);
    assert_int_equal(n, 5);
    assert_false(signbit(t[2]));
    /* cap respected */
    assert_int_equal(lrnn_plot_ticks(0, 1, false, 5, t, 3), 3);
}

static void test_log_ticks(void **state) {
    (void)state;
    expect_ticks(0.01, 1, true, 5, (double[]){0.01, 0.1, 1}, 3);
    expect_ticks(0.008, 1.1, true, 5, (double[]){0.01, 0.1, 1}, 3);
    /* 10 decades > target + 1 = 6: every second decade, on even exponents */
    expect_ticks(1e-6, 1e3, true, 5, (double[]){1e-6, 1e-4, 1e-2, 1, 100}, 5);
    /* two decades inside: 2 and 5 added */
    expect_ticks(0.05, 1.2, true, 5, (double[]){0.05, 0.1, 0.2, 0.5, 1}, 5);
    /* only 0.5 inside: the linear ticks */
    expect_ticks(0.3, 0.9, true, 5, (double[]){0.4, 0.6, 0.8}, 3);
}

static void test_bad_tick_arguments(void **state) {
    (void)state;
    double t[8];
    assert_int_equal(lrnn_plot_ticks(1, 1, false, 5, t, 8), 0);
    assert_int_equal(lrnn_plot_ticks(2, 1, false, 5, t, 8), 0);
    assert_int_equal(lrnn_plot_ticks(NAN, 1, false, 5, t, 8), 0);
    assert_int_equal(lrnn_plot_ticks(0, INFINITY, false, 5, t, 8), 0);
    assert_int_equal(lrnn_plot_ticks(0, 1, true, 5, t, 8), 0); /* log axis needs lo > 0 */
    assert_int_equal(lrnn_plot_ticks(0, 1, false, 1, t, 8), 0);
    assert_int_equal(lrnn_plot_ticks(0, 1, false, 5, NULL, 8), 0);
}

static void test_tick_labels(void **state) {
    (void)state;
    char lab[8][PLOT_LABEL_CAP];
    int ex[8];
    double lin[3] = {-0.5, 0, 0.5};
    plot_tick_labels(lin, 3, false, -0.6, 0.6, lab, ex);
    assert_string_equal(lab[0], "\xe2\x88\x92"
                                "0.5"); /* U+2212 minus */
    assert_string_equal(lab[1], "0.0");
    assert_string_equal(lab[2], "0.5");
    assert_int_equal(ex[0], INT_MIN);
    double ints[2] = {20, 40};
    plot_tick_labels(ints, 2, false, 0, 50, lab, ex);
    assert_string_equal(lab[0], "20");
    double few[3] = {0.01, 0.1, 1};
    plot_tick_labels(few, 3, true, 0.008, 1.1, lab, ex);
    assert_string_equal(lab[0], "0.01");
    assert_string_equal(lab[2], "1");
    /* more than 4 decades: powers of ten */
    double many[3] = {1e-6, 1e-3, 1};
    plot_tick_labels(many, 3, true, 1e-6, 1, lab, ex);
    assert_int_equal(ex[0], -6);
    assert_int_equal(ex[1], -3);
    assert_int_equal(ex[2], 0);
    assert_string_equal(lab[0], "");
}

/* A figure using every kind of series, with NaN gaps, a log axis, a constant series and
 * explicit limits. */
static lrnn_figure *full_figure(void) {
    lrnn_figure *fig = NULL;
    assert_int_equal(lrnn_figure_create(2, 2, 800, 600, &fig), LRNN_OK);
    assert_int_equal(lrnn_figure_title(fig, "all series"), LRNN_OK);
    double x[6] = {1, 2, 3, 4, 5, 6}, y[6] = {0.1, 0.5, NAN, 0.7, 0.8, 0.85};
    double e[6] = {0.05, 0.05, 0.05, 0.02, 0.02, 0.01};
    lrnn_axes *ax = lrnn_figure_axes(fig, 0, 0);
    assert_non_null(ax);
    assert_int_equal(lrnn_axes_labels(ax, "lines", "rank", "R\xc2\xb2"), LRNN_OK);
    assert_int_equal(lrnn_axes_line(ax, x, y, 6, &(lrnn_plot_style){.label = "a"}), LRNN_OK);
    assert_int_equal(lrnn_axes_errorbar(ax, x, y, e, 6,
                                        &(lrnn_plot_style){.marker = LRNN_MARKER_SQUARE,
                                                           .open = true,
                                                           .dash = LRNN_DASH_DASHED,
                                                           .label = "b"}),
                     LRNN_OK);
    assert_int_equal(lrnn_axes_hline(ax, 0.5, NULL), LRNN_OK);
    assert_int_equal(lrnn_axes_vline(ax, 3, NULL), LRNN_OK);
    ax = lrnn_figure_axes(fig, 0, 1);
    lrnn_axes_xlog(ax, true);
    double p[5] = {0.01, 0.05, 0.1, 0.5, 1}, lo[5] = {0.2, 0.4, 0.5, 0.7, 0.8},
           hi[5] = {0.4, 0.6, 0.7, 0.9, 1.0};
    assert_int_equal(lrnn_axes_band(ax, p, lo, hi, 5, &(lrnn_plot_style){.label = "2 sd"}),
                     LRNN_OK);
    assert_int_equal(lrnn_axes_ylim(ax, 0, NAN), LRNN_OK);
    ax = lrnn_figure_axes(fig, 1, 0);
    lrnn_axes_equal(ax, true);
    double gx[9], gy[9], gu[9], gv[9];
    for (int i = 0; i < 9; i++)
        gx[i] = i % 3 - 1, gy[i] = i / 3 - 1, gu[i] = -gx[i], gv[i] = -2 * gy[i];
    assert_int_equal(lrnn_axes_quiver(ax, gx, gy, gu, gv, 9, LRNN_QUIVER_COLOR, NULL), LRNN_OK);
    assert_int_equal(lrnn_axes_quiver(ax, gx, gy, gu, gv, 9, LRNN_QUIVER_LENGTH, NULL), LRNN_OK);
    assert_int_equal(lrnn_axes_point(ax, 0, 0, &(lrnn_plot_style){.open = true}), LRNN_OK);
    ax = lrnn_figure_axes(fig, 1, 1);
    double c[3] = {2, 2, 2};
    assert_int_equal(lrnn_axes_scatter(ax, NULL, c, 3, NULL), LRNN_OK); /* constant data */
    assert_int_equal(lrnn_axes_line(ax, NULL, c, 0, NULL), LRNN_OK);    /* empty: nothing */
    assert_null(lrnn_figure_axes(fig, 2, 0));
    assert_null(lrnn_figure_axes(fig, 0, -1));
    return fig;
}

static long file_size(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fclose(f);
    return n;
}

static char *read_text(const char *path) {
    long n = file_size(path);
    assert_true(n > 0);
    char *s = malloc((size_t)n + 1);
    FILE *f = fopen(path, "rb");
    assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    s[n] = '\0';
    return s;
}

static void test_svg_and_png_written(void **state) {
    (void)state;
    lrnn_figure *fig = full_figure();
    const char *svg = test_path("fig.svg"), *png = test_path("fig.PNG");
    remove(svg), remove(png);
    assert_int_equal(lrnn_figure_save(fig, svg), LRNN_OK);
    assert_int_equal(lrnn_figure_save(fig, png), LRNN_OK);
    lrnn_figure_free(fig);
    assert_true(test_no_temp_files(svg));
    assert_true(test_no_temp_files(png));

    char *s = read_text(svg);
    assert_non_null(strstr(s, "<svg"));
    assert_non_null(strstr(s, "width=\"800px\""));
    assert_non_null(strstr(s, "</svg>"));
    free(s);

    /* PNG: signature, IHDR with the figure's size (big-endian width and height) */
    unsigned char h[24];
    FILE *f = fopen(png, "rb");
    assert_non_null(f);
    assert_int_equal(fread(h, 1, 24, f), 24);
    fclose(f);
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    assert_memory_equal(h, sig, 8);
    assert_memory_equal(h + 12, "IHDR", 4);
    unsigned w = (unsigned)h[16] << 24 | h[17] << 16 | h[18] << 8 | h[19];
    unsigned hh = (unsigned)h[20] << 24 | h[21] << 16 | h[22] << 8 | h[23];
    assert_int_equal(w, 800);
    assert_int_equal(hh, 600);
    /* a drawn figure compresses to far more than a blank one */
    lrnn_figure *blank = NULL;
    assert_int_equal(lrnn_figure_create(2, 2, 800, 600, &blank), LRNN_OK);
    const char *bpng = test_path("blank.png");
    assert_int_equal(lrnn_figure_save(blank, bpng), LRNN_OK);
    lrnn_figure_free(blank);
    assert_true(file_size(png) > file_size(bpng) + 5000);
}

static void test_bad_names_and_paths(void **state) {
    (void)state;
    lrnn_figure *fig = full_figure();
    const char *pdf = test_path("fig.pdf"), *bare = test_path("svg");
    remove(pdf);
    assert_int_equal(lrnn_figure_save(fig, pdf), LRNN_ERR_ARG);
    assert_non_null(strstr(lrnn_last_error(), "fig.pdf"));
    assert_non_null(strstr(lrnn_last_error(), ".svg or .png"));
    assert_false(test_file_exists(pdf));
    assert_int_equal(lrnn_figure_save(fig, bare), LRNN_ERR_ARG);
    assert_int_equal(lrnn_figure_save(fig, ".svg"), LRNN_ERR_ARG); /* no name before it */
    const char *nodir = test_path("no/such/dir/fig.svg");
    assert_int_equal(lrnn_figure_save(fig, nodir), LRNN_ERR_IO);
    assert_non_null(strstr(lrnn_last_error(), "no/such/dir"));
    assert_false(test_file_exists(nodir));
    lrnn_figure_free(fig);
}

static void test_failed_call_blocks_save(void **state) {
    (void)state;
    const char *path = test_path("kept.svg");
    lrnn_figure *fig = full_figure();
    assert_int_equal(lrnn_figure_save(fig, path), LRNN_OK);
    long before = file_size(path);
    lrnn_axes *ax = lrnn_figure_axes(fig, 0, 0);
    assert_int_equal(lrnn_axes_line(ax, NULL, NULL, 3, NULL), LRNN_ERR_ARG);
    assert_int_equal(lrnn_axes_xlim(ax, 1, 1), LRNN_ERR_ARG);
    assert_int_equal(lrnn_figure_save(fig, path), LRNN_ERR_ARG);
    assert_non_null(strstr(lrnn_last_error(), "earlier drawing call"));
    assert_int_equal(file_size(path), before); /* the previous figure is untouched */
    assert_true(test_no_temp_files(path));
    lrnn_figure_free(fig);
}

static void test_bad_figures(void **state) {
    (void)state;
    lrnn_figure *fig = (lrnn_figure *)1;
    assert_int_equal(lrnn_figure_create(0, 1, 400, 300, &fig), LRNN_ERR_ARG);
    assert_null(fig);
    assert_int_equal(lrnn_figure_create(1, 17, 4000, 300, &fig), LRNN_ERR_ARG);
    assert_int_equal(lrnn_figure_create(1, 4, 100, 300, &fig), LRNN_ERR_ARG); /* < 50 px each */
    assert_int_equal(lrnn_figure_create(1, 1, NAN, 300, &fig), LRNN_ERR_ARG);
    assert_int_equal(lrnn_figure_create(1, 1, 400, 300, &fig), LRNN_OK);
    lrnn_axes *ax = lrnn_figure_axes(fig, 0, 0);
    double x[2] = {1, 2};
    assert_int_equal(lrnn_axes_quiver(ax, x, x, NULL, x, 2, LRNN_QUIVER_LENGTH, NULL),
                     LRNN_ERR_ARG);
    lrnn_figure_free(fig);
}

/* fontconfig's per-process caches (see src/cli/lsan_suppressions.c) under -DLRNN_SANITIZE=ON. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void) {
    return "leak:libfontconfig.so\n";
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linear_ticks),
        cmocka_unit_test(test_log_ticks),
        cmocka_unit_test(test_bad_tick_arguments),
        cmocka_unit_test(test_tick_labels),
        cmocka_unit_test(test_svg_and_png_written),
        cmocka_unit_test(test_bad_names_and_paths),
        cmocka_unit_test(test_failed_call_blocks_save),
        cmocka_unit_test(test_bad_figures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
