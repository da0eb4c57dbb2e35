/* Heston and Bates prices from the characteristic function: the Lewis
 * (2000) single integral on a fixed composite Gauss-Legendre grid whose
 * nodes serve every strike of an expiry.
 *
 * The characteristic function is evaluated in the "little trap" form of
 * Albrecher et al. (2007), with the two differences that cancel for small
 * vol of vol or short expiries rewritten without the cancellation:
 * xi - d = -sigma^2 zeta / (xi + d), and the logarithm of
 * (1 - g e^{-dT}) / (1 - g) as log1p of a small quantity divided by
 * sigma^2 analytically, so sigma = 0 (deterministic variance) is exact and
 * sigma -> 0 is continuous.  On the Lewis contour u = x - i/2 the term
 * i u + u^2 is the real x^2 + 1/4, which keeps d = sqrt(xi^2 + sigma^2
 * zeta) on the principal branch without jumps for any T and sigma. */
#include <complex.h>
#include <math.h>
#include <string.h>

#include "core/internal.h"
#include "pricing/sv_model.h"
#include "pricing/sv_sum.h"
#include "qpm/pricing.h"

typedef double complex qpm__cplx;

/* CMPLX is C11, but glibc defines it only for compilers with
 * __builtin_complex (not clang 14); a complex has the layout of double[2]
 * (C11 6.2.5), which builds it anywhere. */
#ifndef CMPLX
static inline qpm__cplx qpm__cmplx(double re, double im)
{
    qpm__cplx z;
    double *p = (double *)&z;
    p[0] = re;
    p[1] = im;
    return z;
}
#define CMPLX(re, im) qpm__cmplx(re, im)
#endif

/* Gauss-Legendre, 32 nodes on [-1, 1]: the positive half (node, weight),
 * the nodes correctly rounded (Newton in 40-digit arithmetic). */
static const double GL32[16][2] = {
    {4.8307665687738316e-2, 9.6540088514727801e-2}, {1.4447196158279649e-1, 9.5638720079274859e-2},
    {2.3928736225213707e-1, 9.3844399080804566e-2}, {3.3186860228212765e-1, 9.1173878695763885e-2},
    {4.2135127613063535e-1, 8.7652093004403811e-2}, {5.0689990893222939e-1, 8.3311924226946755e-2},
    {5.8771575724076233e-1, 7.8193895787070306e-2}, {6.630442669302152e-1, 7.2345794108848506e-2},
    {7.3218211874028968e-1, 6.5822222776361847e-2}, {7.9448379596794241e-1, 5.8684093478535547e-2},
    {8.4936761373256997e-1, 5.0998059262376176e-2}, {8.9632115576605212e-1, 4.2835898022226681e-2},
    {9.3490607593773969e-1, 3.4273862913021433e-2}, {9.6476225558750643e-1, 2.5392065309262059e-2},
    {9.8561151154526834e-1, 1.6274394730905671e-2}, {9.9726386184948156e-1, 7.0186100094700966e-3},
};

/* The integration range ends where |phi| falls below SV_TAIL: the
 * integrands are bounded by |phi| (times 1/(x^2 + 1/4) for the price), and
 * phi decays at least exponentially, so the neglected tail is below a few
 * SV_TAIL times the decay length, some 1e-15 of sqrt(F K) in the price.
 * Beyond SV_UMAX the grid would be too large to be useful (a total
 * variance below about 1e-10). */
#define SV_TAIL 1e-14
#define SV_UMAX 1e6
/* A panel of 32 nodes spans at most SV_PHASE radians of e^{ixk}: 32-node
 * Gauss-Legendre integrates e^{i w x} over a panel of width h with an
 * error of about (w h / 2)^64 / 64!, 1e-17 at w h = 27.  The phase of phi
 * itself turns by at most |rho| / sqrt(1 - rho^2) times its log-modulus,
 * ln(1 / SV_TAIL) over the range: the range holds enough panels to give
 * that turn at most SV_PHASE per panel too. */
