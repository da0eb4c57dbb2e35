/* The covariance factor F (F F' = cov) behind the scenario generator:
 * LAPACK's Cholesky factor when the matrix is clearly positive definite,
 * otherwise a factor from LAPACK's symmetric eigensolver, which accepts
 * singular (positive semi-definite) matrices and measures how far from PSD
 * a rejected one is. */
#include <math.h>
#include <string.h>

#include "num/linalg.h"
#include "risk_internal.h"

/* Lower Cholesky factor of the n x n matrix c (row-major, ld n) into l,
 * zero above the diagonal.  Returns 0 on success, else 1 + the index of the
 * first pivot that is not clearly positive (<= 64 n eps max_i c_ii, so that
 * a rounded singular matrix takes the eigen path), with that pivot in
 * *pivot. */
static size_t cholesky(size_t n, const double *c, double *l, double *pivot)
{
    double dmax = 0.0;
    for (size_t i = 0; i < n; i++)
        dmax = fmax(dmax, c[i * n + i]);
    double tol = 64.0 * (double)n * 0x1p-52 * dmax;
    memset(l, 0, n * n * sizeof *l);
    for (size_t i = 0; i < n; i++)
        memcpy(l + i * n, c + i * n, (i + 1) * sizeof *l);
    /* Row-major lower is column-major upper: dpotrf('U') factors it as
     * U'U with U = L' in the same place, and never touches the zeros. */
    qpm__lapack_int ln = (qpm__lapack_int)n;
    qpm__lapack_int info = qpm__dpotrf(QPM__LAPACK_COL_MAJOR, 'U', ln, l, ln);
    size_t done = info > 0 ? (size_t)info - 1 : n;
    for (size_t j = 0; j < done; j++) {
        double d = l[j * n + j] * l[j * n + j];
        if (!(d > tol)) {
            *pivot = d;
            return j + 1;
        }
    }
    if (info != 0) {
        /* dpotrf stops at the first non-positive pivot and leaves it, the
         * updated diagonal element, in place. */
        *pivot = info > 0 ? l[done * n + done] : (double)NAN;
        return done + 1;
    }
    return 0;
}

/* F = V diag(sqrt(max(lambda, 0))) of the n x n symmetric c (row-major)
 * into f (row-major), eigenvalues in descending order, each eigenvector's
 * largest component (the first, on a tie) made positive so that the factor
 * does not depend on the LAPACK build's sign choices; the extreme
 * eigenvalues go to *lmin and *lmax.  Returns QPM_OK, QPM_E_NOMEM or
 * QPM_E_NOCONVERGE. */
static qpm_status eigen_factor(const qpm_alloc *al, size_t n, const double *c, double *f,
                               double *lmin, double *lmax)
{
    qpm__lapack_int ln = (qpm__lapack_int)n, m = 0, iwq = 0, isz[2];
    double wq = 0.0, dummy = 0.0;
    qpm__lapack_int info =
        qpm__dsyevr(QPM__LAPACK_COL_MAJOR, 'V', 'A', 'U', ln, &dummy, ln, 0.0, 0.0, 0, 0, 0.0, &m,
                    &dummy, &dummy, ln, isz, &wq, -1, &iwq, -1);
    if (info != 0)
        return qpm__fail(QPM_E_NOCONVERGE, "LAPACK dsyevr workspace query failed (info = %d)",
                         (int)info);
    qpm__lapack_int lw = (qpm__lapack_int)wq, liw = iwq;
    if (lw < 26 * ln)
        lw = 26 * ln;
    if (liw < 10 * ln)
        liw = 10 * ln;
    double *a = qpm__calloc(al, 2 * n * n + n + (size_t)lw, sizeof *a);
    qpm__lapack_int *iw = a ? qpm__calloc(al, 2 * n + (size_t)liw, sizeof *iw) : NULL;
    if (iw == NULL) {
        qpm__free(al, a);
        return qpm__fail(QPM_E_NOMEM,
                         "cannot allocate the eigendecomposition of a %zu x %zu covariance", n, n);
    }
    double *z = a + n * n, *lam = z + n * n, *work = lam + n;
    /* row-major lower = column-major upper, as for the Cholesky factor */
    for (size_t i = 0; i < n; i++)
        memcpy(a + i * n, c + i * n, (i + 1) * sizeof *a);
    info = qpm__dsyevr(QPM__LAPACK_COL_MAJOR, 'V', 'A', 'U', ln, a, ln, 0.0, 0.0, 0, 0, 0.0, &m,
                       lam, z, ln, iw, work, lw, iw + 2 * n, liw);
    qpm_status st = QPM_OK;
    if (info != 0 || (size_t)m != n) {
        st = qpm__fail(QPM_E_NOCONVERGE, "LAPACK dsyevr failed (info = %d) for n = %zu",
                       (int)info, n);
    } else {
        /* lam ascending; eigenvector k is column k of z (column-major).
         * Eigenvalues within the solver's rounding of zero (the Cholesky
         * pivot tolerance) count as zero: their square roots, ~1e-10 of
         * the scale, would otherwise split perfectly correlated moves. */
        double tiny = 64.0 * (double)n * 0x1p-52 * fmax(lam[n - 1], 0.0);
        for (size_t k = 0; k < n; k++) {
            size_t src = n - 1 - k;
            const double *v = z + src * n;
            size_t imax = 0;
            for (size_t i = 1; i < n; i++)
                if (fabs(v[i]) > fabs(v[imax]))
                    imax = i;
            double s = lam[src] > tiny ? sqrt(lam[src]) : 0.0;
            if (v[imax] < 0.0)
                s = -s;
            for (size_t i = 0; i < n; i++)
                f[i * n + k] = v[i] * s;
        }
        *lmin = lam[0];
        *lmax = lam[n - 1];
    }
    qpm__free(al, a);
    qpm__free(al, iw);
    return st;
}

