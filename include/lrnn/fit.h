/* Fitting a model by maximising the SMC bound (spec 5.1): windows, batches, the optimiser,
 * validation, and the state a checkpoint needs to resume bit-identically. */
#ifndef LRNN_FIT_H
#define LRNN_FIT_H

#include <stddef.h>
#include <stdint.h>

#include "lrnn/dataset.h"
#include "lrnn/model.h"
#include "lrnn/model_file.h"
#include "lrnn/optim.h"
#include "lrnn/smc.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lrnn_fit_params {
    lrnn_smc_params smc;
    lrnn_optim_params optim;  /* optimiser, lr -> lr_end over optim.epochs, clipping */
    size_t batch;             /* windows per batch (B) */
    size_t window;            /* window length T; 0 = whole trials */
    size_t windows_per_epoch; /* 0 = one window per training trial */
    double valid_frac;        /* trials (or the end of one recording) held out */
    int eval_every;           /* epochs between validation bounds; 0 = never */
    uint64_t seed;            /* windows, batches and particle noise */
    int threads;              /* <= 0: all */
} lrnn_fit_params;

/* EEG protocol defaults: K = 10 optimal proposal, B = 10, windows of 50, 500 per epoch. */
lrnn_fit_params lrnn_fit_default_params(void);
lrnn_status lrnn_fit_params_check(const lrnn_fit_params *p);

typedef struct lrnn_trainer lrnn_trainer;

/* Split `data` into training and validation parts (seeded), allocate every workspace. The
 * model is updated in place by the epochs; `data` must outlive the trainer. */
lrnn_status lrnn_trainer_create(lrnn_model *model, const lrnn_dataset *data,
                                const lrnn_fit_params *p, lrnn_trainer **out);
void lrnn_trainer_free(lrnn_trainer *t);

typedef struct lrnn_epoch_report {
    int epoch;          /* 1-based index of the epoch just finished */
    double bound;       /* mean per-step bound over the epoch's batches */
    double valid_bound; /* per-step bound on the validation windows, NaN if not evaluated */
    double lr;          /* learning rate used */
    double seconds;     /* wall time of the epoch */
} lrnn_epoch_report;

/* One epoch: every batch's bound and gradient, then an optimiser step. On a non-finite bound
 * or gradient the parameters are left as they were before the failing step and the message
 * says which quantity went non-finite. */
lrnn_status lrnn_trainer_epoch(lrnn_trainer *t, lrnn_epoch_report *r);

/* Validation bound now (NaN when there is no validation part). */
lrnn_status lrnn_trainer_validate(lrnn_trainer *t, double *bound);

int lrnn_trainer_epochs_done(const lrnn_trainer *t);
const lrnn_history *lrnn_trainer_history(const lrnn_trainer *t);
size_t lrnn_trainer_train_windows(const lrnn_trainer *t);
size_t lrnn_trainer_valid_windows(const lrnn_trainer *t);

/* Checkpoints: the model file (with the history) and a state file (optimiser moments, step and
 * epoch count), each written atomically. Resuming from both continues bit-identically. */
lrnn_status lrnn_trainer_save(const lrnn_trainer *t, const char *model_path,
                              const char *state_path);
/* Restore optimiser state, epoch count and history into a trainer created for the checkpoint's
 * model. */
lrnn_status lrnn_trainer_restore(lrnn_trainer *t, const char *state_path,
                                 const lrnn_history *history);

#ifdef __cplusplus
}
#endif
#endif
