/* Body of the Monte Carlo's moves from its normals (risk_moves.c,
 * baseline; risk_moves_avx2.c, AVX2 + FMA without contraction, the same
 * bits): the m scenarios of a pass four at a time, from their normals by
 * underlying (w->pgt), each lane's sum over the factor row in the order of
 * the row (the bits of one scenario at a time),
 * then exp(ret) - 1 by the four-lane expm1 of num/v4math.h (within 2 ulp),
 * ret clamped to [-36, 700] as qpm__risk_move does.  The including file
 * defines RISK_MOVES_FN.  Not a public header. */
#include <math.h>
#include <string.h>

#include "num/v4math.h"
#include "risk_internal.h"

void RISK_MOVES_FN(const qpm_risk *r, qpm__risk_worker *w, size_t m, size_t n, int jumps,
                   double *sp, size_t ld)
{
    enum { P = QPM__RISK_PASS };
    size_t m4 = (m + 3u) & ~(size_t)3u;
    double *gt = w->pgt;
    /* the last block's lanes past m: zero normals and scale (finite
     * values, never stored) */
    for (size_t s = m; s < m4; s++) {
        w->pc[s] = 0.0;
        for (size_t j = 0; j < n; j++)
            gt[j * P + s] = 0.0;
    }
    for (size_t s = 0; s < m4; s += 4) {
        v4d c;
        v4_load(&c, w->pc + s);
        for (size_t u = 0; u < n; u++) {
            size_t top = r->tri ? u + 1 : n;
            const double *fu = r->fac + u * n;
            v4d acc = v4_set(0.0), g;
            for (size_t j = 0; j < top; j++) {
                v4_load(&g, gt + j * P + s);
                acc += fu[j] * g;
            }
            v4d ret = c * acc;
            if (jumps)
                for (size_t l = 0; l < 4 && s + l < m; l++) {
                    size_t k = (s + l) * n + u;
                    if (w->pjc[k] > 0.0)
                        ret[l] +=
                            w->pjc[k] * r->jump_mean + sqrt(w->pjc[k]) * r->jump_std * w->pje[k];
                }
            ret = v4_sel(ret < -36.0, v4_set(-36.0), ret);
            ret = v4_sel(ret > 700.0, v4_set(700.0), ret);
            v4d mv = v4_expm1(ret);
            for (size_t l = 0; l < 4 && s + l < m; l++)
                sp[(s + l) * ld + u] = mv[l];
        }
    }
}
