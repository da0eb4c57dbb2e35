/* book: properties.  Greeks against central finite differences of the book
 * value, P&L at zero move exactly 0, P&L bit-identical for 1, 2, 3 and 4
 * threads, P&L against revaluation from the value functions, totals as sums
 * of the position rows, and clearing/re-adding positions. */
#include "test_book_util.h"

/* Total USD value of the book (all underlyings). */
static double book_value(qpm_book *b)
{
    double v[8] = {0};
    size_t nu;
    cr_assert_eq(qpm_book_n_underlyings(b, &nu), QPM_OK);
    cr_assert(nu <= 8);
    qpm_book_out o = {sizeof o, v, NULL, NULL, NULL, NULL, NULL, NULL, NULL};
    cr_assert_eq(qpm_book_underlying_greeks(b, &o), QPM_OK);
    double s = 0.0;
    for (size_t u = 0; u < nu; u++)
        s += v[u];
    return s;
}

static void totals(qpm_book *b, double g[8][2])
{
    qpm_book_out o = {sizeof o, g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7]};
    cr_assert_eq(qpm_book_underlying_greeks(b, &o), QPM_OK);
}

/* The reference book with every option vol of underlying u shifted by an
 * absolute dsig, and every T of u shifted by dT. */
static qpm_book *shifted_book(size_t u, double dsig, double dT)
{
    qpm_book *b;
    cr_assert_eq(qpm_book_create(&b, NULL), QPM_OK);
    tb_load_market(b);
    size_t ne;
    cr_assert_eq(qpm_book_n_expiries(b, &ne), QPM_OK);
    for (size_t k = 0; k < ne; k++) {
        size_t eu;
        int32_t id;
        double F, T;
        cr_assert_eq(qpm_book_expiry(b, k, &eu, &id, &F, &T), QPM_OK);
        if (eu == u)
            cr_assert_eq(qpm_book_set_forward(b, eu, id, F, T + dT), QPM_OK);
    }
    tb_positions p;
    tb_read_positions(b, &p, NULL);
    for (size_t i = 0; i < p.n; i++)
        if (p.under[i] == u && p.instr[i] >= QPM_INSTR_LINEAR_OPTION)
            p.sig[i] += dsig;
    tb_add(b, &p);
    return b;
}

Test(book_props, greeks_match_central_differences)
{
    qpm_book *b = tb_reference_book();
    double g[8][2];
    totals(b, g);
    for (size_t u = 0; u < 2; u++) {
        double S;
        {
            /* spot from delta_usd / delta_coin */
            S = g[3][u] / g[2][u];
        }
        /* delta and gamma: spot moves of +-h through qpm_book_pnl.  Step
         * h = 1e-4 (relative): truncation error ~h^2 relative, rounding
         * ~1e-16 * V / (h S); 1e-6 relative covers both for delta. */
        double h = 1e-4, x[2][2] = {{0, 0}, {0, 0}}, pnl[2];
        x[0][u] = h;
        x[1][u] = -h;
        cr_assert_eq(qpm_book_pnl(b, 2, &x[0][0], 2, NULL, 0, pnl), QPM_OK);
        double d_fd = (pnl[0] - pnl[1]) / (2 * h * S);
        double g_fd = (pnl[0] + pnl[1]) / (h * S * h * S);
        cr_assert(tb_close(d_fd, g[2][u], 1e-6, 0.0), "u %zu delta %.17g vs fd %.17g", u, g[2][u],
                  d_fd);
        /* gamma: second difference, rounding ~1e-16 V / (h S)^2 -> 1e-4 */
        cr_assert(tb_close(g_fd, g[4][u], 1e-4, 0.0), "u %zu gamma %.17g vs fd %.17g", u,
                  g[4][u], g_fd);
        /* vega: every vol of u shifted by +-1e-5 absolute */
        double hv = 1e-5;
        qpm_book *up = shifted_book(u, hv, 0.0), *dn = shifted_book(u, -hv, 0.0);
        double v_fd = (book_value(up) - book_value(dn)) / (2 * hv);
        qpm_book_free(up);
        qpm_book_free(dn);
        cr_assert(tb_close(v_fd, g[5][u], 1e-6, 0.0), "u %zu vega %.17g vs fd %.17g", u, g[5][u],
                  v_fd);
        /* theta = -dV/dT with S, F, P, sigma fixed: every T of u by +-1e-7
         * years (the shortest expiry is 7 days) */
        double ht = 1e-7;
        up = shifted_book(u, 0.0, ht);
        dn = shifted_book(u, 0.0, -ht);
        double t_fd = -(book_value(up) - book_value(dn)) / (2 * ht);
        qpm_book_free(up);
        qpm_book_free(dn);
        cr_assert(tb_close(t_fd, g[6][u], 1e-5, 0.0), "u %zu theta %.17g vs fd %.17g", u,
                  g[6][u], t_fd);
    }
    qpm_book_free(b);
    cr_assert_eq(qt_leak_check(), 0);
}

