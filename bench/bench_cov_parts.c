/* Where a sample-covariance fit spends its time (white-box: links the static
 * library).  For T = 2000 rows of N = 100, 500, 2000 assets, one BLAS
 * thread, it times each part of both co-moment paths, the whole fit, the
 * core's floating-point peak (an FMA loop at 256 and at 512 bits), and
 * then runs bench_cov_ref.py --parts for numpy.cov's parts on data of the
 * same shape.  Every figure is the minimum process-CPU time over rounds in
 * which all parts run interleaved, so that a busy machine disturbs each
 * part alike.
 *
 * usage: bench_cov_parts [--n N1,N2,...] [--t T] [--rounds R] [--ref bench_cov_ref.py] */
#include <cblas.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "cov/cov_kern.h"
#include "cov/cov_syrk.h"
#include "qpm/qpm.h"

static size_t T, N;
static double *x, *mean, *colsum, *blk, *mom, *v3, *wa, *d, *out;
static qpm_cov *cv;
static int have512;

static void p_scan(void)
{
    memset(colsum, 0, N * sizeof(double));
    for (size_t r = 0; r < T; r++)
        qpm__cov_k_add(N, x + r * N, colsum);
}

/* BLAS path: centre 256 rows, dsyrk them, dgemv for V */
static void p_centre(void)
{
    for (size_t r = 0; r < T; r++)
        wa[r % QPM__COV_BLOCK] =
            qpm__cov_k_centre(N, x + r * N, mean, blk + (r % QPM__COV_BLOCK) * N, colsum);
}

static void p_dsyrk_blocks(void)
{
    for (size_t r = 0; r < T; r += QPM__COV_BLOCK) {
        size_t nb = T - r < QPM__COV_BLOCK ? T - r : QPM__COV_BLOCK;
        cblas_dsyrk(CblasRowMajor, CblasLower, CblasTrans, (int)N, (int)nb, 1.0, x + r * N,
                    (int)N, r ? 1.0 : 0.0, mom, (int)N);
    }
}

static void p_dsyrk_whole(void)
{
    cblas_dsyrk(CblasRowMajor, CblasLower, CblasTrans, (int)N, (int)T, 1.0, x, (int)N, 0.0, mom,
                (int)N);
}

static void p_dgemv(void)
{
    for (size_t r = 0; r < T; r += QPM__COV_BLOCK) {
        size_t nb = T - r < QPM__COV_BLOCK ? T - r : QPM__COV_BLOCK;
        cblas_dgemv(CblasRowMajor, CblasTrans, (int)nb, (int)N, 1.0, x + r * N, (int)N, wa, 1,
                    1.0, v3, 1);
    }
}

/* packed path: centre + pack + V, then the kernel, chunk by chunk */
static void p_pack(void)
{
#ifdef QPM__COV_HAVE_SYRK_AVX512
    if (have512) {
        for (size_t r = 0; r < T; r++)
            qpm__cov_syrk_pack_avx512(N, r % QPM__COV_BLOCK, x + r * N, mean, blk, colsum, v3);
        return;
    }
#endif
    for (size_t r = 0; r < T; r++) {
        double a = qpm__cov_syrk_pack(N, r % QPM__COV_BLOCK, x + r * N, mean, blk, colsum, d);
        qpm__cov_k_axpy(N, a, d, v3);
    }
}

static void p_kernel(void)
{
#ifdef QPM__COV_HAVE_SYRK_AVX512
    for (size_t r = 0; r < T; r += QPM__COV_BLOCK) {
        size_t nb = T - r < QPM__COV_BLOCK ? T - r : QPM__COV_BLOCK;
        qpm__cov_syrk_avx512(N, nb, blk, mom, N, r > 0 ? 1.0 : 0.0);
    }
#endif
}

static void p_fit(void)
{
    if (qpm_cov_fit(cv, T, x, N) != QPM_OK)
        exit(1);
}

static void p_get(void)
{
    if (qpm_cov_covariance(cv, out, N) != QPM_OK)
        exit(1);
}

