/* Allocation failure at every k (only the k-th allocation fails) in the
 * optimiser: creation, the covariance (its eigenvalue check), groups, linear
 * rows and CVaR scenarios (tables that grow), and the first solve of every
 * problem kind (its workspace), the frontier, with and without constraints.
 * See oom_driver.h. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "oom_driver.h"

#define NA 6
#define TS 60

typedef struct octx {
    qpm_opt *o;
    int what; /* 0 create, 1 covariance, 2 groups + linear + scenarios, 3 solve, 4 frontier */
    int problem, constrained;
    double cov[NA * NA], mu[NA], w[NA], fw[4 * NA], fr[4], fv[4];
} octx;

static void data(octx *c)
{
    double b[NA * 3];
    for (size_t i = 0; i < NA * 3; i++)
        b[i] = 0.2 * sin((double)i * 1.7) + 0.05;
    for (size_t i = 0; i < NA; i++)
        for (size_t j = 0; j < NA; j++) {
            double acc = i == j ? 0.02 + 0.005 * (double)i : 0.0;
            for (size_t k = 0; k < 3; k++)
                acc += b[i * 3 + k] * b[j * 3 + k];
            c->cov[i * NA + j] = acc;
        }
    for (size_t i = 0; i < NA; i++)
        c->mu[i] = 0.05 + 0.03 * (double)i;
}

static qt_failalloc *cur;

static qpm_status constraints(qpm_opt *o)
{
    size_t gof[NA] = {0, 0, 1, 1, QPM_OPT_NO_GROUP, 1};
    double glo[2] = {0.1, 0.0}, ghi[2] = {0.7, 0.8};
    double a[2 * NA], llo[2] = {-1, 0.0}, lhi[2] = {0.5, 2};
    for (size_t i = 0; i < 2 * NA; i++)
        a[i] = i < NA ? (double)(i % 3) * 0.3 : 1.0 / (double)(1 + i % NA);
    static double scen[TS * NA];
    for (size_t i = 0; i < TS * NA; i++)
        scen[i] = 0.03 * sin((double)i * 0.83) + 0.002;
    qpm_status st = qpm_opt_set_groups(o, 2, gof, glo, ghi);
    if (cur)
        oom_step(cur);
    if (st == QPM_OK)
        st = qpm_opt_set_linear(o, 2, a, NA, llo, lhi);
    if (cur)
        oom_step(cur);
    if (st == QPM_OK)
        st = qpm_opt_set_scenarios(o, TS, scen, NA);
    return st;
}

/* opt.h: a failed solve clears the solution info */
static void cleared(void *v)
{
    octx *c = v;
    double x;
    int flags[NA];
    cr_assert_eq(qpm_opt_info(c->o, QPM_OPT_INFO_OBJECTIVE, &x), QPM_E_STATE);
    cr_assert_eq(qpm_opt_bound_flags(c->o, flags), QPM_E_STATE);
}

static void setup(void *v, qt_failalloc *fa)
{
    octx *c = v;
    cur = NULL;
    data(c);
    c->o = (qpm_opt *)1;
    if (c->what == 0)
        return;
    cr_assert_eq(qpm_opt_create(&c->o, &fa->alloc, NA), QPM_OK);
    if (c->what >= 2) {
        cr_assert_eq(qpm_opt_set_covariance(c->o, c->cov, NA), QPM_OK);
        cr_assert_eq(qpm_opt_set_expected_returns(c->o, c->mu), QPM_OK);
    }
    if (c->what >= 3 && c->constrained) {
        cr_assert_eq(constraints(c->o), QPM_OK, "%s", qpm_last_error());
        cr_assert_eq(qpm_opt_set(c->o, QPM_OPT_GROSS_LIMIT, 1.5), QPM_OK);
        double lo[NA], hi[NA];
        for (size_t i = 0; i < NA; i++)
            lo[i] = -0.2, hi[i] = 0.6;
        cr_assert_eq(qpm_opt_set_bounds(c->o, lo, hi), QPM_OK);
    }
    cr_assert_eq(qpm_opt_set(c->o, QPM_OPT_RETURN_TARGET, 0.12), QPM_OK);
    cr_assert_eq(qpm_opt_set(c->o, QPM_OPT_VOL_TARGET, 0.3), QPM_OK);
}

