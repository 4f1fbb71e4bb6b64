/* LINT networks: configuration, parameter layout, creation and initialisation (spec
 * lint_method.md sections 1.1-1.3). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lint/internal.h"
#include "lrnn/rng.h"

const char *lrnn_lint_kind_name(lrnn_lint_kind v) {
    return v == LRNN_LINT_FULL_RANK ? "full_rank" : "low_rank";
}

const char *lrnn_lint_act_name(lrnn_lint_act v) {
    return v == LRNN_LINT_RELU ? "relu" : v == LRNN_LINT_IDENTITY ? "identity" : "tanh";
}

lrnn_status lrnn_lint_kind_parse(const char *s, lrnn_lint_kind *out) {
    if (s && !strcmp(s, "low_rank")) return *out = LRNN_LINT_LOW_RANK, LRNN_OK;
    if (s && !strcmp(s, "full_rank")) return *out = LRNN_LINT_FULL_RANK, LRNN_OK;
    return lrnn_fail(LRNN_ERR_ARG, "unknown network kind '%s' (low_rank, full_rank)",
                     s ? s : "(null)");
}

lrnn_status lrnn_lint_act_parse(const char *s, lrnn_lint_act *out) {
    static const lrnn_lint_act all[] = {LRNN_LINT_TANH, LRNN_LINT_RELU, LRNN_LINT_IDENTITY};
    for (size_t i = 0; s && i < sizeof all / sizeof all[0]; i++)
        if (!strcmp(s, lrnn_lint_act_name(all[i]))) return *out = all[i], LRNN_OK;
    return lrnn_fail(LRNN_ERR_ARG, "unknown nonlinearity '%s' (tanh, relu, identity)",
                     s ? s : "(null)");
}

lrnn_lint_config lrnn_lint_default_config(lrnn_lint_kind kind) {
    lrnn_lint_config c = {
        .kind = kind,
        .units = 64,
        .rank = 1,
        .inputs = 1,
        .outputs = 1,
        .alpha = 0.2,
        .noise_std = 0.0,
        .phi = LRNN_LINT_TANH,
        .psi = LRNN_LINT_TANH,
        .identity_readout = false,
        .rec_div_n = kind == LRNN_LINT_LOW_RANK,
        .out_div_n = kind == LRNN_LINT_LOW_RANK,
        .readout_rates = false,
        .train_wi = false,
        .train_si = true,
        .train_wrec = true,
        .train_wo = false,
        .train_so = true,
        .train_h0 = false,
        .train_b = false,
        .rho = 1.0,
        .seed = 1,
    };
    return c;
}

static int act_ok(lrnn_lint_act a) {
    return a == LRNN_LINT_TANH || a == LRNN_LINT_RELU || a == LRNN_LINT_IDENTITY;
}

lrnn_status lrnn_lint_config_check(const lrnn_lint_config *c) {
    if (!c) return lrnn_fail(LRNN_ERR_ARG, "LINT config is NULL");
    if (c->kind != LRNN_LINT_LOW_RANK && c->kind != LRNN_LINT_FULL_RANK)
        return lrnn_fail(LRNN_ERR_ARG, "LINT config: kind %d is not low_rank or full_rank",
                         (int)c->kind);
    if (c->units < 1 || c->units > (1 << 20))
        return lrnn_fail(LRNN_ERR_ARG, "LINT config: units must be in [1, 2^20] (got %d)",
                         c->units);
    if (c->kind == LRNN_LINT_LOW_RANK && (c->rank < 1 || c->rank > c->units))
        return lrnn_fail(LRNN_ERR_ARG, "LINT config: rank must be in [1, units = %d] (got %d)",
                         c->units, c->rank);
    if (c->inputs < 0 || c->inputs > 4096)
        return lrnn_fail(LRNN_ERR_ARG, "LINT config: inputs must be in [0, 4096] (got %d)",
                         c->inputs);
    if (!c->identity_readout && (c->outputs < 1 || c->outputs > (1 << 20)))
        return lrnn_fail(LRNN_ERR_ARG, "LINT config: outputs must be in [1, 2^20] (got %d)",
                         c->outputs);
    if (!(c->alpha > 0.0 && c->alpha <= 1.0))
        return lrnn_fail(LRNN_ERR_ARG, "LINT config: alpha must be in (0, 1] (got %g)", c->alpha);
    if (!(c->noise_std >= 0.0 && isfinite(c->noise_std)))
        return lrnn_fail(LRNN_ERR_ARG, "LINT config: noise_std must be finite and >= 0 (got %g)",
                         c->noise_std);
    if (!act_ok(c->phi) || !act_ok(c->psi))
        return lrnn_fail(LRNN_ERR_ARG, "LINT config: unknown nonlinearity (phi %d, psi %d)",
                         (int)c->phi, (int)c->psi);
    if (!(c->rho >= 0.0 && isfinite(c->rho)))
        return lrnn_fail(LRNN_ERR_ARG, "LINT config: rho must be finite and >= 0 (got %g)", c->rho);
    size_t N = (size_t)c->units;
    if (c->kind == LRNN_LINT_FULL_RANK && N * N > ((size_t)1 << 31))
        return lrnn_fail(LRNN_ERR_ARG, "LINT config: full-rank wrec of %zu x %zu is too large", N,
                         N);
    return LRNN_OK;
}

/* Section 1.1: wi trains, or else its gain si; likewise wo / so. Empty entries (U = 0) are
 * still listed (size 0) so the names are the same for every configuration. */
