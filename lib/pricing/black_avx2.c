/* AVX2+FMA kernel of the Black family: four options per step, the same
 * formulation and the same order of operations as the scalar reference in
 * black.c, with inline vector exp, expm1, log and Mills ratio.  Lanes in the
 * rare special regions (T = 0 or sigma = 0, or Black terms that cancel by
 * more than QPM__LMAX) are handed to the scalar reference, so they are
 * bit-identical to the scalar kernel.  Bachelier jobs run the scalar kernel.
 * Built with -mavx2 -mfma and called only after CPU detection. */
/* GCC does not schedule instructions before register allocation on x86
 * unless asked; the long dependency chains of this kernel (log, exp and the
 * Mills-ratio polynomials) run about 10 % faster with pressure-aware
 * scheduling (measured with bench_pricing).  Before the includes, so that
 * every inlined function gets the same options. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("schedule-insns", "sched-pressure")
#endif
#include <float.h>
#include <immintrin.h>
#include <string.h>

#include "black.h"
#include "mills_table.h"
#include "vexp_const.h"


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

/* x - k ln2 in two parts (k integral, |k| small enough for exact products). */
static inline V4 vexp_reduce(V4 x, V4 k)
{
    V4 r = _mm256_fnmadd_pd(k, SET1(QPM__LN2_HI), x);
    r = _mm256_fnmadd_pd(k, SET1(QPM__LN2_LO), r);
    return r;
}

/* q(r) = (e^r - 1 - r)/r^2 (see vexp_const.h), highest degree first. */
static inline V4 vexp_taylor_q(V4 r)
{
    V4 p = SET1(QPM__EXPQ_10);
    p = _mm256_fmadd_pd(p, r, SET1(QPM__EXPQ_9));
    p = _mm256_fmadd_pd(p, r, SET1(QPM__EXPQ_8));
    p = _mm256_fmadd_pd(p, r, SET1(QPM__EXPQ_7));
    p = _mm256_fmadd_pd(p, r, SET1(QPM__EXPQ_6));
    p = _mm256_fmadd_pd(p, r, SET1(QPM__EXPQ_5));
    p = _mm256_fmadd_pd(p, r, SET1(QPM__EXPQ_4));
    p = _mm256_fmadd_pd(p, r, SET1(QPM__EXPQ_3));
    p = _mm256_fmadd_pd(p, r, SET1(QPM__EXPQ_2));
    p = _mm256_fmadd_pd(p, r, SET1(QPM__EXPQ_1));
    p = _mm256_fmadd_pd(p, r, SET1(QPM__EXPQ_0));
    return p;
}

/* exp(x), inlined (the libmvec call would force every live vector register
 * to the stack).  x = k ln2 + r, |r| <= ln2/2, e^r = 1 + r (1 + r q(r))
 * (approximation < 4e-19 relative), 2^k applied as two factors so that
 * results down to the subnormal range come out right.  Max error about 1
 * ulp (checked against libm on 10^7 random arguments).  vexp_in takes x in
 * [-1100, 709.78] as it is (the discount factors: the screen bounds |r T|
 * and |q T| by 700); vexp clamps x to that range first (below, the result
 * is 0), and vexp_neg, for x <= 0, only from below. */
