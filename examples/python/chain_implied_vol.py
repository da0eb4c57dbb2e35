#!/usr/bin/env python3
"""Implied vols of a coin-settled BTC option chain as an exchange publishes
it: parse the instrument names (BTC-27DEC24-100000-C: expiry, strike,
call/put), invert the bid, ask and mark prices (in BTC) with Black-76 on
each expiry's futures price, fit a vega-weighted smile per expiry and,
when matplotlib is installed, draw the smiles.

    python3 examples/python/chain_implied_vol.py [chain.csv] [--expiry 27DEC24]
                                                 [--plot smile.png]

Without a file the example reads the snapshot shipped in examples/data/
(columns instrument_name, expiration_timestamp, creation_timestamp,
underlying_price, bid_price, ask_price, mark_price, mark_iv; see its
README.md).  A missing bid is normal in the wings: that quote gets no
implied vol and the rest of the chain is still solved.  The CSV is read with
pandas when it is installed, with the csv module otherwise.
"""
import argparse
import datetime as dt
import math
import re
from pathlib import Path

import _setup_path  # noqa: F401
import qpm
from qpm.pricing import CALL, PUT, Pricer

try:
    import numpy as np
except ImportError:  # the library itself does not need numpy; this example does
    raise SystemExit("this example needs numpy")

import _data  # noqa: E402

MONTHS = {m: i + 1 for i, m in enumerate(("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL",
                                          "AUG", "SEP", "OCT", "NOV", "DEC"))}
NAME = re.compile(r"^([A-Z]+)-(\d{1,2})([A-Z]{3})(\d{2})-(\d+)-([CP])$")


def parse_instrument(name):
    """(coin, expiry date, strike, CALL or PUT) of a name such as
    BTC-27DEC24-100000-C; the exchange expires options at 08:00 UTC."""
    m = NAME.match(name)
    if m is None:
        raise ValueError("not an option instrument name: %r" % name)
    coin, day, mon, yy, strike, cp = m.groups()
    expiry = dt.date(2000 + int(yy), MONTHS[mon], int(day))
    return coin, expiry, float(strike), CALL if cp == "C" else PUT


def number(text):
    """A CSV field as a float; an empty field (no quote) is NaN."""
    return float(text) if text not in ("", "nan") else math.nan


