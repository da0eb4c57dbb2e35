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

#define INV_SQRT_2PI 0.39894228040143267794
#define SQRT2        1.4142135623730951
/* 1/sqrt(2) = R2_HI + R2_LO to about 2^-108 */
#define R2_HI 0x1.6a09e667f3bcdp-1
#define R2_LO (-0x1.bdd3413b26456p-55)
/* R2_HI split into two 26-bit halves (Veltkamp), for the exact product */
#define R2_HI_H 0x1.6a09e68000000p-1
#define R2_HI_L (-0x1.80c4330000000p-29)

/* AS241 coefficients, constant term first. */
static const double A[8] = {3.3871328727963666080e+0, 1.3314166789178437745e+2,
                            1.9715909503065514427e+3, 1.3731693765509461125e+4,
                            4.5921953931549871457e+4, 6.7265770927008700853e+4,
                            3.3430575583588128105e+4, 2.5090809287301226727e+3};
static const double B[8] = {1.0,
                            4.2313330701600911252e+1,
                            6.8718700749205790830e+2,
                            5.3941960214247511077e+3,
                            2.1213794301586595867e+4,
                            3.9307895800092710610e+4,
                            2.8729085735721942674e+4,
                            5.2264952788528545610e+3};
static const double C[8] = {1.42343711074968357734e+0, 4.63033784615654529590e+0,
                            5.76949722146069140550e+0, 3.64784832476320460504e+0,
                            1.27045825245236838258e+0, 2.41780725177450611770e-1,
                            2.27238449892691845833e-2, 7.74545014278341407640e-4};
static const double D[8] = {1.0,
                            2.05319162663775882187e+0,
                            1.67638483018380384940e+0,
                            6.89767334985100004550e-1,
                            1.48103976427480074590e-1,
                            1.51986665636164571966e-2,
                            5.47593808499534494600e-4,
                            1.05075007164441684324e-9};
static const double E[8] = {6.65790464350110377720e+0, 5.46378491116411436990e+0,
                            1.78482653991729133580e+0, 2.96560571828504891230e-1,
                            2.65321895265761230930e-2, 1.24266094738807843860e-3,
                            2.71155556874348757815e-5, 2.01033439929228813265e-7};
static const double F[8] = {1.0,
                            5.99832206555887937690e-1,
                            1.36929880922735805310e-1,
                            1.48753612908506148525e-2,
                            7.86869131145613259100e-4,
                            1.84631831751005468180e-5,
                            1.42151175831644588870e-7,
                            2.04426310338993978564e-15};

static inline double horner7(const double *c, double x)
{
    return ((((((c[7] * x + c[6]) * x + c[5]) * x + c[4]) * x + c[3]) * x + c[2]) * x + c[1]) * x +
           c[0];
}

/* AS241 central region, |q| <= 0.425, q = p - 1/2. */
static inline double central(double q)
{
    double r = 0.180625 - q * q;
    return q * horner7(A, r) / horner7(B, r);
}

/* AS241 tail: the (negative) quantile of a lower-tail probability t <= 0.075. */
static inline double tail(double t)
{
    double r = sqrt(-log(t));
    if (r <= 5.0) {
        r -= 1.6;
        return -(horner7(C, r) / horner7(D, r));
    }
    r -= 5.0;
    return -(horner7(E, r) / horner7(F, r));
}

/* One compensated Newton step on erf(z/sqrt2)/2 = target (central != 0) or
 * erfc(-z/sqrt2)/2 = target (z < 0, lower tail). */
static inline double newton(double z, double target, int use_erf)
{
    double xh = z * R2_HI;
    /* z * R2_HI - xh exactly (Dekker; fma() would be a libm call without
     * hardware FMA in the baseline ISA), then the R2_LO part */
    double cz = 134217729.0 * z, zh = cz - (cz - z), zl = z - zh;
    double err = ((zh * R2_HI_H - xh) + zh * R2_HI_L + zl * R2_HI_H) + zl * R2_HI_L;
    double xl = err + z * R2_LO; /* z/sqrt2 - xh */
    double res = use_erf ? 0.5 * erf(xh) - target : 0.5 * erfc(-xh) - target;
    double dens = exp(-0.5 * z * z) * INV_SQRT_2PI;
    return z - (res / dens + SQRT2 * xl);
}

double qpm__norm_inv_as241(double p)
{
    double q = p - 0.5;
    if (fabs(q) <= 0.425)
        return central(q);
    double z = tail(q < 0 ? p : 1.0 - p);
    return q < 0 ? z : -z;
}

double qpm__norm_inv(double p)
{
    double q = p - 0.5;
    if (fabs(q) <= 0.25)
        return newton(central(q), q, 1);
    /* lower-tail probability, exact: p < 1/4 as is, or 1 - p for p > 3/4 */
    double t = q < 0 ? p : 1.0 - p;
    double z = fabs(q) <= 0.425 ? -fabs(central(q)) : tail(t);
    if (t >= 1e-305)
        z = newton(z, t, 0);
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
