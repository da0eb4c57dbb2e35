/* libqpm risk: how much can I lose in a bad day?
 *
 * Value at Risk and Expected Shortfall of a loss sample, sample moments,
 * parametric (normal, Cornish-Fisher) VaR and ES, and a Monte Carlo engine
 * (qpm_risk handle) that draws correlated heavy-tailed scenarios and
 * revalues a qpm_book under each.
 *
 * Conventions (those of the reference data)
 * -----------------------------------------
 * - Losses are positive numbers: loss = -P&L, in the P&L's currency (USD for
 *   a book).  VaR and ES are reported as losses.
 * - alpha is the confidence level in (0, 1), e.g. 0.99.
 * - Historical VaR of a sample L_1..L_N sorted ascending, L(1) <= ... <=
 *   L(N): VaR = L(k) with k = ceil(alpha N).  alpha N is evaluated so that a
 *   decimal alpha whose exact product with N is a whole number gives that
 *   number (0.95 x 10000 = 9500 exactly, although the double nearest 0.95 is
 *   not 0.95): when the floating-point product lies within a few units in
 *   the last place of a whole number, that number is taken.
 * - Historical ES (Acerbi-Tasche):
 *     ES = [ sum_{i=k+1..N} L(i) + (k - alpha N) L(k) ] / (N (1 - alpha)),
 *   the denominator evaluated as (N - k) + (k - alpha N) with the same
 *   alpha N, and the sum compensated (Neumaier), so ES is accurate to a few
 *   ulp of the sum's condition.
 * - Parametric (mu, sigma, skew S, excess kurtosis K of the LOSS
 *   distribution), z = Phi^{-1}(alpha) (qpm_norm_inv):
 *     var_normal = mu + sigma z,  es_normal = mu + sigma phi(z) / (1 - alpha),
 *     var_cf = mu + sigma z_cf,
 *     z_cf = z + (z^2 - 1) S/6 + (z^3 - 3z) K/24 - (2z^3 - 5z) S^2/36.
 *
 * Standard errors (qpm_risk_var_es)
 * ---------------------------------
 * - VaR: the asymptotic standard error of a sample quantile,
 *   sqrt(alpha (1 - alpha) / N) / f(VaR), with the sparsity 1/f(VaR)
 *   estimated by Siddiqui's difference quotient of order statistics,
 *   (L(ceil(N (alpha + h))) - L(ceil(N (alpha - h)))) / (2h), over the
 *   Hall-Sheather bandwidth h = N^(-1/3) z_0.975^(2/3)
 *   (1.5 phi(z)^2 / (2 z^2 + 1))^(1/3), z = Phi^{-1}(alpha); the two
 *   levels are clipped to [1/N, 1] (one-sided near the ends).  When both
 *   levels round to the same rank (small N, e.g. 20 losses at 99 %), the
 *   nearest two distinct ranks are used, so every N >= 2 gets a standard
 *   error: 0 when the order statistics are equal there (a constant
 *   sample); N = 1 gives NaN.
 * - ES: the asymptotic standard error of the Acerbi-Tasche estimator,
 *   sqrt( (V_tail + alpha (ES - VaR)^2) / (N (1 - alpha)) ), where V_tail
 *   is the sample variance of the losses beyond VaR about ES (the tail
 *   weights of the ES formula); 0 when the tail is L(N) alone.
 *   Both assume independent draws (true of the Monte Carlo scenarios, an
 *   approximation for overlapping historical returns).
 *
 * Monte Carlo scenarios (qpm_risk handle)
 * ---------------------------------------
 * Scenario s of n underlyings over a horizon of h days (QPM_RISK_HORIZON_DAYS):
 *   g ~ N(0, I_n); with QPM_RISK_T_DOF = nu (> 2, finite): w ~ chi^2(nu)
 *   drawn once per scenario and shared by all underlyings, c = sqrt((nu -
 *   2) / w), else c = 1;
 *   ret_u = sqrt(h) c (L g)_u + J_u, where L L' = cov (the daily
 *   covariance of log returns set by qpm_risk_set_covariance), so the
 *   returns are multivariate Student t with covariance h cov (its copula is
 *   the t copula, its marginals t with nu degrees of freedom: tail
 *   dependence across underlyings);
 *   jumps (Merton): J_u = m_u mu_J + sqrt(m_u) sigma_J e_u, m_u ~
 *   Poisson(lambda h), e_u ~ N(0, 1), independent per underlying, with
 *   lambda = QPM_RISK_JUMP_INTENSITY per day, mu_J = QPM_RISK_JUMP_MEAN and
 *   sigma_J = QPM_RISK_JUMP_STD (log-return jump sizes);
 *   spot_move_u = exp(ret_u) - 1;
 *   vol shift (a common vol-of-vol factor moving every option vol of every
 *   underlying by sigma -> sigma (1 + v)): v = exp(x sqrt(h) f - x^2 h / 2)
 *   - 1, f ~ N(0, 1), x = QPM_RISK_VOL_OF_VOL per sqrt(day) (E[1 + v] = 1;
 *   v = 0 when x = 0).
 * The diffusive log returns have mean zero (no drift over short horizons).
 * Scenario s draws, in this order, from stream b = s / QPM_RISK_BLOCK of the
 * handle's base generator (qpm_rng_set_stream, PCG64DXSM seeded with
 * QPM_RISK_SEED): n normals g (qpm_rng_normal; see the experimental
 * QPM_RISK_NORMALS), then (t only) one chi-square w, then (vol of
 * vol only) one normal f, then (jumps only) n Poisson counts m_u and one
 * normal e_u for each u with m_u > 0, in order of u; the earlier scenarios of
 * its block come first.  So the scenarios depend
 * only on the settings and the seed: never on the thread count or on the
 * number of scenarios asked for (the first n of a longer run are the same).
 *
 * Threads: a handle is used by one thread at a time.  QPM_RISK_THREADS
 * worker threads (the caller included) draw the scenarios, block by block;
 * the book's P&L runs on the calling thread under the book's own thread
 * setting.  Results are bit-identical for any thread counts.
 *
 * Memory: qpm_risk_create allocates the handle and its base generator;
 * qpm_risk_set_covariance its factor; the first run after a change of the
 * number of underlyings, of threads or of scenarios (growing) allocates the
 * run buffers (QPM_RISK_BATCH scenarios of moves, the P&L of every scenario
 * and one generator per thread), which later runs reuse: a run allocates
 * nothing else.
 *
 * Errors: see each function; a failure leaves the handle's settings and
 * covariance as they were, and the outputs untouched unless stated.
 */
