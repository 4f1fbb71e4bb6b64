/* The SMC bound and its gradient: forward filter per trial, then the backward pass through the
 * same trial (ancestors fixed), trials in parallel with per-trial gradient slots summed in
 * trial order (identical for any thread count). Derivation: docs/derivations/smc_gradient.md.
 *
 * Cost (docs/benchmarks.md): the transition's loops over units (kernels.h) take 55-65% of an
 * EEG-sized epoch, the normal draws ~12%, the rest is the per-particle R x R algebra of the
 * proposal and the readout residuals. What keeps the rest small: the pass constants (Kalman
 * sets, padded parameter rows) are built once per call into storage sized at creation; the
 * normalised weights of the forward pass are kept for the backward pass and for resampling
 * (no exp is computed twice); after a resampling, log W is uniform and its lse is exactly 0;
 * per-particle loops are instantiated for R = 1..4 (rows.h BY_RANK); per-particle adjoints
 * of transposed parameters (H^T, m^T) accumulate in per-thread rows that are folded into the
 * trial's gradient once. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "core/dense.h"
#include "core/vmath.h"
#include "infer/rows.h"
#include "infer/smc_internal.h"
#include "lrnn/encoder.h"
#include "lrnn/rng.h"

static const double LOG_2PI = 1.8378770664093454836;

/* Per-thread storage for one trial (sized for max_T steps). */
typedef struct tape {
    double *z, *zt, *mup;   /* T x K x R: samples, resampled predecessors, transition means */
    double *rho;            /* T x K x R: optimal proposal, rho = e - M mu_p */
    double *yt;             /* T x XP: y~ = y - b - C_v v (0 where unobserved or padding) */
    double *ytbar, *dbarp;  /* XP: adjoint of y~ at one step; XP: readout adjoint of d */
    double *wstep;          /* XP: channel weights 1/d of a step with missing data (0 there) */
    double *hx, *quad;      /* K x R: H^T g per particle; K: readout quadratic forms */
    double *lw, *logw_prev; /* T x K */
    double *prob;           /* T x K: normalised weights exp(log W + lw - lse) */
    double *v, *cin;        /* T x U inputs v_t, T x S input currents W_u v_t (padded rows) */
    double *zbar;           /* T x K x R */
    double *cinbar, *vbar;  /* T x S, T x U */
    double *work, *work2;   /* K x max(N, X) each */
    double *chan;           /* X: storage of size_t channel indices (Poisson) */
    double *units;          /* unit table of the transition kernels (smc_internal.h) */
    double *mbarT, *HbarT;  /* R x N, R x X: transposed adjoints of m and H */
    double *yhat, *ybar;    /* K x max(N, X) each: scratch; Gaussian Yhatbar */
    double *Yhat;           /* T x K x X: sampled particles' observation means (Gaussian) or
                             * slopes d log p / d pre (Poisson), kept for the backward */
    double *mubar, *ztbar;  /* K x R */
    double *pscratch;       /* 4 x K x R: per-particle adjoints of the optimal proposal */
    double *vec;            /* scratch: 4 x max(K, X, R) */
    double *kvec;           /* 3 x K: weight adjoints, carried adjoints, scratch */
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
    const lrnn_smc_record *record; /* filled by lrnn_smc_bound when set */
    double *trial_grad; /* B x trial_total */
    size_t trial_total; /* the filter's parameters, ahead of the encoder's in the block: each
                         * trial's backward fills only these (the encoder's gradient comes
                         * once per batch, encoder_backward_batch) */
    double *trial_bound;
    size_t trial_cap;
    /* encoder proposal: the encoder's workspace for up to enc_cap trials, its input (the
     * windows without the forward tail), outputs mean and variance s = clamp(exp(logvar)),
     * and their adjoints; B x T x X, then B x T x R each */
    lrnn_encoder_config enc;
    lrnn_encoder_workspace *enc_ws;
    size_t enc_cap;
    double *enc_y, *enc_mean, *enc_logvar, *enc_var, *enc_dmean, *enc_dlogvar;
    uint8_t *enc_mask;
    smc_pass pass; /* constants of the current call, storage sized at creation */
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
    if (p->proposal == LRNN_PROPOSAL_ENCODER) {
        if (c->encoder.layers == 0)
            return lrnn_fail(LRNN_ERR_ARG, "smc: the encoder proposal needs a model with an "
                                           "encoder (--enc-kernels)");
        if (c->noise_z == LRNN_NOISE_FULL || c->noise_z0 == LRNN_NOISE_FULL)
            return lrnn_fail(LRNN_ERR_ARG, "smc: the encoder proposal multiplies diagonal "
                                           "Gaussians; use --noise-z diag --noise-z0 diag");
    }
    if (p->t_forward < 0)
        return lrnn_fail(LRNN_ERR_ARG, "smc: t_forward = %d must be >= 0", p->t_forward);
    if (p->encoder_precision != LRNN_PRECISION_DOUBLE &&
        p->encoder_precision != LRNN_PRECISION_SINGLE)
        return lrnn_fail(LRNN_ERR_ARG, "smc: encoder precision %d is neither double nor single",
                         (int)p->encoder_precision);
    return LRNN_OK;
}

static const char *const proposal_names[] = {"bootstrap", "optimal", "encoder"};
static const char *const weights_names[] = {"analytic", "ratio"};
static const char *const resample_names[] = {"systematic", "multinomial"};
static const char *const precision_names[] = {"double", "single"};

static lrnn_status parse_choice(const char *what, const char *const *names, int count,
                                const char *s, int *out) {
    for (int i = 0; i < count; i++)
        if (s && !strcmp(s, names[i])) return *out = i, LRNN_OK;
    return lrnn_fail(LRNN_ERR_ARG, "unknown %s '%s' (choose from %s, %s%s%s)", what, s ? s : "",
                     names[0], names[1], count > 2 ? ", " : "", count > 2 ? names[2] : "");
}

#define SMC_ENUM(type, table, what)                                                            \
    const char *type##_name(type v) {                                                          \
        int n = (int)(sizeof table / sizeof table[0]);                                         \
        return (int)v >= 0 && (int)v < n ? table[v] : "?";                                     \
    }                                                                                          \
    lrnn_status type##_parse(const char *s, type *out) {                                       \
        int v = 0;                                                                             \
        lrnn_status st = parse_choice(what, table, (int)(sizeof table / sizeof table[0]), s, &v); \
        if (!st) *out = (type)v;                                                               \
        return st;                                                                             \
    }
SMC_ENUM(lrnn_proposal, proposal_names, "proposal")
SMC_ENUM(lrnn_opt_weights, weights_names, "weights")
SMC_ENUM(lrnn_resample, resample_names, "resampling")
SMC_ENUM(lrnn_precision, precision_names, "precision")

/* ---------------------------------------------------------------------------------------- */

/* Lay the tape out in `base` (NULL: only count). Every array starts on a 64-byte boundary
 * (counts rounded up to 8 doubles) for the vector kernels. Returns the doubles needed. */
