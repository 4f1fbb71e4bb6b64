/* Posterior summaries from the recorded particle filter: filtering means, ancestral paths, the
 * K^2 forward filtering-backward smoother (FFBSm means, FFBSi trajectories) and n-step
 * predictions (lrnn/posterior.h; spec smc_rnn_method.md §3.7; docs/posterior.md). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "lrnn/posterior.h"
#include "lrnn/rng.h"

/* Key of the backward-simulation and path streams: (seed, RESAMPLE, trial, PATH_KEY + draw),
 * far from the filter's own keys. */
#define PATH_KEY ((uint64_t)1 << 62)

lrnn_posterior_params lrnn_posterior_default_params(void) {
    lrnn_posterior_params p = {.smc = lrnn_smc_default_params(),
                               .smooth = false,
                               .samples = 0,
                               .predict_steps = 0,
                               .threads = 0};
    p.smc.particles = 64;
    return p;
}

lrnn_status lrnn_posterior_params_check(const lrnn_posterior_params *p,
                                        const lrnn_model_config *c) {
    lrnn_status s = lrnn_smc_params_check(&p->smc, c);
    if (s) return s;
    if (p->samples < 0 || p->samples > 100000)
        return lrnn_fail(LRNN_ERR_ARG, "posterior: samples %d out of range [0, 100000]",
                         p->samples);
    if (p->predict_steps < 0 || p->predict_steps > 1000000)
        return lrnn_fail(LRNN_ERR_ARG, "posterior: predict_steps %d out of range",
                         p->predict_steps);
    return LRNN_OK;
}

/* Per-thread scratch for one trial (sizes from the handle's maxima). */
typedef struct trial_work {
    double *v;                        /* T x U  inputs v_t of the trial (spec 1.2) */
    double *vrep;                     /* K x U  v_t repeated for the row-batched model calls */
    double *mu;                       /* K x R  transition means mu(z_t^k, v_t) */
    double *units;                    /* K x N */
    double *yhat;                     /* K x X */
    double *logf;                     /* K x K  log f(z_{t+1}^j | z_t^k) up to a constant, row j */
    double *wcur, *wnext, *cj, *prob; /* K */
    double *zp, *zq;                  /* K x R  particles propagated by the predictor */
    double *diff;                     /* R */
    int *idx;                         /* S */
} trial_work;

struct lrnn_posterior {
    lrnn_posterior_params p;
    size_t max_B, max_T, K, R, X, U, N;
    int threads;
    lrnn_smc *smc;
    lrnn_model_derived d;
    double *Linv; /* R x R inverse of the Cholesky factor of Sigma_z */
    double *z, *logw;
    int *anc;
    double *block; /* threads x per-thread doubles */
    int *iblock;
    trial_work *work;
};

static size_t work_doubles(const lrnn_posterior *q) {
    size_t K = q->K, R = q->R;
    return q->max_T * q->U + K * q->U + K * R + K * q->N + K * q->X + K * K + 4 * K + 2 * K * R + R;
}

static double *carve(double **cursor, size_t n) {
    double *p = *cursor;
    *cursor += n;
    return p;
}

void lrnn_posterior_free(lrnn_posterior *q) {
    if (!q) return;
    lrnn_smc_free(q->smc);
    lrnn_model_derived_free(&q->d);
    free(q->Linv), free(q->z), free(q->logw), free(q->anc), free(q->block), free(q->iblock);
    free(q->work);
    free(q);
}

