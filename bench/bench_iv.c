/* Implied-volatility throughput and accuracy: libqpm's Black-76 solver
 * against QuantLib's blackFormulaImpliedStdDev (accuracy 1e-12) on the same
 * prices in the same run, when the bench was built with QuantLib.
 *
 * Inputs (fixed seed): forward 2e4..1e5, strike 0.5x..2x forward, 1 day ..
 * 2 years, vol 20 %..150 %, all uniform, undiscounted prices from libqpm's
 * accurate Black function.  Set A takes the out-of-the-money side (call when
 * K >= F, put otherwise), as quotes are usually inverted; set B draws call or
 * put at random, so deep in-the-money prices whose time value is a small
 * part of the price are included.  Rows whose double price has no time value
 * left (it equals intrinsic or underflows), or a time value below DBL_MIN
 * (a subnormal, with fewer than 53 significant bits), are redrawn: their
 * implied volatility is not determined to double precision.  The count is
 * printed.
 *
 * Accuracy is reported against the generating sigma: |dsigma| absolute, and
 * in units of eps (sigma + price / vega), the error a one-ulp change of the
 * price and of sigma causes (the price is itself rounded, so no solver can
 * do better than about one unit).
 * Usage: bench_iv [n] (default 100000). */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"
#include "pricing/implied_vol.h"

#ifdef QPM_BENCH_QUANTLIB
size_t qpmb_ql_implied_vol(size_t n, const int32_t *type, const double *F, const double *K,
                           const double *T, const double *price, double accuracy, double *sigma);
#endif

#define EPS 0x1p-52

/* Thread CPU time: the machine may be shared by other jobs, and this clock
 * does not count the time the thread spends descheduled. */
static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Fastest of `reps` timed calls (after one untimed call), in CPU seconds. */
static double cpu_best(void (*fn)(void *), void *ctx, int reps)
{
    fn(ctx);
    double best = 1e30;
    for (int i = 0; i < reps; i++) {
        double t0 = cpu_now();
        fn(ctx);
        double t = cpu_now() - t0;
        best = t < best ? t : best;
    }
    return best;
}

typedef struct {
    size_t n;
    double *F, *K, *T, *sig, *price, *out;
    int32_t *type;
    size_t fails;
} set_t;

static double *alloc_d(size_t n)
{
    double *p = calloc(n, sizeof *p);
    if (p == NULL) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    return p;
}

static double vega_of(double F, double K, double T, double sigma)
{
    double s = sigma * sqrt(T), x = log(F / K), h = x / s, t = 0.5 * s;
    return sqrt(F * K) * 0.3989422804014327 * exp(-0.5 * (h * h + t * t)) * sqrt(T);
}

/* Returns the number of redrawn rows. */
static size_t make_set(set_t *s, size_t n, int otm, unsigned long long seed)
{
    unsigned long long st = seed;
    size_t redrawn = 0;
    s->n = n;
    s->F = alloc_d(n), s->K = alloc_d(n), s->T = alloc_d(n), s->sig = alloc_d(n);
    s->price = alloc_d(n), s->out = alloc_d(n);
    s->type = calloc(n, sizeof *s->type);
    for (size_t i = 0; i < n;) {
        double F = bench_uniform(&st, 2e4, 1e5);
        double K = F * bench_uniform(&st, 0.5, 2.0);
        double T = bench_uniform(&st, 1.0 / 365.0, 2.0);
        double sig = bench_uniform(&st, 0.2, 1.5);
        double u = bench_uniform(&st, 0.0, 1.0);
        int is_call = otm ? K >= F : u < 0.5;
        double p = qpm__black_price(F, K, T, sig, is_call);
        double up = is_call ? F : K, other = is_call ? K : F;
        double intrinsic = up > other ? up - other : 0.0;
        if (!(p - intrinsic >= DBL_MIN) || !(p < up)) {
            redrawn++;
            continue;
        }
        s->F[i] = F, s->K[i] = K, s->T[i] = T, s->sig[i] = sig, s->price[i] = p;
        s->type[i] = is_call ? 1 : -1;
        i++;
    }
    return redrawn;
}

static void run_batch(void *v)
{
    set_t *s = v;
    s->fails = qpm__black_implied_vol_batch(s->n, s->price, s->F, s->K, s->T, NULL, s->type,
                                            s->out, NULL);
}

static void run_qpm(void *v)
{
    set_t *s = v;
    size_t fails = 0;
    for (size_t i = 0; i < s->n; i++)
        if (qpm__black_implied_vol(s->price[i], s->F[i], s->K[i], s->T[i], s->type[i] > 0,
                                   &s->out[i]) != QPM_OK)
            fails++;
    s->fails = fails;
}

#ifdef QPM_BENCH_QUANTLIB
static void run_ql(void *v)
{
    set_t *s = v;
    s->fails = qpmb_ql_implied_vol(s->n, s->type, s->F, s->K, s->T, s->price, 1e-12, s->out);
}
#endif

