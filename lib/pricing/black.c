/* Reference kernel of the Black family (BSM, Black-76, coin-settled) and
 * the Bachelier model: the formulas in their plainest order, two options at
 * a time; one option at a time (qpm__price_one) the careful path of every
 * kernel (the lanes in special regions, outputs beyond the range of
 * double).  It is the scalar kernel row of CPUs without hardware FMA and
 * prices every row's Bachelier jobs; with FMA the scalar row runs the
 * vector formulation in portable C (black_c.c), which follows these
 * formulas (black_lanes.h says where it differs).
 *
 * Every price is split into intrinsic value plus the value of the
 * out-of-the-money option of the same strike (put-call parity), so nothing
 * positive is ever subtracted from something larger.  With x = ln(F/K),
 * s = sigma sqrt(T), m = |x|/s, t = s/2 and a1 = m - t, a2 = m + t
 * (so {d1, d2} = {-a1, -a2} for x <= 0 and {a2, a1} for x > 0), the
 * out-of-the-money value is
 *     otm = small N(-a1) - big N(-a2),   small = min(F, K), big = max(F, K).
 * Each tail probability is n(a) R(a), with the density n from an exponent
 * carried in double-double (a1 = m - t exactly as a sum of two doubles) and
 * the Mills ratio R from a piecewise polynomial (R4 of num/mills.h), so each has
 * a relative error of a few ulp.  When the two terms cancel by more than a factor QPM__LMAX, the
 * difference is recomputed as small n(a1) [R(a1) - R(a2)] with R the Mills
 * ratio, by qpm__mills_diff, which has no cancellation. */
#include <float.h>
#include <math.h>

#include "black.h"

/* black_fma.c compiles this file again with FMA enabled (-mfma), for the
 * kernels of CPUs that have it: fma() then is one instruction
 * instead of a call into libm (the Mills-ratio polynomials make some thirty
 * of them per option), with bit-identical results, fma being exact and
 * contraction off (-std=c11: -ffp-contract=off).  That build renames the
 * per-option path and the kernel, and leaves the rest to this one. */
#ifdef QPM__BLACK_FMA
#define qpm__price_one qpm__price_one_fma
#define qpm__black_kernel_scalar qpm__black_kernel_scalar_fma
#endif
#include "num/dd.h"
#include "num/exp_log.h"
#include "num/mills.h"

/* n(a) for a = ah + al (double-double): exp(-a^2/2)/sqrt(2 pi) with a^2 split
 * exactly so that the density keeps its relative accuracy for large |a|. */
static inline double npdf_dd(double ah, double al)
{
    double p = ah * ah;
    double e = fma(ah, ah, -p) + 2.0 * ah * al;
    return QPM__RSQRT2PI * exp(-0.5 * p) * (1.0 - 0.5 * e);
}

#ifndef QPM__BLACK_FMA
double qpm__mills_diff(double a1, double s) { return qpm__mills_diff_in(a1, s); }
#else
#define qpm__mills_diff qpm__mills_diff_in
#endif

/* ---- Black family: one option ------------------------------------------- */

/* Outputs that a limit may make infinite (pricing.h): gamma, theta and charm
 * at the money. */
#define ATM_INF (1u << QPM__O_GAMMA | 1u << QPM__O_THETA | 1u << QPM__O_CHARM)
/* black_w's request for the careful path: its forward is out of range */
#define REDO_CAREFUL (1u << 31)

/* Limits T = 0 or sigma = 0 (or |x|/s beyond any representable density):
 * the option is worth its (forward) intrinsic value; see pricing.h.
 * Returns the outputs that may be infinite. */
