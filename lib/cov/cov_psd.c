/* Positive semi-definiteness: smallest eigenvalue, projection onto the PSD
 * cone, and Higham's (2002) nearest correlation matrix. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "cov_internal.h"
#include "num/linalg.h"

/* LAPACK takes 32-bit sizes; the handle and the stateless entry points
 * refuse larger n before reaching here. */
#define QPM__COV_MAX_N 2147483647u

qpm_status qpm__cov_eig_init(qpm__cov_eig *e, const qpm_alloc *a, size_t n)
{
    memset(e, 0, sizeof *e);
    e->n = n;
    /* Workspace query for the largest request (all eigenvectors). */
    double wq = 0.0, dummy = 0.0;
    qpm__lapack_int iwq = 0, m = 0, isz[2];
    qpm__lapack_int ln = (qpm__lapack_int)n;
    qpm__lapack_int info =
        qpm__dsyevr(QPM__LAPACK_COL_MAJOR, 'V', 'A', 'L', ln, &dummy, ln, 0.0, 0.0, 0, 0, DBL_MIN,
                    &m, &dummy, &dummy, ln, isz, &wq, -1, &iwq, -1);
    qpm__lapack_int lw = 26 * ln, liw = 10 * ln;
    if (info == 0) {
        if ((qpm__lapack_int)wq > lw)
            lw = (qpm__lapack_int)wq;
        if (iwq > liw)
            liw = iwq;
    }
    e->lwork = lw;
    e->liwork = liw;
    e->a = qpm__acalloc(a, n * n, sizeof(double));
    e->z = qpm__acalloc(a, n * n, sizeof(double));
    e->w = qpm__acalloc(a, n, sizeof(double));
    e->work = qpm__acalloc(a, (size_t)lw, sizeof(double));
    e->iwork = qpm__calloc(a, (size_t)liw, sizeof(qpm__lapack_int));
    e->isuppz = qpm__calloc(a, 2 * n, sizeof(qpm__lapack_int));
    if (!e->a || !e->z || !e->w || !e->work || !e->iwork || !e->isuppz) {
        qpm__cov_eig_free(e, a);
        return qpm__fail(QPM_E_NOMEM, "cannot allocate the eigen-workspace for n = %zu", n);
    }
    return QPM_OK;
}

void qpm__cov_eig_free(qpm__cov_eig *e, const qpm_alloc *a)
{
    qpm__afree(a, e->a);
    qpm__afree(a, e->z);
    qpm__afree(a, e->w);
    qpm__afree(a, e->work);
    qpm__free(a, e->iwork);
    qpm__free(a, e->isuppz);
    memset(e, 0, sizeof *e);
}

void qpm__cov_mirror(double *m, size_t n, size_t ld)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++)
            m[j * ld + i] = m[i * ld + j];
}

qpm_status qpm__cov_eig_min(qpm__cov_eig *e, const double *s, size_t lds, double *lmin)
{
    size_t n = e->n;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j <= i; j++)
            e->a[i * n + j] = qpm__mean2(s[i * lds + j], s[j * lds + i]);
    qpm__lapack_int m = 0, ln = (qpm__lapack_int)n;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j <= i; j++)
            if (!isfinite(e->a[i * n + j]))
                return qpm__fail(QPM_E_NONFINITE, "matrix[%zu][%zu] = %g: must be finite", i, j,
                                 e->a[i * n + j]);
    /* Row-major lower = column-major upper; a symmetric matrix is its own
     * transpose, so the column-major call reads the same matrix without the
     * transposed copy LAPACKE would allocate for row-major input. */
    qpm__lapack_int info =
        qpm__dsyevr(QPM__LAPACK_COL_MAJOR, 'N', 'I', 'U', ln, e->a, ln, 0.0, 0.0, 1, 1, DBL_MIN, &m,
                    e->w, e->z, ln, e->isuppz, e->work, e->lwork, e->iwork, e->liwork);
    if (info != 0 || m != 1)
        return qpm__fail(QPM_E_NOCONVERGE, "LAPACK dsyevr failed (info = %d) for n = %zu",
                         (int)info, n);
    *lmin = e->w[0];
    return QPM_OK;
}

