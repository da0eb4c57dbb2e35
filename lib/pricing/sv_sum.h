/* The strike sums of the Heston / Bates Fourier integral (sv_cf.c): for
 * one block of Gauss-Legendre panels whose characteristic-function values
 * are known, each strike's share of every wanted integral.  The body is
 * sv_sum_body.h, compiled for baseline x86-64 (sv_sum.c) and with AVX2 and
 * FMA (sv_sum_avx2.c): the same operations in the same order, without
 * contraction (ISO C), so the same bits on any CPU.  Not installed. */
#ifndef QPM_PRICING_SV_SUM_H
#define QPM_PRICING_SV_SUM_H

#include <math.h>
#include <stddef.h>
#include <string.h>

#include "num/v4math.h"
#include "pricing/sv_model.h"

/* nodes per panel, panels per block, nodes per block */
#define QPM__GL_N 32
#define SV_BLOCK  8
#define SV_NB     (SV_BLOCK * QPM__GL_N)
/* Accumulator slots: price, delta, gamma, dv0, dtheta, dT, then the
 * QPM__SV_NGRAD parameter derivatives. */
#define SV_SLOTS (6 + QPM__SV_NGRAD)

/* One block: np panels starting at a[p]; of one width w (graded == 0), or
 * graded (graded != 0): panel p of width w 8^p.  The node values of
 * wanted integral a (0 <= a < na) at re[a ld + q] + i im[a ld + q], node
 * q = 32 p + j of panel p (j < 16: the midpoint minus the j-th
 * Gauss-Legendre offset, j >= 16: plus the (j - 16)-th), 32-byte aligned;
 * its sum against e^{ixk}, k = ln(F / K_i) (kk[i], or from F and K when kk
 * is NULL), is added to acc[act[a]][i] for the n strikes. */
typedef struct qpm__sv_sum_job {
    int np, graded;
    double w;
    const double *a;
    double F;
    size_t n;
    const double *K, *kk, *re, *im;
    size_t ld;
    double *const *acc;
    const int *act;
    int na;
} qpm__sv_sum_job;

typedef void qpm__sv_sum_fn(const qpm__sv_sum_job *job);

/* ln phi(x - i/2) of the model m (phi the characteristic function of
 * ln(S_T / F)) at the nq points x (nq a multiple of 4) into ore + i oim,
 * or with weights w (not NULL) w phi(x - i/2); and d ln phi / d v0 into
 * dre + i dim when dre is not NULL. */
typedef void qpm__sv_cf_fn(const qpm__sv *m, size_t nq, const double *x, const double *w,
                           double *ore, double *oim, double *dre, double *dim);

qpm__sv_sum_fn qpm__sv_sum;
qpm__sv_cf_fn qpm__sv_cf;
#if defined(__x86_64__) || defined(__i386__)
qpm__sv_sum_fn qpm__sv_sum_avx2;
qpm__sv_cf_fn qpm__sv_cf_avx2;
#endif

/* sin and cos of a scalar: the kernels of num/v4math.h on |x| <= 2^19
 * pi/2, several times faster than libm's general sincos; libm beyond.
 * The phases it serves are node phases of a panel and phases of phi, a few
 * thousand radians at most. */
static inline void fast_sincos(double x, double *sn, double *cs)
{
    if (!(fabs(x) <= 0x1p19 * 1.5707963267948966)) {
        *sn = sin(x);
        *cs = cos(x);
        return;
    }
    double t = x * QPM__INVPIO2 + QPM__ROUND52, fn = t - QPM__ROUND52;
    double y = QPM__PIO2_REDUCE(x, fn), z = y * y;
    double s = QPM__KSIN(y, z), c = QPM__KCOS(z);
    long long n;
    memcpy(&n, &t, sizeof n);
    switch (n & 3) {
    case 0:
        *sn = s;
        *cs = c;
        break;
    case 1:
        *sn = c;
        *cs = -s;
        break;
    case 2:
        *sn = -s;
        *cs = -c;
        break;
    default:
        *sn = -c;
        *cs = s;
        break;
    }
}

#endif /* QPM_PRICING_SV_SUM_H */
