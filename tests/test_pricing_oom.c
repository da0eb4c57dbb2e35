/* Allocation failure at every k (only the k-th allocation fails) in the
 * pricer: creation of every model and settlement, starting and replacing its
 * worker threads; and no allocation at all in the batch, chain and implied
 * volatility calls.  See oom_driver.h. */
#include <criterion/criterion.h>
#include <string.h>

#include "oom_driver.h"

#define N 3000

typedef struct pctx {
    qpm_pricer *p;
    int model, settle;
    double threads_from, threads_to;
    int what; /* 0 create, 1 threads, 2 evaluation calls */
    double F[N], K[N], T[N], sig[N], price[N], delta[N], gamma[N], iv[N], chain[N];
    int32_t ty[N];
} pctx;

static void fill(pctx *c)
{
    for (size_t i = 0; i < N; i++) {
        c->F[i] = 100.0 + (double)(i % 17);
        c->K[i] = 80.0 + (double)(i % 41);
        c->T[i] = 0.05 + (double)(i % 11) * 0.1;
        c->sig[i] = (0.2 + (double)(i % 7) * 0.1) * (c->model == 2 ? 300.0 : 1.0);
        c->ty[i] = i % 2 ? QPM_CALL : QPM_PUT;
    }
}

static void setup(void *v, qt_failalloc *fa)
{
    pctx *c = v;
    fill(c);
    c->p = (qpm_pricer *)1;
    if (c->what == 0)
        return;
    cr_assert_eq(
        qpm_pricer_create(&c->p, &fa->alloc, (qpm_model)c->model, (qpm_settlement)c->settle),
        QPM_OK);
    cr_assert_eq(qpm_pricer_set(c->p, QPM_PRICER_PAR_MIN, 1), QPM_OK);
    cr_assert_eq(qpm_pricer_set(c->p, QPM_PRICER_THREADS, c->threads_from), QPM_OK);
}

static qpm_status evaluate(pctx *c)
{
    qpm_pricer_out o;
    memset(&o, 0, sizeof o);
    o.size = sizeof o;
    o.price = c->price;
    o.delta = c->delta;
    o.gamma = c->gamma;
    qpm_status st = qpm_pricer_price(c->p, N, c->F, c->K, c->T, NULL, NULL, c->sig, c->ty, &o);
    qpm_pricer_out oc;
    memset(&oc, 0, sizeof oc);
    oc.size = sizeof oc;
    oc.price = c->chain;
    if (st == QPM_OK)
        st = qpm_pricer_price_chain(c->p, N, c->F[0], c->T[0], 0.0, 0.0, c->K, c->sig, c->ty, &oc);
    if (st == QPM_OK)
        st = qpm_pricer_implied_vol(c->p, N, c->F, c->K, c->T, NULL, NULL, c->ty, c->price, c->iv,
                                    NULL);
    return st;
}

static qpm_status call(void *v, qt_failalloc *fa)
{
    pctx *c = v;
    if (c->what == 0) {
        qpm_status st =
            qpm_pricer_create(&c->p, &fa->alloc, (qpm_model)c->model, (qpm_settlement)c->settle);
        if (st != QPM_OK)
            cr_assert_null(c->p);
        return st;
    }
    if (c->what == 1) {
        double before;
        qpm_pricer_get(c->p, QPM_PRICER_THREADS, &before);
        qpm_status st = qpm_pricer_set(c->p, QPM_PRICER_THREADS, c->threads_to);
        double after;
        qpm_pricer_get(c->p, QPM_PRICER_THREADS, &after);
        if (st != QPM_OK)
            cr_assert_eq(after, before, "a failed thread setting changed the handle");
        return st;
    }
    return evaluate(c);
}

static uint64_t observe(void *v)
{
    pctx *c = v;
    if (c->what == 0) {
        cr_assert_eq(qpm_pricer_set(c->p, QPM_PRICER_PAR_MIN, 1), QPM_OK);
        cr_assert_eq(qpm_pricer_set(c->p, QPM_PRICER_THREADS, 2), QPM_OK);
    }
    double th;
    qpm_pricer_get(c->p, QPM_PRICER_THREADS, &th);
    cr_assert_eq(evaluate(c), QPM_OK, "%s", qpm_last_error());
    uint64_t h = oom_hash(OOM_HASH0, c->price, sizeof c->price);
    h = oom_hash(h, c->delta, sizeof c->delta);
    h = oom_hash(h, c->gamma, sizeof c->gamma);
    h = oom_hash(h, c->iv, sizeof c->iv);
    h = oom_hash(h, c->chain, sizeof c->chain);
    return oom_hash(h, &th, sizeof th);
}

static void teardown(void *v)
{
    pctx *c = v;
    if (c->p != (qpm_pricer *)1)
        qpm_pricer_free(c->p);
    c->p = NULL;
}

static pctx ctx;

Test(pricing_oom, create)
{
    static const int combos[5][2] = {{0, 0}, {0, 1}, {1, 0}, {1, 1}, {2, 0}};
    for (int i = 0; i < 5; i++) {
        memset(&ctx, 0, sizeof ctx);
        ctx.model = combos[i][0];
        ctx.settle = combos[i][1];
        oom_path p = {.name = "pricer_create",
                      .setup = setup,
                      .call = call,
                      .observe = observe,
                      .teardown = teardown,
                      .create = 1};
        oom_counts n = oom_run_path(&p, &ctx);
        cr_assert_eq(n.points, 1);
    }
    cr_assert_eq(qt_leak_check(), 0);
}

Test(pricing_oom, threads)
{
    static const double moves[3][2] = {{1, 3}, {3, 2}, {2, 8}};
    for (int i = 0; i < 3; i++) {
        memset(&ctx, 0, sizeof ctx);
        ctx.model = 1;
        ctx.settle = 1;
        ctx.what = 1;
        ctx.threads_from = moves[i][0];
        ctx.threads_to = moves[i][1];
        oom_path p = {.name = "pricer_set(THREADS)",
                      .setup = setup,
                      .call = call,
                      .observe = observe,
                      .teardown = teardown,
                      .create = 0};
        oom_counts n = oom_run_path(&p, &ctx);
        cr_assert_eq(n.points, 3, "%ld", n.points); /* the pool, its threads and arguments */
    }
    cr_assert_eq(qt_leak_check(), 0);
}

/* pricing.h: a batch allocates nothing, whatever the threads */
Test(pricing_oom, evaluation_allocates_nothing)
{
    for (int threads = 1; threads <= 3; threads += 2) {
        memset(&ctx, 0, sizeof ctx);
        ctx.model = 0;
        ctx.settle = 1;
        ctx.what = 2;
        ctx.threads_from = threads;
        oom_path p = {.name = "pricer price/chain/implied_vol",
                      .setup = setup,
                      .call = call,
                      .observe = observe,
                      .teardown = teardown,
                      .create = 0};
        oom_counts n = oom_run_path(&p, &ctx);
        cr_assert_eq(n.points, 0);
    }
    cr_assert_eq(qt_leak_check(), 0);
}
