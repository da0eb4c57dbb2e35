#!/usr/bin/env python3
"""Monte Carlo VaR and Expected Shortfall of a small BTC/ETH options book:
Student-t returns with jumps and a common vol-of-vol factor, full
revaluation of every position, VaR/ES at 95 % and 99 % with their standard
errors; with matplotlib installed, ``--plot`` draws the P&L histogram with
VaR and ES marked.

    python3 examples/python/book_var.py [--scenarios 100000] [--dof 4]
                                        [--horizon 1] [--plot pnl.png]
"""
import argparse

import _setup_path  # noqa: F401
import qpm
from qpm.risk import Risk, var_es

try:
    import numpy as np
except ImportError:
    raise SystemExit("this example needs numpy")


def make_book():
    """Long BTC and ETH spot, short BTC calls, long ETH puts, an inverse
    ETH call spread: a typical hedged crypto book."""
    b = qpm.Book()
    b.add_underlying("BTC", 65000.0, 0.05)
    b.add_underlying("ETH", 3200.0, 0.05)
    b.set_forward("BTC", "30D", 65300.0, 30 / 365)
    b.set_forward("ETH", "30D", 3215.0, 30 / 365)
    b.add_positions(
        ["spot", "spot", "linear_option", "linear_option", "inverse_option", "inverse_option"],
        ["BTC", "ETH", "BTC", "ETH", "ETH", "ETH"],
        [2.0, 40.0, -3.0, 50.0, 60.0, -60.0],
        [1, 1, 1, 1, 1, 1],
        expiry=[None, None, "30D", "30D", "30D", "30D"],
        option_type=[None, None, "call", "put", "call", "call"],
        strike=[np.nan, np.nan, 75000.0, 2800.0, 3400.0, 3800.0],
        sigma=[np.nan, np.nan, 0.55, 0.70, 0.68, 0.72])
    return b


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scenarios", type=int, default=100000)
    ap.add_argument("--dof", type=float, default=4.0, help="Student-t degrees of freedom (0: normal)")
    ap.add_argument("--horizon", type=float, default=1.0, help="horizon in days")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--plot", help="write the P&L histogram to this PNG (needs matplotlib)")
    args = ap.parse_args()

    # daily log-return covariance: BTC 3.2 %, ETH 4.2 %, correlation 0.8
    vol = np.array([0.032, 0.042])
    corr = np.array([[1.0, 0.8], [0.8, 1.0]])
    cov = corr * np.outer(vol, vol)

    with make_book() as book, Risk(cov, scenarios=args.scenarios, t_dof=args.dof,
                                   horizon_days=args.horizon, jump_intensity=0.02,
                                   jump_mean=-0.05, jump_std=0.05, vol_of_vol=0.05,
                                   threads=args.threads, seed=2026) as risk:
        v = book.values()
        print("book value %.0f USD over %d positions" % (float(np.sum(v["value_usd"])),
                                                        book.n_positions))
        res = risk.simulate(book, progress=True, pnl=True)
        losses = -np.asarray(res.pnl)
        print("%d scenarios, horizon %g day(s), Student-t nu = %g, with jumps and vol of vol"
              % (res.n, args.horizon, args.dof))
        print("%-6s %14s %12s %14s %12s" % ("level", "VaR (USD)", "+-", "ES (USD)", "+-"))
        table = var_es(losses, [0.95, 0.99])
        for j, a in enumerate((0.95, 0.99)):
            print("%-6s %14.0f %12.0f %14.0f %12.0f" % ("%g%%" % (100 * a), table.var[j],
                                                         table.var_se[j], table.es[j],
                                                         table.es_se[j]))
        assert table.var[1] == res.var  # the run's own level (ALPHA = 0.99)

        if args.plot:
            try:
                import matplotlib
                matplotlib.use("Agg")
                import matplotlib.pyplot as plt
            except ImportError:
                print("matplotlib is not installed: no plot")
                return
            fig, ax = plt.subplots(figsize=(8, 4.5))
            ax.hist(res.pnl, bins=200, color="#4477aa")
            for j, (a, c) in enumerate(((0.95, "#ee7733"), (0.99, "#cc3311"))):
                ax.axvline(-table.var[j], color=c, ls="--", label="VaR %g%%" % (100 * a))
                ax.axvline(-table.es[j], color=c, ls=":", label="ES %g%%" % (100 * a))
            ax.set_xlabel("P&L (USD)")
            ax.set_ylabel("scenarios")
            ax.set_title("Monte Carlo P&L of the book")
            ax.legend()
            fig.tight_layout()
            fig.savefig(args.plot, dpi=100)
            print("wrote", args.plot)


if __name__ == "__main__":
    main()
