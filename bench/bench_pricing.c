/* Pricing throughput: price + delta, gamma, vega, theta, rho of BSM options
 * on random crypto-like inputs (spot 2e4..1e5, strike 0.5x..2x spot, 1 day
 * .. 2 years, vol 20 %..150 %, r 0..5 %, q 0..3 %), scalar and AVX2 kernels,
 * one thread and all threads, and QuantLib's BlackCalculator on the same
 * inputs in the same run when the bench was built with QuantLib.  Also
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
 * round, so that every case sees the same background and the ratios hold. */
typedef struct {
    void (*fn)(void *);
    void *ctx;
    double best;
} bcase;

static void run_interleaved(bcase *c, int nc, int rounds)
{
    for (int k = 0; k < nc; k++) {
        c[k].fn(c[k].ctx); /* warm-up */
        c[k].best = 1e300;
    }
    for (int r = 0; r < rounds; r++)
        for (int k = 0; k < nc; k++) {
            double t0 = bench_now();
            c[k].fn(c[k].ctx);
            double t = bench_now() - t0;
            if (t < c[k].best)
                c[k].best = t;
        }
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

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 100000;
    int have_avx2 = (qpm_cpu_features() & (QPM_CPU_AVX2 | QPM_CPU_FMA)) ==
                    (QPM_CPU_AVX2 | QPM_CPU_FMA);
    printf("libqpm %s bench_pricing: n = %zu, AVX2+FMA %s, QuantLib %s\n", qpm_version_string(),
           n, have_avx2 ? "yes" : "no",
#ifdef QPM_BENCH_QUANTLIB
           "yes"
#else
           "no"
#endif
    );
    job_t j;
    make_inputs(&j, n, 0);
    if (qpm_pricer_create(&j.p, NULL, QPM_MODEL_BSM, QPM_SETTLE_LINEAR) != QPM_OK)
        return 1;
    const int reps = 15;

    /* ---- single thread, price + 5 Greeks --------------------------------- */
    int kbest = have_avx2 ? QPM_PRICER_KERNEL_AVX2 : QPM_PRICER_KERNEL_SCALAR;
    double *scal[NOUT], *vec[NOUT];
    for (int k = 0; k < NOUT; k++) {
        scal[k] = alloc_d(n);
        vec[k] = alloc_d(n);
    }
    /* reference outputs of each kernel for the accuracy table */
    set_pricer(&j, QPM_PRICER_KERNEL_SCALAR, 1);
    run_qpm(&j);
    for (int k = 0; k < NOUT; k++)
        memcpy(scal[k], j.o[k], n * sizeof(double));
    set_pricer(&j, kbest, 1);
    run_qpm(&j);
    for (int k = 0; k < NOUT; k++)
        memcpy(vec[k], j.o[k], n * sizeof(double));

    job_t js = j; /* same inputs and outputs, scalar kernel */
    qpm_pricer_create(&js.p, NULL, QPM_MODEL_BSM, QPM_SETTLE_LINEAR);
    set_pricer(&js, QPM_PRICER_KERNEL_SCALAR, 1);
    job_t jp = j; /* price only */
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

    bcase cs[6];
    int nc = 0;
#ifdef QPM_BENCH_QUANTLIB
    job_t jq = j;
    jq.o[0] = alloc_d(n), jq.o[1] = alloc_d(n), jq.o[2] = alloc_d(n);
    jq.o[3] = alloc_d(n), jq.o[4] = alloc_d(n), jq.o[5] = alloc_d(n);
    cs[nc++] = (bcase){run_ql, &jq, 0};
#endif
    int i_scalar = nc;
    cs[nc++] = (bcase){run_qpm, &js, 0};
    int i_best = nc;
    cs[nc++] = (bcase){run_qpm, &j, 0};
    int i_price = nc;
    cs[nc++] = (bcase){run_qpm, &jp, 0};
    int i_chain = nc;
    cs[nc++] = (bcase){run_qpm, &c, 0};
    int i_inv = nc;
    cs[nc++] = (bcase){run_qpm, &iv, 0};
    run_interleaved(cs, nc, reps);
    double t_ref = cs[0].best;
    const char *kname = have_avx2 ? "AVX2" : "scalar";
    char name[128];

    bench_table_header("pricing: BSM price + delta, gamma, vega, theta, rho, one thread "
#ifdef QPM_BENCH_QUANTLIB
                       "(ratio: against QuantLib BlackCalculator)"
#else
                       "(ratio: against the scalar kernel)"
#endif
    );
#ifdef QPM_BENCH_QUANTLIB
    bench_table_row("QuantLib BlackCalculator", cs[0].best, (double)n, t_ref);
#endif
    bench_table_row("libqpm scalar", cs[i_scalar].best, (double)n, t_ref);
    snprintf(name, sizeof name, "libqpm %s", kname);
    bench_table_row(name, cs[i_best].best, (double)n, t_ref);
    snprintf(name, sizeof name, "libqpm %s, price only", kname);
    bench_table_row(name, cs[i_price].best, (double)n, t_ref);
    snprintf(name, sizeof name, "libqpm %s, chain (one S, T, r, q)", kname);
    bench_table_row(name, cs[i_chain].best, (double)n, t_ref);
    snprintf(name, sizeof name, "libqpm %s, Black-76 coin-settled", kname);
    bench_table_row(name, cs[i_inv].best, (double)n, t_ref);

    /* ---- threads -------------------------------------------------------- */
    size_t nt = n * 10;
    job_t big1, big2;
    make_inputs(&big1, nt, 0);
    big2 = big1;
    qpm_pricer_create(&big1.p, NULL, QPM_MODEL_BSM, QPM_SETTLE_LINEAR);
    qpm_pricer_create(&big2.p, NULL, QPM_MODEL_BSM, QPM_SETTLE_LINEAR);
    bench_table_header("pricing: thread scaling, n x 10 options, price + 5 Greeks (ratio: "
                       "against one thread of the same kernel)");
    for (int kk = 0; kk < 2; kk++) {
        int kernel = kk == 0 ? QPM_PRICER_KERNEL_SCALAR : QPM_PRICER_KERNEL_AVX2;
        if (kernel == QPM_PRICER_KERNEL_AVX2 && !have_avx2)
            continue;
        set_pricer(&big1, kernel, 1);
        set_pricer(&big2, kernel, 2);
        bcase tc[2] = {{run_qpm, &big1, 0}, {run_qpm, &big2, 0}};
        run_interleaved(tc, 2, 5);
        snprintf(name, sizeof name, "%s, 1 thread", kk == 0 ? "scalar" : "AVX2");
        bench_table_row(name, tc[0].best, (double)nt, tc[0].best);
        snprintf(name, sizeof name, "%s, 2 threads", kk == 0 ? "scalar" : "AVX2");
        bench_table_row(name, tc[1].best, (double)nt, tc[0].best);
    }

    /* ---- accuracy -------------------------------------------------------- */
    const char *names[NOUT] = {"price", "delta", "gamma", "vega", "theta", "rho"};
    printf("\n## pricing: largest relative difference on this set (values >= 1e-6 of scale)\n\n");
    printf("| output | %s vs scalar |%s\n|---|---:|%s\n", kname,
#ifdef QPM_BENCH_QUANTLIB
           " QuantLib vs scalar |", "---:|"
#else
           "", ""
#endif
    );
    for (int k = 0; k < NOUT; k++) {
        printf("| %s | %.2e |", names[k], max_rel(&j, k, vec, scal));
#ifdef QPM_BENCH_QUANTLIB
        printf(" %.2e |", max_rel(&j, k, jq.o, scal));
#endif
        printf("\n");
    }
    printf("\nper option: scalar %.1f ns, %s %.1f ns", 1e9 * cs[i_scalar].best / (double)n, kname,
           1e9 * cs[i_best].best / (double)n);
#ifdef QPM_BENCH_QUANTLIB
    printf(", QuantLib %.1f ns (%.1fx)", 1e9 * t_ref / (double)n, t_ref / cs[i_best].best);
#endif
    printf("\n");
    qpm_pricer_free(j.p);
    qpm_pricer_free(js.p);
    qpm_pricer_free(c.p);
    qpm_pricer_free(iv.p);
    qpm_pricer_free(big1.p);
    qpm_pricer_free(big2.p);
    return 0;
}
