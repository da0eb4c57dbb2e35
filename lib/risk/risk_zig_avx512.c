/* QPM_RISK_NORMALS_ZIGGURAT, AVX-512 F + DQ build (without contraction):
 * the eight lanes of a block step together, one scenario per lane at a
 * time, their xoshiro256++ generators in four vectors (shifts, rotations,
 * additions and xors only); a ziggurat draw accepted at once is eight
 * 16-byte row loads (faster than two gathers) and one multiplication.
 * The lanes whose draw is not accepted at once (one vector in thirty) run
 * the wedge test and their redraws in the lanes too, under a mask (the
 * lanes not in it keep their generator state), and so do the gamma
 * proposals that fail the squeeze (half of the vectors), and the
 * chi-squares of an integer nu (a product of uniforms and one log), with
 * num/v8math.h's exp and log, whose lanes have the bits of the scalar
 * code's (rng_zig.c); only the tail beyond r (a draw in 300,000), an
 * output of 0 bits and the jumps (the lanes' pcg streams) leave the lanes
 * for that code.  So each lane's numbers are those of risk_zig.c's scalar
 * pass. */
#include <immintrin.h>
#include <string.h>

#include "num/v8math.h"
#include "risk_zig.h"

#define ZIG_INLINE static inline __attribute__((always_inline))

typedef struct lanes8 {
    __m512i s0, s1, s2, s3; /* xoshiro256++ */
} lanes8;

/* qpm__xo_next on the lanes of `act` (the others keep their state; their
 * output is not used) */
ZIG_INLINE __m512i xo8(lanes8 *g, __mmask8 act)
{
    __m512i s0 = g->s0, s1 = g->s1, s2 = g->s2, s3 = g->s3;
    __m512i out = _mm512_add_epi64(_mm512_rol_epi64(_mm512_add_epi64(s0, s3), 23), s0);
    __m512i t = _mm512_slli_epi64(s1, 17);
    s2 = _mm512_xor_si512(s2, s0);
    s3 = _mm512_xor_si512(s3, s1);
    s1 = _mm512_xor_si512(s1, s2);
    s0 = _mm512_xor_si512(s0, s3);
    s2 = _mm512_xor_si512(s2, t);
    s3 = _mm512_rol_epi64(s3, 45);
    g->s0 = _mm512_mask_mov_epi64(g->s0, act, s0);
    g->s1 = _mm512_mask_mov_epi64(g->s1, act, s1);
    g->s2 = _mm512_mask_mov_epi64(g->s2, act, s2);
    g->s3 = _mm512_mask_mov_epi64(g->s3, act, s3);
    return out;
}

ZIG_INLINE void lanes_out(const lanes8 *g, qpm__zig_lanes *L)
{
    _mm512_storeu_si512((void *)L->x0, g->s0);
    _mm512_storeu_si512((void *)L->x1, g->s1);
    _mm512_storeu_si512((void *)L->x2, g->s2);
    _mm512_storeu_si512((void *)L->x3, g->s3);
}

ZIG_INLINE void lanes_in(lanes8 *g, const qpm__zig_lanes *L)
{
    g->s0 = _mm512_loadu_si512((const void *)L->x0);
    g->s1 = _mm512_loadu_si512((const void *)L->x1);
    g->s2 = _mm512_loadu_si512((const void *)L->x2);
    g->s3 = _mm512_loadu_si512((const void *)L->x3);
}

/* the point of output b: layer, 53 bits j, x = j w[layer] with b's sign;
 * accepted at once where j < k[layer] */
