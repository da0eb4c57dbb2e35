/* Vector members of the exponential and logarithm family (see exp_log.h for
 * the family, its constants and error bounds), written once against the
 * SIMD vocabulary: include num/simd_avx2.h or num/simd_avx512.h first (and
 * num/simd_pair.h for the qp_ forms of two registers).  Inline: a call
 * would force every live vector register of a kernel to the stack. */
#ifndef QPM_NUM_VEXP_LOG_H
#define QPM_NUM_VEXP_LOG_H

#if !defined(QV_LANES)
#error "include num/simd_avx2.h or num/simd_avx512.h first"
#endif

#include "num/exp_log.h"

/* ---- table-free exponential -------------------------------------------------- */

/* q(r) = (e^r - 1 - r)/r^2, highest degree first */
QV_INLINE qv qv_expq(qv r)
{
    qv p = qv_set(QPM__EXPQ_10);
    p = qv_fma(p, r, qv_set(QPM__EXPQ_9));
    p = qv_fma(p, r, qv_set(QPM__EXPQ_8));
    p = qv_fma(p, r, qv_set(QPM__EXPQ_7));
    p = qv_fma(p, r, qv_set(QPM__EXPQ_6));
    p = qv_fma(p, r, qv_set(QPM__EXPQ_5));
    p = qv_fma(p, r, qv_set(QPM__EXPQ_4));
    p = qv_fma(p, r, qv_set(QPM__EXPQ_3));
    p = qv_fma(p, r, qv_set(QPM__EXPQ_2));
    p = qv_fma(p, r, qv_set(QPM__EXPQ_1));
    p = qv_fma(p, r, qv_set(QPM__EXPQ_0));
    return p;
}

/* x - k ln2 in two parts (k integral, |k| small enough for exact products) */
QV_INLINE qv qv_exp_reduce(qv x, qv k)
{
    qv r = qv_fnma(k, qv_set(QPM__LN2_HI), x);
    return qv_fnma(k, qv_set(QPM__LN2_LO), r);
}

/* e^r from the reduced argument, times 2^k */
QV_INLINE qv qv_exp_finish(qv r, qv k)
{
    qv p = qv_expq(r);
    p = qv_fma(p, r, qv_set(1.0));
    p = qv_fma(p, r, qv_set(1.0));
    return qv_mul_pow2(p, k);
}

/* exp(x) for x in [-1100, 709.78] as it is: x = k ln2 + r, |r| <= ln2/2,
 * e^r = 1 + r (1 + r q(r)), 2^k applied so that results down to the
 * subnormal range are rounded once (below -745, 0). */
QV_INLINE qv qv_exp_in(qv x)
{
    qv k = qv_round(qv_mul(x, qv_set(QPM__LOG2E)));
    return qv_exp_finish(qv_exp_reduce(x, k), k);
}

/* exp(-y), y in [-709.78, 1100], without forming -y: the same k and the same
 * reduced argument as qv_exp_in(-y), so the same result */
QV_INLINE qv qv_expneg_in(qv y)
{
    qv k = qv_round(qv_mul(y, qv_set(-QPM__LOG2E)));
    qv r = qv_fnms(k, qv_set(QPM__LN2_HI), y);
    r = qv_fnma(k, qv_set(QPM__LN2_LO), r);
    return qv_exp_finish(r, k);
}

/* exp(x) for any x: clamped to [-1100, 709.78] first (below, the result is
 * 0; NaN gives 709.78's) */
QV_INLINE qv qv_exp(qv x)
{
    return qv_exp_in(qv_min(qv_max(x, qv_set(-1100.0)), qv_set(709.78)));
}

/* exp(x) for x <= 0, clamped from below only */
QV_INLINE qv qv_exp_neg(qv x) { return qv_exp_in(qv_max(x, qv_set(-1100.0))); }

/* expm1(x) for |x| < 1 (other lanes: garbage, not to be used): x = k ln2 + r
 * with k in {-1, 0, 1}, e^r - 1 = r (1 + r q(r)) (no cancellation), expm1 =
 * (2^k - 1) + 2^k (e^r - 1).  Within about 2 ulp. */
QV_INLINE qv qv_expm1_small(qv x)
{
    qv k = qv_round(qv_mul(x, qv_set(QPM__LOG2E)));
    k = qv_max(qv_min(k, qv_set(1.0)), qv_set(-1.0));
    qv r = qv_exp_reduce(x, k);
    qv p = qv_mul(qv_fma(qv_expq(r), r, qv_set(1.0)), r); /* e^r - 1 */
    qv two_k = qv_mul_pow2(qv_set(1.0), k);
    return qv_fma(two_k, p, qv_sub(two_k, qv_set(1.0)));
}

