/* Dense convex QP: primal-dual interior point (Mehrotra predictor-corrector)
 * to locate the optimum, then an exact active-set step that solves the
 * equality-constrained QP on the identified active set and verifies the
 * KKT conditions, so that bounds hold exactly and the free variables carry
 * only the rounding of one well-conditioned linear solve. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "num/linalg.h"
#include "opt_internal.h"

/* ---- workspace ------------------------------------------------------------- */

/* Every array of the workspace with its length for the given shape, by
 * element type (the bytes act, act0 and the ints ipiv aside). */
#define QPM__QP_NDOUBLE 27
#define QPM__QP_NSIZE 6
typedef struct qp_darray {
    double **p;
    size_t count;
} qp_darray;
typedef struct qp_zarray {
    size_t **p;
    size_t count;
} qp_zarray;

static size_t kkt_cap(size_t nv, size_t me) { return 2 * nv + me + 1; }

static void qp_arrays(qpm__qp *qp, size_t nv, size_t me, size_t mi, size_t nnz,
                      qp_darray d[QPM__QP_NDOUBLE], qp_zarray z[QPM__QP_NSIZE])
{
    size_t m1 = mi + 1, e1 = me + 1, kcap = kkt_cap(nv, me);
    const qp_darray dv[QPM__QP_NDOUBLE] = {
        {&qp->c, nv},      {&qp->E, e1 * nv},    {&qp->e, e1},      {&qp->cv, nnz + 1},
        {&qp->h, m1},      {&qp->x, nv},         {&qp->y, e1},      {&qp->z, m1},
        {&qp->s, m1},      {&qp->dx, nv},        {&qp->dy, e1},     {&qp->dz, m1},
        {&qp->ds, m1},     {&qp->rd, nv},        {&qp->re, e1},     {&qp->ri, m1},
        {&qp->rc, m1},     {&qp->t1, kcap + m1}, {&qp->t2, kcap},   {&qp->t3, m1 + nv},
        {&qp->H, nv * nv}, {&qp->HE, nv * e1},   {&qp->M, e1 * e1}, {&qp->K, kcap * kcap},
        {&qp->kr, kcap},   {&qp->ks, kcap},      {&qp->kt, kcap}};
    const qp_zarray zv[QPM__QP_NSIZE] = {{&qp->rp, m1},   {&qp->ci, nnz + 1}, {&qp->fixed_by, nv},
                                         {&qp->fpos, nv}, {&qp->fvar, nv},    {&qp->arow, m1}};
    memcpy(d, dv, sizeof dv);
    memcpy(z, zv, sizeof zv);
}

void qpm__qp_release(qpm__qp *qp, const qpm_alloc *a)
{
    qp_darray d[QPM__QP_NDOUBLE];
    qp_zarray z[QPM__QP_NSIZE];
    qp_arrays(qp, 0, 0, 0, 0, d, z);
    for (size_t i = 0; i < QPM__QP_NDOUBLE; i++) {
        qpm__free(a, *d[i].p);
        *d[i].p = NULL;
    }
    for (size_t i = 0; i < QPM__QP_NSIZE; i++) {
        qpm__free(a, *z[i].p);
        *z[i].p = NULL;
    }
    qpm__free(a, qp->act);
    qpm__free(a, qp->act0);
    qpm__free(a, qp->ipiv);
    qp->act = qp->act0 = NULL;
    qp->ipiv = NULL;
    qp->cap_nv = qp->cap_me = qp->cap_mi = qp->cap_nnz = qp->cap_k = 0;
}

static size_t zmax(size_t a, size_t b) { return a > b ? a : b; }

qpm_status qpm__qp_reserve(qpm__qp *qp, const qpm_alloc *a, size_t nv, size_t me, size_t mi,
                           size_t nnz)
{
    if (nv <= qp->cap_nv && me <= qp->cap_me && mi <= qp->cap_mi && nnz <= qp->cap_nnz)
        return QPM_OK;
    nv = zmax(nv, qp->cap_nv);
    me = zmax(me, qp->cap_me);
    mi = zmax(mi, qp->cap_mi);
    nnz = zmax(nnz, qp->cap_nnz);
    qpm__qp_release(qp, a);
    size_t m1 = mi + 1, kcap = kkt_cap(nv, me);
    qp_darray d[QPM__QP_NDOUBLE];
    qp_zarray z[QPM__QP_NSIZE];
    qp_arrays(qp, nv, me, mi, nnz, d, z);
    int ok = 1;
    for (size_t i = 0; ok && i < QPM__QP_NDOUBLE; i++)
        ok = (*d[i].p = qpm__calloc(a, d[i].count, sizeof(double))) != NULL;
    for (size_t i = 0; ok && i < QPM__QP_NSIZE; i++)
        ok = (*z[i].p = qpm__calloc(a, z[i].count, sizeof(size_t))) != NULL;
    ok = ok && (qp->act = qpm__calloc(a, m1, 1)) != NULL;
    ok = ok && (qp->act0 = qpm__calloc(a, m1, 1)) != NULL;
    ok = ok && (qp->ipiv = qpm__calloc(a, kcap, sizeof(int))) != NULL;
    if (!ok) {
        qpm__qp_release(qp, a);
        return QPM_E_NOMEM;
    }
    qp->cap_nv = nv;
    qp->cap_me = me;
    qp->cap_mi = mi;
    qp->cap_nnz = nnz;
    qp->cap_k = kcap;
    return QPM_OK;
}

