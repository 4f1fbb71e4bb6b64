/* Figures and axes: settings and the recording of series (drawn later by render.c). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plot/internal.h"

lrnn_status plot_fail(lrnn_figure *fig, lrnn_status code, const char *msg) {
    if (fig && fig->failed == LRNN_OK) {
        fig->failed = code;
        snprintf(fig->failed_msg, sizeof fig->failed_msg, "%s", msg);
    }
    return lrnn_fail(code, "%s", msg);
}

lrnn_status lrnn_figure_create(int rows, int cols, double width_px, double height_px,
                               lrnn_figure **out) {
    if (!out) return lrnn_fail(LRNN_ERR_ARG, "figure: out is NULL");
    *out = NULL;
    if (rows < 1 || rows > 16 || cols < 1 || cols > 16)
        return lrnn_fail(LRNN_ERR_ARG, "figure: %d x %d axes (rows and cols must be 1..16)", rows,
                         cols);
    if (!(width_px >= 50.0 * cols && width_px <= 20000.0 && height_px >= 50.0 * rows &&
          height_px <= 20000.0))
        return lrnn_fail(LRNN_ERR_ARG,
                         "figure: size %g x %g px for %d x %d axes (at least 50 px per axes, at "
                         "most 20000)",
                         width_px, height_px, rows, cols);
    lrnn_figure *fig = calloc(1, sizeof *fig);
    lrnn_axes *axes = calloc((size_t)rows * (size_t)cols, sizeof *axes);
    if (!fig || !axes) {
        free(fig), free(axes);
        return lrnn_fail(LRNN_ERR_NOMEM, "figure: out of memory");
    }
    fig->rows = rows, fig->cols = cols, fig->width = width_px, fig->height = height_px;
    fig->axes = axes;
    for (int i = 0; i < rows * cols; i++) {
        axes[i].fig = fig;
        axes[i].xa.lo = axes[i].xa.hi = axes[i].ya.lo = axes[i].ya.hi = NAN;
    }
    *out = fig;
    return LRNN_OK;
}

void lrnn_figure_free(lrnn_figure *fig) {
    if (!fig) return;
    for (int i = 0; i < fig->rows * fig->cols; i++) {
        lrnn_axes *ax = &fig->axes[i];
        for (size_t k = 0; k < ax->n_series; k++) {
            free(ax->series[k].x);
            free((char *)ax->series[k].style.label);
        }
        free(ax->series);
        free(ax->title), free(ax->xa.label), free(ax->ya.label);
    }
    free(fig->axes);
    free(fig->title);
    free(fig);
}

/* *dst = a copy of src; NULL or "" clears it. */
static lrnn_status set_text(lrnn_figure *fig, char **dst, const char *src) {
    char *copy = NULL;
    if (src && *src) {
        copy = strdup(src);
        if (!copy) return plot_fail(fig, LRNN_ERR_NOMEM, "figure: out of memory for a label");
    }
    free(*dst);
    *dst = copy;
    return LRNN_OK;
}

lrnn_status lrnn_figure_title(lrnn_figure *fig, const char *title) {
    if (!fig) return lrnn_fail(LRNN_ERR_ARG, "figure: NULL figure");
    return set_text(fig, &fig->title, title);
}

lrnn_axes *lrnn_figure_axes(lrnn_figure *fig, int row, int col) {
    if (!fig || row < 0 || col < 0 || row >= fig->rows || col >= fig->cols) return NULL;
    return &fig->axes[row * fig->cols + col];
}

lrnn_status lrnn_axes_labels(lrnn_axes *ax, const char *title, const char *xlabel,
                             const char *ylabel) {
    if (!ax) return lrnn_fail(LRNN_ERR_ARG, "axes: NULL axes");
    lrnn_status s = LRNN_OK;
    if (title && (s = set_text(ax->fig, &ax->title, title))) return s;
    if (xlabel && (s = set_text(ax->fig, &ax->xa.label, xlabel))) return s;
    if (ylabel && (s = set_text(ax->fig, &ax->ya.label, ylabel))) return s;
    return LRNN_OK;
}

void lrnn_axes_xlog(lrnn_axes *ax, bool on) {
    if (ax) ax->xa.log = on;
}
void lrnn_axes_ylog(lrnn_axes *ax, bool on) {
    if (ax) ax->ya.log = on;
}
void lrnn_axes_equal(lrnn_axes *ax, bool on) {
    if (ax) ax->equal = on;
}
void lrnn_axes_legend(lrnn_axes *ax, lrnn_legend_loc loc) {
    if (ax && loc >= LRNN_LEGEND_BEST && loc <= LRNN_LEGEND_NONE) ax->legend = loc;
}

