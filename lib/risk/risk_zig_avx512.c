/* QPM_RISK_NORMALS_ZIGGURAT, AVX-512 F + DQ build (without contraction):
 * the eight lanes of a block step together, one scenario per lane at a
 * time.  pcg64dxsm's 128-bit step is done on 64-bit words (the high half
 * of lo x multiplier from four 32-bit products); a ziggurat draw accepted
 * at once is two table gathers and one multiplication.  A lane whose draw
 * is not accepted at once, or whose gamma proposal fails the squeeze,
 * leaves the lanes and finishes that draw with the scalar code of
 * rng_zig.c / rng_gamma.c, so each lane's numbers are those of risk_zig.c's
 * scalar pass. */
#include <immintrin.h>
#include <string.h>

#include "risk_zig.h"

#define ZIG_INLINE static inline __attribute__((always_inline))

typedef struct lanes8 {
    __m512i hi, lo, ihi, ilo;
} lanes8;

ZIG_INLINE __m512i mulhi_mult(__m512i a)
{
    const __m512i mlo = _mm512_set1_epi64((long long)(QPM__DXSM_MULT & 0xffffffffu));
    const __m512i mhi = _mm512_set1_epi64((long long)(QPM__DXSM_MULT >> 32));
    const __m512i m32 = _mm512_set1_epi64(0xffffffffll);
    __m512i ah = _mm512_srli_epi64(a, 32);
    __m512i p00 = _mm512_mul_epu32(a, mlo), p01 = _mm512_mul_epu32(a, mhi);
    __m512i p10 = _mm512_mul_epu32(ah, mlo), p11 = _mm512_mul_epu32(ah, mhi);
    __m512i mid =
        _mm512_add_epi64(_mm512_srli_epi64(p00, 32),
                         _mm512_add_epi64(_mm512_and_si512(p01, m32), _mm512_and_si512(p10, m32)));
    __m512i h = _mm512_add_epi64(p11, _mm512_srli_epi64(p01, 32));
    h = _mm512_add_epi64(h, _mm512_srli_epi64(p10, 32));
    return _mm512_add_epi64(h, _mm512_srli_epi64(mid, 32));
}

/* qpm__step_dxsm on the eight lanes */
ZIG_INLINE __m512i dxsm8(lanes8 *g)
{
    const __m512i M = _mm512_set1_epi64((long long)QPM__DXSM_MULT);
    __m512i oh = g->hi, ol = g->lo;
    __m512i plo = _mm512_mullo_epi64(ol, M);
    __m512i nlo = _mm512_add_epi64(plo, g->ilo);
    __mmask8 carry = _mm512_cmplt_epu64_mask(nlo, plo);
    __m512i nhi = _mm512_add_epi64(_mm512_mullo_epi64(oh, M), mulhi_mult(ol));
    nhi = _mm512_add_epi64(nhi, g->ihi);
    nhi = _mm512_mask_add_epi64(nhi, carry, nhi, _mm512_set1_epi64(1));
    g->hi = nhi;
    g->lo = nlo;
    __m512i h = _mm512_xor_si512(oh, _mm512_srli_epi64(oh, 32));
    h = _mm512_mullo_epi64(h, M);
    h = _mm512_xor_si512(h, _mm512_srli_epi64(h, 48));
    return _mm512_mullo_epi64(h, _mm512_or_si512(ol, _mm512_set1_epi64(1)));
}

ZIG_INLINE void lanes_out(const lanes8 *g, qpm__zig_lanes *L)
{
    _mm512_storeu_si512((void *)L->hi, g->hi);
    _mm512_storeu_si512((void *)L->lo, g->lo);
}

ZIG_INLINE void lanes_in(lanes8 *g, const qpm__zig_lanes *L)
{
    g->hi = _mm512_loadu_si512((const void *)L->hi);
    g->lo = _mm512_loadu_si512((const void *)L->lo);
}

/* eight ziggurat normals, one per lane */
ZIG_INLINE __m512d zig8(lanes8 *g, qpm__zig_lanes *L)
{
    __m512i b = dxsm8(g);
    __m512i idx = _mm512_and_si512(b, _mm512_set1_epi64(255));
    __m512i j = _mm512_srli_epi64(b, 11);
    __m512i k = _mm512_i64gather_epi64(idx, (const void *)qpm__zig_k, 8);
    __m512d wv = _mm512_i64gather_pd(idx, qpm__zig_w, 8);
    __m512d x = _mm512_mul_pd(_mm512_cvtepu64_pd(j), wv);
    __m512i sign = _mm512_and_si512(_mm512_slli_epi64(b, 55),
                                    _mm512_set1_epi64((long long)0x8000000000000000ull));
    x = _mm512_castsi512_pd(_mm512_xor_si512(_mm512_castpd_si512(x), sign));
    __mmask8 ok = _mm512_cmplt_epu64_mask(j, k);
    if (QPM__UNLIKELY(ok != 0xff)) {
        uint64_t bb[8];
        double xx[8];
        _mm512_storeu_si512((void *)bb, b);
        _mm512_storeu_pd(xx, x);
        lanes_out(g, L);
        for (unsigned l = 0; l < 8; l++)
            if (!((ok >> l) & 1u)) {
                qpm__gen w = qpm__zig_lane_load(L, l);
                xx[l] = qpm__zig_finish(&w, bb[l]);
                qpm__zig_lane_store(L, l, &w);
            }
        lanes_in(g, L);
        x = _mm512_loadu_pd(xx);
    }
    return x;
}

