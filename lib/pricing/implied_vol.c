/* Black-76 implied volatility to full double precision.
 *
 * Everything is reduced to the normalised price of an out-of-the-money call,
 *     b(x, s) = e^{x/2} N(x/s + s/2) - e^{-x/2} N(x/s - s/2),   x <= 0,
 * with x = ln(F/K) made non-positive by put-call symmetry and s = sigma sqrt T.
 * The solver follows the plan of Jaeckel's "Let's Be Rational" (2013/2016):
 * four initial-guess branches split at the inflection point s_c = sqrt(2|x|)
 * and at the points where its tangent meets 0 and the upper bound, rational
 * cubic interpolation (Delbourgo-Gregory) of s or of a transformed price, and
 * third-order Householder steps on an objective chosen per branch so that it
 * is close to linear in s (1/ln b below, b in the middle, ln(bmax - b)
 * above).  The formulas here were derived and tuned for this library.
 *
 * Accuracy of b: h = x/s, t = s/2, a = -h.  With the scaled form
 *     b = n(0) E [R(a - t) - R(a + t)],  E = exp(-(a^2 + t^2)/2),
 * R the Mills ratio, the difference of Mills ratios is evaluated without
 * cancellation in two regions:
 *   - a - t >= NB_ASYM: asymptotic series of R, summed as differences of
 *     powers P^m - Q^m = (P - Q) sum_j P^j Q^(m-1-j) (all terms positive);
 *   - t < NB_SMALL_T: Taylor series in t, R(a-t) - R(a+t) =
 *     2 sum_{k odd} I_k(a) t^k / k!, I_k(a) = int_0^inf u^k e^{-au-u^2/2} du,
 *     from the recurrence I_{k+1} = k I_{k-1} - a I_k;
 *   - elsewhere the two normal CDFs are subtracted directly; the loss there
 *     is bounded by a few bits because the terms differ by a fixed factor.
 * Rounding of h itself makes b relatively ill-conditioned by ~a^2, exactly
 * compensated in the volatility (d ln b / d ln s ~ a^2), so the implied s
 * is accurate to a few ulp wherever the price determines it. */
#include "pricing/implied_vol.h"

#include <float.h>
#include <math.h>

#include "pricing/iv_math.h"

#define NB_ASYM 12.0       /* a - t from which the asymptotic series is used */
#define NB_SMALL_T 0.25    /* t below which the Taylor series in t is used */
#define NB_SCALED 1.5      /* a - t from which the Mills-ratio form is used */
#define NB_DIRECT_MAX 37.0 /* a + t up to which N(-(a+t)) is a normal double */

#define IV_SQRT3 1.7320508075688772
#define IV_TWO_PI 6.283185307179586
#define IV_TWO_PI_OVER_SQRT27 1.2091995761561452 /* 2 pi / sqrt(27) */

/* Stop once a Householder step moved s by at most this relative amount: the
 * error after such a step is of order (step)^4, far below an ulp. */
#define IV_STEP_TOL 0x1p-15
/* Further steps allowed beyond the nominal two if a step fell back to
 * bisection (never needed on the tested domain; a safety net). */
#define IV_MAX_ITER_HARD 40

typedef struct nbx {
    double x;   /* log-moneyness, <= 0 */
    double ax;  /* |x| */
    double ex;  /* e^{x/2}: the upper bound of b */
    double emx; /* e^{-x/2} */
} nbx;

static void nbx_init(nbx *c, double x)
{
    c->x = x;
    c->ax = -x;
    c->ex = exp(0.5 * x);
    c->emx = exp(-0.5 * x);
}

/* R(a - t) - R(a + t) for a - t >= NB_ASYM. */
static double nb_asym_delta(double a, double t)
{
    double P = 1.0 / (a - t), Q = 1.0 / (a + t);
    double P2 = P * P, Q2 = Q * Q, PQ = P + Q;
    double S = 1.0;   /* S_m = sum_{j<m} P^j Q^(m-1-j), m = 2n + 1 */
    double Qm = Q;    /* Q^m */
    double dfact = 1.0; /* (2n - 1)!! */
    double sum = 1.0;
    for (int n = 1; n < 40; n++) {
        S = P2 * S + Qm * PQ;
        Qm *= Q2;
        dfact *= (double)(2 * n - 1);
        double term = dfact * S;
        sum += (n & 1) ? -term : term;
        if (term <= 0x1p-57 * sum)
            break;
    }
    return 2.0 * t * P * Q * sum;
}

