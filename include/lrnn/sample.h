/* Generating data from a model (spec section 6). */
#ifndef LRNN_SAMPLE_H
#define LRNN_SAMPLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lrnn/model.h"
#include "lrnn/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum lrnn_sample_init {
    LRNN_SAMPLE_PRIOR_SAMPLE, /* z_0 ~ N(mu_0, Sigma_z0) */
    LRNN_SAMPLE_PRIOR_MEAN,   /* z_0 = mu_0 */
} lrnn_sample_init;

typedef struct lrnn_sample_params {
    size_t trials;  /* B */
    size_t steps;   /* T, kept steps per trial */
    size_t burn_in; /* steps simulated (with zero input) and discarded before the kept ones */
    lrnn_sample_init init;
    uint64_t seed;
    /* B x T x U inputs aligned with the kept steps, or NULL for zero input. During burn-in the
     * input is zero, so a given input sequence always drives the same kept steps (the
     * reference instead shifts its inputs into the burn-in). */
    const double *inputs;
} lrnn_sample_params;

const char *lrnn_sample_init_name(lrnn_sample_init v); /* "prior_sample", "prior_mean" */
lrnn_status lrnn_sample_init_parse(const char *s, lrnn_sample_init *out);

lrnn_sample_params lrnn_sample_default_params(void);
lrnn_status lrnn_sample_params_check(const lrnn_sample_params *p, const lrnn_model *model);

/* Caller-allocated outputs; any may be NULL to skip it. The random numbers drawn do not depend
 * on which outputs are requested, nor on the number of threads. */
typedef struct lrnn_sample_output {
    double *latents;      /* B x T x R */
    double *rates;        /* B x T x X: observation mean yhat (Poisson rate / Gaussian mean) */
    double *observations; /* B x T x X: Gaussian draw or Poisson counts */
} lrnn_sample_output;

/* Trials run in parallel (OpenMP) on independent streams keyed by (seed, trial). */
lrnn_status lrnn_model_sample(const lrnn_model *model, const lrnn_sample_params *p,
                              lrnn_sample_output *out);

#ifdef __cplusplus
}
#endif
#endif
