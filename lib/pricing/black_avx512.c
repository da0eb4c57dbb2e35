/* AVX-512 (F + DQ) kernel of the Black family: sixteen options per step in
 * two registers,
 * the same formulation and order of operations as the scalar reference
 * (black.c) and the AVX2 kernel (the shared body is black_lanes.h).  exp and
 * log use the AVX-512 exponent instructions (scalef, getexp, getmant); the
 * polynomials are those of the AVX2 kernel.  Lanes in the rare special
 * regions go to the scalar reference.  Called only after CPU detection. */
/* GCC does not schedule instructions before register allocation on x86
 * unless asked; the long dependency chains of this kernel (log, exp and the
 * Mills-ratio polynomials) run about 10 % faster with pressure-aware
 * scheduling (measured with bench_pricing).  Loop-invariant motion off
 * (tree and RTL passes) gives the register allocator a different, shorter
 * loop to fit in 32 registers: 1-3 % faster here in best-of-300 A/B runs,
 * neutral in the AVX2 kernel, which keeps the defaults.  Before the
 * includes, so that every inlined function gets the same options. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("schedule-insns", "sched-pressure", "no-tree-loop-im", "no-move-loop-invariants")
#endif
#include <float.h>
#include <immintrin.h>
#include <string.h>

#include "black.h"
#include "mills_table.h"
#include "vexp_const.h"

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512dq"))), apply_to = function)
#elif defined(__GNUC__)
#pragma GCC push_options
#pragma GCC target("avx512f,avx512dq")
#endif

typedef __m512d Z;

static inline Z vset_z(double x) { return _mm512_set1_pd(x); }
static inline Z vadd_z(Z x, Z y) { return _mm512_add_pd(x, y); }
static inline Z vsub_z(Z x, Z y) { return _mm512_sub_pd(x, y); }
static inline Z vmul_z(Z x, Z y) { return _mm512_mul_pd(x, y); }
static inline Z vdiv_z(Z x, Z y) { return _mm512_div_pd(x, y); }
static inline Z vxor_z(Z x, Z y) { return _mm512_xor_pd(x, y); }
static inline Z vfma_z(Z x, Z y, Z z) { return _mm512_fmadd_pd(x, y, z); }
static inline Z vfms_z(Z x, Z y, Z z) { return _mm512_fmsub_pd(x, y, z); }
static inline Z vfnma_z(Z x, Z y, Z z) { return _mm512_fnmadd_pd(x, y, z); } /* z - x y */
static inline Z vneg_z(Z x) { return vxor_z(x, vset_z(-0.0)); }
static inline Z vabs8_z(Z x) { return _mm512_abs_pd(x); }
static inline Z vsqrt8_z(Z x) { return _mm512_sqrt_pd(x); }
/* comparisons give mask registers (no all-ones vectors) */
typedef __mmask8 Mz;
#define VCMP(name, pred)                                                                   \
    static inline Mz name(Z x, Z y) { return _mm512_cmp_pd_mask(x, y, pred); }
VCMP(vgt_z, _CMP_GT_OQ)
VCMP(vge_z, _CMP_GE_OQ)
VCMP(vlt_z, _CMP_LT_OQ)
VCMP(vngt_z, _CMP_NGT_UQ)
VCMP(vnge_z, _CMP_NGE_UQ)
VCMP(vnle_z, _CMP_NLE_UQ)
static inline Z vsel_z(Mz m, Z t, Z f) { return _mm512_mask_blend_pd(m, f, t); }

static inline Z vload_z(const double *p, size_t stride, size_t i)
{
    return stride ? _mm512_loadu_pd(p + i) : _mm512_set1_pd(*p);
}

static inline Z vload_phi_z(const int32_t *p, size_t stride, size_t i)
{
    if (!stride)
        return vset_z(*p > 0 ? 1.0 : -1.0);
    __m256i t = _mm256_loadu_si256((const __m256i *)(const void *)(p + i));
    Z d = _mm512_cvtepi32_pd(t);
    return vsel_z(vgt_z(d, vset_z(0.0)), vset_z(1.0), vset_z(-1.0));
}

static inline void vstore_z(double *p, Z x) { _mm512_storeu_pd(p, x); }

