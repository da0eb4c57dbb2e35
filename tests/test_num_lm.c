/* White-box tests of the bounded Levenberg-Marquardt solver (lib/num/lm.h):
 * textbook problems (Rosenbrock free and with an active bound, Powell
 * singular, Kowalik-Osborne), fits (exponential decay, SVI raw smile), a
 * bounded problem whose unconstrained optimum is infeasible, zero-residual
 * and rank-deficient problems, failing residuals, every stop reason,
 * the covariance against a closed form, agreement with
 * scipy.optimize.least_squares (values made by tests/data/lm_scipy_ref.py),
 * bit-identical repeated solves, argument errors and allocation failures. */
#include <criterion/criterion.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "num/lm.h"
#include "support/testutil.h"

static const double INF = (double)INFINITY;

/* ---- problems ---------------------------------------------------------------- */

typedef struct prob {
    size_t calls;      /* residual evaluations */
    size_t bad_calls;  /* evaluations where the residuals were not computable */
    size_t outside;    /* evaluations outside [lo, hi] (when checked) */
    const double *lo, *hi;
    long stop_after;   /* > 0: return 1 at that call */
    /* data of the fits */
    size_t m;
    const double *t, *y;
} prob;

static int track(prob *p, const double *x, size_t n)
{
    p->calls++;
    if (p->lo != NULL)
        for (size_t j = 0; j < n; j++)
            if (x[j] < p->lo[j] || x[j] > p->hi[j])
                p->outside++;
    return p->stop_after > 0 && (long)p->calls >= p->stop_after;
}

static int rosen(void *ctx, const double *x, double *f)
{
    if (track(ctx, x, 2))
        return 1;
    f[0] = 10.0 * (x[1] - x[0] * x[0]);
    f[1] = 1.0 - x[0];
    return 0;
}

static int rosen_jac(void *ctx, const double *x, const double *f, double *j)
{
    (void)ctx;
    (void)f;
    j[0] = -20.0 * x[0];
    j[1] = 10.0;
    j[2] = -1.0;
    j[3] = 0.0;
    return 0;
}

static int powell(void *ctx, const double *x, double *f)
{
    track(ctx, x, 4);
    f[0] = x[0] + 10.0 * x[1];
    f[1] = sqrt(5.0) * (x[2] - x[3]);
    f[2] = (x[1] - 2.0 * x[2]) * (x[1] - 2.0 * x[2]);
    f[3] = sqrt(10.0) * (x[0] - x[3]) * (x[0] - x[3]);
    return 0;
}

static int powell_jac(void *ctx, const double *x, const double *f, double *j)
{
    (void)ctx;
    (void)f;
    double a = 2.0 * (x[1] - 2.0 * x[2]), b = 2.0 * sqrt(10.0) * (x[0] - x[3]);
    const double v[16] = {1, 10, 0, 0, 0, 0, sqrt(5.0), -sqrt(5.0), 0, a, -2 * a, 0, b, 0, 0, -b};
    memcpy(j, v, sizeof v);
    return 0;
}

/* y = a exp(-k t) + c */
static int decay(void *ctx, const double *x, double *f)
{
    prob *p = ctx;
    if (track(p, x, 3))
        return 1;
    for (size_t i = 0; i < p->m; i++)
        f[i] = x[0] * exp(-x[1] * p->t[i]) + x[2] - p->y[i];
    return 0;
}

static int decay_jac(void *ctx, const double *x, const double *f, double *j)
{
    prob *p = ctx;
    (void)f;
    for (size_t i = 0; i < p->m; i++) {
        double e = exp(-x[1] * p->t[i]);
        j[3 * i] = e;
        j[3 * i + 1] = -x[0] * p->t[i] * e;
        j[3 * i + 2] = 1.0;
    }
    return 0;
}

#define DECAY_M 40
static double decay_t[DECAY_M], decay_y[DECAY_M], exact_y[DECAY_M];

static void decay_data(void)
{
    for (size_t i = 0; i < DECAY_M; i++) {
        double t = 0.25 * (double)i;
        decay_t[i] = t;
        decay_y[i] = 2.5 * exp(-1.3 * t) + 0.4 + 0.01 * sin(3.0 * (double)i);
        exact_y[i] = 2.0 * exp(-0.7 * t) + 0.1;
    }
}

/* Kowalik and Osborne (Moré, Garbow, Hillstrom 1981, problem 15) */
static const double KY[11] = {0.1957, 0.1947, 0.1735, 0.1600, 0.0844, 0.0627,
                              0.0456, 0.0342, 0.0323, 0.0235, 0.0246};
static const double KU[11] = {4.0,   2.0,   1.0,    0.5,    0.25,  0.167,
                              0.125, 0.1,   0.0833, 0.0714, 0.0625};

static int kowalik(void *ctx, const double *x, double *f)
{
    track(ctx, x, 4);
    for (int i = 0; i < 11; i++) {
        double u = KU[i];
        f[i] = KY[i] - x[0] * (u * u + x[1] * u) / (u * u + x[2] * u + x[3]);
    }
    return 0;
}

static int kowalik_jac(void *ctx, const double *x, const double *f, double *j)
{
    (void)ctx;
    (void)f;
    for (int i = 0; i < 11; i++) {
        double u = KU[i], d = u * u + x[2] * u + x[3], nn = u * u + x[1] * u;
        j[4 * i] = -nn / d;
        j[4 * i + 1] = -x[0] * u / d;
        j[4 * i + 2] = x[0] * nn * u / (d * d);
        j[4 * i + 3] = x[0] * nn / (d * d);
    }
    return 0;
}

