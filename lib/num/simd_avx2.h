/* SIMD vocabulary for AVX2 + FMA: one register qv of QV_LANES doubles, lane
 * masks qm, 64-bit integer lanes qvi, and the operations the kernels use,
 * under the same names as simd_avx512.h (FFTW's simd-support idea: a kernel
 * is written once against these names and compiled per ISA).
 *
 * Two widths: ymm registers of four lanes, and, with QV_ONE_LANE defined
 * (num/simd_lane.h), one element in an xmm register, so that a kernel
 * written against the vocabulary also compiles to straight-line,
 * branch-free code for one element: the vector kernels' work without the
 * unused lanes, the per-lane table permutes (one load of the element's
 * entry instead) or the masked tails.  The one-lane form holds the element
 * in both lanes of the register (its loads duplicate it): whole-register
 * instructions then have no merge dependence on the other lane.
 *
 * Include only in a translation unit built with -mavx2 -mfma, and call its
 * kernels only after CPU detection.  Every operation is lane-wise and
 * IEEE-exact as its instruction is (no reassociation, no approximations),
 * so a lane computes what the scalar operations in the same order compute,
 * at either width.  Masks are vectors of all-ones or all-zero lanes
 * (AVX-512: mask registers); qm_bits gives bit j for lane j on both. */
#ifndef QPM_NUM_SIMD_AVX2_H
#define QPM_NUM_SIMD_AVX2_H

#include <float.h>
#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>

#define QV_ISA_AVX2 1
#define QV_HAVE_PICK8 1

#ifdef QV_ONE_LANE
#define QV_LANES 1
typedef __m128d qv;
typedef __m128d qm;
typedef __m128i qvi;
#define QV_F(name) _mm_##name
#define QV_SI(name) _mm_##name##_si128
#define QV_CASTPD_SI _mm_castpd_si128
#define QV_CASTSI_PD _mm_castsi128_pd
#else
#define QV_LANES 4
typedef __m256d qv;
typedef __m256d qm;
typedef __m256i qvi;
#define QV_F(name) _mm256_##name
#define QV_SI(name) _mm256_##name##_si256
#define QV_CASTPD_SI _mm256_castpd_si256
#define QV_CASTSI_PD _mm256_castsi256_pd
#endif

#if defined(__GNUC__) || defined(__clang__)
#define QV_INLINE static inline __attribute__((always_inline))
#else
#define QV_INLINE static inline
#endif

#include "num/simd_x86.h"

