/* Mills ratio R(z) = N(-z) / n(z) for 0 <= z <= 40 (internal table).
 *
 * With w = 4/(z + 4) in (1/11, 1], split into four equal pieces, R(z) = w g(w)
 * and g is a polynomial of degree 13 in u = (w - m_p) / h on each piece
 * (|u| <= 1, h = 5/44).  The coefficients are the degree-13 truncation of
 * the Chebyshev interpolant of degree 24 of g on each piece, computed with
 * mpmath at 50 digits (R from erfc and exp), converted to the monomial basis
 * in u and rounded once; truncation error below 2e-17 relative.  u is formed
 * as (4(1 - m_p) - m_p z) / (z + 4) / h so that small z keeps its relative
 * accuracy.  Evaluated with FMA in Horner form the result is within 2 ulp of
 * R (checked against 50-digit values at 20000 points of [0, 40]).
 * Piece p holds z in [QPM__RZ_p, QPM__RZ_{p+1}). */
#ifndef QPM_PRICING_MILLS_TABLE_H
#define QPM_PRICING_MILLS_TABLE_H

#define QPM__RZ1 0x1.2d2d2d2d2d2d3p+0 /* 20/17 */
#define QPM__RZ2 0x1.aaaaaaaaaaaabp+1 /* 10/3 */
#define QPM__RZ3 0x1.1249249249249p+3 /* 60/7 */
#define QPM__RZMAX 40.0
#define QPM__RINVH 0x1.199999999999ap+3 /* 1/h = 8.8 */
#define QPM__RDEG 13

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
 * interpolant at 50 digits (truncation below 1e-17 relative); within 3 ulp
 * (checked at 20000 points of [2, 40]).  Q has no cancellation this way,
 * unlike 1 - z R(z) in floating point. */
#define QPM__QZ1 0x1.d37a6f4de9bd3p+1
#define QPM__QZ2 0x1.a3d70a3d70a3dp+2
#define QPM__QZ3 0x1.a108421084211p+3
#define QPM__QINVH 0x1.bca1af286bca2p+3
#define QPM__QDEG 11

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
    {-0x1.f42fd2f831c54p-31, -0x1.7a759559ead98p-29, -0x1.1719b10c3c9f3p-29, -0x1.d166942f103a6p-32},
    {0x1.85bce009f6140p-33, 0x1.212d977c4d323p-35, -0x1.b9931dd39c3a2p-34, -0x1.60a0a79ad553ap-34},
    {0x1.039b7f418b2adp-38, 0x1.67a39573953c2p-37, 0x1.a06b27223f300p-39, -0x1.046a7d31904bep-38},
    {-0x1.3f11a26c4d6d0p-41, 0x1.815e8b5921407p-45, 0x1.1d7ed5cf01739p-41, 0x1.a37a0feab5760p-44},
    {-0x1.06ebea649d418p-47, -0x1.59e9630ab7e23p-45, 0x1.2c846a5833210p-48, 0x1.7b6d64da3bdf6p-46},
};

#endif /* QPM_PRICING_MILLS_TABLE_H */