/* ---- FMA peak: 12 (AVX2) / 16 (AVX-512) independent accumulators ---------- */
#define FMA_STEPS 4000000L
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
__attribute__((target("avx2,fma"))) static double peak256(void)
{
    __m256d m = _mm256_set1_pd(0.9999999), b = _mm256_set1_pd(1e-9);
    __m256d a0 = m, a1 = m, a2 = m, a3 = m, a4 = m, a5 = m, a6 = m, a7 = m, a8 = m, a9 = m,
            a10 = m, a11 = m;
    double t0 = bench_cpu_now();
    for (long k = 0; k < FMA_STEPS; k++) {
#define F(a) a = _mm256_fmadd_pd(a, m, b)
        F(a0); F(a1); F(a2); F(a3); F(a4); F(a5); F(a6); F(a7); F(a8); F(a9); F(a10); F(a11);
#undef F
        /* opaque to the optimiser: every accumulator is live and unknown */
        __asm__ volatile("" : "+x"(a0), "+x"(a1), "+x"(a2), "+x"(a3), "+x"(a4), "+x"(a5),
                         "+x"(a6), "+x"(a7), "+x"(a8), "+x"(a9), "+x"(a10), "+x"(a11));
    }
    double dt = bench_cpu_now() - t0;
    __m256d s = _mm256_add_pd(_mm256_add_pd(_mm256_add_pd(a0, a1), _mm256_add_pd(a2, a3)),
                              _mm256_add_pd(_mm256_add_pd(a4, a5), _mm256_add_pd(a6, a7)));
    s = _mm256_add_pd(s, _mm256_add_pd(_mm256_add_pd(a8, a9), _mm256_add_pd(a10, a11)));
    volatile double sink = s[0];
    (void)sink;
    return 12.0 * 4.0 * 2.0 * (double)FMA_STEPS / dt;
}

__attribute__((target("avx512f"))) static double peak512(void)
{
    __m512d m = _mm512_set1_pd(0.9999999), b = _mm512_set1_pd(1e-9);
    __m512d a0 = m, a1 = m, a2 = m, a3 = m, a4 = m, a5 = m, a6 = m, a7 = m, a8 = m, a9 = m,
            a10 = m, a11 = m, a12 = m, a13 = m, a14 = m, a15 = m;
    double t0 = bench_cpu_now();
    for (long k = 0; k < FMA_STEPS; k++) {
#define F(a) a = _mm512_fmadd_pd(a, m, b)
        F(a0); F(a1); F(a2); F(a3); F(a4); F(a5); F(a6); F(a7);
        F(a8); F(a9); F(a10); F(a11); F(a12); F(a13); F(a14); F(a15);
#undef F
        __asm__ volatile("" : "+v"(a0), "+v"(a1), "+v"(a2), "+v"(a3), "+v"(a4), "+v"(a5),
                         "+v"(a6), "+v"(a7));
        __asm__ volatile("" : "+v"(a8), "+v"(a9), "+v"(a10), "+v"(a11), "+v"(a12), "+v"(a13),
                         "+v"(a14), "+v"(a15));
    }
    double dt = bench_cpu_now() - t0;
    __m512d s = _mm512_add_pd(_mm512_add_pd(_mm512_add_pd(a0, a1), _mm512_add_pd(a2, a3)),
                              _mm512_add_pd(_mm512_add_pd(a4, a5), _mm512_add_pd(a6, a7)));
    s = _mm512_add_pd(s, _mm512_add_pd(_mm512_add_pd(a8, a9), _mm512_add_pd(a10, a11)));
    s = _mm512_add_pd(s, _mm512_add_pd(_mm512_add_pd(a12, a13), _mm512_add_pd(a14, a15)));
    volatile double sink = _mm512_reduce_add_pd(s);
    (void)sink;
    return 16.0 * 8.0 * 2.0 * (double)FMA_STEPS / dt;
}
#endif

int main(int argc, char **argv)
{
    size_t ns[8] = {100, 500, 2000}, nn = 3;
    int rounds = 7;
    const char *ref = NULL;
    T = 2000;
    static const char usage[] =
        "[--n N1,N2,...] [--t T] [--rounds R] [--ref bench_cov_ref.py]\n"
        "  --n LIST    asset counts, up to 8 of 2..20000 (default 100,500,2000)\n"
        "  --t T       observations, 2..1000000 (default 2000)\n"
        "  --rounds R  interleaved rounds, 1..1000 (default 7)\n"
        "  --ref FILE  the reference script (default: found beside the sources)";
    bench_help(argc, argv, usage);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--t") == 0 && i + 1 < argc) {
            T = (size_t)bench_arg_uint(argv, usage, argv[++i], "--t", 2, 1000000);
        } else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc) {
            rounds = (int)bench_arg_uint(argv, usage, argv[++i], "--rounds", 1, 1000);
        } else if (strcmp(argv[i], "--ref") == 0 && i + 1 < argc) {
            ref = argv[++i];
        } else if (strcmp(argv[i], "--n") == 0 && i + 1 < argc) {
            nn = bench_arg_list(argv, usage, argv[++i], "--n", 2, 20000, ns, 8);
        } else {
            bench_bad_arg(argv, usage, "unknown or incomplete option", argv[i]);
        }
    }
    openblas_set_num_threads(1);
    have512 = (qpm__cpu_detect() & QPM_CPU_AVX512F) != 0;
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    double pk256 = 0.0, pk512 = 0.0;
    for (int r = 0; r < 3; r++) {
        if (qpm__cpu_detect() & QPM_CPU_FMA)
            pk256 = fmax(pk256, peak256());
        if (have512)
            pk512 = fmax(pk512, peak512());
    }
    printf("FMA peak of one core: AVX2 %.1f GFLOP/s, AVX-512 %.1f GFLOP/s\n", 1e-9 * pk256,
           1e-9 * pk512);
