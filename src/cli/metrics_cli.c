/* Shared metric reporting of lrnn compare and lrnn eval (docs/metrics.md) and the posterior over
 * a whole recording (lrnn posterior, lrnn eval). */
#include "metrics_cli.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lrnn/io.h"

const char *const metric_gen_names[METRIC_GEN_COUNT] = {"dstsp", "dh", "rates", "isi", "corr"};

lrnn_status metrics_series_from(const lrnn_dataset *d, const char *name, metrics_series *out) {
    size_t n = d->B * d->T * d->X;
    out->y = malloc((n ? n : 1) * sizeof *out->y);
    if (!out->y) return lrnn_fail(LRNN_ERR_NOMEM, "%s: out of memory", name);
    for (size_t i = 0; i < n; i++) {
        size_t b = i / (d->T * d->X), t = i / d->X % d->T;
        bool pad = d->lengths && t >= d->lengths[b];
        out->y[i] = pad || (d->mask && !d->mask[i]) ? NAN : d->y[i];
    }
    out->view = (lrnn_eval_data){d->B, d->T, d->X, out->y, name};
    return LRNN_OK;
}

void metrics_header(void) {
    printf("%-7s %-12s %-10s %s\n", "metric", "value", "std.err", "setting");
}

void metrics_row(const char *name, double value, double se, const char *setting) {
    char err[32] = "-";
    if (isfinite(se)) snprintf(err, sizeof err, "%.2g", se);
    printf("%-7s %-12.6g %-10s %s\n", name, value, err, setting);
}

json_t *metrics_json_num(double v) {
    return isfinite(v) ? json_real(v) : json_null();
}

json_t *metrics_json_vec(const double *v, size_t n) {
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, metrics_json_num(v[i]));
    return a;
}

/* Per-channel statistics of both inputs and their Pearson r. */
static lrnn_status compare_channels(int metric, const metrics_opts *o, const metrics_series *r,
                                    const metrics_series *g, json_t *root) {
    size_t X = r->view.X, n = metric == METRIC_CORR ? X * (X - 1) / 2 : X;
    if (metric == METRIC_CORR && n == 0)
        return lrnn_fail(LRNN_ERR_SHAPE, "corr: needs at least 2 channels (have %zu)", X);
    double *vr = malloc(4 * n * sizeof *vr), *vg = vr + n, *cr = vg + n, *cg = cr + n;
    lrnn_isi_stats *ir = metric == METRIC_ISI ? malloc(2 * X * sizeof *ir) : NULL,
                   *ig = ir ? ir + X : NULL;
    lrnn_status s = LRNN_OK;
    if (!vr || (metric == METRIC_ISI && !ir)) {
        s = lrnn_fail(LRNN_ERR_NOMEM, "metrics: out of memory");
        goto done;
    }
    if (metric == METRIC_RATES) {
        if ((s = lrnn_spikes_rates(&r->view, o->dt, vr)) ||
            (s = lrnn_spikes_rates(&g->view, o->dt, vg)))
            goto done;
    } else if (metric == METRIC_ISI) {
        if ((s = lrnn_spikes_isi(&r->view, o->dt, (size_t)o->isi_min, ir)) ||
            (s = lrnn_spikes_isi(&g->view, o->dt, (size_t)o->isi_min, ig)))
            goto done;
        for (size_t x = 0; x < X; x++)
            vr[x] = ir[x].mean, vg[x] = ig[x].mean, cr[x] = ir[x].cv, cg[x] = ig[x].cv;
    } else if ((s = lrnn_spikes_corr(&r->view, vr)) || (s = lrnn_spikes_corr(&g->view, vg))) {
        goto done;
    }
    double rr, mr = 0.0, mg = 0.0;
    size_t used = 0;
    if ((s = lrnn_pearson(vr, vg, n, &rr))) goto done;
    for (size_t i = 0; i < n; i++)
        if (isfinite(vr[i]) && isfinite(vg[i])) mr += vr[i], mg += vg[i], used++;
    mr = used ? mr / (double)used : NAN, mg = used ? mg / (double)used : NAN;
    char setting[160];
    const char *what = metric == METRIC_RATES ? "rate"
                       : metric == METRIC_ISI ? "ISI"
                                              : "correlation";
    snprintf(setting, sizeof setting, "Pearson r over %zu %s; mean %s real %.4g, generated %.4g",
             used, metric == METRIC_CORR ? "pairs" : "channels", what, mr, mg);
    metrics_row(metric_gen_names[metric], rr, NAN, setting);
    json_t *obj = json_pack("{s:o, s:o, s:o, s:I}", "pearson_r", metrics_json_num(rr), "real",
                            metrics_json_vec(vr, n), "generated", metrics_json_vec(vg, n), "count",
                            (json_int_t)used);
    if (metric == METRIC_ISI) {
        double rcv;
        if ((s = lrnn_pearson(cr, cg, n, &rcv))) {
            json_decref(obj);
            goto done;
        }
        json_object_set_new(obj, "pearson_r_cv", metrics_json_num(rcv));
        json_object_set_new(obj, "cv_real", metrics_json_vec(cr, n));
        json_object_set_new(obj, "cv_generated", metrics_json_vec(cg, n));
        snprintf(setting, sizeof setting, "Pearson r of the CVs over channels");
        metrics_row("isi_cv", rcv, NAN, setting);
    }
    if (metric != METRIC_CORR) json_object_set_new(obj, "dt", json_real(o->dt));
    json_object_set_new(root, metric_gen_names[metric], obj);
done:
    free(vr), free(ir);
    return s;
}

