/* Pricing throughput at the machine's limit: libqpm's Black-Scholes kernels
 * against the loops a user could write instead, on the same data in one
 * run, each with its accuracy against high-precision values.
 *
 * Data (the pricing-throughput issue's set): n options (default 10^6), S ~
 * U(20000, 100000), K = S exp(U(ln 0.5, ln 2)), T = U(1, 730) days, sigma ~
 * U(0.2, 1.5), r ~ U(0, 5 %), no dividend yield, calls and puts at random.
 * Outputs: price, delta, gamma, vega, theta, rho (and price alone).
 *
 * Implementations, one thread each:
 * - QuantLib's BlackCalculator (when the bench was built with QuantLib);
 * - kref_libm.c, plain C with glibc's log, exp and erfc, built -O2;
 * - the same source built -O3 -ffast-math -mavx2 -mfma, and again with
 *   AVX-512 flags: gcc vectorises both through glibc's libmvec;
 * - kref_mvec.c, an AVX2 kernel written with intrinsics around libmvec's
 *   vector log, exp and erfc;
 * - libqpm's pricer with each kernel forced (scalar, AVX2, AVX-512), and
 *   with the automatic choice.
 * Times are process CPU time, best of interleaved rounds (every case sees
 * the same background load).  Accuracy: the largest relative error of any
 * of the six outputs against binary128 values (kref_quad.c) over the first
 * min(n, 200000) options, counting values at least 1e-6 of their scale (S
 * for price, vega, theta, rho; 1 for delta; 1/S for gamma), as the library
 * documents its accuracy; theta, a difference of a time-decay and a carry
 * term, against the sum of their magnitudes (the most any evaluation of the
 * two terms in double can promise where they cancel).
 * Usage: bench_kernels [n [rounds]]. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "bench.h"
#include "qpm/pricing.h"

typedef void (*greeks_fn)(size_t n, const double *S, const double *K, const double *T,
                          const double *r, const double *sigma, const int32_t *type, double *price,
                          double *delta, double *gamma, double *vega, double *theta, double *rho);
typedef void (*price_fn)(size_t n, const double *S, const double *K, const double *T,
                         const double *r, const double *sigma, const int32_t *type, double *price);

void kref_plain_greeks(size_t, const double *, const double *, const double *, const double *,
                       const double *, const int32_t *, double *, double *, double *, double *,
                       double *, double *);
void kref_plain_price(size_t, const double *, const double *, const double *, const double *,
                      const double *, const int32_t *, double *);
#ifdef KREF_FAST_AVX2
void kref_fast2_greeks(size_t, const double *, const double *, const double *, const double *,
                       const double *, const int32_t *, double *, double *, double *, double *,
                       double *, double *);
void kref_fast2_price(size_t, const double *, const double *, const double *, const double *,
                      const double *, const int32_t *, double *);
#endif
#ifdef KREF_FAST_AVX512
void kref_fast5_greeks(size_t, const double *, const double *, const double *, const double *,
                       const double *, const int32_t *, double *, double *, double *, double *,
                       double *, double *);
void kref_fast5_price(size_t, const double *, const double *, const double *, const double *,
                      const double *, const int32_t *, double *);
#endif
#ifdef KREF_MVEC
void kref_mvec_greeks(size_t, const double *, const double *, const double *, const double *,
                      const double *, const int32_t *, double *, double *, double *, double *,
                      double *, double *);
#endif
const char *kref_quad_kind(void);
void kref_quad_greeks(size_t, const double *, const double *, const double *, const double *,
                      const double *, const int32_t *, double *, double *, double *, double *,
                      double *, double *, double *);
#ifdef QPM_BENCH_QUANTLIB
void qpmb_ql_bsm(size_t n, const double *S, const double *K, const double *T, const double *r,
                 const double *q, const double *sigma, const int32_t *type, double *price,
                 double *delta, double *gamma, double *vega, double *theta, double *rho);
#endif

enum { NOUT = 6, MAX_CASES = 24, MAX_ROUNDS = 64 };

typedef struct {
    size_t n;
    const double *S, *K, *T, *r, *q, *sigma;
    const int32_t *type;
} data_t;

typedef struct kcase {
    const char *name;
    int group;  /* 0: a reference, 1: libqpm */
    int greeks; /* 1: price + 5 Greeks, 0: price only */
    const data_t *d;
    greeks_fn g;
    price_fn p;
    int ql;
    qpm_pricer *pr;
    qpm_pricer_out out;
    double *o[NOUT];
    double best, median, err, err_out[NOUT];
} kcase;

