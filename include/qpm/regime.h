/* libqpm regime: a Markov regime-switching model of returns (a hidden
 * Markov model with Gaussian emissions): its fit by EM (Baum-Welch), the
 * filtered and smoothed probabilities of the regimes, the log-likelihood,
 * and Monte Carlo paths.  Experimental (see common.h, "the experimental
 * tier"): every declaration here is seen only with QPM_EXPERIMENTAL
 * defined.
 *
 * The model
 * ---------
 * K = 2 or 3 hidden states s_t follow a Markov chain with the
 * row-stochastic transition matrix P (K x K, row-major):
 *     P[i * K + j] = P(s_t = j | s_{t-1} = i),  every row summing to 1.
 * (statsmodels' MarkovSwitching holds the transpose: its
 * regime_transition[i, j] is P(s_t = i | s_{t-1} = j).)  In state k the
 * return vector r_t of the d >= 1 assets is Gaussian N(mu_k, Sigma_k):
 * regime-dependent means, volatilities and correlations.  Returns are in
 * whatever unit the caller uses (daily log returns, say); the means and
 * covariances come out in the same unit.  The parameters are laid out as
 *     mu     K x d,      mu[k * d + j]               (row-major)
 *     sigma  K x d x d,  sigma[(k * d + i) * d + j]  (Sigma_k, row-major)
 * Jumps are not modelled: a regime of large moves is a state with a large
 * Sigma_k.
 *
 * The initial distribution pi of s_1 (the state of the first return) is
 * one of (qpm_regime_init):
 *   QPM_REGIME_INIT_ESTIMATED  the default: a parameter of the model, which
 *                              the fit estimates (Baum-Welch: the smoothed
 *                              probabilities of day 1); uniform until a fit
 *                              or qpm_regime_set_initial sets it;
 *   QPM_REGIME_INIT_FIXED      given by the caller and held by the fit;
 *   QPM_REGIME_INIT_ERGODIC    the stationary distribution of P (pi P = pi),
 *                              statsmodels' default; it follows P.  The fit
 *                              refuses this mode (the EM step has no closed
 *                              form when pi depends on P): fit with an
 *                              estimated or fixed pi, then switch.
 *
 * The log-likelihood is that of r_1..r_T with the full Gaussian constant,
 *     log L = sum_t log sum_k P(s_t = k | r_1..r_{t-1}) N(r_t; mu_k, Sigma_k),
 * the quantity statsmodels' MarkovRegression reports (at the same
 * parameters and initial distribution).
 *
 * Numerical guards
 * ----------------
 * - The forward-backward recursions are scaled (each day's densities
 *   relative to the day's largest, and the forward probabilities normalised
 *   to sum 1), so no series length underflows.
 * - A covariance given by the caller must be symmetric (to 1e-12 relative)
 *   and positive definite (QPM_E_NOTPSD otherwise, naming the state).
 * - The fit floors each state's variances at 1e-6 times the variance of
 *   that asset over the whole series, and adds that floor to the diagonal of
 *   a state covariance that is not positive definite to working precision:
 *   a state that collapses onto a few returns would otherwise make the
 *   likelihood unbounded.  A constant asset (zero variance over the series)
 *   is refused (QPM_E_INVALID).  No output of any function is ever NaN.
 *
 * Handles: a qpm_regime holds K, d, one set of parameters and the Cholesky
 * factors of the covariances.  Calls taking a const qpm_regime * only read
 * it and may run on several threads at once; the others need the handle to
 * themselves.  Calls that take a series allocate O(T K) scratch memory
 * through the handle's allocator for the duration of the call.
 *
 * Errors: every function returns a qpm_status; on failure qpm_last_error()
 * names the argument, the row and column or the state, and the bound; the
 * handle's parameters and every output are unchanged, and the handle stays
 * usable. */
#ifndef QPM_REGIME_H
#define QPM_REGIME_H

#include <stddef.h>

#include "qpm/common.h"
#include "qpm/rng.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Tolerance of the experimental regime functions: a transition row, an
 * initial or a start distribution is accepted when its entries are >= 0
 * and sum to 1 within it (1e-9); it is then used as given (not
 * renormalised).  Also qpm_regime_prob_tol(). */
#define QPM_REGIME_PROB_TOL 1e-9

#ifdef QPM_EXPERIMENTAL

/* Opaque model handle. */
typedef struct qpm_regime qpm_regime;

/* The initial distribution of the hidden chain (see above).  Values are
 * stable and append-only. */
typedef enum qpm_regime_init {
    QPM_REGIME_INIT_ESTIMATED = 0, /* a model parameter; the fit estimates it */
    QPM_REGIME_INIT_FIXED = 1,     /* given by the caller; the fit keeps it */
    QPM_REGIME_INIT_ERGODIC = 2    /* the stationary distribution of P */
} qpm_regime_init;

