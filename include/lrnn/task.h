/* Cognitive tasks for LINT teacher networks (spec lint_method.md section 4).
 *
 * Each task makes, for n trials, inputs (n x T x U), targets (n x T x O) and a mask
 * (n x T x O, 1 where the loss and the accuracy look), plus one condition label per trial.
 * All tasks have O = 1. Times are given in ms and discretised as floor(ms / dt) (spec 4,
 * common rules); dt = 20 ms and tau = 100 ms, so alpha = dt / tau = 0.2 (spec 0).
 *
 * Randomness: trial i (counted from 0 over the whole data set) draws everything it needs (catch
 * flag, condition, delay, input noise) from its own counter-based stream
 * lrnn_rng_init(seed, LRNN_TASK_RNG_PURPOSE, i, 0). So trial i is the same whatever n is, in
 * whichever chunk it is generated and for any number of threads.
 *
 * Tasks:
 *   rdm     perceptual decision making (spec 4.1), U = 1, T = 75
 *   romo    parametric working memory (4.2), U = 1, T = 120, graded target
 *   cdm     context-dependent decision making, Mante et al. (4.3), U = 4, T = 68
 *   dms     delayed match-to-sample (4.4), U = 2, T = 255
 *   raposo  multisensory decision making (4.5), U = 2, T = 75
 *
 * docs/tasks.md describes every channel, window, target and accuracy. */
#ifndef LRNN_TASK_H
#define LRNN_TASK_H

#include <stddef.h>
#include <stdint.h>

#include "lrnn/rng.h"
#include "lrnn/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* RNG purpose of task trials: "task" in ASCII, far from the purposes listed in rng.h so that
 * input noise never shares numbers with network noise drawn from the same seed. */
#define LRNN_TASK_RNG_PURPOSE ((lrnn_rng_purpose)0x7461736b)

/* Most coherence levels / frequency pairs a params struct holds. */
enum { LRNN_TASK_MAX_LEVELS = 64 };

typedef enum lrnn_task_kind {
    LRNN_TASK_RDM,
    LRNN_TASK_ROMO,
    LRNN_TASK_CDM,
    LRNN_TASK_DMS,
    LRNN_TASK_RAPOSO,
} lrnn_task_kind;

const char *lrnn_task_kind_name(lrnn_task_kind v); /* "rdm", "romo", "cdm", "dms", "raposo" */
/* Also accepts the reference's names: "dm" (rdm), "wm" (romo), "mante" / "ctx" (cdm). */
lrnn_status lrnn_task_kind_parse(const char *s, lrnn_task_kind *out);

/* Condition of one trial. Fields a task does not use are 0. */
typedef struct lrnn_task_trial {
    int catch_trial;       /* 1: noise-only inputs and zero target (mask still set) */
    double coherence;      /* rdm: coh; cdm: colour coherence; raposo: visual coherence */
    double coherence2;     /* cdm: motion coherence; raposo: auditory coherence */
    int context;           /* cdm: 1 colour, 2 motion; raposo modality: 1 visual, -1 auditory,
                              0 both */
    double f1, f2;         /* romo: the two frequencies (Hz) */
    int stim1, stim2;      /* dms: 0 = A, 1 = B */
    int match;             /* dms: 1 for A-A and B-B */
    size_t delay;          /* romo, dms: delay in steps */
    double target;         /* target value on the response window (0 for catch trials) */
    size_t response_begin; /* the mask window [response_begin, response_end) in steps */
    size_t response_end;
} lrnn_task_trial;

/* ---- per-task parameters (defaults: the reference's module constants) ---- */

typedef struct lrnn_rdm_params {
    double dt_ms, tau_ms; /* 20, 100 */
    double fixation_ms;   /* 100 */
    double stimulus_ms;   /* 800 */
    double delay_ms;      /* 300 */
    double decision_ms;   /* 300 */
    double scale;         /* 3.2: the stimulus adds coh * scale / 100 */
    double noise_std;     /* 0.03 */
    double catch_fraction;
    size_t n_coherences; /* 10: +-1, 2, 4, 8, 16 */
    double coherences[LRNN_TASK_MAX_LEVELS];
} lrnn_rdm_params;

