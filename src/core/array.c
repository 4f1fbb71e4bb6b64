#include "lrnn/array.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t lrnn_dtype_size(lrnn_dtype t) {
    switch (t) {
    case LRNN_DTYPE_F32: return 4;
    case LRNN_DTYPE_F64: return 8;
    case LRNN_DTYPE_I8: return 1;
    case LRNN_DTYPE_I16: return 2;
    case LRNN_DTYPE_I32: return 4;
    case LRNN_DTYPE_I64: return 8;
    case LRNN_DTYPE_U8: return 1;
    case LRNN_DTYPE_BOOL: return 1;
    }
    return 0;
}

const char *lrnn_dtype_name(lrnn_dtype t) {
    switch (t) {
    case LRNN_DTYPE_F32: return "float32";
    case LRNN_DTYPE_F64: return "float64";
    case LRNN_DTYPE_I8: return "int8";
    case LRNN_DTYPE_I16: return "int16";
    case LRNN_DTYPE_I32: return "int32";
    case LRNN_DTYPE_I64: return "int64";
    case LRNN_DTYPE_U8: return "uint8";
    case LRNN_DTYPE_BOOL: return "bool";
    }
    return "unknown";
}

size_t lrnn_array_count(const lrnn_array *a) {
    size_t n = 1;
    for (int d = 0; d < a->ndim; d++) n *= a->shape[d];
    return n;
}

lrnn_status lrnn_array_alloc(lrnn_array *a, lrnn_dtype dtype, int ndim, const size_t *shape) {
    memset(a, 0, sizeof *a);
    if (ndim < 0 || ndim > LRNN_ARRAY_MAX_NDIM)
        return lrnn_fail(LRNN_ERR_ARG, "array rank %d outside 0..%d", ndim, LRNN_ARRAY_MAX_NDIM);
    size_t count = 1;
    for (int d = 0; d < ndim; d++) {
        if (shape[d] != 0 && count > LRNN_ARRAY_MAX_ELEMENTS / shape[d])
            return lrnn_fail(LRNN_ERR_NOMEM, "array of %zu x %zu ... elements is too large",
                             count, shape[d]);
        count *= shape[d];
    }
    if (count > LRNN_ARRAY_MAX_ELEMENTS)
        return lrnn_fail(LRNN_ERR_NOMEM, "array of %zu elements is too large", count);
    void *data = calloc(count ? count : 1, lrnn_dtype_size(dtype));
    if (!data) return lrnn_fail(LRNN_ERR_NOMEM, "cannot allocate %zu elements", count);
    a->dtype = dtype;
    a->ndim = ndim;
    for (int d = 0; d < ndim; d++) a->shape[d] = shape[d];
    a->data = data;
    return LRNN_OK;
}

void lrnn_array_free(lrnn_array *a) {
    if (!a) return;
    free(a->data);
    memset(a, 0, sizeof *a);
}

double lrnn_array_get_f64(const lrnn_array *a, size_t i) {
    switch (a->dtype) {
    case LRNN_DTYPE_F32: return (double)((const float *)a->data)[i];
    case LRNN_DTYPE_F64: return ((const double *)a->data)[i];
    case LRNN_DTYPE_I8: return (double)((const int8_t *)a->data)[i];
    case LRNN_DTYPE_I16: return (double)((const int16_t *)a->data)[i];
    case LRNN_DTYPE_I32: return (double)((const int32_t *)a->data)[i];
    case LRNN_DTYPE_I64: return (double)((const int64_t *)a->data)[i];
    case LRNN_DTYPE_U8: return (double)((const uint8_t *)a->data)[i];
    case LRNN_DTYPE_BOOL: return ((const uint8_t *)a->data)[i] ? 1.0 : 0.0;
    }
    return 0.0;
}

lrnn_status lrnn_array_to_f64(const lrnn_array *a, double **out) {
    size_t n = lrnn_array_count(a);
    double *buf = malloc((n ? n : 1) * sizeof *buf);
    if (!buf) return lrnn_fail(LRNN_ERR_NOMEM, "cannot allocate %zu doubles", n);
    for (size_t i = 0; i < n; i++) buf[i] = lrnn_array_get_f64(a, i);
    *out = buf;
    return LRNN_OK;
}

char *lrnn_shape_str(int ndim, const size_t *shape, char *buf, size_t cap) {
    size_t used = 0;
    if (cap == 0) return buf;
    buf[0] = '\0';
    used += (size_t)snprintf(buf, cap, "(");
    for (int d = 0; d < ndim && used < cap; d++)
        used += (size_t)snprintf(buf + used, cap - used, d ? ", %zu" : "%zu", shape[d]);
    if (used < cap) snprintf(buf + used, cap - used, ndim == 1 ? ",)" : ")");
    return buf;
}
