/* AVX2+FMA kernel of the Black-76 implied-volatility solver: four solves in
 * lock-step, the same method and formulas as the scalar solver in
 * implied_vol.c (guess branches, objectives, Householder steps, stopping
 * rule), with inline vector exp, log and Mills ratio.  A lane that meets
 * anything the common path does not cover (the asymptotic-series region,
 * a tiny or underflowing price, a step leaving its bracket, no convergence
 * in a few steps) is flagged and solved again by the scalar solver, so the
 * kernel only ever changes speed and the last few ulp.
 * Built with -mavx2 -mfma and called only after CPU detection. */
#include <float.h>
#include <immintrin.h>
#include <stdint.h>

#include "pricing/implied_vol.h"
#include "pricing/iv_math.h"
#include "pricing/iv_discount.h"

/* H: one AVX2 vector of four lanes.  V: two of them, eight lanes; every V
 * operation is two independent H operations, which the core overlaps (the
 * solver is a long chain of dependent steps: two chains in flight nearly
 * double the throughput). */
#if defined(__GNUC__) || defined(__clang__)
#define IV_INLINE static inline __attribute__((always_inline))
#else
#define IV_INLINE static inline
#endif

typedef __m256d H;
typedef struct {
    H a, b;
} V;

#define HSET1 _mm256_set1_pd
#define HADD _mm256_add_pd
#define HSUB _mm256_sub_pd
#define HMUL _mm256_mul_pd
#define HDIV _mm256_div_pd
#define HFMA _mm256_fmadd_pd   /* a b + c */
#define HFNMA _mm256_fnmadd_pd /* c - a b */
#define HSEL(m, x, y) _mm256_blendv_pd((y), (x), (m)) /* m ? x : y */
#define HAND _mm256_and_pd
#define HANDN(m, x) _mm256_andnot_pd((m), (x)) /* !m & x */
#define HGT(x, y) _mm256_cmp_pd((x), (y), _CMP_GT_OQ)
#define HGE(x, y) _mm256_cmp_pd((x), (y), _CMP_GE_OQ)
#define HLT(x, y) _mm256_cmp_pd((x), (y), _CMP_LT_OQ)

IV_INLINE int hany(H m) { return _mm256_movemask_pd(m) != 0; }

#define V2(op, x, y) ((V){op((x).a, (y).a), op((x).b, (y).b)})
IV_INLINE V SET1(double c) { return (V){HSET1(c), HSET1(c)}; }
IV_INLINE V ADD(V x, V y) { return V2(HADD, x, y); }
IV_INLINE V SUB(V x, V y) { return V2(HSUB, x, y); }
IV_INLINE V MUL(V x, V y) { return V2(HMUL, x, y); }
IV_INLINE V DIV(V x, V y) { return V2(HDIV, x, y); }
IV_INLINE V AND(V x, V y) { return V2(HAND, x, y); }
IV_INLINE V OR(V x, V y) { return V2(_mm256_or_pd, x, y); }
IV_INLINE V ANDN(V m, V x) { return V2(_mm256_andnot_pd, m, x); }
IV_INLINE V VMAX(V x, V y) { return V2(_mm256_max_pd, x, y); }
IV_INLINE V VMIN(V x, V y) { return V2(_mm256_min_pd, x, y); }
IV_INLINE V FMA(V x, V y, V z) { return (V){HFMA(x.a, y.a, z.a), HFMA(x.b, y.b, z.b)}; }
IV_INLINE V FNMA(V x, V y, V z) { return (V){HFNMA(x.a, y.a, z.a), HFNMA(x.b, y.b, z.b)}; }
IV_INLINE V SEL(V m, V x, V y) { return (V){HSEL(m.a, x.a, y.a), HSEL(m.b, x.b, y.b)}; }
IV_INLINE V VSQRT(V x) { return (V){_mm256_sqrt_pd(x.a), _mm256_sqrt_pd(x.b)}; }
#define VCMP(x, y, pred) ((V){_mm256_cmp_pd((x).a, (y).a, pred), _mm256_cmp_pd((x).b, (y).b, pred)})
#define LT(x, y) VCMP(x, y, _CMP_LT_OQ)
#define LE(x, y) VCMP(x, y, _CMP_LE_OQ)
#define GT(x, y) VCMP(x, y, _CMP_GT_OQ)
#define GE(x, y) VCMP(x, y, _CMP_GE_OQ)
#define NE(x, y) VCMP(x, y, _CMP_NEQ_OQ)
IV_INLINE V VZERO(void) { return (V){_mm256_setzero_pd(), _mm256_setzero_pd()}; }
IV_INLINE V VALL(void)
{
    H m = _mm256_castsi256_pd(_mm256_set1_epi64x(-1));
    return (V){m, m};
}
IV_INLINE int any(V m) { return (_mm256_movemask_pd(m.a) | _mm256_movemask_pd(m.b)) != 0; }
IV_INLINE int vmask(V m) { return _mm256_movemask_pd(m.a) | (_mm256_movemask_pd(m.b) << 4); }
IV_INLINE V vabs(V x) { return ANDN(SET1(-0.0), x); }
IV_INLINE V vfinite(V x) { return LE(vabs(x), SET1(DBL_MAX)); }
IV_INLINE V vload(const double *p) { return (V){_mm256_loadu_pd(p), _mm256_loadu_pd(p + 4)}; }

