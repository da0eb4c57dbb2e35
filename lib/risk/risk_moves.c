/* The Monte Carlo's moves from its normals, baseline build (risk_moves.h),
 * and the choice of build. */
#include "core/internal.h"

#include "risk_internal.h"

#define RISK_MOVES_FN moves_base
static void RISK_MOVES_FN(const qpm_risk *r, qpm__risk_worker *w, size_t m, size_t n, int jumps,
                          double *sp, size_t ld);
#include "risk_moves.h"

void qpm__risk_moves(const qpm_risk *r, qpm__risk_worker *w, size_t m, size_t n, int jumps,
                     double *sp, size_t ld)
{
#if defined(__x86_64__) || defined(__i386__)
    int level = qpm__cpu_level();
    if (level == QPM__CPU_AVX512) {
        qpm__risk_moves_avx512(r, w, m, n, jumps, sp, ld);
        return;
    }
    if (level == QPM__CPU_AVX2) {
        qpm__risk_moves_avx2(r, w, m, n, jumps, sp, ld);
        return;
    }
#endif
    moves_base(r, w, m, n, jumps, sp, ld);
}