ZIG_INLINE __m512d zig_point(__m512i b, __m512i *idx, __mmask8 *ok)
{
    *idx = _mm512_and_si512(b, _mm512_set1_epi64(QPM__ZIG_N - 1));
    __m512i j = _mm512_srli_epi64(b, 11);
    /* the eight rows {k, w}, two to a 128-bit quarter, then split */
    uint64_t ix[8];
    _mm512_storeu_si512((void *)ix, *idx);
    const qpm__zig_layer *t = qpm__zig_kw;
#define ROW(l) _mm_loadu_si128((const __m128i *)(const void *)(t + ix[l]))
    __m512i a = _mm512_castsi128_si512(ROW(0)), c = _mm512_castsi128_si512(ROW(4));
    a = _mm512_inserti64x2(a, ROW(1), 1);
    a = _mm512_inserti64x2(a, ROW(2), 2);
    a = _mm512_inserti64x2(a, ROW(3), 3);
    c = _mm512_inserti64x2(c, ROW(5), 1);
    c = _mm512_inserti64x2(c, ROW(6), 2);
    c = _mm512_inserti64x2(c, ROW(7), 3);
#undef ROW
    __m512i k = _mm512_permutex2var_epi64(a, _mm512_set_epi64(14, 12, 10, 8, 6, 4, 2, 0), c);
    __m512d wv = _mm512_castsi512_pd(
        _mm512_permutex2var_epi64(a, _mm512_set_epi64(15, 13, 11, 9, 7, 5, 3, 1), c));
    __m512d x = _mm512_mul_pd(_mm512_cvtepu64_pd(j), wv);
    __m512i sign = _mm512_and_si512(_mm512_slli_epi64(b, 63 - QPM__ZIG_BITS),
                                    _mm512_set1_epi64((long long)0x8000000000000000ull));
    *ok = _mm512_cmplt_epu64_mask(j, k);
    return _mm512_castsi512_pd(_mm512_xor_si512(_mm512_castpd_si512(x), sign));
}

/* The lanes of `pend`, whose point (output b, value x) was not accepted
 * at once, finished as qpm__zig_finish_xo does, lane by lane: the
 * wedge tests and redraws in the lanes, the tail beyond r by the scalar
 * code; the results into res's lanes. */
static __m512d zig_fix(lanes8 *g, qpm__zig_lanes *L, __m512i b, __m512d x, __mmask8 pend,
                       __m512d res)
{
    __m512i idx = _mm512_and_si512(b, _mm512_set1_epi64(QPM__ZIG_N - 1));
    __mmask8 ok;
    while (pend != 0) {
        __mmask8 tail = pend & _mm512_cmpeq_epi64_mask(idx, _mm512_setzero_si512());
        if (tail != 0) {
            uint64_t bb[8];
            double rr[8];
            _mm512_storeu_si512((void *)bb, b);
            _mm512_storeu_pd(rr, res);
            lanes_out(g, L);
            for (unsigned l = 0; l < 8; l++)
                if ((tail >> l) & 1u) {
                    qpm__xo w = qpm__zig_xo_load(L, l);
                    rr[l] = qpm__zig_finish_xo(&w, bb[l]);
                    qpm__zig_xo_store(L, l, &w);
                }
            lanes_in(g, L);
            res = _mm512_loadu_pd(rr);
            pend &= (__mmask8)~tail;
            if (pend == 0)
                break;
        }
        /* the wedge: a height between the layer's bottom and top, below
         * the density or not */
        __m512d u = _mm512_mul_pd(_mm512_cvtepu64_pd(_mm512_srli_epi64(xo8(g, pend), 11)),
                                  _mm512_set1_pd(0x1.0p-53));
        __m512d f0 = _mm512_i64gather_pd(idx, qpm__zig_f, 8);
        __m512d f1 = _mm512_i64gather_pd(idx, qpm__zig_f + 1, 8);
        __m512d y = _mm512_add_pd(f0, _mm512_mul_pd(u, _mm512_sub_pd(f1, f0)));
        v8d t = (v8d)_mm512_mul_pd(_mm512_mul_pd(_mm512_set1_pd(-0.5), x), x);
        __m512d dens = (__m512d)v8_exp(t);
        __mmask8 in = pend & _mm512_cmp_pd_mask(y, dens, _CMP_LT_OQ);
        res = _mm512_mask_mov_pd(res, in, x);
        pend &= (__mmask8)~in;
        if (pend == 0)
            break;
        /* rejected: a new point */
        b = xo8(g, pend);
        x = zig_point(b, &idx, &ok);
        res = _mm512_mask_mov_pd(res, pend & ok, x);
        pend &= (__mmask8)~ok;
    }
    return res;
}

