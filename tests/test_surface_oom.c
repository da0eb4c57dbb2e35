/* surface: allocation failure at every k (tests/oom_driver.h) on create,
 * set_slice (growing the slice array), fit_slice from vols and from coin
 * prices (the quote block, the pricer, the type array) and fit_ssvi: each
 * returns QPM_E_NOMEM with a message, frees what it took and leaves the
 * surface as it was. */
#define QPM_EXPERIMENTAL
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "oom_driver.h"
#include "qpm/qpm.h"

#define NK 12
#define NE 3

typedef struct sctx {
    int what;
    qpm_surface *s;
    double K[NE][NK], vol[NE][NK], price[NK], T[NE], F[NE];
    qpm_smile_quotes q[NE];
} sctx;

static const qpm_svi P = {0.02, 0.15, -0.3, 0.01, 0.2};

static void setup(void *v, qt_failalloc *fa)
{
    sctx *c = v;
    for (int j = 0; j < NE; j++) {
        c->T[j] = 0.25 * (j + 1);
        c->F[j] = 100.0;
        for (int i = 0; i < NK; i++) {
            double k = -0.5 + i / (double)(NK - 1);
            double x = k - P.m;
            c->K[j][i] = 100.0 * exp(k);
            c->vol[j][i] = sqrt((P.a * (j + 1) + P.b * (P.rho * x + sqrt(x * x + P.sigma * P.sigma))) /
                                c->T[j]);
        }
        memset(&c->q[j], 0, sizeof c->q[j]);
        c->q[j].size = sizeof c->q[j];
        c->q[j].n = NK;
        c->q[j].strike = c->K[j];
        c->q[j].kind = QPM_QUOTE_VOL;
        c->q[j].mid = c->vol[j];
    }
    /* coin prices of calls for slice 0 */
    qpm_pricer *pr;
    cr_assert_eq(qpm_pricer_create(&pr, NULL, QPM_MODEL_BLACK76, QPM_SETTLE_INVERSE), QPM_OK);
    int32_t ty[NK];
    for (int i = 0; i < NK; i++)
        ty[i] = QPM_CALL;
    qpm_pricer_out o;
    memset(&o, 0, sizeof o);
    o.size = sizeof o;
    o.price = c->price;
    cr_assert_eq(qpm_pricer_price_chain(pr, NK, 100.0, c->T[0], 0, 0, c->K[0], c->vol[0], ty, &o),
                 QPM_OK);
    qpm_pricer_free(pr);
    c->s = NULL;
    if (c->what == 0)
        return;
    cr_assert_eq(qpm_surface_create(&c->s, &fa->alloc), QPM_OK);
    if (c->what == 1)
        for (int j = 0; j < 4; j++) /* fills the first capacity */
            cr_assert_eq(qpm_surface_set_slice(c->s, 1.0 + j, 100.0, &P), QPM_OK);
}

static qpm_status call(void *v, qt_failalloc *fa)
{
    sctx *c = v;
    switch (c->what) {
    case 0: {
        qpm_status st = qpm_surface_create(&c->s, &fa->alloc);
        if (st != QPM_OK)
            cr_assert_null(c->s);
        return st;
    }
    case 1:
        return qpm_surface_set_slice(c->s, 9.0, 100.0, &P);
    case 2:
        return qpm_surface_fit_slice(c->s, c->T[0], c->F[0], &c->q[0], 0, NULL);
    case 3: {
        qpm_smile_quotes q = c->q[0];
        q.kind = QPM_QUOTE_PRICE;
        q.mid = c->price;
        q.settlement = QPM_SETTLE_INVERSE;
        return qpm_surface_fit_slice(c->s, c->T[0], c->F[0], &q, 0, NULL);
    }
    default:
        return qpm_surface_fit_ssvi(c->s, NE, c->T, c->F, c->q, NULL, NULL, NULL);
    }
}

static uint64_t observe(void *v)
{
    sctx *c = v;
    uint64_t h = OOM_HASH0;
    size_t n = qpm_surface_n_slices(c->s);
    h = oom_hash(h, &n, sizeof n);
    for (size_t i = 0; i < n; i++) {
        double T, F;
        qpm_svi p;
        cr_assert_eq(qpm_surface_slice(c->s, i, &T, &F, &p, NULL), QPM_OK);
        h = oom_hash(h, &T, sizeof T);
        h = oom_hash(h, &F, sizeof F);
        h = oom_hash(h, &p, sizeof p);
    }
    return h;
}

static void after_failure(void *v)
{
    sctx *c = v;
    size_t want = c->what == 1 ? 4 : 0;
    cr_assert_eq(qpm_surface_n_slices(c->s), want, "a failed call changed the surface");
}

static void teardown(void *v)
{
    sctx *c = v;
    qpm_surface_free(c->s);
    c->s = NULL;
}

static sctx ctx;

Test(surface_oom, every_allocation)
{
    static const char *const names[5] = {"surface_create", "surface_set_slice",
                                         "surface_fit_slice(vols)", "surface_fit_slice(prices)",
                                         "surface_fit_ssvi"};
    static const long points[5] = {1, 1, 2, 0, 6};
    for (int w = 0; w < 5; w++) {
        memset(&ctx, 0, sizeof ctx);
        ctx.what = w;
        oom_path p = {.name = names[w],
                      .setup = setup,
                      .call = call,
                      .observe = observe,
                      .teardown = teardown,
                      .create = w == 0,
                      .after_failure = w == 0 ? NULL : after_failure};
        oom_counts n = oom_run_path(&p, &ctx);
        if (points[w] > 0)
            cr_assert_eq(n.points, points[w], "%s: %ld allocation points", names[w], n.points);
        else
            cr_assert(n.points >= 3, "%s: %ld allocation points", names[w], n.points);
    }
    cr_assert_eq(qt_leak_check(), 0);
}
