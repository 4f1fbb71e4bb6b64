/* Generative sampling (spec section 6), one independent RNG stream per trial.
 *
 * Per step, given (z_{s-1}, v_{s-1}): mu_s = transition(z_{s-1}, v_{s-1}); update the input
 * v_{s-1} -> v_s; z_s = mu_s + L_z eps; observe with (z_s, v_s) (spec 1.2 loop order). */
#include <stdlib.h>
#include <string.h>

#include "lrnn/rng.h"
#include "lrnn/sample.h"
#include "model/internal.h"

const char *lrnn_sample_init_name(lrnn_sample_init v) {
    return v == LRNN_SAMPLE_PRIOR_MEAN ? "prior_mean" : "prior_sample";
}

lrnn_status lrnn_sample_init_parse(const char *s, lrnn_sample_init *out) {
    if (s && !strcmp(s, "prior_sample")) *out = LRNN_SAMPLE_PRIOR_SAMPLE;
    else if (s && !strcmp(s, "prior_mean")) *out = LRNN_SAMPLE_PRIOR_MEAN;
    else
        return lrnn_fail(LRNN_ERR_ARG, "unknown initial state '%s' (choose from prior_sample, "
                                       "prior_mean)", s ? s : "");
    return LRNN_OK;
}

lrnn_sample_params lrnn_sample_default_params(void) {
    lrnn_sample_params p = {
        .trials = 1,
        .steps = 1000,
        .burn_in = 0,
        .init = LRNN_SAMPLE_PRIOR_SAMPLE,
        .seed = 1,
        .inputs = NULL,
    };
    return p;
}

lrnn_status lrnn_sample_params_check(const lrnn_sample_params *p, const lrnn_model *model) {
    if (p->trials == 0 || p->steps == 0)
        return lrnn_fail(LRNN_ERR_ARG, "sample: trials (%zu) and steps (%zu) must be positive",
                         p->trials, p->steps);
    const size_t limit = (size_t)1 << 40; /* elements of any one output */
    size_t width = (size_t)model->config.channels > (size_t)model->config.rank
                       ? (size_t)model->config.channels
                       : (size_t)model->config.rank;
    if (p->trials > limit / p->steps || p->trials * p->steps > limit / width)
        return lrnn_fail(LRNN_ERR_ARG, "sample: %zu trials x %zu steps x %zu is too large",
                         p->trials, p->steps, width);
    if (p->burn_in > limit)
        return lrnn_fail(LRNN_ERR_ARG, "sample: burn-in %zu is too large", p->burn_in);
    return LRNN_OK;
}

/* x <- mu + L eps for a lower-triangular d x d L. */
static void add_correlated_noise(lrnn_rng *rng, size_t d, const double *L, double *eps,
                                 double *x) {
    lrnn_rng_normal_fill(rng, eps, d);
    for (size_t i = 0; i < d; i++) {
        double acc = 0.0;
        for (size_t j = 0; j <= i; j++) acc += L[i * d + j] * eps[j];
        x[i] += acc;
    }
}

typedef struct trial_work {
    double *z, *z_prev, *v, *v_prev, *yhat, *eps, *units;
} trial_work;

static double *carve(double **cursor, size_t count) {
    double *p = *cursor;
    *cursor += count;
    return p;
}

static size_t trial_work_size(const lrnn_model_config *c) {
    size_t R = (size_t)c->rank, X = (size_t)c->channels, U = (size_t)c->inputs;
    size_t N = (size_t)c->units;
    return 2 * R + 2 * U + X + (X > R ? X : R) + N;
}

static trial_work trial_work_carve(const lrnn_model_config *c, double *block) {
    size_t R = (size_t)c->rank, X = (size_t)c->channels, U = (size_t)c->inputs;
    trial_work w;
    w.z = carve(&block, R);
    w.z_prev = carve(&block, R);
    w.v = carve(&block, U);
    w.v_prev = carve(&block, U);
    w.yhat = carve(&block, X);
    w.eps = carve(&block, X > R ? X : R);
    w.units = carve(&block, (size_t)c->units);
    return w;
}

/* The raw input u at simulation step s of a trial (zero during burn-in or without inputs). */
static void input_at(const lrnn_sample_params *p, size_t U, size_t b, size_t s, double *u) {
    if (!p->inputs || s < p->burn_in) {
        memset(u, 0, U * sizeof *u);
        return;
    }
    memcpy(u, p->inputs + (b * p->steps + (s - p->burn_in)) * U, U * sizeof *u);
}

