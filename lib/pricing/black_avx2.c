/* AVX2+FMA kernel of the Black family: four options per step, the same
 * formulation and the same order of operations as the scalar reference in
 * black.c, with inline vector exp, expm1, log and Mills ratio.  Lanes in the
 * rare special regions (T = 0 or sigma = 0, or Black terms that cancel by
 * more than QPM__LMAX) are handed to the scalar reference, so they are
 * bit-identical to the scalar kernel.  Bachelier jobs run the scalar kernel.
 * Built with -mavx2 -mfma and called only after CPU detection. */
#include <float.h>
#include <immintrin.h>
#include <string.h>

#include "black.h"
#include "mills_table.h"


#define V4 __m256d
#define ADD _mm256_add_pd
#define SUB _mm256_sub_pd
#define MUL _mm256_mul_pd
#define DIV _mm256_div_pd
#define SET1 _mm256_set1_pd
#define SEL(mask, a, b) _mm256_blendv_pd((b), (a), (mask)) /* mask ? a : b */
#define GT(a, b) _mm256_cmp_pd((a), (b), _CMP_GT_OQ)
#define GE(a, b) _mm256_cmp_pd((a), (b), _CMP_GE_OQ)
#define LT(a, b) _mm256_cmp_pd((a), (b), _CMP_LT_OQ)

static inline V4 vabs(V4 x) { return _mm256_andnot_pd(SET1(-0.0), x); }

/* exp(x), inlined (the libmvec call would force every live vector register
 * to the stack).  x = k ln2 + r, |r| <= ln2/2, Taylor polynomial of degree
 * 13 (truncation < 5e-18 relative), 2^k applied as two factors so that
 * results down to the subnormal range come out right.  Max error about 1
 * ulp (checked against libm on 10^7 random arguments).  x is clamped to
 * [-1100, 709.78]: below, the result is 0. */
