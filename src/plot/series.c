/* Drawing one series with cairo: polylines, markers, error bars, bands, reference lines and
 * arrows, in the pixel space of a plot_frame. */
#include <math.h>

#include "plot/internal.h"

double plot_px_x(const plot_frame *f, double x) {
    if (!isfinite(x) || (f->xlog && !(x > 0.0))) return NAN;
    double t = f->xlog ? (log10(x) - log10(f->xlo)) / (log10(f->xhi) - log10(f->xlo))
                       : (x - f->xlo) / (f->xhi - f->xlo);
    return f->x0 + t * f->w;
}

double plot_px_y(const plot_frame *f, double y) {
    if (!isfinite(y) || (f->ylog && !(y > 0.0))) return NAN;
    double t = f->ylog ? (log10(y) - log10(f->ylo)) / (log10(f->yhi) - log10(f->ylo))
                       : (y - f->ylo) / (f->yhi - f->ylo);
    return f->y0 + (1.0 - t) * f->h; /* pixel y grows downwards */
}

void plot_set_color(cairo_t *cr, lrnn_rgba c, double alpha) {
    cairo_set_source_rgba(cr, c.r, c.g, c.b, alpha);
}

static void set_line(cairo_t *cr, const lrnn_plot_style *st) {
    double w = st->line_width;
    cairo_set_line_width(cr, w);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    if (st->dash == LRNN_DASH_DASHED) {
        double d[2] = {3.7 * w, 1.6 * w};
        cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT);
        cairo_set_dash(cr, d, 2, 0.0);
    } else if (st->dash == LRNN_DASH_DOTTED) {
        double d[2] = {0.0, 2.0 * w}; /* zero-length dashes with round caps are dots */
        cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
        cairo_set_dash(cr, d, 2, 0.0);
    } else {
        cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
        cairo_set_dash(cr, NULL, 0, 0.0);
    }
}

static void marker_path(cairo_t *cr, double px, double py, lrnn_marker m, double d) {
    double r = 0.5 * d;
    switch (m) {
    case LRNN_MARKER_SQUARE:
        r *= 0.886; /* same area as the circle */
        cairo_rectangle(cr, px - r, py - r, 2 * r, 2 * r);
        break;
    case LRNN_MARKER_TRIANGLE:
        r *= 1.2;
        cairo_move_to(cr, px, py - r);
        cairo_line_to(cr, px + 0.866 * r, py + 0.5 * r);
        cairo_line_to(cr, px - 0.866 * r, py + 0.5 * r);
        cairo_close_path(cr);
        break;
    case LRNN_MARKER_DIAMOND:
        r *= 1.15;
        cairo_move_to(cr, px, py - r);
        cairo_line_to(cr, px + 0.75 * r, py);
        cairo_line_to(cr, px, py + r);
        cairo_line_to(cr, px - 0.75 * r, py);
        cairo_close_path(cr);
        break;
    case LRNN_MARKER_CROSS:
        cairo_move_to(cr, px - r, py - r);
        cairo_line_to(cr, px + r, py + r);
        cairo_move_to(cr, px - r, py + r);
        cairo_line_to(cr, px + r, py - r);
        break;
    default:
        cairo_new_sub_path(cr);
        cairo_arc(cr, px, py, r, 0.0, 2.0 * M_PI);
        break;
    }
}

