/* The SMC bound and its gradient: forward filter per trial, then the backward pass through the
 * same trial (ancestors fixed), trials in parallel with per-trial gradient slots summed in
 * trial order (identical for any thread count). Derivation: docs/derivations/smc_gradient.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "infer/dense.h"
#include "infer/smc_internal.h"
#include "lrnn/rng.h"

static const double LOG_2PI = 1.8378770664093454836;

/* Per-thread storage for one trial (sized for max_T steps). */
typedef struct tape {
    double *z, *zt, *mup;   /* T x K x R: samples, resampled predecessors, transition means */
    double *xc, *phi;       /* T x K x N: currents and rates of the transition at step t */
    double *lw, *logw_prev; /* T x K */
    double *v, *cin;        /* T x U inputs v_t, T x N input currents W_u v_t */
    double *zbar;           /* T x K x R */
    double *cinbar, *vbar;  /* T x N, T x U */
    double *work, *work2;   /* K x N each */
    double *yhat, *ybar;    /* K x X each (X <= N for one-to-one; affine uses X) */
    double *mubar, *ztbar;  /* K x R */
    double *vec;            /* scratch: 4 x max(K, X, R) */
    double *kvec;           /* 4 x K: weight adjoints, carried adjoints, softmaxes */
    double *Lbar, *L0bar, *dbar, *Hbar, *Cvbar, *abar;
    kalman k0, k1, km;      /* per-thread adjoints of the shared sets; km: masked steps */
    double *block;
} tape;

struct lrnn_smc {
    lrnn_smc_params params;
    size_t R, N, X, U, K, max_T, total;
    int threads;
    tape *tapes;
    bool replay;
    /* replayed randomness, per trial: eps B x T x K x R, ancestors B x T x K, resampled B x T */
    size_t replay_B, replay_T;
    double *eps;
    int *anc;
    uint8_t *resampled;
    double *trial_grad; /* B x total */
    double *trial_bound;
    size_t trial_cap;
};

lrnn_smc_params lrnn_smc_default_params(void) {
    lrnn_smc_params p = {.particles = 10,
                         .proposal = LRNN_PROPOSAL_OPTIMAL,
                         .weights = LRNN_WEIGHTS_ANALYTIC,
                         .resample = LRNN_RESAMPLE_SYSTEMATIC,
                         .ess_threshold = 1.0};
    return p;
}

lrnn_status lrnn_smc_params_check(const lrnn_smc_params *p, const lrnn_model_config *c) {
    if (p->particles < 1 || p->particles > 1 << 20)
        return lrnn_fail(LRNN_ERR_ARG, "smc: particles = %d outside 1..%d", p->particles, 1 << 20);
    if (!(p->ess_threshold > 0.0 && p->ess_threshold <= 1.0))
        return lrnn_fail(LRNN_ERR_ARG, "smc: ess threshold %g outside (0, 1]", p->ess_threshold);
    if (c->obs == LRNN_OBS_GAUSS && c->noise_x == LRNN_NOISE_FULL)
        return lrnn_fail(LRNN_ERR_UNSUPPORTED, "smc: a full observation covariance is not "
                                               "supported by the filter; use --noise-x diag");
    if (c->rank > 64)
        return lrnn_fail(LRNN_ERR_UNSUPPORTED, "smc: rank %d above 64", c->rank);
    if (p->proposal == LRNN_PROPOSAL_OPTIMAL) {
        bool linear = c->obs == LRNN_OBS_GAUSS && c->obs_nonlin == LRNN_G_IDENTITY &&
                      (c->readout == LRNN_READOUT_AFFINE || c->readout_from == LRNN_FROM_CURRENTS);
        if (!linear)
            return lrnn_fail(LRNN_ERR_ARG, "smc: the optimal proposal needs linear-Gaussian "
                                           "observations (gauss, identity output, affine readout "
                                           "or one-to-one from currents); use --proposal bootstrap");
    }
    return LRNN_OK;
}

static const char *const proposal_names[] = {"bootstrap", "optimal"};
static const char *const weights_names[] = {"analytic", "ratio"};
static const char *const resample_names[] = {"systematic", "multinomial"};

static lrnn_status parse_choice(const char *what, const char *const *names, int count,
                                const char *s, int *out) {
    for (int i = 0; i < count; i++)
        if (s && !strcmp(s, names[i])) return *out = i, LRNN_OK;
    return lrnn_fail(LRNN_ERR_ARG, "unknown %s '%s' (choose from %s, %s)", what, s ? s : "",
                     names[0], names[1]);
}

#define SMC_ENUM(type, table, what)                                                            \
    const char *type##_name(type v) {                                                          \
        return (int)v >= 0 && (int)v < 2 ? table[v] : "?";                                     \
    }                                                                                          \
    lrnn_status type##_parse(const char *s, type *out) {                                       \
        int v = 0;                                                                             \
        lrnn_status st = parse_choice(what, table, 2, s, &v);                                  \
        if (!st) *out = (type)v;                                                               \
        return st;                                                                             \
    }
SMC_ENUM(lrnn_proposal, proposal_names, "proposal")
SMC_ENUM(lrnn_opt_weights, weights_names, "weights")
SMC_ENUM(lrnn_resample, resample_names, "resampling")

/* ---------------------------------------------------------------------------------------- */

