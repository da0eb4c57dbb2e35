/* risk: runs that revalue a book (Monte Carlo and historical / filtered
 * historical simulation): closed-form VaR/ES of a linear position, identity
 * with the book's own P&L of the generated scenarios, bit-identity across
 * thread counts, progress and cancellation, bad input, allocation failure. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "qpm/book.h"
#include "qpm/pricing.h"
#include "qpm/risk.h"
#include "qpm/rng.h"
#include "support/testutil.h"

static const double COV2[4] = {0.03 * 0.03, 0.75 * 0.03 * 0.045, 0.75 * 0.03 * 0.045,
                               0.045 * 0.045};

/* BTC and ETH, one expiry each, spot plus a few linear and inverse options. */
static qpm_book *make_book(void)
{
    qpm_book *b;
    cr_assert_eq(qpm_book_create(&b, NULL), QPM_OK);
    size_t u;
    cr_assert_eq(qpm_book_add_underlying(b, "BTC", 60000.0, 0.05, &u), QPM_OK);
    cr_assert_eq(qpm_book_add_underlying(b, "ETH", 3000.0, 0.05, &u), QPM_OK);
    cr_assert_eq(qpm_book_set_forward(b, 0, 0, 60500.0, 30.0 / 365.0), QPM_OK);
    cr_assert_eq(qpm_book_set_forward(b, 1, 0, 3020.0, 30.0 / 365.0), QPM_OK);
    int32_t ins[6] = {QPM_INSTR_SPOT, QPM_INSTR_SPOT, QPM_INSTR_LINEAR_OPTION,
                      QPM_INSTR_INVERSE_OPTION, QPM_INSTR_LINEAR_OPTION, QPM_INSTR_INVERSE_OPTION};
    size_t und[6] = {0, 1, 0, 0, 1, 1};
    int32_t exp[6] = {0, 0, 0, 0, 0, 0};
    int32_t typ[6] = {QPM_CALL, QPM_CALL, QPM_PUT, QPM_CALL, QPM_PUT, QPM_CALL};
    double k[6] = {1, 1, 55000, 70000, 2800, 3500};
    double q[6] = {1.5, 20, 10, -8, 30, -25};
    double m[6] = {1, 1, 1, 1, 1, 1};
    double e[6] = {1, 1, 1, 1, 1, 1};
    double sg[6] = {1, 1, 0.6, 0.55, 0.75, 0.7};
    cr_assert_eq(qpm_book_add_positions(b, 6, ins, und, exp, typ, k, q, m, e, sg), QPM_OK, "%s",
                 qpm_last_error());
    return b;
}

static qpm_risk *make_risk(size_t n)
{
    qpm_risk *r;
    cr_assert_eq(qpm_risk_create(&r, NULL), QPM_OK);
    cr_assert_eq(qpm_risk_set_covariance(r, 2, COV2, 2), QPM_OK);
    cr_assert_eq(qpm_risk_set(r, QPM_RISK_SCENARIOS, (double)n), QPM_OK);
    return r;
}

/* One long spot position of value A: loss = A (1 - e^r), r ~ N(0, s^2), so
 * VaR = A (1 - e^{-z s}) and ES = A (1 - e^{s^2/2} Phi(-z - s) / (1 - a)).
 * The MC estimates must lie within 4 of their own standard errors. */
