/* BLAS and LAPACKE, loaded on first need (contract in linalg.h).
 *
 * Linking OpenBLAS would start its thread pool when the program starts (its
 * constructor creates the threads at load), and would put its headers and
 * libraries on every user's compile line, even for a program that only
 * prices.  So the library holds no reference to a BLAS symbol: the routines
 * are reached through a table filled once by dlopen()/dlsym(). */
#include <dlfcn.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linalg.h"
#include "num/linalg_config.h"

/* Prototypes of the routines, as in cblas.h and lapacke.h: the CBLAS
 * enumerations are passed as enums of the same values, lapack_int is
 * int32_t. */
typedef double (*ddot_fn)(int, const double *, int, const double *, int);
typedef void (*dscal_fn)(int, double, double *, int);
typedef void (*daxpy_fn)(int, double, const double *, int, double *, int);
typedef void (*dgemv_fn)(qpm__la_order, qpm__la_trans, int, int, double, const double *, int,
                         const double *, int, double, double *, int);
typedef void (*dsymv_fn)(qpm__la_order, qpm__la_uplo, int, double, const double *, int,
                         const double *, int, double, double *, int);
typedef void (*dgemm_fn)(qpm__la_order, qpm__la_trans, qpm__la_trans, int, int, int, double,
                         const double *, int, const double *, int, double, double *, int);
typedef void (*dsyrk_fn)(qpm__la_order, qpm__la_uplo, qpm__la_trans, int, int, double,
                         const double *, int, double, double *, int);
typedef int (*threads_fn)(void);

typedef qpm__lapack_int lint;
typedef lint (*dpotrf_fn)(int, char, lint, double *, lint);
typedef lint (*dpotrs_fn)(int, char, lint, lint, const double *, lint, double *, lint);
typedef lint (*dgetrf_fn)(int, lint, lint, double *, lint, lint *);
typedef lint (*dgetrs_fn)(int, char, lint, lint, const double *, lint, const lint *, double *,
                          lint);
typedef lint (*dsyevr_fn)(int, char, char, char, lint, double *, lint, double, double, lint, lint,
                          double, lint *, double *, double *, lint, lint *, double *, lint, lint *,
                          lint);
typedef lint (*dgeqrf_fn)(int, lint, lint, double *, lint, double *, double *, lint);
typedef lint (*dgeqp3_fn)(int, lint, lint, double *, lint, lint *, double *, double *, lint);
typedef lint (*dormqr_fn)(int, char, char, lint, lint, lint, const double *, lint, const double *,
                          double *, lint, double *, lint);
typedef lint (*dgels_fn)(int, char, lint, lint, lint, double *, lint, double *, lint, double *,
                         lint);

static struct {
    ddot_fn ddot;
    dscal_fn dscal;
    daxpy_fn daxpy;
    dgemv_fn dgemv;
    dsymv_fn dsymv;
    dgemm_fn dgemm;
    dsyrk_fn dsyrk;
    threads_fn threads; /* optional: OpenBLAS only */
    dpotrf_fn dpotrf;
    dpotrs_fn dpotrs;
    dpotrf_fn dpotri;
    dgetrf_fn dgetrf;
    dgetrs_fn dgetrs;
    dsyevr_fn dsyevr;
    dgeqrf_fn dgeqrf;
    dgeqp3_fn dgeqp3;
    dormqr_fn dormqr;
    dgels_fn dgels;
} la;

static pthread_once_t la_once = PTHREAD_ONCE_INIT;
static int la_ok;
static char la_msg[480];

static const char *env_or(const char *name, const char *dflt)
{
    /* secure_getenv: a set-user-ID program must not load a library named by
     * its caller's environment. */
    const char *v = secure_getenv(name);
    return v != NULL && v[0] != '\0' ? v : dflt;
}

/* RTLD_GLOBAL, as if the program had linked the libraries: LAPACKE's own
 * calls into LAPACK then bind to the BLAS library loaded first (OpenBLAS's
 * optimised routines, not the copies in the reference liblapack), and a
 * caller may reach the BLAS's own controls (openblas_set_num_threads) by
 * dlsym(RTLD_DEFAULT).  The handles are never closed. */
static void *open_lib(const char *kind, const char *path, const char *env)
{
    void *h = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
    if (h == NULL) {
        const char *why = dlerror();
        snprintf(la_msg, sizeof la_msg,
                 "cannot load the %s library '%s': %s (install it, or name another in the "
                 "environment variable %s)",
                 kind, path, why ? why : "unknown error", env);
    }
    return h;
}

