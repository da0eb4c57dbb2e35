"""qpm.cov: every estimator against the reference matrices, scikit-learn and
numpy; streaming, NaN policies, annualisation, returns, nearest correlation,
PSD checks and error mapping."""
import math

import numpy as np
import pytest

import qpm
from qpm import _arrays
from qpm.cov import (Cov, CovKernel, CovKey, CovMethod, CovTarget, NanPolicy,
                     NearestCorrelation, ReturnsKind, check_psd, is_psd, min_eigenvalue,
                     nearest_correlation, returns_from_prices)
from conftest import REFDATA, ROOT, load_csv

try:
    import sklearn.covariance as skcov
    HAVE_SKLEARN = True
except ImportError:  # pragma: no cover
    HAVE_SKLEARN = False
needs_sklearn = pytest.mark.skipif(not HAVE_SKLEARN, reason="scikit-learn not installed")

SET = "public_t500_n20"


def _mat(name):
    return np.loadtxt(REFDATA / ("%s_%s.csv" % (name, SET)), delimiter=",", skiprows=1)


@pytest.fixture(scope="module")
def X():
    return _mat("returns")


@pytest.fixture(scope="module")
def scalars():
    c = load_csv("cov_scalars_%s.csv" % SET)
    return {k: float(v) for k, v in zip(c.str("key"), c.str("value"))}


def _close(a, b, rel):
    """max |a - b| <= rel * max |b| (the refdata README's tolerance form)."""
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape
    err = np.abs(a - b).max() / np.abs(b).max()
    assert err <= rel, err


# Reference tolerance (refdata README section 7): 1e-12 relative to the
# largest element for matrices, 1e-10 for shrinkage coefficients.
@pytest.mark.parametrize("method,ref", [("sample", "cov_sample"), ("ledoit_wolf", "cov_lw"),
                                        ("oas", "cov_oas"), ("ewma", "cov_ewma")])
def test_golden_matrices(X, method, ref):
    with Cov(20, method=method) as c:
        assert c.fit(X) is c
        _close(c.covariance(), _mat(ref), 1e-12)
        assert c.nobs == 500 and c.n_assets == 20 and c.method == CovMethod[method.upper()]


def test_golden_correlation_mean_shrinkage(X, scalars):
    with Cov(20) as c:
        c.fit(X)
        _close(c.correlation(), _mat("cov_corr"), 1e-12)
        assert np.allclose(np.diag(c.correlation()), 1.0, rtol=0, atol=1e-15)
        mean = np.array([scalars["mean_a%02d" % j] for j in range(20)])
        _close(c.mean(), mean, 1e-12)
        assert np.allclose(c.volatility(), np.sqrt(np.diag(c.covariance())), rtol=1e-15)
        assert c.shrinkage() == 0.0
        c.method = "ledoit_wolf"
        assert c.shrinkage() == pytest.approx(scalars["lw_shrinkage"], rel=1e-10)
        c.set(CovKey.METHOD, CovMethod.OAS)
        assert c.shrinkage() == pytest.approx(scalars["oas_shrinkage"], rel=1e-10)
    assert scalars["ewma_lambda"] == 0.94 and scalars["ewma_init_rows"] == 20


@needs_sklearn
def test_matches_scikit_learn_and_numpy():
    rng = np.random.default_rng(11)
    for T, N in ((300, 50), (40, 60), (500, 20)):
        A = rng.standard_t(4, size=(T, N)) * rng.uniform(0.01, 0.07, N) + 0.001
        with Cov(N) as c:
            c.fit(A)
            _close(c.covariance(), np.cov(A, rowvar=False), 1e-12)
            _close(c.correlation(), np.corrcoef(A, rowvar=False), 1e-12)
            c.set("ddof", 0)
            _close(c.covariance(), skcov.EmpiricalCovariance().fit(A).covariance_, 1e-12)
            c.method = "ledoit_wolf"
            lw = skcov.LedoitWolf().fit(A)
            _close(c.covariance(), lw.covariance_, 1e-12)
            assert c.shrinkage() == pytest.approx(lw.shrinkage_, rel=1e-10)
            c.method = CovMethod.OAS
            oas = skcov.OAS().fit(A)
            _close(c.covariance(), oas.covariance_, 1e-12)
            assert c.shrinkage() == pytest.approx(oas.shrinkage_, rel=1e-10)


def _ewma_numpy(A, lam, k):
    S = np.cov(A[:k], rowvar=False)
    for x in A[k:]:
        S = lam * S + (1 - lam) * np.outer(x, x)
    return S


