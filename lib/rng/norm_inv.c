/* Inverse of the standard normal CDF.
 *
 * Start: Wichura's AS241 (PPND16, Applied Statistics 37, 1988), whose rational
 * approximations are within about 0.8 ulp of the quantile but lose a further
 * 4-5 ulp to rounding when evaluated in double (its central rational in
 * Estrin's form, for a shorter dependency chain, and its tails with the
 * four-lane log of num/v4math.h, so that the block inversions start from
 * the same value).  Then one Newton step on T(x) = t, where x = |z|,
 * t = min(p, 1 - p) (exact) and T(x) = Phi(-x), which removes that error:
 * the residual T(x0) - t is formed from the nearest node of a table of T
 * and phi at k/64 in double-double (norm_as241.h, qpm__nt_step), exact to far
 * below an ulp of the quantile, so the result is within 0.5 ulp plus a few
 * thousandths: in effect correctly rounded.  A Halley term would change x by
 * about x dx^2 / 2 < 1e-30 relative, so one step is the whole correction.
 * The quantile is copysign(x, p - 1/2), which makes the function exactly odd
 * about 1/2 on exact complements.  The block inversions (norm_block.h) take
 * the same steps four values at a time, so they give the same bits.
 *
 * Beyond the table (t below about 1e-17, x > 8.49: never for the uniforms
 * of the generators, whose t >= 2^-53) the step is the earlier one against
 * libm's erfc, with the rounding of x/sqrt2 compensated exactly (Dekker's
 * product with a two-word 1/sqrt2).  Subnormal tail probabilities (t <
 * 1e-305) skip the step: erfc would itself be subnormal there, and AS241
 * alone is within about 3 ulp. */
#include <math.h>

#include "rng/rng_internal.h"

#include "rng/norm_as241.h"

double qpm__norm_inv_as241(double p) { return qpm__as241(p); }

double qpm__norm_inv(double p)
{
    double q = p - 0.5;
    double t = q < 0 ? p : 1.0 - p; /* exact */
    if (QPM__LIKELY(t >= QPM__NT_TMIN)) {
        double x0 = fabs(q) <= 0.425 ? fabs(qpm__as_central_e(q)) : fabs(qpm__as_tail_1(t));
        if (QPM__LIKELY(x0 < QPM__NT_XLIM))
            return copysign(qpm__nt_step(x0, t), q);
    }
    double z = qpm__as_tail(t);
    if (t >= 1e-305)
        z = qpm__as_newton_erfc(z, t);
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
    /* a chunk's values within the step's table gathered and inverted
     * together (the same bits); the far tails (beyond the table: the block
     * would redo them one by one) and the ends one by one; out may be p */
    for (size_t i = 0; i < n; i += 256) {
        double buf[256];
        size_t idx[256], m = n - i < 256 ? n - i : 256, k = 0;
        for (size_t j = 0; j < m; j++) {
            double x = p[i + j];
            idx[k] = j;
            buf[k] = x;
            k += x >= QPM__NT_TMIN && 1.0 - x >= QPM__NT_TMIN;
        }
        qpm__norm_inv_block(k, buf, 1);
        for (size_t j = 0, e = 0; j < m; j++) {
            double x = p[i + j];
            if (e < k && idx[e] == j)
                out[i + j] = buf[e++];
            else
                out[i + j] = x > 0.0 && x < 1.0 ? qpm__norm_inv(x)
                             : x == 0.0         ? -HUGE_VAL
                                                : HUGE_VAL;
        }
    }
    return QPM_OK;
}