static lrnn_status set_limits(lrnn_axes *ax, plot_axis *a, char which, double lo, double hi) {
    if (isinf(lo) || isinf(hi) || (isfinite(lo) && isfinite(hi) && !(lo < hi))) {
        char msg[160];
        snprintf(msg, sizeof msg, "axes: %c limits [%g, %g] (need lo < hi, NAN for automatic)",
                 which, lo, hi);
        return plot_fail(ax->fig, LRNN_ERR_ARG, msg);
    }
    a->lo = lo, a->hi = hi;
    return LRNN_OK;
}

lrnn_status lrnn_axes_xlim(lrnn_axes *ax, double lo, double hi) {
    if (!ax) return lrnn_fail(LRNN_ERR_ARG, "axes: NULL axes");
    return set_limits(ax, &ax->xa, 'x', lo, hi);
}
lrnn_status lrnn_axes_ylim(lrnn_axes *ax, double lo, double hi) {
    if (!ax) return lrnn_fail(LRNN_ERR_ARG, "axes: NULL axes");
    return set_limits(ax, &ax->ya, 'y', lo, hi);
}

/* A new series with `arrays` arrays of n doubles (x, y, a, b in that order, one allocation)
 * and the style's defaults resolved; NULL after recording the failure. */
static plot_series *add_series(lrnn_axes *ax, plot_kind kind, size_t n, int arrays,
                               const lrnn_plot_style *style, const char *what) {
    char msg[160];
    if (!ax) {
        lrnn_fail(LRNN_ERR_ARG, "%s: NULL axes", what);
        return NULL;
    }
    if (n > ((size_t)1 << 31)) {
        snprintf(msg, sizeof msg, "%s: %zu points (at most 2^31)", what, n);
        plot_fail(ax->fig, LRNN_ERR_ARG, msg);
        return NULL;
    }
    if (ax->n_series == ax->cap_series) {
        size_t cap = ax->cap_series ? 2 * ax->cap_series : 8;
        plot_series *grown = realloc(ax->series, cap * sizeof *grown);
        if (!grown) goto nomem;
        ax->series = grown, ax->cap_series = cap;
    }
    plot_series *s = &ax->series[ax->n_series];
    memset(s, 0, sizeof *s);
    double *block = malloc((size_t)arrays * n * sizeof *block);
    if (!block) goto nomem;
    s->x = block;
    s->y = arrays > 1 ? block + n : NULL;
    s->a = arrays > 2 ? block + 2 * n : NULL;
    s->b = arrays > 3 ? block + 3 * n : NULL;
    s->style = style ? *style : (lrnn_plot_style){0};
    s->style.label = NULL;
    if (style && style->label && *style->label) {
        char *label = strdup(style->label);
        if (!label) {
            free(block);
            goto nomem;
        }
        s->style.label = label;
    }
    /* zero means "default" field by field (plot.h) */
    if (!(s->style.color.a > 0.0)) s->style.color = lrnn_plot_cycle(ax->next_color++);
    if (!(s->style.line_width > 0.0)) s->style.line_width = 1.75;
    if (!(s->style.marker_size > 0.0)) s->style.marker_size = 7.0;
    if (!(s->style.fill_alpha > 0.0)) s->style.fill_alpha = 0.25;
    if (kind == PLOT_SCATTER && s->style.marker == LRNN_MARKER_NONE)
        s->style.marker = LRNN_MARKER_CIRCLE;
    s->kind = kind, s->n = n;
    ax->n_series++;
    return s;
nomem:
    snprintf(msg, sizeof msg, "%s: out of memory for %zu points", what, n);
    plot_fail(ax->fig, LRNN_ERR_NOMEM, msg);
    return NULL;
}

static void copy_or_index(double *dst, const double *src, size_t n) {
    for (size_t i = 0; i < n; i++)
        dst[i] = src ? src[i] : (double)i;
}

static lrnn_status null_data(lrnn_axes *ax, const char *what) {
    char msg[96];
    snprintf(msg, sizeof msg, "%s: NULL data array", what);
    return plot_fail(ax ? ax->fig : NULL, LRNN_ERR_ARG, msg);
}

static lrnn_status xy_series(lrnn_axes *ax, plot_kind kind, const double *x, const double *y,
                             size_t n, const lrnn_plot_style *style, const char *what) {
    if (ax && n == 0) return LRNN_OK; /* an empty series draws nothing */
    if (!y) return null_data(ax, what);
    plot_series *s = add_series(ax, kind, n, 2, style, what);
    if (!s) return ax ? ax->fig->failed : LRNN_ERR_ARG;
    copy_or_index(s->x, x, n);
    memcpy(s->y, y, n * sizeof *y);
    return LRNN_OK;
}

