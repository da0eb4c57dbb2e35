/* The allocation problems on top of the QP solver: building the QP for a
 * problem (auxiliary variables for the absolute-value limits, homogenised
 * form for the maximum Sharpe ratio), consistency checks with precise
 * messages, the frontier and the target-risk search. */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <string.h>

#include "num/linalg.h"
#include "opt_internal.h"

#define NONE QPM__OPT_NONE

typedef struct build {
    int homog;       /* maximum Sharpe: variables (y, t, kappa) */
    int target;      /* equality mu'w = target_value */
    double target_value;
    double pscale;   /* P = pscale S (S as stored: the covariance times 2^s_exp) */
    int mexp;        /* mu (and rf, the return target) enter the QP times 2^mexp */
    int fexp;        /* the QP objective is 2^fexp times the problem's own: its
                        multipliers are 2^fexp times the reported ones */
    int linear_mu;   /* c = -mu on the weights */
    size_t ig, it, ik;       /* first gross / turnover auxiliary, kappa (NONE if absent) */
    size_t row_gross, row_turn, eq_budget;
    size_t gabs, tabs; /* first of the 2n rows |w_i| <= t_i, |w_i - w0_i| <= t_i */
    int warm_only;     /* skip the interior point when the warm start fails */
    int cvar;          /* MIN_CVAR: variables (w, t, z, u_1..u_T) */
    size_t iz;         /* z, the VaR level (NONE if absent) */
} build;

/* ---- consistency checks ----------------------------------------------------------- */

static double dist_to_box(double v, double lo, double hi)
{
    return v < lo ? lo - v : (v > hi ? v - hi : 0.0);
}

static qpm_status precheck(const qpm_opt *o)
{
    size_t n = o->n;
    double slo = 0.0, shi = 0.0, gmin = 0.0, tmin = 0.0, s0 = 0.0;
    for (size_t i = 0; i < n; i++) {
        slo += o->lower[i];
        shi += o->upper[i];
        gmin += dist_to_box(0.0, o->lower[i], o->upper[i]);
        tmin += dist_to_box(o->w0[i], o->lower[i], o->upper[i]);
        s0 += o->w0[i];
    }
    double b = o->budget;
    if (b < slo || b > shi)
        return qpm__fail(QPM_E_INFEASIBLE,
                         "budget = %g outside [sum lower, sum upper] = [%g, %g]", b, slo, shi);
    if (o->gross < fabs(b))
        return qpm__fail(QPM_E_INFEASIBLE, "gross limit = %g < |budget| = %g", o->gross,
                         fabs(b));
    if (o->gross < gmin)
        return qpm__fail(QPM_E_INFEASIBLE,
                         "gross limit = %g < %g, the least gross exposure the bounds allow",
                         o->gross, gmin);
    if (o->turnover < tmin)
        return qpm__fail(QPM_E_INFEASIBLE,
                         "turnover limit = %g < %g, the least turnover from w0 the bounds allow",
                         o->turnover, tmin);
    if (o->turnover < fabs(b - s0))
        return qpm__fail(QPM_E_INFEASIBLE,
                         "turnover limit = %g < |budget - sum w0| = %g", o->turnover,
                         fabs(b - s0));
    for (size_t g = 0; g < o->ngroups; g++) {
        double lo = 0.0, hi = 0.0;
        for (size_t i = 0; i < n; i++)
            if (o->group_of[i] == g) {
                lo += o->lower[i];
                hi += o->upper[i];
            }
        if (o->glo[g] > hi || o->ghi[g] < lo)
            return qpm__fail(QPM_E_INFEASIBLE,
                             "group %zu: [lo, hi] = [%g, %g] misses [%g, %g], the range its "
                             "members' bounds allow",
                             g, o->glo[g], o->ghi[g], lo, hi);
    }
    return QPM_OK;
}

/* ---- QP construction ---------------------------------------------------------------- */

static void row_push(qpm__qp *qp, size_t j, double v)
{
    if (v == 0.0)
        return;
    qp->ci[qp->nnz] = j;
    qp->cv[qp->nnz] = v;
    qp->nnz++;
}

/* closes an inequality row  sum <= rhs  (homogenised: sum - rhs kappa <= 0) */
static size_t row_end(qpm__qp *qp, double rhs, size_t kappa)
{
    if (kappa != NONE) {
        row_push(qp, kappa, -rhs);
        rhs = 0.0;
    }
    size_t k = qp->mi++;
    qp->h[k] = rhs;
    qp->rp[k + 1] = qp->nnz;
    return k;
}

static double *eq_begin(qpm__qp *qp)
{
    double *r = qp->E + qp->me * qp->nv;
    memset(r, 0, qp->nv * sizeof *r);
    return r;
}

static size_t eq_end(qpm__qp *qp, double *row, double rhs, size_t kappa)
{
    if (kappa != NONE) {
        row[kappa] -= rhs;
        rhs = 0.0;
    }
    qp->e[qp->me] = rhs;
    return qp->me++;
}