/* ---- products -------------------------------------------------------------- */

/* out = P x */
static void mul_p(const qpm__qp *qp, const double *x, double *out)
{
    memset(out, 0, qp->nv * sizeof *out);
    if (qp->pscale != 0.0 && qp->n > 0)
        qpm__dsymv(QPM__ROW_MAJOR, QPM__UPPER, (int)qp->n, qp->pscale, qp->S, (int)qp->n, x, 1, 0.0,
                   out, 1);
}

static double row_dot(const qpm__qp *qp, size_t k, const double *x)
{
    double acc = 0.0;
    for (size_t p = qp->rp[k]; p < qp->rp[k + 1]; p++)
        acc += qp->cv[p] * x[qp->ci[p]];
    return acc;
}

static double vmax_abs(const double *v, size_t n)
{
    double m = 0.0;
    for (size_t i = 0; i < n; i++)
        if (fabs(v[i]) > m)
            m = fabs(v[i]);
    return m;
}

/* ---- interior point ---------------------------------------------------------- */

/* Factorises H = P + G' W G + delta I (column-major, lower) and, when
 * me > 0, the Schur complement M = E H^-1 E'.  Returns 0 on success. */
static int ipm_factor(qpm__qp *qp, const double *W)
{
    size_t nv = qp->nv, n = qp->n, me = qp->me;
    double *H = qp->H;
    memset(H, 0, nv * nv * sizeof *H);
    if (qp->pscale != 0.0)
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < n; j++)
                H[i * nv + j] = qp->pscale * qp->S[i * n + j];
    for (size_t k = 0; k < qp->mi; k++)
        for (size_t p = qp->rp[k]; p < qp->rp[k + 1]; p++)
            for (size_t q = qp->rp[k]; q < qp->rp[k + 1]; q++)
                H[qp->ci[p] * nv + qp->ci[q]] += W[k] * qp->cv[p] * qp->cv[q];
    double dmax = 0.0;
    for (size_t i = 0; i < nv; i++)
        dmax = fmax(dmax, H[i * nv + i]);
    double delta = 1e-14 * (1.0 + dmax);
    for (int attempt = 0; attempt < 8; attempt++) {
        if (attempt > 0) {
            /* restore the lower triangle from the intact upper one */
            for (size_t i = 0; i < nv; i++)
                for (size_t j = i + 1; j < nv; j++)
                    H[i * nv + j] = H[j * nv + i];
            /* diagonal was overwritten: rebuild it */
            for (size_t i = 0; i < nv; i++)
                H[i * nv + i] = qp->t3[i];
        } else {
            for (size_t i = 0; i < nv; i++)
                qp->t3[i] = H[i * nv + i];
        }
        for (size_t i = 0; i < nv; i++)
            H[i * nv + i] = qp->t3[i] + delta;
        /* column-major lower == row-major upper: the layout is symmetric */
        if (qpm__dpotrf(QPM__LAPACK_COL_MAJOR, 'L', (qpm__lapack_int)nv, H,
                        (qpm__lapack_int)nv) == 0)
            break;
        if (attempt == 7)
            return 1;
        delta *= 1e3;
    }
    if (me == 0)
        return 0;
    /* HE = H^-1 E' (column r = solve with row r of E) */
    for (size_t r = 0; r < me; r++)
        memcpy(qp->HE + r * nv, qp->E + r * nv, nv * sizeof(double));
    if (qpm__dpotrs(QPM__LAPACK_COL_MAJOR, 'L', (qpm__lapack_int)nv, (qpm__lapack_int)me, H,
                    (qpm__lapack_int)nv, qp->HE, (qpm__lapack_int)nv) != 0)
        return 1;
    double mmax = 0.0;
    for (size_t r = 0; r < me; r++)
        for (size_t q = 0; q < me; q++) {
            double v = qpm__ddot((int)nv, qp->E + r * nv, 1, qp->HE + q * nv, 1);
            qp->M[q * me + r] = v;
            if (r == q)
                mmax = fmax(mmax, v);
        }
    for (size_t r = 0; r < me; r++)
        qp->M[r * me + r] += 1e-15 * (1.0 + mmax);
    if (qpm__dpotrf(QPM__LAPACK_COL_MAJOR, 'L', (qpm__lapack_int)me, qp->M,
                    (qpm__lapack_int)me) != 0)
        return 1;
    return 0;
}

