/* Bounded Levenberg-Marquardt (contract and method in lm.h).
 *
 * Why projection with an active set, rather than a change of variables or a
 * reflective trust region: a transformation such as x = l + (u - l)(1 +
 * sin y)/2 flattens the cost at the bounds (dx/dy = 0 there), so an optimum
 * on a bound is approached ever more slowly and never reached, and the
 * Jacobian in y is singular there, which spoils the covariance; Coleman-Li
 * reflective steps (scipy's 'trf') need their own scaling and step
 * machinery.  Here the variables that sit on a bound the gradient pushes
 * against are frozen for the step, the others take the damped Gauss-Newton
 * step, and the trial point is projected onto the box.  In the interior
 * this is plain Moré-scaled LM with its fast local convergence; as lambda
 * grows the free part of the step turns into the scaled steepest-descent
 * direction, which points into the box, so a decrease is always found
 * while the projected gradient is not zero; and an optimum on a bound is
 * reached exactly. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "lm.h"
#include "linalg.h"

/* Damping beyond which no step can change x. */
#define QPM__LM_LAMBDA_MAX 1e300

struct qpm__lm {
    qpm_alloc alloc;
    size_t m, n;
    qpm__lapack_int lwork;
    double *x, *xt, *xd;  /* n: iterate, trial point, finite-difference point */
    double *lo, *hi;      /* n: bounds */
    double *f, *ft;       /* m: residuals at x and at the trial point */
    double *f1, *f2;      /* m: finite-difference residuals */
    double *jac;          /* m x n, column-major (ld m): J at x */
    double *jrow;         /* m x n, row-major: the Jacobian callback's output */
    double *g, *d;        /* n: J'f, Moré scaling */
    double *p, *s;        /* n: LM step, projected step */
    double *js;           /* m: J s */
    double *qr, *tau;     /* m x n (ld m), n: QR of J's free columns */
    double *qtf;          /* m: Q'f */
    double *a2, *b2;      /* (min(m, n) + n) x n and (min(m, n) + n): damped system */
    double *cov;          /* n x n row-major */
    double *work;         /* lwork */
    size_t *freei;        /* n: free parameter indices */
    qpm__lapack_int *jpvt;
    int *active;
};

void qpm__lm_defaults(qpm__lm_options *opt)
{
    opt->ftol = 1e-10;
    opt->xtol = 1e-10;
    opt->gtol = 1e-10;
    opt->max_iter = 200;
    opt->max_eval = 2000;
    opt->diff = QPM__LM_FORWARD;
    opt->lambda0 = 1e-3;
}

const char *qpm__lm_reason_name(qpm__lm_reason reason)
{
    switch (reason) {
    case QPM__LM_GTOL: return "gtol";
    case QPM__LM_FTOL: return "ftol";
    case QPM__LM_XTOL: return "xtol";
    case QPM__LM_MAX_ITER: return "max_iter";
    case QPM__LM_MAX_EVAL: return "max_eval";
    case QPM__LM_STALLED: return "stalled";
    case QPM__LM_USER_STOP: return "user_stop";
    case QPM__LM_BAD_RESIDUAL: return "bad_residual";
    case QPM__LM_BAD_JACOBIAN: return "bad_jacobian";
    }
    return "unknown";
}

void qpm__lm_free(qpm__lm *lm)
{
    if (lm == NULL)
        return;
    qpm_alloc a = lm->alloc;
    double **dv[] = {&lm->x,  &lm->xt, &lm->xd,  &lm->lo, &lm->hi,  &lm->f,  &lm->ft,
                     &lm->f1, &lm->f2, &lm->jac, &lm->jrow, &lm->g, &lm->d,  &lm->p,
                     &lm->s,  &lm->js, &lm->qr,  &lm->tau, &lm->qtf, &lm->a2, &lm->b2,
                     &lm->cov, &lm->work};
    for (size_t i = 0; i < sizeof dv / sizeof dv[0]; i++)
        qpm__free(&a, *dv[i]);
    qpm__free(&a, lm->freei);
    qpm__free(&a, lm->jpvt);
    qpm__free(&a, lm->active);
    qpm__free(&a, lm);
}

