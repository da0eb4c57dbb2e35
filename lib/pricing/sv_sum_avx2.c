/* The strike sums built with AVX2 and FMA (sv_sum.h): four nodes per
 * instruction; called only after CPU detection. */
#define SV_SUM_FN qpm__sv_sum_avx2
#include "pricing/sv_sum_body.h"
