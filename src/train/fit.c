/* The fitting loop (spec 5.1): random windows each epoch, batches through the SMC bound and its
 * gradient, one optimiser step per batch, a validation bound every few epochs.
 *
 * Every random choice is keyed by (seed, epoch, batch), so an epoch's work depends only on the
 * parameters and optimiser state at its start: resuming from a checkpoint continues exactly. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "io/train_state.h"
#include "lrnn/fit.h"
#include "lrnn/rng.h"
#include "model/internal.h"

typedef struct window {
    size_t trial, start;
} window;

struct lrnn_trainer {
    lrnn_model *model;
    const lrnn_dataset *data;
    lrnn_fit_params p;
    lrnn_smc *smc;
    lrnn_optim *optim;
    lrnn_history history;
    int epochs_done;
    size_t T;              /* window length */
    size_t *train_trials;  /* trials used for training (recording: {0}) */
    size_t *order;         /* this epoch's shuffled copy of train_trials */
    size_t n_train;
    size_t train_end;      /* recording: training part is [0, train_end) */
    window *valid;         /* fixed validation windows */
    size_t n_valid;
    size_t per_epoch;      /* training windows per epoch */
    window *windows;       /* this epoch's windows */
    double *y, *u, *grad;  /* batch buffers (B x T x X, B x T x U), gradient */
    double *backup;        /* parameters before the current step */
    uint8_t *mask;
    size_t *lengths;       /* batch window lengths (variable-length trials), else NULL */
};

/* Steps of trial b (variable-length trials end early). */
static size_t trial_length(const lrnn_dataset *d, size_t b) {
    return d->lengths ? d->lengths[b] : d->T;
}

lrnn_fit_params lrnn_fit_default_params(void) {
    lrnn_fit_params p = {
        .smc = lrnn_smc_default_params(),
        .optim = lrnn_optim_default_params(),
        .batch = 10,
        .window = 50,
        .windows_per_epoch = 0,
        .valid_frac = 0.0,
        .eval_every = 10,
        .seed = 1,
        .threads = 0,
    };
    p.smc.encoder_precision = LRNN_PRECISION_SINGLE; /* training: float32, as the reference */
    return p;
}

lrnn_status lrnn_fit_params_check(const lrnn_fit_params *p) {
    lrnn_status s = lrnn_optim_params_check(&p->optim);
    if (s) return s;
    if (p->batch == 0 || p->batch > 1 << 20)
        return lrnn_fail(LRNN_ERR_ARG, "fit: batch %zu outside 1..%d", p->batch, 1 << 20);
    if (!(p->valid_frac >= 0.0 && p->valid_frac < 1.0))
        return lrnn_fail(LRNN_ERR_ARG, "fit: validation fraction %g outside [0, 1)", p->valid_frac);
    if (p->eval_every < 0) return lrnn_fail(LRNN_ERR_ARG, "fit: eval-every must be >= 0");
    return LRNN_OK;
}

static uint64_t VALID_DRAW_BASE = UINT64_C(1) << 62; /* validation draws never meet training's */

/* Training/validation split. Trials: a seeded random subset is held out. One recording: its
 * final valid_frac is held out (the future is what a model should predict). */
