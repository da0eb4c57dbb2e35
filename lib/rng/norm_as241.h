/* Wichura's AS241 and the compensated Newton step of the inverse normal CDF
 * (norm_inv.c has the method): static inline, for norm_inv.c and the block
 * inversions (norm_block.h), which must give the same bits.  Not a public
 * header. */
#ifndef QPM_RNG_NORM_AS241_H
#define QPM_RNG_NORM_AS241_H

#include <math.h>

#define QPM__AS_INV_SQRT_2PI 0.39894228040143267794
#define QPM__AS_SQRT2        1.4142135623730951
/* 1/sqrt(2) = QPM__AS_R2_HI + QPM__AS_R2_LO to about 2^-108 */
#define QPM__AS_R2_HI 0x1.6a09e667f3bcdp-1
#define QPM__AS_R2_LO (-0x1.bdd3413b26456p-55)
/* QPM__AS_R2_HI split into two 26-bit halves (Veltkamp), for the exact product */
#define QPM__AS_R2_HI_H 0x1.6a09e68000000p-1
#define QPM__AS_R2_HI_L (-0x1.80c4330000000p-29)

/* AS241 coefficients, constant term first. */
static const double QPM__AS_A[8] = {3.3871328727963666080e+0, 1.3314166789178437745e+2,
                                    1.9715909503065514427e+3, 1.3731693765509461125e+4,
                                    4.5921953931549871457e+4, 6.7265770927008700853e+4,
                                    3.3430575583588128105e+4, 2.5090809287301226727e+3};
static const double QPM__AS_B[8] = {1.0,
                                    4.2313330701600911252e+1,
                                    6.8718700749205790830e+2,
                                    5.3941960214247511077e+3,
                                    2.1213794301586595867e+4,
                                    3.9307895800092710610e+4,
                                    2.8729085735721942674e+4,
                                    5.2264952788528545610e+3};
static const double QPM__AS_C[8] = {1.42343711074968357734e+0, 4.63033784615654529590e+0,
                                    5.76949722146069140550e+0, 3.64784832476320460504e+0,
                                    1.27045825245236838258e+0, 2.41780725177450611770e-1,
                                    2.27238449892691845833e-2, 7.74545014278341407640e-4};
static const double QPM__AS_D[8] = {1.0,
                                    2.05319162663775882187e+0,
                                    1.67638483018380384940e+0,
                                    6.89767334985100004550e-1,
                                    1.48103976427480074590e-1,
                                    1.51986665636164571966e-2,
                                    5.47593808499534494600e-4,
                                    1.05075007164441684324e-9};
static const double QPM__AS_E[8] = {6.65790464350110377720e+0, 5.46378491116411436990e+0,
                                    1.78482653991729133580e+0, 2.96560571828504891230e-1,
                                    2.65321895265761230930e-2, 1.24266094738807843860e-3,
                                    2.71155556874348757815e-5, 2.01033439929228813265e-7};
static const double QPM__AS_F[8] = {1.0,
                                    5.99832206555887937690e-1,
                                    1.36929880922735805310e-1,
                                    1.48753612908506148525e-2,
                                    7.86869131145613259100e-4,
                                    1.84631831751005468180e-5,
                                    1.42151175831644588870e-7,
                                    2.04426310338993978564e-15};

static inline double qpm__as_horner7(const double *c, double x)
{
    return ((((((c[7] * x + c[6]) * x + c[5]) * x + c[4]) * x + c[3]) * x + c[2]) * x + c[1]) * x +
           c[0];
}

/* AS241 central region, |q| <= 0.425, q = p - 1/2. */
static inline double qpm__as_central(double q)
{
    double r = 0.180625 - q * q;
    return q * qpm__as_horner7(QPM__AS_A, r) / qpm__as_horner7(QPM__AS_B, r);
}

/* AS241 tail: the (negative) quantile of a lower-tail probability t <= 0.075. */
static inline double qpm__as_tail(double t)
{
    double r = sqrt(-log(t));
    if (r <= 5.0) {
        r -= 1.6;
        return -(qpm__as_horner7(QPM__AS_C, r) / qpm__as_horner7(QPM__AS_D, r));
    }
    r -= 5.0;
    return -(qpm__as_horner7(QPM__AS_E, r) / qpm__as_horner7(QPM__AS_F, r));
}

/* One compensated Newton step on erf(z/sqrt2)/2 = target (central != 0) or
 * erfc(-z/sqrt2)/2 = target (z < 0, lower tail). */
static inline double qpm__as_newton(double z, double target, int use_erf)
{
    double xh = z * QPM__AS_R2_HI;
    /* z * QPM__AS_R2_HI - xh exactly (Dekker; fma() would be a libm call without
     * hardware FMA in the baseline ISA), then the QPM__AS_R2_LO part */
    double cz = 134217729.0 * z, zh = cz - (cz - z), zl = z - zh;
    double err = ((zh * QPM__AS_R2_HI_H - xh) + zh * QPM__AS_R2_HI_L + zl * QPM__AS_R2_HI_H) +
                 zl * QPM__AS_R2_HI_L;
    double xl = err + z * QPM__AS_R2_LO; /* z/sqrt2 - xh */
    double res = use_erf ? 0.5 * erf(xh) - target : 0.5 * erfc(-xh) - target;
    double dens = exp(-0.5 * z * z) * QPM__AS_INV_SQRT_2PI;
    return z - (res / dens + QPM__AS_SQRT2 * xl);
}

#endif /* QPM_RNG_NORM_AS241_H */
