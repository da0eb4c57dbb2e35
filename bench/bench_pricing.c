/* Pricing throughput: price + delta, gamma, vega, theta, rho of BSM options
 * on random crypto-like inputs (spot 2e4..1e5, strike 0.5x..2x spot, 1 day
 * .. 2 years, vol 20 %..150 %, r 0..5 %, q 0..3 %), every kernel the CPU runs
 * (scalar, AVX2, AVX-512), one thread and two, and QuantLib's
 * BlackCalculator on the same inputs in the same run when the bench was built
 * with QuantLib.  Also
 * prints the largest differences between the kernels and against QuantLib.
 * Usage: bench_pricing [n] (default 100000). */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "bench.h"
#include "qpm/pricing.h"

#ifdef QPM_BENCH_QUANTLIB
void qpmb_ql_bsm(size_t n, const double *S, const double *K, const double *T, const double *r,
                 const double *q, const double *sigma, const int32_t *type, double *price,
                 double *delta, double *gamma, double *vega, double *theta, double *rho);
#endif

enum { NOUT = 6 };

typedef struct {
    size_t n;
    double *S, *K, *T, *r, *q, *sigma;
    int32_t *type;
    double *o[NOUT];
    qpm_pricer *p;
    qpm_pricer_out out;
    int chain;   /* price_chain with S[0], T[0], r[0], q[0] */
} job_t;

static void run_qpm(void *v)
{
    job_t *j = v;
    qpm_status st;
    if (j->chain)
        st = qpm_pricer_price_chain(j->p, j->n, j->S[0], j->T[0], j->r[0], j->q[0], j->K,
                                    j->sigma, j->type, &j->out);
    else
        st = qpm_pricer_price(j->p, j->n, j->S, j->K, j->T, j->r, j->q, j->sigma, j->type,
                              &j->out);
    if (st != QPM_OK) {
        fprintf(stderr, "qpm_pricer_price: %s\n", qpm_last_error());
        exit(1);
    }
}

#ifdef QPM_BENCH_QUANTLIB
static void run_ql(void *v)
{
    job_t *j = v;
    qpmb_ql_bsm(j->n, j->S, j->K, j->T, j->r, j->q, j->sigma, j->type, j->o[0], j->o[1], j->o[2],
                j->o[3], j->o[4], j->o[5]);
}
#endif

/* The machines these figures come from are shared and noisy: the cases of
 * one table run interleaved, round after round, and each keeps its fastest
 * round, so that every case sees the same background and the ratios hold.
 * One-thread cases are timed in process CPU time (time spent descheduled by
 * other jobs does not count against either side); the thread-scaling table
 * needs wall time.  Each case also keeps its median round, for the spread. */
enum { MAX_ROUNDS = 64 };

typedef struct {
    void (*fn)(void *);
    void *ctx;
    double best, median;
} bcase;

static void run_interleaved_on(double (*now)(void), bcase *c, int nc, int rounds)
{
    static double t[8][MAX_ROUNDS];
    if (rounds > MAX_ROUNDS)
        rounds = MAX_ROUNDS;
    for (int k = 0; k < nc; k++) {
        c[k].fn(c[k].ctx); /* warm-up */
        c[k].best = 1e300;
    }
    for (int r = 0; r < rounds; r++)
        for (int k = 0; k < nc; k++) {
            double t0 = now();
            c[k].fn(c[k].ctx);
            t[k][r] = now() - t0;
            if (t[k][r] < c[k].best)
                c[k].best = t[k][r];
        }
    for (int k = 0; k < nc; k++) {
        qsort(t[k], (size_t)rounds, sizeof t[k][0], bench_cmp_double);
        c[k].median = t[k][rounds / 2];
    }
}

static void run_interleaved(bcase *c, int nc, int rounds)
{
    run_interleaved_on(bench_now, c, nc, rounds);
}

static double *alloc_d(size_t n)
{
    double *p = calloc(n, sizeof *p);
    if (p == NULL) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    return p;
}