#define SV_PHASE 27.0
/* The 1/(x^2 + 1/4) of the price integrand has poles at +-i/2.  Gauss-
 * Legendre on [a, a + w] converges like rho^-64, rho the Bernstein-ellipse
 * parameter of the pole: about 2.1 for [0, 2] (1e-20) and at least 2 for
 * w <= 8 a (5e-20), so the panels grow from SV_POLE_W by up to SV_GRADE
 * times their start until they reach the width h the phases allow. */
#define SV_POLE_W 2.0
#define SV_GRADE  8.0
/* The most panels a grid may have (4.2 million nodes, some 0.4 s for a
 * short chain).  The widths above follow the phases without limit: |rho|
 * within 1e-10 of 1, a chain reaching |ln(F/K)| of hundreds at a total
 * variance near 1e-10, or jumps whose factor turns lambda T e^{mu/2 +
 * delta^2/8} times faster than e^{iux} ask for up to 1e12 panels, i.e.
 * hours; such a call fails instead.  The limit is above the 1.1e5 panels
 * of the widest range (SV_UMAX) with strikes within |ln(F/K)| <= 3. */
#define SV_MAX_PANELS 131072.0

/* The panels of [0, U], h the widest the phases allow: from [0, SV_POLE_W]
 * "graded" panels each SV_GRADE times the last (w <= 8 a holds for them),
 * while that width is within h and the panel ends before U; then panels
 * as wide as h, the distance from the poles (8 a) and U allow.  A graded
 * width is an exact power of 8 times the first, so that a strike's phases
 * at its nodes follow from the first panel's by squaring. */
typedef struct sv_grid {
    double U, h, a, w;
    int graded;
} sv_grid;

static void grid_start(sv_grid *g, double U, double h)
{
    g->U = U;
    g->h = h;
    g->a = 0.0;
    g->w = 0.0;
    g->graded = 1;
}

/* the next panel [*a, *a + *w] and whether it is graded; 0 at the end */
static int grid_next(sv_grid *g, double *a, double *w, int *graded)
{
    if (!(g->a < g->U))
        return 0;
    double wdt = 0.0;
    if (g->graded) {
        wdt = g->w == 0.0 ? fmin(SV_POLE_W, g->h) : SV_GRADE * g->w;
        if (!(wdt <= g->h && g->a + wdt < g->U))
            g->graded = 0;
    }
    if (!g->graded)
        wdt = fmin(fmin(g->h, fmax(SV_POLE_W, SV_GRADE * g->a)), g->U - g->a);
    *a = g->a;
    *w = wdt;
    *graded = g->graded;
    g->w = wdt;
    g->a = wdt < g->U - g->a ? g->a + wdt : g->U;
    return 1;
}

/* e^z - 1 without cancellation for small |z|: with s, c the sine and
 * cosine of b/2, cos b = 1 - 2 s^2 and sin b = 2 s c */
static qpm__cplx c_expm1(qpm__cplx z)
{
    double a = creal(z), sh, ch;
    fast_sincos(0.5 * cimag(z), &sh, &ch);
    double em1 = expm1(a), s2 = 2.0 * sh * sh;
    return CMPLX(em1 * (1.0 - s2) - s2, (em1 + 1.0) * (2.0 * sh * ch));
}

/* e^z */
static qpm__cplx c_exp(qpm__cplx z)
{
    double sn, cs, e = exp(creal(z));
    fast_sincos(cimag(z), &sn, &cs);
    return CMPLX(e * cs, e * sn);
}

/* The principal square root: with r = |w|, t = sqrt((r + |Re w|) / 2)
 * is the larger part and Im w / (2 t) the other, with no cancellation;
 * |w| stays far from overflow here (|w| < 1e16 for |x| <= SV_UMAX) */
static qpm__cplx c_sqrt(qpm__cplx w)
{
    double p = creal(w), q = cimag(w);
    if (p == 0.0 && q == 0.0)
        return 0.0;
    double t = sqrt(0.5 * (sqrt(p * p + q * q) + fabs(p)));
    return p >= 0.0 ? CMPLX(t, 0.5 * q / t) : CMPLX(0.5 * fabs(q) / t, copysign(t, q));
}