/* dlsym returns an object pointer; copying its bytes into the function
 * pointer is the conversion POSIX guarantees. */
static int resolve(void *h, const char *lib, const char *name, void *fp, size_t size)
{
    dlerror();
    void *sym = dlsym(h, name);
    if (sym == NULL) {
        const char *why = dlerror();
        snprintf(la_msg, sizeof la_msg, "the library '%s' has no routine %s: %s", lib, name,
                 why ? why : "symbol is NULL");
        return 0;
    }
    memcpy(fp, &sym, size);
    return 1;
}

#define RESOLVE(h, lib, field, name) resolve(h, lib, name, &la.field, sizeof la.field)

static void load_once(void)
{
    const char *blas = env_or("QPM_BLAS_LIBRARY", QPM__BLAS_LIBRARY);
    const char *lapacke = env_or("QPM_LAPACKE_LIBRARY", QPM__LAPACKE_LIBRARY);
    void *hb = open_lib("BLAS", blas, "QPM_BLAS_LIBRARY");
    if (hb == NULL)
        return;
    void *hl = open_lib("LAPACKE", lapacke, "QPM_LAPACKE_LIBRARY");
    if (hl == NULL)
        return;
    /* Optional: only OpenBLAS reports its thread count. */
    void *t = dlsym(hb, "openblas_get_num_threads");
    if (t != NULL)
        memcpy(&la.threads, &t, sizeof la.threads);
    int ok = RESOLVE(hb, blas, ddot, "cblas_ddot") && RESOLVE(hb, blas, dscal, "cblas_dscal") &&
             RESOLVE(hb, blas, daxpy, "cblas_daxpy") && RESOLVE(hb, blas, dgemv, "cblas_dgemv") &&
             RESOLVE(hb, blas, dsymv, "cblas_dsymv") && RESOLVE(hb, blas, dgemm, "cblas_dgemm") &&
             RESOLVE(hb, blas, dsyrk, "cblas_dsyrk") &&
             RESOLVE(hl, lapacke, dpotrf, "LAPACKE_dpotrf_work") &&
             RESOLVE(hl, lapacke, dpotrs, "LAPACKE_dpotrs_work") &&
             RESOLVE(hl, lapacke, dpotri, "LAPACKE_dpotri_work") &&
             RESOLVE(hl, lapacke, dgetrf, "LAPACKE_dgetrf_work") &&
             RESOLVE(hl, lapacke, dgetrs, "LAPACKE_dgetrs_work") &&
             RESOLVE(hl, lapacke, dsyevr, "LAPACKE_dsyevr_work") &&
             RESOLVE(hl, lapacke, dgeqrf, "LAPACKE_dgeqrf_work") &&
             RESOLVE(hl, lapacke, dgeqp3, "LAPACKE_dgeqp3_work") &&
             RESOLVE(hl, lapacke, dormqr, "LAPACKE_dormqr_work") &&
             RESOLVE(hl, lapacke, dgels, "LAPACKE_dgels_work");
    la_ok = ok;
}

qpm_status qpm__linalg_load(void)
{
    if (pthread_once(&la_once, load_once) != 0)
        return qpm__fail(QPM_E_UNSUPPORTED, "cannot initialise the BLAS/LAPACKE loader");
    if (QPM__UNLIKELY(!la_ok))
        return qpm__fail(QPM_E_UNSUPPORTED, "%s", la_msg);
    return QPM_OK;
}

int qpm__blas_threads(void)
{
    if (qpm__linalg_load() != QPM_OK)
        return 0;
    return la.threads != NULL ? la.threads() : 0;
}

/* ---- forwarding ------------------------------------------------------------ */

double qpm__ddot(int n, const double *x, int incx, const double *y, int incy)
{
    return la.ddot(n, x, incx, y, incy);
}

void qpm__dscal(int n, double alpha, double *x, int incx)
{
    la.dscal(n, alpha, x, incx);
}

void qpm__daxpy(int n, double alpha, const double *x, int incx, double *y, int incy)
{
    la.daxpy(n, alpha, x, incx, y, incy);
}

void qpm__dgemv(qpm__la_order order, qpm__la_trans trans, int m, int n, double alpha,
                const double *a, int lda, const double *x, int incx, double beta, double *y,
                int incy)
{
    la.dgemv(order, trans, m, n, alpha, a, lda, x, incx, beta, y, incy);
}

