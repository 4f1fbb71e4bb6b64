/* DMS: delayed match-to-sample (spec lint_method.md 4.4).
 *
 *   steps   fixation [0, 5) | stim1 [5, 30) | delay d = floor(U(500, 3000) / 20) in [25, 149]
 *           | stim2 [30+d, 55+d) | decision [55+d, 105+d) | noise only up to T = 255
 *   inputs  stimulus A adds (1, 0), B adds (0, 1) to the two channels, plus std xi
 *   target  +1 for A-A and B-B (match), -1 for A-B and B-A, on the decision window; mask 1
 *           there */
#include <math.h>

#include "lint/task_internal.h"
#include "lrnn/task.h"

static const char TASK[] = "dms";

lrnn_dms_params lrnn_dms_default_params(void) {
    lrnn_dms_params p = {
        .dt_ms = 20.0,
        .tau_ms = 100.0,
        .fixation_ms = 100.0,
        .stimulus1_ms = 500.0,
        .delay_min_ms = 500.0,
        .delay_max_ms = 3000.0,
        .stimulus2_ms = 500.0,
        .decision_ms = 1000.0,
        .noise_std = 0.03,
        .catch_fraction = 0.0,
    };
    return p;
}

lrnn_status lrnn_dms_params_check(const lrnn_dms_params *p) {
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
        return lrnn_fail(LRNN_ERR_ARG, "dms task: delay_min_ms = %g is above delay_max_ms = %g",
                         p->delay_min_ms, p->delay_max_ms);
    return LRNN_OK;
}

typedef struct timing {
    size_t stim1_begin, stim1_end, delay_max, stim2_len, decision_len, T;
} timing;

static timing dms_timing(const lrnn_dms_params *p) {
    timing w;
    w.stim1_begin = lrnn_task_steps(p->fixation_ms, p->dt_ms);
    w.stim1_end = w.stim1_begin + lrnn_task_steps(p->stimulus1_ms, p->dt_ms);
    w.delay_max = lrnn_task_steps(p->delay_max_ms, p->dt_ms);
    w.stim2_len = lrnn_task_steps(p->stimulus2_ms, p->dt_ms);
    w.decision_len = lrnn_task_steps(p->decision_ms, p->dt_ms);
    w.T = w.stim1_end + w.delay_max + w.stim2_len + w.decision_len;
    return w;
}

lrnn_task_dims lrnn_dms_dims(const lrnn_dms_params *p) {
    return (lrnn_task_dims){.T = dms_timing(p).T, .U = 2, .O = 1};
}

lrnn_status lrnn_dms_generate(const lrnn_dms_params *p, uint64_t seed, size_t first_trial, size_t n,
                              double *inputs, double *targets, double *mask,
                              lrnn_task_trial *trials) {
    lrnn_status s = lrnn_dms_params_check(p);
    if (s) return s;
    const lrnn_task_dims d = lrnn_dms_dims(p);
    if ((s = lrnn_task_check_arrays(TASK, n, d, inputs, targets, mask))) return s;
    const timing w = dms_timing(p);
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) {
        double *x = inputs + i * d.T * d.U, *y = targets + i * d.T, *m = mask + i * d.T;
        lrnn_rng rng;
        int is_catch = lrnn_task_trial_begin(&rng, seed, first_trial + i, p->catch_fraction);
        int stim1 = 0, stim2 = 0, match = 0;
        if (!is_catch) { /* types A-A, A-B, B-A, B-B uniform; 0 = A, 1 = B */
            int type = (int)lrnn_rng_below(&rng, 4);
            stim1 = type / 2;
            stim2 = type % 2;
            match = stim1 == stim2;
        }
        /* A real uniform delay in ms, then floor (numpy uniform; spec 4.4); u < 1, so the
         * delay is at most floor(max / dt) steps, the length T is built for. A catch trial
         * draws one too, so that its mask is set like the others' (spec 4). */
        double u = lrnn_rng_uniform(&rng);
        double delay_ms = p->delay_min_ms + u * (p->delay_max_ms - p->delay_min_ms);
        size_t delay = lrnn_task_steps(delay_ms, p->dt_ms);
        if (delay > w.delay_max) delay = w.delay_max;
        size_t stim2_begin = w.stim1_end + delay, stim2_end = stim2_begin + w.stim2_len;
        size_t decision_end = stim2_end + w.decision_len;
        double target = is_catch ? 0.0 : match ? 1.0 : -1.0;
        lrnn_task_trial_clear(&rng, d.T, d.U, d.O, d.U, p->noise_std, x, y, m);
        if (!is_catch) {
            lrnn_task_add(x, d.U, (size_t)stim1, w.stim1_begin, w.stim1_end, 1.0);
            lrnn_task_add(x, d.U, (size_t)stim2, stim2_begin, stim2_end, 1.0);
            lrnn_task_set(y, d.O, stim2_end, decision_end, target);
        }
        lrnn_task_set(m, d.O, stim2_end, decision_end, 1.0);
        if (trials)
            trials[i] = (lrnn_task_trial){.catch_trial = is_catch,
                                          .stim1 = stim1,
                                          .stim2 = stim2,
                                          .match = match,
                                          .delay = delay,
                                          .target = target,
                                          .response_begin = stim2_end,
                                          .response_end = decision_end};
    }
    return LRNN_OK;
}

lrnn_status lrnn_dms_accuracy(const lrnn_dms_params *p, size_t n, const double *outputs,
                              const double *targets, const double *mask, double *accuracy) {
    lrnn_status s = lrnn_dms_params_check(p);
    if (s) return s;
    if (!mask) return lrnn_fail(LRNN_ERR_ARG, "dms accuracy: the mask is needed");
    /* As for romo: each trial averages over its own masked steps (accuracy_dms's equal-chunk
     * stacking assumes equal decision lengths). */
    return lrnn_task_decision_accuracy(TASK, n, dms_timing(p).T, 1, outputs, targets, mask, 0,
                                       accuracy);
}