qpm_status qpm__cov_psd_project(qpm__cov_eig *e, double *x, const double *sw, size_t *nneg)
{
    size_t n = e->n;
    double bound = 0.0;
    for (size_t i = 0; i < n; i++) {
        double r = 0.0;
        int finite = 1;
        for (size_t j = 0; j <= i; j++) {
            double v = sw ? sw[i] * x[i * n + j] * sw[j] : x[i * n + j];
            e->a[i * n + j] = v;
            finite &= isfinite(v) != 0;
            r += fabs(v);
        }
        if (!finite)
            return qpm__fail(QPM_E_NOCONVERGE,
                             "an iterate left the floating-point range (row %zu): the input's "
                             "entries are too large",
                             i);
        for (size_t j = i + 1; j < n; j++)
            r += fabs(sw ? sw[i] * x[j * n + i] * sw[j] : x[j * n + i]);
        if (r > bound)
            bound = r;
    }
    qpm__lapack_int m = 0, ln = (qpm__lapack_int)n, info;
    int all = !(bound < DBL_MAX / 4);
    /* Only the eigenpairs of the non-positive eigenvalues are needed:
     * Gershgorin puts every eigenvalue above -bound. */
    info = qpm__dsyevr(QPM__LAPACK_COL_MAJOR, 'V', all ? 'A' : 'V', 'U', ln, e->a, ln,
                       -(2.0 * bound + 1.0), 0.0, 0, 0, DBL_MIN, &m, e->w, e->z, ln, e->isuppz,
                       e->work, e->lwork, e->iwork, e->liwork);
    if (info != 0)
        return qpm__fail(QPM_E_NOCONVERGE, "LAPACK dsyevr failed (info = %d) for n = %zu",
                         (int)info, n);
    size_t k = 0;
    for (size_t r = 0; r < (size_t)m; r++) {
        if (!(e->w[r] < 0.0))
            continue;
        double s = sqrt(-e->w[r]);
        double *dst = e->z + k * n, *src = e->z + r * n;
        for (size_t i = 0; i < n; i++)
            dst[i] = src[i] * (sw ? s / sw[i] : s);
        k++;
    }
    *nneg = k;
    if (k == 0)
        return QPM_OK;
    /* x - sum_k lambda_k v_k v_k' with every lambda_k < 0. */
    qpm__dsyrk(QPM__ROW_MAJOR, QPM__LOWER, QPM__TRANS, (int)n, (int)k, 1.0, e->z, (int)n, 1.0, x,
               (int)n);
    qpm__cov_mirror(x, n, n);
    return QPM_OK;
}

/* The result of the nearest-correlation iteration: the PSD iterate x (n x n,
 * ld n) congruence-scaled to unit diagonal into c, which is PSD in exact
 * arithmetic.  Rounding (large weight ratios amplify it) can leave entries
 * just beyond [-1, 1] and a slightly negative eigenvalue, so the entries are
 * clipped and, when the smallest eigenvalue lies below -8 n eps, c is pulled
 * toward the identity, (1 - t) c + t I, which lifts every eigenvalue and
 * keeps the unit diagonal.  rs: n scratch.  QPM_E_NOCONVERGE when the
 * iterate left the floating-point range or no such t is found. */
static qpm_status unit_diagonal_psd(qpm__cov_eig *e, const double *x, double *rs, double *c)
{
    size_t n = e->n;
    for (size_t i = 0; i < n; i++) {
        double d = x[i * n + i];
        rs[i] = d > 0.0 ? 1.0 / sqrt(d) : 0.0;
    }
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < i; j++) {
            double v = x[i * n + j] * rs[i] * rs[j];
            if (isnan(v))
                return qpm__fail(QPM_E_NOCONVERGE,
                                 "the iteration left the floating-point range (entry [%zu][%zu])",
                                 i, j);
            v = v > 1.0 ? 1.0 : (v < -1.0 ? -1.0 : v);
            c[i * n + j] = c[j * n + i] = v;
        }
        c[i * n + i] = 1.0;
    }
    const double floor = -8.0 * (double)n * DBL_EPSILON;
    double t = 0.0;
    for (int attempt = 0; attempt < 4; attempt++) {
        double l;
        qpm_status st = qpm__cov_eig_min(e, c, n, &l);
        if (st != QPM_OK)
            return st;
        if (l >= floor)
            return QPM_OK;
        /* eigenvalues (1 - t) l + t >= 0 for t >= -l / (1 - l); a margin
         * above it absorbs the rounding of the update */
        t = fmin(1.0, -l / (1.0 - l) * (1.0 + 0x1p-20) + 16.0 * (double)n * DBL_EPSILON);
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < n; j++)
                if (i != j)
                    c[i * n + j] *= 1.0 - t;
    }
    return qpm__fail(QPM_E_NOCONVERGE,
                     "the last iterate could not be made positive semi-definite (shrinkage %g)", t);
}