#ifndef QPM_RISK_H
#define QPM_RISK_H

#include <stddef.h>

#include "qpm/book.h"
#include "qpm/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- stateless statistics ------------------------------------------------- */

/* Historical VaR and Acerbi-Tasche ES of the loss sample losses[0..n-1] at
 * the n_alpha confidence levels alpha[j] (any order, repeats allowed), with
 * their standard errors (see the header comment).  Outputs var, es, var_se
 * and es_se hold n_alpha values each; any may be NULL.  The input is not
 * modified: n + 4 n_alpha doubles of scratch come from `alloc` (NULL:
 * malloc) and are freed before return.  O(n) per level (selection, not a
 * sort).  Any finite losses are served: sums that would overflow (losses
 * near DBL_MAX) are taken of the sample scaled by a power of two.
 * Errors: QPM_E_NULL (losses, alpha), QPM_E_SIZE (n = 0 or n_alpha = 0),
 * QPM_E_NONFINITE (a NaN/Inf loss or alpha, naming its index),
 * QPM_E_INVALID (alpha[j] not in (0, 1)), QPM_E_OVERFLOW (a standard error
 * beyond the range of double), QPM_E_NOMEM.  Outputs are untouched on
 * failure. */
QPM_API qpm_status qpm_risk_var_es(const qpm_alloc *alloc, size_t n, const double *losses,
                                   size_t n_alpha, const double *alpha, double *var, double *es,
                                   double *var_se, double *es_se);

/* Sample moments of x[0..n-1]: mean, standard deviation with ddof = 1,
 * skewness g1 = m3 / m2^1.5 and excess kurtosis g2 = m4 / m2^2 - 3 from
 * the biased (/n) central moments m_k (scipy's defaults).  Two passes with
 * compensated sums; when the deviations from the mean are below about
 * 2^-200 (their fourth powers would underflow), a third pass takes them
 * scaled by a power of two, so skew and exkurt stay right for any
 * non-constant sample ({0, 1e-100}: skew 0, exkurt -2).  Any output may be
 * NULL.  std needs n >= 2; skew and exkurt need m2 > 0 (a constant sample
 * gives NaN for them, QPM_OK).
 * Errors: QPM_E_NULL (x), QPM_E_SIZE (n = 0, or n = 1 with std wanted),
 * QPM_E_NONFINITE (naming the index), QPM_E_INVALID (values so large that
 * the moments overflow). */
QPM_API qpm_status qpm_risk_moments(size_t n, const double *x, double *mean, double *std,
                                    double *skew, double *exkurt);

/* Biased central moments m2, m3, m4 (sum (x - mean)^k / n) of x[0..n-1];
 * any output may be NULL.  Errors as qpm_risk_moments (n >= 1). */
QPM_API qpm_status qpm_risk_central_moments(size_t n, const double *x, double *m2, double *m3,
                                            double *m4);

