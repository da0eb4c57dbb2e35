/* Fuzz target: GARCH(1,1) (include/qpm/garch.h, experimental): the
 * log-likelihood, the filter, variance forecasts and the maximum-likelihood
 * fit, normal and Student t innovations (and unknown ones), on series of 0
 * to 200 returns simulated from drawn GARCH parameters or tiled from a few
 * values, with constant stretches, ties, NaN/Inf, outliers and scales from
 * 1e-300 to 1e300; parameters inside and at or beyond the constraints
 * (omega 0 or near DBL_MAX, alpha + beta at 1 - 2^-53 and 1, nu near 2 and
 * huge); mu held or estimated; short result structs.
 *
 * Beyond the common invariants (fuzz_support.h), what garch.h promises:
 * - outputs untouched on failure; the fit's result written on
 *   QPM_E_NOCONVERGE only as documented (converged = 0);
 * - loglik finite; the filter's volatilities finite and > 0 and the
 *   recursion's (sigma_1^2 the mean square residual, sigma_t^2 = omega +
 *   alpha e_{t-1}^2 + beta sigma_{t-1}^2, to 1e-12 relative: a square root
 *   and its square), z = (r - mu) / sigma bit for bit, and the
 *   log-likelihood of those volatilities (to 1e-10 of the sum of the
 *   terms' magnitudes); a series that the filter takes the likelihood
 *   takes too;
 * - forecasts finite, > 0, var[0] = sigma2_next, each between sigma2_next
 *   and the unconditional variance (4 ulps), cum the running sums
 *   (compensated: 1e-13 relative);
 * - a converged fit: parameters inside the constraints (nu in (2, 500] for
 *   the t, +Inf for the normal; mu the fixed value when held), standard
 *   errors >= 0 or NaN (0 for a held mu and the normal's nu), the
 *   likelihood that qpm_garch_loglik gives at the estimates (bit for bit),
 *   sigma2_next that of the filter (1e-12 relative), a gradient measure
 *   within the convergence tolerance, estimates that forecast accepts (or
 *   refuses with QPM_E_OVERFLOW: the unconditional variance of a series
 *   near 1e300 with alpha + beta near 1 is beyond the range of double);
 * - the same input gives the same bits (pass B). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#define QPM_EXPERIMENTAL
#include "fuzz_support.h"
#include "qpm/garch.h"

#define MAXN 200
#define MAXH 64
#define PI   3.14159265358979323846

typedef struct state {
    double r[MAXN];
    double sigma[MAXN + 1], z[MAXN];
    double var[MAXH], cum[MAXH];
} state;

/* n returns: a GARCH path (normal or heavy-tailed shocks) or tiled values,
 * then edits */
static void draw_series(fz_in *in, double *r, size_t n)
{
    uint8_t how = fz_u8(in), edit = fz_u8(in);
    uint64_t seed = fz_u32(in);
    double om = exp(fz_plain(in, log(1e-7), log(1e-3))), al = fz_plain(in, 0, 0.3),
           be = fz_plain(in, 0, 0.95);
    double mu = fz_plain(in, -0.01, 0.01);
    if (al + be >= 0.999)
        be = 0.999 - al;
    if ((how & 3) == 3) {
        fz_fill(in, r, n ? n : 1, -0.1, 0.1);
    } else {
        double h = om / (1.0 - al - be), e = 0.0;
        for (size_t t = 0; t < n; t++) {
            if (t > 0)
                h = om + al * e * e + be * h;
            double zt = fz_gauss(&seed);
            if (how & 4) /* heavy tails: a normal over a chi */
                zt /= sqrt(
                    0.5 * (fz_gauss(&seed) * fz_gauss(&seed) + fz_gauss(&seed) * fz_gauss(&seed)) +
                    0.05);
            e = sqrt(h) * zt;
            r[t] = mu + e;
        }
        if ((how & 3) == 2) { /* ties */
            double q = sqrt(om) * fz_plain(in, 0.1, 5);
            for (size_t t = 0; t < n; t++)
                r[t] = q * nearbyint(r[t] / q);
        }
    }
    if (how & 8) {
        static const double sc[] = {1e-150, 1e150, 1e-300, 1e300, 1e-125, 1e125,
                                    1e-8,   1e8,   1e-310, 1e154, 3e307,  0x1p-1000};
        double f = sc[fz_u8(in) % 12];
        for (size_t t = 0; t < n; t++)
            r[t] *= f;
    }
    if ((edit & 3) == 1 && n > 2) { /* a constant stretch */
        size_t t0 = fz_range(in, 0, n - 1), len = fz_range(in, 1, n - t0);
        for (size_t t = t0; t < t0 + len; t++)
            r[t] = r[t0];
    }
    if ((edit & 3) == 2 && n > 0) { /* a special value */
        r[fz_range(in, 0, n - 1)] = fz_special(in);
    }
    if ((edit & 12) == 4 && n > 0) { /* outliers */
        size_t k = fz_range(in, 1, 3);
        for (size_t q = 0; q < k; q++)
            r[fz_range(in, 0, n - 1)] *= fz_real(in, 10, 1e300);
    }
}

