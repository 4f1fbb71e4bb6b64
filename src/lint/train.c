/* The training loop of spec lint_method.md section 2: minibatches drawn without replacement
 * within a batch and independently across batches, masked MSE, BPTT, global-norm clipping and
 * Adam (include/lrnn/optim.h), keep-best over whole parameter blocks, early stop. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lint/internal.h"
#include "lrnn/optim.h"
#include "lrnn/rng.h"

/* Noise draw index of the pre-training loss (minibatch iterations count up from 0). */
#define LINT_DRAW_INITIAL UINT64_MAX

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

lrnn_lint_train_params lrnn_lint_train_default_params(void) {
    lrnn_lint_train_params p = {
        .epochs = 10,
        .batch_size = 32,
        .lr = 1e-2,
        .clip = 1.0,
        .keep_best = true,
        .early_stop = 0.0,
        .seed = 1,
        .single_precision = true,
        .progress = NULL,
        .user = NULL,
    };
    return p;
}

lrnn_status lrnn_lint_train_params_check(const lrnn_lint_train_params *p) {
    if (!p) return lrnn_fail(LRNN_ERR_ARG, "LINT training parameters are NULL");
    if (p->epochs < 1)
        return lrnn_fail(LRNN_ERR_ARG, "LINT training: epochs must be >= 1 (got %d)", p->epochs);
    if (p->batch_size < 1) return lrnn_fail(LRNN_ERR_ARG, "LINT training: batch_size must be >= 1");
    if (!(p->lr > 0.0 && isfinite(p->lr)))
        return lrnn_fail(LRNN_ERR_ARG, "LINT training: lr must be finite and > 0 (got %g)", p->lr);
    if (!isfinite(p->clip))
        return lrnn_fail(LRNN_ERR_ARG, "LINT training: clip must be finite (<= 0: off; got %g)",
                         p->clip);
    if (!isfinite(p->early_stop))
        return lrnn_fail(LRNN_ERR_ARG,
                         "LINT training: early_stop must be finite (<= 0: off; "
                         "got %g)",
                         p->early_stop);
    return LRNN_OK;
}

/* Loss of the whole data set in chunks of the workspace's batch size, with noise. */
static lrnn_status full_loss(lrnn_lint_work *w, const lrnn_lint_rnn *rnn, const lrnn_lint_data *d,
                             size_t chunk, size_t *idx, lrnn_lint_noise noise, double *out) {
    double total = 0.0;
    for (size_t first = 0; first < d->trials; first += chunk) {
        size_t B = d->trials - first < chunk ? d->trials - first : chunk;
        for (size_t b = 0; b < B; b++)
            idx[b] = first + b;
        double l = 0.0;
        lrnn_status s = lrnn_lint_forward(w, rnn, d, idx, B, noise, &l);
        if (s) return s;
        total += l * (double)B; /* each chunk's loss is a mean over its trials */
    }
    *out = total / (double)d->trials;
    return LRNN_OK;
}

