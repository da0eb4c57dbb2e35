/* libqpm pricing: Black-Scholes-Merton, Black-76 and Bachelier European
 * options, linear (USD) or coin-settled ("inverse") settlement, with Greeks
 * and implied volatility, in batches.
 *
 * Units and conventions (those of the reference data)
 * ---------------------------------------------------
 * - T in years (ACT/365), rates r and q continuously compounded per year,
 *   discount factor e^{-rT}.  sigma: lognormal vol per sqrt(year) as a
 *   decimal (0.6 = 60 %); Bachelier: normal vol in price units per
 *   sqrt(year).
 * - vega per 1.00 of vol, theta = -dV/dT per year of calendar time, rho per
 *   1.00 of rate, vanna = d2V/dU dsigma, volga = d2V/dsigma2,
 *   charm = -d(delta)/dT per year, where U is the model's underlying.
 * - QPM_MODEL_BSM prices on spot S with rate r and carry/dividend yield q:
 *   forward F = S e^{(r-q)T}; Greeks are taken with respect to S, and theta
 *   holds S fixed; rho moves r with S and q fixed (so F moves), rho_q moves q.
 * - QPM_MODEL_BLACK76 prices on a forward or futures price F (the way crypto
 *   option exchanges quote); theta and rho hold F fixed (rho = -T V).
 * - QPM_MODEL_BACHELIER: normal model on a forward F, discounted with r;
 *   F and K may have any sign.  Greeks with respect to F, F fixed.
 * - QPM_SETTLE_INVERSE (coin-settled, Deribit style): a call pays
 *   max(S_T - K, 0) / S_T coin.  With B the USD value of the same option
 *   under the linear settlement, the price is B / F coin (F the forward; for
 *   BSM F = S e^{(r-q)T}).  All other Greeks are those of the USD value B, as
 *   in the reference data; price_usd gives B and delta_coin gives the
 *   exchange-style coin delta F d(B/F)/dF = dB/dF - B/F.  Inverse settlement
 *   of the Bachelier model is not provided (QPM_E_UNSUPPORTED at creation):
 *   its underlying may reach zero or below, where a coin payoff is undefined.
 * - Limits: T = 0 or sigma = 0 is accepted and gives the limiting values
 *   (intrinsic value, delta 0, 1/2 or 1, ...); so does a sigma sqrt(T) that
 *   rounds to 0.  A limit that is infinite (the gamma, theta and charm of an
 *   at-the-money option at T = 0 or sigma = 0, the gamma and theta of such a
 *   Bachelier option) is +-Inf.
 *
 * Range: every finite input of the documented domain is served.  Every
 * output is finite, apart from the infinite limits above, or the call fails
 * with QPM_E_OVERFLOW: never an infinity or a NaN with QPM_OK.  Where the
 * direct formulas meet an intermediate beyond the double range (sigma
 * sqrt(T) above about 1e154, where d1^2 overflows, up to sigma = DBL_MAX: the
 * price is then its limit as sigma grows, the call value D F or the put value
 * D K; a subnormal sigma sqrt(T); T near 4.9e-324 with a large vol; a BSM
 * forward beyond DBL_MAX or below DBL_MIN; rates whose difference
 * overflows), every output of that element is recomputed from logarithms
 * (relative error about 2e-13 there).  The vector kernels hand such elements
 * to that scalar path, so every kernel gives them the same values and the
 * same status.  A wanted output whose value itself lies beyond the range of
 * double (the gamma of a 1e-200 option at sigma sqrt(T) = 1e-150, a price
 * of 1e300 e^700) is QPM_E_OVERFLOW.
 *
 * Accuracy: a price is its intrinsic value plus the value of the
 * out-of-the-money option of the same strike, which is computed from normal
 * tail probabilities n(a) R(a) (R the Mills ratio, n evaluated at an
 * argument carried in double-double), and, where the two terms of the Black
 * formula cancel by more than a factor 64, as a cancellation-free series or
 * continued-fraction difference of Mills ratios.  Deep out-of-the-money
 * values therefore keep their relative accuracy down to the underflow range:
 * against the 60-digit reference data the relative error of prices and
 * first-order Greeks is a few ulp times (1 + d^2) (the conditioning of the
 * formula in d1, d2), within 2.5e-14 wherever the value is at least 1e-6 of
 * its scale.  The kernels evaluate the same formulas.  On a CPU with FMA
 * the scalar kernel performs the AVX2 kernel's operations in portable C
 * and gives its bits; the AVX-512 kernel differs from both in the last bits
 * (its Mills-ratio polynomials).  On an x86 CPU without FMA the scalar
 * kernel is the reference form, which differs from the others only in its
 * exp, log and expm1 (libm's, within an ulp) and, for BSM, in how the
 * discounting is composed: the others take e^{-qT} as e^{-rT} e^{(r-q)T},
 * F - K from e^{(r-q)T} - 1, and, where q = 0, e^{rT} as 1/e^{-rT}.
 *
 * Threads: a qpm_pricer is used by one thread at a time.  With
 * QPM_PRICER_THREADS > 1 a batch is split into fixed chunks of
 * QPM_PRICER_CHUNK elements that the handle's worker threads share; every
 * element is computed independently, so results are bit-identical for any
 * thread count.  The threads also share the input checks of a batch of more
 * than 16384 elements, all of which end before any output is written.
 */
