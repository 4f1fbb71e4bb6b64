/* The 1-D CNN encoder of the encoder-based proposal (spec smc_rnn_method.md §3.5, §3.6): maps a
 * window of observations y (T x X per trial) to a per-step Gaussian over the latent, mean and
 * log-variance (T x R each), with a hand-written backward pass.
 *
 *     h_0 = y                                     (T x C_in)
 *     h_{i+1} = act(Conv1d_i(Pad_i(h_i)))         i = 0 .. L-2, kernel k_i, c_i channels
 *     mean    = Conv1d_mean(Pad_{L-1}(h_{L-1}))   kernel k_{L-1}, R channels
 *     logvar  = Conv1d_lv(Pad_{L-1}(h_{L-1}))     (or a learned R-vector, constant in time)
 *
 * Every convolution is 'valid' over a time axis padded by k-1 steps, so each layer keeps the
 * length T. Missing observations: with `mask_channels` the input is [y . m, m] (C_in = 2X: the
 * zero-filled observations, then one 0/1 channel per observed channel); without it masked
 * entries are zero-filled and C_in = X.
 *
 * Parameters live in one contiguous block of doubles described by lrnn_encoder_layout(), so the
 * optimiser (lrnn/optim.h) trains it and it can be appended to the model's block. Convolution
 * weights are stored in PyTorch's Conv1d order (c_out, c_in, k), recorded in the layout as the
 * 2-D shape (c_out, c_in * k); see lrnn_encoder_layout() for the names.
 *
 * Threads: the functions keep no global state. A workspace holds what backward needs from the
 * last forward, so use one workspace per thread. Inside an OpenMP region, keep OpenBLAS at one
 * thread (openblas_set_num_threads(1)). */
#ifndef LRNN_ENCODER_H
#define LRNN_ENCODER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lrnn/layout.h"
#include "lrnn/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* At most 7 layers (6 hidden + the heads): at most 16 layout entries, which leaves room for the
 * model's own entries when the encoder's block is appended to the model's. */
enum { LRNN_ENCODER_MAX_LAYERS = 7 };

typedef enum lrnn_encoder_act {
    LRNN_ENCODER_ACT_GELU,       /* x Phi(x), exact erf form (PyTorch's default GELU) */
    LRNN_ENCODER_ACT_LEAKY_RELU, /* x > 0 ? x : slope x (reference slope 0.1) */
} lrnn_encoder_act;

/* Where each layer's k-1 padding steps go, (left, right), and what output t sees. */
typedef enum lrnn_encoder_pad_location {
    LRNN_ENCODER_PAD_CAUSAL,  /* (k-1, 0): y_{t-k+1 .. t}, filtering proposal */
    LRNN_ENCODER_PAD_ACAUSAL, /* (0, k-1): y_{t .. t+k-1}, the reference's smoothing proposal */
    /* (k/2, k-1-k/2): a centred window. The reference's "windowed" uses (k/2, k/2-1), which
     * loses one step per layer for odd k [quirk, spec §3.6]; this keeps the length for any k
     * and equals it for even k. */
    LRNN_ENCODER_PAD_CENTRED,
} lrnn_encoder_pad_location;

/* What the padding steps hold (torch.nn.functional.pad modes). With reflect or circular
 * padding a causal encoder's first outputs see later steps (reflect: y_1 .. y_{k-1}; circular:
 * the end of the window), as in the reference; outputs at t >= sum_i (k_i - 1) are causal. */
typedef enum lrnn_encoder_pad_mode {
    LRNN_ENCODER_PAD_ZEROS,     /* "constant" in the reference */
    LRNN_ENCODER_PAD_REFLECT,   /* mirror without repeating the edge: needs T > pad */
    LRNN_ENCODER_PAD_REPLICATE, /* repeat the edge step */
    LRNN_ENCODER_PAD_CIRCULAR,  /* wrap around: needs T >= pad */
} lrnn_encoder_pad_mode;

typedef struct lrnn_encoder_config {
    int channels;       /* X observed channels fed to the encoder */
    bool mask_channels; /* append one 0/1 mask channel per observed channel (C_in = 2X) */
    int rank;           /* R */
    int layers;         /* L >= 2: L-1 hidden convolutions, then the heads */
    int kernel[LRNN_ENCODER_MAX_LAYERS];     /* k_0 .. k_{L-1} (k_{L-1}: the heads) */
    int hidden[LRNN_ENCODER_MAX_LAYERS - 1]; /* c_0 .. c_{L-2} */
    lrnn_encoder_act activation;
    double leaky_slope; /* slope for x <= 0 of the leaky ReLU */
    lrnn_encoder_pad_location pad_location;
    lrnn_encoder_pad_mode pad_mode;
    bool constant_var; /* logvar: a learned R-vector, the same at every step */
    double init_scale; /* initial encoder std: logvar bias (or vector) offset 2 log(init_scale) */
} lrnn_encoder_config;

/* The spiking tutorial's encoder (spec §3.6): kernels 21, 11, 1, channels 64, 64, GELU,
 * init_scale 0.1, zero padding, no mask channels, leaky slope 0.1; causal (filtering)
 * location; X = 8, R = 2 as lrnn_model_default_config(): set them to the model's. */
lrnn_encoder_config lrnn_encoder_default_params(void);
/* Validate ranges (layers 2..7, kernels and channels >= 1 and not absurd, X, R >= 1,
 * init_scale > 0, slope finite, enums). The message names the field and the value. */
lrnn_status lrnn_encoder_params_check(const lrnn_encoder_config *c);

