/* The SVI kernels (svi_kern.h) for baseline x86-64 and every other
 * target, and the choice between the builds. */
#define SVI_KERN qpm__svi_kern_base
#include "surface/svi_kern_body.h"

#include "core/internal.h"

const qpm__svi_kern *qpm__svi_kern_get(void)
{
#if defined(__x86_64__) || defined(__i386__)
    unsigned avx2_fma = (unsigned)QPM_CPU_AVX2 | (unsigned)QPM_CPU_FMA;
    if ((qpm__cpu_flags() & avx2_fma) == avx2_fma)
        return &qpm__svi_kern_avx2;
#endif
    return &qpm__svi_kern_base;
}
