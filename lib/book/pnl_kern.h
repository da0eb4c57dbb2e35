/* Body of the book's vector P&L kernels (pnl_avx2.c, pnl_avx512.c): each
 * option of a run revalued in every scenario of a chunk, the scenarios
 * across the lanes.  Written once against the SIMD vocabulary (include
 * num/simd_avx2.h or num/simd_avx512.h, num/vexp_log.h and num/vmills.h
 * first) and PNL_TABLE, the name of its row of kernels.  Every operation
 * is lane-wise and both builds use the same members (the table-free exp,
 * the log, the absolute member of the Mills-ratio family), so the AVX2 and
 * AVX-512 kernels give the same bits.
 *
 * An option on forward F = F0 (1 + x), strike K, discount D, vol sigma
 * scaled by f = 1 + v, T years to expiry at the scenario's time (Black-76):
 *   X = ln(F0/K) + ln(1 + x)    (the log of the move shared by the options
 *                                of its underlying: one per scenario)
 *   s = sigma sqrt(T) f,  d1 = X/s + s/2,  d2 = d1 - s
 *   N(-|d|) = n(d) R(|d|) (the absolute member, num/mills.h: within
 *   2.5e-16 of N(-|d|) in absolute terms), n(d2) = n(d1) F/K
 *   B = phi D (F N(phi d1) - K N(phi d2))
 * accurate to a few ulp of D (F + K) in absolute terms, the scale of a
 * P&L term; every option's terms are formed in the same order whatever the
 * run, chunk or thread.  1/s is capped at 1e300, so a zero vol or time
 * gives the intrinsic value D max(phi (F - K), 0) (half of it at F = K
 * exactly, where it is zero to that accuracy) without a special case.
 * Not a public header; it defines functions in the file that includes it. */
#include "book/book_internal.h"

/* L[k] = ln fx[k] and (fv != NULL) rv[k] = 1/fv[k], k < nk (a multiple of
 * the lane count) */
static void pnl_cols(size_t nk, const double *fx, const double *fv, double *L, double *rv)
{
    for (size_t k = 0; k < nk; k += QV_LANES) {
        qv_storeu(L + k, qv_log(qv_loadu(fx + k)));
        if (fv != NULL)
            qv_storeu(rv + k, qv_div(qv_set(1.0), qv_loadu(fv + k)));
    }
}

/* The surface constants of an option (qpm__surface_w_form), one qv each */
typedef struct pnl_smc {
    qv q[12];
} pnl_smc;

/* s = sqrt(w(k)) at k = -X from the constants m (0 where w <= 0, as the
 * book's surface vol), and rs = 1/s: the total variance in the order of
 * qpm__surface_total_variance, so its bits at this k.  one: beta = 0 (an
 * expiry on a slice or outside them), w = w_a gamma, the same bits. */
static inline __attribute__((always_inline)) qv pnl_sm_s(qv X, const pnl_smc *m, int one, qv *rs)
{
    const qv *q = m->q;
    qv k = qv_sub(qv_set(0.0), X);
    qv xa = qv_sub(k, q[3]);
    qv wa =
        qv_add(q[0], qv_mul(q[1], qv_add(qv_mul(q[2], xa), qv_sqrt(qv_add(qv_mul(xa, xa), q[4])))));
    qv w;
    if (one) {
        w = qv_mul(wa, q[11]);
    } else {
        qv xb = qv_sub(k, q[8]);
        qv wb = qv_add(
            q[5], qv_mul(q[6], qv_add(qv_mul(q[7], xb), qv_sqrt(qv_add(qv_mul(xb, xb), q[9])))));
        w = qv_mul(qv_add(wa, qv_mul(q[10], qv_sub(wb, wa))), q[11]);
    }
    qv s = qv_sqrt(qv_max(w, qv_set(0.0)));
    *rs = qv_div(qv_set(1.0), s);
    return s;
}

/* B, an option's value, lane by lane: X = c + L, F = F0 fx, and (vol) the
 * vol factor fv with rv = 1/fv.  The one formula both layouts (scenarios
 * across the lanes, or options across the lanes) evaluate, so an option in
 * a scenario gets the same bits either way.  side: 0 every lane a call, 1
 * every lane a put (phi d >= 0 tested as d >= 0 or d <= 0: the same
 * verdicts), -1 each lane's own (the sign of Dphi).  sm: 0 no lane on a
 * sticky-moneyness surface, 1 or 2 every lane (s and rs from the constants
 * m, of one slice or two), -1 the lanes of smm. */
