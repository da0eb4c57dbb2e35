/* libqpm portfolio optimisation: how should I allocate?
 *
 * A qpm_opt handle holds one allocation problem over n assets: an annualised
 * covariance matrix S (n x n), expected returns mu, and constraints on the
 * weights w:
 *
 *   budget          sum_i w_i = B                     (QPM_OPT_BUDGET, default 1)
 *   box             lower_i <= w_i <= upper_i         (default long-only: 0 and +inf)
 *   gross leverage  sum_i |w_i| <= L                  (QPM_OPT_GROSS_LIMIT, default off)
 *   turnover        sum_i |w_i - w0_i| <= T           (QPM_OPT_TURNOVER_LIMIT, default off;
 *                                                      w0 from qpm_opt_set_current)
 *   groups          lo_g <= sum_{i in g} w_i <= hi_g  (qpm_opt_set_groups)
 *   linear rows     lo_r <= a_r' w <= hi_r            (qpm_opt_set_linear)
 *
 * and solves one of the problems of qpm_opt_problem:
 *
 *   QPM_OPT_MIN_VARIANCE   min w'Sw
 *   QPM_OPT_MEAN_VARIANCE  max mu'w - (gamma/2) w'Sw       (gamma: QPM_OPT_GAMMA)
 *   QPM_OPT_TARGET_RETURN  min w'Sw  s.t. mu'w = r*         (r*: QPM_OPT_RETURN_TARGET)
 *   QPM_OPT_TARGET_RISK    max mu'w  s.t. sqrt(w'Sw) <= s*  (s*: QPM_OPT_VOL_TARGET)
 *   QPM_OPT_MAX_SHARPE     max (mu'w - rf) / sqrt(w'Sw)     (rf: QPM_OPT_RISK_FREE)
 *   QPM_OPT_ERC            equal risk contribution, long-only:
 *                          w_i (Sw)_i = w'Sw / n for every i, w > 0, sum w = B
 *   QPM_OPT_MIN_CVAR       min CVaR_alpha of the loss -r_t'w over the T scenarios
 *                          of qpm_opt_set_scenarios (Rockafellar-Uryasev LP:
 *                          min z + sum_t u_t / ((1 - alpha) T), u_t >= 0,
 *                          u_t >= -r_t'w - z; alpha: QPM_OPT_CVAR_ALPHA)
 *
 * all under every constraint above except ERC, which takes only the budget
 * (B > 0) and ignores the others.  qpm_opt_frontier traces the efficient
 * frontier (target-return problems between the minimum-variance return and
 * the largest attainable return).
 *
 * Method.  The quadratic problems are solved by a primal-dual interior-point
 * method (Mehrotra predictor-corrector) on the convex QP
 *     min 1/2 x'Px + c'x  s.t.  equalities, box and linear inequalities,
 * with the absolute values of the gross and turnover limits split by
 * auxiliary variables t_i >= |w_i| (resp. |w_i - w0_i|).  The interior point
 * then hands its active set to an exact active-set step: the equality-
 * constrained QP on that set is solved directly (LU with iterative
 * refinement), and the full KKT conditions are verified (primal feasibility
 * and the signs of the multipliers), changing the set one constraint at a
 * time when they fail.  Weights on a bound are then exactly the bound value
 * (0.0 for long-only), and the rest are accurate to about 1e-14.
 * MAX_SHARPE uses the homogenised QP: min y'Sy s.t. mu'y - rf k = 1 and every
 * constraint multiplied through by k >= 0 (all stay convex, the limits
 * included: sum |y - k w0| <= T k), then w = y / k; it requires B > 0 and
 * some feasible portfolio with return above rf.  TARGET_RISK searches the
 * target return whose minimum-variance volatility equals s* (safeguarded
 * secant on the frontier, which is convex and increasing).  ERC minimises the
 * convex 1/2 y'Sy - (1/n) sum ln y_i by Newton's method with a line search
 * and returns w = B y / sum y.
 *
 * KKT convention (solution info QPM_OPT_INFO_NU etc.): with P = 2S, c = 0 for
 * MIN_VARIANCE and TARGET_RETURN (and TARGET_RISK's final QP), P = gamma S,
 * c = -mu for MEAN_VARIANCE, the optimum satisfies
 *     P w + c + nu 1 (+ eta mu) - lam_lower + lam_upper + lambda_gross g + ... = 0
 * with g a subgradient of sum |w_i|; nu is reported as QPM_OPT_INFO_NU.
 * MAX_SHARPE and ERC report nu = NaN, and so does the top frontier point
 * when it is taken from the LP vertex (QPM_OPT_INFO_EXACT = 0; its limit
 * multipliers are NaN too, 0 for a limit that is off).  QPM_OPT_INFO_LAMBDA_GROSS and
 * _TURNOVER are 0 when the limit is off or slack, and for ERC (which ignores
 * the limits); for MAX_SHARPE an active limit reports the multiplier of the
 * TARGET_RETURN problem at the solution's expected return (the homogenised
 * multiplier divided by kappa).
 *
 * Scale.  Covariances and expected returns may be given in any units: the
 * solution does not depend on their scale (a covariance from 1e-300 to
 * 1e300, subnormal ones included, expected returns likewise).  Outside the
 * ranges where the solvers work on the data as given (largest variance in
 * [2^-20, 2^20], largest |mu_i| and |rf| in [2^-4, 2^4]), the data enter the
 * QP multiplied by the exact power of two that brings them into [1, 2), and
 * the results are scaled back; inside, nothing changes.  The constraint data
 * (budget, bounds, limits, rows) are used as given.
 *
 * Verification.  Before QPM_OK, every solution is checked against its
 * constraints (budget, box, groups, linear rows, gross and turnover limits;
 * ERC: budget and w > 0) to a relative tolerance of max(1e-8,
 * 10 QPM_OPT_TOLERANCE) of each constraint's scale (its bound plus the
 * scale of the weights); a solution that breaks one is QPM_E_NOCONVERGE.
 *
 * Memory: create allocates the n x n matrix and vectors; the first solve of
 * a given problem shape (number of variables and constraints; for ERC, its
 * Newton workspace) allocates the solver workspace, which later solves of
 * the same or a smaller shape reuse without allocating.  Threads: a handle is used by one thread at a time;
 * the dense factorisations run in the linked BLAS/LAPACK.
 *
 * Errors of every solving call: QPM_E_STATE (no covariance set, or no
 * expected returns for a problem that needs them), QPM_E_INFEASIBLE (the
 * constraints admit no portfolio; the message names the constraints where
 * they are found inconsistent before solving), QPM_E_NOCONVERGE (the solver
 * did not converge within QPM_OPT_MAX_ITER iterations, or its solution
 * fails the verification above), QPM_E_NOMEM, QPM_E_CANCELLED (frontier).
 * On any error, argument errors included, the outputs are untouched
 * (qpm_opt_frontier: the points done stay written), the solution info is
 * cleared (QPM_E_STATE from qpm_opt_info, qpm_opt_bound_flags and
 * qpm_opt_risk_contributions until the next successful solve) and the
 * handle stays usable. */
