/* libqpm covariance estimation: how do my assets move together?
 *
 * A qpm_cov handle estimates an N x N covariance matrix from a returns
 * matrix (T rows of time by N assets, row-major with an explicit leading
 * dimension) or from prices, with one of these methods:
 *
 *   QPM_COV_SAMPLE       sample covariance  Xc'Xc / (T - ddof), Xc = X - mean
 *   QPM_COV_EWMA         RiskMetrics exponentially weighted covariance (not
 *                        demeaned), seeded with the ddof = 1 sample covariance
 *                        of the first QPM_COV_EWMA_INIT_ROWS rows:
 *                        S_k = seed, S_t = lambda S_{t-1} + (1 - lambda) x_t x_t'
 *   QPM_COV_LEDOIT_WOLF  Ledoit-Wolf shrinkage of the biased (ddof = 0)
 *                        covariance toward a target chosen by QPM_COV_TARGET:
 *                        the scaled identity mu I, mu = tr(S)/N (identical to
 *                        scikit-learn's LedoitWolf), or the constant-correlation
 *                        matrix of Ledoit and Wolf (2004, "Honey, I shrunk the
 *                        sample covariance matrix")
 *   QPM_COV_OAS          Oracle Approximating Shrinkage of the biased
 *                        covariance toward mu I, with scikit-learn 1.2.1's
 *                        formula: alpha = |S|_F^2 / N^2,
 *                        s = min((alpha + mu^2) / ((T + 1)(alpha - mu^2 / N)), 1)
 *   QPM_COV_SEMI         downside semicovariance about the benchmark return B
 *                        (QPM_COV_BENCHMARK):
 *                        sum_t min(x_ti - B, 0) min(x_tj - B, 0) / T
 *
 * All inputs and outputs are per period (e.g. daily) unless QPM_COV_ANNUALISE
 * is set, in which case the covariance and the mean are multiplied by
 * QPM_COV_PERIODS_PER_YEAR (default 365, the crypto calendar year) and the
 * volatilities by its square root.  Correlations are unaffected.
 *
 * Typical use:
 *     qpm_cov *c;
 *     qpm_cov_create(&c, NULL, n);
 *     qpm_cov_set(c, QPM_COV_METHOD, QPM_COV_LEDOIT_WOLF);
 *     qpm_cov_fit(c, t, returns, n);
 *     qpm_cov_covariance(c, sigma, n);
 *     qpm_cov_shrinkage(c, &s);
 *     qpm_cov_free(c);
 *
 * Streaming: qpm_cov_push adds one return row and updates, in O(N^2) time and
 * without the history, the running mean and co-moments (from which SAMPLE,
 * LEDOIT_WOLF with the identity target and OAS are derived) and the EWMA
 * state.  qpm_cov_fit leaves the handle as if its rows had been pushed (for
 * the method it fitted), so fit-then-push equals a fit on all the rows, and
 * qpm_cov_reset starts an empty stream that tracks both.
 *
 * Missing data (QPM_COV_NAN_POLICY): a NaN return is "missing"; +-Inf is
 * always an error.  QPM_COV_NAN_ERROR (default) rejects NaN; DROP_ROWS
 * ignores every row holding a NaN; PAIRWISE estimates each entry from the
 * rows where both assets are present (each pair with its own means and its
 * own count minus ddof as divisor; semicovariance divides by the pair count),
 * then, if the result is not positive semi-definite, replaces it by the
 * nearest positive semi-definite matrix in the Frobenius norm (Higham 1988:
 * negative eigenvalues set to 0).  PAIRWISE serves SAMPLE and SEMI only.
 *
 * Memory: qpm_cov_create allocates everything the common paths need
 * (3 N x N matrices plus a 256-row block buffer).  The first fit with the
 * constant-correlation target or the PAIRWISE policy allocates, once, four
 * more N x N matrices, two row blocks and LAPACK workspace;
 * qpm_cov_fit_prices keeps a (T - 1) x N returns buffer, grown when a longer
 * T arrives.  No other handle call allocates; the stateless functions below
 * allocate their own workspace per call.
 *
 * Threads and kernels: a handle is used by one thread at a time.  The heavy
 * work is a symmetric rank-k update of the co-moments, run by the kernel of
 * QPM_COV_KERNEL: the BLAS's dsyrk (whose own thread count applies,
 * OPENBLAS_NUM_THREADS) or libqpm's own single-threaded AVX-512 kernel,
 * which the sample, EWMA, Ledoit-Wolf (identity target) and OAS fits use
 * (the constant-correlation target, the semicovariance and the PAIRWISE
 * policy always use dsyrk).  The default, QPM_COV_KERNEL_AUTO, chooses from
 * the CPU alone: the own kernel where the CPU has AVX-512F, dsyrk
 * elsewhere; the BLAS thread count never changes which kernel runs, so a
 * fit's bits depend only on the CPU and the settings (with dsyrk also on
 * the BLAS library and its threads).  The two kernels agree to rounding.
 *
 * Errors: see each function.  A failed argument check leaves the handle
 * unchanged; a fit that fails after its checks (e.g. QPM_E_NOMEM, a pair
 * without enough common rows) leaves the handle with no estimate: getters
 * then return QPM_E_STATE until the next successful fit. */
