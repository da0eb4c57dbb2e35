/* Fuzz target: the regime-switching model (include/qpm/regime.h,
 * experimental) and its Monte Carlo use by the risk handle
 * (qpm_risk_simulate_regime, risk.h).  K of 2 or 3 states (and invalid
 * counts), d of 1 to 4 assets (and invalid ones); transition matrices
 * valid, absorbing, the identity, with rows off by more or less than
 * QPM_REGIME_PROB_TOL, negative or special entries; means and covariances
 * positive definite, singular, indefinite, asymmetric, near DBL_MAX or near
 * the smallest doubles; jumps with p near 0 and near 1, delta_j tiny, huge
 * (its square overflows) or 0; return series of 0 to 300 days drawn from a
 * small regime-switching generator, or tiled from a few values, with
 * constant or collinear columns, ties, NaN/Inf, outliers and scales from
 * 1e-310 to 1e300; fits of at most 8 EM iterations with and without jump
 * fitting, in every initial mode; filters; simulations; risk runs of at
 * most 64 paths of at most 4 days on a small book (rarely 4097 paths, two
 * generator blocks); allocation failures anywhere.
 *
 * Beyond the common invariants (fuzz_support.h), what regime.h promises:
 * - a failing call leaves the handle as it was (its dims, modes, jumps and
 *   parameters hashed before and after) and every output untouched (the
 *   generator of qpm_regime_simulate included); a const call never changes
 *   the handle;
 * - set_params / set_jumps store exactly what they were given (read back
 *   bit for bit), and nothing invalid (a delta_j whose square overflows
 *   only with some p > 0: with every p = 0 the jumps are off and delta_j
 *   unused); in the estimated and fixed modes the initial distribution in
 *   use is the given one, whatever P: set_params does not change it (after
 *   a fit, the fitted pi, or the fixed pi in the reordered states' order);
 * - a fit gives a finite log-likelihood, 1 <= iterations <= max_iter,
 *   converged 0 only after max_iter iterations, a row-stochastic P and
 *   initial distribution within QPM_REGIME_PROB_TOL, symmetric positive
 *   definite covariances, jump probabilities in [0, 1) with delta_j > 0
 *   when some p > 0, states ordered by increasing volatility (regime.h's
 *   measure, recomputed here to 1e-12 relative); its parameters are valid
 *   input: another handle given them by set_jumps and set_params filters
 *   the series bit for bit like the fitted handle, whose filter gives the
 *   fit's log-likelihood; the fit does not depend on the handle's previous
 *   P, mu and sigma (a fresh handle with the same initial distribution and
 *   jumps gives the same bits), and one more iteration never lowers the
 *   log-likelihood (checked where regime.h promises it: one asset, no
 *   variance, delta_j or p floor binding at the last step; tolerance 1e-9
 *   (1 + |log L|) for rounding near convergence); progress rises to 1;
 * - a filter gives probabilities in [0, 1] whose rows sum to 1 within
 *   16 DBL_EPSILON (rows are normalised by their sum of at most 3 terms;
 *   a smoothed row is a sum of 3 such quotients over a sum of 9 terms:
 *   a few ulps), a finite log-likelihood, the last smoothed row equal to the
 *   last filtered one, filtered rows that do not depend on whether smoothed
 *   ones are asked for, and filtered rows of a prefix of the series equal
 *   to the first rows of the whole series' (the forward pass looks back
 *   only);
 * - a simulation gives finite returns (QPM_E_OVERFLOW for a model whose
 *   jump days' returns could leave the double range) and states that the
 *   chain can reach
 *   (start, then P entries > 0); its first n - 1 paths are those of a run
 *   of n - 1 paths from the same generator state;
 * - a risk run gives finite P&L, worst end-of-day P&L <= horizon P&L,
 *   ES >= VaR, the book's decay setting restored, the risk settings
 *   unchanged; bits that do not depend on the risk and book thread counts
 *   (pass B swaps them). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#define QPM_EXPERIMENTAL
#include "fuzz_support.h"
#include "qpm/regime.h"

#define MAXK 3
#define MAXD 4
#define MAXT 300
#define MAXN 12 /* simulated paths */
#define MAXH 12 /* simulated days */
#define NSC  64 /* risk scenarios, or NBIG */
#define NBIG 4097

typedef struct state {
    fz_alloc fa;
    qpm_regime *m;
    qpm_rng *rng;
    qpm_risk *risk;
    qpm_book *book;
    int has_cb;
    fz_progress pr;
    /* the handle's initial distribution as given (the fit's start), as
     * regime.h describes it: uniform at creation, set_initial's pi, after a
     * fit the fitted pi (estimated mode) or the fixed pi in the fitted
     * states' order */
    double pi_given[MAXK];
    double r[MAXT * (MAXD + 1)];
    double f[MAXT * MAXK], sm[MAXT * MAXK], f2[MAXT * MAXK], sm2[MAXT * MAXK];
    double sim[MAXN * MAXH * (MAXD + 1)], sim2[MAXN * MAXH * (MAXD + 1)];
    size_t st[MAXN * MAXH], st2[MAXN * MAXH];
    double pnl[NBIG], worst[NBIG];
} state;

/* ---- helpers ------------------------------------------------------------------- */

static size_t dims_k(const qpm_regime *m)
{
    size_t k = 0;
    qpm_regime_dims(m, &k, NULL);
    return k;
}

static size_t dims_d(const qpm_regime *m)
{
    size_t d = 0;
    qpm_regime_dims(m, NULL, &d);
    return d;
}

/* what regime.h lets a caller see of the handle */
static uint64_t observe(const qpm_regime *m)
{
    uint64_t h = FZ_HASH0;
    if (m == NULL)
        return h;
    size_t k = 0, d = 0;
    qpm_regime_dims(m, &k, &d);
    h = fz_hash(h, &k, sizeof k);
    h = fz_hash(h, &d, sizeof d);
    qpm_regime_init mode = (qpm_regime_init)-1;
    int fj = -1;
    qpm_regime_get_initial(m, &mode);
    qpm_regime_get_fit_jumps(m, &fj);
    h = fz_hash(h, &mode, sizeof mode);
    h = fz_hash(h, &fj, sizeof fj);
    double p[MAXK], muj[MAXD], dj[MAXD];
    if (qpm_regime_jumps(m, p, muj, dj) != QPM_OK)
        fz_fail("jumps unreadable");
    h = fz_hash(h, p, k * sizeof(double));
    h = fz_hash(h, muj, d * sizeof(double));
    h = fz_hash(h, dj, d * sizeof(double));
    double P[MAXK * MAXK], pi[MAXK], mu[MAXK * MAXD], sg[MAXK * MAXD * MAXD];
    qpm_status st = qpm_regime_params(m, P, pi, mu, sg);
    h = fz_hash(h, &st, sizeof st);
    if (st == QPM_OK) {
        h = fz_hash(h, P, k * k * sizeof(double));
        h = fz_hash(h, pi, k * sizeof(double));
        h = fz_hash(h, mu, k * d * sizeof(double));
        h = fz_hash(h, sg, k * d * d * sizeof(double));
    }
    return h;
}

/* regime.h's test of a distribution: finite, >= 0, summing to 1 within
 * QPM_REGIME_PROB_TOL */
static int is_dist(const double *p, size_t k)
{
    double s = 0.0;
    for (size_t i = 0; i < k; i++) {
        if (!isfinite(p[i]) || p[i] < 0.0)
            return 0;
        s += p[i];
    }
    return fabs(s - 1.0) <= QPM_REGIME_PROB_TOL;
}

static int all_finite(const double *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return 0;
    return 1;
}

/* ---- drawing inputs ------------------------------------------------------------- */

/* T x d returns (leading dimension ld; the padding NaN, which must never be
 * read): a small regime-switching generator seeded from the input, or
 * values tiled from a few drawn ones; then edits. */
