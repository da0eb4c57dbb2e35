#!/usr/bin/env python3
"""Long-only minimum-variance portfolio from a CSV of daily returns or
prices: Ledoit-Wolf covariance (annualised over 365 days) with qpm.Cov,
then the weights of qpm.Optimizer, largest first.

    python3 examples/python/min_variance_portfolio.py [returns.csv | prices.csv --prices]
                                                      [--max-weight 0.25] [--plot w.png]

The CSV has one header row with the asset names and one row per day; a
first column of dates (as pandas writes it) is allowed.  Without a file the
example uses the daily coin prices shipped in examples/data/.  With pandas
installed the CSV is read with pandas and the weights come back as a Series
keyed by the asset names; without it the csv module and numpy do the same.
With matplotlib installed, --plot draws the weights and each asset's share
of the portfolio's variance.
"""
import argparse
from pathlib import Path

import _setup_path  # noqa: F401
import qpm
from qpm.cov import Cov
from qpm.opt import Optimizer

try:
    import numpy as np
except ImportError:
    raise SystemExit("this example needs numpy")

import _data  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("csv", nargs="?", help="returns CSV (header row of asset names); "
                    "default: the coin prices in examples/data")
    ap.add_argument("--prices", action="store_true", help="the CSV holds prices, not returns")
    ap.add_argument("--max-weight", type=float, default=1.0, help="cap per asset")
    ap.add_argument("--plot", metavar="PNG", help="write a bar chart of the weights here")
    args = ap.parse_args()
    path, prices = (args.csv, args.prices) if args.csv else (_data.PRICES, True)
    dates, names, X = _data.read_matrix(path)
    pd = _data.pandas()
    if pd is not None:  # labelled in, labelled out
        X = pd.DataFrame(X, index=dates, columns=names)
    if prices:
        X = qpm.returns_from_prices(X)
    c = Cov(method="ledoit_wolf", annualise=True).fit(X)
    with Optimizer(c.covariance_) as o:
        o.set_bounds(0.0, args.max_weight)
        w = o.min_variance()
        info = o.info()
        rc = np.asarray(o.risk_contributions())
    print("Ledoit-Wolf covariance of %d assets over %d days (shrinkage %.4f), from %s"
          % (c.n_features_in_, c.n_samples_, c.shrinkage_, Path(path).name))
    print("long-only minimum-variance portfolio: volatility %.2f%% per year, %d assets held"
          % (100 * info["volatility"], len(names) - info["n_zero"]))
    weights = dict(zip(names, np.asarray(w)))
    for name in sorted(weights, key=lambda k: -weights[k]):
        if weights[name] > 0:
            print("  %-8s %6.2f%%" % (name, 100 * weights[name]))
    c.close()
    if args.plot:
        try:
            import matplotlib
            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:
            print("matplotlib is not installed: no plot")
            return
        x = np.arange(len(names))
        fig, ax = plt.subplots(figsize=(7, 4))
        ax.bar(x - 0.2, 100 * np.asarray(w), 0.4, label="weight")
        ax.bar(x + 0.2, 100 * rc / rc.sum(), 0.4, label="share of variance")
        ax.set_xticks(x, names, rotation=90 if len(names) > 10 else 0)
        ax.set_ylabel("%")
        ax.set_title("long-only minimum-variance portfolio")
        ax.legend()
        fig.tight_layout()
        fig.savefig(args.plot, dpi=100)
        print("plot written to %s" % args.plot)


if __name__ == "__main__":
    main()