/* Parametric VaR/ES of n loss distributions (structure of arrays): for each
 * i, mean mu[i], standard deviation sigma[i] >= 0, skewness skew[i] and
 * excess kurtosis exkurt[i] of the loss, level alpha[i] in (0, 1); formulas
 * in the header comment.  skew and exkurt may be NULL (zeros: var_cf then
 * equals var_normal).  Outputs var_normal, es_normal, var_cf (n values
 * each) may be NULL.  Errors: QPM_E_NULL (mu, sigma, alpha), QPM_E_SIZE
 * (n = 0), QPM_E_NONFINITE, QPM_E_INVALID (sigma < 0, alpha outside
 * (0, 1)), QPM_E_OVERFLOW (a wanted result beyond the range of double, e.g.
 * var_cf with |skew| near 1e160 and sigma 1), each naming the first bad
 * index; outputs untouched. */
QPM_API qpm_status qpm_risk_parametric(size_t n, const double *mu, const double *sigma,
                                       const double *skew, const double *exkurt,
                                       const double *alpha, double *var_normal,
                                       double *es_normal, double *var_cf);

/* Delta-normal and delta-gamma VaR of a portfolio of n underlyings from its
 * USD Greeks: delta_usd[u] = S_u dV/dS_u (P&L per unit relative move) and
 * gamma_usd[u] = S_u^2 d2V/dS_u^2 (cross-gammas are taken as 0), under
 * normal relative moves with covariance horizon_days * cov (cov: n x n
 * daily covariance, row-major, leading dimension ld >= n).
 *   delta-normal: P&L = d'x,  var_dn = z sqrt(d' C d)  (mean 0);
 *   delta-gamma:  P&L = d'x + x'Gx/2, G = diag(gamma_usd); its mean, standard
 *   deviation, skewness and excess kurtosis follow from the cumulants of a
 *   quadratic form in normals (kappa_1 = tr(GC)/2, kappa_2 = d'Cd +
 *   tr((GC)^2)/2, kappa_3 = 3 d'CGCd + tr((GC)^3), kappa_4 = 12 d'CGCGCd +
 *   3 tr((GC)^4)) of the loss -P&L, and var_dg is their Cornish-Fisher VaR.
 * Any of var_dn, var_dg, dg_moments (4 values: mean, std, skew, exkurt of the
 * loss) may be NULL.  cov is checked exactly as qpm_risk_set_covariance
 * checks it (same statuses and messages).  Errors: QPM_E_NULL, QPM_E_SIZE
 * (n = 0 or above 4096, ld < n), QPM_E_NONFINITE, QPM_E_INVALID (alpha
 * outside (0, 1), horizon_days <= 0, cov not symmetric or with a negative
 * diagonal), QPM_E_NOTPSD (cov not positive semi-definite, naming the
 * failing Cholesky pivot and the smallest eigenvalue), QPM_E_OVERFLOW (a
 * cumulant or result beyond the range of double), QPM_E_NOMEM (scratch of
 * 4 n^2 doubles from alloc, and the eigensolver's workspace for a singular
 * cov), QPM_E_UNSUPPORTED (the BLAS/LAPACK libraries cannot be loaded: see
 * README, "Embedding"); outputs untouched on failure. */
QPM_API qpm_status qpm_risk_delta_gamma(const qpm_alloc *alloc, size_t n, const double *delta_usd,
                                        const double *gamma_usd, const double *cov, size_t ld,
                                        double horizon_days, double alpha, double *var_dn,
                                        double *var_dg, double *dg_moments);

/* ---- Monte Carlo engine ----------------------------------------------------- */

typedef struct qpm_risk qpm_risk;

/* Setting keys for qpm_risk_set / _get / _bounds.  Values are stable and
 * append-only.  Whole-number keys accept only whole numbers. */
