/* The scalar reference kernel (black.c) built with FMA enabled, for CPUs
 * that have it: the same operations and bits, fma() inlined (see black.c).
 * Built with -mavx2 -mfma and chosen only after CPU detection. */
#define QPM__BLACK_FMA 1
#include "black.c"
