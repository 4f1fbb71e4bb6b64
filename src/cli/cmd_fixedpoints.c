/* lrnn fixedpoints: fixed points, cycles and their stability (spec section 7) of a model file
 * or of a network given as arrays, printed as a table and optionally written as JSON. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "commands.h"
#include "lrnn/fixedpoints.h"
#include "lrnn/io.h"
#include "lrnn/model_file.h"

CLI_CHOICE_DEFINE(method_choice, lrnn_fp_method, "auto|analytic|scyfi|newton")
CLI_CHOICE_DEFINE(activation_choice, lrnn_activation, "relu|clipped_relu|tanh|identity")

typedef struct fp_args {
    const char *model, *m, *n, *h, *decay, *wu, *input, *json;
    lrnn_activation activation;
    int show;
    lrnn_fp_params params;
} fp_args;

/* A whole array file as doubles, with its shape. */
typedef struct loaded {
    double *x;
    size_t count, rows, cols; /* rows x cols for 2-D, count x 1 for 1-D */
    int ndim;
} loaded;

static lrnn_status load_doubles(const char *what, const char *spec, loaded *out) {
    memset(out, 0, sizeof *out);
    lrnn_array a;
    lrnn_status s = lrnn_array_load(spec, &a);
    if (s) return lrnn_fail_context(s, "--%s", what);
    if (a.ndim > 2) {
        char buf[64];
        lrnn_shape_str(a.ndim, a.shape, buf, sizeof buf);
        lrnn_array_free(&a);
        return lrnn_fail(LRNN_ERR_SHAPE, "--%s %s: expected a vector or a matrix, got shape %s",
                         what, spec, buf);
    }
    out->count = lrnn_array_count(&a);
    out->ndim = a.ndim;
    out->rows = a.ndim == 2 ? a.shape[0] : out->count;
    out->cols = a.ndim == 2 ? a.shape[1] : 1;
    if (out->count == 0) {
        lrnn_array_free(&a);
        return lrnn_fail(LRNN_ERR_SHAPE, "--%s %s: the array is empty", what, spec);
    }
    s = lrnn_array_to_f64(&a, &out->x);
    lrnn_array_free(&a);
    return s;
}

/* "0.9" or "a.npy" (1 or R values). */
static lrnn_status parse_decay(const char *text, int R, double *a) {
    char *end = NULL;
    errno = 0;
    double v = strtod(text, &end);
    if (end != text && *end == '\0' && !errno) {
        for (int r = 0; r < R; r++)
            a[r] = v;
        return LRNN_OK;
    }
    loaded d;
    lrnn_status s = load_doubles("decay", text, &d);
    if (s) return s;
    if (d.count != 1 && d.count != (size_t)R) {
        free(d.x);
        return lrnn_fail(LRNN_ERR_SHAPE, "--decay %s: %zu values, expected 1 or R = %d", text,
                         d.count, R);
    }
    for (int r = 0; r < R; r++)
        a[r] = d.x[d.count == 1 ? 0 : r];
    free(d.x);
    return LRNN_OK;
}

/* "0.3,-1" or a file holding U values. */
static lrnn_status parse_input(const char *text, size_t U, double **out) {
    *out = NULL;
    double *u = calloc(U ? U : 1, sizeof *u);
    if (!u) return lrnn_fail(LRNN_ERR_NOMEM, "--input: cannot allocate %zu values", U);
    const char *p = text;
    size_t k = 0;
    int numeric = 1;
    while (*p && numeric) {
        char *end = NULL;
        errno = 0;
        double v = strtod(p, &end);
        if (end == p || errno || !isfinite(v) || (*end && *end != ',')) {
            numeric = 0;
            break;
        }
        if (k < U) u[k] = v;
        k++;
        p = *end ? end + 1 : end;
    }
    if (!numeric) {
        loaded f;
        lrnn_status s = load_doubles("input", text, &f);
        if (s) {
            free(u);
            return s;
        }
        k = f.count;
        for (size_t i = 0; i < U && i < k; i++)
            u[i] = f.x[i];
        free(f.x);
    }
    if (k != U) {
        free(u);
        return lrnn_fail(LRNN_ERR_SHAPE,
                         "--input %s: %zu values, the network takes U = %zu "
                         "inputs",
                         text, k, U);
    }
    *out = u;
    return LRNN_OK;
}

