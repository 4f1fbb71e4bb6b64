/* Private structures of the figures (include/lrnn/plot.h): a figure owns a grid of axes, each
 * axes a list of recorded series; render.c lays them out and draws them with cairo. */
#ifndef LRNN_PLOT_INTERNAL_H
#define LRNN_PLOT_INTERNAL_H

#include <cairo.h>
#include <stdbool.h>
#include <stddef.h>

#include "lrnn/plot.h"
#include "plot/ticks.h"

typedef enum plot_kind {
    PLOT_LINE,
    PLOT_SCATTER,
    PLOT_ERRORBAR,
    PLOT_BAND,
    PLOT_HLINE,
    PLOT_VLINE,
    PLOT_QUIVER,
} plot_kind;

/* One recorded series; the arrays are one allocation owned by the series (x first). */
typedef struct plot_series {
    plot_kind kind;
    lrnn_plot_style style; /* defaults resolved, label owned (NULL: no legend entry) */
    size_t n;
    double *x, *y; /* LINE, SCATTER, ERRORBAR, QUIVER; HLINE: y[0]; VLINE: x[0] */
    double *a, *b; /* ERRORBAR: a = err; BAND: y = lo, a = hi; QUIVER: a = u, b = v */
    lrnn_quiver_mode quiver;
} plot_series;

/* One axis' settings. */
typedef struct plot_axis {
    bool log;
    double lo, hi; /* user limits, NAN: automatic */
    char *label;
} plot_axis;

struct lrnn_axes {
    lrnn_figure *fig; /* owner, where failures are recorded */
    plot_axis xa, ya;
    char *title;
    bool equal;
    lrnn_legend_loc legend;
    int next_color; /* the cycle position the next unstyled series takes */
    plot_series *series;
    size_t n_series, cap_series;
};

struct lrnn_figure {
    int rows, cols;
    double width, height;
    char *title;
    lrnn_axes *axes;      /* rows x cols, row-major */
    lrnn_status failed;   /* first failure of a drawing call (LRNN_OK: none) */
    char failed_msg[256]; /* its message, repeated by lrnn_figure_save */
};

/* Record a failure of a drawing call on the figure (the first one is kept for the save). */
lrnn_status plot_fail(lrnn_figure *fig, lrnn_status code, const char *msg);

/* The plot rectangle of one axes and its data limits. */
typedef struct plot_frame {
    double x0, y0, w, h;       /* rectangle in px, (x0, y0) its top-left corner */
    double xlo, xhi, ylo, yhi; /* data limits (positive on log axes) */
    bool xlog, ylog;
} plot_frame;

/* Pixel coordinate of data x / y; NAN when the value cannot be drawn (non-finite, or <= 0 on a
 * log axis). */
double plot_px_x(const plot_frame *f, double x);
double plot_px_y(const plot_frame *f, double y);

/* Drawing of series (series.c), clipped by the caller to the frame. */
void plot_set_color(cairo_t *cr, lrnn_rgba c, double alpha);
void plot_draw_series(cairo_t *cr, const plot_frame *f, const plot_series *s);
/* One marker of the style centred at (px, py). */
void plot_draw_marker(cairo_t *cr, double px, double py, const lrnn_plot_style *st);
/* The legend's sample of a series in the box [x, x + w] x [y - h/2, y + h/2]. */
void plot_draw_legend_sample(cairo_t *cr, double x, double y, double w, double h,
                             const plot_series *s);

/* Render the whole figure on a cairo context of fig->width x fig->height user units. */
void plot_render(const lrnn_figure *fig, cairo_t *cr);

#endif
