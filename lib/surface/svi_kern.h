/* The loops of the SVI fit and check that dominate its time, four points
 * at a time: the body is svi_kern_body.h, compiled for baseline x86-64
 * (svi_kern.c) and with AVX2 (svi_kern_avx2.c, without contraction: the
 * same bits from both builds); qpm__svi_kern() picks the one this CPU
 * runs.  Not installed. */
#ifndef QPM_SURFACE_SVI_KERN_H
#define QPM_SURFACE_SVI_KERN_H

#include <stddef.h>

#include "qpm/surface.h"

typedef struct qpm__svi_kern {
    /* The smallest butterfly density g(k) of p on k_j = -L + h j, j <
     * points (the first such j on ties) into *kmin; -HUGE_VAL where the
     * total variance is not positive (or g is NaN). */
    double (*gmin)(const qpm_svi *p, double L, double h, size_t points, double *kmin);
    /* With y_i = (k_i - m) is and z_i = sqrt(y_i^2 + 1) over the n quotes:
     * sums[0..2] = sum W2_i z_i, sum W2_i y_i z_i, sum W2w_i z_i; y and z
     * into yc, zc when not NULL. */
    void (*zsums)(const double *k, const double *W2, const double *W2w, size_t n, double m,
                  double is, double *yc, double *zc, double sums[3]);
    /* sum_i (W_i (x0 + x1 y_i + x2 z_i - w_i))^2 */
    double (*cost_yz)(const double *W, const double *w, const double *y, const double *z, size_t n,
                      const double x[3]);
} qpm__svi_kern;

const qpm__svi_kern *qpm__svi_kern_get(void);

extern const qpm__svi_kern qpm__svi_kern_base;
#if defined(__x86_64__) || defined(__i386__)
extern const qpm__svi_kern qpm__svi_kern_avx2;
#endif

#endif /* QPM_SURFACE_SVI_KERN_H */
