/* GARCH(1,1): likelihood with its analytic gradient, the filter, variance
 * forecasts and the maximum-likelihood fit (include/qpm/garch.h). */
#include <float.h>
#include <math.h>
#include <string.h>

#include "risk_internal.h"

#define NP QPM_GARCH_NPARAMS
#define MU QPM_GARCH_MU
#define OM QPM_GARCH_OMEGA
#define AL QPM_GARCH_ALPHA
#define BE QPM_GARCH_BETA
#define NU QPM_GARCH_NU

/* The largest nu of a fit: beyond it the t is the normal to the likelihood's
 * resolution, and normal data would drive nu to infinity. */
#define NU_MAX 500.0

static const char *const param_names[NP] = {"mu", "omega", "alpha", "beta", "nu"};

/* A series seen through a stride, so that the risk handle fits the columns
 * of its row-major returns in place. */
typedef struct series {
    const double *r;
    size_t n, stride;
} series;

static inline double at(const series *s, size_t t)
{
    return s->r[t * s->stride];
}

/* ---- checks ---------------------------------------------------------------- */

qpm_status qpm__garch_check_series(const double *r, size_t n, size_t stride)
{
    QPM__CHECK_NULL(r, "r");
    if (n < QPM_GARCH_MIN_N)
        return qpm__fail(QPM_E_SIZE, "n = %zu: GARCH(1,1) needs at least %d returns", n,
                         QPM_GARCH_MIN_N);
    int constant = 1;
    for (size_t t = 0; t < n; t++) {
        double x = r[t * stride];
        if (!isfinite(x))
            return qpm__fail(QPM_E_NONFINITE, "r[%zu] = %g: must be finite", t, x);
        if (x != r[0])
            constant = 0;
    }
    if (constant)
        return qpm__fail(QPM_E_INVALID,
                         "r is constant (every return = %g): zero variance, no GARCH model", r[0]);
    return QPM_OK;
}

static qpm_status check_dist(qpm_garch_dist dist)
{
    if (dist != QPM_GARCH_NORMAL && dist != QPM_GARCH_T)
        return qpm__fail(QPM_E_INVALID,
                         "dist = %d: must be QPM_GARCH_NORMAL (0) or QPM_GARCH_T (1)", (int)dist);
    return QPM_OK;
}

/* omega, alpha, beta always; mu unless skip_mu; nu for the t only. */
static qpm_status check_params(const double *p, qpm_garch_dist dist, int skip_mu)
{
    QPM__CHECK_NULL(p, "params");
    int last = dist == QPM_GARCH_T ? NU : BE;
    for (int j = skip_mu ? OM : MU; j <= last; j++)
        if (!isfinite(p[j]))
            return qpm__fail(QPM_E_NONFINITE, "params[%d] (%s) = %g: must be finite", j,
                             param_names[j], p[j]);
    if (!(p[OM] > 0.0))
        return qpm__fail(QPM_E_INVALID, "omega = %g: must be > 0", p[OM]);
    if (!(p[AL] >= 0.0))
        return qpm__fail(QPM_E_INVALID, "alpha = %g: must be >= 0", p[AL]);
    if (!(p[BE] >= 0.0))
        return qpm__fail(QPM_E_INVALID, "beta = %g: must be >= 0", p[BE]);
    if (!(p[AL] + p[BE] < 1.0))
        return qpm__fail(QPM_E_INVALID,
                         "alpha + beta = %.17g + %.17g: must be < 1 (covariance stationary)", p[AL],
                         p[BE]);
    if (dist == QPM_GARCH_T && !(p[NU] > 2.0))
        return qpm__fail(QPM_E_INVALID, "nu = %g: must be > 2 (finite variance)", p[NU]);
    return QPM_OK;
}

/* ---- the likelihood --------------------------------------------------------- */

/* digamma for x > 0: the recurrence up to x >= 10, then the asymptotic
 * series (error below 1e-14 there); only the nu-gradient uses it. */
static double digamma(double x)
{
    double acc = 0.0;
    while (x < 10.0) {
        acc -= 1.0 / x;
        x += 1.0;
    }
    double f = 1.0 / (x * x);
    return acc + log(x) - 0.5 / x -
           f * (1.0 / 12 - f * (1.0 / 120 - f * (1.0 / 252 - f * (1.0 / 240 - f * (1.0 / 132)))));
}

