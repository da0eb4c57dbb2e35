/* Two builds of libqpm side by side in one process: the pricing cases of
 * the throughput issue timed through each library's public API, the two
 * alternating round by round, so that both see the same background load
 * and CPU clock; the ratio A/B is the figure to compare revisions on a
 * noisy machine (higher: B faster).  Each library is loaded with its own
 * namespace (dlopen, RTLD_LOCAL), so A and B may be any two builds of the
 * same ABI, for example the last release and the working tree.
 *
 * Data: the throughput bench's set (bench_kernels): S ~ U(20000, 100000),
 * K = S exp(U(ln 0.5, ln 2)), T = U(1, 730) days, sigma ~ U(0.2, 1.5), r ~
 * U(0, 5 %), no yield, calls and puts at random; n options (default 4096,
 * which stay in cache, so that the kernels rather than the memory are
 * timed).  Cases: BSM price + delta, gamma, vega, theta, rho for the n
 * options in one call; price only; the option chain (one S, T, r, q:
 * qpm_pricer_price_chain); and 2,000 calls of one option each.  Times are
 * wall time, the best round of each case (ns per option, or per call for
 * the single option), one thread unless `threads` says more
 * (QPM_PRICER_THREADS of both handles).
 * Usage: bench_ab LIB_A LIB_B [kernel [n [rounds [threads]]]]. */
#include <dlfcn.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "qpm/qpm.h"

static const char usage[] =
    "LIB_A LIB_B [kernel [n [rounds [threads]]]]\n"
    "  LIB_A, LIB_B  two libqpm shared libraries (paths), compared in one process\n"
    "  kernel        auto, scalar, avx2 or avx512 (default auto)\n"
    "  n             options per batch, 16..1000000 (default 4096)\n"
    "  rounds        rounds, each timing every case of A and of B, 1..10000 (default 200)\n"
    "  threads       QPM_PRICER_THREADS of both handles, 1..256 (default 1)";

typedef qpm_status (*create_fn)(qpm_pricer **, const qpm_alloc *, qpm_model, qpm_settlement);
typedef qpm_status (*set_fn)(qpm_pricer *, qpm_pricer_key, double);
typedef void (*free_fn)(qpm_pricer *);
typedef qpm_status (*price_fn)(qpm_pricer *, size_t, const double *, const double *, const double *,
                               const double *, const double *, const double *, const int32_t *,
                               const qpm_pricer_out *);
typedef qpm_status (*chain_fn)(qpm_pricer *, size_t, double, double, double, double, const double *,
                               const double *, const int32_t *, const qpm_pricer_out *);
typedef const char *(*error_fn)(void);

typedef struct {
    void *dl;
    qpm_pricer *p;
    free_fn free;
    price_fn price;
    chain_fn chain;
    error_fn error;
} lib_t;

/* dlsym's object pointer into the function pointer *dst (POSIX gives both
 * the same representation; ISO C has no conversion between them). */
static void sym(void *dl, const char *path, const char *name, void *dst, size_t size)
{
    void *f = dlsym(dl, name);
    if (f == NULL || size != sizeof f) {
        fprintf(stderr, "bench_ab: %s has no %s\n", path, name);
        exit(1);
    }
    memcpy(dst, &f, sizeof f);
}

static void open_lib(lib_t *l, const char *path, int kernel, int threads)
{
    l->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (l->dl == NULL) {
        fprintf(stderr, "bench_ab: %s\n", dlerror());
        exit(1);
    }
    create_fn create;
    set_fn set;
#define SYM(dst, name) sym(l->dl, path, name, &(dst), sizeof(dst))
    SYM(create, "qpm_pricer_create");
    SYM(set, "qpm_pricer_set");
    SYM(l->free, "qpm_pricer_free");
    SYM(l->price, "qpm_pricer_price");
    SYM(l->chain, "qpm_pricer_price_chain");
    SYM(l->error, "qpm_last_error");
#undef SYM
    if (create(&l->p, NULL, QPM_MODEL_BSM, QPM_SETTLE_LINEAR) != QPM_OK ||
        set(l->p, QPM_PRICER_THREADS, (double)threads) != QPM_OK ||
        set(l->p, QPM_PRICER_KERNEL, (double)kernel) != QPM_OK) {
        fprintf(stderr, "bench_ab: %s: %s\n", path, l->error());
        exit(1);
    }
}

enum { NCASE = 4, SINGLE_CALLS = 2000 };
static const char *const case_name[NCASE] = {
    "price + 5 Greeks, n per call", "price only, n per call",
    "option chain (one S, T, r, q), n per call", "one option per call (ns per call)"};

typedef struct {
    size_t n;
    double *S, *K, *T, *r, *q, *sg;
    int32_t *ty;
    double *o[6];
    double *o1[6];
} data_t;

static void check(const lib_t *l, qpm_status st)
{
    if (st != QPM_OK) {
        fprintf(stderr, "bench_ab: %s\n", l->error());
        exit(1);
    }
}

