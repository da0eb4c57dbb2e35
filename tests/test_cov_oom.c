/* Allocation failure at every k (only the k-th allocation fails) in the cov
 * module: creation, fits with every method and missing-data policy (the
 * first constant-correlation or pairwise fit allocates its workspace), fits
 * on prices (the returns buffer, grown for a longer T), streaming pushes and
 * the stateless nearest correlation, smallest eigenvalue and PSD check.
 * See oom_driver.h. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "oom_driver.h"

#define NA 5
#define T  120

typedef struct cctx {
    qpm_cov *c;
    int what; /* 0 create, 1 fit, 2 fit_prices, 3 push, 4 nearest, 5 min_eig, 6 check_psd */
    int method, target, policy;
    double x[T * NA], prices[(T + 40) * NA];
    double out[NA * NA], lam;
    size_t iters;
    int conv;
} cctx;

static void data(cctx *c)
{
    for (size_t r = 0; r < T; r++)
        for (size_t j = 0; j < NA; j++)
            c->x[r * NA + j] =
                0.01 * sin((double)(r * NA + j) * 0.77) + 0.004 * cos((double)r * 0.3 + (double)j);
    if (c->policy != QPM_COV_NAN_ERROR)
        for (size_t r = 3; r < T; r += 17)
            c->x[r * NA + r % NA] = (double)NAN;
    for (size_t r = 0; r < T + 40; r++)
        for (size_t j = 0; j < NA; j++)
            c->prices[r * NA + j] = 100.0 * exp(0.02 * sin((double)(r * NA + j) * 0.41));
}

static void settings(cctx *c)
{
    cr_assert_eq(qpm_cov_set(c->c, QPM_COV_METHOD, c->method), QPM_OK);
    cr_assert_eq(qpm_cov_set(c->c, QPM_COV_TARGET, c->target), QPM_OK);
    cr_assert_eq(qpm_cov_set(c->c, QPM_COV_NAN_POLICY, c->policy), QPM_OK);
}

static void setup(void *v, qt_failalloc *fa)
{
    cctx *c = v;
    data(c);
    c->c = (qpm_cov *)1;
    if (c->what == 0 || c->what >= 4)
        return;
    cr_assert_eq(qpm_cov_create(&c->c, &fa->alloc, NA), QPM_OK);
    settings(c);
    if (c->what == 2) /* a shorter fit first: the longer one grows the buffer */
        cr_assert_eq(qpm_cov_fit_prices(c->c, 40, c->prices, NA), QPM_OK);
    if (c->what == 3)
        cr_assert_eq(qpm_cov_fit(c->c, T / 2, c->x, NA), QPM_OK);
}

static qpm_status call(void *v, qt_failalloc *fa)
{
    cctx *c = v;
    qpm_status st = QPM_OK;
    double a[NA * NA];
    for (size_t i = 0; i < NA; i++)
        for (size_t j = 0; j < NA; j++)
            a[i * NA + j] = i == j ? 1.0 : (i + j) % 3 == 0 ? 0.9 : -0.6;
    switch (c->what) {
    case 0:
        st = qpm_cov_create(&c->c, &fa->alloc, NA);
        if (st != QPM_OK)
            cr_assert_null(c->c);
        break;
    case 1:
        st = qpm_cov_fit(c->c, T, c->x, NA);
        break;
    case 2:
        st = qpm_cov_fit_prices(c->c, T + 40, c->prices, NA);
        break;
    case 3:
        for (size_t r = T / 2; r < T && st == QPM_OK; r++)
            st = qpm_cov_push(c->c, c->x + r * NA);
        break;
    case 4:
        st = qpm_cov_nearest_correlation(&fa->alloc, NA, a, NA, NULL, 1e-12, 500, c->out, NA,
                                         &c->iters, &c->conv);
        break;
    case 5:
        st = qpm_cov_min_eigenvalue(&fa->alloc, NA, a, NA, &c->lam);
        break;
    default:
        st = qpm_cov_check_psd(&fa->alloc, NA, a, NA, 10.0, &c->lam);
        break;
    }
    return st;
}

