/* The book's P&L kernel, AVX-512 build (pnl_kern.h): eight scenarios per
 * register, the same bits as the AVX2 build.  Built with -mavx512f
 * -mavx512dq and called only after CPU detection. */
#include "num/normal.h"
#include "num/simd_avx512.h"
#include "num/vexp_log.h"
#include "num/vmills.h"

#define PNL_TABLE qpm__pnl_kernel_avx512
#include "pnl_kern.h"
