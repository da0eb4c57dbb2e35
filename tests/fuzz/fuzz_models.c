/* Fuzz target: the semi-analytic model pricers (include/qpm/models.h,
 * experimental): qpm_heston_price, qpm_bates_price, qpm_merton_price,
 * qpm_heston_eval, qpm_merton_eval (both settlements, every output subset,
 * odd out->size), qpm_heston_smile, qpm_merton_smile,
 * qpm_heston_smile_settle and qpm_heston_calibrate (chains of 1 to 3
 * expiries and a few strikes, a few iterations, every quote kind and
 * residual, drawn bounds, a progress callback that cancels, odd option and
 * result sizes, a failing allocator).  Most calls take parameters inside
 * their domains (vol of variance up to 10, |rho| up to 1 - 1e-16, T from
 * 1e-6 to 100 years, lambda T up to 1.2e4, jump sizes near 0, strikes up to
 * e^+-700 from the forward, chains of up to 600 strikes, over the 64-strike
 * smile and 256-strike eval blocks); some take NaN, +-Inf, 0, negatives,
 * extremes, bad types, n = 0 and NULL pointers.
 *
 * What models.h promises, checked here beyond the common invariants:
 * - a failing call returns one of the function's documented statuses and,
 *   being found before any output is written, touches no output (the
 *   smiles' per-strike implied-vol failures excepted: every strike is
 *   written then, with iv NaN where its status says so); a failed
 *   calibration writes nothing into *res;
 * - QPM_OK: finite outputs; prices within the no-arbitrage bounds
 *   max(0, e^-rT (F - K)) <= call <= e^-rT F, max(0, e^-rT (K - F)) <= put
 *   <= e^-rT K (Heston and Bates keep them there exactly; Merton, whose
 *   header claims its series "to about 1e-13 S", within 1e-12 e^-rT (F + K),
 *   the scale of its truncation bound), coin prices the same divided by F;
 * - put-call parity C - P = e^-rT (F - K) when a chain is priced again with
 *   every type flipped: for Heston and Bates both come from the same
 *   integral on the same grid (C = e^-rT (F - X), P = e^-rT (K - X), clamped
 *   to their bounds together), so to rounding, 1e-12 e^-rT (F + K); Merton
 *   prices calls and puts by separate series, each within its truncation
 *   bound 1e-18 (F + K) e^-rT plus rounding: 1e-11 e^-rT (F + K);
 * - a single strike priced alone (another Fourier grid: the panel width
 *   follows the chain's widest |ln(F/K)|) within 1e-9 e^-rT (F + K) of its
 *   price in the chain, the brief's accuracy target; in the smile too;
 * - qpm_bates_price with lambda = 0 bit-identical to qpm_heston_price;
 *   qpm_heston_eval's price_usd, delta, gamma, vega_v0 bit-identical to
 *   qpm_heston_price / qpm_bates_price; its price B / F (coin) or B, its
 *   delta_coin delta / growth - B / F; fields past out->size untouched;
 * - smiles: status[i] in {QPM_OK, QPM_E_ARBITRAGE, QPM_E_NOCONVERGE}, iv[i]
 *   finite > 0 exactly when QPM_OK, the return the first failing strike's
 *   status; the out-of-the-money price within its bounds;
 *   qpm_heston_smile_settle with QPM_SETTLE_LINEAR bit-identical to
 *   qpm_heston_smile, with QPM_SETTLE_INVERSE the same vols and the prices
 *   divided by F;
 * - calibration: the fit within the bounds (the documented defaults when
 *   NULL), the jumps zero for Heston and equal to the start with fix_jumps,
 *   finite errors with rmse <= max, cost >= 0, iterations <= max_iter, the
 *   Feller flag 2 kappa theta > sigma^2, QPM_E_CANCELLED exactly with the
 *   outcome QPM_CALIB_CANCELLED, progress in [0, 1], non-decreasing, ending
 *   at 1 unless cancelled; fields past res->size untouched;
 * - every call deterministic: pass B repeats each successful call and must
 *   get its bits (models.h: "Results are deterministic"). */
#define QPM_EXPERIMENTAL
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "fuzz_support.h"
#include "qpm/models.h"
#include "qpm/pricing.h"

#define NMAX   600 /* above the 512-strike buffer of the Fourier sums */
#define MAXOPS 16  /* calls per input (a time budget bounds them too, below) */
#define CQ     18  /* calibration quotes at most */

typedef struct state {
    fz_alloc fa;
} state;

/* the inputs of one chain */
typedef struct chain {
    qpm_heston h;
    qpm_jumps j;
    double sigma; /* Merton */
    double S, T, r, q;
    size_t n;
    double K[NMAX];
    int32_t type[NMAX];
} chain;

static chain g_c;
/* Chains of more than 12 strikes take tame parameters (v0, theta >= 1e-3,
 * vol of variance <= 2, |rho| <= 0.999, T in [0.01, 30], lambda <= 50,
 * strikes within e^+-3 of the forward, no special values): the cost of a
 * call is its grid's panels (up to the library's limit of 131072) times
 * its strikes, and a long chain on a grid near that limit costs a minute
 * under the sanitizers. */
static int g_tame;
static double g_out[10][NMAX], g_ref[6][NMAX];
static int32_t g_st[NMAX], g_type2[NMAX];

/* ---- drawing ----------------------------------------------------------------- */

/* In [lo, hi] (log-uniform when lo > 0 and hi / lo > 1e3; zero bytes, as
 * past the end of the input, give the middle); with `wild`, fz_real's
 * special values too. */
static double draw(fz_in *in, double lo, double hi, int wild)
{
    if (wild)
        return fz_real(in, lo, hi);
    double u = (double)(uint16_t)(fz_u16(in) + 32768u) / 65535.0;
    if (lo > 0 && hi / lo > 1e3)
        return exp(log(lo) + u * (log(hi) - log(lo)));
    return lo + u * (hi - lo);
}

static double draw_rho(fz_in *in, int wild)
{
    uint8_t m = fz_u8(in);
    double sign = m & 1 ? -1.0 : 1.0;
    if (m < 180 || g_tame)
        return g_tame ? draw(in, -0.999, 0.999, 0) : draw(in, -1, 1, wild);
    if (m < 250) /* 1 - 10^-e, e up to 16: the last doubles below 1 */
        return sign * (1.0 - pow(10.0, -draw(in, 1, 16, 0)));
    if (m < 253)
        return sign * nextafter(1.0, 0.0);
    return sign; /* +-1: outside (-1, 1) */
}

static void draw_heston(fz_in *in, qpm_heston *h, int wild)
{
    double vlo = g_tame ? 1e-3 : 1e-6;
    h->v0 = draw(in, vlo, 4, wild);
    h->kappa = draw(in, 1e-3, 50, wild);
    h->theta = draw(in, vlo, 4, wild);
    uint8_t m = fz_u8(in);
    h->sigma = m < 8 ? 0.0 : m < 200 || g_tame ? draw(in, 0, 2, wild) : draw(in, 1e-3, 10.5, wild);
    h->rho = draw_rho(in, wild);
}