static inline V4 vexp(V4 x)
{
    x = _mm256_max_pd(x, SET1(-1100.0));
    x = _mm256_min_pd(x, SET1(709.78));
    V4 k = _mm256_round_pd(MUL(x, SET1(0x1.71547652b82fep+0)),
                           _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    V4 r = _mm256_fnmadd_pd(k, SET1(0x1.62e42fefa39efp-1), x);
    r = _mm256_fnmadd_pd(k, SET1(0x1.abc9e3b39803fp-56), r);
    V4 p = SET1(1.0 / 6227020800.0);
    p = _mm256_fmadd_pd(p, r, SET1(1.0 / 479001600.0));
    p = _mm256_fmadd_pd(p, r, SET1(1.0 / 39916800.0));
    p = _mm256_fmadd_pd(p, r, SET1(1.0 / 3628800.0));
    p = _mm256_fmadd_pd(p, r, SET1(1.0 / 362880.0));
    p = _mm256_fmadd_pd(p, r, SET1(1.0 / 40320.0));
    p = _mm256_fmadd_pd(p, r, SET1(1.0 / 5040.0));
    p = _mm256_fmadd_pd(p, r, SET1(1.0 / 720.0));
    p = _mm256_fmadd_pd(p, r, SET1(1.0 / 120.0));
    p = _mm256_fmadd_pd(p, r, SET1(1.0 / 24.0));
    p = _mm256_fmadd_pd(p, r, SET1(1.0 / 6.0));
    p = _mm256_fmadd_pd(p, r, SET1(0.5));
    p = _mm256_fmadd_pd(p, r, SET1(1.0));
    p = _mm256_fmadd_pd(p, r, SET1(1.0));
    __m128i ki = _mm256_cvtpd_epi32(k);
    __m128i k1 = _mm_srai_epi32(ki, 1), k2 = _mm_sub_epi32(ki, k1);
    __m256i e1 = _mm256_slli_epi64(_mm256_add_epi64(_mm256_cvtepi32_epi64(k1), _mm256_set1_epi64x(1023)), 52);
    __m256i e2 = _mm256_slli_epi64(_mm256_add_epi64(_mm256_cvtepi32_epi64(k2), _mm256_set1_epi64x(1023)), 52);
    return MUL(MUL(p, _mm256_castsi256_pd(e1)), _mm256_castsi256_pd(e2));
}

/* log(x) for finite x > 0, inlined.  x = 2^e m, m in [sqrt(1/2), sqrt(2)),
 * f = m - 1, s = f/(2+f), log(1+f) = f - (f^2/2 - s (f^2/2 + R(s^2))) with
 * R the atanh series 2 s^2/3 + 2 s^4/5 + ... to s^22 (truncation < 3e-18
 * relative); e ln2 added in two parts.  Max error about 1 ulp (checked
 * against libm).  Subnormal x is rescaled first. */
static inline V4 vlog(V4 x)
{
    V4 tiny = LT(x, SET1(0x1p-1022));
    x = SEL(tiny, MUL(x, SET1(0x1p54)), x);
    V4 eadj = SEL(tiny, SET1(-54.0), _mm256_setzero_pd());
    __m256i bits = _mm256_castpd_si256(x);
    /* m in [1, 2) */
    __m256i mbits = _mm256_or_si256(_mm256_and_si256(bits, _mm256_set1_epi64x(0x000FFFFFFFFFFFFFLL)),
                                    _mm256_set1_epi64x(0x3FF0000000000000LL));
    V4 m = _mm256_castsi256_pd(mbits);
    __m256i ebits = _mm256_sub_epi64(_mm256_srli_epi64(bits, 52), _mm256_set1_epi64x(1023));
    /* int64 -> double for small values: add the magic 2^52 + 2^51 */
    V4 e = SUB(_mm256_castsi256_pd(_mm256_add_epi64(ebits, _mm256_castpd_si256(SET1(0x1.8p52)))),
               SET1(0x1.8p52));
    V4 big = GT(m, SET1(0x1.6a09e667f3bcdp+0));
    m = SEL(big, MUL(m, SET1(0.5)), m);
    e = ADD(ADD(e, SEL(big, SET1(1.0), _mm256_setzero_pd())), eadj);
    V4 f = SUB(m, SET1(1.0));
    V4 hfsq = MUL(MUL(SET1(0.5), f), f);
    V4 sv = DIV(f, ADD(SET1(2.0), f));
    V4 z = MUL(sv, sv);
    V4 R = SET1(2.0 / 23.0);
    R = _mm256_fmadd_pd(R, z, SET1(2.0 / 21.0));
    R = _mm256_fmadd_pd(R, z, SET1(2.0 / 19.0));
    R = _mm256_fmadd_pd(R, z, SET1(2.0 / 17.0));
    R = _mm256_fmadd_pd(R, z, SET1(2.0 / 15.0));
    R = _mm256_fmadd_pd(R, z, SET1(2.0 / 13.0));
    R = _mm256_fmadd_pd(R, z, SET1(2.0 / 11.0));
    R = _mm256_fmadd_pd(R, z, SET1(2.0 / 9.0));
    R = _mm256_fmadd_pd(R, z, SET1(2.0 / 7.0));
    R = _mm256_fmadd_pd(R, z, SET1(2.0 / 5.0));
    R = _mm256_fmadd_pd(R, z, SET1(2.0 / 3.0));
    R = MUL(R, z);
    V4 t = _mm256_fmadd_pd(sv, ADD(hfsq, R), MUL(e, SET1(0x1.abc9e3b39803fp-56)));
    V4 lm = SUB(SUB(hfsq, t), f); /* -(log(1+f) - e ln2_lo) */
    return _mm256_fmsub_pd(e, SET1(0x1.62e42fefa39efp-1), lm);
}

static inline V4 two_sum_err(V4 a, V4 b, V4 s)
{
    V4 bb = SUB(s, a);
    return ADD(SUB(a, SUB(s, bb)), SUB(b, bb));
}

static inline V4 npdf_dd(V4 ah, V4 al)
{
    V4 p = MUL(ah, ah);
    V4 e = ADD(_mm256_fmsub_pd(ah, ah, p), MUL(MUL(SET1(2.0), ah), al));
    V4 ex = vexp(MUL(SET1(-0.5), p));
    return MUL(MUL(SET1(QPM__RSQRT2PI), ex), SUB(SET1(1.0), MUL(SET1(0.5), e)));
}

/* expm1(x) for |x| < 1 (other lanes: garbage, not used): x = k ln2 + r with
 * k in {-1, 0, 1}, e^r - 1 by its Taylor series to r^13 (no cancellation),
 * expm1 = (2^k - 1) + 2^k (e^r - 1).  Within about 2 ulp. */
static inline V4 vexpm1_small(V4 x)
{
    V4 k = _mm256_round_pd(MUL(x, SET1(0x1.71547652b82fep+0)),
                           _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    k = _mm256_max_pd(_mm256_min_pd(k, SET1(1.0)), SET1(-1.0));
    V4 r = _mm256_fnmadd_pd(k, SET1(0x1.62e42fefa39efp-1), x);
    r = _mm256_fnmadd_pd(k, SET1(0x1.abc9e3b39803fp-56), r);
    V4 p = SET1(1.0 / 6227020800.0);
    p = _mm256_fmadd_pd(p, r, SET1(1.0 / 479001600.0));
    p = _mm256_fmadd_pd(p, r, SET1(1.0 / 39916800.0));
    p = _mm256_fmadd_pd(p, r, SET1(1.0 / 3628800.0));
    p = _mm256_fmadd_pd(p, r, SET1(1.0 / 362880.0));
    p = _mm256_fmadd_pd(p, r, SET1(1.0 / 40320.0));
    p = _mm256_fmadd_pd(p, r, SET1(1.0 / 5040.0));
    p = _mm256_fmadd_pd(p, r, SET1(1.0 / 720.0));
    p = _mm256_fmadd_pd(p, r, SET1(1.0 / 120.0));
    p = _mm256_fmadd_pd(p, r, SET1(1.0 / 24.0));
    p = _mm256_fmadd_pd(p, r, SET1(1.0 / 6.0));
    p = _mm256_fmadd_pd(p, r, SET1(0.5));
    p = MUL(_mm256_fmadd_pd(p, r, SET1(1.0)), r); /* e^r - 1 */
    V4 two_k = _mm256_blendv_pd(SET1(1.0), _mm256_blendv_pd(SET1(0.5), SET1(2.0), GT(k, SET1(0.0))),
                                _mm256_cmp_pd(k, SET1(0.0), _CMP_NEQ_OQ));
    return _mm256_fmadd_pd(two_k, p, SUB(two_k, SET1(1.0)));
}

/* Mills ratio, as mills() in black.c: the four pieces' coefficients sit in
 * one register per row and each lane picks its piece with a permute. */
static inline V4 vmills(V4 z)
{
    z = _mm256_min_pd(z, SET1(QPM__RZMAX));
    __m256i idx = _mm256_sub_epi64(
        _mm256_sub_epi64(_mm256_setzero_si256(), _mm256_castpd_si256(GE(z, SET1(QPM__RZ1)))),
        _mm256_add_epi64(_mm256_castpd_si256(GE(z, SET1(QPM__RZ2))),
                         _mm256_castpd_si256(GE(z, SET1(QPM__RZ3)))));
    /* 32-bit permute indices 2p, 2p+1 for each 64-bit lane */
    __m256i two = _mm256_slli_epi64(idx, 1);
    __m256i perm = _mm256_or_si256(_mm256_or_si256(two, _mm256_slli_epi64(two, 32)),
                                   _mm256_set1_epi64x(1LL << 32));
#define ROW(k) _mm256_castps_pd(_mm256_permutevar8x32_ps( \
        _mm256_castpd_ps(_mm256_load_pd(qpm__rtab[k])), perm))
    V4 rz = DIV(SET1(1.0), ADD(z, SET1(4.0)));
    V4 u = MUL(MUL(_mm256_fnmadd_pd(ROW(0), z, ROW(1)), rz), SET1(QPM__RINVH));
    V4 g = ROW(15);
    g = _mm256_fmadd_pd(g, u, ROW(14));
    g = _mm256_fmadd_pd(g, u, ROW(13));
    g = _mm256_fmadd_pd(g, u, ROW(12));
    g = _mm256_fmadd_pd(g, u, ROW(11));
    g = _mm256_fmadd_pd(g, u, ROW(10));
    g = _mm256_fmadd_pd(g, u, ROW(9));
    g = _mm256_fmadd_pd(g, u, ROW(8));
    g = _mm256_fmadd_pd(g, u, ROW(7));
    g = _mm256_fmadd_pd(g, u, ROW(6));
    g = _mm256_fmadd_pd(g, u, ROW(5));
    g = _mm256_fmadd_pd(g, u, ROW(4));
    g = _mm256_fmadd_pd(g, u, ROW(3));
    g = _mm256_fmadd_pd(g, u, ROW(2));
#undef ROW
    return MUL(MUL(SET1(4.0), rz), g);
}