typedef enum qpm_risk_key {
    QPM_RISK_SCENARIOS = 0,      /* Monte Carlo scenarios per run, 1..2^31; default 10000 */
    QPM_RISK_SEED = 1,           /* seed of the base generator, 0..2^53; default 0 */
    QPM_RISK_HORIZON_DAYS = 2,   /* horizon in days, (0, 3650]; default 1 */
    QPM_RISK_T_DOF = 3,          /* Student-t degrees of freedom nu: 0 or +Inf = Gaussian,
                                    else > 2 (finite variance); default 0 */
    QPM_RISK_JUMP_INTENSITY = 4, /* jumps per day per underlying, [0, 100]; default 0 */
    QPM_RISK_JUMP_MEAN = 5,      /* mean log jump size, [-5, 5]; default 0 */
    QPM_RISK_JUMP_STD = 6,       /* std of the log jump size, [0, 5]; default 0 */
    QPM_RISK_VOL_OF_VOL = 7,     /* vol of the common vol factor per sqrt(day), [0, 5];
                                    default 0 (no vol shifts) */
    QPM_RISK_THREADS = 8,        /* threads drawing scenarios, 1..qpm_max_threads(); default 1 */
    QPM_RISK_ALPHA = 9,          /* confidence level of the run's VaR and ES, (0, 1);
                                    default 0.99 */
    QPM_RISK_EWMA_LAMBDA = 10,   /* qpm_risk_historical: 0 = plain historical simulation
                                    (default); in (0, 1): filtered historical simulation with
                                    this EWMA decay */
    QPM_RISK_BLOCK = 11,         /* scenarios per generator stream (read-only: 4096) */
    QPM_RISK_BATCH = 12          /* scenarios revalued per book call and per progress report
                                    (read-only: 65536) */
#ifdef QPM_EXPERIMENTAL
    ,
    /* Experimental (see common.h).  The volatility filter of
     * qpm_risk_historical, a qpm_risk_filter (default QPM_RISK_FILTER_EWMA:
     * the behaviour of QPM_RISK_EWMA_LAMBDA above, unchanged).  The GARCH
     * filters fit a GARCH(1,1) (include/qpm/garch.h) to each underlying's
     * returns and filter with it, whatever QPM_RISK_EWMA_LAMBDA holds. */
    QPM_RISK_FILTER = 13,
    /* Experimental.  How qpm_risk_simulate and qpm_risk_historical revalue
     * the book, a qpm_risk_revaluation (default QPM_RISK_REVALUE_EXACT). */
    QPM_RISK_REVALUATION = 14,
    /* Experimental.  Target interpolation error of QPM_RISK_REVALUE_GRID,
     * relative to the largest |P&L| of each underlying over its grid,
     * [1e-12, 1e-2]; default 1e-7.  Refinement stops at 8193 spot nodes
     * (and about 65,000 spot x vol nodes with vol moves): the bound then
     * reports what was reached. */
    QPM_RISK_GRID_TOL = 15,
    /* Experimental.  How the Monte Carlo turns its uniforms into normals, a
     * qpm_risk_normals (default QPM_RISK_NORMALS_PRECISE). */
    QPM_RISK_NORMALS = 16
#endif
} qpm_risk_key;

#ifdef QPM_EXPERIMENTAL
/* Experimental.  Values of QPM_RISK_FILTER. */
typedef enum qpm_risk_filter {
    QPM_RISK_FILTER_EWMA = 0,   /* EWMA when QPM_RISK_EWMA_LAMBDA > 0, else none */
    QPM_RISK_FILTER_GARCH = 1,  /* GARCH(1,1), normal innovations */
    QPM_RISK_FILTER_GARCH_T = 2 /* GARCH(1,1), standardised Student-t innovations */
} qpm_risk_filter;

/* Experimental.  Values of QPM_RISK_REVALUATION.
 * - EXACT: every scenario revalues every position in full (qpm_book_pnl).
 * - GRID: the P&L of a scenario is the sum over the underlyings of each
 *   one's P&L alone (exact: every position, collateral holding and funding
 *   stream belongs to one underlying), each read by cubic interpolation
 *   from a grid of exact P&L values (qpm_book_scenario_grid of that
 *   underlying) over the log spot moves ln(1 + x) the run meets, or over
 *   the spot and vol moves when QPM_RISK_VOL_OF_VOL > 0.  The Monte Carlo
 *   without vol moves or venue defaults revalues each pass of scenarios
 *   from the grids as it draws them, in the worker threads (the scenarios
 *   that fall outside the grids, and the whole first batch, after the
 *   batch).  A grid is refined until its interpolation
 *   error, measured against exact values at the midpoints of the grid of
 *   half the spacing, is within QPM_RISK_GRID_TOL of the largest |P&L| on
 *   it; the run then interpolates on that finer grid, so the measured
 *   error (qpm_risk_grid_error) is a conservative bound (cubic error falls
 *   16-fold with each halving).  Grids cover every scenario of the run
 *   (they are extended when a batch moves beyond them): nothing is
 *   extrapolated.  Venue defaults are applied exactly, as in EXACT mode;
 *   qpm_risk_contributions always revalues exactly.  Deterministic: the same
 *   seed gives the same bits for any thread count. */
