/* Allocation failure at every k (only the k-th allocation fails) in the risk
 * module: creation, covariances (Cholesky, and the eigen factor of a
 * singular one), the thread count, the first Monte Carlo run (workers, batch
 * buffers, losses), simulation and historical simulation of a book with
 * threads of its own, and the stateless VaR/ES and delta-gamma.  See
 * oom_driver.h. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "oom_driver.h"

#define NSC 9000

typedef struct rctx {
    qpm_risk *r;
    qpm_book *b;
    int what; /* 0 create, 1 covariance, 2 threads, 3 scenarios, 4 simulate, 5 historical,
                 6 var_es, 7 delta_gamma */
    int singular;
    double threads;
    double mv[NSC * 2], pnl[NSC], res[8], hist[400 * 2], losses[3000];
} rctx;

static const double COV2[4] = {9e-4, 1.0125e-3, 1.0125e-3, 2.025e-3};
static const double SING[4] = {1e-4, 1e-4, 1e-4, 1e-4};

static qpm_book *make_book(qt_failalloc *fa)
{
    qpm_book *b;
    cr_assert_eq(qpm_book_create(&b, &fa->alloc), QPM_OK);
    cr_assert_eq(qpm_book_add_underlying(b, "BTC", 60000.0, 0.05, NULL), QPM_OK);
    cr_assert_eq(qpm_book_add_underlying(b, "ETH", 3000.0, 0.05, NULL), QPM_OK);
    cr_assert_eq(qpm_book_set_forward(b, 0, 0, 60500.0, 30.0 / 365.0), QPM_OK);
    cr_assert_eq(qpm_book_set_forward(b, 1, 0, 3020.0, 30.0 / 365.0), QPM_OK);
    int32_t ins[4] = {QPM_INSTR_SPOT, QPM_INSTR_LINEAR_OPTION, QPM_INSTR_INVERSE_OPTION,
                      QPM_INSTR_LINEAR_OPTION};
    size_t und[4] = {0, 0, 0, 1};
    int32_t ex[4] = {0, 0, 0, 0}, ty[4] = {QPM_CALL, QPM_PUT, QPM_CALL, QPM_PUT};
    double K[4] = {1, 55000, 70000, 2800}, Q[4] = {1.5, 10, -8, 30}, m[4] = {1, 1, 1, 1};
    double e[4] = {1, 1, 1, 1}, sg[4] = {1, 0.6, 0.55, 0.75};
    cr_assert_eq(qpm_book_add_positions(b, 4, ins, und, ex, ty, K, Q, m, e, sg), QPM_OK);
    cr_assert_eq(qpm_book_set(b, QPM_BOOK_THREADS, 2), QPM_OK);
    return b;
}

static void setup(void *v, qt_failalloc *fa)
{
    rctx *c = v;
    for (size_t i = 0; i < 800; i++)
        c->hist[i] = 0.03 * sin((double)i * 1.3);
    for (size_t i = 0; i < 3000; i++)
        c->losses[i] = 100.0 * sin((double)i * 0.77) + (double)(i % 13);
    c->r = (qpm_risk *)1;
    c->b = NULL;
    if (c->what == 0 || c->what >= 6)
        return;
    cr_assert_eq(qpm_risk_create(&c->r, &fa->alloc), QPM_OK);
    c->b = make_book(fa);
    cr_assert_eq(qpm_risk_set(c->r, QPM_RISK_SCENARIOS, NSC), QPM_OK);
    cr_assert_eq(qpm_risk_set(c->r, QPM_RISK_T_DOF, 5), QPM_OK);
    cr_assert_eq(qpm_risk_set(c->r, QPM_RISK_VOL_OF_VOL, 0.05), QPM_OK);
    cr_assert_eq(qpm_risk_set(c->r, QPM_RISK_JUMP_INTENSITY, 0.2), QPM_OK);
    cr_assert_eq(qpm_risk_set(c->r, QPM_RISK_EWMA_LAMBDA, 0.94), QPM_OK);
    if (c->what >= 2)
        cr_assert_eq(qpm_risk_set_covariance(c->r, 2, c->singular ? SING : COV2, 2), QPM_OK);
    if (c->what >= 3)
        cr_assert_eq(qpm_risk_set(c->r, QPM_RISK_THREADS, c->threads), QPM_OK);
}