static inline V4 load_d(const double *p, size_t stride, size_t i)
{
    return stride ? _mm256_loadu_pd(p + i) : _mm256_broadcast_sd(p);
}

static inline V4 load_phi(const int32_t *p, size_t stride, size_t i)
{
    if (!stride)
        return SET1(*p > 0 ? 1.0 : -1.0);
    __m128i t = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
    V4 d = _mm256_cvtepi32_pd(t);
    return SEL(GT(d, _mm256_setzero_pd()), SET1(1.0), SET1(-1.0));
}

/* ---- eight lanes as two interleaved AVX2 registers ---------------------
 * One chain of dependent operations per option is long (exp, log and the
 * Mills-ratio polynomials run one after the other); two independent
 * registers per step give the out-of-order core two chains to overlap. */
typedef struct {
    V4 a, b;
} V;

#define VBIN(name, intr)                                                                   \
    static inline V name(V x, V y) { return (V){intr(x.a, y.a), intr(x.b, y.b)}; }
VBIN(vadd, _mm256_add_pd)
VBIN(vsub, _mm256_sub_pd)
VBIN(vmul, _mm256_mul_pd)
VBIN(vdiv, _mm256_div_pd)
VBIN(vand, _mm256_and_pd)
VBIN(vor, _mm256_or_pd)
VBIN(vxor, _mm256_xor_pd)
VBIN(vandnot, _mm256_andnot_pd)
#define VCMP(name, pred)                                                                   \
    static inline V name(V x, V y)                                                         \
    {                                                                                      \
        return (V){_mm256_cmp_pd(x.a, y.a, pred), _mm256_cmp_pd(x.b, y.b, pred)};          \
    }
