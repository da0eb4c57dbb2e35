/* The Mills-ratio family (internal): R(z) = N(-z)/n(z) for z >= 0, N the
 * standard normal CDF and n its density; Q(z) = 1 - z R(z) = -R'(z); and
 * the cancellation-free difference R(a1) - R(a1 + s).  Tail probabilities
 * are n(z) R(z): each keeps its relative accuracy far into the tail.
 *
 *   member                  forms          method                 largest error
 *   R4 qpm__mills_p4        scalar, vector 4 pieces of w = 4/(z+4), 3.4 ulp
 *                           (qv_mills_p4)  degree 13
 *   R8 qv_mills_p8          vector         8 pieces, degree 10     3.4 ulp
 *   Q  qpm__mills_q         scalar         4 pieces, degree 11,    5.1 ulp
 *                                          z >= 2
 *   rational qpm__mills_rat scalar, vector (6, 6) on 4 intervals   6.1 ulp (vector
 *                           (qv_mills_rat)                         5.5)
 *   absolute qpm__mills_abs scalar, vector (7, 7) on [0, 8.5],      n(z) R(z) within
 *                           (qv_mills_abs) clamped beyond          2.5e-16 of N(-z),
 *                                                                  absolute
 *   qpm__mills_diff_in      scalar         Taylor series about the 32 eps
 *                                          midpoint, or continued
 *                                          fraction
 *
 * The errors are the largest seen against long-double references on
 * 4 10^6 random points of [0, 40] (tests/test_num_vmath.c checks them on
 * every run; the difference against 50-digit values in
 * tests/test_pricing_mills.c).
 * Users: the pricing kernels (R4 in the scalar and AVX2 kernels, R8 in the
 * AVX-512 kernel, Q and the difference in all), the implied-volatility
 * solver (the rational member, scalar and vector), the book's P&L kernel
 * (the absolute member).  R4, R8 and the rational
 * member round differently in the last bits: a kernel keeps its member, and
 * choosing another changes its results.  Vector forms in vmills.h.  Static
 * inline so that a translation unit built with FMA gets fma() as one
 * instruction (the same results: fma is exact). */
#ifndef QPM_NUM_MILLS_H
#define QPM_NUM_MILLS_H

#include <math.h>

#include "num/normal.h"

/* The absolute member: R(z) for uses that need the tail probability N(-z)
 * = n(z) R(z) to an absolute accuracy only (a P&L term, whose scale is the
 * price: the book's P&L kernel).  One rational function of degree (7, 7)
 * in z on [0, 8.5], z clamped there (beyond, N(-z) < 1e-17): its weighted
 * fit error |n (R - P/Q)| is 3.5e-18 (linearised least squares with
 * Lawson's weights, 60-digit arithmetic, 400 Chebyshev nodes); every
 * coefficient is positive but p7 (-5.2e-10), so Horner's rule in double
 * has no cancellation.  n(z) R(z) is within 2.5e-16 of N(-z) in absolute
 * terms (n from libm's exp; tests/test_num_vmath.c); R itself is within a
 * few ulp for small z and loses relative accuracy as z grows (1.1e-8 at
 * z = 8.5, where n R is 9e-18), so it is not a general Mills ratio.  No
 * table row to pick: the cheapest member in vector code.  Rows:
 * coefficient k of P, then of Q. */
#define QPM__RABS_ZMAX 8.5
static const double qpm__rabs[8][2] = {
    {0x1.40d931ff62706p+0, 0x1.0000000000000p+0},  {0x1.35fb1ebb580c5p+0, 0x1.c396633f24ddap+0},
    {0x1.31a850459902bp-1, 0x1.62411ccd935b6p+0},  {0x1.6701024b8e50ap-3, 0x1.418100c76f47ep-1},
    {0x1.05a92a24f1252p-5, 0x1.6e1b86e2aaaa9p-3},  {0x1.bc293e4166f61p-9, 0x1.06f146c2f7466p-5},
    {0x1.57d781c4c859bp-13, 0x1.bc3a9b26a2caep-9}, {-0x1.1efda828911c2p-31, 0x1.57caeb273ea33p-13},
};

