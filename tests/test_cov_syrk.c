/* cov: the packed co-moment kernel (cov_syrk.h) against a straightforward
 * long-double reference on odd sizes (n = 1, 3, 17, 65, 257 around the
 * 8 x 24 tiles; k = 2, 5, 100 and a full 256-row chunk; row stride ld > n),
 * the packing itself (centred values, zero padding, column sums, |d|^2),
 * and whole fits through the kernel against the same fits through the BLAS.
 *
 * Tolerances: an entry is a dot product of k terms; its double rounding is
 * below k eps sum_t |d_ti d_tj| (Higham, eq. 3.5), so the kernel and the
 * reference entry must agree to within that bound (the long-double
 * reference is exact to ~1e-19 relative at these sizes).  Fits through the
 * two kernels differ by the same order: 1e-13 of the largest element (the
 * golden tests' own tolerance is 1e-12). */
#include <cblas.h>
#include <float.h>

#include "cov/cov_syrk.h"
#include "core/internal.h"
#include "test_cov_util.h"

static double urand(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*s >> 11) * 0x1p-53 - 0.5;
}

static int have_avx512(void)
{
#ifdef QPM__COV_HAVE_SYRK_AVX512
    return (qpm__cpu_detect() & QPM_CPU_AVX512F) != 0;
#else
    return 0;
#endif
}

typedef void (*syrk_fn)(size_t n, size_t k, const double *p, double *c, size_t ldc, double beta);

/* Packs k rows of x (ld) about their mean and checks the packing; runs fn
 * three times (beta = 0: store; beta = 1: accumulate; beta = 0.5: scale and
 * accumulate, so C = S, 2 S, 2 S) and checks every lower entry against the
 * long-double reference, and that the upper triangle outside the diagonal
 * tiles is untouched. */