#ifndef QPM_COV_H
#define QPM_COV_H

#include <stddef.h>

#include "qpm/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct qpm_cov qpm_cov;

/* Estimation methods (values of QPM_COV_METHOD).  Append-only. */
typedef enum qpm_cov_method {
    QPM_COV_SAMPLE = 0,
    QPM_COV_EWMA = 1,
    QPM_COV_LEDOIT_WOLF = 2,
    QPM_COV_OAS = 3,
    QPM_COV_SEMI = 4
} qpm_cov_method;

/* Shrinkage targets of QPM_COV_LEDOIT_WOLF (values of QPM_COV_TARGET). */
typedef enum qpm_cov_target {
    QPM_COV_TARGET_IDENTITY = 0,            /* mu I (scikit-learn LedoitWolf) */
    QPM_COV_TARGET_CONSTANT_CORRELATION = 1 /* Ledoit-Wolf 2004 */
} qpm_cov_target;

/* Missing-data policies (values of QPM_COV_NAN_POLICY). */
typedef enum qpm_cov_nan_policy {
    QPM_COV_NAN_ERROR = 0,
    QPM_COV_NAN_DROP_ROWS = 1,
    QPM_COV_NAN_PAIRWISE = 2
} qpm_cov_nan_policy;

/* Return definitions (values of QPM_COV_RETURNS and the `kind` argument of
 * qpm_cov_returns_from_prices). */
typedef enum qpm_cov_returns_kind {
    QPM_COV_LOG_RETURNS = 0,   /* ln(p_t / p_{t-1}) */
    QPM_COV_SIMPLE_RETURNS = 1 /* p_t / p_{t-1} - 1 */
} qpm_cov_returns_kind;

/* Setting keys.  Values are explicit and never reused; qpm_cov_bounds gives
 * each key's inclusive range.  Integer-valued keys accept only whole numbers. */
typedef enum qpm_cov_key {
    QPM_COV_METHOD = 0,           /* qpm_cov_method; default QPM_COV_SAMPLE */
    QPM_COV_DDOF = 1,             /* SAMPLE divisor T - ddof; default 1 */
    QPM_COV_LAMBDA = 2,           /* EWMA decay, in (0, 1); default 0.94 */
    QPM_COV_EWMA_INIT_ROWS = 3,   /* rows in the EWMA seed, >= 2; default 20 */
    QPM_COV_TARGET = 4,           /* qpm_cov_target; default IDENTITY */
    QPM_COV_NAN_POLICY = 5,       /* qpm_cov_nan_policy; default ERROR */
    QPM_COV_BENCHMARK = 6,        /* SEMI threshold return per period; default 0 */
    QPM_COV_PERIODS_PER_YEAR = 7, /* annualisation factor; default 365 */
    QPM_COV_ANNUALISE = 8,        /* 0 or 1: getters return annualised values; default 0 */
    QPM_COV_RETURNS = 9,          /* qpm_cov_returns_kind for fit_prices; default LOG */
    QPM_COV_KERNEL = 10           /* qpm_cov_kernel (see "Threads and kernels"); default
                                     AUTO; reads give the kernel in use (BLAS or AVX512);
                                     AVX512 on a CPU without AVX-512F: QPM_E_UNSUPPORTED */
} qpm_cov_key;