static size_t tape_layout(const lrnn_smc *s, tape *t, double *base) {
    size_t R = s->R, N = s->N, X = s->X, U = s->U, K = s->K, T = s->max_T;
    size_t S = (N + 7) / 8 * 8, XP = (X + 7) / 8 * 8, XN = X > N ? X : N;
    size_t wide = K > X ? K : X;
    wide = wide > R ? wide : R;
    size_t at = 0;
#define TAKE(field, count) (t->field = base ? base + at : NULL, at += ((count) + 7) / 8 * 8)
    TAKE(z, T * K * R), TAKE(zt, T * K * R), TAKE(mup, T * K * R), TAKE(zbar, T * K * R);
    TAKE(rho, T * K * R), TAKE(yt, T * XP), TAKE(ytbar, XP), TAKE(dbarp, XP), TAKE(wstep, XP);
    TAKE(hx, K * R), TAKE(quad, K), TAKE(mbarT, R * N), TAKE(HbarT, R * XP);
    TAKE(units, smc_unit_rows(R) * S);
    TAKE(lw, T * K), TAKE(logw_prev, T * K), TAKE(prob, T * K);
    TAKE(v, T * U), TAKE(vbar, T * U), TAKE(cin, T * S), TAKE(cinbar, T * S);
    TAKE(work, K * XN), TAKE(work2, K * XN), TAKE(yhat, K * XN), TAKE(ybar, K * XN);
    TAKE(chan, X);
    bool sampled_obs = s->params.proposal != LRNN_PROPOSAL_OPTIMAL || s->params.t_forward > 0;
    TAKE(Yhat, sampled_obs ? T * K * X : 0);
    TAKE(mubar, K * R), TAKE(ztbar, K * R), TAKE(pscratch, 4 * K * R);
    TAKE(vec, 4 * wide), TAKE(kvec, 4 * K);
    TAKE(Lbar, R * R), TAKE(L0bar, R * R), TAKE(dbar, X), TAKE(Hbar, X * R), TAKE(Cvbar, X * U);
    TAKE(abar, R);
#undef TAKE
    if (base) {
        double *cursor = base + at;
        kalman_carve(&t->k0, R, &cursor);
        kalman_carve(&t->k1, R, &cursor);
        kalman_carve(&t->km, R, &cursor);
    }
    return at + 3 * kalman_doubles(R);
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
    s->trial_total = c->encoder.layers > 0
                         ? (size_t)(model->view.encoder - lrnn_model_params_const(model))
                         : s->total;
    s->enc = lrnn_model_encoder_config(c);
#ifdef _OPENMP
    s->threads = threads > 0 ? threads : omp_get_max_threads();
#else
    (void)threads;
    s->threads = 1;
#endif
    if ((st = smc_pass_alloc(&s->pass, model, p))) return free(s), st;
    s->tapes = calloc((size_t)s->threads, sizeof *s->tapes);
    if (!s->tapes) return lrnn_smc_free(s), lrnn_fail(LRNN_ERR_NOMEM, "smc: out of memory");
    size_t per = tape_layout(s, &s->tapes[0], NULL), bytes = (per * sizeof(double) + 63) / 64 * 64;
    for (int i = 0; i < s->threads; i++) {
        s->tapes[i].block = aligned_alloc(64, bytes);
        if (!s->tapes[i].block) {
            lrnn_smc_free(s);
            return lrnn_fail(LRNN_ERR_NOMEM, "smc: cannot allocate %zu MB of particle storage",
                             bytes >> 20);
        }
        memset(s->tapes[i].block, 0, bytes);
        tape_layout(s, &s->tapes[i], s->tapes[i].block);
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
    lrnn_encoder_workspace_free(s->enc_ws);
    free(s->enc_y), free(s->enc_mask), free(s->enc_mean), free(s->enc_logvar);
    free(s->enc_var), free(s->enc_dmean), free(s->enc_dlogvar);
    smc_pass_free(&s->pass);
    free(s);
}

void lrnn_smc_set_replay(lrnn_smc *s, bool replay) {
    s->replay = replay;
}

void lrnn_smc_set_record(lrnn_smc *s, const lrnn_smc_record *rec) {
    s->record = rec;
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
        s->trial_grad = malloc(B * s->trial_total * sizeof *s->trial_grad);
        s->trial_bound = malloc(B * sizeof *s->trial_bound);
        if (!s->trial_grad || !s->trial_bound)
            return lrnn_fail(LRNN_ERR_NOMEM, "smc: cannot allocate per-trial gradients");
        s->trial_cap = B;
    }
    if (s->params.proposal == LRNN_PROPOSAL_ENCODER && B > s->enc_cap) {
        lrnn_encoder_workspace_free(s->enc_ws);
        free(s->enc_y), free(s->enc_mask), free(s->enc_mean), free(s->enc_logvar);
        free(s->enc_var), free(s->enc_dmean), free(s->enc_dlogvar);
        size_t n = B * s->max_T;
        s->enc_y = malloc(n * s->X * sizeof *s->enc_y);
        s->enc_mask = malloc(n * s->X);
        s->enc_mean = malloc(n * s->R * sizeof(double));
        s->enc_logvar = malloc(n * s->R * sizeof(double));
        s->enc_var = malloc(n * s->R * sizeof(double));
        s->enc_dmean = malloc(n * s->R * sizeof(double));
        s->enc_dlogvar = malloc(n * s->R * sizeof(double));
        s->enc_cap = 0;
        if (!s->enc_y || !s->enc_mask || !s->enc_mean || !s->enc_logvar || !s->enc_var ||
            !s->enc_dmean || !s->enc_dlogvar)
            return lrnn_fail(LRNN_ERR_NOMEM, "smc: cannot allocate encoder storage");
        lrnn_status st = lrnn_encoder_workspace_create(&s->enc, s->max_T, B, &s->enc_ws);
        if (!st && s->params.encoder_precision == LRNN_PRECISION_SINGLE)
            st = lrnn_encoder_set_single(s->enc_ws, true);
        if (st) return st;
        s->enc_cap = B;
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
    size_t T_obs;        /* steps shown to the proposal; T_obs..T-1: forward tail */
    /* encoder proposal: per step, the encoder's mean and variance (T_obs x R) and their
     * adjoints; v_z, v_z0: diagonal transition variances (R) and their adjoints */
    const double *mu_e, *s_e;
    double *mu_e_bar, *s_e_bar;
    double v_z[64], v_z0[64], v_z_bar[64], v_z0_bar[64];
    smc_adjoint adj;
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
        dense_mv(N, U, P->p.W_u, v, c->t->cin + t * P->kp.S, 0);
    }
}

