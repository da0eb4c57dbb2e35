/* The covariance factor L (L L' = cov) behind the scenario generator:
 * Cholesky when the matrix is positive definite, otherwise a factor from a
 * cyclic Jacobi eigendecomposition, which accepts singular (positive
 * semi-definite) matrices and measures how far from PSD a rejected one is. */
#include <math.h>
#include <string.h>

#include "risk_internal.h"

/* Lower Cholesky factor of the n x n matrix a (row-major, packed ld = n)
 * into l.  Returns 0 on success, else 1 + the index of the first pivot that
 * is not clearly positive, with that pivot in *pivot. */
static size_t cholesky(size_t n, const double *a, double *l, double *pivot)
{
    double dmax = 0.0;
    for (size_t i = 0; i < n; i++)
        dmax = fmax(dmax, a[i * n + i]);
    double tol = 64.0 * (double)n * 0x1p-52 * dmax;
    memset(l, 0, n * n * sizeof *l);
    for (size_t j = 0; j < n; j++) {
        double d = a[j * n + j];
        for (size_t k = 0; k < j; k++)
            d -= l[j * n + k] * l[j * n + k];
        if (!(d > tol)) {
            *pivot = d;
            return j + 1;
        }
        double ljj = sqrt(d);
        l[j * n + j] = ljj;
        for (size_t i = j + 1; i < n; i++) {
            double s = a[i * n + j];
            for (size_t k = 0; k < j; k++)
                s -= l[i * n + k] * l[j * n + k];
            l[i * n + j] = s / ljj;
        }
    }
    return 0;
}

/* Cyclic Jacobi: a (n x n, symmetric, destroyed) -> eigenvalues on its
 * diagonal, eigenvectors in the columns of v. */
static void jacobi(size_t n, double *a, double *v)
{
    memset(v, 0, n * n * sizeof *v);
    for (size_t i = 0; i < n; i++)
        v[i * n + i] = 1.0;
    for (int sweep = 0; sweep < 100; sweep++) {
        double off = 0.0, diag = 0.0;
        for (size_t i = 0; i < n; i++) {
            diag += a[i * n + i] * a[i * n + i];
            for (size_t j = i + 1; j < n; j++)
                off += a[i * n + j] * a[i * n + j];
        }
        if (off <= 1e-36 * diag || off == 0.0)
            return;
        for (size_t p = 0; p < n; p++)
            for (size_t q = p + 1; q < n; q++) {
                double apq = a[p * n + q];
                if (apq == 0.0)
                    continue;
                double theta = (a[q * n + q] - a[p * n + p]) / (2.0 * apq);
                double t = (theta >= 0 ? 1.0 : -1.0) / (fabs(theta) + sqrt(theta * theta + 1.0));
                double c = 1.0 / sqrt(t * t + 1.0), s = t * c;
                for (size_t k = 0; k < n; k++) {
                    double akp = a[k * n + p], akq = a[k * n + q];
                    a[k * n + p] = c * akp - s * akq;
                    a[k * n + q] = s * akp + c * akq;
                }
                for (size_t k = 0; k < n; k++) {
                    double apk = a[p * n + k], aqk = a[q * n + k];
                    a[p * n + k] = c * apk - s * aqk;
                    a[q * n + k] = s * apk + c * aqk;
                }
                for (size_t k = 0; k < n; k++) {
                    double vkp = v[k * n + p], vkq = v[k * n + q];
                    v[k * n + p] = c * vkp - s * vkq;
                    v[k * n + q] = s * vkp + c * vkq;
                }
            }
    }
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
    double *a = qpm__calloc(al, 2 * n * n, sizeof *a);
    if (a == NULL)
        return qpm__fail(QPM_E_NOMEM,
                         "cannot allocate the eigendecomposition of a %zu x %zu covariance", n, n);
    double *v = a + n * n;
    /* Jacobi's sums of squares overflow (or underflow) for entries beyond
     * 2^+-400: it then works on the matrix scaled by an even power of two,
     * 4^-j, exact, and the eigenvalues are scaled back. */
    double amax = 0.0;
    for (size_t k = 0; k < n * n; k++)
        amax = fmax(amax, fabs(c[k]));
    int j2 = amax > 0x1p400 || (amax > 0.0 && amax < 0x1p-400) ? ilogb(amax) / 2 : 0;
    for (size_t k = 0; k < n * n; k++)
        a[k] = j2 != 0 ? ldexp(c[k], -2 * j2) : c[k];
    jacobi(n, a, v);
    double lmin = a[0], lmax = a[0];
    int nan = isnan(a[0]);
    for (size_t i = 1; i < n; i++) {
        lmin = fmin(lmin, a[i * n + i]);
        lmax = fmax(lmax, a[i * n + i]);
        nan |= isnan(a[i * n + i]); /* fmin and fmax skip NaN */
    }
    if (nan || !(lmin >= -1e-12 * fmax(lmax, 0.0)) || (!(lmax > 0.0) && lmin < 0.0)) {
        qpm__free(al, a);
        return qpm__fail(QPM_E_NOTPSD,
                         "cov is not positive semi-definite: Cholesky pivot %zu = %.6g, "
                         "smallest eigenvalue %.6g (largest %.6g)",
                         bad - 1, pivot, ldexp(lmin, 2 * j2), ldexp(lmax, 2 * j2));
    }
    /* F = V diag(sqrt(max(lambda, 0))) */
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            double l = a[j * n + j];
            double sl = l > 0.0 ? sqrt(l) : 0.0;
            f[i * n + j] = v[i * n + j] * (j2 != 0 ? ldexp(sl, j2) : sl);
        }
    qpm__free(al, a);
    *tri = 0;
    return QPM_OK;
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