/* log(1 + z), accurate for small |z| */
static qpm__cplx c_log1p(qpm__cplx z)
{
    double a = creal(z), b = cimag(z);
    return CMPLX(0.5 * log1p(a * (2.0 + a) + b * b), atan2(b, 1.0 + a));
}

/* a / b without the overflow guards of C's complex division (__divdc3,
 * the larger part of the derivatives' cost): every divisor it serves is
 * bounded away from 0 and from overflow (|xi + d| >= Re(xi + d) > 0 up to
 * sigma |x| <= 1e7; |1 - g e| >= 1 - |g| > 0; 1 - g likewise), except
 * log1p(z) / z, which keeps C's division (z may be tiny) */
static inline qpm__cplx cdiv(qpm__cplx a, qpm__cplx b)
{
    double br = creal(b), bi = cimag(b), r = 1.0 / (br * br + bi * bi);
    return CMPLX((creal(a) * br + cimag(a) * bi) * r, (cimag(a) * br - creal(a) * bi) * r);
}

/* log(1 + z) / z; its series 1 - z/2 (+ z^2/3, below 1e-200 there) for
 * tiny z, where 1/|z|^2 in cdiv would overflow */
static qpm__cplx log1p_over(qpm__cplx z)
{
    if (fabs(creal(z)) + fabs(cimag(z)) < 1e-100)
        return 1.0 - 0.5 * z;
    return cdiv(c_log1p(z), z);
}

/* The builds of the four-lane characteristic function and strike sums
 * (sv_sum.h) this CPU runs: the AVX2 one when it can (the same bits) */
typedef struct sv_impl {
    qpm__sv_cf_fn *cf;
    qpm__sv_sum_fn *sum;
} sv_impl;

static sv_impl impl(void)
{
    sv_impl v = {qpm__sv_cf, qpm__sv_sum};
#if defined(__x86_64__) || defined(__i386__)
    unsigned avx2_fma = (unsigned)QPM_CPU_AVX2 | (unsigned)QPM_CPU_FMA;
    if ((qpm__cpu_flags() & avx2_fma) == avx2_fma) {
        v.cf = qpm__sv_cf_avx2;
        v.sum = qpm__sv_sum_avx2;
    }
#endif
    return v;
}

void qpm__sv_log_cf(const qpm__sv *m, double x, double *re, double *im, double *dv0_re,
                    double *dv0_im)
{
    double xs[4] = {x, x, x, x}, lr[4], li[4], dr[4], di[4];
    impl().cf(m, 4, xs, NULL, lr, li, dr, di);
    *re = lr[0];
    *im = li[0];
    *dv0_re = dr[0];
    *dv0_im = di[0];
}

/* The end of the integration range: the first point of a geometric
 * sequence where a decreasing bound of |phi| falls below SV_TAIL (four
 * points per evaluation); 0 when none does below SV_UMAX.  |phi| itself
 * need not decrease: the jump factor exp(lambda T (e^w - 1) - ...) of
 * Bates returns near 1 wherever the phase of e^w turns a whole circle,
 * which with a narrow jump size (small delta_j) goes on far beyond a
 * first dip of |phi|.  The bound takes |e^w| for e^w: the Heston factor
 * times exp(lambda T (e^{Re w} - 1) - lambda T kbar / 2). */
static double upper_limit(const qpm__sv *m, const sv_impl *v)
{
    double u = 0.5, lt = log(SV_TAIL);
    qpm__sv mh = *m;
    mh.lambda = 0.0;
    double dj2 = m->delta_j * m->delta_j, lT = m->lambda * m->T;
    double kbar = m->lambda > 0.0 ? expm1(m->mu_j + 0.5 * dj2) : 0.0;
    while (u <= SV_UMAX) {
        double xs[4] = {u, 1.25 * u, 1.5625 * u, 1.953125 * u}, lr[4], li[4];
        v->cf(&mh, 4, xs, NULL, lr, li, NULL, NULL);
        for (int j = 0; j < 4; j++) {
            double env = 0.0;
            if (m->lambda > 0.0) {
                double rew = 0.5 * m->mu_j + 0.125 * dj2 - 0.5 * dj2 * xs[j] * xs[j];
                env = lT * expm1(rew) - 0.5 * lT * kbar;
            }
            if (xs[j] <= SV_UMAX && lr[j] + env < lt)
                return xs[j];
        }
        u = 1.25 * xs[3];
    }
    return 0.0;
}