/* The Student t density's constant ln Gamma((nu+1)/2) - ln Gamma(nu/2) -
 * 1/2 ln(pi (nu-2)).  For a large nu the two lgamma's share most of their
 * digits, and are equal in double from nu ~ 1e16 on (the constant came out
 * -346 instead of -0.92 at nu = 1e300, a log-likelihood off by 345 per
 * return): from x = nu/2 = 1e4 on (above any fitted nu), ln Gamma(x + 1/2)
 * - ln Gamma(x) = 1/2 ln x - 1/(8x) + 1/(192 x^3) - 1/(640 x^5) + ..., to
 * 2e-23 there, and the logarithms combine to -1/2 ln(2 pi (1 - 2/nu)). */
static double t_const(double nu)
{
    double x = 0.5 * nu;
    if (x < 1e4)
        return lgamma(x + 0.5) - lgamma(x) - 0.5 * log(M_PI * (nu - 2.0));
    return -0.5 * (log(2.0 * M_PI) + log1p(-2.0 / nu)) - 1.0 / (8.0 * x) +
           1.0 / (192.0 * x * x * x);
}

/* What one pass over the series gives: the log-likelihood, its gradient
 * (grad != NULL), the sum of the outer products of the per-observation
 * scores (outer != NULL, NP x NP), the volatilities (sigma, n + 1) and the
 * standardised residuals (z, n).  No parameter checks: the numerical
 * Hessian steps just outside the constraints.  Returns 0, or -1 when a
 * variance is not a positive finite number or the sum is not finite. */
static int eval(const series *s, qpm_garch_dist dist, const double *th, double *ll, double *grad,
                double *outer, double *sigma, double *z)
{
    size_t n = s->n;
    double mu = th[MU], om = th[OM], al = th[AL], be = th[BE];
    int tdist = dist == QPM_GARCH_T;
    double nu = tdist ? th[NU] : 0.0;
    if (tdist && !(nu > 2.0))
        return -1;
    /* the backcast sigma_1^2 = mean square residual, and its mu-derivative */
    qpm__ksum b2 = {0, 0}, b1 = {0, 0};
    for (size_t t = 0; t < n; t++) {
        double e = at(s, t) - mu;
        qpm__ksum_add(&b2, e * e);
        qpm__ksum_add(&b1, e);
    }
    double h = qpm__ksum_value(&b2) / (double)n;
    double dh[NP] = {-2.0 * qpm__ksum_value(&b1) / (double)n, 0, 0, 0, 0};
    double cnst, dcnst = 0.0;
    if (tdist) {
        cnst = t_const(nu);
        if (grad || outer)
            dcnst = 0.5 * digamma(0.5 * (nu + 1.0)) - 0.5 * digamma(0.5 * nu) - 0.5 / (nu - 2.0);
    } else {
        cnst = -0.5 * log(2.0 * M_PI);
    }
    int want_d = grad != NULL || outer != NULL;
    double g[NP] = {0};
    if (outer)
        memset(outer, 0, NP * NP * sizeof *outer);
    qpm__ksum sum = {0, 0};
    double eprev = 0.0;
    for (size_t t = 0; t < n; t++) {
        if (t > 0) {
            double hprev = h;
            h = om + al * eprev * eprev + be * hprev;
            if (want_d) {
                dh[MU] = -2.0 * al * eprev + be * dh[MU];
                dh[OM] = 1.0 + be * dh[OM];
                dh[AL] = eprev * eprev + be * dh[AL];
                dh[BE] = hprev + be * dh[BE];
            }
        }
        if (!(h > 0.0) || !isfinite(h))
            return -1;
        double e = at(s, t) - mu;
        double e2h = e * e / h;
        double lt, dldh, dlde, dldnu = 0.0;
        if (tdist) {
            double q = e2h / (nu - 2.0);
            double lq = log1p(q);
            lt = -0.5 * log(h) - 0.5 * (nu + 1.0) * lq;
            double w = (nu + 1.0) / (1.0 + q);
            dldh = (-0.5 + 0.5 * w * q) / h;
            dlde = -w * e / (h * (nu - 2.0));
            dldnu = dcnst - 0.5 * lq + 0.5 * w * q / (nu - 2.0);
        } else {
            lt = -0.5 * (log(h) + e2h);
            dldh = 0.5 * (e2h - 1.0) / h;
            dlde = -e / h;
        }
        qpm__ksum_add(&sum, lt);
        if (sigma)
            sigma[t] = sqrt(h);
        if (z)
            z[t] = e / sqrt(h);
        if (want_d) {
            double st[NP];
            for (int j = 0; j < BE + 1; j++)
                st[j] = dldh * dh[j];
            st[MU] -= dlde;
            st[NU] = dldnu;
            for (int j = 0; j < NP; j++)
                g[j] += st[j];
            if (outer)
                for (int i = 0; i < NP; i++)
                    for (int j = 0; j < NP; j++)
                        outer[i * NP + j] += st[i] * st[j];
        }
        eprev = e;
    }
    if (sigma) {
        double hn = om + al * eprev * eprev + be * h;
        if (!(hn > 0.0) || !isfinite(hn))
            return -1;
        sigma[n] = sqrt(hn);
    }
    double v = (double)n * cnst + qpm__ksum_value(&sum);
    if (!isfinite(v))
        return -1;
    *ll = v;
    if (grad)
        memcpy(grad, g, sizeof g);
    return 0;
}