/* Experimental.  Values of QPM_RISK_NORMALS.
 * - PRECISE: qpm_rng_normal (the inverse normal CDF to half an ulp).
 * - FAST: Wichura's AS241 rational approximations alone on the same
 *   uniforms (within 6 ulp of the same normals, without qpm_rng_normal's
 *   tabulated refinement step; the tails with the library's own
 *   logarithm, four at a time): scenario generation about 1.2 times as
 *   fast; the scenarios differ from PRECISE's in their last bits only.
 * - ZIGGURAT: exact normals by Marsaglia and Tsang's ziggurat method (1024
 *   layers), for speed: eight generator lanes per block of scenarios,
 *   scenario t of a block on lane t % 8, each lane a xoshiro256++ seeded
 *   by the first four outputs of its own pcg64dxsm stream of the seed; the
 *   t scale's chi-square, for an integer nu up to 16, as -2 log(U1 ... Uk)
 *   (k = floor(nu/2) uniforms Ui = (b/2^11 + 1) 2^-53 from outputs b,
 *   their product formed left to right) plus, nu odd, one normal squared,
 *   and for any other nu as twice a Gamma(nu/2) by Marsaglia-Tsang on
 *   ziggurat proposals.  A different sample from PRECISE's and FAST's (the
 *   same distribution), eight scenarios at a time on AVX-512 CPUs, with
 *   the same bits on every CPU and for any thread count; scenario
 *   generation about 3 times as fast as PRECISE's, and a Monte Carlo with
 *   QPM_RISK_REVALUE_GRID about 3.7 times as fast (nu = 4).  Each
 *   scenario's draws, in its lane's order: its n normals (the first
 *   points of up to eight at a time, then each of those finished), then
 *   (t) the chi-square, then (vol of vol) one normal; its jumps (n Poisson
 *   counts, one normal per nonzero count) come from the lane's pcg64dxsm
 *   stream. */
typedef enum qpm_risk_normals {
    QPM_RISK_NORMALS_PRECISE = 0,
    QPM_RISK_NORMALS_FAST = 1,
    QPM_RISK_NORMALS_ZIGGURAT = 2
} qpm_risk_normals;

typedef enum qpm_risk_revaluation {
    QPM_RISK_REVALUE_EXACT = 0,
    QPM_RISK_REVALUE_GRID = 1
} qpm_risk_revaluation;
#endif

/* Creates a handle with the default settings and no covariance.  alloc may
 * be NULL (malloc/free).  Errors: QPM_E_NULL (out), QPM_E_INVALID/QPM_E_NULL
 * (bad allocator), QPM_E_NOMEM.  *out is NULL on failure. */
QPM_API qpm_status qpm_risk_create(qpm_risk **out, const qpm_alloc *alloc);

/* Frees the handle and everything it owns (NULL is a no-op). */
QPM_API void qpm_risk_free(qpm_risk *r);

/* Changes a setting.  Errors: QPM_E_NULL, QPM_E_KEY (unknown or read-only
 * key), QPM_E_RANGE (outside qpm_risk_bounds, not whole where needed, NaN,
 * or a T_DOF in (0, 2]); QPM_E_NOMEM / QPM_E_THREAD when THREADS cannot
 * start its workers.  The handle is unchanged on error. */
QPM_API qpm_status qpm_risk_set(qpm_risk *r, qpm_risk_key key, double value);

/* Reads a setting.  Errors: QPM_E_NULL, QPM_E_KEY. */
QPM_API qpm_status qpm_risk_get(const qpm_risk *r, qpm_risk_key key, double *value);

/* Inclusive range [*lo, *hi] of a key (an open end such as alpha's is
 * reported as the nearest double inside it).  Errors: QPM_E_NULL, QPM_E_KEY. */
QPM_API qpm_status qpm_risk_bounds(qpm_risk_key key, double *lo, double *hi);

#ifdef QPM_EXPERIMENTAL
/* Experimental (see common.h).  Describes the setting `key`: its name as
 * in this header, type, bounds, default, whether it is read-only and, for
 * an enumeration, the names of its values; for bindings and tools that
 * build their settings from the library.  Thread-safe.  Errors: QPM_E_NULL
 * (info), QPM_E_INVALID (info->size too small), QPM_E_KEY. */
QPM_API qpm_status qpm_risk_describe(qpm_risk_key key, qpm_setting_info *info);
#endif

/* Sets the daily covariance of the n underlyings' log returns (row-major,
 * leading dimension ld >= n; index u = the book's underlying u).  It must be
 * symmetric (|cov_ij - cov_ji| <= 1e-12 max(cov_ii, cov_jj)) and positive
 * semi-definite: a Cholesky factor is used when every pivot is positive,
 * else a factor from the eigendecomposition (eigenvalues down to -1e-12 of
 * the largest are taken as 0; a NaN eigenvalue fails), so singular matrices
 * (perfectly correlated assets) are accepted.  Entries anywhere in the
 * double range are served: the symmetric part is formed without overflow
 * (LAPACK scales the eigenproblem itself).  The matrix is copied.  Errors:
 * QPM_E_NULL, QPM_E_SIZE (n = 0 or above 4096, ld < n), QPM_E_NONFINITE,
 * QPM_E_INVALID (not symmetric, negative diagonal, naming the element),
 * QPM_E_NOTPSD (naming the failing Cholesky pivot and the smallest
 * eigenvalue), QPM_E_NOMEM.  On error the previous covariance stays. */
