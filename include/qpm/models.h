/* libqpm models: European options under stochastic volatility and jumps,
 * priced semi-analytically: Heston (1993), Bates (1996: Heston plus
 * lognormal jumps) and Merton (1976) jump-diffusion.  Experimental (see
 * common.h, "the experimental tier"): every declaration here is seen only
 * with QPM_EXPERIMENTAL defined.
 *
 * Conventions
 * -----------
 * - Spot-based, USD-settled (linear) options, as QPM_MODEL_BSM of
 *   pricing.h: spot S > 0, strike K > 0, expiry T > 0 in years, continuous
 *   rate r and yield q (|r T|, |q T| <= 700), forward F = S e^{(r-q)T};
 *   type QPM_CALL (1) or QPM_PUT (-1).  Coin-settled options are not
 *   provided here.
 * - Heston, risk neutral:  dS/S = (r - q) dt + sqrt(v) dW1,
 *   dv = kappa (theta - v) dt + sigma sqrt(v) dW2,  d<W1, W2> = rho dt.
 *   v0 and theta are variances (not vols); sigma is the vol of variance.
 * - Jumps (Bates, Merton; QuantLib's Merton76Process conventions): the log
 *   price jumps by J ~ Normal(mu, delta^2) at the times of a Poisson
 *   process of intensity lambda per year, compensated in the drift by
 *   -lambda kbar, kbar = exp(mu + delta^2/2) - 1, so that F stays the
 *   forward.  Merton has the constant vol sigma besides the jumps.
 * - Greeks: delta = dV/dS and gamma = d2V/dS2 (r, q, T and the model
 *   fixed); vega = dV/dv0 for Heston and Bates (per 1.00 of initial
 *   variance), dV/dsigma for Merton (per 1.00 of vol).  All analytic: from
 *   the characteristic function (Heston, Bates) or the series (Merton).
 *
 * Methods
 * -------
 * Heston and Bates: the Lewis (2000) single integral
 *     C = e^{-rT} [F - sqrt(F K)/pi Int_0^inf Re(e^{iuk} phi(u - i/2)) / (u^2 + 1/4) du],
 * k = ln(F/K), phi the characteristic function of ln(S_T/F) in the
 * "little Heston trap" form of Albrecher et al. (continuous for any T and
 * vol of vol), put by the same integral (K in place of F), Greeks by
 * differentiating under the integral.  The integral runs over a composite
 * 32-node Gauss-Legendre grid up to where |phi| < 1e-18, with panels no
 * wider than 16 radians of the fastest e^{iuk} of the chain and graded
 * near u = 0, so one set of phi evaluations serves every strike of an
 * expiry, and the range adapts to short expiries (phi decays slowly when
 * the total variance is small).  Measured against 45-digit references
 * (1-hour to 5-year expiries, vol of vol up to 2, |ln(K/F)| up to 3):
 * error about 1.2e-15 S, 4e-15 S at 1-hour expiries (prices are kept
 * within the no-arbitrage bounds max(0, e^{-rT}(F - K)) <= call <=
 * e^{-rT} F, likewise for puts).  When
 * phi has not decayed by |u| = 1e6 (a total variance below about 1e-10,
 * or a vol of variance of several hundred: phi decays like
 * e^{-u (v0 + kappa theta T) sqrt(1 - rho^2) / sigma}) the call fails
 * with QPM_E_NOCONVERGE.
 * Merton: the Poisson series of Black prices
 *     V = e^{-rT} sum_n e^{-lambda T} (lambda T)^n / n! Black(F_n, K, s_n),
 *     F_n = S e^{(r - q - lambda kbar) T} (1 + kbar)^n,  s_n^2 = sigma^2 T + n delta^2,
 * summed until the Poisson tail bound (the neglected terms are at most
 * 1e-18 (F + K) e^{-rT}) holds; exact otherwise, to about 1e-13 S.
 *
 * Errors (every function): QPM_E_NULL (a required pointer, or every output
 * NULL), QPM_E_SIZE (n = 0), QPM_E_NONFINITE (a NaN or infinite input),
 * QPM_E_INVALID (S, K or T <= 0, |r T| or |q T| > 700, type not +-1, a
 * model parameter outside its domain); qpm_last_error() names the argument
 * and index ("K[3] = -1: must be > 0", "heston.rho = 1: must be in
 * (-1, 1)").  All inputs are checked before any output is written: on
 * failure no output is touched.  Results are deterministic (no threads). */
