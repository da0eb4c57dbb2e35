/* Heston / Bates calibration (models.h, qpm_heston_calibrate): bounded
 * Levenberg-Marquardt (num/lm.h) on price or first-order vol residuals with
 * the analytic Jacobian of sv_cf.c.
 *
 * Why the residual callback computes the gradient too: the characteristic
 * function and its derivatives share every intermediate, and the solver
 * asks for the Jacobian at the point it has just accepted, i.e. the last
 * point whose residuals it computed.  So each residual evaluation prices
 * every expiry once, with the gradient, and keeps it; the Jacobian callback
 * copies the kept one (or recomputes when the point differs). */
#include <math.h>
#include <string.h>

#include "core/internal.h"
#include "num/lm.h"
#include "pricing/sv_model.h"
#include "qpm/models.h"
#include "qpm/pricing.h"

#define NP QPM_CALIB_NPARAM

static const double DEF_LO[NP] = {1e-6, 1e-3, 1e-6, 1e-3, -0.999, 0.0, -2.0, 1e-4};
static const double DEF_HI[NP] = {4.0, 50.0, 4.0, 10.0, 0.999, 10.0, 2.0, 2.0};
static const char *const PNAME[NP] = {"v0",  "kappa",  "theta", "sigma",
                                      "rho", "lambda", "mu",    "delta"};

typedef struct calib {
    size_t n, ne, nf;
    const double *T, *K;
    double S, r, q;
    int bates;
    int free_idx[NP]; /* parameter index of free variable j */
    double full[NP];  /* all parameters; the free ones overwritten from x */
    int32_t *type;
    size_t *start; /* ne + 1 expiry boundaries */
    double *target, *scale, *ivq, *vega;
    double *mp, *g[NP];  /* model prices and dP/dparam per quote */
    double *xc;          /* the point behind mp and g */
    size_t *curp, *refp; /* grid panels per expiry at xc, at the last accepted point */
    int have, have_ref;
    size_t nfev, iter, max_iter;
    qpm_progress_fn progress;
    void *puser;
    int cancelled;
} calib;

static double ncdf(double x)
{
    return 0.5 * erfc(-x / sqrt(2.0));
}

/* BSM price and vega on the forward F, discount df */
static void bsm(double F, double K, double T, double df, double vol, int call, double *p, double *v)
{
    double s = vol * sqrt(T), d1 = log(F / K) / s + 0.5 * s, d2 = d1 - s;
    *p = call ? df * (F * ncdf(d1) - K * ncdf(d2)) : df * (K * ncdf(-d2) - F * ncdf(-d1));
    *v = df * F * sqrt(T) * exp(-0.5 * d1 * d1) / 2.5066282746310002;
}

static void set_params(calib *c, const double *x)
{
    for (size_t j = 0; j < c->nf; j++)
        c->full[c->free_idx[j]] = x[j];
}

/* A trial point whose grid needs more than GUARD_MUL times the panels of
 * the last accepted point (plus GUARD_ADD) counts as one where the
 * residuals cannot be computed: the solver rejects it and damps the next
 * step.  Without this, an early long step to rho near +-1 or a large vol
 * of variance (where phi decays slowly) costs ten times a whole iteration
 * only to be rejected. */
#define GUARD_MUL 4
#define GUARD_ADD 16

/* prices and gradients of every quote at c->full; < 0 when the Fourier
 * integral fails there (or, guarded, would need too many panels) */
static int evaluate(calib *c, int guarded)
{
    const double *p = c->full;
    qpm__sv m = {p[0],
                 p[1],
                 p[2],
                 p[3],
                 p[4],
                 c->bates ? p[5] : 0.0,
                 c->bates ? p[6] : 0.0,
                 c->bates ? p[7] : 0.0,
                 0.0};
    c->nfev++;
    for (size_t e = 0; e < c->ne; e++) {
        size_t a = c->start[e], k = c->start[e + 1] - a;
        m.T = c->T[a];
        qpm__sv_out o = {c->mp + a,
                         NULL,
                         NULL,
                         c->g[0] + a,
                         c->g[2] + a,
                         NULL,
                         {c->g[1] + a, c->g[3] + a, c->g[4] + a, NULL, NULL, NULL},
                         c->curp + e,
                         guarded && c->have_ref ? GUARD_MUL * c->refp[e] + GUARD_ADD : 0,
                         0.0};
        if (c->bates) {
            o.grad[QPM__SV_LAMBDA] = c->g[5] + a;
            o.grad[QPM__SV_MU] = c->g[6] + a;
            o.grad[QPM__SV_DELTA] = c->g[7] + a;
        }
        if (qpm__sv_chain(&m, c->S, c->r, c->q, k, c->K + a, c->type + a, &o) != QPM_OK)
            return -1;
    }
    return 0;
}