static void check_kernel(syrk_fn fn, const char *name, size_t n, size_t k, size_t ld)
{
    size_t npad = qpm__cov_syrk_npad(n);
    cr_assert(npad % QPM__SYRK_W == 0 && npad >= n && npad < n + QPM__SYRK_W);
    double *x = malloc(k * ld * sizeof(double)), *mean = calloc(n, sizeof(double));
    double *colsum = calloc(n, sizeof(double)), *d = malloc(n * sizeof(double));
    double *p = aligned_alloc(64, qpm__cov_syrk_size(n) * sizeof(double));
    double *c = malloc(n * (n + 1) * sizeof(double)); /* ldc = n + 1 */
    long double *ref = calloc(n * n, sizeof(long double)), *bnd = calloc(n * n, sizeof(long double));
    cr_assert(x && mean && colsum && d && p && c && ref && bnd);
    uint64_t s = 42 + n * 1000 + k;
    for (size_t t = 0; t < k; t++)
        for (size_t j = 0; j < ld; j++)
            x[t * ld + j] = j < n ? 0.01 * (double)(j % 5 + 1) * urand(&s) + 1e-3 * (double)j
                                  : (double)NAN; /* never read */
    for (size_t j = 0; j < n; j++) {
        for (size_t t = 0; t < k; t++)
            mean[j] += x[t * ld + j];
        mean[j] /= (double)k;
    }
    memset(p, 0xff, qpm__cov_syrk_size(n) * sizeof(double)); /* NaN: padding must be written */
    for (size_t t = 0; t < k; t++) {
        double a = qpm__cov_syrk_pack(n, t, x + t * ld, mean, p, colsum, d);
        long double a_ref = 0.0L;
        for (size_t j = 0; j < npad; j++) {
            double v = p[(j / QPM__SYRK_W) * QPM__SYRK_PSTRIDE + t * QPM__SYRK_W + j % QPM__SYRK_W];
            double want = j < n ? x[t * ld + j] - mean[j] : 0.0;
            cr_assert(v == want, "%s: packed (%zu,%zu) = %g, want %g", name, t, j, v, want);
            if (j < n) {
                cr_assert(d[j] == want);
                a_ref += (long double)want * want;
            }
        }
        cr_assert(fabsl(a - a_ref) <= 4.0L * (long double)n * DBL_EPSILON * a_ref);
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j <= i; j++)
            for (size_t t = 0; t < k; t++) {
                long double di = x[t * ld + i] - mean[i], dj = x[t * ld + j] - mean[j];
                ref[i * n + j] += di * dj;
                bnd[i * n + j] += fabsl(di * dj);
            }
    for (int acc = 0; acc <= 2; acc++) {
        if (!acc)
            for (size_t q = 0; q < n * (n + 1); q++)
                c[q] = (double)NAN;
        fn(n, k, p, c, n + 1, acc == 0 ? 0.0 : acc == 1 ? 1.0 : 0.5);
        for (size_t i = 0; i < n; i++) {
            for (size_t j = 0; j <= i; j++) {
                long double want = (acc ? 2 : 1) * ref[i * n + j];
                long double tol = (acc + 1) * 2.0L * (long double)(k + 2) * DBL_EPSILON *
                                  bnd[i * n + j];
                cr_assert(fabsl(c[i * (n + 1) + j] - want) <= tol,
                          "%s n=%zu k=%zu acc=%d: c[%zu][%zu] = %.17g, want %.17Lg (tol %Lg)",
                          name, n, k, acc, i, j, c[i * (n + 1) + j], want, tol);
            }
            /* above the diagonal: the symmetric value in the tiles that
             * meet the diagonal (columns up to the end of row i's panel),
             * untouched beyond them and in the padding column n */
            size_t wend = i / QPM__SYRK_W * QPM__SYRK_W + QPM__SYRK_W;
            for (size_t j = i + 1; j < n + 1; j++) {
                double v = c[i * (n + 1) + j];
                if (j >= n || j >= wend)
                    cr_assert(isnan(v), "%s: c[%zu][%zu] written", name, i, j);
                else if (fn != qpm__cov_syrk_ref)
                    cr_assert(fabsl(v - (acc ? 2 : 1) * ref[j * n + i]) <=
                                  (acc + 1) * 2.0L * (long double)(k + 2) * DBL_EPSILON *
                                      bnd[j * n + i],
                              "%s: c[%zu][%zu] = %g", name, i, j, v);
            }
        }
    }
    for (size_t j = 0; j < n; j++) {
        /* k additions of rounded differences: within 2 k eps sum |d| */
        long double cs = 0.0L, ca = 0.0L;
        for (size_t t = 0; t < k; t++) {
            cs += (long double)(x[t * ld + j] - mean[j]);
            ca += fabsl((long double)x[t * ld + j] - mean[j]);
        }
        cr_assert(fabsl(colsum[j] - cs) <= 2.0L * (long double)k * DBL_EPSILON * ca);
    }
    free(x);
    free(mean);
    free(colsum);
    free(d);
    free(p);
    free(c);
    free(ref);
    free(bnd);
}

#ifdef QPM__COV_HAVE_SYRK_AVX512
/* The fused AVX-512 packing gives the portable packing's panel and column
 * sums bit for bit (same subtraction and additions per lane), and |d|^2
 * and V = sum_t |d_t|^2 d_t to rounding (FMAs; tolerance: n + 2 roundings
 * per |d|^2, k + 2 more per V entry, relative to the sums of magnitudes). */