static uint64_t observe(void *v)
{
    cctx *c = v;
    if (c->what >= 4) {
        uint64_t h = oom_hash(OOM_HASH0, &c->lam, sizeof c->lam);
        if (c->what == 4) {
            h = oom_hash(h, c->out, sizeof c->out);
            h = oom_hash(h, &c->iters, sizeof c->iters);
        }
        return h;
    }
    if (c->what == 0) {
        settings(c);
        cr_assert_eq(qpm_cov_fit(c->c, T, c->x, NA), QPM_OK, "%s", qpm_last_error());
    }
    double m[NA], s = -1;
    size_t nobs = 0;
    cr_assert_eq(qpm_cov_covariance(c->c, c->out, NA), QPM_OK, "%s", qpm_last_error());
    cr_assert_eq(qpm_cov_mean(c->c, m), QPM_OK);
    cr_assert_eq(qpm_cov_shrinkage(c->c, &s), QPM_OK);
    cr_assert_eq(qpm_cov_nobs(c->c, &nobs), QPM_OK);
    uint64_t h = oom_hash(OOM_HASH0, c->out, sizeof c->out);
    h = oom_hash(h, m, sizeof m);
    h = oom_hash(h, &s, sizeof s);
    return oom_hash(h, &nobs, sizeof nobs);
}

static void teardown(void *v)
{
    cctx *c = v;
    if (c->c != (qpm_cov *)1)
        qpm_cov_free(c->c);
    c->c = NULL;
}

static cctx ctx;

static oom_counts run(const char *name, int what, int method, int target, int policy)
{
    memset(&ctx, 0, sizeof ctx);
    ctx.what = what;
    ctx.method = method;
    ctx.target = target;
    ctx.policy = policy;
    oom_path p = {.name = name,
                  .setup = setup,
                  .call = call,
                  .observe = observe,
                  .teardown = teardown,
                  .create = what == 0};
    return oom_run_path(&p, &ctx);
}

Test(cov_oom, create)
{
    oom_counts n = run("cov_create", 0, QPM_COV_SAMPLE, 0, 0);
    cr_assert_geq(n.points, 4, "%ld", n.points);
    cr_assert_eq(qt_leak_check(), 0);
}

Test(cov_oom, fit_every_method)
{
    run("cov_fit(SAMPLE)", 1, QPM_COV_SAMPLE, 0, QPM_COV_NAN_ERROR);
    run("cov_fit(EWMA)", 1, QPM_COV_EWMA, 0, QPM_COV_NAN_ERROR);
    run("cov_fit(LEDOIT_WOLF identity)", 1, QPM_COV_LEDOIT_WOLF, 0, QPM_COV_NAN_ERROR);
    oom_counts cc = run("cov_fit(LEDOIT_WOLF constant correlation)", 1, QPM_COV_LEDOIT_WOLF,
                        QPM_COV_TARGET_CONSTANT_CORRELATION, QPM_COV_NAN_ERROR);
    cr_assert_geq(cc.points, 4, "the first constant-correlation fit allocates its workspace");
    run("cov_fit(OAS)", 1, QPM_COV_OAS, 0, QPM_COV_NAN_ERROR);
    run("cov_fit(SEMI)", 1, QPM_COV_SEMI, 0, QPM_COV_NAN_ERROR);
    run("cov_fit(SAMPLE, DROP_ROWS)", 1, QPM_COV_SAMPLE, 0, QPM_COV_NAN_DROP_ROWS);
    oom_counts pw = run("cov_fit(SAMPLE, PAIRWISE)", 1, QPM_COV_SAMPLE, 0, QPM_COV_NAN_PAIRWISE);
    cr_assert_geq(pw.points, 4, "the first pairwise fit allocates its workspace");
    run("cov_fit(SEMI, PAIRWISE)", 1, QPM_COV_SEMI, 0, QPM_COV_NAN_PAIRWISE);
    cr_assert_eq(qt_leak_check(), 0);
}

Test(cov_oom, fit_prices_and_push)
{
    oom_counts fp = run("cov_fit_prices(longer T)", 2, QPM_COV_SAMPLE, 0, 0);
    cr_assert_geq(fp.points, 1, "a longer T grows the returns buffer");
    oom_counts pu = run("cov_push(after a fit)", 3, QPM_COV_LEDOIT_WOLF, 0, 0);
    cr_assert_eq(pu.points, 0, "cov.h: push allocates nothing");
    cr_assert_eq(qt_leak_check(), 0);
}

Test(cov_oom, stateless)
{
    cr_assert_geq(run("cov_nearest_correlation", 4, 0, 0, 0).points, 1);
    cr_assert_geq(run("cov_min_eigenvalue", 5, 0, 0, 0).points, 1);
    cr_assert_geq(run("cov_check_psd", 6, 0, 0, 0).points, 1);
    cr_assert_eq(qt_leak_check(), 0);
}
