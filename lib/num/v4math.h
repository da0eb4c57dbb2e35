/* Four doubles as one value (GCC / clang vector extensions) and four-lane
 * elementary functions: exp, expm1, log1p, atan2, sincos and complex
 * arithmetic, from plain lane-wise arithmetic and bit operations only, so
 * that a file compiled for baseline x86-64 and again with AVX2 (without
 * contraction) gives the same bits from both builds (the Heston / Bates
 * characteristic function, pricing/sv_sum_body.h; the SVI fit's sums,
 * surface/svi_kern.h).  Errors of an ulp or
 * two: the reductions of fdlibm with its polynomials for log and atan,
 * Taylor polynomials for exp on |r| <= ln 2 / 2.  Not a public header. */
#ifndef QPM_NUM_V4MATH_H
#define QPM_NUM_V4MATH_H

#include <math.h>
#include <string.h>

typedef double v4d __attribute__((vector_size(32)));
typedef long long v4i __attribute__((vector_size(32)));

/* Every function here is static and inlined: that a 32-byte vector passed
 * by value has another ABI with AVX than without (the -Wpsabi note, off in
 * every build's flags, meson.build) concerns no call of theirs. */
#define QPM__V4_INLINE static inline __attribute__((always_inline))

/* ln 2 in two parts, the first with 32 significant bits (n ln2_hi exact
 * for |n| < 2^21) */
#define QPM__V4_LN2_HI 6.93147180369123816490e-01
#define QPM__V4_LN2_LO 1.90821492927058770002e-10

/* fdlibm's log polynomial in s = f / (2 + f) (VL(log), v4_log_1) */
#define QPM__LG1 6.666666666666735130e-01
#define QPM__LG2 3.999999999940941908e-01
#define QPM__LG3 2.857142874366239149e-01
#define QPM__LG4 2.222219843214978396e-01
#define QPM__LG5 1.818357216161805012e-01
#define QPM__LG6 1.531383769920937332e-01
#define QPM__LG7 1.479819860511658591e-01

#define VL_T      v4d
#define VL_I      v4i
#define VL(name)  v4_##name
#define VL_SET(a) ((v4d){a, a, a, a})
#define VL_N      4
#define VL_INLINE QPM__V4_INLINE
#include "num/vlanes.h"

/* v4_log of one value, with the same operations (so the same bits) */
static inline double v4_log_1(double u)
{
    if (!(u >= 2.2250738585072014e-308 && u <= 1.7976931348623157e308))
        return log(u);
    long long b;
    memcpy(&b, &u, sizeof b);
    double m, f, s, z, w;
    long long mb = (b & 0x000FFFFFFFFFFFFFLL) | 0x3FF0000000000000LL;
    memcpy(&m, &mb, sizeof m);
    long long e = ((b >> 52) & 0x7FF) - 1023;
    if (m > 1.41421356237309504880) {
        m = m * 0.5;
        e = e + 1;
    }
    double dk = (double)e; /* exact, as v4_log's 0x1.8p52 sum */
    f = m - 1.0;
    s = f / (2.0 + f), z = s * s, w = z * z;
    double t1 = w * (QPM__LG2 + w * (QPM__LG4 + w * QPM__LG6));
    double t2 = z * (QPM__LG1 + w * (QPM__LG3 + w * (QPM__LG5 + w * QPM__LG7)));
    double R = t2 + t1, hfsq = 0.5 * f * f;
    return dk * QPM__V4_LN2_HI - ((hfsq - (s * (hfsq + R) + dk * QPM__V4_LN2_LO)) - f);
}

/* ln(1 + x), x > -1: ln u + (x - (u - 1)) / u with u = 1 + x rounded */
QPM__V4_INLINE v4d v4_log1p(v4d x)
{
    v4d u = 1.0 + x;
    return v4_log(u) + (x - (u - 1.0)) / u;
}

/* atan2(y, x) (fdlibm's atan on [0, 1] with its reductions at 7/16 and
 * 11/16, then the octant) */