/* ziggurat normals for the lanes of `act` (qpm__zig_normal, lane by
 * lane); other lanes draw nothing and give 0 */
ZIG_INLINE __m512d zig8(lanes8 *g, qpm__zig_lanes *L, __mmask8 act)
{
    __m512i b = xo8(g, act), idx;
    __mmask8 ok;
    __m512d x = zig_point(b, &idx, &ok);
    __m512d res = _mm512_maskz_mov_pd(ok & act, x);
    __mmask8 pend = act & (__mmask8)~ok;
    if (QPM__UNLIKELY(pend != 0))
        res = zig_fix(g, L, b, x, pend, res);
    return res;
}

/* the normals of underlyings u0..u0+c-1 (c <= 8) into their rows of pgt
 * (pgt + u * P), as risk_zig.c's scalar pass draws them: the c first
 * points of every lane, then, underlying by underlying, the lanes whose
 * point was not accepted at once finished */
ZIG_INLINE void zig_rows(lanes8 *g, qpm__zig_lanes *L, size_t c, double *row, size_t P)
{
    __m512i bs[8];
    __mmask8 oks[8];
    for (size_t k = 0; k < c; k++) {
        __m512i idx;
        bs[k] = xo8(g, 0xff);
        _mm512_storeu_pd(row + k * P, zig_point(bs[k], &idx, &oks[k]));
    }
    for (size_t k = 0; k < c; k++)
        if (QPM__UNLIKELY(oks[k] != 0xff)) {
            __m512d res = _mm512_loadu_pd(row + k * P); /* the points, accepted or not */
            _mm512_storeu_pd(row + k * P, zig_fix(g, L, bs[k], res, (__mmask8)~oks[k], res));
        }
}

/* num/vlanes.h's log (v8_log) for lanes that are all positive normal
 * numbers, with its operations (so its bits); the other case goes to it */
ZIG_INLINE __m512d log8(__m512d u)
{
    __mmask8 fine = _mm512_cmp_pd_mask(u, _mm512_set1_pd(2.2250738585072014e-308), _CMP_GE_OQ) &
                    _mm512_cmp_pd_mask(u, _mm512_set1_pd(1.7976931348623157e308), _CMP_LE_OQ);
    if (QPM__UNLIKELY(fine != 0xff))
        return (__m512d)v8_log((v8d)u);
    const __m512d one = _mm512_set1_pd(1.0);
    __m512i b = _mm512_castpd_si512(u);
    __m512d m = _mm512_castsi512_pd(
        _mm512_or_si512(_mm512_and_si512(b, _mm512_set1_epi64(0x000FFFFFFFFFFFFFLL)),
                        _mm512_set1_epi64(0x3FF0000000000000LL)));
    __m512i e =
        _mm512_sub_epi64(_mm512_and_si512(_mm512_srli_epi64(b, 52), _mm512_set1_epi64(0x7FF)),
                         _mm512_set1_epi64(1023));
    __mmask8 big = _mm512_cmp_pd_mask(m, _mm512_set1_pd(1.41421356237309504880), _CMP_GT_OQ);
    m = _mm512_mask_mul_pd(m, big, m, _mm512_set1_pd(0.5));
    e = _mm512_mask_add_epi64(e, big, e, _mm512_set1_epi64(1));
    __m512d dk = _mm512_sub_pd(
        _mm512_castsi512_pd(_mm512_add_epi64(_mm512_castpd_si512(_mm512_set1_pd(0x1.8p52)), e)),
        _mm512_set1_pd(0x1.8p52));
    __m512d f = _mm512_sub_pd(m, one);
    __m512d sv = _mm512_div_pd(f, _mm512_add_pd(_mm512_set1_pd(2.0), f));
    __m512d z = _mm512_mul_pd(sv, sv), w = _mm512_mul_pd(z, z);
#define C(x) _mm512_set1_pd(x)
    __m512d t1 = _mm512_mul_pd(
        w,
        _mm512_add_pd(C(QPM__LG2),
                      _mm512_mul_pd(w, _mm512_add_pd(C(QPM__LG4), _mm512_mul_pd(w, C(QPM__LG6))))));
    __m512d t2 = _mm512_mul_pd(
        z,
        _mm512_add_pd(
            C(QPM__LG1),
            _mm512_mul_pd(
                w, _mm512_add_pd(C(QPM__LG3),
                                 _mm512_mul_pd(w, _mm512_add_pd(C(QPM__LG5),
                                                                _mm512_mul_pd(w, C(QPM__LG7))))))));
    __m512d R = _mm512_add_pd(t2, t1);
    __m512d hfsq = _mm512_mul_pd(_mm512_mul_pd(C(0.5), f), f);
    /* dk ln2_hi - ((hfsq - (s (hfsq + R) + dk ln2_lo)) - f) */
    __m512d inner = _mm512_add_pd(_mm512_mul_pd(sv, _mm512_add_pd(hfsq, R)),
                                  _mm512_mul_pd(dk, C(QPM__V4_LN2_LO)));
    __m512d l = _mm512_sub_pd(_mm512_mul_pd(dk, C(QPM__V4_LN2_HI)),
                              _mm512_sub_pd(_mm512_sub_pd(hfsq, inner), f));
#undef C
    return l;
}

