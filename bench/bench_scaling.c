/* Thread scaling of the pricing kernels.
 *
 * 1. Compute-bound: k threads, each pricing its own cache-resident batch
 *    (price + 5 Greeks) with its own handle, against one thread doing the
 *    same.  This measures the kernels' own scaling, without the memory
 *    bandwidth that large batches share.
 * 2. One handle with QPM_PRICER_THREADS = k on a large batch (the opt-in
 *    threads a user turns on), with the outputs compared bit for bit with
 *    the one-thread run.
 *
 * Usage: bench_scaling [reps] [max_threads] [batch]
 *   reps: calls per thread in part 1 (default 4000); max_threads: largest
 *   thread count tried, counts double from 1 (default 2); batch: options in
 *   part 2 (default 1000000). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "qpm/qpm.h"

#define N 1024 /* 12 arrays of 8 KiB: resident in L1/L2 */

static int kernel;
static long reps = 4000;

static void fill(size_t n, double *S, double *K, double *T, double *r, double *s, int32_t *ty)
{
    unsigned long long seed = BENCH_SEED;
    for (size_t i = 0; i < n; i++) {
        S[i] = bench_uniform(&seed, 2e4, 1e5);
        K[i] = S[i] * bench_uniform(&seed, 0.5, 2.0);
        T[i] = bench_uniform(&seed, 1.0 / 365, 2.0);
        r[i] = bench_uniform(&seed, 0.0, 0.05);
        s[i] = bench_uniform(&seed, 0.2, 1.5);
        ty[i] = i & 1 ? QPM_CALL : QPM_PUT;
    }
}

static void *work(void *arg)
{
    (void)arg;
    static _Thread_local double S[N], K[N], T[N], r[N], s[N], p[N], d[N], g[N], v[N], th[N],
        rh[N];
    static _Thread_local int32_t ty[N];
    fill(N, S, K, T, r, s, ty);
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

static int kernel_available(int k)
{
    qpm_pricer *probe;
    if (qpm_pricer_create(&probe, NULL, QPM_MODEL_BSM, QPM_SETTLE_LINEAR) != QPM_OK)
        abort();
    int ok = qpm_pricer_set(probe, QPM_PRICER_KERNEL, k) == QPM_OK;
    qpm_pricer_free(probe);
    return ok;
}

static const char *const names[] = {"", "scalar", "AVX2", "AVX-512"};

static void compute_bound(int max_threads)
{
    pthread_t tid[256];
    bench_table_header("pricing kernels, compute-bound: k independent threads against one "
                       "(ratio: total throughput against one thread)");
    for (kernel = 1; kernel <= 3; kernel++) {
        if (!kernel_available(kernel))
            continue;
        double best1 = 1e300;
        for (int k = 1; k <= max_threads; k *= 2) {
            double best = 1e300;
            for (int rep = 0; rep < 3; rep++) {
                double t0 = bench_now();
                for (int i = 0; i < k; i++)
                    pthread_create(&tid[i], NULL, work, NULL);
                for (int i = 0; i < k; i++)
                    pthread_join(tid[i], NULL);
                double t = (bench_now() - t0) / k; /* per thread's worth of work */
                best = t < best ? t : best;
            }
            if (k == 1)
                best1 = best;
            char name[64];
            snprintf(name, sizeof name, "%s, %d thread%s", names[kernel], k, k > 1 ? "s" : "");
            bench_table_row(name, best, (double)N * (double)reps, best1);
        }
    }
}

struct batch {
    size_t n;
    double *S, *K, *T, *r, *s, *out[6];
    int32_t *ty;
};

static void handle_threads(int max_threads, size_t n)
{
    struct batch b = {.n = n};
    double **in[] = {&b.S, &b.K, &b.T, &b.r, &b.s};
    for (size_t i = 0; i < 5; i++)
        *in[i] = malloc(n * sizeof(double));
    double *ref[6];
    for (size_t i = 0; i < 6; i++) {
        b.out[i] = malloc(n * sizeof(double));
        ref[i] = malloc(n * sizeof(double));
    }
    b.ty = malloc(n * sizeof(int32_t));
    fill(n, b.S, b.K, b.T, b.r, b.s, b.ty);
    char title[128];
    snprintf(title, sizeof title,
             "one handle, QPM_PRICER_THREADS = k, batch of %zu options, price + 5 Greeks "
             "(ratio: against k = 1)", n);
    bench_table_header(title);
    for (kernel = 1; kernel <= 3; kernel++) {
        if (!kernel_available(kernel))
            continue;
        double best1 = 1e300;
        for (int k = 1; k <= max_threads; k *= 2) {
            qpm_pricer *pr;
            if (qpm_pricer_create(&pr, NULL, QPM_MODEL_BSM, QPM_SETTLE_LINEAR) != QPM_OK ||
                qpm_pricer_set(pr, QPM_PRICER_KERNEL, kernel) != QPM_OK ||
                qpm_pricer_set(pr, QPM_PRICER_THREADS, k) != QPM_OK)
                abort();
            qpm_pricer_out o = {.size = sizeof o, .price = b.out[0], .delta = b.out[1],
                                .gamma = b.out[2], .vega = b.out[3], .theta = b.out[4],
                                .rho = b.out[5]};
            double best = 1e300;
            for (int rep = 0; rep < 7; rep++) {
                double t0 = bench_now();
                if (qpm_pricer_price(pr, n, b.S, b.K, b.T, b.r, NULL, b.s, b.ty, &o) != QPM_OK)
                    abort();
                double t = bench_now() - t0;
                best = t < best ? t : best;
            }
            qpm_pricer_free(pr);
            int same = 1;
            for (size_t i = 0; i < 6; i++) {
                if (k == 1)
                    memcpy(ref[i], b.out[i], n * sizeof(double));
                else
                    same &= memcmp(ref[i], b.out[i], n * sizeof(double)) == 0;
            }
            if (k == 1)
                best1 = best;
            char name[80];
            snprintf(name, sizeof name, "%s, %d thread%s%s", names[kernel], k, k > 1 ? "s" : "",
                     same ? "" : " (OUTPUT DIFFERS)");
            bench_table_row(name, best, (double)n, best1);
        }
    }
    for (size_t i = 0; i < 5; i++)
        free(*in[i]);
    for (size_t i = 0; i < 6; i++) {
        free(b.out[i]);
        free(ref[i]);
    }
    free(b.ty);
}

static const char usage[] =
    "[reps] [max_threads] [batch]\n"
    "  reps         calls per thread in part 1, 1..100000000 (default 4000)\n"
    "  max_threads  largest thread count, 1..256; counts double from 1 (default 2)\n"
    "  batch        options in part 2, 1..100000000 (default 1000000)";

int main(int argc, char **argv)
{
    bench_help(argc, argv, usage);
    if (argc > 4)
        bench_bad_arg(argv, usage, "too many arguments", argv[4]);
    if (argc > 1)
        reps = (long)bench_arg_uint(argv, usage, argv[1], "reps", 1, 100000000);
    int max_threads = argc > 2 ? (int)bench_arg_uint(argv, usage, argv[2], "max_threads", 1, 256) : 2;
    size_t batch = argc > 3 ? (size_t)bench_arg_uint(argv, usage, argv[3], "batch", 1, 100000000)
                            : 1000000;
    printf("libqpm %s bench_scaling: %d options x %ld calls per thread; threads 1..%d\n",
           qpm_version_string(), N, reps, max_threads);
    compute_bound(max_threads);
    handle_threads(max_threads, batch);
    return 0;
}