static lrnn_status split(lrnn_trainer *t) {
    const lrnn_dataset *d = t->data;
    const lrnn_fit_params *p = &t->p;
    bool recording = d->B == 1;
    t->T = p->window > 0 && p->window < d->T ? p->window : d->T;
    if (recording) {
        size_t held = (size_t)floor(p->valid_frac * (double)d->T);
        t->train_end = d->T - held;
        if (t->train_end < t->T)
            return lrnn_fail(LRNN_ERR_ARG, "fit: the training part (%zu steps) is shorter than a "
                                           "window (%zu)", t->train_end, t->T);
        t->n_train = 1;
        t->train_trials = malloc(sizeof *t->train_trials);
        t->n_valid = held >= t->T ? held / t->T : (held > 0 ? 1 : 0);
        t->valid = calloc(t->n_valid ? t->n_valid : 1, sizeof *t->valid);
        if (!t->train_trials || !t->valid) return lrnn_fail(LRNN_ERR_NOMEM, "fit: out of memory");
        t->train_trials[0] = 0;
        /* consecutive windows over the held-out end; a part shorter than one window is
         * evaluated as the last window of the recording */
        for (size_t i = 0; i < t->n_valid; i++)
            t->valid[i] = (window){0, held >= t->T ? t->train_end + i * t->T : d->T - t->T};
        size_t per = t->train_end / t->T;
        t->per_epoch = p->windows_per_epoch ? p->windows_per_epoch : (per ? per : 1);
        return LRNN_OK;
    }
    size_t held = (size_t)llround(p->valid_frac * (double)d->B);
    if (p->valid_frac > 0.0 && held == 0) held = 1;
    if (held >= d->B)
        return lrnn_fail(LRNN_ERR_ARG, "fit: holding out %zu of %zu trials leaves none to train on",
                         held, d->B);
    size_t *perm = malloc(d->B * sizeof *perm);
    t->train_trials = malloc(d->B * sizeof *t->train_trials);
    size_t per_trial = d->T / t->T;
    t->valid = calloc(held * per_trial + 1, sizeof *t->valid);
    if (!perm || !t->train_trials || !t->valid) {
        free(perm);
        return lrnn_fail(LRNN_ERR_NOMEM, "fit: out of memory");
    }
    lrnn_rng rng;
    lrnn_rng_init(&rng, p->seed, LRNN_RNG_BATCH, UINT64_MAX, 0);
    for (size_t i = 0; i < d->B; i++) perm[i] = i;
    for (size_t i = d->B; i > 1; i--) {
        size_t j = (size_t)lrnn_rng_below(&rng, i), tmp = perm[i - 1];
        perm[i - 1] = perm[j], perm[j] = tmp;
    }
    t->n_train = d->B - held;
    memcpy(t->train_trials, perm, t->n_train * sizeof *perm);
    /* consecutive windows of each held-out trial; a shorter trial's last part is a window of
     * its own (its batch length says where it ends) if it is longer than the forward tail */
    size_t tail = (size_t)p->smc.t_forward;
    for (size_t i = 0; i < held; i++)
        for (size_t w = 0; w < per_trial && w * t->T + tail < trial_length(d, perm[t->n_train + i]); w++)
            t->valid[t->n_valid++] = (window){perm[t->n_train + i], w * t->T};
    free(perm);
    t->per_epoch = p->windows_per_epoch ? p->windows_per_epoch : t->n_train;
    return LRNN_OK;
}

lrnn_status lrnn_trainer_create(lrnn_model *model, const lrnn_dataset *data,
                                const lrnn_fit_params *p, lrnn_trainer **out) {
    *out = NULL;
    lrnn_status s = lrnn_fit_params_check(p);
    if (s) return s;
    const lrnn_model_config *c = &model->config;
    if (data->X != (size_t)c->channels || data->U != (size_t)c->inputs)
        return lrnn_fail(LRNN_ERR_SHAPE, "fit: data have %zu channels and %zu inputs; the model "
                                         "predicts %d channels from %d inputs",
                         data->X, data->U, c->channels, c->inputs);
    lrnn_trainer *t = calloc(1, sizeof *t);
    if (!t) return lrnn_fail(LRNN_ERR_NOMEM, "fit: out of memory");
    t->model = model, t->data = data, t->p = *p;
    size_t X = data->X, U = data->U, B = p->batch;
    if (!(s = split(t))) {
        t->windows = malloc(t->per_epoch * sizeof *t->windows);
        t->order = malloc(t->n_train * sizeof *t->order);
        t->y = malloc(B * t->T * X * sizeof *t->y);
        t->mask = data->mask ? malloc(B * t->T * X) : NULL;
        t->u = U ? malloc(B * t->T * U * sizeof *t->u) : NULL;
        t->lengths = data->lengths ? malloc(B * sizeof *t->lengths) : NULL;
        t->grad = malloc(model->layout.total * sizeof *t->grad);
        t->backup = malloc(model->layout.total * sizeof *t->backup);
        if (!t->windows || !t->order || !t->y || (data->mask && !t->mask) || (U && !t->u) ||
            !t->grad || !t->backup || (data->lengths && !t->lengths))
            s = lrnn_fail(LRNN_ERR_NOMEM, "fit: cannot allocate batch buffers");
    }
    if (!s) s = lrnn_smc_create(model, &p->smc, t->T, p->threads, &t->smc);
    if (!s) s = lrnn_optim_create(&p->optim, &model->layout, &t->optim);
    if (s) {
        lrnn_trainer_free(t);
        return s;
    }
    *out = t;
    return LRNN_OK;
}

