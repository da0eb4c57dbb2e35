/* Bounded nonlinear least squares (Levenberg-Marquardt), for calibrations.
 *
 * Minimises cost(x) = 0.5 sum_i f_i(x)^2 over lower <= x <= upper (per
 * parameter, infinite bounds allowed) for m residuals f_i of n parameters.
 *
 * Method: at each iterate x, with Jacobian J, the step solves
 *   min_p |J p + f|^2 + lambda |D p|^2
 * over the parameters that are free (not at a bound that the gradient
 * J'f pushes against), by a QR factorisation of J (LAPACK dgeqrf/dormqr)
 * and, per damping value, a small least-squares solve (dgels).  D is Moré's
 * diagonal scaling: the largest Jacobian column norms seen so far.  The
 * trial point is the step projected onto the box; it is accepted when it
 * lowers the cost, and lambda follows Nielsen's gain-ratio update.  The
 * solver works in the original variables (no transformation), so a
 * parameter whose optimum lies on a bound reaches it exactly and is
 * reported active.
 *
 * Termination (checked as in scipy.optimize.least_squares):
 *   GTOL  |g|_inf <= gtol, g the projected gradient (J'f without the
 *         components that push against an active bound);
 *   FTOL  an accepted step lowered the cost by < ftol * cost with a gain
 *         ratio > 0.25;
 *   XTOL  a step (accepted or not) had |D s| < xtol (xtol + |D x|);
 * otherwise MAX_ITER, MAX_EVAL, STALLED (no representable step lowers the
 * cost), USER_STOP (a callback returned > 0) or BAD_JACOBIAN (non-finite
 * Jacobian after the start).  These are outcomes: qpm__lm_solve returns
 * QPM_OK and x holds the best point found (the last accepted one).
 *
 * Memory: qpm__lm_create allocates everything through the caller's
 * allocator for (m, n) and loads LAPACK; qpm__lm_solve allocates nothing and
 * may run any number of times (new start points, bounds, or data behind the
 * callbacks' context).  One solve at a time per object.  Same inputs give
 * bit-identical results. */
#ifndef QPM_NUM_LM_H
#define QPM_NUM_LM_H

#include <stddef.h>

#include "core/internal.h"

/* Residuals f[0..m-1] at x[0..n-1].  Returns 0; > 0 to stop the solve
 * (USER_STOP); < 0 when f cannot be computed at x (then, like non-finite
 * residuals, the trial point is rejected). */
typedef int (*qpm__lm_fn)(void *ctx, const double *x, double *f);

/* Jacobian at x, row-major m x n: jac[i * n + j] = d f_i / d x_j; f holds the
 * residuals at x.  Same return values as qpm__lm_fn (< 0: BAD_JACOBIAN). */
typedef int (*qpm__lm_jac_fn)(void *ctx, const double *x, const double *f, double *jac);

/* Finite differences, used when no Jacobian callback is given.  Steps are
 * relative to max(|x_j|, 1) (sqrt(eps), resp. cbrt(eps)) and stay inside the
 * bounds: near a bound, the one-sided formula on the side with room
 * (second order for CENTRAL); a side whose residuals fail is replaced by
 * the other side. */
typedef enum qpm__lm_diff { QPM__LM_FORWARD = 0, QPM__LM_CENTRAL = 1 } qpm__lm_diff;

typedef struct qpm__lm_options {
    double ftol;     /* >= 0; default 1e-10 */
    double xtol;     /* >= 0; default 1e-10 */
    double gtol;     /* >= 0; default 1e-10 */
    size_t max_iter; /* >= 1 iterations (Jacobian evaluations); default 200 */
    size_t max_eval; /* >= 1 residual evaluations, finite-difference ones not
                        counted; default 2000 */
    qpm__lm_diff diff;
    double lambda0;  /* initial damping, relative to the scaled J'J; default 1e-3 */
} qpm__lm_options;

