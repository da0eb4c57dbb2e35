/* Body of the block inversions of uniforms into normals (norm_block.c,
 * baseline; norm_block_avx2.c, AVX2 + FMA without contraction): AS241's
 * central rational four values at a time with the operations of
 * qpm__as_central lane by lane, so both builds give the bits of
 * qpm__norm_inv and qpm__norm_inv_as241 there; the rest per value as they
 * do it, except the tails of the plain AS241 values (precise = 0), which go
 * four at a time too, with the four-lane log of num/v4math.h (within an ulp
 * or two of libm's, so within a few ulp of qpm__norm_inv_as241's values).
 * The including file defines NORM_BLOCK_FN.  Not a public header. */
#include <string.h>

#include "num/v4math.h"
#include "rng/norm_as241.h"

static inline v4d horner7_v4(const double *c, v4d x)
{
    return ((((((c[7] * x + c[6]) * x + c[5]) * x + c[4]) * x + c[3]) * x + c[2]) * x + c[1]) * x +
           c[0];
}

/* qpm__as_tail on four lanes of t in (0, 0.075] (other lanes: any t in
 * (0, 1), their values unused) */
static inline v4d tail_v4(v4d t)
{
    v4d r = v4_sqrt(-v4_log(t));
    v4i far = r > 5.0;
    v4d a = r - 1.6, b = r - 5.0;
    v4d near_z = -(horner7_v4(QPM__AS_C, a) / horner7_v4(QPM__AS_D, a));
    v4d far_z = -(horner7_v4(QPM__AS_E, b) / horner7_v4(QPM__AS_F, b));
    return v4_sel(far, far_z, near_z);
}

/* qpm__norm_inv (precise) from the central value cz = qpm__as_central(q) */
static inline double finish_precise(double p, double cz)
{
    double q = p - 0.5;
    if (fabs(q) <= 0.25)
        return qpm__as_newton(cz, q, 1);
    double t = q < 0 ? p : 1.0 - p;
    double z = fabs(q) <= 0.425 ? -fabs(cz) : qpm__as_tail(t);
    if (t >= 1e-305)
        z = qpm__as_newton(z, t, 0);
    return q < 0 ? z : -z;
}

void NORM_BLOCK_FN(size_t n, double *x, int precise)
{
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        v4d p;
        v4_load(&p, x + i);
        v4d q = p - 0.5;
        v4d r = 0.180625 - q * q;
        v4d cz = q * horner7_v4(QPM__AS_A, r) / horner7_v4(QPM__AS_B, r);
        if (precise) {
            for (int l = 0; l < 4; l++)
                x[i + (size_t)l] = finish_precise(p[l], cz[l]);
            continue;
        }
        v4i tl = v4_abs(q) > 0.425;
        v4d z = cz;
        if (tl[0] | tl[1] | tl[2] | tl[3]) {
            v4i lower = q < 0.0;
            v4d t = v4_sel(lower, p, 1.0 - p);
            v4d zt = tail_v4(v4_sel(tl, t, v4_set(0.05)));
            z = v4_sel(tl, v4_sel(lower, zt, -zt), cz);
        }
        memcpy(x + i, &z, sizeof z);
    }
    for (; i < n; i++)
        x[i] = precise ? qpm__norm_inv(x[i]) : qpm__norm_inv_as241(x[i]);
}