#ifndef QPM_OPT_H
#define QPM_OPT_H

#include <stddef.h>
#include <stdint.h>

#include "qpm/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct qpm_opt qpm_opt;

/* Problems (argument of qpm_opt_solve).  Append-only. */
typedef enum qpm_opt_problem {
    QPM_OPT_MIN_VARIANCE = 0,
    QPM_OPT_MEAN_VARIANCE = 1,
    QPM_OPT_TARGET_RETURN = 2,
    QPM_OPT_TARGET_RISK = 3,
    QPM_OPT_MAX_SHARPE = 4,
    QPM_OPT_ERC = 5,
    QPM_OPT_MIN_CVAR = 6
} qpm_opt_problem;

/* Setting keys.  Values are explicit and never reused; qpm_opt_bounds gives
 * each key's inclusive range. */
typedef enum qpm_opt_key {
    QPM_OPT_GAMMA = 0,          /* risk aversion of MEAN_VARIANCE, > 0; default 1 */
    QPM_OPT_RISK_FREE = 1,      /* risk-free rate of MAX_SHARPE, per year; default 0 */
    QPM_OPT_BUDGET = 2,         /* B in sum w = B; default 1 */
    QPM_OPT_GROSS_LIMIT = 3,    /* L in sum |w| <= L, >= 0; +inf (default) turns it off */
    QPM_OPT_TURNOVER_LIMIT = 4, /* T in sum |w - w0| <= T, >= 0; +inf (default): off */
    QPM_OPT_RETURN_TARGET = 5,  /* r* of TARGET_RETURN, per year; default 0 */
    QPM_OPT_VOL_TARGET = 6,        /* s* of TARGET_RISK, per sqrt(year), > 0; default 0.5 */
    QPM_OPT_TOLERANCE = 7,      /* interior-point tolerance before the exact step;
                                   default 1e-10, in [1e-14, 1e-4] */
    QPM_OPT_MAX_ITER = 8,       /* iteration limit of each solver phase, whole number;
                                   default 200, in [1, 1e6] */
    QPM_OPT_CVAR_ALPHA = 9      /* confidence level of MIN_CVAR, in (0, 1); default 0.95 */
} qpm_opt_key;