QPM_API qpm_status qpm_risk_set_covariance(qpm_risk *r, size_t n, const double *cov, size_t ld);

/* Number of underlyings of the covariance set (0 before any).
 * Errors: QPM_E_NULL. */
QPM_API qpm_status qpm_risk_n_underlyings(const qpm_risk *r, size_t *n);

/* Progress callback for the runs (see qpm_progress_fn): called on the
 * calling thread after each batch of QPM_RISK_BATCH scenarios with the
 * fraction done, the last call with 1.  fn = NULL removes it.  A callback
 * that returns non-zero stops the run with QPM_E_CANCELLED (outputs
 * unspecified, handle usable).  Errors: QPM_E_NULL (r). */
QPM_API qpm_status qpm_risk_set_progress(qpm_risk *r, qpm_progress_fn fn, void *user);

/* Writes Monte Carlo scenarios 0..n-1 (exactly those qpm_risk_simulate
 * revalues): spot_moves[s * ld_spot + u] = exp(ret_u) - 1 and, when
 * vol_shifts is not NULL, vol_shifts[s * ld_vol + u] = v (the same for every
 * u), for u < n_underlyings.  Needs a covariance.  Reports progress.
 * Errors: QPM_E_NULL (r, spot_moves), QPM_E_STATE (no covariance),
 * QPM_E_SIZE (n = 0, ld_spot or ld_vol < n_underlyings), QPM_E_NOMEM,
 * QPM_E_THREAD, QPM_E_CANCELLED. */
QPM_API qpm_status qpm_risk_scenarios(qpm_risk *r, size_t n, double *spot_moves, size_t ld_spot,
                                      double *vol_shifts, size_t ld_vol);

/* Monte Carlo VaR and ES of a book: draws QPM_RISK_SCENARIOS scenarios (as
 * qpm_risk_scenarios; vol shifts only when QPM_RISK_VOL_OF_VOL > 0), revalues
 * the book under each with qpm_book_pnl (batches of QPM_RISK_BATCH, on the
 * calling thread, with the book's own thread setting), and computes the
 * historical VaR and ES of the losses -P&L at QPM_RISK_ALPHA with their
 * standard errors (as qpm_risk_var_es).  pnl_out (QPM_RISK_SCENARIOS values,
 * USD) and each result may be NULL.  The book's underlying u is the
 * covariance's index u.  Reports progress after each batch.
 * Errors: QPM_E_NULL (r, book), QPM_E_STATE (no covariance; a book without
 * underlyings), QPM_E_SIZE (the book's number of underlyings differs from
 * the covariance's), QPM_E_NOMEM, QPM_E_THREAD, QPM_E_CANCELLED,
 * QPM_E_OVERFLOW (a standard error beyond the range of double: pnl_out is
 * then written, the other outputs untouched), and any error of
 * qpm_book_pnl (e.g. a moved price that overflows, a P&L beyond the range of
 * double).  On any other failure the outputs are untouched. */
QPM_API qpm_status qpm_risk_simulate(qpm_risk *r, qpm_book *book, double *pnl_out, double *var,
                                     double *es, double *var_se, double *es_se);

/* Historical simulation: each of the t rows of `returns` (row-major, leading
 * dimension ld >= the book's number of underlyings; column u = the book's
 * underlying u) holds one day's log returns; scenario i moves spot u by
 * exp(sqrt(h) x_iu) - 1, h = QPM_RISK_HORIZON_DAYS (square-root-of-time
 * scaling), with no vol shift.  With QPM_RISK_EWMA_LAMBDA = lambda > 0 it is
 * filtered historical simulation (Hull and White 1998; Barone-Adesi et al.
 * 1999): x_iu = r_iu sigma_u,T / sigma_u,i, where sigma_u,i^2 is the EWMA
 * variance forecast for day i from the days before it (seeded with the mean
 * square of all t returns) and sigma_u,T^2 the forecast after the last day.
 * With QPM_RISK_FILTER set to a GARCH filter (experimental) it is filtered
 * historical simulation with GARCH(1,1) (Barone-Adesi, Giannopoulos and
 * Vosper 1999): a GARCH(1,1) is fitted by maximum likelihood to each
 * underlying's t returns (qpm_garch_fit: mu estimated; normal or t
 * innovations as the setting says), and x_iu = mu_u + sigma_u,T+1 (r_iu -
 * mu_u) / sigma_u,i, with sigma_u,i the fitted model's conditional
 * volatility of day i and sigma_u,T+1 its one-step forecast after the last
 * day (qpm_garch_filter); QPM_RISK_EWMA_LAMBDA is then not used.  It needs
 * t >= QPM_GARCH_MIN_N (10) and allocates 6 n doubles per call, freed
 * before return.
 * Then VaR, ES and standard errors at QPM_RISK_ALPHA of the t losses, as
 * qpm_risk_simulate (pnl_out: t values).  Needs no covariance.  Reports
 * progress after each batch of QPM_RISK_BATCH rows.
 * Errors: QPM_E_NULL (r, book, returns), QPM_E_STATE (a book without
 * underlyings), QPM_E_SIZE (t = 0, ld too small), QPM_E_NONFINITE (naming
 * the row and column), QPM_E_OVERFLOW (filtered: the squares of an
 * underlying's returns overflow; a standard error beyond the range of double,
 * as qpm_risk_simulate), QPM_E_NOMEM, QPM_E_CANCELLED, errors of
 * qpm_book_pnl; GARCH filter: QPM_E_SIZE (t < 10), and the errors of
 * qpm_garch_fit for an underlying (QPM_E_INVALID for constant returns,
 * QPM_E_NOCONVERGE, QPM_E_OVERFLOW), the message naming the underlying.
 * Outputs as qpm_risk_simulate on failure. */