/* y~ = y - b - c_t on observed channels (0 elsewhere) and e = H^T D^-1 y~. scratch: X. */
static void innovation_base(const trial_ctx *c, size_t t, const uint8_t *obs, double *yt,
                            double *e, double *scratch) {
    const smc_pass *P = c->pass;
    size_t X = P->X, R = P->R, U = P->U;
    const double *restrict y = c->y + t * X, *restrict b = P->p.bias_obs;
    const double *restrict v = c->t->v + t * U;
    double *restrict out = yt;
    if (P->Cv) {
        for (size_t i = 0; i < X; i++) {
            double ci = 0.0;
            for (size_t j = 0; j < U; j++) ci += P->Cv[i * U + j] * v[j];
            out[i] = y[i] - b[i] - ci;
        }
    } else {
        for (size_t i = 0; i < X; i++) out[i] = y[i] - b[i];
    }
    if (obs)
        for (size_t i = 0; i < X; i++) out[i] = obs[i] ? out[i] : 0.0;
    for (size_t i = 0; i < X; i++) scratch[i] = out[i] * P->kp.w[i]; /* 0 where unobserved */
    BY_RANK(R, rows_project, X, scratch, P->HT, e);
}

/* Channel weights of step t for the readout kernels: 1/d_i, 0 on unobserved channels. */
static const double *step_weights(const trial_ctx *c, const uint8_t *obs) {
    const smc_kparams *kp = &c->pass->kp;
    if (!obs) return kp->w;
    for (size_t i = 0; i < kp->X; i++) c->t->wstep[i] = obs[i] ? kp->w[i] : 0.0;
    return c->t->wstep; /* padding stays 0 */
}

/* Step t's Poisson counts and its slot of the slopes' tape. */
static smc_poisson_step poisson_step(const trial_ctx *c, size_t t, const uint8_t *obs,
                                     const double *omega) {
    size_t KX = c->pass->K * c->pass->X;
    _Static_assert(sizeof(size_t) <= sizeof(double), "channel indices stored in doubles");
    return (smc_poisson_step){.y = c->y + t * c->pass->X, .obs = obs, .omega = omega,
                              .Q = c->t->Yhat + t * KX, .chan = (size_t *)(void *)c->t->chan,
                              .scratch = c->t->yhat};
}

/* Gaussian observation log-likelihoods lw[k] = log p(y_t | yhat_k) of K particles (bootstrap
 * and encoder proposals), the per-channel log d_i computed once per step into cst (X). */
