/* C = alpha A op(W) in float with W packed once and reused: the per-step products of a
 * full-rank RNN multiply a few dozen rows by the same N x N matrix at every time step, and a
 * BLAS sgemm repacks W on every call (16% of a full-rank LINT epoch at N = 512, measured).
 * oneDNN's matmul with weights reordered to its blocked layout once per parameter update runs
 * these products at 99 GFLOP/s against OpenBLAS's 66-78 on one AVX-512 core. Where oneDNN
 * cannot make the primitive, or when the environment sets LRNN_PACKED_GEMM=sgemm, the calls
 * fall back to cblas_sgemm on a private copy of W. */
#ifndef LRNN_CORE_PACKED_GEMM_H
#define LRNN_CORE_PACKED_GEMM_H

#include <stdbool.h>
#include <stddef.h>

#include "lrnn/status.h"

typedef struct packed_sgemm packed_sgemm;

/* C (M x N) = alpha A (M x K) op(W), row-major; op(W) = W^T with W stored N x K when trans_w,
 * else W stored K x N. */
lrnn_status packed_sgemm_create(packed_sgemm **out, size_t M, size_t N, size_t K, bool trans_w,
                                float alpha);
/* Pack W (read now, not kept): after every change of W, before the next run. */
lrnn_status packed_sgemm_pack(packed_sgemm *g, const float *W);
/* C = alpha A op(W) with the last packed W; A and C as described at creation. */
lrnn_status packed_sgemm_run(packed_sgemm *g, const float *A, float *C);
/* true when the products run through oneDNN, false on the cblas_sgemm fallback */
bool packed_sgemm_is_packed(const packed_sgemm *g);
void packed_sgemm_free(packed_sgemm *g);

#endif
