/* Mills ratio R(z) = N(-z)/n(z), Q(z) = 1 - z R(z), and the
 * cancellation-free difference R(a1) - R(a1 + s) (internal).  Static inline
 * so that the vector kernels, built with FMA, get their own copy with fma()
 * as one instruction; the results are the same as the scalar file's, since
 * fma is exact either way. */
#ifndef QPM_PRICING_MILLS_H
#define QPM_PRICING_MILLS_H

#include <math.h>

#include "mills_table.h"

/* Mills ratio R(z) = N(-z)/n(z), 0 <= z (clamped at 40, where every use
 * multiplies it by an underflowed density); see mills_table.h. */
static inline double mills_r(double z, double rz)
{
    int p = (z >= QPM__RZ1) + (z >= QPM__RZ2) + (z >= QPM__RZ3);
    double u = fma(-qpm__rtab[0][p], z, qpm__rtab[1][p]) * rz * QPM__RINVH;
    double g = qpm__rtab[2 + QPM__RDEG][p];
    for (int k = QPM__RDEG - 1; k >= 0; k--)
        g = fma(g, u, qpm__rtab[2 + k][p]);
    return 4.0 * rz * g;
}

static inline double mills(double z)
{
    z = fmin(z, QPM__RZMAX);
    return mills_r(z, 1.0 / (z + 4.0));
}


/* Q(z) = 1 - z R(z) = -R'(z) for 2 <= z (clamped at 40); see mills_table.h. */
static inline double millsq(double z)
{
    z = fmin(z, QPM__RZMAX);
    int p = (z >= QPM__QZ1) + (z >= QPM__QZ2) + (z >= QPM__QZ3);
    double rz = 1.0 / (z + 4.0);
    double u = fma(-qpm__qtab[0][p], z, qpm__qtab[1][p]) * rz * QPM__QINVH;
    double g = qpm__qtab[2 + QPM__QDEG][p];
    for (int k = QPM__QDEG - 1; k >= 0; k--)
        g = fma(g, u, qpm__qtab[2 + k][p]);
    double w = 4.0 * rz;
    return w * w * g;
}

/* ---- Mills ratio difference --------------------------------------------- */

/* Continued fraction R(z) = 1/(z+ 1/(z+ 2/(z+ 3/(z+ ...)))).  With the tails
 * T_j(z) = c_j/(z + T_{j+1}(z)), the difference of two tails obeys
 *     T_j(z1) - T_j(z2) = T_j(z1) T_j(z2) / c_j * (s - (T_{j+1}(z1) - T_{j+1}(z2)))
 * where every factor is positive and the inner difference is below s/2, so
 * the recursion carries full relative accuracy.  The recursion starts from
 * the fixed point of the tail, T_N ~ (sqrt(z^2 + 4N) - z)/2. */
static inline double mills_diff_cf(double z1, double s, int nterms)
{
    double z2 = z1 + s;
    double dn = (double)nterms;
    double r1 = sqrt(z1 * z1 + 4.0 * dn), r2 = sqrt(z2 * z2 + 4.0 * dn);
    double t1 = 0.5 * (r1 - z1), t2 = 0.5 * (r2 - z2);
    double d = 0.5 * s * (1.0 - (z1 + z2) / (r1 + r2));
    for (int j = nterms - 1; j >= 0; j--) {
        double c = j == 0 ? 1.0 : (double)j;
        double n1 = c / (z1 + t1), n2 = c / (z2 + t2);
        d = n1 * n2 / c * (s - d);
        t1 = n1;
        t2 = n2;
    }
    return d;
}

static inline double mills_diff(double a1, double s)
{
    double t = 0.5 * s, m = a1 + t;
    if (a1 >= 8.0 || (a1 >= 2.0 && t > 0.25)) {
        /* depth for a relative truncation error below 2e-16 (checked
         * against 50-digit values for a1 in [2, 12]) */
        int nterms = 10 + (int)(360.0 / (a1 * a1));
        return mills_diff_cf(a1, s, nterms);
    }
    /* Taylor series about the midpoint m: R(m - t) - R(m + t) =
     * -2 sum_{k odd} R^(k)(m) t^k / k!, with R^(k+1) = m R^(k) + k R^(k-1).
     * R' = -Q comes from its own table where m R - 1 would cancel; the
     * forward recurrence loses about m^2 per order, which the powers of
     * t/m (below 1/8 here) more than repay. */
    double rkm1 = mills(m);
    double rk = m >= 2.0 ? -millsq(m) : m * rkm1 - 1.0;
    double tk = t, sum = rk * t; /* k = 1 term: R' t / 1! */
    for (int k = 1; k < 80; k++) {
        double rk1 = m * rk + (double)k * rkm1; /* R^(k+1) */
        rkm1 = rk;
        rk = rk1;
        tk *= t / (double)(k + 1); /* t^(k+1) / (k+1)! */
        if ((k + 1) % 2 == 1) {
            double term = rk * tk;
            sum += term;
            if (fabs(term) <= 1e-18 * fabs(sum))
                break;
        }
    }
    return -2.0 * sum;
}

#endif /* QPM_PRICING_MILLS_H */
