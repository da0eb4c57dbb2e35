/* book: every row of the book_*_public.csv reference files.
 *
 * Tolerance (refdata README section 11): 1e-9 relative for values and
 * Greeks; P&L 1e-9 relative or 1e-6 USD absolute.  The references are exact
 * (40-digit) values rounded once, and the book evaluates short closed forms
 * on top of the Black-76 kernel (itself within 2.5e-14 relative), so the
 * errors seen are ~1e-13; each test logs its largest error.  The only
 * absolute slack on values and Greeks is 1e-12 in the unit of the value,
 * for the exact zeros (gamma, vega and theta of linear instruments) and
 * nothing else. */
#include "test_book_util.h"

static const char *gcols[] = {"value_usd", "value_coin", "delta_coin", "delta_usd",
                              "gamma",     "vega",       "theta",      "delta_exchange"};

static void out_arrays(qpm_book_out *o, double *base, size_t rows)
{
    memset(o, 0, sizeof *o);
    o->size = sizeof *o;
    double **f[8] = {&o->value_usd, &o->value_coin, &o->delta_coin, &o->delta_usd,
                     &o->gamma,     &o->vega,       &o->theta,      &o->delta_exchange};
    for (size_t k = 0; k < 8; k++)
        *f[k] = base + k * rows;
}

static double rel_err(double got, double want)
{
    return want == 0.0 ? fabs(got) : fabs(got - want) / fabs(want);
}

Test(book_golden, positions_values_and_greeks)
{
    qpm_book *b;
    cr_assert_eq(qpm_book_create(&b, NULL), QPM_OK);
    tb_load_market(b);
    tb_positions p;
    qt_csv *c;
    tb_read_positions(b, &p, &c);
    tb_add(b, &p);
    size_t n;
    cr_assert_eq(qpm_book_n_positions(b, &n), QPM_OK);
    cr_assert_eq(n, c->nrows);
    double buf[8 * TB_MAXPOS];
    qpm_book_out o;
    out_arrays(&o, buf, n);
    cr_assert_eq(qpm_book_position_greeks(b, &o), QPM_OK, "%s", qpm_last_error());
    double worst = 0.0;
    for (size_t k = 0; k < 8; k++) {
        size_t col = qt_csv_col(c, gcols[k]);
        for (size_t i = 0; i < n; i++) {
            double want = qt_csv_num(c, i, col), got = buf[k * n + i];
            cr_assert(tb_close(got, want, 1e-9, want == 0.0 ? 1e-12 : 0.0),
                      "position %zu %s: got %.17g want %.17g", i, gcols[k], got, want);
            if (want != 0.0 && rel_err(got, want) > worst)
                worst = rel_err(got, want);
        }
    }
    cr_log_info("positions: largest relative error %.3g", worst);
    qt_csv_free(c);
    qpm_book_free(b);
    cr_assert_eq(qt_leak_check(), 0);
}

Test(book_golden, totals_per_underlying)
{
    qpm_book *b = tb_reference_book();
    qt_csv *c = qt_csv_load("book_greeks_public.csv");
    size_t nu;
    cr_assert_eq(qpm_book_n_underlyings(b, &nu), QPM_OK);
    cr_assert_eq(nu, 2u);
    double buf[8 * 2];
    qpm_book_out o;
    out_arrays(&o, buf, nu);
    cr_assert_eq(qpm_book_underlying_greeks(b, &o), QPM_OK);
    size_t cu = qt_csv_col(c, "underlying");
    double worst = 0.0;
    cr_assert_eq(c->nrows, 2u);
    for (size_t i = 0; i < c->nrows; i++) {
        size_t u;
        cr_assert_eq(qpm_book_find_underlying(b, qt_csv_str(c, i, cu), &u), QPM_OK);
        for (size_t k = 0; k < 8; k++) {
            if (k == 1)
                continue; /* book_greeks has no value_coin column */
            double want = qt_csv_num(c, i, qt_csv_col(c, gcols[k])), got = buf[k * nu + u];
            cr_assert(tb_close(got, want, 1e-9, 0.0), "%s %s: got %.17g want %.17g",
                      qt_csv_str(c, i, cu), gcols[k], got, want);
            if (rel_err(got, want) > worst)
                worst = rel_err(got, want);
        }
        /* delta_usd = S delta_coin with the market's spot (the spot column) */
        double S = qt_csv_num(c, i, qt_csv_col(c, "spot"));
        cr_assert(tb_close(buf[3 * nu + u], S * buf[2 * nu + u], 1e-15, 0.0));
    }
    cr_log_info("totals: largest relative error %.3g", worst);
    qt_csv_free(c);
    qpm_book_free(b);
    cr_assert_eq(qt_leak_check(), 0);
}

