/* Streaming updates: one return row at a time, O(N^2), no history.
 *
 * With n rows seen, mean m and deviations d_t = x_t - m, the state is
 * M2 = sum d d', A4 = sum |d|^4 and V = sum |d|^2 d (the last two give the
 * Ledoit-Wolf b~ term).  A new row x moves the mean by delta = (x - m)/(n+1);
 * every old deviation becomes d_t - delta, and expanding the sums gives
 * (with c = |delta|^2, sums over the old rows having sum d_t = 0):
 *   A4' = A4 + 4 delta'M2 delta + n c^2 - 4 delta'V + 2 c tr(M2) + (n^2 c)^2
 *   V'  = V - (tr(M2) + n c - n^3 c) delta - 2 M2 delta
 *   M2' = M2 + n/(n+1) (x - m)(x - m)'
 * where the last terms of A4' and V' are the new row's own deviation n delta.
 * These are exact rearrangements, like Welford's update for M2, and avoid
 * the cancellation of raw power sums. */
#include <math.h>
#include <string.h>

#include "cov_internal.h"
#include "cov_kern.h"
#include "num/linalg.h"

qpm_status qpm_cov_reset(qpm_cov *c)
{
    QPM__CHECK_NULL(c, "c");
    size_t n = c->n;
    memset(c->mean, 0, n * sizeof(double));
    memset(c->v3, 0, n * sizeof(double));
    memset(c->mom, 0, n * n * sizeof(double));
    memset(c->ew, 0, n * n * sizeof(double));
    c->a4 = 0.0;
    c->nobs = 0;
    c->have_mom = c->have_ew = 1;
    c->est_ok = 0;
    c->shrink = 0.0;
    return QPM_OK;
}

/* Seeds the EWMA state from the co-moments once the stream holds exactly the
 * seed rows; called after the co-moments include them. */
void qpm__cov_seed_ewma(qpm_cov *c)
{
    size_t n = c->n;
    double f = 1.0 / (double)(c->nobs - 1);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j <= i; j++)
            c->ew[i * n + j] = c->mom[i * n + j] * f;
}

/* QPM_E_OVERFLOW when pushing row (deviations e from the mean) would take
 * the diagonal of the co-moments or of the EWMA state beyond the double
 * range.  The fourth-moment sum may overflow on its own: only the shrinkage
 * estimators read it, and they report it. */
static qpm_status check_update(const qpm_cov *c, const double *row, const double *e)
{
    size_t n = c->n;
    double nd = (double)c->nobs, f = nd / (nd + 1.0), l = c->lambda, w = 1.0 - l;
    int ew = c->have_ew && c->nobs + 1 > c->init_rows;
    for (size_t j = 0; j < n; j++) {
        int bad = !isfinite(e[j]) ||
                  (c->have_mom && !isfinite(c->mom[j * n + j] + f * e[j] * e[j])) ||
                  (ew && !isfinite(w * row[j] * row[j] + l * c->ew[j * n + j]));
        if (bad)
            return qpm__fail(QPM_E_OVERFLOW,
                             "row[%zu] = %g: the co-moments would be beyond the range of double "
                             "(returns too large)",
                             j, row[j]);
    }
    return QPM_OK;
}

qpm_status qpm_cov_push(qpm_cov *c, const double *row)
{
    QPM__CHECK_NULL(c, "c");
    QPM__CHECK_NULL(row, "row");
    size_t n = c->n;
    size_t nan_at = n;
    for (size_t j = 0; j < n; j++) {
        if (isnan(row[j])) {
            if (nan_at == n)
                nan_at = j;
        } else if (!isfinite(row[j])) {
            return qpm__fail(QPM_E_NONFINITE, "row[%zu] = %g: must be finite (or NaN if missing)",
                             j, row[j]);
        }
    }
    if (nan_at < n) {
        if (c->nan_policy == QPM_COV_NAN_ERROR)
            return qpm__fail(QPM_E_NONFINITE,
                             "row[%zu] = nan: missing values are refused under QPM_COV_NAN_ERROR",
                             nan_at);
        if (c->nan_policy == QPM_COV_NAN_PAIRWISE)
            return qpm__fail(QPM_E_UNSUPPORTED,
                             "row[%zu] = nan: QPM_COV_NAN_PAIRWISE is available in qpm_cov_fit "
                             "only",
                             nan_at);
    }
    if (!c->have_mom && !c->have_ew)
        return qpm__fail(QPM_E_STATE, "the last fit kept no stream state (%s): call "
                                      "qpm_cov_reset or fit again",
                         c->nan_policy == QPM_COV_NAN_PAIRWISE ? "pairwise" : "batch-only method");
    if (nan_at < n)
        return QPM_OK; /* QPM_COV_NAN_DROP_ROWS */

    double nd = (double)c->nobs, n1 = nd + 1.0;
    double *e = c->tmp, *u = c->tmp2;
    for (size_t j = 0; j < n; j++)
        e[j] = row[j] - c->mean[j];
    /* The update must keep the state finite; it is checked before anything
     * changes (off-diagonal entries are bounded by the diagonal ones). */
    qpm_status st = check_update(c, row, e);
    if (st != QPM_OK)
        return st;
    if (c->have_mom) {
        double *m2 = c->mom, *v3 = c->v3;
        double inv = 1.0 / n1, cc = 0.0, tr = 0.0;
        for (size_t j = 0; j < n; j++) {
            double dj = e[j] * inv;
            cc += dj * dj;
            tr += m2[j * n + j];
        }
        /* u = M2 delta */
        qpm__dsymv(QPM__ROW_MAJOR, QPM__LOWER, (int)n, inv, m2, (int)n, e, 1, 0.0, u, 1);
        double dmd = 0.0, dv = 0.0;
        for (size_t j = 0; j < n; j++) {
            dmd += e[j] * inv * u[j];
            dv += e[j] * inv * v3[j];
        }
        double n2c = nd * nd * cc;
        c->a4 += 4.0 * dmd + nd * cc * cc - 4.0 * dv + 2.0 * cc * tr + n2c * n2c;
        double coef = tr + nd * cc - nd * n2c;
        for (size_t j = 0; j < n; j++)
            v3[j] -= coef * (e[j] * inv) + 2.0 * u[j];
        double f = nd / n1;
        for (size_t i = 0; i < n; i++)
            qpm__cov_k_axpy(i + 1, f * e[i], e, m2 + i * n);
    }
    for (size_t j = 0; j < n; j++)
        c->mean[j] += e[j] / n1;
    c->nobs++;
    if (c->have_ew) {
        if (c->nobs > c->init_rows) {
            double l = c->lambda, w = 1.0 - l;
            for (size_t i = 0; i < n; i++)
                qpm__cov_k_axpby(i + 1, w * row[i], row, l, c->ew + i * n);
        } else if (c->nobs == c->init_rows) {
            if (c->have_mom)
                qpm__cov_seed_ewma(c);
            else
                c->have_ew = 0;
        } else if (!c->have_mom) {
            c->have_ew = 0;
        }
    }
    c->est_ok = 0;
    return QPM_OK;
}
