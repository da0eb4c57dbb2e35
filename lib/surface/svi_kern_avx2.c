/* The SVI kernels (svi_kern.h) built with AVX2: four points per
 * instruction, the same bits as the baseline build; used only after CPU
 * detection. */
#define SVI_KERN qpm__svi_kern_avx2
#include "surface/svi_kern_body.h"
