/* CDM: context-dependent decision making, Mante et al. 2013 (spec lint_method.md 4.3).
 *
 *   steps    fixation [0, 5) | context only [5, 22) | stimulus [22, 62) | delay [62, 67)
 *            | decision [67, 68)
 *   inputs   channel 0 (colour) = std xi + coh_colour * scale on the stimulus,
 *            channel 1 (motion) = std xi + coh_motion * scale on the stimulus,
 *            channel 1 + c = scale_context on [5, 67) for context c in {1, 2}, no noise
 *   target   sign(coh_colour) in context 1, sign(coh_motion) in context 2, on the decision
 *            window; mask 1 there */
#include <math.h>

#include "lint/task_internal.h"
#include "lrnn/task.h"

static const char TASK[] = "cdm";
enum { CDM_U = 4, CDM_NOISY = 2 }; /* only the sensory channels carry noise */

lrnn_cdm_params lrnn_cdm_default_params(void) {
    lrnn_cdm_params p = {
        .dt_ms = 20.0,
        .tau_ms = 100.0,
        .fixation_ms = 100.0,
        .context_only_ms = 350.0,
        .stimulus_ms = 800.0,
        .delay_ms = 100.0,
        .decision_ms = 20.0,
        .scale = 0.1,
        .scale_context = 0.1,
        .noise_std = 0.1,
        .catch_fraction = 0.0,
        .n_coherences = 6,
        .coherences = {-4, -2, -1, 1, 2, 4},
    };
    return p;
}

lrnn_cdm_params lrnn_cdm_monkey_params(void) {
    /* data_loader_mante.py: 70 + 130 + 16 + 4 = 220 steps of 5 ms. */
    lrnn_cdm_params p = lrnn_cdm_default_params();
    p.dt_ms = 5.0;
    p.tau_ms = 25.0; /* alpha stays 0.2 (spec 0) */
    p.fixation_ms = 0.0;
    p.context_only_ms = 350.0;
    p.stimulus_ms = 650.0;
    p.delay_ms = 80.0;
    p.decision_ms = 20.0;
    p.scale = 1.0;
    p.scale_context = 1.0;
    p.noise_std = 0.0;
    return p;
}

lrnn_status lrnn_cdm_params_check(const lrnn_cdm_params *p) {
    lrnn_status s;
    if ((s = lrnn_task_check_common(TASK, p->dt_ms, p->tau_ms, p->noise_std, p->catch_fraction)))
        return s;
    if ((s = lrnn_task_check_ms(TASK, "fixation_ms", p->fixation_ms, p->dt_ms, 0)) ||
        (s = lrnn_task_check_ms(TASK, "context_only_ms", p->context_only_ms, p->dt_ms, 0)) ||
        (s = lrnn_task_check_ms(TASK, "stimulus_ms", p->stimulus_ms, p->dt_ms, 1)) ||
        (s = lrnn_task_check_ms(TASK, "delay_ms", p->delay_ms, p->dt_ms, 0)) ||
        (s = lrnn_task_check_ms(TASK, "decision_ms", p->decision_ms, p->dt_ms, 1)))
        return s;
    if (!isfinite(p->scale) || p->scale <= 0.0)
        return lrnn_fail(LRNN_ERR_ARG, "cdm task: scale = %g must be positive and finite",
                         p->scale);
    if (!isfinite(p->scale_context) || p->scale_context <= 0.0)
        return lrnn_fail(LRNN_ERR_ARG, "cdm task: scale_context = %g must be positive and finite",
                         p->scale_context);
    return lrnn_task_check_levels(TASK, "coherences", p->n_coherences, p->coherences);
}

typedef struct timing {
    size_t context_begin, stim_begin, stim_end, response_begin, T;
} timing;

static timing cdm_timing(const lrnn_cdm_params *p) {
    timing w;
    w.context_begin = lrnn_task_steps(p->fixation_ms, p->dt_ms);
    w.stim_begin = w.context_begin + lrnn_task_steps(p->context_only_ms, p->dt_ms);
    w.stim_end = w.stim_begin + lrnn_task_steps(p->stimulus_ms, p->dt_ms);
    w.response_begin = w.stim_end + lrnn_task_steps(p->delay_ms, p->dt_ms);
    w.T = w.response_begin + lrnn_task_steps(p->decision_ms, p->dt_ms);
    return w;
}

lrnn_task_dims lrnn_cdm_dims(const lrnn_cdm_params *p) {
    return (lrnn_task_dims){.T = cdm_timing(p).T, .U = CDM_U, .O = 1};
}

/* Stimulus, context and target of one non-catch trial; context 1 reads channel 0, 2 reads
 * channel 1. */
static void cdm_fill(const lrnn_cdm_params *p, const timing *w, double coh0, double coh1,
                     int context, double *x, double *y) {
    lrnn_task_add(x, CDM_U, 0, w->stim_begin, w->stim_end, coh0 * p->scale);
    lrnn_task_add(x, CDM_U, 1, w->stim_begin, w->stim_end, coh1 * p->scale);
    lrnn_task_add(x, CDM_U, (size_t)(1 + context), w->context_begin, w->response_begin,
                  p->scale_context);
    lrnn_task_set(y, 1, w->response_begin, w->T, lrnn_task_hilo(context == 1 ? coh0 : coh1));
}

