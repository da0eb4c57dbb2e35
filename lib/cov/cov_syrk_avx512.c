/* AVX-512F co-moment kernel on packed panels (contract in cov_syrk.h).
 *
 * The n x n result is cut into tiles of 8 rows by 24 columns; only tiles
 * that meet the lower triangle are computed.  A tile keeps its 8 x 24 sums
 * in 24 zmm registers: per packed row t it loads the tile's 24 column values
 * (three vectors) and, for each of its 8 rows, broadcasts that row's value
 * into three fused multiply-adds.  That is 24 FMAs per 11 loads, so the two
 * FMA pipes of a core stay busy; the 24 x k column panel (at most 48 KiB)
 * is reused from L1/L2 by every tile below it.  Each sum runs over t in
 * order, one rounding per step, as a plain dot product does. */
#include <immintrin.h>
#include <math.h>
#include <string.h>

#include "cov_syrk.h"

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f")
#endif

#define W QPM__SYRK_W

/* One row r of the tile: three FMAs with the broadcast a[r]. */
#define ROW_FMA(r)                                                                            \
    do {                                                                                      \
        __m512d s = _mm512_set1_pd(a[r]);                                                     \
        c##r##0 = _mm512_fmadd_pd(s, b0, c##r##0);                                            \
        c##r##1 = _mm512_fmadd_pd(s, b1, c##r##1);                                            \
        c##r##2 = _mm512_fmadd_pd(s, b2, c##r##2);                                            \
    } while (0)