static void draw_series(fz_in *in, double *r, size_t T, size_t d, size_t ld)
{
    uint8_t how = fz_u8(in), edit = fz_u8(in);
    uint64_t seed = fz_u32(in);
    size_t nreg = fz_range(in, 1, 3);
    double base = exp(fz_plain(in, log(1e-3), log(0.1))), ratio = fz_plain(in, 1, 10);
    double stay = fz_plain(in, 0.5, 0.999), rho = fz_plain(in, -1, 1), drift = fz_plain(in, -1, 1);
    double pj = (how & 4) ? fz_plain(in, 0.005, 0.2) : 0.0, js = fz_plain(in, 1, 20);
    if ((how & 3) == 3) {
        static double tile[MAXT * MAXD];
        fz_fill(in, tile, T * d > 0 ? T * d : 1, -0.1, 0.1);
        for (size_t t = 0; t < T; t++)
            for (size_t j = 0; j < d; j++)
                r[t * ld + j] = tile[t * d + j];
    } else {
        size_t s = 0;
        for (size_t t = 0; t < T; t++) {
            if (fz_unif(&seed) > stay)
                s = (size_t)(fz_sm64(&seed) % nreg);
            double vol = base * pow(ratio, (double)s), z0 = fz_gauss(&seed);
            int jump = fz_unif(&seed) < pj;
            for (size_t j = 0; j < d; j++) {
                double x = vol * (rho * z0 + sqrt(1.0 - rho * rho) * fz_gauss(&seed)) +
                           drift * vol * 0.1 * (double)s;
                if (jump)
                    x += js * base * fz_gauss(&seed);
                r[t * ld + j] = x;
            }
        }
        if ((how & 3) == 2) { /* ties: returns on a grid */
            double q = base * fz_plain(in, 0.05, 1);
            for (size_t t = 0; t < T; t++)
                for (size_t j = 0; j < d; j++)
                    r[t * ld + j] = q * nearbyint(r[t * ld + j] / q);
        }
    }
    if (how & 8) { /* another scale */
        static const double sc[] = {1e-150, 1e150, 1e-300,    1e300, 1e-310, 1e100,
                                    1e-8,   1e8,   0x1p-1000, 1e154, 1e-160, 3e307};
        double f = sc[fz_u8(in) % (sizeof sc / sizeof sc[0])];
        for (size_t t = 0; t < T; t++)
            for (size_t j = 0; j < d; j++)
                r[t * ld + j] *= f;
    }
    if ((edit & 3) == 1 && d > 0) { /* a constant column */
        size_t j = fz_range(in, 0, d - 1);
        double v = fz_u8(in) < 200 ? fz_plain(in, -0.01, 0.01) : fz_special(in);
        for (size_t t = 0; t < T; t++)
            r[t * ld + j] = v;
    }
    if ((edit & 3) == 2 && d > 1) { /* a column collinear with the first */
        size_t j = fz_range(in, 1, d - 1);
        double f = fz_u8(in) < 128 ? 1.0 : fz_plain(in, -3, 3);
        for (size_t t = 0; t < T; t++)
            r[t * ld + j] = f * r[t * ld];
    }
    if ((edit & 12) == 4 && T > 0 && d > 0) { /* a special value */
        size_t t = fz_range(in, 0, T - 1), j = fz_range(in, 0, d - 1);
        r[t * ld + j] = fz_special(in);
    }
    if ((edit & 12) == 8 && T > 0 && d > 0) { /* outliers */
        size_t n = fz_range(in, 1, 3);
        for (size_t q = 0; q < n; q++) {
            size_t t = fz_range(in, 0, T - 1), j = fz_range(in, 0, d - 1);
            r[t * ld + j] *= fz_real(in, 10, 1e300);
        }
    }
    if ((edit & 48) == 48 && T > 2) { /* a quiet stretch: a day repeated */
        size_t t0 = fz_range(in, 0, T - 1), len = fz_range(in, 1, T - t0);
        for (size_t t = t0; t < t0 + len; t++)
            for (size_t j = 0; j < d; j++)
                r[t * ld + j] = r[t0 * ld + j];
    }
    for (size_t t = 0; t < T; t++)
        for (size_t j = d; j < ld; j++)
            r[t * ld + j] = (double)NAN;
}

/* a row-stochastic k x k matrix, or one of the ways to miss being one */
static void draw_P(fz_in *in, double *P, size_t k)
{
    uint8_t pm = fz_u8(in);
    for (size_t i = 0; i < k; i++) {
        double w[MAXK], s = 0.0;
        for (size_t j = 0; j < k; j++) {
            w[j] = fz_u8(in) < 30 ? 0.0 : fz_plain(in, 0, 1);
            if (i == j)
                w[j] += fz_plain(in, 0, 30);
            s += w[j];
        }
        for (size_t j = 0; j < k; j++)
            P[i * k + j] = s > 0.0 ? w[j] / s : (i == j ? 1.0 : 0.0);
    }
    size_t i = fz_range(in, 0, k - 1), j = fz_range(in, 0, k - 1);
    switch (pm % 16) {
    case 0: /* the identity: no state is ever left */
        for (size_t a = 0; a < k; a++)
            for (size_t b = 0; b < k; b++)
                P[a * k + b] = a == b;
        break;
    case 1: /* state i absorbing */
        for (size_t b = 0; b < k; b++)
            P[i * k + b] = i == b;
        break;
    case 2: { /* a row off by a little or more than the tolerance */
        static const double off[] = {1e-12, 5e-10, 9.9e-10, 1.1e-9, 1e-8, 1e-3, 0.5};
        double o = off[fz_u8(in) % 7];
        P[i * k + j] += fz_u8(in) & 1 ? o : -o;
        break;
    }
    case 3: { /* a negative entry, the row still summing to 1 */
        static const double neg[] = {0x1p-1074, 1e-300, 1e-12, 0.1};
        double v = neg[fz_u8(in) % 4];
        size_t j2 = (j + 1) % k;
        P[i * k + j] = -v;
        P[i * k + j2] += v;
        break;
    }
    case 4:
        P[i * k + j] = fz_special(in);
        break;
    case 5: /* rows of subnormal off-diagonal entries */
        for (size_t b = 0; b < k; b++)
            P[i * k + b] = b == i ? 1.0 : 0x1p-1074 * (double)fz_range(in, 0, 3);
        break;
    default:
        break;
    }
}

static void draw_mu(fz_in *in, double *mu, size_t n)
{
    uint8_t mm = fz_u8(in);
    for (size_t i = 0; i < n; i++)
        mu[i] = mm < 200   ? fz_plain(in, -0.01, 0.01)
                : mm < 230 ? fz_real(in, -1e300, 1e300)
                           : fz_special(in);
}

/* the k covariances of a model: positive definite, singular, indefinite,
 * asymmetric, at extreme scales */
static void draw_sigma(fz_in *in, double *sg, size_t k, size_t d)
{
    for (size_t s = 0; s < k; s++) {
        double *S = sg + s * d * d;
        uint8_t sm = fz_u8(in);
        double scale;
        if (sm < 200) {
            scale = exp(fz_plain(in, log(1e-8), log(1e-1)));
        } else {
            static const double big[] = {1e-300,    1e-155, 1e155,  1e300, DBL_MAX,
                                         0x1p-1074, 1e-320, 1e-200, 1e200, 0x1p-1022};
            scale = big[fz_u8(in) % 10];
        }
        double B[MAXD * MAXD], dg[MAXD];
        for (size_t q = 0; q < d * d; q++)
            B[q] = fz_plain(in, -1, 1);
        for (size_t q = 0; q < d; q++)
            dg[q] = (sm & 4) ? fz_plain(in, 0, 1) : 0.0;
        size_t rank = (sm & 3) == 0 ? fz_range(in, 0, d - 1) : d;
        for (size_t a = 0; a < d; a++)
            for (size_t b = 0; b <= a; b++) {
                double acc = 0.0;
                for (size_t q = 0; q < rank; q++)
                    acc += B[a * d + q] * B[b * d + q];
                if (a == b)
                    acc += dg[a];
                S[a * d + b] = S[b * d + a] = scale * acc;
            }
        switch ((sm >> 3) & 7) {
        case 0: /* indefinite: a correlation beyond 1, or a negative variance */
            if (d > 1) {
                S[1] = S[d] = 1.5 * sqrt(S[0] * S[d + 1]) + scale;
            } else {
                S[0] = -S[0];
            }
            break;
        case 1: { /* asymmetric within or beyond 1e-12 */
            if (d > 1) {
                double f = fz_u8(in) & 1 ? 1e-14 : 1e-6;
                S[1] += f * fmax(S[0], S[d + 1]);
            }
            break;
        }
        case 2: { /* a special entry */
            size_t a = fz_range(in, 0, d - 1), b = fz_range(in, 0, d - 1);
            S[a * d + b] = fz_special(in);
            if (fz_u8(in) & 1)
                S[b * d + a] = S[a * d + b];
            break;
        }
        default:
            break;
        }
    }
}

/* jump parameters: p near 0 and 1 (and beyond), delta_j tiny, huge, 0 */
static void draw_jumps(fz_in *in, double *p, double *muj, double *dj, size_t k, size_t d)
{
    uint8_t jm = fz_u8(in);
    for (size_t s = 0; s < k; s++) {
        static const double pv[] = {0.0,      0.0,           1e-300, 1e-12, 1e-6, 0.5,
                                    0.999999, 1.0 - 0x1p-53, 1.0,    -0.1,  -0.0, 0x1p-1074};
        uint8_t b = fz_u8(in);
        p[s] = b < 128 ? fz_plain(in, 0.001, 0.3) : b < 250 ? pv[b % 12] : fz_special(in);
    }
    for (size_t j = 0; j < d; j++)
        muj[j] = jm < 220 ? fz_plain(in, -0.1, 0.1) : fz_real(in, -1e300, 1e300);
    for (size_t j = 0; j < d; j++) {
        static const double dv[] = {1e-300, 1e-155,  1e-160, 0.0,  1e150,     1e155,
                                    -0.01,  DBL_MAX, 1e-170, 1e-8, 0x1p-1074, 3.0};
        uint8_t b = fz_u8(in);
        dj[j] = b < 140 ? fz_plain(in, 0.005, 0.3) : b < 250 ? dv[b % 12] : fz_special(in);
    }
}