/* Random joint scenarios (spot moves in [-0.3, 0.3], vol shifts in
 * [-0.5, 0.5]), fixed by a small LCG so the test is reproducible. */
static void random_moves(size_t n, size_t ld, double *x, double *v)
{
    uint64_t s = 12345;
    for (size_t i = 0; i < n * ld; i++) {
        s = s * 6364136223846793005u + 1442695040888963407u;
        x[i] = ((double)(s >> 11) * 0x1p-53 - 0.5) * 0.6;
        s = s * 6364136223846793005u + 1442695040888963407u;
        v[i] = (double)(s >> 11) * 0x1p-53 - 0.5;
    }
}

Test(book_props, pnl_bit_identical_for_any_thread_count)
{
    qpm_book *b = tb_reference_book();
    size_t n = 1000; /* 16 chunks, the last one partial */
    double *x = malloc(n * 2 * sizeof *x), *v = malloc(n * 2 * sizeof *v);
    double *ref = malloc(n * sizeof *ref), *got = malloc(n * sizeof *got);
    random_moves(n, 2, x, v);
    cr_assert_eq(qpm_book_pnl(b, n, x, 2, v, 2, ref), QPM_OK);
    for (unsigned t = 2; t <= 4; t++) {
        cr_assert_eq(qpm_book_set(b, QPM_BOOK_THREADS, t), QPM_OK);
        memset(got, 0, n * sizeof *got);
        cr_assert_eq(qpm_book_pnl(b, n, x, 2, v, 2, got), QPM_OK);
        cr_assert_eq(memcmp(ref, got, n * sizeof *got), 0, "threads = %u differ", t);
    }
    /* a scenario's P&L does not depend on its neighbours either */
    for (size_t s = 0; s < n; s += 97) {
        double one;
        cr_assert_eq(qpm_book_pnl(b, 1, x + 2 * s, 2, v + 2 * s, 2, &one), QPM_OK);
        cr_assert_eq(memcmp(&one, &ref[s], sizeof one), 0, "scenario %zu alone", s);
    }
    free(x);
    free(v);
    free(ref);
    free(got);
    qpm_book_free(b);
    cr_assert_eq(qt_leak_check(), 0);
}

Test(book_props, zero_move_is_exactly_zero)
{
    qpm_book *b = tb_reference_book();
    double x[3 * 2] = {0}, v[3 * 2] = {0}, pnl[3] = {1, 1, 1};
    cr_assert_eq(qpm_book_pnl(b, 3, x, 2, v, 2, pnl), QPM_OK);
    for (int k = 0; k < 3; k++)
        cr_assert_eq(pnl[k], 0.0);
    cr_assert_eq(qpm_book_pnl(b, 3, x, 2, NULL, 0, pnl), QPM_OK);
    for (int k = 0; k < 3; k++)
        cr_assert_eq(pnl[k], 0.0);
    /* in a grid the zero row/column of the other underlying stays too */
    double xs[1] = {0.0}, vs[1] = {0.0}, g[1] = {1.0}, wl = 1.0;
    size_t wi = 9;
    cr_assert_eq(qpm_book_scenario_grid(b, QPM_BOOK_ALL, 1, xs, 1, vs, g, &wl, &wi), QPM_OK);
    cr_assert_eq(g[0], 0.0);
    cr_assert_eq(wl, 0.0);
    cr_assert_eq(wi, 0u);
    qpm_book_free(b);
    cr_assert_eq(qt_leak_check(), 0);
}

