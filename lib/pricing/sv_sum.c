/* The strike sums for baseline x86-64 and every other target (sv_sum.h). */
#define SV_SUM_FN qpm__sv_sum
#include "pricing/sv_sum_body.h"
