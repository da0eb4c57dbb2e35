/* Block inversion of uniforms into normals (norm_block.h) built with AVX2
 * and FMA, no contraction: the bits of the baseline build.  Called only
 * after CPU detection. */
#include "rng/rng_internal.h"

#define NORM_BLOCK_FN qpm__norm_inv_block_avx2
#include "rng/norm_block.h"
