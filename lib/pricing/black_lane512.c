/* The AVX-512 kernel's one-lane code (black_lane.c with the Mills-ratio
 * member R8): the same scalar code, built with AVX-512 F, DQ and VL so that
 * it has 32 registers (the AVX2 build spills some thirty values of a
 * single option to the stack; 32 registers take 2-4 ns off a one-option
 * call).  Called only after CPU detection. */
#define QPM__LANE_MEMBER 8
#include "black_lane.c"