VCMP(vgt, _CMP_GT_OQ)
VCMP(vge, _CMP_GE_OQ)
VCMP(vlt, _CMP_LT_OQ)
VCMP(vngt, _CMP_NGT_UQ)
VCMP(vnge, _CMP_NGE_UQ)
VCMP(vnle, _CMP_NLE_UQ)
#define VUN(name, fn)                                                                      \
    static inline V name(V x) { return (V){fn(x.a), fn(x.b)}; }
VUN(vexp8, vexp)
VUN(vlog8, vlog)
VUN(vmills8, vmills)
VUN(vexpm1_8, vexpm1_small)
VUN(vabs8, vabs)
VUN(vsqrt8, _mm256_sqrt_pd)

static inline V vset(double x) { return (V){SET1(x), SET1(x)}; }
static inline V vsel(V m, V t, V f) { return (V){SEL(m.a, t.a, f.a), SEL(m.b, t.b, f.b)}; }
static inline V vfma(V x, V y, V z)
{
    return (V){_mm256_fmadd_pd(x.a, y.a, z.a), _mm256_fmadd_pd(x.b, y.b, z.b)};
}
static inline V vfms(V x, V y, V z)
{
    return (V){_mm256_fmsub_pd(x.a, y.a, z.a), _mm256_fmsub_pd(x.b, y.b, z.b)};
}
static inline V vneg(V x) { return vxor(x, vset(-0.0)); }
static inline int vmask(V m) { return _mm256_movemask_pd(m.a) | (_mm256_movemask_pd(m.b) << 4); }
static inline V vload(const double *p, size_t stride, size_t i)
{
    return (V){load_d(p, stride, i), load_d(p, stride, i + 4)};
}
static inline V vload_phi(const int32_t *p, size_t stride, size_t i)
{
    return (V){load_phi(p, stride, i), load_phi(p, stride, i + 4)};
}
static inline void vstore(double *p, V x)
{
    _mm256_storeu_pd(p, x.a);
    _mm256_storeu_pd(p + 4, x.b);
}
static inline V vtwo_sum_err(V a, V b, V s) { return (V){two_sum_err(a.a, b.a, s.a), two_sum_err(a.b, b.b, s.b)}; }