/* SVI raw total variance w(k) = a + b (rho (k - m) + sqrt((k - m)^2 + s^2)) */
static double svi(const double *x, double k)
{
    double d = k - x[3];
    return x[0] + x[1] * (x[2] * d + sqrt(d * d + x[4] * x[4]));
}

static int svi_res(void *ctx, const double *x, double *f)
{
    prob *p = ctx;
    track(p, x, 5);
    for (size_t i = 0; i < p->m; i++)
        f[i] = svi(x, p->t[i]) - p->y[i];
    return 0;
}

static int svi_jac(void *ctx, const double *x, const double *f, double *j)
{
    prob *p = ctx;
    (void)f;
    for (size_t i = 0; i < p->m; i++) {
        double d = p->t[i] - x[3], r = sqrt(d * d + x[4] * x[4]);
        double *row = j + 5 * i;
        row[0] = 1.0;
        row[1] = x[2] * d + r;
        row[2] = x[1] * d;
        row[3] = -x[1] * (x[2] + d / r);
        row[4] = x[1] * x[4] / r;
    }
    return 0;
}

/* ---- helpers ------------------------------------------------------------------- */

static qpm__lm *make(size_t m, size_t n)
{
    qpm__lm *lm = NULL;
    cr_assert_eq(qpm__lm_create(&lm, NULL, m, n), QPM_OK, "%s", qpm_last_error());
    return lm;
}

static qpm__lm_options tight(void)
{
    qpm__lm_options o;
    qpm__lm_defaults(&o);
    o.ftol = o.xtol = o.gtol = 1e-15;
    o.max_iter = 1000;
    o.max_eval = 10000;
    return o;
}

static void assert_close(const double *x, const double *ref, size_t n, double tol, const char *w)
{
    for (size_t j = 0; j < n; j++)
        cr_assert(fabs(x[j] - ref[j]) <= tol * fmax(1.0, fabs(ref[j])),
                  "%s: x[%zu] = %.17g, expected %.17g (tol %g)", w, j, x[j], ref[j], tol);
}

/* ---- textbook problems ------------------------------------------------------------ */

Test(num_lm, rosenbrock_unbounded)
{
    qpm__lm *lm = make(2, 2);
    qpm__lm_options o = tight();
    const double one[2] = {1, 1};
    for (int mode = 0; mode < 3; mode++) { /* analytic, forward, central */
        prob p = {0};
        double x[2] = {-1.2, 1.0};
        qpm__lm_report r;
        o.diff = mode == 2 ? QPM__LM_CENTRAL : QPM__LM_FORWARD;
        cr_assert_eq(qpm__lm_solve(lm, rosen, mode == 0 ? rosen_jac : NULL, &p, NULL, NULL, &o,
                                   x, &r),
                     QPM_OK, "%s", qpm_last_error());
        cr_assert(r.converged, "mode %d: %s", mode, qpm__lm_reason_name(r.reason));
        assert_close(x, one, 2, 1e-12, "rosenbrock");
        cr_assert(r.cost < 1e-28, "cost %g", r.cost);
        cr_assert(fabs(r.cost0 - 12.1) < 1e-14, "cost0 = 0.5 (4.4^2 + 2.2^2) = %.17g", r.cost0);
        cr_assert_eq(r.n_active, 0u);
        cr_assert_eq(r.nfev, p.calls - r.nfev_diff);
        cr_assert(mode == 0 ? r.nfev_diff == 0 : r.nfev_diff >= 2 * r.njev);
        cr_assert(r.iterations >= 5 && r.iterations < 100, "%zu iterations", r.iterations);
    }
    qpm__lm_free(lm);
}

Test(num_lm, rosenbrock_bound_active_at_solution)
{
    qpm__lm *lm = make(2, 2);
    qpm__lm_options o = tight();
    /* the cost stays >= 0.125: a relative cost test would stop with x1
     * ~1e-10 off, so only the step and gradient tests end these solves */
    o.ftol = 0.0;
    /* x0 <= 0.5: the solution (0.5, 0.25) sits on the upper bound */
    const double lo1[2] = {-INF, -INF}, hi1[2] = {0.5, INF};
    /* x0 >= 1.5: on the lower bound, (1.5, 2.25) */
    const double lo2[2] = {1.5, -INF}, hi2[2] = {INF, INF};
    const double *lo[2] = {lo1, lo2}, *hi[2] = {hi1, hi2};
    const double sol[2][2] = {{0.5, 0.25}, {1.5, 2.25}};
    const double start[2][2] = {{-1.2, 1.0}, {2.0, 1.0}};
    const int flag[2] = {1, -1};
    for (int b = 0; b < 2; b++)
        for (int fd = 0; fd < 2; fd++) {
            prob p = {.lo = lo[b], .hi = hi[b]};
            double x[2] = {start[b][0], start[b][1]};
            qpm__lm_report r;
            o.diff = QPM__LM_CENTRAL;
            cr_assert_eq(qpm__lm_solve(lm, rosen, fd ? NULL : rosen_jac, &p, lo[b], hi[b], &o, x,
                                       &r),
                         QPM_OK);
            cr_assert(r.converged, "%s", qpm__lm_reason_name(r.reason));
            cr_assert_eq(x[0], sol[b][0], "the bound is reached exactly: %.17g", x[0]);
            cr_assert(fabs(x[1] - sol[b][1]) <= 1e-14, "x1 = %.17g", x[1]);
            cr_assert(fabs(r.cost - 0.5 * (1 - sol[b][0]) * (1 - sol[b][0])) <= 1e-15,
                      "cost %.17g", r.cost);
            cr_assert_eq(r.active[0], flag[b]);
            cr_assert_eq(r.active[1], 0);
            cr_assert_eq(r.n_active, 1u);
            cr_assert(r.grad_inf <= 1e-12, "projected gradient %g", r.grad_inf);
            cr_assert_eq(p.outside, 0u, "no residual evaluation outside the box");
        }
    qpm__lm_free(lm);
}