/* ---- progress ----------------------------------------------------------------------- */

/* ---- checks of a fitted handle ------------------------------------------------------ */

/* each asset's variance over the series, as regime.h's fit forms it */
static void series_var(const double *r, size_t T, size_t d, size_t ld, double *var)
{
    for (size_t j = 0; j < d; j++) {
        double mean = 0.0, v = 0.0;
        for (size_t t = 0; t < T; t++)
            mean += r[t * ld + j];
        mean /= (double)T;
        for (size_t t = 0; t < T; t++) {
            double e = r[t * ld + j] - mean;
            v += e * e;
        }
        var[j] = v / (double)T;
    }
}

/* A shadow handle (malloc) holding pi (fixed), the jumps and the
 * parameters read from m: QPM_OK or the status of the first refusal. */
static qpm_status copy_model(const qpm_regime *m, qpm_regime **out)
{
    size_t k = dims_k(m), d = dims_d(m);
    double P[MAXK * MAXK], pi[MAXK], mu[MAXK * MAXD], sg[MAXK * MAXD * MAXD];
    double p[MAXK], muj[MAXD], dj[MAXD];
    *out = NULL;
    if (qpm_regime_params(m, P, pi, mu, sg) != QPM_OK || qpm_regime_jumps(m, p, muj, dj) != QPM_OK)
        fz_fail("a fitted handle's parameters are unreadable");
    qpm_regime *c = NULL;
    if (qpm_regime_create(&c, NULL, k, d) != QPM_OK)
        fz_fail("shadow create");
    qpm_status st = FZ(qpm_regime_set_initial(c, QPM_REGIME_INIT_FIXED, pi));
    if (st == QPM_OK)
        st = FZ(qpm_regime_set_jumps(c, p, muj, dj));
    if (st == QPM_OK)
        st = FZ(qpm_regime_set_params(c, P, mu, sg));
    if (st != QPM_OK) {
        qpm_regime_free(c);
        return st;
    }
    *out = c;
    return QPM_OK;
}

static void check_fitted(state *s, size_t T, const double *r, size_t ldr, double ll)
{
    const qpm_regime *m = s->m;
    size_t k = dims_k(m), d = dims_d(m);
    double P[MAXK * MAXK], pi[MAXK], mu[MAXK * MAXD], sg[MAXK * MAXD * MAXD];
    double p[MAXK], muj[MAXD], dj[MAXD];
    if (FZ(qpm_regime_params(m, P, pi, mu, sg)) != QPM_OK ||
        FZ(qpm_regime_jumps(m, p, muj, dj)) != QPM_OK)
        fz_fail("fitted parameters unreadable");
    for (size_t i = 0; i < k; i++) {
        for (size_t j = 0; j < k; j++)
            if (!(P[i * k + j] >= 0.0 && P[i * k + j] <= 1.0))
                fz_fail("fitted P[%zu][%zu] = %.17g", i, j, P[i * k + j]);
        if (!is_dist(P + i * k, k))
            fz_fail("fitted P row %zu is not a distribution within %g", i, QPM_REGIME_PROB_TOL);
    }
    if (!is_dist(pi, k))
        fz_fail("fitted pi is not a distribution within %g", QPM_REGIME_PROB_TOL);
    if (!all_finite(mu, k * d) || !all_finite(sg, k * d * d) || !all_finite(muj, d) ||
        !all_finite(dj, d) || !all_finite(p, k))
        fz_fail("a fitted parameter is not finite");
    int jumps = 0;
    for (size_t q = 0; q < k; q++) {
        if (!(p[q] >= 0.0 && p[q] < 1.0))
            fz_fail("fitted p[%zu] = %.17g outside [0, 1)", q, p[q]);
        jumps |= p[q] > 0.0;
    }
    for (size_t j = 0; j < d; j++)
        if (!(dj[j] >= 0.0) || (jumps && !(dj[j] > 0.0)))
            fz_fail("fitted delta_j[%zu] = %.17g", j, dj[j]);
    for (size_t q = 0; q < k; q++)
        for (size_t a = 0; a < d; a++) {
            if (!(sg[(q * d + a) * d + a] > 0.0))
                fz_fail("fitted variance sigma[%zu][%zu][%zu] = %.17g", q, a, a,
                        sg[(q * d + a) * d + a]);
            for (size_t b = 0; b < a; b++)
                if (sg[(q * d + a) * d + b] != sg[(q * d + b) * d + a])
                    fz_fail("fitted sigma[%zu] is not symmetric", q);
        }
    /* states by increasing volatility */
    double var[MAXD], vol[MAXK];
    series_var(r, T, d, ldr, var);
    for (size_t q = 0; q < k; q++) {
        vol[q] = 0.0;
        for (size_t j = 0; j < d; j++) {
            vol[q] += sg[(q * d + j) * d + j] / var[j];
            if (jumps)
                vol[q] += p[q] * (dj[j] * dj[j] + (1.0 - p[q]) * muj[j] * muj[j]) / var[j];
        }
        if (q > 0 && vol[q] < vol[q - 1] * (1.0 - 1e-12))
            fz_fail("fitted states not ordered by volatility: %.17g then %.17g", vol[q - 1],
                    vol[q]);
    }
    /* the fitted parameters are valid input, and the filter of the fitted
     * handle is that of a handle given them */
    qpm_regime *c;
    qpm_status st = copy_model(m, &c);
    if (st != QPM_OK)
        fz_fail("fitted parameters refused by set_initial/set_jumps/set_params: %s (%s)",
                qpm_status_name(st), qpm_last_error());
    double l1 = 0, l2 = 0;
    qpm_status s1 = FZ(qpm_regime_filter(m, T, r, ldr, s->f, s->sm, &l1));
    qpm_status s2 = FZ(qpm_regime_filter(c, T, r, ldr, s->f2, s->sm2, &l2));
    qpm_regime_free(c);
    if (s1 != QPM_OK || s2 != QPM_OK)
        fz_fail("filter of the fitted series: %s, of the copied model: %s", qpm_status_name(s1),
                qpm_status_name(s2));
    if (memcmp(s->f, s->f2, T * k * sizeof(double)) != 0 ||
        memcmp(s->sm, s->sm2, T * k * sizeof(double)) != 0 || memcmp(&l1, &l2, sizeof l1) != 0)
        fz_fail("a handle given the fitted parameters filters otherwise than the fitted handle");
    if (l1 != ll)
        fz_fail("fit log-likelihood %.17g, filter at the fitted parameters %.17g (regime.h: the "
                "value qpm_regime_filter gives)",
                ll, l1);
}

/* ---- operations ----------------------------------------------------------------------- */

static void op_create(fz_pass *p, state *s, fz_in *in, long arm)
{
    uint8_t kb = fz_u8(in), db = fz_u8(in);
    static const size_t badk[] = {0, 1, 4, (size_t)-1};
    static const size_t badd[] = {0, 1001, (size_t)-1, (size_t)1 << 40};
    size_t k = kb < 240 ? (size_t)(2 + kb % 2) : badk[kb % 4];
    size_t d = db < 240 ? (size_t)(1 + db % MAXD) : badd[db % 4];
    int null_out = fz_u8(in) == 13;
    long i = fz_op(p, "regime create");
    if (fz_skip(p, i, 0))
        return;
    uint64_t hash = FZ_HASH0;
    qpm_regime *t = (qpm_regime *)&hash;
    fz_arm_op(p, i, &s->fa, arm);
    qpm_status st = FZ(qpm_regime_create(null_out ? NULL : &t, &s->fa.alloc, k, d));
    fz_disarm(&s->fa);
    if (st != QPM_OK) {
        if (!null_out && t != NULL)
            fz_fail("create failed but *out is not NULL");
    } else {
        size_t k2, d2;
        if (qpm_regime_dims(t, &k2, &d2) != QPM_OK || k2 != k || d2 != d)
            fz_fail("dims of a new handle");
        double pi[MAXK];
        if (qpm_regime_params(t, NULL, pi, NULL, NULL) != QPM_E_STATE)
            fz_fail("a new handle has parameters");
        qpm_regime_free(s->m);
        s->m = t;
        s->has_cb = 0;
        for (size_t q = 0; q < k; q++)
            s->pi_given[q] = 1.0 / (double)k;
        hash = observe(t);
    }
    fz_end(p, i, st, hash);
}