lrnn_status lrnn_posterior_create(const lrnn_model *model, const lrnn_posterior_params *p,
                                  size_t max_B, size_t max_T, lrnn_posterior **out) {
    *out = NULL;
    const lrnn_model_config *c = lrnn_model_config_of(model);
    lrnn_status s = lrnn_posterior_params_check(p, c);
    if (s) return s;
    if (max_B == 0 || max_T == 0)
        return lrnn_fail(LRNN_ERR_ARG, "posterior: batch %zu x %zu must be non-empty", max_B,
                         max_T);
    lrnn_posterior *q = calloc(1, sizeof *q);
    if (!q) return lrnn_fail(LRNN_ERR_NOMEM, "posterior: out of memory");
    q->p = *p;
    q->max_B = max_B, q->max_T = max_T, q->K = (size_t)p->smc.particles;
    q->R = (size_t)c->rank, q->X = (size_t)c->channels, q->U = (size_t)c->inputs;
    q->N = (size_t)c->units;
#ifdef _OPENMP
    q->threads = p->threads > 0 ? p->threads : omp_get_max_threads();
#else
    q->threads = 1;
#endif
    size_t K = q->K, R = q->R, cells = max_B * max_T * K;
    if ((s = lrnn_smc_create(model, &p->smc, max_T, p->threads, &q->smc)) ||
        (s = lrnn_model_derived_alloc(model, &q->d))) {
        lrnn_posterior_free(q);
        return s;
    }
    size_t per = work_doubles(q), S = (size_t)(p->samples > 0 ? p->samples : 1);
    q->Linv = malloc(R * R * sizeof *q->Linv);
    q->z = malloc(cells * R * sizeof *q->z);
    q->logw = malloc(cells * sizeof *q->logw);
    q->anc = malloc(cells * sizeof *q->anc);
    q->block = malloc((size_t)q->threads * per * sizeof *q->block);
    q->iblock = malloc((size_t)q->threads * S * sizeof *q->iblock);
    q->work = calloc((size_t)q->threads, sizeof *q->work);
    if (!q->Linv || !q->z || !q->logw || !q->anc || !q->block || !q->iblock || !q->work) {
        lrnn_posterior_free(q);
        return lrnn_fail(LRNN_ERR_NOMEM,
                         "posterior: cannot allocate the record of %zu trials x %zu steps x %zu "
                         "particles",
                         max_B, max_T, K);
    }
    for (int th = 0; th < q->threads; th++) {
        double *cur = q->block + (size_t)th * per;
        trial_work *w = &q->work[th];
        w->v = carve(&cur, max_T * q->U);
        w->vrep = carve(&cur, K * q->U);
        w->mu = carve(&cur, K * R);
        w->units = carve(&cur, K * q->N);
        w->yhat = carve(&cur, K * q->X);
        w->logf = carve(&cur, K * K);
        w->wcur = carve(&cur, K), w->wnext = carve(&cur, K), w->cj = carve(&cur, K);
        w->prob = carve(&cur, K);
        w->zp = carve(&cur, K * R), w->zq = carve(&cur, K * R);
        w->diff = carve(&cur, R);
        w->idx = q->iblock + (size_t)th * S;
    }
    *out = q;
    return LRNN_OK;
}

/* ---- helpers ---- */

/* Index k drawn with probability proportional to exp(lw_k); prob: K scratch. */
static size_t draw_index(lrnn_rng *rng, const double *lw, size_t K, double *prob) {
    double m = -INFINITY, total = 0.0;
    for (size_t k = 0; k < K; k++)
        if (lw[k] > m) m = lw[k];
    for (size_t k = 0; k < K; k++)
        total += prob[k] = exp(lw[k] - m);
    double u = lrnn_rng_uniform(rng) * total, acc = 0.0;
    for (size_t k = 0; k < K; k++) {
        acc += prob[k];
        if (u < acc && prob[k] > 0.0) return k;
    }
    for (size_t k = K; k-- > 0;) /* round-off: the last particle with positive weight */
        if (prob[k] > 0.0) return k;
    return 0;
}

/* Index k drawn with probability proportional to p_k >= 0 (not all zero). */
static size_t draw_linear(lrnn_rng *rng, const double *p, size_t K) {
    double total = 0.0, acc = 0.0;
    for (size_t k = 0; k < K; k++)
        total += p[k];
    double u = lrnn_rng_uniform(rng) * total;
    for (size_t k = 0; k < K; k++) {
        acc += p[k];
        if (u < acc && p[k] > 0.0) return k;
    }
    for (size_t k = K; k-- > 0;) /* round-off: the last positive entry */
        if (p[k] > 0.0) return k;
    return 0;
}

/* v_t of one trial (spec 1.2): direct, or v_0 = 0, v_t = a v_{t-1} + (1 - a) u_{t-1}. */
static void trial_inputs(const lrnn_model_config *c, const lrnn_model_derived *d, const double *u,
                         size_t T, size_t U, double *v) {
    for (size_t t = 0; t < T; t++)
        for (size_t j = 0; j < U; j++)
            v[t * U + j] =
                !c->simulate_input ? u[t * U + j]
                : t == 0           ? 0.0
                         : d->a[0] * v[(t - 1) * U + j] + (1.0 - d->a[0]) * u[(t - 1) * U + j];
}