const char *lrnn_encoder_act_name(lrnn_encoder_act v); /* "gelu", "leaky_relu" */
lrnn_status lrnn_encoder_act_parse(const char *s, lrnn_encoder_act *out);
const char *lrnn_encoder_pad_location_name(lrnn_encoder_pad_location v); /* "causal", ... */
/* Also accepts the reference's "windowed" for centred. */
lrnn_status lrnn_encoder_pad_location_parse(const char *s, lrnn_encoder_pad_location *out);
const char *lrnn_encoder_pad_mode_name(lrnn_encoder_pad_mode v); /* "zeros", "reflect", ... */
/* Also accepts the reference's "constant" for zeros. */
lrnn_status lrnn_encoder_pad_mode_parse(const char *s, lrnn_encoder_pad_mode *out);

/* Input channels C_in = X, or 2X with mask channels. */
int lrnn_encoder_in_channels(const lrnn_encoder_config *c);
/* Steps of y one output depends on: sum_i (k_i - 1) + 1 (e.g. 21, 11, 1 -> 31). */
int lrnn_encoder_receptive_field(const lrnn_encoder_config *c);

/* The parameter block, offsets from 0 (checks c first). Entries, in order:
 *   "enc_w<i>" (c_i, C_i * k_i) and "enc_b<i>" (c_i) for i = 0 .. L-2, C_i the layer's input
 *   channels, weights in Conv1d order (out, in, tap);
 *   "enc_mean_w" (R, c_{L-2} * k_{L-1}), "enc_mean_b" (R);
 *   "enc_logvar_w", "enc_logvar_b" (same shapes), or with constant_var "enc_logvar" (R).
 * All trainable. */
lrnn_status lrnn_encoder_layout(const lrnn_encoder_config *c, lrnn_param_layout *out);

/* PyTorch's Conv1d initialisation (spec §3.6, §5.2): every weight and bias of a convolution
 * U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = C_in k (kaiming_uniform with a = sqrt(5) gives
 * the same bound); then logvar bias += 2 log(init_scale), or the constant logvar vector =
 * 2 log(init_scale). params: layout total doubles. Entry j draws from the stream
 * lrnn_rng_init(seed, LRNN_RNG_INIT, 1, j), so the model's (seed, INIT, 0, 0) never overlaps. */
lrnn_status lrnn_encoder_init(const lrnn_encoder_config *c, double *params, uint64_t seed);

typedef struct lrnn_encoder_workspace lrnn_encoder_workspace;

/* Everything forward and backward need for up to B_max trials of up to T_max steps, allocated
 * once (about B_max T_max sum_i (C_i + c_i) doubles plus per-trial scratch). */
lrnn_status lrnn_encoder_workspace_create(const lrnn_encoder_config *c, size_t T_max, size_t B_max,
                                          lrnn_encoder_workspace **out);
void lrnn_encoder_workspace_free(lrnn_encoder_workspace *ws);

/* Single precision (float32), off by default. On: forward and backward keep their double
 * arguments and results, but convert the weights and data to float once per forward and
 * compute everything in between in float (cblas_sgemm convolutions, GELU with erff / expf,
 * float tapes for backward, the weight gradient summed in float over the batch, then added to
 * grad; bias and constant-logvar adjoints are summed in double, the constant logvar itself
 * stays exact). 2.2x faster than double on the spiking tutorial's encoder
 * (docs/derivations/encoder_gradient.md, "Cost"). Outputs and gradients differ from double by
 * rounding, below 1e-6 relative to their largest entries (float's unit roundoff 6e-8 times the
 * accumulation lengths, measured 1e-7 to 6e-7; the PyTorch reference trains in float32). The
 * last bits can differ between CPUs (vectorised erff / expf per instruction set), never
 * between runs or thread counts. Off again: the double path, bit for bit as a fresh workspace.
 * The first call with single = true allocates the float arrays (about 60% of the double
 * workspace's memory again); LRNN_ERR_NOMEM leaves the workspace in double mode. Changing the
 * mode discards the last forward: backward then needs a new forward. Call it outside forward
 * and backward (not thread-safe with them on the same workspace). */
lrnn_status lrnn_encoder_set_single(lrnn_encoder_workspace *ws, bool single);
/* Whether ws runs in single precision (false for NULL). */
bool lrnn_encoder_is_single(const lrnn_encoder_workspace *ws);

/* Forward pass for B trials of T steps; keeps in ws what backward needs.
 *   y      B x T x ldy: the encoder reads channels [0, X) of each step (ldy >= X; ldy > X
 *          when the observation model has more channels than the encoder sees, spec §2.4)
 *   mask   NULL (all observed) or B x T x ldy, 1 = observed; masked entries of y are ignored
 *          (may be NaN) and enter as 0
 *   mean, logvar   B x T x R outputs
 * Fails (LRNN_ERR_NUMERIC) on a non-finite observed entry, naming trial, step and channel;
 * LRNN_ERR_ARG when B > B_max, T > T_max, T = 0, or the window is too short for reflect or
 * circular padding; LRNN_ERR_SHAPE when c does not match the workspace's configuration.
 * params: the encoder block (lrnn_encoder_layout). No allocation. */
lrnn_status lrnn_encoder_forward(const lrnn_encoder_config *c, const double *params,
                                 lrnn_encoder_workspace *ws, size_t B, size_t T, const double *y,
                                 size_t ldy, const uint8_t *mask, double *mean, double *logvar);

/* Backward pass of the last forward: given dmean, dlogvar (B x T x R adjoints of some scalar,
 * dlogvar may be NULL for zero), ACCUMULATES the parameter gradient: grad += d/dparams.
 * params must be the block the forward used. No allocation. */
lrnn_status lrnn_encoder_backward(const lrnn_encoder_config *c, const double *params,
                                  lrnn_encoder_workspace *ws, const double *dmean,
                                  const double *dlogvar, double *grad);

#ifdef __cplusplus
}
#endif
#endif
