/* Layout and drawing of a whole figure: limits, margins from the measured tick labels, grid,
 * series (clipped to the frame), spines, ticks, labels, titles and legends. */
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "plot/internal.h"

/* Font sizes in px: readable at 100% zoom in a browser and in a PNG of the same size. */
static const double FONT_TICK = 12.0, FONT_LABEL = 13.0, FONT_TITLE = 14.0;
static const double FONT_SUPTITLE = 16.0, FONT_LEGEND = 11.5;
static const double TICK_LEN = 4.5, PAD = 6.0;
enum { MAX_TICKS = 64 };

typedef struct tickset {
    size_t n;
    double v[MAX_TICKS];
    char label[MAX_TICKS][PLOT_LABEL_CAP];
    int expo[MAX_TICKS]; /* INT_MIN: plain label; else drawn as 10^expo */
} tickset;

static void set_font(cairo_t *cr, double size, bool bold) {
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, size);
}

static double text_width(cairo_t *cr, const char *s, double size, bool bold) {
    set_font(cr, size, bold);
    cairo_text_extents_t e;
    cairo_text_extents(cr, s, &e);
    return e.x_advance;
}

/* Text with its anchor at (x, y): hx 0 / 0.5 / 1 for left / centre / right, vy 0 / 0.5 / 1 for
 * top / middle / bottom of the capital letters (0.72 of the size for DejaVu and most sans). */
static void text_at(cairo_t *cr, const char *s, double size, bool bold, double x, double y,
                    double hx, double vy) {
    double w = text_width(cr, s, size, bold);
    cairo_move_to(cr, x - hx * w, y + (1.0 - vy) * 0.72 * size);
    cairo_show_text(cr, s);
}

/* "10" with the exponent as a superscript; the exponent's minus is U+2212. */
static void exponent_text(int k, char *buf, size_t cap) {
    if (k < 0)
        snprintf(buf, cap, "\xe2\x88\x92%d", -k);
    else
        snprintf(buf, cap, "%d", k);
}

static double tick_label_width(cairo_t *cr, const tickset *t, size_t i) {
    if (t->expo[i] == INT_MIN) return text_width(cr, t->label[i], FONT_TICK, false);
    char e[16];
    exponent_text(t->expo[i], e, sizeof e);
    return text_width(cr, "10", FONT_TICK, false) + text_width(cr, e, 0.72 * FONT_TICK, false);
}

static void tick_label_at(cairo_t *cr, const tickset *t, size_t i, double x, double y, double hx,
                          double vy) {
    if (t->expo[i] == INT_MIN) {
        text_at(cr, t->label[i], FONT_TICK, false, x, y, hx, vy);
        return;
    }
    char e[16];
    exponent_text(t->expo[i], e, sizeof e);
    double w10 = text_width(cr, "10", FONT_TICK, false);
    double x0 = x - hx * tick_label_width(cr, t, i);
    double base = y + (1.0 - vy) * 0.72 * FONT_TICK;
    set_font(cr, FONT_TICK, false);
    cairo_move_to(cr, x0, base);
    cairo_show_text(cr, "10");
    set_font(cr, 0.72 * FONT_TICK, false);
    cairo_move_to(cr, x0 + w10, base - 0.45 * FONT_TICK);
    cairo_show_text(cr, e);
}

/* ---- limits ---- */

static void widen(double v, bool log_scale, double *lo, double *hi) {
    if (!isfinite(v) || (log_scale && !(v > 0.0))) return;
    if (v < *lo) *lo = v;
    if (v > *hi) *hi = v;
}

/* Range of the data along x (for_x) or y over every series of the axes. */
static void data_range(const lrnn_axes *ax, bool for_x, double *lo, double *hi) {
    bool lg = for_x ? ax->xa.log : ax->ya.log;
    *lo = INFINITY, *hi = -INFINITY;
    for (size_t k = 0; k < ax->n_series; k++) {
        const plot_series *s = &ax->series[k];
        if ((s->kind == PLOT_HLINE && for_x) || (s->kind == PLOT_VLINE && !for_x)) continue;
        for (size_t i = 0; i < s->n; i++) {
            if (for_x) {
                widen(s->x[i], lg, lo, hi);
            } else if (s->kind == PLOT_ERRORBAR) {
                widen(s->y[i] - s->a[i], lg, lo, hi);
                widen(s->y[i] + s->a[i], lg, lo, hi);
            } else {
                widen(s->y[i], lg, lo, hi);
                if (s->kind == PLOT_BAND) widen(s->a[i], lg, lo, hi);
            }
        }
    }
}

