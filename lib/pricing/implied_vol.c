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
 * Accuracy of b: h = x/s, t = s/2, a = -h.  With E = exp(-(a^2 + t^2)/2),
 * which is n(0)^-1 times the vega, and R the Mills ratio,
 *     b = n(0) E [R(a - t) - R(a + t)]          (a >= t)
 *     bmax - b = n(0) E [R(t - a) + R(t + a)]   (a < t; bmax = e^{x/2}),
 * so one exponential and two Mills ratios give b, bmax - b and the vega.  The
 * difference of Mills ratios cancels when t is small against a or 1; there
 *   - a - t >= NB_ASYM, t < a/8: asymptotic series of R, summed as
 *     differences of powers P^m - Q^m = (P - Q) sum_j P^j Q^(m-1-j);
 *   - t < NB_SMALL_T: Taylor series in t, R(a-t) - R(a+t) =
 *     2 sum_{k odd} I_k(a) t^k / k!, I_k(a) = int_0^inf u^k e^{-au-u^2/2} du,
 *     from the recurrence I_{k+1} = k I_{k-1} - a I_k.
 * Elsewhere the two terms differ by a bounded factor (a few bits at most).
 * The exponent A = (a^2 + t^2)/2 is formed in double-double.  Rounding of h
 * itself makes b relatively ill-conditioned by ~a^2, exactly compensated in
 * the volatility (d ln b / d ln s ~ a^2), so the implied s is accurate to a
 * few ulp wherever the price determines it.  The solver never forms b where
 * it could underflow: the lower and upper objectives are evaluated as
 * ln(n(0)) - A + ln(R difference or sum). */
#include "pricing/implied_vol.h"

#include <float.h>
#include <math.h>
#include <string.h>

#include "core/internal.h"
#include "pricing/iv_math.h"
#include "pricing/iv_discount.h"
#include "qpm/pricing.h"

#define NB_ASYM 12.0    /* a - t from which the asymptotic series is used */
#define NB_SMALL_T 0.25 /* t below which the Taylor series in t is used */

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
    double x;  /* log-moneyness, <= 0 */
    double ax; /* |x| */
    double ex; /* e^{x/2}: the upper bound of b */
} nbx;

