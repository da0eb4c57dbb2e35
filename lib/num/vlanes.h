/* Lane-width template of the elementary vector helpers (GCC / clang
 * vector extensions): bit access, select, rounding, exp and expm1, from
 * plain lane-wise arithmetic and bit operations, so that every build and
 * every width gives the same bits lane by lane.  Included by num/v4math.h
 * (four lanes, v4_ names) and num/v8math.h (eight, v8_ names) with VL_T
 * (the double vector), VL_I (the integer vector of its size), VL(name)
 * (the name of a function here), VL_N (the lanes), VL_SET(a) (a broadcast
 * initializer) and
 * VL_INLINE defined (undefined at the end); QPM__V4_LN2_HI and _LO
 * defined.  No include guard: one inclusion per width.
 * Not a public header. */

VL_INLINE VL_T VL(set)(double a)
{
    return VL_SET(a);
}

VL_INLINE VL_I VL(bits)(VL_T x)
{
    VL_I i;
    memcpy(&i, &x, sizeof i);
    return i;
}

VL_INLINE VL_T VL(from_bits)(VL_I i)
{
    VL_T x;
    memcpy(&x, &i, sizeof x);
    return x;
}

/* mask ? a : b, mask lanes all ones or all zeros */
VL_INLINE VL_T VL(sel)(VL_I mask, VL_T a, VL_T b)
{
    return VL(from_bits)((VL(bits)(a) & mask) | (VL(bits)(b) & ~mask));
}

VL_INLINE VL_T VL(abs)(VL_T x)
{
    return VL(from_bits)(VL(bits)(x) & 0x7FFFFFFFFFFFFFFFLL);
}

VL_INLINE VL_T VL(copysign)(VL_T mag, VL_T sgn)
{
    return VL(from_bits)((VL(bits)(mag) & 0x7FFFFFFFFFFFFFFFLL) |
                         (VL(bits)(sgn) & (long long)0x8000000000000000ULL));
}

/* the nearest integer to x (|x| < 2^51) as a double, and its low bits in *n */
VL_INLINE VL_T VL(round)(VL_T x, VL_I *n)
{
    VL_T t = x + 0x1.8p52;
    *n = VL(bits)(t);
    return t - 0x1.8p52;
}

/* e^r - 1 for |r| <= ln 2 / 2 + a little: Taylor to degree 13 (the
 * remainder below 5e-18 relative), r + r^2 (1/2 + r (1/6 + ...)) */
VL_INLINE VL_T VL(expm1_red)(VL_T r)
{
    VL_T p = 1.0 / 479001600.0 + r * (1.0 / 6227020800.0);
    p = 1.0 / 39916800.0 + r * p;
    p = 1.0 / 3628800.0 + r * p;
    p = 1.0 / 362880.0 + r * p;
    p = 1.0 / 40320.0 + r * p;
    p = 1.0 / 5040.0 + r * p;
    p = 1.0 / 720.0 + r * p;
    p = 1.0 / 120.0 + r * p;
    p = 1.0 / 24.0 + r * p;
    p = 1.0 / 6.0 + r * p;
    p = 0.5 + r * p;
    return r + (r * r) * p;
}

/* 2^n for integer lanes n in [-1022, 1023] */
VL_INLINE VL_T VL(pow2)(VL_I n)
{
    return VL(from_bits)((n + 1023) << 52);
}

/* the integer n of v4_round's low bits (|n| < 2^51) */
VL_INLINE VL_I VL(int_of)(VL_I bits)
{
    return bits - VL(bits)(VL(set)(0x1.8p52));
}

/* x = n ln 2 + r, |r| <= ln 2 / 2 (x within [-708, 709]): r, and 2^n */
VL_INLINE VL_T VL(exp_reduce)(VL_T x, VL_T *two_n)
{
    VL_I nb;
    VL_T fn = VL(round)(x * 1.44269504088896338700e+00, &nb);
    *two_n = VL(pow2)(VL(int_of)(nb));
    return (x - fn * QPM__V4_LN2_HI) - fn * QPM__V4_LN2_LO;
}

