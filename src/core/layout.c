/* Parameter layouts (lrnn/layout.h): named, shaped entries of one block of doubles. */
#include <string.h>

#include "lrnn/layout.h"

void lrnn_param_layout_add(lrnn_param_layout *l, const char *name, int ndim, size_t rows,
                           size_t cols, bool trainable) {
    lrnn_param_entry *e = &l->entry[l->count++];
    memset(e, 0, sizeof *e);
    strncpy(e->name, name, sizeof e->name - 1);
    e->ndim = ndim;
    e->shape[0] = rows;
    e->shape[1] = ndim == 2 ? cols : 0;
    e->size = ndim == 2 ? rows * cols : rows;
    e->offset = l->total;
    e->trainable = trainable;
    l->total += e->size;
}

const lrnn_param_entry *lrnn_param_layout_find(const lrnn_param_layout *l, const char *name) {
    for (int i = 0; i < l->count; i++)
        if (strcmp(l->entry[i].name, name) == 0) return &l->entry[i];
    return NULL;
}

size_t lrnn_param_layout_trainable(const lrnn_param_layout *l) {
    size_t n = 0;
    for (int i = 0; i < l->count; i++)
        if (l->entry[i].trainable) n += l->entry[i].size;
    return n;
}
