/* Figures: line plots, error bars, bands, markers and arrow fields in a grid of axes, written to
 * SVG or PNG with cairo (the same drawing calls for both formats).
 *
 * Drawing calls only record what to draw (copies of the data); limits, ticks, legends and the
 * layout are settled when the figure is saved, so calls may come in any order. A drawing call
 * that fails (bad arguments, out of memory) returns its status and also marks the figure, so
 * callers may check the status of lrnn_figure_save alone:
 *
 *     lrnn_figure *fig;
 *     if (lrnn_figure_create(1, 2, 900, 380, &fig) != LRNN_OK) ...
 *     lrnn_axes *ax = lrnn_figure_axes(fig, 0, 0);
 *     lrnn_axes_labels(ax, "R^2 against rank", "rank", "R^2");
 *     lrnn_axes_line(ax, rank, r2, n, &(lrnn_plot_style){.marker = LRNN_MARKER_CIRCLE,
 *                                                       .label = "LINT"});
 *     lrnn_axes_band(ax, p, lo, hi, n, &(lrnn_plot_style){.color = lrnn_plot_cycle(1)});
 *     lrnn_axes_xlog(lrnn_figure_axes(fig, 0, 1), true);
 *     lrnn_status s = lrnn_figure_save(fig, "sweep.svg");   // or .png
 *     lrnn_figure_free(fig);
 *
 * Sizes are in pixels (SVG user units; 1 px = 1 PNG pixel). Text uses cairo's "sans-serif"
 * face. Non-finite data values are skipped (a line breaks at them). Not thread-safe per figure;
 * different figures may be drawn from different threads. */
#ifndef LRNN_PLOT_H
#define LRNN_PLOT_H

#include <stdbool.h>
#include <stddef.h>

#include "lrnn/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lrnn_figure lrnn_figure;
typedef struct lrnn_axes lrnn_axes;

/* A colour; components in [0, 1]. a = 0 means "unset" in a style (pick the default). */
typedef struct lrnn_rgba {
    double r, g, b, a;
} lrnn_rgba;

/* Colour i (any i >= 0, taken modulo 10) of the default cycle (matplotlib's "tab10"). */
lrnn_rgba lrnn_plot_cycle(int i);
/* Sequential colour map (viridis) at t in [0, 1] (clamped; NaN gives grey). */
lrnn_rgba lrnn_plot_colormap(double t);

typedef enum lrnn_marker {
    LRNN_MARKER_NONE = 0,
    LRNN_MARKER_CIRCLE,
    LRNN_MARKER_SQUARE,
    LRNN_MARKER_TRIANGLE,
    LRNN_MARKER_DIAMOND,
    LRNN_MARKER_CROSS,
} lrnn_marker;

typedef enum lrnn_dash { LRNN_DASH_SOLID = 0, LRNN_DASH_DASHED, LRNN_DASH_DOTTED } lrnn_dash;

/* How to draw one series. A zero-initialised style (or NULL) is the default: the axes' next
 * colour of the cycle, a solid 1.75 px line, no marker (scatter / point: a filled circle), and
 * no legend entry. Fields left 0 keep their default. */
typedef struct lrnn_plot_style {
    lrnn_rgba color;    /* a = 0: the axes' next cycle colour */
    double line_width;  /* px; 0: 1.75 */
    lrnn_dash dash;     /* solid */
    lrnn_marker marker; /* none (scatter / point: circle) */
    double marker_size; /* diameter in px; 0: 7 */
    bool open;          /* markers drawn as outlines (white inside) instead of filled */
    double fill_alpha;  /* opacity of bands; 0: 0.25 */
    const char *label;  /* legend entry (copied); NULL or "": none */
} lrnn_plot_style;

/* ---- figure ---- */

/* A figure of rows x cols axes, width x height px (each at least 50 per axes, at most 20000).
 * rows, cols in 1 .. 16. */
lrnn_status lrnn_figure_create(int rows, int cols, double width_px, double height_px,
                               lrnn_figure **out);
void lrnn_figure_free(lrnn_figure *fig);
/* Title over the whole figure (copied; NULL removes it). */
lrnn_status lrnn_figure_title(lrnn_figure *fig, const char *title);
/* The axes in row `row`, column `col` (0-based, row 0 at the top); NULL when out of range. */
lrnn_axes *lrnn_figure_axes(lrnn_figure *fig, int row, int col);

/* Write the figure to path: SVG for a ".svg" name, PNG for ".png" (case-insensitive); any other
 * name is LRNN_ERR_ARG and nothing is written. Atomic: drawn into a temporary file in the same
 * directory and renamed over path, so on any failure (unwritable directory, full disk, an
 * earlier drawing call that failed) path is untouched and no temporary file remains. May be
 * called more than once. */
lrnn_status lrnn_figure_save(lrnn_figure *fig, const char *path);

/* ---- axes settings ---- */

/* Title above the axes and axis labels (each copied; NULL leaves it unchanged, "" clears). */
lrnn_status lrnn_axes_labels(lrnn_axes *ax, const char *title, const char *xlabel,
                             const char *ylabel);
