/* Constants of the standard normal distribution (internal), one set for
 * every module: each is the double nearest to its value. */
#ifndef QPM_NUM_NORMAL_H
#define QPM_NUM_NORMAL_H

#define QPM__RSQRT2PI 0x1.9884533d43651p-2  /* 1/sqrt(2 pi) = n(0) */
#define QPM__SQRT2PI 2.5066282746310002     /* sqrt(2 pi) */
#define QPM__SQRT_PI_2 1.2533141373155003   /* sqrt(pi/2) = R(0), the Mills ratio at 0 */
#define QPM__LN_SQRT2PI 0.91893853320467274 /* ln sqrt(2 pi) = -ln n(0) */
#define QPM__SQRT2 1.4142135623730951
/* 1/sqrt(2) = RSQRT2_HI + RSQRT2_LO to about 2^-108 */
#define QPM__RSQRT2_HI 0x1.6a09e667f3bcdp-1
#define QPM__RSQRT2_LO (-0x1.bdd3413b26456p-55)

#endif /* QPM_NUM_NORMAL_H */
