/* Populations of LINT networks (spec lint_method.md sections 5.3 and 7.6): per-unit loadings,
 * Gaussian-mixture and hand-made populations, silencing, gains per context and support
 * networks sampled from the populations. No N x N matrix is formed for a low-rank network. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lint/internal.h"
#include "lrnn/lint_populations.h"

/* ---- loadings ---- */

void lrnn_lint_readout_free(lrnn_lint_readout *r) {
    if (!r) return;
    free(r->w);
    memset(r, 0, sizeof *r);
}

/* y = psi(x)^T wo diag(so) c_out = psi(x)^T w / N with w = N c_out wo diag(so). */
lrnn_status lrnn_lint_readout_of(const lrnn_lint_rnn *rnn, lrnn_lint_readout *out) {
    memset(out, 0, sizeof *out);
    lint_dims d = lint_dims_of(rnn);
    if (d.identity)
        return lrnn_fail(LRNN_ERR_ARG, "readout loadings: the network has the identity readout of "
                                       "a LINT fit (no wo); use its teacher's readout");
    lrnn_lint_view v = lrnn_lint_view_of(&rnn->layout, rnn->theta);
    out->w = malloc(d.N * d.O * sizeof *out->w);
    if (!out->w) return lrnn_fail(LRNN_ERR_NOMEM, "readout loadings: out of memory (N = %zu)", d.N);
    double scale = (double)d.N * d.c_out;
    for (size_t i = 0; i < d.N; i++)
        for (size_t o = 0; o < d.O; o++)
            out->w[i * d.O + o] = scale * v.wo[i * d.O + o] * v.so[o];
    out->N = d.N, out->O = d.O, out->psi = rnn->c.psi;
    return LRNN_OK;
}

lrnn_status lrnn_lint_features_parse(const char *text, lrnn_lint_features *out) {
    lrnn_lint_features f = {0};
    const char *p = text ? text : "";
    if (!*p) return lrnn_fail(LRNN_ERR_ARG, "features: empty list (use e.g. m,n,wi,wo)");
    while (*p) {
        size_t len = strcspn(p, ",");
        char tok[16] = {0};
        if (len == 0 || len >= sizeof tok)
            return lrnn_fail(LRNN_ERR_ARG, "features '%s': empty or overlong name", text);
        memcpy(tok, p, len);
        if (!strcmp(tok, "m"))
            f.m = true;
        else if (!strcmp(tok, "n"))
            f.n = true;
        else if (!strcmp(tok, "wi") || !strcmp(tok, "I"))
            f.wi = true;
        else if (!strcmp(tok, "wo") || !strcmp(tok, "w"))
            f.wo = true;
        else
            return lrnn_fail(LRNN_ERR_ARG, "features '%s': unknown loading '%s' (m, n, wi, wo)",
                             text, tok);
        p += len;
        if (*p == ',' && !*++p)
            return lrnn_fail(LRNN_ERR_ARG, "features '%s': trailing comma", text);
    }
    *out = f;
    return LRNN_OK;
}

void lrnn_lint_features_text(lrnn_lint_features f, char *buf, size_t cap) {
    if (!cap) return;
    buf[0] = '\0';
    const char *names[] = {"m", "n", "wi", "wo"};
    bool on[] = {f.m, f.n, f.wi, f.wo};
    for (int k = 0; k < 4; k++) {
        if (!on[k]) continue;
        size_t used = strlen(buf);
        snprintf(buf + used, cap - used, "%s%s", used ? "," : "", names[k]);
    }
}