def test_ewma_and_semicovariance_definitions():
    rng = np.random.default_rng(5)
    A = rng.normal(0.0005, 0.02, size=(120, 6))
    with Cov(6, method="ewma", **{"lambda": 0.9, "ewma_init_rows": 10}) as c:
        c.fit(A)
        assert c.get("lambda") == 0.9 and c.get(CovKey.EWMA_INIT_ROWS) == 10
        _close(c.covariance(), _ewma_numpy(A, 0.9, 10), 1e-13)
    with Cov(6, method=CovMethod.SEMI, benchmark=0.001) as c:
        c.fit(A)
        D = np.minimum(A - 0.001, 0.0)
        _close(c.covariance(), D.T @ D / len(A), 1e-13)


def test_constant_correlation_target_is_between_sample_and_target():
    rng = np.random.default_rng(6)
    A = rng.normal(0, 0.02, size=(60, 8)) + rng.normal(0, 0.02, size=(60, 1))
    with Cov(8, method="ledoit_wolf", target=CovTarget.CONSTANT_CORRELATION) as c:
        c.fit(A)
        s = c.shrinkage()
        assert 0.0 <= s <= 1.0
        emp = np.cov(A, rowvar=False, ddof=0)
        sd = np.sqrt(np.diag(emp))
        R = emp / np.outer(sd, sd)
        rbar = (R.sum() - 8) / (8 * 7)
        F = rbar * np.outer(sd, sd)
        np.fill_diagonal(F, np.diag(emp))
        _close(c.covariance(), (1 - s) * emp + s * F, 1e-12)


def test_streaming_equals_batch(X):
    for method in ("sample", "ledoit_wolf", "oas", "ewma"):
        with Cov(20, method=method) as full, Cov(20, method=method) as part:
            full.fit(X)
            part.fit(X[:300])
            for row in X[300:]:
                part.push(row)
            assert part.nobs == 500
            _close(part.covariance(), full.covariance(), 1e-12)
    with Cov(20) as c:
        c.fit(X)
        c.reset()
        assert c.nobs == 0
        with pytest.raises(qpm.QpmStateError):
            c.covariance()
        for row in X:
            c.push(row)
        _close(c.covariance(), _mat("cov_sample"), 1e-12)
        with pytest.raises(ValueError):
            c.push(X[0, :5])


def test_prices_and_returns():
    rng = np.random.default_rng(8)
    P = 100 * np.exp(np.cumsum(rng.normal(0, 0.02, size=(50, 4)), axis=0))
    R = returns_from_prices(P)
    assert R.shape == (49, 4)
    # log1p of the exact-ish relative change is accurate to ~1 ulp of the
    # return; log of the rounded ratio carries an absolute error ~1e-16.
    assert np.allclose(R, np.log1p((P[1:] - P[:-1]) / P[:-1]), rtol=4e-16, atol=0)
    assert np.allclose(R, np.log(P[1:] / P[:-1]), rtol=0, atol=1e-15)
    Rs = returns_from_prices(P, ReturnsKind.SIMPLE)
    assert np.allclose(Rs, P[1:] / P[:-1] - 1, rtol=0, atol=1e-15)
    assert np.array_equal(returns_from_prices(P, "simple"), Rs)
    out = np.empty((49, 4))
    assert returns_from_prices(P, out=out) is out
    with Cov(4) as a, Cov(4, returns="simple") as b:
        a.fit_prices(P)
        _close(a.covariance(), np.cov(R, rowvar=False), 1e-13)
        b.fit_prices(P)
        _close(b.covariance(), np.cov(Rs, rowvar=False), 1e-13)
        assert b.get(CovKey.RETURNS) == ReturnsKind.SIMPLE
    bad = P.copy()
    bad[3, 2] = -1.0
    with pytest.raises(qpm.QpmInvalidError) as ei:
        returns_from_prices(bad)
    assert ei.value.message
    with pytest.raises(qpm.QpmSizeError):
        returns_from_prices(P[:1])
    with pytest.raises(ValueError):
        returns_from_prices(P, "percent")