typedef enum qpm__lm_reason {
    QPM__LM_GTOL = 1,
    QPM__LM_FTOL = 2,
    QPM__LM_XTOL = 3,
    QPM__LM_MAX_ITER = 4,
    QPM__LM_MAX_EVAL = 5,
    QPM__LM_STALLED = 6,
    QPM__LM_USER_STOP = 7,
    QPM__LM_BAD_RESIDUAL = 8, /* at the start point: also an error status */
    QPM__LM_BAD_JACOBIAN = 9
} qpm__lm_reason;

typedef struct qpm__lm_report {
    qpm__lm_reason reason;
    int converged;      /* reason is GTOL, FTOL or XTOL */
    size_t iterations;  /* Jacobians used for steps */
    size_t nfev;        /* residual evaluations (start and trial points) */
    size_t njev;        /* Jacobian evaluations (analytic or by differences) */
    size_t nfev_diff;   /* residual evaluations for finite differences */
    double cost0, cost; /* 0.5 |f|^2 at the start and at x */
    double grad_inf;    /* |projected gradient|_inf at x */
    double lambda;      /* damping at the end */
    size_t n_active;    /* parameters on a bound */
    const int *active;  /* n flags: -1 at lower (also a fixed x), +1 at upper, 0 */
    /* J at x with unit-norm columns, QR with column pivoting: numerical
     * rank = the number of |R_kk| > tol |R_00|, tol the Jacobian's own
     * accuracy: max(m, n) eps (analytic), sqrt(eps) (forward differences),
     * eps^(2/3) (central).  When rank = n and m > n, cov = s2 (J'J)^-1 with
     * the residual variance s2 = 2 cost / (m - n) (bounds ignored: the
     * linearisation at x), else has_cov = 0 and cov is NaN.  active and
     * cov (n x n, row-major) live in the solver until its next solve. */
    size_t rank;
    int has_cov;
    double s2;
    const double *cov;
} qpm__lm_report;

typedef struct qpm__lm qpm__lm;

/* Sets the defaults above. */
void qpm__lm_defaults(qpm__lm_options *opt);

/* Short name of a reason ("gtol", "max_iter", ...). */
const char *qpm__lm_reason_name(qpm__lm_reason reason);

/* Workspace for m >= 1 residuals and n >= 1 parameters (both below 2^31,
 * m n doubles addressable).  Loads LAPACK.  Errors: QPM_E_NULL, QPM_E_SIZE,
 * QPM_E_INVALID (allocator), QPM_E_NOMEM, QPM_E_UNSUPPORTED (no LAPACK). */
qpm_status qpm__lm_create(qpm__lm **out, const qpm_alloc *alloc, size_t m, size_t n);
void qpm__lm_free(qpm__lm *lm);

/* Solves from the start point x (n values, within the bounds), writing the
 * solution into x and the report into *rep.  lower and upper (n values each,
 * -Inf / +Inf allowed) may be NULL (unbounded); jac may be NULL (finite
 * differences per opt->diff); opt may be NULL (defaults).
 * Errors (x untouched, rep->reason set where stated): QPM_E_NULL (lm, fn, x,
 * rep), QPM_E_INVALID (a bound NaN or lower > upper, x0 outside the bounds,
 * an option out of range, residuals that the callback cannot compute at x0:
 * BAD_RESIDUAL), QPM_E_NONFINITE (x0 not finite; a non-finite residual or
 * Jacobian entry at x0: BAD_RESIDUAL / BAD_JACOBIAN), each naming the index.
 * A user stop at x0 is the outcome USER_STOP with QPM_OK. */
qpm_status qpm__lm_solve(qpm__lm *lm, qpm__lm_fn fn, qpm__lm_jac_fn jac, void *ctx,
                         const double *lower, const double *upper, const qpm__lm_options *opt,
                         double *x, qpm__lm_report *rep);

#endif /* QPM_NUM_LM_H */
