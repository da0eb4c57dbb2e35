/* Fuzz target: the pricing family (include/qpm/pricing.h).  A pricer of any
 * model and settlement (including invalid ones), its settings (threads,
 * kernels, the parallel threshold), batches and chains of any size (large
 * ones tiled from a few values, so that they split across threads), and
 * implied volatility of prices computed by the handle or drawn from the
 * input.  Beyond the common invariants: failed calls touch no output;
 * prices and deltas stay within their no-arbitrage bounds; a chain gives the
 * bits of the same batch; implied-vol element statuses agree with sigma and
 * with the call's status. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_support.h"

#define NMAX 2304 /* above QPM_PRICER_CHUNK (1024) twice */
#define NOUT 12

typedef struct batch {
    size_t n;
    double u[NMAX], k[NMAX], T[NMAX], r[NMAX], q[NMAX], sig[NMAX], price[NMAX];
    int32_t type[NMAX];
    int has_r, has_q;
} batch;

typedef struct state {
    fz_alloc fa;
    qpm_pricer *h;
    int model, settle; /* of h */
    double out[NOUT][NMAX];
    batch b;
    double iv[NMAX];
    int32_t ivst[NMAX];
} state;

static size_t draw_n(fz_in *in)
{
    uint8_t m = fz_u8(in);
    if (m < 200)
        return fz_range(in, 1, 24);
    if (m < 250)
        return fz_range(in, 1025, NMAX);
    return m == 250 ? 0 : fz_range(in, 1, NMAX);
}

static void draw_batch(fz_in *in, batch *b, size_t n, int bach)
{
    b->n = n;
    if (bach) {
        fz_fill(in, b->u, n, -200, 200);
        fz_fill(in, b->k, n, -200, 200);
        fz_fill(in, b->sig, n, 1e-2, 1e3);
    } else {
        fz_fill(in, b->u, n, 1e-3, 1e6);
        fz_fill(in, b->k, n, 1e-3, 1e6);
        fz_fill(in, b->sig, n, 1e-3, 5);
    }
    fz_fill(in, b->T, n, 1e-4, 30);
    fz_fill(in, b->r, n, -0.2, 0.3);
    fz_fill(in, b->q, n, -0.2, 0.3);
    uint8_t m = fz_u8(in);
    b->has_r = (m & 3) != 0;
    b->has_q = (m & 12) == 12;
    uint8_t tm = fz_u8(in);
    for (size_t i = 0; i < n; i++)
        b->type[i] =
            tm < 250 ? (((i * 7 + tm) >> 2) & 1 ? QPM_CALL : QPM_PUT) : (int32_t)(tm % 5) - 2;
}

/* out struct with the outputs selected by mask; a bad size sometimes */
static qpm_pricer_out make_out(state *s, uint16_t mask, uint8_t size_mode)
{
    qpm_pricer_out o;
    memset(&o, 0, sizeof o);
    o.size = size_mode < 250 ? sizeof o : size_mode == 250 ? 0 : sizeof o - sizeof(double *);
    double **f = &o.price;
    for (int j = 0; j < NOUT; j++)
        f[j] = (mask >> j) & 1 ? s->out[j] : NULL;
    return o;
}

/* The inputs of element i, for failure messages. */
static const char *element(const state *s, const batch *b, size_t i, int chain)
{
    static char buf[512];
    size_t j = chain ? 0 : i;
    double kernel = 0, threads = 0;
    qpm_pricer_get(s->h, QPM_PRICER_KERNEL, &kernel);
    qpm_pricer_get(s->h, QPM_PRICER_THREADS, &threads);
    snprintf(buf, sizeof buf,
             "model %d settle %d kernel %g threads %g U=%.17g K=%.17g T=%.17g r=%.17g q=%.17g "
             "sigma=%.17g "
             "type=%d",
             s->model, s->settle, kernel, threads, b->u[j], b->k[i], b->T[j],
             chain || b->has_r ? b->r[j] : 0.0, chain || b->has_q ? b->q[j] : 0.0, b->sig[i],
             (int)b->type[i]);
    return buf;
}

static double dmax(double a, double b)
{
    return a > b ? a : b;
}