/* ---- arithmetic ------------------------------------------------------------ */
#ifdef QV_ONE_LANE
/* a constant both lanes hold */
QV_INLINE qv qv_set(double x) { return (qv){x, x}; }
#else
QV_INLINE qv qv_set(double x) { return _mm256_set1_pd(x); }
#endif
QV_INLINE qv qv_and(qv x, qv y) { return QV_F(and_pd)(x, y); }
QV_INLINE qv qv_or(qv x, qv y) { return QV_F(or_pd)(x, y); }
QV_INLINE qv qv_xor(qv x, qv y) { return QV_F(xor_pd)(x, y); }
QV_INLINE qv qv_neg(qv x) { return QV_F(xor_pd)(x, qv_set(-0.0)); }
QV_INLINE qv qv_abs(qv x) { return QV_F(andnot_pd)(qv_set(-0.0), x); }
/* to the nearest integer, ties to even */
QV_INLINE qv qv_round(qv x) { return QV_F(round_pd)(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
/* towards zero, as a (int) cast of a value within the int range */
QV_INLINE qv qv_trunc(qv x)
{
    return QV_F(round_pd)(x, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
}

/* ---- comparisons and masks ------------------------------------------------- */
QV_CMPS(QV_F(cmp_pd))
QV_INLINE qm qm_or(qm x, qm y) { return QV_F(or_pd)(x, y); }
QV_INLINE qm qm_and(qm x, qm y) { return QV_F(and_pd)(x, y); }
QV_INLINE qm qm_andnot(qm x, qm y) { return QV_F(andnot_pd)(x, y); } /* ~x & y */
QV_INLINE qm qm_none(void) { return QV_F(setzero_pd)(); }
QV_INLINE qm qm_all(void) { return QV_CASTSI_PD(QV_F(set1_epi64x)(-1)); }
/* bit j set for lane j */
#ifdef QV_ONE_LANE
QV_INLINE int qm_bits(qm m) { return _mm_movemask_pd(m) & 1; }
QV_INLINE qm qm_first(size_t n) { return n ? qm_all() : qm_none(); }
#else
QV_INLINE int qm_bits(qm m) { return _mm256_movemask_pd(m); }
/* lanes 0 .. n-1 (0 <= n <= QV_LANES) */
QV_INLINE qm qm_first(size_t n)
{
    return _mm256_castsi256_pd(_mm256_cmpgt_epi64(_mm256_set1_epi64x((long long)n),
                                                  _mm256_setr_epi64x(0, 1, 2, 3)));
}
#endif
QV_INLINE int qm_any(qm m) { return qm_bits(m) != 0; }
/* m ? a : b for masks */
QV_INLINE qm qm_sel(qm m, qm a, qm b) { return QV_F(blendv_pd)(b, a, m); }
/* m ? t : f */
QV_INLINE qv qv_sel(qm m, qv t, qv f) { return QV_F(blendv_pd)(f, t, m); }
/* m ? x : +0 */
QV_INLINE qv qv_maskz(qm m, qv x) { return QV_F(and_pd)(m, x); }
/* x + (m ? y : +0) */
QV_INLINE qv qv_mask_add(qv x, qm m, qv y) { return QV_F(add_pd)(x, QV_F(and_pd)(m, y)); }
/* lanes not in [DBL_MIN, DBL_MAX]: NaN, zero, subnormal, infinite or negative */
QV_INLINE qm qv_notnormal(qv x)
{
    return qm_or(qv_nge(x, qv_set(DBL_MIN)), qv_nle(x, qv_set(DBL_MAX)));
}

/* Accumulator of non-finite lanes: v * 0 + acc is NaN exactly when v (or
 * acc) is infinite or NaN, so one FMA per stored vector and one compare at
 * the end find the lanes that met one. */
typedef qv qnf;
QV_INLINE qnf qnf_init(void) { return QV_F(setzero_pd)(); }
QV_INLINE qnf qnf_add(qnf acc, qv v) { return QV_F(fmadd_pd)(v, QV_F(setzero_pd)(), acc); }
QV_INLINE qm qnf_lanes(qnf acc) { return QV_F(cmp_pd)(acc, acc, _CMP_UNORD_Q); }

/* ---- memory ---------------------------------------------------------------- */
#ifdef QV_ONE_LANE
QV_INLINE qv qv_loadu(const double *p) { return _mm_loaddup_pd(p); }
QV_INLINE qv qv_bcast(const double *p) { return _mm_loaddup_pd(p); }
QV_INLINE void qv_storeu(double *p, qv x) { _mm_store_sd(p, x); }
QV_INLINE void qv_store1(double *p, qv x) { _mm_store_sd(p, x); }
QV_INLINE qv qv_load_s(const double *p, size_t stride, size_t i)
{
    return _mm_loaddup_pd(stride ? p + i : p);
}
QV_INLINE qv qv_loadu_n(const double *p, size_t n) { return n ? _mm_loaddup_pd(p) : qv_zero(); }
QV_INLINE void qv_storeu_n(double *p, qv x, size_t n)
{
    if (n)
        _mm_store_sd(p, x);
}
QV_INLINE qv qv_load_i32(const int32_t *p) { return qv_set((double)*p); }
QV_INLINE qv qv_load_i32_n(const int32_t *p, size_t n) { return n ? qv_load_i32(p) : qv_zero(); }
#else
QV_INLINE qv qv_loadu(const double *p) { return _mm256_loadu_pd(p); }
QV_INLINE qv qv_bcast(const double *p) { return _mm256_broadcast_sd(p); }
QV_INLINE void qv_storeu(double *p, qv x) { _mm256_storeu_pd(p, x); }
/* lane 0 to *p */
QV_INLINE void qv_store1(double *p, qv x) { _mm_store_sd(p, _mm256_castpd256_pd128(x)); }
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
#endif

/* ---- integer tricks -------------------------------------------------------- */

/* p 2^k for integral k with |k| <= 2100: the exponent applied as two
 * factors 2^(k/2), so that results down to the subnormal range come out
 * rounded once. */
QV_INLINE qv qv_mul_pow2(qv p, qv k)
{
    __m128i ki = QV_F(cvtpd_epi32)(k);
    __m128i k1 = _mm_srai_epi32(ki, 1), k2 = _mm_sub_epi32(ki, k1);
    qvi bias = QV_F(set1_epi64x)(1023);
    qvi e1 = QV_F(slli_epi64)(QV_F(add_epi64)(QV_F(cvtepi32_epi64)(k1), bias), 52);
    qvi e2 = QV_F(slli_epi64)(QV_F(add_epi64)(QV_F(cvtepi32_epi64)(k2), bias), 52);
    return qv_mul(qv_mul(p, QV_CASTSI_PD(e1)), QV_CASTSI_PD(e2));
}

/* 2^(k / 2^s) for integral k, a multiple of 2^s, with k / 2^s in [-1022,
 * 1023]: the exponent field written directly. */
QV_INLINE qv qv_pow2_shr(qvi k, int s)
{
    return QV_CASTSI_PD(
        QV_F(add_epi64)(QV_F(slli_epi64)(k, 52 - s), QV_F(set1_epi64x)((long long)1023 << 52)));
}

#if defined(QV_ONE_LANE) && defined(__AVX512VL__)
/* Built for AVX-512VL (the AVX-512 kernel's one-lane code): the exponent
 * instructions, as simd_avx512.h (subnormals included), a shorter chain
 * than the bit operations below; the same values. */
QV_INLINE qv qv_split_exp(qv x, qv *m)
{
    *m = _mm_getmant_pd(x, _MM_MANT_NORM_1_2, _MM_MANT_SIGN_zero);
    return _mm_getexp_pd(x);
}
QV_INLINE qv qv_split_exp_sub(qv x, qv *m) { return qv_split_exp(x, m); }
#else
/* For positive normal x: x = 2^e m with m in [1, 2); returns e (a double)
 * and sets *m. */
QV_INLINE qv qv_split_exp(qv x, qv *m)
{
    qvi xb = QV_CASTPD_SI(x);
    qvi mb = QV_SI(or)(QV_SI(and)(xb, QV_F(set1_epi64x)(0x000fffffffffffffLL)),
                       QV_F(set1_epi64x)(0x3ff0000000000000LL));
    *m = QV_CASTSI_PD(mb);
    /* the biased exponent read back as 2^52 + e_b, minus 2^52 + 1023 */
    qvi ef = QV_F(srli_epi64)(xb, 52);
    return qv_sub(QV_CASTSI_PD(QV_SI(or)(ef, QV_F(set1_epi64x)(0x4330000000000000LL))),
                  qv_set(4503599627371519.0));
}
/* The same for any finite x > 0: a subnormal x is scaled by 2^54 first. */
QV_INLINE qv qv_split_exp_sub(qv x, qv *m)
{
    qm tiny = qv_lt(x, qv_set(0x1p-1022));
    qv e = qv_split_exp(qv_sel(tiny, qv_mul(x, qv_set(0x1p54)), x), m);
    return qv_add(e, qv_sel(tiny, qv_set(-54.0), qv_zero()));
}
#endif

/* Integral-valued doubles (|k| < 2^51) to 64-bit integer lanes, through the
 * 2^52 + 2^51 shift: z = k + shift holds k in its low bits. */
#define QV_SHIFT 0x1.8p52
QV_INLINE qvi qv_shifted_int(qv z) { return QV_F(sub_epi64)(QV_CASTPD_SI(z), QV_CASTPD_SI(qv_set(QV_SHIFT))); }
QV_INLINE qvi qvi_and(qvi x, long long c) { return QV_SI(and)(x, QV_F(set1_epi64x)(c)); }
QV_INLINE qvi qvi_sub(qvi x, qvi y) { return QV_F(sub_epi64)(x, y); }

/* The piece of z among four: the number of bounds b1 < b2 < b3 with z >= b
 * (each compare is -1 where true: 0 - (c1 + c2 + c3)) */
QV_INLINE qvi qv_piece4(qv z, double b1, double b2, double b3)
{
    return QV_F(sub_epi64)(
        QV_SI(setzero)(),
        QV_F(add_epi64)(QV_F(add_epi64)(QV_CASTPD_SI(qv_ge(z, qv_set(b1))),
                                        QV_CASTPD_SI(qv_ge(z, qv_set(b2)))),
                        QV_CASTPD_SI(qv_ge(z, qv_set(b3)))));
}

/* Table rows: lane j gets element idx_j of a four- or eight-entry row.  Four
 * lanes: register permutes (much cheaper than a gather); one lane: one load
 * of the entry. */
#ifdef QV_ONE_LANE
typedef struct {
    double e[4];
} qrow4;
QV_INLINE qrow4 qv_row4(double a, double b, double c, double d) { return (qrow4){{a, b, c, d}}; }
QV_INLINE qv qv_perm4(qrow4 row, qvi idx) { return qv_set(row.e[_mm_cvtsi128_si64(idx) & 3]); }
QV_INLINE qv qv_pick4(const double row[4], qvi idx) { return _mm_loaddup_pd(row + _mm_cvtsi128_si64(idx)); }
QV_INLINE qv qv_pick8(const double row[8], qvi idx) { return _mm_loaddup_pd(row + _mm_cvtsi128_si64(idx)); }
/* floor of a non-negative double below 2^31 */
QV_INLINE qvi qv_trunc_i64(qv x) { return _mm_set1_epi64x(_mm_cvttsd_si64(x)); }
#else
typedef qv qrow4;
/* The four doubles (a, b, c, d) as a register, for qv_perm4 */
QV_INLINE qrow4 qv_row4(double a, double b, double c, double d) { return _mm256_setr_pd(a, b, c, d); }
/* the 32-bit permute indices 2i, 2i + 1 of 64-bit element i (low 3 bits) */
QV_INLINE __m256i qv_perm_index(qvi idx)
{
    __m256i lo32 = _mm256_slli_epi64(idx, 1);
    return _mm256_or_si256(lo32, _mm256_slli_epi64(_mm256_add_epi64(lo32, _mm256_set1_epi64x(1)), 32));
}
QV_INLINE qv qv_perm4(qrow4 row, qvi idx)
{
    return _mm256_castsi256_pd(_mm256_permutevar8x32_epi32(_mm256_castpd_si256(row), qv_perm_index(idx)));
}
QV_INLINE qv qv_pick4(const double row[4], qvi idx) { return qv_perm4(_mm256_loadu_pd(row), idx); }
/* eight entries: the permute of each half (it reads idx mod 4), and the
 * half by bit 2 of idx (the sign bit after a shift, which blendv reads) */
QV_INLINE qv qv_pick8(const double row[8], qvi idx)
{
    qv lo = qv_perm4(_mm256_loadu_pd(row), idx), hi = qv_perm4(_mm256_loadu_pd(row + 4), idx);
    return _mm256_blendv_pd(lo, hi, _mm256_castsi256_pd(_mm256_slli_epi64(idx, 61)));
}
/* floor of a non-negative double below 2^31 */
QV_INLINE qvi qv_trunc_i64(qv x) { return _mm256_cvtepi32_epi64(_mm256_cvttpd_epi32(x)); }
#endif

#endif /* QPM_NUM_SIMD_AVX2_H */