static qpm_garch_dist draw_dist(fz_in *in)
{
    uint8_t b = fz_u8(in);
    static const int bad[] = {2, -1, 7, 1000};
    return (qpm_garch_dist)(b < 240 ? b & 1 : bad[b % 4]);
}

/* {mu, omega, alpha, beta, nu}: inside the constraints mostly, else at or
 * beyond them or special */
static void draw_params(fz_in *in, double *th)
{
    uint8_t b = fz_u8(in);
    th[QPM_GARCH_MU] = b & 1 ? fz_plain(in, -0.01, 0.01) : fz_real(in, -0.1, 0.1);
    th[QPM_GARCH_OMEGA] =
        fz_u8(in) < 220 ? exp(fz_plain(in, log(1e-9), log(1e-2))) : fz_real(in, -1e-10, 1e300);
    th[QPM_GARCH_ALPHA] = fz_plain(in, 0, 0.3);
    th[QPM_GARCH_BETA] = fz_plain(in, 0, 0.95);
    if (th[QPM_GARCH_ALPHA] + th[QPM_GARCH_BETA] >= 1)
        th[QPM_GARCH_BETA] = 0.999 - th[QPM_GARCH_ALPHA];
    th[QPM_GARCH_NU] = fz_u8(in) < 220 ? fz_plain(in, 2.05, 60) : fz_real(in, 2, 1e6);
    switch ((b >> 1) % 16) {
    case 0: /* persistence at the bound */
        th[QPM_GARCH_ALPHA] = 0.05, th[QPM_GARCH_BETA] = 1.0 - 0x1p-53 - 0.05;
        break;
    case 1:
        th[QPM_GARCH_ALPHA] = 0.1, th[QPM_GARCH_BETA] = 0.9;
        break;
    case 2:
        th[QPM_GARCH_ALPHA] = 0.0, th[QPM_GARCH_BETA] = 0.0;
        break;
    case 3:
        th[QPM_GARCH_NU] = 2.0 + 0x1p-51 * (double)fz_range(in, 0, 2);
        break;
    case 4:
        th[fz_range(in, 0, QPM_GARCH_NPARAMS - 1)] = fz_special(in);
        break;
    case 5:
        th[QPM_GARCH_ALPHA] = -0x1p-1074;
        break;
    case 6:
        th[QPM_GARCH_OMEGA] = fz_u8(in) & 1 ? DBL_MAX : 0x1p-1074;
        break;
    default:
        break;
    }
}

/* ---- operations ------------------------------------------------------------------ */

