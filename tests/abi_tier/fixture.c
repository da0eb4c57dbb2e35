/* The abi_tier fixture library (see fixture.h). */
#define QPM_EXPERIMENTAL
#include "fixture.h"

#if FX_VARIANT == 2
long qpm_fixture_stable(long x) { return x + 1; }
#else
int qpm_fixture_stable(int x) { return x + 1; }
#endif

#if FX_VARIANT == 1
double qpm_fixture_experimental(double x, double y) { return x * y; }
#elif FX_VARIANT != 3
int qpm_fixture_experimental(int x) { return 2 * x; }
#endif