/* Co-moment kernels (values of QPM_COV_KERNEL).  Append-only. */
typedef enum qpm_cov_kernel {
    QPM_COV_KERNEL_AUTO = 0,  /* AVX512 where the CPU has AVX-512F, else BLAS */
    QPM_COV_KERNEL_BLAS = 1,  /* the BLAS's dsyrk, with its own threads */
    QPM_COV_KERNEL_AVX512 = 2 /* libqpm's AVX-512F kernel, one thread */
} qpm_cov_kernel;

/* Creates a handle for n_assets assets.  alloc may be NULL (malloc/free).
 * Errors: QPM_E_NULL (out), QPM_E_SIZE (n_assets = 0 or above 2^31 - 1),
 * QPM_E_INVALID/QPM_E_NULL (bad allocator), QPM_E_NOMEM.  *out is NULL on
 * failure. */
QPM_API qpm_status qpm_cov_create(qpm_cov **out, const qpm_alloc *alloc, size_t n_assets);

/* Frees the handle and everything it owns.  NULL is a no-op. */
QPM_API void qpm_cov_free(qpm_cov *c);

/* Changes a setting.  Errors: QPM_E_NULL, QPM_E_KEY (unknown key),
 * QPM_E_RANGE (value outside qpm_cov_bounds, not a whole number where one is
 * needed, or NaN), QPM_E_UNSUPPORTED (a kernel this CPU lacks); the handle
 * is unchanged on error.  Changing METHOD, DDOF,
 * TARGET or BENCHMARK re-derives the estimate from the stream state at the
 * next getter call (or asks for a new fit with QPM_E_STATE where that state
 * cannot serve it); changing LAMBDA or EWMA_INIT_ROWS discards an EWMA state
 * that already depends on it. */
QPM_API qpm_status qpm_cov_set(qpm_cov *c, qpm_cov_key key, double value);

/* Reads a setting into *value.  Errors: QPM_E_NULL, QPM_E_KEY. */
QPM_API qpm_status qpm_cov_get(const qpm_cov *c, qpm_cov_key key, double *value);

/* Inclusive range [*lo, *hi] of a setting (the open interval (0, 1) of
 * LAMBDA is reported as its nearest doubles).  Errors: QPM_E_NULL, QPM_E_KEY. */
QPM_API qpm_status qpm_cov_bounds(qpm_cov_key key, double *lo, double *hi);

#ifdef QPM_EXPERIMENTAL
/* Experimental (see common.h).  Describes the setting `key`: its name as
 * in this header, type, bounds, default, whether it is read-only and, for
 * an enumeration, the names of its values; for bindings and tools that
 * build their settings from the library.  Thread-safe.  Errors: QPM_E_NULL
 * (info), QPM_E_INVALID (info->size too small), QPM_E_KEY. */
QPM_API qpm_status qpm_cov_describe(qpm_cov_key key, qpm_setting_info *info);
#endif

/* Estimates the covariance of t rows of returns (row r, asset j at
 * returns[r * ld + j]) with the current settings, replacing any earlier
 * estimate and stream state.  Needs, after any dropped rows, at least 2 rows,
 * more than DDOF rows for SAMPLE, and at least EWMA_INIT_ROWS rows for EWMA.
 * EWMA skips the oldest rows when their total remaining weight is provably
 * below 2^-60 of the largest result variance (below double rounding).
 * Errors: QPM_E_NULL, QPM_E_SIZE (t < 2, ld < n_assets, too few rows),
 * QPM_E_NONFINITE (+-Inf anywhere; NaN under QPM_COV_NAN_ERROR; the message
 * names returns[row][col]), QPM_E_INVALID (returns so large that a column
 * sum overflows), QPM_E_OVERFLOW (returns so large that the estimate, or
 * the fourth moments a shrinkage intensity needs, are beyond the range of
 * double, e.g. a return of 1e200: the handle is then left with no estimate
 * and no stream state), QPM_E_UNSUPPORTED (PAIRWISE with a method other
 * than SAMPLE or SEMI), QPM_E_SINGULAR (constant-correlation target with a
 * zero-variance asset), QPM_E_NOCONVERGE (LAPACK failure in the PSD repair),
 * QPM_E_NOMEM.  LEDOIT_WOLF and OAS need the largest variance within
 * [2^-500, 2^500] (their intensities square the variances and use fourth
 * moments); outside it they give QPM_E_OVERFLOW. */
QPM_API qpm_status qpm_cov_fit(qpm_cov *c, size_t t, const double *returns, size_t ld);

