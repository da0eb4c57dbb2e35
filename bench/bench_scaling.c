/* Compute-bound thread scaling of the pricing kernels: one thread pricing a
 * cache-resident batch (price + 5 Greeks) over and over, against two threads
 * doing the same work side by side, each with its own handle and arrays.
 * This separates the kernels' own scaling from the memory bandwidth that
 * large batches (bench_pricing's thread rows) share.
 * Usage: bench_scaling [reps] */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"
#include "qpm/qpm.h"

#define N 1024 /* 12 arrays of 8 KiB: resident in L1/L2 */

static int kernel;
static long reps = 4000;

static void *work(void *arg)
{
    (void)arg;
    static _Thread_local double S[N], K[N], T[N], r[N], s[N], p[N], d[N], g[N], v[N], th[N],
        rh[N];
    static _Thread_local int32_t ty[N];
    unsigned long long seed = BENCH_SEED;
    for (int i = 0; i < N; i++) {
        S[i] = bench_uniform(&seed, 2e4, 1e5);
        K[i] = S[i] * bench_uniform(&seed, 0.5, 2.0);
        T[i] = bench_uniform(&seed, 1.0 / 365, 2.0);
        r[i] = bench_uniform(&seed, 0.0, 0.05);
        s[i] = bench_uniform(&seed, 0.2, 1.5);
        ty[i] = i & 1 ? QPM_CALL : QPM_PUT;
    }
    qpm_pricer *pr;
    if (qpm_pricer_create(&pr, NULL, QPM_MODEL_BSM, QPM_SETTLE_LINEAR) != QPM_OK ||
        qpm_pricer_set(pr, QPM_PRICER_KERNEL, kernel) != QPM_OK)
        abort();
    qpm_pricer_out o = {.size = sizeof o, .price = p, .delta = d, .gamma = g, .vega = v,
                        .theta = th, .rho = rh};
    for (long k = 0; k < reps; k++)
        if (qpm_pricer_price(pr, N, S, K, T, r, NULL, s, ty, &o) != QPM_OK)
            abort();
    qpm_pricer_free(pr);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        reps = atol(argv[1]);
    static const char *const names[] = {"", "scalar", "AVX2", "AVX-512"};
    printf("libqpm %s bench_scaling: %d options x %ld calls per thread\n", qpm_version_string(),
           N, reps);
    bench_table_header("pricing kernels, compute-bound: two independent threads against one "
                       "(ratio: throughput against one thread)");
    for (kernel = 1; kernel <= 3; kernel++) {
        double lo, hi;
        qpm_pricer *probe;
        qpm_pricer_create(&probe, NULL, QPM_MODEL_BSM, QPM_SETTLE_LINEAR);
        int ok = qpm_pricer_set(probe, QPM_PRICER_KERNEL, kernel) == QPM_OK;
        qpm_pricer_free(probe);
        (void)qpm_pricer_bounds(QPM_PRICER_KERNEL, &lo, &hi);
        if (!ok)
            continue; /* kernel not available on this CPU */
        double best1 = 1e300, best2 = 1e300;
        for (int rep = 0; rep < 5; rep++) {
            double t0 = bench_now();
            work(NULL);
            double t1 = bench_now() - t0;
            pthread_t a, b;
            t0 = bench_now();
            pthread_create(&a, NULL, work, NULL);
            pthread_create(&b, NULL, work, NULL);
            pthread_join(a, NULL);
            pthread_join(b, NULL);
            double t2 = (bench_now() - t0) / 2.0; /* per thread's worth of work */
            best1 = t1 < best1 ? t1 : best1;
            best2 = t2 < best2 ? t2 : best2;
        }
        char name[64];
        double items = (double)N * (double)reps;
        snprintf(name, sizeof name, "%s, 1 thread", names[kernel]);
        bench_table_row(name, best1, items, best1);
        snprintf(name, sizeof name, "%s, 2 threads", names[kernel]);
        bench_table_row(name, best2, items, best1);
    }
    return 0;
}