/* Solves [H E'; E 0] [dx; dy] = [f; g]; f in dx on entry, g in dy. */
static void ipm_kkt_solve(qpm__qp *qp, double *dx, double *dy)
{
    size_t nv = qp->nv, me = qp->me;
    qpm__dpotrs(QPM__LAPACK_COL_MAJOR, 'L', (qpm__lapack_int)nv, 1, qp->H, (qpm__lapack_int)nv, dx,
                (qpm__lapack_int)nv);
    if (me == 0)
        return;
    /* dy = M^-1 (E u - g), dx = u - HE dy */
    for (size_t r = 0; r < me; r++)
        dy[r] = qpm__ddot((int)nv, qp->E + r * nv, 1, dx, 1) - dy[r];
    qpm__dpotrs(QPM__LAPACK_COL_MAJOR, 'L', (qpm__lapack_int)me, 1, qp->M, (qpm__lapack_int)me, dy,
                (qpm__lapack_int)me);
    for (size_t r = 0; r < me; r++)
        qpm__daxpy((int)nv, -dy[r], qp->HE + r * nv, 1, dx, 1);
}

/* Newton direction for the complementarity target rc (s∘z + ds∘z + s∘dz = -rc form):
 * solves with the factorisation in place; W = z/s in t1. */
static void ipm_direction(qpm__qp *qp, const double *rc)
{
    size_t nv = qp->nv, mi = qp->mi;
    const double *W = qp->t1;
    /* f = -rd - G'(W ri + rc/s) */
    for (size_t i = 0; i < nv; i++)
        qp->dx[i] = -qp->rd[i];
    for (size_t k = 0; k < mi; k++) {
        double v = W[k] * qp->ri[k] + rc[k] / qp->s[k];
        for (size_t p = qp->rp[k]; p < qp->rp[k + 1]; p++)
            qp->dx[qp->ci[p]] -= qp->cv[p] * v;
    }
    for (size_t r = 0; r < qp->me; r++)
        qp->dy[r] = -qp->re[r];
    ipm_kkt_solve(qp, qp->dx, qp->dy);
    for (size_t k = 0; k < mi; k++) {
        double gdx = row_dot(qp, k, qp->dx);
        qp->dz[k] = W[k] * (gdx + qp->ri[k]) + rc[k] / qp->s[k];
        qp->ds[k] = -qp->ri[k] - gdx;
    }
}

static double max_step(const double *v, const double *dv, size_t m)
{
    double a = 1.0;
    for (size_t k = 0; k < m; k++)
        if (dv[k] < 0.0 && -v[k] / dv[k] < a)
            a = -v[k] / dv[k];
    return a;
}

/* The interior point in phases: a start (scales, slacks and multipliers),
 * then per iteration the residuals, the stopping tests and one
 * predictor-corrector step. */

/* Phase 1: the scales of the primal (sp) and dual (sd) residuals and the
 * starting point: x as given, slacks s = max(h - Gx, 1), z = 1, y = 0. */
static void ipm_start(qpm__qp *qp, double *sp, double *sd)
{
    size_t nv = qp->nv, me = qp->me, mi = qp->mi;
    *sp = 1.0;
    *sd = 1.0 + vmax_abs(qp->c, nv);
    for (size_t k = 0; k < mi; k++)
        *sp = fmax(*sp, 1.0 + fabs(qp->h[k]));
    for (size_t r = 0; r < me; r++)
        *sp = fmax(*sp, 1.0 + fabs(qp->e[r]));
    for (size_t k = 0; k < mi; k++) {
        qp->s[k] = fmax(qp->h[k] - row_dot(qp, k, qp->x), 1.0);
        qp->z[k] = 1.0;
    }
    memset(qp->y, 0, (me + 1) * sizeof *qp->y);
}

/* The residuals of the current iterate and what the stopping tests read. */
typedef struct ipm_resid {
    double pxmax; /* |P x|_inf */
    double mu;    /* complementarity s'z / mi */
    double zmax;  /* largest multiplier */
    double nd;    /* dual residual |Px + c + E'y + G'z|_inf */
    double np;    /* primal residual, equalities and inequalities */
} ipm_resid;

