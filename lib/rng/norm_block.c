/* Block inversion of uniforms into normals, baseline build (norm_block.h),
 * and the choice of build. */
#include "core/internal.h"
#include "rng/rng_internal.h"

#define NORM_BLOCK_FN norm_block_base
static void NORM_BLOCK_FN(size_t n, double *x, int precise);
#include "rng/norm_block.h"

void qpm__norm_inv_block(size_t n, double *x, int precise)
{
#if defined(__x86_64__) || defined(__i386__)
    unsigned need = (unsigned)QPM_CPU_AVX2 | (unsigned)QPM_CPU_FMA;
    unsigned need8 = need | (unsigned)QPM_CPU_AVX512F | (unsigned)QPM_CPU_AVX512DQ;
    unsigned have = qpm__cpu_flags();
    if ((have & need8) == need8) {
        qpm__norm_inv_block_avx512(n, x, precise);
        return;
    }
    if ((have & need) == need) {
        qpm__norm_inv_block_avx2(n, x, precise);
        return;
    }
#endif
    norm_block_base(n, x, precise);
}
