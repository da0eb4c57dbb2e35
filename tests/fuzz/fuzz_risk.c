/* Fuzz target: the risk family (include/qpm/risk.h).  The stateless
 * statistics (VaR/ES with standard errors, moments, parametric and
 * delta-gamma VaR) on samples with ties, extremes and tiny sizes, and a Monte
 * Carlo handle: every setting, covariances (PSD, singular or not), scenario
 * sets above the 4096-scenario block so that threads share them, simulation
 * and historical simulation of a small book, progress reports that may
 * cancel, under thread counts (of the handle and of the book) drawn from the
 * input.  Beyond the common invariants: failed calls leave outputs and
 * settings untouched (risk.h "Errors"), ES >= VaR, and a run's scenarios are
 * the first scenarios of a longer run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QPM_EXPERIMENTAL /* qpm_risk_contributions */
#include "fuzz_support.h"

#define NL   400
#define NU   4
#define NSC  9000  /* above two blocks of 4096 */
#define NPNL 10000 /* QPM_RISK_SCENARIOS: the default, or at most NSC */

typedef struct state {
    fz_alloc fa;
    qpm_risk *h;
    qpm_book *book;
    fz_progress pr;
    double buf[NSC * NU], buf2[NSC * NU], vol[NSC * NU], pnl[NPNL];
} state;

static uint64_t settings_hash(const qpm_risk *r, uint64_t h)
{
    for (int k = 0; k <= QPM_RISK_BATCH; k++) {
        double v = 0;
        if (r && k != QPM_RISK_THREADS)
            qpm_risk_get(r, (qpm_risk_key)k, &v);
        h = fz_hash(h, &v, sizeof v);
    }
    size_t n = 0;
    if (r)
        qpm_risk_n_underlyings(r, &n);
    return fz_hash(h, &n, sizeof n);
}

static void draw_cov(fz_in *in, double *c, size_t n, size_t ld)
{
    uint8_t mode = fz_u8(in);
    double scale = fz_u8(in) < 220 ? fz_real(in, 1e-8, 1e-1) : fz_special(in);
    double b[NU * NU], dg[NU];
    fz_fill(in, b, NU * NU, -1, 1);
    fz_fill(in, dg, NU, 0, 1);
    size_t rank = fz_range(in, 0, n);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            double acc = 0;
            for (size_t k = 0; k < rank; k++)
                acc += b[i * NU + k] * b[j * NU + k];
            c[i * ld + j] = scale * (acc + (i == j && (mode & 1) ? dg[i] : 0.0));
        }
    if (mode >= 240 && n > 0) {
        size_t i = fz_range(in, 0, n - 1), j = fz_range(in, 0, n - 1);
        c[i * ld + j] = fz_special(in);
    }
}

/* A small book of nu underlyings: spot, a future, an option per underlying
 * as the input says; quantities moderate. */
static void build_book(fz_in *in, state *s, size_t nu)
{
    qpm_book_free(s->book);
    s->book = NULL;
    if (qpm_book_create(&s->book, NULL) != QPM_OK)
        fz_fail("book create");
    static const char *names[NU] = {"BTC", "ETH", "SOL", "XRP"};
    for (size_t u = 0; u < nu; u++) {
        double S = fz_real(in, 1, 1e5);
        if (!(S > 0 && S < 1e300))
            S = 100;
        qpm_book_add_underlying(s->book, names[u], S, 0.03, NULL);
        qpm_book_set_perp(s->book, u, S);
        qpm_book_set_forward(s->book, u, 0, S * 1.01, fz_real(in, 1e-3, 2));
    }
    size_t np = fz_range(in, 0, 6);
    for (size_t k = 0; k < np; k++) {
        int32_t instr = (int32_t)fz_range(in, 0, 6), ex = 0, ty = fz_u8(in) & 1 ? 1 : -1;
        size_t u = nu ? fz_range(in, 0, nu - 1) : 0;
        double K = fz_real(in, 1, 2e5), Q = fz_real(in, -50, 50), m = 1, sg = fz_real(in, 0.05, 2);
        double e = fz_real(in, 1, 1e5);
        qpm_book_add_positions(s->book, 1, &instr, &u, &ex, &ty, &K, &Q, &m, &e, &sg);
    }
}

