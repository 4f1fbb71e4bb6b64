/* Human-readable summary of a model for `lrnn info`. */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "lrnn/model_file.h"
#include "model/config_fields.h"

/* Appends formatted text; keeps counting past the end of the buffer so that a failure can
 * report the size that would have been needed. */
typedef struct text_out {
    char *buf;
    size_t cap, len;
} text_out;

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void
put(text_out *t, const char *fmt, ...) {
    char *dst = t->len < t->cap ? t->buf + t->len : NULL;
    size_t room = t->len < t->cap ? t->cap - t->len : 0;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(dst, room, fmt, ap);
    va_end(ap);
    if (n > 0) t->len += (size_t)n;
}

/* The shortest %g text that reads back as exactly x: "0.9", not "0.90000000000000002", yet
 * never a rounding that hides a difference between two models. */
static void shortest_double(double x, char *buf, size_t cap) {
    for (int digits = 15; digits <= 17; digits++) {
        snprintf(buf, cap, "%.*g", digits, x);
        if (strtod(buf, NULL) == x) return;
    }
}

static void put_field(text_out *t, const lrnn_config_field *f) {
    char num[40];
    switch (f->kind) {
    case LRNN_FIELD_INT:
        put(t, "  %s: %lld\n", f->name, (long long)f->i);
        break;
    case LRNN_FIELD_DOUBLE:
        shortest_double(f->d, num, sizeof num);
        put(t, "  %s: %s\n", f->name, num);
        break;
    case LRNN_FIELD_BOOL:
        put(t, "  %s: %s\n", f->name, f->i ? "yes" : "no");
        break;
    case LRNN_FIELD_ENUM:
        put(t, "  %s: %s\n", f->name, f->s);
        break;
    case LRNN_FIELD_U64:
        put(t, "  %s: %" PRIu64 "\n", f->name, f->u);
        break;
    case LRNN_FIELD_LIST:
        put(t, "  %s: %s\n", f->name, f->list[0] ? f->list : "(none)");
        break;
    }
}

static void put_config(text_out *t, const lrnn_model_config *c) {
    lrnn_config_field fields[LRNN_CONFIG_FIELD_COUNT];
    lrnn_model_config_fields(c, fields);
    put(t, "config:\n");
    for (int i = 0; i < LRNN_CONFIG_FIELD_COUNT; i++)
        put_field(t, &fields[i]);
}

static void put_param(text_out *t, const lrnn_param_entry *e, const double *x) {
    char shape[64];
    if (e->ndim == 2)
        snprintf(shape, sizeof shape, "%zu x %zu", e->shape[0], e->shape[1]);
    else
        snprintf(shape, sizeof shape, "%zu", e->shape[0]);
    double lo = INFINITY, hi = -INFINITY, abs_sum = 0.0;
    for (size_t i = 0; i < e->size; i++) {
        lo = fmin(lo, x[i]);
        hi = fmax(hi, x[i]);
        abs_sum += fabs(x[i]);
    }
    double mean_abs = e->size ? abs_sum / (double)e->size : 0.0;
    put(t, "  %-12s %-12s %9zu  %-9s %12.4e %12.4e %12.4e\n", e->name, shape, e->size,
        e->trainable ? "yes" : "no", lo, hi, mean_abs);
}

static void put_params(text_out *t, const lrnn_param_layout *l, const double *block) {
    put(t, "parameters:\n");
    put(t, "  %-12s %-12s %9s  %-9s %12s %12s %12s\n", "name", "shape", "count", "trainable", "min",
        "max", "mean|x|");
    for (int i = 0; i < l->count; i++)
        put_param(t, &l->entry[i], block + l->entry[i].offset);
    put(t, "total: %zu parameters, %zu trainable\n", l->total, lrnn_param_layout_trainable(l));
}

lrnn_status lrnn_model_describe(const lrnn_model *model, char *buf, size_t cap) {
    if (!model || !buf || cap == 0)
        return lrnn_fail(LRNN_ERR_ARG, "describe: needs a model and a non-empty buffer");
    text_out t = {.buf = buf, .cap = cap, .len = 0};
    buf[0] = '\0';
    const lrnn_model_config *c = lrnn_model_config_of(model);
    put(&t, "model: stochastic low-rank RNN (R = %d, N = %d, X = %d, U = %d)\n", c->rank, c->units,
        c->channels, c->inputs);
    put_config(&t, c);
    put_params(&t, lrnn_model_layout(model), lrnn_model_params_const(model));
    if (t.len >= cap)
        return lrnn_fail(LRNN_ERR_ARG, "describe: the summary needs %zu bytes, buffer holds %zu",
                         t.len + 1, cap);
    return LRNN_OK;
}
