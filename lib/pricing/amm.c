/* Liquidity positions in AMM pools and swaps against them (include/qpm/amm.h):
 * the closed forms of amm_math.h behind checked entry points, and the walk
 * of a swap through a concentrated-liquidity pool's intervals. */
#include <float.h>
#include <math.h>
#include <stdio.h>

#include "core/internal.h"
#include "pricing/amm_math.h"
#include "qpm/amm.h"

/* ---- checks --------------------------------------------------------------------- */

/* "what[i]" in messages, or "what" for a scalar argument (i == SIZE_MAX). */
typedef struct name_buf {
    char s[48];
} name_buf;

static name_buf arg_name(const char *what, size_t i)
{
    name_buf b;
    if (i == SIZE_MAX)
        snprintf(b.s, sizeof b.s, "%s", what);
    else
        snprintf(b.s, sizeof b.s, "%s[%zu]", what, i);
    return b;
}

static qpm_status check_positive(const char *what, size_t i, double v)
{
    if (!isfinite(v))
        return qpm__fail(QPM_E_NONFINITE, "%s = %g: must be finite", arg_name(what, i).s, v);
    if (!(v > 0.0))
        return qpm__fail(QPM_E_INVALID, "%s = %.17g: must be > 0", arg_name(what, i).s, v);
    return QPM_OK;
}

/* 0 <= lo < hi <= +inf; lo finite. */
static qpm_status check_range(size_t i, double lo, double hi)
{
    if (!isfinite(lo))
        return qpm__fail(QPM_E_NONFINITE, "%s = %g: must be finite", arg_name("lower", i).s, lo);
    if (!(lo >= 0.0))
        return qpm__fail(QPM_E_INVALID, "%s = %.17g: must be >= 0", arg_name("lower", i).s, lo);
    if (isnan(hi))
        return qpm__fail(QPM_E_NONFINITE, "%s = nan: must be a number (+inf allowed)",
                         arg_name("upper", i).s);
    if (!(hi > lo))
        return qpm__fail(QPM_E_INVALID, "%s = %.17g: must be > lower = %.17g",
                         arg_name("upper", i).s, hi, lo);
    return QPM_OK;
}

static qpm_status check_fee(double fee)
{
    if (!isfinite(fee))
        return qpm__fail(QPM_E_NONFINITE, "fee = %g: must be finite", fee);
    if (!(fee >= 0.0 && fee < 1.0))
        return qpm__fail(QPM_E_INVALID, "fee = %.17g: must be in [0, 1)", fee);
    return QPM_OK;
}

static qpm_status check_side(qpm_amm_side side)
{
    if (side != QPM_AMM_SELL_COIN && side != QPM_AMM_BUY_COIN)
        return qpm__fail(QPM_E_INVALID,
                         "side = %d: must be QPM_AMM_SELL_COIN (0) or QPM_AMM_BUY_COIN (1)",
                         (int)side);
    return QPM_OK;
}

static double lower_of(const double *lower, size_t i)
{
    return lower != NULL ? lower[i] : 0.0;
}

static double upper_of(const double *upper, size_t i)
{
    return upper != NULL ? upper[i] : (double)INFINITY;
}

/* ---- positions ------------------------------------------------------------------ */

enum { O_COIN, O_USD, O_VALUE, O_DELTA, O_GAMMA, O_N };
static const char *const out_name[O_N] = {"coin", "usd", "value", "delta", "gamma"};

static void position_one(double P, double L, double lo, double hi, double o[O_N])
{
    qpm__amm_range r = qpm__amm_range_of(lo, hi);
    double c, u, g;
    qpm__amm_unit(&r, P, &c, &u, &g);
    o[O_COIN] = L * c;
    o[O_USD] = L * u;
    o[O_VALUE] = L * (P * c + u);
    o[O_DELTA] = o[O_COIN];
    o[O_GAMMA] = L * g;
}