static qpm_status call(void *v, qt_failalloc *fa)
{
    octx *c = v;
    cur = fa;
    switch (c->what) {
    case 0: {
        qpm_status st = qpm_opt_create(&c->o, &fa->alloc, NA);
        if (st != QPM_OK)
            cr_assert_null(c->o);
        return st;
    }
    case 1:
        return qpm_opt_set_covariance(c->o, c->cov, NA);
    case 2: /* each table is set again as a whole on a retry */
        return constraints(c->o);
    case 3:
        return qpm_opt_solve(c->o, (qpm_opt_problem)c->problem, c->w);
    default:
        return qpm_opt_frontier(c->o, 4, c->fw, NA, c->fr, c->fv);
    }
}

static uint64_t observe(void *v)
{
    octx *c = v;
    cur = NULL;
    uint64_t h = OOM_HASH0;
    if (c->what <= 2) {
        if (c->what == 0)
            cr_assert_eq(qpm_opt_set_covariance(c->o, c->cov, NA), QPM_OK);
        cr_assert_eq(qpm_opt_solve(c->o, QPM_OPT_MIN_VARIANCE, c->w), QPM_OK);
        if (c->what == 2)
            cr_assert_eq(qpm_opt_solve(c->o, QPM_OPT_MIN_CVAR, c->w + 0), QPM_OK);
    }
    h = oom_hash(h, c->w, sizeof c->w);
    if (c->what == 4) {
        h = oom_hash(h, c->fw, sizeof c->fw);
        h = oom_hash(h, c->fr, sizeof c->fr);
        h = oom_hash(h, c->fv, sizeof c->fv);
    }
    for (int k = 0; k <= QPM_OPT_INFO_PROBLEM; k++) {
        double x;
        cr_assert_eq(qpm_opt_info(c->o, (qpm_opt_info_key)k, &x), QPM_OK);
        h = oom_hash(h, &x, sizeof x);
    }
    return h;
}

static void teardown(void *v)
{
    octx *c = v;
    if (c->o != (qpm_opt *)1)
        qpm_opt_free(c->o);
    c->o = NULL;
}

static octx ctx;

static oom_counts run(const char *name, int what, int problem, int constrained)
{
    memset(&ctx, 0, sizeof ctx);
    ctx.what = what;
    ctx.problem = problem;
    ctx.constrained = constrained;
    oom_path p = {.name = name,
                  .setup = setup,
                  .call = call,
                  .observe = observe,
                  .teardown = teardown,
                  .create = what == 0,
                  .after_failure = what >= 3 ? cleared : NULL};
    return oom_run_path(&p, &ctx);
}

Test(opt_oom, create_and_data)
{
    cr_assert_geq(run("opt_create", 0, 0, 0).points, 4);
    cr_assert_geq(run("opt_set_covariance", 1, 0, 0).points, 1);
    cr_assert_geq(run("opt_set_groups + set_linear + set_scenarios", 2, 0, 0).points, 3);
    cr_assert_eq(qt_leak_check(), 0);
}

Test(opt_oom, every_problem)
{
    static const char *names[2][7] = {
        {"opt_solve(MIN_VARIANCE)", "opt_solve(MEAN_VARIANCE)", "opt_solve(TARGET_RETURN)",
         "opt_solve(TARGET_RISK)", "opt_solve(MAX_SHARPE)", "opt_solve(ERC)",
         "opt_solve(MIN_CVAR)"},
        {"opt_solve(MIN_VARIANCE, constrained)", "opt_solve(MEAN_VARIANCE, constrained)",
         "opt_solve(TARGET_RETURN, constrained)", "opt_solve(TARGET_RISK, constrained)",
         "opt_solve(MAX_SHARPE, constrained)", "opt_solve(ERC, constrained)",
         "opt_solve(MIN_CVAR, constrained)"}};
    for (int con = 0; con < 2; con++)
        for (int p = 0; p < 7; p++) {
            if (p == QPM_OPT_MIN_CVAR && !con)
                continue; /* needs the scenarios of the constrained setup */
            oom_counts n = run(names[con][p], 3, p, con);
            cr_assert_geq(n.points, 1, "%s allocates its workspace", names[con][p]);
        }
    cr_assert_eq(qt_leak_check(), 0);
}

Test(opt_oom, frontier)
{
    cr_assert_geq(run("opt_frontier", 4, 0, 0).points, 1);
    cr_assert_geq(run("opt_frontier(constrained)", 4, 0, 1).points, 1);
    cr_assert_eq(qt_leak_check(), 0);
}