/* Phase 2 (each iteration): rd, re, ri and their norms. */
static ipm_resid ipm_residuals(qpm__qp *qp)
{
    size_t nv = qp->nv, me = qp->me, mi = qp->mi;
    const double *x = qp->x, *s = qp->s, *z = qp->z, *y = qp->y;
    ipm_resid r;
    mul_p(qp, x, qp->rd);
    r.pxmax = vmax_abs(qp->rd, nv);
    for (size_t i = 0; i < nv; i++)
        qp->rd[i] += qp->c[i];
    for (size_t e = 0; e < me; e++) {
        qpm__daxpy((int)nv, y[e], qp->E + e * nv, 1, qp->rd, 1);
        qp->re[e] = qpm__ddot((int)nv, qp->E + e * nv, 1, x, 1) - qp->e[e];
    }
    double mu = 0.0, zmax = 0.0;
    for (size_t k = 0; k < mi; k++) {
        for (size_t p = qp->rp[k]; p < qp->rp[k + 1]; p++)
            qp->rd[qp->ci[p]] += qp->cv[p] * z[k];
        qp->ri[k] = row_dot(qp, k, x) + s[k] - qp->h[k];
        mu += s[k] * z[k];
        zmax = fmax(zmax, z[k]);
    }
    r.mu = mi > 0 ? mu / (double)mi : 0.0;
    r.zmax = zmax;
    r.nd = vmax_abs(qp->rd, nv);
    r.np = fmax(vmax_abs(qp->re, me), vmax_abs(qp->ri, mi));
    return r;
}

/* Phase 4 (each iteration, after the stopping tests of phase 3): the
 * Mehrotra predictor (affine step) and corrector (centring sigma mu), and
 * the step taken, 0.995 of the way to the boundary.  Returns the step
 * length, or -1 when H could not be factorised. */
static double ipm_step(qpm__qp *qp, double mu)
{
    size_t nv = qp->nv, me = qp->me, mi = qp->mi;
    double *x = qp->x, *s = qp->s, *z = qp->z, *y = qp->y;
    for (size_t k = 0; k < mi; k++)
        qp->t1[k] = z[k] / s[k];
    if (ipm_factor(qp, qp->t1))
        return -1.0;
    /* predictor */
    for (size_t k = 0; k < mi; k++)
        qp->rc[k] = -s[k] * z[k];
    ipm_direction(qp, qp->rc);
    double a = fmin(max_step(s, qp->ds, mi), max_step(z, qp->dz, mi));
    double mua = 0.0;
    for (size_t k = 0; k < mi; k++)
        mua += (s[k] + a * qp->ds[k]) * (z[k] + a * qp->dz[k]);
    mua = mi > 0 ? mua / (double)mi : 0.0;
    double sigma = mu > 0.0 ? pow(mua / mu, 3.0) : 0.0;
    if (sigma > 1.0)
        sigma = 1.0;
    /* corrector */
    for (size_t k = 0; k < mi; k++)
        qp->rc[k] = -s[k] * z[k] - qp->ds[k] * qp->dz[k] + sigma * mu;
    ipm_direction(qp, qp->rc);
    a = fmin(max_step(s, qp->ds, mi), max_step(z, qp->dz, mi));
    a = fmin(1.0, 0.995 * a);
    for (size_t i = 0; i < nv; i++)
        x[i] += a * qp->dx[i];
    for (size_t r = 0; r < me; r++)
        y[r] += a * qp->dy[r];
    for (size_t k = 0; k < mi; k++) {
        s[k] += a * qp->ds[k];
        z[k] += a * qp->dz[k];
        if (s[k] < 1e-300)
            s[k] = 1e-300;
        if (z[k] < 1e-300)
            z[k] = 1e-300;
    }
    return a;
}

static qpm__qp_result ipm(qpm__qp *qp, double tol, size_t maxiter, size_t *iters)
{
    double sp, sd;
    ipm_start(qp, &sp, &sd);
    int stall = 0;
    for (size_t it = 0; it < maxiter; it++) {
        ipm_resid r = ipm_residuals(qp);
        double sdi = sd + r.pxmax;
        /* Phase 3: stop on convergence, on evidence of infeasibility
         * (multipliers growing without the primal residual falling), or
         * after six stalled steps.  The dual residual can stall a little
         * above tol when the barrier terms make H ill-conditioned; with
         * complementarity converged the active set is already clear, and
         * the exact step verifies it. */
        if (r.np <= tol * sp && r.mu <= tol * 1e-2 && (r.nd <= tol * sdi || r.nd <= 1e-6 * sdi))
            return QPM__QP_OPTIMAL;
        if (r.zmax > 1e13 * sdi && r.np > 1e-6 * sp)
            return QPM__QP_INFEASIBLE;
        if (stall >= 6)
            return r.np > 1e-6 * sp ? QPM__QP_INFEASIBLE : QPM__QP_MAXITER;
        (*iters)++;
        double a = ipm_step(qp, r.mu);
        if (a < 0.0)
            return r.np > 1e-6 * sp ? QPM__QP_INFEASIBLE : QPM__QP_MAXITER;
        stall = a < 1e-8 ? stall + 1 : 0;
    }
    /* the iteration limit, with no evidence of infeasibility: not
     * converged (QPM_E_NOCONVERGE), whatever the primal residual */
    return QPM__QP_MAXITER;
}

/* ---- exact active-set step ----------------------------------------------------- */

