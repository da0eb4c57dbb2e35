/* SIMD vocabulary in portable C: one lane, a plain double, under the names
 * of num/simd_avx2.h (see there).  A kernel written against the vocabulary
 * compiles with it for any CPU, and with num/simd_pair.h (two lanes per
 * step) the two elements' chains of dependent operations sit side by side
 * for the out-of-order core.  Every operation is the IEEE operation of its
 * x86 counterpart, NaN rules included (qv_min and qv_max return the second
 * operand when either is NaN; comparisons named n... are true for NaN), so
 * a lane computes the bits a lane of the x86 vocabularies computes from the
 * same inputs.  fma() must be the hardware instruction for speed: build
 * with the target's FMA enabled where it is optional (FP_FAST_FMA). */
#ifndef QPM_NUM_SIMD_C_H
#define QPM_NUM_SIMD_C_H

#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define QV_ISA_C      1
#define QV_HAVE_PICK8 1
#define QV_LANES      1

typedef double qv;
typedef int qm; /* 1: the lane is set */
typedef int64_t qvi;

#if defined(__GNUC__) || defined(__clang__)
#define QV_INLINE static inline __attribute__((always_inline))
#else
#define QV_INLINE static inline
#endif

QV_INLINE uint64_t qv_bits_(double x)
{
    uint64_t b;
    memcpy(&b, &x, sizeof b);
    return b;
}
QV_INLINE double qv_from_bits_(uint64_t b)
{
    double x;
    memcpy(&x, &b, sizeof x);
    return x;
}

/* ---- arithmetic ------------------------------------------------------------ */
QV_INLINE qv qv_set(double x) { return x; }
QV_INLINE qv qv_zero(void) { return 0.0; }
QV_INLINE qv qv_add(qv x, qv y) { return x + y; }
QV_INLINE qv qv_sub(qv x, qv y) { return x - y; }
QV_INLINE qv qv_mul(qv x, qv y) { return x * y; }
QV_INLINE qv qv_div(qv x, qv y) { return x / y; }
QV_INLINE qv qv_sqrt(qv x) { return sqrt(x); }
QV_INLINE qv qv_min(qv x, qv y) { return x < y ? x : y; }
QV_INLINE qv qv_max(qv x, qv y) { return x > y ? x : y; }
/* x y + z */
QV_INLINE qv qv_fma(qv x, qv y, qv z) { return fma(x, y, z); }
/* x y - z */
QV_INLINE qv qv_fms(qv x, qv y, qv z) { return fma(x, y, -z); }
/* z - x y */
QV_INLINE qv qv_fnma(qv x, qv y, qv z) { return fma(-x, y, z); }
/* -x y - z */
QV_INLINE qv qv_fnms(qv x, qv y, qv z) { return -fma(x, y, z); }
QV_INLINE qv qv_and(qv x, qv y) { return qv_from_bits_(qv_bits_(x) & qv_bits_(y)); }
QV_INLINE qv qv_or(qv x, qv y) { return qv_from_bits_(qv_bits_(x) | qv_bits_(y)); }
QV_INLINE qv qv_xor(qv x, qv y) { return qv_from_bits_(qv_bits_(x) ^ qv_bits_(y)); }
QV_INLINE qv qv_neg(qv x) { return -x; }
QV_INLINE qv qv_abs(qv x) { return fabs(x); }
/* to the nearest integer, ties to even (the default rounding mode) */
QV_INLINE qv qv_round(qv x) { return rint(x); }
/* towards zero */
QV_INLINE qv qv_trunc(qv x) { return trunc(x); }

/* ---- comparisons and masks ------------------------------------------------- */
QV_INLINE qm qv_gt(qv x, qv y) { return x > y; }
QV_INLINE qm qv_ge(qv x, qv y) { return x >= y; }
QV_INLINE qm qv_lt(qv x, qv y) { return x < y; }
QV_INLINE qm qv_le(qv x, qv y) { return x <= y; }
/* ordered: false for NaN */
QV_INLINE qm qv_neq(qv x, qv y) { return x < y || x > y; }
/* NaN: true */
QV_INLINE qm qv_ngt(qv x, qv y) { return !(x > y); }
QV_INLINE qm qv_nge(qv x, qv y) { return !(x >= y); }
QV_INLINE qm qv_nle(qv x, qv y) { return !(x <= y); }
QV_INLINE qm qv_unord(qv x, qv y) { return x != x || y != y; }
QV_INLINE qm qm_or(qm x, qm y) { return x | y; }
QV_INLINE qm qm_and(qm x, qm y) { return x & y; }
/* ~x & y */
QV_INLINE qm qm_andnot(qm x, qm y) { return ~x & y; }
QV_INLINE qm qm_none(void) { return 0; }
QV_INLINE qm qm_all(void) { return 1; }
QV_INLINE int qm_bits(qm m) { return m & 1; }
QV_INLINE qm qm_first(size_t n) { return n != 0; }
QV_INLINE int qm_any(qm m) { return qm_bits(m) != 0; }
QV_INLINE qm qm_sel(qm m, qm a, qm b) { return (m & 1) ? a : b; }
/* selects on the bits, without a branch (a branch on an unpredictable
 * lane such as call or put costs more than the bit operations) */