qpm_status qpm_amm_position(size_t n, const double *price, const double *liquidity,
                            const double *lower, const double *upper, double *coin, double *usd,
                            double *value, double *delta, double *gamma)
{
    QPM__CHECK_NULL(price, "price");
    QPM__CHECK_NULL(liquidity, "liquidity");
    if (n == 0)
        return qpm__fail(QPM_E_SIZE, "n = 0: must be >= 1");
    double *out[O_N] = {coin, usd, value, delta, gamma};
    qpm_status st;
    /* every element is checked, and its outputs found finite, before any is
     * written */
    for (size_t i = 0; i < n; i++) {
        if ((st = check_positive("price", i, price[i])) != QPM_OK ||
            (st = check_positive("liquidity", i, liquidity[i])) != QPM_OK ||
            (st = check_range(i, lower_of(lower, i), upper_of(upper, i))) != QPM_OK)
            return st;
        double o[O_N];
        position_one(price[i], liquidity[i], lower_of(lower, i), upper_of(upper, i), o);
        for (int k = 0; k < O_N; k++)
            if (out[k] != NULL && !isfinite(o[k]))
                return qpm__fail(QPM_E_OVERFLOW,
                                 "element %zu: %s = %g: beyond the range of "
                                 "double",
                                 i, out_name[k], o[k]);
    }
    for (size_t i = 0; i < n; i++) {
        double o[O_N];
        position_one(price[i], liquidity[i], lower_of(lower, i), upper_of(upper, i), o);
        for (int k = 0; k < O_N; k++)
            if (out[k] != NULL)
                out[k][i] = o[k];
    }
    return QPM_OK;
}

qpm_status qpm_amm_liquidity(double price, double lower, double upper, double coin, double usd,
                             double *liquidity, double *coin_left, double *usd_left)
{
    QPM__CHECK_NULL(liquidity, "liquidity");
    qpm_status st;
    if ((st = check_positive("price", SIZE_MAX, price)) != QPM_OK ||
        (st = check_range(SIZE_MAX, lower, upper)) != QPM_OK)
        return st;
    const char *names[2] = {"coin", "usd"};
    double amt[2] = {coin, usd};
    for (int k = 0; k < 2; k++) {
        if (!isfinite(amt[k]))
            return qpm__fail(QPM_E_NONFINITE, "%s = %g: must be finite", names[k], amt[k]);
        if (!(amt[k] >= 0.0))
            return qpm__fail(QPM_E_INVALID, "%s = %.17g: must be >= 0", names[k], amt[k]);
    }
    qpm__amm_range r = qpm__amm_range_of(lower, upper);
    double c, u, g;
    qpm__amm_unit(&r, price, &c, &u, &g);
    /* the largest L with L c <= coin and L u <= usd, over the amounts the
     * range uses at this price */
    double L = INFINITY;
    if (c > 0.0)
        L = coin / c;
    if (u > 0.0 && usd / u < L)
        L = usd / u;
    if (!(L > 0.0))
        return qpm__fail(QPM_E_INVALID,
                         "coin = %.17g, usd = %.17g buy no liquidity at price %.17g over [%.17g, "
                         "%.17g): the range needs %s",
                         coin, usd, price, lower, upper,
                         c > 0.0 && u > 0.0 ? "both amounts"
                         : c > 0.0          ? "coin"
                                            : "usd");
    if (!isfinite(L))
        return qpm__fail(QPM_E_OVERFLOW, "liquidity beyond the range of double");
    /* the binding amount is used whole; the other keeps what L leaves */
    double cl = c > 0.0 && coin / c == L ? 0.0 : coin - L * c;
    double ul = u > 0.0 && usd / u == L && cl != 0.0 ? 0.0 : usd - L * u;
    *liquidity = L;
    if (coin_left != NULL)
        *coin_left = cl > 0.0 ? cl : 0.0;
    if (usd_left != NULL)
        *usd_left = ul > 0.0 ? ul : 0.0;
    return QPM_OK;
}

/* Per unit of liquidity: (value at P1) - (value at P1 of the amounts held at
 * P0), <= 0, and the latter. */
static double il_one(double p0, double p1, double lo, double hi)
{
    qpm__amm_range r = qpm__amm_range_of(lo, hi);
    double c0, u0, c1, u1, g;
    qpm__amm_unit(&r, p0, &c0, &u0, &g);
    qpm__amm_unit(&r, p1, &c1, &u1, &g);
    double hold = p1 * c0 + u0, diff;
    int in0 = r.full || (p0 >= lo && p0 < hi), in1 = r.full || (p1 >= lo && p1 < hi);
    if (in0 && in1) {
        /* both in the range: -(s1 - s0)^2 / s0 exactly, whatever the range */
        double s0 = sqrt(p0), s1 = sqrt(p1), d = (p1 - p0) / (s1 + s0);
        diff = -(d * d) / s0;
    } else {
        diff = p1 * (c1 - c0) + (u1 - u0);
        if (diff > 0.0)
            diff = 0.0; /* rounding: the loss is never a gain */
    }
    return diff / hold;
}

