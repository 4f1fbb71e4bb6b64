/* Packed-weight float products (packed_gemm.h) on oneDNN's matmul primitive (oneDNN 2.x C
 * API): the weights' memory descriptor is left to the primitive (format "any"), and W is
 * reordered into it by pack. A and C are wrapped without copies (their data handles are set
 * per call). alpha is the primitive's output scale. */
#include "core/packed_gemm.h"

#include <cblas.h>
#include <dnnl.h>
#include <stdlib.h>
#include <string.h>

struct packed_sgemm {
    size_t M, N, K;
    bool trans_w;
    float alpha;
    dnnl_engine_t engine;
    dnnl_stream_t stream;
    dnnl_primitive_t matmul, reorder;
    dnnl_memory_t a, w_user, w_packed, c;
    float *w_copy; /* the fallback's W (when oneDNN is not used) */
};

/* Build the oneDNN objects; false (and everything released by packed_sgemm_free) when any
 * step fails. */
static bool make_primitives(packed_sgemm *g) {
    dnnl_memory_desc_t a_md, w_md, w_any, c_md;
    dnnl_dims_t a_dims = {(dnnl_dim_t)g->M, (dnnl_dim_t)g->K};
    dnnl_dims_t w_dims = {(dnnl_dim_t)g->K, (dnnl_dim_t)g->N};
    dnnl_dims_t c_dims = {(dnnl_dim_t)g->M, (dnnl_dim_t)g->N};
    /* the logical weights are K x N; stored N x K (W^T) that is the "ba" layout */
    if (dnnl_memory_desc_init_by_tag(&a_md, 2, a_dims, dnnl_f32, dnnl_ab) ||
        dnnl_memory_desc_init_by_tag(&w_md, 2, w_dims, dnnl_f32, g->trans_w ? dnnl_ba : dnnl_ab) ||
        dnnl_memory_desc_init_by_tag(&w_any, 2, w_dims, dnnl_f32, dnnl_format_tag_any) ||
        dnnl_memory_desc_init_by_tag(&c_md, 2, c_dims, dnnl_f32, dnnl_ab))
        return false;
    if (dnnl_engine_create(&g->engine, dnnl_cpu, 0) ||
        dnnl_stream_create(&g->stream, g->engine, dnnl_stream_default_flags))
        return false;
    dnnl_matmul_desc_t desc;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_primitive_desc_t pd = NULL, rpd = NULL;
    bool ok = !dnnl_matmul_desc_init(&desc, &a_md, &w_any, NULL, &c_md) &&
              !dnnl_primitive_attr_create(&attr) &&
              !dnnl_primitive_attr_set_output_scales(attr, 1, 0, &g->alpha) &&
              !dnnl_primitive_desc_create(&pd, &desc, attr, g->engine, NULL) &&
              !dnnl_primitive_create(&g->matmul, pd);
    const dnnl_memory_desc_t *packed_md =
        ok ? dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0) : NULL;
    ok = ok && packed_md &&
         !dnnl_memory_create(&g->w_packed, packed_md, g->engine, DNNL_MEMORY_ALLOCATE) &&
         !dnnl_memory_create(&g->w_user, &w_md, g->engine, DNNL_MEMORY_NONE) &&
         !dnnl_memory_create(&g->a, &a_md, g->engine, DNNL_MEMORY_NONE) &&
         !dnnl_memory_create(&g->c, &c_md, g->engine, DNNL_MEMORY_NONE) &&
         !dnnl_reorder_primitive_desc_create(&rpd, &w_md, g->engine, packed_md, g->engine, NULL) &&
         !dnnl_primitive_create(&g->reorder, rpd);
    if (rpd) dnnl_primitive_desc_destroy(rpd);
    if (pd) dnnl_primitive_desc_destroy(pd);
    if (attr) dnnl_primitive_attr_destroy(attr);
    return ok;
}