QV_INLINE qv qv_sel(qm m, qv t, qv f)
{
    uint64_t k = (uint64_t)0 - (uint64_t)(m & 1);
    return qv_from_bits_((qv_bits_(t) & k) | (qv_bits_(f) & ~k));
}
/* m ? x : +0 */
QV_INLINE qv qv_maskz(qm m, qv x)
{
    return qv_from_bits_(qv_bits_(x) & ((uint64_t)0 - (uint64_t)(m & 1)));
}
/* x + (m ? y : +0) */
QV_INLINE qv qv_mask_add(qv x, qm m, qv y) { return x + qv_maskz(m, y); }
/* not in [DBL_MIN, DBL_MAX]: NaN, zero, subnormal, infinite or negative */
QV_INLINE qm qv_notnormal(qv x) { return !(x >= DBL_MIN) || !(x <= DBL_MAX); }

/* Accumulator of non-finite values: v * 0 + acc is NaN exactly when v (or
 * acc) is infinite or NaN (as fma(v, 0, acc) in the x86 vocabularies: the
 * product is exact). */
typedef qv qnf;
QV_INLINE qnf qnf_init(void) { return 0.0; }
QV_INLINE qnf qnf_add(qnf acc, qv v) { return acc + v * 0.0; }
QV_INLINE qm qnf_lanes(qnf acc) { return acc != acc; }

/* ---- memory ---------------------------------------------------------------- */
QV_INLINE qv qv_loadu(const double *p) { return *p; }
QV_INLINE qv qv_bcast(const double *p) { return *p; }
QV_INLINE void qv_storeu(double *p, qv x)
{
    *p = x;
}
QV_INLINE void qv_store1(double *p, qv x)
{
    *p = x;
}
QV_INLINE qv qv_load_s(const double *p, size_t stride, size_t i) { return stride ? p[i] : *p; }
QV_INLINE qv qv_loadu_n(const double *p, size_t n) { return n ? *p : 0.0; }
QV_INLINE void qv_storeu_n(double *p, qv x, size_t n)
{
    if (n)
        *p = x;
}
QV_INLINE qv qv_load_i32(const int32_t *p) { return (double)*p; }
QV_INLINE qv qv_load_i32_n(const int32_t *p, size_t n) { return n ? (double)*p : 0.0; }

/* ---- integer tricks (as simd_avx2.h, on the bits) -------------------------- */
#define QV_SHIFT 0x1.8p52

/* p 2^k for integral k with |k| <= 2100, as two factors 2^(k/2) */
QV_INLINE qv qv_mul_pow2(qv p, qv k)
{
    /* k as an integer through the 2^52 + 2^51 shift (no conversion, which
     * a NaN k would make undefined) */
    int64_t ki = (int64_t)(qv_bits_(k + QV_SHIFT) - qv_bits_(QV_SHIFT));
    int64_t k1 = (ki - (ki & 1)) / 2, k2 = ki - k1; /* k1 = floor(k/2) */
    double e1 = qv_from_bits_((uint64_t)(k1 + 1023) << 52);
    double e2 = qv_from_bits_((uint64_t)(k2 + 1023) << 52);
    return p * e1 * e2;
}

/* 2^(k / 2^s) for integral k, a multiple of 2^s, with k / 2^s in [-1022,
 * 1023] */
QV_INLINE qv qv_pow2_shr(qvi k, int s)
{
    return qv_from_bits_(((uint64_t)k << (52 - s)) + ((uint64_t)1023 << 52));
}

/* For positive normal x: x = 2^e m with m in [1, 2); returns e, sets *m */
QV_INLINE qv qv_split_exp(qv x, qv *m)
{
    uint64_t xb = qv_bits_(x);
    *m = qv_from_bits_((xb & 0x000fffffffffffffULL) | 0x3ff0000000000000ULL);
    return qv_from_bits_((xb >> 52) | 0x4330000000000000ULL) - 4503599627371519.0;
}
/* the same for any finite x > 0: a subnormal x is scaled by 2^54 first */
QV_INLINE qv qv_split_exp_sub(qv x, qv *m)
{
    qm tiny = qv_lt(x, 0x1p-1022);
    qv e = qv_split_exp(tiny ? x * 0x1p54 : x, m);
    return e + (tiny ? -54.0 : 0.0);
}

QV_INLINE qvi qv_shifted_int(qv z) { return (qvi)(qv_bits_(z) - qv_bits_(QV_SHIFT)); }
QV_INLINE qvi qvi_and(qvi x, long long c) { return x & (qvi)c; }
QV_INLINE qvi qvi_sub(qvi x, qvi y) { return (qvi)((uint64_t)x - (uint64_t)y); }

/* the number of bounds b1 < b2 < b3 with z >= b */
QV_INLINE qvi qv_piece4(qv z, double b1, double b2, double b3)
{
    return (qvi)(z >= b1) + (qvi)(z >= b2) + (qvi)(z >= b3);
}

/* table rows: entry idx */
typedef struct {
    double e[4];
} qrow4;
QV_INLINE qrow4 qv_row4(double a, double b, double c, double d) { return (qrow4){{a, b, c, d}}; }
QV_INLINE qv qv_perm4(qrow4 row, qvi idx) { return row.e[idx & 3]; }
/* idx mod 4 and mod 8, as the x86 permutes read it */
QV_INLINE qv qv_pick4(const double row[4], qvi idx) { return row[idx & 3]; }
QV_INLINE qv qv_pick8(const double row[8], qvi idx) { return row[idx & 7]; }
/* floor of a non-negative double below 2^31 */
QV_INLINE qvi qv_trunc_i64(qv x) { return (qvi)x; }

#endif /* QPM_NUM_SIMD_C_H */