/* R(a - t) - R(a + t) for small t, any a >= 0 below the asymptotic region. */
static double nb_small_t_delta(double a, double t)
{
    double R0 = qpm__mills(a);
    double Im = R0;            /* I_{k-1} */
    double I = 1.0 - a * R0;   /* I_k, k = 1 */
    double t2 = t * t, c = t;  /* c = t^k / k! */
    double sum = I * c;
    for (int k = 1; k < 41; k += 2) {
        double I1 = (double)k * Im - a * I;        /* I_{k+1} */
        double I2 = (double)(k + 1) * I - a * I1;  /* I_{k+2} */
        c *= t2 / ((double)(k + 1) * (double)(k + 2));
        double term = I2 * c;
        sum += term;
        Im = I1;
        I = I2;
        if (fabs(term) <= 0x1p-57 * sum)
            break;
    }
    return 2.0 * sum;
}

/* a = |x|/s, t = s/2 and A = (a^2 + t^2)/2 as Ahi + Alo, nearly exact: the
 * exponent reaches ~700 where its own rounding would cost ~700 ulp of b. */
static inline void nb_point(const nbx *c, double s, double *a, double *t, double *Ahi,
                            double *Alo)
{
    double ah = c->ax / s;
    double al = fma(-ah, s, c->ax) / s; /* |x|/s = ah + al */
    double th = 0.5 * s;
    double p1, e1, p2, e2, sh, se;
    qpm__two_prod(ah, ah, &p1, &e1);
    qpm__two_prod(th, th, &p2, &e2);
    qpm__two_sum(p1, p2, &sh, &se);
    *a = ah;
    *t = th;
    *Ahi = 0.5 * sh;
    *Alo = 0.5 * (se + e1 + e2 + 2.0 * ah * al);
}

/* D = R(a - t) - R(a + t) in the cancellation-free regions; 0 if none applies
 * (then a - t < NB_SCALED and t >= NB_SMALL_T, so b is not small). */
static inline int nb_delta(double a, double t, double *D)
{
    if (a - t >= NB_ASYM) {
        *D = nb_asym_delta(a, t);
        return 1;
    }
    if (t < NB_SMALL_T) {
        *D = nb_small_t_delta(a, t);
        return 1;
    }
    if (a - t >= NB_SCALED) {
        *D = qpm__mills(a - t) - qpm__mills(a + t);
        return 1;
    }
    return 0;
}

/* The remaining region: difference of the two normal CDFs. */
static inline double nb_direct(const nbx *c, double a, double t, double e)
{
    if (a + t <= NB_DIRECT_MAX)
        return c->ex * qpm__ncdf(t - a) - c->emx * qpm__ncdf(-(a + t));
    return c->ex * qpm__ncdf(t - a) - QPM__IV_INV_SQRT_2PI * e * qpm__mills(a + t);
}

/* b(x, s) for x <= 0, s > 0; *E = exp(-(h^2 + t^2)/2), vega = n(0) E. */
static double nb_eval(const nbx *c, double s, double *E)
{
    double a, t, Ahi, Alo, D;
    nb_point(c, s, &a, &t, &Ahi, &Alo);
    double e = exp(-Ahi) * (1.0 - Alo);
    *E = e;
    if (nb_delta(a, t, &D))
        return QPM__IV_INV_SQRT_2PI * e * D;
    return nb_direct(c, a, t, e);
}

#define IV_LN_INV_SQRT_2PI (-0.91893853320467274) /* ln(1/sqrt(2 pi)) */

/* ln b(x, s) and u = b'/b, without forming b (which may underflow). */
static void nb_eval_log(const nbx *c, double s, double *L, double *u)
{
    double a, t, Ahi, Alo, D;
    nb_point(c, s, &a, &t, &Ahi, &Alo);
    if (nb_delta(a, t, &D)) {
        *L = IV_LN_INV_SQRT_2PI - Ahi - Alo + log(D);
        *u = 1.0 / D;
        return;
    }
    double e = exp(-Ahi) * (1.0 - Alo);
    double b = nb_direct(c, a, t, e);
    *L = log(b);
    *u = QPM__IV_INV_SQRT_2PI * e / b;
}

