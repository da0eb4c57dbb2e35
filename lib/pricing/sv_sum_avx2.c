/* The characteristic function and the strike sums (sv_sum.h) built with
 * AVX2 and FMA: four nodes per instruction, the same bits as the baseline
 * build (no contraction in ISO C); called only after CPU detection. */
#define SV_SUM_FN qpm__sv_sum_avx2
#define SV_CF_FN  qpm__sv_cf_avx2
#include "pricing/sv_sum_body.h"
