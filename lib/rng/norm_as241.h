/* Wichura's AS241 and the Newton steps of the inverse normal CDF
 * (norm_inv.c has the method): static inline, for norm_inv.c and the block
 * inversions (norm_block.h), which must give the same bits.  Not a public
 * header. */
#ifndef QPM_RNG_NORM_AS241_H
#define QPM_RNG_NORM_AS241_H

#include <math.h>

#include "num/v4math.h"
#include "rng/rng_internal.h"

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

/* Horner's rule for the degree-7 polynomial c, on x of any width */
#define QPM__AS_HORNER7(c, x)                                                                      \
    (((((((((c)[7]) * (x) + (c)[6]) * (x) + (c)[5]) * (x) + (c)[4]) * (x) + (c)[3]) * (x) +        \
       (c)[2]) *                                                                                   \
          (x) +                                                                                    \
      (c)[1]) *                                                                                    \
         (x) +                                                                                     \
     (c)[0])

static inline double qpm__as_horner7(const double *c, double x)
{
    return QPM__AS_HORNER7(c, x);
}

/* AS241 central region, |q| <= 0.425, q = p - 1/2. */
static inline double qpm__as_central(double q)
{
    double r = 0.180625 - q * q;
    return q * qpm__as_horner7(QPM__AS_A, r) / qpm__as_horner7(QPM__AS_B, r);
}

/* AS241's central rational in Estrin's form (a shorter dependency chain;
 * other last bits): the start of the tabulated step, which removes them.
 * Written once for double and v4d (T). */
#define QPM__AS_ESTRIN7(T, c, x, out)                                                              \
    do {                                                                                           \
        T x2_ = (x) * (x), x4_ = x2_ * x2_;                                                        \
        (out) = ((c)[0] + (c)[1] * (x) + x2_ * ((c)[2] + (c)[3] * (x))) +                          \
                x4_ * (((c)[4] + (c)[5] * (x)) + x2_ * ((c)[6] + (c)[7] * (x)));                   \
    } while (0)