/* R4: R(z) for 0 <= z <= 40.
 *
 * With w = 4/(z + 4) in (1/11, 1], split into four equal pieces, R(z) = w g(w)
 * and g is a polynomial of degree 13 in u = (w - m_p) / h on each piece
 * (|u| <= 1, h = 5/44).  The coefficients are the degree-13 truncation of
 * the Chebyshev interpolant of degree 24 of g on each piece, computed with
 * mpmath at 50 digits (R from erfc and exp), converted to the monomial basis
 * in u and rounded once; truncation error below 2e-17 relative.  u is formed
 * as (4(1 - m_p) - m_p z) / (z + 4) / h so that small z keeps its relative
 * accuracy.  Evaluated with FMA in Horner form the result is within 3.4 ulp
 * of R (see the family's table above).
 * Piece p holds z in [QPM__RZ_p, QPM__RZ_{p+1}). */
#define QPM__RZ1   0x1.2d2d2d2d2d2d3p+0 /* 20/17 */
#define QPM__RZ2   0x1.aaaaaaaaaaaabp+1 /* 10/3 */
#define QPM__RZ3   0x1.1249249249249p+3 /* 60/7 */
#define QPM__RZMAX 40.0
#define QPM__RINVH 0x1.199999999999ap+3 /* 1/h = 8.8 */
#define QPM__RDEG  13

/* rows: mid m_p, offset 4(1 - m_p), then coefficients of u^0 .. u^13;
 * columns: piece 0..3 (one AVX2 register per row) */
static _Alignas(32) const double qpm__rtab[2 + QPM__RDEG + 1][4] = {
    {0x1.c5d1745d1745dp-1, 0x1.51745d1745d17p-1, 0x1.ba2e8ba2e8ba3p-2, 0x1.a2e8ba2e8ba2fp-3},
    {0x1.d1745d1745d18p-2, 0x1.5d1745d1745d2p+0, 0x1.22e8ba2e8ba2ep+1, 0x1.9745d1745d174p+1},
    {0x1.f6176eeaf161fp-1, 0x1.3f19688bda8a3p-1, 0x1.b3ccbcbdf2f76p-2, 0x1.4083c4ef53532p-2},
    {0x1.e372dbaa0da63p-3, 0x1.0c0d9c4e8e148p-3, 0x1.2ac0371d08216p-4, 0x1.5fcc3b1b02567p-5},
    {0x1.150060cc03b90p-5, 0x1.4022db75d201bp-6, 0x1.509d257b0d90ep-7, 0x1.5ae5150a19f29p-8},
    {0x1.6603d4ba812a4p-9, 0x1.02a589b645b08p-9, 0x1.2b2d1423ae7a4p-10, 0x1.2bb8d34ef0ed3p-11},
    {0x1.24bab67f7a644p-14, 0x1.cb0447f4ed88bp-14, 0x1.7db4f11de0043p-14, 0x1.b2262978a9f84p-15},
    {-0x1.cb471003e321fp-18, -0x1.a1e8ed8495d30p-21, 0x1.f0d200ccdc008p-19, 0x1.dd9b117acd3a0p-19},
    {-0x1.9cd363a95e9a9p-22, -0x1.1db2b384571fcp-21, -0x1.60c5ab58e8f04p-23, 0x1.12218aa82a97dp-23},
    {0x1.e38322ea2ce3cp-26, -0x1.7c8a58b06eba3p-27, -0x1.11f7785a60086p-25, -0x1.00dff002882b8p-27},
    {0x1.7dd51ab02668dp-30, 0x1.7ed378d98f4a4p-29, -0x1.50f75b5d2c19ep-31, -0x1.a4bc785c3483ep-30},
    {-0x1.6a304f4c00f1cp-33, 0x1.3698c13373173p-34, 0x1.bb4b58d47f929p-33, -0x1.5901f1d91b084p-34},
    {-0x1.bdeef5f245e9cp-40, -0x1.40f10cd850408p-36, 0x1.7f8b43912ddf2p-37, 0x1.b59bf01527d99p-38},
    {0x1.01483f84c6b0ap-40, -0x1.1924478f76b2fp-43, -0x1.97a9f9cd18ee6p-40, 0x1.4dc9f00089ab9p-40},
    {-0x1.3083afdad861ap-45, 0x1.200b9ab7489f8p-43, -0x1.ef6796403ebabp-44, 0x1.5b288aa2bbfa7p-46},
    {-0x1.c79a374ef949ep-49, -0x1.fa2476d6ed19bp-49, 0x1.c9bad6543b2e9p-47, -0x1.89730252d1c25p-47},
};

