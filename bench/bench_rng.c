/* rng throughput: ns per value of each output type for each generator, in
 * bulk fills of N values.  The ratio column is the time of the generator's
 * raw fill divided by the row's time (how many times slower than raw output a
 * variate is, inverted: 0.10x means ten times the cost of a raw output).  A
 * last table times the stateless inverse normal CDF alone on stored
 * probabilities.
 *
 * Times are process CPU time (CLOCK_PROCESS_CPUTIME_ID), not wall time, so
 * that other programs sharing the machine's cores inflate them less; the
 * program is single-threaded, so the two agree on an idle machine. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "bench.h"
#include "qpm/qpm.h"

#define N 200000

enum what {
    RAW,
    UNIFORM,
    UNIFORM_OPEN,
    NORMAL,
    STUDENT_T4,
    STUDENT_T1_5,
    GAMMA2,
    POISSON3,
    POISSON100,
    POISSON1E6
};

static const struct {
    enum what w;
    const char *name;
} cases[] = {
    {RAW, "raw"},
    {UNIFORM, "uniform [0,1)"},
    {UNIFORM_OPEN, "uniform (0,1)"},
    {NORMAL, "normal (inversion)"},
    {STUDENT_T4, "student_t nu=4"},
    {STUDENT_T1_5, "student_t nu=1.5"},
    {GAMMA2, "gamma shape=2"},
    {POISSON3, "poisson lambda=3 (inversion)"},
    {POISSON100, "poisson lambda=100 (PTRS)"},
    {POISSON1E6, "poisson lambda=1e6 (PTRS)"},
};

struct ctx {
    qpm_rng *rng;
    enum what w;
    uint64_t *u;
    double *d;
    const double *p;
};

static void run(void *vctx)
{
    struct ctx *c = vctx;
    qpm_status st = QPM_OK;
    switch (c->w) {
    case RAW:
        st = qpm_rng_raw(c->rng, N, c->u);
        break;
    case UNIFORM:
        st = qpm_rng_uniform(c->rng, N, c->d);
        break;
    case UNIFORM_OPEN:
        st = qpm_rng_uniform_open(c->rng, N, c->d);
        break;
    case NORMAL:
        st = qpm_rng_normal(c->rng, N, c->d);
        break;
    case STUDENT_T4:
        st = qpm_rng_student_t(c->rng, N, 4.0, c->d);
        break;
    case STUDENT_T1_5:
        st = qpm_rng_student_t(c->rng, N, 1.5, c->d);
        break;
    case GAMMA2:
        st = qpm_rng_gamma(c->rng, N, 2.0, c->d);
        break;
    case POISSON3:
        st = qpm_rng_poisson(c->rng, N, 3.0, c->d);
        break;
    case POISSON100:
        st = qpm_rng_poisson(c->rng, N, 100.0, c->d);
        break;
    case POISSON1E6:
        st = qpm_rng_poisson(c->rng, N, 1e6, c->d);
        break;
    }
    if (st != QPM_OK) {
        fprintf(stderr, "bench_rng: %s\n", qpm_last_error());
        exit(1);
    }
}

static void run_norm_inv(void *vctx)
{
    struct ctx *c = vctx;
    if (qpm_norm_inv_bulk(N, c->p, c->d) != QPM_OK)
        exit(1);
}

int main(int argc, char **argv)
{
    bench_no_args(argc, argv, "\n  (no arguments: every generator and variate, fixed sizes)");
    printf("libqpm %s bench_rng: %d values per call, median CPU time of 15 calls\n",
           qpm_version_string(), N);
    uint64_t *u = malloc(N * sizeof *u);
    double *d = malloc(N * sizeof *d), *p = malloc(N * sizeof *p);
    if (!u || !d || !p)
        return 1;
    const qpm_rng_kind kinds[] = {QPM_RNG_PCG64DXSM, QPM_RNG_PCG64, QPM_RNG_PCG32};
    for (size_t g = 0; g < 3; g++) {
        qpm_rng *rng;
        if (qpm_rng_create_seed(&rng, NULL, kinds[g], BENCH_SEED) != QPM_OK)
            return 1;
        struct ctx c = {rng, RAW, u, d, NULL};
        double t_raw = bench_median_cpu(run, &c, 2, 15);
        char title[64];
        snprintf(title, sizeof title, "rng %s", qpm_rng_kind_name(kinds[g]));
        bench_table_header(title);
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            c.w = cases[i].w;
            double t = cases[i].w == RAW ? t_raw : bench_median_cpu(run, &c, 2, 15);
            bench_table_row(cases[i].name, t, N, t_raw);
        }
        qpm_rng_free(rng);
    }
    /* inverse normal CDF alone, on uniform probabilities and on tail ones */
    unsigned long long s = BENCH_SEED;
    for (size_t i = 0; i < N; i++)
        p[i] = bench_uniform(&s, 0x1.0p-53, 1.0);
    struct ctx c = {NULL, RAW, u, d, p};
    double t_uni = bench_median_cpu(run_norm_inv, &c, 2, 15);
    for (size_t i = 0; i < N; i++)
        p[i] = pow(10.0, -bench_uniform(&s, 2.0, 300.0));
    double t_tail = bench_median_cpu(run_norm_inv, &c, 2, 15);
    bench_table_header("qpm_norm_inv_bulk");
    bench_table_row("p uniform on (0,1)", t_uni, N, t_uni);
    bench_table_row("p log-uniform on (1e-300,1e-2)", t_tail, N, t_uni);
    free(u);
    free(d);
    free(p);
    return 0;
}