/* Like qpm_cov_fit on the t - 1 return rows computed from t rows of prices
 * (> 0; NaN marks a missing price and yields missing returns) with the
 * QPM_COV_RETURNS definition.  Errors: those of qpm_cov_fit and of
 * qpm_cov_returns_from_prices (a NaN price is QPM_E_NONFINITE under
 * QPM_COV_NAN_ERROR). */
QPM_API qpm_status qpm_cov_fit_prices(qpm_cov *c, size_t t, const double *prices, size_t ld);

/* Starts an empty stream: forgets the estimate and every row seen.  Errors:
 * QPM_E_NULL. */
QPM_API qpm_status qpm_cov_reset(qpm_cov *c);

/* Adds one return row (n_assets values) to the stream in O(N^2) time:
 * the running mean and co-moments (Welford-type updates) and the EWMA
 * recursion (the first EWMA_INIT_ROWS rows form the seed).  Under
 * DROP_ROWS a row with a NaN is skipped (QPM_OK, nothing changes).  Errors:
 * QPM_E_NULL, QPM_E_NONFINITE (+-Inf; NaN under ERROR), QPM_E_UNSUPPORTED
 * (NaN under PAIRWISE), QPM_E_STATE (the last fit kept no stream state: a
 * batch-only method, PAIRWISE; call qpm_cov_reset or fit again),
 * QPM_E_OVERFLOW (the row would take a co-moment or the EWMA state beyond
 * the range of double).  The handle is unchanged on error. */
QPM_API qpm_status qpm_cov_push(qpm_cov *c, const double *row);

/* Writes the full symmetric estimate (n_assets x n_assets, row-major, leading
 * dimension ld >= n_assets) into out.  Errors: QPM_E_NULL, QPM_E_SIZE (ld),
 * QPM_E_STATE (no estimate: nothing fitted, too few rows for the method, or
 * a setting changed that only a new fit can serve), QPM_E_OVERFLOW (the
 * estimate of pushed rows, or its annualised value, is beyond the range of
 * double; out untouched). */
QPM_API qpm_status qpm_cov_covariance(qpm_cov *c, double *out, size_t ld);

/* Writes the correlation matrix C_ij / sqrt(C_ii C_jj) of the estimate (unit
 * diagonal; sqrt(C_ii C_jj) formed without overflow or underflow; entries
 * kept in [-1, 1] against rounding; a variance below DBL_MIN is subnormal
 * and has fewer significant digits, and so have its correlations).
 * Errors: those of qpm_cov_covariance, and QPM_E_SINGULAR when an asset has
 * zero variance (out untouched). */
QPM_API qpm_status qpm_cov_correlation(qpm_cov *c, double *out, size_t ld);

/* Writes the n_assets volatilities sqrt(C_ii).  Errors: QPM_E_NULL,
 * QPM_E_STATE, QPM_E_OVERFLOW (as qpm_cov_covariance). */
QPM_API qpm_status qpm_cov_volatility(qpm_cov *c, double *out);

/* Writes the n_assets mean returns of the rows used (PAIRWISE: each asset
 * over its own present values).  Errors: QPM_E_NULL, QPM_E_STATE (no rows),
 * QPM_E_OVERFLOW (an annualised mean beyond the range of double; out
 * untouched). */
QPM_API qpm_status qpm_cov_mean(qpm_cov *c, double *out);

/* Shrinkage intensity in [0, 1] of the estimate (LEDOIT_WOLF, OAS); 0 for the
 * methods that do not shrink.  Errors: QPM_E_NULL, QPM_E_STATE. */
QPM_API qpm_status qpm_cov_shrinkage(qpm_cov *c, double *out);

/* Number of rows behind the estimate (rows fitted or pushed, after dropped
 * rows; PAIRWISE: the rows given).  Errors: QPM_E_NULL. */
QPM_API qpm_status qpm_cov_nobs(const qpm_cov *c, size_t *out);

/* Returns from t rows of prices (row r, asset j at prices[r * ldp + j]):
 * out row r (r = 0..t-2) holds the return from price row r to r + 1, as
 * ln(p1/p0) (computed as log1p((p1 - p0)/p0) when p1/p0 is in [1/2, 2], and
 * as ln p1 - ln p0 when p1/p0 overflows or falls below DBL_MIN, so that every
 * pair of positive prices, 4.9e-324 to 1.8e308, gives its log return to full
 * accuracy) or p1/p0 - 1.  A NaN price gives NaN returns on both sides of
 * it.  out may be prices itself when ldo == ldp.  Errors: QPM_E_NULL,
 * QPM_E_SIZE (t < 2, n = 0, ldp or ldo < n), QPM_E_INVALID (unknown kind,
 * price <= 0), QPM_E_NONFINITE (+-Inf price), QPM_E_OVERFLOW (a simple
 * return beyond the range of double, naming both prices); out is untouched
 * on error. */