/* sigma_{n+1}^2 at th: +inf or NaN when it overflows. */
static double next_variance(const series *s, const double *th)
{
    qpm__ksum b2 = {0, 0};
    for (size_t t = 0; t < s->n; t++) {
        double e = at(s, t) - th[MU];
        qpm__ksum_add(&b2, e * e);
    }
    double h = qpm__ksum_value(&b2) / (double)s->n, ep = 0.0;
    for (size_t t = 0; t < s->n; t++) {
        if (t > 0)
            h = th[OM] + th[AL] * ep * ep + th[BE] * h;
        ep = at(s, t) - th[MU];
    }
    return th[OM] + th[AL] * ep * ep + th[BE] * h;
}

/* The common front of loglik and filter. */
static qpm_status front(size_t n, const double *r, qpm_garch_dist dist, const double *params)
{
    qpm_status st = check_dist(dist);
    if (st == QPM_OK)
        st = qpm__garch_check_series(r, n, 1);
    if (st == QPM_OK)
        st = check_params(params, dist, 0);
    return st;
}

qpm_status qpm_garch_loglik(size_t n, const double *r, qpm_garch_dist dist, const double *params,
                            double *loglik)
{
    qpm_status st = front(n, r, dist, params);
    if (st != QPM_OK)
        return st;
    QPM__CHECK_NULL(loglik, "loglik");
    series s = {r, n, 1};
    double ll;
    if (eval(&s, dist, params, &ll, NULL, NULL, NULL, NULL) != 0)
        return qpm__fail(QPM_E_OVERFLOW,
                         "a conditional variance or the log-likelihood is beyond the range of "
                         "double (returns too large for these parameters)");
    *loglik = ll;
    return QPM_OK;
}

qpm_status qpm_garch_filter(size_t n, const double *r, qpm_garch_dist dist, const double *params,
                            double *sigma, double *z)
{
    qpm_status st = front(n, r, dist, params);
    if (st != QPM_OK)
        return st;
    QPM__CHECK_NULL(sigma, "sigma");
    series s = {r, n, 1};
    /* a failure part-way must leave the outputs untouched: check first */
    double ll;
    if (eval(&s, dist, params, &ll, NULL, NULL, NULL, NULL) != 0)
        return qpm__fail(QPM_E_OVERFLOW,
                         "a conditional variance is beyond the range of double (returns too "
                         "large for these parameters)");
    double hn = next_variance(&s, params);
    if (!isfinite(hn))
        return qpm__fail(QPM_E_OVERFLOW, "the one-step forecast variance is beyond the range "
                                         "of double");
    eval(&s, dist, params, &ll, NULL, NULL, sigma, z);
    return QPM_OK;
}