/* a user row lo <= a'w <= hi: an equality when lo == hi, else its finite sides */
static void user_row(qpm__qp *qp, const double *a, const size_t *members, size_t g, size_t n,
                     double lo, double hi, size_t kappa)
{
    if (lo == hi) {
        double *r = eq_begin(qp);
        for (size_t i = 0; i < n; i++)
            r[i] = a != NULL ? a[i] : (members[i] == g ? 1.0 : 0.0);
        eq_end(qp, r, lo, kappa);
        return;
    }
    for (int side = 0; side < 2; side++) {
        double b = side == 0 ? hi : lo, sgn = side == 0 ? 1.0 : -1.0;
        if (!isfinite(b))
            continue;
        for (size_t i = 0; i < n; i++)
            row_push(qp, i, sgn * (a != NULL ? a[i] : (members[i] == g ? 1.0 : 0.0)));
        row_end(qp, sgn * b, kappa);
    }
}

static qpm_status build_qp(qpm_opt *o, build *b)
{
    size_t n = o->n;
    int gross = isfinite(o->gross), turn = isfinite(o->turnover);
    size_t nv = n;
    b->ig = b->it = b->ik = NONE;
    if (gross) {
        b->ig = nv;
        nv += n;
    }
    if (turn) {
        b->it = nv;
        nv += n;
    }
    if (b->homog)
        b->ik = nv++;
    b->iz = NONE;
    size_t ns = b->cvar ? o->nscen : 0;
    if (b->cvar) {
        b->iz = nv;
        nv += 1 + ns;
    }
    /* shape */
    size_t me = 1 + (b->target ? 1 : 0) + (b->homog ? 1 : 0), mi = 0, nnz = 0;
    for (size_t i = 0; i < n; i++) {
        if (o->lower[i] == o->upper[i]) {
            me++;
            continue;
        }
        mi += (isfinite(o->lower[i]) ? 1 : 0) + (isfinite(o->upper[i]) ? 1 : 0);
    }
    nnz += 2 * mi;
    if (gross) {
        mi += 2 * n + 1;
        nnz += 4 * n + n + 1;
    }
    if (turn) {
        mi += 2 * n + 1;
        nnz += 6 * n + n + 1;
    }
    me += o->ngroups + o->nlin;
    mi += 2 * (o->ngroups + o->nlin);
    nnz += 2 * (o->ngroups + o->nlin) * (n + 1);
    if (b->homog) {
        mi++;
        nnz++;
    }
    mi += 2 * ns;
    nnz += ns * (n + 3);
    qpm__qp *qp = &o->qp;
    qpm_status st = qpm__qp_reserve(qp, &o->alloc, nv, me, mi, nnz);
    if (st != QPM_OK)
        return qpm__fail(st, "out of memory for the solver workspace");
    qp->n = n;
    qp->nv = nv;
    qp->S = o->S;
    qp->pscale = b->pscale;
    qp->me = qp->mi = qp->nnz = 0;
    qp->rp[0] = 0;
    memset(qp->c, 0, nv * sizeof *qp->c);
    if (b->linear_mu)
        for (size_t i = 0; i < n; i++)
            qp->c[i] = -ldexp(o->mu[i], b->mexp);
    size_t kap = b->ik;
    /* equalities: budget first */
    double *r = eq_begin(qp);
    for (size_t i = 0; i < n; i++)
        r[i] = 1.0;
    b->eq_budget = eq_end(qp, r, o->budget, kap);
    if (b->target) {
        r = eq_begin(qp);
        for (size_t i = 0; i < n; i++)
            r[i] = ldexp(o->mu[i], b->mexp);
        eq_end(qp, r, ldexp(b->target_value, b->mexp), NONE);
    }
    if (b->homog) {
        r = eq_begin(qp);
        for (size_t i = 0; i < n; i++)
            r[i] = ldexp(o->mu[i], b->mexp);
        r[kap] = -ldexp(o->rf, b->mexp);
        eq_end(qp, r, 1.0, NONE);
    }
    /* box */
    for (size_t i = 0; i < n; i++) {
        o->brow[2 * i] = o->brow[2 * i + 1] = NONE;
        if (o->lower[i] == o->upper[i]) {
            r = eq_begin(qp);
            r[i] = 1.0;
            eq_end(qp, r, o->lower[i], kap);
            continue;
        }
        if (isfinite(o->lower[i])) {
            row_push(qp, i, -1.0);
            o->brow[2 * i] = row_end(qp, -o->lower[i], kap);
        }
        if (isfinite(o->upper[i])) {
            row_push(qp, i, 1.0);
            o->brow[2 * i + 1] = row_end(qp, o->upper[i], kap);
        }
    }
    /* |w_i| <= t_i, sum t <= L */
    b->row_gross = b->row_turn = b->gabs = b->tabs = NONE;
    if (gross) {
        b->gabs = qp->mi;
        for (size_t i = 0; i < n; i++) {
            row_push(qp, i, 1.0);
            row_push(qp, b->ig + i, -1.0);
            row_end(qp, 0.0, kap);
            row_push(qp, i, -1.0);
            row_push(qp, b->ig + i, -1.0);
            row_end(qp, 0.0, kap);
        }
        for (size_t i = 0; i < n; i++)
            row_push(qp, b->ig + i, 1.0);
        b->row_gross = row_end(qp, o->gross, kap);
    }
    /* |w_i - w0_i| <= t_i, sum t <= T */
    if (turn) {
        b->tabs = qp->mi;
        for (size_t i = 0; i < n; i++) {
            row_push(qp, i, 1.0);
            row_push(qp, b->it + i, -1.0);
            row_end(qp, o->w0[i], kap);
            row_push(qp, i, -1.0);
            row_push(qp, b->it + i, -1.0);
            row_end(qp, -o->w0[i], kap);
        }
        for (size_t i = 0; i < n; i++)
            row_push(qp, b->it + i, 1.0);
        b->row_turn = row_end(qp, o->turnover, kap);
    }
    for (size_t g = 0; g < o->ngroups; g++)
        user_row(qp, NULL, o->group_of, g, n, o->glo[g], o->ghi[g], kap);
    for (size_t l = 0; l < o->nlin; l++)
        user_row(qp, o->lin + l * n, NULL, 0, n, o->llo[l], o->lhi[l], kap);
    if (b->homog) {
        row_push(qp, kap, -1.0);
        row_end(qp, 0.0, NONE);
    }
    if (b->cvar) {
        /* min z + sum u / ((1 - alpha) T), u_t >= 0, u_t >= -r_t'w - z */
        double cu = 1.0 / ((1.0 - o->alpha) * (double)ns);
        qp->c[b->iz] = 1.0;
        for (size_t t = 0; t < ns; t++) {
            size_t iu = b->iz + 1 + t;
            qp->c[iu] = cu;
            row_push(qp, iu, -1.0);
            row_end(qp, 0.0, NONE);
            for (size_t i = 0; i < n; i++)
                row_push(qp, i, -o->scen[t * n + i]);
            row_push(qp, b->iz, -1.0);
            row_push(qp, iu, -1.0);
            row_end(qp, 0.0, NONE);
        }
    }
    return QPM_OK;
}