/* P&L of a scenario = value of a book built on the moved market minus the
 * base value (independent path: the value functions). */
Test(book_props, pnl_matches_revaluation_of_a_moved_market)
{
    qpm_book *b = tb_reference_book();
    double base = book_value(b);
    const double x[2] = {0.07, -0.11}, v[2] = {-0.2, 0.35};
    double pnl;
    cr_assert_eq(qpm_book_pnl(b, 1, x, 2, v, 2, &pnl), QPM_OK);
    /* moved copy: every price of u times (1 + x_u), every vol times (1 + v_u) */
    qpm_book *m;
    cr_assert_eq(qpm_book_create(&m, NULL), QPM_OK);
    tb_load_market(m);
    for (size_t u = 0; u < 2; u++) {
        const char *name;
        cr_assert_eq(qpm_book_underlying_name(m, u, &name), QPM_OK);
        size_t again;
        cr_assert_eq(qpm_book_find_underlying(b, name, &again), QPM_OK);
        cr_assert_eq(again, u);
    }
    /* the market file again, every price moved */
    qt_csv *c = qt_csv_load("book_market_public.csv");
    size_t cu = qt_csv_col(c, "underlying"), ck = qt_csv_col(c, "kind"),
           ce = qt_csv_col(c, "expiry_id"), cT = qt_csv_col(c, "T"), cv = qt_csv_col(c, "value");
    for (size_t i = 0; i < c->nrows; i++) {
        const char *k = qt_csv_str(c, i, ck);
        size_t u;
        if (strcmp(k, "rate") == 0)
            continue;
        cr_assert_eq(qpm_book_find_underlying(m, qt_csv_str(c, i, cu), &u), QPM_OK);
        double val = qt_csv_num(c, i, cv) * (1.0 + x[u]);
        if (strcmp(k, "spot") == 0)
            cr_assert_eq(qpm_book_set_spot(m, u, val), QPM_OK);
        else if (strcmp(k, "perp") == 0)
            cr_assert_eq(qpm_book_set_perp(m, u, val), QPM_OK);
        else
            cr_assert_eq(qpm_book_set_forward(m, u, tb_expiry_id(qt_csv_str(c, i, ce)), val,
                                              qt_csv_num(c, i, cT)),
                         QPM_OK);
    }
    qt_csv_free(c);
    tb_positions p;
    tb_read_positions(m, &p, NULL);
    for (size_t i = 0; i < p.n; i++)
        p.sig[i] *= 1.0 + v[p.under[i]];
    tb_add(m, &p);
    double moved = book_value(m);
    /* two roundings of ~1e6 USD values: 1e-9 relative to the gross value */
    cr_assert(fabs(pnl - (moved - base)) <= 1e-9 * fabs(base) + 1e-6, "pnl %.17g vs %.17g", pnl,
              moved - base);
    qpm_book_free(m);
    qpm_book_free(b);
    cr_assert_eq(qt_leak_check(), 0);
}

