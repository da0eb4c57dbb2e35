/* Scalar reference kernel of the Black family (BSM, Black-76, coin-settled)
 * and the Bachelier model.
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
 * the Mills ratio R from a piecewise polynomial (mills_table.h), so each has
 * a relative error of a few ulp.  When the two terms cancel by more than a factor QPM__LMAX, the
 * difference is recomputed as small n(a1) [R(a1) - R(a2)] with R the Mills
 * ratio, by qpm__mills_diff, which has no cancellation. */
#include <float.h>
#include <math.h>

#include "black.h"
#include "mills.h"

/* ---- double-double helpers --------------------------------------------- */

static inline double two_sum_err(double a, double b, double s)
{
    double bb = s - a;
    return (a - (s - bb)) + (b - bb);
}

/* n(a) for a = ah + al (double-double): exp(-a^2/2)/sqrt(2 pi) with a^2 split
 * exactly so that the density keeps its relative accuracy for large |a|. */
static inline double npdf_dd(double ah, double al)
{
    double p = ah * ah;
    double e = fma(ah, ah, -p) + 2.0 * ah * al;
    return QPM__RSQRT2PI * exp(-0.5 * p) * (1.0 - 0.5 * e);
}

double qpm__mills_diff(double a1, double s) { return mills_diff(a1, s); }

/* ---- Black family: one option ------------------------------------------- */

/* Limits T = 0 or sigma = 0 (or |x|/s beyond any representable density):
 * the option is worth its (forward) intrinsic value; see pricing.h. */
static void black_limit(int model, int inverse, double S, double F, double K, double x, double T,
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
}

static void black_one(int model, int inverse, double u, double K, double T, double r, double q,
                      double sigma, double phi, double res[QPM__NOUT])
{
    /* The order of operations here is the contract with the vector kernels
     * (black_lanes.h): they perform the same operations on their lanes,
     * with a few products and sums fused into FMAs (noted there). */
    double S, F, x, D, Dq, rS, qt, rem;
    D = exp(-r * T);
    S = u;
    rS = 1.0 / S;
    qt = S / K;
    rem = fma(-qt, K, S); /* S = qt K + rem exactly */
    double lnSK = log(qt) + rem * rS;
    if (!(qt >= DBL_MIN && qt <= DBL_MAX)) /* S/K out of range */
        lnSK = log(S) - log(K);
    if (model == QPM__BSM) {
        Dq = exp(-q * T);
        x = lnSK + (r - q) * T;
        F = S * (Dq / D);
    } else {
        q = r;
        Dq = D;
        x = lnSK;
        F = S;
    }
    double sqrtT = sqrt(T), s = sigma * sqrtT;
    double y = fabs(x);
    if (!(s > 0.0) || y > 1e10 * s) {
        black_limit(model, inverse, S, F, K, x, T, r, q, sigma, phi, D, Dq, res);
        return;
    }
    double rs = 1.0 / s;
    double m = y * rs, t = 0.5 * s;
    double a1 = m - t, a1e = two_sum_err(m, -t, a1);
    double a2 = m + t;
    int xpos = x > 0.0;
    double small = xpos ? K : F, big = xpos ? F : K;
    double n1 = npdf_dd(a1, a1e);
    double n2 = n1 * (small / big);
    double p1 = n1 * mills(fabs(a1)); /* N(-|a1|) */
    double p2 = n2 * mills(a2);       /* N(-a2), a2 > 0 */
    double P1 = a1 >= 0.0 ? p1 : 1.0 - p1; /* N(-a1) */
    double A1 = a1 >= 0.0 ? 1.0 - p1 : p1; /* N(a1) */
    double first = small * P1;
    double otm = first - big * p2;
    if (!(otm * QPM__LMAX > first))
        otm = small * n1 * qpm__mills_diff(a1, s);
    double Nd1, Nmd1, Nd2, Nmd2, nd1, d1, d2;
    if (!xpos) {
        Nd1 = P1, Nmd1 = A1, Nd2 = p2, Nmd2 = 1.0 - p2;
        nd1 = n1, d1 = -a1, d2 = -a2;
    } else {
        Nd1 = 1.0 - p2, Nmd1 = p2, Nd2 = A1, Nmd2 = P1;
        nd1 = n2, d1 = a2, d2 = a1;
    }
    double Nphid1 = phi > 0.0 ? Nd1 : Nmd1, Nphid2 = phi > 0.0 ? Nd2 : Nmd2;
    /* F - K from x for BSM: the rounding of the computed forward would
     * otherwise dominate a near-the-money intrinsic value. */
    double fk = model == QPM__BSM && fabs(x) < 1.0 ? K * expm1(x) : F - K;
    double intrinsic = phi * x > 0.0 ? phi * fk : 0.0;
    double V = D * (intrinsic + otm);
    double delta = phi * Dq * Nphid1;
    double dens = Dq * nd1;       /* e^{-qT} n(d1) */
    double rsqT = sigma * rs;     /* 1/sqrt(T) */
    double rsig = sqrtT * rs;     /* 1/sigma */
    double vega = S * dens * sqrtT;
    res[QPM__O_DELTA] = delta;
    res[QPM__O_GAMMA] = dens * rs * rS;
    res[QPM__O_VEGA] = vega;
    res[QPM__O_THETA] = r * V - S * dens * (0.5 * sigma * rsqT) - (r - q) * S * delta;
    if (model == QPM__BSM) {
        res[QPM__O_RHO] = phi * K * T * D * Nphid2;
        res[QPM__O_RHO_Q] = -phi * S * T * Dq * Nphid1;
    } else {
        res[QPM__O_RHO] = -T * V;
        res[QPM__O_RHO_Q] = 0.0;
    }
    res[QPM__O_VANNA] = -dens * d2 * rsig;
    res[QPM__O_VOLGA] = vega * d1 * d2 * rsig;
    /* charm bracket (2(r-q)T - d2 s) / (2 T s) = (r-q)/s - d2/(2T) */
    res[QPM__O_CHARM] = q * delta - dens * ((r - q) * rs - 0.5 * d2 * (rsqT * rsqT));
    res[QPM__O_PRICE_USD] = V;
    if (inverse) {
        double rF = model == QPM__BSM ? 1.0 / F : rS;
        res[QPM__O_PRICE] = V * rF;
        res[QPM__O_DELTA_COIN] = phi * D * (K * rF) * Nphid2;
    } else {
        res[QPM__O_PRICE] = V;
        res[QPM__O_DELTA_COIN] = phi * D * Nphid1;
    }
}