qpm_status qpm__risk_factor(const qpm_alloc *al, size_t n, const double *cov, size_t ld,
                            double *c, double *f, int *tri)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            c[i * n + j] = qpm__mean2(cov[i * ld + j], cov[j * ld + i]);
    double pivot = 0.0;
    size_t bad = cholesky(n, c, f, &pivot);
    *tri = 1;
    if (bad == 0)
        return QPM_OK;
    double lmin = 0.0, lmax = 0.0;
    qpm_status st = eigen_factor(al, n, c, f, &lmin, &lmax);
    /* written so that a NaN eigenvalue fails */
    if (st == QPM_OK && (!(lmin >= -1e-12 * fmax(lmax, 0.0)) || isnan(lmax) ||
                         (!(lmax > 0.0) && lmin < 0.0)))
        st = qpm__fail(QPM_E_NOTPSD,
                       "cov is not positive semi-definite: Cholesky pivot %zu = %.6g, "
                       "smallest eigenvalue %.6g (largest %.6g)",
                       bad - 1, pivot, lmin, lmax);
    *tri = 0;
    return st;
}

qpm_status qpm_risk_set_covariance(qpm_risk *r, size_t n, const double *cov, size_t ld)
{
    QPM__CHECK_NULL(r, "r");
    QPM__CHECK_NULL(cov, "cov");
    if (n == 0)
        return qpm__fail(QPM_E_SIZE, "n = 0: need at least 1 underlying");
    if (n > QPM__RISK_MAX_N)
        return qpm__fail(QPM_E_SIZE, "n = %zu: must be <= %u", n, QPM__RISK_MAX_N);
    if (ld < n)
        return qpm__fail(QPM_E_SIZE, "ld = %zu: must be >= n = %zu", ld, n);
    qpm_status st = qpm__check_covariance(cov, n, ld, "cov");
    if (st != QPM_OK)
        return st;
    double *c = qpm__calloc(&r->alloc, n * n, sizeof *c);
    double *f = c ? qpm__calloc(&r->alloc, n * n, sizeof *f) : NULL;
    if (f == NULL) {
        qpm__free(&r->alloc, c);
        return qpm__fail(QPM_E_NOMEM, "cannot allocate a %zu x %zu covariance", n, n);
    }
    int tri;
    st = qpm__risk_factor(&r->alloc, n, cov, ld, c, f, &tri);
    if (st != QPM_OK) {
        qpm__free(&r->alloc, c);
        qpm__free(&r->alloc, f);
        return st;
    }
    qpm__free(&r->alloc, r->cov);
    qpm__free(&r->alloc, r->fac);
    r->cov = c;
    r->fac = f;
    r->tri = tri;
    r->n = n;
    return QPM_OK;
}