static size_t tape_doubles(const lrnn_smc *s) {
    size_t R = s->R, N = s->N, X = s->X, U = s->U, K = s->K, T = s->max_T;
    size_t wide = K > X ? K : X;
    wide = wide > R ? wide : R;
    return 4 * T * K * R + 2 * T * K * N + 2 * T * K + 2 * T * U + 2 * T * N + 2 * K * N +
           2 * K * (X > N ? X : N) + 2 * K * R + 4 * wide + 4 * K + 2 * R * R + X + X * R + X * U + R +
           3 * kalman_doubles(R);
}

static void tape_carve(lrnn_smc *s, tape *t) {
    size_t R = s->R, N = s->N, X = s->X, U = s->U, K = s->K, T = s->max_T;
    size_t wide = K > X ? K : X;
    wide = wide > R ? wide : R;
    double *c = t->block;
#define TAKE(field, count) (t->field = c, c += (count))
    TAKE(z, T * K * R), TAKE(zt, T * K * R), TAKE(mup, T * K * R), TAKE(zbar, T * K * R);
    TAKE(xc, T * K * N), TAKE(phi, T * K * N);
    TAKE(lw, T * K), TAKE(logw_prev, T * K);
    TAKE(v, T * U), TAKE(vbar, T * U), TAKE(cin, T * N), TAKE(cinbar, T * N);
    TAKE(work, K * N), TAKE(work2, K * N);
    TAKE(yhat, K * (X > N ? X : N)), TAKE(ybar, K * (X > N ? X : N));
    TAKE(mubar, K * R), TAKE(ztbar, K * R), TAKE(vec, 4 * wide), TAKE(kvec, 4 * K);
    TAKE(Lbar, R * R), TAKE(L0bar, R * R), TAKE(dbar, X), TAKE(Hbar, X * R), TAKE(Cvbar, X * U);
    TAKE(abar, R);
#undef TAKE
    kalman_carve(&t->k0, R, &c);
    kalman_carve(&t->k1, R, &c);
    kalman_carve(&t->km, R, &c);
}

lrnn_status lrnn_smc_create(const lrnn_model *model, const lrnn_smc_params *p, size_t max_T,
                            int threads, lrnn_smc **out) {
    *out = NULL;
    const lrnn_model_config *c = &model->config;
    lrnn_status st = lrnn_smc_params_check(p, c);
    if (st) return st;
    if (max_T == 0 || max_T > (size_t)1 << 24)
        return lrnn_fail(LRNN_ERR_ARG, "smc: window length %zu outside 1..%zu", max_T,
                         (size_t)1 << 24);
    lrnn_smc *s = calloc(1, sizeof *s);
    if (!s) return lrnn_fail(LRNN_ERR_NOMEM, "smc: out of memory");
    s->params = *p;
    s->R = (size_t)c->rank, s->N = (size_t)c->units, s->X = (size_t)c->channels;
    s->U = (size_t)c->inputs, s->K = (size_t)p->particles, s->max_T = max_T;
    s->total = model->layout.total;
#ifdef _OPENMP
    s->threads = threads > 0 ? threads : omp_get_max_threads();
#else
    (void)threads;
    s->threads = 1;
#endif
    s->tapes = calloc((size_t)s->threads, sizeof *s->tapes);
    if (!s->tapes) return lrnn_smc_free(s), lrnn_fail(LRNN_ERR_NOMEM, "smc: out of memory");
    size_t per = tape_doubles(s);
    for (int i = 0; i < s->threads; i++) {
        s->tapes[i].block = calloc(per, sizeof(double));
        if (!s->tapes[i].block) {
            lrnn_smc_free(s);
            return lrnn_fail(LRNN_ERR_NOMEM, "smc: cannot allocate %zu MB of particle storage",
                             per * sizeof(double) >> 20);
        }
        tape_carve(s, &s->tapes[i]);
    }
    *out = s;
    return LRNN_OK;
}

void lrnn_smc_free(lrnn_smc *s) {
    if (!s) return;
    if (s->tapes)
        for (int i = 0; i < s->threads; i++) free(s->tapes[i].block);
    free(s->tapes);
    free(s->eps);
    free(s->anc);
    free(s->resampled);
    free(s->trial_grad);
    free(s->trial_bound);
    free(s);
}

void lrnn_smc_set_replay(lrnn_smc *s, bool replay) {
    s->replay = replay;
}

/* Storage for the per-trial randomness and gradients; grows only when the batch grows. */
static lrnn_status ensure_batch_storage(lrnn_smc *s, size_t B, size_t T) {
    if (s->replay && (B != s->replay_B || T != s->replay_T))
        return lrnn_fail(LRNN_ERR_ARG, "smc: replay needs the batch shape of the last call "
                                       "(%zu x %zu), got %zu x %zu",
                         s->replay_B, s->replay_T, B, T);
    if (B * T > s->replay_B * s->replay_T || !s->eps) {
        free(s->eps), free(s->anc), free(s->resampled);
        s->eps = malloc(B * T * s->K * s->R * sizeof *s->eps);
        s->anc = malloc(B * T * s->K * sizeof *s->anc);
        s->resampled = calloc(B * T, 1);
        if (!s->eps || !s->anc || !s->resampled)
            return lrnn_fail(LRNN_ERR_NOMEM, "smc: cannot allocate randomness for %zu x %zu", B, T);
    }
    s->replay_B = B, s->replay_T = T;
    if (B > s->trial_cap) {
        free(s->trial_grad), free(s->trial_bound);
        s->trial_grad = malloc(B * s->total * sizeof *s->trial_grad);
        s->trial_bound = malloc(B * sizeof *s->trial_bound);
        if (!s->trial_grad || !s->trial_bound)
            return lrnn_fail(LRNN_ERR_NOMEM, "smc: cannot allocate per-trial gradients");
        s->trial_cap = B;
    }
    return LRNN_OK;
}

