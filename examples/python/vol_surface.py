#!/usr/bin/env python3
"""A BTC volatility surface from an exchange-style option chain: one raw SVI
slice per expiry fitted to the coin-settled bid and ask prices of the
out-of-the-money options, the per-slice fit and static-arbitrage report
(butterfly inside each slice, calendar across them), an SSVI fit of the
whole surface beside it, a Heston calibration to the exchange's mark vols,
and a book whose options price off the fitted surface.  With --plot, the
market smile (bid/ask vols), the SVI and Heston smiles per expiry, and the
risk-neutral density of the SVI slices.

    python3 examples/python/vol_surface.py [chain.csv] [--plot surface.png]

Without a file the example reads the snapshot shipped in examples/data/
(see its README.md).  Surfaces, Heston calibration and book surfaces are
libqpm's experimental tier: their names may change in a minor release.
The chain is made up.
"""
import argparse
import math
from pathlib import Path

import _setup_path  # noqa: F401
import qpm
from qpm import models
from qpm.book import SURFACE_VOL, Book
from qpm.pricing import Pricer

try:
    import numpy as np
except ImportError:
    raise SystemExit("this example needs numpy")

import _data  # noqa: E402


def load(path):
    """The out-of-the-money options with a bid and an ask, as columns."""
    rows = _data.read_rows(path)
    ms_per_year = 365.0 * 86400.0 * 1000.0
    out = {k: [] for k in ("strike", "T", "forward", "type", "bid", "ask", "mark_iv")}
    for r in rows:
        _, _, strike, cp = r["instrument_name"].split("-")
        K, F = float(strike), float(r["underlying_price"])
        bid = float(r["bid_price"]) if r["bid_price"] else math.nan
        ask = float(r["ask_price"]) if r["ask_price"] else math.nan
        call = cp == "C"
        if (call and K < F) or (not call and K >= F) or not (bid > 0 and ask > 0):
            continue
        out["strike"].append(K)
        out["T"].append((float(r["expiration_timestamp"]) - float(r["creation_timestamp"]))
                        / ms_per_year)
        out["forward"].append(F)
        out["type"].append("call" if call else "put")
        out["bid"].append(bid)
        out["ask"].append(ask)
        out["mark_iv"].append(float(r["mark_iv"]) / 100.0)
    return {k: np.asarray(v) if k != "type" else v for k, v in out.items()}


def rows_of(rep):
    """The per-slice report as a list of dicts (DataFrame or list)."""
    if hasattr(rep, "to_dict"):
        return rep.to_dict("records")
    rows = []
    for r in rep:  # SliceReport tuples: the SVI parameters flattened
        d = r._asdict()
        d.update(d.pop("params")._asdict())
        rows.append(d)
    return rows


