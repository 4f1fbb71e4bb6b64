/* lrnn_fp_find: parameters, names and the dispatch over methods. */
#include <math.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "analysis/internal.h"

static const char *const method_names[] = {"auto", "analytic", "scyfi", "newton"};
static const char *const type_names[] = {"stable node",    "stable focus", "unstable node",
                                         "unstable focus", "saddle",       "marginal"};

const char *lrnn_fp_method_name(lrnn_fp_method v) {
    return (unsigned)v < 4 ? method_names[v] : "?";
}

lrnn_status lrnn_fp_method_parse(const char *s, lrnn_fp_method *out) {
    for (int i = 0; i < 4; i++)
        if (!strcasecmp(s, method_names[i])) {
            *out = (lrnn_fp_method)i;
            return LRNN_OK;
        }
    return lrnn_fail(LRNN_ERR_ARG, "unknown fixed-point method '%s' (auto|analytic|scyfi|newton)",
                     s);
}

const char *lrnn_fp_type_name(lrnn_fp_type v) {
    return (unsigned)v < 6 ? type_names[v] : "?";
}

lrnn_fp_params lrnn_fp_default_params(void) {
    lrnn_fp_params p = {
        .method = LRNN_FP_AUTO,
        .max_order = 1,
        .threads = 0,
        .seed = 1,
        .max_vertices = 1e10,
        .scyfi_budget = 20000,
        .scyfi_inner = 100,
        .scyfi_constrained = false,
        .newton_starts = 512,
        .newton_iterations = 100,
        .newton_tol = 1e-10,
    };
    return p;
}

lrnn_status lrnn_fp_params_check(const lrnn_fp_params *p) {
    if ((unsigned)p->method > LRNN_FP_NEWTON)
        return lrnn_fail(LRNN_ERR_ARG, "fixed points: unknown method %d", (int)p->method);
    if (p->max_order < 1 || p->max_order > 64)
        return lrnn_fail(LRNN_ERR_ARG, "fixed points: max_order = %d outside 1..64", p->max_order);
    if (p->threads < 0 || p->threads > 4096)
        return lrnn_fail(LRNN_ERR_ARG, "fixed points: threads = %d outside 0..4096", p->threads);
    if (!(p->max_vertices > 0.0))
        return lrnn_fail(LRNN_ERR_ARG, "fixed points: max_vertices = %g must be positive",
                         p->max_vertices);
    if (p->scyfi_budget < 1 || p->scyfi_inner < 1)
        return lrnn_fail(LRNN_ERR_ARG, "fixed points: scyfi budget and inner iterations must be "
                                       ">= 1");
    if (p->newton_starts < 1 || p->newton_starts > ((uint64_t)1 << 30))
        return lrnn_fail(LRNN_ERR_ARG, "fixed points: newton_starts = %llu outside 1..2^30",
                         (unsigned long long)p->newton_starts);
    if (p->newton_iterations < 1 || p->newton_iterations > 100000)
        return lrnn_fail(LRNN_ERR_ARG, "fixed points: newton_iterations = %d outside 1..100000",
                         p->newton_iterations);
    if (!(p->newton_tol > 0.0) || !isfinite(p->newton_tol))
        return lrnn_fail(LRNN_ERR_ARG, "fixed points: newton_tol = %g must be positive",
                         p->newton_tol);
    return LRNN_OK;
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int piecewise_linear(lrnn_activation a) {
    return a == LRNN_ACT_RELU || a == LRNN_ACT_CLIPPED_RELU;
}

lrnn_status lrnn_fp_find(const lrnn_latent_map *map, const lrnn_fp_params *p, lrnn_fp_result *out) {
    memset(out, 0, sizeof *out);
    lrnn_status st = lrnn_fp_params_check(p);
    if (st) return st;
    if (!map || !map->m || !map->n || !map->h || !map->a || !map->b || map->R < 1 || map->N < 1)
        return lrnn_fail(LRNN_ERR_ARG, "fixed points: the latent map is empty");
    out->R = map->R, out->N = map->N;
    lrnn_fp_method method = p->method;
    if (method == LRNN_FP_AUTO)
        method = map->activation == LRNN_ACT_TANH ? LRNN_FP_NEWTON : LRNN_FP_ANALYTIC;
    out->method = method;
    out->stats.threads = 1;
    double t0 = now_seconds();
    fp_arrangement *arr = NULL;
    int first_cycle_order = 2;
    switch (method) {
    case LRNN_FP_ANALYTIC:
        st = fp_analytic(map, p, out);
        out->exhaustive = st == LRNN_OK && out->stats.truncated == 0;
        break;
    case LRNN_FP_SCYFI:
        if (!piecewise_linear(map->activation)) {
            st = lrnn_fail(LRNN_ERR_ARG,
                           "fixed points: scyfi needs relu or clipped_relu (the "
                           "map is %s); use newton",
                           lrnn_activation_name(map->activation));
            break;
        }
        if (p->scyfi_constrained) st = fp_arrangement_create(map, &arr);
        if (!st) st = fp_scyfi_order(map, p, 1, arr, out);
        break;
    case LRNN_FP_NEWTON:
        st = fp_newton_order(map, p, 1, out);
        break;
    case LRNN_FP_AUTO:
        break;
    }
    /* cycles: SCYFI for piecewise-linear maps, Newton on f^k otherwise */
    for (int k = first_cycle_order; k <= p->max_order && !st; k++) {
        if (piecewise_linear(map->activation) && method != LRNN_FP_NEWTON)
            st = fp_scyfi_order(map, p, k, NULL, out);
        else
            st = fp_newton_order(map, p, k, out);
    }
    fp_arrangement_free(arr);
    if (st) {
        lrnn_fp_result_free(out);
        return st;
    }
    fp_result_sort(out);
    out->stats.seconds = now_seconds() - t0;
    return LRNN_OK;
}