#endif
    printf("OpenBLAS core: %s; packed kernel used by fits (QPM_COV_KERNEL auto): %s\n",
           openblas_get_corename(), qpm__cov_kernel(QPM_COV_KERNEL_AUTO)->packed ? "yes" : "no");

    for (size_t in = 0; in < nn; in++) {
        N = ns[in];
        x = malloc(T * N * sizeof(double));
        mean = calloc(N, sizeof(double));
        colsum = calloc(N, sizeof(double));
        v3 = calloc(N, sizeof(double));
        d = calloc(N, sizeof(double));
        wa = calloc(QPM__COV_BLOCK, sizeof(double));
        blk = aligned_alloc(64, qpm__cov_syrk_size(N) * sizeof(double));
        mom = aligned_alloc(64, N * N * sizeof(double));
        out = malloc(N * N * sizeof(double));
        unsigned long long s = BENCH_SEED;
        for (size_t k = 0; k < T * N; k++)
            x[k] = bench_uniform(&s, -0.05, 0.05);
        if (qpm_cov_create(&cv, NULL, N) != QPM_OK)
            return 1;
        struct {
            const char *name;
            void (*fn)(void);
            double best;
        } parts[] = {
            {"qpm_cov_fit (SAMPLE), whole", p_fit, 0},
            {"  pass 1: validate + column sums", p_scan, 0},
            {"  BLAS path: centre into 256-row blocks", p_centre, 0},
            {"  BLAS path: dsyrk on 256-row blocks", p_dsyrk_blocks, 0},
            {"  BLAS path: dgemv for V", p_dgemv, 0},
            {"  (one dsyrk over all T rows)", p_dsyrk_whole, 0},
            {"  packed path: centre + pack + V", p_pack, 0},
            {"  packed path: AVX-512 kernel", p_kernel, 0},
            {"qpm_cov_covariance (mirror + copy)", p_get, 0},
        };
        size_t np_ = sizeof parts / sizeof parts[0];
        for (size_t k = 0; k < np_; k++)
            parts[k].best = HUGE_VAL;
        int reps = N >= 2000 ? 1 : 3;
        for (int r = 0; r < rounds; r++)
            for (size_t k = 0; k < np_; k++) {
                if (parts[k].fn == p_kernel && !have512)
                    continue;
                parts[k].fn();
                double t0 = bench_cpu_now();
                for (int q = 0; q < reps; q++)
                    parts[k].fn();
                double dt = (bench_cpu_now() - t0) / reps;
                parts[k].best = fmin(parts[k].best, dt);
            }
        double flops = (double)T * (double)N * (double)(N + 1);
        printf("\n#### T = %zu, N = %zu (minimum CPU time over %d rounds)\n\n", T, N, rounds);
        printf("| part | ms | GFLOP/s (T N (N+1) flops) |\n|---|---:|---:|\n");
        for (size_t k = 0; k < np_; k++) {
            if (!isfinite(parts[k].best))
                continue;
            int mm = strstr(parts[k].name, "dsyrk") || strstr(parts[k].name, "kernel");
            if (mm)
                printf("| %s | %.3f | %.1f |\n", parts[k].name, 1e3 * parts[k].best,
                       1e-9 * flops / parts[k].best);
            else
                printf("| %s | %.3f | |\n", parts[k].name, 1e3 * parts[k].best);
        }
        fflush(stdout);
        const char *script = bench_find_script(ref, "bench_cov_ref.py");
        if (script) {
            char cmd[PATH_MAX + 128];
            snprintf(cmd, sizeof cmd,
                     "OPENBLAS_NUM_THREADS=1 /usr/bin/python3 '%s' --parts %zu %zu %d", script,
                     T, N, rounds);
            if (system(cmd) != 0)
                fprintf(stderr, "bench_cov_parts: %s failed\n", cmd);
        }
        qpm_cov_free(cv);
        free(x);
        free(mean);
        free(colsum);
        free(v3);
        free(d);
        free(wa);
        free(blk);
        free(mom);
        free(out);
    }
    return 0;
}