def test_nan_policies():
    rng = np.random.default_rng(9)
    A = rng.normal(0, 0.02, size=(80, 5))
    B = A.copy()
    B[[3, 17, 40], [0, 2, 4]] = np.nan
    keep = ~np.isnan(B).any(axis=1)
    with Cov(5) as c:
        with pytest.raises(qpm.QpmNonFiniteError) as ei:
            c.fit(B)
        assert "returns[3][0]" in ei.value.message.replace(" ", "")
        c.set(CovKey.NAN_POLICY, NanPolicy.DROP_ROWS)
        c.fit(B)
        assert c.nobs == keep.sum()
        _close(c.covariance(), np.cov(B[keep], rowvar=False), 1e-13)
        c.set("nan_policy", "pairwise")
        c.fit(B)
        P = c.covariance()
        i, j = 0, 2
        m = ~np.isnan(B[:, i]) & ~np.isnan(B[:, j])
        pair = np.cov(B[m][:, [i, j]], rowvar=False)[0, 1]
        assert P[i, j] == pytest.approx(pair, rel=1e-10)
        assert min_eigenvalue(P) >= -1e-15
        c.method = "ewma"
        with pytest.raises(qpm.QpmUnsupportedError):
            c.fit(B)
        inf = A.copy()
        inf[5, 1] = np.inf
        c.method = "sample"
        with pytest.raises(qpm.QpmNonFiniteError):
            c.fit(inf)  # +-Inf is always an error


def test_annualise():
    rng = np.random.default_rng(10)
    A = rng.normal(0.001, 0.02, size=(100, 3))
    with Cov(3, annualise=1, periods_per_year=252) as c:
        c.fit(A)
        _close(c.covariance(), 252 * np.cov(A, rowvar=False), 1e-13)
        _close(c.volatility(), np.sqrt(252) * A.std(axis=0, ddof=1), 1e-13)
        _close(c.mean(), 252 * A.mean(axis=0), 1e-13)
        _close(c.correlation(), np.corrcoef(A, rowvar=False), 1e-13)


def test_settings_bounds_and_errors(X):
    lo, hi = Cov.bounds("lambda")
    assert 0 < lo < 1e-300 or lo > 0 and hi < 1.0
    assert Cov.bounds(CovKey.METHOD) == (0.0, 4.0)
    with Cov(20) as c:
        with pytest.raises(qpm.QpmRangeError):
            c.set("lambda", 1.5)
        with pytest.raises(qpm.QpmRangeError):
            c.set(CovKey.DDOF, 0.5)
        with pytest.raises(qpm.QpmKeyError):
            c.set(99, 1.0)
        with pytest.raises(qpm.QpmKeyError):
            Cov.bounds(99)
        with pytest.raises(ValueError):
            c.set("method", "garch")
        with pytest.raises(ValueError):
            c.set("ddof", "one")
        with pytest.raises(qpm.QpmStateError):
            c.covariance()  # nothing fitted
        with pytest.raises(qpm.QpmSizeError):
            c.fit(X[:1])
        with pytest.raises(ValueError, match="columns"):
            c.fit(X[:, :10])
        c.fit(X)  # still usable
        const = X.copy()
        const[:, 4] = 0.0  # exactly zero variance
        c.fit(const)
        with pytest.raises(qpm.QpmSingularError):
            c.correlation()
    with pytest.raises(qpm.QpmSizeError):
        Cov(0)
    with pytest.raises(ValueError):
        Cov(-1)


def test_kernel_setting(X):
    """CovKey.KERNEL: auto follows the CPU alone; the two kernels agree to
    rounding; a kernel the CPU lacks is refused; CovKernel is the C enum."""
    import re
    text = re.sub(r"/\*.*?\*/", " ", (ROOT / "include" / "qpm" / "cov.h").read_text(), flags=re.S)
    body = re.search(r"enum\s+qpm_cov_kernel\s*\{(.*?)\}", text, flags=re.S).group(1)
    c_vals = dict((k.strip()[len("QPM_COV_KERNEL_"):], int(v)) for k, v in
                  (item.split("=") for item in body.split(",") if "=" in item))
    assert c_vals == {m.name: int(m) for m in CovKernel}
    assert Cov.bounds("kernel") == (0.0, 2.0)
    has512 = bool(qpm.cpu_features() & qpm.CpuFeature.AVX512F)
    auto = CovKernel.AVX512 if has512 else CovKernel.BLAS
    with Cov(20) as c:
        assert c.get("kernel") == auto
        c.set("kernel", "blas")
        assert c.get(CovKey.KERNEL) == CovKernel.BLAS
        blas = c.fit(X).covariance()
        c.set("kernel", CovKernel.AUTO)
        assert c.get("kernel") == auto
        if has512:
            c.set("kernel", "avx512")
            own = c.fit(X).covariance()
            _close(own, blas, 1e-14)
        else:
            with pytest.raises(qpm.QpmUnsupportedError):
                c.set("kernel", "avx512")
            assert c.get("kernel") == CovKernel.BLAS
        with pytest.raises(ValueError):
            c.set("kernel", "gpu")
        with pytest.raises(qpm.QpmRangeError):
            c.set("kernel", 3)
    with Cov(20, method="oas", kernel="blas") as c:
        assert c.get("kernel") == CovKernel.BLAS


