#!/usr/bin/env python3
"""A concentrated-liquidity (Uniswap v3 style) BTC/USDC LP position: the
liquidity a deposit mints, the position's amounts, value, delta, gamma and
impermanent loss over a price grid, the same position in a book (its fee
theta), and swap quotes against a v3 pool and a v2 pool; with --plot, the
LP value against holding the deposit and against a full-range (v2) share of
equal value, over the grid.

    python3 examples/python/amm_lp.py [--price 95000] [--lower 85000]
                                      [--upper 110000] [--btc 1] [--usd 75000]
                                      [--fee-rate 0.15] [--plot lp.png]

qpm.amm is libqpm's experimental tier: its names may change in a minor
release.  USDC is taken at par with USD.
"""
import argparse
import math

import _setup_path  # noqa: F401
import qpm
from qpm import amm


#: the printed grid, as multiples of the current price
GRID = (0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 1.0, 1.05, 1.1, 1.15, 1.2, 1.3, 1.5)


def price_grid(lo, hi, n):
    """n prices from lo to hi, evenly spaced in log price."""
    return [lo * (hi / lo) ** (i / (n - 1)) for i in range(n)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--price", type=float, default=95000.0, help="pool price, USD per BTC")
    ap.add_argument("--lower", type=float, default=85000.0, help="range lower price")
    ap.add_argument("--upper", type=float, default=110000.0, help="range upper price")
    ap.add_argument("--btc", type=float, default=1.0, help="BTC deposited")
    ap.add_argument("--usd", type=float, default=75000.0, help="USDC deposited")
    ap.add_argument("--fee-rate", type=float, default=0.15,
                    help="expected fee yield per year on the value (the book's theta)")
    ap.add_argument("--plot", metavar="PNG", help="write the value-vs-holding chart here")
    args = ap.parse_args()
    P, lo, hi = args.price, args.lower, args.upper

    print("libqpm %s: v3 LP position BTC/USDC over [%.0f, %.0f) at price %.0f"
          % (qpm.version_string(), lo, hi, P))
    mint = amm.liquidity_from_amounts(P, lo, hi, args.btc, args.usd)
    L = mint.liquidity
    now = amm.lp_position(P, L, lo, hi)
    print("deposit %.4f BTC + %.2f USDC mints liquidity L = %.2f sqrt(BTC x USD)"
          % (args.btc, args.usd, L))
    print("  in the pool %.4f BTC + %.2f USDC; left over %.4f BTC + %.2f USDC"
          % (now["coin"], now["usd"], mint.coin_left, mint.usd_left))
    print("  value %.2f USD, delta %.4f BTC, gamma %.3e BTC per USD"
          % (now["value"], now["delta"], now["gamma"]))
    # the full-range (v2) share of the same value: 2 L2 sqrt(P) = value
    L2 = now["value"] / (2 * math.sqrt(P))
    print("  a full-range (v2) share of the same value needs L = %.2f: the range "
          "concentrates the liquidity %.1fx" % (L2, L / L2))

    grid = [f * P for f in GRID]
    pos = amm.lp_position(grid, L, lo, hi)
    il = amm.impermanent_loss(P, grid, lo, hi)
    il2 = amm.impermanent_loss(P, grid)
    v2 = amm.lp_position(grid, L2)["value"]
    hold = [now["coin"] * p + now["usd"] for p in grid]
    print("\nover a price grid (impermanent loss against holding the deposit)")
    print("%10s %10s %12s %12s %10s %11s %10s %10s %12s" % (
        "price", "BTC", "USDC", "value", "delta", "gamma", "IL v3", "IL v2", "v2 value"))
    for i, p in enumerate(grid):
        print("%10.0f %10.4f %12.2f %12.2f %10.4f %11.3e %9.2f%% %9.2f%% %12.2f" % (
            p, pos["coin"][i], pos["usd"][i], pos["value"][i], pos["delta"][i],
            pos["gamma"][i], 100 * il[i] + 0.0, 100 * il2[i] + 0.0, v2[i]))

    # the same position in a book: Greeks by the same closed forms, its
    # theta the fees it is expected to earn, P&L by full revaluation.  Fees
    # go to liquidity in range, so the v2 share of equal value earns L2 / L
    # of the range's yield (while the price stays in the range).
    with qpm.Book() as b:
        b.add_underlying("BTC", P)
        b.add_positions(["amm_v3", "amm_v2"], "BTC", [L, L2], 1.0, price_lower=[lo, math.nan],
                        price_upper=[hi, math.nan],
                        fee_rate=[args.fee_rate, args.fee_rate * L2 / L])
        v = b.values()
        pnl = b.pnl([-0.1, 0.1])
        print("\nin a book (fee yield of the range %.0f%% a year):" % (100 * args.fee_rate))
        for i, name in enumerate(("v3 range", "v2 share")):
            print("  %-9s value %.2f USD, delta %.4f BTC, theta %.2f USD/year"
                  % (name, v["value_usd"][i], v["delta_coin"][i], v["theta"][i]))
        print("  book P&L for spot -10%%: %.2f USD, +10%%: %.2f USD" % (pnl[0], pnl[1]))

    # swap quotes: a v3 pool whose liquidity sits in a few tick intervals
    # (this position's range among them), and a v2 pool of similar depth
    bounds = [70000.0, 85000.0, 92000.0, 98000.0, 110000.0, 130000.0]
    liq = [2.0e4, 6.0e4, 2.5e5, 1.5e5, 3.0e4]
    rc, ru = 100.0, 100.0 * P
    print("\nswap quotes (fee 0.30%%) at price %.0f" % P)
    print("%-26s %14s %14s %12s %10s %6s" % ("", "amount in", "amount out", "price after",
                                              "impact", "ticks"))
    for side, amount in (("sell_coin", 5.0), ("buy_coin", 2.0e6), ("sell_coin", 20.0)):
        unit_in, unit_out = ("BTC", "USDC") if side == "sell_coin" else ("USDC", "BTC")
        q3 = amm.swap_v3(bounds, liq, P, amount, side, 0.003)
        q2 = amm.swap_v2(rc, ru, amount, side, 0.003)
        for name, q, ticks in (("v3 pool", q3, str(q3.ticks_crossed)), ("v2 pool", q2, "")):
            print("%-26s %10.2f %-4s %10.4f %-4s %11.2f %9.3f%% %6s" % (
                "%s, %s" % (name, side.replace("_", " ")), amount, unit_in, q.amount_out,
                unit_out, q.price_after, 100 * q.impact, ticks))
    try:
        amm.swap_v3(bounds, liq, P, 50.0, "sell_coin", 0.003)
    except qpm.QpmInfeasibleError as e:
        print("a 50 BTC sale is refused: %s" % e.message)

    if args.plot:
        try:
            import matplotlib
            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:
            print("matplotlib is not installed: no plot")
            return 0
        fine = price_grid(0.6 * P, 1.5 * P, 200)
        fig, ax = plt.subplots(figsize=(7, 4.5))
        ax.plot(fine, amm.lp_position(fine, L, lo, hi)["value"], label="v3 LP [%.0f, %.0f)"
                % (lo, hi))
        ax.plot(fine, [now["coin"] * p + now["usd"] for p in fine], "--",
                label="hold the deposit")
        ax.plot(fine, amm.lp_position(fine, L2)["value"], ":", label="v2 share, equal value")
        for x in (lo, hi):
            ax.axvline(x, color="grey", lw=0.5)
        ax.axvline(P, color="black", lw=0.5)
        ax.set_xlabel("BTC price (USD)")
        ax.set_ylabel("value (USD)")
        ax.set_title("BTC/USDC liquidity position against holding")
        ax.legend()
        fig.tight_layout()
        fig.savefig(args.plot, dpi=120)
        print("chart written to %s" % args.plot)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
