/* libqpm amm: liquidity positions in automated-market-maker pools that pair
 * a coin with USD (a stablecoin taken at par), and swaps against them.
 * Experimental (see common.h, "the experimental tier"): every declaration
 * here is seen only with QPM_EXPERIMENTAL defined.
 *
 * Conventions
 * -----------
 * - The pool price P is USD per coin; s = sqrt(P).  Liquidity L > 0 is in
 *   sqrt(coin x USD) units, the pools' own unit (Uniswap v2 and v3).
 * - A concentrated-liquidity (v3) position holds L over the price range
 *   [Pa, Pb), 0 <= Pa < Pb <= +inf, with sa = sqrt(Pa), sb = sqrt(Pb):
 *     P <= Pa       coin = L (1/sa - 1/sb)           usd = 0
 *     Pa < P < Pb   coin = L (1/s - 1/sb)            usd = L (s - sa)
 *     P >= Pb       coin = 0                         usd = L (sb - sa)
 *   value = P coin + usd (USD); delta = dvalue/dP = coin (coins);
 *   gamma = d2value/dP2 = -L / (2 P s) in the range, 0 outside it (at
 *   P = Pa the value from above: the range is active at its lower price,
 *   as a pool's [lower, upper) tick range is).  A full-range
 *   (constant-product, v2) share is the range [0, +inf): coin = L/s,
 *   usd = L s, value = 2 L s, its reserves' product coin x usd = L^2.
 *   Within the range the amounts are formed as L (Pb - P)/((s + sb) s sb)
 *   and L (P - Pa)/(s + sa), so that none is a difference of nearly equal
 *   square roots: each is within a few ulps for any range, a one-tick range
 *   included.
 * - Impermanent loss of a position opened at P0 and held to P1: its value at
 *   P1 over the value at P1 of the coins and USD it held at P0, minus 1
 *   (<= 0); for a full-range share 2 sqrt(k)/(1 + k) - 1 with k = P1/P0.
 * - Swaps pay a fee f in [0, 1) on the amount in: a trade of a in moves the
 *   pool with a (1 - f).  Selling coin (QPM_AMM_SELL_COIN) pays coins in and
 *   takes USD out, and moves the price down; buying coin pays USD in.
 *   Price impact = |average execution price / P - 1|, fee included
 *   (formed without cancellation for a v2 pool; to about 1e-16 absolute
 *   for a v3 pool, whose walk gives the average price only).
 *
 * Every function checks its inputs (NaN and infinities, signs, ordering)
 * and fails with a status and a message from qpm_last_error() naming the
 * element and the bound; outputs are untouched on failure. */
#ifndef QPM_AMM_H
#define QPM_AMM_H

#include <stddef.h>

#include "qpm/common.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifdef QPM_EXPERIMENTAL

/* Direction of a swap: what the trader pays in. */
typedef enum qpm_amm_side {
    QPM_AMM_SELL_COIN = 0, /* coins in, USD out: the price falls */
    QPM_AMM_BUY_COIN = 1   /* USD in, coins out: the price rises */
} qpm_amm_side;

/* Experimental.  Amounts, value and Greeks of n liquidity positions
 * (conventions above), element i from price[i] (P > 0), liquidity[i]
 * (L > 0), lower[i] and upper[i] (0 <= Pa < Pb; Pb may be +INFINITY).
 * lower NULL means 0 for every position and upper NULL means +INFINITY,
 * so both NULL gives full-range (v2) shares.  Outputs (n each, NULL when
 * not wanted): coin (coins held), usd (USD held), value (USD), delta
 * (coins per USD of price: the coins held), gamma (coins per USD^2).
 * Errors: QPM_E_NULL (price, liquidity), QPM_E_SIZE (n = 0), QPM_E_NONFINITE
 * (a NaN, an infinite price, liquidity or lower bound), QPM_E_INVALID
 * (P <= 0, L <= 0, Pa < 0, Pa >= Pb), QPM_E_OVERFLOW (an output beyond the
 * range of double); the message names the element.  Outputs untouched on
 * error. */
QPM_API qpm_status qpm_amm_position(size_t n, const double *price, const double *liquidity,
                                    const double *lower, const double *upper, double *coin,
                                    double *usd, double *value, double *delta, double *gamma);