/* Largest optimal workspace of the LAPACK calls for these sizes. */
static qpm__lapack_int workspace(size_t m, size_t n)
{
    qpm__lapack_int lm_ = (qpm__lapack_int)m, ln = (qpm__lapack_int)n;
    qpm__lapack_int lk = (qpm__lapack_int)(m < n ? m : n), rows = lk + ln, one = 1;
    double q = 0.0, dummy = 0.0;
    qpm__lapack_int ip = 0, lw = ln > lm_ ? ln : lm_;
    lw = 3 * ln + 1 > lw ? 3 * ln + 1 : lw; /* dgeqp3's minimum */
    if (qpm__dgeqrf(QPM__LAPACK_COL_MAJOR, lm_, ln, &dummy, lm_, &dummy, &q, -1) == 0 &&
        (qpm__lapack_int)q > lw)
        lw = (qpm__lapack_int)q;
    if (qpm__dgeqp3(QPM__LAPACK_COL_MAJOR, lm_, ln, &dummy, lm_, &ip, &dummy, &q, -1) == 0 &&
        (qpm__lapack_int)q > lw)
        lw = (qpm__lapack_int)q;
    if (qpm__dormqr(QPM__LAPACK_COL_MAJOR, 'L', 'T', lm_, one, lk, &dummy, lm_, &dummy, &dummy,
                    lm_, &q, -1) == 0 &&
        (qpm__lapack_int)q > lw)
        lw = (qpm__lapack_int)q;
    if (qpm__dgels(QPM__LAPACK_COL_MAJOR, 'N', rows, ln, one, &dummy, rows, &dummy, rows, &q,
                   -1) == 0 &&
        (qpm__lapack_int)q > lw)
        lw = (qpm__lapack_int)q;
    return lw;
}

qpm_status qpm__lm_create(qpm__lm **out, const qpm_alloc *alloc, size_t m, size_t n)
{
    QPM__CHECK_NULL(out, "out");
    *out = NULL;
    if (m == 0 || n == 0)
        return qpm__fail(QPM_E_SIZE, "m = %zu, n = %zu: need at least 1 residual and 1 parameter",
                         m, n);
    /* LAPACK's 32-bit sizes: the damped system has min(m, n) + n rows. */
    if (m > INT32_MAX / 2 || n > INT32_MAX / 4)
        return qpm__fail(QPM_E_SIZE, "m = %zu, n = %zu: must be below 2^30", m, n);
    if (m > SIZE_MAX / sizeof(double) / n || n > SIZE_MAX / sizeof(double) / (2 * n))
        return qpm__fail(QPM_E_SIZE, "m = %zu, n = %zu: the Jacobian overflows size_t", m, n);
    qpm_alloc a;
    qpm_status st = qpm__alloc_init(&a, alloc);
    if (st != QPM_OK)
        return st;
    if ((st = qpm__linalg_load()) != QPM_OK)
        return st;
    qpm__lm *lm = qpm__calloc(&a, 1, sizeof *lm);
    if (lm == NULL)
        return QPM_E_NOMEM;
    lm->alloc = a;
    lm->m = m;
    lm->n = n;
    lm->lwork = workspace(m, n);
    size_t k = m < n ? m : n, rows = k + n;
    struct {
        double **p;
        size_t count;
    } dv[] = {{&lm->x, n},      {&lm->xt, n},     {&lm->xd, n},   {&lm->lo, n},
              {&lm->hi, n},     {&lm->f, m},      {&lm->ft, m},   {&lm->f1, m},
              {&lm->f2, m},     {&lm->jac, m * n}, {&lm->jrow, m * n}, {&lm->g, n},
              {&lm->d, n},      {&lm->p, n},      {&lm->s, n},    {&lm->js, m},
              {&lm->qr, m * n}, {&lm->tau, n},    {&lm->qtf, m},  {&lm->a2, rows * n},
              {&lm->b2, rows},  {&lm->cov, n * n}, {&lm->work, (size_t)lm->lwork}};
    for (size_t i = 0; i < sizeof dv / sizeof dv[0]; i++)
        if ((*dv[i].p = qpm__calloc(&a, dv[i].count, sizeof(double))) == NULL)
            goto nomem;
    if ((lm->freei = qpm__calloc(&a, n, sizeof *lm->freei)) == NULL ||
        (lm->jpvt = qpm__calloc(&a, n, sizeof *lm->jpvt)) == NULL ||
        (lm->active = qpm__calloc(&a, n, sizeof *lm->active)) == NULL)
        goto nomem;
    *out = lm;
    return QPM_OK;
nomem:
    qpm__lm_free(lm);
    return qpm__fail(QPM_E_NOMEM, "cannot allocate a least-squares solver for m = %zu, n = %zu",
                     m, n);
}