/* Experimental.  QPM_REGIME_PROB_TOL as a function, for bindings. */
QPM_API double qpm_regime_prob_tol(void);

/* Experimental.  Creates a model of k states (2 or 3) over d assets
 * (1 <= d <= 1000), with no parameters yet: qpm_regime_fit or
 * qpm_regime_set_params gives them (the other calls return QPM_E_STATE
 * before).  The initial distribution is QPM_REGIME_INIT_ESTIMATED, uniform.
 * `alloc` may be NULL (malloc/free).  Errors: QPM_E_NULL (out, or a NULL
 * function in *alloc), QPM_E_INVALID (k not 2 or 3, alloc->size too small),
 * QPM_E_SIZE (d = 0 or d > 1000), QPM_E_NOMEM.  *out is NULL on failure. */
QPM_API qpm_status qpm_regime_create(qpm_regime **out, const qpm_alloc *alloc, size_t k, size_t d);

/* Experimental.  Frees the handle (NULL is a no-op). */
QPM_API void qpm_regime_free(qpm_regime *m);

/* Experimental.  The number of states and of assets (either output may be
 * NULL).  Errors: QPM_E_NULL (m). */
QPM_API qpm_status qpm_regime_dims(const qpm_regime *m, size_t *k, size_t *d);

/* Experimental.  Sets the parameters: the transition matrix P (K x K,
 * row-stochastic: entries >= 0, each row summing to 1 within
 * QPM_REGIME_PROB_TOL), the means mu (K x d) and the covariances sigma
 * (K x d x d, each symmetric and positive definite); layouts above.  All
 * are checked before anything changes.  Errors: QPM_E_NULL (m, P, mu,
 * sigma), QPM_E_NONFINITE (naming the array and entry), QPM_E_INVALID (a
 * negative transition probability, a row whose sum is off, an asymmetric
 * covariance), QPM_E_NOTPSD (a covariance that is not positive definite:
 * a negative variance, or a Cholesky pivot <= 0 at working precision). */
QPM_API qpm_status qpm_regime_set_params(qpm_regime *m, const double *P, const double *mu,
                                         const double *sigma);

/* Experimental.  Copies the parameters out: P (K x K), pi (K: the initial
 * distribution in use, the stationary one of P in the ergodic mode), mu
 * (K x d), sigma (K x d x d); each output may be NULL.  After a fit the
 * states are ordered by increasing volatility: the trace of Sigma_k with
 * each asset scaled by its variance over the fitted series.  Errors:
 * QPM_E_NULL (m), QPM_E_STATE (no parameters yet). */
QPM_API qpm_status qpm_regime_params(const qpm_regime *m, double *P, double *pi, double *mu,
                                     double *sigma);

/* Experimental.  Sets the initial distribution mode and, for
 * QPM_REGIME_INIT_ESTIMATED (the fit's starting value; NULL keeps the
 * current one) and QPM_REGIME_INIT_FIXED (required), the distribution pi
 * (K entries >= 0 summing to 1 within QPM_REGIME_PROB_TOL).  pi is ignored
 * in the ergodic mode.  Errors: QPM_E_NULL (m; pi in the fixed mode),
 * QPM_E_INVALID (unknown mode, a negative entry or a sum that is off),
 * QPM_E_NONFINITE. */
QPM_API qpm_status qpm_regime_set_initial(qpm_regime *m, qpm_regime_init mode, const double *pi);

/* Experimental.  The current initial distribution mode into *mode.
 * Errors: QPM_E_NULL (m, mode). */
QPM_API qpm_status qpm_regime_get_initial(const qpm_regime *m, qpm_regime_init *mode);

/* Experimental.  Sets the progress callback of qpm_regime_fit (NULL: none):
 * called after each EM iteration with done = iteration / max_iter, and with
 * 1 at the end (common.h, qpm_progress_fn).  A cancelled fit returns
 * QPM_E_CANCELLED and leaves the parameters as they were.  Errors:
 * QPM_E_NULL (m). */
QPM_API qpm_status qpm_regime_set_progress(qpm_regime *m, qpm_progress_fn fn, void *user);