static void op_set_params(fz_pass *p, state *s, fz_in *in, long arm)
{
    size_t k = dims_k(s->m), d = dims_d(s->m);
    double P[MAXK * MAXK], mu[MAXK * MAXD], sg[MAXK * MAXD * MAXD];
    if (k == 0)
        k = 2, d = 1;
    draw_P(in, P, k);
    draw_mu(in, mu, k * d);
    draw_sigma(in, sg, k, d);
    uint8_t nulls = fz_u8(in);
    long i = fz_op(p, "regime set_params");
    if (fz_skip(p, i, 0))
        return;
    uint64_t before = observe(s->m);
    double pi0[MAXK];
    qpm_regime_init mode = QPM_REGIME_INIT_ESTIMATED;
    qpm_regime_get_initial(s->m, &mode);
    int had = s->m && qpm_regime_params(s->m, NULL, pi0, NULL, NULL) == QPM_OK;
    fz_arm_op(p, i, &s->fa, arm);
    qpm_status st = FZ(qpm_regime_set_params(nulls == 1 ? NULL : s->m, nulls == 2 ? NULL : P,
                                             nulls == 3 ? NULL : mu, nulls == 4 ? NULL : sg));
    fz_disarm(&s->fa);
    uint64_t hash = observe(s->m);
    if (st != QPM_OK) {
        if (hash != before)
            fz_fail("failed set_params changed the handle");
        if (st == QPM_E_NONFINITE && all_finite(P, k * k) && all_finite(mu, k * d) &&
            all_finite(sg, k * d * d))
            fz_fail("set_params: QPM_E_NONFINITE with finite input");
        fz_end(p, i, st, hash);
        return;
    }
    if (nulls == 0 && !(all_finite(P, k * k) && all_finite(mu, k * d) && all_finite(sg, k * d * d)))
        fz_fail("set_params took a non-finite value");
    double P2[MAXK * MAXK], pi[MAXK], mu2[MAXK * MAXD], sg2[MAXK * MAXD * MAXD];
    if (FZ(qpm_regime_params(s->m, P2, pi, mu2, sg2)) != QPM_OK)
        fz_fail("parameters unreadable after set_params");
    if (memcmp(P, P2, k * k * sizeof(double)) != 0 || memcmp(mu, mu2, k * d * sizeof(double)) ||
        memcmp(sg, sg2, k * d * d * sizeof(double)))
        fz_fail("set_params did not store what it was given");
    for (size_t a = 0; a < k; a++)
        if (!is_dist(P + a * k, k))
            fz_fail("set_params took P row %zu, not a distribution within %g", a,
                    QPM_REGIME_PROB_TOL);
    if (!is_dist(pi, k))
        fz_fail("initial distribution in use is not a distribution within %g", QPM_REGIME_PROB_TOL);
    if (mode != QPM_REGIME_INIT_ERGODIC) {
        if (memcmp(pi, s->pi_given, k * sizeof(double)) != 0)
            fz_fail("in mode %d the initial distribution in use (%.17g, ...) is not the given "
                    "one (%.17g, ...)",
                    (int)mode, pi[0], s->pi_given[0]);
        if (had && memcmp(pi, pi0, k * sizeof(double)) != 0)
            fz_fail("set_params changed the initial distribution in mode %d: %.17g -> %.17g",
                    (int)mode, pi0[0], pi[0]);
    }
    fz_end(p, i, st, hash);
}

static void op_set_jumps(fz_pass *p, state *s, fz_in *in, long arm)
{
    size_t k = dims_k(s->m), d = dims_d(s->m);
    if (k == 0)
        k = 2, d = 1;
    double pj[MAXK], muj[MAXD], dj[MAXD];
    draw_jumps(in, pj, muj, dj, k, d);
    uint8_t nulls = fz_u8(in);
    long i = fz_op(p, "regime set_jumps");
    if (fz_skip(p, i, 0))
        return;
    uint64_t before = observe(s->m);
    fz_arm_op(p, i, &s->fa, arm);
    qpm_status st = FZ(qpm_regime_set_jumps(nulls == 1 ? NULL : s->m, nulls == 2 ? NULL : pj,
                                            nulls == 3 ? NULL : muj, nulls == 4 ? NULL : dj));
    fz_trace("set_jumps p %.17g %.17g %.17g mu_j %.17g delta_j %.17g: %s %s", pj[0], pj[1],
             k > 2 ? pj[2] : 0.0, muj[0], dj[0], qpm_status_name(st), st ? qpm_last_error() : "");
    fz_disarm(&s->fa);
    uint64_t hash = observe(s->m);
    if (st != QPM_OK) {
        if (hash != before)
            fz_fail("failed set_jumps changed the handle");
        fz_end(p, i, st, hash);
        return;
    }
    double p2[MAXK], m2[MAXD], d2[MAXD];
    if (FZ(qpm_regime_jumps(s->m, p2, m2, d2)) != QPM_OK)
        fz_fail("jumps unreadable");
    if (memcmp(pj, p2, k * sizeof(double)) || memcmp(muj, m2, d * sizeof(double)) ||
        memcmp(dj, d2, d * sizeof(double)))
        fz_fail("set_jumps did not store what it was given");
    int any = 0;
    for (size_t q = 0; q < k; q++) {
        if (!(pj[q] >= 0.0 && pj[q] < 1.0))
            fz_fail("set_jumps took p[%zu] = %.17g", q, pj[q]);
        any |= pj[q] > 0.0;
    }
    for (size_t j = 0; j < d; j++)
        if (!isfinite(muj[j]) || !(dj[j] >= 0.0) || !isfinite(dj[j]) ||
            (any && !(dj[j] > 0.0 && isfinite(dj[j] * dj[j]))))
            fz_fail("set_jumps took mu_j[%zu] = %.17g, delta_j = %.17g", j, muj[j], dj[j]);
    fz_end(p, i, st, hash);
}

static void op_modes(fz_pass *p, state *s, fz_in *in)
{
    uint8_t what = fz_u8(in);
    size_t k = dims_k(s->m);
    if (k == 0)
        k = 2;
    if (what & 1) { /* fit jumps */
        int v = what < 200 ? (what >> 1) & 1 : (int)(what % 5) - 2;
        long i = fz_op(p, "regime set_fit_jumps");
        if (fz_skip(p, i, 0))
            return;
        uint64_t before = observe(s->m);
        qpm_status st = FZ(qpm_regime_set_fit_jumps(s->m, v));
        int g = -7;
        qpm_status s2 = FZ(qpm_regime_get_fit_jumps(s->m, &g));
        if (st != QPM_OK && observe(s->m) != before)
            fz_fail("failed set_fit_jumps changed the handle");
        if (st == QPM_OK && (s2 != QPM_OK || g != v))
            fz_fail("set_fit_jumps(%d) reads back %d", v, g);
        fz_end(p, i, st, observe(s->m));
        return;
    }
    /* initial distribution */
    int mode = what < 220 ? (what >> 1) % 3 : (int)(what % 5) - 1;
    double pi[MAXK];
    uint8_t pm = fz_u8(in);
    double w = 0.0;
    for (size_t q = 0; q < k; q++) {
        pi[q] = fz_u8(in) < 40 ? 0.0 : fz_plain(in, 0, 1);
        w += pi[q];
    }
    for (size_t q = 0; q < k; q++)
        pi[q] = w > 0.0 ? pi[q] / w : (q == 0);
    if (pm >= 200) {
        size_t q = fz_range(in, 0, k - 1);
        static const double odd[] = {-1e-300, 2e-9, 1e-10, 0.5};
        if (pm & 1)
            pi[q] = fz_special(in);
        else
            pi[q] += odd[fz_u8(in) % 4];
    }
    int null_pi = (pm & 7) == 3;
    long i = fz_op(p, "regime set_initial");
    if (fz_skip(p, i, 0))
        return;
    uint64_t before = observe(s->m);
    double pi0[MAXK];
    int had = s->m && qpm_regime_params(s->m, NULL, pi0, NULL, NULL) == QPM_OK;
    qpm_regime_init old = QPM_REGIME_INIT_ESTIMATED;
    qpm_regime_get_initial(s->m, &old);
    qpm_status st = FZ(qpm_regime_set_initial(s->m, (qpm_regime_init)mode, null_pi ? NULL : pi));
    uint64_t hash = observe(s->m);
    if (st != QPM_OK) {
        if (hash != before)
            fz_fail("failed set_initial changed the handle");
        fz_end(p, i, st, hash);
        return;
    }
    qpm_regime_init g;
    if (FZ(qpm_regime_get_initial(s->m, &g)) != QPM_OK || (int)g != mode)
        fz_fail("set_initial(%d) reads back %d", mode, (int)g);
    if (mode != QPM_REGIME_INIT_ERGODIC && !null_pi)
        memcpy(s->pi_given, pi, k * sizeof(double));
    double pi1[MAXK];
    if (had) {
        if (FZ(qpm_regime_params(s->m, NULL, pi1, NULL, NULL)) != QPM_OK)
            fz_fail("parameters lost by set_initial");
        if (!is_dist(pi1, k))
            fz_fail("initial distribution in use is not a distribution");
        if (mode != QPM_REGIME_INIT_ERGODIC && memcmp(pi1, s->pi_given, k * sizeof(double)) != 0)
            fz_fail("after set_initial(%d, %s) pi in use %.17g, given %.17g", mode,
                    null_pi ? "NULL" : "pi", pi1[0], s->pi_given[0]);
        /* NULL keeps the estimated mode's distribution */
        if (null_pi && mode == (int)old && mode == QPM_REGIME_INIT_ESTIMATED &&
            memcmp(pi1, pi0, k * sizeof(double)) != 0)
            fz_fail("set_initial(ESTIMATED, NULL) changed the distribution in use");
    }
    fz_end(p, i, st, hash);
}

