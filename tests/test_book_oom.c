/* Allocation failure at every k (only the k-th allocation fails) in the
 * book: creation, underlyings and expiries (tables that grow), positions
 * (the option arrays and the P&L engine are rebuilt; through the parallel
 * arrays and through the experimental qpm_book_positions struct), the thread count
 * (pool and per-thread engine), and P&L and grids, which allocate nothing.
 * See oom_driver.h. */
#define QPM_EXPERIMENTAL /* qpm_book_add_position_columns */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "oom_driver.h"

#define NS 300

typedef struct bctx {
    qpm_book *b;
    int what;    /* 0 create, 1 underlyings, 2 forwards, 3 positions, 4 threads, 5 pnl */
    int columns; /* positions through qpm_book_add_position_columns */
    double threads;
    double mv[NS * 5], vs[NS * 5], pnl[NS], grid[15];
} bctx;

static const char *NAMES[5] = {"BTC", "ETH", "SOL", "XRP", "DOGE"};

static qt_failalloc *cur_fa;

static void step(void)
{
    if (cur_fa)
        oom_step(cur_fa);
}

static qpm_status add_underlyings(qpm_book *b)
{
    qpm_status st = QPM_OK;
    for (size_t u = 0; u < 5 && st == QPM_OK; u++) {
        size_t n0 = 0, n1 = 0, idx;
        if (qpm_book_find_underlying(b, NAMES[u], &idx) == QPM_OK)
            continue; /* a retry resumes where the failed call stopped */
        qpm_book_n_underlyings(b, &n0);
        step();
        st = qpm_book_add_underlying(b, NAMES[u], 100.0 * (double)(u + 1), 0.03, NULL);
        qpm_book_n_underlyings(b, &n1);
        cr_assert_eq(n1, st == QPM_OK ? n0 + 1 : n0, "a failed add changed the count");
    }
    return st;
}

static qpm_status add_forwards(qpm_book *b)
{
    qpm_status st = QPM_OK;
    for (size_t u = 0; u < 5 && st == QPM_OK; u++)
        for (int32_t e = 0; e < 4 && st == QPM_OK; e++, step())
            st = qpm_book_set_forward(b, u, e, 100.0 * (double)(u + 1) * (1 + 0.01 * e),
                                      0.1 * (e + 1));
    for (size_t u = 0; u < 5 && st == QPM_OK; u++)
        st = qpm_book_set_perp(b, u, 100.0 * (double)(u + 1));
    return st;
}

static bctx ctx;

/* n positions from index i0 of the arrays, through the entry point the run
 * tests. */
static qpm_status add_some(qpm_book *b, size_t n, size_t i0, const int32_t *ins, const size_t *und,
                           const int32_t *ex, const int32_t *ty, const double *K, const double *Q,
                           const double *m, const double *e, const double *sg)
{
    if (!ctx.columns)
        return qpm_book_add_positions(b, n, ins + i0, und + i0, ex + i0, ty + i0, K + i0, Q + i0,
                                      m + i0, e + i0, sg + i0);
    qpm_book_positions p = {sizeof p, ins + i0, und + i0, ex + i0, ty + i0, K + i0, Q + i0,
                            m + i0,   e + i0,   sg + i0,  NULL,    NULL,    NULL,   NULL};
    return qpm_book_add_position_columns(b, n, &p);
}

static qpm_status add_positions(qpm_book *b)
{
    enum { NP = 35 };
    int32_t ins[NP], ex[NP], ty[NP];
    size_t und[NP];
    double K[NP], Q[NP], m[NP], e[NP], sg[NP];
    for (size_t i = 0; i < NP; i++) {
        ins[i] = (int32_t)(i % 7);
        und[i] = i % 5;
        ex[i] = (int32_t)(i % 4);
        ty[i] = i % 2 ? QPM_CALL : QPM_PUT;
        double S = 100.0 * (double)(und[i] + 1);
        K[i] = S * (0.8 + 0.05 * (double)(i % 8));
        Q[i] = (double)(i % 5) - 2.0;
        m[i] = 1.0;
        e[i] = S * 0.97;
        sg[i] = 0.5 + 0.02 * (double)(i % 9);
    }
    /* in two calls: the second grows the tables again */
    size_t have = 0;
    qpm_book_n_positions(b, &have);
    qpm_status st = have >= 20 ? QPM_OK /* a retry resumes */
                               : add_some(b, 20, 0, ins, und, ex, ty, K, Q, m, e, sg);
    step();
    if (st == QPM_OK)
        st = add_some(b, NP - 20, 20, ins, und, ex, ty, K, Q, m, e, sg);
    return st;
}

static void setup(void *v, qt_failalloc *fa)
{
    bctx *c = v;
    for (size_t i = 0; i < NS * 5; i++) {
        c->mv[i] = 0.2 * sin((double)i * 0.7);
        c->vs[i] = 0.1 * cos((double)i * 0.3);
    }
    c->b = (qpm_book *)1;
    if (c->what == 0)
        return;
    cr_assert_eq(qpm_book_create(&c->b, &fa->alloc), QPM_OK);
    if (c->what > 1)
        cr_assert_eq(add_underlyings(c->b), QPM_OK);
    if (c->what > 2)
        cr_assert_eq(add_forwards(c->b), QPM_OK);
    if (c->what > 3)
        cr_assert_eq(add_positions(c->b), QPM_OK, "%s", qpm_last_error());
    if (c->what > 4)
        cr_assert_eq(qpm_book_set(c->b, QPM_BOOK_THREADS, c->threads), QPM_OK);
}

