/* Saving a figure: render into memory through a cairo SVG or PNG stream, then write the bytes
 * atomically (lrnn_file_write_atomic: temporary file in the same directory, fsync, rename). */
#include <cairo-svg.h>
#include <cairo.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lrnn/io.h"
#include "plot/internal.h"

typedef struct byte_buf {
    unsigned char *data;
    size_t size, cap;
    bool failed;
} byte_buf;

static cairo_status_t append(void *closure, const unsigned char *data, unsigned int length) {
    byte_buf *b = closure;
    if (b->size + length > b->cap) {
        size_t cap = b->cap ? b->cap : 65536;
        while (cap < b->size + length)
            cap *= 2;
        unsigned char *grown = realloc(b->data, cap);
        if (!grown) {
            b->failed = true;
            return CAIRO_STATUS_WRITE_ERROR;
        }
        b->data = grown, b->cap = cap;
    }
    memcpy(b->data + b->size, data, length);
    b->size += length;
    return CAIRO_STATUS_SUCCESS;
}

static bool has_suffix(const char *path, const char *suffix) {
    size_t n = strlen(path), k = strlen(suffix);
    return n > k && strcasecmp(path + n - k, suffix) == 0;
}

static lrnn_status cairo_error(const char *path, cairo_status_t st, const byte_buf *b) {
    if (b->failed) return lrnn_fail(LRNN_ERR_NOMEM, "%s: out of memory while drawing", path);
    return lrnn_fail(LRNN_ERR_IO, "%s: drawing failed: %s", path, cairo_status_to_string(st));
}

lrnn_status lrnn_figure_save(lrnn_figure *fig, const char *path) {
    if (!fig || !path || !*path) return lrnn_fail(LRNN_ERR_ARG, "figure: no figure or empty path");
    bool svg = has_suffix(path, ".svg"), png = has_suffix(path, ".png");
    if (!svg && !png)
        return lrnn_fail(LRNN_ERR_ARG,
                         "%s: unknown figure format (the name must end in .svg or .png)", path);
    if (fig->failed != LRNN_OK)
        return lrnn_fail(fig->failed, "%s: not written: an earlier drawing call failed: %s", path,
                         fig->failed_msg);
    byte_buf b = {0};
    cairo_surface_t *surface;
    if (svg) {
        surface = cairo_svg_surface_create_for_stream(append, &b, fig->width, fig->height);
        cairo_svg_surface_restrict_to_version(surface, CAIRO_SVG_VERSION_1_1);
        cairo_svg_surface_set_document_unit(surface, CAIRO_SVG_UNIT_PX); /* sizes are px */
    } else {
        surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)(fig->width + 0.5),
                                             (int)(fig->height + 0.5));
    }
    cairo_t *cr = cairo_create(surface);
    plot_render(fig, cr);
    cairo_status_t st = cairo_status(cr);
    cairo_destroy(cr);
    if (st == CAIRO_STATUS_SUCCESS && png)
        st = cairo_surface_write_to_png_stream(surface, append, &b);
    cairo_surface_finish(surface); /* flushes the SVG stream */
    if (st == CAIRO_STATUS_SUCCESS) st = cairo_surface_status(surface);
    cairo_surface_destroy(surface);
    lrnn_status s = st == CAIRO_STATUS_SUCCESS ? lrnn_file_write_atomic(path, b.data, b.size)
                                               : cairo_error(path, st, &b);
    free(b.data);
    return s;
}