def test_views_and_out_matrices_without_copies(X):
    with Cov(10) as a, Cov(10) as b:
        view = X[:, 5:15]  # rows not contiguous with each other: ld = 20
        m = _arrays.matrix(view)
        assert m.addr == view.ctypes.data and m.ld == 20
        a.fit(view)
        b.fit(np.ascontiguousarray(view))
        assert np.array_equal(a.covariance(), b.covariance())
        big = np.zeros((12, 16))
        out = big[1:11, 2:12]
        r = a.covariance(out=out)
        assert r is out and np.array_equal(out, b.covariance())
        assert big[0].sum() == 0 and big[:, :2].sum() == 0  # nothing outside written
        assert a.correlation(out=np.empty((10, 10))).shape == (10, 10)
        v = np.empty(10)
        assert a.volatility(out=v) is v and a.mean(out=np.empty(10)).shape == (10,)


def _higham(A, tol=1e-12, maxiter=10000):
    """Higham (2002) alternating projections with Dykstra's correction, unit
    weights, in plain numpy (independent reference)."""
    Y = (A + A.T) / 2
    dS = np.zeros_like(Y)
    for _ in range(maxiter):
        R = Y - dS
        w, V = np.linalg.eigh(R)
        X = (V * np.maximum(w, 0)) @ V.T
        dS = X - R
        Yn = X.copy()
        np.fill_diagonal(Yn, 1.0)
        if np.linalg.norm(Yn - Y) <= tol * np.linalg.norm(Yn):
            Y = Yn
            break
        Y = Yn
    return Y


def test_nearest_correlation_psd_checks():
    A = np.array([[1.0, 0.9, -0.9], [0.9, 1.0, 0.9], [-0.9, 0.9, 1.0]])
    assert min_eigenvalue(A) < 0
    assert not is_psd(A)
    with pytest.raises(qpm.QpmNotPSDError) as ei:
        check_psd(A)
    assert isinstance(ei.value, ArithmeticError) and ei.value.message
    res = nearest_correlation(A, tol=1e-14, maxiter=100000, info=True)
    assert isinstance(res, NearestCorrelation) and res.converged and res.iterations > 0
    C = res.matrix
    assert np.allclose(np.diag(C), 1.0, atol=1e-15) and np.allclose(C, C.T, atol=1e-15)
    assert min_eigenvalue(C) >= -1e-12
    assert np.allclose(C, _higham(A, 1e-15), atol=1e-7)
    assert check_psd(C, 1e-12) == pytest.approx(min_eigenvalue(C), abs=1e-15)
    assert is_psd(C, 1e-12)
    # weights change the answer; maxiter=1 reports non-convergence, still valid
    W = nearest_correlation(A, weights=[1.0, 10.0, 1.0], tol=1e-12)
    assert not np.allclose(W, C, atol=1e-4)
    one = nearest_correlation(A, maxiter=1, info=True)
    assert not one.converged and one.iterations == 1
    assert np.allclose(np.diag(one.matrix), 1.0)
    out = np.empty((3, 3))
    assert nearest_correlation(A, out=out) is out
    with pytest.raises(qpm.QpmInvalidError):
        nearest_correlation(A, weights=[1.0, -1.0, 1.0])
    with pytest.raises(qpm.QpmInvalidError):
        nearest_correlation(A, tol=2.0)
    with pytest.raises(qpm.QpmInvalidError, match=r"must be within \+-1e\+06"):
        nearest_correlation(A * 1e300)
    with pytest.raises(qpm.QpmNonFiniteError):
        min_eigenvalue(np.array([[1.0, np.nan], [np.nan, 1.0]]))
    with pytest.raises(qpm.QpmInvalidError):
        check_psd(A, -1.0)
    with pytest.raises(ValueError, match="square"):
        min_eigenvalue(np.zeros((2, 3)))
    with pytest.raises(ValueError):
        nearest_correlation(A, weights=[1.0, 1.0])


def test_lists_without_numpy(monkeypatch, X):
    rows = X[:50, :3].tolist()
    monkeypatch.setattr(_arrays, "np", None)
    with Cov(3) as c:
        c.fit(rows)
        C = c.covariance()
        assert isinstance(C, list) and len(C) == 3 and isinstance(C[0], list)
        assert isinstance(c.volatility(), list)
        c.push(rows[0])
    R = returns_from_prices([[1.0, 2.0], [2.0, 4.0], [4.0, 8.0]], "simple")
    assert R == [[1.0, 1.0], [1.0, 1.0]]
    assert isinstance(nearest_correlation([[1.0, 0.5], [0.5, 1.0]]), list)
    assert min_eigenvalue([[2.0, 0.0], [0.0, 3.0]]) == pytest.approx(2.0)