static void build_layout(const lrnn_lint_config *c, lrnn_param_layout *l) {
    memset(l, 0, sizeof *l);
    size_t N = (size_t)c->units, R = (size_t)c->rank, U = (size_t)c->inputs;
    size_t O = c->identity_readout ? N : (size_t)c->outputs;
    lrnn_param_layout_add(l, "wi", 2, U, N, c->train_wi);
    lrnn_param_layout_add(l, "si", 1, U, 0, !c->train_wi && c->train_si);
    if (c->kind == LRNN_LINT_LOW_RANK) {
        lrnn_param_layout_add(l, "m", 2, N, R, c->train_wrec);
        lrnn_param_layout_add(l, "n", 2, N, R, c->train_wrec);
    } else {
        lrnn_param_layout_add(l, "wrec", 2, N, N, c->train_wrec);
    }
    lrnn_param_layout_add(l, "b", 1, N, 0, c->train_b);
    if (!c->identity_readout) {
        lrnn_param_layout_add(l, "wo", 2, N, O, c->train_wo);
        lrnn_param_layout_add(l, "so", 1, O, 0, !c->train_wo && c->train_so);
    }
    lrnn_param_layout_add(l, "h0", 1, N, 0, c->train_h0);
}

lrnn_lint_view lrnn_lint_view_of(const lrnn_param_layout *l, double *block) {
    lrnn_lint_view v = {0};
    struct {
        const char *name;
        double **p;
    } map[] = {{"wi", &v.wi}, {"si", &v.si}, {"m", &v.m},   {"n", &v.n},  {"wrec", &v.wrec},
               {"b", &v.b},   {"wo", &v.wo}, {"so", &v.so}, {"h0", &v.h0}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        const lrnn_param_entry *e = lrnn_param_layout_find(l, map[i].name);
        *map[i].p = e ? block + e->offset : NULL;
    }
    return v;
}

static void fill_normal(lrnn_rng *r, double *p, size_t n, double sd) {
    for (size_t i = 0; i < n; i++)
        p[i] = sd * lrnn_rng_normal(r);
}

