#!/usr/bin/env python3
"""A BTC/ETH derivatives account: options of both settlements (some short),
linear and inverse futures, perpetuals and a v3 BTC/USDC liquidity
position, against BTC, ETH and USDC collateral with haircuts, spread over
two exchanges and an AMM protocol (every position and holding tagged with
its venue).  Prints the Greeks by underlying, the funding carry per day, a
basis table per expiry with the perps' funding carry annualised, the
standard margin (equity, initial, maintenance, margin ratio), what each
venue holds (what a failure of it would cost), the liquidation price of each
underlying and the margin ratio over a spot x vol risk matrix; with --plot,
the LP position's value against holding its initial amounts and a heat map
of the margin ratio over the risk matrix.

    python3 examples/python/account.py [--plot account.png]

Margin under the library's standard model (Book.margin: futures and perps
on notional, short options by the exchange rule) and its portfolio-margin
model (Book.portfolio_margin: per underlying the worst loss of its own risk
matrix or a dampened extended move, summed with no offset between
underlyings).  The account view, funding, basis and AMM
functions are libqpm's experimental tier: their names may change in a minor
release.  USDC is taken at par with USD.  The market is made up.
"""
import argparse
import math

import _setup_path  # noqa: F401
import qpm
from qpm import amm, carry
from qpm.book import USD, Book

try:
    import numpy as np
except ImportError:
    raise SystemExit("this example needs numpy")

#: underlying -> spot, perp mark, USD rate, funding per 8 h (current,
#: expected), expiries (label, days, forward)
MARKET = {
    "BTC": (95000.0, 95045.0, 0.045, (0.00010, 0.00008),
            (("7D", 7, 95105.0), ("30D", 30, 95520.0), ("91D", 91, 97150.0))),
    "ETH": (3300.0, 3301.8, 0.045, (0.00015, 0.00010),
            (("7D", 7, 3304.1), ("30D", 30, 3319.5), ("91D", 91, 3372.0))),
}

#: the v3 BTC/USDC range, its deposit (0.5 BTC + 47,500 USDC) and its
#: expected fee yield a year
LP_LOWER, LP_UPPER, LP_BTC, LP_USD, LP_FEE = 85000.0, 110000.0, 0.5, 47500.0, 0.15

#: collateral: (venue, asset, amount, haircut)
COLLATERAL = [("deribit", "BTC", 0.8, 0.05), ("deribit", USD, 12000.0, 0.0),
              ("binance", "ETH", 10.0, 0.10), ("binance", USD, 18000.0, 0.0)]

#: the venues: two exchanges and the AMM protocol that holds the LP position
VENUES = ["deribit", "binance", "uniswap"]

#: round-trip cost of a cash-and-carry or funding trade, fraction of notional
COST = 0.0010

#: the printed risk matrix (all underlyings moved together)
SPOT_SHIFTS = [k / 100 for k in range(-40, 41, 5)]
VOL_SHIFTS = [-0.5, -0.3, 0.0, 0.3, 0.5, 1.0]