/* Experimental.  Fits the model to the T x d returns r (row-major, leading
 * dimension ldr >= d: r[t * ldr + j] is asset j on day t) by EM
 * (Baum-Welch) and stores the fitted parameters in the handle.
 *
 * Initialisation (deterministic, from the data; the handle's current P, mu
 * and sigma are not used): each day's squared norm of the returns
 * standardised by the series' means and standard deviations ranks the
 * days; the days are cut into K groups of equal size by that rank, calmest
 * first, and each state starts with its group's mean and covariance
 * (floored as above); P starts with 0.9 on the diagonal and 0.1 / (K - 1)
 * elsewhere; pi starts from the handle's (uniform unless
 * qpm_regime_set_initial gave one).
 *
 * Each iteration runs the scaled forward-backward pass (E-step), then sets
 * P_ij = sum_{t>=2} xi_t(i, j) / sum_{t>=2} sum_j xi_t(i, j), mu_k and
 * Sigma_k to the means and covariances weighted by the smoothed
 * probabilities gamma_t(k) (floored as above), and pi = gamma_1 in the
 * estimated mode.  It stops after the first iteration whose log-likelihood
 * changes by at most tol * (1 + |log L|) (converged), or after max_iter
 * iterations (not converged: a result, not an error).  The states are then
 * ordered by increasing volatility (qpm_regime_params).
 *
 * T must exceed the number of free parameters, K (K - 1) + K d (d + 3) / 2
 * (K - 1 more with an estimated pi).  Outputs (each optional): *loglik, the
 * log-likelihood at the fitted parameters (after the last E-step: the value
 * qpm_regime_filter gives); *iterations, the EM iterations run;
 * *converged, 1 or 0.  Errors: QPM_E_NULL (m, r), QPM_E_SIZE (ldr < d, T
 * too short), QPM_E_INVALID (max_iter = 0, tol < 0 or NaN, a constant
 * asset), QPM_E_NONFINITE (naming r[t][j]), QPM_E_UNSUPPORTED (the ergodic
 * mode), QPM_E_NOCONVERGE (a state lost all its weight: the series holds
 * fewer regimes than K), QPM_E_OVERFLOW (a column whose variance overflows,
 * or as qpm_regime_filter), QPM_E_CANCELLED, QPM_E_NOMEM.  On error the
 * handle's parameters are unchanged. */
QPM_API qpm_status qpm_regime_fit(qpm_regime *m, size_t T, const double *r, size_t ldr,
                                  size_t max_iter, double tol, double *loglik, size_t *iterations,
                                  int *converged);

/* Experimental.  Runs the scaled forward-backward pass over the T x d
 * returns r (leading dimension ldr >= d, T >= 1) at the handle's
 * parameters: filtered[t * K + k] = P(s_t = k | r_1..r_t) and
 * smoothed[t * K + k] = P(s_t = k | r_1..r_T) (T x K each, row-major; rows
 * sum to 1), and *loglik, the log-likelihood of the series; each output
 * optional.  The last filtered row is the distribution of today's state, a
 * start for qpm_regime_simulate.  Errors: QPM_E_NULL (m, r), QPM_E_SIZE
 * (T = 0, ldr < d), QPM_E_NONFINITE (naming r[t][j]), QPM_E_STATE (no
 * parameters), QPM_E_OVERFLOW (day t has probability 0 under every state
 * the chain can be in: the log-likelihood is -inf), QPM_E_NOMEM. */
QPM_API qpm_status qpm_regime_filter(const qpm_regime *m, size_t T, const double *r, size_t ldr,
                                     double *filtered, double *smoothed, double *loglik);

/* Experimental.  Simulates n paths of h days from the model: the state of
 * day 0 (today) is drawn from `start` (K probabilities, >= 0, summing to 1
 * within QPM_REGIME_PROB_TOL; NULL: the initial distribution in use), then
 * for each day t = 1..h the state moves by P and the day's returns are
 * mu_s + L_s z with L_s the Cholesky factor of Sigma_s and z d standard
 * normals.  Path p, day t (0-based, the t+1-th day), asset j goes to
 * returns[(p * h + t) * ldo + j] (an (n h) x d matrix, leading dimension
 * ldo >= d) and the state to states[p * h + t] (optional).
 *
 * Draws come from `rng` in a fixed order: for each path, one uniform
 * (qpm_rng_uniform) for the start state, then for each day one uniform for
 * the transition and d normals (qpm_rng_normal); the state is the first j
 * whose cumulative probability exceeds the uniform.  The run is
 * single-threaded, so a generator in the same state always gives the same
 * paths bit for bit; rng advances by the draws.  n = 0 or h = 0 draws
 * nothing.  Errors: QPM_E_NULL (m, rng, returns when n h > 0),
 * QPM_E_SIZE (ldo < d), QPM_E_STATE (no parameters), QPM_E_INVALID (start
 * not a distribution), QPM_E_NONFINITE (start). */
QPM_API qpm_status qpm_regime_simulate(const qpm_regime *m, qpm_rng *rng, const double *start,
                                       size_t n, size_t h, double *returns, size_t ldo,
                                       size_t *states);

#endif /* QPM_EXPERIMENTAL */

#ifdef __cplusplus
}
#endif

#endif /* QPM_REGIME_H */
