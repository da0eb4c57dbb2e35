/* Threads: every path that runs on the worker pool, and many handles used
 * from many threads at once, compared bit for bit across thread counts.
 *
 * A plain program with its own main (Criterion's runner cannot start under
 * ThreadSanitizer here), so that it runs both as an ordinary test and in the
 * -fsanitize=thread build of scripts/test, where any data race fails it:
 *   1. the deterministic pool itself (white-box): chunk results for 1, 2, 3
 *      and 8 threads, many runs on one pool, pools started and stopped;
 *   2. pricing: batches and chains with every output, implied volatility;
 *   3. book: P&L of scenario sets and scenario grids;
 *   4. risk: Monte Carlo scenarios, simulation and historical simulation
 *      (risk threads x book threads);
 *   5. eight application threads at once, each with its own pricer, book,
 *      risk, cov, opt and rng handles (threads of their own inside some),
 *      and its own thread-local error messages, against the sequential
 *      results.
 * Prints one line per part and exits non-zero on the first difference. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "qpm/qpm.h"

static const unsigned COUNTS[] = {1, 2, 3, 8};
#define NCOUNTS (sizeof COUNTS / sizeof COUNTS[0])

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "test_threads:%d: ", __LINE__);                                        \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fprintf(stderr, " (%s)\n", qpm_last_error());                                          \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)
#define OK(call) CHECK((call) == QPM_OK, "%s failed", #call)

static int same(const void *a, const void *b, size_t n)
{
    return memcmp(a, b, n) == 0;
}

/* ---- 1. the pool ----------------------------------------------------------------- */

struct pool_ctx {
    size_t n;
    double *out;
    unsigned nthreads;
    int bad_worker;
};

static void pool_chunk(void *vctx, size_t c, unsigned worker)
{
    struct pool_ctx *ctx = vctx;
    if (worker >= ctx->nthreads)
        ctx->bad_worker = 1; /* racy only if the pool is wrong; TSan says so */
    double s = 0;
    for (size_t i = 0; i < 200; i++)
        s += sin((double)(c * 200 + i) * 1e-3);
    ctx->out[c] = s;
}

static void part_pool(void)
{
    enum { NCH = 157, REPS = 40 };
    static double ref[NCH], got[NCH];
    for (size_t k = 0; k < NCOUNTS; k++) {
        qpm_alloc a;
        OK(qpm__alloc_init(&a, NULL));
        qpm__pool *pool;
        OK(qpm__pool_create(&pool, &a, COUNTS[k]));
        struct pool_ctx ctx = {NCH, k == 0 ? ref : got, COUNTS[k], 0};
        for (int rep = 0; rep < REPS; rep++) {
            size_t nch = rep % 5 == 4 ? 1 : NCH; /* single-chunk runs stay on the caller */
            qpm__pool_run(pool, nch, pool_chunk, &ctx);
        }
        CHECK(!ctx.bad_worker, "a worker index out of range");
        qpm__pool_free(pool);
        if (k > 0)
            CHECK(same(ref, got, sizeof ref), "pool results differ with %u threads", COUNTS[k]);
    }
    /* pools created and destroyed in quick succession, runs in between */
    for (int rep = 0; rep < 30; rep++) {
        qpm_alloc a;
        qpm__alloc_init(&a, NULL);
        qpm__pool *pool;
        OK(qpm__pool_create(&pool, &a, 2 + (unsigned)rep % 3));
        struct pool_ctx ctx = {NCH, got, 2 + (unsigned)rep % 3, 0};
        if (rep % 2)
            qpm__pool_run(pool, NCH, pool_chunk, &ctx);
        qpm__pool_free(pool);
    }
    printf("pool: %u thread counts x %d runs, bit-identical\n", (unsigned)NCOUNTS, REPS);
}

/* ---- 2. pricing -------------------------------------------------------------------- */

#define NP   6000 /* six chunks of 1024 */
#define NOUT 12

static void fill_options(double *F, double *K, double *T, double *r, double *sig, int32_t *ty,
                         size_t n)
{
    for (size_t i = 0; i < n; i++) {
        F[i] = 60000.0 * (1 + 0.3 * sin((double)i * 0.7));
        K[i] = 30000.0 + 60000.0 * (double)(i % 97) / 97.0;
        T[i] = 0.01 + 2.0 * (double)(i % 31) / 31.0;
        r[i] = 0.01 * (double)(i % 7);
        sig[i] = 0.2 + 1.2 * (double)(i % 13) / 13.0;
        ty[i] = i % 2 ? QPM_CALL : QPM_PUT;
    }
}