static inline V vnpdf_dd(V ah, V al)
{
    V p = vmul(ah, ah);
    V e = vadd(vfms(ah, ah, p), vmul(vmul(vset(2.0), ah), al));
    V ex = vexp8(vmul(vset(-0.5), p));
    return vmul(vmul(vset(QPM__RSQRT2PI), ex), vsub(vset(1.0), vmul(vset(0.5), e)));
}

/* Output groups a block computes only when asked for. */
#define NEED(o) (1u << (o))

/* Eight options.  Returns -1 when the results went straight to the outputs,
 * else the mask of lanes the scalar path must redo (results are in tmp).  The
 * operations mirror black_one() in black.c one for one. */
static inline __attribute__((always_inline)) int
block8(int model, int inverse, unsigned need, V u, V K, V T, V r, V q, V sig, V phi, V D, V Dq,
       V DqD, double *const *out, size_t i, int full, double tmp[QPM__NOUT][8])
{
    const V zero = vset(0.0), one = vset(1.0), half = vset(0.5);
    V S = u, F, x;
    V rS = vdiv(one, S);
    V qt = vdiv(S, K);
    V rem = vfma(vneg(qt), K, S);
    if (model == QPM__BSM) {
        x = vadd(vadd(vlog8(qt), vmul(rem, rS)), vmul(vsub(r, q), T));
        F = vmul(S, DqD);
    } else {
        q = r;
        x = vadd(vlog8(qt), vmul(rem, rS));
        F = S;
    }
    V sqrtT = vsqrt8(T), s = vmul(sig, sqrtT);
    V y = vabs8(x);
    V special = vor(vngt(s, zero), vgt(y, vmul(vset(1e10), s)));
    /* S/K out of the normal range: the scalar path takes logs separately */
    special = vor(special, vor(vnge(qt, vset(DBL_MIN)), vnle(qt, vset(DBL_MAX))));
    /* Lanes for the scalar path are known here: write straight to the
     * outputs when there are none, else to tmp for patching. */
    int smask = vmask(special);
    int direct = smask == 0 && full;
#define PUT(o, v)                                                                          \
    do {                                                                                   \
        if (need & NEED(o))                                                                \
            vstore(direct ? out[o] + i : tmp[o], (v));                                     \
    } while (0)
    V rs = vdiv(one, s);
    V m = vmul(y, rs), t = vmul(half, s);
    V a1 = vsub(m, t), a1e = vtwo_sum_err(m, vneg(t), a1);
    V a2 = vadd(m, t);
    V xpos = vgt(x, zero);
    V small = vsel(xpos, K, F), big = vsel(xpos, F, K);
    V n1 = vnpdf_dd(a1, a1e);
    V n2 = vmul(n1, vdiv(small, big));
    V p1 = vmul(n1, vmills8(vabs8(a1)));
    V p2 = vmul(n2, vmills8(a2));
    V a1pos = vge(a1, zero);
    V P1 = vsel(a1pos, p1, vsub(one, p1));
    V A1 = vsel(a1pos, vsub(one, p1), p1);
    V first = vmul(small, P1);
    V otm = vsub(first, vmul(big, p2));
    V hard = vandnot(special, vngt(vmul(otm, vset(QPM__LMAX)), first));
    int hmask = vmask(hard);
    if (hmask != 0) {
        /* Rare: the two Black terms cancel; take the Mills-ratio difference
         * lane by lane, exactly as the scalar path does. */
        double a1v[8], sv[8], dv[8];
        vstore(a1v, a1);
        vstore(sv, s);
        for (int j = 0; j < 8; j++)
            dv[j] = hmask & (1 << j) ? qpm__mills_diff(a1v[j], sv[j]) : 0.0;
        otm = vsel(hard, vmul(vmul(small, n1), vload(dv, 1, 0)), otm);
    }

    V Nd1 = vsel(xpos, vsub(one, p2), P1);
    V Nmd1 = vsel(xpos, p2, A1);
    V Nd2 = vsel(xpos, A1, p2);
    V Nmd2 = vsel(xpos, P1, vsub(one, p2));
    V nd1 = vsel(xpos, n2, n1);
    V d1 = vsel(xpos, a2, vneg(a1));
    V d2 = vsel(xpos, a1, vneg(a2));
    V call = vgt(phi, zero);
    V Nphid1 = vsel(call, Nd1, Nmd1), Nphid2 = vsel(call, Nd2, Nmd2);
    V fk = vsub(F, K);
    if (model == QPM__BSM && vmask(vlt(y, one)) != 0)
        fk = vsel(vlt(y, one), vmul(K, vexpm1_8(x)), fk);
    V intrinsic = vsel(vgt(vmul(phi, x), zero), vmul(phi, fk), zero);
    V Vu = vmul(D, vadd(intrinsic, otm));
    V delta = vmul(vmul(phi, Dq), Nphid1);
    V dens = vmul(Dq, nd1);
    V rsqT = vmul(sig, rs);
    V rsig = vmul(sqrtT, rs);
    V vega = vmul(vmul(S, dens), sqrtT);
    PUT(QPM__O_DELTA, delta);
    PUT(QPM__O_VEGA, vega);
    if (need & NEED(QPM__O_GAMMA))
        PUT(QPM__O_GAMMA, vmul(vmul(dens, rs), rS));
    if (need & NEED(QPM__O_THETA))
        PUT(QPM__O_THETA, vsub(vsub(vmul(r, Vu), vmul(vmul(S, dens), vmul(vmul(half, sig), rsqT))),
                               vmul(vmul(vsub(r, q), S), delta)));
    if (model == QPM__BSM) {
        if (need & NEED(QPM__O_RHO))
            PUT(QPM__O_RHO, vmul(vmul(vmul(vmul(phi, K), T), D), Nphid2));
        if (need & NEED(QPM__O_RHO_Q))
            PUT(QPM__O_RHO_Q, vmul(vmul(vmul(vmul(vneg(phi), S), T), Dq), Nphid1));
    } else {
        PUT(QPM__O_RHO, vmul(vneg(T), Vu));
        PUT(QPM__O_RHO_Q, zero);
    }
    if (need & NEED(QPM__O_VANNA))
        PUT(QPM__O_VANNA, vmul(vmul(vneg(dens), d2), rsig));
    if (need & NEED(QPM__O_VOLGA))
        PUT(QPM__O_VOLGA, vmul(vmul(vmul(vega, d1), d2), rsig));
    if (need & NEED(QPM__O_CHARM)) {
        V br = vsub(vmul(vsub(r, q), rs), vmul(vmul(half, d2), vmul(rsqT, rsqT)));
        PUT(QPM__O_CHARM, vsub(vmul(q, delta), vmul(dens, br)));
    }
    PUT(QPM__O_PRICE_USD, Vu);
    if (inverse) {
        V rF = model == QPM__BSM ? vdiv(one, F) : rS;
        PUT(QPM__O_PRICE, vmul(Vu, rF));
        if (need & NEED(QPM__O_DELTA_COIN))
            PUT(QPM__O_DELTA_COIN, vmul(vmul(vmul(phi, D), vmul(K, rF)), Nphid2));
    } else {
        PUT(QPM__O_PRICE, Vu);
        PUT(QPM__O_DELTA_COIN, vmul(vmul(phi, D), Nphid1));
    }
#undef PUT
    return direct ? -1 : smask;
}

