/* Task dispatcher, shared checks, the sign-of-mean accuracy and the train/validation split
 * (spec lint_method.md section 4). The per-task generators are in task_<name>.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lint/task_internal.h"
#include "lrnn/task.h"

/* ---- names ---- */

static const char *const kind_names[] = {"rdm", "romo", "cdm", "dms", "raposo"};
enum { KIND_COUNT = (int)(sizeof kind_names / sizeof kind_names[0]) };

/* The reference (notebooks, spec 7.1) calls them DM, WM, CDM / Mante / Ctx, DMS. */
static const struct {
    const char *name;
    lrnn_task_kind kind;
} kind_aliases[] = {{"dm", LRNN_TASK_RDM},
                    {"wm", LRNN_TASK_ROMO},
                    {"mante", LRNN_TASK_CDM},
                    {"ctx", LRNN_TASK_CDM}};

const char *lrnn_task_kind_name(lrnn_task_kind v) {
    return (int)v >= 0 && (int)v < KIND_COUNT ? kind_names[v] : "?";
}

lrnn_status lrnn_task_kind_parse(const char *s, lrnn_task_kind *out) {
    for (int i = 0; s && i < KIND_COUNT; i++)
        if (strcasecmp(s, kind_names[i]) == 0) {
            *out = (lrnn_task_kind)i;
            return LRNN_OK;
        }
    for (size_t i = 0; s && i < sizeof kind_aliases / sizeof kind_aliases[0]; i++)
        if (strcasecmp(s, kind_aliases[i].name) == 0) {
            *out = kind_aliases[i].kind;
            return LRNN_OK;
        }
    return lrnn_fail(LRNN_ERR_ARG, "unknown task '%s' (choose from rdm, romo, cdm, dms, raposo)",
                     s ? s : "");
}

/* ---- shared helpers (task_internal.h) ---- */

size_t lrnn_task_steps(double ms, double dt_ms) {
    if (!(ms > 0.0) || !(dt_ms > 0.0) || !isfinite(ms / dt_ms)) return 0;
    double s = floor(ms / dt_ms);
    return s >= (double)LRNN_TASK_MAX_STEPS ? LRNN_TASK_MAX_STEPS : (size_t)s;
}

lrnn_status lrnn_task_check_common(const char *task, double dt_ms, double tau_ms, double noise_std,
                                   double catch_fraction) {
    if (!isfinite(dt_ms) || dt_ms <= 0.0)
        return lrnn_fail(LRNN_ERR_ARG, "%s task: dt_ms = %g must be positive and finite", task,
                         dt_ms);
    if (!isfinite(tau_ms) || tau_ms <= 0.0)
        return lrnn_fail(LRNN_ERR_ARG, "%s task: tau_ms = %g must be positive and finite", task,
                         tau_ms);
    if (!isfinite(noise_std) || noise_std < 0.0)
        return lrnn_fail(LRNN_ERR_ARG, "%s task: noise_std = %g must be >= 0 and finite", task,
                         noise_std);
    if (!(catch_fraction >= 0.0 && catch_fraction <= 1.0))
        return lrnn_fail(LRNN_ERR_ARG, "%s task: catch_fraction = %g must be in [0, 1]", task,
                         catch_fraction);
    return LRNN_OK;
}

lrnn_status lrnn_task_check_ms(const char *task, const char *field, double ms, double dt_ms,
                               size_t min_steps) {
    if (!isfinite(ms) || ms < 0.0)
        return lrnn_fail(LRNN_ERR_ARG, "%s task: %s = %g ms must be >= 0 and finite", task, field,
                         ms);
    if (ms / dt_ms >= (double)LRNN_TASK_MAX_STEPS)
        return lrnn_fail(LRNN_ERR_ARG, "%s task: %s = %g ms is over %zu steps of dt = %g ms", task,
                         field, ms, (size_t)LRNN_TASK_MAX_STEPS, dt_ms);
    size_t steps = lrnn_task_steps(ms, dt_ms);
    if (steps < min_steps)
        return lrnn_fail(LRNN_ERR_ARG,
                         "%s task: %s = %g ms gives %zu steps of dt = %g ms (need at least %zu)",
                         task, field, ms, steps, dt_ms, min_steps);
    return LRNN_OK;
}

