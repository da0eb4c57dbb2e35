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

/* ---- a problem as a QP (opt_formulate.c) ----------------------------------
 * The variables are the n weights, then the auxiliaries of the limits that
 * are on (t_i >= |w_i| for the gross limit, t_i >= |w_i - w0_i| for the
 * turnover), kappa of the homogenised maximum-Sharpe form, and the VaR level
 * z and excess losses u_t of min-CVaR.  A build records that layout and the
 * scaling of the data, so that the weights and multipliers can be read
 * back. */
typedef struct qpm__opt_build {
    int homog;       /* maximum Sharpe: variables (y, t, kappa) */
    int target;      /* equality mu'w = target_value */
    double target_value;
    double pscale;   /* P = pscale S (S as stored: the covariance times 2^s_exp) */
    int mexp;        /* mu (and rf, the return target) enter the QP times 2^mexp */
    int fexp;        /* the QP objective is 2^fexp times the problem's own: its
                        multipliers are 2^fexp times the reported ones */
    int linear_mu;   /* c = -mu on the weights */
    size_t ig, it, ik;       /* first gross / turnover auxiliary, kappa (QPM__OPT_NONE if absent) */
    size_t row_gross, row_turn, eq_budget;
    size_t gabs, tabs; /* first of the 2n rows |w_i| <= t_i, |w_i - w0_i| <= t_i */
    int warm_only;     /* skip the interior point when the warm start fails */
    int cvar;          /* MIN_CVAR: variables (w, t, z, u_1..u_T) */
    size_t iz;         /* z, the VaR level (QPM__OPT_NONE if absent) */
} qpm__opt_build;

void qpm__opt_build_init(qpm__opt_build *b, double pscale);
/* The exact power-of-two scalings of the data (see the functions). */
int qpm__opt_mu_scale(const qpm_opt *o, double extra);
void qpm__opt_minvar_scales(const qpm_opt *o, qpm__opt_build *b);
void qpm__opt_mv_scales(const qpm_opt *o, qpm__opt_build *b);
/* Writes the QP of b into o->qp (reserving its workspace). */
qpm_status qpm__opt_build_qp(qpm_opt *o, qpm__opt_build *b);
/* Solves o->qp: QPM_E_INFEASIBLE or QPM_E_NOCONVERGE with a message. */
qpm_status qpm__opt_run_qp(qpm_opt *o, const qpm__opt_build *b, int warm, int *exact,
                           size_t *iters);
/* The weights of the solved QP into w (bounds and zeros exactly). */
qpm_status qpm__opt_extract(const qpm_opt *o, const qpm__opt_build *b, double *w);

/* ---- the problems, one row each (opt_problem.c) ---------------------------
 * A new problem appends its value to qpm_opt_problem (opt.h) and a row
 * here: what it needs, its solve and its objective.  qpm_opt_solve does the
 * validation and the shared post-processing. */
enum {
    QPM__OPT_NEEDS_MU = 1u << 0,              /* expected returns set */
    QPM__OPT_NEEDS_SCENARIOS = 1u << 1,       /* scenarios set */
    QPM__OPT_NEEDS_POSITIVE_BUDGET = 1u << 2, /* QPM_OPT_BUDGET > 0 */
    /* takes the constraints (bounds, groups, rows, limits): checked for
     * consistency before, and its solution against them after; without it
     * only the budget holds and the weights are positive (ERC) */
    QPM__OPT_CONSTRAINED = 1u << 3
};

/* What a solve leaves for the post-processing. */
typedef struct qpm__opt_result {
    qpm__opt_build b; /* the QP the weights came from (multipliers), when has_qp */
    int has_qp;
    int exact;        /* the KKT conditions were verified exactly */
    size_t iters;
} qpm__opt_result;

typedef struct qpm__opt_problem {
    const char *name; /* "QPM_OPT_MIN_VARIANCE" */
    const char *what; /* in messages: "the maximum Sharpe ratio" */
    unsigned props;
    /* the weights into w (o->w), or a status with its message */
    qpm_status (*solve)(qpm_opt *o, double *w, qpm__opt_result *res);
    /* QPM_OPT_INFO_OBJECTIVE of the solution (its QP is still in o->qp) */
    double (*objective)(const qpm_opt *o, double ret, double var, double vol);
} qpm__opt_problem;

#define QPM__OPT_NPROBLEMS 7
extern const qpm__opt_problem qpm__opt_problems[QPM__OPT_NPROBLEMS];

/* Minimum variance, with mu'w = r when target, into w; leaves the QP in
 * o->qp (warm: 1 tries the active set of the last solve first, 2 only
 * that). */
qpm_status qpm__opt_solve_minvar(qpm_opt *o, qpm__opt_build *b, int target, double r, int warm,
                                 double *w, int *exact, size_t *iters);
/* The largest attainable return; the LP weights into w when computed. */
qpm_status qpm__opt_max_return(qpm_opt *o, double *rmax, double *w, int *have_w,
                               size_t *iters);

/* ---- shared by the solving calls (opt_solve.c) ----------------------------- */
qpm_status qpm__opt_need(const qpm_opt *o, int mu);
/* The constraints' consistency, with messages naming them. */
qpm_status qpm__opt_precheck(const qpm_opt *o);
/* w'Sw of the covariance as given; tmp: n scratch. */
double qpm__opt_quad(const qpm_opt *o, const double *w, double *tmp);
/* mu'w, summed scaled where the plain sum overflows */
double qpm__opt_mu_dot(const qpm_opt *o, const double *w);
/* QPM_E_NOCONVERGE when w breaks the constraints beyond the tolerance
 * (unconstrained: a problem without them, ERC: the budget and w > 0). */
qpm_status qpm__opt_verify(const qpm_opt *o, const double *w, int unconstrained);
/* The solution info of w for `problem` (b: its QP, or NULL). */
void qpm__opt_report(qpm_opt *o, const qpm__opt_build *b, qpm_opt_problem problem,
                     const double *w, int exact, size_t iters);

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
    int info_lp; /* the solution is a frontier point taken from the LP: no multipliers */
    double *w, *wtmp;
    size_t *brow; /* 2n: CSR row of each asset's lower and upper bound, or NONE */
    int *flags;
    double info[15];
    /* ERC's Newton workspace (n^2 + 4n), allocated by the first ERC solve */
    double *erc_work;
};

/* ERC by Newton's method on 1/2 y'Sy - (1/n) sum ln y; writes w (sum w = B).
 * work: 4n + n^2 doubles. */
qpm_status qpm__opt_erc(const qpm_opt *o, double *w, double *work, size_t *iters);

#endif /* QPM_OPT_INTERNAL_H */
