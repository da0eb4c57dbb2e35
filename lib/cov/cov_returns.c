/* Returns from prices, and fitting on prices. */
#include <float.h>
#include <math.h>

#include "cov_internal.h"

static qpm_status check_prices(size_t t, size_t n, const double *p, size_t ldp, int nan_ok,
                               int kind)
{
    for (size_t r = 0; r < t; r++)
        for (size_t j = 0; j < n; j++) {
            double v = p[r * ldp + j];
            if (isnan(v)) {
                if (!nan_ok)
                    return qpm__fail(QPM_E_NONFINITE,
                                     "prices[%zu][%zu] = nan: missing values are refused under "
                                     "QPM_COV_NAN_ERROR",
                                     r, j);
            } else if (!isfinite(v)) {
                return qpm__fail(QPM_E_NONFINITE, "prices[%zu][%zu] = %g: must be finite", r, j,
                                 v);
            } else if (!(v > 0.0)) {
                return qpm__fail(QPM_E_INVALID, "prices[%zu][%zu] = %.17g: must be > 0", r, j, v);
            } else if (kind == QPM_COV_SIMPLE_RETURNS && r > 0 && !isnan(p[(r - 1) * ldp + j])) {
                /* a log return is always finite; a simple one is not when a
                 * price rises by more than DBL_MAX times */
                double a = p[(r - 1) * ldp + j];
                if (!isfinite((v - a) / a))
                    return qpm__fail(QPM_E_OVERFLOW,
                                     "prices[%zu][%zu] = %.17g after prices[%zu][%zu] = %.17g: "
                                     "the simple return is beyond the range of double",
                                     r, j, v, r - 1, j, a);
            }
        }
    return QPM_OK;
}

/* Rows in ascending order, so out may alias prices (row r is read before it
 * is overwritten and never read again). */
static void compute_returns(size_t t, size_t n, const double *p, size_t ldp, int kind, double *out,
                            size_t ldo)
{
    for (size_t r = 0; r + 1 < t; r++) {
        const double *p0 = p + r * ldp, *p1 = p0 + ldp;
        double *o = out + r * ldo;
        for (size_t j = 0; j < n; j++) {
            double a = p0[j], b = p1[j];
            if (kind == QPM_COV_SIMPLE_RETURNS) {
                o[j] = (b - a) / a;
            } else {
                /* b - a is exact for b/a in [1/2, 2] (Sterbenz), so log1p
                 * keeps full relative accuracy for small moves.  Beyond the
                 * normal range the ratio has overflowed or lost digits, and
                 * the difference of the logs (no cancellation there) is
                 * right over the whole positive range. */
                double q = b / a;
                o[j] = (q >= 0.5 && q <= 2.0)           ? log1p((b - a) / a)
                       : (q >= DBL_MIN && q <= DBL_MAX) ? log(q)
                                                        : log(b) - log(a);
            }
        }
    }
}

qpm_status qpm_cov_returns_from_prices(size_t t, size_t n, const double *prices, size_t ldp,
                                       qpm_cov_returns_kind kind, double *out, size_t ldo)
{
    QPM__CHECK_NULL(prices, "prices");
    QPM__CHECK_NULL(out, "out");
    if (t < 2)
        return qpm__fail(QPM_E_SIZE, "t = %zu price rows: need at least 2", t);
    if (n == 0)
        return qpm__fail(QPM_E_SIZE, "n = 0: must be >= 1");
    if (ldp < n)
        return qpm__fail(QPM_E_SIZE, "ldp = %zu: must be >= n = %zu", ldp, n);
    if (ldo < n)
        return qpm__fail(QPM_E_SIZE, "ldo = %zu: must be >= n = %zu", ldo, n);
    if (kind != QPM_COV_LOG_RETURNS && kind != QPM_COV_SIMPLE_RETURNS)
        return qpm__fail(QPM_E_INVALID, "kind = %d: not a qpm_cov_returns_kind", (int)kind);
    qpm_status st = check_prices(t, n, prices, ldp, 1, (int)kind);
    if (st != QPM_OK)
        return st;
    compute_returns(t, n, prices, ldp, kind, out, ldo);
    return QPM_OK;
}

qpm_status qpm_cov_fit_prices(qpm_cov *c, size_t t, const double *prices, size_t ld)
{
    QPM__CHECK_NULL(c, "c");
    QPM__CHECK_NULL(prices, "prices");
    size_t n = c->n;
    if (t < 3)
        return qpm__fail(QPM_E_SIZE, "t = %zu price rows: need at least 3 (2 returns)", t);
    if (ld < n)
        return qpm__fail(QPM_E_SIZE, "ld = %zu: must be >= n_assets = %zu", ld, n);
    qpm_status st =
        check_prices(t, n, prices, ld, c->nan_policy != QPM_COV_NAN_ERROR, c->returns_kind);
    if (st != QPM_OK)
        return st;
    size_t rows = t - 1, old_rows = c->ret_rows;
    double *old = NULL;
    if (rows > c->ret_rows) {
        if (rows > SIZE_MAX / sizeof(double) / n)
            return qpm__fail(QPM_E_NOMEM, "t = %zu rows of %zu assets overflow size_t", t, n);
        double *buf = qpm__acalloc(&c->alloc, rows * n, sizeof(double));
        if (buf == NULL)
            return qpm__fail(QPM_E_NOMEM, "cannot allocate %zu x %zu returns", rows, n);
        old = c->ret;
        c->ret = buf;
        c->ret_rows = rows;
    }
    compute_returns(t, n, prices, ld, c->returns_kind, c->ret, n);
    st = qpm__cov_fit_rows(c, rows, c->ret, n);
    /* a failed fit leaves the returns buffer as it found it (no fit reads
     * it afterwards), so that the handle's later calls, and how they fail
     * when memory runs out, do not depend on this one */
    if (old != NULL || (st != QPM_OK && rows > old_rows)) {
        if (st == QPM_OK) {
            qpm__afree(&c->alloc, old);
        } else {
            qpm__afree(&c->alloc, c->ret);
            c->ret = old;
            c->ret_rows = old_rows;
        }
    }
    return st;
}
