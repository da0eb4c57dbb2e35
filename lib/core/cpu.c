/* CPU features: detected once per process and cached; kernels are chosen
 * from the detected features restricted by a mask that white-box tests set
 * to run every kernel path on one machine (the idea of dav1d's
 * dav1d_set_cpu_flags_mask), as rows of the modules' kernel tables. */
#include <stdatomic.h>

#include "internal.h"

/* Set once the detection has run, so that a CPU with no feature is cached
 * too.  Two threads that race on the first call both store the same value. */
#define DETECTED (1u << 31)

static _Atomic unsigned cpu_cache;
static _Atomic unsigned cpu_mask = ~0u;

static unsigned detect(void)
{
    unsigned m = 0;
#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
    __builtin_cpu_init();
    /* __builtin_cpu_supports returns a non-zero mask, not 1. */
    if (__builtin_cpu_supports("avx2") != 0)
        m |= QPM_CPU_AVX2;
    if (__builtin_cpu_supports("fma") != 0)
        m |= QPM_CPU_FMA;
    if (__builtin_cpu_supports("avx512f") != 0)
        m |= QPM_CPU_AVX512F;
    if (__builtin_cpu_supports("avx512dq") != 0)
        m |= QPM_CPU_AVX512DQ;
    if (__builtin_cpu_supports("avx512vl") != 0)
        m |= QPM_CPU_AVX512VL;
#endif
    return m;
}

unsigned qpm__cpu_detect(void)
{
    unsigned c = atomic_load_explicit(&cpu_cache, memory_order_relaxed);
    if (QPM__UNLIKELY(!(c & DETECTED))) {
        c = detect() | DETECTED;
        atomic_store_explicit(&cpu_cache, c, memory_order_relaxed);
    }
    return c & ~DETECTED;
}

unsigned qpm__cpu_flags(void)
{
    return qpm__cpu_detect() & atomic_load_explicit(&cpu_mask, memory_order_relaxed);
}

void qpm__cpu_set_mask(unsigned mask) { atomic_store_explicit(&cpu_mask, mask, memory_order_relaxed); }

int qpm__cpu_level(void)
{
#if defined(__x86_64__) || defined(__i386__)
    unsigned f = qpm__cpu_flags();
    unsigned avx2 = (unsigned)QPM_CPU_AVX2 | (unsigned)QPM_CPU_FMA;
    unsigned avx512 = avx2 | (unsigned)QPM_CPU_AVX512F | (unsigned)QPM_CPU_AVX512DQ;
    if ((f & avx512) == avx512)
        return QPM__CPU_AVX512;
    if ((f & avx2) == avx2)
        return QPM__CPU_AVX2;
#endif
    return QPM__CPU_BASE;
}

unsigned qpm_cpu_features(void) { return qpm__cpu_detect(); }

const void *qpm__kernel_pick(const void *rows, size_t n, size_t size, int id, int auto_id)
{
    unsigned cpu = qpm__cpu_flags();
    const void *best = NULL;
    for (size_t i = 0; i < n; i++) {
        const void *row = (const char *)rows + i * size;
        const qpm__kernel_tag *t = row;
        if ((t->needs & cpu) != t->needs)
            continue;
        if (t->id == id)
            return row;
        best = row;
    }
    return id == auto_id ? best : NULL;
}
