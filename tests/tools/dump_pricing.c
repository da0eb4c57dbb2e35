/* qpm_dump, family "pricing": for every model x settlement and every kernel
 * the CPU offers, all 12 outputs of every reference row (bsm, black76,
 * inverse files) through qpm_pricer_price, with output subsets, and through
 * qpm_pricer_price_chain; a random batch with near-cancelling, deep
 * out-of-the-money, limit and extreme elements on 1 and 2 threads; implied
 * vols of every iv row, of a round-trip grid and of the random batch (1 and
 * 2 threads) with their per-element statuses; settings; and the status and
 * message of bad inputs. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dump.h"

#define NOUT 12
static const char *out_names[NOUT] = {"price", "delta", "gamma",     "vega",
                                      "theta", "rho",   "vanna",     "volga",
                                      "charm", "rho_q", "price_usd", "delta_coin"};

/* every output, and subsets that take other paths through the kernels */
#define ALL_OUT 0xfffu
static const unsigned subsets[] = {0x001u, 0x002u, 0x01fu, 0xc00u, 0x1c4u};
static const char *subset_tag[] = {"price", "delta", "price_5greeks", "usd_coin", "2nd_order"};

typedef struct batch {
    size_t n;
    double *u, *k, *t, *r, *q, *sig; /* q NULL for the forward models */
    int32_t *type;
} batch;

static batch batch_new(size_t n, int with_q)
{
    batch b = {n, NULL, NULL, NULL, NULL, NULL, NULL, NULL};
    b.u = dump_alloc(n * sizeof *b.u);
    b.k = dump_alloc(n * sizeof *b.k);
    b.t = dump_alloc(n * sizeof *b.t);
    b.r = dump_alloc(n * sizeof *b.r);
    b.q = with_q ? dump_alloc(n * sizeof *b.q) : NULL;
    b.sig = dump_alloc(n * sizeof *b.sig);
    b.type = dump_alloc(n * sizeof *b.type);
    return b;
}

static void batch_free(batch *b)
{
    free(b->u);
    free(b->k);
    free(b->t);
    free(b->r);
    free(b->q);
    free(b->sig);
    free(b->type);
}

static int32_t type_code(const char *s)
{
    return strcmp(s, "call") == 0 ? QPM_CALL : QPM_PUT;
}

/* rows of bsm_public.csv (with_q) or of a forward file */
static batch load_rows(const char *file, int bsm)
{
    dump_csv *c = dump_csv_load(file);
    batch b = batch_new(c->nrows, bsm);
    size_t cu = dump_csv_col(c, bsm ? "S" : "F"), ck = dump_csv_col(c, "K"),
           ct = dump_csv_col(c, "T"), cr = dump_csv_col(c, "r"), cs = dump_csv_col(c, "sigma"),
           cy = dump_csv_col(c, "type");
    size_t cq = bsm ? dump_csv_col(c, "q") : 0;
    for (size_t i = 0; i < b.n; i++) {
        b.u[i] = dump_csv_num(c, i, cu);
        b.k[i] = dump_csv_num(c, i, ck);
        b.t[i] = dump_csv_num(c, i, ct);
        b.r[i] = dump_csv_num(c, i, cr);
        if (bsm)
            b.q[i] = dump_csv_num(c, i, cq);
        b.sig[i] = dump_csv_num(c, i, cs);
        b.type[i] = type_code(dump_csv_str(c, i, cy));
    }
    dump_csv_free(c);
    return b;
}

static void out_struct(qpm_pricer_out *o, double *buf, size_t n, unsigned mask)
{
    memset(o, 0, sizeof *o);
    o->size = sizeof *o;
    double **f[NOUT] = {&o->price, &o->delta, &o->gamma, &o->vega,  &o->theta,     &o->rho,
                        &o->vanna, &o->volga, &o->charm, &o->rho_q, &o->price_usd, &o->delta_coin};
    for (size_t j = 0; j < NOUT; j++)
        *f[j] = mask & (1u << j) ? buf + j * n : NULL;
}