static void price_all(qpm_pricer *p, const double *F, const double *K, const double *T,
                      const double *r, const double *sig, const int32_t *ty, double out[][NP],
                      double *iv, int chain)
{
    qpm_pricer_out o;
    memset(&o, 0, sizeof o);
    o.size = sizeof o;
    double **f = &o.price;
    for (int j = 0; j < NOUT; j++)
        f[j] = out[j];
    if (chain)
        OK(qpm_pricer_price_chain(p, NP, F[0], T[0], r[0], 0.0, K, sig, ty, &o));
    else
        OK(qpm_pricer_price(p, NP, F, K, T, r, NULL, sig, ty, &o));
    if (iv != NULL && !chain) {
        qpm_status st = qpm_pricer_implied_vol(p, NP, F, K, T, r, NULL, ty, out[0], iv, NULL);
        CHECK(st == QPM_OK || st == QPM_E_ARBITRAGE, "implied vol: %s", qpm_status_name(st));
    }
}

static void part_pricing(void)
{
    static double F[NP], K[NP], T[NP], r[NP], sig[NP];
    static int32_t ty[NP];
    static double ref[NOUT][NP], got[NOUT][NP], ivref[NP], ivgot[NP];
    fill_options(F, K, T, r, sig, ty, NP);
    int runs = 0;
    for (int model = 0; model < 2; model++)
        for (int settle = 0; settle < 2; settle++)
            for (int chain = 0; chain < 2; chain++)
                for (size_t k = 0; k < NCOUNTS; k++) {
                    qpm_pricer *p;
                    OK(qpm_pricer_create(&p, NULL, (qpm_model)model, (qpm_settlement)settle));
                    OK(qpm_pricer_set(p, QPM_PRICER_THREADS, COUNTS[k]));
                    OK(qpm_pricer_set(p, QPM_PRICER_PAR_MIN, 1));
                    price_all(p, F, K, T, r, sig, ty, k == 0 ? ref : got, k == 0 ? ivref : ivgot,
                              chain);
                    /* run again on the warm pool: same bits */
                    price_all(p, F, K, T, r, sig, ty, got, ivgot, chain);
                    CHECK(same(ref, got, sizeof ref),
                          "model %d settle %d chain %d: prices differ with %u threads", model,
                          settle, chain, COUNTS[k]);
                    if (!chain)
                        CHECK(same(ivref, ivgot, sizeof ivref),
                              "model %d settle %d: implied vols differ with %u threads", model,
                              settle, COUNTS[k]);
                    qpm_pricer_free(p);
                    runs++;
                }
    printf(
        "pricing: %d runs of %d options (BSM and Black-76, USD and coin, batch and chain, implied "
        "vol), threads 1/2/3/8, bit-identical\n",
        runs, NP);
}

/* The input checks of a batch longer than 16384 elements run on the
 * pricer's threads (runs of 16384, all before any output is written): the
 * same prices for every thread count, and a bad input in the last run still
 * refused with no output written. */
static void part_screen(void)
{
    enum { NL = 3 * 16384 + 5 };
    static double F[NL], K[NL], T[NL], r[NL], sig[NL], ref[NL], got[NL];
    static int32_t ty[NL];
    fill_options(F, K, T, r, sig, ty, NL);
    for (size_t k = 0; k < NCOUNTS; k++) {
        qpm_pricer *p;
        OK(qpm_pricer_create(&p, NULL, QPM_MODEL_BLACK76, QPM_SETTLE_LINEAR));
        OK(qpm_pricer_set(p, QPM_PRICER_THREADS, COUNTS[k]));
        qpm_pricer_out o = {.size = sizeof o, .price = k == 0 ? ref : got};
        OK(qpm_pricer_price(p, NL, F, K, T, r, NULL, sig, ty, &o));
        CHECK(k == 0 || same(ref, got, sizeof ref), "long batch: prices differ with %u threads",
              COUNTS[k]);
        double keep = sig[NL - 1];
        sig[NL - 1] = -1.0;
        got[0] = got[NL - 1] = -7.0;
        o.price = got;
        CHECK(qpm_pricer_price(p, NL, F, K, T, r, NULL, sig, ty, &o) == QPM_E_INVALID &&
                  got[0] == -7.0 && got[NL - 1] == -7.0,
              "long batch, %u threads: a bad last sigma not refused before writing", COUNTS[k]);
        sig[NL - 1] = keep;
        qpm_pricer_free(p);
    }
    printf("input checks: batches of %d options, threads 1/2/3/8, the same prices\n", (int)NL);
}

