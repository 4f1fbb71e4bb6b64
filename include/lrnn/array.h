/* A dense n-dimensional array as read from and written to data files.
 *
 * Data are C order (last axis contiguous) and native byte order whatever the file held;
 * readers convert Fortran order and byte-swap on load. The element type is kept so that
 * integer data round-trip exactly; lrnn_array_to_f64 gives the double view the numerics use. */
#ifndef LRNN_ARRAY_H
#define LRNN_ARRAY_H

#include <stddef.h>
#include <stdint.h>

#include "lrnn/status.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { LRNN_ARRAY_MAX_NDIM = 32 };

/* Largest array any reader accepts (elements); guards against absurd headers. */
#define LRNN_ARRAY_MAX_ELEMENTS ((size_t)1 << 34)

typedef enum lrnn_dtype {
    LRNN_DTYPE_F32,
    LRNN_DTYPE_F64,
    LRNN_DTYPE_I8,
    LRNN_DTYPE_I16,
    LRNN_DTYPE_I32,
    LRNN_DTYPE_I64,
    LRNN_DTYPE_U8,
    LRNN_DTYPE_BOOL,
} lrnn_dtype;

typedef struct lrnn_array {
    lrnn_dtype dtype;
    int ndim;
    size_t shape[LRNN_ARRAY_MAX_NDIM];
    void *data; /* C order, native byte order; owned, free with lrnn_array_free */
} lrnn_array;

size_t lrnn_dtype_size(lrnn_dtype t);
const char *lrnn_dtype_name(lrnn_dtype t); /* "float32", "int64", "bool", ... */

/* Number of elements (product of shape; 1 for ndim 0). */
size_t lrnn_array_count(const lrnn_array *a);

/* Allocate zero-filled storage. Fails with LRNN_ERR_NOMEM when the element count overflows
 * or exceeds LRNN_ARRAY_MAX_ELEMENTS. On failure *a is left empty. */
lrnn_status lrnn_array_alloc(lrnn_array *a, lrnn_dtype dtype, int ndim, const size_t *shape);
void lrnn_array_free(lrnn_array *a);

/* Element i (flat C-order index) as a double. */
double lrnn_array_get_f64(const lrnn_array *a, size_t i);

/* Copy into a freshly allocated double buffer (caller frees). */
lrnn_status lrnn_array_to_f64(const lrnn_array *a, double **out);

/* Shape as text, e.g. "(9640, 64)", for messages. Returns buf. */
char *lrnn_shape_str(int ndim, const size_t *shape, char *buf, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