/* The map from --m/--n/--h/--decay/--activation [--wu --input]. */
static lrnn_status map_from_files(const fp_args *a, lrnn_latent_map *map, char *desc, size_t cap) {
    loaded m = {0}, n = {0}, h = {0}, wu = {0};
    double *dec = NULL, *u = NULL, *b = NULL;
    lrnn_status s;
    if ((s = load_doubles("m", a->m, &m)) || (s = load_doubles("n", a->n, &n)) ||
        (s = load_doubles("h", a->h, &h)))
        goto done;
    size_t N = m.rows, R = m.cols;
    /* n must be R x N; a 1-D n is accepted for R = 1 */
    if (!(n.ndim == 2 && n.rows == R && n.cols == N) && !(R == 1 && n.count == N)) {
        s = lrnn_fail(LRNN_ERR_SHAPE, "--n %s: shape (%zu, %zu), expected R x N = (%zu, %zu)%s",
                      a->n, n.rows, n.cols, R, N,
                      n.ndim == 2 && n.rows == N && n.cols == R ? " (transpose it)" : "");
        goto done;
    }
    if (h.count != N) {
        s = lrnn_fail(LRNN_ERR_SHAPE, "--h %s: %zu values, m has N = %zu rows", a->h, h.count, N);
        goto done;
    }
    if (N > (1u << 20) || R > 1024) {
        s = lrnn_fail(LRNN_ERR_SHAPE, "--m %s: N = %zu, R = %zu too large", a->m, N, R);
        goto done;
    }
    dec = malloc(R * sizeof *dec);
    if (!dec) {
        s = lrnn_fail(LRNN_ERR_NOMEM, "cannot allocate the decay");
        goto done;
    }
    if ((s = parse_decay(a->decay, (int)R, dec))) goto done;
    if (a->wu) {
        if ((s = load_doubles("wu", a->wu, &wu))) goto done;
        if (wu.rows != N) {
            s = lrnn_fail(LRNN_ERR_SHAPE, "--wu %s: %zu rows, expected N = %zu (N x U)", a->wu,
                          wu.rows, N);
            goto done;
        }
        if (!a->input) {
            s = lrnn_fail(LRNN_ERR_ARG, "--wu needs --input (the input held constant)");
            goto done;
        }
        if ((s = parse_input(a->input, wu.cols, &u))) goto done;
        b = calloc(N, sizeof *b);
        if (!b) {
            s = lrnn_fail(LRNN_ERR_NOMEM, "cannot allocate input currents");
            goto done;
        }
        for (size_t i = 0; i < N; i++)
            for (size_t j = 0; j < wu.cols; j++)
                b[i] += wu.x[i * wu.cols + j] * u[j];
    } else if (a->input) {
        /* without W_u the input is the N constant currents themselves */
        if ((s = parse_input(a->input, N, &b))) goto done;
    }
    s = lrnn_latent_map_from_arrays((int)R, (int)N, a->activation, m.x, n.x, h.x, dec, b, map);
    snprintf(desc, cap, "network of %s", a->m);
done:
    free(m.x), free(n.x), free(h.x), free(wu.x), free(dec), free(u), free(b);
    return s;
}

static lrnn_status map_from_model(const fp_args *a, lrnn_latent_map *map, char *desc, size_t cap) {
    lrnn_model *model = NULL;
    lrnn_status s = lrnn_model_load(a->model, &model, NULL);
    if (s) return s;
    const lrnn_model_config *c = lrnn_model_config_of(model);
    double *u = NULL;
    if (a->input) {
        if (c->inputs == 0) {
            lrnn_model_free(model);
            return lrnn_fail(LRNN_ERR_ARG, "--input: %s has no inputs (U = 0)", a->model);
        }
        if ((s = parse_input(a->input, (size_t)c->inputs, &u))) {
            lrnn_model_free(model);
            return s;
        }
    }
    s = lrnn_latent_map_from_model(model, u, map);
    snprintf(desc, cap, "%s", a->model);
    free(u);
    lrnn_model_free(model);
    return s;
}