/* Limits of one axis: the data range plus a 5% margin (of the log range on log axes), a
 * default range without data, user ends where set. */
static void resolve_limits(const plot_axis *a, double dlo, double dhi, double *lo, double *hi) {
    bool lg = a->log;
    if (!(dlo <= dhi)) {
        dlo = lg ? 1.0 : 0.0, dhi = lg ? 10.0 : 1.0;
    } else if (dlo == dhi) {
        double d = dlo != 0.0 ? 0.1 * fabs(dlo) : 0.5;
        if (lg)
            dlo /= 2.0, dhi *= 2.0;
        else
            dlo -= d, dhi += d;
    } else if (lg) {
        double r = log10(dhi / dlo);
        dlo /= pow(10.0, 0.05 * r), dhi *= pow(10.0, 0.05 * r);
    } else {
        double m = 0.05 * (dhi - dlo);
        dlo -= m, dhi += m;
    }
    *lo = isfinite(a->lo) && (!lg || a->lo > 0.0) ? a->lo : dlo;
    *hi = isfinite(a->hi) && (!lg || a->hi > 0.0) ? a->hi : dhi;
    if (!(*lo < *hi)) { /* one user end beyond the data's other end */
        if (isfinite(a->lo))
            *hi = lg ? *lo * 10.0 : *lo + fmax(1.0, fabs(*lo));
        else
            *lo = lg ? *hi / 10.0 : *hi - fmax(1.0, fabs(*hi));
    }
}

static void make_ticks(double lo, double hi, bool lg, tickset *t) {
    t->n = lrnn_plot_ticks(lo, hi, lg, 6, t->v, MAX_TICKS); /* 3 to 6 intervals */
    plot_tick_labels(t->v, t->n, lg, lo, hi, t->label, t->expo);
}

/* ---- one axes ---- */

typedef struct axes_layout {
    plot_frame f;
    tickset xt, yt;
} axes_layout;

/* Equal data units per pixel: widen the axis with more units per pixel around its centre. */
static void equalise(plot_frame *f) {
    double ux = (f->xhi - f->xlo) / f->w, uy = (f->yhi - f->ylo) / f->h;
    if (ux < uy) {
        double c = 0.5 * (f->xlo + f->xhi), half = 0.5 * uy * f->w;
        f->xlo = c - half, f->xhi = c + half;
    } else {
        double c = 0.5 * (f->ylo + f->yhi), half = 0.5 * ux * f->h;
        f->ylo = c - half, f->yhi = c + half;
    }
}

static void layout_axes(cairo_t *cr, const lrnn_axes *ax, double cx, double cy, double cw,
                        double ch, axes_layout *L) {
    double dlo, dhi;
    plot_frame *f = &L->f;
    f->xlog = ax->xa.log, f->ylog = ax->ya.log;
    data_range(ax, true, &dlo, &dhi);
    resolve_limits(&ax->xa, dlo, dhi, &f->xlo, &f->xhi);
    data_range(ax, false, &dlo, &dhi);
    resolve_limits(&ax->ya, dlo, dhi, &f->ylo, &f->yhi);
    /* two passes: margins from the tick labels, then (equal aspect) limits from the frame */
    for (int pass = 0; pass < 2; pass++) {
        make_ticks(f->xlo, f->xhi, f->xlog, &L->xt);
        make_ticks(f->ylo, f->yhi, f->ylog, &L->yt);
        double ylab = 0.0;
        for (size_t i = 0; i < L->yt.n; i++)
            ylab = fmax(ylab, tick_label_width(cr, &L->yt, i));
        double left = PAD + (ax->ya.label ? FONT_LABEL + PAD : 0.0) + ylab + TICK_LEN + 3.0;
        double bottom =
            TICK_LEN + 4.0 + FONT_TICK + (ax->xa.label ? PAD + FONT_LABEL : 0.0) + PAD + 2.0;
        double top = ax->title ? FONT_TITLE + 2.0 * PAD : 2.0 * PAD;
        double right = 2.5 * PAD;
        if (L->xt.n) right = fmax(right, 0.5 * tick_label_width(cr, &L->xt, L->xt.n - 1) + 2.0);
        f->x0 = round(cx + left), f->y0 = round(cy + top);
        f->w = fmax(10.0, round(cw - left - right)), f->h = fmax(10.0, round(ch - top - bottom));
        if (pass == 0 && ax->equal && !f->xlog && !f->ylog)
            equalise(f);
        else
            break;
    }
}

