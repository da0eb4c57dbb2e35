"""Reference side of bench_opt: scipy.optimize SLSQP on the problems that
bench_opt times, on the same data (written by bench_opt as raw doubles:
the n x n covariance, then the n expected returns).

usage: bench_opt_ref.py DATA N REPS FRONTIER_POINTS
Prints "<case> <seconds> <objective>" per case: the long-only minimum
variance (best of REPS runs after a warm-up) and, when FRONTIER_POINTS > 0,
that many long-only target-return problems between the minimum-variance
return and the largest expected return (one run; the frontier is costly).
Run with /usr/bin/python3 and the same OPENBLAS_NUM_THREADS as bench_opt.
"""
import sys
import time

import numpy as np
from scipy.optimize import minimize


def minvar(S, extra=None, x0=None):
    n = S.shape[0]
    cons = [{"type": "eq", "fun": lambda x: x.sum() - 1.0, "jac": lambda x: np.ones(n)}]
    if extra is not None:
        cons.append(extra)
    res = minimize(lambda x: x @ S @ x, np.full(n, 1.0 / n) if x0 is None else x0,
                   jac=lambda x: 2.0 * S @ x, bounds=[(0.0, None)] * n, constraints=cons,
                   method="SLSQP", options={"ftol": 1e-12, "maxiter": 2000})
    return res


def main():
    path, n, reps, k = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    raw = np.fromfile(path, dtype=np.float64)
    S = raw[:n * n].reshape(n, n)
    mu = raw[n * n:n * n + n]
    res = minvar(S)
    best = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        res = minvar(S)
        best = min(best, time.perf_counter() - t0)
    print("minvar_slsqp %.9g %.17g" % (best, res.fun))
    if k > 0:
        rmin, rmax = float(mu @ res.x), float(mu.max())
        t0 = time.perf_counter()
        x = res.x
        for j in range(k):
            r = rmin + (rmax - rmin) * j / (k - 1)
            e = {"type": "eq", "fun": lambda x, r=r: mu @ x - r, "jac": lambda x: mu}
            x = minvar(S, e, x).x
        print("frontier_slsqp %.9g %.17g" % (time.perf_counter() - t0, x @ S @ x))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