/* ---- evaluations ----------------------------------------------------------- */

static double half_sq(const double *f, size_t m)
{
    double s = 0.0;
    for (size_t i = 0; i < m; i++)
        s += f[i] * f[i];
    return 0.5 * s;
}

static int all_finite(const double *v, size_t count, size_t *bad)
{
    for (size_t i = 0; i < count; i++)
        if (!isfinite(v[i])) {
            *bad = i;
            return 0;
        }
    return 1;
}

/* Residuals at xd with xd[j] = v (x elsewhere) into out: 0, 1 (stop) or -1
 * (not computable or not finite).  *h = the step actually taken. */
static int fd_eval(qpm__lm *lm, qpm__lm_fn fn, void *ctx, size_t j, double v, double *out,
                   double *h, qpm__lm_report *rep)
{
    memcpy(lm->xd, lm->x, lm->n * sizeof *lm->xd);
    lm->xd[j] = v;
    *h = v - lm->x[j];
    rep->nfev_diff++;
    int rc = fn(ctx, lm->xd, out);
    if (rc > 0)
        return 1;
    size_t bad;
    return rc < 0 || !all_finite(out, lm->m, &bad) ? -1 : 0;
}

/* Column j of J by finite differences into col: 0, 1 (stop), -1 (failed). */
static int fd_column(qpm__lm *lm, qpm__lm_fn fn, void *ctx, qpm__lm_diff diff, size_t j,
                     double *col, qpm__lm_report *rep)
{
    size_t m = lm->m;
    double xj = lm->x[j], lo = lm->lo[j], hi = lm->hi[j], scale = fmax(fabs(xj), 1.0);
    double *f0 = lm->f, *f1 = lm->f1, *f2 = lm->f2, h1 = 0.0, h2 = 0.0;
    int r1, r2;
    if (!(lo < hi)) { /* a fixed parameter */
        memset(col, 0, m * sizeof *col);
        return 0;
    }
    if (diff == QPM__LM_CENTRAL) {
        double h = cbrt(DBL_EPSILON) * scale;
        if (xj - h >= lo && xj + h <= hi) {
            if ((r1 = fd_eval(lm, fn, ctx, j, xj + h, f1, &h1, rep)) > 0)
                return 1;
            if ((r2 = fd_eval(lm, fn, ctx, j, xj - h, f2, &h2, rep)) > 0)
                return 1;
            if (r1 == 0 && r2 == 0) {
                for (size_t i = 0; i < m; i++)
                    col[i] = (f1[i] - f2[i]) / (h1 - h2);
                return 0;
            }
            /* one side failed: first order on the other */
            if (r1 == 0 || r2 == 0) {
                const double *fs = r1 == 0 ? f1 : f2;
                double hs = r1 == 0 ? h1 : h2;
                for (size_t i = 0; i < m; i++)
                    col[i] = (fs[i] - f0[i]) / hs;
                return 0;
            }
            return -1;
        }
        /* near a bound: second-order one-sided formula on the side with room */
        double sg = xj + 2.0 * h <= hi ? 1.0 : (xj - 2.0 * h >= lo ? -1.0 : 0.0);
        if (sg != 0.0) {
            if ((r1 = fd_eval(lm, fn, ctx, j, xj + sg * h, f1, &h1, rep)) > 0)
                return 1;
            if (r1 == 0) {
                double x2 = fmin(fmax(xj + 2.0 * h1, lo), hi);
                if ((r2 = fd_eval(lm, fn, ctx, j, x2, f2, &h2, rep)) > 0)
                    return 1;
                for (size_t i = 0; i < m; i++)
                    col[i] = r2 == 0 ? (-3.0 * f0[i] + 4.0 * f1[i] - f2[i]) / h2
                                     : (f1[i] - f0[i]) / h1;
                return 0;
            }
        }
    }
    /* forward differences, stepping to the side with room (the larger side
     * of a box narrower than the step) */
    double h = sqrt(DBL_EPSILON) * scale;
    double up = hi - xj, down = xj - lo;
    double first = up >= h ? xj + h : (down >= h ? xj - h : (up >= down ? hi : lo));
    double second = first > xj ? (down >= h ? xj - h : (down > 0.0 ? lo : xj))
                               : (up >= h ? xj + h : (up > 0.0 ? hi : xj));
    if ((r1 = fd_eval(lm, fn, ctx, j, first, f1, &h1, rep)) > 0)
        return 1;
    if (r1 != 0 && second != xj) {
        if ((r1 = fd_eval(lm, fn, ctx, j, second, f1, &h1, rep)) > 0)
            return 1;
    }
    if (r1 != 0 || h1 == 0.0)
        return -1;
    for (size_t i = 0; i < m; i++)
        col[i] = (f1[i] - f0[i]) / h1;
    return 0;
}