/* ---------------------------------------------------------------------------------------- */

typedef struct trial_ctx {
    const smc_pass *pass;
    lrnn_smc *s;
    tape *t;
    size_t b, T;
    const double *y, *u; /* this trial: T x X, T x U */
    const uint8_t *mask; /* T x X or NULL */
    double *eps;         /* T x K x R */
    int *anc;            /* T x K (row t: ancestors of the predecessors of step t) */
    uint8_t *resampled;  /* T (entry t: step t's predecessors were resampled) */
    smc_adjoint adj;
    bool want_grad;
} trial_ctx;

static const uint8_t *mask_row(const trial_ctx *c, size_t t) {
    if (!c->mask) return NULL;
    const uint8_t *row = c->mask + t * c->pass->X;
    for (size_t i = 0; i < c->pass->X; i++)
        if (!row[i]) return row;
    return NULL; /* fully observed */
}

static int seen(const uint8_t *obs, size_t i) {
    return !obs || obs[i];
}

/* v_t (spec 1.2) and the input currents W_u v_t of the whole trial. */
static void inputs_forward(trial_ctx *c) {
    const smc_pass *P = c->pass;
    size_t U = P->U, N = P->N;
    if (U == 0) return;
    double a = P->d.a[0];
    for (size_t t = 0; t < c->T; t++) {
        double *v = c->t->v + t * U;
        for (size_t j = 0; j < U; j++) {
            if (!P->c->simulate_input) v[j] = c->u[t * U + j];
            else v[j] = t == 0 ? 0.0 : a * v[j - U] + (1.0 - a) * c->u[(t - 1) * U + j];
        }
        dense_mv(N, U, P->p.W_u, v, c->t->cin + t * N, 0);
    }
}

/* y~ = y - b - c_t on observed channels (0 elsewhere) and e = H^T D^-1 y~. */
static void innovation_base(const trial_ctx *c, size_t t, const uint8_t *obs, double *yt,
                            double *e) {
    const smc_pass *P = c->pass;
    size_t X = P->X, R = P->R, U = P->U;
    for (size_t i = 0; i < X; i++) {
        if (!seen(obs, i)) {
            yt[i] = 0.0;
            continue;
        }
        double ci = 0.0;
        if (P->Cv)
            for (size_t j = 0; j < U; j++) ci += P->Cv[i * U + j] * c->t->v[t * U + j];
        yt[i] = c->y[t * X + i] - P->p.bias_obs[i] - ci;
    }
    memset(e, 0, R * sizeof *e);
    for (size_t i = 0; i < X; i++)
        if (seen(obs, i))
            for (size_t k = 0; k < R; k++) e[k] += P->H[i * R + k] * yt[i] / P->var_x[i];
}

static double gauss_loglik_obs(const trial_ctx *c, size_t t, const uint8_t *obs,
                               const double *yhat) {
    const smc_pass *P = c->pass;
    double acc = 0.0;
    for (size_t i = 0; i < P->X; i++) {
        if (!seen(obs, i)) continue;
        double r = c->y[t * P->X + i] - yhat[i];
        if (P->c->obs == LRNN_OBS_POISSON) {
            double y = c->y[t * P->X + i];
            acc += y * log(yhat[i]) - yhat[i] - lgamma(y + 1.0);
        } else {
            acc += -0.5 * r * r / P->var_x[i] - 0.5 * log(P->var_x[i]) - 0.5 * LOG_2PI;
        }
    }
    return acc;
}

/* The optimal-proposal Kalman set for step t (shared unless the step has missing data). */
static const kalman *kalman_for(trial_ctx *c, size_t t, const uint8_t *obs, lrnn_status *st) {
    const smc_pass *P = c->pass;
    *st = LRNN_OK;
    if (!obs) return t == 0 ? &P->k0 : &P->k1;
    kalman *km = &c->t->km;
    *st = kalman_build(km, P, t == 0 ? P->d.L_z0 : P->d.L_z, t == 0 ? P->L0inv : P->Linv, obs);
    return km;
}

