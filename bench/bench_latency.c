/* Single-option latency: the time of one qpm_pricer_price call that prices
 * n = 1, 2, 3, 4, 8, 16, 32 or 64 BSM options (price + delta, gamma, vega,
 * theta, rho), as a trading system that re-prices an option at a time pays
 * it, for the kernel a new pricer chooses (auto) and for each kernel this
 * CPU runs, and QuantLib's BlackCalculator on the same options in the same
 * run when the bench was built with QuantLib.
 *
 * Inputs as in bench_pricing (spot 2e4..1e5, strike 0.5x..2x spot, 1 day ..
 * 2 years, vol 20 %..150 %, r 0..5 %, q 0..3 %), a pool of POOL options from
 * the fixed seed; successive calls take successive slices of the pool, so
 * every call prices other options.  A round times `calls` calls of every
 * case, interleaved case after case, in process CPU time; each case keeps
 * its fastest round (min of runs: the machines are shared and noisy, and the
 * minimum is the figure least touched by other jobs).
 *
 * Prints ns per call for every case and n, then the ratios: QuantLib's time
 * over this case's (n = 1 is the single-option target) and the scalar
 * kernel's time over this case's (never below 1 for auto). */
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

enum { POOL = 4096, NOUT = 6, MAXN = 64, NSIZES = 8, MAXCASES = 5 };

static const size_t sizes[NSIZES] = {1, 2, 3, 4, 8, 16, 32, 64};

typedef struct {
    double S[POOL], K[POOL], T[POOL], r[POOL], q[POOL], sigma[POOL];
    int32_t type[POOL];
} pool_t;

typedef struct {
    const pool_t *in;
    qpm_pricer *p; /* NULL: QuantLib */
    qpm_pricer_out out;
    double o[NOUT][MAXN];
    size_t n;
    long calls;
} case_t;

static void run_case(case_t *c)
{
    const pool_t *in = c->in;
    size_t off = 0, n = c->n;
    for (long i = 0; i < c->calls; i++) {
        if (c->p != NULL) {
            if (qpm_pricer_price(c->p, n, in->S + off, in->K + off, in->T + off, in->r + off,
                                 in->q + off, in->sigma + off, in->type + off, &c->out) != QPM_OK) {
                fprintf(stderr, "qpm_pricer_price: %s\n", qpm_last_error());
                exit(1);
            }
        } else {
#ifdef QPM_BENCH_QUANTLIB
            qpmb_ql_bsm(n, in->S + off, in->K + off, in->T + off, in->r + off, in->q + off,
                        in->sigma + off, in->type + off, c->o[0], c->o[1], c->o[2], c->o[3],
                        c->o[4], c->o[5]);
#endif
        }
        off += n;
        if (off + n > POOL)
            off = 0;
    }
}

static const char *kernel_name(int k)
{
    return k == QPM_PRICER_KERNEL_AUTO     ? "auto"
           : k == QPM_PRICER_KERNEL_SCALAR ? "scalar"
           : k == QPM_PRICER_KERNEL_AVX2   ? "AVX2"
                                           : "AVX-512";
}

static void usage(FILE *f)
{
    fprintf(f, "usage: bench_latency [--rounds R] [--calls M]\n"
               "  Times qpm_pricer_price on n = 1, 2, 3, 4, 8, 16, 32, 64 BSM options (price +\n"
               "  5 Greeks) per call: auto and every kernel this CPU runs, and QuantLib's\n"
               "  BlackCalculator when built with QuantLib.  Each case keeps the fastest of R\n"
               "  rounds (default 40) of M calls (default 2000), process CPU time.\n");
}

