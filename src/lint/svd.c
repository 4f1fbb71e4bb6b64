/* SVD reparametrisation of a low-rank network (spec lint_method.md section 1.1) and truncated
 * SVD of a full-rank connectivity (sections 3.1 "Real data" and 3.2), with LAPACKE. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <lapacke.h>

#include "lint/internal.h"

/* Thin QR of an N x R matrix A (row-major), in place: A <- Q (N x R), Rf <- R (R x R). */
static int thin_qr(size_t N, size_t R, double *A, double *Rf, double *tau) {
    if (LAPACKE_dgeqrf(LAPACK_ROW_MAJOR, (lapack_int)N, (lapack_int)R, A, (lapack_int)R, tau))
        return -1;
    for (size_t i = 0; i < R; i++)
        for (size_t j = 0; j < R; j++)
            Rf[i * R + j] = j >= i ? A[i * R + j] : 0.0;
    return LAPACKE_dorgqr(LAPACK_ROW_MAJOR, (lapack_int)N, (lapack_int)R, (lapack_int)R, A,
                          (lapack_int)R, tau)
               ? -1
               : 0;
}

/* m n^T = Qm (Rm Rn^T) Qn^T; the R x R core C = Uc S Vc^T gives U = Qm Uc, V = Qn Vc. */
lrnn_status lrnn_lint_svd_reparam(lrnn_lint_rnn *rnn) {
    if (rnn->c.kind != LRNN_LINT_LOW_RANK)
        return lrnn_fail(LRNN_ERR_ARG, "SVD reparametrisation needs a low-rank network");
    size_t N = (size_t)rnn->c.units, R = (size_t)rnn->c.rank;
    lrnn_lint_view v = lrnn_lint_view_of(&rnn->layout, rnn->theta);
    double *buf = malloc((2 * N * R + 5 * R * R + 3 * R) * sizeof *buf);
    if (!buf) return lrnn_fail(LRNN_ERR_NOMEM, "SVD reparametrisation: out of memory (N = %zu)", N);
    double *Qm = buf, *Qn = Qm + N * R, *Rm = Qn + N * R, *Rn = Rm + R * R, *C = Rn + R * R;
    double *Uc = C + R * R, *Vt = Uc + R * R, *S = Vt + R * R, *tau = S + R;
    double *superb = tau + R;
    memcpy(Qm, v.m, N * R * sizeof *Qm);
    memcpy(Qn, v.n, N * R * sizeof *Qn);
    lrnn_status s = LRNN_OK;
    if (thin_qr(N, R, Qm, Rm, tau) || thin_qr(N, R, Qn, Rn, tau)) {
        s = lrnn_fail(LRNN_ERR_NUMERIC, "SVD reparametrisation: QR of m or n (%zu x %zu) failed", N,
                      R);
        goto done;
    }
    for (size_t i = 0; i < R; i++)
        for (size_t j = 0; j < R; j++) {
            double acc = 0.0;
            for (size_t k = 0; k < R; k++)
                acc += Rm[i * R + k] * Rn[j * R + k];
            C[i * R + j] = acc;
        }
    if (LAPACKE_dgesvd(LAPACK_ROW_MAJOR, 'A', 'A', (lapack_int)R, (lapack_int)R, C, (lapack_int)R,
                       S, Uc, (lapack_int)R, Vt, (lapack_int)R, superb)) {
        s = lrnn_fail(LRNN_ERR_NUMERIC,
                      "SVD reparametrisation: SVD of the %zu x %zu core "
                      "failed",
                      R, R);
        goto done;
    }
    for (size_t i = 0; i < N; i++)
        for (size_t r = 0; r < R; r++) {
            double am = 0.0, an = 0.0;
            for (size_t k = 0; k < R; k++) {
                am += Qm[i * R + k] * Uc[k * R + r];
                an += Qn[i * R + k] * Vt[r * R + k];
            }
            double sq = sqrt(S[r]);
            v.m[i * R + r] = am * sq;
            v.n[i * R + r] = an * sq;
        }
done:
    free(buf);
    return s;
}