static void draw_grid(cairo_t *cr, const axes_layout *L) {
    const plot_frame *f = &L->f;
    cairo_save(cr);
    cairo_set_line_width(cr, 1.0);
    cairo_set_source_rgb(cr, 0.92, 0.92, 0.92);
    for (size_t i = 0; i < L->xt.n; i++) {
        double px = round(plot_px_x(f, L->xt.v[i])) + 0.5;
        cairo_move_to(cr, px, f->y0);
        cairo_line_to(cr, px, f->y0 + f->h);
    }
    for (size_t i = 0; i < L->yt.n; i++) {
        double py = round(plot_px_y(f, L->yt.v[i])) + 0.5;
        cairo_move_to(cr, f->x0, py);
        cairo_line_to(cr, f->x0 + f->w, py);
    }
    cairo_stroke(cr);
    cairo_restore(cr);
}

static void draw_frame_ticks_labels(cairo_t *cr, const lrnn_axes *ax, const axes_layout *L) {
    const plot_frame *f = &L->f;
    cairo_save(cr);
    cairo_set_line_width(cr, 1.0);
    cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
    cairo_rectangle(cr, f->x0 + 0.5, f->y0 + 0.5, f->w - 1.0, f->h - 1.0);
    cairo_stroke(cr);
    double bottom = f->y0 + f->h;
    for (size_t i = 0; i < L->xt.n; i++) {
        double px = round(plot_px_x(f, L->xt.v[i])) + 0.5;
        cairo_move_to(cr, px, bottom);
        cairo_line_to(cr, px, bottom + TICK_LEN);
        cairo_stroke(cr);
        tick_label_at(cr, &L->xt, i, px, bottom + TICK_LEN + 4.0, 0.5, 0.0);
    }
    double ylab = 0.0;
    for (size_t i = 0; i < L->yt.n; i++) {
        double py = round(plot_px_y(f, L->yt.v[i])) + 0.5;
        cairo_move_to(cr, f->x0, py);
        cairo_line_to(cr, f->x0 - TICK_LEN, py);
        cairo_stroke(cr);
        tick_label_at(cr, &L->yt, i, f->x0 - TICK_LEN - 3.0, py, 1.0, 0.5);
        ylab = fmax(ylab, tick_label_width(cr, &L->yt, i));
    }
    cairo_set_source_rgb(cr, 0.0, 0.0, 0.0);
    if (ax->xa.label)
        text_at(cr, ax->xa.label, FONT_LABEL, false, f->x0 + 0.5 * f->w,
                bottom + TICK_LEN + 4.0 + FONT_TICK + PAD, 0.5, 0.0);
    if (ax->ya.label) {
        cairo_save(cr);
        cairo_translate(cr, f->x0 - TICK_LEN - 3.0 - ylab - PAD, f->y0 + 0.5 * f->h);
        cairo_rotate(cr, -M_PI / 2.0);
        text_at(cr, ax->ya.label, FONT_LABEL, false, 0.0, 0.0, 0.5, 1.0);
        cairo_restore(cr);
    }
    if (ax->title)
        text_at(cr, ax->title, FONT_TITLE, true, f->x0 + 0.5 * f->w, f->y0 - PAD, 0.5, 1.0);
    cairo_restore(cr);
}

/* ---- legend ---- */

/* Points of the axes' series inside the pixel box: how much of the data a legend there hides. */
static size_t points_inside(const lrnn_axes *ax, const plot_frame *f, double x0, double y0,
                            double w, double h) {
    size_t count = 0;
    for (size_t k = 0; k < ax->n_series; k++) {
        const plot_series *s = &ax->series[k];
        if (s->kind == PLOT_HLINE || s->kind == PLOT_VLINE) continue;
        for (size_t i = 0; i < s->n; i++) {
            double px = plot_px_x(f, s->x[i]);
            double ys[2] = {s->y[i], s->kind == PLOT_BAND ? s->a[i] : NAN};
            for (int j = 0; j < 2; j++) {
                double py = plot_px_y(f, ys[j]);
                if (px >= x0 && px <= x0 + w && py >= y0 && py <= y0 + h) count++;
            }
        }
    }
    return count;
}