void plot_draw_marker(cairo_t *cr, double px, double py, const lrnn_plot_style *st) {
    if (st->marker == LRNN_MARKER_NONE || !isfinite(px) || !isfinite(py)) return;
    cairo_save(cr);
    cairo_set_dash(cr, NULL, 0, 0.0);
    cairo_new_path(cr);
    marker_path(cr, px, py, st->marker, st->marker_size);
    if (st->marker == LRNN_MARKER_CROSS) {
        cairo_set_line_width(cr, 1.6);
        plot_set_color(cr, st->color, 1.0);
        cairo_stroke(cr);
    } else if (st->open) {
        cairo_set_source_rgb(cr, 1, 1, 1);
        cairo_fill_preserve(cr);
        cairo_set_line_width(cr, 1.6);
        plot_set_color(cr, st->color, 1.0);
        cairo_stroke(cr);
    } else {
        plot_set_color(cr, st->color, 1.0);
        cairo_fill_preserve(cr);
        /* a thin darker edge keeps overlapping markers apart */
        cairo_set_line_width(cr, 0.8);
        cairo_set_source_rgba(cr, 0.6 * st->color.r, 0.6 * st->color.g, 0.6 * st->color.b, 1.0);
        cairo_stroke(cr);
    }
    cairo_restore(cr);
}

/* Polyline through the drawable points; a gap (NaN, or <= 0 on a log axis) breaks it. */
static void polyline(cairo_t *cr, const plot_frame *f, const double *x, const double *y, size_t n,
                     const lrnn_plot_style *st) {
    cairo_new_path(cr);
    bool pen_down = false;
    for (size_t i = 0; i < n; i++) {
        double px = plot_px_x(f, x[i]), py = plot_px_y(f, y[i]);
        if (!isfinite(px) || !isfinite(py)) {
            pen_down = false;
            continue;
        }
        if (pen_down)
            cairo_line_to(cr, px, py);
        else
            cairo_move_to(cr, px, py);
        pen_down = true;
    }
    set_line(cr, st);
    plot_set_color(cr, st->color, 1.0);
    cairo_stroke(cr);
}

static void markers(cairo_t *cr, const plot_frame *f, const plot_series *s) {
    for (size_t i = 0; i < s->n; i++)
        plot_draw_marker(cr, plot_px_x(f, s->x[i]), plot_px_y(f, s->y[i]), &s->style);
}

static void errorbars(cairo_t *cr, const plot_frame *f, const plot_series *s) {
    cairo_new_path(cr);
    const double cap = 3.0 + s->style.line_width;
    for (size_t i = 0; i < s->n; i++) {
        double px = plot_px_x(f, s->x[i]);
        double lo = plot_px_y(f, s->y[i] - s->a[i]), hi = plot_px_y(f, s->y[i] + s->a[i]);
        if (!isfinite(px) || !isfinite(lo) || !isfinite(hi)) continue;
        cairo_move_to(cr, px, lo);
        cairo_line_to(cr, px, hi);
        cairo_move_to(cr, px - cap, lo);
        cairo_line_to(cr, px + cap, lo);
        cairo_move_to(cr, px - cap, hi);
        cairo_line_to(cr, px + cap, hi);
    }
    cairo_set_dash(cr, NULL, 0, 0.0);
    cairo_set_line_width(cr, fmax(1.0, 0.7 * s->style.line_width));
    plot_set_color(cr, s->style.color, 1.0);
    cairo_stroke(cr);
}

/* Filled polygon between lo and hi, one polygon per run of drawable points. */
static void band(cairo_t *cr, const plot_frame *f, const plot_series *s) {
    size_t i = 0;
    cairo_new_path(cr);
    while (i < s->n) {
        size_t j = i;
        while (j < s->n && isfinite(plot_px_x(f, s->x[j])) && isfinite(plot_px_y(f, s->y[j])) &&
               isfinite(plot_px_y(f, s->a[j])))
            j++;
        if (j > i) {
            cairo_move_to(cr, plot_px_x(f, s->x[i]), plot_px_y(f, s->y[i]));
            for (size_t k = i + 1; k < j; k++)
                cairo_line_to(cr, plot_px_x(f, s->x[k]), plot_px_y(f, s->y[k]));
            for (size_t k = j; k-- > i;)
                cairo_line_to(cr, plot_px_x(f, s->x[k]), plot_px_y(f, s->a[k]));
            cairo_close_path(cr);
        }
        i = j + 1;
    }
    plot_set_color(cr, s->style.color, s->style.fill_alpha);
    cairo_fill(cr);
}