static unsigned black_limit(int model, int inverse, double S, double F, double K, double x, double T,
                        double r, double q, double sigma, double phi, double D, double Dq,
                        double res[QPM__NOUT])
{
    double ix = phi * x;
    double I = ix > 0.0 ? 1.0 : ix < 0.0 ? 0.0 : 0.5; /* N(phi d1) = N(phi d2) */
    double fk = model == QPM__BSM && fabs(x) < 1.0 ? K * expm1(x) : F - K;
    double V = ix > 0.0 ? D * phi * fk : 0.0;
    double delta = phi * Dq * I;
    double gamma = 0, vega = 0, vanna = 0, volga = 0, dens_theta = 0, dens_charm = 0;
    double sqrtT = sqrt(T);
    if (x == 0.0) {
        const double n0 = QPM__RSQRT2PI;
        gamma = HUGE_VAL;
        vega = S * Dq * n0 * sqrtT;
        vanna = 0.5 * Dq * n0 * sqrtT;
        /* sigma / (2 sqrt T) and the charm bracket (r-q)/s + sigma/(4 sqrt T) */
        double st = sigma > 0.0 ? (T > 0.0 ? sigma / sqrtT : HUGE_VAL) : 0.0;
        dens_theta = S * Dq * n0 * 0.5 * st;
        double rq = (r - q) / (sigma * sqrtT); /* +-Inf, or NaN when r == q */
        double c = 0.25 * st + (r - q != 0.0 ? rq : 0.0);
        if (sigma > 0.0 && T == 0.0) {
            double lim = (r - q) / sigma + 0.25 * sigma;
            c = lim > 0.0 ? HUGE_VAL : lim < 0.0 ? -HUGE_VAL : 0.0;
        } else if (sigma == 0.0 && T == 0.0) {
            c = 0.0;
        }
        dens_charm = Dq * n0 * c;
    }
    res[QPM__O_DELTA] = delta;
    res[QPM__O_GAMMA] = gamma;
    res[QPM__O_VEGA] = vega;
    res[QPM__O_THETA] = r * V - dens_theta - (r - q) * S * delta;
    if (model == QPM__BSM) {
        res[QPM__O_RHO] = phi * K * T * D * I;
        res[QPM__O_RHO_Q] = -phi * S * T * Dq * I;
    } else {
        res[QPM__O_RHO] = -T * V;
        res[QPM__O_RHO_Q] = 0.0;
    }
    res[QPM__O_VANNA] = vanna;
    res[QPM__O_VOLGA] = volga;
    res[QPM__O_CHARM] = q * delta - dens_charm;
    res[QPM__O_PRICE_USD] = V;
    if (inverse) {
        res[QPM__O_PRICE] = V / F;
        res[QPM__O_DELTA_COIN] = phi * D * (K / F) * I;
    } else {
        res[QPM__O_PRICE] = V;
        res[QPM__O_DELTA_COIN] = phi * D * I;
    }
    return x == 0.0 ? ATM_INF : 0u;
}

/* Up to two options side by side (W = 1 or 2): every statement below runs
 * for each lane j < W in turn (EACH), so that with W = 2 the two options'
 * long chains of dependent operations (the logarithm, the density's
 * exponential, the Mills-ratio polynomials) sit next to each other and the
 * out-of-order core overlaps them; each lane's operations are exactly those
 * of the one-option form, so W does not change a bit.  Writes every output
 * of lane j to res[j] and returns in ret[j] the outputs that may be
 * infinite (limits), or REDO_CAREFUL when the lane's forward left the
 * normal range (then its results, though finite, are not to be trusted). */
