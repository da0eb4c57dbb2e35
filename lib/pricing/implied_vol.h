/* Internal implied-volatility core of the pricing module (not exported).
 *
 * Black-76 implied volatility by a normalised-Black formulation: rational
 * initial guess on four branches followed by third-order Householder steps
 * on a transformed objective, full double precision (a few ulp of sigma plus
 * the effect of a few ulp of the price) for every price strictly inside the
 * no-arbitrage bounds.  Two steps (one when the guess is already within
 * 3e-5) on every input tried with |ln F/K| <= 100; extreme moneyness may take
 * a third.  Bachelier implied normal volatility by Halley steps on a log
 * objective.
 *
 * None of these functions calls qpm__fail: the caller formats the message
 * with the element index.  They are pure, thread-safe and do not allocate.
 *
 * Conventions for every entry point
 *   F > 0 forward, K > 0 strike (Bachelier: any finite F, K), T > 0 years,
 *   is_call != 0 for a call, 0 for a put.  sigma is the annualised vol
 *   (Black: lognormal; Bachelier: normal, in price units per sqrt(year)).
 * Status
 *   QPM_OK            *sigma set
 *   QPM_E_NULL        sigma == NULL
 *   QPM_E_NONFINITE   an input is NaN or infinite
 *   QPM_E_INVALID     F <= 0, K <= 0 (Black only) or T <= 0
 *   QPM_E_ARBITRAGE   the price is <= 0 or outside the open no-arbitrage
 *                     interval (intrinsic, upper), bounds included
 *   QPM_E_NOCONVERGE  the normalised price is not representable (the inputs
 *                     span more than the double range); not seen otherwise
 * On any failure *sigma is set to NaN (when sigma is not NULL).
 */
#ifndef QPM_PRICING_IMPLIED_VOL_H
#define QPM_PRICING_IMPLIED_VOL_H

#include <stddef.h>
#include <stdint.h>

#include "core/internal.h"
#include "qpm/common.h"

/* Black-76 implied vol from an UNDISCOUNTED price (price / e^{-rT}).
 * Bounds: call (max(F-K,0), F), put (max(K-F,0), K). */
qpm_status qpm__black_implied_vol(double price_undiscounted, double F, double K, double T,
                                  int is_call, double *sigma);

/* Black-76 implied vol from a DISCOUNTED price with continuously compounded
 * rate r (any finite sign): price = e^{-rT} Black(F, K, sigma, T).  The
 * no-arbitrage bounds are those of the discounted price, e^{-rT} times the
 * undiscounted ones, evaluated so that a price exactly at a bound (as the
 * double inputs state it) is rejected and prices strictly inside are solved. */
qpm_status qpm__black_implied_vol_df(double price, double F, double K, double T, double r,
                                     int is_call, double *sigma);

/* n Black-76 implied vols in one call.  Element i gets the status of
 * qpm__black_implied_vol_df(price[i], F[i], K[i], T[i], r ? r[i] : 0,
 * type[i] > 0, ...) (r == NULL: undiscounted prices; type > 0 call, else
 * put) and the same volatility to within its few-ulp accuracy: with AVX2+FMA
 * eight solves run side by side in a vector kernel (3 to 4 times the
 * throughput of single calls; the kernel rounds differently in the last
 * ulp), otherwise one by one.  This entry takes the kernel row of the
 * default pricing kernel (qpm__iv_kernel(QPM_PRICER_KERNEL_AUTO)).  Writes sigma[i] (NaN on failure) and, when
 * status != NULL, status[i] (a qpm_status).  Returns the number of elements
 * not solved.  Results do not depend on how the input is split. */
size_t qpm__black_implied_vol_batch(size_t n, const double *price, const double *F,
                                    const double *K, const double *T, const double *r,
                                    const int32_t *type, double *sigma, int32_t *status);

/* The first element of a batch that was not solved, and its status. */
typedef struct qpm__iv_first {
    size_t index; /* SIZE_MAX when every element was solved */
    qpm_status status;
} qpm__iv_first;

/* qpm__black_implied_vol_batch that also reports, through *first (may be
 * NULL), the first element it could not solve and why: a caller's message
 * then needs no second solve of that element. */
size_t qpm__black_implied_vol_batch_first(size_t n, const double *price, const double *F,
                                          const double *K, const double *T, const double *r,
                                          const int32_t *type, double *sigma, int32_t *status,
                                          qpm__iv_first *first);

/* Bachelier implied normal vol from an UNDISCOUNTED price.
 * Bounds: call (max(F-K,0), +inf), put (max(K-F,0), +inf). */
qpm_status qpm__bachelier_implied_vol(double price_undiscounted, double F, double K, double T,
                                      int is_call, double *sigma);

