/* LINT subsampling (spec lint_method.md 3.4 "Subsampling details", 5.6): fit students to the
 * rates of a random p-fraction of a teacher's neurons and judge them on those neurons only.
 *
 *   n_sel = floor(N p)                       neurons observed (all of them read out by the student)
 *   S     = n_sel indices drawn uniformly without replacement from 0 .. N-1 (sorted)
 *   Y     = tanh(x_{t+1})[:, :, S]            targets: the teacher's rates of S only
 *
 * Task accuracy of a student goes "through the restricted readout": the teacher's readout with
 * its sum over all N neurons restricted to S and rescaled by N / n_sel,
 *
 *   y_t = sum_{k < n_sel} psi(x_{t+1, k}) wo[S_k] so c_out (N / n_sel),   c_out = 1/N (low rank) or
 * 1,
 *
 * i.e. w_k = wo[S_k] so / n_sel for a low-rank teacher and wo[S_k] so N / n_sel for a full-rank
 * one. With S uniform, E_S[sum_{i in S} a_i] = (n_sel / N) sum_i a_i, so the rescaled sum is an
 * unbiased estimate of the teacher's own output and stays on its scale for every p; at p = 1 it
 * is the teacher's readout exactly. The reference restricts wo without rescaling (spec 5.1); every
 * task's accuracy (task.h) compares signs only, so the two give the same accuracy.
 *
 * Nothing here forms an N x N matrix for a low-rank teacher: the teacher runs in chunks of
 * trials and only the selected columns are kept. */
#ifndef LRNN_LINT_SUBSAMPLE_H
#define LRNN_LINT_SUBSAMPLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lrnn/lint.h"
#include "lrnn/rng.h"
#include "lrnn/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* RNG purpose of neuron selections: "sel" in ASCII, apart from rng.h's purposes and the task
 * trials' (task.h), so a selection never shares numbers with noise or trials of the same seed. */
#define LRNN_LINT_SELECT_RNG_PURPOSE ((lrnn_rng_purpose)0x73656c)

/* n_sel = floor(N p) for p in (0, 1]. The product is nudged by 1e-9 before the floor, so a
 * p written in decimal that means a whole count (100 x 0.29 = 28.999999999999996) gives it
 * (29); the spec's counts (1024 p for its ten fractions) are unchanged. Fails (naming p) when
 * p is not in (0, 1] or the count is 0. */
lrnn_status lrnn_lint_subsample_count(size_t N, double p, size_t *n_sel);

/* Draw n_sel of the N indices 0 .. N-1 uniformly without replacement into sel (n_sel, sorted
 * ascending), by selection sampling (Knuth, TAOCP vol. 2, 3.4.2 Algorithm S: index i is taken
 * with probability (n_sel - taken) / (N - i), exact through integer draws), O(N) time, no
 * allocation. Draw `draw` of a seed uses the stream lrnn_rng_init(seed, purpose above, draw,
 * n_sel): reproducible, and different counts or draws give independent selections. */
lrnn_status lrnn_lint_select_neurons(size_t N, size_t n_sel, uint64_t seed, uint64_t draw,
                                     size_t *sel);

/* The teacher's targets (lrnn_lint_teacher_targets) restricted to the neurons sel[0..n_sel)
 * (strictly increasing, < N): the same run (same noise streams), so column k equals column
 * sel[k] of the full targets. out is trials x T x n_sel (t = 1..T, the fit's targets), or with
 * with_initial trials x (T + 1) x n_sel (t = 0..T: psi of every state, for the R2 of spec 5.1).
 * Runs in chunks of at most 64 trials whose states take at most about 256 MB; nothing N x N
 * beyond a full-rank teacher's own wrec. */
lrnn_status lrnn_lint_teacher_targets_select(const lrnn_lint_rnn *teacher, const double *inputs,
                                             size_t trials, size_t T, lrnn_lint_noise noise,
                                             lrnn_lint_target target, const size_t *sel,
                                             size_t n_sel, bool with_initial, double *out);

/* A teacher's readout restricted to n observed neurons (see the top of this file). */
typedef struct lrnn_lint_restricted_readout {
    size_t n, O;       /* observed neurons, outputs */
    lrnn_lint_act act; /* psi, or phi when the teacher reads its rates (readout_rates) */
    double *bias;      /* n: the teacher's b of the observed neurons (read inside act when the
                          teacher reads rates r = phi(x + b)), else zeros */
    double *w;         /* n x O: wo[S_k, o] so[o] c_out N / n */
    double scale;      /* N / n, the rescaling folded into w */
} lrnn_lint_restricted_readout;

/* Build the restricted readout of a teacher with a dense readout (fails naming the problem for
 * an identity readout or an invalid selection). Allocates; free with
 * lrnn_lint_restricted_readout_free. */
lrnn_status lrnn_lint_restricted_readout_make(const lrnn_lint_rnn *teacher, const size_t *sel,
                                              size_t n_sel, lrnn_lint_restricted_readout *out);
void lrnn_lint_restricted_readout_free(lrnn_lint_restricted_readout *r);

/* Outputs out (trials x T x O) of the readout on states (trials x (T + 1) x n, as
 * lrnn_lint_simulate writes them for an n-unit student, or the observed columns of a teacher):
 * y_t = act(x_{t+1} + bias)^T w. Fails on non-finite outputs, naming trial and step. */
lrnn_status lrnn_lint_restricted_readout_apply(const lrnn_lint_restricted_readout *r,
                                               const double *states, size_t trials, size_t T,
                                               double *out);

/* The full-rank student of the subsampling experiment (spec 3.4): FullRankRNN(U, N, N, sigma,
 * 0.2, wo = I, rho = 1): identity readout y_t = psi(x_{t+1}) with psi = tanh (rates) or
 * identity (states); trains wi and wrec; si = 1, b = h0 = 0 frozen; wi ~ N(0, 1),
 * wrec ~ N(0, 1/N). Train it with lrnn_lint_train (lr 1e-4 in the spec). */
lrnn_lint_config lrnn_lint_full_student_config(int N, int U, double noise_std,
                                               lrnn_lint_target target, uint64_t seed);

#ifdef __cplusplus
}
#endif
#endif