lrnn_status lrnn_lint_create(const lrnn_lint_config *c, lrnn_lint_rnn **out) {
    *out = NULL;
    lrnn_status s = lrnn_lint_config_check(c);
    if (s) return s;
    lrnn_lint_rnn *rnn = calloc(1, sizeof *rnn);
    if (!rnn) return lrnn_fail(LRNN_ERR_NOMEM, "LINT network: out of memory");
    rnn->c = *c;
    build_layout(c, &rnn->layout);
    rnn->theta = calloc(rnn->layout.total ? rnn->layout.total : 1, sizeof *rnn->theta);
    if (!rnn->theta) {
        size_t total = rnn->layout.total;
        free(rnn);
        return lrnn_fail(LRNN_ERR_NOMEM, "LINT network: out of memory for %zu parameters", total);
    }
    size_t N = (size_t)c->units, R = (size_t)c->rank, U = (size_t)c->inputs;
    size_t O = c->identity_readout ? N : (size_t)c->outputs;
    lrnn_lint_view v = lrnn_lint_view_of(&rnn->layout, rnn->theta);
    lrnn_rng r;
    lrnn_rng_init(&r, c->seed, LRNN_RNG_INIT, 0, 0);
    fill_normal(&r, v.wi, U * N, 1.0);
    for (size_t k = 0; k < U; k++)
        v.si[k] = 1.0;
    if (c->kind == LRNN_LINT_LOW_RANK) {
        fill_normal(&r, v.m, N * R, 1.0);
        fill_normal(&r, v.n, N * R, 1.0);
    } else {
        fill_normal(&r, v.wrec, N * N, c->rho / sqrt((double)N));
    }
    if (v.wo) {
        /* Section 1.1: wo ~ N(0, 4^2) for low rank; 1.2: N(0, 1/N^2) for full rank. */
        fill_normal(&r, v.wo, N * O, c->kind == LRNN_LINT_LOW_RANK ? 4.0 : 1.0 / (double)N);
        for (size_t o = 0; o < O; o++)
            v.so[o] = 1.0;
    }
    *out = rnn;
    return LRNN_OK;
}

void lrnn_lint_free(lrnn_lint_rnn *rnn) {
    if (!rnn) return;
    free(rnn->theta);
    free(rnn);
}

lrnn_status lrnn_lint_clone(const lrnn_lint_rnn *rnn, lrnn_lint_rnn **out) {
    *out = NULL;
    lrnn_lint_rnn *c = calloc(1, sizeof *c);
    double *theta = calloc(rnn->layout.total ? rnn->layout.total : 1, sizeof *theta);
    if (!c || !theta) {
        free(c), free(theta);
        return lrnn_fail(LRNN_ERR_NOMEM, "LINT network clone: out of memory");
    }
    *c = *rnn;
    c->theta = theta;
    memcpy(theta, rnn->theta, rnn->layout.total * sizeof *theta);
    *out = c;
    return LRNN_OK;
}

const lrnn_lint_config *lrnn_lint_config_of(const lrnn_lint_rnn *rnn) {
    return &rnn->c;
}

const lrnn_param_layout *lrnn_lint_layout(const lrnn_lint_rnn *rnn) {
    return &rnn->layout;
}

double *lrnn_lint_params(lrnn_lint_rnn *rnn) {
    return rnn->theta;
}

const double *lrnn_lint_params_const(const lrnn_lint_rnn *rnn) {
    return rnn->theta;
}

lrnn_status lrnn_lint_set_trainable(lrnn_lint_rnn *rnn, const char *name, bool trainable) {
    for (int i = 0; name && i < rnn->layout.count; i++)
        if (!strcmp(rnn->layout.entry[i].name, name)) {
            rnn->layout.entry[i].trainable = trainable;
            return LRNN_OK;
        }
    return lrnn_fail(LRNN_ERR_ARG, "LINT network has no parameter '%s'", name ? name : "(null)");
}

lint_dims lint_dims_of(const lrnn_lint_rnn *rnn) {
    const lrnn_lint_config *c = &rnn->c;
    lint_dims d;
    d.N = (size_t)c->units;
    d.R = c->kind == LRNN_LINT_LOW_RANK ? (size_t)c->rank : 0;
    d.U = (size_t)c->inputs;
    d.O = c->identity_readout ? d.N : (size_t)c->outputs;
    d.low_rank = c->kind == LRNN_LINT_LOW_RANK;
    d.identity = c->identity_readout;
    d.alpha = c->alpha;
    d.sigma = c->noise_std;
    d.c_rec = c->rec_div_n ? 1.0 / (double)d.N : 1.0;
    d.c_out = c->out_div_n ? 1.0 / (double)d.N : 1.0;
    return d;
}

void lrnn_lint_effective_input(const lrnn_lint_rnn *rnn, double *out) {
    lint_dims d = lint_dims_of(rnn);
    lrnn_lint_view v = lrnn_lint_view_of(&rnn->layout, rnn->theta);
    for (size_t k = 0; k < d.U; k++)
        for (size_t i = 0; i < d.N; i++)
            out[k * d.N + i] = v.si[k] * v.wi[k * d.N + i];
}