def main():
    here = Path(__file__).resolve().parent
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("chain", nargs="?", default=str(here.parent / "data" / "btc_option_chain.csv"))
    ap.add_argument("--plot", metavar="PNG", help="write the smiles and densities")
    args = ap.parse_args()

    ch = load(args.chain)
    Ts = sorted(set(ch["T"].tolist()))
    print("libqpm %s: BTC surface from %d out-of-the-money options on %d expiries "
          "(coin-settled bid/ask)" % (qpm.version_string(), len(ch["strike"]), len(Ts)))
    quotes = {k: ch[k] for k in ("strike", "T", "forward", "type", "bid", "ask")}

    # ---- SVI per slice, and SSVI -------------------------------------------------
    with qpm.Surface() as s, qpm.Surface() as ss:
        rep = rows_of(s.fit(quotes, settlement="inverse"))
        ssr = rows_of(ss.fit(quotes, settlement="inverse", ssvi=True))
        print("\nraw SVI per expiry (vol points = 0.01 of vol; butterfly: Gatheral's g(k) >= 0)")
        print("%8s %9s %7s %7s %7s %7s %7s %9s %9s %10s %9s" % (
            "days", "forward", "a", "b", "rho", "m", "sigma", "rmse", "max err", "butterfly",
            "SSVI rmse"))
        for r, q in zip(rep, ssr):
            print("%8.1f %9.0f %7.4f %7.4f %7.3f %7.3f %7.3f %9.3f %9.3f %10s %9.3f" % (
                365 * r["T"], r["forward"], r["a"], r["b"], r["rho"], r["m"], r["sigma"],
                r["rmse_volpts"], r["max_err_volpts"],
                "ok" if r["butterfly_ok"] else "k=%.2f" % r["worst_k"], q["rmse_volpts"]))
        c = s.check()
        print("static arbitrage: butterfly %s, calendar %s" % (
            "none" if c.butterfly_ok else "in slice %d at k = %.3f" % (c.butterfly_slice,
                                                                       c.butterfly_k),
            "none" if c.calendar_ok else "between slices %d and %d at k = %.3f"
            % (c.calendar_slice - 1, c.calendar_slice, c.calendar_k)))

        # ---- Heston to the mark vols ------------------------------------------
        # each expiry's forward taken to the same spot (r = q = 0): the vols
        # depend on K / F only
        S0 = float(ch["forward"][ch["T"] == Ts[0]][0])
        cal_chain = {"T": ch["T"], "strike": ch["strike"] * S0 / ch["forward"],
                     "iv": ch["mark_iv"]}
        cal = models.calibrate_heston(cal_chain, S0)
        hp = cal.heston
        get = (lambda k: float(getattr(hp, k)))
        print("\nHeston calibrated to the %d mark vols: v0 %.4f (vol %.1f%%), kappa %.2f, "
              "theta %.4f (vol %.1f%%), sigma %.3f, rho %.3f; RMSE %.2f vol points, %d "
              "iterations, %s, Feller condition %s"
              % (len(ch["T"]), get("v0"), 100 * math.sqrt(get("v0")), get("kappa"),
                 get("theta"), 100 * math.sqrt(get("theta")), get("sigma"), get("rho"),
                 cal.rmse_volpts, cal.iterations, cal.status.name.lower().replace("_", " "),
                 "holds" if cal.feller else "does not hold"))

        # ---- a book priced off the surface -------------------------------------
        with Book() as b:
            b.add_underlying("BTC", S0, 0.0)
            for e, T in enumerate(Ts):
                b.set_forward("BTC", e, float(ch["forward"][ch["T"] == T][0]), T)
            b.set_surface("BTC", s, "sticky_moneyness")
            e_of = {T: e for e, T in enumerate(Ts)}
            pick = [0, len(ch["T"]) // 3, len(ch["T"]) // 2, -1]
            b.add_positions("inverse_option", "BTC", [-5.0, 3.0, 2.0, -4.0],
                            expiry=[e_of[float(ch["T"][i])] for i in pick],
                            option_type=[ch["type"][i] for i in pick],
                            strike=[float(ch["strike"][i]) for i in pick], sigma=SURFACE_VOL)
            vals = b.values()
            v = vals["value_usd"]
            print("\na book of 4 coin-settled options off the surface (sticky moneyness): value "
                  "%s USD; P&L if BTC -20%%: %s USD"
                  % (format(float(np.sum(np.asarray(v))), ",.0f"),
                     format(float(b.pnl([[-0.2]])[0]), ",.0f")))
        if args.plot:
            plot(args.plot, ch, Ts, s, cal)


def plot(path, ch, Ts, s, cal):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no plot")
        return
    pr = Pricer("black76", "inverse")
    n = len(Ts)
    fig, axes = plt.subplots(2, (n + 2) // 2, figsize=(4.2 * ((n + 2) // 2), 7.5))
    axes = np.asarray(axes).ravel()
    heston = cal.heston
    S0 = float(ch["forward"][ch["T"] == Ts[0]][0])
    for j, T in enumerate(Ts):
        ax = axes[j]
        m = ch["T"] == T
        F = float(ch["forward"][m][0])
        K = ch["strike"][m]
        ty = np.where(np.asarray(ch["type"])[m] == "call", 1, -1)
        bid = np.asarray(pr.implied_vol(ch["bid"][m], F, K, T, ty))
        ask = np.asarray(pr.implied_vol(ch["ask"][m], F, K, T, ty))
        kk = np.log(K / F)
        ax.vlines(kk, 100 * bid, 100 * ask, color="0.5", lw=1.5, label="bid/ask")
        kg = np.linspace(kk.min() - 0.1, kk.max() + 0.1, 200)
        ax.plot(kg, 100 * np.asarray(s.vol_k(np.full_like(kg, T), kg)), "C0", label="SVI")
        hs = models.heston_smile(S0, S0 * np.exp(kg), T, heston)
        ax.plot(kg, 100 * np.asarray(hs["iv"]), "C3--", label="Heston")
        ax.set_title("%.0f days" % (365 * T), fontsize=9)
        ax.set_xlabel("ln(K/F)", fontsize=8)
        if j == 0:
            ax.set_ylabel("implied vol (%)")
            ax.legend(fontsize=7)
    ax = axes[n]
    for j, T in enumerate(Ts):
        k = np.linspace(-1.2, 1.0, 400)
        w = np.asarray(s.total_variance_k(np.full_like(k, T), k))
        h = k[1] - k[0]
        w1, w2 = np.gradient(w, h), np.gradient(np.gradient(w, h), h)
        g = (1 - k * w1 / (2 * w)) ** 2 - w1 ** 2 / 4 * (1 / w + 0.25) + w2 / 2
        d2 = -k / np.sqrt(w) - np.sqrt(w) / 2
        dens = g / np.sqrt(2 * np.pi * w) * np.exp(-d2 ** 2 / 2)
        ax.plot(k, dens, label="%.0f d" % (365 * T))
    ax.set_title("risk-neutral density of ln(S_T/F)", fontsize=9)
    ax.set_xlabel("ln(K/F)", fontsize=8)
    ax.legend(fontsize=7)
    for ax in axes[n + 1:]:
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    print("wrote %s" % path)


if __name__ == "__main__":
    main()