static inline V4 vexp_in(V4 x)
{
    V4 k = _mm256_round_pd(MUL(x, SET1(QPM__LOG2E)),
                           _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    V4 r = vexp_reduce(x, k);
    V4 p = vexp_taylor_q(r);
    p = _mm256_fmadd_pd(p, r, SET1(1.0));
    p = _mm256_fmadd_pd(p, r, SET1(1.0));
    __m128i ki = _mm256_cvtpd_epi32(k);
    __m128i k1 = _mm_srai_epi32(ki, 1), k2 = _mm_sub_epi32(ki, k1);
    __m256i e1 = _mm256_slli_epi64(_mm256_add_epi64(_mm256_cvtepi32_epi64(k1), _mm256_set1_epi64x(1023)), 52);
    __m256i e2 = _mm256_slli_epi64(_mm256_add_epi64(_mm256_cvtepi32_epi64(k2), _mm256_set1_epi64x(1023)), 52);
    return MUL(MUL(p, _mm256_castsi256_pd(e1)), _mm256_castsi256_pd(e2));
}

/* exp(-y), y in [-709.78, 1100], without forming -y: the same k and the same
 * reduced argument as vexp_in(-y), so the same result */
static inline V4 vexpneg_in(V4 y)
{
    V4 k = _mm256_round_pd(MUL(y, SET1(-QPM__LOG2E)),
                           _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    V4 r = _mm256_fnmsub_pd(k, SET1(QPM__LN2_HI), y);
    r = _mm256_fnmadd_pd(k, SET1(QPM__LN2_LO), r);
    V4 p = vexp_taylor_q(r);
    p = _mm256_fmadd_pd(p, r, SET1(1.0));
    p = _mm256_fmadd_pd(p, r, SET1(1.0));
    __m128i ki = _mm256_cvtpd_epi32(k);
    __m128i k1 = _mm_srai_epi32(ki, 1), k2 = _mm_sub_epi32(ki, k1);
    __m256i e1 = _mm256_slli_epi64(_mm256_add_epi64(_mm256_cvtepi32_epi64(k1), _mm256_set1_epi64x(1023)), 52);
    __m256i e2 = _mm256_slli_epi64(_mm256_add_epi64(_mm256_cvtepi32_epi64(k2), _mm256_set1_epi64x(1023)), 52);
    return MUL(MUL(p, _mm256_castsi256_pd(e1)), _mm256_castsi256_pd(e2));
}

static inline V4 vexp(V4 x)
{
    return vexp_in(_mm256_min_pd(_mm256_max_pd(x, SET1(-1100.0)), SET1(709.78)));
}

static inline V4 vexp_neg(V4 x) { return vexp_in(_mm256_max_pd(x, SET1(-1100.0))); }

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
    V4 t = _mm256_fmadd_pd(sv, ADD(hfsq, R), MUL(e, SET1(QPM__LN2_LO)));
    V4 lm = SUB(SUB(hfsq, t), f); /* -(log(1+f) - e ln2_lo) */
    return _mm256_fmsub_pd(e, SET1(QPM__LN2_HI), lm);
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
    V4 k = _mm256_round_pd(MUL(x, SET1(QPM__LOG2E)),
                           _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    k = _mm256_max_pd(_mm256_min_pd(k, SET1(1.0)), SET1(-1.0));
    V4 r = vexp_reduce(x, k);
    V4 p = vexp_taylor_q(r);
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
VUN(vexp8_in, vexp_in)
VUN(vexpneg8_in, vexpneg_in)
VUN(vexp8_neg, vexp_neg)
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
static inline V vfnma(V x, V y, V z) /* z - x y */
{
    return (V){_mm256_fnmadd_pd(x.a, y.a, z.a), _mm256_fnmadd_pd(x.b, y.b, z.b)};
}
static inline V vfms(V x, V y, V z)
{
    return (V){_mm256_fmsub_pd(x.a, y.a, z.a), _mm256_fmsub_pd(x.b, y.b, z.b)};
}
static inline V vneg(V x) { return vxor(x, vset(-0.0)); }
/* lane masks are all-ones lanes */
typedef V M;
static inline M mor(M x, M y) { return vor(x, y); }
static inline M mandnot(M x, M y) { return vandnot(x, y); } /* ~x & y */
/* lanes not in [DBL_MIN, DBL_MAX] */
static inline M vnotnormal(V x) { return vor(vnge(x, vset(DBL_MIN)), vnle(x, vset(DBL_MAX))); }
/* Non-finite accumulator: v * 0 + acc is NaN exactly when v (or acc) is
 * infinite or NaN, so one FMA per stored vector and one compare per block
 * find the lanes whose outputs left the double range. */
typedef V NF;
static inline NF nf_init(void) { return vset(0.0); }
static inline NF nf_add(NF acc, V v) { return vfma(v, vset(0.0), acc); }
static inline M nf_lanes(NF acc)
{
    return (V){_mm256_cmp_pd(acc.a, acc.a, _CMP_UNORD_Q), _mm256_cmp_pd(acc.b, acc.b, _CMP_UNORD_Q)};
}
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
/* vtwo_sum_err(a, -b, s) for s = a - b, without forming -b (same result:
 * (-b) - bb = -(b + bb) exactly as rounded) */
static inline V4 two_diff_err(V4 a, V4 b, V4 s)
{
    V4 bb = SUB(s, a);
    return SUB(SUB(a, SUB(s, bb)), ADD(b, bb));
}
static inline V vtwo_diff_err(V a, V b, V s)
{
    return (V){two_diff_err(a.a, b.a, s.a), two_diff_err(a.b, b.b, s.b)};
}

#define LANES 8
#include "black_lanes.h"

size_t qpm__black_kernel_avx2(const qpm__bjob *job, size_t begin, size_t end)
{
    if (job->model == QPM__BACH)
        return qpm__black_kernel_scalar(job, begin, end);
    if (job->model == QPM__BSM)
        return job->inverse ? run(job, begin, end, QPM__BSM, 1) : run(job, begin, end, QPM__BSM, 0);
    return job->inverse ? run(job, begin, end, QPM__B76, 1) : run(job, begin, end, QPM__B76, 0);
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
        /* independent tests combined as a tree: one AND per step on the
         * accumulator, so the loop runs at load speed */
        V4 cu, ck;
        if (bach) {
            cu = _mm256_cmp_pd(vabs(u), big, _CMP_LE_OQ);
            ck = _mm256_cmp_pd(vabs(k), big, _CMP_LE_OQ);
        } else {
            cu = _mm256_and_pd(GT(u, zero), _mm256_cmp_pd(u, big, _CMP_LE_OQ));
            ck = _mm256_and_pd(GT(k, zero), _mm256_cmp_pd(k, big, _CMP_LE_OQ));
        }
        V4 cT = _mm256_and_pd(GE(T, zero), _mm256_cmp_pd(T, big, _CMP_LE_OQ));
        V4 cs = _mm256_and_pd(GE(sg, zero), _mm256_cmp_pd(sg, big, _CMP_LE_OQ));
        V4 cr = _mm256_cmp_pd(vabs(MUL(r, T)), maxrt, _CMP_LE_OQ);
        V4 cq = _mm256_cmp_pd(vabs(MUL(q, T)), maxrt, _CMP_LE_OQ);
        V4 c = _mm256_and_pd(_mm256_and_pd(_mm256_and_pd(cu, ck), _mm256_and_pd(cT, cs)),
                             _mm256_and_pd(cr, cq));
        ok = _mm256_and_pd(ok, c);
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