qpm_status qpm_garch_forecast(const double *params, double sigma2_next, size_t h, double *var,
                              double *cum)
{
    qpm_status st = check_params(params, QPM_GARCH_NORMAL, 1);
    if (st != QPM_OK)
        return st;
    QPM__CHECK_NULL(var, "var");
    if (h == 0)
        return qpm__fail(QPM_E_SIZE, "h = 0: need at least 1 day");
    if (!isfinite(sigma2_next))
        return qpm__fail(QPM_E_NONFINITE, "sigma2_next = %g: must be finite", sigma2_next);
    if (!(sigma2_next > 0.0))
        return qpm__fail(QPM_E_INVALID, "sigma2_next = %g: must be > 0", sigma2_next);
    double p = params[AL] + params[BE];
    double vbar = params[OM] / (1.0 - p);
    if (!isfinite(vbar))
        return qpm__fail(QPM_E_OVERFLOW,
                         "the unconditional variance omega / (1 - alpha - beta) = %g / %g is "
                         "beyond the range of double",
                         params[OM], 1.0 - p);
    /* var[k] as the weighted mean p^k sigma2_next + (1 - p^k) vbar of two
     * positive numbers: vbar + p^k (sigma2_next - vbar) lost sigma2_next
     * far below vbar (var[0] = 1.9e-9 for 1e-9), while this form has no
     * cancellation and gives var[0] = sigma2_next exactly.  Pass 0 only
     * checks that every value and sum is finite, so that a failure leaves
     * the outputs untouched. */
    for (int pass = 0; pass < 2; pass++) {
        double pk = 1.0;
        qpm__ksum c = {0, 0};
        for (size_t k = 0; k < h; k++) {
            double v = pk * sigma2_next + (1.0 - pk) * vbar;
            if (cum)
                qpm__ksum_add(&c, v);
            if (pass == 1) {
                var[k] = v;
                if (cum)
                    cum[k] = qpm__ksum_value(&c);
            } else if (!isfinite(v) || (cum && !isfinite(qpm__ksum_value(&c)))) {
                return qpm__fail(QPM_E_OVERFLOW,
                                 "the forecast variance of day %zu%s is beyond the range of "
                                 "double",
                                 k + 1, isfinite(v) ? " summed over the days" : "");
            }
            pk *= p;
        }
    }
    return QPM_OK;
}

/* ---- the fit ------------------------------------------------------------------ */

/* The unconstrained coordinates x (see the header) of the free parameters. */
typedef struct problem {
    series s;
    qpm_garch_dist dist;
    double m, sd; /* sample mean and standard deviation */
    double mu_fixed;
    int fix_mu;
    int idx[NP]; /* idx[k]: the parameter of coordinate k */
    int d;       /* free parameters */
    size_t evals;
} problem;

static double logistic(double x)
{
    return x >= 0 ? 1.0 / (1.0 + exp(-x)) : exp(x) / (1.0 + exp(x));
}

static void to_theta(const problem *P, const double *x, double *th)
{
    double v[NP] = {0};
    for (int k = 0; k < P->d; k++)
        v[P->idx[k]] = x[k];
    double p = logistic(v[AL]), a = logistic(v[BE]);
    th[MU] = P->fix_mu ? P->mu_fixed : P->m + P->sd * v[MU];
    th[OM] = P->sd * P->sd * exp(v[OM]);
    /* omega > 0 in double too: exp() underflows to 0 where the likelihood
     * still rises toward omega = 0 (a boundary estimate) */
    if (th[OM] == 0.0)
        th[OM] = 0x1p-1074;
    th[AL] = p * a;
    th[BE] = p * (1.0 - a);
    /* alpha + beta < 1 in double too: logistic() rounds to 1 beyond x ~ 37,
     * and p a + p (1 - a) can round up to 1 below that; the estimates must
     * pass the constraints that the other functions check (an ulp off) */
    while (th[AL] + th[BE] >= 1.0) {
        /* the larger (>= 0.5) loses an ulp (>= 2^-53): a few steps */
        if (th[BE] >= th[AL])
            th[BE] = nextafter(th[BE], 0.0);
        else
            th[AL] = nextafter(th[AL], 0.0);
    }
    th[NU] = P->dist == QPM_GARCH_T ? 2.0 + (NU_MAX - 2.0) * logistic(v[NU]) : (double)INFINITY;
}

static void to_x(const problem *P, const double *th, double *x)
{
    double v[NP];
    double p = th[AL] + th[BE], a = th[AL] / p;
    v[MU] = (th[MU] - P->m) / P->sd;
    v[OM] = log(th[OM] / (P->sd * P->sd));
    v[AL] = log(p / (1.0 - p));
    v[BE] = log(a / (1.0 - a));
    v[NU] = P->dist == QPM_GARCH_T ? log((th[NU] - 2.0) / (NU_MAX - th[NU])) : 0.0;
    for (int k = 0; k < P->d; k++)
        x[k] = v[P->idx[k]];
}