typedef struct lrnn_romo_params {
    double dt_ms, tau_ms;              /* 20, 100 */
    double fixation_ms;                /* 100 */
    double stimulus1_ms;               /* 100 */
    double delay_min_ms, delay_max_ms; /* 500, 2000: delay steps uniform on the integers
                                          [floor(min/dt), floor(max/dt)] */
    double stimulus2_ms;               /* 100 */
    double decision_ms;                /* 100 */
    double f_middle, f_span;           /* 22, 24: inputs (f - f_middle) / f_span */
    double noise_std;                  /* 0.01 */
    double catch_fraction;
    size_t n_pairs; /* 54: (base, base + d), d in +-8, 16, 24, base in [max(10 - d, 10),
                       min(34, 34 - d)] */
    double f1[LRNN_TASK_MAX_LEVELS], f2[LRNN_TASK_MAX_LEVELS];
} lrnn_romo_params;

typedef struct lrnn_cdm_params {
    double dt_ms, tau_ms;   /* 20, 100 */
    double fixation_ms;     /* 100 */
    double context_only_ms; /* 350 */
    double stimulus_ms;     /* 800 */
    double delay_ms;        /* 100 */
    double decision_ms;     /* 20 */
    double scale;           /* 0.1: sensory channels add coh * scale */
    double scale_context;   /* 0.1: value of the active context channel */
    double noise_std;       /* 0.1, sensory channels only */
    double catch_fraction;
    size_t n_coherences; /* 6: +-1, 2, 4, drawn independently for colour and motion */
    double coherences[LRNN_TASK_MAX_LEVELS];
} lrnn_cdm_params;

typedef struct lrnn_dms_params {
    double dt_ms, tau_ms;              /* 20, 100 */
    double fixation_ms;                /* 100 */
    double stimulus1_ms;               /* 500 */
    double delay_min_ms, delay_max_ms; /* 500, 3000: delay steps floor(U(min, max) / dt) */
    double stimulus2_ms;               /* 500 */
    double decision_ms;                /* 1000 */
    double noise_std;                  /* 0.03 */
    double catch_fraction;
} lrnn_dms_params;

typedef struct lrnn_raposo_params {
    double dt_ms, tau_ms; /* 20, 100 */
    double fixation_ms;   /* 100 */
    double stimulus_ms;   /* 800 */
    double delay_ms;      /* 100 */
    double decision_ms;   /* 500 */
    double scale;         /* 0.1 */
    double noise_std;     /* 0.5 */
    double catch_fraction;
    size_t n_coherences; /* 8: +-1, 2, 4, 8 */
    double coherences[LRNN_TASK_MAX_LEVELS];
} lrnn_raposo_params;

/* Sizes of one task's arrays. */
typedef struct lrnn_task_dims {
    size_t T; /* steps per trial */
    size_t U; /* input channels */
    size_t O; /* output channels (1 for every task) */
} lrnn_task_dims;

lrnn_rdm_params lrnn_rdm_default_params(void);
lrnn_romo_params lrnn_romo_default_params(void);
lrnn_cdm_params lrnn_cdm_default_params(void);
lrnn_dms_params lrnn_dms_default_params(void);
lrnn_raposo_params lrnn_raposo_default_params(void);

/* CDM timings of the monkey-data fits (spec 4.3, data_loader_mante.py): dt 5 ms, fixation 0,
 * context-only 350, stimulus 650, delay 80, decision 20 (T = 220), scale = scale_context = 1,
 * no input noise. */
lrnn_cdm_params lrnn_cdm_monkey_params(void);

/* Validate: durations, noise and fractions finite and in range, a stimulus and a response
 * window of at least one step, nonzero coherences / f1 != f2 (a zero has no correct answer).
 * The message names the task and the field. */