/* 1 - v + log v for v = (1 + w)^3, lane by lane as rng_zig.c's log_term */
ZIG_INLINE __m512d log_term8(__m512d w, __m512d v)
{
    __m512d ser;
    QPM__MT_SERIES(__m512d, w, ser);
    __m512d full = _mm512_add_pd(_mm512_sub_pd(_mm512_set1_pd(1.0), v), log8(v));
    __mmask8 small = _mm512_cmp_pd_mask(_mm512_abs_pd(w), _mm512_set1_pd(0.05), _CMP_LT_OQ);
    return _mm512_mask_mov_pd(full, small, ser);
}

/* eight Gamma(a) draws, a >= 1, one per lane (qpm__gamma_zig_xo, lane
 * by lane) */
ZIG_INLINE __m512d gamma8(lanes8 *g, qpm__zig_lanes *L, const qpm__gamma_par *gp)
{
    const __m512d one = _mm512_set1_pd(1.0), dv = _mm512_set1_pd(gp->d);
    __m512d res = _mm512_setzero_pd();
    __mmask8 act = 0xff;
    while (act != 0) {
        __m512d x = zig8(g, L, act);
        __m512d cx = _mm512_mul_pd(_mm512_set1_pd(gp->c), x);
        /* cx <= -1: a new proposal before any uniform */
        __mmask8 go = act & _mm512_cmp_pd_mask(cx, _mm512_set1_pd(-1.0), _CMP_GT_OQ);
        __m512d v1 = _mm512_add_pd(one, cx);
        __m512d v = _mm512_mul_pd(_mm512_mul_pd(v1, v1), v1);
        __m512i k = _mm512_srli_epi64(xo8(g, go), 11);
        __mmask8 zero = go & _mm512_cmpeq_epi64_mask(k, _mm512_setzero_si512());
        go &= (__mmask8)~zero;
        __m512d u = _mm512_mul_pd(_mm512_cvtepu64_pd(k), _mm512_set1_pd(0x1.0p-53));
        __m512d x2 = _mm512_mul_pd(x, x);
        __m512d sq =
            _mm512_sub_pd(one, _mm512_mul_pd(_mm512_mul_pd(_mm512_set1_pd(0.0331), x2), x2));
        __mmask8 in = go & _mm512_cmp_pd_mask(u, sq, _CMP_LT_OQ);
        __mmask8 rest = go & (__mmask8)~in;
        if (rest != 0) {
            __m512d lu = log8(u);
            __m512d rhs = _mm512_add_pd(_mm512_mul_pd(_mm512_set1_pd(0.5), x2),
                                        _mm512_mul_pd(dv, log_term8(cx, v)));
            in |= rest & _mm512_cmp_pd_mask(lu, rhs, _CMP_LT_OQ);
        }
        res = _mm512_mask_mov_pd(res, in, _mm512_mul_pd(dv, v));
        act &= (__mmask8)~in;
        if (QPM__UNLIKELY(zero != 0)) {
            /* an output of 0 bits: redrawn by the scalar code */
            double rr[8], xs[8], cxs[8], vs[8];
            _mm512_storeu_pd(rr, res);
            _mm512_storeu_pd(xs, x);
            _mm512_storeu_pd(cxs, cx);
            _mm512_storeu_pd(vs, v);
            lanes_out(g, L);
            for (unsigned l = 0; l < 8; l++)
                if ((zero >> l) & 1u) {
                    qpm__xo w = qpm__zig_xo_load(L, l);
                    rr[l] = qpm__gamma_zig_after_xo(&w, gp, xs[l], cxs[l], vs[l], 0);
                    qpm__zig_xo_store(L, l, &w);
                }
            lanes_in(g, L);
            res = _mm512_loadu_pd(rr);
            act &= (__mmask8)~zero;
        }
    }
    return res;
}