QPM__V4_INLINE v4d v4_atan2(v4d y, v4d x)
{
    static const double aT[11] = {
        3.33333333333329318027e-01,  -1.99999999998764832476e-01, 1.42857142725034663711e-01,
        -1.11111104054623557880e-01, 9.09088713343650656196e-02,  -7.69187620504482999495e-02,
        6.66107313738753120669e-02,  -5.83357013379057348645e-02, 4.97687799461593236017e-02,
        -3.65315727442169155270e-02, 1.62858201153657823623e-02};
    const double PI = 3.14159265358979311600e+00, PIO2 = 1.57079632679489655800e+00;
    v4d ax = v4_abs(x), ay = v4_abs(y);
    v4i swap = ay > ax;
    v4d num = v4_sel(swap, ax, ay), den = v4_sel(swap, ay, ax);
    v4d t = num / den; /* in [0, 1]; 0/0 is NaN: both zero, below */
    v4i mid = t >= 0.4375, top = t >= 0.6875;
    v4d rn = v4_sel(top, t - 1.0, v4_sel(mid, 2.0 * t - 1.0, t));
    v4d rd = v4_sel(top, t + 1.0, v4_sel(mid, 2.0 + t, v4_set(1.0)));
    v4d xr = rn / rd;
    v4d z = xr * xr, w = z * z;
    v4d s1 = z * (aT[0] + w * (aT[2] + w * (aT[4] + w * (aT[6] + w * (aT[8] + w * aT[10])))));
    v4d s2 = w * (aT[1] + w * (aT[3] + w * (aT[5] + w * (aT[7] + w * aT[9]))));
    v4d hi = v4_sel(top, v4_set(7.85398163397448278999e-01),
                    v4_sel(mid, v4_set(4.63647609000806093515e-01), v4_set(0.0)));
    v4d lo = v4_sel(top, v4_set(3.06161699786838301793e-17),
                    v4_sel(mid, v4_set(2.26987774529616870924e-17), v4_set(0.0)));
    v4d a = v4_sel(mid, hi - ((xr * (s1 + s2) - lo) - xr), xr - xr * (s1 + s2));
    a = v4_sel(swap, PIO2 - a, a);
    a = v4_sel(x < 0.0, PI - a, a);
    a = v4_sel((ax == 0.0) & (ay == 0.0), v4_sel(v4_bits(x) < 0, v4_set(PI), v4_set(0.0)), a);
    return v4_copysign(a, y);
}

/* lanes i0..i3 of the eight lanes of a then b (indices 0..7) */
#if defined(__clang__)
#define QPM__V4_SHUF(a, b, i0, i1, i2, i3) __builtin_shufflevector(a, b, i0, i1, i2, i3)
#else
#define QPM__V4_SHUF(a, b, i0, i1, i2, i3) __builtin_shuffle(a, b, (v4i){i0, i1, i2, i3})
#endif

/* sin and cos on |x| <= 2^19 pi/2: one reduction by pi/2 in three parts
 * (fdlibm's: the first two products are exact for these quotients, the
 * neglected tail of pi/2 below 1e-31 x), the nearest integer to x 2/pi by
 * adding and subtracting 1.5 2^52 (round to nearest, as nearbyint), and
 * fdlibm's kernels on the reduced y (error below 1 ulp).  Written once for
 * double and v4d (the same operators): the scalar fast_sincos of the
 * Heston pricer (pricing/sv_sum.h) and v4_sincos below. */
#define QPM__PIO2_1             1.57079632673412561417e+00
#define QPM__PIO2_2             6.07710050630396597660e-11
#define QPM__PIO2_2T            2.02226624879595063154e-21
#define QPM__INVPIO2            6.36619772367581382433e-01
#define QPM__ROUND52            0x1.8p52
#define QPM__PIO2_REDUCE(x, fn) ((((x) - (fn)*QPM__PIO2_1) - (fn)*QPM__PIO2_2) - (fn)*QPM__PIO2_2T)
/* sin y and cos y from y and z = y^2 */
#define QPM__KSIN(y, z)                                                                            \
    ((y) + ((z) * (y)) * (-1.66666666666666324348e-01 +                                            \
                          (z) * (8.33333333332248946124e-03 +                                      \
                                 (z) * (-1.98412698298579493134e-04 +                              \
                                        (z) * (2.75573137070700676789e-06 +                        \
                                               (z) * (-2.50507602534068634195e-08 +                \
                                                      (z)*1.58969099521155010221e-10))))))
#define QPM__KCOS_R(z)                                                                             \
    ((z) * (4.16666666666666019037e-02 +                                                           \
            (z) * (-1.38888888888741095749e-03 +                                                   \
                   (z) * (2.48015872894767294178e-05 +                                             \
                          (z) * (-2.75573143513906633035e-07 +                                     \
                                 (z) * (2.08757232129817482790e-09 +                               \
                                        (z) * -1.13596475577881948265e-11))))))
#define QPM__KCOS(z)                                                                               \
    ((1.0 - 0.5 * (z)) + (((1.0 - (1.0 - 0.5 * (z))) - 0.5 * (z)) + (z)*QPM__KCOS_R(z)))

/* sin and cos of four arguments, each within the range above */
static inline void v4_sincos(const v4d *xp, v4d *sn, v4d *cs)
{
    v4d x = *xp;
    v4d t = x * QPM__INVPIO2 + QPM__ROUND52;
    v4i n;
    memcpy(&n, &t, sizeof n);
    v4d fn = t - QPM__ROUND52;
    v4d y = QPM__PIO2_REDUCE(x, fn);
    v4d z = y * y;
    v4d sv = QPM__KSIN(y, z), cv = QPM__KCOS(z);
    /* quadrant q: sin = (s, c, -s, -c)[q], cos = (c, -s, -c, s)[q] */
    v4i swap = -(n & 1), si, ci;
    memcpy(&si, &sv, sizeof si);
    memcpy(&ci, &cv, sizeof ci);
    v4i so = (si & ~swap) | (ci & swap), co = (ci & ~swap) | (si & swap);
    const long long SIGN = (long long)0x8000000000000000ULL;
    so ^= -((n >> 1) & 1) & SIGN;
    co ^= -(((n + 1) >> 1) & 1) & SIGN;
    memcpy(sn, &so, sizeof so);
    memcpy(cs, &co, sizeof co);
}