lrnn_status lrnn_rdm_params_check(const lrnn_rdm_params *p);
lrnn_status lrnn_romo_params_check(const lrnn_romo_params *p);
lrnn_status lrnn_cdm_params_check(const lrnn_cdm_params *p);
lrnn_status lrnn_dms_params_check(const lrnn_dms_params *p);
lrnn_status lrnn_raposo_params_check(const lrnn_raposo_params *p);

/* Sizes (valid params only). */
lrnn_task_dims lrnn_rdm_dims(const lrnn_rdm_params *p);
lrnn_task_dims lrnn_romo_dims(const lrnn_romo_params *p);
lrnn_task_dims lrnn_cdm_dims(const lrnn_cdm_params *p);
lrnn_task_dims lrnn_dms_dims(const lrnn_dms_params *p);
lrnn_task_dims lrnn_raposo_dims(const lrnn_raposo_params *p);

/* Fill trials first_trial .. first_trial + n - 1 into caller-provided arrays of n x T x U
 * (inputs), n x T x O (targets, mask); trials (n labels) may be NULL. Checks the params. */
lrnn_status lrnn_rdm_generate(const lrnn_rdm_params *p, uint64_t seed, size_t first_trial, size_t n,
                              double *inputs, double *targets, double *mask,
                              lrnn_task_trial *trials);
lrnn_status lrnn_romo_generate(const lrnn_romo_params *p, uint64_t seed, size_t first_trial,
                               size_t n, double *inputs, double *targets, double *mask,
                               lrnn_task_trial *trials);
lrnn_status lrnn_cdm_generate(const lrnn_cdm_params *p, uint64_t seed, size_t first_trial, size_t n,
                              double *inputs, double *targets, double *mask,
                              lrnn_task_trial *trials);
lrnn_status lrnn_dms_generate(const lrnn_dms_params *p, uint64_t seed, size_t first_trial, size_t n,
                              double *inputs, double *targets, double *mask,
                              lrnn_task_trial *trials);
lrnn_status lrnn_raposo_generate(const lrnn_raposo_params *p, uint64_t seed, size_t first_trial,
                                 size_t n, double *inputs, double *targets, double *mask,
                                 lrnn_task_trial *trials);

/* CDM trials with given conditions (spec 4.3, generate_mante_data_from_conditions; used for
 * the monkey data): coh_a[i] on channel 0, coh_b[i] on channel 1; contexts[i] = 1 turns on
 * channel 2 with target sign(coh_a), -1 channel 3 with target sign(coh_b); the relevant
 * coherence must be nonzero. The labels' context is 1 (channel 2) or 2 (channel 3), as in
 * lrnn_cdm_generate. Input noise (if p->noise_std > 0) comes from trial first_trial + i's
 * stream; p->catch_fraction is ignored. */
lrnn_status lrnn_cdm_generate_conditions(const lrnn_cdm_params *p, uint64_t seed,
                                         size_t first_trial, size_t n, const double *coh_a,
                                         const double *coh_b, const int *contexts, double *inputs,
                                         double *targets, double *mask, lrnn_task_trial *trials);

/* Task accuracy on outputs (n x T x O) of a network, against the targets and mask the task
 * generated. Catch trials (target zero everywhere) are left out, as in the reference. A trial
 * is correct when sign(mean output) == sign(mean target) over its decision steps:
 *   rdm, cdm, raposo: every step t >= response begin (the reference's index_response);
 *   romo, dms: the steps with mask 1 of that trial.
 * Fails on NaN/Inf outputs (naming trial and step) and when no trial is a decision trial. */
lrnn_status lrnn_rdm_accuracy(const lrnn_rdm_params *p, size_t n, const double *outputs,
                              const double *targets, const double *mask, double *accuracy);
lrnn_status lrnn_romo_accuracy(const lrnn_romo_params *p, size_t n, const double *outputs,
                               const double *targets, const double *mask, double *accuracy);