static lrnn_status proposal_forward(trial_ctx *c, size_t t) {
    const smc_pass *P = c->pass;
    size_t R = P->R, K = P->K, X = P->X;
    const uint8_t *obs = mask_row(c, t);
    double *Z = c->t->z + t * K * R, *Mup = c->t->mup + t * K * R, *lw = c->t->lw + t * K;
    const double *eps = c->eps + t * K * R;
    if (P->sp.proposal == LRNN_PROPOSAL_BOOTSTRAP) {
        const double *L = t == 0 ? P->d.L_z0 : P->d.L_z;
        for (size_t k = 0; k < K; k++) {
            memcpy(Z + k * R, Mup + k * R, R * sizeof *Z);
            dense_mv(R, R, L, eps + k * R, Z + k * R, 1);
        }
        smc_observation_forward(P, K, Z, P->U ? c->t->cin + t * P->N : NULL,
                                P->U ? c->t->v + t * P->U : NULL, c->t->yhat, c->t->work);
        for (size_t k = 0; k < K; k++) lw[k] = gauss_loglik_obs(c, t, obs, c->t->yhat + k * X);
        return LRNN_OK;
    }
    lrnn_status st;
    const kalman *ks = kalman_for(c, t, obs, &st);
    if (st) return st;
    double *yt = c->t->ybar, *e = c->t->vec, *rho = e + R, *delta = rho + R, *w = delta + R;
    innovation_base(c, t, obs, yt, e);
    for (size_t k = 0; k < K; k++) {
        const double *mp = Mup + k * R, *ek = eps + k * R;
        double *z = Z + k * R;
        /* rho = e - M mu_p; delta = Q rho; z = mu_p + delta + W eps */
        for (size_t a = 0; a < R; a++) {
            double acc = e[a];
            for (size_t b = 0; b < R; b++) acc -= ks->M[a * R + b] * mp[b];
            rho[a] = acc;
        }
        dense_mv(R, R, ks->Q, rho, delta, 0);
        for (size_t a = 0; a < R; a++) z[a] = mp[a] + delta[a];
        dense_mv(R, R, ks->W, ek, z, 1);
        double quad = 0.0;
        if (P->sp.weights == LRNN_WEIGHTS_ANALYTIC) {
            /* log N(y; H mu_p + b + c, S) = -1/2 [r^T D^-1 r - rho^T Q rho + log det S] - ... */
            for (size_t i = 0; i < X; i++) {
                if (!seen(obs, i)) continue;
                double r = yt[i];
                for (size_t a = 0; a < R; a++) r -= P->H[i * R + a] * mp[a];
                quad += r * r / P->var_x[i];
            }
            for (size_t a = 0; a < R; a++) quad -= rho[a] * delta[a];
        } else {
            /* log p(y|z) + log N(z; mu_p, Sigma) - log q(z) with z - mu_q = W eps */
            for (size_t i = 0; i < X; i++) {
                if (!seen(obs, i)) continue;
                double r = yt[i];
                for (size_t a = 0; a < R; a++) r -= P->H[i * R + a] * z[a];
                quad += r * r / P->var_x[i];
            }
            const double *Linv = t == 0 ? P->L0inv : P->Linv;
            for (size_t a = 0; a < R; a++) {
                double acc = 0.0;
                for (size_t b = 0; b <= a; b++) acc += Linv[a * R + b] * (z[b] - mp[b]);
                w[a] = acc;
                quad += acc * acc - ek[a] * ek[a];
            }
        }
        lw[k] = -0.5 * (quad + ks->logdet_S + ks->observed * LOG_2PI);
    }
    return LRNN_OK;
}

static void initial_mean(const trial_ctx *c, double *mu0) {
    const smc_pass *P = c->pass;
    lrnn_model_initial_mean(P->model, &P->d, P->U ? c->t->v : NULL, mu0);
}

static void draw_noise(trial_ctx *c, lrnn_rng *rng) {
    size_t n = c->T * c->pass->K * c->pass->R;
    for (size_t i = 0; i < n; i++) c->eps[i] = lrnn_rng_normal(rng);
}

/* Forward filter of one trial; returns sum_t L_t in *total. */
static lrnn_status trial_forward(trial_ctx *c, uint64_t seed, uint64_t draw, double *total) {
    const smc_pass *P = c->pass;
    size_t R = P->R, K = P->K, N = P->N, T = c->T;
    const double logK = log((double)K);
    lrnn_rng noise, resampler;
    lrnn_rng_init(&noise, seed, LRNN_RNG_FILTER, draw, c->b);
    lrnn_rng_init(&resampler, seed, LRNN_RNG_RESAMPLE, draw, c->b);
    if (!c->s->replay) draw_noise(c, &noise);
    inputs_forward(c);
    double *scratch = c->t->vec, *u01 = c->t->work2; /* K uniforms at most */
    double sum = 0.0;
    for (size_t k = 0; k < K; k++) c->t->logw_prev[k] = -logK;
    for (size_t t = 0; t < T; t++) {
        double *Mup = c->t->mup + t * K * R, *lwp = c->t->logw_prev + t * K;
        double *lw = c->t->lw + t * K;
        if (t == 0) {
            initial_mean(c, Mup);
            for (size_t k = 1; k < K; k++) memcpy(Mup + k * R, Mup, R * sizeof *Mup);
        } else {
            double *Zt = c->t->zt + t * K * R;
            const double *Zprev = c->t->z + (t - 1) * K * R;
            for (size_t k = 0; k < K; k++)
                memcpy(Zt + k * R, Zprev + (size_t)c->anc[t * K + k] * R, R * sizeof *Zt);
            smc_transition_forward(P, K, Zt, P->U ? c->t->cin + (t - 1) * N : NULL,
                                   c->t->xc + t * K * N, c->t->phi + t * K * N, Mup);
        }
        lrnn_status st = proposal_forward(c, t);
        if (st) return st;
        /* L_t = lse(log W + lw) - lse(log W) */
        for (size_t k = 0; k < K; k++) scratch[k] = lwp[k] + lw[k];
        double step = smc_logsumexp(K, scratch) - smc_logsumexp(K, lwp);
        if (!isfinite(step))
            return lrnn_fail(LRNN_ERR_NUMERIC, "smc: the bound of trial %zu went non-finite at "
                                               "step %zu (log weights %g..)",
                             c->b, t, lw[0]);
        sum += step;
        if (t + 1 == T) break;
        double *next = c->t->logw_prev + (t + 1) * K;
        if (!c->s->replay) {
            /* ESS = (sum w)^2 / sum w^2 of the carried weights */
            double hi = scratch[0], s1 = 0.0, s2 = 0.0;
            for (size_t k = 1; k < K; k++) hi = scratch[k] > hi ? scratch[k] : hi;
            for (size_t k = 0; k < K; k++) {
                double w = exp(scratch[k] - hi);
                s1 += w, s2 += w * w;
            }
            bool resample = P->sp.ess_threshold >= 1.0 || s1 * s1 / s2 < P->sp.ess_threshold * (double)K;
            c->resampled[t + 1] = resample;
            if (resample) {
                size_t draws = P->sp.resample == LRNN_RESAMPLE_SYSTEMATIC ? 1 : K;
                for (size_t i = 0; i < draws; i++) u01[i] = lrnn_rng_uniform(&resampler);
                smc_resample(P->sp.resample, K, scratch, u01, c->anc + (t + 1) * K, c->t->ztbar);
            } else {
                for (size_t k = 0; k < K; k++) c->anc[(t + 1) * K + k] = (int)k;
            }
        }
        for (size_t k = 0; k < K; k++) next[k] = c->resampled[t + 1] ? -logK : scratch[k];
    }
    *total = sum;
    return LRNN_OK;
}