QPM_API qpm_status qpm_cov_returns_from_prices(size_t t, size_t n, const double *prices, size_t ldp,
                                               qpm_cov_returns_kind kind, double *out, size_t ldo);

/* Nearest correlation matrix (Higham 2002, alternating projections with
 * Dykstra's correction) to the symmetric part (A + A')/2 of the n x n matrix
 * a, in the weighted Frobenius norm |W^1/2 (A - X) W^1/2|_F, W = diag(weights)
 * (weights NULL: all 1).  Iterates until the relative changes of both
 * iterates and their relative gap are <= tol, or maxiter iterations.  out
 * (n x n, ldo) receives a valid correlation matrix: unit diagonal, every
 * entry in [-1, 1], smallest eigenvalue >= -8 n 2^-52 (zero to rounding).  It
 * is the PSD iterate rescaled to unit diagonal; where rounding (amplified by
 * large weight ratios) leaves that rescaled matrix indefinite, it is shrunk
 * toward the identity, (1 - t) X + t I, by the least t that makes it PSD.
 * *iters (optional) gets the iteration count.  Not converging within maxiter:
 * with converged != NULL it is a result, QPM_OK with *converged = 0 (1 when
 * converged) and out holding the last iterate made valid as above; with
 * converged == NULL the call fails with QPM_E_NOCONVERGE, so that it cannot
 * pass unnoticed.  Workspace (about 6 n^2 doubles) is allocated per call
 * through alloc (NULL: malloc/free).  Errors: QPM_E_NULL, QPM_E_SIZE (n = 0,
 * lda or ldo < n), QPM_E_NONFINITE (a), QPM_E_INVALID (weight <= 0 or not
 * finite, tol not in (0, 1), maxiter = 0, an entry of (A + A')/2 beyond
 * +-1e6: the iteration's rounding is about 2^-52 times the largest entry, so
 * beyond it the result would be off by more than 1e-10), QPM_E_NOCONVERGE (not converged
 * and converged == NULL; LAPACK eigensolver failure; an iterate that left the
 * floating-point range), QPM_E_NOMEM; out, *iters and *converged are
 * untouched on error. */
QPM_API qpm_status qpm_cov_nearest_correlation(const qpm_alloc *alloc, size_t n, const double *a,
                                               size_t lda, const double *weights, double tol,
                                               size_t maxiter, double *out, size_t ldo,
                                               size_t *iters, int *converged);

/* Smallest eigenvalue of the symmetric part of the n x n matrix a (LAPACK
 * dsyevr; the symmetric part is formed without overflow).  Workspace
 * through alloc (NULL: malloc/free).  Errors: QPM_E_NULL, QPM_E_SIZE,
 * QPM_E_NONFINITE, QPM_E_NOCONVERGE, QPM_E_OVERFLOW (the eigenvalue is
 * below -DBL_MAX, as entries near DBL_MAX allow), QPM_E_NOMEM. */
QPM_API qpm_status qpm_cov_min_eigenvalue(const qpm_alloc *alloc, size_t n, const double *a,
                                          size_t lda, double *lambda_min);

/* PSD check: QPM_OK when the smallest eigenvalue of the symmetric part of a
 * is >= -tol (tol >= 0, absolute), QPM_E_NOTPSD otherwise (also when it is
 * not a number), with the eigenvalue in the message.  The symmetric part
 * (a_ij + a_ji) / 2 is formed without overflow for any finite entries.
 * *lambda_min (optional) receives it in both cases (-inf with QPM_E_NOTPSD
 * when it is below -DBL_MAX).  Other errors as qpm_cov_min_eigenvalue, and
 * QPM_E_INVALID for a negative or non-finite tol. */
QPM_API qpm_status qpm_cov_check_psd(const qpm_alloc *alloc, size_t n, const double *a, size_t lda,
                                     double tol, double *lambda_min);

#ifdef __cplusplus
}
#endif

#endif /* QPM_COV_H */