Test(num_lm, powell_singular)
{
    /* J is singular at the solution 0: LM converges linearly there */
    qpm__lm *lm = make(4, 4);
    qpm__lm_options o = tight();
    for (int fd = 0; fd < 2; fd++) {
        prob p = {0};
        double x[4] = {3, -1, 0, 1};
        qpm__lm_report r;
        cr_assert_eq(qpm__lm_solve(lm, powell, fd ? NULL : powell_jac, &p, NULL, NULL, &o, x, &r),
                     QPM_OK);
        cr_assert(r.converged, "%s", qpm__lm_reason_name(r.reason));
        cr_assert(fabs(r.cost0 - 107.5) < 1e-13, "cost0 %.17g", r.cost0);
        cr_assert(r.cost < 1e-20, "cost %g", r.cost);
        for (int j = 0; j < 4; j++)
            cr_assert(fabs(x[j]) < 1e-4, "x[%d] = %g", j, x[j]);
        cr_assert_eq(r.has_cov, 0, "m = n: no residual variance");
    }
    qpm__lm_free(lm);
}

/* ---- fits ------------------------------------------------------------------------ */

/* Reference solutions, printed by tests/data/lm_scipy_ref.py (scipy 1.10.1,
 * numpy 1.24.2, mpmath 1.2.1): scipy.optimize.least_squares(method='trf',
 * analytic Jacobian, ftol = xtol = gtol = 1e-15), and the optimum itself to
 * 40 digits (mpmath Newton on the gradient, the active bound held fixed),
 * rounded to double.  scipy stops within ~1e-8 of the optimum on these flat
 * problems (and a hair inside an active bound). */
typedef struct ref {
    const char *name;
    double x[4];
    double cost;
} ref;

static const ref SCIPY[] = {
    /* decay_free: status 3, nfev 10, active_mask [0, 0, 0] */
    {"decay_free", {2.5002916296293849, 1.2999050198818134, 0.39988886587001993},
     0.0010742693182025477},
    /* decay_bound: status 2, nfev 15, active_mask [0, 1, 0] */
    {"decay_bound", {2.3142847358079721, 0.99999999999999989, 0.36362672903795251},
     0.088284974775728442},
    /* kowalik_free: status 2, nfev 44, active_mask [0.0, 0.0, 0.0, 0.0] */
    {"kowalik_free",
     {0.19280693373929519, 0.19128234759453377, 0.12305651047795642, 0.13606233941413437},
     0.00015375280192461886},
    /* kowalik_bound: status 2, nfev 14, active_mask [0, 1, 0, 0] */
    {"kowalik_bound",
     {0.19468277726127101, 0.14999999999999941, 0.11446837216276755, 0.11724523053839697},
     0.00015562013396233418},
};

static const ref EXACT[] = {
    {"decay_free", {2.5002916296293852, 1.2999050198818135, 0.39988886587001991},
     0.0010742693182025512},
    {"decay_bound", {2.3142847361266223, 1.0, 0.36362672900174684}, 0.088284974775728444},
    {"kowalik_free",
     {0.19280693457903788, 0.19128232873436678, 0.12305650692632074, 0.13606233068379474},
     0.00015375280192461889},
    {"kowalik_bound",
     {0.19468277741748237, 0.14999999999999999, 0.11446837385656224, 0.11724523029722738},
     0.0001556201339623345},
};

/* x agrees with scipy to 5e-8 (scipy's own distance to the optimum is up to
 * 2e-8) and with the optimum to xtol (relative to max(1, |x|)); the cost
 * with both to ctol relative. */
static void assert_ref(const double *x, double cost, int k, size_t n, double xtol, double ctol)
{
    assert_close(x, SCIPY[k].x, n, 5e-8, SCIPY[k].name);
    assert_close(x, EXACT[k].x, n, xtol, EXACT[k].name);
    cr_assert(fabs(cost - SCIPY[k].cost) <= ctol * SCIPY[k].cost, "%s: cost %.17g, scipy %.17g",
              SCIPY[k].name, cost, SCIPY[k].cost);
    cr_assert(fabs(cost - EXACT[k].cost) <= ctol * EXACT[k].cost, "%s: cost %.17g, optimum %.17g",
              SCIPY[k].name, cost, EXACT[k].cost);
}

Test(num_lm, exponential_decay_fit_matches_scipy)
{
    decay_data();
    qpm__lm *lm = make(DECAY_M, 3);
    qpm__lm_options o = tight();
    const double lo[3] = {0, 0, -1}, hi[3] = {10, 5, 1};
    for (int mode = 0; mode < 3; mode++) {
        prob p = {.m = DECAY_M, .t = decay_t, .y = decay_y, .lo = lo, .hi = hi};
        double x[3] = {1.0, 0.5, 0.0};
        qpm__lm_report r;
        o.diff = mode == 2 ? QPM__LM_CENTRAL : QPM__LM_FORWARD;
        cr_assert_eq(qpm__lm_solve(lm, decay, mode == 0 ? decay_jac : NULL, &p, lo, hi, &o, x, &r),
                     QPM_OK);
        cr_assert(r.converged, "%s", qpm__lm_reason_name(r.reason));
        /* the optimum of a non-zero-residual fit moves with the Jacobian's
         * error (~1e-8 for forward differences) */
        assert_ref(x, r.cost, 0, 3, mode == 1 ? 1e-9 : 1e-12, 1e-14);
        cr_assert_eq(r.n_active, 0u);
        cr_assert_eq(r.rank, 3u);
        cr_assert(r.has_cov);
        cr_assert_eq(p.outside, 0u);
    }
    qpm__lm_free(lm);
}