/* ---- solving and reporting ----------------------------------------------------------- */

static qpm_status run_qp(qpm_opt *o, const build *b, int warm, int *exact, size_t *iters)
{
    qpm__qp_result r =
        qpm__qp_solve(&o->qp, o->tol, b->warm_only ? 0 : o->maxiter, warm, exact, iters);
    if (r == QPM__QP_INFEASIBLE)
        return qpm__fail(QPM_E_INFEASIBLE,
                         "the constraints admit no solution (found by the interior-point solver)");
    if (r == QPM__QP_MAXITER)
        return qpm__fail(QPM_E_NOCONVERGE, "no convergence within QPM_OPT_MAX_ITER = %zu",
                         o->maxiter);
    return QPM_OK;
}

/* Both rows of |w_i| <= t_i active means w_i = 0 (and of |w_i - w0_i| <=
 * t_i, w_i = w0_i), which the linear solve meets only to rounding. */
static void snap(const qpm_opt *o, const build *b, double *w)
{
    const unsigned char *act = o->qp.act;
    for (size_t i = 0; i < o->n; i++) {
        if (b->gabs != NONE && act[b->gabs + 2 * i] && act[b->gabs + 2 * i + 1])
            w[i] = 0.0;
        if (b->tabs != NONE && act[b->tabs + 2 * i] && act[b->tabs + 2 * i + 1])
            w[i] = o->w0[i];
    }
}

/* weights of the QP solution into w */
static qpm_status extract(const qpm_opt *o, const build *b, double *w)
{
    const qpm__qp *qp = &o->qp;
    size_t n = o->n;
    if (!b->homog) {
        memcpy(w, qp->x, n * sizeof *w);
        snap(o, b, w);
        return QPM_OK;
    }
    double k = qp->x[b->ik];
    if (!(k > 0.0))
        return qpm__fail(QPM_E_INFEASIBLE,
                         "maximum Sharpe ratio not attained: it is approached only as the "
                         "weights grow without bound (kappa = %g)",
                         k);
    for (size_t i = 0; i < n; i++) {
        w[i] = qp->x[i] / k;
        if (o->brow[2 * i] != NONE && qp->act[o->brow[2 * i]])
            w[i] = o->lower[i];
        if (o->brow[2 * i + 1] != NONE && qp->act[o->brow[2 * i + 1]])
            w[i] = o->upper[i];
        if (o->lower[i] == o->upper[i])
            w[i] = o->lower[i];
    }
    snap(o, b, w);
    return QPM_OK;
}

/* w'Sw of the covariance as given (the stored matrix is scaled by 2^s_exp) */
static double quad(const qpm_opt *o, const double *w, double *tmp)
{
    size_t n = o->n;
    qpm__dsymv(QPM__ROW_MAJOR, QPM__UPPER, (int)n, 1.0, o->S, (int)n, w, 1, 0.0, tmp, 1);
    double v = qpm__ddot((int)n, w, 1, tmp, 1);
    return o->s_exp != 0 ? ldexp(v, -o->s_exp) : v;
}

