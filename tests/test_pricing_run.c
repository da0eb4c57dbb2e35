/* White-box: the pricer's unchecked run (qpm__pricer_run) and the implied-vol
 * batch's first failure.  Every layout of a run (groups, broadcast,
 * contiguous and strided inputs, both orientations of an options x
 * scenarios grid) gives the bits of qpm_pricer_price on the same values,
 * on every kernel, model and settlement. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pricing/implied_vol.h"
#include "pricing/pricer_run.h"
#include "qpm/pricing.h"
#include "support/testutil.h"

static double unif(unsigned long long *s, double a, double b)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return a + (b - a) * (double)(*s >> 11) * 0x1p-53;
}

/* nopt options under ns scenarios: per-option K, T, r, q, type; per (option,
 * scenario) underlying and sigma. */
enum { NOPT = 13, NS = 11, N = NOPT * NS };

typedef struct grid {
    double K[NOPT], T[NOPT], r[NOPT], q[NOPT];
    int32_t type[NOPT];
    double u[N], sig[N]; /* option-major: [j * NS + k] */
} grid;

static void make_grid(grid *g, qpm_model model, unsigned long long seed)
{
    unsigned long long s = seed;
    int bach = model == QPM_MODEL_BACHELIER;
    for (size_t j = 0; j < NOPT; j++) {
        g->K[j] = bach ? unif(&s, -20, 120) : 100 * exp(unif(&s, -0.8, 0.8));
        g->T[j] = j == 3 ? 0.0 : unif(&s, 0.01, 3);
        g->r[j] = unif(&s, -0.05, 0.1);
        g->q[j] = model == QPM_MODEL_BSM ? unif(&s, 0, 0.05) : 0.0;
        g->type[j] = j % 3 ? QPM_CALL : QPM_PUT;
        for (size_t k = 0; k < NS; k++) {
            g->u[j * NS + k] = bach ? unif(&s, -10, 130) : 100 * exp(unif(&s, -0.5, 0.5));
            g->sig[j * NS + k] = k == 2 ? 0.0 : (bach ? unif(&s, 1, 60) : unif(&s, 0.05, 1.5));
        }
    }
}

/* The reference: qpm_pricer_price on flat arrays in option-major order. */
static void reference(qpm_pricer *p, const grid *g, int carry, double out[][N])
{
    static double K[N], T[N], r[N], q[N];
    static int32_t ty[N];
    for (size_t i = 0; i < N; i++) {
        size_t j = i / NS;
        K[i] = g->K[j], T[i] = g->T[j], r[i] = g->r[j], q[i] = g->q[j], ty[i] = g->type[j];
    }
    qpm_pricer_out o;
    memset(&o, 0, sizeof o);
    o.size = sizeof o;
    o.price = out[0], o.delta = out[1], o.gamma = out[2], o.vega = out[3], o.theta = out[4];
    o.rho = out[5], o.vanna = out[6], o.volga = out[7], o.charm = out[8], o.rho_q = out[9];
    o.price_usd = out[10], o.delta_coin = out[11];
    cr_assert_eq(qpm_pricer_price(p, N, g->u, K, T, r, carry ? q : NULL, g->sig, ty, &o), QPM_OK,
                 "%s", qpm_last_error());
}

/* Runs the grid in one layout: option-major (groups = options) or
 * scenario-major (groups = scenarios, reading the option-major u and sig
 * with stride NS); outputs land back in option-major order. */
static void run_layout(qpm_pricer *p, const grid *g, int carry, int option_major,
                       double out[][N])
{
    static double tmp[QPM__NOUT][N];
    qpm__pjob job;
    memset(&job, 0, sizeof job);
    job.k = g->K, job.t = g->T, job.r = g->r, job.q = carry ? g->q : NULL, job.type = g->type;
    job.u = g->u, job.sig = g->sig;
    if (option_major) {
        job.ng = NOPT, job.ne = NS;
        job.gk = job.gt = job.gr = job.gq = job.gtype = 1; /* element strides 0 */
        job.su = job.ssig = 1, job.gu = job.gsig = NS;
    } else {
        job.ng = NS, job.ne = NOPT;
        job.sk = job.st = job.sr = job.sq = job.stype = 1; /* group strides 0 */
        job.su = job.ssig = NS, job.gu = job.gsig = 1;     /* strided */
    }
    job.gout = job.ne;
    for (int o = 0; o < QPM__NOUT; o++)
        job.out[o] = tmp[o];
    cr_assert_eq(qpm__pricer_run(p, &job), QPM_OK, "%s", qpm_last_error());
    for (int o = 0; o < QPM__NOUT; o++)
        for (size_t j = 0; j < NOPT; j++)
            for (size_t k = 0; k < NS; k++)
                out[o][j * NS + k] = option_major ? tmp[o][j * NS + k] : tmp[o][k * NOPT + j];
}