static inline __attribute__((always_inline)) void run(const qpm__bjob *job, size_t begin,
                                                      size_t end, int model, int inverse)
{
    const int uniform = job->st == 0 && job->sr == 0 && job->sq == 0;
    V Dpre = vset(0.0), Dqpre = Dpre, DqDpre = Dpre;
    if (uniform) {
        double T = job->t[0], r = job->r[0], q = model == QPM__BSM ? job->q[0] : job->r[0];
        Dpre = vexp8(vset(-r * T));
        Dqpre = model == QPM__BSM ? vexp8(vset(-q * T)) : Dpre;
        DqDpre = vdiv(Dqpre, Dpre);
    }
    double *const *out = job->out;
    unsigned need = 0;
    for (int o = 0; o < QPM__NOUT; o++)
        if (out[o] != NULL)
            need |= NEED(o);
    for (size_t i = begin; i < end; i += 8) {
        size_t nv = end - i < 8 ? end - i : 8;
        V u, K, T, r, q, sig, phi;
        if (nv == 8) {
            u = vload(job->u, job->su, i);
            K = vload(job->k, job->sk, i);
            T = vload(job->t, job->st, i);
            r = vload(job->r, job->sr, i);
            q = vload(job->q, job->sq, i);
            sig = vload(job->sig, job->ssig, i);
            phi = vload_phi(job->type, job->stype, i);
        } else {
            /* Tail: pad with copies of the last element, so that each lane
             * computes exactly what a full block would. */
            double bu[8], bk[8], bt[8], br[8], bq[8], bs[8];
            int32_t bty[8];
            for (size_t j = 0; j < 8; j++) {
                size_t e = i + (j < nv ? j : nv - 1);
                bu[j] = job->u[e * job->su];
                bk[j] = job->k[e * job->sk];
                bt[j] = job->t[e * job->st];
                br[j] = job->r[e * job->sr];
                bq[j] = job->q[e * job->sq];
                bs[j] = job->sig[e * job->ssig];
                bty[j] = job->type[e * job->stype];
            }
            u = vload(bu, 1, 0), K = vload(bk, 1, 0), T = vload(bt, 1, 0);
            r = vload(br, 1, 0), q = vload(bq, 1, 0), sig = vload(bs, 1, 0);
            phi = vload_phi(bty, 1, 0);
        }
        V D, Dq, DqD;
        if (uniform) {
            D = Dpre, Dq = Dqpre, DqD = DqDpre;
        } else {
            D = vexp8(vmul(vneg(r), T));
            Dq = model == QPM__BSM ? vexp8(vmul(vneg(q), T)) : D;
            DqD = model == QPM__BSM ? vdiv(Dq, D) : D;
        }
        double tmp[QPM__NOUT][8];
        int special = block8(model, inverse, need, u, K, T, r, q, sig, phi, D, Dq, DqD, out, i,
                             nv == 8, tmp);
        if (special < 0)
            continue; /* written directly */
        for (size_t j = 0; j < nv; j++) {
            if (special & (1 << j)) {
                size_t e = i + j;
                double one[QPM__NOUT];
                qpm__price_one(model, inverse, job->u[e * job->su], job->k[e * job->sk],
                               job->t[e * job->st], job->r[e * job->sr], job->q[e * job->sq],
                               job->sig[e * job->ssig], job->type[e * job->stype], one);
                for (int o = 0; o < QPM__NOUT; o++)
                    tmp[o][j] = one[o];
            }
            for (int o = 0; o < QPM__NOUT; o++)
                if (out[o] != NULL)
                    out[o][i + j] = tmp[o][j];
        }
    }
}

