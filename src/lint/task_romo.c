/* Romo: parametric working memory (spec lint_method.md 4.2).
 *
 *   steps   fixation [0, 5) | f1 [5, 10) | delay d in {25 .. 100} | f2 [10+d, 15+d)
 *           | decision [15+d, 20+d) | noise only up to T = 120
 *   input   u_t = std xi_t + (f1 - f_middle) / f_span on f1, (f2 - f_middle) / f_span on f2
 *   target  graded (f1 - f2) / f_span on the decision window, mask 1 there */
#include <math.h>

#include "lint/task_internal.h"
#include "lrnn/task.h"

static const char TASK[] = "romo";

lrnn_romo_params lrnn_romo_default_params(void) {
    lrnn_romo_params p = {
        .dt_ms = 20.0,
        .tau_ms = 100.0,
        .fixation_ms = 100.0,
        .stimulus1_ms = 100.0,
        .delay_min_ms = 500.0,
        .delay_max_ms = 2000.0,
        .stimulus2_ms = 100.0,
        .decision_ms = 100.0,
        .f_middle = 22.0, /* (fmax + fmin) / 2 of the default pairs */
        .f_span = 24.0,   /* fmax - fmin */
        .noise_std = 0.01,
        .catch_fraction = 0.0,
        .n_pairs = 0,
    };
    static const int diffs[] = {-24, -16, -8, 8, 16, 24};
    for (size_t k = 0; k < sizeof diffs / sizeof diffs[0]; k++) {
        int d = diffs[k];
        int lo = 10 - d > 10 ? 10 - d : 10, hi = 34 - d < 34 ? 34 - d : 34;
        for (int base = lo; base <= hi; base++) {
            p.f1[p.n_pairs] = base;
            p.f2[p.n_pairs] = base + d;
            p.n_pairs++;
        }
    }
    return p;
}

lrnn_status lrnn_romo_params_check(const lrnn_romo_params *p) {
    lrnn_status s;
    if ((s = lrnn_task_check_common(TASK, p->dt_ms, p->tau_ms, p->noise_std, p->catch_fraction)))
        return s;
    if ((s = lrnn_task_check_ms(TASK, "fixation_ms", p->fixation_ms, p->dt_ms, 0)) ||
        (s = lrnn_task_check_ms(TASK, "stimulus1_ms", p->stimulus1_ms, p->dt_ms, 1)) ||
        (s = lrnn_task_check_ms(TASK, "delay_min_ms", p->delay_min_ms, p->dt_ms, 0)) ||
        (s = lrnn_task_check_ms(TASK, "delay_max_ms", p->delay_max_ms, p->dt_ms, 0)) ||
        (s = lrnn_task_check_ms(TASK, "stimulus2_ms", p->stimulus2_ms, p->dt_ms, 1)) ||
        (s = lrnn_task_check_ms(TASK, "decision_ms", p->decision_ms, p->dt_ms, 1)))
        return s;
    if (p->delay_min_ms > p->delay_max_ms)
        return lrnn_fail(LRNN_ERR_ARG, "romo task: delay_min_ms = %g is above delay_max_ms = %g",
                         p->delay_min_ms, p->delay_max_ms);
    if (!isfinite(p->f_middle) || !isfinite(p->f_span) || p->f_span <= 0.0)
        return lrnn_fail(LRNN_ERR_ARG,
                         "romo task: f_middle = %g must be finite and f_span = %g positive",
                         p->f_middle, p->f_span);
    if (p->n_pairs == 0 || p->n_pairs > LRNN_TASK_MAX_LEVELS)
        return lrnn_fail(LRNN_ERR_ARG, "romo task: %zu frequency pairs (need 1 to %d)", p->n_pairs,
                         LRNN_TASK_MAX_LEVELS);
    for (size_t k = 0; k < p->n_pairs; k++)
        if (!isfinite(p->f1[k]) || !isfinite(p->f2[k]) || p->f1[k] == p->f2[k])
            return lrnn_fail(LRNN_ERR_ARG,
                             "romo task: pair %zu (f1 = %g, f2 = %g) must be finite with "
                             "f1 != f2 (equal frequencies have no correct answer)",
                             k, p->f1[k], p->f2[k]);
    return LRNN_OK;
}