/* Coefficient of variable j in constraint row r of the reduced system (r <
 * me: equality r; else active inequality arow[r - me]). */
typedef struct kmap {
    size_t nf, nc, na;
} kmap;

/* y = K v for the reduced KKT matrix K = [P_FF C_F'; C_F 0] */
static void kmul(const qpm__qp *qp, const kmap *km, const double *v, double *out)
{
    size_t nf = km->nf, nv = qp->nv, n = qp->n;
    double *full = qp->t3; /* nv scratch: v_F scattered */
    memset(full, 0, nv * sizeof *full);
    for (size_t q = 0; q < nf; q++)
        full[qp->fvar[q]] = v[q];
    memset(out, 0, (nf + km->nc) * sizeof *out);
    if (qp->pscale != 0.0)
        for (size_t p = 0; p < nf; p++) {
            size_t i = qp->fvar[p];
            if (i >= n)
                continue;
            const double *Si = qp->S + i * n;
            double acc = 0.0;
            for (size_t j = 0; j < n; j++)
                acc += Si[j] * full[j];
            out[p] = qp->pscale * acc;
        }
    for (size_t r = 0; r < qp->me; r++) {
        const double *Er = qp->E + r * nv;
        double acc = 0.0, lam = v[nf + r];
        for (size_t q = 0; q < nf; q++) {
            acc += Er[qp->fvar[q]] * v[q];
            out[q] += Er[qp->fvar[q]] * lam;
        }
        out[nf + r] = acc;
    }
    for (size_t a = 0; a < km->na; a++) {
        size_t k = qp->arow[a];
        double acc = 0.0, lam = v[nf + qp->me + a];
        for (size_t p = qp->rp[k]; p < qp->rp[k + 1]; p++) {
            size_t f = qp->fpos[qp->ci[p]];
            if (f == QPM__OPT_NONE)
                continue;
            acc += qp->cv[p] * v[f];
            out[f] += qp->cv[p] * lam;
        }
        out[nf + qp->me + a] = acc;
    }
}

/* One equality-constrained solve on the active set in qp->act, in five
 * phases.  Returns 0 on success with x, y, z filled (z of every active row,
 * 0 elsewhere). */

/* Phase 1: every active single-variable row (a bound) fixes its variable at
 * the bound (a second active bound of the same variable is dropped); the
 * other active rows are listed in arow.  Returns their number. */
static size_t as_fix_bounds(qpm__qp *qp)
{
    size_t nv = qp->nv, mi = qp->mi;
    double *x = qp->x;
    for (size_t j = 0; j < nv; j++)
        qp->fixed_by[j] = QPM__OPT_NONE;
    size_t na = 0;
    for (size_t k = 0; k < mi; k++) {
        if (!qp->act[k])
            continue;
        if (qp->rp[k + 1] - qp->rp[k] == 1) {
            size_t j = qp->ci[qp->rp[k]];
            if (qp->fixed_by[j] != QPM__OPT_NONE) {
                qp->act[k] = 0;
                continue;
            }
            qp->fixed_by[j] = k;
            x[j] = qp->h[k] / qp->cv[qp->rp[k]];
        } else {
            qp->arow[na++] = k;
        }
    }
    return na;
}

/* Phase 2: a variable without curvature (beyond the first n) that no
 * equality and no active row determines would leave K singular: an
 * auxiliary t_i >= |w_i| whose limit is slack.  Its value is then
 * immaterial, so the tightest of its rows is made active (multiplier 0 at
 * the optimum). */
static void as_cover_auxiliaries(qpm__qp *qp, size_t *pna)
{
    size_t nv = qp->nv, n = qp->n, me = qp->me, mi = qp->mi, na = *pna;
    double *x = qp->x;
    if (qp->nv > n) {
        unsigned char *cov = (unsigned char *)qp->fpos; /* nv flags, rebuilt below */
        memset(cov, 0, nv);
        for (size_t r = 0; r < me; r++)
            for (size_t j = n; j < nv; j++)
                if (qp->E[r * nv + j] != 0.0)
                    cov[j] = 1;
        for (size_t k = 0; k < mi; k++)
            if (qp->act[k])
                for (size_t p = qp->rp[k]; p < qp->rp[k + 1]; p++)
                    cov[qp->ci[p]] = 1;
        for (size_t j = n; j < nv; j++) {
            if (cov[j] || qp->fixed_by[j] != QPM__OPT_NONE)
                continue;
            /* the shortest rows first (|w_i| <= t_i before sum t <= L) */
            size_t best = QPM__OPT_NONE, bn = (size_t)-1;
            double bs = (double)INFINITY;
            for (size_t k = 0; k < mi; k++) {
                size_t len = qp->rp[k + 1] - qp->rp[k];
                if (qp->act[k] || len < 2 || len > bn)
                    continue;
                for (size_t p = qp->rp[k]; p < qp->rp[k + 1]; p++)
                    if (qp->ci[p] == j) {
                        double sl = qp->h[k] - row_dot(qp, k, x);
                        if (len < bn || sl < bs) {
                            bn = len;
                            bs = sl;
                            best = k;
                        }
                    }
            }
            if (best == QPM__OPT_NONE)
                continue;
            qp->act[best] = 1;
            qp->arow[na++] = best;
            for (size_t p = qp->rp[best]; p < qp->rp[best + 1]; p++)
                cov[qp->ci[p]] = 1;
        }
    }
    *pna = na;
}