Test(num_lm, infeasible_unconstrained_optimum)
{
    /* the data want k ~ 1.3; with k <= 1 the fit ends on the bound */
    decay_data();
    qpm__lm *lm = make(DECAY_M, 3);
    qpm__lm_options o = tight();
    const double lo[3] = {0, 0, -1}, hi[3] = {10, 1, 1};
    for (int fd = 0; fd < 2; fd++) {
        prob p = {.m = DECAY_M, .t = decay_t, .y = decay_y, .lo = lo, .hi = hi};
        double x[3] = {1.0, 0.5, 0.0};
        qpm__lm_report r;
        o.diff = QPM__LM_CENTRAL;
        cr_assert_eq(qpm__lm_solve(lm, decay, fd ? NULL : decay_jac, &p, lo, hi, &o, x, &r),
                     QPM_OK);
        cr_assert(r.converged, "%s", qpm__lm_reason_name(r.reason));
        cr_assert_eq(x[1], 1.0, "k = %.17g: exactly on its bound", x[1]);
        cr_assert_eq(r.active[0], 0);
        cr_assert_eq(r.active[1], 1);
        cr_assert_eq(r.active[2], 0);
        assert_ref(x, r.cost, 1, 3, 1e-12, 1e-14);
        cr_assert(r.grad_inf <= 1e-10, "projected gradient %g", r.grad_inf);
        cr_assert_eq(p.outside, 0u, "finite differences stay inside the bounds");
    }
    qpm__lm_free(lm);
}

Test(num_lm, kowalik_osborne_matches_scipy)
{
    qpm__lm *lm = make(11, 4);
    qpm__lm_options o = tight();
    const double lo[4] = {0, 0, 0, 0}, hi[4] = {1, 0.15, 1, 1};
    /* free, then x1 <= 0.15 (active at the solution) */
    for (int b = 0; b < 2; b++) {
        prob p = {0};
        double x[4] = {0.25, 0.39, 0.415, 0.39}, x1[4] = {0.1, 0.1, 0.1, 0.1};
        if (b)
            memcpy(x, x1, sizeof x);
        qpm__lm_report r;
        cr_assert_eq(qpm__lm_solve(lm, kowalik, kowalik_jac, &p, b ? lo : NULL, b ? hi : NULL, &o,
                                   x, &r),
                     QPM_OK);
        cr_assert(r.converged, "%s", qpm__lm_reason_name(r.reason));
        /* a flat valley: below ~1e-8 from the optimum the cost changes less
         * than the residuals' rounding (~2e-17 each) can show */
        assert_ref(x, r.cost, 2 + b, 4, 3e-8, 1e-14);
        if (b) {
            cr_assert_eq(x[1], 0.15);
            cr_assert_eq(r.active[1], 1);
            cr_assert_eq(r.n_active, 1u);
        }
    }
    qpm__lm_free(lm);
}

Test(num_lm, zero_residual_fit_recovers_parameters)
{
    decay_data();
    qpm__lm *lm = make(DECAY_M, 3);
    const double truth[3] = {2.0, 0.7, 0.1};
    /* tight tolerances, then the defaults (gtol = 1e-10 on an absolute
     * gradient stops within ~1e-12 here) */
    for (int mode = 0; mode < 6; mode++) {
        qpm__lm_options o = tight();
        if (mode >= 3)
            qpm__lm_defaults(&o);
        prob p = {.m = DECAY_M, .t = decay_t, .y = exact_y};
        double x[3] = {1.0, 0.2, 0.0};
        qpm__lm_report r;
        o.diff = mode % 3 == 2 ? QPM__LM_CENTRAL : QPM__LM_FORWARD;
        cr_assert_eq(qpm__lm_solve(lm, decay, mode % 3 ? NULL : decay_jac, &p, NULL, NULL, &o, x,
                                   &r),
                     QPM_OK);
        cr_assert(r.converged, "%s", qpm__lm_reason_name(r.reason));
        assert_close(x, truth, 3, mode < 3 ? 1e-14 : 1e-11, "exact data");
        cr_assert(r.cost < (mode < 3 ? 1e-28 : 1e-22), "mode %d: cost %g", mode, r.cost);
        cr_assert(r.has_cov);
        cr_assert(r.s2 < 1e-22);
    }
    qpm__lm_free(lm);
}

Test(num_lm, svi_raw_smile_recovers_parameters)
{
    /* a smile from known raw SVI parameters, 41 strikes in log-moneyness */
    const double truth[5] = {0.04, 0.4, -0.3, 0.05, 0.2};
    double k[41], w[41];
    for (int i = 0; i < 41; i++) {
        k[i] = -1.0 + 0.05 * i;
        w[i] = svi(truth, k[i]);
    }
    /* b >= 0, |rho| < 1, sigma > 0, a and m free */
    const double lo[5] = {-INF, 0.0, -0.999, -INF, 1e-4}, hi[5] = {INF, INF, 0.999, INF, INF};
    qpm__lm *lm = make(41, 5);
    qpm__lm_options o;
    qpm__lm_defaults(&o);
    for (int mode = 0; mode < 3; mode++) {
        prob p = {.m = 41, .t = k, .y = w, .lo = lo, .hi = hi};
        double x[5] = {0.02, 0.2, 0.0, 0.0, 0.3};
        qpm__lm_report r;
        o.diff = mode == 2 ? QPM__LM_CENTRAL : QPM__LM_FORWARD;
        cr_assert_eq(qpm__lm_solve(lm, svi_res, mode ? NULL : svi_jac, &p, lo, hi, &o, x, &r),
                     QPM_OK);
        cr_assert(r.converged, "mode %d: %s", mode, qpm__lm_reason_name(r.reason));
        assert_close(x, truth, 5, 1e-10, "svi");
        cr_assert_eq(r.n_active, 0u);
        cr_assert_eq(p.outside, 0u);
    }
    qpm__lm_free(lm);
}

