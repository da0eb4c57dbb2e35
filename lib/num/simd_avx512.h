/* SIMD vocabulary for AVX-512: one register qv of QV_LANES = 8 doubles, lane
 * masks qm in mask registers, 64-bit integer lanes qvi; the names and the
 * meaning of simd_avx2.h (see there), with the AVX-512 instructions that do
 * the same work in fewer steps (scalef, getexp/getmant, fpclass, masked
 * loads and stores, permutes of eight-entry rows).
 *
 * Include only in a translation unit built for AVX-512F (-mavx512f); the
 * operations marked DQ also need AVX-512DQ (-mavx512dq) and exist only
 * then.  Call the kernels only after CPU detection. */
#ifndef QPM_NUM_SIMD_AVX512_H
#define QPM_NUM_SIMD_AVX512_H

#include <float.h>
#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>

#define QV_LANES 8
#define QV_ISA_AVX512 1

typedef __m512d qv;
typedef __mmask8 qm;
typedef __m512i qvi;

#if defined(__GNUC__) || defined(__clang__)
#define QV_INLINE static inline __attribute__((always_inline))
#else
#define QV_INLINE static inline
#endif
#define QV_F(name) _mm512_##name

#include "num/simd_x86.h"

/* ---- arithmetic ------------------------------------------------------------ */
QV_INLINE qv qv_set(double x) { return _mm512_set1_pd(x); }
QV_INLINE qv qv_abs(qv x) { return _mm512_abs_pd(x); }
QV_INLINE qv qv_round(qv x)
{
    return _mm512_roundscale_pd(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}
/* towards zero, as a (int) cast of a value within the int range */
QV_INLINE qv qv_trunc(qv x)
{
    return _mm512_roundscale_pd(x, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
}
#ifdef __AVX512DQ__
QV_INLINE qv qv_and(qv x, qv y) { return _mm512_and_pd(x, y); } /* DQ */
QV_INLINE qv qv_or(qv x, qv y) { return _mm512_or_pd(x, y); }   /* DQ */
QV_INLINE qv qv_xor(qv x, qv y) { return _mm512_xor_pd(x, y); } /* DQ */
QV_INLINE qv qv_neg(qv x) { return _mm512_xor_pd(x, _mm512_set1_pd(-0.0)); } /* DQ */
#endif
/* the sum of the eight lanes (fixed order: the compiler's tree) */
QV_INLINE double qv_reduce_add(qv x) { return _mm512_reduce_add_pd(x); }

/* ---- comparisons and masks ------------------------------------------------- */
QV_CMPS(_mm512_cmp_pd_mask)
QV_INLINE qm qm_or(qm x, qm y) { return (qm)(x | y); }
QV_INLINE qm qm_and(qm x, qm y) { return (qm)(x & y); }
QV_INLINE qm qm_andnot(qm x, qm y) { return (qm)(~x & y); } /* ~x & y */
QV_INLINE qm qm_none(void) { return 0; }
QV_INLINE qm qm_all(void) { return 0xFF; }
QV_INLINE int qm_bits(qm m) { return (int)m; }
QV_INLINE int qm_any(qm m) { return m != 0; }
/* lanes 0 .. n-1 (0 <= n <= QV_LANES) */
QV_INLINE qm qm_first(size_t n) { return (qm)((1u << n) - 1u); }
/* m ? a : b for masks */
QV_INLINE qm qm_sel(qm m, qm a, qm b) { return (qm)((m & a) | (~m & b)); }
/* m ? t : f */
QV_INLINE qv qv_sel(qm m, qv t, qv f) { return _mm512_mask_blend_pd(m, f, t); }
/* m ? x : +0 */
QV_INLINE qv qv_maskz(qm m, qv x) { return _mm512_maskz_mov_pd(m, x); }
/* x + y in the lanes of m, x elsewhere */
QV_INLINE qv qv_mask_add(qv x, qm m, qv y) { return _mm512_mask_add_pd(x, m, x, y); }
#ifdef __AVX512DQ__
/* lanes not in [DBL_MIN, DBL_MAX]: NaN, zero, subnormal, infinite or
 * negative (DQ) */
QV_INLINE qm qv_notnormal(qv x) { return _mm512_fpclass_pd_mask(x, 0xFF); }

/* Accumulator of non-finite lanes in a mask register (the kernels need
 * every vector register): each stored vector's QNaN, SNaN and +-Inf
 * lanes or-ed in (DQ). */
typedef qm qnf;
QV_INLINE qnf qnf_init(void) { return 0; }
QV_INLINE qnf qnf_add(qnf acc, qv v) { return (qm)(acc | _mm512_fpclass_pd_mask(v, 0x99)); }
QV_INLINE qm qnf_lanes(qnf acc) { return acc; }
#endif

/* ---- memory ---------------------------------------------------------------- */
QV_INLINE qv qv_load(const double *p) { return _mm512_load_pd(p); } /* 64-byte aligned */
QV_INLINE qv qv_loadu(const double *p) { return _mm512_loadu_pd(p); }
QV_INLINE qv qv_bcast(const double *p) { return _mm512_set1_pd(*p); }
QV_INLINE void qv_store(double *p, qv x) { _mm512_store_pd(p, x); } /* 64-byte aligned */
QV_INLINE void qv_storeu(double *p, qv x) { _mm512_storeu_pd(p, x); }
/* p[i .. i+7], or p[0] in every lane when stride is 0 */
QV_INLINE qv qv_load_s(const double *p, size_t stride, size_t i)
{
    return stride ? _mm512_loadu_pd(p + i) : _mm512_set1_pd(*p);
}
/* the lanes of m from p, the others 0 (nothing read outside m) */
QV_INLINE qv qv_loadu_m(qm m, const double *p) { return _mm512_maskz_loadu_pd(m, p); }
/* the lanes of m to p (nothing written outside m) */
QV_INLINE void qv_storeu_m(double *p, qm m, qv x) { _mm512_mask_storeu_pd(p, m, x); }
QV_INLINE qv qv_loadu_n(const double *p, size_t n) { return qv_loadu_m(qm_first(n), p); }
QV_INLINE void qv_storeu_n(double *p, qv x, size_t n) { qv_storeu_m(p, qm_first(n), x); }
/* lane 0 to *p */
QV_INLINE void qv_store1(double *p, qv x) { _mm_store_sd(p, _mm512_castpd512_pd128(x)); }
/* eight int32 as doubles */
QV_INLINE qv qv_load_i32(const int32_t *p)
{
    return _mm512_cvtepi32_pd(_mm256_loadu_si256((const __m256i *)(const void *)p));
}
/* the first n int32 as doubles, the others 0 */
QV_INLINE qv qv_load_i32_n(const int32_t *p, size_t n)
{
    return _mm512_cvtepi32_pd(_mm512_castsi512_si256(
        _mm512_maskz_loadu_epi32((__mmask16)((1u << n) - 1u), (const void *)p)));
}

/* ---- exponent tricks ------------------------------------------------------- */

/* p 2^k for integral k: scalef (2^k with correct underflow to subnormals
 * and 0) */
QV_INLINE qv qv_mul_pow2(qv p, qv k) { return _mm512_scalef_pd(p, k); }

/* For finite x > 0: x = 2^e m with m in [1, 2) (subnormals included);
 * returns e (a double) and sets *m. */
QV_INLINE qv qv_split_exp(qv x, qv *m)
{
    *m = _mm512_getmant_pd(x, _MM_MANT_NORM_1_2, _MM_MANT_SIGN_zero);
    return _mm512_getexp_pd(x);
}
QV_INLINE qv qv_split_exp_sub(qv x, qv *m) { return qv_split_exp(x, m); }

/* 2^(k / 2^s) for integral k, a multiple of 2^s, with k / 2^s in [-1022,
 * 1023]: the exponent field written directly. */
QV_INLINE qv qv_pow2_shr(qvi k, int s)
{
    return _mm512_castsi512_pd(_mm512_add_epi64(_mm512_slli_epi64(k, (unsigned)(52 - s)),
                                                _mm512_set1_epi64((long long)1023 << 52)));
}
/* Integral-valued doubles (|k| < 2^51) to 64-bit integer lanes, through the
 * 2^52 + 2^51 shift: z = k + shift holds k in its low bits. */
#define QV_SHIFT 0x1.8p52
QV_INLINE qvi qv_shifted_int(qv z)
{
    return _mm512_sub_epi64(_mm512_castpd_si512(z), _mm512_castpd_si512(qv_set(QV_SHIFT)));
}
QV_INLINE qvi qvi_and(qvi x, long long c) { return _mm512_and_si512(x, _mm512_set1_epi64(c)); }
QV_INLINE qvi qvi_sub(qvi x, qvi y) { return _mm512_sub_epi64(x, y); }

#ifdef __AVX512DQ__
#define QV_HAVE_PICK8 1
/* floor of a non-negative double below 2^63 as a 64-bit integer (DQ) */
QV_INLINE qvi qv_trunc_i64(qv x) { return _mm512_cvttpd_epi64(x); }
#endif
/* The four doubles (a, b, c, d) as a register row for qv_perm4 */
QV_INLINE qv qv_row4(double a, double b, double c, double d)
{
    return _mm512_setr_pd(a, b, c, d, a, b, c, d);
}
/* Lane j gets element idx_j (0..3) of a four-entry row */
QV_INLINE qv qv_perm4(qv row, qvi idx) { return _mm512_permutexvar_pd(idx, row); }
QV_INLINE qv qv_pick4(const double row[4], qvi idx)
{
    return _mm512_permutexvar_pd(idx, _mm512_broadcast_f64x4(_mm256_loadu_pd(row)));
}
/* The piece of z among four: the number of bounds b1 < b2 < b3 with z >= b */
QV_INLINE qvi qv_piece4(qv z, double b1, double b2, double b3)
{
    __m512i one = _mm512_set1_epi64(1);
    __m512i c = _mm512_add_epi64(_mm512_maskz_mov_epi64(qv_ge(z, qv_set(b1)), one),
                                 _mm512_maskz_mov_epi64(qv_ge(z, qv_set(b2)), one));
    return _mm512_add_epi64(c, _mm512_maskz_mov_epi64(qv_ge(z, qv_set(b3)), one));
}
/* Lane j gets row[idx_j] (idx_j in 0..7): one register permute. */
QV_INLINE qv qv_pick8(const double row[8], qvi idx)
{
    return _mm512_permutexvar_pd(idx, _mm512_load_pd(row));
}

/* Appends i + j for the lanes j of m to buf[c ..] and returns the new count:
 * a compress into a register and a full store (buf needs room for eight
 * entries past c), no branch. */
QV_INLINE int qm_compress_index(qm m, size_t i, size_t *buf, int c)
{
    __m512i idx = _mm512_add_epi64(_mm512_set1_epi64((long long)i),
                                   _mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7));
    _mm512_storeu_si512((void *)(buf + c), _mm512_maskz_compress_epi64(m, idx));
    return c + __builtin_popcount(m);
}

#endif /* QPM_NUM_SIMD_AVX512_H */