static void op_loglik_filter(fz_pass *p, state *s, fz_in *in, int filter)
{
    size_t n = fz_u8(in) < 220 ? fz_range(in, 10, MAXN) : fz_range(in, 0, 12);
    draw_series(in, s->r, n);
    qpm_garch_dist dist = draw_dist(in);
    double th[QPM_GARCH_NPARAMS];
    draw_params(in, th);
    uint8_t outs = fz_u8(in);
    long i = fz_op(p, filter ? "garch filter" : "garch loglik");
    if (fz_skip(p, i, 0))
        return;
    double ll;
    fz_poison(&ll, 1);
    fz_poison(s->sigma, MAXN + 1);
    fz_poison(s->z, MAXN);
    const double *r = outs == 0xff ? NULL : s->r, *pp = outs == 0xfe ? NULL : th;
    qpm_status st;
    if (!filter)
        st = FZ(qpm_garch_loglik(n, r, dist, pp, outs == 0xfd ? NULL : &ll));
    else
        st = FZ(qpm_garch_filter(n, r, dist, pp, outs == 0xfd ? NULL : s->sigma,
                                 outs & 1 ? NULL : s->z));
    uint64_t hash = FZ_HASH0;
    if (st != QPM_OK) {
        fz_untouched(&ll, 1, "loglik");
        fz_untouched(s->sigma, MAXN + 1, "sigma");
        fz_untouched(s->z, MAXN, "z");
        fz_end(p, i, st, hash);
        return;
    }
    double mu = th[QPM_GARCH_MU], om = th[QPM_GARCH_OMEGA], al = th[QPM_GARCH_ALPHA],
           be = th[QPM_GARCH_BETA], nu = th[QPM_GARCH_NU];
    if (!filter) {
        if (!isfinite(ll))
            fz_fail("QPM_OK with loglik %.17g", ll);
        hash = fz_hash(hash, &ll, sizeof ll);
        fz_end(p, i, st, hash);
        return;
    }
    hash = fz_hash(hash, s->sigma, (n + 1) * sizeof(double));
    for (size_t t = 0; t <= n; t++)
        if (!(s->sigma[t] > 0.0 && isfinite(s->sigma[t])))
            fz_fail("QPM_OK with sigma[%zu] = %.17g", t, s->sigma[t]);
    fz_untouched(s->sigma + n + 1, MAXN - n, "sigma past n + 1");
    /* the recursion */
    double b2 = 0.0;
    for (size_t t = 0; t < n; t++)
        b2 += (s->r[t] - mu) * (s->r[t] - mu);
    b2 /= (double)n;
    double s0 = s->sigma[0] * s->sigma[0];
    if (isfinite(b2) && !(fabs(s0 - b2) <= 1e-12 * b2 + 1e-300))
        fz_fail("sigma_1^2 = %.17g, the mean square residual %.17g", s0, b2);
    for (size_t t = 1; t <= n; t++) {
        double e = s->r[t - 1] - mu, prev = s->sigma[t - 1] * s->sigma[t - 1];
        double h = om + al * e * e + be * prev, got = s->sigma[t] * s->sigma[t];
        if (!(fabs(got - h) <= 1e-12 * h + 1e-300))
            fz_fail("sigma_%zu^2 = %.17g, the recursion gives %.17g", t + 1, got, h);
    }
    if (!(outs & 1)) {
        hash = fz_hash(hash, s->z, n * sizeof(double));
        for (size_t t = 0; t < n; t++) {
            double z = (s->r[t] - mu) / s->sigma[t];
            if (memcmp(&z, &s->z[t], sizeof z) != 0)
                fz_fail("z[%zu] = %.17g, (r - mu) / sigma = %.17g", t, s->z[t], z);
        }
        fz_untouched(s->z + n, MAXN - n, "z past n");
    }
    /* the likelihood of these volatilities */
    double ll2;
    if (FZ(qpm_garch_loglik(n, s->r, dist, th, &ll2)) != QPM_OK)
        fz_fail("loglik refuses what the filter takes");
    /* the t density's constant ln Gamma(x + 1/2) - ln Gamma(x) - 1/2 ln(pi
     * (nu - 2)), x = nu / 2: from lgamma for x < 100, else from the
     * asymptotic series of the difference (to 1e-14 there); garch.c takes
     * lgamma up to x = 1e4, which rounds at ulp(lgamma(x)) per return */
    double x = 0.5 * nu, slack = 0.0, tconst;
    if (x < 100)
        tconst = lgamma(x + 0.5) - lgamma(x) - 0.5 * log(PI * (nu - 2));
    else
        tconst = 0.5 * log(x) - 1 / (8 * x) + 1 / (192 * x * x * x) -
                 1 / (640 * x * x * x * x * x) - 0.5 * log(PI * (nu - 2));
    if (dist == QPM_GARCH_T && x < 1e4)
        slack = 4 * DBL_EPSILON * fabs(lgamma(x + 0.5)) * (double)n;
    double sum = 0.0, mag = 0.0;
    for (size_t t = 0; t < n; t++) {
        double h = s->sigma[t] * s->sigma[t], e = s->r[t] - mu, lt;
        if (dist == QPM_GARCH_T)
            lt = tconst - 0.5 * log(h) - 0.5 * (nu + 1) * log1p(e * e / h / (nu - 2));
        else
            lt = -0.5 * (log(2 * PI) + log(h) + e * e / h);
        sum += lt;
        mag += fabs(lt);
    }
    if (isfinite(sum) && !(fabs(sum - ll2) <= 1e-10 * mag + 1e-12 * (double)n + slack))
        fz_fail("loglik %.17g, from the filter's volatilities %.17g (dist %d, mu %.17g omega "
                "%.17g alpha %.17g beta %.17g nu %.17g, n %zu)",
                ll2, sum, (int)dist, mu, om, al, be, nu, n);
    fz_end(p, i, st, hash);
}

