/* lrnn posterior: posterior latents and rates of a recording under a model (filter, K^2
 * particle smoother, sampled paths; lrnn/posterior.h, docs/posterior.md). Everything is
 * computed before the first file is written, and each file is written atomically. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "commands.h"
#include "lrnn/io.h"
#include "lrnn/model_file.h"
#include "metrics_cli.h"
#include "run_dir.h"

typedef struct posterior_args {
    data_args data;
    const char *model, *out;
    lrnn_posterior_params p;
    size_t batch;
    uint64_t seed;
} posterior_args;

static lrnn_status ensure_dir(const char *dir) {
    struct stat st;
    if (stat(dir, &st) == 0) {
        if (!S_ISDIR(st.st_mode))
            return lrnn_fail(LRNN_ERR_IO, "%s: exists and is not a directory", dir);
        return LRNN_OK;
    }
    if (mkdir(dir, 0777) != 0) return lrnn_fail(LRNN_ERR_IO, "%s: %s", dir, strerror(errno));
    return LRNN_OK;
}

static lrnn_status save(const char *dir, const char *name, double *data, int ndim,
                        const size_t *shape) {
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path)
        return lrnn_fail(LRNN_ERR_ARG, "output path %s/%s is too long", dir, name);
    lrnn_array a = {.dtype = LRNN_DTYPE_F64, .ndim = ndim, .data = data};
    for (int i = 0; i < ndim; i++)
        a.shape[i] = shape[i];
    lrnn_status s = lrnn_array_save(path, &a);
    if (!s) {
        printf("  %-20s (", name);
        for (int i = 0; i < ndim; i++)
            printf(i ? ", %zu" : "%zu", shape[i]);
        printf(")\n");
    }
    return s;
}

static int run(posterior_args *a) {
    lrnn_model *model = NULL;
    lrnn_dataset d = {0};
    double *buf[5] = {NULL};
    int rc = 1;
    lrnn_status s;
    if ((s = lrnn_model_load(a->model, &model, NULL)) || (s = cli_load_data(&a->data, &d)))
        goto done;
    const lrnn_model_config *c = lrnn_model_config_of(model);
    size_t B = d.B, T = d.T, R = (size_t)c->rank, X = (size_t)c->channels;
    size_t S = (size_t)a->p.samples;
    size_t sizes[5] = {B * T * R, B * T * X, a->p.smooth ? B * T * R : 0,
                       a->p.smooth ? B * T * X : 0, B * S * T * R};
    for (int i = 0; i < 5; i++)
        if (sizes[i] && !(buf[i] = malloc(sizes[i] * sizeof(double)))) {
            s = lrnn_fail(LRNN_ERR_NOMEM,
                          "posterior: cannot allocate outputs of %zu trials x %zu "
                          "steps",
                          B, T);
            goto done;
        }
    lrnn_posterior_output out = {.latents_filter = buf[0],
                                 .rates_filter = buf[1],
                                 .latents_smooth = buf[2],
                                 .rates_smooth = buf[3],
                                 .samples = buf[4]};
    printf("posterior of %s under %s: %zu trials x %zu steps, K = %d (%s proposal)%s\n",
           a->data.data, a->model, B, T, a->p.smc.particles, lrnn_proposal_name(a->p.smc.proposal),
           a->p.smooth ? ", K^2 smoother" : "");
    double bound;
    if ((s = metrics_posterior_all(model, &a->p, &d, NULL, a->batch, a->seed, &out, &bound, true)))
        goto done;
    printf("  filter bound %.6f per step\n", bound);
    if ((s = ensure_dir(a->out))) goto done;
    size_t sr[3] = {B, T, R}, sx[3] = {B, T, X}, ss[4] = {B, S, T, R};
    if ((s = save(a->out, "latents_filter.npy", buf[0], 3, sr)) ||
        (s = save(a->out, "rates_filter.npy", buf[1], 3, sx)))
        goto done;
    if (a->p.smooth && ((s = save(a->out, "latents_smooth.npy", buf[2], 3, sr)) ||
                        (s = save(a->out, "rates_smooth.npy", buf[3], 3, sx))))
        goto done;
    if (S && (s = save(a->out, a->p.smooth ? "samples_smooth.npy" : "samples_filter.npy", buf[4], 4,
                       ss)))
        goto done;
    rc = 0;
done:
    if (rc) cli_report("posterior");
    for (int i = 0; i < 5; i++)
        free(buf[i]);
    lrnn_dataset_free(&d);
    lrnn_model_free(model);
    return rc;
}

int cmd_posterior(int argc, char **argv) {
    posterior_args a = {.p = lrnn_posterior_default_params(), .batch = 16, .seed = 1};
    a.data.layout = LRNN_LAYOUT_AUTO;
    cli_option options[24];
    int n = cli_data_options(&a.data, options);
    n += cli_smc_options(&a.p.smc, options + n);
    /* clang-format off */
    const cli_option table[] = {
        {"model", CLI_STRING, &a.model, "FILE", "model file (.h5)", true, NULL, false},
        {"out", CLI_STRING, &a.out, "DIR", "output directory (created if missing)", true, NULL, false},
        {"smooth", CLI_BOOL, &a.p.smooth, NULL, "also run the K^2 particle smoother (FFBS)", false, NULL, false},
        {"samples", CLI_INT, &a.p.samples, "S", "sampled latent paths per trial (backward trajectories with --smooth, else ancestral paths)", false, NULL, false},
        {"batch", CLI_SIZE, &a.batch, "B", "trials per filter batch", false, NULL, false},
        {"seed", CLI_U64, &a.seed, "S", "random seed", false, NULL, false},
        {"threads", CLI_INT, &a.p.threads, "N", "threads (0: all)", false, NULL, false},
    };
    /* clang-format on */
    memcpy(options + n, table, sizeof table);
    n += (int)(sizeof table / sizeof table[0]);
    cli_command cmd = {"posterior", "--model M --data FILE --out DIR [--smooth] [--samples S]",
                       "Posterior latents of a recording: filtering means of the latents and of\n"
                       "the observation means (rates), with --smooth the forward filtering-\n"
                       "backward smoothing means over all particle pairs, with --samples S\n"
                       "sampled latent paths. Writes DIR/latents_filter.npy (B x T x R),\n"
                       "rates_filter.npy (B x T x X), latents_smooth.npy, rates_smooth.npy,\n"
                       "samples_{filter,smooth}.npy (B x S x T x R). See docs/posterior.md.",
                       options, n};
    int rc = cli_parse(&cmd, argc, argv, NULL, 0, NULL);
    if (rc) return rc == 1 ? 0 : rc;
    if (a.batch == 0 || a.p.samples < 0) {
        fprintf(stderr, "lrnn posterior: --batch must be positive and --samples >= 0\n");
        return 2;
    }
    return run(&a);
}
