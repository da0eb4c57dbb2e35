/* Covariance module internals: the handle layout and the helpers shared by
 * its source files.  Matrices held by the handle are n x n row-major with
 * leading dimension n; only their lower triangle (j <= i) is kept current. */
#ifndef QPM_COV_INTERNAL_H
#define QPM_COV_INTERNAL_H

#include <stddef.h>

#include "core/internal.h"
#include "num/linalg.h"
#include "qpm/cov.h"

/* Rows per block in the batch fits: the data are centred (or weighted) a
 * block at a time into a buffer and accumulated with a rank-k update, so a
 * fit needs no T x N scratch.  256 rows keep dsyrk at full speed. */
#define QPM__COV_BLOCK 256u

/* LAPACK eigen-workspace for an n x n symmetric matrix. */
typedef struct qpm__cov_eig {
    size_t n;
    double *a;       /* n x n, overwritten by dsyevr */
    double *z;       /* n x n eigenvectors: eigenvector k is row k (ld n) */
    double *w;       /* n eigenvalues */
    double *work;    /* lwork */
    qpm__lapack_int *iwork, *isuppz;
    qpm__lapack_int lwork, liwork;
} qpm__cov_eig;

qpm_status qpm__cov_eig_init(qpm__cov_eig *e, const qpm_alloc *a, size_t n);
void qpm__cov_eig_free(qpm__cov_eig *e, const qpm_alloc *a);

/* Smallest eigenvalue of the symmetric part of s (n x n, lds). */
qpm_status qpm__cov_eig_min(qpm__cov_eig *e, const double *s, size_t lds, double *lmin);

/* Projects the symmetric n x n matrix x (full storage, ld n) in place onto
 * the positive semi-definite cone in the norm |W^1/2 . W^1/2|_F, where
 * sw[i] = sqrt(w_i) (sw NULL: W = I): its negative eigenvalues (of
 * W^1/2 x W^1/2) are removed.  *nneg gets their number. */
qpm_status qpm__cov_psd_project(qpm__cov_eig *e, double *x, const double *sw, size_t *nneg);

/* Mirrors the lower triangle of the n x n matrix m (ld) into its upper one. */
void qpm__cov_mirror(double *m, size_t n, size_t ld);

struct qpm_cov {
    qpm_alloc alloc;
    size_t n;

    /* settings */
    int method, target, nan_policy, returns_kind, annualise;
    int kernel, packed; /* QPM_COV_KERNEL in use (its row's id), its row's packed */
    size_t ddof, init_rows;
    double lambda, benchmark, periods;

    /* state */
    size_t nobs;     /* rows behind the state (and mean[] when > 0) */
    int have_mom;    /* mom, a4, v3 valid for the nobs rows */
    int have_ew;     /* EWMA state valid (seeded once nobs >= init_rows) */
    int est_ok;      /* est/shrink valid for the current settings */
    double *mean;    /* n */
    double *mom;     /* n x n: sum_t d_t d_t', d_t = x_t - mean */
    double a4;       /* sum_t |d_t|^4 */
    double *v3;      /* n: sum_t |d_t|^2 d_t */
    double *ew;      /* n x n: EWMA state */
    double *est;     /* n x n: the estimate */
    double shrink;
    double *tmp, *tmp2, *tmp3, *tmp4; /* n scratch each (one block) */
    double *wtab;    /* QPM__COV_BLOCK EWMA row weights */
    double *blk;     /* QPM__COV_BLOCK x n */

    /* allocated on first need */
    double *aux1, *aux2; /* n x n */
    double *blk2, *blk3; /* QPM__COV_BLOCK x n */
    qpm__cov_eig eig;
    int have_aux;
    double *ret;         /* returns of fit_prices */
    size_t ret_rows;     /* capacity of ret, in rows */
    /* rows of the current fit skipped under QPM_COV_NAN_DROP_ROWS: bit r
     * of drop is set when row r holds a NaN, found once by the first pass */
    unsigned char *drop;
    size_t drop_rows; /* capacity of drop, in rows */
    size_t n_drop;    /* rows marked; 0: drop is not read */
};