#define ROW_DECL(r) __m512d c##r##0 = z, c##r##1 = z, c##r##2 = z
#define ROW_OUT(r)                                                                            \
    do {                                                                                      \
        _mm512_storeu_pd(out + (r) * W, c##r##0);                                             \
        _mm512_storeu_pd(out + (r) * W + 8, c##r##1);                                         \
        _mm512_storeu_pd(out + (r) * W + 16, c##r##2);                                        \
    } while (0)

/* out[r * W + j] = sum_t ap[t W + r] bp[t W + j], r < 8, j < 24.
 * Kept out of line: inlined into the band loop (where beta's vector and the
 * loop bounds are live too), gcc 12 left two of the three column vectors in
 * stack slots and read them as FMA memory operands, 16 extra loads per
 * step; the kernel then ran at ~55 % of the FMA peak instead of ~85 %. */
static __attribute__((noinline)) void tile_8x24(size_t k, const double *ap, const double *bp, double *out)
{
    __m512d z = _mm512_setzero_pd();
    ROW_DECL(0); ROW_DECL(1); ROW_DECL(2); ROW_DECL(3);
    ROW_DECL(4); ROW_DECL(5); ROW_DECL(6); ROW_DECL(7);
    for (size_t t = 0; t < k; t++) {
        const double *a = ap + t * W, *b = bp + t * W;
        __m512d b0 = _mm512_load_pd(b), b1 = _mm512_load_pd(b + 8), b2 = _mm512_load_pd(b + 16);
        ROW_FMA(0); ROW_FMA(1); ROW_FMA(2); ROW_FMA(3);
        ROW_FMA(4); ROW_FMA(5); ROW_FMA(6); ROW_FMA(7);
    }
    ROW_OUT(0); ROW_OUT(1); ROW_OUT(2); ROW_OUT(3);
    ROW_OUT(4); ROW_OUT(5); ROW_OUT(6); ROW_OUT(7);
}

/* Rows of the result per pass over the column panels: their 8-row slivers
 * (MC x k doubles, 96 KiB at k = 256) stay in L2 while each 24-column
 * panel is read once per pass. */
#define MC 48

void qpm__cov_syrk_avx512(size_t n, size_t k, const double *p, double *c, size_t ldc,
                          double beta)
{
    double tile[8 * W] __attribute__((aligned(64)));
    __m512d bv = _mm512_set1_pd(beta);
    for (size_t ib = 0; ib < n; ib += MC) {
        size_t iend = n - ib < MC ? n : ib + MC;
        for (size_t j0 = 0; j0 < iend; j0 += W) {
            const double *bp = p + (j0 / W) * QPM__SYRK_PSTRIDE;
            size_t nj = n - j0 < W ? n - j0 : W;
            for (size_t i0 = j0 > ib ? j0 : ib; i0 < iend; i0 += 8) {
                const double *ap = p + (i0 / W) * QPM__SYRK_PSTRIDE + i0 % W;
                size_t ni = n - i0 < 8 ? n - i0 : 8;
                tile_8x24(k, ap, bp, tile);
                for (size_t r = 0; r < ni; r++) {
                    double *cr = c + (i0 + r) * ldc + j0;
                    const double *tr = tile + r * W;
                    if (nj == W) {
                        for (size_t v = 0; v < W; v += 8) {
                            __m512d x = _mm512_load_pd(tr + v);
                            if (beta != 0.0) /* one rounding: beta c + x */
                                x = _mm512_fmadd_pd(bv, _mm512_loadu_pd(cr + v), x);
                            _mm512_storeu_pd(cr + v, x);
                        }
                    } else {
                        for (size_t j = 0; j < nj; j++)
                            cr[j] = beta != 0.0 ? fma(beta, cr[j], tr[j]) : tr[j];
                    }
                }
            }
        }
    }
}

/* Mask of the lanes j.. j+7 that are below n. */
static inline __mmask8 lanes(size_t j, size_t n)
{
    if (j >= n)
        return 0;
    unsigned k = n - j >= 8 ? 8u : (unsigned)(n - j);
    return (__mmask8)((1u << k) - 1u);
}

/* Packed row t of p = w row (padding 0): the EWMA's weighted rows. */
void qpm__cov_syrk_pack_scaled_avx512(size_t n, size_t t, const double *row, double w, double *p)
{
    size_t npad = qpm__cov_syrk_npad(n);
    __m512d wv = _mm512_set1_pd(w);
    double *prow = p + t * W;
    for (size_t j = 0; j < npad; j += 8) {
        __mmask8 m = lanes(j, n);
        _mm512_store_pd(prow + (j / W) * QPM__SYRK_PSTRIDE + j % W,
                        _mm512_mul_pd(wv, _mm512_maskz_loadu_pd(m, row + j)));
    }
}

/* qpm__cov_syrk_pack fused into one sweep of 8-lane steps, plus V:
 * d = row - mean (padding lanes 0 - 0 = 0), stored straight into its panel
 * (each 8-lane step lies inside one 24-wide panel, 64-byte aligned);
 * colsum += d lane-wise as in the portable code (bit-identical sums); |d|^2
 * with FMAs; then v3 += |d|^2 d from the packed row, still in L1. */
double qpm__cov_syrk_pack_avx512(size_t n, size_t t, const double *row, const double *mean,
                                 double *p, double *colsum, double *v3)
{
    size_t npad = qpm__cov_syrk_npad(n);
    __m512d a0 = _mm512_setzero_pd(), a1 = a0;
    double *prow = p + t * W;
    size_t j = 0;
    for (; j + 16 <= n; j += 16) {
        double *dst = prow + (j / W) * QPM__SYRK_PSTRIDE + j % W;
        double *dst2 = prow + ((j + 8) / W) * QPM__SYRK_PSTRIDE + (j + 8) % W;
        __m512d d0 = _mm512_sub_pd(_mm512_loadu_pd(row + j), _mm512_loadu_pd(mean + j));
        __m512d d1 = _mm512_sub_pd(_mm512_loadu_pd(row + j + 8), _mm512_loadu_pd(mean + j + 8));
        _mm512_store_pd(dst, d0);
        _mm512_store_pd(dst2, d1);
        _mm512_storeu_pd(colsum + j, _mm512_add_pd(_mm512_loadu_pd(colsum + j), d0));
        _mm512_storeu_pd(colsum + j + 8, _mm512_add_pd(_mm512_loadu_pd(colsum + j + 8), d1));
        a0 = _mm512_fmadd_pd(d0, d0, a0);
        a1 = _mm512_fmadd_pd(d1, d1, a1);
    }
    for (; j < npad; j += 8) {
        double *dst = prow + (j / W) * QPM__SYRK_PSTRIDE + j % W;
        __mmask8 m = lanes(j, n);
        __m512d d = _mm512_sub_pd(_mm512_maskz_loadu_pd(m, row + j),
                                  _mm512_maskz_loadu_pd(m, mean + j));
        _mm512_store_pd(dst, d);
        _mm512_mask_storeu_pd(colsum + j, m,
                              _mm512_add_pd(_mm512_maskz_loadu_pd(m, colsum + j), d));
        a0 = _mm512_fmadd_pd(d, d, a0);
    }
    double a = _mm512_reduce_add_pd(_mm512_add_pd(a0, a1));
    __m512d av = _mm512_set1_pd(a);
    for (j = 0; j < n; j += 8) {
        const double *src = prow + (j / W) * QPM__SYRK_PSTRIDE + j % W;
        __mmask8 m = lanes(j, n);
        _mm512_mask_storeu_pd(v3 + j, m,
                              _mm512_fmadd_pd(av, _mm512_load_pd(src),
                                              _mm512_maskz_loadu_pd(m, v3 + j)));
    }
    return a;
}

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