/* fills the solution info from w (and the QP multipliers when b != NULL) */
static void report(qpm_opt *o, const build *b, qpm_opt_problem problem, const double *w, int exact,
                   size_t iters)
{
    size_t n = o->n;
    double *info = o->info;
    if (w != o->w)
        memcpy(o->w, w, n * sizeof *w);
    double var = quad(o, o->w, o->wtmp), ret = (double)NAN;
    if (o->have_mu)
        ret = qpm__ddot((int)n, o->mu, 1, o->w, 1);
    double sum = 0.0, gross = 0.0, turn = 0.0;
    size_t nz = 0, nb = 0;
    for (size_t i = 0; i < n; i++) {
        double v = o->w[i];
        sum += v;
        gross += fabs(v);
        turn += fabs(v - o->w0[i]);
        nz += v == 0.0;
        o->flags[i] = v == o->lower[i] ? -1 : (v == o->upper[i] ? 1 : 0);
        nb += o->flags[i] != 0;
    }
    double vol = sqrt(fmax(var, 0.0));
    info[QPM_OPT_INFO_EXP_RETURN] = ret;
    info[QPM_OPT_INFO_VARIANCE] = var;
    info[QPM_OPT_INFO_VOLATILITY] = vol;
    info[QPM_OPT_INFO_SUM_W] = sum;
    info[QPM_OPT_INFO_GROSS] = gross;
    info[QPM_OPT_INFO_TURNOVER] = turn;
    info[QPM_OPT_INFO_ITERATIONS] = (double)iters;
    info[QPM_OPT_INFO_N_ZERO] = (double)nz;
    info[QPM_OPT_INFO_N_AT_BOUND] = (double)nb;
    info[QPM_OPT_INFO_EXACT] = exact;
    info[QPM_OPT_INFO_PROBLEM] = (double)problem;
    /* Multipliers in the documented KKT convention: the QP's divided by the
     * factor its objective carries (data scaling); for MAX_SHARPE also by
     * kappa, which gives those of the target-return problem at the
     * solution's return.  ERC ignores the limits (0); a frontier point taken
     * from the LP has no multipliers (NaN, 0 for a limit that is off). */
    double nu = (double)NAN, lg = (double)NAN, lt = (double)NAN;
    if (b != NULL) {
        double k = b->homog ? o->qp.x[b->ik] : 1.0;
        if (!b->homog)
            nu = ldexp(o->qp.y[b->eq_budget], -b->fexp);
        lg = b->row_gross != NONE ? ldexp(o->qp.z[b->row_gross] / k, -b->fexp) : 0.0;
        lt = b->row_turn != NONE ? ldexp(o->qp.z[b->row_turn] / k, -b->fexp) : 0.0;
    } else {
        if (problem == QPM_OPT_ERC || !isfinite(o->gross))
            lg = 0.0;
        if (problem == QPM_OPT_ERC || !isfinite(o->turnover))
            lt = 0.0;
    }
    info[QPM_OPT_INFO_NU] = nu;
    info[QPM_OPT_INFO_LAMBDA_GROSS] = lg;
    info[QPM_OPT_INFO_LAMBDA_TURNOVER] = lt;
    double obj = var;
    switch (problem) {
    case QPM_OPT_MEAN_VARIANCE: obj = ret - 0.5 * o->gamma * var; break;
    case QPM_OPT_TARGET_RISK: obj = ret; break;
    case QPM_OPT_MAX_SHARPE: obj = (ret - o->rf) / vol; break;
    default: break;
    }
    info[QPM_OPT_INFO_OBJECTIVE] = obj;
    o->have_sol = 1;
}

static void build_init(build *b, double pscale)
{
    memset(b, 0, sizeof *b);
    b->pscale = pscale;
    b->mexp = 0;
    b->fexp = 0;
}

/* Exponent of the power of two that brings the largest of |mu_i| and
 * |extra| into [1, 2) when it lies outside [2^-4, 2^4] (where the solvers
 * work on the returns as given; the homogenised maximum-Sharpe QP failed
 * from about 2^-7 and 2^31); 0 otherwise.  Exact (ldexp), so the problem is
 * unchanged. */
static int mu_scale(const qpm_opt *o, double extra)
{
    double m = fabs(extra);
    for (size_t i = 0; i < o->n; i++)
        m = fmax(m, fabs(o->mu[i]));
    if (!(m > 0.0) || (m >= 0x1p-4 && m <= 0x1p4))
        return 0;
    return -ilogb(m);
}

/* The stored covariance is normalised (opt_internal.h): P = 2 S_stored is 2^s_exp
 * times the problem's 2 S. */
static void build_minvar_scales(const qpm_opt *o, build *b)
{
    b->fexp = o->s_exp;
}

