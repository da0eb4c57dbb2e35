/* Internal interfaces of the opt module: the handle, the dense convex QP
 * solver (interior point + exact active-set step) and the ERC solver. */
#ifndef QPM_OPT_INTERNAL_H
#define QPM_OPT_INTERNAL_H

#include <stddef.h>

#include "core/internal.h"
#include "qpm/opt.h"

#define QPM__OPT_NONE ((size_t)-1)

/* ---- QP: min 1/2 x'Px + c'x  s.t.  E x = e,  G x <= h --------------------
 * P = pscale * S on the leading n x n block of the nv variables (S is n x n,
 * symmetric, row-major with ld n) and 0 elsewhere.  E is dense (me x nv,
 * row-major); G is sparse (CSR).  A row of G with a single nonzero is a
 * variable bound, which the active-set step eliminates exactly. */
typedef struct qpm__qp {
    /* capacities */
    size_t cap_nv, cap_me, cap_mi, cap_nnz, cap_k;
    /* problem */
    size_t n, nv, me, mi, nnz;
    const double *S;
    double pscale;
    double *c, *E, *e, *cv, *h;
    size_t *rp, *ci;
    /* iterates and results: x (nv), y (me), z and s (mi), act (mi) */
    double *x, *y, *z, *s;
    unsigned char *act, *act0;
    /* interior-point work */
    double *dx, *dy, *dz, *ds, *rd, *re, *ri, *rc, *t1, *t2, *t3, *H, *HE, *M;
    /* active-set work */
    double *K, *kr, *ks, *kt;
    int *ipiv;
    size_t *fixed_by, *fpos, *fvar, *arow;
} qpm__qp;

typedef enum qpm__qp_result {
    QPM__QP_OPTIMAL = 0,
    QPM__QP_INFEASIBLE = 1,
    QPM__QP_MAXITER = 2
} qpm__qp_result;

/* Makes room for a problem of the given shape (no allocation when it fits). */
qpm_status qpm__qp_reserve(qpm__qp *qp, const qpm_alloc *a, size_t nv, size_t me, size_t mi,
                           size_t nnz);
void qpm__qp_release(qpm__qp *qp, const qpm_alloc *a);

/* Solves the QP held in qp.  warm != 0 first tries the active-set step from
 * qp->act.  On QPM__QP_OPTIMAL, x, y, z and act hold the solution; *exact
 * is 1 when the active-set step verified the KKT conditions.  *iters is
 * increased by the iterations spent. */
qpm__qp_result qpm__qp_solve(qpm__qp *qp, double tol, size_t maxiter, int warm, int *exact,
                             size_t *iters);

/* ---- handle ---------------------------------------------------------------- */
struct qpm_opt {
    qpm_alloc alloc;
    size_t n;
    /* n x n, symmetric: the covariance times 2^s_exp.  s_exp = 0 while the
     * largest variance lies in [2^-20, 2^20], where the solvers work on the
     * data as given; outside, the power of two that brings it into [1, 2),
     * so that the solvers' absolute safeguards (regularisation, floors,
     * "1 +" scales) hold whatever the units. */
    double *S;
    int s_exp;
    double *mu, *lower, *upper, *w0;
    int have_S, have_mu;
    /* settings */
    double gamma, rf, budget, gross, turnover, target_ret, target_vol, tol, alpha;
    size_t nscen, cap_scen;
    double *scen; /* nscen x n */
    size_t maxiter;
    /* groups and linear rows */
    size_t ngroups, nlin, cap_groups, cap_lin;
    size_t *group_of;
    double *glo, *ghi, *lin, *llo, *lhi;
    qpm__progress progress;
    /* the QP workspace */
    qpm__qp qp;
    /* solution of the last solve */
    int have_sol;
    double *w, *wtmp;
    size_t *brow; /* 2n: CSR row of each asset's lower and upper bound, or NONE */
    int *flags;
    double info[15];
};

/* ERC by Newton's method on 1/2 y'Sy - (1/n) sum ln y; writes w (sum w = B).
 * work: 4n + n^2 doubles. */
qpm_status qpm__opt_erc(const qpm_opt *o, double *w, double *work, size_t *iters);

#endif /* QPM_OPT_INTERNAL_H */