qpm_status qpm_amm_impermanent_loss(size_t n, const double *price0, const double *price1,
                                    const double *lower, const double *upper, double *loss)
{
    QPM__CHECK_NULL(price0, "price0");
    QPM__CHECK_NULL(price1, "price1");
    QPM__CHECK_NULL(loss, "loss");
    if (n == 0)
        return qpm__fail(QPM_E_SIZE, "n = 0: must be >= 1");
    qpm_status st;
    for (size_t i = 0; i < n; i++) {
        if ((st = check_positive("price0", i, price0[i])) != QPM_OK ||
            (st = check_positive("price1", i, price1[i])) != QPM_OK ||
            (st = check_range(i, lower_of(lower, i), upper_of(upper, i))) != QPM_OK)
            return st;
        if (!isfinite(il_one(price0[i], price1[i], lower_of(lower, i), upper_of(upper, i))))
            return qpm__fail(QPM_E_OVERFLOW,
                             "element %zu: price0 = %g, price1 = %g: an intermediate leaves the "
                             "range of double",
                             i, price0[i], price1[i]);
    }
    for (size_t i = 0; i < n; i++)
        loss[i] = il_one(price0[i], price1[i], lower_of(lower, i), upper_of(upper, i));
    return QPM_OK;
}

/* ---- swaps ------------------------------------------------------------------------ */

/* imp < 0: |average price / price - 1| */
static qpm_status swap_result(double price, qpm_amm_side side, double amount_in, double out,
                              double after, double imp, double *amount_out, double *price_after,
                              double *impact)
{
    if (imp < 0.0) {
        double avg = side == QPM_AMM_SELL_COIN ? out / amount_in : amount_in / out;
        imp = fabs(avg / price - 1.0);
    }
    if (!isfinite(out) || !isfinite(after) || !(after > 0.0) || !isfinite(imp))
        return qpm__fail(QPM_E_OVERFLOW,
                         "amount_in = %g: the trade leaves the range of double (amount out %g, "
                         "price after %g)",
                         amount_in, out, after);
    if (amount_out != NULL)
        *amount_out = out;
    if (price_after != NULL)
        *price_after = after;
    if (impact != NULL)
        *impact = imp;
    return QPM_OK;
}

qpm_status qpm_amm_swap_v2(double reserve_coin, double reserve_usd, double fee, qpm_amm_side side,
                           double amount_in, double *amount_out, double *price_after,
                           double *impact)
{
    qpm_status st;
    if ((st = check_positive("reserve_coin", SIZE_MAX, reserve_coin)) != QPM_OK ||
        (st = check_positive("reserve_usd", SIZE_MAX, reserve_usd)) != QPM_OK ||
        (st = check_fee(fee)) != QPM_OK || (st = check_side(side)) != QPM_OK ||
        (st = check_positive("amount_in", SIZE_MAX, amount_in)) != QPM_OK)
        return st;
    int sell = side == QPM_AMM_SELL_COIN;
    double rin = sell ? reserve_coin : reserve_usd, rout = sell ? reserve_usd : reserve_coin;
    double a = amount_in * (1.0 - fee);
    /* R_out a / (R_in + a), as R_out / (R_in / a + 1) when R_in + a would
     * overflow */
    double out = isfinite(rin + a) ? rout * (a / (rin + a)) : rout / (rin / a + 1.0);
    /* the fee stays in the pool: reserves R_in + amount_in, R_out - out */
    double nin = rin + amount_in, nout = rout - out;
    double after = sell ? nout / nin : nin / nout;
    /* 1 - avg/P = (a' + f R_coin) / (R_coin + a') selling, avg/P - 1 =
     * (a' + f R_usd) / ((1 - f) R_usd) buying: no cancellation for small
     * trades */
    double imp = sell ? (a + fee * rin) / (rin + a) : (a + fee * rin) / ((1.0 - fee) * rin);
    if (!isfinite(rin + a))
        imp = -1.0;
    return swap_result(reserve_usd / reserve_coin, side, amount_in, out, after, imp, amount_out,
                       price_after, impact);
}