/* bmax - b(x, s) = e^{x/2} N(a - t) + e^{-x/2} N(-(a + t)), no cancellation. */
static double nb_evalbar(const nbx *c, double s, double *E)
{
    double a, t, Ahi, Alo;
    nb_point(c, s, &a, &t, &Ahi, &Alo);
    double e = exp(-Ahi) * (1.0 - Alo);
    *E = e;
    double T2 = a + t <= NB_DIRECT_MAX ? c->emx * qpm__ncdf(-(a + t))
                                       : QPM__IV_INV_SQRT_2PI * e * qpm__mills(a + t);
    return c->ex * qpm__ncdf(a - t) + T2;
}

/* b''/b' and b'''/b' with respect to s. */
static inline void nb_ratios(const nbx *c, double s, double *q2, double *q3)
{
    double a = c->ax / s, t = 0.5 * s;
    double r2 = (a - t) * (a + t) / s;
    *q2 = r2;
    *q3 = r2 * r2 - 3.0 * (a / s) * (a / s) - 0.25;
}

/* ---- rational cubic interpolation (Delbourgo-Gregory) ----------------------
 * On [xl, xl + h] with values yl, yr, slopes dl, dr and control r > -1
 * (r = 3: cubic Hermite), evaluated at u = (X - xl)/h with w = 1 - u given
 * separately so either end keeps full relative accuracy. */
static double rc_eval(double u, double w, double h, double yl, double yr, double dl, double dr,
                      double r)
{
    double num = yr * u * u * u + (r * yr - h * dr) * u * u * w + (r * yl + h * dl) * u * w * w
                 + yl * w * w * w;
    return num / (1.0 + (r - 3.0) * u * w);
}

#define RC_R_MAX (2.0 / (DBL_EPSILON * DBL_EPSILON))
#define RC_R_MIN (-(1.0 - 1.4901161193847656e-08))

/* Smallest control parameter that keeps the interpolant monotone and
 * convex/concave where the data are; slope of the chord: delta. */
static double rc_r_shape(double dl, double dr, double delta)
{
    int mono = dl * delta >= 0.0 && dr * delta >= 0.0;
    int convex = dl <= delta && delta <= dr;
    int concave = dl >= delta && delta >= dr;
    double r1 = -DBL_MAX, r2 = -DBL_MAX;
    if (mono && delta != 0.0)
        r1 = (dr + dl) / delta;
    if (convex || concave) {
        double a = delta - dl, b = dr - delta;
        if (a != 0.0 && b != 0.0)
            r2 = fmax(fabs(b / a), fabs(a / b));
        else
            r2 = RC_R_MAX;
    }
    return fmax(RC_R_MIN, fmax(r1, r2));
}

/* r matching a given second derivative at the left / right end. */
static double rc_r_left(double h, double delta, double dl, double dr, double d2l)
{
    return (0.5 * h * d2l + (dr - dl)) / (delta - dl);
}

static double rc_r_right(double h, double delta, double dl, double dr, double d2r)
{
    return (0.5 * h * d2r + (dr - dl)) / (dr - delta);
}

static double rc_r_final(double r_fit, double dl, double dr, double delta)
{
    double r = rc_r_shape(dl, dr, delta);
    if (r_fit == r_fit && r_fit > r) /* NaN-safe */
        r = r_fit;
    return fmin(r, RC_R_MAX);
}

/* ---- the solver ---------------------------------------------------------- */

enum { OBJ_LOWER, OBJ_MID, OBJ_UPPER };

/* Solves b(x, s) = beta for s, with betabar = bmax - beta given accurately
 * and lnbeta = ln(beta) (beta itself may have underflowed to 0).  Requires
 * 0 <= beta, 0 < betabar.  Returns s, or NaN if the iteration did not
 * converge. */