static void check_pack_avx512(size_t n, size_t k, size_t ld)
{
    size_t npad = qpm__cov_syrk_npad(n), psz = qpm__cov_syrk_size(n);
    double *x = malloc(k * ld * sizeof(double)), *mean = malloc(n * sizeof(double));
    double *cs1 = calloc(n, sizeof(double)), *cs2 = calloc(n, sizeof(double));
    double *v3 = calloc(n, sizeof(double)), *d = malloc(n * sizeof(double));
    long double *v3ref = calloc(n, sizeof(long double)), *v3bnd = calloc(n, sizeof(long double));
    double *p1 = aligned_alloc(64, psz * sizeof(double)), *p2 = aligned_alloc(64, psz * sizeof(double));
    cr_assert(x && mean && cs1 && cs2 && v3 && d && v3ref && v3bnd && p1 && p2);
    uint64_t s = 99 + n + 7 * k;
    for (size_t q = 0; q < k * ld; q++)
        x[q] = 0.03 * urand(&s) + 2e-4;
    for (size_t j = 0; j < n; j++)
        mean[j] = 1e-4 * (double)j;
    memset(p1, 0xff, psz * sizeof(double));
    memset(p2, 0xee, psz * sizeof(double));
    for (size_t t = 0; t < k; t++) {
        double a1 = qpm__cov_syrk_pack(n, t, x + t * ld, mean, p1, cs1, d);
        double a2 = qpm__cov_syrk_pack_avx512(n, t, x + t * ld, mean, p2, cs2, v3);
        cr_assert(fabs(a1 - a2) <= 2.0 * (double)(n + 2) * DBL_EPSILON * a1, "n=%zu |d|^2", n);
        for (size_t j = 0; j < n; j++) {
            v3ref[j] += (long double)a1 * d[j];
            v3bnd[j] += fabsl((long double)a1 * d[j]);
        }
    }
    for (size_t t = 0; t < k; t++)
        for (size_t j = 0; j < npad; j++) {
            size_t q = (j / QPM__SYRK_W) * QPM__SYRK_PSTRIDE + t * QPM__SYRK_W + j % QPM__SYRK_W;
            cr_assert(memcmp(p1 + q, p2 + q, sizeof(double)) == 0, "n=%zu packed (%zu,%zu)", n,
                      t, j);
        }
    for (size_t j = 0; j < n; j++) {
        cr_assert(cs1[j] == cs2[j], "n=%zu colsum[%zu]", n, j);
        cr_assert(fabsl(v3[j] - v3ref[j]) <= 2.0L * (long double)(n + k + 4) * DBL_EPSILON *
                                                  v3bnd[j],
                  "n=%zu v3[%zu] = %g, want %Lg", n, j, v3[j], v3ref[j]);
    }
    free(x);
    free(mean);
    free(cs1);
    free(cs2);
    free(v3);
    free(d);
    free(v3ref);
    free(v3bnd);
    free(p1);
    free(p2);
}
#endif

static const size_t ns[] = {1, 3, 17, 65, 257}, ks[] = {2, 5, 100, QPM__COV_BLOCK};

Test(cov_syrk, reference_kernel_matches_long_double)
{
    for (size_t a = 0; a < sizeof ns / sizeof ns[0]; a++)
        for (size_t b = 0; b < 3; b++)
            check_kernel(qpm__cov_syrk_ref, "ref", ns[a], ks[b], ns[a] + 3);
}

Test(cov_syrk, avx512_kernel_matches_long_double)
{
#ifdef QPM__COV_HAVE_SYRK_AVX512
    if (!have_avx512())
        cr_skip_test("the CPU has no AVX-512F");
    for (size_t a = 0; a < sizeof ns / sizeof ns[0]; a++)
        for (size_t b = 0; b < sizeof ks / sizeof ks[0]; b++)
            check_kernel(qpm__cov_syrk_avx512, "avx512", ns[a], ks[b], ns[a] + (b % 2 ? 1 : 7));
    for (size_t a = 0; a < sizeof ns / sizeof ns[0]; a++)
        for (size_t b = 0; b < 3; b++)
            check_pack_avx512(ns[a], ks[b], ns[a] + 2);
#else
    cr_skip_test("no AVX-512 kernel on this architecture");
#endif
}

/* QPM_COV_KERNEL: auto takes the packed kernel exactly when the CPU has
 * AVX-512F, whatever the BLAS's thread count; each kernel can be asked for,
 * the AVX-512 one only where the CPU has it (the mask hides it). */