static void draw_legend(cairo_t *cr, const lrnn_axes *ax, const plot_frame *f) {
    if (ax->legend == LRNN_LEGEND_NONE) return;
    size_t entries = 0;
    double text_w = 0.0;
    for (size_t k = 0; k < ax->n_series; k++)
        if (ax->series[k].style.label) {
            entries++;
            text_w = fmax(text_w, text_width(cr, ax->series[k].style.label, FONT_LEGEND, false));
        }
    if (entries == 0) return;
    const double row = FONT_LEGEND + 6.0, sample = 24.0, inset = 8.0;
    double w = PAD + sample + PAD + text_w + PAD, h = PAD + (double)entries * row;
    /* corners in the order upper right, upper left, lower left, lower right (the enum's) */
    double xs[4] = {f->x0 + f->w - inset - w, f->x0 + inset, f->x0 + inset,
                    f->x0 + f->w - inset - w};
    double ys[4] = {f->y0 + inset, f->y0 + inset, f->y0 + f->h - inset - h,
                    f->y0 + f->h - inset - h};
    int corner = 0;
    if (ax->legend == LRNN_LEGEND_BEST) {
        size_t best = SIZE_MAX;
        for (int c = 0; c < 4; c++) {
            size_t n = points_inside(ax, f, xs[c], ys[c], w, h);
            if (n < best) best = n, corner = c;
        }
    } else {
        corner = (int)ax->legend - (int)LRNN_LEGEND_UPPER_RIGHT;
    }
    double x0 = round(xs[corner]) + 0.5, y0 = round(ys[corner]) + 0.5;
    cairo_save(cr);
    cairo_rectangle(cr, x0, y0, w, h);
    cairo_set_source_rgba(cr, 1, 1, 1, 0.85);
    cairo_fill_preserve(cr);
    cairo_set_source_rgb(cr, 0.8, 0.8, 0.8);
    cairo_set_line_width(cr, 1.0);
    cairo_stroke(cr);
    double y = y0 + PAD + 0.5 * (row - 6.0);
    for (size_t k = 0; k < ax->n_series; k++) {
        const plot_series *s = &ax->series[k];
        if (!s->style.label) continue;
        plot_draw_legend_sample(cr, x0 + PAD, y, sample, row - 4.0, s);
        cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
        text_at(cr, s->style.label, FONT_LEGEND, false, x0 + 2.0 * PAD + sample, y, 0.0, 0.5);
        y += row;
    }
    cairo_restore(cr);
}

/* Series by kind so the result does not depend on call order: bands under reference lines
 * under arrows under lines under markers. */
static const plot_kind DRAW_ORDER[][2] = {
    {PLOT_BAND, PLOT_BAND},     {PLOT_HLINE, PLOT_VLINE},     {PLOT_QUIVER, PLOT_QUIVER},
    {PLOT_LINE, PLOT_ERRORBAR}, {PLOT_SCATTER, PLOT_SCATTER},
};

static void draw_axes(cairo_t *cr, const lrnn_axes *ax, double cx, double cy, double cw,
                      double ch) {
    axes_layout L;
    layout_axes(cr, ax, cx, cy, cw, ch, &L);
    draw_grid(cr, &L);
    cairo_save(cr);
    cairo_rectangle(cr, L.f.x0, L.f.y0, L.f.w, L.f.h);
    cairo_clip(cr);
    for (size_t o = 0; o < sizeof DRAW_ORDER / sizeof DRAW_ORDER[0]; o++)
        for (size_t k = 0; k < ax->n_series; k++)
            if (ax->series[k].kind == DRAW_ORDER[o][0] || ax->series[k].kind == DRAW_ORDER[o][1])
                plot_draw_series(cr, &L.f, &ax->series[k]);
    cairo_restore(cr);
    draw_frame_ticks_labels(cr, ax, &L);
    draw_legend(cr, ax, &L.f);
}

void plot_render(const lrnn_figure *fig, cairo_t *cr) {
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    double top = 0.0;
    if (fig->title) {
        top = FONT_SUPTITLE + 2.0 * PAD;
        cairo_set_source_rgb(cr, 0, 0, 0);
        text_at(cr, fig->title, FONT_SUPTITLE, true, 0.5 * fig->width, PAD, 0.5, 0.0);
    }
    double cw = fig->width / fig->cols, ch = (fig->height - top) / fig->rows;
    for (int r = 0; r < fig->rows; r++)
        for (int c = 0; c < fig->cols; c++)
            draw_axes(cr, &fig->axes[r * fig->cols + c], c * cw, top + r * ch, cw, ch);
}