static const double *repeat_input(const trial_work *w, const double *v, size_t K, size_t U) {
    if (U == 0) return NULL;
    for (size_t k = 0; k < K; k++)
        memcpy(w->vrep + k * U, v, U * sizeof *v);
    return w->vrep;
}

/* out[r] = sum_k exp(lw_k) x_k[r] (x: K x n). */
static void weighted_mean(const double *lw, const double *x, size_t K, size_t n, double *out) {
    memset(out, 0, n * sizeof *out);
    for (size_t k = 0; k < K; k++) {
        double w = exp(lw[k]);
        if (w == 0.0) continue;
        for (size_t r = 0; r < n; r++)
            out[r] += w * x[k * n + r];
    }
}

static void fill_nan(double *x, size_t n) {
    for (size_t i = 0; i < n; i++)
        x[i] = NAN;
}

/* ---- one trial ---- */

typedef struct trial_job {
    const lrnn_posterior *q;
    const lrnn_model *model;
    size_t b, T, len; /* batch index, batch steps, this trial's steps */
    const double *z, *logw;
    const int *anc;
} trial_job;

/* log f(z_{t+1}^j | z_t^k) + const for all pairs (j, k), given mu (K x R) from step t:
 * -1/2 || L_z^-1 (z_{t+1}^j - mu_k) ||^2. The constant (log det, 2 pi) cancels in every
 * normalisation of the backward pass. */
static void pair_logf(const trial_job *j, trial_work *w, const double *znext) {
    const lrnn_posterior *q = j->q;
    size_t K = q->K, R = q->R;
    const double *Li = q->Linv;
    for (size_t a = 0; a < K; a++)
        for (size_t k = 0; k < K; k++) {
            for (size_t r = 0; r < R; r++)
                w->diff[r] = znext[a * R + r] - w->mu[k * R + r];
            double acc = 0.0;
            for (size_t r = 0; r < R; r++) {
                double e = 0.0;
                for (size_t l = 0; l <= r; l++)
                    e += Li[r * R + l] * w->diff[l];
                acc += e * e;
            }
            w->logf[a * K + k] = -0.5 * acc;
        }
}