/* ---- Bachelier ----------------------------------------------------------- */

/* Q(z) = 1 - z R(z) = n(z)^{-1} int_z^inf N(-u) du for z >= 0, without the
 * cancellation of the direct form at large z. */
static double bachelier_q(double z)
{
    return z >= 2.0 ? millsq(z) : 1.0 - z * mills(z);
}

static void bachelier_one(double F, double K, double T, double r, double sigma, double phi,
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
        return;
    }
    d = diff / s;
    double z = fabs(d);
    nd = QPM__RSQRT2PI * exp(-0.5 * z * z);
    double tail = nd * mills(z); /* N(-|d|) */
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
}

void qpm__price_one(int model, int inverse, double u, double k, double T, double r, double q,
                    double sigma, int32_t type, double res[QPM__NOUT])
{
    double phi = type > 0 ? 1.0 : -1.0;
    if (model == QPM__BACH)
        bachelier_one(u, k, T, r, sigma, phi, res);
    else
        black_one(model, inverse, u, k, T, r, q, sigma, phi, res);
}

void qpm__black_kernel_scalar(const qpm__bjob *job, size_t begin, size_t end)
{
    double res[QPM__NOUT];
    for (size_t i = begin; i < end; i++) {
        qpm__price_one(job->model, job->inverse, job->u[i * job->su], job->k[i * job->sk],
                       job->t[i * job->st], job->r[i * job->sr], job->q[i * job->sq],
                       job->sig[i * job->ssig], job->type[i * job->stype], res);
        for (int o = 0; o < QPM__NOUT; o++)
            if (job->out[o] != NULL)
                job->out[o][i] = res[o];
    }
}

int qpm__black_screen_scalar(const qpm__bjob *job, size_t n)
{
    int ok = 1;
    const int bach = job->model == QPM__BACH;
    for (size_t i = 0; i < n; i++) {
        double u = job->u[i * job->su], k = job->k[i * job->sk], T = job->t[i * job->st];
        double r = job->r[i * job->sr], q = job->q[i * job->sq], sg = job->sig[i * job->ssig];
        int32_t ty = job->type[i * job->stype];
        ok &= bach ? fabs(u) <= DBL_MAX : (u > 0.0) & (u <= DBL_MAX);
        ok &= bach ? fabs(k) <= DBL_MAX : (k > 0.0) & (k <= DBL_MAX);
        ok &= (T >= 0.0) & (T <= DBL_MAX) & (sg >= 0.0) & (sg <= DBL_MAX);
        ok &= (fabs(r * T) <= QPM__MAX_RT) & (fabs(q * T) <= QPM__MAX_RT);
        ok &= (ty == 1) | (ty == -1);
    }
    return ok;
}