/* ---- 3. book ------------------------------------------------------------------------- */

static qpm_book *make_book(void)
{
    qpm_book *b;
    OK(qpm_book_create(&b, NULL));
    OK(qpm_book_add_underlying(b, "BTC", 60000.0, 0.05, NULL));
    OK(qpm_book_add_underlying(b, "ETH", 3000.0, 0.05, NULL));
    OK(qpm_book_set_perp(b, 0, 60010.0));
    OK(qpm_book_set_perp(b, 1, 3001.0));
    OK(qpm_book_set_forward(b, 0, 0, 60500.0, 30.0 / 365.0));
    OK(qpm_book_set_forward(b, 0, 1, 61500.0, 90.0 / 365.0));
    OK(qpm_book_set_forward(b, 1, 0, 3020.0, 30.0 / 365.0));
    enum { NPOS = 40 };
    int32_t ins[NPOS], ex[NPOS], ty[NPOS];
    size_t und[NPOS];
    double K[NPOS], Q[NPOS], m[NPOS], e[NPOS], sg[NPOS];
    for (size_t i = 0; i < NPOS; i++) {
        ins[i] = (int32_t)(i % 7);
        und[i] = i % 3 == 2 ? 1 : 0;
        ex[i] = und[i] == 0 ? (int32_t)(i % 2) : 0;
        ty[i] = i % 2 ? QPM_CALL : QPM_PUT;
        double S = und[i] ? 3000.0 : 60000.0;
        K[i] = S * (0.7 + 0.6 * (double)(i % 9) / 9.0);
        Q[i] = (i % 4 ? 1.0 : -1.0) * (double)(1 + i % 5);
        m[i] = ins[i] == QPM_INSTR_INVERSE_FUTURE || ins[i] == QPM_INSTR_INVERSE_PERP ? 100 : 1;
        e[i] = S * 0.98;
        sg[i] = 0.4 + 0.05 * (double)(i % 6);
    }
    OK(qpm_book_add_positions(b, NPOS, ins, und, ex, ty, K, Q, m, e, sg));
    return b;
}

static void part_book(void)
{
    enum { NS = 3000 };
    static double mv[NS * 2], vs[NS * 2], ref[NS], got[NS], gref[21 * 9], ggot[21 * 9];
    for (size_t s = 0; s < NS; s++)
        for (size_t u = 0; u < 2; u++) {
            mv[s * 2 + u] = 0.2 * sin((double)(s * 2 + u) * 0.37);
            vs[s * 2 + u] = 0.3 * cos((double)(s * 2 + u) * 0.11);
        }
    double xs[21], ys[9];
    for (int i = 0; i < 21; i++)
        xs[i] = -0.5 + 0.05 * i;
    for (int j = 0; j < 9; j++)
        ys[j] = -0.4 + 0.1 * j;
    qpm_book *b = make_book();
    double wref = 0, wgot = 0;
    size_t iref = 0, igot = 0;
    for (size_t k = 0; k < NCOUNTS; k++) {
        OK(qpm_book_set(b, QPM_BOOK_THREADS, COUNTS[k]));
        for (int rep = 0; rep < 2; rep++) {
            OK(qpm_book_pnl(b, NS, mv, 2, vs, 2, k == 0 && rep == 0 ? ref : got));
            OK(qpm_book_scenario_grid(
                b, QPM_BOOK_ALL, 21, xs, 9, ys, k == 0 && rep == 0 ? gref : ggot,
                k == 0 && rep == 0 ? &wref : &wgot, k == 0 && rep == 0 ? &iref : &igot));
        }
        CHECK(same(ref, got, sizeof ref), "book P&L differs with %u threads", COUNTS[k]);
        CHECK(same(gref, ggot, sizeof gref) && wref == wgot && iref == igot,
              "scenario grid differs with %u threads", COUNTS[k]);
    }
    qpm_book_free(b);
    printf("book: P&L of %d scenarios and a 21 x 9 grid, threads 1/2/3/8, bit-identical\n", NS);
}

/* ---- 4. risk ---------------------------------------------------------------------------- */

static const double COV2[4] = {9e-4, 1.0125e-3, 1.0125e-3, 2.025e-3};

