/* Reference kernel for bench_kernels: a straightforward AVX2 Black-Scholes
 * kernel, four options at a time, calling glibc's libmvec vector log, exp
 * and erfc (the functions gcc itself calls when it vectorises kref_libm.c
 * under -ffast-math).  Same inputs and outputs as kref_libm.c; the last
 * n % 4 options go through a padded vector.  Built only on x86-64 with
 * glibc >= 2.35 (libmvec's erfc); the caller checks AVX2 and FMA. */
#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

__m256d _ZGVdN4v_log(__m256d x);
__m256d _ZGVdN4v_exp(__m256d x);
__m256d _ZGVdN4v_erfc(__m256d x);

void kref_mvec_greeks(size_t n, const double *S, const double *K, const double *T, const double *r,
                      const double *sigma, const int32_t *type, double *price, double *delta,
                      double *gamma, double *vega, double *theta, double *rho);

__attribute__((target("avx2,fma"))) static void block(const double *S, const double *K,
                                                      const double *T, const double *r,
                                                      const double *sigma, const int32_t *type,
                                                      double *o[6])
{
    const __m256d half = _mm256_set1_pd(0.5), rs2 = _mm256_set1_pd(0.7071067811865476);
    const __m256d inv_sqrt_2pi = _mm256_set1_pd(0.3989422804014327);
    __m256d s = _mm256_loadu_pd(S), k = _mm256_loadu_pd(K), t = _mm256_loadu_pd(T);
    __m256d rr = _mm256_loadu_pd(r), v = _mm256_loadu_pd(sigma);
    __m256d w = _mm256_cvtepi32_pd(_mm_loadu_si128((const __m128i *)(const void *)type));
    __m256d sqt = _mm256_sqrt_pd(t), sst = _mm256_mul_pd(v, sqt);
    __m256d lm = _ZGVdN4v_log(_mm256_div_pd(s, k));
    __m256d d1 =
        _mm256_div_pd(_mm256_fmadd_pd(_mm256_fmadd_pd(_mm256_mul_pd(half, v), v, rr), t, lm), sst);
    __m256d d2 = _mm256_sub_pd(d1, sst);
    __m256d kdf =
        _mm256_mul_pd(k, _ZGVdN4v_exp(_mm256_mul_pd(_mm256_sub_pd(_mm256_setzero_pd(), rr), t)));
    __m256d pdf = _mm256_mul_pd(
        inv_sqrt_2pi, _ZGVdN4v_exp(_mm256_mul_pd(_mm256_mul_pd(_mm256_set1_pd(-0.5), d1), d1)));
    __m256d mw = _mm256_sub_pd(_mm256_setzero_pd(), _mm256_mul_pd(w, rs2));
    __m256d n1 = _mm256_mul_pd(half, _ZGVdN4v_erfc(_mm256_mul_pd(mw, d1)));
    __m256d n2 = _mm256_mul_pd(half, _ZGVdN4v_erfc(_mm256_mul_pd(mw, d2)));
    __m256d kn2 = _mm256_mul_pd(kdf, n2);
    _mm256_storeu_pd(o[0], _mm256_mul_pd(w, _mm256_fmsub_pd(s, n1, kn2)));
    _mm256_storeu_pd(o[1], _mm256_mul_pd(w, n1));
    _mm256_storeu_pd(o[2], _mm256_div_pd(pdf, _mm256_mul_pd(s, sst)));
    __m256d spdf = _mm256_mul_pd(s, pdf);
    _mm256_storeu_pd(o[3], _mm256_mul_pd(spdf, sqt));
    __m256d th = _mm256_div_pd(_mm256_mul_pd(spdf, v), _mm256_add_pd(sqt, sqt));
    _mm256_storeu_pd(o[4], _mm256_sub_pd(_mm256_sub_pd(_mm256_setzero_pd(), th),
                                         _mm256_mul_pd(_mm256_mul_pd(w, rr), kn2)));
    _mm256_storeu_pd(o[5], _mm256_mul_pd(_mm256_mul_pd(w, t), kn2));
}

void kref_mvec_greeks(size_t n, const double *S, const double *K, const double *T, const double *r,
                      const double *sigma, const int32_t *type, double *price, double *delta,
                      double *gamma, double *vega, double *theta, double *rho)
{
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        double *o[6] = {price + i, delta + i, gamma + i, vega + i, theta + i, rho + i};
        block(S + i, K + i, T + i, r + i, sigma + i, type + i, o);
    }
    if (i < n) {
        size_t m = n - i;
        double a[5][4] = {{1, 1, 1, 1}, {1, 1, 1, 1}, {1, 1, 1, 1}, {0, 0, 0, 0}, {1, 1, 1, 1}};
        int32_t ty[4] = {1, 1, 1, 1};
        double out[6][4];
        double *o[6] = {out[0], out[1], out[2], out[3], out[4], out[5]};
        memcpy(a[0], S + i, m * sizeof *S), memcpy(a[1], K + i, m * sizeof *K);
        memcpy(a[2], T + i, m * sizeof *T), memcpy(a[3], r + i, m * sizeof *r);
        memcpy(a[4], sigma + i, m * sizeof *sigma), memcpy(ty, type + i, m * sizeof *type);
        block(a[0], a[1], a[2], a[3], a[4], ty, o);
        double *dst[6] = {price, delta, gamma, vega, theta, rho};
        for (int k = 0; k < 6; k++)
            memcpy(dst[k] + i, out[k], m * sizeof(double));
    }
}
