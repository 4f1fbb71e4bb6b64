/* Adam and RAdam as PyTorch computes them, global-norm clipping and the ExponentialLR schedule.
 *
 * Evaluation order. Every formula below follows torch/optim/adam.py and radam.py
 * (_single_tensor_adam / _single_tensor_radam, the path PyTorch takes for CPU tensors) operation
 * by operation, with the elementwise ATen kernels written out:
 *   lerp(m, g, w)        = m + w (g - m)               (|w| < 0.5; else g - (g - m)(1 - w))
 *   addcmul(v, g, g, c)  = v + (c g) g
 *   addcdiv(t, m, d, c)  = t + (c m) / d
 *   add(g, t, alpha=a)   = g + a t
 * and the Python scalar arithmetic in the same order (x ** 0.5 is pow(x, 0.5), math.sqrt is
 * sqrt). A reference written with Python floats in that order therefore agrees to the last
 * bit (scripts/make_optim_fixture.py). A real PyTorch run can still differ by an ulp per step:
 * its vectorised CPU lerp uses a fused multiply-add. This file is compiled without FP
 * contraction (ISO C mode), so the C results do not depend on the compiler's FMA choices. */
#include "lrnn/optim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct lrnn_optim {
    lrnn_optim_params p;
    lrnn_param_layout layout;
    double lr; /* rate of the next step */
    int64_t s; /* steps taken */
    double *m; /* first moment, layout.total */
    double *v; /* second moment, layout.total */
};

/* ---- names and parameters ---- */

static const char *const kind_names[] = {"adam", "radam"};

const char *lrnn_optim_kind_name(lrnn_optim_kind v) {
    return (unsigned)v < sizeof kind_names / sizeof kind_names[0] ? kind_names[v] : "unknown";
}

lrnn_status lrnn_optim_kind_parse(const char *s, lrnn_optim_kind *out) {
    for (int i = 0; i < (int)(sizeof kind_names / sizeof kind_names[0]); i++)
        if (s && strcasecmp(s, kind_names[i]) == 0) {
            *out = (lrnn_optim_kind)i;
            return LRNN_OK;
        }
    return lrnn_fail(LRNN_ERR_ARG, "unknown optimiser '%s' (choose from adam, radam)", s ? s : "");
}

lrnn_optim_params lrnn_optim_default_params(void) {
    return (lrnn_optim_params){
        .kind = LRNN_OPTIM_RADAM,
        .lr = 1e-3,
        .lr_end = 1e-6,
        .epochs = 1000,
        .beta1 = 0.9,
        .beta2 = 0.999,
        .eps = 1e-8,
        .weight_decay = 0.0,
        .clip_norm = 0.0,
    };
}

/* Written as !(x in range) so NaN fails every check. */
lrnn_status lrnn_optim_params_check(const lrnn_optim_params *p) {
    if (!p) return lrnn_fail(LRNN_ERR_ARG, "optimiser parameters missing");
    if (p->kind != LRNN_OPTIM_ADAM && p->kind != LRNN_OPTIM_RADAM)
        return lrnn_fail(LRNN_ERR_ARG, "optimiser kind %d unknown (adam, radam)", (int)p->kind);
    if (!(p->lr > 0.0 && isfinite(p->lr)))
        return lrnn_fail(LRNN_ERR_ARG, "lr must be finite and > 0 (got %g)", p->lr);
    if (!(p->lr_end > 0.0 && p->lr_end <= p->lr))
        return lrnn_fail(LRNN_ERR_ARG, "lr_end must be in (0, lr = %g] (got %g)", p->lr, p->lr_end);
    if (p->epochs < 1) return lrnn_fail(LRNN_ERR_ARG, "epochs must be >= 1 (got %d)", p->epochs);
    if (!(p->beta1 >= 0.0 && p->beta1 < 1.0))
        return lrnn_fail(LRNN_ERR_ARG, "beta1 must be in [0, 1) (got %g)", p->beta1);
    if (!(p->beta2 >= 0.0 && p->beta2 < 1.0))
        return lrnn_fail(LRNN_ERR_ARG, "beta2 must be in [0, 1) (got %g)", p->beta2);
    if (!(p->eps >= 0.0 && isfinite(p->eps)))
        return lrnn_fail(LRNN_ERR_ARG, "eps must be finite and >= 0 (got %g)", p->eps);
    if (!(p->weight_decay >= 0.0 && isfinite(p->weight_decay)))
        return lrnn_fail(LRNN_ERR_ARG, "weight_decay must be finite and >= 0 (got %g)",
                         p->weight_decay);
    if (!isfinite(p->clip_norm))
        return lrnn_fail(LRNN_ERR_ARG, "clip_norm must be finite (<= 0 turns clipping off; got %g)",
                         p->clip_norm);
    return LRNN_OK;
}