/* exp(x) for x in [-1100, 709.78], the bits of qv_exp_in, and in *em1 the
 * bits qv_expm1_small(x) gives for |x| < 1 (other lanes: garbage, not to be
 * used), from the one reduction: there k is -1, 0 or 1 unclamped, and e^r - 1
 * = r (1 + r q(r)) is the product whose sum with 1 exp rounds. */
QV_INLINE qv qv_exp_em1(qv x, qv *em1)
{
    qv k = qv_round(qv_mul(x, qv_set(QPM__LOG2E)));
    qv r = qv_exp_reduce(x, k);
    qv p = qv_fma(qv_expq(r), r, qv_set(1.0));
    qv two_k = qv_mul_pow2(qv_set(1.0), k);
    *em1 = qv_fma(two_k, qv_mul(p, r), qv_sub(two_k, qv_set(1.0)));
    return qv_mul_pow2(qv_fma(p, r, qv_set(1.0)), k);
}

/* x = 2^e m with m in [sqrt(1/2), sqrt(2)): returns e, sets *m (sub: x may
 * be subnormal) */
QV_INLINE qv qv_log_split(qv x, qv *m, int sub)
{
    qv e = sub ? qv_split_exp_sub(x, m) : qv_split_exp(x, m);
    qm big = qv_gt(*m, qv_set(0x1.6a09e667f3bcdp+0));
    *m = qv_sel(big, qv_mul(*m, qv_set(0.5)), *m);
    return qv_mask_add(e, big, qv_set(1.0));
}

/* ---- the atanh series of both logarithm forms ---------------------------------
 * c (1/3 + z/5 + z^2/7 + ... + z^10/23), highest degree first.  c is a
 * constant at every call (2 or 1), so each coefficient c/(2k+1) is folded
 * to the one correctly rounded double a literal would give. */
QV_INLINE qv qv_atanh_series(qv z, double c)
{
    qv p = qv_set(c / 23.0);
    p = qv_fma(p, z, qv_set(c / 21.0));
    p = qv_fma(p, z, qv_set(c / 19.0));
    p = qv_fma(p, z, qv_set(c / 17.0));
    p = qv_fma(p, z, qv_set(c / 15.0));
    p = qv_fma(p, z, qv_set(c / 13.0));
    p = qv_fma(p, z, qv_set(c / 11.0));
    p = qv_fma(p, z, qv_set(c / 9.0));
    p = qv_fma(p, z, qv_set(c / 7.0));
    p = qv_fma(p, z, qv_set(c / 5.0));
    return qv_fma(p, z, qv_set(c / 3.0));
}

/* The same series in Estrin's form (pairs, then pairs of pairs, with z^2,
 * z^4 and z^8): a dependency chain of five steps instead of ten, for three
 * products more; other last bits than qv_atanh_series. */
QV_INLINE qv qv_atanh_series_e(qv z, double c)
{
    qv z2 = qv_mul(z, z), z4 = qv_mul(z2, z2), z8 = qv_mul(z4, z4);
    qv e01 = qv_fma(qv_set(c / 5.0), z, qv_set(c / 3.0));
    qv e23 = qv_fma(qv_set(c / 9.0), z, qv_set(c / 7.0));
    qv e45 = qv_fma(qv_set(c / 13.0), z, qv_set(c / 11.0));
    qv e67 = qv_fma(qv_set(c / 17.0), z, qv_set(c / 15.0));
    qv e89 = qv_fma(qv_set(c / 21.0), z, qv_set(c / 19.0));
    qv e03 = qv_fma(e23, z2, e01), e47 = qv_fma(e67, z2, e45);
    qv e8a = qv_fma(qv_set(c / 23.0), z2, e89);
    return qv_fma(e8a, z8, qv_fma(e47, z4, e03));
}

/* ---- logarithm, s = f/(2+f) form ------------------------------------------------
 * log(x) for finite x > 0 (subnormals included): x = 2^e m, m in
 * [sqrt(1/2), sqrt(2)), f = m - 1, s = f/(2+f), log(1+f) = f - (f^2/2 -
 * s (f^2/2 + R(s^2))) with R the atanh series 2 s^2/3 + 2 s^4/5 + ... to
 * s^22 (truncation < 3e-18 relative), in Estrin's form (the head of the
 * Black kernels' longest dependency chain); e ln2 added in two parts. */