/* 2^(j/4), j = 0..3, as double-double (40-digit mpmath). */
static const double iv_exp4_hi[4] = {1.0, 1.189207115002721, 1.4142135623730951, 1.681792830507429};
static const double iv_exp4_lo[4] = {0.0, 3.982015231465646e-17, -9.667293313452913e-17,
                                     8.199010020581497e-17};

/* Picks, per 64-bit lane, element idx (0..3) of the four doubles tab[0..3]
 * (a register permute, much cheaper than a gather). */
IV_INLINE H hpick4(const double *tab, __m256i idx)
{
    __m256i lo32 = _mm256_slli_epi64(idx, 1);
    __m256i sel = _mm256_or_si256(lo32, _mm256_slli_epi64(_mm256_add_epi64(lo32, _mm256_set1_epi64x(1)), 32));
    return _mm256_castsi256_pd(
        _mm256_permutevar8x32_epi32(_mm256_castpd_si256(_mm256_loadu_pd(tab)), sel));
}

/* exp(x) for x in [-708, 709] (the callers keep other lanes out of use):
 * x = (4 m + j) ln2/4 + r, |r| <= ln2/8, 2^(j/4) from a register table and
 * exp(r) - 1 by its Taylor polynomial to r^10 (the next term is below
 * 6e-20).  Error about 1 ulp, like the scalar qpm__exp. */
IV_INLINE H hexp(H x)
{
    const H shift = HSET1(0x1.8p52);
    x = _mm256_max_pd(_mm256_min_pd(x, HSET1(709.0)), HSET1(-708.0));
    H z = HFMA(x, HSET1(5.7707801635558535), shift); /* 4/ln2 */
    H kd = HSUB(z, shift);
    H r = HFNMA(kd, HSET1(4.1164873957242706e-13), HFNMA(kd, HSET1(0.17328679513957468), x));
    __m256i k = _mm256_sub_epi64(_mm256_castpd_si256(z), _mm256_castpd_si256(shift));
    __m256i j = _mm256_and_si256(k, _mm256_set1_epi64x(3));
    __m256i sb = _mm256_add_epi64(_mm256_slli_epi64(_mm256_sub_epi64(k, j), 50),
                                  _mm256_set1_epi64x((long long)1023 << 52));
    H thi = hpick4(iv_exp4_hi, j), tlo = hpick4(iv_exp4_lo, j);
    H p = HFMA(r, HSET1(1.0 / 3628800.0), HSET1(1.0 / 362880.0));
    p = HFMA(r, p, HSET1(1.0 / 40320.0));
    p = HFMA(r, p, HSET1(1.0 / 5040.0));
    p = HFMA(r, p, HSET1(1.0 / 720.0));
    p = HFMA(r, p, HSET1(1.0 / 120.0));
    p = HFMA(r, p, HSET1(1.0 / 24.0));
    p = HFMA(r, p, HSET1(1.0 / 6.0));
    p = HFMA(r, p, HSET1(0.5));
    p = HFMA(HMUL(r, r), p, r);
    H res = HADD(thi, HFMA(thi, p, tlo));
    return HMUL(res, _mm256_castsi256_pd(sb));
}
IV_INLINE V vexp(V x) { return (V){hexp(x.a), hexp(x.b)}; }

/* ln(x) for positive normal x: x = 2^e m, m in [sqrt(1/2), sqrt 2),
 * ln m = 2 atanh(f), f = (m - 1)/(m + 1), |f| <= 0.1716, by its series to
 * f^23 (the next term is below 1e-18 of the first); e ln 2 with ln 2 split.
 * Error about 1 ulp (checked against mpmath on random points). */