/* Q(z) = 1 - z R(z) = -R'(z) for 2 <= z <= 40, the same way: w = 4/(z + 4)
 * in [1/11, 2/3] in four equal pieces, Q(z) = w^2 q(w) with q a polynomial of
 * degree 11 in u = (w - m_p) / h (h = 35/264), from a degree-28 Chebyshev
 * interpolant at 50 digits (truncation below 1e-17 relative); within 5.1
 * ulp (see the family's table above).  Q has no cancellation this way,
 * unlike 1 - z R(z) in floating point. */
#define QPM__QZ1   0x1.d37a6f4de9bd3p+1
#define QPM__QZ2   0x1.a3d70a3d70a3dp+2
#define QPM__QZ3   0x1.a108421084211p+3
#define QPM__QINVH 0x1.bca1af286bca2p+3
#define QPM__QDEG  11

static _Alignas(32) const double qpm__qtab[2 + QPM__QDEG + 1][4] = {
    {0x1.307c1f07c1f08p-1, 0x1.cd9364d9364d9p-2, 0x1.3a2e8ba2e8ba3p-2, 0x1.4d9364d9364d9p-3},
    {0x1.9f07c1f07c1f0p+0, 0x1.19364d9364d94p+1, 0x1.62e8ba2e8ba2ep+1, 0x1.ac9b26c9b26cap+1},
    {0x1.2233e9c7fa562p-2, 0x1.7b8de4d53044cp-3, 0x1.0127e3c02b55ap-3, 0x1.6abf9fde1871bp-4},
    {0x1.fd687fb3170f7p-5, 0x1.361420d6ef133p-5, 0x1.7bf6f127ac890p-6, 0x1.dd9730095e4a6p-7},
    {0x1.f534addc3e53ep-8, 0x1.342870e192e57p-8, 0x1.6c810939d6d27p-9, 0x1.ab8f873ca389ep-10},
    {0x1.31cc0d4833f3ep-11, 0x1.a3c77d36ec2c6p-12, 0x1.03b05d9a8e97ap-12, 0x1.2d587d4db5b42p-13},
    {0x1.80c1ef85e8ff9p-16, 0x1.6c5100e0c7d32p-16, 0x1.0de9a82337aa9p-16, 0x1.52938f9f3d092p-17},
    {-0x1.ed3618c8324d5p-23, 0x1.be09485decdc2p-22, 0x1.55ec338776553p-21, 0x1.1c30233363fdep-21},
    {-0x1.1a7d58b5c3f45p-24, -0x1.40ec6d4fdc90ep-25, -0x1.6c898a9a798ccp-30, 0x1.08f3389a6ca20p-26},
    {-0x1.f42fd2f831c54p-31, -0x1.7a759559ead98p-29, -0x1.1719b10c3c9f3p-29,
     -0x1.d166942f103a6p-32},
    {0x1.85bce009f6140p-33, 0x1.212d977c4d323p-35, -0x1.b9931dd39c3a2p-34, -0x1.60a0a79ad553ap-34},
    {0x1.039b7f418b2adp-38, 0x1.67a39573953c2p-37, 0x1.a06b27223f300p-39, -0x1.046a7d31904bep-38},
    {-0x1.3f11a26c4d6d0p-41, 0x1.815e8b5921407p-45, 0x1.1d7ed5cf01739p-41, 0x1.a37a0feab5760p-44},
    {-0x1.06ebea649d418p-47, -0x1.59e9630ab7e23p-45, 0x1.2c846a5833210p-48, 0x1.7b6d64da3bdf6p-46},
};

/* R8: R(z) for 0 <= z (clamped at 40), the scheme of R4 with eight pieces,
 * one per lane of an AVX-512 register, so that
 * degree 10 does (four pieces need 13): with w = 4/(z + 4) in (1/11, 1] cut
 * into eight equal pieces of half-width h = 5/88 and mid m_p, R(z) = w g(w),
 * g a polynomial in u = (w - m_p)/h = (4(1 - m_p)/h - (m_p/h) z)/(z + 4).
 * Coefficients: the degree-10 truncation of the Chebyshev interpolant of
 * degree 24 of g on each piece, computed with mpmath at 50 digits (R from
 * erfc and exp), converted to the monomial basis in u and rounded once, as
 * for the four-piece table: largest relative error of the rounded polynomial
 * 8.4e-17 over 401 points per piece (the four-piece, degree-13 table: 8.4e-17
 * by the same measure).  Rows: m_p/h, 4(1 - m_p)/h, then 4 times the
 * coefficients of u^0 .. u^10 (the factor 4 of w folded in, exactly). */