static void observe(const lrnn_model *model, const lrnn_model_derived *d, lrnn_rng *rng,
                    trial_work *w, double *rates, double *obs) {
    const lrnn_model_config *c = &model->config;
    size_t X = (size_t)c->channels;
    lrnn_model_observation_mean(model, 1, w->z, w->v, w->yhat, w->units);
    if (rates) memcpy(rates, w->yhat, X * sizeof *rates);
    if (c->obs == LRNN_OBS_POISSON) {
        for (size_t i = 0; i < X; i++) {
            double count = lrnn_rng_poisson(rng, w->yhat[i]);
            if (obs) obs[i] = count;
        }
    } else if (d->L_x) {
        add_correlated_noise(rng, X, d->L_x, w->eps, w->yhat);
        if (obs) memcpy(obs, w->yhat, X * sizeof *obs);
    } else {
        for (size_t i = 0; i < X; i++) {
            double y = w->yhat[i] + d->std_x[i] * lrnn_rng_normal(rng);
            if (obs) obs[i] = y;
        }
    }
}

static void sample_trial(const lrnn_model *model, const lrnn_model_derived *d,
                         const lrnn_sample_params *p, size_t b, trial_work *w,
                         lrnn_sample_output *out) {
    const lrnn_model_config *c = &model->config;
    size_t R = (size_t)c->rank, X = (size_t)c->channels, U = (size_t)c->inputs;
    size_t total = p->burn_in + p->steps;
    /* Latent noise and observation noise come from two streams of the trial, so the latents
     * do not depend on which outputs are requested or on how many steps are burnt in. */
    lrnn_rng rng, obs_rng;
    lrnn_rng_init(&rng, p->seed, LRNN_RNG_SAMPLE, b, 0);
    lrnn_rng_init(&obs_rng, p->seed, LRNN_RNG_SAMPLE, b, 1);

    /* v_0 = 0 for filtered inputs, u_0 for direct inputs (spec 1.3; the reference passes the
     * raw u_0 in both cases, a quirk). */
    if (U > 0) {
        if (c->simulate_input) memset(w->v, 0, U * sizeof *w->v);
        else input_at(p, U, b, 0, w->v);
    }
    lrnn_model_initial_mean(model, d, U > 0 ? w->v : NULL, w->z);
    if (p->init == LRNN_SAMPLE_PRIOR_SAMPLE) add_correlated_noise(&rng, R, d->L_z0, w->eps, w->z);

    for (size_t s = 0;; s++) {
        if (s >= p->burn_in) {
            size_t t = s - p->burn_in, row = b * p->steps + t;
            if (out->latents) memcpy(out->latents + row * R, w->z, R * sizeof *w->z);
            observe(model, d, &obs_rng, w, out->rates ? out->rates + row * X : NULL,
                    out->observations ? out->observations + row * X : NULL);
        }
        if (s + 1 == total) break;
        memcpy(w->z_prev, w->z, R * sizeof *w->z);
        lrnn_model_transition_mean(model, d, 1, w->z_prev, U > 0 ? w->v : NULL, w->z, w->units);
        if (U > 0) {
            if (c->simulate_input) {
                /* v_s = a v_{s-1} + (1 - a) u_{s-1}, with the (scalar) latent decay. */
                input_at(p, U, b, s, w->v_prev);
                for (size_t j = 0; j < U; j++)
                    w->v[j] = d->a[0] * w->v[j] + (1.0 - d->a[0]) * w->v_prev[j];
            } else {
                input_at(p, U, b, s + 1, w->v);
            }
        }
        add_correlated_noise(&rng, R, d->L_z, w->eps, w->z);
    }
}

lrnn_status lrnn_model_sample(const lrnn_model *model, const lrnn_sample_params *p,
                              lrnn_sample_output *out) {
    lrnn_status s = lrnn_sample_params_check(p, model);
    if (s) return s;
    lrnn_model_derived d;
    if ((s = lrnn_model_derived_alloc(model, &d))) return s;
    if ((s = lrnn_model_derived_update(model, &d))) {
        lrnn_model_derived_free(&d);
        return s;
    }
    size_t per_trial = trial_work_size(&model->config);
    int failed = 0;
#pragma omp parallel
    {
        /* One workspace per thread, allocated before the trial loop. */
        double *block = malloc(per_trial * sizeof *block);
        if (!block) {
#pragma omp atomic write
            failed = 1;
        }
        trial_work w = {0};
        if (block) w = trial_work_carve(&model->config, block);
#pragma omp for schedule(static)
        for (size_t b = 0; b < p->trials; b++)
            if (block) sample_trial(model, &d, p, b, &w, out);
        free(block);
    }
    lrnn_model_derived_free(&d);
    if (failed) return lrnn_fail(LRNN_ERR_NOMEM, "sample: cannot allocate workspace");
    return LRNN_OK;
}
