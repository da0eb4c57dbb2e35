#!/usr/bin/env python3
"""Multi-day tail risk of the BTC/ETH account of account.py under Heston
dynamics: for horizons of 1 to 20 days, Monte Carlo paths of stochastic
variance (Andersen's quadratic-exponential scheme, spot shocks correlated
as BTC and ETH, variance mean-reverting from today's level), the book
revalued at the end of every day with its options' time decay and vols
that follow the paths' instantaneous vols.  Prints the VaR and ES of the
horizon P&L beside the square-root-of-time scaling of the one-day VaR, and
the VaR of the worst day along each path (what a margin check every day
sees); with --plot, the VaR term structure and the 10-day P&L histogram.

    python3 examples/python/multi_day_var.py [--plot multi_day.png]

Risk.set_heston and Risk.simulate_paths are libqpm's experimental tier:
their names may change in a minor release.  The market and the Heston
parameters are made up.
"""
import argparse
import math

import _setup_path  # noqa: F401
import qpm
from account import build_account

try:
    import numpy as np
except ImportError:
    raise SystemExit("this example needs numpy")

#: Heston parameters per underlying (variances per year): today's variance
#: above its long-run level, fast mean reversion, high vol of variance and a
#: negative spot-vol correlation, as in crypto
HESTON = {"BTC": dict(v0=0.55 ** 2, kappa=4.0, theta=0.45 ** 2, xi=1.2, rho=-0.4),
          "ETH": dict(v0=0.70 ** 2, kappa=4.0, theta=0.60 ** 2, xi=1.4, rho=-0.35)}
CORR = 0.8
HORIZONS = [1, 2, 5, 10, 20]


def money(x):
    return format(x, ",.0f")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--plot", metavar="PNG", help="write the VaR term structure and histogram")
    ap.add_argument("--paths", type=int, default=20000, help="Monte Carlo paths (20000)")
    args = ap.parse_args()

    b, _, _ = build_account()
    names = b.underlyings
    print("libqpm %s: multi-day VaR of the BTC/ETH account, %d positions, Heston paths"
          % (qpm.version_string(), b.n_positions))
    for n in names:
        h = HESTON[n]
        print("  %s: vol today %.0f%%, long-run %.0f%%, kappa %.1f, vol of variance %.1f, "
              "rho %.2f" % (n, 100 * math.sqrt(h["v0"]), 100 * math.sqrt(h["theta"]), h["kappa"],
                            h["xi"], h["rho"]))
    vols = [math.sqrt(HESTON[n]["v0"] / 365) for n in names]
    cov = [[vols[0] ** 2, CORR * vols[0] * vols[1]], [CORR * vols[0] * vols[1], vols[1] ** 2]]
    rows, hist = [], None
    with qpm.Risk(cov, scenarios=args.paths, seed=5, alpha=0.99) as r:
        r.set_heston(*[[HESTON[n][k] for n in names] for k in ("v0", "kappa", "theta", "xi",
                                                                "rho")])
        for days in HORIZONS:
            r.set("horizon_days", days)
            res = r.simulate_paths(b, steps_per_day=2, pnl=days == 10, worst=True)
            wv = qpm.risk.var_es(-np.asarray(res.worst), 0.99)
            rows.append((days, res.var, res.es, wv.var))
            if days == 10:
                hist = (np.asarray(res.pnl), res.var, res.es)
    one = rows[0][1]
    print("\n%-8s %12s %12s %18s %16s" % ("horizon", "VaR 99%", "ES 99%", "sqrt-time VaR",
                                           "worst-day VaR"))
    for days, var, es, wvar in rows:
        print("%-8s %12s %12s %18s %16s" % ("%d day%s" % (days, "s" if days > 1 else ""),
                                            money(var), money(es),
                                            money(one * math.sqrt(days)), money(wvar)))
    last = rows[-1]
    ratio = last[1] / (one * math.sqrt(last[0]))
    print("\nover %d days the VaR is %.2fx the square-root-of-time scaling of the one-day "
          "VaR: %s" % (last[0], ratio,
                       "fatter multi-day tails (stochastic variance, spot-vol correlation and "
                       "the book's convexity) than scaling assumes" if ratio > 1 else
                       "mean-reverting variance and time decay shrink the tail"))
    print("the worst-day VaR (the lowest end-of-day P&L along each path) is what a daily "
          "margin check meets")
    if args.plot:
        plot(args.plot, rows, hist)


def plot(path, rows, hist):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no plot")
        return
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(12, 4.6))
    d = [r[0] for r in rows]
    a1.plot(d, [r[1] / 1000 for r in rows], "o-", label="VaR 99% (Heston paths)")
    a1.plot(d, [r[2] / 1000 for r in rows], "s-", label="ES 99%")
    a1.plot(d, [r[3] / 1000 for r in rows], "^-", label="VaR of the worst day")
    a1.plot(d, [rows[0][1] * math.sqrt(x) / 1000 for x in d], "k--", lw=1,
            label="one-day VaR x sqrt(days)")
    a1.set_xlabel("horizon (days)")
    a1.set_ylabel("thousand USD")
    a1.set_title("VaR term structure")
    a1.legend(fontsize=8)
    pnl, var, es = hist
    a2.hist(pnl / 1000, bins=120, density=True, alpha=0.6)
    a2.axvline(-var / 1000, color="C3", label="VaR %.0fk" % (var / 1000))
    a2.axvline(-es / 1000, color="C3", ls="--", label="ES %.0fk" % (es / 1000))
    a2.set_xlabel("10-day P&L (thousand USD)")
    a2.set_title("10-day P&L over Heston paths")
    a2.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print("wrote %s" % path)


if __name__ == "__main__":
    main()