QPM_API qpm_status qpm_risk_historical(qpm_risk *r, qpm_book *book, size_t t,
                                       const double *returns, size_t ld, double *pnl_out,
                                       double *var, double *es, double *var_se, double *es_se);

#ifdef QPM_EXPERIMENTAL
/* Experimental (see common.h).  The interpolation error bound of the last
 * qpm_risk_simulate or qpm_risk_historical run in QPM_RISK_REVALUE_GRID
 * mode, in USD per scenario: the sum over the underlyings of each grid's
 * measured error (see qpm_risk_revaluation), into *bound.  Errors:
 * QPM_E_NULL, QPM_E_STATE (no grid run yet, or the last run was exact). */
QPM_API qpm_status qpm_risk_grid_error(const qpm_risk *r, double *bound);

/* Experimental (see common.h).  Heston dynamics for qpm_risk_simulate_paths:
 * for each of the n underlyings u, initial variance v0[u] and long-run
 * variance theta[u] (per year, in (0, 100]), mean reversion kappa[u] (per
 * year, (0, 1000]), vol of variance xi[u] ([0, 100]) and spot-variance
 * correlation rho[u] ((-1, 1)).  n = 0 clears them (the arrays may then be
 * NULL).  Errors: QPM_E_NULL, QPM_E_NONFINITE, QPM_E_INVALID (a parameter
 * outside its range, named with its index), QPM_E_NOMEM; the handle is
 * unchanged on error. */
QPM_API qpm_status qpm_risk_set_heston(qpm_risk *r, size_t n, const double *v0,
                                       const double *kappa, const double *theta,
                                       const double *xi, const double *rho);

/* Experimental (see common.h).  Multi-day Monte Carlo: QPM_RISK_SCENARIOS
 * paths of QPM_RISK_HORIZON_DAYS days (a whole number in [1, 365]), each
 * day in steps_per_day steps ([1, 1000]) of the Heston dynamics of
 * qpm_risk_set_heston (Andersen's quadratic-exponential scheme; the spot
 * shocks correlated by the covariance's correlation matrix, whose
 * variances the Heston variances replace; jumps as QPM_RISK_JUMP_*, per
 * day of intensity).  At the end of each day d the book is revalued in the
 * path's market: every underlying's prices moved by S_d / S_0 - 1, its
 * option vols by the factor sqrt(V_d / v0) (the instantaneous vol's
 * move), options d days closer to expiry (QPM_BOOK_DECAY_DAYS = d for the
 * call; the book's own setting is restored after).  pnl_out (optional,
 * QPM_RISK_SCENARIOS values) gets the P&L at the horizon, worst_out
 * (optional) the lowest end-of-day P&L along each path; VaR and ES
 * (optional) are those of the horizon P&L at QPM_RISK_ALPHA.  Exact
 * revaluation (QPM_RISK_REVALUATION and QPM_RISK_NORMALS do not apply);
 * paths are drawn on the calling thread and do not depend on
 * QPM_RISK_THREADS; same seed, same bits.  Errors: QPM_E_NULL (r, book),
 * QPM_E_STATE (no covariance, no Heston parameters), QPM_E_SIZE (the book,
 * covariance and Heston parameters disagree on the number of
 * underlyings), QPM_E_INVALID (steps_per_day, horizon), QPM_E_UNSUPPORTED
 * (venue defaults set), QPM_E_CANCELLED, QPM_E_NOMEM, and the book's
 * errors (a move out of range). */
QPM_API qpm_status qpm_risk_simulate_paths(qpm_risk *r, qpm_book *book, size_t steps_per_day,
                                           double *pnl_out, double *worst_out, double *var,
                                           double *es);

typedef struct qpm_regime qpm_regime; /* include/qpm/regime.h */