static double *alloc_d(size_t n)
{
    double *p = calloc(n, sizeof *p);
    if (p == NULL) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    return p;
}

static void run_case(kcase *c)
{
    const data_t *d = c->d;
    if (c->pr != NULL) {
        if (qpm_pricer_price(c->pr, d->n, d->S, d->K, d->T, d->r, NULL, d->sigma, d->type,
                             &c->out) != QPM_OK) {
            fprintf(stderr, "qpm_pricer_price: %s\n", qpm_last_error());
            exit(1);
        }
    } else if (c->g != NULL) {
        c->g(d->n, d->S, d->K, d->T, d->r, d->sigma, d->type, c->o[0], c->o[1], c->o[2], c->o[3],
             c->o[4], c->o[5]);
    } else if (c->p != NULL) {
        c->p(d->n, d->S, d->K, d->T, d->r, d->sigma, d->type, c->o[0]);
    }
#ifdef QPM_BENCH_QUANTLIB
    else if (c->ql) {
        qpmb_ql_bsm(d->n, d->S, d->K, d->T, d->r, d->q, d->sigma, d->type, c->o[0], c->o[1],
                    c->o[2], c->o[3], c->o[4], c->o[5]);
    }
#endif
}

/* Largest relative error of outputs k0..k1-1 against the reference values
 * ref over the first m options, values at least 1e-6 of their scale; theta's
 * error is relative to the sum of its terms' magnitudes (kref_quad.c). */
static double max_rel(const data_t *d, size_t m, int k0, int k1, double *const a[NOUT],
                      double *const ref[NOUT], const double *theta_scale)
{
    double w = 0.0;
    for (int k = k0; k < k1; k++)
        for (size_t i = 0; i < m; i++) {
            double scale = k == 1 ? 1.0 : k == 2 ? 1.0 / d->S[i] : d->S[i];
            double v = fabs(ref[k][i]);
            if (k == 4) /* theta: against the larger of its two terms' sum and itself */
                v = fmax(v, theta_scale[i]);
            if (v < 1e-6 * scale)
                continue;
            double e = fabs(a[k][i] - ref[k][i]) / v;
            if (!(e <= w)) /* NaN counts as the worst */
                w = isnan(e) ? (double)INFINITY : e;
        }
    return w;
}

static const char *kernel_name(int k)
{
    return k == QPM_PRICER_KERNEL_SCALAR ? "scalar"
           : k == QPM_PRICER_KERNEL_AVX2 ? "AVX2"
                                         : "AVX-512";
}

static const char usage[] = "[n [rounds]]\n"
                            "  n       options, 1000..100000000 (default 1000000)\n"
                            "  rounds  interleaved timing rounds, 3..64 (default 11)";