lrnn_status lrnn_lint_loadings(const lrnn_lint_rnn *rnn, lrnn_lint_features f,
                               const lrnn_lint_readout *ro, double *x, int *d_out) {
    lint_dims dm = lint_dims_of(rnn);
    if (!f.m && !f.n && !f.wi && !f.wo)
        return lrnn_fail(LRNN_ERR_ARG, "loadings: no feature selected");
    if ((f.m || f.n) && !dm.low_rank)
        return lrnn_fail(LRNN_ERR_ARG, "loadings: m and n need a low-rank network (this one is "
                                       "full rank; choose wi and wo)");
    if (f.wo && ro && ro->N != dm.N)
        return lrnn_fail(LRNN_ERR_SHAPE, "loadings: the readout has %zu units, the network %zu",
                         ro->N, dm.N);
    if (f.wo && !ro && dm.identity)
        return lrnn_fail(LRNN_ERR_ARG, "loadings: wo asked of a network with the identity readout "
                                       "of a LINT fit; give its teacher's readout");
    if (f.wi && dm.U == 0)
        return lrnn_fail(LRNN_ERR_ARG, "loadings: wi asked of a network without inputs");
    size_t O = f.wo ? (ro ? ro->O : dm.O) : 0, R = dm.R;
    size_t d = (f.m ? R : 0) + (f.n ? R : 0) + (f.wi ? dm.U : 0) + O;
    if (d_out) *d_out = (int)d;
    if (!x) return LRNN_OK;

    lrnn_lint_rnn *copy = NULL;
    lrnn_lint_readout own = {0};
    lrnn_status s = LRNN_OK;
    if ((f.m || f.n) && ((s = lrnn_lint_clone(rnn, &copy)) || (s = lrnn_lint_svd_reparam(copy))))
        goto done;
    if (f.wo && !ro) {
        if ((s = lrnn_lint_readout_of(rnn, &own))) goto done;
        ro = &own;
    }
    lrnn_lint_view v = lrnn_lint_view_of(&rnn->layout, rnn->theta);
    lrnn_lint_view vc = copy ? lrnn_lint_view_of(&copy->layout, copy->theta) : v;
    for (size_t i = 0; i < dm.N; i++) {
        double *row = x + i * d;
        for (size_t r = 0; f.m && r < R; r++)
            *row++ = vc.m[i * R + r];
        for (size_t r = 0; f.n && r < R; r++)
            *row++ = vc.n[i * R + r];
        for (size_t k = 0; f.wi && k < dm.U; k++)
            *row++ = v.si[k] * v.wi[k * dm.N + i];
        for (size_t o = 0; o < O; o++)
            *row++ = ro->w[i * O + o];
    }
done:
    lrnn_lint_free(copy);
    lrnn_lint_readout_free(&own);
    return s;
}

/* ---- populations ---- */

lrnn_status lrnn_lint_cluster(size_t n, int d, const double *x, const lrnn_gmm_params *gp,
                              const lrnn_gmm_stability_params *sp, int *labels, size_t *counts,
                              double *stability_mean, double *stability_sd) {
    lrnn_gmm g = {0};
    lrnn_status s = lrnn_gmm_fit(gp, n, d, x, &g, labels);
    if (s) return s;
    int C = g.C;
    lrnn_gmm_free(&g);
    /* renumber: largest population first, ties by the lowest unit (both deterministic) */
    size_t *size = calloc((size_t)C, sizeof *size), *first = malloc((size_t)C * sizeof *first);
    int *order = malloc((size_t)C * sizeof *order), *rank = malloc((size_t)C * sizeof *rank);
    if (!size || !first || !order || !rank) {
        s = lrnn_fail(LRNN_ERR_NOMEM, "clusters: out of memory");
        goto done;
    }
    for (int c = 0; c < C; c++)
        first[c] = n, order[c] = c;
    for (size_t i = n; i-- > 0;)
        size[labels[i]]++, first[labels[i]] = i;
    for (int a = 1; a < C; a++) /* insertion sort of C labels */
        for (int b = a; b > 0; b--) {
            int p = order[b - 1], q = order[b];
            if (size[q] > size[p] || (size[q] == size[p] && first[q] < first[p]))
                order[b - 1] = q, order[b] = p;
            else
                break;
        }
    for (int c = 0; c < C; c++)
        rank[order[c]] = c;
    for (size_t i = 0; i < n; i++)
        labels[i] = rank[labels[i]];
    for (int c = 0; counts && c < C; c++)
        counts[c] = size[order[c]];
    if (sp) s = lrnn_gmm_stability(gp, sp, n, d, x, labels, NULL, stability_mean, stability_sd);
done:
    free(size), free(first), free(order), free(rank);
    return s;
}

typedef struct ranked {
    double key;
    size_t index;
} ranked;

static int by_key_desc(const void *pa, const void *pb) {
    const ranked *a = pa, *b = pb;
    if (a->key != b->key) return a->key < b->key ? 1 : -1;
    return (a->index > b->index) - (a->index < b->index);
}

lrnn_status lrnn_lint_top_k_populations(size_t N, size_t P, const double *v, size_t k,
                                        int *labels) {
    if (N < 1 || k > N)
        return lrnn_fail(LRNN_ERR_ARG, "populations by loading: top %zu of %zu units", k, N);
    for (size_t i = 0; i < P * N; i++)
        if (!isfinite(v[i]))
            return lrnn_fail(LRNN_ERR_NUMERIC, "populations by loading: vector %zu, unit %zu is %g",
                             i / N, i % N, v[i]);
    ranked *r = malloc(N * sizeof *r);
    if (!r) return lrnn_fail(LRNN_ERR_NOMEM, "populations by loading: out of memory (N = %zu)", N);
    for (size_t i = 0; i < N; i++)
        labels[i] = 0;
    for (size_t p = 0; p < P; p++) {
        for (size_t i = 0; i < N; i++)
            r[i] = (ranked){fabs(v[p * N + i]), i};
        qsort(r, N, sizeof *r, by_key_desc);
        for (size_t j = 0; j < k; j++)
            labels[r[j].index] = (int)p + 1;
    }
    free(r);
    return LRNN_OK;
}