/* eight Gamma(a) draws, a >= 1, one per lane (qpm__gamma_zig) */
ZIG_INLINE __m512d gamma8(lanes8 *g, qpm__zig_lanes *L, const qpm__gamma_par *gp)
{
    const __m512d one = _mm512_set1_pd(1.0);
    __m512d x = zig8(g, L);
    __m512d cx = _mm512_mul_pd(_mm512_set1_pd(gp->c), x);
    __m512d v1 = _mm512_add_pd(one, cx);
    __m512d v = _mm512_mul_pd(_mm512_mul_pd(v1, v1), v1);
    __m512i phi = g->hi, plo = g->lo; /* before the uniform's draw */
    __m512i k = _mm512_srli_epi64(dxsm8(g), 11);
    __m512d u = _mm512_mul_pd(_mm512_cvtepu64_pd(k), _mm512_set1_pd(0x1.0p-53));
    __m512d x2 = _mm512_mul_pd(x, x);
    __m512d sq = _mm512_sub_pd(one, _mm512_mul_pd(_mm512_mul_pd(_mm512_set1_pd(0.0331), x2), x2));
    __mmask8 ok = _mm512_cmp_pd_mask(cx, _mm512_set1_pd(-1.0), _CMP_GT_OQ) &
                  _mm512_cmpneq_epu64_mask(k, _mm512_setzero_si512()) &
                  _mm512_cmp_pd_mask(u, sq, _CMP_LT_OQ);
    __m512d res = _mm512_mul_pd(_mm512_set1_pd(gp->d), v);
    if (QPM__UNLIKELY(ok != 0xff)) {
        double rr[8], xs[8], cxs[8], vs[8];
        uint64_t ks[8], ph[8], pl[8];
        _mm512_storeu_pd(rr, res);
        _mm512_storeu_pd(xs, x);
        _mm512_storeu_pd(cxs, cx);
        _mm512_storeu_pd(vs, v);
        _mm512_storeu_si512((void *)ks, k);
        _mm512_storeu_si512((void *)ph, phi);
        _mm512_storeu_si512((void *)pl, plo);
        lanes_out(g, L);
        for (unsigned l = 0; l < 8; l++) {
            if ((ok >> l) & 1u)
                continue;
            if (cxs[l] <= -1.0) {
                /* the scalar draw takes a new proposal before any uniform:
                 * the lane goes back to before the uniform's output */
                L->hi[l] = ph[l];
                L->lo[l] = pl[l];
                qpm__gen w = qpm__zig_lane_load(L, l);
                rr[l] = qpm__gamma_zig(&w, gp);
                qpm__zig_lane_store(L, l, &w);
            } else {
                qpm__gen w = qpm__zig_lane_load(L, l);
                rr[l] = qpm__gamma_zig_after(&w, gp, xs[l], cxs[l], vs[l], ks[l]);
                qpm__zig_lane_store(L, l, &w);
            }
        }
        lanes_in(g, L);
        res = _mm512_loadu_pd(rr);
    }
    return res;
}

void qpm__risk_zig_pass_avx512(const qpm_risk *r, qpm__risk_worker *w, qpm__zig_lanes *L, size_t m,
                               size_t n)
{
    enum { P = QPM__RISK_PASS };
    _Static_assert(QPM__RISK_PASS % 8 == 0, "whole groups of lanes in a pass");
    qpm__zig_par zp;
    qpm__zig_par_init(r, &zp);
    lanes8 g;
    lanes_in(&g, L);
    g.ihi = _mm512_loadu_si512((const void *)L->ihi);
    g.ilo = _mm512_loadu_si512((const void *)L->ilo);
    for (size_t s = 0; s < m; s += 8) {
        /* lanes past m (the block's last group): drawn, never used */
        for (size_t u = 0; u < n; u++)
            _mm512_storeu_pd(w->pgt + u * P + s, zig8(&g, L));
        __m512d c = _mm512_set1_pd(zp.sh);
        if (zp.student) {
            __m512d chi = _mm512_mul_pd(_mm512_set1_pd(2.0), gamma8(&g, L, &zp.gp));
            /* qpm__zig_scale: chi > 0 always (a positive gamma draw) but
             * for an underflow, kept as the scalar code keeps it */
            chi = _mm512_mask_blend_pd(_mm512_cmp_pd_mask(chi, _mm512_setzero_pd(), _CMP_GT_OQ),
                                       _mm512_set1_pd(0x1p-1022), chi);
            c = _mm512_mul_pd(c, _mm512_sqrt_pd(_mm512_div_pd(_mm512_set1_pd(zp.nu_m2), chi)));
        }
        _mm512_storeu_pd(w->pc + s, c);
        _mm512_storeu_pd(w->pfv + s, zp.vov ? zig8(&g, L) : _mm512_setzero_pd());
        if (zp.jumps) {
            lanes_out(&g, L);
            for (unsigned l = 0; l < 8 && s + l < m; l++) {
                qpm__gen wl = qpm__zig_lane_load(L, l);
                qpm__zig_jumps(&zp, &wl, n, w->pjc + (s + l) * n, w->pje + (s + l) * n);
                qpm__zig_lane_store(L, l, &wl);
            }
            lanes_in(&g, L);
        }
    }
    lanes_out(&g, L);
}
