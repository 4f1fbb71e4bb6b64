/* Private to the encoder, its tests and its benchmark: which convolution kernel runs (the double
 * path; single precision always runs im2col + sgemm, batched over trials). */
#ifndef LRNN_ENCODER_INTERNAL_H
#define LRNN_ENCODER_INTERNAL_H

#include "lrnn/encoder.h"

/* How a layer's 'valid' convolution over the padded input P ((T + k - 1) x C_in) is computed;
 * all give the same sums up to rounding. Measured with bench/bench_encoder.c (numbers in
 * docs/derivations/encoder_gradient.md, "Cost"): IM2COL and SHIFTED within noise of each other,
 * DIRECT about 8x slower. IM2COL is the default: one large GEMM per layer, which also suits
 * layers with few input channels and long kernels (k GEMMs with K = C_in are small there).
 *   IM2COL   copy the T overlapping windows (k C_in contiguous doubles each: the input is
 *            time-major, so window t is rows t .. t+k-1) into a T x k C_in matrix, one GEMM
 *   SHIFTED  k GEMMs, one per tap j, over the shifted view rows j .. j+T-1 (no copy)
 *   DIRECT   plain loops: one dot product of length k C_in per output
 * encoder_set_impl has no effect on the single-precision path (lrnn_encoder_set_single). */
typedef enum encoder_impl {
    ENCODER_IMPL_IM2COL,
    ENCODER_IMPL_SHIFTED,
    ENCODER_IMPL_DIRECT
} encoder_impl;

void encoder_set_impl(lrnn_encoder_workspace *ws, encoder_impl impl);
const char *encoder_impl_name(encoder_impl impl);
/* Single precision only: at most max_trials trials per batched GEMM (1, the default: one GEMM
 * per trial as the double path; 0: as many as 4 MiB of windows hold). Resizes the im2col buffer
 * when the float arrays exist (LRNN_ERR_NOMEM keeps the old size and setting). */
lrnn_status encoder_set_chunk(lrnn_encoder_workspace *ws, size_t max_trials);
/* Smallest |pre-activation| of the hidden layers in the last forward (tests keep finite
 * differences away from the leaky ReLU's kink with it); INFINITY when there is none. */
double encoder_min_abs_preact(const lrnn_encoder_workspace *ws);

#endif
