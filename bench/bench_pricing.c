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
    const int reps = 11;

    /* ---- single thread, price + 5 Greeks --------------------------------- */
    double t_ref, t_scalar, t_avx2 = 0, t_ql = 0, t_price = 0, t_chain = 0, t_inv = 0;
    double *scal[NOUT], *vec[NOUT];
    set_pricer(&j, QPM_PRICER_KERNEL_SCALAR, 1);
    t_scalar = bench_median(run_qpm, &j, 1, reps);
    for (int k = 0; k < NOUT; k++) {
        scal[k] = alloc_d(n);
        vec[k] = alloc_d(n);
        memcpy(scal[k], j.o[k], n * sizeof(double));
    }
    if (have_avx2) {
        set_pricer(&j, QPM_PRICER_KERNEL_AVX2, 1);
        t_avx2 = bench_median(run_qpm, &j, 2, reps);
        for (int k = 0; k < NOUT; k++)
            memcpy(vec[k], j.o[k], n * sizeof(double));
        /* price only */
        qpm_pricer_out full = j.out;
        memset(&j.out, 0, sizeof j.out);
        j.out.size = sizeof j.out;
        j.out.price = j.o[0];
        t_price = bench_median(run_qpm, &j, 2, reps);
        j.out = full;
    }
    t_ref = t_scalar;
#ifdef QPM_BENCH_QUANTLIB
    t_ql = bench_median(run_ql, &j, 1, reps);
    t_ref = t_ql;
#endif
    int kbest = have_avx2 ? QPM_PRICER_KERNEL_AVX2 : QPM_PRICER_KERNEL_SCALAR;

    /* chain: one spot, expiry, r, q; n strikes */
    job_t c;
    make_inputs(&c, n, 1);
    qpm_pricer_create(&c.p, NULL, QPM_MODEL_BSM, QPM_SETTLE_LINEAR);
    set_pricer(&c, kbest, 1);
    t_chain = bench_median(run_qpm, &c, 2, reps);

    /* coin-settled Black-76 (the crypto exchange convention), same numbers
     * with S read as the forward */
    job_t iv;
    make_inputs(&iv, n, 0);
    qpm_pricer_create(&iv.p, NULL, QPM_MODEL_BLACK76, QPM_SETTLE_INVERSE);
    set_pricer(&iv, kbest, 1);
    double *qsave = iv.q;
    iv.q = NULL;
    t_inv = bench_median(run_qpm, &iv, 2, reps);
    iv.q = qsave;

    bench_table_header("pricing: BSM price + delta, gamma, vega, theta, rho, one thread "
#ifdef QPM_BENCH_QUANTLIB
                       "(ratio: against QuantLib BlackCalculator)"
#else
                       "(ratio: against the scalar kernel)"
#endif
    );
#ifdef QPM_BENCH_QUANTLIB
    bench_table_row("QuantLib BlackCalculator", t_ql, (double)n, t_ref);
#endif
    bench_table_row("libqpm scalar", t_scalar, (double)n, t_ref);
    if (have_avx2) {
        bench_table_row("libqpm AVX2", t_avx2, (double)n, t_ref);
        bench_table_row("libqpm AVX2, price only", t_price, (double)n, t_ref);
    }
    bench_table_row(have_avx2 ? "libqpm AVX2, chain (one S, T, r, q)" : "libqpm chain", t_chain,
                    (double)n, t_ref);
    bench_table_row(have_avx2 ? "libqpm AVX2, Black-76 coin-settled" : "libqpm Black-76 coin",
                    t_inv, (double)n, t_ref);

    /* ---- threads -------------------------------------------------------- */
    size_t nt = n * 10;
    job_t big;
    make_inputs(&big, nt, 0);
    qpm_pricer_create(&big.p, NULL, QPM_MODEL_BSM, QPM_SETTLE_LINEAR);
    unsigned maxt = 2;
    bench_table_header("pricing: thread scaling, n x 10 options, price + 5 Greeks (ratio: "
                       "against one thread of the same kernel)");
    for (int kk = 0; kk < 2; kk++) {
        int kernel = kk == 0 ? QPM_PRICER_KERNEL_SCALAR : QPM_PRICER_KERNEL_AVX2;
        if (kernel == QPM_PRICER_KERNEL_AVX2 && !have_avx2)
            continue;
        double t1 = 0;
        for (unsigned th = 1; th <= maxt; th++) {
            set_pricer(&big, kernel, (int)th);
            double t = bench_median(run_qpm, &big, 1, 5);
            if (th == 1)
                t1 = t;
            char name[96];
            snprintf(name, sizeof name, "%s, %u thread%s", kk == 0 ? "scalar" : "AVX2", th,
                     th > 1 ? "s" : "");
            bench_table_row(name, t, (double)nt, t1);
        }
    }

    /* ---- accuracy -------------------------------------------------------- */
    const char *names[NOUT] = {"price", "delta", "gamma", "vega", "theta", "rho"};
    printf("\n## pricing: largest relative difference on this set (values >= 1e-6 of scale)\n\n");
    printf("| output | AVX2 vs scalar |%s\n|---|---:|%s\n",
#ifdef QPM_BENCH_QUANTLIB
           " QuantLib vs scalar |", "---:|"
#else
           "", ""
#endif
    );
    for (int k = 0; k < NOUT; k++) {
        printf("| %s | %.2e |", names[k], have_avx2 ? max_rel(&j, k, vec, scal) : 0.0);
#ifdef QPM_BENCH_QUANTLIB
        printf(" %.2e |", max_rel(&j, k, j.o, scal));
#endif
        printf("\n");
    }
    printf("\nper option: scalar %.1f ns, AVX2 %.1f ns%s", 1e9 * t_scalar / (double)n,
           1e9 * t_avx2 / (double)n, t_ql > 0 ? "" : "\n");
    if (t_ql > 0)
        printf(", QuantLib %.1f ns\n", 1e9 * t_ql / (double)n);
    qpm_pricer_free(j.p);
    qpm_pricer_free(c.p);
    qpm_pricer_free(iv.p);
    qpm_pricer_free(big.p);
    return 0;
}