/* J at x into lm->jac (column-major): 0, 1 (stop), -1 (callback failure),
 * -2 (a non-finite entry: *bi, *bj). */
static int eval_jac(qpm__lm *lm, qpm__lm_fn fn, qpm__lm_jac_fn jacf, void *ctx, qpm__lm_diff diff,
                    qpm__lm_report *rep, size_t *bi, size_t *bj)
{
    size_t m = lm->m, n = lm->n;
    rep->njev++;
    if (jacf != NULL) {
        int rc = jacf(ctx, lm->x, lm->f, lm->jrow);
        if (rc != 0)
            return rc > 0 ? 1 : -1;
        for (size_t i = 0; i < m; i++)
            for (size_t j = 0; j < n; j++)
                lm->jac[j * m + i] = lm->jrow[i * n + j];
    } else {
        for (size_t j = 0; j < n; j++) {
            int rc = fd_column(lm, fn, ctx, diff, j, lm->jac + j * m, rep);
            if (rc != 0) {
                *bi = 0;
                *bj = j;
                return rc > 0 ? 1 : -1;
            }
        }
    }
    for (size_t j = 0; j < n; j++)
        for (size_t i = 0; i < m; i++)
            if (!isfinite(lm->jac[j * m + i])) {
                *bi = i;
                *bj = j;
                return -2;
            }
    return 0;
}

/* ---- the step ------------------------------------------------------------ */

/* g = J'f; the Moré scaling d_j = max(d_j, |J e_j|) (1 while a column has
 * been zero). */
static void gradient_and_scaling(qpm__lm *lm)
{
    size_t m = lm->m, n = lm->n;
    qpm__dgemv(QPM__COL_MAJOR, QPM__TRANS, (int)m, (int)n, 1.0, lm->jac, (int)m, lm->f, 1, 0.0,
               lm->g, 1);
    for (size_t j = 0; j < n; j++) {
        double c = 0.0;
        const double *col = lm->jac + j * m;
        for (size_t i = 0; i < m; i++)
            c += col[i] * col[i];
        c = sqrt(c);
        if (c > lm->d[j])
            lm->d[j] = c;
    }
}

/* The free parameters (not fixed, not on a bound that g pushes against)
 * into lm->freei; returns their number and the projected gradient's
 * infinity norm in *pg. */
static size_t free_set(qpm__lm *lm, double *pg)
{
    size_t nf = 0;
    double gi = 0.0;
    for (size_t j = 0; j < lm->n; j++) {
        double xj = lm->x[j], gj = lm->g[j];
        if (!(lm->lo[j] < lm->hi[j]) || (xj <= lm->lo[j] && gj > 0.0) ||
            (xj >= lm->hi[j] && gj < 0.0))
            continue;
        lm->freei[nf++] = j;
        gi = fmax(gi, fabs(gj));
    }
    *pg = gi;
    return nf;
}