static void draw_jumps(fz_in *in, qpm_jumps *j, double T, int wild)
{
    uint8_t m = fz_u8(in);
    if (m < 16)
        j->lambda = 0.0;
    else if (m < 200 || g_tame)
        j->lambda = draw(in, 1e-3, 50, wild);
    else /* lambda T up to and beyond the documented 1e4 */
        j->lambda = draw(in, 1, 1.2e4, wild) / (T > 0 ? T : 1.0);
    uint8_t k = fz_u8(in);
    j->mu = k < 200 ? draw(in, -1, 1, wild) : draw(in, -10.5, 10.5, wild);
    uint8_t d = fz_u8(in);
    j->delta = d < 8     ? 0.0
               : d < 120 ? draw(in, 1e-9, 0.05, wild) /* narrow jumps */
               : d < 230 ? draw(in, 0, 1, wild)
                         : draw(in, 0, 10.5, wild);
}

static void draw_market(fz_in *in, chain *c, int wild)
{
    c->S = draw(in, 1e-3, 1e6, wild);
    uint8_t m = fz_u8(in);
    c->T = g_tame    ? draw(in, 1e-2, 30, 0)
           : m < 230 ? draw(in, 1e-6, 100, wild)
                     : draw(in, 1e-9, 1e3, 1);
    c->r = draw(in, -0.3, 0.3, wild);
    c->q = draw(in, -0.3, 0.3, wild);
    uint8_t e = fz_u8(in);
    if (e >= 248 && c->T > 0) { /* |r T| or |q T| at the documented 700 */
        double x = (e & 1 ? -700.0 : 700.0) / c->T * (e & 2 ? 1.0 : 1.0 + 1e-15);
        if (e & 4)
            c->r = x;
        else
            c->q = x;
    }
}

static size_t draw_n(fz_in *in)
{
    uint8_t m = fz_u8(in);
    if (m < 215)
        return fz_range(in, 1, 12);
    if (m < 235)
        return fz_range(in, 13, 80);
    if (m < 248)
        return fz_range(in, 250, 300); /* over the 256-strike eval blocks */
    if (m < 252)
        return fz_range(in, 505, NMAX); /* over the 512-strike buffer */
    return 0;
}

/* strikes K = F e^k, k spread over a drawn width; types in a drawn pattern */
static void draw_strikes(fz_in *in, chain *c, size_t n, int wild)
{
    double k[NMAX];
    size_t nn = n ? n : 1;
    uint8_t m = fz_u8(in);
    double width = m < 240 || g_tame ? draw(in, 1e-4, 3, 0) : draw(in, 1, 720, 0);
    fz_fill(in, k, nn, -width, width);
    double F = c->S * exp((c->r - c->q) * c->T);
    if (!isfinite(F) || !(F > 0))
        F = 1.0;
    for (size_t i = 0; i < nn; i++)
        c->K[i] = isfinite(k[i]) ? F * exp(k[i]) : k[i];
    if (wild) {
        size_t i = fz_range(in, 0, nn - 1);
        c->K[i] = fz_special(in);
    }
    uint8_t tm = fz_u8(in);
    uint32_t bits = fz_u32(in);
    for (size_t i = 0; i < nn; i++) {
        switch (tm % 4) {
        case 0:
            c->type[i] = i & 1 ? QPM_PUT : QPM_CALL;
            break;
        case 1:
            c->type[i] = QPM_CALL;
            break;
        case 2:
            c->type[i] = QPM_PUT;
            break;
        default:
            c->type[i] = (bits >> (i % 32)) & 1 ? QPM_CALL : QPM_PUT;
            break;
        }
    }
    if (tm >= 250) /* a bad type */
        c->type[fz_range(in, 0, nn - 1)] = (int32_t)fz_u8(in) - 128;
    c->n = n;
}

/* ---- checks --------------------------------------------------------------------- */

static const char *describe(const chain *c, size_t i, int model)
{
    static char buf[768];
    snprintf(buf, sizeof buf,
             "model %s S=%.17g T=%.17g r=%.17g q=%.17g n=%zu K[%zu]=%.17g type=%d "
             "heston{v0=%.17g kappa=%.17g theta=%.17g sigma=%.17g rho=%.17g} "
             "jumps{lambda=%.17g mu=%.17g delta=%.17g} merton sigma=%.17g",
             model == 0   ? "heston"
             : model == 1 ? "bates"
                          : "merton",
             c->S, c->T, c->r, c->q, c->n, i, c->K[i], (int)c->type[i], c->h.v0, c->h.kappa,
             c->h.theta, c->h.sigma, c->h.rho, c->j.lambda, c->j.mu, c->j.delta, c->sigma);
    return buf;
}

static double fwd(const chain *c)
{
    return c->S * exp((c->r - c->q) * c->T);
}

/* An absolute tolerance for prices of strike K: rel e^-rT (F + K), the
 * scale of the methods' error bounds (sv_cf.c: the integral to about
 * 1e-16 (F + K); merton.c: the series' tail below 1e-18 (F + K) e^-rT),
 * plus the rounding of subnormal intermediates (a strike or forward below
 * DBL_MIN carries an absolute error of 2^-1075 per operation, which
 * e^-rT, up to e^700, magnifies): 16 operations for the Fourier price,
 * 1e4 for the Merton series (its length is bounded by lambda T <= 1e4). */
static double price_tol(const chain *c, double K, double rel, int model)
{
    double F = fwd(c), df = exp(-c->r * c->T);
    return rel * df * (F + K) + (model == 2 ? 1e4 : 16.0) * df * 0x1p-1074;
}

/* the price of option i (type t) against its bounds, in USD or coin */
static void check_bounds(const chain *c, size_t i, int32_t t, double v, int coin, int model,
                         const char *what)
{
    double F = fwd(c), df = exp(-c->r * c->T), K = c->K[i];
    int call = t == QPM_CALL;
    double lo = call ? df * fmax(F - K, 0.0) : df * fmax(K - F, 0.0);
    double hi = call ? df * F : df * K;
    double tol = model == 2 ? price_tol(c, K, 1e-12, model) : 0.0;
    if (coin) {
        lo /= F, hi /= F, tol /= F;
    }
    double rel = 1e-14;
    if (!isfinite(v) || !(v >= lo * (1 - rel) - tol) || !(v <= hi * (1 + rel) + tol))
        fz_fail("%s[%zu] = %.17g outside its no-arbitrage bounds [%.17g, %.17g]%s; %s", what, i, v,
                lo, hi, coin ? " (coin)" : "", describe(c, i, model));
}