void qpm__dsymv(qpm__la_order order, qpm__la_uplo uplo, int n, double alpha, const double *a,
                int lda, const double *x, int incx, double beta, double *y, int incy)
{
    la.dsymv(order, uplo, n, alpha, a, lda, x, incx, beta, y, incy);
}

void qpm__dgemm(qpm__la_order order, qpm__la_trans transa, qpm__la_trans transb, int m, int n,
                int k, double alpha, const double *a, int lda, const double *b, int ldb,
                double beta, double *c, int ldc)
{
    la.dgemm(order, transa, transb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void qpm__dsyrk(qpm__la_order order, qpm__la_uplo uplo, qpm__la_trans trans, int n, int k,
                double alpha, const double *a, int lda, double beta, double *c, int ldc)
{
    la.dsyrk(order, uplo, trans, n, k, alpha, a, lda, beta, c, ldc);
}

lint qpm__dpotrf(int layout, char uplo, lint n, double *a, lint lda)
{
    return la.dpotrf(layout, uplo, n, a, lda);
}

lint qpm__dpotrs(int layout, char uplo, lint n, lint nrhs, const double *a, lint lda, double *b,
                 lint ldb)
{
    return la.dpotrs(layout, uplo, n, nrhs, a, lda, b, ldb);
}

lint qpm__dpotri(int layout, char uplo, lint n, double *a, lint lda)
{
    return la.dpotri(layout, uplo, n, a, lda);
}

lint qpm__dgetrf(int layout, lint m, lint n, double *a, lint lda, lint *ipiv)
{
    return la.dgetrf(layout, m, n, a, lda, ipiv);
}

lint qpm__dgetrs(int layout, char trans, lint n, lint nrhs, const double *a, lint lda,
                 const lint *ipiv, double *b, lint ldb)
{
    return la.dgetrs(layout, trans, n, nrhs, a, lda, ipiv, b, ldb);
}

/* True when a non-workspace-query call's triangle holds a NaN or an
 * infinity: dsyevr's bisection (dlarrb/dlaneg) never terminates on one. */
static int sy_nonfinite(int layout, char uplo, lint n, const double *a, lint lda)
{
    int upper_rows = (uplo == 'U') == (layout == QPM__LAPACK_ROW_MAJOR);
    for (lint i = 0; i < n; i++) {
        lint lo = upper_rows ? i : 0, hi = upper_rows ? n : i + 1;
        const double *row = a + (size_t)i * (size_t)lda;
        for (lint j = lo; j < hi; j++)
            if (!isfinite(row[j]))
                return 1;
    }
    return 0;
}

lint qpm__dsyevr(int layout, char jobz, char range, char uplo, lint n, double *a, lint lda,
                 double vl, double vu, lint il, lint iu, double abstol, lint *m, double *w,
                 double *z, lint ldz, lint *isuppz, double *work, lint lwork, lint *iwork,
                 lint liwork)
{
    if (lwork != -1 && liwork != -1 && sy_nonfinite(layout, uplo, n, a, lda))
        return -6;
    return la.dsyevr(layout, jobz, range, uplo, n, a, lda, vl, vu, il, iu, abstol, m, w, z, ldz,
                     isuppz, work, lwork, iwork, liwork);
}

lint qpm__dgeqrf(int layout, lint m, lint n, double *a, lint lda, double *tau, double *work,
                 lint lwork)
{
    return la.dgeqrf(layout, m, n, a, lda, tau, work, lwork);
}

lint qpm__dgeqp3(int layout, lint m, lint n, double *a, lint lda, lint *jpvt, double *tau,
                 double *work, lint lwork)
{
    return la.dgeqp3(layout, m, n, a, lda, jpvt, tau, work, lwork);
}

lint qpm__dormqr(int layout, char side, char trans, lint m, lint n, lint k, const double *a,
                 lint lda, const double *tau, double *c, lint ldc, double *work, lint lwork)
{
    return la.dormqr(layout, side, trans, m, n, k, a, lda, tau, c, ldc, work, lwork);
}

lint qpm__dgels(int layout, char trans, lint m, lint n, lint nrhs, double *a, lint lda, double *b,
                lint ldb, double *work, lint lwork)
{
    return la.dgels(layout, trans, m, n, nrhs, a, lda, b, ldb, work, lwork);
}
