/* Runtime version and CPU queries. */
#include "internal.h"

#define QPM__STR2(x) #x
#define QPM__STR(x) QPM__STR2(x)

unsigned qpm_version_number(void) { return QPM_VERSION_NUMBER; }

const char *qpm_version_string(void)
{
    return QPM__STR(QPM_VERSION_MAJOR) "." QPM__STR(QPM_VERSION_MINOR) "." QPM__STR(
        QPM_VERSION_PATCH);
}

unsigned qpm_max_threads(void) { return QPM__MAX_THREADS; }

unsigned qpm__cpu_detect(void)
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
#endif
    return m;
}

unsigned qpm_cpu_features(void) { return qpm__cpu_detect(); }