static void dump_outputs(const char *name, const double *buf, size_t n, unsigned mask)
{
    char nm[DUMP_NAME];
    for (size_t j = 0; j < NOUT; j++)
        if (mask & (1u << j))
            dump_f64s(dump_name(nm, "%s.%s", name, out_names[j]), n, buf + j * n, 1);
}

/* qpm_pricer_price on the batch; buf (NOUT * n) keeps the outputs */
static void run_price(qpm_pricer *p, const char *name, const batch *b, unsigned mask, double *buf)
{
    qpm_pricer_out o;
    dump_fill(buf, NOUT * b->n);
    out_struct(&o, buf, b->n, mask);
    dump_status(name, qpm_pricer_price(p, b->n, b->u, b->k, b->t, b->r, b->q, b->sig, b->type, &o));
    dump_outputs(name, buf, b->n, mask);
}

/* qpm_pricer_price_chain on each run of rows sharing underlying, T, r, q */
static void run_chain(qpm_pricer *p, const char *name, const batch *b, double *buf)
{
    dump_fill(buf, NOUT * b->n);
    size_t groups = 0;
    qpm_status first_bad = QPM_OK;
    char msg[512] = "";
    for (size_t i = 0; i < b->n;) {
        size_t e = i + 1;
        while (e < b->n && b->u[e] == b->u[i] && b->t[e] == b->t[i] && b->r[e] == b->r[i] &&
               (b->q == NULL || b->q[e] == b->q[i]))
            e++;
        qpm_pricer_out o;
        memset(&o, 0, sizeof o);
        o.size = sizeof o;
        double **f[NOUT] = {&o.price, &o.delta, &o.gamma, &o.vega,  &o.theta,     &o.rho,
                            &o.vanna, &o.volga, &o.charm, &o.rho_q, &o.price_usd, &o.delta_coin};
        for (size_t j = 0; j < NOUT; j++)
            *f[j] = buf + j * b->n + i;
        qpm_status st =
            qpm_pricer_price_chain(p, e - i, b->u[i], b->t[i], b->r[i], b->q ? b->q[i] : 0.0,
                                   b->k + i, b->sig + i, b->type + i, &o);
        if (st != QPM_OK && first_bad == QPM_OK) {
            first_bad = st;
            strncpy(msg, qpm_last_error(), sizeof msg - 1);
        }
        groups++;
        i = e;
    }
    dump_i64k(name, "status", (long long)first_bad);
    if (first_bad != QPM_OK)
        dump_text(name, "message", msg);
    dump_u64k(name, "groups", groups);
    dump_outputs(name, buf, b->n, ALL_OUT);
}

/* Implied vols of prices[] for the batch's inputs. */
static void run_iv(qpm_pricer *p, const char *name, const batch *b, const double *prices)
{
    double *sig = dump_alloc(b->n * sizeof *sig);
    int32_t *st = dump_alloc(b->n * sizeof *st);
    dump_fill(sig, b->n);
    dump_fill_i32(st, b->n);
    char nm[DUMP_NAME];
    dump_status(name, qpm_pricer_implied_vol(p, b->n, b->u, b->k, b->t, b->r, b->q, b->type, prices,
                                             sig, st));
    dump_f64s(dump_name(nm, "%s.sigma", name), b->n, sig, 1);
    dump_name(nm, "%s.elem_status", name);
    for (size_t i = 0; i < b->n; i++)
        dump_i64(nm, i, st[i]);
    free(sig);
    free(st);
}

/* ---- random batch ----------------------------------------------------------
 * Ten kinds of element in turn: ordinary (4 of 10), deep in or out of the
 * money (5 to 38 standard deviations), near the money with a tiny sigma
 * sqrt(T) (the two Black terms cancel), 3 to 9 standard deviations, the
 * limits T = 0 and sigma = 0, extreme magnitudes, and large |r T|. */
