/* The part of the x86 SIMD vocabularies that is the same instruction at
 * every register width: included by num/simd_avx2.h (ymm, and xmm for the
 * one-lane form) and num/simd_avx512.h (zmm) after each has defined qv,
 * QV_INLINE and QV_F(name), its intrinsics' prefix (_mm256_, _mm_,
 * _mm512_).  Lane-wise and IEEE-exact as the instructions are; qv_min and
 * qv_max return the second operand when either is NaN (the x86 rule). */
#ifndef QPM_NUM_SIMD_X86_H
#define QPM_NUM_SIMD_X86_H

QV_INLINE qv qv_zero(void) { return QV_F(setzero_pd)(); }
QV_INLINE qv qv_add(qv x, qv y) { return QV_F(add_pd)(x, y); }
QV_INLINE qv qv_sub(qv x, qv y) { return QV_F(sub_pd)(x, y); }
QV_INLINE qv qv_mul(qv x, qv y) { return QV_F(mul_pd)(x, y); }
QV_INLINE qv qv_div(qv x, qv y) { return QV_F(div_pd)(x, y); }
QV_INLINE qv qv_sqrt(qv x) { return QV_F(sqrt_pd)(x); }
QV_INLINE qv qv_min(qv x, qv y) { return QV_F(min_pd)(x, y); }
QV_INLINE qv qv_max(qv x, qv y) { return QV_F(max_pd)(x, y); }
QV_INLINE qv qv_fma(qv x, qv y, qv z) { return QV_F(fmadd_pd)(x, y, z); }   /* x y + z */
QV_INLINE qv qv_fms(qv x, qv y, qv z) { return QV_F(fmsub_pd)(x, y, z); }   /* x y - z */
QV_INLINE qv qv_fnma(qv x, qv y, qv z) { return QV_F(fnmadd_pd)(x, y, z); } /* z - x y */
QV_INLINE qv qv_fnms(qv x, qv y, qv z) { return QV_F(fnmsub_pd)(x, y, z); } /* -x y - z */

/* the same for the comparisons, into the vocabulary's mask type */
#define QV_CMPS(cmp)                                                                       \
    QV_INLINE qm qv_gt(qv x, qv y) { return cmp(x, y, _CMP_GT_OQ); }                       \
    QV_INLINE qm qv_ge(qv x, qv y) { return cmp(x, y, _CMP_GE_OQ); }                       \
    QV_INLINE qm qv_lt(qv x, qv y) { return cmp(x, y, _CMP_LT_OQ); }                       \
    QV_INLINE qm qv_le(qv x, qv y) { return cmp(x, y, _CMP_LE_OQ); }                       \
    QV_INLINE qm qv_neq(qv x, qv y) { return cmp(x, y, _CMP_NEQ_OQ); }                     \
    QV_INLINE qm qv_ngt(qv x, qv y) { return cmp(x, y, _CMP_NGT_UQ); } /* NaN: true */      \
    QV_INLINE qm qv_nge(qv x, qv y) { return cmp(x, y, _CMP_NGE_UQ); }                     \
    QV_INLINE qm qv_nle(qv x, qv y) { return cmp(x, y, _CMP_NLE_UQ); }                     \
    QV_INLINE qm qv_unord(qv x, qv y) { return cmp(x, y, _CMP_UNORD_Q); }

#endif /* QPM_NUM_SIMD_X86_H */
