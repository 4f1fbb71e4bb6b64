/* LINT fit (spec lint_method.md section 3.1): a rank-R student with the identity readout,
 * trained neuron by neuron on teacher rates / states or recorded trajectories. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lint/internal.h"

lrnn_status lrnn_lint_teacher_targets(const lrnn_lint_rnn *teacher, const double *inputs,
                                      size_t trials, size_t T, lrnn_lint_noise noise,
                                      lrnn_lint_target target, double *targets) {
    if (trials < 1 || T < 1)
        return lrnn_fail(LRNN_ERR_ARG,
                         "teacher targets: need trials and steps >= 1 (got %zu x "
                         "%zu)",
                         trials, T);
    size_t N = (size_t)teacher->c.units, chunk = trials < 64 ? trials : 64;
    lrnn_lint_work *w = NULL;
    lrnn_status s = lrnn_lint_work_create(teacher, chunk, T, &w);
    if (s) return s;
    size_t *idx = malloc(chunk * sizeof *idx);
    if (!idx) {
        lrnn_lint_work_free(w);
        return lrnn_fail(LRNN_ERR_NOMEM, "teacher targets: out of memory");
    }
    lrnn_lint_data d = {.trials = trials, .T = T, .inputs = inputs};
    for (size_t first = 0; first < trials && !s; first += chunk) {
        size_t B = trials - first < chunk ? trials - first : chunk;
        for (size_t b = 0; b < B; b++)
            idx[b] = first + b;
        if ((s = lrnn_lint_forward(w, teacher, &d, idx, B, noise, NULL))) break;
        const double *X = lrnn_lint_work_states(w);
        /* Y = tanh(X[:, 1:]) (step 3) or X[:, 1:] */
        for (size_t b = 0; b < B; b++)
            for (size_t t = 0; t < T; t++) {
                const double *x = X + ((t + 1) * B + b) * N;
                double *y = targets + ((first + b) * T + t) * N;
                if (target == LRNN_LINT_TARGET_RATES)
                    lint_act(LRNN_LINT_TANH, x, NULL, y, N);
                else
                    memcpy(y, x, N * sizeof *y);
            }
    }
    free(idx);
    lrnn_lint_work_free(w);
    return s;
}

lrnn_lint_config lrnn_lint_student_config(int N, int R, int U, double noise_std,
                                          lrnn_lint_target target, uint64_t seed) {
    lrnn_lint_config c = lrnn_lint_default_config(LRNN_LINT_LOW_RANK);
    c.units = N, c.rank = R, c.inputs = U, c.outputs = N;
    c.noise_std = noise_std;
    c.identity_readout = true; /* wo = N I, so = 1: y_t = psi(x_{t+1}) */
    c.psi = target == LRNN_LINT_TARGET_RATES ? LRNN_LINT_TANH : LRNN_LINT_IDENTITY;
    c.train_wi = true, c.train_si = false, c.train_wrec = true;
    c.train_wo = false, c.train_so = false, c.train_h0 = false, c.train_b = false;
    c.seed = seed;
    return c;
}

lrnn_lint_fit_params lrnn_lint_fit_default_params(void) {
    lrnn_lint_fit_params p = {
        .rank = 1,
        .noise_std = 0.0,
        .target = LRNN_LINT_TARGET_RATES,
        .svd_reparam = true,
        .seed = 1,
        .train = lrnn_lint_train_default_params(),
    };
    return p;
}

lrnn_status lrnn_lint_fit(const lrnn_lint_fit_params *p, int units, int inputs,
                          const lrnn_lint_data *d, lrnn_lint_rnn **student,
                          lrnn_lint_train_result *res) {
    *student = NULL;
    if (p->target != LRNN_LINT_TARGET_RATES && p->target != LRNN_LINT_TARGET_STATES)
        return lrnn_fail(LRNN_ERR_ARG, "LINT fit: unknown target kind %d", (int)p->target);
    lrnn_lint_config c =
        lrnn_lint_student_config(units, p->rank, inputs, p->noise_std, p->target, p->seed);
    lrnn_lint_rnn *rnn = NULL;
    lrnn_status s = lrnn_lint_create(&c, &rnn);
    if (s) return lrnn_fail_context(s, "LINT fit");
    s = lrnn_lint_train(rnn, d, &p->train, res);
    if (!s && p->svd_reparam) s = lrnn_lint_svd_reparam(rnn);
    if (s) {
        lrnn_lint_free(rnn);
        return s;
    }
    *student = rnn;
    return LRNN_OK;
}

void lrnn_lint_prepend_free(const double *targets, const double *mask, bool mask_per_output,
                            size_t trials, size_t T, size_t O, size_t P, double *targets_out,
                            double *mask_out) {
    size_t T2 = P + T;
    for (size_t j = 0; j < trials; j++) {
        memset(targets_out + j * T2 * O, 0, P * O * sizeof *targets_out);
        memset(mask_out + j * T2 * O, 0, P * O * sizeof *mask_out);
        memcpy(targets_out + (j * T2 + P) * O, targets + j * T * O, T * O * sizeof *targets_out);
        for (size_t t = 0; t < T; t++) {
            double *mo = mask_out + (j * T2 + P + t) * O;
            for (size_t o = 0; o < O; o++)
                mo[o] = !mask ? 1.0 : mask_per_output ? mask[(j * T + t) * O + o] : mask[j * T + t];
        }
    }
}
