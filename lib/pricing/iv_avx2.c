/* AVX2+FMA kernel of the Black-76 implied-volatility solver: eight solves in
 * lock-step in two registers, the same method and formulas as the scalar
 * solver in implied_vol.c (guess branches, objectives, Householder steps,
 * stopping rule), written against the SIMD vocabulary (num/simd_avx2.h)
 * with the vector exp, log and rational Mills ratio of lib/num.  A lane that
 * meets anything the common path does not cover (the asymptotic-series
 * region, a tiny or underflowing price, a step leaving its bracket, no
 * convergence in a few steps) is flagged and solved again by the scalar
 * solver, so the kernel only ever changes speed and the last few ulp.
 * Built with -mavx2 -mfma and called only after CPU detection. */
#include <float.h>
#include <stdint.h>

#include "num/simd_avx2.h"
#include "num/simd_pair.h"
#include "num/vexp_log.h"
#include "num/vmills.h"
#include "pricing/implied_vol.h"
#include "pricing/iv_discount.h"
#include "pricing/iv_math.h"

/* c[0] x^(n-1) + ... + c[n-1] by FMA steps */
QV_INLINE qv qv_horner(const double *c, int n, qv x)
{
    qv y = qv_set(c[0]);
    for (int k = 1; k < n; k++)
        y = qv_fma(y, x, qv_set(c[k]));
    return y;
}

/* Lower-tail inverse normal from ln p (scalar qpm__ninv_approx_ln, the same
 * coefficients evaluated with FMA); each register takes only the branches
 * its lanes need. */
QV_INLINE qv qv_ninv_ln(qv lnp)
{
    qm central = qv_gt(lnp, qv_set(-2.5902671654458267));
    qv res = qv_zero();
    qm tail = qm_andnot(central, qm_all());
    if (qm_any(tail)) {
        qv r = qv_sqrt(qv_sub(qv_zero(), qv_sel(tail, lnp, qv_set(-3.0))));
        qm hi = qv_gt(r, qv_set(5.0));
        qv n1 = qv_horner(qpm__ninv_t1num, 6, r), d1 = qv_horner(qpm__ninv_t1den, 5, r);
        qv n2 = qv_horner(qpm__ninv_t2num, 7, r), d2 = qv_horner(qpm__ninv_t2den, 6, r);
        res = qv_div(qv_sel(hi, n2, n1), qv_sel(hi, d2, d1));
    }
    if (qm_any(central)) {
        qv q = qv_sub(qv_exp_tab4(qv_sel(central, lnp, qv_set(-1.0))), qv_set(0.5));
        qv v = qv_mul(q, q);
        qv num = qv_horner(qpm__ninv_cnum, 5, v), den = qv_horner(qpm__ninv_cden, 5, v);
        res = qv_sel(central, qv_div(qv_mul(q, num), den), res);
    }
    return res;
}
QP_LIFT1(ninv_ln)

/* The solver works on eight lanes as two registers: every operation is two
 * independent register operations, which the core overlaps (the solver is
 * a long chain of dependent steps: two chains in flight nearly double the
 * throughput). */
#define QPM_SIMD_X2 1
#include "num/simd_names.h"
#define vninv_ln VN(ninv_ln)

QV_INLINE M vfinite(V x) { return vle(vabs(x), vset(DBL_MAX)); }

/* R(a - t) - R(a + t) by the Taylor series in t (scalar nb_small_t_delta). */
QV_INLINE V vsmall_t(V a, V t, V R0)
{
    static const double inv[8] = {1.0 / 6.0,   1.0 / 20.0,  1.0 / 42.0,  1.0 / 72.0,
                                  1.0 / 110.0, 1.0 / 156.0, 1.0 / 210.0, 1.0 / 272.0};
    V Im = R0, I = vfnma(a, R0, vset(1.0));
    V y = vmul(t, t), c = t, sum = vmul(I, t);
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC unroll 8
#endif
    for (int j = 0; j < 8; j++) {
        double k = (double)(2 * j + 1);
        V I1 = vfnma(a, I, vmul(vset(k), Im));
        V I2 = vfnma(a, I1, vmul(vset(k + 1.0), I));
        c = vmul(c, vmul(y, vset(inv[j])));
        sum = vfma(I2, c, sum);
        Im = I1;
        I = I2;
    }
    return vadd(sum, sum);
}