/* QR of J's free columns and Q'f, once per iteration. */
static int factor(qpm__lm *lm, size_t nf)
{
    size_t m = lm->m;
    for (size_t c = 0; c < nf; c++)
        memcpy(lm->qr + c * m, lm->jac + lm->freei[c] * m, m * sizeof(double));
    memcpy(lm->qtf, lm->f, m * sizeof(double));
    qpm__lapack_int lm_ = (qpm__lapack_int)m, lnf = (qpm__lapack_int)nf;
    qpm__lapack_int lk = (qpm__lapack_int)(m < nf ? m : nf);
    if (qpm__dgeqrf(QPM__LAPACK_COL_MAJOR, lm_, lnf, lm->qr, lm_, lm->tau, lm->work, lm->lwork) != 0)
        return -1;
    if (qpm__dormqr(QPM__LAPACK_COL_MAJOR, 'L', 'T', lm_, 1, lk, lm->qr, lm_, lm->tau, lm->qtf,
                    lm_, lm->work, lm->lwork) != 0)
        return -1;
    return 0;
}

/* The LM step for damping lambda: min |R p + Q'f|^2 + lambda |D p|^2 over
 * the free parameters, as the least-squares problem [R; sqrt(lambda) D] p =
 * [-Q'f; 0].  p is zero on the other parameters.  0, or -1 if LAPACK fails. */
static int step(qpm__lm *lm, size_t nf, double lambda)
{
    size_t m = lm->m, k = m < nf ? m : nf, rows = k + nf;
    double sl = sqrt(lambda);
    memset(lm->a2, 0, rows * nf * sizeof(double));
    for (size_t c = 0; c < nf; c++) {
        double *dst = lm->a2 + c * rows;
        size_t top = c < k ? c + 1 : k;
        memcpy(dst, lm->qr + c * m, top * sizeof(double));
        dst[k + c] = sl * lm->d[lm->freei[c]];
    }
    for (size_t i = 0; i < rows; i++)
        lm->b2[i] = i < k ? -lm->qtf[i] : 0.0;
    qpm__lapack_int lr = (qpm__lapack_int)rows;
    if (qpm__dgels(QPM__LAPACK_COL_MAJOR, 'N', lr, (qpm__lapack_int)nf, 1, lm->a2, lr, lm->b2, lr,
                   lm->work, lm->lwork) != 0)
        return -1;
    memset(lm->p, 0, lm->n * sizeof(double));
    for (size_t c = 0; c < nf; c++)
        lm->p[lm->freei[c]] = lm->b2[c];
    return 0;
}

static double scaled_norm(const double *d, const double *v, size_t n)
{
    double s = 0.0;
    for (size_t j = 0; j < n; j++)
        s += (d[j] * v[j]) * (d[j] * v[j]);
    return sqrt(s);
}

/* ---- the report at the solution ------------------------------------------ */

/* Rank and covariance of J at x (lm->jac current).  The rank is taken on J
 * with unit-norm columns, so that it reflects conditioning, not units; a
 * singular value counts as zero below the Jacobian's own accuracy relative
 * to the largest: rtol. */
static void covariance(qpm__lm *lm, double cost, double rtol, qpm__lm_report *rep)
{
    size_t m = lm->m, n = lm->n, k = m < n ? m : n;
    qpm__lapack_int lm_ = (qpm__lapack_int)m, ln = (qpm__lapack_int)n;
    double *c = lm->s; /* column norms */
    for (size_t j = 0; j < n; j++) {
        const double *col = lm->jac + j * m;
        double v = 0.0;
        for (size_t i = 0; i < m; i++)
            v += col[i] * col[i];
        c[j] = sqrt(v);
        for (size_t i = 0; i < m; i++)
            lm->qr[j * m + i] = c[j] > 0.0 ? col[i] / c[j] : 0.0;
    }
    memset(lm->jpvt, 0, n * sizeof *lm->jpvt);
    if (qpm__dgeqp3(QPM__LAPACK_COL_MAJOR, lm_, ln, lm->qr, lm_, lm->jpvt, lm->tau, lm->work,
                    lm->lwork) != 0)
        return;
    double r00 = fabs(lm->qr[0]), tol = rtol * r00;
    size_t rank = 0;
    while (rank < k && r00 > 0.0 && fabs(lm->qr[rank * m + rank]) > tol)
        rank++;
    rep->rank = rank;
    if (rank < n || m <= n)
        return;
    /* J C^-1 P = Q R (C the column norms), so (J'J)^-1 = C^-1 P (R'R)^-1
     * P' C^-1; dpotri inverts R'R from R. */
    if (qpm__dpotri(QPM__LAPACK_COL_MAJOR, 'U', ln, lm->qr, lm_) != 0)
        return;
    double s2 = 2.0 * cost / (double)(m - n);
    for (size_t j = 0; j < n; j++)
        for (size_t i = 0; i <= j; i++) {
            size_t a = (size_t)lm->jpvt[i] - 1, b = (size_t)lm->jpvt[j] - 1;
            double v = s2 * lm->qr[j * m + i] / (c[a] * c[b]);
            lm->cov[a * n + b] = v;
            lm->cov[b * n + a] = v;
        }
    rep->s2 = s2;
    rep->has_cov = 1;
}