static void op_forecast(fz_pass *p, state *s, fz_in *in)
{
    double th[QPM_GARCH_NPARAMS];
    draw_params(in, th);
    uint8_t b = fz_u8(in);
    double s2 = b < 200 ? exp(fz_plain(in, log(1e-9), log(1e-1))) : fz_real(in, -1, 1e300);
    size_t h = fz_u8(in) < 240 ? fz_range(in, 1, MAXH) : 0;
    uint8_t outs = fz_u8(in);
    long i = fz_op(p, "garch forecast");
    if (fz_skip(p, i, 0))
        return;
    fz_poison(s->var, MAXH);
    fz_poison(s->cum, MAXH);
    qpm_status st = FZ(qpm_garch_forecast(outs == 0xff ? NULL : th, s2, h,
                                          outs == 0xfe ? NULL : s->var, outs & 1 ? NULL : s->cum));
    uint64_t hash = FZ_HASH0;
    if (st != QPM_OK) {
        fz_untouched(s->var, MAXH, "var");
        fz_untouched(s->cum, MAXH, "cum");
        fz_end(p, i, st, hash);
        return;
    }
    double vbar = th[QPM_GARCH_OMEGA] / (1.0 - th[QPM_GARCH_ALPHA] - th[QPM_GARCH_BETA]);
    double lo = fmin(s2, vbar), hi = fmax(s2, vbar);
    if (s->var[0] != s2)
        fz_fail("var[0] = %.17g, sigma2_next = %.17g (garch.h: (alpha + beta)^0 = 1)", s->var[0],
                s2);
    double acc = 0.0;
    for (size_t k = 0; k < h; k++) {
        double v = s->var[k];
        if (!(v > 0.0 && isfinite(v)))
            fz_fail("QPM_OK with var[%zu] = %.17g", k, v);
        if (!(v >= lo * (1 - 4 * DBL_EPSILON) && v <= hi * (1 + 4 * DBL_EPSILON)))
            fz_fail("var[%zu] = %.17g outside [%.17g, %.17g]", k, v, lo, hi);
        acc += v;
        if (!(outs & 1)) {
            if (!(s->cum[k] > 0.0 && isfinite(s->cum[k])))
                fz_fail("QPM_OK with cum[%zu] = %.17g", k, s->cum[k]);
            if (!(fabs(s->cum[k] - acc) <= 1e-13 * acc))
                fz_fail("cum[%zu] = %.17g, running sum %.17g", k, s->cum[k], acc);
        }
    }
    fz_untouched(s->var + h, MAXH - h, "var past h");
    hash = fz_hash(hash, s->var, h * sizeof(double));
    if (!(outs & 1))
        hash = fz_hash(hash, s->cum, h * sizeof(double));
    fz_end(p, i, st, hash);
}

