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

#include "pricing/sv_model.h"

/* nodes per panel, panels per block, nodes per block */
#define QPM__GL_N 32
#define SV_BLOCK  8
#define SV_NB     (SV_BLOCK * QPM__GL_N)
/* Accumulator slots: price, delta, gamma, dv0, dtheta, dT, then the
 * QPM__SV_NGRAD parameter derivatives. */
#define SV_SLOTS (6 + QPM__SV_NGRAD)

/* One block: np panels of width w, the first starting at a0; the node
 * values of wanted integral a (0 <= a < na) at re[a ld + q] + i im[a ld +
 * q], node q = 32 p + j of panel p (j < 16: the midpoint minus the j-th
 * Gauss-Legendre offset, j >= 16: plus the (j - 16)-th), 32-byte aligned;
 * its sum against e^{ixk}, k = ln(F / K_i) (kk[i], or from F and K when kk
 * is NULL), is added to acc[act[a]][i] for the n strikes. */
typedef struct qpm__sv_sum_job {
    int np;
    double w, a0, F;
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

/* sin and cos of |x| <= 2^19 pi/2: one reduction by pi/2 in three parts
 * (fdlibm's: the first two products are exact for these quotients, the
 * neglected tail of pi/2 below 1e-31 x) and fdlibm's kernels (error below
 * 1 ulp of the reduced argument), several times faster than libm's
 * general sincos; libm beyond.  The phases it serves are node phases of a
 * panel and phases of phi, a few thousand radians at most. */
static inline void fast_sincos(double x, double *sn, double *cs)
{
    if (!(fabs(x) <= 0x1p19 * 1.5707963267948966)) {
        *sn = sin(x);
        *cs = cos(x);
        return;
    }
    static const double PIO2_1 = 1.57079632673412561417e+00, PIO2_2 = 6.07710050630396597660e-11,
                        PIO2_2T = 2.02226624879595063154e-21,
                        INVPIO2 = 6.36619772367581382433e-01;
    /* the nearest integer by adding and subtracting 1.5 2^52 (round to
     * nearest, as nearbyint, which is a libm call on baseline x86-64) */
    double t = x * INVPIO2 + 0x1.8p52, fn = t - 0x1.8p52;
    double y = ((x - fn * PIO2_1) - fn * PIO2_2) - fn * PIO2_2T;
    double z = y * y, v = z * y;
    double s = y + v * (-1.66666666666666324348e-01 +
                        z * (8.33333333332248946124e-03 +
                             z * (-1.98412698298579493134e-04 +
                                  z * (2.75573137070700676789e-06 +
                                       z * (-2.50507602534068634195e-08 +
                                            z * 1.58969099521155010221e-10)))));
    double r = z * (4.16666666666666019037e-02 +
                    z * (-1.38888888888741095749e-03 +
                         z * (2.48015872894767294178e-05 +
                              z * (-2.75573143513906633035e-07 +
                                   z * (2.08757232129817482790e-09 +
                                        z * -1.13596475577881948265e-11)))));
    double hz = 0.5 * z, w = 1.0 - hz;
    double c = w + (((1.0 - w) - hz) + z * r);
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
