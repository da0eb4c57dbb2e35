/* AVX2+FMA kernel of the Black family: four options per step, the same
 * formulation and the same order of operations as the scalar reference in
 * black.c, with glibc's vector exp, log and erfc (libmvec).  Lanes in the
 * rare special regions (T = 0 or sigma = 0, or Black terms that cancel by
 * more than QPM__LMAX) are handed to the scalar reference, so they are
 * bit-identical to the scalar kernel.  Bachelier jobs run the scalar kernel.
 * Built with -mavx2 -mfma and called only after CPU detection. */
#include <float.h>
#include <immintrin.h>
#include <string.h>

#include "black.h"

/* glibc libmvec, AVX2 variants (x86_64 vector ABI). */
__m256d _ZGVdN4v_erfc(__m256d x);
__m256d _ZGVdN4v_expm1(__m256d x);

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

static inline V4 ncdf_tail_dd(V4 ah, V4 al, V4 na)
{
    V4 sgn = SEL(LT(ah, _mm256_setzero_pd()), SET1(-1.0), SET1(1.0));
    V4 h = MUL(sgn, ah), l = MUL(sgn, al);
    V4 u = MUL(h, SET1(QPM__RSQRT2_HI));
    V4 ue = ADD(_mm256_fmsub_pd(h, SET1(QPM__RSQRT2_HI), u), MUL(h, SET1(QPM__RSQRT2_LO)));
    V4 er = _ZGVdN4v_erfc(u);
    return SUB(MUL(SET1(0.5), er), MUL(na, ADD(l, MUL(SET1(QPM__SQRT2), ue))));
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

/* Output groups a block computes only when asked for. */
#define NEED(o) (1u << (o))

/* Four options; returns the mask of lanes the scalar path must redo.  The
 * operations mirror black_one() in black.c one for one. */
static inline __attribute__((always_inline)) int
block4(int model, int inverse, unsigned need, V4 u, V4 K, V4 T, V4 r, V4 q, V4 sig, V4 phi,
       V4 D, V4 Dq, V4 DqD, V4 res[QPM__NOUT])
{
    const V4 zero = _mm256_setzero_pd(), one = SET1(1.0), half = SET1(0.5);
    const V4 neg = SET1(-0.0);
    V4 S = u, F, x;
    V4 rS = DIV(one, S);
    V4 qt = DIV(S, K);
    V4 rem = _mm256_fmadd_pd(_mm256_xor_pd(qt, neg), K, S);
    if (model == QPM__BSM) {
        x = ADD(ADD(vlog(qt), MUL(rem, rS)), MUL(SUB(r, q), T));
        F = MUL(S, DqD);
    } else {
        q = r;
        x = ADD(vlog(qt), MUL(rem, rS));
        F = S;
    }
    V4 sqrtT = _mm256_sqrt_pd(T), s = MUL(sig, sqrtT);
    V4 y = vabs(x);
    V4 special = _mm256_or_pd(_mm256_cmp_pd(s, zero, _CMP_NGT_UQ), GT(y, MUL(SET1(1e10), s)));
    /* S/K out of the normal range: the scalar path takes logs separately */
    special = _mm256_or_pd(special, _mm256_or_pd(_mm256_cmp_pd(qt, SET1(DBL_MIN), _CMP_NGE_UQ),
                                                 _mm256_cmp_pd(qt, SET1(DBL_MAX), _CMP_NLE_UQ)));
    V4 rs = DIV(one, s);
    V4 m = MUL(y, rs), t = MUL(half, s);
    V4 mt = _mm256_xor_pd(t, neg);
    V4 a1 = SUB(m, t), a1e = two_sum_err(m, mt, a1);
    V4 a2 = ADD(m, t), a2e = two_sum_err(m, t, a2);
    V4 xpos = GT(x, zero);
    V4 small = SEL(xpos, K, F), big = SEL(xpos, F, K);
    V4 n1 = npdf_dd(a1, a1e);
    V4 n2 = MUL(n1, DIV(small, big));
    V4 p1 = ncdf_tail_dd(a1, a1e, n1);
    V4 p2 = ncdf_tail_dd(a2, a2e, n2);
    V4 a1pos = GE(a1, zero);
    V4 P1 = SEL(a1pos, p1, SUB(one, p1));
    V4 A1 = SEL(a1pos, SUB(one, p1), p1);
    V4 first = MUL(small, P1);
    V4 otm = SUB(first, MUL(big, p2));
    V4 hard = _mm256_andnot_pd(special,
                               _mm256_cmp_pd(MUL(otm, SET1(QPM__LMAX)), first, _CMP_NGT_UQ));
    int hmask = _mm256_movemask_pd(hard);
    if (hmask != 0) {
        /* Rare: the two Black terms cancel; take the Mills-ratio difference
         * lane by lane, exactly as the scalar path does. */
        double a1v[4], sv[4], dv[4];
        _mm256_storeu_pd(a1v, a1);
        _mm256_storeu_pd(sv, s);
        for (int j = 0; j < 4; j++)
            dv[j] = hmask & (1 << j) ? qpm__mills_diff(a1v[j], sv[j]) : 0.0;
        otm = SEL(hard, MUL(MUL(small, n1), _mm256_loadu_pd(dv)), otm);
    }

    V4 Nd1 = SEL(xpos, SUB(one, p2), P1);
    V4 Nmd1 = SEL(xpos, p2, A1);
    V4 Nd2 = SEL(xpos, A1, p2);
    V4 Nmd2 = SEL(xpos, P1, SUB(one, p2));
    V4 nd1 = SEL(xpos, n2, n1);
    V4 d1 = SEL(xpos, a2, _mm256_xor_pd(a1, neg));
    V4 d2 = SEL(xpos, a1, _mm256_xor_pd(a2, neg));
    V4 call = GT(phi, zero);
    V4 Nphid1 = SEL(call, Nd1, Nmd1), Nphid2 = SEL(call, Nd2, Nmd2);
    V4 fk = SUB(F, K);
    if (model == QPM__BSM)
        fk = SEL(LT(y, one), MUL(K, _ZGVdN4v_expm1(x)), fk);
    V4 intrinsic = SEL(GT(MUL(phi, x), zero), MUL(phi, fk), zero);
    V4 V = MUL(D, ADD(intrinsic, otm));
    V4 delta = MUL(MUL(phi, Dq), Nphid1);
    V4 dens = MUL(Dq, nd1);
    V4 rsqT = MUL(sig, rs);
    V4 rsig = MUL(sqrtT, rs);
    V4 vega = MUL(MUL(S, dens), sqrtT);
    res[QPM__O_DELTA] = delta;
    res[QPM__O_VEGA] = vega;
    if (need & NEED(QPM__O_GAMMA))
        res[QPM__O_GAMMA] = MUL(MUL(dens, rs), rS);
    if (need & NEED(QPM__O_THETA))
        res[QPM__O_THETA] = SUB(SUB(MUL(r, V), MUL(MUL(S, dens), MUL(MUL(half, sig), rsqT))),
                                MUL(MUL(SUB(r, q), S), delta));
    if (model == QPM__BSM) {
        if (need & NEED(QPM__O_RHO))
            res[QPM__O_RHO] = MUL(MUL(MUL(MUL(phi, K), T), D), Nphid2);
        if (need & NEED(QPM__O_RHO_Q))
            res[QPM__O_RHO_Q] = MUL(MUL(MUL(MUL(_mm256_xor_pd(phi, neg), S), T), Dq), Nphid1);
    } else {
        res[QPM__O_RHO] = MUL(_mm256_xor_pd(T, neg), V);
        res[QPM__O_RHO_Q] = zero;
    }
    if (need & NEED(QPM__O_VANNA))
        res[QPM__O_VANNA] = MUL(MUL(_mm256_xor_pd(dens, neg), d2), rsig);
    if (need & NEED(QPM__O_VOLGA))
        res[QPM__O_VOLGA] = MUL(MUL(MUL(vega, d1), d2), rsig);
    if (need & NEED(QPM__O_CHARM)) {
        V4 br = SUB(MUL(SUB(r, q), rs), MUL(MUL(half, d2), MUL(rsqT, rsqT)));
        res[QPM__O_CHARM] = SUB(MUL(q, delta), MUL(dens, br));
    }
    res[QPM__O_PRICE_USD] = V;
    if (inverse) {
        V4 rF = model == QPM__BSM ? DIV(one, F) : rS;
        res[QPM__O_PRICE] = MUL(V, rF);
        res[QPM__O_DELTA_COIN] = MUL(MUL(MUL(phi, D), MUL(K, rF)), Nphid2);
    } else {
        res[QPM__O_PRICE] = V;
        res[QPM__O_DELTA_COIN] = MUL(MUL(phi, D), Nphid1);
    }
    return _mm256_movemask_pd(special);
}

static inline __attribute__((always_inline)) void run(const qpm__bjob *job, size_t begin,
                                                      size_t end, int model, int inverse)
{
    const int uniform = job->st == 0 && job->sr == 0 && job->sq == 0;
    V4 Dpre = _mm256_setzero_pd(), Dqpre = Dpre, DqDpre = Dpre;
    if (uniform) {
        double T = job->t[0], r = job->r[0], q = model == QPM__BSM ? job->q[0] : job->r[0];
        Dpre = vexp(SET1(-r * T));
        Dqpre = model == QPM__BSM ? vexp(SET1(-q * T)) : Dpre;
        DqDpre = DIV(Dqpre, Dpre);
    }
    double *const *out = job->out;
    unsigned need = 0;
    for (int o = 0; o < QPM__NOUT; o++)
        if (out[o] != NULL)
            need |= NEED(o);
    for (size_t i = begin; i < end; i += 4) {
        size_t nv = end - i < 4 ? end - i : 4;
        V4 u, K, T, r, q, sig, phi;
        if (nv == 4) {
            u = load_d(job->u, job->su, i);
            K = load_d(job->k, job->sk, i);
            T = load_d(job->t, job->st, i);
            r = load_d(job->r, job->sr, i);
            q = load_d(job->q, job->sq, i);
            sig = load_d(job->sig, job->ssig, i);
            phi = load_phi(job->type, job->stype, i);
        } else {
            /* Tail: pad with copies of the last element, so that each lane
             * computes exactly what a full block would. */
            double bu[4], bk[4], bt[4], br[4], bq[4], bs[4];
            int32_t bty[4];
            for (size_t j = 0; j < 4; j++) {
                size_t e = i + (j < nv ? j : nv - 1);
                bu[j] = job->u[e * job->su];
                bk[j] = job->k[e * job->sk];
                bt[j] = job->t[e * job->st];
                br[j] = job->r[e * job->sr];
                bq[j] = job->q[e * job->sq];
                bs[j] = job->sig[e * job->ssig];
                bty[j] = job->type[e * job->stype];
            }
            u = _mm256_loadu_pd(bu), K = _mm256_loadu_pd(bk), T = _mm256_loadu_pd(bt);
            r = _mm256_loadu_pd(br), q = _mm256_loadu_pd(bq), sig = _mm256_loadu_pd(bs);
            phi = load_phi(bty, 1, 0);
        }
        V4 D, Dq, DqD;
        if (uniform) {
            D = Dpre, Dq = Dqpre, DqD = DqDpre;
        } else {
            D = vexp(MUL(_mm256_xor_pd(r, SET1(-0.0)), T));
            Dq = model == QPM__BSM ? vexp(MUL(_mm256_xor_pd(q, SET1(-0.0)), T)) : D;
            DqD = model == QPM__BSM ? DIV(Dq, D) : D;
        }
        V4 res[QPM__NOUT];
        for (int o = 0; o < QPM__NOUT; o++)
            res[o] = _mm256_setzero_pd();
        int special = block4(model, inverse, need, u, K, T, r, q, sig, phi, D, Dq, DqD, res);
        if (special == 0 && nv == 4) {
            for (int o = 0; o < QPM__NOUT; o++)
                if (out[o] != NULL)
                    _mm256_storeu_pd(out[o] + i, res[o]);
            continue;
        }
        double tmp[QPM__NOUT][4];
        for (int o = 0; o < QPM__NOUT; o++)
            _mm256_storeu_pd(tmp[o], res[o]);
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
