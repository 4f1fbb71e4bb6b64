/* Raposo: multisensory decision making (spec lint_method.md 4.5; no LINT experiment uses it).
 *
 *   steps     fixation [0, 5) | stimulus [5, 45) | delay [45, 50) | decision [50, 75)
 *   choice    +-1 uniform; modality uniform in {1 visual, 0 both, -1 auditory}
 *   inputs    channel 0 (visual, modality 1 or 0) and channel 1 (auditory, modality -1 or 0)
 *             add coh * scale on the stimulus, coh drawn independently per channel from the
 *             levels with the choice's sign; std xi on both channels
 *   target    the choice on the decision window; mask 1 there */
#include <math.h>

#include "lint/task_internal.h"
#include "lrnn/task.h"

static const char TASK[] = "raposo";

lrnn_raposo_params lrnn_raposo_default_params(void) {
    lrnn_raposo_params p = {
        .dt_ms = 20.0,
        .tau_ms = 100.0,
        .fixation_ms = 100.0,
        .stimulus_ms = 800.0,
        .delay_ms = 100.0,
        .decision_ms = 500.0,
        .scale = 0.1,
        .noise_std = 0.5,
        .catch_fraction = 0.0,
        .n_coherences = 8,
        .coherences = {-8, -4, -2, -1, 1, 2, 4, 8},
    };
    return p;
}

lrnn_status lrnn_raposo_params_check(const lrnn_raposo_params *p) {
    lrnn_status s;
    if ((s = lrnn_task_check_common(TASK, p->dt_ms, p->tau_ms, p->noise_std, p->catch_fraction)))
        return s;
    if ((s = lrnn_task_check_ms(TASK, "fixation_ms", p->fixation_ms, p->dt_ms, 0)) ||
        (s = lrnn_task_check_ms(TASK, "stimulus_ms", p->stimulus_ms, p->dt_ms, 1)) ||
        (s = lrnn_task_check_ms(TASK, "delay_ms", p->delay_ms, p->dt_ms, 0)) ||
        (s = lrnn_task_check_ms(TASK, "decision_ms", p->decision_ms, p->dt_ms, 1)))
        return s;
    if (!isfinite(p->scale) || p->scale <= 0.0)
        return lrnn_fail(LRNN_ERR_ARG, "raposo task: scale = %g must be positive and finite",
                         p->scale);
    return lrnn_task_check_levels(TASK, "coherences", p->n_coherences, p->coherences);
}

typedef struct timing {
    size_t stim_begin, stim_end, response_begin, T;
} timing;

static timing raposo_timing(const lrnn_raposo_params *p) {
    timing w;
    w.stim_begin = lrnn_task_steps(p->fixation_ms, p->dt_ms);
    w.stim_end = w.stim_begin + lrnn_task_steps(p->stimulus_ms, p->dt_ms);
    w.response_begin = w.stim_end + lrnn_task_steps(p->delay_ms, p->dt_ms);
    w.T = w.response_begin + lrnn_task_steps(p->decision_ms, p->dt_ms);
    return w;
}

lrnn_task_dims lrnn_raposo_dims(const lrnn_raposo_params *p) {
    return (lrnn_task_dims){.T = raposo_timing(p).T, .U = 2, .O = 1};
}

/* A level of sign `choice`, uniform among those levels (count of them given). */
static double draw_signed(lrnn_rng *rng, const lrnn_raposo_params *p, double choice, size_t count) {
    size_t k = lrnn_rng_below(rng, count);
    for (size_t j = 0; j < p->n_coherences; j++)
        if ((p->coherences[j] > 0.0) == (choice > 0.0) && k-- == 0) return p->coherences[j];
    return 0.0; /* not reached: count levels have that sign */
}

lrnn_status lrnn_raposo_generate(const lrnn_raposo_params *p, uint64_t seed, size_t first_trial,
                                 size_t n, double *inputs, double *targets, double *mask,
                                 lrnn_task_trial *trials) {
    lrnn_status s = lrnn_raposo_params_check(p);
    if (s) return s;
    const lrnn_task_dims d = lrnn_raposo_dims(p);
    if ((s = lrnn_task_check_arrays(TASK, n, d, inputs, targets, mask))) return s;
    const timing w = raposo_timing(p);
    size_t n_pos = 0;
    for (size_t j = 0; j < p->n_coherences; j++)
        n_pos += p->coherences[j] > 0.0;
    const size_t n_neg = p->n_coherences - n_pos;
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) {
        double *x = inputs + i * d.T * d.U, *y = targets + i * d.T, *m = mask + i * d.T;
        lrnn_rng rng;
        int is_catch = lrnn_task_trial_begin(&rng, seed, first_trial + i, p->catch_fraction);
        double choice = 0.0, visual = 0.0, auditory = 0.0;
        int modality = 0;
        if (!is_catch) {
            choice = lrnn_rng_below(&rng, 2) ? 1.0 : -1.0;
            if (n_pos == 0) choice = -1.0; /* only one sign available: that is the choice */
            if (n_neg == 0) choice = 1.0;
            modality = (int)lrnn_rng_below(&rng, 3) - 1;
            size_t count = choice > 0.0 ? n_pos : n_neg;
            if (modality >= 0) visual = draw_signed(&rng, p, choice, count);
            if (modality <= 0) auditory = draw_signed(&rng, p, choice, count);
        }
        lrnn_task_trial_clear(&rng, d.T, d.U, d.O, d.U, p->noise_std, x, y, m);
        if (!is_catch) {
            lrnn_task_add(x, d.U, 0, w.stim_begin, w.stim_end, visual * p->scale);
            lrnn_task_add(x, d.U, 1, w.stim_begin, w.stim_end, auditory * p->scale);
            lrnn_task_set(y, d.O, w.response_begin, d.T, choice);
        }
        lrnn_task_set(m, d.O, w.response_begin, d.T, 1.0);
        if (trials)
            trials[i] = (lrnn_task_trial){.catch_trial = is_catch,
                                          .coherence = visual,
                                          .coherence2 = auditory,
                                          .context = modality,
                                          .target = choice,
                                          .response_begin = w.response_begin,
                                          .response_end = d.T};
    }
    return LRNN_OK;
}

lrnn_status lrnn_raposo_accuracy(const lrnn_raposo_params *p, size_t n, const double *outputs,
                                 const double *targets, const double *mask, double *accuracy) {
    (void)mask; /* as accuracy_rdm: every step from response_begin on */
    lrnn_status s = lrnn_raposo_params_check(p);
    if (s) return s;
    timing w = raposo_timing(p);
    return lrnn_task_decision_accuracy(TASK, n, w.T, 1, outputs, targets, NULL, w.response_begin,
                                       accuracy);
}