static void op_fit(fz_pass *p, state *s, fz_in *in)
{
    size_t n = fz_u8(in) < 230 ? fz_range(in, 10, 120) : fz_range(in, 0, MAXN);
    draw_series(in, s->r, n);
    qpm_garch_dist dist = draw_dist(in);
    uint8_t b = fz_u8(in);
    double muf = b < 200 ? fz_plain(in, -0.01, 0.01) : fz_special(in);
    const double *mf = (b & 3) == 0 ? &muf : NULL;
    uint8_t sz = fz_u8(in);
    long i = fz_op(p, "garch fit");
    if (fz_skip(p, i, 0))
        return;
    struct {
        qpm_garch_result res;
        double past[2]; /* a longer struct from a newer caller */
    } o, keep;
    memset(&o, 0x5a, sizeof o);
    o.res.size = sz < 230 ? sizeof o.res : sz < 245 ? sizeof o : sizeof o.res - 8;
    keep = o;
    qpm_status st = FZ(qpm_garch_fit(n, s->r, dist, mf, sz == 255 ? NULL : &o.res));
    fz_trace("fit n %zu dist %d mu %s: %s, params %a %a %a %a %a", n, (int)dist,
             mf ? "held" : "estimated", qpm_status_name(st), o.res.params[0], o.res.params[1],
             o.res.params[2], o.res.params[3], o.res.params[4]);
    for (size_t t = 0; t < n; t++)
        fz_trace("  r[%zu] = %a", t, s->r[t]);
    uint64_t hash = FZ_HASH0;
    if (memcmp(o.past, keep.past, sizeof o.past) != 0)
        fz_fail("fit wrote past its result struct");
    qpm_garch_result *res = &o.res;
    if (st != QPM_OK) {
        if (memcmp(&o, &keep, sizeof o) != 0) {
            if (st != QPM_E_NOCONVERGE || res->converged != 0)
                fz_fail("failed fit (%s) wrote its result (converged %d)", qpm_status_name(st),
                        res->converged);
            if (!isfinite(res->loglik))
                fz_fail("unconverged fit's loglik %.17g", res->loglik);
            hash = fz_hash(hash, res, sizeof *res);
        }
        fz_end(p, i, st, hash);
        return;
    }
    hash = fz_hash(hash, res, sizeof *res);
    const double *th = res->params;
    int tdist = dist == QPM_GARCH_T;
    if (res->converged != 1)
        fz_fail("QPM_OK with converged = %d", res->converged);
    if (!isfinite(th[QPM_GARCH_MU]) || !(th[QPM_GARCH_OMEGA] > 0.0) ||
        !isfinite(th[QPM_GARCH_OMEGA]) || !(th[QPM_GARCH_ALPHA] >= 0.0) ||
        !(th[QPM_GARCH_BETA] >= 0.0) || !(th[QPM_GARCH_ALPHA] + th[QPM_GARCH_BETA] < 1.0) ||
        (tdist ? !(th[QPM_GARCH_NU] > 2.0 && th[QPM_GARCH_NU] <= 500.0)
               : th[QPM_GARCH_NU] != (double)INFINITY))
        fz_fail("fitted parameters outside the constraints: mu %.17g omega %.17g alpha %.17g "
                "beta %.17g nu %.17g",
                th[0], th[1], th[2], th[3], th[4]);
    if (mf != NULL && th[QPM_GARCH_MU] != *mf)
        fz_fail("fitted mu %.17g, held at %.17g", th[QPM_GARCH_MU], *mf);
    for (int j = 0; j < QPM_GARCH_NPARAMS; j++) {
        int held = (j == QPM_GARCH_MU && mf) || (j == QPM_GARCH_NU && !tdist);
        double a = res->se[j], c = res->robust_se[j];
        if (held ? (a != 0.0 || c != 0.0) : !((a >= 0.0 || isnan(a)) && (c >= 0.0 || isnan(c))))
            fz_fail("standard errors of parameter %d: %.17g, robust %.17g", j, a, c);
    }
    if (!isfinite(res->loglik) || !(res->grad_norm >= 0.0 && res->grad_norm <= 1e-9))
        fz_fail("loglik %.17g, grad_norm %.17g", res->loglik, res->grad_norm);
    double ll;
    if (FZ(qpm_garch_loglik(n, s->r, dist, th, &ll)) != QPM_OK ||
        memcmp(&ll, &res->loglik, sizeof ll) != 0)
        fz_fail("the fit's loglik %.17g, qpm_garch_loglik at the estimates %.17g", res->loglik, ll);
    if (FZ(qpm_garch_filter(n, s->r, dist, th, s->sigma, NULL)) != QPM_OK)
        fz_fail("filter refuses the estimates (%s)", qpm_last_error());
    double s2 = s->sigma[n] * s->sigma[n];
    if (!(res->sigma2_next > 0.0 && isfinite(res->sigma2_next)) ||
        !(fabs(s2 - res->sigma2_next) <= 1e-12 * res->sigma2_next))
        fz_fail("sigma2_next %.17g, the filter's %.17g", res->sigma2_next, s2);
    /* valid input of forecast; vbar = omega / (1 - alpha - beta) itself may
     * overflow near alpha + beta = 1 for series of variance near 1e300 */
    qpm_status sf = FZ(qpm_garch_forecast(th, res->sigma2_next, 4, s->var, NULL));
    if (sf != QPM_OK && sf != QPM_E_OVERFLOW)
        fz_fail("forecast refuses the estimates (%s): omega %.17g alpha %.17g beta %.17g "
                "sigma2_next %.17g",
                qpm_last_error(), th[1], th[2], th[3], res->sigma2_next);
    fz_end(p, i, st, hash);
}

static void one_op(fz_pass *p, state *s, fz_in *in)
{
    uint8_t op = fz_u8(in) % 5;
    switch (op) {
    case 0:
        op_loglik_filter(p, s, in, 0);
        break;
    case 1:
        op_loglik_filter(p, s, in, 1);
        break;
    case 2:
        op_forecast(p, s, in);
        break;
    default:
        op_fit(p, s, in);
        break;
    }
}

static void run(fz_pass *p, void *vs, const uint8_t *data, size_t size)
{
    state *s = vs;
    fz_in in;
    fz_init(&in, data, size);
    /* fits are the costly calls: a few per input */
    while (fz_more(&in) && p->ops < 24)
        one_op(p, s, &in);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static state s;
    fz_two_passes(run, &s, sizeof s, data, size);
    return 0;
}