/* ---- stateless entry points ------------------------------------------------ */

static qpm_status check_square(size_t n, const double *a, size_t lda, const char *name)
{
    QPM__CHECK_NULL(a, name);
    if (n == 0)
        return qpm__fail(QPM_E_SIZE, "n = 0: must be >= 1");
    if (n > QPM__COV_MAX_N)
        return qpm__fail(QPM_E_SIZE, "n = %zu: must be <= %u", n, QPM__COV_MAX_N);
    if (lda < n)
        return qpm__fail(QPM_E_SIZE, "ld%s = %zu: must be >= n = %zu", name, lda, n);
    if (n > SIZE_MAX / sizeof(double) / n)
        return qpm__fail(QPM_E_NOMEM, "n = %zu: an n x n matrix overflows size_t", n);
    return qpm__check_finite_matrix(a, n, n, lda, name);
}

/* The start of the handle-free matrix functions: the caller's allocator
 * validated into *al, LAPACK loaded, the eigen-workspace for n. */
static qpm_status eig_begin(const qpm_alloc *alloc, qpm_alloc *al, qpm__cov_eig *e, size_t n)
{
    qpm_status st = qpm__alloc_init(al, alloc);
    if (st == QPM_OK)
        st = qpm__linalg_load();
    if (st == QPM_OK)
        st = qpm__cov_eig_init(e, al, n);
    return st;
}

/* The smallest eigenvalue; -inf when it lies below -DBL_MAX (entries near
 * DBL_MAX can take it there: dsyevr scales its input, so the value is
 * otherwise finite). */
static qpm_status min_eig(const qpm_alloc *alloc, size_t n, const double *a, size_t lda,
                          double *lambda_min)
{
    qpm_status st = check_square(n, a, lda, "a");
    if (st != QPM_OK)
        return st;
    qpm_alloc al;
    qpm__cov_eig e;
    if ((st = eig_begin(alloc, &al, &e, n)) != QPM_OK)
        return st;
    double l = 0.0;
    st = qpm__cov_eig_min(&e, a, lda, &l);
    qpm__cov_eig_free(&e, &al);
    if (st == QPM_OK)
        *lambda_min = l;
    return st;
}

qpm_status qpm_cov_min_eigenvalue(const qpm_alloc *alloc, size_t n, const double *a, size_t lda,
                                  double *lambda_min)
{
    QPM__CHECK_NULL(lambda_min, "lambda_min");
    double l = 0.0;
    qpm_status st = min_eig(alloc, n, a, lda, &l);
    if (st != QPM_OK)
        return st;
    if (!isfinite(l))
        return qpm__fail(QPM_E_OVERFLOW,
                         "smallest eigenvalue = %g: below -DBL_MAX (entries near DBL_MAX)", l);
    *lambda_min = l;
    return QPM_OK;
}

qpm_status qpm_cov_check_psd(const qpm_alloc *alloc, size_t n, const double *a, size_t lda,
                             double tol, double *lambda_min)
{
    if (!(tol >= 0.0) || !isfinite(tol))
        return qpm__fail(QPM_E_INVALID, "tol = %g: must be finite and >= 0", tol);
    double l = 0.0;
    qpm_status st = min_eig(alloc, n, a, lda, &l);
    if (st != QPM_OK)
        return st;
    if (lambda_min != NULL)
        *lambda_min = l;
    if (!(l >= -tol))
        return qpm__fail(QPM_E_NOTPSD,
                         "smallest eigenvalue = %.17g < -tol = %.17g: not positive semi-definite",
                         l, -tol);
    return QPM_OK;
}

#define QPM__NEAREST_MAX_ENTRY 1e6