qpm_status qpm_amm_swap_v3(size_t n, const double *bounds, const double *liquidity, double price,
                           double fee, qpm_amm_side side, double amount_in, double *amount_out,
                           double *price_after, double *impact, size_t *ticks_crossed)
{
    QPM__CHECK_NULL(bounds, "bounds");
    QPM__CHECK_NULL(liquidity, "liquidity");
    if (n == 0)
        return qpm__fail(QPM_E_SIZE, "n = 0: must be >= 1 (n + 1 bounds)");
    qpm_status st;
    if ((st = check_positive("bounds", 0, bounds[0])) != QPM_OK)
        return st;
    for (size_t k = 0; k < n; k++) {
        if (!isfinite(bounds[k + 1]))
            return qpm__fail(QPM_E_NONFINITE, "bounds[%zu] = %g: must be finite", k + 1,
                             bounds[k + 1]);
        if (!(bounds[k + 1] > bounds[k]))
            return qpm__fail(QPM_E_INVALID,
                             "bounds[%zu] = %.17g: must be > bounds[%zu] = %.17g (strictly "
                             "increasing)",
                             k + 1, bounds[k + 1], k, bounds[k]);
        if (!isfinite(liquidity[k]))
            return qpm__fail(QPM_E_NONFINITE, "liquidity[%zu] = %g: must be finite", k,
                             liquidity[k]);
        if (!(liquidity[k] >= 0.0))
            return qpm__fail(QPM_E_INVALID, "liquidity[%zu] = %.17g: must be >= 0", k,
                             liquidity[k]);
    }
    if ((st = check_positive("price", SIZE_MAX, price)) != QPM_OK)
        return st;
    if (!(price >= bounds[0] && price <= bounds[n]))
        return qpm__fail(QPM_E_INVALID,
                         "price = %.17g: must be within [bounds[0], bounds[%zu]] = "
                         "[%.17g, %.17g]",
                         price, n, bounds[0], bounds[n]);
    if ((st = check_fee(fee)) != QPM_OK || (st = check_side(side)) != QPM_OK ||
        (st = check_positive("amount_in", SIZE_MAX, amount_in)) != QPM_OK)
        return st;

    int sell = side == QPM_AMM_SELL_COIN;
    double rem = amount_in * (1.0 - fee), out = 0.0, after = price, sp = sqrt(price);
    size_t crossed = 0;
    if (sell) {
        /* the price falls: interval k holds the prices just below P,
         * bounds[k] < P <= bounds[k + 1] */
        size_t k = n;
        while (k > 0 && !(bounds[k - 1] < price))
            k--;
        for (int first = 1; rem > 0.0 && k > 0; first = 0) {
            crossed += !first;
            k--;
            double L = liquidity[k], lo = bounds[k], slo = sqrt(lo);
            /* coins that take the price from `after` down to lo:
             * L (1/slo - 1/s) = L (P - lo) / (s slo (s + slo)) */
            double cap = L * ((after - lo) / slo / (sp + slo) / sp);
            if (rem <= cap && L > 0.0) {
                /* 1/s' = 1/s + rem/L: USD out L (s - s') = L rem s^2 / (L + rem s) */
                out += L * rem * (sp * sp) / (L + rem * sp);
                sp = L * sp / (L + rem * sp);
                after = sp * sp < lo ? lo : sp * sp; /* rounding at the bound */
                rem = 0.0;
                break;
            }
            out += L * ((after - lo) / (sp + slo));
            rem -= cap;
            after = lo;
            sp = slo;
        }
    } else {
        /* the price rises: interval k holds bounds[k] <= P < bounds[k + 1] */
        size_t k = 0;
        while (k < n && !(price < bounds[k + 1]))
            k++;
        for (int first = 1; rem > 0.0 && k < n; first = 0, k++) {
            crossed += !first;
            double L = liquidity[k], hi = bounds[k + 1], shi = sqrt(hi);
            /* USD that takes the price up to hi: L (shi - s) */
            double cap = L * ((hi - after) / (shi + sp));
            if (rem <= cap && L > 0.0) {
                /* s' = s + rem/L: coins out L (1/s - 1/s') = rem / (s s') */
                double s1 = sp + rem / L;
                out += rem / (sp * s1);
                sp = s1;
                after = s1 * s1 > hi ? hi : s1 * s1; /* rounding at the bound */
                rem = 0.0;
                break;
            }
            out += L * ((hi - after) / shi / (sp + shi) / sp);
            rem -= cap;
            after = hi;
            sp = shi;
        }
    }
    if (rem > 0.0) {
        /* the most the pool takes in this direction, fee included */
        double most = (amount_in * (1.0 - fee) - rem) / (1.0 - fee);
        return qpm__fail(QPM_E_INFEASIBLE,
                         "amount_in = %.17g: the pool's liquidity %s the price cannot fill it "
                         "(it takes at most %.17g, to price %.17g)",
                         amount_in, sell ? "below" : "above", most, sell ? bounds[0] : bounds[n]);
    }
    st = swap_result(price, side, amount_in, out, after, -1.0, amount_out, price_after, impact);
    if (st == QPM_OK && ticks_crossed != NULL)
        *ticks_crossed = crossed;
    return st;
}