static void accuracy(const set_t *s, const char *name)
{
    double worst = 0.0, worst_u = 0.0;
    size_t iw = 0, nan = 0, off = 0;
    for (size_t i = 0; i < s->n; i++) {
        double d = fabs(s->out[i] - s->sig[i]);
        if (!(d == d)) {
            nan++;
            continue;
        }
        off += d > 1e-8;
        double unit = EPS * (s->sig[i] + s->price[i] / vega_of(s->F[i], s->K[i], s->T[i], s->sig[i]));
        if (d > worst) {
            worst = d;
            iw = i;
        }
        worst_u = fmax(worst_u, d / unit);
    }
    printf("| %s | %zu | %zu | %.3g | %.3g | %.3g |\n", name, s->fails + nan, off, worst, worst_u,
           s->sig[iw]);
}

static void bench_set(const char *title, int otm, size_t n)
{
    set_t s;
    size_t redrawn = make_set(&s, n, otm, BENCH_SEED + (unsigned long long)otm);
    printf("\n### %s\n\n%zu options (%zu redrawn: time value lost or subnormal)\n", title,
           n, redrawn);

    int hist[QPM__IV_MAX_ITER + 2] = {0};
    for (size_t i = 0; i < n; i++) {
        double sg;
        int it = 0;
        qpm__black_implied_vol_iter(s.price[i], s.F[i], s.K[i], s.T[i], s.type[i] > 0, &sg, &it);
        hist[it <= QPM__IV_MAX_ITER ? it : QPM__IV_MAX_ITER + 1]++;
    }
    printf("libqpm Householder iterations: 1: %d, 2: %d, more: %d\n", hist[1], hist[2],
           hist[QPM__IV_MAX_ITER + 1]);

    /* The machine may be shared: every solver is timed in several rounds
     * interleaved with the others, on the thread's CPU clock, and the fastest
     * round counts. */
    double t_qpm = 1e30, t_bat = 1e30, t_ql = 1e30;
    for (int round = 0; round < 5; round++) {
        double t = cpu_best(run_qpm, &s, 3);
        t_qpm = t < t_qpm ? t : t_qpm;
        t = cpu_best(run_batch, &s, 3);
        t_bat = t < t_bat ? t : t_bat;
#ifdef QPM_BENCH_QUANTLIB
        t = cpu_best(run_ql, &s, 1);
        t_ql = t < t_ql ? t : t_ql;
#endif
    }
    run_qpm(&s);
    set_t acc_qpm = s;
    acc_qpm.out = alloc_d(n);
    memcpy(acc_qpm.out, s.out, n * sizeof *s.out);
    acc_qpm.fails = s.fails;
    run_batch(&s);
    set_t acc_bat = s;
    acc_bat.out = alloc_d(n);
    memcpy(acc_bat.out, s.out, n * sizeof *s.out);
    acc_bat.fails = s.fails;
    double t_ref = t_qpm;
#ifdef QPM_BENCH_QUANTLIB
    run_ql(&s);
    t_ref = t_ql;
#else
    (void)t_ql;
#endif
    bench_table_header("implied volatility: CPU ns per option, single thread");
    bench_table_row("libqpm batch (qpm__black_implied_vol_batch)", t_bat, (double)n, t_ref);
    bench_table_row("libqpm one call per option (qpm__black_implied_vol)", t_qpm, (double)n, t_ref);
#ifdef QPM_BENCH_QUANTLIB
    bench_table_row("QuantLib blackFormulaImpliedStdDev, accuracy 1e-12", t_ql, (double)n, t_ref);
#endif
    printf("\n| solver | failures | off by > 1e-8 | worst abs dsigma "
           "| worst in eps (sigma + price/vega) | sigma at worst |\n|---|---:|---:|---:|---:|---:|\n");
    accuracy(&acc_bat, "libqpm batch");
    accuracy(&acc_qpm, "libqpm one call per option");
#ifdef QPM_BENCH_QUANTLIB
    accuracy(&s, "QuantLib 1e-12");
#else
    printf("(built without QuantLib: no comparison)\n");
#endif
    free(acc_qpm.out);
    free(acc_bat.out);
    free(s.F), free(s.K), free(s.T), free(s.sig), free(s.price), free(s.out), free(s.type);
}

static const char usage[] = "[n]\n  n  options per set, 1..100000000 (default 100000)";

int main(int argc, char **argv)
{
    bench_help(argc, argv, usage);
    if (argc > 2)
        bench_bad_arg(argv, usage, "too many arguments", argv[2]);
    size_t n = argc > 1 ? (size_t)bench_arg_uint(argv, usage, argv[1], "n", 1, 100000000) : 100000;
    printf("# bench_iv: Black-76 implied volatility, n = %zu\n", n);
    bench_set("A: out-of-the-money side", 1, n);
    bench_set("B: call or put at random", 0, n);
    return 0;
}