static void finish(qpm__lm *lm, int jac_current, double cost, double rtol, qpm__lm_report *rep)
{
    size_t n = lm->n;
    rep->cost = cost;
    rep->n_active = 0;
    for (size_t j = 0; j < n; j++) {
        int a = lm->x[j] <= lm->lo[j] ? -1 : (lm->x[j] >= lm->hi[j] ? 1 : 0);
        lm->active[j] = a;
        rep->n_active += a != 0;
    }
    if (!jac_current)
        return;
    gradient_and_scaling(lm);
    double pg;
    free_set(lm, &pg);
    rep->grad_inf = pg;
    covariance(lm, cost, rtol, rep);
}

/* ---- solve ------------------------------------------------------------------ */

static qpm_status check_options(const qpm__lm_options *o)
{
    const double tol[3] = {o->ftol, o->xtol, o->gtol};
    const char *name[3] = {"ftol", "xtol", "gtol"};
    for (int i = 0; i < 3; i++)
        if (!(tol[i] >= 0.0) || !isfinite(tol[i]))
            return qpm__fail(QPM_E_INVALID, "opt->%s = %g: must be finite and >= 0", name[i],
                             tol[i]);
    if (o->max_iter == 0)
        return qpm__fail(QPM_E_INVALID, "opt->max_iter = 0: must be >= 1");
    if (o->max_eval == 0)
        return qpm__fail(QPM_E_INVALID, "opt->max_eval = 0: must be >= 1");
    if (o->diff != QPM__LM_FORWARD && o->diff != QPM__LM_CENTRAL)
        return qpm__fail(QPM_E_INVALID, "opt->diff = %d: must be QPM__LM_FORWARD or "
                                        "QPM__LM_CENTRAL", (int)o->diff);
    if (!(o->lambda0 > 0.0) || !(o->lambda0 < QPM__LM_LAMBDA_MAX))
        return qpm__fail(QPM_E_INVALID, "opt->lambda0 = %g: must be in (0, 1e300)", o->lambda0);
    return QPM_OK;
}