Test(risk_book, linear_position_closed_form)
{
    qpm_book *b;
    cr_assert_eq(qpm_book_create(&b, NULL), QPM_OK);
    cr_assert_eq(qpm_book_add_underlying(b, "BTC", 50000.0, 0.0, NULL), QPM_OK);
    int32_t ins = QPM_INSTR_SPOT;
    size_t und = 0;
    double q = 2.0, m = 1.0;
    cr_assert_eq(qpm_book_add_positions(b, 1, &ins, &und, NULL, NULL, NULL, &q, &m, NULL, NULL),
                 QPM_OK, "%s", qpm_last_error());
    qpm_risk *r;
    cr_assert_eq(qpm_risk_create(&r, NULL), QPM_OK);
    double s2 = 0.0009;
    cr_assert_eq(qpm_risk_set_covariance(r, 1, &s2, 1), QPM_OK);
    cr_assert_eq(qpm_risk_set(r, QPM_RISK_SCENARIOS, 200000), QPM_OK);
    cr_assert_eq(qpm_risk_set(r, QPM_RISK_HORIZON_DAYS, 4), QPM_OK);
    double alpha[2] = {0.95, 0.99};
    for (int j = 0; j < 2; j++) {
        cr_assert_eq(qpm_risk_set(r, QPM_RISK_ALPHA, alpha[j]), QPM_OK);
        double var, es, vse, ese;
        cr_assert_eq(qpm_risk_simulate(r, b, NULL, &var, &es, &vse, &ese), QPM_OK, "%s",
                     qpm_last_error());
        double a = 1e5, s = sqrt(s2 * 4), z = qpm_norm_inv(alpha[j]);
        double tv = a * (1 - exp(-z * s));
        double te = a * (1 - exp(0.5 * s * s) * 0.5 * erfc((z + s) / sqrt(2.0)) / (1 - alpha[j]));
        cr_assert(fabs(var - tv) < 4 * vse, "alpha %g: VaR %g, exact %g, se %g", alpha[j], var, tv,
                  vse);
        cr_assert(fabs(es - te) < 4 * ese, "alpha %g: ES %g, exact %g, se %g", alpha[j], es, te,
                  ese);
        cr_assert(vse > 0 && vse < 0.02 * tv && ese > 0 && ese < 0.02 * te);
    }
    qpm_risk_free(r);
    qpm_book_free(b);
}

/* simulate == VaR/ES of the book's P&L of qpm_risk_scenarios, bit for bit. */
Test(risk_book, simulate_is_book_pnl_of_the_scenarios)
{
    qpm_book *b = make_book();
    size_t n = 70000; /* two batches */
    qpm_risk *r = make_risk(n);
    cr_assert_eq(qpm_risk_set(r, QPM_RISK_T_DOF, 4), QPM_OK);
    cr_assert_eq(qpm_risk_set(r, QPM_RISK_VOL_OF_VOL, 0.1), QPM_OK);
    cr_assert_eq(qpm_risk_set(r, QPM_RISK_JUMP_INTENSITY, 0.05), QPM_OK);
    cr_assert_eq(qpm_risk_set(r, QPM_RISK_JUMP_MEAN, -0.1), QPM_OK);
    cr_assert_eq(qpm_risk_set(r, QPM_RISK_JUMP_STD, 0.05), QPM_OK);
    double *mv = malloc(n * 2 * sizeof(double)), *vs = malloc(n * 2 * sizeof(double));
    double *p1 = malloc(n * sizeof(double)), *p2 = malloc(n * sizeof(double));
    cr_assert_eq(qpm_risk_scenarios(r, n, mv, 2, vs, 2), QPM_OK);
    cr_assert_eq(qpm_book_pnl(b, n, mv, 2, vs, 2, p1), QPM_OK);
    double var, es, vse, ese;
    cr_assert_eq(qpm_risk_simulate(r, b, p2, &var, &es, &vse, &ese), QPM_OK, "%s",
                 qpm_last_error());
    cr_assert_eq(memcmp(p1, p2, n * sizeof(double)), 0);
    for (size_t s = 0; s < n; s++)
        p1[s] = -p1[s];
    double a = 0.99, v2, e2, vs2, es2;
    cr_assert_eq(qpm_risk_var_es(NULL, n, p1, 1, &a, &v2, &e2, &vs2, &es2), QPM_OK);
    cr_assert(var == v2 && es == e2 && vse == vs2 && ese == es2);
    /* every output optional */
    cr_assert_eq(qpm_risk_simulate(r, b, NULL, NULL, NULL, NULL, NULL), QPM_OK);
    free(mv);
    free(vs);
    free(p1);
    free(p2);
    qpm_risk_free(r);
    qpm_book_free(b);
}

