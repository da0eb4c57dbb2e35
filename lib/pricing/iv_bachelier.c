/* Bachelier (normal model) implied volatility.
 *
 * With m = |F - K| > 0 and s = sigma sqrt T, the out-of-the-money (time)
 * value is v = s n(z) I1(z), z = m / s, where I1(z) = 1 - z R(z) and R is
 * the Mills ratio.  So v / m = n(z) I1(z) / z, a decreasing function of z
 * alone, and the problem is one equation in z:
 *     G(z) = -z^2/2 + ln n(0) + ln I1(z) - ln z - ln(v/m) = 0,
 * solved in log form (no underflow, nearly linear for large z) by Halley
 * steps from an asymptotic initial guess.  Then sigma = m / (z sqrt T).
 * I1 loses ~z^2 ulp to cancellation in 1 - z R(z), but ln I1 enters z with
 * a factor 1/z^2 (G' ~ -z), so sigma keeps a few ulp; beyond z = 20 the
 * asymptotic series of I1 is used instead. */
#include <float.h>
#include <math.h>

#include "pricing/implied_vol.h"
#include "pricing/iv_math.h"

#define BA_LN_INV_SQRT_2PI (-0.91893853320467274)

/* I1(z) = int_0^inf u e^{-zu - u^2/2} du = 1 - z R(z) for z >= 0. */
static double ba_i1(double z)
{
    if (z < 20.0)
        return 1.0 - z * qpm__mills_rat(z);
    /* z^-2 sum_n (-1)^n (2n+1)!! z^-2n; the 12th term is below 1e-17 */
    double w = 1.0 / (z * z);
    double s = 1.0;
    for (int n = 12; n >= 1; n--)
        s = 1.0 - (double)(2 * n + 1) * w * s;
    return w * s;
}

double qpm__bachelier_price(double F, double K, double T, double sigma, int is_call)
{
    double d = is_call ? F - K : K - F;
    double intrinsic = d > 0.0 ? d : 0.0;
    double s = sigma * sqrt(T);
    if (!(s > 0.0))
        return intrinsic;
    if (isinf(s))
        return (double)INFINITY;
    double m = fabs(F - K);
    double z = m / s;
    /* z^2/2 nearly exactly: z = zh + zl, z^2 = p + e */
    double zl = fma(-z, s, m) / s, p, e;
    qpm__two_prod(z, z, &p, &e);
    int n;
    double ex = qpm__exp_neg_scaled(0.5 * p, 0.5 * e + z * zl, &n);
    return intrinsic + ldexp(s * QPM__IV_INV_SQRT_2PI * ex * ba_i1(z), -n);
}

/* Solves n(z) I1(z) m / z = tv for z > 0; lnc = ln(tv/m). */
static double ba_solve(double lnc, double tv, double m)
{
    double z;
    double c = exp(lnc);
    if (c >= 0.0833) {
        /* z <= 1: n(z) I1(z)/z = n(0)/z - 1/2 + O(z) */
        z = QPM__IV_INV_SQRT_2PI / (c + 0.5);
    } else {
        /* ln c = -z^2/2 + ln n(0) - 3 ln z + O(z^-2) */
        z = sqrt(-2.0 * (lnc - BA_LN_INV_SQRT_2PI));
        for (int k = 0; k < 3; k++) {
            double q = -2.0 * (lnc - BA_LN_INV_SQRT_2PI + 3.0 * log(z));
            z = q > 1.0 ? sqrt(q) : 1.0;
        }
    }
    for (int it = 0; it < 50; it++) {
        double I0 = z < 20.0 ? qpm__mills_rat(z) : 0.0;
        double I1 = ba_i1(z);
        double I2, I3;
        if (z < 20.0) {
            I2 = I0 - z * I1;
            I3 = 2.0 * I1 - z * I2;
        } else {
            double w = 1.0 / (z * z);
            I2 = 2.0 * w / z * (1.0 - 6.0 * w);
            I3 = 6.0 * w * w * (1.0 - 10.0 * w);
        }
        /* near the money the ratio form avoids the absolute error of lnc */
        double G = z < 5.0 ? log(qpm__npdf(z) * I1 * (m / z) / tv)
                           : -0.5 * z * z + BA_LN_INV_SQRT_2PI + log(I1) - log(z) - lnc;
        double r2 = I2 / I1;
        double G1 = -z - r2 - 1.0 / z;
        double G2 = -1.0 + (I3 / I1 - r2 * r2) + 1.0 / (z * z);
        double nu = -G / G1;
        double dz = nu / (1.0 + 0.5 * nu * G2 / G1);
        if (!isfinite(dz))
            dz = nu;
        double zn = z + dz;
        if (!(zn > 0.0))
            zn = 0.5 * z;
        /* cubic convergence: after a step this small the error is far below
         * an ulp */
        if (fabs(zn - z) <= 0x1p-30 * zn)
            return zn;
        z = zn;
    }
    return (double)NAN;
}

/* Undiscounted price ph + pl. */
static qpm_status ba_iv_dd(double ph, double pl, double F, double K, double T, int is_call,
                           double *sigma)
{
    if (!(ph > 0.0))
        return QPM_E_ARBITRAGE;
    double up = is_call ? F : K, other = is_call ? K : F;
    double mh, ml; /* up - other exactly */
    qpm__two_sum(up, -other, &mh, &ml);
    double tv = ph + pl;
    if (mh > 0.0 || (mh == 0.0 && ml > 0.0)) {
        double s1, e1;
        qpm__two_sum(ph, -mh, &s1, &e1);
        tv = s1 + ((e1 + pl) - ml);
    }
    if (!(tv > 0.0))
        return QPM_E_ARBITRAGE;
    double m = fabs(mh + ml);
    double s;
    if (m == 0.0) {
        s = tv * QPM__IV_SQRT_2PI;
    } else {
        double lnc = log(tv) - log(m);
        double z = ba_solve(lnc, tv, m);
        s = m / z;
    }
    double v = s / sqrt(T);
    if (!(v > 0.0) || !isfinite(v))
        return QPM_E_NOCONVERGE;
    *sigma = v;
    return QPM_OK;
}

static qpm_status ba_check(double price, double F, double K, double T, double *sigma)
{
    if (sigma == NULL)
        return QPM_E_NULL;
    *sigma = (double)NAN;
    if (!isfinite(price) || !isfinite(F) || !isfinite(K) || !isfinite(T))
        return QPM_E_NONFINITE;
    if (!(T > 0.0))
        return QPM_E_INVALID;
    if (!(price > 0.0))
        return QPM_E_ARBITRAGE;
    return QPM_OK;
}

qpm_status qpm__bachelier_implied_vol(double price_undiscounted, double F, double K, double T,
                                      int is_call, double *sigma)
{
    qpm_status st = ba_check(price_undiscounted, F, K, T, sigma);
    if (st != QPM_OK)
        return st;
    return ba_iv_dd(price_undiscounted, 0.0, F, K, T, is_call, sigma);
}

qpm_status qpm__bachelier_implied_vol_df(double price, double F, double K, double T, double r,
                                         int is_call, double *sigma)
{
    qpm_status st = ba_check(price, F, K, T, sigma);
    if (st != QPM_OK)
        return st;
    if (!isfinite(r))
        return QPM_E_NONFINITE;
    double ph, pl;
    st = qpm__iv_undiscount(price, r, T, &ph, &pl);
    if (st != QPM_OK)
        return st;
    return ba_iv_dd(ph, pl, F, K, T, is_call, sigma);
}
