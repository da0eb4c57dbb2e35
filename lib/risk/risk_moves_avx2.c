/* The Monte Carlo's moves from its normals (risk_moves.h) built with AVX2
 * and FMA, no contraction: the bits of the baseline build.  Called only
 * after CPU detection. */
#define RISK_MOVES_FN qpm__risk_moves_avx2
#include "risk_moves.h"