def build_account():
    """The market, the positions, the collateral and the funding rates."""
    b = Book()
    for v in VENUES:
        b.add_venue(v)
    for name, (spot, perp, rate, (cur, exp), expiries) in MARKET.items():
        b.add_underlying(name, spot, rate, perp=perp)
        b.set_funding(name, cur, exp)
        for label, days, fwd in expiries:
            b.set_forward(name, label, fwd, days / 365)
    # a short call spread financed by a put, coin-settled (Deribit style,
    # 1 coin each), USD-settled options, a short ETH call overwrite
    rows = [
        # instrument, underlying, quantity, multiplier, expiry, type, strike, entry, sigma,
        # venue
        ("inverse_option", "BTC", -8.0, 1.0, "30D", "call", 110000.0, None, 0.52, "deribit"),
        ("inverse_option", "BTC", 6.0, 1.0, "30D", "put", 85000.0, None, 0.57, "deribit"),
        ("linear_option", "BTC", -3.0, 1.0, "7D", "put", 90000.0, None, 0.50, "binance"),
        ("linear_option", "BTC", 4.0, 1.0, "91D", "call", 105000.0, None, 0.55, "binance"),
        ("linear_option", "ETH", -60.0, 1.0, "30D", "call", 3800.0, None, 0.68, "binance"),
        ("inverse_option", "ETH", 40.0, 1.0, "91D", "put", 2900.0, None, 0.72, "deribit"),
        ("linear_option", "ETH", -25.0, 1.0, "7D", "put", 3100.0, None, 0.70, "binance"),
        # futures: a short BTC quarterly against the BTC collateral (cash and
        # carry), an inverse BTC monthly in 10-USD contracts, a long ETH monthly
        ("linear_future", "BTC", -2.0, 1.0, "91D", None, None, 96300.0, None, "deribit"),
        ("inverse_future", "BTC", -6000.0, 10.0, "30D", None, None, 94800.0, None, "deribit"),
        ("linear_future", "ETH", 80.0, 1.0, "30D", None, None, 3280.0, None, "binance"),
        # perps: long BTC linear, short ETH inverse in 10-USD contracts
        ("linear_perp", "BTC", 1.5, 1.0, None, None, None, 93800.0, None, "binance"),
        ("inverse_perp", "ETH", -8000.0, 10.0, None, None, None, 3350.0, None, "deribit"),
    ]
    cols = list(zip(*rows))
    b.add_positions(list(cols[0]), list(cols[1]), list(cols[2]), list(cols[3]),
                    expiry=list(cols[4]), option_type=list(cols[5]), strike=list(cols[6]),
                    entry_price=list(cols[7]), sigma=list(cols[8]), venue=list(cols[9]))
    # the v3 BTC/USDC range: the liquidity its deposit mints
    spot = MARKET["BTC"][0]
    mint = amm.liquidity_from_amounts(spot, LP_LOWER, LP_UPPER, LP_BTC, LP_USD)
    L = mint.liquidity
    b.add_positions("amm_v3", "BTC", L, 1.0, price_lower=LP_LOWER, price_upper=LP_UPPER,
                    fee_rate=LP_FEE, venue="uniswap")
    for venue, asset, amount, haircut in COLLATERAL:
        b.set_collateral(asset, amount, haircut, venue=venue)
    labels = ["%s %s %s" % (r[1], r[0], r[4] or "") for r in rows] + ["BTC amm_v3"]
    return b, mint, labels