static batch random_batch(qpm_model model, size_t n, uint64_t seed)
{
    int bsm = model == QPM_MODEL_BSM, bach = model == QPM_MODEL_BACHELIER;
    batch b = batch_new(n, bsm);
    dump_rand rg = {seed};
    for (size_t i = 0; i < n; i++) {
        unsigned cat = (unsigned)(i % 10);
        double U = dump_rand_logrange(&rg, 1.0, 1e5);
        double T = dump_rand_logrange(&rg, 1.0 / 8760, 5.0);
        double sig = dump_rand_range(&rg, 0.05, 2.5);
        double r = dump_rand_range(&rg, -0.02, 0.1), q = dump_rand_range(&rg, -0.05, 0.15);
        double sd = dump_rand_range(&rg, -2.0, 2.0);
        switch (cat) {
        case 4:
            sd = (dump_rand_unif(&rg) < 0.5 ? -1.0 : 1.0) * dump_rand_range(&rg, 5.0, 38.0);
            break;
        case 5:
            sig = dump_rand_logrange(&rg, 1e-4, 0.05);
            T = dump_rand_logrange(&rg, 1e-4, 1.0);
            sd = dump_rand_range(&rg, -1.0, 1.0) * dump_rand_logrange(&rg, 1e-14, 1e-2);
            break;
        case 6:
            sd = (dump_rand_unif(&rg) < 0.5 ? -1.0 : 1.0) * dump_rand_range(&rg, 3.0, 9.0);
            break;
        case 7:
            if (i % 3 != 1)
                T = 0.0;
            if (i % 3 != 0)
                sig = 0.0;
            sd = dump_rand_unif(&rg) < 0.25 ? 0.0 : dump_rand_range(&rg, -0.3, 0.3);
            break;
        case 8:
            U = dump_rand_logrange(&rg, 1e-8, 1e12);
            sig = dump_rand_logrange(&rg, 1e-3, 10.0);
            T = dump_rand_logrange(&rg, 1e-6, 50.0);
            r = dump_rand_range(&rg, -0.5, 0.5);
            q = dump_rand_range(&rg, -0.5, 0.5);
            break;
        case 9:
            T = dump_rand_range(&rg, 10.0, 100.0);
            r = dump_rand_range(&rg, -3.0, 3.0);
            q = dump_rand_range(&rg, -3.0, 3.0);
            break;
        default:
            break;
        }
        b.type[i] = dump_rand_unif(&rg) < 0.5 ? QPM_CALL : QPM_PUT;
        b.t[i] = T;
        b.r[i] = r;
        if (bach) {
            /* normal model: any sign, sigma in price units */
            double F = (U - 5e4) * 1e-3 * (cat == 8 ? 1e6 : 1.0);
            double sn = sig * 100.0 * (cat == 8 ? 1e3 : 1.0);
            b.u[i] = F;
            b.sig[i] = sn;
            b.k[i] = cat == 7 && sd == 0.0 ? F : F + sd * sn * sqrt(T > 0.0 ? T : 1.0);
            continue;
        }
        double F = bsm ? U * exp((r - q) * T) : U;
        b.u[i] = U;
        b.sig[i] = sig;
        if (bsm)
            b.q[i] = q;
        double vol = sig * sqrt(T);
        double K = F * exp(sd * (vol > 0.0 ? vol : 0.1));
        b.k[i] = cat == 7 && sd == 0.0 ? F : K;
    }
    return b;
}

/* ---- implied-vol inputs ------------------------------------------------------ */

/* iv_public.csv rows as the model and settlement of the combo: F and the
 * USD price as given (Black-76 linear), the coin price price / F (inverse),
 * spot S = F e^{-r T} (BSM, q = 0); the Bachelier model reads them as is. */
