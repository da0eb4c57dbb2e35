/* The book's P&L kernel, AVX2 build (pnl_kern.h): four scenarios per
 * register.  Built with -mavx2 -mfma and called only after CPU
 * detection. */
#include "num/normal.h"
#include "num/simd_avx2.h"
#include "num/vexp_log.h"
#include "num/vmills.h"

#define PNL_TABLE qpm__pnl_kernel_avx2
#include "pnl_kern.h"