/* f = -loglik / n and its gradient in x; +inf where the model fails. */
static double fx(problem *P, const double *x, double *gx)
{
    double th[NP], ll, g[NP];
    to_theta(P, x, th);
    P->evals++;
    if (eval(&P->s, P->dist, th, &ll, gx ? g : NULL, NULL, NULL, NULL) != 0)
        return (double)INFINITY;
    double n = (double)P->s.n;
    if (gx) {
        double v[NP] = {0};
        for (int k = 0; k < P->d; k++)
            v[P->idx[k]] = x[k];
        double p = logistic(v[AL]), a = logistic(v[BE]);
        double gv[NP];
        gv[MU] = P->sd * g[MU];
        gv[OM] = th[OM] * g[OM];
        gv[AL] = p * (1.0 - p) * (a * g[AL] + (1.0 - a) * g[BE]);
        gv[BE] = p * a * (1.0 - a) * (g[AL] - g[BE]);
        gv[NU] = (th[NU] - 2.0) * (1.0 - logistic(v[NU])) * g[NU];
        for (int k = 0; k < P->d; k++)
            gx[k] = -gv[P->idx[k]] / n;
    }
    return -ll / n;
}

static double maxabs(const double *v, int d)
{
    double m = 0.0;
    for (int k = 0; k < d; k++)
        if (fabs(v[k]) > m || v[k] != v[k])
            m = v[k] != v[k] ? (double)INFINITY : fabs(v[k]);
    return m;
}

/* Whether coordinate k is held: a logistic coordinate (alpha + beta, the
 * alpha share, nu) saturated within 1e-8 of an end of its range while f
 * still falls toward it, i.e. an estimate on the boundary of the
 * constraints, where the gradient in x vanishes only in the limit.  BFGS
 * moves the other coordinates only, and the convergence measure leaves it
 * out. */
static int held(const problem *P, const double *x, const double *g, int k)
{
    int j = P->idx[k];
    if (j != AL && j != BE && j != NU)
        return 0;
    double l = logistic(x[k]);
    return (l > 1.0 - 1e-8 && g[k] < 0.0) || (l < 1e-8 && g[k] > 0.0);
}

/* The convergence measure: the largest gradient component of f in x over
 * the coordinates not held. */
static double measure(const problem *P, const double *x, const double *g)
{
    double m = 0.0;
    for (int k = 0; k < P->d; k++) {
        if (held(P, x, g, k))
            continue;
        if (!(fabs(g[k]) <= m))
            m = fabs(g[k]) == fabs(g[k]) ? fabs(g[k]) : (double)INFINITY;
    }
    return m;
}

#define GTOL     1e-9
#define MAX_ITER 500

/* BFGS on x from x (in place), with the inverse Hessian approximation
 * reset to the identity when a line search fails.  Returns the
 * iterations; *f and g hold the value and gradient at the final x. */