void qpm__black_kernel_avx2(const qpm__bjob *job, size_t begin, size_t end)
{
    if (job->model == QPM__BACH) {
        qpm__black_kernel_scalar(job, begin, end);
        return;
    }
    if (job->model == QPM__BSM) {
        if (job->inverse)
            run(job, begin, end, QPM__BSM, 1);
        else
            run(job, begin, end, QPM__BSM, 0);
    } else {
        if (job->inverse)
            run(job, begin, end, QPM__B76, 1);
        else
            run(job, begin, end, QPM__B76, 0);
    }
}

int qpm__black_screen_avx2(const qpm__bjob *job, size_t n)
{
    const int bach = job->model == QPM__BACH;
    const V4 zero = _mm256_setzero_pd(), big = SET1(DBL_MAX), maxrt = SET1(QPM__MAX_RT);
    const __m128i pone = _mm_set1_epi32(1), mone = _mm_set1_epi32(-1);
    V4 ok = _mm256_castsi256_pd(_mm256_set1_epi64x(-1));
    __m128i tok = _mm_set1_epi32(-1);
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        V4 u = load_d(job->u, job->su, i), k = load_d(job->k, job->sk, i);
        V4 T = load_d(job->t, job->st, i), r = load_d(job->r, job->sr, i);
        V4 q = load_d(job->q, job->sq, i), sg = load_d(job->sig, job->ssig, i);
        if (bach) {
            ok = _mm256_and_pd(ok, _mm256_cmp_pd(vabs(u), big, _CMP_LE_OQ));
            ok = _mm256_and_pd(ok, _mm256_cmp_pd(vabs(k), big, _CMP_LE_OQ));
        } else {
            ok = _mm256_and_pd(ok, _mm256_and_pd(GT(u, zero), _mm256_cmp_pd(u, big, _CMP_LE_OQ)));
            ok = _mm256_and_pd(ok, _mm256_and_pd(GT(k, zero), _mm256_cmp_pd(k, big, _CMP_LE_OQ)));
        }
        ok = _mm256_and_pd(ok, _mm256_and_pd(GE(T, zero), _mm256_cmp_pd(T, big, _CMP_LE_OQ)));
        ok = _mm256_and_pd(ok, _mm256_and_pd(GE(sg, zero), _mm256_cmp_pd(sg, big, _CMP_LE_OQ)));
        ok = _mm256_and_pd(ok, _mm256_cmp_pd(vabs(MUL(r, T)), maxrt, _CMP_LE_OQ));
        ok = _mm256_and_pd(ok, _mm256_cmp_pd(vabs(MUL(q, T)), maxrt, _CMP_LE_OQ));
        __m128i ty = job->stype ? _mm_loadu_si128((const __m128i *)(const void *)(job->type + i))
                                : _mm_set1_epi32(job->type[0]);
        tok = _mm_and_si128(tok, _mm_or_si128(_mm_cmpeq_epi32(ty, pone), _mm_cmpeq_epi32(ty, mone)));
    }
    int good = _mm256_movemask_pd(ok) == 0xF && _mm_movemask_epi8(tok) == 0xFFFF;
    if (i < n) {
        qpm__bjob tail = *job;
        tail.u += i * job->su, tail.k += i * job->sk, tail.t += i * job->st;
        tail.r += i * job->sr, tail.q += i * job->sq, tail.sig += i * job->ssig;
        tail.type += i * job->stype;
        good &= qpm__black_screen_scalar(&tail, n - i);
    }
    return good;
}