#define EACH(j) QPM__UNROLL for (int j = 0; j < W; j++)
static inline __attribute__((always_inline)) void
black_w(const int W, int model, int inverse, const double *u, const double *K, const double *T,
        const double *r, const double *qin, const double *sigma, const double *phi,
        double (*res)[QPM__NOUT], unsigned *ret)
{
    /* The order of operations here is the contract with the vector kernels
     * (black_lanes.h): they perform the same operations on their lanes,
     * with a few products and sums fused into FMAs (noted there). */
    double S[2], F[2], x[2], D[2], Dq[2], rS[2], qt[2], rem[2], q[2], lnSK[2];
    EACH(j)
    {
        D[j] = exp(-r[j] * T[j]);
        S[j] = u[j];
        rS[j] = 1.0 / S[j];
        qt[j] = S[j] / K[j];
        rem[j] = fma(-qt[j], K[j], S[j]); /* S = qt K + rem exactly */
    }
    EACH(j)
    {
        lnSK[j] = log(qt[j]) + rem[j] * rS[j];
        if (!(qt[j] >= DBL_MIN && qt[j] <= DBL_MAX)) /* S/K out of range */
            lnSK[j] = log(S[j]) - log(K[j]);
    }
    EACH(j)
    {
        if (model == QPM__BSM) {
            q[j] = qin[j];
            Dq[j] = exp(-q[j] * T[j]);
            x[j] = lnSK[j] + (r[j] - q[j]) * T[j];
            F[j] = S[j] * (Dq[j] / D[j]);
        } else {
            q[j] = r[j];
            Dq[j] = D[j];
            x[j] = lnSK[j];
            F[j] = S[j];
        }
    }
    double sqrtT[2], s[2], y[2], rs[2], m[2], t[2], a1[2], a1e[2], a2[2], small[2], big[2];
    double n1[2], n2[2], p1[2], p2[2], P1[2], A1[2], first[2], otm[2];
    int xpos[2], lim[2];
    EACH(j)
    {
        ret[j] = F[j] >= DBL_MIN && F[j] <= DBL_MAX ? 0u : REDO_CAREFUL;
        sqrtT[j] = sqrt(T[j]), s[j] = sigma[j] * sqrtT[j];
        y[j] = fabs(x[j]);
        /* the limits: computed below with the rest (harmless values), then
         * replaced by black_limit's */
        lim[j] = !(s[j] > 0.0) || y[j] > 1e10 * s[j];
        rs[j] = 1.0 / s[j];
        m[j] = y[j] * rs[j], t[j] = 0.5 * s[j];
        a1[j] = m[j] - t[j], a1e[j] = qpm__two_sum_err(m[j], -t[j], a1[j]);
        a2[j] = m[j] + t[j];
        xpos[j] = x[j] > 0.0;
        small[j] = xpos[j] ? K[j] : F[j], big[j] = xpos[j] ? F[j] : K[j];
    }
    EACH(j) n1[j] = npdf_dd(a1[j], a1e[j]);
    EACH(j)
    {
        n2[j] = n1[j] * (small[j] / big[j]);
        p1[j] = n1[j] * qpm__mills_p4(fabs(a1[j])); /* N(-|a1|) */
        p2[j] = n2[j] * qpm__mills_p4(a2[j]);       /* N(-a2), a2 > 0 */
    }
    EACH(j)
    {
        P1[j] = a1[j] >= 0.0 ? p1[j] : 1.0 - p1[j]; /* N(-a1) */
        A1[j] = a1[j] >= 0.0 ? 1.0 - p1[j] : p1[j]; /* N(a1) */
        first[j] = small[j] * P1[j];
        otm[j] = first[j] - big[j] * p2[j];
        if (!(otm[j] * QPM__LMAX > first[j]) && !lim[j])
            otm[j] = small[j] * n1[j] * qpm__mills_diff(a1[j], s[j]);
    }
    EACH(j)
    {
        double Nd1, Nmd1, Nd2, Nmd2, nd1, d1, d2;
        if (!xpos[j]) {
            Nd1 = P1[j], Nmd1 = A1[j], Nd2 = p2[j], Nmd2 = 1.0 - p2[j];
            nd1 = n1[j], d1 = -a1[j], d2 = -a2[j];
        } else {
            Nd1 = 1.0 - p2[j], Nmd1 = p2[j], Nd2 = A1[j], Nmd2 = P1[j];
            nd1 = n2[j], d1 = a2[j], d2 = a1[j];
        }
        double ph = phi[j];
        double Nphid1 = ph > 0.0 ? Nd1 : Nmd1, Nphid2 = ph > 0.0 ? Nd2 : Nmd2;
        /* F - K from x for BSM: the rounding of the computed forward would
         * otherwise dominate a near-the-money intrinsic value. */
        double intrinsic = 0.0;
        if (ph * x[j] > 0.0) /* in the money (expm1 is not cheap: only then) */
            intrinsic = ph * (model == QPM__BSM && fabs(x[j]) < 1.0 ? K[j] * expm1(x[j])
                                                                     : F[j] - K[j]);
        double V = D[j] * (intrinsic + otm[j]);
        double delta = ph * Dq[j] * Nphid1;
        double dens = Dq[j] * nd1;      /* e^{-qT} n(d1) */
        double rsqT = sigma[j] * rs[j]; /* 1/sqrt(T) */
        double rsig = sqrtT[j] * rs[j]; /* 1/sigma */
        double vega = S[j] * dens * sqrtT[j];
        double rqj = r[j] - q[j], *o = res[j];
        o[QPM__O_DELTA] = delta;
        o[QPM__O_GAMMA] = dens * rs[j] * rS[j];
        o[QPM__O_VEGA] = vega;
        o[QPM__O_THETA] = r[j] * V - S[j] * dens * (0.5 * sigma[j] * rsqT) - rqj * S[j] * delta;
        if (model == QPM__BSM) {
            o[QPM__O_RHO] = ph * K[j] * T[j] * D[j] * Nphid2;
            o[QPM__O_RHO_Q] = -ph * S[j] * T[j] * Dq[j] * Nphid1;
        } else {
            o[QPM__O_RHO] = -T[j] * V;
            o[QPM__O_RHO_Q] = 0.0;
        }
        o[QPM__O_VANNA] = -dens * d2 * rsig;
        o[QPM__O_VOLGA] = vega * d1 * d2 * rsig;
        /* charm bracket (2(r-q)T - d2 s) / (2 T s) = (r-q)/s - d2/(2T) */
        o[QPM__O_CHARM] = q[j] * delta - dens * (rqj * rs[j] - 0.5 * d2 * (rsqT * rsqT));
        o[QPM__O_PRICE_USD] = V;
        if (inverse) {
            double rF = model == QPM__BSM ? 1.0 / F[j] : rS[j];
            o[QPM__O_PRICE] = V * rF;
            o[QPM__O_DELTA_COIN] = ph * D[j] * (K[j] * rF) * Nphid2;
        } else {
            o[QPM__O_PRICE] = V;
            o[QPM__O_DELTA_COIN] = ph * D[j] * Nphid1;
        }
    }
    EACH(j)
    {
        if (lim[j])
            ret[j] |= black_limit(model, inverse, S[j], F[j], K[j], x[j], T[j], r[j], q[j],
                                  sigma[j], phi[j], D[j], Dq[j], res[j]);
    }
}
#undef EACH