Test(pricing_run, every_layout_gives_the_bits_of_the_checked_batch)
{
    static double ref[QPM__NOUT][N], got[QPM__NOUT][N];
    int ks[4], nk = qt_pricer_kernels(ks);
    const qpm_model models[3] = {QPM_MODEL_BSM, QPM_MODEL_BLACK76, QPM_MODEL_BACHELIER};
    for (int kk = 0; kk < nk; kk++)
        for (int mi = 0; mi < 3; mi++)
            for (int settle = 0; settle < 2; settle++) {
                if (models[mi] == QPM_MODEL_BACHELIER && settle == QPM_SETTLE_INVERSE)
                    continue;
                qpm_pricer *p;
                cr_assert_eq(qpm_pricer_create(&p, NULL, models[mi], (qpm_settlement)settle),
                             QPM_OK);
                cr_assert_eq(qpm_pricer_set(p, QPM_PRICER_KERNEL, ks[kk]), QPM_OK);
                grid g;
                make_grid(&g, models[mi], 17 + (unsigned)mi);
                int carry = models[mi] == QPM_MODEL_BSM;
                reference(p, &g, carry, ref);
                for (int om = 0; om <= 1; om++) {
                    memset(got, 0, sizeof got);
                    run_layout(p, &g, carry, om, got);
                    cr_assert(memcmp(got, ref, sizeof got) == 0,
                              "kernel %d model %d settle %d option-major %d", ks[kk], mi, settle,
                              om);
                }
                qpm_pricer_free(p);
            }
    cr_assert_eq(qt_leak_check(), 0);
}

/* A strided input longer than the run's gather tile, with threads on: the
 * threads serve only single groups of strides 0 and 1, bits unchanged. */
Test(pricing_run, long_strided_runs_and_threads)
{
    enum { M = 3000, S = 3 };
    static double F[M * S], K[M], sig[M * S], ref[M], got[M], flatF[M], flats[M];
    static int32_t ty[M];
    unsigned long long s = 5;
    for (size_t i = 0; i < M; i++) {
        K[i] = 100 * exp(unif(&s, -1, 1));
        ty[i] = i % 2 ? QPM_CALL : QPM_PUT;
        for (size_t c = 0; c < S; c++) {
            F[i * S + c] = 100 * exp(unif(&s, -0.3, 0.3));
            sig[i * S + c] = unif(&s, 0.1, 1.0);
        }
        flatF[i] = F[i * S + 1];
        flats[i] = sig[i * S + 2];
    }
    double T = 0.5, r = 0.03;
    qpm_pricer *p;
    cr_assert_eq(qpm_pricer_create(&p, NULL, QPM_MODEL_BLACK76, QPM_SETTLE_INVERSE), QPM_OK);
    cr_assert_eq(qpm_pricer_set(p, QPM_PRICER_THREADS, 2), QPM_OK);
    cr_assert_eq(qpm_pricer_set(p, QPM_PRICER_PAR_MIN, 1), QPM_OK);
    double Tv[M], rv[M];
    for (size_t i = 0; i < M; i++)
        Tv[i] = T, rv[i] = r;
    cr_assert_eq(qpm_pricer_price(p, M, flatF, K, Tv, rv, NULL, flats, ty,
                                  &(qpm_pricer_out){.size = sizeof(qpm_pricer_out),
                                                    .price = ref}),
                 QPM_OK);
    qpm__pjob job;
    memset(&job, 0, sizeof job);
    job.ng = 1, job.ne = M;
    job.u = F + 1, job.su = S;
    job.sig = sig + 2, job.ssig = S;
    job.k = K, job.sk = 1;
    job.t = &T, job.r = &r;
    job.type = ty, job.stype = 1;
    job.gout = M;
    job.out[QPM__O_PRICE] = got;
    cr_assert_eq(qpm__pricer_run(p, &job), QPM_OK);
    cr_assert(memcmp(got, ref, sizeof got) == 0, "strided run differs");
    /* contiguous, threaded */
    job.u = flatF, job.su = 1, job.sig = flats, job.ssig = 1;
    memset(got, 0, sizeof got);
    cr_assert_eq(qpm__pricer_run(p, &job), QPM_OK);
    cr_assert(memcmp(got, ref, sizeof got) == 0, "threaded run differs");
    qpm_pricer_free(p);
    cr_assert_eq(qt_leak_check(), 0);
}

