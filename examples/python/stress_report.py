#!/usr/bin/env python3
"""Tail risk of the BTC/ETH account of account.py (two exchanges and an AMM
pool): every named stress (a liquidation cascade, each venue failing, an
oracle pushed 30% below the index, a USDC depeg, and all of them at once)
with the P&L by underlying and venue and the venues that would liquidate;
a 10-day Monte Carlo VaR and ES (Student-t, a common vol factor) with the
Euler contributions of each position; the same with venue defaults; a
regime-aware 10-day VaR (a two-state Markov regime model with
regime-dependent jumps fitted to the BTC and ETH returns of
examples/data/crypto_prices.csv, paths started from today's filtered regime
and from each regime) with ES contributions by
position, and the same revalued every day with time decay; and a limit report with the scale-down that clears each
breached limit.  With --plot, the P&L histograms with VaR and ES (the
Student-t run and each regime) and the ES contributions.

    python3 examples/python/stress_report.py [--plot stress.png]

The stress, contribution, default and limit functions are libqpm's
experimental tier: their names may change in a minor release.  The market
and the default probabilities are made up.
"""
import argparse
import math

import os

import _setup_path  # noqa: F401
import qpm
from qpm import stress as st
from qpm.regime import RegimeModel
from _data import read_matrix
from account import build_account

try:
    import numpy as np
except ImportError:
    raise SystemExit("this example needs numpy")

#: daily vols and correlation of BTC and ETH for the Monte Carlo
VOLS = {"BTC": 0.035, "ETH": 0.045}
CORR = 0.8
#: default probabilities over the 10 days, and recoveries
DEFAULTS = {"deribit": (0.002, 0.3), "binance": (0.001, 0.5), "uniswap": (0.004, 0.0)}
#: the limits
LIMITS = dict(var_limit=60000.0, es_limit=90000.0, gross_leverage=4.0, net_leverage=1.5,
              margin_ratio=0.8)


