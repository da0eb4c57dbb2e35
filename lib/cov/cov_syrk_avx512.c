/* AVX-512F co-moment kernel on packed panels (contract in cov_syrk.h).
 *
 * The n x n result is cut into tiles of 8 rows by 24 columns; only tiles
 * that meet the lower triangle are computed.  A tile keeps its 8 x 24 sums
 * in 24 zmm registers: per packed row t it loads the tile's 24 column values
 * (three vectors) and, for each of its 8 rows, broadcasts that row's value
 * into three fused multiply-adds.  That is 24 FMAs per 11 loads, so the two
 * FMA pipes of a core stay busy; the 24 x k column panel (at most 48 KiB)
 * is reused from L1/L2 by every tile below it.  Each sum runs over t in
 * order, one rounding per step, as a plain dot product does.  Written with
 * the SIMD vocabulary (num/simd_avx512.h, the AVX-512F part); built with
 * -mavx512f and called only where the CPU has it (its row in cov_syrk.c). */
#include <math.h>
#include <string.h>

#include "cov_syrk.h"
#include "num/simd_avx512.h"

#define W QPM__SYRK_W

/* One row r of the tile: three FMAs with the broadcast a[r]. */
#define ROW_FMA(r)                                                                            \
    do {                                                                                      \
        qv s = qv_bcast(a + (r));                                                             \
        c##r##0 = qv_fma(s, b0, c##r##0);                                                     \
        c##r##1 = qv_fma(s, b1, c##r##1);                                                     \
        c##r##2 = qv_fma(s, b2, c##r##2);                                                     \
    } while (0)

#define ROW_DECL(r) qv c##r##0 = z, c##r##1 = z, c##r##2 = z
#define ROW_OUT(r)                                                                            \
    do {                                                                                      \
        qv_storeu(out + (r) * W, c##r##0);                                                    \
        qv_storeu(out + (r) * W + 8, c##r##1);                                                \
        qv_storeu(out + (r) * W + 16, c##r##2);                                               \
    } while (0)

/* out[r * W + j] = sum_t ap[t W + r] bp[t W + j], r < 8, j < 24.
 * Kept out of line: inlined into the band loop (where beta's vector and the
 * loop bounds are live too), gcc 12 left two of the three column vectors in
 * stack slots and read them as FMA memory operands, 16 extra loads per
 * step; the kernel then ran at ~55 % of the FMA peak instead of ~85 %. */
static __attribute__((noinline)) void tile_8x24(size_t k, const double *ap, const double *bp, double *out)
{
    qv z = qv_zero();
    ROW_DECL(0); ROW_DECL(1); ROW_DECL(2); ROW_DECL(3);
    ROW_DECL(4); ROW_DECL(5); ROW_DECL(6); ROW_DECL(7);
    for (size_t t = 0; t < k; t++) {
        const double *a = ap + t * W, *b = bp + t * W;
        qv b0 = qv_load(b), b1 = qv_load(b + 8), b2 = qv_load(b + 16);
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
    qv bv = qv_set(beta);
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
                            qv x = qv_load(tr + v);
                            if (beta != 0.0) /* one rounding: beta c + x */
                                x = qv_fma(bv, qv_loadu(cr + v), x);
                            qv_storeu(cr + v, x);
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
static inline qm lanes(size_t j, size_t n)
{
    return j >= n ? qm_none() : qm_first(n - j >= 8 ? 8 : n - j);
}

/* Packed row t of p = w row (padding 0): the EWMA's weighted rows. */
void qpm__cov_syrk_pack_scaled_avx512(size_t n, size_t t, const double *row, double w, double *p)
{
    size_t npad = qpm__cov_syrk_npad(n);
    qv wv = qv_set(w);
    double *prow = p + t * W;
    for (size_t j = 0; j < npad; j += 8) {
        qv_store(prow + (j / W) * QPM__SYRK_PSTRIDE + j % W,
                 qv_mul(wv, qv_loadu_m(lanes(j, n), row + j)));
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
    qv a0 = qv_zero(), a1 = a0;
    double *prow = p + t * W;
    size_t j = 0;
    for (; j + 16 <= n; j += 16) {
        double *dst = prow + (j / W) * QPM__SYRK_PSTRIDE + j % W;
        double *dst2 = prow + ((j + 8) / W) * QPM__SYRK_PSTRIDE + (j + 8) % W;
        qv d0 = qv_sub(qv_loadu(row + j), qv_loadu(mean + j));
        qv d1 = qv_sub(qv_loadu(row + j + 8), qv_loadu(mean + j + 8));
        qv_store(dst, d0);
        qv_store(dst2, d1);
        qv_storeu(colsum + j, qv_add(qv_loadu(colsum + j), d0));
        qv_storeu(colsum + j + 8, qv_add(qv_loadu(colsum + j + 8), d1));
        a0 = qv_fma(d0, d0, a0);
        a1 = qv_fma(d1, d1, a1);
    }
    for (; j < npad; j += 8) {
        double *dst = prow + (j / W) * QPM__SYRK_PSTRIDE + j % W;
        qm m = lanes(j, n);
        qv d = qv_sub(qv_loadu_m(m, row + j), qv_loadu_m(m, mean + j));
        qv_store(dst, d);
        qv_storeu_m(colsum + j, m, qv_add(qv_loadu_m(m, colsum + j), d));
        a0 = qv_fma(d, d, a0);
    }
    double a = qv_reduce_add(qv_add(a0, a1));
    qv av = qv_set(a);
    for (j = 0; j < n; j += 8) {
        const double *src = prow + (j / W) * QPM__SYRK_PSTRIDE + j % W;
        qm m = lanes(j, n);
        qv_storeu_m(v3 + j, m, qv_fma(av, qv_load(src), qv_loadu_m(m, v3 + j)));
    }
    return a;
}