/* Experimental.  Liquidity L of a position over [Pa, Pb) at price P that
 * holds `coin` coins and `usd` USD, as a pool mints it: the largest L both
 * amounts cover (in the range, the smaller of coin / (1/s - 1/sb) and
 * usd / (s - sa); below it, coin alone counts; above it, usd alone).  The
 * unused remainder of the other amount goes to *coin_left and *usd_left
 * (optional).  lower = 0 and upper = +INFINITY give a full-range share.
 * Errors: QPM_E_NULL (liquidity), QPM_E_NONFINITE, QPM_E_INVALID (P <= 0,
 * an amount < 0, Pa < 0, Pa >= Pb, or amounts that buy no liquidity: both
 * 0, or only the amount the range does not use at P), QPM_E_OVERFLOW. */
QPM_API qpm_status qpm_amm_liquidity(double price, double lower, double upper, double coin,
                                     double usd, double *liquidity, double *coin_left,
                                     double *usd_left);

/* Experimental.  Impermanent loss (conventions above) of n positions opened
 * at price0[i] and valued at price1[i] (both > 0) over [lower[i], upper[i])
 * (NULL: 0 and +INFINITY, a full-range share) into loss[i] (<= 0, a
 * fraction: -0.0572 for a full-range share after the price doubles).  It
 * does not depend on L.  Errors: QPM_E_NULL (price0, price1, loss),
 * QPM_E_SIZE (n = 0), QPM_E_NONFINITE, QPM_E_INVALID (a price <= 0,
 * Pa < 0, Pa >= Pb). */
QPM_API qpm_status qpm_amm_impermanent_loss(size_t n, const double *price0, const double *price1,
                                            const double *lower, const double *upper, double *loss);

/* Experimental.  A swap of amount_in (> 0; coins when selling coin, USD when
 * buying) against a constant-product pool with reserves reserve_coin and
 * reserve_usd (> 0) and fee `fee` in [0, 1): amount_out = R_out a' /
 * (R_in + a') with a' = amount_in (1 - fee).  Outputs (each optional):
 * *amount_out (USD or coins), *price_after (the pool price
 * reserve_usd / reserve_coin after the trade), *impact (conventions above).
 * Errors: QPM_E_NONFINITE, QPM_E_INVALID (a reserve or amount_in <= 0, fee
 * outside [0, 1), an unknown side), QPM_E_OVERFLOW. */
QPM_API qpm_status qpm_amm_swap_v2(double reserve_coin, double reserve_usd, double fee,
                                   qpm_amm_side side, double amount_in, double *amount_out,
                                   double *price_after, double *impact);

/* Experimental.  A swap of amount_in (> 0) against a concentrated-liquidity
 * pool at price `price` whose active liquidity is liquidity[k] (>= 0) on the
 * price interval [bounds[k], bounds[k + 1]), k = 0..n-1 (bounds: n + 1
 * prices, strictly increasing, bounds[0] > 0, bounds[n] finite; the
 * initialised ticks), with fee `fee` in [0, 1) on the amount in.  The
 * trade walks from `price` (within [bounds[0], bounds[n]]) through as many
 * intervals as it needs, each with its own liquidity; an interval of zero
 * liquidity is crossed at no cost.  Outputs as qpm_amm_swap_v2 (the price
 * after is where the walk stops), and *ticks_crossed (optional): the
 * number of bounds crossed.  Errors: QPM_E_NULL (bounds, liquidity),
 * QPM_E_SIZE (n = 0), QPM_E_NONFINITE, QPM_E_INVALID (bounds not strictly
 * increasing or bounds[0] <= 0, a liquidity < 0, price outside the bounds,
 * fee outside [0, 1), amount_in <= 0, an unknown side), QPM_E_INFEASIBLE
 * (the pool's liquidity in that direction cannot fill the trade: the
 * message gives the most it can take), QPM_E_OVERFLOW. */
QPM_API qpm_status qpm_amm_swap_v3(size_t n, const double *bounds, const double *liquidity,
                                   double price, double fee, qpm_amm_side side, double amount_in,
                                   double *amount_out, double *price_after, double *impact,
                                   size_t *ticks_crossed);

#endif /* QPM_EXPERIMENTAL */

#ifdef __cplusplus
}
#endif

#endif /* QPM_AMM_H */