static inline double qpm__as_central_e(double q)
{
    double r = 0.180625 - q * q, a, b;
    QPM__AS_ESTRIN7(double, QPM__AS_A, r, a);
    QPM__AS_ESTRIN7(double, QPM__AS_B, r, b);
    return q * a / b;
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

/* Plain AS241 of p in (0, 1) (qpm__norm_inv_as241), inline for the gamma
 * sampler's proposals. */
static inline double qpm__as241(double p)
{
    double q = p - 0.5;
    if (fabs(q) <= 0.425)
        return qpm__as_central(q);
    double z = qpm__as_tail(q < 0 ? p : 1.0 - p);
    return q < 0 ? z : -z;
}

/* One compensated Newton step on erfc(-z/sqrt2)/2 = t (z < 0, lower tail):
 * the step beyond the table of qpm__nt_step_v4 (norm_inv.c). */
static inline double qpm__as_newton_erfc(double z, double t)
{
    double xh = z * QPM__AS_R2_HI;
    /* z * QPM__AS_R2_HI - xh exactly (Dekker; fma() would be a libm call without
     * hardware FMA in the baseline ISA), then the QPM__AS_R2_LO part */
    double cz = 134217729.0 * z, zh = cz - (cz - z), zl = z - zh;
    double err = ((zh * QPM__AS_R2_HI_H - xh) + zh * QPM__AS_R2_HI_L + zl * QPM__AS_R2_HI_H) +
                 zl * QPM__AS_R2_HI_L;
    double xl = err + z * QPM__AS_R2_LO; /* z/sqrt2 - xh */
    double res = 0.5 * erfc(-xh) - t;
    double dens = exp(-0.5 * z * z) * QPM__AS_INV_SQRT_2PI;
    return z - (res / dens + QPM__AS_SQRT2 * xl);
}

static inline v4d qpm__as_horner7_v4(const double *c, v4d x)
{
    return QPM__AS_HORNER7(c, x);
}

/* The body of qpm__as_tail_v4 on the lanes of T (TI its masks): out from
 * t, by the width's helpers pfx_sqrt, pfx_log, pfx_sel and horner */
#define QPM__AS_TAIL_LANES(T, TI, pfx, horner, t, out)                                             \
    do {                                                                                           \
        T r_ = pfx##_sqrt(-pfx##_log(t));                                                          \
        TI far_ = r_ > 5.0;                                                                        \
        T a_ = r_ - 1.6, b_ = r_ - 5.0;                                                            \
        T near_ = -(horner(QPM__AS_C, a_) / horner(QPM__AS_D, a_));                                \
        T farz_ = -(horner(QPM__AS_E, b_) / horner(QPM__AS_F, b_));                                \
        (out) = pfx##_sel(far_, farz_, near_);                                                     \
    } while (0)

/* qpm__as_tail on four lanes of t in (0, 0.075] (other lanes: any t in
 * (0, 1), their values unused), with the four-lane log of num/v4math.h
 * (within an ulp or two of libm's): the start of the tabulated step, in
 * the scalar and the block inversions alike. */
static inline v4d qpm__as_tail_v4(v4d t)
{
    v4d z;
    QPM__AS_TAIL_LANES(v4d, v4i, v4, qpm__as_horner7_v4, t, z);
    return z;
}

/* qpm__as_tail_v4 of one value, with the same operations (so the same
 * bits) */
static inline double qpm__as_tail_1(double t)
{
    double r = sqrt(-v4_log_1(t));
    if (r > 5.0) {
        r = r - 5.0;
        return -(qpm__as_horner7(QPM__AS_E, r) / qpm__as_horner7(QPM__AS_F, r));
    }
    r = r - 1.6;
    return -(qpm__as_horner7(QPM__AS_C, r) / qpm__as_horner7(QPM__AS_D, r));
}

/* The tabulated step's domain: x0 < QPM__NT_XLIM rounds to a node k/64
 * with k < QPM__NT.  A tail probability below QPM__NT_TMIN has its
 * quantile beyond it (|z| > 8.75): such values skip the table. */
#define QPM__NT_XLIM ((QPM__NT - 0.5) / 64.0)
#define QPM__NT_TMIN 1e-18

/* One Newton step on T(x) = t: x0 > 0 is a start within a few ulp of the
 * quantile x = -Phi^-1(t) (0 < t <= 1/2), with x0 < QPM__NT_XLIM.  Returns
 * x0 + (T(x0) - t) / phi(x0), where the residual is formed from the nearest
 * node a = k/64 (h = x0 - a, |h| <= 1/128, exact):
 *   T(x0) = T(a) - phi(a) (h + h P),  phi(x0) = phi(a) exp(-u - v/2),
 *   u = a h, v = h^2,  h P = int_0^h (exp(-a s - s^2/2) - 1) ds,
 *   P(u, v) = sum over m + 2k >= 1 of (-1)^(m+k) u^m v^k / ((m + 2k + 1) k! m! 2^k)
 * (the Taylor series of the integrand, c_n s^n = (-1)^n He_n(a) s^n / n!,
 * regrouped by powers of u and v).  With |u| <= 0.067 and v <= 6.2e-5, P is
 * kept to u^8, v u^6, v^2 u^4 and v^3 u^2 (the rest below 1e-17), in
 * Estrin's form for a short dependency chain; exp to degree 4 (its error,
 * below 2e-8 relative, scales a correction of a few ulp).  T(a) and phi(a) are
 * double-doubles, phi(a) hi h is formed exactly (Dekker), and (T(a) hi - t)
 * - phi(a) hi h is exact (Sterbenz: each pair is within a factor 1.07 of
 * each other), so the residual is exact to far below an ulp of x: the result
 * is within 0.5 ulp and a few thousandths of the quantile, the step's own
 * error being its final rounding.
 *
 * QPM__NT_ARITH is the arithmetic after the table lookup, written once for
 * double and v4d (T: the same operators, so the same bits lane by lane):
 * res <- x0 + r / (ph exp(-u - v/2)) from the node a, h and the node's
 * entries. */
#define QPM__NT_ARITH(T, x0, t, a, h, th, tl, ph, pl, res)                                         \
    do {                                                                                           \
        T u_ = (a) * (h), v_ = (h) * (h), u2_ = u_ * u_, u4_ = u2_ * u2_;                          \
        T a0_ = ((-1.0 / 2.0 + u_ * (1.0 / 6.0)) + u2_ * (-1.0 / 24.0 + u_ * (1.0 / 120.0))) +     \
                u4_ * ((-1.0 / 720.0 + u_ * (1.0 / 5040.0)) +                                      \
                       u2_ * (-1.0 / 40320.0 + u_ * (1.0 / 362880.0)));                            \
        T a1_ = ((-1.0 / 6.0 + u_ * (1.0 / 8.0)) + u2_ * (-1.0 / 20.0 + u_ * (1.0 / 72.0))) +      \
                u4_ * ((-1.0 / 336.0 + u_ * (1.0 / 1920.0)) + u2_ * (-1.0 / 12960.0));             \
        T a2_ = (1.0 / 40.0 + u_ * (-1.0 / 48.0)) +                                                \
                u2_ * ((1.0 / 112.0 + u_ * (-1.0 / 384.0)) + u2_ * (1.0 / 1728.0));                \
        T a3_ = (-1.0 / 336.0 + u_ * (1.0 / 384.0)) + u2_ * (-1.0 / 864.0);                        \
        T hp_ = (h) * (u_ * a0_ + v_ * (a1_ + v_ * (a2_ + v_ * a3_)));                             \
        T w_ = -(u_ + 0.5 * v_);                                                                   \
        T e_ = 1.0 + w_ * (1.0 + w_ * (0.5 + w_ * (1.0 / 6.0 + w_ * (1.0 / 24.0))));               \
        /* ph h = pp_ + pe_ exactly (Veltkamp's splits into 26-bit halves) */                      \
        T pp_ = (ph) * (h);                                                                        \
        T sp_ = 134217729.0 * (ph), phh_ = sp_ - (sp_ - (ph)), phl_ = (ph)-phh_;                   \
        T sh_ = 134217729.0 * (h), hh_ = sh_ - (sh_ - (h)), hl_ = (h)-hh_;                         \
        T pe_ = ((phh_ * hh_ - pp_) + phh_ * hl_ + phl_ * hh_) + phl_ * hl_;                       \
        T r_ = (((th) - (t)) - pp_) + ((((tl)-pe_) - (pl) * (h)) - (ph)*hp_);                      \
        (res) = (x0) + r_ / ((ph)*e_);                                                             \
    } while (0)

/* The step for one value. */
static inline double qpm__nt_step(double x0, double t)
{
    double kd = (x0 * 64.0 + 0x1.8p52) - 0x1.8p52; /* nearest integer, as v4_round */
    const double *n = qpm__nt_tab[kd < (double)QPM__NT ? (int)kd : QPM__NT - 1];
    double a = kd * (1.0 / 64.0), h = x0 - a, res; /* h exact */
    QPM__NT_ARITH(double, x0, t, a, h, n[0], n[1], n[2], n[3], res);
    return res;
}

/* The step for four values (lanes beyond the table: a value to discard). */
/* The step's node of each lane of x0 (the width's helpers pfx_round and
 * pfx_int_of): k (lanes beyond the table: its last node, any value to
 * discard) and a = k/64 */
#define QPM__NT_NODE(T, TI, pfx, x0, k, a)                                                         \
    do {                                                                                           \
        TI kb_;                                                                                    \
        T kd_ = pfx##_round((x0)*64.0, &kb_);                                                      \
        (k) = pfx##_int_of(kb_);                                                                   \
        TI in_ = (k) < (long long)QPM__NT;                                                         \
        (k) = ((k)&in_) | ((long long)(QPM__NT - 1) & ~in_);                                       \
        (a) = kd_ * (1.0 / 64.0);                                                                  \
    } while (0)

/* The table rows of nodes k[0..3], transposed into th, tl, ph, pl */
QPM__V4_INLINE void qpm__nt_rows_v4(const long long *k, v4d *th, v4d *tl, v4d *ph, v4d *pl)
{
    v4d r0, r1, r2, r3;
    v4_load(&r0, qpm__nt_tab[k[0]]);
    v4_load(&r1, qpm__nt_tab[k[1]]);
    v4_load(&r2, qpm__nt_tab[k[2]]);
    v4_load(&r3, qpm__nt_tab[k[3]]);
    v4d t0 = QPM__V4_SHUF(r0, r1, 0, 4, 2, 6), t1 = QPM__V4_SHUF(r0, r1, 1, 5, 3, 7);
    v4d t2 = QPM__V4_SHUF(r2, r3, 0, 4, 2, 6), t3 = QPM__V4_SHUF(r2, r3, 1, 5, 3, 7);
    *th = QPM__V4_SHUF(t0, t2, 0, 1, 4, 5), *ph = QPM__V4_SHUF(t0, t2, 2, 3, 6, 7);
    *tl = QPM__V4_SHUF(t1, t3, 0, 1, 4, 5), *pl = QPM__V4_SHUF(t1, t3, 2, 3, 6, 7);
}

QPM__V4_INLINE v4d qpm__nt_step_v4(v4d x0, v4d t)
{
    v4i k;
    v4d a, th, tl, ph, pl, res;
    QPM__NT_NODE(v4d, v4i, v4, x0, k, a);
    v4d h = x0 - a;
    long long kk[4] = {k[0], k[1], k[2], k[3]};
    qpm__nt_rows_v4(kk, &th, &tl, &ph, &pl);
    QPM__NT_ARITH(v4d, x0, t, a, h, th, tl, ph, pl, res);
    return res;
}

#endif /* QPM_RNG_NORM_AS241_H */