/* x clamped to [lo, 709] */
VL_INLINE VL_T VL(clamp)(VL_T x, double lo)
{
    x = VL(sel)(x < lo, VL(set)(lo), x);
    return VL(sel)(x > 709.0, VL(set)(709.0), x);
}

/* e^x; lanes below -708 give 0 (e^-708 is 3e-308), NaN stays NaN */
VL_INLINE VL_T VL(exp)(VL_T x)
{
    VL_T t, r = VL(exp_reduce)(VL(clamp)(x, -708.0), &t);
    VL_T e = (1.0 + VL(expm1_red)(r)) * t;
    e = VL(sel)(x < -708.0, VL(set)(0.0), e);
    e = VL(sel)(x > 709.0, VL(set)(HUGE_VAL), e);
    return VL(sel)(x != x, x, e);
}

/* e^x - 1 without cancellation for small |x|: 2^n expm1(r) + (2^n - 1),
 * both parts exact but the product; x below -60 gives -1 to the last bit */
VL_INLINE VL_T VL(expm1)(VL_T x)
{
    VL_T t, r = VL(exp_reduce)(VL(clamp)(x, -60.0), &t);
    VL_T e = t * VL(expm1_red)(r) + (t - 1.0);
    e = VL(sel)(x > 709.0, VL(set)(HUGE_VAL), e);
    return VL(sel)(x != x, x, e);
}

VL_INLINE void VL(load)(VL_T *v, const double *p)
{
    memcpy(v, p, sizeof *v);
}

/* square roots lane by lane (each correctly rounded) */
VL_INLINE VL_T VL(sqrt)(VL_T x)
{
    VL_T r;
    for (int i = 0; i < VL_N; i++)
        r[i] = sqrt(x[i]);
    return r;
}

/* ln u for positive normal u (fdlibm's reduction to [sqrt(2)/2, sqrt(2))
 * and its polynomial in s = f / (2 + f)); other lanes go to libm */
VL_INLINE VL_T VL(log)(VL_T u)
{
    static const double Lg1 = QPM__LG1, Lg2 = QPM__LG2, Lg3 = QPM__LG3, Lg4 = QPM__LG4,
                        Lg5 = QPM__LG5, Lg6 = QPM__LG6, Lg7 = QPM__LG7;
    VL_I b = VL(bits)(u);
    VL_T m = VL(from_bits)((b & 0x000FFFFFFFFFFFFFLL) | 0x3FF0000000000000LL);
    VL_I e = ((b >> 52) & 0x7FF) - 1023;
    VL_I big = m > 1.41421356237309504880;
    m = VL(sel)(big, m * 0.5, m);
    e = e - big; /* big lanes are -1 */
    VL_T dk = VL(from_bits)(VL(bits)(VL(set)(0x1.8p52)) + e) - 0x1.8p52;
    VL_T f = m - 1.0;
    VL_T s = f / (2.0 + f), z = s * s, w = z * z;
    VL_T t1 = w * (Lg2 + w * (Lg4 + w * Lg6));
    VL_T t2 = z * (Lg1 + w * (Lg3 + w * (Lg5 + w * Lg7)));
    VL_T R = t2 + t1, hfsq = 0.5 * f * f;
    VL_T l = dk * QPM__V4_LN2_HI - ((hfsq - (s * (hfsq + R) + dk * QPM__V4_LN2_LO)) - f);
    VL_I odd = ~((u >= 2.2250738585072014e-308) & (u <= 1.7976931348623157e308));
    long long any = 0;
    for (int i = 0; i < VL_N; i++)
        any |= odd[i];
    if (any != 0)
        for (int i = 0; i < VL_N; i++)
            if (odd[i])
                l[i] = log(u[i]);
    return l;
}

#undef VL_T
#undef VL_I
#undef VL
#undef VL_SET
#undef VL_N
#undef VL_INLINE