/* Phase 3: the free variables (those no bound fixes) are numbered: fvar[q]
 * is the q-th, fpos[j] the number of j or QPM__OPT_NONE.  Returns their
 * count. */
static size_t as_free_variables(qpm__qp *qp)
{
    size_t nv = qp->nv;
    size_t nf = 0;
    for (size_t j = 0; j < nv; j++) {
        if (qp->fixed_by[j] == QPM__OPT_NONE) {
            qp->fpos[j] = nf;
            qp->fvar[nf++] = j;
        } else {
            qp->fpos[j] = QPM__OPT_NONE;
        }
    }
    return nf;
}

/* Phase 4: the reduced KKT system K [x_F; y; z_A] = rhs is formed, solved
 * and refined; returns 1 when it could be solved to the refinement's
 * tolerance, the solution in qp->ks. */
static int as_solve_kkt(qpm__qp *qp, const kmap *km)
{
    size_t nv = qp->nv, n = qp->n, me = qp->me, nf = km->nf, nc = km->nc, na = km->na;
    size_t nk = nf + nc;
    double *x = qp->x;
    /* right-hand side: [-(c + P x_B)_F; e - E x_B; h_A - G_A x_B] with x_F = 0 */
    double *xs = qp->t2;
    for (size_t j = 0; j < nv; j++)
        xs[j] = qp->fpos[j] == QPM__OPT_NONE ? x[j] : 0.0;
    mul_p(qp, xs, qp->t1);
    double *rhs = qp->kr;
    for (size_t q = 0; q < nf; q++)
        rhs[q] = -(qp->c[qp->fvar[q]] + qp->t1[qp->fvar[q]]);
    for (size_t r = 0; r < me; r++)
        rhs[nf + r] = qp->e[r] - qpm__ddot((int)nv, qp->E + r * nv, 1, xs, 1);
    for (size_t a = 0; a < na; a++)
        rhs[nf + me + a] = qp->h[qp->arow[a]] - row_dot(qp, qp->arow[a], xs);
    /* K, column-major (symmetric, so either layout).  A first attempt
     * factorises K itself; when the active constraints are linearly
     * dependent (degenerate, e.g. a limit implied by the budget and other
     * active rows), K is singular but the system is consistent: the second
     * attempt factorises K with -delta I in the constraint block and lets
     * iterative refinement against the true K drive the residual to zero,
     * which picks one valid set of multipliers. */
    double *sol = qp->ks, *res = qp->kt;
    double rmax = vmax_abs(rhs, nk), kmax = 0.0;
    int solved = 0;
    for (int attempt = nc > nf ? 1 : 0; attempt < 2 && !solved; attempt++) {
        double *K = qp->K;
        memset(K, 0, nk * nk * sizeof *K);
        if (qp->pscale != 0.0)
            for (size_t p = 0; p < nf; p++) {
                size_t i = qp->fvar[p];
                if (i >= n)
                    continue;
                for (size_t q = 0; q < nf; q++) {
                    size_t j = qp->fvar[q];
                    if (j < n)
                        K[p * nk + q] = qp->pscale * qp->S[i * n + j];
                }
            }
        for (size_t r = 0; r < me; r++)
            for (size_t q = 0; q < nf; q++) {
                double v = qp->E[r * nv + qp->fvar[q]];
                K[(nf + r) * nk + q] = v;
                K[q * nk + nf + r] = v;
            }
        for (size_t a = 0; a < na; a++) {
            size_t k = qp->arow[a];
            for (size_t p = qp->rp[k]; p < qp->rp[k + 1]; p++) {
                size_t f = qp->fpos[qp->ci[p]];
                if (f == QPM__OPT_NONE)
                    continue;
                K[(nf + me + a) * nk + f] = qp->cv[p];
                K[f * nk + nf + me + a] = qp->cv[p];
            }
        }
        if (kmax == 0.0)
            for (size_t i = 0; i < nk * nk; i++)
                kmax = fmax(kmax, fabs(K[i]));
        if (attempt == 1) {
            for (size_t i = nf; i < nk; i++)
                K[i * nk + i] = -1e-10 * kmax;
        }
        if (qpm__dgetrf(QPM__LAPACK_COL_MAJOR, (qpm__lapack_int)nk, (qpm__lapack_int)nk, K,
                        (qpm__lapack_int)nk, qp->ipiv) != 0)
            continue;
        memcpy(sol, rhs, nk * sizeof *sol);
        qpm__dgetrs(QPM__LAPACK_COL_MAJOR, 'N', (qpm__lapack_int)nk, 1, K, (qpm__lapack_int)nk,
                    qp->ipiv, sol, (qpm__lapack_int)nk);
        if (!isfinite(vmax_abs(sol, nk)))
            continue;
        /* iterative refinement: the residual uses the problem data itself */
        int passes = attempt == 0 ? 3 : 60;
        double last = (double)INFINITY;
        for (int pass = 0; pass < passes; pass++) {
            kmul(qp, km, sol, res);
            for (size_t i = 0; i < nk; i++)
                res[i] = rhs[i] - res[i];
            double resid = vmax_abs(res, nk), smax = vmax_abs(sol, nk);
            if (resid <= 1e-15 * (rmax + kmax * smax)) {
                solved = 1;
                break;
            }
            if (pass >= 4 && resid > 0.5 * last)
                break; /* not converging: inconsistent rows */
            last = resid;
            qpm__dgetrs(QPM__LAPACK_COL_MAJOR, 'N', (qpm__lapack_int)nk, 1, K, (qpm__lapack_int)nk,
                        qp->ipiv, res, (qpm__lapack_int)nk);
            double cmax = vmax_abs(res, nk);
            if (!isfinite(cmax))
                break;
            for (size_t i = 0; i < nk; i++)
                sol[i] += res[i];
            if (attempt == 0 && !(cmax <= 1e-3 * (smax + DBL_MIN)))
                break; /* too ill-conditioned to trust: regularise */
            if (cmax <= 1e-17 * smax) {
                solved = 1;
                break;
            }
        }
    }
    return solved;
}