/* Distinct values of column col for rows of underlying `name`, in order. */
static size_t distinct(const qt_csv *c, size_t cu, const char *name, size_t col, double *vals,
                       size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < c->nrows; i++) {
        if (strcmp(qt_csv_str(c, i, cu), name) != 0)
            continue;
        double v = qt_csv_num(c, i, col);
        size_t k = 0;
        while (k < n && vals[k] != v)
            k++;
        if (k == n) {
            cr_assert(n < max);
            vals[n++] = v;
        }
    }
    return n;
}

static size_t index_of(const double *vals, size_t n, double v)
{
    for (size_t k = 0; k < n; k++)
        if (vals[k] == v)
            return k;
    cr_assert_fail("value %g not found", v);
    return 0;
}

static const char *unames[] = {"BTC", "ETH", "ALL"};

Test(book_golden, scenario_grid_every_row)
{
    qpm_book *b = tb_reference_book();
    qt_csv *c = qt_csv_load("book_scenarios_public.csv");
    size_t cu = qt_csv_col(c, "underlying"), cx = qt_csv_col(c, "spot_shift"),
           cv = qt_csv_col(c, "vol_shift"), cp = qt_csv_col(c, "pnl_usd");
    cr_assert_eq(c->nrows, 153u);
    size_t checked = 0;
    double worst_rel = 0.0, worst_abs = 0.0;
    for (int g = 0; g < 3; g++) {
        double xs[32], vs[8], pnl[32 * 8];
        size_t nx = distinct(c, cu, unames[g], cx, xs, 32);
        size_t nv = distinct(c, cu, unames[g], cv, vs, 8);
        cr_assert_eq(nx, 17u);
        cr_assert_eq(nv, 3u);
        size_t u = QPM_BOOK_ALL;
        if (g < 2)
            cr_assert_eq(qpm_book_find_underlying(b, unames[g], &u), QPM_OK);
        double wl;
        size_t wi;
        cr_assert_eq(qpm_book_scenario_grid(b, u, nx, xs, nv, vs, pnl, &wl, &wi), QPM_OK, "%s",
                     qpm_last_error());
        for (size_t i = 0; i < c->nrows; i++) {
            if (strcmp(qt_csv_str(c, i, cu), unames[g]) != 0)
                continue;
            size_t a = index_of(xs, nx, qt_csv_num(c, i, cx));
            size_t v = index_of(vs, nv, qt_csv_num(c, i, cv));
            double want = qt_csv_num(c, i, cp), got = pnl[a * nv + v];
            cr_assert(fabs(got - want) <= 1e-9 * fabs(want) || fabs(got - want) <= 1e-6,
                      "row %zu (%s x=%g v=%g): got %.17g want %.17g", i, unames[g], xs[a], vs[v],
                      got, want);
            if (want != 0.0 && rel_err(got, want) > worst_rel)
                worst_rel = rel_err(got, want);
            if (fabs(got - want) > worst_abs)
                worst_abs = fabs(got - want);
            checked++;
        }
    }
    cr_assert_eq(checked, 153u);
    cr_log_info("grid: largest relative error %.3g, absolute %.3g USD", worst_rel, worst_abs);
    qt_csv_free(c);
    qpm_book_free(b);
    cr_assert_eq(qt_leak_check(), 0);
}

/* The same 153 rows through the Monte Carlo entry point: one scenario per
 * row, moves as a 153 x 2 matrix (ld 3, to exercise the leading dimension). */