static void run_trial(const trial_job *j, trial_work *w, const lrnn_batch *batch, uint64_t seed,
                      uint64_t draw, lrnn_posterior_output *out) {
    const lrnn_posterior *q = j->q;
    const lrnn_model *model = j->model;
    const lrnn_model_config *c = lrnn_model_config_of(model);
    size_t K = q->K, R = q->R, X = q->X, U = q->U, T = j->T, len = j->len, b = j->b;
    size_t S = (size_t)q->p.samples;
    if (U) trial_inputs(c, &q->d, batch->u + b * T * U, len, U, w->v);
#define ZP(t) (j->z + ((b * T + (t)) * K) * R)
#define LW(t) (j->logw + (b * T + (t)) * K)
    /* padding: NaN */
    if (len < T) {
        size_t pad = T - len;
        if (out->latents_filter) fill_nan(out->latents_filter + (b * T + len) * R, pad * R);
        if (out->latents_smooth) fill_nan(out->latents_smooth + (b * T + len) * R, pad * R);
        if (out->rates_filter) fill_nan(out->rates_filter + (b * T + len) * X, pad * X);
        if (out->rates_smooth) fill_nan(out->rates_smooth + (b * T + len) * X, pad * X);
        if (out->predicted) fill_nan(out->predicted + (b * T + len) * X, pad * X);
        if (out->samples && S)
            for (size_t s = 0; s < S; s++)
                fill_nan(out->samples + ((b * S + s) * T + len) * R, pad * R);
    }
    /* filtering means */
    for (size_t t = 0; t < len; t++) {
        if (out->latents_filter)
            weighted_mean(LW(t), ZP(t), K, R, out->latents_filter + (b * T + t) * R);
        if (out->rates_filter) {
            lrnn_model_observation_mean(model, K, ZP(t), repeat_input(w, w->v + t * U, K, U),
                                        w->yhat, w->units);
            weighted_mean(LW(t), w->yhat, K, X, out->rates_filter + (b * T + t) * X);
        }
    }
    /* n-step predictions: y_{t0+n} from the filter at t0, particles run without noise */
    if (out->predicted && q->p.predict_steps > 0) {
        size_t n = (size_t)q->p.predict_steps;
        fill_nan(out->predicted + b * T * X, (n < len ? n : len) * X);
        for (size_t t0 = 0; t0 + n < len; t0++) {
            memcpy(w->zp, ZP(t0), K * R * sizeof *w->zp);
            for (size_t i = 0; i < n; i++) {
                /* transition into step t0 + i + 1 uses v_{t0 + i} */
                lrnn_model_transition_mean(model, &q->d, K, w->zp,
                                           repeat_input(w, w->v + (t0 + i) * U, K, U), w->zq,
                                           w->units);
                memcpy(w->zp, w->zq, K * R * sizeof *w->zp);
            }
            lrnn_model_observation_mean(model, K, w->zp, repeat_input(w, w->v + (t0 + n) * U, K, U),
                                        w->yhat, w->units);
            weighted_mean(LW(t0), w->yhat, K, X, out->predicted + (b * T + t0 + n) * X);
        }
    }
    lrnn_rng rng;
    lrnn_rng_init(&rng, seed, LRNN_RNG_RESAMPLE, b, PATH_KEY + draw);
    /* ancestral paths of the filter */
    if (!q->p.smooth && out->samples && S) {
        for (size_t s = 0; s < S; s++) {
            size_t k = draw_index(&rng, LW(len - 1), K, w->prob);
            for (size_t t = len; t-- > 0;) {
                memcpy(out->samples + ((b * S + s) * T + t) * R, ZP(t) + k * R, R * sizeof(double));
                k = (size_t)j->anc[(b * T + t) * K + k];
            }
        }
    }
    if (!q->p.smooth) return;
    /* backward pass: wnext = log w_{t+1|T}, starting from the filter at the last step */
    bool want_paths = out->samples && S;
    memcpy(w->wnext, LW(len - 1), K * sizeof *w->wnext);
    if (want_paths)
        for (size_t s = 0; s < S; s++) {
            w->idx[s] = (int)draw_index(&rng, LW(len - 1), K, w->prob);
            memcpy(out->samples + ((b * S + s) * T + len - 1) * R,
                   ZP(len - 1) + (size_t)w->idx[s] * R, R * sizeof(double));
        }
    for (size_t t = len; t-- > 0;) {
        if (t + 1 < len) {
            lrnn_model_transition_mean(model, &q->d, K, ZP(t), repeat_input(w, w->v + t * U, K, U),
                                       w->mu, w->units);
            pair_logf(j, w, ZP(t + 1));
            const double *lw = LW(t);
            /* Row a of logf becomes E_al = exp(log W_t^l + log f(z_{t+1}^a | z_t^l) - m_a) with
             * m_a the row maximum (the log-sum-exp shift: E <= 1, the largest is 1), and
             * C_a = sum_l E_al = exp(c_a - m_a). Then
             *     w_{t|T}^k = sum_a w_{t+1|T}^a E_ak / C_a
             * (the shift m_a cancels within each row): one exp per pair. */
            for (size_t a = 0; a < K; a++) {
                double *row = w->logf + a * K, m = -INFINITY, sum = 0.0;
                for (size_t l = 0; l < K; l++) {
                    row[l] += lw[l];
                    if (row[l] > m) m = row[l];
                }
                for (size_t l = 0; l < K; l++)
                    sum += row[l] = m == -INFINITY ? 0.0 : exp(row[l] - m);
                w->cj[a] = sum > 0.0 ? exp(w->wnext[a]) / sum : 0.0;
            }
            memset(w->wcur, 0, K * sizeof *w->wcur);
            for (size_t a = 0; a < K; a++) {
                double g = w->cj[a];
                if (g == 0.0) continue;
                const double *row = w->logf + a * K;
                for (size_t k = 0; k < K; k++)
                    w->wcur[k] += g * row[k];
            }
            double norm = 0.0; /* 1 up to round-off */
            for (size_t k = 0; k < K; k++)
                norm += w->wcur[k];
            for (size_t k = 0; k < K; k++)
                w->wnext[k] = log(w->wcur[k] / norm);
            if (want_paths)
                for (size_t s = 0; s < S; s++) {
                    /* j_t ~ W_t^k f(z_{t+1}^{j_{t+1}} | z_t^k): row j_{t+1} of E */
                    w->idx[s] = (int)draw_linear(&rng, w->logf + (size_t)w->idx[s] * K, K);
                    memcpy(out->samples + ((b * S + s) * T + t) * R, ZP(t) + (size_t)w->idx[s] * R,
                           R * sizeof(double));
                }
        }
        if (out->latents_smooth)
            weighted_mean(w->wnext, ZP(t), K, R, out->latents_smooth + (b * T + t) * R);
        if (out->rates_smooth) {
            lrnn_model_observation_mean(model, K, ZP(t), repeat_input(w, w->v + t * U, K, U),
                                        w->yhat, w->units);
            weighted_mean(w->wnext, w->yhat, K, X, out->rates_smooth + (b * T + t) * X);
        }
    }
#undef ZP
#undef LW
}