/* ---- learning-rate schedule ---- */

/* ExponentialLR (spec 5.1): gamma = exp(log(lr_end / lr) / epochs), lr_e = lr gamma^e. The
 * reference multiplies the rate by gamma once per epoch while it is still above lr_end, so it
 * can end one factor gamma below lr_end; here the rate is clamped to lr_end instead, and the
 * closed form (rather than the running product) makes the rate a pure function of the epoch,
 * which a resumed fit needs. The two differ by a few ulps. */
double lrnn_optim_lr_at(const lrnn_optim_params *p, int epoch) {
    if (epoch <= 0) return p->lr;
    if (epoch >= p->epochs) return p->lr_end;
    double gamma = exp(log(p->lr_end / p->lr) / p->epochs);
    double lr = p->lr * pow(gamma, epoch);
    return lr < p->lr_end ? p->lr_end : lr;
}

/* ---- handle ---- */

lrnn_status lrnn_optim_create(const lrnn_optim_params *p, const lrnn_param_layout *layout,
                              lrnn_optim **out) {
    *out = NULL;
    lrnn_status st = lrnn_optim_params_check(p);
    if (st != LRNN_OK) return st;
    if (!layout || layout->count < 0 || layout->count > LRNN_PARAM_MAX)
        return lrnn_fail(LRNN_ERR_ARG, "optimiser: invalid parameter layout");
    for (int e = 0; e < layout->count; e++) {
        const lrnn_param_entry *en = &layout->entry[e];
        if (en->offset > layout->total || en->size > layout->total - en->offset)
            return lrnn_fail(LRNN_ERR_ARG, "optimiser: entry '%s' lies outside the block",
                             en->name);
    }
    lrnn_optim *o = calloc(1, sizeof *o);
    size_t n = layout->total ? layout->total : 1;
    if (o) o->m = calloc(n, sizeof *o->m);
    if (o) o->v = calloc(n, sizeof *o->v);
    if (!o || !o->m || !o->v) {
        lrnn_optim_free(o);
        return lrnn_fail(LRNN_ERR_NOMEM, "optimiser: cannot allocate 2 x %zu doubles",
                         layout->total);
    }
    o->p = *p;
    o->layout = *layout;
    o->lr = p->lr;
    *out = o;
    return LRNN_OK;
}

void lrnn_optim_free(lrnn_optim *o) {
    if (!o) return;
    free(o->m);
    free(o->v);
    free(o);
}

lrnn_status lrnn_optim_set_lr(lrnn_optim *o, double lr) {
    if (!(lr > 0.0 && isfinite(lr)))
        return lrnn_fail(LRNN_ERR_ARG, "learning rate must be finite and > 0 (got %g)", lr);
    o->lr = lr;
    return LRNN_OK;
}

double lrnn_optim_lr(const lrnn_optim *o) {
    return o->lr;
}

const lrnn_optim_params *lrnn_optim_params_of(const lrnn_optim *o) {
    return &o->p;
}

const lrnn_param_layout *lrnn_optim_layout(const lrnn_optim *o) {
    return &o->layout;
}

void lrnn_optim_state(const lrnn_optim *o, int64_t *s, const double **m, const double **v) {
    if (s) *s = o->s;
    if (m) *m = o->m;
    if (v) *v = o->v;
}

/* Moments of frozen entries are kept at 0 whatever the caller passes. */
lrnn_status lrnn_optim_restore(lrnn_optim *o, int64_t s, const double *m, const double *v) {
    if (s < 0)
        return lrnn_fail(LRNN_ERR_ARG, "optimiser step count must be >= 0 (got %lld)",
                         (long long)s);
    for (int e = 0; e < o->layout.count; e++) {
        const lrnn_param_entry *en = &o->layout.entry[e];
        if (!en->trainable) continue;
        for (size_t i = en->offset; i < en->offset + en->size; i++)
            if (!isfinite(m[i]) || !(v[i] >= 0.0 && isfinite(v[i])))
                return lrnn_fail(LRNN_ERR_FORMAT,
                                 "optimiser moments of '%s' invalid at element %zu (m %g, v %g)",
                                 en->name, i - en->offset, m[i], v[i]);
    }
    memset(o->m, 0, o->layout.total * sizeof *o->m);
    memset(o->v, 0, o->layout.total * sizeof *o->v);
    for (int e = 0; e < o->layout.count; e++) {
        const lrnn_param_entry *en = &o->layout.entry[e];
        if (!en->trainable) continue;
        memcpy(o->m + en->offset, m + en->offset, en->size * sizeof *m);
        memcpy(o->v + en->offset, v + en->offset, en->size * sizeof *v);
    }
    o->s = s;
    return LRNN_OK;
}