/* ---- degenerate problems and failures ------------------------------------------------ */

/* f_i = (x0 + x1) t_i - y_i: the two columns of J are equal */
static int twin(void *ctx, const double *x, double *f)
{
    track(ctx, x, 2);
    for (int i = 0; i < 5; i++)
        f[i] = (x[0] + x[1]) * (double)(i + 1) - 2.0 * (double)(i + 1) - 0.1 * (i % 2);
    return 0;
}

static int twin_jac(void *ctx, const double *x, const double *f, double *j)
{
    (void)ctx;
    (void)x;
    (void)f;
    for (int i = 0; i < 5; i++)
        j[2 * i] = j[2 * i + 1] = i + 1.0;
    return 0;
}

Test(num_lm, rank_deficient_jacobian)
{
    qpm__lm *lm = make(5, 2);
    qpm__lm_options o = tight();
    for (int d = 0; d < 3; d++) { /* analytic, forward, central */
        prob p = {0};
        double x[2] = {0.5, 0.25};
        qpm__lm_report r;
        o.diff = d == 2 ? QPM__LM_CENTRAL : QPM__LM_FORWARD;
        cr_assert_eq(qpm__lm_solve(lm, twin, d ? NULL : twin_jac, &p, NULL, NULL, &o, x, &r),
                     QPM_OK);
        cr_assert(r.converged, "%s", qpm__lm_reason_name(r.reason));
        /* least squares in s = x0 + x1: s = sum t (2t + e) / sum t^2 */
        double st = 0, tt = 0;
        for (int i = 0; i < 5; i++) {
            double t = i + 1.0;
            st += t * (2.0 * t + 0.1 * (i % 2));
            tt += t * t;
        }
        /* finite differences give the columns a ~1e-8 relative difference:
         * a spurious, badly conditioned direction that the damping must
         * hold back, so x0 + x1 ends less exactly */
        cr_assert(fabs(x[0] + x[1] - st / tt) < (d ? 1e-9 : 1e-14), "x0 + x1 = %.17g",
                  x[0] + x[1]);
        cr_assert_eq(r.rank, 1u, "rank %zu", r.rank);
        cr_assert_eq(r.has_cov, 0);
        cr_assert(isnan(r.cov[0]) && isnan(r.cov[3]), "no covariance without full rank");
    }
    qpm__lm_free(lm);
}

/* f = (log x0 - 1, x1 - 2): NaN for x0 < 0, or a refusal (-1) in mode 1 */
static int logres(void *ctx, const double *x, double *f)
{
    prob *p = ctx;
    track(p, x, 2);
    if (x[0] <= 0.0) {
        p->bad_calls++;
        if (p->stop_after < 0)
            return -1;
    }
    f[0] = x[0] > 0.0 ? log(x[0]) - 1.0 : (double)NAN;
    f[1] = x[1] - 2.0;
    return 0;
}

Test(num_lm, nan_residuals_reject_the_step)
{
    qpm__lm *lm = make(2, 2);
    qpm__lm_options o = tight();
    o.lambda0 = 1e-8;
    for (int mode = 0; mode < 2; mode++) {
        prob p = {.stop_after = mode ? -1 : 0};
        double x[2] = {10.0, 0.0}; /* the first Gauss-Newton step lands at x0 < 0 */
        qpm__lm_report r;
        cr_assert_eq(qpm__lm_solve(lm, logres, NULL, &p, NULL, NULL, &o, x, &r), QPM_OK);
        cr_assert(r.converged, "%s", qpm__lm_reason_name(r.reason));
        cr_assert_gt(p.bad_calls, 0u, "the test must reach the failing region");
        cr_assert(fabs(x[0] - exp(1.0)) < 1e-12 && fabs(x[1] - 2.0) < 1e-12, "x = %.17g %.17g",
                  x[0], x[1]);
    }
    /* at the start point: an error naming the residual, x untouched */
    prob p = {0};
    double x[2] = {-1.0, 0.0};
    qpm__lm_report r;
    cr_assert_eq(qpm__lm_solve(lm, logres, NULL, &p, NULL, NULL, NULL, x, &r), QPM_E_NONFINITE);
    cr_assert_str_eq(qpm_last_error(), "f[0] = nan at the start point: must be finite");
    cr_assert_eq(r.reason, QPM__LM_BAD_RESIDUAL);
    cr_assert_eq(x[0], -1.0);
    p.stop_after = -1;
    cr_assert_eq(qpm__lm_solve(lm, logres, NULL, &p, NULL, NULL, NULL, x, &r), QPM_E_INVALID);
    cr_assert_str_eq(qpm_last_error(), "the residuals cannot be computed at the start point (the "
                                       "callback returned -1)");
    cr_assert_eq(r.reason, QPM__LM_BAD_RESIDUAL);
    qpm__lm_free(lm);
}

static int nan_jac(void *ctx, const double *x, const double *f, double *j)
{
    (void)ctx;
    (void)x;
    (void)f;
    j[0] = j[1] = j[3] = 1.0;
    j[2] = (double)NAN;
    return 0;
}