static _Alignas(64) const double qpm__rtab8[13][8] = {
    {0x1.099999999999ap+4, 0x1.d333333333334p+3, 0x1.9333333333333p+3, 0x1.5333333333333p+3,
     0x1.1333333333333p+3, 0x1.a666666666666p+2, 0x1.2666666666666p+2, 0x1.4cccccccccccdp+1},
    {0x1.ffffffffffff8p+1, 0x1.7fffffffffffep+3, 0x1.3ffffffffffffp+4, 0x1.c000000000000p+4,
     0x1.2000000000000p+5, 0x1.6000000000000p+5, 0x1.a000000000000p+5, 0x1.e000000000000p+5},
    {0x1.1b838bae46e29p+2, 0x1.bdd0edd34e9ecp+1, 0x1.633c9ae6eb7bfp+1, 0x1.1ff88c143f421p+1,
     0x1.dbece8d6de590p+0, 0x1.90f2004c8fa56p+0, 0x1.57ef09edebe46p+0, 0x1.2bcffc854c473p+0},
    {0x1.167b115cea792p-1, 0x1.a2516e50f50a3p-2, 0x1.37366a70c65b5p-2, 0x1.cde8db8e476e3p-3,
     0x1.588646f3bcc20p-3, 0x1.03ffa0e732538p-3, 0x1.8ee4ae58e5aa7p-4, 0x1.37bec5f31f3d0p-4},
    {0x1.3759a0b43b61ap-5, 0x1.e8b96d2caea9fp-6, 0x1.734c38c442720p-6, 0x1.12565e3d4f133p-6,
     0x1.8d54105df375fp-7, 0x1.1cd5e1a77a92bp-7, 0x1.987ab9555d6a3p-8, 0x1.278053f746dd5p-8},
    {0x1.75f34aa65f7ddp-10, 0x1.519c4b214c312p-10, 0x1.1ee7384e0cb70p-10, 0x1.cbbf47688263cp-11,
     0x1.5d306d031f966p-11, 0x1.fbf4e84000763p-12, 0x1.66cfe024b248dp-12, 0x1.f3e2c5ede441cp-13},
    {0x1.aeeb1930b3598p-17, 0x1.65f4b91efd533p-16, 0x1.ba5549d4dc872p-16, 0x1.cb0fd83f18b25p-16,
     0x1.a15815094cc8dp-16, 0x1.54e13941c708ep-16, 0x1.003a9334ab8c1p-16, 0x1.6bc27bafda345p-17},
    {-0x1.0719cc2151479p-20, -0x1.74b1fdbe0af06p-21, -0x1.43e1fb1aa6980p-22, 0x1.8ddffd17b5ab0p-24,
     0x1.97d954c530571p-22, 0x1.0ea239b6f0acbp-21, 0x1.051cafea459a9p-21, 0x1.a649b5feef3d5p-22},
    {-0x1.2a7b7ba508c67p-26, -0x1.fa55575103c96p-26, -0x1.27c57abca6210p-25, -0x1.fde356306d373p-26,
     -0x1.2a737832376d9p-26, -0x1.f9d970a66b44ap-29, 0x1.82bf8f9e061a6p-28, 0x1.3538bc87c0165p-27},
    {0x1.14b36e40c118ap-30, 0x1.6b5469b5a4bddp-31, 0x1.d78b239326a4fp-37, -0x1.6e28f6e1d60e4p-31,
     -0x1.164ff2409bb31p-30, -0x1.dde9579e17988p-31, -0x1.e774a0f2a6ca0p-32,
     -0x1.24a548b821acep-34},
    {0x1.64207336c69e4p-37, 0x1.1f9d4fede3909p-35, 0x1.8e770c462c749p-35, 0x1.37daf2530b6e0p-35,
     0x1.a6497dad951d3p-38, -0x1.78fc0d980ff86p-36, -0x1.ebc42cc7c3ff4p-36, -0x1.36e96ee82127fp-36},
    {-0x1.615673616b91ep-40, -0x1.39d0011feb93ep-40, -0x1.469a66183bdb8p-43, 0x1.5697dc4ff49f9p-40,
     0x1.ff2c0191e9e80p-40, 0x1.1eb6f69ad66f6p-40, -0x1.0a3b5408c85f4p-42, -0x1.9be91e1ce7813p-41},
    {0x1.81b29544dd141p-47, -0x1.f09622536fe6bp-46, -0x1.290a91accea0cp-44, -0x1.0be714439b0fap-44,
     0x1.bbae573caea60p-48, 0x1.21edbe9f68534p-44, 0x1.bbae041199bc7p-45, 0x1.faa71c48e2558p-50},
};