/* A fresh handle (malloc) set up as m was before its fit: k, d, the mode
 * and given pi, the jumps and their fitting; then fitted with max_iter. */
static qpm_status refit(size_t k, size_t d, qpm_regime_init mode, const double *pi_given,
                        const double *pj, const double *muj, const double *dj, int fj, size_t T,
                        const double *r, size_t ldr, size_t max_iter, double tol, qpm_regime **out,
                        double *ll, size_t *it, int *conv)
{
    qpm_regime *c = NULL;
    if (qpm_regime_create(&c, NULL, k, d) != QPM_OK || qpm_regime_set_initial(c, mode, pi_given) ||
        qpm_regime_set_fit_jumps(c, fj) != QPM_OK || qpm_regime_set_jumps(c, pj, muj, dj))
        fz_fail("shadow handle set-up");
    qpm_status st = FZ(qpm_regime_fit(c, T, r, ldr, max_iter, tol, ll, it, conv));
    fz_trace("refit k %zu d %zu mode %d pi %.17g %.17g %.17g p %.17g %.17g %.17g muj %.17g dj "
             "%.17g fj %d T %zu max_iter %zu: %s ll %.17g",
             k, d, (int)mode, pi_given[0], pi_given[1], k > 2 ? pi_given[2] : 0.0, pj[0], pj[1],
             k > 2 ? pj[2] : 0.0, muj[0], dj[0], fj, T, max_iter, qpm_status_name(st), *ll);
    *out = c;
    return st;
}

static void op_fit(fz_pass *p, state *s, fz_in *in, long arm)
{
    size_t k = dims_k(s->m), d = dims_d(s->m);
    size_t dd = d ? d : 1;
    uint8_t tb = fz_u8(in);
    size_t T = tb < 200 ? fz_range(in, 20, MAXT) : fz_range(in, 0, MAXT);
    size_t ldr = dd + fz_range(in, 0, 1);
    uint8_t lb = fz_u8(in);
    if (lb == 7)
        ldr = dd - 1;
    draw_series(in, s->r, T, dd, ldr < dd ? dd : ldr);
    uint8_t ib = fz_u8(in);
    size_t max_iter = ib < 240 ? fz_range(in, 1, 8) : ib % 3 == 0 ? 0 : fz_range(in, 9, 20);
    static const double tols[] = {
        0, 1e-8, 1e-4, 1e-12, 1e-6, 0, (double)NAN, -1e-9, (double)INFINITY, 1e-10};
    double tol = tols[fz_u8(in) % 10];
    uint8_t outs = fz_u8(in);
    long cancel = s->has_cb && fz_u8(in) < 60 ? (long)fz_range(in, 0, 3) : -1;
    int null_r = fz_u8(in) == 9;
    long i = fz_op(p, "regime fit");
    if (fz_skip(p, i, 0))
        return;
    /* the handle before: what the fit starts from */
    uint64_t before = observe(s->m);
    qpm_regime_init mode = QPM_REGIME_INIT_ESTIMATED;
    int fj = 0;
    double pj[MAXK] = {0}, muj[MAXD] = {0}, dj[MAXD] = {0}, pig0[MAXK];
    memcpy(pig0, s->pi_given, sizeof pig0);
    if (s->m) {
        qpm_regime_get_initial(s->m, &mode);
        qpm_regime_get_fit_jumps(s->m, &fj);
        qpm_regime_jumps(s->m, pj, muj, dj);
    }
    double ll;
    size_t it = 777;
    int conv = 7;
    fz_poison(&ll, 1);
    fz_progress_reset(&s->pr, cancel);
    fz_arm_op(p, i, &s->fa, arm);
    qpm_status st =
        FZ(qpm_regime_fit(s->m, T, null_r ? NULL : s->r, ldr, max_iter, tol, outs & 1 ? NULL : &ll,
                          outs & 2 ? NULL : &it, outs & 4 ? NULL : &conv));
    fz_disarm(&s->fa);
    s->pr.cancel_after = -1;
    fz_trace("fit T %zu ldr %zu max_iter %zu tol %g mode %d fit jumps %d: %s %s", T, ldr, max_iter,
             tol, (int)mode, fj, qpm_status_name(st), st ? qpm_last_error() : "");
    uint64_t hash = observe(s->m);
    if (st != QPM_OK) {
        if (hash != before)
            fz_fail("failed fit (%s) changed the handle", qpm_status_name(st));
        fz_untouched(&ll, 1, "fit loglik");
        if (it != 777 || conv != 7)
            fz_fail("failed fit wrote iterations or converged");
        fz_end(p, i, st, hash);
        return;
    }
    if (s->has_cb && s->pr.last != 1.0)
        fz_fail("fit ended with progress %.17g", s->pr.last);
    /* the same fit on a fresh handle: the previous P, mu and sigma unused */
    qpm_regime *c;
    double l2;
    size_t it2;
    int c2;
    qpm_status s2 =
        refit(k, d, mode, pig0, pj, muj, dj, fj, T, s->r, ldr, max_iter, tol, &c, &l2, &it2, &c2);
    if (s2 != QPM_OK || observe(c) != hash) {
        double pa[MAXK] = {0}, pb[MAXK] = {0}, Pa[MAXK * MAXK] = {0}, Pb[MAXK * MAXK] = {0};
        qpm_regime_params(s->m, Pa, pa, NULL, NULL);
        qpm_regime_params(c, Pb, pb, NULL, NULL);
        fz_fail("a fresh handle fits otherwise (%s) than the fitted handle (mode %d, fit jumps "
                "%d, start pi %.17g %.17g): pi %.17g %.17g / %.17g %.17g, P00 %.17g / %.17g",
                qpm_status_name(s2), (int)mode, fj, pig0[0], pig0[1], pa[0], pa[1], pb[0], pb[1],
                Pa[0], Pb[0]);
    }
    qpm_regime_free(c);
    if (!(outs & 1) && memcmp(&ll, &l2, sizeof ll) != 0)
        fz_fail("log-likelihood %.17g, fresh handle %.17g", ll, l2);
    if ((!(outs & 2) && it != it2) || (!(outs & 4) && conv != c2))
        fz_fail("iterations %zu / %zu, converged %d / %d", it, it2, conv, c2);
    ll = l2, it = it2, conv = c2;
    if (!isfinite(ll))
        fz_fail("QPM_OK with log-likelihood %.17g", ll);
    if (!(it >= 1 && it <= max_iter) || (conv != 0 && conv != 1) || (!conv && it != max_iter))
        fz_fail("iterations %zu of max_iter %zu, converged %d", it, max_iter, conv);
    check_fitted(s, T, s->r, ldr, ll);
    /* the fitted pi in the estimated mode; in the fixed mode the given pi,
     * which follows its states when the fit orders them by volatility */
    qpm_regime_params(s->m, NULL, s->pi_given, NULL, NULL);
    /* one more iteration never lowers the log-likelihood: EM, with the
     * floors of regime.h (variance, delta_j, p < 1) not binding at the last
     * M-step; one asset, where no ridge can be added unseen */
    if (it >= 2 && d == 1) {
        double P[MAXK * MAXK], pi[MAXK], mu[MAXK], sg[MAXK], pf[MAXK], mf[1], df[1], var;
        qpm_regime_params(s->m, P, pi, mu, sg);
        qpm_regime_jumps(s->m, pf, mf, df);
        series_var(s->r, T, 1, ldr, &var);
        double floor = 1e-6 * var;
        int binds = 0;
        for (size_t q = 0; q < k; q++)
            binds |= sg[q] <= floor * (1 + 1e-12) || pf[q] == nextafter(1.0, 0.0);
        binds |= fj && df[0] <= sqrt(floor) * (1 + 1e-12);
        fz_trace("fit k %zu T %zu fj %d mode %d it %zu: var %.17g floor %.17g", k, T, fj, (int)mode,
                 it, var, floor);
        for (size_t q = 0; q < k; q++)
            fz_trace("  state %zu: mu %.17g sigma %.17g p %.17g (P row %.6g %.6g %.6g)", q, mu[q],
                     sg[q], pf[q], P[q * k], P[q * k + 1], k > 2 ? P[q * k + 2] : 0.0);
        fz_trace("  muj %.17g dj %.17g (held: p %.17g %.17g, muj %.17g, dj %.17g)", mf[0], df[0],
                 pj[0], pj[1], muj[0], dj[0]);
        if (!binds) {
            double l3;
            size_t it3;
            int c3;
            qpm_status s3 = refit(k, d, mode, pig0, pj, muj, dj, fj, T, s->r, ldr, it - 1, tol, &c,
                                  &l3, &it3, &c3);
            qpm_regime_free(c);
            if (s3 != QPM_OK || it3 != it - 1 || c3 != 0)
                fz_fail("a fit of %zu iterations: %s, %zu iterations, converged %d", it - 1,
                        qpm_status_name(s3), it3, c3);
            if (!(ll >= l3 - 1e-9 * (1.0 + fabs(l3))))
                fz_fail("log-likelihood %.17g after %zu iterations, %.17g after %zu", l3, it - 1,
                        ll, it);
        }
    }
    hash = fz_hash(hash, &ll, sizeof ll);
    hash = fz_hash(hash, &it, sizeof it);
    hash = fz_hash(hash, &conv, sizeof conv);
    fz_end(p, i, st, hash);
}