static void check_finite(const chain *c, const double *x, size_t n, int model, const char *what)
{
    if (x == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            fz_fail("QPM_OK with %s[%zu] = %.17g (models.h: finite outputs); %s", what, i, x[i],
                    describe(c, i, model));
}

static void check_status_in(qpm_status st, const qpm_status *ok, size_t nok, const char *fn)
{
    for (size_t k = 0; k < nok; k++)
        if (st == ok[k])
            return;
    fz_fail("%s returned %s, not one of its documented statuses (%s)", fn, qpm_status_name(st),
            qpm_last_error());
}

static const qpm_status PRICE_ERR[] = {QPM_E_NULL, QPM_E_SIZE, QPM_E_NONFINITE, QPM_E_INVALID,
                                       QPM_E_NOCONVERGE};
static const qpm_status MERTON_ERR[] = {QPM_E_NULL, QPM_E_SIZE, QPM_E_NONFINITE, QPM_E_INVALID};
static const qpm_status EVAL_ERR[] = {QPM_E_NULL,    QPM_E_SIZE,       QPM_E_NONFINITE,
                                      QPM_E_INVALID, QPM_E_NOCONVERGE, QPM_E_UNSUPPORTED};
static const qpm_status MEVAL_ERR[] = {QPM_E_NULL, QPM_E_SIZE, QPM_E_NONFINITE, QPM_E_INVALID,
                                       QPM_E_UNSUPPORTED};

/* QPM_E_OVERFLOW (models.h): found while computing, the outputs written;
 * one of the wanted ones must then be beyond the range of double */
static void check_overflow(const chain *c, double *const *cols, int ncols, size_t n, int model)
{
    for (int k = 0; k < ncols; k++)
        if (cols[k] != NULL)
            for (size_t i = 0; i < n; i++)
                if (!isfinite(cols[k][i]))
                    return;
    fz_fail("QPM_E_OVERFLOW (%s) with every output finite; %s", qpm_last_error(),
            describe(c, 0, model));
}
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static void poison_all(size_t n)
{
    size_t m = n < NMAX ? n : NMAX;
    for (int k = 0; k < 10; k++)
        fz_poison(g_out[k], m ? m : 1);
}

static void untouched_all(size_t n)
{
    size_t m = n < NMAX ? n : NMAX;
    for (int k = 0; k < 10; k++)
        fz_untouched(g_out[k], m ? m : 1, "model output");
}

/* whether x still holds fz_poison's marker */
static int is_marker(double x)
{
    double m;
    fz_poison(&m, 1);
    return memcmp(&x, &m, sizeof x) == 0;
}

static uint64_t hash_cols(double *const *cols, int ncols, size_t n)
{
    uint64_t h = FZ_HASH0;
    for (int k = 0; k < ncols; k++)
        if (cols[k] != NULL)
            h = fz_hash(h, cols[k], n * sizeof(double));
    return h;
}

/* model 0 Heston, 1 Bates, 2 Merton: price, delta, gamma, vega */
static qpm_status price_fn(int model, const chain *c, const int32_t *type, double *p, double *d,
                           double *g, double *v)
{
    if (model == 0)
        return FZ(qpm_heston_price(&c->h, c->S, c->T, c->r, c->q, c->n, c->K, type, p, d, g, v));
    if (model == 1)
        return FZ(
            qpm_bates_price(&c->h, &c->j, c->S, c->T, c->r, c->q, c->n, c->K, type, p, d, g, v));
    return FZ(
        qpm_merton_price(c->sigma, &c->j, c->S, c->T, c->r, c->q, c->n, c->K, type, p, d, g, v));
}

/* A chain of n options (returned): its size (large ones are tame: *wild
 * is cleared), Heston and jump parameters, market, Merton vol and
 * strikes, in this order. */
static size_t draw_chain(fz_in *in, chain *c, int *wild)
{
    size_t n = draw_n(in);
    g_tame = n > 12;
    *wild = *wild && !g_tame;
    draw_heston(in, &c->h, *wild);
    draw_market(in, c, *wild);
    draw_jumps(in, &c->j, c->T, *wild);
    c->sigma = fz_u8(in) < 16 ? 0.0 : draw(in, 0, 3, *wild);
    draw_strikes(in, c, n, *wild);
    return n;
}

/* ---- the calls --------------------------------------------------------------------- */

static void op_price(fz_pass *p, fz_in *in)
{
    chain *c = &g_c;
    uint8_t mb = fz_u8(in);
    int model = mb % 3, wild = fz_u8(in) >= 216;
    size_t n = draw_chain(in, c, &wild);
    uint8_t mask = fz_u8(in), nulls = fz_u8(in);
    if (wild && (nulls & 7) == 0)
        mask = 0;
    double *o[4];
    for (int k = 0; k < 4; k++)
        o[k] = (mask >> k) & 1 ? g_out[k] : NULL;
    if ((mask & 15) == 0 && !wild)
        o[0] = g_out[0];
    size_t one = fz_range(in, 0, n ? n - 1 : 0);
    long i = fz_op(p, model == 0 ? "heston_price" : model == 1 ? "bates_price" : "merton_price");
    if (fz_skip(p, i, 0))
        return;
    poison_all(n);
    fz_trace("%s; outputs %x", describe(c, 0, model), (unsigned)mask);
    const int32_t *ty = wild && nulls == 1 ? NULL : c->type;
    if (wild && nulls == 2)
        c->n = 0;
    qpm_status st = price_fn(model, c, ty, o[0], o[1], o[2], o[3]);
    uint64_t hash = FZ_HASH0;
    if (st == QPM_E_OVERFLOW) {
        check_overflow(c, o, 4, n, model);
        fz_end(p, i, st, hash_cols(o, 4, n));
        return;
    }
    if (st != QPM_OK) {
        if (model == 2)
            check_status_in(st, MERTON_ERR, NELEM(MERTON_ERR), "qpm_merton_price");
        else
            check_status_in(st, PRICE_ERR, NELEM(PRICE_ERR), "qpm_heston/bates_price");
        untouched_all(n);
        fz_end(p, i, st, hash);
        return;
    }
    static const char *names[4] = {"price", "delta", "gamma", "vega"};
    for (int k = 0; k < 4; k++)
        check_finite(c, o[k], n, model, names[k]);
    for (int k = 4; k < 10; k++)
        fz_untouched(g_out[k], n, "unused output");
    if (o[0] != NULL)
        for (size_t e = 0; e < n; e++)
            check_bounds(c, e, c->type[e], o[0][e], 0, model, "price");
    hash = hash_cols(o, 4, n);
    fz_end(p, i, st, hash);
    if (p->b) /* the cross-checks below are deterministic: pass A's suffice */
        return;

    /* Bates without jumps is Heston, bit for bit */
    if (model == 1 && c->j.lambda == 0.0) {
        fz_where("bates lambda = 0 against heston_price");
        double *r[4];
        for (int k = 0; k < 4; k++)
            r[k] = o[k] ? g_ref[k] : NULL;
        qpm_status s2 = price_fn(0, c, c->type, r[0], r[1], r[2], r[3]);
        if (s2 != QPM_OK)
            fz_fail("bates with lambda = 0 QPM_OK, heston_price %s", qpm_status_name(s2));
        for (int k = 0; k < 4; k++)
            if (o[k] && memcmp(o[k], r[k], n * sizeof(double)) != 0)
                fz_fail("bates with lambda = 0: %s differs from heston_price's bits (models.h: "
                        "bit-identical)",
                        names[k]);
    }
    /* Merton without jumps is Black-Scholes-Merton */
    if (model == 2 && c->j.lambda == 0.0 && o[0] != NULL && c->sigma > 0) {
        qpm_pricer *pr;
        if (qpm_pricer_create(&pr, NULL, QPM_MODEL_BSM, QPM_SETTLE_LINEAR) == QPM_OK) {
            static double vs[NMAX], vt[NMAX], vr[NMAX], vq[NMAX], vsg[NMAX];
            for (size_t e = 0; e < n; e++)
                vs[e] = c->S, vt[e] = c->T, vr[e] = c->r, vq[e] = c->q, vsg[e] = c->sigma;
            qpm_pricer_out po;
            memset(&po, 0, sizeof po);
            po.size = sizeof po;
            po.price = g_ref[0];
            if (qpm_pricer_price(pr, n, vs, c->K, vt, vr, vq, vsg, c->type, &po) == QPM_OK) {
                for (size_t e = 0; e < n; e++)
                    if (!(fabs(g_ref[0][e] - o[0][e]) <= price_tol(c, c->K[e], 1e-12, model)))
                        fz_fail("merton without jumps %.17g, BSM %.17g; %s", o[0][e], g_ref[0][e],
                                describe(c, e, model));
            }
            qpm_pricer_free(pr);
        }
    }
    /* Merton is Bates with a constant variance (v0 = theta = sigma^2, vol
     * of variance 0): two methods, each within 1e-9 e^-rT (F + K) */
    if (model == 2 && o[0] != NULL && c->sigma > 0) {
        qpm_heston hc = {c->sigma * c->sigma, 1.0, c->sigma * c->sigma, 0.0, 0.0};
        if (qpm_bates_price(&hc, &c->j, c->S, c->T, c->r, c->q, n, c->K, c->type, g_ref[1], NULL,
                            NULL, NULL) == QPM_OK) {
            fz_where("merton against bates at a constant variance");
            for (size_t e = 0; e < n; e++)
                if (!(fabs(g_ref[1][e] - o[0][e]) <= price_tol(c, c->K[e], 1e-9, model)))
                    fz_fail("merton %.17g, bates with v0 = theta = sigma^2 %.17g (diff %.3g); %s",
                            o[0][e], g_ref[1][e], o[0][e] - g_ref[1][e], describe(c, e, model));
        }
    }
    if (o[0] == NULL)
        return;
    /* put-call parity: the same chain with every type flipped */
    fz_where("put-call parity");
    for (size_t e = 0; e < n; e++)
        g_type2[e] = -c->type[e];
    qpm_status s3 = price_fn(model, c, g_type2, g_ref[0], NULL, NULL, NULL);
    if (s3 != QPM_OK)
        fz_fail("the chain with types flipped gives %s", qpm_status_name(s3));
    double F = fwd(c), df = exp(-c->r * c->T);
    for (size_t e = 0; e < n; e++) {
        double C = c->type[e] == QPM_CALL ? o[0][e] : g_ref[0][e];
        double P = c->type[e] == QPM_CALL ? g_ref[0][e] : o[0][e];
        double tol = price_tol(c, c->K[e], model == 2 ? 1e-11 : 1e-12, model);
        if (!(fabs(C - P - df * (F - c->K[e])) <= tol))
            fz_fail("put-call parity: C - P = %.17g, e^-rT (F - K) = %.17g (C %.17g, P %.17g, tol "
                    "%.3g); %s",
                    C - P, df * (F - c->K[e]), C, P, tol, describe(c, e, model));
    }
    /* one strike alone: another grid, within 1e-9 e^-rT (F + K) */
    if (n > 1) {
        fz_where("one strike priced alone");
        chain *c1 = &g_c;
        size_t nn = c1->n;
        double keepK = c1->K[0];
        int32_t keepT = c1->type[0];
        c1->K[0] = c1->K[one];
        c1->type[0] = c1->type[one];
        c1->n = 1;
        double v1;
        qpm_status s4 = price_fn(model, c1, c1->type, &v1, NULL, NULL, NULL);
        c1->n = nn;
        c1->K[0] = keepK;
        c1->type[0] = keepT;
        if (s4 != QPM_OK)
            fz_fail("strike %zu alone gives %s, QPM_OK in its chain", one, qpm_status_name(s4));
        double tol = price_tol(c, c->K[one], 1e-9, model);
        if (!(fabs(v1 - o[0][one]) <= tol))
            fz_fail("strike %zu alone %.17g, in the chain %.17g (diff %.3g, tol %.3g); %s", one, v1,
                    o[0][one], v1 - o[0][one], tol, describe(c, one, model));
    }
}

/* qpm_model_out with room for a newer caller's field */
typedef struct out_ext {
    qpm_model_out o;
    double *extra;
} out_ext;

static void op_eval(fz_pass *p, fz_in *in)
{
    chain *c = &g_c;
    int merton = fz_u8(in) & 1, wild = fz_u8(in) >= 216;
    int bates = !merton && (fz_u8(in) & 1);
    size_t n = draw_chain(in, c, &wild);
    uint8_t mask = fz_u8(in), sz = fz_u8(in), se = fz_u8(in);
    qpm_settlement settle = se < 250 ? (qpm_settlement)(se & 1) : (qpm_settlement)((int)se - 252);
    long i = fz_op(p, merton ? "merton_eval" : bates ? "bates eval" : "heston_eval");
    if (fz_skip(p, i, 0))
        return;
    out_ext ox;
    memset(&ox, 0, sizeof ox);
    qpm_model_out *o = &ox.o;
    double **f = &o->price;
    for (int k = 0; k < 8; k++)
        f[k] = (mask >> k) & 1 ? g_out[k] : NULL;
    if (mask == 0 && !wild)
        o->price = g_out[0];
    size_t fields = 8;
    if (sz < 230) {
        o->size = sizeof *o;
    } else if (sz < 240) { /* an older caller: theta past its size */
        o->size = offsetof(qpm_model_out, theta);
        fields = 7;
    } else if (sz < 248) { /* a newer caller whose extra field is zero */
        o->size = sizeof ox;
    } else if (sz < 252) { /* ... or not */
        o->size = sizeof ox;
        ox.extra = g_out[9];
    } else {
        o->size = sz & 1 ? 0 : 4;
    }
    poison_all(n);
    fz_trace("%s; settle %d; outputs %x", describe(c, 0, merton ? 2 : bates), (int)settle,
             (unsigned)mask);
    const qpm_jumps *jp = merton || bates ? &c->j : NULL;
    qpm_status st = merton ? FZ(qpm_merton_eval(c->sigma, jp, settle, c->S, c->T, c->r, c->q, n,
                                                c->K, c->type, wild && mask == 1 ? NULL : o))
                           : FZ(qpm_heston_eval(&c->h, jp, settle, c->S, c->T, c->r, c->q, n, c->K,
                                                c->type, wild && mask == 1 ? NULL : o));
    uint64_t hash = FZ_HASH0;
    if (st == QPM_E_OVERFLOW) {
        check_overflow(c, f, 8, n, merton ? 2 : bates);
        fz_end(p, i, st, hash_cols(f, 8, n));
        return;
    }
    if (st != QPM_OK) {
        if (merton)
            check_status_in(st, MEVAL_ERR, NELEM(MEVAL_ERR), "qpm_merton_eval");
        else
            check_status_in(st, EVAL_ERR, NELEM(EVAL_ERR), "qpm_heston_eval");
        untouched_all(n);
        fz_end(p, i, st, hash);
        return;
    }
    int model = merton ? 2 : bates ? 1 : 0;
    static const char *names[8] = {"price", "price_usd", "delta",         "delta_coin",
                                   "gamma", "vega_v0",   "vega_parallel", "theta"};
    if (fields < 8 && o->theta != NULL) {
        fz_untouched(o->theta, n, "theta past out->size");
        o->theta = NULL;
    }
    for (int k = 0; k < 8; k++)
        check_finite(c, f[k], n, model, names[k]);
    fz_untouched(g_out[8], n, "unused output");
    int coin = settle == QPM_SETTLE_INVERSE;
    double F = fwd(c), growth = exp((c->r - c->q) * c->T);
    for (size_t e = 0; e < n; e++) {
        if (o->price)
            check_bounds(c, e, c->type[e], o->price[e], coin, model, "price");
        if (o->price_usd)
            check_bounds(c, e, c->type[e], o->price_usd[e], 0, model, "price_usd");
    }
    hash = hash_cols(f, 8, n);
    fz_end(p, i, st, hash);
    if (p->b)
        return;

    /* against the _price functions: bits for Heston and Bates */
    fz_where("eval against the _price function");
    /* only the outputs eval was asked for: another one may overflow */
    int need_p = o->price || o->price_usd || o->delta_coin, need_d = o->delta || o->delta_coin;
    double *r[4] = {need_p ? g_ref[0] : NULL, need_d ? g_ref[1] : NULL, o->gamma ? g_ref[2] : NULL,
                    (merton ? o->vega_parallel : o->vega_v0) ? g_ref[3] : NULL};
    if (!r[0] && !r[1] && !r[2] && !r[3])
        return;
    qpm_status s2 = price_fn(model, c, c->type, r[0], r[1], r[2], r[3]);
    if (s2 != QPM_OK)
        fz_fail("eval QPM_OK, the _price function %s", qpm_status_name(s2));
    const double *mine[4] = {o->price_usd, o->delta, o->gamma, merton ? NULL : o->vega_v0};
    for (int k = 0; k < 4; k++) {
        if (mine[k] == NULL)
            continue;
        for (size_t e = 0; e < n; e++) {
            if (merton ? !(fabs(mine[k][e] - r[k][e]) <= 1e-13 * (fabs(r[k][e]) + 1e-300))
                       : memcmp(&mine[k][e], &r[k][e], sizeof(double)) != 0)
                fz_fail("eval %s[%zu] = %.17g, the _price function %.17g (models.h: "
                        "bit-identical); %s",
                        k == 0   ? "price_usd"
                        : k == 1 ? "delta"
                        : k == 2 ? "gamma"
                                 : "vega_v0",
                        e, mine[k][e], r[k][e], describe(c, e, model));
        }
    }
    /* the settlement's price and the coin delta from B and delta */
    for (size_t e = 0; e < n; e++) {
        double B = r[0] != NULL ? r[0][e] : 0.0;
        if (o->price) {
            double want = coin ? B / F : B;
            if (!(fabs(o->price[e] - want) <= 4e-16 * fabs(want)))
                fz_fail("eval price[%zu] = %.17g, B%s = %.17g; %s", e, o->price[e],
                        coin ? " / F" : "", want, describe(c, e, model));
        }
        if (o->delta_coin) {
            double want = r[1][e] / growth - B / F;
            double scale = fabs(r[1][e] / growth) + fabs(B / F);
            if (!(fabs(o->delta_coin[e] - want) <= 1e-15 * scale + 1e-300))
                fz_fail("eval delta_coin[%zu] = %.17g, delta / growth - B / F = %.17g; %s", e,
                        o->delta_coin[e], want, describe(c, e, model));
        }
        if (merton && o->vega_parallel &&
            !(fabs(o->vega_parallel[e] - r[3][e]) <= 1e-13 * (fabs(r[3][e]) + 1e-300)))
            fz_fail("merton eval vega_parallel[%zu] = %.17g, merton_price vega %.17g; %s", e,
                    o->vega_parallel[e], r[3][e], describe(c, e, model));
    }
}

static void op_smile(fz_pass *p, fz_in *in)
{
    chain *c = &g_c;
    uint8_t which = fz_u8(in) % 3; /* heston_smile, merton_smile, heston_smile_settle */
    int wild = fz_u8(in) >= 216, bates = fz_u8(in) & 1;
    size_t n = draw_chain(in, c, &wild);
    uint8_t nulls = fz_u8(in), se = fz_u8(in);
    qpm_settlement settle = se < 250 ? (qpm_settlement)(se & 1) : (qpm_settlement)((int)se - 252);
    long i = fz_op(p, which == 0   ? "heston_smile"
                      : which == 1 ? "merton_smile"
                                   : "heston_smile_settle");
    if (fz_skip(p, i, 0))
        return;
    poison_all(n);
    size_t m = n < NMAX ? n : NMAX;
    for (size_t e = 0; e < m; e++)
        g_st[e] = 12345;
    double *price = nulls == 1 ? NULL : g_out[0], *iv = wild && nulls == 2 ? NULL : g_out[1];
    int32_t *sta = nulls == 3 ? NULL : g_st;
    const qpm_jumps *jp = which == 1 || bates ? &c->j : NULL;
    fz_trace("%s; settle %d", describe(c, 0, which == 1 ? 2 : jp != NULL), (int)settle);
    qpm_status st;
    if (which == 0)
        st = FZ(qpm_heston_smile(&c->h, jp, c->S, c->T, c->r, c->q, n, c->K, price, iv, sta));
    else if (which == 1)
        st = FZ(qpm_merton_smile(c->sigma, jp, c->S, c->T, c->r, c->q, n, c->K, price, iv, sta));
    else
        st = FZ(qpm_heston_smile_settle(&c->h, jp, settle, c->S, c->T, c->r, c->q, n, c->K, price,
                                        iv, sta));
    int model = which == 1 ? 2 : bates ? 1 : 0;
    uint64_t hash = FZ_HASH0;
    if (st == QPM_E_OVERFLOW) { /* a model price beyond the range of double */
        if (price != NULL)
            check_overflow(c, &price, 1, n, model);
        fz_end(p, i, st, hash);
        return;
    }
    int element = st == QPM_E_ARBITRAGE || st == QPM_E_NOCONVERGE;
    if (st != QPM_OK && (!element || iv == NULL || is_marker(iv[0]))) {
        /* an input error, or the Fourier integral's failure: found before
         * any output is written (iv[0] still holds the marker) */
        static const qpm_status ERR[] = {QPM_E_NULL,    QPM_E_SIZE,       QPM_E_NONFINITE,
                                         QPM_E_INVALID, QPM_E_NOCONVERGE, QPM_E_NOMEM};
        check_status_in(st, ERR, NELEM(ERR), "smile");
        if (which == 1 && st == QPM_E_NOCONVERGE)
            fz_fail("merton_smile: QPM_E_NOCONVERGE without a strike's implied-vol failure");
        untouched_all(n);
        for (size_t e = 0; e < m; e++)
            if (g_st[e] != 12345)
                fz_fail("failed smile wrote status[%zu]", e);
        fz_end(p, i, st, hash);
        return;
    }
    int coin = which == 2 && settle == QPM_SETTLE_INVERSE;
    double F = fwd(c);
    qpm_status first = QPM_OK;
    for (size_t e = 0; e < n; e++) {
        int32_t t = c->K[e] < F ? QPM_PUT : QPM_CALL;
        if (price)
            check_bounds(c, e, t, price[e], coin, model, "smile price");
        int ok = isfinite(iv[e]) && iv[e] > 0;
        if (!ok && !isnan(iv[e]))
            fz_fail("smile iv[%zu] = %.17g: neither a vol nor NaN; %s", e, iv[e],
                    describe(c, e, model));
        if (sta) {
            if (sta[e] != QPM_OK && sta[e] != QPM_E_ARBITRAGE && sta[e] != QPM_E_NOCONVERGE)
                fz_fail("smile status[%zu] = %d", e, (int)sta[e]);
            if ((sta[e] == QPM_OK) != ok)
                fz_fail("smile status[%zu] = %s, iv %.17g", e, qpm_status_name((qpm_status)sta[e]),
                        iv[e]);
            if (!ok && first == QPM_OK)
                first = (qpm_status)sta[e];
        } else if (!ok && first == QPM_OK) {
            first = st;
        }
    }
    if (st != first)
        fz_fail("smile returned %s, its strikes say %s", qpm_status_name(st),
                qpm_status_name(first));
    fz_untouched(g_out[2], n, "unused output");
    hash = fz_hash(hash, iv, n * sizeof(double));
    if (price)
        hash = fz_hash(hash, price, n * sizeof(double));
    if (sta)
        hash = fz_hash(hash, sta, n * sizeof(int32_t));
    fz_end(p, i, st, hash);

    if (which == 1 || p->b)
        return;
    /* smile_settle against heston_smile: the same vols, prices B or B / F */
    fz_where("heston_smile_settle against heston_smile");
    qpm_status s2 = which == 0
                        ? qpm_heston_smile_settle(&c->h, jp, QPM_SETTLE_INVERSE, c->S, c->T, c->r,
                                                  c->q, n, c->K, g_ref[0], g_ref[1], NULL)
                        : qpm_heston_smile(&c->h, jp, c->S, c->T, c->r, c->q, n, c->K, g_ref[0],
                                           g_ref[1], NULL);
    if (s2 != st)
        fz_fail("smile %s, the other settlement %s", qpm_status_name(st), qpm_status_name(s2));
    int other_coin = which == 0;
    for (size_t e = 0; e < n; e++) {
        if (memcmp(&iv[e], &g_ref[1][e], sizeof(double)) != 0)
            fz_fail("iv[%zu] %.17g in one settlement, %.17g in the other; %s", e, iv[e],
                    g_ref[1][e], describe(c, e, model));
        if (price) {
            double usd = coin ? g_ref[0][e] : price[e], cn = coin ? price[e] : g_ref[0][e];
            if (!coin && !other_coin) /* settle_settle LINEAR against smile: bits */
                cn = usd / F;
            if (!coin && !other_coin && memcmp(&price[e], &g_ref[0][e], sizeof(double)) != 0)
                fz_fail("smile_settle linear price[%zu] %.17g, heston_smile %.17g", e, price[e],
                        g_ref[0][e]);
            if (!(fabs(cn - usd / F) <= 4e-16 * fabs(usd / F)))
                fz_fail("coin smile price[%zu] = %.17g, USD / F = %.17g; %s", e, cn, usd / F,
                        describe(c, e, model));
        }
    }
    /* the smile's prices against the chain priced at once (other grids) */
    if (price && !coin) {
        fz_where("smile prices against heston_price");
        for (size_t e = 0; e < n; e++)
            g_type2[e] = c->K[e] < F ? QPM_PUT : QPM_CALL;
        qpm_status s3 = model == 1 ? qpm_bates_price(&c->h, &c->j, c->S, c->T, c->r, c->q, n, c->K,
                                                     g_type2, g_ref[2], NULL, NULL, NULL)
                                   : qpm_heston_price(&c->h, c->S, c->T, c->r, c->q, n, c->K,
                                                      g_type2, g_ref[2], NULL, NULL, NULL);
        if (s3 != QPM_OK)
            fz_fail("smile %s, the price of its chain %s", qpm_status_name(st),
                    qpm_status_name(s3));
        for (size_t e = 0; e < n; e++)
            if (!(fabs(price[e] - g_ref[2][e]) <= price_tol(c, c->K[e], 1e-9, model)))
                fz_fail("smile price[%zu] = %.17g, the chain's %.17g (tol 1e-9 e^-rT (F + K)); %s",
                        e, price[e], g_ref[2][e], describe(c, e, model));
    }
}

/* ---- calibration ------------------------------------------------------------------------ */

typedef struct prog {
    size_t calls, cancel_at;
    double last;
    int bad;
} prog;

static int progress_cb(void *user, double done)
{
    prog *pg = user;
    if (!(done >= 0.0 && done <= 1.0) || done < pg->last)
        pg->bad = 1;
    pg->last = done;
    return ++pg->calls == pg->cancel_at;
}

typedef struct res_ext {
    qpm_calib_result r;
    double extra;
} res_ext;

typedef struct opt_ext {
    qpm_calib_options o;
    double extra;
} opt_ext;

static const double DEF_LO[QPM_CALIB_NPARAM] = {1e-6, 1e-3, 1e-6, 1e-3, -0.999, 0.0, -2.0, 1e-4};
static const double DEF_HI[QPM_CALIB_NPARAM] = {4.0, 50.0, 4.0, 10.0, 0.999, 10.0, 2.0, 2.0};

static void op_calibrate(fz_pass *p, state *s, fz_in *in)
{
    long arm = (fz_u8(in) % 8 == 0) ? (long)fz_range(in, 0, 4) : -1;
    int wild = fz_u8(in) >= 216, bates = fz_u8(in) & 1;
    /* tame model parameters (v0, theta >= 1e-3 on expiries >= 0.02): each
     * iteration prices every expiry with its gradient, a few hundred
     * panels each */
    g_tame = 1;
    /* the true model behind the quotes, and the start */
    qpm_heston truth, start;
    qpm_jumps tj, sj;
    draw_heston(in, &truth, 0);
    truth.rho = draw(in, -0.95, 0.95, 0);
    truth.sigma = draw(in, 0.05, 2, 0);
    uint8_t sm = fz_u8(in);
    if (sm < 128) {
        start = (qpm_heston){0.04, 1.0, 0.04, 0.5, -0.5};
    } else {
        draw_heston(in, &start, wild);
        if (sm < 230)
            start.rho = draw(in, -0.99, 0.99, wild);
    }
    tj = (qpm_jumps){draw(in, 0, 3, 0), draw(in, -0.5, 0.5, 0), draw(in, 0.01, 0.5, 0)};
    sj = fz_u8(in) < 128 ? (qpm_jumps){0.5, -0.1, 0.1} : tj;
    if (wild)
        sj.mu = draw(in, -2.5, 2.5, 1);
    double S = draw(in, 1, 1e5, wild), r = draw(in, -0.1, 0.1, wild), q = draw(in, -0.1, 0.1, 0);
    /* zero bytes (the end of the input) give 2 expiries of 6 strikes */
    static const size_t NE[3] = {2, 1, 3};
    size_t ne = NE[fz_range(in, 0, 2)], m = 6 - fz_range(in, 0, 4);
    size_t n = ne * m;
    if (fz_u8(in) >= 250)
        n = fz_range(in, 0, CQ); /* fewer quotes than parameters, or n = 0 */
    double T[CQ], K[CQ], quote[CQ], w[CQ];
    int32_t ty[CQ];
    uint8_t kind = fz_u8(in);
    int32_t qkind = kind < 250 ? kind % 3 : (int32_t)kind - 252;
    double t0 = draw(in, 0.02, 2, 0), width = draw(in, 0.05, 0.6, 0);
    double noise = fz_u8(in) < 128 ? 0.0 : draw(in, 0, 0.05, 0);
    for (size_t e = 0; e < ne; e++) {
        double Te = t0 * (double)(e + 1);
        double F = S * exp((r - q) * Te);
        for (size_t k = 0; k < m; k++) {
            size_t a = e * m + k;
            T[a] = Te;
            K[a] = F * exp(width * sqrt(Te) * (-1.0 + 2.0 * ((double)k + 0.5) / (double)m));
            ty[a] = K[a] >= F ? QPM_CALL : QPM_PUT;
            w[a] = draw(in, 0.1, 2, wild);
        }
    }
    /* quotes: the true model's prices (or vols, from its smile), noisy */
    for (size_t e = 0; e < ne; e++) {
        size_t a = e * m;
        double F = S * exp((r - q) * T[a]);
        double iv[6], pr[6];
        for (size_t k = 0; k < 6; k++)
            iv[k] = pr[k] = 0.0;
        /* a strike without an implied vol (a wing price that rounds to 0)
         * gets a vol of 0.3, or its price */
        (void)qpm_heston_smile(&truth, bates ? &tj : NULL, S, T[a], r, q, m, K + a, pr, iv, NULL);
        for (size_t k = 0; k < m; k++) {
            double u = noise * (draw(in, -1, 1, 0)), v = isfinite(iv[k]) && iv[k] > 0 ? iv[k] : 0.3;
            if (qkind == QPM_CALIB_QUOTE_IV) {
                quote[a + k] = v * (1 + u);
            } else {
                double pu = pr[k] * (1 + u);
                if (!(pu > 0) || !(isfinite(iv[k]) && iv[k] > 0)) { /* Black-Scholes at v */
                    double sd = v * sqrt(T[a]), d1 = log(F / K[a + k]) / sd + 0.5 * sd;
                    double N1 = 0.5 * erfc(-d1 / sqrt(2.0)),
                           N2 = 0.5 * erfc(-(d1 - sd) / sqrt(2.0));
                    pu = exp(-r * T[a]) * (ty[a + k] == QPM_CALL
                                               ? F * N1 - K[a + k] * N2
                                               : K[a + k] * (1 - N2) - F * (1 - N1));
                }
                quote[a + k] = qkind == QPM_CALIB_QUOTE_COIN ? pu / F : pu;
            }
        }
    }
    if (wild) {
        size_t a = fz_range(in, 0, CQ - 1);
        uint8_t which = fz_u8(in) % 4;
        double v = fz_special(in);
        if (which == 0)
            T[a] = v;
        else if (which == 1)
            K[a] = v;
        else if (which == 2)
            quote[a] = v;
        else
            w[a] = v;
    }
    uint8_t tsel = fz_u8(in);
    const int32_t *typ = tsel < 128 ? NULL : ty;
    if (tsel >= 250)
        ty[fz_range(in, 0, CQ - 1)] = 0;
    /* options */
    opt_ext ox;
    memset(&ox, 0, sizeof ox);
    qpm_calib_options *o = &ox.o;
    uint8_t osz = fz_u8(in);
    o->size = osz < 240   ? sizeof *o
              : osz < 246 ? sizeof ox
              : osz < 250 ? offsetof(qpm_calib_options, lower)
                          : 8;
    if (osz >= 243 && osz < 246)
        ox.extra = 1.0;
    o->quote = qkind;
    uint8_t rs = fz_u8(in);
    o->residual = rs < 250 ? rs & 1 : (int32_t)rs - 250;
    o->fix_jumps = fz_u8(in) < 128 ? 0 : fz_u8(in) < 250 ? 1 : 2;
    o->max_iter = fz_range(in, 1, 6);
    uint8_t me = fz_u8(in);
    o->max_eval = me < 250 || o->max_iter > 2 ? fz_range(in, 1, 30) : 0; /* 0: 1000 */
    if (fz_u8(in) >= 200) {
        o->ftol = draw(in, 0, 1e-3, wild);
        o->xtol = draw(in, 0, 1e-3, wild);
        o->gtol = draw(in, 0, 1e-3, wild);
    }
    double lo[QPM_CALIB_NPARAM], hi[QPM_CALIB_NPARAM];
    memcpy(lo, DEF_LO, sizeof lo);
    memcpy(hi, DEF_HI, sizeof hi);
    uint8_t bsel = fz_u8(in);
    if (bsel >= 160) {
        /* drawn bounds around the defaults: tighter, wider, the rho ones
         * near +-1, sometimes not holding the start or outside the domain */
        for (int k = 0; k < QPM_CALIB_NPARAM; k++) {
            double a = DEF_LO[k], b = DEF_HI[k];
            uint8_t bm = fz_u8(in);
            if (bm < 64) {
                a = a + (b - a) * draw(in, 0, 0.3, 0);
                b = b - (b - a) * draw(in, 0, 0.3, 0);
            } else if (bm < 128 && k == 4) {
                /* up to 1 - 1e-6: nearer, the start's grid alone costs
                 * seconds per iteration (no trial guards the start) */
                a = -(1.0 - pow(10.0, -draw(in, 3, 6, 0)));
                b = 1.0 - pow(10.0, -draw(in, 3, 6, 0));
            } else if (bm < 140) {
                a = draw(in, -1, 1, 1);
            } else if (bm < 150) {
                b = draw(in, 0, 100, 1);
            }
            lo[k] = a;
            hi[k] = b;
        }
        o->lower = lo;
        o->upper = fz_u8(in) < 250 ? hi : NULL;
        if (o->upper == NULL)
            memcpy(hi, DEF_HI, sizeof hi);
        /* keep the start within the bounds most of the time */
        if (fz_u8(in) < 200) {
            double *sp[8] = {&start.v0,  &start.kappa, &start.theta, &start.sigma,
                             &start.rho, &sj.lambda,   &sj.mu,       &sj.delta};
            for (int k = 0; k < QPM_CALIB_NPARAM; k++)
                if (lo[k] <= hi[k])
                    *sp[k] = fmin(fmax(*sp[k], lo[k]), hi[k]);
        }
    } else if (!wild) {
        start.rho = fmin(fmax(start.rho, -0.999), 0.999);
        start.sigma = fmin(fmax(start.sigma, 1e-3), 10);
        start.kappa = fmin(fmax(start.kappa, 1e-3), 50);
    }
    prog pg = {0, 0, 0.0, 0};
    uint8_t pm = fz_u8(in);
    if (pm < 100) {
        o->progress = progress_cb;
        o->progress_user = &pg;
        pg.cancel_at = pm < 40 ? fz_range(in, 1, 4) : 0;
    }
    uint8_t rsz = fz_u8(in);
    int nulls = wild ? fz_u8(in) % 8 : 0;
    /* which option fields the call reads (fields past o->size count as 0) */
    const qpm_calib_options *op = nulls == 6 || osz == 255 ? NULL : o;
    size_t osize = op != NULL ? o->size : 0;
    int has_bounds = osize >= offsetof(qpm_calib_options, upper) + sizeof(double *);
    int has_progress = osize >= offsetof(qpm_calib_options, progress_user) + sizeof(void *);
    int has_iter = osize >= offsetof(qpm_calib_options, max_eval);
    long i = fz_op(p, bates ? "bates calibrate" : "heston calibrate");
    if (fz_skip(p, i, 0))
        return;
    res_ext rx;
    memset(&rx, 0x5a, sizeof rx);
    size_t rsize = rsz < 236   ? sizeof rx.r
                   : rsz < 244 ? sizeof rx
                   : rsz < 250 ? offsetof(qpm_calib_result, rmse_volpts)
                               : (size_t)(rsz & 1 ? 0 : 12);
    if (rsz >= 236 && rsz < 240)
        memset(&rx.extra, 0, sizeof rx.extra); /* a newer caller, extra field zero */
    rx.r.size = rsize;
    res_ext keep = rx;
    fz_trace("calibrate n %zu (%zu x %zu) S=%.17g r=%.17g q=%.17g start{%.17g %.17g %.17g %.17g "
             "%.17g} jumps{%.17g %.17g %.17g} quote %d residual %d fix %d max_iter %zu max_eval "
             "%zu opt size %zu%s bounds %s progress %s cancel at %zu res size %zu nulls %d arm %ld",
             n, ne, m, S, r, q, start.v0, start.kappa, start.theta, start.sigma, start.rho,
             sj.lambda, sj.mu, sj.delta, (int)o->quote, (int)o->residual, (int)o->fix_jumps,
             o->max_iter, o->max_eval, o->size, op == NULL ? " (NULL)" : "",
             o->lower ? "drawn" : "default", o->progress ? "yes" : "no", pg.cancel_at, rsize, nulls,
             arm);
    fz_arm_op(p, i, &s->fa, arm);
    qpm_status st = FZ(qpm_heston_calibrate(nulls == 1 ? NULL : &start, bates ? &sj : NULL, S, r, q,
                                            n, nulls == 2 ? NULL : T, nulls == 3 ? NULL : K,
                                            nulls == 4 ? NULL : quote, nulls == 5 ? NULL : w, typ,
                                            op, &s->fa.alloc, nulls == 7 ? NULL : &rx.r));
    fz_disarm(&s->fa);
    uint64_t hash = FZ_HASH0;
    if (pg.bad)
        fz_fail("progress out of [0, 1] or decreasing (last %.17g)", pg.last);
    if (st != QPM_OK && st != QPM_E_CANCELLED) {
        static const qpm_status ERR[] = {QPM_E_NULL,      QPM_E_SIZE,  QPM_E_NONFINITE,
                                         QPM_E_INVALID,   QPM_E_NOMEM, QPM_E_UNSUPPORTED,
                                         QPM_E_NOCONVERGE};
        check_status_in(st, ERR, NELEM(ERR), "qpm_heston_calibrate");
        if (memcmp(&rx, &keep, sizeof rx) != 0)
            fz_fail("failed calibration (%s) wrote *res", qpm_status_name(st));
        fz_end(p, i, st, hash);
        return;
    }
    const qpm_calib_result *R = &rx.r;
    size_t have = R->size < sizeof *R ? R->size : sizeof *R;
    if (memcmp((const char *)&rx + have, (const char *)&keep + have, sizeof rx - have) != 0)
        fz_fail("calibration wrote past res->size = %zu", R->size);
    if (have > offsetof(qpm_calib_result, outcome) &&
        (st == QPM_E_CANCELLED) != (R->outcome == QPM_CALIB_CANCELLED))
        fz_fail("calibration %s with outcome %d", qpm_status_name(st), (int)R->outcome);
    if (st == QPM_E_CANCELLED && pg.cancel_at == 0)
        fz_fail("QPM_E_CANCELLED without a cancelling callback");
    if (st == QPM_OK && o->progress != NULL && has_progress && !(pg.calls > 0 && pg.last == 1.0))
        fz_fail("progress did not end at 1 (%zu calls, last %.17g)", pg.calls, pg.last);
    double par[8] = {R->heston.v0,  R->heston.kappa, R->heston.theta, R->heston.sigma,
                     R->heston.rho, R->jumps.lambda, R->jumps.mu,     R->jumps.delta};
    size_t np = have >= offsetof(qpm_calib_result, rmse_volpts) ? 8 : 0;
    for (size_t k = 0; k < np; k++) {
        double a = o->lower && has_bounds ? lo[k] : DEF_LO[k];
        double b = o->upper && has_bounds ? hi[k] : DEF_HI[k];
        if (k >= 5 && !bates) {
            if (par[k] != 0.0)
                fz_fail("heston calibration: jumps %zu = %.17g, not 0", k, par[k]);
            continue;
        }
        if (!(par[k] >= a && par[k] <= b))
            fz_fail("fitted parameter %zu = %.17g outside its bounds [%.17g, %.17g]", k, par[k], a,
                    b);
    }
    if (np && bates && o->fix_jumps == 1 && osize >= offsetof(qpm_calib_options, max_iter) &&
        (R->jumps.lambda != sj.lambda || R->jumps.mu != sj.mu || R->jumps.delta != sj.delta))
        fz_fail("fix_jumps: the jumps moved");
    if (have >= sizeof *R) {
        if (!(isfinite(R->rmse_volpts) && R->rmse_volpts >= 0 && isfinite(R->max_vol_err_volpts) &&
              R->rmse_volpts <= R->max_vol_err_volpts * (1 + 1e-12) + 1e-300))
            fz_fail("calibration errors: rmse %.17g, max %.17g", R->rmse_volpts,
                    R->max_vol_err_volpts);
        if (!(isfinite(R->cost) && R->cost >= 0))
            fz_fail("calibration cost %.17g", R->cost);
        size_t mi = has_iter ? o->max_iter : 100;
        if (R->iterations > mi)
            fz_fail("%zu iterations, max_iter %zu", R->iterations, mi);
        if (R->feller !=
            (2.0 * R->heston.kappa * R->heston.theta > R->heston.sigma * R->heston.sigma))
            fz_fail("feller flag %d for kappa %.17g theta %.17g sigma %.17g", (int)R->feller,
                    R->heston.kappa, R->heston.theta, R->heston.sigma);
        if (R->outcome < 0 || R->outcome > 3)
            fz_fail("outcome %d", (int)R->outcome);
    }
    hash = fz_hash(hash, &rx, have);
    hash = fz_hash(hash, &pg.calls, sizeof pg.calls);
    fz_end(p, i, st, hash);
}

static void one_op(fz_pass *p, state *s, fz_in *in)
{
    uint8_t op = fz_u8(in) % 8;
    switch (op) {
    case 0:
    case 1:
    case 2:
        op_price(p, in);
        break;
    case 3:
    case 4:
        op_eval(p, in);
        break;
    case 5:
    case 6:
        op_smile(p, in);
        break;
    default:
        op_calibrate(p, s, in);
        break;
    }
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Pass A stops starting calls once it has run for BUDGET_S (a call near the
 * grid limit costs up to seconds under the sanitizers); pass B makes the
 * same calls, so that libFuzzer's 20-second limit holds for any input. */
#define BUDGET_S 1.0

static void run(fz_pass *p, void *vs, const uint8_t *data, size_t size)
{
    static size_t stop;
    state *s = vs;
    fz_in in;
    fz_init(&in, data, size);
    fz_alloc_init(&s->fa);
    double t0 = now_s();
    if (p->b == 0)
        stop = MAXOPS;
    while (fz_more(&in) && p->ops < stop) {
        one_op(p, s, &in);
        if (p->b == 0 && now_s() - t0 > BUDGET_S)
            stop = p->ops;
    }
    fz_check_freed(&s->fa);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static state s;
    fz_two_passes(run, &s, sizeof s, data, size);
    return 0;
}