Test(risk_book, bit_identical_across_threads)
{
    qpm_book *b = make_book();
    size_t n = 3 * 4096 + 5;
    qpm_risk *r = make_risk(n);
    cr_assert_eq(qpm_risk_set(r, QPM_RISK_T_DOF, 6), QPM_OK);
    cr_assert_eq(qpm_risk_set(r, QPM_RISK_VOL_OF_VOL, 0.2), QPM_OK);
    double *p1 = malloc(n * sizeof(double)), *p2 = malloc(n * sizeof(double));
    double r1[4], r2[4];
    cr_assert_eq(qpm_risk_simulate(r, b, p1, &r1[0], &r1[1], &r1[2], &r1[3]), QPM_OK);
    unsigned rt[] = {2, 4, 1}, bt[] = {1, 2, 3};
    for (int t = 0; t < 3; t++) {
        cr_assert_eq(qpm_risk_set(r, QPM_RISK_THREADS, rt[t]), QPM_OK);
        cr_assert_eq(qpm_book_set(b, QPM_BOOK_THREADS, bt[t]), QPM_OK);
        cr_assert_eq(qpm_risk_simulate(r, b, p2, &r2[0], &r2[1], &r2[2], &r2[3]), QPM_OK);
        cr_assert_eq(memcmp(p1, p2, n * sizeof(double)), 0, "threads %u/%u", rt[t], bt[t]);
        cr_assert_eq(memcmp(r1, r2, sizeof r1), 0);
    }
    free(p1);
    free(p2);
    qpm_risk_free(r);
    qpm_book_free(b);
}

struct prog {
    int calls, stop_at, monotone;
    double last;
};

static int on_progress(void *user, double done)
{
    struct prog *p = user;
    if (done < p->last)
        p->monotone = 0;
    p->last = done;
    return ++p->calls == p->stop_at;
}

Test(risk_book, progress_and_cancel)
{
    qpm_book *b = make_book();
    size_t n = 2 * 65536 + 1;
    qpm_risk *r = make_risk(n);
    struct prog p = {0, 0, 1, 0.0};
    cr_assert_eq(qpm_risk_set_progress(r, on_progress, &p), QPM_OK);
    double var = -1, es = -1;
    cr_assert_eq(qpm_risk_simulate(r, b, NULL, &var, &es, NULL, NULL), QPM_OK);
    cr_assert(p.calls == 4 && p.monotone && p.last == 1.0, "%d calls, last %g", p.calls, p.last);
    struct prog c = {0, 2, 1, 0.0};
    cr_assert_eq(qpm_risk_set_progress(r, on_progress, &c), QPM_OK);
    double v2 = -1, e2 = -1;
    cr_assert_eq(qpm_risk_simulate(r, b, NULL, &v2, &e2, NULL, NULL), QPM_E_CANCELLED);
    cr_assert(v2 == -1 && e2 == -1, "outputs untouched");
    cr_assert_eq(qpm_risk_set_progress(r, NULL, NULL), QPM_OK);
    cr_assert_eq(qpm_risk_simulate(r, b, NULL, &v2, &e2, NULL, NULL), QPM_OK);
    cr_assert(v2 == var && e2 == es, "usable after a cancel, same result");
    /* historical reports too */
    double ret[6] = {0.01, 0.02, -0.03, 0.01, 0.0, -0.05};
    struct prog h = {0, 0, 1, 0.0};
    cr_assert_eq(qpm_risk_set_progress(r, on_progress, &h), QPM_OK);
    cr_assert_eq(qpm_risk_historical(r, b, 3, ret, 2, NULL, &v2, NULL, NULL, NULL), QPM_OK);
    cr_assert(h.calls == 2 && h.last == 1.0);
    struct prog hc = {0, 1, 1, 0.0};
    cr_assert_eq(qpm_risk_set_progress(r, on_progress, &hc), QPM_OK);
    cr_assert_eq(qpm_risk_historical(r, b, 3, ret, 2, NULL, &v2, NULL, NULL, NULL),
                 QPM_E_CANCELLED);
    qpm_risk_free(r);
    qpm_book_free(b);
}

/* Historical: scenario i is exp(sqrt(h) r_i) - 1; filtered: r_i scaled by
 * sigma_T / sigma_i with the EWMA recursion written out here again. */
