#!/usr/bin/env python3
"""Writes the example data sets of this folder (see README.md), made up with
libqpm's own random streams and pricer, so that the same seed gives the same
bytes on every machine:

* crypto_prices.csv: daily closing prices of eight coins over two years,
  a ``date`` column first, in the layout ``pandas.DataFrame.to_csv()``
  writes;
* btc_option_chain.csv: a snapshot of a coin-settled BTC option chain in
  the shape an exchange (Deribit) publishes: instrument names such as
  ``BTC-27DEC24-100000-C``, bid/ask/mark prices in BTC, the underlying
  (futures) price of each expiry, expiry and snapshot timestamps in
  milliseconds since the epoch.

    python3 examples/data/make_data.py [--out DIR]

Needs only the qpm package (numpy and pandas are not used).
"""
import argparse
import csv
import datetime as dt
import math
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "python"))
import _setup_path  # noqa: E402,F401  (bindings/python on sys.path in a checkout)

import qpm  # noqa: E402

SEED = 20241202

# ---- daily prices -------------------------------------------------------------
#: coin, first close, annual vol, beta to the market factor, annual drift
COINS = [("BTC", 16547.5, 0.50, 0.90, 0.45), ("ETH", 1196.7, 0.60, 0.90, 0.35),
         ("SOL", 9.97, 0.95, 0.75, 0.80), ("BNB", 246.3, 0.55, 0.70, 0.30),
         ("XRP", 0.3389, 0.80, 0.65, 0.30), ("DOGE", 0.07034, 0.95, 0.65, 0.35),
         ("ADA", 0.2456, 0.80, 0.75, 0.20), ("AVAX", 10.92, 0.95, 0.80, 0.25)]
FIRST_DAY = dt.date(2023, 1, 1)
DAYS = 731  # 2023-01-01 .. 2024-12-31
T_DOF = 4.0


def _round_price(x):
    """Six significant digits, as an exchange would quote a close."""
    return float("%.6g" % x)


def prices(rng):
    """DAYS rows of (date, close per coin): one-factor Student-t log returns
    (unit-variance t with 4 degrees of freedom) with the vols and betas of
    COINS."""
    scale = math.sqrt((T_DOF - 2.0) / T_DOF)
    market = rng.student_t(DAYS - 1, T_DOF)
    idio = rng.student_t((DAYS - 1) * len(COINS), T_DOF)
    level = [math.log(c[1]) for c in COINS]
    rows = [(FIRST_DAY.isoformat(), [_round_price(c[1]) for c in COINS])]
    for d in range(1, DAYS):
        for j, (_, _, vol, beta, drift) in enumerate(COINS):
            sd = vol / math.sqrt(365.0)
            z = beta * market[d - 1] + math.sqrt(1.0 - beta * beta) * idio[(d - 1) * len(COINS) + j]
            level[j] += (drift - 0.5 * vol * vol) / 365.0 + sd * scale * z
        rows.append(((FIRST_DAY + dt.timedelta(days=d)).isoformat(),
                     [_round_price(math.exp(x)) for x in level]))
    return rows


def write_prices(path, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["date"] + [c[0] for c in COINS])
        for date, closes in rows:
            w.writerow([date] + [repr(x) for x in closes])


# ---- option chain ---------------------------------------------------------------
SNAPSHOT = dt.datetime(2024, 12, 2, 9, 30, tzinfo=dt.timezone.utc)
INDEX = 95871.32                      # BTC spot index at the snapshot
BASIS = 0.095                         # futures basis, per year
EXPIRIES = [dt.date(2024, 12, 6), dt.date(2024, 12, 13), dt.date(2024, 12, 27),
            dt.date(2025, 1, 31), dt.date(2025, 3, 28), dt.date(2025, 6, 27)]
MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]


def instrument_name(expiry, strike, kind):
    """Deribit's naming: BTC-27DEC24-100000-C (day without a leading zero)."""
    return "BTC-%d%s%02d-%d-%s" % (expiry.day, MONTHS[expiry.month - 1], expiry.year % 100,
                                   strike, kind)


def smile(k, T):
    """Vol per 1.00 at log-moneyness k for T years: a term structure of the
    at-the-money vol, a put skew and convex wings."""
    atm = 0.52 + 0.06 * math.exp(-T / 0.1)
    return atm - 0.10 * k + 0.30 * k * k / math.sqrt(max(T, 0.02) / 0.25)


def _tick(price):
    return 0.0001 if price < 0.005 else 0.0005


def chain():
    """Rows of the chain snapshot, by expiry, strike, call then put."""
    rows = []
    now_ms = int(SNAPSHOT.timestamp() * 1000)
    with qpm.Pricer("black76", "inverse") as p:
        for e in EXPIRIES:
            expiry = dt.datetime(e.year, e.month, e.day, 8, 0, tzinfo=dt.timezone.utc)
            T = (expiry - SNAPSHOT).total_seconds() / (365.0 * 86400.0)
            F = round(INDEX * math.exp(BASIS * T) * 2.0) / 2.0  # futures tick 0.5 USD
            step = 1000 if T < 0.05 else 2000 if T < 0.2 else 5000
            width = 2.6 * 0.55 * math.sqrt(T)
            lo = int(F * math.exp(-width) / step) * step
            hi = int(F * math.exp(width) / step + 1) * step
            for K in range(max(lo, step), hi + 1, step):
                k = math.log(K / F)
                sigma = smile(k, T)
                for kind, code in (("C", "call"), ("P", "put")):
                    mark = p.price(F, float(K), T, sigma, code)
                    tick = _tick(mark)
                    half = max(tick, 0.03 * mark)
                    bid = math.floor((mark - half) / tick) * tick
                    ask = math.ceil((mark + half) / tick) * tick
                    rows.append([instrument_name(e, K, kind),
                                 str(int(expiry.timestamp() * 1000)), str(now_ms),
                                 repr(F),
                                 repr(round(bid, 4)) if bid > 0 else "",
                                 repr(round(ask, 4)),
                                 repr(round(mark, 8)),
                                 repr(round(100.0 * sigma, 2))])
    return rows


def write_chain(path, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["instrument_name", "expiration_timestamp", "creation_timestamp",
                    "underlying_price", "bid_price", "ask_price", "mark_price", "mark_iv"])
        w.writerows(rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=str(HERE), help="folder to write into")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with qpm.Rng(SEED) as rng:
        write_prices(out / "crypto_prices.csv", prices(rng))
    write_chain(out / "btc_option_chain.csv", chain())
    print("wrote %s and %s" % (out / "crypto_prices.csv", out / "btc_option_chain.csv"))


if __name__ == "__main__":
    main()
