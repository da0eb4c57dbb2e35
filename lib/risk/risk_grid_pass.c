/* The fused grid pass (risk_internal.h): each scenario of a pass revalued
 * from the P&L grids as soon as its moves are drawn, with the operations
 * of qpm__risk_grid_pnl; the baseline build, one scenario at a time, and
 * the choice of build. */
#include "core/internal.h"

#include "risk_grid.h"
#include "risk_internal.h"

static void grid_pass_base(const qpm__grid_view *v, double off, const qpm__risk_worker *w, size_t m,
                           size_t n, double *pnl, unsigned char *pend, double *sp, size_t ld)
{
    enum { P = QPM__RISK_PASS };
    if (v == NULL) {
        qpm__grid_pass_pending(w->pmv, P, m, n, pend, sp, ld);
        return;
    }
    for (size_t s = 0; s < m; s++) {
        double t = off;
        int out = 0;
        for (size_t u = 0; u < n; u++) {
            double x = w->pmv[u * P + s];
            const qpm__grid_view *g = &v[u];
            if (!(x >= g->xlo && x <= g->xhi)) {
                out = 1;
                break;
            }
            t += qpm__grid_interp1(g->c, g->mx, g->x0, g->rhx, x);
        }
        pend[s] = (unsigned char)out;
        if (out)
            for (size_t u = 0; u < n; u++)
                sp[s * ld + u] = w->pmv[u * P + s];
        else
            pnl[s] = t;
    }
}

void qpm__risk_grid_pass(const qpm__grid_view *v, double off, const qpm__risk_worker *w, size_t m,
                         size_t n, double *pnl, unsigned char *pend, double *sp, size_t ld)
{
#if defined(__x86_64__) || defined(__i386__)
    if (qpm__cpu_level() == QPM__CPU_AVX512) {
        qpm__risk_grid_pass_avx512(v, off, w, m, n, pnl, pend, sp, ld);
        return;
    }
#endif
    grid_pass_base(v, off, w, m, n, pnl, pend, sp, ld);
}