static void ref_line(cairo_t *cr, const plot_frame *f, const plot_series *s) {
    cairo_new_path(cr);
    if (s->kind == PLOT_HLINE) {
        double py = plot_px_y(f, s->y[0]);
        if (!isfinite(py)) return;
        cairo_move_to(cr, f->x0, py);
        cairo_line_to(cr, f->x0 + f->w, py);
    } else {
        double px = plot_px_x(f, s->x[0]);
        if (!isfinite(px)) return;
        cairo_move_to(cr, px, f->y0);
        cairo_line_to(cr, px, f->y0 + f->h);
    }
    set_line(cr, &s->style);
    plot_set_color(cr, s->style.color, 1.0);
    cairo_stroke(cr);
}

/* Arrow from (px, py) along (dx, dy) px: a shaft and a filled triangular head whose size
 * follows the arrow so that short arrows stay arrows rather than blobs. */
static void arrow(cairo_t *cr, double px, double py, double dx, double dy, double width) {
    double len = hypot(dx, dy);
    if (len < 1.0) {
        cairo_new_path(cr);
        cairo_arc(cr, px, py, 0.6 * width, 0.0, 2.0 * M_PI);
        cairo_fill(cr);
        return;
    }
    double ux = dx / len, uy = dy / len;
    double head = fmin(0.4 * len, 3.5 + 2.5 * width), half = 0.5 * head;
    double bx = px + dx - ux * head, by = py + dy - uy * head; /* base of the head */
    cairo_new_path(cr);
    cairo_move_to(cr, px, py);
    cairo_line_to(cr, bx, by);
    cairo_set_line_width(cr, width);
    cairo_stroke(cr);
    cairo_move_to(cr, px + dx, py + dy);
    cairo_line_to(cr, bx - uy * half, by + ux * half);
    cairo_line_to(cr, bx + uy * half, by - ux * half);
    cairo_close_path(cr);
    cairo_fill(cr);
}

/* Pixel vector of a data vector (u, v) at (x, y): the derivative of the axes' mapping, exact on
 * linear axes (scale w / (hi - lo)); on a log axis d px / dx = w / ((log hi - log lo) x ln 10). */
static void px_vector(const plot_frame *f, double x, double y, double u, double v, double *dx,
                      double *dy) {
    double sx =
        f->xlog ? f->w / ((log10(f->xhi) - log10(f->xlo)) * x * M_LN10) : f->w / (f->xhi - f->xlo);
    double sy =
        f->ylog ? f->h / ((log10(f->yhi) - log10(f->ylo)) * y * M_LN10) : f->h / (f->yhi - f->ylo);
    *dx = u * sx;
    *dy = -v * sy; /* pixel y grows downwards */
}

/* Arrows in pixel space along the direction (u, v) takes on screen, so that they follow the
 * trajectories drawn on the same axes whatever the aspect ratio. */