static void op_filter(fz_pass *p, state *s, fz_in *in, long arm)
{
    size_t k = dims_k(s->m), d = dims_d(s->m);
    size_t dd = d ? d : 1;
    uint8_t tb = fz_u8(in);
    size_t T = tb < 220 ? fz_range(in, 1, MAXT) : tb < 240 ? fz_range(in, 1, 4) : 0;
    size_t ldr = dd + fz_range(in, 0, 1);
    if (fz_u8(in) == 7)
        ldr = dd - 1;
    draw_series(in, s->r, T, dd, ldr < dd ? dd : ldr);
    uint8_t outs = fz_u8(in);
    long i = fz_op(p, "regime filter");
    if (fz_skip(p, i, 0))
        return;
    uint64_t before = observe(s->m);
    double ll;
    fz_poison(s->f, MAXT * MAXK);
    fz_poison(s->sm, MAXT * MAXK);
    fz_poison(&ll, 1);
    double *F = outs & 1 ? NULL : s->f, *S = outs & 2 ? NULL : s->sm, *L = outs & 4 ? NULL : &ll;
    fz_arm_op(p, i, &s->fa, arm);
    qpm_status st = FZ(qpm_regime_filter(s->m, T, outs == 0xff ? NULL : s->r, ldr, F, S, L));
    fz_disarm(&s->fa);
    if (st == QPM_OK && k > 0) { /* FZ_TRACE: the model and the series */
        double P[MAXK * MAXK], pi[MAXK], mu[MAXK * MAXD], sg[MAXK * MAXD * MAXD];
        qpm_regime_params(s->m, P, pi, mu, sg);
        fz_trace("filter k %zu d %zu T %zu ldr %zu", k, d, T, ldr);
        for (size_t q = 0; q < k * k; q++)
            fz_trace("  P[%zu] = %a", q, P[q]);
        for (size_t q = 0; q < k; q++)
            fz_trace("  pi[%zu] = %a", q, pi[q]);
        for (size_t q = 0; q < k * d; q++)
            fz_trace("  mu[%zu] = %a", q, mu[q]);
        for (size_t q = 0; q < k * d * d; q++)
            fz_trace("  sigma[%zu] = %a", q, sg[q]);
        for (size_t q = 0; q < T * ldr; q++)
            fz_trace("  r[%zu] = %a", q, s->r[q]);
    }
    if (observe(s->m) != before)
        fz_fail("filter changed the handle");
    uint64_t hash = FZ_HASH0;
    if (st != QPM_OK) {
        fz_untouched(s->f, MAXT * MAXK, "filtered");
        fz_untouched(s->sm, MAXT * MAXK, "smoothed");
        fz_untouched(&ll, 1, "filter loglik");
        if (s->m != NULL && outs != 0xff && T == 0 && st != QPM_E_SIZE)
            fz_fail("filter of T = 0: %s", qpm_status_name(st));
        fz_end(p, i, st, hash);
        return;
    }
    const double tol = 16 * DBL_EPSILON;
    for (int w = 0; w < 2; w++) {
        const double *x = w ? S : F;
        if (x == NULL)
            continue;
        for (size_t t = 0; t < T; t++) {
            double sum = 0.0;
            for (size_t q = 0; q < k; q++) {
                if (!(x[t * k + q] >= 0.0 && x[t * k + q] <= 1.0))
                    fz_fail("%s[%zu][%zu] = %.17g outside [0, 1]", w ? "smoothed" : "filtered", t,
                            q, x[t * k + q]);
                sum += x[t * k + q];
            }
            if (!(fabs(sum - 1.0) <= tol))
                fz_fail("%s row %zu sums to %.17g", w ? "smoothed" : "filtered", t, sum);
        }
        fz_untouched(x + T * k, (MAXT - T) * k, "probabilities past T");
        hash = fz_hash(hash, x, T * k * sizeof(double));
    }
    if (L != NULL) {
        if (!isfinite(ll))
            fz_fail("QPM_OK with log-likelihood %.17g", ll);
        hash = fz_hash(hash, &ll, sizeof ll);
    }
    if (F != NULL && S != NULL && memcmp(F + (T - 1) * k, S + (T - 1) * k, k * sizeof(double)) != 0)
        fz_fail("the last smoothed row is not the last filtered one");
    /* filtered rows and log-likelihood without the smoothing, and of a
     * prefix of the series */
    if (F != NULL) {
        double l2;
        size_t T2 = T > 1 && (outs & 8) ? T / 2 : T;
        fz_poison(s->f2, MAXT * MAXK);
        if (FZ(qpm_regime_filter(s->m, T2, s->r, ldr, s->f2, NULL, &l2)) != QPM_OK)
            fz_fail("filter of the first %zu of %zu days fails", T2, T);
        if (memcmp(s->f2, F, T2 * k * sizeof(double)) != 0)
            fz_fail("filtered rows of the first %zu days differ from those of %zu days", T2, T);
        if (T2 == T && L != NULL && memcmp(&l2, &ll, sizeof ll) != 0)
            fz_fail("log-likelihood %.17g without smoothing, %.17g with", l2, ll);
    }
    fz_end(p, i, st, hash);
}

static uint64_t rng_hash(const qpm_rng *g)
{
    uint64_t v[4] = {0, 0, 0, 0};
    qpm_rng_get_state(g, &v[0], &v[1], &v[2], &v[3]);
    return fz_hash(FZ_HASH0, v, sizeof v);
}