static size_t bfgs(problem *P, double *x, double *f, double *g)
{
    int d = P->d;
    double H[NP * NP], xn[NP], gn[NP], p[NP], sv[NP], y[NP], Hy[NP];
    size_t it = 0;
    int fresh = 1;
    memset(H, 0, sizeof H);
    for (int k = 0; k < d; k++)
        H[k * NP + k] = 1.0;
    *f = fx(P, x, g);
    while (it < MAX_ITER && measure(P, x, g) > 0.1 * GTOL) {
        it++;
        int hold[NP];
        for (int i = 0; i < d; i++)
            hold[i] = held(P, x, g, i);
        double slope = 0.0;
        for (int i = 0; i < d; i++) {
            p[i] = 0.0;
            for (int j = 0; j < d; j++)
                if (!hold[i] && !hold[j])
                    p[i] -= H[i * NP + j] * g[j];
            slope += p[i] * g[i];
        }
        if (!(slope < 0.0)) {
            /* not a descent direction: steepest descent */
            slope = 0.0;
            for (int i = 0; i < d; i++) {
                p[i] = hold[i] ? 0.0 : -g[i];
                slope += p[i] * g[i];
            }
        }
        /* no coordinate moves by more than 5 in one step: exp() stays sane */
        double pm = maxabs(p, d), step = pm > 5.0 ? 5.0 / pm : 1.0;
        double fn = (double)INFINITY;
        int ok = 0;
        for (int ls = 0; ls < 60; ls++) {
            for (int i = 0; i < d; i++)
                xn[i] = x[i] + step * p[i];
            if (memcmp(xn, x, (size_t)d * sizeof *x) == 0)
                break; /* the step no longer moves x */
            fn = fx(P, xn, gn);
            if (fn <= *f + 1e-4 * step * slope) {
                ok = 1;
                break;
            }
            step *= 0.5;
        }
        if (!ok) {
            if (fresh)
                break; /* no representable descent: as good as it gets */
            memset(H, 0, sizeof H);
            for (int k = 0; k < d; k++)
                H[k * NP + k] = 1.0;
            fresh = 1;
            continue;
        }
        double sy = 0.0, yy = 0.0;
        for (int i = 0; i < d; i++) {
            sv[i] = xn[i] - x[i];
            y[i] = gn[i] - g[i];
            sy += sv[i] * y[i];
            yy += y[i] * y[i];
        }
        memcpy(x, xn, (size_t)d * sizeof *x);
        memcpy(g, gn, (size_t)d * sizeof *g);
        double fprev = *f;
        *f = fn;
        if (sy > 1e-300) {
            if (fresh) {
                /* Nocedal-Wright's scaling of the first approximation */
                for (int k = 0; k < d; k++)
                    H[k * NP + k] = sy / yy;
                fresh = 0;
            }
            double yHy = 0.0;
            for (int i = 0; i < d; i++) {
                Hy[i] = 0.0;
                for (int j = 0; j < d; j++)
                    Hy[i] += H[i * NP + j] * y[j];
                yHy += y[i] * Hy[i];
            }
            double rho = 1.0 / sy;
            for (int i = 0; i < d; i++)
                for (int j = 0; j < d; j++)
                    H[i * NP + j] +=
                        rho * ((1.0 + rho * yHy) * sv[i] * sv[j] - (Hy[i] * sv[j] + sv[i] * Hy[j]));
        }
        if (fprev - fn <= 1e-16 * fabs(fn) && measure(P, x, g) <= GTOL)
            break;
    }
    return it;
}

/* Cholesky of the d x d (stride NP) symmetric a in place, then its inverse
 * into inv.  -1 when not positive definite. */
static int spd_inverse(const double *a, int d, double *inv)
{
    double L[NP * NP] = {0};
    for (int j = 0; j < d; j++) {
        double s = a[j * NP + j];
        for (int k = 0; k < j; k++)
            s -= L[j * NP + k] * L[j * NP + k];
        if (!(s > 0.0) || !isfinite(s))
            return -1;
        L[j * NP + j] = sqrt(s);
        for (int i = j + 1; i < d; i++) {
            double t = a[i * NP + j];
            for (int k = 0; k < j; k++)
                t -= L[i * NP + k] * L[j * NP + k];
            L[i * NP + j] = t / L[j * NP + j];
        }
    }
    /* columns of inv: solve L L' x = e_c */
    for (int c = 0; c < d; c++) {
        double y[NP];
        for (int i = 0; i < d; i++) {
            double t = i == c ? 1.0 : 0.0;
            for (int k = 0; k < i; k++)
                t -= L[i * NP + k] * y[k];
            y[i] = t / L[i * NP + i];
        }
        for (int i = d - 1; i >= 0; i--) {
            double t = y[i];
            for (int k = i + 1; k < d; k++)
                t -= L[k * NP + i] * y[k];
            y[i] = t / L[i * NP + i];
        }
        for (int i = 0; i < d; i++)
            inv[i * NP + c] = y[i];
    }
    return 0;
}

/* Hessian of -loglik over the free parameters at th, by central
 * differences of the analytic gradient with relative steps (mu: relative
 * to the sample standard deviation), symmetrised.  -1 on failure. */
