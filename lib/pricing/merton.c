/* Merton (1976) jump-diffusion: the exact Poisson mixture of Black prices.
 *
 * Given n jumps the log-price is normal, so the price is
 *     V = e^{-rT} sum_n p_n Black(F_n, K, s_n),  p_n = e^{-lT} (lT)^n / n!,
 *     F_n = S e^{(r - q - l kbar) T} e^{n (muJ + deltaJ^2/2)},
 *     s_n^2 = sigma^2 T + n deltaJ^2.
 * The weights come from logarithms (lgamma), so lambda T of several hundred
 * neither underflows e^{-lT} nor overflows (lT)^n.
 *
 * Truncation.  A call term is at most F_n and p_n F_n = F p'_n with
 * F = S e^{(r-q)T} and p' the Poisson weights of mean l' T, l' = l (1 +
 * kbar); a put term is at most K.  For N + 2 > m the tail of a Poisson
 * series of mean m beyond N is at most p_{N+1} / (1 - m / (N + 2)) (the
 * ratio of successive weights is m / (j + 1)).  The sum stops at the first
 * N past both means at which both tails are below SV_SERIES_TAIL, so the
 * neglected part of the price is below SV_SERIES_TAIL (F + K) e^{-rT}; the
 * Greeks' terms are bounded by the same weights (times 1/S, and for gamma
 * and vega factors evaluated at the last term, which only shrink). */
#include <float.h>
#include <math.h>

#include "core/internal.h"
#include "num/normal.h"
#include "pricing/sv_model.h"
#include "qpm/pricing.h"

#define SV_SERIES_TAIL 1e-18

static double ncdf(double x)
{
    return 0.5 * erfc(-x * QPM__RSQRT2_HI - x * QPM__RSQRT2_LO);
}

/* the tail bound of a Poisson series of mean m beyond N, from ln p_{N+1} */
static double poisson_tail(double m, double n1, double ln_p1)
{
    double ratio = m / (n1 + 1.0);
    return ratio < 1.0 ? exp(ln_p1) / (1.0 - ratio) : (double)INFINITY;
}