/* An output beyond the double range (at the money with a subnormal
 * sigma sqrt(T), the gamma): the facade's status and message, naming the
 * element by its index in group order, every output written. */
Test(pricing_run, overflow_names_the_first_element_like_the_facade)
{
    qpm_pricer *p;
    cr_assert_eq(qpm_pricer_create(&p, NULL, QPM_MODEL_BLACK76, QPM_SETTLE_LINEAR), QPM_OK);
    double u[4] = {100, 90, 1, 1}, K[4] = {100, 100, 1, 1};
    double T[4] = {1, 1, 1, 1}, sig[4] = {0.5, 0.5, 1e-310, 1e-310};
    int32_t ty[4] = {QPM_PUT, QPM_CALL, QPM_CALL, QPM_CALL};
    double a[2][4], b[2][4];
    qpm_pricer_out o = {.size = sizeof o, .price = a[0], .gamma = a[1]};
    cr_assert_eq(qpm_pricer_price(p, 4, u, K, T, NULL, NULL, sig, ty, &o), QPM_E_OVERFLOW);
    char msg[512];
    snprintf(msg, sizeof msg, "%s", qpm_last_error());
    cr_assert(strstr(msg, "element 2: gamma") != NULL, "%s", msg);
    /* the same options as 2 groups of 2 */
    qpm__pjob job;
    memset(&job, 0, sizeof job);
    job.ng = 2, job.ne = 2;
    job.u = u, job.k = K, job.t = T, job.sig = sig, job.type = ty;
    job.su = job.sk = job.st = job.ssig = job.stype = 1;
    job.gu = job.gk = job.gt = job.gsig = job.gtype = 2;
    job.gout = 2;
    job.out[QPM__O_PRICE] = b[0];
    job.out[QPM__O_GAMMA] = b[1];
    cr_assert_eq(qpm__pricer_run(p, &job), QPM_E_OVERFLOW);
    cr_assert_str_eq(qpm_last_error(), msg);
    cr_assert(memcmp(a, b, sizeof a) == 0);
    qpm_pricer_free(p);
    cr_assert_eq(qt_leak_check(), 0);
}

/* The batch solver's first failure is the first element whose status is not
 * QPM_OK, with that status; none when all are solved. */
Test(pricing_run, implied_vol_batch_reports_its_first_failure)
{
    enum { M = 40 };
    double price[M], F[M], K[M], T[M], sg[M];
    int32_t ty[M], st[M];
    unsigned long long s = 3;
    for (size_t i = 0; i < M; i++) {
        F[i] = 100, K[i] = 100 * exp(unif(&s, -0.5, 0.5)), T[i] = 0.5;
        ty[i] = i % 2 ? QPM_CALL : QPM_PUT;
        price[i] = qpm__black_price(F[i], K[i], T[i], unif(&s, 0.2, 1.0), ty[i] > 0);
    }
    qpm__iv_first f;
    size_t fails = qpm__black_implied_vol_batch_first(M, price, F, K, T, NULL, ty, sg, st, &f);
    cr_assert_eq(fails, 0);
    cr_assert_eq(f.index, SIZE_MAX);
    cr_assert_eq(f.status, QPM_OK);
    /* planted: above the call's upper bound at 17, zero at 9 and 30 */
    price[17] = 1000.0;
    price[9] = price[30] = 0.0;
    fails = qpm__black_implied_vol_batch_first(M, price, F, K, T, NULL, ty, sg, NULL, &f);
    cr_assert_eq(fails, 3);
    cr_assert_eq(f.index, 9);
    cr_assert_eq(f.status, QPM_E_ARBITRAGE);
    cr_assert(isnan(sg[9]) && isnan(sg[17]) && isnan(sg[30]));
    /* the same statuses as the batch without the record */
    int32_t st2[M];
    qpm__black_implied_vol_batch(M, price, F, K, T, NULL, ty, sg, st2);
    fails = qpm__black_implied_vol_batch_first(M - 10, price + 10, F + 10, K + 10, T + 10, NULL,
                                               ty + 10, sg + 10, st + 10, &f);
    cr_assert_eq(fails, 2);
    cr_assert_eq(f.index, 7); /* element 17 */
    cr_assert_eq((int)f.status, st2[17]);
    cr_assert(memcmp(st + 10, st2 + 10, (M - 10) * sizeof *st) == 0);
}