Test(num_lm, nonfinite_jacobian_at_start)
{
    qpm__lm *lm = make(2, 2);
    prob p = {0};
    double x[2] = {0.5, 0.5};
    qpm__lm_report r;
    cr_assert_eq(qpm__lm_solve(lm, rosen, nan_jac, &p, NULL, NULL, NULL, x, &r), QPM_E_NONFINITE);
    cr_assert_str_eq(qpm_last_error(), "jac[1][0] = nan at the start point: must be finite");
    cr_assert_eq(r.reason, QPM__LM_BAD_JACOBIAN);
    cr_assert_eq(x[0], 0.5);
    qpm__lm_free(lm);
}

Test(num_lm, stops_on_iteration_and_evaluation_limits)
{
    qpm__lm *lm = make(2, 2);
    qpm__lm_options o;
    qpm__lm_defaults(&o);
    o.max_iter = 3;
    prob p = {0};
    double x[2] = {-1.2, 1.0};
    qpm__lm_report r;
    cr_assert_eq(qpm__lm_solve(lm, rosen, rosen_jac, &p, NULL, NULL, &o, x, &r), QPM_OK);
    cr_assert_eq(r.reason, QPM__LM_MAX_ITER, "%s", qpm__lm_reason_name(r.reason));
    cr_assert_eq(r.converged, 0);
    cr_assert_eq(r.iterations, 3u);
    cr_assert(r.cost < r.cost0);
    double f[2] = {0, 0};
    rosen(&p, x, f);
    cr_assert_eq(r.cost, 0.5 * (f[0] * f[0] + f[1] * f[1]), "the report's cost is x's");

    qpm__lm_defaults(&o);
    o.max_eval = 5;
    x[0] = -1.2;
    x[1] = 1.0;
    cr_assert_eq(qpm__lm_solve(lm, rosen, rosen_jac, &p, NULL, NULL, &o, x, &r), QPM_OK);
    cr_assert_eq(r.reason, QPM__LM_MAX_EVAL, "%s", qpm__lm_reason_name(r.reason));
    cr_assert_eq(r.nfev, 5u);
    qpm__lm_free(lm);
}

Test(num_lm, stalls_without_tolerances)
{
    /* with every tolerance 0 only the floating-point floor ends the solve:
     * no representable step lowers the cost any more */
    decay_data();
    qpm__lm *lm = make(DECAY_M, 3);
    qpm__lm_options o;
    qpm__lm_defaults(&o);
    o.ftol = o.xtol = o.gtol = 0.0;
    o.max_iter = 10000;
    o.max_eval = 100000;
    prob p = {.m = DECAY_M, .t = decay_t, .y = decay_y};
    double x[3] = {1.0, 0.5, 0.0};
    qpm__lm_report r;
    cr_assert_eq(qpm__lm_solve(lm, decay, decay_jac, &p, NULL, NULL, &o, x, &r), QPM_OK);
    cr_assert_eq(r.reason, QPM__LM_STALLED, "%s", qpm__lm_reason_name(r.reason));
    cr_assert_eq(r.converged, 0);
    assert_close(x, EXACT[0].x, 3, 1e-12, "stalled at the optimum");
    qpm__lm_free(lm);
}

static int jac_fails_later(void *ctx, const double *x, const double *f, double *j)
{
    prob *p = ctx;
    if (++p->bad_calls >= 3)
        return -1;
    return rosen_jac(ctx, x, f, j);
}

Test(num_lm, jacobian_failure_after_the_start)
{
    qpm__lm *lm = make(2, 2);
    prob p = {0};
    double x[2] = {-1.2, 1.0};
    qpm__lm_report r;
    cr_assert_eq(qpm__lm_solve(lm, rosen, jac_fails_later, &p, NULL, NULL, NULL, x, &r), QPM_OK);
    cr_assert_eq(r.reason, QPM__LM_BAD_JACOBIAN, "%s", qpm__lm_reason_name(r.reason));
    cr_assert_eq(r.njev, 3u);
    cr_assert_eq(r.iterations, 2u);
    prob q = {0};
    double f[2] = {0, 0};
    rosen(&q, x, f);
    cr_assert_eq(r.cost, 0.5 * (f[0] * f[0] + f[1] * f[1]), "x is the last accepted point");
    cr_assert(r.cost < r.cost0);
    cr_assert(isnan(r.grad_inf));
    qpm__lm_free(lm);
}

Test(num_lm, user_stop)
{
    qpm__lm *lm = make(2, 2);
    for (long at = 1; at <= 8; at++) {
        prob p = {.stop_after = at};
        double x[2] = {-1.2, 1.0};
        qpm__lm_report r;
        cr_assert_eq(qpm__lm_solve(lm, rosen, NULL, &p, NULL, NULL, NULL, x, &r), QPM_OK);
        cr_assert_eq(r.reason, QPM__LM_USER_STOP, "stop at call %ld: %s", at,
                     qpm__lm_reason_name(r.reason));
        cr_assert_eq(p.calls, (size_t)at, "no call after the stop");
        if (at > 1) {
            prob q = {0};
            double f[2] = {0, 0};
            rosen(&q, x, f);
            cr_assert_eq(r.cost, 0.5 * (f[0] * f[0] + f[1] * f[1]));
        }
    }
    qpm__lm_free(lm);
}

/* A residual defined only on [0, 1] (-1 outside): finite differences at the
 * bounds must not step out. */
static int boxed(void *ctx, const double *x, double *f)
{
    prob *p = ctx;
    track(p, x, 2);
    if (x[0] < 0.0 || x[0] > 1.0 || x[1] < 0.0 || x[1] > 1.0)
        return -1;
    f[0] = x[0] - 2.0;
    f[1] = x[1] + 1.0;
    f[2] = x[0] * x[1];
    return 0;
}