/* ---------------------------------------------------------------------------------------- */

static void add_outer_lower(size_t R, double scale, const double *x, const double *y, double *A) {
    for (size_t a = 0; a < R; a++)
        for (size_t b = 0; b <= a; b++) A[a * R + b] += scale * x[a] * y[b];
}

/* Backward of the bootstrap proposal at step t: Mubar from zbar_t and the weights' adjoints. */
static void bootstrap_backward(trial_ctx *c, size_t t, const double *omega, double *Mubar) {
    const smc_pass *P = c->pass;
    size_t R = P->R, K = P->K, X = P->X, N = P->N, U = P->U;
    const uint8_t *obs = mask_row(c, t);
    const double *Z = c->t->z + t * K * R, *eps = c->eps + t * K * R;
    const double *cin = U ? c->t->cin + t * N : NULL, *v = U ? c->t->v + t * U : NULL;
    smc_observation_forward(P, K, Z, cin, v, c->t->yhat, c->t->work);
    double *Ybar = c->t->ybar;
    for (size_t k = 0; k < K; k++)
        for (size_t i = 0; i < X; i++) {
            double yh = c->t->yhat[k * X + i], y = c->y[t * X + i], g = 0.0;
            if (seen(obs, i)) {
                if (P->c->obs == LRNN_OBS_POISSON) {
                    g = omega[k] * (y / yh - 1.0);
                } else {
                    double r = y - yh, d = P->var_x[i];
                    g = omega[k] * r / d;
                    c->adj.dbar[i] += omega[k] * (0.5 * r * r / (d * d) - 0.5 / d);
                }
            }
            Ybar[k * X + i] = g;
        }
    double *Zbar = c->t->zbar + t * K * R;
    smc_observation_backward(P, K, Z, cin, v, Ybar, Zbar, U ? c->t->cinbar + t * N : NULL,
                             U ? c->t->vbar + t * U : NULL, &c->adj, c->t->work, c->t->work2);
    /* z = mu_p + L eps */
    double *Lbar = t == 0 ? c->adj.L0bar : c->adj.Lbar;
    for (size_t k = 0; k < K; k++) {
        memcpy(Mubar + k * R, Zbar + k * R, R * sizeof *Mubar);
        add_outer_lower(R, 1.0, Zbar + k * R, eps + k * R, Lbar);
    }
}