/* ---- the step ---- */

static lrnn_status check_gradient(const lrnn_optim *o, const double *grad) {
    for (int e = 0; e < o->layout.count; e++) {
        const lrnn_param_entry *en = &o->layout.entry[e];
        if (!en->trainable) continue;
        for (size_t i = 0; i < en->size; i++) {
            double g = grad[en->offset + i];
            if (isfinite(g)) continue;
            if (en->ndim == 2 && en->shape[1] > 0)
                return lrnn_fail(LRNN_ERR_NUMERIC,
                                 "non-finite gradient of parameter '%s' at index %zu "
                                 "(row %zu, column %zu): %g; parameters left unchanged",
                                 en->name, i, i / en->shape[1], i % en->shape[1], g);
            return lrnn_fail(LRNN_ERR_NUMERIC,
                             "non-finite gradient of parameter '%s' at index %zu: %g; "
                             "parameters left unchanged",
                             en->name, i, g);
        }
    }
    return LRNN_OK;
}

/* clip_grad_norm_: ||g|| = || (||g_e||)_e ||_2 over the trainable entries e (the norm of the
 * per-tensor norms); coef = clip / (||g|| + 1e-6); g *= coef when coef < 1. */
static void clip_gradient(const lrnn_optim *o, double *grad) {
    double total_sq = 0.0;
    for (int e = 0; e < o->layout.count; e++) {
        const lrnn_param_entry *en = &o->layout.entry[e];
        if (!en->trainable) continue;
        double ss = 0.0;
        for (size_t i = en->offset; i < en->offset + en->size; i++)
            ss += grad[i] * grad[i];
        double norm_e = sqrt(ss);
        total_sq += norm_e * norm_e;
    }
    double coef = o->p.clip_norm / (sqrt(total_sq) + 1e-6);
    if (coef >= 1.0) return;
    for (int e = 0; e < o->layout.count; e++) {
        const lrnn_param_entry *en = &o->layout.entry[e];
        if (!en->trainable) continue;
        for (size_t i = en->offset; i < en->offset + en->size; i++)
            grad[i] *= coef;
    }
}

/* Moments: m <- lerp(m, g, 1 - b1) = b1 m + (1 - b1) g (torch's lerp: two forms, chosen by
 * |1 - b1| < 0.5, passed in as lerp_small),  v <- b2 v + (1 - b2) g^2. */
static inline void update_moments(double b1, double b2, bool lerp_small, double g, double *m,
                                  double *v) {
    double w = 1.0 - b1;
    *m = lerp_small ? *m + w * (g - *m) : g - (g - *m) * (1.0 - w);
    *v = *v * b2;
    *v = *v + (1.0 - b2) * g * g;
}

/* Per-step scalars of one update, computed once per step from the step count s >= 1. */
typedef struct step_coefs {
    double bc1, bc2;            /* 1 - b1^s, 1 - b2^s */
    double step_size, bc2_sqrt; /* Adam: lr / bc1, sqrt(bc2) */
    int rectified;              /* RAdam: rho_s > 5 */
    double rect, bc2_root;      /* RAdam: r, bc2 ** 0.5 */
} step_coefs;

/* RAdam (spec 5.1): rho_inf = 2/(1-b2) - 1, rho_s = rho_inf - 2 s b2^s / (1 - b2^s),
 * r = sqrt((rho_s-4)(rho_s-2) rho_inf / ((rho_inf-4)(rho_inf-2) rho_s)) when rho_s > 5. */
static step_coefs make_coefs(const lrnn_optim_params *p, double lr, double s) {
    step_coefs c = {0};
    c.bc1 = 1.0 - pow(p->beta1, s);
    c.bc2 = 1.0 - pow(p->beta2, s);
    c.step_size = lr / c.bc1;
    c.bc2_sqrt = sqrt(c.bc2);
    double rho_inf = 2.0 / (1.0 - p->beta2) - 1.0;
    double rho_s = rho_inf - 2.0 * s * pow(p->beta2, s) / c.bc2;
    c.rectified = rho_s > 5.0;
    if (c.rectified) {
        c.rect = pow((rho_s - 4.0) * (rho_s - 2.0) * rho_inf /
                         ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_s),
                     0.5);
        c.bc2_root = pow(c.bc2, 0.5); /* torch writes `** 0.5` (C pow), Adam math.sqrt */
    }
    return c;
}

