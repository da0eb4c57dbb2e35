/* Eight doubles as one value (GCC / clang vector extensions) and the
 * lane-width helpers of num/vlanes.h on them (v8_ names): the four-lane
 * code's operations on twice the lanes, the same bits lane by lane, for
 * files built with AVX-512 (the Monte Carlo's normals and moves).  Not a
 * public header. */
#ifndef QPM_NUM_V8MATH_H
#define QPM_NUM_V8MATH_H

#include "num/v4math.h"

typedef double v8d __attribute__((vector_size(64)));
typedef long long v8i __attribute__((vector_size(64)));

#define VL_T      v8d
#define VL_I      v8i
#define VL(name)  v8_##name
#define VL_SET(a) ((v8d){a, a, a, a, a, a, a, a})
#define VL_N      8
#define VL_INLINE QPM__V4_INLINE
#include "num/vlanes.h"

#endif /* QPM_NUM_V8MATH_H */