lrnn_status lrnn_lint_truncate(const double *J, int Ni, int Ri, double *J_out, double *m_out,
                               double *n_out) {
    if (Ni < 1 || Ri < 1 || Ri > Ni)
        return lrnn_fail(LRNN_ERR_ARG, "truncated SVD: need 1 <= R <= N (got R = %d, N = %d)", Ri,
                         Ni);
    size_t N = (size_t)Ni, R = (size_t)Ri;
    for (size_t i = 0; i < N * N; i++)
        if (!isfinite(J[i]))
            return lrnn_fail(LRNN_ERR_NUMERIC, "truncated SVD: J[%zu, %zu] is %g", i / N, i % N,
                             J[i]);
    double *A = malloc((3 * N * N + N) * sizeof *A);
    if (!A) return lrnn_fail(LRNN_ERR_NOMEM, "truncated SVD: out of memory (N = %zu)", N);
    double *U = A + N * N, *Vt = U + N * N, *S = Vt + N * N;
    memcpy(A, J, N * N * sizeof *A);
    if (LAPACKE_dgesdd(LAPACK_ROW_MAJOR, 'S', (lapack_int)N, (lapack_int)N, A, (lapack_int)N, S, U,
                       (lapack_int)N, Vt, (lapack_int)N)) {
        free(A);
        return lrnn_fail(LRNN_ERR_NUMERIC,
                         "truncated SVD of the %zu x %zu matrix did not "
                         "converge",
                         N, N);
    }
    double sqN = sqrt((double)N);
    for (size_t i = 0; i < N; i++)
        for (size_t r = 0; r < R; r++) {
            if (m_out) m_out[i * R + r] = U[i * N + r] * S[r] * sqN;
            if (n_out) n_out[i * R + r] = Vt[r * N + i] * sqN;
        }
    if (J_out)
        for (size_t i = 0; i < N; i++)
            for (size_t j = 0; j < N; j++) {
                double acc = 0.0;
                for (size_t r = 0; r < R; r++)
                    acc += U[i * N + r] * S[r] * Vt[r * N + j];
                J_out[i * N + j] = acc;
            }
    free(A);
    return LRNN_OK;
}

lrnn_status lrnn_lint_low_rank_from_full(const lrnn_lint_rnn *full, int R, lrnn_lint_rnn **out) {
    *out = NULL;
    if (full->c.kind != LRNN_LINT_FULL_RANK)
        return lrnn_fail(LRNN_ERR_ARG, "low-rank from full: the network is not full rank");
    lrnn_lint_config c = full->c;
    c.kind = LRNN_LINT_LOW_RANK;
    c.rank = R;
    c.rec_div_n = true;
    lrnn_lint_rnn *lr = NULL;
    lrnn_status s = lrnn_lint_create(&c, &lr);
    if (s) return s;
    lrnn_lint_view vf = lrnn_lint_view_of(&full->layout, full->theta);
    lrnn_lint_view vl = lrnn_lint_view_of(&lr->layout, lr->theta);
    size_t N = (size_t)c.units, U = (size_t)c.inputs;
    size_t O = c.identity_readout ? N : (size_t)c.outputs;
    s = lrnn_lint_truncate(vf.wrec, c.units, R, NULL, vl.m, vl.n);
    if (s) {
        lrnn_lint_free(lr);
        return s;
    }
    memcpy(vl.wi, vf.wi, U * N * sizeof(double));
    memcpy(vl.si, vf.si, U * sizeof(double));
    memcpy(vl.b, vf.b, N * sizeof(double));
    memcpy(vl.h0, vf.h0, N * sizeof(double));
    if (vl.wo) {
        memcpy(vl.wo, vf.wo, N * O * sizeof(double));
        memcpy(vl.so, vf.so, O * sizeof(double));
    }
    /* trainable flags of the shared entries follow the full-rank network's */
    for (int e = 0; e < lr->layout.count; e++) {
        const lrnn_param_entry *fe =
            lrnn_param_layout_find(&full->layout, lr->layout.entry[e].name);
        if (fe) lr->layout.entry[e].trainable = fe->trainable;
    }
    *out = lr;
    return LRNN_OK;
}
