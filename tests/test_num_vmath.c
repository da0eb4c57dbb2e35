/* num (white-box): the error bounds documented for the members of the
 * exponential, logarithm and Mills-ratio families (num/exp_log.h,
 * num/mills.h), measured in ulp against long-double references on random
 * arguments, through the one-lane vocabulary (the same operations as every
 * vector form: the kernel tests check those bit for bit), and the members'
 * limits.  Built with -mavx2 -mfma; skipped on a CPU without them. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "num/simd_lane.h"
#include "num/vexp_log.h"
#include "num/vmills.h"
#include "qpm/common.h"
#include "support/testutil.h"

static uint64_t state = 0x766d617468ull;
static double unif(double a, double b)
{
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return a + (b - a) * (double)(state >> 11) * 0x1p-53;
}

static double lane(qv x)
{
    return _mm_cvtsd_f64(x);
}

/* |got - ref| in ulp of ref (as a double) */
static double ulps(double got, long double ref)
{
    double r = fabs((double)ref);
    double u = nextafter(r, (double)INFINITY) - r;
    return (double)(fabsl((long double)got - ref) / (long double)(u > 0.0 ? u : 0x1p-1074));
}

/* R(z) and Q(z) = 1 - z R(z) in long double: below 2 from erfc and exp
 * (z^2/2 small enough to keep their digits), from 2 on by the continued
 * fraction R = 1/(z + t), t = 1/(z + 2/(z + 3/(z + ...))), Q = t R, which
 * has no cancellation (2000 terms, evaluated backwards). */
static long double mills_ref_q(long double z, long double *Q)
{
    if (z < 2.0L) {
        long double R = sqrtl(3.14159265358979323846264338327950288L / 2) * erfcl(z / sqrtl(2.0L)) *
                        expl(z * z / 2);
        *Q = 1.0L - z * R;
        return R;
    }
    long double t = 0.0L;
    for (int j = 2000; j >= 2; j--)
        t = (long double)j / (z + t);
    t = 1.0L / (z + t);
    long double R = 1.0L / (z + t);
    *Q = t * R;
    return R;
}

static long double mills_ref(long double z)
{
    long double Q;
    return mills_ref_q(z, &Q);
}

static void need_avx2(void)
{
    unsigned f = qpm_cpu_features();
    if (!(f & QPM_CPU_AVX2) || !(f & QPM_CPU_FMA))
        cr_skip_test("the CPU has no AVX2+FMA");
}

enum { N = 200000 };

#define CHECK(name, bound, expr)                                                                   \
    do {                                                                                           \
        double e_ = (expr);                                                                        \
        if (e_ > worst)                                                                            \
            worst = e_;                                                                            \
        cr_assert(e_ <= (bound), "%s: %.3f ulp > %g at %a", name, e_, (double)(bound), x);         \
    } while (0)

Test(num_vmath, exp_and_log_members_within_their_bounds)
{
    need_avx2();
    double worst = 0.0, x;
    for (int i = 0; i < N; i++) {
        x = unif(-745.0, 709.7);
        CHECK("qv_exp", 1.0, ulps(lane(qv_exp(qv_set(x))), expl((long double)x)));
        x = unif(-708.0, 709.0);
        CHECK("qv_exp_tab4", 1.0, ulps(lane(qv_exp_tab4(qv_set(x))), expl((long double)x)));
        x = unif(-20.0, 20.0);
        CHECK("qpm__exp", 1.0, ulps(qpm__exp(x), expl((long double)x)));
        x = unif(-0.999, 0.999);
        CHECK("qv_expm1_small", 3.0, ulps(lane(qv_expm1_small(qv_set(x))), expm1l((long double)x)));
        x = exp(unif(-700.0, 700.0));
        CHECK("qv_log", 1.0, ulps(lane(qv_log(qv_set(x))), logl((long double)x)));
        CHECK("qv_log_atanh", 2.0, ulps(lane(qv_log_atanh(qv_set(x))), logl((long double)x)));
    }
    /* subnormal arguments and results, and the clamps */
    x = 0x1p-1060;
    CHECK("qv_log subnormal", 1.0, ulps(lane(qv_log(qv_set(x))), logl((long double)x)));
    x = -740.0;
    CHECK("qv_exp subnormal", 1.0, ulps(lane(qv_exp(qv_set(x))), expl((long double)x)));
    cr_assert_eq(lane(qv_exp(qv_set(-2000.0))), 0.0);
    cr_assert_eq(lane(qv_exp(qv_set(0.0))), 1.0);
    cr_log_info("largest error of the exp and log members: %.3f ulp", worst);
}