Test(num_lm, finite_differences_respect_bounds)
{
    const double lo[2] = {0, 0}, hi[2] = {1, 1};
    qpm__lm *lm = make(3, 2);
    qpm__lm_options o;
    qpm__lm_defaults(&o);
    for (int d = 0; d < 2; d++) {
        o.diff = d ? QPM__LM_CENTRAL : QPM__LM_FORWARD;
        const double starts[3][2] = {{1.0, 0.0}, {0.5, 0.5}, {1.0 - 1e-12, 1e-12}};
        for (int s = 0; s < 3; s++) {
            prob p = {.lo = lo, .hi = hi};
            double x[2] = {starts[s][0], starts[s][1]};
            qpm__lm_report r;
            cr_assert_eq(qpm__lm_solve(lm, boxed, NULL, &p, lo, hi, &o, x, &r), QPM_OK, "%s",
                         qpm_last_error());
            cr_assert(r.converged, "%s", qpm__lm_reason_name(r.reason));
            cr_assert_eq(p.outside, 0u);
            cr_assert(x[0] == 1.0 && x[1] == 0.0, "x = %.17g %.17g", x[0], x[1]);
            cr_assert_eq(r.active[0], 1);
            cr_assert_eq(r.active[1], -1);
        }
    }
    qpm__lm_free(lm);
}

/* y = c0 + c1 t + c2 t^2: the covariance s2 (A'A)^-1 in closed form */
static int quad(void *ctx, const double *x, double *f)
{
    prob *p = ctx;
    track(p, x, 3);
    for (size_t i = 0; i < p->m; i++)
        f[i] = x[0] + x[1] * p->t[i] + x[2] * p->t[i] * p->t[i] - p->y[i];
    return 0;
}

Test(num_lm, covariance_of_a_linear_fit)
{
    double t[8], y[8];
    for (int i = 0; i < 8; i++) {
        t[i] = 0.5 * i - 1.0;
        y[i] = 1.0 - 2.0 * t[i] + 0.5 * t[i] * t[i] + 0.05 * cos(7.0 * i);
    }
    /* normal matrix A'A and its inverse by Gauss-Jordan */
    double a[3][6] = {{0}};
    for (int i = 0; i < 8; i++) {
        double v[3] = {1, t[i], t[i] * t[i]};
        for (int r = 0; r < 3; r++)
            for (int c = 0; c < 3; c++)
                a[r][c] += v[r] * v[c];
    }
    for (int r = 0; r < 3; r++)
        a[r][3 + r] = 1.0;
    for (int c = 0; c < 3; c++) {
        double piv = a[c][c];
        for (int k = 0; k < 6; k++)
            a[c][k] /= piv;
        for (int r = 0; r < 3; r++)
            if (r != c) {
                double fct = a[r][c];
                for (int k = 0; k < 6; k++)
                    a[r][k] -= fct * a[c][k];
            }
    }
    qpm__lm *lm = make(8, 3);
    prob p = {.m = 8, .t = t, .y = y};
    double x[3] = {0, 0, 0};
    qpm__lm_report r;
    qpm__lm_options o = tight();
    cr_assert_eq(qpm__lm_solve(lm, quad, NULL, &p, NULL, NULL, &o, x, &r), QPM_OK);
    cr_assert(r.converged);
    cr_assert(r.has_cov);
    cr_assert_eq(r.rank, 3u);
    double s2 = 2.0 * r.cost / 5.0;
    cr_assert(fabs(r.s2 - s2) <= 1e-15 * s2);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            double want = s2 * a[i][3 + j];
            cr_assert(fabs(r.cov[3 * i + j] - want) <= 1e-7 * fabs(want) + 1e-18,
                      "cov[%d][%d] = %.17g, expected %.17g", i, j, r.cov[3 * i + j], want);
        }
    qpm__lm_free(lm);
}

Test(num_lm, repeated_solves_are_bit_identical)
{
    decay_data();
    qpm__lm *lm = make(DECAY_M, 3);
    qpm__lm_options o = tight();
    const double lo[3] = {0, 0, -1}, hi[3] = {10, 1, 1};
    double x0[3], c0 = 0;
    double cov0[9];
    for (int rep = 0; rep < 4; rep++) {
        prob p = {.m = DECAY_M, .t = decay_t, .y = rep == 2 ? exact_y : decay_y};
        double x[3] = {1.0, 0.5, 0.0};
        qpm__lm_report r;
        o.diff = QPM__LM_CENTRAL;
        cr_assert_eq(qpm__lm_solve(lm, decay, NULL, &p, lo, hi, &o, x, &r), QPM_OK);
        if (rep == 2)
            continue; /* other data in between */
        if (rep == 0) {
            memcpy(x0, x, sizeof x);
            memcpy(cov0, r.cov, sizeof cov0);
            c0 = r.cost;
        } else {
            cr_assert(memcmp(x0, x, sizeof x) == 0, "solve %d differs", rep);
            cr_assert(memcmp(cov0, r.cov, sizeof cov0) == 0);
            cr_assert(memcmp(&c0, &r.cost, sizeof c0) == 0);
        }
    }
    qpm__lm_free(lm);
}

Test(num_lm, fixed_parameter_stays)
{
    decay_data();
    qpm__lm *lm = make(DECAY_M, 3);
    const double lo[3] = {0, 0, 0.4}, hi[3] = {10, 5, 0.4};
    prob p = {.m = DECAY_M, .t = decay_t, .y = decay_y};
    double x[3] = {1.0, 0.5, 0.4};
    qpm__lm_report r;
    cr_assert_eq(qpm__lm_solve(lm, decay, NULL, &p, lo, hi, NULL, x, &r), QPM_OK);
    cr_assert(r.converged);
    cr_assert_eq(x[2], 0.4);
    cr_assert_eq(r.active[2], -1);
    qpm__lm_free(lm);
}