static double black_core(const nbx *c, double beta, double lnbeta, double betabar, int *iters)
{
    const double ax = c->ax, bmax = c->ex;
    const double s_c = sqrt(2.0 * ax);
    const double v_c = QPM__IV_INV_SQRT_2PI * bmax;
    double E, q2, q3;
    double b_c = 0.0;
    if (ax > 0.0)
        b_c = nb_eval(c, s_c, &E);

    int obj;
    double lo = 0.0, hi = INFINITY, s0;
    if (beta < b_c) {
        hi = s_c;
        double s_l = s_c - b_c / v_c, b_l = 0.0, v_l = 0.0, lnb_l = -INFINITY;
        if (s_l > 0.0) {
            double u_l;
            nb_eval_log(c, s_l, &lnb_l, &u_l);
            b_l = exp(lnb_l);
            v_l = b_l * u_l;
        }
        if (lnbeta < lnb_l) {
            /* Lower branch: interpolate f(beta), f(s) = 2 pi |x|/sqrt 27 N(-z)^3,
             * z = |x|/(sqrt 3 s), which matches b(s) and its slope as s -> 0. */
            obj = OBJ_LOWER;
            hi = s_l;
            double z = ax / (IV_SQRT3 * s_l);
            double Pz = qpm__ncdf(-z), pz = qpm__npdf(z);
            double f_l = IV_TWO_PI_OVER_SQRT27 * ax * Pz * Pz * Pz;
            double fp = IV_TWO_PI * z * z * Pz * Pz * pz;
            double fpp = -IV_TWO_PI * z * z * Pz * pz * (2.0 * Pz - 2.0 * z * pz - z * z * Pz) / s_l;
            nb_ratios(c, s_l, &q2, &q3);
            double df = fp / v_l;
            double d2f = (fpp - fp * q2) / (v_l * v_l);
            double delta = f_l / b_l;
            double r = rc_r_final(rc_r_right(b_l, delta, 1.0, df, d2f), 1.0, df, delta);
            double u = beta / b_l;
            /* f = beta (1 + O(u)) near 0: use logs there, beta may underflow */
            double lnf = u < 0x1p-40 ? lnbeta : log(rc_eval(u, 1.0 - u, b_l, 0.0, f_l, 1.0, df, r));
            double zg = -qpm__ninv_approx(exp((lnf - log(IV_TWO_PI_OVER_SQRT27 * ax)) / 3.0));
            s0 = ax / (IV_SQRT3 * zg);
        } else {
            obj = OBJ_MID;
            if (s_l > 0.0 && b_l > 0.0) {
                lo = s_l;
                double h = b_c - b_l;
                double dl = 1.0 / v_l, dr = 1.0 / v_c, delta = (s_c - s_l) / h;
                double r = rc_r_final(rc_r_right(h, delta, dl, dr, 0.0), dl, dr, delta);
                s0 = rc_eval((beta - b_l) / h, (b_c - beta) / h, h, s_l, s_c, dl, dr, r);
            } else {
                s0 = s_c * beta / b_c;
            }
        }
    } else {
        lo = s_c;
        double s_u = s_c + (bmax - b_c) / v_c;
        double bb_u = nb_evalbar(c, s_u, &E);
        double v_u = QPM__IV_INV_SQRT_2PI * E;
        if (betabar >= bb_u) {
            obj = OBJ_MID;
            hi = s_u;
            double b_u = bmax - bb_u;
            double h = b_u - b_c;
            double dl = 1.0 / v_c, dr = 1.0 / v_u, delta = (s_u - s_c) / h;
            double r = rc_r_final(rc_r_left(h, delta, dl, dr, 0.0), dl, dr, delta);
            s0 = rc_eval((beta - b_c) / h, (b_u - beta) / h, h, s_c, s_u, dl, dr, r);
        } else {
            /* Upper branch: interpolate f(beta) with f(s) = N(-w), w = sqrt(t^2 + a^2).
             * Since n(w) = n(0) E, bmax - b = n(0) E [R(t - a) + R(t + a)] over
             * 2 N(-w) = 2 n(0) E R(w) tends to 1 as s grows: f is close to
             * (bmax - beta)/2, its slope at bmax is -1/2, and it inverts exactly:
             * s^2 = 2 (w^2 + sqrt(w^4 - x^2)). */
            obj = OBJ_UPPER;
            lo = s_u;
            double t = 0.5 * s_u, a = ax / s_u;
            double w = sqrt(t * t + a * a);
            double dw2 = 0.5 * s_u - 2.0 * a * a / s_u;          /* (w^2)' */
            double d2w2 = 0.5 + 6.0 * a * a / (s_u * s_u);       /* (w^2)'' */
            double wp = dw2 / (2.0 * w);
            double wpp = (d2w2 - 2.0 * wp * wp) / (2.0 * w);
            double f_u = qpm__ncdf(-w), pw = qpm__npdf(w);
            double fp = -pw * wp, fpp = -pw * (wpp - w * wp * wp);
            nb_ratios(c, s_u, &q2, &q3);
            double df = fp / v_u;
            double d2f = (fpp - fp * q2) / (v_u * v_u);
            double dr = -0.5;
            double delta = -f_u / bb_u;
            double r = rc_r_final(rc_r_left(bb_u, delta, df, dr, d2f), df, dr, delta);
            double om = betabar / bb_u;
            double f = rc_eval(1.0 - om, om, bb_u, f_u, 0.0, df, dr, r);
            double wg = -qpm__ninv_approx(f);
            double w2 = wg * wg, disc = w2 * w2 - ax * ax;
            s0 = sqrt(2.0 * (w2 + sqrt(disc > 0.0 ? disc : 0.0)));
        }
    }

    double s = s0;
    if (!(s > 0.0) || !isfinite(s))
        s = isfinite(hi) ? 0.5 * (lo + hi) : 2.0 * lo + 1.0;
    else /* a guess at a node may round an ulp outside its interval */
        s = fmin(fmax(s, lo), hi);
    int it = 0, converged = 0;
    while (it < IV_MAX_ITER_HARD) {
        double nu, h2, h3;
        nb_ratios(c, s, &q2, &q3);
        if (obj == OBJ_UPPER) {
            double bb = nb_evalbar(c, s, &E);
            double bp = QPM__IV_INV_SQRT_2PI * E;
            if (bb < betabar)
                hi = s;
            else
                lo = s;
            double w = bp / bb;
            nu = log(bb / betabar) / w;
            h2 = q2 + w;
            h3 = q3 + 3.0 * q2 * w + 2.0 * w * w;
        } else if (obj == OBJ_MID) {
            double b = nb_eval(c, s, &E);
            double bp = QPM__IV_INV_SQRT_2PI * E;
            if (b > beta)
                hi = s;
            else
                lo = s;
            nu = (beta - b) / bp;
            h2 = q2;
            h3 = q3;
        } else {
            /* objective 1/ln b - 1/ln beta, u = b'/b */
            double L, u;
            nb_eval_log(c, s, &L, &u);
            if (L > lnbeta)
                hi = s;
            else
                lo = s;
            nu = L * (lnbeta - L) / (lnbeta * u);
            h2 = q2 - u - 2.0 * u / L;
            h3 = q3 - 3.0 * q2 * u + 2.0 * u * u - 6.0 * u * (q2 - u) / L + 6.0 * u * u / (L * L);
        }
        double ds = nu * (1.0 + 0.5 * h2 * nu) / (1.0 + nu * (h2 + h3 * nu / 6.0));
        if (!isfinite(ds))
            ds = nu;
        double sn = s + ds;
        it++;
        if (fabs(ds) <= IV_STEP_TOL * s && sn > 0.0) {
            s = sn;
            converged = 1;
            break;
        }
        if (!(sn > lo && sn < hi))
            sn = isfinite(hi) ? 0.5 * (lo + hi) : 2.0 * lo + 1.0;
        if (!isfinite(sn) || sn <= 0.0)
            break;
        s = sn;
        if (hi - lo <= 4.0 * DBL_EPSILON * s) {
            converged = 1;
            break;
        }
    }
    if (!converged)
        s = NAN;
    if (iters)
        *iters = it;
    return s;
}