static void optimal_backward(trial_ctx *c, size_t t, const double *omega, double *Mubar,
                             lrnn_status *st) {
    const smc_pass *P = c->pass;
    size_t R = P->R, K = P->K, X = P->X, U = P->U;
    const uint8_t *obs = mask_row(c, t);
    const kalman *shared = kalman_for(c, t, obs, st);
    if (*st) return;
    /* adjoints go to this thread's copy of the set (or the masked step's own set) */
    kalman *ka = obs ? &c->t->km : (t == 0 ? &c->t->k0 : &c->t->k1);
    const double *Z = c->t->z + t * K * R, *Mup = c->t->mup + t * K * R;
    const double *eps = c->eps + t * K * R, *Zbar = c->t->zbar + t * K * R;
    double *yt = c->t->yhat, *ytbar = c->t->ybar; /* X each */
    double *e = c->t->vec, *rho = e + R, *delta = rho + R, *rhobar = delta + R;
    double ebar[64], zb[64], w[64];
    innovation_base(c, t, obs, yt, e);
    memset(ytbar, 0, X * sizeof *ytbar);
    memset(ebar, 0, R * sizeof *ebar);
    const double *Linv = t == 0 ? P->L0inv : P->Linv;
    double *Lbar = t == 0 ? c->adj.L0bar : c->adj.Lbar;
    for (size_t k = 0; k < K; k++) {
        const double *mp = Mup + k * R, *z = Z + k * R, *ek = eps + k * R;
        double *mb = Mubar + k * R, om = omega[k];
        for (size_t a = 0; a < R; a++) {
            double acc = e[a];
            for (size_t b = 0; b < R; b++) acc -= shared->M[a * R + b] * mp[b];
            rho[a] = acc;
        }
        dense_mv(R, R, shared->Q, rho, delta, 0);
        memcpy(zb, Zbar + k * R, R * sizeof *zb);
        memset(mb, 0, R * sizeof *mb);
        if (P->sp.weights == LRNN_WEIGHTS_ANALYTIC) {
            /* lw = -1/2 sum_o r_i^2/d_i + 1/2 rho.Q rho - 1/2 log det S, r = y~ - H mu_p */
            for (size_t i = 0; i < X; i++) {
                if (!seen(obs, i)) continue;
                double r = yt[i];
                for (size_t a = 0; a < R; a++) r -= P->H[i * R + a] * mp[a];
                double rbar = -om * r / P->var_x[i];
                ytbar[i] += rbar;
                for (size_t a = 0; a < R; a++) {
                    c->adj.Hbar[i * R + a] -= rbar * mp[a];
                    mb[a] -= P->H[i * R + a] * rbar;
                }
                c->adj.dbar[i] += om * 0.5 * r * r / (P->var_x[i] * P->var_x[i]);
            }
            for (size_t a = 0; a < R; a++) rhobar[a] = om * delta[a];
            for (size_t a = 0; a < R; a++)
                for (size_t b = 0; b < R; b++) ka->Qbar[a * R + b] += 0.5 * om * rho[a] * rho[b];
        } else {
            /* lw = -1/2 sum_o r_i^2/d_i - 1/2 |L^-1 (z - mu_p)|^2 + 1/2 |eps|^2 - 1/2 log det S */
            for (size_t i = 0; i < X; i++) {
                if (!seen(obs, i)) continue;
                double r = yt[i];
                for (size_t a = 0; a < R; a++) r -= P->H[i * R + a] * z[a];
                double g = om * r / P->var_x[i]; /* = -d lw / d y~_i = d lw / d (H z)_i */
                ytbar[i] -= g;
                for (size_t a = 0; a < R; a++) {
                    c->adj.Hbar[i * R + a] += g * z[a];
                    zb[a] += P->H[i * R + a] * g;
                }
                c->adj.dbar[i] += om * 0.5 * r * r / (P->var_x[i] * P->var_x[i]);
            }
            for (size_t a = 0; a < R; a++) {
                double acc = 0.0;
                for (size_t b = 0; b <= a; b++) acc += Linv[a * R + b] * (z[b] - mp[b]);
                w[a] = acc;
            }
            /* d/dz (-1/2 |Linv (z - mu_p)|^2) = -Linv^T w; Lbar += Linv^T w w^T */
            for (size_t b = 0; b < R; b++) {
                double acc = 0.0;
                for (size_t a = b; a < R; a++) acc += Linv[a * R + b] * w[a];
                zb[b] -= om * acc;
                mb[b] += om * acc;
            }
            for (size_t a = 0; a < R; a++)
                for (size_t b = 0; b <= a; b++) {
                    double acc = 0.0;
                    for (size_t j = a; j < R; j++) acc += Linv[j * R + a] * w[j];
                    Lbar[a * R + b] += om * acc * w[b];
                }
            memset(rhobar, 0, R * sizeof *rhobar);
        }
        ka->logdet_S_bar += -0.5 * om;
        /* z = mu_p + delta + W eps, delta = Q rho, rho = e - M mu_p */
        for (size_t a = 0; a < R; a++) {
            mb[a] += zb[a];
            for (size_t b = 0; b < R; b++) {
                ka->Wbar[a * R + b] += zb[a] * ek[b];
                ka->Qbar[a * R + b] += zb[a] * rho[b];
            }
        }
        dense_mv(R, R, shared->Q, zb, rhobar, 1); /* rhobar += Q^T zbar (Q symmetric) */
        for (size_t a = 0; a < R; a++) {
            ebar[a] += rhobar[a];
            for (size_t b = 0; b < R; b++) {
                ka->Mbar[a * R + b] -= rhobar[a] * mp[b];
                mb[b] -= shared->M[a * R + b] * rhobar[a];
            }
        }
    }
    /* e = H^T D^-1 y~ */
    for (size_t i = 0; i < X; i++) {
        if (!seen(obs, i)) continue;
        double inv = 1.0 / P->var_x[i], he = 0.0;
        for (size_t a = 0; a < R; a++) {
            c->adj.Hbar[i * R + a] += yt[i] * inv * ebar[a];
            he += P->H[i * R + a] * ebar[a];
        }
        ytbar[i] += he * inv;
        c->adj.dbar[i] -= yt[i] * he * inv * inv;
    }
    /* y~ = y - b - C_v v_t */
    lrnn_param_view g = lrnn_param_view_of(&P->model->layout, c->adj.grad);
    for (size_t i = 0; i < X; i++) {
        g.bias_obs[i] -= ytbar[i];
        if (P->Cv)
            for (size_t j = 0; j < U; j++) {
                c->adj.Cvbar[i * U + j] -= ytbar[i] * c->t->v[t * U + j];
                c->t->vbar[t * U + j] -= P->Cv[i * U + j] * ytbar[i];
            }
    }
    if (obs) {
        /* a masked step's own Kalman set: its adjoints are complete now */
        kalman_backward(&c->t->km, P, Lbar, &c->adj);
    }
}