static void part_risk(void)
{
    enum { NSC = 9000, NH = 300 };
    static double pref[NSC], pgot[NSC], sref[NSC * 2], sgot[NSC * 2], hist[NH * 2];
    for (size_t i = 0; i < NH * 2; i++)
        hist[i] = 0.04 * sin((double)i * 1.3);
    qpm_book *b = make_book();
    double ref[8], got[8];
    int runs = 0;
    for (size_t k = 0; k < NCOUNTS; k++)
        for (size_t kb = 0; kb < 2; kb++) {
            qpm_risk *r;
            OK(qpm_risk_create(&r, NULL));
            OK(qpm_risk_set_covariance(r, 2, COV2, 2));
            OK(qpm_risk_set(r, QPM_RISK_SCENARIOS, NSC));
            OK(qpm_risk_set(r, QPM_RISK_T_DOF, 5));
            OK(qpm_risk_set(r, QPM_RISK_JUMP_INTENSITY, 0.1));
            OK(qpm_risk_set(r, QPM_RISK_JUMP_STD, 0.05));
            OK(qpm_risk_set(r, QPM_RISK_VOL_OF_VOL, 0.05));
            OK(qpm_risk_set(r, QPM_RISK_EWMA_LAMBDA, 0.94));
            OK(qpm_risk_set(r, QPM_RISK_THREADS, COUNTS[k]));
            OK(qpm_book_set(b, QPM_BOOK_THREADS, kb ? 3 : 1));
            int first = k == 0 && kb == 0;
            double *o = first ? ref : got;
            OK(qpm_risk_scenarios(r, NSC, first ? sref : sgot, 2, NULL, 0));
            OK(qpm_risk_simulate(r, b, first ? pref : pgot, &o[0], &o[1], &o[2], &o[3]));
            OK(qpm_risk_historical(r, b, NH, hist, 2, NULL, &o[4], &o[5], &o[6], &o[7]));
            CHECK(same(sref, sgot, sizeof sref) || first, "scenarios differ with %u threads",
                  COUNTS[k]);
            CHECK(same(pref, pgot, sizeof pref) || first,
                  "simulated P&L differs with %u risk threads, book threads %d", COUNTS[k],
                  kb ? 3 : 1);
            CHECK(same(ref, got, sizeof ref) || first, "VaR/ES differ with %u threads", COUNTS[k]);
            qpm_risk_free(r);
            runs++;
        }
    qpm_book_free(b);
    printf("risk: %d runs of %d Monte Carlo scenarios and %d historical days, risk threads "
           "1/2/3/8 x book threads 1/3, bit-identical\n",
           runs, NSC, NH);
}

/* ---- 5. many handles, many threads --------------------------------------------------------- */

#define NAPP 8
#define NC   8 /* cov assets */
#define TC   250

struct app_result {
    double price[NP / 6], pnl[500], var[4], cov[NC * NC], w[NC];
    uint64_t raw[64];
    char msg[128];
    qpm_status bad;
};

