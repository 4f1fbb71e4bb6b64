/* RDM: perceptual decision making (spec lint_method.md 4.1).
 *
 *   steps   fixation [0, 5) | stimulus [5, 45) | delay [45, 60) | decision [60, 75)
 *   input   u_t = std xi_t + coh * scale / 100 on the stimulus,  coh uniform on the levels
 *   target  sign(coh) on the decision window, mask 1 there */
#include <math.h>

#include "lint/task_internal.h"
#include "lrnn/task.h"

static const char TASK[] = "rdm";

lrnn_rdm_params lrnn_rdm_default_params(void) {
    lrnn_rdm_params p = {
        .dt_ms = 20.0,
        .tau_ms = 100.0,
        .fixation_ms = 100.0,
        .stimulus_ms = 800.0,
        .delay_ms = 300.0,
        .decision_ms = 300.0,
        .scale = 3.2,
        .noise_std = 0.03,
        .catch_fraction = 0.0,
        .n_coherences = 10,
        .coherences = {-16, -8, -4, -2, -1, 1, 2, 4, 8, 16},
    };
    return p;
}

lrnn_status lrnn_rdm_params_check(const lrnn_rdm_params *p) {
    lrnn_status s;
    if ((s = lrnn_task_check_common(TASK, p->dt_ms, p->tau_ms, p->noise_std, p->catch_fraction)))
        return s;
    if ((s = lrnn_task_check_ms(TASK, "fixation_ms", p->fixation_ms, p->dt_ms, 0)) ||
        (s = lrnn_task_check_ms(TASK, "stimulus_ms", p->stimulus_ms, p->dt_ms, 1)) ||
        (s = lrnn_task_check_ms(TASK, "delay_ms", p->delay_ms, p->dt_ms, 0)) ||
        (s = lrnn_task_check_ms(TASK, "decision_ms", p->decision_ms, p->dt_ms, 1)))
        return s;
    if (!isfinite(p->scale) || p->scale <= 0.0)
        return lrnn_fail(LRNN_ERR_ARG, "rdm task: scale = %g must be positive and finite",
                         p->scale);
    return lrnn_task_check_levels(TASK, "coherences", p->n_coherences, p->coherences);
}

typedef struct timing {
    size_t stim_begin, stim_end, response_begin, T;
} timing;

static timing rdm_timing(const lrnn_rdm_params *p) {
    timing w;
    w.stim_begin = lrnn_task_steps(p->fixation_ms, p->dt_ms);
    w.stim_end = w.stim_begin + lrnn_task_steps(p->stimulus_ms, p->dt_ms);
    w.response_begin = w.stim_end + lrnn_task_steps(p->delay_ms, p->dt_ms);
    w.T = w.response_begin + lrnn_task_steps(p->decision_ms, p->dt_ms);
    return w;
}

lrnn_task_dims lrnn_rdm_dims(const lrnn_rdm_params *p) {
    return (lrnn_task_dims){.T = rdm_timing(p).T, .U = 1, .O = 1};
}

lrnn_status lrnn_rdm_generate(const lrnn_rdm_params *p, uint64_t seed, size_t first_trial, size_t n,
                              double *inputs, double *targets, double *mask,
                              lrnn_task_trial *trials) {
    lrnn_status s = lrnn_rdm_params_check(p);
    if (s) return s;
    const lrnn_task_dims d = lrnn_rdm_dims(p);
    if ((s = lrnn_task_check_arrays(TASK, n, d, inputs, targets, mask))) return s;
    const timing w = rdm_timing(p);
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) {
        double *x = inputs + i * d.T * d.U, *y = targets + i * d.T, *m = mask + i * d.T;
        lrnn_rng rng;
        int is_catch = lrnn_task_trial_begin(&rng, seed, first_trial + i, p->catch_fraction);
        double coh = 0.0, target = 0.0;
        if (!is_catch) {
            coh = p->coherences[lrnn_rng_below(&rng, p->n_coherences)];
            target = lrnn_task_hilo(coh);
        }
        lrnn_task_trial_clear(&rng, d.T, d.U, d.O, 1, p->noise_std, x, y, m);
        if (!is_catch) {
            lrnn_task_add(x, d.U, 0, w.stim_begin, w.stim_end, coh * p->scale / 100.0);
            lrnn_task_set(y, d.O, w.response_begin, d.T, target);
        }
        lrnn_task_set(m, d.O, w.response_begin, d.T, 1.0);
        if (trials)
            trials[i] = (lrnn_task_trial){.catch_trial = is_catch,
                                          .coherence = coh,
                                          .target = target,
                                          .response_begin = w.response_begin,
                                          .response_end = d.T};
    }
    return LRNN_OK;
}

lrnn_status lrnn_rdm_accuracy(const lrnn_rdm_params *p, size_t n, const double *outputs,
                              const double *targets, const double *mask, double *accuracy) {
    (void)mask; /* accuracy_rdm reads every step from index_response on */
    lrnn_status s = lrnn_rdm_params_check(p);
    if (s) return s;
    timing w = rdm_timing(p);
    return lrnn_task_decision_accuracy(TASK, n, w.T, 1, outputs, targets, NULL, w.response_begin,
                                       accuracy);
}
