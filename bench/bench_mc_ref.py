#!/usr/bin/env python3
"""The Monte Carlo job of bench_mc, vectorised with numpy and scipy: 10
underlyings (spot in [20k, 100k], annual vol in [0.4, 1.2], one-factor
correlation with betas in [0.5, 0.9]), 10 European options each (strike =
spot x exp(U(ln 0.7, ln 1.4)), expiry in 7, 14, 30, 60, 91, 182, 365 days,
implied vol = the underlying's vol x [0.9, 1.2], call or put, quantity
+-1..10), r = 3%; one-day multivariate Student-t scenarios (nu = 4, unit
variance), moves exp(x) - 1, full Black-Scholes revaluation, 99% VaR and ES
(the historical estimators of libqpm).  The job's numbers come from the
Weyl sequence frac(0.5 + k phi), k = 1, 2, ..., exactly as bench_mc builds
them.  Prints one line: seconds (process CPU time), VaR, ES.

    bench_mc_ref.py [scenarios (default 1000000)]
"""
import math
import sys
import time

import numpy as np
from scipy.special import ndtr

PHI = 0.6180339887498949
DAYS = (7, 14, 30, 60, 91, 182, 365)


class Weyl:
    def __init__(self):
        self.k = 0

    def __call__(self):
        self.k += 1
        return math.fmod(0.5 + self.k * PHI, 1.0)


def job():
    w = Weyl()
    S, vol, beta = [], [], []
    for _ in range(10):
        S.append(20000 + 80000 * w())
        vol.append(0.4 + 0.8 * w())
        beta.append(0.5 + 0.4 * w())
    opts = []
    for u in range(10):
        for _ in range(10):
            K = S[u] * math.exp(math.log(0.7) + (math.log(1.4) - math.log(0.7)) * w())
            T = DAYS[min(int(7 * w()), 6)] / 365.0
            iv = vol[u] * (0.9 + 0.3 * w())
            call = w() < 0.5
            q = (1 + min(int(10 * w()), 9)) * (1 if w() < 0.5 else -1)
            opts.append((u, K, T, iv, call, q))
    return np.array(S), np.array(vol), np.array(beta), opts


def bs(S, K, T, r, v, call):
    sd = v * np.sqrt(T)
    d1 = (np.log(S / K) + (r + 0.5 * v * v) * T) / sd
    d2 = d1 - sd
    df = np.exp(-r * T)
    c = S * ndtr(d1) - K * df * ndtr(d2)
    return np.where(call, c, c - S + K * df)


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000000
    S, vol, beta, opts = job()
    r = 0.03
    nu = 4.0
    sd = vol / math.sqrt(365.0)
    corr = np.outer(beta, beta)
    np.fill_diagonal(corr, 1.0)
    L = np.linalg.cholesky(corr * np.outer(sd, sd))
    u = np.array([o[0] for o in opts])
    K = np.array([o[1] for o in opts])
    T = np.array([o[2] for o in opts])
    iv = np.array([o[3] for o in opts])
    call = np.array([o[4] for o in opts])
    q = np.array([o[5] for o in opts], dtype=float)
    v0 = bs(S[u], K, T, r, iv, call)
    rng = np.random.default_rng(20261126)
    t0 = time.process_time()
    pnl = np.empty(n)
    chunk = 20000
    for a in range(0, n, chunk):
        m = min(chunk, n - a)
        g = rng.standard_normal((m, 10)) @ L.T
        w = rng.chisquare(nu, m) / (nu - 2.0)  # unit variance
        x = g / np.sqrt(w)[:, None]
        Sm = S * np.expm1(x) + S
        v1 = bs(Sm[:, u], K, T, r, iv, call)
        pnl[a:a + m] = (v1 - v0) @ q
    loss = -pnl
    k = math.ceil(0.99 * n)
    srt = np.sort(loss)
    var = srt[k - 1]
    es = (srt[k:].sum() + (k - 0.99 * n) * var) / (n * 0.01)
    sec = time.process_time() - t0
    print("%.6f %.6f %.6f" % (sec, var, es))


if __name__ == "__main__":
    main()