/* d/dz [log1p(z) / z], by its series where the closed form cancels */
static qpm__cplx dlz_dz(qpm__cplx z, qpm__cplx lz)
{
    if (cabs(z) < 1e-3)
        return -0.5 + z * (2.0 / 3.0 + z * (-0.75 + z * (0.8 + z * (-5.0 / 6.0))));
    return cdiv(cdiv(1.0, 1.0 + z) - lz, z);
}

/* ln phi(x - i/2) as log_cf (the same operations, so the same bits) and
 * its derivatives der[0..8] in (v0, theta, T, kappa, sigma, rho, lambda,
 * mu_j, delta_j): forward-mode differentiation of each intermediate of
 * the little-trap form, so the derivatives keep its stability (no
 * difference of nearly equal terms beyond the log1p one, taken by series
 * near 0).  dD/dT = -zx d e (1 - g) / (1 - g e)^2 and dC/dT = kappa theta D
 * (the Riccati equations) need no differencing either. */
static void log_cf_der(const qpm__sv *m, double x, qpm__cplx *lnphi, qpm__cplx der[9])
{
    double zeta = x * x + 0.25, T = m->T, s2 = m->sigma * m->sigma;
    qpm__cplx xi = CMPLX(m->kappa - 0.5 * m->sigma * m->rho, -m->sigma * m->rho * x);
    qpm__cplx d = c_sqrt(xi * xi + s2 * zeta);
    qpm__cplx xpd = xi + d;
    qpm__cplx rxpd = cdiv(1.0, xpd);
    qpm__cplx zx = zeta * rxpd;
    qpm__cplx g = -s2 * zx * rxpd;
    qpm__cplx one_m_e = -c_expm1(-d * T);
    qpm__cplx den = 1.0 - g * (1.0 - one_m_e);
    qpm__cplx D = cdiv(-zx * one_m_e, den);
    qpm__cplx zs = cdiv(-zx * rxpd * one_m_e, 1.0 - g);
    qpm__cplx z = s2 * zs;
    qpm__cplx lz = log1p_over(z);
    qpm__cplx cb = -zx * T - 2.0 * lz * zs; /* C / (kappa theta) */
    qpm__cplx C = m->kappa * m->theta * cb;
    qpm__cplx ln = C + D * m->v0;
    qpm__cplx e = c_exp(-d * T), dlz = dlz_dz(z, lz);
    der[0] = D;
    der[1] = m->kappa * cb;
    qpm__cplx rden = cdiv(1.0, den), rd = cdiv(1.0, d);
    der[2] = m->kappa * m->theta * D - m->v0 * zx * d * e * (1.0 - g) * rden * rden;
    qpm__cplx B = xpd * (1.0 - g), rB = cdiv(1.0, B);
    for (int k = 0; k < 3; k++) {
        /* tangents of xi and sigma^2 along kappa, sigma, rho */
        qpm__cplx dxi = k == 0 ? 1.0
                        : k == 1 ? CMPLX(-0.5 * m->rho, -m->rho * x)
                                 : CMPLX(-0.5 * m->sigma, -m->sigma * x);
        double ds2 = k == 1 ? 2.0 * m->sigma : 0.0;
        qpm__cplx dd = (xi * dxi + 0.5 * ds2 * zeta) * rd;
        qpm__cplx dxpd = dxi + dd;
        qpm__cplx dzx = -zx * dxpd * rxpd;
        qpm__cplx dg = (-ds2 * zx - s2 * dzx - g * dxpd) * rxpd;
        qpm__cplx dome = T * e * dd;
        qpm__cplx dden = -dg * e + g * dome;
        qpm__cplx dD = (-dzx * one_m_e - zx * dome - D * dden) * rden;
        qpm__cplx dA = dzx * one_m_e + zx * dome, dB = dxpd * (1.0 - g) - xpd * dg;
        qpm__cplx dzs = (-dA - zs * dB) * rB;
        qpm__cplx dz = ds2 * zs + s2 * dzs;
        qpm__cplx dcb = -dzx * T - 2.0 * (dlz * dz * zs + lz * dzs);
        qpm__cplx dC = m->kappa * m->theta * dcb + (k == 0 ? m->theta * cb : 0.0);
        der[3 + k] = dC + m->v0 * dD;
    }
    double dj = m->delta_j, dj2 = dj * dj;
    qpm__cplx w = CMPLX(0.5 * m->mu_j + 0.125 * dj2 - 0.5 * dj2 * x * x, (m->mu_j + 0.5 * dj2) * x);
    double kbar = expm1(m->mu_j + 0.5 * dj2), lt = m->lambda * T;
    qpm__cplx u5 = CMPLX(0.5, x), ew = c_exp(w), em1 = c_expm1(w);
    if (m->lambda > 0.0) {
        ln += lt * em1 - u5 * (lt * kbar);
        der[2] += m->lambda * (em1 - u5 * kbar);
    }
    der[6] = T * (em1 - u5 * kbar);
    der[7] = lt * u5 * (ew - (1.0 + kbar));
    der[8] = lt * dj * (ew * CMPLX(0.25 - x * x, x) - u5 * (1.0 + kbar));
    *lnphi = ln;
}

