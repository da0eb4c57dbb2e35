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

#include "core/internal.h"
#include "num/mills.h"

/* Horner's rule over table rows top .. 2, each lane with the entries of
 * its piece idx (pick: qv_pick4 or qv_pick8): the polynomial in u whose
 * coefficient k sits in row 2 + k. */
#define QV_UNROLL QPM__UNROLL
/* a function kept out of line (and not warned about where unused) */
#if defined(__GNUC__) || defined(__clang__)
#define QV_OUTLINE static __attribute__((noinline, unused))
#else
#define QV_OUTLINE static
#endif
#define QV_ROWS_HORNER(pick, rows, top, idx, u, g)                                                 \
    do {                                                                                           \
        (g) = pick((rows)[top], idx);                                                              \
        QV_UNROLL for (int k_ = (top)-1; k_ >= 2; k_--)(g) = qv_fma(g, u, pick((rows)[k_], idx));  \
    } while (0)

/* As qpm__mills_piece for a four-piece table: each lane the polynomial of
 * its piece idx at u = (tab[1] - tab[0] z) rz invh. */
QV_INLINE qv qv_mills_piece4(const double (*tab)[4], int deg, qvi idx, qv z, qv rz, double invh)
{
    qv u = qv_mul(qv_mul(qv_fnma(qv_pick4(tab[0], idx), z, qv_pick4(tab[1], idx)), rz),
                  qv_set(invh));
    qv g;
    QV_ROWS_HORNER(qv_pick4, tab, 2 + deg, idx, u, g);
    return g;
}

/* R4, as qpm__mills_p4: the four pieces' coefficients sit in one register
 * per row (a four-entry row), each lane picks its piece. */
QV_INLINE qv qv_mills_p4(qv z)
{
    z = qv_min(z, qv_set(QPM__RZMAX));
    qvi idx = qv_piece4(z, QPM__RZ1, QPM__RZ2, QPM__RZ3);
    qv rz = qv_div(qv_set(1.0), qv_add(z, qv_set(4.0)));
    qv g = qv_mills_piece4(qpm__rtab, QPM__RDEG, idx, z, rz, QPM__RINVH);
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

/* Q, as qpm__mills_q (the same operations, so the same bits) */
QV_INLINE qv qv_mills_q(qv z)
{
    z = qv_min(z, qv_set(QPM__RZMAX));
    qvi idx = qv_piece4(z, QPM__QZ1, QPM__QZ2, QPM__QZ3);
    qv rz = qv_div(qv_set(1.0), qv_add(z, qv_set(4.0)));
    qv g = qv_mills_piece4(qpm__qtab, QPM__QDEG, idx, z, rz, QPM__QINVH);
    qv w = qv_mul(qv_set(4.0), rz);
    return qv_mul(qv_mul(w, w), g);
}

/* ---- the Mills-ratio difference, as qpm__mills_diff_in --------------------
 * Lane by lane the operations of the scalar function, so the same bits; its
 * loops run to the largest count any lane of `act` needs, each lane's state
 * frozen once its own loop would have ended. */

/* qpm__mills_diff_cf(z1, s, 10 + (int)(360 / z1^2)) in the lanes of act */
QV_INLINE qv qv_mills_diff_cf(qv z1, qv s, qm act)
{
    qv nt = qv_sel(act, qv_add(qv_set(10.0), qv_trunc(qv_div(qv_set(360.0), qv_mul(z1, z1)))),
                   qv_zero());
    double ntv[QV_LANES];
    qv_storeu(ntv, nt);
    int nmax = 0;
    for (int j = 0; j < QV_LANES; j++)
        nmax = ntv[j] > (double)nmax ? (int)ntv[j] : nmax;
    qv z2 = qv_add(z1, s), four_n = qv_mul(qv_set(4.0), nt);
    qv r1 = qv_sqrt(qv_add(qv_mul(z1, z1), four_n)), r2 = qv_sqrt(qv_add(qv_mul(z2, z2), four_n));
    qv t1 = qv_mul(qv_set(0.5), qv_sub(r1, z1)), t2 = qv_mul(qv_set(0.5), qv_sub(r2, z2));
    qv d =
        qv_mul(qv_mul(qv_set(0.5), s), qv_sub(qv_set(1.0), qv_div(qv_add(z1, z2), qv_add(r1, r2))));
    for (int j = nmax - 1; j >= 0; j--) {
        qm on = qv_gt(nt, qv_set((double)j)); /* j <= this lane's count - 1 */
        qv c = qv_set(j == 0 ? 1.0 : (double)j);
        qv n1 = qv_div(c, qv_add(z1, t1)), n2 = qv_div(c, qv_add(z2, t2));
        d = qv_sel(on, qv_mul(qv_div(qv_mul(n1, n2), c), qv_sub(s, d)), d);
        t1 = qv_sel(on, n1, t1);
        t2 = qv_sel(on, n2, t2);
    }
    return d;
}

/* the Taylor series of qpm__mills_diff_in about m, half-width t, in the
 * lanes of act */
QV_INLINE qv qv_mills_diff_taylor(qv m, qv t, qm act)
{
    qv rkm1 = qv_mills_p4(m);
    qv rk =
        qv_sel(qv_ge(m, qv_set(2.0)), qv_neg(qv_mills_q(m)), qv_sub(qv_mul(m, rkm1), qv_set(1.0)));
    qv tk = t, sum = qv_mul(rk, t);
    for (int k = 1; k < 80 && qm_any(act); k++) {
        qv rk1 = qv_add(qv_mul(m, rk), qv_mul(qv_set((double)k), rkm1));
        rkm1 = rk;
        rk = rk1;
        tk = qv_mul(tk, qv_div(t, qv_set((double)(k + 1))));
        if ((k + 1) % 2 == 1) {
            qv term = qv_mul(rk, tk);
            sum = qv_sel(act, qv_add(sum, term), sum);
            act = qm_andnot(qv_le(qv_abs(term), qv_mul(qv_set(1e-18), qv_abs(sum))), act);
        }
    }
    return qv_mul(qv_set(-2.0), sum);
}

/* qpm__mills_diff_in(a1, s) in the lanes of want, 0 in the others.  Out of
 * line (the kernels call it for rare lanes only): inlined at each of a
 * kernel's block copies it tripled their compile time. */
QV_OUTLINE qv qv_mills_diff(qv a1, qv s, qm want)
{
    qv t = qv_mul(qv_set(0.5), s), m = qv_add(a1, t);
    qm cf = qm_and(want, qm_or(qv_ge(a1, qv_set(8.0)),
                               qm_and(qv_ge(a1, qv_set(2.0)), qv_gt(t, qv_set(0.25)))));
    qm ty = qm_andnot(cf, want);
    qv d = qv_zero();
    if (qm_any(cf))
        d = qv_sel(cf, qv_mills_diff_cf(a1, s, cf), d);
    if (qm_any(ty))
        d = qv_sel(ty, qv_mills_diff_taylor(m, t, ty), d);
    return d;
}

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
QV_INLINE qp qp_mills_diff(qp a1, qp s, qpm want)
{
    qp d;
    d.a = qm_any(want.a) ? qv_mills_diff(a1.a, s.a, want.a) : qv_zero();
    d.b = qm_any(want.b) ? qv_mills_diff(a1.b, s.b, want.b) : qv_zero();
    return d;
}
#endif

#endif /* QPM_NUM_VMILLS_H */