lrnn_status lrnn_task_check_levels(const char *task, const char *field, size_t n,
                                   const double *levels) {
    if (n == 0 || n > LRNN_TASK_MAX_LEVELS)
        return lrnn_fail(LRNN_ERR_ARG, "%s task: %zu %s (need 1 to %d)", task, n, field,
                         LRNN_TASK_MAX_LEVELS);
    for (size_t i = 0; i < n; i++)
        if (!isfinite(levels[i]) || levels[i] == 0.0)
            return lrnn_fail(LRNN_ERR_ARG,
                             "%s task: %s[%zu] = %g must be finite and nonzero (a zero level "
                             "has no correct answer)",
                             task, field, i, levels[i]);
    return LRNN_OK;
}

lrnn_status lrnn_task_check_size(const char *task, size_t n, lrnn_task_dims d) {
    size_t width = d.U > d.O ? d.U : d.O;
    if (d.T == 0 || width == 0)
        return lrnn_fail(LRNN_ERR_ARG, "%s task: empty trial (T = %zu, U = %zu, O = %zu)", task,
                         d.T, d.U, d.O);
    if (n > SIZE_MAX / sizeof(double) / d.T / width)
        return lrnn_fail(LRNN_ERR_NOMEM, "%s task: %zu trials x %zu steps x %zu is too large", task,
                         n, d.T, width);
    return LRNN_OK;
}

lrnn_status lrnn_task_check_arrays(const char *task, size_t n, lrnn_task_dims d,
                                   const double *inputs, const double *targets,
                                   const double *mask) {
    if (n == 0) return LRNN_OK;
    if (!inputs || !targets || !mask)
        return lrnn_fail(LRNN_ERR_ARG, "%s task: NULL output array for %zu trials", task, n);
    return lrnn_task_check_size(task, n, d);
}

int lrnn_task_trial_begin(lrnn_rng *rng, uint64_t seed, uint64_t trial, double catch_fraction) {
    lrnn_rng_init(rng, seed, LRNN_TASK_RNG_PURPOSE, trial, 0);
    return lrnn_rng_uniform(rng) <= catch_fraction;
}

void lrnn_task_trial_clear(lrnn_rng *rng, size_t T, size_t U, size_t O, size_t noisy,
                           double noise_std, double *x, double *targets, double *mask) {
    memset(targets, 0, T * O * sizeof *targets);
    memset(mask, 0, T * O * sizeof *mask);
    for (size_t t = 0; t < T; t++)
        for (size_t c = 0; c < U; c++)
            x[t * U + c] = c < noisy && noise_std > 0.0 ? noise_std * lrnn_rng_normal(rng) : 0.0;
}

void lrnn_task_add(double *x, size_t U, size_t c, size_t t0, size_t t1, double v) {
    for (size_t t = t0; t < t1; t++)
        x[t * U + c] += v;
}

void lrnn_task_set(double *y, size_t O, size_t t0, size_t t1, double v) {
    for (size_t t = t0; t < t1; t++)
        y[t * O] = v;
}

double lrnn_task_hilo(double v) {
    return v > 0.0 ? 1.0 : -1.0;
}

/* ---- accuracy ---- */

static double sign_of(double v) {
    return (double)((v > 0.0) - (v < 0.0));
}