void qpm__sv_log_cf_der(const qpm__sv *m, double x, double *re, double *im, double der_re[9],
                        double der_im[9])
{
    qpm__cplx l, der[9];
    log_cf_der(m, x, &l, der);
    *re = creal(l);
    *im = cimag(l);
    for (int i = 0; i < 9; i++) {
        der_re[i] = creal(der[i]);
        der_im[i] = cimag(der[i]);
    }
}

/* Up to SV_BLOCK panels starting at a[p], of one width w, or graded
 * (panel p of width w SV_GRADE^p) */
typedef struct sv_block {
    int np, graded;
    double w, a[SV_BLOCK];
} sv_block;

/* The longest chain whose ln(F / K) the blocks share from one buffer */
#define SV_KEEP_K 512

/* Adds the block's share of the na wanted integrals act[0..na-1] to
 * acc[act[a]][i]: per node, w phi / zeta (price), w (1/2 + ix) phi / zeta
 * (delta), w phi (gamma) and w (d ln phi / dp) phi / zeta (the parameter
 * and T derivatives), against e^{ixk}, k[i] = ln(F / K_i).  Only the wanted
 * ones are summed, each in the same order whatever the others; kk holds
 * the k of every strike, or is NULL for a chain too long to keep them
 * (each block then takes the logarithms again).  phi and d ln phi / d v0
 * come from the four-lane characteristic function (sv_sum.h) whatever the
 * slots, so that every output of a chain has the same bits with or
 * without the others; the scalar log_cf_der adds the other derivatives
 * when a slot past vega is wanted. */