Test(cov_syrk, dispatch)
{
    qpm_cov *c;
    cr_assert_eq(qpm_cov_create(&c, NULL, 5), QPM_OK);
    double v = -1.0, lo, hi;
    int want = have_avx512() ? QPM_COV_KERNEL_AVX512 : QPM_COV_KERNEL_BLAS;
    for (int th = 1; th <= 2; th++) {
        openblas_set_num_threads(th);
        qpm_cov *d;
        cr_assert_eq(qpm_cov_create(&d, NULL, 5), QPM_OK);
        cr_assert_eq(qpm_cov_get(d, QPM_COV_KERNEL, &v), QPM_OK);
        cr_assert_eq((int)v, want, "%d BLAS threads: kernel %g", th, v);
        qpm_cov_free(d);
    }
    openblas_set_num_threads(1);
    cr_assert_eq(qpm_cov_bounds(QPM_COV_KERNEL, &lo, &hi), QPM_OK);
    cr_assert(lo == QPM_COV_KERNEL_AUTO && hi == QPM_COV_KERNEL_AVX512);
    cr_assert_eq(qpm_cov_set(c, QPM_COV_KERNEL, QPM_COV_KERNEL_BLAS), QPM_OK);
    cr_assert_eq(qpm_cov_get(c, QPM_COV_KERNEL, &v), QPM_OK);
    cr_assert_eq((int)v, QPM_COV_KERNEL_BLAS);
    cr_assert_eq(qpm_cov_set(c, QPM_COV_KERNEL, QPM_COV_KERNEL_AUTO), QPM_OK);
    cr_assert_eq(qpm_cov_get(c, QPM_COV_KERNEL, &v), QPM_OK);
    cr_assert_eq((int)v, want);
    cr_assert_eq(qpm_cov_set(c, QPM_COV_KERNEL, 3.0), QPM_E_RANGE);
    cr_assert_eq(qpm_cov_set(c, QPM_COV_KERNEL, 0.5), QPM_E_RANGE);
    /* a CPU without AVX-512F: the mask hides it from kernel selection */
    qpm__cpu_set_mask(~(unsigned)QPM_CPU_AVX512F);
    cr_assert_eq(qpm_cov_set(c, QPM_COV_KERNEL, QPM_COV_KERNEL_AVX512), QPM_E_UNSUPPORTED);
    cr_assert(strstr(qpm_last_error(), "QPM_COV_KERNEL") != NULL, "%s", qpm_last_error());
    cr_assert_eq(qpm_cov_get(c, QPM_COV_KERNEL, &v), QPM_OK);
    cr_assert_eq((int)v, want, "unchanged after a refused setting");
    cr_assert_eq(qpm_cov_set(c, QPM_COV_KERNEL, QPM_COV_KERNEL_AUTO), QPM_OK);
    cr_assert_eq(qpm_cov_get(c, QPM_COV_KERNEL, &v), QPM_OK);
    cr_assert_eq((int)v, QPM_COV_KERNEL_BLAS);
    qpm__cpu_set_mask(~0u);
    if (have_avx512()) {
        cr_assert_eq(qpm_cov_set(c, QPM_COV_KERNEL, QPM_COV_KERNEL_AVX512), QPM_OK);
        cr_assert_eq(qpm_cov_get(c, QPM_COV_KERNEL, &v), QPM_OK);
        cr_assert_eq((int)v, QPM_COV_KERNEL_AVX512);
    }
    qpm_cov_free(c);
}

/* Sample, LW, OAS and EWMA fits (DROP_ROWS with NaN rows, so chunks end on
 * skipped rows; t spans several 256-row chunks; ld > n) agree between the
 * packed kernel and the BLAS path (QPM_COV_KERNEL), and the packed kernel's
 * bits do not depend on the BLAS's thread count. */