static void make_inputs(job_t *j, size_t n, int chain)
{
    unsigned long long st = BENCH_SEED;
    j->n = n;
    j->S = alloc_d(n), j->K = alloc_d(n), j->T = alloc_d(n), j->r = alloc_d(n);
    j->q = alloc_d(n), j->sigma = alloc_d(n);
    j->type = calloc(n, sizeof *j->type);
    for (int k = 0; k < NOUT; k++)
        j->o[k] = alloc_d(n);
    for (size_t i = 0; i < n; i++) {
        j->S[i] = bench_uniform(&st, 2e4, 1e5);
        j->K[i] = j->S[i] * bench_uniform(&st, 0.5, 2.0);
        j->T[i] = bench_uniform(&st, 1.0 / 365.0, 2.0);
        j->r[i] = bench_uniform(&st, 0.0, 0.05);
        j->q[i] = bench_uniform(&st, 0.0, 0.03);
        j->sigma[i] = bench_uniform(&st, 0.2, 1.5);
        j->type[i] = bench_uniform(&st, 0.0, 1.0) < 0.5 ? 1 : -1;
        if (chain && i > 0) {
            j->S[i] = j->S[0], j->T[i] = j->T[0], j->r[i] = j->r[0], j->q[i] = j->q[0];
            j->K[i] = j->S[0] * (0.5 + 1.5 * (double)i / (double)n);
        }
    }
    j->chain = chain;
    memset(&j->out, 0, sizeof j->out);
    j->out.size = sizeof j->out;
    j->out.price = j->o[0], j->out.delta = j->o[1], j->out.gamma = j->o[2];
    j->out.vega = j->o[3], j->out.theta = j->o[4], j->out.rho = j->o[5];
}

static void set_pricer(job_t *j, int kernel, int threads)
{
    if (qpm_pricer_set(j->p, QPM_PRICER_KERNEL, kernel) != QPM_OK ||
        qpm_pricer_set(j->p, QPM_PRICER_THREADS, threads) != QPM_OK) {
        fprintf(stderr, "qpm_pricer_set: %s\n", qpm_last_error());
        exit(1);
    }
}

/* Largest relative difference of a against b over values not tiny against
 * their scale (|b| >= 1e-6 scale, scale = S for price, vega, theta, rho; 1
 * for delta; 1/S for gamma). */
static double max_rel(const job_t *j, int k, double *const a[NOUT], double *const b[NOUT])
{
    double w = 0.0;
    for (size_t i = 0; i < j->n; i++) {
        double scale = k == 1 ? 1.0 : k == 2 ? 1.0 / j->S[i] : j->S[i];
        if (fabs(b[k][i]) < 1e-6 * scale)
            continue;
        double d = fabs(a[k][i] - b[k][i]) / fabs(b[k][i]);
        if (d > w)
            w = d;
    }
    return w;
}

static const char *kernel_name(int k)
{
    return k == QPM_PRICER_KERNEL_SCALAR ? "scalar" : k == QPM_PRICER_KERNEL_AVX2 ? "AVX2" : "AVX-512";
}

static const char usage[] = "[n]\n  n  options per batch, 1..100000000 (default 100000)";

