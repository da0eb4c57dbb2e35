/* The book's P&L kernel one scenario at a time (pnl_kern.h against the
 * one-lane vocabulary, num/simd_lane.h): the same bits as the AVX2 and
 * AVX-512 builds, for chunks of a single scenario.  Built with -mavx2 -mfma
 * and called only after CPU detection. */
#include "num/normal.h"
#include "num/simd_lane.h"
#include "num/vexp_log.h"
#include "num/vmills.h"

#define PNL_TABLE qpm__pnl_kernel_lane
#include "pnl_kern.h"
