#!/usr/bin/env python3
"""Estimate a shrunk covariance matrix from a CSV of returns or prices and
print the annualised volatilities, the shrinkage and the most correlated
pairs; when matplotlib is installed, draw the correlation matrix as a heat
map.

    python3 examples/python/covariance_from_csv.py [returns.csv | prices.csv --prices]
                                                    [--method oas] [--plot corr.png]
                                                    [--simulate]

The CSV has one header row with the asset names and one row per day; a
first column of dates (as pandas writes it) is allowed.  Without a file the
example reads the daily coin prices shipped in examples/data/; --simulate
draws 500 days of heavy-tailed returns for 12 made-up assets with the
library's own random streams instead.  CSVs are read with pandas when it is
installed, with the csv module otherwise.
"""
import argparse
from pathlib import Path

import _setup_path  # noqa: F401
import qpm
from qpm.cov import Cov
from qpm.rng import Rng

try:
    import numpy as np
except ImportError:
    raise SystemExit("this example needs numpy")

import _data  # noqa: E402


def simulate(days=500, n=12, seed=7):
    """Student-t (nu = 4) one-factor returns, daily vols from 2 % to 7 %."""
    with Rng(seed) as g:
        market = np.asarray(g.student_t(days, 4.0)) / np.sqrt(2.0)
        idio = np.asarray(g.student_t(days * n, 4.0)).reshape(days, n) / np.sqrt(2.0)
        beta = 0.3 + 0.6 * np.asarray(g.uniform(n))
        vol = 0.02 + 0.05 * np.asarray(g.uniform(n))
    z = beta * market[:, None] + np.sqrt(1 - beta**2) * idio
    return ["A%02d" % j for j in range(n)], z * vol


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("csv", nargs="?", help="returns CSV (header row of asset names); "
                    "default: the coin prices in examples/data")
    ap.add_argument("--prices", action="store_true", help="the CSV holds prices, not returns")
    ap.add_argument("--simulate", action="store_true", help="simulated returns, no file")
    ap.add_argument("--method", default="ledoit_wolf",
                    choices=["sample", "ledoit_wolf", "oas", "ewma", "semi"])
    ap.add_argument("--periods", type=float, default=365.0, help="periods per year")
    ap.add_argument("--plot", metavar="PNG", help="write the correlation heat map here")
    args = ap.parse_args()

    if args.simulate:
        names, X = simulate()
        source = "simulated returns"
    else:
        path, prices = (args.csv, args.prices) if args.csv else (_data.PRICES, True)
        dates, names, X = _data.read_matrix(path)
        if prices:
            X = qpm.returns_from_prices(X)  # log returns, one row fewer
            dates = dates[1:] if dates else None
        source = "%s%s" % (Path(path).name, ", %s to %s" % (dates[0], dates[-1]) if dates else "")
    T, N = X.shape

    with Cov(N, method=args.method, annualise=1, periods_per_year=args.periods) as c:
        c.fit(X)  # a C-order float64 array: passed with no copy
        vol, corr, mean = c.volatility(), c.correlation(), c.mean()
        shrink = c.shrinkage()
        cov = c.covariance()
    lam = qpm.min_eigenvalue(cov)

    print("libqpm %s: %s covariance of %d assets over %d periods" % (
        qpm.version_string(), args.method, N, T))
    print("data: %s" % source)
    print("shrinkage intensity %.4f; smallest eigenvalue %.3e (positive definite: %s)"
          % (shrink, lam, "yes" if lam > 0 else "no"))
    print("\n%-8s %10s %10s" % ("asset", "ann. vol", "ann. mean"))
    for nm, v, m in zip(names, vol, mean):
        print("%-8s %9.1f%% %9.1f%%" % (nm, 100 * v, 100 * m))
    iu = np.triu_indices(N, 1)
    order = np.argsort(-corr[iu])[:5]
    print("\nmost correlated pairs:")
    for o in order:
        i, j = iu[0][o], iu[1][o]
        print("  %-8s %-8s %.3f" % (names[i], names[j], corr[i, j]))

    if args.plot:
        try:
            import matplotlib
            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:
            print("matplotlib is not installed: no plot")
            return 0
        fig, ax = plt.subplots(figsize=(6, 5))
        im = ax.imshow(corr, vmin=-1, vmax=1, cmap="RdBu_r")
        ax.set_xticks(range(N), names, rotation=90, fontsize=7)
        ax.set_yticks(range(N), names, fontsize=7)
        fig.colorbar(im, label="correlation")
        ax.set_title("%s correlation" % args.method)
        fig.tight_layout()
        fig.savefig(args.plot, dpi=120)
        print("heat map written to %s" % args.plot)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