static int resid(void *ctx, const double *x, double *f)
{
    calib *c = ctx;
    set_params(c, x);
    c->have = 0;
    if (evaluate(c, 1) != 0)
        return -1;
    memcpy(c->xc, x, c->nf * sizeof *x);
    c->have = 1;
    for (size_t i = 0; i < c->n; i++)
        f[i] = c->scale[i] * (c->mp[i] - c->target[i]);
    return 0;
}

static int jac(void *ctx, const double *x, const double *f, double *J)
{
    calib *c = ctx;
    (void)f;
    if (c->progress != NULL) {
        double done = c->max_iter > 0 ? (double)c->iter / (double)c->max_iter : 0.0;
        if (c->progress(c->puser, done > 1.0 ? 1.0 : done) != 0) {
            c->cancelled = 1;
            return 1;
        }
    }
    c->iter++;
    if (!c->have || memcmp(c->xc, x, c->nf * sizeof *x) != 0) {
        set_params(c, x);
        c->have = 0;
        if (evaluate(c, 0) != 0)
            return -1;
        memcpy(c->xc, x, c->nf * sizeof *x);
        c->have = 1;
    }
    /* x is the accepted point: the reference of the guard */
    memcpy(c->refp, c->curp, c->ne * sizeof *c->refp);
    c->have_ref = 1;
    for (size_t i = 0; i < c->n; i++)
        for (size_t j = 0; j < c->nf; j++)
            J[i * c->nf + j] = c->scale[i] * c->g[c->free_idx[j]][i];
    return 0;
}

/* ---- input checks ------------------------------------------------------- */

static qpm_status check_param(const double *p, int bates, const char *what)
{
    for (int k = 0; k < (bates ? NP : 5); k++)
        if (isnan(p[k]))
            return qpm__fail(QPM_E_NONFINITE, "%s %s = %g: must not be NaN", what, PNAME[k], p[k]);
    for (int k = 0; k < 3; k++)
        if (!(p[k] > 0.0))
            return qpm__fail(QPM_E_INVALID, "%s %s = %g: must be > 0", what, PNAME[k], p[k]);
    if (!(p[3] >= 0.0))
        return qpm__fail(QPM_E_INVALID, "%s sigma = %g: must be >= 0", what, p[3]);
    if (!(fabs(p[4]) < 1.0))
        return qpm__fail(QPM_E_INVALID, "%s rho = %g: must be in (-1, 1)", what, p[4]);
    if (bates) {
        if (!(p[5] >= 0.0))
            return qpm__fail(QPM_E_INVALID, "%s lambda = %g: must be >= 0", what, p[5]);
        if (!(fabs(p[6]) <= 10.0))
            return qpm__fail(QPM_E_INVALID, "%s mu = %g: |mu| must be <= 10", what, p[6]);
        if (!(p[7] >= 0.0 && p[7] <= 10.0))
            return qpm__fail(QPM_E_INVALID, "%s delta = %g: must be in [0, 10]", what, p[7]);
    }
    return QPM_OK;
}