void lrnn_trainer_free(lrnn_trainer *t) {
    if (!t) return;
    lrnn_smc_free(t->smc);
    lrnn_optim_free(t->optim);
    lrnn_history_free(&t->history);
    free(t->train_trials), free(t->order), free(t->valid), free(t->windows), free(t->lengths);
    free(t->y), free(t->u), free(t->mask), free(t->grad), free(t->backup);
    free(t);
}

/* This epoch's windows: trials in a shuffled order (cycled), random starts. */
static void draw_windows(lrnn_trainer *t, int epoch) {
    const lrnn_dataset *d = t->data;
    lrnn_rng rng;
    lrnn_rng_init(&rng, t->p.seed, LRNN_RNG_BATCH, (uint64_t)epoch, 0);
    size_t span = (d->B == 1 ? t->train_end : d->T) - t->T + 1;
    size_t *order = t->order;
    memcpy(order, t->train_trials, t->n_train * sizeof *order);
    for (size_t i = t->n_train; i > 1; i--) {
        size_t j = (size_t)lrnn_rng_below(&rng, i), tmp = order[i - 1];
        order[i - 1] = order[j], order[j] = tmp;
    }
    for (size_t w = 0; w < t->per_epoch; w++) {
        size_t trial = order[w % t->n_train], len = trial_length(d, trial);
        /* a window inside the trial; a trial shorter than a window is taken whole */
        size_t starts = d->lengths ? (len > t->T ? len - t->T + 1 : 1) : span;
        t->windows[w] = (window){trial, (size_t)lrnn_rng_below(&rng, starts)};
    }
}