static int hessian(problem *P, const double *th, double *hs)
{
    int d = P->d;
    for (int k = 0; k < d; k++) {
        int j = P->idx[k];
        double hj = 1e-5 * (j == MU ? P->sd : j == NU ? th[NU] - 2.0 : fabs(th[j]));
        if (!(hj > 0.0))
            return -1;
        double tp[NP], tm[NP], gp[NP], gm[NP], ll;
        memcpy(tp, th, sizeof tp);
        memcpy(tm, th, sizeof tm);
        tp[j] += hj;
        tm[j] -= hj;
        if (eval(&P->s, P->dist, tp, &ll, gp, NULL, NULL, NULL) != 0 ||
            eval(&P->s, P->dist, tm, &ll, gm, NULL, NULL, NULL) != 0)
            return -1;
        for (int i = 0; i < d; i++)
            hs[i * NP + k] = -(gp[P->idx[i]] - gm[P->idx[i]]) / (tp[j] - tm[j]);
    }
    for (int i = 0; i < d; i++)
        for (int k = 0; k < i; k++) {
            double v = 0.5 * (hs[i * NP + k] + hs[k * NP + i]);
            hs[i * NP + k] = hs[k * NP + i] = v;
        }
    return 0;
}

/* Inside the constraints with room for the Hessian's steps. */
static int interior(const problem *P, const double *th)
{
    return th[AL] > 1e-7 && th[BE] > 1e-7 && th[AL] + th[BE] < 1.0 - 1e-7 &&
           (P->dist != QPM_GARCH_T || (th[NU] > 2.0 + 1e-4 && th[NU] < NU_MAX - 1e-3));
}

/* Newton steps on the free parameters with the numerical Hessian, each
 * taken only when it stays inside the constraints and raises the
 * likelihood.  Returns the steps taken. */
static size_t newton_polish(problem *P, double *th)
{
    size_t steps = 0;
    for (int it = 0; it < 4 && interior(P, th); it++) {
        double hs[NP * NP], inv[NP * NP], g[NP], ll, lln;
        if (eval(&P->s, P->dist, th, &ll, g, NULL, NULL, NULL) != 0 || hessian(P, th, hs) != 0 ||
            spd_inverse(hs, P->d, inv) != 0)
            break;
        double tn[NP];
        memcpy(tn, th, sizeof tn);
        double change = 0.0;
        for (int i = 0; i < P->d; i++) {
            double di = 0.0;
            for (int k = 0; k < P->d; k++)
                di += inv[i * NP + k] * g[P->idx[k]]; /* g of +loglik: -H^-1 (-g) */
            tn[P->idx[i]] += di;
            double sc = P->idx[i] == MU ? P->sd : fabs(th[P->idx[i]]);
            change = fmax(change, fabs(di) / sc);
        }
        if (!interior(P, tn) || eval(&P->s, P->dist, tn, &lln, NULL, NULL, NULL, NULL) != 0 ||
            lln < ll)
            break;
        memcpy(th, tn, sizeof tn);
        steps++;
        if (change < 1e-12)
            break;
    }
    return steps;
}

