/* Funding rates and basis (include/qpm/carry.h): the exchange formula with
 * its dampener and cap, the carry of receiving funding, and the basis of
 * futures against the spot. */
#include <math.h>

#include "core/internal.h"
#include "qpm/carry.h"

static qpm_status check_finite(const char *what, double v)
{
    if (!isfinite(v))
        return qpm__fail(QPM_E_NONFINITE, "%s = %g: must be finite", what, v);
    return QPM_OK;
}

static qpm_status check_cost(double cost)
{
    qpm_status st = check_finite("cost", cost);
    if (st == QPM_OK && !(cost >= 0.0 && cost < 1.0))
        return qpm__fail(QPM_E_INVALID, "cost = %.17g: must be in [0, 1)", cost);
    return st;
}

static double clamp(double x, double lo, double hi)
{
    return x < lo ? lo : x > hi ? hi : x;
}

qpm_status qpm_funding_rate(double premium, double interest, double dampener, double cap,
                            double *rate)
{
    QPM__CHECK_NULL(rate, "rate");
    qpm_status st;
    if ((st = check_finite("premium", premium)) != QPM_OK ||
        (st = check_finite("interest", interest)) != QPM_OK ||
        (st = check_finite("dampener", dampener)) != QPM_OK ||
        (st = check_finite("cap", cap)) != QPM_OK)
        return st;
    if (!(fabs(premium) <= 1.0))
        return qpm__fail(QPM_E_INVALID, "premium = %.17g: must be within [-1, 1] (per 8 hours)",
                         premium);
    if (!(fabs(interest) <= 1.0))
        return qpm__fail(QPM_E_INVALID, "interest = %.17g: must be within [-1, 1] (per 8 hours)",
                         interest);
    if (!(dampener >= 0.0))
        return qpm__fail(QPM_E_INVALID, "dampener = %.17g: must be >= 0", dampener);
    if (!(cap > 0.0))
        return qpm__fail(QPM_E_INVALID, "cap = %.17g: must be > 0", cap);
    /* within the dampener the rate is the interest rate itself, exactly (p
     * + (i - p) would round) */
    double d = interest - premium;
    double r = fabs(d) <= dampener ? interest : premium + copysign(dampener, d);
    *rate = clamp(r, -cap, cap);
    return QPM_OK;
}

qpm_status qpm_funding_carry(double rate, double days, double cost, double *simple,
                             double *compounded)
{
    qpm_status st;
    if ((st = check_finite("rate", rate)) != QPM_OK ||
        (st = check_finite("days", days)) != QPM_OK || (st = check_cost(cost)) != QPM_OK)
        return st;
    if (!(fabs(rate) < 1.0))
        return qpm__fail(QPM_E_INVALID, "rate = %.17g: must be within (-1, 1) (per 8 hours)", rate);
    if (!(days > 0.0))
        return qpm__fail(QPM_E_INVALID, "days = %.17g: must be > 0", days);
    /* (1 + rate)^(3 days) - 1 without cancellation for small rates */
    double R = expm1(3.0 * days * log1p(rate)) - cost;
    double s = R * (365.0 / days);
    double c = R <= -1.0 ? -1.0 : expm1((365.0 / days) * log1p(R));
    if (!isfinite(R) || !isfinite(s) || !isfinite(c))
        return qpm__fail(QPM_E_OVERFLOW,
                         "rate = %g over %g days: the annualised return is beyond the range of "
                         "double",
                         rate, days);
    if (simple != NULL)
        *simple = s;
    if (compounded != NULL)
        *compounded = c;
    return QPM_OK;
}

qpm_status qpm_basis(size_t n, double spot, const double *future, const double *T, double cost,
                     double *simple, double *continuous, double *carry)
{
    QPM__CHECK_NULL(future, "future");
    QPM__CHECK_NULL(T, "T");
    if (n == 0)
        return qpm__fail(QPM_E_SIZE, "n = 0: must be >= 1");
    qpm_status st;
    if ((st = check_finite("spot", spot)) != QPM_OK || (st = check_cost(cost)) != QPM_OK)
        return st;
    if (!(spot > 0.0))
        return qpm__fail(QPM_E_INVALID, "spot = %.17g: must be > 0", spot);
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < n; i++) {
            double F = future[i], t = T[i];
            if (pass == 0) {
                if (!isfinite(F))
                    return qpm__fail(QPM_E_NONFINITE, "future[%zu] = %g: must be finite", i, F);
                if (!(F > 0.0))
                    return qpm__fail(QPM_E_INVALID, "future[%zu] = %.17g: must be > 0", i, F);
                if (!isfinite(t))
                    return qpm__fail(QPM_E_NONFINITE, "T[%zu] = %g: must be finite", i, t);
                if (!(t > 0.0))
                    return qpm__fail(QPM_E_INVALID, "T[%zu] = %.17g: must be > 0", i, t);
            }
            /* F/S - 1 as (F - S)/S: exact difference for nearby prices */
            double b = (F - spot) / spot, lr = log(F / spot);
            double s = b / t, c = lr / t, k = (b - cost) / t;
            if (pass == 0) {
                if (!isfinite(s) || !isfinite(c) || !isfinite(k))
                    return qpm__fail(QPM_E_OVERFLOW,
                                     "future[%zu] = %g, T[%zu] = %g: the annualised basis is "
                                     "beyond the range of double",
                                     i, F, i, t);
                continue;
            }
            if (simple != NULL)
                simple[i] = s;
            if (continuous != NULL)
                continuous[i] = c;
            if (carry != NULL)
                carry[i] = k;
        }
    return QPM_OK;
}