SMC_CLONES
static void gauss_loglik(const trial_ctx *c, size_t t, const uint8_t *obs, size_t K,
                         const double *Yhat, double *lw, double *cst) {
    const smc_pass *P = c->pass;
    size_t X = P->X;
    const double *y = c->y + t * X;
    for (size_t i = 0; i < X; i++) cst[i] = log(P->var_x[i]);
    for (size_t k = 0; k < K; k++) {
        const double *yhat = Yhat + k * X;
        double acc = 0.0;
        for (size_t i = 0; i < X; i++) {
            if (!seen(obs, i)) continue;
            double r = y[i] - yhat[i];
            acc += -0.5 * r * r / P->var_x[i] - 0.5 * cst[i] - 0.5 * LOG_2PI;
        }
        lw[k] = acc;
    }
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

/* Optimal-proposal samples of K particles (R a compile-time constant for R <= 4):
 *   rho = e - M mu_p,  delta = Q rho,  z = mu_p + delta + W eps.
 * Every pointer is restrict, so that gcc vectorises the loop across particles. */
ROWS_INLINE void optimal_particles_sample(size_t R, const kalman *ks, const double *restrict e,
                                          size_t K, const double *restrict Mup,
                                          const double *restrict eps, double *restrict Rho,
                                          double *restrict D, double *restrict Z) {
    const double *restrict M = ks->M, *restrict Q = ks->Q, *restrict W = ks->W;
    for (size_t k = 0; k < K; k++) {
        double rho[64], delta[64];
        for (size_t a = 0; a < R; a++) {
            double acc = e[a];
            for (size_t b = 0; b < R; b++) acc -= M[a * R + b] * Mup[k * R + b];
            rho[a] = acc;
        }
        for (size_t a = 0; a < R; a++) {
            double acc = 0.0;
            for (size_t b = 0; b < R; b++) acc += Q[a * R + b] * rho[b];
            delta[a] = acc;
        }
        for (size_t a = 0; a < R; a++) {
            double acc = Mup[k * R + a] + delta[a];
            for (size_t b = 0; b < R; b++) acc += W[a * R + b] * eps[k * R + b];
            Rho[k * R + a] = rho[a], D[k * R + a] = delta[a], Z[k * R + a] = acc;
        }
    }
}

/* The optimal proposal's log weights lw_k = -1/2 (q_k + log det S + o log 2 pi) (cst: those two
 * terms), R a compile-time constant, with restrict pointers so that gcc vectorises across
 * particles. analytic: q = quad - rho^T delta (delta = Q rho). */
ROWS_INLINE void analytic_weights(size_t R, size_t K, const double *restrict quad,
                                  const double *restrict Rho, const double *restrict D,
                                  const double *cst, double *restrict lw) {
    for (size_t k = 0; k < K; k++) {
        double q = quad[k];
        for (size_t a = 0; a < R; a++) q -= Rho[k * R + a] * D[k * R + a];
        lw[k] = -0.5 * (q + cst[0] + cst[1]);
    }
}

/* ratio: q = quad + |L^-1 (z - mu_p)|^2 - |eps|^2. */
ROWS_INLINE void ratio_weights(size_t R, size_t K, const double *restrict quad,
                               const double *restrict Linv, const double *restrict Mup,
                               const double *restrict Z, const double *restrict eps,
                               const double *cst, double *restrict lw) {
    for (size_t k = 0; k < K; k++) {
        double q = quad[k];
        for (size_t a = 0; a < R; a++) {
            double acc = 0.0;
            for (size_t b = 0; b <= a; b++)
                acc += Linv[a * R + b] * (Z[k * R + b] - Mup[k * R + b]);
            q += acc * acc - eps[k * R + a] * eps[k * R + a];
        }
        lw[k] = -0.5 * (q + cst[0] + cst[1]);
    }
}

SMC_CLONES
static lrnn_status proposal_forward(trial_ctx *c, size_t t) {
    const smc_pass *P = c->pass;
    size_t R = P->R, K = P->K, X = P->X;
    const uint8_t *obs = mask_row(c, t);
    double *Z = c->t->z + t * K * R, *Mup = c->t->mup + t * K * R, *lw = c->t->lw + t * K;
    const double *eps = c->eps + t * K * R;
    if (t >= c->T_obs || P->sp.proposal != LRNN_PROPOSAL_OPTIMAL) {
        /* bootstrap (also every step of the forward tail) or encoder: sample, then weigh by
         * log p(y_t | z) plus the encoder's correction log p(z | z_prev) - log q(z) */
        double *corr = c->t->kvec; /* the backward's scratch, free during the forward */
        if (t >= c->T_obs || P->sp.proposal == LRNN_PROPOSAL_BOOTSTRAP) {
            const double *L = t == 0 ? P->d.L_z0 : P->d.L_z;
            for (size_t k = 0; k < K; k++) {
                memcpy(Z + k * R, Mup + k * R, R * sizeof *Z);
                dense_mv(R, R, L, eps + k * R, Z + k * R, 1);
                corr[k] = 0.0;
            }
        } else {
            smc_encoder_sample(R, K, t == 0 ? c->v_z0 : c->v_z, c->mu_e + t * R, c->s_e + t * R,
                               Mup, eps, Z, corr);
        }
        const double *cin = P->U ? c->t->cin + t * P->kp.S : NULL;
        const double *v = P->U ? c->t->v + t * P->U : NULL;
        if (P->c->obs == LRNN_OBS_POISSON) {
            smc_poisson_step st = poisson_step(c, t, obs, NULL);
            smc_poisson_forward(P, K, Z, cin, v, &st, lw, c->t->work, c->t->work2);
        } else {
            double *Yhat = c->t->Yhat + t * K * X;
            smc_observation_forward(P, K, Z, cin, v, Yhat, c->t->work);
            gauss_loglik(c, t, obs, K, Yhat, lw, c->t->ytbar); /* ytbar: scratch */
        }
        for (size_t k = 0; k < K; k++) lw[k] += corr[k];
        return LRNN_OK;
    }
    lrnn_status st;
    const kalman *ks = kalman_for(c, t, obs, &st);
    if (st) return st;
    double *yt = c->t->yt + t * P->kp.XP, *quad = c->t->quad, *D = c->t->mubar;
    double *e = c->t->vec;
    bool analytic = P->sp.weights == LRNN_WEIGHTS_ANALYTIC;
    innovation_base(c, t, obs, yt, e, c->t->ybar);
    BY_RANK(R, optimal_particles_sample, ks, e, K, Mup, eps, c->t->rho + t * K * R, D, Z);
    /* analytic: log N(y; H mu_p + b + c, S) = -1/2 [r^T D^-1 r - rho^T Q rho + log det S] - ..,
     * r = y~ - H mu_p.  ratio: log p(y|z) + log N(z; mu_p, Sigma) - log q(z), r = y~ - H z,
     * with z - mu_q = W eps. */
    P->kern.resid_forward(&P->kp, yt, step_weights(c, obs), K, analytic ? Mup : Z, quad);
    const double *Linv = t == 0 ? P->L0inv : P->Linv;
    double cst[2] = {ks->logdet_S, ks->observed * LOG_2PI};
    if (analytic)
        BY_RANK(R, analytic_weights, K, quad, c->t->rho + t * K * R, D, cst, lw);
    else
        BY_RANK(R, ratio_weights, K, quad, Linv, Mup, Z, eps, cst, lw);
    return LRNN_OK;
}

static void initial_mean(const trial_ctx *c, double *mu0) {
    const smc_pass *P = c->pass;
    lrnn_model_initial_mean(P->model, &P->d, P->U ? c->t->v : NULL, mu0);
}

static void draw_noise(trial_ctx *c, lrnn_rng *rng) {
    size_t n = c->T * c->pass->K * c->pass->R;
    lrnn_rng_normal_fill(rng, c->eps, n);
}

/* Zt[k] = Zprev[anc[k]] (K rows of R): with R a constant, moves instead of a memcpy call per
 * particle. */
ROWS_INLINE void gather_ancestors(size_t R, size_t K, const int *anc, const double *Zprev,
                                  double *Zt) {
    for (size_t k = 0; k < K; k++)
        for (size_t a = 0; a < R; a++) Zt[k * R + a] = Zprev[(size_t)anc[k] * R + a];
}

/* Forward filter of one trial; returns sum_t L_t in *total. */
SMC_CLONES
static lrnn_status trial_forward(trial_ctx *c, uint64_t seed, uint64_t draw, double *total) {
    const smc_pass *P = c->pass;
    size_t R = P->R, K = P->K, S = P->kp.S, T = c->T;
    const double logK = log((double)K);
    lrnn_rng noise, resampler;
    lrnn_rng_init(&noise, seed, LRNN_RNG_FILTER, draw, c->b);
    lrnn_rng_init(&resampler, seed, LRNN_RNG_RESAMPLE, draw, c->b);
    if (!c->s->replay) draw_noise(c, &noise);
    inputs_forward(c);
    smc_units_load(P, c->t->units); /* this pass's parameters; adjoints zeroed */
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
            BY_RANK(R, gather_ancestors, K, c->anc + t * K, Zprev, Zt);
            smc_transition_forward(P, c->t->units, K, Zt, P->U ? c->t->cin + (t - 1) * S : NULL,
                                   Mup);
        }
        lrnn_status st = proposal_forward(c, t);
        if (st) return st;
        /* L_t = lse(log W + lw) - lse(log W). After a resampling (and at t = 0) log W is
         * -log K everywhere and its lse is exactly 0 (-log K + log K). */
        for (size_t k = 0; k < K; k++) scratch[k] = lwp[k] + lw[k];
        /* normalised weights: the resampling probabilities and, in the backward pass, dL_t/dlw */
        double *prob = c->t->prob + t * K;
        double norm = smc_normalise(K, scratch, prob);
        bool uniform = t == 0 || c->resampled[t];
        double step = norm - (uniform ? 0.0 : smc_logsumexp(K, lwp));
        if (!isfinite(step))
            return lrnn_fail(LRNN_ERR_NUMERIC, "smc: the bound of trial %zu went non-finite at "
                                               "step %zu (log weights %g..)",
                             c->b, t, lw[0]);
        sum += step;
        if (t + 1 == T) break;
        double *next = c->t->logw_prev + (t + 1) * K;
        if (!c->s->replay) {
            bool resample = t < c->T_obs; /* never inside the forward tail */
            if (resample && P->sp.ess_threshold < 1.0) {
                /* ESS = (sum w)^2 / sum w^2 = 1 / sum p^2 of the carried weights */
                double s2 = 0.0;
                for (size_t k = 0; k < K; k++) s2 += prob[k] * prob[k];
                resample = 1.0 / s2 < P->sp.ess_threshold * (double)K;
            }
            c->resampled[t + 1] = resample;
            if (resample) {
                size_t draws = P->sp.resample == LRNN_RESAMPLE_SYSTEMATIC ? 1 : K;
                for (size_t i = 0; i < draws; i++) u01[i] = lrnn_rng_uniform(&resampler);
                smc_resample(P->sp.resample, K, prob, u01, c->anc + (t + 1) * K, c->t->ztbar);
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

/* Backward of log p(y_t | z) at the sampled particles (bootstrap and encoder proposals): the
 * adjoints of z_t accumulate in zbar_t, and the readout's in adj. */
SMC_CLONES
static void sampled_observation_backward(trial_ctx *c, size_t t, const double *omega) {
    const smc_pass *P = c->pass;
    size_t R = P->R, K = P->K, X = P->X, U = P->U;
    const uint8_t *obs = mask_row(c, t);
    const double *Z = c->t->z + t * K * R;
    size_t S = P->kp.S;
    const double *cin = U ? c->t->cin + t * S : NULL, *v = U ? c->t->v + t * U : NULL;
    const double *Yhat = c->t->Yhat + t * K * X; /* from the forward pass */
    double *Ybar = c->t->ybar;
    const double *y = c->y + t * X;
    double *Zbar = c->t->zbar + t * K * R, *cinbar = U ? c->t->cinbar + t * S : NULL;
    double *vbar = U ? c->t->vbar + t * U : NULL;
    if (t > 0) { /* step t-1's tape row is read next: fetch it while this step runs */
        const char *next = (const char *)(Yhat - K * X);
        for (size_t b = 0; b < K * X * sizeof *Yhat; b += 64) __builtin_prefetch(next + b);
    }
    if (P->c->obs == LRNN_OBS_POISSON) {
        smc_poisson_step st = poisson_step(c, t, obs, omega);
        smc_poisson_backward(P, K, Z, cin, v, &st, Zbar, cinbar, vbar, &c->adj, c->t->work,
                             c->t->work2);
        return;
    }
    for (size_t k = 0; k < K; k++)
        for (size_t i = 0; i < X; i++) {
            double g = 0.0;
            if (seen(obs, i)) {
                double r = y[i] - Yhat[k * X + i], d = P->var_x[i];
                g = omega[k] * r / d;
                c->adj.dbar[i] += omega[k] * (0.5 * r * r / (d * d) - 0.5 / d);
            }
            Ybar[k * X + i] = g;
        }
    smc_observation_backward(P, K, Z, cin, v, Ybar, Zbar, cinbar, vbar, &c->adj, c->t->work,
                             c->t->work2);
}

/* Backward of the bootstrap proposal at step t: Mubar from zbar_t and the weights' adjoints. */
static void bootstrap_backward(trial_ctx *c, size_t t, const double *omega, double *Mubar) {
    const smc_pass *P = c->pass;
    size_t R = P->R, K = P->K;
    const double *eps = c->eps + t * K * R, *Zbar = c->t->zbar + t * K * R;
    sampled_observation_backward(c, t, omega);
    /* z = mu_p + L eps */
    double *Lbar = t == 0 ? c->adj.L0bar : c->adj.Lbar;
    for (size_t k = 0; k < K; k++) {
        memcpy(Mubar + k * R, Zbar + k * R, R * sizeof *Mubar);
        add_outer_lower(R, 1.0, Zbar + k * R, eps + k * R, Lbar);
    }
}

/* Backward of the encoder proposal at step t (spec 3.5, encoder_proposal.c). */
static void encoder_backward(trial_ctx *c, size_t t, const double *omega, double *Mubar) {
    const smc_pass *P = c->pass;
    size_t R = P->R, K = P->K;
    sampled_observation_backward(c, t, omega);
    smc_encoder_backward(R, K, t == 0 ? c->v_z0 : c->v_z, c->mu_e + t * R, c->s_e + t * R,
                         c->t->mup + t * K * R, c->eps + t * K * R, c->t->z + t * K * R, omega,
                         c->t->zbar + t * K * R, Mubar, t == 0 ? c->v_z0_bar : c->v_z_bar,
                         c->mu_e_bar + t * R, c->s_e_bar + t * R);
}

/* The optimal proposal's matrices at one step and the adjoints they accumulate. */
typedef struct optimal_particles_t {
    const double *Q, *M, *Linv;
    double *Qbar, *Wbar, *Mbar, *Lbar;
} optimal_particles_t;

/* The particles' own adjoints of the optimal proposal (below): mubar, and zbar, rhobar, u, w
 * into ZB, RB, U, Wv (K x R each; U, Wv for ratio weights only), with every pointer restrict
 * and no sum over particles, so that gcc vectorises across particles. */
ROWS_INLINE void optimal_particles_own(size_t R, const optimal_particles_t *o, bool analytic,
                                       size_t K, const double *restrict Mup,
                                       const double *restrict Z, const double *restrict Rho,
                                       const double *restrict Zbar, const double *restrict hx,
                                       const double *restrict omega, double *restrict Mubar,
                                       double *restrict ZB, double *restrict RB,
                                       double *restrict U, double *restrict Wv) {
    const double *restrict Q = o->Q, *restrict M = o->M, *restrict Linv = o->Linv;
    /* (the unroll pragmas let gcc flatten the rank loops, which its outer-loop vectoriser needs) */
    for (size_t k = 0; k < K; k++) {
        const double *mp = Mup + k * R, *z = Z + k * R, *rho = Rho + k * R;
        double om = omega[k], mb[64], rb[64], zb[64], w[64], u[64];
#pragma GCC unroll 4
        for (size_t a = 0; a < R; a++) zb[a] = Zbar[k * R + a];
        if (analytic) {
#pragma GCC unroll 4
            for (size_t a = 0; a < R; a++) {
                double delta = 0.0; /* (Q rho)_a */
#pragma GCC unroll 4
                for (size_t b = 0; b < R; b++) delta += Q[a * R + b] * rho[b];
                mb[a] = hx[k * R + a], rb[a] = om * delta;
            }
        } else {
#pragma GCC unroll 4
            for (size_t a = 0; a < R; a++) {
                double acc = 0.0;
#pragma GCC unroll 4
                for (size_t b = 0; b <= a; b++) acc += Linv[a * R + b] * (z[b] - mp[b]);
                w[a] = acc, zb[a] += hx[k * R + a];
            }
#pragma GCC unroll 4
            for (size_t b = 0; b < R; b++) {
                double acc = 0.0;
#pragma GCC unroll 4
                for (size_t a = b; a < R; a++) acc += Linv[a * R + b] * w[a];
                /* mb from 0 + om u, as before the split (a -0 becomes +0 alike) */
                u[b] = acc, zb[b] -= om * acc, mb[b] = 0.0 + om * acc, rb[b] = 0.0;
            }
        }
#pragma GCC unroll 4
        for (size_t a = 0; a < R; a++) {
            mb[a] += zb[a];
            double acc = rb[a]; /* rhobar += Q^T zbar (Q symmetric) */
#pragma GCC unroll 4
            for (size_t b = 0; b < R; b++) acc += Q[a * R + b] * zb[b];
            rb[a] = acc;
        }
#pragma GCC unroll 4
        for (size_t a = 0; a < R; a++)
#pragma GCC unroll 4
            for (size_t b = 0; b < R; b++) mb[b] -= M[a * R + b] * rb[a];
#pragma GCC unroll 4
        for (size_t a = 0; a < R; a++) {
            Mubar[k * R + a] = mb[a], ZB[k * R + a] = zb[a], RB[k * R + a] = rb[a];
            if (!analytic) U[k * R + a] = u[a], Wv[k * R + a] = w[a];
        }
    }
}

/* Backward of the optimal proposal over the K particles of a step, R a compile-time constant
 * for R <= 4 (rows.h BY_RANK). Per particle, given zbar (Zbar), hx = H^T g (the readout term's
 * adjoint w.r.t. the point where the residual was taken) and the weight adjoint om:
 *   analytic  lw = -1/2 |r|^2_D + 1/2 rho.Q rho - 1/2 log det S:  mubar = hx, rhobar = om Q rho,
 *             Qbar += om/2 rho rho^T
 *   ratio     lw = -1/2 |r|^2_D - 1/2 |L^-1 (z - mu_p)|^2 + 1/2 |eps|^2 - ...:  zbar += hx,
 *             u = Linv^T w with w = Linv (z - mu_p): zbar -= om u, mubar += om u,
 *             Lbar += om u w^T (lower part)
 *   then z = mu_p + Q rho + W eps, rho = e - M mu_p:  mubar += zbar, Wbar += zbar eps^T,
 *   Qbar += zbar rho^T, rhobar += Q zbar, ebar += rhobar, Mbar -= rhobar mu_p^T,
 *   mubar -= M^T rhobar.
 * Two loops: the particles' own adjoints (mubar, and zbar, rhobar, u, w kept in scratch: 4 K R)
 * in one that gcc vectorises across particles (every pointer restrict, no sums over k), then
 * the sums over particles, each entry receiving the particles' terms in order. */
ROWS_INLINE void optimal_particles_backward(size_t R, const optimal_particles_t *o, bool analytic,
                                            size_t K, const double *restrict Mup,
                                            const double *restrict Z,
                                            const double *restrict eps,
                                            const double *restrict Rho,
                                            const double *restrict Zbar,
                                            const double *restrict hx,
                                            const double *restrict omega,
                                            double *restrict Mubar, double *restrict ebar,
                                            double *restrict scratch) {
    double *restrict ZB = scratch, *restrict RB = ZB + K * R, *restrict U = RB + K * R;
    double *restrict Wv = U + K * R;
    if (analytic) /* a constant in each copy: no branch in the loop that gcc vectorises */
        optimal_particles_own(R, o, true, K, Mup, Z, Rho, Zbar, hx, omega, Mubar, ZB, RB, U, Wv);
    else
        optimal_particles_own(R, o, false, K, Mup, Z, Rho, Zbar, hx, omega, Mubar, ZB, RB, U, Wv);
    /* For R <= 4 the R x R accumulators live in locals (registers once R is a constant). */
    bool small = R <= 4;
    double q4[16], w4[16], m4[16], e4[4];
    double *restrict Qbar = small ? q4 : o->Qbar, *restrict Wbar = small ? w4 : o->Wbar;
    double *restrict Mbar = small ? m4 : o->Mbar, *restrict eb = small ? e4 : ebar;
    double *restrict Lbar = o->Lbar;
    if (small) {
        memcpy(q4, o->Qbar, R * R * sizeof *q4), memcpy(w4, o->Wbar, R * R * sizeof *w4);
        memcpy(m4, o->Mbar, R * R * sizeof *m4), memcpy(e4, ebar, R * sizeof *e4);
    }
    for (size_t k = 0; k < K; k++) {
        const double *mp = Mup + k * R, *ek = eps + k * R, *rho = Rho + k * R;
        const double *zb = ZB + k * R, *rb = RB + k * R, *u = U + k * R, *w = Wv + k * R;
        double om = omega[k];
        if (analytic)
            for (size_t a = 0; a < R; a++)
                for (size_t b = 0; b < R; b++) Qbar[a * R + b] += 0.5 * om * rho[a] * rho[b];
        else
            for (size_t a = 0; a < R; a++)
                for (size_t b = 0; b <= a; b++) Lbar[a * R + b] += om * u[a] * w[b];
        for (size_t a = 0; a < R; a++)
            for (size_t b = 0; b < R; b++) {
                Wbar[a * R + b] += zb[a] * ek[b];
                Qbar[a * R + b] += zb[a] * rho[b];
            }
        for (size_t a = 0; a < R; a++) {
            eb[a] += rb[a];
            for (size_t b = 0; b < R; b++) Mbar[a * R + b] -= rb[a] * mp[b];
        }
    }
    if (small) {
        memcpy(o->Qbar, q4, R * R * sizeof *q4), memcpy(o->Wbar, w4, R * R * sizeof *w4);
        memcpy(o->Mbar, m4, R * R * sizeof *m4), memcpy(ebar, e4, R * sizeof *e4);
    }
}

SMC_CLONES
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
    const double *yt = c->t->yt + t * P->kp.XP;
    double *ytbar = c->t->ytbar, *hx = c->t->hx;
    bool analytic = P->sp.weights == LRNN_WEIGHTS_ANALYTIC;
    memset(ytbar, 0, P->kp.XP * sizeof *ytbar);
    double ebar[64];
    memset(ebar, 0, R * sizeof *ebar);
    const double *Linv = t == 0 ? P->L0inv : P->Linv;
    double *Lbar = t == 0 ? c->adj.L0bar : c->adj.Lbar;
    /* -1/2 sum_o r_i^2/d_i with r = y~ - H mu_p (analytic) or y~ - H z (ratio): hx = H^T g */
    const double *wts = step_weights(c, obs);
    P->kern.resid_backward(&P->kp, yt, wts, K, analytic ? Mup : Z, omega, ytbar, c->t->HbarT,
                           c->t->dbarp, hx);
    optimal_particles_t sets = {.Q = shared->Q, .M = shared->M, .Linv = Linv, .Qbar = ka->Qbar,
                                .Wbar = ka->Wbar, .Mbar = ka->Mbar, .Lbar = Lbar};
    BY_RANK(R, optimal_particles_backward, &sets, analytic, K, Mup, Z, eps, c->t->rho + t * K * R,
            Zbar, hx, omega, Mubar, ebar, c->t->pscratch);
    for (size_t k = 0; k < K; k++) ka->logdet_S_bar += -0.5 * omega[k];
    /* e = H^T D^-1 y~ (w = 1/d, 0 on unobserved channels, whose terms vanish) */
    {
        size_t XP = P->kp.XP;
        const double *restrict HT = P->kp.HT, *restrict ytr = yt;
        double *restrict HbT = c->t->HbarT, *restrict db = c->t->dbarp, *restrict yb = ytbar;
        for (size_t i = 0; i < X; i++) {
            double inv = wts[i], he = 0.0;
            for (size_t a = 0; a < R; a++) {
                HbT[a * XP + i] += ytr[i] * inv * ebar[a];
                he += HT[a * XP + i] * ebar[a];
            }
            yb[i] += he * inv;
            db[i] -= ytr[i] * he * inv * inv;
        }
    }
    /* y~ = y - b - C_v v_t */
    const lrnn_param_view gv = c->adj.g;
    for (size_t i = 0; i < X; i++) {
        gv.bias_obs[i] -= ytbar[i];
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
    const lrnn_param_view g = c->adj.g;
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
    const lrnn_param_view g = c->adj.g;
    for (size_t t = 0; t < c->T; t++) {
        const double *cb = c->t->cinbar + t * P->kp.S, *v = c->t->v + t * U;
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

/* Zbar_prev[anc[k]] += Ztbar[k] (K rows of R). Resampled ancestors come in runs of one index
 * (systematic resampling sorts them): a run is summed in registers, in the same order as one
 * row at a time, and stored once, instead of a chain of dependent loads and stores. */
ROWS_INLINE void scatter_to_ancestors(size_t R, size_t K, const int *anc, const double *Ztbar,
                                      double *Zbar_prev) {
    for (size_t k = 0; k < K;) {
        double *dst = Zbar_prev + (size_t)anc[k] * R, acc[64];
        for (size_t a = 0; a < R; a++) acc[a] = dst[a];
        size_t j = k;
        for (; j < K && anc[j] == anc[k]; j++)
            for (size_t a = 0; a < R; a++) acc[a] += Ztbar[j * R + a];
        for (size_t a = 0; a < R; a++) dst[a] = acc[a];
        k = j;
    }
}

SMC_CLONES
static lrnn_status trial_backward(trial_ctx *c, double scale) {
    const smc_pass *P = c->pass;
    size_t R = P->R, K = P->K, N = P->N, U = P->U, X = P->X, T = c->T, S = P->kp.S;
    tape *tp = c->t;
    memset(tp->zbar, 0, T * K * R * sizeof *tp->zbar);
    if (U) {
        memset(tp->cinbar, 0, T * P->kp.S * sizeof *tp->cinbar);
        memset(tp->vbar, 0, T * U * sizeof *tp->vbar);
    }
    memset(tp->Lbar, 0, R * R * sizeof(double)), memset(tp->L0bar, 0, R * R * sizeof(double));
    memset(tp->dbar, 0, X * sizeof(double)), memset(tp->Hbar, 0, X * R * sizeof(double));
    memset(tp->Cvbar, 0, X * U * sizeof(double)), memset(tp->abar, 0, R * sizeof(double));
    memset(tp->mbarT, 0, R * N * sizeof(double));
    memset(tp->HbarT, 0, R * P->kp.XP * sizeof(double));
    memset(tp->dbarp, 0, P->kp.XP * sizeof(double));
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
    double *omega = tp->kvec, *carry = omega + K, *s0 = carry + K;
    memset(carry, 0, K * sizeof *carry);
    lrnn_status st = LRNN_OK;
    for (size_t t = T; t-- > 0;) {
        const double *lwp = tp->logw_prev + t * K;
        /* s = softmax(log W + lw), s0 = softmax(log W): dL_t/dlw = s, dL_t/dlogW = s - s0 */
        /* s is the forward's normalised weights; log W is uniform after a resampling */
        const double *prob = tp->prob + t * K;
        bool uniform = t == 0 || c->resampled[t];
        double n0 = uniform ? 0.0 : smc_logsumexp(K, lwp), u0 = exp(lwp[0] - n0);
        bool carried = t + 1 < T && !c->resampled[t + 1];
        for (size_t k = 0; k < K; k++) {
            double sk = prob[k], s0k = uniform ? u0 : exp(lwp[k] - n0);
            double future = carried ? carry[k] : 0.0; /* adjoint of log W_t from step t+1 */
            omega[k] = scale * sk + future;
            s0[k] = scale * (sk - s0k) + future;
        }
        memcpy(carry, s0, K * sizeof *carry);
        double *Mubar = tp->mubar;
        if (t >= c->T_obs || P->sp.proposal == LRNN_PROPOSAL_BOOTSTRAP)
            bootstrap_backward(c, t, omega, Mubar);
        else if (P->sp.proposal == LRNN_PROPOSAL_ENCODER)
            encoder_backward(c, t, omega, Mubar);
        else
            optimal_backward(c, t, omega, Mubar, &st);
        if (st) return st;
        if (t == 0) {
            initial_backward(c, Mubar);
            break;
        }
        const double *Zt = tp->zt + t * K * R;
        smc_transition_backward(P, tp->units, K, Zt, U ? tp->cin + (t - 1) * S : NULL, Mubar,
                                tp->ztbar, U ? tp->cinbar + (t - 1) * S : NULL, &c->adj);
        BY_RANK(R, scatter_to_ancestors, K, c->anc + t * K, tp->ztbar,
                tp->zbar + (t - 1) * K * R);
    }
    inputs_backward(c);
    if (P->sp.proposal == LRNN_PROPOSAL_ENCODER) {
        /* diagonal variances v_d = L_dd^2 */
        for (size_t d = 0; d < R; d++) {
            c->adj.Lbar[d * R + d] += 2.0 * P->d.L_z[d * R + d] * c->v_z_bar[d];
            c->adj.L0bar[d * R + d] += 2.0 * P->d.L_z0[d * R + d] * c->v_z0_bar[d];
        }
    }
    smc_units_fold(P, tp->units, &c->adj);
    for (size_t i = 0; i < X; i++) {
        for (size_t a = 0; a < R; a++) c->adj.Hbar[i * R + a] += tp->HbarT[a * P->kp.XP + i];
        c->adj.dbar[i] += tp->dbarp[i];
    }
    if (P->sp.proposal == LRNN_PROPOSAL_OPTIMAL) {
        kalman_backward(&tp->k0, P, c->adj.L0bar, &c->adj);
        kalman_backward(&tp->k1, P, c->adj.Lbar, &c->adj);
    }
    smc_adjoint_finish(P, &c->adj);
    return LRNN_OK;
}

/* ---------------------------------------------------------------------------------------- */

/* Copy trial c's particles, log weights and ancestors into the record (batch shape B x T). */
static void record_trial(const lrnn_smc_record *rec, const trial_ctx *c, size_t T) {
    size_t K = c->pass->K, R = c->pass->R, b = c->b;
    for (size_t t = 0; t < c->T; t++) {
        size_t at = (b * T + t) * K;
        if (rec->z) memcpy(rec->z + at * R, c->t->z + t * K * R, K * R * sizeof *rec->z);
        if (rec->logw)
            for (size_t k = 0; k < K; k++) rec->logw[at + k] = log(c->t->prob[t * K + k]);
        if (rec->ancestors)
            for (size_t k = 0; k < K; k++)
                rec->ancestors[at + k] = t == 0 ? (int)k : c->anc[t * K + k];
    }
}

/* The encoder over the batch's windows without their forward tails (B x T_obs x X), before
 * the trials run: mean and variance s = clamp(exp(logvar), 1e-8, 100) per step (spec 3.5). A
 * shorter trial's tail (its last t_forward steps) and its padding are masked from it too. */
static lrnn_status encoder_forward(lrnn_smc *s, const smc_pass *pass, const lrnn_batch *batch,
                                   size_t T_obs) {
    size_t B = batch->B, T = batch->T, X = s->X, R = s->R, tf = T - T_obs;
    const double *y = batch->y;
    const uint8_t *mask = batch->mask;
    bool hide = batch->lengths != NULL; /* padding and shorter trials' tails */
    if (T_obs < T || hide) { /* drop the tails: the encoder must not see them */
        for (size_t b = 0; b < B; b++) {
            memcpy(s->enc_y + b * T_obs * X, y + b * T * X, T_obs * X * sizeof *y);
            uint8_t *m = s->enc_mask + b * T_obs * X;
            if (mask) memcpy(m, mask + b * T * X, T_obs * X);
            else if (hide) memset(m, 1, T_obs * X);
            if (hide) {
                size_t from = batch->lengths[b] - tf; /* >= 1, checked by the caller */
                if (from < T_obs) memset(m + from * X, 0, (T_obs - from) * X);
            }
        }
        y = s->enc_y, mask = mask || hide ? s->enc_mask : NULL;
    }
    lrnn_status st = lrnn_encoder_forward(&s->enc, pass->p.encoder, s->enc_ws, B, T_obs, y, X,
                                          mask, s->enc_mean, s->enc_logvar);
    if (st) return lrnn_fail_context(st, "smc: encoder");
    size_t n = B * T_obs * R;
    for (size_t i = 0; i < n; i++) {
        double v = exp(s->enc_logvar[i]);
        s->enc_var[i] = v < 1e-8 ? 1e-8 : v > 100.0 ? 100.0 : v;
    }
    memset(s->enc_dmean, 0, n * sizeof *s->enc_dmean);
    memset(s->enc_dlogvar, 0, n * sizeof *s->enc_dlogvar);
    return LRNN_OK;
}

/* The trials' adjoints of the encoder's outputs back into its parameters: the variance
 * adjoints (in enc_dlogvar) become log-variance adjoints, zero where the clamp is active. */
static lrnn_status encoder_backward_batch(lrnn_smc *s, const smc_pass *pass,
                                          const lrnn_model *model, size_t B, size_t T_obs,
                                          double *grad) {
    size_t n = B * T_obs * s->R;
    for (size_t i = 0; i < n; i++) {
        double v = exp(s->enc_logvar[i]);
        s->enc_dlogvar[i] = v < 1e-8 || v > 100.0 ? 0.0 : s->enc_dlogvar[i] * v;
    }
    double *enc_grad = grad + (pass->p.encoder - lrnn_model_params_const(model));
    lrnn_status st = lrnn_encoder_backward(&s->enc, pass->p.encoder, s->enc_ws, s->enc_dmean,
                                           s->enc_dlogvar, enc_grad);
    return st ? lrnn_fail_context(st, "smc: encoder backward") : LRNN_OK;
}

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
    smc_pass *pass = &s->pass;
    if ((st = smc_pass_update(pass, model))) return st;
    size_t B = batch->B, T = batch->T, K = s->K, R = s->R;
    size_t tf = (size_t)s->params.t_forward, steps = 0;
    for (size_t b = 0; b < B; b++) {
        size_t len = batch->lengths ? batch->lengths[b] : T;
        if (len < 1 || len > T || len <= tf)
            return lrnn_fail(LRNN_ERR_SHAPE, "smc: trial %zu has %zu steps (window %zu, forward "
                                             "tail %zu)",
                             b, len, T, tf);
        steps += len;
    }
    size_t T_enc = T - tf; /* the encoder's window: every trial's filtered part */
    bool encoder = s->params.proposal == LRNN_PROPOSAL_ENCODER;
    if (encoder && (st = encoder_forward(s, pass, batch, T_enc))) return st;
    double scale = 1.0 / (double)steps;
    int failed = 0;
    char message[512] = "";
#pragma omp parallel for schedule(dynamic) num_threads(s->threads)
    for (size_t b = 0; b < B; b++) {
#ifdef _OPENMP
        tape *tp = &s->tapes[omp_get_thread_num()];
#else
        tape *tp = &s->tapes[0];
#endif
        size_t len = batch->lengths ? batch->lengths[b] : T;
        trial_ctx c = {.pass = pass, .s = s, .t = tp, .b = b, .T = len,
                       .y = batch->y + b * T * s->X,
                       .u = batch->u ? batch->u + b * T * s->U : NULL,
                       .mask = batch->mask ? batch->mask + b * T * s->X : NULL,
                       .eps = s->eps + b * T * K * R, .anc = s->anc + b * T * K,
                       .resampled = s->resampled + b * T, .T_obs = len - tf};
        if (encoder) {
            c.mu_e = s->enc_mean + b * T_enc * R, c.s_e = s->enc_var + b * T_enc * R;
            c.mu_e_bar = s->enc_dmean + b * T_enc * R, c.s_e_bar = s->enc_dlogvar + b * T_enc * R;
            for (size_t d = 0; d < R; d++) {
                c.v_z[d] = pass->d.L_z[d * R + d] * pass->d.L_z[d * R + d];
                c.v_z0[d] = pass->d.L_z0[d * R + d] * pass->d.L_z0[d * R + d];
            }
        }
        double *slot = s->trial_grad + b * s->trial_total;
        lrnn_param_view gv = lrnn_param_view_of(&model->layout, slot);
        gv.encoder = NULL; /* beyond the slot */
        c.adj = (smc_adjoint){.grad = slot, .g = gv,
                              .Lbar = tp->Lbar,
                              .L0bar = tp->L0bar, .dbar = tp->dbar, .Hbar = tp->Hbar,
                              .Cvbar = tp->Cvbar, .abar = tp->abar, .mbarT = tp->mbarT,
                              .HbarT = tp->HbarT};
        double total = 0.0;
        lrnn_status ts = trial_forward(&c, seed, draw, &total);
        s->trial_bound[b] = total / (double)len;
        if (!ts && s->record) record_trial(s->record, &c, T);
        if (!ts && grad) {
            memset(c.adj.grad, 0, s->trial_total * sizeof *c.adj.grad);
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
    if (failed) return lrnn_fail(LRNN_ERR_NUMERIC, "%s", message);
    double sum = 0.0;
    for (size_t b = 0; b < B; b++)
        sum += s->trial_bound[b] * (double)(batch->lengths ? batch->lengths[b] : T);
    *bound = sum / (double)steps;
    if (per_trial) memcpy(per_trial, s->trial_bound, B * sizeof *per_trial);
    if (grad) {
        /* sum per-trial gradients in trial order: identical for any thread count */
        memset(grad, 0, s->total * sizeof *grad);
        for (size_t b = 0; b < B; b++) {
            const double *gb = s->trial_grad + b * s->trial_total;
            for (size_t i = 0; i < s->trial_total; i++) grad[i] += gb[i];
        }
        if (encoder) return encoder_backward_batch(s, pass, model, B, T_enc, grad);
    }
    return LRNN_OK;
}