qpm_status qpm__garch_fit(const double *r, size_t n, size_t stride, qpm_garch_dist dist,
                          const double *mu_fixed, qpm_garch_result *out)
{
    problem P;
    memset(&P, 0, sizeof P);
    P.s = (series){r, n, stride};
    P.dist = dist;
    qpm__ksum m1 = {0, 0};
    for (size_t t = 0; t < n; t++)
        qpm__ksum_add(&m1, at(&P.s, t));
    P.m = qpm__ksum_value(&m1) / (double)n;
    qpm__ksum m2 = {0, 0};
    for (size_t t = 0; t < n; t++)
        qpm__ksum_add(&m2, (at(&P.s, t) - P.m) * (at(&P.s, t) - P.m));
    double var = qpm__ksum_value(&m2) / (double)(n - 1);
    if (!isfinite(var) || !(var > 0.0) || !isfinite(var * 1e4) || var < 1e-250)
        return qpm__fail(QPM_E_OVERFLOW,
                         "the sample variance of r (%g) is beyond the range a GARCH fit can "
                         "handle in double (about 1e-250 to 1e300)",
                         var);
    P.sd = sqrt(var);
    if (mu_fixed) {
        P.fix_mu = 1;
        P.mu_fixed = *mu_fixed;
    } else {
        P.idx[P.d++] = MU;
    }
    P.idx[P.d++] = OM;
    P.idx[P.d++] = AL;
    P.idx[P.d++] = BE;
    if (dist == QPM_GARCH_T)
        P.idx[P.d++] = NU;

    /* the best of a few standard starts */
    static const double starts[][3] = {
        {0.05, 0.90, 8.0}, {0.10, 0.85, 5.0}, {0.15, 0.60, 12.0}, {0.03, 0.96, 6.0}};
    double best = (double)INFINITY, x[NP] = {0}, g[NP];
    for (size_t k = 0; k < sizeof starts / sizeof starts[0]; k++) {
        double th[NP], xs[NP];
        double pers = starts[k][0] + starts[k][1];
        th[MU] = P.fix_mu ? P.mu_fixed : P.m;
        th[OM] = var * (1.0 - pers);
        th[AL] = starts[k][0];
        th[BE] = starts[k][1];
        th[NU] = starts[k][2];
        to_x(&P, th, xs);
        double f = fx(&P, xs, NULL);
        if (f < best) {
            best = f;
            memcpy(x, xs, sizeof x);
        }
    }
    if (!isfinite(best))
        return qpm__fail(QPM_E_OVERFLOW,
                         "the GARCH likelihood is not finite at any starting point");
    double f;
    size_t iters = bfgs(&P, x, &f, g);
    double th[NP];
    to_theta(&P, x, th);
    iters += newton_polish(&P, th);
    if (interior(&P, th))
        to_x(&P, th, x);
    f = fx(&P, x, g);
    to_theta(&P, x, th);
    double gmax = measure(&P, x, g);
    int conv = isfinite(f) && gmax <= GTOL;

    /* results at th */
    double ll, gr[NP], J[NP * NP];
    if (eval(&P.s, dist, th, &ll, gr, J, NULL, NULL) != 0)
        return qpm__fail(QPM_E_NOCONVERGE, "the GARCH fit left the region where the likelihood "
                                           "is finite");
    double hs[NP * NP], inv[NP * NP];
    int have_cov = hessian(&P, th, hs) == 0 && spd_inverse(hs, P.d, inv) == 0;
    qpm_garch_result res;
    memset(&res, 0, sizeof res);
    res.size = out->size;
    memcpy(res.params, th, sizeof th);
    if (dist != QPM_GARCH_T)
        res.params[NU] = (double)INFINITY;
    for (int j = 0; j < NP; j++)
        res.se[j] = res.robust_se[j] = 0.0;
    for (int i = 0; i < P.d; i++) {
        int pi = P.idx[i];
        if (!have_cov) {
            res.se[pi] = res.robust_se[pi] = (double)NAN;
            continue;
        }
        res.se[pi] = sqrt(inv[i * NP + i]);
        /* (H^-1 J H^-1)_ii */
        double v = 0.0;
        for (int a = 0; a < P.d; a++)
            for (int b = 0; b < P.d; b++)
                v += inv[i * NP + a] * J[P.idx[a] * NP + P.idx[b]] * inv[b * NP + i];
        res.robust_se[pi] = sqrt(v);
    }
    res.loglik = ll;
    res.sigma2_next = next_variance(&P.s, th);
    res.grad_norm = gmax;
    res.iterations = iters;
    res.converged = conv;
    memcpy(out, &res, sizeof res);
    if (!conv)
        return qpm__fail(QPM_E_NOCONVERGE,
                         "GARCH fit: the gradient (%g) is above the tolerance %g after %zu "
                         "iterations",
                         gmax, GTOL, iters);
    return QPM_OK;
}

qpm_status qpm_garch_fit(size_t n, const double *r, qpm_garch_dist dist, const double *mu_fixed,
                         qpm_garch_result *out)
{
    qpm_status st = check_dist(dist);
    if (st == QPM_OK)
        st = qpm__garch_check_series(r, n, 1);
    if (st != QPM_OK)
        return st;
    QPM__CHECK_NULL(out, "out");
    if (out->size < sizeof *out)
        return qpm__fail(QPM_E_INVALID,
                         "out->size = %zu: must be >= sizeof(qpm_garch_result) = %zu", out->size,
                         sizeof *out);
    if (mu_fixed && !isfinite(*mu_fixed))
        return qpm__fail(QPM_E_NONFINITE, "*mu_fixed = %g: must be finite", *mu_fixed);
    return qpm__garch_fit(r, n, 1, dist, mu_fixed, out);
}