lrnn_status lrnn_task_decision_accuracy(const char *what, size_t n, size_t T, size_t O,
                                        const double *outputs, const double *targets,
                                        const double *mask, size_t t_begin, double *accuracy) {
    if (!outputs || !targets || !accuracy || O == 0)
        return lrnn_fail(LRNN_ERR_ARG, "%s accuracy: NULL array or O = 0", what);
    size_t good = 0, correct = 0;
    for (size_t i = 0; i < n; i++) {
        const double *y = outputs + i * T * O, *yt = targets + i * T * O;
        const double *mk = mask ? mask + i * T * O : NULL;
        int decision_trial = 0; /* the reference's good_trials: any nonzero target */
        for (size_t t = 0; t < T && !decision_trial; t++)
            for (size_t o = 0; o < O; o++)
                if (yt[t * O + o] != 0.0) decision_trial = 1;
        if (!decision_trial) continue;
        double so = 0.0, st = 0.0;
        size_t count = 0;
        for (size_t t = mask ? 0 : t_begin; t < T; t++) {
            if (mk && mk[t * O] != 1.0) continue;
            if (!isfinite(y[t * O]))
                return lrnn_fail(LRNN_ERR_NUMERIC,
                                 "%s accuracy: output of trial %zu at step %zu is %g", what, i, t,
                                 y[t * O]);
            so += y[t * O];
            st += yt[t * O];
            count++;
        }
        if (count == 0)
            return lrnn_fail(LRNN_ERR_ARG, "%s accuracy: trial %zu has no decision steps", what, i);
        /* The sign of the mean is the sign of the sum (count > 0). */
        good++;
        if (sign_of(so) == sign_of(st)) correct++;
    }
    if (good == 0)
        return lrnn_fail(LRNN_ERR_ARG,
                         "%s accuracy: none of the %zu trials has a decision "
                         "(all catch trials or no trials)",
                         what, n);
    *accuracy = (double)correct / (double)good;
    return LRNN_OK;
}

/* ---- generic interface ---- */

lrnn_task_params lrnn_task_default_params(lrnn_task_kind kind) {
    lrnn_task_params p;
    memset(&p, 0, sizeof p);
    p.kind = kind;
    p.validation_fraction = 0.2;
    p.rdm = lrnn_rdm_default_params();
    p.romo = lrnn_romo_default_params();
    p.cdm = lrnn_cdm_default_params();
    p.dms = lrnn_dms_default_params();
    p.raposo = lrnn_raposo_default_params();
    return p;
}

lrnn_status lrnn_task_params_check(const lrnn_task_params *p) {
    if (!p) return lrnn_fail(LRNN_ERR_ARG, "task: NULL params");
    if (!(p->validation_fraction >= 0.0 && p->validation_fraction < 1.0))
        return lrnn_fail(LRNN_ERR_ARG, "task: validation_fraction = %g must be in [0, 1)",
                         p->validation_fraction);
    switch (p->kind) {
    case LRNN_TASK_RDM:
        return lrnn_rdm_params_check(&p->rdm);
    case LRNN_TASK_ROMO:
        return lrnn_romo_params_check(&p->romo);
    case LRNN_TASK_CDM:
        return lrnn_cdm_params_check(&p->cdm);
    case LRNN_TASK_DMS:
        return lrnn_dms_params_check(&p->dms);
    case LRNN_TASK_RAPOSO:
        return lrnn_raposo_params_check(&p->raposo);
    }
    return lrnn_fail(LRNN_ERR_ARG, "task: unknown kind %d", (int)p->kind);
}

lrnn_status lrnn_task_dims_get(const lrnn_task_params *p, lrnn_task_dims *dims) {
    lrnn_status s = lrnn_task_params_check(p);
    if (s) return s;
    *dims = (lrnn_task_dims){0, 0, 0};
    switch (p->kind) {
    case LRNN_TASK_RDM:
        *dims = lrnn_rdm_dims(&p->rdm);
        break;
    case LRNN_TASK_ROMO:
        *dims = lrnn_romo_dims(&p->romo);
        break;
    case LRNN_TASK_CDM:
        *dims = lrnn_cdm_dims(&p->cdm);
        break;
    case LRNN_TASK_DMS:
        *dims = lrnn_dms_dims(&p->dms);
        break;
    case LRNN_TASK_RAPOSO:
        *dims = lrnn_raposo_dims(&p->raposo);
        break;
    }
    return LRNN_OK;
}

