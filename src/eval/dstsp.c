/* D_stsp: KL divergence between the state-space distributions of real and generated data.
 *
 * Kernel mixtures (spec §8.1): p_Y(z) = (1/n_Y) sum_t N(z; Y_t, s^2 I) (likewise p_G), and
 *     D_stsp = E_{z ~ p_Y}[log p_Y(z) - log p_G(z)]
 * estimated from draws z_j = Y_{t_j} + s eps_j, t_j ~ U{0..n_Y-1}, eps_j ~ N(0, I). Both log
 * densities are log-sum-exps over the mixture components, so no draw underflows; the
 * reference evaluated exp() in float32 and dropped draws where a density was 0 ([quirk] §12.11),
 * which biases the estimate. The common factor (2 pi s^2)^{-d/2} cancels and is left out.
 * Squared distances come from one dgemm per block of draws: ||z - Y_t||^2 = ||z||^2 +
 * ||Y_t||^2 - 2 z.Y_t.
 *
 * Histograms (the DurstewitzLab binning variant for low-dimensional data): each dimension's
 * range [min, max] over the real rows is cut into `bins` equal cells; cell counts get the
 * Laplace term alpha, p = (n_c + alpha) / (N + alpha M) over M = bins^d cells, and
 * D = sum_c p_real log(p_real / p_gen). The reference dropped the first cell along every axis
 * (coordinate > 0 instead of >= 0) and the real maximum ([quirk]); here the cells are
 * [min, max] closed at the top, and only generated points outside it are dropped. Empty cells
 * all contribute the same term, so the sum runs over occupied cells only (no dense bins^d
 * array). */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cblas.h>

#include "internal.h"
#include "lrnn/rng.h"

/* Draw j of the seed uses stream (seed, SAMPLE, EVAL_STREAM, j): its own counter range, so the
 * estimate does not depend on the block size; the trial tag keeps it apart from model
 * sampling streams (which use trial indices). */
#define EVAL_STREAM 0x4453545350000000ull /* "DSTSP" */

enum { DRAW_BLOCK = 64 };

lrnn_dstsp_params lrnn_dstsp_default_params(void) {
    return (lrnn_dstsp_params){.method = LRNN_DSTSP_AUTO,
                               .kernel_std = 1.0,
                               .samples = 1000,
                               .max_points = 10000,
                               .seed = 1,
                               .time_limit = 0.0,
                               .bins = 30,
                               .alpha = 1e-5};
}

lrnn_status lrnn_dstsp_method_parse(const char *text, lrnn_dstsp_method *out) {
    static const char *names[] = {"auto", "gmm", "bins"};
    for (int i = 0; i < 3; i++)
        if (text && !strcmp(text, names[i])) {
            *out = (lrnn_dstsp_method)i;
            return LRNN_OK;
        }
    return lrnn_fail(LRNN_ERR_ARG, "unknown D_stsp method '%s' (auto, gmm, bins)",
                     text ? text : "(null)");
}

const char *lrnn_dstsp_method_name(lrnn_dstsp_method m) {
    return m == LRNN_DSTSP_GMM ? "gmm" : m == LRNN_DSTSP_BINS ? "bins" : "auto";
}

lrnn_status lrnn_dstsp_params_check(const lrnn_dstsp_params *p) {
    if (!p) return lrnn_fail(LRNN_ERR_ARG, "D_stsp: no parameters");
    if (p->method != LRNN_DSTSP_AUTO && p->method != LRNN_DSTSP_GMM && p->method != LRNN_DSTSP_BINS)
        return lrnn_fail(LRNN_ERR_ARG, "D_stsp: unknown method %d", (int)p->method);
    if (!(p->kernel_std > 0.0) || !isfinite(p->kernel_std))
        return lrnn_fail(LRNN_ERR_ARG, "D_stsp: kernel std must be > 0 (got %g)", p->kernel_std);
    if (p->samples == 0 || p->samples > (size_t)1 << 32)
        return lrnn_fail(LRNN_ERR_ARG, "D_stsp: samples must be in 1..2^32 (got %zu)", p->samples);
    if (p->max_points == 0) return lrnn_fail(LRNN_ERR_ARG, "D_stsp: max_points must be >= 1");
    if (!(p->time_limit >= 0.0))
        return lrnn_fail(LRNN_ERR_ARG, "D_stsp: time limit must be >= 0 (got %g)", p->time_limit);
    if (p->bins < 1 || p->bins > 1000000)
        return lrnn_fail(LRNN_ERR_ARG, "D_stsp: bins must be in 1..1e6 (got %zu)", p->bins);
    if (!(p->alpha > 0.0) || !isfinite(p->alpha))
        return lrnn_fail(LRNN_ERR_ARG, "D_stsp: Laplace alpha must be > 0 (got %g)", p->alpha);
    return LRNN_OK;
}

