/* AVX2+FMA kernel of the Black family: four options per step, the same
 * formulation and the same order of operations as the scalar reference in
 * black.c, with glibc's vector exp, log and erfc (libmvec).  Lanes in the
 * rare special regions (T = 0 or sigma = 0, or Black terms that cancel by
 * more than QPM__LMAX) are handed to the scalar reference, so they are
 * bit-identical to the scalar kernel.  Bachelier jobs run the scalar kernel.
 * Built with -mavx2 -mfma and called only after CPU detection. */
#include <immintrin.h>
#include <string.h>

#include "black.h"

/* glibc libmvec, AVX2 variants (x86_64 vector ABI). */
__m256d _ZGVdN4v_exp(__m256d x);
__m256d _ZGVdN4v_log(__m256d x);
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

static inline V4 two_sum_err(V4 a, V4 b, V4 s)
{
    V4 bb = SUB(s, a);
    return ADD(SUB(a, SUB(s, bb)), SUB(b, bb));
}

static inline V4 log_ratio(V4 a, V4 b)
{
    V4 q = DIV(a, b);
    V4 rem = _mm256_fmadd_pd(_mm256_xor_pd(q, SET1(-0.0)), b, a);
    return ADD(_ZGVdN4v_log(q), DIV(rem, MUL(q, b)));
}

static inline V4 npdf_dd(V4 ah, V4 al)
{
    V4 p = MUL(ah, ah);
    V4 e = ADD(_mm256_fmsub_pd(ah, ah, p), MUL(MUL(SET1(2.0), ah), al));
    V4 ex = _ZGVdN4v_exp(MUL(SET1(-0.5), p));
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

/* Four options; returns the mask of lanes the scalar path must redo. */
static inline __attribute__((always_inline)) int
block4(int model, int inverse, V4 u, V4 K, V4 T, V4 r, V4 q, V4 sig, V4 phi, V4 D, V4 Dq,
       V4 res[QPM__NOUT])
{
    const V4 zero = _mm256_setzero_pd(), one = SET1(1.0), half = SET1(0.5);
    V4 S, F, x;
    if (model == QPM__BSM) {
        S = u;
        x = ADD(log_ratio(S, K), MUL(SUB(r, q), T));
        F = DIV(MUL(S, Dq), D);
    } else {
        S = F = u;
        q = r;
        x = log_ratio(F, K);
    }
    V4 sqrtT = _mm256_sqrt_pd(T), s = MUL(sig, sqrtT);
    V4 y = vabs(x);
    V4 special = _mm256_or_pd(_mm256_cmp_pd(s, zero, _CMP_NGT_UQ), GT(y, MUL(SET1(1e10), s)));
    V4 m = DIV(y, s), t = MUL(half, s);
    V4 mt = _mm256_xor_pd(t, SET1(-0.0));
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
    V4 hard = _mm256_cmp_pd(MUL(otm, SET1(QPM__LMAX)), first, _CMP_NGT_UQ);
    special = _mm256_or_pd(special, hard);

    V4 Nd1 = SEL(xpos, SUB(one, p2), P1);
    V4 Nmd1 = SEL(xpos, p2, A1);
    V4 Nd2 = SEL(xpos, A1, p2);
    V4 Nmd2 = SEL(xpos, P1, SUB(one, p2));
    V4 nd1 = SEL(xpos, n2, n1);
    V4 d1 = SEL(xpos, a2, _mm256_xor_pd(a1, SET1(-0.0)));
    V4 d2 = SEL(xpos, a1, _mm256_xor_pd(a2, SET1(-0.0)));
    V4 call = GT(phi, zero);
    V4 Nphid1 = SEL(call, Nd1, Nmd1), Nphid2 = SEL(call, Nd2, Nmd2);
    V4 fk = model == QPM__BSM ? MUL(K, _ZGVdN4v_expm1(x)) : SUB(F, K);
    V4 intrinsic = SEL(GT(MUL(phi, x), zero), MUL(phi, fk), zero);
    V4 V = MUL(D, ADD(intrinsic, otm));
    V4 delta = MUL(MUL(phi, Dq), Nphid1);
    V4 dens = MUL(Dq, nd1);
    V4 vega = MUL(MUL(S, dens), sqrtT);
    res[QPM__O_DELTA] = delta;
    res[QPM__O_GAMMA] = DIV(dens, MUL(S, s));
    res[QPM__O_VEGA] = vega;
    res[QPM__O_THETA] = SUB(SUB(MUL(r, V), DIV(MUL(MUL(S, dens), sig), MUL(SET1(2.0), sqrtT))),
                            MUL(MUL(SUB(r, q), S), delta));
    if (model == QPM__BSM) {
        res[QPM__O_RHO] = MUL(MUL(MUL(MUL(phi, K), T), D), Nphid2);
        res[QPM__O_RHO_Q] =
            MUL(MUL(MUL(MUL(_mm256_xor_pd(phi, SET1(-0.0)), S), T), Dq), Nphid1);
    } else {
        res[QPM__O_RHO] = MUL(_mm256_xor_pd(T, SET1(-0.0)), V);
        res[QPM__O_RHO_Q] = zero;
    }
    res[QPM__O_VANNA] = DIV(MUL(_mm256_xor_pd(dens, SET1(-0.0)), d2), sig);
    res[QPM__O_VOLGA] = DIV(MUL(MUL(vega, d1), d2), sig);
    V4 br = SUB(MUL(MUL(SET1(2.0), SUB(r, q)), T), MUL(d2, s));
    res[QPM__O_CHARM] =
        SUB(MUL(q, delta), DIV(MUL(dens, br), MUL(MUL(SET1(2.0), T), s)));
    res[QPM__O_PRICE_USD] = V;
    if (inverse) {
        res[QPM__O_PRICE] = DIV(V, F);
        res[QPM__O_DELTA_COIN] = MUL(MUL(MUL(phi, D), DIV(K, F)), Nphid2);
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
    V4 Dpre = _mm256_setzero_pd(), Dqpre = Dpre;
    if (uniform) {
        double T = job->t[0], r = job->r[0], q = model == QPM__BSM ? job->q[0] : job->r[0];
        Dpre = _ZGVdN4v_exp(SET1(-r * T));
        Dqpre = model == QPM__BSM ? _ZGVdN4v_exp(SET1(-q * T)) : Dpre;
    }
    double *const *out = job->out;
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
        V4 D, Dq;
        if (uniform) {
            D = Dpre, Dq = Dqpre;
        } else {
            D = _ZGVdN4v_exp(MUL(_mm256_xor_pd(r, SET1(-0.0)), T));
            Dq = model == QPM__BSM ? _ZGVdN4v_exp(MUL(_mm256_xor_pd(q, SET1(-0.0)), T)) : D;
        }
        V4 res[QPM__NOUT];
        int special = block4(model, inverse, u, K, T, r, q, sig, phi, D, Dq, res);
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
