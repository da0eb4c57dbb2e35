#!/usr/bin/env python3
"""Price a coin-settled BTC option chain, back out the implied vols from the
quoted (tick-rounded) prices, fit a smile and, when matplotlib is installed,
draw the fitted smile against the market vols.

    python3 examples/python/chain_implied_vol.py [--plot smile.png]

The "market" is made up: a skewed smile sigma(k) on log-moneyness k, priced
with Black-76 in coin (Deribit style) and rounded to the exchange's tick of
0.0001 BTC, which is where the implied vols pick up their noise.
"""
import argparse
import math

import _setup_path  # noqa: F401
import qpm
from qpm.pricing import Pricer

try:
    import numpy as np
except ImportError:  # the library itself does not need numpy; this example does
    raise SystemExit("this example needs numpy")


def market_smile(k):
    """A crypto-like smile: 55 % at the money, put skew, convex wings."""
    return 0.55 - 0.08 * k + 0.35 * k * k


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--forward", type=float, default=60000.0)
    ap.add_argument("--days", type=float, default=30.0)
    ap.add_argument("--plot", metavar="PNG", help="write the smile plot to this file")
    ap.add_argument("--show", action="store_true", help="open a plot window")
    args = ap.parse_args()

    F, T = args.forward, args.days / 365.0
    strikes = np.arange(0.6 * F, 1.6 * F + 1, 0.025 * F).round(-2)
    k = np.log(strikes / F)
    types = np.where(strikes < F, -1, 1).astype(np.int32)  # out-of-the-money quotes
    vol_true = market_smile(k)

    with Pricer("black76", "inverse") as p:
        quote = np.round(p.price_chain(F, T, strikes, vol_true, types), 4)  # tick 0.0001
        # deep wings can quote 0 after rounding: no implied vol exists there
        iv, status = p.implied_vol(quote, F, strikes, T, types, errors="nan",
                                   return_status=True)
        ok = status == 0
        g = p.greeks_chain(F, T, strikes[ok], iv[ok], types[ok],
                           which=["price", "delta_coin", "vega"])

    coef = np.polyfit(k[ok], iv[ok], 2, w=np.sqrt(g["vega"]))  # vega-weighted fit
    fitted = np.polyval(coef, k)

    print("libqpm %s, forward %.0f, %g days, coin-settled" % (qpm.version_string(), F,
                                                               args.days))
    print("%9s %5s %10s %8s %8s %8s %9s" % ("strike", "type", "quote BTC", "mkt vol",
                                             "impl vol", "fit vol", "delta coin"))
    j = 0
    for i in range(len(strikes)):
        if ok[i]:
            d = "%9.4f" % g["delta_coin"][j]
            j += 1
        else:
            d = "%9s" % "-"
        ivs = "%8.4f" % iv[i] if ok[i] else "%8s" % "n/a"
        print("%9.0f %5s %10.4f %8.4f %s %8.4f %s" % (strikes[i], "call" if types[i] > 0
                                                      else "put", quote[i], vol_true[i], ivs,
                                                      fitted[i], d))
    rms = math.sqrt(float(np.mean((iv[ok] - vol_true[ok]) ** 2)))
    print("\n%d of %d quotes inverted; rms (implied - true) = %.2e (tick rounding)"
          % (ok.sum(), len(strikes), rms))
    print("fitted smile: sigma(k) = %.4f %+.4f k %+.4f k^2" % (coef[2], coef[1], coef[0]))

    if args.plot or args.show:
        try:
            import matplotlib
            if not args.show:
                matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:
            print("matplotlib is not installed: no plot")
            return 0
        kk = np.linspace(k.min(), k.max(), 200)
        fig, ax = plt.subplots(figsize=(7, 4))
        ax.plot(strikes[ok], iv[ok], "o", label="implied from quotes")
        ax.plot(F * np.exp(kk), np.polyval(coef, kk), "-", label="fitted smile")
        ax.plot(strikes, vol_true, ":", label="generating smile")
        ax.axvline(F, color="grey", lw=0.5)
        ax.set_xlabel("strike (USD)")
        ax.set_ylabel("implied volatility")
        ax.set_title("BTC %g-day smile (coin-settled, Black-76)" % args.days)
        ax.legend()
        fig.tight_layout()
        if args.plot:
            fig.savefig(args.plot, dpi=120)
            print("plot written to %s" % args.plot)
        if args.show:
            plt.show()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