static qpm_status check_quotes(double S, double r, double q, size_t n, const double *T,
                               const double *K, const double *quote, const double *weight,
                               const int32_t *type, int kind)
{
    const double v[3] = {S, r, q};
    static const char *const nm[3] = {"S", "r", "q"};
    for (int i = 0; i < 3; i++)
        if (!isfinite(v[i]))
            return qpm__fail(QPM_E_NONFINITE, "%s = %g: must be finite", nm[i], v[i]);
    if (!(S > 0.0))
        return qpm__fail(QPM_E_INVALID, "S = %g: must be > 0", S);
    size_t e0 = 0;
    for (size_t i = 0; i < n; i++) {
        const double w = weight != NULL ? weight[i] : 1.0;
        const double a[4] = {T[i], K[i], quote[i], w};
        static const char *const an[4] = {"T", "K", "quote", "weight"};
        for (int k = 0; k < 4; k++)
            if (!isfinite(a[k]))
                return qpm__fail(QPM_E_NONFINITE, "%s[%zu] = %g: must be finite", an[k], i, a[k]);
        for (int k = 0; k < 4; k++)
            if (k != 2 && !(a[k] > 0.0))
                return qpm__fail(QPM_E_INVALID, "%s[%zu] = %g: must be > 0", an[k], i, a[k]);
        if (fabs(r * T[i]) > 700.0 || fabs(q * T[i]) > 700.0)
            return qpm__fail(QPM_E_INVALID, "T[%zu] = %g: |r T| and |q T| must be <= 700", i, T[i]);
        if (type != NULL && type[i] != QPM_CALL && type[i] != QPM_PUT)
            return qpm__fail(QPM_E_INVALID, "type[%zu] = %d: must be QPM_CALL (1) or QPM_PUT (-1)",
                             i, (int)type[i]);
        if (i > 0 && T[i] < T[i - 1])
            return qpm__fail(QPM_E_INVALID,
                             "T[%zu] = %g < T[%zu] = %g: quotes must come by non-decreasing expiry",
                             i, T[i], i - 1, T[i - 1]);
        if (i > 0 && T[i] != T[i - 1])
            e0 = i;
        double F = S * exp((r - q) * T[i]), df = exp(-r * T[i]);
        int call = type != NULL ? type[i] == QPM_CALL : K[i] >= F;
        /* the previous strike of the same type in this expiry */
        for (size_t j = i; j > e0; j--) {
            int cj = type != NULL ? type[j - 1] == QPM_CALL : K[j - 1] >= F;
            if (cj == call) {
                if (!(K[i] > K[j - 1]))
                    return qpm__fail(QPM_E_INVALID,
                                     "K[%zu] = %g: strikes of one expiry and type must increase "
                                     "(K[%zu] = %g, T = %g)",
                                     i, K[i], j - 1, K[j - 1], T[i]);
                break;
            }
        }
        if (kind == QPM_CALIB_QUOTE_IV) {
            if (!(quote[i] > 0.0 && quote[i] <= 100.0))
                return qpm__fail(QPM_E_INVALID,
                                 "quote[%zu] = %g: an implied vol must be in (0, 100]", i,
                                 quote[i]);
            continue;
        }
        double usd = kind == QPM_CALIB_QUOTE_COIN ? quote[i] * F : quote[i];
        double lo = call ? fmax(df * (F - K[i]), 0.0) : fmax(df * (K[i] - F), 0.0);
        double hi = call ? df * F : df * K[i];
        if (!(usd > lo))
            return qpm__fail(QPM_E_INVALID,
                             "quote[%zu] = %g: the price (%g USD) is not above the intrinsic "
                             "value %g (no-arbitrage lower bound)",
                             i, quote[i], usd, lo);
        if (!(usd < hi))
            return qpm__fail(QPM_E_INVALID,
                             "quote[%zu] = %g: the price (%g USD) is not below the upper bound %g",
                             i, quote[i], usd, hi);
    }
    return QPM_OK;
}

static qpm_status read_options(const qpm_calib_options *in, qpm_calib_options *o)
{
    if (in == NULL)
        memset(o, 0, sizeof *o);
    else {
        qpm_status st =
            qpm__read_struct(in, in->size, sizeof *o, o, "opt", "qpm_calib_options", "fields");
        if (st != QPM_OK)
            return st;
    }
    if (o->quote < 0 || o->quote > 2)
        return qpm__fail(QPM_E_INVALID, "opt->quote = %d: must be a qpm_calib_quote (0..2)",
                         (int)o->quote);
    if (o->residual < 0 || o->residual > 1)
        return qpm__fail(QPM_E_INVALID, "opt->residual = %d: must be a qpm_calib_residual (0, 1)",
                         (int)o->residual);
    if (o->fix_jumps < 0 || o->fix_jumps > 1)
        return qpm__fail(QPM_E_INVALID, "opt->fix_jumps = %d: must be 0 or 1", (int)o->fix_jumps);
    double *t[3] = {&o->ftol, &o->xtol, &o->gtol};
    static const char *const tn[3] = {"ftol", "xtol", "gtol"};
    for (int k = 0; k < 3; k++) {
        if (!(*t[k] >= 0.0) || !isfinite(*t[k]))
            return qpm__fail(QPM_E_INVALID, "opt->%s = %g: must be finite and >= 0", tn[k], *t[k]);
        if (*t[k] == 0.0)
            *t[k] = 1e-12;
    }
    if (o->max_iter == 0)
        o->max_iter = 100;
    if (o->max_eval == 0)
        o->max_eval = 1000;
    return QPM_OK;
}