static void block_run(const qpm__sv *m, const sv_impl *im4, const sv_block *b, double F, size_t n,
                      const double *K, const double *kk, double *const acc[SV_SLOTS],
                      const int *act, int na)
{
    _Alignas(32) double re[SV_SLOTS][SV_NB], im[SV_SLOTS][SV_NB];
    _Alignas(32) double xq[SV_NB], wq[SV_NB], pr[SV_NB], pi[SV_NB], dr[SV_NB], di[SV_NB];
    int ext = act[na - 1] > 3, nq = b->np * QPM__GL_N;
    double half = 0.5 * b->w;
    for (int p = 0; p < b->np; p++) {
        double mid = b->a[p] + half;
        for (int j = 0; j < QPM__GL_N; j++) {
            int jj = j & 15, q = p * QPM__GL_N + j;
            xq[q] = j < 16 ? mid - half * GL32[jj][0] : mid + half * GL32[jj][0];
            wq[q] = half * GL32[jj][1];
        }
        if (b->graded)
            half *= SV_GRADE;
    }
    /* w phi and d ln phi / d v0 at every node, four at a time */
    im4->cf(m, (size_t)nq, xq, wq, pr, pi, dr, di);
    for (int q = 0; q < nq; q++) {
        double x = xq[q], zeta = x * x + 0.25;
        qpm__cplx l, der[9], v[SV_SLOTS];
        if (ext)
            log_cf_der(m, x, &l, der);
        der[0] = CMPLX(dr[q], di[q]);
        qpm__cplx phi = CMPLX(pr[q], pi[q]);
        v[0] = phi / zeta;
        for (int a = 0; a < na; a++) {
            int o = act[a];
            qpm__cplx u = o == 0   ? v[0]
                          : o == 1 ? v[0] * CMPLX(0.5, x)
                          : o == 2 ? phi
                                   : v[0] * der[o - 3];
            re[a][q] = creal(u);
            im[a][q] = cimag(u);
        }
    }
    im4->sum(&(qpm__sv_sum_job){b->np, b->graded, b->w, b->a, F, n, K, kk, (const double *)re,
                                (const double *)im, SV_NB, acc, act, na});
}