/* Seconds per option (per call for the single-option case) of case c. */
static double time_case(const lib_t *l, const data_t *d, int c)
{
    qpm_pricer_out out;
    memset(&out, 0, sizeof out);
    out.size = sizeof out;
    double t0 = bench_now();
    if (c == 0 || c == 2) {
        out.price = d->o[0], out.delta = d->o[1], out.gamma = d->o[2];
        out.vega = d->o[3], out.theta = d->o[4], out.rho = d->o[5];
        if (c == 0)
            check(l, l->price(l->p, d->n, d->S, d->K, d->T, d->r, d->q, d->sg, d->ty, &out));
        else
            check(l,
                  l->chain(l->p, d->n, d->S[0], d->T[0], d->r[0], 0.0, d->K, d->sg, d->ty, &out));
    } else if (c == 1) {
        out.price = d->o[0];
        check(l, l->price(l->p, d->n, d->S, d->K, d->T, d->r, d->q, d->sg, d->ty, &out));
    } else {
        out.price = d->o1[0], out.delta = d->o1[1], out.gamma = d->o1[2];
        out.vega = d->o1[3], out.theta = d->o1[4], out.rho = d->o1[5];
        for (size_t i = 0, j = 0; i < SINGLE_CALLS; i++, j = j + 1 < d->n ? j + 1 : 0)
            check(l, l->price(l->p, 1, d->S + j, d->K + j, d->T + j, d->r + j, d->q + j, d->sg + j,
                              d->ty + j, &out));
        return (bench_now() - t0) / SINGLE_CALLS;
    }
    return (bench_now() - t0) / (double)d->n;
}

int main(int argc, char **argv)
{
    bench_help(argc, argv, usage);
    for (int i = 1; i < argc; i++)
        if (argv[i][0] == '-')
            bench_bad_arg(argv, usage, "unknown option", argv[i]);
    if (argc < 3)
        bench_bad_arg(argv, usage, "two libraries are needed", argc > 1 ? argv[1] : "");
    if (argc > 7)
        bench_bad_arg(argv, usage, "too many arguments", argv[7]);
    int kernel = QPM_PRICER_KERNEL_AUTO;
    if (argc > 3) {
        static const struct {
            const char *name;
            int id;
        } k[] = {{"auto", QPM_PRICER_KERNEL_AUTO},
                 {"scalar", QPM_PRICER_KERNEL_SCALAR},
                 {"avx2", QPM_PRICER_KERNEL_AVX2},
                 {"avx512", QPM_PRICER_KERNEL_AVX512}};
        size_t i = 0;
        while (i < 4 && strcmp(argv[3], k[i].name) != 0)
            i++;
        if (i == 4)
            bench_bad_arg(argv, usage, "kernel must be auto, scalar, avx2 or avx512", argv[3]);
        kernel = k[i].id;
    }
    size_t n = argc > 4 ? (size_t)bench_arg_uint(argv, usage, argv[4], "n", 16, 1000000) : 4096;
    int rounds = argc > 5 ? (int)bench_arg_uint(argv, usage, argv[5], "rounds", 1, 10000) : 200;
    int threads = argc > 6 ? (int)bench_arg_uint(argv, usage, argv[6], "threads", 1, 256) : 1;

    data_t d = {.n = n};
    double **in[6] = {&d.S, &d.K, &d.T, &d.r, &d.q, &d.sg};
    for (int k = 0; k < 6; k++)
        *in[k] = malloc(n * sizeof(double));
    d.ty = malloc(n * sizeof(int32_t));
    for (int k = 0; k < 6; k++) {
        d.o[k] = malloc(n * sizeof(double));
        d.o1[k] = malloc(sizeof(double));
    }
    unsigned long long seed = BENCH_SEED;
    for (size_t i = 0; i < n; i++) {
        d.S[i] = bench_uniform(&seed, 20000.0, 100000.0);
        d.K[i] = d.S[i] * exp(bench_uniform(&seed, log(0.5), log(2.0)));
        d.T[i] = bench_uniform(&seed, 1.0, 730.0) / 365.0;
        d.sg[i] = bench_uniform(&seed, 0.2, 1.5);
        d.r[i] = bench_uniform(&seed, 0.0, 0.05);
        d.q[i] = 0.0;
        d.ty[i] = bench_uniform(&seed, 0.0, 1.0) < 0.5 ? QPM_CALL : QPM_PUT;
    }

    lib_t lib[2];
    open_lib(&lib[0], argv[1], kernel, threads);
    open_lib(&lib[1], argv[2], kernel, threads);
    double best[2][NCASE];
    for (int v = 0; v < 2; v++)
        for (int c = 0; c < NCASE; c++)
            best[v][c] = HUGE_VAL;
    for (int rd = 0; rd < rounds; rd++)
        for (int c = 0; c < NCASE; c++)
            for (int k = 0; k < 2; k++) {
                int v = (rd + c) % 2 ? 1 - k : k; /* A first in half the rounds */
                double t = time_case(&lib[v], &d, c);
                best[v][c] = t < best[v][c] ? t : best[v][c];
            }

    printf("libqpm bench_ab: A = %s, B = %s; kernel %s, n = %zu, %d rounds, best round, %d "
           "thread%s, wall time; load %.2f\n",
           argv[1], argv[2], argc > 3 ? argv[3] : "auto", n, rounds, threads,
           threads > 1 ? "s" : "", bench_load());
    printf("| case | A, ns | B, ns | A/B |\n|---|---:|---:|---:|\n");
    for (int c = 0; c < NCASE; c++)
        printf("| %s | %.2f | %.2f | %.3f |\n", case_name[c], best[0][c] * 1e9, best[1][c] * 1e9,
               best[0][c] / best[1][c]);
    for (int v = 0; v < 2; v++) {
        lib[v].free(lib[v].p);
        dlclose(lib[v].dl);
    }
    for (int k = 0; k < 6; k++) {
        free(*in[k]);
        free(d.o[k]);
        free(d.o1[k]);
    }
    free(d.ty);
    return 0;
}