/* ---- estimators: one row per value of QPM_COV_METHOD (cov_method.c) -------
 * A new estimator adds its value to qpm_cov_method (cov.h), a row here and
 * its name; validation, the NaN policies, streaming and the getters are
 * shared. */
enum {
    QPM__COV_SHRINKS = 1u << 0, /* reports a shrinkage intensity */
    QPM__COV_PAIRWISE = 1u << 1 /* serves QPM_COV_NAN_PAIRWISE (cov_fit.c's pairwise pass) */
};

typedef struct qpm__cov_method {
    unsigned props;
    /* Whether `rows` rows (free of NaN) are enough; `code` and a message if
     * not.  NULL: the 2 rows that every method needs. */
    qpm_status (*enough_rows)(const qpm_cov *c, size_t rows, qpm_status code);
    /* Allocates what the batch pass needs (before any state changes).
     * NULL: nothing. */
    qpm_status (*prepare)(qpm_cov *c);
    /* The batch pass over the validated rows, `kept` of them used: leaves the
     * estimate (est_ok) or the stream state that finalise derives it from,
     * and refines the mean. */
    qpm_status (*fit)(qpm_cov *c, size_t t, const double *x, size_t ld, size_t kept);
    /* est and shrink from the stream state (QPM_E_STATE when it cannot serve
     * them).  NULL: computed by qpm_cov_fit only. */
    qpm_status (*finalise)(qpm_cov *c);
} qpm__cov_method;

#define QPM__COV_NMETHODS 5
/* indexed by QPM_COV_METHOD, whose bounds (cov.c) keep it in range */
extern const qpm__cov_method qpm__cov_methods[QPM__COV_NMETHODS];
extern const char *const qpm__cov_method_names[QPM__COV_NMETHODS];

/* The batch passes (cov_fit.c) that the rows point to. */
qpm_status qpm__cov_fit_moments(qpm_cov *c, size_t t, const double *x, size_t ld, size_t kept);
qpm_status qpm__cov_fit_ewma(qpm_cov *c, size_t t, const double *x, size_t ld, size_t kept);
qpm_status qpm__cov_fit_semi(qpm_cov *c, size_t t, const double *x, size_t ld, size_t kept);

/* Ledoit-Wolf toward the constant-correlation matrix: needs the squares'
 * co-moments, so fits in one batch only. */
int qpm__cov_constant_correlation(const qpm_cov *c);

/* Allocates aux1/aux2/blk2/blk3 and the eigen-workspace once. */
qpm_status qpm__cov_need_aux(qpm_cov *c);

/* Derives est (and shrink) from the moment or EWMA state for the current
 * method, or reports QPM_E_STATE, or QPM_E_OVERFLOW when the estimate is
 * beyond the range of double. */
qpm_status qpm__cov_finalize(qpm_cov *c);

/* QPM_E_OVERFLOW, naming the entry, when an entry of est (lower triangle) or
 * the shrinkage is not finite: returns too large for the method. */
qpm_status qpm__cov_check_est(const qpm_cov *c);

/* Shrinkage formulas: est from the co-moment matrix of nobs rows;
 * QPM_E_OVERFLOW when the moments they need are beyond the double range. */
qpm_status qpm__cov_shrink_lw(qpm_cov *c);
qpm_status qpm__cov_shrink_oas(qpm_cov *c);
/* Constant-correlation target from emp (lower, ddof = 0), the co-moments of
 * the squares p = sum y y' (y = d.^2, lower) and th = sum d.^3 d' (full). */
qpm_status qpm__cov_shrink_cc(qpm_cov *c, const double *p, const double *th);

/* Seeds the EWMA state from the co-moments of exactly init_rows rows. */
void qpm__cov_seed_ewma(qpm_cov *c);

/* Batch fit on validated arguments. */
qpm_status qpm__cov_fit_rows(qpm_cov *c, size_t t, const double *x, size_t ld);

/* Squared Frobenius norm of a symmetric matrix from its lower triangle. */
double qpm__cov_frob2_lower(const double *m, size_t n, size_t ld);

#endif /* QPM_COV_INTERNAL_H */