/* ---- output ---- */

static void format_eig(char *buf, size_t cap, const lrnn_fp *f, int R) {
    size_t used = 0;
    buf[0] = '\0';
    for (int r = 0; r < R && r < 4 && used < cap; r++) {
        int w;
        if (f->eig_im[r] != 0.0 && r + 1 < R && f->eig_im[r + 1] == -f->eig_im[r]) {
            w = snprintf(buf + used, cap - used, "%s%.4g±%.4gi", r ? ", " : "", f->eig_re[r],
                         fabs(f->eig_im[r]));
            r++;
        } else {
            w = snprintf(buf + used, cap - used, "%s%.4g", r ? ", " : "", f->eig_re[r]);
        }
        if (w < 0) break;
        used += (size_t)w;
    }
    if (R > 4 && used < cap) snprintf(buf + used, cap - used, ", ...");
}

static void print_table(const lrnn_latent_map *map, const lrnn_fp_result *res, int show) {
    int R = map->R;
    double *x = malloc((size_t)map->N * sizeof *x);
    int zw = (R < 8 ? R : 9) * 11 + 1;
    printf("  %4s %5s  %-14s %9s %8s  %-*s  %-23s %s\n", "#", "order", "type", "radius", "active",
           zw, "z (latent)", "x = m z + b (min, max)", "multipliers");
    for (size_t i = 0; i < res->count && (int)i < show; i++) {
        const lrnn_fp *f = &res->points[i];
        char z[512] = "", eig[256], act[32];
        size_t used = 0;
        for (int r = 0; r < R && r < 8 && used < sizeof z; r++) {
            int w = snprintf(z + used, sizeof z - used, "%s%10.4g", r ? "," : "", f->z[r]);
            if (w > 0) used += (size_t)w;
        }
        if (R > 8 && used < sizeof z) snprintf(z + used, sizeof z - used, ",...");
        double lo = 0.0, hi = 0.0;
        if (x) {
            lrnn_latent_map_currents(map, f->z, x);
            lo = hi = x[0];
            for (int k = 1; k < map->N; k++)
                lo = fmin(lo, x[k]), hi = fmax(hi, x[k]);
        }
        format_eig(eig, sizeof eig, f, R);
        snprintf(act, sizeof act, "%d/%d", f->active, map->N);
        char zp[520];
        snprintf(zp, sizeof zp, "(%s)", z);
        printf("  %4zu %5d  %-14s %9.4g %8s  %-*s  [%9.3g, %9.3g]  %s\n", i + 1, f->order,
               lrnn_fp_type_name(f->type), f->radius, act, zw, zp, lo, hi, eig);
    }
    if ((int)res->count > show)
        printf("  ... %zu more (raise --show or use --json)\n", res->count - (size_t)show);
    free(x);
}

static json_t *real_array(const double *x, size_t n) {
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_real(x[i]));
    return a;
}

static json_t *point_json(const lrnn_latent_map *map, const lrnn_fp *f, size_t index) {
    int R = map->R, N = map->N;
    json_t *o = json_object();
    json_object_set_new(o, "index", json_integer((json_int_t)index));
    json_object_set_new(o, "order", json_integer(f->order));
    json_object_set_new(o, "type", json_string(lrnn_fp_type_name(f->type)));
    json_object_set_new(o, "spectral_radius", json_real(f->radius));
    json_object_set_new(o, "active_units", json_integer(f->active));
    json_object_set_new(o, "residual", json_real(f->residual));
    json_t *eig = json_array();
    for (int r = 0; r < R; r++) {
        json_t *e = json_object();
        json_object_set_new(e, "re", json_real(f->eig_re[r]));
        json_object_set_new(e, "im", json_real(f->eig_im[r]));
        json_object_set_new(e, "abs", json_real(hypot(f->eig_re[r], f->eig_im[r])));
        json_array_append_new(eig, e);
    }
    json_object_set_new(o, f->order > 1 ? "floquet_multipliers" : "eigenvalues", eig);
    /* per point of the orbit: latent z, unit currents x, rates phi(x; h), pattern */
    json_t *pts = json_array();
    double *x = malloc((size_t)N * sizeof *x), *rate = malloc((size_t)N * sizeof *rate);
    char *pattern = malloc((size_t)N + 1);
    for (int k = 0; k < f->order && x && rate && pattern; k++) {
        const double *z = f->z + (size_t)k * (size_t)R;
        lrnn_latent_map_currents(map, z, x);
        for (int i = 0; i < N; i++) {
            rate[i] = lrnn_activation_apply(map->activation, x[i], map->h[i]);
            pattern[i] = (char)('0' + f->level[(size_t)k * (size_t)N + (size_t)i]);
        }
        pattern[N] = '\0';
        json_t *p = json_object();
        json_object_set_new(p, "z", real_array(z, (size_t)R));
        json_object_set_new(p, "x", real_array(x, (size_t)N));
        json_object_set_new(p, "rates", real_array(rate, (size_t)N));
        if (map->activation == LRNN_ACT_RELU || map->activation == LRNN_ACT_CLIPPED_RELU)
            json_object_set_new(p, "pattern", json_string(pattern));
        json_array_append_new(pts, p);
    }
    free(x), free(rate), free(pattern);
    json_object_set_new(o, "points", pts);
    return o;
}

