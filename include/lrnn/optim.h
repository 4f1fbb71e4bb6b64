/* First-order optimisers over a parameter block (spec smc_rnn_method.md section 5.1 for RAdam
 * and the ExponentialLR schedule; lint_method.md "Optimiser" for Adam).
 *
 * An optimiser is created for a parameter layout; its moments m and v are blocks of the same
 * layout (layout->total doubles each, allocated once). lrnn_optim_step() takes one
 * minimisation step on the trainable entries given the gradient of the LOSS (a caller
 * maximising a bound passes its negated gradient). The updates reproduce PyTorch's
 * torch.optim.Adam / torch.optim.RAdam (single-tensor path, amsgrad off, maximize off,
 * weight decay of the L2 kind), including their floating-point evaluation order. */
#ifndef LRNN_OPTIM_H
#define LRNN_OPTIM_H

#include <stdint.h>

#include "lrnn/model.h"
#include "lrnn/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum lrnn_optim_kind { LRNN_OPTIM_ADAM, LRNN_OPTIM_RADAM } lrnn_optim_kind;

const char *lrnn_optim_kind_name(lrnn_optim_kind v); /* "adam", "radam" */
lrnn_status lrnn_optim_kind_parse(const char *s, lrnn_optim_kind *out);

typedef struct lrnn_optim_params {
    lrnn_optim_kind kind;
    double lr, lr_end; /* ExponentialLR from lr (epoch 0) down to lr_end (epoch `epochs`) */
    int epochs;        /* length of the schedule; lr_end == lr gives a constant rate */
    double beta1, beta2, eps;
    double weight_decay; /* L2 penalty added to the gradient (PyTorch's default kind); 0: off */
    double clip_norm;    /* global L2 norm limit over the trainable gradient; <= 0: off */
} lrnn_optim_params;

/* RAdam, lr 1e-3 -> 1e-6 over 1000 epochs, betas 0.9 / 0.999, eps 1e-8, no weight decay, no
 * clipping (the reference's training configuration). */
lrnn_optim_params lrnn_optim_default_params(void);
/* Validate ranges (lr > 0, 0 < lr_end <= lr, epochs >= 1, betas in [0, 1), eps >= 0,
 * weight_decay >= 0, everything finite). The message names the field. */
lrnn_status lrnn_optim_params_check(const lrnn_optim_params *p);

/* Learning rate of epoch `epoch` (0-based): lr * gamma^epoch, gamma = exp(log(lr_end/lr) /
 * epochs), never below lr_end, so lr_end from epoch `epochs` on. */
double lrnn_optim_lr_at(const lrnn_optim_params *p, int epoch);

typedef struct lrnn_optim lrnn_optim;

/* The layout is copied; the optimiser starts at step 0 with zero moments and rate p->lr. */
lrnn_status lrnn_optim_create(const lrnn_optim_params *p, const lrnn_param_layout *layout,
                              lrnn_optim **out);
void lrnn_optim_free(lrnn_optim *o);

/* One minimisation step. theta, grad: layout->total doubles. Only entries of trainable layout
 * entries are read or changed. Order: (1) a NaN/Inf in the trainable gradient fails with
 * LRNN_ERR_NUMERIC naming the entry and index, and nothing changes (theta, grad, moments,
 * step count); (2) with clip_norm > 0 the trainable gradient is scaled in place by
 * clip_norm / (||g|| + 1e-6) when that is < 1 (torch.nn.utils.clip_grad_norm_); (3) the Adam or
 * RAdam update of theta, m, v and the step count. No allocation. */
lrnn_status lrnn_optim_step(lrnn_optim *o, double *theta, double *grad);

/* Current learning rate (used by the next step), e.g. lrnn_optim_lr_at(p, epoch) per epoch. */
lrnn_status lrnn_optim_set_lr(lrnn_optim *o, double lr);
double lrnn_optim_lr(const lrnn_optim *o);
const lrnn_optim_params *lrnn_optim_params_of(const lrnn_optim *o);
const lrnn_param_layout *lrnn_optim_layout(const lrnn_optim *o);

/* Checkpointing: the step count s and the moment blocks m, v (layout->total doubles each).
 * Restoring them (and the rate with lrnn_optim_set_lr) makes the following steps bit-identical
 * to an uninterrupted run. restore copies; it rejects s < 0, non-finite moments and v < 0. */
void lrnn_optim_state(const lrnn_optim *o, int64_t *s, const double **m, const double **v);
lrnn_status lrnn_optim_restore(lrnn_optim *o, int64_t s, const double *m, const double *v);

#ifdef __cplusplus
}
#endif
#endif