/* ---- normalised and plain Black prices ------------------------------------ */

double qpm__normalised_black_call(double x, double s)
{
    double xn = -fabs(x);
    double intrinsic = x > 0.0 ? 2.0 * sinh(0.5 * x) : 0.0;
    if (!(s > 0.0))
        return intrinsic;
    nbx c;
    nbx_init(&c, xn);
    if (isinf(s))
        return intrinsic + c.ex;
    double E;
    return intrinsic + nb_eval(&c, s, &E);
}

/* ln(F/K) with a relative error of a few ulp, also near the money. */
static double log_moneyness(double F, double K)
{
    double q = F / K;
    if (q > 0.5 && q < 2.0)
        return log1p((F - K) / K); /* F - K is exact here (Sterbenz) */
    if (q > 0.0 && isfinite(q) && q >= DBL_MIN)
        return log(q);
    return log(F) - log(K);
}

double qpm__black_price(double F, double K, double T, double sigma, int is_call)
{
    double s = sigma * sqrt(T);
    double up = is_call ? F : K, other = is_call ? K : F;
    double intrinsic = up > other ? up - other : 0.0;
    if (!(s > 0.0))
        return intrinsic;
    double x = log_moneyness(F, K);
    nbx c;
    nbx_init(&c, -fabs(x));
    double sq = sqrt(F) * sqrt(K);
    if (isinf(s))
        return intrinsic + sq * c.ex;
    double a, t, Ahi, Alo, D;
    nb_point(&c, s, &a, &t, &Ahi, &Alo);
    if (nb_delta(a, t, &D)) {
        /* sqrt(FK) n(0) E D, scaled so a subnormal result is rounded once */
        int n;
        double e = qpm__exp_neg_scaled(Ahi, Alo, &n);
        return intrinsic + ldexp(sq * QPM__IV_INV_SQRT_2PI * D * e, -n);
    }
    double e = exp(-Ahi) * (1.0 - Alo);
    return intrinsic + sq * nb_direct(&c, a, t, e);
}

