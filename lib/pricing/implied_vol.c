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
    double R0 = qpm__mills(a);
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
        *D = qpm__mills(a - t) - qpm__mills(a + t);
        return 0;
    }
    *D = qpm__mills(t - a) + qpm__mills(t + a);
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
        *b = QPM__IV_INV_SQRT_2PI * e * (qpm__mills(a - t) - qpm__mills(a + t));
        *bb = c->ex - *b;
    } else {
        *bb = QPM__IV_INV_SQRT_2PI * e * (qpm__mills(t - a) + qpm__mills(t + a));
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
    double D_c = QPM__IV_SQRT_PI_2 - qpm__mills(s_c); /* R(0) - R(2 t_c), guess quality */
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
            double pz = qpm__npdf(z), Pz = pz * qpm__mills(z);
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
        double s_u = s_c + QPM__IV_SQRT_2PI - D_c;
        double b_u, bb_u;
        nbp pu;
        nb_eval_guess(c, s_u, &pu, &b_u, &bb_u, &E);
        double v_u = QPM__IV_INV_SQRT_2PI * E;
        if (betabar >= bb_u) {
            obj = OBJ_MID;
            hi = s_u;
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
            double a = pu.a;
            double w = sqrt(2.0 * pu.Ahi);
            double dw2 = 0.5 * s_u - 2.0 * a * a / s_u;    /* (w^2)' */
            double d2w2 = 0.5 + 6.0 * a * a / (s_u * s_u); /* (w^2)'' */
            double wp = dw2 / (2.0 * w);
            double wpp = (d2w2 - 2.0 * wp * wp) / (2.0 * w);
            double pw = v_u, f_u = pw * qpm__mills(w);
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

/* ---- discount factor in double-double (body in iv_discount.h) ------------ */

/* 2^(j/256) for j = 0..255 as double-double (hi, lo) pairs: hi is the value rounded
 * to double, lo the rounded remainder; computed with 60-digit arithmetic. */
const double qpm__exp2_256[256][2] = {
    {1.0, 0.0},
    {1.0027112750502025, -3.636615928692264e-17},
    {1.0054299011128027, 9.499186535455032e-17},
    {1.0081558981184175, -3.252058756084308e-17},
    {1.0108892860517005, -1.5234778603368577e-17},
    {1.0136300849514894, 9.283599768183568e-18},
    {1.016378314910953, -5.77217007319966e-17},
    {1.019133996077738, 3.601904982259662e-17},
    {1.0218971486541166, 5.109225028973444e-17},
    {1.0246677928971357, -7.56160786848778e-17},
    {1.0274459491187637, -4.9560741746453704e-17},
    {1.030231637686041, 3.319830041080813e-17},
    {1.0330248790212284, 7.600838874027088e-18},
    {1.0358256936019572, -7.806782391337636e-17},
    {1.0386341019613787, 5.996273788852511e-17},
    {1.041450124688316, 3.784830480287576e-17},
    {1.0442737824274138, 8.551889705537965e-17},
    {1.0471050958792898, 7.277077243104315e-17},
    {1.0499440858006872, 5.592937848127003e-17},
    {1.0527907730046264, -9.629482899026936e-17},
    {1.0556451783605572, 1.759325738772092e-18},
    {1.0585073227945128, -7.152651856637781e-17},
    {1.061377227289262, -1.1973537085365658e-17},
    {1.0642549128844645, 5.0787541986112304e-17},
    {1.0671404006768237, -7.899853966841582e-17},
    {1.0700337118202419, -9.937162711288919e-17},
    {1.0729348675259756, -3.839668843358824e-18},
    {1.075843889062791, -1.0002716151144136e-17},
    {1.0787607977571199, -6.656660436056593e-17},
    {1.0816856149932152, -4.782623902997086e-17},
    {1.0846183622133092, 3.166152845816346e-17},
    {1.0875590609177697, 5.409349307820291e-18},
    {1.0905077326652577, -3.046782079812471e-17},
    {1.0934643990728858, 1.441395814726921e-17},
    {1.0964290818163769, -5.919933484449316e-17},
    {1.099401802630222, 7.170459599701923e-17},
    {1.102382583307841, 5.2660368715706944e-17},
    {1.1053714457017412, 8.239288760500214e-17},
    {1.1083684117236787, -8.786813845180527e-17},
    {1.1113735033448175, 5.563945026669698e-17},
    {1.1143867425958924, 1.0410278456845571e-16},
    {1.1174081515673693, -7.97680590262822e-17},
    {1.1204377524096067, -6.201085906554179e-17},
    {1.12347556733302, -9.699737588987043e-17},
    {1.1265216186082418, 5.165856758795457e-17},
    {1.129575928566288, 6.712805858726257e-17},
    {1.1326385195987192, 3.237356166738e-17},
    {1.1357094141578055, 5.066599926126156e-17},
    {1.1387886347566916, 8.912812676025408e-17},
    {1.1418762039695616, 4.6510911775314124e-17},
    {1.1449721444318042, 4.6412898921700107e-17},
    {1.148076478840179, 6.897740236627192e-17},
    {1.1511892299529827, 3.250710218863827e-17},
    {1.154310420590216, 1.0417128946273266e-16},
    {1.1574400736337511, -9.1238712311344e-17},
    {1.1605782120274988, -3.261040205417394e-17},
    {1.1637248587775775, 3.8292048369240935e-17},
    {1.1668800369524817, -8.79187957999917e-17},
    {1.1700437696832502, -1.8477442017900047e-18},
    {1.1732160801636373, -7.287562586584994e-17},
    {1.1763969916502812, 5.554203254218079e-17},
    {1.1795865274628758, 1.009231277510039e-16},
    {1.182784710984341, 1.542975430079076e-17},
    {1.1859915656609938, -9.209506835293106e-18},
    {1.189207115002721, 3.982015231465646e-17},
    {1.1924313825831512, 4.3975514156097214e-17},
    {1.1956643920398273, 4.6166036704814814e-17},
    {1.1989061670743806, -9.809193356008423e-17},
    {1.202156731452703, 6.644981499252301e-17},
    {1.2054161090051239, -3.3572721932675296e-17},
    {1.2086843236265816, -4.746725945228984e-17},
    {1.2119613992768012, -4.8906110775211184e-17},
    {1.215247359980469, -7.712630692681488e-17},
    {1.2185422298274085, -9.006726958363838e-17},
    {1.2218460329727576, -1.0611021211402691e-16},
    {1.2251587936371455, -8.903533814269983e-17},
    {1.22848053610687, -1.89878163130253e-17},
    {1.2318112847340759, 7.38938247161005e-17},
    {1.2351510639369334, -1.0755244344307841e-16},
    {1.2384998981998165, 2.7677020555739674e-17},
    {1.241857812073484, 4.658027591836937e-17},
    {1.245224830175258, -4.6772404498467275e-17},
    {1.2486009771892048, -8.261810999021964e-17},
    {1.2519862778663162, 4.8341671524698976e-17},
    {1.255380757024691, -6.7113898212968784e-18},
    {1.2587844395497165, -8.421782587730599e-17},
    {1.2621973503942507, -3.0844648874738465e-17},
    {1.2656195145788063, 4.2505770034508686e-17},
    {1.2690509571917332, 2.667932131342186e-18},
    {1.2724917033894028, -1.0577916267212421e-17},
    {1.275941778396392, 9.91543024421429e-17},
    {1.2794012075056693, -9.759095008356062e-17},
    {1.2828700160787783, 1.713594918243561e-17},
    {1.2863482295460256, -3.416955706936182e-17},
    {1.2898358734066657, 8.949257530897592e-17},
    {1.2933329732290895, -2.9745904431327516e-17},
    {1.2968395546510096, 2.5382502794888315e-17},
    {1.3003556433796506, 5.678728102802217e-17},
    {1.3038812651919358, 8.647675598267871e-17},
    {1.3074164459346773, -7.336645652878869e-17},
    {1.3109612115247644, -7.181536135519454e-17},
    {1.3145155879493546, 2.2675433151045856e-17},
    {1.318079601266064, -5.4579558271491535e-17},
    {1.3216532776031575, -2.4806382459130217e-17},
    {1.3252366431597413, -2.8587312100388614e-17},
    {1.3288297242059544, 4.08908622391016e-17},
    {1.3324325470831615, -5.101586630916744e-17},
    {1.3360451382041458, -5.891866356388801e-17},
    {1.339667524053303, 8.927282594831732e-17},
    {1.3432997311868353, -5.802580890201438e-17},
    {1.3469417862329458, 3.224065101254679e-17},
    {1.3505937158920345, -8.287110381462417e-17},
    {1.3542555469368927, 7.70094837980299e-17},
    {1.3579273062129011, -9.529635744825189e-17},
    {1.3616090206382248, 1.533787661270668e-18},
    {1.365300717204012, -1.0005363125974765e-16},
    {1.3690024229745905, 9.593797919118849e-17},
    {1.3727141650876684, -4.495960595234841e-17},
    {1.3764359707545302, -6.898588935871801e-17},
    {1.380167867260238, 1.0510314579969984e-16},
    {1.383909881963832, -6.770511658794786e-17},
    {1.387662042298529, 8.422984274875415e-17},
    {1.3914243757719262, -4.9061748652889893e-17},
    {1.3951969099662003, -9.329336224225497e-17},
    {1.3989796725383112, -9.614213209051323e-17},
    {1.4027726912202048, -5.295783249407989e-17},
    {1.4065759938190154, 7.034914812136422e-18},
    {1.4103896082172707, 4.166548728435062e-17},
    {1.4142135623730951, -9.667293313452913e-17},
    {1.4180478843204152, 2.2744385421855295e-17},
    {1.4218926021691656, -1.6077828915890244e-17},
    {1.4257477441054942, 9.880690758500607e-17},
    {1.42961333839197, -1.2031642489053655e-17},
    {1.433489413367789, -5.802454243926826e-17},
    {1.4373759974489824, -4.2040340164675566e-17},
    {1.4412731191286257, 5.602503650878986e-18},
    {1.4451808069770467, -3.0237581349939873e-17},
    {1.449099089642035, -6.259405000819309e-17},
    {1.4530279958490526, -5.779948609396106e-17},
    {1.4569675544014438, 5.648679453876998e-17},
    {1.460917794180647, -5.600377186075216e-17},
    {1.4648787441464057, 9.530767543587157e-17},
    {1.4688504333369818, 8.465882756533628e-17},
    {1.4728328908693675, 6.691774081940589e-17},
    {1.4768261459394993, -3.483994556892796e-17},
    {1.4808302278224719, -9.686952102630619e-17},
    {1.4848451658727524, 1.0780086764407481e-16},
    {1.488870989524397, 6.155367157742871e-17},
    {1.4929077282912648, 1.4192920154284036e-17},
    {1.4969554117672355, -2.861663253899158e-17},
    {1.5010140696264256, -6.413767275790235e-17},
    {1.5050837316234065, 7.074710613582846e-17},
    {1.5091644275934228, -1.016455327754295e-16},
    {1.5132561874526098, 8.884497851338712e-17},
    {1.5173590411982147, -4.308699472043341e-17},
    {1.5214730189088146, -5.9963876759456834e-18},
    {1.5255981507445384, -1.1024941712342561e-16},
    {1.529734466947287, 3.7857921151572197e-17},
    {1.533881997840956, 8.875226844438446e-17},
    {1.5380407738316568, 1.0174672351161359e-16},
    {1.5422108254079407, 7.949834809697621e-17},
    {1.5463921831410214, 1.068396000565722e-16},
    {1.550584877685, -1.4600706590689385e-17},
    {1.5547889397770887, -8.003161350116036e-17},
    {1.559004400237837, 3.7812070533575275e-17},
    {1.5632312899713576, 7.484777645590734e-17},
    {1.567469639965553, -1.0352061768849722e-16},
    {1.5717194812923414, -3.3429840046872e-17},
    {1.5759808451078865, -1.0136916471278304e-17},
    {1.5802537626528246, -5.163402929554468e-17},
    {1.5845382652524937, -1.9337717034585703e-17},
    {1.588834384317164, -5.9949501188244794e-18},
    {1.593142151342267, -1.0094406542311964e-16},
    {1.597461597908627, 2.4868392796221e-17},
    {1.6017927556826934, -6.054917453527784e-17},
    {1.606135656416771, -1.0354545288059995e-16},
    {1.6104903319492543, 2.4707192569797888e-17},
    {1.6148568142048607, -7.316663399125123e-17},
    {1.6192351351948637, 2.0941334154229092e-17},
    {1.6236253270173289, -3.584512851414475e-17},
    {1.6280274218573478, -6.712955084707084e-17},
    {1.632441451987275, 9.852819230429993e-17},
    {1.6368674497669644, 7.698325071319876e-17},
    {1.6413054476440063, -9.247568737640706e-17},
    {1.645755478153965, -1.0125679913674773e-16},
    {1.6502175739206177, 9.133279588729904e-18},
    {1.6546917676561943, 9.643294303196029e-17},
    {1.6591780921616162, -7.275545550823051e-17},
    {1.6636765803267364, 5.8909926967131e-17},
    {1.6681872651305825, 4.269178019570615e-17},
    {1.6727101796415966, -5.476715964599563e-17},
    {1.6772453570178785, 8.303949509950733e-17},
    {1.681792830507429, 8.199010020581497e-17},
    {1.6863526334483934, -7.181463278358011e-17},
    {1.6909247992693053, -9.66967147439488e-17},
    {1.6955093614893326, 7.238416872845167e-17},
    {1.7001063537185235, -8.0237193703977e-18},
    {1.7047158096580513, -2.7288832847972816e-17},
    {1.709337763100463, -9.868779456632931e-17},
    {1.713972247929926, 6.473975107753367e-17},
    {1.718619298122478, -1.851380418263111e-17},
    {1.723278947746274, -9.5221238003938e-17},
    {1.7279512309618377, -1.0750981861204642e-16},
    {1.732636182022311, -1.6980510743154155e-18},
    {1.7373338352737062, 3.164389299292957e-17},
    {1.7420442251551564, -1.5259591189507888e-18},
    {1.746767386199169, -1.0752290483507515e-16},
    {1.7515033530318782, -5.1244504205967247e-17},
    {1.7562521603732995, 2.960140695448873e-17},
    {1.761013843037584, -7.943253125039228e-17},
    {1.7657884359332727, 9.461315018083268e-17},
    {1.7705759740635547, 5.961794510040556e-17},
    {1.7753764925265212, 6.429731796556572e-17},
    {1.7801900265154245, -5.2846272890916174e-17},
    {1.785016611318935, 1.5330400121031314e-17},
    {1.789856282321401, -4.1543546606833504e-17},
    {1.7947090750031072, 1.8227458427912087e-17},
    {1.7995750249405351, -2.526889233358898e-17},
    {1.804454167806624, -5.177222408793318e-17},
    {1.809346539371032, -9.03264140245003e-17},
    {1.8142521755003989, -9.969531538920349e-17},
    {1.8191711121586085, 7.402676901145839e-17},
    {1.8241033854070534, -1.0159627862277083e-16},
    {1.8290490314048973, 6.889192908835696e-17},
    {1.8340080864093424, 3.283107224245627e-17},
    {1.8389805867758937, 6.918969740272512e-18},
    {1.843966568958626, -5.939742026949965e-17},
    {1.8489660695104508, 9.027580446261089e-17},
    {1.8539791250833855, 9.761887490727594e-17},
    {1.8590057724288205, -9.528705461989941e-17},
    {1.864046048397789, 6.540912680620572e-17},
    {1.8690999899412386, -9.938505214255067e-17},
    {1.8741676341103, -6.122763413004143e-17},
    {1.8792490180565602, -1.6226315557835845e-17},
    {1.8843441790323345, -8.226593125533711e-17},
    {1.8894531543909392, -9.005168285059127e-17},
    {1.8945759815869656, 3.4034035352165297e-17},
    {1.8997126981765553, -3.8597397693785143e-17},
    {1.9048633418176741, 6.533857514718279e-17},
    {1.9100279502703899, -5.90968800674406e-17},
    {1.9152065613971474, -1.0619946056195963e-16},
    {1.9203992131630474, 7.116681540630314e-17},
    {1.925605943636125, -9.914963769693741e-17},
    {1.930826790987627, 6.16714970616911e-17},
    {1.9360617934922943, 1.0332385960676326e-16},
    {1.9413109895286405, -6.638029891621488e-17},
    {1.9465744175792332, 6.811022349533877e-17},
    {1.9518521162309783, -2.199016969979351e-17},
    {1.9571441241754002, 8.960767791036668e-17},
    {1.9624504802089273, 1.0976844000913547e-16},
    {1.9677712232331759, -1.0314928011531132e-16},
    {1.9731063922552343, -7.451617863956037e-18},
    {1.978456026387951, 4.0388753109278167e-17},
    {1.9838201648502194, -2.2034544123910627e-17},
    {1.9891988469672663, 8.2051326383692e-18},
    {1.9945921121709402, 1.7909710352002645e-17},
};

void qpm__iv_discount_dd(double r, double T, double *hi, double *lo)
{
    qpm__iv_discount_dd_body(r, T, hi, lo);
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

static qpm_status lane_result(const iv_lane *L, double scale, double *sigma)
{
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
    lane_guess(&L);
    while (L.state == IV_RUN)
        lane_step(&L);
    if (iters)
        *iters = L.it;
    return lane_result(&L, scale, sigma);
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
    lane_guess(&L);
    while (L.state == IV_RUN)
        lane_step(&L);
    return lane_result(&L, scale, sigma);
}

/* Solves in blocks of eight: with AVX2+FMA through the vector kernel, the
 * elements it leaves (and every element without it) one by one. */
size_t qpm__black_implied_vol_batch_first(size_t n, const double *price, const double *F,
                                          const double *K, const double *T, const double *r,
                                          const int32_t *type, double *sigma, int32_t *status,
                                          qpm__iv_first *first)
{
    size_t fails = 0;
    if (first != NULL) {
        first->index = SIZE_MAX;
        first->status = QPM_OK;
    }
#if QPM__IV_HAVE_AVX2
    unsigned cpu = qpm__cpu_detect();
    const int vec = (cpu & QPM_CPU_AVX2) && (cpu & QPM_CPU_FMA);
#endif
    for (size_t i = 0; i < n; i += 8) {
        int m = n - i < 8 ? (int)(n - i) : 8;
        int solved[8] = {0, 0, 0, 0, 0, 0, 0, 0};
#if QPM__IV_HAVE_AVX2
        if (vec) {
            double ph[8], pl[8] = {0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0};
            for (int j = 0; j < m; j++) {
                ph[j] = price[i + j];
                double rj = r ? r[i + j] : 0.0;
                if (rj != 0.0 && (!isfinite(rj) || !isfinite(ph[j]) || !(T[i + j] > 0.0) ||
                                  qpm__iv_undiscount_fma(price[i + j], rj, T[i + j], &ph[j], &pl[j]) != QPM_OK))
                    ph[j] = (double)NAN; /* left to the scalar path */
            }
            qpm__black_iv_block_avx2(ph, pl, F + i, K + i, T + i, type + i, m, sigma + i, solved);
        }
#endif
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
    return qpm__black_implied_vol_batch_first(n, price, F, K, T, r, type, sigma, status, NULL);
}