lrnn_status metrics_generated(const metrics_opts *o, const bool *want, metrics_series *r,
                              metrics_series *g, json_t *root) {
    lrnn_status s = LRNN_OK;
    if (r->view.X != g->view.X)
        return lrnn_fail(LRNN_ERR_SHAPE, "%s has %zu channels but %s has %zu", r->view.name,
                         r->view.X, g->view.name, g->view.X);
    /* preprocessing of the EEG protocol (§8.3): Hann smoothing of the generated data, then
     * z-scoring of both */
    if (o->hann && (s = lrnn_smooth_hann(g->y, g->view.B, g->view.T, g->view.X, o->hann)))
        return lrnn_fail_context(s, "%s", g->view.name);
    if (o->zscore && ((s = lrnn_zscore_apply(r->y, r->view.B, r->view.T, r->view.X, NULL, NULL))))
        return lrnn_fail_context(s, "%s", r->view.name);
    if (o->zscore && ((s = lrnn_zscore_apply(g->y, g->view.B, g->view.T, g->view.X, NULL, NULL))))
        return lrnn_fail_context(s, "%s", g->view.name);
    char setting[200];
    if (want[METRIC_DSTSP]) {
        lrnn_dstsp_result d;
        if ((s = lrnn_dstsp_compute(&r->view, &g->view, &o->dstsp, &d))) return s;
        if (d.method == LRNN_DSTSP_GMM)
            snprintf(setting, sizeof setting, "kernel mixtures, s = %g, %zu draws, %zu/%zu rows",
                     o->dstsp.kernel_std, d.samples, d.rows_real, d.rows_gen);
        else
            snprintf(setting, sizeof setting, "histograms, %zu bins per dim, %zu/%zu rows in range",
                     o->dstsp.bins, d.rows_real, d.rows_gen);
        metrics_row("dstsp", d.value, d.std_err, setting);
        json_object_set_new(
            root, "dstsp",
            json_pack("{s:o, s:o, s:s, s:I, s:I, s:I, s:f, s:I, s:I}", "value",
                      metrics_json_num(d.value), "std_err", metrics_json_num(d.std_err), "method",
                      lrnn_dstsp_method_name(d.method), "samples", (json_int_t)d.samples,
                      "rows_real", (json_int_t)d.rows_real, "rows_gen", (json_int_t)d.rows_gen,
                      "kernel_std", o->dstsp.kernel_std, "bins", (json_int_t)o->dstsp.bins, "seed",
                      (json_int_t)o->dstsp.seed));
    }
    if (want[METRIC_DH]) {
        size_t X = r->view.X;
        double dh, *h = malloc(X * sizeof *h);
        if (!h) return lrnn_fail(LRNN_ERR_NOMEM, "metrics: out of memory");
        if ((s = lrnn_dh_compute(&r->view, &g->view, &o->dh, &dh, h))) {
            free(h);
            return s;
        }
        snprintf(setting, sizeof setting, "sigma %g, cutoff %ld, mean over %zu channels",
                 o->dh.sigma, o->dh.cutoff, X);
        metrics_row("dh", dh, NAN, setting);
        json_object_set_new(root, "dh",
                            json_pack("{s:o, s:o, s:f, s:I}", "value", metrics_json_num(dh),
                                      "per_channel", metrics_json_vec(h, X), "sigma", o->dh.sigma,
                                      "cutoff", (json_int_t)o->dh.cutoff));
        free(h);
    }
    for (int m = METRIC_RATES; m <= METRIC_CORR; m++)
        if (want[m] && (s = compare_channels(m, o, r, g, root))) return s;
    return LRNN_OK;
}

