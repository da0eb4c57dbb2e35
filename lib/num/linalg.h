/* The library's only route to BLAS and LAPACK.
 *
 * libqpm does not link a BLAS: the first handle that needs linear algebra
 * (a cov, opt or risk create, or a cov stateless matrix function) calls
 * qpm__linalg_load(), which dlopen()s the BLAS and LAPACKE libraries once
 * per process and resolves every routine below.  Programs that only price,
 * draw random numbers or value books never load them, so they map no BLAS
 * and start no BLAS threads.
 *
 * Library names: the build-time defaults (meson options blas_library and
 * lapacke_library: libopenblas.so.0 and liblapacke.so.3 on Debian), or the
 * environment variables QPM_BLAS_LIBRARY and QPM_LAPACKE_LIBRARY, read once,
 * at that first load (ignored in set-user-ID programs).  A library that is
 * already in the process (numpy's OpenBLAS) is the one dlopen() returns, so
 * a process keeps one BLAS.
 *
 * The wrappers take exactly the arguments of the CBLAS and LAPACKE routines
 * they are named after (cblas_<name>, LAPACKE_<name>_work) and call them
 * unchanged.  The LAPACKE "_work" forms allocate nothing, as long as the
 * layout is column-major: callers pass QPM__LAPACK_COL_MAJOR (row-major
 * symmetric input is the column-major other triangle). */
#ifndef QPM_NUM_LINALG_H
#define QPM_NUM_LINALG_H

#include <stdint.h>

#include "core/internal.h"

/* The CBLAS enumerations, with their standard values. */
typedef enum qpm__la_order { QPM__ROW_MAJOR = 101, QPM__COL_MAJOR = 102 } qpm__la_order;
typedef enum qpm__la_trans { QPM__NO_TRANS = 111, QPM__TRANS = 112 } qpm__la_trans;
typedef enum qpm__la_uplo { QPM__UPPER = 121, QPM__LOWER = 122 } qpm__la_uplo;

/* LAPACKE's matrix_layout values and integer type (LP64 interface). */
#define QPM__LAPACK_ROW_MAJOR 101
#define QPM__LAPACK_COL_MAJOR 102
typedef int32_t qpm__lapack_int;

/* Loads BLAS and LAPACKE and resolves the routines, once per process
 * (thread-safe).  QPM_OK when they are usable; otherwise
 * QPM_E_UNSUPPORTED, with a message naming the library or routine and the
 * dynamic loader's reason, every time it is called. */
qpm_status qpm__linalg_load(void);

/* openblas_get_num_threads() of the BLAS (loading it if needed), or 0 when
 * the BLAS is not OpenBLAS (the thread count is unknown) or cannot be
 * loaded. */
int qpm__blas_threads(void);

/* ---- CBLAS (level 1, 2, 3) ----------------------------------------------- */
double qpm__ddot(int n, const double *x, int incx, const double *y, int incy);
void qpm__dscal(int n, double alpha, double *x, int incx);
void qpm__daxpy(int n, double alpha, const double *x, int incx, double *y, int incy);
void qpm__dgemv(qpm__la_order order, qpm__la_trans trans, int m, int n, double alpha,
                const double *a, int lda, const double *x, int incx, double beta, double *y,
                int incy);
void qpm__dsymv(qpm__la_order order, qpm__la_uplo uplo, int n, double alpha, const double *a,
                int lda, const double *x, int incx, double beta, double *y, int incy);
void qpm__dgemm(qpm__la_order order, qpm__la_trans transa, qpm__la_trans transb, int m, int n,
                int k, double alpha, const double *a, int lda, const double *b, int ldb,
                double beta, double *c, int ldc);
void qpm__dsyrk(qpm__la_order order, qpm__la_uplo uplo, qpm__la_trans trans, int n, int k,
                double alpha, const double *a, int lda, double beta, double *c, int ldc);

/* ---- LAPACKE, "_work" forms (return LAPACK's info) ----------------------- */
qpm__lapack_int qpm__dpotrf(int layout, char uplo, qpm__lapack_int n, double *a,
                            qpm__lapack_int lda);
qpm__lapack_int qpm__dpotrs(int layout, char uplo, qpm__lapack_int n, qpm__lapack_int nrhs,
                            const double *a, qpm__lapack_int lda, double *b, qpm__lapack_int ldb);
qpm__lapack_int qpm__dpotri(int layout, char uplo, qpm__lapack_int n, double *a,
                            qpm__lapack_int lda);
qpm__lapack_int qpm__dgetrf(int layout, qpm__lapack_int m, qpm__lapack_int n, double *a,
                            qpm__lapack_int lda, qpm__lapack_int *ipiv);
qpm__lapack_int qpm__dgetrs(int layout, char trans, qpm__lapack_int n, qpm__lapack_int nrhs,
                            const double *a, qpm__lapack_int lda, const qpm__lapack_int *ipiv,
                            double *b, qpm__lapack_int ldb);
/* dsyevr refuses a triangle holding NaN or an infinity with info = -6
 * (argument a) before LAPACK sees it: LAPACK would loop forever. */
qpm__lapack_int qpm__dsyevr(int layout, char jobz, char range, char uplo, qpm__lapack_int n,
                            double *a, qpm__lapack_int lda, double vl, double vu,
                            qpm__lapack_int il, qpm__lapack_int iu, double abstol,
                            qpm__lapack_int *m, double *w, double *z, qpm__lapack_int ldz,
                            qpm__lapack_int *isuppz, double *work, qpm__lapack_int lwork,
                            qpm__lapack_int *iwork, qpm__lapack_int liwork);
qpm__lapack_int qpm__dgeqrf(int layout, qpm__lapack_int m, qpm__lapack_int n, double *a,
                            qpm__lapack_int lda, double *tau, double *work, qpm__lapack_int lwork);
qpm__lapack_int qpm__dgeqp3(int layout, qpm__lapack_int m, qpm__lapack_int n, double *a,
                            qpm__lapack_int lda, qpm__lapack_int *jpvt, double *tau, double *work,
                            qpm__lapack_int lwork);
qpm__lapack_int qpm__dormqr(int layout, char side, char trans, qpm__lapack_int m, qpm__lapack_int n,
                            qpm__lapack_int k, const double *a, qpm__lapack_int lda,
                            const double *tau, double *c, qpm__lapack_int ldc, double *work,
                            qpm__lapack_int lwork);
qpm__lapack_int qpm__dgels(int layout, char trans, qpm__lapack_int m, qpm__lapack_int n,
                           qpm__lapack_int nrhs, double *a, qpm__lapack_int lda, double *b,
                           qpm__lapack_int ldb, double *work, qpm__lapack_int lwork);

#endif /* QPM_NUM_LINALG_H */