lrnn_status lrnn_posterior_run(lrnn_posterior *q, const lrnn_model *model, const lrnn_batch *batch,
                               uint64_t seed, uint64_t draw, lrnn_posterior_output *out,
                               double *bound) {
    if (batch->B == 0 || batch->B > q->max_B || batch->T == 0 || batch->T > q->max_T)
        return lrnn_fail(LRNN_ERR_SHAPE,
                         "posterior: batch of %zu trials x %zu steps exceeds the workspace "
                         "(%zu x %zu)",
                         batch->B, batch->T, q->max_B, q->max_T);
    if (!q->p.smooth && (out->latents_smooth || out->rates_smooth))
        return lrnn_fail(LRNN_ERR_ARG, "posterior: smoothed outputs need params.smooth");
    if (out->predicted && q->p.predict_steps < 1)
        return lrnn_fail(LRNN_ERR_ARG, "posterior: predictions need params.predict_steps >= 1");
    lrnn_status s = lrnn_model_derived_update(model, &q->d);
    if (s) return s;
    size_t R = q->R;
    /* Sigma_z = L_z L_z^T; the backward pass needs L_z^-1 (lower triangular) */
    for (size_t r = 0; r < R; r++)
        if (!(q->d.L_z[r * R + r] > 0.0))
            return lrnn_fail(LRNN_ERR_NUMERIC,
                             "posterior: transition noise Cholesky factor has "
                             "diagonal entry %g at %zu",
                             q->d.L_z[r * R + r], r);
    memset(q->Linv, 0, R * R * sizeof *q->Linv);
    for (size_t col = 0; col < R; col++) {
        q->Linv[col * R + col] = 1.0 / q->d.L_z[col * R + col];
        for (size_t i = col + 1; i < R; i++) {
            double acc = 0.0;
            for (size_t k = col; k < i; k++)
                acc -= q->d.L_z[i * R + k] * q->Linv[k * R + col];
            q->Linv[i * R + col] = acc / q->d.L_z[i * R + i];
        }
    }
    lrnn_smc_record rec = {.z = q->z, .logw = q->logw, .ancestors = q->anc};
    lrnn_smc_set_record(q->smc, &rec);
    double bnd;
    s = lrnn_smc_bound(q->smc, model, batch, seed, draw, &bnd, NULL, NULL);
    lrnn_smc_set_record(q->smc, NULL);
    if (s) return lrnn_fail_context(s, "posterior: filter");
    if (bound) *bound = bnd;
#pragma omp parallel for schedule(dynamic) num_threads(q->threads)
    for (size_t b = 0; b < batch->B; b++) {
#ifdef _OPENMP
        trial_work *w = &q->work[omp_get_thread_num()];
#else
        trial_work *w = &q->work[0];
#endif
        trial_job j = {.q = q,
                       .model = model,
                       .b = b,
                       .T = batch->T,
                       .len = batch->lengths ? batch->lengths[b] : batch->T,
                       .z = q->z,
                       .logw = q->logw,
                       .anc = q->anc};
        run_trial(&j, w, batch, seed, draw, out);
    }
    return LRNN_OK;
}

/* ---- generation from given initial states ---- */

static void add_noise(lrnn_rng *rng, size_t d, const double *L, double *eps, double *x) {
    lrnn_rng_normal_fill(rng, eps, d);
    for (size_t i = 0; i < d; i++) {
        double acc = 0.0;
        for (size_t k = 0; k <= i; k++)
            acc += L[i * d + k] * eps[k];
        x[i] += acc;
    }
}

