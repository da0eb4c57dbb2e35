/* SIMD vocabulary for AVX2 + FMA: one register qv of QV_LANES = 4 doubles,
 * lane masks qm, 64-bit integer lanes qvi, and the operations the kernels
 * use, under the same names as simd_avx512.h (FFTW's simd-support idea: a
 * kernel is written once against these names and compiled per ISA).
 *
 * Include only in a translation unit built with -mavx2 -mfma, and call its
 * kernels only after CPU detection.  Every operation is lane-wise and
 * IEEE-exact as its instruction is (no reassociation, no approximations),
 * so a lane computes what the scalar operations in the same order compute.
 *
 * Masks are vectors of all-ones or all-zero lanes here (AVX-512: mask
 * registers); qm_bits gives bit j for lane j on both.  qv_min and qv_max
 * return the second operand when either is NaN (the x86 rule). */
#ifndef QPM_NUM_SIMD_AVX2_H
#define QPM_NUM_SIMD_AVX2_H

#include <float.h>
#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>

#define QV_LANES 4
#define QV_ISA_AVX2 1

typedef __m256d qv;
typedef __m256d qm;
typedef __m256i qvi;

#if defined(__GNUC__) || defined(__clang__)
#define QV_INLINE static inline __attribute__((always_inline))
#else
#define QV_INLINE static inline
#endif

