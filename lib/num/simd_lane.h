/* SIMD vocabulary of one lane: the names and meaning of simd_avx2.h for a
 * single double, so that a kernel written against the vocabulary also
 * compiles to straight-line, branch-free code for one element: the vector
 * kernels' work without the unused lanes, the per-lane table permutes (one
 * load of the element's entry instead) or the masked tails.  Every
 * operation does what the vector instruction does in each lane, so the
 * results are bit for bit those of the vector kernels.
 *
 * The registers are xmm with the element in both lanes (loads duplicate
 * it): whole-register instructions then have no merge dependence on the
 * other lane, masks come from compares and selects are blends, as in the
 * vector code.  Include only in a translation unit built with -mavx2 -mfma,
 * and call its kernels only after CPU detection. */
#ifndef QPM_NUM_SIMD_LANE_H
#define QPM_NUM_SIMD_LANE_H

#include <float.h>
#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>

#define QV_LANES 1
#define QV_ISA_LANE 1
#define QV_HAVE_PICK8 1

typedef __m128d qv;
typedef __m128d qm;
typedef __m128i qvi;

#if defined(__GNUC__) || defined(__clang__)
#define QV_INLINE static inline __attribute__((always_inline))
#else
#define QV_INLINE static inline
#endif

/* ---- arithmetic ------------------------------------------------------------ */
QV_INLINE qv qv_set(double x) { return (qv){x, x}; }
QV_INLINE qv qv_zero(void) { return _mm_setzero_pd(); }
QV_INLINE qv qv_add(qv x, qv y) { return _mm_add_pd(x, y); }
QV_INLINE qv qv_sub(qv x, qv y) { return _mm_sub_pd(x, y); }
QV_INLINE qv qv_mul(qv x, qv y) { return _mm_mul_pd(x, y); }
QV_INLINE qv qv_div(qv x, qv y) { return _mm_div_pd(x, y); }
QV_INLINE qv qv_sqrt(qv x) { return _mm_sqrt_pd(x); }
QV_INLINE qv qv_min(qv x, qv y) { return _mm_min_pd(x, y); }
QV_INLINE qv qv_max(qv x, qv y) { return _mm_max_pd(x, y); }
QV_INLINE qv qv_fma(qv x, qv y, qv z) { return _mm_fmadd_pd(x, y, z); }   /* x y + z */
QV_INLINE qv qv_fms(qv x, qv y, qv z) { return _mm_fmsub_pd(x, y, z); }   /* x y - z */
QV_INLINE qv qv_fnma(qv x, qv y, qv z) { return _mm_fnmadd_pd(x, y, z); } /* z - x y */
QV_INLINE qv qv_fnms(qv x, qv y, qv z) { return _mm_fnmsub_pd(x, y, z); } /* -x y - z */
QV_INLINE qv qv_and(qv x, qv y) { return _mm_and_pd(x, y); }
QV_INLINE qv qv_or(qv x, qv y) { return _mm_or_pd(x, y); }
QV_INLINE qv qv_xor(qv x, qv y) { return _mm_xor_pd(x, y); }
QV_INLINE qv qv_neg(qv x) { return _mm_xor_pd(x, _mm_set1_pd(-0.0)); }
QV_INLINE qv qv_abs(qv x) { return _mm_andnot_pd(_mm_set1_pd(-0.0), x); }
QV_INLINE qv qv_round(qv x) { return _mm_round_pd(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }

/* ---- comparisons and masks ------------------------------------------------- */
#define QV_CMP(name, pred)                                                                 \
    QV_INLINE qm qv_##name(qv x, qv y) { return _mm_cmp_pd(x, y, pred); }
QV_CMP(gt, _CMP_GT_OQ)
QV_CMP(ge, _CMP_GE_OQ)
QV_CMP(lt, _CMP_LT_OQ)
QV_CMP(le, _CMP_LE_OQ)
QV_CMP(neq, _CMP_NEQ_OQ)
QV_CMP(ngt, _CMP_NGT_UQ)
QV_CMP(nge, _CMP_NGE_UQ)
QV_CMP(nle, _CMP_NLE_UQ)
QV_CMP(unord, _CMP_UNORD_Q)
#undef QV_CMP
QV_INLINE qm qm_or(qm x, qm y) { return _mm_or_pd(x, y); }
QV_INLINE qm qm_and(qm x, qm y) { return _mm_and_pd(x, y); }
QV_INLINE qm qm_andnot(qm x, qm y) { return _mm_andnot_pd(x, y); } /* ~x & y */
QV_INLINE qm qm_none(void) { return _mm_setzero_pd(); }
QV_INLINE qm qm_all(void) { return _mm_castsi128_pd(_mm_set1_epi64x(-1)); }
QV_INLINE int qm_bits(qm m) { return _mm_movemask_pd(m) & 1; }
QV_INLINE int qm_any(qm m) { return qm_bits(m) != 0; }
QV_INLINE qm qm_first(size_t n) { return n ? qm_all() : qm_none(); }
QV_INLINE qm qm_sel(qm m, qm a, qm b) { return _mm_blendv_pd(b, a, m); }
QV_INLINE qv qv_sel(qm m, qv t, qv f) { return _mm_blendv_pd(f, t, m); }
QV_INLINE qv qv_maskz(qm m, qv x) { return _mm_and_pd(m, x); }
QV_INLINE qv qv_mask_add(qv x, qm m, qv y) { return _mm_add_pd(x, _mm_and_pd(m, y)); }
QV_INLINE qm qv_notnormal(qv x)
{
    return qm_or(qv_nge(x, qv_set(DBL_MIN)), qv_nle(x, qv_set(DBL_MAX)));
}
typedef qv qnf;
QV_INLINE qnf qnf_init(void) { return _mm_setzero_pd(); }
QV_INLINE qnf qnf_add(qnf acc, qv v) { return _mm_fmadd_pd(v, _mm_setzero_pd(), acc); }
QV_INLINE qm qnf_lanes(qnf acc) { return _mm_cmp_pd(acc, acc, _CMP_UNORD_Q); }

/* ---- memory ---------------------------------------------------------------- */
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
QV_INLINE qv qv_load_i32(const int32_t *p) { return _mm_set1_pd((double)*p); }
QV_INLINE qv qv_load_i32_n(const int32_t *p, size_t n) { return n ? qv_load_i32(p) : qv_zero(); }

/* ---- integer tricks (as in simd_avx2.h) ------------------------------------- */
QV_INLINE qv qv_mul_pow2(qv p, qv k)
{
    __m128i ki = _mm_cvtpd_epi32(k);
    __m128i k1 = _mm_srai_epi32(ki, 1), k2 = _mm_sub_epi32(ki, k1);
    __m128i bias = _mm_set1_epi64x(1023);
    __m128i e1 = _mm_slli_epi64(_mm_add_epi64(_mm_cvtepi32_epi64(k1), bias), 52);
    __m128i e2 = _mm_slli_epi64(_mm_add_epi64(_mm_cvtepi32_epi64(k2), bias), 52);
    return qv_mul(qv_mul(p, _mm_castsi128_pd(e1)), _mm_castsi128_pd(e2));
}
QV_INLINE qv qv_pow2_shr(qvi k, int s)
{
    return _mm_castsi128_pd(_mm_add_epi64(_mm_slli_epi64(k, 52 - s),
                                          _mm_set1_epi64x((long long)1023 << 52)));
}
QV_INLINE qv qv_split_exp(qv x, qv *m)
{
    __m128i xb = _mm_castpd_si128(x);
    __m128i mb = _mm_or_si128(_mm_and_si128(xb, _mm_set1_epi64x(0x000fffffffffffffLL)),
                              _mm_set1_epi64x(0x3ff0000000000000LL));
    *m = _mm_castsi128_pd(mb);
    __m128i ef = _mm_srli_epi64(xb, 52);
    return qv_sub(_mm_castsi128_pd(_mm_or_si128(ef, _mm_set1_epi64x(0x4330000000000000LL))),
                  qv_set(4503599627371519.0));
}
QV_INLINE qv qv_split_exp_sub(qv x, qv *m)
{
    qm tiny = qv_lt(x, qv_set(0x1p-1022));
    qv e = qv_split_exp(qv_sel(tiny, qv_mul(x, qv_set(0x1p54)), x), m);
    return qv_add(e, qv_sel(tiny, qv_set(-54.0), qv_zero()));
}
#define QV_SHIFT 0x1.8p52
QV_INLINE qvi qv_shifted_int(qv z)
{
    return _mm_sub_epi64(_mm_castpd_si128(z), _mm_castpd_si128(qv_set(QV_SHIFT)));
}
QV_INLINE qvi qvi_and(qvi x, long long c) { return _mm_and_si128(x, _mm_set1_epi64x(c)); }
QV_INLINE qvi qvi_sub(qvi x, qvi y) { return _mm_sub_epi64(x, y); }
/* floor of a non-negative double below 2^63 */
QV_INLINE qvi qv_trunc_i64(qv x) { return _mm_set1_epi64x(_mm_cvttsd_si64(x)); }

/* table rows: element idx of the row, one load */
typedef struct {
    double e[4];
} qrow4;
QV_INLINE qrow4 qv_row4(double a, double b, double c, double d) { return (qrow4){{a, b, c, d}}; }
QV_INLINE qv qv_perm4(qrow4 row, qvi idx) { return qv_set(row.e[_mm_cvtsi128_si64(idx) & 3]); }
QV_INLINE qv qv_pick4(const double row[4], qvi idx) { return _mm_loaddup_pd(row + _mm_cvtsi128_si64(idx)); }
QV_INLINE qv qv_pick8(const double row[8], qvi idx) { return _mm_loaddup_pd(row + _mm_cvtsi128_si64(idx)); }
QV_INLINE qvi qv_piece4(qv z, double b1, double b2, double b3)
{
    return _mm_sub_epi64(
        _mm_setzero_si128(),
        _mm_add_epi64(_mm_add_epi64(_mm_castpd_si128(qv_ge(z, qv_set(b1))),
                                    _mm_castpd_si128(qv_ge(z, qv_set(b2)))),
                      _mm_castpd_si128(qv_ge(z, qv_set(b3)))));
}

#endif /* QPM_NUM_SIMD_LANE_H */
