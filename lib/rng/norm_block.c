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
    int level = qpm__cpu_level();
    if (level == QPM__CPU_AVX512) {
        qpm__norm_inv_block_avx512(n, x, precise);
        return;
    }
    if (level == QPM__CPU_AVX2) {
        qpm__norm_inv_block_avx2(n, x, precise);
        return;
    }
#endif
    norm_block_base(n, x, precise);
}