/* mu_0 = z_init + (m^T m)^-1 m^T cin_0 over all particles' Mubar. */
static void initial_backward(trial_ctx *c, const double *Mubar) {
    const smc_pass *P = c->pass;
    size_t R = P->R, K = P->K, N = P->N;
    lrnn_param_view g = lrnn_param_view_of(&P->model->layout, c->adj.grad);
    double mubar[64], q[64], lambda[64], mq;
    memset(mubar, 0, R * sizeof *mubar);
    for (size_t k = 0; k < K; k++)
        for (size_t a = 0; a < R; a++) mubar[a] += Mubar[k * R + a];
    if (g.z_init)
        for (size_t a = 0; a < R; a++) g.z_init[a] += mubar[a];
    if (P->U == 0) return;
    const double *cin0 = c->t->cin, *m = P->p.m;
    /* q = G^-1 m^T cin0, lambda = G^-1 mubar; cin0bar = m lambda;
     * mbar += (cin0 - m q) lambda^T - (m lambda) q^T */
    double mtc[64];
    dense_tv(N, R, m, cin0, mtc, 0);
    dense_mv(R, R, P->gram_inv, mtc, q, 0);
    dense_mv(R, R, P->gram_inv, mubar, lambda, 0);
    for (size_t i = 0; i < N; i++) {
        double ml = 0.0;
        mq = 0.0;
        for (size_t a = 0; a < R; a++) ml += m[i * R + a] * lambda[a], mq += m[i * R + a] * q[a];
        c->t->cinbar[i] += ml;
        for (size_t a = 0; a < R; a++) g.m[i * R + a] += (cin0[i] - mq) * lambda[a] - ml * q[a];
    }
}

/* cin_t = W_u v_t and the input filter v_t = a v_{t-1} + (1 - a) u_{t-1}. */
static void inputs_backward(trial_ctx *c) {
    const smc_pass *P = c->pass;
    size_t U = P->U, N = P->N;
    if (U == 0) return;
    lrnn_param_view g = lrnn_param_view_of(&P->model->layout, c->adj.grad);
    for (size_t t = 0; t < c->T; t++) {
        const double *cb = c->t->cinbar + t * N, *v = c->t->v + t * U;
        double *vb = c->t->vbar + t * U;
        for (size_t i = 0; i < N; i++)
            for (size_t j = 0; j < U; j++) {
                g.W_u[i * U + j] += cb[i] * v[j];
                vb[j] += P->p.W_u[i * U + j] * cb[i];
            }
    }
    if (!P->c->simulate_input) return;
    double a = P->d.a[0];
    for (size_t t = c->T - 1; t >= 1; t--)
        for (size_t j = 0; j < U; j++) {
            double vb = c->t->vbar[t * U + j];
            c->adj.abar[0] += vb * (c->t->v[(t - 1) * U + j] - c->u[(t - 1) * U + j]);
            c->t->vbar[(t - 1) * U + j] += a * vb;
        }
}

static lrnn_status trial_backward(trial_ctx *c, double scale) {
    const smc_pass *P = c->pass;
    size_t R = P->R, K = P->K, N = P->N, U = P->U, X = P->X, T = c->T;
    tape *tp = c->t;
    memset(tp->zbar, 0, T * K * R * sizeof *tp->zbar);
    if (U) {
        memset(tp->cinbar, 0, T * N * sizeof *tp->cinbar);
        memset(tp->vbar, 0, T * U * sizeof *tp->vbar);
    }
    memset(tp->Lbar, 0, R * R * sizeof(double)), memset(tp->L0bar, 0, R * R * sizeof(double));
    memset(tp->dbar, 0, X * sizeof(double)), memset(tp->Hbar, 0, X * R * sizeof(double));
    memset(tp->Cvbar, 0, X * U * sizeof(double)), memset(tp->abar, 0, R * sizeof(double));
    if (P->sp.proposal == LRNN_PROPOSAL_OPTIMAL) {
        /* thread-local adjoints of the shared sets, forward values from the pass */
        const kalman *src[2] = {&P->k0, &P->k1};
        kalman *dst[2] = {&tp->k0, &tp->k1};
        for (int i = 0; i < 2; i++) {
            double *Qbar = dst[i]->Qbar, *Wbar = dst[i]->Wbar, *Mbar = dst[i]->Mbar, *LJbar = dst[i]->LJbar;
            *dst[i] = *src[i];
            dst[i]->Qbar = Qbar, dst[i]->Wbar = Wbar, dst[i]->Mbar = Mbar, dst[i]->LJbar = LJbar;
            kalman_zero_adjoint(dst[i], R);
        }
    }
    double *omega = tp->kvec, *carry = omega + K, *s1 = carry + K, *s0 = s1 + K;
    memset(carry, 0, K * sizeof *carry);
    lrnn_status st = LRNN_OK;
    for (size_t t = T; t-- > 0;) {
        const double *lwp = tp->logw_prev + t * K, *lw = tp->lw + t * K;
        /* s = softmax(log W + lw), s0 = softmax(log W): dL_t/dlw = s, dL_t/dlogW = s - s0 */
        for (size_t k = 0; k < K; k++) s1[k] = lwp[k] + lw[k];
        double n1 = smc_logsumexp(K, s1), n0 = smc_logsumexp(K, lwp);
        bool carried = t + 1 < T && !c->resampled[t + 1];
        for (size_t k = 0; k < K; k++) {
            double sk = exp(s1[k] - n1), s0k = exp(lwp[k] - n0);
            double future = carried ? carry[k] : 0.0; /* adjoint of log W_t from step t+1 */
            omega[k] = scale * sk + future;
            s0[k] = scale * (sk - s0k) + future;
        }
        memcpy(carry, s0, K * sizeof *carry);
        double *Mubar = tp->mubar;
        if (P->sp.proposal == LRNN_PROPOSAL_BOOTSTRAP) bootstrap_backward(c, t, omega, Mubar);
        else optimal_backward(c, t, omega, Mubar, &st);
        if (st) return st;
        if (t == 0) {
            initial_backward(c, Mubar);
            break;
        }
        const double *Zt = tp->zt + t * K * R;
        smc_transition_backward(P, K, Zt, tp->xc + t * K * N, tp->phi + t * K * N, Mubar,
                                tp->ztbar, U ? tp->cinbar + (t - 1) * N : NULL, &c->adj,
                                tp->work);
        double *Zbar_prev = tp->zbar + (t - 1) * K * R;
        for (size_t k = 0; k < K; k++) {
            double *dst = Zbar_prev + (size_t)c->anc[t * K + k] * R;
            for (size_t a = 0; a < R; a++) dst[a] += tp->ztbar[k * R + a];
        }
    }
    inputs_backward(c);
    if (P->sp.proposal == LRNN_PROPOSAL_OPTIMAL) {
        kalman_backward(&tp->k0, P, c->adj.L0bar, &c->adj);
        kalman_backward(&tp->k1, P, c->adj.Lbar, &c->adj);
    }
    smc_adjoint_finish(P, &c->adj);
    return LRNN_OK;
}

