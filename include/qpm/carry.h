/* libqpm carry: the funding of perpetual swaps and the basis of futures, as
 * the numbers a desk ranks carry trades by.  Experimental (see common.h,
 * "the experimental tier"): every declaration here is seen only with
 * QPM_EXPERIMENTAL defined.  The book applies funding to its perpetual
 * positions (qpm_book_set_funding, QPM_BOOK_FUNDING_HOURS, book.h).
 *
 * Conventions
 * -----------
 * - A funding rate is per 8 hours, as a fraction of the notional (0.0001 =
 *   0.01%, three payments a day); positive: longs pay shorts.  Exchanges fix
 *   it from the premium index p (the perp's premium over the index, averaged
 *   over the period) and an interest rate i per 8 hours (0.0001 on most
 *   venues) as
 *       rate = clamp(p + clamp(i - p, -d, d), -cap, cap)
 *   with the dampener d (0.0005 on most venues) and the venue's cap.
 * - Time T in years (ACT/365); a year holds 3 x 365 = 1095 funding periods.
 * - Basis of a future F against the spot S with T years to expiry:
 *   simple F/S - 1 per T years, annualised (F/S - 1)/T; continuous ln(F/S)/T,
 *   the rate a future implies (r - q in Black-Scholes terms: the implied rate
 *   curve over the expiries).  The cash-and-carry trade (buy spot, sell the
 *   future, deliver at expiry) returns F/S - 1 - cost, where cost is its
 *   round-trip trading cost as a fraction of the notional (every leg and
 *   side together), annualised simple (÷ T). */
#ifndef QPM_CARRY_H
#define QPM_CARRY_H

#include <stddef.h>

#include "qpm/common.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifdef QPM_EXPERIMENTAL

/* Experimental.  The funding rate per 8 hours from the premium index
 * `premium` and the interest rate `interest` (both per 8 hours, finite,
 * |x| <= 1) with dampener `dampener` (>= 0) and cap `cap` (> 0), into
 * *rate (conventions above).  Errors: QPM_E_NULL (rate), QPM_E_NONFINITE,
 * QPM_E_INVALID (|premium| or |interest| > 1, dampener < 0, cap <= 0). */
QPM_API qpm_status qpm_funding_rate(double premium, double interest, double dampener, double cap,
                                    double *rate);

/* Experimental.  The annualised return of receiving the funding rate
 * `rate` (per 8 hours, |rate| < 1) for `days` days (> 0) on a delta-neutral
 * position (long spot, short perp when rate > 0), less `cost` (its
 * round-trip trading cost as a fraction of the notional, 0 <= cost < 1):
 * the return over the horizon is R = (1 + rate)^(3 days) - 1 - cost;
 * *simple gets R 365/days and *compounded (1 + R)^(365/days) - 1 (each
 * optional; R <= -1 gives *compounded = -1).  Errors: QPM_E_NONFINITE,
 * QPM_E_INVALID (|rate| >= 1, days <= 0, cost outside [0, 1)),
 * QPM_E_OVERFLOW (a result beyond the range of double). */
QPM_API qpm_status qpm_funding_carry(double rate, double days, double cost, double *simple,
                                     double *compounded);

/* Experimental.  Basis of n futures future[i] with T[i] years to expiry
 * (both > 0) against the spot `spot` (> 0): the annualised simple basis
 * into simple[i], the continuous one (the implied rate) into
 * continuous[i], and the annualised simple return of the cash-and-carry
 * trade net of its round-trip cost `cost` (0 <= cost < 1) into carry[i]
 * (each output optional; conventions above).  Errors: QPM_E_NULL (future,
 * T), QPM_E_SIZE (n = 0), QPM_E_NONFINITE, QPM_E_INVALID (a price or T
 * <= 0, cost outside [0, 1)), QPM_E_OVERFLOW (a result beyond the range of
 * double; outputs untouched). */
QPM_API qpm_status qpm_basis(size_t n, double spot, const double *future, const double *T,
                             double cost, double *simple, double *continuous, double *carry);

#endif /* QPM_EXPERIMENTAL */

#ifdef __cplusplus
}
#endif

#endif /* QPM_CARRY_H */
