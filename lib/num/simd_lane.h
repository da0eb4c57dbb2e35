/* SIMD vocabulary of one lane: num/simd_avx2.h in its one-element form (see
 * there), for the kernels' straight-line code for a single option.  Include
 * only in a translation unit built with -mavx2 -mfma, and call its kernels
 * only after CPU detection. */
#ifndef QPM_NUM_SIMD_LANE_H
#define QPM_NUM_SIMD_LANE_H

#define QV_ONE_LANE 1
#include "num/simd_avx2.h"

#endif /* QPM_NUM_SIMD_LANE_H */