/* minimum variance (target < 0: none) into w; leaves the QP in o->qp */
static qpm_status solve_minvar(qpm_opt *o, build *b, int target, double r, int warm, double *w,
                               int *exact, size_t *iters)
{
    build_init(b, 2.0);
    build_minvar_scales(o, b);
    b->mexp = target ? mu_scale(o, 0.0) : 0;
    b->warm_only = warm > 1;
    b->target = target;
    b->target_value = r;
    qpm_status st = build_qp(o, b);
    if (st == QPM_OK)
        st = run_qp(o, b, warm, exact, iters);
    if (st == QPM_OK)
        st = extract(o, b, w);
    return st;
}

/* whether the constraints bound the weights (so that the largest return is
 * finite): a limit, or finite lower (upper) bounds on every weight, which
 * with the budget bound each weight from above (below) too */
static int bounded(const qpm_opt *o)
{
    if (isfinite(o->gross) || isfinite(o->turnover))
        return 1;
    int lo = 1, hi = 1;
    for (size_t i = 0; i < o->n; i++) {
        lo &= isfinite(o->lower[i]) != 0;
        hi &= isfinite(o->upper[i]) != 0;
    }
    return lo || hi;
}

/* largest attainable return: the LP max mu'w, or max mu_i B when unbounded;
 * the LP weights go to w when computed (returns 1 then) */
static qpm_status max_return(qpm_opt *o, double *rmax, double *w, int *have_w, size_t *iters)
{
    *have_w = 0;
    if (!bounded(o)) {
        double m = -DBL_MAX;
        for (size_t i = 0; i < o->n; i++)
            m = fmax(m, o->mu[i] * o->budget);
        *rmax = m;
        return QPM_OK;
    }
    build b;
    build_init(&b, 0.0);
    b.linear_mu = 1;
    b.mexp = mu_scale(o, 0.0);
    int exact;
    qpm_status st = build_qp(o, &b);
    if (st == QPM_OK)
        st = run_qp(o, &b, 0, &exact, iters);
    if (st != QPM_OK)
        return st;
    memcpy(w, o->qp.x, o->n * sizeof *w);
    *rmax = qpm__ddot((int)o->n, o->mu, 1, w, 1);
    *have_w = 1;
    return QPM_OK;
}

static qpm_status need(const qpm_opt *o, int mu)
{
    if (!o->have_S)
        return qpm__fail(QPM_E_STATE, "no covariance: call qpm_opt_set_covariance first");
    if (mu && !o->have_mu)
        return qpm__fail(QPM_E_STATE,
                         "no expected returns: call qpm_opt_set_expected_returns first");
    return QPM_OK;
}

/* maximum return at volatility <= target_vol */
static qpm_status solve_target_risk(qpm_opt *o, double *w, size_t *iters)
{
    size_t n = o->n;
    build b;
    int exact = 0;
    double s2 = o->target_vol * o->target_vol;
    double *wk = o->wtmp + 0; /* scratch n (wtmp reused by quad: copy first) */
    (void)wk;
    qpm_status st = solve_minvar(o, &b, 0, 0.0, 0, w, &exact, iters);
    if (st != QPM_OK)
        return st;
    double vmin = quad(o, w, o->wtmp);
    if (vmin > s2 * (1.0 + 1e-12))
        return qpm__fail(QPM_E_INFEASIBLE,
                         "QPM_OPT_VOL_TARGET = %g < %.17g, the minimum-variance volatility",
                         o->target_vol, sqrt(fmax(vmin, 0.0)));
    double rlo = qpm__ddot((int)n, o->mu, 1, w, 1), flo = vmin - s2;
    double rmax;
    int have_lp;
    /* the LP weights would clobber w: keep them in the flags-sized scratch of the QP */
    st = max_return(o, &rmax, o->wtmp, &have_lp, iters);
    if (st != QPM_OK)
        return st;
    double rhi, fhi;
    if (bounded(o)) {
        rhi = rmax;
        st = solve_minvar(o, &b, 1, rhi, 0, w, &exact, iters);
        if (st != QPM_OK)
            return st;
        fhi = quad(o, w, o->wtmp) - s2;
        if (fhi <= 0.0) {
            report(o, &b, QPM_OPT_TARGET_RISK, w, exact, *iters);
            return QPM_OK;
        }
    } else {
        double step = fmax(fabs(rmax - rlo), 1e-3 * (1.0 + fabs(rlo)));
        for (int k = 0;; k++) {
            rhi = rlo + step;
            st = solve_minvar(o, &b, 1, rhi, 0, w, &exact, iters);
            if (st != QPM_OK)
                return st;
            fhi = quad(o, w, o->wtmp) - s2;
            if (fhi > 0.0)
                break;
            if (k == 200)
                return qpm__fail(QPM_E_NOCONVERGE, "target risk: no bracket found");
            rlo = rhi;
            flo = fhi;
            step *= 2.0;
        }
    }
    /* Illinois false position on var(r) - s*^2, increasing on [rlo, rhi] */
    int side = 0;
    double r = rhi;
    for (int it = 0; it < 200; it++) {
        r = (rlo * fhi - rhi * flo) / (fhi - flo);
        if (!(r > rlo && r < rhi))
            r = qpm__mean2(rlo, rhi);
        st = solve_minvar(o, &b, 1, r, 1, w, &exact, iters);
        if (st != QPM_OK)
            return st;
        double f = quad(o, w, o->wtmp) - s2;
        if (fabs(f) <= 4.0 * DBL_EPSILON * s2 || rhi - rlo <= 4.0 * DBL_EPSILON * fabs(r))
            break;
        if (f > 0.0) {
            rhi = r;
            fhi = f;
            if (side == 1)
                flo *= 0.5;
            side = 1;
        } else {
            rlo = r;
            flo = f;
            if (side == -1)
                fhi *= 0.5;
            side = -1;
        }
    }
    report(o, &b, QPM_OPT_TARGET_RISK, w, exact, *iters);
    return QPM_OK;
}

