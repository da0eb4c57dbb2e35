/* Fuzz target: the surface family (include/qpm/surface.h, experimental):
 * slices set from drawn SVI parameters, raw SVI fits of drawn quotes (vols
 * or linear or coin-settled prices, mid or bid/ask, weights, the
 * no-butterfly flag), SSVI fits of a few expiries, the checks and the
 * queries.  Beyond the common invariants: a failing call leaves the
 * surface as it was (its slices hashed before and after) and its outputs
 * untouched; queries give finite total variances >= 0 with vol^2 T = w
 * and positive forwards; a slice's report passes its own butterfly flag;
 * allocation failures anywhere. */
#define QPM_EXPERIMENTAL
#include <math.h>
#include <string.h>

#include "fuzz_support.h"
#include "qpm/pricing.h"
#include "qpm/surface.h"

#define MAXQ 24
#define MAXE 4

typedef struct state {
    fz_alloc fa;
    qpm_surface *h;
} state;

/* every slice's expiry, forward and parameters */
static uint64_t observe(const state *s)
{
    uint64_t h = FZ_HASH0;
    size_t n = qpm_surface_n_slices(s->h);
    h = fz_hash(h, &n, sizeof n);
    for (size_t i = 0; i < n; i++) {
        double T, F;
        qpm_svi p;
        if (qpm_surface_slice(s->h, i, &T, &F, &p, NULL) != QPM_OK)
            fz_fail("slice %zu of %zu unreadable", i, n);
        h = fz_hash(h, &T, sizeof T);
        h = fz_hash(h, &F, sizeof F);
        h = fz_hash(h, &p, sizeof p);
    }
    return h;
}

/* quotes of one expiry: strikes around F (sometimes out of order), vols
 * from an SVI-like smile with noise, or Black-76 prices of them */
typedef struct quotes {
    double K[MAXQ], mid[MAXQ], bid[MAXQ], ask[MAXQ], w[MAXQ];
    int32_t ty[MAXQ];
    qpm_smile_quotes q;
} quotes;

static void draw_quotes(fz_in *in, quotes *z, double T, double F)
{
    size_t n = fz_u8(in) < 245 ? fz_range(in, 1, MAXQ) : 0;
    uint8_t how = fz_u8(in);
    double base = fz_real(in, 0.05, 2.0), skew = fz_real(in, -0.5, 0.5);
    double curv = fz_real(in, 0, 2), width = fz_real(in, 0.05, 1.5);
    double noise = how & 1 ? fz_real(in, 0, 0.05) : 0.0;
    for (size_t i = 0; i < MAXQ; i++) {
        double k = -width + 2 * width * ((double)i + 0.5) / MAXQ;
        if ((how & 2) && i == 3)
            k = -k; /* out of order */
        z->K[i] = F * exp(k);
        double v = base * (1 + skew * k + curv * k * k) + noise * (fz_real(in, -1, 1));
        z->mid[i] = v;
        z->ty[i] = k >= 0 ? QPM_CALL : QPM_PUT;
        z->w[i] = fz_real(in, 0, 2);
    }
    if (how & 4) { /* one special value somewhere */
        size_t j = fz_range(in, 0, MAXQ - 1);
        z->mid[j] = fz_special(in);
    }
    int prices = (how >> 3) & 1, inverse = (how >> 4) & 1;
    if (prices) {
        qpm_pricer *pr;
        if (qpm_pricer_create(&pr, NULL, QPM_MODEL_BLACK76,
                              inverse ? QPM_SETTLE_INVERSE : QPM_SETTLE_LINEAR) == QPM_OK) {
            qpm_pricer_out o;
            memset(&o, 0, sizeof o);
            o.size = sizeof o;
            double out[MAXQ];
            o.price = out;
            double vv[MAXQ];
            for (size_t i = 0; i < MAXQ; i++)
                vv[i] = isfinite(z->mid[i]) && z->mid[i] > 0 ? z->mid[i] : 0.5;
            for (size_t i = 0; i < MAXQ; i++) {
                double one;
                o.price = &one;
                if (qpm_pricer_price(pr, 1, &F, &z->K[i], &T, NULL, NULL, &vv[i], &z->ty[i], &o) ==
                    QPM_OK)
                    out[i] = one;
                else
                    out[i] = 0.0;
            }
            for (size_t i = 0; i < MAXQ; i++)
                z->mid[i] = (how & 4) && !isfinite(z->mid[i]) ? z->mid[i] : out[i];
            qpm_pricer_free(pr);
        }
    }
    double spread = fz_real(in, 0, 0.2);
    for (size_t i = 0; i < MAXQ; i++) {
        z->bid[i] = z->mid[i] * (1 - spread);
        z->ask[i] = z->mid[i] * (1 + spread);
    }
    if (how & 32) /* crossed */
        z->bid[0] = z->ask[0] * 2 + 1;
    memset(&z->q, 0, sizeof z->q);
    z->q.size = (how & 0xC0) == 0xC0 ? sizeof(size_t) : sizeof z->q;
    z->q.n = n;
    z->q.strike = z->K;
    z->q.kind = prices ? QPM_QUOTE_PRICE : QPM_QUOTE_VOL;
    if (how & 64) {
        z->q.bid = z->bid, z->q.ask = z->ask;
    } else {
        z->q.mid = z->mid;
    }
    z->q.type = z->ty;
    z->q.weight = (how & 128) ? z->w : NULL;
    z->q.settlement = inverse ? QPM_SETTLE_INVERSE : QPM_SETTLE_LINEAR;
}