IV_INLINE H hlog(H x)
{
    __m256i xb = _mm256_castpd_si256(x);
    __m256i ef = _mm256_srli_epi64(xb, 52); /* biased exponent, x > 0 */
    __m256i mb = _mm256_or_si256(_mm256_and_si256(xb, _mm256_set1_epi64x(0x000fffffffffffffLL)),
                                 _mm256_set1_epi64x(0x3ff0000000000000LL));
    H m = _mm256_castsi256_pd(mb);
    H big = HGT(m, HSET1(1.4142135623730951));
    m = HSEL(big, HMUL(m, HSET1(0.5)), m);
    /* exponent as a double: 2^52 + ef read back, minus 2^52 + 1023 */
    H e = HSUB(_mm256_castsi256_pd(_mm256_or_si256(ef, _mm256_set1_epi64x(0x4330000000000000LL))),
              HSET1(4503599627371519.0)); /* 2^52 + 1023 */
    e = HADD(e, HAND(big, HSET1(1.0)));
    H f = HDIV(HSUB(m, HSET1(1.0)), HADD(m, HSET1(1.0)));
    H f2 = HMUL(f, f);
    H p = HSET1(1.0 / 23.0);
    p = HFMA(p, f2, HSET1(1.0 / 21.0));
    p = HFMA(p, f2, HSET1(1.0 / 19.0));
    p = HFMA(p, f2, HSET1(1.0 / 17.0));
    p = HFMA(p, f2, HSET1(1.0 / 15.0));
    p = HFMA(p, f2, HSET1(1.0 / 13.0));
    p = HFMA(p, f2, HSET1(1.0 / 11.0));
    p = HFMA(p, f2, HSET1(1.0 / 9.0));
    p = HFMA(p, f2, HSET1(1.0 / 7.0));
    p = HFMA(p, f2, HSET1(1.0 / 5.0));
    p = HFMA(p, f2, HSET1(1.0 / 3.0));
    H lm = HFMA(HMUL(f, f2), HMUL(HSET1(2.0), p), HADD(f, f)); /* 2f + 2 f^3 p */
    return HADD(HFMA(e, HSET1(0.6931471805599453), lm), HMUL(e, HSET1(2.3190468138462996e-17)));
}
IV_INLINE V vlog(V x) { return (V){hlog(x.a), hlog(x.b)}; }

/* Mills ratio R(z), z >= 0: the scalar qpm__mills with the interval's
 * coefficients picked by register permutes. */
IV_INLINE H hmills(H z)
{
    __m256i i = _mm256_sub_epi64(_mm256_setzero_si256(),
                                 _mm256_add_epi64(_mm256_add_epi64(
                                     _mm256_castpd_si256(HGE(z, HSET1(1.0))),
                                     _mm256_castpd_si256(HGE(z, HSET1(3.0)))),
                                     _mm256_castpd_si256(HGE(z, HSET1(8.0)))));
    H m3 = HGE(z, HSET1(8.0));
    H c[13];
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC unroll 13
#endif
    for (int k = 0; k < 13; k++)
        c[k] = hpick4(qpm__mills_tabT[k], i);
    H r = HSET1(1.0), v = z;
    if (hany(m3)) {
        H rz = HDIV(HSET1(1.0), z);
        r = HSEL(m3, rz, r);
        v = HSEL(m3, HMUL(rz, rz), v);
    }
    H v2 = HMUL(v, v), v4 = HMUL(v2, v2);
    H p = HADD(HADD(HFMA(c[1], v, c[0]), HMUL(HFMA(c[3], v, c[2]), v2)),
              HMUL(HFMA(c[6], v2, HFMA(c[5], v, c[4])), v4));
    H q = HADD(HADD(HFMA(c[7], v, HSET1(1.0)), HMUL(HFMA(c[9], v, c[8]), v2)),
              HMUL(HFMA(c[12], v2, HFMA(c[11], v, c[10])), v4));
    return HMUL(r, HDIV(p, q));
}
IV_INLINE V vmills(V z) { return (V){hmills(z.a), hmills(z.b)}; }

/* R(a - t) - R(a + t) by the Taylor series in t (scalar nb_small_t_delta). */
IV_INLINE V vsmall_t(V a, V t, V R0)
{
    static const double inv[8] = {1.0 / 6.0,   1.0 / 20.0,  1.0 / 42.0,  1.0 / 72.0,
                                  1.0 / 110.0, 1.0 / 156.0, 1.0 / 210.0, 1.0 / 272.0};
    V Im = R0, I = FNMA(a, R0, SET1(1.0));
    V y = MUL(t, t), c = t, sum = MUL(I, t);
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC unroll 8
#endif
    for (int j = 0; j < 8; j++) {
        double k = (double)(2 * j + 1);
        V I1 = FNMA(a, I, MUL(SET1(k), Im));
        V I2 = FNMA(a, I1, MUL(SET1(k + 1.0), I));
        c = MUL(c, MUL(y, SET1(inv[j])));
        sum = FMA(I2, c, sum);
        Im = I1;
        I = I2;
    }
    return ADD(sum, sum);
}