/* Checks a QPM_OK batch against the contracts and the no-arbitrage bounds. */
static void check_prices(const state *s, const qpm_pricer_out *o, const batch *b, int chain)
{
    static const char *names[NOUT] = {"price", "delta", "gamma",     "vega",
                                      "theta", "rho",   "vanna",     "volga",
                                      "charm", "rho_q", "price_usd", "delta_coin"};
    const double *const *f = (const double *const *)&o->price;
    size_t n = b->n;
    for (int j = 0; j < NOUT; j++) {
        if (f[j] == NULL)
            continue;
        fz_contract_id id = j == 0 || j == 10 ? FZ_PRICE : FZ_PRICE_DELTA;
        /* gamma, theta, charm: their limits at T = 0 or sigma sqrt(T) = 0 */
        int limit = j == 2 || j == 4 || j == 8;
        for (size_t i = 0; i < n; i++) {
            double T = chain ? b->T[0] : b->T[i];
            fz_contract_id ie = limit && b->sig[i] * sqrt(T) == 0.0 ? FZ_PRICE_LIMIT : id;
            if (fz_bad(ie, &f[j][i], 1, 1, 0) >= 0)
                fz_contract_fail(ie, names[j], (long)i, f[j][i], element(s, b, i, chain));
        }
    }
    const double *price = o->price, *usd = o->price_usd, *delta = o->delta;
    for (size_t i = 0; i < n; i++) {
        double U = chain ? b->u[0] : b->u[i], K = b->k[i], T = chain ? b->T[0] : b->T[i];
        double r = chain ? b->r[0] : b->has_r ? b->r[i] : 0.0;
        double q = chain ? b->q[0] : b->has_q ? b->q[i] : 0.0;
        double dfr = exp(-r * T), dfq = s->model == 0 ? exp(-q * T) : 1.0;
        double F = s->model == 0 ? U * exp((r - q) * T) : U;
        int call = b->type[i] > 0;
        /* no-arbitrage upper bound of the USD value */
        double ub;
        if (s->model == 2)
            ub = dfr * (fabs(U) + fabs(K) + b->sig[i] * sqrt(T) + 1e-300);
        else
            ub = call ? (s->model == 0 ? U * dfq : F * dfr) : K * dfr;
        double tol = 1e-9;
        double v = usd ? usd[i] : (price && !s->settle ? price[i] : (double)NAN);
        /* a price whose bound is finite is finite: only a true value beyond
         * the double range may be +Inf */
        if (!isnan(v) && isfinite(ub) && !(v <= ub * (1 + tol) + 1e-300))
            fz_fail("price_usd[%zu] = %.17g above its bound %.17g; %s", i, v, ub,
                    element(s, b, i, chain));
        /* the coin bound ub / F formed without F: F overflows for an
         * underlying near DBL_MAX where the bound itself is e^-rT */
        double g = s->model == 0 ? exp((r - q) * T) : 1.0;
        double cb = call ? (s->model == 0 ? dfq / g : dfr) : (K / U) * dfr / g;
        if (price && s->settle && isfinite(cb) && !(price[i] <= cb * (1 + tol) + 1e-300))
            fz_fail("coin price[%zu] = %.17g above its bound %.17g; %s", i, price[i], cb,
                    element(s, b, i, chain));
        double db = 2 * dmax(1.0, dmax(dfr, dfq)) * (1 + tol);
        if (delta && isfinite(db) && !(fabs(delta[i]) <= db))
            fz_fail("delta[%zu] = %.17g beyond +-%.17g; %s", i, delta[i], db,
                    element(s, b, i, chain));
    }
}

static uint64_t hash_outs(const qpm_pricer_out *o, size_t n)
{
    uint64_t h = FZ_HASH0;
    double *const *f = &o->price;
    for (int j = 0; j < NOUT; j++)
        if (f[j] != NULL)
            h = fz_hash(h, f[j], n * sizeof(double));
    return h;
}

static void poison_outs(state *s, size_t n)
{
    for (int j = 0; j < NOUT; j++)
        fz_poison(s->out[j], n < NMAX ? n : NMAX);
}

static void untouched_outs(state *s, size_t n)
{
    for (int j = 0; j < NOUT; j++)
        fz_untouched(s->out[j], n < NMAX ? n : NMAX, "pricing output");
}

