/* Constants of the vector exp, expm1 and log shared by the AVX2 and AVX-512
 * kernels (one definition, so the two kernels cannot drift apart).
 *
 * Argument reduction: x = k ln2 + r with k = round(x log2(e)) and ln2 split
 * in a high part with trailing zeros (k * LN2_HI is exact for the k that
 * occur) and the rest.
 *
 * q(r) = (e^r - 1 - r)/r^2, so that e^r = 1 + r (1 + r q) and e^r - 1 =
 * r (1 + r q): the part shared by exp and expm1.  Degree 10 for |r| <=
 * ln2/2: the Chebyshev interpolant of degree 29 of q on that interval
 * (mpmath, 50 digits) truncated to degree 10 and converted to the monomial
 * basis, coefficients rounded once; 1 + r + r^2 q is then within 3.5e-19
 * relative of e^r (2001 points).  QPM__EXPQ_10 is the leading coefficient,
 * QPM__EXPQ_0 the constant term (1/2). */
#ifndef QPM_PRICING_VEXP_CONST_H
#define QPM_PRICING_VEXP_CONST_H

#define QPM__LOG2E 0x1.71547652b82fep+0
#define QPM__LN2_HI 0x1.62e42fefa39efp-1
#define QPM__LN2_LO 0x1.abc9e3b39803fp-56

#define QPM__EXPQ_10 0x1.1f7f20647c7b9p-29
#define QPM__EXPQ_9 0x1.af4dde4b9be8cp-26
#define QPM__EXPQ_8 0x1.27e4d41d338f2p-22
#define QPM__EXPQ_7 0x1.71de0236eabcbp-19
#define QPM__EXPQ_6 0x1.a01a01a9e8290p-16
#define QPM__EXPQ_5 0x1.a01a01abe6549p-13
#define QPM__EXPQ_4 0x1.6c16c16c15a6cp-10
#define QPM__EXPQ_3 0x1.11111111100dfp-7
#define QPM__EXPQ_2 0x1.5555555555557p-5
#define QPM__EXPQ_1 0x1.5555555555557p-3
#define QPM__EXPQ_0 0x1.0000000000000p-1

#endif /* QPM_PRICING_VEXP_CONST_H */