/* Objective scaling of MEAN_VARIANCE, min gamma/2 w'Sw - mu'w: with S stored
 * as 2^s_exp S, the QP takes P = gamma 2^(-s_exp - e) S_stored and c = -2^-e
 * mu, the problem's objective times 2^-e, where 2^e is the larger of the
 * two terms' scales when that lies outside [2^-20, 2^20] (else e = 0). */
static void build_mv_scales(const qpm_opt *o, build *b)
{
    double dmax = 0.0, m = 0.0;
    for (size_t i = 0; i < o->n; i++) {
        dmax = fmax(dmax, o->S[i * o->n + i]);
        m = fmax(m, fabs(o->mu[i]));
    }
    int eq = dmax > 0.0 ? ilogb(o->gamma) + ilogb(dmax) - o->s_exp : INT_MIN / 2;
    int em = m > 0.0 ? ilogb(m) : INT_MIN / 2;
    int e = eq > em ? eq : em;
    if ((e >= -20 && e <= 20) || e == INT_MIN / 2) /* as given; or all zero */
        e = 0;
    b->pscale = o->s_exp + e != 0 ? ldexp(o->gamma, -o->s_exp - e) : o->gamma;
    b->mexp = -e;
    b->fexp = -e;
}

/* Verification tolerance, relative to each constraint's scale. */
static double verify_tol(const qpm_opt *o) { return fmax(1e-8, 10.0 * o->tol); }

/* Every returned solution satisfies its constraints to a relative tolerance
 * (the budget, the box, groups, linear rows, gross and turnover limits; ERC
 * the budget and w > 0), or the call fails with QPM_E_NOCONVERGE: scaled or
 * ill-conditioned data must never yield weights that silently break them. */
static qpm_status verify(const qpm_opt *o, const double *w, int erc)
{
    size_t n = o->n;
    double tol = verify_tol(o), g = 0.0, sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(w[i]))
            return qpm__fail(QPM_E_NOCONVERGE, "the solution has w[%zu] = %g", i, w[i]);
        g += fabs(w[i]);
        sum += w[i];
    }
    double B = o->budget, scale = fmax(g, fabs(B));
#define QPM__VIOLATED(what, ...) \
    qpm__fail(QPM_E_NOCONVERGE, "the solution breaks " what " beyond the tolerance %g", __VA_ARGS__, tol)
    if (!(fabs(sum - B) <= tol * (fabs(B) + scale)))
        return QPM__VIOLATED("the budget (sum w = %.17g, budget %.17g)", sum, B);
    if (erc) {
        for (size_t i = 0; i < n; i++)
            if (!(w[i] > 0.0))
                return QPM__VIOLATED("w > 0 (w[%zu] = %g)", i, w[i]);
        return QPM_OK;
    }
    for (size_t i = 0; i < n; i++) {
        double lo = o->lower[i], hi = o->upper[i];
        if (!(w[i] >= lo - tol * (fabs(lo) + scale)) || !(w[i] <= hi + tol * (fabs(hi) + scale)))
            return QPM__VIOLATED("the box of w[%zu] (%.17g not in [%g, %g])", i, w[i], lo, hi);
    }
    for (size_t k = 0; k < o->ngroups; k++) {
        double s = 0.0;
        for (size_t i = 0; i < n; i++)
            if (o->group_of[i] == k)
                s += w[i];
        double lo = o->glo[k], hi = o->ghi[k];
        if (!(s >= lo - tol * (fabs(lo) + scale)) || !(s <= hi + tol * (fabs(hi) + scale)))
            return QPM__VIOLATED("group %zu (sum %.17g not in [%g, %g])", k, s, lo, hi);
    }
    for (size_t r = 0; r < o->nlin; r++) {
        const double *a = o->lin + r * n;
        double s = 0.0, am = 0.0;
        for (size_t i = 0; i < n; i++) {
            s += a[i] * w[i];
            am = fmax(am, fabs(a[i]));
        }
        double lo = o->llo[r], hi = o->lhi[r], sc = am * scale;
        if (!(s >= lo - tol * (fabs(lo) + sc)) || !(s <= hi + tol * (fabs(hi) + sc)))
            return QPM__VIOLATED("linear row %zu (a'w = %.17g not in [%g, %g])", r, s, lo, hi);
    }
    if (isfinite(o->gross) && !(g <= o->gross + tol * (o->gross + scale)))
        return QPM__VIOLATED("the gross limit (sum |w| = %.17g > %g)", g, o->gross);
    if (isfinite(o->turnover)) {
        double t = 0.0, s0 = 0.0;
        for (size_t i = 0; i < n; i++) {
            t += fabs(w[i] - o->w0[i]);
            s0 += fabs(o->w0[i]);
        }
        if (!(t <= o->turnover + tol * (o->turnover + scale + s0)))
            return QPM__VIOLATED("the turnover limit (sum |w - w0| = %.17g > %g)", t,
                                 o->turnover);
    }