def money(x):
    return "%12s" % format(x, ",.0f")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--plot", metavar="PNG", help="write the histogram and contributions here")
    args = ap.parse_args()

    b, _, labels = build_account()
    names, venues = b.underlyings, b.venues
    print("libqpm %s: stress report of the BTC/ETH account, %d positions on %s"
          % (qpm.version_string(), b.n_positions, ", ".join(venues)))

    # ---- named stresses ------------------------------------------------------
    shocks = {
        "cascade -25%": st.cascade(-0.25, vol_spike=0.8, liquidity=0.005),
        "cascade -40%": st.cascade(-0.40, vol_spike=1.5, liquidity=0.02),
    }
    for v in venues:
        shocks["%s fails" % v] = st.venue_failure(v, recovery=DEFAULTS[v][1])
    shocks["BTC oracle -30%"] = st.oracle("BTC", -0.30)
    shocks["USDC depeg 10%"] = st.depeg(0.10)
    shocks["all at once"] = st.combine(st.cascade(-0.25, 0.8, 0.005),
                                       st.venue_failure("uniswap"), st.depeg(0.05))
    table = st.stress_table(b, shocks)
    m = b.margin()
    print("\nstresses (USD; equity after: %s before)" % format(m.equity, ",.0f"))
    print("%-18s %12s %12s %12s %12s %s" % ("scenario", "P&L", "BTC", "ETH", "equity after",
                                            "venues liquidated"))
    for k, name in enumerate(shocks):
        row = {c: (table[c].iloc[k] if hasattr(table, "iloc") else table[c][k])
               for c in ("pnl", "pnl:BTC", "pnl:ETH", "equity", "liquidated")}
        r = b.stress(shocks[name])
        liq = [v for v, f in zip(venues + ["(none)"], list(r.venue_liquidated)) if f]
        print("%-18s %s %s %s %s %s" % (name, money(row["pnl"]), money(row["pnl:BTC"]),
                                        money(row["pnl:ETH"]), money(row["equity"]),
                                        ", ".join(liq) or "-"))

    # ---- Monte Carlo with contributions -----------------------------------------
    cov = [[VOLS["BTC"] ** 2, CORR * VOLS["BTC"] * VOLS["ETH"]],
           [CORR * VOLS["BTC"] * VOLS["ETH"], VOLS["ETH"] ** 2]]
    with qpm.Risk() as r:
        r.set_covariance(cov)
        for key, val in (("scenarios", 40000), ("horizon_days", 10), ("t_dof", 4),
                         ("vol_of_vol", 0.05), ("alpha", 0.99), ("seed", 7)):
            r.set(key, val)
        c = r.contributions(b)
        res = r.simulate(b, pnl=True)
        print("\n10-day Monte Carlo, 40,000 Student-t scenarios: VaR 99%% %s, ES %s"
              % (money(c.var).strip(), money(c.es).strip()))
        print("Euler contributions (USD of loss; they add up to VaR and ES)")
        order = sorted(range(len(labels)), key=lambda i: -abs(c.es_contrib[i]))
        for i in order[:8]:
            print("  %-26s VaR %s   ES %s" % (labels[i].strip(), money(c.var_contrib[i]),
                                              money(c.es_contrib[i])))
        for u, n in enumerate(names):
            print("  %-26s VaR %s   ES %s" % ("all " + n, money(c.var_by_underlying[u]),
                                              money(c.es_by_underlying[u])))
        r.set_venue_defaults({v: p for v, (p, _) in DEFAULTS.items()},
                             {v: rec for v, (_, rec) in DEFAULTS.items()}, book=b)
        d = r.simulate(b)
        print("with venue defaults (%s): VaR %s, ES %s"
              % (", ".join("%s %.1f%%" % (v, 100 * p) for v, (p, _) in DEFAULTS.items()),
                 money(d.var).strip(), money(d.es).strip()))

    # ---- regimes ----------------------------------------------------------------
    reg = regime_var(b, labels)

    # ---- limits -----------------------------------------------------------------
    # the market VaR and ES: they scale with the positions (default losses
    # take collateral too, which a scale-down keeps)
    rep = b.limits(var=c.var, es=c.es, **LIMITS)
    t = rep.table
    print("\nlimits (scale: the uniform scale-down of every position that clears it)")
    print("%-15s %12s %12s %9s %7s" % ("limit", "value", "limit", "breached", "scale"))
    for k, name in enumerate(st.LIMITS):
        get = (lambda col: t[col].iloc[k]) if hasattr(t, "iloc") else (lambda col: t[col][k])
        sc = get("scale")
        print("%-15s %12.4g %12.4g %9s %7s" % (name, get("value"), get("limit"),
                                              "yes" if get("breached") else "no",
                                              "none" if math.isnan(sc) else "%.3f" % sc))
    print("%d breached; scaling every position by %.3f clears them all"
          % (rep.n_breached, rep.scale_all) if rep.n_breached else "no limit breached")

    if args.plot:
        plot(args.plot, res, c, labels, reg)
    b.close()
    return 0