/* ---- Bachelier ----------------------------------------------------------- */

/* Q(z) = 1 - z R(z) = n(z)^{-1} int_z^inf N(-u) du for z >= 0, without the
 * cancellation of the direct form at large z. */
static double bachelier_q(double z)
{
    return z >= 2.0 ? qpm__mills_q(z) : 1.0 - z * qpm__mills_p4(z);
}

/* Returns the outputs that may be infinite (limits). */
static unsigned bachelier_one(double F, double K, double T, double r, double sigma, double phi,
                              double res[QPM__NOUT])
{
    double D = exp(-r * T), sqrtT = sqrt(T), s = sigma * sqrtT;
    double diff = F - K, adiff = fabs(diff);
    double ix = phi * diff;
    double V, Nphid, nd, d;
    if (!(s > 0.0) || adiff > 1e10 * s) {
        double I = ix > 0.0 ? 1.0 : ix < 0.0 ? 0.0 : 0.5;
        V = ix > 0.0 ? D * ix : 0.0;
        double delta = phi * D * I;
        int atm = diff == 0.0;
        res[QPM__O_DELTA] = delta;
        res[QPM__O_GAMMA] = atm ? HUGE_VAL : 0.0;
        res[QPM__O_VEGA] = atm ? D * sqrtT * QPM__RSQRT2PI : 0.0;
        double st = sigma > 0.0 ? (T > 0.0 ? sigma / sqrtT : HUGE_VAL) : 0.0;
        res[QPM__O_THETA] = r * V - (atm ? D * QPM__RSQRT2PI * 0.5 * st : 0.0);
        res[QPM__O_RHO] = -T * V;
        res[QPM__O_VANNA] = 0.0;
        res[QPM__O_VOLGA] = 0.0;
        res[QPM__O_CHARM] = r * delta;
        res[QPM__O_RHO_Q] = 0.0;
        res[QPM__O_PRICE] = V;
        res[QPM__O_PRICE_USD] = V;
        res[QPM__O_DELTA_COIN] = delta;
        return atm ? 1u << QPM__O_GAMMA | 1u << QPM__O_THETA : 0u;
    }
    d = diff / s;
    double z = fabs(d);
    nd = QPM__RSQRT2PI * exp(-0.5 * z * z);
    double tail = nd * qpm__mills_p4(z); /* N(-|d|) */
    double otm = s * nd * bachelier_q(z);
    V = D * ((ix > 0.0 ? ix : 0.0) + otm);
    Nphid = ix > 0.0 ? 1.0 - tail : tail;
    double delta = phi * D * Nphid;
    double vega = D * sqrtT * nd;
    res[QPM__O_DELTA] = delta;
    res[QPM__O_GAMMA] = D * nd / s;
    res[QPM__O_VEGA] = vega;
    res[QPM__O_THETA] = r * V - D * nd * sigma / (2.0 * sqrtT);
    res[QPM__O_RHO] = -T * V;
    res[QPM__O_VANNA] = -D * nd * d / sigma;
    res[QPM__O_VOLGA] = vega * d * d / sigma;
    res[QPM__O_CHARM] = r * delta + D * nd * d / (2.0 * T);
    res[QPM__O_RHO_Q] = 0.0;
    res[QPM__O_PRICE] = V;
    res[QPM__O_PRICE_USD] = V;
    res[QPM__O_DELTA_COIN] = delta;
    return 0u;
}

/* ---- careful path: every output from logarithms ---------------------------
 * For the inputs where a direct formula meets an intermediate beyond the
 * double range (sigma sqrt(T) near 1e154 and beyond, where d1^2 overflows; a
 * subnormal sigma sqrt(T), whose reciprocal overflows; T near 4.9e-324 with
 * a large vol; a forward beyond DBL_MAX or below DBL_MIN; rates whose
 * difference overflows), every output is formed as a signed product of
 * factors whose logarithms are finite or -inf (a factor 0), and exponentiated
 * once: a result is infinite only when the value itself is beyond the double
 * range.  The price keeps the cancellation-free form of black_w (intrinsic
 * plus out-of-the-money value, normalised by max(F, K)).  Relative accuracy:
 * that of exp at an argument up to ~1500, about 2e-13. */

#define LN2 QPM__LN2_HI
#define LN_SQRT2PI QPM__LN_SQRT2PI

/* rare: kept out of line, so that the direct path stays as fast as before */
#if defined(__GNUC__) || defined(__clang__)
#define CAREFUL static __attribute__((noinline, cold))
#else
#define CAREFUL static
#endif

