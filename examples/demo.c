/* libqpm demo: what the library can do so far. */
#include <stdio.h>

#include "qpm/qpm.h"

int main(void)
{
    unsigned f = qpm_cpu_features();
    printf("libqpm %s  (CPU: %s%s%s)\n", qpm_version_string(), (f & QPM_CPU_AVX2) ? "AVX2 " : "",
           (f & QPM_CPU_FMA) ? "FMA " : "", (f & QPM_CPU_AVX512F) ? "AVX-512F" : "");
    return 0;
}
