/* libqpm regime: a Markov regime-switching model of returns (a hidden
 * Markov model with Gaussian emissions, optionally with regime-dependent
 * jumps): its fit by EM (Baum-Welch), the filtered and smoothed
 * probabilities of the regimes, the log-likelihood, and Monte Carlo paths.  Experimental (see common.h, "the experimental
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
 *
 * Jumps (optional: none until qpm_regime_set_jumps or a fit with
 * qpm_regime_set_fit_jumps gives them).  On each day in state k, with
 * probability p_k and independently of everything else, a market-wide
 * jump day occurs: every asset's return gets an added jump
 *     J_j ~ N(muJ_j, deltaJ_j^2),  independent across assets given the day.
 * The API takes p_k, the state's daily jump probability, everywhere (set,
 * read, fitted).  A day holds at most one jump; for Poisson arrivals of
 * intensity lambda_k per day, p_k = 1 - exp(-lambda_k) is the probability
 * of at least one, so lambda_k = -log(1 - p_k).  The returns of state k are
 * then the two-component mixture
 *     (1 - p_k) N(mu_k, Sigma_k) + p_k N(mu_k + muJ, Sigma_k + D),
 *     D = diag(deltaJ_1^2, ..., deltaJ_d^2),
 * with mean mu_k + p_k muJ and covariance Sigma_k + p_k D + p_k (1 - p_k)
 * muJ muJ'.  muJ and deltaJ are shared by the states (in the unit of the
 * returns); p (K), muJ (d) and deltaJ (d) are plain vectors.  With every
 * p_k = 0, the default, the model is the Gaussian one and every result is
 * the same, bit for bit, as without jumps.
 *
 * The initial distribution pi of s_1 (the state of the first return) is
 * one of (qpm_regime_init):
 *   QPM_REGIME_INIT_ESTIMATED  the default: a parameter of the model, which
 *                              the fit estimates (Baum-Welch: the smoothed
 *                              probabilities of day 1); uniform until a fit
 *                              or qpm_regime_set_initial sets it;
 *   QPM_REGIME_INIT_FIXED      given by the caller and held by the fit
 *                              (when the fit reorders the states, each
 *                              state keeps its probability: the handle's
 *                              pi is then the reordered one);
 *   QPM_REGIME_INIT_ERGODIC    the stationary distribution of P (pi P = pi),
 *                              statsmodels' default; it follows P.  The fit
 *                              refuses this mode (the EM step has no closed
 *                              form when pi depends on P): fit with an
 *                              estimated or fixed pi, then switch.
 *
 * The log-likelihood is that of r_1..r_T with the full Gaussian constant,
 *     log L = sum_t log sum_k P(s_t = k | r_1..r_{t-1}) f_k(r_t),
 * f_k the density of state k (N(r_t; mu_k, Sigma_k) without jumps, the
 * mixture above with them), the quantity statsmodels' MarkovRegression
 * reports (at the same parameters and initial distribution, no jumps).
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
 * Handles: a qpm_regime holds K, d, one set of parameters (jumps included)
 * and the Cholesky factors of the covariances (and of Sigma_k + D).  Calls taking a const qpm_regime * only read
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
 * a negative variance, or a Cholesky pivot <= 0 at working precision; with
 * jumps, also Sigma_k + D).  The jumps (qpm_regime_set_jumps) are kept. */
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

/* Experimental.  Sets the jumps (see "Jumps" above): p, the K daily jump
 * probabilities (each in [0, 1); all 0 removes the jumps), and mu_j and
 * delta_j, the mean and standard deviation of each of the d assets' jump
 * (delta_j >= 0, and > 0 for every asset when some p_k > 0).  May come
 * before the other parameters; qpm_regime_set_params keeps the jumps.
 * Everything is checked before anything changes.  Errors: QPM_E_NULL (m,
 * p, mu_j, delta_j), QPM_E_NONFINITE (naming the array and entry),
 * QPM_E_INVALID (p[k] outside [0, 1); delta_j[j] < 0; delta_j[j] = 0 while
 * some p[k] > 0, naming both), QPM_E_OVERFLOW (delta_j[j]^2 beyond the
 * range of double while some p[k] > 0; with every p[k] = 0 delta_j is not
 * used), QPM_E_NOTPSD (Sigma_k + D not positive definite at
 * working precision, naming the state), QPM_E_NOMEM. */
QPM_API qpm_status qpm_regime_set_jumps(qpm_regime *m, const double *p, const double *mu_j,
                                        const double *delta_j);

/* Experimental.  Copies the jumps out: p (K), mu_j (d), delta_j (d); each
 * output may be NULL.  All zero until qpm_regime_set_jumps or a fit with
 * jumps sets them; after a fit, p follows the states' order.  Errors:
 * QPM_E_NULL (m). */
QPM_API qpm_status qpm_regime_jumps(const qpm_regime *m, double *p, double *mu_j, double *delta_j);

/* Experimental.  Whether qpm_regime_fit estimates the jumps: fit = 1 (p,
 * mu_j and delta_j fitted with the other parameters) or 0 (the default:
 * the jumps held as the handle has them; none unless set).  Errors:
 * QPM_E_NULL (m), QPM_E_INVALID (fit not 0 or 1). */