lrnn_status lrnn_lint_populations_by_input(const lrnn_lint_rnn *rnn, size_t P, const int *channels,
                                           size_t k, int *labels) {
    lint_dims d = lint_dims_of(rnn);
    for (size_t p = 0; p < P; p++)
        if (channels[p] < 0 || (size_t)channels[p] >= d.U)
            return lrnn_fail(LRNN_ERR_ARG,
                             "populations by input: channel %d is not one of the network's %zu "
                             "inputs (0-based)",
                             channels[p], d.U);
    double *win = malloc((d.U ? d.U : 1) * d.N * sizeof *win);
    double *v = malloc((P ? P : 1) * d.N * sizeof *v);
    lrnn_status s = LRNN_OK;
    if (!win || !v) {
        s = lrnn_fail(LRNN_ERR_NOMEM, "populations by input: out of memory (N = %zu)", d.N);
    } else {
        lrnn_lint_effective_input(rnn, win);
        for (size_t p = 0; p < P; p++)
            memcpy(v + p * d.N, win + (size_t)channels[p] * d.N, d.N * sizeof *v);
        s = lrnn_lint_top_k_populations(d.N, P, v, k, labels);
    }
    free(win), free(v);
    return s;
}

/* ---- inactivation ---- */

lrnn_status lrnn_lint_silence(lrnn_lint_rnn *rnn, const bool *silenced) {
    if (!silenced) return lrnn_fail(LRNN_ERR_ARG, "silence: NULL unit mask");
    lint_dims d = lint_dims_of(rnn);
    lrnn_lint_view v = lrnn_lint_view_of(&rnn->layout, rnn->theta);
    size_t N = d.N;
    for (size_t i = 0; i < N; i++) {
        if (!silenced[i]) continue;
        /* r_i reaches nobody: low rank through n_i (kappa = c n^T r), full rank through column
         * i of wrec; the readout through row i of wo */
        if (d.low_rank)
            for (size_t r = 0; r < d.R; r++)
                v.n[i * d.R + r] = 0.0, v.m[i * d.R + r] = 0.0;
        else
            for (size_t j = 0; j < N; j++)
                v.wrec[j * N + i] = 0.0, v.wrec[i * N + j] = 0.0;
        for (size_t o = 0; v.wo && o < d.O; o++)
            v.wo[i * d.O + o] = 0.0;
        /* and nothing reaches it (m_i, row i of wrec above; inputs; initial state) */
        for (size_t k = 0; k < d.U; k++)
            v.wi[k * N + i] = 0.0;
        v.h0[i] = 0.0;
    }
    return LRNN_OK;
}

lrnn_status lrnn_lint_silence_population(lrnn_lint_rnn *rnn, const int *labels, int population,
                                         size_t *count) {
    size_t N = (size_t)rnn->c.units, c = 0;
    bool *mask = malloc(N * sizeof *mask);
    if (!mask) return lrnn_fail(LRNN_ERR_NOMEM, "silence: out of memory (N = %zu)", N);
    for (size_t i = 0; i < N; i++)
        c += (mask[i] = labels[i] == population);
    lrnn_status s = lrnn_lint_silence(rnn, mask);
    free(mask);
    if (count) *count = c;
    return s;
}

/* ---- gains and rates ---- */