lrnn_status lrnn_cdm_generate(const lrnn_cdm_params *p, uint64_t seed, size_t first_trial, size_t n,
                              double *inputs, double *targets, double *mask,
                              lrnn_task_trial *trials) {
    lrnn_status s = lrnn_cdm_params_check(p);
    if (s) return s;
    const lrnn_task_dims d = lrnn_cdm_dims(p);
    if ((s = lrnn_task_check_arrays(TASK, n, d, inputs, targets, mask))) return s;
    const timing w = cdm_timing(p);
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) {
        double *x = inputs + i * d.T * d.U, *y = targets + i * d.T, *m = mask + i * d.T;
        lrnn_rng rng;
        int is_catch = lrnn_task_trial_begin(&rng, seed, first_trial + i, p->catch_fraction);
        double colour = 0.0, motion = 0.0;
        int context = 0;
        if (!is_catch) { /* the reference's order: colour, motion, context */
            colour = p->coherences[lrnn_rng_below(&rng, p->n_coherences)];
            motion = p->coherences[lrnn_rng_below(&rng, p->n_coherences)];
            context = 1 + (int)lrnn_rng_below(&rng, 2);
        }
        lrnn_task_trial_clear(&rng, d.T, d.U, d.O, CDM_NOISY, p->noise_std, x, y, m);
        if (!is_catch) cdm_fill(p, &w, colour, motion, context, x, y);
        lrnn_task_set(m, d.O, w.response_begin, d.T, 1.0);
        if (trials)
            trials[i] = (lrnn_task_trial){.catch_trial = is_catch,
                                          .coherence = colour,
                                          .coherence2 = motion,
                                          .context = context,
                                          .target = y[d.T - 1],
                                          .response_begin = w.response_begin,
                                          .response_end = d.T};
    }
    return LRNN_OK;
}

lrnn_status lrnn_cdm_generate_conditions(const lrnn_cdm_params *p, uint64_t seed,
                                         size_t first_trial, size_t n, const double *coh_a,
                                         const double *coh_b, const int *contexts, double *inputs,
                                         double *targets, double *mask, lrnn_task_trial *trials) {
    lrnn_status s = lrnn_cdm_params_check(p);
    if (s) return s;
    const lrnn_task_dims d = lrnn_cdm_dims(p);
    if ((s = lrnn_task_check_arrays(TASK, n, d, inputs, targets, mask))) return s;
    if (n > 0 && (!coh_a || !coh_b || !contexts))
        return lrnn_fail(LRNN_ERR_ARG, "cdm conditions: NULL coherence or context array");
    for (size_t i = 0; i < n; i++) {
        if (contexts[i] != 1 && contexts[i] != -1)
            return lrnn_fail(LRNN_ERR_ARG, "cdm conditions: context[%zu] = %d (need 1 or -1)", i,
                             contexts[i]);
        double relevant = contexts[i] == 1 ? coh_a[i] : coh_b[i];
        if (!isfinite(coh_a[i]) || !isfinite(coh_b[i]) || relevant == 0.0)
            return lrnn_fail(LRNN_ERR_ARG,
                             "cdm conditions: trial %zu has coherences (%g, %g) in context %d: "
                             "both must be finite and the relevant one nonzero",
                             i, coh_a[i], coh_b[i], contexts[i]);
    }
    const timing w = cdm_timing(p);
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) {
        double *x = inputs + i * d.T * d.U, *y = targets + i * d.T, *m = mask + i * d.T;
        lrnn_rng rng;
        lrnn_rng_init(&rng, seed, LRNN_TASK_RNG_PURPOSE, first_trial + i, 0);
        int context = contexts[i] == 1 ? 1 : 2; /* channel 2 or 3 */
        lrnn_task_trial_clear(&rng, d.T, d.U, d.O, CDM_NOISY, p->noise_std, x, y, m);
        cdm_fill(p, &w, coh_a[i], coh_b[i], context, x, y);
        lrnn_task_set(m, d.O, w.response_begin, d.T, 1.0);
        if (trials)
            trials[i] = (lrnn_task_trial){.coherence = coh_a[i],
                                          .coherence2 = coh_b[i],
                                          .context = context,
                                          .target = y[d.T - 1],
                                          .response_begin = w.response_begin,
                                          .response_end = d.T};
    }
    return LRNN_OK;
}

lrnn_status lrnn_cdm_accuracy(const lrnn_cdm_params *p, size_t n, const double *outputs,
                              const double *targets, const double *mask, double *accuracy) {
    (void)mask; /* accuracy_mante reads every step from response_begin on */
    lrnn_status s = lrnn_cdm_params_check(p);
    if (s) return s;
    timing w = cdm_timing(p);
    return lrnn_task_decision_accuracy(TASK, n, w.T, 1, outputs, targets, NULL, w.response_begin,
                                       accuracy);
}