static void one_op(fz_pass *p, state *s, fz_in *in)
{
    uint8_t op = fz_u8(in) % 7;
    long arm = (fz_u8(in) % 8 == 0) ? (long)fz_range(in, 0, 12) : -1;
    qpm_status st = QPM_OK;
    uint64_t hash = FZ_HASH0;
    long i;
    if (s->h == NULL && op != 0)
        op = 0;
    switch (op) {
    case 0: { /* (re)create */
        i = fz_op(p, "surface create");
        if (fz_skip(p, i, 0))
            return;
        qpm_surface *t = (qpm_surface *)&hash;
        fz_arm_op(p, i, &s->fa, arm);
        st = FZ(qpm_surface_create(&t, &s->fa.alloc));
        fz_disarm(&s->fa);
        if (st != QPM_OK) {
            if (t != NULL)
                fz_fail("create failed but *out is not NULL");
        } else {
            qpm_surface_free(s->h);
            s->h = t;
        }
        break;
    }
    case 1: { /* a slice from parameters */
        double T = fz_u8(in) < 245 ? fz_real(in, 1e-4, 30) : fz_special(in);
        double F = fz_u8(in) < 245 ? fz_real(in, 1e-3, 1e7) : fz_special(in);
        qpm_svi q = {fz_real(in, -0.2, 1), fz_real(in, 0, 1.5), fz_real(in, -1.1, 1.1),
                     fz_real(in, -1, 1), fz_real(in, -0.1, 1.5)};
        i = fz_op(p, "surface set_slice");
        if (fz_skip(p, i, 0))
            return;
        uint64_t before = observe(s);
        fz_arm_op(p, i, &s->fa, arm);
        st = FZ(qpm_surface_set_slice(s->h, T, F, &q));
        fz_disarm(&s->fa);
        if (st != QPM_OK && observe(s) != before)
            fz_fail("failed set_slice changed the surface");
        hash = observe(s);
        break;
    }
    case 2: { /* fit a slice */
        double T = fz_real(in, 1e-3, 5), F = fz_real(in, 1, 1e6);
        static quotes z;
        draw_quotes(in, &z, T, F);
        unsigned flags = fz_u8(in) < 64 ? QPM_SVI_NO_BUTTERFLY : 0u;
        qpm_svi_report rep;
        memset(&rep, 0x5a, sizeof rep);
        rep.size = sizeof rep;
        qpm_svi_report keep = rep;
        i = fz_op(p, "surface fit_slice");
        if (fz_skip(p, i, 0))
            return;
        uint64_t before = observe(s);
        fz_arm_op(p, i, &s->fa, arm);
        st = FZ(qpm_surface_fit_slice(s->h, T, F, &z.q, flags, &rep));
        fz_disarm(&s->fa);
        if (st != QPM_OK) {
            if (observe(s) != before)
                fz_fail("failed fit_slice changed the surface");
            if (memcmp(&rep, &keep, sizeof rep) != 0)
                fz_fail("failed fit_slice wrote its report");
            break;
        }
        if ((flags & QPM_SVI_NO_BUTTERFLY) && !rep.butterfly_ok)
            fz_fail("a no-butterfly fit failed its butterfly check");
        if (!(rep.rmse_volpts >= 0 && rep.max_err_volpts >= rep.rmse_volpts * (1 - 1e-12)))
            fz_fail("fit report: rmse %.17g, max %.17g", rep.rmse_volpts, rep.max_err_volpts);
        hash = observe(s);
        break;
    }
    case 3: { /* SSVI over a few expiries */
        size_t ne = fz_range(in, 1, MAXE);
        double T[MAXE], F[MAXE];
        static quotes z[MAXE];
        qpm_smile_quotes q[MAXE];
        double t0 = fz_real(in, 1e-3, 1);
        for (size_t e = 0; e < MAXE; e++) {
            T[e] = t0 * (double)(e + 1) * (fz_u8(in) < 250 ? 1.0 : 0.5);
            F[e] = fz_real(in, 1, 1e5);
            draw_quotes(in, &z[e], T[e], F[e]);
            q[e] = z[e].q;
        }
        qpm_ssvi par;
        double theta[MAXE];
        qpm_ssvi_report rep;
        memset(&rep, 0, sizeof rep);
        rep.size = sizeof rep;
        fz_poison(theta, MAXE);
        i = fz_op(p, "surface fit_ssvi");
        if (fz_skip(p, i, 0))
            return;
        uint64_t before = observe(s);
        fz_arm_op(p, i, &s->fa, arm);
        st = FZ(qpm_surface_fit_ssvi(s->h, ne, T, F, q, &par, theta, &rep));
        fz_disarm(&s->fa);
        if (st != QPM_OK) {
            if (observe(s) != before)
                fz_fail("failed fit_ssvi changed the surface");
            fz_untouched(theta, MAXE, "fit_ssvi theta");
            break;
        }
        fz_expect(FZ_SURFACE_W, "ssvi theta", theta, ne, 1, 0);
        for (size_t e = 1; e < ne; e++)
            if (theta[e] < theta[e - 1])
                fz_fail("ssvi theta decreases at %zu", e);
        hash = observe(s);
        break;
    }
    case 4: { /* checks */
        qpm_surface_check_report r;
        memset(&r, 0, sizeof r);
        r.size = fz_u8(in) < 250 ? sizeof r : sizeof(size_t);
        i = fz_op(p, "surface check");
        if (fz_skip(p, i, 0))
            return;
        st = FZ(qpm_surface_check(s->h, &r));
        if (st == QPM_OK)
            hash = fz_hash(hash, &r.butterfly_ok, sizeof r.butterfly_ok);
        break;
    }
    default: { /* queries */
        size_t n = fz_u8(in) < 250 ? fz_range(in, 1, 8) : 0;
        double T[8], x[8], w[8], v[8], F[8];
        for (size_t k = 0; k < 8; k++) {
            T[k] = fz_u8(in) < 240 ? fz_real(in, 1e-4, 40) : fz_special(in);
            x[k] = fz_u8(in) < 240 ? fz_real(in, -4, 4) : fz_special(in);
        }
        int by_k = fz_u8(in) & 1;
        if (!by_k)
            for (size_t k = 0; k < 8; k++)
                x[k] = isfinite(x[k]) ? 1e4 * exp(x[k]) : x[k];
        fz_poison(w, 8), fz_poison(v, 8), fz_poison(F, 8);
        i = fz_op(p, "surface query");
        if (fz_skip(p, i, 0))
            return;
        st = FZ(by_k ? qpm_surface_total_variance_k(s->h, n, T, x, w)
                     : qpm_surface_total_variance(s->h, n, T, x, w));
        if (st != QPM_OK) {
            if (st != QPM_E_OVERFLOW) /* found while computing: earlier points written */
                fz_untouched(w, 8, "total variance");
            break;
        }
        qpm_status s2 =
            FZ(by_k ? qpm_surface_vol_k(s->h, n, T, x, v) : qpm_surface_vol(s->h, n, T, x, v));
        qpm_status s3 = FZ(qpm_surface_forward(s->h, n, T, F));
        if (s2 == QPM_E_OVERFLOW) /* w fits, w / T does not */
            break;
        if (s2 != QPM_OK || s3 != QPM_OK)
            fz_fail("vol or forward refused what total variance took (%d, %d)", (int)s2, (int)s3);
        fz_expect(FZ_SURFACE_W, "total variance", w, n, 1, 0);
        fz_expect(FZ_SURFACE_W, "vol", v, n, 1, 0);
        fz_expect(FZ_SURFACE_FWD, "forward", F, n, 1, 0);
        for (size_t k = 0; k < n; k++) {
            double back = v[k] * v[k] * T[k];
            if (!(fabs(back - w[k]) <= 1e-12 * w[k] + 1e-300) && w[k] < 1e300)
                fz_fail("point %zu: vol^2 T = %.17g, w = %.17g", k, back, w[k]);
        }
        fz_untouched(w + n, 8 - n, "total variance past n");
        hash = fz_hash(hash, w, n * sizeof(double));
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
    qpm_surface_free(s->h);
    fz_check_freed(&s->fa);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static state s;
    fz_two_passes(run, &s, sizeof s, data, size);
    return 0;
}