/* Copy the first `cap` complete rows (no NaN) of d into out (n x X); returns n. */
static size_t complete_rows(const lrnn_eval_data *d, size_t cap, double *out) {
    size_t n = 0, rows = d->B * d->T, X = d->X;
    for (size_t r = 0; r < rows && n < cap; r++) {
        const double *row = d->y + r * X;
        size_t x = 0;
        while (x < X && !isnan(row[x]))
            x++;
        if (x < X) continue;
        memcpy(out + n * X, row, X * sizeof *out);
        n++;
    }
    return n;
}

static double seconds_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* log p(z_j) + log n for the kb draws Z (kb x d) under the mixture of the n rows P (n x d,
 * squared norms pn); dots: kb x n workspace. */
static void mixture_logpdf(const double *Z, const double *zn, size_t kb, const double *P,
                           const double *pn, size_t n, size_t d, double s2, double *dots,
                           double *out) {
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)kb, (int)n, (int)d, 1.0, Z, (int)d, P,
                (int)d, 0.0, dots, (int)n);
    for (size_t j = 0; j < kb; j++) {
        double *e = dots + j * n, top = -INFINITY;
        for (size_t t = 0; t < n; t++) {
            double dist = zn[j] + pn[t] - 2.0 * e[t];
            e[t] = -(dist > 0.0 ? dist : 0.0) / (2.0 * s2);
            if (e[t] > top) top = e[t];
        }
        double sum = 0.0;
        for (size_t t = 0; t < n; t++)
            sum += exp(e[t] - top);
        out[j] = top + log(sum);
    }
}