int main(int argc, char **argv)
{
    bench_help(argc, argv, usage);
    if (argc > 3)
        bench_bad_arg(argv, usage, "too many arguments", argv[3]);
    size_t n =
        argc > 1 ? (size_t)bench_arg_uint(argv, usage, argv[1], "n", 1000, 100000000) : 1000000;
    int rounds = argc > 2 ? (int)bench_arg_uint(argv, usage, argv[2], "rounds", 3, 64) : 11;

    double *S = alloc_d(n), *K = alloc_d(n), *T = alloc_d(n), *r = alloc_d(n), *q = alloc_d(n);
    double *sigma = alloc_d(n);
    int32_t *type = calloc(n, sizeof *type);
    if (type == NULL)
        return 1;
    unsigned long long st = BENCH_SEED;
    for (size_t i = 0; i < n; i++) {
        S[i] = bench_uniform(&st, 2e4, 1e5);
        K[i] = S[i] * exp(bench_uniform(&st, log(0.5), log(2.0)));
        T[i] = bench_uniform(&st, 1.0, 730.0) / 365.0;
        sigma[i] = bench_uniform(&st, 0.2, 1.5);
        r[i] = bench_uniform(&st, 0.0, 0.05);
        type[i] = bench_uniform(&st, 0.0, 1.0) < 0.5 ? QPM_CALL : QPM_PUT;
    }
    data_t d = {n, S, K, T, r, q, sigma, type};

    __builtin_cpu_init();
    int has_avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    int has_avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
                     __builtin_cpu_supports("avx512vl");

    kcase cs[MAX_CASES];
    int nc = 0;
#define ADD(nm, grp, gk, gf, pf, qlf, prr)                                                         \
    do {                                                                                           \
        cs[nc] = (kcase){nm, grp, gk, &d, gf, pf, qlf, prr, {0}, {0}, 0, 0, 0, {0}};               \
        nc++;                                                                                      \
    } while (0)
#ifdef QPM_BENCH_QUANTLIB
    ADD("QuantLib BlackCalculator", 0, 1, NULL, NULL, 1, NULL);
#endif
    ADD("plain C, libm, -O2", 0, 1, kref_plain_greeks, NULL, 0, NULL);
    ADD("plain C, libm, -O2", 0, 0, NULL, kref_plain_price, 0, NULL);
#ifdef KREF_FAST_AVX2
    if (has_avx2) {
        ADD("plain C, -O3 -ffast-math -mavx2 (libmvec)", 0, 1, kref_fast2_greeks, NULL, 0, NULL);
        ADD("plain C, -O3 -ffast-math -mavx2 (libmvec)", 0, 0, NULL, kref_fast2_price, 0, NULL);
    }
#endif
#ifdef KREF_FAST_AVX512
    if (has_avx512) {
        ADD("plain C, -O3 -ffast-math -mavx512f (libmvec)", 0, 1, kref_fast5_greeks, NULL, 0, NULL);
        ADD("plain C, -O3 -ffast-math -mavx512f (libmvec)", 0, 0, NULL, kref_fast5_price, 0, NULL);
    }
#endif
#ifdef KREF_MVEC
    if (has_avx2)
        ADD("AVX2 intrinsics + libmvec log/exp/erfc", 0, 1, kref_mvec_greeks, NULL, 0, NULL);
#endif
    (void)has_avx512;
    /* libqpm: every kernel this CPU runs, then the automatic choice */
    int kernels[4], nk = 0;
    for (int k = QPM_PRICER_KERNEL_SCALAR; k <= QPM_PRICER_KERNEL_AUTO + 3; k++) {
        qpm_pricer *p;
        if (qpm_pricer_create(&p, NULL, QPM_MODEL_BSM, QPM_SETTLE_LINEAR) != QPM_OK)
            return 1;
        if (qpm_pricer_set(p, QPM_PRICER_KERNEL, k) == QPM_OK)
            kernels[nk++] = k;
        qpm_pricer_free(p);
    }
    kernels[nk++] = QPM_PRICER_KERNEL_AUTO;
    static char names[8][64];
    int auto_kernel = 0;
    for (int k = 0; k < nk; k++) {
        for (int greeks = 1; greeks >= 0; greeks--) {
            qpm_pricer *p;
            qpm_pricer_create(&p, NULL, QPM_MODEL_BSM, QPM_SETTLE_LINEAR);
            qpm_pricer_set(p, QPM_PRICER_KERNEL, kernels[k]);
            if (kernels[k] == QPM_PRICER_KERNEL_AUTO) {
                double v;
                qpm_pricer_get(p, QPM_PRICER_KERNEL, &v);
                auto_kernel = (int)v;
                snprintf(names[k], sizeof names[k], "libqpm, automatic (%s)",
                         kernel_name(auto_kernel));
            } else {
                snprintf(names[k], sizeof names[k], "libqpm %s kernel", kernel_name(kernels[k]));
            }
            ADD(names[k], 1, greeks, NULL, NULL, 0, p);
        }
    }
#undef ADD
    for (int c = 0; c < nc; c++) {
        for (int o = 0; o < NOUT; o++)
            cs[c].o[o] = (cs[c].greeks || o == 0) ? alloc_d(n) : NULL;
        cs[c].out.size = sizeof cs[c].out;
        cs[c].out.price = cs[c].o[0];
        if (cs[c].greeks) {
            cs[c].out.delta = cs[c].o[1], cs[c].out.gamma = cs[c].o[2];
            cs[c].out.vega = cs[c].o[3], cs[c].out.theta = cs[c].o[4];
            cs[c].out.rho = cs[c].o[5];
        }
    }

    /* libqpm's input checks alone: qpm_pricer_price with every output NULL
     * checks every input (the pass that precedes any write, so that a bad
     * input leaves the outputs untouched) and prices nothing */
    qpm_pricer *pchk;
    qpm_pricer_out none;
    memset(&none, 0, sizeof none);
    none.size = sizeof none;
    if (qpm_pricer_create(&pchk, NULL, QPM_MODEL_BSM, QPM_SETTLE_LINEAR) != QPM_OK)
        return 1;

    /* timing: interleaved rounds, process CPU time */
    static double t[MAX_CASES][MAX_ROUNDS], tchk[MAX_ROUNDS];
    for (int c = 0; c < nc; c++) {
        run_case(&cs[c]); /* warm-up, and the values checked below */
        cs[c].best = 1e300;
    }
    for (int rd = 0; rd < rounds; rd++) {
        for (int c = 0; c < nc; c++) {
            double t0 = bench_cpu_now();
            run_case(&cs[c]);
            t[c][rd] = bench_cpu_now() - t0;
            if (t[c][rd] < cs[c].best)
                cs[c].best = t[c][rd];
        }
        double t0 = bench_cpu_now();
        if (qpm_pricer_price(pchk, n, S, K, T, r, NULL, sigma, type, &none) != QPM_OK) {
            fprintf(stderr, "qpm_pricer_price: %s\n", qpm_last_error());
            return 1;
        }
        tchk[rd] = bench_cpu_now() - t0;
    }
    qpm_pricer_free(pchk);
    for (int c = 0; c < nc; c++) {
        qsort(t[c], (size_t)rounds, sizeof t[c][0], bench_cmp_double);
        cs[c].median = t[c][rounds / 2];
    }
    qsort(tchk, (size_t)rounds, sizeof tchk[0], bench_cmp_double);

    /* accuracy against binary128 */
    size_t m = n < 200000 ? n : 200000;
    double *ref[NOUT], *theta_scale = alloc_d(m);
    for (int o = 0; o < NOUT; o++)
        ref[o] = alloc_d(m);
    kref_quad_greeks(m, S, K, T, r, sigma, type, ref[0], ref[1], ref[2], ref[3], ref[4], ref[5],
                     theta_scale);
    for (int c = 0; c < nc; c++) {
        cs[c].err = max_rel(&d, m, 0, cs[c].greeks ? NOUT : 1, cs[c].o, ref, theta_scale);
        if (cs[c].greeks)
            for (int o = 0; o < NOUT; o++)
                cs[c].err_out[o] = max_rel(&d, m, o, o + 1, cs[c].o, ref, theta_scale);
    }

    /* the fastest reference of each kind */
    double ref_g = 1e300, ref_p = 1e300;
    for (int c = 0; c < nc; c++)
        if (cs[c].group == 0 && !cs[c].ql) {
            if (cs[c].greeks && cs[c].best < ref_g)
                ref_g = cs[c].best;
            if (!cs[c].greeks && cs[c].best < ref_p)
                ref_p = cs[c].best;
        }
    printf("libqpm %s bench_kernels: n = %zu, %d rounds, one thread, CPU time; accuracy "
           "against %s over %zu options; load %.2f\n",
           qpm_version_string(), n, rounds, kref_quad_kind(), m, bench_load());
    for (int greeks = 1; greeks >= 0; greeks--) {
        double base = greeks ? ref_g : ref_p;
        printf("\n## %s (speed-up: the fastest reference loop's time / this time)\n\n",
               greeks ? "price + delta, gamma, vega, theta, rho" : "price only");
        printf("| implementation | ns/option (best) | ns/option (median) | speed-up | max rel. "
               "error |\n|---|---:|---:|---:|---:|\n");
        for (int c = 0; c < nc; c++) {
            if (cs[c].greeks != greeks)
                continue;
            printf("| %s | %.2f | %.2f | %.2fx | %.1e |\n", cs[c].name,
                   1e9 * cs[c].best / (double)n, 1e9 * cs[c].median / (double)n, base / cs[c].best,
                   cs[c].err);
        }
    }
    printf("\n## largest relative error per output (theta: against the sum of its terms)\n\n"
           "| implementation | price | delta | gamma | vega | theta | rho |\n"
           "|---|---:|---:|---:|---:|---:|---:|\n");
    for (int c = 0; c < nc; c++) {
        if (!cs[c].greeks)
            continue;
        printf("| %s |", cs[c].name);
        for (int o = 0; o < NOUT; o++)
            printf(" %.1e |", cs[c].err_out[o]);
        printf("\n");
    }
    /* is the automatic choice the fastest kernel here? */
    double fastest = 1e300;
    int fk = 0;
    for (int c = 0; c < nc; c++)
        if (cs[c].group == 1 && cs[c].greeks && cs[c].pr != NULL &&
            strstr(cs[c].name, "automatic") == NULL && cs[c].best < fastest)
            fastest = cs[c].best, fk = c;
    printf("\nautomatic choice: %s kernel; fastest forced kernel: %s (%.2f ns)\n",
           kernel_name(auto_kernel), cs[fk].name, 1e9 * fastest / (double)n);
    /* the scalar kernel against plain libm code (the aim: at most 1.2x its time) */
    for (int greeks = 1; greeks >= 0; greeks--) {
        double t_plain = 0.0, t_scalar = 0.0;
        for (int c = 0; c < nc; c++)
            if (cs[c].greeks == greeks) {
                if (strcmp(cs[c].name, "plain C, libm, -O2") == 0)
                    t_plain = cs[c].best;
                else if (strcmp(cs[c].name, "libqpm scalar kernel") == 0)
                    t_scalar = cs[c].best;
            }
        if (t_plain > 0.0 && t_scalar > 0.0)
            printf("scalar kernel, %s: %.2fx the time of plain C with libm\n",
                   greeks ? "price + 5 Greeks" : "price only", t_scalar / t_plain);
    }
    printf("libqpm's input checks alone (every output NULL; part of each libqpm time above): "
           "%.2f ns/option (best), %.2f (median)\n",
           1e9 * tchk[0] / (double)n, 1e9 * tchk[rounds / 2] / (double)n);
    for (int c = 0; c < nc; c++) {
        qpm_pricer_free(cs[c].pr);
        for (int o = 0; o < NOUT; o++)
            free(cs[c].o[o]);
    }
    for (int o = 0; o < NOUT; o++)
        free(ref[o]);
    free(theta_scale);
    free(S), free(K), free(T), free(r), free(q), free(sigma), free(type);
    return 0;
}