static inline __attribute__((always_inline)) qv pnl_value(qv c, qv s, qv rs, qv F0, qv K, qv rK,
                                                          qv Dphi, qv L, qv fx, qv fv, qv rv,
                                                          int vol, int side, int sm,
                                                          const pnl_smc *m, qm smm)
{
    const qv cap = qv_set(1e300), half = qv_set(0.5), one = qv_set(1.0), zero = qv_set(0.0);
    const qv phi = qv_sel(qv_lt(Dphi, zero), qv_set(-1.0), one);
    qv X = qv_add(c, L);
    if (sm != 0) {
        qv rss, ss = pnl_sm_s(X, m, sm == 1, &rss);
        s = sm > 0 ? ss : qv_sel(smm, ss, s);
        rs = sm > 0 ? rss : qv_sel(smm, rss, rs);
    }
    qv sv = s, rsv = qv_min(rs, cap);
    if (vol) {
        sv = qv_mul(s, fv);
        rsv = qv_min(qv_mul(rs, rv), cap);
    }
    qv d1 = qv_fma(X, rsv, qv_mul(half, sv));
    qv d2 = qv_sub(d1, sv);
    qv F = qv_mul(F0, fx);
    qv n1 = qv_mul(qv_set(QPM__RSQRT2PI), qv_exp_neg(qv_mul(qv_set(-0.5), qv_mul(d1, d1))));
    qv n2 = qv_mul(n1, qv_mul(F, rK));
    qv t1 = qv_mul(n1, qv_mills_abs(qv_abs(d1)));
    qv t2 = qv_mul(n2, qv_mills_abs(qv_abs(d2)));
    qm in1, in2; /* phi d >= 0 */
    if (side == 0) {
        in1 = qv_ge(d1, zero), in2 = qv_ge(d2, zero);
    } else if (side == 1) {
        in1 = qv_le(d1, zero), in2 = qv_le(d2, zero);
    } else {
        in1 = qv_ge(qv_mul(phi, d1), zero), in2 = qv_ge(qv_mul(phi, d2), zero);
    }
    qv N1 = qv_sel(in1, qv_sub(one, t1), t1);
    qv N2 = qv_sel(in2, qv_sub(one, t2), t2);
    return qv_mul(Dphi, qv_sub(qv_mul(F, N1), qv_mul(K, N2)));
}

/* Option j in the nk scenarios of R: base = 1 stores B to out[k]; else
 * out[k] += w ((B - B0k) + th), the option's P&L term. */
static inline __attribute__((always_inline)) void
pnl_one_side(const qpm__pnl_run *R, size_t j, int vol, int base, int side, int sm, double *out)
{
    const qpm__pnl_opts *p = R->p;
    const qv c = qv_set(p->c[j]), s = qv_set(p->s[j]), rs = qv_set(p->rs[j]);
    const qv F0 = qv_set(p->F0[j]), K = qv_set(p->K[j]), rK = qv_set(p->rK[j]);
    const qv Dphi = qv_set(p->Dphi[j]), one = qv_set(1.0);
    pnl_smc m;
    if (sm)
        for (int q = 0; q < 12; q++)
            m.q[q] = qv_set(p->sm[(size_t)q * p->nsm + j]);
    for (size_t k = 0; k < R->nk; k += QV_LANES) {
        qv fv = vol ? qv_loadu(R->fv + k) : one, rv = vol ? qv_loadu(R->rv + k) : one;
        qv B = pnl_value(c, s, rs, F0, K, rK, Dphi, qv_loadu(R->L + k), qv_loadu(R->fx + k), fv, rv,
                         vol, side, sm, &m, qm_none());
        if (base) {
            qv_storeu(out + k, B);
        } else {
            qv term = qv_add(qv_sub(B, qv_set(p->B0k[j])), qv_set(p->th[j]));
            qv_storeu(out + k, qv_add(qv_loadu(out + k), qv_mul(qv_set(p->w[j]), term)));
        }
    }
}

static inline __attribute__((always_inline)) void pnl_one(const qpm__pnl_run *R, size_t j, int vol,
                                                          int base, double *out)
{
    int sm = (int)R->p->smf[j], side = R->p->Dphi[j] < 0.0;
    if (sm == 0)
        pnl_one_side(R, j, vol, base, side, 0, out);
    else if (sm == 1)
        pnl_one_side(R, j, vol, base, side, 1, out);
    else
        pnl_one_side(R, j, vol, base, side, 2, out);
}

/* One scenario, the options across the lanes: *acc += w_j ((B_j - B0k_j) +
 * th_j) for j = 0 .. n-1 in order; the scenario's columns per underlying u
 * in L[u], fx[u] and (fv != NULL) fv[u], rv[u]; ou[j] the underlying of
 * option j.  The per-option arrays of p are read up to n rounded up to 8
 * (the book's arrays are padded). */