#undef QPM__VIOLATED
    return QPM_OK;
}

qpm_status qpm_opt_solve(qpm_opt *o, qpm_opt_problem problem, double *w)
{
    QPM__CHECK_NULL(o, "o");
    /* any failure below leaves no solution to describe */
    o->have_sol = 0;
    QPM__CHECK_NULL(w, "w");
    if ((unsigned)problem > (unsigned)QPM_OPT_MIN_CVAR)
        return qpm__fail(QPM_E_INVALID, "problem = %d: not a qpm_opt_problem", (int)problem);
    int with_mu = problem != QPM_OPT_MIN_VARIANCE && problem != QPM_OPT_ERC &&
                  problem != QPM_OPT_MIN_CVAR;
    qpm_status st = need(o, with_mu);
    if (st != QPM_OK)
        return st;
    size_t iters = 0;
    int exact = 0;
    double *sol = o->w;
    build b;
    if (problem == QPM_OPT_ERC) {
        if (!(o->budget > 0.0))
            return qpm__fail(QPM_E_INVALID, "QPM_OPT_BUDGET = %g: ERC needs a budget > 0",
                             o->budget);
        double *work = qpm__calloc(&o->alloc, o->n * o->n + 4 * o->n, sizeof(double));
        if (work == NULL)
            return qpm__fail(QPM_E_NOMEM, "out of memory for the ERC workspace");
        st = qpm__opt_erc(o, sol, work, &iters);
        qpm__free(&o->alloc, work);
        if (st == QPM_OK)
            st = verify(o, sol, 1);
        if (st != QPM_OK)
            return st;
        report(o, NULL, problem, sol, 1, iters);
        memcpy(w, o->w, o->n * sizeof *w);
        return QPM_OK;
    }
    if (problem == QPM_OPT_MAX_SHARPE && !(o->budget > 0.0))
        return qpm__fail(QPM_E_INVALID,
                         "QPM_OPT_BUDGET = %g: the maximum Sharpe ratio needs a budget > 0",
                         o->budget);
    if ((st = precheck(o)) != QPM_OK)
        return st;
    switch (problem) {
    case QPM_OPT_MIN_VARIANCE:
        st = solve_minvar(o, &b, 0, 0.0, 0, sol, &exact, &iters);
        break;
    case QPM_OPT_TARGET_RETURN:
        st = solve_minvar(o, &b, 1, o->target_ret, 0, sol, &exact, &iters);
        if (st == QPM_E_INFEASIBLE)
            st = qpm__fail(QPM_E_INFEASIBLE,
                           "QPM_OPT_RETURN_TARGET = %g: not attainable under the constraints",
                           o->target_ret);
        break;
    case QPM_OPT_MEAN_VARIANCE:
        build_init(&b, o->gamma);
        build_mv_scales(o, &b);
        b.linear_mu = 1;
        if ((st = build_qp(o, &b)) == QPM_OK && (st = run_qp(o, &b, 0, &exact, &iters)) == QPM_OK)
            st = extract(o, &b, sol);
        break;
    case QPM_OPT_MAX_SHARPE:
        build_init(&b, 2.0);
        build_minvar_scales(o, &b);
        b.mexp = mu_scale(o, o->rf);
        b.homog = 1;
        st = build_qp(o, &b);
        if (st == QPM_OK) {
            st = run_qp(o, &b, 0, &exact, &iters);
            if (st == QPM_E_INFEASIBLE)
                st = qpm__fail(QPM_E_INFEASIBLE,
                               "maximum Sharpe ratio: no feasible portfolio has an expected "
                               "return above the risk-free rate");
        }
        if (st == QPM_OK)
            st = extract(o, &b, sol);
        break;
    case QPM_OPT_MIN_CVAR:
        if (o->nscen == 0)
            return qpm__fail(QPM_E_STATE, "no scenarios: call qpm_opt_set_scenarios first");
        build_init(&b, 0.0);
        b.cvar = 1;
        if ((st = build_qp(o, &b)) == QPM_OK && (st = run_qp(o, &b, 0, &exact, &iters)) == QPM_OK)
            st = extract(o, &b, sol);
        if (st == QPM_OK)
            st = verify(o, sol, 0);
        if (st == QPM_OK) {
            report(o, &b, problem, sol, exact, iters);
            o->info[QPM_OPT_INFO_OBJECTIVE] = qpm__ddot((int)o->qp.nv, o->qp.c, 1, o->qp.x, 1);
            memcpy(w, o->w, o->n * sizeof *w);
            return QPM_OK;
        }
        break;
    case QPM_OPT_TARGET_RISK:
        st = solve_target_risk(o, sol, &iters);
        if (st == QPM_OK)
            st = verify(o, sol, 0);
        if (st == QPM_OK)
            memcpy(w, o->w, o->n * sizeof *w);
        else
            o->have_sol = 0;
        return st;
    default:
        break;
    }
    if (st == QPM_OK)
        st = verify(o, sol, 0);
    if (st != QPM_OK) {
        o->have_sol = 0;
        return st;
    }
    report(o, &b, problem, sol, exact, iters);
    memcpy(w, o->w, o->n * sizeof *w);
    return QPM_OK;
}

