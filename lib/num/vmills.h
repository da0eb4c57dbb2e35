/* Vector members of the Mills-ratio family (see mills.h for the family,
 * tables and error bounds), written against the SIMD vocabulary: include
 * num/simd_avx2.h or num/simd_avx512.h first (and num/simd_pair.h for the
 * qp_ forms).  Each lane picks its piece's coefficients with a register
 * permute of a table row, so there is no gather and no branch per lane. */
#ifndef QPM_NUM_VMILLS_H
#define QPM_NUM_VMILLS_H

#if !defined(QV_LANES)
#error "include num/simd_avx2.h or num/simd_avx512.h first"
#endif

#include "num/mills.h"

/* Horner's rule over table rows top .. 2, each lane with the entries of
 * its piece idx (pick: qv_pick4 or qv_pick8): the polynomial in u whose
 * coefficient k sits in row 2 + k. */
#if defined(__GNUC__) && !defined(__clang__)
#define QV_UNROLL _Pragma("GCC unroll 16")
#elif defined(__clang__)
#define QV_UNROLL _Pragma("unroll")
#else
#define QV_UNROLL
#endif
#define QV_ROWS_HORNER(pick, rows, top, idx, u, g)                                                 \
    do {                                                                                           \
        (g) = pick((rows)[top], idx);                                                              \
        QV_UNROLL for (int k_ = (top)-1; k_ >= 2; k_--)(g) = qv_fma(g, u, pick((rows)[k_], idx));  \
    } while (0)

/* R4, as qpm__mills_p4: the four pieces' coefficients sit in one register
 * per row (a four-entry row), each lane picks its piece. */
QV_INLINE qv qv_mills_p4(qv z)
{
    z = qv_min(z, qv_set(QPM__RZMAX));
    qvi idx = qv_piece4(z, QPM__RZ1, QPM__RZ2, QPM__RZ3);
    qv rz = qv_div(qv_set(1.0), qv_add(z, qv_set(4.0)));
    qv u = qv_mul(qv_mul(qv_fnma(qv_pick4(qpm__rtab[0], idx), z, qv_pick4(qpm__rtab[1], idx)), rz),
                  qv_set(QPM__RINVH));
    qv g;
    QV_ROWS_HORNER(qv_pick4, qpm__rtab, 2 + QPM__RDEG, idx, u, g);
    return qv_mul(qv_mul(qv_set(4.0), rz), g);
}

#ifdef QV_HAVE_PICK8
/* R8: eight pieces (one per lane of an AVX-512 register); the piece is floor((1 -
 * w) 8.8) with w = 4 rz (8 at z = 40, taken as 7). */
QV_INLINE qv qv_mills_p8(qv z)
{
    z = qv_min(z, qv_set(QPM__RZMAX));
    qv rz = qv_div(qv_set(1.0), qv_add(z, qv_set(4.0)));
    qv pf = qv_fnma(rz, qv_set(35.2), qv_set(8.8));
    qvi idx = qv_trunc_i64(qv_min(pf, qv_set(7.0)));
    qv u = qv_mul(qv_fnma(qv_pick8(qpm__rtab8[0], idx), z, qv_pick8(qpm__rtab8[1], idx)), rz);
    qv g;
    QV_ROWS_HORNER(qv_pick8, qpm__rtab8, 12, idx, u, g);
    return qv_mul(rz, g);
}
#endif

/* The absolute member, as qpm__mills_abs (the same operations, so the same
 * bits) */
QV_INLINE qv qv_mills_abs(qv z)
{
    z = qv_min(z, qv_set(QPM__RABS_ZMAX));
    qv p = qv_set(qpm__rabs[7][0]), q = qv_set(qpm__rabs[7][1]);
    QV_UNROLL for (int k = 6; k >= 0; k--)
    {
        p = qv_fma(p, z, qv_set(qpm__rabs[k][0]));
        q = qv_fma(q, z, qv_set(qpm__rabs[k][1]));
    }
    return qv_div(p, q);
}

/* The rational member, as qpm__mills_rat but for the last division
 * (r (p/q) here, (r p)/q there: the two round differently in the last
 * ulp). */
QV_INLINE qv qv_mills_rat(qv z)
{
    qvi i = qv_piece4(z, 1.0, 3.0, 8.0);
    qm m3 = qv_ge(z, qv_set(8.0));
    qv c[13];
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC unroll 13
#endif
    for (int k = 0; k < 13; k++)
        c[k] = qv_pick4(qpm__rat_tab[k], i);
    qv r = qv_set(1.0), v = z;
    if (qm_any(m3)) {
        qv rz = qv_div(qv_set(1.0), z);
        r = qv_sel(m3, rz, r);
        v = qv_sel(m3, qv_mul(rz, rz), v);
    }
    qv v2 = qv_mul(v, v), v4 = qv_mul(v2, v2);
    qv p = qv_add(qv_add(qv_fma(c[1], v, c[0]), qv_mul(qv_fma(c[3], v, c[2]), v2)),
                  qv_mul(qv_fma(c[6], v2, qv_fma(c[5], v, c[4])), v4));
    qv q = qv_add(qv_add(qv_fma(c[7], v, qv_set(1.0)), qv_mul(qv_fma(c[9], v, c[8]), v2)),
                  qv_mul(qv_fma(c[12], v2, qv_fma(c[11], v, c[10])), v4));
    return qv_mul(r, qv_div(p, q));
}

#ifdef QPM_NUM_SIMD_PAIR_H
QP_LIFT1(mills_p4)
#ifdef QV_HAVE_PICK8
QP_LIFT1(mills_p8)
#endif
QP_LIFT1(mills_rat)
QP_LIFT1(mills_abs)
#endif

#endif /* QPM_NUM_VMILLS_H */