static void nbx_init(nbx *c, double x)
{
    c->x = x;
    c->ax = -x;
    c->ex = qpm__exp(0.5 * x);
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

/* 1/((k+1)(k+2)) for k = 1, 3, ..., 15 */
static const double nb_st_inv[8] = {1.0 / 6.0,   1.0 / 20.0,  1.0 / 42.0,  1.0 / 72.0,
                                    1.0 / 110.0, 1.0 / 156.0, 1.0 / 210.0, 1.0 / 272.0};

/* R(a - t) - R(a + t) for t < NB_SMALL_T, any a >= 0: the terms up to t^17
 * (the last one is below 2^-56 of the first for t <= 1/4 and every a; a
 * fixed count keeps the loop free of data-dependent exits). */
static double nb_small_t_delta(double a, double t)
{
    double R0 = qpm__mills_rat(a);
    double Im = R0;          /* I_{k-1} */
    double I = 1.0 - a * R0; /* I_k, k = 1 */
    double y = t * t, c = t; /* c = t^k / k! */
    double sum = I * c;
    for (int j = 0; j < 8; j++) {
        double k = (double)(2 * j + 1);
        double I1 = k * Im - a * I;        /* I_{k+1} */
        double I2 = (k + 1.0) * I - a * I1; /* I_{k+2} */
        c *= y * nb_st_inv[j];
        sum += I2 * c;
        Im = I1;
        I = I2;
    }
    return 2.0 * sum;
}

/* One evaluation point: a = |x|/s, t = s/2, A = (a^2 + t^2)/2.  With
 * precise != 0 (reference prices) A is formed in double-double as Ahi + Alo:
 * it reaches ~700, where its own rounding would cost ~700 ulp of b.  The
 * solver does not need it: an error e A in ln b moves s by about e/2 ulp. */
typedef struct nbp {
    double a, t, Ahi, Alo;
} nbp;

static inline void nb_point(const nbx *c, double s, int precise, nbp *p)
{
    double ah = c->ax / s, th = 0.5 * s;
    p->a = ah;
    p->t = th;
    if (!precise) {
        p->Ahi = 0.5 * (ah * ah + th * th);
        p->Alo = 0.0;
        return;
    }
    double al = fma(-ah, s, c->ax) / s; /* |x|/s = ah + al */
    double p1, e1, p2, e2, sh, se;
    qpm__two_prod(ah, ah, &p1, &e1);
    qpm__two_prod(th, th, &p2, &e2);
    qpm__two_sum(p1, p2, &sh, &se);
    p->Ahi = 0.5 * sh;
    p->Alo = 0.5 * (se + e1 + e2 + 2.0 * ah * al);
}

/* The scaled price at (a, t).  Returns 0 with *D = R(a - t) - R(a + t)
 * (b = n(0) E D), or 1 with *D = R(t - a) + R(t + a) (bmax - b = n(0) E D). */
static inline int nb_scaled(double a, double t, double *D)
{
    if (a - t >= NB_ASYM && 8.0 * t < a) {
        *D = nb_asym_delta(a, t);
        return 0;
    }
    if (t < NB_SMALL_T) {
        *D = nb_small_t_delta(a, t);
        return 0;
    }
    if (a >= t) {
        *D = qpm__mills_rat(a - t) - qpm__mills_rat(a + t);
        return 0;
    }
    *D = qpm__mills_rat(t - a) + qpm__mills_rat(t + a);
    return 1;
}

/* b(x, s), bmax - b and E = exp(-(h^2 + t^2)/2) (vega = n(0) E), s > 0. */
static inline void nb_eval(const nbx *c, double s, int precise, nbp *p, double *b, double *bb,
                           double *E)
{
    double D;
    nb_point(c, s, precise, p);
    int upper = nb_scaled(p->a, p->t, &D);
    double e = qpm__exp(-p->Ahi) * (1.0 - p->Alo);
    double v = QPM__IV_INV_SQRT_2PI * e * D;
    *E = e;
    if (upper) {
        *bb = v;
        *b = c->ex - v;
    } else {
        *b = v;
        *bb = c->ex - v;
    }
}

/* b, bmax - b and E at a guess node, from the Mills-ratio form alone: where
 * its two terms cancel it loses up to ~1e-12 relative, harmless for an
 * initial guess (the Householder steps use nb_eval). */
static inline void nb_eval_guess(const nbx *c, double s, nbp *p, double *b, double *bb, double *E)
{
    nb_point(c, s, 0, p);
    double a = p->a, t = p->t;
    double e = qpm__exp(-p->Ahi);
    *E = e;
    if (a >= t) {
        *b = QPM__IV_INV_SQRT_2PI * e * (qpm__mills_rat(a - t) - qpm__mills_rat(a + t));
        *bb = c->ex - *b;
    } else {
        *bb = QPM__IV_INV_SQRT_2PI * e * (qpm__mills_rat(t - a) + qpm__mills_rat(t + a));
        *b = c->ex - *bb;
    }
}

/* ln of b (want_upper = 0) or of bmax - b (want_upper = 1), and the ratio
 * of the vega to that quantity, without forming it (it may underflow). */
static inline void nb_eval_log(const nbx *c, double s, int want_upper, nbp *p, double *L,
                               double *u)
{
    double D;
    nb_point(c, s, 0, p);
    if (nb_scaled(p->a, p->t, &D) == want_upper) {
        *L = QPM__IV_LN_INV_SQRT_2PI - p->Ahi + log(D);
        *u = 1.0 / D;
        return;
    }
    /* the other form: the wanted quantity is bmax minus a smaller one */
    double e = qpm__exp(-p->Ahi);
    double q = c->ex - QPM__IV_INV_SQRT_2PI * e * D;
    *L = log(q);
    *u = QPM__IV_INV_SQRT_2PI * e / q;
}

/* b''/b' and b'''/b' with respect to s at the point p. */
static inline void nb_ratios(const nbp *p, double s, double *q2, double *q3)
{
    double r2 = (p->a - p->t) * (p->a + p->t) / s;
    double as = p->a / s;
    *q2 = r2;
    *q3 = r2 * r2 - 3.0 * as * as - 0.25;
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
            r2 = fabs(b / a) > fabs(a / b) ? fabs(b / a) : fabs(a / b);
        else
            r2 = RC_R_MAX;
    }
    double r = r1 > r2 ? r1 : r2;
    return r > RC_R_MIN ? r : RC_R_MIN;
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
    return r < RC_R_MAX ? r : RC_R_MAX;
}