QPM_API qpm_status qpm_regime_set_fit_jumps(qpm_regime *m, int fit);

/* Experimental.  The setting of qpm_regime_set_fit_jumps into *fit.
 * Errors: QPM_E_NULL (m, fit). */
QPM_API qpm_status qpm_regime_get_fit_jumps(const qpm_regime *m, int *fit);

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
 * ordered by increasing volatility (qpm_regime_params; with jumps, of each
 * state's whole variance, Sigma_k + p_k D + p_k (1 - p_k) muJ muJ').
 *
 * Jumps.  Without jumps in the handle and with qpm_regime_set_fit_jumps 0
 * (the default) the fit is the one above.  Otherwise each E-step also
 * gives, for each day t and state k, the probability w_t(k) that the day
 * jumped given s_t = k and r_t, and the M-step is exact EM for the latent
 * jump sizes: on a jump day x = mu_k + eps + J with eps ~ N(0, Sigma_k),
 * J ~ N(muJ, D), so given x the jump J is normal with mean
 *     m_t = muJ + D (Sigma_k + D)^-1 (x - mu_k - muJ)
 * and covariance V_k = D - D (Sigma_k + D)^-1 D; with g = gamma_t(k) and
 * c = g w_t(k),
 *     mu_k    = sum_t (g x_t - c m_t) / sum_t g,
 *     Sigma_k = sum_t [(g - c) e e' + c (e - m_t)(e - m_t)'] / sum_t g
 *               + (sum_t c / sum_t g) V_k,    e = x_t - mu_k,
 * and, when the jumps are fitted (qpm_regime_set_fit_jumps 1), with sums
 * over t and k of the jump days' weights c,
 *     muJ = sum c m_t / sum c,   D_jj = sum c [(m_tj - muJ_j)^2 + V_k,jj] / sum c,
 *     p_k = sum_t c / sum_t g   (held below 1).
 * Each step maximises the expected complete-data log-likelihood, so the
 * log-likelihood never decreases from one iteration to the next (unless a
 * floor binds).  delta_j^2 is floored like the variances.  The jumps start
 * from the handle's when some p_k > 0 there (a p_k = 0 then stays 0: a
 * state without jumps), else at p_k = 0.05, muJ = 0 and deltaJ_j = 3 times
 * asset j's standard deviation over the series.  With
 * qpm_regime_set_fit_jumps 0 and jumps in the handle, they are held and
 * the rest is fitted around them.
 *
 * T must exceed the number of free parameters, K (K - 1) + K d (d + 3) / 2
 * (K - 1 more with an estimated pi, K + 2 d more when the jumps are
 * fitted).  Outputs (each optional): *loglik, the
 * log-likelihood at the fitted parameters (after the last E-step: the value
 * qpm_regime_filter gives); *iterations, the EM iterations run;
 * *converged, 1 or 0.  The fitted jumps: qpm_regime_jumps.  Errors: QPM_E_NULL (m, r), QPM_E_SIZE (ldr < d, T
 * too short), QPM_E_INVALID (max_iter = 0, tol < 0 or NaN, a constant
 * asset), QPM_E_NONFINITE (naming r[t][j]), QPM_E_UNSUPPORTED (the ergodic
 * mode), QPM_E_NOCONVERGE (a state lost all its weight: the series holds
 * fewer regimes than K; with jumps, a jump-day covariance that does not
 * factorise), QPM_E_OVERFLOW (a column whose variance overflows,
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
 * normals; with jumps, the day is a jump day when a uniform u_J < p_s, and
 * then muJ_j + deltaJ_j zJ_j is added to each asset j (zJ d more standard
 * normals).  Path p, day t (0-based, the t+1-th day), asset j goes to
 * returns[(p * h + t) * ldo + j] (an (n h) x d matrix, leading dimension
 * ldo >= d) and the state to states[p * h + t] (optional).
 *
 * Draws come from `rng` in a fixed order: for each path, one uniform
 * (qpm_rng_uniform) for the start state, then for each day one uniform for
 * the transition and d normals (qpm_rng_normal), and, when the model has
 * jumps (some p_k > 0), one uniform u_J and d normals zJ, drawn every day
 * whether it jumps or not (so the draws do not depend on p); the state is
 * the first j whose cumulative probability exceeds the uniform.  Without
 * jumps the draws and the paths are those of the Gaussian model.  The run is
 * single-threaded, so a generator in the same state always gives the same
 * paths bit for bit; rng advances by the draws.  n = 0 or h = 0 draws
 * nothing.  Errors: QPM_E_NULL (m, rng, returns when n h > 0),
 * QPM_E_SIZE (ldo < d), QPM_E_STATE (no parameters), QPM_E_INVALID (start
 * not a distribution), QPM_E_NONFINITE (start), QPM_E_OVERFLOW (n h > 0
 * and a state with jumps whose mean and jump mean add up to near DBL_MAX:
 * its returns could be beyond the range of double; nothing is drawn). */
QPM_API qpm_status qpm_regime_simulate(const qpm_regime *m, qpm_rng *rng, const double *start,
                                       size_t n, size_t h, double *returns, size_t ldo,
                                       size_t *states);

#endif /* QPM_EXPERIMENTAL */

#ifdef __cplusplus
}
#endif

#endif /* QPM_REGIME_H */