/* The scaled price (scalar nb_scaled) for lanes in mask: D, *up (lanes where
 * D is the sum form, bmax - b = n(0) E D) and *asym (lanes in the
 * asymptotic-series region, not computed here).  The series lanes need R(a),
 * the others R(|a - t|) and R(a + t): one Mills evaluation serves the first
 * of each. */
IV_INLINE V vscaled(V a, V t, V mask, V *up, V *asym)
{
    V as = AND(mask, AND(GE(SUB(a, t), SET1(12.0)), LT(MUL(SET1(8.0), t), a)));
    V sm = ANDN(as, AND(mask, LT(t, SET1(0.25))));
    V sc = ANDN(OR(as, sm), mask);
    V d = SUB(a, t);
    V R1 = vmills(SEL(sm, a, vabs(d)));
    V D = SET1(1.0);
    V u = VZERO();
    if (any(sm))
        D = SEL(sm, vsmall_t(a, t, R1), D);
    if (any(sc)) {
        V R2 = vmills(ADD(a, t));
        u = AND(sc, LT(d, VZERO()));
        D = SEL(sc, SEL(u, ADD(R1, R2), SUB(R1, R2)), D);
    }
    *up = u;
    *asym = as;
    return D;
}

/* b''/b' and b'''/b' (scalar nb_ratios). */
IV_INLINE void vratios(V a, V t, V s, V *q2, V *q3)
{
    V rs = DIV(SET1(1.0), s);
    V r2 = MUL(MUL(SUB(a, t), ADD(a, t)), rs);
    V as = MUL(a, rs);
    *q2 = r2;
    *q3 = SUB(FNMA(MUL(SET1(3.0), as), as, MUL(r2, r2)), SET1(0.25));
}

/* Rational cubic control parameter (scalar rc_r_shape + rc_r_final). */
IV_INLINE V vrc_r(V r_fit, V dl, V dr, V delta)
{
    const V zero = VZERO();
    V mono = AND(GE(MUL(dl, delta), zero), GE(MUL(dr, delta), zero));
    V convex = AND(LE(dl, delta), LE(delta, dr));
    V concave = AND(GE(dl, delta), GE(delta, dr));
    V r1 = SEL(AND(mono, NE(delta, zero)), DIV(ADD(dr, dl), delta),
               SET1(-DBL_MAX));
    V da = SUB(delta, dl), db = SUB(dr, delta);
    V ada = vabs(da), adb = vabs(db);
    V both = AND(NE(da, zero), NE(db, zero));
    V rmax = SET1(2.0 / (DBL_EPSILON * DBL_EPSILON));
    V q12 = DIV(VMAX(ada, adb), VMIN(ada, adb)); /* max(|b/a|, |a/b|) */
    V r2 = SEL(OR(convex, concave), SEL(both, q12, rmax), SET1(-DBL_MAX));
    V r = VMAX(VMAX(r1, r2), SET1(-(1.0 - 1.4901161193847656e-08)));
    r = SEL(GT(r_fit, r), r_fit, r); /* a NaN r_fit compares false */
    return VMIN(r, rmax);
}

/* Delbourgo-Gregory rational cubic (scalar rc_eval). */
IV_INLINE V vrc_eval(V u, V w, V h, V yl, V yr, V dl, V dr, V r)
{
    V u2 = MUL(u, u), w2 = MUL(w, w);
    V num = ADD(ADD(MUL(MUL(yr, u2), u), MUL(MUL(FNMA(h, dr, MUL(r, yr)), u2), w)),
                ADD(MUL(MUL(FMA(h, dl, MUL(r, yl)), u), w2), MUL(MUL(yl, w2), w)));
    return DIV(num, FMA(SUB(r, SET1(3.0)), MUL(u, w), SET1(1.0)));
}