static qpm_status check_bounds(const qpm_calib_options *o, const double *x0, int bates, double *lo,
                               double *hi)
{
    for (int k = 0; k < NP; k++) {
        lo[k] = o->lower != NULL ? o->lower[k] : DEF_LO[k];
        hi[k] = o->upper != NULL ? o->upper[k] : DEF_HI[k];
    }
    for (int k = 0; k < (bates ? NP : 5); k++) {
        if (isnan(lo[k]) || isnan(hi[k]))
            return qpm__fail(QPM_E_NONFINITE, "bounds of %s: NaN", PNAME[k]);
        if (!(lo[k] <= hi[k]))
            return qpm__fail(QPM_E_INVALID, "bounds of %s: lower %g > upper %g", PNAME[k], lo[k],
                             hi[k]);
        if (!(x0[k] >= lo[k] && x0[k] <= hi[k]))
            return qpm__fail(QPM_E_INVALID, "start %s = %g: outside its bounds [%g, %g]", PNAME[k],
                             x0[k], lo[k], hi[k]);
    }
    qpm_status st = check_param(lo, bates, "lower");
    if (st == QPM_OK) {
        /* the upper bounds need only be in the domain as bounds: rho < 1 */
        double h2[NP];
        memcpy(h2, hi, sizeof h2);
        st = check_param(h2, bates, "upper");
    }
    return st;
}

/* ---- the calibration ---------------------------------------------------- */