qpm_status qpm_cov_nearest_correlation(const qpm_alloc *alloc, size_t n, const double *a,
                                       size_t lda, const double *weights, double tol,
                                       size_t maxiter, double *out, size_t ldo, size_t *iters,
                                       int *converged)
{
    QPM__CHECK_NULL(out, "out");
    qpm_status st = check_square(n, a, lda, "a");
    if (st != QPM_OK)
        return st;
    if (ldo < n)
        return qpm__fail(QPM_E_SIZE, "ldo = %zu: must be >= n = %zu", ldo, n);
    if (weights != NULL)
        for (size_t i = 0; i < n; i++)
            if (!(weights[i] > 0.0) || !isfinite(weights[i]))
                return qpm__fail(QPM_E_INVALID, "weights[%zu] = %g: must be finite and > 0", i,
                                 weights[i]);
    if (!(tol > 0.0 && tol < 1.0))
        return qpm__fail(QPM_E_INVALID, "tol = %g: must be in (0, 1)", tol);
    if (maxiter == 0)
        return qpm__fail(QPM_E_INVALID, "maxiter = 0: must be >= 1");
    /* The iteration works in absolute terms on entries of the result's
     * size (at most 1): its rounding is about 2^-52 times A's largest entry,
     * so beyond QPM__NEAREST_MAX_ENTRY it would exceed 1e-10 in the result
     * while still reporting convergence. */
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j <= i; j++) {
            double v = qpm__mean2(a[i * lda + j], a[j * lda + i]);
            if (fabs(v) > QPM__NEAREST_MAX_ENTRY)
                return qpm__fail(QPM_E_INVALID,
                                 "(a[%zu][%zu] + a[%zu][%zu]) / 2 = %g: entries must be within "
                                 "+-%g (a correlation-like matrix; beyond it rounding would "
                                 "exceed 1e-10 in the result)",
                                 i, j, j, i, v, QPM__NEAREST_MAX_ENTRY);
        }
    qpm_alloc al;
    qpm__cov_eig e;
    if ((st = eig_begin(alloc, &al, &e, n)) != QPM_OK)
        return st;

    size_t nn = n * n;
    double *y = qpm__acalloc(&al, nn, sizeof(double));
    double *x = qpm__acalloc(&al, nn, sizeof(double));
    double *xn = qpm__acalloc(&al, nn, sizeof(double));
    double *r = qpm__acalloc(&al, nn, sizeof(double));
    double *ds = qpm__acalloc(&al, nn, sizeof(double));
    double *sw = weights ? qpm__acalloc(&al, n, sizeof(double)) : NULL;
    if (!y || !x || !xn || !r || !ds || (weights && !sw)) {
        st = qpm__fail(QPM_E_NOMEM, "cannot allocate the workspace for n = %zu", n);
        goto done;
    }
    if (sw)
        for (size_t i = 0; i < n; i++)
            sw[i] = sqrt(weights[i]);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            y[i * n + j] = qpm__mean2(a[i * lda + j], a[j * lda + i]);

    size_t it = 0;
    int conv = 0;
    while (it < maxiter && !conv) {
        it++;
        for (size_t k = 0; k < nn; k++)
            xn[k] = r[k] = y[k] - ds[k];
        size_t nneg;
        if ((st = qpm__cov_psd_project(&e, xn, sw, &nneg)) != QPM_OK)
            goto done;
        double dx = 0.0, nx = 0.0, dy = 0.0, ny = 0.0, dxy = 0.0;
        for (size_t k = 0; k < nn; k++) {
            double d = xn[k] - x[k];
            dx += d * d;
            nx += xn[k] * xn[k];
            ds[k] = xn[k] - r[k];
        }
        double *sw_ = x;
        x = xn;
        xn = sw_;
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < n; j++) {
                size_t k = i * n + j;
                double v = i == j ? 1.0 : x[k];
                double d = v - y[k], g = v - x[k];
                dy += d * d;
                ny += v * v;
                dxy += g * g;
                y[k] = v;
            }
        double rel = sqrt(dx / nx);
        if (sqrt(dy / ny) > rel)
            rel = sqrt(dy / ny);
        if (sqrt(dxy / ny) > rel)
            rel = sqrt(dxy / ny);
        conv = rel <= tol;
    }
    if (!conv && converged == NULL) {
        st = qpm__fail(QPM_E_NOCONVERGE,
                       "no convergence within maxiter = %zu iterations (pass `converged` to "
                       "accept the last iterate)",
                       maxiter);
        goto done;
    }
    if ((st = unit_diagonal_psd(&e, x, r, ds)) != QPM_OK)
        goto done;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            out[i * ldo + j] = ds[i * n + j];
    if (iters)
        *iters = it;
    if (converged)
        *converged = conv;
    st = QPM_OK;
done:
    qpm__cov_eig_free(&e, &al);
    qpm__afree(&al, y);
    qpm__afree(&al, x);
    qpm__afree(&al, xn);
    qpm__afree(&al, r);
    qpm__afree(&al, ds);
    qpm__afree(&al, sw);
    return st;
}