static batch iv_rows(qpm_model model, qpm_settlement settle, double **prices)
{
    dump_csv *c = dump_csv_load("iv_public.csv");
    int bsm = model == QPM_MODEL_BSM;
    batch b = batch_new(c->nrows, bsm);
    size_t cf = dump_csv_col(c, "F"), ck = dump_csv_col(c, "K"), ct = dump_csv_col(c, "T"),
           cr = dump_csv_col(c, "r"), cy = dump_csv_col(c, "type"), cp = dump_csv_col(c, "price");
    *prices = dump_alloc(b.n * sizeof **prices);
    for (size_t i = 0; i < b.n; i++) {
        double F = dump_csv_num(c, i, cf), T = dump_csv_num(c, i, ct), r = dump_csv_num(c, i, cr);
        b.k[i] = dump_csv_num(c, i, ck);
        b.t[i] = T;
        b.r[i] = r;
        b.type[i] = type_code(dump_csv_str(c, i, cy));
        b.sig[i] = 0.0;
        b.u[i] = bsm ? F * exp(-r * T) : F;
        if (bsm)
            b.q[i] = 0.0;
        double pr = dump_csv_num(c, i, cp);
        (*prices)[i] = settle == QPM_SETTLE_INVERSE ? pr / F : pr;
    }
    dump_csv_free(c);
    return b;
}

/* strikes x expiries x vols x types around an underlying of 100 */
static batch iv_grid(qpm_model model)
{
    static const double kf[] = {0.5, 0.8, 0.95, 1.0, 1.05, 1.25, 2.0};
    static const double ts[] = {1.0 / 365, 0.1, 1.0, 5.0};
    static const double vs[] = {0.05, 0.3, 1.0, 3.0};
    int bsm = model == QPM_MODEL_BSM, bach = model == QPM_MODEL_BACHELIER;
    batch b = batch_new(7 * 4 * 4 * 2, bsm);
    size_t i = 0;
    for (size_t a = 0; a < 7; a++)
        for (size_t t = 0; t < 4; t++)
            for (size_t v = 0; v < 4; v++)
                for (int y = 0; y < 2; y++, i++) {
                    b.u[i] = 100.0;
                    b.k[i] = 100.0 * kf[a];
                    b.t[i] = ts[t];
                    b.r[i] = 0.03;
                    if (bsm)
                        b.q[i] = 0.01;
                    b.sig[i] = bach ? 100.0 * vs[v] : vs[v];
                    b.type[i] = y ? QPM_PUT : QPM_CALL;
                }
    return b;
}

/* ---- per combo ------------------------------------------------------------- */

struct combo {
    qpm_model model;
    qpm_settlement settle;
    const char *tag;
    const char *ref_file; /* reference rows priced with this combo */
};

static const struct combo combos[] = {
    {QPM_MODEL_BSM, QPM_SETTLE_LINEAR, "bsm_linear", "bsm_public.csv"},
    {QPM_MODEL_BSM, QPM_SETTLE_INVERSE, "bsm_inverse", "bsm_public.csv"},
    {QPM_MODEL_BLACK76, QPM_SETTLE_LINEAR, "black76_linear", "black76_public.csv"},
    {QPM_MODEL_BLACK76, QPM_SETTLE_INVERSE, "black76_inverse", "inverse_public.csv"},
    {QPM_MODEL_BACHELIER, QPM_SETTLE_LINEAR, "bachelier_linear", "black76_public.csv"},
};

#define BATCH_N 2100 /* two full chunks of 1024 and a tail: split on 2 threads */

