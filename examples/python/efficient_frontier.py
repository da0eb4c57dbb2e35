#!/usr/bin/env python3
"""Efficient frontier of the reference optimisation problem (or of a
covariance/returns pair of CSV files): a table of return, volatility and
Sharpe ratio along the frontier, traced with a progress bar, with the
minimum-variance and maximum-Sharpe portfolios; with matplotlib installed,
--plot draws the frontier and marks both points.

    python3 examples/python/efficient_frontier.py [cov.csv weights.csv] [--points 50]
                                                  [--long-short] [--plot frontier.png]

cov.csv: an n x n annualised covariance with a header row; weights.csv: a
file with an ``mu`` column of expected returns (the refdata optim files).
"""
import argparse
import os
from pathlib import Path

import _setup_path  # noqa: F401
from qpm.opt import Optimizer

try:
    import numpy as np
except ImportError:
    raise SystemExit("this example needs numpy")

REF = Path(os.environ.get("QPM_REFDATA",
                         Path(__file__).resolve().parents[3] / "shared" / "refdata"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("cov", nargs="?", default=str(REF / "optim_cov_public_n20.csv"))
    ap.add_argument("mu", nargs="?", default=str(REF / "optim_weights_public_n20.csv"))
    ap.add_argument("--points", type=int, default=50)
    ap.add_argument("--long-short", action="store_true", help="allow shorts (gross <= 1.5)")
    ap.add_argument("--plot", help="write a PNG of the frontier (needs matplotlib)")
    args = ap.parse_args()
    cov = np.loadtxt(args.cov, delimiter=",", skiprows=1)
    table = np.genfromtxt(args.mu, delimiter=",", names=True, dtype=None, encoding="ascii")
    mu = np.asarray(table["mu"], dtype=float)
    with Optimizer(cov, mu) as o:
        if args.long_short:
            o.set_long_short()
            o.set("gross_limit", 1.5)
        f = o.frontier(args.points, progress=True)
        o.min_variance()
        mv = o.info()
        o.max_sharpe()
        ms = o.info()
    print("efficient frontier, %d points (%s)" % (args.points,
          "gross <= 1.5" if args.long_short else "long-only"))
    print("%10s %10s %8s" % ("return", "vol", "sharpe"))
    step = max(1, args.points // 10)
    for j in list(range(0, args.points, step)) + ([args.points - 1] if
                                                    (args.points - 1) % step else []):
        print("%9.2f%% %9.2f%% %8.3f" % (100 * f.returns[j], 100 * f.vols[j],
                                          f.returns[j] / f.vols[j]))
    print("minimum variance: return %.2f%%, vol %.2f%%" % (100 * mv["exp_return"],
                                                            100 * mv["volatility"]))
    print("maximum Sharpe:   return %.2f%%, vol %.2f%%, Sharpe %.3f"
          % (100 * ms["exp_return"], 100 * ms["volatility"], ms["objective"]))
    if args.plot:
        try:
            import matplotlib
            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:
            print("matplotlib not installed: no plot")
            return
        fig, ax = plt.subplots(figsize=(6, 4))
        ax.plot(100 * f.vols, 100 * f.returns, "-", label="efficient frontier")
        ax.plot(100 * mv["volatility"], 100 * mv["exp_return"], "o", label="minimum variance")
        ax.plot(100 * ms["volatility"], 100 * ms["exp_return"], "*", ms=12, label="maximum Sharpe")
        ax.set_xlabel("volatility (% per year)")
        ax.set_ylabel("expected return (% per year)")
        ax.legend()
        fig.tight_layout()
        fig.savefig(args.plot, dpi=100)
        print("plot written to %s" % args.plot)


if __name__ == "__main__":
    main()