int main(int argc, char **argv)
{
    int rounds = 40;
    long calls = 2000;
    for (int a = 1; a < argc; a++) {
        if (strcmp(argv[a], "--help") == 0 || strcmp(argv[a], "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(argv[a], "--rounds") == 0 && a + 1 < argc) {
            rounds = atoi(argv[++a]);
        } else if (strcmp(argv[a], "--calls") == 0 && a + 1 < argc) {
            calls = atol(argv[++a]);
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (rounds < 1 || calls < 1) {
        usage(stderr);
        return 2;
    }
    static pool_t in;
    unsigned long long st = BENCH_SEED;
    for (size_t i = 0; i < POOL; i++) {
        in.S[i] = bench_uniform(&st, 2e4, 1e5);
        in.K[i] = in.S[i] * bench_uniform(&st, 0.5, 2.0);
        in.T[i] = bench_uniform(&st, 1.0 / 365.0, 2.0);
        in.r[i] = bench_uniform(&st, 0.0, 0.05);
        in.q[i] = bench_uniform(&st, 0.0, 0.03);
        in.sigma[i] = bench_uniform(&st, 0.2, 1.5);
        in.type[i] = bench_uniform(&st, 0.0, 1.0) < 0.5 ? 1 : -1;
    }

    /* cases: [QuantLib], auto, then each kernel this CPU runs */
    int kind[MAXCASES], nc = 0, i_ql = -1, i_scalar = -1;
#ifdef QPM_BENCH_QUANTLIB
    i_ql = nc;
    kind[nc++] = -1;
#endif
    int i_auto = nc;
    kind[nc++] = QPM_PRICER_KERNEL_AUTO;
    {
        qpm_pricer *p;
        if (qpm_pricer_create(&p, NULL, QPM_MODEL_BSM, QPM_SETTLE_LINEAR) != QPM_OK)
            return 1;
        for (int k = QPM_PRICER_KERNEL_SCALAR; k <= QPM_PRICER_KERNEL_AVX512; k++)
            if (qpm_pricer_set(p, QPM_PRICER_KERNEL, k) == QPM_OK) {
                if (k == QPM_PRICER_KERNEL_SCALAR)
                    i_scalar = nc;
                kind[nc++] = k;
            }
        qpm_pricer_free(p);
    }
    static case_t cs[NSIZES][MAXCASES];
    static double best[NSIZES][MAXCASES];
    int auto_kernel = 0;
    for (int s = 0; s < NSIZES; s++)
        for (int c = 0; c < nc; c++) {
            case_t *x = &cs[s][c];
            x->in = &in;
            x->n = sizes[s];
            x->calls = calls;
            x->p = NULL;
            if (kind[c] >= 0) {
                if (qpm_pricer_create(&x->p, NULL, QPM_MODEL_BSM, QPM_SETTLE_LINEAR) != QPM_OK)
                    return 1;
                if (kind[c] != QPM_PRICER_KERNEL_AUTO &&
                    qpm_pricer_set(x->p, QPM_PRICER_KERNEL, kind[c]) != QPM_OK)
                    return 1;
                double kv;
                qpm_pricer_get(x->p, QPM_PRICER_KERNEL, &kv);
                if (kind[c] == QPM_PRICER_KERNEL_AUTO)
                    auto_kernel = (int)kv;
            }
            memset(&x->out, 0, sizeof x->out);
            x->out.size = sizeof x->out;
            x->out.price = x->o[0], x->out.delta = x->o[1], x->out.gamma = x->o[2];
            x->out.vega = x->o[3], x->out.theta = x->o[4], x->out.rho = x->o[5];
            best[s][c] = 1e300;
        }

    printf("libqpm %s bench_latency: %d rounds of %ld calls, process CPU time, fastest round; "
           "auto = %s; QuantLib %s\n",
           qpm_version_string(), rounds, calls, kernel_name(auto_kernel),
           i_ql >= 0 ? "BlackCalculator" : "not built in");
    for (int s = 0; s < NSIZES; s++)
        for (int c = 0; c < nc; c++)
            run_case(&cs[s][c]); /* warm-up */
    for (int r = 0; r < rounds; r++)
        for (int s = 0; s < NSIZES; s++)
            for (int c = 0; c < nc; c++) {
                double t0 = bench_cpu_now();
                run_case(&cs[s][c]);
                double t = (bench_cpu_now() - t0) / (double)calls;
                if (t < best[s][c])
                    best[s][c] = t;
            }

    printf("\n## latency: ns per qpm_pricer_price call of n BSM options, price + 5 Greeks\n\n");
    printf("| case |");
    for (int s = 0; s < NSIZES; s++)
        printf(" n = %zu |", sizes[s]);
    printf("\n|---|");
    for (int s = 0; s < NSIZES; s++)
        printf("---:|");
    printf("\n");
    for (int c = 0; c < nc; c++) {
        char name[64];
        if (kind[c] < 0)
            snprintf(name, sizeof name, "QuantLib BlackCalculator");
        else if (kind[c] == QPM_PRICER_KERNEL_AUTO)
            snprintf(name, sizeof name, "libqpm auto (%s)", kernel_name(auto_kernel));
        else
            snprintf(name, sizeof name, "libqpm %s", kernel_name(kind[c]));
        printf("| %s |", name);
        for (int s = 0; s < NSIZES; s++)
            printf(" %.1f |", 1e9 * best[s][c]);
        printf("\n");
    }
    if (i_ql >= 0) {
        printf("\n## latency: QuantLib's time / libqpm's time (higher is faster)\n\n| case |");
        for (int s = 0; s < NSIZES; s++)
            printf(" n = %zu |", sizes[s]);
        printf("\n|---|");
        for (int s = 0; s < NSIZES; s++)
            printf("---:|");
        printf("\n");
        for (int c = 0; c < nc; c++) {
            if (c == i_ql)
                continue;
            printf("| %s |", c == i_auto ? "auto" : kernel_name(kind[c]));
            for (int s = 0; s < NSIZES; s++)
                printf(" %.2fx |", best[s][i_ql] / best[s][c]);
            printf("\n");
        }
    }
    printf("\n## latency: the scalar kernel's time / this case's time\n\n| case |");
    for (int s = 0; s < NSIZES; s++)
        printf(" n = %zu |", sizes[s]);
    printf("\n|---|");
    for (int s = 0; s < NSIZES; s++)
        printf("---:|");
    printf("\n");
    double worst_auto = 1e300;
    size_t worst_n = 0;
    for (int c = 0; c < nc; c++) {
        if (kind[c] < 0)
            continue;
        printf("| %s |", c == i_auto ? "auto" : kernel_name(kind[c]));
        for (int s = 0; s < NSIZES; s++) {
            double q = best[s][i_scalar] / best[s][c];
            printf(" %.2fx |", q);
            if (c == i_auto && q < worst_auto)
                worst_auto = q, worst_n = sizes[s];
        }
        printf("\n");
    }
    printf("\n");
    if (i_ql >= 0)
        printf("n = 1: auto %.1f ns, QuantLib %.1f ns: %.2fx\n", 1e9 * best[0][i_auto],
               1e9 * best[0][i_ql], best[0][i_ql] / best[0][i_auto]);
    printf("auto against scalar, smallest ratio: %.2fx at n = %zu\n", worst_auto, worst_n);
    for (int s = 0; s < NSIZES; s++)
        for (int c = 0; c < nc; c++)
            qpm_pricer_free(cs[s][c].p);
    return 0;
}