static void run_combo(const struct combo *cb, unsigned kernels, size_t ci)
{
    char nm[DUMP_NAME], base[DUMP_NAME];
    qpm_pricer *p = NULL;
    if (dump_status(dump_name(nm, "pricing.%s.create", cb->tag),
                    qpm_pricer_create(&p, NULL, cb->model, cb->settle)) != QPM_OK)
        return;
    int bsm = cb->model == QPM_MODEL_BSM, bach = cb->model == QPM_MODEL_BACHELIER;
    batch ref = load_rows(cb->ref_file, bsm);
    if (bach) /* a normal vol of the same size as the lognormal one */
        for (size_t i = 0; i < ref.n; i++)
            ref.sig[i] *= ref.u[i];
    batch rnd = random_batch(cb->model, BATCH_N, 0x7072696365000000ull + ci);
    /* the same batch for implied vols, which need T > 0 */
    batch rnd_iv = random_batch(cb->model, BATCH_N, 0x7072696365000000ull + ci);
    for (size_t i = 0; i < rnd_iv.n; i++)
        if (rnd_iv.t[i] == 0.0)
            rnd_iv.t[i] = 1.0 / 8760;
    double *prices_iv = NULL;
    batch ivr = iv_rows(cb->model, cb->settle, &prices_iv);
    batch grid = iv_grid(cb->model);
    size_t maxn = ref.n > rnd.n ? ref.n : rnd.n;
    double *buf = dump_alloc(NOUT * maxn * sizeof *buf);
    double *rnd_price = dump_alloc(rnd.n * sizeof *rnd_price);

    for (int k = 1; k <= 3; k++) {
        if (!(kernels & (1u << k)))
            continue;
        if (dump_status(dump_name(nm, "pricing.%s.k%d.set_kernel", cb->tag, k),
                        qpm_pricer_set(p, QPM_PRICER_KERNEL, k)) != QPM_OK)
            continue;
        dump_name(base, "pricing.%s.k%d", cb->tag, k);
        run_price(p, dump_name(nm, "%s.ref", base), &ref, ALL_OUT, buf);
        for (size_t s = 0; s < sizeof subsets / sizeof subsets[0]; s++)
            run_price(p, dump_name(nm, "%s.ref_%s", base, subset_tag[s]), &ref, subsets[s], buf);
        run_chain(p, dump_name(nm, "%s.ref_chain", base), &ref, buf);

        qpm_pricer_set(p, QPM_PRICER_PAR_MIN, 1024);
        run_price(p, dump_name(nm, "%s.batch_iv_price", base), &rnd_iv, 0x001u, buf);
        memcpy(rnd_price, buf, rnd_iv.n * sizeof *rnd_price);
        for (int th = 1; th <= 2; th++) {
            dump_status(dump_name(nm, "%s.threads%d", base, th),
                        qpm_pricer_set(p, QPM_PRICER_THREADS, th));
            run_price(p, dump_name(nm, "%s.batch_t%d", base, th), &rnd, ALL_OUT, buf);
            run_iv(p, dump_name(nm, "%s.batch_iv_t%d", base, th), &rnd_iv, rnd_price);
        }
        qpm_pricer_set(p, QPM_PRICER_THREADS, 1);
        qpm_pricer_set(p, QPM_PRICER_PAR_MIN, 4096);

        run_iv(p, dump_name(nm, "%s.iv_ref", base), &ivr, prices_iv);
        run_price(p, dump_name(nm, "%s.iv_grid", base), &grid, 0x001u, buf);
        memcpy(rnd_price, buf, grid.n * sizeof *rnd_price);
        run_iv(p, dump_name(nm, "%s.iv_grid_iv", base), &grid, rnd_price);
    }
    free(buf);
    free(rnd_price);
    free(prices_iv);
    batch_free(&ref);
    batch_free(&rnd);
    batch_free(&rnd_iv);
    batch_free(&ivr);
    batch_free(&grid);
    qpm_pricer_free(p);
}

/* ---- settings and errors ---------------------------------------------------- */