/* Experimental (see common.h).  Multi-day Monte Carlo under the
 * regime-switching model m (regime.h; its d assets are the book's
 * underlyings, its returns daily log returns): QPM_RISK_SCENARIOS paths of
 * QPM_RISK_HORIZON_DAYS whole days (in [1, 365]) drawn by
 * qpm_regime_simulate from today's regime distribution `start` (K
 * probabilities, e.g. the last filtered ones; NULL: the model's initial
 * distribution), block b of QPM_RISK_BLOCK paths from stream
 * 0x3000000000000000 + b of the base generator.  At the end of each day
 * the book is revalued as in qpm_risk_simulate_paths: prices moved by the
 * cumulated returns (jumps included when the model has them), option vols
 * by the factor sigma_s,u / sigma_ref,u of the day's regime s to the start
 * mixture's (sigma_ref,u^2 = sum_k start_k sigma_k,u^2; sigma_k,u^2 =
 * Sigma_k,uu, plus p_k (deltaJ_u^2 + (1 - p_k) muJ_u^2) with jumps: the
 * variance of the regime's daily return), the day's time decay.  Outputs and rules as
 * qpm_risk_simulate_paths.  Errors: QPM_E_NULL (r, book, m), QPM_E_SIZE
 * (the model's assets are not the book's underlyings), QPM_E_INVALID
 * (horizon; start not a distribution), QPM_E_STATE (a model without
 * parameters), QPM_E_UNSUPPORTED (venue defaults), QPM_E_OVERFLOW (as
 * qpm_regime_simulate), QPM_E_CANCELLED, QPM_E_NOMEM, and the book's
 * errors. */
QPM_API qpm_status qpm_risk_simulate_regime(qpm_risk *r, qpm_book *book, const qpm_regime *m,
                                            const double *start, double *pnl_out,
                                            double *worst_out, double *var, double *es);

/* Experimental (see common.h).  Venue and protocol defaults in the runs of
 * qpm_risk_simulate and qpm_risk_historical: venue v of the book
 * (qpm_book_add_venue, n of them) defaults over the horizon with
 * probability prob[v] in [0, 1], independently in each scenario and of
 * the market; in a scenario where it defaults the P&L loses (1 -
 * recovery[v]) of what it holds in that scenario's market (its positions'
 * values and its collateral at full value: qpm_book_venue_value), so VaR
 * and ES include protocol risk.  The default draws come from generator
 * streams of their own: the market scenarios stay those of a run without
 * defaults, and the results are the same for any thread count.  n = 0
 * clears them (prob and recovery may then be NULL).  A run checks that the
 * book has n venues (QPM_E_SIZE).  Errors: QPM_E_NULL, QPM_E_NONFINITE,
 * QPM_E_INVALID (a probability or recovery outside [0, 1], naming it),
 * QPM_E_NOMEM; the handle unchanged on error. */
QPM_API qpm_status qpm_risk_set_venue_defaults(qpm_risk *r, size_t n, const double *prob,
                                               const double *recovery);

/* Experimental (see common.h).  Euler contributions of each position of
 * the book to the Monte Carlo VaR and ES of qpm_risk_simulate (the same
 * run: the same settings and seed give the same *var and *es bits), into
 * var_contrib and es_contrib (qpm_book_n_positions rows each; either may
 * be NULL), USD of loss:
 * - ES: the ES estimator applied to position i's losses -pnl_i: with the
 *   scenarios ranked by total loss (ties by scenario index), ranks k+1..N
 *   weight 1 and rank k = ceil(alpha N) weight k - alpha N, divided by
 *   N (1 - alpha); they add up to ES (to rounding);
 * - VaR: the mean of position i's loss over the scenarios of ranks k - m
 *   .. k + m (clipped to 1..N), m = ceil(sqrt(N (1 - alpha))) (a window
 *   estimate of E[-pnl_i | loss = VaR]), scaled so that they add up to
 *   VaR (left unscaled if the window's mean loss is 0).
 * An underlying's contribution is the sum of its positions'.  The tail
 * and window scenarios are drawn again after the run and revalued
 * position by position (qpm_book_position_pnl).  Allocates about 5 N
 * doubles.  Errors: those of qpm_risk_simulate and of
 * qpm_book_position_pnl, QPM_E_UNSUPPORTED (venue defaults are set:
 * their losses belong to no position), QPM_E_NOMEM, QPM_E_OVERFLOW (a
 * contribution beyond the range of double); outputs untouched on
 * error. */
QPM_API qpm_status qpm_risk_contributions(qpm_risk *r, qpm_book *book, double *var, double *es,
                                          double *var_contrib, double *es_contrib);
#endif

#ifdef __cplusplus
}
#endif

#endif /* QPM_RISK_H */