/* sign * exp(l): 0 for sign 0 or l = -inf */
static double sx(double sign, double l) { return sign == 0.0 || l == -HUGE_VAL ? 0.0 : sign * exp(l); }
static double sgn(double a) { return a > 0.0 ? 1.0 : (a < 0.0 ? -1.0 : 0.0); }
static double lnabs(double a) { return log(fabs(a)); }

/* Mills ratio R(z) and Q(z) = 1 - z R(z) for z >= 0, any size: the tables up
 * to 40, beyond it the continued fraction R = 1/(z + t), t = 1/(z + 2/(z +
 * 3/(z + ...))), so that Q = t R has no cancellation. */
static void mills_rq(double z, double *R, double *Q)
{
    if (z <= QPM__RZMAX) {
        *R = qpm__mills_p4(z);
        *Q = z >= 2.0 ? qpm__mills_q(z) : 1.0 - z * qpm__mills_p4(z);
        return;
    }
    if (isinf(z)) {
        *R = *Q = 0.0;
        return;
    }
    double t = 0.0;
    for (int j = 24; j >= 2; j--)
        t = (double)j / (z + t);
    t = 1.0 / (z + t);
    *R = 1.0 / (z + t);
    *Q = t * *R;
}

static double log_npdf(double d) { return -0.5 * d * d - LN_SQRT2PI; }

/* log N(d) for any d, +-inf included, to full relative accuracy */
static double log_ncdf(double d)
{
    if (d > 5.0)
        return log1p(-0.5 * erfc(d * QPM__RSQRT2_HI));
    if (d >= -5.0)
        return log(0.5 * erfc(-d * QPM__RSQRT2_HI));
    double R, Q;
    mills_rq(-d, &R, &Q);
    return log_npdf(d) + log(R);
}

/* n(a) for a = ah + al, 0 beyond the range where its square is a double */
static double npdf_safe(double ah, double al) { return fabs(ah) < 1e150 ? npdf_dd(ah, al) : 0.0; }

/* theta, rho and rho_q from logarithms: ln N(phi d1) = lN1, ln N(phi d2) =
 * lN2 (the limits: ln of the indicator for both), dens the density term of
 * theta */
static void careful_theta_rho(double *o, int model, double phi, double r, double q, double lS,
                              double lK, double lT, double lD, double lDq, double lV, double lN1,
                              double lN2, double dens)
{
    if (model == QPM__BSM) {
        o[QPM__O_THETA] = sx(phi * sgn(q), lnabs(q) + lS + lDq + lN1) -
                          sx(phi * sgn(r), lnabs(r) + lK + lD + lN2) - dens;
        o[QPM__O_RHO] = sx(phi, lK + lT + lD + lN2);
        o[QPM__O_RHO_Q] = sx(-phi, lS + lT + lDq + lN1);
    } else {
        o[QPM__O_THETA] = sx(sgn(r), lnabs(r) + lV) - dens;
        o[QPM__O_RHO] = -exp(lT + lV);
        o[QPM__O_RHO_Q] = 0.0;
    }
}