static qpm_status call(void *v, qt_failalloc *fa)
{
    bctx *c = v;
    cur_fa = fa;
    switch (c->what) {
    case 0: {
        qpm_status st = qpm_book_create(&c->b, &fa->alloc);
        if (st != QPM_OK)
            cr_assert_null(c->b);
        return st;
    }
    case 1:
        return add_underlyings(c->b);
    case 2:
        return add_forwards(c->b);
    case 3:
        return add_positions(c->b);
    case 4:
        return qpm_book_set(c->b, QPM_BOOK_THREADS, c->threads);
    default: {
        qpm_status st = qpm_book_pnl(c->b, NS, c->mv, 5, c->vs, 5, c->pnl);
        double xs[5] = {-0.2, -0.1, 0, 0.1, 0.2}, ys[3] = {-0.2, 0, 0.3}, wl;
        size_t wi;
        if (st == QPM_OK)
            st = qpm_book_scenario_grid(c->b, QPM_BOOK_ALL, 5, xs, 3, ys, c->grid, &wl, &wi);
        return st;
    }
    }
}

/* Completes the book (with the allocator healthy) and reads everything. */
static uint64_t observe(void *v)
{
    bctx *c = v;
    cur_fa = NULL;
    size_t n = 0, np = 0;
    qpm_book_n_underlyings(c->b, &n);
    if (n == 0)
        cr_assert_eq(add_underlyings(c->b), QPM_OK);
    qpm_book_n_expiries(c->b, &n);
    if (n == 0)
        cr_assert_eq(add_forwards(c->b), QPM_OK);
    qpm_book_n_positions(c->b, &np);
    if (np == 0)
        cr_assert_eq(add_positions(c->b), QPM_OK);
    cr_assert_eq(qpm_book_set(c->b, QPM_BOOK_THREADS, 3), QPM_OK);
    qpm_book_n_positions(c->b, &np);
    double val[64], delta[64], und[8], ex[32];
    qpm_book_out o;
    memset(&o, 0, sizeof o);
    o.size = sizeof o;
    o.value_usd = val;
    o.delta_coin = delta;
    cr_assert_eq(qpm_book_position_greeks(c->b, &o), QPM_OK);
    uint64_t h = oom_hash(OOM_HASH0, val, np * sizeof(double));
    h = oom_hash(h, delta, np * sizeof(double));
    o.delta_coin = NULL;
    o.value_usd = und;
    cr_assert_eq(qpm_book_underlying_greeks(c->b, &o), QPM_OK);
    h = oom_hash(h, und, 5 * sizeof(double));
    o.value_usd = ex;
    cr_assert_eq(qpm_book_expiry_greeks(c->b, &o), QPM_OK);
    h = oom_hash(h, ex, 20 * sizeof(double));
    if (c->what != 5) { /* the evaluation of the finished book */
        int what = c->what;
        c->what = 5;
        qpm_status st = call(c, NULL);
        c->what = what;
        cr_assert_eq(st, QPM_OK, "%s", qpm_last_error());
    }
    h = oom_hash(h, c->pnl, sizeof c->pnl);
    return oom_hash(h, c->grid, sizeof c->grid);
}

static void teardown(void *v)
{
    bctx *c = v;
    if (c->b != (qpm_book *)1)
        qpm_book_free(c->b);
    c->b = NULL;
}

static oom_counts run_with(const char *name, int what, double threads, int columns)
{
    memset(&ctx, 0, sizeof ctx);
    ctx.what = what;
    ctx.columns = columns;
    ctx.threads = threads;
    oom_path p = {.name = name,
                  .setup = setup,
                  .call = call,
                  .observe = observe,
                  .teardown = teardown,
                  .create = what == 0};
    return oom_run_path(&p, &ctx);
}

static oom_counts run(const char *name, int what, double threads)
{
    return run_with(name, what, threads, 0);
}

Test(book_oom, create_market_positions)
{
    cr_assert_geq(run("book_create", 0, 1).points, 1);
    cr_assert_geq(run("book_add_underlying x5", 1, 1).points, 1);
    cr_assert_geq(run("book_set_forward x20, set_perp x5", 2, 1).points, 1);
    oom_counts arrays = run("book_add_positions (20 + 15)", 3, 1);
    cr_assert_geq(arrays.points, 2);
    /* the struct entry point allocates exactly as the arrays one */
    oom_counts columns = run_with("book_add_position_columns (20 + 15)", 3, 1, 1);
    cr_assert_eq(columns.points, arrays.points);
    cr_assert_eq(qt_leak_check(), 0);
}

Test(book_oom, threads_and_evaluation)
{
    for (double t = 2; t <= 8; t += 6)
        cr_assert_geq(run(t == 2 ? "book_set(THREADS = 2)" : "book_set(THREADS = 8)", 4, t).points,
                      3);
    for (double t = 1; t <= 3; t += 2) {
        oom_counts n = run("book_pnl + scenario_grid", 5, t);
        cr_assert_eq(n.points, 0, "book.h: the evaluation functions allocate nothing");
    }
    cr_assert_eq(qt_leak_check(), 0);
}