/* The scaled price (scalar nb_scaled) for lanes in mask: D, *up (lanes where
 * D is the sum form, bmax - b = n(0) E D) and *asym (lanes in the
 * asymptotic-series region, not computed here).  The series lanes need R(a),
 * the others R(|a - t|) and R(a + t): one Mills evaluation serves the first
 * of each. */
QV_INLINE V vscaled(V a, V t, M mask, M *up, M *asym)
{
    M as = mand(mask, mand(vge(vsub(a, t), vset(12.0)), vlt(vmul(vset(8.0), t), a)));
    M sm = mandnot(as, mand(mask, vlt(t, vset(0.25))));
    M sc = mandnot(mor(as, sm), mask);
    V d = vsub(a, t);
    V R1 = vmills_rat(vsel(sm, a, vabs(d)));
    V D = vset(1.0);
    M u = mnone();
    if (many(sm))
        D = vsel(sm, vsmall_t(a, t, R1), D);
    if (many(sc)) {
        V R2 = vmills_rat(vadd(a, t));
        u = mand(sc, vlt(d, vzero()));
        D = vsel(sc, vsel(u, vadd(R1, R2), vsub(R1, R2)), D);
    }
    *up = u;
    *asym = as;
    return D;
}

/* b''/b' and b'''/b' (scalar nb_ratios). */
QV_INLINE void vratios(V a, V t, V s, V *q2, V *q3)
{
    V rs = vdiv(vset(1.0), s);
    V r2 = vmul(vmul(vsub(a, t), vadd(a, t)), rs);
    V as = vmul(a, rs);
    *q2 = r2;
    *q3 = vsub(vfnma(vmul(vset(3.0), as), as, vmul(r2, r2)), vset(0.25));
}

/* Rational cubic control parameter (scalar rc_r_shape + rc_r_final). */
QV_INLINE V vrc_r(V r_fit, V dl, V dr, V delta)
{
    const V zero = vzero();
    M mono = mand(vge(vmul(dl, delta), zero), vge(vmul(dr, delta), zero));
    M convex = mand(vle(dl, delta), vle(delta, dr));
    M concave = mand(vge(dl, delta), vge(delta, dr));
    V r1 = vsel(mand(mono, vneq(delta, zero)), vdiv(vadd(dr, dl), delta), vset(-DBL_MAX));
    V da = vsub(delta, dl), db = vsub(dr, delta);
    V ada = vabs(da), adb = vabs(db);
    M both = mand(vneq(da, zero), vneq(db, zero));
    V rmax = vset(2.0 / (DBL_EPSILON * DBL_EPSILON));
    V q12 = vdiv(vmax(ada, adb), vmin(ada, adb)); /* max(|b/a|, |a/b|) */
    V r2 = vsel(mor(convex, concave), vsel(both, q12, rmax), vset(-DBL_MAX));
    V r = vmax(vmax(r1, r2), vset(-(1.0 - 1.4901161193847656e-08)));
    r = vsel(vgt(r_fit, r), r_fit, r); /* a NaN r_fit compares false */
    return vmin(r, rmax);
}

/* Delbourgo-Gregory rational cubic (scalar rc_eval). */
QV_INLINE V vrc_eval(V u, V w, V h, V yl, V yr, V dl, V dr, V r)
{
    V u2 = vmul(u, u), w2 = vmul(w, w);
    V num = vadd(vadd(vmul(vmul(yr, u2), u), vmul(vmul(vfnma(h, dr, vmul(r, yr)), u2), w)),
                 vadd(vmul(vmul(vfma(h, dl, vmul(r, yl)), u), w2), vmul(vmul(yl, w2), w)));
    return vdiv(num, vfma(vsub(r, vset(3.0)), vmul(u, w), vset(1.0)));
}

