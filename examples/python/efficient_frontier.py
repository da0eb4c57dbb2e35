#!/usr/bin/env python3
"""Efficient frontier of a set of coins (or of a covariance/expected-return
pair of CSV files): a table of return, volatility and Sharpe ratio along the
frontier, traced with a progress bar, with the minimum-variance and
maximum-Sharpe portfolios; with matplotlib installed, --plot draws the
frontier and marks both points.

    python3 examples/python/efficient_frontier.py [cov.csv mu.csv] [--points 50]
                                                  [--long-short] [--plot frontier.png]

Without files the example estimates a Ledoit-Wolf covariance (annualised)
and expected returns (annualised mean log returns, shrunk halfway to their
average) from the daily coin prices shipped in examples/data/.  cov.csv: an
n x n annualised covariance with a header row; mu.csv: a file with an ``mu``
column of expected returns (the layout of the library's reference
optimisation files).  CSVs are read with pandas when it is installed, with
the csv module otherwise.
"""
import argparse

import _setup_path  # noqa: F401
import qpm
from qpm.opt import Optimizer

try:
    import numpy as np
except ImportError:
    raise SystemExit("this example needs numpy")

import _data  # noqa: E402


def from_prices():
    """(names, annualised covariance, expected returns) of the shipped coins."""
    dates, names, P = _data.read_matrix(_data.PRICES)
    R = qpm.returns_from_prices(P)
    with qpm.Cov(len(names), method="ledoit_wolf", annualise=True) as c:
        c.fit(R)
        cov, mean = c.covariance(), c.mean()
    mu = 0.5 * mean + 0.5 * mean.mean()  # shrink the noisy sample means
    return names, cov, mu


def from_files(cov_csv, mu_csv):
    """(names, covariance, expected returns) of the reference-data layout."""
    _, names, cov = _data.read_matrix(cov_csv)
    rows = _data.read_rows(mu_csv)
    return names, cov, np.array([float(r["mu"]) for r in rows])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("cov", nargs="?", help="annualised covariance CSV (header row)")
    ap.add_argument("mu", nargs="?", help="CSV with an mu column of expected returns")
    ap.add_argument("--points", type=int, default=50)
    ap.add_argument("--long-short", action="store_true", help="allow shorts (gross <= 1.5)")
    ap.add_argument("--plot", help="write a PNG of the frontier (needs matplotlib)")
    args = ap.parse_args()
    if bool(args.cov) != bool(args.mu):
        ap.error("give both cov.csv and mu.csv, or neither")
    names, cov, mu = from_files(args.cov, args.mu) if args.cov else from_prices()
    with Optimizer(cov, mu) as o:
        if args.long_short:
            o.set_long_short()
            o.set("gross_limit", 1.5)
        f = o.frontier(args.points, progress=True)
        o.min_variance()
        mv = o.info()
        w_ms = o.max_sharpe()
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
    top = sorted(zip(np.asarray(w_ms), names), reverse=True)[:5]
    print("  largest weights: " + ", ".join("%s %.1f%%" % (nm, 100 * w) for w, nm in top
                                           if abs(w) > 5e-4))
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