/* ---- the solver ---------------------------------------------------------- */

enum { OBJ_LOWER, OBJ_MID, OBJ_UPPER };

/* One solve of b(x, s) = beta for s, with betabar = bmax - beta given
 * accurately and lnbeta = ln(beta) when beta may have lost precision to
 * underflow, NaN otherwise (then ln(beta) is taken where needed); 0 <= beta,
 * 0 < betabar.  The work is cut into a guess stage and Householder steps, so
 * a batch can run several solves side by side (their dependency chains are
 * long and independent: interleaving them keeps the core busy). */
typedef struct iv_lane {
    nbx c;
    double beta, lnbeta, betabar, lnbetabar;
    double s, lo, hi;
    int obj, it, state; /* state: IV_RUN, IV_DONE or IV_FAIL */
} iv_lane;

enum { IV_RUN = 0, IV_DONE = 1, IV_FAIL = 2 };

/* A middle branch's guess: s at beta on the rational cubic through (bl, sl)
 * and (br, sr) with slopes 1/vl and 1/vr (ds/db = 1/vega), its shape
 * parameter fitted on the right (fit_right) or the left. */
static double rc_middle(double beta, double bl, double br, double sl, double sr, double vl,
                        double vr, int fit_right)
{
    double h = br - bl;
    double dl = 1.0 / vl, dr = 1.0 / vr, delta = (sr - sl) / h;
    double fit = fit_right ? rc_r_right(h, delta, dl, dr, 0.0) : rc_r_left(h, delta, dl, dr, 0.0);
    double r = rc_r_final(fit, dl, dr, delta);
    return rc_eval((beta - bl) / h, (br - beta) / h, h, sl, sr, dl, dr, r);
}