double lrnn_task_alpha(const lrnn_task_params *p) {
    switch (p->kind) {
    case LRNN_TASK_RDM:
        return p->rdm.dt_ms / p->rdm.tau_ms;
    case LRNN_TASK_ROMO:
        return p->romo.dt_ms / p->romo.tau_ms;
    case LRNN_TASK_CDM:
        return p->cdm.dt_ms / p->cdm.tau_ms;
    case LRNN_TASK_DMS:
        return p->dms.dt_ms / p->dms.tau_ms;
    case LRNN_TASK_RAPOSO:
        return p->raposo.dt_ms / p->raposo.tau_ms;
    }
    return NAN;
}

void lrnn_task_data_free(lrnn_task_data *d) {
    if (!d) return;
    if (d->owns) {
        free(d->inputs);
        free(d->targets);
        free(d->mask);
        free(d->trials);
    }
    memset(d, 0, sizeof *d);
}

lrnn_status lrnn_task_generate(const lrnn_task_params *p, uint64_t seed, size_t first_trial,
                               size_t n, lrnn_task_data *out) {
    memset(out, 0, sizeof *out);
    lrnn_task_dims d = {0, 0, 0};
    lrnn_status s = lrnn_task_dims_get(p, &d);
    if (s) return s;
    if (n == 0)
        return lrnn_fail(LRNN_ERR_ARG, "%s task: n = 0 trials", lrnn_task_kind_name(p->kind));
    if ((s = lrnn_task_check_size(lrnn_task_kind_name(p->kind), n, d))) return s;
    out->n = n;
    out->T = d.T;
    out->U = d.U;
    out->O = d.O;
    out->first_trial = first_trial;
    out->owns = 1;
    out->inputs = malloc(n * d.T * d.U * sizeof *out->inputs);
    out->targets = malloc(n * d.T * d.O * sizeof *out->targets);
    out->mask = malloc(n * d.T * d.O * sizeof *out->mask);
    out->trials = malloc(n * sizeof *out->trials);
    if (!out->inputs || !out->targets || !out->mask || !out->trials) {
        lrnn_task_data_free(out);
        return lrnn_fail(LRNN_ERR_NOMEM, "%s task: cannot allocate %zu trials x %zu steps",
                         lrnn_task_kind_name(p->kind), n, d.T);
    }
    double *x = out->inputs, *y = out->targets, *m = out->mask;
    lrnn_task_trial *tr = out->trials;
    switch (p->kind) {
    case LRNN_TASK_RDM:
        s = lrnn_rdm_generate(&p->rdm, seed, first_trial, n, x, y, m, tr);
        break;
    case LRNN_TASK_ROMO:
        s = lrnn_romo_generate(&p->romo, seed, first_trial, n, x, y, m, tr);
        break;
    case LRNN_TASK_CDM:
        s = lrnn_cdm_generate(&p->cdm, seed, first_trial, n, x, y, m, tr);
        break;
    case LRNN_TASK_DMS:
        s = lrnn_dms_generate(&p->dms, seed, first_trial, n, x, y, m, tr);
        break;
    case LRNN_TASK_RAPOSO:
        s = lrnn_raposo_generate(&p->raposo, seed, first_trial, n, x, y, m, tr);
        break;
    }
    if (s) lrnn_task_data_free(out);
    return s;
}

size_t lrnn_task_split_index(size_t n, double validation_fraction) {
    /* The reference: split_at = n - int(n * 0.2). */
    double v = floor((double)n * validation_fraction);
    size_t nv = v <= 0.0 ? 0 : v >= (double)n ? n : (size_t)v;
    return n - nv;
}