CAREFUL unsigned black_careful(int model, int inverse, double S, double K, double T, double r,
                               double q, double sigma, double phi, double res[QPM__NOUT])
{
    if (model != QPM__BSM)
        q = r;
    double rT = r * T, qT = q * T; /* each within +-700 */
    double qt = S / K;
    double lnSK = qt >= DBL_MIN && qt <= DBL_MAX ? log(qt) + fma(-qt, K, S) / S : log(S) - log(K);
    double x = model == QPM__BSM ? lnSK + (rT - qT) : lnSK;
    double lD = -rT, lDq = -qT, lS = log(S), lK = log(K), lT = log(T), lsig = log(sigma);
    double lF = lK + x; /* F = K e^x */
    double y = fabs(x), lbig = lK + fmax(x, 0.0);
    double sqrtT = sqrt(T), s = sigma * sqrtT, ls = lsig + 0.5 * lT;
    /* (r - q) without overflow */
    double hrq = 0.5 * r - 0.5 * q, lrq = lnabs(hrq) + LN2, srq = sgn(hrq);
    double *o = res;
    if (!(s > 0.0) || y > 1e10 * s) {
        double ix = phi * x, I = ix > 0.0 ? 1.0 : (ix < 0.0 ? 0.0 : 0.5), lI = log(I);
        double lV = ix > 0.0 ? lD + lbig + log(-expm1(-y)) : -HUGE_VAL;
        int atm = x == 0.0;
        double dens_theta = 0.0, dens_charm = 0.0;
        if (atm && sigma > 0.0)
            dens_theta = T > 0.0 ? exp(lS + lDq - LN_SQRT2PI - LN2 + lsig - 0.5 * lT) : HUGE_VAL;
        if (atm) {
            double c;
            if (sigma > 0.0 && T == 0.0) {
                double lim = hrq / sigma + 0.125 * sigma; /* sign of (r - q)/sigma + sigma/4 */
                c = lim > 0.0 ? HUGE_VAL : (lim < 0.0 ? -HUGE_VAL : 0.0);
            } else {
                c = sigma == 0.0 && T == 0.0 ? 0.0 : srq * HUGE_VAL; /* s = 0 */
            }
            dens_charm = c == 0.0 ? 0.0 : c * exp(lDq - LN_SQRT2PI);
        }
        double delta = sx(phi, lDq + lI);
        o[QPM__O_PRICE_USD] = exp(lV);
        o[QPM__O_DELTA] = delta;
        o[QPM__O_GAMMA] = atm ? HUGE_VAL : 0.0;
        o[QPM__O_VEGA] = atm ? exp(lS + lDq - LN_SQRT2PI + 0.5 * lT) : 0.0;
        careful_theta_rho(o, model, phi, r, q, lS, lK, lT, lD, lDq, lV, lI, lI, dens_theta);
        o[QPM__O_VANNA] = atm ? 0.5 * exp(lDq - LN_SQRT2PI + 0.5 * lT) : 0.0;
        o[QPM__O_VOLGA] = 0.0;
        o[QPM__O_CHARM] = sx(phi * sgn(q), lnabs(q) + lDq + lI) - dens_charm;
        o[QPM__O_PRICE] = inverse ? exp(lV - lF) : o[QPM__O_PRICE_USD];
        o[QPM__O_DELTA_COIN] = inverse ? sx(phi, lD + lK - lF + lI) : sx(phi, lD + lI);
        return atm ? ATM_INF : 0u;
    }
    /* a1 = |x|/s - s/2 (two parts), a2 = |x|/s + s/2; d1, d2 as in black_w */
    double m = y / s, t = 0.5 * s;
    double a1 = m - t, a1e = isinf(t) ? 0.0 : qpm__two_sum_err(m, -t, a1), a2 = m + t;
    int xpos = x > 0.0;
    double d1 = xpos ? a2 : -a1, d2 = xpos ? a1 : -a2;
    /* the out-of-the-money value over max(F, K) */
    double small = exp(-y), n1 = npdf_safe(a1, a1e), n2 = n1 * small, R1, R2, Q;
    mills_rq(fabs(a1), &R1, &Q);
    mills_rq(a2, &R2, &Q);
    double p1 = n1 * R1, p2 = n2 * R2;
    double first = small * (a1 >= 0.0 ? p1 : 1.0 - p1);
    double otm = first - p2;
    if (!(otm * QPM__LMAX > first) && small > 0.0 && n1 > 0.0)
        otm = small * n1 * qpm__mills_diff(a1, s);
    double intrinsic = phi * x > 0.0 ? -expm1(-y) : 0.0;
    double lV = lD + lbig + log(intrinsic + otm);
    double lN1 = log_ncdf(phi * d1), lN2 = log_ncdf(phi * d2), ln1 = log_npdf(d1);
    int dens0 = ln1 == -HUGE_VAL; /* the density terms vanish */
    double delta = sx(phi, lDq + lN1);
    o[QPM__O_PRICE_USD] = exp(lV);
    o[QPM__O_DELTA] = delta;
    o[QPM__O_GAMMA] = exp(lDq + ln1 - lS - ls);
    o[QPM__O_VEGA] = exp(lS + lDq + ln1 + 0.5 * lT);
    double t2 = exp(lS + lDq + ln1 + lsig - LN2 - 0.5 * lT);
    careful_theta_rho(o, model, phi, r, q, lS, lK, lT, lD, lDq, lV, lN1, lN2, t2);
    o[QPM__O_VANNA] = dens0 ? 0.0 : sx(-sgn(d2), lDq + ln1 + lnabs(d2) - lsig);
    o[QPM__O_VOLGA] =
        dens0 ? 0.0 : sx(sgn(d1) * sgn(d2), lS + lDq + ln1 + 0.5 * lT + lnabs(d1) + lnabs(d2) - lsig);
    double c1 = sx(phi * sgn(q), lnabs(q) + lDq + lN1);
    double c2 = dens0 ? 0.0 : sx(srq, lDq + ln1 + lrq - ls);
    double c3 = dens0 ? 0.0 : sx(sgn(d2), lDq + ln1 + lnabs(d2) - LN2 - lT);
    o[QPM__O_CHARM] = c1 - c2 + c3;
    o[QPM__O_PRICE] = inverse ? exp(lV - lF) : o[QPM__O_PRICE_USD];
    o[QPM__O_DELTA_COIN] = inverse ? sx(phi, lD + lK - lF + lN2) : sx(phi, lD + lN1);
    return 0u;
}

