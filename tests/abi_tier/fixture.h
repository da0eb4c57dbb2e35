/* A two-tier library in miniature, for the abi_tier test: one stable and
 * one experimental function, in four variants (FX_VARIANT):
 *   0  the baseline
 *   1  the experimental function changes its signature
 *   2  the stable function changes its signature
 *   3  the experimental function is gone */
#ifndef QPM_ABI_FIXTURE_H
#define QPM_ABI_FIXTURE_H

#define QPM_FIXTURE_API __attribute__((visibility("default")))

#if FX_VARIANT == 2
QPM_FIXTURE_API long qpm_fixture_stable(long x);
#else
QPM_FIXTURE_API int qpm_fixture_stable(int x);
#endif

#ifdef QPM_EXPERIMENTAL
#if FX_VARIANT == 1
QPM_FIXTURE_API double qpm_fixture_experimental(double x, double y);
#elif FX_VARIANT != 3
QPM_FIXTURE_API int qpm_fixture_experimental(int x);
#endif
#endif /* QPM_EXPERIMENTAL */

#endif /* QPM_ABI_FIXTURE_H */