static void settings(void)
{
    char nm[DUMP_NAME];
    for (int key = -1; key <= 4; key++) {
        double lo = dump_sentinel(), hi = dump_sentinel();
        dump_status(dump_name(nm, "pricing.bounds.%d", key),
                    qpm_pricer_bounds((qpm_pricer_key)key, &lo, &hi));
        dump_f64k(nm, "lo", lo);
        dump_f64k(nm, "hi", hi);
    }
    qpm_pricer *p = NULL;
    if (qpm_pricer_create(&p, NULL, QPM_MODEL_BLACK76, QPM_SETTLE_LINEAR) != QPM_OK)
        return;
    for (int key = -1; key <= 4; key++) {
        double v = dump_sentinel();
        dump_status(dump_name(nm, "pricing.get.%d", key),
                    qpm_pricer_get(p, (qpm_pricer_key)key, &v));
        dump_f64k(nm, "value", v);
    }
    static const struct {
        int key;
        double v;
    } sets[] = {{99, 1.0},        {-1, 1.0}, {3, 1024.0}, {0, 0.0}, {0, 1.5}, {0, 1e9},
                {0, (double)NAN}, {1, 4.0},  {1, -1.0},   {1, 0.0}, {2, 0.0}, {2, 0.5},
                {2, 1e300},       {0, 2.0},  {2, 1.0},    {1, 1.0}, {0, 1.0}};
    for (size_t k = 0; k < sizeof sets / sizeof sets[0]; k++) {
        dump_status(dump_name(nm, "pricing.set.%zu", k),
                    qpm_pricer_set(p, (qpm_pricer_key)sets[k].key, sets[k].v));
        for (int key = 0; key <= 3; key++) {
            double v = dump_sentinel();
            char kn[16];
            snprintf(kn, sizeof kn, "get%d", key);
            qpm_pricer_get(p, (qpm_pricer_key)key, &v);
            dump_f64k(nm, kn, v);
        }
    }
    qpm_pricer_free(p);
}