/* Lower-tail inverse normal from ln p (scalar qpm__ninv_approx_ln). */
IV_INLINE H hninv_ln(H lnp)
{
    H central = HGT(lnp, HSET1(-2.5902671654458267));
    H res = _mm256_setzero_pd();
    H tail = HANDN(central, _mm256_castsi256_pd(_mm256_set1_epi64x(-1)));
    if (hany(tail)) {
        H r = _mm256_sqrt_pd(HSUB(_mm256_setzero_pd(), HSEL(tail, lnp, HSET1(-3.0))));
        H hi = HGT(r, HSET1(5.0));
        H n1 = HFMA(HFMA(HFMA(HFMA(HFMA(HSET1(-0.24891523188206577), r, HSET1(-3.887620234154944)), r,
                               HSET1(-12.970212372174577)), r, HSET1(-4.696873521424784)), r,
                       HSET1(11.438676825746313)), r, HSET1(3.18450578620063));
        H d1 = HFMA(HFMA(HFMA(HFMA(HSET1(0.17598346343904048), r, HSET1(2.7515033130868156)), r,
                           HSET1(9.609064672152018)), r, HSET1(7.740359997627973)), r, HSET1(1.0));
        H n2 = HFMA(HFMA(HFMA(HFMA(HFMA(HFMA(HSET1(-0.003320514451116696), r, HSET1(-0.1296950168299762)),
                                   r, HSET1(-0.7663632233897391)), r, HSET1(-0.17471836024938409)),
                           r, HSET1(-0.47374741364186373)), r, HSET1(-1.4854892435987723)), r,
                   HSET1(2.0318241727400017));
        H d2 = HFMA(HFMA(HFMA(HFMA(HFMA(HSET1(0.0023479269535917613), r, HSET1(0.09171909665314412)), r,
                               HSET1(0.5489671914379908)), r, HSET1(0.3057383757655657)), r,
                       HSET1(0.9103726848322962)), r, HSET1(1.0));
        res = HDIV(HSEL(hi, n2, n1), HSEL(hi, d2, d1));
    }
    if (hany(central)) {
        H q = HSUB(hexp(HSEL(central, lnp, HSET1(-1.0))), HSET1(0.5));
        H v = HMUL(q, q);
        H num = HFMA(HFMA(HFMA(HFMA(HSET1(10.974119967848548), v, HSET1(-58.617181208725384)), v,
                            HSET1(60.500592122956014)), v, HSET1(-21.583486467042036)), v,
                    HSET1(2.506628275261149));
        H den = HFMA(HFMA(HFMA(HFMA(HSET1(15.177998042596561), v, HSET1(-40.84871287822871)), v,
                            HSET1(31.946909855116026)), v, HSET1(-9.657762727708363)), v, HSET1(1.0));
        res = HSEL(central, HDIV(HMUL(q, num), den), res);
    }
    return res;
}
IV_INLINE V vninv_ln(V lnp) { return (V){hninv_ln(lnp.a), hninv_ln(lnp.b)}; }

#define IV_SQRT3 1.7320508075688772
#define IV_TWO_PI 6.283185307179586
#define IV_K3 1.2091995761561452 /* 2 pi / sqrt(27) */
#define IV_VEC_MAX_ITER 6
#define IV_STEP_TOL 0x1p-15 /* as in implied_vol.c */