/* Phase 5: the solution read back: x_F, the multipliers of the equalities
 * and active rows, and those of the eliminated bounds from stationarity. */
static void as_write_back(qpm__qp *qp, const kmap *km)
{
    size_t nv = qp->nv, me = qp->me, mi = qp->mi, nf = km->nf, na = km->na;
    double *x = qp->x;
    const double *sol = qp->ks;
    for (size_t q = 0; q < nf; q++)
        x[qp->fvar[q]] = sol[q];
    for (size_t r = 0; r < me; r++)
        qp->y[r] = sol[nf + r];
    for (size_t k = 0; k < mi; k++)
        qp->z[k] = 0.0;
    for (size_t a = 0; a < na; a++)
        qp->z[qp->arow[a]] = sol[nf + me + a];
    /* multipliers of the eliminated bounds from stationarity */
    double *g = qp->t1;
    mul_p(qp, x, g);
    for (size_t j = 0; j < nv; j++)
        g[j] += qp->c[j];
    for (size_t r = 0; r < me; r++)
        qpm__daxpy((int)nv, qp->y[r], qp->E + r * nv, 1, g, 1);
    for (size_t a = 0; a < na; a++) {
        size_t k = qp->arow[a];
        for (size_t p = qp->rp[k]; p < qp->rp[k + 1]; p++)
            g[qp->ci[p]] += qp->cv[p] * qp->z[k];
    }
    for (size_t j = 0; j < nv; j++) {
        size_t k = qp->fixed_by[j];
        if (k != QPM__OPT_NONE)
            qp->z[k] = -g[j] / qp->cv[qp->rp[k]];
    }
}

static int as_solve(qpm__qp *qp)
{
    size_t na = as_fix_bounds(qp);
    as_cover_auxiliaries(qp, &na);
    size_t nf = as_free_variables(qp);
    size_t nc = qp->me + na, nk = nf + nc;
    if (nk > qp->cap_k)
        return 1;
    kmap km = {nf, nc, na};
    if (!as_solve_kkt(qp, &km))
        return 1;
    as_write_back(qp, &km);
    return 0;
}

/* Active-set iterations from qp->act.  Returns 0 when the KKT conditions
 * hold (x, y, z, act are the solution).  The first iterations change the set
 * in bulk (every violated constraint in, every wrong-signed multiplier out:
 * the primal-dual active-set method of Hintermueller, Ito and Kunisch, which
 * converges in a few steps from a nearby set, as along a frontier); should
 * that cycle, later iterations change one constraint each way at a time. */
