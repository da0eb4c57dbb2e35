/* The allocation problems, one row each in qpm__opt_problems: what a
 * problem needs, how it is solved (minimum variance and target return as
 * one QP, mean-variance with a linear term, the maximum Sharpe ratio
 * homogenised, min-CVaR as an LP, target risk by a search along the
 * frontier, ERC by Newton's method) and its objective. */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <string.h>

#include "num/linalg.h"
#include "opt_internal.h"

#define NONE QPM__OPT_NONE

/* minimum variance (target < 0: none) into w; leaves the QP in o->qp */
qpm_status qpm__opt_solve_minvar(qpm_opt *o, qpm__opt_build *b, int target, double r, int warm,
                                 double *w, int *exact, size_t *iters)
{
    qpm__opt_build_init(b, 2.0);
    qpm__opt_minvar_scales(o, b);
    b->mexp = target ? qpm__opt_mu_scale(o, 0.0) : 0;
    b->warm_only = warm > 1;
    b->target = target;
    b->target_value = r;
    qpm_status st = qpm__opt_build_qp(o, b);
    if (st == QPM_OK)
        st = qpm__opt_run_qp(o, b, warm, exact, iters);
    if (st == QPM_OK)
        st = qpm__opt_extract(o, b, w);
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
qpm_status qpm__opt_max_return(qpm_opt *o, double *rmax, double *w, int *have_w, size_t *iters)
{
    *have_w = 0;
    if (!bounded(o)) {
        double m = -DBL_MAX;
        for (size_t i = 0; i < o->n; i++)
            m = fmax(m, o->mu[i] * o->budget);
        *rmax = m;
        return QPM_OK;
    }
    qpm__opt_build b;
    qpm__opt_build_init(&b, 0.0);
    b.linear_mu = 1;
    b.mexp = qpm__opt_mu_scale(o, 0.0);
    int exact;
    qpm_status st = qpm__opt_build_qp(o, &b);
    if (st == QPM_OK)
        st = qpm__opt_run_qp(o, &b, 0, &exact, iters);
    if (st != QPM_OK)
        return st;
    memcpy(w, o->qp.x, o->n * sizeof *w);
    *rmax = qpm__opt_mu_dot(o, w);
    *have_w = 1;
    return QPM_OK;
}

/* ---- TARGET_RISK ------------------------------------------------------------------------
 * The largest return at volatility <= s* is the frontier point whose
 * variance is s*^2 (along the frontier the minimum variance increases with
 * the target return), found on the target return r in three phases. */

typedef struct risk_search {
    double s2;       /* s*^2 */
    double rlo, flo; /* a target return whose minimum variance is <= s2, and var - s2 there */
    double rhi, fhi; /* one whose minimum variance is above s2 (when found) */
} risk_search;

/* Phase 1: the minimum-variance portfolio, which must be within s*
 * (QPM_E_INFEASIBLE otherwise); its return is the lower end. */
static qpm_status risk_lower_end(qpm_opt *o, double *w, qpm__opt_result *res, risk_search *sr)
{
    qpm_status st = qpm__opt_solve_minvar(o, &res->b, 0, 0.0, 0, w, &res->exact, &res->iters);
    if (st != QPM_OK)
        return st;
    double vmin = qpm__opt_quad(o, w, o->wtmp);
    if (vmin > sr->s2 * (1.0 + 1e-12))
        return qpm__fail(QPM_E_INFEASIBLE,
                         "QPM_OPT_VOL_TARGET = %g < %.17g, the minimum-variance volatility",
                         o->target_vol, sqrt(fmax(vmin, 0.0)));
    sr->rlo = qpm__opt_mu_dot(o, w);
    sr->flo = vmin - sr->s2;
    return QPM_OK;
}

/* Phase 2: a target return whose minimum variance exceeds s*^2: the
 * largest attainable return when the constraints bound the weights (*done
 * when even that one stays within s*: it is the answer, left in w), else
 * steps doubling from the lower end. */
static qpm_status risk_upper_end(qpm_opt *o, double *w, qpm__opt_result *res, risk_search *sr,
                                 int *done)
{
    double rmax;
    int have_lp;
    /* the LP weights would clobber w: keep them in the flags-sized scratch of the QP */
    qpm_status st = qpm__opt_max_return(o, &rmax, o->wtmp, &have_lp, &res->iters);
    if (st != QPM_OK)
        return st;
    *done = 0;
    if (bounded(o)) {
        sr->rhi = rmax;
        st = qpm__opt_solve_minvar(o, &res->b, 1, sr->rhi, 0, w, &res->exact, &res->iters);
        if (st != QPM_OK)
            return st;
        sr->fhi = qpm__opt_quad(o, w, o->wtmp) - sr->s2;
        *done = sr->fhi <= 0.0;
        return QPM_OK;
    }
    double step = fmax(fabs(rmax - sr->rlo), 1e-3 * (1.0 + fabs(sr->rlo)));
    for (int k = 0;; k++) {
        sr->rhi = sr->rlo + step;
        st = qpm__opt_solve_minvar(o, &res->b, 1, sr->rhi, 0, w, &res->exact, &res->iters);
        if (st != QPM_OK)
            return st;
        sr->fhi = qpm__opt_quad(o, w, o->wtmp) - sr->s2;
        if (sr->fhi > 0.0)
            return QPM_OK;
        if (k == 200)
            return qpm__fail(QPM_E_NOCONVERGE, "target risk: no bracket found");
        sr->rlo = sr->rhi;
        sr->flo = sr->fhi;
        step *= 2.0;
    }
}

/* Phase 3: Illinois false position on var(r) - s*^2, increasing on
 * [rlo, rhi], until it vanishes to rounding or the bracket closes; each
 * solve starts from the previous active set.  The last solve is in w. */
static qpm_status risk_refine(qpm_opt *o, double *w, qpm__opt_result *res, risk_search *sr)
{
    int side = 0;
    double r = sr->rhi;
    for (int it = 0; it < 200; it++) {
        r = (sr->rlo * sr->fhi - sr->rhi * sr->flo) / (sr->fhi - sr->flo);
        if (!(r > sr->rlo && r < sr->rhi))
            r = qpm__mean2(sr->rlo, sr->rhi);
        qpm_status st = qpm__opt_solve_minvar(o, &res->b, 1, r, 1, w, &res->exact, &res->iters);
        if (st != QPM_OK)
            return st;
        double f = qpm__opt_quad(o, w, o->wtmp) - sr->s2;
        if (fabs(f) <= 4.0 * DBL_EPSILON * sr->s2 ||
            sr->rhi - sr->rlo <= 4.0 * DBL_EPSILON * fabs(r))
            break;
        if (f > 0.0) {
            sr->rhi = r;
            sr->fhi = f;
            if (side == 1)
                sr->flo *= 0.5;
            side = 1;
        } else {
            sr->rlo = r;
            sr->flo = f;
            if (side == -1)
                sr->fhi *= 0.5;
            side = -1;
        }
    }
    return QPM_OK;
}

static qpm_status solve_target_risk(qpm_opt *o, double *w, qpm__opt_result *res)
{
    risk_search sr = {o->target_vol * o->target_vol, 0.0, 0.0, 0.0, 0.0};
    int done = 0;
    res->has_qp = 1;
    qpm_status st = risk_lower_end(o, w, res, &sr);
    if (st == QPM_OK)
        st = risk_upper_end(o, w, res, &sr, &done);
    if (st == QPM_OK && !done)
        st = risk_refine(o, w, res, &sr);
    return st;
}

/* ---- the QP problems ----------------------------------------------------------------------- */

static qpm_status solve_min_variance(qpm_opt *o, double *w, qpm__opt_result *res)
{
    res->has_qp = 1;
    return qpm__opt_solve_minvar(o, &res->b, 0, 0.0, 0, w, &res->exact, &res->iters);
}

static qpm_status solve_target_return(qpm_opt *o, double *w, qpm__opt_result *res)
{
    res->has_qp = 1;
    qpm_status st =
        qpm__opt_solve_minvar(o, &res->b, 1, o->target_ret, 0, w, &res->exact, &res->iters);
    if (st == QPM_E_INFEASIBLE)
        st = qpm__fail(QPM_E_INFEASIBLE,
                       "QPM_OPT_RETURN_TARGET = %g: not attainable under the constraints",
                       o->target_ret);
    return st;
}

/* The QP of b solved and its weights into w. */
static qpm_status solve_built(qpm_opt *o, double *w, qpm__opt_result *res)
{
    res->has_qp = 1;
    qpm_status st = qpm__opt_build_qp(o, &res->b);
    if (st == QPM_OK)
        st = qpm__opt_run_qp(o, &res->b, 0, &res->exact, &res->iters);
    if (st == QPM_OK)
        st = qpm__opt_extract(o, &res->b, w);
    return st;
}

static qpm_status solve_mean_variance(qpm_opt *o, double *w, qpm__opt_result *res)
{
    qpm__opt_build_init(&res->b, o->gamma);
    qpm__opt_mv_scales(o, &res->b);
    res->b.linear_mu = 1;
    return solve_built(o, w, res);
}

static qpm_status solve_max_sharpe(qpm_opt *o, double *w, qpm__opt_result *res)
{
    qpm__opt_build *b = &res->b;
    qpm__opt_build_init(b, 2.0);
    qpm__opt_minvar_scales(o, b);
    b->mexp = qpm__opt_mu_scale(o, o->rf);
    b->homog = 1;
    res->has_qp = 1;
    qpm_status st = qpm__opt_build_qp(o, b);
    if (st == QPM_OK) {
        st = qpm__opt_run_qp(o, b, 0, &res->exact, &res->iters);
        if (st == QPM_E_INFEASIBLE)
            st = qpm__fail(QPM_E_INFEASIBLE,
                           "maximum Sharpe ratio: no feasible portfolio has an expected "
                           "return above the risk-free rate");
    }
    if (st == QPM_OK)
        st = qpm__opt_extract(o, b, w);
    return st;
}

static qpm_status solve_min_cvar(qpm_opt *o, double *w, qpm__opt_result *res)
{
    qpm__opt_build_init(&res->b, 0.0);
    res->b.cvar = 1;
    return solve_built(o, w, res);
}

/* ERC's Newton workspace is allocated by the first ERC solve and kept, so
 * that later solves allocate nothing; it starts zeroed, as a fresh
 * allocation did. */
static qpm_status solve_erc(qpm_opt *o, double *w, qpm__opt_result *res)
{
    size_t words = o->n * o->n + 4 * o->n;
    if (o->erc_work == NULL) {
        o->erc_work = qpm__calloc(&o->alloc, words, sizeof(double));
        if (o->erc_work == NULL)
            return qpm__fail(QPM_E_NOMEM, "out of memory for the ERC workspace");
    } else {
        memset(o->erc_work, 0, words * sizeof(double));
    }
    res->has_qp = 0;
    res->exact = 1;
    return qpm__opt_erc(o, w, o->erc_work, &res->iters);
}

/* ---- objectives ---------------------------------------------------------------------------- */

static double objective_variance(const qpm_opt *o, double ret, double var, double vol)
{
    (void)o, (void)ret, (void)vol;
    return var;
}

static double objective_mean_variance(const qpm_opt *o, double ret, double var, double vol)
{
    (void)vol;
    return ret - 0.5 * o->gamma * var;
}

static double objective_return(const qpm_opt *o, double ret, double var, double vol)
{
    (void)o, (void)var, (void)vol;
    return ret;
}

static double objective_sharpe(const qpm_opt *o, double ret, double var, double vol)
{
    (void)var;
    return (ret - o->rf) / vol;
}

/* the LP's own objective: z + sum u_t / ((1 - alpha) T), the CVaR */
static double objective_cvar(const qpm_opt *o, double ret, double var, double vol)
{
    (void)ret, (void)var, (void)vol;
    return qpm__ddot((int)o->qp.nv, o->qp.c, 1, o->qp.x, 1);
}

/* ---- the table ------------------------------------------------------------------------------ */

#define MU   QPM__OPT_NEEDS_MU
#define SCEN QPM__OPT_NEEDS_SCENARIOS
#define POS  QPM__OPT_NEEDS_POSITIVE_BUDGET
#define CONS QPM__OPT_CONSTRAINED
const qpm__opt_problem qpm__opt_problems[QPM__OPT_NPROBLEMS] = {
    [QPM_OPT_MIN_VARIANCE] = {"QPM_OPT_MIN_VARIANCE", "the minimum variance", CONS,
                              solve_min_variance, objective_variance},
    [QPM_OPT_MEAN_VARIANCE] = {"QPM_OPT_MEAN_VARIANCE", "mean-variance", MU | CONS,
                               solve_mean_variance, objective_mean_variance},
    [QPM_OPT_TARGET_RETURN] = {"QPM_OPT_TARGET_RETURN", "the target return", MU | CONS,
                               solve_target_return, objective_variance},
    [QPM_OPT_TARGET_RISK] = {"QPM_OPT_TARGET_RISK", "the target risk", MU | CONS, solve_target_risk,
                             objective_return},
    [QPM_OPT_MAX_SHARPE] = {"QPM_OPT_MAX_SHARPE", "the maximum Sharpe ratio", MU | POS | CONS,
                            solve_max_sharpe, objective_sharpe},
    [QPM_OPT_ERC] = {"QPM_OPT_ERC", "ERC", POS, solve_erc, objective_variance},
    [QPM_OPT_MIN_CVAR] = {"QPM_OPT_MIN_CVAR", "min-CVaR", SCEN | CONS, solve_min_cvar,
                          objective_cvar},
};
#undef MU
#undef SCEN
#undef POS
#undef CONS