void qpm__black_iv_block_avx2(const double *ph, const double *pl, const double *F,
                              const double *K, const double *T, const int32_t *type, int n,
                              double *sigma, int *solved)
{
    const V zero = VZERO(), one = SET1(1.0), half = SET1(0.5);
    const V phi0 = SET1(QPM__IV_INV_SQRT_2PI);
    const V all = VALL();
    V ok;
    {
        long long mk[8];
        for (int i = 0; i < 8; i++)
            mk[i] = i < n ? -1 : 0;
        ok.a = _mm256_castsi256_pd(_mm256_loadu_si256((const __m256i *)(const void *)mk));
        ok.b = _mm256_castsi256_pd(_mm256_loadu_si256((const __m256i *)(const void *)(mk + 4)));
    }
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
    V p = vload(tmp[0]), plo = vload(tmp[1]);
    V f = vload(tmp[2]), k = vload(tmp[3]), tt = vload(tmp[4]);
    V call = GT(vload(tmp[5]), zero);
    const V big = SET1(DBL_MAX);
    ok = AND(ok, AND(AND(GT(p, zero), LE(p, big)), AND(GT(f, zero), LE(f, big))));
    ok = AND(ok, AND(AND(GT(k, zero), LE(k, big)), AND(GT(tt, zero), LE(tt, big))));
    V up = SEL(call, f, k), other = SEL(call, k, f);
    /* two_sum(up, -p): dup = up - price */
    V u1 = SUB(up, p), ub = SUB(u1, up);
    V ue = ADD(SUB(up, SUB(u1, ub)), SUB(SUB(zero, p), ub));
    V dup = ADD(u1, SUB(ue, plo));
    V itm = GT(up, other);
    V ih = SUB(up, other), ibb = SUB(ih, up);
    V il = ADD(SUB(up, SUB(ih, ibb)), SUB(SUB(zero, other), ibb));
    V s1 = SUB(p, ih), sbb = SUB(s1, p);
    V e1 = ADD(SUB(p, SUB(s1, sbb)), SUB(SUB(zero, ih), sbb));
    V tv = SEL(itm, ADD(s1, SUB(ADD(e1, plo), il)), ADD(p, plo));
    V sq = MUL(VSQRT(f), VSQRT(k));
    V rsq = DIV(one, sq);
    V beta = MUL(tv, rsq), betabar = MUL(dup, rsq);
    ok = AND(ok, AND(GE(beta, SET1(0x1p-900)), AND(GT(betabar, zero), LE(beta, big))));
    V qr = DIV(f, k);
    ok = AND(ok, AND(GE(qr, SET1(DBL_MIN)), LE(qr, big)));
    qr = SEL(ok, qr, one);
    V lx = ADD(vlog(qr), DIV(FNMA(qr, k, f), MUL(qr, k)));
    V ax = SEL(ok, vabs(lx), one);
    ok = AND(ok, LT(ax, SET1(1400.0)));
    ax = SEL(ok, ax, one);
    V ex = vexp(MUL(SET1(-0.5), ax));
    V scale = DIV(one, VSQRT(tt));
    /* unused lanes get a harmless problem: x = -1, beta = 0.1 */
    beta = SEL(ok, beta, SET1(0.1));
    betabar = SEL(ok, betabar, SUB(ex, SET1(0.1)));

    /* ---- inflection point and the node of the branch --------------------- */
    V s_c = VSQRT(ADD(ax, ax));
    V upf, as;
    /* guess-quality values (see nb_eval_guess): R(0) - R(2 t_c) at s_c, the
     * plain Mills-ratio form at the node */
    V D_c = SUB(SET1(QPM__IV_SQRT_PI_2), vmills(s_c));
    V v_c = MUL(phi0, ex);
    V b_c = MUL(v_c, D_c);
    V lower = LT(beta, b_c);
    V s_n = SEL(lower, SUB(s_c, D_c), ADD(s_c, SUB(SET1(QPM__IV_SQRT_2PI), D_c)));
    ok = ANDN(AND(lower, LE(s_n, zero)), ok);
    s_n = SEL(GT(s_n, zero), s_n, s_c);
    V a_n = DIV(ax, s_n), t_n = MUL(half, s_n);
    V A_n = MUL(half, FMA(a_n, a_n, MUL(t_n, t_n)));
    V D_n;
    {
        V dn = SUB(a_n, t_n);
        V R1 = vmills(vabs(dn)), R2 = vmills(ADD(a_n, t_n));
        upf = LT(dn, zero);
        D_n = SEL(upf, ADD(R1, R2), SUB(R1, R2));
    }
    ok = ANDN(GT(A_n, SET1(700.0)), ok);
    V E_n = vexp(SUB(zero, A_n));
    V bv = MUL(MUL(phi0, E_n), D_n);
    V b_n = SEL(upf, SUB(ex, bv), bv), bb_n = SEL(upf, bv, SUB(ex, bv));
    V v_n = MUL(phi0, E_n);
    V q2n, q3n;
    vratios(a_n, t_n, s_n, &q2n, &q3n);
    ok = ANDN(AND(lower, LE(b_n, zero)), ok);

    V low = AND(lower, LT(beta, b_n));
    V midl = ANDN(low, lower);
    V midh = ANDN(lower, GE(betabar, bb_n));
    V upp = ANDN(OR(lower, midh), all);
    V lo = SEL(low, zero, SEL(midl, s_n, SEL(midh, s_c, s_n)));
    V hi = SEL(low, s_n, SEL(midl, s_c, SEL(midh, s_n, SET1((double)INFINITY))));

    /* ---- guesses ----------------------------------------------------------- */
    V s0 = s_c;
    V mid = OR(midl, midh);
    if (any(AND(ok, mid))) {
        V xl = SEL(midl, b_n, b_c), xr = SEL(midl, b_c, b_n);
        V yl = SEL(midl, s_n, s_c), yr = SEL(midl, s_c, s_n);
        V rv_n = DIV(one, v_n), rv_c = DIV(one, v_c);
        V dl = SEL(midl, rv_n, rv_c), dr = SEL(midl, rv_c, rv_n);
        V h = SUB(xr, xl), rh = DIV(one, h), delta = MUL(SUB(yr, yl), rh);
        V rfit = DIV(SUB(dr, dl), SEL(midl, SUB(dr, delta), SUB(delta, dl)));
        V r = vrc_r(rfit, dl, dr, delta);
        V g = vrc_eval(MUL(SUB(beta, xl), rh), MUL(SUB(xr, beta), rh), h, yl, yr, dl, dr, r);
        s0 = SEL(mid, g, s0);
    }
    V lnbeta = zero, lnbetabar = zero, rlnbeta = one;
    V lu = AND(ok, OR(low, upp));
    if (any(lu)) {
        V argL = one, argU = half;
        V kx = MUL(SET1(IV_K3), ax);
        /* the lower map needs R(z), the upper one R(w): one evaluation */
        V z = MUL(a_n, SET1(1.0 / IV_SQRT3));
        V w = VSQRT(ADD(A_n, A_n));
        V Rzw = vmills(SEL(low, z, w));
        if (any(AND(ok, low))) {
            V pz = MUL(phi0, vexp(SUB(zero, MUL(half, MUL(z, z)))));
            V Pz = MUL(pz, Rzw);
            V f_l = MUL(MUL(kx, Pz), MUL(Pz, Pz));
            V zz = MUL(z, z);
            V fp = MUL(MUL(SET1(IV_TWO_PI), zz), MUL(MUL(Pz, Pz), pz));
            V fpp = DIV(MUL(MUL(SET1(-IV_TWO_PI), zz), MUL(MUL(Pz, pz),
                            SUB(SUB(ADD(Pz, Pz), MUL(SET1(2.0), MUL(z, pz))), MUL(zz, Pz)))), s_n);
            V rv = DIV(one, v_n), rb = DIV(one, b_n);
            V df = MUL(fp, rv);
            V d2f = MUL(FNMA(fp, q2n, fpp), MUL(rv, rv));
            V delta = MUL(f_l, rb);
            V rfit = DIV(FMA(MUL(half, b_n), d2f, SUB(df, one)), SUB(df, delta));
            V r = vrc_r(rfit, one, df, delta);
            V u = MUL(beta, rb);
            ok = ANDN(AND(low, LT(u, SET1(0x1p-40))), ok);
            V fv = vrc_eval(u, SUB(one, u), b_n, zero, f_l, one, df, r);
            argL = DIV(fv, kx);
        }
        if (any(AND(ok, upp))) {
            V aa = MUL(a_n, a_n);
            V rsn = DIV(one, s_n), r2w = DIV(half, w);
            V dw2 = SUB(MUL(half, s_n), MUL(ADD(aa, aa), rsn));
            V d2w2 = ADD(half, MUL(MUL(SET1(6.0), aa), MUL(rsn, rsn)));
            V wp = MUL(dw2, r2w);
            V wpp = MUL(FNMA(SET1(2.0), MUL(wp, wp), d2w2), r2w);
            V f_u = MUL(v_n, Rzw);
            V fp = MUL(SUB(zero, v_n), wp);
            V fpp = MUL(SUB(zero, v_n), FNMA(w, MUL(wp, wp), wpp));
            V rv = DIV(one, v_n), rbb = DIV(one, bb_n);
            V df = MUL(fp, rv);
            V d2f = MUL(FNMA(fp, q2n, fpp), MUL(rv, rv));
            V dr = SET1(-0.5);
            V delta = MUL(SUB(zero, f_u), rbb);
            V rfit = DIV(FMA(MUL(half, bb_n), d2f, SUB(dr, df)), SUB(delta, df));
            V r = vrc_r(rfit, df, dr, delta);
            V om = MUL(betabar, rbb);
            argU = vrc_eval(SUB(one, om), om, bb_n, f_u, zero, df, dr, r);
        }
        V arg = SEL(low, argL, argU);
        ok = ANDN(AND(lu, ANDN(GT(arg, zero), VALL())), ok);
        arg = SEL(GT(arg, zero), arg, half);
        /* the logs the objectives need, in the same vector pass */
        V lg = vlog(arg);
        V lnp = SEL(low, MUL(lg, SET1(1.0 / 3.0)), lg);
        V zg = SUB(zero, vninv_ln(lnp));
        V s_low = DIV(ax, MUL(SET1(IV_SQRT3), zg));
        V w2 = MUL(zg, zg);
        V disc = VMAX(FNMA(ax, ax, MUL(w2, w2)), zero);
        V s_up = VSQRT(ADD(ADD(w2, w2), ADD(VSQRT(disc), VSQRT(disc))));
        s0 = SEL(low, s_low, SEL(upp, s_up, s0));
        V lb = vlog(SEL(low, beta, betabar));
        lnbeta = SEL(low, lb, zero);
        rlnbeta = DIV(one, SEL(low, lb, one));
        lnbetabar = SEL(upp, lb, zero);
    }
    ok = AND(ok, AND(GT(s0, zero), vfinite(s0)));
    V s = VMIN(VMAX(s0, lo), hi);
    s = SEL(ok, s, s_c);

    /* ---- Householder steps ------------------------------------------------- */
    V done = VZERO();
    for (int it = 0; it < IV_VEC_MAX_ITER; it++) {
        V act = ANDN(done, ok);
        if (!any(act))
            break;
        V a = DIV(ax, s), t = MUL(half, s);
        V A = MUL(half, FMA(a, a, MUL(t, t)));
        V D = vscaled(a, t, act, &upf, &as);
        V q2, q3;
        vratios(a, t, s, &q2, &q3);
        V nu = zero, h2 = q2, h3 = q3;
        V actm = AND(act, mid), actl = AND(act, OR(low, upp));
        /* objectives that need the other form, or the series region: scalar */
        V bad = OR(as, OR(AND(AND(act, low), upf), ANDN(upf, AND(act, upp))));
        bad = OR(bad, AND(actm, GT(A, SET1(700.0))));
        if (any(actm)) {
            V E = MUL(phi0, vexp(SUB(zero, A)));
            V bv2 = MUL(E, D);
            V b = SEL(upf, SUB(ex, bv2), bv2);
            V higher = GT(b, beta);
            hi = SEL(AND(actm, higher), s, hi);
            lo = SEL(ANDN(higher, actm), s, lo);
            nu = SEL(mid, DIV(SUB(beta, b), E), nu);
        }
        if (any(actl)) {
            V L = ADD(SUB(SET1(QPM__IV_LN_INV_SQRT_2PI), A), vlog(SEL(actl, D, one)));
            V u = DIV(one, D);
            /* lower: objective 1/ln b - 1/ln beta */
            V Lu = MUL(L, D); /* L / u */
            V nuL = MUL(MUL(Lu, SUB(lnbeta, L)), rlnbeta);
            V uL = DIV(u, L);
            V h2L = SUB(SUB(q2, u), ADD(uL, uL));
            V h3L = ADD(FNMA(MUL(SET1(3.0), q2), u, FMA(MUL(SET1(2.0), u), u, q3)),
                        FMA(MUL(SET1(-6.0), uL), SUB(q2, u), MUL(MUL(SET1(6.0), uL), uL)));
            /* upper: objective ln(bmax - beta) - ln(bmax - b) */
            V nuU = MUL(SUB(L, lnbetabar), D);
            V h2U = ADD(q2, u);
            V h3U = FMA(MUL(SET1(2.0), u), u, FMA(MUL(SET1(3.0), q2), u, q3));
            V hL = AND(actl, GT(L, lnbeta)), hU = AND(actl, LT(L, lnbetabar));
            V higher = SEL(low, hL, hU);
            hi = SEL(AND(actl, higher), s, hi);
            lo = SEL(ANDN(higher, actl), s, lo);
            nu = SEL(low, nuL, SEL(upp, nuU, nu));
            h2 = SEL(low, h2L, SEL(upp, h2U, h2));
            h3 = SEL(low, h3L, SEL(upp, h3U, h3));
        }
        V num = FMA(MUL(half, h2), nu, one);
        V den = FMA(nu, FMA(MUL(h3, SET1(1.0 / 6.0)), nu, h2), one);
        V ds = MUL(nu, DIV(num, den));
        V sn = ADD(s, ds);
        V conv = AND(LE(vabs(ds), MUL(SET1(IV_STEP_TOL), s)), GT(sn, zero));
        V inb = AND(GT(sn, lo), LT(sn, hi));
        V fin = vfinite(ds);
        bad = OR(bad, ANDN(conv, ANDN(AND(inb, fin), act)));
        bad = AND(bad, act);
        ok = ANDN(bad, ok);
        V upd = ANDN(bad, act);
        s = SEL(upd, sn, s);
        done = OR(done, AND(upd, AND(conv, fin)));
    }
    ok = AND(ok, done);
    double out[8];
    V res = MUL(s, scale);
    _mm256_storeu_pd(out, res.a);
    _mm256_storeu_pd(out + 4, res.b);
    int okm = vmask(ok);
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