def money(x):
    return "%14s" % format(x, ",.0f")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--plot", metavar="PNG",
                    help="write the LP payoff and margin-ratio heat map here")
    args = ap.parse_args()

    b, mint, labels = build_account()
    L = mint.liquidity
    names = b.underlyings
    spots = [MARKET[n][0] for n in names]
    print("libqpm %s: BTC/ETH account, %d positions, collateral %s"
          % (qpm.version_string(), b.n_positions,
             ", ".join("%g %s at %s (haircut %g%%)" % (a, "USDC" if k == USD else k, v, 100 * h)
                       for v, k, a, h in COLLATERAL)))
    lp = amm.lp_position(spots[0], L, LP_LOWER, LP_UPPER)
    print("v3 LP BTC/USDC [%.0f, %.0f): %g BTC + %s USDC mint L = %.2f, in the pool %.4f BTC "
          "+ %s USDC (%s USDC not deployed, not in the account)"
          % (LP_LOWER, LP_UPPER, LP_BTC, format(LP_USD, ",.0f"), L, lp["coin"],
             format(lp["usd"], ",.0f"), format(mint.usd_left, ",.0f")))

    # ---- Greeks ----------------------------------------------------------
    g = b.greeks(by="underlying")
    print("\nGreeks by underlying (USD; delta in coins and USD, vega per vol "
          "point, theta per day)")
    print("%-4s %14s %11s %14s %12s %12s %12s" % ("", "value", "delta", "delta USD",
                                                  "gamma", "vega/1%", "theta/day"))
    for u, n in enumerate(names):
        print("%-4s %s %11.3f %s %12.4g %12.0f %12.0f" % (
            n, money(g["value_usd"][u]), g["delta_coin"][u], money(g["delta_usd"][u]),
            g["gamma"][u], g["vega"][u] / 100, g["theta"][u] / 365))

    # ---- funding ---------------------------------------------------------
    f = b.funding(24)
    print("\nfunding carry per day at the set rates (USD, + received)")
    for u, n in enumerate(names):
        cur, exp = MARKET[n][3]
        print("  %-4s %10.2f   (rate per 8h: %.4f%% now, %.4f%% expected)"
              % (n, f.underlying[u], 100 * cur, 100 * exp))
    for k, lab in enumerate(labels):
        if "perp" in lab:
            print("    %-22s %10.2f" % (lab, f.position[k]))
    print("  total %9.2f USD/day, %.0f USD/year" % (sum(f.underlying),
                                                    365 * sum(f.underlying)))

    # ---- basis -----------------------------------------------------------
    print("\nbasis per expiry (annualised; cash and carry net of a %.2f%% round trip)"
          % (100 * COST))
    print("%-4s %-5s %5s %11s %10s %9s %11s %10s" % ("", "exp", "days", "future", "premium",
                                                     "simple", "continuous", "c&c net"))
    for n in names:
        spot, perp, _, (cur, _), expiries = MARKET[n]
        fut = [e[2] for e in expiries]
        T = [e[1] / 365 for e in expiries]
        bs = carry.basis(spot, fut, T, COST)
        for k, (label, days, F) in enumerate(expiries):
            print("%-4s %-5s %5d %11.2f %9.3f%% %8.2f%% %10.2f%% %9.2f%%" % (
                n, label, days, F, 100 * (F / spot - 1), 100 * bs["simple"][k],
                100 * bs["continuous"][k], 100 * bs["carry"][k]))
        fc = carry.funding_carry(cur, 30, COST)
        print("%-4s %-5s %5s %11.2f %9.3f%%   funding %.4f%%/8h held 30 days: "
              "%.2f%% simple, %.2f%% compounded a year, net of cost"
              % (n, "perp", "", perp, 100 * (perp / spot - 1), 100 * cur,
                 100 * fc.simple, 100 * fc.compounded))

    # ---- margin ----------------------------------------------------------
    m = b.margin()
    print("\nstandard margin (USD)")
    print("  equity      %s" % money(m.equity))
    print("  initial     %s   free collateral %s" % (money(m.initial),
                                                    money(m.equity - m.initial)))
    print("  maintenance %s   margin ratio %.2f%% (liquidation at 100%%)"
          % (money(m.maintenance), 100 * m.maintenance / m.equity))
    top = sorted(range(len(labels)), key=lambda k: -m.position_mm[k])[:3]
    print("  largest maintenance: " + ", ".join("%s %s" % (labels[k].strip(),
                                                           format(m.position_mm[k], ",.0f"))
                                                for k in top))
    vm = b.venue_margin()
    print("\nby venue (USD): what each holds, and its margin; a failure of the venue "
          "costs its equity")
    print("  %-9s %14s %14s %14s" % ("venue", "equity", "initial", "maintenance"))
    for k, v in enumerate(b.venues + ["(none)"]):
        print("  %-9s %s %s %s" % (v, money(vm.equity[k]), money(vm.initial[k]),
                                   money(vm.maintenance[k])))
    pm = b.portfolio_margin()
    print("\nportfolio margin (USD; per underlying its worst risk-matrix loss, summed)")
    for u, n in enumerate(names):
        print("  %-4s initial %s" % (n, money(pm.per_underlying[u])))
    print("  initial     %s   free collateral %s" % (money(pm.initial),
                                                    money(m.equity - pm.initial)))
    print("  maintenance %s   margin ratio %.2f%%" % (money(pm.maintenance),
                                                     100 * pm.maintenance / m.equity))

    # ---- liquidation -----------------------------------------------------
    liq = b.liquidations()
    print("\nliquidation prices (one underlying moved alone, vols fixed)")
    for u, n in enumerate(names):
        d, up = liq.down[u], liq.up[u]
        if d == 0.0 and up == 0.0:
            print("  %-4s liquidated already" % n)
            continue
        lo = "none" if d <= -1.0 else "%.2f (%+.1f%%)" % (spots[u] * (1 + d), 100 * d)
        hi = "none" if math.isinf(up) else "%.2f (%+.1f%%)" % (spots[u] * (1 + up), 100 * up)
        print("  %-4s spot %10.2f   down %-22s up %s" % (n, spots[u], lo, hi))

    # ---- risk matrix -----------------------------------------------------
    grid = b.margin_grid(SPOT_SHIFTS, VOL_SHIFTS)
    print("\nmargin ratio (maintenance / equity) over the risk matrix, all underlyings "
          "moved together; LIQ: liquidated")
    print("%-7s" % "spot" + "".join("%10s" % ("vol %+d%%" % round(100 * v))
                                    for v in VOL_SHIFTS))
    for i, x in enumerate(SPOT_SHIFTS):
        cells = ["%10s" % ("LIQ" if r >= 1 else "%.1f%%" % (100 * r)) for r in grid.ratio[i]]
        print("%+6d%%" % round(100 * x) + "".join(cells))
    j0 = VOL_SHIFTS.index(0.0)
    i0 = SPOT_SHIFTS.index(0.0)
    lo = hi = i0  # the run of cells below liquidation around the current market
    while lo > 0 and grid.ratio[lo - 1, j0] < 1:
        lo -= 1
    while hi + 1 < len(SPOT_SHIFTS) and grid.ratio[hi + 1, j0] < 1:
        hi += 1
    print("at unchanged vols the account survives joint spot moves from %+d%% to %+d%% "
          "on this grid" % (round(100 * SPOT_SHIFTS[lo]), round(100 * SPOT_SHIFTS[hi])))

    if args.plot:
        plot(args.plot, b, L)
    b.close()
    return 0