/* ---- discount factor in double-double ---------------------------------------
 * dd arithmetic in (hi, lo) pairs, |lo| <= ulp(hi)/2. */
typedef struct dd {
    double hi, lo;
} dd;

static dd dd_norm(double a, double b)
{
    dd r;
    qpm__two_sum(a, b, &r.hi, &r.lo);
    return r;
}

static dd dd_mul(dd a, dd b)
{
    double p, e;
    qpm__two_prod(a.hi, b.hi, &p, &e);
    e += a.hi * b.lo + a.lo * b.hi;
    return dd_norm(p, e);
}

static dd dd_add(dd a, dd b)
{
    double s, e;
    qpm__two_sum(a.hi, b.hi, &s, &e);
    e += a.lo + b.lo;
    return dd_norm(s, e);
}

static dd dd_div_int(dd a, double k)
{
    double q1 = a.hi / k;
    double rem = fma(-q1, k, a.hi);
    double q2 = (rem + a.lo) / k;
    return dd_norm(q1, q2);
}

void qpm__iv_discount_dd(double r, double T, double *hi, double *lo)
{
    double a = -r * T;
    double al = fma(-r, T, -a); /* -rT = a + al exactly */
    if (a == 0.0) {
        *hi = 1.0;
        *lo = 0.0;
        return;
    }
    static const double ln2_hi = 0.6931471805599453, ln2_lo = 2.3190468138462996e-17;
    double k = nearbyint(a * 1.4426950408889634);
    double p1, p2;
    qpm__two_prod(k, ln2_hi, &p1, &p2);
    dd y = dd_norm(a - p1, al - p2 - k * ln2_lo); /* a - p1 is exact */
    y.hi = ldexp(y.hi, -8);
    y.lo = ldexp(y.lo, -8);
    /* expm1(y) = y (1 + y/2 (1 + y/3 (... (1 + y/9)))), |y| < 1.4e-3 */
    dd one = {1.0, 0.0};
    dd p = dd_add(one, dd_div_int(y, 9.0));
    for (int j = 8; j >= 2; j--)
        p = dd_add(one, dd_div_int(dd_mul(y, p), (double)j));
    dd m = dd_mul(y, p);
    for (int j = 0; j < 8; j++) /* (1+m)^2 = 1 + (2m + m^2) */
        m = dd_add(dd_add(m, m), dd_mul(m, m));
    dd res = dd_add(one, m);
    int ki = (int)k;
    *hi = ldexp(res.hi, ki);
    *lo = ldexp(res.lo, ki);
}

/* ---- entry points ---------------------------------------------------------- */