lrnn_status lrnn_axes_line(lrnn_axes *ax, const double *x, const double *y, size_t n,
                           const lrnn_plot_style *style) {
    return xy_series(ax, PLOT_LINE, x, y, n, style, "line");
}

lrnn_status lrnn_axes_scatter(lrnn_axes *ax, const double *x, const double *y, size_t n,
                              const lrnn_plot_style *style) {
    return xy_series(ax, PLOT_SCATTER, x, y, n, style, "scatter");
}

lrnn_status lrnn_axes_point(lrnn_axes *ax, double x, double y, const lrnn_plot_style *style) {
    return xy_series(ax, PLOT_SCATTER, &x, &y, 1, style, "point");
}

lrnn_status lrnn_axes_errorbar(lrnn_axes *ax, const double *x, const double *y, const double *err,
                               size_t n, const lrnn_plot_style *style) {
    if (ax && n == 0) return LRNN_OK;
    if (!y || !err) return null_data(ax, "errorbar");
    plot_series *s = add_series(ax, PLOT_ERRORBAR, n, 3, style, "errorbar");
    if (!s) return ax ? ax->fig->failed : LRNN_ERR_ARG;
    copy_or_index(s->x, x, n);
    memcpy(s->y, y, n * sizeof *y);
    memcpy(s->a, err, n * sizeof *err);
    return LRNN_OK;
}

lrnn_status lrnn_axes_band(lrnn_axes *ax, const double *x, const double *lo, const double *hi,
                           size_t n, const lrnn_plot_style *style) {
    if (ax && n == 0) return LRNN_OK;
    if (!lo || !hi) return null_data(ax, "band");
    plot_series *s = add_series(ax, PLOT_BAND, n, 3, style, "band");
    if (!s) return ax ? ax->fig->failed : LRNN_ERR_ARG;
    copy_or_index(s->x, x, n);
    memcpy(s->y, lo, n * sizeof *lo);
    memcpy(s->a, hi, n * sizeof *hi);
    return LRNN_OK;
}

/* Reference lines default to thin grey dashes rather than taking a cycle colour. */
static lrnn_status ref_line(lrnn_axes *ax, plot_kind kind, double v, const lrnn_plot_style *style,
                            const char *what) {
    lrnn_plot_style st = style ? *style : (lrnn_plot_style){.dash = LRNN_DASH_DASHED};
    if (!(st.color.a > 0.0)) st.color = (lrnn_rgba){0.45, 0.45, 0.45, 1.0};
    if (!(st.line_width > 0.0)) st.line_width = 1.0;
    plot_series *s = add_series(ax, kind, 1, 2, &st, what);
    if (!s) return ax ? ax->fig->failed : LRNN_ERR_ARG;
    s->x[0] = s->y[0] = v;
    return LRNN_OK;
}

lrnn_status lrnn_axes_hline(lrnn_axes *ax, double y, const lrnn_plot_style *style) {
    return ref_line(ax, PLOT_HLINE, y, style, "hline");
}
lrnn_status lrnn_axes_vline(lrnn_axes *ax, double x, const lrnn_plot_style *style) {
    return ref_line(ax, PLOT_VLINE, x, style, "vline");
}

lrnn_status lrnn_axes_quiver(lrnn_axes *ax, const double *x, const double *y, const double *u,
                             const double *v, size_t n, lrnn_quiver_mode mode,
                             const lrnn_plot_style *style) {
    if (ax && n == 0) return LRNN_OK;
    if (!x || !y || !u || !v) return null_data(ax, "quiver");
    if (mode != LRNN_QUIVER_LENGTH && mode != LRNN_QUIVER_COLOR) {
        if (!ax) return lrnn_fail(LRNN_ERR_ARG, "quiver: NULL axes");
        return plot_fail(ax->fig, LRNN_ERR_ARG, "quiver: unknown mode");
    }
    plot_series *s = add_series(ax, PLOT_QUIVER, n, 4, style, "quiver");
    if (!s) return ax ? ax->fig->failed : LRNN_ERR_ARG;
    memcpy(s->x, x, n * sizeof *x);
    memcpy(s->y, y, n * sizeof *y);
    memcpy(s->a, u, n * sizeof *u);
    memcpy(s->b, v, n * sizeof *v);
    s->quiver = mode;
    return LRNN_OK;
}