/* ---- efficient frontier ------------------------------------------------------------- */

qpm_status qpm_opt_frontier(qpm_opt *o, size_t k, double *weights, size_t ldw, double *returns,
                            double *vols)
{
    QPM__CHECK_NULL(o, "o");
    o->have_sol = 0;
    if (k == 0)
        return qpm__fail(QPM_E_SIZE, "k = 0: must be >= 1");
    if (weights != NULL && ldw < o->n)
        return qpm__fail(QPM_E_SIZE, "ldw = %zu: must be >= n = %zu", ldw, o->n);
    qpm_status st = need(o, 1);
    if (st != QPM_OK)
        return st;
    if ((st = precheck(o)) != QPM_OK)
        return st;
    size_t n = o->n, iters = 0;
    int exact = 0;
    build b;
    double *w = o->w;
    st = solve_minvar(o, &b, 0, 0.0, 0, w, &exact, &iters);
    if (st == QPM_OK)
        st = verify(o, w, 0);
    if (st != QPM_OK)
        return st;
    double rmin = qpm__ddot((int)n, o->mu, 1, w, 1);
    /* the minimum-variance point, kept while the largest return is found */
    if (weights != NULL)
        memcpy(weights, w, n * sizeof *w);
    if (returns != NULL)
        returns[0] = rmin;
    if (vols != NULL)
        vols[0] = sqrt(fmax(quad(o, w, o->wtmp), 0.0));
    int last_report = -1;
    if (k == 1) {
        report(o, &b, QPM_OPT_TARGET_RETURN, w, exact, iters);
        return qpm__progress_report(&o->progress, 1.0);
    }
    double rmax;
    int have_lp;
    double *lp = o->wtmp;
    st = max_return(o, &rmax, lp, &have_lp, &iters);
    if (st != QPM_OK)
        return st;
    if (rmax < rmin)
        rmax = rmin;
    /* rebuild the minimum-variance active set as the warm start of point 1 */
    st = solve_minvar(o, &b, 1, rmin, 0, w, &exact, &iters);
    int warm = st == QPM_OK;
    for (size_t j = 1; j < k; j++) {
        double r = j + 1 == k ? rmax : rmin + (rmax - rmin) * ((double)j / (double)(k - 1));
        /* the top point lies on a face without interior, where the interior
         * point crawls: when the warm start fails there, the LP vertex is it */
        int top = j + 1 == k && have_lp;
        st = solve_minvar(o, &b, 1, r, warm && top ? 2 : warm, w, &exact, &iters);
        if (st == QPM_OK)
            st = verify(o, w, 0);
        if (st != QPM_OK) {
            if (!(j + 1 == k && have_lp)) {
                o->have_sol = 0;
                return st;
            }
            /* recompute the LP (wtmp is scratch of the reports) */
            st = max_return(o, &rmax, w, &have_lp, &iters);
            if (st == QPM_OK)
                st = verify(o, w, 0);
            if (st != QPM_OK) {
                o->have_sol = 0;
                return st;
            }
            report(o, NULL, QPM_OPT_TARGET_RETURN, w, 0, iters);
        } else {
            report(o, &b, QPM_OPT_TARGET_RETURN, w, exact, iters);
        }
        warm = 1;
        if (weights != NULL)
            memcpy(weights + j * ldw, o->w, n * sizeof *w);
        if (returns != NULL)
            returns[j] = o->info[QPM_OPT_INFO_EXP_RETURN];
        if (vols != NULL)
            vols[j] = o->info[QPM_OPT_INFO_VOLATILITY];
        int pct = (int)(200.0 * (double)(j + 1) / (double)k);
        if (pct != last_report || j + 1 == k) {
            last_report = pct;
            if ((st = qpm__progress_report(&o->progress, (double)(j + 1) / (double)k)) != QPM_OK) {
                o->have_sol = 0;
                return st;
            }
        }
    }
    return QPM_OK;
}
