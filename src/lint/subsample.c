/* LINT subsampling (spec lint_method.md 3.4, 5.6; include/lrnn/lint_subsample.h): neuron
 * selection, the teacher's targets on the selected neurons, the restricted readout and the
 * full-rank student. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lint/internal.h"
#include "lrnn/lint_subsample.h"

lrnn_status lrnn_lint_subsample_count(size_t N, double p, size_t *n_sel) {
    *n_sel = 0;
    if (!(p > 0.0 && p <= 1.0))
        return lrnn_fail(LRNN_ERR_ARG, "subsampling fraction %g is not in (0, 1]", p);
    /* the nudge: N p carries a rounding error of about N p 2^-53 < 1e-9 for any N <= 2^20 */
    double k = floor((double)N * p + 1e-9);
    if (k < 1.0)
        return lrnn_fail(LRNN_ERR_ARG,
                         "subsampling fraction %g of %zu neurons gives floor(%zu x %g) = 0 "
                         "neurons",
                         p, N, N, p);
    *n_sel = k > (double)N ? N : (size_t)k;
    return LRNN_OK;
}

lrnn_status lrnn_lint_select_neurons(size_t N, size_t n_sel, uint64_t seed, uint64_t draw,
                                     size_t *sel) {
    if (n_sel < 1 || n_sel > N)
        return lrnn_fail(LRNN_ERR_ARG, "neuron selection: cannot draw %zu of %zu neurons", n_sel,
                         N);
    lrnn_rng rng;
    lrnn_rng_init(&rng, seed, LRNN_LINT_SELECT_RNG_PURPOSE, draw, n_sel);
    /* Algorithm S: with `left` still to take among the N - i remaining indices, take i with
     * probability left / (N - i); every n_sel-subset comes out with probability 1 / C(N, n_sel),
     * in increasing order. The draw below(N - i) < left is that probability exactly. */
    size_t taken = 0;
    for (size_t i = 0; i < N && taken < n_sel; i++) {
        size_t left = n_sel - taken;
        if (lrnn_rng_below(&rng, (uint64_t)(N - i)) < (uint64_t)left) sel[taken++] = i;
    }
    return LRNN_OK;
}

/* sel strictly increasing and below N: distinct neurons, in the order the student keeps. */
static lrnn_status check_selection(const char *what, const size_t *sel, size_t n_sel, size_t N) {
    if (n_sel < 1 || n_sel > N || !sel)
        return lrnn_fail(LRNN_ERR_ARG, "%s: %zu selected neurons of %zu", what, n_sel, N);
    for (size_t k = 0; k < n_sel; k++) {
        if (sel[k] >= N)
            return lrnn_fail(LRNN_ERR_ARG,
                             "%s: selected neuron %zu (entry %zu) is not below N = %zu", what,
                             sel[k], k, N);
        if (k > 0 && sel[k] <= sel[k - 1])
            return lrnn_fail(LRNN_ERR_ARG,
                             "%s: the selection must be strictly increasing (entry %zu: %zu after "
                             "%zu)",
                             what, k, sel[k], sel[k - 1]);
    }
    return LRNN_OK;
}

lrnn_status lrnn_lint_teacher_targets_select(const lrnn_lint_rnn *teacher, const double *inputs,
                                             size_t trials, size_t T, lrnn_lint_noise noise,
                                             lrnn_lint_target target, const size_t *sel,
                                             size_t n_sel, bool with_initial, double *out) {
    size_t N = (size_t)teacher->c.units;
    lrnn_status s = check_selection("teacher targets", sel, n_sel, N);
    if (s) return s;
    if (trials < 1 || T < 1)
        return lrnn_fail(LRNN_ERR_ARG,
                         "teacher targets: need trials and steps >= 1 (got %zu x %zu)", trials, T);
    if (target != LRNN_LINT_TARGET_RATES && target != LRNN_LINT_TARGET_STATES)
        return lrnn_fail(LRNN_ERR_ARG, "teacher targets: unknown target kind %d", (int)target);
    /* chunks of at most 64 trials whose workspace (three (T+1) x B x N arrays) stays within
     * 256 MB: a 20000-unit teacher runs 7 trials at a time instead of needing 2 GB */
    double per_trial = 3.0 * (double)(T + 1) * (double)N * sizeof(double);
    size_t chunk = (size_t)fmax(1.0, fmin(64.0, floor(256e6 / per_trial)));
    if (chunk > trials) chunk = trials;
    lrnn_lint_work *w = NULL;
    if ((s = lrnn_lint_work_create(teacher, chunk, T, &w))) return s;
    size_t *idx = malloc(chunk * sizeof *idx);
    if (!idx) {
        lrnn_lint_work_free(w);
        return lrnn_fail(LRNN_ERR_NOMEM, "teacher targets: out of memory");
    }
    lrnn_lint_data d = {.trials = trials, .T = T, .inputs = inputs};
    size_t t0 = with_initial ? 0 : 1, steps = T + 1 - t0;
    for (size_t first = 0; first < trials; first += chunk) {
        size_t B = trials - first < chunk ? trials - first : chunk;
        for (size_t b = 0; b < B; b++)
            idx[b] = first + b;
        if ((s = lrnn_lint_forward(w, teacher, &d, idx, B, noise, NULL))) break;
        const double *X = lrnn_lint_work_states(w); /* (T+1) x B x N, time-major */
        for (size_t b = 0; b < B; b++)
            for (size_t t = t0; t <= T; t++) {
                const double *x = X + (t * B + b) * N;
                double *y = out + ((first + b) * steps + (t - t0)) * n_sel;
                /* Y = tanh(X[:, 1:])[..., S] (spec 3.1 step 3 on the observed neurons) */
                for (size_t k = 0; k < n_sel; k++)
                    y[k] = x[sel[k]];
                if (target == LRNN_LINT_TARGET_RATES) lint_act(LRNN_LINT_TANH, y, NULL, y, n_sel);
            }
    }
    free(idx);
    lrnn_lint_work_free(w);
    return s;
}

