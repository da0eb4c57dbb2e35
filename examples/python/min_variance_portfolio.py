#!/usr/bin/env python3
"""Long-only minimum-variance portfolio from a returns CSV: Ledoit-Wolf
covariance (annualised over 365 days) with qpm.Cov, then the weights of
qpm.Optimizer, largest first.

    python3 examples/python/min_variance_portfolio.py returns.csv [--max-weight 0.25]

The CSV has one header row with the asset names and one row of daily
returns per day (the format of the library's reference returns files).
"""
import argparse

import _setup_path  # noqa: F401
from qpm.cov import Cov
from qpm.opt import Optimizer

try:
    import numpy as np
except ImportError:
    raise SystemExit("this example needs numpy")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("csv", help="returns CSV (header row of asset names)")
    ap.add_argument("--max-weight", type=float, default=1.0, help="cap per asset")
    args = ap.parse_args()
    with open(args.csv) as f:
        names = f.readline().strip().split(",")
    returns = np.loadtxt(args.csv, delimiter=",", skiprows=1, ndmin=2)
    with Cov(len(names), method="ledoit_wolf", annualise=1) as c:
        cov = c.fit(returns).covariance()
        shrink = c.shrinkage()
    with Optimizer(cov) as o:
        o.set_bounds(0.0, args.max_weight)
        w = o.min_variance()
        info = o.info()
    print("Ledoit-Wolf covariance of %d assets over %d days (shrinkage %.4f)"
          % (len(names), returns.shape[0], shrink))
    print("long-only minimum-variance portfolio: volatility %.2f%% per year, %d assets held"
          % (100 * info["volatility"], len(names) - int(info["n_zero"])))
    for i in np.argsort(-w):
        if w[i] > 0:
            print("  %-8s %6.2f%%" % (names[i], 100 * w[i]))


if __name__ == "__main__":
    main()