#ifndef QPM_PRICING_H
#define QPM_PRICING_H

#include <stddef.h>
#include <stdint.h>

#include "qpm/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Pricing model, fixed at creation.  Values are stable. */
typedef enum qpm_model {
    QPM_MODEL_BSM = 0,      /* Black-Scholes-Merton on spot, rate r, yield q */
    QPM_MODEL_BLACK76 = 1,  /* Black-76 on a forward / futures price */
    QPM_MODEL_BACHELIER = 2 /* normal model on a forward */
} qpm_model;

/* Settlement, fixed at creation.  Values are stable. */
typedef enum qpm_settlement {
    QPM_SETTLE_LINEAR = 0, /* USD-settled: price in USD */
    QPM_SETTLE_INVERSE = 1 /* coin-settled: price in coin (B / F) */
} qpm_settlement;

/* Option type codes for the int32_t type arrays. */
#define QPM_CALL 1
#define QPM_PUT (-1)

/* Setting keys for qpm_pricer_set / qpm_pricer_get / qpm_pricer_bounds.
 * Values are stable and append-only. */
typedef enum qpm_pricer_key {
    /* Total threads working on one call, including the caller (1..
     * qpm_max_threads(), default 1).  Setting it > 1 starts the handle's
     * worker threads (QPM_E_THREAD / QPM_E_NOMEM on failure, the old setting
     * is kept). */
    QPM_PRICER_THREADS = 0,
    /* Kernel: 0 = auto (the default: AVX-512 where the CPU has AVX-512 F,
     * DQ and VL, else AVX2+FMA where present, else scalar), 1 = scalar, 2 =
     * AVX2+FMA, 3 = AVX-512.  Asking for a kernel the CPU lacks gives
     * QPM_E_UNSUPPORTED.  qpm_pricer_get returns the kernel in use (1, 2 or
     * 3), never 0. */
    QPM_PRICER_KERNEL = 1,
    /* Smallest batch that is split across threads (default 4096, at least
     * 1); smaller batches run on the calling thread alone. */
    QPM_PRICER_PAR_MIN = 2,
    /* Elements per work chunk when threads are used (read-only: 1024). */
    QPM_PRICER_CHUNK = 3
} qpm_pricer_key;

#define QPM_PRICER_KERNEL_AUTO 0
#define QPM_PRICER_KERNEL_SCALAR 1
#define QPM_PRICER_KERNEL_AVX2 2
#define QPM_PRICER_KERNEL_AVX512 3

/* Opaque pricing handle. */
typedef struct qpm_pricer qpm_pricer;

