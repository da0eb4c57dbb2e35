/* The Monte Carlo's moves from its normals (risk_moves.h) built with
 * AVX-512 F and DQ, no contraction, eight scenarios at a time: the bits of
 * the other builds.  Called only after CPU detection. */
#define RISK_MOVES_FN qpm__risk_moves_avx512
#define RISK_MOVES_W8 1
#include "risk_moves.h"
