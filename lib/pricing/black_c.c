/* The scalar kernel of the Black family where the CPU has FMA: the vector
 * kernels' formulation (black_lanes.h) in portable C, on the one-lane
 * vocabulary num/simd_c.h, two options per step (num/simd_pair.h) so that
 * their long chains of dependent operations overlap, with the AVX2
 * kernel's Mills-ratio member R4.  Every operation is the IEEE operation of
 * its x86 counterpart, so an option gets the AVX2 kernel's bits.  Lanes in
 * the special regions go to black.c's qpm__price_one, as they do from the
 * vector kernels; Bachelier jobs run black.c's kernel.
 *
 * On x86, where FMA is optional, black_c_fma.c builds this file with
 * -mavx2 -mfma for the CPUs that have it (the others keep black.c's
 * reference kernel, whose fewer fma() calls suit libm's software fma); on
 * other CPUs this plain build is the scalar kernel where <math.h> says
 * FP_FAST_FMA (kernels.c). */
#include <float.h>
#include <string.h>

#include "black.h"
#include "num/simd_c.h"
#include "num/simd_pair.h"
#include "num/vexp_log.h"
#include "num/vmills.h"

#ifdef QPM__BLACK_C_FMA
#define QPM__PRICE_ONE      qpm__price_one_fma
#define QPM__BACH_KERNEL    qpm__black_kernel_scalar_fma
#define qpm__black_kernel_c qpm__black_kernel_c_fma
#define qpm__black_one_c    qpm__black_one_c_fma
#else
#define QPM__PRICE_ONE   qpm__price_one
#define QPM__BACH_KERNEL qpm__black_kernel_scalar
#endif

#define QPM__NPDF_INLINE inline __attribute__((always_inline))
#define vmills           vmills_p4
#include "black_widths.h"
#undef vmills

size_t qpm__black_kernel_c(const qpm__bjob *job, size_t begin, size_t end)
{
    if (job->model == QPM__BACH)
        return QPM__BACH_KERNEL(job, begin, end);
    return batch(job, begin, end);
}

qpm__bone qpm__black_one_c(int model, int inverse)
{
    return val_x1(model, inverse);
}