static lrnn_status write_json(const fp_args *a, const char *source, const lrnn_latent_map *map,
                              const lrnn_fp_result *res) {
    json_t *root = json_object();
    json_object_set_new(root, "lrnn_version", json_string(lrnn_version()));
    /* the effective configuration, so the file says how it was made */
    json_t *cfg = json_object();
    json_object_set_new(cfg, "source", json_string(source));
    if (a->input) json_object_set_new(cfg, "input", json_string(a->input));
    json_object_set_new(cfg, "method", json_string(lrnn_fp_method_name(a->params.method)));
    json_object_set_new(cfg, "max_order", json_integer(a->params.max_order));
    json_object_set_new(cfg, "threads", json_integer(a->params.threads));
    json_object_set_new(cfg, "seed", json_integer((json_int_t)a->params.seed));
    json_object_set_new(cfg, "max_vertices", json_real(a->params.max_vertices));
    json_object_set_new(cfg, "scyfi_budget", json_integer((json_int_t)a->params.scyfi_budget));
    json_object_set_new(cfg, "scyfi_inner", json_integer((json_int_t)a->params.scyfi_inner));
    json_object_set_new(cfg, "scyfi_constrained", json_boolean(a->params.scyfi_constrained));
    json_object_set_new(cfg, "newton_starts", json_integer((json_int_t)a->params.newton_starts));
    json_object_set_new(cfg, "newton_iterations", json_integer(a->params.newton_iterations));
    json_object_set_new(cfg, "newton_tol", json_real(a->params.newton_tol));
    json_object_set_new(root, "config", cfg);
    json_t *mp = json_object();
    json_object_set_new(mp, "R", json_integer(map->R));
    json_object_set_new(mp, "N", json_integer(map->N));
    json_object_set_new(mp, "activation", json_string(lrnn_activation_name(map->activation)));
    json_object_set_new(mp, "decay", real_array(map->a, (size_t)map->R));
    json_object_set_new(mp, "map", json_string("z' = a*z + n phi(m z + b; h)"));
    json_object_set_new(root, "network", mp);
    json_object_set_new(root, "method", json_string(lrnn_fp_method_name(res->method)));
    json_object_set_new(root, "exhaustive", json_boolean(res->exhaustive));
    const lrnn_fp_stats *st = &res->stats;
    json_t *js = json_object();
    json_object_set_new(js, "hyperplanes", json_integer((json_int_t)st->hyperplanes));
    json_object_set_new(js, "arrangement_rank", json_integer(st->arrangement_rank));
    json_object_set_new(js, "vertices", json_integer((json_int_t)st->vertices));
    json_object_set_new(js, "singular_subsets", json_integer((json_int_t)st->singular_subsets));
    json_object_set_new(js, "regions", json_integer((json_int_t)st->regions));
    json_object_set_new(js, "ambiguous", json_integer((json_int_t)st->ambiguous));
    json_object_set_new(js, "solves", json_integer((json_int_t)st->solves));
    json_object_set_new(js, "singular_pieces", json_integer((json_int_t)st->singular_pieces));
    json_object_set_new(js, "starts", json_integer((json_int_t)st->starts));
    json_object_set_new(js, "converged", json_integer((json_int_t)st->converged));
    json_object_set_new(js, "threads", json_integer(st->threads));
    json_object_set_new(js, "seconds", json_real(st->seconds));
    json_object_set_new(root, "stats", js);
    json_t *list = json_array();
    for (size_t i = 0; i < res->count; i++)
        json_array_append_new(list, point_json(map, &res->points[i], i + 1));
    json_object_set_new(root, "fixed_points", list);
    char *text = json_dumps(root, JSON_INDENT(1) | JSON_REAL_PRECISION(17));
    json_decref(root);
    if (!text) return lrnn_fail(LRNN_ERR_NOMEM, "--json: cannot format the results");
    size_t len = strlen(text);
    text[len] = '\n';
    lrnn_status s = lrnn_file_write_atomic(a->json, text, len + 1);
    free(text);
    return s;
}