void lrnn_lint_restricted_readout_free(lrnn_lint_restricted_readout *r) {
    if (!r) return;
    free(r->w), free(r->bias);
    memset(r, 0, sizeof *r);
}

lrnn_status lrnn_lint_restricted_readout_make(const lrnn_lint_rnn *teacher, const size_t *sel,
                                              size_t n_sel, lrnn_lint_restricted_readout *out) {
    memset(out, 0, sizeof *out);
    const lrnn_lint_config *c = &teacher->c;
    size_t N = (size_t)c->units;
    lrnn_status s = check_selection("restricted readout", sel, n_sel, N);
    if (s) return s;
    if (c->identity_readout)
        return lrnn_fail(
            LRNN_ERR_ARG,
            "restricted readout: the teacher has the identity readout (a LINT student?), "
            "not a task readout");
    lrnn_lint_view v = lrnn_lint_view_of(&teacher->layout, teacher->theta);
    size_t O = (size_t)c->outputs;
    out->w = malloc(n_sel * O * sizeof *out->w);
    out->bias = calloc(n_sel, sizeof *out->bias);
    if (!out->w || !out->bias) {
        lrnn_lint_restricted_readout_free(out);
        return lrnn_fail(LRNN_ERR_NOMEM, "restricted readout: out of memory (%zu x %zu)", n_sel, O);
    }
    out->n = n_sel, out->O = O;
    out->act = c->readout_rates ? c->phi : c->psi;
    out->scale = (double)N / (double)n_sel;
    /* w_k = wo[S_k] so c_out N / n_sel: the teacher's readout on S, rescaled to an unbiased
     * estimate of the full sum (header); c_out N / n_sel = 1 / n_sel (low rank) or N / n_sel */
    double c_out = c->out_div_n ? 1.0 / (double)N : 1.0;
    for (size_t k = 0; k < n_sel; k++) {
        for (size_t o = 0; o < O; o++)
            out->w[k * O + o] = v.wo[sel[k] * O + o] * v.so[o] * c_out * out->scale;
        if (c->readout_rates && v.b) out->bias[k] = v.b[sel[k]];
    }
    return LRNN_OK;
}

lrnn_status lrnn_lint_restricted_readout_apply(const lrnn_lint_restricted_readout *r,
                                               const double *states, size_t trials, size_t T,
                                               double *out) {
    size_t n = r->n, O = r->O;
    double *feat = malloc((n ? n : 1) * sizeof *feat);
    if (!feat) return lrnn_fail(LRNN_ERR_NOMEM, "restricted readout: out of memory");
    lrnn_status s = LRNN_OK;
    for (size_t b = 0; b < trials && !s; b++)
        for (size_t t = 0; t < T && !s; t++) {
            /* y_t = act(x_{t+1} + bias)^T w */
            lint_act(r->act, states + (b * (T + 1) + t + 1) * n, r->bias, feat, n);
            double *y = out + (b * T + t) * O;
            for (size_t o = 0; o < O; o++) {
                double acc = 0.0;
                for (size_t k = 0; k < n; k++)
                    acc += feat[k] * r->w[k * O + o];
                y[o] = acc;
                if (!isfinite(acc))
                    s = lrnn_fail(LRNN_ERR_NUMERIC,
                                  "restricted readout: output %zu of trial %zu, step %zu is %g", o,
                                  b, t, acc);
            }
        }
    free(feat);
    return s;
}

lrnn_lint_config lrnn_lint_full_student_config(int N, int U, double noise_std,
                                               lrnn_lint_target target, uint64_t seed) {
    lrnn_lint_config c = lrnn_lint_default_config(LRNN_LINT_FULL_RANK);
    c.units = N, c.rank = 1, c.inputs = U, c.outputs = N;
    c.noise_std = noise_std;
    c.identity_readout = true; /* wo = I, so = 1 (no 1/N for full rank): y_t = psi(x_{t+1}) */
    c.psi = target == LRNN_LINT_TARGET_RATES ? LRNN_LINT_TANH : LRNN_LINT_IDENTITY;
    c.train_wi = true, c.train_si = false, c.train_wrec = true;
    c.train_wo = false, c.train_so = false, c.train_h0 = false, c.train_b = false;
    c.rho = 1.0, c.seed = seed;
    return c;
}
