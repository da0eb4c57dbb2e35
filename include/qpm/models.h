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
 *   type QPM_CALL (1) or QPM_PUT (-1).  The _price and _smile functions
 *   are linear (USD) only; qpm_heston_eval and qpm_merton_eval also give
 *   coin-settled ("inverse") prices, exactly as QPM_SETTLE_INVERSE of
 *   pricing.h: with B the USD price, the coin price is B / F.
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
 * 32-node Gauss-Legendre grid up to where a decreasing bound of |phi|
 * falls below 1e-14 (with jumps, the jump factor bounded by its modulus
 * envelope: it returns near 1 far beyond a first dip), with panels no
 * wider than 27 radians of the fastest phase of the integrand (e^{iuk} of
 * the chain, the jump factor's lambda T-fold faster turn, phi's own turn)
 * and graded from [0, 2] by factors of 8 near u = 0, so one set of phi
 * evaluations serves every strike of an expiry, and the range adapts to
 * short expiries (phi decays slowly when the total variance is small).
 * Measured against 45-digit references (1-hour to 5-year expiries, vol of
 * vol up to 2, |ln(K/F)| up to 3): error about 7e-16 S, 4e-15 S at 1-hour
 * expiries; against a grid four times finer over vol of variance to 5,
 * kappa to 50, 1 hour to 30 years and jumps (lambda to 10, jump sizes
 * down to 0.01): within 2e-11 S (prices are kept within the no-arbitrage
 * bounds max(0, e^{-rT}(F - K)) <= call <=
 * e^{-rT} F, likewise for puts).  When
 * phi has not decayed by |u| = 1e6 (a total variance below about 1e-10,
 * or a vol of variance of several hundred: phi decays like
 * e^{-u (v0 + kappa theta T) sqrt(1 - rho^2) / sigma}), or when the grid
 * would need more than 131072 panels (some 0.4 s for a short chain: |rho|
 * within about 1e-10 of 1, strikes |ln(F/K)| of hundreds from the forward
 * at the smallest total variances, or frequent large jumps, lambda T
 * e^{mu/2 + delta^2/8} (|mu| + delta^2/2) in the millions), the call fails
 * with QPM_E_NOCONVERGE.
 * Merton: the Poisson series of Black prices
 *     V = e^{-rT} sum_n e^{-lambda T} (lambda T)^n / n! Black(F_n, K, s_n),
 *     F_n = S e^{(r - q - lambda kbar) T} (1 + kbar)^n,  s_n^2 = sigma^2 T + n delta^2,
 * summed until the Poisson tail bound (the neglected terms are at most
 * 1e-18 (F + K) e^{-rT}) holds past both means lambda T and lambda T (1 +
 * kbar) = lambda T e^{mu + delta^2/2}, which Merton requires <= 1e4 (the
 * series' length); exact otherwise: measured against 40-digit sums, about
 * 1e-13 S up to a few hundred terms, 4e-12 S at lambda T = 9000 (the
 * Poisson weights come from lgamma(n + 1), whose rounding grows with n).
 * Merton prices are kept within the no-arbitrage bounds as the Fourier
 * ones.
 *
 * Errors (every function): QPM_E_NULL (a required pointer, or every output
 * NULL), QPM_E_SIZE (n = 0), QPM_E_NONFINITE (a NaN or infinite input),
 * QPM_E_INVALID (S, K or T <= 0, |r T| or |q T| > 700, a forward S
 * e^{(r-q)T} or growth factor e^{(r-q)T} outside the normal range of
 * double [DBL_MIN, DBL_MAX], type not +-1, a model parameter outside its
 * domain); qpm_last_error() names the argument
 * and index ("K[3] = -1: must be > 0", "heston.rho = 1: must be in
 * (-1, 1)").  All inputs are checked before any output is written: on
 * these failures (and QPM_E_NOCONVERGE of the Fourier integral) no output
 * is touched.  QPM_E_OVERFLOW: a wanted output beyond the range of double
 * (the gamma of an option on a spot near DBL_MIN, a price of 1e300 e^700;
 * in the smiles, a model price), as in pricing.h: found while computing,
 * the outputs are then written, those of the strike concerned not
 * meaningful, and the message names the first.  Results are deterministic
 * (no threads), and the same bits on every x86-64 CPU (the AVX2 build of
 * the Fourier loops evaluates the baseline build's operations in the same
 * order). */
#ifndef QPM_MODELS_H
#define QPM_MODELS_H

#include <stddef.h>
#include <stdint.h>

#include "qpm/common.h"
#include "qpm/pricing.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Number of parameters of qpm_heston_calibrate (experimental, below): v0,
 * kappa, theta, sigma, rho, lambda, mu, delta, the order of its bounds. */
#define QPM_CALIB_NPARAM 8

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
    double lambda; /* intensity, jumps per year, >= 0 (0: no jumps); lambda T <= 1e4
                    * (Merton: lambda T e^{mu + delta^2/2} <= 1e4 too) */
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

/* Experimental.  Outputs of qpm_heston_eval / qpm_merton_eval, versioned by
 * size (as qpm_stress): zero-fill, set `size` to sizeof(qpm_model_out);
 * fields past a caller's size count as NULL, a longer struct is accepted
 * when its extra fields are zero.  Each pointer is optional (NULL: not
 * computed; at least one wanted) and receives n values.  B is the USD
 * (linear) value of the option, F = S e^{(r-q)T} its forward.
 * - price: in the settlement currency: B (linear) or B / F coin (inverse);
 * - price_usd: B in either settlement;
 * - delta: dB/dS; gamma: d2B/dS2 (S-based, as the _price functions);
 * - delta_coin: the exchange-style coin delta F d(B/F)/dF = dB/dF - B/F
 *   (pricing.h's delta_coin), in either settlement;
 * - vega_v0: dB/dv0 (Heston, Bates; per 1.00 of variance); Merton:
 *   dB/d(sigma^2), per 1.00 of variance;
 * - vega_parallel: the vega of a parallel shift of vol, dB/dx where the
 *   vols move together by x: Heston and Bates sqrt(v0) -> sqrt(v0) + x and
 *   sqrt(theta) -> sqrt(theta) + x, i.e. 2 sqrt(v0) dB/dv0 + 2 sqrt(theta)
 *   dB/dtheta (per 1.00 of vol); Merton dB/dsigma;
 * - theta: dB/dt per year: calendar time passes (T shrinks) with S, r, q
 *   and the model fixed, i.e. -dB/dT.  Heston and Bates: analytic under the
 *   integral (d ln phi / dT from the Riccati equations); Merton: analytic
 *   from the series (the T-derivatives of each Black term and of its
 *   Poisson weight).
 * Gamma, vegas and theta are those of B in both settlements, as in
 * pricing.h. */
typedef struct qpm_model_out {
    size_t size;
    double *price;
    double *price_usd;
    double *delta;
    double *delta_coin;
    double *gamma;
    double *vega_v0;
    double *vega_parallel;
    double *theta;
} qpm_model_out;

/* Experimental.  Heston (j NULL, or j->lambda = 0) or Bates (j not NULL)
 * prices and Greeks of the n options K[i], type[i] of one expiry T in the
 * settlement `settle` (QPM_SETTLE_LINEAR or QPM_SETTLE_INVERSE), into the
 * wanted fields of *out (above).  The characteristic function is evaluated
 * once per 256 strikes.  price_usd, delta, gamma and vega_v0 are
 * bit-identical to those of qpm_heston_price / qpm_bates_price.  Errors: as
 * qpm_heston_price; QPM_E_NULL (out, every field NULL), QPM_E_INVALID
 * (settle, out->size), QPM_E_UNSUPPORTED (a newer out with non-zero fields
 * this version does not know). */
QPM_API qpm_status qpm_heston_eval(const qpm_heston *h, const qpm_jumps *j, qpm_settlement settle,
                                   double S, double T, double r, double q, size_t n,
                                   const double *K, const int32_t *type, const qpm_model_out *out);

/* Experimental.  The same under Merton (sigma, *j; j required). */
QPM_API qpm_status qpm_merton_eval(double sigma, const qpm_jumps *j, qpm_settlement settle,
                                   double S, double T, double r, double q, size_t n,
                                   const double *K, const int32_t *type, const qpm_model_out *out);

/* Experimental.  The smile of one expiry under Heston (j NULL) or Bates as
 * qpm_heston_smile, with the out-of-the-money prices in the settlement
 * `settle`: for QPM_SETTLE_INVERSE price[i] is the coin price B / F; the
 * implied vols are the same in both settlements (a coin price is the USD
 * one divided by F).  Errors: as qpm_heston_smile, QPM_E_INVALID (settle). */
QPM_API qpm_status qpm_heston_smile_settle(const qpm_heston *h, const qpm_jumps *j,
                                           qpm_settlement settle, double S, double T, double r,
                                           double q, size_t n, const double *K, double *price,
                                           double *iv, int32_t *status);

/* ---- calibration -----------------------------------------------------------
 * qpm_heston_calibrate fits Heston (jumps NULL) or Bates parameters to n
 * quotes (T[i], K[i], type[i], quote[i], weight[i]) on one spot S with rate
 * r and yield q, by bounded Levenberg-Marquardt with analytic gradients:
 * d price / d (v0, kappa, theta, sigma, rho[, lambda, mu, delta]) under
 * the same Fourier integral as the price (the characteristic function
 * differentiated analytically, in the manner of Cui, del Bano Rollin and
 * Germano 2017), one set of characteristic-function evaluations per
 * expiry and iteration serving every strike, its price and its gradient.
 * A trial point whose Fourier grid would need more than 4 times the panels
 * of the last accepted point (rho near +-1 or a large vol of variance,
 * where phi decays slowly) is rejected unevaluated: the solver then takes
 * a shorter step.
 *
 * Residuals (qpm_calib_options.residual):
 * - QPM_CALIB_RESID_PRICE: weight[i] (model - quote) in the quote's
 *   currency (USD for linear and vol quotes, coin for coin quotes);
 * - QPM_CALIB_RESID_VOL (default): weight[i] (model - quote price) /
 *   vega[i] in vol units (0.01 = 1 vol point), vega[i] the Black-Scholes-
 *   Merton vega at the quote's implied vol (fixed during the fit; floored
 *   at 1e-8 S sqrt(T)): the first-order vol error.
 * The reported errors (rmse_volpts, max_vol_err_volpts) are exact: the
 * model prices' implied vols minus the quotes' ones (linearised where a
 * model price has no implied vol).
 *
 * Quotes come grouped by expiry: T non-decreasing, the quotes of one
 * expiry (equal T) contiguous; within an expiry the strikes of each type
 * must increase (a duplicate (T, K, type) is an error). */
typedef enum qpm_calib_quote {
    QPM_CALIB_QUOTE_USD = 0,  /* quote[i]: USD price of a linear option */
    QPM_CALIB_QUOTE_COIN = 1, /* quote[i]: coin price (B / F) of an inverse option */
    QPM_CALIB_QUOTE_IV = 2    /* quote[i]: Black-Scholes-Merton implied vol */
} qpm_calib_quote;

typedef enum qpm_calib_residual {
    QPM_CALIB_RESID_VOL = 0,
    QPM_CALIB_RESID_PRICE = 1
} qpm_calib_residual;

/* Outcome of a calibration (a result, not an error). */
typedef enum qpm_calib_outcome {
    QPM_CALIB_CONVERGED = 0,  /* a tolerance was met */
    QPM_CALIB_MAX_ITER = 1,   /* iteration or evaluation limit */
    QPM_CALIB_FAILED = 2,     /* no step lowers the cost, or a gradient could not be computed */
    QPM_CALIB_CANCELLED = 3   /* the progress callback asked to stop */
} qpm_calib_outcome;

/* Settings, versioned by size as qpm_model_out; a NULL pointer selects
 * every default, a zero field its default.
 * - quote: qpm_calib_quote (default QPM_CALIB_QUOTE_USD);
 * - residual: qpm_calib_residual (default QPM_CALIB_RESID_VOL);
 * - fix_jumps: Bates only: 1 keeps lambda, mu, delta at the start values;
 * - max_iter: iterations (default 100); max_eval: price-chain evaluations
 *   (default 1000);
 * - ftol, xtol, gtol: Levenberg-Marquardt tolerances, finite and >= 0 (0:
 *   the default 1e-12 each): relative cost decrease, relative step, and
 *   the largest component of the projected gradient of the cost;
 * - lower, upper: QPM_CALIB_NPARAM bounds each, or NULL for the
 *   defaults v0, theta in [1e-6, 4]; kappa in [1e-3, 50]; sigma in [1e-3,
 *   10]; rho in [-0.999, 0.999]; lambda in [0, 10]; mu in [-2, 2];
 *   delta in [1e-4, 2].  Must hold the start, and lie in the domain
 *   (v0, theta, kappa > 0, sigma >= 0, |rho| < 1, lambda >= 0, delta >= 0);
 * - progress, progress_user: called once per iteration with done =
 *   iteration / max_iter (and 1 at the end); non-zero cancels. */
typedef struct qpm_calib_options {
    size_t size;
    int32_t quote;
    int32_t residual;
    int32_t fix_jumps;
    int32_t reserved;
    size_t max_iter;
    size_t max_eval;
    double ftol, xtol, gtol;
    const double *lower;
    const double *upper;
    qpm_progress_fn progress;
    void *progress_user;
} qpm_calib_options;

/* Result, versioned by size as qpm_model_out. */
typedef struct qpm_calib_result {
    size_t size;
    qpm_heston heston;          /* fitted (the best point found) */
    qpm_jumps jumps;            /* fitted (Bates), else zeros */
    double rmse_volpts;         /* weighted RMS implied-vol error, vol points */
    double max_vol_err_volpts;  /* max |implied-vol error|, vol points */
    double cost;                /* 0.5 sum residual^2 at the fit */
    size_t iterations;          /* Levenberg-Marquardt iterations */
    size_t evaluations;         /* price-chain passes (every expiry once; guarded trials count) */
    int32_t feller;             /* 1 when 2 kappa theta > sigma^2 */
    int32_t outcome;            /* qpm_calib_outcome */
} qpm_calib_result;

/* Experimental.  Calibrates (above).  start: the start parameters (within
 * the bounds); jumps: NULL for Heston, the Bates start jumps otherwise.
 * T, K, quote: n values each; weight: n values > 0 or NULL (all 1); type:
 * QPM_CALL / QPM_PUT per quote or NULL (the out-of-the-money type: put
 * below the forward, call at or above).  alloc: NULL for malloc.  Writes
 * *res (also the best point so far when cancelled).
 * Returns QPM_OK for every outcome but cancellation, which returns
 * QPM_E_CANCELLED (common.h) with *res written and outcome
 * QPM_CALIB_CANCELLED.  Errors (nothing written): QPM_E_NULL, QPM_E_SIZE
 * (n = 0, or fewer quotes than free parameters), QPM_E_NONFINITE (a NaN
 * input, named), QPM_E_INVALID (S, T[i], K[i] <= 0; a quote below the
 * intrinsic value / at or above the upper bound of its price, or a vol <=
 * 0: "quote[7] = ..."; T decreasing; strikes not increasing within an
 * expiry or a duplicate (T, K, type); a start or bound outside the domain or the start
 * outside the bounds; a bad option or struct size), QPM_E_NOMEM,
 * QPM_E_UNSUPPORTED (no LAPACK), QPM_E_NOCONVERGE (the start parameters
 * give no price: the Fourier integral fails there, as in
 * qpm_heston_price). */
QPM_API qpm_status qpm_heston_calibrate(const qpm_heston *start, const qpm_jumps *jumps, double S,
                                        double r, double q, size_t n, const double *T,
                                        const double *K, const double *quote,
                                        const double *weight, const int32_t *type,
                                        const qpm_calib_options *opt, const qpm_alloc *alloc,
                                        qpm_calib_result *res);

#endif /* QPM_EXPERIMENTAL */

#ifdef __cplusplus
}
#endif

#endif /* QPM_MODELS_H */