static inline Z vtwo_sum_err_z(Z a, Z b, Z s)
{
    Z bb = vsub_z(s, a);
    return vadd_z(vsub_z(a, vsub_z(s, bb)), vsub_z(b, bb));
}

/* vtwo_sum_err_z(a, -b, s) for s = a - b, without forming -b (same result:
 * (-b) - bb = -(b + bb) exactly as rounded) */
static inline Z vtwo_diff_err_z(Z a, Z b, Z s)
{
    Z bb = vsub_z(s, a);
    return vsub_z(vsub_z(a, vsub_z(s, bb)), vadd_z(b, bb));
}

/* x - k ln2 in two parts (k integral, |k| small enough for exact products). */
static inline Z vexp8_reduce(Z x, Z k)
{
    Z r = _mm512_fnmadd_pd(k, vset_z(QPM__LN2_HI), x);
    r = _mm512_fnmadd_pd(k, vset_z(QPM__LN2_LO), r);
    return r;
}

/* q(r) = (e^r - 1 - r)/r^2 (see vexp_const.h), highest degree first. */
static inline Z vexp8_taylor_q(Z r)
{
    Z p = vset_z(QPM__EXPQ_10);
    p = vfma_z(p, r, vset_z(QPM__EXPQ_9));
    p = vfma_z(p, r, vset_z(QPM__EXPQ_8));
    p = vfma_z(p, r, vset_z(QPM__EXPQ_7));
    p = vfma_z(p, r, vset_z(QPM__EXPQ_6));
    p = vfma_z(p, r, vset_z(QPM__EXPQ_5));
    p = vfma_z(p, r, vset_z(QPM__EXPQ_4));
    p = vfma_z(p, r, vset_z(QPM__EXPQ_3));
    p = vfma_z(p, r, vset_z(QPM__EXPQ_2));
    p = vfma_z(p, r, vset_z(QPM__EXPQ_1));
    p = vfma_z(p, r, vset_z(QPM__EXPQ_0));
    return p;
}

/* exp: x = k ln2 + r, |r| <= ln2/2, e^r = 1 + r (1 + r q(r)) as in the
 * AVX2 kernel, then scalef (2^k with correct underflow to subnormals and 0).
 * vexp8_in_z takes x in [-1100, 709.78] as it is (the discount factors: the
 * screen bounds |r T| and |q T| by 700); vexp8_z clamps x to that range
 * first, and vexp8_neg_z, for x <= 0, only from below. */