Test(risk_book, historical_and_filtered)
{
    qpm_book *b = make_book();
    qpm_risk *r;
    cr_assert_eq(qpm_risk_create(&r, NULL), QPM_OK); /* no covariance needed */
    size_t t = 300, ld = 3;
    double *ret = malloc(t * ld * sizeof(double)), *mv = malloc(t * 2 * sizeof(double));
    double *p1 = malloc(t * sizeof(double)), *p2 = malloc(t * sizeof(double));
    double *mv2 = malloc(t * 2 * sizeof(double));
    qpm_risk *g = NULL;
    cr_assert_eq(qpm_risk_create(&g, NULL), QPM_OK);
    cr_assert_eq(qpm_risk_set_covariance(g, 2, COV2, 2), QPM_OK);
    cr_assert_eq(qpm_risk_set(g, QPM_RISK_T_DOF, 4), QPM_OK);
    cr_assert_eq(qpm_risk_scenarios(g, t, mv, 2, NULL, 0), QPM_OK);
    for (size_t i = 0; i < t; i++) {
        /* volatility regime change half way */
        double f = i < t / 2 ? 0.5 : 2.0;
        ret[i * ld] = f * log1p(mv[i * 2]);
        ret[i * ld + 1] = f * log1p(mv[i * 2 + 1]);
        ret[i * ld + 2] = 99.0; /* padding, never read */
    }
    double h = 2;
    cr_assert_eq(qpm_risk_set(r, QPM_RISK_HORIZON_DAYS, h), QPM_OK);
    double var, es, vse, ese;
    cr_assert_eq(qpm_risk_historical(r, b, t, ret, ld, p1, &var, &es, &vse, &ese), QPM_OK, "%s",
                 qpm_last_error());
    for (size_t i = 0; i < t; i++)
        for (int u = 0; u < 2; u++)
            mv2[i * 2 + u] = expm1(sqrt(h) * ret[i * ld + u]);
    cr_assert_eq(qpm_book_pnl(b, t, mv2, 2, NULL, 0, p2), QPM_OK);
    cr_assert_eq(memcmp(p1, p2, t * sizeof(double)), 0);
    double a = 0.99, v2, e2;
    for (size_t i = 0; i < t; i++)
        p2[i] = -p2[i];
    cr_assert_eq(qpm_risk_var_es(NULL, t, p2, 1, &a, &v2, &e2, NULL, NULL), QPM_OK);
    cr_assert(var == v2 && es == e2);
    /* filtered */
    double lam = 0.94;
    cr_assert_eq(qpm_risk_set(r, QPM_RISK_EWMA_LAMBDA, lam), QPM_OK);
    double fvar;
    cr_assert_eq(qpm_risk_historical(r, b, t, ret, ld, p1, &fvar, NULL, NULL, NULL), QPM_OK);
    for (int u = 0; u < 2; u++) {
        double s0 = 0;
        for (size_t i = 0; i < t; i++)
            s0 += ret[i * ld + u] * ret[i * ld + u];
        s0 /= (double)t;
        double send = s0;
        for (size_t i = 0; i < t; i++)
            send = lam * send + (1 - lam) * ret[i * ld + u] * ret[i * ld + u];
        double s = s0;
        for (size_t i = 0; i < t; i++) {
            double x = ret[i * ld + u] * sqrt(send / s);
            s = lam * s + (1 - lam) * ret[i * ld + u] * ret[i * ld + u];
            mv2[i * 2 + u] = expm1(sqrt(h) * x);
        }
    }
    cr_assert_eq(qpm_book_pnl(b, t, mv2, 2, NULL, 0, p2), QPM_OK);
    for (size_t i = 0; i < t; i++)
        cr_assert(fabs(p1[i] - p2[i]) <= 1e-9 * fabs(p2[i]) + 1e-6, "row %zu: %g %g", i, p1[i],
                  p2[i]);
    /* the recent regime is the volatile one: filtering raises the VaR */
    cr_assert(fvar > 1.1 * var, "FHS VaR %g, plain %g", fvar, var);
    free(ret);
    free(mv);
    free(mv2);
    free(p1);
    free(p2);
    qpm_risk_free(g);
    qpm_risk_free(r);
    qpm_book_free(b);
}