static void check_var_es(size_t n, const double *var, const double *es, const double *vse,
                         const double *ese, size_t na, int constant)
{
    for (size_t j = 0; j < na; j++) {
        if (var)
            fz_expect(FZ_RISK_VAR, "var", &var[j], 1, 1, 0);
        if (es)
            fz_expect(FZ_RISK_VAR, "es", &es[j], 1, 1, 0);
        if (var && es && es[j] < var[j] - 1e-12 * fabs(var[j]))
            fz_fail("es[%zu] = %.17g < var = %.17g", j, es[j], var[j]);
        if (vse)
            fz_expect(FZ_RISK_VAR_SE, "var_se", &vse[j], 1, 1, n == 1);
        if (vse && constant && vse[j] != 0.0 && n > 1)
            fz_fail("var_se[%zu] = %.17g for a constant sample (risk.h: 0)", j, vse[j]);
        if (ese)
            fz_expect(FZ_RISK_ES_SE, "es_se", &ese[j], 1, 1, 0);
    }
}

static void one_op(fz_pass *p, state *s, fz_in *in)
{
    uint8_t op = fz_u8(in) % 14;
    long arm = (fz_u8(in) % 8 == 0) ? (long)fz_range(in, 0, 16) : -1;
    qpm_status st = QPM_OK;
    uint64_t hash = FZ_HASH0;
    long i;
    size_t nh = 0;
    if (s->h)
        qpm_risk_n_underlyings(s->h, &nh);

    switch (op) {
    case 0: { /* VaR and ES of a sample */
        size_t n = fz_u8(in) < 200 ? fz_range(in, 0, 30) : fz_range(in, 0, NL);
        size_t na = fz_range(in, 0, 4);
        double al[4];
        fz_fill(in, s->buf, n ? n : 1, -1e3, 1e3);
        for (size_t j = 0; j < 4; j++)
            al[j] = fz_u8(in) < 200 ? fz_real(in, 0.5, 0.9999) : fz_special(in);
        uint8_t outs = fz_u8(in);
        i = fz_op(p, "risk var_es");
        if (fz_skip(p, i, 0))
            return;
        double o[4][4];
        for (int k = 0; k < 4; k++)
            fz_poison(o[k], 4);
        int constant = 1;
        for (size_t k = 1; k < n; k++)
            constant &= s->buf[k] == s->buf[0];
        memcpy(s->buf2, s->buf, n * sizeof(double));
        fz_arm_op(p, i, &s->fa, arm);
        st = FZ(qpm_risk_var_es(&s->fa.alloc, n, s->buf, na, al, outs & 1 ? NULL : o[0],
                                outs & 2 ? NULL : o[1], outs & 4 ? NULL : o[2],
                                outs & 8 ? NULL : o[3]));
        fz_disarm(&s->fa);
        if (memcmp(s->buf2, s->buf, n * sizeof(double)) != 0)
            fz_fail("var_es modified its input");
        if (st != QPM_OK) {
            for (int k = 0; k < 4; k++)
                fz_untouched(o[k], 4, "var_es output");
            break;
        }
        check_var_es(n, outs & 1 ? NULL : o[0], outs & 2 ? NULL : o[1], outs & 4 ? NULL : o[2],
                     outs & 8 ? NULL : o[3], na, constant);
        hash = fz_hash(hash, o, sizeof o);
        break;
    }
    case 1: { /* moments and central moments */
        size_t n = fz_range(in, 0, 40);
        fz_fill(in, s->buf, n ? n : 1, -10, 10);
        uint8_t outs = fz_u8(in);
        i = fz_op(p, "risk moments");
        if (fz_skip(p, i, 0))
            return;
        double m[4], c[3];
        fz_poison(m, 4);
        fz_poison(c, 3);
        st = FZ(qpm_risk_moments(n, s->buf, outs & 1 ? NULL : &m[0], outs & 2 ? NULL : &m[1],
                                 outs & 4 ? NULL : &m[2], outs & 8 ? NULL : &m[3]));
        qpm_status st2 = FZ(qpm_risk_central_moments(n, s->buf, &c[0], &c[1], &c[2]));
        if (st2 == QPM_OK) {
            fz_expect(FZ_RISK_MOMENT, "central moments", c, 3, 1, 0);
            if (c[0] < 0 || c[2] < 0)
                fz_fail("central moments m2 = %.17g, m4 = %.17g: must be >= 0", c[0], c[2]);
        }
        if (st != QPM_OK) {
            fz_untouched(m, 4, "moments output");
            break;
        }
        int constant = st2 == QPM_OK && c[0] == 0.0;
        if (!(outs & 1))
            fz_expect(FZ_RISK_MOMENT, "mean", &m[0], 1, 1, 0);
        if (!(outs & 2))
            fz_expect(FZ_RISK_MOMENT, "std", &m[1], 1, 1, 0);
        if (!(outs & 4))
            fz_expect(FZ_RISK_SHAPE, "skew", &m[2], 1, 1, constant);
        if (!(outs & 8))
            fz_expect(FZ_RISK_SHAPE, "exkurt", &m[3], 1, 1, constant);
        hash = fz_hash(hash, m, sizeof m);
        break;
    }
    case 2: { /* parametric */
        size_t n = fz_range(in, 0, 8);
        double mu[8], sg[8], sk[8], ek[8], al[8];
        fz_fill(in, mu, 8, -1e3, 1e3);
        fz_fill(in, sg, 8, 0, 1e3);
        fz_fill(in, sk, 8, -3, 3);
        fz_fill(in, ek, 8, -2, 20);
        fz_fill(in, al, 8, 0.5, 0.9999);
        uint8_t outs = fz_u8(in);
        i = fz_op(p, "risk parametric");
        if (fz_skip(p, i, 0))
            return;
        double o[3][8];
        for (int k = 0; k < 3; k++)
            fz_poison(o[k], 8);
        st = FZ(qpm_risk_parametric(n, mu, sg, outs & 16 ? NULL : sk, outs & 32 ? NULL : ek, al,
                                    outs & 1 ? NULL : o[0], outs & 2 ? NULL : o[1],
                                    outs & 4 ? NULL : o[2]));
        if (st != QPM_OK) {
            for (int k = 0; k < 3; k++)
                fz_untouched(o[k], 8, "parametric output");
            break;
        }
        for (int k = 0; k < 3; k++) {
            long e = outs & (1 << k) ? -1 : fz_bad(FZ_RISK_PARAM, o[k], n, 1, 0);
            if (e >= 0) {
                char buf[200];
                snprintf(buf, sizeof buf,
                         "mu %.17g sigma %.17g skew %.17g exkurt %.17g alpha %.17g", mu[e], sg[e],
                         outs & 16 ? 0.0 : sk[e], outs & 32 ? 0.0 : ek[e], al[e]);
                fz_contract_fail(FZ_RISK_PARAM,
                                 k == 0   ? "var_normal"
                                 : k == 1 ? "es_normal"
                                          : "var_cf",
                                 e, o[k][e], buf);
            }
        }
        hash = fz_hash(hash, o, sizeof o);
        break;
    }
    case 3: { /* delta-gamma */
        size_t n = fz_range(in, 0, NU), ld = n + fz_range(in, 0, 1);
        double dl[NU], gm[NU], c[NU * (NU + 1)];
        fz_fill(in, dl, NU, -1e6, 1e6);
        fz_fill(in, gm, NU, -1e6, 1e6);
        memset(c, 0, sizeof c);
        draw_cov(in, c, n, ld ? ld : 1);
        double hz = fz_real(in, 0.1, 30), al = fz_real(in, 0.5, 0.9999);
        uint8_t outs = fz_u8(in);
        i = fz_op(p, "risk delta_gamma");
        if (fz_skip(p, i, 0))
            return;
        double o[6];
        fz_poison(o, 6);
        fz_arm_op(p, i, &s->fa, arm);
        st =
            FZ(qpm_risk_delta_gamma(&s->fa.alloc, n, dl, gm, c, ld, hz, al, outs & 1 ? NULL : &o[0],
                                    outs & 2 ? NULL : &o[1], outs & 4 ? NULL : &o[2]));
        fz_disarm(&s->fa);
        if (st != QPM_OK) {
            fz_untouched(o, 6, "delta_gamma output");
            break;
        }
        if (!(outs & 1))
            fz_expect(FZ_RISK_PARAM, "var_dn", &o[0], 1, 1, 0);
        if (!(outs & 2))
            fz_expect(FZ_RISK_PARAM, "var_dg", &o[1], 1, 1, 0);
        if (!(outs & 4)) {
            fz_expect(FZ_RISK_PARAM, "dg mean, std", &o[2], 2, 1, 0);
            fz_expect(FZ_RISK_SHAPE, "dg skew, exkurt", &o[4], 2, 1, o[3] == 0.0);
        }
        hash = fz_hash(hash, o, sizeof o);
        break;
    }
    case 4: { /* (re)create the handle */
        i = fz_op(p, "risk create");
        if (fz_skip(p, i, 0))
            return;
        qpm_risk *t = (qpm_risk *)&hash;
        fz_arm_op(p, i, &s->fa, arm);
        st = FZ(qpm_risk_create(&t, &s->fa.alloc));
        fz_disarm(&s->fa);
        if (st != QPM_OK) {
            if (t != NULL)
                fz_fail("create failed but *out is not NULL");
        } else {
            qpm_risk_free(s->h);
            s->h = t;
            qpm_risk_set_progress(t, fz_progress_fn, &s->pr);
        }
        break;
    }
    case 5:
    case 6: { /* a setting */
        uint8_t kb = fz_u8(in);
        int key = kb < 240 ? kb % 17 : (int)kb - 245;
        double lo = 0, hi = 0;
        qpm_risk_bounds((qpm_risk_key)key, &lo, &hi);
        if (key == QPM_RISK_SCENARIOS)
            hi = fz_u8(in) < 200 ? 600 : NSC;
        if (key == QPM_RISK_THREADS)
            hi = 4;
        if (key == QPM_RISK_T_DOF && fz_u8(in) < 128)
            lo = 2, hi = 50;
        double v = fz_setting(in, lo, hi);
        if (key == QPM_RISK_SCENARIOS && v > NSC)
            v = 4.5; /* out of range stays out, but never a huge run */
        i = fz_op(p, "risk set");
        if (fz_skip(p, i, 0))
            return;
        if (key == QPM_RISK_THREADS)
            v = fz_threads(p, v);
        uint64_t before = settings_hash(s->h, FZ_HASH0);
        fz_arm_op(p, i, &s->fa, arm);
        st = FZ(qpm_risk_set(s->h, (qpm_risk_key)key, v));
        fz_disarm(&s->fa);
        if (st != QPM_OK && settings_hash(s->h, FZ_HASH0) != before)
            fz_fail("failed risk_set changed the handle");
        double g;
        FZ(qpm_risk_get(s->h, (qpm_risk_key)key, &g));
        FZ(qpm_risk_bounds((qpm_risk_key)key, &lo, &hi));
        hash = settings_hash(s->h, hash);
        break;
    }
    case 7: { /* covariance */
        size_t n = fz_u8(in) < 250 ? fz_range(in, 1, NU) : 0;
        size_t ld = n + fz_range(in, 0, 1);
        double c[NU * (NU + 1)];
        memset(c, 0, sizeof c);
        draw_cov(in, c, n, ld ? ld : 1);
        i = fz_op(p, "risk set_covariance");
        if (fz_skip(p, i, 0))
            return;
        uint64_t before = settings_hash(s->h, FZ_HASH0);
        fz_arm_op(p, i, &s->fa, arm);
        st = FZ(qpm_risk_set_covariance(s->h, n, c, ld));
        fz_disarm(&s->fa);
        if (st != QPM_OK && settings_hash(s->h, FZ_HASH0) != before)
            fz_fail("failed set_covariance changed the handle");
        hash = settings_hash(s->h, hash);
        break;
    }
    case 8: { /* the book */
        size_t nu = fz_range(in, 0, NU);
        uint8_t bt = fz_u8(in);
        fz_in sub = *in;
        build_book(&sub, s, nu); /* same bytes in both passes */
        in->pos = sub.pos;
        i = fz_op(p, "risk book");
        if (fz_skip(p, i, 0))
            return;
        double v = fz_threads(p, 1 + bt % 3);
        st = FZ(qpm_book_set(s->book, QPM_BOOK_THREADS, v));
        break;
    }
    case 9:
    case 10: { /* scenarios */
        size_t n = fz_u8(in) < 220 ? fz_range(in, 0, 300) : fz_range(in, 0, NSC);
        size_t lds = nh + fz_range(in, 0, 1), ldv = nh + fz_range(in, 0, 1);
        int with_vol = fz_u8(in) & 1;
        long cancel = fz_u8(in) < 240 ? -1 : 0;
        i = fz_op(p, "risk scenarios");
        if (fz_skip(p, i, 0))
            return;
        if (n * (lds > ldv ? lds : ldv) > NSC * NU)
            n = NSC * NU / (lds > ldv ? lds : ldv);
        fz_poison(s->buf, NSC * NU);
        fz_poison(s->vol, NSC * NU);
        s->pr.cancel_after = cancel;
        s->pr.calls = 0;
        s->pr.last = 0;
        uint64_t before = settings_hash(s->h, FZ_HASH0);
        fz_arm_op(p, i, &s->fa, arm);
        st = FZ(qpm_risk_scenarios(s->h, n, s->buf, lds, with_vol ? s->vol : NULL, ldv));
        fz_disarm(&s->fa);
        s->pr.cancel_after = -1;
        if (settings_hash(s->h, FZ_HASH0) != before)
            fz_fail("risk_scenarios changed the settings");
        if (st != QPM_OK) {
            if (st != QPM_E_CANCELLED) {
                fz_untouched(s->buf, NSC * NU, "spot_moves");
                fz_untouched(s->vol, NSC * NU, "vol_shifts");
            }
            break;
        }
        for (size_t k = 0; k < n; k++) {
            fz_expect(FZ_RISK_SCEN, "spot_moves", s->buf + k * lds, nh, 1, 0);
            if (with_vol) {
                fz_expect(FZ_RISK_SCEN, "vol_shifts", s->vol + k * ldv, nh, 1, 0);
                for (size_t u = 1; u < nh; u++)
                    if (s->vol[k * ldv + u] != s->vol[k * ldv])
                        fz_fail("vol_shifts differ across underlyings in scenario %zu", k);
            }
            hash = fz_hash(hash, s->buf + k * lds, nh * sizeof(double));
            if (with_vol)
                hash = fz_hash(hash, s->vol + k * ldv, nh * sizeof(double));
        }
        if (n > 1) { /* a prefix of the run */
            size_t m = n / 2;
            fz_poison(s->buf2, NSC * NU);
            s->pr.last = 0;
            if (FZ(qpm_risk_scenarios(s->h, m, s->buf2, lds, NULL, ldv)) != QPM_OK)
                fz_fail("the first %zu of %zu scenarios fail", m, n);
            if (memcmp(s->buf2, s->buf, ((m - 1) * lds + nh) * sizeof(double)) != 0)
                fz_fail("the first %zu scenarios differ from those of a run of %zu", m, n);
        }
        break;
    }
    case 11:
    case 12: { /* simulate or historical simulation of the book */
        int hist = op == 12;
        size_t t = fz_range(in, 0, 60);
        size_t nb = 0;
        if (s->book)
            qpm_book_n_underlyings(s->book, &nb);
        size_t ld = nb + fz_range(in, 0, 1);
        fz_fill(in, s->buf2, 64 * (NU + 1), -0.1, 0.1);
        uint8_t outs = fz_u8(in);
        long cancel = fz_u8(in) < 240 ? -1 : 0;
        int null_book = fz_u8(in) == 77;
        i = fz_op(p, hist ? "risk historical" : "risk simulate");
        if (fz_skip(p, i, 0))
            return;
        double sc = 0;
        if (s->h)
            qpm_risk_get(s->h, QPM_RISK_SCENARIOS, &sc);
        fz_poison(s->pnl, NPNL);
        double o[4];
        fz_poison(o, 4);
        s->pr.cancel_after = cancel;
        s->pr.calls = 0;
        s->pr.last = 0;
        qpm_book *bk = null_book ? NULL : s->book;
        fz_arm_op(p, i, &s->fa, arm);
        if (!hist && (outs & 32)) {
            /* Euler contributions (experimental): the run's VaR and ES,
             * contributions that add up to them, outputs untouched on error */
            size_t np = 0;
            if (bk)
                qpm_book_n_positions(bk, &np);
            double vc[64], ec[64], cv = 7, ce = 7;
            fz_poison(vc, 64);
            fz_poison(ec, 64);
            st = np <= 64 ? FZ(qpm_risk_contributions(s->h, bk, &cv, &ce, vc, ec)) : QPM_OK;
            fz_disarm(&s->fa);
            s->pr.cancel_after = -1;
            if (np > 64)
                break;
            if (st != QPM_OK) {
                if (st != QPM_E_CANCELLED && (cv != 7 || ce != 7))
                    fz_fail("failed contributions wrote VaR or ES");
                fz_untouched(vc, 64, "var_contrib");
                break;
            }
            /* to rounding: of the contributions, and of the positions'
             * values, whose scenario P&L may cancel to noise */
            double sv = 0, se = 0, scale = 0, vscale = 0, val[64];
            for (size_t k = 0; k < np; k++) {
                sv += vc[k];
                se += ec[k];
                scale += fabs(ec[k]) + fabs(vc[k]);
            }
            qpm_book_out bo;
            memset(&bo, 0, sizeof bo);
            bo.size = sizeof bo;
            bo.value_usd = val;
            if (np > 0 && qpm_book_position_greeks(bk, &bo) == QPM_OK)
                for (size_t k = 0; k < np; k++)
                    vscale += fabs(val[k]);
            double tol = 1e-9 * scale + 1e-12 * vscale + 1e-300;
            if (np > 0 && (!(fabs(se - ce) <= tol + 1e-9 * fabs(ce)) ||
                           !(fabs(sv - cv) <= tol + 1e-9 * fabs(cv))))
                fz_fail("contributions add up to %.17g and %.17g, VaR %.17g and ES %.17g", sv, se,
                        cv, ce);
            fz_untouched(vc + np, 64 - np, "contributions past the positions");
            hash = fz_hash(hash, &cv, sizeof cv);
            break;
        }
        if (hist)
            st = FZ(qpm_risk_historical(s->h, bk, t, s->buf2, ld, outs & 16 ? NULL : s->pnl,
                                        outs & 1 ? NULL : &o[0], outs & 2 ? NULL : &o[1],
                                        outs & 4 ? NULL : &o[2], outs & 8 ? NULL : &o[3]));
        else
            st = FZ(qpm_risk_simulate(s->h, bk, outs & 16 ? NULL : s->pnl, outs & 1 ? NULL : &o[0],
                                      outs & 2 ? NULL : &o[1], outs & 4 ? NULL : &o[2],
                                      outs & 8 ? NULL : &o[3]));
        fz_disarm(&s->fa);
        s->pr.cancel_after = -1;
        if (st != QPM_OK) {
            fz_untouched(o, 4, "VaR outputs");
            if (st != QPM_E_CANCELLED)
                fz_untouched(s->pnl, NPNL, "pnl_out");
            break;
        }
        size_t np = hist ? t : (size_t)sc;
        if (!(outs & 16)) {
            fz_expect(FZ_RISK_PNL, "pnl_out", s->pnl, np, 1, 0);
            fz_untouched(s->pnl + np, NPNL - np, "pnl_out past its length");
            hash = fz_hash(hash, s->pnl, np * sizeof(double));
        }
        check_var_es(np, outs & 1 ? NULL : &o[0], outs & 2 ? NULL : &o[1], outs & 4 ? NULL : &o[2],
                     outs & 8 ? NULL : &o[3], 1, 0);
        hash = fz_hash(hash, o, sizeof o);
        break;
    }
    default: { /* getters with odd keys */
        uint8_t kb = fz_u8(in);
        i = fz_op(p, "risk get");
        if (fz_skip(p, i, 0))
            return;
        double v = 0, lo, hi;
        qpm_risk_key key = (qpm_risk_key)((int)(kb % 16) - 2);
        st = FZ(qpm_risk_get(s->h, key, kb & 64 ? NULL : &v));
        if (key != QPM_RISK_THREADS)
            hash = fz_hash(hash, &v, sizeof v);
        FZ(qpm_risk_bounds(key, &lo, kb & 128 ? NULL : &hi));
        size_t n;
        FZ(qpm_risk_n_underlyings(s->h, kb & 32 ? NULL : &n));
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
    s->book = NULL;
    s->pr.cancel_after = -1;
    fz_alloc_init(&s->fa);
    while (fz_more(&in) && p->ops < FZ_MAX_OPS)
        one_op(p, s, &in);
    qpm_risk_free(s->h);
    qpm_book_free(s->book);
    fz_check_freed(&s->fa);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static state s;
    fz_two_passes(run, &s, sizeof s, data, size);
    return 0;
}