qpm_status qpm__sv_chain(const qpm__sv *m, double S, double r, double q, size_t n, const double *K,
                         const int32_t *type, const qpm__sv_out *out)
{
    double T = m->T, growth = exp((r - q) * T), F = S * growth, df = exp(-r * T);
    sv_impl im4 = impl();
    double U = upper_limit(m, &im4);
    if (U == 0.0)
        return qpm__fail(QPM_E_NOCONVERGE,
                         "the characteristic function does not decay below %g within |u| <= %g "
                         "(T = %g, v0 = %g, theta = %g, sigma = %g): total variance too small "
                         "or vol of variance too large for the Fourier integral",
                         SV_TAIL, SV_UMAX, T, m->v0, m->theta, m->sigma);
    /* k = ln(F / K) of each strike, kept for the blocks when the chain is
     * short enough */
    double kbuf[SV_KEEP_K], *kk = n <= SV_KEEP_K ? kbuf : NULL, kmax = 0.0;
    for (size_t i = 0; i < n; i++) {
        double k = log(F / K[i]);
        if (kk != NULL)
            kk[i] = k;
        kmax = fmax(kmax, fabs(k));
    }
    /* the fastest phase of the integrand: e^{ixk}, and with jumps the
     * factor exp(lambda T e^w), w's imaginary part (mu_j + delta_j^2 / 2) x,
     * whose phase lambda T |e^w| sin(Im w) turns up to lambda T |e^w| times
     * as fast (|e^w| <= e^{mu_j / 2 + delta_j^2 / 8}) */
    kmax = fmax(kmax, out->kmax);
    double freq = kmax;
    if (m->lambda > 0.0) {
        double dj2 = m->delta_j * m->delta_j;
        freq += (fabs(m->mu_j) + 0.5 * dj2) *
                (1.0 + m->lambda * m->T * exp(0.5 * m->mu_j + 0.125 * dj2));
    }
    double turn = fabs(m->rho) / sqrt(1.0 - m->rho * m->rho) * -log(SV_TAIL);
    double h = fmin(U / fmax(1.0, turn / SV_PHASE), SV_PHASE / fmax(freq, 1e-300));
    /* every panel is at most h wide: U / h is a lower bound of their
     * number, computed before counting them (which could take hours) */
    if (!(U / h <= SV_MAX_PANELS)) {
        if (out->max_panels > 0)
            return QPM_E_NOCONVERGE;
        return qpm__fail(QPM_E_NOCONVERGE,
                         "the Fourier grid would need more than %g panels (at least %.3g: rho = "
                         "%.17g, |ln(F/K)| up to %g, lambda T = %g, mu = %g, delta = %g over |u| "
                         "<= %g)",
                         SV_MAX_PANELS, U / h, m->rho, kmax, m->lambda * T, m->mu_j, m->delta_j,
                         U);
    }
    if (out->panels != NULL || out->max_panels > 0) {
        size_t np = 0;
        sv_grid g;
        grid_start(&g, U, h);
        double pa, pw;
        int pg;
        while (grid_next(&g, &pa, &pw, &pg))
            np++;
        if (out->panels != NULL)
            *out->panels = np;
        if (out->max_panels > 0 && np > out->max_panels)
            return QPM_E_NOCONVERGE;
    }

    double *acc[SV_SLOTS] = {out->price, out->delta, out->gamma, out->vega, out->dtheta, out->theta};
    int act[SV_SLOTS], na = 0;
    for (int k = 0; k < QPM__SV_NGRAD; k++)
        acc[6 + k] = out->grad[k];
    for (int o = 0; o < SV_SLOTS; o++)
        if (acc[o] != NULL)
            act[na++] = o;
    for (int o = 0; o < SV_SLOTS; o++)
        if (acc[o] != NULL)
            for (size_t i = 0; i < n; i++)
                acc[o][i] = 0.0;

    /* Panels go in blocks of up to SV_BLOCK, graded or of one width: every
     * strike then needs e^{ixk} only at the 16 node offsets of the block's
     * first width and at its first midpoint, the rest following by
     * rotation or squaring (a few ulps over a block), instead of a sine
     * and cosine per node. */
    sv_block b;
    b.np = 0;
    b.graded = 0;
    b.w = 0.0;
    sv_grid g;
    grid_start(&g, U, h);
    double pa, pw;
    int pg;
    while (grid_next(&g, &pa, &pw, &pg)) {
        if (b.np > 0 && (b.np == SV_BLOCK || pg != b.graded || (!pg && pw != b.w))) {
            block_run(m, &im4, &b, F, n, K, kk, acc, act, na);
            b.np = 0;
        }
        if (b.np == 0) {
            b.w = pw;
            b.graded = pg;
        }
        b.a[b.np++] = pa;
    }
    block_run(m, &im4, &b, F, n, K, kk, acc, act, na);

    const double rpi = 0x1.45f306dc9c883p-2; /* 1/pi */
    for (size_t i = 0; i < n; i++) {
        double sfk = qpm__sqrt_prod(F, K[i]), skf = sqrt(K[i] / F);
        int call = type[i] == QPM_CALL;
        if (out->price != NULL) {
            /* the integral is good to about 1e-16 (F + K) absolute; a value
             * that rounding puts outside the no-arbitrage bounds (a far
             * out-of-the-money option below 0) is moved onto them */
            double own = call ? F : K[i], other = call ? K[i] : F;
            double v = own - sfk * rpi * out->price[i];
            out->price[i] = df * fmin(fmax(v, fmax(own - other, 0.0)), own);
        }
        if (out->delta != NULL)
            out->delta[i] = df * growth * ((call ? 1.0 : 0.0) - skf * rpi * out->delta[i]);
        if (out->gamma != NULL)
            out->gamma[i] = df * growth * growth * skf * rpi / F * out->gamma[i];
        if (out->vega != NULL)
            out->vega[i] = -df * sfk * rpi * out->vega[i];
        if (out->dtheta != NULL)
            out->dtheta[i] = -df * sfk * rpi * out->dtheta[i];
        for (int k = 0; k < QPM__SV_NGRAD; k++)
            if (out->grad[k] != NULL)
                out->grad[k][i] = -df * sfk * rpi * out->grad[k][i];
        if (out->theta != NULL) {
            /* V = e^{-rT} G(F, T): dV/dT = -r V + (r - q) S dV/dS + e^{-rT}
             * dG/dT at fixed F, the last from d ln phi / dT */
            double gt = -df * sfk * rpi * out->theta[i];
            out->theta[i] = r * out->price[i] - (r - q) * S * out->delta[i] - gt;
        }
    }
    return QPM_OK;
}
