/* Body of the block inversions of uniforms into normals (norm_block.c,
 * baseline; norm_block_avx2.c, AVX2 + FMA without contraction), in chunks
 * of up to NB_CHUNK values: AS241's central rational four values at a
 * time with the operations of qpm__as_central lane by lane, then each
 * region of the values in a loop of its own (no branch on where a random
 * value falls).  Precise values: the Newton steps of qpm__norm_inv as it
 * takes them, so its bits.  Plain AS241 values: its bits in the central
 * region; the tails gathered four at a time with the four-lane log of
 * num/v4math.h (within an ulp or two of libm's, so within a few ulp of
 * qpm__norm_inv_as241's values).  Both builds give the same bits.
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

/* cz[i] = qpm__as_central(p[i] - 1/2), i < n: four at a time, the same
 * operations lane by lane */
static inline void central_chunk(size_t n, const double *p, double *cz)
{
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        v4d pv;
        v4_load(&pv, p + i);
        v4d q = pv - 0.5;
        v4d r = 0.180625 - q * q;
        v4d c = q * horner7_v4(QPM__AS_A, r) / horner7_v4(QPM__AS_B, r);
        memcpy(cz + i, &c, sizeof c);
    }
    for (; i < n; i++)
        cz[i] = qpm__as_central(p[i] - 0.5);
}

/* The precise values of x[0..n-1] (n <= NB_CHUNK), as qpm__norm_inv gives
 * them: the central rationals four at a time, then the values by region
 * (|q| <= 1/4: the erf step; up to 0.425: the erfc step from the central
 * value; the tails), each region in its own loop, so that no branch
 * depends on where a random value falls. */
enum { NB_CHUNK = 256 };
static inline void precise_chunk(size_t n, double *x)
{
    double cz[NB_CHUNK];
    size_t idx[3][NB_CHUNK], cnt[3] = {0, 0, 0};
    central_chunk(n, x, cz);
    for (size_t i = 0; i < n; i++) {
        double aq = fabs(x[i] - 0.5);
        size_t k = (size_t)(aq > 0.25) + (size_t)(aq > 0.425);
        idx[k][cnt[k]++] = i;
    }
    for (size_t j = 0; j < cnt[0]; j++) {
        size_t e = idx[0][j];
        x[e] = qpm__as_newton(cz[e], x[e] - 0.5, 1);
    }
    for (size_t j = 0; j < cnt[1]; j++) {
        size_t e = idx[1][j];
        double p = x[e], q = p - 0.5, t = fmin(p, 1.0 - p); /* exact */
        double z = qpm__as_newton(-fabs(cz[e]), t, 0);
        x[e] = copysign(fabs(z), q); /* q < 0 ? z : -z, z < 0 */
    }
    for (size_t j = 0; j < cnt[2]; j++) {
        size_t e = idx[2][j];
        double p = x[e], t = fmin(p, 1.0 - p); /* exact */
        double z = qpm__as_tail(t);
        if (t >= 1e-305)
            z = qpm__as_newton(z, t, 0);
        x[e] = copysign(fabs(z), p - 0.5); /* q < 0 ? z : -z, z < 0 */
    }
}

/* The plain AS241 values of x[0..n-1] (n <= NB_CHUNK): the central
 * rationals four at a time, then the tail values gathered four at a time
 * (tail_v4), so that neither work nor branches depend on where a value
 * falls. */
static inline void plain_chunk(size_t n, double *x)
{
    double p[NB_CHUNK];
    size_t tl[NB_CHUNK], nt = 0;
    memcpy(p, x, n * sizeof *p);
    central_chunk(n, p, x);
    for (size_t i = 0; i < n; i++) {
        tl[nt] = i;
        nt += fabs(p[i] - 0.5) > 0.425;
    }
    for (size_t j = 0; j < nt; j += 4) {
        double tb[4];
        for (size_t l = 0; l < 4; l++) {
            double pe = p[tl[j + l < nt ? j + l : nt - 1]];
            tb[l] = fmin(pe, 1.0 - pe); /* the lower-tail probability, exact */
        }
        v4d t;
        v4_load(&t, tb);
        v4d zt = tail_v4(t);
        for (size_t l = 0; l < 4 && j + l < nt; l++) {
            size_t e = tl[j + l];
            x[e] = copysign(fabs(zt[l]), p[e] - 0.5); /* q < 0 ? z : -z, z < 0 */
        }
    }
}

void NORM_BLOCK_FN(size_t n, double *x, int precise)
{
    for (size_t i = 0; i < n; i += NB_CHUNK) {
        size_t m = n - i < NB_CHUNK ? n - i : NB_CHUNK;
        if (precise)
            precise_chunk(m, x + i);
        else
            plain_chunk(m, x + i);
    }
}