CAREFUL unsigned bachelier_careful(double F, double K, double T, double r, double sigma,
                                   double phi, double res[QPM__NOUT])
{
    double lD = -r * T, lT = log(T), lsig = log(sigma), ls = lsig + 0.5 * lT;
    double hd = 0.5 * F - 0.5 * K, sd = sgn(hd), ldiff = lnabs(hd) + LN2; /* F - K */
    double s = sigma * sqrt(T);
    double ix = phi * sd;
    double *o = res;
    if (!(s > 0.0) || ldiff > ls + 23.025850929940457 /* ln 1e10 */) {
        double I = ix > 0.0 ? 1.0 : (ix < 0.0 ? 0.0 : 0.5), lI = log(I);
        double lV = ix > 0.0 ? lD + ldiff : -HUGE_VAL;
        int atm = sd == 0.0;
        double dens = 0.0;
        if (atm && sigma > 0.0)
            dens = T > 0.0 ? exp(lD - LN_SQRT2PI - LN2 + lsig - 0.5 * lT) : HUGE_VAL;
        double delta = sx(phi, lD + lI);
        o[QPM__O_PRICE] = o[QPM__O_PRICE_USD] = exp(lV);
        o[QPM__O_DELTA] = o[QPM__O_DELTA_COIN] = delta;
        o[QPM__O_GAMMA] = atm ? HUGE_VAL : 0.0;
        o[QPM__O_VEGA] = atm ? exp(lD + 0.5 * lT - LN_SQRT2PI) : 0.0;
        o[QPM__O_THETA] = sx(sgn(r), lnabs(r) + lV) - dens;
        o[QPM__O_RHO] = -exp(lT + lV);
        o[QPM__O_VANNA] = o[QPM__O_VOLGA] = o[QPM__O_RHO_Q] = 0.0;
        o[QPM__O_CHARM] = sx(phi * sgn(r), lnabs(r) + lD + lI);
        return atm ? 1u << QPM__O_GAMMA | 1u << QPM__O_THETA : 0u;
    }
    double ld = ldiff - ls, z = exp(ld), sdd = sd; /* d = sdd z */
    double lnd = log_npdf(z), R, Q;
    mills_rq(z, &R, &Q);
    double lotm = ls + lnd + log(Q);
    double lV = ix > 0.0 ? lD + ldiff + log1p(exp(lotm - ldiff)) : lD + lotm;
    double lNphid = ix > 0.0 ? log1p(-exp(lnd) * R) : log_ncdf(-z);
    int dens0 = lnd == -HUGE_VAL;
    double delta = sx(phi, lD + lNphid);
    o[QPM__O_PRICE] = o[QPM__O_PRICE_USD] = exp(lV);
    o[QPM__O_DELTA] = o[QPM__O_DELTA_COIN] = delta;
    o[QPM__O_GAMMA] = exp(lD + lnd - ls);
    o[QPM__O_VEGA] = exp(lD + 0.5 * lT + lnd);
    o[QPM__O_THETA] = sx(sgn(r), lnabs(r) + lV) - exp(lD + lnd + lsig - LN2 - 0.5 * lT);
    o[QPM__O_RHO] = -exp(lT + lV);
    o[QPM__O_VANNA] = dens0 ? 0.0 : sx(-sdd, lD + lnd + ld - lsig);
    o[QPM__O_VOLGA] = dens0 ? 0.0 : exp(lD + 0.5 * lT + lnd + 2.0 * ld - lsig);
    o[QPM__O_CHARM] = sx(phi * sgn(r), lnabs(r) + lD + lNphid) +
                      (dens0 ? 0.0 : sx(sdd, lD + lnd + ld - LN2 - lT));
    o[QPM__O_RHO_Q] = 0.0;
    return 0u;
}

/* Outputs not finite, other than the infinities `inf_ok` allows. */
static unsigned not_finite(const double res[QPM__NOUT], unsigned inf_ok)
{
    unsigned bad = 0;
    for (int o = 0; o < QPM__NOUT; o++)
        if (!isfinite(res[o]) && !(isinf(res[o]) && (inf_ok >> o & 1u)))
            bad |= 1u << o;
    return bad;
}

/* One option's outputs res from the direct formulas, whose verdict is ok
 * (black_w's or bachelier_one's): returns at once when every output is
 * finite or a documented limit, else recomputes them carefully. */
