/* C side of the Python binding benchmark: the time of one Black-76 batch of
 * 10^6 options (price only) and of a single-option call, measured here so
 * that bench_python.py can set the Python wrapper's time beside it.  The
 * inputs are those bench_python.py generates (splitmix64 from BENCH_SEED,
 * five draws per option in a fixed order).  Prints the usual table and two
 * machine-readable lines "c_batch_s=" and "c_single_s=".
 *
 * Times are process CPU time (CLOCK_PROCESS_CPUTIME_ID), as bench_python.py
 * measures with time.process_time(): on a machine shared with other jobs,
 * time spent waiting for a core then inflates neither side. */
#include <stdint.h>
#include <string.h>

#include "bench.h"
#include "qpm/pricing.h"

#define N_BATCH 1000000
#define N_SINGLE 200000

typedef struct {
    qpm_pricer *p;
    size_t n;
    double *F, *K, *T, *sigma, *r;
    int32_t *type;
    double *price;
    qpm_pricer_out out;
    qpm_pricer_out out1; /* single calls write one price here */
    double one;
} ctx_t;

static void run_batch(void *v)
{
    ctx_t *c = v;
    if (qpm_pricer_price(c->p, c->n, c->F, c->K, c->T, c->r, NULL, c->sigma, c->type, &c->out)
        != QPM_OK)
        abort();
}

static void run_single(void *v)
{
    ctx_t *c = v;
    for (size_t i = 0; i < N_SINGLE; i++) {
        size_t j = i & 1023;
        if (qpm_pricer_price(c->p, 1, c->F + j, c->K + j, c->T + j, c->r + j, NULL,
                             c->sigma + j, c->type + j, &c->out1) != QPM_OK)
            abort();
    }
}

int main(int argc, char **argv)
{
    bench_no_args(argc, argv, "\n  (no arguments; bench_python.py runs it)");
    ctx_t c;
    memset(&c, 0, sizeof c);
    c.n = N_BATCH;
    c.F = malloc(N_BATCH * sizeof(double));
    c.K = malloc(N_BATCH * sizeof(double));
    c.T = malloc(N_BATCH * sizeof(double));
    c.sigma = malloc(N_BATCH * sizeof(double));
    c.r = malloc(N_BATCH * sizeof(double));
    c.price = malloc(N_BATCH * sizeof(double));
    c.type = malloc(N_BATCH * sizeof(int32_t));
    if (!c.F || !c.K || !c.T || !c.sigma || !c.r || !c.price || !c.type)
        return 1;
    unsigned long long s = BENCH_SEED;
    for (size_t i = 0; i < N_BATCH; i++) {
        c.F[i] = bench_uniform(&s, 1000.0, 100000.0);
        c.K[i] = c.F[i] * bench_uniform(&s, 0.7, 1.3);
        c.T[i] = bench_uniform(&s, 0.01, 2.0);
        c.sigma[i] = bench_uniform(&s, 0.2, 1.5);
        c.r[i] = bench_uniform(&s, 0.0, 0.05);
        c.type[i] = (i & 1) ? QPM_PUT : QPM_CALL;
    }
    if (qpm_pricer_create(&c.p, NULL, QPM_MODEL_BLACK76, QPM_SETTLE_LINEAR) != QPM_OK)
        return 1;
    c.out.size = sizeof c.out;
    c.out.price = c.price;
    c.out1.size = sizeof c.out1;
    c.out1.price = &c.one;

    printf("libqpm %s bench_pricing_call\n", qpm_version_string());
    double tb = bench_median_cpu(run_batch, &c, 2, 11);
    double ts = bench_median_cpu(run_single, &c, 1, 7) / N_SINGLE;
    bench_table_header("pricing calls from C (Black-76, price only)");
    bench_table_row("batch of 10^6", tb, N_BATCH, tb);
    bench_table_row("single option per call", ts, 1, tb / N_BATCH);
    /* checksum keeps the work observable */
    double sum = 0;
    for (size_t i = 0; i < N_BATCH; i++)
        sum += c.price[i];
    printf("\nc_batch_s=%.9e\nc_single_s=%.9e\nchecksum=%.17g\n", tb, ts, sum);
    qpm_pricer_free(c.p);
    free(c.F);
    free(c.K);
    free(c.T);
    free(c.sigma);
    free(c.r);
    free(c.price);
    free(c.type);
    return 0;
}