Test(book_props, totals_are_sums_of_position_rows)
{
    qpm_book *b = tb_reference_book();
    size_t n, ne;
    cr_assert_eq(qpm_book_n_positions(b, &n), QPM_OK);
    cr_assert_eq(qpm_book_n_expiries(b, &ne), QPM_OK);
    cr_assert_eq(ne, 7u);
    double pos[8][TB_MAXPOS], tot[8][2], ex[8][16];
    qpm_book_out o = {sizeof o, pos[0], pos[1], pos[2], pos[3], pos[4], pos[5], pos[6], pos[7]};
    cr_assert_eq(qpm_book_position_greeks(b, &o), QPM_OK);
    totals(b, tot);
    qpm_book_out oe = {sizeof oe, ex[0], ex[1], ex[2], ex[3], ex[4], ex[5], ex[6], ex[7]};
    cr_assert_eq(qpm_book_expiry_greeks(b, &oe), QPM_OK);
    tb_positions p;
    tb_read_positions(b, &p, NULL);
    for (size_t k = 0; k < 8; k++) {
        double su[2] = {0, 0}, se[16] = {0};
        for (size_t i = 0; i < n; i++) {
            su[p.under[i]] += pos[k][i];
            if (p.instr[i] >= QPM_INSTR_LINEAR_OPTION) {
                size_t r = 0;
                for (; r < ne; r++) {
                    size_t eu;
                    int32_t id;
                    cr_assert_eq(qpm_book_expiry(b, r, &eu, &id, NULL, NULL), QPM_OK);
                    if (eu == p.under[i] && id == p.expiry[i])
                        break;
                }
                cr_assert(r < ne);
                se[r] += pos[k][i];
            }
        }
        /* same additions in the same order: exact */
        for (size_t u = 0; u < 2; u++)
            cr_assert_eq(tot[k][u], su[u], "field %zu underlying %zu", k, u);
        for (size_t r = 0; r < ne; r++)
            cr_assert_eq(ex[k][r], se[r], "field %zu expiry row %zu", k, r);
    }
    /* futures carry no vega, so the vega of the expiry rows adds up to the
     * underlying's total */
    double vb = 0.0;
    for (size_t r = 0; r < ne; r++) {
        size_t eu;
        cr_assert_eq(qpm_book_expiry(b, r, &eu, NULL, NULL, NULL), QPM_OK);
        if (eu == 0)
            vb += ex[5][r];
    }
    cr_assert(tb_close(vb, tot[5][0], 1e-13, 0.0));
    qpm_book_free(b);
    cr_assert_eq(qt_leak_check(), 0);
}

Test(book_props, clear_and_re_add_give_the_same_results)
{
    qpm_book *b = tb_reference_book();
    double x[4] = {0.05, -0.02, -0.1, 0.03}, v[4] = {0.1, 0.0, -0.2, 0.25}, p1[2], p2[2];
    cr_assert_eq(qpm_book_pnl(b, 2, x, 2, v, 2, p1), QPM_OK);
    cr_assert_eq(qpm_book_clear_positions(b), QPM_OK);
    size_t n = 9;
    cr_assert_eq(qpm_book_n_positions(b, &n), QPM_OK);
    cr_assert_eq(n, 0u);
    /* an empty book: P&L 0, totals 0 */
    cr_assert_eq(qpm_book_pnl(b, 2, x, 2, v, 2, p2), QPM_OK);
    cr_assert_eq(p2[0], 0.0);
    cr_assert_eq(p2[1], 0.0);
    tb_positions p;
    tb_read_positions(b, &p, NULL);
    /* in two batches this time */
    cr_assert_eq(qpm_book_add_positions(b, 10, p.instr, p.under, p.expiry, p.type, p.K, p.Q, p.m,
                                        p.e, p.sig),
                 QPM_OK);
    cr_assert_eq(qpm_book_add_positions(b, p.n - 10, p.instr + 10, p.under + 10, p.expiry + 10,
                                        p.type + 10, p.K + 10, p.Q + 10, p.m + 10, p.e + 10,
                                        p.sig + 10),
                 QPM_OK);
    cr_assert_eq(qpm_book_pnl(b, 2, x, 2, v, 2, p2), QPM_OK);
    cr_assert_eq(memcmp(p1, p2, sizeof p1), 0);
    /* market updates are picked up: a new spot changes the values */
    double before = book_value(b);
    cr_assert_eq(qpm_book_set_spot(b, 0, 61000.0), QPM_OK);
    cr_assert(book_value(b) != before);
    cr_assert_eq(qpm_book_set_rate(b, 0, 0.0), QPM_OK);
    cr_assert(isfinite(book_value(b)));
    qpm_book_free(b);
    cr_assert_eq(qt_leak_check(), 0);
}
