/* The pricing module's kernel tables: which kernel runs where.  One row per
 * QPM_PRICER_KERNEL value, each with the CPU features it needs; a handle
 * picks its rows at creation (and when its kernel setting changes) from
 * qpm__cpu_flags(), so nothing is detected per call and tests can run every
 * row on one machine through qpm__cpu_set_mask.  A new ISA adds a row to
 * each table (CONTRIBUTING.md, "Where new things go"). */
#include <math.h> /* FP_FAST_FMA */
#include <stddef.h>

#include "core/internal.h"
#include "pricing/black.h"
#include "pricing/implied_vol.h"
#include "qpm/pricing.h"

#if defined(__x86_64__) || defined(__i386__)
#define X86_KERNELS 1
#else
#define X86_KERNELS 0
#endif

#define AVX2_FMA   ((unsigned)QPM_CPU_AVX2 | (unsigned)QPM_CPU_FMA)
#define AVX512_FDQ (AVX2_FMA | (unsigned)QPM_CPU_AVX512F | (unsigned)QPM_CPU_AVX512DQ)
/* the pricing row's single-option code is built for AVX-512VL (every CPU
 * with AVX-512DQ so far has it) */
#define AVX512_FDQVL (AVX512_FDQ | (unsigned)QPM_CPU_AVX512VL)

/* narrowest first: auto takes the last row the CPU runs */
static const qpm__bkernels black_rows[] = {
#if X86_KERNELS
    /* With FMA, the scalar kernel is the vector formulation in portable C,
     * built with -mfma (the AVX2 kernel's bits); without, black.c's
     * reference kernel, which makes a third as many fma() calls (libm's
     * software fma there).  The first row of an id that the CPU runs wins. */
    {{QPM_PRICER_KERNEL_SCALAR, AVX2_FMA}, qpm__black_kernel_c_fma, qpm__black_screen_scalar,
     qpm__black_one_c_fma},
    {{QPM_PRICER_KERNEL_SCALAR, 0u}, qpm__black_kernel_scalar, qpm__black_screen_scalar, NULL},
#elif defined(FP_FAST_FMA)
    /* hardware FMA in the base instruction set (aarch64, ppc64, s390x...) */
    {{QPM_PRICER_KERNEL_SCALAR, 0u}, qpm__black_kernel_c, qpm__black_screen_scalar,
     qpm__black_one_c},
#else
    {{QPM_PRICER_KERNEL_SCALAR, 0u}, qpm__black_kernel_scalar, qpm__black_screen_scalar, NULL},
#endif
#if X86_KERNELS
    {{QPM_PRICER_KERNEL_AVX2, AVX2_FMA}, qpm__black_kernel_avx2, qpm__black_screen_avx2,
     qpm__black_one_r4},
    {{QPM_PRICER_KERNEL_AVX512, AVX512_FDQVL}, qpm__black_kernel_avx512, qpm__black_screen_avx512,
     qpm__black_one_r8},
#endif
};

/* The implied-vol rows follow the pricing rows: the scalar kernel solves
 * one by one, the AVX2 and AVX-512 kernels run the AVX2 block (there is no
 * AVX-512 block; before the rows existed every AVX2+FMA CPU ran it, so the
 * default kernel's implied vols are unchanged). */
static const qpm__ivkernel iv_rows[] = {
    {{QPM_PRICER_KERNEL_SCALAR, 0u}, NULL, qpm__iv_undiscount},
#if X86_KERNELS
    {{QPM_PRICER_KERNEL_AVX2, AVX2_FMA}, qpm__black_iv_block_avx2, qpm__iv_undiscount_fma},
    {{QPM_PRICER_KERNEL_AVX512, AVX2_FMA}, qpm__black_iv_block_avx2, qpm__iv_undiscount_fma},
#endif
};

#define NROWS(t) (sizeof(t) / sizeof((t)[0]))

const qpm__bkernels *qpm__black_kernels(int id)
{
    return qpm__kernel_pick(black_rows, NROWS(black_rows), sizeof black_rows[0], id,
                            QPM_PRICER_KERNEL_AUTO);
}

const qpm__ivkernel *qpm__iv_kernel(int id)
{
    if (id == QPM_PRICER_KERNEL_AUTO)
        id = qpm__black_kernels(id)->tag.id;
    return qpm__kernel_pick(iv_rows, NROWS(iv_rows), sizeof iv_rows[0], id, QPM_PRICER_KERNEL_AUTO);
}