lrnn_status lrnn_lint_train(lrnn_lint_rnn *rnn, const lrnn_lint_data *d,
                            const lrnn_lint_train_params *p, lrnn_lint_train_result *res) {
    lrnn_lint_train_result r = {.best_epoch = -1};
    if (res) *res = r;
    lrnn_status s = lrnn_lint_train_params_check(p);
    if (!s) s = lrnn_lint_data_check(rnn, d);
    if (s) return s;
    if (!d->targets) return lrnn_fail(LRNN_ERR_ARG, "LINT training: the data have no targets");
    if (p->batch_size > d->trials)
        return lrnn_fail(LRNN_ERR_ARG,
                         "LINT training: batch_size %zu exceeds the %zu trials "
                         "(batches are drawn without replacement)",
                         p->batch_size, d->trials);
    if (lrnn_param_layout_trainable(&rnn->layout) == 0)
        return lrnn_fail(LRNN_ERR_ARG, "LINT training: no parameter is trainable");
    size_t B = p->batch_size, n = d->trials, total = rnn->layout.total;
    size_t iters = n / B;
    /* section 2: torch.optim.Adam defaults, no weight decay, constant rate */
    lrnn_optim_params op = lrnn_optim_default_params();
    op.kind = LRNN_OPTIM_ADAM;
    op.lr = op.lr_end = p->lr;
    op.epochs = p->epochs;
    op.beta1 = 0.9, op.beta2 = 0.999, op.eps = 1e-8, op.weight_decay = 0.0;
    op.clip_norm = p->clip > 0.0 ? p->clip : 0.0;

    lrnn_lint_work *w = NULL;
    lrnn_optim *opt = NULL;
    double *grad = malloc(total * sizeof *grad), *best = malloc(total * sizeof *best);
    double *good = malloc(total * sizeof *good);
    size_t *perm = malloc(n * sizeof *perm), *idx = malloc(B * sizeof *idx);
    if (!grad || !best || !good || !perm || !idx) {
        s = lrnn_fail(LRNN_ERR_NOMEM, "LINT training: out of memory");
        goto done;
    }
    if ((s = lrnn_lint_work_create(rnn, B, d->T, &w)) ||
        (s = lrnn_lint_work_set_single(w, p->single_precision)) ||
        (s = lint_work_targets_single(w, rnn, d)))
        goto done;
    if ((s = lrnn_optim_create(&op, &rnn->layout, &opt))) goto done;
    for (size_t j = 0; j < n; j++)
        perm[j] = j;
    double t_start = now_s();
    lrnn_lint_noise noise = {p->seed, LINT_DRAW_INITIAL};
    if ((s = full_loss(w, rnn, d, B, idx, noise, &r.initial_loss))) goto done;
    r.best_loss = r.initial_loss;
    memcpy(best, rnn->theta, total * sizeof *best);
    memcpy(good, rnn->theta, total * sizeof *good);
    lrnn_rng br;
    lrnn_rng_init(&br, p->seed, LRNN_RNG_BATCH, 0, 0);
    uint64_t it = 0;
    for (int epoch = 0; epoch < p->epochs; epoch++) {
        double t0 = now_s(), sum = 0.0;
        for (size_t k = 0; k < iters; k++, it++) {
            /* random.sample(range(n), B): a partial Fisher-Yates shuffle of the permutation */
            for (size_t b = 0; b < B; b++) {
                size_t j = b + (size_t)lrnn_rng_below(&br, n - b), tmp = perm[b];
                perm[b] = perm[j], perm[j] = tmp;
            }
            double loss = 0.0;
            noise.draw = it;
            s = lrnn_lint_gradient(w, rnn, d, perm, B, noise, &loss, grad);
            if (!s) {
                if (!isfinite(loss))
                    s = lrnn_fail(LRNN_ERR_NUMERIC,
                                  "LINT training: minibatch loss is %g (the "
                                  "network diverged)",
                                  loss);
            }
            if (!s) s = lrnn_optim_step(opt, rnn->theta, grad);
            if (s) {
                memcpy(rnn->theta, p->keep_best ? best : good, total * sizeof *good);
                s = lrnn_fail_context(s,
                                      "LINT training stopped at epoch %d, minibatch %zu; "
                                      "kept the %s parameters",
                                      epoch, k, p->keep_best ? "best" : "last good");
                goto done;
            }
            sum += loss;
        }
        double epoch_loss = sum / (double)iters;
        r.epochs_run = epoch + 1;
        r.final_loss = epoch_loss;
        if (!isfinite(epoch_loss)) {
            memcpy(rnn->theta, p->keep_best ? best : good, total * sizeof *good);
            s = lrnn_fail(LRNN_ERR_NUMERIC,
                          "LINT training: epoch %d loss is %g; kept the %s "
                          "parameters",
                          epoch, epoch_loss, p->keep_best ? "best" : "last good");
            goto done;
        }
        memcpy(good, rnn->theta, total * sizeof *good);
        if (epoch_loss < r.best_loss) {
            r.best_loss = epoch_loss;
            r.best_epoch = epoch;
            /* the whole block: the reference's clone() drops b / h0 ([quirk], section 2) */
            memcpy(best, rnn->theta, total * sizeof *best);
        }
        int stop = 0;
        if (p->progress) {
            lrnn_lint_progress pr = {epoch, p->epochs, epoch_loss, r.best_loss, now_s() - t0};
            stop = p->progress(&pr, p->user) != 0;
        }
        if (p->early_stop > 0.0 && epoch_loss < p->early_stop) stop = 1;
        if (stop) {
            r.stopped_early = epoch + 1 < p->epochs;
            break;
        }
    }
    if (p->keep_best) memcpy(rnn->theta, best, total * sizeof *best);
    r.seconds = now_s() - t_start;
done:
    if (res) *res = r;
    lrnn_optim_free(opt);
    lrnn_lint_work_free(w);
    free(grad), free(best), free(good), free(perm), free(idx);
    return s;
}