/* The rational member: R(z) for z >= 0, within 6.1 ulp (the family's table
 * above).  Rational approximations of degree (6, 6) made for this library
 * (relative least squares on Chebyshev nodes with iterated weights,
 * 60-digit arithmetic): R(z) on [0, 1], [1, 3] and [3, 8], and z R(z) as a
 * function of w = 1/z^2 on [8, inf).  All
 * coefficients are positive, so the evaluation has no cancellation; the
 * interval picks a column, so there is no data-dependent branch.
 * Coefficient-major: row k holds coefficient k of the four intervals (one
 * register for the vector form). */
static _Alignas(32) const double qpm__rat_tab[13][4] = {
    {1.2533141373155003, 1.2533141344096734, 1.253280406204456, 1.0},
    {0.9643122850298589, 1.1235574027061994, 1.376769664767417, 66.31663547791392},
    {0.3928248790796716, 0.5062131273998823, 0.7318345450188116, 1529.7660653768155},
    {0.08858760953363787, 0.1300329918924219, 0.2275532366178473, 15026.956259747525},
    {0.01123861650074471, 0.018944652213469262, 0.041533803312570027, 61391.123015845165},
    {0.0006187537860247438, 0.0012552544094695524, 0.0038750307309619514, 84013.37092992652},
    {8.476820483695028e-08, 5.725176789001794e-09, 5.0609165835618465e-11, 16961.974617203203},
    {1.5672944448207218, 1.694353643309839, 1.8962585905048992, 67.31663547791392},
    {1.063948945871477, 1.2557983526188954, 1.5972208892113537, 1594.0827008547294},
    {0.40190542117586053, 0.5245178422259117, 0.7733133649482956, 16434.089054168508},
    {0.08950678936648328, 0.13135461841548832, 0.23143169993582619, 73947.7134996223},
    {0.011207046403057586, 0.018939674838609574, 0.041533654417546834, 126446.811052577},
    {0.0006210301864174696, 0.0012554965003406702, 0.0038750347454065744, 53917.51862671646},
};

/* R4: R(z), 0 <= z (clamped at 40, where every use multiplies it by an
 * underflowed density); rz = 1/(z + 4) given. */
/* Piece p of a four-piece table (rows: m_p, 4(1 - m_p), then the
 * coefficients of u^0 .. u^deg): the polynomial at u = (4(1 - m_p) - m_p z)
 * rz invh, rz = 1/(z + 4). */
static inline double qpm__mills_piece(const double (*tab)[4], int deg, int p, double z, double rz,
                                      double invh)
{
    double u = fma(-tab[0][p], z, tab[1][p]) * rz * invh;
    double g = tab[2 + deg][p];
    for (int k = deg - 1; k >= 0; k--)
        g = fma(g, u, tab[2 + k][p]);
    return g;
}

static inline double qpm__mills_p4_r(double z, double rz)
{
    int p = (z >= QPM__RZ1) + (z >= QPM__RZ2) + (z >= QPM__RZ3);
    return 4.0 * rz * qpm__mills_piece(qpm__rtab, QPM__RDEG, p, z, rz, QPM__RINVH);
}

static inline double qpm__mills_p4(double z)
{
    z = fmin(z, QPM__RZMAX);
    return qpm__mills_p4_r(z, 1.0 / (z + 4.0));
}

/* Q(z) = 1 - z R(z) = -R'(z) for 2 <= z (clamped at 40), from its table. */
static inline double qpm__mills_q(double z)
{
    z = fmin(z, QPM__RZMAX);
    int p = (z >= QPM__QZ1) + (z >= QPM__QZ2) + (z >= QPM__QZ3);
    double rz = 1.0 / (z + 4.0);
    double g = qpm__mills_piece(qpm__qtab, QPM__QDEG, p, z, rz, QPM__QINVH);
    double w = 4.0 * rz;
    return w * w * g;
}

/* ---- Mills ratio difference --------------------------------------------- */