def regime_var(b, labels, n=20000, days=10):
    """A two-state regime model of BTC and ETH daily log returns with
    regime-dependent jumps; 10-day paths from today's filtered regime and
    from each regime, revalued through the book; ES contributions from the
    positions' P&L."""
    here = os.path.dirname(os.path.abspath(__file__))
    _, cols, prices = read_matrix(os.path.join(here, "..", "data", "crypto_prices.csv"))
    px = prices[:, [cols.index("BTC"), cols.index("ETH")]]
    rets = np.diff(np.log(px), axis=0)
    with RegimeModel(k=2, d=2) as m, qpm.Rng(seed=11) as rng:
        m.set_fit_jumps(True)  # jump probabilities and sizes fitted too
        fit = m.fit(rets)
        pr = m.params
        jp = m.jumps
        today = np.asarray(m.filter(rets).filtered)[-1]
        vols = [np.sqrt(np.diag(pr.sigma[k]) * 365) for k in range(2)]
        print("\nregimes (EM on %d days of BTC and ETH, log-likelihood %.1f%s): annual vols "
              "BTC/ETH %s; stay probabilities %s; today: %s"
              % (len(rets), fit.loglik, "" if fit.converged else ", not converged",
                 " and ".join("%.0f%%/%.0f%%" % (100 * v[0], 100 * v[1]) for v in vols),
                 " and ".join("%.3f" % pr.P[k][k] for k in range(2)),
                 ", ".join("%.0f%% regime %d" % (100 * p, k) for k, p in enumerate(today))))
        # p is a daily jump probability; a Poisson intensity per year is
        # -365 log(1 - p)
        print("jumps: %s; a jump moves BTC %+.1f%% +- %.1f%%, ETH %+.1f%% +- %.1f%%"
              % (" and ".join("%.2f%% of days in regime %d (%.1f a year)"
                              % (100 * p, k, -365 * np.log1p(-p)) for k, p in enumerate(jp.p)),
                 100 * jp.mu_j[0], 100 * jp.delta_j[0], 100 * jp.mu_j[1], 100 * jp.delta_j[1]))
        out = {}
        for name, start in (("today", today), ("calm", [1.0, 0.0]), ("stressed", [0.0, 1.0])):
            paths = m.simulate(n, days, rng, start=start)
            moves = np.expm1(np.asarray(paths.returns).sum(axis=1))
            pnl = np.asarray(b.pnl(moves))
            ve = qpm.risk.var_es(-pnl, 0.99)
            out[name] = (pnl, ve.var, ve.es)
            if name == "today":
                # ES contributions: each position's mean loss over the tail
                pos = np.asarray(b.position_pnl(moves))
                tail = np.argsort(pnl)[:int(n * 0.01)]
                contrib = -pos[tail].mean(axis=0)
        print("10-day VaR 99%% / ES 99%% by starting regime (%d paths each): %s"
              % (n, "; ".join("%s %s / %s" % (k, money(v[1]).strip(), money(v[2]).strip())
                              for k, v in out.items())))
        top = np.argsort(-np.abs(contrib))[:5]
        print("ES contributions from today's regime (mean loss over the worst 1%): " +
              ", ".join("%s %s" % (labels[i].strip(), format(contrib[i], ",.0f")) for i in top))
        # the library's own path engine: the book revalued at the end of every
        # day (time decay, option vols following the regime's vol)
        with qpm.Risk(scenarios=n, horizon_days=days, seed=13) as r:
            pr_ = r.simulate_regime(b, m, start=today, worst=True)
            wv = qpm.risk.var_es(-np.asarray(pr_.worst), 0.99)
            print("revalued every day with time decay (Risk.simulate_regime): VaR 99%% %s, "
                  "ES %s; the worst day along the path: VaR %s"
                  % (money(pr_.var).strip(), money(pr_.es).strip(), money(wv.var).strip()))
    return out


def plot(path, res, c, labels, reg):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no plot")
        return
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(13, 4.8))
    runs = [("Student-t", np.asarray(res.pnl), res.var, res.es)]
    runs += [("regime: " + k, v[0], v[1], v[2]) for k, v in reg.items() if k != "today"]
    for j, (name, pnl, var, es) in enumerate(runs):
        a1.hist(pnl / 1000, bins=120, color="C%d" % j, alpha=0.45, density=True,
                label="%s: VaR %.0fk, ES %.0fk" % (name, var / 1000, es / 1000))
        a1.axvline(-var / 1000, color="C%d" % j, lw=1)
        a1.axvline(-es / 1000, color="C%d" % j, lw=1, ls="--")
    every = np.concatenate([r[1] for r in runs]) / 1000
    a1.set_xlim(np.percentile(every, 0.02), np.percentile(every, 99.98))  # the far tail clipped
    a1.set_xlabel("10-day P&L (thousand USD); lines: VaR (solid) and ES (dashed)")
    a1.set_ylabel("density")
    a1.set_title("Monte Carlo P&L, 99% VaR and ES")
    a1.legend(fontsize=7)
    es = np.asarray(c.es_contrib)
    order = np.argsort(es)
    a2.barh([labels[i].strip() for i in order], es[order] / 1000, color="C1")
    a2.set_xlabel("ES contribution (thousand USD)")
    a2.set_title("Euler contributions to ES")
    a2.tick_params(axis="y", labelsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print("chart written to %s" % path)


if __name__ == "__main__":
    raise SystemExit(main())