static void lane_guess(iv_lane *L)
{
    const nbx *c = &L->c;
    const double beta = L->beta, betabar = L->betabar;
    double lnbeta = L->lnbeta;
    const double ax = c->ax, bmax = c->ex;
    const double s_c = sqrt(2.0 * ax);
    const double v_c = QPM__IV_INV_SQRT_2PI * bmax;
    double E, q2, q3, s0;
    /* at s_c: a = t = s_c/2 and E = e^{x/2}, so b_c = v_c D_c; the tangent
     * there meets 0 at s_c - D_c and bmax at s_c + sqrt(2 pi) - D_c */
    double D_c = QPM__IV_SQRT_PI_2 - qpm__mills_rat(s_c); /* R(0) - R(2 t_c), guess quality */
    const double b_c = v_c * D_c;

    int obj;
    double lo = 0.0, hi = (double)INFINITY;
    if (beta < b_c) {
        hi = s_c;
        double s_l = s_c - D_c, b_l = 0.0, v_l = 0.0;
        nbp pl = {0.0, 0.0, 0.0, 0.0};
        if (s_l > 0.0) {
            double bb_l;
            nb_eval_guess(c, s_l, &pl, &b_l, &bb_l, &E);
            v_l = QPM__IV_INV_SQRT_2PI * E;
        }
        if (beta < b_l) { /* beta may have underflowed to 0: still below */
            /* Lower branch: interpolate f(beta), f(s) = 2 pi |x|/sqrt 27 N(-z)^3,
             * z = |x|/(sqrt 3 s), which matches b(s) and its slope as s -> 0. */
            obj = OBJ_LOWER;
            hi = s_l;
            if (isnan(lnbeta))
                lnbeta = log(beta);
            double z = ax / (IV_SQRT3 * s_l);
            double pz = qpm__npdf(z), Pz = pz * qpm__mills_rat(z);
            double f_l = IV_TWO_PI_OVER_SQRT27 * ax * Pz * Pz * Pz;
            double fp = IV_TWO_PI * z * z * Pz * Pz * pz;
            double fpp = -IV_TWO_PI * z * z * Pz * pz * (2.0 * Pz - 2.0 * z * pz - z * z * Pz) / s_l;
            nb_ratios(&pl, s_l, &q2, &q3);
            double df = fp / v_l;
            double d2f = (fpp - fp * q2) / (v_l * v_l);
            double delta = f_l / b_l;
            double r = rc_r_final(rc_r_right(b_l, delta, 1.0, df, d2f), 1.0, df, delta);
            double u = beta / b_l, k = IV_TWO_PI_OVER_SQRT27 * ax;
            /* N(-z)^3 = f / k; near 0 f = beta (1 + O(u)): logs, beta may underflow */
            double lnp = u < 0x1p-40 ? lnbeta - log(k)
                                     : log(rc_eval(u, 1.0 - u, b_l, 0.0, f_l, 1.0, df, r) / k);
            double zg = -qpm__ninv_approx_ln(lnp / 3.0);
            s0 = ax / (IV_SQRT3 * zg);
        } else {
            obj = OBJ_MID;
            if (s_l > 0.0 && b_l > 0.0) {
                lo = s_l;
                s0 = rc_middle(beta, b_l, b_c, s_l, s_c, v_l, v_c, 1);
            } else {
                s0 = s_c * beta / b_c;
            }
        }
    } else {
        lo = s_c;
        double s_u = s_c + QPM__IV_SQRT_2PI - D_c;
        double b_u, bb_u;
        nbp pu;
        nb_eval_guess(c, s_u, &pu, &b_u, &bb_u, &E);
        double v_u = QPM__IV_INV_SQRT_2PI * E;
        if (betabar >= bb_u) {
            obj = OBJ_MID;
            hi = s_u;
            s0 = rc_middle(beta, b_c, b_u, s_c, s_u, v_c, v_u, 0);
        } else {
            /* Upper branch: interpolate f(beta) with f(s) = N(-w), w = sqrt(t^2 + a^2).
             * Since n(w) = n(0) E, bmax - b = n(0) E [R(t - a) + R(t + a)] over
             * 2 N(-w) = 2 n(0) E R(w) tends to 1 as s grows: f is close to
             * (bmax - beta)/2, its slope at bmax is -1/2, and it inverts exactly:
             * s^2 = 2 (w^2 + sqrt(w^4 - x^2)). */
            obj = OBJ_UPPER;
            lo = s_u;
            double a = pu.a;
            double w = sqrt(2.0 * pu.Ahi);
            double dw2 = 0.5 * s_u - 2.0 * a * a / s_u;    /* (w^2)' */
            double d2w2 = 0.5 + 6.0 * a * a / (s_u * s_u); /* (w^2)'' */
            double wp = dw2 / (2.0 * w);
            double wpp = (d2w2 - 2.0 * wp * wp) / (2.0 * w);
            double pw = v_u, f_u = pw * qpm__mills_rat(w);
            double fp = -pw * wp, fpp = -pw * (wpp - w * wp * wp);
            nb_ratios(&pu, s_u, &q2, &q3);
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
        s = s < lo ? lo : s > hi ? hi : s;
    L->s = s;
    L->lo = lo;
    L->hi = hi;
    L->obj = obj;
    L->lnbeta = lnbeta;
    L->lnbetabar = obj == OBJ_UPPER ? log(betabar) : 0.0;
    L->it = 0;
    L->state = IV_RUN;
}

/* One Householder step; sets L->state when the solve has ended. */
static void lane_step(iv_lane *L)
{
    const nbx *c = &L->c;
    const double beta = L->beta, lnbeta = L->lnbeta, lnbetabar = L->lnbetabar;
    double s = L->s, lo = L->lo, hi = L->hi;
    double nu, h2, h3, q2, q3, E;
    nbp pt;
    if (L->obj == OBJ_UPPER) {
        /* objective ln(bmax - beta) - ln(bmax - b), w = b'/(bmax - b) */
        double Lb, w;
        nb_eval_log(c, s, 1, &pt, &Lb, &w);
        nb_ratios(&pt, s, &q2, &q3);
        if (Lb < lnbetabar)
            hi = s;
        else
            lo = s;
        nu = (Lb - lnbetabar) / w;
        h2 = q2 + w;
        h3 = q3 + 3.0 * q2 * w + 2.0 * w * w;
    } else if (L->obj == OBJ_MID) {
        double b, bb;
        nb_eval(c, s, 0, &pt, &b, &bb, &E);
        nb_ratios(&pt, s, &q2, &q3);
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
        double Lb, u;
        nb_eval_log(c, s, 0, &pt, &Lb, &u);
        nb_ratios(&pt, s, &q2, &q3);
        if (Lb > lnbeta)
            hi = s;
        else
            lo = s;
        nu = Lb * (lnbeta - Lb) / (lnbeta * u);
        h2 = q2 - u - 2.0 * u / Lb;
        h3 = q3 - 3.0 * q2 * u + 2.0 * u * u - 6.0 * u * (q2 - u) / Lb + 6.0 * u * u / (Lb * Lb);
    }
    double ds = nu * (1.0 + 0.5 * h2 * nu) / (1.0 + nu * (h2 + h3 * nu / 6.0));
    if (!isfinite(ds))
        ds = nu;
    double sn = s + ds;
    L->it++;
    L->lo = lo;
    L->hi = hi;
    if (fabs(ds) <= IV_STEP_TOL * s && sn > 0.0) {
        L->s = sn;
        L->state = IV_DONE;
        return;
    }
    if (!(sn > lo && sn < hi))
        sn = isfinite(hi) ? 0.5 * (lo + hi) : 2.0 * lo + 1.0;
    if (!isfinite(sn) || sn <= 0.0) {
        L->state = IV_FAIL;
        return;
    }
    L->s = sn;
    if (hi - lo <= 4.0 * DBL_EPSILON * sn)
        L->state = IV_DONE;
    else if (L->it >= IV_MAX_ITER_HARD)
        L->state = IV_FAIL;
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
    double b, bb, E;
    nbp p;
    nb_eval(&c, s, 1, &p, &b, &bb, &E);
    return intrinsic + b;
}

/* ln(F/K) with a relative error of a few ulp, also near the money: with
 * q = fl(F/K) and its exact residual F - qK, ln(F/K) = ln q + (F - qK)/(qK). */
static double log_moneyness(double F, double K)
{
    double q = F / K;
    if (q >= DBL_MIN && q <= DBL_MAX)
        return log(q) + fma(-q, K, F) / (q * K);
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
    double D;
    nbp p;
    nb_point(&c, s, 1, &p);
    if (nb_scaled(p.a, p.t, &D) == 0) {
        /* sqrt(FK) n(0) E D, scaled so a subnormal result is rounded once */
        int n;
        double e = qpm__exp_neg_scaled(p.Ahi, p.Alo, &n);
        return intrinsic + ldexp(sq * QPM__IV_INV_SQRT_2PI * D * e, -n);
    }
    double e = qpm__exp(-p.Ahi) * (1.0 - p.Alo);
    return intrinsic + sq * (c.ex - QPM__IV_INV_SQRT_2PI * e * D);
}

/* ---- discount factor in double-double (num/exp_log.h) --------------------- */

void qpm__iv_discount_dd(double r, double T, double *hi, double *lo)
{
    qpm__exp_neg_dd(r, T, hi, lo);
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

/* Checks the undiscounted price ph + pl (|pl| <= ulp(ph)/2) against the
 * bounds and sets up the solve; *scale = 1/sqrt(T). */
static qpm_status black_prep(double ph, double pl, double F, double K, double T, int is_call,
                             iv_lane *L, double *scale)
{
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
    if (!(betabar > 0.0) || !isfinite(beta))
        return QPM_E_NOCONVERGE;
    nbx_init(&L->c, -fabs(log_moneyness(F, K)));
    if (!(L->c.ex > 0.0))
        return QPM_E_NOCONVERGE;
    L->beta = beta;
    L->betabar = betabar;
    L->lnbeta = beta >= 0x1p-900 ? (double)NAN : log(tv) - log(sq);
    *scale = 1.0 / sqrt(T);
    return QPM_OK;
}

/* One prepared lane solved alone: the initial guess, the iterations until
 * it converges or fails, and the vol unscaled; *iters, when not NULL, gets
 * the iteration count. */
static qpm_status lane_solve(iv_lane *L, double scale, double *sigma, int *iters)
{
    lane_guess(L);
    while (L->state == IV_RUN)
        lane_step(L);
    if (iters)
        *iters = L->it;
    double v = L->s * scale;
    if (L->state != IV_DONE || !(v > 0.0) || !isfinite(v))
        return QPM_E_NOCONVERGE;
    *sigma = v;
    return QPM_OK;
}

static qpm_status black_iv_dd(double ph, double pl, double F, double K, double T, int is_call,
                              double *sigma, int *iters)
{
    iv_lane L;
    double scale;
    if (iters)
        *iters = 0;
    qpm_status st = black_prep(ph, pl, F, K, T, is_call, &L, &scale);
    if (st != QPM_OK)
        return st;
    return lane_solve(&L, scale, sigma, iters);
}

qpm_status qpm__black_implied_vol_iter(double price_undiscounted, double F, double K, double T,
                                       int is_call, double *sigma, int *iters)
{
    if (iters)
        *iters = 0;
    if (sigma == NULL)
        return QPM_E_NULL;
    *sigma = (double)NAN;
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
    return qpm__iv_undiscount_body(price, r, T, ph, pl);
}

/* Validation and set-up shared by the discounted entry point and the batch. */
static qpm_status black_prep_df(double price, double F, double K, double T, double r, int is_call,
                                iv_lane *L, double *scale)
{
    if (!isfinite(price) || !isfinite(r))
        return QPM_E_NONFINITE;
    qpm_status st = check_black(F, K, T);
    if (st != QPM_OK)
        return st;
    if (!(price > 0.0))
        return QPM_E_ARBITRAGE;
    double ph = price, pl = 0.0;
    if (r != 0.0) {
        st = qpm__iv_undiscount(price, r, T, &ph, &pl);
        if (st != QPM_OK)
            return st;
    }
    return black_prep(ph, pl, F, K, T, is_call, L, scale);
}

qpm_status qpm__black_implied_vol_df(double price, double F, double K, double T, double r,
                                     int is_call, double *sigma)
{
    if (sigma == NULL)
        return QPM_E_NULL;
    *sigma = (double)NAN;
    iv_lane L;
    double scale;
    qpm_status st = black_prep_df(price, F, K, T, r, is_call, &L, &scale);
    if (st != QPM_OK)
        return st;
    return lane_solve(&L, scale, sigma, NULL);
}

/* Solves in blocks of eight: through the kernel row's vector block when it
 * has one, the elements it leaves (and every element without it) one by
 * one. */
size_t qpm__black_implied_vol_batch_k(const qpm__ivkernel *k, size_t n, const double *price,
                                      const double *F, const double *K, const double *T,
                                      const double *r, const int32_t *type, double *sigma,
                                      int32_t *status, qpm__iv_first *first)
{
    size_t fails = 0;
    if (first != NULL) {
        first->index = SIZE_MAX;
        first->status = QPM_OK;
    }
    for (size_t i = 0; i < n; i += 8) {
        int m = n - i < 8 ? (int)(n - i) : 8;
        int solved[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        if (k->block != NULL) {
            double ph[8], pl[8] = {0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0};
            for (int j = 0; j < m; j++) {
                ph[j] = price[i + j];
                double rj = r ? r[i + j] : 0.0;
                if (rj != 0.0 && (!isfinite(rj) || !isfinite(ph[j]) || !(T[i + j] > 0.0) ||
                                  k->undiscount(price[i + j], rj, T[i + j], &ph[j], &pl[j]) != QPM_OK))
                    ph[j] = (double)NAN; /* left to the scalar path */
            }
            k->block(ph, pl, F + i, K + i, T + i, type + i, m, sigma + i, solved);
        }
        for (int j = 0; j < m; j++) {
            size_t e = i + (size_t)j;
            qpm_status st = QPM_OK;
            if (!solved[j]) {
                st = qpm__black_implied_vol_df(price[e], F[e], K[e], T[e], r ? r[e] : 0.0,
                                               type[e] > 0, &sigma[e]);
                if (st != QPM_OK)
                    sigma[e] = (double)NAN;
            }
            if (status)
                status[e] = (int32_t)st;
            /* the caller's message needs the first failure: kept here rather
             * than solved again */
            if (st != QPM_OK && fails++ == 0 && first != NULL) {
                first->index = e;
                first->status = st;
            }
        }
    }
    return fails;
}

size_t qpm__black_implied_vol_batch(size_t n, const double *price, const double *F,
                                    const double *K, const double *T, const double *r,
                                    const int32_t *type, double *sigma, int32_t *status)
{
    return qpm__black_implied_vol_batch_k(qpm__iv_kernel(QPM_PRICER_KERNEL_AUTO), n, price, F, K,
                                          T, r, type, sigma, status, NULL);
}

size_t qpm__black_implied_vol_batch_first(size_t n, const double *price, const double *F,
                                          const double *K, const double *T, const double *r,
                                          const int32_t *type, double *sigma, int32_t *status,
                                          qpm__iv_first *first)
{
    return qpm__black_implied_vol_batch_k(qpm__iv_kernel(QPM_PRICER_KERNEL_AUTO), n, price, F, K,
                                          T, r, type, sigma, status, first);
}