static qpm_status call(void *v, qt_failalloc *fa)
{
    rctx *c = v;
    double *o = c->res;
    switch (c->what) {
    case 0: {
        qpm_status st = qpm_risk_create(&c->r, &fa->alloc);
        if (st != QPM_OK)
            cr_assert_null(c->r);
        return st;
    }
    case 1:
        return qpm_risk_set_covariance(c->r, 2, c->singular ? SING : COV2, 2);
    case 2:
        return qpm_risk_set(c->r, QPM_RISK_THREADS, c->threads);
    case 3:
        return qpm_risk_scenarios(c->r, NSC, c->mv, 2, NULL, 0);
    case 4:
        return qpm_risk_simulate(c->r, c->b, c->pnl, &o[0], &o[1], &o[2], &o[3]);
    case 5:
        return qpm_risk_historical(c->r, c->b, 400, c->hist, 2, c->pnl, &o[0], &o[1], &o[2], &o[3]);
    case 6: {
        double al[3] = {0.95, 0.99, 0.975};
        return qpm_risk_var_es(&fa->alloc, 3000, c->losses, 3, al, o, o + 3, NULL, NULL);
    }
    default: {
        double d[2] = {1e5, -3e4}, g[2] = {-2e5, 5e4};
        return qpm_risk_delta_gamma(&fa->alloc, 2, d, g, COV2, 2, 10, 0.99, &o[0], &o[1], &o[2]);
    }
    }
}

static uint64_t observe(void *v)
{
    rctx *c = v;
    uint64_t h = OOM_HASH0;
    if (c->what >= 6)
        return oom_hash(h, c->res, sizeof c->res);
    if (c->what < 2) {
        cr_assert_eq(qpm_risk_set_covariance(c->r, 2, c->singular ? SING : COV2, 2), QPM_OK);
        if (c->what == 0) {
            cr_assert_eq(qpm_risk_set(c->r, QPM_RISK_SCENARIOS, 5000), QPM_OK);
        }
    }
    if (c->what != 3)
        cr_assert_eq(qpm_risk_scenarios(c->r, 5000, c->mv, 2, NULL, 0), QPM_OK);
    h = oom_hash(h, c->mv, 5000 * 2 * sizeof(double));
    if (c->what == 4 || c->what == 5) {
        h = oom_hash(h, c->pnl, (c->what == 4 ? NSC : 400) * sizeof(double));
        h = oom_hash(h, c->res, 4 * sizeof(double));
    }
    double th = 0;
    qpm_risk_get(c->r, QPM_RISK_THREADS, &th);
    return oom_hash(h, &th, sizeof th);
}

static void teardown(void *v)
{
    rctx *c = v;
    if (c->r != (qpm_risk *)1)
        qpm_risk_free(c->r);
    qpm_book_free(c->b);
    c->r = NULL;
    c->b = NULL;
}

static rctx ctx;

static oom_counts run(const char *name, int what, int singular, double threads)
{
    memset(&ctx, 0, sizeof ctx);
    ctx.what = what;
    ctx.singular = singular;
    ctx.threads = threads;
    oom_path p = {.name = name,
                  .setup = setup,
                  .call = call,
                  .observe = observe,
                  .teardown = teardown,
                  .create = what == 0,
                  .after_failure = NULL,
                  .keeps_buffers = what >= 3 && what <= 5};
    return oom_run_path(&p, &ctx);
}

Test(risk_oom, create_covariance_threads)
{
    cr_assert_geq(run("risk_create", 0, 0, 1).points, 2);
    cr_assert_geq(run("risk_set_covariance(Cholesky)", 1, 0, 1).points, 1);
    cr_assert_geq(run("risk_set_covariance(singular: eigen factor)", 1, 1, 1).points, 2);
    cr_assert_geq(run("risk_set(THREADS = 3)", 2, 0, 3).points, 3);
    cr_assert_eq(qt_leak_check(), 0);
}

Test(risk_oom, runs)
{
    for (double t = 1; t <= 3; t += 2) {
        cr_assert_geq(run(t == 1 ? "risk_scenarios (first run, 1 thread)"
                                 : "risk_scenarios (first run, 3 threads)",
                          3, 0, t)
                          .points,
                      3);
        cr_assert_geq(run(t == 1 ? "risk_simulate (first run, 1 thread, book 2 threads)"
                                 : "risk_simulate (first run, 3 threads, book 2 threads)",
                          4, 0, t)
                          .points,
                      3);
        cr_assert_geq(run(t == 1 ? "risk_historical (filtered, 1 thread)"
                                 : "risk_historical (filtered, 3 threads)",
                          5, 0, t)
                          .points,
                      2);
    }
    cr_assert_eq(qt_leak_check(), 0);
}

Test(risk_oom, stateless)
{
    cr_assert_geq(run("risk_var_es", 6, 0, 1).points, 1);
    cr_assert_geq(run("risk_delta_gamma", 7, 0, 1).points, 1);
    cr_assert_eq(qt_leak_check(), 0);
}