/* Adam: theta <- theta - (lr / bc1) m / (sqrt(v) / sqrt(bc2) + eps), i.e.
 * theta - lr mhat / (sqrt(vhat) + eps) in torch's order (lint_method.md, "Optimiser"). */
static inline double adam_update(const step_coefs *c, double eps, double theta, double m,
                                 double v) {
    double denom = sqrt(v) / c->bc2_sqrt + eps;
    return theta + (-c->step_size) * m / denom;
}

/* RAdam, torch's form: rectified  theta - ((mhat lr) sqrt(bc2) / (sqrt(v) + eps)) r,
 * otherwise theta - mhat lr (SGD with momentum), mhat = m / bc1. Spec 5.1 writes the rectified
 * step as lr mhat r sqrt(1 - b2^s) / (sqrt(v) + eps): the same quantity, with eps added to
 * sqrt(v) rather than to sqrt(vhat) (unlike Adam). The product order here is torch's
 * `bias_corrected_exp_avg * lr * _compute_adaptive_lr() * _compute_rect()`: the reference
 * trains with torch.optim.RAdam, so following its arithmetic (rather than the spec's algebraic
 * rearrangement, which rounds differently) keeps trajectories comparable, and the fixture
 * written from torch's code agrees bit for bit. */
static inline double radam_update(const step_coefs *c, double lr, double eps, double theta,
                                  double m, double v) {
    double mhat = m / c->bc1;
    double adaptive = c->bc2_root / (sqrt(v) + eps); /* unused (and harmless) when unrectified */
    return c->rectified ? theta - mhat * lr * adaptive * c->rect : theta - mhat * lr;
}

/* One entry's elements. The choices are arguments that the callers below pass as constants,
 * so each combination compiles to its own branch-free loop, which the compiler vectorises (the
 * N x N wrec of a full-rank LINT network is 262144 updates a step); the arithmetic per element
 * is the same in every form. */
static inline __attribute__((always_inline)) void
update_range(const lrnn_optim_params *p, const step_coefs *c, double lr, bool adam,
             bool lerp_small, bool decay, double *restrict theta, const double *restrict grad,
             double *restrict m, double *restrict v, size_t n) {
    for (size_t i = 0; i < n; i++) {
        double g = grad[i];
        if (decay) g = g + p->weight_decay * theta[i]; /* L2: g + wd theta */
        double mi = m[i], vi = v[i];
        update_moments(p->beta1, p->beta2, lerp_small, g, &mi, &vi);
        m[i] = mi, v[i] = vi;
        theta[i] = adam ? adam_update(c, p->eps, theta[i], mi, vi)
                        : radam_update(c, lr, p->eps, theta[i], mi, vi);
    }
}

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define OPTIM_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define OPTIM_CLONES
#endif

/* Instances for AVX-512, AVX2 and the baseline (the widest the CPU has runs); without
 * contraction (ISO C), so every instance rounds alike. */
OPTIM_CLONES
static void update_entry(lrnn_optim *o, const step_coefs *c, const lrnn_param_entry *en,
                         double *theta, const double *grad) {
    const lrnn_optim_params *p = &o->p;
    size_t at = en->offset, n = en->size;
    double *th = theta + at, *m = o->m + at, *v = o->v + at;
    const double *g = grad + at;
    bool adam = p->kind == LRNN_OPTIM_ADAM, small = fabs(1.0 - p->beta1) < 0.5;
    bool decay = p->weight_decay != 0.0;
    if (decay) /* rare: one generic loop */
        update_range(p, c, o->lr, adam, small, true, th, g, m, v, n);
    else if (adam && small)
        update_range(p, c, o->lr, true, true, false, th, g, m, v, n);
    else if (adam)
        update_range(p, c, o->lr, true, false, false, th, g, m, v, n);
    else if (small)
        update_range(p, c, o->lr, false, true, false, th, g, m, v, n);
    else
        update_range(p, c, o->lr, false, false, false, th, g, m, v, n);
}

lrnn_status lrnn_optim_step(lrnn_optim *o, double *theta, double *grad) {
    lrnn_status st = check_gradient(o, grad);
    if (st != LRNN_OK) return st;
    if (o->p.clip_norm > 0.0) clip_gradient(o, grad);
    o->s++;
    step_coefs c = make_coefs(&o->p, o->lr, (double)o->s);
    for (int e = 0; e < o->layout.count; e++)
        if (o->layout.entry[e].trainable) update_entry(o, &c, &o->layout.entry[e], theta, grad);
    return LRNN_OK;
}