static int run(fp_args *a) {
    lrnn_latent_map map = {0};
    lrnn_fp_result res = {0};
    char source[1200];
    int rc = 1;
    lrnn_status s = a->model ? map_from_model(a, &map, source, sizeof source)
                             : map_from_files(a, &map, source, sizeof source);
    if (s || lrnn_fp_find(&map, &a->params, &res) != LRNN_OK) goto done;
    if (a->json && write_json(a, source, &map, &res) != LRNN_OK) goto done;
    const lrnn_fp_stats *st = &res.stats;
    size_t fixed = 0, stable = 0, cycles = 0;
    for (size_t i = 0; i < res.count; i++) {
        if (res.points[i].order == 1)
            fixed++;
        else
            cycles++;
        stable +=
            res.points[i].type == LRNN_FP_STABLE_NODE || res.points[i].type == LRNN_FP_STABLE_FOCUS;
    }
    printf("%s: R = %d, N = %d, %s, %s\n", source, map.R, map.N,
           lrnn_activation_name(map.activation), a->input ? "input held constant" : "no input");
    if (res.method == LRNN_FP_ANALYTIC)
        printf("method analytic (%s): %llu hyperplanes in rank %d, %llu vertices, %llu regions, "
               "%llu solves",
               res.exhaustive ? "exhaustive" : "NOT exhaustive: degenerate vertices truncated",
               (unsigned long long)st->hyperplanes, st->arrangement_rank,
               (unsigned long long)st->vertices, (unsigned long long)st->regions,
               (unsigned long long)st->solves);
    else if (res.method == LRNN_FP_SCYFI)
        printf("method scyfi (not exhaustive): %llu pattern draws, %llu solves",
               (unsigned long long)st->starts, (unsigned long long)st->solves);
    else
        printf("method newton (not exhaustive): %llu starts, %llu converged",
               (unsigned long long)st->starts, (unsigned long long)st->converged);
    printf(", %.3f s, %d thread(s)\n", st->seconds, st->threads);
    if (a->params.max_order > 1 && res.method != LRNN_FP_NEWTON)
        printf("cycles of order 2..%d: scyfi (not exhaustive)\n", a->params.max_order);
    if (st->singular_pieces)
        printf("note: %llu linear pieces have singular I - A (lines or planes of fixed points "
               "are possible there; only isolated points are listed)\n",
               (unsigned long long)st->singular_pieces);
    printf("found %zu fixed point(s) and %zu cycle(s), %zu stable\n", fixed, cycles, stable);
    if (res.count) print_table(&map, &res, a->show);
    if (a->json) printf("wrote %s\n", a->json);
    rc = 0;
done:
    if (rc) cli_report("fixedpoints");
    lrnn_fp_result_free(&res);
    lrnn_latent_map_free(&map);
    return rc;
}