/* Solution info keys of qpm_opt_info.  Append-only. */
typedef enum qpm_opt_info_key {
    QPM_OPT_INFO_OBJECTIVE = 0,  /* the problem's objective: w'Sw (MIN_VARIANCE, TARGET_RETURN,
                                    ERC), mu'w - gamma/2 w'Sw (MEAN_VARIANCE), mu'w
                                    (TARGET_RISK), (mu'w - rf)/sqrt(w'Sw) (MAX_SHARPE),
                                    the CVaR (MIN_CVAR) */
    QPM_OPT_INFO_EXP_RETURN = 1, /* mu'w (NaN when no expected returns are set) */
    QPM_OPT_INFO_VARIANCE = 2,   /* w'Sw */
    QPM_OPT_INFO_VOLATILITY = 3, /* sqrt(w'Sw) */
    QPM_OPT_INFO_SUM_W = 4,      /* sum w */
    QPM_OPT_INFO_GROSS = 5,      /* sum |w| */
    QPM_OPT_INFO_TURNOVER = 6,   /* sum |w - w0| */
    QPM_OPT_INFO_NU = 7,         /* budget multiplier (see the KKT convention above) */
    QPM_OPT_INFO_LAMBDA_GROSS = 8,    /* gross-limit multiplier (0 when off or slack) */
    QPM_OPT_INFO_LAMBDA_TURNOVER = 9, /* turnover-limit multiplier (0 when off or slack) */
    QPM_OPT_INFO_ITERATIONS = 10,     /* solver iterations (all phases, all QPs) */
    QPM_OPT_INFO_N_ZERO = 11,    /* number of weights exactly 0.0 */
    QPM_OPT_INFO_N_AT_BOUND = 12,/* number of weights exactly at lower or upper */
    QPM_OPT_INFO_EXACT = 13,     /* 1 when the exact active-set step verified the KKT
                                    conditions, 0 when the interior-point solution is
                                    returned as is */
    QPM_OPT_INFO_PROBLEM = 14    /* the qpm_opt_problem solved */
} qpm_opt_info_key;

/* Group membership value meaning "in no group" (qpm_opt_set_groups): the
 * largest size_t, (size_t)-1, spelled without a cast so that C++ code using
 * it compiles under -Wold-style-cast. */
#define QPM_OPT_NO_GROUP SIZE_MAX

/* Creates a handle for n assets with the defaults above, no covariance and
 * no expected returns.  alloc may be NULL (malloc/free).  Errors: QPM_E_NULL
 * (out), QPM_E_SIZE (n = 0 or n > 100000), QPM_E_INVALID (bad allocator),
 * QPM_E_NOMEM.  *out is NULL on failure. */
QPM_API qpm_status qpm_opt_create(qpm_opt **out, const qpm_alloc *alloc, size_t n);

/* Frees the handle.  NULL is a no-op. */
QPM_API void qpm_opt_free(qpm_opt *o);

/* Changes a setting.  Errors: QPM_E_NULL, QPM_E_KEY, QPM_E_RANGE (outside
 * qpm_opt_bounds, NaN, or not a whole number for MAX_ITER); the handle is
 * unchanged on error. */
QPM_API qpm_status qpm_opt_set(qpm_opt *o, qpm_opt_key key, double value);

