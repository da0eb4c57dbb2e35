/* The vector Black kernels one option at a time: black_lanes.h compiled
 * against the one-lane vocabulary (num/simd_lane.h) with the AVX2 kernel's
 * Mills-ratio member R4 here, and with the AVX-512 kernel's R8 in
 * black_lane512.c, so that each gives bit for bit what its vector kernel
 * gives the same option in a batch, in straight-line scalar code: for a
 * single option the fastest path (no unused lanes, no masked tails, one
 * table load instead of per-lane permutes).  The vector kernels hand single
 * options here, and the pricer its single-option calls (qpm__bone).  Built
 * with -mavx2 -mfma and called only after CPU detection. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("schedule-insns", "sched-pressure")
#endif
#include <float.h>
#include <string.h>

#include "black.h"
#include "num/simd_lane.h"
#include "num/vexp_log.h"
#include "num/vmills.h"

#define QPM_SIMD_X2 0
#include "num/simd_names.h"

#ifndef QPM__LANE_MEMBER
#define QPM__LANE_MEMBER 4
#endif

#if QPM__LANE_MEMBER == 4
#define vmills vmills_p4
#define KF(name) name##_r4
#else
#define vmills vmills_p8
#define KF(name) name##_r8
#endif
#include "black_lanes.h"

#if QPM__LANE_MEMBER == 4
size_t qpm__black_lanes_r4(const qpm__bjob *job, size_t begin, size_t end)
{
    return job->model == QPM__BACH ? qpm__black_kernel_scalar_fma(job, begin, end)
                                   : dispatch_r4(job, begin, end);
}

qpm__bone qpm__black_one_r4(int model, int inverse) { return val_r4(model, inverse); }
#else
size_t qpm__black_lanes_r8(const qpm__bjob *job, size_t begin, size_t end)
{
    return job->model == QPM__BACH ? qpm__black_kernel_scalar_fma(job, begin, end)
                                   : dispatch_r8(job, begin, end);
}

qpm__bone qpm__black_one_r8(int model, int inverse) { return val_r8(model, inverse); }
#endif