int main(int argc, char **argv)
{
    bench_help(argc, argv, usage);
    if (argc > 2)
        bench_bad_arg(argv, usage, "too many arguments", argv[2]);
    size_t n = argc > 1 ? (size_t)bench_arg_uint(argv, usage, argv[1], "n", 1, 100000000) : 100000;
    job_t j;
    make_inputs(&j, n, 0);
    if (qpm_pricer_create(&j.p, NULL, QPM_MODEL_BSM, QPM_SETTLE_LINEAR) != QPM_OK)
        return 1;
    /* the kernels this CPU runs, scalar first, widest last */
    int ks[3], nk = 0;
    for (int k = QPM_PRICER_KERNEL_SCALAR; k <= QPM_PRICER_KERNEL_AVX512; k++)
        if (qpm_pricer_set(j.p, QPM_PRICER_KERNEL, k) == QPM_OK)
            ks[nk++] = k;
    int kbest = ks[nk - 1];
    printf("libqpm %s bench_pricing: n = %zu, kernels:", qpm_version_string(), n);
    for (int k = 0; k < nk; k++)
        printf(" %s", kernel_name(ks[k]));
    printf(", QuantLib %s\n",
#ifdef QPM_BENCH_QUANTLIB
           "yes"
#else
           "no"
#endif
    );
    const int reps = 15;

    /* ---- single thread, price + 5 Greeks --------------------------------- */
    /* one job per kernel on the same inputs, each with its own outputs */
    job_t jk[3];
    for (int k = 0; k < nk; k++) {
        jk[k] = j;
        for (int o = 0; o < NOUT; o++)
            jk[k].o[o] = alloc_d(n);
        jk[k].out.price = jk[k].o[0], jk[k].out.delta = jk[k].o[1];
        jk[k].out.gamma = jk[k].o[2], jk[k].out.vega = jk[k].o[3];
        jk[k].out.theta = jk[k].o[4], jk[k].out.rho = jk[k].o[5];
        qpm_pricer_create(&jk[k].p, NULL, QPM_MODEL_BSM, QPM_SETTLE_LINEAR);
        set_pricer(&jk[k], ks[k], 1);
    }
    job_t jp = jk[nk - 1]; /* price only, widest kernel */
    memset(&jp.out, 0, sizeof jp.out);
    jp.out.size = sizeof jp.out;
    jp.out.price = j.o[0];
    /* chain: one spot, expiry, r, q; n strikes */
    job_t c;
    make_inputs(&c, n, 1);
    qpm_pricer_create(&c.p, NULL, QPM_MODEL_BSM, QPM_SETTLE_LINEAR);
    set_pricer(&c, kbest, 1);
    /* coin-settled Black-76 (the crypto exchange convention), same numbers
     * with S read as the forward */
    job_t iv;
    make_inputs(&iv, n, 0);
    qpm_pricer_create(&iv.p, NULL, QPM_MODEL_BLACK76, QPM_SETTLE_INVERSE);
    set_pricer(&iv, kbest, 1);
    iv.q = NULL;

    bcase cs[8];
    int nc = 0;
#ifdef QPM_BENCH_QUANTLIB
    job_t jq = j;
    for (int o = 0; o < NOUT; o++)
        jq.o[o] = alloc_d(n);
    cs[nc++] = (bcase){run_ql, &jq, 0, 0};
#endif
    int i_k0 = nc;
    for (int k = 0; k < nk; k++)
        cs[nc++] = (bcase){run_qpm, &jk[k], 0, 0};
    int i_price = nc;
    cs[nc++] = (bcase){run_qpm, &jp, 0, 0};
    int i_chain = nc;
    cs[nc++] = (bcase){run_qpm, &c, 0, 0};
    int i_inv = nc;
    cs[nc++] = (bcase){run_qpm, &iv, 0, 0};
    run_interleaved_on(bench_cpu_now, cs, nc, reps);
    double t_ref = cs[0].best;
    const char *kname = kernel_name(kbest);
    char name[128];

    bench_table_header("pricing: BSM price + delta, gamma, vega, theta, rho, one thread, "
                       "CPU time "
#ifdef QPM_BENCH_QUANTLIB
                       "(ratio: against QuantLib BlackCalculator)"
#else
                       "(ratio: against the scalar kernel)"
#endif
    );
#ifdef QPM_BENCH_QUANTLIB
    bench_table_row("QuantLib BlackCalculator", cs[0].best, (double)n, t_ref);
#endif
    for (int k = 0; k < nk; k++) {
        snprintf(name, sizeof name, "libqpm %s", kernel_name(ks[k]));
        bench_table_row(name, cs[i_k0 + k].best, (double)n, t_ref);
    }
    snprintf(name, sizeof name, "libqpm %s, price only", kname);
    bench_table_row(name, cs[i_price].best, (double)n, t_ref);
    snprintf(name, sizeof name, "libqpm %s, chain (one S, T, r, q)", kname);
    bench_table_row(name, cs[i_chain].best, (double)n, t_ref);
    snprintf(name, sizeof name, "libqpm %s, Black-76 coin-settled", kname);
    bench_table_row(name, cs[i_inv].best, (double)n, t_ref);

    /* ---- threads -------------------------------------------------------- */
    size_t nt = n; /* the same cache-resident size as above */
    job_t big1, big2;
    make_inputs(&big1, nt, 0);
    big2 = big1;
    qpm_pricer_create(&big1.p, NULL, QPM_MODEL_BSM, QPM_SETTLE_LINEAR);
    qpm_pricer_create(&big2.p, NULL, QPM_MODEL_BSM, QPM_SETTLE_LINEAR);
    bench_table_header("pricing: thread scaling, price + 5 Greeks (ratio: against one thread of "
                       "the same kernel)");
    for (int k = 0; k < nk; k++) {
        set_pricer(&big1, ks[k], 1);
        set_pricer(&big2, ks[k], 2);
        bcase tc[2] = {{run_qpm, &big1, 0, 0}, {run_qpm, &big2, 0, 0}};
        run_interleaved(tc, 2, reps);
        snprintf(name, sizeof name, "%s, 1 thread", kernel_name(ks[k]));
        bench_table_row(name, tc[0].best, (double)nt, tc[0].best);
        snprintf(name, sizeof name, "%s, 2 threads", kernel_name(ks[k]));
        bench_table_row(name, tc[1].best, (double)nt, tc[0].best);
    }

    /* ---- implied volatility through the public API ----------------------- */
    {
        /* out-of-the-money options of the same inputs: call when K >= F */
        job_t jv = j;
        int32_t *otype = calloc(n, sizeof *otype);
        double *vp = alloc_d(n), *vs = alloc_d(n), *vF = alloc_d(n);
        for (size_t i = 0; i < n; i++) {
            vF[i] = j.S[i] * exp((j.r[i] - j.q[i]) * j.T[i]);
            otype[i] = j.K[i] >= vF[i] ? QPM_CALL : QPM_PUT;
        }
        struct {
            const char *name;
            qpm_model m;
            qpm_settlement st;
            int rates;
        } ivc[4] = {{"Black-76, r = 0", QPM_MODEL_BLACK76, QPM_SETTLE_LINEAR, 0},
                    {"Black-76 coin-settled, r = 0", QPM_MODEL_BLACK76, QPM_SETTLE_INVERSE, 0},
                    {"Black-76, r 0..5 %", QPM_MODEL_BLACK76, QPM_SETTLE_LINEAR, 1},
                    {"BSM, r 0..5 %, q 0..3 %", QPM_MODEL_BSM, QPM_SETTLE_LINEAR, 1}};
        bench_table_header("pricing: implied volatility through qpm_pricer_implied_vol, one "
                           "thread, out-of-the-money options of the same inputs (ratio: against "
                           "pricing them with price + 5 Greeks)");
        for (int c2 = 0; c2 < 4; c2++) {
            qpm_pricer *pv;
            qpm_pricer_create(&pv, NULL, ivc[c2].m, ivc[c2].st);
            int bsm = ivc[c2].m == QPM_MODEL_BSM;
            const double *U = bsm ? j.S : vF, *Q = bsm ? j.q : NULL;
            const double *Rr = ivc[c2].rates ? j.r : NULL;
            qpm_pricer_out po;
            memset(&po, 0, sizeof po);
            po.size = sizeof po;
            po.price = vp;
            qpm_pricer_price(pv, n, U, j.K, j.T, Rr, Q, j.sigma, otype, &po);
            double best = 1e300;
            for (int rep = 0; rep < 5; rep++) {
                double t0 = bench_now();
                qpm_pricer_implied_vol(pv, n, U, j.K, j.T, Rr, Q, otype, vp, vs, NULL);
                double t = bench_now() - t0;
                if (t < best)
                    best = t;
            }
            double worst = 0.0;
            size_t fails = 0;
            for (size_t i = 0; i < n; i++) {
                if (isnan(vs[i])) {
                    fails++;
                    continue;
                }
                double d = fabs(vs[i] - j.sigma[i]);
                if (d > worst)
                    worst = d;
            }
            snprintf(name, sizeof name, "%s: worst abs dsigma %.2g, %zu unsolved", ivc[c2].name,
                     worst, fails);
            bench_table_row(name, best, (double)n, cs[i_k0 + nk - 1].best);
            qpm_pricer_free(pv);
        }
        (void)jv;
        free(otype), free(vp), free(vs), free(vF);
    }

    /* ---- accuracy -------------------------------------------------------- */
    const char *names[NOUT] = {"price", "delta", "gamma", "vega", "theta", "rho"};
    printf("\n## pricing: largest relative difference on this set (values >= 1e-6 of scale)\n\n");
    printf("| output |");
    for (int k = 1; k < nk; k++)
        printf(" %s vs scalar |", kernel_name(ks[k]));
#ifdef QPM_BENCH_QUANTLIB
    printf(" QuantLib vs scalar |");
#endif
    printf("\n|---|");
    for (int k = 1; k < nk + 1; k++)
        printf("---:|");
    printf("\n");
    for (int o = 0; o < NOUT; o++) {
        printf("| %s |", names[o]);
        for (int k = 1; k < nk; k++)
            printf(" %.2e |", max_rel(&j, o, jk[k].o, jk[0].o));
#ifdef QPM_BENCH_QUANTLIB
        printf(" %.2e |", max_rel(&j, o, jq.o, jk[0].o));
#endif
        printf("\n");
    }
    printf("\nper option:");
    for (int k = 0; k < nk; k++)
        printf(" %s %.1f ns,", kernel_name(ks[k]), 1e9 * cs[i_k0 + k].best / (double)n);
#ifdef QPM_BENCH_QUANTLIB
    printf(" QuantLib %.1f ns (%.1fx the AVX2 kernel's time, %.1fx the %s kernel's)", 1e9 * t_ref / (double)n,
           nk > 1 ? t_ref / cs[i_k0 + 1].best : 0.0, t_ref / cs[i_k0 + nk - 1].best, kname);
#endif
    printf("\n");
    printf("median round per option:");
    for (int k = 0; k < nk; k++)
        printf(" %s %.1f ns,", kernel_name(ks[k]), 1e9 * cs[i_k0 + k].median / (double)n);
#ifdef QPM_BENCH_QUANTLIB
    printf(" QuantLib %.1f ns (%.1fx the %s kernel's median)", 1e9 * cs[0].median / (double)n,
           cs[0].median / cs[i_k0 + nk - 1].median, kname);
#endif
    printf("\n");
    for (int k = 0; k < nk; k++)
        qpm_pricer_free(jk[k].p);
    qpm_pricer_free(j.p);
    qpm_pricer_free(c.p);
    qpm_pricer_free(iv.p);
    qpm_pricer_free(big1.p);
    qpm_pricer_free(big2.p);
    return 0;
}