/* Bachelier implied normal vol from a DISCOUNTED price with rate r. */
qpm_status qpm__bachelier_implied_vol_df(double price, double F, double K, double T, double r,
                                         int is_call, double *sigma);

/* Same as qpm__black_implied_vol, also reporting the number of Householder
 * iterations used (at most QPM__IV_MAX_ITER) through *iters (may be NULL).
 * For tests and benchmarks. */
qpm_status qpm__black_implied_vol_iter(double price_undiscounted, double F, double K, double T,
                                       int is_call, double *sigma, int *iters);

/* Normalised Black call b(x, s) = e^{x/2} N(x/s + s/2) - e^{-x/2} N(x/s - s/2)
 * with x = ln(F/K), s = sigma sqrt(T) > 0, for every x, s down to the
 * underflow threshold (asymptotic and series branches, no cancellation of
 * the two terms).  Relative error below about (2 + a^2) ulp, a = |x|/s: the
 * condition number of b in x and s is ~a^2, so this is a backward error
 * below 2 ulp of s.  The Black price is sqrt(F K) b(x, s) for an
 * out-of-the-money option (x <= 0 call; x >= 0 put via b(-x, s)).  For x > 0
 * it returns the call value including intrinsic. */
double qpm__normalised_black_call(double x, double s);

/* Accurate undiscounted Black-76 price: intrinsic + sqrt(FK) b(-|x|, s), a
 * result below DBL_MIN rounded once; reference for tests and benchmarks.
 * Requires F, K > 0, T >= 0, sigma >= 0. */
double qpm__black_price(double F, double K, double T, double sigma, int is_call);

/* Undiscounted Bachelier price. Requires T >= 0, sigma >= 0. */
double qpm__bachelier_price(double F, double K, double T, double sigma, int is_call);

/* ---- vector kernel (AVX2+FMA, x86 only; called after CPU detection) ----
 * Solves up to eight elements (n = 1..8) of qpm__black_implied_vol given the
 * undiscounted price ph[i] + pl[i] (|pl| <= ulp(ph)/2), F, K, T and type
 * (> 0 call).  Sets solved[i] = 1 and sigma[i] for the elements it solved;
 * an element with solved[i] = 0 (bad input, price on or outside a bound, or
 * a case the vector path leaves alone) must go through the scalar path, which
 * also gives its status. */
void qpm__black_iv_block_avx2(const double *ph, const double *pl, const double *F,
                              const double *K, const double *T, const int32_t *type, int n,
                              double *sigma, int *solved);

/* price / e^{-rT} as *ph + *pl (iv_discount.h), compiled without and with
 * FMA instructions (the same results; the second only where the CPU has
 * AVX2 and FMA). */
qpm_status qpm__iv_undiscount(double price, double r, double T, double *ph, double *pl);
qpm_status qpm__iv_undiscount_fma(double price, double r, double T, double *ph, double *pl);

/* The implied-vol kernels, one row per pricing kernel (QPM_PRICER_KERNEL
 * value), so that a handle's implied vols follow its kernel setting: the
 * features the row needs, the vector block (NULL: the scalar solver for
 * every element) and the undiscounting compiled beside it (kernels.c).
 * The AVX-512 pricing kernel's row runs the AVX2 block. */
typedef void (*qpm__ivblock)(const double *ph, const double *pl, const double *F,
                             const double *K, const double *T, const int32_t *type, int n,
                             double *sigma, int *solved);
typedef struct qpm__ivkernel {
    qpm__kernel_tag tag; /* id: the pricing kernel's */
    qpm__ivblock block;
    qpm_status (*undiscount)(double price, double r, double T, double *ph, double *pl);
} qpm__ivkernel;

/* The row of pricing kernel id (QPM_PRICER_KERNEL_AUTO: the one
 * qpm__black_kernels(QPM_PRICER_KERNEL_AUTO) picks), or NULL when the CPU
 * lacks a feature it needs. */
const qpm__ivkernel *qpm__iv_kernel(int id);

/* qpm__black_implied_vol_batch_first through kernel row k (first may be
 * NULL). */
size_t qpm__black_implied_vol_batch_k(const qpm__ivkernel *k, size_t n, const double *price,
                                      const double *F, const double *K, const double *T,
                                      const double *r, const int32_t *type, double *sigma,
                                      int32_t *status, qpm__iv_first *first);

/* Householder steps the Black solver takes on the tested domain (|ln F/K| <=
 * 100); a safety net allows more before QPM_E_NOCONVERGE. */
#define QPM__IV_MAX_ITER 2

#endif /* QPM_PRICING_IMPLIED_VOL_H */