lrnn_status metrics_write_json(const char *path, json_t *root) {
    char *text = json_dumps(root, JSON_INDENT(2) | JSON_REAL_PRECISION(17));
    lrnn_status s = text ? lrnn_file_write_atomic(path, text, strlen(text))
                         : lrnn_fail(LRNN_ERR_NOMEM, "cannot encode JSON for %s", path);
    free(text);
    return s;
}

/* Trials [first, first + count) of out, as pointers into the full arrays. */
static lrnn_posterior_output slice(const lrnn_posterior_output *o, size_t first, size_t T, size_t R,
                                   size_t X, size_t S) {
    lrnn_posterior_output v = {0};
    if (o->latents_filter) v.latents_filter = o->latents_filter + first * T * R;
    if (o->rates_filter) v.rates_filter = o->rates_filter + first * T * X;
    if (o->latents_smooth) v.latents_smooth = o->latents_smooth + first * T * R;
    if (o->rates_smooth) v.rates_smooth = o->rates_smooth + first * T * X;
    if (o->samples) v.samples = o->samples + first * S * T * R;
    if (o->predicted) v.predicted = o->predicted + first * T * X;
    return v;
}

lrnn_status metrics_posterior_all(const lrnn_model *model, const lrnn_posterior_params *p,
                                  const lrnn_dataset *d, const uint8_t *mask, size_t batch,
                                  uint64_t seed, lrnn_posterior_output *out, double *bound,
                                  bool progress) {
    const lrnn_model_config *c = lrnn_model_config_of(model);
    size_t R = (size_t)c->rank, X = (size_t)c->channels, U = (size_t)c->inputs;
    if (d->X != X)
        return lrnn_fail(LRNN_ERR_SHAPE, "the data have %zu channels but the model predicts %zu",
                         d->X, X);
    if (d->U != U)
        return lrnn_fail(LRNN_ERR_SHAPE,
                         "the data come with %zu input(s) but the model takes %zu%s", d->U, U,
                         U ? " (give them with --inputs)" : "");
    if (batch == 0) batch = 1;
    size_t B = batch < d->B ? batch : d->B, S = (size_t)(p->samples > 0 ? p->samples : 0);
    lrnn_posterior *post = NULL;
    lrnn_status s = lrnn_posterior_create(model, p, B, d->T, &post);
    if (s) return s;
    const uint8_t *m = mask ? mask : d->mask;
    double sum = 0.0, steps = 0.0;
    size_t chunks = (d->B + B - 1) / B;
    for (size_t first = 0, k = 0; first < d->B; first += B, k++) {
        size_t count = d->B - first < B ? d->B - first : B;
        lrnn_batch bt = {.B = count,
                         .T = d->T,
                         .X = X,
                         .U = U,
                         .y = d->y + first * d->T * X,
                         .mask = m ? m + first * d->T * X : NULL,
                         .u = U ? d->u + first * d->T * U : NULL,
                         .lengths = d->lengths ? d->lengths + first : NULL};
        lrnn_posterior_output o = slice(out, first, d->T, R, X, S);
        double bnd;
        if ((s = lrnn_posterior_run(post, model, &bt, seed, k, &o, &bnd))) {
            s = lrnn_fail_context(s, "trials %zu..%zu", first, first + count - 1);
            break;
        }
        for (size_t b = 0; b < count; b++) {
            double n = (double)(d->lengths ? d->lengths[first + b] : d->T);
            sum += bnd * n, steps += n;
        }
        if (progress)
            lrnn_log(LRNN_LOG_INFO,
                     "posterior: batch %zu/%zu (trials %zu..%zu), bound %.4f per step", k + 1,
                     chunks, first, first + count - 1, bnd);
    }
    lrnn_posterior_free(post);
    if (!s && bound) *bound = sum / steps;
    return s;
}