lrnn_status lrnn_cdm_accuracy(const lrnn_cdm_params *p, size_t n, const double *outputs,
                              const double *targets, const double *mask, double *accuracy);
lrnn_status lrnn_dms_accuracy(const lrnn_dms_params *p, size_t n, const double *outputs,
                              const double *targets, const double *mask, double *accuracy);
lrnn_status lrnn_raposo_accuracy(const lrnn_raposo_params *p, size_t n, const double *outputs,
                                 const double *targets, const double *mask, double *accuracy);

/* ---- generic interface ---- */

typedef struct lrnn_task_params {
    lrnn_task_kind kind;
    double validation_fraction; /* 0.2: the last floor(n * fraction) trials validate */
    lrnn_rdm_params rdm;        /* only the member of `kind` is used */
    lrnn_romo_params romo;
    lrnn_cdm_params cdm;
    lrnn_dms_params dms;
    lrnn_raposo_params raposo;
} lrnn_task_params;

/* Every member at its defaults, kind set. */
lrnn_task_params lrnn_task_default_params(lrnn_task_kind kind);
lrnn_status lrnn_task_params_check(const lrnn_task_params *p);
/* Sizes of the task's arrays (checks the params). */
lrnn_status lrnn_task_dims_get(const lrnn_task_params *p, lrnn_task_dims *dims);
/* alpha = dt / tau of the task's time step (spec 0). */
double lrnn_task_alpha(const lrnn_task_params *p);
/* floor(ms / dt): the discretisation of every duration (spec 4). */
size_t lrnn_task_steps(double ms, double dt_ms);

/* A generated data set. Views made by lrnn_task_split share the parent's storage. */
typedef struct lrnn_task_data {
    size_t n, T, U, O;
    size_t first_trial;      /* global index of trial 0 (its RNG stream) */
    double *inputs;          /* n x T x U */
    double *targets;         /* n x T x O */
    double *mask;            /* n x T x O */
    lrnn_task_trial *trials; /* n */
    int owns;                /* 1: lrnn_task_data_free frees the arrays */
} lrnn_task_data;

/* Allocate and fill trials first_trial .. first_trial + n - 1. On failure *out is empty. */
lrnn_status lrnn_task_generate(const lrnn_task_params *p, uint64_t seed, size_t first_trial,
                               size_t n, lrnn_task_data *out);
void lrnn_task_data_free(lrnn_task_data *d);

/* Index where validation starts: n - floor(n * validation_fraction) (spec 4). */
size_t lrnn_task_split_index(size_t n, double validation_fraction);
/* Train (first trials) and validation (last floor(n * fraction)) views of d; no copy. */
lrnn_status lrnn_task_split(const lrnn_task_data *d, double validation_fraction,
                            lrnn_task_data *train, lrnn_task_data *val);

/* The task's accuracy of outputs (d->n x d->T x d->O) on the trials of d. */
lrnn_status lrnn_task_accuracy(const lrnn_task_params *p, const lrnn_task_data *d,
                               const double *outputs, double *accuracy);

/* sign(mean output) == sign(mean target) over decision steps, channel 0 of O, catch trials
 * (targets all zero) skipped: the steps t >= t_begin when mask is NULL, else the steps with
 * mask == 1. The rule behind every task's accuracy; `what` names the task in messages. */
lrnn_status lrnn_task_decision_accuracy(const char *what, size_t n, size_t T, size_t O,
                                        const double *outputs, const double *targets,
                                        const double *mask, size_t t_begin, double *accuracy);

/* Network noise of the LINT validation experiments (spec 7.1): the teacher's and the
 * student's sigma for evaluation, and the student's sigma in training. Raposo has no
 * experiment (LRNN_ERR_ARG). */
typedef struct lrnn_task_noise {
    double teacher_eval, student_eval, student_train;
} lrnn_task_noise;
lrnn_status lrnn_task_validation_noise(lrnn_task_kind kind, lrnn_task_noise *out);

#ifdef __cplusplus
}
#endif
#endif