#define IV_SQRT3 1.7320508075688772
#define IV_TWO_PI 6.283185307179586
#define IV_K3 1.2091995761561452 /* 2 pi / sqrt(27) */
#define IV_VEC_MAX_ITER 6
#define IV_STEP_TOL 0x1p-15 /* as in implied_vol.c */

void qpm__black_iv_block_avx2(const double *ph, const double *pl, const double *F,
                              const double *K, const double *T, const int32_t *type, int n,
                              double *sigma, int *solved)
{
    const V zero = vzero(), one = vset(1.0), half = vset(0.5);
    const V phi0 = vset(QPM__IV_INV_SQRT_2PI);
    M ok = mfirst((size_t)n);
    /* ---- set-up (black_prep in implied_vol.c): any lane outside the plain
     * case is left to the scalar path, which also reports its status ------- */
    double tmp[6][8];
    for (int i = 0; i < 8; i++) {
        int q = i < n ? i : 0;
        tmp[0][i] = ph[q];
        tmp[1][i] = pl[q];
        tmp[2][i] = F[q];
        tmp[3][i] = K[q];
        tmp[4][i] = T[q];
        tmp[5][i] = type[q] > 0 ? 1.0 : -1.0;
    }
    V p = vloadu(tmp[0]), plo = vloadu(tmp[1]);
    V f = vloadu(tmp[2]), k = vloadu(tmp[3]), tt = vloadu(tmp[4]);
    M call = vgt(vloadu(tmp[5]), zero);
    const V big = vset(DBL_MAX);
    ok = mand(ok, mand(mand(vgt(p, zero), vle(p, big)), mand(vgt(f, zero), vle(f, big))));
    ok = mand(ok, mand(mand(vgt(k, zero), vle(k, big)), mand(vgt(tt, zero), vle(tt, big))));
    V up = vsel(call, f, k), other = vsel(call, k, f);
    /* two_sum(up, -p): dup = up - price */
    V u1 = vsub(up, p), ub = vsub(u1, up);
    V ue = vadd(vsub(up, vsub(u1, ub)), vsub(vsub(zero, p), ub));
    V dup = vadd(u1, vsub(ue, plo));
    M itm = vgt(up, other);
    V ih = vsub(up, other), ibb = vsub(ih, up);
    V il = vadd(vsub(up, vsub(ih, ibb)), vsub(vsub(zero, other), ibb));
    V s1 = vsub(p, ih), sbb = vsub(s1, p);
    V e1 = vadd(vsub(p, vsub(s1, sbb)), vsub(vsub(zero, ih), sbb));
    V tv = vsel(itm, vadd(s1, vsub(vadd(e1, plo), il)), vadd(p, plo));
    V sq = vmul(vsqrt(f), vsqrt(k));
    V rsq = vdiv(one, sq);
    V beta = vmul(tv, rsq), betabar = vmul(dup, rsq);
    ok = mand(ok, mand(vge(beta, vset(0x1p-900)), mand(vgt(betabar, zero), vle(beta, big))));
    V qr = vdiv(f, k);
    ok = mand(ok, mand(vge(qr, vset(DBL_MIN)), vle(qr, big)));
    qr = vsel(ok, qr, one);
    V lx = vadd(vlog_atanh(qr), vdiv(vfnma(qr, k, f), vmul(qr, k)));
    V ax = vsel(ok, vabs(lx), one);
    ok = mand(ok, vlt(ax, vset(1400.0)));
    ax = vsel(ok, ax, one);
    V ex = vexp_tab4(vmul(vset(-0.5), ax));
    V scale = vdiv(one, vsqrt(tt));
    /* unused lanes get a harmless problem: x = -1, beta = 0.1 */
    beta = vsel(ok, beta, vset(0.1));
    betabar = vsel(ok, betabar, vsub(ex, vset(0.1)));

    /* ---- inflection point and the node of the branch --------------------- */
    V s_c = vsqrt(vadd(ax, ax));
    M upf, as;
    /* guess-quality values (see nb_eval_guess): R(0) - R(2 t_c) at s_c, the
     * plain Mills-ratio form at the node */
    V D_c = vsub(vset(QPM__IV_SQRT_PI_2), vmills_rat(s_c));
    V v_c = vmul(phi0, ex);
    V b_c = vmul(v_c, D_c);
    M lower = vlt(beta, b_c);
    V s_n = vsel(lower, vsub(s_c, D_c), vadd(s_c, vsub(vset(QPM__IV_SQRT_2PI), D_c)));
    ok = mandnot(mand(lower, vle(s_n, zero)), ok);
    s_n = vsel(vgt(s_n, zero), s_n, s_c);
    V a_n = vdiv(ax, s_n), t_n = vmul(half, s_n);
    V A_n = vmul(half, vfma(a_n, a_n, vmul(t_n, t_n)));
    V D_n;
    {
        V dn = vsub(a_n, t_n);
        V R1 = vmills_rat(vabs(dn)), R2 = vmills_rat(vadd(a_n, t_n));
        upf = vlt(dn, zero);
        D_n = vsel(upf, vadd(R1, R2), vsub(R1, R2));
    }
    ok = mandnot(vgt(A_n, vset(700.0)), ok);
    V E_n = vexp_tab4(vsub(zero, A_n));
    V bv = vmul(vmul(phi0, E_n), D_n);
    V b_n = vsel(upf, vsub(ex, bv), bv), bb_n = vsel(upf, bv, vsub(ex, bv));
    V v_n = vmul(phi0, E_n);
    V q2n, q3n;
    vratios(a_n, t_n, s_n, &q2n, &q3n);
    ok = mandnot(mand(lower, vle(b_n, zero)), ok);

    M low = mand(lower, vlt(beta, b_n));
    M midl = mandnot(low, lower);
    M midh = mandnot(lower, vge(betabar, bb_n));
    M upp = mandnot(mor(lower, midh), mall());
    V lo = vsel(low, zero, vsel(midl, s_n, vsel(midh, s_c, s_n)));
    V hi = vsel(low, s_n, vsel(midl, s_c, vsel(midh, s_n, vset((double)INFINITY))));

    /* ---- guesses ----------------------------------------------------------- */
    V s0 = s_c;
    M mid = mor(midl, midh);
    if (many(mand(ok, mid))) {
        V xl = vsel(midl, b_n, b_c), xr = vsel(midl, b_c, b_n);
        V yl = vsel(midl, s_n, s_c), yr = vsel(midl, s_c, s_n);
        V rv_n = vdiv(one, v_n), rv_c = vdiv(one, v_c);
        V dl = vsel(midl, rv_n, rv_c), dr = vsel(midl, rv_c, rv_n);
        V h = vsub(xr, xl), rh = vdiv(one, h), delta = vmul(vsub(yr, yl), rh);
        V rfit = vdiv(vsub(dr, dl), vsel(midl, vsub(dr, delta), vsub(delta, dl)));
        V r = vrc_r(rfit, dl, dr, delta);
        V g = vrc_eval(vmul(vsub(beta, xl), rh), vmul(vsub(xr, beta), rh), h, yl, yr, dl, dr, r);
        s0 = vsel(mid, g, s0);
    }
    V lnbeta = zero, lnbetabar = zero, rlnbeta = one;
    M lu = mand(ok, mor(low, upp));
    if (many(lu)) {
        V argL = one, argU = half;
        V kx = vmul(vset(IV_K3), ax);
        /* the lower map needs R(z), the upper one R(w): one evaluation */
        V z = vmul(a_n, vset(1.0 / IV_SQRT3));
        V w = vsqrt(vadd(A_n, A_n));
        V Rzw = vmills_rat(vsel(low, z, w));
        if (many(mand(ok, low))) {
            V pz = vmul(phi0, vexp_tab4(vsub(zero, vmul(half, vmul(z, z)))));
            V Pz = vmul(pz, Rzw);
            V f_l = vmul(vmul(kx, Pz), vmul(Pz, Pz));
            V zz = vmul(z, z);
            V fp = vmul(vmul(vset(IV_TWO_PI), zz), vmul(vmul(Pz, Pz), pz));
            V fpp = vdiv(vmul(vmul(vset(-IV_TWO_PI), zz),
                              vmul(vmul(Pz, pz), vsub(vsub(vadd(Pz, Pz), vmul(vset(2.0), vmul(z, pz))),
                                                      vmul(zz, Pz)))),
                         s_n);
            V rv = vdiv(one, v_n), rb = vdiv(one, b_n);
            V df = vmul(fp, rv);
            V d2f = vmul(vfnma(fp, q2n, fpp), vmul(rv, rv));
            V delta = vmul(f_l, rb);
            V rfit = vdiv(vfma(vmul(half, b_n), d2f, vsub(df, one)), vsub(df, delta));
            V r = vrc_r(rfit, one, df, delta);
            V u = vmul(beta, rb);
            ok = mandnot(mand(low, vlt(u, vset(0x1p-40))), ok);
            V fv = vrc_eval(u, vsub(one, u), b_n, zero, f_l, one, df, r);
            argL = vdiv(fv, kx);
        }
        if (many(mand(ok, upp))) {
            V aa = vmul(a_n, a_n);
            V rsn = vdiv(one, s_n), r2w = vdiv(half, w);
            V dw2 = vsub(vmul(half, s_n), vmul(vadd(aa, aa), rsn));
            V d2w2 = vadd(half, vmul(vmul(vset(6.0), aa), vmul(rsn, rsn)));
            V wp = vmul(dw2, r2w);
            V wpp = vmul(vfnma(vset(2.0), vmul(wp, wp), d2w2), r2w);
            V f_u = vmul(v_n, Rzw);
            V fp = vmul(vsub(zero, v_n), wp);
            V fpp = vmul(vsub(zero, v_n), vfnma(w, vmul(wp, wp), wpp));
            V rv = vdiv(one, v_n), rbb = vdiv(one, bb_n);
            V df = vmul(fp, rv);
            V d2f = vmul(vfnma(fp, q2n, fpp), vmul(rv, rv));
            V dr = vset(-0.5);
            V delta = vmul(vsub(zero, f_u), rbb);
            V rfit = vdiv(vfma(vmul(half, bb_n), d2f, vsub(dr, df)), vsub(delta, df));
            V r = vrc_r(rfit, df, dr, delta);
            V om = vmul(betabar, rbb);
            argU = vrc_eval(vsub(one, om), om, bb_n, f_u, zero, df, dr, r);
        }
        V arg = vsel(low, argL, argU);
        ok = mandnot(mand(lu, mandnot(vgt(arg, zero), mall())), ok);
        arg = vsel(vgt(arg, zero), arg, half);
        /* the logs the objectives need, in the same vector pass */
        V lg = vlog_atanh(arg);
        V lnp = vsel(low, vmul(lg, vset(1.0 / 3.0)), lg);
        V zg = vsub(zero, vninv_ln(lnp));
        V s_low = vdiv(ax, vmul(vset(IV_SQRT3), zg));
        V w2 = vmul(zg, zg);
        V disc = vmax(vfnma(ax, ax, vmul(w2, w2)), zero);
        V s_up = vsqrt(vadd(vadd(w2, w2), vadd(vsqrt(disc), vsqrt(disc))));
        s0 = vsel(low, s_low, vsel(upp, s_up, s0));
        V lb = vlog_atanh(vsel(low, beta, betabar));
        lnbeta = vsel(low, lb, zero);
        rlnbeta = vdiv(one, vsel(low, lb, one));
        lnbetabar = vsel(upp, lb, zero);
    }
    ok = mand(ok, mand(vgt(s0, zero), vfinite(s0)));
    V s = vmin(vmax(s0, lo), hi);
    s = vsel(ok, s, s_c);

    /* ---- Householder steps ------------------------------------------------- */
    M done = mnone();
    for (int it = 0; it < IV_VEC_MAX_ITER; it++) {
        M act = mandnot(done, ok);
        if (!many(act))
            break;
        V a = vdiv(ax, s), t = vmul(half, s);
        V A = vmul(half, vfma(a, a, vmul(t, t)));
        V D = vscaled(a, t, act, &upf, &as);
        V q2, q3;
        vratios(a, t, s, &q2, &q3);
        V nu = zero, h2 = q2, h3 = q3;
        M actm = mand(act, mid), actl = mand(act, mor(low, upp));
        /* objectives that need the other form, or the series region: scalar */
        M bad = mor(as, mor(mand(mand(act, low), upf), mandnot(upf, mand(act, upp))));
        bad = mor(bad, mand(actm, vgt(A, vset(700.0))));
        if (many(actm)) {
            V E = vmul(phi0, vexp_tab4(vsub(zero, A)));
            V bv2 = vmul(E, D);
            V b = vsel(upf, vsub(ex, bv2), bv2);
            M higher = vgt(b, beta);
            hi = vsel(mand(actm, higher), s, hi);
            lo = vsel(mandnot(higher, actm), s, lo);
            nu = vsel(mid, vdiv(vsub(beta, b), E), nu);
        }
        if (many(actl)) {
            V L = vadd(vsub(vset(QPM__IV_LN_INV_SQRT_2PI), A), vlog_atanh(vsel(actl, D, one)));
            V u = vdiv(one, D);
            /* lower: objective 1/ln b - 1/ln beta */
            V Lu = vmul(L, D); /* L / u */
            V nuL = vmul(vmul(Lu, vsub(lnbeta, L)), rlnbeta);
            V uL = vdiv(u, L);
            V h2L = vsub(vsub(q2, u), vadd(uL, uL));
            V h3L = vadd(vfnma(vmul(vset(3.0), q2), u, vfma(vmul(vset(2.0), u), u, q3)),
                         vfma(vmul(vset(-6.0), uL), vsub(q2, u), vmul(vmul(vset(6.0), uL), uL)));
            /* upper: objective ln(bmax - beta) - ln(bmax - b) */
            V nuU = vmul(vsub(L, lnbetabar), D);
            V h2U = vadd(q2, u);
            V h3U = vfma(vmul(vset(2.0), u), u, vfma(vmul(vset(3.0), q2), u, q3));
            M hL = mand(actl, vgt(L, lnbeta)), hU = mand(actl, vlt(L, lnbetabar));
            M higher = msel(low, hL, hU);
            hi = vsel(mand(actl, higher), s, hi);
            lo = vsel(mandnot(higher, actl), s, lo);
            nu = vsel(low, nuL, vsel(upp, nuU, nu));
            h2 = vsel(low, h2L, vsel(upp, h2U, h2));
            h3 = vsel(low, h3L, vsel(upp, h3U, h3));
        }
        V num = vfma(vmul(half, h2), nu, one);
        V den = vfma(nu, vfma(vmul(h3, vset(1.0 / 6.0)), nu, h2), one);
        V ds = vmul(nu, vdiv(num, den));
        V sn = vadd(s, ds);
        M conv = mand(vle(vabs(ds), vmul(vset(IV_STEP_TOL), s)), vgt(sn, zero));
        M inb = mand(vgt(sn, lo), vlt(sn, hi));
        M fin = vfinite(ds);
        bad = mor(bad, mandnot(conv, mandnot(mand(inb, fin), act)));
        bad = mand(bad, act);
        ok = mandnot(bad, ok);
        M upd = mandnot(bad, act);
        s = vsel(upd, sn, s);
        done = mor(done, mand(upd, mand(conv, fin)));
    }
    ok = mand(ok, done);
    double out[8];
    vstoreu(out, vmul(s, scale));
    int okm = mbits(ok);
    for (int i = 0; i < n; i++) {
        solved[i] = (okm >> i) & 1;
        if (solved[i])
            sigma[i] = out[i];
    }
}

qpm_status qpm__iv_undiscount_fma(double price, double r, double T, double *ph, double *pl)
{
    return qpm__iv_undiscount_body(price, r, T, ph, pl);
}