Test(cov_syrk, fits_match_blas_path)
{
    if (!have_avx512())
        cr_skip_test("the CPU has no AVX-512F: every fit takes the BLAS path");
    const size_t sizes[][2] = {{3, 5}, {17, 100}, {65, 600}, {257, 300}};
    const int methods[] = {QPM_COV_SAMPLE, QPM_COV_LEDOIT_WOLF, QPM_COV_OAS, QPM_COV_EWMA,
                           QPM_COV_EWMA};
    const double lambdas[] = {0.94, 0.94, 0.94, 0.94, 0.999};
    for (size_t q = 0; q < sizeof sizes / sizeof sizes[0]; q++) {
        size_t n = sizes[q][0], t = sizes[q][1], ld = n + 5;
        double *x = malloc(t * ld * sizeof(double));
        double *o1 = malloc(n * n * sizeof(double)), *o2 = malloc(n * n * sizeof(double));
        double *o3 = malloc(n * n * sizeof(double));
        double m1[300], m2[300];
        uint64_t s = 7 + q;
        for (size_t r = 0; r < t * ld; r++)
            x[r] = 0.02 * urand(&s) + 1e-4;
        for (size_t r = 3; r < t; r += 97)
            x[r * ld + (r % n)] = (double)NAN;
        qpm_cov *c;
        cr_assert_eq(qpm_cov_create(&c, NULL, n), QPM_OK);
        cr_assert_eq(qpm_cov_set(c, QPM_COV_NAN_POLICY, QPM_COV_NAN_DROP_ROWS), QPM_OK);
        for (size_t m = 0; m < 5; m++) {
            if (methods[m] == QPM_COV_EWMA && t < 50)
                continue; /* the EWMA seed needs 20 rows */
            cr_assert_eq(qpm_cov_set(c, QPM_COV_METHOD, methods[m]), QPM_OK);
            cr_assert_eq(qpm_cov_set(c, QPM_COV_LAMBDA, lambdas[m]), QPM_OK);
            double s1 = 0.0, s2 = 0.0, s3 = 0.0;
            cr_assert_eq(qpm_cov_set(c, QPM_COV_KERNEL, QPM_COV_KERNEL_AVX512), QPM_OK);
            cr_assert_eq(qpm_cov_fit(c, t, x, ld), QPM_OK, "%s", qpm_last_error());
            cr_assert_eq(qpm_cov_covariance(c, o1, n), QPM_OK);
            cr_assert_eq(qpm_cov_mean(c, m1), QPM_OK);
            if (methods[m] == QPM_COV_LEDOIT_WOLF || methods[m] == QPM_COV_OAS)
                cr_assert_eq(qpm_cov_shrinkage(c, &s1), QPM_OK);
            /* the same kernel with two BLAS threads: the same bits */
            openblas_set_num_threads(2);
            cr_assert_eq(qpm_cov_fit(c, t, x, ld), QPM_OK, "%s", qpm_last_error());
            cr_assert_eq(qpm_cov_covariance(c, o3, n), QPM_OK);
            if (methods[m] == QPM_COV_LEDOIT_WOLF || methods[m] == QPM_COV_OAS)
                cr_assert_eq(qpm_cov_shrinkage(c, &s3), QPM_OK);
            openblas_set_num_threads(1);
            cr_assert(memcmp(o1, o3, n * n * sizeof(double)) == 0,
                      "n=%zu method %d: the BLAS thread count changed the packed kernel's bits", n,
                      methods[m]);
            cr_assert(memcmp(&s1, &s3, sizeof s1) == 0);
            cr_assert_eq(qpm_cov_set(c, QPM_COV_KERNEL, QPM_COV_KERNEL_BLAS), QPM_OK);
            cr_assert_eq(qpm_cov_fit(c, t, x, ld), QPM_OK, "%s", qpm_last_error());
            cr_assert_eq(qpm_cov_covariance(c, o2, n), QPM_OK);
            cr_assert_eq(qpm_cov_mean(c, m2), QPM_OK);
            if (methods[m] == QPM_COV_LEDOIT_WOLF || methods[m] == QPM_COV_OAS)
                cr_assert_eq(qpm_cov_shrinkage(c, &s2), QPM_OK);
            double e = cu_rel_err(o1, o2, n, NULL);
            cr_assert(e <= 1e-13, "n=%zu t=%zu method %d: %g", n, t, methods[m], e);
            if (methods[m] == QPM_COV_LEDOIT_WOLF || methods[m] == QPM_COV_OAS)
                cr_assert(fabs(s1 - s2) <= 1e-12 * fabs(s2), "shrinkage %.17g vs %.17g", s1, s2);
            for (size_t j = 0; j < n; j++)
                cr_assert(m1[j] == m2[j], "mean[%zu]", j);
            cu_assert_symmetric(o1, n, "packed-kernel fit");
        }
        qpm_cov_free(c);
        free(x);
        free(o1);
        free(o2);
        free(o3);
    }
    cr_assert_eq(qt_leak_check(), 0);
}