static void release_primitives(packed_sgemm *g) {
    if (g->reorder) dnnl_primitive_destroy(g->reorder);
    if (g->matmul) dnnl_primitive_destroy(g->matmul);
    dnnl_memory_t mem[] = {g->a, g->w_user, g->w_packed, g->c};
    for (size_t i = 0; i < sizeof mem / sizeof mem[0]; i++)
        if (mem[i]) dnnl_memory_destroy(mem[i]);
    if (g->stream) dnnl_stream_destroy(g->stream);
    if (g->engine) dnnl_engine_destroy(g->engine);
    g->reorder = g->matmul = NULL;
    g->a = g->w_user = g->w_packed = g->c = NULL;
    g->stream = NULL;
    g->engine = NULL;
}

lrnn_status packed_sgemm_create(packed_sgemm **out, size_t M, size_t N, size_t K, bool trans_w,
                                float alpha) {
    *out = NULL;
    if (M == 0 || N == 0 || K == 0 || M > (size_t)1 << 30 || N > (size_t)1 << 30 ||
        K > (size_t)1 << 30)
        return lrnn_fail(LRNN_ERR_ARG, "packed sgemm: shape %zu x %zu x %zu", M, N, K);
    packed_sgemm *g = calloc(1, sizeof *g);
    if (!g) return lrnn_fail(LRNN_ERR_NOMEM, "packed sgemm: out of memory");
    *g = (packed_sgemm){.M = M, .N = N, .K = K, .trans_w = trans_w, .alpha = alpha};
    const char *force = getenv("LRNN_PACKED_GEMM"); /* "sgemm": the fallback (tests, checks) */
    if ((force && !strcmp(force, "sgemm")) || !make_primitives(g)) {
        release_primitives(g);
        g->w_copy = malloc(N * K * sizeof *g->w_copy);
        if (!g->w_copy) {
            free(g);
            return lrnn_fail(LRNN_ERR_NOMEM, "packed sgemm: out of memory (%zu x %zu)", N, K);
        }
    }
    *out = g;
    return LRNN_OK;
}

lrnn_status packed_sgemm_pack(packed_sgemm *g, const float *W) {
    if (g->w_copy) {
        memcpy(g->w_copy, W, g->N * g->K * sizeof *W);
        return LRNN_OK;
    }
    dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, g->w_user}, {DNNL_ARG_TO, g->w_packed}};
    if (dnnl_memory_set_data_handle_v2(g->w_user, (void *)W, g->stream) ||
        dnnl_primitive_execute(g->reorder, g->stream, 2, args) || dnnl_stream_wait(g->stream))
        return lrnn_fail(LRNN_ERR_NUMERIC, "packed sgemm: oneDNN could not pack the weights");
    return LRNN_OK;
}

lrnn_status packed_sgemm_run(packed_sgemm *g, const float *A, float *C) {
    int M = (int)g->M, N = (int)g->N, K = (int)g->K;
    if (g->w_copy) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, g->trans_w ? CblasTrans : CblasNoTrans, M, N, K,
                    g->alpha, A, K, g->w_copy, g->trans_w ? K : N, 0.0f, C, N);
        return LRNN_OK;
    }
    dnnl_exec_arg_t args[3] = {
        {DNNL_ARG_SRC, g->a}, {DNNL_ARG_WEIGHTS, g->w_packed}, {DNNL_ARG_DST, g->c}};
    if (dnnl_memory_set_data_handle_v2(g->a, (void *)A, g->stream) ||
        dnnl_memory_set_data_handle_v2(g->c, C, g->stream) ||
        dnnl_primitive_execute(g->matmul, g->stream, 3, args) || dnnl_stream_wait(g->stream))
        return lrnn_fail(LRNN_ERR_NUMERIC,
                         "packed sgemm: oneDNN failed on a %zu x %zu x %zu "
                         "product",
                         g->M, g->N, g->K);
    return LRNN_OK;
}

bool packed_sgemm_is_packed(const packed_sgemm *g) {
    return g && !g->w_copy;
}

void packed_sgemm_free(packed_sgemm *g) {
    if (!g) return;
    release_primitives(g);
    free(g->w_copy);
    free(g);
}
