/* The fused grid pass (risk_internal.h), AVX-512 F + DQ build without
 * contraction: eight scenarios at a time, each underlying's node index and
 * cubic with the operations of qpm__grid_interp1 (risk_grid.h) lane by
 * lane, so the bits of the baseline build.  The eight lanes' coefficient
 * rows (32 bytes each) are loaded whole and transposed, which is cheaper
 * than gathering the four coefficients one by one. */
#include <immintrin.h>

#include "risk_grid.h"
#include "risk_internal.h"

void qpm__risk_grid_pass_avx512(const qpm__grid_view *v, double off, const qpm__risk_worker *w,
                                size_t m, size_t n, double *pnl, unsigned char *pend, double *sp,
                                size_t ld)
{
    enum { P = QPM__RISK_PASS };
    if (v == NULL) {
        qpm__grid_pass_pending(w->pmv, P, m, n, pend, sp, ld);
        return;
    }
    const __m512d zero = _mm512_setzero_pd();
    const __m512i even = _mm512_set_epi64(13, 12, 5, 4, 9, 8, 1, 0);
    const __m512i odd = _mm512_set_epi64(15, 14, 7, 6, 11, 10, 3, 2);
    for (size_t s = 0; s < m; s += 8) {
        __mmask8 in = (__mmask8)(m - s >= 8 ? 0xffu : (1u << (m - s)) - 1u);
        __m512d t = _mm512_set1_pd(off);
        for (size_t u = 0; u < n; u++) {
            const qpm__grid_view *g = &v[u];
            __m512d x = _mm512_loadu_pd(w->pmv + u * P + s);
            __m512d lo = _mm512_set1_pd(g->xlo);
            in &= _mm512_cmp_pd_mask(x, lo, _CMP_GE_OQ) &
                  _mm512_cmp_pd_mask(x, _mm512_set1_pd(g->xhi), _CMP_LE_OQ);
            x = _mm512_mask_blend_pd(in, lo, x); /* lanes out of range: any node */
            __m512d sv =
                _mm512_mul_pd(_mm512_sub_pd(x, _mm512_set1_pd(g->x0)), _mm512_set1_pd(g->rhx));
            __m512i i = _mm512_cvttpd_epu64(_mm512_max_pd(sv, zero));
            i = _mm512_max_epu64(i, _mm512_set1_epi64(1));
            i = _mm512_min_epu64(i, _mm512_set1_epi64((long long)(g->mx - 3)));
            __m512d tx = _mm512_sub_pd(sv, _mm512_cvtepu64_pd(i));
            /* rows of lanes l and l + 4 in one register: (c0 c1 c2 c3 | c0' ...) */
            uint64_t ix[8];
            _mm512_storeu_si512((void *)ix, i);
            const double *c = g->c;
            __m512d r04 = _mm512_insertf64x4(_mm512_castpd256_pd512(_mm256_loadu_pd(c + 4 * ix[0])),
                                             _mm256_loadu_pd(c + 4 * ix[4]), 1);
            __m512d r15 = _mm512_insertf64x4(_mm512_castpd256_pd512(_mm256_loadu_pd(c + 4 * ix[1])),
                                             _mm256_loadu_pd(c + 4 * ix[5]), 1);
            __m512d r26 = _mm512_insertf64x4(_mm512_castpd256_pd512(_mm256_loadu_pd(c + 4 * ix[2])),
                                             _mm256_loadu_pd(c + 4 * ix[6]), 1);
            __m512d r37 = _mm512_insertf64x4(_mm512_castpd256_pd512(_mm256_loadu_pd(c + 4 * ix[3])),
                                             _mm256_loadu_pd(c + 4 * ix[7]), 1);
            /* (l0.c0 l1.c0 l0.c2 l1.c2 | l4.c0 l5.c0 l4.c2 l5.c2), ... */
            __m512d a02 = _mm512_unpacklo_pd(r04, r15), a13 = _mm512_unpackhi_pd(r04, r15);
            __m512d b02 = _mm512_unpacklo_pd(r26, r37), b13 = _mm512_unpackhi_pd(r26, r37);
            __m512d c0 = _mm512_permutex2var_pd(a02, even, b02);
            __m512d c2 = _mm512_permutex2var_pd(a02, odd, b02);
            __m512d c1 = _mm512_permutex2var_pd(a13, even, b13);
            __m512d c3 = _mm512_permutex2var_pd(a13, odd, b13);
            __m512d p = _mm512_add_pd(c2, _mm512_mul_pd(tx, c3));
            p = _mm512_add_pd(c1, _mm512_mul_pd(tx, p));
            p = _mm512_add_pd(c0, _mm512_mul_pd(tx, p));
            t = _mm512_add_pd(t, p);
        }
        _mm512_mask_storeu_pd(pnl + s, in, t);
        for (unsigned l = 0; l < 8 && s + l < m; l++) {
            int out = !((in >> l) & 1u);
            pend[s + l] = (unsigned char)out;
            if (out)
                for (size_t u = 0; u < n; u++)
                    sp[(s + l) * ld + u] = w->pmv[u * P + s + l];
        }
    }
}