static inline Z vexp8_in_z(Z x)
{
    Z k = _mm512_roundscale_pd(vmul_z(x, vset_z(QPM__LOG2E)),
                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    Z r = vexp8_reduce(x, k);
    Z p = vexp8_taylor_q(r);
    p = vfma_z(p, r, vset_z(1.0));
    p = vfma_z(p, r, vset_z(1.0));
    return _mm512_scalef_pd(p, k);
}

/* exp(-y), y in [-709.78, 1100], without forming -y: the same k and the same
 * reduced argument as vexp8_in_z(-y), so the same result */
static inline Z vexpneg8_in_z(Z y)
{
    Z k = _mm512_roundscale_pd(vmul_z(y, vset_z(-QPM__LOG2E)),
                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    Z r = _mm512_fnmsub_pd(k, vset_z(QPM__LN2_HI), y);
    r = _mm512_fnmadd_pd(k, vset_z(QPM__LN2_LO), r);
    Z p = vexp8_taylor_q(r);
    p = vfma_z(p, r, vset_z(1.0));
    p = vfma_z(p, r, vset_z(1.0));
    return _mm512_scalef_pd(p, k);
}

static inline Z vexp8_z(Z x)
{
    return vexp8_in_z(_mm512_min_pd(_mm512_max_pd(x, vset_z(-1100.0)), vset_z(709.78)));
}

static inline Z vexp8_neg_z(Z x) { return vexp8_in_z(_mm512_max_pd(x, vset_z(-1100.0))); }

/* log of finite x > 0: x = 2^e m with getexp/getmant (m in [1, 2)), then as
 * the AVX2 kernel: m in [sqrt(1/2), sqrt(2)), f = m - 1, s = f/(2+f). */
static inline Z vlog8_z(Z x)
{
    Z m = _mm512_getmant_pd(x, _MM_MANT_NORM_1_2, _MM_MANT_SIGN_zero);
    Z e = _mm512_getexp_pd(x);
    Mz big = vgt_z(m, vset_z(0x1.6a09e667f3bcdp+0));
    m = vsel_z(big, vmul_z(m, vset_z(0.5)), m);
    e = _mm512_mask_add_pd(e, big, e, vset_z(1.0));
    Z f = vsub_z(m, vset_z(1.0));
    Z hfsq = vmul_z(vmul_z(vset_z(0.5), f), f);
    Z sv = vdiv_z(f, vadd_z(vset_z(2.0), f));
    Z z = vmul_z(sv, sv);
    Z R = vset_z(2.0 / 23.0);
    R = vfma_z(R, z, vset_z(2.0 / 21.0));
    R = vfma_z(R, z, vset_z(2.0 / 19.0));
    R = vfma_z(R, z, vset_z(2.0 / 17.0));
    R = vfma_z(R, z, vset_z(2.0 / 15.0));
    R = vfma_z(R, z, vset_z(2.0 / 13.0));
    R = vfma_z(R, z, vset_z(2.0 / 11.0));
    R = vfma_z(R, z, vset_z(2.0 / 9.0));
    R = vfma_z(R, z, vset_z(2.0 / 7.0));
    R = vfma_z(R, z, vset_z(2.0 / 5.0));
    R = vfma_z(R, z, vset_z(2.0 / 3.0));
    R = vmul_z(R, z);
    Z t = vfma_z(sv, vadd_z(hfsq, R), vmul_z(e, vset_z(QPM__LN2_LO)));
    Z lm = vsub_z(vsub_z(hfsq, t), f);
    return vfms_z(e, vset_z(QPM__LN2_HI), lm);
}

/* expm1 for |x| < 1, as in the AVX2 kernel */
static inline Z vexpm1_8_z(Z x)
{
    Z k = _mm512_roundscale_pd(vmul_z(x, vset_z(QPM__LOG2E)),
                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    k = _mm512_max_pd(_mm512_min_pd(k, vset_z(1.0)), vset_z(-1.0));
    Z r = vexp8_reduce(x, k);
    Z p = vexp8_taylor_q(r);
    p = vmul_z(vfma_z(p, r, vset_z(1.0)), r);
    Z two_k = _mm512_scalef_pd(vset_z(1.0), k);
    return vfma_z(two_k, p, vsub_z(two_k, vset_z(1.0)));
}

/* Mills ratio R(z) = N(-z)/n(z) for 0 <= z (clamped at 40), the scheme of
 * mills_table.h with eight pieces, one per lane of a register, so that
 * degree 10 does (four pieces need 13): with w = 4/(z + 4) in (1/11, 1] cut
 * into eight equal pieces of half-width h = 5/88 and mid m_p, R(z) = w g(w),
 * g a polynomial in u = (w - m_p)/h = (4(1 - m_p)/h - (m_p/h) z)/(z + 4).
 * Coefficients: the degree-10 truncation of the Chebyshev interpolant of
 * degree 24 of g on each piece, computed with mpmath at 50 digits (R from
 * erfc and exp), converted to the monomial basis in u and rounded once, as
 * for the four-piece table: largest relative error of the rounded polynomial
 * 8.4e-17 over 401 points per piece (the four-piece, degree-13 table: 8.4e-17
 * by the same measure).  Rows: m_p/h, 4(1 - m_p)/h, then 4 times the
 * coefficients of u^0 .. u^10 (the factor 4 of w folded in, exactly). */
static _Alignas(64) const double mills_tab8[13][8] = {
    {0x1.099999999999ap+4, 0x1.d333333333334p+3, 0x1.9333333333333p+3, 0x1.5333333333333p+3,
     0x1.1333333333333p+3, 0x1.a666666666666p+2, 0x1.2666666666666p+2, 0x1.4cccccccccccdp+1},
    {0x1.ffffffffffff8p+1, 0x1.7fffffffffffep+3, 0x1.3ffffffffffffp+4, 0x1.c000000000000p+4,
     0x1.2000000000000p+5, 0x1.6000000000000p+5, 0x1.a000000000000p+5, 0x1.e000000000000p+5},
    {0x1.1b838bae46e29p+2, 0x1.bdd0edd34e9ecp+1, 0x1.633c9ae6eb7bfp+1, 0x1.1ff88c143f421p+1,
     0x1.dbece8d6de590p+0, 0x1.90f2004c8fa56p+0, 0x1.57ef09edebe46p+0, 0x1.2bcffc854c473p+0},
    {0x1.167b115cea792p-1, 0x1.a2516e50f50a3p-2, 0x1.37366a70c65b5p-2, 0x1.cde8db8e476e3p-3,
     0x1.588646f3bcc20p-3, 0x1.03ffa0e732538p-3, 0x1.8ee4ae58e5aa7p-4, 0x1.37bec5f31f3d0p-4},
    {0x1.3759a0b43b61ap-5, 0x1.e8b96d2caea9fp-6, 0x1.734c38c442720p-6, 0x1.12565e3d4f133p-6,
     0x1.8d54105df375fp-7, 0x1.1cd5e1a77a92bp-7, 0x1.987ab9555d6a3p-8, 0x1.278053f746dd5p-8},
    {0x1.75f34aa65f7ddp-10, 0x1.519c4b214c312p-10, 0x1.1ee7384e0cb70p-10, 0x1.cbbf47688263cp-11,
     0x1.5d306d031f966p-11, 0x1.fbf4e84000763p-12, 0x1.66cfe024b248dp-12, 0x1.f3e2c5ede441cp-13},
    {0x1.aeeb1930b3598p-17, 0x1.65f4b91efd533p-16, 0x1.ba5549d4dc872p-16, 0x1.cb0fd83f18b25p-16,
     0x1.a15815094cc8dp-16, 0x1.54e13941c708ep-16, 0x1.003a9334ab8c1p-16, 0x1.6bc27bafda345p-17},
    {-0x1.0719cc2151479p-20, -0x1.74b1fdbe0af06p-21, -0x1.43e1fb1aa6980p-22, 0x1.8ddffd17b5ab0p-24,
     0x1.97d954c530571p-22, 0x1.0ea239b6f0acbp-21, 0x1.051cafea459a9p-21, 0x1.a649b5feef3d5p-22},
    {-0x1.2a7b7ba508c67p-26, -0x1.fa55575103c96p-26, -0x1.27c57abca6210p-25, -0x1.fde356306d373p-26,
     -0x1.2a737832376d9p-26, -0x1.f9d970a66b44ap-29, 0x1.82bf8f9e061a6p-28, 0x1.3538bc87c0165p-27},
    {0x1.14b36e40c118ap-30, 0x1.6b5469b5a4bddp-31, 0x1.d78b239326a4fp-37, -0x1.6e28f6e1d60e4p-31,
     -0x1.164ff2409bb31p-30, -0x1.dde9579e17988p-31, -0x1.e774a0f2a6ca0p-32, -0x1.24a548b821acep-34},
    {0x1.64207336c69e4p-37, 0x1.1f9d4fede3909p-35, 0x1.8e770c462c749p-35, 0x1.37daf2530b6e0p-35,
     0x1.a6497dad951d3p-38, -0x1.78fc0d980ff86p-36, -0x1.ebc42cc7c3ff4p-36, -0x1.36e96ee82127fp-36},
    {-0x1.615673616b91ep-40, -0x1.39d0011feb93ep-40, -0x1.469a66183bdb8p-43, 0x1.5697dc4ff49f9p-40,
     0x1.ff2c0191e9e80p-40, 0x1.1eb6f69ad66f6p-40, -0x1.0a3b5408c85f4p-42, -0x1.9be91e1ce7813p-41},
    {0x1.81b29544dd141p-47, -0x1.f09622536fe6bp-46, -0x1.290a91accea0cp-44, -0x1.0be714439b0fap-44,
     0x1.bbae573caea60p-48, 0x1.21edbe9f68534p-44, 0x1.bbae041199bc7p-45, 0x1.faa71c48e2558p-50},
};

static inline Z vmills8_z(Z z)
{
    z = _mm512_min_pd(z, vset_z(QPM__RZMAX));
    Z rz = vdiv_z(vset_z(1.0), vadd_z(z, vset_z(4.0)));
    /* piece floor((1 - w) 8.8), w = 4 rz; 8 at z = 40 */
    Z pf = _mm512_fnmadd_pd(rz, vset_z(35.2), vset_z(8.8));
    pf = _mm512_min_pd(pf, vset_z(7.0));
    __m512i idx = _mm512_cvttpd_epi64(pf);
#define ROW(k) _mm512_permutexvar_pd(idx, _mm512_load_pd(mills_tab8[k]))
    Z u = vmul_z(_mm512_fnmadd_pd(ROW(0), z, ROW(1)), rz);
    Z g = ROW(12);
    g = vfma_z(g, u, ROW(11));
    g = vfma_z(g, u, ROW(10));
    g = vfma_z(g, u, ROW(9));
    g = vfma_z(g, u, ROW(8));
    g = vfma_z(g, u, ROW(7));
    g = vfma_z(g, u, ROW(6));
    g = vfma_z(g, u, ROW(5));
    g = vfma_z(g, u, ROW(4));
    g = vfma_z(g, u, ROW(3));
    g = vfma_z(g, u, ROW(2));
#undef ROW
    return vmul_z(rz, g);
}


/* Sixteen lanes as two interleaved AVX-512 registers: two independent
 * dependency chains per step for the out-of-order core. */
typedef struct {
    Z a, b;
} V;
#define ZB(name)                                                                           \
    static inline V name(V x, V y) { return (V){name##_z(x.a, y.a), name##_z(x.b, y.b)}; }
ZB(vadd)
ZB(vsub)
ZB(vmul)
ZB(vdiv)
ZB(vxor)
/* lane masks: one mask register per half */
typedef struct {
    Mz a, b;
} M;
#define ZC(name)                                                                           \
    static inline M name(V x, V y) { return (M){name##_z(x.a, y.a), name##_z(x.b, y.b)}; }
ZC(vgt)
ZC(vge)
ZC(vlt)
ZC(vngt)
ZC(vnge)
ZC(vnle)
static inline M mor(M x, M y) { return (M){(Mz)(x.a | y.a), (Mz)(x.b | y.b)}; }
static inline M mandnot(M x, M y) { return (M){(Mz)(~x.a & y.a), (Mz)(~x.b & y.b)}; }
/* lanes not in [DBL_MIN, DBL_MAX]: NaN, zero, infinite, subnormal or negative */
static inline M vnotnormal(V x)
{
    return (M){_mm512_fpclass_pd_mask(x.a, 0xFF), _mm512_fpclass_pd_mask(x.b, 0xFF)};
}
/* Non-finite accumulator in mask registers (the vector registers are all
 * taken): fpclass of each stored vector (QNaN, SNaN, +-Inf) or-ed in. */
typedef M NF;
static inline NF nf_init(void) { return (M){0, 0}; }
static inline NF nf_add(NF acc, V v)
{
    return (M){(Mz)(acc.a | _mm512_fpclass_pd_mask(v.a, 0x99)),
               (Mz)(acc.b | _mm512_fpclass_pd_mask(v.b, 0x99))};
}
static inline M nf_lanes(NF acc) { return acc; }
#define ZU(name)                                                                           \
    static inline V name(V x) { return (V){name##_z(x.a), name##_z(x.b)}; }
ZU(vneg)
ZU(vabs8)
ZU(vsqrt8)
ZU(vexp8)
ZU(vexp8_in)
ZU(vexpneg8_in)
ZU(vexp8_neg)
ZU(vlog8)
ZU(vexpm1_8)
ZU(vmills8)
static inline V vset(double x) { return (V){vset_z(x), vset_z(x)}; }
static inline V vfma(V x, V y, V z) { return (V){vfma_z(x.a, y.a, z.a), vfma_z(x.b, y.b, z.b)}; }
static inline V vfms(V x, V y, V z) { return (V){vfms_z(x.a, y.a, z.a), vfms_z(x.b, y.b, z.b)}; }
static inline V vfnma(V x, V y, V z) { return (V){vfnma_z(x.a, y.a, z.a), vfnma_z(x.b, y.b, z.b)}; }
static inline V vsel(M m, V t, V f) { return (V){vsel_z(m.a, t.a, f.a), vsel_z(m.b, t.b, f.b)}; }
static inline int vmask(M m) { return (int)m.a | ((int)m.b << 8); }
static inline V vload(const double *p, size_t stride, size_t i)
{
    return (V){vload_z(p, stride, i), vload_z(p, stride, i + 8)};
}
static inline V vload_phi(const int32_t *p, size_t stride, size_t i)
{
    return (V){vload_phi_z(p, stride, i), vload_phi_z(p, stride, i + 8)};
}
static inline void vstore(double *p, V x)
{
    vstore_z(p, x.a);
    vstore_z(p + 8, x.b);
}
static inline V vtwo_sum_err(V a, V b, V s)
{
    return (V){vtwo_sum_err_z(a.a, b.a, s.a), vtwo_sum_err_z(a.b, b.b, s.b)};
}
static inline V vtwo_diff_err(V a, V b, V s)
{
    return (V){vtwo_diff_err_z(a.a, b.a, s.a), vtwo_diff_err_z(a.b, b.b, s.b)};
}

/* Appends i + j for the lanes j of h that are set in `valid` to buf[c ..]
 * and returns the new count: per half, a compress into a register and a
 * full store (buf has room for 16 entries past c), no branch. */
static inline int vdefer(M h, int valid, size_t i, size_t *buf, int c)
{
    Mz ma = (Mz)(h.a & valid), mb = (Mz)(h.b & (valid >> 8));
    __m512i ia = _mm512_add_epi64(_mm512_set1_epi64((long long)i),
                                  _mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7));
    __m512i ib = _mm512_add_epi64(ia, _mm512_set1_epi64(8));
    _mm512_storeu_si512((void *)(buf + c), _mm512_maskz_compress_epi64(ma, ia));
    c += __builtin_popcount(ma);
    _mm512_storeu_si512((void *)(buf + c), _mm512_maskz_compress_epi64(mb, ib));
    return c + __builtin_popcount(mb);
}
#define QPM__DEFER_HARD 1

#define LANES 16
#include "black_lanes.h"

size_t qpm__black_kernel_avx512(const qpm__bjob *job, size_t begin, size_t end)
{
    if (job->model == QPM__BACH)
        return qpm__black_kernel_scalar(job, begin, end);
    if (job->model == QPM__BSM)
        return job->inverse ? run(job, begin, end, QPM__BSM, 1) : run(job, begin, end, QPM__BSM, 0);
    return job->inverse ? run(job, begin, end, QPM__B76, 1) : run(job, begin, end, QPM__B76, 0);
}

/* The scalar screen's tests as unsigned integer bounds on the bit patterns,
 * so that a step is a few vector operations and no mask register work:
 *   x > 0 and x <= DBL_MAX      <=>  bits(x) - 1 <= bits(DBL_MAX) - 1
 *   x >= 0 and x <= DBL_MAX     <=>  bits(x + 0.0) <= bits(DBL_MAX)  (-0.0 + 0.0 = +0.0)
 *   |x| <= c (c > 0 finite)     <=>  bits(|x|) <= bits(c)
 * (NaN and infinities have larger patterns).  Each accumulator keeps the
 * lane-wise unsigned maximum of its test's left-hand side. */
typedef struct {
    __m512i u, k, T, s, r, q;
} screen_acc;

static inline __m512i bits_z(Z x) { return _mm512_castpd_si512(x); }

static inline __attribute__((always_inline)) void screen8(screen_acc *a, const qpm__bjob *job,
                                                          size_t i, int bach, int contiguous)
{
    const __m512i one = _mm512_set1_epi64(1), absm = _mm512_set1_epi64(0x7FFFFFFFFFFFFFFFLL);
    const Z zero = vset_z(0.0);
#define LD(p, s) (contiguous ? _mm512_loadu_pd((p) + i) : vload_z((p), (s), i))
    Z u = LD(job->u, job->su), k = LD(job->k, job->sk), T = LD(job->t, job->st);
    Z sg = LD(job->sig, job->ssig);
    Z rT = vmul_z(LD(job->r, job->sr), T), qT = vmul_z(LD(job->q, job->sq), T);
#undef LD
    if (bach) {
        a->u = _mm512_max_epu64(a->u, _mm512_and_si512(bits_z(u), absm));
        a->k = _mm512_max_epu64(a->k, _mm512_and_si512(bits_z(k), absm));
    } else {
        a->u = _mm512_max_epu64(a->u, _mm512_sub_epi64(bits_z(u), one));
        a->k = _mm512_max_epu64(a->k, _mm512_sub_epi64(bits_z(k), one));
    }
    a->T = _mm512_max_epu64(a->T, bits_z(vadd_z(T, zero)));
    a->s = _mm512_max_epu64(a->s, bits_z(vadd_z(sg, zero)));
    a->r = _mm512_max_epu64(a->r, _mm512_and_si512(bits_z(rT), absm));
    a->q = _mm512_max_epu64(a->q, _mm512_and_si512(bits_z(qT), absm));
}

/* type is +-1: |type| == 1, eight elements */
static inline __m256i screen8_type(const int32_t *p, size_t stride, size_t i)
{
    __m256i ty = stride ? _mm256_loadu_si256((const __m256i *)(const void *)(p + i))
                        : _mm256_set1_epi32(p[0]);
    return _mm256_cmpeq_epi32(_mm256_abs_epi32(ty), _mm256_set1_epi32(1));
}

/* Same result as qpm__black_screen_scalar, eight elements per step; the
 * loop for contiguous arrays (the batch entry point) has no stride tests. */
int qpm__black_screen_avx512(const qpm__bjob *job, size_t n)
{
    const int bach = job->model == QPM__BACH;
    const int contiguous = job->su == 1 && job->sk == 1 && job->st == 1 && job->sr == 1 &&
                           job->sq == 1 && job->ssig == 1 && job->stype == 1;
    const __m512i z = _mm512_setzero_si512();
    screen_acc a = {z, z, z, z, z, z};
    __m256i tok = _mm256_set1_epi32(-1);
    size_t i = 0;
    if (contiguous && !bach) {
        for (; i + 8 <= n; i += 8) {
            screen8(&a, job, i, 0, 1);
            tok = _mm256_and_si256(tok, screen8_type(job->type, 1, i));
        }
    } else {
        for (; i + 8 <= n; i += 8) {
            screen8(&a, job, i, bach, 0);
            tok = _mm256_and_si256(tok, screen8_type(job->type, job->stype, i));
        }
    }
    const long long maxbits = 0x7FEFFFFFFFFFFFFFLL; /* DBL_MAX */
    double maxrt = QPM__MAX_RT;
    long long rtbits;
    memcpy(&rtbits, &maxrt, sizeof rtbits);
    __m512i lim = _mm512_set1_epi64(bach ? maxbits : maxbits - 1);
    __mmask8 bad = _mm512_cmpgt_epu64_mask(a.u, lim) | _mm512_cmpgt_epu64_mask(a.k, lim);
    lim = _mm512_set1_epi64(maxbits);
    bad |= _mm512_cmpgt_epu64_mask(a.T, lim) | _mm512_cmpgt_epu64_mask(a.s, lim);
    lim = _mm512_set1_epi64(rtbits);
    bad |= _mm512_cmpgt_epu64_mask(a.r, lim) | _mm512_cmpgt_epu64_mask(a.q, lim);
    int good = bad == 0 && _mm256_movemask_epi8(tok) == -1;
    if (i < n) {
        qpm__bjob tail = *job;
        tail.u += i * job->su, tail.k += i * job->sk, tail.t += i * job->st;
        tail.r += i * job->sr, tail.q += i * job->sq, tail.sig += i * job->ssig;
        tail.type += i * job->stype;
        good &= qpm__black_screen_scalar(&tail, n - i);
    }
    return good;
}

#if defined(__clang__)
#pragma clang attribute pop
#elif defined(__GNUC__)
#pragma GCC pop_options
#endif