/* Output arrays of qpm_pricer_price: each is caller-owned with room for n
 * doubles, or NULL when not wanted (a NULL output is not computed).  Set
 * `size` to sizeof(qpm_pricer_out) (fields past `size` count as NULL, so
 * binaries built against an older, shorter struct keep working). Zero-fill
 * the struct before setting the fields you need.
 *   price       linear: USD value; inverse: coin value B/F
 *   delta       dV/dU, U = S (BSM) or F (Black-76, Bachelier); V the USD value
 *   gamma       d2V/dU2
 *   vega        dV/dsigma, per 1.00 of vol
 *   theta       -dV/dT per year (BSM: S fixed; Black-76, Bachelier: F fixed)
 *   rho         dV/dr per 1.00 (BSM: S, q fixed; Black-76, Bachelier: F fixed)
 *   vanna       d2V/dU dsigma
 *   volga       d2V/dsigma2
 *   charm       -d(delta)/dT per year
 *   rho_q       dV/dq per 1.00 (BSM; 0 for the forward models)
 *   price_usd   the USD value V (equal to price for linear settlement)
 *   delta_coin  exchange-style coin delta: inverse: dB/dF - B/F (Deribit);
 *               linear: the forward delta dV/dF. */
typedef struct qpm_pricer_out {
    size_t size;
    double *price;
    double *delta;
    double *gamma;
    double *vega;
    double *theta;
    double *rho;
    double *vanna;
    double *volga;
    double *charm;
    double *rho_q;
    double *price_usd;
    double *delta_coin;
} qpm_pricer_out;

/* Creates a pricer for `model` and `settle`.  alloc: NULL for malloc/free,
 * else copied.  Errors: QPM_E_NULL (out), QPM_E_INVALID (unknown model or
 * settlement, bad allocator), QPM_E_UNSUPPORTED (Bachelier with inverse
 * settlement), QPM_E_NOMEM.  *out is NULL on failure. */
QPM_API qpm_status qpm_pricer_create(qpm_pricer **out, const qpm_alloc *alloc, qpm_model model,
                                     qpm_settlement settle);

/* Frees the handle and stops its threads.  NULL is a no-op. */
QPM_API void qpm_pricer_free(qpm_pricer *p);

/* Changes a setting (see qpm_pricer_key).  Errors: QPM_E_NULL, QPM_E_KEY
 * (unknown or read-only key), QPM_E_RANGE (value outside qpm_pricer_bounds
 * or not an integer), QPM_E_UNSUPPORTED (kernel not available on this CPU),
 * QPM_E_THREAD / QPM_E_NOMEM (threads could not be started).  On failure the
 * handle keeps its previous setting. */
QPM_API qpm_status qpm_pricer_set(qpm_pricer *p, qpm_pricer_key key, double value);

/* Reads a setting into *value.  Errors: QPM_E_NULL, QPM_E_KEY. */
QPM_API qpm_status qpm_pricer_get(const qpm_pricer *p, qpm_pricer_key key, double *value);

/* Range [*lo, *hi] of values qpm_pricer_set accepts for `key` (for a
 * read-only key, its value).  Errors: QPM_E_NULL, QPM_E_KEY. */
QPM_API qpm_status qpm_pricer_bounds(qpm_pricer_key key, double *lo, double *hi);

#ifdef QPM_EXPERIMENTAL
/* Experimental (see common.h).  Describes the setting `key`: its name as
 * in this header, type, bounds, default (QPM_PRICER_KERNEL: 0, auto, which
 * reads back as the kernel it chose), whether it is read-only and, for an
 * enumeration, the names of its values; for bindings and tools that build
 * their settings from the library.  Thread-safe.  Errors: QPM_E_NULL
 * (info), QPM_E_INVALID (info->size too small), QPM_E_KEY. */
QPM_API qpm_status qpm_pricer_describe(qpm_pricer_key key, qpm_setting_info *info);
#endif