/* Reads a setting.  Errors: QPM_E_NULL, QPM_E_KEY. */
QPM_API qpm_status qpm_opt_get(const qpm_opt *o, qpm_opt_key key, double *value);

/* Inclusive range of a setting.  Errors: QPM_E_NULL, QPM_E_KEY. */
QPM_API qpm_status qpm_opt_bounds(qpm_opt_key key, double *lo, double *hi);

#ifdef QPM_EXPERIMENTAL
/* Experimental (see common.h).  Describes the setting `key`: its name as
 * in this header, type, bounds, default, whether it is read-only and, for
 * an enumeration, the names of its values; for bindings and tools that
 * build their settings from the library.  Thread-safe.  Errors: QPM_E_NULL
 * (info), QPM_E_INVALID (info->size too small), QPM_E_KEY. */
QPM_API qpm_status qpm_opt_describe(qpm_opt_key key, qpm_setting_info *info);
#endif

/* Sets the covariance matrix (n x n, row-major, leading dimension ld >= n;
 * copied).  It must be symmetric (|S_ij - S_ji| <= 1e-12 max(|S_ii|, |S_jj|),
 * the mean of the two is used) and positive semi-definite (smallest
 * eigenvalue >= -1e-12 trace(S); a NaN eigenvalue fails).  Entries may be
 * anywhere in the double range: the mean of the two and the trace are formed
 * without overflow.  May allocate LAPACK workspace for the eigenvalue check.  Errors: QPM_E_NULL, QPM_E_SIZE (ld < n),
 * QPM_E_NONFINITE (names cov[i][j]), QPM_E_INVALID (asymmetric: names the
 * pair), QPM_E_NOTPSD (the message gives the smallest eigenvalue),
 * QPM_E_NOCONVERGE (eigensolver), QPM_E_NOMEM.  Unchanged on error. */
QPM_API qpm_status qpm_opt_set_covariance(qpm_opt *o, const double *cov, size_t ld);

/* Sets the n expected returns (per year; copied).  Errors: QPM_E_NULL,
 * QPM_E_NONFINITE. */
QPM_API qpm_status qpm_opt_set_expected_returns(qpm_opt *o, const double *mu);

/* Sets the box lower_i <= w_i <= upper_i (n values each, copied; -inf and
 * +inf allowed, NaN not; lower_i == upper_i fixes w_i).  Errors: QPM_E_NULL,
 * QPM_E_NONFINITE (NaN, lower = +inf or upper = -inf), QPM_E_INFEASIBLE
 * (lower_i > upper_i, or the budget outside [sum lower, sum upper]: the
 * message gives the index or the sums).  Unchanged on error. */
QPM_API qpm_status qpm_opt_set_bounds(qpm_opt *o, const double *lower, const double *upper);

/* Sets the current portfolio w0 of the turnover limit (n values; default
 * all 0).  Errors: QPM_E_NULL, QPM_E_NONFINITE. */
QPM_API qpm_status qpm_opt_set_current(qpm_opt *o, const double *w0);

/* Sets group constraints: asset i belongs to group group_of[i] (< n_groups)
 * or to none (QPM_OPT_NO_GROUP), and lo[g] <= sum_{i in g} w_i <= hi[g]
 * (+-inf allowed).  n_groups = 0 removes them (the arrays may then be NULL).
 * Replaces earlier groups.  Errors: QPM_E_NULL, QPM_E_INVALID (group index
 * out of range), QPM_E_NONFINITE (NaN), QPM_E_INFEASIBLE (lo[g] > hi[g]).
 * Unchanged on error. */
QPM_API qpm_status qpm_opt_set_groups(qpm_opt *o, size_t n_groups, const size_t *group_of,
                                      const double *lo, const double *hi);

/* Sets general linear constraints lo[r] <= sum_i a[r * lda + i] w_i <= hi[r]
 * for r < m (a: m x n row-major, finite; lo/hi may be infinite).  m = 0
 * removes them.  Kept beside the groups; replaces earlier linear rows.
 * Errors: QPM_E_NULL, QPM_E_SIZE (lda < n, m > 100000), QPM_E_NONFINITE,
 * QPM_E_INFEASIBLE (lo[r] > hi[r]), QPM_E_NOMEM.  Unchanged on error. */
