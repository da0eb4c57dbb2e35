"""Reference side of bench_cov: times numpy.cov, scikit-learn's LedoitWolf and
OAS, and a vectorised numpy EWMA on the returns matrix that bench_cov wrote,
and writes each result next to it for an accuracy comparison.

usage: bench_cov_ref.py DATA T N REPS LAMBDA...
       bench_cov_ref.py --parts T N ROUNDS   (numpy.cov step by step)
Prints one line per case: "<name> <minimum seconds> <shrinkage or nan>"
(the minimum process CPU time over REPS runs after a warm-up, as on the C
side).
Run it with /usr/bin/python3 (numpy, scikit-learn) and the same
OPENBLAS_NUM_THREADS as the C side.
"""
import sys
import time
import warnings

import numpy as np
from sklearn.covariance import OAS, LedoitWolf


def best_time(fn, reps):
    out = fn()  # warm-up, and the result to compare
    best = float("inf")
    for _ in range(reps):
        t0 = time.process_time()
        fn()
        best = min(best, time.process_time() - t0)
    return best, out


def ewma_numpy(x, lam, k0=20):
    """RiskMetrics with the ddof = 1 seed of the first k0 rows, vectorised:
    S_T = lam^m seed + Z'Z with rows z_t = sqrt((1 - lam) lam^(T - t)) x_t.
    Z.T @ Z on one buffer is a symmetric rank-k update (numpy calls dsyrk),
    the fastest form numpy offers."""
    seed = np.cov(x[:k0], rowvar=False)
    y = x[k0:]
    m = y.shape[0]
    w = np.sqrt((1.0 - lam) * lam ** np.arange(m - 1, -1, -1, dtype=np.float64))
    z = y * w[:, None]
    return lam**m * seed + z.T @ z


def parts(t, n, rounds):
    """numpy.cov(x, rowvar=False) step by step, as numpy 1.24 runs it: a
    copy of x (viewed transposed), the column means, the centring in place,
    X @ X.T (dsyrk in OpenBLAS) and the scaling.  Prints a Markdown table of
    the minimum time of each step over the rounds."""
    x = np.random.default_rng(20261126).uniform(-0.05, 0.05, size=(t, n))
    st = {}

    def step(name, fn):
        t0 = time.process_time()
        r = fn()
        st[name] = min(st.get(name, float("inf")), time.process_time() - t0)
        return r

    for _ in range(rounds + 1):
        step("numpy.cov, whole", lambda: np.cov(x, rowvar=False))
        xt = step("  copy (np.array(x).T)", lambda: np.array(x, ndmin=2, dtype=np.float64).T)
        avg = step("  column means (np.average)", lambda: np.average(xt, axis=1))
        step("  centre (X -= mean)", lambda: xt.__isub__(avg[:, None]))
        c = step("  X @ X.T (dsyrk)", lambda: np.dot(xt, xt.T))
        step("  scale by 1 / (T - 1)", lambda: c.__imul__(1.0 / (t - 1)))
    flops = float(t) * n * (n + 1)
    print("\n| numpy part | ms | GFLOP/s (T N (N+1) flops) |\n|---|---:|---:|")
    for name, sec in st.items():
        g = "%.1f" % (1e-9 * flops / sec) if "dsyrk" in name else ""
        print("| %s | %.3f | %s |" % (name, 1e3 * sec, g), flush=True)


def main():
    if sys.argv[1] == "--parts":
        parts(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
        return
    path, t, n, reps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    lambdas = [float(v) for v in sys.argv[5:]]
    x = np.fromfile(path, dtype=np.float64).reshape(t, n)
    warnings.simplefilter("ignore")
    cases = [
        ("numpy.cov", lambda: (np.cov(x, rowvar=False), np.nan)),
        ("sklearn.LedoitWolf", lambda: (lambda e: (e.covariance_, e.shrinkage_))(LedoitWolf().fit(x))),
        ("sklearn.LedoitWolf(store_precision=False)",
         lambda: (lambda e: (e.covariance_, e.shrinkage_))(LedoitWolf(store_precision=False).fit(x))),
        ("sklearn.OAS", lambda: (lambda e: (e.covariance_, e.shrinkage_))(OAS().fit(x))),
        ("sklearn.OAS(store_precision=False)",
         lambda: (lambda e: (e.covariance_, e.shrinkage_))(OAS(store_precision=False).fit(x))),
    ]
    for lam in lambdas:
        cases.append(("numpy.ewma(%g)" % lam, lambda lam=lam: (ewma_numpy(x, lam), np.nan)))
    for k, (name, fn) in enumerate(cases):
        sec, (mat, shrink) = best_time(fn, reps)
        np.ascontiguousarray(mat, dtype=np.float64).tofile("%s.%d" % (path, k))
        print("%s %.9g %.17g" % (name.replace(" ", ""), sec, shrink), flush=True)


if __name__ == "__main__":
    main()