Test(num_vmath, mills_members_within_their_bounds)
{
    need_avx2();
    double worst = 0.0, x;
    for (int i = 0; i < N; i++) {
        x = i % 2 ? unif(0.0, 3.0) : unif(0.0, 20.0);
        long double Q, R = mills_ref_q((long double)x, &Q);
        CHECK("qv_mills_p4", 4.0, ulps(lane(qv_mills_p4(qv_set(x))), R));
        CHECK("qpm__mills_p4", 4.0, ulps(qpm__mills_p4(x), R));
        CHECK("qv_mills_p8", 4.0, ulps(lane(qv_mills_p8(qv_set(x))), R));
        CHECK("qv_mills_rat", 7.0, ulps(lane(qv_mills_rat(qv_set(x))), R));
        CHECK("qpm__mills_rat", 7.0, ulps(qpm__mills_rat(x), R));
        if (x >= 2.0)
            CHECK("qpm__mills_q", 6.0, ulps(qpm__mills_q(x), Q));
    }
    /* R(0) = sqrt(pi/2) */
    x = 0.0;
    CHECK("R(0)", 2.0, ulps(lane(qv_mills_p8(qv_set(0.0))), mills_ref(0.0L)));
    cr_assert(fabs(qpm__mills_p4(0.0) - QPM__SQRT_PI_2) <= 2e-16 * QPM__SQRT_PI_2);
    cr_log_info("largest error of the Mills members: %.3f ulp", worst);
}

/* The absolute member: the tail probability n(z) R(z) within 2.5e-16 of
 * N(-z) in absolute terms (its documented use), scalar and vector forms
 * alike, on [0, 40] (clamped beyond 8.5) and near 0. */
Test(num_vmath, absolute_mills_member_gives_tail_probabilities)
{
    need_avx2();
    double worst = 0.0;
    for (int i = 0; i < N; i++) {
        double x = i % 3 == 0 ? unif(0.0, 1.0) : i % 3 == 1 ? unif(0.0, 9.0) : unif(0.0, 40.0);
        long double tail = erfcl((long double)x / sqrtl(2.0L)) / 2;
        double n = exp(-0.5 * x * x) * QPM__RSQRT2PI;
        double a = qpm__mills_abs(x), b = lane(qv_mills_abs(qv_set(x)));
        cr_assert(memcmp(&a, &b, sizeof a) == 0, "at %a: scalar %a, vector %a", x, a, b);
        double e = (double)fabsl((long double)(n * a) - tail);
        worst = fmax(worst, e);
        cr_assert(e <= 3e-16, "z = %.17g: n R = %.17g, N(-z) = %.17Lg", x, n * a, tail);
    }
    cr_assert(fabs(qpm__mills_abs(0.0) - QPM__SQRT_PI_2) <= 2e-16 * QPM__SQRT_PI_2);
    cr_log_info("absolute member: n R within %.3g of N(-z)", worst);
}

/* The scalar (libm-free) and vector forms of one member agree bit for bit
 * where they are the same operations: R4 scalar and vector. */
Test(num_vmath, scalar_and_vector_r4_agree)
{
    need_avx2();
    for (int i = 0; i < N; i++) {
        double x = unif(0.0, 45.0), a = qpm__mills_p4(x), b = lane(qv_mills_p4(qv_set(x)));
        cr_assert(a == b, "R4 at %a: scalar %a, vector %a", x, a, b);
    }
}

/* The vector Mills-ratio difference (the kernels' careful lanes) gives
 * qpm__mills_diff_in's bits: both of its branches (the continued fraction
 * for a1 >= 8, or a1 >= 2 with s > 1/2; the Taylor series otherwise), Q's
 * table above m = 2 and the series' own stopping rule; and 0 outside the
 * wanted lanes. */
Test(num_vmath, mills_difference_matches_the_scalar_function)
{
    need_avx2();
    int cf = 0, taylor = 0;
    for (int i = 0; i < N / 4; i++) {
        double a1 = i % 5 == 0 ? unif(8.0, 40.0) : unif(0.0, 12.0);
        double s = exp(unif(log(1e-6), log(6.0)));
        double a = qpm__mills_diff_in(a1, s);
        double b = lane(qv_mills_diff(qv_set(a1), qv_set(s), qm_all()));
        cr_assert(memcmp(&a, &b, sizeof a) == 0, "D(%a, %a): scalar %a, vector %a", a1, s, a, b);
        cr_assert(lane(qv_mills_diff(qv_set(a1), qv_set(s), qm_none())) == 0.0);
        if (a1 >= 8.0 || (a1 >= 2.0 && s > 0.5))
            cf++;
        else
            taylor++;
    }
    cr_assert(cf > N / 20 && taylor > N / 20, "branches: %d continued fraction, %d Taylor", cf,
              taylor);
}