Test(book_golden, scenario_rows_through_pnl)
{
    qpm_book *b = tb_reference_book();
    cr_assert_eq(qpm_book_set(b, QPM_BOOK_THREADS, 2), QPM_OK);
    qt_csv *c = qt_csv_load("book_scenarios_public.csv");
    size_t cu = qt_csv_col(c, "underlying"), cx = qt_csv_col(c, "spot_shift"),
           cv = qt_csv_col(c, "vol_shift"), cp = qt_csv_col(c, "pnl_usd");
    size_t n = c->nrows, ld = 3;
    double *x = calloc(n * ld, sizeof *x), *v = calloc(n * ld, sizeof *v),
           *pnl = calloc(n, sizeof *pnl);
    size_t ubtc, ueth;
    cr_assert_eq(qpm_book_find_underlying(b, "BTC", &ubtc), QPM_OK);
    cr_assert_eq(qpm_book_find_underlying(b, "ETH", &ueth), QPM_OK);
    for (size_t i = 0; i < n; i++) {
        const char *u = qt_csv_str(c, i, cu);
        int all = strcmp(u, "ALL") == 0;
        for (size_t k = 0; k < 2; k++) {
            size_t col = k == 0 ? ubtc : ueth;
            int on = all || strcmp(u, unames[k]) == 0;
            x[i * ld + col] = on ? qt_csv_num(c, i, cx) : 0.0;
            v[i * ld + col] = on ? qt_csv_num(c, i, cv) : 0.0;
        }
        x[i * ld + 2] = v[i * ld + 2] = NAN; /* padding is never read */
    }
    cr_assert_eq(qpm_book_pnl(b, n, x, ld, v, ld, pnl), QPM_OK, "%s", qpm_last_error());
    for (size_t i = 0; i < n; i++) {
        double want = qt_csv_num(c, i, cp);
        cr_assert(fabs(pnl[i] - want) <= 1e-9 * fabs(want) || fabs(pnl[i] - want) <= 1e-6,
                  "row %zu: got %.17g want %.17g", i, pnl[i], want);
    }
    free(x);
    free(v);
    free(pnl);
    qt_csv_free(c);
    qpm_book_free(b);
    cr_assert_eq(qt_leak_check(), 0);
}

Test(book_golden, worst_loss_every_row)
{
    qpm_book *b = tb_reference_book();
    qt_csv *s = qt_csv_load("book_scenarios_public.csv");
    qt_csv *c = qt_csv_load("book_worst_public.csv");
    size_t cu = qt_csv_col(c, "underlying"), cw = qt_csv_col(c, "worst_loss_usd"),
           cx = qt_csv_col(c, "spot_shift"), cv = qt_csv_col(c, "vol_shift");
    size_t su = qt_csv_col(s, "underlying");
    cr_assert_eq(c->nrows, 3u);
    for (size_t i = 0; i < c->nrows; i++) {
        const char *name = qt_csv_str(c, i, cu);
        double xs[32], vs[8], pnl[32 * 8];
        size_t nx = distinct(s, su, name, qt_csv_col(s, "spot_shift"), xs, 32);
        size_t nv = distinct(s, su, name, qt_csv_col(s, "vol_shift"), vs, 8);
        size_t u = QPM_BOOK_ALL;
        if (strcmp(name, "ALL") != 0)
            cr_assert_eq(qpm_book_find_underlying(b, name, &u), QPM_OK);
        double wl = NAN;
        size_t wi = SIZE_MAX;
        cr_assert_eq(qpm_book_scenario_grid(b, u, nx, xs, nv, vs, pnl, &wl, &wi), QPM_OK);
        double want = qt_csv_num(c, i, cw);
        cr_assert(fabs(wl - want) <= 1e-9 * fabs(want) || fabs(wl - want) <= 1e-6,
                  "%s worst: got %.17g want %.17g", name, wl, want);
        cr_assert_eq(xs[wi / nv], qt_csv_num(c, i, cx), "%s worst spot shift", name);
        cr_assert_eq(vs[wi % nv], qt_csv_num(c, i, cv), "%s worst vol shift", name);
    }
    qt_csv_free(c);
    qt_csv_free(s);
    qpm_book_free(b);
    cr_assert_eq(qt_leak_check(), 0);
}