/* Logarithmic x / y axis (base 10; non-positive values are skipped). */
void lrnn_axes_xlog(lrnn_axes *ax, bool on);
void lrnn_axes_ylog(lrnn_axes *ax, bool on);
/* Axis limits; NAN for either end keeps that end automatic (the data range plus a 5% margin,
 * a factor on log axes). lo >= hi (both finite) is LRNN_ERR_ARG. */
lrnn_status lrnn_axes_xlim(lrnn_axes *ax, double lo, double hi);
lrnn_status lrnn_axes_ylim(lrnn_axes *ax, double lo, double hi);
/* Same data units per pixel on both axes (for planes such as m1-m2 flow fields). */
void lrnn_axes_equal(lrnn_axes *ax, bool on);

typedef enum lrnn_legend_loc {
    LRNN_LEGEND_BEST = 0, /* the inside corner covering the fewest data points */
    LRNN_LEGEND_UPPER_RIGHT,
    LRNN_LEGEND_UPPER_LEFT,
    LRNN_LEGEND_LOWER_LEFT,
    LRNN_LEGEND_LOWER_RIGHT,
    LRNN_LEGEND_NONE,
} lrnn_legend_loc;
/* Where the legend goes (drawn when any series has a label; default BEST). */
void lrnn_axes_legend(lrnn_axes *ax, lrnn_legend_loc loc);

/* ---- series (data copied; style may be NULL; n = 0 draws nothing and succeeds; NULL axes:
 *      LRNN_ERR_ARG) ----
 * Drawing order does not depend on the order of the calls: bands, then reference lines, arrows,
 * lines and error bars, and markers-only series (scatter, point) on top; call order within each.
 * A series without a colour takes the axes' next cycle colour (reference lines: grey). */

/* Polyline through (x[i], y[i]), i < n, with optional markers; x NULL means x[i] = i. */
lrnn_status lrnn_axes_line(lrnn_axes *ax, const double *x, const double *y, size_t n,
                           const lrnn_plot_style *style);
/* Markers only at (x[i], y[i]); x NULL means x[i] = i. */
lrnn_status lrnn_axes_scatter(lrnn_axes *ax, const double *x, const double *y, size_t n,
                              const lrnn_plot_style *style);
/* One marker at (x, y): filled, or open with style->open (e.g. stable / unstable fixed points). */
lrnn_status lrnn_axes_point(lrnn_axes *ax, double x, double y, const lrnn_plot_style *style);
/* Line through (x[i], y[i]) with vertical error bars y[i] +- err[i] (capped). */
lrnn_status lrnn_axes_errorbar(lrnn_axes *ax, const double *x, const double *y, const double *err,
                               size_t n, const lrnn_plot_style *style);
/* Shaded region between lo[i] and hi[i] over x[i] (e.g. mean +- 2 sd), at style->fill_alpha;
 * draw the mean with lrnn_axes_line in the same colour. The label goes to the legend as a patch. */
lrnn_status lrnn_axes_band(lrnn_axes *ax, const double *x, const double *lo, const double *hi,
                           size_t n, const lrnn_plot_style *style);
/* Horizontal / vertical reference line across the whole axes (e.g. chance level, kappa = 0). */
lrnn_status lrnn_axes_hline(lrnn_axes *ax, double y, const lrnn_plot_style *style);
lrnn_status lrnn_axes_vline(lrnn_axes *ax, double x, const lrnn_plot_style *style);

typedef enum lrnn_quiver_mode {
    /* Arrow length proportional to speed |(u, v)| (scaled so the longest is ~0.9 of the grid
     * spacing); colour from the style. */
    LRNN_QUIVER_LENGTH = 0,
    /* Equal-length arrows coloured by speed (viridis, slow dark to fast yellow): directions
     * stay readable where speeds span orders of magnitude, e.g. near fixed points. */
    LRNN_QUIVER_COLOR,
} lrnn_quiver_mode;
/* Arrows from (x[i], y[i]) along (u[i], v[i]) in data units (a flow field on a grid). The
 * spacing used for scaling is sqrt(area of the points' bounding box / n). */
lrnn_status lrnn_axes_quiver(lrnn_axes *ax, const double *x, const double *y, const double *u,
                             const double *v, size_t n, lrnn_quiver_mode mode,
                             const lrnn_plot_style *style);

/* ---- ticks (exposed for tests and for callers that lay out their own axes) ---- */

/* Tick positions inside [lo, hi] (lo < hi, finite), at most cap written, the count returned
 * (0 on bad arguments).
 * Linear: the smallest step s = {1, 2, 5} x 10^k with (hi - lo) / s <= target, ticks the
 *   multiples of s in [lo, hi] (computed as integer / 10^j so that 0.2 is the double 0.2).
 * Log (lo > 0): the decades 10^k in [lo, hi], every d-th decade when there are more than
 *   target + 1 of them; when fewer than 3 decades fall inside, also 2 and 5 x 10^k; when that
 *   still gives fewer than 2 ticks (e.g. [0.3, 0.9]), the linear ticks.
 * target >= 2 is the wished number of intervals (5 is a good default). */
size_t lrnn_plot_ticks(double lo, double hi, bool log_scale, int target, double *ticks, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
