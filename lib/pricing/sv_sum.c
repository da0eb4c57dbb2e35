/* The characteristic function and the strike sums (sv_sum.h) for baseline
 * x86-64 and every other target. */
#define SV_SUM_FN qpm__sv_sum
#define SV_CF_FN  qpm__sv_cf
#include "pricing/sv_sum_body.h"