/* v4_sincos on any arguments: lanes beyond its range go to libm */
static inline void v4_sincos_any(const v4d *xp, v4d *sn, v4d *cs)
{
    v4d x = *xp;
    v4i far = ~(v4_abs(x) <= 0x1p19 * 1.5707963267948966);
    v4d xin = v4_sel(far, v4_set(0.0), x);
    v4_sincos(&xin, sn, cs);
    if ((far[0] | far[1] | far[2] | far[3]) != 0)
        for (int i = 0; i < 4; i++)
            if (far[i]) {
                (*sn)[i] = sin(x[i]);
                (*cs)[i] = cos(x[i]);
            }
}

/* ---- complex numbers, four at a time ---------------------------------------- */

typedef struct c4 {
    v4d r, i;
} c4;

QPM__V4_INLINE c4 c4_make(v4d r, v4d i)
{
    c4 z = {r, i};
    return z;
}

QPM__V4_INLINE c4 c4_add(c4 a, c4 b)
{
    return c4_make(a.r + b.r, a.i + b.i);
}

QPM__V4_INLINE c4 c4_sub(c4 a, c4 b)
{
    return c4_make(a.r - b.r, a.i - b.i);
}

QPM__V4_INLINE c4 c4_neg(c4 a)
{
    return c4_make(-a.r, -a.i);
}

/* a times the real s */
QPM__V4_INLINE c4 c4_scale(c4 a, v4d s)
{
    return c4_make(a.r * s, a.i * s);
}

QPM__V4_INLINE c4 c4_mul(c4 a, c4 b)
{
    return c4_make(a.r * b.r - a.i * b.i, a.r * b.i + a.i * b.r);
}

/* 1 - a */
QPM__V4_INLINE c4 c4_one_minus(c4 a)
{
    return c4_make(1.0 - a.r, -a.i);
}

/* a / b without overflow guards: every divisor it serves is bounded away
 * from 0 and from overflow (sv_cf.c) */
QPM__V4_INLINE c4 c4_div(c4 a, c4 b)
{
    v4d r = 1.0 / (b.r * b.r + b.i * b.i);
    return c4_make((a.r * b.r + a.i * b.i) * r, (a.i * b.r - a.r * b.i) * r);
}

/* e^z */
QPM__V4_INLINE c4 c4_exp(c4 z)
{
    v4d sn, cs, e = v4_exp(z.r);
    v4_sincos_any(&z.i, &sn, &cs);
    return c4_make(e * cs, e * sn);
}

/* e^z - 1 without cancellation for small |z|: with s, c the sine and
 * cosine of b/2, cos b = 1 - 2 s^2 and sin b = 2 s c */
QPM__V4_INLINE c4 c4_expm1(c4 z)
{
    v4d sh, ch, hb = 0.5 * z.i;
    v4_sincos_any(&hb, &sh, &ch);
    v4d em1 = v4_expm1(z.r), s2 = 2.0 * sh * sh;
    return c4_make(em1 * (1.0 - s2) - s2, (em1 + 1.0) * (2.0 * sh * ch));
}

/* the principal square root: t = sqrt((|w| + |Re w|) / 2) the larger
 * part, Im w / (2 t) the other, with no cancellation; 0 at 0 */
QPM__V4_INLINE c4 c4_sqrt(c4 w)
{
    v4d p = w.r, q = w.i;
    v4d t = v4_sqrt(0.5 * (v4_sqrt(p * p + q * q) + v4_abs(p)));
    v4d o = 0.5 * v4_abs(q) / t;
    v4i pos = p >= 0.0, zero = (p == 0.0) & (q == 0.0);
    c4 r = c4_make(v4_sel(pos, t, o), v4_sel(pos, v4_copysign(o, q), v4_copysign(t, q)));
    r.r = v4_sel(zero, v4_set(0.0), r.r);
    r.i = v4_sel(zero, v4_set(0.0), r.i);
    return r;
}

/* log(1 + z), accurate for small |z| */
QPM__V4_INLINE c4 c4_log1p(c4 z)
{
    v4d a = z.r, b = z.i;
    return c4_make(0.5 * v4_log1p(a * (2.0 + a) + b * b), v4_atan2(b, 1.0 + a));
}

/* log(1 + z) / z; its series 1 - z/2 (+ z^2/3, below 1e-200 there) for
 * tiny z, where 1/|z|^2 in c4_div would overflow */
QPM__V4_INLINE c4 c4_log1p_over(c4 z)
{
    v4i tiny = v4_abs(z.r) + v4_abs(z.i) < 1e-100;
    v4d one = v4_set(1.0);
    /* tiny lanes divide 1 + z by itself (their quotient is not used) */
    c4 zz = c4_make(v4_sel(tiny, one + z.r, z.r), v4_sel(tiny, z.i, z.i));
    c4 q = c4_div(c4_log1p(zz), zz);
    return c4_make(v4_sel(tiny, 1.0 - 0.5 * z.r, q.r), v4_sel(tiny, -0.5 * z.i, q.i));
}

#endif /* QPM_NUM_V4MATH_H */