lrnn_status lrnn_lint_population_gains(const lrnn_lint_rnn *rnn, const double *states,
                                       size_t trials, size_t T, const int *context, int C,
                                       const int *labels, int P, double *gains, double *rates) {
    lint_dims d = lint_dims_of(rnn);
    if (C < 1 || P < 1 || trials < 1)
        return lrnn_fail(LRNN_ERR_ARG,
                         "gains: need contexts, populations and trials >= 1 (got %d, "
                         "%d, %zu)",
                         C, P, trials);
    for (size_t j = 0; context && j < trials; j++)
        if (context[j] < 0 || context[j] >= C)
            return lrnn_fail(LRNN_ERR_ARG, "gains: trial %zu has context %d, not in [0, %d)", j,
                             context[j], C);
    for (size_t i = 0; i < d.N; i++)
        if (labels[i] >= P)
            return lrnn_fail(LRNN_ERR_ARG, "gains: unit %zu has population %d, not below %d", i,
                             labels[i], P);
    size_t cells = (size_t)P * (size_t)C, N = d.N;
    double *acc = calloc(3 * cells + N, sizeof *acc);
    if (!acc) return lrnn_fail(LRNN_ERR_NOMEM, "gains: out of memory (N = %zu)", N);
    double *sg = acc, *sr = sg + cells, *cnt = sr + cells, *r = cnt + cells;
    lrnn_lint_view v = lrnn_lint_view_of(&rnn->layout, rnn->theta);
    for (size_t j = 0; j < trials; j++) {
        int c = context ? context[j] : 0;
        for (size_t t = 0; t <= T; t++) {
            const double *x = states + (j * (T + 1) + t) * N;
            /* r_0 = phi(x_0) without the bias, r_t = phi(x_t + b) after (section 1.1) */
            lint_act(rnn->c.phi, x, t == 0 ? NULL : v.b, r, N);
            for (size_t i = 0; i < N; i++) {
                if (labels[i] < 0) continue;
                size_t cell = (size_t)labels[i] * (size_t)C + (size_t)c;
                double g = rnn->c.phi == LRNN_LINT_TANH   ? 1.0 - r[i] * r[i]
                           : rnn->c.phi == LRNN_LINT_RELU ? (r[i] > 0.0)
                                                          : 1.0;
                sg[cell] += g, sr[cell] += r[i], cnt[cell] += 1.0;
            }
        }
    }
    for (size_t k = 0; k < cells; k++) {
        gains[k] = cnt[k] > 0 ? sg[k] / cnt[k] : NAN;
        if (rates) rates[k] = cnt[k] > 0 ? sr[k] / cnt[k] : NAN;
    }
    free(acc);
    return LRNN_OK;
}

/* ---- support networks ---- */

lrnn_lint_support_params lrnn_lint_support_default_params(void) {
    return (lrnn_lint_support_params){.units = 0, .take_means = true, .seed = 1};
}

/* Lower factor L (d x d, row-major) of a positive semi-definite C with L L^T = C: Cholesky
 * whose pivots below tol are set to zero with their column (a rank-deficient covariance, e.g.
 * a population smaller than d or a constant loading, samples in its own span). */
static void psd_cholesky(size_t d, const double *C, double *L) {
    double maxdiag = 0.0;
    for (size_t k = 0; k < d; k++)
        maxdiag = fmax(maxdiag, C[k * d + k]);
    double tol = 1e-12 * maxdiag;
    memset(L, 0, d * d * sizeof *L);
    for (size_t k = 0; k < d; k++) {
        double s = C[k * d + k];
        for (size_t j = 0; j < k; j++)
            s -= L[k * d + j] * L[k * d + j];
        if (s <= tol) continue;
        double lkk = sqrt(s);
        L[k * d + k] = lkk;
        for (size_t i = k + 1; i < d; i++) {
            double a = C[i * d + k];
            for (size_t j = 0; j < k; j++)
                a -= L[i * d + j] * L[k * d + j];
            L[i * d + k] = a / lkk;
        }
    }
}

/* The mixture of the populations: weights n_p / N, means (or 0) and unbiased covariances. */
static lrnn_status population_mixture(size_t N, size_t d, const double *x, const int *labels, int P,
                                      bool take_means, lrnn_gmm *g) {
    memset(g, 0, sizeof *g);
    size_t c = (size_t)P;
    g->C = P, g->d = (int)d;
    g->weights = calloc(c, sizeof *g->weights);
    g->means = calloc(c * d, sizeof *g->means);
    g->covs = calloc(c * d * d, sizeof *g->covs);
    g->chol = calloc(c * d * d, sizeof *g->chol);
    double *mu = calloc(c * d, sizeof *mu);
    if (!g->weights || !g->means || !g->covs || !g->chol || !mu) {
        free(mu);
        lrnn_gmm_free(g);
        return lrnn_fail(LRNN_ERR_NOMEM, "support network: out of memory (%d populations)", P);
    }
    for (size_t i = 0; i < N; i++) {
        g->weights[labels[i]] += 1.0;
        for (size_t k = 0; k < d; k++)
            mu[(size_t)labels[i] * d + k] += x[i * d + k];
    }
    for (size_t p = 0; p < c; p++)
        for (size_t k = 0; k < d; k++)
            mu[p * d + k] /= g->weights[p] > 0 ? g->weights[p] : 1.0;
    for (size_t i = 0; i < N; i++) {
        size_t p = (size_t)labels[i];
        const double *xi = x + i * d, *m = mu + p * d;
        double *S = g->covs + p * d * d;
        for (size_t k = 0; k < d; k++)
            for (size_t l = 0; l < d; l++)
                S[k * d + l] += (xi[k] - m[k]) * (xi[l] - m[l]);
    }
    for (size_t p = 0; p < c; p++) {
        double np = g->weights[p];
        for (size_t k = 0; k < d * d; k++)
            g->covs[p * d * d + k] /= np > 1 ? np - 1 : 1.0;
        psd_cholesky(d, g->covs + p * d * d, g->chol + p * d * d);
        if (take_means) memcpy(g->means + p * d, mu + p * d, d * sizeof *mu);
        g->weights[p] = np / (double)N;
    }
    free(mu);
    return LRNN_OK;
}