qpm_status qpm__lm_solve(qpm__lm *lm, qpm__lm_fn fn, qpm__lm_jac_fn jac, void *ctx,
                         const double *lower, const double *upper, const qpm__lm_options *opt,
                         double *x, qpm__lm_report *rep)
{
    QPM__CHECK_NULL(lm, "lm");
    QPM__CHECK_NULL(fn, "fn");
    QPM__CHECK_NULL(x, "x");
    QPM__CHECK_NULL(rep, "rep");
    size_t m = lm->m, n = lm->n;
    qpm__lm_options o;
    if (opt != NULL)
        o = *opt;
    else
        qpm__lm_defaults(&o);
    qpm_status st = check_options(&o);
    if (st != QPM_OK)
        return st;
    for (size_t j = 0; j < n; j++) {
        double l = lower ? lower[j] : -(double)INFINITY, u = upper ? upper[j] : (double)INFINITY;
        if (isnan(l) || isnan(u) || !(l <= u))
            return qpm__fail(QPM_E_INVALID, "bounds[%zu] = [%g, %g]: need lower <= upper, no NaN",
                             j, l, u);
        if (!isfinite(x[j]))
            return qpm__fail(QPM_E_NONFINITE, "x[%zu] = %g: the start point must be finite", j,
                             x[j]);
        if (x[j] < l || x[j] > u)
            return qpm__fail(QPM_E_INVALID, "x[%zu] = %.17g: outside its bounds [%g, %g]", j, x[j],
                             l, u);
        lm->lo[j] = l;
        lm->hi[j] = u;
    }

    memset(rep, 0, sizeof *rep);
    rep->active = lm->active;
    rep->cov = lm->cov;
    rep->grad_inf = (double)NAN;
    rep->s2 = (double)NAN;
    for (size_t i = 0; i < n * n; i++)
        lm->cov[i] = (double)NAN;
    memset(lm->active, 0, n * sizeof *lm->active);
    memset(lm->d, 0, n * sizeof *lm->d);
    memcpy(lm->x, x, n * sizeof *x);

    /* the start point */
    rep->nfev = 1;
    int rc = fn(ctx, lm->x, lm->f);
    size_t bi = 0, bj = 0;
    if (rc > 0) {
        rep->reason = QPM__LM_USER_STOP;
        rep->cost0 = rep->cost = (double)NAN;
        return QPM_OK;
    }
    if (rc < 0) {
        rep->reason = QPM__LM_BAD_RESIDUAL;
        return qpm__fail(QPM_E_INVALID, "the residuals cannot be computed at the start point "
                                        "(the callback returned %d)", rc);
    }
    if (!all_finite(lm->f, m, &bi)) {
        rep->reason = QPM__LM_BAD_RESIDUAL;
        return qpm__fail(QPM_E_NONFINITE, "f[%zu] = %g at the start point: must be finite", bi,
                         lm->f[bi]);
    }
    double cost = half_sq(lm->f, m);
    if (!isfinite(cost)) {
        rep->reason = QPM__LM_BAD_RESIDUAL;
        return qpm__fail(QPM_E_NONFINITE, "the cost at the start point overflows");
    }
    rep->cost0 = cost;

    double lambda = o.lambda0, nu = 2.0;
    int need_jac = 1, jac_current = 0;
    qpm__lm_reason reason;
    for (;;) {
        if (need_jac) {
            rc = eval_jac(lm, fn, jac, ctx, o.diff, rep, &bi, &bj);
            if (rc == 1) {
                reason = QPM__LM_USER_STOP;
                break;
            }
            if (rc < 0 && rep->njev == 1) {
                rep->reason = QPM__LM_BAD_JACOBIAN;
                rep->cost = cost;
                if (rc == -2)
                    return qpm__fail(QPM_E_NONFINITE, "jac[%zu][%zu] = %g at the start point: "
                                                      "must be finite",
                                     bi, bj, lm->jac[bj * m + bi]);
                if (jac != NULL)
                    return qpm__fail(QPM_E_INVALID, "the Jacobian cannot be computed at the "
                                                    "start point (the callback failed)");
                return qpm__fail(QPM_E_INVALID, "finite differences for x[%zu] fail at the start "
                                                "point: residuals on neither side",
                                 bj);
            }
            if (rc < 0) {
                reason = QPM__LM_BAD_JACOBIAN;
                break;
            }
            need_jac = 0;
            jac_current = 1;
            gradient_and_scaling(lm);
        }
        double pg;
        size_t nf = free_set(lm, &pg);
        if (pg <= o.gtol) {
            reason = QPM__LM_GTOL;
            break;
        }
        if (rep->iterations >= o.max_iter) {
            reason = QPM__LM_MAX_ITER;
            break;
        }
        rep->iterations++;
        for (size_t j = 0; j < n; j++)
            if (lm->d[j] == 0.0)
                lm->d[j] = 1.0;
        if (factor(lm, nf) != 0) {
            reason = QPM__LM_STALLED;
            break;
        }
        double dxn = scaled_norm(lm->d, lm->x, n);
        /* trial steps at growing damping until one lowers the cost */
        for (;;) {
            if (step(lm, nf, lambda) != 0) {
                reason = QPM__LM_STALLED;
                goto done;
            }
            double dpn = scaled_norm(lm->d, lm->p, n);
            int moved = 0;
            for (size_t j = 0; j < n; j++) {
                double v = fmin(fmax(lm->x[j] + lm->p[j], lm->lo[j]), lm->hi[j]);
                lm->xt[j] = v;
                lm->s[j] = v - lm->x[j];
                moved |= v != lm->x[j];
            }
            int xtol_ok = dpn < o.xtol * (o.xtol + dxn);
            if (!moved) {
                /* the projection blocks the whole step (or it is below
                 * rounding): more damping turns it inward */
                if (xtol_ok) {
                    reason = QPM__LM_XTOL;
                    goto done;
                }
                lambda *= nu;
                nu *= 2.0;
                if (!(lambda < QPM__LM_LAMBDA_MAX)) {
                    reason = QPM__LM_STALLED;
                    goto done;
                }
                continue;
            }
            if (rep->nfev >= o.max_eval) {
                reason = QPM__LM_MAX_EVAL;
                goto done;
            }
            rep->nfev++;
            rc = fn(ctx, lm->xt, lm->ft);
            if (rc > 0) {
                reason = QPM__LM_USER_STOP;
                goto done;
            }
            double cost_t = rc == 0 && all_finite(lm->ft, m, &bi) ? half_sq(lm->ft, m)
                                                                  : (double)INFINITY;
            /* The decrease as sum (f - ft)(f + ft) / 2, not cost - cost_t:
             * residuals that the step does not change (a fit's irreducible
             * part, a parameter held by its bound) then add nothing, and
             * decreases far below the cost's own rounding stay visible. */
            double actual = -(double)INFINITY;
            if (isfinite(cost_t)) {
                actual = 0.0;
                for (size_t i = 0; i < m; i++)
                    actual += (lm->f[i] - lm->ft[i]) * (lm->f[i] + lm->ft[i]);
                actual *= 0.5;
            }
            /* model decrease of the step taken: -(g's + |J s|^2 / 2) */
            qpm__dgemv(QPM__COL_MAJOR, QPM__NO_TRANS, (int)m, (int)n, 1.0, lm->jac, (int)m, lm->s,
                       1, 0.0, lm->js, 1);
            double gs = 0.0, jss = 0.0;
            for (size_t j = 0; j < n; j++)
                gs += lm->g[j] * lm->s[j];
            for (size_t i = 0; i < m; i++)
                jss += lm->js[i] * lm->js[i];
            double pred = -gs - 0.5 * jss;
            double rho = pred > 0.0 && actual > 0.0 ? actual / pred : 0.0;
            if (actual > 0.0) {
                double *t = lm->x;
                lm->x = lm->xt;
                lm->xt = t;
                t = lm->f;
                lm->f = lm->ft;
                lm->ft = t;
                double cost_old = cost;
                cost = cost_t;
                need_jac = 1;
                jac_current = 0;
                double c = 2.0 * rho - 1.0;
                lambda *= fmax(1.0 / 3.0, 1.0 - c * c * c);
                if (lambda < DBL_MIN)
                    lambda = DBL_MIN;
                nu = 2.0;
                if (actual < o.ftol * cost_old && rho > 0.25) {
                    reason = QPM__LM_FTOL;
                    goto done;
                }
                if (xtol_ok) {
                    reason = QPM__LM_XTOL;
                    goto done;
                }
                break;
            }
            if (xtol_ok) {
                reason = QPM__LM_XTOL;
                goto done;
            }
            lambda *= nu;
            nu = fmin(2.0 * nu, 0x1p60);
            if (!(lambda < QPM__LM_LAMBDA_MAX)) {
                reason = QPM__LM_STALLED;
                goto done;
            }
        }
    }
done:
    rep->reason = reason;
    rep->converged = reason == QPM__LM_GTOL || reason == QPM__LM_FTOL || reason == QPM__LM_XTOL;
    rep->lambda = lambda;
    if (!jac_current && reason != QPM__LM_USER_STOP && reason != QPM__LM_BAD_JACOBIAN) {
        /* J at the final point, for the gradient and the covariance */
        rc = eval_jac(lm, fn, jac, ctx, o.diff, rep, &bi, &bj);
        jac_current = rc == 0;
    }
    /* relative accuracy of the Jacobian's columns */
    double rtol = jac != NULL ? (double)(m > n ? m : n) * DBL_EPSILON
                              : (o.diff == QPM__LM_CENTRAL ? cbrt(DBL_EPSILON * DBL_EPSILON)
                                                           : sqrt(DBL_EPSILON));
    finish(lm, jac_current, cost, rtol, rep);
    memcpy(x, lm->x, n * sizeof *x);
    return QPM_OK;
}
