/* The vector Black kernels one option at a time: black_lanes.h compiled
 * against the one-lane vocabulary (num/simd_lane.h), once with the AVX2
 * kernel's Mills-ratio member R4 and once with the AVX-512 kernel's R8, so
 * that each gives bit for bit what its vector kernel gives the same option
 * in a batch, in straight-line scalar code: for a single option the fastest
 * path (no unused lanes, no masked tails, one table load instead of per-lane
 * permutes).  The vector kernels hand single options here.  Built with
 * -mavx2 -mfma and called only after CPU detection. */
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

#define vmills vmills_p4
#define KF(name) name##_r4
#include "black_lanes.h"
#undef KF
#undef vmills

#define vmills vmills_p8
#define KF(name) name##_r8
#include "black_lanes.h"
#undef KF
#undef vmills

/* One function per member, model and settlement, each the block for one
 * element with its constants as memory operands. */
#define LANE_FN(member, model, inverse, name)                                                 \
    static __attribute__((noinline)) size_t name(const qpm__bjob *job, size_t begin,        \
                                                 size_t end)                                 \
    {                                                                                         \
        unsigned need = qpm__bjob_need(job);                                                 \
        size_t bad = SIZE_MAX;                                                                \
        for (size_t i = begin; i < end; i++) {                                                \
            size_t b = one_##member(job, i, model, inverse, need);                           \
            bad = b < bad ? b : bad;                                                          \
        }                                                                                     \
        return bad;                                                                           \
    }
LANE_FN(r4, QPM__BSM, 0, r4_bsm)
LANE_FN(r4, QPM__BSM, 1, r4_bsm_inv)
LANE_FN(r4, QPM__B76, 0, r4_b76)
LANE_FN(r4, QPM__B76, 1, r4_b76_inv)
LANE_FN(r8, QPM__BSM, 0, r8_bsm)
LANE_FN(r8, QPM__BSM, 1, r8_bsm_inv)
LANE_FN(r8, QPM__B76, 0, r8_b76)
LANE_FN(r8, QPM__B76, 1, r8_b76_inv)
#undef LANE_FN

size_t qpm__black_lanes_r4(const qpm__bjob *job, size_t begin, size_t end)
{
    if (job->model == QPM__BACH)
        return qpm__black_kernel_scalar(job, begin, end);
    if (job->model == QPM__BSM)
        return job->inverse ? r4_bsm_inv(job, begin, end) : r4_bsm(job, begin, end);
    return job->inverse ? r4_b76_inv(job, begin, end) : r4_b76(job, begin, end);
}

size_t qpm__black_lanes_r8(const qpm__bjob *job, size_t begin, size_t end)
{
    if (job->model == QPM__BACH)
        return qpm__black_kernel_scalar(job, begin, end);
    if (job->model == QPM__BSM)
        return job->inverse ? r8_bsm_inv(job, begin, end) : r8_bsm(job, begin, end);
    return job->inverse ? r8_b76_inv(job, begin, end) : r8_b76(job, begin, end);
}