static qpm_status check_black(double F, double K, double T)
{
    if (!isfinite(F) || !isfinite(K) || !isfinite(T))
        return QPM_E_NONFINITE;
    if (!(F > 0.0) || !(K > 0.0) || !(T > 0.0))
        return QPM_E_INVALID;
    return QPM_OK;
}

/* Undiscounted price ph + pl (|pl| <= ulp(ph)/2). */
static qpm_status black_iv_dd(double ph, double pl, double F, double K, double T, int is_call,
                              double *sigma, int *iters)
{
    if (iters)
        *iters = 0;
    if (!(ph > 0.0))
        return QPM_E_ARBITRAGE;
    double up = is_call ? F : K, other = is_call ? K : F;
    double u1, ue;
    qpm__two_sum(up, -ph, &u1, &ue);
    double dup = u1 + (ue - pl); /* upper - price */
    if (!(dup > 0.0))
        return QPM_E_ARBITRAGE;
    double tv = ph + pl;
    if (up > other) {
        double ih, il, s1, e1;
        qpm__two_sum(up, -other, &ih, &il); /* intrinsic = ih + il exactly */
        qpm__two_sum(ph, -ih, &s1, &e1);
        tv = s1 + ((e1 + pl) - il);
        if (!(tv > 0.0))
            return QPM_E_ARBITRAGE;
    }
    double sq = sqrt(F) * sqrt(K);
    double beta = tv / sq, betabar = dup / sq;
    double lnbeta = beta >= 0x1p-900 ? log(beta) : log(tv) - log(sq);
    if (!(betabar > 0.0) || !isfinite(beta))
        return QPM_E_NOCONVERGE;
    nbx c;
    nbx_init(&c, -fabs(log_moneyness(F, K)));
    if (!(c.ex > 0.0))
        return QPM_E_NOCONVERGE;
    double s = black_core(&c, beta, lnbeta, betabar, iters);
    double v = s / sqrt(T);
    if (!(v > 0.0) || !isfinite(v))
        return QPM_E_NOCONVERGE;
    *sigma = v;
    return QPM_OK;
}

qpm_status qpm__black_implied_vol_iter(double price_undiscounted, double F, double K, double T,
                                       int is_call, double *sigma, int *iters)
{
    if (iters)
        *iters = 0;
    if (sigma == NULL)
        return QPM_E_NULL;
    *sigma = NAN;
    if (!isfinite(price_undiscounted))
        return QPM_E_NONFINITE;
    qpm_status st = check_black(F, K, T);
    if (st != QPM_OK)
        return st;
    return black_iv_dd(price_undiscounted, 0.0, F, K, T, is_call, sigma, iters);
}

qpm_status qpm__black_implied_vol(double price_undiscounted, double F, double K, double T,
                                  int is_call, double *sigma)
{
    return qpm__black_implied_vol_iter(price_undiscounted, F, K, T, is_call, sigma, NULL);
}

qpm_status qpm__iv_undiscount(double price, double r, double T, double *ph, double *pl)
{
    double dh, dl;
    qpm__iv_discount_dd(r, T, &dh, &dl);
    if (!(dh > DBL_MIN) || !isfinite(dh))
        return QPM_E_INVALID;
    double q1 = price / dh;
    double rem = fma(-q1, dh, price) - q1 * dl;
    double q2 = rem / dh;
    qpm__two_sum(q1, q2, ph, pl);
    if (!isfinite(*ph))
        return QPM_E_INVALID;
    return QPM_OK;
}

qpm_status qpm__black_implied_vol_df(double price, double F, double K, double T, double r,
                                     int is_call, double *sigma)
{
    if (sigma == NULL)
        return QPM_E_NULL;
    *sigma = NAN;
    if (!isfinite(price) || !isfinite(r))
        return QPM_E_NONFINITE;
    qpm_status st = check_black(F, K, T);
    if (st != QPM_OK)
        return st;
    if (!(price > 0.0))
        return QPM_E_ARBITRAGE;
    double ph, pl;
    st = qpm__iv_undiscount(price, r, T, &ph, &pl);
    if (st != QPM_OK)
        return st;
    return black_iv_dd(ph, pl, F, K, T, is_call, sigma, NULL);
}
