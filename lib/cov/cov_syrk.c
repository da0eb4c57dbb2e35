/* Packing, reference kernel and dispatch of the packed co-moment update
 * (contract in cov_syrk.h; the AVX-512 kernel is cov_syrk_avx512.c). */
#include <string.h>

#include "cov_kern.h"
#include "cov_syrk.h"
#include "num/linalg.h"

double qpm__cov_syrk_pack(size_t n, size_t t, const double *row, const double *mean, double *p,
                          double *colsum, double *d)
{
    double a = qpm__cov_k_centre(n, row, mean, d, colsum);
    size_t j0 = 0;
    double *dst = p + t * QPM__SYRK_W;
    for (; j0 + QPM__SYRK_W <= n; j0 += QPM__SYRK_W, dst += QPM__SYRK_PSTRIDE)
        memcpy(dst, d + j0, QPM__SYRK_W * sizeof(double));
    if (j0 < n) {
        memcpy(dst, d + j0, (n - j0) * sizeof(double));
        memset(dst + (n - j0), 0, (QPM__SYRK_W - (n - j0)) * sizeof(double));
    }
    return a;
}

void qpm__cov_syrk_ref(size_t n, size_t k, const double *p, double *c, size_t ldc, double beta)
{
    for (size_t i = 0; i < n; i++) {
        const double *pi = p + (i / QPM__SYRK_W) * QPM__SYRK_PSTRIDE + i % QPM__SYRK_W;
        for (size_t j = 0; j <= i; j++) {
            const double *pj = p + (j / QPM__SYRK_W) * QPM__SYRK_PSTRIDE + j % QPM__SYRK_W;
            double s = 0.0;
            for (size_t t = 0; t < k; t++)
                s += pi[t * QPM__SYRK_W] * pj[t * QPM__SYRK_W];
            c[i * ldc + j] = beta != 0.0 ? beta * c[i * ldc + j] + s : s;
        }
    }
}

int qpm__cov_syrk_usable(void)
{
#ifdef QPM__COV_HAVE_SYRK_AVX512
    return (qpm__cpu_detect() & QPM_CPU_AVX512F) != 0 && qpm__blas_threads() == 1;
#else
    return 0;
#endif
}