def load_chain(path):
    """The chain as numpy columns (one entry per option)."""
    rows = _data.read_rows(path)
    parsed = [parse_instrument(r["instrument_name"]) for r in rows]
    ms_per_year = 365.0 * 86400.0 * 1000.0
    return {
        "name": [r["instrument_name"] for r in rows],
        "label": ["%d%s%02d" % (e.day, list(MONTHS)[e.month - 1], e.year % 100)
                  for _, e, _, _ in parsed],
        "strike": np.array([k for _, _, k, _ in parsed]),
        "type": np.array([t for _, _, _, t in parsed], dtype=np.int32),
        "T": np.array([(float(r["expiration_timestamp"]) - float(r["creation_timestamp"])) /
                       ms_per_year for r in rows]),
        "F": np.array([number(r["underlying_price"]) for r in rows]),
        "bid": np.array([number(r["bid_price"]) for r in rows]),
        "ask": np.array([number(r["ask_price"]) for r in rows]),
        "mark": np.array([number(r["mark_price"]) for r in rows]),
        "mark_iv": np.array([number(r["mark_iv"]) for r in rows]) / 100.0,
        "snapshot": dt.datetime.fromtimestamp(float(rows[0]["creation_timestamp"]) / 1000.0,
                                              dt.timezone.utc),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("csv", nargs="?", default=str(_data.CHAIN), help="option chain CSV")
    ap.add_argument("--expiry", help="expiry whose strikes are listed (e.g. 27DEC24); "
                    "default: the first one at least 14 days out")
    ap.add_argument("--plot", metavar="PNG", help="write the smiles to this file")
    args = ap.parse_args()
    c = load_chain(args.csv)
    n = len(c["name"])

    with Pricer("black76", "inverse") as p:
        iv = {}
        status = {}
        for side in ("mark", "bid", "ask"):
            # errors="nan": a missing or impossible quote gets NaN and its
            # own status; every other option is solved
            iv[side], status[side] = p.implied_vol(c[side], c["F"], c["strike"], c["T"],
                                                   c["type"], errors="nan", return_status=True)
        ok = status["mark"] == 0
        vega = np.full(n, np.nan)
        vega[ok] = p.greeks(c["F"][ok], c["strike"][ok], c["T"][ok], iv["mark"][ok],
                            c["type"][ok], which=["vega"])["vega"]

    labels = list(dict.fromkeys(c["label"]))
    print("libqpm %s: BTC option chain of %s, %d options on %d expiries (%s)"
          % (qpm.version_string(), c["snapshot"].strftime("%Y-%m-%d %H:%M UTC"), n,
             len(labels), Path(args.csv).name))
    miss = int(np.sum(status["bid"] == qpm.Status.E_NONFINITE))
    print("%d of %d quotes inverted (mark, bid, ask); %d missing bids, %d quotes outside "
          "the no-arbitrage bounds" % (
              sum(int(np.sum(status[s] == 0)) for s in status), 3 * n, miss,
              sum(int(np.sum(status[s] == qpm.Status.E_ARBITRAGE)) for s in status)))
    err = np.nanmax(np.abs(iv["mark"] - c["mark_iv"]))
    print("mark implied vols match the exchange's mark_iv to %.4f vol points" % (100 * err))

    label = np.array(c["label"])
    fits = {}
    print("\n%-8s %7s %10s %8s %9s   fitted smile sigma(k), k = ln(K/F)"
          % ("expiry", "days", "future", "atm vol", "strikes"))
    for lab in labels:
        sel = (label == lab) & ok
        k = np.log(c["strike"][sel] / c["F"][sel])
        otm = ((k >= 0) & (c["type"][sel] == CALL)) | ((k < 0) & (c["type"][sel] == PUT))
        coef = np.polyfit(k[otm], iv["mark"][sel][otm], 2, w=np.sqrt(vega[sel][otm]))
        fits[lab] = (coef, k[otm], iv["mark"][sel][otm])
        T, F = c["T"][label == lab][0], c["F"][label == lab][0]
        print("%-8s %7.2f %10.1f %7.2f%% %9d   %.4f %+.4f k %+.4f k^2"
              % (lab, 365 * T, F, 100 * np.polyval(coef, 0.0), int(np.sum(sel)) // 2,
                 coef[2], coef[1], coef[0]))

    show = args.expiry or next((lb for lb in labels if 365 * c["T"][label == lb][0] >= 14),
                               labels[-1])
    if show not in fits:
        raise SystemExit("no expiry %r; the chain has %s" % (show, ", ".join(labels)))
    print("\n%s (fitted smile, OTM quotes)" % show)
    print("%-22s %9s %9s %9s %8s %8s %8s %8s" % ("instrument", "bid", "ask", "mark", "bid iv",
                                                  "ask iv", "mark iv", "fit"))
    coef = fits[show][0]
    for i in np.flatnonzero(label == show):
        k = math.log(c["strike"][i] / c["F"][i])
        if (k >= 0) != (c["type"][i] == CALL):
            continue

        def vol(side):
            v = iv[side][i]
            return "%7.2f%%" % (100 * v) if status[side][i] == 0 else "%8s" % "-"
        bid = "%9.4f" % c["bid"][i] if not math.isnan(c["bid"][i]) else "%9s" % "-"
        print("%-22s %s %9.4f %9.6f %s %s %s %7.2f%%" % (
            c["name"][i], bid, c["ask"][i], c["mark"][i], vol("bid"), vol("ask"), vol("mark"),
            100 * np.polyval(coef, k)))

    if args.plot:
        try:
            import matplotlib
            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:
            print("matplotlib is not installed: no plot")
            return 0
        fig, ax = plt.subplots(figsize=(7, 4.5))
        for lab in labels:
            coef, k, v = fits[lab]
            line, = ax.plot(k, 100 * v, "o", ms=3)
            kk = np.linspace(k.min(), k.max(), 100)
            ax.plot(kk, 100 * np.polyval(coef, kk), "-", color=line.get_color(), label=lab)
        ax.set_xlabel("log-moneyness ln(K/F)")
        ax.set_ylabel("implied volatility (%)")
        ax.set_title("BTC smiles, %s" % c["snapshot"].strftime("%Y-%m-%d %H:%M UTC"))
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(args.plot, dpi=120)
        print("plot written to %s" % args.plot)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
