/* The two widths of a vector Black kernel (black_avx2.c, black_avx512.c):
 * black_lanes.h compiled for two registers per step (dispatch_x2) and for
 * one (dispatch_x1), and batch(), which runs a batch of at most one
 * register's lanes on one register and longer batches on two: the same
 * bits either way, since every operation is lane-wise.
 *
 * The including file includes its SIMD vocabulary, num/simd_pair.h and the
 * vexp_log.h / vmills.h members first, and defines vmills (and for
 * QPM__DEFER_HARD, vdefer) as black_lanes.h asks; the width is left at one
 * register.  Not a public header; it defines static functions in the file
 * that includes it. */
#ifndef QPM_PRICING_BLACK_WIDTHS_H
#define QPM_PRICING_BLACK_WIDTHS_H

#define QPM_SIMD_X2 1
#include "num/simd_names.h"
#define KF(name) name##_x2
#include "black_lanes.h"
#undef KF
#undef QPM_SIMD_X2

#define QPM_SIMD_X2 0
#include "num/simd_names.h"
#define KF(name) name##_x1
#include "black_lanes.h"
#undef KF

/* Out of line, so that a single option or a small batch does not pay for
 * this function's large frame. */
static __attribute__((noinline)) size_t batch(const qpm__bjob *job, size_t begin, size_t end)
{
    return end - begin <= QV_LANES ? dispatch_x1(job, begin, end) : dispatch_x2(job, begin, end);
}

#endif /* QPM_PRICING_BLACK_WIDTHS_H */
