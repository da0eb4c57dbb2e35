#!/usr/bin/env python3
"""Build a small BTC/ETH derivatives book, print its Greeks by underlying and
by expiry, and the spot x vol P&L grid that exchange portfolio margin uses;
when matplotlib is installed, draw the grid as a heat map.

    python3 examples/python/book_risk_matrix.py [--market m.csv --positions p.csv]
                                                [--underlying BTC|ETH|ALL]
                                                [--plot grid.png]

Without files the book is built inline.  With files they follow the
reference-data layout: a market CSV (underlying, kind, expiry_id, T, value;
kind is rate, spot, perp or forward) and a positions CSV (underlying,
instrument, expiry_id, option_type, strike, quantity, multiplier,
entry_price, sigma; empty fields where they do not apply), read with pandas
when it is installed, with the csv module otherwise.
"""
import argparse

import _setup_path  # noqa: F401
import qpm
from qpm.book import GRID_SPOT_SHIFTS, GRID_VOL_SHIFTS, Book

try:
    import numpy as np
except ImportError:
    raise SystemExit("this example needs numpy")

import _data  # noqa: E402


def inline_book():
    """A made-up book: spot, futures, perps and options on two coins."""
    b = Book()
    for name, spot, perp, fwd in (("BTC", 60682.5, 60636.75, (60748.9, 61551.1, 62432.2)),
                                  ("ETH", 3344.99, 3345.64, (3348.1, 3385.5, 3410.3))):
        b.add_underlying(name, spot, 0.045, perp=perp)
        for label, F, days in zip(("7D", "91D", "182D"), fwd, (7, 91, 182)):
            b.set_forward(name, label, F, days / 365)
    b.add_positions(
        ["spot", "linear_future", "inverse_perp", "inverse_option", "inverse_option",
         "linear_option", "spot", "inverse_future", "linear_perp", "inverse_option",
         "linear_option", "linear_option"],
        ["BTC"] * 6 + ["ETH"] * 6,
        [5.0, -6.0, 17000.0, 10.5, -20.5, 250.0, -40.0, 14000.0, 2780.0, -21.5, 325.0, -129.0],
        [1.0, 5.0, 10.0, 1.0, 1.0, 0.01, 1.0, 1.0, 0.01, 1.0, 0.1, 0.1],
        expiry=[None, "91D", None, "91D", "7D", "182D", None, "91D", None, "91D", "7D", "182D"],
        option_type=[None, None, None, "call", "call", "put", None, None, None, "put", "put",
                     "call"],
        strike=[None, None, None, 62000.0, 46000.0, 82000.0, None, None, None, 3350.0, 3750.0,
                2400.0],
        entry_price=[None, 65480.3, 62785.7, None, None, None, None, 3161.7, 3385.3, None, None,
                     None],
        sigma=[None, None, None, 0.51, 0.71, 1.09, None, None, None, 0.56, 0.74, 0.85])
    return b