/* ---------------------------------------------------------------------------------------- */

lrnn_status lrnn_smc_bound(lrnn_smc *s, const lrnn_model *model, const lrnn_batch *batch,
                           uint64_t seed, uint64_t draw, double *bound, double *grad,
                           double *per_trial) {
    const lrnn_model_config *mc = &model->config;
    if ((size_t)mc->rank != s->R || (size_t)mc->units != s->N || (size_t)mc->channels != s->X ||
        (size_t)mc->inputs != s->U || model->layout.total != s->total)
        return lrnn_fail(LRNN_ERR_ARG, "smc: model does not match the workspace");
    if (batch->X != s->X || batch->U != s->U || batch->T == 0 || batch->T > s->max_T ||
        batch->B == 0)
        return lrnn_fail(LRNN_ERR_SHAPE, "smc: batch %zu x %zu x %zu (inputs %zu) does not fit "
                                         "the model (X = %zu, U = %zu, T <= %zu)",
                         batch->B, batch->T, batch->X, batch->U, s->X, s->U, s->max_T);
    if (s->U > 0 && !batch->u) return lrnn_fail(LRNN_ERR_ARG, "smc: the model takes inputs");
    lrnn_status st = ensure_batch_storage(s, batch->B, batch->T);
    if (st) return st;
    smc_pass pass;
    if ((st = smc_pass_init(&pass, model, &s->params))) return st;
    size_t B = batch->B, T = batch->T, K = s->K, R = s->R;
    double scale = 1.0 / ((double)T * (double)B);
    int failed = 0;
    char message[512] = "";
#pragma omp parallel for schedule(dynamic) num_threads(s->threads)
    for (size_t b = 0; b < B; b++) {
#ifdef _OPENMP
        tape *tp = &s->tapes[omp_get_thread_num()];
#else
        tape *tp = &s->tapes[0];
#endif
        trial_ctx c = {.pass = &pass, .s = s, .t = tp, .b = b, .T = T,
                       .y = batch->y + b * T * s->X,
                       .u = batch->u ? batch->u + b * T * s->U : NULL,
                       .mask = batch->mask ? batch->mask + b * T * s->X : NULL,
                       .eps = s->eps + b * T * K * R, .anc = s->anc + b * T * K,
                       .resampled = s->resampled + b * T, .want_grad = grad != NULL};
        c.adj = (smc_adjoint){.grad = s->trial_grad + b * s->total, .Lbar = tp->Lbar,
                              .L0bar = tp->L0bar, .dbar = tp->dbar, .Hbar = tp->Hbar,
                              .Cvbar = tp->Cvbar, .abar = tp->abar};
        double total = 0.0;
        lrnn_status ts = trial_forward(&c, seed, draw, &total);
        s->trial_bound[b] = total / (double)T;
        if (!ts && grad) {
            memset(c.adj.grad, 0, s->total * sizeof *c.adj.grad);
            ts = trial_backward(&c, scale);
        }
        if (ts) {
#pragma omp critical
            {
                if (!failed) snprintf(message, sizeof message, "%s", lrnn_last_error());
                failed = 1;
            }
        }
    }
    smc_pass_free(&pass);
    if (failed) return lrnn_fail(LRNN_ERR_NUMERIC, "%s", message);
    double mean = 0.0;
    for (size_t b = 0; b < B; b++) mean += s->trial_bound[b];
    *bound = mean / (double)B;
    if (per_trial) memcpy(per_trial, s->trial_bound, B * sizeof *per_trial);
    if (grad) {
        /* sum per-trial gradients in trial order: identical for any thread count */
        memset(grad, 0, s->total * sizeof *grad);
        for (size_t b = 0; b < B; b++) {
            const double *gb = s->trial_grad + b * s->total;
            for (size_t i = 0; i < s->total; i++) grad[i] += gb[i];
        }
    }
    return LRNN_OK;
}
