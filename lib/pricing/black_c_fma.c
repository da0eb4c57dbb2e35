/* The scalar kernel (black_c.c) built with FMA enabled, for CPUs that have
 * it: the same operations and bits, fma() one instruction.  Built with
 * -mavx2 -mfma and chosen only after CPU detection. */
#define QPM__BLACK_C_FMA 1
#include "black_c.c"