/* ---- arithmetic ------------------------------------------------------------ */
QV_INLINE qv qv_set(double x) { return _mm256_set1_pd(x); }
QV_INLINE qv qv_zero(void) { return _mm256_setzero_pd(); }
QV_INLINE qv qv_add(qv x, qv y) { return _mm256_add_pd(x, y); }
QV_INLINE qv qv_sub(qv x, qv y) { return _mm256_sub_pd(x, y); }
QV_INLINE qv qv_mul(qv x, qv y) { return _mm256_mul_pd(x, y); }
QV_INLINE qv qv_div(qv x, qv y) { return _mm256_div_pd(x, y); }
QV_INLINE qv qv_sqrt(qv x) { return _mm256_sqrt_pd(x); }
QV_INLINE qv qv_min(qv x, qv y) { return _mm256_min_pd(x, y); }
QV_INLINE qv qv_max(qv x, qv y) { return _mm256_max_pd(x, y); }
QV_INLINE qv qv_fma(qv x, qv y, qv z) { return _mm256_fmadd_pd(x, y, z); }   /* x y + z */
QV_INLINE qv qv_fms(qv x, qv y, qv z) { return _mm256_fmsub_pd(x, y, z); }   /* x y - z */
QV_INLINE qv qv_fnma(qv x, qv y, qv z) { return _mm256_fnmadd_pd(x, y, z); } /* z - x y */
QV_INLINE qv qv_fnms(qv x, qv y, qv z) { return _mm256_fnmsub_pd(x, y, z); } /* -x y - z */
QV_INLINE qv qv_and(qv x, qv y) { return _mm256_and_pd(x, y); }
QV_INLINE qv qv_or(qv x, qv y) { return _mm256_or_pd(x, y); }
QV_INLINE qv qv_xor(qv x, qv y) { return _mm256_xor_pd(x, y); }
QV_INLINE qv qv_neg(qv x) { return _mm256_xor_pd(x, _mm256_set1_pd(-0.0)); }
QV_INLINE qv qv_abs(qv x) { return _mm256_andnot_pd(_mm256_set1_pd(-0.0), x); }
/* to the nearest integer, ties to even */
QV_INLINE qv qv_round(qv x)
{
    return _mm256_round_pd(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}

/* ---- comparisons and masks ------------------------------------------------- */
#define QV_CMP(name, pred)                                                                 \
    QV_INLINE qm qv_##name(qv x, qv y) { return _mm256_cmp_pd(x, y, pred); }
QV_CMP(gt, _CMP_GT_OQ)
QV_CMP(ge, _CMP_GE_OQ)
QV_CMP(lt, _CMP_LT_OQ)
QV_CMP(le, _CMP_LE_OQ)
QV_CMP(neq, _CMP_NEQ_OQ)
QV_CMP(ngt, _CMP_NGT_UQ) /* not x > y: true for NaN */
QV_CMP(nge, _CMP_NGE_UQ)
QV_CMP(nle, _CMP_NLE_UQ)
QV_CMP(unord, _CMP_UNORD_Q)
#undef QV_CMP
QV_INLINE qm qm_or(qm x, qm y) { return _mm256_or_pd(x, y); }
QV_INLINE qm qm_and(qm x, qm y) { return _mm256_and_pd(x, y); }
QV_INLINE qm qm_andnot(qm x, qm y) { return _mm256_andnot_pd(x, y); } /* ~x & y */
QV_INLINE qm qm_none(void) { return _mm256_setzero_pd(); }
QV_INLINE qm qm_all(void) { return _mm256_castsi256_pd(_mm256_set1_epi64x(-1)); }
/* bit j set for lane j */
QV_INLINE int qm_bits(qm m) { return _mm256_movemask_pd(m); }
QV_INLINE int qm_any(qm m) { return _mm256_movemask_pd(m) != 0; }
/* lanes 0 .. n-1 (0 <= n <= QV_LANES) */
QV_INLINE qm qm_first(size_t n)
{
    return _mm256_castsi256_pd(_mm256_cmpgt_epi64(_mm256_set1_epi64x((long long)n),
                                                  _mm256_setr_epi64x(0, 1, 2, 3)));
}
/* m ? a : b for masks */
QV_INLINE qm qm_sel(qm m, qm a, qm b) { return _mm256_blendv_pd(b, a, m); }
/* m ? t : f */
QV_INLINE qv qv_sel(qm m, qv t, qv f) { return _mm256_blendv_pd(f, t, m); }
/* m ? x : +0 */
QV_INLINE qv qv_maskz(qm m, qv x) { return _mm256_and_pd(m, x); }
/* x + (m ? y : +0) */
QV_INLINE qv qv_mask_add(qv x, qm m, qv y) { return _mm256_add_pd(x, _mm256_and_pd(m, y)); }
/* lanes not in [DBL_MIN, DBL_MAX]: NaN, zero, subnormal, infinite or negative */
QV_INLINE qm qv_notnormal(qv x)
{
    return qm_or(qv_nge(x, qv_set(DBL_MIN)), qv_nle(x, qv_set(DBL_MAX)));
}

/* Accumulator of non-finite lanes: v * 0 + acc is NaN exactly when v (or
 * acc) is infinite or NaN, so one FMA per stored vector and one compare at
 * the end find the lanes that met one. */
typedef qv qnf;
QV_INLINE qnf qnf_init(void) { return _mm256_setzero_pd(); }
QV_INLINE qnf qnf_add(qnf acc, qv v) { return _mm256_fmadd_pd(v, _mm256_setzero_pd(), acc); }
QV_INLINE qm qnf_lanes(qnf acc) { return _mm256_cmp_pd(acc, acc, _CMP_UNORD_Q); }

/* ---- memory ---------------------------------------------------------------- */
QV_INLINE qv qv_load(const double *p) { return _mm256_load_pd(p); } /* 32-byte aligned */
QV_INLINE qv qv_loadu(const double *p) { return _mm256_loadu_pd(p); }
QV_INLINE qv qv_bcast(const double *p) { return _mm256_broadcast_sd(p); }
QV_INLINE void qv_storeu(double *p, qv x) { _mm256_storeu_pd(p, x); }
/* p[i .. i+3], or p[0] in every lane when stride is 0 */
QV_INLINE qv qv_load_s(const double *p, size_t stride, size_t i)
{
    return stride ? _mm256_loadu_pd(p + i) : _mm256_broadcast_sd(p);
}
/* the first n lanes from p, the others 0 (nothing read past p[n-1]) */
QV_INLINE qv qv_loadu_n(const double *p, size_t n)
{
    return _mm256_maskload_pd(p, _mm256_castpd_si256(qm_first(n)));
}
/* the first n lanes to p (nothing written past p[n-1]) */
QV_INLINE void qv_storeu_n(double *p, qv x, size_t n)
{
    _mm256_maskstore_pd(p, _mm256_castpd_si256(qm_first(n)), x);
}
/* lane 0 to *p */
QV_INLINE void qv_store1(double *p, qv x) { _mm_store_sd(p, _mm256_castpd256_pd128(x)); }
/* four int32 as doubles */
QV_INLINE qv qv_load_i32(const int32_t *p)
{
    return _mm256_cvtepi32_pd(_mm_loadu_si128((const __m128i *)(const void *)p));
}
/* the first n int32 as doubles, the others 0 */
QV_INLINE qv qv_load_i32_n(const int32_t *p, size_t n)
{
    __m128i m = _mm_cmpgt_epi32(_mm_set1_epi32((int)n), _mm_setr_epi32(0, 1, 2, 3));
    return _mm256_cvtepi32_pd(_mm_maskload_epi32((const int *)p, m));
}

/* ---- integer tricks -------------------------------------------------------- */

/* p 2^k for integral k with |k| <= 2100: the exponent applied as two
 * factors 2^(k/2), so that results down to the subnormal range come out
 * rounded once. */
QV_INLINE qv qv_mul_pow2(qv p, qv k)
{
    __m128i ki = _mm256_cvtpd_epi32(k);
    __m128i k1 = _mm_srai_epi32(ki, 1), k2 = _mm_sub_epi32(ki, k1);
    __m256i bias = _mm256_set1_epi64x(1023);
    __m256i e1 = _mm256_slli_epi64(_mm256_add_epi64(_mm256_cvtepi32_epi64(k1), bias), 52);
    __m256i e2 = _mm256_slli_epi64(_mm256_add_epi64(_mm256_cvtepi32_epi64(k2), bias), 52);
    return qv_mul(qv_mul(p, _mm256_castsi256_pd(e1)), _mm256_castsi256_pd(e2));
}

/* 2^(k / 2^s) for integral k, a multiple of 2^s, with k / 2^s in [-1022,
 * 1023]: the exponent field written directly. */
QV_INLINE qv qv_pow2_shr(qvi k, int s)
{
    return _mm256_castsi256_pd(_mm256_add_epi64(_mm256_slli_epi64(k, 52 - s),
                                                _mm256_set1_epi64x((long long)1023 << 52)));
}

/* For positive normal x: x = 2^e m with m in [1, 2); returns e (a double)
 * and sets *m. */
QV_INLINE qv qv_split_exp(qv x, qv *m)
{
    __m256i xb = _mm256_castpd_si256(x);
    __m256i mb = _mm256_or_si256(_mm256_and_si256(xb, _mm256_set1_epi64x(0x000fffffffffffffLL)),
                                 _mm256_set1_epi64x(0x3ff0000000000000LL));
    *m = _mm256_castsi256_pd(mb);
    /* the biased exponent read back as 2^52 + e_b, minus 2^52 + 1023 */
    __m256i ef = _mm256_srli_epi64(xb, 52);
    return qv_sub(_mm256_castsi256_pd(_mm256_or_si256(ef, _mm256_set1_epi64x(0x4330000000000000LL))),
                  qv_set(4503599627371519.0));
}
/* The same for any finite x > 0: a subnormal x is scaled by 2^54 first. */
QV_INLINE qv qv_split_exp_sub(qv x, qv *m)
{
    qm tiny = qv_lt(x, qv_set(0x1p-1022));
    qv e = qv_split_exp(qv_sel(tiny, qv_mul(x, qv_set(0x1p54)), x), m);
    return qv_add(e, qv_sel(tiny, qv_set(-54.0), qv_zero()));
}

/* Integral-valued doubles (|k| < 2^51) to 64-bit integer lanes, through the
 * 2^52 + 2^51 shift: z = k + shift holds k in its low bits. */
#define QV_SHIFT 0x1.8p52
QV_INLINE qvi qv_shifted_int(qv z)
{
    return _mm256_sub_epi64(_mm256_castpd_si256(z), _mm256_castpd_si256(qv_set(QV_SHIFT)));
}
QV_INLINE qvi qvi_and(qvi x, long long c) { return _mm256_and_si256(x, _mm256_set1_epi64x(c)); }
QV_INLINE qvi qvi_sub(qvi x, qvi y) { return _mm256_sub_epi64(x, y); }

/* The four doubles (a, b, c, d) as a register, for qv_perm4 */
QV_INLINE qv qv_row4(double a, double b, double c, double d) { return _mm256_setr_pd(a, b, c, d); }
/* Lane j gets element idx_j (0..3) of the four-entry row: a register
 * permute, much cheaper than a gather. */
QV_INLINE qv qv_perm4(qv row, qvi idx)
{
    __m256i lo32 = _mm256_slli_epi64(idx, 1);
    __m256i sel = _mm256_or_si256(
        lo32, _mm256_slli_epi64(_mm256_add_epi64(lo32, _mm256_set1_epi64x(1)), 32));
    return _mm256_castsi256_pd(_mm256_permutevar8x32_epi32(_mm256_castpd_si256(row), sel));
}
/* the same from four doubles in memory */
QV_INLINE qv qv_pick4(const double row[4], qvi idx) { return qv_perm4(_mm256_loadu_pd(row), idx); }
/* The piece of z among four: the number of bounds b1 < b2 < b3 with z >= b */
QV_INLINE qvi qv_piece4(qv z, double b1, double b2, double b3)
{
    /* each compare is -1 where true: 0 - (c1 + c2 + c3) */
    return _mm256_sub_epi64(
        _mm256_setzero_si256(),
        _mm256_add_epi64(_mm256_add_epi64(_mm256_castpd_si256(qv_ge(z, qv_set(b1))),
                                          _mm256_castpd_si256(qv_ge(z, qv_set(b2)))),
                         _mm256_castpd_si256(qv_ge(z, qv_set(b3)))));
}

#endif /* QPM_NUM_SIMD_AVX2_H */