static int active_set(qpm__qp *qp, size_t maxit, size_t *iters)
{
    size_t mi = qp->mi;
    double sd = 1.0 + vmax_abs(qp->c, qp->nv);
    int bulk_ok = 1;
    for (size_t it = 0; it < maxit; it++) {
        int bulk = bulk_ok && it < 12;
        (*iters)++;
        if (as_solve(qp)) {
            /* a bulk change can make the set inconsistent: go back to the
             * last solvable set and change one constraint at a time */
            if (it == 0 || !bulk_ok)
                return 1;
            bulk_ok = 0;
            memcpy(qp->act, qp->act0, mi);
            if (as_solve(qp))
                return 1;
        }
        memcpy(qp->act0, qp->act, mi);
        bulk = bulk_ok && it < 12;
        double zscale = sd + vmax_abs(qp->y, qp->me);
        for (size_t k = 0; k < mi; k++)
            if (qp->act[k])
                zscale = fmax(zscale, fabs(qp->z[k]));
        size_t worst_p = QPM__OPT_NONE, worst_d = QPM__OPT_NONE;
        double vp = 0.0, vd = 0.0;
        for (size_t k = 0; k < mi; k++) {
            if (qp->act[k]) {
                double v = -qp->z[k] / zscale;
                if (v > 1e-13 && v > vd) {
                    vd = v;
                    worst_d = k;
                }
                if (v > 1e-13 && bulk)
                    qp->t3[k] = -1.0;
                else
                    qp->t3[k] = 0.0;
            } else {
                double mag = fabs(qp->h[k]);
                for (size_t p = qp->rp[k]; p < qp->rp[k + 1]; p++)
                    mag += fabs(qp->cv[p] * qp->x[qp->ci[p]]);
                double v = (row_dot(qp, k, qp->x) - qp->h[k]) / (1.0 + mag);
                if (v > 1e-14 && v > vp) {
                    vp = v;
                    worst_p = k;
                }
                qp->t3[k] = v > 1e-14 && bulk ? 1.0 : 0.0;
            }
        }
        if (worst_p == QPM__OPT_NONE && worst_d == QPM__OPT_NONE) {
            /* a variable past its bound by rounding alone (within the
             * tolerance above) sits on it: put it there exactly */
            for (size_t k = 0; k < mi; k++)
                if (!qp->act[k] && qp->rp[k + 1] - qp->rp[k] == 1) {
                    size_t j = qp->ci[qp->rp[k]];
                    double a = qp->cv[qp->rp[k]];
                    if (a * qp->x[j] > qp->h[k]) {
                        qp->x[j] = qp->h[k] / a;
                        qp->act[k] = 1;
                        qp->z[k] = 0.0;
                    }
                }
            return 0;
        }
        if (bulk) {
            for (size_t k = 0; k < mi; k++)
                if (qp->t3[k] != 0.0)
                    qp->act[k] = qp->t3[k] > 0.0;
            continue;
        }
        if (worst_p != QPM__OPT_NONE)
            qp->act[worst_p] = 1;
        if (worst_d != QPM__OPT_NONE)
            qp->act[worst_d] = 0;
    }
    return 1;
}

/* The interior-point solution (x, y, z) kept in dx/dy/dz, or (restore)
 * put back from there, with the active set it indicates (z > s). */
static void interior_solution(qpm__qp *qp, int restore)
{
    double *dst[3] = {qp->dx, qp->dy, qp->dz}, *src[3] = {qp->x, qp->y, qp->z};
    size_t len[3] = {qp->nv, qp->me, qp->mi};
    for (int v = 0; v < 3; v++)
        memcpy(restore ? src[v] : dst[v], restore ? dst[v] : src[v], len[v] * sizeof(double));
    for (size_t k = 0; k < qp->mi; k++)
        qp->act[k] = qp->z[k] > qp->s[k];
}

qpm__qp_result qpm__qp_solve(qpm__qp *qp, double tol, size_t maxiter, int warm, int *exact,
                             size_t *iters)
{
    size_t mi = qp->mi;
    *exact = 0;
    size_t as_max = 2 * mi + 20;
    /* A cold start begins where a fresh workspace does, at x = 0: the reused
     * workspace still holds the previous (maybe failed) solve's iterate, and
     * the interior point's starting slacks are taken at x. */
    if (!warm)
        memset(qp->x, 0, qp->nv * sizeof *qp->x);
    if (warm || mi == 0) {
        if (mi == 0)
            memset(qp->act, 0, 1);
        if (active_set(qp, mi == 0 ? 1 : (as_max < 40 ? as_max : 40), iters) == 0) {
            *exact = 1;
            return QPM__QP_OPTIMAL;
        }
        if (mi == 0)
            return QPM__QP_INFEASIBLE; /* inconsistent or dependent equalities */
        memset(qp->x, 0, qp->nv * sizeof *qp->x);
    }
    qpm__qp_result r = ipm(qp, tol, maxiter, iters);
    if (r != QPM__QP_OPTIMAL)
        return r;
    /* keep the interior-point solution in dx/dy/dz in case the exact step fails */
    interior_solution(qp, 0);
    if (active_set(qp, as_max, iters) == 0) {
        *exact = 1;
        return QPM__QP_OPTIMAL;
    }
    interior_solution(qp, 1);
    return QPM__QP_OPTIMAL;
}