lrnn_status lrnn_lint_support_net(const lrnn_lint_rnn *rnn, const lrnn_lint_readout *ro,
                                  const int *labels, int P, const lrnn_lint_support_params *p,
                                  lrnn_lint_rnn **out, lrnn_gmm *mixture) {
    *out = NULL;
    if (mixture) memset(mixture, 0, sizeof *mixture);
    lint_dims dm = lint_dims_of(rnn);
    if (!dm.low_rank) return lrnn_fail(LRNN_ERR_ARG, "support network: needs a low-rank network");
    if (P < 1 || p->units < 0)
        return lrnn_fail(LRNN_ERR_ARG, "support network: %d populations, %d units", P, p->units);
    for (size_t i = 0; i < dm.N; i++)
        if (labels[i] < 0 || labels[i] >= P)
            return lrnn_fail(LRNN_ERR_ARG,
                             "support network: unit %zu has population %d, not in "
                             "[0, %d)",
                             i, labels[i], P);
    lrnn_lint_features all = {true, true, dm.U > 0, true};
    lrnn_lint_readout own = {0};
    if (!ro) {
        lrnn_status s = lrnn_lint_readout_of(rnn, &own);
        if (s) return s;
        ro = &own;
    }
    int d = 0;
    size_t R = dm.R, U = dm.U, O = ro->O, N2 = p->units ? (size_t)p->units : dm.N;
    double *x = NULL, *draws = NULL;
    lrnn_gmm g = {0};
    lrnn_lint_rnn *net = NULL;
    lrnn_status s = lrnn_lint_loadings(rnn, all, ro, NULL, &d);
    if (s) goto done;
    x = malloc(dm.N * (size_t)d * sizeof *x);
    draws = malloc(N2 * (size_t)d * sizeof *draws);
    if (!x || !draws) {
        s = lrnn_fail(LRNN_ERR_NOMEM, "support network: out of memory (%zu units)", N2);
        goto done;
    }
    if ((s = lrnn_lint_loadings(rnn, all, ro, x, NULL)) ||
        (s = population_mixture(dm.N, (size_t)d, x, labels, P, p->take_means, &g)) ||
        (s = lrnn_gmm_sample(&g, N2, p->seed, draws, NULL)))
        goto done;
    lrnn_lint_config c = rnn->c;
    c.units = (int)N2, c.outputs = (int)O, c.psi = ro->psi;
    c.identity_readout = false, c.readout_rates = false;
    c.rec_div_n = true, c.out_div_n = true; /* loadings are O(1): the 1/N' factors of 1.1 */
    if ((s = lrnn_lint_create(&c, &net))) goto done;
    lrnn_lint_view v = lrnn_lint_view_of(&net->layout, net->theta);
    for (size_t i = 0; i < N2; i++) {
        const double *row = draws + i * (size_t)d;
        for (size_t r = 0; r < R; r++)
            v.m[i * R + r] = row[r], v.n[i * R + r] = row[R + r];
        for (size_t k = 0; k < U; k++)
            v.wi[k * N2 + i] = row[2 * R + k];
        for (size_t o = 0; o < O; o++)
            v.wo[i * O + o] = row[2 * R + U + o];
        v.b[i] = 0.0, v.h0[i] = 0.0;
    }
    for (size_t k = 0; k < U; k++)
        v.si[k] = 1.0;
    for (size_t o = 0; o < O; o++)
        v.so[o] = 1.0;
    *out = net, net = NULL;
    if (mixture) *mixture = g, memset(&g, 0, sizeof g);
done:
    lrnn_gmm_free(&g);
    lrnn_lint_free(net);
    lrnn_lint_readout_free(&own);
    free(x), free(draws);
    return s;
}