/* Copy windows [first, first + count) into the batch buffers. */
static lrnn_batch fill_batch(lrnn_trainer *t, const window *w, size_t count) {
    const lrnn_dataset *d = t->data;
    size_t T = t->T, X = d->X, U = d->U;
    for (size_t b = 0; b < count; b++) {
        size_t src = w[b].trial * d->T + w[b].start;
        memcpy(t->y + b * T * X, d->y + src * X, T * X * sizeof *t->y);
        if (t->mask) memcpy(t->mask + b * T * X, d->mask + src * X, T * X);
        if (U) memcpy(t->u + b * T * U, d->u + src * U, T * U * sizeof *t->u);
        if (t->lengths) {
            size_t left = trial_length(d, w[b].trial) - w[b].start;
            t->lengths[b] = left < T ? left : T;
        }
    }
    lrnn_batch batch = {.B = count, .T = T, .X = X, .U = U, .y = t->y, .mask = t->mask, .u = t->u,
                        .lengths = t->lengths};
    return batch;
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

lrnn_status lrnn_trainer_validate(lrnn_trainer *t, double *bound) {
    *bound = NAN;
    if (t->n_valid == 0) return LRNN_OK;
    double sum = 0.0;
    size_t steps = 0;
    for (size_t first = 0, batch = 0; first < t->n_valid; first += t->p.batch, batch++) {
        size_t count = t->n_valid - first < t->p.batch ? t->n_valid - first : t->p.batch;
        lrnn_batch b = fill_batch(t, t->valid + first, count);
        double value;
        lrnn_status s = lrnn_smc_bound(t->smc, t->model, &b, t->p.seed, VALID_DRAW_BASE + batch,
                                       &value, NULL, NULL);
        if (s) return lrnn_fail_context(s, "validation");
        size_t n = 0; /* the batch's steps: the bound is per step */
        for (size_t i = 0; i < count; i++) n += b.lengths ? b.lengths[i] : b.T;
        sum += value * (double)n;
        steps += n;
    }
    *bound = sum / (double)steps;
    return LRNN_OK;
}

/* A step can overflow a parameter even from a finite gradient; name the first one. */
static lrnn_status check_finite(const lrnn_model *model) {
    const lrnn_param_layout *l = &model->layout;
    for (int e = 0; e < l->count; e++)
        for (size_t i = 0; i < l->entry[e].size; i++)
            if (!isfinite(model->params[l->entry[e].offset + i]))
                return lrnn_fail(LRNN_ERR_NUMERIC, "parameter %s[%zu] is not finite",
                                 l->entry[e].name, i);
    return LRNN_OK;
}

lrnn_status lrnn_trainer_epoch(lrnn_trainer *t, lrnn_epoch_report *r) {
    double start = now();
    int epoch = t->epochs_done;
    double lr = lrnn_optim_lr_at(&t->p.optim, epoch);
    lrnn_status s = lrnn_optim_set_lr(t->optim, lr);
    if (s) return s;
    draw_windows(t, epoch);
    size_t B = t->p.batch, batches = (t->per_epoch + B - 1) / B, total = t->model->layout.total;
    double sum = 0.0;
    for (size_t k = 0; k < batches; k++) {
        size_t first = k * B, count = t->per_epoch - first < B ? t->per_epoch - first : B;
        lrnn_batch batch = fill_batch(t, t->windows + first, count);
        double bound;
        uint64_t draw = (uint64_t)epoch * batches + k;
        s = lrnn_smc_bound(t->smc, t->model, &batch, t->p.seed, draw, &bound, t->grad, NULL);
        if (s) return lrnn_fail_context(s, "epoch %d, batch %zu", epoch + 1, k + 1);
        for (size_t i = 0; i < total; i++) t->grad[i] = -t->grad[i]; /* minimise -bound */
        memcpy(t->backup, t->model->params, total * sizeof *t->backup);
        s = lrnn_optim_step(t->optim, t->model->params, t->grad);
        if (s) return lrnn_fail_context(s, "epoch %d, batch %zu: gradient", epoch + 1, k + 1);
        if ((s = check_finite(t->model))) {
            memcpy(t->model->params, t->backup, total * sizeof *t->backup);
            return lrnn_fail_context(s, "epoch %d, batch %zu: after the optimiser step", epoch + 1,
                                     k + 1);
        }
        sum += bound * (double)count;
    }
    t->epochs_done++;
    r->epoch = t->epochs_done;
    r->bound = sum / (double)t->per_epoch;
    r->lr = lr;
    r->valid_bound = NAN;
    bool last = t->epochs_done >= t->p.optim.epochs;
    if (t->n_valid && t->p.eval_every > 0 && (t->epochs_done % t->p.eval_every == 0 || last)) {
        s = lrnn_trainer_validate(t, &r->valid_bound);
        if (s) return s;
    }
    r->seconds = now() - start;
    return lrnn_history_append(&t->history, r->bound, r->valid_bound, r->lr, r->seconds);
}

int lrnn_trainer_epochs_done(const lrnn_trainer *t) {
    return t->epochs_done;
}

const lrnn_history *lrnn_trainer_history(const lrnn_trainer *t) {
    return &t->history;
}

size_t lrnn_trainer_train_windows(const lrnn_trainer *t) {
    return t->per_epoch;
}

size_t lrnn_trainer_valid_windows(const lrnn_trainer *t) {
    return t->n_valid;
}

lrnn_status lrnn_trainer_save(const lrnn_trainer *t, const char *model_path,
                              const char *state_path) {
    lrnn_train_state st = {.epoch = t->epochs_done, .count = t->model->layout.total};
    const double *m, *v;
    lrnn_optim_state(t->optim, &st.step, &m, &v);
    st.m = (double *)m, st.v = (double *)v;
    /* state first: a model file never claims more epochs than the state next to it */
    lrnn_status s = lrnn_train_state_save(state_path, &st);
    if (!s) s = lrnn_model_save(t->model, model_path, &t->history);
    return s;
}

lrnn_status lrnn_trainer_restore(lrnn_trainer *t, const char *state_path,
                                 const lrnn_history *history) {
    lrnn_train_state st;
    lrnn_status s = lrnn_train_state_load(state_path, t->model->layout.total, &st);
    if (s) return s;
    if ((size_t)st.epoch != history->count) {
        lrnn_train_state_free(&st);
        return lrnn_fail(LRNN_ERR_FORMAT, "%s: optimiser state after %lld epochs, but the model "
                                          "file's history has %zu",
                         state_path, (long long)st.epoch, history->count);
    }
    s = lrnn_optim_restore(t->optim, st.step, st.m, st.v);
    t->epochs_done = (int)st.epoch;
    lrnn_train_state_free(&st);
    lrnn_history_free(&t->history);
    for (size_t i = 0; !s && i < history->count; i++)
        s = lrnn_history_append(&t->history, history->epoch_bound[i], history->valid_bound[i],
                                history->lr[i], history->seconds[i]);
    return s;
}