int cmd_fixedpoints(int argc, char **argv) {
    fp_args a = {
        .activation = LRNN_ACT_CLIPPED_RELU, .show = 50, .params = lrnn_fp_default_params()};
    double max_vertices = a.params.max_vertices;
    /* clang-format off */
    cli_option options[] = {
        {"model", CLI_STRING, &a.model, "FILE", "model file (.h5)", false, NULL, false},
        {"m", CLI_STRING, &a.m, "FILE", "instead of --model: m, N x R (.npy/.npz/.csv/.h5:/x)", false, NULL, false},
        {"n", CLI_STRING, &a.n, "FILE", "with --m: n, R x N", false, NULL, false},
        {"h", CLI_STRING, &a.h, "FILE", "with --m: thresholds h, N", false, NULL, false},
        {"decay", CLI_STRING, &a.decay, "a|FILE", "with --m: decay a, one value or R values", false, NULL, false},
        {"activation", CLI_CHOICE, &a.activation, NULL, "with --m: phi (required there)", false, &activation_choice, false},
        {"wu", CLI_STRING, &a.wu, "FILE", "with --m: input weights W_u, N x U", false, NULL, false},
        {"input", CLI_STRING, &a.input, "u", "constant input u (\"0.5,-1\" or a file); with --m and no --wu: the N input currents", false, NULL, false},
        {"method", CLI_CHOICE, &a.params.method, NULL, "analytic (exhaustive, relu/clipped_relu), scyfi, newton (tanh); auto picks", false, &method_choice, false},
        {"max-order", CLI_INT, &a.params.max_order, "k", "also cycles up to period k (scyfi, or newton for tanh)", false, NULL, false},
        {"json", CLI_STRING, &a.json, "FILE", "write every point (z, x, rates, pattern, multipliers, type) as JSON", false, NULL, false},
        {"threads", CLI_INT, &a.params.threads, "T", "threads (0: all)", false, NULL, false},
        {"seed", CLI_U64, &a.params.seed, "S", "seed of scyfi patterns and newton starts", false, NULL, false},
        {"budget", CLI_U64, &a.params.scyfi_budget, "n", "scyfi: linear solves per order", false, NULL, false},
        {"constrained", CLI_BOOL, &a.params.scyfi_constrained, NULL, "scyfi: draw patterns next to random vertices (order 1)", false, NULL, false},
        {"starts", CLI_U64, &a.params.newton_starts, "n", "newton: number of starts", false, NULL, false},
        {"max-vertices", CLI_DOUBLE, &max_vertices, "V", "analytic: refuse arrangements with more regions", false, NULL, false},
        {"show", CLI_INT, &a.show, "n", "rows of the printed table", false, NULL, false},
    };
    /* clang-format on */
    cli_command cmd = {
        "fixedpoints",
        "--model model.h5 [options]  |  --m m.npy --n n.npy --h h.npy --decay a "
        "--activation relu [options]",
        "Fixed points of the latent map z' = a.z + n phi(m z + b; h) with the input held\n"
        "constant (b = W_u u), their Jacobians' eigenvalues and type, and optionally cycles\n"
        "(spec section 7; docs/fixedpoints.md). The analytic method lists every isolated\n"
        "fixed point of a relu or clipped_relu network at any rank; scyfi and newton search\n"
        "and are not exhaustive.",
        options, (int)(sizeof options / sizeof options[0])};
    int rc = cli_parse(&cmd, argc, argv, NULL, 0, NULL);
    if (rc) return rc == 1 ? 0 : rc;
    a.params.max_vertices = max_vertices;
    int arrays = a.m || a.n || a.h || a.decay || a.wu || options[5].seen;
    if (!a.model == !arrays) {
        fprintf(stderr, "lrnn fixedpoints: give either --model or --m/--n/--h/--decay/"
                        "--activation (see lrnn fixedpoints --help)\n");
        return 2;
    }
    if (arrays && (!a.m || !a.n || !a.h || !a.decay || !options[5].seen)) {
        fprintf(stderr, "lrnn fixedpoints: --m, --n, --h, --decay and --activation are all "
                        "needed without --model\n");
        return 2;
    }
    if (a.show < 0) {
        fprintf(stderr, "lrnn fixedpoints: --show must be >= 0\n");
        return 2;
    }
    if (lrnn_fp_params_check(&a.params) != LRNN_OK) {
        fprintf(stderr, "lrnn fixedpoints: %s\n", lrnn_last_error());
        return 2;
    }
    return run(&a);
}