static void op_simulate(fz_pass *p, state *s, fz_in *in)
{
    size_t k = dims_k(s->m), d = dims_d(s->m);
    size_t dd = d ? d : 1;
    size_t n = fz_range(in, 0, MAXN), h = fz_range(in, 0, MAXH);
    size_t ldo = dd + fz_range(in, 0, 1);
    uint8_t sb = fz_u8(in), outs = fz_u8(in);
    if (sb == 7)
        ldo = dd - 1;
    double start[MAXK], w = 0.0;
    size_t kk = k ? k : 2;
    for (size_t q = 0; q < kk; q++) {
        start[q] = fz_u8(in) < 60 ? 0.0 : fz_plain(in, 0, 1);
        w += start[q];
    }
    for (size_t q = 0; q < kk; q++)
        start[q] = w > 0.0 ? start[q] / w : (q == 0);
    if (sb >= 230) {
        size_t q = fz_range(in, 0, kk - 1);
        static const double odd[] = {-1e-300, 2e-9, 5e-10, 0.5};
        if (sb & 1)
            start[q] = fz_special(in);
        else
            start[q] += odd[fz_u8(in) % 4];
    }
    const double *st0 = (sb & 6) == 0 ? NULL : start;
    long i = fz_op(p, "regime simulate");
    if (fz_skip(p, i, 0))
        return;
    uint64_t before = observe(s->m), rb = rng_hash(s->rng);
    uint64_t v[4];
    qpm_rng_get_state(s->rng, &v[0], &v[1], &v[2], &v[3]);
    fz_poison(s->sim, sizeof s->sim / sizeof(double));
    memset(s->st, 0xa5, sizeof s->st);
    size_t *states = outs & 1 ? NULL : s->st;
    double *ret = outs == 0xfe ? NULL : s->sim;
    qpm_status st =
        FZ(qpm_regime_simulate(s->m, outs == 0xfc ? NULL : s->rng, st0, n, h, ret, ldo, states));
    if (observe(s->m) != before)
        fz_fail("simulate changed the model");
    uint64_t hash = FZ_HASH0;
    if (st != QPM_OK) {
        if (rng_hash(s->rng) != rb)
            fz_fail("failed simulate advanced the generator");
        fz_untouched(s->sim, sizeof s->sim / sizeof(double), "simulated returns");
        for (size_t q = 0; q < sizeof s->st; q++)
            if (((unsigned char *)s->st)[q] != 0xa5)
                fz_fail("failed simulate wrote states");
        fz_end(p, i, st, hash);
        return;
    }
    if (n * h == 0 && rng_hash(s->rng) != rb)
        fz_fail("simulate of n = %zu, h = %zu drew", n, h);
    double P[MAXK * MAXK], pi[MAXK];
    qpm_regime_params(s->m, P, pi, NULL, NULL);
    const double *from = st0 ? st0 : pi;
    for (size_t a = 0; a < n * h; a++) {
        for (size_t j = 0; j < d; j++)
            if (!isfinite(s->sim[a * ldo + j]))
                fz_fail("QPM_OK with simulated return [%zu][%zu] = %.17g", a, j,
                        s->sim[a * ldo + j]);
        fz_untouched(s->sim + a * ldo + d, ldo - d, "simulated returns' padding");
        if (states == NULL)
            continue;
        size_t x = states[a];
        if (x >= k)
            fz_fail("simulated state %zu of %zu", x, k);
        int ok = 0;
        if (a % h == 0) {
            for (size_t q = 0; q < k; q++)
                ok |= from[q] > 0.0 && P[q * k + x] > 0.0;
        } else {
            ok = P[states[a - 1] * k + x] > 0.0;
        }
        if (!ok)
            fz_fail("simulated path %zu moves to state %zu, which the chain cannot reach", a / h,
                    x);
    }
    hash = fz_hash(hash, s->sim, n * h * ldo * sizeof(double));
    if (states)
        hash = fz_hash(hash, states, n * h * sizeof(size_t));
    /* the first n - 1 paths of a run of n - 1 */
    if (n > 1 && h > 0) {
        qpm_rng *g2 = NULL;
        if (qpm_rng_create_seed(&g2, NULL, QPM_RNG_PCG64DXSM, 1) != QPM_OK ||
            qpm_rng_set_state(g2, v[0], v[1], v[2], v[3]) != QPM_OK)
            fz_fail("rng copy");
        fz_poison(s->sim2, sizeof s->sim2 / sizeof(double));
        if (FZ(qpm_regime_simulate(s->m, g2, st0, n - 1, h, s->sim2, ldo, s->st2)) != QPM_OK)
            fz_fail("a run of %zu paths fails", n - 1);
        qpm_rng_free(g2);
        for (size_t a = 0; a < (n - 1) * h; a++)
            if (memcmp(s->sim2 + a * ldo, s->sim + a * ldo, d * sizeof(double)) != 0 ||
                (states && s->st2[a] != states[a]))
                fz_fail("path %zu of a run of %zu differs from a run of %zu", a / h, n, n - 1);
    }
    fz_end(p, i, st, hash);
}

/* ---- the risk handle's regime paths --------------------------------------------------- */

static uint64_t risk_settings(const qpm_risk *r)
{
    uint64_t h = FZ_HASH0;
    for (int key = 0; key <= QPM_RISK_BATCH; key++) {
        double v = 0;
        if (r && key != QPM_RISK_THREADS)
            qpm_risk_get(r, (qpm_risk_key)key, &v);
        h = fz_hash(h, &v, sizeof v);
    }
    return h;
}

/* a small book of nu underlyings (as fuzz_risk's) */
static void build_book(fz_in *in, state *s, size_t nu)
{
    qpm_book_free(s->book);
    s->book = NULL;
    if (qpm_book_create(&s->book, NULL) != QPM_OK)
        fz_fail("book create");
    static const char *names[MAXD + 1] = {"BTC", "ETH", "SOL", "XRP", "ADA"};
    for (size_t u = 0; u < nu; u++) {
        double S = fz_real(in, 1, 1e5);
        if (!(S > 0 && S < 1e300))
            S = 100;
        qpm_book_add_underlying(s->book, names[u], S, 0.03, NULL);
        qpm_book_set_perp(s->book, u, S);
        qpm_book_set_forward(s->book, u, 0, S * 1.01, fz_plain(in, 1e-3, 2));
    }
    size_t np = fz_range(in, 0, 5);
    for (size_t q = 0; q < np; q++) {
        int32_t instr = (int32_t)fz_range(in, 0, 6), ex = 0, ty = fz_u8(in) & 1 ? 1 : -1;
        size_t u = nu ? fz_range(in, 0, nu - 1) : 0;
        double K = fz_real(in, 1, 2e5), Q = fz_real(in, -50, 50), mult = 1,
               sg = fz_real(in, 0.05, 2), e = fz_real(in, 1, 1e5);
        qpm_book_add_positions(s->book, 1, &instr, &u, &ex, &ty, &K, &Q, &mult, &e, &sg);
    }
}

static void op_risk_set(fz_pass *p, state *s, fz_in *in, long arm)
{
    uint8_t kb = fz_u8(in);
    int key;
    double v;
    switch (kb % 6) {
    case 0:
        key = QPM_RISK_SCENARIOS;
        v = kb < 240 ? (double)fz_range(in, 1, NSC) : fz_u8(in) & 1 ? NBIG : 0.5;
        break;
    case 1:
        key = QPM_RISK_HORIZON_DAYS;
        v = kb < 230 ? (double)fz_range(in, 1, 4) : fz_u8(in) & 1 ? 2.5 : 366;
        break;
    case 2:
        key = QPM_RISK_THREADS;
        v = (double)fz_range(in, 1, 3);
        break;
    case 3:
        key = QPM_RISK_ALPHA;
        v = fz_setting(in, 0.5, 0.999);
        break;
    case 4:
        key = QPM_RISK_SEED;
        v = (double)fz_u16(in);
        break;
    default: { /* the book: as many underlyings as the model's assets, or not */
        size_t d = dims_d(s->m);
        size_t nu = fz_u8(in) < 230 ? d : fz_range(in, 0, MAXD + 1);
        if (nu > MAXD + 1)
            nu = MAXD + 1;
        uint8_t bt = fz_u8(in);
        fz_in sub = *in;
        build_book(&sub, s, nu); /* the same bytes in both passes */
        in->pos = sub.pos;
        long i = fz_op(p, "risk book");
        if (fz_skip(p, i, 0))
            return;
        qpm_status st = FZ(qpm_book_set(s->book, QPM_BOOK_THREADS, fz_threads(p, 1 + bt % 3)));
        fz_end(p, i, st, FZ_HASH0);
        return;
    }
    }
    if (s->risk == NULL) { /* a handle first: at most NBIG scenarios */
        long i = fz_op(p, "risk create");
        if (fz_skip(p, i, 0))
            return;
        fz_arm_op(p, i, &s->fa, arm);
        qpm_status st = FZ(qpm_risk_create(&s->risk, &s->fa.alloc));
        fz_disarm(&s->fa);
        if (st == QPM_OK && (qpm_risk_set(s->risk, QPM_RISK_SCENARIOS, 16) != QPM_OK ||
                             qpm_risk_set_progress(s->risk, fz_progress_fn, &s->pr) != QPM_OK))
            fz_fail("risk set-up");
        fz_end(p, i, st, FZ_HASH0);
        return;
    }
    long i = fz_op(p, "risk set");
    if (fz_skip(p, i, 0))
        return;
    if (key == QPM_RISK_THREADS)
        v = fz_threads(p, v);
    uint64_t before = risk_settings(s->risk);
    qpm_status st = FZ(qpm_risk_set(s->risk, (qpm_risk_key)key, v));
    if (st != QPM_OK && risk_settings(s->risk) != before)
        fz_fail("failed risk_set changed the handle");
    fz_end(p, i, st, risk_settings(s->risk));
}