static void app_work(unsigned id, struct app_result *res)
{
    /* pricing, with a pool of its own in odd threads */
    enum { N = NP / 6 };
    double F[N], K[N], T[N], r[N], sg[N];
    int32_t ty[N];
    fill_options(F, K, T, r, sg, ty, N);
    for (size_t i = 0; i < N; i++)
        sg[i] *= 1.0 + 0.01 * id;
    qpm_pricer *p;
    OK(qpm_pricer_create(&p, NULL, QPM_MODEL_BLACK76, QPM_SETTLE_INVERSE));
    OK(qpm_pricer_set(p, QPM_PRICER_THREADS, 1 + id % 2));
    OK(qpm_pricer_set(p, QPM_PRICER_PAR_MIN, 1));
    qpm_pricer_out o;
    memset(&o, 0, sizeof o);
    o.size = sizeof o;
    o.price = res->price;
    OK(qpm_pricer_price(p, N, F, K, T, r, NULL, sg, ty, &o));
    qpm_pricer_free(p);

    /* the thread-local error message: this thread's own failure */
    K[id] = -1.0 - id;
    qpm_pricer_create(&p, NULL, QPM_MODEL_BLACK76, QPM_SETTLE_LINEAR);
    res->bad = qpm_pricer_price(p, N, F, K, T, r, NULL, sg, ty, &o);
    snprintf(res->msg, sizeof res->msg, "%s", qpm_last_error());
    qpm_pricer_free(p);

    /* book P&L with its own threads */
    qpm_book *b = make_book();
    OK(qpm_book_set(b, QPM_BOOK_THREADS, 1 + id % 3));
    double mv[1000];
    for (size_t i = 0; i < 1000; i++)
        mv[i] = 0.1 * sin((double)(i + id) * 0.3);
    OK(qpm_book_pnl(b, 500, mv, 2, NULL, 0, res->pnl));

    /* risk Monte Carlo on that book */
    qpm_risk *rk;
    OK(qpm_risk_create(&rk, NULL));
    OK(qpm_risk_set_covariance(rk, 2, COV2, 2));
    OK(qpm_risk_set(rk, QPM_RISK_SCENARIOS, 5000));
    OK(qpm_risk_set(rk, QPM_RISK_SEED, id));
    OK(qpm_risk_set(rk, QPM_RISK_THREADS, 1 + (id + 1) % 2));
    OK(qpm_risk_simulate(rk, b, NULL, &res->var[0], &res->var[1], &res->var[2], &res->var[3]));
    qpm_risk_free(rk);
    qpm_book_free(b);

    /* cov fit (BLAS on this thread) */
    double *X = malloc(TC * NC * sizeof *X);
    CHECK(X != NULL, "malloc");
    for (size_t i = 0; i < TC * NC; i++)
        X[i] = 0.02 * sin((double)i * 0.91 + id) + 0.001 * cos((double)i * 0.13);
    qpm_cov *c;
    OK(qpm_cov_create(&c, NULL, NC));
    OK(qpm_cov_set(c, QPM_COV_METHOD, QPM_COV_LEDOIT_WOLF));
    OK(qpm_cov_fit(c, TC, X, NC));
    OK(qpm_cov_covariance(c, res->cov, NC));
    qpm_cov_free(c);
    free(X);

    /* opt on that covariance */
    qpm_opt *op;
    OK(qpm_opt_create(&op, NULL, NC));
    OK(qpm_opt_set_covariance(op, res->cov, NC));
    OK(qpm_opt_solve(op, QPM_OPT_MIN_VARIANCE, res->w));
    qpm_opt_free(op);

    /* rng */
    qpm_rng *g;
    OK(qpm_rng_create_seed(&g, NULL, QPM_RNG_PCG64DXSM, id));
    OK(qpm_rng_raw(g, 64, res->raw));
    qpm_rng_free(g);
}

struct app_arg {
    unsigned id;
    struct app_result *res;
};

static void *app_main(void *arg)
{
    struct app_arg *a = arg;
    for (int rep = 0; rep < 2; rep++)
        app_work(a->id, a->res + rep);
    return NULL;
}

static void part_apps(void)
{
    static struct app_result seq[NAPP], par[NAPP][2];
    for (unsigned id = 0; id < NAPP; id++)
        app_work(id, &seq[id]);
    pthread_t th[NAPP];
    struct app_arg args[NAPP];
    for (unsigned id = 0; id < NAPP; id++) {
        args[id] = (struct app_arg){id, par[id]};
        CHECK(pthread_create(&th[id], NULL, app_main, &args[id]) == 0, "pthread_create");
    }
    for (unsigned id = 0; id < NAPP; id++)
        pthread_join(th[id], NULL);
    for (unsigned id = 0; id < NAPP; id++)
        for (int rep = 0; rep < 2; rep++) {
            const struct app_result *x = &par[id][rep], *y = &seq[id];
            CHECK(same(x->price, y->price, sizeof x->price), "thread %u: prices differ", id);
            CHECK(same(x->pnl, y->pnl, sizeof x->pnl), "thread %u: book P&L differs", id);
            CHECK(same(x->var, y->var, sizeof x->var), "thread %u: VaR differs", id);
            CHECK(same(x->cov, y->cov, sizeof x->cov), "thread %u: covariance differs", id);
            CHECK(same(x->w, y->w, sizeof x->w), "thread %u: weights differ", id);
            CHECK(same(x->raw, y->raw, sizeof x->raw), "thread %u: rng differs", id);
            char want[64];
            snprintf(want, sizeof want, "strike[%u]", id);
            CHECK(x->bad == QPM_E_INVALID && strstr(x->msg, want) == x->msg,
                  "thread %u: error message \"%s\", expected one naming %s", id, x->msg, want);
        }
    printf("handles: %d application threads at once, each with pricer, book, risk, cov, opt "
           "and rng handles (threads inside), same bits as sequential, own error messages\n",
           NAPP);
}

int main(void)
{
    part_pool();
    part_pricing();
    part_screen();
    part_book();
    part_risk();
    part_apps();
    printf("threads: all parts passed\n");
    return 0;
}