/* Continued fraction R(z) = 1/(z+ 1/(z+ 2/(z+ 3/(z+ ...)))).  With the tails
 * T_j(z) = c_j/(z + T_{j+1}(z)), the difference of two tails obeys
 *     T_j(z1) - T_j(z2) = T_j(z1) T_j(z2) / c_j * (s - (T_{j+1}(z1) - T_{j+1}(z2)))
 * where every factor is positive and the inner difference is below s/2, so
 * the recursion carries full relative accuracy.  The recursion starts from
 * the fixed point of the tail, T_N ~ (sqrt(z^2 + 4N) - z)/2. */
static inline double qpm__mills_diff_cf(double z1, double s, int nterms)
{
    double z2 = z1 + s;
    double dn = (double)nterms;
    double r1 = sqrt(z1 * z1 + 4.0 * dn), r2 = sqrt(z2 * z2 + 4.0 * dn);
    double t1 = 0.5 * (r1 - z1), t2 = 0.5 * (r2 - z2);
    double d = 0.5 * s * (1.0 - (z1 + z2) / (r1 + r2));
    for (int j = nterms - 1; j >= 0; j--) {
        double c = j == 0 ? 1.0 : (double)j;
        double n1 = c / (z1 + t1), n2 = c / (z2 + t2);
        d = n1 * n2 / c * (s - d);
        t1 = n1;
        t2 = n2;
    }
    return d;
}

static inline double qpm__mills_diff_in(double a1, double s)
{
    double t = 0.5 * s, m = a1 + t;
    if (a1 >= 8.0 || (a1 >= 2.0 && t > 0.25)) {
        /* depth for a relative truncation error below 2e-16 (checked
         * against 50-digit values for a1 in [2, 12]) */
        int nterms = 10 + (int)(360.0 / (a1 * a1));
        return qpm__mills_diff_cf(a1, s, nterms);
    }
    /* Taylor series about the midpoint m: R(m - t) - R(m + t) =
     * -2 sum_{k odd} R^(k)(m) t^k / k!, with R^(k+1) = m R^(k) + k R^(k-1).
     * R' = -Q comes from its own table where m R - 1 would cancel; the
     * forward recurrence loses about m^2 per order, which the powers of
     * t/m (below 1/8 here) more than repay. */
    double rkm1 = qpm__mills_p4(m);
    double rk = m >= 2.0 ? -qpm__mills_q(m) : m * rkm1 - 1.0;
    double tk = t, sum = rk * t; /* k = 1 term: R' t / 1! */
    for (int k = 1; k < 80; k++) {
        double rk1 = m * rk + (double)k * rkm1; /* R^(k+1) */
        rkm1 = rk;
        rk = rk1;
        tk *= t / (double)(k + 1); /* t^(k+1) / (k+1)! */
        if ((k + 1) % 2 == 1) {
            double term = rk * tk;
            sum += term;
            if (fabs(term) <= 1e-18 * fabs(sum))
                break;
        }
    }
    return -2.0 * sum;
}

/* The absolute member: R(z) for z >= 0 (see qpm__rabs). */
static inline double qpm__mills_abs(double z)
{
    z = fmin(z, QPM__RABS_ZMAX);
    double p = qpm__rabs[7][0], q = qpm__rabs[7][1];
    for (int k = 6; k >= 0; k--) {
        p = fma(p, z, qpm__rabs[k][0]);
        q = fma(q, z, qpm__rabs[k][1]);
    }
    return p / q;
}

/* The rational member: R(z) for z >= 0. */
static inline double qpm__mills_rat(double z)
{
    int i = (z >= 1.0) + (z >= 3.0) + (z >= 8.0);
    const double(*c)[4] = qpm__rat_tab;
    double r = 1.0, v = z;
    if (i == 3) {
        r = 1.0 / z;
        v = r * r;
    }
    double v2 = v * v, v4 = v2 * v2;
    double p = (c[0][i] + c[1][i] * v) + (c[2][i] + c[3][i] * v) * v2 +
               ((c[4][i] + c[5][i] * v) + c[6][i] * v2) * v4;
    double q = (1.0 + c[7][i] * v) + (c[8][i] + c[9][i] * v) * v2 +
               ((c[10][i] + c[11][i] * v) + c[12][i] * v2) * v4;
    return r * p / q;
}

#endif /* QPM_NUM_MILLS_H */