static void one_op(fz_pass *p, state *s, fz_in *in)
{
    uint8_t op = fz_u8(in) % 8;
    long arm = (fz_u8(in) % 8 == 0) ? (long)fz_range(in, 0, 3) : -1;
    qpm_status st;
    uint64_t hash = FZ_HASH0;
    long i;
    batch *b = &s->b;

    switch (op) {
    case 0: { /* (re)create */
        uint8_t m = fz_u8(in), se = fz_u8(in);
        int model = m < 250 ? m % 3 : (int)m - 252;
        int settle = se < 250 ? se % 2 : (int)se - 252;
        i = fz_op(p, "pricer create");
        if (fz_skip(p, i, 0))
            return;
        qpm_pricer *t = (qpm_pricer *)&hash;
        fz_arm_op(p, i, &s->fa, arm);
        st = FZ(qpm_pricer_create(&t, &s->fa.alloc, (qpm_model)model, (qpm_settlement)settle));
        fz_disarm(&s->fa);
        if (st != QPM_OK) {
            if (t != NULL)
                fz_fail("create failed but *out is not NULL");
        } else {
            qpm_pricer_free(s->h);
            s->h = t;
            s->model = model;
            s->settle = settle;
        }
        break;
    }
    case 1: { /* settings */
        uint8_t kb = fz_u8(in);
        int key = kb < 240 ? kb % 4 : (int)kb - 245;
        double lo = 0, hi = 0;
        if (key >= 0 && key <= 3)
            qpm_pricer_bounds((qpm_pricer_key)key, &lo, &hi);
        if (key == QPM_PRICER_THREADS)
            hi = 4; /* keep runs quick: valid values 1..4, bounds probed below */
        if (key == QPM_PRICER_PAR_MIN)
            hi = 3000;
        double v = fz_setting(in, lo, hi);
        if (key == QPM_PRICER_THREADS && fz_u8(in) == 255)
            v = 257;
        i = fz_op(p, "pricer set");
        if (fz_skip(p, i, 0))
            return;
        if (key == QPM_PRICER_THREADS)
            v = fz_threads(p, v);
        double before = (double)NAN, after = (double)NAN;
        if (s->h != NULL && key >= 0 && key <= 3)
            FZ(qpm_pricer_get(s->h, (qpm_pricer_key)key, &before));
        fz_arm_op(p, i, &s->fa, arm);
        st = FZ(qpm_pricer_set(s->h, (qpm_pricer_key)key, v));
        fz_disarm(&s->fa);
        if (s->h != NULL && key >= 0 && key <= 3) {
            FZ(qpm_pricer_get(s->h, (qpm_pricer_key)key, &after));
            if (st != QPM_OK && memcmp(&before, &after, sizeof before) != 0)
                fz_fail("failed set changed key %d from %g to %g", key, before, after);
            if (key != QPM_PRICER_THREADS)
                hash = fz_hash(hash, &after, sizeof after);
        }
        double blo, bhi;
        if (FZ(qpm_pricer_bounds((qpm_pricer_key)key, &blo, &bhi)) == QPM_OK && !(blo <= bhi))
            fz_fail("bounds of key %d: [%g, %g]", key, blo, bhi);
        double g;
        FZ(qpm_pricer_get(s->h, (qpm_pricer_key)key, &g));
        break;
    }
    case 2:
    case 3: { /* price a batch */
        size_t n = draw_n(in);
        int bach = s->model == 2;
        draw_batch(in, b, n ? n : 1, bach);
        b->n = n;
        uint16_t mask = fz_u16(in);
        uint8_t size_mode = fz_u8(in);
        uint8_t nulls = fz_u8(in);
        i = fz_op(p, "pricer price");
        if (fz_skip(p, i, 0))
            return;
        qpm_pricer_out o = make_out(s, mask, size_mode);
        poison_outs(s, n);
        const double *U = nulls == 1 ? NULL : b->u, *K = nulls == 2 ? NULL : b->k;
        const double *T = nulls == 3 ? NULL : b->T, *S = nulls == 4 ? NULL : b->sig;
        const int32_t *ty = nulls == 5 ? NULL : b->type;
        st = FZ(qpm_pricer_price(s->h, n, U, K, T, b->has_r ? b->r : NULL, b->has_q ? b->q : NULL,
                                 S, ty, nulls == 6 ? NULL : &o));
        if (st == QPM_E_OVERFLOW) {
            /* pricing.h: found while computing; the outputs are written */
        } else if (st != QPM_OK) {
            untouched_outs(s, n);
        } else {
            if (o.size < sizeof o && o.delta_coin != NULL) {
                /* pricing.h: fields past out->size count as NULL */
                fz_untouched(o.delta_coin, n, "delta_coin past out->size");
                o.delta_coin = NULL;
            }
            check_prices(s, &o, b, 0);
            hash = hash_outs(&o, n);
        }
        break;
    }
    case 4: { /* chain, and the same batch with the scalars repeated */
        size_t n = draw_n(in);
        int bach = s->model == 2;
        draw_batch(in, b, n ? n : 1, bach);
        b->n = n;
        double qv = fz_u8(in) < 128 ? 0.0 : b->q[0];
        uint16_t mask = fz_u16(in);
        i = fz_op(p, "pricer chain");
        if (fz_skip(p, i, 0))
            return;
        qpm_pricer_out o = make_out(s, mask, 0);
        poison_outs(s, n);
        b->q[0] = qv;
        st = FZ(qpm_pricer_price_chain(s->h, n, b->u[0], b->T[0], b->r[0], qv, b->k, b->sig,
                                       b->type, &o));
        if (st != QPM_OK) {
            if (st != QPM_E_OVERFLOW)
                untouched_outs(s, n);
            break;
        }
        check_prices(s, &o, b, 1);
        hash = hash_outs(&o, n);
        /* the batch form must give the same bits */
        static double keep[NOUT][NMAX];
        double *const *f = &o.price;
        for (int j = 0; j < NOUT; j++)
            if (f[j])
                memcpy(keep[j], f[j], n * sizeof(double));
        for (size_t e = 1; e < n; e++) {
            b->u[e] = b->u[0];
            b->T[e] = b->T[0];
            b->r[e] = b->r[0];
            b->q[e] = qv;
        }
        qpm_status st2 = FZ(qpm_pricer_price(s->h, n, b->u, b->k, b->T, b->r,
                                             s->model == 0 ? b->q : NULL, b->sig, b->type, &o));
        if (st2 != QPM_OK)
            fz_fail("chain QPM_OK but the same batch gives %s", qpm_status_name(st2));
        for (int j = 0; j < NOUT; j++)
            if (f[j] && memcmp(keep[j], f[j], n * sizeof(double)) != 0)
                fz_fail("chain output %d differs from the batch with repeated scalars", j);
        break;
    }
    case 5:
    case 6: { /* implied vol of the handle's own prices, or of drawn prices */
        size_t n = draw_n(in);
        int bach = s->model == 2;
        draw_batch(in, b, n ? n : 1, bach);
        b->n = n;
        int own = fz_u8(in) < 160;
        fz_fill(in, b->price, n ? n : 1, 1e-6, 1e4);
        uint8_t nulls = fz_u8(in);
        i = fz_op(p, "pricer implied_vol");
        if (fz_skip(p, i, 0))
            return;
        if (own && s->h != NULL && n > 0) {
            qpm_pricer_out o;
            memset(&o, 0, sizeof o);
            o.size = sizeof o;
            o.price = b->price;
            FZ(qpm_pricer_price(s->h, n, b->u, b->k, b->T, b->has_r ? b->r : NULL,
                                b->has_q ? b->q : NULL, b->sig, b->type, &o));
        }
        fz_poison(s->iv, n < NMAX ? n : NMAX);
        for (size_t e = 0; e < n && e < NMAX; e++)
            s->ivst[e] = 12345;
        int32_t *ivs = nulls == 7 ? NULL : s->ivst;
        st = FZ(qpm_pricer_implied_vol(s->h, n, nulls == 1 ? NULL : b->u, b->k, b->T,
                                       b->has_r ? b->r : NULL, b->has_q ? b->q : NULL,
                                       nulls == 5 ? NULL : b->type, nulls == 2 ? NULL : b->price,
                                       nulls == 3 ? NULL : s->iv, ivs));
        int input_error =
            st == QPM_E_NULL || st == QPM_E_SIZE || st == QPM_E_NONFINITE || st == QPM_E_INVALID;
        if (input_error) {
            fz_untouched(s->iv, n < NMAX ? n : NMAX, "sigma");
            break;
        }
        if (st != QPM_OK && st != QPM_E_ARBITRAGE && st != QPM_E_NOCONVERGE)
            fz_fail("implied_vol returned %s (pricing.h: per element QPM_OK, "
                    "QPM_E_ARBITRAGE or QPM_E_NOCONVERGE): %s",
                    qpm_status_name(st), qpm_last_error());
        qpm_status first = QPM_OK;
        for (size_t e = 0; e < n; e++) {
            int ok = !isnan(s->iv[e]);
            if (ivs && ivs[e] != QPM_OK && ivs[e] != QPM_E_ARBITRAGE && ivs[e] != QPM_E_NOCONVERGE)
                fz_fail("status[%zu] = %s (pricing.h: QPM_OK, QPM_E_ARBITRAGE or "
                        "QPM_E_NOCONVERGE); price %.17g; %s",
                        e, qpm_status_name((qpm_status)ivs[e]), b->price[e], element(s, b, e, 0));
            if (ivs && (ivs[e] == QPM_OK) != ok)
                fz_fail("status[%zu] = %s but sigma[%zu] = %.17g", e,
                        qpm_status_name((qpm_status)ivs[e]), e, s->iv[e]);
            if (ivs && ivs[e] == QPM_E_NOCONVERGE && s->model != 2) {
                /* pricing.h: a price outside its bounds is QPM_E_ARBITRAGE,
                 * checked here where the bound is plainly a double */
                double r = b->has_r ? b->r[e] : 0.0, q = b->has_q ? b->q[e] : 0.0;
                double F = s->model == 0 ? b->u[e] * exp((r - q) * b->T[e]) : b->u[e];
                double ub = (b->type[e] > 0 ? F : b->k[e]) * exp(-r * b->T[e]);
                double pu = s->settle ? b->price[e] * F : b->price[e];
                if (isfinite(ub) && isfinite(pu) && F > DBL_MIN && pu > 2 * ub)
                    fz_fail("status[%zu] = QPM_E_NOCONVERGE for a price above its bound %.17g "
                            "(pricing.h: QPM_E_ARBITRAGE); price %.17g; %s",
                            e, ub, b->price[e], element(s, b, e, 0));
            }
            if (ok)
                fz_expect(FZ_IV_SIGMA, "implied sigma", &s->iv[e], 1, 1, 0);
            if (!ok && first == QPM_OK)
                first = ivs ? (qpm_status)ivs[e] : st;
        }
        if (st != first)
            fz_fail("implied_vol returned %s, elements say %s", qpm_status_name(st),
                    qpm_status_name(first));
        hash = fz_hash(hash, s->iv, n * sizeof(double));
        if (ivs)
            hash = fz_hash(hash, ivs, n * sizeof(int32_t));
        break;
    }
    default: { /* getters and bounds with NULL and unknown keys */
        uint8_t kb = fz_u8(in);
        i = fz_op(p, "pricer get");
        if (fz_skip(p, i, 0))
            return;
        double v = 0, lo = 0, hi = 0;
        qpm_pricer_key key = (qpm_pricer_key)((int)(kb % 8) - 2);
        st = FZ(qpm_pricer_get(s->h, key, kb & 64 ? NULL : &v));
        if (st == QPM_OK && key != QPM_PRICER_THREADS)
            hash = fz_hash(hash, &v, sizeof v);
        FZ(qpm_pricer_bounds(key, kb & 128 ? NULL : &lo, &hi));
        break;
    }
    }
    fz_end(p, i, st, hash);
}

static void run(fz_pass *p, void *vs, const uint8_t *data, size_t size)
{
    state *s = vs;
    fz_in in;
    fz_init(&in, data, size);
    s->h = NULL;
    fz_alloc_init(&s->fa);
    while (fz_more(&in) && p->ops < FZ_MAX_OPS)
        one_op(p, s, &in);
    qpm_pricer_free(s->h);
    fz_check_freed(&s->fa);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static state s;
    fz_two_passes(run, &s, sizeof s, data, size);
    return 0;
}