static void pnl_across(const qpm__pnl_opts *p, const size_t *ou, size_t n, const double *L,
                       const double *fx, const double *fv, const double *rv, double *acc)
{
    double a = *acc;
    for (size_t j = 0; j < n; j += QV_LANES) {
        double gl[QV_LANES], gx[QV_LANES], gv[QV_LANES], gr[QV_LANES], prod[QV_LANES];
        for (size_t l = 0; l < QV_LANES; l++) {
            size_t u = ou[j + l < n ? j + l : n - 1];
            gl[l] = L[u], gx[l] = fx[u];
            gv[l] = fv != NULL ? fv[u] : 1.0;
            gr[l] = fv != NULL ? rv[u] : 1.0;
        }
        qv c = qv_loadu(p->c + j), s = qv_loadu(p->s + j), rs = qv_loadu(p->rs + j);
        qv F0 = qv_loadu(p->F0 + j), K = qv_loadu(p->K + j), rK = qv_loadu(p->rK + j);
        qv Dphi = qv_loadu(p->Dphi + j), Lv = qv_loadu(gl), fxv = qv_loadu(gx);
        qv fvv = qv_loadu(gv), rvv = qv_loadu(gr);
        /* lanes on sticky-moneyness surfaces, if any: their constants */
        qm smm = qv_gt(qv_loadu(p->smf + j), qv_set(0.0));
        pnl_smc m;
        int sm = qm_any(smm);
        if (sm)
            for (int q = 0; q < 12; q++)
                m.q[q] = qv_loadu(p->sm + (size_t)q * p->nsm + j);
        qv B = sm ? pnl_value(c, s, rs, F0, K, rK, Dphi, Lv, fxv, fvv, rvv, fv != NULL, -1, -1, &m,
                              smm)
                  : pnl_value(c, s, rs, F0, K, rK, Dphi, Lv, fxv, fvv, rvv, fv != NULL, -1, 0, &m,
                              smm);
        qv term = qv_add(qv_sub(B, qv_loadu(p->B0k + j)), qv_loadu(p->th + j));
        qv_storeu(prod, qv_mul(qv_loadu(p->w + j), term));
        for (size_t l = 0; l < QV_LANES && j + l < n; l++)
            a += prod[l];
    }
    *acc = a;
}

/* acc[k] += w_j ((B_jk - B0k_j) + th_j) for the options j0 .. j1-1 in
 * order, k < R->nk */
static void pnl_opts(const qpm__pnl_run *R, size_t j0, size_t j1, double *acc)
{
    if (R->fv != NULL)
        for (size_t j = j0; j < j1; j++)
            pnl_one(R, j, 1, 0, acc);
    else
        for (size_t j = j0; j < j1; j++)
            pnl_one(R, j, 0, 0, acc);
}

/* B0k_j: option j's value with no move (lane 0 of the scenario path at fx =
 * 1, so that a zero move gives exactly B0k_j), j < n */
static void pnl_base(qpm__pnl_opts *p, size_t n)
{
    double fx[QV_LANES], L[QV_LANES], B[QV_LANES];
    for (int k = 0; k < QV_LANES; k++)
        fx[k] = 1.0, L[k] = 0.0;
    qpm__pnl_run R = {p, QV_LANES, fx, L, NULL, NULL};
    for (size_t j = 0; j < n; j++) {
        pnl_one(&R, j, 0, 1, B);
        p->B0k[j] = B[0];
    }
}

/* acc[k] += L v(S fx[k]) - v0 for an AMM position a, k < nk: the
 * operations of qpm__book_amm_value lane by lane (every case of the range
 * computed, each lane's picked), so the bits of the scalar loop. */
static void pnl_amm(const qpm__book_amm *a, double S, const double *fx, size_t nk, double *acc)
{
    const qpm__amm_range *r = &a->rg;
    const qv Sv = qv_set(S), L = qv_set(a->L), v0 = qv_set(a->v0), one = qv_set(1.0);
    const qv zero = qv_set(0.0), pa = qv_set(r->pa), pb = qv_set(r->pb);
    const qv sa = qv_set(r->sa), sb = qv_set(r->sb);
    const int open = isinf(r->pb);
    /* the amounts below and above the range (as qpm__amm_unit forms them) */
    const qv cbelow =
        qv_set(r->full || open ? 1.0 / r->sa : (r->pb - r->pa) / r->sb / (r->sa + r->sb) / r->sa);
    const qv uabove = qv_set(r->full ? 0.0 : (r->pb - r->pa) / (r->sb + r->sa));
    for (size_t k = 0; k < nk; k += QV_LANES) {
        qv P = qv_mul(Sv, qv_loadu(fx + k));
        qv sq = qv_sqrt(P), coin, usd;
        if (r->full) {
            coin = qv_div(one, sq);
            usd = sq;
        } else {
            qv cin = open ? qv_div(one, sq)
                          : qv_div(qv_div(qv_div(qv_sub(pb, P), sb), qv_add(sq, sb)), sq);
            qv uin = qv_div(qv_sub(P, pa), qv_add(sq, sa));
            qm below = qv_lt(P, pa), above = qv_ge(P, pb);
            coin = qv_sel(below, cbelow, qv_sel(above, zero, cin));
            usd = qv_sel(below, zero, qv_sel(above, uabove, uin));
        }
        qv value = qv_mul(L, qv_add(qv_mul(P, coin), usd));
        qv_storeu(acc + k, qv_add(qv_loadu(acc + k), qv_sub(value, v0)));
    }
}

/* This build's row of the P&L kernels (qpm__pnl_kernel_pick) */
const qpm__pnl_kernel PNL_TABLE = {pnl_cols, pnl_opts, pnl_base, pnl_across, pnl_amm, QV_LANES};