/* A batch of 24 good inputs with one field spoiled per case. */
static void errors(void)
{
    char nm[DUMP_NAME];
    static const int cm[][2] = {{7, 0}, {0, 5}, {2, 1}, {-1, 0}};
    for (size_t k = 0; k < sizeof cm / sizeof cm[0]; k++) {
        qpm_pricer *p = (qpm_pricer *)&nm; /* must come back NULL */
        dump_status(dump_name(nm, "pricing.err.create_%zu", k),
                    qpm_pricer_create(&p, NULL, (qpm_model)cm[k][0], (qpm_settlement)cm[k][1]));
        dump_i64k(nm, "out_null", p == NULL);
        if (p != (qpm_pricer *)&nm)
            qpm_pricer_free(p);
    }
    dump_status("pricing.err.create_null", qpm_pricer_create(NULL, NULL, 0, 0));

    enum { N = 24 };
    for (int m = 0; m < 3; m++) {
        qpm_pricer *p = NULL;
        if (qpm_pricer_create(&p, NULL, (qpm_model)m, QPM_SETTLE_LINEAR) != QPM_OK)
            continue;
        static const char *mt[3] = {"bsm", "black76", "bachelier"};
        for (int c = 0; c < 27; c++) {
            double u[N], k[N], t[N], r[N], q[N], s[N], pr[N], o[N], o2[N], iv[N];
            int32_t y[N], ist[N];
            for (int i = 0; i < N; i++) {
                u[i] = 100.0 + i;
                k[i] = 90.0 + 2 * i;
                t[i] = 0.25 + 0.01 * i;
                r[i] = 0.03;
                q[i] = 0.01;
                s[i] = 0.4;
                y[i] = i % 2 ? QPM_PUT : QPM_CALL;
                pr[i] = 12.0 + 0.1 * i;
            }
            dump_fill(o, N);
            dump_fill(o2, N);
            dump_fill(iv, N);
            dump_fill_i32(ist, N);
            const double *qp = m == 0 ? q : NULL, *rp = r;
            qpm_pricer_out out = {.size = sizeof out, .price = o, .delta = o2};
            qpm_status st = QPM_OK;
            size_t n = N;
            const double *up = u, *kp = k, *tp = t, *sp = s;
            const int32_t *yp = y;
            const qpm_pricer_out *op = &out;
            union {
                qpm_pricer_out o;
                unsigned char b[sizeof(qpm_pricer_out) + 16];
            } big;
            int iv_call = 0, chain = 0;
            double cu = 100.0, ct = 0.25, cr = 0.03, cq = m == 0 ? 0.01 : 0.0;
            switch (c) {
            case 0:
                k[17] = -5.0;
                break;
            case 1:
                u[3] = (double)NAN;
                break;
            case 2:
                t[5] = -1.0;
                break;
            case 3:
                s[8] = -0.1;
                break;
            case 4:
                y[2] = 0;
                break;
            case 5: /* q given to a forward model */
                qp = q;
                break;
            case 6:
                r[4] = 800.0, t[4] = 1.0;
                break;
            case 7:
                q[6] = -3000.0, qp = q;
                break;
            case 8:
                n = 0;
                break;
            case 9:
                op = NULL;
                break;
            case 10:
                out.size = 0;
                break;
            case 11:
                out.size = sizeof out - 3;
                break;
            case 12: /* a newer caller's struct with a field this library lacks */
                memset(&big, 0, sizeof big);
                big.o = out;
                big.o.size = sizeof big.b;
                big.b[sizeof out + 3] = 1;
                op = &big.o;
                break;
            case 13:
                kp = NULL;
                break;
            case 14:
                u[0] = (double)INFINITY;
                break;
            case 15:
                sp = NULL;
                break;
            case 16:
                yp = NULL;
                break;
            case 17:
                s[23] = (double)NAN;
                break;
            case 18:
                chain = 1, k[9] = 0.0;
                break;
            case 19:
                chain = 1, cu = 0.0;
                break;
            case 20:
                chain = 1, ct = (double)NAN;
                break;
            case 21:
                chain = 1, cq = 0.5;
                break;
            case 22:
                chain = 1, cr = 3000.0;
                break;
            case 23:
                iv_call = 1, t[3] = 0.0;
                break;
            case 24:
                iv_call = 1, pr[5] = (double)NAN;
                break;
            case 25:
                iv_call = 1, pr[7] = 1e6, pr[11] = -1.0;
                break;
            case 26: /* an older, shorter struct: fields past size are not written */
                out.size = offsetof(qpm_pricer_out, gamma);
                out.gamma = iv;
                break;
            default:
                break;
            }
            if (iv_call)
                st = qpm_pricer_implied_vol(p, n, up, kp, tp, rp, qp, yp, pr, iv, ist);
            else if (chain)
                st = qpm_pricer_price_chain(p, n, cu, ct, cr, cq, kp, sp, yp, op);
            else
                st = qpm_pricer_price(p, n, up, kp, tp, rp, qp, sp, yp, op);
            dump_status(dump_name(nm, "pricing.err.%s.%d", mt[m], c), st);
            dump_f64s(dump_name(nm, "pricing.err.%s.%d.price", mt[m], c), N, o, 1);
            dump_f64s(dump_name(nm, "pricing.err.%s.%d.delta", mt[m], c), N, o2, 1);
            dump_f64s(dump_name(nm, "pricing.err.%s.%d.third", mt[m], c), N, iv, 1);
            dump_name(nm, "pricing.err.%s.%d.elem_status", mt[m], c);
            for (int i = 0; i < N; i++)
                dump_i64(nm, (size_t)i, ist[i]);
        }
        qpm_pricer_free(p);
    }
    dump_status("pricing.err.price_null_handle",
                qpm_pricer_price(NULL, 1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL));
}

unsigned dump_pricer_kernels(void)
{
    unsigned mask = 0;
    qpm_pricer *p = NULL;
    if (qpm_pricer_create(&p, NULL, QPM_MODEL_BLACK76, QPM_SETTLE_LINEAR) != QPM_OK)
        return 0;
    for (int k = 1; k <= 3; k++)
        if (qpm_pricer_set(p, QPM_PRICER_KERNEL, k) == QPM_OK)
            mask |= 1u << k;
    qpm_pricer_free(p);
    qpm_clear_error();
    return mask;
}

void dump_pricing(void)
{
    unsigned kernels = dump_pricer_kernels();
    for (int k = 1; k <= 3; k++) {
        char nm[DUMP_NAME];
        dump_i64k(dump_name(nm, "pricing.kernels.%d", k), "available", (kernels >> k) & 1u);
    }
    for (size_t c = 0; c < sizeof combos / sizeof combos[0]; c++)
        run_combo(&combos[c], kernels, c);
    settings();
    errors();
}