qpm_status qpm_heston_calibrate(const qpm_heston *start, const qpm_jumps *jumps, double S, double r,
                                double q, size_t n, const double *T, const double *K,
                                const double *quote, const double *weight, const int32_t *type,
                                const qpm_calib_options *opt, const qpm_alloc *alloc,
                                qpm_calib_result *res)
{
    QPM__CHECK_NULL(start, "start");
    QPM__CHECK_NULL(res, "res");
    if (n == 0)
        return qpm__fail(QPM_E_SIZE, "n = 0: at least one quote is needed");
    QPM__CHECK_NULL(T, "T");
    QPM__CHECK_NULL(K, "K");
    QPM__CHECK_NULL(quote, "quote");
    qpm_calib_options o;
    qpm_calib_result rr;
    qpm_status st =
        qpm__read_struct(res, res->size, sizeof rr, &rr, "res", "qpm_calib_result", "fields");
    if (st == QPM_OK)
        st = read_options(opt, &o);
    if (st != QPM_OK)
        return st;
    int bates = jumps != NULL;
    double x0[NP] = {start->v0,
                     start->kappa,
                     start->theta,
                     start->sigma,
                     start->rho,
                     bates ? jumps->lambda : 0.0,
                     bates ? jumps->mu : 0.0,
                     bates ? jumps->delta : 0.0};
    double lo[NP], hi[NP];
    st = check_param(x0, bates, "start");
    if (st == QPM_OK)
        st = check_bounds(&o, x0, bates, lo, hi);
    if (st == QPM_OK)
        st = check_quotes(S, r, q, n, T, K, quote, weight, type, o.quote);
    if (st != QPM_OK)
        return st;
    size_t nf = bates && !o.fix_jumps ? NP : 5;
    if (n < nf)
        return qpm__fail(QPM_E_SIZE, "n = %zu: fewer quotes than the %zu free parameters", n, nf);

    qpm_alloc a;
    st = qpm__alloc_init(&a, alloc);
    if (st != QPM_OK)
        return st;
    calib c;
    memset(&c, 0, sizeof c);
    c.n = n;
    c.nf = nf;
    c.T = T;
    c.K = K;
    c.S = S;
    c.r = r;
    c.q = q;
    c.bates = bates;
    c.max_iter = o.max_iter;
    c.progress = o.progress;
    c.puser = o.progress_user;
    memcpy(c.full, x0, sizeof x0);
    for (size_t j = 0; j < nf; j++)
        c.free_idx[j] = (int)j;
    /* one block: per quote target, scale, ivq, vega, mp, 8 gradients; xc;
     * then the types and the expiry boundaries */
    size_t nd = n * (5 + NP) + NP;
    size_t bytes = nd * sizeof(double) + (3 * n + 1) * sizeof(size_t) + n * sizeof(int32_t);
    double *blk = qpm__calloc(&a, 1, bytes);
    if (blk == NULL)
        return qpm__fail(QPM_E_NOMEM, "out of memory for the calibration of %zu quotes", n);
    c.target = blk;
    c.scale = blk + n;
    c.ivq = blk + 2 * n;
    c.vega = blk + 3 * n;
    c.mp = blk + 4 * n;
    for (int k = 0; k < NP; k++)
        c.g[k] = blk + (5 + (size_t)k) * n;
    c.xc = blk + n * (5 + NP);
    c.start = (size_t *)(void *)(blk + nd);
    c.curp = c.start + n + 1;
    c.refp = c.curp + n;
    c.type = (int32_t *)(void *)(c.refp + n);

    qpm__lm *lm = NULL;
    qpm_pricer *pr = NULL;
    st = qpm_pricer_create(&pr, &a, QPM_MODEL_BSM, QPM_SETTLE_LINEAR);
    if (st == QPM_OK)
        st = qpm__lm_create(&lm, &a, n, nf);
    if (st != QPM_OK)
        goto done;

    /* expiries, types, targets, the quotes' vols and vegas */
    for (size_t i = 0; i < n; i++) {
        if (i == 0 || T[i] != T[i - 1])
            c.start[c.ne++] = i;
        double F = S * exp((r - q) * T[i]), df = exp(-r * T[i]);
        c.type[i] = type != NULL ? type[i] : (K[i] >= F ? QPM_CALL : QPM_PUT);
        double w = weight != NULL ? weight[i] : 1.0;
        if (o.quote == QPM_CALIB_QUOTE_IV) {
            c.ivq[i] = quote[i];
            bsm(F, K[i], T[i], df, quote[i], c.type[i] == QPM_CALL, &c.target[i], &c.vega[i]);
        } else {
            c.target[i] = o.quote == QPM_CALIB_QUOTE_COIN ? quote[i] * F : quote[i];
        }
        c.scale[i] = o.quote == QPM_CALIB_QUOTE_COIN ? w / F : w;
    }
    c.start[c.ne] = n;
    if (o.quote != QPM_CALIB_QUOTE_IV) {
        /* c.mp and c.g[0] as scratch for the per-quote pricer inputs */
        for (size_t i = 0; i < n; i++) {
            c.mp[i] = S;
            c.g[0][i] = r;
            c.g[1][i] = q;
        }
        (void)qpm_pricer_implied_vol(pr, n, c.mp, K, T, c.g[0], c.g[1], c.type, c.target, c.ivq,
                                     NULL);
        for (size_t i = 0; i < n; i++) {
            double F = S * exp((r - q) * T[i]), df = exp(-r * T[i]), p;
            if (isfinite(c.ivq[i]))
                bsm(F, K[i], T[i], df, c.ivq[i], c.type[i] == QPM_CALL, &p, &c.vega[i]);
            else
                c.vega[i] = 0.0;
        }
    }
    for (size_t i = 0; i < n; i++) {
        c.vega[i] = fmax(c.vega[i], 1e-8 * S * sqrt(T[i]));
        if (o.residual == QPM_CALIB_RESID_VOL)
            c.scale[i] = (weight != NULL ? weight[i] : 1.0) / c.vega[i];
    }

    qpm__lm_options lo_opt;
    qpm__lm_defaults(&lo_opt);
    lo_opt.ftol = o.ftol;
    lo_opt.xtol = o.xtol;
    lo_opt.gtol = o.gtol;
    lo_opt.max_iter = o.max_iter;
    lo_opt.max_eval = o.max_eval;
    /* a first damping of 0.1 rather than the solver's 1e-3: from a neutral
     * start the undamped first steps overshoot (measured on the benchmark
     * chains: 12 instead of 18 iterations on the equity-like one, 14
     * instead of 12 on the crypto one) */
    lo_opt.lambda0 = 0.1;
    double x[NP], xl[NP], xh[NP];
    for (size_t j = 0; j < nf; j++) {
        x[j] = x0[j];
        xl[j] = lo[j];
        xh[j] = hi[j];
    }
    qpm__lm_report rep;
    st = qpm__lm_solve(lm, resid, jac, &c, xl, xh, &lo_opt, x, &rep);
    if (st != QPM_OK) {
        if (rep.reason == QPM__LM_BAD_RESIDUAL || rep.reason == QPM__LM_BAD_JACOBIAN)
            st = qpm__fail(QPM_E_NOCONVERGE,
                           "the start parameters give no price: the Fourier integral fails there "
                           "(total variance too small, vol of variance too large, or a grid "
                           "beyond its panel limit)");
        goto done;
    }

    /* the fit: prices at x (the best point), their vols against the quotes' */
    set_params(&c, x);
    if (evaluate(&c, 0) != 0) {
        st = qpm__fail(QPM_E_NOCONVERGE, "the fitted parameters give no price");
        goto done;
    }
    {
        double *iv = c.g[1], *sr = c.g[2], *sq = c.g[3], *ss = c.g[4];
        int32_t *ist = (int32_t *)(void *)c.g[5];
        for (size_t i = 0; i < n; i++) {
            ss[i] = S;
            sr[i] = r;
            sq[i] = q;
        }
        (void)qpm_pricer_implied_vol(pr, n, ss, K, T, sr, sq, c.type, c.mp, iv, ist);
        double se = 0.0, sw = 0.0, mx = 0.0;
        for (size_t i = 0; i < n; i++) {
            double w = weight != NULL ? weight[i] : 1.0;
            double err = ist[i] == QPM_OK && isfinite(c.ivq[i])
                             ? iv[i] - c.ivq[i]
                             : (c.mp[i] - c.target[i]) / c.vega[i];
            se += w * w * err * err;
            sw += w * w;
            mx = fmax(mx, fabs(err));
        }
        rr.rmse_volpts = 100.0 * sqrt(se / sw);
        rr.max_vol_err_volpts = 100.0 * mx;
    }
    const double *p = c.full;
    rr.heston = (qpm_heston){p[0], p[1], p[2], p[3], p[4]};
    rr.jumps = bates ? (qpm_jumps){p[5], p[6], p[7]} : (qpm_jumps){0.0, 0.0, 0.0};
    rr.cost = rep.cost;
    rr.iterations = rep.iterations;
    rr.evaluations = c.nfev;
    rr.feller = 2.0 * p[1] * p[2] > p[3] * p[3];
    switch (rep.reason) {
    case QPM__LM_GTOL:
    case QPM__LM_FTOL:
    case QPM__LM_XTOL:
        rr.outcome = QPM_CALIB_CONVERGED;
        break;
    case QPM__LM_MAX_ITER:
    case QPM__LM_MAX_EVAL:
        rr.outcome = QPM_CALIB_MAX_ITER;
        break;
    case QPM__LM_USER_STOP:
        rr.outcome = QPM_CALIB_CANCELLED;
        break;
    default:
        rr.outcome = QPM_CALIB_FAILED;
        break;
    }
    memcpy(res, &rr, res->size < sizeof rr ? res->size : sizeof rr);
    if (rr.outcome == QPM_CALIB_CANCELLED)
        st = qpm__fail(QPM_E_CANCELLED,
                       "cancelled by the progress callback after %zu iterations (res holds the "
                       "best point so far)",
                       rep.iterations);
    else if (c.progress != NULL)
        (void)c.progress(c.puser, 1.0);
done:
    qpm__lm_free(lm);
    qpm_pricer_free(pr);
    qpm__free(&a, blk);
    return st;
}