typedef struct timing {
    size_t stim1_begin, stim1_end, delay_min, delay_max, stim2_len, decision_len, T;
} timing;

static timing romo_timing(const lrnn_romo_params *p) {
    timing w;
    w.stim1_begin = lrnn_task_steps(p->fixation_ms, p->dt_ms);
    w.stim1_end = w.stim1_begin + lrnn_task_steps(p->stimulus1_ms, p->dt_ms);
    w.delay_min = lrnn_task_steps(p->delay_min_ms, p->dt_ms);
    w.delay_max = lrnn_task_steps(p->delay_max_ms, p->dt_ms);
    w.stim2_len = lrnn_task_steps(p->stimulus2_ms, p->dt_ms);
    w.decision_len = lrnn_task_steps(p->decision_ms, p->dt_ms);
    /* Fixed length with the longest delay; shorter delays end with noise-only steps. */
    w.T = w.stim1_end + w.delay_max + w.stim2_len + w.decision_len;
    return w;
}

lrnn_task_dims lrnn_romo_dims(const lrnn_romo_params *p) {
    return (lrnn_task_dims){.T = romo_timing(p).T, .U = 1, .O = 1};
}

lrnn_status lrnn_romo_generate(const lrnn_romo_params *p, uint64_t seed, size_t first_trial,
                               size_t n, double *inputs, double *targets, double *mask,
                               lrnn_task_trial *trials) {
    lrnn_status s = lrnn_romo_params_check(p);
    if (s) return s;
    const lrnn_task_dims d = lrnn_romo_dims(p);
    if ((s = lrnn_task_check_arrays(TASK, n, d, inputs, targets, mask))) return s;
    const timing w = romo_timing(p);
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) {
        double *x = inputs + i * d.T * d.U, *y = targets + i * d.T, *m = mask + i * d.T;
        lrnn_rng rng;
        int is_catch = lrnn_task_trial_begin(&rng, seed, first_trial + i, p->catch_fraction);
        double f1 = 0.0, f2 = 0.0;
        if (!is_catch) {
            size_t k = lrnn_rng_below(&rng, p->n_pairs);
            f1 = p->f1[k];
            f2 = p->f2[k];
        }
        /* Python's randint(min, max): both ends included. A catch trial draws a delay too so
         * that its mask window is set like the others' (spec 4: catch trials keep the mask;
         * the reference skips it for romo, leaving those trials out of the loss). */
        size_t delay = w.delay_min + lrnn_rng_below(&rng, w.delay_max - w.delay_min + 1);
        size_t stim2_begin = w.stim1_end + delay, stim2_end = stim2_begin + w.stim2_len;
        size_t decision_end = stim2_end + w.decision_len;
        double target = is_catch ? 0.0 : (f1 - f2) / p->f_span;
        lrnn_task_trial_clear(&rng, d.T, d.U, d.O, 1, p->noise_std, x, y, m);
        if (!is_catch) {
            lrnn_task_add(x, d.U, 0, w.stim1_begin, w.stim1_end, (f1 - p->f_middle) / p->f_span);
            lrnn_task_add(x, d.U, 0, stim2_begin, stim2_end, (f2 - p->f_middle) / p->f_span);
            lrnn_task_set(y, d.O, stim2_end, decision_end, target);
        }
        lrnn_task_set(m, d.O, stim2_end, decision_end, 1.0);
        if (trials)
            trials[i] = (lrnn_task_trial){.catch_trial = is_catch,
                                          .f1 = f1,
                                          .f2 = f2,
                                          .delay = delay,
                                          .target = target,
                                          .response_begin = stim2_end,
                                          .response_end = decision_end};
    }
    return LRNN_OK;
}

lrnn_status lrnn_romo_accuracy(const lrnn_romo_params *p, size_t n, const double *outputs,
                               const double *targets, const double *mask, double *accuracy) {
    lrnn_status s = lrnn_romo_params_check(p);
    if (s) return s;
    if (!mask) return lrnn_fail(LRNN_ERR_ARG, "romo accuracy: the mask is needed");
    /* accuracy_romo stacks the masked steps into equal chunks, which is right only when every
     * trial has as many decision steps (true for generated data); here each trial averages
     * over its own masked steps. */
    return lrnn_task_decision_accuracy(TASK, n, romo_timing(p).T, 1, outputs, targets, mask, 0,
                                       accuracy);
}