QV_INLINE qv qv_log(qv x)
{
    qv m, e = qv_log_split(x, &m, 1);
    qv f = qv_sub(m, qv_set(1.0));
    qv hfsq = qv_mul(qv_mul(qv_set(0.5), f), f);
    qv s = qv_div(f, qv_add(qv_set(2.0), f));
    qv z = qv_mul(s, s);
    qv R = qv_mul(qv_atanh_series_e(z, 2.0), z);
    qv t = qv_fma(s, qv_add(hfsq, R), qv_mul(e, qv_set(QPM__LN2_LO)));
    qv lm = qv_sub(qv_sub(hfsq, t), f); /* -(log(1+f) - e ln2_lo) */
    return qv_fms(e, qv_set(QPM__LN2_HI), lm);
}

/* ---- table-driven exponential, N = 4 ---------------------------------------------
 * exp(x) for x in [-708, 709] (other lanes clamped; the callers keep them
 * out of use): x = (4 m + j) ln2/4 + r, |r| <= ln2/8, 2^(j/4) in
 * double-double from rows 0, 64, 128, 192 of the 2^(j/256) table (register
 * constants) and exp(r) - 1 by its Taylor polynomial to r^10 (the next term
 * is below 6e-20). */
QV_INLINE qv qv_exp_tab4(qv x)
{
    const qv shift = qv_set(QV_SHIFT);
    x = qv_max(qv_min(x, qv_set(709.0)), qv_set(-708.0));
    qv z = qv_fma(x, qv_set(QPM__INV_LN2_32 / 8), shift);
    qv kd = qv_sub(z, shift);
    qv r = qv_fnma(kd, qv_set(8 * QPM__LN2_32_LO), qv_fnma(kd, qv_set(8 * QPM__LN2_32_HI), x));
    qvi k = qv_shifted_int(z);
    qvi j = qvi_and(k, 3);
    qv sc = qv_pow2_shr(qvi_sub(k, j), 2);
    qv thi = qv_perm4(qv_row4(qpm__exp2_256[0][0], qpm__exp2_256[64][0], qpm__exp2_256[128][0],
                              qpm__exp2_256[192][0]),
                      j);
    qv tlo = qv_perm4(qv_row4(qpm__exp2_256[0][1], qpm__exp2_256[64][1], qpm__exp2_256[128][1],
                              qpm__exp2_256[192][1]),
                      j);
    qv p = qv_fma(r, qv_set(1.0 / 3628800.0), qv_set(1.0 / 362880.0));
    p = qv_fma(r, p, qv_set(1.0 / 40320.0));
    p = qv_fma(r, p, qv_set(1.0 / 5040.0));
    p = qv_fma(r, p, qv_set(1.0 / 720.0));
    p = qv_fma(r, p, qv_set(1.0 / 120.0));
    p = qv_fma(r, p, qv_set(1.0 / 24.0));
    p = qv_fma(r, p, qv_set(1.0 / 6.0));
    p = qv_fma(r, p, qv_set(0.5));
    p = qv_fma(qv_mul(r, r), p, r);
    qv res = qv_add(thi, qv_fma(thi, p, tlo));
    return qv_mul(res, sc);
}

/* ---- logarithm, f = (m-1)/(m+1) form ------------------------------------------------
 * ln(x) for positive normal x: x = 2^e m, m in [sqrt(1/2), sqrt 2),
 * ln m = 2 atanh(f), f = (m - 1)/(m + 1), |f| <= 0.1716, by its series to
 * f^23 (the next term is below 1e-18 of the first); e ln2 with ln2 split. */
QV_INLINE qv qv_log_atanh(qv x)
{
    qv m, e = qv_log_split(x, &m, 0);
    qv f = qv_div(qv_sub(m, qv_set(1.0)), qv_add(m, qv_set(1.0)));
    qv f2 = qv_mul(f, f);
    qv p = qv_atanh_series(f2, 1.0);
    qv lm = qv_fma(qv_mul(f, f2), qv_mul(qv_set(2.0), p), qv_add(f, f)); /* 2f + 2 f^3 p */
    return qv_add(qv_fma(e, qv_set(QPM__LN2_HI), lm), qv_mul(e, qv_set(QPM__LN2_LO)));
}

#ifdef QPM_NUM_SIMD_PAIR_H
QP_LIFT1(exp_in)
QP_LIFT1(expneg_in)
QP_LIFT1(exp)
QP_LIFT1(exp_neg)
QP_LIFT1(expm1_small)
QP_LIFT1(log)
QP_LIFT1(exp_tab4)
QP_LIFT1(log_atanh)
QV_INLINE qp qp_exp_em1(qp x, qp *em1)
{
    qp e;
    e.a = qv_exp_em1(x.a, &em1->a);
    e.b = qv_exp_em1(x.b, &em1->b);
    return e;
}
#endif

#endif /* QPM_NUM_VEXP_LOG_H */