Test(risk_book, bad_input)
{
    qpm_book *b = make_book();
    qpm_risk *r;
    cr_assert_eq(qpm_risk_create(&r, NULL), QPM_OK);
    double v = -1;
    cr_assert_eq(qpm_risk_simulate(NULL, b, NULL, &v, NULL, NULL, NULL), QPM_E_NULL);
    cr_assert_eq(qpm_risk_simulate(r, NULL, NULL, &v, NULL, NULL, NULL), QPM_E_NULL);
    cr_assert_str_eq(qpm_last_error(), "book is NULL");
    cr_assert_eq(qpm_risk_simulate(r, b, NULL, &v, NULL, NULL, NULL), QPM_E_STATE);
    double c3[9] = {1e-4, 0, 0, 0, 1e-4, 0, 0, 0, 1e-4};
    cr_assert_eq(qpm_risk_set_covariance(r, 3, c3, 3), QPM_OK);
    cr_assert_eq(qpm_risk_simulate(r, b, NULL, &v, NULL, NULL, NULL), QPM_E_SIZE);
    cr_assert_str_eq(qpm_last_error(), "the book has 2 underlyings but the covariance is 3 x 3");
    qpm_book *empty;
    cr_assert_eq(qpm_book_create(&empty, NULL), QPM_OK);
    cr_assert_eq(qpm_risk_simulate(r, empty, NULL, &v, NULL, NULL, NULL), QPM_E_STATE);
    cr_assert_str_eq(qpm_last_error(), "the book has no underlyings");
    double ret[4] = {0.01, 0.02, 0.03, 0.04};
    cr_assert_eq(qpm_risk_historical(r, empty, 2, ret, 2, NULL, &v, NULL, NULL, NULL),
                 QPM_E_STATE);
    cr_assert_eq(qpm_risk_historical(NULL, b, 2, ret, 2, NULL, &v, NULL, NULL, NULL), QPM_E_NULL);
    cr_assert_eq(qpm_risk_historical(r, NULL, 2, ret, 2, NULL, &v, NULL, NULL, NULL), QPM_E_NULL);
    cr_assert_eq(qpm_risk_historical(r, b, 2, NULL, 2, NULL, &v, NULL, NULL, NULL), QPM_E_NULL);
    cr_assert_eq(qpm_risk_historical(r, b, 0, ret, 2, NULL, &v, NULL, NULL, NULL), QPM_E_SIZE);
    cr_assert_eq(qpm_risk_historical(r, b, 2, ret, 1, NULL, &v, NULL, NULL, NULL), QPM_E_SIZE);
    cr_assert_str_eq(qpm_last_error(), "ld = 1: must be >= n_underlyings = 2");
    ret[3] = (double)NAN;
    cr_assert_eq(qpm_risk_historical(r, b, 2, ret, 2, NULL, &v, NULL, NULL, NULL),
                 QPM_E_NONFINITE);
    cr_assert_str_eq(qpm_last_error(), "returns[1][1] = nan: must be finite");
    cr_assert_eq(v, -1);
    qpm_book_free(empty);
    qpm_risk_free(r);
    qpm_book_free(b);
}

/* The first run allocates its buffers: fail each allocation in turn. */
Test(risk_book, oom_first_run)
{
    qpm_book *b = make_book();
    for (int kind = 0; kind < 2; kind++)
        for (long k = 0;; k++) {
            qt_failalloc fa;
            qt_failalloc_init(&fa, -1);
            qpm_risk *r;
            cr_assert_eq(qpm_risk_create(&r, &fa.alloc), QPM_OK);
            cr_assert_eq(qpm_risk_set_covariance(r, 2, COV2, 2), QPM_OK);
            cr_assert_eq(qpm_risk_set(r, QPM_RISK_SCENARIOS, 1000), QPM_OK);
            fa.fail_at = fa.calls + k;
            double v = -1;
            double ret[4] = {0.01, 0.02, 0.03, 0.04};
            qpm_status st = kind == 0
                                ? qpm_risk_simulate(r, b, NULL, &v, NULL, NULL, NULL)
                                : qpm_risk_historical(r, b, 2, ret, 2, NULL, &v, NULL, NULL, NULL);
            qpm_risk_free(r);
            cr_assert_eq(fa.live, 0);
            if (st == QPM_OK) {
                cr_assert(v > 0 || kind == 1);
                break;
            }
            cr_assert_eq(st, QPM_E_NOMEM);
            cr_assert_eq(v, -1);
            cr_assert_lt(k, 20);
        }
    qpm_book_free(b);
    cr_assert_eq(qt_leak_check(), 0);
}