#ifndef QPM_MODELS_H
#define QPM_MODELS_H

#include <stddef.h>
#include <stdint.h>

#include "qpm/common.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifdef QPM_EXPERIMENTAL

/* Heston parameters. */
typedef struct qpm_heston {
    double v0;    /* initial variance, > 0 */
    double kappa; /* mean-reversion speed per year, > 0 */
    double theta; /* long-run variance, > 0 */
    double sigma; /* vol of variance, >= 0 (0: deterministic variance) */
    double rho;   /* correlation of spot and variance, -1 < rho < 1 */
} qpm_heston;

/* Lognormal jumps of the log price (conventions above). */
typedef struct qpm_jumps {
    double lambda; /* intensity, jumps per year, >= 0 (0: no jumps); lambda T <= 1e4 */
    double mu;     /* mean log jump muJ, |mu| <= 10 */
    double delta;  /* standard deviation of the log jump deltaJ, 0 <= delta <= 10 */
} qpm_jumps;

/* Experimental.  Prices the n options of one expiry under Heston
 * parameters *h: strike K[i], type type[i], on the spot S with expiry T,
 * rate r and yield q (conventions above).  Writes price[i], delta[i],
 * gamma[i] and vega[i] = dV/dv0, each optional (NULL: not computed; at
 * least one wanted).  The characteristic function is evaluated once for
 * the whole chain.  Errors: see above; QPM_E_NOCONVERGE (total variance
 * too small, or vol of variance too large, for the Fourier integral). */
QPM_API qpm_status qpm_heston_price(const qpm_heston *h, double S, double T, double r, double q,
                                    size_t n, const double *K, const int32_t *type, double *price,
                                    double *delta, double *gamma, double *vega);

/* Experimental.  The same under Bates: Heston parameters *h plus the jumps
 * *j (independent of the diffusion).  With j->lambda = 0 the results are
 * bit-identical to qpm_heston_price.  vega is dV/dv0. */
QPM_API qpm_status qpm_bates_price(const qpm_heston *h, const qpm_jumps *j, double S, double T,
                                   double r, double q, size_t n, const double *K,
                                   const int32_t *type, double *price, double *delta, double *gamma,
                                   double *vega);

/* Experimental.  The same under Merton: constant vol sigma (>= 0) plus the
 * jumps *j, by the Poisson series (methods above).  vega is dV/dsigma. With
 * j->lambda = 0 this is Black-Scholes-Merton. */
QPM_API qpm_status qpm_merton_price(double sigma, const qpm_jumps *j, double S, double T, double r,
                                    double q, size_t n, const double *K, const int32_t *type,
                                    double *price, double *delta, double *gamma, double *vega);

/* Experimental.  The smile of one expiry under Heston (j NULL) or Bates
 * (j not NULL): for each strike K[i], the price of the out-of-the-money
 * option (a put for K < F, a call for K >= F) into price[i] (optional) and
 * its Black-Scholes-Merton implied vol into iv[i], solved by
 * qpm_pricer_implied_vol (pricing.h), so the put and the call of a strike
 * share the vol.  status (optional) receives a qpm_status per strike: QPM_OK,
 * or the implied-vol solver's QPM_E_ARBITRAGE / QPM_E_NOCONVERGE with
 * iv[i] = NaN (a wing price that rounds to 0 has no implied vol).  Returns
 * QPM_OK when every vol was solved, else the first failing strike's status
 * with a message naming it; every strike is still processed.  Input errors
 * are reported before any output is written.  Errors: as above,
 * QPM_E_NULL (iv), QPM_E_NOMEM. */
QPM_API qpm_status qpm_heston_smile(const qpm_heston *h, const qpm_jumps *j, double S, double T,
                                    double r, double q, size_t n, const double *K, double *price,
                                    double *iv, int32_t *status);

/* Experimental.  The smile of one expiry under Merton (sigma, *j), as
 * qpm_heston_smile. */
QPM_API qpm_status qpm_merton_smile(double sigma, const qpm_jumps *j, double S, double T, double r,
                                    double q, size_t n, const double *K, double *price, double *iv,
                                    int32_t *status);

#endif /* QPM_EXPERIMENTAL */

#ifdef __cplusplus
}
#endif

#endif /* QPM_MODELS_H */