/* the lanes' chi-squares (qpm__zig_chi_xo, lane by lane) */
ZIG_INLINE __m512d chi8(lanes8 *g, qpm__zig_lanes *L, const qpm__zig_par *zp)
{
    if (zp->chi_k == 0)
        return _mm512_mul_pd(_mm512_set1_pd(2.0), gamma8(g, L, &zp->gp));
    const __m512i one = _mm512_set1_epi64(1);
    __m512d p = _mm512_set1_pd(1.0);
    for (int i = 0; i < zp->chi_k; i++) {
        __m512i k = _mm512_add_epi64(_mm512_srli_epi64(xo8(g, 0xff), 11), one);
        p = _mm512_mul_pd(p, _mm512_mul_pd(_mm512_cvtepu64_pd(k), _mm512_set1_pd(0x1.0p-53)));
    }
    __m512d chi = _mm512_mul_pd(_mm512_set1_pd(-2.0), log8(p));
    if (zp->chi_odd) {
        __m512d z = zig8(g, L, 0xff);
        chi = _mm512_add_pd(chi, _mm512_mul_pd(z, z));
    }
    return chi;
}

void qpm__risk_zig_pass_avx512(qpm__risk_worker *w, qpm__zig_lanes *L, size_t m, size_t n)
{
    enum { P = QPM__RISK_PASS };
    _Static_assert(QPM__RISK_PASS % 8 == 0, "whole groups of lanes in a pass");
    const qpm__zig_par zp = L->par;
    lanes8 g;
    lanes_in(&g, L);
    for (size_t s = 0; s < m; s += 8) {
        /* lanes past m (the block's last group): drawn, never used */
        for (size_t u0 = 0; u0 < n; u0 += 8)
            zig_rows(&g, L, n - u0 < 8 ? n - u0 : 8, w->pgt + u0 * P + s, P);
        /* the chi-squares; their scales after the pass (the division and
         * square root off the draws' path) */
        _mm512_storeu_pd(w->pc + s, zp.student ? chi8(&g, L, &zp) : _mm512_set1_pd(zp.sh));
        _mm512_storeu_pd(w->pfv + s, zp.vov ? zig8(&g, L, 0xff) : _mm512_setzero_pd());
        if (zp.jumps) /* the pcg streams, outside the vectors */
            for (unsigned l = 0; l < 8 && s + l < m; l++)
                qpm__zig_jumps(&zp, L, l, n, w->pjc + (s + l) * n, w->pje + (s + l) * n);
    }
    lanes_out(&g, L);
    if (zp.student)
        for (size_t s = 0; s < m; s += 8) {
            __m512d chi = _mm512_loadu_pd(w->pc + s);
            /* qpm__risk_t_scale: chi > 0 always (a positive gamma draw)
             * but for an underflow, kept as the scalar code keeps it */
            chi = _mm512_mask_blend_pd(_mm512_cmp_pd_mask(chi, _mm512_setzero_pd(), _CMP_GT_OQ),
                                       _mm512_set1_pd(0x1p-1022), chi);
            __m512d c = _mm512_sqrt_pd(_mm512_div_pd(_mm512_set1_pd(zp.nu_m2), chi));
            _mm512_storeu_pd(w->pc + s, _mm512_mul_pd(_mm512_set1_pd(zp.sh), c));
        }
}