static void op_risk_regime(fz_pass *p, state *s, fz_in *in, long arm)
{
    size_t k = dims_k(s->m);
    size_t kk = k ? k : 2;
    double start[MAXK], w = 0.0;
    for (size_t q = 0; q < kk; q++) {
        start[q] = fz_plain(in, 0, 1);
        w += start[q];
    }
    for (size_t q = 0; q < kk; q++)
        start[q] = w > 0.0 ? start[q] / w : (q == 0);
    uint8_t sb = fz_u8(in), outs = fz_u8(in);
    if (sb >= 240)
        start[0] = sb & 1 ? fz_special(in) : start[0] + 1e-6;
    const double *st0 = (sb & 3) == 0 ? NULL : start;
    long cancel = fz_u8(in) < 20 ? (long)fz_range(in, 0, 1) : -1;
    long i = fz_op(p, "risk simulate_regime");
    if (fz_skip(p, i, 0))
        return;
    double sc = 0;
    if (s->risk)
        qpm_risk_get(s->risk, QPM_RISK_SCENARIOS, &sc);
    size_t ns = (size_t)sc;
    if (ns > NBIG) /* the default 10000 is never left set: see op_risk_set */
        fz_fail("scenarios %zu", ns);
    double o[2], decay0 = 0, decay1 = 0;
    fz_poison(o, 2);
    fz_poison(s->pnl, NBIG);
    fz_poison(s->worst, NBIG);
    if (s->book)
        qpm_book_get(s->book, QPM_BOOK_DECAY_DAYS, &decay0);
    uint64_t before = risk_settings(s->risk), mb = observe(s->m);
    fz_progress_reset(&s->pr, cancel);
    fz_arm_op(p, i, &s->fa, arm);
    qpm_status st = FZ(qpm_risk_simulate_regime(
        s->risk, s->book, s->m, st0, outs & 1 ? NULL : s->pnl, outs & 2 ? NULL : s->worst,
        outs & 4 ? NULL : &o[0], outs & 8 ? NULL : &o[1]));
    fz_disarm(&s->fa);
    s->pr.cancel_after = -1;
    if (risk_settings(s->risk) != before || observe(s->m) != mb)
        fz_fail("simulate_regime changed the risk settings or the model");
    if (s->book) {
        qpm_book_get(s->book, QPM_BOOK_DECAY_DAYS, &decay1);
        if (memcmp(&decay0, &decay1, sizeof decay0) != 0)
            fz_fail("simulate_regime left the book's decay at %.17g (was %.17g)", decay1, decay0);
    }
    uint64_t hash = FZ_HASH0;
    if (st != QPM_OK) {
        if (st != QPM_E_CANCELLED) {
            fz_untouched(o, 2, "VaR, ES");
            fz_untouched(s->pnl, NBIG, "pnl_out");
            fz_untouched(s->worst, NBIG, "worst_out");
        }
        fz_end(p, i, st, hash);
        return;
    }
    if (s->pr.last != 1.0)
        fz_fail("risk run ended with progress %.17g", s->pr.last);
    if (!(outs & 1)) {
        fz_expect(FZ_RISK_PNL, "pnl_out", s->pnl, ns, 1, 0);
        fz_untouched(s->pnl + ns, NBIG - ns, "pnl_out past its length");
        hash = fz_hash(hash, s->pnl, ns * sizeof(double));
    }
    if (!(outs & 2)) {
        fz_expect(FZ_RISK_PNL, "worst_out", s->worst, ns, 1, 0);
        fz_untouched(s->worst + ns, NBIG - ns, "worst_out past its length");
        hash = fz_hash(hash, s->worst, ns * sizeof(double));
        if (!(outs & 1))
            for (size_t q = 0; q < ns; q++)
                if (!(s->worst[q] <= s->pnl[q]))
                    fz_fail("path %zu: worst end-of-day P&L %.17g above the horizon's %.17g", q,
                            s->worst[q], s->pnl[q]);
    }
    if (!(outs & 4))
        fz_expect(FZ_RISK_VAR, "var", &o[0], 1, 1, 0);
    if (!(outs & 8))
        fz_expect(FZ_RISK_VAR, "es", &o[1], 1, 1, 0);
    if (!(outs & 12) && o[1] < o[0] - 1e-12 * fabs(o[0]))
        fz_fail("es = %.17g < var = %.17g", o[1], o[0]);
    hash = fz_hash(hash, o, sizeof o);
    fz_end(p, i, st, hash);
}

/* ---- getters and NULL arguments --------------------------------------------------------- */

static void op_getters(fz_pass *p, state *s, fz_in *in)
{
    uint8_t b = fz_u8(in);
    long i = fz_op(p, "regime getters");
    if (fz_skip(p, i, 0))
        return;
    uint64_t before = observe(s->m);
    qpm_regime *m = (b & 1) ? NULL : s->m;
    size_t k, d;
    double buf[MAXK * MAXD * MAXD];
    qpm_regime_init mode;
    int fj;
    qpm_status st = FZ(qpm_regime_dims(m, b & 2 ? NULL : &k, b & 4 ? NULL : &d));
    if ((m == NULL) != (st == QPM_E_NULL))
        fz_fail("dims: %s", qpm_status_name(st));
    qpm_status s2 = FZ(qpm_regime_params(m, b & 8 ? NULL : buf, NULL, NULL, NULL));
    if (m == NULL && s2 != QPM_E_NULL)
        fz_fail("params(NULL): %s", qpm_status_name(s2));
    FZ(qpm_regime_jumps(m, NULL, b & 16 ? NULL : buf, NULL));
    qpm_status s3 = FZ(qpm_regime_get_initial(m, b & 32 ? NULL : &mode));
    qpm_status s4 = FZ(qpm_regime_get_fit_jumps(m, b & 64 ? NULL : &fj));
    if ((m == NULL || (b & 32)) != (s3 == QPM_E_NULL) ||
        (m == NULL || (b & 64)) != (s4 == QPM_E_NULL))
        fz_fail("get_initial / get_fit_jumps: %s, %s", qpm_status_name(s3), qpm_status_name(s4));
    if (m == NULL) {
        if (FZ(qpm_regime_set_progress(NULL, fz_progress_fn, &s->pr)) != QPM_E_NULL ||
            FZ(qpm_regime_set_fit_jumps(NULL, 0)) != QPM_E_NULL ||
            FZ(qpm_regime_set_initial(NULL, QPM_REGIME_INIT_ESTIMATED, NULL)) != QPM_E_NULL)
            fz_fail("a setter took m = NULL");
    }
    if (qpm_regime_prob_tol() != QPM_REGIME_PROB_TOL)
        fz_fail("qpm_regime_prob_tol");
    qpm_regime_free(NULL);
    if (observe(s->m) != before)
        fz_fail("getters changed the handle");
    fz_end(p, i, st, FZ_HASH0);
}

static void op_progress(fz_pass *p, state *s, fz_in *in)
{
    int on = fz_u8(in) & 1;
    long i = fz_op(p, "regime set_progress");
    if (fz_skip(p, i, 0))
        return;
    uint64_t before = observe(s->m);
    qpm_status st = FZ(qpm_regime_set_progress(s->m, on ? fz_progress_fn : NULL, &s->pr));
    if (st == QPM_OK)
        s->has_cb = on;
    if (observe(s->m) != before)
        fz_fail("set_progress changed the handle");
    fz_end(p, i, st, FZ_HASH0);
}

static void one_op(fz_pass *p, state *s, fz_in *in)
{
    uint8_t op = fz_u8(in) % 13;
    long arm = (fz_u8(in) % 8 == 0) ? (long)fz_range(in, 0, 16) : -1;
    if (s->m == NULL && op != 11 && op != 12 && fz_u8(in) < 230)
        op = 0; /* mostly a handle first; sometimes calls on NULL */
    switch (op) {
    case 0:
        op_create(p, s, in, arm);
        break;
    case 1:
    case 2:
        op_set_params(p, s, in, arm);
        break;
    case 3:
        op_set_jumps(p, s, in, arm);
        break;
    case 4:
        op_modes(p, s, in);
        break;
    case 5:
    case 6:
        op_fit(p, s, in, arm);
        break;
    case 7:
        op_filter(p, s, in, arm);
        break;
    case 8:
        op_simulate(p, s, in);
        break;
    case 9:
        op_risk_set(p, s, in, arm);
        break;
    case 10:
        op_risk_regime(p, s, in, arm);
        break;
    case 11:
        op_getters(p, s, in);
        break;
    default:
        op_progress(p, s, in);
        break;
    }
}

static void run(fz_pass *p, void *vs, const uint8_t *data, size_t size)
{
    state *s = vs;
    fz_in in;
    fz_init(&in, data, size);
    s->m = NULL;
    s->risk = NULL;
    s->book = NULL;
    s->pr.cancel_after = -1;
    fz_alloc_init(&s->fa);
    if (qpm_rng_create_seed(&s->rng, &s->fa.alloc, QPM_RNG_PCG64DXSM, fz_u16(&in)) != QPM_OK)
        fz_fail("rng create");
    while (fz_more(&in) && p->ops < FZ_MAX_OPS)
        one_op(p, s, &in);
    qpm_regime_free(s->m);
    qpm_rng_free(s->rng);
    qpm_risk_free(s->risk);
    qpm_book_free(s->book);
    fz_check_freed(&s->fa);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static state s;
    fz_two_passes(run, &s, sizeof s, data, size);
    return 0;
}