static void quiver(cairo_t *cr, const plot_frame *f, const plot_series *s) {
    double max_px = 0.0, max_speed = 0.0;
    double bx0 = INFINITY, bx1 = -INFINITY, by0 = INFINITY, by1 = -INFINITY;
    size_t drawable = 0;
    for (size_t i = 0; i < s->n; i++) {
        double px = plot_px_x(f, s->x[i]), py = plot_px_y(f, s->y[i]), dx, dy;
        if (!isfinite(px) || !isfinite(py) || !isfinite(s->a[i]) || !isfinite(s->b[i])) continue;
        drawable++;
        bx0 = fmin(bx0, px), bx1 = fmax(bx1, px), by0 = fmin(by0, py), by1 = fmax(by1, py);
        max_speed = fmax(max_speed, hypot(s->a[i], s->b[i]));
        px_vector(f, s->x[i], s->y[i], s->a[i], s->b[i], &dx, &dy);
        max_px = fmax(max_px, hypot(dx, dy));
    }
    if (drawable == 0) return;
    /* grid spacing in px: sqrt(area / points), or the gap of points on a line (a 1-D flow) */
    double area = (bx1 - bx0) * (by1 - by0);
    double spacing = 0.1 * fmin(f->w, f->h);
    if (area > 0.0)
        spacing = sqrt(area / (double)drawable);
    else if (drawable > 1)
        spacing = fmax(bx1 - bx0, by1 - by0) / (double)(drawable - 1);
    cairo_set_dash(cr, NULL, 0, 0.0);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT);
    double width = fmax(1.0, 0.7 * s->style.line_width);
    for (size_t i = 0; i < s->n; i++) {
        double px = plot_px_x(f, s->x[i]), py = plot_px_y(f, s->y[i]), dx, dy;
        if (!isfinite(px) || !isfinite(py) || !isfinite(s->a[i]) || !isfinite(s->b[i])) continue;
        px_vector(f, s->x[i], s->y[i], s->a[i], s->b[i], &dx, &dy);
        double len = hypot(dx, dy);
        if (s->quiver == LRNN_QUIVER_COLOR) {
            double speed = hypot(s->a[i], s->b[i]);
            plot_set_color(cr, lrnn_plot_colormap(max_speed > 0.0 ? speed / max_speed : 0.0), 1.0);
            double k = len > 0.0 ? 0.75 * spacing / len : 0.0;
            dx *= k, dy *= k;
        } else {
            plot_set_color(cr, s->style.color, 1.0);
            double k = max_px > 0.0 ? 0.9 * spacing / max_px : 0.0;
            dx *= k, dy *= k;
        }
        arrow(cr, px, py, dx, dy, width);
    }
}

void plot_draw_series(cairo_t *cr, const plot_frame *f, const plot_series *s) {
    cairo_save(cr);
    switch (s->kind) {
    case PLOT_LINE:
        polyline(cr, f, s->x, s->y, s->n, &s->style);
        markers(cr, f, s);
        break;
    case PLOT_SCATTER:
        markers(cr, f, s);
        break;
    case PLOT_ERRORBAR:
        errorbars(cr, f, s);
        polyline(cr, f, s->x, s->y, s->n, &s->style);
        markers(cr, f, s);
        break;
    case PLOT_BAND:
        band(cr, f, s);
        break;
    case PLOT_HLINE:
    case PLOT_VLINE:
        ref_line(cr, f, s);
        break;
    case PLOT_QUIVER:
        quiver(cr, f, s);
        break;
    }
    cairo_restore(cr);
}

void plot_draw_legend_sample(cairo_t *cr, double x, double y, double w, double h,
                             const plot_series *s) {
    cairo_save(cr);
    const lrnn_plot_style *st = &s->style;
    switch (s->kind) {
    case PLOT_BAND:
        cairo_rectangle(cr, x, y - 0.35 * h, w, 0.7 * h);
        plot_set_color(cr, st->color, st->fill_alpha);
        cairo_fill(cr);
        break;
    case PLOT_SCATTER:
        plot_draw_marker(cr, x + 0.5 * w, y, st);
        break;
    case PLOT_QUIVER:
        plot_set_color(cr, s->quiver == LRNN_QUIVER_COLOR ? lrnn_plot_colormap(0.5) : st->color,
                       1.0);
        arrow(cr, x, y, w, 0.0, fmax(1.0, 0.7 * st->line_width));
        break;
    default:
        cairo_new_path(cr);
        cairo_move_to(cr, x, y);
        cairo_line_to(cr, x + w, y);
        set_line(cr, st);
        plot_set_color(cr, st->color, 1.0);
        cairo_stroke(cr);
        plot_draw_marker(cr, x + 0.5 * w, y, st);
        break;
    }
    cairo_restore(cr);
}
