/* Body of the Monte Carlo's moves from its normals (risk_moves.c,
 * baseline; risk_moves_avx2.c, AVX2 + FMA without contraction, the same
 * bits; risk_moves_avx512.c, eight lanes): the m scenarios of a pass four
 * (eight) at a time, from their normals by underlying (w->pgt), each
 * lane's sum over the factor row in the order of the row (the bits of one
 * scenario at a time), then exp(ret) - 1 by the lane-width expm1 of
 * num/vlanes.h (within 2 ulp), ret clamped to [-36, 700] as
 * qpm__risk_move does.  The including file defines RISK_MOVES_FN, and
 * RISK_MOVES_W8 for eight lanes.  Not a public header. */
#include <math.h>
#include <string.h>

#include "num/v4math.h"
#include "risk_internal.h"

/* the lanes: four (v4d), or eight (v8d) where the including file defines
 * RISK_MOVES_W8 (an AVX-512 build): the same operations lane by lane */
#ifdef RISK_MOVES_W8
#include "num/v8math.h"
typedef v8d mv_t;
#define MW     8u
#define MV(op) v8_##op
#else
typedef v4d mv_t;
#define MW     4u
#define MV(op) v4_##op
#endif

void RISK_MOVES_FN(const qpm_risk *r, qpm__risk_worker *w, size_t m, size_t n, int jumps,
                   double *sp, size_t ld)
{
    enum { P = QPM__RISK_PASS };
    _Static_assert(QPM__RISK_PASS % MW == 0, "whole blocks of lanes in a pass");
    size_t mw = (m + MW - 1u) / MW * MW;
    double *gt = w->pgt;
    /* the last block's lanes past m: zero normals and scale (finite
     * values, never stored) */
    for (size_t s = m; s < mw; s++) {
        w->pc[s] = 0.0;
        for (size_t j = 0; j < n; j++)
            gt[j * P + s] = 0.0;
    }
    /* the log returns, by underlying, into pmv */
    double *rt = w->pmv;
    for (size_t s = 0; s < mw; s += MW) {
        mv_t c;
        MV(load)(&c, w->pc + s);
        for (size_t u = 0; u < n; u++) {
            size_t top = r->tri ? u + 1 : n;
            const double *fu = r->fac + u * n;
            mv_t acc = MV(set)(0.0), g;
            for (size_t j = 0; j < top; j++) {
                MV(load)(&g, gt + j * P + s);
                acc += fu[j] * g;
            }
            mv_t ret = c * acc;
            if (jumps)
                for (size_t l = 0; l < MW && s + l < m; l++) {
                    size_t k = (s + l) * n + u;
                    if (w->pjc[k] > 0.0)
                        ret[l] +=
                            w->pjc[k] * r->jump_mean + sqrt(w->pjc[k]) * r->jump_std * w->pje[k];
                }
            ret = MV(sel)(ret < -36.0, MV(set)(-36.0), ret);
            ret = MV(sel)(ret > 700.0, MV(set)(700.0), ret);
            memcpy(rt + u * P + s, &ret, sizeof ret);
        }
    }
    if (sp == NULL)
        return; /* the log moves */
    /* the moves exp(ret) - 1 in place, two vectors at a time (the
     * polynomial's chain is long: two independent ones keep the units
     * busy) */
    size_t nv = mw / MW;
    for (size_t u = 0; u < n; u++) {
        double *ru = rt + u * P;
        size_t k = 0;
        for (; k + 2 <= nv; k += 2) {
            mv_t x0, x1;
            MV(load)(&x0, ru + k * MW);
            MV(load)(&x1, ru + (k + 1) * MW);
            x0 = MV(expm1)(x0);
            x1 = MV(expm1)(x1);
            memcpy(ru + k * MW, &x0, sizeof x0);
            memcpy(ru + (k + 1) * MW, &x1, sizeof x1);
        }
        if (k < nv) {
            mv_t x0;
            MV(load)(&x0, ru + k * MW);
            x0 = MV(expm1)(x0);
            memcpy(ru + k * MW, &x0, sizeof x0);
        }
    }
    for (size_t s = 0; s < m; s++)
        for (size_t u = 0; u < n; u++)
            sp[s * ld + u] = rt[u * P + s];
}