static lrnn_status dstsp_gmm(const lrnn_eval_data *real, const lrnn_eval_data *gen,
                             const lrnn_dstsp_params *p, lrnn_dstsp_result *out) {
    size_t d = real->X, capY = real->B * real->T, capG = gen->B * gen->T;
    if (capY > p->max_points) capY = p->max_points;
    if (capG > p->max_points) capG = p->max_points;
    size_t rowsmax = capY > capG ? capY : capG;
    if (rowsmax > (size_t)INT_MAX / DRAW_BLOCK || d > (size_t)INT_MAX / DRAW_BLOCK)
        return lrnn_fail(LRNN_ERR_ARG,
                         "D_stsp: %zu rows x %zu channels is too large for BLAS (int sizes)",
                         rowsmax, d);
    double *Y = malloc((capY + capG) * (d + 1) * sizeof *Y);
    double *work = malloc(((size_t)DRAW_BLOCK * (d + 3 + rowsmax)) * sizeof *work);
    lrnn_status s = LRNN_OK;
    if (!Y || !work) {
        s = lrnn_fail(LRNN_ERR_NOMEM, "D_stsp: out of memory (%zu + %zu rows x %zu)", capY, capG,
                      d);
        goto done;
    }
    double *G = Y + capY * d, *yn = G + capG * d, *gn = yn + capY;
    double *Z = work, *zn = Z + DRAW_BLOCK * d, *lp = zn + DRAW_BLOCK, *lq = lp + DRAW_BLOCK,
           *dots = lq + DRAW_BLOCK;
    size_t nY = complete_rows(real, capY, Y), nG = complete_rows(gen, capG, G);
    if (nY == 0 || nG == 0) {
        s = lrnn_fail(LRNN_ERR_NUMERIC, "D_stsp: %s has no complete row (every row has a NaN)",
                      nY == 0 ? eval_name(real) : eval_name(gen));
        goto done;
    }
    for (size_t t = 0; t < nY; t++)
        yn[t] = cblas_ddot((int)d, Y + t * d, 1, Y + t * d, 1);
    for (size_t t = 0; t < nG; t++)
        gn[t] = cblas_ddot((int)d, G + t * d, 1, G + t * d, 1);
    double sd = p->kernel_std, s2 = sd * sd, start = seconds_now();
    double offset = log((double)nG) - log((double)nY); /* the 1/n of each mixture */
    double mean = 0.0, m2 = 0.0;                       /* Welford */
    size_t done = 0;
    while (done < p->samples) {
        size_t kb = p->samples - done < DRAW_BLOCK ? p->samples - done : DRAW_BLOCK;
        for (size_t j = 0; j < kb; j++) {
            lrnn_rng rng;
            lrnn_rng_init(&rng, p->seed, LRNN_RNG_SAMPLE, EVAL_STREAM, done + j);
            const double *center = Y + lrnn_rng_below(&rng, nY) * d;
            double *z = Z + j * d;
            for (size_t k = 0; k < d; k++)
                z[k] = center[k] + sd * lrnn_rng_normal(&rng);
            zn[j] = cblas_ddot((int)d, z, 1, z, 1);
        }
        mixture_logpdf(Z, zn, kb, Y, yn, nY, d, s2, dots, lp);
        mixture_logpdf(Z, zn, kb, G, gn, nG, d, s2, dots, lq);
        for (size_t j = 0; j < kb; j++) {
            double f = lp[j] - lq[j] + offset, delta = f - mean;
            mean += delta / (double)(done + j + 1);
            m2 += delta * (f - mean);
        }
        done += kb;
        if (p->time_limit > 0.0 && seconds_now() - start > p->time_limit) break;
    }
    if (!isfinite(mean)) {
        s = lrnn_fail(LRNN_ERR_NUMERIC, "D_stsp: estimate is not finite (data scale absurd?)");
        goto done;
    }
    out->value = mean;
    out->std_err = done > 1 ? sqrt(m2 / (double)(done - 1) / (double)done) : NAN;
    out->samples = done;
    out->rows_real = nY, out->rows_gen = nG;
done:
    free(Y), free(work);
    return s;
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Sorted cell indices of the complete rows of d inside [lo, hi] per dimension; returns n. */
static size_t cells_of(const lrnn_eval_data *d, const double *lo, const double *hi, size_t bins,
                       uint64_t *cells) {
    size_t n = 0, X = d->X, rows = d->B * d->T;
    for (size_t r = 0; r < rows; r++) {
        const double *row = d->y + r * X;
        uint64_t cell = 0, scale = 1;
        size_t x = 0;
        for (; x < X; x++) {
            double v = row[x];
            if (!(v >= lo[x] && v <= hi[x])) break; /* NaN or outside the real range */
            size_t c = (size_t)floor((double)bins * (v - lo[x]) / (hi[x] - lo[x]));
            if (c >= bins) c = bins - 1; /* the maximum belongs to the last cell */
            cell += (uint64_t)c * scale;
            scale *= bins;
        }
        if (x == X) cells[n++] = cell;
    }
    qsort(cells, n, sizeof *cells, cmp_u64);
    return n;
}

static lrnn_status dstsp_bins(const lrnn_eval_data *real, const lrnn_eval_data *gen,
                              const lrnn_dstsp_params *p, lrnn_dstsp_result *out) {
    size_t X = real->X, nR = real->B * real->T, nG = gen->B * gen->T;
    double cellsd = pow((double)p->bins, (double)X);
    if (cellsd > 4e18)
        return lrnn_fail(LRNN_ERR_ARG,
                         "D_stsp: %zu bins in %zu dimensions is too many cells; use the "
                         "kernel-mixture method",
                         p->bins, X);
    uint64_t *cr = malloc((nR + nG) * sizeof *cr), *cg = cr + nR;
    double *lo = malloc(2 * X * sizeof *lo), *hi = lo + X;
    lrnn_status s = LRNN_OK;
    if (!cr || !lo) {
        s = lrnn_fail(LRNN_ERR_NOMEM, "D_stsp: out of memory (%zu + %zu rows)", nR, nG);
        goto done;
    }
    for (size_t x = 0; x < X; x++)
        lo[x] = INFINITY, hi[x] = -INFINITY;
    for (size_t r = 0; r < nR; r++) {
        const double *row = real->y + r * X;
        size_t x = 0;
        while (x < X && !isnan(row[x]))
            x++;
        if (x < X) continue;
        for (x = 0; x < X; x++) {
            if (row[x] < lo[x]) lo[x] = row[x];
            if (row[x] > hi[x]) hi[x] = row[x];
        }
    }
    for (size_t x = 0; x < X; x++)
        if (!(hi[x] > lo[x])) {
            s = isfinite(lo[x]) ? lrnn_fail(LRNN_ERR_NUMERIC,
                                            "D_stsp: channel %zu of %s is constant (%g); no bins",
                                            x, eval_name(real), lo[x])
                                : lrnn_fail(LRNN_ERR_NUMERIC,
                                            "D_stsp: %s has no complete row (every row has a NaN)",
                                            eval_name(real));
            goto done;
        }
    size_t n1 = cells_of(real, lo, hi, p->bins, cr), n2 = cells_of(gen, lo, hi, p->bins, cg);
    double a = p->alpha, M = cellsd, z1 = (double)n1 + a * M, z2 = (double)n2 + a * M;
    double kl = 0.0, occupied = 0.0;
    for (size_t i = 0, j = 0; i < n1 || j < n2;) {
        uint64_t c = i < n1 && (j >= n2 || cr[i] <= cg[j]) ? cr[i] : cg[j];
        size_t k1 = 0, k2 = 0;
        while (i < n1 && cr[i] == c)
            i++, k1++;
        while (j < n2 && cg[j] == c)
            j++, k2++;
        double p1 = ((double)k1 + a) / z1, p2 = ((double)k2 + a) / z2;
        kl += p1 * log(p1 / p2);
        occupied += 1.0;
    }
    /* every cell empty in both has p1 = a / z1, p2 = a / z2 */
    kl += (M - occupied) * (a / z1) * log(z2 / z1);
    out->value = kl;
    out->std_err = NAN;
    out->samples = 0;
    out->rows_real = n1, out->rows_gen = n2;
done:
    free(cr), free(lo);
    return s;
}

lrnn_status lrnn_dstsp_compute(const lrnn_eval_data *real, const lrnn_eval_data *gen,
                               const lrnn_dstsp_params *p, lrnn_dstsp_result *out) {
    lrnn_status s = lrnn_dstsp_params_check(p);
    if (s) return s;
    if ((s = eval_check_data(real, "D_stsp")) || (s = eval_check_data(gen, "D_stsp"))) return s;
    if (!out) return lrnn_fail(LRNN_ERR_ARG, "D_stsp: no output");
    if (real->X != gen->X)
        return lrnn_fail(LRNN_ERR_SHAPE, "D_stsp: %s has %zu channels but %s has %zu",
                         eval_name(real), real->X, eval_name(gen), gen->X);
    const lrnn_eval_data *both[2] = {real, gen};
    for (int k = 0; k < 2; k++) {
        const lrnn_eval_data *d = both[k];
        size_t n = d->B * d->T * d->X;
        for (size_t i = 0; i < n; i++)
            if (isinf(d->y[i]))
                return lrnn_fail(LRNN_ERR_NUMERIC, "D_stsp: %s has Inf at flat index %zu",
                                 eval_name(d), i);
    }
    lrnn_dstsp_method m = p->method;
    if (m == LRNN_DSTSP_AUTO)
        m = real->X < LRNN_DSTSP_BINS_MAX_DIMS ? LRNN_DSTSP_BINS : LRNN_DSTSP_GMM;
    memset(out, 0, sizeof *out);
    out->method = m;
    return m == LRNN_DSTSP_BINS ? dstsp_bins(real, gen, p, out) : dstsp_gmm(real, gen, p, out);
}
