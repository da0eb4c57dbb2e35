/* Inverse of the standard normal CDF.
 *
 * Start: Wichura's AS241 (PPND16, Applied Statistics 37, 1988), whose rational
 * approximations are within about 0.8 ulp of the quantile but lose a further
 * 4-5 ulp to rounding when evaluated in double.  Then one Newton step on
 * Phi(z) = p, which removes that rounding error.  The residual is formed
 * where it is well conditioned:
 *   |p - 1/2| <= 1/4: r = erf(z/sqrt2)/2 - (p - 1/2), where p - 1/2 is exact
 *                     (Sterbenz) and erf is relatively accurate near 0;
 *   otherwise:        r = erfc(|z|/sqrt2)/2 - t with t = min(p, 1 - p), again
 *                     exact, and erfc relatively accurate in the tail.
 * The argument z/sqrt2 is rounded; its exact rounding error e (Dekker's exact
 * product with a two-word 1/sqrt2) shifts the residual by e * 2 phi(z) / sqrt2 to first
 * order, so the step is dz = r / phi(z) + sqrt2 * e.  A Halley term would
 * change z by about z dz^2 / 2 < 1e-30 relative, so one Newton step is the
 * whole correction.  Upper-half quantiles are computed as -quantile(1 - p),
 * which makes the function exactly odd about 1/2 on exact complements.
 * Subnormal tail probabilities (t < 1e-305) skip the step: erfc(x) would
 * itself be subnormal there, and AS241 alone is within about 3 ulp. */
#include <math.h>

#include "rng/rng_internal.h"

#include "rng/norm_as241.h"

double qpm__norm_inv_as241(double p)
{
    double q = p - 0.5;
    if (fabs(q) <= 0.425)
        return qpm__as_central(q);
    double z = qpm__as_tail(q < 0 ? p : 1.0 - p);
    return q < 0 ? z : -z;
}

double qpm__norm_inv(double p)
{
    double q = p - 0.5;
    if (fabs(q) <= 0.25)
        return qpm__as_newton(qpm__as_central(q), q, 1);
    /* lower-tail probability, exact: p < 1/4 as is, or 1 - p for p > 3/4 */
    double t = q < 0 ? p : 1.0 - p;
    double z = fabs(q) <= 0.425 ? -fabs(qpm__as_central(q)) : qpm__as_tail(t);
    if (t >= 1e-305)
        z = qpm__as_newton(z, t, 0);
    return q < 0 ? z : -z;
}

double qpm_norm_inv(double p)
{
    if (QPM__LIKELY(p > 0.0 && p < 1.0))
        return qpm__norm_inv(p);
    if (p == 0.0)
        return -HUGE_VAL;
    if (p == 1.0)
        return HUGE_VAL;
    if (isnan(p))
        qpm__fail(QPM_E_NONFINITE, "p = nan: must be in [0, 1]");
    else
        qpm__fail(QPM_E_INVALID, "p = %.17g: must be in [0, 1]", p);
    return (double)NAN;
}

qpm_status qpm_norm_inv_bulk(size_t n, const double *p, double *out)
{
    if (n == 0)
        return QPM_OK;
    QPM__CHECK_NULL(p, "p");
    QPM__CHECK_NULL(out, "out");
    for (size_t i = 0; i < n; i++) {
        if (isnan(p[i]))
            return qpm__fail(QPM_E_NONFINITE, "p[%zu] = nan: must be in [0, 1]", i);
        if (!(p[i] >= 0.0 && p[i] <= 1.0))
            return qpm__fail(QPM_E_INVALID, "p[%zu] = %.17g: must be in [0, 1]", i, p[i]);
    }
    for (size_t i = 0; i < n; i++) {
        double x = p[i];
        out[i] = x > 0.0 && x < 1.0 ? qpm__norm_inv(x) : x == 0.0 ? -HUGE_VAL : HUGE_VAL;
    }
    return QPM_OK;
}