def csv_book(market, positions):
    """The book of two CSV files in the reference-data layout."""
    b = Book()
    rows = _data.read_rows(market)
    rate = next(float(r["value"]) for r in rows if r["kind"] == "rate")
    for r in rows:
        if r["kind"] == "spot":
            b.add_underlying(r["underlying"], float(r["value"]), rate)
    for r in rows:
        if r["kind"] == "perp":
            b.set_perp(r["underlying"], float(r["value"]))
        elif r["kind"] == "forward":
            b.set_forward(r["underlying"], r["expiry_id"], float(r["value"]), float(r["T"]))
    rows = _data.read_rows(positions)

    def col(name, conv=float):
        return [conv(r[name]) if r[name] not in ("", "nan") else None for r in rows]
    b.add_positions(col("instrument", str), col("underlying", str), col("quantity"),
                    col("multiplier"), expiry=col("expiry_id", str),
                    option_type=col("option_type", str), strike=col("strike"),
                    entry_price=col("entry_price"), sigma=col("sigma"))
    return b


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--market", help="market CSV (reference-data layout)")
    ap.add_argument("--positions", help="positions CSV (reference-data layout)")
    ap.add_argument("--underlying", default="ALL", help="grid for BTC, ETH, ... or ALL")
    ap.add_argument("--plot", metavar="PNG", help="write the P&L grid heat map here")
    args = ap.parse_args()
    if bool(args.market) != bool(args.positions):
        ap.error("--market and --positions go together")
    b = csv_book(args.market, args.positions) if args.market else inline_book()

    with b:
        print("libqpm %s: book of %d positions on %s" % (qpm.version_string(), b.n_positions,
                                                         ", ".join(b.underlyings)))
        g = b.greeks()
        print("\nGreeks by underlying (USD numeraire; vega per 1.00 vol, theta per year)")
        print("%-6s %14s %12s %14s %12s %12s %12s %10s" % (
            "", "value_usd", "delta_coin", "delta_usd", "gamma", "vega", "theta", "dlt_exch"))
        for i, name in enumerate(b.underlyings):
            print("%-6s %14.2f %12.4f %14.2f %12.3e %12.2f %12.2f %10.4f" % (
                name, g["value_usd"][i], g["delta_coin"][i], g["delta_usd"][i], g["gamma"][i],
                g["vega"][i], g["theta"][i], g["delta_exchange"][i]))
        e = b.greeks(by="expiry")
        print("\nRisk matrix of the options by expiry")
        print("%-6s %-8s %8s %12s %12s %12s %12s" % ("", "expiry", "T (d)", "delta_coin",
                                                     "gamma", "vega", "theta"))
        for k, (name, label, F, T) in enumerate(b.expiries):
            print("%-6s %-8s %8.1f %12.4f %12.3e %12.2f %12.2f" % (
                name, label, 365 * T, e["delta_coin"][k], e["gamma"][k], e["vega"][k],
                e["theta"][k]))

        which = None if args.underlying.upper() == "ALL" else args.underlying
        grid = b.scenario_grid(which)
        print("\nP&L grid (USD), %s: spot shift (rows) x vol shift (columns)"
              % (which or "all underlyings together"))
        print("%8s" % "" + "".join("%14s" % ("vol %+.0f%%" % (100 * v)) for v in GRID_VOL_SHIFTS))
        for i, x in enumerate(GRID_SPOT_SHIFTS):
            print("%+7.0f%%" % (100 * x) + "".join("%14.0f" % p for p in grid.pnl[i]))
        print("\nworst loss %.0f USD at spot %+.0f%%, vol %+.0f%%" % (
            grid.worst_loss, 100 * grid.worst_spot_shift, 100 * grid.worst_vol_shift))

    if args.plot:
        try:
            import matplotlib
            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:
            print("matplotlib is not installed: no plot")
            return 0
        pnl = np.asarray(grid.pnl)
        lim = float(np.abs(pnl).max()) or 1.0
        fig, ax = plt.subplots(figsize=(5, 6))
        im = ax.imshow(pnl, cmap="RdYlGn", vmin=-lim, vmax=lim, aspect="auto")
        ax.set_xticks(range(len(GRID_VOL_SHIFTS)),
                      ["%+.0f%%" % (100 * v) for v in GRID_VOL_SHIFTS])
        ax.set_yticks(range(len(GRID_SPOT_SHIFTS)),
                      ["%+.0f%%" % (100 * x) for x in GRID_SPOT_SHIFTS], fontsize=7)
        ax.set_xlabel("vol shift")
        ax.set_ylabel("spot shift")
        fig.colorbar(im, label="P&L (USD)")
        ax.set_title("risk matrix: %s" % (which or "ALL"))
        fig.tight_layout()
        fig.savefig(args.plot, dpi=120)
        print("heat map written to %s" % args.plot)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
