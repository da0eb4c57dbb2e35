/* A problem as a QP: the variables and rows of the budget, the box, the
 * gross and turnover limits (auxiliary variables for the absolute values),
 * groups and linear rows, the homogenised form of the maximum Sharpe ratio
 * and the Rockafellar-Uryasev rows of min-CVaR; the exact power-of-two
 * scaling of the data; solving it and reading the weights back. */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <string.h>

#include "num/linalg.h"
#include "opt_internal.h"

#define NONE QPM__OPT_NONE

/* ---- rows ------------------------------------------------------------------------- */

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

/* ---- the QP ------------------------------------------------------------------------ */

void qpm__opt_build_init(qpm__opt_build *b, double pscale)
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
int qpm__opt_mu_scale(const qpm_opt *o, double extra)
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
void qpm__opt_minvar_scales(const qpm_opt *o, qpm__opt_build *b)
{
    b->fexp = o->s_exp;
}

/* Objective scaling of MEAN_VARIANCE, min gamma/2 w'Sw - mu'w: with S stored
 * as 2^s_exp S, the QP takes P = gamma 2^(-s_exp - e) S_stored and c = -2^-e
 * mu, the problem's objective times 2^-e, where 2^e is the larger of the
 * two terms' scales when that lies outside [2^-20, 2^20] (else e = 0). */
void qpm__opt_mv_scales(const qpm_opt *o, qpm__opt_build *b)
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

/* The QP of a problem, phase by phase: the variables' layout, the shape
 * (and the workspace reserved for it), then the rows in a fixed order:
 * equalities (budget first, then the return target or the homogenising
 * row), the box, the limits, groups and linear rows, and the CVaR rows. */

/* Phase 1: the variables after the n weights (their first indices in b). */
static size_t layout(const qpm_opt *o, qpm__opt_build *b, int gross, int turn)
{
    size_t n = o->n, nv = n;
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
    if (b->cvar) {
        b->iz = nv;
        nv += 1 + o->nscen;
    }
    return nv;
}

/* Phase 2: the numbers of equality rows, inequality rows and inequality
 * nonzeros of the problem. */
static void shape(const qpm_opt *o, const qpm__opt_build *b, int gross, int turn, size_t *pme,
                  size_t *pmi, size_t *pnnz)
{
    size_t n = o->n, ns = b->cvar ? o->nscen : 0;
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
    *pme = me;
    *pmi = mi;
    *pnnz = nnz;
}

/* Phase 4: |w_i| <= t_i with sum t <= L (gross), |w_i - w0_i| <= t_i with
 * sum t <= T (turnover). */
static void limit_rows(qpm_opt *o, qpm__opt_build *b, int gross, int turn)
{
    size_t n = o->n, kap = b->ik;
    qpm__qp *qp = &o->qp;
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
}

/* Phase 6: the Rockafellar-Uryasev rows of min-CVaR. */
static void cvar_rows(qpm_opt *o, qpm__opt_build *b)
{
    size_t n = o->n, ns = o->nscen;
    qpm__qp *qp = &o->qp;
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
}

qpm_status qpm__opt_build_qp(qpm_opt *o, qpm__opt_build *b)
{
    size_t n = o->n, me, mi, nnz;
    int gross = isfinite(o->gross), turn = isfinite(o->turnover);
    size_t nv = layout(o, b, gross, turn);
    shape(o, b, gross, turn, &me, &mi, &nnz);
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
    /* Phase 3: the equalities (budget first, then the return target and the
     * homogenising row mu'y - rf kappa = 1), and the box (a fixed weight as
     * an equality, finite bounds as single-variable rows, recorded in brow) */
    size_t kap = b->ik;
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
    limit_rows(o, b, gross, turn);
    /* Phase 5: groups and linear rows (an equality, or each finite side),
     * and kappa >= 0 of the homogenised form */
    for (size_t g = 0; g < o->ngroups; g++)
        user_row(qp, NULL, o->group_of, g, n, o->glo[g], o->ghi[g], kap);
    for (size_t l = 0; l < o->nlin; l++)
        user_row(qp, o->lin + l * n, NULL, 0, n, o->llo[l], o->lhi[l], kap);
    if (b->homog) {
        row_push(qp, kap, -1.0);
        row_end(qp, 0.0, NONE);
    }
    cvar_rows(o, b);
    return QPM_OK;
}

/* ---- solving and reading back -------------------------------------------------------- */

/* ---- solving and reporting ----------------------------------------------------------- */

qpm_status qpm__opt_run_qp(qpm_opt *o, const qpm__opt_build *b, int warm, int *exact, size_t *iters)
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
static void snap(const qpm_opt *o, const qpm__opt_build *b, double *w)
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
qpm_status qpm__opt_extract(const qpm_opt *o, const qpm__opt_build *b, double *w)
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