/* ---- arguments and memory ------------------------------------------------------------- */

Test(num_lm, argument_errors)
{
    qpm__lm *lm = (qpm__lm *)1;
    cr_assert_eq(qpm__lm_create(NULL, NULL, 2, 2), QPM_E_NULL);
    cr_assert_eq(qpm__lm_create(&lm, NULL, 0, 2), QPM_E_SIZE);
    cr_assert_null(lm);
    cr_assert_eq(qpm__lm_create(&lm, NULL, 2, (size_t)1 << 40), QPM_E_SIZE);
    lm = make(2, 2);
    prob p = {0};
    double x[2] = {0.5, 0.5};
    qpm__lm_report r;
    cr_assert_eq(qpm__lm_solve(NULL, rosen, NULL, &p, NULL, NULL, NULL, x, &r), QPM_E_NULL);
    cr_assert_eq(qpm__lm_solve(lm, NULL, NULL, &p, NULL, NULL, NULL, x, &r), QPM_E_NULL);
    cr_assert_eq(qpm__lm_solve(lm, rosen, NULL, &p, NULL, NULL, NULL, NULL, &r), QPM_E_NULL);
    cr_assert_eq(qpm__lm_solve(lm, rosen, NULL, &p, NULL, NULL, NULL, x, NULL), QPM_E_NULL);
    const double lo[2] = {0, 1}, hi[2] = {1, 0};
    cr_assert_eq(qpm__lm_solve(lm, rosen, NULL, &p, lo, hi, NULL, x, &r), QPM_E_INVALID);
    cr_assert_str_eq(qpm_last_error(), "bounds[1] = [1, 0]: need lower <= upper, no NaN");
    const double lo2[2] = {0, 0.6}, hi2[2] = {1, 1};
    cr_assert_eq(qpm__lm_solve(lm, rosen, NULL, &p, lo2, hi2, NULL, x, &r), QPM_E_INVALID);
    cr_assert_str_eq(qpm_last_error(), "x[1] = 0.5: outside its bounds [0.6, 1]");
    x[0] = INF;
    cr_assert_eq(qpm__lm_solve(lm, rosen, NULL, &p, NULL, NULL, NULL, x, &r), QPM_E_NONFINITE);
    cr_assert_str_eq(qpm_last_error(), "x[0] = inf: the start point must be finite");
    x[0] = 0.5;
    qpm__lm_options o;
    qpm__lm_defaults(&o);
    o.xtol = -1;
    cr_assert_eq(qpm__lm_solve(lm, rosen, NULL, &p, NULL, NULL, &o, x, &r), QPM_E_INVALID);
    cr_assert_str_eq(qpm_last_error(), "opt->xtol = -1: must be finite and >= 0");
    qpm__lm_defaults(&o);
    o.max_iter = 0;
    cr_assert_eq(qpm__lm_solve(lm, rosen, NULL, &p, NULL, NULL, &o, x, &r), QPM_E_INVALID);
    qpm__lm_defaults(&o);
    o.diff = (qpm__lm_diff)7;
    cr_assert_eq(qpm__lm_solve(lm, rosen, NULL, &p, NULL, NULL, &o, x, &r), QPM_E_INVALID);
    qpm__lm_defaults(&o);
    o.lambda0 = 0;
    cr_assert_eq(qpm__lm_solve(lm, rosen, NULL, &p, NULL, NULL, &o, x, &r), QPM_E_INVALID);
    cr_assert_eq(p.calls, 0u, "no residual evaluated for a refused call");
    /* still usable */
    cr_assert_eq(qpm__lm_solve(lm, rosen, rosen_jac, &p, NULL, NULL, NULL, x, &r), QPM_OK);
    cr_assert(r.converged);
    qpm__lm_free(lm);
    qpm__lm_free(NULL);
    cr_assert_str_eq(qpm__lm_reason_name(QPM__LM_XTOL), "xtol");
    cr_assert_str_eq(qpm__lm_reason_name((qpm__lm_reason)99), "unknown");
}

Test(num_lm, allocation_failures)
{
    for (long k = 0;; k++) {
        qt_failalloc fa;
        qt_failalloc_init(&fa, k);
        qpm__lm *lm = (qpm__lm *)1;
        qpm_status st = qpm__lm_create(&lm, &fa.alloc, 40, 5);
        if (st == QPM_OK) {
            /* solve allocates nothing */
            fa.fail_at = -1;
            decay_data();
            prob p = {.m = DECAY_M, .t = decay_t, .y = exact_y};
            qpm__lm *l3;
            cr_assert_eq(qpm__lm_create(&l3, &fa.alloc, DECAY_M, 3), QPM_OK);
            long calls = fa.calls;
            double x[3] = {1.0, 0.2, 0.0};
            qpm__lm_report r;
            cr_assert_eq(qpm__lm_solve(l3, decay, NULL, &p, NULL, NULL, NULL, x, &r), QPM_OK);
            cr_assert_eq(fa.calls, calls, "qpm__lm_solve allocated");
            qpm__lm_free(l3);
            qpm__lm_free(lm);
            cr_assert_eq(fa.live, 0);
            break;
        }
        cr_assert_eq(st, QPM_E_NOMEM);
        cr_assert_null(lm);
        cr_assert_eq(fa.live, 0);
        cr_assert_lt(k, 40);
    }
    cr_assert_eq(qt_leak_check(), 0);
}