/* Prices n options and the requested Greeks.
 *   underlying  S (BSM) or F (Black-76, Bachelier); > 0 except Bachelier
 *   strike      K > 0 (Bachelier: any finite value)
 *   T           time to expiry in years, >= 0
 *   r           rate; NULL means 0 for every element
 *   q           BSM carry / dividend yield; NULL means 0.  Must be NULL for
 *               the forward models.
 *   sigma       vol >= 0
 *   type        QPM_CALL (1) or QPM_PUT (-1)
 *   out         output arrays, see qpm_pricer_out
 * Every input array holds n values; |r T| and |q T| must not exceed 700.
 * Errors: QPM_E_NULL (p, out, a required array), QPM_E_SIZE (n = 0),
 * QPM_E_NONFINITE, QPM_E_INVALID (a value outside its domain, bad type, bad
 * out->size); qpm_last_error() names the array and the first bad index, for
 * example "strike[17] = -5: must be > 0".  All inputs are checked before any
 * output is written: on these failures no output is touched.
 * QPM_E_OVERFLOW: a wanted output of some element is beyond the range of
 * double (see Range above); the message names the first such element, the
 * output and the inputs.  It is found while computing: the outputs are then
 * written, and those of the elements concerned are not meaningful. */
QPM_API qpm_status qpm_pricer_price(qpm_pricer *p, size_t n, const double *underlying,
                                    const double *strike, const double *T, const double *r,
                                    const double *q, const double *sigma, const int32_t *type,
                                    const qpm_pricer_out *out);

/* The option-chain case of qpm_pricer_price: one underlying, expiry, rate
 * and yield (scalars) for n strikes, vols and types.  Same outputs, rules
 * and errors (scalar inputs are named without an index); q must be 0 for the
 * forward models.  Results are bit-identical to qpm_pricer_price with the
 * scalars repeated. */
QPM_API qpm_status qpm_pricer_price_chain(qpm_pricer *p, size_t n, double underlying, double T,
                                          double r, double q, const double *strike,
                                          const double *sigma, const int32_t *type,
                                          const qpm_pricer_out *out);

/* Implied volatility of n option prices, in the handle's model and
 * settlement: price is in USD (linear) or coin (inverse, converted to USD as
 * price * F).  Inputs as in qpm_pricer_price, T > 0.  Writes sigma[i]
 * (lognormal vol, or normal vol for Bachelier), solved to full double
 * precision by a rational initial guess and at most a few Householder steps
 * (the Black-76 problem; BSM is solved on its forward F = S e^{(r-q)T},
 * rounded to a double, so a BSM vol carries the extra uncertainty of half an
 * ulp of F).
 * status (optional, may be NULL) receives a qpm_status per element:
 * QPM_OK, or QPM_E_ARBITRAGE when the price is <= 0 or outside the open
 * no-arbitrage interval (its bounds included), or QPM_E_NOCONVERGE when the
 * normalised price is beyond the range of double (a strike, or a price,
 * that underflows against the forward: inputs spanning more than the double
 * range); sigma[i] is then NaN.  A BSM forward or a coin price times F that
 * overflows (or a positive coin price whose USD value rounds to 0) is solved
 * on F, K and the price scaled by one power of two, which leaves the vol
 * unchanged (the BSM forward is then good to about 1e-13 instead of half an
 * ulp).  Returns QPM_OK when every element was solved, otherwise the first
 * failing element's status with a message naming its index; every element
 * is still processed.  Input errors (QPM_E_NULL, QPM_E_SIZE, QPM_E_NONFINITE,
 * QPM_E_INVALID) are reported before any output is written, as in
 * qpm_pricer_price. */
QPM_API qpm_status qpm_pricer_implied_vol(qpm_pricer *p, size_t n, const double *underlying,
                                          const double *strike, const double *T, const double *r,
                                          const double *q, const int32_t *type,
                                          const double *price, double *sigma, int32_t *status);

#ifdef __cplusplus
}
#endif

#endif /* QPM_PRICING_H */