def plot(path, b, L):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no plot")
        return
    P = MARKET["BTC"][0]
    now = amm.lp_position(P, L, LP_LOWER, LP_UPPER)
    prices = np.linspace(0.6 * P, 1.5 * P, 200)
    value = amm.lp_position(prices, L, LP_LOWER, LP_UPPER)["value"]
    hold = now["coin"] * prices + now["usd"]
    il = amm.impermanent_loss(P, prices, LP_LOWER, LP_UPPER)
    xs = np.linspace(-0.5, 0.5, 41)
    vs = np.linspace(-0.5, 1.0, 31)
    ratio = b.margin_grid(xs, vs).ratio

    fig, (a1, a2) = plt.subplots(1, 2, figsize=(12, 4.8))
    a1.plot(prices, value, label="v3 LP [%.0f, %.0f)" % (LP_LOWER, LP_UPPER))
    a1.plot(prices, hold, "--", label="hold %.3f BTC + %.0f USDC" % (now["coin"], now["usd"]))
    a1.fill_between(prices, value, hold, where=il < 0, color="C3", alpha=0.15,
                    label="impermanent loss")
    for x in (LP_LOWER, LP_UPPER):
        a1.axvline(x, color="grey", lw=0.5)
    a1.axvline(P, color="black", lw=0.5)
    a1.set_xlabel("BTC price (USD)")
    a1.set_ylabel("value (USD)")
    a1.set_title("BTC/USDC LP position against holding")
    a1.legend(fontsize=8)

    shown = np.minimum(ratio, 1.5)  # liquidated cells (ratio >= 1 or inf) saturate
    im = a2.pcolormesh(100 * vs, 100 * xs, shown, cmap="RdYlGn_r", vmin=0, vmax=1.5,
                       shading="nearest")
    if shown.min() < 1.0 < shown.max():
        a2.contour(100 * vs, 100 * xs, shown, levels=[1.0], colors="black", linewidths=1)
    a2.set_xlabel("vol shift (%)")
    a2.set_ylabel("spot shift, all underlyings (%)")
    a2.set_title("margin ratio (maintenance / equity); black: liquidation")
    fig.colorbar(im, ax=a2, label="margin ratio (capped at 1.5)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print("chart written to %s" % path)


if __name__ == "__main__":
    raise SystemExit(main())