lrnn_status lrnn_task_split(const lrnn_task_data *d, double validation_fraction,
                            lrnn_task_data *train, lrnn_task_data *val) {
    if (!(validation_fraction >= 0.0 && validation_fraction < 1.0))
        return lrnn_fail(LRNN_ERR_ARG, "task split: validation_fraction = %g must be in [0, 1)",
                         validation_fraction);
    size_t at = lrnn_task_split_index(d->n, validation_fraction);
    lrnn_task_data parts[2] = {*d, *d};
    size_t begin[2] = {0, at}, count[2] = {at, d->n - at};
    for (int k = 0; k < 2; k++) {
        lrnn_task_data *v = &parts[k];
        v->n = count[k];
        v->first_trial = d->first_trial + begin[k];
        v->inputs = d->inputs + begin[k] * d->T * d->U;
        v->targets = d->targets + begin[k] * d->T * d->O;
        v->mask = d->mask + begin[k] * d->T * d->O;
        v->trials = d->trials ? d->trials + begin[k] : NULL;
        v->owns = 0;
    }
    *train = parts[0];
    *val = parts[1];
    return LRNN_OK;
}

lrnn_status lrnn_task_accuracy(const lrnn_task_params *p, const lrnn_task_data *d,
                               const double *outputs, double *accuracy) {
    lrnn_task_dims dims = {0, 0, 0};
    lrnn_status s = lrnn_task_dims_get(p, &dims);
    if (s) return s;
    if (d->T != dims.T || d->U != dims.U || d->O != dims.O)
        return lrnn_fail(LRNN_ERR_SHAPE,
                         "%s accuracy: data of %zu steps x %zu inputs x %zu outputs, but the "
                         "task's params give %zu x %zu x %zu",
                         lrnn_task_kind_name(p->kind), d->T, d->U, d->O, dims.T, dims.U, dims.O);
    const double *y = d->targets, *m = d->mask;
    switch (p->kind) {
    case LRNN_TASK_RDM:
        return lrnn_rdm_accuracy(&p->rdm, d->n, outputs, y, m, accuracy);
    case LRNN_TASK_ROMO:
        return lrnn_romo_accuracy(&p->romo, d->n, outputs, y, m, accuracy);
    case LRNN_TASK_CDM:
        return lrnn_cdm_accuracy(&p->cdm, d->n, outputs, y, m, accuracy);
    case LRNN_TASK_DMS:
        return lrnn_dms_accuracy(&p->dms, d->n, outputs, y, m, accuracy);
    case LRNN_TASK_RAPOSO:
        return lrnn_raposo_accuracy(&p->raposo, d->n, outputs, y, m, accuracy);
    }
    return lrnn_fail(LRNN_ERR_ARG, "task: unknown kind %d", (int)p->kind);
}

lrnn_status lrnn_task_validation_noise(lrnn_task_kind kind, lrnn_task_noise *out) {
    /* Spec 7.1, "Evaluation noise for the R^2 column". */
    switch (kind) {
    case LRNN_TASK_RDM:
        *out = (lrnn_task_noise){0.05, 0.05, 0.0};
        return LRNN_OK;
    case LRNN_TASK_ROMO:
        *out = (lrnn_task_noise){0.01, 0.0, 0.05};
        return LRNN_OK;
    case LRNN_TASK_CDM:
        *out = (lrnn_task_noise){0.03, 0.03, 0.03};
        return LRNN_OK;
    case LRNN_TASK_DMS:
        *out = (lrnn_task_noise){0.05, 0.0, 0.0};
        return LRNN_OK;
    case LRNN_TASK_RAPOSO:
        break;
    }
    return lrnn_fail(LRNN_ERR_ARG, "task %s: no LINT validation experiment uses it (spec 7.1)",
                     lrnn_task_kind_name(kind));
}