QPM_API qpm_status qpm_opt_set_linear(qpm_opt *o, size_t m, const double *a, size_t lda,
                                      const double *lo, const double *hi);

/* Sets the scenario returns of MIN_CVAR: t rows of n returns (row s, asset i
 * at returns[s * ld + i]; copied).  t = 0 removes them.  The LP has n + t + 1
 * variables and its dense solver workspace grows as (n + t)^2: intended for
 * t up to a few thousand.  Errors: QPM_E_NULL, QPM_E_SIZE (ld < n,
 * t > 100000), QPM_E_NONFINITE, QPM_E_NOMEM.  Unchanged on error. */
QPM_API qpm_status qpm_opt_set_scenarios(qpm_opt *o, size_t t, const double *returns,
                                         size_t ld);

/* Sets the progress callback of qpm_opt_frontier (NULL: none); see
 * qpm_progress_fn.  Errors: QPM_E_NULL (o). */
QPM_API qpm_status qpm_opt_set_progress(qpm_opt *o, qpm_progress_fn fn, void *user);

/* Solves `problem` with the current data and settings and writes the n
 * weights to w.  The solution info (qpm_opt_info, qpm_opt_bound_flags)
 * describes this solution until the next solving call.  Errors: QPM_E_NULL,
 * QPM_E_INVALID (unknown problem; B <= 0 for MAX_SHARPE or ERC), the solving
 * errors listed at the top, QPM_E_SINGULAR (ERC with an asset of zero
 * variance). */
QPM_API qpm_status qpm_opt_solve(qpm_opt *o, qpm_opt_problem problem, double *w);

/* Traces the efficient frontier at k points: target returns r_j equally
 * spaced from the minimum-variance portfolio's return (j = 0) to the largest
 * return the constraints allow (j = k - 1; with an unbounded feasible set,
 * the largest expected return times the budget).  Row j of weights
 * (k x n, leading dimension ldw >= n) gets the weights, returns[j] mu'w and
 * vols[j] sqrt(w'Sw); each output may be NULL.  k = 1 gives the
 * minimum-variance point.  Progress is reported after each point.  The
 * solution info describes the last point (its problem reads TARGET_RETURN).
 * The points after the first start the exact active-set step from the
 * previous point's active set, which usually spares the interior point.
 * Errors: QPM_E_NULL (o), QPM_E_SIZE (k = 0, ldw < n), QPM_E_STATE,
 * QPM_E_INFEASIBLE, QPM_E_NOCONVERGE, QPM_E_CANCELLED, QPM_E_NOMEM,
 * QPM_E_OVERFLOW (a point's return or volatility beyond the range of
 * double, e.g. expected returns near DBL_MAX); the points done before an
 * error stay written, the others are untouched. */
QPM_API qpm_status qpm_opt_frontier(qpm_opt *o, size_t k, double *weights, size_t ldw,
                                    double *returns, double *vols);

/* A value of the last solution (see qpm_opt_info_key).  Errors: QPM_E_NULL,
 * QPM_E_KEY, QPM_E_STATE (no successful solve since creation or since the
 * last failed one), QPM_E_OVERFLOW (this value is beyond the range of
 * double, while the weights are not: the budget multiplier or the variance
 * of a covariance near DBL_MAX, the Sharpe ratio of a portfolio of zero
 * variance; the documented NaNs are returned as values). */
QPM_API qpm_status qpm_opt_info(const qpm_opt *o, qpm_opt_info_key key, double *value);

/* Which weights of the last solution sit exactly on a bound: flags[i] = -1
 * (w_i == lower_i), +1 (w_i == upper_i, when lower_i < upper_i) or 0.
 * Errors: QPM_E_NULL, QPM_E_STATE. */
QPM_API qpm_status qpm_opt_bound_flags(const qpm_opt *o, int *flags);

/* Risk contributions w_i (Sw)_i of the last solution (they sum to w'Sw).
 * Errors: QPM_E_NULL, QPM_E_STATE, QPM_E_OVERFLOW (a contribution beyond
 * the range of double, as a covariance near DBL_MAX allows; rc untouched). */
QPM_API qpm_status qpm_opt_risk_contributions(const qpm_opt *o, double *rc);

#ifdef __cplusplus
}
#endif

#endif /* QPM_OPT_H */