lrnn_status lrnn_posterior_generate(const lrnn_model *model, const double *z0,
                                    const lrnn_sample_params *p, lrnn_sample_output *out) {
    lrnn_status s = lrnn_sample_params_check(p, model);
    if (s) return s;
    const lrnn_model_config *c = lrnn_model_config_of(model);
    size_t R = (size_t)c->rank, X = (size_t)c->channels, U = (size_t)c->inputs;
    size_t N = (size_t)c->units, total = p->burn_in + p->steps;
    for (size_t i = 0; i < p->trials * R; i++)
        if (!isfinite(z0[i]))
            return lrnn_fail(LRNN_ERR_ARG, "generate: initial state of trial %zu is not finite",
                             i / R);
    lrnn_model_derived d;
    if ((s = lrnn_model_derived_alloc(model, &d))) return s;
    if ((s = lrnn_model_derived_update(model, &d))) {
        lrnn_model_derived_free(&d);
        return s;
    }
    size_t per = 2 * R + 2 * U + 2 * X + (X > R ? X : R) + N;
    int failed = 0;
#pragma omp parallel
    {
        double *blk = malloc(per * sizeof *blk);
        if (!blk) {
#pragma omp atomic write
            failed = 1;
        }
#pragma omp for schedule(static)
        for (size_t b = 0; b < p->trials; b++) {
            if (!blk) continue;
            double *z = blk, *zn = z + R, *v = zn + R, *uu = v + U, *yhat = uu + U, *eps = yhat + X,
                   *units = eps + (X > R ? X : R);
            lrnn_rng rng, orng;
            lrnn_rng_init(&rng, p->seed, LRNN_RNG_SAMPLE, b, 2);
            lrnn_rng_init(&orng, p->seed, LRNN_RNG_SAMPLE, b, 3);
            memcpy(z, z0 + b * R, R * sizeof *z);
            /* v at simulation step 0: zero during burn-in; else v_0 of spec 1.3 */
            memset(v, 0, U * sizeof *v);
            if (U && p->inputs && p->burn_in == 0 && !c->simulate_input)
                memcpy(v, p->inputs + b * p->steps * U, U * sizeof *v);
            for (size_t st = 0;; st++) {
                if (st >= p->burn_in) {
                    size_t row = b * p->steps + (st - p->burn_in);
                    lrnn_model_observation_mean(model, 1, z, U ? v : NULL, yhat, units);
                    if (out->latents) memcpy(out->latents + row * R, z, R * sizeof *z);
                    if (out->rates) memcpy(out->rates + row * X, yhat, X * sizeof *yhat);
                    if (c->obs == LRNN_OBS_POISSON) {
                        for (size_t i = 0; i < X; i++)
                            yhat[i] = lrnn_rng_poisson(&orng, yhat[i]);
                    } else if (d.L_x) {
                        add_noise(&orng, X, d.L_x, eps, yhat);
                    } else {
                        for (size_t i = 0; i < X; i++)
                            yhat[i] += d.std_x[i] * lrnn_rng_normal(&orng);
                    }
                    if (out->observations)
                        memcpy(out->observations + row * X, yhat, X * sizeof *yhat);
                }
                if (st + 1 == total) break;
                lrnn_model_transition_mean(model, &d, 1, z, U ? v : NULL, zn, units);
                if (U) {
                    /* raw input of step st (zero in burn-in) and of step st + 1 */
                    size_t next = st + 1;
                    bool kept = p->inputs && next >= p->burn_in;
                    if (c->simulate_input) {
                        bool kept_now = p->inputs && st >= p->burn_in;
                        for (size_t i = 0; i < U; i++) {
                            double u = kept_now
                                           ? p->inputs[(b * p->steps + st - p->burn_in) * U + i]
                                           : 0.0;
                            v[i] = d.a[0] * v[i] + (1.0 - d.a[0]) * u;
                        }
                    } else {
                        for (size_t i = 0; i < U; i++)
                            v[i] =
                                kept ? p->inputs[(b * p->steps + next - p->burn_in) * U + i] : 0.0;
                    }
                }
                add_noise(&rng, R, d.L_z, eps, zn);
                memcpy(z, zn, R * sizeof *z);
            }
        }
        free(blk);
    }
    lrnn_model_derived_free(&d);
    if (failed) return lrnn_fail(LRNN_ERR_NOMEM, "generate: cannot allocate workspace");
    return LRNN_OK;
}
