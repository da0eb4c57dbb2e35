/* Block inversion of uniforms into normals (norm_block.h) built with
 * AVX-512 F and DQ, no contraction, eight lanes at a time: the bits of the
 * other builds.  Called only after CPU detection. */
#include "rng/rng_internal.h"

#define NORM_BLOCK_FN qpm__norm_inv_block_avx512
#define NORM_BLOCK_W8 1
#include "rng/norm_block.h"