void qpm__merton_one(double S, double K, double T, double r, double q, double sigma, double lambda,
                     double mu_j, double delta_j, int32_t type, double *price, double *delta,
                     double *gamma, double *vega, double *var_vega, double *theta)
{
    double dj2 = delta_j * delta_j, a = mu_j + 0.5 * dj2, kbar = expm1(a);
    double lt = lambda * T, lt1 = lt * (1.0 + kbar), df = exp(-r * T);
    double ln_lt = lt > 0.0 ? log(lt) : 0.0, ln_lt1 = lt1 > 0.0 ? log(lt1) : 0.0;
    /* ln(F_0 / K).  S / K itself may overflow or underflow where the
     * forward's F / K (checked by the caller) does not: a rate of -700 / T
     * brings the forward e^700 closer to a strike far from the spot.  Then
     * the logarithms apart (S / K in range keeps its one rounding). */
    double sk = S / K;
    double lsk = sk >= DBL_MIN && sk <= DBL_MAX ? log(sk) : log(S) - log(K);
    double x0 = lsk + (r - q - lambda * kbar) * T;
    double sv = sigma * sigma * T;
    double sp = 0.0, sd = 0.0, sg = 0.0, sve = 0.0, svv = 0.0, st = 0.0;
    /* theta: d/dT of V = e^{-rT} sum p_n B_n, B_n the undiscounted Black
     * price, is -r V + e^{-rT} sum [(n / T - lambda) p_n B_n + p_n dB_n/dT]
     * (dp_n/dT = (n / T - lambda) p_n), dB_n/dT = dB/dx dx/dT + dB/ds ds/dT
     * with dx/dT = r - q - lambda kbar, ds/dT = sigma^2 / (2 s_n): the
     * series term by term, exact where a difference in T (steps T/1000)
     * lost the prices' rounding (3e-9 of theta at a one-hour expiry, all of
     * it below 1e-16 years) */
    double dxdt = r - q - lambda * kbar;
    int call = type == QPM_CALL;
    for (double n = 0.0;; n += 1.0) {
        double ln_p =
            lt > 0.0 ? -lt + n * ln_lt - lgamma(n + 1.0) : (n == 0.0 ? 0.0 : -(double)INFINITY);
        double p = exp(ln_p);
        double x = x0 + n * a;
        /* p F_n / K, the weight of the forward's part (p F_n = F p'_n <= F).
         * Its terms peak near n = lambda T (1 + kbar), not lambda T: with
         * a large mean jump (mu = 5, lambda T = 20) p underflows to 0 there
         * and F_n / K overflows further on, while their product carries the
         * price (a call worth F e^-rT came out 0).  So from the logarithms
         * unless both factors are plainly in range. */
        double fk = exp(x);
        double pf = p >= DBL_MIN && isfinite(fk) ? p * fk : exp(ln_p + x);
        if (p > 0.0 || pf > 0.0) {
            double s = sqrt(sv + n * dj2);
            double b = 0.0, dbx = 0.0, dbs = 0.0; /* p B_n, p dB/dx / K, p dB/ds / K */
            if (s > 0.0) {
                double d1 = x / s + 0.5 * s, d2 = d1 - s;
                double nd1 = QPM__RSQRT2PI * exp(-0.5 * d1 * d1);
                if (call) {
                    b = K * (pf * ncdf(d1) - p * ncdf(d2));
                    dbx = pf * ncdf(d1);
                } else {
                    b = K * (p * ncdf(-d2) - pf * ncdf(-d1));
                    dbx = -pf * ncdf(-d1);
                }
                dbs = pf * nd1;
                sg += pf * nd1 / s;
                sve += K * pf * nd1 * sigma * T / s;
                svv += 0.5 * K * pf * nd1 * T / s;
            } else if (call ? x > 0.0 : x < 0.0) {
                b = K * fabs(pf - p);
                dbx = call ? pf : -pf;
            }
            sp += b;
            sd += dbx;
            if (theta != NULL) {
                /* (n - lambda T) b / T: a product before the division, so
                 * that b = 0 stays 0 at a subnormal T */
                st += (n - lt) * b / T + K * dbx * dxdt;
                if (dbs != 0.0)
                    st += K * dbs * (0.5 * sigma * sigma / s);
            }
        }
        if (n > lt1 && n > lt) {
            double t1 = lt > 0.0
                            ? poisson_tail(lt, n + 1.0, -lt + (n + 1.0) * ln_lt - lgamma(n + 2.0))
                            : 0.0;
            double t2 =
                lt1 > 0.0 ? poisson_tail(lt1, n + 1.0, -lt1 + (n + 1.0) * ln_lt1 - lgamma(n + 2.0))
                          : 0.0;
            if (t1 <= SV_SERIES_TAIL && t2 <= SV_SERIES_TAIL)
                break;
        }
    }
    /* sd, sg sum weights p F_n / K: dV/dS = e^{-rT} sum p (F_n/S) N(d1) */
    if (price != NULL) {
        /* The weights' rounding (lgamma of n up to lambda T (1 + kbar), a
         * relative 1e-12 at 1e4 terms) can put a price near its bound just
         * past it: it is moved onto the bound, as the Fourier prices are
         * (sv_cf.c).  sp is the undiscounted price. */
        double F = S * exp((r - q) * T), own = call ? F : K, other = call ? K : F;
        *price = df * fmin(fmax(sp, fmax(own - other, 0.0)), own);
    }
    /* sd K and sg K are sums of p F_n N(d1) and p F_n n(d1) / s_n, within
     * about F and F / s_n; S S would underflow for a spot below 1e-154 */
    if (delta != NULL)
        *delta = df * (sd * K) / S;
    if (gamma != NULL)
        *gamma = df * (sg * K) / S / S;
    if (vega != NULL)
        *vega = df * sve;
    if (var_vega != NULL)
        *var_vega = df * svv;
    if (theta != NULL)
        *theta = r * (df * sp) - df * st;
}