static inline __attribute__((always_inline)) unsigned
finish_one(int model, int inverse, double u, double k, double T, double r, double q, double sigma,
           double phi, unsigned ok, double res[QPM__NOUT])
{
    /* x * 0 is NaN exactly for infinite or NaN x: one sum tests them all */
    double z = 0.0;
    for (int o = 0; o < QPM__NOUT; o++)
        z += res[o] * 0.0;
    if (!(ok & REDO_CAREFUL) && (z == 0.0 || not_finite(res, ok) == 0))
        return 0;
    /* The direct formulas met an intermediate beyond the double range: the
     * careful path recomputes every output from logarithms; what it leaves
     * infinite or NaN is beyond the range of double itself. */
    ok = model == QPM__BACH ? bachelier_careful(u, k, T, r, sigma, phi, res)
                            : black_careful(model, inverse, u, k, T, r, q, sigma, phi, res);
    return not_finite(res, ok);
}

unsigned qpm__price_one(int model, int inverse, double u, double k, double T, double r, double q,
                        double sigma, int32_t type, double res[QPM__NOUT])
{
    double phi = type > 0 ? 1.0 : -1.0;
    unsigned ok;
    if (model == QPM__BACH)
        ok = bachelier_one(u, k, T, r, sigma, phi, res);
    else
        black_w(1, model, inverse, &u, &k, &T, &r, &q, &sigma, &phi,
                (double(*)[QPM__NOUT])res, &ok);
    return finish_one(model, inverse, u, k, T, r, q, sigma, phi, ok, res);
}

/* Element e's outputs res to the wanted outputs of the job; lowers *bad to
 * e when a wanted output is beyond the range of double (b: qpm__price_one's
 * verdict).  Elements come in order, so the first such one is kept. */
static inline void put_one(const qpm__bjob *job, unsigned need, size_t e, unsigned b,
                           const double res[QPM__NOUT], size_t *bad)
{
    if ((b & need) && *bad == SIZE_MAX)
        *bad = e;
    for (int o = 0; o < QPM__NOUT; o++)
        if (job->out[o] != NULL)
            job->out[o][e] = res[o];
}

/* Elements [begin, end) of a Black-family job, two at a time (black_w),
 * with the model and settlement constant. */
static inline __attribute__((always_inline)) size_t
black_run(const qpm__bjob *job, size_t begin, size_t end, int model, int inverse)
{
    double res[2][QPM__NOUT];
    unsigned need = qpm__bjob_need(job);
    size_t bad = SIZE_MAX;
    for (size_t i = begin; i < end; i += 2) {
        /* the last odd element alone: the same operations on one lane */
        int w = end - i >= 2 ? 2 : 1;
        double u[2], k[2], T[2], r[2], q[2], sg[2], phi[2];
        unsigned ok[2];
        for (int j = 0; j < w; j++) {
            size_t e = i + (size_t)j;
            u[j] = job->u[e * job->su], k[j] = job->k[e * job->sk], T[j] = job->t[e * job->st];
            r[j] = job->r[e * job->sr], q[j] = job->q[e * job->sq];
            sg[j] = job->sig[e * job->ssig];
            phi[j] = job->type[e * job->stype] > 0 ? 1.0 : -1.0;
        }
        if (w == 2)
            black_w(2, model, inverse, u, k, T, r, q, sg, phi, res, ok);
        else
            black_w(1, model, inverse, u, k, T, r, q, sg, phi, res, ok);
        for (int j = 0; j < w; j++) {
            size_t e = i + (size_t)j;
            unsigned b = finish_one(model, inverse, u[j], k[j], T[j], r[j], q[j], sg[j], phi[j],
                                    ok[j], res[j]);
            put_one(job, need, e, b, res[j], &bad);
        }
    }
    return bad;
}

size_t qpm__black_kernel_scalar(const qpm__bjob *job, size_t begin, size_t end)
{
    if (job->model == QPM__BACH) {
        double res[QPM__NOUT];
        unsigned need = qpm__bjob_need(job);
        size_t bad = SIZE_MAX;
        for (size_t i = begin; i < end; i++) {
            unsigned b = qpm__price_one(job->model, job->inverse, job->u[i * job->su],
                                        job->k[i * job->sk], job->t[i * job->st],
                                        job->r[i * job->sr], job->q[i * job->sq],
                                        job->sig[i * job->ssig], job->type[i * job->stype], res);
            put_one(job, need, i, b, res, &bad);
        }
        return bad;
    }
    if (job->model == QPM__BSM)
        return job->inverse ? black_run(job, begin, end, QPM__BSM, 1)
                            : black_run(job, begin, end, QPM__BSM, 0);
    return job->inverse ? black_run(job, begin, end, QPM__B76, 1)
                        : black_run(job, begin, end, QPM__B76, 0);
}

#ifndef QPM__BLACK_FMA
int qpm__black_screen_scalar(const qpm__bjob *job, size_t n)
{
    int ok = 1;
    for (size_t i = 0; i < n; i++)
        ok &= qpm__black_screen_one(job, i);
    return ok;
}
#endif
